//! Amounts: integer counts of an asset's smallest unit, parsed and printed exactly.

use crate::error::{DomainError, DomainResult};

/// Largest exponent an asset may have; keeps `10^exponent` and every amount far inside `i128`.
pub const EXPONENT_MAX: u32 = 18;
/// Largest absolute amount in minor units we accept from input (about 10^30).
pub const AMOUNT_MINOR_MAX: i128 = 1_000_000_000_000_000_000_000_000_000_000;

/// Refuses an asset exponent past [`EXPONENT_MAX`] (the request's `exponent`).
pub(crate) fn check_exponent(exponent: u32) -> DomainResult<()> {
    if exponent > EXPONENT_MAX {
        return Err(DomainError::invalid(format!(
            "exponent {exponent} is too large: at most {EXPONENT_MAX}"
        ))
        .field("exponent")
        .value(exponent.to_string())
        .limit(EXPONENT_MAX.to_string()));
    }
    Ok(())
}

pub fn pow10(exponent: u32) -> i128 {
    10i128.pow(exponent)
}

/// Parses a decimal string ("12000.00", "3", "0.5") into minor units of an asset with
/// `exponent` decimals. More decimals than the asset has ("1.005" CAD) is refused, never rounded.
/// A refusal quotes the text (its value) and, for one too large, the largest amount accepted.
pub fn parse_amount(text: &str, exponent: u32) -> DomainResult<i128> {
    let largest = || format_amount(AMOUNT_MINOR_MAX, exponent);
    let minor = fixed(text, exponent, Some(&largest))?;
    if minor.abs() > AMOUNT_MINOR_MAX {
        return Err(
            DomainError::invalid(format!("malformed amount {text:?}: too large"))
                .value(text)
                .limit(largest()),
        );
    }
    Ok(minor)
}

/// Parses decimal text into an integer count of `10^-exponent`, refusing extra decimals.
pub fn parse_fixed(text: &str, exponent: u32) -> DomainResult<i128> {
    fixed(text, exponent, None)
}

/// [`parse_fixed`], naming `largest` as the limit of a number too large.
fn fixed(text: &str, exponent: u32, largest: Option<&dyn Fn() -> String>) -> DomainResult<i128> {
    let bad =
        |why: &str| DomainError::invalid(format!("malformed amount {text:?}: {why}")).value(text);
    let too_large = || match largest {
        Some(largest) => bad("too large").limit(largest()),
        None => bad("too large"),
    };
    let trimmed = text.trim();
    let (negative, digits) = match trimmed.strip_prefix('-') {
        Some(rest) => (true, rest),
        None => (false, trimmed),
    };
    if digits.is_empty() {
        return Err(bad("no digits"));
    }
    let (whole, fraction) = match digits.split_once('.') {
        Some((w, f)) => (w, f),
        None => (digits, ""),
    };
    if whole.is_empty() || !whole.bytes().all(|b| b.is_ascii_digit()) {
        return Err(bad("expected digits with an optional '.' and decimals"));
    }
    if digits.contains('.')
        && (fraction.is_empty() || !fraction.bytes().all(|b| b.is_ascii_digit()))
    {
        return Err(bad("expected digits after '.'"));
    }
    if fraction.len() > exponent as usize {
        return Err(DomainError::invalid(format!(
            "amount {text:?} has {} decimals but the asset has {exponent}",
            fraction.len()
        ))
        .value(text)
        .limit(format!("{exponent} decimals")));
    }
    let mut minor: i128 = whole.parse::<i128>().map_err(|_| too_large())?;
    minor = minor.checked_mul(pow10(exponent)).ok_or_else(too_large)?;
    if !fraction.is_empty() {
        let padded = format!("{fraction:0<width$}", width = exponent as usize);
        minor = minor
            .checked_add(padded.parse::<i128>().map_err(|_| bad("bad decimals"))?)
            .ok_or_else(too_large)?;
    }
    Ok(if negative { -minor } else { minor })
}

/// Parses a strictly positive amount.
pub fn parse_positive_amount(text: &str, exponent: u32) -> DomainResult<i128> {
    let minor = parse_amount(text, exponent)?;
    if minor <= 0 {
        return Err(
            DomainError::invalid(format!("amount {text:?} must be greater than zero")).value(text),
        );
    }
    Ok(minor)
}

/// [`parse_positive_amount`] of the request field `field`.
pub(crate) fn positive_amount(
    field: &'static str,
    text: &str,
    exponent: u32,
) -> DomainResult<i128> {
    parse_positive_amount(text, exponent).map_err(|e| e.field(field))
}

/// Prints minor units with exactly `exponent` decimals: 555882 at exponent 2 is "5558.82".
pub fn format_amount(minor: i128, exponent: u32) -> String {
    // Digits written by hand, least significant first: a statement prints an amount per
    // line (10,000 lines, or a million in a plan comparison) and `format!` of a u128 is slow.
    const DIGITS_MAX: usize = 40; // u128::MAX has 39 digits.
    let width = exponent as usize + 1;
    if width > DIGITS_MAX {
        return format_amount_slow(minor, exponent);
    }
    let mut digits = [b'0'; DIGITS_MAX];
    let mut start = DIGITS_MAX;
    let mut magnitude = minor.unsigned_abs();
    while magnitude > u64::MAX as u128 {
        start -= 1;
        digits[start] = b'0' + (magnitude % 10) as u8;
        magnitude /= 10;
    }
    let mut small = magnitude as u64;
    while small > 0 {
        start -= 1;
        digits[start] = b'0' + (small % 10) as u8;
        small /= 10;
    }
    // At least one digit before the point: the padding is the array's zeros.
    start = start.min(DIGITS_MAX - width);
    let (whole, fraction) = digits[start..].split_at(DIGITS_MAX - start - exponent as usize);
    let mut out = String::with_capacity(2 + DIGITS_MAX - start);
    if minor < 0 {
        out.push('-');
    }
    out.push_str(std::str::from_utf8(whole).expect("ASCII digits"));
    if exponent > 0 {
        out.push('.');
        out.push_str(std::str::from_utf8(fraction).expect("ASCII digits"));
    }
    out
}

/// [`format_amount`] through `format!`, for exponents wider than any u128.
fn format_amount_slow(minor: i128, exponent: u32) -> String {
    let sign = if minor < 0 { "-" } else { "" };
    let magnitude = minor.unsigned_abs();
    if exponent == 0 {
        return format!("{sign}{magnitude}");
    }
    let scale = 10u128.checked_pow(exponent);
    match scale {
        Some(scale) => format!(
            "{sign}{}.{:0width$}",
            magnitude / scale,
            magnitude % scale,
            width = exponent as usize
        ),
        None => format!("{sign}0.{magnitude:0width$}", width = exponent as usize),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_and_prints_exactly() {
        assert_eq!(parse_amount("12000.00", 2).unwrap(), 1_200_000);
        assert_eq!(parse_amount("0.5", 2).unwrap(), 50);
        assert_eq!(parse_amount("3", 0).unwrap(), 3);
        assert_eq!(parse_amount("-1.25", 2).unwrap(), -125);
        assert_eq!(format_amount(555_882, 2), "5558.82");
        assert_eq!(format_amount(-5, 2), "-0.05");
        assert_eq!(format_amount(106_937, 0), "106937");
    }

    /// The hand-written digits are `format!`'s, around every boundary they handle.
    #[test]
    fn formats_as_format_does() {
        let minors = [
            0,
            1,
            -1,
            9,
            10,
            99,
            100,
            555_882,
            -555_882,
            u64::MAX as i128,
            u64::MAX as i128 + 1,
            -(u64::MAX as i128) - 7,
            i128::MAX,
            i128::MIN,
            i128::MIN + 1,
        ];
        for exponent in [0, 1, 2, 3, 8, 18, 19, 20, 38, 39, 40] {
            for minor in minors {
                assert_eq!(
                    format_amount(minor, exponent),
                    format_amount_slow(minor, exponent),
                    "{minor} at exponent {exponent}"
                );
            }
        }
        assert_eq!(format_amount(5, 3), "0.005");
        assert_eq!(format_amount(-120, 2), "-1.20");
        assert_eq!(
            format_amount(i128::MIN, 2),
            "-1701411834604692317316873037158841057.28"
        );
    }

    #[test]
    fn refuses_over_precise_and_malformed() {
        let err = parse_amount("1.005", 2).unwrap_err().to_string();
        assert_eq!(err, "amount \"1.005\" has 3 decimals but the asset has 2");
        for bad in ["", "abc", "1.", ".5", "1.2.3", "1e5", "--1", " "] {
            assert!(parse_amount(bad, 2).is_err(), "{bad:?} accepted");
        }
        assert!(parse_positive_amount("0.00", 2).is_err());
    }
}
