//! Property tests of governance (issue 14): under `proposals` mode no rule of the project
//! changes except by a passed proposal; a tally does not depend on the order of the votes; a
//! closed proposal never changes.

mod common;

use fairshare_book::{Book, MemoryStore, verify};
use fairshare_core::{
    Ballot, Command, GovernanceMode, OPERATOR, Outcome, Proposal, ProposalStatus, Timestamp,
    Weighting,
};
use proptest::prelude::*;

const AGENTS: [&str; 5] = ["ana", "bob", "cleo", "dev", "eve"];
const START: i64 = 1_790_000_000; // 2026-09-21

fn at(seconds: i64) -> String {
    Timestamp(START + seconds).to_string()
}

/// A member-run book: ana a custodian, the others affiliates, each with `hours` of work in
/// `p` (weights by value), and `p` governed by proposals (1 day of voting, 1 of notice).
fn book_with(hours: &[u32], weight: Weighting) -> Book {
    let mut book = Book::open(Box::new(MemoryStore::new())).unwrap();
    let mut commands = common::members(&AGENTS, 1);
    commands.push(Command::add_project("p", "CAD", 2));
    commands.push(Command::set_rate("p", "build", "3.00"));
    for (agent, hours) in AGENTS.iter().zip(hours) {
        commands.push(Command::log_work("p", agent, "build", &hours.to_string()));
    }
    commands.push(Command::SetGovernance {
        project: Some("p".into()),
        mode: GovernanceMode::Proposals,
        quorum: Some("40".into()),
        threshold: Some("60".into()),
        notice_days: Some(1),
        voting_days: Some(1),
        weight: Some(weight),
    });
    for command in commands {
        book.execute(OPERATOR, &command, None, &at(0)).unwrap();
    }
    book
}

/// Yes half of the time, so that proposals pass as well as fail.
fn ballot(n: u8) -> Ballot {
    [
        Ballot::Yes,
        Ballot::No,
        Ballot::Abstain,
        Ballot::Yes,
        Ballot::Yes,
        Ballot::No,
    ][usize::from(n % 6)]
}

/// A step of a random history: a direct rule change, a proposal, a vote, a close, a withdraw,
/// or an unrelated write (which enacts what is due), each `wait` seconds after the last.
#[derive(Debug, Clone)]
enum Step {
    Direct(u32),
    Propose(usize, u32),
    Vote(usize, usize, u8),
    Close(usize),
    Withdraw(usize, usize),
    Work(usize),
}

fn step() -> impl Strategy<Value = (Step, i64)> {
    let step = prop_oneof![
        1 => (1u32..90).prop_map(Step::Direct),
        2 => (0usize..5, 1u32..90).prop_map(|(a, r)| Step::Propose(a, r)),
        8 => (0usize..6, 0usize..5, 0u8..6).prop_map(|(p, a, b)| Step::Vote(p, a, b)),
        2 => (0usize..6).prop_map(Step::Close),
        1 => (0usize..6, 0usize..5).prop_map(|(p, a)| Step::Withdraw(p, a)),
        1 => (0usize..5).prop_map(Step::Work),
    ];
    (step, 0i64..60_000)
}

fn rate(rate: u32) -> Command {
    Command::set_rate("p", "build", &format!("{rate}.00"))
}

fn command_of(book: &Book, step: &Step) -> (String, Command) {
    // Mostly the latest proposal (or the oldest open one), sometimes any.
    let proposals = book.state().proposals();
    let proposal = |n: usize| {
        let oldest_open = proposals.iter().find(|p| p.status == ProposalStatus::Open);
        let chosen = match n {
            0..=2 => proposals.last(),
            3 | 4 => oldest_open,
            _ => proposals.get(n % proposals.len().max(1)),
        };
        chosen.map_or("none".to_string(), |p| p.id.clone())
    };
    match step {
        Step::Direct(r) => (OPERATOR.into(), rate(*r)),
        Step::Propose(a, r) => (
            AGENTS[*a].into(),
            Command::Propose {
                id: None,
                project: Some("p".into()),
                title: "rate".into(),
                changes: vec![rate(*r)],
            },
        ),
        Step::Vote(p, a, b) => (
            AGENTS[*a].into(),
            Command::Vote {
                proposal: proposal(*p),
                vote: ballot(*b),
                reason: None,
            },
        ),
        Step::Close(p) => (
            OPERATOR.into(),
            Command::CloseProposal {
                proposal: proposal(*p),
            },
        ),
        Step::Withdraw(p, a) => (
            AGENTS[*a].into(),
            Command::WithdrawProposal {
                proposal: proposal(*p),
            },
        ),
        Step::Work(a) => (
            OPERATOR.into(),
            Command::log_work("p", AGENTS[*a], "build", "1"),
        ),
    }
}

/// What a closed proposal must keep for good.
fn closed_part(p: &Proposal) -> impl PartialEq + std::fmt::Debug {
    (
        p.voters.clone(),
        p.votes.clone(),
        p.tally.clone(),
        p.closed,
        p.notice_ends,
        p.status == ProposalStatus::Rejected,
        p.status == ProposalStatus::Withdrawn,
    )
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(48))]

    /// Under `proposals`, the rates of `p` change only in a write that enacted a passed
    /// proposal (whose change it is), and a closed proposal never changes.
    #[test]
    fn rules_change_only_by_passed_proposals(
        hours in prop::collection::vec(1u32..50, AGENTS.len()),
        steps in prop::collection::vec(step(), 1..60),
    ) {
        let mut book = book_with(&hours, Weighting::Value);
        let mut now = 0;
        for (step, wait) in &steps {
            now += wait;
            let (actor, command) = command_of(&book, step);
            let before = book.state().clone();
            let policy = before.project("p").unwrap().policy.clone();
            let result = book.execute(&actor, &command, None, &at(now));
            if matches!(step, Step::Direct(_)) {
                prop_assert!(result.is_err(), "a direct rate change was accepted");
            }
            let after = book.state();
            if after.project("p").unwrap().policy != policy {
                let enacted: Vec<&Proposal> = after
                    .proposals()
                    .iter()
                    .filter(|p| {
                        p.status == ProposalStatus::Enacted
                            && before.proposal(&p.id).unwrap().status == ProposalStatus::Passed
                    })
                    .collect();
                prop_assert!(!enacted.is_empty(), "the policy changed without an enactment");
                let Command::SetRate { per_hour, .. } = &enacted.last().unwrap().changes[0] else {
                    unreachable!()
                };
                let in_force = &after.project("p").unwrap().policy.rates["build"];
                prop_assert_eq!(in_force.to_string(), per_hour.clone());
            }
            for old in before.proposals() {
                if old.status != ProposalStatus::Open {
                    let new = after.proposal(&old.id).unwrap();
                    prop_assert_eq!(closed_part(old), closed_part(new));
                }
            }
        }
        let report = verify(book.store_mut()).unwrap();
        prop_assert!(report.ok(), "{:?}", report.problem);
    }

    /// Each member votes once, in two different orders: the same tally, the same result.
    #[test]
    fn a_tally_does_not_depend_on_the_order_of_votes(
        hours in prop::collection::vec(1u32..50, AGENTS.len()),
        ballots in prop::collection::vec(prop::option::of(0u8..3), AGENTS.len()),
        order in Just((0..AGENTS.len()).collect::<Vec<_>>()).prop_shuffle(),
        equal in any::<bool>(),
    ) {
        let weight = if equal { Weighting::Equal } else { Weighting::Value };
        let mut outcomes = Vec::new();
        for order in [(0..AGENTS.len()).collect::<Vec<_>>(), order] {
            let mut book = book_with(&hours, weight);
            let propose = Command::Propose {
                id: Some("x".into()),
                project: Some("p".into()),
                title: "rate".into(),
                changes: vec![rate(7)],
            };
            book.execute("ana", &propose, None, &at(1)).unwrap();
            for (i, agent) in order.iter().enumerate() {
                if let Some(b) = ballots[*agent] {
                    let vote = Command::Vote { proposal: "x".into(), vote: ballot(b), reason: None };
                    book.execute(AGENTS[*agent], &vote, None, &at(2 + i as i64)).unwrap();
                }
            }
            let close = Command::CloseProposal { proposal: "x".into() };
            outcomes.push(book.execute(OPERATOR, &close, None, &at(86_401)).unwrap().outcome);
        }
        let closed = matches!(outcomes[0], Outcome::ProposalClosed { .. });
        prop_assert!(closed, "not closed: {:?}", outcomes[0]);
        prop_assert_eq!(&outcomes[0], &outcomes[1]);
    }
}
