//! Calendar dates without a clock: the caller says what day it is.

use std::fmt;

use serde::{Deserialize, Deserializer, Serialize, Serializer};

use crate::error::{DomainError, DomainResult};

/// A proleptic Gregorian date, as days since 1970-01-01.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Date(pub i32);

impl Date {
    pub fn from_ymd(year: i32, month: u32, day: u32) -> DomainResult<Date> {
        if !(1..=12).contains(&month) || day == 0 || day > days_in_month(year, month) {
            return Err(DomainError::invalid(format!(
                "no such date {year:04}-{month:02}-{day:02}"
            )));
        }
        // Howard Hinnant's days_from_civil.
        let y = if month <= 2 { year - 1 } else { year } as i64;
        let era = if y >= 0 { y } else { y - 399 } / 400;
        let yoe = y - era * 400;
        let m = month as i64;
        let doy = (153 * (if m > 2 { m - 3 } else { m + 9 }) + 2) / 5 + day as i64 - 1;
        let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
        Ok(Date((era * 146_097 + doe - 719_468) as i32))
    }

    /// Parses `YYYY-MM-DD`; also accepts a full RFC 3339 timestamp and keeps its date.
    pub fn parse(text: &str) -> DomainResult<Date> {
        let bad = || DomainError::invalid(format!("malformed date {text:?}: expected YYYY-MM-DD"));
        let day_part = text.get(..10).ok_or_else(bad)?;
        let bytes = day_part.as_bytes();
        let suffix_ok = text.len() == 10 || matches!(text.as_bytes()[10], b'T' | b' ');
        if bytes[4] != b'-' || bytes[7] != b'-' || !suffix_ok {
            return Err(bad());
        }
        let year = day_part[..4].parse::<i32>().map_err(|_| bad())?;
        let month = day_part[5..7].parse::<u32>().map_err(|_| bad())?;
        let day = day_part[8..10].parse::<u32>().map_err(|_| bad())?;
        Date::from_ymd(year, month, day)
    }

    pub fn ymd(self) -> (i32, u32, u32) {
        let z = self.0 as i64 + 719_468;
        let era = if z >= 0 { z } else { z - 146_096 } / 146_097;
        let doe = z - era * 146_097;
        let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
        let y = yoe + era * 400;
        let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
        let mp = (5 * doy + 2) / 153;
        let d = (doy - (153 * mp + 2) / 5 + 1) as u32;
        let m = if mp < 10 { mp + 3 } else { mp - 9 } as u32;
        ((if m <= 2 { y + 1 } else { y }) as i32, m, d)
    }

    pub fn days_since(self, earlier: Date) -> i64 {
        self.0 as i64 - earlier.0 as i64
    }
}

fn days_in_month(year: i32, month: u32) -> u32 {
    match month {
        2 if (year % 4 == 0 && year % 100 != 0) || year % 400 == 0 => 29,
        2 => 28,
        4 | 6 | 9 | 11 => 30,
        _ => 31,
    }
}

impl fmt::Display for Date {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let (y, m, d) = self.ymd();
        write!(f, "{y:04}-{m:02}-{d:02}")
    }
}

/// `YYYY-MM-DD`; in a binary format (a snapshot) the day number.
impl Serialize for Date {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        if !serializer.is_human_readable() {
            return serializer.serialize_i32(self.0);
        }
        serializer.collect_str(self)
    }
}

impl<'de> Deserialize<'de> for Date {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        if !deserializer.is_human_readable() {
            return i32::deserialize(deserializer).map(Date);
        }
        let text = String::deserialize(deserializer)?;
        Date::parse(&text).map_err(serde::de::Error::custom)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn round_trips_dates() {
        for text in ["1970-01-01", "2000-02-29", "2026-11-21", "1999-12-31"] {
            assert_eq!(Date::parse(text).unwrap().to_string(), text);
        }
        assert_eq!(Date::parse("1970-01-02").unwrap().0, 1);
        assert_eq!(
            Date::parse("2026-11-21T10:20:49Z").unwrap().to_string(),
            "2026-11-21"
        );
        assert!(Date::parse("2026-02-30").is_err());
        assert!(Date::parse("21/11/2026").is_err());
    }
}
