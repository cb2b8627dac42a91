//! Valuation and value-equation rules of DOMAIN.md, each pinned with exact amounts.

use fairshare_core::{
    Bucket, Command, Date, Filter, Kind, OPERATOR, Outcome, PercentOf, Role, Status,
};

mod common;

use common::{Book, pairs};

impl Book {
    /// ana (custodian), bob and cy (affiliates), obs (observer), on 2026-01-01.
    fn new() -> Book {
        let mut book = Book::on("2026-01-01");
        for (handle, role) in [
            ("ana", Role::Custodian),
            ("bob", Role::Affiliate),
            ("cy", Role::Affiliate),
            ("obs", Role::Observer),
        ] {
            book.ok(OPERATOR, Command::add_agent(handle, role));
        }
        book
    }

    /// Project `p` in CAD requiring `approvals`, dev work at 40.00.
    fn project(&mut self, approvals: u32) {
        self.ok(
            OPERATOR,
            Command::add_project_approving("p", "CAD", 2, approvals),
        );
        self.ok(OPERATOR, Command::set_rate("p", "dev", "40.00"));
    }

    fn work(&mut self, agent: &str, hours: &str, date: Option<&str>) -> Outcome {
        self.ok(OPERATOR, log(agent, Kind::Work, Some(hours), None, date))
    }

    fn revenue(&mut self, amount: &str) -> Vec<(String, String)> {
        let outcome = self.ok(OPERATOR, Command::revenue("p", amount));
        self.payouts(&outcome)
    }

    fn values(&self, filter: &Filter) -> Vec<(String, String)> {
        let project = self.state.project("p").unwrap();
        self.state
            .values_by_agent(project, filter, self.date)
            .unwrap()
            .into_iter()
            .map(|(agent, value)| (agent.to_string(), value.display(2)))
            .collect()
    }
}

fn log(
    agent: &str,
    kind: Kind,
    hours: Option<&str>,
    amount: Option<&str>,
    date: Option<&str>,
) -> Command {
    Command::Log {
        project: "p".into(),
        agent: agent.into(),
        kind,
        category: (kind == Kind::Work).then(|| "dev".to_string()),
        hours: hours.map(str::to_string),
        amount: amount.map(str::to_string),
        rate: None,
        value: None,
        date: date.map(|d| Date::parse(d).unwrap()),
        note: None,
        gift: false,
        reimbursable: false,
    }
}

#[test]
fn value_is_quantity_times_rate_times_multiplier_times_skill() {
    let mut book = Book::new();
    book.project(0);
    book.ok(
        OPERATOR,
        Command::SetMultiplier {
            project: "p".into(),
            kind: Kind::Cash,
            factor: "4".into(),
        },
    );
    book.ok(
        OPERATOR,
        Command::SetMultiplier {
            project: "p".into(),
            kind: Kind::Work,
            factor: "2".into(),
        },
    );
    book.ok(
        OPERATOR,
        Command::SetSkill {
            project: "p".into(),
            agent: "cy".into(),
            factor: "1.5".into(),
        },
    );
    assert!(
        matches!(book.work("bob", "10", None), Outcome::Logged { id: 1, value, counted: true, .. } if value.display(2) == "800.00")
    );
    assert!(
        matches!(book.work("cy", "2.5", None), Outcome::Logged { value, .. } if value.display(2) == "300.00")
    );
    let cash = book.ok(OPERATOR, log("bob", Kind::Cash, None, Some("12.34"), None));
    assert!(matches!(cash, Outcome::Logged { value, .. } if value.display(2) == "49.36"));
    let used = book.ok(
        OPERATOR,
        Command::Log {
            project: "p".into(),
            agent: "cy".into(),
            kind: Kind::Use,
            category: None,
            hours: Some("3".into()),
            amount: None,
            rate: Some("12.50".into()),
            value: None,
            date: None,
            note: None,
            gift: false,
            reimbursable: false,
        },
    );
    // use: 3 h x 12.50 x skill 1.5 (multiplier 1 for use)
    assert!(matches!(used, Outcome::Logged { value, .. } if value.display(2) == "56.25"));
    let cited = book.ok(
        OPERATOR,
        Command::Log {
            project: "p".into(),
            agent: "bob".into(),
            kind: Kind::Cite,
            category: None,
            hours: None,
            amount: None,
            rate: None,
            value: Some("150".into()),
            date: None,
            note: None,
            gift: false,
            reimbursable: false,
        },
    );
    assert!(matches!(cited, Outcome::Logged { value, .. } if value.display(2) == "150.00"));
}

#[test]
fn a_policy_change_applies_to_later_contributions_until_an_explicit_revalue() {
    let mut book = Book::new();
    book.project(0);
    book.work("bob", "10", None);
    book.ok(OPERATOR, Command::set_rate("p", "dev", "50.00"));
    book.work("cy", "10", None);
    assert_eq!(
        book.values(&Filter::default()),
        pairs(&[("bob", "400.00"), ("cy", "500.00")])
    );
    let Outcome::Revalued { changes } = book.ok(
        OPERATOR,
        Command::Revalue {
            project: "p".into(),
        },
    ) else {
        panic!()
    };
    assert_eq!(changes.len(), 1);
    assert_eq!(
        book.values(&Filter::default()),
        pairs(&[("bob", "500.00"), ("cy", "500.00")])
    );
}

#[test]
fn decay_halves_value_every_half_life_and_shifts_shares() {
    let mut book = Book::new();
    book.project(0);
    book.ok(
        OPERATOR,
        Command::SetHalfLife {
            project: "p".into(),
            days: Some("30".into()),
        },
    );
    book.work("bob", "10", Some("2025-12-02")); // 30 days old on 2026-01-01
    book.work("cy", "10", Some("2026-01-01"));
    assert_eq!(
        book.values(&Filter::default()),
        pairs(&[("bob", "200.00"), ("cy", "400.00")])
    );
    assert_eq!(
        book.revenue("90.00"),
        pairs(&[("bob", "30.00"), ("cy", "60.00")])
    );
}

#[test]
fn only_approved_contributions_count_and_nobody_approves_their_own() {
    let mut book = Book::new();
    book.project(2);
    let Outcome::Logged {
        id, counted: false, ..
    } = book.ok("bob", log("bob", Kind::Work, Some("1"), None, None))
    else {
        panic!()
    };
    assert_eq!(book.values(&Filter::default()), vec![]);
    let own = book.run("bob", Command::Approve { id }).unwrap_err();
    assert_eq!(
        own.to_string(),
        "bob may not approve their own contribution 1: nobody reviews their own work"
    );
    assert_eq!(
        book.run("obs", Command::Approve { id })
            .unwrap_err()
            .kind()
            .as_str(),
        "forbidden"
    );
    assert!(matches!(
        book.ok("cy", Command::Approve { id }),
        Outcome::Approved { counted: false, .. }
    ));
    assert_eq!(
        book.run("cy", Command::Approve { id })
            .unwrap_err()
            .to_string(),
        "cy has already approved contribution 1"
    );
    assert!(matches!(
        book.ok("ana", Command::Approve { id }),
        Outcome::Approved { counted: true, .. }
    ));
    assert_eq!(
        book.state.contribution(id).unwrap().status,
        Status::Approved
    );
    assert_eq!(book.values(&Filter::default()), pairs(&[("bob", "40.00")]));
    // A rejected contribution never counts, and needs a reason.
    let Outcome::Logged { id: second, .. } =
        book.ok("bob", log("bob", Kind::Work, Some("5"), None, None))
    else {
        panic!()
    };
    assert!(
        book.run(
            "cy",
            Command::Reject {
                id: second,
                reason: " ".into()
            }
        )
        .is_err()
    );
    book.ok(
        "cy",
        Command::Reject {
            id: second,
            reason: "duplicate of 1".into(),
        },
    );
    assert_eq!(
        book.run("ana", Command::Approve { id: second })
            .unwrap_err()
            .to_string(),
        "contribution 2 is already rejected"
    );
}

#[test]
fn affiliates_log_only_their_own_and_observers_none() {
    let mut book = Book::new();
    book.project(0);
    let error = book
        .run("bob", log("cy", Kind::Work, Some("1"), None, None))
        .unwrap_err();
    assert_eq!(
        error.to_string(),
        "bob is an affiliate and may log only their own contributions, not cy's"
    );
    let error = book
        .run("obs", log("obs", Kind::Work, Some("1"), None, None))
        .unwrap_err();
    assert_eq!(
        error.to_string(),
        "obs is an observer: observers read but do not log contributions"
    );
    let error = book
        .run(
            "bob",
            Command::Revenue {
                project: "p".into(),
                amount: "1.00".into(),
                from: None,
            },
        )
        .unwrap_err();
    assert_eq!(
        error.to_string(),
        "only custodians may record revenue; this agent is an affiliate"
    );
}

#[test]
fn gifts_are_visible_but_never_paid() {
    let mut book = Book::new();
    book.project(0);
    book.work("bob", "1", None);
    let mut gift = log("cy", Kind::Work, Some("100"), None, None);
    if let Command::Log { gift: flag, .. } = &mut gift {
        *flag = true;
    }
    book.ok(OPERATOR, gift);
    assert_eq!(book.state.contributions().len(), 2);
    assert_eq!(book.revenue("10.00"), pairs(&[("bob", "10.00")]));
}

#[test]
fn every_bucket_kind_in_order_with_leftovers_unallocated() {
    let mut book = Book::new();
    book.project(0);
    book.work("bob", "1", Some("2025-06-01"));
    book.work("cy", "2", Some("2025-12-01"));
    let mut material = log("bob", Kind::Material, None, Some("30.00"), None);
    if let Command::Log { reimbursable, .. } = &mut material {
        *reimbursable = true;
    }
    book.ok(OPERATOR, material);
    book.plan(vec![
        Bucket::Fixed {
            amount: "5.00".into(),
            to: "infra".into(),
        },
        // A royalty: a percentage of every revenue to one contributor.
        Bucket::Percent {
            percent: "10".parse().unwrap(),
            of: PercentOf::Gross,
            to: "ana".into(),
        },
        Bucket::Reimburse {
            kinds: vec![Kind::Material],
        },
        Bucket::Percent {
            percent: "50".parse().unwrap(),
            of: PercentOf::Remaining,
            to: "fund".into(),
        },
        Bucket::Contributors {
            kinds: vec![Kind::Work],
            categories: vec![],
            from: Some(Date::parse("2025-11-01").unwrap()),
            to: None,
            percent: Some("50".parse().unwrap()),
        },
    ])
    .unwrap();
    // 100.00: fixed 5 -> infra; 10.00 -> ana; bob's material 30.00; 50% of 55.00 = 27.50 -> fund;
    // 50% of 27.50 = 13.75 to work since November (cy only); 13.75 left -> unallocated.
    assert_eq!(
        book.revenue("100.00"),
        pairs(&[
            ("ana", "10.00"),
            ("bob", "30.00"),
            ("cy", "13.75"),
            ("fund", "27.50"),
            ("infra", "5.00"),
            ("p-unallocated", "13.75")
        ])
    );
    // A claim is never paid twice: the material is settled.
    assert_eq!(
        book.revenue("10.00"),
        pairs(&[
            ("ana", "1.00"),
            ("cy", "1.00"),
            ("fund", "2.00"),
            ("infra", "5.00"),
            ("p-unallocated", "1.00")
        ])
    );
    assert_eq!(book.state.project("p").unwrap().plan_version(), 2);
    assert_eq!(book.state.distributions()[1].plan_version, 2);
}

#[test]
fn plans_with_more_than_100_percent_of_gross_are_refused() {
    let mut book = Book::new();
    book.project(0);
    let error = book
        .plan(vec![
            Bucket::Percent {
                percent: "60".parse().unwrap(),
                of: PercentOf::Gross,
                to: "a".into(),
            },
            Bucket::Percent {
                percent: "41".parse().unwrap(),
                of: PercentOf::Gross,
                to: "b".into(),
            },
        ])
        .unwrap_err();
    assert_eq!(
        error.to_string(),
        "the plan's percentages of the gross add up to 101%, more than 100%"
    );
    let error = book
        .plan(vec![Bucket::Percent {
            percent: "120".parse().unwrap(),
            of: PercentOf::Remaining,
            to: "a".into(),
        }])
        .unwrap_err();
    assert_eq!(
        error.to_string(),
        "percentage 120 must be above 0 and at most 100"
    );
    assert_eq!(book.state.project("p").unwrap().plan_version(), 1);
}

#[test]
fn bad_input_names_the_problem() {
    let mut book = Book::new();
    book.project(0);
    let cases: Vec<(Command, &str)> = vec![
        (
            log("zed", Kind::Work, Some("1"), None, None),
            "unknown agent \"zed\": add the agent first",
        ),
        (
            log("bob", Kind::Work, Some("-2"), None, None),
            "hours must be greater than zero, got -2",
        ),
        (
            log("bob", Kind::Work, Some("0"), None, None),
            "hours must be greater than zero, got 0",
        ),
        (
            log("bob", Kind::Cash, None, Some("1.005"), None),
            "amount \"1.005\" has 3 decimals but the asset has 2",
        ),
        (
            log("bob", Kind::Cash, None, Some("12,00"), None),
            "malformed amount \"12,00\": expected digits with an optional '.' and decimals",
        ),
        (
            Command::log_work("p", "bob", "art", "1"),
            "unknown category \"art\" in project p: set its rate first with `rate set p art PER_HOUR`",
        ),
        (
            Command::AddAgent {
                handle: "bob".into(),
                name: None,
                role: Role::Affiliate,
            },
            "handle \"bob\" is already taken by an agent",
        ),
        (
            Command::AddAgent {
                handle: "Bob".into(),
                name: None,
                role: Role::Affiliate,
            },
            "invalid handle \"Bob\": use 1 to 64 lower-case letters, digits, '-' or '_'",
        ),
        (
            Command::Revenue {
                project: "q".into(),
                amount: "1.00".into(),
                from: None,
            },
            "unknown project \"q\": add the project first",
        ),
    ];
    for (command, message) in cases {
        let before = book.state.clone();
        assert_eq!(
            book.run(OPERATOR, command).unwrap_err().to_string(),
            message
        );
        assert_eq!(book.state, before);
    }
}
