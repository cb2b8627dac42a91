//! `webhook add|list|remove|resume|deliveries` on a real book: custodians only, secrets never
//! shown, bad input refused with the book and the webhooks unchanged. Delivery itself is the
//! server's (crates/fairshare-server/tests/webhooks.rs).

mod common;

use common::Env;
use serde_json::json;

const SECRET: &str = "whsec_cli_0123456789abcdef";

fn add(env: &Env, actor: &str) -> serde_json::Value {
    env.json(&[
        "--as",
        actor,
        "webhook",
        "add",
        "https://example.org/hook",
        "--events",
        "log,approve",
        "--secret",
        SECRET,
    ])
}

#[test]
fn custodians_add_list_and_remove_webhooks_and_never_see_a_secret() {
    let env = Env::new();
    env.agents(&["ana:custodian", "bob:affiliate"]);
    let head = env.events();
    let added = add(&env, "ana");
    assert_eq!(added["id"], 1);
    assert_eq!(added["url"], "https://example.org/hook");
    assert_eq!(added["events"], json!(["log", "approve"]));
    assert_eq!(added["created_by"], "ana");
    assert_eq!(added["cursor"], head, "from the head on");
    assert_eq!(added["failures"], 0);
    assert_eq!(added["paused_at"], serde_json::Value::Null);
    let fingerprint = added["secret_fingerprint"].as_str().expect("a fingerprint");
    assert!(
        fingerprint.starts_with("sha256:") && fingerprint.len() == 19,
        "{fingerprint}"
    );
    assert!(!added.to_string().contains(SECRET));
    assert_eq!(env.events(), head, "a webhook is no event of the book");

    let listed = env.ok(&["webhook", "list"]);
    assert!(!listed.contains(SECRET), "{listed}");
    assert_eq!(
        listed
            .lines()
            .nth(1)
            .map(|l| l.split_whitespace().collect::<Vec<_>>()),
        Some(vec![
            "1",
            "https://example.org/hook",
            "log,approve",
            fingerprint,
            &head.to_string(),
            "running"
        ]),
        "{listed}"
    );
    assert_eq!(
        env.ok(&["webhook", "deliveries", "1"]),
        "webhook 1 has no delivery attempt yet\n"
    );
    let shown = env.ok(&["--as", "ana", "webhook", "resume", "1"]);
    assert!(
        shown.starts_with("webhook 1 to https://example.org/hook\n"),
        "{shown}"
    );
    assert!(
        shown.contains(&format!("  secret: {fingerprint} (never shown)\n")),
        "{shown}"
    );
    assert_eq!(env.json(&["webhook", "remove", "1"])["id"], 1);
    assert_eq!(env.json(&["webhook", "list"]), json!({"webhooks": []}));
    env.refused(
        &["webhook", "remove", "1"],
        "not-found",
        "no webhook with id 1",
    );
}

#[test]
fn others_are_refused_and_bad_webhooks_change_nothing() {
    let env = Env::new();
    env.agents(&["ana:custodian", "bob:affiliate"]);
    add(&env, "ana");
    let refusal = "bob may not manage webhooks: only custodians may";
    for args in [
        vec![
            "--as",
            "bob",
            "webhook",
            "add",
            "https://example.org",
            "--events",
            "*",
            "--secret",
            SECRET,
        ],
        vec!["--as", "bob", "webhook", "list"],
        vec!["--as", "bob", "webhook", "remove", "1"],
        vec!["--as", "bob", "webhook", "resume", "1"],
        vec!["--as", "bob", "webhook", "deliveries", "1"],
    ] {
        env.refused(&args, "forbidden", refusal);
    }
    for (args, message) in [
        (
            vec![
                "webhook",
                "add",
                "file:///etc/passwd",
                "--events",
                "log",
                "--secret",
                SECRET,
            ],
            "a webhook URL must start with http:// or https://, got \"file:///etc/passwd\"",
        ),
        (
            vec![
                "webhook",
                "add",
                "https://example.org",
                "--events",
                "log,bogus",
                "--secret",
                SECRET,
            ],
            "no event is of kind \"bogus\": a kind is an operation name (log, approve, revenue, \
             … as `fairshare log` shows them) or * for every event",
        ),
        (
            vec![
                "webhook",
                "add",
                "https://example.org",
                "--events",
                "log",
                "--secret",
                "short",
            ],
            "a webhook secret needs 16 to 512 bytes, got 5",
        ),
        (
            vec!["webhook", "deliveries", "1", "--limit", "0"],
            "limit must be 1 to 1000 (the attempts kept per webhook)",
        ),
    ] {
        env.refused(&args, "invalid", message);
    }
    let listed = env.json(&["webhook", "list"]);
    assert_eq!(
        listed["webhooks"].as_array().map(Vec::len),
        Some(1),
        "{listed}"
    );
}
