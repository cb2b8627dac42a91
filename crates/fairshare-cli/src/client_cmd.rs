//! `login` and `profile`: the servers this user works on, each saved with its API key as a
//! profile (`profiles.rs`).

use std::io::{BufRead, IsTerminal};

use anyhow::Result;
use clap::{Args, Subcommand};
use serde::Serialize;

use fairshare_ops::agents::ListAgents;
use fairshare_ops::credentials::{hash_api_key, looks_like_api_key};

use crate::commands::out;
use crate::error::CliError;
use crate::profiles::{Config, Profile, check_name};
use crate::remote::Remote;
use crate::render::{Output, Table, Text, table_or};

/// The environment variable that holds the API key of a server (never a flag: the arguments
/// of a process are visible to every user of the machine).
pub const KEY_ENV: &str = "FAIRSHARE_KEY";

#[derive(Debug, Args)]
pub struct LoginArgs {
    /// The server, like https://fairshare.example.org
    pub url: String,
    /// The profile's name [default: the server's host and port]
    #[arg(long, value_name = "NAME")]
    pub name: Option<String>,
    /// Read the API key from the first line of stdin [default: FAIRSHARE_KEY, else asked on
    /// the terminal]
    #[arg(long)]
    pub key_stdin: bool,
}

#[derive(Debug, Subcommand)]
pub enum ProfileCmd {
    /// The saved profiles: name, server, key id; the current one marked
    List,
    /// Make a profile the current one: commands without --book or --server run on its server
    Use { name: String },
    /// Forget a profile and its key
    Remove { name: String },
}

/// A profile as shown: never its key, only the key's public id.
#[derive(Debug, Serialize)]
pub struct ProfileRow {
    pub name: String,
    pub server: String,
    pub key_id: String,
    pub current: bool,
}

#[derive(Debug, Serialize)]
pub struct ProfilesOut {
    /// The config file.
    pub config: String,
    pub current: Option<String>,
    pub profiles: Vec<ProfileRow>,
}

#[derive(Debug, Serialize)]
pub struct LoggedIn {
    pub config: String,
    pub profile: ProfileRow,
}

/// The public id of a key, as `key list` shows it: the first 16 hex digits of its hash.
fn key_id(key: &str) -> String {
    hash_api_key(key)[..16].to_string()
}

fn row(config: &Config, name: &str, profile: &Profile) -> ProfileRow {
    ProfileRow {
        name: name.to_string(),
        server: profile.server.clone(),
        key_id: key_id(&profile.key),
        current: config.current.as_deref() == Some(name),
    }
}

impl Text for LoggedIn {
    fn to_text(&self) -> String {
        format!(
            "logged in to {} as profile {} (key {}), now the current profile: commands without \
             --book run there\nsaved in {}",
            self.profile.server, self.profile.name, self.profile.key_id, self.config
        )
    }
}

impl Text for ProfilesOut {
    fn to_text(&self) -> String {
        let table = Table::new(&["", "name", "server", "key"]);
        let rows = self.profiles.iter().map(|profile| {
            let mark = if profile.current { "*" } else { "" };
            vec![
                mark.to_string(),
                profile.name.clone(),
                profile.server.clone(),
                profile.key_id.clone(),
            ]
        });
        let empty = format!(
            "no profile in {}: `fairshare login URL` saves one",
            self.config
        );
        table_or(&empty, table, rows)
    }
}

/// `login URL`: checks the key against the server, then saves it as the current profile.
pub fn login(args: LoginArgs) -> Result<Box<dyn Output>> {
    let key = read_key(args.key_stdin)?;
    if !looks_like_api_key(&key) {
        return Err(CliError::invalid(
            "that is not an API key: keys start with fsk_ (`fairshare key create AGENT` on the server's book)",
        )
        .into());
    }
    let remote = Remote::new(&args.url, Some(key.clone()))?;
    // Any read with the key: an unknown, expired or revoked key is refused (401).
    remote.read(&ListAgents {
        limit: Some(1),
        offset: None,
    })?;
    let name = match args.name {
        Some(name) => name,
        None => default_name(remote.server()),
    };
    check_name(&name)?;
    let mut config = Config::load()?;
    let profile = Profile {
        server: remote.server().trim_end_matches('/').to_string(),
        key,
    };
    config.put(&name, profile.clone())?;
    config.current = Some(name.clone());
    let path = config.save()?;
    out(LoggedIn {
        config: path.display().to_string(),
        profile: row(&config, &name, &profile),
    })
}

/// The key: FAIRSHARE_KEY, else stdin's first line (`--key-stdin`, or a pipe), else asked.
fn read_key(from_stdin: bool) -> Result<String> {
    if !from_stdin && let Ok(key) = std::env::var(KEY_ENV) {
        return Ok(key.trim().to_string());
    }
    let key = if !from_stdin && std::io::stdin().is_terminal() {
        rpassword::prompt_password("API key: ")?
    } else {
        let mut line = String::new();
        std::io::stdin().lock().read_line(&mut line)?;
        line
    };
    let key = key.trim().to_string();
    if key.is_empty() {
        return Err(CliError::invalid(format!(
            "no API key: give it on stdin (--key-stdin) or in {KEY_ENV}"
        ))
        .into());
    }
    Ok(key)
}

/// A profile's default name: the server's host (and port, when it has one).
fn default_name(server: &str) -> String {
    let url = reqwest::Url::parse(server).ok();
    let host = url.as_ref().and_then(|u| u.host_str()).unwrap_or("server");
    match url.as_ref().and_then(|u| u.port()) {
        Some(port) => format!("{host}:{port}"),
        None => host.to_string(),
    }
}

pub fn profile(command: ProfileCmd) -> Result<Box<dyn Output>> {
    let mut config = Config::load()?;
    match command {
        ProfileCmd::List => {}
        ProfileCmd::Use { name } => {
            config.profile(&name)?;
            config.current = Some(name);
            config.save()?;
        }
        ProfileCmd::Remove { name } => {
            config.profile(&name)?;
            config.profiles.remove(&name);
            if config.current.as_deref() == Some(name.as_str()) {
                config.current = None;
            }
            config.save()?;
        }
    }
    out(listing(&config)?)
}

fn listing(config: &Config) -> Result<ProfilesOut> {
    Ok(ProfilesOut {
        config: crate::profiles::config_path()?.display().to_string(),
        current: config.current.clone(),
        profiles: config
            .profiles
            .iter()
            .map(|(name, profile)| row(config, name, profile))
            .collect(),
    })
}
