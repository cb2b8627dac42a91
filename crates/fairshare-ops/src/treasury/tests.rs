use super::*;
use crate::{Clock, Local};
use fairshare_core::{Kind, OPERATOR, Role};

/// cleo holds 1000.00 CAD (a revenue split by her cash contribution); `ops-unallocated`
/// holds 200.00 USD (a revenue of a project nobody contributed to, needing two approvals).
fn book(dir: &std::path::Path) -> Local {
    let store = fairshare_sqlite::SqliteStore::open(&dir.join("book.db")).expect("store");
    let clock = Clock::new(Some("2026-11-21T10:00:00Z")).expect("clock");
    let mut local = Local::open(Box::new(store), clock).expect("book");
    let mut run = |command: Command| {
        local
            .book_mut()
            .execute(OPERATOR, &command, None, "2026-11-21T10:00:00Z")
            .expect("setup");
    };
    for (handle, role) in [
        ("ana", Role::Custodian),
        ("ben", Role::Custodian),
        ("cleo", Role::Affiliate),
    ] {
        run(Command::add_agent(handle, role));
    }
    for (slug, currency, approvals) in [("lab", "CAD", 0), ("ops", "USD", 2)] {
        run(Command::add_project_approving(slug, currency, 2, approvals));
    }
    run(Command::log(
        "lab",
        "cleo",
        Kind::Cash,
        None,
        None,
        Some("100.00"),
    ));
    for (project, amount) in [("lab", "1000.00"), ("ops", "200.00")] {
        run(Command::revenue(project, amount));
    }
    local
}

#[test]
fn a_payout_is_requested_listed_and_approved() {
    let dir = tempfile::tempdir().expect("dir");
    let mut book = book(dir.path());
    let request = RequestPayout {
        id: None,
        agent: "cleo".into(),
        amount: "400.00".into(),
        asset: None,
        reference: "bank-1".into(),
    };
    let requested = book.write("cleo", None, &request).expect("request");
    assert_eq!(
        (
            requested.id.as_str(),
            requested.status.as_str(),
            requested.asset.as_str()
        ),
        ("payout-1", "pending", "CAD")
    );
    assert_eq!(requested.balance, "1000.00");
    let pending = ListPayouts {
        status: Some("pending".into()),
        ..ListPayouts::default()
    };
    assert_eq!(book.read(None, &pending).expect("list").page.total, 1);
    let approved = book
        .write(
            "ana",
            None,
            &ApprovePayout {
                id: "payout-1".into(),
            },
        )
        .expect("approve");
    assert_eq!(
        (approved.status.as_str(), approved.balance.as_str()),
        ("paid", "600.00")
    );
    assert_eq!(approved.reviewed_by.as_deref(), Some("ana"));
    assert_eq!(book.read(None, &pending).expect("list").page.total, 0);
    let by_agent = ListPayouts {
        agent: Some("cleo".into()),
        ..ListPayouts::default()
    };
    let listed = book.read(None, &by_agent).expect("list");
    assert_eq!(listed.payouts[0].amount, "400.00");
    let bad = ListPayouts {
        status: Some("done".into()),
        ..ListPayouts::default()
    };
    let error = book.read(None, &bad).expect_err("unknown status");
    assert_eq!(error.field(), Some("status"));
}

#[test]
fn an_expense_needs_two_approvals_from_a_project_that_asks_two() {
    let dir = tempfile::tempdir().expect("dir");
    let mut book = book(dir.path());
    let submit = SubmitExpense {
        id: Some("e1".into()),
        account: "ops-unallocated".into(),
        amount: "50.00".into(),
        asset: None,
        purpose: "hosting".into(),
        payee: Some("cleo".into()),
        receipt: None,
    };
    let submitted = book.write("cleo", None, &submit).expect("submit");
    assert_eq!(
        (submitted.required, submitted.status.as_str()),
        (2, "pending")
    );
    let json = serde_json::to_value(&submitted).expect("json");
    assert_eq!(json["for"], "hosting");
    let first = book
        .write("ana", None, &ApproveExpense { id: "e1".into() })
        .expect("first");
    assert_eq!(
        (first.status.as_str(), first.balance.as_str()),
        ("pending", "200.00")
    );
    let paid = book
        .write("ben", None, &ApproveExpense { id: "e1".into() })
        .expect("second");
    assert_eq!(
        (paid.status.as_str(), paid.balance.as_str()),
        ("paid", "150.00")
    );
    assert_eq!(paid.approvals, ["ana", "ben"]);
    let listed = book
        .read(
            None,
            &ListExpenses {
                account: Some("ops-unallocated".into()),
                ..ListExpenses::default()
            },
        )
        .expect("list");
    assert_eq!(listed.expenses.len(), 1);
    let cleo = book
        .read(
            None,
            &crate::distributions::ShowBalance {
                account: "cleo".into(),
            },
        )
        .expect("balance");
    assert_eq!(cleo.balances["cleo"]["USD"], "50.00");
    assert_eq!(cleo.balances["cleo"]["CAD"], "1000.00");
}

#[test]
fn a_transfer_and_an_exchange_answer_the_balances_after() {
    let dir = tempfile::tempdir().expect("dir");
    let mut book = book(dir.path());
    let exchanged = book
        .write(
            "ana",
            Some("fx-1"),
            &Exchange {
                account: "ops-unallocated".into(),
                amount: "100.00".into(),
                from_asset: "USD".into(),
                to_asset: "CAD".into(),
                rate: "1.3719".into(),
                reference: None,
            },
        )
        .expect("exchange");
    assert_eq!(exchanged.converted, "137.19");
    assert_eq!(
        exchanged.balances["ops-unallocated"],
        BTreeMap::from([
            ("CAD".into(), "137.19".into()),
            ("USD".into(), "100.00".into())
        ])
    );
    let moved = book
        .write(
            "ana",
            None,
            &TransferMoney {
                from: "ops-unallocated".into(),
                to: "infra".into(),
                amount: "37.19".into(),
                asset: Some("CAD".into()),
                reason: "hosting fund".into(),
            },
        )
        .expect("transfer");
    assert_eq!(moved.balances["infra"]["CAD"], "37.19");
    assert_eq!(moved.balances["ops-unallocated"]["CAD"], "100.00");
}
