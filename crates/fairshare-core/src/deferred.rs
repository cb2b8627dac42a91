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
use serde::ser::SerializeTuple;

/// What a part needs once decoded that its bytes do not hold: the ledger's journal, its
/// distributions' payout lines (which the state holds once, with the distributions).
pub(crate) type Link<T> = Arc<dyn Fn(&mut T) + Send + Sync>;

/// A part of the state: decoded, or still the bytes a snapshot wrote for it.
pub struct Deferred<T> {
    value: OnceLock<T>,
    /// The part's encoding, until it is decoded (then `None`, and `value` holds the part).
    encoded: Mutex<Option<Box<[u8]>>>,
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
    pub(crate) fn encoded(bytes: Box<[u8]>) -> Deferred<T> {
        let length = OnceLock::from(bytes.len() as u64);
        Deferred {
            value: OnceLock::new(),
            encoded: Mutex::new(Some(bytes)),
            length,
            link: None,
        }
    }

    /// [`Deferred::encoded`], with `link` run on the part as it is decoded.
    pub(crate) fn encoded_linked(bytes: Box<[u8]>, link: Link<T>) -> Deferred<T> {
        Deferred {
            link: Some(link),
            ..Deferred::encoded(bytes)
        }
    }

    /// Whether the part is decoded (or was never anything but decoded).
    pub fn is_decoded(&self) -> bool {
        self.value.get().is_some()
    }

    fn encoded_bytes(&self) -> std::sync::MutexGuard<'_, Option<Box<[u8]>>> {
        // A panic while decoding leaves the bytes taken, never half-taken: the lock's
        // poisoning says nothing about them.
        self.encoded
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
    }
}

impl<T: DeserializeOwned> Deferred<T> {
    /// The part, decoded on first use.
    pub fn part(&self) -> &T {
        self.value.get_or_init(|| {
            let bytes = self.encoded_bytes().take();
            let bytes = bytes.expect("a part not decoded holds its bytes");
            // The snapshot's checksum and build were checked when the book was opened: bytes
            // that then fail to decode are a defect of this build, not damage.
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

/// Writes a deferred part into a snapshot: its length, then its bytes (as they were read, or
/// encoded now).
pub(crate) struct Part<'a, T>(pub(crate) &'a Deferred<T>);

impl<T: Serialize + DeserializeOwned> Serialize for Part<'_, T> {
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        let part = self.0;
        if part.value.get().is_none()
            && let Some(bytes) = part.encoded_bytes().as_deref()
        {
            // A length and the bytes: what a decoded part writes below, byte for byte.
            return serializer.serialize_bytes(bytes);
        }
        let value = part.part();
        let length = *part.length.get_or_init(|| crate::snapshot::bytes(value));
        let mut tuple = serializer.serialize_tuple(2)?;
        tuple.serialize_element(&length)?;
        tuple.serialize_element(value)?;
        tuple.end()
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
            && let Some(bytes) = self.encoded_bytes().as_ref()
        {
            return Deferred {
                value: OnceLock::new(),
                encoded: Mutex::new(Some(bytes.clone())),
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
    use super::*;

    fn encoded(values: &[String]) -> Deferred<Vec<String>> {
        let bytes = postcard::to_allocvec(&values.to_vec()).unwrap();
        Deferred::encoded(bytes.into_boxed_slice())
    }

    #[test]
    fn a_part_is_decoded_when_first_read_and_written_back_the_same() {
        let values = vec!["ada".to_string(), "grace".to_string()];
        let loaded = Deferred::loaded(values.clone());
        let written = postcard::to_allocvec(&Part(&loaded)).unwrap();
        let pending = encoded(&values);
        assert!(!pending.is_decoded());
        // Written back without decoding: the same bytes.
        assert_eq!(postcard::to_allocvec(&Part(&pending)).unwrap(), written);
        assert!(!pending.is_decoded());
        assert_eq!(pending.len(), 2);
        assert!(pending.is_decoded());
        assert_eq!(postcard::to_allocvec(&Part(&pending)).unwrap(), written);
        assert_eq!(pending, loaded);
    }

    #[test]
    fn a_changed_part_is_written_as_it_now_is() {
        let mut pending = encoded(&["ada".to_string()]);
        let before = postcard::to_allocvec(&Part(&pending)).unwrap();
        pending.push("grace".to_string());
        let after = postcard::to_allocvec(&Part(&pending)).unwrap();
        let loaded = Deferred::loaded(vec!["ada".to_string(), "grace".to_string()]);
        assert_eq!(after, postcard::to_allocvec(&Part(&loaded)).unwrap());
        assert_ne!(before, after);
        // The length, then the part's own encoding.
        assert_eq!(after[0] as usize, after.len() - 1);
    }

    #[test]
    fn a_linked_part_is_linked_as_it_is_decoded() {
        let bytes = postcard::to_allocvec(&vec!["ada".to_string()]).unwrap();
        let link: Link<Vec<String>> = Arc::new(|names| names.push("linked".to_string()));
        let pending = Deferred::encoded_linked(bytes.into_boxed_slice(), link);
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
}
