//! What the fuzz targets share: a seeded book (the demo network, `data/seed-book.jsonl`),
//! the context a new event is decided in, and sealing fuzzed event bodies into import lines
//! whose hashes check, so that the fuzzer reaches the core instead of the hash check.

use std::io::Cursor;
use std::sync::OnceLock;

use fairshare_book::{Book, MemoryStore, import_jsonl};
use fairshare_core::{
    Command, Ctx, Date, EventBody, GENESIS_HASH, Outcome, State, chain_hash, payload_hash,
};
use serde_json::Value as Json;

/// The demo network (`fairshare demo`, exported as JSON lines): agents of every role, two
/// projects, rates, contributions pending, approved and rejected, a plan and a revenue.
pub const SEED_BOOK: &str = include_str!("../data/seed-book.jsonl");

/// The day fuzzed events are decided on: a week after the seed book was written.
pub const FUZZ_DAY: &str = "2026-12-11";

/// Who sends a fuzzed request, by one byte: the operator, a custodian, an affiliate, an
/// observer, or a stranger.
pub const ACTORS: [&str; 5] = ["operator", "luc", "abran", "odile", "stranger"];

/// A target's input as a selector byte (a mode, an actor) and UTF-8 text; `None` for input
/// that is not text, which no parser here is given.
pub fn selector_and_text(data: &[u8]) -> Option<(u8, &str)> {
    let (&selector, rest) = data.split_first()?;
    Some((selector, std::str::from_utf8(rest).ok()?))
}

/// The state of the seed book, replayed once per process.
pub fn seeded() -> &'static State {
    static STATE: OnceLock<State> = OnceLock::new();
    STATE.get_or_init(|| {
        let mut store = MemoryStore::new();
        import_jsonl(
            &mut Cursor::new(SEED_BOOK.as_bytes()),
            &mut store,
            &mut |_, _| {},
        )
        .expect("the seed book imports");
        Book::open(Box::new(store))
            .expect("the seed book opens")
            .into_state()
    })
}

/// The context of the next event on `state`, sent by the actor `selector` picks.
pub fn next_ctx(state: &State, selector: u8) -> Ctx {
    let actor = ACTORS[usize::from(selector) % ACTORS.len()];
    let day = Date::parse(FUZZ_DAY).expect("a valid day");
    Ctx::new(state.head() + 1, actor, day)
}

/// Decides `command` on a copy of `state` and checks what must hold of any command: a
/// decided outcome applies, and the event body it would be stored as reads back equal.
pub fn decide_and_apply(state: &State, ctx: &Ctx, command: &Command) {
    let Ok(outcome) = state.decide(ctx, command) else {
        return;
    };
    let body = EventBody {
        command: command.clone(),
        outcome: outcome.clone(),
        rules: ctx.rules,
    };
    let stored = body.to_json();
    let read = EventBody::from_json(&stored)
        .unwrap_or_else(|e| panic!("a decided event body reads back: {e}\n{stored}"));
    assert_eq!(read, body, "a decided event body round-trips: {stored}");
    let mut after = state.clone();
    if let Err(e) = after.apply_owned(ctx, command, outcome) {
        panic!("a decided outcome applies: {e}\n{stored}");
    }
}

/// Applies a recorded outcome as opening a book does (no re-deciding): it may be refused
/// (`Corrupt`), never panic.
pub fn replay(state: &State, ctx: &Ctx, command: &Command, outcome: Outcome) {
    let mut after = state.clone();
    let _ = after.apply_owned(ctx, command, outcome);
}

/// One event to seal: who recorded it, when, under which key, and its body's text.
pub struct Unsealed<'a> {
    pub actor: &'a str,
    pub recorded_at: &'a str,
    pub key: Option<&'a str>,
    pub body: &'a str,
}

/// Import lines for `events` numbered from `first_seq` after `prev_hash`, with every hash
/// computed so that the import's checks that need no state pass (a body that is not an
/// event body still fails, at its line). Returns the lines and the last hash.
pub fn seal(first_seq: u64, prev_hash: &str, events: &[Unsealed]) -> (String, String) {
    let mut text = String::new();
    let mut prev = prev_hash.to_string();
    for (offset, event) in events.iter().enumerate() {
        let seq = first_seq + offset as u64;
        let payload = match EventBody::from_json(event.body) {
            Ok(body) => payload_hash(event.actor, &body.command),
            Err(_) => GENESIS_HASH.to_string(),
        };
        let hash = chain_hash(
            seq,
            event.recorded_at,
            event.actor,
            event.key,
            &payload,
            event.body,
            &prev,
        );
        let mut line = serde_json::Map::new();
        line.insert("seq".into(), seq.into());
        line.insert("recorded_at".into(), event.recorded_at.into());
        line.insert("actor".into(), event.actor.into());
        if let Some(key) = event.key {
            line.insert("idempotency_key".into(), key.into());
        }
        line.insert("payload_hash".into(), payload.into());
        // The body goes in verbatim (the chain hash covers its bytes).
        line.insert("body".into(), Json::String(String::new()));
        line.insert("prev_hash".into(), prev.clone().into());
        line.insert("hash".into(), hash.clone().into());
        let json = Json::Object(line).to_string();
        text.push_str(&json.replacen("\"body\":\"\"", &format!("\"body\":{}", event.body), 1));
        text.push('\n');
        prev = hash;
    }
    (text, prev)
}

/// The seed book's last hash and head, to seal events after it.
pub fn seed_tail() -> (u64, String) {
    let last = SEED_BOOK.lines().last().expect("a seed event");
    let line: Json = serde_json::from_str(last).expect("a JSON line");
    let seq = line["seq"].as_u64().expect("a seq");
    let hash = line["hash"].as_str().expect("a hash").to_string();
    (seq, hash)
}

/// Imports `text` into a new memory store; on success checks that the book opens, verifies,
/// and exports to a file that imports again into the same rows.
pub fn import_and_check(text: &str) {
    let mut store = MemoryStore::new();
    let Ok(count) = import_jsonl(
        &mut Cursor::new(text.as_bytes()),
        &mut store,
        &mut |_, _| {},
    ) else {
        assert!(store.rows().is_empty(), "a refused import writes nothing");
        return;
    };
    assert_eq!(
        store.rows().len() as u64,
        count,
        "every imported event is stored"
    );
    let mut exported = Vec::new();
    fairshare_book::export_jsonl(&mut store, &mut exported).expect("an imported book exports");
    let report = fairshare_book::verify(&mut store).expect("an imported book verifies");
    assert!(
        report.problem.is_none(),
        "an imported book verifies: {:?}",
        report.problem
    );
    let mut again = MemoryStore::new();
    import_jsonl(&mut Cursor::new(&exported), &mut again, &mut |_, _| {})
        .expect("an export of an imported book imports");
    assert_eq!(
        again.rows(),
        store.rows(),
        "export then import keeps every row"
    );
    Book::open(Box::new(store)).expect("an imported book opens");
}
