//! Events as they are logged: a command, its outcome, who and when, chained by SHA-256.

use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};

use crate::command::{Command, Outcome};

/// The hash that precedes the first event.
pub const GENESIS_HASH: &str = "0000000000000000000000000000000000000000000000000000000000000000";

/// The body of a logged event: the command as asked and the outcome the core decided.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct EventBody {
    pub command: Command,
    pub outcome: Outcome,
    /// The rules the outcome was decided by (`crate::RULES`); absent in events written
    /// before rules were numbered, which keep their bytes and hashes.
    #[serde(default = "rules_unmarked", skip_serializing_if = "is_rules_unmarked")]
    pub rules: u32,
}

fn rules_unmarked() -> u32 {
    crate::state::RULES_UNMARKED
}

fn is_rules_unmarked(rules: &u32) -> bool {
    *rules == crate::state::RULES_UNMARKED
}

impl EventBody {
    /// Canonical JSON: fields in declaration order, no whitespace, maps sorted (the core uses
    /// no hash maps in anything it serialises).
    pub fn to_json(&self) -> String {
        serde_json::to_string(self).expect("event bodies always serialise")
    }

    pub fn from_json(text: &str) -> Result<EventBody, String> {
        serde_json::from_str(text).map_err(|e| e.to_string())
    }
}

fn sha256_hex(parts: &[&str]) -> String {
    let mut hasher = Sha256::new();
    for part in parts {
        // Length-prefix every field so that no two different rows hash the same bytes.
        hasher.update((part.len() as u64).to_be_bytes());
        hasher.update(part.as_bytes());
    }
    hex_of(&hasher.finalize().into())
}

/// Lower-case hex of a SHA-256 digest. `hex::encode` goes through a char iterator, which made
/// hex a third of the cost of hashing an event.
fn hex_of(digest: &[u8; 32]) -> String {
    let mut text = [0u8; 64];
    hex::encode_to_slice(digest, &mut text).expect("64 bytes hold 32 in hex");
    String::from_utf8(text.to_vec()).expect("hex is ASCII")
}

/// What an idempotency key protects: the actor and the command, canonically.
pub fn payload_hash(actor: &str, command: &Command) -> String {
    sha256_hex(&[actor, &crate::command::command_json(command)])
}

/// The chain hash of one event over every stored field and the previous hash.
pub fn chain_hash(
    seq: u64,
    recorded_at: &str,
    actor: &str,
    idempotency_key: Option<&str>,
    payload_hash: &str,
    body: &str,
    prev_hash: &str,
) -> String {
    let seq_text = seq.to_string();
    let key = match idempotency_key {
        Some(key) => format!("1{key}"),
        None => "0".to_string(),
    };
    sha256_hex(&[
        &seq_text,
        recorded_at,
        actor,
        &key,
        payload_hash,
        body,
        prev_hash,
    ])
}
