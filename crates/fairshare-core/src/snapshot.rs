//! Snapshots: the [`State`] at one event in a versioned, checksummed binary form, so that
//! opening a book loads it and replays only the events after it.
//!
//! A snapshot is a cache, never the truth: the book checks its header, its checksum and that
//! the log's hash at its sequence number is the one it records, and replays the whole log when
//! any of that fails. `verify` compares every snapshot with its own replay.
//!
//! The layout, all integers little-endian:
//!
//! | bytes | field |
//! |---|---|
//! | 8 | magic, `FSSNAP\r\n` |
//! | 4 | format ([`SNAPSHOT_FORMAT`]): the layout of the header and of the state's types |
//! | 4 | the rules ([`RULES`]) of the build that wrote it |
//! | 16 | the fingerprint of the core's source that wrote it (`build.rs`), 16 hex digits |
//! | 8 | sequence number of the last event applied |
//! | 32 | hash of that event (the log's chain hash) |
//! | 8 | length of the payload |
//! | 32 | SHA-256 of every byte before it and of the payload |
//! | … | payload: the state, postcard-encoded |
//!
//! postcard is not self-describing, so every type of the state serialises the same fields in
//! the same order whatever their values; the types the log's JSON writes with skipped fields
//! (commands, outcomes, plans) or that only read themselves from self-describing input
//! (`Decimal`) go through the adapters below.

use std::cell::RefCell;
use std::sync::Arc;

use sha2::{Digest, Sha256};
use thiserror::Error;

use crate::FastMap;
use crate::state::{RULES, State};

/// The format of snapshots this build writes and reads. Bump it whenever a type held by the
/// [`State`] changes (a field added, removed, reordered or retyped): an older snapshot is then
/// ignored instead of misread. (The source fingerprint in the header already keeps a build
/// from reading another build's snapshots; the format says why in the message.)
pub const SNAPSHOT_FORMAT: u32 = 2;

const MAGIC: &[u8; 8] = b"FSSNAP\r\n";
const CODE_BYTES: usize = 16;
const HASH_BYTES: usize = 32;
/// Bytes before the payload.
pub const SNAPSHOT_HEADER_BYTES: usize = 8 + 4 + 4 + CODE_BYTES + 8 + HASH_BYTES + 8 + HASH_BYTES;
const CHECKSUM_AT: usize = SNAPSHOT_HEADER_BYTES - HASH_BYTES;

/// Why a snapshot is not used. Each says what is wrong in words a log line can carry.
#[derive(Debug, Clone, PartialEq, Eq, Error)]
pub enum SnapshotError {
    #[error("not a fairshare snapshot (no magic number)")]
    Foreign,
    #[error("truncated: {have} bytes, {want} expected")]
    Truncated { have: usize, want: usize },
    #[error("format {found}, this build reads format {SNAPSHOT_FORMAT}")]
    Format { found: u32 },
    #[error("written by another build ({found}), this one is {this}")]
    Build { found: String, this: String },
    #[error("checksum mismatch: damaged")]
    Checksum,
    #[error("the state does not decode: {0}")]
    Payload(String),
    #[error("the state stands at event {state}, its header says {header}")]
    Head { state: u64, header: u64 },
}

/// What a snapshot's header says.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SnapshotHeader {
    /// Sequence number of the last event the state holds.
    pub seq: u64,
    /// Hex hash of that event.
    pub head_hash: String,
    /// Bytes of the payload.
    pub payload_bytes: u64,
}

/// The fingerprint of the core's source this build was compiled from (see `build.rs`).
const SOURCE: &str = env!("FAIRSHARE_CORE_SOURCE_HASH");

/// The rules and source of this build, as a message names them.
fn this_build() -> String {
    format!("rules {RULES}, core source {SOURCE}")
}

fn code_field() -> [u8; CODE_BYTES] {
    let mut code = [0u8; CODE_BYTES];
    let source = SOURCE.as_bytes();
    let used = source.len().min(CODE_BYTES);
    code[..used].copy_from_slice(&source[..used]);
    code
}

impl State {
    /// The state as a snapshot, `head_hash` being the hash of its last event
    /// ([`State::head`]).
    pub fn encode_snapshot(&self, head_hash: &str) -> Vec<u8> {
        let mut hash = [0u8; HASH_BYTES];
        // A malformed hash is written as zeros: the book then never matches it to its log.
        let _ = hex::decode_to_slice(head_hash, &mut hash);
        let mut bytes = Vec::with_capacity(SNAPSHOT_HEADER_BYTES + (1 << 20));
        bytes.extend_from_slice(MAGIC);
        bytes.extend_from_slice(&SNAPSHOT_FORMAT.to_le_bytes());
        bytes.extend_from_slice(&RULES.to_le_bytes());
        bytes.extend_from_slice(&code_field());
        bytes.extend_from_slice(&self.head.to_le_bytes());
        bytes.extend_from_slice(&hash);
        bytes.extend_from_slice(&0u64.to_le_bytes()); // the payload's length, below
        bytes.extend_from_slice(&[0u8; HASH_BYTES]); // the checksum, below
        let mut bytes = postcard::to_extend(self, bytes).expect("a state always encodes");
        let payload_bytes = (bytes.len() - SNAPSHOT_HEADER_BYTES) as u64;
        bytes[CHECKSUM_AT - 8..CHECKSUM_AT].copy_from_slice(&payload_bytes.to_le_bytes());
        let checksum = checksum(&bytes);
        bytes[CHECKSUM_AT..SNAPSHOT_HEADER_BYTES].copy_from_slice(&checksum);
        bytes
    }

    /// Whether the payload of `bytes`, a snapshot whose header [`snapshot_header`] has
    /// checked, is exactly what this state encodes to: then the snapshot holds this state (one
    /// state, one encoding: maps are written in key order). Encodes without allocating,
    /// comparing as it goes and stopping at the first byte that differs.
    pub fn snapshot_payload_equals(&self, bytes: &[u8]) -> bool {
        let payload = bytes.get(SNAPSHOT_HEADER_BYTES..).unwrap_or_default();
        let compared = postcard::serialize_with_flavor(self, Compared { rest: payload });
        matches!(compared, Ok(rest) if rest.is_empty())
    }

    /// Reads a snapshot written by [`State::encode_snapshot`]: its header, then (checksum
    /// verified) its state.
    pub fn decode_snapshot(bytes: &[u8]) -> Result<(SnapshotHeader, State), SnapshotError> {
        let header = snapshot_header(bytes)?;
        let state = State::decode_snapshot_payload(bytes, &header)?;
        Ok((header, state))
    }

    /// The state of a snapshot whose `header` [`snapshot_header`] has already checked (with
    /// its checksum): a caller that checks more between the two reads the bytes once.
    pub fn decode_snapshot_payload(
        bytes: &[u8],
        header: &SnapshotHeader,
    ) -> Result<State, SnapshotError> {
        let payload = bytes.get(SNAPSHOT_HEADER_BYTES..).unwrap_or_default();
        let mut state: State = INTERNED.with(|interned| {
            interned.borrow_mut().clear();
            let decoded = postcard::take_from_bytes(payload);
            interned.borrow_mut().clear();
            match decoded {
                Ok((state, [])) => Ok(state),
                Ok((_, rest)) => Err(SnapshotError::Payload(format!(
                    "{} bytes follow the state",
                    rest.len()
                ))),
                Err(error) => Err(SnapshotError::Payload(error.to_string())),
            }
        })?;
        if state.head != header.seq {
            return Err(SnapshotError::Head {
                state: state.head,
                header: header.seq,
            });
        }
        // A distribution's lines are written once, with the distribution.
        let distributions = state.distributions.iter();
        let credits = distributions.map(|d| (d.transaction, d.asset.as_str(), &d.lines));
        state.ledger.link_credits(credits);
        Ok(state)
    }
}

/// A postcard output that compares what it is given with the bytes expected, and fails (which
/// stops the encoding) at the first that differ. Its output is what was not compared.
struct Compared<'a> {
    rest: &'a [u8],
}

impl<'a> postcard::ser_flavors::Flavor for Compared<'a> {
    type Output = &'a [u8];

    fn try_push(&mut self, byte: u8) -> postcard::Result<()> {
        self.try_extend(&[byte])
    }

    fn try_extend(&mut self, data: &[u8]) -> postcard::Result<()> {
        match self.rest.split_at_checked(data.len()) {
            Some((expected, rest)) if expected == data => {
                self.rest = rest;
                Ok(())
            }
            _ => Err(postcard::Error::SerializeBufferFull),
        }
    }

    fn finalize(self) -> postcard::Result<&'a [u8]> {
        Ok(self.rest)
    }
}

/// Checks a snapshot's header and checksum and returns what the header says.
pub fn snapshot_header(bytes: &[u8]) -> Result<SnapshotHeader, SnapshotError> {
    let header = snapshot_header_unsummed(bytes)?;
    check_snapshot_checksum(bytes)?;
    Ok(header)
}

/// Whether a snapshot's checksum matches its bytes, for a reader that checks the rest of the
/// header first ([`snapshot_header_unsummed`]) and hashes while it decodes.
pub fn check_snapshot_checksum(bytes: &[u8]) -> Result<(), SnapshotError> {
    if bytes.len() < SNAPSHOT_HEADER_BYTES {
        return Err(SnapshotError::Truncated {
            have: bytes.len(),
            want: SNAPSHOT_HEADER_BYTES,
        });
    }
    if checksum(bytes) != bytes[CHECKSUM_AT..SNAPSHOT_HEADER_BYTES] {
        return Err(SnapshotError::Checksum);
    }
    Ok(())
}

/// What a snapshot's header says, every check of [`snapshot_header`] made but the checksum.
pub fn snapshot_header_unsummed(bytes: &[u8]) -> Result<SnapshotHeader, SnapshotError> {
    if bytes.len() < MAGIC.len() || &bytes[..MAGIC.len()] != MAGIC {
        return Err(SnapshotError::Foreign);
    }
    if bytes.len() < SNAPSHOT_HEADER_BYTES {
        return Err(SnapshotError::Truncated {
            have: bytes.len(),
            want: SNAPSHOT_HEADER_BYTES,
        });
    }
    let u32_at = |at: usize| u32::from_le_bytes(bytes[at..at + 4].try_into().expect("4 bytes"));
    let u64_at = |at: usize| u64::from_le_bytes(bytes[at..at + 8].try_into().expect("8 bytes"));
    let format = u32_at(8);
    if format != SNAPSHOT_FORMAT {
        return Err(SnapshotError::Format { found: format });
    }
    let rules = u32_at(12);
    let code = &bytes[16..16 + CODE_BYTES];
    if rules != RULES || code != code_field() {
        let version = String::from_utf8_lossy(code);
        return Err(SnapshotError::Build {
            found: format!(
                "rules {rules}, core source {}",
                version.trim_end_matches('\0')
            ),
            this: this_build(),
        });
    }
    let seq = u64_at(16 + CODE_BYTES);
    let hash_at = 16 + CODE_BYTES + 8;
    let head_hash = hex::encode(&bytes[hash_at..hash_at + HASH_BYTES]);
    let payload_bytes = u64_at(CHECKSUM_AT - 8);
    let want = usize::try_from(payload_bytes)
        .ok()
        .and_then(|payload| payload.checked_add(SNAPSHOT_HEADER_BYTES))
        .unwrap_or(usize::MAX);
    if bytes.len() != want {
        return Err(SnapshotError::Truncated {
            have: bytes.len(),
            want,
        });
    }
    Ok(SnapshotHeader {
        seq,
        head_hash,
        payload_bytes,
    })
}

/// SHA-256 of a snapshot's bytes but its checksum field.
fn checksum(bytes: &[u8]) -> [u8; HASH_BYTES] {
    let mut hasher = Sha256::new();
    hasher.update(&bytes[..CHECKSUM_AT]);
    hasher.update(&bytes[SNAPSHOT_HEADER_BYTES..]);
    hasher.finalize().into()
}

thread_local! {
    /// The names read so far by the snapshot being decoded on this thread: a million
    /// contributions then share one allocation per agent, project and category, as the
    /// replayed state does.
    static INTERNED: RefCell<FastMap<Box<str>, Arc<str>>> = RefCell::new(FastMap::default());
}

fn intern(name: &str) -> Arc<str> {
    INTERNED.with(|interned| {
        let mut interned = interned.borrow_mut();
        if let Some(shared) = interned.get(name) {
            return shared.clone();
        }
        let shared: Arc<str> = Arc::from(name);
        interned.insert(name.into(), shared.clone());
        shared
    })
}

/// A hash map written in the order of its keys (`#[serde(serialize_with =
/// "crate::snapshot::sorted")]`): one state then always encodes to the same bytes, whatever
/// order its maps were filled in, so `verify` compares a snapshot with the replay by its bytes.
pub(crate) fn sorted<K, V, H, S>(
    map: &std::collections::HashMap<K, V, H>,
    serializer: S,
) -> Result<S::Ok, S::Error>
where
    K: Ord + serde::Serialize,
    V: serde::Serialize,
    S: serde::Serializer,
{
    serializer.collect_map(in_key_order(map))
}

/// [`sorted`] for a map of maps: both levels in key order.
pub(crate) fn sorted_nested<K, K2, V, H, H2, S>(
    map: &std::collections::HashMap<K, std::collections::HashMap<K2, V, H2>, H>,
    serializer: S,
) -> Result<S::Ok, S::Error>
where
    K: Ord + serde::Serialize,
    K2: Ord + serde::Serialize,
    V: serde::Serialize,
    S: serde::Serializer,
{
    let inner = |(key, map)| (key, SortedMap(map));
    serializer.collect_map(in_key_order(map).into_iter().map(inner))
}

/// The entries of `map`, by key.
pub(crate) fn in_key_order<K: Ord, V, H>(
    map: &std::collections::HashMap<K, V, H>,
) -> Vec<(&K, &V)> {
    let mut entries: Vec<(&K, &V)> = map.iter().collect();
    entries.sort_unstable_by(|a, b| a.0.cmp(b.0));
    entries
}

/// A map serialised by [`sorted`].
struct SortedMap<'a, K, V, H>(&'a std::collections::HashMap<K, V, H>);

impl<K: Ord + serde::Serialize, V: serde::Serialize, H> serde::Serialize
    for SortedMap<'_, K, V, H>
{
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        sorted(self.0, serializer)
    }
}

/// A name shared by many records (`#[serde(with = "crate::snapshot::interned")]`): decoded
/// once per distinct name.
pub(crate) mod interned {
    use std::sync::Arc;

    use serde::{Deserialize, Deserializer, Serialize, Serializer};

    pub fn serialize<S: Serializer>(name: &Arc<str>, serializer: S) -> Result<S::Ok, S::Error> {
        name.serialize(serializer)
    }

    pub fn deserialize<'de, D: Deserializer<'de>>(deserializer: D) -> Result<Arc<str>, D::Error> {
        let name = <std::borrow::Cow<'de, str>>::deserialize(deserializer)?;
        Ok(super::intern(&name))
    }
}

/// [`interned`] for an optional name.
pub(crate) mod interned_option {
    use std::sync::Arc;

    use serde::{Deserialize, Deserializer, Serialize, Serializer};

    pub fn serialize<S: Serializer>(
        name: &Option<Arc<str>>,
        serializer: S,
    ) -> Result<S::Ok, S::Error> {
        name.serialize(serializer)
    }

    pub fn deserialize<'de, D: Deserializer<'de>>(
        deserializer: D,
    ) -> Result<Option<Arc<str>>, D::Error> {
        let name = <Option<std::borrow::Cow<'de, str>>>::deserialize(deserializer)?;
        Ok(name.map(|name| super::intern(&name)))
    }
}

/// A `Decimal` in 16 bytes in a binary format (rust_decimal reads itself only from
/// self-describing input); as rust_decimal writes it elsewhere.
pub(crate) mod decimal {
    use rust_decimal::Decimal;
    use serde::{Deserialize, Deserializer, Serialize, Serializer};

    pub fn serialize<S: Serializer>(value: &Decimal, serializer: S) -> Result<S::Ok, S::Error> {
        if serializer.is_human_readable() {
            return Serialize::serialize(value, serializer);
        }
        Serialize::serialize(&value.serialize(), serializer)
    }

    pub fn deserialize<'de, D: Deserializer<'de>>(deserializer: D) -> Result<Decimal, D::Error> {
        if deserializer.is_human_readable() {
            return <Decimal as Deserialize>::deserialize(deserializer);
        }
        <[u8; 16]>::deserialize(deserializer).map(Decimal::deserialize)
    }
}

/// A rare value of a type written for JSON (skipped fields, `Decimal`s): its JSON text in a
/// binary format, itself elsewhere.
pub(crate) mod json {
    use serde::de::DeserializeOwned;
    use serde::{Deserialize, Deserializer, Serialize, Serializer};

    pub fn serialize<T: Serialize, S: Serializer>(
        value: &T,
        serializer: S,
    ) -> Result<S::Ok, S::Error> {
        if serializer.is_human_readable() {
            return value.serialize(serializer);
        }
        let text = serde_json::to_string(value).map_err(serde::ser::Error::custom)?;
        serializer.serialize_str(&text)
    }

    pub fn deserialize<'de, T: DeserializeOwned, D: Deserializer<'de>>(
        deserializer: D,
    ) -> Result<T, D::Error> {
        if deserializer.is_human_readable() {
            return T::deserialize(deserializer);
        }
        let text = <std::borrow::Cow<'de, str>>::deserialize(deserializer)?;
        serde_json::from_str(&text).map_err(serde::de::Error::custom)
    }
}

/// A resource's co-owners with what each has received, which their JSON leaves out.
pub(crate) mod owners {
    use serde::{Deserialize, Deserializer, Serialize, Serializer};

    use crate::resources::Owner;

    pub fn serialize<S: Serializer>(owners: &[Owner], serializer: S) -> Result<S::Ok, S::Error> {
        if serializer.is_human_readable() {
            return owners.serialize(serializer);
        }
        let rows: Vec<(&str, i128, i128, i128)> = owners
            .iter()
            .map(|o| (o.agent.as_str(), o.pledge, o.cap, o.received))
            .collect();
        rows.serialize(serializer)
    }

    pub fn deserialize<'de, D: Deserializer<'de>>(deserializer: D) -> Result<Vec<Owner>, D::Error> {
        if deserializer.is_human_readable() {
            return Vec::deserialize(deserializer);
        }
        let rows = <Vec<(String, i128, i128, i128)>>::deserialize(deserializer)?;
        Ok(rows
            .into_iter()
            .map(|(agent, pledge, cap, received)| Owner {
                agent,
                pledge,
                cap,
                received,
            })
            .collect())
    }
}

impl State {
    /// The name of the first part of the state that differs from `other`'s, if any: what a
    /// snapshot that disagrees with the replay got wrong.
    pub fn first_difference(&self, other: &State) -> Option<&'static str> {
        // Destructured, so that a new part of the state is not forgotten here.
        let State {
            agents,
            lookalikes,
            projects,
            contributions,
            corrections,
            distributions,
            ledger,
            keys,
            head,
            campaigns,
            resources,
            peer,
            tokens,
            treasury,
            membership,
            governance,
        } = self;
        let parts: [(&'static str, bool); 16] = [
            ("agents", *agents == other.agents),
            ("lookalike handles", *lookalikes == other.lookalikes),
            ("projects", *projects == other.projects),
            ("contributions", *contributions == other.contributions),
            ("corrections", *corrections == other.corrections),
            ("distributions", *distributions == other.distributions),
            ("ledger", *ledger == other.ledger),
            ("idempotency keys", *keys == other.keys),
            ("head", *head == other.head),
            ("campaigns", *campaigns == other.campaigns),
            ("resources", *resources == other.resources),
            ("peer valuation", *peer == other.peer),
            ("tokens", *tokens == other.tokens),
            ("treasury", *treasury == other.treasury),
            ("membership", *membership == other.membership),
            ("governance", *governance == other.governance),
        ];
        parts
            .into_iter()
            .find(|(_, same)| !same)
            .map(|(name, _)| name)
    }
}

#[cfg(test)]
mod tests {
    use crate::test_book::Book;
    use crate::{Command, Role, State};

    const HEAD: &str = "ab00000000000000000000000000000000000000000000000000000000000000";

    /// The treasury story, with a revenue, keyed events and agents enough to fill the maps.
    fn story() -> Book {
        let mut book = Book::lab(1);
        book.keyed = true;
        for n in 0..40 {
            book.op(Command::add_agent(&format!("m{n:02}"), Role::Affiliate));
        }
        book.op(Command::revenue("lab", "1000.00"));
        book
    }

    #[test]
    fn a_state_equals_its_own_snapshot_and_no_other() {
        let book = story();
        let bytes = book.state.encode_snapshot(HEAD);
        assert!(book.state.snapshot_payload_equals(&bytes));
        // A copy whose maps were filled in another order encodes the same.
        let (_, decoded) = State::decode_snapshot(&bytes).unwrap();
        assert!(decoded.snapshot_payload_equals(&bytes));
        assert_eq!(decoded.encode_snapshot(HEAD), bytes);

        let mut later = story();
        later.op(Command::add_agent("zed", Role::Affiliate));
        assert!(!later.state.snapshot_payload_equals(&bytes));
        let mut longer = bytes.clone();
        longer.push(0);
        assert!(!book.state.snapshot_payload_equals(&longer));
        assert!(
            !book
                .state
                .snapshot_payload_equals(&bytes[..bytes.len() - 1])
        );
        assert!(!book.state.snapshot_payload_equals(&bytes[..10]));
    }
}
