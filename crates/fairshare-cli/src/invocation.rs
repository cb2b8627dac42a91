//! Where the book lives, who acts, and what time it is: everything the core leaves to its
//! caller. The backend is chosen by `fairshare_ops::backend` from the book's URL; the clock is
//! the one clock of every front end (`FAIRSHARE_NOW` fixes it).

use anyhow::Result;
use fairshare_book::Book;
use fairshare_core::OPERATOR;
use fairshare_ops::backend::{BOOK_DEFAULT, Backend};
use fairshare_ops::log::{Scan, Search};
use fairshare_ops::{Clock, Local, Read, Write};
use fairshare_store::Store;

use crate::args::Global;
use crate::error::{CliError, ErrorKind};
use crate::profiles::Config;
use crate::remote::{Remote, fresh_idempotency_key};

pub use fairshare_ops::backend::Access;

/// The global options of one invocation, and its clock.
pub struct Invocation {
    pub global: Global,
    pub clock: Clock,
    /// Writes are not run but captured: `propose -- COMMAND` runs COMMAND's arm of the CLI
    /// this way to get the core command its request makes ([`Captured`]).
    pub capture: bool,
    /// The server every operation is sent to, in client mode (`--server`, or a profile).
    pub remote: Option<Remote>,
}

/// The command a write would have run, in an invocation that captures writes, and the
/// request that makes it as a proposal's change (what a server is sent).
#[derive(Debug)]
pub struct Captured(
    pub fairshare_core::Command,
    pub Option<fairshare_ops::governance::ProposedChange>,
);

impl std::fmt::Display for Captured {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "a proposed {} is not run", self.0.op())
    }
}

impl std::error::Error for Captured {}

impl Invocation {
    pub fn new(global: Global) -> Result<Invocation> {
        let remote = remote_of(&global)?;
        if remote.is_some() && global.actor.is_some() {
            return Err(CliError::invalid(
                "--as has no meaning on a server: the API key decides who acts (FAIRSHARE_KEY or the profile's key)",
            )
            .into());
        }
        Ok(Invocation {
            global,
            clock: Clock::from_env()?,
            capture: false,
            remote,
        })
    }

    /// A local invocation (commands that never reach a server: `login`, `profile`).
    pub fn local(global: Global) -> Result<Invocation> {
        Ok(Invocation {
            global,
            clock: Clock::from_env()?,
            capture: false,
            remote: None,
        })
    }

    pub fn book_url(&self) -> &str {
        self.global.book.as_deref().unwrap_or(BOOK_DEFAULT)
    }

    /// The local book's backend; in client mode a refusal: this command needs the book itself.
    pub fn backend(&self) -> Result<Backend> {
        self.local_only("this command")?;
        Ok(Backend::parse(self.book_url())?)
    }

    /// Refuses `what` in client mode: it works on a book this machine opens, not through a
    /// server's API.
    pub fn local_only(&self, what: &str) -> Result<()> {
        match &self.remote {
            None => Ok(()),
            Some(remote) => Err(CliError::new(
                ErrorKind::LocalOnly,
                format!(
                    "{what} works only on a local book (--book), not through a server: {} is a \
                     server (--server, FAIRSHARE_SERVER or the current profile)",
                    remote.server()
                ),
            )
            .into()),
        }
    }

    /// The agent acting, or the operator (a custodian) without `--as`.
    pub fn actor(&self) -> &str {
        self.global.actor.as_deref().unwrap_or(OPERATOR)
    }

    pub fn open_store(&self, access: Access) -> Result<Box<dyn Store>> {
        Ok(self.backend()?.open_store(access)?)
    }

    /// The idempotency key of a write sent to a server: `--key`, else a fresh one.
    fn remote_key(&self) -> Result<String> {
        match &self.global.key {
            Some(key) => Ok(key.clone()),
            None => fresh_idempotency_key(),
        }
    }

    /// Opens the existing book and replays it. With `--as`, the agent must exist even to read,
    /// so a mistyped handle is caught at once.
    pub fn open_local(&self) -> Result<Local> {
        let local = self.open_local_as_anyone()?;
        local.book().state().role_of(self.actor())?;
        Ok(local)
    }

    /// The book, whoever the actor is. The process ends with the command: its state is left
    /// to the operating system ([`fairshare_book::Book::exit_without_freeing`]).
    fn open_local_as_anyone(&self) -> Result<Local> {
        let mut local = Local::open(self.open_store(Access::Existing)?, self.clock)?;
        local.book_mut().exit_without_freeing();
        Ok(local)
    }

    /// Runs a write as the actor, with the idempotency key, now.
    pub fn write<O: Write>(&self, op: &O) -> Result<O::View> {
        if self.capture {
            let change = fairshare_ops::governance::ProposedChange::of(op)?;
            return Err(Captured(op.command(self.actor())?, change).into());
        }
        if let Some(remote) = &self.remote {
            return remote.write(op, Some(&self.remote_key()?));
        }
        // A stranger asking to join as themself (`--as HANDLE join request HANDLE`) is the one
        // actor who is no agent yet: the core decides what they may do.
        let mut local = if op.stranger() == Some(self.actor()) {
            self.open_local_as_anyone()?
        } else {
            self.open_local()?
        };
        Ok(local.write(self.actor(), self.global.key.as_deref(), op)?)
    }

    /// Runs `command`, built here for `op`, as the actor, and answers `op`'s view.
    pub fn write_command<O: Write>(
        &self,
        op: &O,
        command: &fairshare_core::Command,
    ) -> Result<O::View> {
        let mut local = self.open_local()?;
        Ok(local.write_command(self.actor(), self.global.key.as_deref(), op, command)?)
    }

    /// Runs a read as the actor.
    pub fn read<O: Read>(&self, op: &O) -> Result<O::View> {
        if let Some(remote) = &self.remote {
            return remote.read(op);
        }
        let local = self.open_local()?;
        Ok(local.read(Some(self.actor()), op)?)
    }

    /// Runs a read of the log's rows, on a read-only handle.
    pub fn scan<O: Scan>(&self, op: &O) -> Result<O::View> {
        if let Some(remote) = &self.remote {
            return remote.read(op);
        }
        let mut store = self.open_store(Access::ReadOnly)?;
        Ok(op.view(store.as_mut())?)
    }

    /// Runs a search of the log's rows beside the state, as the actor.
    pub fn search<O: Search>(&self, op: &O) -> Result<O::View> {
        if let Some(remote) = &self.remote {
            return remote.read(op);
        }
        let local = self.open_local()?;
        let mut store = self.open_store(Access::ReadOnly)?;
        Ok(op.view(store.as_mut(), local.book().state())?)
    }

    /// Opens the existing book (for commands that still drive the book directly).
    pub fn open_book(&self) -> Result<Book> {
        Ok(self.open_local()?.into_book())
    }
}

/// The server of this invocation, if any: `--server` (or FAIRSHARE_SERVER) with the key in
/// FAIRSHARE_KEY or a profile's for that server; `--profile NAME`; or, when no `--book` says
/// otherwise, the current profile.
fn remote_of(global: &Global) -> Result<Option<Remote>> {
    let key_env = std::env::var(crate::client_cmd::KEY_ENV).ok();
    if let Some(server) = &global.server {
        let key = match (key_env, &global.profile) {
            (Some(key), _) => Some(key),
            (None, Some(name)) => Some(Config::load()?.profile(name)?.key.clone()),
            (None, None) => Config::load()?.key_for(server).map(str::to_string),
        };
        return Ok(Some(Remote::new(server, key)?));
    }
    let config = match (&global.profile, &global.book) {
        (Some(_), _) => Config::load()?,
        (None, None) => Config::load_if_any()?,
        (None, Some(_)) => return Ok(None),
    };
    let name = match (&global.profile, &config.current) {
        (Some(name), _) | (None, Some(name)) => name,
        (None, None) => return Ok(None),
    };
    let profile = config.profile(name)?;
    Ok(Some(Remote::new(
        &profile.server,
        Some(key_env.unwrap_or_else(|| profile.key.clone())),
    )?))
}

/// The current time as the log records it, by the one clock (`FAIRSHARE_NOW` fixes it).
pub fn now() -> Result<String> {
    Ok(Clock::from_env()?.now_text())
}

pub use fairshare_ops::backend::is_postgres_url;

/// Opens the store a book URL names.
pub fn open_store(url: &str, access: Access) -> Result<Box<dyn Store>> {
    Ok(Backend::parse(url)?.open_store(access)?)
}
