//! The plan buckets of issue 15 — `bank` (and the `ReleaseBank` command), `blended`, `units` —
//! pinned with exact amounts; refusals change nothing; a forged release is `Corrupt`.
//! (The scenario runner plays them too: forecast.json and phantom.json.)

use fairshare_core::{
    Bucket, Command, ErrorKind, OPERATOR, Outcome, PercentOf, Role, format_amount,
};

mod common;

use common::{Book, pairs};

impl Book {
    /// ana (custodian), bob and cy (affiliates) on project `p` (CAD); bob 2 h and cy 1 h of
    /// dev at 40.00.
    fn new() -> Book {
        let mut book = Book::on("2026-11-21");
        for (handle, role) in [
            ("ana", Role::Custodian),
            ("bob", Role::Affiliate),
            ("cy", Role::Affiliate),
        ] {
            book.ok(OPERATOR, Command::add_agent(handle, role));
        }
        book.ok(OPERATOR, Command::add_project("p", "CAD", 2));
        book.ok(OPERATOR, Command::set_rate("p", "dev", "40.00"));
        book.ok(OPERATOR, Command::log_work("p", "bob", "dev", "2"));
        book.ok(OPERATOR, Command::log_work("p", "cy", "dev", "1"));
        book
    }

    fn balance(&self, account: &str) -> String {
        format_amount(self.state.ledger().balance(account, "CAD"), 2)
    }
}

fn bank(until: &str) -> Bucket {
    Bucket::Bank {
        until: until.into(),
    }
}

fn release() -> Command {
    Command::ReleaseBank {
        project: "p".into(),
    }
}

#[test]
fn the_revenue_that_fills_the_bank_releases_it_all_and_gross_percentages_take_their_part_of_it() {
    let mut book = Book::new();
    book.plan(vec![
        bank("100.00"),
        Bucket::Percent {
            percent: "10".parse().unwrap(),
            of: PercentOf::Gross,
            to: "infra".into(),
        },
        Bucket::all_contributors(),
    ])
    .unwrap();
    let held = book.ok(OPERATOR, Command::revenue("p", "60.00"));
    assert_eq!(book.payouts(&held), pairs(&[("p-bank", "60.00")]));
    // 60.00 + 50.00 >= 100.00: the bank's 60.00 and the 50.00 go on, 110.00 in all.
    let released = book.ok(OPERATOR, Command::revenue("p", "50.00"));
    let Outcome::Distributed {
        amount,
        released: r,
        ..
    } = &released
    else {
        unreachable!()
    };
    assert_eq!((*amount, *r), (5_000, 6_000));
    assert_eq!(
        book.payouts(&released),
        pairs(&[("bob", "66.00"), ("cy", "33.00"), ("infra", "11.00")])
    );
    assert_eq!(book.balance("p-bank"), "0.00");
    assert_eq!(book.balance("outside"), "-110.00");
}

#[test]
fn a_custodian_releases_the_bank_early_and_only_what_it_holds() {
    let mut book = Book::new();
    book.plan(vec![bank("1000.00"), Bucket::all_contributors()])
        .unwrap();
    book.ok(OPERATOR, Command::revenue("p", "90.01"));
    let refused = book.run("bob", release()).unwrap_err();
    assert!(refused.is(ErrorKind::Forbidden), "{refused}");
    let outcome = book.ok("ana", release());
    let Outcome::Distributed {
        amount, released, ..
    } = &outcome
    else {
        unreachable!()
    };
    assert_eq!((*amount, *released), (0, 9_001));
    // 90.01 by 2:1, the leftover cent to the largest remainder (bob's).
    assert_eq!(
        book.payouts(&outcome),
        pairs(&[("bob", "60.01"), ("cy", "30.00")])
    );
    assert_eq!(book.balance("p-bank"), "0.00");
    assert_eq!(book.balance("outside"), "-90.01");
    let empty = book.run("ana", release()).unwrap_err();
    assert_eq!(
        (empty.to_string(), empty.field_name()),
        (
            "project p's bank (p-bank) holds nothing to release".to_string(),
            Some("project")
        )
    );
}

#[test]
fn a_forged_release_is_corrupt() {
    let mut book = Book::new();
    book.plan(vec![bank("1000.00"), Bucket::all_contributors()])
        .unwrap();
    book.ok(OPERATOR, Command::revenue("p", "90.01"));
    let ctx = book.ctx("ana");
    let decided = book.state.decide(&ctx, &release()).unwrap();
    // Releasing less than the bank holds, with lines that add up to it.
    let Outcome::Distributed {
        id,
        amount,
        plan_version,
        mut lines,
        claims,
        ..
    } = decided.clone()
    else {
        unreachable!()
    };
    lines[0].amount -= 1;
    let forged = Outcome::Distributed {
        id,
        amount,
        plan_version,
        lines,
        claims,
        released: 9_000,
    };
    let before = book.state.clone();
    let error = book.state.apply(&ctx, &release(), &forged).unwrap_err();
    assert!(error.is(ErrorKind::Corrupt), "{error}");
    assert_eq!(book.state, before);
    // A revenue's outcome claiming a release the bank cannot make.
    let revenue = Command::revenue("p", "1.00");
    let Outcome::Distributed {
        id,
        plan_version,
        mut lines,
        ..
    } = book.state.decide(&ctx, &revenue).unwrap()
    else {
        unreachable!()
    };
    lines[0].amount += 5;
    let forged = Outcome::Distributed {
        id,
        amount: 100,
        plan_version,
        lines,
        claims: vec![],
        released: 5,
    };
    let error = book.state.apply(&ctx, &revenue, &forged).unwrap_err();
    assert!(error.is(ErrorKind::Corrupt), "{error}");
    book.state.apply(&ctx, &release(), &decided).unwrap();
}

#[test]
fn bad_bank_units_and_blended_buckets_are_refused_naming_the_plan() {
    let mut book = Book::new();
    let cases: Vec<(Vec<Bucket>, &str)> = vec![
        (
            vec![Bucket::all_contributors(), bank("10.00")],
            "bucket 2: a bank bucket must be followed by the buckets it releases into",
        ),
        (
            vec![bank("10.00"), bank("20.00"), Bucket::all_contributors()],
            "a plan has at most one bank bucket",
        ),
        (
            vec![bank("0.00"), Bucket::all_contributors()],
            "a bank bucket's `until` must be a positive amount of CAD with at most 2 decimals, not \"0.00\"",
        ),
        (
            vec![bank("1.005"), Bucket::all_contributors()],
            "a bank bucket's `until` must be a positive amount of CAD with at most 2 decimals, not \"1.005\"",
        ),
        (
            vec![Bucket::Units {
                project: "nope".into(),
                percent: None,
            }],
            "unknown project \"nope\": add the project first",
        ),
        (
            vec![Bucket::Blended {
                percent: Some("0".parse().unwrap()),
            }],
            "percentage 0 must be above 0 and at most 100",
        ),
    ];
    for (buckets, message) in cases {
        let error = book.plan(buckets).unwrap_err();
        assert_eq!(
            (error.to_string().as_str(), error.field_name()),
            (message, Some("plan"))
        );
    }
}

#[test]
fn blended_without_a_blend_is_the_formula_share_and_units_without_pools_go_on() {
    let mut book = Book::new();
    book.ok(OPERATOR, Command::add_project("q", "UNITS", 0));
    book.plan(vec![
        Bucket::Units {
            project: "q".into(),
            percent: Some("50".parse().unwrap()),
        },
        Bucket::Blended {
            percent: Some("50".parse().unwrap()),
        },
    ])
    .unwrap();
    // Nobody holds units of q: its half goes on; the blended bucket takes half of the
    // 100.01 left (50.00, rounded down) by formula share 2:1 (3333.33 and 1666.67 cents: the
    // leftover cent to cy's larger remainder); 50.01 is unallocated.
    let outcome = book.ok(OPERATOR, Command::revenue("p", "100.01"));
    assert_eq!(
        book.payouts(&outcome),
        pairs(&[
            ("bob", "33.33"),
            ("cy", "16.67"),
            ("p-unallocated", "50.01")
        ])
    );
}

#[test]
fn an_outcome_without_a_release_keeps_its_bytes() {
    let json = r#"{"distributed":{"id":1,"amount":"100","plan_version":1,"lines":[{"bucket":0,"to":"a","amount":"100"}]}}"#;
    let outcome: Outcome = serde_json::from_str(json).unwrap();
    assert!(matches!(outcome, Outcome::Distributed { released: 0, .. }));
    assert_eq!(serde_json::to_string(&outcome).unwrap(), json);
}

// --- token create --retro ---

fn retro_token(retro: bool) -> Command {
    let mut command = Command::create_token("p", "PT", 2, fairshare_core::Redemption::Nav);
    if let Command::CreateToken {
        retro: flag,
        mint_per_value,
        ..
    } = &mut command
    {
        *flag = retro;
        *mint_per_value = Some("0.001".into());
    }
    command
}

#[test]
fn a_retro_token_mints_for_the_counted_work_before_it_and_a_forged_mint_is_corrupt() {
    let mut book = Book::new();
    // bob 80.00 and cy 40.00 of value; at 0.001 token per unit, 0.08 and 0.04 PT.
    let ctx = book.ctx("ana");
    let decided = book.state.decide(&ctx, &retro_token(true)).unwrap();
    let Outcome::TokenCreated { retro, .. } = &decided else {
        unreachable!()
    };
    let minted: Vec<(&str, u64, i128)> = retro
        .iter()
        .map(|m| (m.to.as_str(), m.contributions, m.tokens))
        .collect();
    assert_eq!(minted, [("bob", 1, 8), ("cy", 1, 4)]);
    let mut forged = decided.clone();
    if let Outcome::TokenCreated { retro, .. } = &mut forged {
        retro[0].tokens += 1;
    }
    let before = book.state.clone();
    let error = book
        .state
        .apply(&ctx, &retro_token(true), &forged)
        .unwrap_err();
    assert!(error.is(ErrorKind::Corrupt), "{error}");
    assert_eq!(book.state, before, "a forged retro mint changes nothing");
    // Without retro the same outcome is forged too: nothing was asked to mint.
    let error = book
        .state
        .apply(&ctx, &retro_token(false), &decided)
        .unwrap_err();
    assert!(error.is(ErrorKind::Corrupt), "{error}");
    book.state
        .apply(&ctx, &retro_token(true), &decided)
        .unwrap();
    assert_eq!(book.state.ledger().balance("bob", "PT"), 8);
    assert_eq!(book.state.token("PT").unwrap().supply(), 12);
}

#[test]
fn a_token_created_without_retro_keeps_its_bytes() {
    let command = serde_json::to_string(&retro_token(false)).unwrap();
    assert!(!command.contains("retro"), "{command}");
    let outcome = serde_json::to_string(&Outcome::TokenCreated {
        hatch: None,
        retro: vec![],
    })
    .unwrap();
    assert_eq!(outcome, r#"{"token_created":{}}"#);
}

#[test]
fn a_contribution_pending_when_a_retro_token_is_created_mints_when_approved_not_before() {
    let mut book = Book::new();
    book.ok(OPERATOR, Command::add_project_approving("q", "CAD", 2, 1));
    book.ok(OPERATOR, Command::set_rate("q", "dev", "10.00"));
    let Outcome::Logged { id: pending, .. } =
        book.ok(OPERATOR, Command::log_work("q", "bob", "dev", "2"))
    else {
        unreachable!()
    };
    let Outcome::Logged { id: counted, .. } =
        book.ok(OPERATOR, Command::log_work("q", "cy", "dev", "3"))
    else {
        unreachable!()
    };
    book.ok("ana", Command::Approve { id: counted });
    let mut create = Command::create_token("q", "QT", 2, fairshare_core::Redemption::Nav);
    if let Command::CreateToken { retro, .. } = &mut create {
        *retro = true;
    }
    let Outcome::TokenCreated { retro, .. } = book.ok(OPERATOR, create) else {
        unreachable!()
    };
    // Only cy's 30.00 counted: 30.00 QT at 1 token per unit.
    assert_eq!(
        retro
            .iter()
            .map(|m| (m.to.as_str(), m.tokens))
            .collect::<Vec<_>>(),
        [("cy", 3_000)]
    );
    let Outcome::Approved { minted, .. } = book.ok("ana", Command::Approve { id: pending }) else {
        unreachable!()
    };
    assert_eq!(
        minted.map(|m| (m.to, m.tokens)),
        Some(("bob".into(), 2_000))
    );
    assert_eq!(book.state.token("QT").unwrap().supply(), 5_000);
}
