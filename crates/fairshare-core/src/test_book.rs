//! A state under test and its next sequence number, for the capability modules' unit tests:
//! every command runs at one fixed date, a refused one is checked to change nothing, and the
//! ledger is audited after each.

use crate::command::{Command, Outcome};
use crate::date::Date;
use crate::error::{DomainError, DomainResult};
use crate::model::{Bucket, OPERATOR, PercentOf, Plan, Role};
use crate::money::format_amount;
use crate::state::{Ctx, State};
use rust_decimal::Decimal;

/// The people of the treasury story: custodians ana and ben, affiliates cleo and dev, observer
/// olga.
const LAB_PEOPLE: [(&str, Role); 5] = [
    ("ana", Role::Custodian),
    ("ben", Role::Custodian),
    ("cleo", Role::Affiliate),
    ("dev", Role::Affiliate),
    ("olga", Role::Observer),
];

pub(crate) struct Book {
    pub state: State,
    pub seq: u64,
    /// Whether every event carries an idempotency key (pool allocations require one).
    pub keyed: bool,
}

impl Book {
    pub fn new() -> Book {
        Book {
            state: State::new(),
            seq: 0,
            keyed: false,
        }
    }

    /// A book whose every event carries a key of its own.
    pub fn keyed() -> Book {
        Book {
            keyed: true,
            ..Book::new()
        }
    }

    /// The context of the next event, by `actor`, on 2026-11-21.
    pub fn ctx(&self, actor: &str) -> Ctx {
        let seq = self.seq + 1;
        Ctx {
            key: self.keyed.then(|| format!("k{seq}")),
            ..Ctx::new(seq, actor, Date::parse("2026-11-21").unwrap())
        }
    }

    /// Decides and applies `command`; a refusal must leave the state as it was.
    pub fn run(&mut self, actor: &str, command: Command) -> DomainResult<Outcome> {
        let ctx = self.ctx(actor);
        let before = self.state.clone();
        let result = self.state.execute(&ctx, &command);
        match &result {
            Ok(_) => self.seq += 1,
            // A refusal changes nothing.
            Err(_) => assert_eq!(
                self.state,
                before,
                "a refused {} changed the state",
                command.op()
            ),
        }
        self.state.ledger().audit().unwrap();
        // Recounting reads the whole table: the books of thousands of events skip it.
        if self.state.contributions().len() <= 512 {
            self.state.recount_project_aggregates().unwrap();
        }
        result
    }

    pub fn ok(&mut self, actor: &str, command: Command) -> Outcome {
        let op = command.op();
        self.run(actor, command)
            .unwrap_or_else(|e| panic!("{op} refused: {e}"))
    }

    /// `command` by the operator, which must be accepted.
    pub fn op(&mut self, command: Command) -> Outcome {
        self.ok(OPERATOR, command)
    }

    pub fn refused(&mut self, actor: &str, command: Command) -> DomainError {
        let op = command.op();
        self.run(actor, command)
            .err()
            .unwrap_or_else(|| panic!("{op} accepted"))
    }

    /// The treasury story before any revenue: [`LAB_PEOPLE`]; project `lab` in CAD requiring
    /// `approvals`, assembly at 30.00 and design at 50.00 an hour, 8% of every revenue to
    /// `maintenance` and the rest by value of work; cleo 20 h assembly (600.00) and dev 6 h
    /// design (300.00), each approved by ana when approvals are required.
    pub fn lab(approvals: u32) -> Book {
        let mut book = Book::new();
        book.add_agents(&LAB_PEOPLE);
        book.op(Command::add_project_approving("lab", "CAD", 2, approvals));
        for (category, rate) in [("assembly", "30.00"), ("design", "50.00")] {
            book.op(Command::set_rate("lab", category, rate));
        }
        book.op(Command::SetPlan {
            project: "lab".into(),
            plan: Plan {
                buckets: vec![
                    Bucket::Percent {
                        percent: Decimal::from(8),
                        of: PercentOf::Gross,
                        to: "maintenance".into(),
                    },
                    Bucket::all_contributors(),
                ],
            },
        });
        for (agent, category, hours) in [("cleo", "assembly", "20"), ("dev", "design", "6")] {
            book.op(Command::log_work("lab", agent, category, hours));
            if approvals > 0 {
                let id = book.state.contributions().len() as u64;
                book.ok("ana", Command::Approve { id });
            }
        }
        book
    }

    /// Adds each agent, by the operator.
    pub fn add_agents(&mut self, agents: &[(&str, Role)]) {
        for &(handle, role) in agents {
            self.op(Command::add_agent(handle, role));
        }
    }

    /// The message of a refusal (`refused` gives the whole error).
    pub fn refuse(&mut self, actor: &str, command: Command) -> String {
        self.refused(actor, command).to_string()
    }

    /// An account's balance of `asset`, as text.
    pub fn balance(&self, account: &str, asset: &str) -> String {
        let exponent = self.state.asset_exponent(asset).unwrap();
        format_amount(self.minor_units(account, asset), exponent)
    }

    /// An account's balance of `asset`, in minor units.
    pub fn minor_units(&self, account: &str, asset: &str) -> i128 {
        self.state.ledger().balance(account, asset)
    }
}
