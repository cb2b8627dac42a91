//! `Deferred<T>`: a part of the state that an open from a snapshot decodes when it is first
//! used, not before.
//!
//! Most of a big book's snapshot is what only some commands read: each contribution, each
//! idempotency record, each ledger transaction (docs/BENCHMARKS.md, "Deferred parts"). An open
//! that answers a balance needs none, so the snapshot keeps each such part as one run of bytes
//! of its own (written last, `snapshot.rs`'s `Payload`), and an open holds those bytes as they
//! are (a copy, no decoding) until something reads the part. A part read is decoded once and
//! kept; a part changed is decoded first. Writing a snapshot of a part never decoded copies
//! its bytes back: one state, one encoding, whichever way it holds the part.
//!
//! It dereferences to the part itself, so the code that uses the part does not know which.

use std::fmt;
use std::ops::{Deref, DerefMut};
use std::sync::{Arc, Mutex, OnceLock};

use serde::Serialize;
use serde::de::DeserializeOwned;
use sha2::{Digest, Sha256};

/// What a part needs once decoded that its bytes do not hold: the ledger's journal, its
/// distributions' payout lines (which the state holds once, with the distributions).
pub(crate) type Link<T> = Arc<dyn Fn(&mut T) + Send + Sync>;

/// Where the deferred parts of a snapshot that an open did not read are read from when first
/// used: the book's store, through a handle of its own (the core does no I/O).
pub trait PartSource: Send + Sync {
    /// `length` bytes of the snapshot kept at event `seq`, from its byte `offset`.
    fn read(&self, seq: u64, offset: u64, length: u64) -> Result<Vec<u8>, String>;

    /// The bytes of the deferred part named `part` ([`crate::DEFERRED_PARTS`]) of the state
    /// at event `seq`, from a replay of the log ([`crate::State::deferred_part_bytes`]): when
    /// [`PartSource::read`] failed, or read other bytes than the snapshot recorded (`why`).
    /// The store may have dropped the snapshot since the open: the log is the truth.
    fn rebuild(&self, seq: u64, part: &'static str, why: &str) -> Result<Vec<u8>, String>;
}

/// A deferred part left in the store by an open: where its bytes are, and the checksum the
/// snapshot's checked state recorded for them.
#[derive(Clone)]
pub(crate) struct Stored {
    pub(crate) source: Arc<dyn PartSource>,
    /// The event the snapshot stands at.
    pub(crate) seq: u64,
    pub(crate) name: &'static str,
    /// From the snapshot's first byte.
    pub(crate) offset: u64,
    pub(crate) length: u64,
    pub(crate) sha256: [u8; 32],
}

impl Stored {
    /// The part's bytes: read from the store and checked, or else rebuilt from the log.
    fn fetch(&self) -> Box<[u8]> {
        let why = match self.source.read(self.seq, self.offset, self.length) {
            Ok(bytes) if bytes.len() as u64 == self.length && sha256(&bytes) == self.sha256 => {
                return bytes.into_boxed_slice();
            }
            Ok(_) => "its bytes are not those the snapshot recorded".to_string(),
            Err(error) => error,
        };
        match self.source.rebuild(self.seq, self.name, &why) {
            Ok(bytes) => bytes.into_boxed_slice(),
            // Neither the snapshot nor the log can be read: nothing a command decided now
            // would be sound, and nothing has been written yet.
            Err(error) => panic!(
                "the {} at event {} cannot be read ({why}) nor replayed ({error})",
                self.name, self.seq
            ),
        }
    }
}

pub(crate) fn sha256(bytes: &[u8]) -> [u8; 32] {
    Sha256::digest(bytes).into()
}

/// What a part not decoded yet holds.
#[derive(Clone)]
pub(crate) enum Encoded {
    /// Its bytes, in memory.
    Bytes(Box<[u8]>),
    /// Where its bytes are in the store.
    Stored(Stored),
}

impl Encoded {
    fn len(&self) -> u64 {
        match self {
            Encoded::Bytes(bytes) => bytes.len() as u64,
            Encoded::Stored(stored) => stored.length,
        }
    }

    fn into_bytes(self) -> Box<[u8]> {
        match self {
            Encoded::Bytes(bytes) => bytes,
            Encoded::Stored(stored) => stored.fetch(),
        }
    }
}

/// A part of the state: decoded, or still the bytes a snapshot wrote for it (in memory, or
/// in the store).
pub struct Deferred<T> {
    value: OnceLock<T>,
    /// The part's encoding, until it is decoded (then `None`, and `value` holds the part).
    encoded: Mutex<Option<Encoded>>,
    /// The bytes the part takes in a snapshot, once counted; forgotten when it changes.
    length: OnceLock<u64>,
    /// Run on the part as it is decoded.
    link: Option<Link<T>>,
}

impl<T> Deferred<T> {
    /// A part that is already decoded.
    pub(crate) fn loaded(value: T) -> Deferred<T> {
        Deferred {
            value: OnceLock::from(value),
            encoded: Mutex::new(None),
            length: OnceLock::new(),
            link: None,
        }
    }

    /// A part held as the bytes a snapshot wrote for it, decoded when first used.
    pub(crate) fn pending(encoded: Encoded) -> Deferred<T> {
        let length = OnceLock::from(encoded.len());
        Deferred {
            value: OnceLock::new(),
            encoded: Mutex::new(Some(encoded)),
            length,
            link: None,
        }
    }

    /// [`Deferred::pending`], with `link` run on the part as it is decoded.
    pub(crate) fn pending_linked(encoded: Encoded, link: Link<T>) -> Deferred<T> {
        Deferred {
            link: Some(link),
            ..Deferred::pending(encoded)
        }
    }

    /// Whether the part is decoded (or was never anything but decoded).
    pub fn is_decoded(&self) -> bool {
        self.value.get().is_some()
    }

    /// Whether the part's bytes are still in the store, not in memory.
    pub fn is_in_store(&self) -> bool {
        matches!(*self.encoded_bytes(), Some(Encoded::Stored(_)))
    }

    fn encoded_bytes(&self) -> std::sync::MutexGuard<'_, Option<Encoded>> {
        // A panic while decoding leaves the bytes taken, never half-taken: the lock's
        // poisoning says nothing about them.
        self.encoded
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
    }
}

impl<T: DeserializeOwned> Deferred<T> {
    /// The part, decoded on first use (its bytes read from the store first, if they are
    /// there).
    pub fn part(&self) -> &T {
        self.value.get_or_init(|| {
            let encoded = self.encoded_bytes().take();
            let bytes = encoded
                .expect("a part not decoded holds its bytes")
                .into_bytes();
            // The snapshot's checksum and build were checked when the book was opened, and
            // the part's own checksum as it was read: bytes that then fail to decode are a
            // defect of this build, not damage.
            let mut value = crate::snapshot::decode_part(&bytes)
                .unwrap_or_else(|error| panic!("a deferred part does not decode: {error}"));
            if let Some(link) = &self.link {
                link(&mut value);
            }
            value
        })
    }

    /// The part, decoded first, to be changed.
    pub fn part_mut(&mut self) -> &mut T {
        self.part();
        self.length = OnceLock::new();
        // Linked once decoded: what the link holds is not needed any more.
        self.link = None;
        self.value.get_mut().expect("decoded by part")
    }
}

/// A deferred part as a snapshot writes it, whatever its type.
pub(crate) trait AnyPart {
    /// The bytes it takes in a snapshot.
    fn encoded_len(&self) -> u64;

    /// Hands its encoding to `sink`, a run of bytes at a time: its bytes as they were read
    /// (from the store first, then kept in memory), or the part encoded now. A failure of
    /// `sink` stops it.
    fn encode_into(&self, sink: &mut Sink<'_>) -> postcard::Result<()>;

    fn is_decoded(&self) -> bool;

    /// Whether its bytes are still in the store, not in memory.
    fn is_in_store(&self) -> bool;

    /// Reads its bytes from the store into memory, if they are still there.
    fn fetch_from_store(&self);
}

/// Where [`AnyPart::encode_into`] sends a part's bytes.
pub(crate) type Sink<'a> = dyn FnMut(&[u8]) -> postcard::Result<()> + 'a;

impl<T: Serialize + DeserializeOwned> AnyPart for Deferred<T> {
    fn encoded_len(&self) -> u64 {
        if let Some(encoded) = self.encoded_bytes().as_ref() {
            return encoded.len();
        }
        *self
            .length
            .get_or_init(|| crate::snapshot::bytes(self.part()))
    }

    fn encode_into(&self, sink: &mut Sink<'_>) -> postcard::Result<()> {
        self.fetch_from_store();
        if let Some(Encoded::Bytes(bytes)) = self.encoded_bytes().as_ref() {
            return sink(bytes);
        }
        // Decoded, or being decoded by another thread (whose decoding this waits for).
        postcard::serialize_with_flavor(self.part(), Buffered::new(sink))
    }

    fn is_decoded(&self) -> bool {
        Deferred::is_decoded(self)
    }

    fn is_in_store(&self) -> bool {
        Deferred::is_in_store(self)
    }

    fn fetch_from_store(&self) {
        let mut encoded = self.encoded_bytes();
        if let Some(Encoded::Stored(stored)) = encoded.as_ref() {
            *encoded = Some(Encoded::Bytes(stored.fetch()));
        }
    }
}

/// How much of a part's encoding [`AnyPart::encode_into`] gathers before handing it on.
const SINK_BUFFER_BYTES: usize = 64 * 1024;

/// A postcard output that hands what it is given to a [`Sink`], a buffer at a time.
pub(crate) struct Buffered<'a, 'b> {
    sink: &'a mut Sink<'b>,
    buffer: Vec<u8>,
}

impl<'a, 'b> Buffered<'a, 'b> {
    pub(crate) fn new(sink: &'a mut Sink<'b>) -> Buffered<'a, 'b> {
        Buffered {
            sink,
            buffer: Vec::with_capacity(SINK_BUFFER_BYTES),
        }
    }
}

impl postcard::ser_flavors::Flavor for Buffered<'_, '_> {
    type Output = ();

    fn try_push(&mut self, byte: u8) -> postcard::Result<()> {
        self.try_extend(&[byte])
    }

    fn try_extend(&mut self, data: &[u8]) -> postcard::Result<()> {
        self.buffer.extend_from_slice(data);
        if self.buffer.len() >= SINK_BUFFER_BYTES {
            (self.sink)(&self.buffer)?;
            self.buffer.clear();
        }
        Ok(())
    }

    fn finalize(self) -> postcard::Result<()> {
        (self.sink)(&self.buffer)
    }
}

impl<T: DeserializeOwned> Deref for Deferred<T> {
    type Target = T;

    fn deref(&self) -> &T {
        self.part()
    }
}

impl<T: DeserializeOwned> DerefMut for Deferred<T> {
    fn deref_mut(&mut self) -> &mut T {
        self.part_mut()
    }
}

impl<T: Default> Default for Deferred<T> {
    fn default() -> Self {
        Deferred::loaded(T::default())
    }
}

impl<T: Clone + DeserializeOwned> Clone for Deferred<T> {
    fn clone(&self) -> Self {
        if self.value.get().is_none()
            && let Some(encoded) = self.encoded_bytes().as_ref()
        {
            return Deferred {
                value: OnceLock::new(),
                encoded: Mutex::new(Some(encoded.clone())),
                length: self.length.clone(),
                link: self.link.clone(),
            };
        }
        // Decoded, or being decoded by another thread (whose decoding this waits for).
        Deferred {
            value: OnceLock::from(self.part().clone()),
            encoded: Mutex::new(None),
            length: self.length.clone(),
            link: None,
        }
    }
}

/// Two parts are equal when what they hold is: each is decoded to compare.
impl<T: PartialEq + DeserializeOwned> PartialEq for Deferred<T> {
    fn eq(&self, other: &Self) -> bool {
        self.part() == other.part()
    }
}

impl<T: Eq + DeserializeOwned> Eq for Deferred<T> {}

impl<T: fmt::Debug> fmt::Debug for Deferred<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.value.get() {
            Some(value) => value.fmt(f),
            None => write!(f, "Deferred({} bytes)", self.length.get().unwrap_or(&0)),
        }
    }
}

#[cfg(test)]
mod tests {
    use std::sync::atomic::{AtomicUsize, Ordering};

    use super::*;

    fn encoded(values: &[String]) -> Deferred<Vec<String>> {
        let bytes = postcard::to_allocvec(&values.to_vec()).unwrap();
        Deferred::pending(Encoded::Bytes(bytes.into_boxed_slice()))
    }

    /// What a part writes into a snapshot.
    fn written(part: &dyn AnyPart) -> Vec<u8> {
        let mut bytes = Vec::new();
        part.encode_into(&mut |run| {
            bytes.extend_from_slice(run);
            Ok(())
        })
        .unwrap();
        bytes
    }

    #[test]
    fn a_part_is_decoded_when_first_read_and_written_back_the_same() {
        let values = vec!["ada".to_string(), "grace".to_string()];
        let loaded = Deferred::loaded(values.clone());
        let pending = encoded(&values);
        assert!(!pending.is_decoded());
        // Written back without decoding: the same bytes.
        assert_eq!(written(&pending), written(&loaded));
        assert_eq!(pending.encoded_len(), loaded.encoded_len());
        assert!(!pending.is_decoded());
        assert_eq!(pending.len(), 2);
        assert!(pending.is_decoded());
        assert_eq!(written(&pending), written(&loaded));
        assert_eq!(written(&loaded), postcard::to_allocvec(&values).unwrap());
        assert_eq!(pending, loaded);
    }

    #[test]
    fn a_changed_part_is_written_as_it_now_is() {
        let mut pending = encoded(&["ada".to_string()]);
        let before = written(&pending);
        pending.push("grace".to_string());
        let after = written(&pending);
        let loaded = Deferred::loaded(vec!["ada".to_string(), "grace".to_string()]);
        assert_eq!(after, written(&loaded));
        assert_ne!(before, after);
        assert_eq!(pending.encoded_len(), after.len() as u64);
    }

    #[test]
    fn a_linked_part_is_linked_as_it_is_decoded() {
        let bytes = postcard::to_allocvec(&vec!["ada".to_string()]).unwrap();
        let link: Link<Vec<String>> = Arc::new(|names| names.push("linked".to_string()));
        let pending = Deferred::pending_linked(Encoded::Bytes(bytes.into_boxed_slice()), link);
        let copy = pending.clone();
        assert_eq!(*pending, ["ada", "linked"]);
        assert_eq!(*copy, ["ada", "linked"]);
    }

    #[test]
    fn a_clone_of_a_part_not_decoded_stays_so() {
        let pending = encoded(&["ada".to_string()]);
        let copy = pending.clone();
        assert!(!copy.is_decoded());
        assert_eq!(copy[0], "ada");
        assert!(!pending.is_decoded());
        assert_eq!(format!("{pending:?}"), "Deferred(5 bytes)");
    }

    /// A store holding one snapshot, `kept`, whose log rebuilds a part as `replayed`.
    struct Kept {
        kept: Vec<u8>,
        replayed: Vec<u8>,
        reads: AtomicUsize,
        rebuilt: Mutex<Vec<String>>,
    }

    impl PartSource for Kept {
        fn read(&self, seq: u64, offset: u64, length: u64) -> Result<Vec<u8>, String> {
            self.reads.fetch_add(1, Ordering::SeqCst);
            let range = offset as usize..(offset + length) as usize;
            match self.kept.get(range) {
                Some(bytes) if seq == 7 => Ok(bytes.to_vec()),
                _ => Err(format!("no snapshot at event {seq}")),
            }
        }

        fn rebuild(&self, seq: u64, part: &'static str, why: &str) -> Result<Vec<u8>, String> {
            let said = format!("{part} at {seq}: {why}");
            self.rebuilt.lock().unwrap().push(said);
            Ok(self.replayed.clone())
        }
    }

    fn stored(kept: &Arc<Kept>, seq: u64, sha256: [u8; 32]) -> Deferred<Vec<String>> {
        let length = kept.kept.len() as u64 - 3;
        Deferred::pending(Encoded::Stored(Stored {
            source: kept.clone(),
            seq,
            name: "contributions",
            offset: 3,
            length,
            sha256,
        }))
    }

    fn kept(values: &[&str]) -> Arc<Kept> {
        let part = postcard::to_allocvec(&values).unwrap();
        let mut kept = b"hdr".to_vec();
        kept.extend_from_slice(&part);
        Arc::new(Kept {
            kept,
            replayed: postcard::to_allocvec(&vec!["from the log"]).unwrap(),
            reads: AtomicUsize::new(0),
            rebuilt: Mutex::new(Vec::new()),
        })
    }

    #[test]
    fn a_part_in_the_store_is_read_once_when_first_used_and_checked() {
        let kept = kept(&["ada", "grace"]);
        let checksum = sha256(&kept.kept[3..]);
        let part = stored(&kept, 7, checksum);
        assert!(part.is_in_store());
        assert_eq!(part.encoded_len(), kept.kept.len() as u64 - 3);
        let copy = part.clone();
        assert_eq!(kept.reads.load(Ordering::SeqCst), 0);
        assert_eq!(*part, ["ada", "grace"]);
        assert_eq!(*part, ["ada", "grace"]);
        assert_eq!(kept.reads.load(Ordering::SeqCst), 1);
        // Written back as it was read: the copy reads its bytes, then keeps them.
        assert_eq!(written(&copy), kept.kept[3..]);
        assert!(!copy.is_in_store() && !copy.is_decoded());
        assert_eq!(written(&copy), kept.kept[3..]);
        assert_eq!(kept.reads.load(Ordering::SeqCst), 2);
        assert!(kept.rebuilt.lock().unwrap().is_empty());
    }

    #[test]
    fn a_part_the_store_no_longer_holds_or_holds_damaged_is_rebuilt_from_the_log() {
        let kept = kept(&["ada"]);
        let gone = stored(&kept, 8, sha256(&kept.kept[3..]));
        assert_eq!(*gone, ["from the log"]);
        let damaged = stored(&kept, 7, [0u8; 32]);
        assert_eq!(*damaged, ["from the log"]);
        assert_eq!(
            *kept.rebuilt.lock().unwrap(),
            [
                "contributions at 8: no snapshot at event 8",
                "contributions at 7: its bytes are not those the snapshot recorded"
            ]
        );
    }
}
