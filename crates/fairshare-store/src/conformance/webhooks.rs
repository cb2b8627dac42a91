//! The conformance suite every [`WebhookStore`] backend must pass.
//!
//! Backends call [`run_webhooks`] with a factory that opens a fresh, EMPTY book and returns
//! `n` handles on it, each with its own connection. Every check is public; each panics with a
//! message that says what broke.

use super::ok;
use crate::credentials::CredentialError;
use crate::webhooks::{
    Attempt, DELIVERIES_KEPT, NewWebhook, WEBHOOKS_MAX, Webhook, WebhookStore, unknown_webhook,
};

/// Opens a fresh, empty book and returns `n` (at least 1) independent handles on it.
pub type WebhookFactory<'a> = dyn FnMut(usize) -> Vec<Box<dyn WebhookStore>> + 'a;

const T0: &str = "2026-12-04T10:00:00Z";
const T1: &str = "2026-12-04T10:00:01Z";
const T2: &str = "2026-12-04T10:00:02Z";
const SECRET: &str = "whsec_conformance_0123456789";

/// Runs every webhook check, each on its own fresh book.
pub fn run_webhooks(open: &mut WebhookFactory<'_>) {
    round_trip(open);
    bad_input_writes_nothing(open);
    attempts_move_the_cursor_and_count_failures(open);
    skipping_never_moves_back(open);
    pause_and_resume(open);
    the_delivery_log_is_pruned(open);
    removal_forgets_the_log(open);
    the_count_is_limited(open);
    another_handle_sees_everything(open);
}

fn handles(open: &mut WebhookFactory<'_>, n: usize) -> Vec<Box<dyn WebhookStore>> {
    let hs = open(n);
    assert_eq!(hs.len(), n, "the webhook factory must return {n} handles");
    hs
}

fn one(open: &mut WebhookFactory<'_>) -> Box<dyn WebhookStore> {
    handles(open, 1).remove(0)
}

fn kinds(list: &[&str]) -> Vec<String> {
    list.iter().map(|k| (*k).to_string()).collect()
}

/// Adds a webhook of `ana` to `url` for `events`, starting after event `cursor`.
pub fn add(s: &mut dyn WebhookStore, url: &str, events: &[String], cursor: u64) -> Webhook {
    ok(
        s.add_webhook(&NewWebhook {
            url,
            events,
            secret: SECRET,
            created_by: "ana",
            created_at: T0,
            cursor,
        }),
        "add a webhook",
    )
}

fn attempt(webhook: u64, seq: u64, n: u32, delivered: bool) -> Attempt<'static> {
    Attempt {
        webhook,
        seq,
        attempt: n,
        at: if delivered { T2 } else { T1 },
        status: if delivered { Some(204) } else { Some(500) },
        error: if delivered { None } else { Some("HTTP 500") },
        delivered,
    }
}

fn invalid<T: std::fmt::Debug>(result: Result<T, CredentialError>, what: &str) {
    match result {
        Err(CredentialError::Invalid(_)) => {}
        other => panic!("{what}: expected Invalid, got {other:?}"),
    }
}

fn not_found<T: std::fmt::Debug>(result: Result<T, CredentialError>, id: u64) {
    assert_eq!(
        result.map(|_| ()).expect_err("an unknown id"),
        unknown_webhook(id)
    );
}

/// A webhook is stored as given, secret included, and found by id and in the list.
pub fn round_trip(open: &mut WebhookFactory<'_>) {
    let mut s = one(open);
    let events = kinds(&["log", "approve"]);
    let hook = add(s.as_mut(), "https://example.org/hook?x=1", &events, 7);
    assert_eq!(hook.url, "https://example.org/hook?x=1");
    assert_eq!(hook.events, events);
    assert_eq!(hook.secret, SECRET);
    assert_eq!(
        (hook.created_by.as_str(), hook.created_at.as_str()),
        ("ana", T0)
    );
    assert_eq!((hook.cursor, hook.failures), (7, 0));
    assert_eq!(
        (hook.failing_since.clone(), hook.paused_at.clone()),
        (None, None)
    );
    let second = add(s.as_mut(), "http://127.0.0.1:9/", &kinds(&["*"]), 0);
    assert!(
        second.id > hook.id,
        "ids grow: {} then {}",
        hook.id,
        second.id
    );
    assert_eq!(ok(s.webhook(hook.id), "find"), hook);
    assert_eq!(ok(s.webhooks(), "list"), vec![hook.clone(), second]);
    assert!(ok(s.deliveries(hook.id, 10), "no attempt yet").is_empty());
    not_found(s.webhook(hook.id + 100), hook.id + 100);
}

/// Malformed webhooks and attempts are refused and leave nothing behind.
pub fn bad_input_writes_nothing(open: &mut WebhookFactory<'_>) {
    let mut s = one(open);
    let good = NewWebhook {
        url: "https://example.org",
        events: &kinds(&["log"]),
        secret: SECRET,
        created_by: "ana",
        created_at: T0,
        cursor: 0,
    };
    let log = kinds(&["log"]);
    let empty: Vec<String> = Vec::new();
    for (what, bad) in [
        (
            "ftp URL",
            NewWebhook {
                url: "ftp://example.org",
                ..good
            },
        ),
        (
            "no kind",
            NewWebhook {
                events: &empty,
                ..good
            },
        ),
        (
            "short secret",
            NewWebhook {
                secret: "short",
                ..good
            },
        ),
        (
            "bad time",
            NewWebhook {
                created_at: "yesterday",
                ..good
            },
        ),
        (
            "no creator",
            NewWebhook {
                created_by: "",
                ..good
            },
        ),
    ] {
        invalid(s.add_webhook(&bad), what);
    }
    assert!(ok(s.webhooks(), "list").is_empty(), "nothing was stored");
    let hook = add(s.as_mut(), "https://example.org", &log, 0);
    let zeroth = Attempt {
        attempt: 0,
        ..attempt(hook.id, 1, 1, true)
    };
    invalid(s.record_attempt(&zeroth), "attempt 0");
    let long = "e".repeat(crate::webhooks::ERROR_LEN_MAX + 1);
    let wordy = Attempt {
        error: Some(&long),
        ..attempt(hook.id, 1, 1, false)
    };
    invalid(s.record_attempt(&wordy), "long error");
    invalid(
        s.pause_webhook(
            hook.id,
            T1,
            &"r".repeat(crate::webhooks::REASON_LEN_MAX + 1),
        ),
        "long reason",
    );
    not_found(
        s.record_attempt(&attempt(hook.id + 1, 1, 1, true)),
        hook.id + 1,
    );
    assert_eq!(ok(s.webhook(hook.id), "unchanged"), hook);
    assert!(ok(s.deliveries(hook.id, 10), "no attempt").is_empty());
}

/// A failure counts and is logged; a success moves the cursor and clears the failures.
pub fn attempts_move_the_cursor_and_count_failures(open: &mut WebhookFactory<'_>) {
    let mut s = one(open);
    let hook = add(s.as_mut(), "https://example.org", &kinds(&["*"]), 0);
    let after_one = ok(s.record_attempt(&attempt(hook.id, 1, 1, false)), "fail 1");
    assert_eq!((after_one.cursor, after_one.failures), (0, 1));
    assert_eq!(after_one.failing_since.as_deref(), Some(T1));
    let after_two = ok(s.record_attempt(&attempt(hook.id, 1, 2, false)), "fail 2");
    assert_eq!((after_two.cursor, after_two.failures), (0, 2));
    assert_eq!(
        after_two.failing_since.as_deref(),
        Some(T1),
        "the first failure"
    );
    let done = ok(s.record_attempt(&attempt(hook.id, 1, 3, true)), "deliver");
    assert_eq!(
        (done.cursor, done.failures, done.failing_since),
        (1, 0, None)
    );
    let log = ok(s.deliveries(hook.id, 10), "log");
    let shape: Vec<(u64, u32, Option<u16>, bool)> = log
        .iter()
        .map(|d| (d.seq, d.attempt, d.status, d.delivered))
        .collect();
    assert_eq!(
        shape,
        vec![
            (1, 3, Some(204), true),
            (1, 2, Some(500), false),
            (1, 1, Some(500), false)
        ],
        "newest first"
    );
    assert_eq!(log[1].error.as_deref(), Some("HTTP 500"));
    assert_eq!((log[0].at.as_str(), log[2].at.as_str()), (T2, T1));
    assert_eq!(ok(s.deliveries(hook.id, 1), "one").len(), 1);
    // A late success for an earlier event never moves the cursor back.
    let late = ok(s.record_attempt(&attempt(hook.id, 0, 1, true)), "late");
    assert_eq!(late.cursor, 1);
}

/// Skipping moves the cursor forward only.
pub fn skipping_never_moves_back(open: &mut WebhookFactory<'_>) {
    let mut s = one(open);
    let hook = add(s.as_mut(), "https://example.org", &kinds(&["log"]), 5);
    assert_eq!(ok(s.skip_to(hook.id, 9), "skip").cursor, 9);
    assert_eq!(ok(s.skip_to(hook.id, 3), "back").cursor, 9);
    not_found(s.skip_to(hook.id + 1, 10), hook.id + 1);
}

/// A pause keeps its first time and reason; resuming clears it and the failures.
pub fn pause_and_resume(open: &mut WebhookFactory<'_>) {
    let mut s = one(open);
    let hook = add(s.as_mut(), "https://example.org", &kinds(&["*"]), 0);
    ok(s.record_attempt(&attempt(hook.id, 1, 1, false)), "fail");
    let paused = ok(s.pause_webhook(hook.id, T1, "12 failures"), "pause");
    assert_eq!(paused.paused_at.as_deref(), Some(T1));
    assert_eq!(paused.pause_reason.as_deref(), Some("12 failures"));
    let again = ok(s.pause_webhook(hook.id, T2, "later"), "pause again");
    assert_eq!(
        (again.paused_at.as_deref(), again.pause_reason.as_deref()),
        (Some(T1), Some("12 failures"))
    );
    let resumed = ok(s.resume_webhook(hook.id), "resume");
    assert_eq!(
        (
            resumed.paused_at,
            resumed.pause_reason,
            resumed.failures,
            resumed.failing_since
        ),
        (None, None, 0, None)
    );
    assert_eq!(resumed.cursor, 0, "resumes where it stopped");
    not_found(s.resume_webhook(hook.id + 1), hook.id + 1);
    not_found(s.pause_webhook(hook.id + 1, T1, "x"), hook.id + 1);
}

/// Only the newest [`DELIVERIES_KEPT`] attempts stay.
pub fn the_delivery_log_is_pruned(open: &mut WebhookFactory<'_>) {
    let mut s = one(open);
    let hook = add(s.as_mut(), "https://example.org", &kinds(&["*"]), 0);
    let other = add(s.as_mut(), "https://example.com", &kinds(&["*"]), 0);
    ok(s.record_attempt(&attempt(other.id, 1, 1, true)), "other");
    let total = DELIVERIES_KEPT as u64 + 5;
    for seq in 1..=total {
        ok(s.record_attempt(&attempt(hook.id, seq, 1, true)), "deliver");
    }
    let log = ok(s.deliveries(hook.id, DELIVERIES_KEPT + 100), "log");
    assert_eq!(log.len(), DELIVERIES_KEPT);
    assert_eq!(log.first().map(|d| d.seq), Some(total));
    assert_eq!(log.last().map(|d| d.seq), Some(6), "the oldest are pruned");
    assert_eq!(
        ok(s.deliveries(other.id, 10), "other").len(),
        1,
        "per webhook"
    );
}

/// Removing a webhook forgets it and its log; its id is not reused.
pub fn removal_forgets_the_log(open: &mut WebhookFactory<'_>) {
    let mut s = one(open);
    let hook = add(s.as_mut(), "https://example.org", &kinds(&["*"]), 0);
    ok(s.record_attempt(&attempt(hook.id, 1, 1, true)), "deliver");
    let removed = ok(s.remove_webhook(hook.id), "remove");
    assert_eq!(removed.cursor, 1);
    not_found(s.webhook(hook.id), hook.id);
    not_found(s.deliveries(hook.id, 10), hook.id);
    not_found(s.remove_webhook(hook.id), hook.id);
    let next = add(s.as_mut(), "https://example.org", &kinds(&["*"]), 0);
    assert!(next.id > hook.id, "ids are not reused");
    assert!(ok(s.deliveries(next.id, 10), "fresh log").is_empty());
}

/// A book holds at most [`WEBHOOKS_MAX`] webhooks.
pub fn the_count_is_limited(open: &mut WebhookFactory<'_>) {
    let mut s = one(open);
    let all = kinds(&["*"]);
    let hooks: Vec<Webhook> = (0..WEBHOOKS_MAX)
        .map(|i| add(s.as_mut(), &format!("https://example.org/{i}"), &all, 0))
        .collect();
    let refused = s.add_webhook(&NewWebhook {
        url: "https://example.org/one-more",
        events: &all,
        secret: SECRET,
        created_by: "ana",
        created_at: T0,
        cursor: 0,
    });
    invalid(refused, "one too many");
    ok(s.remove_webhook(hooks[0].id), "remove one");
    add(s.as_mut(), "https://example.org/again", &all, 0);
}

/// What one handle writes, another sees at once (no caching).
pub fn another_handle_sees_everything(open: &mut WebhookFactory<'_>) {
    let mut hs = handles(open, 2);
    let hook = add(hs[0].as_mut(), "https://example.org", &kinds(&["*"]), 0);
    ok(
        hs[1].record_attempt(&attempt(hook.id, 1, 1, true)),
        "deliver",
    );
    assert_eq!(ok(hs[0].webhook(hook.id), "seen").cursor, 1);
    ok(hs[0].pause_webhook(hook.id, T1, "paused"), "pause");
    assert!(ok(hs[1].webhook(hook.id), "seen").paused_at.is_some());
    ok(hs[1].remove_webhook(hook.id), "remove");
    assert!(ok(hs[0].webhooks(), "list").is_empty());
}
