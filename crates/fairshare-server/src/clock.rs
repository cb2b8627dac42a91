//! The time events are recorded at: the core reads no clock, its callers do.

use std::time::{SystemTime, UNIX_EPOCH};

use anyhow::{Context as _, bail};
use fairshare_core::Date;

const SECONDS_PER_DAY: i64 = 86_400;

#[derive(Debug, Clone)]
pub(crate) enum Clock {
    System,
    /// Every event at this RFC 3339 time (demos, tests).
    Fixed(String),
}

impl Clock {
    pub fn new(fixed: Option<&str>) -> anyhow::Result<Clock> {
        match fixed {
            None => Ok(Clock::System),
            Some(text) => {
                Date::parse(text).with_context(|| format!("bad fixed time {text:?}"))?;
                if text.len() < "2026-01-01T00:00:00Z".len() {
                    bail!(
                        "bad fixed time {text:?}: expected RFC 3339 such as 2026-11-21T10:20:49Z"
                    );
                }
                Ok(Clock::Fixed(text.to_string()))
            }
        }
    }

    /// Now, as RFC 3339 UTC with seconds.
    pub fn now(&self) -> String {
        match self {
            Clock::Fixed(text) => text.clone(),
            Clock::System => format_utc(unix_seconds()),
        }
    }

    pub fn today(&self) -> Date {
        match self {
            Clock::Fixed(text) => Date::parse(text).unwrap_or(Date(0)),
            Clock::System => Date(unix_seconds().div_euclid(SECONDS_PER_DAY) as i32),
        }
    }
}

/// The system clock as RFC 3339 (for credentials' timestamps).
pub(crate) fn system_now() -> anyhow::Result<String> {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .context("the system clock is before 1970")?;
    Ok(format_utc(unix_seconds()))
}

/// Seconds since the epoch; a clock before 1970 reads as the epoch.
fn unix_seconds() -> i64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map(|d| d.as_secs() as i64)
        .unwrap_or(0)
}

/// Seconds since 1970-01-01T00:00:00Z as RFC 3339 UTC with seconds.
pub(crate) fn format_utc(seconds: i64) -> String {
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn formats_utc() {
        assert_eq!(format_utc(0), "1970-01-01T00:00:00Z");
        assert_eq!(format_utc(86_399), "1970-01-01T23:59:59Z");
        let clock = Clock::new(Some("2026-11-21T10:20:49Z")).expect("clock");
        assert_eq!(clock.now(), "2026-11-21T10:20:49Z");
        assert_eq!(clock.today().to_string(), "2026-11-21");
        assert!(Clock::new(Some("2026-11-21")).is_err());
    }
}
