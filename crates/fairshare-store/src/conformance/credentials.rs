//! The conformance suite every [`CredentialStore`] backend must pass.
//!
//! Backends call [`run_credentials`] from their integration tests with a factory that opens a
//! fresh, EMPTY book and returns `n` handles on it, each with its own connection (as `n`
//! processes sharing the book would have):
//!
//! ```text
//! fairshare_store::conformance::run_credentials(&mut |n| MyCredentials::open_n_on_a_new_book(n));
//! ```
//!
//! Every check is public so a backend can run one alone; each panics with a message that says
//! what broke.

use super::{fake_hash, ok};
use crate::credentials::{
    API_KEYS_PER_AGENT_MAX, ApiKey, CredentialError, CredentialResult, CredentialStore, NewApiKey,
    StoredPassword, api_key_id,
};
use std::fmt::Debug;

/// Opens a fresh, empty book and returns `n` (at least 1) independent handles on it.
pub type CredentialFactory<'a> = dyn FnMut(usize) -> Vec<Box<dyn CredentialStore>> + 'a;

/// A time before every other time of the suite.
pub const T0: &str = "2026-11-21T10:20:49Z";
const T1: &str = "2026-11-21T10:20:50Z";
const T2: &str = "2026-11-22T00:00:00Z";
const T3: &str = "2027-01-01T00:00:00Z";
const LATER: &str = "2099-12-31T23:59:59Z";

/// Runs every credential check, each on its own fresh book.
pub fn run_credentials(open: &mut CredentialFactory<'_>) {
    key_round_trip(open);
    expiry(open);
    revocation(open);
    revocation_seen_by_another_handle(open);
    listing_order(open);
    unknown_ids(open);
    bad_key_input_writes_nothing(open);
    duplicate_hash_is_refused(open);
    per_agent_limit(open);
    racing_adds_respect_the_limit(open);
    password_round_trip(open);
    password_seen_by_another_handle(open);
    bad_password_input_writes_nothing(open);
}

/// A plausible key hash (64 lowercase hex digits) for `n`.
pub fn sample_key_hash(n: u64) -> String {
    fake_hash(n ^ 0xC0FF_EE00)
}

/// A plausible argon2id PHC string for `n` (the store never checks the hash itself).
pub fn sample_phc(n: u64) -> String {
    format!(
        "$argon2id$v=19$m=19456,t=2,p=1$c2FsdHNhbHQ{n}${}",
        &fake_hash(n)[..43]
    )
}

fn new_key<'a>(agent: &'a str, hash: &'a str, created_at: &'a str) -> NewApiKey<'a> {
    NewApiKey {
        agent,
        key_hash: hash,
        created_at,
        expires_at: None,
    }
}

fn handles(open: &mut CredentialFactory<'_>, n: usize) -> Vec<Box<dyn CredentialStore>> {
    let hs = open(n);
    assert_eq!(
        hs.len(),
        n,
        "the credential factory must return {n} handles"
    );
    hs
}

fn one(open: &mut CredentialFactory<'_>) -> Box<dyn CredentialStore> {
    let mut hs = handles(open, 1);
    hs.pop().expect("one handle")
}

fn two(open: &mut CredentialFactory<'_>) -> (Box<dyn CredentialStore>, Box<dyn CredentialStore>) {
    let mut hs = handles(open, 2);
    let b = hs.pop().expect("two handles");
    let a = hs.pop().expect("two handles");
    (a, b)
}

fn invalid<T: Debug>(result: CredentialResult<T>, what: &str) -> String {
    match result {
        Err(CredentialError::Invalid(message)) => message,
        other => panic!("{what}: must be refused as Invalid, got {other:?}"),
    }
}

/// A stored key comes back from `add`, `find_active` and `list` with its id, agent and times;
/// unknown hashes and other agents find nothing. Agents in any script round-trip.
pub fn key_round_trip(open: &mut CredentialFactory<'_>) {
    let mut s = one(open);
    let hash = sample_key_hash(1);
    let want = ApiKey {
        id: api_key_id(&hash),
        agent: "ana".into(),
        created_at: T0.into(),
        expires_at: None,
        revoked_at: None,
    };
    let added = ok(s.add_api_key(&new_key("ana", &hash, T0)), "add a key");
    assert_eq!(added, want, "add_api_key returns the stored record");
    assert_eq!(want.id.len(), crate::credentials::API_KEY_ID_LEN);
    assert_eq!(
        ok(s.find_active_api_key(&hash, T1), "find the key"),
        Some(want.clone()),
        "find_active_api_key returns the record"
    );
    assert_eq!(
        ok(
            s.find_active_api_key(&hash, LATER),
            "find the key much later"
        ),
        Some(want.clone()),
        "a key without expiry never expires"
    );
    assert_eq!(
        ok(
            s.find_active_api_key(&sample_key_hash(2), T1),
            "find an unknown hash"
        ),
        None
    );
    assert_eq!(ok(s.list_api_keys("ana"), "list"), vec![want.clone()]);
    assert!(ok(s.list_api_keys("bob"), "list another agent").is_empty());
    assert!(
        ok(s.list_api_keys("Ana"), "list is case-sensitive").is_empty(),
        "agents are compared exactly"
    );

    let tricky = "zoë-🦀-日本語-עברית";
    let hash = sample_key_hash(3);
    let added = ok(
        s.add_api_key(&NewApiKey {
            expires_at: Some(LATER),
            ..new_key(tricky, &hash, T1)
        }),
        "add a key for a unicode agent",
    );
    assert_eq!(added.agent, tricky);
    assert_eq!(added.expires_at.as_deref(), Some(LATER));
    assert_eq!(
        ok(s.list_api_keys(tricky), "list unicode agent"),
        vec![added.clone()]
    );
    assert_eq!(
        ok(s.find_active_api_key(&hash, T2), "find unicode agent's key"),
        Some(added)
    );
}

/// A key is active up to the second before `expires_at` and refused from then on; an expired
/// key stays listed.
pub fn expiry(open: &mut CredentialFactory<'_>) {
    let mut s = one(open);
    let hash = sample_key_hash(10);
    let before = "2026-11-22T09:59:59Z";
    let at = "2026-11-22T10:00:00Z";
    let added = ok(
        s.add_api_key(&NewApiKey {
            expires_at: Some(at),
            ..new_key("ana", &hash, T0)
        }),
        "add an expiring key",
    );
    for now in [T0, T1, before] {
        assert_eq!(
            ok(s.find_active_api_key(&hash, now), "find before expiry"),
            Some(added.clone()),
            "a key expiring at {at} is active at {now}"
        );
        assert!(added.is_active(now));
    }
    for now in [at, "2026-11-22T10:00:01Z", "2026-12-01T00:00:00Z", LATER] {
        assert_eq!(
            ok(s.find_active_api_key(&hash, now), "find after expiry"),
            None,
            "a key expiring at {at} is refused at {now}"
        );
        assert!(!added.is_active(now));
    }
    // Across a year's end (every field of the time changes at once).
    let hash = sample_key_hash(11);
    ok(
        s.add_api_key(&NewApiKey {
            expires_at: Some("2027-01-01T00:00:00Z"),
            ..new_key("ana", &hash, "2026-12-31T23:59:59Z")
        }),
        "add a key expiring at new year",
    );
    assert!(
        ok(s.find_active_api_key(&hash, "2026-12-31T23:59:59Z"), "find").is_some(),
        "active the second before new year"
    );
    assert!(
        ok(s.find_active_api_key(&hash, "2027-01-01T00:00:00Z"), "find").is_none(),
        "expired at new year"
    );
    let listed = ok(s.list_api_keys("ana"), "list expired keys");
    assert_eq!(listed.len(), 2, "expired keys stay listed: {listed:?}");
    assert_eq!(listed[0], added);
}

/// A revoked key is refused at once whatever the time, keeps its first `revoked_at` when
/// revoked again, and stays listed; the agent's other keys are untouched.
pub fn revocation(open: &mut CredentialFactory<'_>) {
    let mut s = one(open);
    let (h1, h2) = (sample_key_hash(20), sample_key_hash(21));
    let k1 = ok(s.add_api_key(&new_key("ana", &h1, T0)), "add key 1");
    let k2 = ok(s.add_api_key(&new_key("ana", &h2, T0)), "add key 2");
    let revoked = ok(s.revoke_api_key(&k1.id, T2), "revoke key 1");
    assert_eq!(
        revoked,
        ApiKey {
            revoked_at: Some(T2.into()),
            ..k1.clone()
        },
        "revoke returns the revoked record"
    );
    for now in [T0, T1, T2, LATER] {
        assert_eq!(
            ok(s.find_active_api_key(&h1, now), "find a revoked key"),
            None,
            "a revoked key is refused at {now}, even before its revocation time"
        );
    }
    assert_eq!(
        ok(s.find_active_api_key(&h2, T3), "find the other key"),
        Some(k2.clone()),
        "revoking one key leaves the agent's other keys active"
    );
    let again = ok(s.revoke_api_key(&k1.id, T3), "revoke key 1 again");
    assert_eq!(
        again, revoked,
        "a second revocation keeps the first revoked_at"
    );
    assert_eq!(
        ok(s.list_api_keys("ana"), "list"),
        sorted(vec![revoked, k2]),
        "revoked keys stay listed"
    );
}

/// Two handles on one book (two processes): each sees the other's keys, and a key revoked by
/// one is refused by the other's next lookup, even right after that handle found it.
pub fn revocation_seen_by_another_handle(open: &mut CredentialFactory<'_>) {
    let (mut a, mut b) = two(open);
    let hash = sample_key_hash(30);
    let key = ok(a.add_api_key(&new_key("ana", &hash, T0)), "a adds a key");
    for _ in 0..3 {
        assert_eq!(
            ok(b.find_active_api_key(&hash, T1), "b finds a's key"),
            Some(key.clone()),
            "a key added by one handle is found by another"
        );
    }
    assert_eq!(ok(b.list_api_keys("ana"), "b lists"), vec![key.clone()]);
    ok(a.revoke_api_key(&key.id, T1), "a revokes");
    assert_eq!(
        ok(b.find_active_api_key(&hash, T1), "b looks the key up again"),
        None,
        "a key revoked by one handle must be refused by the next lookup of another (no caching)"
    );
    // And the other way round, through the id the other handle listed.
    let hash = sample_key_hash(31);
    let key = ok(b.add_api_key(&new_key("bob", &hash, T0)), "b adds a key");
    assert!(ok(a.find_active_api_key(&hash, T1), "a finds b's key").is_some());
    let listed = ok(a.list_api_keys("bob"), "a lists bob's keys");
    assert_eq!(listed, vec![key.clone()]);
    ok(a.revoke_api_key(&listed[0].id, T2), "a revokes b's key");
    assert_eq!(ok(b.find_active_api_key(&hash, T2), "b looks up"), None);
    assert_eq!(
        ok(b.revoke_api_key(&key.id, T3), "b revokes it again")
            .revoked_at
            .as_deref(),
        Some(T2),
        "the first revocation (by the other handle) stands"
    );
}

/// `list_api_keys` returns one agent's keys oldest first, ties by id, whatever the order they
/// were added in.
pub fn listing_order(open: &mut CredentialFactory<'_>) {
    let mut s = one(open);
    let mut added = Vec::new();
    for (n, at) in [(40, T2), (41, T0), (42, T3), (43, T1), (44, T0), (45, T2)] {
        let hash = sample_key_hash(n);
        added.push(ok(s.add_api_key(&new_key("ana", &hash, at)), "add a key"));
        ok(
            s.add_api_key(&new_key("bob", &sample_key_hash(n + 100), at)),
            "add a key of another agent",
        );
    }
    let listed = ok(s.list_api_keys("ana"), "list");
    assert_eq!(listed, sorted(added), "oldest first, then by id");
    assert!(listed.iter().all(|k| k.agent == "ana"), "only ana's keys");
}

/// Revoking an unknown id is `NotFound`; a malformed id is `Invalid`; neither writes.
pub fn unknown_ids(open: &mut CredentialFactory<'_>) {
    let mut s = one(open);
    let hash = sample_key_hash(50);
    let key = ok(s.add_api_key(&new_key("ana", &hash, T0)), "add a key");
    let unknown = api_key_id(&sample_key_hash(51));
    match s.revoke_api_key(&unknown, T1) {
        Err(CredentialError::NotFound(message)) => assert!(
            message.contains(&unknown),
            "the message names the unknown id: {message}"
        ),
        other => panic!("revoking unknown id {unknown} must be NotFound, got {other:?}"),
    }
    for bad in ["", "ABCDEF0123456789", "0123", &hash, "zzzzzzzzzzzzzzzz"] {
        invalid(
            s.revoke_api_key(bad, T1),
            &format!("revoke malformed id {bad:?}"),
        );
    }
    assert_eq!(ok(s.list_api_keys("ana"), "list"), vec![key.clone()]);
    assert_eq!(
        ok(s.find_active_api_key(&hash, T1), "find"),
        Some(key),
        "failed revocations leave the key active"
    );
}

/// Malformed keys, lookups and revocations are `Invalid` and write nothing; messages never
/// repeat what may be a secret.
pub fn bad_key_input_writes_nothing(open: &mut CredentialFactory<'_>) {
    let mut s = one(open);
    let good = sample_key_hash(60);
    let secret = "fsk_c2VjcmV0LWtleS10aGF0LW11c3Qtbm90LWJlLWxvZ2dlZC0xMjM0NTY3";
    let upper = good.to_uppercase();
    let long_agent = "a".repeat(crate::credentials::AGENT_LEN_MAX + 1);
    let bad_keys: Vec<(&str, NewApiKey<'_>)> = vec![
        ("the key itself", new_key("ana", secret, T0)),
        ("a short hash", new_key("ana", &good[..40], T0)),
        ("an uppercase hash", new_key("ana", &upper, T0)),
        ("an empty hash", new_key("ana", "", T0)),
        ("an empty agent", new_key("", &good, T0)),
        ("a NUL in the agent", new_key("a\0b", &good, T0)),
        ("a too long agent", new_key(&long_agent, &good, T0)),
        ("a date without time", new_key("ana", &good, "2026-11-21")),
        (
            "a time with an offset",
            new_key("ana", &good, "2026-11-21T10:20:49+01:00"),
        ),
        (
            "a time with fractions",
            new_key("ana", &good, "2026-11-21T10:20:49.5Z"),
        ),
        ("month 13", new_key("ana", &good, "2026-13-21T10:20:49Z")),
        (
            "a bad expiry",
            NewApiKey {
                expires_at: Some("tomorrow"),
                ..new_key("ana", &good, T0)
            },
        ),
        (
            "an expiry at creation",
            NewApiKey {
                expires_at: Some(T0),
                ..new_key("ana", &good, T0)
            },
        ),
        (
            "an expiry before creation",
            NewApiKey {
                expires_at: Some(T0),
                ..new_key("ana", &good, T1)
            },
        ),
    ];
    for (what, key) in &bad_keys {
        let message = invalid(s.add_api_key(key), &format!("add a key with {what}"));
        assert!(
            !message.contains(secret),
            "the message must not repeat a possible secret: {message}"
        );
    }
    assert!(
        ok(s.list_api_keys("ana"), "list").is_empty(),
        "nothing written"
    );
    assert_eq!(ok(s.find_active_api_key(&good, T1), "find"), None);

    let key = ok(s.add_api_key(&new_key("ana", &good, T0)), "add a good key");
    let m = invalid(s.find_active_api_key(secret, T1), "find by the key itself");
    assert!(!m.contains(secret), "{m}");
    invalid(
        s.find_active_api_key(&upper, T1),
        "find by an uppercase hash",
    );
    invalid(
        s.find_active_api_key(&good, "now"),
        "find at a malformed time",
    );
    invalid(s.list_api_keys(""), "list the empty agent");
    invalid(
        s.revoke_api_key(&key.id, "2026-11-21"),
        "revoke at a malformed time",
    );
    assert_eq!(
        ok(s.find_active_api_key(&good, T1), "find"),
        Some(key.clone()),
        "a refused revocation leaves the key active"
    );
    assert_eq!(ok(s.list_api_keys("ana"), "list"), vec![key]);
}

/// The same hash cannot be stored twice (for the same agent or another); the first stays.
pub fn duplicate_hash_is_refused(open: &mut CredentialFactory<'_>) {
    let mut s = one(open);
    let hash = sample_key_hash(70);
    let key = ok(s.add_api_key(&new_key("ana", &hash, T0)), "add a key");
    let message = invalid(s.add_api_key(&new_key("ana", &hash, T1)), "add it again");
    assert!(
        message.contains(&key.id),
        "the message names the id of the key already stored: {message}"
    );
    invalid(
        s.add_api_key(&new_key("bob", &hash, T1)),
        "add it for another agent",
    );
    assert_eq!(ok(s.list_api_keys("ana"), "list"), vec![key.clone()]);
    assert!(ok(s.list_api_keys("bob"), "list bob").is_empty());
    assert_eq!(ok(s.find_active_api_key(&hash, T1), "find"), Some(key));
}

/// An agent holds at most `API_KEYS_PER_AGENT_MAX` live keys: one more is refused (nothing
/// written) until a key is revoked or expires; other agents are not limited by it.
pub fn per_agent_limit(open: &mut CredentialFactory<'_>) {
    let mut s = one(open);
    let max = API_KEYS_PER_AGENT_MAX as u64;
    // One of them expires at T2: it counts before and not after.
    ok(
        s.add_api_key(&NewApiKey {
            expires_at: Some(T2),
            ..new_key("ana", &sample_key_hash(1_000), T0)
        }),
        "add an expiring key",
    );
    for n in 1..max {
        ok(
            s.add_api_key(&new_key("ana", &sample_key_hash(1_000 + n), T0)),
            "add keys up to the limit",
        );
    }
    let extra = sample_key_hash(2_000);
    let message = invalid(
        s.add_api_key(&new_key("ana", &extra, T1)),
        "add a key past the limit",
    );
    assert!(
        message.contains(&API_KEYS_PER_AGENT_MAX.to_string()),
        "the message names the limit: {message}"
    );
    assert_eq!(ok(s.find_active_api_key(&extra, T1), "find"), None);
    assert_eq!(ok(s.list_api_keys("ana"), "list").len() as u64, max);
    ok(
        s.add_api_key(&new_key("bob", &sample_key_hash(3_000), T1)),
        "another agent is not limited by ana's keys",
    );
    // The expiring key no longer counts at T2.
    let added = ok(
        s.add_api_key(&new_key("ana", &extra, T2)),
        "add a key once one expired",
    );
    let next = sample_key_hash(2_001);
    invalid(
        s.add_api_key(&new_key("ana", &next, T2)),
        "add a key past the limit again",
    );
    ok(s.revoke_api_key(&added.id, T2), "revoke a key");
    ok(
        s.add_api_key(&new_key("ana", &next, T2)),
        "add a key once one was revoked",
    );
    assert_eq!(ok(s.list_api_keys("ana"), "list").len() as u64, max + 2);
}

/// Six handles (as six processes) race for an agent's last two free places, released at once:
/// exactly two adds succeed, the others are refused as over the limit.
pub fn racing_adds_respect_the_limit(open: &mut CredentialFactory<'_>) {
    let mut racers = handles(open, 7);
    let mut s = racers.remove(0);
    let max = API_KEYS_PER_AGENT_MAX;
    for n in 0..max - 2 {
        ok(
            s.add_api_key(&new_key("ana", &sample_key_hash(n as u64), T0)),
            "add keys up to two below the limit",
        );
    }
    let start = std::sync::Barrier::new(racers.len());
    let added = std::thread::scope(|scope| {
        let joins: Vec<_> = racers
            .into_iter()
            .enumerate()
            .map(|(t, mut racer)| {
                let start = &start;
                scope.spawn(move || {
                    let hash = sample_key_hash(1_000 + t as u64);
                    start.wait();
                    racer.add_api_key(&new_key("ana", &hash, T0))
                })
            })
            .collect();
        joins
            .into_iter()
            .filter_map(|j| match j.join().expect("add thread") {
                Ok(key) => Some(key),
                Err(CredentialError::Invalid(m)) => {
                    assert!(m.contains("most allowed"), "{m}");
                    None
                }
                Err(e) => panic!("a racing add failed otherwise: {e}"),
            })
            .count()
    });
    assert_eq!(added, 2, "exactly the free places are taken");
    assert_eq!(ok(s.list_api_keys("ana"), "list").len(), max);
}

/// The credential tables as servers before versioned credentials created them (without a
/// version), copied from that server's source; backends build an old book from it to test
/// their migration.
pub const OLD_LAYOUT: &str = "
CREATE TABLE IF NOT EXISTS fs_api_keys (
    key_hash   TEXT PRIMARY KEY,
    agent      TEXT NOT NULL,
    created_at TEXT NOT NULL
);
CREATE INDEX IF NOT EXISTS fs_api_keys_agent ON fs_api_keys (agent);
CREATE TABLE IF NOT EXISTS fs_credentials (
    agent        TEXT PRIMARY KEY,
    password_phc TEXT NOT NULL,
    updated_at   TEXT NOT NULL
);
";
/// The hash of `ana`'s key in an old book.
pub const OLD_HASH: &str = "9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08";
/// When `ana`'s key in an old book was created.
pub const OLD_KEY_CREATED_AT: &str = "2025-06-01T08:00:00Z";
/// `ana`'s password hash in an old book.
pub const OLD_PHC: &str = "$argon2id$v=19$m=19456,t=2,p=1$b2xkc2FsdA$b2xkaGFzaG9sZGhhc2hvbGRoYXNo";
/// When `ana`'s password in an old book was set.
pub const OLD_PASSWORD_UPDATED_AT: &str = "2025-06-02T09:00:00Z";

/// On a book made with [`OLD_LAYOUT`] holding `ana`'s key [`OLD_HASH`] and password
/// [`OLD_PHC`], opened (so migrated): the old key is found with an id from its hash, the
/// password is kept, the migrated table takes a new key with an expiry, and the old key can be
/// revoked. Leaves `ana` with two keys, one revoked.
pub fn old_credentials_survive_migration(s: &mut dyn CredentialStore) {
    let now = "2026-11-21T12:00:00Z";
    let old_key = ApiKey {
        id: OLD_HASH[..16].to_owned(),
        agent: "ana".into(),
        created_at: OLD_KEY_CREATED_AT.into(),
        expires_at: None,
        revoked_at: None,
    };
    assert_eq!(
        ok(s.find_active_api_key(OLD_HASH, now), "find"),
        Some(old_key.clone()),
        "a key stored before the migration is found, with an id from its hash"
    );
    assert_eq!(ok(s.list_api_keys("ana"), "list"), vec![old_key.clone()]);
    assert_eq!(
        ok(s.password("ana"), "password"),
        Some(StoredPassword {
            phc: OLD_PHC.into(),
            updated_at: OLD_PASSWORD_UPDATED_AT.into()
        })
    );
    // The migrated table takes the new columns.
    let hash = "a".repeat(64);
    ok(
        s.add_api_key(&NewApiKey {
            expires_at: Some("2026-12-21T12:00:00Z"),
            ..new_key("ana", &hash, now)
        }),
        "add a key after the migration",
    );
    ok(s.revoke_api_key(&old_key.id, now), "revoke the old key");
    assert_eq!(ok(s.find_active_api_key(OLD_HASH, now), "find"), None);
}

/// A password is absent, then set, then replaced (with its new time); agents are separate.
pub fn password_round_trip(open: &mut CredentialFactory<'_>) {
    let mut s = one(open);
    assert_eq!(ok(s.password("ana"), "password of nobody"), None);
    ok(s.set_password("ana", &sample_phc(1), T0), "set a password");
    assert_eq!(
        ok(s.password("ana"), "get the password"),
        Some(StoredPassword {
            phc: sample_phc(1),
            updated_at: T0.into(),
        })
    );
    ok(s.set_password("ana", &sample_phc(2), T2), "replace it");
    assert_eq!(
        ok(s.password("ana"), "get the new password"),
        Some(StoredPassword {
            phc: sample_phc(2),
            updated_at: T2.into(),
        }),
        "set_password replaces the hash and its time"
    );
    assert_eq!(ok(s.password("bob"), "another agent"), None);
    assert_eq!(ok(s.password("Ana"), "case-sensitive"), None);
    let tricky = "zoë-🦀-日本語";
    ok(s.set_password(tricky, &sample_phc(3), T1), "unicode agent");
    assert_eq!(
        ok(s.password(tricky), "get").map(|p| p.phc),
        Some(sample_phc(3))
    );
    assert_eq!(
        ok(s.password("ana"), "ana unchanged").map(|p| p.phc),
        Some(sample_phc(2))
    );
}

/// A password set or replaced through one handle is what the other reads next.
pub fn password_seen_by_another_handle(open: &mut CredentialFactory<'_>) {
    let (mut a, mut b) = two(open);
    ok(a.set_password("ana", &sample_phc(1), T0), "a sets");
    assert_eq!(
        ok(b.password("ana"), "b reads").map(|p| p.phc),
        Some(sample_phc(1))
    );
    ok(b.set_password("ana", &sample_phc(2), T1), "b replaces");
    assert_eq!(
        ok(a.password("ana"), "a reads again"),
        Some(StoredPassword {
            phc: sample_phc(2),
            updated_at: T1.into(),
        }),
        "a password changed by one handle is what the other reads next (no caching)"
    );
}

/// Malformed passwords, agents and times are `Invalid` and write nothing; the message never
/// repeats a possible password.
pub fn bad_password_input_writes_nothing(open: &mut CredentialFactory<'_>) {
    let mut s = one(open);
    ok(s.set_password("ana", &sample_phc(1), T0), "set a password");
    let too_long = format!(
        "$argon2id${}",
        "a".repeat(crate::credentials::PASSWORD_HASH_LEN_MAX)
    );
    for (what, agent, phc, at) in [
        ("a plain password", "ana", "correct horse battery", T1),
        ("an empty hash", "ana", "", T1),
        ("a too long hash", "ana", too_long.as_str(), T1),
        ("a bad time", "ana", &sample_phc(2), "2026-11-21T10:20"),
        ("an empty agent", "", &sample_phc(2), T1),
        (
            "a control character in the agent",
            "an\na",
            &sample_phc(2),
            T1,
        ),
    ] {
        let message = invalid(s.set_password(agent, phc, at), &format!("set {what}"));
        assert!(
            !message.contains("correct horse"),
            "the message must not repeat a possible password: {message}"
        );
    }
    invalid(s.password(""), "get the empty agent's password");
    assert_eq!(
        ok(s.password("ana"), "get"),
        Some(StoredPassword {
            phc: sample_phc(1),
            updated_at: T0.into(),
        }),
        "refused updates leave the password as it was"
    );
}

fn sorted(mut keys: Vec<ApiKey>) -> Vec<ApiKey> {
    keys.sort_by(|a, b| (&a.created_at, &a.id).cmp(&(&b.created_at, &b.id)));
    keys
}
