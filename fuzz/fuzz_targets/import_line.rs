//! One line of a JSON-lines import. Even first byte: the line as it is, imported alone.
//! Odd: the rest is an event body, sealed with good hashes after the demo book's events and
//! imported with them, so the core decides it again against the demo state.
#![no_main]

use fairshare_fuzz::{
    ACTORS, FUZZ_DAY, SEED_BOOK, Unsealed, import_and_check, seal, seed_tail, selector_and_text,
};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let Some((selector, text)) = selector_and_text(data) else {
        return;
    };
    if selector % 2 == 0 {
        import_and_check(text);
        return;
    }
    let (head, last_hash) = seed_tail();
    let recorded_at = format!("{FUZZ_DAY}T12:00:00Z");
    let event = Unsealed {
        actor: ACTORS[usize::from(selector / 2) % ACTORS.len()],
        recorded_at: &recorded_at,
        key: (selector & 0x40 != 0).then_some("fuzz-key"),
        body: text,
    };
    let (line, _) = seal(head + 1, &last_hash, &[event]);
    import_and_check(&format!("{SEED_BOOK}{line}"));
});
