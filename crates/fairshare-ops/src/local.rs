//! Operations on a book this process opens itself (the CLI, tests): the same requests and
//! views as the API, executed in place.

use fairshare_book::Book;
use fairshare_core::OPERATOR;
use fairshare_store::Store;

use crate::clock::Clock;
use crate::error::OpResult;
use crate::op::{Read, Reading, Write};

/// A book opened in this process, with the clock its writes are recorded by.
pub struct Local {
    book: Book,
    clock: Clock,
}

impl Local {
    /// Opens (replays) the book in `store`.
    pub fn open(store: Box<dyn Store>, clock: Clock) -> OpResult<Local> {
        Ok(Local {
            book: Book::open(store)?,
            clock,
        })
    }

    pub fn book(&self) -> &Book {
        &self.book
    }

    pub fn book_mut(&mut self) -> &mut Book {
        &mut self.book
    }

    /// The book, for callers that drive it directly.
    pub fn into_book(self) -> Book {
        self.book
    }

    pub fn clock(&self) -> Clock {
        self.clock
    }

    /// Runs a write as `actor`, with an optional idempotency key, at the clock's time.
    pub fn write<O: Write>(&mut self, actor: &str, key: Option<&str>, op: &O) -> OpResult<O::View> {
        let command = op.command(actor)?;
        self.write_command(actor, key, op, &command)
    }

    /// Runs `command`, built by the caller for `op`, and answers `op`'s view: a proposal
    /// whose changes the CLI captured from its own command line.
    pub fn write_command<O: Write>(
        &mut self,
        actor: &str,
        key: Option<&str>,
        op: &O,
        command: &fairshare_core::Command,
    ) -> OpResult<O::View> {
        let now = self.clock.now_text();
        let executed = self.book.execute(actor, command, key, &now)?;
        op.view(self.book.state(), &executed)
    }

    /// Runs a read as `actor` (the operator, a custodian, when none).
    pub fn read<O: Read>(&self, actor: Option<&str>, op: &O) -> OpResult<O::View> {
        let actor = actor.unwrap_or(OPERATOR);
        let reader = Reading {
            role: self.book.state().role_of(actor).ok(),
            actor: Some(actor.to_string()),
            today: self.clock.today(),
        };
        op.view(self.book.state(), &reader)
    }
}
