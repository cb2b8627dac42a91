//! Plan files (`plan set --file`, TOML or JSON). A plan that parses, written back as a plan
//! file, parses to the same buckets; a plan set on the demo book from it is decided without
//! panicking.
#![no_main]

use fairshare_core::{Command, Plan};
use fairshare_fuzz::{decide_and_apply, next_ctx, seeded, selector_and_text};
use fairshare_ops::plans::{parse_plan_file, plan_file_text};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let Some((selector, text)) = selector_and_text(data) else {
        return;
    };
    let json = selector % 2 == 1;
    let Ok(specs) = parse_plan_file(text, json) else {
        return;
    };
    let Ok(buckets) = specs
        .iter()
        .map(|s| s.to_bucket())
        .collect::<Result<Vec<_>, _>>()
    else {
        return;
    };
    let plan = Plan { buckets };
    let written = plan_file_text(&plan);
    let reread = parse_plan_file(&written, false)
        .unwrap_or_else(|e| panic!("a written plan file parses: {e}\n{written}"));
    let rebuilt: Vec<_> = reread
        .iter()
        .map(|s| s.to_bucket().expect("a written bucket is valid"))
        .collect();
    assert_eq!(rebuilt, plan.buckets, "plan file round trip:\n{written}");
    let state = seeded();
    let set = Command::SetPlan {
        project: "forillon".into(),
        plan,
    };
    decide_and_apply(state, &next_ctx(state, selector / 2), &set);
});
