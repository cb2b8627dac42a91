//! The treasury through the real binary (issue 13): payouts, expenses, transfers and
//! exchanges, each refusal with its exact message and the book unchanged.

mod common;

use common::Env;
use serde_json::json;

/// cleo holds 600.00 CAD and dev 300.00 CAD (a revenue split by their work); the USD project
/// `ops` (two approvals) holds its revenue of 200.00 USD in `ops-unallocated`.
fn lab() -> Env {
    let env = Env::new();
    env.agents(&[
        "ana:custodian",
        "ben:custodian",
        "cleo:affiliate",
        "dev:affiliate",
        "olga:observer",
    ]);
    env.ok(&["project", "add", "lab"]);
    env.ok(&[
        "project",
        "add",
        "ops",
        "--currency",
        "USD",
        "--approvals",
        "2",
    ]);
    env.ok(&["rate", "set", "lab", "assembly", "30.00"]);
    env.ok(&["rate", "set", "lab", "design", "50.00"]);
    env.ok(&["log", "work", "lab", "cleo", "20", "--category", "assembly"]);
    env.ok(&["log", "work", "lab", "dev", "6", "--category", "design"]);
    env.ok(&["revenue", "lab", "900.00"]);
    env.ok(&["revenue", "ops", "200.00"]);
    env
}

#[test]
fn a_payout_from_request_to_bank() {
    let env = lab();
    let requested = env.json(&[
        "--as",
        "cleo",
        "payout",
        "request",
        "cleo",
        "400.00",
        "--reference",
        "bank-7731",
    ]);
    assert_eq!(
        requested,
        json!({"id": "payout-1", "agent": "cleo", "asset": "CAD", "amount": "400.00",
               "reference": "bank-7731", "requested_by": "cleo", "date": "2026-11-21",
               "status": "pending", "reviewed_by": null, "reason": null, "balance": "600.00"})
    );
    env.refused(
        &["--as", "cleo", "payout", "request", "cleo", "200.01", "--reference", "b"],
        "invalid",
        "cleo holds 600.00 CAD of which 400.00 CAD is already requested: 200.01 CAD would overdraw it",
    );
    env.refused(
        &["--as", "cleo", "payout", "approve", "payout-1"],
        "forbidden",
        "only custodians may approve payouts; this agent is an affiliate",
    );
    let text = env.ok(&["--as", "ana", "payout", "approve", "payout-1"]);
    assert_eq!(
        text,
        "payout payout-1 of 400.00 CAD to cleo (bank-7731): paid\n  requested by cleo on 2026-11-21\n  paid by ana\n  balance of cleo: 200.00 CAD\n"
    );
    env.refused(
        &["--as", "ben", "payout", "approve", "payout-1"],
        "conflict",
        "payout payout-1 is paid already",
    );
    assert_eq!(
        env.json(&["balance", "outside"])["balances"]["outside"]["CAD"],
        "-500.00"
    );
    env.ok(&[
        "--as",
        "dev",
        "payout",
        "request",
        "dev",
        "100.00",
        "--reference",
        "b-2",
        "--id",
        "dev-1",
    ]);
    env.refused(
        &["--as", "ana", "payout", "reject", "dev-1"],
        "invalid",
        "a rejection needs a reason (--reason TEXT)",
    );
    env.ok(&[
        "--as",
        "ana",
        "payout",
        "reject",
        "dev-1",
        "--reason",
        "wrong IBAN",
    ]);
    let listed = env.ok(&["payouts"]);
    assert_eq!(
        listed,
        "id        date        agent  amount  asset  status    reference  reviewed by\n\
         payout-1  2026-11-21  cleo   400.00  CAD    paid      bank-7731  ana\n\
         dev-1     2026-11-21  dev    100.00  CAD    rejected  b-2        ana\n"
    );
    let pending = env.json(&["payouts", "--agent", "dev", "--status", "pending"]);
    assert_eq!(pending["total"], 0);
    env.refused(
        &["payouts", "--status", "done"],
        "invalid",
        "unknown status \"done\": use pending, paid or rejected",
    );
    env.refused(
        &[
            "--as",
            "dev",
            "payout",
            "request",
            "cleo",
            "1.00",
            "--reference",
            "x",
        ],
        "forbidden",
        "dev may request payouts only for themselves, not for cleo",
    );
    env.refused(
        &["--as", "dev", "payout", "request", "dev", "1.00"],
        "invalid",
        "a payout needs a reference (--reference TEXT)",
    );
    env.refused(
        &[
            "--as",
            "olga",
            "payout",
            "request",
            "olga",
            "1.00",
            "--reference",
            "x",
        ],
        "forbidden",
        "olga is an observer: observers read but do not request payouts",
    );
    env.refused(
        &["--as", "ana", "payout", "approve", "nope"],
        "not-found",
        "unknown payout \"nope\"",
    );
}

#[test]
fn an_expense_needs_the_approvals_of_its_account_s_project() {
    let env = lab();
    let submitted = env.json(&[
        "--as",
        "cleo",
        "expense",
        "submit",
        "ops-unallocated",
        "50.00",
        "--for",
        "hosting",
        "--payee",
        "cleo",
        "--receipt",
        "https://receipts.example/42",
    ]);
    assert_eq!(submitted["id"], "expense-1");
    assert_eq!(submitted["required"], 2);
    assert_eq!(submitted["for"], "hosting");
    env.refused(
        &["--as", "cleo", "expense", "approve", "expense-1"],
        "forbidden",
        "only custodians may approve expenses; this agent is an affiliate",
    );
    let first = env.json(&["--as", "ana", "expense", "approve", "expense-1"]);
    assert_eq!(
        (first["status"].as_str(), first["balance"].as_str()),
        (Some("pending"), Some("200.00"))
    );
    env.refused(
        &["--as", "ana", "expense", "approve", "expense-1"],
        "conflict",
        "ana has already approved expense expense-1",
    );
    let text = env.ok(&["--as", "ben", "expense", "approve", "expense-1"]);
    assert_eq!(
        text,
        "expense expense-1 of 50.00 USD from ops-unallocated to cleo for hosting: paid (2 of 2 approvals)\n  submitted by cleo on 2026-11-21\n  approved by ana, ben\n  receipt: https://receipts.example/42\n  balance of ops-unallocated: 150.00 USD\n"
    );
    // `balance` shows every currency an account holds.
    assert_eq!(
        env.json(&["balance", "cleo"])["balances"]["cleo"],
        json!({"CAD": "600.00", "USD": "50.00"})
    );
    env.refused(
        &[
            "--as", "ben", "expense", "submit", "cleo", "1.00", "--for", "x",
        ],
        "invalid",
        "cleo is an agent's balance: agents are paid out by `payout`, not from a virtual account",
    );
    // ben submits an expense from ops' account, with `more` of it.
    let ben_submits = |amount: &'static str, more: &[&'static str]| {
        let submit = [
            "--as",
            "ben",
            "expense",
            "submit",
            "ops-unallocated",
            amount,
        ];
        [&submit[..], more].concat()
    };
    env.refused(
        &ben_submits("1.00", &[]),
        "invalid",
        "an expense needs to say what it is for (--for TEXT)",
    );
    env.refused(
        &ben_submits("150.01", &["--for", "x"]),
        "invalid",
        "ops-unallocated holds 150.00 USD: 150.01 USD would overdraw it",
    );
    env.refused(
        &ben_submits("1.00", &["--for", "x", "--receipt", "photo"]),
        "invalid",
        "receipt \"photo\" is neither an http(s) address nor a SHA-256 (64 hex digits)",
    );
    env.ok(&ben_submits("1.00", &["--for", "x", "--id", "e2"]));
    env.refused(
        &["--as", "ben", "expense", "reject", "e2", "--reason", "mine"],
        "forbidden",
        "ben may not reject expense e2: it must be reviewed by a custodian other than the submitter and the payee",
    );
    env.ok(&[
        "--as",
        "ana",
        "expense",
        "reject",
        "e2",
        "--reason",
        "no receipt",
    ]);
    let listed = env.json(&[
        "expenses",
        "--account",
        "ops-unallocated",
        "--status",
        "rejected",
    ]);
    assert_eq!(listed["total"], 1);
    assert_eq!(listed["expenses"][0]["reason"], "no receipt");
}

#[test]
fn transfers_and_exchanges_are_a_custodian_s() {
    let env = lab();
    let exchanged = env.ok(&[
        "--as",
        "ana",
        "exchange",
        "ops-unallocated",
        "33.33",
        "USD",
        "CAD",
        "--rate",
        "1.3719",
        "--reference",
        "fx-1",
    ]);
    assert_eq!(
        exchanged,
        "exchanged 33.33 USD of ops-unallocated for 45.72 CAD at 1.3719 (fx-1)\n  ops-unallocated: 45.72 CAD, 166.67 USD\n"
    );
    assert_eq!(
        env.json(&["balance", "exchange"])["balances"]["exchange"],
        json!({"CAD": "-45.72", "USD": "33.33"})
    );
    env.refused(
        &[
            "--as",
            "ana",
            "transfer",
            "ops-unallocated",
            "infra",
            "1.00",
            "--reason",
            "x",
        ],
        "invalid",
        "ops-unallocated holds CAD and USD: name the asset (--asset CODE)",
    );
    let moved = env.ok(&[
        "--as",
        "ana",
        "transfer",
        "ops-unallocated",
        "infra",
        "45.72",
        "--asset",
        "CAD",
        "--reason",
        "hosting fund",
    ]);
    assert_eq!(
        moved,
        "transferred 45.72 CAD from ops-unallocated to infra: hosting fund\n  infra: 45.72 CAD\n  ops-unallocated: 0.00 CAD, 166.67 USD\n"
    );
    env.refused(
        &[
            "--as", "cleo", "transfer", "infra", "commons", "1.00", "--reason", "x",
        ],
        "forbidden",
        "only custodians may transfer money between accounts; this agent is an affiliate",
    );
    env.refused(
        &[
            "--as", "ana", "transfer", "infra", "dev", "1.00", "--reason", "x",
        ],
        "invalid",
        "dev is an agent's balance: agents are paid out by `payout`, not from a virtual account",
    );
    env.refused(
        &["--as", "ana", "transfer", "infra", "commons", "1.00"],
        "invalid",
        "a transfer needs a reason (--reason TEXT)",
    );
    let exchange_cad = |actor, amount, to, rate| {
        [
            "--as", actor, "exchange", "infra", amount, "CAD", to, "--rate", rate,
        ]
    };
    env.refused(
        &exchange_cad("ana", "1.00", "EUR", "1"),
        "not-found",
        "unknown currency \"EUR\": no project keeps its books in it",
    );
    env.refused(
        &exchange_cad("ana", "0.01", "USD", "0.5"),
        "invalid",
        "0.01 CAD at rate 0.5 is less than the smallest unit of USD",
    );
    env.refused(
        &exchange_cad("cleo", "1.00", "USD", "0.7"),
        "forbidden",
        "only custodians may exchange currencies; this agent is an affiliate",
    );
    assert_eq!(env.json(&["verify"])["ok"], true);
}

#[test]
fn the_story_of_treasury_md_runs_as_written() {
    let (dir, out) = common::run_doc_story("TREASURY.md");
    for line in [
        "payout payout-1 of 1000.00 CAD to cleo (bank-7731): paid\n",
        "refused: dev holds 766.67\n",
        "refused: ben submitted it\n",
        "transferred 20.00 CAD from maintenance to commons: the commons fund\n",
        "exchanged 100.00 USD of sales-unallocated for 137.19 CAD at 1.3719 (fx-2026-11)\n",
    ] {
        assert!(out.contains(line), "{line}\nnot in:\n{out}");
    }
    let env = Env::at(dir, "treasury.db");
    let balances = env.json(&["balance"])["balances"].clone();
    assert_eq!(balances["cleo"], json!({"CAD": "533.33"}));
    assert_eq!(balances["dev"], json!({"CAD": "803.86"}));
    assert_eq!(balances["maintenance"], json!({"CAD": "34.50"}));
    assert_eq!(balances["commons"], json!({"CAD": "20.00"}));
    assert_eq!(
        balances["sales-unallocated"],
        json!({"CAD": "100.00", "USD": "0.00"})
    );
    assert_eq!(
        balances["exchange"],
        json!({"CAD": "-137.19", "USD": "100.00"})
    );
    assert_eq!(
        balances["outside"],
        json!({"CAD": "-1354.50", "USD": "-100.00"})
    );
    assert_eq!(env.json(&["verify"])["ok"], true);
}

#[test]
fn payout_and_expense_lists_as_text() {
    let env = lab();
    assert_eq!(env.ok(&["payouts"]), "no payouts\n");
    assert_eq!(env.ok(&["expenses"]), "no expenses\n");
    for (agent, amount, reference) in [("cleo", "100.00", "bank-1"), ("dev", "50.00", "bank-2")] {
        env.ok(&[
            "--as",
            agent,
            "payout",
            "request",
            agent,
            amount,
            "--reference",
            reference,
        ]);
    }
    env.ok(&["--as", "ana", "payout", "approve", "payout-1"]);
    env.ok(&[
        "--as",
        "cleo",
        "expense",
        "submit",
        "ops-unallocated",
        "20.00",
        "--for",
        "hosting",
    ]);
    assert_eq!(
        env.ok(&["payouts", "--limit", "1"]),
        "id        date        agent  amount  asset  status  reference  reviewed by\npayout-1  2026-11-21  cleo   100.00  CAD    paid    bank-1     ana\n(more with --offset 1)\n"
    );
    assert_eq!(
        env.ok(&["payouts", "--offset", "1"]),
        "id        date        agent  amount  asset  status   reference  reviewed by\npayout-2  2026-11-21  dev     50.00  CAD    pending  bank-2     -\n"
    );
    assert_eq!(
        env.ok(&["expenses"]),
        "id         date        account          amount  asset  to       status   approvals  for\nexpense-1  2026-11-21  ops-unallocated   20.00  USD    outside  pending  0/2        hosting\n"
    );
}
