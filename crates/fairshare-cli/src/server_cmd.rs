//! `serve`, `key create`, `password set`: the network server and the credentials it checks.

use std::io::{BufRead, IsTerminal};
use std::net::SocketAddr;

use anyhow::Result;
use clap::{Args, Subcommand};
use serde::Serialize;

use crate::commands::Nothing;
use crate::error::CliError;
use crate::render::{Output, Text};
use fairshare_ops::NOW_ENV;

use crate::session::Session;

/// Shortest password accepted for the dashboard.
pub const PASSWORD_LEN_MIN: usize = 10;

#[derive(Debug, Args)]
pub struct ServeArgs {
    /// Address to listen on
    #[arg(long, value_name = "HOST:PORT", default_value = "127.0.0.1:8080")]
    pub addr: SocketAddr,
    /// A private network: only members with a key may read (public networks are readable by anyone)
    #[arg(long)]
    pub private: bool,
    /// Skip the check for events other processes appended, before each read. Only when this
    /// server is the book's only writer (no CLI, no second server).
    #[arg(long)]
    pub no_read_catch_up: bool,
}

#[derive(Debug, Subcommand)]
pub enum KeyCmd {
    /// Create an API key for an agent: printed once, stored only as a hash
    Create { agent: String },
}

#[derive(Debug, Subcommand)]
pub enum PasswordCmd {
    /// Set an agent's dashboard password, read from the terminal (not echoed) or from stdin
    Set { agent: String },
}

/// Runs the server until SIGINT or SIGTERM.
pub fn serve(s: &Session, args: ServeArgs) -> Result<Box<dyn Output>> {
    let mut config = fairshare_server::ServerConfig::new(s.book_url(), args.addr);
    config.public = !args.private;
    config.catch_up_reads = !args.no_read_catch_up;
    config.fixed_time = std::env::var(NOW_ENV).ok();
    fairshare_server::run_blocking(config)?;
    Ok(Box::new(Nothing))
}

#[derive(Serialize)]
struct KeyOut {
    agent: String,
    key: String,
}

impl Text for KeyOut {
    fn to_text(&self) -> String {
        format!(
            "{}\nAPI key of {}: shown once, stored only as a hash. Send it as `Authorization: Bearer KEY`.",
            self.key, self.agent
        )
    }
}

pub fn key(s: &Session, command: KeyCmd) -> Result<Box<dyn Output>> {
    match command {
        KeyCmd::Create { agent } => {
            let key = fairshare_server::create_api_key(s.book_url(), &agent)?;
            Ok(Box::new(KeyOut { agent, key }))
        }
    }
}

#[derive(Serialize)]
struct PasswordOut {
    agent: String,
    password_set: bool,
}

impl Text for PasswordOut {
    fn to_text(&self) -> String {
        format!("password of {} set (argon2id)", self.agent)
    }
}

pub fn password(s: &Session, command: PasswordCmd) -> Result<Box<dyn Output>> {
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
            if password.chars().count() < PASSWORD_LEN_MIN {
                return Err(CliError::invalid(format!(
                    "a password needs at least {PASSWORD_LEN_MIN} characters"
                ))
                .into());
            }
            fairshare_server::set_password(s.book_url(), &agent, &password)?;
            Ok(Box::new(PasswordOut {
                agent,
                password_set: true,
            }))
        }
    }
}
