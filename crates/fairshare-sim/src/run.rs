//! One simulated run: the loop, the faults it arms, the crashes, and what it remembers of
//! every answer it got (to check exactly-once and durability).

use std::collections::BTreeMap;
use std::fmt;

use fairshare_book::{Book, BookError, Executed, Request};
use fairshare_core::{OPERATOR, State, Timestamp};
use fairshare_store::StoreError;

use crate::check;
use crate::disk::{Armed, Disk, Fault, FaultyStore};
use crate::rng::Rng;
use crate::workload::{self, Ask, Workload};

/// What to simulate.
#[derive(Debug, Clone, Copy)]
pub struct Options {
    pub seed: u64,
    pub steps: u64,
    /// Inject faults and crashes (off: the same workload on a perfect disk).
    pub faults: bool,
    /// Replay and verify the whole disk every this many steps (and after every crash).
    pub replay_every_steps: u64,
    /// A disk that loses its last row at each crash: for the simulator's own test that a
    /// lost acknowledged write is caught.
    pub lossy_disk: bool,
}

impl Options {
    pub fn new(seed: u64, steps: u64) -> Options {
        Options {
            seed,
            steps,
            faults: true,
            replay_every_steps: 100,
            lossy_disk: false,
        }
    }
}

/// What a run did.
#[derive(Debug, Default, Clone, PartialEq, Eq)]
pub struct Report {
    pub steps: u64,
    pub events: u64,
    pub acknowledged: u64,
    pub refused: u64,
    pub retries: u64,
    pub faults: BTreeMap<&'static str, u64>,
    pub crashes: u64,
    /// Snapshots written on request (beside the automatic ones) and snapshots damaged.
    pub snapshots: u64,
    pub snapshots_damaged: u64,
    /// The events on the disk at the end, by operation.
    pub ops: BTreeMap<&'static str, u64>,
}

impl fmt::Display for Report {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "{} steps, {} events, {} acknowledged, {} refused, {} retries, {} crashes, {} snapshots ({} damaged), faults {:?}, events {:?}",
            self.steps,
            self.events,
            self.acknowledged,
            self.refused,
            self.retries,
            self.crashes,
            self.snapshots,
            self.snapshots_damaged,
            self.faults,
            self.ops
        )
    }
}

/// A broken invariant, with what replays it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Failure {
    pub seed: u64,
    pub step: u64,
    pub message: String,
}

impl fmt::Display for Failure {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "seed {} step {}: {} (replay: scripts/simulate --seed {} --steps {})",
            self.seed, self.step, self.message, self.seed, self.step
        )
    }
}

/// A request whose answer was lost: its client retries it with the same key.
struct Unanswered {
    ask: Ask,
    /// The append was durable (the answer, not the write, was lost).
    durable: bool,
}

struct Sim {
    options: Options,
    rng: Rng,
    workload: Workload,
    clock: Timestamp,
    disk: Disk,
    armed: Armed,
    book: Book,
    /// Every acknowledged write: its key, and the event and hash it was given.
    acknowledged: BTreeMap<String, (u64, String)>,
    unanswered: Vec<Unanswered>,
    report: Report,
}

/// Runs one simulation; the first broken invariant ends it.
pub fn simulate(options: Options) -> Result<Report, Failure> {
    let mut sim = Sim::new(options).map_err(|message| Failure {
        seed: options.seed,
        step: 0,
        message,
    })?;
    for step in 1..=options.steps {
        sim.step(step).map_err(|message| Failure {
            seed: options.seed,
            step,
            message,
        })?;
    }
    sim.finish().map_err(|message| Failure {
        seed: options.seed,
        step: options.steps,
        message,
    })?;
    Ok(sim.report)
}

impl Sim {
    fn new(options: Options) -> Result<Sim, String> {
        let (disk, armed) = (Disk::default(), Armed::default());
        let mut book = open(&disk, &armed)?;
        let clock = Timestamp::parse("2026-01-05T09:00:00Z").expect("a valid instant");
        for command in workload::setup() {
            book.execute(OPERATOR, &command, None, &clock.to_string())
                .map_err(|error| format!("setup {command:?}: {error}"))?;
        }
        Ok(Sim {
            options,
            rng: Rng::new(options.seed),
            workload: Workload::new(options.seed),
            clock,
            disk,
            armed,
            book,
            acknowledged: BTreeMap::new(),
            unanswered: Vec::new(),
            report: Report::default(),
        })
    }

    fn step(&mut self, step: u64) -> Result<(), String> {
        self.report.steps = step;
        self.tick();
        if self.options.faults && self.rng.chance(10) {
            self.crash()?;
        }
        self.maybe_snapshot()?;
        if !self.unanswered.is_empty() && self.rng.chance(400) {
            self.retry()?;
        } else if self.rng.chance(20) && !self.acknowledged.is_empty() {
            self.repeat()?;
        } else {
            let size = if self.rng.chance(100) {
                2 + self.rng.below(4)
            } else {
                1
            };
            let asks: Vec<Ask> = (0..size)
                .map(|_| self.workload.next(self.book.state()))
                .collect();
            self.send(asks)?;
        }
        self.check(step)
    }

    /// Time passes: seconds mostly, hours often, days sometimes (so votes close and
    /// proposals come into force).
    fn tick(&mut self) {
        let seconds = match self.rng.below(20) {
            0 => 86_400 * (1 + self.rng.below(3)),
            1..=5 => 3_600 * (1 + self.rng.below(12)),
            _ => 1 + self.rng.below(600),
        };
        self.clock = Timestamp(self.clock.0 + seconds as i64);
    }

    /// Sends a batch (one group commit), perhaps with a fault armed, and checks each answer.
    fn send(&mut self, asks: Vec<Ask>) -> Result<(), String> {
        let fault = self.arm();
        let before = (asks.len() == 1 && fault.is_none()).then(|| self.book.state().clone());
        let disk_head = self.disk.lock().rows().len() as u64;
        let requests: Vec<Request> = asks.iter().map(|ask| self.request(ask)).collect();
        let results = self.book.execute_batch(&requests);
        let still_armed = self.armed.lock().expect("one thread").take();
        let fired = fault.filter(|_| still_armed.is_none());
        for (ask, result) in asks.into_iter().zip(results) {
            match result {
                Ok(executed) => self.answered(&ask, &executed, false)?,
                Err(BookError::Store(StoreError::Backend(_)) | BookError::Input(_))
                    if fired.is_some() =>
                {
                    let durable = fired == Some(Fault::AckLost) && self.on_disk(&ask.key);
                    self.unanswered.push(Unanswered { ask, durable });
                }
                Err(error) => {
                    self.report.refused += 1;
                    if std::env::var_os("SIM_DEBUG").is_some() {
                        eprintln!("refused {} {:?}: {error}", ask.actor, ask.command);
                    }
                    if let Some(before) = &before {
                        self.unchanged(before, disk_head).map_err(|what| {
                            format!("a refused {} {what}: {error}", ask.command.op())
                        })?;
                    }
                }
            }
        }
        if let Some(fault) = fired {
            *self.report.faults.entry(fault_name(fault)).or_default() += 1;
            let now = self.disk.lock().rows().len() as u64;
            if fault == Fault::AppendLost && now != disk_head {
                return Err(format!(
                    "a lost append left {} rows on the disk",
                    now - disk_head
                ));
            }
        }
        Ok(())
    }

    /// A refused request changed nothing: no row beside the proposals that came into force
    /// before it (the book enacts those before any write), and without them the same state.
    fn unchanged(&self, before: &State, disk_head: u64) -> Result<(), String> {
        let disk = self.disk.lock();
        let added = &disk.rows()[disk_head as usize..];
        if let Some(row) = added.iter().find(|row| row.idempotency_key.is_some()) {
            return Err(format!("left event {} on the disk", row.seq));
        }
        if added.is_empty() && before != self.book.state() {
            return Err("changed the state".into());
        }
        Ok(())
    }

    fn on_disk(&self, key: &str) -> bool {
        let disk = self.disk.lock();
        disk.rows()
            .iter()
            .any(|row| row.idempotency_key.as_deref() == Some(key))
    }

    /// Arms a fault for the next request, now and then.
    fn arm(&mut self) -> Option<Fault> {
        if !self.options.faults {
            return None;
        }
        let fault = match self.rng.below(100) {
            0..=2 => Fault::AppendLost,
            3..=5 => Fault::AckLost,
            6 => Fault::ReadFailed,
            _ => return None,
        };
        *self.armed.lock().expect("one thread") = Some(fault);
        Some(fault)
    }

    fn request(&self, ask: &Ask) -> Request {
        Request {
            actor: ask.actor.clone(),
            command: ask.command.clone(),
            key: Some(ask.key.clone()),
            recorded_at: self.clock.to_string(),
        }
    }

    /// Remembers an acknowledged answer; a replayed one must be the first answer again.
    fn answered(&mut self, ask: &Ask, executed: &Executed, retry: bool) -> Result<(), String> {
        if executed.replayed {
            let first = self.acknowledged.get(&ask.key).map(|(seq, _)| *seq);
            if !retry && first.is_none() {
                return Err(format!("key {} replayed but never acknowledged", ask.key));
            }
            if first.is_some_and(|seq| seq != executed.seq) {
                return Err(format!(
                    "key {} answered event {} then {}",
                    ask.key,
                    first.unwrap_or(0),
                    executed.seq
                ));
            }
        }
        let row = self
            .disk
            .lock()
            .rows()
            .get(executed.seq as usize - 1)
            .cloned();
        let row = row.ok_or_else(|| {
            format!(
                "key {} acknowledged event {} that is not on the disk",
                ask.key, executed.seq
            )
        })?;
        if row.idempotency_key.as_deref() != Some(ask.key.as_str()) {
            return Err(format!(
                "key {} acknowledged event {} which holds {:?}",
                ask.key, executed.seq, row.idempotency_key
            ));
        }
        self.acknowledged
            .insert(ask.key.clone(), (executed.seq, row.hash));
        self.report.acknowledged += 1;
        Ok(())
    }

    /// A client whose answer was lost tries again with the same key.
    fn retry(&mut self) -> Result<(), String> {
        let index = self.rng.below(self.unanswered.len() as u64) as usize;
        let Unanswered { ask, durable } = self.unanswered.swap_remove(index);
        self.report.retries += 1;
        let request = self.request(&ask);
        match self
            .book
            .execute_batch(std::slice::from_ref(&request))
            .pop()
        {
            Some(Ok(executed)) => {
                if durable && !executed.replayed {
                    return Err(format!(
                        "key {}: a durable write was written again as event {}",
                        ask.key, executed.seq
                    ));
                }
                self.answered(&ask, &executed, true)
            }
            Some(Err(_)) if durable => Err(format!(
                "key {}: the retry of a durable write was refused",
                ask.key
            )),
            // A write that never reached the disk is decided afresh, and may be refused now.
            _ => Ok(()),
        }
    }

    /// A client sends an acknowledged request again: the same answer, nothing new.
    fn repeat(&mut self) -> Result<(), String> {
        let keys: Vec<&String> = self.acknowledged.keys().collect();
        let key = self.rng.pick(&keys).clone();
        let (seq, _) = self.acknowledged[&key].clone();
        let row = self.disk.lock().rows()[seq as usize - 1].clone();
        let command = fairshare_core::EventBody::from_json(&row.body)
            .map_err(|error| format!("event {seq}: {error}"))?
            .command;
        let before = self.book.state().clone();
        let disk_head = self.disk.lock().rows().len() as u64;
        let ask = Ask {
            actor: row.actor.clone(),
            command,
            key,
        };
        let executed = self
            .book
            .execute(
                &ask.actor,
                &ask.command,
                Some(&ask.key),
                &self.clock.to_string(),
            )
            .map_err(|error| format!("repeating key {}: {error}", ask.key))?;
        if !executed.replayed || executed.seq != seq {
            return Err(format!(
                "repeating key {} (event {seq}) was answered as a new event {}",
                ask.key, executed.seq
            ));
        }
        // Nothing new but the proposals that came into force before it.
        self.unchanged(&before, disk_head)
            .map_err(|what| format!("repeating key {} {what}", ask.key))?;
        self.report.retries += 1;
        Ok(())
    }

    /// Now and then a snapshot is written on request, and (with faults) the newest one goes
    /// bad on the disk; the next restart must pass over it.
    fn maybe_snapshot(&mut self) -> Result<(), String> {
        if self.rng.chance(10) {
            self.book
                .snapshot()
                .map_err(|error| format!("snapshot: {error}"))?;
            self.report.snapshots += 1;
        }
        if self.options.faults && self.rng.chance(5) {
            let at = self.rng.next_u64();
            if self.disk.damage_newest_snapshot(at) {
                self.report.snapshots_damaged += 1;
            }
        }
        Ok(())
    }

    /// The process dies: the book is dropped and opened again from the disk.
    fn crash(&mut self) -> Result<(), String> {
        self.report.crashes += 1;
        let live: State = self.book.state().clone();
        if self.options.lossy_disk {
            self.disk.lose_last_row();
        }
        self.book = open(&self.disk, &self.armed)?;
        if self.book.state() != &live {
            return Err("after a restart the book differs from the one before the crash".into());
        }
        self.durable()
    }

    /// Every acknowledged write is on the disk, as acknowledged; every key is used once.
    fn durable(&self) -> Result<(), String> {
        let disk = self.disk.lock();
        let mut seen = std::collections::BTreeSet::new();
        for row in disk.rows() {
            if let Some(key) = &row.idempotency_key
                && !seen.insert(key.as_str())
            {
                return Err(format!("key {key} is on the disk twice"));
            }
        }
        for (key, (seq, hash)) in &self.acknowledged {
            let row = disk.rows().get(*seq as usize - 1);
            if row.map(|row| &row.hash) != Some(hash) {
                return Err(format!(
                    "acknowledged key {key} (event {seq}) is gone or changed"
                ));
            }
        }
        Ok(())
    }

    fn check(&mut self, step: u64) -> Result<(), String> {
        check::money(self.book.state())?;
        check::in_step(&self.book, &self.disk.lock())?;
        if step.is_multiple_of(self.options.replay_every_steps) {
            check::aggregates(self.book.state())?;
            self.durable()?;
            check::replay(&self.book, self.disk.copy())?;
        }
        Ok(())
    }

    /// The end of a run: every client retries until answered, then everything is checked.
    fn finish(&mut self) -> Result<(), String> {
        *self.armed.lock().expect("one thread") = None;
        while !self.unanswered.is_empty() {
            self.retry()?;
        }
        self.report.events = self.disk.lock().rows().len() as u64;
        for row in self.disk.lock().rows() {
            let body = fairshare_core::EventBody::from_json(&row.body)
                .map_err(|error| format!("event {}: {error}", row.seq))?;
            *self.report.ops.entry(body.command.op()).or_default() += 1;
        }
        self.durable()?;
        check::money(self.book.state())?;
        check::replay(&self.book, self.disk.copy())
    }
}

/// Automatic snapshots this often: a run crosses many, so restarts load them.
const SNAPSHOT_EVERY_EVENTS: u64 = 150;

/// A process opening the disk: from its newest usable snapshot and the tail.
fn open(disk: &Disk, armed: &Armed) -> Result<Book, String> {
    let mut book = Book::open(Box::new(FaultyStore::new(disk.clone(), armed.clone())))
        .map_err(|error| format!("open: {error}"))?;
    book.set_snapshot_every(Some(SNAPSHOT_EVERY_EVENTS));
    Ok(book)
}

fn fault_name(fault: Fault) -> &'static str {
    match fault {
        Fault::AppendLost => "append_lost",
        Fault::AckLost => "ack_lost",
        Fault::ReadFailed => "read_failed",
    }
}
