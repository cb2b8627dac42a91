//! The text form of the operations' views, for people. Their JSON form (`--json`) is the view
//! itself, exactly what the HTTP API answers.

use std::collections::BTreeMap;
use std::fmt::Write as _;

use fairshare_ops::agents::{AgentAdded, AgentsOut};
use fairshare_ops::contributions::{
    ContributionRow, ContributionsOut, Logged, MintOut, Reviewed, SharesAnswer, SharesOut,
};
use fairshare_ops::distributions::{
    BalancesOut, DistributionsOut, LineOut, RevenueOut, StatementOut,
};
use fairshare_ops::log::{FoundOut, LogOut, VerifyOut};
use fairshare_ops::plans::PlanOut;
use fairshare_ops::projects::{
    ApprovalsSet, PolicyOut, PolicySet, ProjectAdded, ProjectShow, ProjectsOut, Revalued,
};

use crate::error::EXIT_CORRUPT;
use crate::render::{Table, Text, count_line, more_line, or_dash, page_table, short};

// ---------------------------------------------------------------------------------------------
// Agents and projects

impl Text for AgentAdded {
    fn to_text(&self) -> String {
        format!("added agent {} ({})\n", self.agent.handle, self.agent.role)
    }
}

impl Text for AgentsOut {
    fn to_text(&self) -> String {
        page_table(
            "no agents yet: add one with `fairshare agent add HANDLE`",
            Table::new(&["handle", "role", "name"]),
            &self.page,
            self.agents.iter().map(|agent| {
                vec![
                    agent.handle.clone(),
                    agent.role.clone(),
                    or_dash(agent.name.as_deref()),
                ]
            }),
        )
    }
}

impl Text for ProjectAdded {
    fn to_text(&self) -> String {
        let p = &self.project;
        format!(
            "added project {} ({} with {} decimals, {} approvals required)\n",
            p.project, p.currency, p.exponent, p.approvals
        )
    }
}

impl Text for ApprovalsSet {
    fn to_text(&self) -> String {
        match self.approvals {
            0 => format!(
                "contributions on {} now count without approval\n",
                self.project
            ),
            1 => format!("contributions on {} now need 1 approval\n", self.project),
            n => format!("contributions on {} now need {n} approvals\n", self.project),
        }
    }
}

impl Text for ProjectsOut {
    fn to_text(&self) -> String {
        let table = Table::new(&[
            "project",
            "currency",
            "approvals",
            "plan",
            "contributions",
            "name",
        ])
        .right(&[2, 3, 4]);
        let rows = self.projects.iter().map(|p| {
            vec![
                p.project.clone(),
                p.currency.clone(),
                p.approvals.to_string(),
                format!("v{}", p.plan_version),
                p.contributions.to_string(),
                or_dash(p.name.as_deref()),
            ]
        });
        page_table(
            "no projects yet: add one with `fairshare project add SLUG`",
            table,
            &self.page,
            rows,
        )
    }
}

fn policy_lines(policy: &PolicyOut, currency: &str) -> String {
    let list = |map: &BTreeMap<String, String>, unit: &str| -> String {
        map.iter()
            .map(|(k, v)| format!("{k} {v}{unit}"))
            .collect::<Vec<_>>()
            .join(", ")
    };
    let or = |map: &BTreeMap<String, String>, unit: &str, none: &str| {
        if map.is_empty() {
            none.to_string()
        } else {
            list(map, unit)
        }
    };
    let mut out = String::new();
    let _ = writeln!(
        out,
        "  rates:        {}",
        or(&policy.rates, &format!(" {currency}/h"), "none")
    );
    let _ = writeln!(
        out,
        "  multipliers:  {}",
        or(&policy.multipliers, "x", "none (every kind counts 1)")
    );
    let _ = writeln!(
        out,
        "  skills:       {}",
        or(&policy.skills, "x", "none (every agent counts 1)")
    );
    let _ = writeln!(
        out,
        "  decay:        {}",
        match &policy.half_life_days {
            Some(days) => format!("value halves every {days} days"),
            None => "none".to_string(),
        }
    );
    out
}

impl Text for ProjectShow {
    fn to_text(&self) -> String {
        let mut out = format!(
            "project {}{}\n  currency:     {} ({} decimals)\n  approvals:    {}\n",
            self.project,
            self.name
                .as_deref()
                .map(|n| format!(" ({n})"))
                .unwrap_or_default(),
            self.currency,
            self.exponent,
            match self.approvals {
                0 => "none: contributions count as soon as they are logged".to_string(),
                n => format!("{n} required before a contribution counts"),
            }
        );
        out.push_str(&policy_lines(&self.policy, &self.currency));
        let _ = writeln!(
            out,
            "  plan:         version {} (`fairshare plan show {}`)",
            self.plan_version, self.project
        );
        let _ = writeln!(
            out,
            "  activity:     {} contributions, {} distributions",
            self.contributions, self.distributions
        );
        let _ = writeln!(
            out,
            "  members:      {}",
            match self.members.is_empty() {
                true => "none listed".to_string(),
                false => self.members.join(", "),
            }
        );
        if !self.since.is_empty() {
            out.push_str(
                "  rules in force:
",
            );
            for since in &self.since {
                let _ = writeln!(out, "    {:<14} {}", since.rule, since.words());
            }
        }
        out
    }
}

/// A policy change's view with the sentence that says what changed.
#[derive(serde::Serialize)]
#[serde(transparent)]
pub struct PolicyChanged {
    pub view: PolicySet,
    #[serde(skip)]
    pub change: String,
}

impl Text for PolicyChanged {
    fn to_text(&self) -> String {
        let project = &self.view.project;
        format!(
            "{project}: {}\n(applies to contributions logged from now on; `fairshare revalue {project}` re-values past ones)\n",
            self.change
        )
    }
}

impl Text for Revalued {
    fn to_text(&self) -> String {
        if self.changed.is_empty() {
            return format!(
                "{}: every contribution already has its current value\n",
                self.project
            );
        }
        let mut out = format!(
            "{}: re-valued {} contributions\n",
            self.project,
            self.changed.len()
        );
        let mut table = Table::new(&["contribution", "value"]).right(&[0, 1]);
        for change in &self.changed {
            table.row(vec![change.contribution.to_string(), change.value.clone()]);
        }
        out.push_str(&table.render("  "));
        out
    }
}

// ---------------------------------------------------------------------------------------------
// Contributions and shares

fn minted_line(minted: Option<&MintOut>) -> String {
    minted
        .map(|m| format!("minted {} {} to {}\n", m.tokens, m.token, m.to))
        .unwrap_or_default()
}

impl Text for Logged {
    fn to_text(&self) -> String {
        let status = match self.status.as_str() {
            "pending" => format!("pending (0 of {} approvals)", self.approvals_required),
            _ if self.gift => format!("{}, a gift (no claim)", self.status),
            other => other.to_string(),
        };
        format!(
            "contribution {}: {} {} by {}, value {} {}, {status}{}\n",
            self.contribution,
            self.project,
            self.kind,
            self.agent,
            self.value,
            self.currency,
            if self.replayed {
                " (already logged with this key: nothing new recorded)"
            } else {
                ""
            }
        ) + &minted_line(self.minted.as_ref())
    }
}

impl Text for Reviewed {
    fn to_text(&self) -> String {
        let mut out = format!("contribution {}: {}", self.contribution, self.status);
        match self.status.as_str() {
            "pending" => {
                let _ = write!(
                    out,
                    " ({} of {} approvals)",
                    self.approvals.len(),
                    self.approvals_required
                );
            }
            "approved" => out.push_str(" (it counts now)"),
            _ => {}
        }
        if let Some(reason) = &self.reason {
            let _ = write!(out, ": {reason}");
        }
        out.push('\n');
        out + &minted_line(self.minted.as_ref())
    }
}

fn what(row: &ContributionRow) -> String {
    let mut what = row.kind.clone();
    if let Some(category) = &row.category {
        let _ = write!(what, " {category}");
    }
    if let Some(hours) = &row.hours {
        let _ = write!(what, " {hours} h");
    }
    if let Some(rate) = &row.rate {
        let _ = write!(what, " x {rate}");
    }
    if let Some(amount) = &row.amount {
        let _ = write!(what, " {amount}");
    }
    if row.reimbursable {
        what.push_str(" (reimbursable)");
    }
    if row.gift {
        what.push_str(" (gift)");
    }
    what
}

impl Text for ContributionsOut {
    fn to_text(&self) -> String {
        let mut table =
            Table::new(&["id", "date", "agent", "what", "value", "status"]).right(&[0, 4]);
        for row in &self.contributions {
            table.row(vec![
                row.id.to_string(),
                row.date.clone(),
                row.agent.clone(),
                what(row),
                row.value.clone(),
                row.status.clone(),
            ]);
        }
        let what = format!("contributions in {}", self.project);
        let (shown, page) = (self.contributions.len(), &self.page);
        table.render("") + &count_line("", shown, page.total, &what, page.offset)
    }
}

impl Text for ContributionRow {
    fn to_text(&self) -> String {
        let mut out = format!(
            "contribution {} on {}: {} by {} in {}, value {}, {}\n",
            self.id,
            self.date,
            what(self),
            self.agent,
            self.project,
            self.value,
            self.status
        );
        if !self.approvals.is_empty() {
            let _ = writeln!(out, "  approved by {}", self.approvals.join(", "));
        }
        if let Some(reason) = &self.reason {
            let _ = writeln!(out, "  reason: {reason}");
        }
        if let Some(note) = &self.note {
            let _ = writeln!(out, "  note: {note}");
        }
        out
    }
}

fn formula_text(shares: &SharesOut) -> String {
    if shares.shares.is_empty() {
        return format!(
            "{}: no counted contributions yet (as of {})\n",
            shares.project, shares.as_of
        );
    }
    let mut out = format!(
        "{} shares as of {}: total value {} {}\n",
        shares.project, shares.as_of, shares.total, shares.currency
    );
    let mut table = Table::new(&["agent", "value", "share"]).right(&[1, 2]);
    for row in &shares.shares {
        table.row(vec![
            row.agent.clone(),
            row.value.clone(),
            fairshare_ops::percent_text(&row.share),
        ]);
    }
    out.push_str(&table.render("  "));
    out.push_str(&more_line(
        shares.offset,
        shares.shares.len(),
        shares.agents,
    ));
    out
}

impl Text for SharesAnswer {
    fn to_text(&self) -> String {
        match self {
            SharesAnswer::Formula(shares) => formula_text(shares),
            SharesAnswer::Blended(blended) => crate::peer_cmd::blended_text(blended),
        }
    }
}

// ---------------------------------------------------------------------------------------------
// Plans, revenue, statements, balances

impl Text for PlanOut {
    fn to_text(&self) -> String {
        let mut out = format!(
            "{} plan version {}{}: every incoming amount goes, in order,\n",
            self.project,
            self.version,
            if self.version == self.current_version {
                " (current)".to_string()
            } else {
                format!(" (current is {})", self.current_version)
            }
        );
        for bucket in &self.buckets {
            let _ = writeln!(out, "  {}. {}", bucket.bucket, bucket.words);
        }
        let _ = writeln!(out, "  then whatever is left to {}", self.rest_to);
        out
    }
}

/// What a distribution held in the project's bank and what the bank released into it.
fn bank_text(heading: &mut String, [held, released]: [&Option<String>; 2], currency: &str) {
    if let Some(held) = held {
        let _ = writeln!(heading, "  held in the bank: {held} {currency}");
    }
    if let Some(released) = released {
        let _ = writeln!(
            heading,
            "  released from the bank: {released} {currency}, paid out below with the rest of the plan"
        );
    }
}

pub(crate) fn statement_text(
    heading: String,
    lines: &[LineOut],
    payouts: &BTreeMap<String, String>,
) -> String {
    let mut out = heading;
    let mut table = Table::new(&["bucket", "rule", "to", "amount"]).right(&[0, 3]);
    for line in lines {
        table.row(vec![
            line.bucket.to_string(),
            line.bucket_label.clone(),
            line.to.clone(),
            line.amount.clone(),
        ]);
    }
    out.push_str(&table.render("  "));
    out.push_str("payouts:\n");
    let mut table = Table::new(&["to", "amount"]).right(&[1]);
    for (name, amount) in payouts {
        table.row(vec![name.clone(), amount.clone()]);
    }
    out.push_str(&table.render("  "));
    out
}

impl Text for RevenueOut {
    fn to_text(&self) -> String {
        let mut heading = String::new();
        if self.preview {
            heading
                .push_str("preview: nothing was recorded; this is what the revenue would do now\n");
        }
        let _ = writeln!(
            heading,
            "distribution {}: {} {} into {} by plan version {}",
            self.distribution, self.amount, self.currency, self.project, self.plan_version
        );
        if self.replayed {
            heading.push_str(
                "(this key was already used for this request: this is the first result, nothing new recorded)\n",
            );
        }
        bank_text(&mut heading, [&self.held, &self.released], &self.currency);
        statement_text(heading, &self.lines, &self.payouts)
    }
}

impl Text for StatementOut {
    fn to_text(&self) -> String {
        let mut heading = format!(
            "distribution {} on {}: {} {} into {} by plan version {}\n",
            self.distribution,
            self.date,
            self.amount,
            self.currency,
            self.project,
            self.plan_version
        );
        if let Some(from) = &self.from {
            let _ = writeln!(heading, "  from: {from}");
        }
        if let Some(key) = &self.key {
            let _ = writeln!(heading, "  key:  {key}");
        }
        bank_text(&mut heading, [&self.held, &self.released], &self.currency);
        let text = statement_text(heading, &self.lines, &self.payouts);
        match &self.lines_page {
            None => text,
            Some(page) => {
                let shown = self.lines.len();
                text + &count_line("", shown, page.total, "lines", page.offset)
            }
        }
    }
}

impl Text for DistributionsOut {
    fn to_text(&self) -> String {
        let mut table = Table::new(&["id", "date", "amount", "plan", "key", "from"]).right(&[0, 2]);
        for d in &self.distributions {
            table.row(vec![
                d.distribution.to_string(),
                d.date.clone(),
                format!("{} {}", d.amount, d.currency),
                format!("v{}", d.plan_version),
                or_dash(d.key.as_deref()),
                or_dash(d.from.as_deref()),
            ]);
        }
        let what = format!("distributions of {}", self.project);
        let (shown, page) = (self.distributions.len(), &self.page);
        table.render("") + &count_line("", shown, page.total, &what, page.offset)
    }
}

impl Text for BalancesOut {
    fn to_text(&self) -> String {
        if self.balances.is_empty() {
            return "no balances yet: revenue has not been distributed\n".to_string();
        }
        let mut table = Table::new(&["account", "balance", "asset"]).right(&[1]);
        for (name, assets) in &self.balances {
            if assets.is_empty() {
                table.row(vec![name.clone(), "0".to_string(), String::new()]);
            }
            for (asset, amount) in assets {
                table.row(vec![name.clone(), amount.clone(), asset.clone()]);
            }
        }
        let mut out = table.render("");
        if let (Some(offset), Some(total)) = (self.offset, self.total) {
            out.push_str(&more_line(offset, self.balances.len(), total));
        }
        out
    }
}

// ---------------------------------------------------------------------------------------------
// The log

impl Text for VerifyOut {
    fn to_text(&self) -> String {
        let mut text = match &self.problem {
            None => format!(
                "ok: {} events, hash chain and every outcome check out\nhead {}\n",
                self.events, self.head
            ),
            Some(problem) => format!(
                "event {}: {}\nverify failed: {} events before it are sound (head {})\n",
                problem.seq, problem.message, self.events, self.head
            ),
        };
        if !self.snapshots_checked.is_empty() {
            let events: Vec<String> = self.snapshots_checked.iter().map(u64::to_string).collect();
            text.push_str(&format!(
                "snapshots at events {} match the replay\n",
                events.join(", ")
            ));
        }
        for ignored in &self.snapshots_ignored {
            text.push_str(&format!(
                "snapshot at event {} ignored: {}\n",
                ignored.seq, ignored.reason
            ));
        }
        text
    }
    fn exit_code(&self) -> u8 {
        if self.ok { 0 } else { EXIT_CORRUPT }
    }
}

impl Text for LogOut {
    fn to_text(&self) -> String {
        let mut table = Table::new(&["seq", "time", "actor", "op", "key", "hash"]).right(&[0]);
        for e in &self.events {
            table.row(vec![
                e.seq.to_string(),
                e.recorded_at.clone(),
                e.actor.clone(),
                e.op.clone(),
                or_dash(e.key.as_deref()),
                short(&e.hash).to_string(),
            ]);
        }
        let shown = self.events.len();
        table.render("") + &count_line("", shown, self.head as usize, "events", self.offset)
    }
}

impl Text for FoundOut {
    fn to_text(&self) -> String {
        if self.events.is_empty() {
            return "no event matches\n".to_string();
        }
        let mut table = Table::new(&["seq", "time", "what happened"]).right(&[0]);
        for e in &self.events {
            table.row(vec![
                e.seq.to_string(),
                e.recorded_at.clone(),
                e.sentence.clone(),
            ]);
        }
        let more = match self.older {
            Some(older) => format!(" (older: --before {older})"),
            None => String::new(),
        };
        let shown = self.events.len();
        let events = if shown == 1 { "event" } else { "events" };
        table.render("") + &format!("{shown} {events} of {}, newest first{more}\n", self.head)
    }
}
