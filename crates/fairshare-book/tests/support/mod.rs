//! The scenario runner: turns the steps of a scenario file (the shared fixture format, see
//! tests/scenarios/README in the repository docs) into fairshare commands, runs them through
//! `Book::execute` exactly as the CLI does, and compares every expected amount.

#![allow(dead_code)]

use std::collections::BTreeMap;

use fairshare_book::{Book, Executed, verify};
use fairshare_core::{
    Bucket, Command, HatchSpec, Kind, OPERATOR, Outcome, PercentOf, Plan, Role, Share,
    format_amount, parse_amount,
};
use fairshare_store::Store;
use serde_json::{Map, Value as Json};

pub const RECORDED_AT: &str = "2026-11-21T12:00:00Z";

pub struct Runner {
    pub book: Book,
    /// Currency of each project and token symbol, with its exponent.
    assets: BTreeMap<String, (String, u32)>,
    /// The asset that plain names in expectations refer to (the last project's currency).
    current_asset: Option<(String, u32)>,
    pub steps_run: usize,
    /// Contributions and distributions by the `id` their step gives them ("c-dev", "d1").
    named: BTreeMap<String, u64>,
    /// The time of the step being run: its `at`, or [`RECORDED_AT`].
    at: String,
    /// The step being run must be refused (`expect_refused`) and change nothing.
    refusing: bool,
}

fn text(step: &Map<String, Json>, field: &str) -> String {
    match step.get(field) {
        Some(Json::String(s)) => s.clone(),
        Some(Json::Number(n)) => n.to_string(),
        Some(Json::Bool(b)) => b.to_string(),
        other => panic!("step {step:?}: field {field} missing or not text ({other:?})"),
    }
}

fn opt_text(step: &Map<String, Json>, field: &str) -> Option<String> {
    step.get(field).map(|_| text(step, field))
}

impl Runner {
    pub fn new(store: Box<dyn Store>) -> Runner {
        Runner {
            book: Book::open(store).expect("open"),
            assets: BTreeMap::new(),
            current_asset: None,
            steps_run: 0,
            named: BTreeMap::new(),
            at: RECORDED_AT.to_string(),
            refusing: false,
        }
    }

    /// Runs a command at the step's time. When the step expects a refusal, checks that it is
    /// refused and that the book did not change, and answers an empty result.
    fn execute(&mut self, actor: &str, command: Command, key: Option<&str>) -> Executed {
        if !self.refusing {
            return self
                .book
                .execute(actor, &command, key, &self.at)
                .unwrap_or_else(|e| panic!("{} refused: {e}", command.op()));
        }
        let (head, before) = (self.book.state().head(), self.book.state().clone());
        let result = self.book.execute(actor, &command, key, &self.at);
        assert!(
            result.is_err(),
            "{} by {actor} was not refused",
            command.op()
        );
        assert_eq!(
            self.book.state().head(),
            head,
            "a refused {} was recorded",
            command.op()
        );
        assert!(
            *self.book.state() == before,
            "a refused {} changed the state",
            command.op()
        );
        Executed {
            seq: head,
            actor: actor.to_string(),
            outcome: Outcome::Done,
            replayed: true,
        }
    }

    fn project_asset(&mut self, project: &str) -> (String, u32) {
        let asset = self
            .assets
            .get(project)
            .cloned()
            .unwrap_or_else(|| panic!("unknown project {project}"));
        self.current_asset = Some(asset.clone());
        asset
    }

    /// Runs every step of a scenario file, checking each expectation.
    pub fn run(&mut self, scenario: &Json) {
        self.run_before(scenario, None);
    }

    /// Runs the steps of a scenario file up to (not including) the first step of op `stop`
    /// (every step when `None`), checking each expectation, then verifies the book.
    pub fn run_before(&mut self, scenario: &Json, stop: Option<&str>) {
        let steps = scenario["steps"].as_array().expect("steps");
        let until = steps
            .iter()
            .position(|step| stop.is_some() && step["op"].as_str() == stop)
            .unwrap_or(steps.len());
        for (index, step) in steps[..until].iter().enumerate() {
            let step = step.as_object().expect("step object");
            let repeat = step.get("repeat").and_then(Json::as_u64).unwrap_or(1);
            self.at = opt_text(step, "at").unwrap_or_else(|| RECORDED_AT.to_string());
            self.refusing = step
                .get("expect_refused")
                .and_then(Json::as_bool)
                .unwrap_or(false);
            let mut received = BTreeMap::new();
            for _ in 0..repeat {
                received = self.step(step);
            }
            let context = format!("step {} ({})", index + 1, text(step, "op"));
            self.check(step, &received, &context);
            self.steps_run += 1;
        }
        let report = verify(self.book.store_mut()).expect("verify runs");
        assert!(
            report.ok(),
            "verify after the scenario: {:?}",
            report.problem
        );
    }

    /// Runs one step; returns what each name received in it (amounts in minor units, by asset).
    fn step(&mut self, step: &Map<String, Json>) -> BTreeMap<(String, String), i128> {
        let before = self.balances();
        let op = text(step, "op");
        let key = opt_text(step, "key");
        let executed = match op.as_str() {
            "agent" | "project" | "rate" | "skill" | "multiplier" | "contribute" | "plan"
            | "revenue" => {
                let command = self.core_command(&op, step);
                if op == "revenue" && step.get("preview").and_then(Json::as_bool) == Some(true) {
                    return self.preview(command, step);
                }
                self.execute(OPERATOR, command, key.as_deref())
            }
            "release_bank" => {
                let project = text(step, "project");
                self.project_asset(&project);
                self.execute(OPERATOR, Command::ReleaseBank { project }, key.as_deref())
            }
            "estimate" => {
                self.estimate_step(step);
                return BTreeMap::new();
            }
            op if GOVERNANCE_OPS.contains(&op) => self.governance_step(op, step, key.as_deref()),
            op if MEMBERSHIP_OPS.contains(&op) => self.membership_step(op, step, key.as_deref()),
            "campaign" | "pledge" | "cancel" | "purchase" | "fees" | "use" | "expect_resource" => {
                match self.resource_step(&op, step, key.as_deref()) {
                    Some(executed) => executed,
                    None => return BTreeMap::new(),
                }
            }
            op if PEER_OPS.contains(&op) => self.peer_step(op, step, key.as_deref()),
            // --- tokens ---
            "transfer" if !step.contains_key("token") => {
                match self.treasury_step(&op, step, key.as_deref()) {
                    Some(executed) => executed,
                    None => return BTreeMap::new(),
                }
            }
            "token" | "presale" | "buy" | "redeem" | "donate" | "transfer" | "accept"
            | "pay_with_token" => self.token_step(&op, step, key.as_deref()),
            "adjust" | "reverse" | "corrections" => match self.correction_step(&op, step) {
                Some(executed) => executed,
                None => return BTreeMap::new(),
            },
            op if TREASURY_OPS.contains(&op) => {
                match self.treasury_step(op, step, key.as_deref()) {
                    Some(executed) => executed,
                    None => return BTreeMap::new(),
                }
            }
            other => panic!("scenario op {other:?} is not supported yet"),
        };
        self.remember(&op, step, &executed);
        let mut received = self.received(&executed, &before);
        self.token_received(&executed, &mut received);
        received
    }

    /// A `revenue` step with `"preview": true`: decides the revenue on the current state as
    /// `PreviewRevenue` does (the operator, the next sequence number) without recording it,
    /// and returns what each account would receive. `"expect_unchanged": true` checks that
    /// the book (head, last hash and every balance) is as it was.
    fn preview(
        &self,
        command: Command,
        step: &Map<String, Json>,
    ) -> BTreeMap<(String, String), i128> {
        let state = self.book.state();
        let (head, hash, balances) = (
            state.head(),
            self.book.last_hash().to_string(),
            self.balances(),
        );
        let date = fairshare_core::Date::parse(RECORDED_AT).expect("date");
        let ctx = fairshare_core::Ctx::new(head + 1, OPERATOR, date);
        let outcome = state
            .decide(&ctx, &command)
            .unwrap_or_else(|e| panic!("preview refused: {e}"));
        let Outcome::Distributed { lines, .. } = outcome else {
            panic!("a preview decided {outcome:?}")
        };
        let (asset, _) = self.current_asset.clone().expect("project");
        let mut received = BTreeMap::new();
        for line in lines {
            *received
                .entry((line.to.to_string(), asset.clone()))
                .or_default() += line.amount;
        }
        if step.get("expect_unchanged").and_then(Json::as_bool) == Some(true) {
            assert_eq!(self.book.state().head(), head, "a preview records nothing");
            assert_eq!(self.book.last_hash(), hash, "a preview records nothing");
            assert_eq!(self.balances(), balances, "a preview moves nothing");
        }
        received
    }

    /// The command of a core step (`agent`, `project`, `rate`, `skill`, `multiplier`,
    /// `contribute`, `plan`, `revenue`): also what a proposal's `change` step proposes.
    fn core_command(&mut self, op: &str, step: &Map<String, Json>) -> Command {
        match op {
            "agent" => Command::AddAgent {
                handle: text(step, "handle"),
                name: None,
                role: text(step, "role").parse::<Role>().expect("role"),
            },
            "project" => {
                let slug = text(step, "slug");
                let currency = text(step, "currency");
                let exponent = step["exponent"].as_u64().expect("exponent") as u32;
                self.assets
                    .insert(slug.clone(), (currency.clone(), exponent));
                Command::AddProject {
                    slug,
                    name: None,
                    currency,
                    exponent,
                    approvals: 0,
                }
            }
            "rate" => Command::SetRate {
                project: text(step, "project"),
                category: text(step, "category"),
                per_hour: text(step, "per_hour"),
            },
            // A blend is a peer step, and a rule a proposal may change.
            "blend" => Command::SetBlend {
                project: text(step, "project"),
                formula: text(step, "formula"),
                peer: text(step, "peer"),
                steward: text(step, "steward"),
            },
            "skill" => Command::SetSkill {
                project: text(step, "project"),
                agent: text(step, "agent"),
                factor: text(step, "factor"),
            },
            "multiplier" => Command::SetMultiplier {
                project: text(step, "project"),
                kind: text(step, "kind").parse::<Kind>().expect("kind"),
                factor: text(step, "factor"),
            },
            "contribute" => {
                let project = text(step, "project");
                self.project_asset(&project);
                let kind = text(step, "kind").parse::<Kind>().expect("kind");
                Command::Log {
                    project,
                    agent: text(step, "agent"),
                    kind,
                    category: opt_text(step, "category"),
                    hours: opt_text(step, "hours"),
                    amount: opt_text(step, "amount"),
                    rate: opt_text(step, "rate"),
                    value: opt_text(step, "value"),
                    date: None,
                    note: None,
                    gift: step.get("gift").and_then(Json::as_bool).unwrap_or(false),
                    reimbursable: step
                        .get("reimbursable")
                        .and_then(Json::as_bool)
                        .unwrap_or(false),
                }
            }
            "plan" => {
                let buckets = step["buckets"]
                    .as_array()
                    .expect("buckets")
                    .iter()
                    .map(scenario_bucket)
                    .collect();
                Command::SetPlan {
                    project: text(step, "project"),
                    plan: Plan { buckets },
                }
            }
            "revenue" => {
                let project = text(step, "project");
                self.project_asset(&project);
                Command::Revenue {
                    project,
                    amount: text(step, "amount"),
                    from: None,
                }
            }
            other => panic!("{other:?} is not a core op"),
        }
    }

    /// Steps of shared resources (printer.json). Returns None for pure checks.
    fn resource_step(
        &mut self,
        op: &str,
        step: &Map<String, Json>,
        key: Option<&str>,
    ) -> Option<Executed> {
        let command = match op {
            "campaign" => {
                let project = text(step, "project");
                let asset = self.project_asset(&project);
                self.assets.insert(text(step, "id"), asset);
                Command::OpenCampaign {
                    id: text(step, "id"),
                    project,
                    target: text(step, "target"),
                    purpose: opt_text(step, "purpose"),
                }
            }
            "pledge" => {
                self.campaign_asset(&text(step, "campaign"));
                Command::Pledge {
                    campaign: text(step, "campaign"),
                    agent: text(step, "agent"),
                    amount: text(step, "amount"),
                }
            }
            "cancel" => {
                self.campaign_asset(&text(step, "campaign"));
                Command::CancelCampaign {
                    campaign: text(step, "campaign"),
                }
            }
            "purchase" => {
                let campaign = text(step, "campaign");
                let asset = self.campaign_asset(&campaign);
                self.assets.insert(text(step, "resource"), asset);
                Command::Purchase {
                    campaign,
                    resource: text(step, "resource"),
                    premium_percent: text(step, "premium_percent"),
                }
            }
            "fees" => {
                let split = step["split"]
                    .as_object()
                    .expect("split")
                    .iter()
                    .map(|(to, percent)| fairshare_core::SplitShare {
                        to: to.clone(),
                        percent: percent.as_str().expect("percent").parse().expect("percent"),
                    })
                    .collect();
                Command::SetFees {
                    resource: text(step, "resource"),
                    per_hour: text(step, "per_hour"),
                    material_per_unit: opt_text(step, "material_per_unit"),
                    technician_per_hour: opt_text(step, "technician_per_hour"),
                    community_per_hour: opt_text(step, "community_per_hour"),
                    split,
                    material_to: opt_text(step, "material_to"),
                    after_payback: opt_text(step, "after_payback"),
                    community_roles: step
                        .get("community_roles")
                        .map(|roles| serde_json::from_value(roles.clone()).expect("roles"))
                        .unwrap_or_default(),
                }
            }
            "use" => {
                self.campaign_asset(&text(step, "resource"));
                Command::UseResource {
                    resource: text(step, "resource"),
                    agent: text(step, "agent"),
                    hours: text(step, "hours"),
                    material_units: opt_text(step, "material_units"),
                    technician: opt_text(step, "technician"),
                    technician_hours: opt_text(step, "technician_hours"),
                    community: !step
                        .get("commercial")
                        .and_then(Json::as_bool)
                        .unwrap_or(true),
                    from_balance: false,
                }
            }
            "expect_resource" => {
                let resource = self
                    .book
                    .state()
                    .resource(&text(step, "resource"))
                    .expect("resource");
                assert_eq!(
                    resource.status.as_str(),
                    text(step, "status"),
                    "status of {}",
                    resource.name
                );
                return None;
            }
            other => panic!("not a resource op: {other}"),
        };
        Some(self.execute(OPERATOR, command, key))
    }

    /// Makes a campaign's or resource's currency the current asset.
    fn campaign_asset(&mut self, name: &str) -> (String, u32) {
        let asset = self
            .assets
            .get(name)
            .cloned()
            .unwrap_or_else(|| panic!("unknown campaign or resource {name}"));
        self.current_asset = Some(asset.clone());
        asset
    }

    /// All balances, by (account, asset).
    pub fn balances(&self) -> BTreeMap<(String, String), i128> {
        let mut all = BTreeMap::new();
        for (account, assets) in self.book.state().ledger().accounts() {
            for (asset, amount) in assets {
                all.insert((account.to_string(), asset.clone()), *amount);
            }
        }
        all
    }

    /// What each name received: a distribution's payouts when the step distributed (also when
    /// an idempotent retry replayed it), otherwise the change of every balance.
    fn received(
        &self,
        executed: &Executed,
        before: &BTreeMap<(String, String), i128>,
    ) -> BTreeMap<(String, String), i128> {
        let mut received = BTreeMap::new();
        if let Outcome::Distributed { id, .. } = &executed.outcome {
            let distribution = self.book.state().distribution(*id).expect("distribution");
            for (name, amount) in distribution.payouts() {
                received.insert((name.to_string(), distribution.asset.clone()), amount);
            }
            return received;
        }
        for (key, after) in self.balances() {
            let delta = after - before.get(&key).copied().unwrap_or(0);
            if delta != 0 {
                received.insert(key, delta);
            }
        }
        received
    }

    /// Splits `name` or `name:SYMBOL` into the account and its asset.
    fn asset_of(&self, name: &str) -> (String, String, u32) {
        match name.split_once(':') {
            Some((account, symbol)) => {
                let exponent = self
                    .assets
                    .values()
                    .find(|(code, _)| code == symbol)
                    .map(|(_, e)| *e)
                    .unwrap_or_else(|| panic!("unknown asset {symbol}"));
                (account.to_string(), symbol.to_string(), exponent)
            }
            None => {
                let (asset, exponent) = self
                    .current_asset
                    .clone()
                    .expect("a project was used before this expectation");
                (name.to_string(), asset, exponent)
            }
        }
    }

    fn check(
        &self,
        step: &Map<String, Json>,
        received: &BTreeMap<(String, String), i128>,
        context: &str,
    ) {
        // The corrections report's `expect` is checked by its step.
        // So is a closed proposal's tally.
        let amounts = step
            .get("expect")
            .filter(|_| step["op"] != "corrections" && step["op"] != "close_proposal");
        if let Some(expect) = amounts.and_then(Json::as_object) {
            for (name, amount) in expect {
                let (account, asset, exponent) = self.asset_of(name);
                let expected = parse_amount(amount.as_str().expect("amount text"), exponent)
                    .expect("expected amount");
                let got = received
                    .get(&(account.clone(), asset.clone()))
                    .copied()
                    .unwrap_or(0);
                assert_eq!(
                    format_amount(got, exponent),
                    format_amount(expected, exponent),
                    "{context}: {name} received"
                );
            }
        }
        if let Some(expect) = step.get("expect_balances").and_then(Json::as_object) {
            for (name, amount) in expect {
                let (account, asset, exponent) = self.asset_of(name);
                let expected = parse_amount(amount.as_str().expect("amount text"), exponent)
                    .expect("expected amount");
                let got = self.book.state().ledger().balance(&account, &asset);
                assert_eq!(
                    format_amount(got, exponent),
                    format_amount(expected, exponent),
                    "{context}: balance of {name}"
                );
            }
        }
        self.check_peer(step, context);
        self.check_supply(step, context);
        self.book
            .state()
            .ledger()
            .audit()
            .unwrap_or_else(|e| panic!("{context}: ledger audit: {e}"));
    }
}

// --- governance (issue 14) ---

/// Scenario ops that `membership_step` runs: each is its command's name.
const MEMBERSHIP_OPS: [&str; 7] = [
    "request_join",
    "admit_agent",
    "decline_join",
    "set_role",
    "propose_project",
    "admit_project",
    "decline_project",
];

impl Runner {
    /// Runs a membership step as its `by` (default: the operator, who may also be a stranger
    /// asking to join as themself): the step's other fields are its command's, by their JSON
    /// names (`{"op": "request_join", "by": "zoe", "handle": "zoe"}`).
    fn membership_step(
        &mut self,
        op: &str,
        step: &Map<String, Json>,
        key: Option<&str>,
    ) -> Executed {
        let by = opt_text(step, "by").unwrap_or_else(|| OPERATOR.to_string());
        let fields: Map<String, Json> = step
            .iter()
            .filter(|(name, _)| !matches!(name.as_str(), "op" | "by" | "key" | "expect_refused"))
            .map(|(name, value)| (name.clone(), value.clone()))
            .collect();
        let mut tagged = Map::new();
        tagged.insert(op.to_string(), Json::Object(fields));
        let command: Command = serde_json::from_value(Json::Object(tagged))
            .unwrap_or_else(|e| panic!("scenario step {op}: {e}"));
        // A proposed project's currency, for the steps that name the project.
        if let Command::ProposeProject {
            slug,
            currency,
            exponent,
            ..
        } = &command
        {
            self.assets
                .insert(slug.clone(), (currency.clone(), *exponent));
        }
        self.execute(&by, command, key)
    }
}

/// Scenario ops that `governance_step` runs.
const GOVERNANCE_OPS: [&str; 4] = ["governance", "propose", "vote", "close_proposal"];

impl Runner {
    /// Runs a governance step as its `by` (default: the operator): `governance` (a project's
    /// settings), `propose` (`id`, `title`, one `change` or a list of `changes`, each a core
    /// step; `expect_weights`: every voter and their weight), `vote` (`proposal`, `vote`,
    /// `reason`), `close_proposal` (`expect`: its `status` and tally).
    fn governance_step(
        &mut self,
        op: &str,
        step: &Map<String, Json>,
        key: Option<&str>,
    ) -> Executed {
        let by = opt_text(step, "by").unwrap_or_else(|| OPERATOR.to_string());
        let number = |field: &str| step.get(field).map(|n| n.as_u64().expect("days") as u32);
        let command = match op {
            "governance" => Command::SetGovernance {
                project: opt_text(step, "project"),
                mode: serde_json::from_value(step["mode"].clone()).expect("mode"),
                quorum: opt_text(step, "quorum"),
                threshold: opt_text(step, "threshold"),
                notice_days: number("notice_days"),
                voting_days: number("voting_days"),
                weight: step
                    .get("weight")
                    .map(|w| serde_json::from_value(w.clone()).expect("weight")),
            },
            "propose" => {
                let steps: Vec<Json> = match (step.get("change"), step.get("changes")) {
                    (Some(change), _) => vec![change.clone()],
                    (None, Some(Json::Array(changes))) => changes.clone(),
                    _ => panic!("a propose step needs a change"),
                };
                let changes = steps
                    .iter()
                    .map(|change| {
                        let change = change.as_object().expect("change object");
                        self.core_command(&text(change, "op"), change)
                    })
                    .collect();
                Command::Propose {
                    id: opt_text(step, "id"),
                    project: opt_text(step, "project"),
                    title: text(step, "title"),
                    changes,
                }
            }
            "vote" => Command::Vote {
                proposal: text(step, "proposal"),
                vote: serde_json::from_value(step["vote"].clone()).expect("vote"),
                reason: opt_text(step, "reason"),
            },
            "close_proposal" => Command::CloseProposal {
                proposal: text(step, "proposal"),
            },
            other => panic!("{other:?} is not a governance op"),
        };
        let executed = self.execute(&by, command, key);
        self.check_governance(op, step, &executed);
        executed
    }

    /// Checks a proposal's voters (`expect_weights`) and a closed one's tally (`expect`).
    fn check_governance(&self, op: &str, step: &Map<String, Json>, executed: &Executed) {
        let value = |text: &Json| {
            fairshare_core::Value::parse(text.as_str().expect("value text")).expect("value")
        };
        if let (Some(expect), Outcome::Proposed { id, voters, .. }) = (
            step.get("expect_weights").and_then(Json::as_object),
            &executed.outcome,
        ) {
            let got: BTreeMap<&str, fairshare_core::Value> = voters
                .iter()
                .map(|v| (v.agent.as_str(), v.weight))
                .collect();
            let want: BTreeMap<&str, fairshare_core::Value> = expect
                .iter()
                .map(|(agent, w)| (agent.as_str(), value(w)))
                .collect();
            assert_eq!(got, want, "{op} {id}: the voters and their weights");
        }
        if op != "close_proposal" || self.refusing {
            return;
        }
        let Some(expect) = step.get("expect").and_then(Json::as_object) else {
            return;
        };
        let Outcome::ProposalClosed { passed, tally, .. } = &executed.outcome else {
            panic!("close_proposal answered {:?}", executed.outcome);
        };
        let status = if *passed { "passed" } else { "rejected" };
        assert_eq!(expect["status"].as_str(), Some(status), "{op}: status");
        for (field, got) in [
            ("yes", tally.yes),
            ("no", tally.no),
            ("abstain", tally.abstain),
            ("eligible", tally.eligible),
        ] {
            assert_eq!(got, value(&expect[field]), "{op}: {field}");
        }
    }
}

// --- forecasts (issue 15) ---

impl Runner {
    /// An `estimate` step: checks what `agent` would receive from `revenue` now (and with
    /// `hours` more of `category`) against `expect`, a plain amount; it records nothing.
    fn estimate_step(&mut self, step: &Map<String, Json>) {
        let project = text(step, "project");
        let (_, exponent) = self.project_asset(&project);
        let (head, before) = (self.book.state().head(), self.balances());
        let state = self.book.state();
        let date = fairshare_core::Timestamp::parse(RECORDED_AT)
            .expect("time")
            .date();
        let ctx = fairshare_core::Ctx::new(head + 1, OPERATOR, date);
        let (hours, category) = (opt_text(step, "hours"), opt_text(step, "category"));
        let work = hours.as_deref().map(|hours| fairshare_core::MoreWork {
            category: category.as_deref().expect("category with hours"),
            hours,
        });
        let agent = text(step, "agent");
        let estimate = state
            .estimate(&ctx, &project, &agent, &text(step, "revenue"), work)
            .unwrap_or_else(|e| panic!("estimate refused: {e}"));
        let got = match &estimate.with_work {
            Some((_, planned)) => planned.received,
            None => estimate.now.received,
        };
        assert_eq!(
            format_amount(got, exponent),
            text(step, "expect"),
            "estimate for {agent} in {project}"
        );
        assert_eq!(
            self.book.state().head(),
            head,
            "an estimate records nothing"
        );
        assert_eq!(self.balances(), before, "an estimate moves nothing");
    }
}

// --- corrections (issue 13) ---

impl Runner {
    /// Remembers the numeric id of a contribution or distribution whose step names it, and
    /// checks a contribution's `expect_value`.
    fn remember(&mut self, op: &str, step: &Map<String, Json>, executed: &Executed) {
        let id = match (op, &executed.outcome) {
            ("contribute", Outcome::Logged { id, .. }) => *id,
            ("revenue", Outcome::Distributed { id, .. }) => *id,
            _ => return,
        };
        if let Some(expected) = opt_text(step, "expect_value") {
            self.check_value(id, &expected, op);
        }
        if let Some(name) = opt_text(step, "id") {
            self.named.insert(name, id);
        }
    }

    /// A contribution's or distribution's number, from its name in the scenario or as written.
    fn named_id(&self, name: &str) -> u64 {
        self.named
            .get(name)
            .copied()
            .or_else(|| name.parse().ok())
            .unwrap_or_else(|| panic!("no step named {name:?}"))
    }

    fn check_value(&self, id: u64, expected: &str, context: &str) {
        let state = self.book.state();
        let contribution = state.contribution(id).expect("contribution");
        let exponent = state
            .project(&contribution.project)
            .expect("project")
            .exponent;
        assert_eq!(
            contribution.value.display(exponent),
            expected,
            "{context}: value of contribution {id}"
        );
    }

    /// Runs a correction step as its `by` (default the operator): `adjust` (`contribution`,
    /// `hours` / `amount` / `value`, `reason`, `expect_value`), `reverse` (`contribution`,
    /// `reason`), or checks the `corrections` report of `project` against `expect` =
    /// {distribution: {agent: {received, corrected}}} (an account it does not name must have
    /// received what it would have with the corrections). None for the report.
    fn correction_step(&mut self, op: &str, step: &Map<String, Json>) -> Option<Executed> {
        let by = opt_text(step, "by").unwrap_or_else(|| OPERATOR.to_string());
        let key = opt_text(step, "key");
        let command = match op {
            "adjust" | "reverse" => {
                let id = self.named_id(&text(step, "contribution"));
                let reason = text(step, "reason");
                if op == "reverse" {
                    Command::Reverse { id, reason }
                } else {
                    Command::Adjust {
                        id,
                        hours: opt_text(step, "hours"),
                        amount: opt_text(step, "amount"),
                        value: opt_text(step, "value"),
                        reason,
                    }
                }
            }
            _ => {
                self.check_corrections(step);
                return None;
            }
        };
        let contribution = self.named_id(&text(step, "contribution"));
        let executed = self.execute(&by, command, key.as_deref());
        if let Some(expected) = opt_text(step, "expect_value") {
            self.check_value(contribution, &expected, op);
        }
        Some(executed)
    }

    fn check_corrections(&mut self, step: &Map<String, Json>) {
        let project = text(step, "project");
        let (_, report) = fairshare_book::corrections_report(self.book.store_mut(), &project)
            .expect("corrections report");
        let expect = step["expect"].as_object().expect("expect");
        let by_id: BTreeMap<u64, &fairshare_book::CorrectedDistribution> =
            report.iter().map(|d| (d.id, d)).collect();
        assert_eq!(
            by_id.keys().copied().collect::<Vec<_>>(),
            expect
                .keys()
                .map(|name| self.named_id(name))
                .collect::<Vec<_>>(),
            "corrections of {project}: the distributions reported"
        );
        for (name, agents) in expect {
            let distribution = by_id[&self.named_id(name)];
            let agents = agents.as_object().expect("agents");
            let exponent = distribution.exponent;
            for (account, (received, corrected)) in &distribution.accounts {
                let (want_received, want_corrected) = match agents.get(account) {
                    Some(row) => (
                        parse_amount(row["received"].as_str().expect("received"), exponent)
                            .expect("amount"),
                        parse_amount(row["corrected"].as_str().expect("corrected"), exponent)
                            .expect("amount"),
                    ),
                    None => (*received, *received),
                };
                assert_eq!(
                    (
                        format_amount(*received, exponent),
                        format_amount(*corrected, exponent)
                    ),
                    (
                        format_amount(want_received, exponent),
                        format_amount(want_corrected, exponent)
                    ),
                    "corrections of {name}: {account} received, corrected"
                );
            }
            for agent in agents.keys() {
                assert!(
                    distribution.accounts.contains_key(agent),
                    "corrections of {name}: {agent} is not in the report"
                );
            }
        }
    }
}

// --- treasury (issue 13) ---

/// Scenario ops that `treasury_step` runs (and `transfer` without a `token`).
const TREASURY_OPS: [&str; 7] = [
    "payout",
    "approve_payout",
    "reject_payout",
    "expense",
    "approve_expense",
    "reject_expense",
    "exchange",
];

impl Runner {
    /// Runs a treasury step as `by` (default: the operator). With `expect_refused` the step
    /// must be refused and change nothing (see `execute`); it then returns None.
    fn treasury_step(
        &mut self,
        op: &str,
        step: &Map<String, Json>,
        key: Option<&str>,
    ) -> Option<Executed> {
        let id = || text(step, "id");
        let command = match op {
            "payout" => Command::RequestPayout {
                id: opt_text(step, "id"),
                agent: text(step, "agent"),
                amount: text(step, "amount"),
                asset: opt_text(step, "asset"),
                reference: text(step, "reference"),
            },
            "approve_payout" => Command::ApprovePayout { id: id() },
            "reject_payout" => Command::RejectPayout {
                id: id(),
                reason: text(step, "reason"),
            },
            "expense" => Command::SubmitExpense {
                id: opt_text(step, "id"),
                account: text(step, "account"),
                amount: text(step, "amount"),
                asset: opt_text(step, "asset"),
                purpose: text(step, "for"),
                payee: opt_text(step, "payee"),
                receipt: opt_text(step, "receipt"),
            },
            "approve_expense" => Command::ApproveExpense { id: id() },
            "reject_expense" => Command::RejectExpense {
                id: id(),
                reason: text(step, "reason"),
            },
            "transfer" => Command::TransferMoney {
                from: text(step, "from"),
                to: text(step, "to"),
                amount: text(step, "amount"),
                asset: opt_text(step, "asset"),
                reason: text(step, "reason"),
            },
            "exchange" => Command::Exchange {
                account: text(step, "account"),
                amount: text(step, "amount"),
                from_asset: text(step, "from_asset"),
                to_asset: text(step, "to_asset"),
                rate: text(step, "rate"),
                reference: opt_text(step, "reference"),
            },
            other => panic!("{other:?} is not a treasury op"),
        };
        let by = opt_text(step, "by").unwrap_or_else(|| OPERATOR.into());
        let executed = self.execute(&by, command, key);
        (!self.refusing).then_some(executed)
    }
}

// --- peer valuation (issue 8) ---

/// Scenario ops that `peer_step` runs.
const PEER_OPS: [&str; 8] = [
    "bounty",
    "complete",
    "peer_round",
    "steward",
    "blend",
    "allocate_pool",
    "leaver_policy",
    "leave",
];

impl Runner {
    /// Runs a peer-valuation step: `bounty`, `complete` (as the custodian in `approved_by`),
    /// `peer_round` (open, every giver's gifts as the giver, close), `steward` (one award per
    /// allocation, as `by`), `blend`, `allocate_pool`. Returns the last command's result.
    fn peer_step(&mut self, op: &str, step: &Map<String, Json>, key: Option<&str>) -> Executed {
        let project = text(step, "project");
        self.project_asset(&project);
        match op {
            "bounty" => self.execute(
                OPERATOR,
                Command::AddBounty {
                    project,
                    task: text(step, "task"),
                    reward: text(step, "reward"),
                    description: opt_text(step, "description"),
                },
                key,
            ),
            "complete" => {
                let actor = opt_text(step, "approved_by").unwrap_or_else(|| OPERATOR.into());
                self.execute(
                    &actor,
                    Command::CompleteBounty {
                        project,
                        task: text(step, "task"),
                        agent: text(step, "agent"),
                    },
                    key,
                )
            }
            "peer_round" => {
                let opened = self.execute(
                    OPERATOR,
                    Command::OpenRound {
                        project,
                        budget: step.get("budget").map(|b| b.as_u64().expect("budget")),
                        eligible: None,
                    },
                    None,
                );
                let Outcome::RoundOpened { round, .. } = opened.outcome else {
                    panic!("open_round gave {:?}", opened.outcome)
                };
                let gifts = step.get("gifts").and_then(Json::as_object);
                for (from, gifts) in gifts.into_iter().flatten() {
                    for (to, points) in gifts.as_object().expect("gifts of one giver") {
                        self.execute(
                            from,
                            Command::Give {
                                round,
                                from: from.clone(),
                                to: to.clone(),
                                points: points.as_u64().expect("points"),
                            },
                            None,
                        );
                    }
                }
                self.execute(OPERATOR, Command::CloseRound { round }, key)
            }
            "steward" => {
                let by = opt_text(step, "by").unwrap_or_else(|| OPERATOR.into());
                let reason = text(step, "reason");
                let allocations = step["allocations"].as_object().expect("allocations");
                let mut last = None;
                for (agent, points) in allocations {
                    last = Some(self.execute(
                        &by,
                        Command::StewardGive {
                            project: project.clone(),
                            agent: agent.clone(),
                            points: points.as_u64().expect("points"),
                            reason: reason.clone(),
                        },
                        None,
                    ));
                }
                last.expect("a steward step gives some points")
            }
            "blend" => {
                let command = self.core_command("blend", step);
                self.execute(OPERATOR, command, key)
            }
            "allocate_pool" => self.execute(
                OPERATOR,
                Command::AllocatePool {
                    project,
                    pool: text(step, "pool"),
                },
                key,
            ),
            "leaver_policy" => self.execute(
                OPERATOR,
                Command::SetLeaverPolicy {
                    project,
                    enabled: step["enabled"].as_bool().expect("enabled"),
                },
                key,
            ),
            "leave" => self.execute(
                OPERATOR,
                Command::Leave {
                    project,
                    agent: text(step, "agent"),
                    good: step["good"].as_bool().expect("good"),
                },
                key,
            ),
            other => unreachable!("{other} is not a peer op"),
        }
    }

    /// `expect_peer_shares` (the project's latest closed round) and `expect_shares` (blended
    /// shares), compared as exact rationals.
    fn check_peer(&self, step: &Map<String, Json>, context: &str) {
        let state = self.book.state();
        let exact = |text: &Json| Share::parse(text.as_str().expect("share text")).expect("share");
        if let Some(expect) = step.get("expect_peer_shares").and_then(Json::as_object) {
            let project = text(step, "project");
            let round = state
                .latest_closed_round(&project)
                .unwrap_or_else(|| panic!("{context}: no closed round in {project}"));
            let shares = &round.closed.as_ref().expect("closed").shares;
            for (agent, expected) in expect {
                let got = shares
                    .iter()
                    .find(|s| s.agent == *agent)
                    .map(|s| s.share.clone())
                    .unwrap_or_else(Share::zero);
                let expected = exact(expected);
                assert!(
                    got == expected,
                    "{context}: peer share of {agent} is {got}, expected {expected}"
                );
            }
        }
        if let Some(expect) = step.get("expect_shares").and_then(Json::as_object) {
            let project = text(step, "project");
            let date = fairshare_core::Date::parse(RECORDED_AT).expect("date");
            let report = state
                .blended_shares(&project, date)
                .unwrap_or_else(|e| panic!("{context}: blended shares: {e}"));
            for (agent, expected) in expect {
                let got = report
                    .rows
                    .iter()
                    .find(|r| r.agent == *agent)
                    .map(|r| r.blended.clone())
                    .unwrap_or_else(Share::zero);
                let expected = exact(expected);
                assert!(
                    got == expected,
                    "{context}: blended share of {agent} is {got}, expected {expected}"
                );
            }
        }
    }
}

// --- tokens ---
//
// Steps: `token` (CreateToken; a project it names that no `project` step created is added
// first, with the step's `currency`/`exponent` or CAD with exponent 2, as tokens.json expects
// for `hatch`), `presale`, `buy`, `redeem` (`agent` may be a project slug), `donate`,
// `transfer`, `accept` (AcceptToken) and `pay_with_token` (`to_project`). Plain names in their
// expectations are amounts in the token's project currency (for `pay_with_token`, the
// accepting project's); `expect.value` is what a payment is worth to the accepting project;
// `expect_supply` maps a symbol to its supply.
impl Runner {
    fn token_step(&mut self, op: &str, step: &Map<String, Json>, key: Option<&str>) -> Executed {
        let command = match op {
            "token" => {
                let project = text(step, "project");
                if !self.assets.contains_key(&project) {
                    let currency = opt_text(step, "currency").unwrap_or_else(|| "CAD".into());
                    let exponent = step
                        .get("currency_exponent")
                        .and_then(Json::as_u64)
                        .unwrap_or(2) as u32;
                    self.assets
                        .insert(project.clone(), (currency.clone(), exponent));
                    self.execute(
                        OPERATOR,
                        Command::AddProject {
                            slug: project.clone(),
                            name: None,
                            currency,
                            exponent,
                            approvals: 0,
                        },
                        None,
                    );
                }
                self.project_asset(&project);
                let symbol = text(step, "symbol");
                let exponent = step["exponent"].as_u64().expect("exponent") as u32;
                self.assets
                    .insert(symbol.clone(), (symbol.clone(), exponent));
                let hatch = step.get("hatch").map(|hatch| {
                    let hatch = hatch.as_object().expect("hatch object");
                    HatchSpec {
                        raised: text(hatch, "raised"),
                        price: text(hatch, "price"),
                        tribute_percent: opt_text(hatch, "tribute_percent"),
                        holder: opt_text(hatch, "holder"),
                    }
                });
                Command::CreateToken {
                    project,
                    symbol,
                    exponent,
                    mint_per_value: opt_text(step, "mint_per_value"),
                    redemption: text(step, "redemption").parse().expect("redemption"),
                    exit_fee_percent: opt_text(step, "exit_fee_percent"),
                    entry_tribute_percent: opt_text(step, "entry_tribute_percent"),
                    exit_tribute_percent: opt_text(step, "exit_tribute_percent"),
                    funding_to: opt_text(step, "funding_to"),
                    curve_exponent: step
                        .get("curve_exponent")
                        .map(|k| k.as_u64().expect("curve_exponent") as u32),
                    hatch,
                    retro: step.get("retro").and_then(Json::as_bool).unwrap_or(false),
                }
            }
            "presale" => {
                self.token_asset(&text(step, "token"));
                Command::Presale {
                    token: text(step, "token"),
                    agent: text(step, "agent"),
                    amount: text(step, "amount"),
                    price: text(step, "price"),
                }
            }
            "buy" => {
                self.token_asset(&text(step, "token"));
                Command::Buy {
                    token: text(step, "token"),
                    agent: text(step, "agent"),
                    amount: text(step, "amount"),
                }
            }
            "redeem" => {
                self.token_asset(&text(step, "token"));
                Command::Redeem {
                    token: text(step, "token"),
                    agent: text(step, "agent"),
                    tokens: text(step, "tokens"),
                }
            }
            "donate" => {
                self.token_asset(&text(step, "token"));
                Command::Donate {
                    token: text(step, "token"),
                    agent: text(step, "agent"),
                    amount: text(step, "amount"),
                }
            }
            "transfer" => {
                self.token_asset(&text(step, "token"));
                Command::Transfer {
                    token: text(step, "token"),
                    from: text(step, "from"),
                    to: text(step, "to"),
                    tokens: text(step, "tokens"),
                }
            }
            "accept" => {
                self.project_asset(&text(step, "project"));
                Command::AcceptToken {
                    project: text(step, "project"),
                    token: text(step, "token"),
                    rate: text(step, "rate"),
                }
            }
            "pay_with_token" => {
                let project = text(step, "to_project");
                self.project_asset(&project);
                Command::PayWithToken {
                    token: text(step, "token"),
                    from: text(step, "from"),
                    project,
                    tokens: text(step, "tokens"),
                }
            }
            other => panic!("{other:?} is not a token op"),
        };
        self.execute(OPERATOR, command, key)
    }

    /// Makes the token's project currency the asset of plain names in expectations.
    fn token_asset(&mut self, symbol: &str) {
        let project = self
            .book
            .state()
            .token(symbol)
            .unwrap_or_else(|e| panic!("{e}"))
            .project
            .clone();
        self.project_asset(&project);
    }

    /// Adds `value` (what a payment in tokens is worth to the accepting project) to what a
    /// step received.
    fn token_received(&self, executed: &Executed, received: &mut BTreeMap<(String, String), i128>) {
        if let Outcome::TokenPaid { value, .. } = &executed.outcome {
            let (asset, _) = self.current_asset.clone().expect("accepting project");
            received.insert(("value".to_string(), asset), *value);
        }
    }

    fn check_supply(&self, step: &Map<String, Json>, context: &str) {
        let Some(expect) = step.get("expect_supply").and_then(Json::as_object) else {
            return;
        };
        for (symbol, amount) in expect {
            let token = self
                .book
                .state()
                .token(symbol)
                .unwrap_or_else(|e| panic!("{context}: {e}"));
            let expected = parse_amount(amount.as_str().expect("amount text"), token.exponent)
                .expect("expected supply");
            let supply = token.supply();
            assert_eq!(
                format_amount(supply, token.exponent),
                format_amount(expected, token.exponent),
                "{context}: supply of {symbol}"
            );
            // Invariant 2: supply = minted - burned = the sum of holder balances.
            let held: i128 = self
                .book
                .state()
                .token_holders(symbol)
                .expect("holders")
                .iter()
                .map(|h| h.balance)
                .sum();
            assert_eq!(
                held, supply,
                "{context}: holders of {symbol} hold the supply"
            );
            assert_eq!(
                -self.book.state().ledger().balance("outside", symbol),
                supply,
                "{context}: {symbol} outside the network"
            );
        }
    }
}

/// A bucket of the scenario format: `{"reimburse": {...}}`, `{"percent": "10", "of": ..., "to": ...}`,
/// `{"contributors": {...}}`, `{"fixed": "100.00", "to": ...}`.
/// A plan from a scenario's `buckets` array.
pub fn scenario_plan(buckets: &Json) -> Plan {
    Plan {
        buckets: buckets
            .as_array()
            .expect("buckets")
            .iter()
            .map(scenario_bucket)
            .collect(),
    }
}

fn scenario_bucket(bucket: &Json) -> Bucket {
    let map = bucket.as_object().expect("bucket object");
    let kinds = |value: Option<&Json>| -> Vec<Kind> {
        value
            .and_then(Json::as_array)
            .map(|kinds| {
                kinds
                    .iter()
                    .map(|k| k.as_str().expect("kind").parse().expect("kind"))
                    .collect()
            })
            .unwrap_or_default()
    };
    if let Some(reimburse) = map.get("reimburse") {
        let kinds = kinds(reimburse.get("kinds"));
        return Bucket::Reimburse {
            kinds: if kinds.is_empty() {
                vec![Kind::Cash, Kind::Material]
            } else {
                kinds
            },
        };
    }
    if let Some(contributors) = map.get("contributors") {
        return Bucket::Contributors {
            kinds: kinds(contributors.get("kinds")),
            categories: vec![],
            from: None,
            to: None,
            percent: None,
        };
    }
    if map.contains_key("percent") {
        let of = match map.get("of").and_then(Json::as_str) {
            Some("remaining") => PercentOf::Remaining,
            _ => PercentOf::Gross,
        };
        return Bucket::Percent {
            percent: text(map, "percent").parse().expect("percent"),
            of,
            to: text(map, "to"),
        };
    }
    if let Some(bank) = map.get("bank") {
        return Bucket::Bank {
            until: bank["until"].as_str().expect("until").to_string(),
        };
    }
    let percent = |bucket: &Json| {
        bucket
            .get("percent")
            .map(|p| p.as_str().expect("percent").parse().expect("percent"))
    };
    if let Some(blended) = map.get("blended") {
        return Bucket::Blended {
            percent: percent(blended),
        };
    }
    if let Some(units) = map.get("units") {
        return Bucket::Units {
            project: units["project"].as_str().expect("project").to_string(),
            percent: percent(units),
        };
    }
    if map.contains_key("fixed") {
        return Bucket::Fixed {
            amount: text(map, "fixed"),
            to: text(map, "to"),
        };
    }
    panic!("unknown bucket {bucket}")
}

/// The scenarios this runner plays in full; the others in `tests/scenarios` wait for the
/// capabilities they describe (treasury, governance, forecasts) and join this list as those land.
pub const RUNNABLE: &[&str] = &[
    "forillon",
    "printer",
    "startup",
    "tokens",
    "corrections",
    "treasury",
    "forecast",
    "phantom",
    "retro",
    "governance",
    "membership",
    "blend_notice",
];

pub fn load(name: &str) -> Json {
    let path = format!("{}/tests/scenarios/{name}.json", env!("CARGO_MANIFEST_DIR"));
    let text = std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{path}: {e}"));
    serde_json::from_str(&text).expect("scenario JSON")
}
