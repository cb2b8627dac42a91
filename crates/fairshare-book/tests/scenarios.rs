//! The worked examples of DOMAIN.md, as data, run through the book on every store.

mod support;

use fairshare_book::{Book, MemoryStore};
use fairshare_postgres::PostgresStore;
use fairshare_sqlite::SqliteStore;
use support::{Runner, load};

fn run_in_memory(name: &str) -> Runner {
    let mut runner = Runner::new(Box::new(MemoryStore::new()));
    runner.run(&load(name));
    let state = runner.book.state();
    let bytes = state.encode_snapshot(runner.book.last_hash());
    let (header, decoded) = fairshare_core::State::decode_snapshot(&bytes).unwrap();
    assert_eq!(header.head_hash, runner.book.last_hash());
    assert_eq!(&decoded, state, "snapshot of {name}");
    runner
}

/// Runs a scenario on a real SQLite file, then reopens the file: the replayed state must be
/// identical to the one built step by step.
fn run_on_sqlite(name: &str) {
    run_on_sqlite_by(name, Runner::run);
}

/// [`run_on_sqlite`], playing the scenario with `play`.
fn run_on_sqlite_by(name: &str, play: fn(&mut Runner, &serde_json::Value)) {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("book.db");
    let mut runner = Runner::new(Box::new(SqliteStore::open(&path).unwrap()));
    play(&mut runner, &load(name));
    let reopened = Book::open(Box::new(SqliteStore::open(&path).unwrap())).unwrap();
    assert_eq!(
        reopened.state(),
        runner.book.state(),
        "replay of {name} differs"
    );
    assert_eq!(reopened.last_hash(), runner.book.last_hash());
}

/// Runs a scenario on PostgreSQL (when `FAIRSHARE_TEST_POSTGRES` names a database), in a
/// schema of its own, then reopens it: the replayed state must be the one built step by step.
fn run_on_postgres(name: &str) {
    run_on_postgres_by(name, Runner::run);
}

/// [`run_on_postgres`], playing the scenario with `play`.
fn run_on_postgres_by(name: &str, play: fn(&mut Runner, &serde_json::Value)) {
    let Ok(url) = std::env::var("FAIRSHARE_TEST_POSTGRES") else {
        eprintln!("skip {name} on PostgreSQL: FAIRSHARE_TEST_POSTGRES is not set");
        return;
    };
    let schema = format!(
        "scenario_{name}_{}_{}",
        std::process::id(),
        std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map_or(0, |d| d.subsec_nanos())
    );
    let separator = if url.contains('?') { '&' } else { '?' };
    let book_url = format!("{url}{separator}schema={schema}");
    let mut runner = Runner::new(Box::new(PostgresStore::open(&book_url).unwrap()));
    play(&mut runner, &load(name));
    let reopened = Book::open(Box::new(PostgresStore::open(&book_url).unwrap())).unwrap();
    let same = reopened.state() == runner.book.state();
    drop((reopened, runner));
    let mut client = postgres::Client::connect(&url, postgres::NoTls).unwrap();
    client
        .batch_execute(&format!("DROP SCHEMA IF EXISTS {schema} CASCADE"))
        .unwrap();
    assert!(same, "replay of {name} on PostgreSQL differs");
}

#[test]
fn forillon_contract() {
    let runner = run_in_memory("forillon");
    assert_eq!(runner.steps_run, 15);
    // The retried revenue recorded nothing: 14 events (13 before it, and the tip).
    assert_eq!(runner.book.state().head(), 14);
}

#[test]
fn forillon_contract_on_sqlite() {
    run_on_sqlite("forillon");
}

#[test]
fn forillon_on_postgres() {
    run_on_postgres("forillon");
}

#[test]
fn printer_crowdfunding_payback_and_commons() {
    let runner = run_in_memory("printer");
    let printer = runner.book.state().resource("printer").unwrap();
    assert_eq!(printer.uses.len(), 70);
    assert!(printer.owners.iter().all(|o| o.received == o.cap));
}

#[test]
fn printer_on_sqlite() {
    run_on_sqlite("printer");
}

#[test]
fn printer_on_postgres() {
    run_on_postgres("printer");
}

// --- peer valuation (issue 8) ---
//
// Our startup.json differs from the shared worked example in one field: there michael gives
// the four equal steward allocations himself, his own included; issue 13 forbids steward
// points to oneself, so here the operator gives them (same points, same expected amounts).

#[test]
fn startup_pool() {
    let runner = run_in_memory("startup");
    assert_eq!(runner.steps_run, 17);
    let state = runner.book.state();
    // The pool came from outside, once: the network holds exactly the 300,000 units.
    assert_eq!(state.ledger().balance("outside", "UNITS"), -300_000);
    let bounty = &state.peer_project("ventwits").unwrap().bounties["xyz"];
    assert_eq!(bounty.award.as_ref().unwrap().allocated_in, Some(1));
}

#[test]
fn startup_on_sqlite() {
    run_on_sqlite("startup");
}

#[test]
fn startup_on_postgres() {
    run_on_postgres("startup");
}

// --- tokens ---

#[test]
fn tokens_reserve_and_curve() {
    let runner = run_in_memory("tokens");
    assert_eq!(runner.steps_run, 22);
    // 22 steps, plus the AddProject the runner issues for `hatch`.
    assert_eq!(runner.book.state().head(), 23);
    let state = runner.book.state();
    // After the scenario: BIKE supply 12,790.00 against 9,805.68 in the reserve.
    assert_eq!(state.token_supply("BIKE").unwrap(), 1_279_000);
    assert_eq!(state.token_reserve("BIKE").unwrap(), 980_568);
    let price = state.token_redemption_price("BIKE").unwrap().unwrap();
    assert_eq!(price.per_token(4), "0.7666");
    // The hatch's tokens are held by the project; alice sold all she bought.
    assert_eq!(state.token_supply("HATCH").unwrap(), 10_000_000);
    assert_eq!(state.ledger().balance("hatch", "HATCH"), 10_000_000);
    assert_eq!(state.ledger().balance("alice", "HATCH"), 0);
}

#[test]
fn tokens_on_sqlite() {
    run_on_sqlite("tokens");
}

#[test]
fn tokens_on_postgres() {
    run_on_postgres("tokens");
}

#[test]
fn corrections_after_a_distribution() {
    let runner = run_in_memory("corrections");
    assert_eq!(runner.steps_run, 18);
    let state = runner.book.state();
    assert_eq!(state.corrections().len(), 2);
    // d1 stays as it was recorded.
    assert_eq!(state.distribution(1).unwrap().payouts()["dev"], 76_667);
}

#[test]
fn corrections_on_sqlite() {
    run_on_sqlite("corrections");
}

#[test]
fn corrections_on_postgres() {
    run_on_postgres("corrections");
}

/// The treasury's money out (issue 13): treasury.json up to its first correction (`adjust`,
/// built apart): revenue, a payout approved by another custodian, a payout past the balance
/// refused, an expense from `maintenance` refused to its submitter and approved by another.
fn treasury_money_out(runner: &mut Runner, scenario: &serde_json::Value) {
    runner.run_before(scenario, Some("adjust"));
}

#[test]
fn treasury_money_out_in_memory() {
    let mut runner = Runner::new(Box::new(MemoryStore::new()));
    treasury_money_out(&mut runner, &load("treasury"));
    assert_eq!(runner.steps_run, 17);
    let payout = runner.book.state().payout("p1").unwrap();
    assert_eq!(payout.status.as_str(), "paid");
    assert_eq!(payout.reviewed_by.as_deref(), Some("ana"));
    assert!(runner.book.state().payout("p2").is_err());
    let expense = runner.book.state().expense("e1").unwrap();
    assert_eq!(expense.approvals, ["ana"]);
}

#[test]
fn treasury_money_out_on_sqlite() {
    run_on_sqlite_by("treasury", treasury_money_out);
}

#[test]
fn treasury_money_out_on_postgres() {
    run_on_postgres_by("treasury", treasury_money_out);
}

/// The whole treasury story, its correction and corrections report included.
#[test]
fn treasury_with_its_correction() {
    let runner = run_in_memory("treasury");
    assert_eq!(runner.steps_run, 20);
    assert_eq!(runner.book.state().corrections().len(), 1);
}

#[test]
fn treasury_on_sqlite() {
    run_on_sqlite("treasury");
}

#[test]
fn treasury_on_postgres() {
    run_on_postgres("treasury");
}

// --- forecasts (issue 15) ---

/// forecast.json: a bank bucket holds 400.00 then 850.00, and the third revenue (300.00, first
/// previewed, recording nothing) releases all 1,150.00 by value; before it, xia's estimates
/// (718.75 now, 836.36 with three more hours of editing) are checked against the bank too.
#[test]
fn forecast_bank_releases_on_the_revenue_that_crosses_the_threshold() {
    let runner = run_in_memory("forecast");
    assert_eq!(runner.steps_run, 14);
    let state = runner.book.state();
    // Three revenues recorded, the preview none.
    assert_eq!(state.distributions().len(), 3);
    let third = state.distribution(3).unwrap();
    assert_eq!((third.amount, third.released), (30_000, 85_000));
    assert_eq!(state.ledger().balance("studio-bank", "EUR"), 0);
}

#[test]
fn forecast_on_sqlite() {
    run_on_sqlite("forecast");
}

#[test]
fn forecast_on_postgres() {
    run_on_postgres("forecast");
}

/// phantom.json: startup.json, then a revenue split by blended shares (a .5 tie to the smaller
/// handle), a sales project's revenue by pool units, and, after john leaves as a bad leaver,
/// the next by the units of the others only.
#[test]
fn phantom_equity_buckets_pay_by_blend_and_by_units_after_a_bad_leaver() {
    let runner = run_in_memory("phantom");
    assert_eq!(runner.steps_run, 25);
    let state = runner.book.state();
    let last = state.distributions().last().unwrap();
    assert!(!last.payouts().contains_key("john"));
    assert_eq!(last.payouts().values().sum::<i128>(), 300_000);
}

#[test]
fn phantom_on_sqlite() {
    run_on_sqlite("phantom");
}

#[test]
fn phantom_on_postgres() {
    run_on_postgres("phantom");
}

/// retro.json: a token created with `retro` mints, in its creating event, what each counted
/// contribution before it would have minted, per contribution rounded down; later work mints
/// as it counts.
#[test]
fn retro_tokens_for_work_done_before_the_token() {
    let runner = run_in_memory("retro");
    assert_eq!(runner.steps_run, 11);
    let state = runner.book.state();
    let token = state.token("COOP").unwrap();
    // One issuance per contributor in the creating event (bo, cy), then cy's later work.
    let retro: Vec<(&str, i128, u64)> = token
        .history
        .iter()
        .map(|i| (i.holder.as_str(), i.tokens, i.seq))
        .collect();
    assert_eq!(
        retro,
        [
            ("bo", 36, token.seq),
            ("cy", 37, token.seq),
            ("cy", 12, token.seq + 1)
        ]
    );
}

#[test]
fn retro_on_sqlite() {
    run_on_sqlite("retro");
}

// --- governance (issue 14) ---

#[test]
fn governance_by_proposals() {
    let runner = run_in_memory("governance");
    assert_eq!(runner.steps_run, 28);
    let state = runner.book.state();
    let p2 = state.proposal("p2").unwrap();
    // Enacted before the second revenue, by the operator, at that revenue's time.
    assert_eq!(p2.status, fairshare_core::ProposalStatus::Enacted);
    assert_eq!(state.project("shop").unwrap().plan_version(), 3);
    let plan = state
        .rules_in_force(Some("shop"))
        .into_iter()
        .find(|change| change.rule == "plan")
        .unwrap();
    assert_eq!(plan.proposal.as_deref(), Some("p2"));
    assert_eq!(plan.at.to_string(), "2026-03-17T09:00:00Z");
}

#[test]
fn governance_on_sqlite() {
    run_on_sqlite("governance");
}

#[test]
fn governance_on_postgres() {
    run_on_postgres("governance");
}

/// The blend changes only after its notice: the revenue one second before the notice ends is
/// split by the old blend, the one at its end by the new (enacted first, by the operator).
#[test]
fn blend_changes_only_after_notice() {
    let runner = run_in_memory("blend_notice");
    assert_eq!(runner.steps_run, 17);
    let state = runner.book.state();
    let b1 = state.proposal("b1").unwrap();
    assert_eq!(b1.status, fairshare_core::ProposalStatus::Enacted);
    let blend = state
        .rules_in_force(Some("coop"))
        .into_iter()
        .find(|change| change.rule == "blend")
        .unwrap();
    assert_eq!(
        (blend.proposal.as_deref(), blend.at.to_string().as_str()),
        (Some("b1"), "2026-03-07T10:00:00Z")
    );
}

#[test]
fn blend_notice_on_sqlite() {
    run_on_sqlite("blend_notice");
}

#[test]
fn blend_notice_on_postgres() {
    run_on_postgres("blend_notice");
}
/// forecast.json's studio on a plan without its bank bucket (that bucket is another issue's
/// point), with a percentage kept for the kit: what xia would get from 300.00, and with three
/// more hours of editing, hand-computed. 27000 cents split 200:120 by value is 16875 / 10125;
/// with xia's 3 h (120.00 more value) 27000 * 320/440 = 19636.36 and 27000 * 120/440 =
/// 7363.63, the leftover cent to the larger remainder (yon's .63): 19636 / 7364; with yon's
/// 3 h instead, 27000 * 240/440 = 14727.27 and xia's 12272.72 takes the cent. wen, who
/// logged nothing, gets 0.00 now and, with 1 h of editing (40 of 360), 27000 / 9 = 3000.
fn forecast_without_bank() -> serde_json::Value {
    serde_json::json!({"name": "forecast-without-bank", "steps": [
        {"op": "agent", "handle": "wen", "role": "custodian"},
        {"op": "agent", "handle": "xia", "role": "affiliate"},
        {"op": "agent", "handle": "yon", "role": "affiliate"},
        {"op": "project", "slug": "studio", "currency": "EUR", "exponent": 2},
        {"op": "rate", "project": "studio", "category": "edit", "per_hour": "40.00"},
        {"op": "contribute", "project": "studio", "agent": "xia", "kind": "work", "category": "edit", "hours": "5"},
        {"op": "contribute", "project": "studio", "agent": "yon", "kind": "work", "category": "edit", "hours": "3"},
        {"op": "contribute", "project": "studio", "agent": "yon", "kind": "cash", "amount": "500.00"},
        {"op": "plan", "project": "studio", "buckets": [
            {"percent": "10", "of": "gross", "to": "kit"},
            {"contributors": {"kinds": ["work"]}}
        ]},
        {"op": "estimate", "project": "studio", "agent": "xia", "revenue": "300.00", "expect": "168.75"},
        {"op": "estimate", "project": "studio", "agent": "xia", "revenue": "300.00", "hours": "3", "category": "edit", "expect": "196.36"},
        {"op": "estimate", "project": "studio", "agent": "yon", "revenue": "300.00", "hours": "3", "category": "edit", "expect": "147.27"},
        {"op": "estimate", "project": "studio", "agent": "wen", "revenue": "300.00", "expect": "0.00"},
        {"op": "estimate", "project": "studio", "agent": "wen", "revenue": "300.00", "hours": "1", "category": "edit", "expect": "30.00"},
        {"op": "revenue", "project": "studio", "amount": "300.00", "preview": true,
         "expect": {"xia": "168.75", "yon": "101.25", "kit": "30.00"}, "expect_unchanged": true},
        {"op": "revenue", "project": "studio", "amount": "300.00",
         "expect": {"xia": "168.75", "yon": "101.25", "kit": "30.00"},
         "expect_balances": {"xia": "168.75", "yon": "101.25", "kit": "30.00", "outside": "-300.00"}},
        {"op": "estimate", "project": "studio", "agent": "xia", "revenue": "300.00", "expect": "168.75"}
    ]})
}

#[test]
fn forecast_estimates_and_preview_on_a_plan_without_bank() {
    let mut runner = Runner::new(Box::new(MemoryStore::new()));
    runner.run(&forecast_without_bank());
    assert_eq!(runner.steps_run, 17);
    // Estimates and the preview recorded nothing: 9 setup events and one revenue.
    assert_eq!(runner.book.state().head(), 10);
}

#[test]
fn forecast_without_bank_on_sqlite() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("book.db");
    let mut runner = Runner::new(Box::new(SqliteStore::open(&path).unwrap()));
    runner.run(&forecast_without_bank());
    let reopened = Book::open(Box::new(SqliteStore::open(&path).unwrap())).unwrap();
    assert_eq!(reopened.state(), runner.book.state());
}

/// Per account: (plan A, plan B) in minor units.
fn compared(revenue: &fairshare_book::ComparedRevenue) -> Vec<(&str, i128, i128)> {
    revenue
        .accounts
        .iter()
        .map(|row| (row.account.as_str(), row.plan_a, row.plan_b))
        .collect()
}

fn plan(buckets: serde_json::Value) -> fairshare_core::Plan {
    support::scenario_plan(&buckets)
}

/// forillon's two revenues under "everything by value" (no reimbursement, no infra) against
/// the plan used. 12000.00 by 5400 : 3600 : 1500 (luc's work and material) of 10500: abran
/// 617142.86, marie 411428.57, luc 171428.57 cents; two cents left, to abran's .86 then to
/// the tie at .57 between luc and marie, which goes to the smaller name: luc. The tip of
/// 100.00 the same way: 5142.86, 3428.57, 1428.57 → abran 5143, luc 1429, marie 3428.
#[test]
fn plan_compare_on_forillon_against_the_plan_used() {
    let mut runner = run_in_memory("forillon");
    let by_value = plan(serde_json::json!([{"contributors": {}}]));
    let plans = fairshare_book::Plans {
        a: &by_value,
        b: None,
    };
    let (_, revenues) =
        fairshare_book::compare_plans(runner.book.store_mut(), "forillon", plans, None).unwrap();
    assert_eq!(revenues.len(), 2, "the retried revenue recorded nothing");
    assert_eq!((revenues[0].id, revenues[0].amount), (1, 1_200_000));
    assert_eq!(
        compared(&revenues[0]),
        [
            ("abran", 617_143, 555_882),
            ("infra", 0, 120_000),
            ("luc", 171_429, 153_530),
            ("marie", 411_428, 370_588),
        ]
    );
    assert_eq!((revenues[1].id, revenues[1].amount), (2, 10_000));
    assert_eq!(
        compared(&revenues[1]),
        [
            ("abran", 5_143, 4_765),
            ("infra", 0, 1_000),
            ("luc", 1_429, 1_059),
            ("marie", 3_428, 3_176),
        ]
    );
    // The last revenue only.
    let (_, last) =
        fairshare_book::compare_plans(runner.book.store_mut(), "forillon", plans, Some(1)).unwrap();
    assert_eq!(last, revenues[1..]);
    // The plan used, given as plan B, pays exactly what was paid.
    let used = runner
        .book
        .state()
        .project("forillon")
        .unwrap()
        .plan()
        .clone();
    let (_, again) = fairshare_book::compare_plans(
        runner.book.store_mut(),
        "forillon",
        fairshare_book::Plans {
            a: &by_value,
            b: Some(&used),
        },
        None,
    )
    .unwrap();
    assert_eq!(again, revenues);
}

/// startup's ventwits after its crystallisation, with two revenues in units paid by the
/// default plan (every kind by value: michael 100, allyson 60, marc 40 + his 5000 bounty,
/// john 10 h x 5 = 50; 5250 in all), compared with a plan giving michael 20% off the top and
/// the rest by work only (100 : 60 : 40 : 50 of 250).
///
/// 1000 units, used: 19.05 / 11.43 / 960 / 9.52 → 19, 11, 960, 9 and the unit left to john's
/// .52: 10. Plan A: 200 to michael, 800 by work: 320 / 192 / 128 / 160, michael 520.
/// 7 units, used: marc 6.72 → 6, the others under 1 → 0, the unit left to marc: 7. Plan A:
/// floor(1.4) = 1 to michael, 6 by work: 2.4 / 1.44 / 0.96 / 1.2 → 2, 1, 0, 1 and the two
/// left to marc's .96 and allyson's .44: michael 3, allyson 2, marc 1, john 1.
#[test]
fn plan_compare_on_startup_with_a_steward_share() {
    let mut runner = run_in_memory("startup");
    for amount in ["1000", "7"] {
        runner
            .book
            .execute(
                fairshare_core::OPERATOR,
                &fairshare_core::Command::Revenue {
                    project: "ventwits".into(),
                    amount: amount.into(),
                    from: None,
                },
                None,
                support::RECORDED_AT,
            )
            .unwrap();
    }
    let steward = plan(serde_json::json!([
        {"percent": "20", "of": "gross", "to": "michael"},
        {"contributors": {"kinds": ["work"]}}
    ]));
    let plans = fairshare_book::Plans {
        a: &steward,
        b: None,
    };
    let (_, revenues) =
        fairshare_book::compare_plans(runner.book.store_mut(), "ventwits", plans, None).unwrap();
    let all: Vec<_> = revenues.iter().map(compared).collect();
    assert_eq!(
        all,
        [
            vec![
                ("allyson", 192, 11),
                ("john", 160, 10),
                ("marc", 128, 960),
                ("michael", 520, 19)
            ],
            vec![
                ("allyson", 2, 0),
                ("john", 1, 0),
                ("marc", 1, 7),
                ("michael", 3, 0)
            ],
        ]
    );
}

#[test]
fn membership_in_memory() {
    let runner = run_in_memory("membership");
    let state = runner.book.state();
    assert_eq!(
        state.agent("zoe").unwrap().role,
        fairshare_core::Role::Affiliate
    );
    assert_eq!(
        state.agent("ana").unwrap().role,
        fairshare_core::Role::Affiliate
    );
    assert_eq!(
        state.agent("ben").unwrap().role,
        fairshare_core::Role::Custodian
    );
    let yan = state.join_request("yan").unwrap();
    assert_eq!(yan.asked.status, fairshare_core::Admission::Declined);
    assert_eq!(yan.asked.by, "ben");
    assert_eq!(state.join_request("zoe").unwrap().asked.by, "zoe");
    assert_eq!(
        state
            .project_proposal("hulls")
            .unwrap()
            .asked
            .reviewed_by
            .as_deref(),
        Some("ben")
    );
    assert!(state.agent("zoe2").is_err() && state.join_request("zoe2").is_err());
}

#[test]
fn membership_on_sqlite() {
    run_on_sqlite("membership");
}

#[test]
fn membership_on_postgres() {
    run_on_postgres("membership");
}
