//! Every write endpoint against every role: custodian, affiliate, observer, and none (no key,
//! or a bad key), with the exact status. Every request acts as its key's agent.

mod common;

use common::{TestBook, TestServer};
use fairshare_core::{Command, Kind, OPERATOR, Role};
use serde_json::{Value, json};

const ROLES: [&str; 4] = ["cus", "aff", "obs", "none"];

fn work(project: &str, agent: &str) -> Command {
    Command::log_work(project, agent, "dev", "1")
}

/// A network where each role has its own targets, so that one role's success does not change
/// what another meets.
fn setup(book: &TestBook) -> std::collections::BTreeMap<String, String> {
    let keys = book.agents(&[
        ("cus", Role::Custodian),
        ("aff", Role::Affiliate),
        ("obs", Role::Observer),
        ("other", Role::Affiliate),
    ]);
    let mut commands = vec![
        Command::AddProject {
            slug: "p".into(),
            name: None,
            currency: "CAD".into(),
            exponent: 2,
            approvals: 2,
        },
        Command::set_rate("p", "dev", "10.00"),
    ];
    // Contributions 1-4 (to approve) and 5-8 (to reject), one per role, all by `other`.
    for _ in 0..8 {
        commands.push(work("p", "other"));
    }
    for role in ROLES {
        commands.push(Command::OpenCampaign {
            id: format!("cancel-{role}"),
            project: "p".into(),
            target: "100.00".into(),
            purpose: None,
        });
        commands.push(Command::OpenCampaign {
            id: format!("buy-{role}"),
            project: "p".into(),
            target: "100.00".into(),
            purpose: None,
        });
        commands.push(Command::Pledge {
            campaign: format!("buy-{role}"),
            agent: "other".into(),
            amount: "100.00".into(),
        });
    }
    commands.push(Command::OpenCampaign {
        id: "pledges".into(),
        project: "p".into(),
        target: "1000.00".into(),
        purpose: None,
    });
    commands.push(Command::AddResource {
        name: "printer".into(),
        project: "p".into(),
        owner: None,
        value: None,
    });
    commands.push(Command::SetFees {
        resource: "printer".into(),
        per_hour: "10.00".into(),
        material_per_unit: None,
        technician_per_hour: None,
        community_per_hour: None,
        split: vec![fairshare_core::SplitShare {
            to: "maintenance".into(),
            percent: "100".parse().expect("decimal"),
        }],
        material_to: None,
        after_payback: None,
        community_roles: Vec::new(),
    });
    commands.push(Command::CommunityAdd {
        resource: "printer".into(),
        agent: "other".into(),
    });
    commands.extend(token_setup());
    commands.extend(peer_setup());
    commands.extend(corrections_setup());
    commands.extend(treasury_setup());
    commands.extend(bank_setup());
    commands.extend(membership_setup());
    book.setup(commands);
    governance_setup(book);
    keys
}

/// Before the server's time: projects `gc` (1 day of voting, 5 of notice) and `gv` (30 days
/// of voting) governed by proposals, where `cus` and `aff` have counted work. In `gc`: `ge`,
/// passed and due (its notice ended before the server's time, and no write came since), and
/// `gc-{role}`, open past their deadline. In `gv`: `gv-vote` open, and `gw-{role}`, open, by
/// `cus`.
fn governance_setup(book: &TestBook) {
    let (opened, closed) = ("2026-11-11T12:00:00Z", "2026-11-13T12:00:00Z");
    let governance = |project: &str, voting_days, notice_days| Command::SetGovernance {
        project: Some(project.into()),
        mode: fairshare_core::GovernanceMode::Proposals,
        quorum: None,
        threshold: None,
        notice_days: Some(notice_days),
        voting_days: Some(voting_days),
        weight: None,
    };
    let mut commands = Vec::new();
    for project in ["gc", "gv"] {
        commands.push(Command::add_project(project, "CAD", 2));
        commands.push(Command::set_rate(project, "dev", "10.00"));
        commands.push(work(project, "cus"));
        commands.push(work(project, "aff"));
    }
    commands.push(governance("gc", 1, 5));
    commands.push(governance("gv", 30, 1));
    book.setup_as(OPERATOR, opened, commands);
    let propose = |id: String, project: &str| Command::Propose {
        id: Some(id),
        project: Some(project.into()),
        title: "a new rate".into(),
        changes: vec![Command::set_rate(project, "dev", "11.00")],
    };
    let vote = |ballot| Command::Vote {
        proposal: "ge".into(),
        vote: ballot,
        reason: None,
    };
    let mut by_cus = vec![propose("ge".into(), "gc")];
    by_cus.extend(ROLES.map(|role| propose(format!("gc-{role}"), "gc")));
    by_cus.push(vote(fairshare_core::Ballot::Yes));
    book.setup_as("cus", opened, by_cus);
    book.setup_as("aff", opened, vec![vote(fairshare_core::Ballot::Yes)]);
    book.setup_as(
        OPERATOR,
        closed,
        vec![Command::CloseProposal {
            proposal: "ge".into(),
        }],
    );
    let mut in_gv = vec![propose("gv-vote".into(), "gv")];
    in_gv.extend(ROLES.map(|role| propose(format!("gw-{role}"), "gv")));
    book.setup_as("cus", closed, in_gv);
}

fn project(slug: &str) -> Command {
    Command::add_project(slug, "CAD", 2)
}

/// Round 1 in `p` (where `cus`, `aff` and `other` give), rounds 2-5 to close (one per
/// role), a project per role to open a round in and to record a leaver in, bounties to
/// complete, and a project `pl` with counted work to allocate pools in.
fn peer_setup() -> Vec<Command> {
    let mut commands = vec![Command::OpenRound {
        project: "p".into(),
        budget: None,
        eligible: Some(vec!["cus".into(), "aff".into(), "other".into()]),
    }];
    for role in ROLES {
        commands.push(project(&format!("rc-{role}")));
        commands.push(Command::OpenRound {
            project: format!("rc-{role}"),
            budget: None,
            eligible: Some(vec!["aff".into(), "other".into()]),
        });
    }
    for role in ROLES {
        commands.push(project(&format!("r-{role}")));
        commands.push(project(&format!("lv-{role}")));
        commands.push(Command::SetLeaverPolicy {
            project: format!("lv-{role}"),
            enabled: true,
        });
        commands.push(Command::AddBounty {
            project: "p".into(),
            task: format!("done-{role}"),
            reward: "10.00".into(),
            description: None,
        });
    }
    commands.push(project("pl"));
    commands.push(Command::set_rate("pl", "dev", "10.00"));
    commands.push(work("pl", "other"));
    commands
}

/// Project `cr` (one approval): contributions 10-13 to adjust and 14-17 to reverse, each by
/// the role that corrects it (`other` for no key), and corrections 1-4 (to approve) and 5-8
/// (to reject) asked by the operator on contributions of `other`. Runs after `peer_setup`,
/// whose work in `pl` is contribution 9.
fn corrections_setup() -> Vec<Command> {
    let mut commands = vec![
        Command::AddProject {
            slug: "cr".into(),
            name: None,
            currency: "CAD".into(),
            exponent: 2,
            approvals: 1,
        },
        Command::SetRate {
            project: "cr".into(),
            category: "dev".into(),
            per_hour: "10.00".into(),
        },
    ];
    for _ in 0..2 {
        for agent in ["cus", "aff", "obs", "other"] {
            commands.push(work("cr", agent));
        }
    }
    for id in 18..26 {
        commands.push(work("cr", "other"));
        commands.push(Command::Adjust {
            id,
            hours: Some("2".into()),
            amount: None,
            value: None,
            reason: "the timesheet".into(),
        });
    }
    commands
}

/// A NAV token `TT` of project `t` held by `cus` and `aff` and accepted by `q`; a curve token
/// `CT` of project `c`; a project per role to create a token in, and one to accept `TT`.
fn token_setup() -> Vec<Command> {
    let mut commands = vec![project("t"), project("q"), project("c")];
    commands.push(Command::create_token(
        "t",
        "TT",
        2,
        fairshare_core::Redemption::Nav,
    ));
    commands.push(Command::CreateToken {
        project: "c".into(),
        symbol: "CT".into(),
        exponent: 2,
        mint_per_value: None,
        redemption: fairshare_core::Redemption::Curve,
        exit_fee_percent: None,
        entry_tribute_percent: Some("5".into()),
        exit_tribute_percent: Some("5".into()),
        funding_to: None,
        curve_exponent: Some(2),
        hatch: Some(fairshare_core::HatchSpec {
            raised: "1000.00".into(),
            price: "1.00".into(),
            tribute_percent: Some("20".into()),
            holder: None,
        }),
        retro: false,
    });
    for holder in ["cus", "aff"] {
        commands.push(Command::Presale {
            token: "TT".into(),
            agent: holder.into(),
            amount: "100.00".into(),
            price: "1.00".into(),
        });
    }
    commands.push(Command::AcceptToken {
        project: "q".into(),
        token: "TT".into(),
        rate: "0.50".into(),
    });
    for role in ROLES {
        commands.push(project(&format!("tok-{role}")));
        commands.push(project(&format!("acc-{role}")));
    }
    commands
}

/// Balances to pay out (cus, aff and other hold 100.00 CAD each), payouts and expenses to
/// approve and to reject (one per role, requested by the operator), and `tx-unallocated`
/// holding 1000.00 CAD to spend, move and exchange (into `tu`'s USD).
/// A project per role whose bank holds 10.00 (plan: bank until 1000.00, then contributors).
fn bank_setup() -> Vec<Command> {
    use fairshare_core::{Bucket, Plan};
    let mut commands = Vec::new();
    for role in ROLES {
        let slug = format!("bank-{role}");
        commands.push(project(&slug));
        commands.push(Command::SetPlan {
            project: slug.clone(),
            plan: Plan {
                buckets: vec![
                    Bucket::Bank {
                        until: "1000.00".into(),
                    },
                    Bucket::all_contributors(),
                ],
            },
        });
        commands.push(Command::revenue(&slug, "10.00"));
    }
    commands
}

fn treasury_setup() -> Vec<Command> {
    let mut commands = vec![project("tr"), project("tx")];
    commands.push(Command::add_project("tu", "USD", 2));
    for agent in ["cus", "aff", "other"] {
        commands.push(Command::log(
            "tr",
            agent,
            Kind::Cash,
            None,
            None,
            Some("10.00"),
        ));
    }
    for (project, amount) in [("tr", "300.00"), ("tx", "1000.00")] {
        commands.push(Command::Revenue {
            project: project.into(),
            amount: amount.into(),
            from: None,
        });
    }
    for role in ROLES {
        for id in [format!("pa-{role}"), format!("pr-{role}")] {
            commands.push(Command::RequestPayout {
                id: Some(id),
                agent: "other".into(),
                amount: "1.00".into(),
                asset: None,
                reference: "bank".into(),
            });
        }
        for id in [format!("ea-{role}"), format!("er-{role}")] {
            commands.push(Command::SubmitExpense {
                id: Some(id),
                account: "tx-unallocated".into(),
                amount: "1.00".into(),
                asset: None,
                purpose: "paper".into(),
                payee: None,
                receipt: None,
            });
        }
    }
    commands
}

/// Per role: join requests to admit (`adm-`) and to decline (`dec-`), an affiliate to make
/// an observer (`rs-`), project proposals to admit (`ppa-`) and to decline (`ppd-`), and
/// affiliates to list as members of `p` (`mem-`) and to take off its list (`lm-`, listed).
fn membership_setup() -> Vec<Command> {
    let mut commands = Vec::new();
    for role in ROLES {
        for handle in [format!("adm-{role}"), format!("dec-{role}")] {
            commands.push(Command::RequestJoin {
                handle,
                name: None,
                about: None,
            });
        }
        commands.push(Command::add_agent(&format!("rs-{role}"), Role::Affiliate));
        commands.push(Command::add_agent(&format!("mem-{role}"), Role::Affiliate));
        commands.push(Command::add_agent(&format!("lm-{role}"), Role::Affiliate));
        commands.push(Command::AddMember {
            project: "p".into(),
            agent: format!("lm-{role}"),
        });
        for slug in [format!("ppa-{role}"), format!("ppd-{role}")] {
            commands.push(Command::ProposeProject {
                slug,
                name: None,
                currency: "CAD".into(),
                exponent: 2,
                approvals: 0,
                about: None,
            });
        }
    }
    commands
}

/// One write endpoint, its body for a role, and the status each role gets.
struct Case {
    method: &'static str,
    path: String,
    body: Option<Value>,
    expect: [u16; 4],
    /// The `Idempotency-Key` to send, for the writes that need one.
    key: Option<String>,
}

fn cases(index: usize, role: &str) -> Vec<Case> {
    let custodian_only = |method, path: String, body: Option<Value>, ok: u16| Case {
        method,
        path,
        body,
        expect: [ok, 403, 403, 401],
        key: None,
    };
    let members = |method, path: String, body: Option<Value>, ok: u16| Case {
        method,
        path,
        body,
        expect: [ok, ok, 403, 401],
        key: None,
    };
    vec![
        // governance: first, as the server's first write enacts every proposal due (`ge`);
        // the custodian's enacts it, the others find it enacted.
        Case {
            method: "POST",
            path: "/api/v1/proposals/ge/enact".into(),
            body: None,
            expect: [200, 409, 409, 401],
            key: None,
        },
        members(
            "POST",
            "/api/v1/proposals".into(),
            Some(
                json!({"id": format!("np-{role}"), "project": "gv", "title": "t",
                "changes": [{"op": "set_rate", "request": {"project": "gv", "category": "dev", "per_hour": "13.00"}}]}),
            ),
            201,
        ),
        members(
            "POST",
            "/api/v1/proposals/gv-vote/votes".into(),
            Some(json!({"vote": "yes", "reason": "fair"})),
            200,
        ),
        // Anyone closes a proposal whose voting is over.
        Case {
            method: "POST",
            path: format!("/api/v1/proposals/gc-{role}/close"),
            body: None,
            expect: [200, 200, 200, 401],
            key: None,
        },
        // Only its author (cus) withdraws.
        custodian_only(
            "POST",
            format!("/api/v1/proposals/gw-{role}/withdraw"),
            None,
            200,
        ),
        custodian_only(
            "POST",
            "/api/v1/projects/p/governance".into(),
            Some(json!({"mode": "direct"})),
            200,
        ),
        custodian_only(
            "POST",
            "/api/v1/governance".into(),
            Some(json!({"mode": "direct", "quorum": "50"})),
            200,
        ),
        custodian_only(
            "POST",
            "/api/v1/agents".into(),
            Some(json!({"handle": format!("new-{role}"), "role": "observer"})),
            201,
        ),
        custodian_only(
            "POST",
            "/api/v1/projects".into(),
            Some(json!({"slug": format!("p-{role}"), "currency": "CAD", "exponent": 2})),
            201,
        ),
        custodian_only(
            "PUT",
            "/api/v1/projects/p/rates/design".into(),
            Some(json!({"per_hour": "45.00"})),
            200,
        ),
        custodian_only(
            "PUT",
            "/api/v1/projects/p/skills/other".into(),
            Some(json!({"factor": "2"})),
            200,
        ),
        custodian_only(
            "PUT",
            "/api/v1/projects/p/multipliers/cash".into(),
            Some(json!({"factor": "4"})),
            200,
        ),
        custodian_only(
            "PUT",
            "/api/v1/projects/p/decay".into(),
            Some(json!({"half_life_days": "365"})),
            200,
        ),
        custodian_only("DELETE", "/api/v1/projects/p/decay".into(), None, 200),
        custodian_only(
            "PUT",
            "/api/v1/projects/p/approvals".into(),
            Some(json!({"approvals": 0})),
            200,
        ),
        custodian_only("POST", "/api/v1/projects/p/revalue".into(), None, 200),
        // Their own work, by default.
        members(
            "POST",
            "/api/v1/projects/p/contributions".into(),
            Some(json!({"kind": "work", "category": "dev", "hours": "2"})),
            201,
        ),
        // A timesheet of one's own hours (a row of its own for each caller).
        members(
            "POST",
            "/api/v1/timesheets".into(),
            Some(json!({"layout": "csv", "csv": format!(
                "date,person,project,hours,category,note\n2026-01-05,{role},p,1,dev,{role}\n"
            )})),
            200,
        ),
        members(
            "POST",
            format!("/api/v1/contributions/{}/approve", index + 1),
            None,
            200,
        ),
        members(
            "POST",
            format!("/api/v1/contributions/{}/reject", index + 5),
            Some(json!({"reason": "duplicate"})),
            200,
        ),
        // corrections: their own contributions, by default.
        members(
            "POST",
            format!("/api/v1/contributions/{}/adjust", index + 10),
            Some(json!({"hours": "3", "reason": "the timesheet"})),
            201,
        ),
        members(
            "POST",
            format!("/api/v1/contributions/{}/reverse", index + 14),
            Some(json!({"reason": "logged twice"})),
            201,
        ),
        members(
            "POST",
            format!("/api/v1/corrections/{}/approve", index + 1),
            None,
            200,
        ),
        members(
            "POST",
            format!("/api/v1/corrections/{}/reject", index + 5),
            Some(json!({"reason": "2 h is wrong"})),
            200,
        ),
        custodian_only(
            "PUT",
            "/api/v1/projects/p/plan".into(),
            Some(
                json!({"bucket": [{"type": "percent", "percent": "10", "to": "infra"}, {"type": "contributors"}]}),
            ),
            200,
        ),
        custodian_only(
            "POST",
            "/api/v1/projects/p/revenue".into(),
            Some(json!({"amount": "100.00"})),
            201,
        ),
        // A POST that records nothing: whoever may read the project compares plans.
        Case {
            method: "POST",
            path: "/api/v1/projects/p/plans/compare".into(),
            body: Some(json!({"plan_a": [{"type": "contributors"}], "revenues": "1"})),
            expect: [200, 200, 200, 200],
            key: None,
        },
        custodian_only(
            "POST",
            format!("/api/v1/projects/bank-{role}/bank/release"),
            None,
            201,
        ),
        custodian_only(
            "POST",
            "/api/v1/projects/p/campaigns".into(),
            Some(json!({"id": format!("new-fund-{role}"), "target": "10.00"})),
            201,
        ),
        members(
            "POST",
            "/api/v1/campaigns/pledges/pledges".into(),
            Some(json!({"amount": "1.00"})),
            201,
        ),
        custodian_only(
            "POST",
            format!("/api/v1/campaigns/cancel-{role}/cancel"),
            None,
            200,
        ),
        custodian_only(
            "POST",
            format!("/api/v1/campaigns/buy-{role}/purchase"),
            Some(json!({"resource": format!("tool-{role}"), "premium_percent": "10"})),
            201,
        ),
        custodian_only(
            "POST",
            "/api/v1/projects/p/resources".into(),
            Some(json!({"name": format!("bench-{role}")})),
            201,
        ),
        custodian_only(
            "PUT",
            "/api/v1/resources/printer/fees".into(),
            Some(json!({"per_hour": "12.00", "split": [{"to": "maintenance", "percent": "100"}]})),
            200,
        ),
        members(
            "POST",
            "/api/v1/resources/printer/uses".into(),
            Some(json!({"hours": "1"})),
            201,
        ),
        // Each role tries to list itself; only the custodian may.
        custodian_only(
            "PUT",
            format!("/api/v1/resources/printer/community/{role}"),
            None,
            200,
        ),
        custodian_only(
            "DELETE",
            "/api/v1/resources/printer/community/other".into(),
            None,
            200,
        ),
        // tokens
        custodian_only(
            "POST",
            format!("/api/v1/projects/tok-{role}/token"),
            Some(json!({"symbol": format!("K{index}"), "exponent": 2, "redemption": "nav"})),
            201,
        ),
        custodian_only(
            "POST",
            "/api/v1/tokens/TT/presale".into(),
            Some(json!({"agent": "other", "amount": "10.00", "price": "1.00"})),
            201,
        ),
        custodian_only(
            "POST",
            "/api/v1/tokens/CT/buy".into(),
            Some(json!({"agent": "other", "amount": "10.00"})),
            201,
        ),
        // Their own tokens, by default.
        members(
            "POST",
            "/api/v1/tokens/TT/redeem".into(),
            Some(json!({"tokens": "1.00"})),
            200,
        ),
        custodian_only(
            "POST",
            "/api/v1/tokens/TT/donate".into(),
            Some(json!({"amount": "5.00"})),
            201,
        ),
        members(
            "POST",
            "/api/v1/tokens/TT/transfers".into(),
            Some(json!({"to": "other", "tokens": "1.00"})),
            201,
        ),
        members(
            "POST",
            "/api/v1/tokens/TT/pay".into(),
            Some(json!({"project": "q", "tokens": "1.00"})),
            201,
        ),
        custodian_only(
            "POST",
            format!("/api/v1/projects/acc-{role}/accepted-tokens"),
            Some(json!({"token": "TT", "rate": "0.50"})),
            200,
        ),
        // peer valuation
        custodian_only(
            "POST",
            format!("/api/v1/projects/r-{role}/rounds"),
            Some(json!({"eligible": ["aff", "other"]})),
            201,
        ),
        // Gifts from the caller, by default.
        members(
            "POST",
            "/api/v1/rounds/1/gifts".into(),
            Some(json!({"to": "other", "points": 1})),
            201,
        ),
        // Their own opt-out, by default (round 1's gifts all go to `other`).
        members("POST", "/api/v1/rounds/1/opt-outs".into(), None, 201),
        custodian_only(
            "POST",
            format!("/api/v1/rounds/{}/close", index + 2),
            None,
            200,
        ),
        custodian_only(
            "POST",
            "/api/v1/projects/p/steward".into(),
            Some(json!({"agent": "other", "points": 1, "reason": "kept the lights on"})),
            201,
        ),
        custodian_only(
            "PUT",
            "/api/v1/projects/pl/blend".into(),
            Some(json!({"formula": "1", "peer": "0", "steward": "0"})),
            200,
        ),
        custodian_only(
            "POST",
            "/api/v1/projects/p/bounties".into(),
            Some(json!({"task": format!("task-{role}"), "reward": "5.00"})),
            201,
        ),
        custodian_only(
            "POST",
            format!("/api/v1/projects/p/bounties/done-{role}/complete"),
            Some(json!({"agent": "other"})),
            200,
        ),
        Case {
            key: Some(format!("pool-{role}")),
            ..custodian_only(
                "POST",
                "/api/v1/projects/pl/pool-allocations".into(),
                Some(json!({"size": "10.00"})),
                201,
            )
        },
        custodian_only(
            "POST",
            format!("/api/v1/projects/lv-{role}/leavers"),
            Some(json!({"agent": "other", "good": true})),
            201,
        ),
        custodian_only(
            "PUT",
            format!("/api/v1/projects/r-{role}/leaver-policy"),
            Some(json!({"enabled": true})),
            200,
        ),
        custodian_only("POST", "/api/v1/projects/pl/captable".into(), None, 201),
        // membership: anyone asks to join, without a key too (as the handle asked for)
        Case {
            expect: [201, 201, 201, 201],
            ..members(
                "POST",
                "/api/v1/join".into(),
                Some(json!({"handle": format!("join-{role}"), "about": "hello"})),
                201,
            )
        },
        custodian_only(
            "POST",
            format!("/api/v1/join/adm-{role}/admit"),
            Some(json!({"role": "observer"})),
            200,
        ),
        custodian_only(
            "POST",
            format!("/api/v1/join/dec-{role}/decline"),
            Some(json!({"reason": "unknown to us"})),
            200,
        ),
        custodian_only(
            "POST",
            format!("/api/v1/agents/rs-{role}/role"),
            Some(json!({"role": "observer"})),
            200,
        ),
        members(
            "POST",
            "/api/v1/project-proposals".into(),
            Some(json!({"slug": format!("prop-{role}"), "currency": "CAD"})),
            201,
        ),
        custodian_only(
            "POST",
            format!("/api/v1/project-proposals/ppa-{role}/admit"),
            None,
            200,
        ),
        custodian_only(
            "POST",
            format!("/api/v1/project-proposals/ppd-{role}/decline"),
            Some(json!({"reason": "not now"})),
            200,
        ),
        custodian_only(
            "POST",
            "/api/v1/projects/p/members".into(),
            Some(json!({"agent": format!("mem-{role}")})),
            200,
        ),
        custodian_only(
            "DELETE",
            format!("/api/v1/projects/p/members/lm-{role}"),
            None,
            200,
        ),
        // treasury: a payout of their own balance
        members(
            "POST",
            "/api/v1/payouts".into(),
            Some(json!({"agent": role, "amount": "1.00", "reference": "bank-1"})),
            201,
        ),
        custodian_only(
            "POST",
            format!("/api/v1/payouts/pa-{role}/approve"),
            None,
            200,
        ),
        custodian_only(
            "POST",
            format!("/api/v1/payouts/pr-{role}/reject"),
            Some(json!({"reason": "wrong account"})),
            200,
        ),
        members(
            "POST",
            "/api/v1/expenses".into(),
            Some(
                json!({"account": "tx-unallocated", "amount": "1.00", "asset": "CAD", "for": "ink"}),
            ),
            201,
        ),
        custodian_only(
            "POST",
            format!("/api/v1/expenses/ea-{role}/approve"),
            None,
            200,
        ),
        custodian_only(
            "POST",
            format!("/api/v1/expenses/er-{role}/reject"),
            Some(json!({"reason": "no receipt"})),
            200,
        ),
        custodian_only(
            "POST",
            "/api/v1/transfers".into(),
            Some(
                json!({"from": "tx-unallocated", "to": "infra", "amount": "1.00", "asset": "CAD", "reason": "fund"}),
            ),
            200,
        ),
        // webhooks (server configuration): the custodian adds webhook 1, resumes and removes it
        custodian_only(
            "POST",
            "/api/v1/webhooks".into(),
            Some(
                json!({"url": "http://127.0.0.1:9/hook", "events": ["*"], "secret": "whsec_roles_0123456789"}),
            ),
            201,
        ),
        custodian_only(
            "POST",
            "/api/v1/webhooks/1/resume".into(),
            Some(json!({})),
            200,
        ),
        custodian_only("DELETE", "/api/v1/webhooks/1".into(), None, 200),
        custodian_only(
            "POST",
            "/api/v1/exchanges".into(),
            Some(
                json!({"account": "tx-unallocated", "amount": "1.00", "from_asset": "CAD", "to_asset": "USD", "rate": "0.7"}),
            ),
            200,
        ),
    ]
}

#[test]
fn each_role_against_each_write_endpoint() {
    TestBook::each("each_role_against_each_write_endpoint", |book| {
        let keys = setup(book);
        let server = TestServer::start(&book.url);
        let mut covered = std::collections::BTreeSet::new();
        let mut succeeded = std::collections::BTreeSet::new();
        for (index, role) in ROLES.iter().enumerate() {
            let api = server.api(keys.get(*role).map(String::as_str));
            for case in cases(index, role) {
                let answer = api.call(
                    case.method,
                    &case.path,
                    case.body.as_ref(),
                    case.key.as_deref(),
                );
                assert_eq!(
                    answer.status.as_u16(),
                    case.expect[index],
                    "{role} {} {}: {}",
                    case.method,
                    case.path,
                    answer.text
                );
                if !answer.status.is_success() {
                    assert_eq!(answer.content_type(), "application/problem+json");
                    assert_eq!(answer.body["status"], case.expect[index]);
                }
                if answer.status == 401 {
                    assert_eq!(answer.headers["www-authenticate"], "Bearer");
                }
                covered.insert((case.method, route_of(&case.path)));
                if answer.status.is_success() {
                    succeeded.insert((
                        case.method.to_string(),
                        route_of(&case.path),
                        answer.status.as_u16().to_string(),
                    ));
                }
            }
        }
        // Every write answered the success its entry in the document promises (the
        // conformance run's random bodies rarely make one: scripts/conformance-reached).
        let document = serde_json::to_value(fairshare_server::openapi()).expect("document");
        for (path, item) in document["paths"].as_object().expect("paths") {
            for (method, entry) in item.as_object().expect("path item") {
                let method = method.to_uppercase();
                let Some(answers) = entry["responses"].as_object() else {
                    continue;
                };
                for status in answers.keys().filter(|s| s.starts_with('2')) {
                    if method != "GET" {
                        assert!(
                            succeeded.contains(&(method.clone(), path.clone(), status.clone())),
                            "{method} {path} never answered {status}"
                        );
                    }
                }
            }
        }
        // Every write route of the table was exercised.
        for (method, path) in fairshare_server::route_table() {
            if method != "GET" {
                assert!(
                    covered.contains(&(method, path.to_string())),
                    "{method} {path} untested"
                );
            }
        }

        // Nobody acts as anyone else: an affiliate may not log, pledge or use for another.
        let aff = server.api(Some(&keys["aff"]));
        aff.post(
            "/api/v1/projects/p/contributions",
            json!({"agent": "other", "kind": "work", "category": "dev", "hours": "1"}),
        )
        .expect(403);
        aff.post(
            "/api/v1/campaigns/pledges/pledges",
            json!({"agent": "other", "amount": "1.00"}),
        )
        .expect(403);
        aff.post(
            "/api/v1/resources/printer/uses",
            json!({"agent": "other", "hours": "1"}),
        )
        .expect(403);
        // The actor of every event is the key's agent.
        let log = aff.get("/api/v1/log?limit=1000").expect(200).body;
        let actors: std::collections::BTreeSet<&str> = log["events"]
            .as_array()
            .expect("events")
            .iter()
            .filter_map(|e| e["actor"].as_str())
            .collect();
        // (Anyone asks to join: the observer as itself, the keyless stranger as the handle
        // they asked for; and an observer's other write: closing a proposal, which anyone may.)
        assert!(
            actors.is_subset(&["operator", "cus", "aff", "obs", "join-none"].into()),
            "{actors:?}"
        );
        // Nobody approves their own contribution.
        let own = aff
            .post(
                "/api/v1/projects/p/contributions",
                json!({"kind": "work", "category": "dev", "hours": "1"}),
            )
            .expect(201)
            .body["contribution"]
            .as_u64()
            .expect("id");
        aff.call(
            "POST",
            &format!("/api/v1/contributions/{own}/approve"),
            None,
            None,
        )
        .expect(403);

        // A bad key is refused on writes and reads alike.
        let bad = server.api(Some("fsk_not-a-real-key"));
        bad.post("/api/v1/agents", json!({"handle": "x", "role": "observer"}))
            .expect(401);
        bad.get("/api/v1/agents").expect(401);
        let malformed = server.api(None);
        let answer = malformed
            .client
            .get(format!("{}/api/v1/agents", server.base))
            .header("Authorization", "Basic abc")
            .send()
            .expect("request");
        assert_eq!(answer.status(), 401);
        assert_eq!(aff.verify_ok(), aff.head());
    });
}

/// The route-table path of a concrete path.
fn route_of(path: &str) -> String {
    for (_, route) in fairshare_server::route_table() {
        let pattern: Vec<&str> = route.split('/').collect();
        let concrete: Vec<&str> = path.split('/').collect();
        if pattern.len() == concrete.len()
            && pattern
                .iter()
                .zip(&concrete)
                .all(|(p, c)| p.starts_with('{') || p == c)
        {
            return route.to_string();
        }
    }
    panic!("no route for {path}");
}

#[test]
fn a_private_network_reads_for_members_only() {
    let book = TestBook::sqlite();
    let keys = book.agents(&[("obs", Role::Observer)]);
    let server = TestServer::start_with(&book.url, |config| config.public = false);
    let anonymous = server.api(None);
    for path in [
        "/api/v1/agents",
        "/api/v1/projects",
        "/api/v1/balances",
        "/api/v1/log",
        "/api/v1/verify",
        "/api/v1/head",
        "/api/v1/export",
    ] {
        anonymous.get(path).expect(401);
    }
    let member = server.api(Some(&keys["obs"]));
    member.get("/api/v1/agents").expect(200);
    member.get("/api/v1/export").expect(200);
    // Liveness and the API description stay public.
    anonymous.get("/healthz").expect(200);
    anonymous.get("/api/openapi.json").expect(200);
    // A public network reads for anyone.
    drop(server);
    let public = TestServer::start(&book.url);
    public.api(None).get("/api/v1/agents").expect(200);
}
