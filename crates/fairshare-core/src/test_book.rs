//! A state under test and its next sequence number, for the capability modules' unit tests:
//! every command runs at one fixed date, and a refused one is checked to change nothing.

use crate::command::{Command, Outcome};
use crate::date::Date;
use crate::error::{DomainError, DomainResult};
use crate::money::format_amount;
use crate::state::{Ctx, State};

pub(crate) struct Book {
    pub state: State,
    pub seq: u64,
}

impl Book {
    pub fn new() -> Book {
        Book {
            state: State::new(),
            seq: 0,
        }
    }

    /// The context of the next event, by `actor`, on 2026-11-21.
    pub fn ctx(&self, actor: &str) -> Ctx {
        Ctx::new(self.seq + 1, actor, Date::parse("2026-11-21").unwrap())
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
        result
    }

    pub fn ok(&mut self, actor: &str, command: Command) -> Outcome {
        self.run(actor, command).unwrap()
    }

    pub fn refused(&mut self, actor: &str, command: Command) -> DomainError {
        self.run(actor, command).unwrap_err()
    }

    /// An account's balance of `asset`, as text.
    pub fn balance(&self, account: &str, asset: &str) -> String {
        let exponent = self.state.asset_exponent(asset).unwrap();
        format_amount(self.state.ledger().balance(account, asset), exponent)
    }
}
