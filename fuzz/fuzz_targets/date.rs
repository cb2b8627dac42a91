//! Dates and instants: request dates, `--at`, a log row's `recorded_at`. A parse that
//! succeeds prints to text that parses back to the same day or second.
#![no_main]

use fairshare_core::{Ctx, Date, Timestamp};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
    if let Ok(date) = Date::parse(text) {
        let printed = date.to_string();
        assert_eq!(
            Date::parse(&printed).ok(),
            Some(date),
            "{text:?} printed as {printed:?}"
        );
        let (year, month, day) = date.ymd();
        assert_eq!(Date::from_ymd(year, month, day).ok(), Some(date));
    }
    if let Ok(instant) = Timestamp::parse(text) {
        let printed = instant.to_string();
        let again = Timestamp::parse(&printed);
        assert_eq!(again.ok(), Some(instant), "{text:?} printed as {printed:?}");
        assert_eq!(
            Date::parse(&printed).ok(),
            Some(instant.date()),
            "{printed:?}"
        );
    }
    // What opening a book does with a stored row's time.
    if let Ok(ctx) = Ctx::recorded(1, "operator", text) {
        assert_eq!(ctx.at.date(), ctx.date, "{text:?}");
    }
});
