//! Contribution values and exact decimal factors.
//!
//! A value is an exact decimal in the project's currency units, held as an integer count of
//! 10^-18 units (`Value`). Inputs (hours, rates, multipliers, skill factors) are decimals; their
//! product is exact whenever it has at most 18 decimals, which covers every realistic policy;
//! beyond that (and for the irrational decay factor) the product is rounded half-to-even at
//! the 18th decimal, deterministically.

use std::fmt;

use ethnum::I256;
use num_bigint::BigInt;
use num_integer::Integer;
use num_traits::Signed;
use rust_decimal::Decimal;
use serde::{Deserialize, Serialize};

use crate::error::{DomainError, DomainResult, Field};

/// Decimal places of a [`Value`].
pub const VALUE_SCALE: u32 = 18;
const ONE: i128 = 1_000_000_000_000_000_000;

/// An exact value in project currency units, scaled by 10^18.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Default)]
pub struct Value(pub i128);

/// Serialised as its exact decimal text ("5400", "0.707106781186547524"); in a binary format
/// (a snapshot) as the scaled integer.
impl Serialize for Value {
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        if !serializer.is_human_readable() {
            return serializer.serialize_i128(self.0);
        }
        serializer.collect_str(self)
    }
}

impl<'de> Deserialize<'de> for Value {
    fn deserialize<D: serde::Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        if !deserializer.is_human_readable() {
            return i128::deserialize(deserializer).map(Value);
        }
        let text = String::deserialize(deserializer)?;
        Value::parse(&text).map_err(serde::de::Error::custom)
    }
}

impl Value {
    pub const ZERO: Value = Value(0);

    /// Parses exact decimal text with at most 18 decimals.
    pub fn parse(text: &str) -> DomainResult<Value> {
        crate::money::parse_fixed(text, VALUE_SCALE).map(Value)
    }

    /// `minor` units of an asset with `exponent` decimals, as a value.
    pub fn from_minor(minor: i128, exponent: u32) -> DomainResult<Value> {
        minor
            .checked_mul(10i128.pow(VALUE_SCALE - exponent.min(VALUE_SCALE)))
            .map(Value)
            .ok_or_else(too_large)
    }

    pub fn from_decimal(decimal: Decimal) -> DomainResult<Value> {
        Value(ONE).mul_decimal(decimal)
    }

    /// `self * factor`, rounded half-to-even at the 18th decimal.
    pub fn mul_decimal(self, factor: Decimal) -> DomainResult<Value> {
        let product = I256::from(self.0) * I256::from(factor.mantissa());
        let divisor = I256::from(10i128.pow(factor.scale()));
        round_div(product, divisor)
    }

    /// `self * factor / 10^18`, for factors already scaled like a value.
    pub fn mul_scaled(self, factor: i128) -> DomainResult<Value> {
        round_div(I256::from(self.0) * I256::from(factor), I256::from(ONE))
    }

    pub fn checked_add(self, other: Value) -> DomainResult<Value> {
        self.0.checked_add(other.0).map(Value).ok_or_else(too_large)
    }

    /// Largest whole number of minor units (exponent `exponent`) not above this value.
    pub fn floor_minor(self, exponent: u32) -> i128 {
        self.0
            .div_euclid(10i128.pow(VALUE_SCALE - exponent.min(VALUE_SCALE)))
    }

    /// Prints with at least `min_decimals` decimals and no trailing zeros beyond them.
    pub fn display(self, min_decimals: u32) -> String {
        format_scaled(self.0, VALUE_SCALE, min_decimals)
    }
}

impl fmt::Display for Value {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.display(0))
    }
}

fn too_large() -> DomainError {
    DomainError::invalid("value too large: the product of quantity, rate and factors overflows")
}

fn round_div(numerator: I256, divisor: I256) -> DomainResult<Value> {
    let quotient = numerator / divisor;
    let remainder = numerator % divisor;
    let twice = remainder.abs() * 2;
    let mut rounded = quotient;
    if twice > divisor || (twice == divisor && quotient % 2 != 0) {
        rounded += if numerator < 0 { -1 } else { 1 };
    }
    i128::try_from(rounded).map(Value).map_err(|_| too_large())
}

/// Prints `mantissa * 10^-scale` with at least `min_decimals` decimals, trailing zeros trimmed.
pub fn format_scaled(mantissa: i128, scale: u32, min_decimals: u32) -> String {
    let sign = if mantissa < 0 { "-" } else { "" };
    let magnitude = mantissa.unsigned_abs();
    let unit = 10u128.pow(scale);
    let whole = magnitude / unit;
    let mut fraction = format!("{:0width$}", magnitude % unit, width = scale as usize);
    while fraction.len() > min_decimals as usize && fraction.ends_with('0') {
        fraction.pop();
    }
    if fraction.is_empty() {
        format!("{sign}{whole}")
    } else {
        format!("{sign}{whole}.{fraction}")
    }
}

/// Decimals of a printed share or ratio: values are exact to 10^-18, so are their shares.
pub const RATIO_DECIMALS: u32 = 18;

/// `part / total` for display: the exact decimal when it terminates within
/// [`RATIO_DECIMALS`] digits, otherwise rounded half-to-even at the last one (as values are).
/// Zero when `total` is not positive. The one place every report prints a share.
pub fn ratio_decimal(part: &BigInt, total: &BigInt) -> String {
    if !total.is_positive() {
        return "0".to_string();
    }
    let scale = BigInt::from(10u8).pow(RATIO_DECIMALS);
    let (mut quotient, remainder) = (part * &scale).div_mod_floor(total);
    let twice: BigInt = remainder * 2;
    if &twice > total || (&twice == total && quotient.is_odd()) {
        quotient += 1;
    }
    let sign = if quotient.is_negative() { "-" } else { "" };
    let width = RATIO_DECIMALS as usize + 1;
    let digits = format!("{:0>width$}", quotient.abs().to_string());
    let (whole, fraction) = digits.split_at(digits.len() - RATIO_DECIMALS as usize);
    let fraction = fraction.trim_end_matches('0');
    if fraction.is_empty() {
        format!("{sign}{whole}")
    } else {
        format!("{sign}{whole}.{fraction}")
    }
}

/// An agent's share of a total value, printed as [`ratio_decimal`] prints ratios.
pub fn share_decimal(part: Value, total: Value) -> String {
    ratio_decimal(&BigInt::from(part.0), &BigInt::from(total.0))
}

/// Parses a decimal factor such as a rate, a multiplier or a number of hours; `what` names it
/// in the message. A refusal quotes the text (its value).
#[inline]
pub fn parse_decimal(text: &str, what: &str) -> DomainResult<Decimal> {
    decimal_of(text).ok_or_else(|| malformed(what, text))
}

/// Parses a decimal that must be strictly positive.
#[inline]
pub fn parse_positive_decimal(text: &str, what: &str) -> DomainResult<Decimal> {
    match decimal_of(text) {
        Some(decimal) if decimal > Decimal::ZERO => Ok(decimal),
        Some(_) => Err(not_positive(what, text)),
        None => Err(malformed(what, text)),
    }
}

/// [`parse_decimal`] of a request field.
#[inline]
pub(crate) fn decimal(field: Field, text: &str) -> DomainResult<Decimal> {
    parse_decimal(text, field.what).map_err(|e| e.field(field.name))
}

/// [`parse_positive_decimal`] of a request field.
#[inline]
pub(crate) fn positive_decimal(field: Field, text: &str) -> DomainResult<Decimal> {
    parse_positive_decimal(text, field.what).map_err(|e| e.field(field.name))
}

/// The decimal `text` writes (digits, one optional '.', a sign), if it writes one.
#[inline]
fn decimal_of(text: &str) -> Option<Decimal> {
    let trimmed = text.trim();
    let ok_shape = !trimmed.is_empty()
        && trimmed
            .bytes()
            .all(|b| b.is_ascii_digit() || b == b'.' || b == b'-')
        && trimmed.bytes().filter(|&b| b == b'.').count() <= 1;
    if ok_shape {
        trimmed.parse::<Decimal>().ok()
    } else {
        None
    }
}

#[cold]
#[inline(never)]
fn malformed(what: &str, text: &str) -> DomainError {
    DomainError::invalid(format!(
        "malformed {what} {text:?}: expected a decimal number such as 45.00"
    ))
    .value(text)
}

#[cold]
#[inline(never)]
fn not_positive(what: &str, text: &str) -> DomainError {
    DomainError::invalid(format!("{what} must be greater than zero, got {text}")).value(text)
}

/// A request field's decimal that must not be negative; a refusal quotes the text.
pub(crate) fn non_negative_decimal(field: Field, text: &str) -> DomainResult<Decimal> {
    let decimal = decimal(field, text)?;
    if decimal < Decimal::ZERO {
        return Err(DomainError::invalid(format!(
            "{} must not be negative, got {text}",
            field.what
        ))
        .field(field.name)
        .value(text));
    }
    Ok(decimal)
}

/// A request field's rate (per hour, per unit of value) that must not be negative; a refusal
/// quotes the rate as parsed ("-5" for "-05").
pub(crate) fn rate(field: Field, text: &str) -> DomainResult<Decimal> {
    let decimal = decimal(field, text)?;
    if decimal < Decimal::ZERO {
        return Err(DomainError::invalid(format!(
            "{} must not be negative, got {decimal}",
            field.what
        ))
        .field(field.name)
        .value(text));
    }
    Ok(decimal)
}

/// `0.5 ^ (age_days / half_life_days)` as a factor scaled by 10^18, computed with integers
/// only (so every machine gets the same digits): 2^-n for the whole halvings, and a Taylor
/// series of e^(-f ln 2) for the fraction, carried at 10^-36.
pub fn decay_factor_scaled(age_days: i64, half_life_days: Decimal) -> i128 {
    if age_days <= 0 || half_life_days <= Decimal::ZERO {
        return ONE;
    }
    // x = age / h as an exact fraction num/den.
    let den = I256::from(half_life_days.mantissa());
    let num = I256::from(age_days as i128) * I256::from(10i128.pow(half_life_days.scale()));
    let halvings = num / den;
    if halvings >= 128 {
        return 0;
    }
    let fraction_num = num % den;
    let precision = I256::from(10i128.pow(36) as u128 as i128);
    // ln 2 to 36 decimals.
    let ln2 = I256::from_str_radix("693147180559945309417232121458176568", 10).expect("constant");
    // y = fraction * ln 2, at 10^-36.
    let y = fraction_num * ln2 / den;
    let mut term = precision;
    let mut sum = precision;
    for n in 1..60 {
        term = -(term * y) / precision / I256::from(n as i128);
        if term == 0 {
            break;
        }
        sum += term;
    }
    let shifted = sum >> halvings.as_u32();
    // Scale 10^-36 down to 10^-18.
    (shifted / I256::from(ONE)).as_i128()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn dec(text: &str) -> Decimal {
        text.parse().unwrap()
    }

    #[test]
    fn values_multiply_exactly() {
        let rate = Value::from_decimal(dec("45.00")).unwrap();
        let value = rate.mul_decimal(dec("120")).unwrap();
        assert_eq!(value.display(2), "5400.00");
        assert_eq!(
            value.mul_decimal(dec("0.333")).unwrap().display(2),
            "1798.20"
        );
        assert_eq!(Value::from_minor(30_000, 2).unwrap().display(2), "300.00");
    }

    #[test]
    fn decay_halves_at_the_half_life() {
        assert_eq!(decay_factor_scaled(0, dec("30")), ONE);
        assert_eq!(decay_factor_scaled(30, dec("30")), ONE / 2);
        assert_eq!(decay_factor_scaled(60, dec("30")), ONE / 4);
        // 2^-0.5 = 0.707106781186547524400844362...
        assert_eq!(decay_factor_scaled(15, dec("30")), 707_106_781_186_547_524);
    }

    #[test]
    fn formats_trim_to_minimum_decimals() {
        assert_eq!(format_scaled(375, 3, 0), "0.375");
        assert_eq!(format_scaled(5_400_000, 3, 2), "5400.00");
        assert_eq!(format_scaled(-1_500, 3, 0), "-1.5");
    }

    #[test]
    fn ratios_print_exactly_or_rounded_half_to_even() {
        let ratio = |a: i64, b: i64| ratio_decimal(&BigInt::from(a), &BigInt::from(b));
        assert_eq!(ratio(3, 8), "0.375");
        assert_eq!(ratio(1, 1), "1");
        assert_eq!(ratio(2, 3), "0.666666666666666667");
        assert_eq!(ratio(1, 3), "0.333333333333333333");
        assert_eq!(ratio(5, 0), "0");
        assert_eq!(
            share_decimal(Value(5400), Value(10200)),
            "0.529411764705882353"
        );
    }

    #[test]
    fn refuses_malformed_decimals() {
        assert!(parse_decimal("4e5", "rate").is_err());
        assert!(parse_positive_decimal("-3", "hours").is_err());
        assert!(parse_positive_decimal("0", "hours").is_err());
        assert_eq!(parse_decimal("45.00", "rate").unwrap().to_string(), "45.00");
    }
}
