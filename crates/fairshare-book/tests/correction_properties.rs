//! Property tests of corrections: random contributions, revenues, adjusts, reverses and
//! reviews. After every step past distributions are exactly as recorded, the aggregates equal
//! the sum of what counts, and no claim is paid past what it owes; at the end a replay gives
//! the same state, verify accepts the log, and the corrections report re-runs each past
//! distribution into parts that add up to its amount, its `received` column being exactly
//! what was paid.

mod common;

use std::collections::BTreeMap;

use common::rows_of;
use fairshare_book::{Book, MemoryStore, corrections_report, verify};
use fairshare_core::{Bucket, Command, Filter, Kind, OPERATOR, Plan, Role, Value};
use fairshare_store::Store;
use proptest::prelude::*;

const AT: &str = "2026-11-21T12:00:00Z";
const AGENTS: [&str; 4] = ["ana", "ben", "cleo", "dev"];

#[derive(Debug, Clone)]
enum Step {
    Work {
        agent: usize,
        hours: u32,
    },
    Cash {
        agent: usize,
        cents: u32,
    },
    Revenue {
        cents: u32,
    },
    Adjust {
        id: u64,
        actor: usize,
        quantity: u32,
    },
    Reverse {
        id: u64,
        actor: usize,
    },
    Approve {
        id: u64,
        actor: usize,
    },
    Review {
        id: u64,
        actor: usize,
        approve: bool,
    },
}

fn step() -> impl Strategy<Value = Step> {
    prop_oneof![
        3 => (0..4usize, 1u32..200).prop_map(|(agent, hours)| Step::Work { agent, hours }),
        2 => (0..4usize, 1u32..50_000).prop_map(|(agent, cents)| Step::Cash { agent, cents }),
        3 => (1u32..500_000).prop_map(|cents| Step::Revenue { cents }),
        3 => (1u64..12, 0..4usize, 1u32..300).prop_map(|(id, actor, quantity)| Step::Adjust { id, actor, quantity }),
        1 => (1u64..12, 0..4usize).prop_map(|(id, actor)| Step::Reverse { id, actor }),
        1 => (1u64..12, 0..4usize).prop_map(|(id, actor)| Step::Approve { id, actor }),
        2 => (1u64..10, 0..4usize, any::<bool>()).prop_map(|(id, actor, approve)| Step::Review { id, actor, approve }),
    ]
}

fn command(step: &Step) -> (String, Command) {
    let log = |agent: usize, kind, hours: Option<String>, amount: Option<String>| Command::Log {
        project: "p".into(),
        agent: AGENTS[agent].into(),
        kind,
        category: hours.as_ref().map(|_| "build".into()),
        hours,
        amount,
        rate: None,
        value: None,
        date: None,
        note: None,
        gift: false,
        reimbursable: kind == Kind::Cash,
    };
    let cents = |c: u32| format!("{}.{:02}", c / 100, c % 100);
    match step {
        Step::Work { agent, hours } => (
            OPERATOR.into(),
            log(*agent, Kind::Work, Some(hours.to_string()), None),
        ),
        Step::Cash { agent, cents: c } => (
            OPERATOR.into(),
            log(*agent, Kind::Cash, None, Some(cents(*c))),
        ),
        Step::Revenue { cents: c } => (
            OPERATOR.into(),
            Command::Revenue {
                project: "p".into(),
                amount: cents(*c),
                from: None,
            },
        ),
        // Hours for work, an amount for cash: the wrong one is refused, which is tested too.
        Step::Adjust {
            id,
            actor,
            quantity,
        } => (
            AGENTS[*actor].into(),
            Command::Adjust {
                id: *id,
                hours: (quantity % 2 == 0).then(|| (quantity / 2).max(1).to_string()),
                amount: (quantity % 2 == 1).then(|| cents(quantity * 37)),
                value: None,
                reason: "fix".into(),
            },
        ),
        Step::Reverse { id, actor } => (
            AGENTS[*actor].into(),
            Command::Reverse {
                id: *id,
                reason: "undo".into(),
            },
        ),
        Step::Approve { id, actor } => (AGENTS[*actor].into(), Command::Approve { id: *id }),
        Step::Review {
            id,
            actor,
            approve: true,
        } => (
            AGENTS[*actor].into(),
            Command::ApproveCorrection { id: *id },
        ),
        Step::Review {
            id,
            actor,
            approve: false,
        } => (
            AGENTS[*actor].into(),
            Command::RejectCorrection {
                id: *id,
                reason: "no".into(),
            },
        ),
    }
}

fn fresh_book(approvals: u32) -> Book {
    let mut book = Book::open(Box::new(MemoryStore::new())).unwrap();
    let mut setup = vec![];
    for (i, handle) in AGENTS.iter().enumerate() {
        let role = if i < 2 {
            Role::Custodian
        } else {
            Role::Affiliate
        };
        setup.push(Command::AddAgent {
            handle: (*handle).into(),
            name: None,
            role,
        });
    }
    setup.push(Command::AddProject {
        slug: "p".into(),
        name: None,
        currency: "CAD".into(),
        exponent: 2,
        approvals,
    });
    setup.push(Command::SetRate {
        project: "p".into(),
        category: "build".into(),
        per_hour: "45.00".into(),
    });
    setup.push(Command::SetPlan {
        project: "p".into(),
        plan: Plan {
            buckets: vec![
                Bucket::Reimburse {
                    kinds: vec![Kind::Cash],
                },
                Bucket::all_contributors(),
            ],
        },
    });
    for command in setup {
        book.execute(OPERATOR, &command, None, AT).unwrap();
    }
    book
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(200))]

    #[test]
    fn past_distributions_never_change_and_replay_is_the_same(
        steps in prop::collection::vec(step(), 1..50),
        approvals in 0u32..2,
    ) {
        let mut book = fresh_book(approvals);
        for step in &steps {
            let (actor, command) = command(step);
            let before = book.state().clone();
            match book.execute(&actor, &command, None, AT) {
                Ok(_) => {}
                Err(_) => prop_assert_eq!(book.state(), &before),
            }
            let state = book.state();
            // Past distributions are exactly as recorded.
            prop_assert_eq!(&state.distributions()[..before.distributions().len()], before.distributions());
            prop_assert!(state.ledger().audit().is_ok());
            prop_assert_eq!(state.recount_project_aggregates(), Ok(()));
            let project = state.project("p").unwrap();
            prop_assert!(project.claims.iter().all(|c| c.paid >= 0 && c.paid <= c.owed));
            // The aggregates are exactly the sum of what counts.
            let mut expected: BTreeMap<String, Value> = BTreeMap::new();
            for c in state.project_contributions(project).filter(|c| c.counts()) {
                expected.entry(c.agent.to_string()).or_default().0 += c.value.0;
            }
            expected.retain(|_, v| *v > Value::ZERO);
            let today = fairshare_core::Date::parse("2026-11-21").unwrap();
            let got: BTreeMap<String, Value> = state
                .values_by_agent(project, &Filter::default(), today)
                .unwrap()
                .into_iter()
                .map(|(a, v)| (a.to_string(), v))
                .collect();
            prop_assert_eq!(got, expected);
        }
        let mut store = rows_of(&mut book);
        prop_assert!(verify(&mut store).unwrap().ok());
        let (now, report) = corrections_report(&mut store, "p").unwrap();
        prop_assert_eq!(&now, book.state());
        for d in &report {
            let recorded = book.state().distribution(d.id).unwrap();
            let received: BTreeMap<String, i128> = d.accounts.iter().filter(|(_, (r, _))| *r != 0).map(|(a, (r, _))| (a.clone(), *r)).collect();
            let paid: BTreeMap<String, i128> = recorded.payouts().into_iter().map(|(a, v)| (a.to_string(), v)).collect();
            prop_assert_eq!(received, paid);
            prop_assert_eq!(d.accounts.values().map(|(_, c)| c).sum::<i128>(), recorded.amount);
        }
        // The same report from a store with a snapshot half-way: its state, then the tail.
        let mut rows = Vec::new();
        store.scan(0, &mut |row| { rows.push(row); Ok(()) }).unwrap();
        let mut first_half = MemoryStore::new();
        first_half.append(&rows[..rows.len() / 2]).unwrap();
        let mut first_half = Book::open(Box::new(first_half)).unwrap();
        let (seq, bytes) = match first_half.snapshot() {
            Ok(_) => first_half.store_mut().latest_snapshot(u64::MAX).unwrap().unwrap(),
            Err(_) => (0, Vec::new()), // an empty half has no state to snapshot
        };
        let mut snapshotted = MemoryStore::new();
        snapshotted.append(&rows).unwrap();
        if seq > 0 {
            snapshotted.put_snapshot(seq, &bytes).unwrap();
        }
        let (from_snapshot, again) = corrections_report(&mut snapshotted, "p").unwrap();
        prop_assert_eq!(&from_snapshot, book.state());
        prop_assert_eq!(again, report);
        let replayed = Book::open(Box::new(store)).unwrap();
        prop_assert_eq!(replayed.state(), book.state());
    }
}
