//! Joining, roles and proposed projects through the real binary (issue 14), each refusal with
//! its exact message and the book unchanged.

mod common;

use common::Env;
use serde_json::json;

fn network() -> Env {
    let env = Env::new();
    env.agents(&["ana:custodian", "bea:affiliate", "olga:observer"]);
    env
}

#[test]
fn a_stranger_asks_to_join_and_a_custodian_admits_them() {
    let env = network();
    let asked = env.json(&[
        "--as",
        "zoe",
        "join",
        "request",
        "zoe",
        "--name",
        "Zoé",
        "--about",
        "hull builder",
    ]);
    assert_eq!(
        asked,
        json!({"handle": "zoe", "name": "Zoé", "about": "hull builder", "role": null,
               "requested_by": "zoe", "seq": 4, "date": "2026-11-21", "status": "pending",
               "reviewed_by": null, "reason": null})
    );
    env.refused(
        &["--as", "zed", "join", "request", "yan"],
        "forbidden",
        "unknown actor \"zed\": no agent has that handle",
    );
    env.refused(
        &["--as", "zoe", "join", "request", "zoe"],
        "conflict",
        "\"zoe\" has a pending join request already (event 4): a custodian admits or declines it",
    );
    env.refused(
        &["--as", "bea", "join", "list"],
        "forbidden",
        "only custodians may list join requests: they hold what strangers wrote about themselves",
    );
    assert_eq!(
        env.ok(&["--as", "ana", "join", "list"]),
        "handle  date        status   name  about\n\
         zoe     2026-11-21  pending  Zoé   hull builder\n"
    );
    env.refused(
        &["--as", "bea", "join", "admit", "zoe"],
        "forbidden",
        "only custodians may admit agents; this agent is an affiliate",
    );
    assert_eq!(
        env.ok(&["--as", "ana", "join", "admit", "zoe", "--role", "observer"]),
        "join request of zoe: admitted as observer\n  name: Zoé\n  about: hull builder\n  \
         asked by zoe on 2026-11-21 (event 4)\n  admitted by ana\n"
    );
    assert!(
        env.ok(&["agent", "list"])
            .contains("zoe     observer   Zoé")
    );

    env.ok(&["--as", "bea", "join", "request", "yan"]);
    env.refused(
        &["--as", "ana", "join", "decline", "yan"],
        "invalid",
        "declining needs a reason (--reason TEXT)",
    );
    let declined = env.json(&["join", "decline", "yan", "--reason", "we never met"]);
    assert_eq!(
        (
            &declined["status"],
            &declined["reason"],
            &declined["requested_by"]
        ),
        (&json!("declined"), &json!("we never met"), &json!("bea"))
    );
    assert_eq!(
        env.ok(&["join", "list", "--status", "all"]).lines().count(),
        3
    );
}

#[test]
fn the_last_custodian_cannot_be_demoted() {
    let env = network();
    env.refused(
        &["--as", "ana", "agent", "role", "set", "ana", "affiliate"],
        "conflict",
        "the last custodian cannot be demoted: ana is the only custodian; \
         make another agent a custodian first",
    );
    env.refused(
        &["--as", "bea", "agent", "role", "set", "bea", "custodian"],
        "forbidden",
        "only custodians may set roles; this agent is an affiliate",
    );
    env.refused(
        &["agent", "role", "set", "bea", "boss"],
        "invalid",
        "invalid value 'boss' for '<ROLE>' [possible values: custodian, affiliate, observer]",
    );
    assert_eq!(
        env.ok(&["--as", "ana", "agent", "role", "set", "bea", "custodian"]),
        "bea is now custodian\n"
    );
    assert_eq!(
        env.ok(&["--as", "bea", "agent", "role", "set", "ana", "observer"]),
        "ana is now observer\n"
    );
}

#[test]
fn a_member_proposes_a_project_and_a_custodian_admits_it() {
    let env = network();
    env.refused(
        &[
            "--as",
            "olga",
            "project",
            "propose",
            "hulls",
            "--currency",
            "CAD",
        ],
        "forbidden",
        "olga is an observer: observers read but do not propose projects",
    );
    assert_eq!(
        env.ok(&[
            "--as",
            "bea",
            "project",
            "propose",
            "hulls",
            "--currency",
            "CAD",
            "--about",
            "a mould",
        ]),
        "project proposal hulls (CAD, 2 decimals, approvals 0): pending\n  about: a mould\n  \
         asked by bea on 2026-11-21 (event 4)\n"
    );
    env.ok(&[
        "--as",
        "bea",
        "project",
        "propose",
        "sails",
        "--currency",
        "EUR",
    ]);
    assert_eq!(
        env.ok(&["project", "proposals"]),
        "slug   currency  date        by   status   about\n\
         hulls  CAD       2026-11-21  bea  pending  a mould\n\
         sails  EUR       2026-11-21  bea  pending  -\n"
    );
    env.refused(
        &["--as", "bea", "project", "admit", "hulls"],
        "forbidden",
        "only custodians may admit projects; this agent is an affiliate",
    );
    env.ok(&["--as", "ana", "project", "admit", "hulls"]);
    assert_eq!(env.json(&["project", "show", "hulls"])["currency"], "CAD");
    env.ok(&[
        "--as", "ana", "project", "decline", "sails", "--reason", "not now",
    ]);
    env.refused(
        &["--as", "ana", "project", "admit", "sails"],
        "not-found",
        "no pending project proposal for \"sails\"",
    );
    assert_eq!(env.ok(&["project", "proposals"]), "no project proposals\n");
}

/// docs/MEMBERSHIP.md's story runs as written and ends as the page says.
#[test]
fn the_membership_story_runs_as_documented() {
    let (_dir, out) = common::run_doc_story("MEMBERSHIP.md");
    assert!(
        out.contains(
            "handle  date        status   name          about\n\
             zoe     2026-11-21  pending  Zoé Tremblay  I build boat hulls\n\
             yan     2026-11-21  pending  -             my neighbour, a welder\n"
        ),
        "{out}"
    );
    assert!(out.contains("refused, as it should be\n"), "{out}");
    assert!(
        out.ends_with(
            "handle  role       name\n\
             ana     affiliate  -\n\
             ben     custodian  -\n\
             zoe     affiliate  Zoé Tremblay\n"
        ),
        "{out}"
    );
}

#[test]
fn a_project_lists_members_who_vote_on_its_equal_proposals() {
    let env = network();
    env.agents(&["cy:affiliate"]);
    env.ok(&["project", "add", "hull"]);
    env.ok(&["rate", "set", "hull", "dev", "10.00"]);
    env.ok(&["log", "work", "hull", "ana", "2", "--category", "dev"]);
    assert_eq!(
        env.ok(&["--as", "ana", "project", "member", "add", "hull", "bea"]),
        "hull lists: bea\n"
    );
    env.refused(
        &["--as", "ana", "project", "member", "add", "hull", "olga"],
        "forbidden",
        "olga is an observer: observers neither propose nor vote, so a project does not list \
         them as members; give olga another role first",
    );
    env.refused(
        &["--as", "bea", "project", "member", "add", "hull", "cy"],
        "forbidden",
        "only custodians may list a project's members; this agent is an affiliate",
    );
    env.refused(
        &["--as", "ana", "project", "member", "remove", "hull", "cy"],
        "not-found",
        "cy is not a member hull lists",
    );
    env.ok(&["project", "member", "add", "hull", "cy"]);
    assert_eq!(
        env.json(&["project", "member", "remove", "hull", "cy"]),
        json!({"project": "hull", "members": ["bea"]})
    );
    assert!(
        env.ok(&["project", "show", "hull"])
            .contains("\n  members:      bea\n"),
    );
    assert_eq!(
        env.json(&["project", "show", "hull"])["members"],
        json!(["bea"])
    );
    env.ok(&[
        "governance",
        "set",
        "hull",
        "--mode",
        "proposals",
        "--weight",
        "equal",
    ]);
    // bea has no contribution: she votes because hull lists her; cy no longer.
    let proposed = env.json(&[
        "--as", "bea", "propose", "hull", "--id", "p1", "--title", "list cy", "--", "project",
        "member", "add", "hull", "cy",
    ]);
    assert_eq!(
        proposed["voters"],
        json!([{"agent": "ana", "weight": "1"}, {"agent": "bea", "weight": "1"}])
    );
    env.refused(
        &["--as", "cy", "vote", "p1", "yes"],
        "forbidden",
        "cy is not eligible to vote on p1: its voters were fixed when it opened (custodians \
         and affiliates with a counted contribution, and the members the project lists)",
    );
    env.ok(&["--as", "bea", "vote", "p1", "yes"]);
    assert_eq!(
        env.json(&["proposal", "show", "p1"])["tally"],
        json!({"yes": "1", "no": "0", "abstain": "0", "eligible": "2",
               "quorum_met": true, "threshold_met": true})
    );
    env.refused(
        &["--as", "ana", "project", "member", "add", "hull", "cy"],
        "forbidden",
        "project hull is governed by proposals: add_member must be proposed and voted on \
         (`propose hull --title TEXT -- COMMAND`)",
    );
}
