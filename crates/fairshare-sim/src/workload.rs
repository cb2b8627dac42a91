//! What the simulated members ask for: every kind of command, valid and invalid, from many
//! actors, drawn from the seed. Commands are written as the JSON the log stores (one shape,
//! checked by `every_template_parses`), so the workload reads like the events it makes.

use fairshare_core::{Command, OPERATOR, Role, State};
use serde_json::{Value, json};

use crate::rng::Rng;

/// Custodians, affiliates and an observer: who the network starts with.
pub const FOUNDERS: [(&str, Role); 7] = [
    ("ana", Role::Custodian),
    ("bob", Role::Custodian),
    ("cleo", Role::Affiliate),
    ("dev", Role::Affiliate),
    ("eve", Role::Affiliate),
    ("fay", Role::Affiliate),
    ("gus", Role::Observer),
];
/// People who ask to join during a run, and a handle nobody has.
const NEWCOMERS: [&str; 3] = ["hal", "ivy", "nobody"];
/// `p` pays at once; `q` needs an approval per contribution and may be governed by proposals.
const PROJECTS: [&str; 3] = ["p", "q", "missing"];
const CATEGORIES: [&str; 3] = ["build", "design", "unrated"];

/// One request the workload makes: who asks, what, and its idempotency key.
#[derive(Debug, Clone)]
pub struct Ask {
    pub actor: String,
    pub command: Command,
    pub key: String,
}

/// The commands that set the network up, by the operator.
pub fn setup() -> Vec<Command> {
    let mut commands: Vec<Command> = FOUNDERS
        .iter()
        .map(|(handle, role)| Command::add_agent(handle, *role))
        .collect();
    commands.push(parse(
        json!({"add_project": {"slug": "p", "currency": "CAD", "exponent": 2}}),
    ));
    commands.push(parse(
        json!({"add_project": {"slug": "q", "currency": "EUR", "exponent": 2, "approvals": 1}}),
    ));
    for (project, category, rate) in [
        ("p", "build", "45.00"),
        ("p", "design", "30.50"),
        ("q", "build", "20.00"),
    ] {
        commands.push(Command::set_rate(project, category, rate));
    }
    commands.push(plan("p", 0));
    commands
}

fn parse(value: Value) -> Command {
    serde_json::from_value(value.clone()).unwrap_or_else(|error| {
        panic!("the workload wrote a command the core cannot read: {error}: {value}")
    })
}

/// Names that exist in the book when a request is drawn.
#[derive(Default)]
struct Known {
    campaigns: Vec<String>,
    resources: Vec<String>,
    tokens: Vec<String>,
    rounds: Vec<String>,
}

/// The generator: the seed's stream and the names the run has used so far.
pub struct Workload {
    rng: Rng,
    known: Known,
    keys_made: u64,
    campaigns: u64,
    payouts: u64,
    expenses: u64,
    proposals: u64,
    bounties: u64,
}

impl Workload {
    pub fn new(seed: u64) -> Workload {
        Workload {
            rng: Rng::new(seed ^ 0x5EED),
            known: Known::default(),
            keys_made: 0,
            campaigns: 0,
            payouts: 0,
            expenses: 0,
            proposals: 0,
            bounties: 0,
        }
    }

    /// The next request, drawn mostly among what exists in `state` (ids, campaigns, machines,
    /// tokens) so that deep paths are reached, and now and then among what does not.
    pub fn next(&mut self, state: &State) -> Ask {
        self.known = Known {
            campaigns: state.campaigns().map(|c| c.id.clone()).collect(),
            resources: state.resources().map(|r| r.name.clone()).collect(),
            tokens: state.tokens().map(|t| t.symbol.clone()).collect(),
            rounds: ["p", "q"]
                .iter()
                .flat_map(|project| state.peer_rounds(project).map(|round| round.id.to_string()))
                .collect(),
        };
        let (actor, value) = self.draw(state.head());
        self.keys_made += 1;
        Ask {
            actor,
            command: parse(value),
            key: format!("sim-{}", self.keys_made),
        }
    }

    fn agent(&mut self) -> &'static str {
        if self.rng.chance(30) {
            return self.rng.pick(&NEWCOMERS);
        }
        self.rng.pick(&FOUNDERS).0
    }

    /// A custodian most of the time, anyone otherwise (refused by role).
    fn steward(&mut self) -> String {
        match self.rng.below(10) {
            0..=4 => OPERATOR.to_string(),
            5..=7 => self.rng.pick(&["ana", "bob"]).to_string(),
            _ => self.agent().to_string(),
        }
    }

    fn project(&mut self) -> &'static str {
        if self.rng.chance(30) {
            "missing"
        } else {
            self.rng.pick(&PROJECTS[..2])
        }
    }

    /// Mostly valid amounts, sometimes refused ones.
    fn amount(&mut self, cents_max: u64) -> String {
        match self.rng.below(40) {
            0 => "-5.00".into(),
            1 => "1.005".into(),
            2 => "abc".into(),
            3 => "0".into(),
            _ => {
                let cents = 1 + self.rng.below(cents_max);
                format!("{}.{:02}", cents / 100, cents % 100)
            }
        }
    }

    fn hours(&mut self) -> String {
        match self.rng.below(30) {
            0 => "-1".into(),
            1 => "0".into(),
            2 => "1.1234567".into(),
            _ => format!(
                "{}.{}",
                1 + self.rng.below(12),
                self.rng.pick(&["0", "25", "5", "75"])
            ),
        }
    }

    fn id(&mut self, events: u64) -> u64 {
        1 + self.rng.below(events.max(1) + 2)
    }

    /// One of the names made so far (`prefix1`…), or now and then one never made.
    fn named(&mut self, prefix: &str, made: u64) -> String {
        if made == 0 || self.rng.chance(80) {
            return format!("{prefix}0");
        }
        // The newest names are the busiest: half the draws go to the last three.
        let number = if self.rng.chance(500) {
            made - self.rng.below(made.min(3))
        } else {
            1 + self.rng.below(made)
        };
        format!("{prefix}{number}")
    }

    /// One of `names` mostly, `absent` otherwise (refused as unknown).
    fn existing(&mut self, names: fn(&Known) -> &Vec<String>, absent: &str) -> String {
        let list = names(&self.known);
        if list.is_empty() || self.rng.below(100) < 12 {
            return absent.to_string();
        }
        let index = self.rng.below(list.len() as u64) as usize;
        names(&self.known)[index].clone()
    }

    /// A member who may vote or give: rarely the observer or a stranger.
    fn member(&mut self) -> &'static str {
        if self.rng.chance(100) {
            self.agent()
        } else {
            self.rng.pick(&FOUNDERS[..6]).0
        }
    }

    fn draw(&mut self, events: u64) -> (String, Value) {
        match self.rng.weighted(&[30, 10, 12, 22, 10, 12, 10, 8, 4]) {
            0 => self.contribution(),
            1 => self.approval(events),
            2 => self.revenue(),
            3 => self.resource(),
            4 => self.token(),
            5 => self.peer(events),
            6 => self.treasury(),
            7 => self.governance(),
            _ => self.membership(events),
        }
    }

    fn contribution(&mut self) -> (String, Value) {
        let (project, agent) = (self.project(), self.agent());
        let actor = if self.rng.chance(600) {
            agent.to_string()
        } else {
            self.steward()
        };
        let body = match self.rng.below(4) {
            0 | 1 => {
                let category = self.rng.pick(&CATEGORIES);
                json!({"project": project, "agent": agent, "kind": "work", "category": category, "hours": self.hours()})
            }
            2 => {
                let reimbursable = self.rng.chance(500);
                json!({"project": project, "agent": agent, "kind": "cash", "amount": self.amount(50_000), "reimbursable": reimbursable})
            }
            _ => {
                json!({"project": project, "agent": agent, "kind": "material", "amount": self.amount(20_000)})
            }
        };
        (actor, json!({ "log": body }))
    }

    fn approval(&mut self, events: u64) -> (String, Value) {
        let id = self.id(events);
        let actor = self.steward();
        let reason = "simulated";
        let value = match self.rng.below(7) {
            0 => json!({"reject": {"id": id, "reason": reason}}),
            1 => json!({"reverse": {"id": id, "reason": reason}}),
            2 => json!({"adjust": {"id": id, "hours": self.hours(), "reason": reason}}),
            3 => json!({"approve_correction": {"id": 1 + self.rng.below(4)}}),
            _ => json!({"approve": {"id": id}}),
        };
        (actor, value)
    }

    fn revenue(&mut self) -> (String, Value) {
        let project = self.project();
        let actor = self.steward();
        let value = match self.rng.below(10) {
            0 => serde_json::to_value(plan(project, self.rng.below(4))).expect("a plan serialises"),
            1 => json!({"release_bank": {"project": project}}),
            2 => {
                json!({"set_skill": {"project": project, "agent": self.agent(), "factor": self.rng.pick(&["2", "0.5", "-1"]).to_string()}})
            }
            _ => json!({"revenue": {"project": project, "amount": self.amount(500_000)}}),
        };
        (actor, value)
    }

    fn resource(&mut self) -> (String, Value) {
        let project = self.project();
        let campaign = self.existing(|k| &k.campaigns, "camp0");
        let resource = self.existing(|k| &k.resources, "tool0");
        // A purchase names a new machine most of the time.
        let bought = format!("tool{}", self.rng.below(6));
        let agent = self.agent();
        let value = match self.rng.below(8) {
            0 => {
                self.campaigns += 1;
                json!({"open_campaign": {"id": format!("camp{}", self.campaigns), "project": project, "target": self.amount(60_000)}})
            }
            1 | 2 => {
                json!({"pledge": {"campaign": campaign, "agent": agent, "amount": self.amount(100_000)}})
            }
            3 => {
                json!({"purchase": {"campaign": campaign, "resource": bought, "premium_percent": "20"}})
            }
            4 => {
                json!({"set_fees": {"resource": resource, "per_hour": self.amount(5_000), "split": [{"to": "owners", "percent": "80"}, {"to": "p-fund", "percent": "20"}]}})
            }
            5 => json!({"cancel_campaign": {"campaign": campaign}}),
            _ => {
                json!({"use_resource": {"resource": resource, "agent": agent, "hours": self.hours()}})
            }
        };
        let actor = if value.get("pledge").is_some() || value.get("use_resource").is_some() {
            agent.to_string()
        } else {
            self.steward()
        };
        (actor, value)
    }

    fn token(&mut self) -> (String, Value) {
        // One token per project, named for it (`ZT` never exists).
        let symbol = self.existing(|k| &k.tokens, "ZT");
        let (agent, other) = (self.agent(), self.agent());
        let value = match self.rng.below(9) {
            0 => {
                let project = self.project();
                let symbol = format!("{}T", project[..1].to_uppercase());
                // A NAV token sells by pre-sale; a curve token needs a hatch and sells by buy.
                if self.rng.chance(500) {
                    json!({"create_token": {"project": project, "symbol": symbol, "exponent": 2, "redemption": "nav"}})
                } else {
                    json!({"create_token": {"project": project, "symbol": symbol, "exponent": 2, "redemption": "curve", "entry_tribute_percent": "5", "exit_tribute_percent": "5", "hatch": {"raised": "1000.00", "price": "1.00"}}})
                }
            }
            1..=3 => {
                json!({"buy": {"token": symbol, "agent": agent, "amount": self.amount(100_000)}})
            }
            4 | 5 => {
                json!({"redeem": {"token": symbol, "agent": agent, "tokens": self.amount(50_000)}})
            }
            6 => {
                json!({"transfer": {"token": symbol, "from": agent, "to": other, "tokens": self.amount(20_000)}})
            }
            7 => {
                json!({"donate": {"token": symbol, "agent": agent, "amount": self.amount(10_000)}})
            }
            _ => {
                json!({"presale": {"token": symbol, "agent": agent, "amount": self.amount(10_000), "price": "1.00"}})
            }
        };
        // Money entering from outside (a purchase, a pre-sale, a token's creation) is recorded
        // by custodians; holders redeem, transfer and donate their own.
        let own = ["redeem", "transfer", "donate"]
            .iter()
            .any(|op| value.get(*op).is_some());
        let actor = if own {
            agent.to_string()
        } else {
            self.steward()
        };
        (actor, value)
    }

    fn peer(&mut self, events: u64) -> (String, Value) {
        let project = self.project();
        let (agent, other) = (self.member(), self.member());
        let round: u64 = self
            .existing(|k| &k.rounds, "99")
            .parse()
            .expect("round ids are numbers");
        let task = self.named("task", self.bounties);
        let value = match self.rng.below(9) {
            0 => json!({"open_round": {"project": project, "budget": 100}}),
            1..=3 => {
                json!({"give": {"round": round, "from": agent, "to": other, "points": 1 + self.rng.below(40)}})
            }
            4 => json!({"close_round": {"round": round}}),
            5 => {
                json!({"steward_give": {"project": project, "agent": agent, "points": 1 + self.rng.below(20), "reason": "simulated"}})
            }
            6 => {
                self.bounties += 1;
                json!({"add_bounty": {"project": project, "task": format!("task{}", self.bounties), "reward": self.amount(10_000)}})
            }
            7 => json!({"complete_bounty": {"project": project, "task": task, "agent": agent}}),
            _ => {
                json!({"cite": {"project": project, "agent": agent, "of": self.id(events), "percent": "10"}})
            }
        };
        let actor = if value.get("give").is_some() {
            agent.to_string()
        } else {
            self.steward()
        };
        (actor, value)
    }

    fn treasury(&mut self) -> (String, Value) {
        let agent = self.agent();
        let payout = self.named("po", self.payouts);
        let expense = self.named("ex", self.expenses);
        let value = match self.rng.below(7) {
            0 | 1 => {
                self.payouts += 1;
                json!({"request_payout": {"id": format!("po{}", self.payouts), "agent": agent, "amount": self.amount(30_000), "reference": "simulated"}})
            }
            2 => json!({"approve_payout": {"id": payout}}),
            3 => {
                self.expenses += 1;
                json!({"submit_expense": {"id": format!("ex{}", self.expenses), "account": "p-fund", "amount": self.amount(10_000), "for": "simulated"}})
            }
            4 => json!({"approve_expense": {"id": expense}}),
            5 => json!({"reject_payout": {"id": payout, "reason": "simulated"}}),
            _ => {
                json!({"transfer_money": {"from": "p-fund", "to": "infra", "amount": self.amount(10_000), "reason": "simulated"}})
            }
        };
        let actor = if self.rng.chance(500) {
            agent.to_string()
        } else {
            self.steward()
        };
        (actor, value)
    }

    fn governance(&mut self) -> (String, Value) {
        let proposal = self.named("prop", self.proposals);
        let voter = self.member();
        let value = match self.rng.below(8) {
            0 => {
                let mode = self.rng.pick(&["direct", "proposals"]);
                json!({"set_governance": {"project": "q", "mode": mode, "quorum": "30", "threshold": "50", "notice_days": 0, "voting_days": 3}})
            }
            1 | 2 => {
                self.proposals += 1;
                let rate = format!("{}.00", 10 + self.rng.below(40));
                json!({"propose": {"id": format!("prop{}", self.proposals), "project": "q", "title": "a new rate", "changes": [{"set_rate": {"project": "q", "category": "build", "per_hour": rate}}]}})
            }
            3..=5 => {
                json!({"vote": {"proposal": proposal, "vote": self.rng.pick(&["yes", "yes", "no", "abstain"])}})
            }
            6 => json!({"close_proposal": {"proposal": proposal}}),
            _ => json!({"withdraw_proposal": {"proposal": proposal}}),
        };
        let actor = if value.get("vote").is_some() || self.rng.chance(400) {
            voter.to_string()
        } else {
            self.steward()
        };
        (actor, value)
    }

    fn membership(&mut self, events: u64) -> (String, Value) {
        let handle = self.rng.pick(&NEWCOMERS);
        let value = match self.rng.below(5) {
            0 => {
                return (
                    handle.to_string(),
                    json!({"request_join": {"handle": handle}}),
                );
            }
            1 => json!({"admit_agent": {"handle": handle}}),
            2 => {
                json!({"set_role": {"handle": self.agent(), "role": self.rng.pick(&["custodian", "affiliate", "observer"])}})
            }
            3 => json!({"add_member": {"project": "q", "agent": self.agent()}}),
            _ => json!({"approve": {"id": self.id(events)}}),
        };
        (self.steward(), value)
    }
}

/// One of a few plans for a project: a bank, blends and funds included.
fn plan(project: &str, which: u64) -> Command {
    let buckets = match which {
        0 => {
            json!([{"type": "reimburse"}, {"type": "percent", "percent": "10", "of": "gross", "to": format!("{project}-fund")}, {"type": "contributors"}])
        }
        1 => {
            json!([{"type": "fixed", "amount": "50.00", "to": "infra"}, {"type": "bank", "until": "800.00"}, {"type": "contributors", "kinds": ["work"]}])
        }
        2 => {
            json!([{"type": "reimburse"}, {"type": "blended", "percent": "50"}, {"type": "contributors"}])
        }
        _ => {
            json!([{"type": "percent", "percent": "120", "to": "infra"}, {"type": "contributors"}])
        }
    };
    parse(json!({"set_plan": {"project": project, "plan": {"bucket": buckets}}}))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_template_parses() {
        // Each draw parses or panics naming its JSON; 5,000 draws reach every arm.
        let mut workload = Workload::new(1);
        let state = State::new();
        for _ in 0..5_000 {
            workload.next(&state);
        }
        assert_eq!(setup().len(), 13);
        for which in 0..4 {
            plan("p", which);
        }
    }
}
