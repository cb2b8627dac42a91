//! `verify`: recompute the hash chain and every outcome from the start, then the invariants.

use fairshare_core::{EventBody, GENESIS_HASH, State, chain_hash, payload_hash};
use fairshare_store::{Store, StoreError};

use crate::{BookResult, row_ctx};

/// The result of verifying a book: how far it got and the first problem, if any.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct VerifyReport {
    /// Events checked and found sound.
    pub events: u64,
    /// Hash of the last sound event.
    pub head_hash: String,
    /// The first broken event: its sequence number and what is wrong.
    pub problem: Option<(u64, String)>,
}

impl VerifyReport {
    pub fn ok(&self) -> bool {
        self.problem.is_none()
    }
}

/// Reads the whole log from `store` and checks, event by event: contiguous sequence numbers,
/// the previous hash, the event's own hash, its payload hash, that its body parses, that the
/// core decides the same outcome again (roles, amounts, every payout line), and that applying
/// it keeps the ledger balanced. Then audits the final state's invariants.
pub fn verify(store: &mut dyn Store) -> BookResult<VerifyReport> {
    let mut state = State::new();
    let mut report = VerifyReport {
        events: 0,
        head_hash: GENESIS_HASH.to_string(),
        problem: None,
    };
    let mut stop: Option<(u64, String)> = None;
    let scanned = store.scan(0, &mut |row| {
        let expected_seq = report.events + 1;
        let problem = check_row(&mut state, &report.head_hash, expected_seq, &row);
        match problem {
            None => {
                report.events = row.seq;
                report.head_hash = row.hash;
                Ok(())
            }
            Some(message) => {
                stop = Some((row.seq, message));
                Err(StoreError::Backend("verification stopped".into()))
            }
        }
    });
    if let Some(problem) = stop {
        report.problem = Some(problem);
        return Ok(report);
    }
    scanned?;
    if let Err(error) = audit(&state) {
        report.problem = Some((report.events, format!("after replay: {error}")));
    }
    Ok(report)
}

fn check_row(
    state: &mut State,
    prev_hash: &str,
    expected_seq: u64,
    row: &fairshare_store::EventRow,
) -> Option<String> {
    if row.seq != expected_seq {
        return Some(format!(
            "expected sequence number {expected_seq}, found {}",
            row.seq
        ));
    }
    if row.prev_hash != prev_hash {
        return Some(format!(
            "previous hash is {} but the event before hashes to {prev_hash}",
            row.prev_hash
        ));
    }
    let hash = chain_hash(
        row.seq,
        &row.recorded_at,
        &row.actor,
        row.idempotency_key.as_deref(),
        &row.payload_hash,
        &row.body,
        &row.prev_hash,
    );
    if hash != row.hash {
        return Some(format!(
            "stored hash {} does not match its contents (recomputed {hash})",
            row.hash
        ));
    }
    let body = match EventBody::from_json(&row.body) {
        Ok(body) => body,
        Err(error) => return Some(format!("body does not parse: {error}")),
    };
    if payload_hash(&row.actor, &body.command) != row.payload_hash {
        return Some("payload hash does not match the actor and command".to_string());
    }
    let ctx = match row_ctx(row) {
        Ok(ctx) => ctx,
        Err(error) => return Some(error.to_string()),
    };
    if let Some(key) = &ctx.key
        && state.key_record(key).is_some()
    {
        return Some(format!("idempotency key {key:?} is used twice"));
    }
    let outcome = match state.decide(&ctx, &body.command) {
        Ok(outcome) if outcome == body.outcome => outcome,
        Ok(_) => {
            return Some(format!(
                "recorded outcome of {} differs from its recomputation",
                body.command.op()
            ));
        }
        Err(error) => {
            return Some(format!(
                "{} would be refused now: {error}",
                body.command.op()
            ));
        }
    };
    if let Err(error) = state.apply_owned(&ctx, &body.command, outcome) {
        return Some(error.to_string());
    }
    None
}

/// Invariants of a replayed state: a balanced ledger with no forbidden negative balance,
/// every distribution adding up to its amount, no claim paid past what is owed.
fn audit(state: &State) -> Result<(), String> {
    state.ledger().audit().map_err(|e| e.to_string())?;
    for distribution in state.distributions() {
        let sum: i128 = distribution.lines.iter().map(|l| l.amount).sum();
        if sum != distribution.amount {
            return Err(format!(
                "distribution {} places {sum} of {}",
                distribution.id, distribution.amount
            ));
        }
    }
    for project in state.projects() {
        if let Some(claim) = project
            .claims
            .iter()
            .find(|c| c.paid > c.owed || c.paid < 0)
        {
            return Err(format!(
                "claim of contribution {} is paid {} of {}",
                claim.contribution, claim.paid, claim.owed
            ));
        }
    }
    Ok(())
}
