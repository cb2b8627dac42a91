//! Properties of shared resources: caps are never exceeded, every fee's split sums to the fee,
//! nothing reaches the owners after the move to a commons, and cancelling refunds exactly.

use fairshare_book::{Book, MemoryStore};
use fairshare_core::{Bucket, Command, OPERATOR, Outcome, Plan, ResourceStatus, Role, SplitShare};
use proptest::prelude::*;

const AT: &str = "2026-11-21T12:00:00Z";

fn run(book: &mut Book, command: Command) -> Result<Outcome, String> {
    book.execute(OPERATOR, &command, None, AT)
        .map(|e| e.outcome)
        .map_err(|e| e.to_string())
}

fn book_with_owners(pledges: &[u32]) -> Book {
    let mut book = Book::open(Box::new(MemoryStore::new())).unwrap();
    run(&mut book, Command::add_project("lab", "CAD", 2)).unwrap();
    for i in 0..pledges.len() {
        run(
            &mut book,
            Command::AddAgent {
                handle: format!("a{i:02}"),
                name: None,
                role: Role::Affiliate,
            },
        )
        .unwrap();
    }
    run(&mut book, Command::add_agent("tech", Role::Affiliate)).unwrap();
    let target: u32 = pledges.iter().sum();
    run(
        &mut book,
        Command::OpenCampaign {
            id: "fund".into(),
            project: "lab".into(),
            target: format!("{target}.00"),
            purpose: None,
        },
    )
    .unwrap();
    for (i, pledge) in pledges.iter().enumerate() {
        run(
            &mut book,
            Command::Pledge {
                campaign: "fund".into(),
                agent: format!("a{i:02}"),
                amount: format!("{pledge}.00"),
            },
        )
        .unwrap();
    }
    book
}

fn split(maintenance: u8, infra: u8) -> Vec<SplitShare> {
    vec![
        SplitShare {
            to: "maintenance".into(),
            percent: maintenance.into(),
        },
        SplitShare {
            to: "infra".into(),
            percent: infra.into(),
        },
        SplitShare {
            to: "payback".into(),
            percent: (100 - maintenance - infra).into(),
        },
    ]
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(200))]

    #[test]
    fn payback_never_exceeds_caps_and_fees_split_exactly(
        pledges in prop::collection::vec(1u32..2_000, 1..8),
        premium in 0u8..50,
        maintenance in 0u8..40,
        infra in 0u8..40,
        uses in prop::collection::vec((1u32..400, 0u32..1_000, 0u32..3), 1..80),
        revenues in prop::collection::vec(1u32..100_000, 0..5),
    ) {
        let mut book = book_with_owners(&pledges);
        run(&mut book, Command::Purchase { campaign: "fund".into(), resource: "printer".into(), premium_percent: premium.to_string() }).unwrap();
        run(&mut book, Command::SetFees {
            resource: "printer".into(), per_hour: "7.33".into(), material_per_unit: Some("0.013".into()),
            technician_per_hour: Some("30.00".into()), community_per_hour: None, split: split(maintenance, infra),
            material_to: None, after_payback: None, community_roles: Vec::new(),
        }).unwrap();
        run(&mut book, Command::SetPlan { project: "lab".into(), plan: Plan { buckets: vec![
            Bucket::Payback { resource: "printer".into(), percent: Some("50".parse().unwrap()) },
            Bucket::Percent { percent: "100".parse().unwrap(), of: fairshare_core::PercentOf::Remaining, to: "infra".into() },
        ] } }).unwrap();
        let mut revenues = revenues.into_iter();
        for (quarter_hours, units, tech_hours) in uses {
            let was_commons = book.state().resource("printer").unwrap().status == ResourceStatus::Commons;
            let received_before: Vec<i128> = book.state().resource("printer").unwrap().owners.iter().map(|o| o.received).collect();
            let outcome = run(&mut book, Command::UseResource {
                resource: "printer".into(), agent: "a00".into(), hours: format!("{}.{:02}", quarter_hours / 4, (quarter_hours % 4) * 25),
                material_units: Some(units.to_string()),
                technician: (tech_hours > 0).then(|| "tech".to_string()),
                technician_hours: (tech_hours > 0).then(|| tech_hours.to_string()),
                community: false, from_balance: false,
            }).unwrap();
            let Outcome::Charged { fee, lines, .. } = outcome else { panic!("not a charge") };
            // The sum of every fee's split equals the fee.
            prop_assert_eq!(lines.iter().map(|l| l.amount).sum::<i128>(), fee);
            let resource = book.state().resource("printer").unwrap();
            for owner in &resource.owners {
                prop_assert!(owner.received <= owner.cap, "{} received {} past cap {}", owner.agent, owner.received, owner.cap);
            }
            if was_commons {
                // After the transition nothing more reaches the owners.
                let received_after: Vec<i128> = resource.owners.iter().map(|o| o.received).collect();
                prop_assert_eq!(received_before, received_after);
            }
            if let Some(amount) = revenues.next() {
                run(&mut book, Command::Revenue { project: "lab".into(), amount: format!("{amount}.00"), from: None }).unwrap();
                let resource = book.state().resource("printer").unwrap();
                prop_assert!(resource.owners.iter().all(|o| o.received <= o.cap));
            }
        }
        let resource = book.state().resource("printer").unwrap();
        // Owners' balances are exactly what payback paid them.
        for owner in &resource.owners {
            prop_assert_eq!(book.state().ledger().balance(&owner.agent, "CAD"), owner.received);
        }
        prop_assert_eq!(resource.status == ResourceStatus::Commons, resource.all_paid_back());
        prop_assert!(book.state().ledger().audit().is_ok());
    }

    #[test]
    fn cancel_refunds_exactly_what_was_pledged(pledges in prop::collection::vec(1u32..2_000, 1..8), extra in 1u32..5_000) {
        let mut book = Book::open(Box::new(MemoryStore::new())).unwrap();
        run(&mut book, Command::add_project("lab", "CAD", 2)).unwrap();
        for i in 0..pledges.len() {
            run(&mut book, Command::AddAgent { handle: format!("a{i:02}"), name: None, role: Role::Affiliate }).unwrap();
        }
        let target: u32 = pledges.iter().sum::<u32>() + extra;
        run(&mut book, Command::OpenCampaign { id: "fund".into(), project: "lab".into(), target: format!("{target}.00"), purpose: None }).unwrap();
        for (i, pledge) in pledges.iter().enumerate() {
            run(&mut book, Command::Pledge { campaign: "fund".into(), agent: format!("a{i:02}"), amount: format!("{pledge}.00") }).unwrap();
        }
        run(&mut book, Command::CancelCampaign { campaign: "fund".into() }).unwrap();
        for (i, pledge) in pledges.iter().enumerate() {
            prop_assert_eq!(book.state().ledger().balance(&format!("a{i:02}"), "CAD"), *pledge as i128 * 100);
        }
        prop_assert_eq!(book.state().ledger().balance("fund", "CAD"), 0);
        // A cancelled campaign takes no more pledges, and cannot purchase.
        let pledge = run(&mut book, Command::Pledge { campaign: "fund".into(), agent: "a00".into(), amount: "1.00".into() });
        prop_assert!(pledge.is_err());
        let purchase = run(&mut book, Command::Purchase { campaign: "fund".into(), resource: "x".into(), premium_percent: "0".into() });
        prop_assert!(purchase.is_err());
    }
}

#[test]
fn bad_resource_input_is_refused_clearly() {
    let mut book = book_with_owners(&[100, 200]);
    run(
        &mut book,
        Command::Purchase {
            campaign: "fund".into(),
            resource: "printer".into(),
            premium_percent: "20".into(),
        },
    )
    .unwrap();
    // Every refusal below leaves the book exactly as it is now.
    let before = book.state().clone();
    let bad_split = run(
        &mut book,
        Command::SetFees {
            resource: "printer".into(),
            per_hour: "1.00".into(),
            material_per_unit: None,
            technician_per_hour: None,
            community_per_hour: None,
            split: vec![
                SplitShare {
                    to: "maintenance".into(),
                    percent: 31.into(),
                },
                SplitShare {
                    to: "infra".into(),
                    percent: 31.into(),
                },
                SplitShare {
                    to: "payback".into(),
                    percent: 41.into(),
                },
            ],
            material_to: None,
            after_payback: None,
            community_roles: Vec::new(),
        },
    );
    assert_eq!(
        bad_split.unwrap_err(),
        "the fee split adds up to 103%, not 100%"
    );
    let unknown = run(
        &mut book,
        Command::UseResource {
            resource: "scanner".into(),
            agent: "a00".into(),
            hours: "1".into(),
            material_units: None,
            technician: None,
            technician_hours: None,
            community: false,
            from_balance: false,
        },
    );
    assert_eq!(unknown.unwrap_err(), "unknown resource \"scanner\"");
    let funded = run(
        &mut book,
        Command::Pledge {
            campaign: "fund".into(),
            agent: "a00".into(),
            amount: "1.00".into(),
        },
    );
    assert_eq!(
        funded.unwrap_err(),
        "campaign fund is purchased: it takes no more pledges"
    );
    assert_eq!(book.state(), &before);
}

#[test]
fn purchasing_an_unfunded_campaign_is_refused() {
    let mut book = book_with_owners(&[100]);
    run(
        &mut book,
        Command::OpenCampaign {
            id: "more".into(),
            project: "lab".into(),
            target: "50.00".into(),
            purpose: None,
        },
    )
    .unwrap();
    run(
        &mut book,
        Command::Pledge {
            campaign: "more".into(),
            agent: "a00".into(),
            amount: "20.00".into(),
        },
    )
    .unwrap();
    let before = book.state().clone();
    let error = run(
        &mut book,
        Command::Purchase {
            campaign: "more".into(),
            resource: "saw".into(),
            premium_percent: "10".into(),
        },
    );
    assert_eq!(
        error.unwrap_err(),
        "campaign more is open (20.00 of 50.00 raised): only a funded campaign can purchase"
    );
    let hours = run(
        &mut book,
        Command::UseResource {
            resource: "saw".into(),
            agent: "a00".into(),
            hours: "-2".into(),
            material_units: None,
            technician: None,
            technician_hours: None,
            community: false,
            from_balance: false,
        },
    );
    assert!(hours.is_err());
    assert_eq!(book.state(), &before);
}
