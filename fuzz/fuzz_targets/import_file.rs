//! A whole JSON-lines import file. Even first byte: the file as it is. Odd: every line's
//! sequence number and hashes are recomputed (its actor, time, key and body kept), so a
//! mutated body in the middle of a file reaches the core instead of the hash check.
#![no_main]

use std::borrow::Cow;

use fairshare_core::GENESIS_HASH;
use fairshare_fuzz::{Unsealed, import_and_check, seal, selector_and_text};
use libfuzzer_sys::fuzz_target;
use serde::Deserialize;
use serde_json::value::RawValue;

/// The fields of an export line that sealing keeps.
#[derive(Deserialize)]
struct Kept<'a> {
    #[serde(borrow)]
    recorded_at: Cow<'a, str>,
    #[serde(borrow)]
    actor: Cow<'a, str>,
    #[serde(default)]
    idempotency_key: Option<String>,
    #[serde(borrow)]
    body: &'a RawValue,
}

fuzz_target!(|data: &[u8]| {
    let Some((selector, text)) = selector_and_text(data) else {
        return;
    };
    if selector % 2 == 0 {
        import_and_check(text);
        return;
    }
    let mut kept = Vec::new();
    for line in text.lines().filter(|l| !l.trim().is_empty()) {
        match serde_json::from_str::<Kept>(line) {
            Ok(line) => kept.push(line),
            Err(_) => return,
        }
    }
    let events: Vec<Unsealed> = kept
        .iter()
        .map(|k| Unsealed {
            actor: &k.actor,
            recorded_at: &k.recorded_at,
            key: k.idempotency_key.as_deref(),
            body: k.body.get(),
        })
        .collect();
    let (sealed, _) = seal(1, GENESIS_HASH, &events);
    import_and_check(&sealed);
});
