//! Instants without a clock: the caller says what time it is. One format everywhere: RFC 3339
//! in UTC to the second (`2026-11-21T10:20:49Z`), which is also what the log records, so the
//! CLI and the server can never hash the same instant two ways.

use std::fmt;

use serde::{Deserialize, Deserializer, Serialize, Serializer};

use crate::date::Date;
use crate::error::{DomainError, DomainResult};

const SECONDS_PER_DAY: i64 = 86_400;
/// The last year an instant is written in: the format has four digits of year.
const YEAR_MAX: i32 = 9999;

/// Seconds since 1970-01-01T00:00:00Z.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Timestamp(pub i64);

impl Timestamp {
    /// Parses `YYYY-MM-DDTHH:MM:SS[.fraction](Z|±HH:MM)`. The fraction is dropped: events are
    /// recorded to the second.
    pub fn parse(text: &str) -> DomainResult<Timestamp> {
        parse_rfc3339(text).map(Timestamp).ok_or_else(|| {
            DomainError::invalid(format!(
                "malformed time {text:?}: expected RFC 3339 such as 2026-11-21T10:20:49Z"
            ))
            .value(text)
        })
    }

    /// Midnight UTC of a day.
    pub fn of_date(date: Date) -> Timestamp {
        Timestamp(i64::from(date.0) * SECONDS_PER_DAY)
    }

    /// The UTC day of this instant.
    pub fn date(self) -> Date {
        Date(self.0.div_euclid(SECONDS_PER_DAY) as i32)
    }

    /// This instant plus whole days (saturating).
    pub fn plus_days(self, days: u32) -> Timestamp {
        Timestamp(self.0.saturating_add(i64::from(days) * SECONDS_PER_DAY))
    }
}

impl fmt::Display for Timestamp {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let second_of_day = self.0.rem_euclid(SECONDS_PER_DAY);
        write!(
            f,
            "{}T{:02}:{:02}:{:02}Z",
            self.date(),
            second_of_day / 3600,
            second_of_day % 3600 / 60,
            second_of_day % 60
        )
    }
}

/// RFC 3339; in a binary format (a snapshot) the seconds since the epoch.
impl Serialize for Timestamp {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        if !serializer.is_human_readable() {
            return serializer.serialize_i64(self.0);
        }
        serializer.collect_str(self)
    }
}

impl<'de> Deserialize<'de> for Timestamp {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        if !deserializer.is_human_readable() {
            return i64::deserialize(deserializer).map(Timestamp);
        }
        let text = String::deserialize(deserializer)?;
        Timestamp::parse(&text).map_err(serde::de::Error::custom)
    }
}

fn parse_rfc3339(text: &str) -> Option<i64> {
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
    let mut rest = text.get(19..)?;
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
            if h > 23 || m > 59 {
                return None;
            }
            sign * (h * 3600 + m * 60)
        }
        _ => return None,
    };
    let instant = i64::from(date.0) * SECONDS_PER_DAY + hour * 3600 + minute * 60 + second - offset;
    // An offset can carry the last day of year 9999 into year 10000 in UTC, which the
    // four-digit format cannot print back.
    (Timestamp(instant).date().ymd().0 <= YEAR_MAX).then_some(instant)
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

    fn utc(text: &str) -> String {
        Timestamp::parse(text).expect("time").to_string()
    }

    /// Found by the `date` fuzz target: the instant was accepted, then printed as
    /// `10000-01-01T11:59:59Z`, which no parser reads back.
    #[test]
    fn an_instant_past_year_9999_in_utc_is_refused() {
        assert!(Timestamp::parse("9999-12-31T23:59:59-12:00").is_err());
        assert!(Timestamp::parse("9999-12-31T11:59:59-12:00").is_ok());
        assert_eq!(utc("9999-12-31T23:59:59Z"), "9999-12-31T23:59:59Z");
    }

    /// Found by the `date` fuzz target: an offset of `+32:00` was accepted, and the day of a
    /// log row's context was the day its text named before the offset, not the instant's.
    #[test]
    fn offsets_are_bounded_and_a_row_is_dated_by_its_instant() {
        assert!(Timestamp::parse("2026-11-21T10:20:49.123+32:00").is_err());
        assert!(Timestamp::parse("2026-11-21T10:20:49+05:60").is_err());
        assert_eq!(utc("2026-11-21T10:20:49+23:59"), "2026-11-20T10:21:49Z");
        let ctx = crate::state::Ctx::recorded(1, "operator", "2026-11-21T23:30:00-05:00").unwrap();
        assert_eq!(ctx.at.to_string(), "2026-11-22T04:30:00Z");
        assert_eq!(ctx.date.to_string(), "2026-11-22");
        let ctx = crate::state::Ctx::recorded(1, "operator", "2026-11-21").unwrap();
        assert_eq!(ctx.date.to_string(), "2026-11-21");
    }

    #[test]
    fn one_format_in_and_out() {
        assert_eq!(Timestamp(0).to_string(), "1970-01-01T00:00:00Z");
        assert_eq!(Timestamp(86_399).to_string(), "1970-01-01T23:59:59Z");
        assert_eq!(utc("2026-11-21T10:20:49Z"), "2026-11-21T10:20:49Z");
        assert_eq!(utc("2026-11-21T12:20:49.123+02:00"), "2026-11-21T10:20:49Z");
        assert_eq!(utc("2026-01-01T00:30:00-01:00"), "2026-01-01T01:30:00Z");
        assert_eq!(utc("2026-11-21t10:20:49z"), "2026-11-21T10:20:49Z");
        for bad in [
            "2026-11-21",
            "2026-11-21T10:20Z",
            "2026-11-21T25:00:00Z",
            "2026-11-21T10:20:49",
            "2026-11-21T10:20:49.Z",
            "x",
        ] {
            assert!(Timestamp::parse(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn days_and_dates() {
        let t = Timestamp::parse("2026-03-08T10:00:00Z").expect("time");
        assert_eq!(t.date().to_string(), "2026-03-08");
        assert_eq!(t.plus_days(5).to_string(), "2026-03-13T10:00:00Z");
        assert_eq!(
            Timestamp::of_date(t.date()).to_string(),
            "2026-03-08T00:00:00Z"
        );
        assert_eq!(Timestamp(-1).to_string(), "1969-12-31T23:59:59Z");
    }
}
