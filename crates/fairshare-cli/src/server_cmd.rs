//! `serve`, `key create`, `password set`: the network server and the credentials it checks.

use std::io::{BufRead, IsTerminal};
use std::net::SocketAddr;

use anyhow::Result;
use clap::{Args, Subcommand};

use fairshare_ops::credentials::{self, KeyCreated, KeyRow, KeysOut, PasswordSet};
use fairshare_ops::{Clock, NOW_ENV};

use crate::commands::{Nothing, out};
use crate::invocation::Invocation;
use crate::render::{Output, Table, Text, table_or};

/// Where `serve` (and `demo --serve`) listen by default.
pub const ADDR_DEFAULT: &str = "127.0.0.1:8080";
/// A dashboard session's idle and absolute limits by default.
const SESSION_IDLE_MINUTES: u64 = 30;
const SESSION_MAX_HOURS: u64 = 12;

#[derive(Debug, Args)]
pub struct ServeArgs {
    /// Address to listen on
    #[arg(long, value_name = "HOST:PORT", default_value = ADDR_DEFAULT)]
    pub addr: SocketAddr,
    /// A private network: only members with a key may read (public networks are readable by anyone)
    #[arg(long)]
    pub private: bool,
    /// Skip the check for events other processes appended, before each read. Only when this
    /// server is the book's only writer (no CLI, no second server).
    #[arg(long)]
    pub no_read_catch_up: bool,
    /// A dashboard session ends after this many minutes without a request
    #[arg(long, value_name = "MINUTES", default_value_t = SESSION_IDLE_MINUTES, value_parser = clap::value_parser!(u64).range(1..=10_080))]
    pub session_idle: u64,
    /// A dashboard session ends this many hours after logging in, however busy
    #[arg(long, value_name = "HOURS", default_value_t = SESSION_MAX_HOURS, value_parser = clap::value_parser!(u64).range(1..=720))]
    pub session_max: u64,
    /// Clients reach this server through a proxy that terminates HTTPS: session cookies get
    /// `Secure` and every answer `Strict-Transport-Security`
    #[arg(long, conflicts_with = "tls_cert")]
    pub behind_https_proxy: bool,
    /// Serve HTTPS with this PEM certificate chain (with --tls-key); cookies get `Secure` and
    /// every answer `Strict-Transport-Security`
    #[arg(long, value_name = "FILE", requires = "tls_key")]
    pub tls_cert: Option<std::path::PathBuf>,
    /// The PEM private key of --tls-cert
    #[arg(long, value_name = "FILE", requires = "tls_cert")]
    pub tls_key: Option<std::path::PathBuf>,
}

#[derive(Debug, Subcommand)]
pub enum KeyCmd {
    /// Create an API key for an agent: printed once, stored only as a hash
    Create {
        agent: String,
        /// The key stops working after this many days (1 to 3650) [default: until revoked]
        #[arg(long, value_name = "DAYS")]
        expires: Option<u32>,
    },
    /// An agent's keys: id, creation, expiry, revocation (never the key itself)
    List { agent: String },
    /// Revoke a key by its id: every server on the book refuses it from then on
    Revoke { id: String },
}

#[derive(Debug, Subcommand)]
pub enum PasswordCmd {
    /// Set an agent's dashboard password, read from the terminal (not echoed) or from stdin
    Set { agent: String },
}

impl ServeArgs {
    /// A public server on `addr` with every other setting at its default.
    pub fn at(addr: SocketAddr) -> ServeArgs {
        ServeArgs {
            addr,
            private: false,
            no_read_catch_up: false,
            session_idle: SESSION_IDLE_MINUTES,
            session_max: SESSION_MAX_HOURS,
            behind_https_proxy: false,
            tls_cert: None,
            tls_key: None,
        }
    }
}

/// Runs the server until SIGINT or SIGTERM.
pub fn serve(s: &Invocation, args: ServeArgs) -> Result<Box<dyn Output>> {
    serve_book(s.book_url(), args)?;
    Ok(Box::new(Nothing))
}

/// Serves the book `url` until SIGINT or SIGTERM.
pub fn serve_book(url: &str, args: ServeArgs) -> Result<()> {
    let mut config = fairshare_server::ServerConfig::new(url, args.addr);
    config.public = !args.private;
    config.catch_up_reads = !args.no_read_catch_up;
    config.fixed_time = std::env::var(NOW_ENV).ok();
    config.session_idle = std::time::Duration::from_secs(args.session_idle * 60);
    config.session_max = std::time::Duration::from_secs(args.session_max * 60 * 60);
    if args.behind_https_proxy {
        config.https = fairshare_server::Https::Proxy;
    }
    if let (Some(cert), Some(key)) = (args.tls_cert, args.tls_key) {
        config.https = fairshare_server::Https::Tls { cert, key };
    }
    fairshare_server::run_blocking(config)?;
    Ok(())
}

impl Text for fairshare_ops::backup::Copied {
    fn to_text(&self) -> String {
        let credentials = if self.credentials {
            "with its API keys and passwords"
        } else {
            "events only: create API keys and passwords again where it is used"
        };
        format!(
            "copied {} events from {} to {}, {credentials}\nverified: head {}",
            self.events, self.from, self.to, self.head
        )
    }
}

impl Text for KeyCreated {
    fn to_text(&self) -> String {
        let until = match &self.expires_at {
            Some(at) => format!(", valid until {at}"),
            None => ", valid until revoked".to_string(),
        };
        format!(
            "{}\nAPI key {} of {}{until}: shown once, stored only as a hash. Send it as `Authorization: Bearer KEY`.",
            self.key, self.id, self.agent
        )
    }
}

fn key_state(key: &KeyRow) -> String {
    match (&key.revoked_at, &key.expires_at) {
        (Some(at), _) => format!("revoked {at}"),
        (None, Some(at)) if !key.active => format!("expired {at}"),
        (None, Some(at)) => format!("active until {at}"),
        (None, None) => "active".to_string(),
    }
}

impl Text for KeysOut {
    fn to_text(&self) -> String {
        let table = Table::new(&["id", "created", "state"]);
        let rows = self
            .keys
            .iter()
            .map(|key| vec![key.id.clone(), key.created_at.clone(), key_state(key)]);
        let empty = format!(
            "{} has no API key: create one with `fairshare key create {}`",
            self.agent, self.agent
        );
        table_or(&empty, table, rows)
    }
}

impl Text for KeyRow {
    fn to_text(&self) -> String {
        format!("key {} of {}: {}\n", self.id, self.agent, key_state(self))
    }
}

pub fn key(s: &Invocation, command: KeyCmd) -> Result<Box<dyn Output>> {
    if let (Some(remote), KeyCmd::List { agent }) = (&s.remote, &command) {
        // The server lists keys to custodians and to the agent itself.
        let path = ["api", "v1", "agents", agent.as_str(), "keys"];
        return out(remote.get_json::<KeysOut>(&path)?);
    }
    // A key's life is a matter of real time, whatever FAIRSHARE_NOW says.
    let clock = Clock::System;
    let backend = s.backend()?;
    match command {
        KeyCmd::Create { agent, expires } => out(credentials::create_api_key(
            &backend, &clock, &agent, expires,
        )?),
        KeyCmd::List { agent } => out(credentials::list_api_keys(&backend, &clock, &agent)?),
        KeyCmd::Revoke { id } => out(credentials::revoke_api_key(&backend, &clock, &id)?),
    }
}

impl Text for PasswordSet {
    fn to_text(&self) -> String {
        format!("password of {} set (argon2id)", self.agent)
    }
}

pub fn password(s: &Invocation, command: PasswordCmd) -> Result<Box<dyn Output>> {
    match command {
        PasswordCmd::Set { agent } => {
            // Never from the command line: arguments are visible to every user of the machine.
            let password = if std::io::stdin().is_terminal() {
                rpassword::prompt_password(format!("password for {agent}: "))?
            } else {
                let mut line = String::new();
                std::io::stdin().lock().read_line(&mut line)?;
                line.trim_end_matches(['\r', '\n']).to_string()
            };
            out(credentials::set_password(
                &s.backend()?,
                &Clock::System,
                &agent,
                &password,
            )?)
        }
    }
}
