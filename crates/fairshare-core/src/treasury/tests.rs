use super::*;
use crate::error::ErrorKind;
use crate::model::{Bucket, OPERATOR, Plan};
use crate::test_book::Book;

fn project(slug: &str, currency: &str, approvals: u32) -> Command {
    Command::add_project_approving(slug, currency, 2, approvals)
}

/// The lab of treasury.json after its first revenue: cleo 1533.33, dev 766.67, maintenance
/// 200.00 CAD; and a USD project `us` whose revenue of 100.00 sits in `us-unallocated`.
fn lab() -> Book {
    let mut book = Book::lab(0);
    book.op(Command::revenue("lab", "2500.00"));
    book.op(project("us", "USD", 2));
    book.op(Command::revenue("us", "100.00"));
    assert_eq!(book.balance("cleo", "CAD"), "1533.33");
    assert_eq!(book.balance("dev", "CAD"), "766.67");
    assert_eq!(book.balance("maintenance", "CAD"), "200.00");
    assert_eq!(book.balance("us-unallocated", "USD"), "100.00");
    book
}

fn payout(id: Option<&str>, agent: &str, amount: &str) -> Command {
    Command::RequestPayout {
        id: id.map(str::to_string),
        agent: agent.into(),
        amount: amount.into(),
        asset: None,
        reference: "bank-7731".into(),
    }
}

fn approve_payout(id: &str) -> Command {
    Command::ApprovePayout { id: id.into() }
}

fn expense(id: Option<&str>, account: &str, amount: &str) -> Command {
    Command::SubmitExpense {
        id: id.map(str::to_string),
        account: account.into(),
        amount: amount.into(),
        asset: None,
        purpose: "replacement nozzle".into(),
        payee: None,
        receipt: None,
    }
}

fn approve_expense(id: &str) -> Command {
    Command::ApproveExpense { id: id.into() }
}

fn move_money(from: &str, to: &str, amount: &str) -> Command {
    Command::TransferMoney {
        from: from.into(),
        to: to.into(),
        amount: amount.into(),
        asset: None,
        reason: "fund the commons".into(),
    }
}

fn exchange(account: &str, amount: &str, rate: &str) -> Command {
    Command::Exchange {
        account: account.into(),
        amount: amount.into(),
        from_asset: "USD".into(),
        to_asset: "CAD".into(),
        rate: rate.into(),
        reference: Some("fx-1".into()),
    }
}

fn refusal(error: &DomainError) -> (ErrorKind, Option<&'static str>, &str) {
    (error.kind(), error.field_name(), error.message())
}

#[test]
fn an_approved_payout_moves_the_balance_to_outside() {
    let mut book = lab();
    let outcome = book.ok("cleo", payout(Some("p1"), "cleo", "1000.00"));
    assert_eq!(
        outcome,
        Outcome::PayoutRequested {
            id: "p1".into(),
            asset: "CAD".into(),
            amount: 100_000
        }
    );
    // Requested, not paid: nothing moved yet.
    assert_eq!(book.balance("cleo", "CAD"), "1533.33");
    assert_eq!(
        book.state.payout("p1").unwrap().status,
        TreasuryStatus::Pending
    );
    book.ok("ana", approve_payout("p1"));
    assert_eq!(book.balance("cleo", "CAD"), "533.33");
    assert_eq!(book.balance("outside", "CAD"), "-1500.00");
    let paid = book.state.payout("p1").unwrap();
    assert_eq!(paid.status, TreasuryStatus::Paid);
    assert_eq!(paid.reviewed_by.as_deref(), Some("ana"));
    let last = book.state.ledger().transactions().last().unwrap();
    assert_eq!(last.memo, "payout p1 to cleo: bank-7731");
}

#[test]
fn a_payout_id_is_generated_when_the_client_gives_none() {
    let mut book = lab();
    book.ok("ana", payout(Some("payout-2"), "cleo", "1.00"));
    let outcome = book.ok("ana", payout(None, "cleo", "1.00"));
    // payout-2 is the client's: the next free one is taken.
    assert!(matches!(outcome, Outcome::PayoutRequested { id, .. } if id == "payout-3"));
    let error = book.refused("ana", payout(Some("payout-2"), "cleo", "1.00"));
    assert_eq!(
        refusal(&error),
        (
            ErrorKind::Conflict,
            Some("id"),
            "payout payout-2 exists already"
        )
    );
}

#[test]
fn a_payout_counts_the_other_open_requests() {
    let mut book = lab();
    let error = book.refused("dev", payout(Some("p2"), "dev", "800.00"));
    assert_eq!(
        refusal(&error),
        (
            ErrorKind::Invalid,
            Some("amount"),
            "dev holds 766.67 CAD: 800.00 CAD would overdraw it"
        )
    );
    assert_eq!(error.details().unwrap().limit.as_deref(), Some("766.67"));
    book.ok("dev", payout(Some("p2"), "dev", "500.00"));
    let error = book.refused("dev", payout(Some("p3"), "dev", "266.68"));
    assert_eq!(
        error.message(),
        "dev holds 766.67 CAD of which 500.00 CAD is already requested: 266.68 CAD would overdraw it"
    );
    book.ok("dev", payout(Some("p3"), "dev", "266.67"));
    // A rejected request no longer counts.
    book.ok(
        "ana",
        Command::RejectPayout {
            id: "p2".into(),
            reason: "wrong account".into(),
        },
    );
    book.ok("dev", payout(Some("p4"), "dev", "500.00"));
    // The approval checks the balance again: p3 and p4 together hold all of it.
    book.ok("ana", approve_payout("p3"));
    book.ok("ana", approve_payout("p4"));
    assert_eq!(book.balance("dev", "CAD"), "0.00");
}

#[test]
fn open_requests_are_approved_in_any_order() {
    let mut book = lab();
    book.ok("dev", payout(Some("p1"), "dev", "700.00"));
    book.ok("ana", payout(Some("p2"), "dev", "66.67"));
    book.ok("ben", approve_payout("p2"));
    book.ok("ben", approve_payout("p1"));
    assert_eq!(book.balance("dev", "CAD"), "0.00");
}

#[test]
fn who_may_request_and_review_a_payout() {
    let mut book = lab();
    let error = book.refused("dev", payout(None, "cleo", "1.00"));
    assert_eq!(
        refusal(&error),
        (
            ErrorKind::Forbidden,
            None,
            "dev may request payouts only for themselves, not for cleo"
        )
    );
    let error = book.refused("olga", payout(None, "olga", "1.00"));
    assert_eq!(
        error.message(),
        "olga is an observer: observers read but do not request payouts"
    );
    book.ok("ana", payout(Some("p1"), "cleo", "10.00"));
    // Not the requester, not the payee, not an affiliate.
    let error = book.refused("ana", approve_payout("p1"));
    assert_eq!(
        refusal(&error),
        (
            ErrorKind::Forbidden,
            None,
            "ana may not approve payout p1: it must be reviewed by a custodian other than the payee and the requester"
        )
    );
    let error = book.refused("dev", approve_payout("p1"));
    assert_eq!(
        error.message(),
        "only custodians may approve payouts; this agent is an affiliate"
    );
    let error = book.refused(
        "ben",
        Command::RejectPayout {
            id: "p1".into(),
            reason: " ".into(),
        },
    );
    assert_eq!(
        refusal(&error),
        (
            ErrorKind::Invalid,
            Some("reason"),
            "a rejection needs a reason"
        )
    );
    let error = book.refused("ben", approve_payout("p9"));
    assert_eq!(
        refusal(&error),
        (ErrorKind::NotFound, Some("id"), "unknown payout \"p9\"")
    );
    book.ok("ben", approve_payout("p1"));
    let error = book.refused("ben", approve_payout("p1"));
    assert_eq!(
        refusal(&error),
        (ErrorKind::Conflict, Some("id"), "payout p1 is paid already")
    );
    // A bank's reference is required.
    let error = book.refused(
        "cleo",
        Command::RequestPayout {
            id: None,
            agent: "cleo".into(),
            amount: "1.00".into(),
            asset: None,
            reference: String::new(),
        },
    );
    assert_eq!(
        refusal(&error),
        (
            ErrorKind::Invalid,
            Some("reference"),
            "a payout needs a reference"
        )
    );
}

#[test]
fn an_expense_needs_approvals_by_others_than_its_submitter() {
    let mut book = lab();
    let outcome = book.ok("ben", expense(Some("e1"), "maintenance", "145.50"));
    assert_eq!(
        outcome,
        Outcome::ExpenseSubmitted {
            id: "e1".into(),
            asset: "CAD".into(),
            amount: 14_550,
            required: 1
        }
    );
    let error = book.refused("ben", approve_expense("e1"));
    assert_eq!(
        refusal(&error),
        (
            ErrorKind::Forbidden,
            None,
            "ben may not approve expense e1: it must be reviewed by a custodian other than the submitter and the payee"
        )
    );
    assert_eq!(
        book.ok("ana", approve_expense("e1")),
        Outcome::ExpenseApproved { paid: true }
    );
    assert_eq!(book.balance("maintenance", "CAD"), "54.50");
    assert_eq!(book.balance("outside", "CAD"), "-2354.50");
}

#[test]
fn an_expense_of_a_project_account_needs_its_approvals_and_may_pay_an_agent() {
    let mut book = lab();
    // `us` requires two approvals; its unallocated account is its own.
    assert_eq!(book.state.expense_approvals("us-unallocated"), 2);
    assert_eq!(book.state.expense_approvals("maintenance"), 1);
    assert_eq!(book.state.expense_approvals("nobody-owns-this"), 1);
    book.ok(
        "cleo",
        Command::SubmitExpense {
            id: None,
            account: "us-unallocated".into(),
            amount: "40.00".into(),
            asset: Some("USD".into()),
            purpose: "filament, paid by cleo".into(),
            payee: Some("cleo".into()),
            receipt: Some("https://receipts.example/42".into()),
        },
    );
    let id = "expense-1";
    // The payee may not approve their own reimbursement.
    assert_eq!(
        book.refused("cleo", approve_expense(id)).kind(),
        ErrorKind::Forbidden
    );
    assert_eq!(
        book.ok("ana", approve_expense(id)),
        Outcome::ExpenseApproved { paid: false }
    );
    assert_eq!(book.balance("cleo", "USD"), "0.00");
    let error = book.refused("ana", approve_expense(id));
    assert_eq!(
        error.message(),
        "ana has already approved expense expense-1"
    );
    assert_eq!(
        book.ok("ben", approve_expense(id)),
        Outcome::ExpenseApproved { paid: true }
    );
    assert_eq!(book.balance("cleo", "USD"), "40.00");
    assert_eq!(book.balance("us-unallocated", "USD"), "60.00");
    assert_eq!(book.state.expense(id).unwrap().approvals, ["ana", "ben"]);
}

#[test]
fn an_expense_is_refused_from_an_agent_a_campaign_or_past_the_balance() {
    let mut book = lab();
    let error = book.refused("ben", expense(None, "cleo", "1.00"));
    assert_eq!(
        refusal(&error),
        (
            ErrorKind::Invalid,
            Some("account"),
            "cleo is an agent's balance: agents are paid out by `payout`, not from a virtual account"
        )
    );
    let error = book.refused("ben", expense(None, "outside", "1.00"));
    assert_eq!(error.message(), "outside is not a virtual account");
    book.ok(
        OPERATOR,
        Command::OpenCampaign {
            id: "printer".into(),
            project: "lab".into(),
            target: "100.00".into(),
            purpose: None,
        },
    );
    let error = book.refused("ben", expense(None, "printer", "1.00"));
    assert_eq!(
        error.message(),
        "printer is a campaign's account: its money belongs to its pledgers or holders"
    );
    book.ok("ben", expense(Some("e1"), "maintenance", "150.00"));
    let error = book.refused("ben", expense(Some("e2"), "maintenance", "50.01"));
    assert_eq!(
        refusal(&error),
        (
            ErrorKind::Invalid,
            Some("amount"),
            "maintenance holds 200.00 CAD of which 150.00 CAD is already requested: 50.01 CAD would overdraw it"
        )
    );
    let mut receipt = expense(None, "maintenance", "1.00");
    if let Command::SubmitExpense { receipt: r, .. } = &mut receipt {
        *r = Some("a photo".into());
    }
    let error = book.refused("ben", receipt);
    assert_eq!(
        refusal(&error),
        (
            ErrorKind::Invalid,
            Some("receipt"),
            "receipt \"a photo\" is neither an http(s) address nor a SHA-256 (64 hex digits)"
        )
    );
    let error = book.refused("olga", expense(None, "maintenance", "1.00"));
    assert_eq!(error.kind(), ErrorKind::Forbidden);
}

#[test]
fn a_transfer_moves_money_between_virtual_accounts_only() {
    let mut book = lab();
    assert_eq!(
        book.ok("ana", move_money("maintenance", "commons", "75.25")),
        Outcome::MoneyTransferred {
            asset: "CAD".into(),
            amount: 7_525
        }
    );
    assert_eq!(book.balance("maintenance", "CAD"), "124.75");
    assert_eq!(book.balance("commons", "CAD"), "75.25");
    let error = book.refused("cleo", move_money("maintenance", "commons", "1.00"));
    assert_eq!(
        error.message(),
        "only custodians may transfer money between accounts; this agent is an affiliate"
    );
    let error = book.refused("ana", move_money("maintenance", "dev", "1.00"));
    assert_eq!(error.field_name(), Some("to"));
    let error = book.refused("ana", move_money("cleo", "commons", "1.00"));
    assert_eq!(error.field_name(), Some("from"));
    let error = book.refused("ana", move_money("commons", "commons", "1.00"));
    assert_eq!(
        refusal(&error),
        (
            ErrorKind::Invalid,
            Some("to"),
            "a transfer needs two different accounts, not commons twice"
        )
    );
    let error = book.refused("ana", move_money("commons", "infra", "75.26"));
    assert_eq!(
        error.message(),
        "commons holds 75.25 CAD: 75.26 CAD would overdraw it"
    );
    let error = book.refused("ana", move_money("nothing-here", "infra", "1.00"));
    assert_eq!(
        refusal(&error),
        (
            ErrorKind::Invalid,
            Some("amount"),
            "nothing-here holds no money"
        )
    );
}

#[test]
fn an_exchange_goes_through_the_exchange_account_rounded_down() {
    let mut book = lab();
    // 33.33 USD at 1.3719 CAD/USD = 45.725427 CAD: 45.72 CAD.
    assert_eq!(
        book.ok("ana", exchange("us-unallocated", "33.33", "1.3719")),
        Outcome::Exchanged {
            amount: 3_333,
            converted: 4_572
        }
    );
    assert_eq!(book.balance("us-unallocated", "USD"), "66.67");
    assert_eq!(book.balance("us-unallocated", "CAD"), "45.72");
    assert_eq!(book.balance("exchange", "USD"), "33.33");
    assert_eq!(book.balance("exchange", "CAD"), "-45.72");
    book.state.ledger().audit().unwrap();
    let last = book.state.ledger().transactions().last().unwrap();
    assert_eq!(last.memo, "exchange of 33.33 USD to CAD at 1.3719: fx-1");
    let error = book.refused("cleo", exchange("us-unallocated", "1.00", "1.3"));
    assert_eq!(error.kind(), ErrorKind::Forbidden);
    let error = book.refused("ana", exchange("us-unallocated", "0.01", "0.5"));
    assert_eq!(
        refusal(&error),
        (
            ErrorKind::Invalid,
            Some("amount"),
            "0.01 USD at rate 0.5 is less than the smallest unit of CAD"
        )
    );
    let error = book.refused("ana", exchange("us-unallocated", "66.68", "1"));
    assert_eq!(error.field_name(), Some("amount"));
    let error = book.refused("ana", exchange("us-unallocated", "1.00", "-1"));
    assert_eq!(error.field_name(), Some("rate"));
    let error = book.refused("ana", exchange("exchange", "1.00", "1"));
    assert_eq!(error.field_name(), Some("account"));
    let mut unknown = exchange("us-unallocated", "1.00", "1");
    if let Command::Exchange { to_asset, .. } = &mut unknown {
        *to_asset = "EUR".into();
    }
    let error = book.refused("ana", unknown);
    assert_eq!(
        refusal(&error),
        (
            ErrorKind::NotFound,
            Some("to_asset"),
            "unknown currency \"EUR\": no project keeps its books in it"
        )
    );
}

#[test]
fn an_account_of_two_assets_names_the_asset() {
    let mut book = lab();
    book.ok("ana", exchange("us-unallocated", "10.00", "1.25"));
    let error = book.refused("ana", move_money("us-unallocated", "infra", "1.00"));
    assert_eq!(
        refusal(&error),
        (
            ErrorKind::Invalid,
            Some("asset"),
            "us-unallocated holds CAD and USD: name the asset"
        )
    );
    book.ok(
        "ana",
        Command::TransferMoney {
            from: "us-unallocated".into(),
            to: "infra".into(),
            amount: "12.50".into(),
            asset: Some("CAD".into()),
            reason: "all of it".into(),
        },
    );
    assert_eq!(book.balance("infra", "CAD"), "12.50");
}

#[test]
fn a_plan_never_pays_into_a_campaign() {
    let mut book = lab();
    book.ok(
        OPERATOR,
        Command::OpenCampaign {
            id: "printer".into(),
            project: "lab".into(),
            target: "100.00".into(),
            purpose: None,
        },
    );
    let error = book.refused(
        OPERATOR,
        Command::SetPlan {
            project: "lab".into(),
            plan: Plan {
                buckets: vec![Bucket::Fixed {
                    amount: "10.00".into(),
                    to: "printer".into(),
                }],
            },
        },
    );
    assert_eq!(
        refusal(&error),
        (
            ErrorKind::Invalid,
            Some("plan"),
            "a plan cannot pay to printer: it is a campaign's account"
        )
    );
}

#[test]
fn forged_outcomes_are_corrupt() {
    let cases: Vec<(Command, Outcome)> = vec![
        (
            payout(Some("p1"), "cleo", "1.00"),
            Outcome::PayoutRequested {
                id: "other".into(),
                asset: "CAD".into(),
                amount: 100,
            },
        ),
        (
            payout(None, "cleo", "1.00"),
            Outcome::PayoutRequested {
                id: "p".into(),
                asset: "CAD".into(),
                amount: -1,
            },
        ),
        (approve_payout("nope"), Outcome::Done),
        (
            expense(None, "maintenance", "1.00"),
            Outcome::ExpenseSubmitted {
                id: "e".into(),
                asset: "CAD".into(),
                amount: 100,
                required: 0,
            },
        ),
        (
            approve_expense("nope"),
            Outcome::ExpenseApproved { paid: true },
        ),
        (
            move_money("maintenance", "commons", "1.00"),
            Outcome::MoneyTransferred {
                asset: "USD".into(),
                amount: 100,
            },
        ),
        (
            exchange("us-unallocated", "1.00", "1.5"),
            Outcome::Exchanged {
                amount: 100,
                converted: 151,
            },
        ),
        (move_money("maintenance", "commons", "1.00"), Outcome::Done),
    ];
    for (command, outcome) in cases {
        let mut book = lab();
        let ctx = book.ctx("ana");
        let before = book.state.clone();
        let error = book.state.apply(&ctx, &command, &outcome).unwrap_err();
        assert_eq!(
            error.kind(),
            ErrorKind::Corrupt,
            "{command:?} with {outcome:?}"
        );
        assert_eq!(book.state, before);
    }
    // An expense approval that claims to pay before enough approvals.
    let mut book = lab();
    book.ok("cleo", {
        let mut c = expense(Some("e1"), "us-unallocated", "1.00");
        if let Command::SubmitExpense { asset, .. } = &mut c {
            *asset = Some("USD".into());
        }
        c
    });
    let ctx = book.ctx("ana");
    let error = book
        .state
        .apply(
            &ctx,
            &approve_expense("e1"),
            &Outcome::ExpenseApproved { paid: true },
        )
        .unwrap_err();
    assert_eq!(error.kind(), ErrorKind::Corrupt);
}

#[test]
fn conversion_rounds_down_across_exponents() {
    let rate = |t: &str| t.parse::<Decimal>().unwrap();
    // 1.00 (exponent 2) at 3 into an asset of exponent 0: 3.
    assert_eq!(convert_floor(100, 2, 0, rate("3")), Some(3));
    // 0.99 at 1 into exponent 0: 0.
    assert_eq!(convert_floor(99, 2, 0, rate("1")), Some(0));
    // 1 unit (exponent 0) at 0.333 into exponent 2: 0.33.
    assert_eq!(convert_floor(1, 0, 2, rate("0.333")), Some(33));
    assert_eq!(convert_floor(i128::MAX / 2, 2, 2, rate("3")), None);
}
