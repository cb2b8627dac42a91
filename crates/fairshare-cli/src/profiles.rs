//! Profiles: the servers this user logged in to, each with its API key, in
//! `$XDG_CONFIG_HOME/fairshare/config.toml` (else `~/.config/fairshare/config.toml`). The file
//! holds secrets: it is written with mode 0600 (its directory 0700) and refused when others may
//! read it.

use std::collections::BTreeMap;
use std::io::Write as _;
use std::os::unix::fs::{DirBuilderExt, OpenOptionsExt, PermissionsExt};
use std::path::{Path, PathBuf};

use anyhow::Result;
use serde::{Deserialize, Serialize};

use crate::error::{CliError, ErrorKind};

/// Most profiles a config file holds (a bound, like every list).
pub const PROFILES_MAX: usize = 100;
/// The longest profile name.
pub const PROFILE_NAME_MAX_BYTES: usize = 64;
/// The largest config file read.
pub const CONFIG_MAX_BYTES: u64 = 256 * 1024;

/// The config file.
#[derive(Debug, Default, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Config {
    /// The profile used when neither `--book`, `--server` nor `--profile` says otherwise.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub current: Option<String>,
    #[serde(default)]
    pub profiles: BTreeMap<String, Profile>,
}

/// A server and the key to present to it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Profile {
    pub server: String,
    pub key: String,
}

/// Where the config file is: `$XDG_CONFIG_HOME` if it is an absolute path, else `~/.config`.
pub fn config_path() -> Result<PathBuf> {
    let base = match std::env::var_os("XDG_CONFIG_HOME").map(PathBuf::from) {
        Some(dir) if dir.is_absolute() => dir,
        _ => match std::env::var_os("HOME") {
            Some(home) if !home.is_empty() => PathBuf::from(home).join(".config"),
            _ => {
                return Err(CliError::input(
                    "no config directory: set XDG_CONFIG_HOME or HOME to keep profiles",
                )
                .into());
            }
        },
    };
    Ok(base.join("fairshare").join("config.toml"))
}

impl Config {
    /// The config file, or an empty config when there is none yet.
    pub fn load() -> Result<Config> {
        Config::load_from(&config_path()?)
    }

    /// The config file when there is a config directory at all (a service without HOME has
    /// none, and no profile): what an invocation looks at for a current profile.
    pub fn load_if_any() -> Result<Config> {
        match config_path() {
            Ok(path) => Config::load_from(&path),
            Err(_) => Ok(Config::default()),
        }
    }

    pub fn load_from(path: &Path) -> Result<Config> {
        let metadata = match std::fs::metadata(path) {
            Ok(metadata) => metadata,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(Config::default()),
            Err(e) => return Err(input(path, &e.to_string()).into()),
        };
        let mode = metadata.permissions().mode() & 0o777;
        if mode & 0o077 != 0 {
            return Err(input(
                path,
                &format!("it holds API keys but others may read it (mode {mode:o}): chmod 600 it"),
            )
            .into());
        }
        if metadata.len() > CONFIG_MAX_BYTES {
            return Err(input(path, &format!("larger than {CONFIG_MAX_BYTES} bytes")).into());
        }
        let text = std::fs::read_to_string(path).map_err(|e| input(path, &e.to_string()))?;
        toml::from_str(&text).map_err(|e| input(path, &e.to_string()).into())
    }

    /// Writes the file with mode 0600 (a new file beside it, renamed over it).
    pub fn save(&self) -> Result<PathBuf> {
        let path = config_path()?;
        self.save_to(&path)?;
        Ok(path)
    }

    pub fn save_to(&self, path: &Path) -> Result<()> {
        let text = toml::to_string(self)
            .map_err(|e| CliError::storage(format!("cannot write the config: {e}")))?;
        if let Some(dir) = path.parent() {
            std::fs::DirBuilder::new()
                .recursive(true)
                .mode(0o700)
                .create(dir)
                .map_err(|e| storage(dir, &e.to_string()))?;
        }
        let temporary = path.with_extension("toml.new");
        let _ = std::fs::remove_file(&temporary);
        let mut file = std::fs::OpenOptions::new()
            .write(true)
            .create_new(true)
            .mode(0o600)
            .open(&temporary)
            .map_err(|e| storage(&temporary, &e.to_string()))?;
        file.write_all(text.as_bytes())
            .and_then(|()| file.sync_all())
            .map_err(|e| storage(&temporary, &e.to_string()))?;
        std::fs::rename(&temporary, path).map_err(|e| storage(path, &e.to_string()))?;
        Ok(())
    }

    /// The profile `name`, or a refusal listing the known ones.
    pub fn profile(&self, name: &str) -> Result<&Profile> {
        self.profiles.get(name).ok_or_else(|| {
            let known: Vec<&str> = self.profiles.keys().map(String::as_str).collect();
            let known = if known.is_empty() {
                "there is none: `fairshare login URL` makes one".to_string()
            } else {
                format!("known: {}", known.join(", "))
            };
            CliError::new(
                ErrorKind::NotFound,
                format!("no profile {name:?} ({known})"),
            )
            .into()
        })
    }

    /// The key of the profile for `server`: the current profile if it is that server's, else
    /// the first that is.
    pub fn key_for(&self, server: &str) -> Option<&str> {
        let same = |profile: &&Profile| same_server(&profile.server, server);
        self.current
            .as_deref()
            .and_then(|name| self.profiles.get(name))
            .filter(same)
            .or_else(|| self.profiles.values().find(same))
            .map(|profile| profile.key.as_str())
    }

    /// Adds or replaces a profile.
    pub fn put(&mut self, name: &str, profile: Profile) -> Result<()> {
        check_name(name)?;
        if !self.profiles.contains_key(name) && self.profiles.len() >= PROFILES_MAX {
            return Err(CliError::invalid(format!(
                "at most {PROFILES_MAX} profiles: remove one first (`fairshare profile remove NAME`)"
            ))
            .into());
        }
        self.profiles.insert(name.to_string(), profile);
        Ok(())
    }
}

/// Two spellings of one server (a trailing slash aside).
pub fn same_server(a: &str, b: &str) -> bool {
    a.trim_end_matches('/') == b.trim_end_matches('/')
}

/// A profile name: letters, digits, `.`, `-`, `_`, `:` (a host and port make a good one).
pub fn check_name(name: &str) -> Result<()> {
    let fine = |c: char| c.is_ascii_alphanumeric() || matches!(c, '.' | '-' | '_' | ':');
    if name.is_empty() || name.len() > PROFILE_NAME_MAX_BYTES || !name.chars().all(fine) {
        return Err(CliError::invalid(format!(
            "profile name {name:?}: 1 to {PROFILE_NAME_MAX_BYTES} letters, digits, '.', '-', '_' or ':'"
        ))
        .into());
    }
    Ok(())
}

fn input(path: &Path, problem: &str) -> CliError {
    CliError::input(format!("config file {}: {problem}", path.display()))
}

fn storage(path: &Path, problem: &str) -> CliError {
    CliError::storage(format!("cannot write {}: {problem}", path.display()))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_saved_config_reads_back_and_only_its_owner_may_read_it() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("fairshare").join("config.toml");
        let mut config = Config::default();
        let profile = Profile {
            server: "http://127.0.0.1:8080".to_string(),
            key: "fsk_x".to_string(),
        };
        config.put("local", profile.clone()).unwrap();
        config.current = Some("local".to_string());
        config.save_to(&path).unwrap();
        let mode = std::fs::metadata(&path).unwrap().permissions().mode() & 0o777;
        assert_eq!(mode, 0o600);
        let read = Config::load_from(&path).unwrap();
        assert_eq!(read.profile("local").unwrap(), &profile);
        assert_eq!(read.key_for("http://127.0.0.1:8080/"), Some("fsk_x"));
        assert_eq!(read.key_for("http://127.0.0.1:9090"), None);
        std::fs::set_permissions(&path, std::fs::Permissions::from_mode(0o644)).unwrap();
        let refused = Config::load_from(&path).unwrap_err().to_string();
        assert!(refused.contains("mode 644"), "{refused}");
    }

    #[test]
    fn profile_names_are_short_and_plain() {
        assert!(check_name("books.example.org:8443").is_ok());
        assert!(check_name("").is_err());
        assert!(check_name("a b").is_err());
        assert!(check_name(&"x".repeat(65)).is_err());
    }
}
