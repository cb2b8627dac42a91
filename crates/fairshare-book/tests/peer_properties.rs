//! Property tests of peer valuation (issue 8): blended shares sum to exactly 1, a pool
//! allocation places exactly its size, and peer shares do not depend on the order of gifts.

mod common;

use std::collections::BTreeMap;

use common::rows_of;
use fairshare_book::{Book, MemoryStore, verify};
use fairshare_core::{BigInt, BigRational, Command, OPERATOR, Outcome, Share};
use proptest::prelude::*;

const AT: &str = "2026-11-21T12:00:00Z";
const AGENTS: [&str; 5] = ["ana", "bob", "cleo", "dev", "eve"];
const BUDGET: u64 = 100;

fn run(book: &mut Book, actor: &str, command: Command) -> Outcome {
    book.execute(actor, &command, None, AT)
        .unwrap_or_else(|e| panic!("{} refused: {e}", command.op()))
        .outcome
}

/// A book with five members (ana a custodian) and project `p` in UNITS; each agent with
/// `hours > 0` logs that much work, at a skill factor of 1 + skill/4.
fn book_with(hours: &[(u32, u8)]) -> Book {
    let mut book = Book::open(Box::new(MemoryStore::new())).unwrap();
    for member in common::members(&AGENTS, 1) {
        run(&mut book, OPERATOR, member);
    }
    run(&mut book, OPERATOR, Command::add_project("p", "UNITS", 0));
    run(&mut book, OPERATOR, Command::set_rate("p", "any", "1"));
    for (agent, (hours, skill)) in AGENTS.iter().zip(hours) {
        if *skill > 0 {
            run(
                &mut book,
                OPERATOR,
                Command::SetSkill {
                    project: "p".into(),
                    agent: (*agent).into(),
                    factor: ["1", "1.25", "1.5", "1.75"][usize::from(*skill)].into(),
                },
            );
        }
        if *hours > 0 {
            run(
                &mut book,
                OPERATOR,
                Command::log_work(
                    "p",
                    agent,
                    "any",
                    // Quarter hours make shares with awkward denominators.
                    &format!("{}.{:02}", hours / 4, (hours % 4) * 25),
                ),
            );
        }
    }
    book
}

fn hours() -> impl Strategy<Value = Vec<(u32, u8)>> {
    prop::collection::vec((0u32..4000, 0u8..4), AGENTS.len())
}

/// Gifts within the budget: for each giver, points to the others, scaled down to fit.
fn gifts() -> impl Strategy<Value = BTreeMap<(usize, usize), u64>> {
    prop::collection::vec(prop::collection::vec(0u64..60, AGENTS.len()), AGENTS.len()).prop_map(
        |rows| {
            let mut gifts = BTreeMap::new();
            for (from, row) in rows.iter().enumerate() {
                let mut spent = 0;
                for (to, points) in row.iter().enumerate() {
                    if from == to || *points == 0 || spent + points > BUDGET {
                        continue;
                    }
                    spent += points;
                    gifts.insert((from, to), *points);
                }
            }
            gifts
        },
    )
}

/// Opens a round with every agent eligible, gives in the order given, and closes it.
fn round(book: &mut Book, gifts: &[((usize, usize), u64)]) -> Outcome {
    let Outcome::RoundOpened { round, .. } = run(
        book,
        OPERATOR,
        Command::OpenRound {
            project: "p".into(),
            budget: Some(BUDGET),
            eligible: Some(AGENTS.iter().map(|a| a.to_string()).collect()),
        },
    ) else {
        panic!("no round")
    };
    for ((from, to), points) in gifts {
        run(
            book,
            AGENTS[*from],
            Command::Give {
                round,
                from: AGENTS[*from].into(),
                to: AGENTS[*to].into(),
                points: *points,
            },
        );
    }
    run(book, OPERATOR, Command::CloseRound { round })
}

fn has_gifts(gifts: &BTreeMap<(usize, usize), u64>) -> bool {
    !gifts.is_empty()
}

fn replay_matches(book: &mut Book) -> Result<(), TestCaseError> {
    let mut copy = rows_of(book);
    prop_assert!(verify(&mut copy).unwrap().ok());
    let replayed = Book::open(Box::new(copy)).unwrap();
    prop_assert_eq!(replayed.state(), book.state());
    prop_assert_eq!(book.state().recount_project_aggregates(), Ok(()));
    Ok(())
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(96))]

    /// Whatever the values, gifts, steward points and weights, the blended shares of a
    /// accepted blend add up to exactly 1; a weight on a part without points is refused.
    #[test]
    fn blended_shares_sum_to_exactly_one(
        hours in hours(),
        gifts in gifts(),
        steward in prop::collection::vec(0u64..50, AGENTS.len()),
        wf in 0u32..=100,
        wp in 0u32..=100,
    ) {
        prop_assume!(hours.iter().any(|(h, _)| *h > 0));
        let wp = wp.min(100 - wf);
        let ws = 100 - wf - wp;
        let mut book = book_with(&hours);
        let entries: Vec<_> = gifts.clone().into_iter().collect();
        round(&mut book, &entries);
        for (agent, points) in AGENTS.iter().zip(&steward) {
            if *points > 0 {
                run(&mut book, OPERATOR, Command::StewardGive {
                    project: "p".into(),
                    agent: (*agent).into(),
                    points: *points,
                    reason: "care".into(),
                });
            }
        }
        let weight = |w: u32| format!("{}.{:02}", w / 100, w % 100);
        let set = Command::SetBlend {
            project: "p".into(),
            formula: weight(wf),
            peer: weight(wp),
            steward: weight(ws),
        };
        let no_peer = wp > 0 && !has_gifts(&gifts);
        let no_steward = ws > 0 && steward.iter().all(|p| *p == 0);
        match book.execute("ana", &set, None, AT) {
            Ok(_) => {
                prop_assert!(!no_peer && !no_steward);
                let report = book.state().blended_shares("p", fairshare_core::Date::parse(AT).unwrap()).unwrap();
                let sum: Share = report.rows.iter().map(|r| r.blended.clone()).sum();
                prop_assert!(sum.is_one(), "blended shares sum to {}", sum);
                for part in [
                    report.rows.iter().map(|r| r.formula.clone()).sum::<Share>(),
                    report.rows.iter().map(|r| r.peer.clone()).sum(),
                    report.rows.iter().map(|r| r.steward.clone()).sum(),
                ] {
                    prop_assert!(part.is_one() || part.is_zero());
                }
            }
            Err(error) => {
                let message = error.to_string();
                prop_assert!(no_peer || no_steward, "refused: {}", message);
                prop_assert!(message.contains("but no"), "{}", message);
            }
        }
    }

    /// A pool allocation places exactly its size: bounty rewards first, the rest by blended
    /// share, each part within one unit of its exact share; the ledger balances.
    #[test]
    fn a_pool_allocation_sums_exactly_to_its_size(
        hours in hours(),
        gifts in gifts(),
        size in 1u64..2_000_000,
        bounty in prop::option::of((1u64..50_000, 1usize..5)),
        blend in any::<bool>(),
    ) {
        prop_assume!(hours.iter().any(|(h, _)| *h > 0));
        let mut book = book_with(&hours);
        let entries: Vec<_> = gifts.clone().into_iter().collect();
        round(&mut book, &entries);
        if blend && has_gifts(&gifts) {
            run(&mut book, OPERATOR, Command::SetBlend {
                project: "p".into(),
                formula: "0.7".into(),
                peer: "0.3".into(),
                steward: "0".into(),
            });
        }
        let mut reward = 0;
        if let Some((units, agent)) = bounty {
            reward = units;
            run(&mut book, OPERATOR, Command::AddBounty {
                project: "p".into(),
                task: "t".into(),
                reward: units.to_string(),
                description: None,
            });
            run(&mut book, "ana", Command::CompleteBounty {
                project: "p".into(),
                task: "t".into(),
                agent: AGENTS[agent].into(),
            });
        }
        let allocate = Command::AllocatePool { project: "p".into(), pool: size.to_string() };
        match book.execute(OPERATOR, &allocate, Some("crystallise"), AT) {
            Ok(executed) => {
                prop_assert!(reward <= size);
                let Outcome::PoolAllocated { pool, lines, .. } = executed.outcome else {
                    panic!("not an allocation");
                };
                prop_assert_eq!(pool, i128::from(size));
                prop_assert_eq!(lines.iter().map(|l| l.units).sum::<i128>(), pool);
                prop_assert_eq!(lines.iter().map(|l| l.bounty).sum::<i128>(), i128::from(reward));
                let whole = |n: i128| BigRational::from_integer(BigInt::from(n));
                let rest = whole(i128::from(size - reward));
                for line in &lines {
                    let exact = &rest * &line.share.0;
                    let got = whole(line.by_share);
                    let gap = if got > exact { &got - &exact } else { &exact - &got };
                    prop_assert!(gap < whole(1), "{} got {} of exact {}", line.agent, line.by_share, Share(exact));
                }
                let ledger = book.state().ledger();
                prop_assert_eq!(ledger.balance("outside", "UNITS"), -i128::from(size));
                let held: i128 = AGENTS.iter().map(|a| ledger.balance(a, "UNITS")).sum();
                prop_assert_eq!(held, i128::from(size));
                prop_assert!(ledger.audit().is_ok());
                // The same key again records nothing new.
                let again = book.execute(OPERATOR, &allocate, Some("crystallise"), AT).unwrap();
                prop_assert!(again.replayed);
                prop_assert_eq!(book.state().ledger().balance("outside", "UNITS"), -i128::from(size));
                replay_matches(&mut book)?;
            }
            Err(error) => {
                prop_assert!(reward > size, "refused: {}", error);
            }
        }
    }

    /// Peer shares depend on the final gifts only: not on their order, nor on gifts edited
    /// on the way.
    #[test]
    fn peer_shares_are_unchanged_by_the_order_of_gifts(
        gifts in gifts(),
        seed in prop::collection::vec(any::<u32>(), 0..64),
        detours in prop::collection::vec((0usize..5, 1usize..5, 0u64..=BUDGET), 0..6),
    ) {
        let hours = [(40, 0), (30, 0), (20, 0), (10, 0), (5, 0)];
        let in_order: Vec<_> = gifts.clone().into_iter().collect();
        // The same gifts shuffled, after detours: gifts set to another amount and taken
        // back again (each alone within the budget), before the real gifts are given.
        let mut shuffled = in_order.clone();
        for (i, r) in seed.iter().enumerate() {
            if shuffled.len() > 1 {
                let a = i % shuffled.len();
                let b = (*r as usize) % shuffled.len();
                shuffled.swap(a, b);
            }
        }
        let mut edited = Vec::new();
        for (from, offset, points) in detours {
            let pair = (from, (from + offset) % AGENTS.len());
            edited.push((pair, points));
            edited.push((pair, 0));
        }
        edited.extend(shuffled);

        let mut first = book_with(&hours);
        let mut second = book_with(&hours);
        let a = round(&mut first, &in_order);
        let b = round(&mut second, &edited);
        prop_assert_eq!(&a, &b);
        let Outcome::RoundClosed { total, shares, .. } = a else { panic!("not closed") };
        prop_assert_eq!(total, gifts.values().sum::<u64>());
        if total > 0 {
            let sum: Share = shares.iter().map(|s| s.share.clone()).sum();
            prop_assert!(sum.is_one());
        }
    }
}
