//! What the demo built, read back through the same views every front end answers with: a few
//! lines per capability with its key figures as text, every view whole in JSON.

use std::fmt::Write as _;

use anyhow::Result;
use fairshare_book::Book;
use fairshare_ops::contributions::{Shares, SharesAnswer};
use fairshare_ops::distributions::{BalancesOut, ListBalances, StatementOut};
use fairshare_ops::log::VerifyOut;
use fairshare_ops::peer::{ListPools, PoolOut, RoundShow, ShowRound};
use fairshare_ops::resources::{ResourceShow, ShowResource};
use fairshare_ops::tokens::{ShowToken, TokenShow};
use fairshare_ops::treasury::{ListPayouts, PayoutOut};
use fairshare_ops::{PAGE_LIMIT_MAX, Read, Reading};
use serde::Serialize;

use super::DemoServed;
use crate::error::CliError;
use crate::render::Text;
use fairshare_ops::percent_text;
use fairshare_sim::demo::{
    BLEND_FORMULA, BLEND_PEER, FIRST_DAY, LAST_DAY, PREMIUM_PERCENT, RESOURCE, TOKEN, VENTURE,
};

/// The dashboard pages that show each capability of the demo.
pub const PAGES: [&str; 7] = [
    "/",
    "/projects/forillon",
    "/resources/laser",
    "/tokens/TRACK",
    "/projects/venture/peer",
    "/treasury",
    "/log",
];

#[derive(Serialize)]
pub struct DemoOut {
    pub book: String,
    pub events: u64,
    /// The day of the first and of the last event (the story's dates are fixed).
    pub from: String,
    pub to: String,
    /// The forillon revenue, split by its plan.
    pub statement: StatementOut,
    /// forillon's and tracker's shares.
    pub shares: Vec<SharesAnswer>,
    /// The crowdfunded laser cutter, a commons now.
    pub resource: ResourceShow,
    /// TRACK, with its pre-sale, mints and redemption.
    pub token: TokenShow,
    /// venture's peer round and its pool allocation.
    pub round: RoundShow,
    pub pool: PoolOut,
    /// abran's payout, approved by luc.
    pub payout: PayoutOut,
    pub balances: BalancesOut,
    pub verify: VerifyOut,
    /// How to browse the book.
    pub browse: Browse,
    /// With `--serve`: where it is served and the logins.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub served: Option<DemoServed>,
}

/// The command that serves the book, and the dashboard pages to open.
#[derive(Serialize)]
pub struct Browse {
    pub serve: String,
    pub pages: Vec<&'static str>,
}

/// Reads every view of the report from the demo book, and verifies it.
pub fn report(book: &mut Book, url: &str) -> Result<DemoOut> {
    let state = book.state();
    // Read as on the day of the last event, so that the report is the same on any day.
    let reading = Reading {
        actor: None,
        role: None,
        today: fairshare_core::Date::parse(LAST_DAY)?,
    };
    let statement = StatementOut::of(state, state.distribution(1)?);
    let mut shares = Vec::new();
    for slug in ["forillon", "tracker"] {
        let request = Shares {
            project: slug.to_string(),
            as_of: None,
            blended: None,
            limit: Some(PAGE_LIMIT_MAX),
            offset: None,
        };
        shares.push(request.view(state, &reading)?);
    }
    let resource = ShowResource {
        resource: RESOURCE.into(),
        limit: None,
        offset: None,
    }
    .view(state, &reading)?;
    let token = ShowToken {
        symbol: TOKEN.into(),
        limit: None,
        offset: None,
    }
    .view(state, &reading)?;
    let round = ShowRound { round: 1 }.view(state, &reading)?;
    let pools = ListPools {
        project: VENTURE.into(),
    }
    .view(state, &reading)?;
    let payouts = ListPayouts::default().view(state, &reading)?;
    let balances = ListBalances {
        limit: Some(PAGE_LIMIT_MAX),
        offset: None,
    }
    .view(state, &reading)?;
    let missing = |what: &str| CliError::storage(format!("the demo book has no {what}"));
    let events = state.head();
    let verify = VerifyOut::of(fairshare_book::verify(book.store_mut())?);
    Ok(DemoOut {
        book: url.to_string(),
        events,
        from: FIRST_DAY.to_string(),
        to: LAST_DAY.to_string(),
        statement,
        shares,
        resource,
        token,
        round,
        pool: pools
            .pools
            .into_iter()
            .next()
            .ok_or_else(|| missing("pool"))?,
        payout: payouts
            .payouts
            .into_iter()
            .next()
            .ok_or_else(|| missing("payout"))?,
        balances,
        verify,
        browse: Browse {
            serve: format!("fairshare --book {url} serve"),
            pages: PAGES.to_vec(),
        },
        served: None,
    })
}

impl Text for DemoOut {
    fn to_text(&self) -> String {
        let mut out = format!(
            "demo network in {}: {} events, {} to {}\n",
            self.book, self.events, self.from, self.to
        );
        out.push_str("\n== a contract and its plan: forillon's revenue ==\n");
        out.push_str(&self.statement.to_text());
        out.push_str("\n== contributions valued and reviewed ==\n");
        for shares in &self.shares {
            out.push_str(&shares.to_text());
        }
        out.push_str(&self.machine_text());
        out.push_str(&self.token_text());
        out.push_str(&self.peer_text());
        out.push_str(&self.payout_text());
        out.push_str("\n== verify ==\n");
        out.push_str(&self.verify.to_text());
        out.push_str(&self.browse_text());
        out
    }
    fn exit_code(&self) -> u8 {
        Text::exit_code(&self.verify)
    }
}

/// `agent amount` pairs, comma-separated.
fn pairs<'a>(items: impl Iterator<Item = (&'a str, &'a str)>) -> String {
    items
        .map(|(agent, amount)| format!("{agent} {amount}"))
        .collect::<Vec<_>>()
        .join(", ")
}

impl DemoOut {
    fn machine_text(&self) -> String {
        let r = &self.resource;
        let pledged = pairs(
            r.owners
                .iter()
                .map(|o| (o.agent.as_str(), o.pledge.as_str())),
        );
        let paid = pairs(
            r.owners
                .iter()
                .map(|o| (o.agent.as_str(), o.received.as_str())),
        );
        let commons = self.balance("commons", &r.currency);
        let mut out = format!(
            "\n== a crowdfunded machine: the {} of {} ==\n",
            r.resource, r.project
        );
        let _ = writeln!(
            out,
            "campaign {}: pledged {pledged} {}; bought with a {PREMIUM_PERCENT}% premium",
            r.campaign.as_deref().unwrap_or("-"),
            r.currency
        );
        let _ = writeln!(
            out,
            "{} uses charged {} {}: the co-owners were paid back {paid}",
            r.uses, r.fees_charged, r.currency
        );
        let _ = writeln!(
            out,
            "the {} is a {} now: commons holds {commons} {}",
            r.resource, r.status, r.currency
        );
        out
    }

    fn token_text(&self) -> String {
        let t = &self.token;
        let mut out = format!(
            "\n== a token with a pre-sale: {} of {} ==\n",
            t.token, t.project
        );
        for row in &t.issuance {
            let _ = writeln!(
                out,
                "  {:<16} {:<8} {:>9} {}",
                row.cause, row.holder, row.tokens, t.token
            );
        }
        let _ = writeln!(
            out,
            "supply {} {}, reserve {} {}, redemption price {} {}",
            t.supply,
            t.token,
            t.reserve,
            t.currency,
            t.redemption_price.as_deref().unwrap_or("-"),
            t.currency
        );
        out
    }

    fn peer_text(&self) -> String {
        let (round, pool) = (&self.round, &self.pool);
        let peer = round
            .shares
            .iter()
            .map(|s| format!("{} {}", s.agent, percent_text(&s.share)))
            .collect::<Vec<_>>()
            .join(", ");
        let units = pairs(pool.units.iter().map(|(a, u)| (a.as_str(), u.as_str())));
        let mut out = format!("\n== a peer round and a pool: {} ==\n", round.project);
        let _ = writeln!(
            out,
            "round {} closed {}: {} points given; peer shares {peer}",
            round.round,
            round.closed_on.as_deref().unwrap_or("-"),
            round.total
        );
        let _ = writeln!(
            out,
            "pool {} on {} (key {}): {} {} by blended share ({BLEND_FORMULA} formula, {BLEND_PEER} peer): {units}",
            pool.pool,
            pool.date,
            pool.key.as_deref().unwrap_or("-"),
            pool.size,
            pool.currency
        );
        out
    }

    fn payout_text(&self) -> String {
        let p = &self.payout;
        format!(
            "\n== a payout ==\n{}: {} {} to {} ({}), requested by {}, {} by {}; {} holds {} {} now\n",
            p.id,
            p.amount,
            p.asset,
            p.agent,
            p.reference,
            p.requested_by,
            if p.status == "paid" {
                "approved"
            } else {
                &p.status
            },
            p.reviewed_by.as_deref().unwrap_or("-"),
            p.agent,
            p.balance,
            p.asset
        )
    }

    fn browse_text(&self) -> String {
        let Some(served) = &self.served else {
            return format!(
                "\nbrowse it: {}\n  then open http://{} and {}\n  \
                 (log in after `fairshare --book {} password set luc`; or run `fairshare demo --serve`, which prints a login for each role)\n",
                self.browse.serve,
                crate::server_cmd::ADDR_DEFAULT,
                self.browse.pages[1..].join(", "),
                self.book
            );
        };
        let mut out = format!(
            "\nserving it at {} until stopped; log in at {}/login as:\n",
            served.url, served.url
        );
        for login in &served.logins {
            let _ = writeln!(
                out,
                "  {:<10} {:<6} {}",
                login.role, login.agent, login.password
            );
        }
        let _ = writeln!(out, "pages: {}", self.browse.pages[1..].join(", "));
        out
    }

    /// The balance of `account` in `asset`, as text ("0" when it holds none).
    fn balance(&self, account: &str, asset: &str) -> &str {
        self.balances
            .balances
            .get(account)
            .and_then(|assets| assets.get(asset))
            .map_or("0", String::as_str)
    }
}
