//! A stored event body (the `body` of a log row). One that reads is stored again as the same
//! canonical bytes; its recorded outcome is applied as opening a book does (refused or
//! applied, never a panic), and its command decided again as `verify` does.
#![no_main]

use fairshare_core::EventBody;
use fairshare_fuzz::{decide_and_apply, next_ctx, replay, seeded, selector_and_text};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let Some((selector, text)) = selector_and_text(data) else {
        return;
    };
    let Ok(body) = EventBody::from_json(text) else {
        return;
    };
    let stored = body.to_json();
    let read = EventBody::from_json(&stored)
        .unwrap_or_else(|e| panic!("a stored body reads back: {e}\n{stored}"));
    assert_eq!(read, body, "{stored}");
    assert_eq!(read.to_json(), stored, "storing is canonical");
    let state = seeded();
    let ctx = fairshare_book::decided_by(next_ctx(state, selector), &body);
    decide_and_apply(state, &ctx, &body.command);
    replay(state, &ctx, &body.command, body.outcome);
});
