//! Model-based property tests of the treasury: random payouts, expenses, transfers and
//! exchanges (valid and not) between revenues, checking after every step that every asset
//! sums to zero across all accounts, that nothing but `outside` and `exchange` is negative,
//! that a refusal changes nothing, and at the end that the log replays and verifies.

mod common;

use common::rows_of;
use fairshare_book::{Book, MemoryStore, verify};
use fairshare_core::{Command, EXCHANGE, Kind, OPERATOR, OUTSIDE};
use proptest::prelude::*;

const AT: &str = "2026-11-21T12:00:00Z";
/// Two custodians (so that one can approve what the other asked) and two affiliates.
const AGENTS: [&str; 4] = ["ana", "ben", "cleo", "dev"];
/// Virtual accounts: the two projects' unallocated accounts and two funds.
const ACCOUNTS: [&str; 4] = ["ca-unallocated", "us-unallocated", "infra", "commons"];
const ASSETS: [&str; 2] = ["CAD", "USD"];

#[derive(Debug, Clone)]
enum Step {
    Revenue {
        usd: bool,
        amount: String,
    },
    Payout {
        by: usize,
        agent: usize,
        amount: String,
        usd: bool,
    },
    ReviewPayout {
        by: usize,
        n: usize,
        approve: bool,
    },
    Expense {
        by: usize,
        account: usize,
        amount: String,
        usd: bool,
        payee: Option<usize>,
    },
    ReviewExpense {
        by: usize,
        n: usize,
        approve: bool,
    },
    Transfer {
        from: usize,
        to: usize,
        amount: String,
        usd: bool,
    },
    Exchange {
        account: usize,
        amount: String,
        to_usd: bool,
        rate: String,
    },
}

fn amount() -> impl Strategy<Value = String> {
    prop_oneof![
        4 => (1u32..50_000).prop_map(|c| format!("{}.{:02}", c / 100, c % 100)),
        1 => Just("0.00".to_string()),
        1 => Just("1.005".to_string()),
    ]
}

fn step() -> impl Strategy<Value = Step> {
    prop_oneof![
        2 => (any::<bool>(), amount()).prop_map(|(usd, amount)| Step::Revenue { usd, amount }),
        3 => (0..4usize, 0..4usize, amount(), any::<bool>())
            .prop_map(|(by, agent, amount, usd)| Step::Payout { by, agent, amount, usd }),
        3 => (0..4usize, 0..8usize, any::<bool>())
            .prop_map(|(by, n, approve)| Step::ReviewPayout { by, n, approve }),
        3 => (0..4usize, 0..4usize, amount(), any::<bool>(), prop::option::of(0..4usize))
            .prop_map(|(by, account, amount, usd, payee)| Step::Expense { by, account, amount, usd, payee }),
        3 => (0..4usize, 0..8usize, any::<bool>())
            .prop_map(|(by, n, approve)| Step::ReviewExpense { by, n, approve }),
        2 => (0..4usize, 0..4usize, amount(), any::<bool>())
            .prop_map(|(from, to, amount, usd)| Step::Transfer { from, to, amount, usd }),
        2 => (0..4usize, amount(), any::<bool>(), prop_oneof![Just("1.3719".to_string()), Just("0.7289".to_string()), Just("0".to_string()), Just("1".to_string())])
            .prop_map(|(account, amount, to_usd, rate)| Step::Exchange { account, amount, to_usd, rate }),
    ]
}

fn asset(usd: bool) -> String {
    ASSETS[usize::from(usd)].to_string()
}

fn command(step: &Step) -> (String, Command) {
    match step {
        Step::Revenue { usd, amount } => (
            OPERATOR.into(),
            Command::Revenue {
                project: if *usd { "us" } else { "ca" }.into(),
                amount: amount.clone(),
                from: None,
            },
        ),
        Step::Payout {
            by,
            agent,
            amount,
            usd,
        } => (
            AGENTS[*by].into(),
            Command::RequestPayout {
                id: None,
                agent: AGENTS[*agent].into(),
                amount: amount.clone(),
                asset: Some(asset(*usd)),
                reference: "bank".into(),
            },
        ),
        Step::ReviewPayout { by, n, approve } => {
            let id = format!("payout-{}", n + 1);
            let command = if *approve {
                Command::ApprovePayout { id }
            } else {
                Command::RejectPayout {
                    id,
                    reason: "no".into(),
                }
            };
            (AGENTS[*by].into(), command)
        }
        Step::Expense {
            by,
            account,
            amount,
            usd,
            payee,
        } => (
            AGENTS[*by].into(),
            Command::SubmitExpense {
                id: None,
                account: ACCOUNTS[*account].into(),
                amount: amount.clone(),
                asset: Some(asset(*usd)),
                purpose: "supplies".into(),
                payee: payee.map(|p| AGENTS[p].to_string()),
                receipt: None,
            },
        ),
        Step::ReviewExpense { by, n, approve } => {
            let id = format!("expense-{}", n + 1);
            let command = if *approve {
                Command::ApproveExpense { id }
            } else {
                Command::RejectExpense {
                    id,
                    reason: "no".into(),
                }
            };
            (AGENTS[*by].into(), command)
        }
        Step::Transfer {
            from,
            to,
            amount,
            usd,
        } => (
            "ana".into(),
            Command::TransferMoney {
                from: ACCOUNTS[*from].into(),
                to: ACCOUNTS[*to].into(),
                amount: amount.clone(),
                asset: Some(asset(*usd)),
                reason: "move".into(),
            },
        ),
        Step::Exchange {
            account,
            amount,
            to_usd,
            rate,
        } => (
            "ben".into(),
            Command::Exchange {
                account: ACCOUNTS[*account].into(),
                amount: amount.clone(),
                from_asset: asset(!*to_usd),
                to_asset: asset(*to_usd),
                rate: rate.clone(),
                reference: None,
            },
        ),
    }
}

/// Two custodians, two affiliates with work in `ca` (so revenues reach their balances), and a
/// USD project `us` needing two approvals, nobody's work in it (its revenues stay
/// unallocated).
fn fresh_book() -> Book {
    let mut book = Book::open(Box::new(MemoryStore::new())).unwrap();
    let mut run = |command: Command| {
        book.execute(OPERATOR, &command, None, AT).unwrap();
    };
    for member in common::members(&AGENTS, 2) {
        run(member);
    }
    for (slug, currency, approvals) in [("ca", "CAD", 0), ("us", "USD", 2)] {
        run(Command::add_project_approving(slug, currency, 2, approvals));
    }
    for (agent, amount) in [("cleo", "30.00"), ("dev", "70.00"), ("ana", "10.00")] {
        run(Command::log(
            "ca",
            agent,
            Kind::Cash,
            None,
            None,
            Some(amount),
        ));
    }
    book
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(200))]

    #[test]
    fn every_asset_sums_to_zero_and_nothing_overdraws(steps in prop::collection::vec(step(), 1..60)) {
        let mut book = fresh_book();
        for step in &steps {
            let (actor, command) = command(step);
            let before = book.state().clone();
            if book.execute(&actor, &command, None, AT).is_err() {
                // A refused command changes nothing.
                prop_assert_eq!(book.state(), &before);
            }
            let ledger = book.state().ledger();
            prop_assert!(ledger.audit().is_ok());
            for asset in ASSETS {
                let sum: i128 = ledger
                    .accounts()
                    .values()
                    .map(|assets| assets.get(asset).copied().unwrap_or(0))
                    .sum();
                prop_assert_eq!(sum, 0, "{} does not sum to zero", asset);
            }
            for (account, assets) in ledger.accounts() {
                if account != OUTSIDE && account != EXCHANGE {
                    prop_assert!(assets.values().all(|b| *b >= 0), "{} is negative", account);
                }
            }
            // Open requests never promise more than the balance.
            for agent in AGENTS {
                for asset in ASSETS {
                    let open: i128 = book.state().payouts().iter()
                        .filter(|p| p.agent == agent && p.asset == asset && p.status.as_str() == "pending")
                        .map(|p| p.amount)
                        .sum();
                    prop_assert!(open <= ledger.balance(agent, asset));
                }
            }
        }
        let mut store = rows_of(&mut book);
        prop_assert!(verify(&mut store).unwrap().ok());
        let replayed = Book::open(Box::new(store)).unwrap();
        prop_assert_eq!(replayed.state(), book.state());
    }
}
