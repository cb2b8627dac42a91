//! The one clock of every front end. The core reads no clock; the CLI and the server ask this
//! one, so they record time the same way: UTC, to the second, one format
//! ([`fairshare_core::Timestamp`]). `FAIRSHARE_NOW` fixes it (tests, demos, replays of a
//! story).

use std::time::{SystemTime, UNIX_EPOCH};

use fairshare_core::{Date, DomainError, Timestamp};

use crate::error::{OpError, OpResult};

/// The environment variable that fixes the clock (RFC 3339).
pub const NOW_ENV: &str = "FAIRSHARE_NOW";

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Clock {
    /// The system clock.
    System,
    /// Always this instant.
    Fixed(Timestamp),
}

impl Clock {
    /// A clock fixed at `text` (RFC 3339), or the system clock without one.
    pub fn new(fixed: Option<&str>) -> OpResult<Clock> {
        match fixed {
            None => Ok(Clock::System),
            Some(text) => Ok(Clock::Fixed(Timestamp::parse(text)?)),
        }
    }

    /// The system clock, or the instant `FAIRSHARE_NOW` names.
    pub fn from_env() -> OpResult<Clock> {
        match std::env::var(NOW_ENV) {
            Ok(text) => Timestamp::parse(&text).map(Clock::Fixed).map_err(|_| {
                OpError::Domain(DomainError::invalid(format!(
                    "{NOW_ENV}={text:?} is not a time: expected RFC 3339 such as 2026-11-21T10:20:49Z"
                )))
            }),
            Err(_) => Ok(Clock::System),
        }
    }

    pub fn now(&self) -> Timestamp {
        match self {
            Clock::Fixed(at) => *at,
            // A clock before 1970 reads as the epoch rather than failing every write.
            Clock::System => Timestamp(
                SystemTime::now()
                    .duration_since(UNIX_EPOCH)
                    .map(|d| d.as_secs() as i64)
                    .unwrap_or(0),
            ),
        }
    }

    /// Now as the log records it.
    pub fn now_text(&self) -> String {
        self.now().to_string()
    }

    pub fn today(&self) -> Date {
        self.now().date()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_fixed_clock_is_normalised_to_utc_seconds() {
        let clock = Clock::new(Some("2026-11-21T12:20:49.5+02:00")).expect("clock");
        assert_eq!(clock.now_text(), "2026-11-21T10:20:49Z");
        assert_eq!(clock.today().to_string(), "2026-11-21");
        assert!(Clock::new(Some("2026-11-21")).is_err());
        assert!(Clock::System.now().0 > 1_700_000_000);
    }
}
