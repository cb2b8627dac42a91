//! Shared resources through the real binary: the printer story of printer.json (campaign, cut
//! pledge, purchase with caps, charged use to the crossing, commons, a cancelled campaign) and
//! every bad input issue 3 lists.

mod common;

use common::{Env, amounts, run_doc_story};
use serde_json::{Value, json};

const JOB: [&str; 11] = [
    "resource",
    "use",
    "printer",
    "client",
    "--hours",
    "4",
    "--material-units",
    "200",
    "--technician",
    "tech",
    "--technician-hours",
];

fn job(env: &Env) -> Value {
    let mut args = JOB.to_vec();
    args.push("1");
    env.json(&args)
}

const PLEDGERS: [&str; 11] = [
    "a01", "a02", "a03", "a04", "a05", "a06", "a07", "a08", "a09", "a10", "a11",
];

/// Each co-owner's amount: the nine 300.00 pledgers, then a10 and a11.
fn owners(nine: &str, a10: &str, a11: &str) -> Vec<(&'static str, String)> {
    PLEDGERS
        .iter()
        .map(|agent| {
            let amount = match *agent {
                "a10" => a10,
                "a11" => a11,
                _ => nine,
            };
            (*agent, amount.to_string())
        })
        .collect()
}

fn payouts_with(owners: &[(&'static str, String)], others: &[(&str, &str)]) -> Value {
    let mut pairs: Vec<(&str, &str)> = owners.iter().map(|(a, m)| (*a, m.as_str())).collect();
    pairs.extend_from_slice(others);
    amounts(&pairs)
}

fn setup(env: &Env) {
    env.agents(&["tiberius:custodian", "tech:affiliate", "client:observer"]);
    for agent in PLEDGERS {
        env.ok(&["agent", "add", agent]);
    }
    env.ok(&["project", "add", "lab", "--currency", "CAD"]);
}

/// Opens campaign `id` for lab with the `target` amount.
fn open_campaign(env: &Env, id: &str, target: &str) {
    env.ok(&[
        "campaign",
        "open",
        id,
        "--project",
        "lab",
        "--target",
        target,
    ]);
}

#[test]
fn the_printer_story() {
    let env = Env::new();
    setup(&env);
    let opened = env.json(&[
        "campaign",
        "open",
        "printer-fund",
        "--project",
        "lab",
        "--target",
        "4000.00",
        "--purpose",
        "a shared 3D printer",
    ]);
    assert_eq!(opened["status"], "open");
    assert_eq!(opened["missing"], "4000.00");
    for agent in &PLEDGERS[..9] {
        // Affiliates pledge for themselves.
        env.ok(&[
            "--as",
            agent,
            "campaign",
            "pledge",
            "printer-fund",
            agent,
            "300.00",
        ]);
    }
    let a10 = env.json(&["campaign", "pledge", "printer-fund", "a10", "800.00"]);
    assert_eq!(a10["cut"], false);
    assert_eq!(a10["funded"], false);
    assert_eq!(a10["raised"], "3500.00");

    // Only 500.00 was missing: the pledge is cut, and the reply says so.
    let cut = env.json(&["campaign", "pledge", "printer-fund", "a11", "900"]);
    assert_eq!(
        cut,
        json!({"campaign": "printer-fund", "agent": "a11", "requested": "900.00",
               "amount": "500.00", "cut": true, "funded": true, "raised": "4000.00",
               "target": "4000.00", "currency": "CAD", "replayed": false})
    );
    assert_eq!(
        env.json(&["balance", "printer-fund"]),
        json!({"balances": {"printer-fund": {"CAD": "4000.00"}}})
    );
    let shown = env.json(&["campaign", "show", "printer-fund"]);
    assert_eq!(shown["status"], "funded");
    assert_eq!(shown["pledged"]["a11"], "500.00");
    assert_eq!(shown["pledges"].as_array().unwrap().len(), 11);

    // The purchase: co-owners with their pledge and a 20% premium cap.
    let purchased = env.json(&[
        "campaign",
        "purchase",
        "printer-fund",
        "--resource",
        "printer",
        "--premium",
        "20",
    ]);
    let caps: Vec<Value> = owners("300.00", "800.00", "500.00")
        .into_iter()
        .zip(owners("360.00", "960.00", "600.00"))
        .map(|((agent, pledge), (_, cap))| json!({"agent": agent, "pledge": pledge, "cap": cap}))
        .collect();
    assert_eq!(
        purchased,
        json!({"campaign": "printer-fund", "resource": "printer", "amount": "4000.00",
               "premium_percent": "20", "currency": "CAD", "owners": caps, "replayed": false})
    );
    let text = env.ok(&["campaign", "show", "printer-fund"]);
    assert!(text.contains("purchased"), "{text}");

    let fees = env.json(&[
        "resource",
        "fees",
        "printer",
        "--per-hour",
        "25.00",
        "--material-per-unit",
        "0.10",
        "--technician-per-hour",
        "30.00",
        "--split",
        "maintenance=20,infra=10,payback=70",
        "--material-to",
        "materials",
        "--after-payback",
        "commons",
    ]);
    assert_eq!(
        fees["fees"]["split"],
        json!([{"to": "maintenance", "percent": "20"}, {"to": "infra", "percent": "10"},
               {"to": "payback", "percent": "70"}])
    );

    // Job 1: 100.00 use + 20.00 material + 30.00 technician.
    let first = job(&env);
    let payback_lines = |amounts: &[(&'static str, String)]| -> Vec<Value> {
        amounts
            .iter()
            .map(|(agent, amount)| json!({"label": "70% payback", "to": agent, "amount": amount}))
            .collect()
    };
    let mut lines = vec![
        json!({"label": "material at cost", "to": "materials", "amount": "20.00"}),
        json!({"label": "technician", "to": "tech", "amount": "30.00"}),
        json!({"label": "20% maintenance", "to": "maintenance", "amount": "20.00"}),
        json!({"label": "10% infra", "to": "infra", "amount": "10.00"}),
    ];
    lines.extend(payback_lines(&owners("5.25", "14.00", "8.75")));
    let common = [
        ("infra", "10.00"),
        ("maintenance", "20.00"),
        ("materials", "20.00"),
        ("tech", "30.00"),
    ];
    assert_eq!(
        first,
        json!({"resource": "printer", "use": 1, "agent": "client", "hours": "4",
               "community": false, "fee": "150.00", "currency": "CAD",
               "payouts": payouts_with(&owners("5.25", "14.00", "8.75"), &common),
               "lines": lines, "became_commons": false, "status": "co-owned",
               "replayed": false})
    );

    // Jobs 2 to 68.
    for _ in 2..=68 {
        let mut args = JOB.to_vec();
        args.push("1");
        env.ok(&args);
    }
    let show = env.json(&["resource", "show", "printer", "--limit", "1"]);
    assert_eq!(show["status"], "co-owned");
    assert_eq!(show["uses"], 68);
    let received: Vec<(String, String)> = show["owners"]
        .as_array()
        .unwrap()
        .iter()
        .map(|o| {
            (
                o["received"].as_str().unwrap().to_string(),
                o["outstanding"].as_str().unwrap().to_string(),
            )
        })
        .collect();
    assert_eq!(received[0], ("357.00".to_string(), "3.00".to_string()));
    assert_eq!(received[9], ("952.00".to_string(), "8.00".to_string()));
    assert_eq!(received[10], ("595.00".to_string(), "5.00".to_string()));

    // Job 69 crosses the caps: exactly what is left to each owner, the excess to commons.
    let crossing = job(&env);
    assert_eq!(crossing["use"], 69);
    assert_eq!(
        crossing["payouts"],
        payouts_with(
            &owners("3.00", "8.00", "5.00"),
            &[
                ("commons", "30.00"),
                ("infra", "10.00"),
                ("maintenance", "20.00"),
                ("materials", "20.00"),
                ("tech", "30.00")
            ]
        )
    );
    let mut lines = vec![
        json!({"label": "material at cost", "to": "materials", "amount": "20.00"}),
        json!({"label": "technician", "to": "tech", "amount": "30.00"}),
        json!({"label": "20% maintenance", "to": "maintenance", "amount": "20.00"}),
        json!({"label": "10% infra", "to": "infra", "amount": "10.00"}),
    ];
    lines.extend(payback_lines(&owners("3.00", "8.00", "5.00")));
    lines.push(json!({"label": "payback excess -> commons", "to": "commons", "amount": "30.00"}));
    assert_eq!(crossing["lines"], Value::Array(lines));
    assert_eq!(crossing["became_commons"], true);
    assert_eq!(crossing["status"], "commons");

    let show = env.json(&["resource", "show", "printer", "--offset", "68"]);
    assert_eq!(show["status"], "commons");
    assert!(
        show["owners"]
            .as_array()
            .unwrap()
            .iter()
            .all(|o| o["outstanding"] == "0.00" && o["received"] == o["cap"]),
        "{show}"
    );
    assert_eq!(show["history"].as_array().unwrap().len(), 1);
    assert_eq!(show["history"][0]["use"], 69);
    assert_eq!(show["history"][0]["payouts"]["commons"], "30.00");
    let text = env.ok(&["resource", "show", "printer"]);
    assert!(
        text.starts_with("resource printer of lab: commons\n"),
        "{text}"
    );

    // Job 70: the printer is a commons; the payback share goes to commons.
    let after = job(&env);
    assert_eq!(
        after["payouts"],
        amounts(&[
            ("commons", "70.00"),
            ("infra", "10.00"),
            ("maintenance", "20.00"),
            ("materials", "20.00"),
            ("tech", "30.00")
        ])
    );
    assert_eq!(after["became_commons"], false);
    let balances = env.json(&["balance"])["balances"].clone();
    for (account, amount) in [
        ("commons", "100.00"),
        ("maintenance", "1400.00"),
        ("infra", "700.00"),
        ("materials", "1400.00"),
        ("tech", "2100.00"),
        ("a01", "360.00"),
        ("a10", "960.00"),
        ("a11", "600.00"),
    ] {
        assert_eq!(balances[account]["CAD"], amount, "{account}");
    }
    let list = env.json(&["resource", "list"]);
    assert_eq!(
        list,
        json!({"total": 1, "offset": 0, "limit": 1000, "next_offset": null,
               "resources": [{"resource": "printer", "project": "lab", "status": "commons",
               "currency": "CAD", "owners": 11, "outstanding": "0.00", "uses": 70,
               "fees_set": true}]})
    );

    // An unfunded campaign is cancelled: every pledge comes back exactly.
    open_campaign(&env, "scanner-fund", "2500.00");
    env.ok(&["campaign", "pledge", "scanner-fund", "a01", "100.00"]);
    env.ok(&["campaign", "pledge", "scanner-fund", "a02", "250.00"]);
    env.ok(&["campaign", "pledge", "scanner-fund", "a01", "50.00"]);
    let cancelled = env.json(&["campaign", "cancel", "scanner-fund"]);
    assert_eq!(
        cancelled,
        json!({"campaign": "scanner-fund", "status": "cancelled", "total": "400.00",
               "currency": "CAD", "refunds": {"a01": "150.00", "a02": "250.00"},
               "replayed": false})
    );
    let balances = env.json(&["balance"])["balances"].clone();
    assert_eq!(balances["scanner-fund"]["CAD"], "0.00");
    assert_eq!(balances["a01"]["CAD"], "510.00");
    assert_eq!(balances["a02"]["CAD"], "610.00");
    let list = env.json(&["campaign", "list", "--project", "lab"]);
    let statuses: Vec<&str> = list["campaigns"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| c["status"].as_str().unwrap())
        .collect();
    assert_eq!(statuses, ["purchased", "cancelled"]);
    assert_eq!(env.json(&["verify"])["ok"], true);
}

#[test]
fn texts_say_what_happened() {
    let env = Env::new();
    setup(&env);
    open_campaign(&env, "fund", "100.00");
    let text = env.ok(&["campaign", "pledge", "fund", "a01", "60.00"]);
    assert_eq!(
        text,
        "a01 pledged 60.00 CAD to fund\nfund: 60.00 of 100.00 CAD raised\n"
    );
    let text = env.ok(&["campaign", "pledge", "fund", "a02", "60.00"]);
    assert_eq!(
        text,
        "a02 pledged 40.00 CAD to fund (cut from 60.00: only 40.00 was still missing)\n\
         fund: 100.00 of 100.00 CAD raised; funded: it takes no more pledges\n"
    );
    let text = env.ok(&[
        "campaign",
        "purchase",
        "fund",
        "--resource",
        "drill",
        "--premium",
        "10",
    ]);
    assert_eq!(
        text,
        "fund bought drill for 100.00 CAD; co-owners are paid back up to their pledge + 10%:\n\
         \x20 co-owner  pledge    cap\n\
         \x20 a01        60.00  66.00\n\
         \x20 a02        40.00  44.00\n"
    );
    env.ok(&[
        "resource",
        "fees",
        "drill",
        "--per-hour",
        "10.00",
        "--split",
        "payback=80,maintenance=20",
        "--community-per-hour",
        "2.00",
    ]);
    // The community rate is not a flag the user picks for themself: a custodian may name it.
    env.refused(
        &[
            "--as",
            "a01",
            "resource",
            "use",
            "drill",
            "a01",
            "--hours",
            "2",
            "--community",
        ],
        "forbidden",
        "a01 may not choose the community rate: it applies by the user's role or the resource's \
         community list, which custodians keep",
    );
    // A community use at the community rate; then one paid from the user's balance.
    let text = env.ok(&[
        "--as",
        "tiberius",
        "resource",
        "use",
        "drill",
        "a01",
        "--hours",
        "2",
        "--community",
    ]);
    assert!(
        text.starts_with("use 1 of drill by a01: 2 h (community), fee 4.00 CAD\n"),
        "{text}"
    );
    let paid = env.json(&[
        "resource",
        "use",
        "drill",
        "a02",
        "--hours",
        "0.5",
        "--community",
        "--from-balance",
    ]);
    assert_eq!(paid["fee"], "1.00");
    assert_eq!(
        paid["payouts"],
        amounts(&[("a01", "0.48"), ("a02", "0.32"), ("maintenance", "0.20")])
    );
    // a02 received 1.28 from the first use, paid 1.00 and got 0.32 back.
    assert_eq!(
        env.json(&["balance", "a02"]),
        json!({"balances": {"a02": {"CAD": "0.60"}}})
    );
}

#[test]
fn payback_and_token_holders_buckets_in_plain_words() {
    let env = Env::new();
    setup(&env);
    open_campaign(&env, "fund", "100.00");
    env.ok(&["campaign", "pledge", "fund", "a01", "100.00"]);
    env.ok(&[
        "campaign",
        "purchase",
        "fund",
        "--resource",
        "printer",
        "--premium",
        "20",
    ]);
    env.ok(&["token", "create", "lab", "LAB"]);
    let plan = env.write(
        "payback.toml",
        "[[bucket]]\ntype = \"payback\"\nresource = \"printer\"\npercent = \"50\"\n\
         [[bucket]]\ntype = \"token_holders\"\ntoken = \"LAB\"\n",
    );
    let shown = env.json(&["plan", "set", "lab", &plan]);
    assert_eq!(
        shown["buckets"][0]["words"],
        "50% of what is left to the co-owners of printer until they are paid back (pledge plus premium), pro rata by pledge and never past a cap; what they cannot take goes on"
    );
    assert_eq!(
        shown["buckets"][1]["words"],
        "everything left to the holders of LAB, pro rata by their balances (nobody holding it: it goes on)"
    );
    let revenue = env.json(&["revenue", "lab", "300.00"]);
    assert_eq!(
        revenue["payouts"],
        amounts(&[("a01", "120.00"), ("lab-unallocated", "180.00")])
    );
    assert_eq!(
        env.json(&["resource", "show", "printer"])["status"],
        "commons"
    );
}

#[test]
fn bad_input_is_refused_and_changes_nothing() {
    let env = Env::new();
    setup(&env);
    open_campaign(&env, "small", "100.00");
    env.ok(&["campaign", "pledge", "small", "a01", "100.00"]);
    env.refused(
        &["campaign", "pledge", "small", "a02", "10.00"],
        "conflict",
        "campaign small is funded: it takes no more pledges",
    );
    open_campaign(&env, "scanner", "2500.00");
    env.ok(&["campaign", "pledge", "scanner", "a01", "100.00"]);
    env.refused(
        &[
            "campaign",
            "purchase",
            "scanner",
            "--resource",
            "scanner",
            "--premium",
            "20",
        ],
        "conflict",
        "campaign scanner is open (100.00 of 2500.00 raised): only a funded campaign can purchase",
    );
    env.ok(&["campaign", "cancel", "scanner"]);
    env.refused(
        &["campaign", "pledge", "scanner", "a02", "10.00"],
        "conflict",
        "campaign scanner is cancelled: it takes no more pledges",
    );
    env.refused(
        &["campaign", "cancel", "scanner"],
        "conflict",
        "campaign scanner is cancelled: only an unfunded campaign can be cancelled",
    );
    env.refused(
        &["campaign", "pledge", "nowhere", "a02", "10.00"],
        "not-found",
        "unknown campaign \"nowhere\": open the campaign first",
    );
    env.refused(
        &["--as", "a02", "campaign", "pledge", "small", "a01", "10.00"],
        "forbidden",
        "a02 is an affiliate and may pledge only for themself, not for a01",
    );
    env.refused(
        &["campaign", "pledge", "small", "a02", "-10.00"],
        "invalid",
        "amount \"-10.00\" must be greater than zero",
    );
    env.ok(&[
        "campaign",
        "purchase",
        "small",
        "--resource",
        "printer",
        "--premium",
        "20",
    ]);
    env.refused(
        &["campaign", "pledge", "small", "a02", "10.00"],
        "conflict",
        "campaign small is purchased: it takes no more pledges",
    );
    let fees = |split: &'static str| {
        vec![
            "resource",
            "fees",
            "printer",
            "--per-hour",
            "25.00",
            "--split",
            split,
        ]
    };
    env.refused(
        &fees("maintenance=20,infra=10,payback=60"),
        "invalid",
        "the fee split adds up to 90%, not 100%",
    );
    env.refused(
        &fees("maintenance=20,infra=10,payback=80"),
        "invalid",
        "the fee split adds up to 110%, not 100%",
    );
    env.refused(
        &fees("maintenance:20,payback=80"),
        "invalid",
        "malformed --split entry \"maintenance:20\": expected NAME=PERCENT; write NAME=PERCENT,... such as maintenance=20,infra=10,payback=70",
    );
    env.refused(
        &fees("maintenance=20,maintenance=80"),
        "invalid",
        "split destination maintenance appears twice",
    );
    env.refused(
        &["resource", "use", "drill", "client", "--hours", "1"],
        "not-found",
        "unknown resource \"drill\"",
    );
    env.refused(
        &["resource", "use", "printer", "client", "--hours", "1"],
        "invalid",
        "resource printer has no fee schedule: set one with `resource fees printer`",
    );
    env.ok(&fees("maintenance=30,payback=70"));
    env.refused(
        &["resource", "use", "printer", "client", "--hours", "-4"],
        "invalid",
        "hours must be greater than zero, got -4",
    );
    env.refused(
        &["resource", "use", "printer", "client", "--hours", "0"],
        "invalid",
        "hours must be greater than zero, got 0",
    );
    env.refused(
        &[
            "resource",
            "use",
            "printer",
            "client",
            "--hours",
            "1",
            "--from-balance",
        ],
        "invalid",
        "client holds 0.00 CAD but the fee is 25.00",
    );
    env.refused(
        &["resource", "add", "lathe", "--project", "lab", "--owner", "a02"],
        "invalid",
        "a resource contributed by a02 needs its value, which is what a02 is paid back (--value AMOUNT)",
    );
    env.refused(
        &[
            "--as",
            "a01",
            "resource",
            "add",
            "lathe",
            "--project",
            "lab",
        ],
        "forbidden",
        "only custodians may add resources; this agent is an affiliate",
    );
    // A resource contributed by its owner is co-owned up to its value.
    let lathe = env.json(&[
        "resource",
        "add",
        "lathe",
        "--project",
        "lab",
        "--owner",
        "a02",
        "--value",
        "50.00",
    ]);
    assert_eq!(lathe["status"], "co-owned");
    assert_eq!(
        lathe["owners"],
        json!([{"agent": "a02", "pledge": "50.00", "cap": "50.00", "received": "0.00",
                "outstanding": "50.00"}])
    );
    assert_eq!(env.json(&["verify"])["ok"], true);
}

#[test]
fn the_story_of_resources_md_runs_as_written() {
    let (dir, out) = run_doc_story("RESOURCES.md");
    assert!(
        out.contains("a11 pledged 500.00 CAD to printer-fund (cut from 900.00: only 500.00 was still missing)\n"),
        "{out}"
    );
    assert!(
        out.contains("every co-owner is now paid back: printer is a commons\n"),
        "{out}"
    );
    assert!(
        out.contains("campaign scanner-fund cancelled: 350.00 CAD refunded\n"),
        "{out}"
    );
    let env = Env::at(dir, "printer.db");
    let show = env.json(&["resource", "show", "printer"]);
    assert_eq!(show["status"], "commons");
    assert_eq!(show["uses"], 70);
    let balances = env.json(&["balance"])["balances"].clone();
    assert_eq!(balances["commons"]["CAD"], "100.00");
    assert_eq!(balances["a01"]["CAD"], "460.00");
    assert_eq!(balances["a02"]["CAD"], "610.00");
}

/// The community rate follows the resource's community list, which only a custodian keeps
/// (issue 13, point 6): a listed affiliate pays it, one off the list pays the commercial rate,
/// a removed one pays it again; an affiliate cannot list themself.
#[test]
fn the_community_rate_follows_the_list_a_custodian_keeps() {
    let env = Env::new();
    setup(&env);
    env.ok(&["resource", "add", "lathe", "--project", "lab"]);
    // The lathe's schedule: 25.00 an hour, 5.00 at the community rate; then `more` of it.
    let lathe_fees = |more: &[&str]| {
        let schedule = [
            "resource",
            "fees",
            "lathe",
            "--per-hour",
            "25.00",
            "--split",
            "maintenance=100",
            "--community-per-hour",
            "5.00",
        ];
        env.ok(&[&schedule[..], more].concat())
    };
    lathe_fees(&[]);
    let fee = |agent: &str| -> String {
        let text = env.ok(&[
            "--as", agent, "resource", "use", "lathe", agent, "--hours", "2",
        ]);
        text.lines().next().unwrap_or_default().to_string()
    };
    env.refused(
        &[
            "--as",
            "a01",
            "resource",
            "community",
            "add",
            "lathe",
            "a01",
        ],
        "forbidden",
        "only custodians may keep a resource's community list; this agent is an affiliate",
    );
    assert_eq!(
        env.ok(&["resource", "community", "add", "lathe", "a01"]),
        "community list of lathe: a01\n"
    );
    let shown = env.json(&["resource", "show", "lathe"]);
    assert_eq!(shown["community"], json!(["a01"]));
    assert!(
        env.ok(&["resource", "show", "lathe"])
            .contains("\n  community list (pays the community rate): a01\n")
    );
    assert_eq!(
        fee("a01"),
        "use 1 of lathe by a01: 2 h (community), fee 10.00 CAD"
    );
    assert_eq!(fee("a02"), "use 2 of lathe by a02: 2 h, fee 50.00 CAD");
    env.refused(
        &["resource", "community", "add", "lathe", "a01"],
        "conflict",
        "a01 is already on lathe's community list",
    );
    assert_eq!(
        env.ok(&["resource", "community", "remove", "lathe", "a01"]),
        "community list of lathe: empty\n"
    );
    assert_eq!(fee("a01"), "use 3 of lathe by a01: 2 h, fee 50.00 CAD");
    // By role: the schedule gives the community rate to every affiliate, not to observers.
    let set = lathe_fees(&["--community-roles", "affiliate"]);
    assert!(
        set.ends_with("  community:  the community rate applies to every affiliate\n"),
        "{set}"
    );
    assert_eq!(
        fee("a02"),
        "use 4 of lathe by a02: 2 h (community), fee 10.00 CAD"
    );
    let client = env.ok(&["resource", "use", "lathe", "client", "--hours", "2"]);
    assert!(
        client.starts_with("use 5 of lathe by client: 2 h, fee 50.00 CAD\n"),
        "{client}"
    );
    assert_eq!(
        env.json(&["balance", "maintenance"]),
        json!({"balances": {"maintenance": {"CAD": "170.00"}}})
    );
}
