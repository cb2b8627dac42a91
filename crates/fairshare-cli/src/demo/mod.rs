//! `demo`: a small, realistic network in a fresh book that exercises every capability
//! (`fairshare_sim::demo`), a short report of what came out (`report.rs`), and with `--serve`
//! the book served at once, with a dashboard login for each role.

mod report;

use std::io::Write;
use std::net::SocketAddr;
use std::path::Path;

use anyhow::Result;
use clap::Args;
use fairshare_book::Book;
use fairshare_ops::Clock;
use fairshare_ops::backend::Backend;
use fairshare_ops::credentials::set_password;
use serde::Serialize;

use crate::commands::{Nothing, remove_sqlite_files};
use crate::error::CliError;
use crate::invocation::{Access, Invocation, is_postgres_url, open_store};
use crate::render::Output;
use crate::server_cmd::{ADDR_DEFAULT, ServeArgs, serve_book};

pub use report::DemoOut;

/// The demo's book when `--book` (or `FAIRSHARE_BOOK`) does not name one; replaced each run.
pub const DEMO_BOOK_DEFAULT: &str = "./fairshare-demo.db";
/// Characters of a generated dashboard password (the minimum is 10).
const PASSWORD_LEN: usize = 16;
/// What a generated password is made of: letters and digits that cannot be mistaken for one
/// another (no 0/O, 1/l/I), so that it can be typed from the screen.
const PASSWORD_ALPHABET: &[u8] = b"abcdefghijkmnpqrstuvwxyzABCDEFGHJKLMNPQRSTUVWXYZ23456789";

#[derive(Debug, Args)]
pub struct DemoArgs {
    /// Serve the demo book at once (the API and dashboard), printing the URL and a login for
    /// each role; runs until stopped
    #[arg(long)]
    pub serve: bool,
    /// With --serve: the address to listen on
    #[arg(long, visible_alias = "listen", value_name = "HOST:PORT", default_value = ADDR_DEFAULT, requires = "serve")]
    pub addr: SocketAddr,
}

/// A dashboard login of the served demo: an agent of each role and its password, generated
/// for this run.
#[derive(Debug, Serialize)]
pub struct Login {
    pub role: &'static str,
    pub agent: &'static str,
    pub password: String,
}

/// Where the served demo listens and who may log in.
#[derive(Debug, Serialize)]
pub struct DemoServed {
    pub url: String,
    pub logins: Vec<Login>,
}

pub fn run(invocation: &Invocation, args: DemoArgs) -> Result<Box<dyn Output>> {
    let url = match invocation.global.book.as_deref() {
        Some(url) => url.to_string(),
        None => {
            remove_sqlite_files(DEMO_BOOK_DEFAULT);
            DEMO_BOOK_DEFAULT.to_string()
        }
    };
    let mut report = create(&url)?;
    // A demo that does not verify is reported, never served.
    if !args.serve || report.exit_code() != 0 {
        return Ok(Box::new(report));
    }
    report.served = Some(logins(&url, args.addr)?);
    // Said before serving: the server runs until it is stopped.
    let shown = if invocation.global.json {
        report.json()
    } else {
        report.text()
    };
    let mut stdout = std::io::stdout().lock();
    writeln!(stdout, "{}", shown.trim_end())?;
    stdout.flush()?;
    drop(stdout);
    serve_book(&url, ServeArgs::at(args.addr))?;
    Ok(Box::new(Nothing))
}

/// Writes the demo into the new book `url` and reports it; a new file that the story could
/// not be written into is removed.
fn create(url: &str) -> Result<DemoOut> {
    let is_new_file = !is_postgres_url(url) && !Path::new(url).exists();
    let mut book = Book::open(open_store(url, Access::Create)?)?;
    let events = book.state().head();
    if events > 0 {
        return Err(CliError::conflict(format!(
            "demo needs a new book: {url} already has {events} events (without --book the demo uses {DEMO_BOOK_DEFAULT}, replacing it)"
        ))
        .into());
    }
    if let Err(error) = fairshare_sim::demo::build(&mut book) {
        if is_new_file {
            drop(book);
            remove_sqlite_files(url);
        }
        return Err(error.into());
    }
    report::report(&mut book, url)
}

/// Gives the custodian, an affiliate and the observer a fresh random password each, through
/// the credential path of `password set`.
fn logins(url: &str, addr: SocketAddr) -> Result<DemoServed> {
    let backend = Backend::parse(url)?;
    let mut logins = Vec::new();
    for (role, agent) in [
        ("custodian", fairshare_sim::demo::CUSTODIAN),
        ("affiliate", fairshare_sim::demo::AFFILIATE),
        ("observer", fairshare_sim::demo::OBSERVER),
    ] {
        let password = random_password()?;
        set_password(&backend, &Clock::System, agent, &password)?;
        logins.push(Login {
            role,
            agent,
            password,
        });
    }
    Ok(DemoServed {
        url: format!("http://{addr}"),
        logins,
    })
}

/// A password of [`PASSWORD_LEN`] characters drawn uniformly from [`PASSWORD_ALPHABET`].
fn random_password() -> Result<String> {
    let mut password = String::with_capacity(PASSWORD_LEN);
    while password.len() < PASSWORD_LEN {
        let mut byte = [0u8; 1];
        getrandom::fill(&mut byte)
            .map_err(|e| CliError::storage(format!("no randomness for a password: {e}")))?;
        // Bytes past the last whole multiple of the alphabet are drawn again: no letter is
        // likelier than another.
        let whole = 256 - 256 % PASSWORD_ALPHABET.len();
        if usize::from(byte[0]) < whole {
            password.push(char::from(
                PASSWORD_ALPHABET[usize::from(byte[0]) % PASSWORD_ALPHABET.len()],
            ));
        }
    }
    Ok(password)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn passwords_are_long_enough_unambiguous_and_differ() {
        let first = random_password().unwrap();
        let second = random_password().unwrap();
        assert_eq!(first.len(), PASSWORD_LEN);
        assert!(
            first.bytes().all(|b| PASSWORD_ALPHABET.contains(&b)),
            "{first}"
        );
        assert_ne!(first, second);
    }
}
