//! Timesheet CSVs (`import-timesheet`): Toggl, Clockify, or a generic CSV whose first line is
//! the column mapping (`--columns`), planned and checked against the demo book. A plan gives
//! every row its own idempotency key and is the same when made twice.
#![no_main]

use std::collections::BTreeSet;

use fairshare_core::Date;
use fairshare_export::{
    ColumnMap, DateOrder, ImportCheck, ImportOptions, Layout, plan_import, to_requests,
};
use fairshare_fuzz::{FUZZ_DAY, seeded, selector_and_text};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let Some((selector, text)) = selector_and_text(data) else {
        return;
    };
    let (layout, csv) = match selector % 4 {
        0 => (Layout::Toggl, text),
        1 => (Layout::Clockify, text),
        2 => (Layout::Generic(ColumnMap::default()), text),
        _ => {
            let (spec, csv) = text.split_once('\n').unwrap_or((text, ""));
            let Ok(map) = ColumnMap::parse(spec) else {
                return;
            };
            (Layout::Generic(map), csv)
        }
    };
    let mut options = ImportOptions::new(layout);
    options.date_order = match (selector / 4) % 4 {
        0 => None,
        1 => Some(DateOrder::Iso),
        2 => Some(DateOrder::MonthFirst),
        _ => Some(DateOrder::DayFirst),
    };
    if selector & 0x10 != 0 {
        options.default_project = Some("forillon".into());
        options.default_category = Some("design".into());
    }
    let check = ImportCheck {
        state: seeded(),
        actor: "operator",
        today: Date::parse(FUZZ_DAY).expect("a day"),
    };
    let checked = if selector & 0x20 != 0 {
        Some(&check)
    } else {
        None
    };
    let Ok(planned) = plan_import(csv, &options, checked) else {
        return;
    };
    let keys: BTreeSet<&str> = planned.iter().map(|(key, _)| key.as_str()).collect();
    assert_eq!(keys.len(), planned.len(), "every row has its own key");
    let again = plan_import(csv, &options, checked).expect("a plan is made again");
    assert_eq!(again, planned, "the same file plans the same commands");
    assert_eq!(
        to_requests(&planned, "operator", FUZZ_DAY).len(),
        planned.len()
    );
});
