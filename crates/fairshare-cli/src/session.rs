//! Where the book lives, who acts, and what time it is: everything the core leaves to its
//! caller. The backend is chosen here, once, from the book's URL.

use std::path::Path;
use std::time::{SystemTime, UNIX_EPOCH};

use anyhow::Result;
use fairshare_book::{Book, Executed};
use fairshare_core::{Command, Date, OPERATOR};
use fairshare_sqlite::SqliteStore;
use fairshare_store::Store;

use crate::args::Global;
use crate::error::CliError;

/// The book used when neither `--book` nor `FAIRSHARE_BOOK` names one.
pub const BOOK_DEFAULT: &str = "./fairshare.db";
/// Overrides the system clock (RFC 3339), so tests and demos are reproducible.
pub const NOW_ENV: &str = "FAIRSHARE_NOW";

const SECONDS_PER_DAY: i64 = 86_400;

/// How a command needs its book.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Access {
    /// Create the book if it does not exist (`init`, `import`, `demo`).
    Create,
    /// The book must exist: a typo in `--book` must not silently start a new one.
    Existing,
    /// Must exist, and is never written (`verify`, `export`, `log show`).
    ReadOnly,
}

pub fn is_postgres_url(url: &str) -> bool {
    url.starts_with("postgres://") || url.starts_with("postgresql://")
}

/// Opens the store a book URL names: a `postgres://` URL or a SQLite file path.
pub fn open_store(url: &str, access: Access) -> Result<Box<dyn Store>> {
    if is_postgres_url(url) {
        return open_postgres(url);
    }
    let path = Path::new(url);
    if access != Access::Create && !path.exists() {
        return Err(CliError::not_found(format!(
            "no book at {url}: create it with `fairshare init --book {url}` or name another with --book"
        ))
        .into());
    }
    let store = match access {
        Access::ReadOnly => SqliteStore::open_read_only(path)?,
        Access::Create | Access::Existing => SqliteStore::open(path)?,
    };
    Ok(Box::new(store))
}

#[cfg(feature = "postgres")]
fn open_postgres(url: &str) -> Result<Box<dyn Store>> {
    Ok(Box::new(fairshare_postgres::PostgresStore::open(url)?))
}

#[cfg(not(feature = "postgres"))]
fn open_postgres(_url: &str) -> Result<Box<dyn Store>> {
    // The URL may hold a password: it is not echoed.
    Err(CliError::storage(
        "the PostgreSQL store is not built into this binary yet: use a SQLite file for --book \
         (or build fairshare-cli with `--features postgres`)",
    )
    .into())
}

/// The global options of one invocation.
pub struct Session {
    pub global: Global,
}

impl Session {
    pub fn book_url(&self) -> &str {
        self.global.book.as_deref().unwrap_or(BOOK_DEFAULT)
    }

    /// The agent acting, or the operator (a custodian) without `--as`.
    pub fn actor(&self) -> &str {
        self.global.actor.as_deref().unwrap_or(OPERATOR)
    }

    /// Opens the existing book and replays it. With `--as`, the agent must exist even to read,
    /// so a mistyped handle is caught at once.
    pub fn open_book(&self) -> Result<Book> {
        let book = Book::open(open_store(self.book_url(), Access::Existing)?)?;
        book.state().role_of(self.actor())?;
        Ok(book)
    }

    /// Runs one command as the actor, with the idempotency key and the current time.
    pub fn execute(&self, book: &mut Book, command: Command) -> Result<Executed> {
        let now = now()?;
        Ok(book.execute(self.actor(), &command, self.global.key.as_deref(), &now)?)
    }
}

/// The current UTC time as RFC 3339 with seconds (`2026-11-21T10:20:49Z`), from
/// `FAIRSHARE_NOW` when set.
pub fn now() -> Result<String> {
    match std::env::var(NOW_ENV) {
        Ok(text) => parse_rfc3339(&text).map(format_utc).ok_or_else(|| {
            CliError::invalid(format!(
                "{NOW_ENV}={text:?} is not a time: expected RFC 3339 such as 2026-11-21T10:20:49Z"
            ))
            .into()
        }),
        Err(_) => {
            let seconds = SystemTime::now()
                .duration_since(UNIX_EPOCH)
                .map_err(|_| CliError::storage("the system clock is before 1970"))?
                .as_secs();
            Ok(format_utc(seconds as i64))
        }
    }
}

/// Today's date, by the same clock.
pub fn today() -> Result<Date> {
    Ok(Date::parse(&now()?)?)
}

/// Seconds since 1970-01-01T00:00:00Z as RFC 3339 UTC with seconds.
pub fn format_utc(seconds: i64) -> String {
    let days = seconds.div_euclid(SECONDS_PER_DAY);
    let second_of_day = seconds.rem_euclid(SECONDS_PER_DAY);
    format!(
        "{}T{:02}:{:02}:{:02}Z",
        Date(days as i32),
        second_of_day / 3600,
        second_of_day % 3600 / 60,
        second_of_day % 60
    )
}

/// Parses `YYYY-MM-DDTHH:MM:SS[.fraction](Z|±HH:MM)` into seconds since the epoch (UTC);
/// the fraction is dropped, because events are recorded to the second.
pub fn parse_rfc3339(text: &str) -> Option<i64> {
    let bytes = text.as_bytes();
    if bytes.len() < 20 || !matches!(bytes[10], b'T' | b't' | b' ') {
        return None;
    }
    let date = Date::parse(text.get(..10)?).ok()?;
    let two = |at: usize| text.get(at..at + 2).and_then(two_digits);
    if bytes[13] != b':' || bytes[16] != b':' {
        return None;
    }
    let (hour, minute, second) = (two(11)?, two(14)?, two(17)?);
    if hour > 23 || minute > 59 || second > 60 {
        return None;
    }
    let mut rest = &text[19..];
    if let Some(fraction) = rest.strip_prefix('.') {
        let digits = fraction.bytes().take_while(u8::is_ascii_digit).count();
        if digits == 0 {
            return None;
        }
        rest = &fraction[digits..];
    }
    let offset = match rest {
        "Z" | "z" => 0,
        _ if rest.len() == 6 && rest.as_bytes()[3] == b':' => {
            let sign = match rest.as_bytes()[0] {
                b'+' => 1,
                b'-' => -1,
                _ => return None,
            };
            let (h, m) = (two_digits(&rest[1..3])?, two_digits(&rest[4..6])?);
            sign * (h * 3600 + m * 60)
        }
        _ => return None,
    };
    Some(date.0 as i64 * SECONDS_PER_DAY + hour * 3600 + minute * 60 + second - offset)
}

fn two_digits(text: &str) -> Option<i64> {
    if text.len() == 2 && text.bytes().all(|b| b.is_ascii_digit()) {
        text.parse().ok()
    } else {
        None
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn formats_and_parses_utc() {
        assert_eq!(format_utc(0), "1970-01-01T00:00:00Z");
        let t = parse_rfc3339("2026-11-21T10:20:49Z").unwrap();
        assert_eq!(format_utc(t), "2026-11-21T10:20:49Z");
        assert_eq!(
            format_utc(parse_rfc3339("2026-11-21T12:20:49.123+02:00").unwrap()),
            "2026-11-21T10:20:49Z"
        );
        assert_eq!(
            format_utc(parse_rfc3339("2026-01-01T00:30:00-01:00").unwrap()),
            "2026-01-01T01:30:00Z"
        );
        for bad in [
            "2026-11-21",
            "2026-11-21T10:20Z",
            "2026-11-21T25:00:00Z",
            "x",
        ] {
            assert_eq!(parse_rfc3339(bad), None, "{bad}");
        }
    }
}
