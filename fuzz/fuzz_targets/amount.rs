//! Amounts, values, decimals and shares: the numbers every request writes as text. A parse
//! that succeeds prints to text that parses back to the same number.
#![no_main]

use fairshare_core::{Share, Value, format_amount, parse_amount, parse_decimal};
use fairshare_fuzz::selector_and_text;
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let Some((selector, text)) = selector_and_text(data) else {
        return;
    };
    // Every exponent an asset may have (0 to 18).
    let exponent = u32::from(selector % 19);
    if let Ok(minor) = parse_amount(text, exponent) {
        let printed = format_amount(minor, exponent);
        let again = parse_amount(&printed, exponent);
        assert_eq!(again.ok(), Some(minor), "{text:?} printed as {printed:?}");
    }
    if let Ok(value) = Value::parse(text) {
        let printed = value.to_string();
        let again = Value::parse(&printed);
        assert_eq!(again.ok(), Some(value), "{text:?} printed as {printed:?}");
    }
    if let Ok(decimal) = parse_decimal(text, "rate") {
        let printed = decimal.to_string();
        let again = parse_decimal(&printed, "rate");
        assert_eq!(again.ok(), Some(decimal), "{text:?} printed as {printed:?}");
    }
    if let Ok(share) = Share::parse(text) {
        let printed = share.to_string();
        let again = Share::parse(&printed);
        assert_eq!(again.ok(), Some(share), "{text:?} printed as {printed:?}");
    }
});
