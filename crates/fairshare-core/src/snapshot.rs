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
//! | 8 | length of the checked state: the state and the part index, the payload's first bytes |
//! | 32 | SHA-256 of every byte before it and of the checked state |
//! | … | payload: the state, postcard-encoded, without its deferred parts |
//! | 160 | the part index: for each deferred part ([`DEFERRED_PARTS`]), its length (8) and the SHA-256 of its bytes (32) |
//! | … | each deferred part's bytes, postcard-encoded, in that order |
//!
//! An open reads and checks only the header and the checked state (a few MB on a book of a
//! million contributions): each deferred part is read when a command first uses it, and
//! checked against the index then (`deferred.rs`).
//!
//! postcard is not self-describing, so every type of the state serialises the same fields in
//! the same order whatever their values; the types the log's JSON writes with skipped fields
//! (commands, outcomes, plans) or that only read themselves from self-describing input
//! (`Decimal`) go through the adapters below.

use std::cell::RefCell;
use std::io::{BufRead, Read, Seek, SeekFrom, Write};
use std::sync::Arc;

use sha2::{Digest, Sha256};
use thiserror::Error;

use crate::FastMap;
use serde::Deserialize;

use crate::deferred::{AnyPart, Buffered, Deferred, Encoded, PartSource, Sink, Stored};
use crate::state::{RULES, State};

/// The format of snapshots this build writes and reads. Bump it whenever a type held by the
/// [`State`] changes (a field added, removed, reordered or retyped): an older snapshot is then
/// ignored instead of misread. (The source fingerprint in the header already keeps a build
/// from reading another build's snapshots; the format says why in the message.)
pub const SNAPSHOT_FORMAT: u32 = 7;

const MAGIC: &[u8; 8] = b"FSSNAP\r\n";
const CODE_BYTES: usize = 16;
const HASH_BYTES: usize = 32;
/// Bytes before the payload.
pub const SNAPSHOT_HEADER_BYTES: usize =
    8 + 4 + 4 + CODE_BYTES + 8 + HASH_BYTES + 8 + 8 + HASH_BYTES;
const CHECKSUM_AT: usize = SNAPSHOT_HEADER_BYTES - HASH_BYTES;
const STATE_BYTES_AT: usize = CHECKSUM_AT - 8;
const PAYLOAD_BYTES_AT: usize = STATE_BYTES_AT - 8;

/// The parts of the state a snapshot writes after the rest, and an open leaves unread until
/// they are used, in the order it writes them: what grows with a book's history.
pub const DEFERRED_PARTS: [&str; 4] = [
    "contributions",
    "idempotency keys",
    "ledger journal",
    "distributions",
];

/// One entry of the part index: a part's length and checksum.
const PART_ENTRY_BYTES: usize = 8 + HASH_BYTES;
/// Bytes of the part index, the last of the checked state.
pub const PART_INDEX_BYTES: usize = DEFERRED_PARTS.len() * PART_ENTRY_BYTES;

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
    /// Bytes of the payload the checksum covers: the state and the part index, without the
    /// deferred parts' bytes (each has its own checksum in the index).
    pub state_bytes: u64,
}

/// Where each deferred part lies in a snapshot, as its part index says: length and checksum.
type PartIndex = [(u64, [u8; HASH_BYTES]); DEFERRED_PARTS.len()];

fn parse_part_index(bytes: &[u8]) -> PartIndex {
    debug_assert_eq!(bytes.len(), PART_INDEX_BYTES);
    std::array::from_fn(|part| {
        let entry = &bytes[part * PART_ENTRY_BYTES..(part + 1) * PART_ENTRY_BYTES];
        let length = u64::from_le_bytes(entry[..8].try_into().expect("8 bytes"));
        (length, entry[8..].try_into().expect("32 bytes"))
    })
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
        let length = self.snapshot_len();
        let capacity = usize::try_from(length).expect("a snapshot fits in memory");
        let mut bytes = std::io::Cursor::new(Vec::with_capacity(capacity));
        self.write_snapshot(head_hash, length, &mut bytes)
            .expect("memory takes every write");
        bytes.into_inner()
    }

    /// How many bytes the snapshot of this state takes, counted without writing them.
    pub fn snapshot_len(&self) -> u64 {
        let (state_bytes, parts) = self.snapshot_layout();
        SNAPSHOT_HEADER_BYTES as u64 + state_bytes + parts.iter().sum::<u64>()
    }

    /// The bytes of the checked state (the state and the part index), and of each deferred
    /// part, counted without writing them.
    fn snapshot_layout(&self) -> (u64, [u64; DEFERRED_PARTS.len()]) {
        let state_bytes = bytes(self) + PART_INDEX_BYTES as u64;
        let parts = self.deferred_parts().map(|part| part.encoded_len());
        (state_bytes, parts)
    }

    /// Writes the snapshot of this state (`head_hash` as for [`State::encode_snapshot`]) into
    /// `out` from where it stands: `length` bytes, which [`State::snapshot_len`] counted, a
    /// buffer at a time, hashing as it goes; then goes back to put the checksum into the
    /// header. So nothing holds the whole snapshot: `out` may be a SQLite blob of that length,
    /// written in place.
    pub fn write_snapshot<W: Write + Seek + ?Sized>(
        &self,
        head_hash: &str,
        length: u64,
        out: &mut W,
    ) -> std::io::Result<()> {
        let start = out.stream_position()?;
        let (state_bytes, parts) = self.snapshot_layout();
        let payload_bytes = length.saturating_sub(SNAPSHOT_HEADER_BYTES as u64);
        let header = self.snapshot_header_bytes(head_hash, payload_bytes, state_bytes);
        let mut hasher = Sha256::new();
        hasher.update(&header[..CHECKSUM_AT]);
        out.write_all(&header)?;
        let written = write_hashed(out, &mut hasher, &mut |sink| {
            postcard::serialize_with_flavor(self, Buffered::new(sink))
        })?;
        // The part index comes next: written once each part is, with its checksum.
        out.write_all(&[0u8; PART_INDEX_BYTES])?;
        let mut index = Vec::with_capacity(PART_INDEX_BYTES);
        for part in self.deferred_parts() {
            let mut part_hasher = Sha256::new();
            let part_bytes =
                write_hashed(out, &mut part_hasher, &mut |sink| part.encode_into(sink))?;
            index.extend_from_slice(&part_bytes.to_le_bytes());
            index.extend_from_slice(&part_hasher.finalize());
        }
        let counted = state_bytes + parts.iter().sum::<u64>();
        let written = written + PART_INDEX_BYTES as u64 + index_lengths(&index);
        if written != payload_bytes || counted != payload_bytes {
            return Err(std::io::Error::other(format!(
                "the state wrote {written} bytes, {counted} counted, {payload_bytes} expected"
            )));
        }
        hasher.update(&index);
        let index_at = start + SNAPSHOT_HEADER_BYTES as u64 + state_bytes - PART_INDEX_BYTES as u64;
        out.seek(SeekFrom::Start(index_at))?;
        out.write_all(&index)?;
        let checksum: [u8; HASH_BYTES] = hasher.finalize().into();
        out.seek(SeekFrom::Start(start + CHECKSUM_AT as u64))?;
        out.write_all(&checksum)?;
        out.seek(SeekFrom::Start(
            start + SNAPSHOT_HEADER_BYTES as u64 + payload_bytes,
        ))?;
        Ok(())
    }

    /// A snapshot's header for this state, its checksum zero.
    fn snapshot_header_bytes(
        &self,
        head_hash: &str,
        payload_bytes: u64,
        state_bytes: u64,
    ) -> Vec<u8> {
        let mut hash = [0u8; HASH_BYTES];
        // A malformed hash is written as zeros: the book then never matches it to its log.
        let _ = hex::decode_to_slice(head_hash, &mut hash);
        let mut bytes = Vec::with_capacity(SNAPSHOT_HEADER_BYTES);
        bytes.extend_from_slice(MAGIC);
        bytes.extend_from_slice(&SNAPSHOT_FORMAT.to_le_bytes());
        bytes.extend_from_slice(&RULES.to_le_bytes());
        bytes.extend_from_slice(&code_field());
        bytes.extend_from_slice(&self.head.to_le_bytes());
        bytes.extend_from_slice(&hash);
        bytes.extend_from_slice(&payload_bytes.to_le_bytes());
        bytes.extend_from_slice(&state_bytes.to_le_bytes());
        bytes.extend_from_slice(&[0u8; HASH_BYTES]); // the checksum, written last
        debug_assert_eq!(bytes.len(), SNAPSHOT_HEADER_BYTES);
        bytes
    }

    /// Whether the payload of `bytes`, a snapshot whose header [`snapshot_header`] has
    /// checked, is exactly what this state encodes to ([`State::snapshot_payload_matches`]).
    pub fn snapshot_payload_equals(&self, bytes: &[u8]) -> bool {
        let Ok(header) = snapshot_header_unsummed(bytes) else {
            return false;
        };
        let payload = &bytes[SNAPSHOT_HEADER_BYTES..];
        self.snapshot_payload_matches(&mut std::io::BufReader::new(payload), &header)
    }

    /// Whether `payload`, the bytes after the header of a snapshot whose checked state
    /// [`check_snapshot_state`] found sound (`header`), is exactly what this state encodes to,
    /// each deferred part matching its checksum in the part index: then the snapshot holds
    /// this state (one state, one encoding: maps are written in key order). Encodes while it
    /// reads, a buffer at a time, and stops at the first byte that differs: neither side is
    /// ever held whole.
    pub fn snapshot_payload_matches(
        &self,
        payload: &mut dyn BufRead,
        header: &SnapshotHeader,
    ) -> bool {
        let state_bytes = header.state_bytes - PART_INDEX_BYTES as u64;
        let mut matched = Matched::new(payload);
        let state_matches = postcard::serialize_with_flavor(self, &mut matched).is_ok();
        if !state_matches || matched.read != state_bytes {
            return false;
        }
        // Each part's bytes are hashed as they are compared: equal to the state's encoding,
        // they must also be what the index's checksum says (`check_snapshot_state` did not
        // read them).
        let mut index = [0u8; PART_INDEX_BYTES];
        if payload.read_exact(&mut index).is_err() {
            return false;
        }
        for (part, (length, sha256)) in self
            .deferred_parts()
            .into_iter()
            .zip(parse_part_index(&index))
        {
            let mut matched = Matched::new(payload);
            let mut hasher = Sha256::new();
            let compared = part.encode_into(&mut |run| {
                hasher.update(run);
                matched.compare(run)
            });
            let hashed: [u8; HASH_BYTES] = hasher.finalize().into();
            if compared.is_err() || matched.read != length || hashed != sha256 {
                return false;
            }
        }
        matches!(payload.fill_buf(), Ok(rest) if rest.is_empty())
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
        State::decode_snapshot_streamed(payload, header, None)
    }

    /// The state in a snapshot's payload (the bytes after its header, which `header` says),
    /// decoded as it is read: nothing holds the whole snapshot, only the state it builds. The
    /// caller checks the checksum over the checked state it read ([`SnapshotChecksum`]).
    ///
    /// With a `source`, `payload` need hold only the checked state: the deferred parts are
    /// left where they are, and read from `source` when first used. Without, they are read
    /// from `payload` now, each checked against the part index, and kept as bytes.
    pub fn decode_snapshot_streamed(
        payload: impl Read,
        header: &SnapshotHeader,
        source: Option<Arc<dyn PartSource>>,
    ) -> Result<State, SnapshotError> {
        let read_bytes = match source {
            Some(_) => header.state_bytes,
            None => header.payload_bytes,
        };
        let left = usize::try_from(read_bytes).unwrap_or(usize::MAX);
        let mut deserializer = postcard::Deserializer::from_flavor(Streamed::new(payload, left));
        let decoded = INTERNED.with(|interned| {
            interned.borrow_mut().clear();
            let decoded = State::deserialize(&mut deserializer);
            interned.borrow_mut().clear();
            decoded
        });
        let payload_error = |error: postcard::Error| SnapshotError::Payload(error.to_string());
        let mut state = decoded.map_err(payload_error)?;
        let mut rest = deserializer.finalize().map_err(payload_error)?;
        let index = rest.take(PART_INDEX_BYTES).map_err(payload_error)?;
        let index = parse_part_index(&index);
        let after_state = read_bytes - rest.left() as u64;
        let parts_bytes = index
            .iter()
            .map(|(length, _)| u128::from(*length))
            .sum::<u128>();
        if after_state != header.state_bytes
            || parts_bytes != u128::from(header.payload_bytes - header.state_bytes)
        {
            return Err(SnapshotError::Payload(format!(
                "its state takes {after_state} bytes and its parts {parts_bytes}, its header \
                 says {} and {}",
                header.state_bytes,
                header.payload_bytes - header.state_bytes
            )));
        }
        let mut offset = SNAPSHOT_HEADER_BYTES as u64 + header.state_bytes;
        let mut parts = Vec::with_capacity(DEFERRED_PARTS.len());
        for (name, (length, sha256)) in DEFERRED_PARTS.into_iter().zip(index) {
            parts.push(match &source {
                Some(source) => Encoded::Stored(Stored {
                    source: source.clone(),
                    seq: header.seq,
                    name,
                    offset,
                    length,
                    sha256,
                }),
                None => {
                    let bytes = rest.take(length as usize).map_err(payload_error)?;
                    if crate::deferred::sha256(&bytes) != sha256 {
                        return Err(SnapshotError::Checksum);
                    }
                    Encoded::Bytes(bytes)
                }
            });
            offset += length;
        }
        state.defer_parts(
            parts
                .try_into()
                .unwrap_or_else(|_| unreachable!("four parts")),
        );
        match rest.left() {
            0 => {}
            left => {
                return Err(SnapshotError::Payload(format!(
                    "{left} bytes follow the state"
                )));
            }
        }
        if state.head != header.seq {
            return Err(SnapshotError::Head {
                state: state.head,
                header: header.seq,
            });
        }
        Ok(state)
    }

    /// Holds each deferred part as the bytes a snapshot has for it, in [`DEFERRED_PARTS`]
    /// order. A distribution's lines are written once, with the distribution: its transaction
    /// is given them again when the journal is decoded.
    fn defer_parts(&mut self, parts: [Encoded; DEFERRED_PARTS.len()]) {
        let [contributions, keys, journal, distributions] = parts;
        self.contributions = Deferred::pending(contributions);
        self.keys = Deferred::pending(keys);
        let distributions = Arc::new(Deferred::<Vec<crate::Distribution>>::pending(distributions));
        self.ledger.defer_journal(journal, distributions.clone());
        self.distributions = distributions;
    }

    /// The deferred parts, in [`DEFERRED_PARTS`] order.
    pub(crate) fn deferred_parts(&self) -> [&dyn AnyPart; DEFERRED_PARTS.len()] {
        [
            &self.contributions,
            &self.keys,
            self.ledger.journal(),
            &*self.distributions,
        ]
    }

    /// The bytes a snapshot of this state holds for the deferred part named `part` (one of
    /// [`DEFERRED_PARTS`]): what a replay gives a reader whose snapshot has gone
    /// ([`PartSource::rebuild`]).
    pub fn deferred_part_bytes(&self, part: &str) -> Option<Vec<u8>> {
        let at = DEFERRED_PARTS.iter().position(|name| *name == part)?;
        let mut bytes = Vec::new();
        let encoded = self.deferred_parts()[at].encode_into(&mut |run| {
            bytes.extend_from_slice(run);
            Ok(())
        });
        encoded.expect("memory takes every write");
        Some(bytes)
    }
}

/// A snapshot's payload as postcard reads it, from a stream of `length` bytes read a buffer
/// at a time. Every string is read through `try_take_n_temp` (in the buffer, or copied into
/// the scratch when it spans two reads): a borrowed read would have to keep the whole snapshot,
/// so it is refused, and a test decodes every worked example this way.
struct Streamed<R> {
    /// The payload, and never a byte past it.
    reader: std::io::Take<R>,
    length: usize,
    buffer: Box<[u8]>,
    /// The unread part of `buffer`.
    start: usize,
    end: usize,
    scratch: Vec<u8>,
}

/// How much of a snapshot is read at a time.
const STREAM_BUFFER_BYTES: usize = 256 * 1024;

impl<R: Read> Streamed<R> {
    fn new(reader: R, length: usize) -> Streamed<R> {
        Streamed {
            reader: reader.take(length as u64),
            length,
            buffer: vec![0u8; STREAM_BUFFER_BYTES].into_boxed_slice(),
            start: 0,
            end: 0,
            scratch: Vec::new(),
        }
    }

    /// Bytes of the payload not taken yet: those not read, and those read but not taken.
    fn left(&self) -> usize {
        let unread = usize::try_from(self.reader.limit()).unwrap_or(usize::MAX);
        unread.saturating_add(self.end - self.start)
    }

    /// Reads more into the (fully consumed) buffer; the payload's end is an error.
    fn refill(&mut self) -> postcard::Result<()> {
        debug_assert_eq!(self.start, self.end);
        let read = loop {
            match self.reader.read(&mut self.buffer) {
                Err(error) if error.kind() == std::io::ErrorKind::Interrupted => continue,
                other => break other,
            }
        };
        match read {
            Ok(0) | Err(_) => Err(postcard::Error::DeserializeUnexpectedEnd),
            Ok(read) => {
                (self.start, self.end) = (0, read);
                Ok(())
            }
        }
    }
}

impl<'de, R: Read + 'de> postcard::de_flavors::Flavor<'de> for Streamed<R> {
    type Remainder = Streamed<R>;
    type Source = ();

    #[inline]
    fn pop(&mut self) -> postcard::Result<u8> {
        if self.start == self.end {
            self.refill()?;
        }
        self.start += 1;
        Ok(self.buffer[self.start - 1])
    }

    /// What is left bounds what a sequence may reserve ahead, as for a slice.
    fn size_hint(&self) -> Option<usize> {
        Some(self.left())
    }

    fn try_take_n(&mut self, _bytes: usize) -> postcard::Result<&'de [u8]> {
        Err(postcard::Error::DeserializeBadEncoding)
    }

    fn try_take_n_temp<'a>(&'a mut self, bytes: usize) -> postcard::Result<&'a [u8]>
    where
        'de: 'a,
    {
        if self.end - self.start >= bytes {
            self.start += bytes;
            return Ok(&self.buffer[self.start - bytes..self.start]);
        }
        if bytes > self.left() {
            return Err(postcard::Error::DeserializeUnexpectedEnd);
        }
        self.scratch.clear();
        while self.scratch.len() < bytes {
            if self.start == self.end {
                self.refill()?;
            }
            let piece = (bytes - self.scratch.len()).min(self.end - self.start);
            self.scratch
                .extend_from_slice(&self.buffer[self.start..self.start + piece]);
            self.start += piece;
        }
        Ok(&self.scratch)
    }

    /// The rest of the payload, to read the deferred parts from.
    fn finalize(self) -> postcard::Result<Streamed<R>> {
        debug_assert!(self.left() <= self.length);
        Ok(self)
    }
}

impl<R: Read> Streamed<R> {
    /// The next `length` bytes, copied as they are: a deferred part's, or the part index. A
    /// length past the payload's end is an error, before anything is allocated.
    fn take(&mut self, length: usize) -> postcard::Result<Box<[u8]>> {
        if length > self.left() {
            return Err(postcard::Error::DeserializeUnexpectedEnd);
        }
        let mut bytes = Vec::with_capacity(length);
        let buffered = (self.end - self.start).min(length);
        bytes.extend_from_slice(&self.buffer[self.start..self.start + buffered]);
        self.start += buffered;
        bytes.resize(length, 0);
        std::io::Read::read_exact(&mut self.reader, &mut bytes[buffered..])
            .map_err(|_| postcard::Error::DeserializeUnexpectedEnd)?;
        Ok(bytes.into_boxed_slice())
    }
}

/// Decodes a deferred part from the bytes a snapshot held for it.
pub(crate) fn decode_part<T: serde::de::DeserializeOwned>(bytes: &[u8]) -> postcard::Result<T> {
    let mut deserializer = postcard::Deserializer::from_flavor(Streamed::new(bytes, bytes.len()));
    let decoded = INTERNED.with(|interned| {
        interned.borrow_mut().clear();
        let decoded = T::deserialize(&mut deserializer);
        interned.borrow_mut().clear();
        decoded
    })?;
    match deserializer.finalize()?.left() {
        0 => Ok(decoded),
        _ => Err(postcard::Error::DeserializeBadEncoding),
    }
}

/// A snapshot's checksum, hashed over its bytes as they are read, in pieces of any size.
pub struct SnapshotChecksum {
    hasher: Sha256,
    /// The checksum its header records.
    recorded: [u8; HASH_BYTES],
}

impl SnapshotChecksum {
    /// Starts with the snapshot's header (its first [`SNAPSHOT_HEADER_BYTES`] bytes).
    pub fn new(header: &[u8]) -> Result<SnapshotChecksum, SnapshotError> {
        let Some(header) = header.get(..SNAPSHOT_HEADER_BYTES) else {
            return Err(SnapshotError::Truncated {
                have: header.len(),
                want: SNAPSHOT_HEADER_BYTES,
            });
        };
        let mut hasher = Sha256::new();
        hasher.update(&header[..CHECKSUM_AT]);
        Ok(SnapshotChecksum {
            hasher,
            recorded: header[CHECKSUM_AT..].try_into().expect("32 bytes"),
        })
    }

    /// Hashes the next bytes of the payload.
    pub fn update(&mut self, bytes: &[u8]) {
        self.hasher.update(bytes);
    }

    /// Whether the bytes hashed are those the header's checksum was made of.
    pub fn check(self) -> Result<(), SnapshotError> {
        if <[u8; HASH_BYTES]>::from(self.hasher.finalize()) != self.recorded {
            return Err(SnapshotError::Checksum);
        }
        Ok(())
    }
}

/// A postcard output that only counts the bytes.
struct Counted(usize);

/// How many bytes `part` takes in a snapshot, counted without writing them.
pub(crate) fn bytes<T: serde::Serialize + ?Sized>(part: &T) -> u64 {
    let counted = postcard::serialize_with_flavor(part, Counted(0));
    counted.expect("counting takes every write") as u64
}

impl postcard::ser_flavors::Flavor for Counted {
    type Output = usize;

    fn try_push(&mut self, _byte: u8) -> postcard::Result<()> {
        self.0 += 1;
        Ok(())
    }

    fn try_extend(&mut self, data: &[u8]) -> postcard::Result<()> {
        self.0 += data.len();
        Ok(())
    }

    fn finalize(self) -> postcard::Result<usize> {
        Ok(self.0)
    }
}

/// Writes what `encode` hands its sink into `out`, hashing it as it goes; returns how many
/// bytes it wrote. A failed write stops the encoding and comes back as it was.
fn write_hashed<W: Write + ?Sized>(
    out: &mut W,
    hasher: &mut Sha256,
    encode: &mut dyn FnMut(&mut Sink<'_>) -> postcard::Result<()>,
) -> std::io::Result<u64> {
    let mut written = 0u64;
    let mut failed = None;
    let encoded = encode(&mut |run| {
        hasher.update(run);
        out.write_all(run).map_err(|error| {
            failed = Some(error);
            postcard::Error::SerializeBufferFull
        })?;
        written += run.len() as u64;
        Ok(())
    });
    match encoded {
        Ok(()) => Ok(written),
        Err(error) => Err(failed.unwrap_or_else(|| std::io::Error::other(error.to_string()))),
    }
}

/// The sum of the lengths a part index holds.
fn index_lengths(index: &[u8]) -> u64 {
    parse_part_index(index)
        .iter()
        .map(|(length, _)| length)
        .sum()
}

/// A postcard output that compares what it is given with the bytes `expected` gives, and
/// fails (which stops the encoding) at the first that differ. Counts what it compared.
struct Matched<'a> {
    expected: &'a mut dyn BufRead,
    read: u64,
}

impl<'a> Matched<'a> {
    fn new(expected: &'a mut dyn BufRead) -> Matched<'a> {
        Matched { expected, read: 0 }
    }

    fn compare(&mut self, data: &[u8]) -> postcard::Result<()> {
        let mut data = data;
        while !data.is_empty() {
            let buffered = self.expected.fill_buf().unwrap_or_default();
            let compared = buffered.len().min(data.len());
            if compared == 0 || buffered[..compared] != data[..compared] {
                return Err(postcard::Error::SerializeBufferFull);
            }
            self.expected.consume(compared);
            self.read += compared as u64;
            data = &data[compared..];
        }
        Ok(())
    }
}

impl postcard::ser_flavors::Flavor for &mut Matched<'_> {
    type Output = ();

    fn try_push(&mut self, byte: u8) -> postcard::Result<()> {
        self.compare(&[byte])
    }

    fn try_extend(&mut self, data: &[u8]) -> postcard::Result<()> {
        self.compare(data)
    }

    fn finalize(self) -> postcard::Result<()> {
        Ok(())
    }
}

/// Checks a snapshot's header, its checksum and each deferred part's, and returns what the
/// header says.
pub fn snapshot_header(bytes: &[u8]) -> Result<SnapshotHeader, SnapshotError> {
    check_snapshot(&mut &bytes[..], bytes.len() as u64)
}

/// [`snapshot_header`] of a snapshot of `length` bytes read as a stream from `bytes`: its
/// header, then its checked state hashed, then each deferred part hashed against the part
/// index, a buffer at a time. So nothing holds the whole snapshot (`verify` checks every
/// snapshot a 10M-contribution book keeps, 1.2 GB each, this way).
pub fn check_snapshot(bytes: &mut dyn Read, length: u64) -> Result<SnapshotHeader, SnapshotError> {
    let mut read = Counting { bytes, read: 0 };
    let (header, index) = check_state(&mut read, length)?;
    let length_bytes = usize::try_from(length).unwrap_or(usize::MAX);
    for (length, sha256) in parse_part_index(&index) {
        let mut hasher = Sha256::new();
        hash_next(&mut read, length, &mut |run| hasher.update(run)).map_err(|read| {
            SnapshotError::Truncated {
                have: usize::try_from(read).unwrap_or(usize::MAX),
                want: length_bytes,
            }
        })?;
        if <[u8; HASH_BYTES]>::from(hasher.finalize()) != sha256 {
            return Err(SnapshotError::Checksum);
        }
    }
    Ok(header)
}

/// [`check_snapshot`] but for the deferred parts, which it does not read: the header, the
/// checked state against the checksum, and the part index against the header's lengths. For
/// a reader that checks each part's bytes as it next reads them
/// ([`State::snapshot_payload_matches`], `verify`'s comparison with the replay).
pub fn check_snapshot_state(
    bytes: &mut dyn Read,
    length: u64,
) -> Result<SnapshotHeader, SnapshotError> {
    let mut read = Counting { bytes, read: 0 };
    check_state(&mut read, length).map(|(header, _)| header)
}

/// The header, the checked state and the part index of a snapshot of `length` bytes, checked
/// against its checksum and its header; returns the header and the index.
fn check_state(
    read: &mut Counting<'_>,
    length: u64,
) -> Result<(SnapshotHeader, [u8; PART_INDEX_BYTES]), SnapshotError> {
    let length_bytes = usize::try_from(length).unwrap_or(usize::MAX);
    let truncated = |read: u64| SnapshotError::Truncated {
        have: usize::try_from(read).unwrap_or(usize::MAX),
        want: length_bytes,
    };
    let mut first = Vec::with_capacity(SNAPSHOT_HEADER_BYTES);
    (&mut *read)
        .take(SNAPSHOT_HEADER_BYTES as u64)
        .read_to_end(&mut first)
        .map_err(|_| truncated(0))?;
    let header = snapshot_header_of(&first, length_bytes)?;
    let mut checksum = SnapshotChecksum::new(&first)?;
    let state_bytes = header.state_bytes - PART_INDEX_BYTES as u64;
    hash_next(read, state_bytes, &mut |run| checksum.update(run)).map_err(truncated)?;
    let mut index = [0u8; PART_INDEX_BYTES];
    read.read_exact(&mut index)
        .map_err(|_| truncated(read.read))?;
    checksum.update(&index);
    checksum.check()?;
    let parts_bytes: u128 = parse_part_index(&index)
        .iter()
        .map(|(length, _)| u128::from(*length))
        .sum();
    if parts_bytes != u128::from(header.payload_bytes - header.state_bytes) {
        return Err(SnapshotError::Checksum);
    }
    Ok((header, index))
}

/// A reader that counts what it read.
struct Counting<'a> {
    bytes: &'a mut dyn Read,
    read: u64,
}

impl Read for Counting<'_> {
    fn read(&mut self, buffer: &mut [u8]) -> std::io::Result<usize> {
        let read = self.bytes.read(buffer)?;
        self.read += read as u64;
        Ok(read)
    }
}

/// Hands the next `length` bytes of `bytes` to `hash`, a buffer at a time; a stream that ends
/// first is an error, which says how much was read in all.
fn hash_next(
    bytes: &mut Counting<'_>,
    length: u64,
    hash: &mut dyn FnMut(&[u8]),
) -> Result<(), u64> {
    let mut buffer = vec![0u8; HASH_BUFFER_BYTES];
    let mut left = length;
    while left > 0 {
        let want = usize::try_from(left)
            .unwrap_or(usize::MAX)
            .min(HASH_BUFFER_BYTES);
        match bytes.read(&mut buffer[..want]) {
            Ok(0) | Err(_) => return Err(bytes.read),
            Ok(read) => {
                hash(&buffer[..read]);
                left -= read as u64;
            }
        }
    }
    Ok(())
}

/// How much of a snapshot [`check_snapshot`] reads at a time.
const HASH_BUFFER_BYTES: usize = 1 << 20;

/// What a snapshot's header says, every check of [`snapshot_header`] made but the checksum.
fn snapshot_header_unsummed(bytes: &[u8]) -> Result<SnapshotHeader, SnapshotError> {
    snapshot_header_of(bytes, bytes.len())
}

/// [`snapshot_header_unsummed`] of a snapshot of `length` bytes whose first bytes (at least its
/// header's, when it has them) are `bytes`: for a reader that streams the rest.
pub fn snapshot_header_of(bytes: &[u8], length: usize) -> Result<SnapshotHeader, SnapshotError> {
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
    let payload_bytes = u64_at(PAYLOAD_BYTES_AT);
    let state_bytes = u64_at(STATE_BYTES_AT);
    let want = usize::try_from(payload_bytes)
        .ok()
        .and_then(|payload| payload.checked_add(SNAPSHOT_HEADER_BYTES))
        .unwrap_or(usize::MAX);
    if length != want {
        return Err(SnapshotError::Truncated { have: length, want });
    }
    if state_bytes < PART_INDEX_BYTES as u64 || state_bytes > payload_bytes {
        return Err(SnapshotError::Payload(format!(
            "its header says its state takes {state_bytes} of its {payload_bytes} bytes"
        )));
    }
    Ok(SnapshotHeader {
        seq,
        head_hash,
        payload_bytes,
        state_bytes,
    })
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
pub(crate) struct SortedMap<'a, K, V, H>(pub(crate) &'a std::collections::HashMap<K, V, H>);

impl<K: Ord + serde::Serialize, V: serde::Serialize, H> serde::Serialize
    for SortedMap<'_, K, V, H>
{
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        sorted(self.0, serializer)
    }
}

/// Reads a string through `deserialize_string` and makes a `T` of it: a copy, never a borrow,
/// so that a snapshot decodes as it streams ([`Streamed`]).
fn from_text<'de, D, T>(deserializer: D, make: impl FnOnce(&str) -> T) -> Result<T, D::Error>
where
    D: serde::Deserializer<'de>,
{
    struct Text<F>(F);

    impl<'de, T, F: FnOnce(&str) -> T> serde::de::Visitor<'de> for Text<F> {
        type Value = T;

        fn expecting(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
            f.write_str("a string")
        }

        fn visit_str<E: serde::de::Error>(self, text: &str) -> Result<T, E> {
            Ok((self.0)(text))
        }
    }

    deserializer.deserialize_string(Text(make))
}

/// A short name held inline (`#[serde(deserialize_with = "crate::snapshot::compact")]`), read
/// through [`from_text`].
pub(crate) fn compact<'de, D: serde::Deserializer<'de>>(
    deserializer: D,
) -> Result<compact_str::CompactString, D::Error> {
    from_text(deserializer, |text| compact_str::CompactString::from(text))
}

/// Bytes already in the snapshot's encoding, written as they are: postcard writes a tuple of
/// bytes without a length of its own (a packed chunk, packed payout lines).
pub(crate) struct Raw<'a>(pub(crate) &'a [u8]);

impl serde::Serialize for Raw<'_> {
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        use serde::ser::SerializeTuple;
        let mut tuple = serializer.serialize_tuple(self.0.len())?;
        for byte in self.0 {
            tuple.serialize_element(byte)?;
        }
        tuple.end()
    }
}

/// An interned name, as [`interned`] reads it.
struct Interned(Arc<str>);

impl<'de> serde::Deserialize<'de> for Interned {
    fn deserialize<D: serde::Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        from_text(deserializer, |name| Interned(intern(name)))
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
        super::Interned::deserialize(deserializer).map(|name| name.0)
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
        let name = <Option<super::Interned>>::deserialize(deserializer)?;
        Ok(name.map(|name| name.0))
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
    use serde::{Deserializer, Serialize, Serializer};

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
        super::from_text(deserializer, |text| serde_json::from_str(text))?
            .map_err(serde::de::Error::custom)
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

/// What is done with each part of a state, beside the same part of another state: the part's
/// name, whether the two hold the same, and the bytes it takes in a snapshot (each worked
/// out only when asked).
pub(crate) type PartVisit<'a> = dyn FnMut(&'static str, &dyn Fn() -> bool, &dyn Fn() -> u64) + 'a;

impl State {
    /// Visits every part of the state beside the same part of `other`, in the snapshot's order
    /// (the ledger as its balances and its journal; the deferred parts last: contributions,
    /// idempotency keys, the ledger's journal, distributions).
    fn each_part(&self, other: &State, visit: &mut PartVisit<'_>) {
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
        visit("agents", &|| *agents == other.agents, &|| {
            bytes(&SortedMap(agents))
        });
        visit(
            "lookalike handles",
            &|| *lookalikes == other.lookalikes,
            &|| bytes(lookalikes),
        );
        visit("projects", &|| *projects == other.projects, &|| {
            bytes(projects)
        });
        visit(
            "corrections",
            &|| *corrections == other.corrections,
            &|| bytes(corrections),
        );
        ledger.each_part(&other.ledger, visit);
        visit("head", &|| *head == other.head, &|| bytes(head));
        visit("campaigns", &|| *campaigns == other.campaigns, &|| {
            bytes(campaigns)
        });
        visit("resources", &|| *resources == other.resources, &|| {
            bytes(resources)
        });
        visit("peer valuation", &|| *peer == other.peer, &|| bytes(peer));
        visit("tokens", &|| *tokens == other.tokens, &|| bytes(tokens));
        visit("treasury", &|| *treasury == other.treasury, &|| {
            bytes(treasury)
        });
        visit("membership", &|| *membership == other.membership, &|| {
            bytes(membership)
        });
        visit("governance", &|| *governance == other.governance, &|| {
            bytes(governance)
        });
        visit("part index", &|| true, &|| PART_INDEX_BYTES as u64);
        let journal = ledger.journal();
        let other_journal = other.ledger.journal();
        let deferred: [(&dyn AnyPart, &dyn Fn() -> bool); DEFERRED_PARTS.len()] = [
            (contributions, &|| *contributions == other.contributions),
            (keys, &|| *keys == other.keys),
            (journal, &|| journal == other_journal),
            (&**distributions, &|| *distributions == other.distributions),
        ];
        for (name, (part, same)) in DEFERRED_PARTS.into_iter().zip(deferred) {
            visit(name, same, &|| part.encoded_len());
        }
    }

    /// How many bytes each part of the state takes in a snapshot, in the snapshot's order:
    /// what grows with a book's history. The parts add up to the snapshot's payload.
    pub fn snapshot_parts(&self) -> Vec<(&'static str, u64)> {
        let mut parts = Vec::new();
        self.each_part(self, &mut |name, _, bytes| parts.push((name, bytes())));
        parts
    }

    /// The name of the first part of the state that differs from `other`'s, if any: what a
    /// snapshot that disagrees with the replay got wrong.
    pub fn first_difference(&self, other: &State) -> Option<&'static str> {
        let mut first = None;
        self.each_part(other, &mut |name, same, _| {
            if first.is_none() && !same() {
                first = Some(name);
            }
        });
        first
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

    /// A reader that gives at most a few bytes at a time: every string and number of a
    /// snapshot then spans a buffer's end somewhere.
    struct Dribble<'a> {
        bytes: &'a [u8],
        step: usize,
    }

    impl std::io::Read for Dribble<'_> {
        fn read(&mut self, buffer: &mut [u8]) -> std::io::Result<usize> {
            self.step = self.step % 7 + 1;
            let read = buffer.len().min(self.step).min(self.bytes.len());
            buffer[..read].copy_from_slice(&self.bytes[..read]);
            self.bytes = &self.bytes[read..];
            Ok(read)
        }
    }

    #[test]
    fn a_snapshot_decodes_as_it_streams_in_pieces_of_any_size() {
        let book = story();
        let bytes = book.state.encode_snapshot(HEAD);
        let header = crate::snapshot_header(&bytes).unwrap();
        let payload = &bytes[crate::SNAPSHOT_HEADER_BYTES..];
        let dribbled = Dribble {
            bytes: payload,
            step: 0,
        };
        let decoded = State::decode_snapshot_streamed(dribbled, &header, None).unwrap();
        assert!(decoded == book.state);
        let short = &payload[..payload.len() - 1];
        assert!(matches!(
            State::decode_snapshot_streamed(short, &header, None),
            Err(crate::SnapshotError::Payload(_))
        ));
        let mut longer = payload.to_vec();
        longer.push(0);
        let mut header_longer = header.clone();
        header_longer.payload_bytes += 1;
        let message = State::decode_snapshot_streamed(&longer[..], &header_longer, None)
            .unwrap_err()
            .to_string();
        assert_eq!(
            message,
            format!(
                "the state does not decode: its state takes {} bytes and its parts {}, its \
                 header says {} and {}",
                header.state_bytes,
                header.payload_bytes - header.state_bytes,
                header.state_bytes,
                header.payload_bytes - header.state_bytes + 1
            )
        );
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
        // Parts equal to the state's but a checksum in the part index that is not theirs:
        // each part is hashed as it is compared.
        let header = super::snapshot_header(&bytes).unwrap();
        let index_at =
            super::SNAPSHOT_HEADER_BYTES + header.state_bytes as usize - super::PART_INDEX_BYTES;
        let mut misindexed = bytes.clone();
        misindexed[index_at + 8] ^= 1;
        assert!(!book.state.snapshot_payload_equals(&misindexed));
    }

    #[test]
    fn the_parts_of_a_snapshot_add_up_to_its_payload() {
        let book = story();
        let parts = book.state.snapshot_parts();
        let names: Vec<&str> = parts.iter().map(|(name, _)| *name).collect();
        assert_eq!(names.len(), 18);
        assert_eq!(names[4], "ledger balances");
        assert_eq!(parts[13], ("part index", 160));
        // The deferred parts last, as they are written.
        assert_eq!(
            names[14..],
            [
                "contributions",
                "idempotency keys",
                "ledger journal",
                "distributions"
            ]
        );
        let payload = book.state.snapshot_len() - super::SNAPSHOT_HEADER_BYTES as u64;
        assert_eq!(parts.iter().map(|(_, bytes)| bytes).sum::<u64>(), payload);
        // 40 agents and the lab's members, each a handle, a role and a name at the least.
        let agents = parts[0].1;
        assert!(agents > 40 * 3, "agents take {agents} bytes");
        assert!(parts[15].1 > 100, "every event is keyed");
    }
}
