//! The corrections report: for each past distribution of a project made before a correction
//! counted, what each account received and what it would have received with the corrections.
//!
//! Past distributions never change. The report replays the log up to each such distribution,
//! gives that past state the corrections that counted after it ([`State::correct_past`]) and
//! decides the same revenue command again: the same code as the real split, nothing recorded.

use std::collections::BTreeMap;

use fairshare_core::{Command, Date, DomainError, EventBody, Outcome, State};
use fairshare_store::Store;

use crate::{BookError, BookResult, lent_ctx, scan_lent_rows};

/// One past distribution, received and corrected.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CorrectedDistribution {
    pub id: u64,
    pub seq: u64,
    pub date: Date,
    pub amount: i128,
    pub asset: String,
    pub exponent: u32,
    /// Every account paid in either split, in byte order: (received, corrected).
    pub accounts: BTreeMap<String, (i128, i128)>,
}

/// The book's state now, and the project's past distributions that a later correction
/// concerns, oldest first.
pub fn corrections_report(
    store: &mut dyn Store,
    project: &str,
) -> BookResult<(State, Vec<CorrectedDistribution>)> {
    let now = state_now(store)?;
    now.project(project)?;
    let last_counted = now
        .corrections()
        .iter()
        .filter(|c| &*c.project == project)
        .filter_map(|c| c.counted_seq)
        .max();
    let Some(last_counted) = last_counted else {
        return Ok((now, Vec::new()));
    };
    let concerned: BTreeMap<u64, u64> = now
        .distributions()
        .iter()
        .filter(|d| d.project == project && d.seq < last_counted)
        .map(|d| (d.seq, d.id))
        .collect();
    let Some(&until) = concerned.keys().next_back() else {
        return Ok((now, Vec::new()));
    };
    let mut report = Vec::with_capacity(concerned.len());
    replay(store, until, &mut |past, ctx, command| {
        if !concerned.contains_key(&ctx.seq) {
            return Ok(());
        }
        let mut corrected = past.clone();
        corrected.correct_past(&now, project, ctx.seq)?;
        let ctx = fairshare_core::Ctx {
            key: None,
            ..ctx.clone()
        };
        let Outcome::Distributed { id, lines, .. } = corrected.decide(&ctx, command)? else {
            return Err(
                DomainError::corrupt("a distribution decided again is no distribution").into(),
            );
        };
        let recorded = now.distribution(id)?;
        let mut accounts: BTreeMap<String, (i128, i128)> = BTreeMap::new();
        for line in recorded.lines.iter() {
            accounts.entry(line.to.to_string()).or_default().0 += line.amount;
        }
        for line in &lines {
            accounts.entry(line.to.to_string()).or_default().1 += line.amount;
        }
        report.push(CorrectedDistribution {
            id,
            seq: recorded.seq,
            date: recorded.date,
            amount: recorded.amount,
            asset: recorded.asset.clone(),
            exponent: recorded.exponent,
            accounts,
        });
        Ok(())
    })?;
    Ok((now, report))
}

/// The state at the log's head: from the newest usable snapshot and the events after it, as
/// an open does. Only the past states need the log from its first event, and only when a
/// correction counted after a distribution.
fn state_now(store: &mut dyn Store) -> BookResult<State> {
    let head = store.head()?;
    // Passed over here as an open passes them over; an open and `verify` say why.
    let mut passed_over = Vec::new();
    let mut state = crate::snapshots::newest_usable(store, head, &mut passed_over)?
        .map_or_else(State::new, |loaded| loaded.state);
    scan_lent_rows(store, state.head(), &mut |row| {
        crate::apply_parsed(&mut state, crate::parse_row(row)?)
    })?;
    Ok(state)
}

/// Replays the log up to event `until`, calling `before` with the state before each event.
fn replay(
    store: &mut dyn Store,
    until: u64,
    before: &mut dyn FnMut(&State, &fairshare_core::Ctx, &Command) -> BookResult<()>,
) -> BookResult<State> {
    let mut state = State::new();
    const DONE: &str = "corrections report: replayed far enough";
    let scanned = scan_lent_rows(store, 0, &mut |row| {
        if row.seq > until {
            return Err(BookError::Input(DONE.into()));
        }
        let body = EventBody::from_json(row.body).map_err(|message| BookError::Corrupt {
            seq: row.seq,
            message,
        })?;
        let ctx = crate::decided_by(lent_ctx(row)?, &body);
        before(&state, &ctx, &body.command)?;
        state
            .apply_owned(&ctx, &body.command, body.outcome)
            .map_err(|error| BookError::Corrupt {
                seq: row.seq,
                message: error.to_string(),
            })
    });
    match scanned {
        Err(BookError::Input(message)) if message == DONE => Ok(state),
        other => other.map(|()| state),
    }
}
