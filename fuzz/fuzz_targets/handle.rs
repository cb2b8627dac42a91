//! Handles and slugs: an agent added (by a custodian, or a stranger asking to join) and a
//! project added with the fuzzed name, decided and applied on the demo book. A handle
//! accepted once keeps its lookalikes (`o`/`0`, `l`/`1`, `m`/`rn`) out.
#![no_main]

use fairshare_core::{Command, Role, skeleton};
use fairshare_fuzz::{decide_and_apply, next_ctx, seeded};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
    let _ = skeleton(text);
    let state = seeded();
    let add = Command::AddAgent {
        handle: text.into(),
        name: None,
        role: Role::Affiliate,
    };
    let ctx = next_ctx(state, 0);
    decide_and_apply(state, &ctx, &add);
    let project = Command::AddProject {
        slug: text.into(),
        name: None,
        currency: "CAD".into(),
        exponent: 2,
        approvals: 0,
    };
    decide_and_apply(state, &ctx, &project);
    let Ok(outcome) = state.decide(&ctx, &add) else {
        return;
    };
    let mut after = state.clone();
    after
        .apply_owned(&ctx, &add, outcome)
        .expect("a decided agent applies");
    let next = next_ctx(&after, 0);
    for (from, to) in [
        ("o", "0"),
        ("l", "1"),
        ("m", "rn"),
        ("0", "o"),
        ("1", "l"),
        ("rn", "m"),
    ] {
        let lookalike = text.replace(from, to);
        if lookalike == text {
            continue;
        }
        let again = Command::AddAgent {
            handle: lookalike.clone(),
            name: None,
            role: Role::Affiliate,
        };
        assert!(
            after.decide(&next, &again).is_err(),
            "{lookalike:?} is accepted beside {text:?}"
        );
    }
});
