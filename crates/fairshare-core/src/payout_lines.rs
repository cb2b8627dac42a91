//! `Packed<T>`: records that nothing decides from again, held as their snapshot encoding.
//! `PayoutLines`: a recorded distribution's payout lines, held so.
//!
//! A revenue over 100,000 agents pays 100,000 lines. A `Line` takes 48 bytes in memory (an
//! inline name, an `i128`), its snapshot encoding about 10. Once a distribution is recorded,
//! no decision reads its lines again: only reports do, and the ledger's audit. So a
//! distribution (and its ledger transaction, which shares them) holds its lines as their
//! snapshot encoding, and decodes them once, when something first reads them as a slice
//! (docs/BENCHMARKS.md, "Payout lines held packed").
//!
//! The packed bytes are exactly what a snapshot writes for the lines (a postcard `Vec<Line>`:
//! their count, then each line), so a snapshot copies them as they are and stays
//! byte-for-byte what it was. A keyed revenue's claim settlements are held the same way
//! ([`crate::KeyRecord`]).

use std::fmt;
use std::ops::Deref;
use std::sync::{Arc, OnceLock};

use serde::de::DeserializeOwned;
use serde::{Deserialize, Deserializer, Serialize, Serializer};

use crate::command::Line;

/// A distribution's payout lines: packed, decoded on first read as a slice.
pub type PayoutLines = Packed<Line>;

/// Records, packed, decoded on first read as a slice. Clones share both.
pub struct Packed<T>(Arc<Inner<T>>);

struct Inner<T> {
    count: usize,
    /// The postcard encoding of the records as a `Vec<T>`: `count`, then each record.
    bytes: Box<[u8]>,
    decoded: OnceLock<Box<[T]>>,
}

impl<T> Clone for Packed<T> {
    fn clone(&self) -> Self {
        Packed(self.0.clone())
    }
}

impl<T: Serialize + DeserializeOwned> Packed<T> {
    /// Packs `lines`.
    pub fn pack(lines: &[T]) -> Packed<T> {
        let bytes = postcard::to_allocvec(lines).expect("a record always encodes");
        let packed = Packed(Arc::new(Inner {
            count: lines.len(),
            bytes: bytes.into_boxed_slice(),
            decoded: OnceLock::new(),
        }));
        debug_assert_eq!(packed.each().count(), lines.len());
        packed
    }

    /// How many lines.
    #[cfg(test)]
    pub(crate) fn count(&self) -> usize {
        self.0.count
    }

    /// Each line, decoded as it is reached, without keeping them: what a pass over every
    /// distribution uses, so that it holds no distribution's lines but the one it is at.
    pub fn each(&self) -> impl Iterator<Item = T> + '_ {
        let (count, mut rest) =
            postcard::take_from_bytes::<u64>(&self.0.bytes).expect("packed by `pack`");
        debug_assert_eq!(count, self.0.count as u64);
        (0..self.0.count).map(move |_| {
            let (line, after) = postcard::take_from_bytes::<T>(rest).expect("packed by `pack`");
            rest = after;
            line
        })
    }

    /// Whether `a` and `b` are one value (not a copy).
    pub fn ptr_eq(a: &Packed<T>, b: &Packed<T>) -> bool {
        Arc::ptr_eq(&a.0, &b.0)
    }

    /// Whether the lines have been decoded (read as a slice) since they were packed.
    #[cfg(test)]
    pub(crate) fn is_decoded(&self) -> bool {
        self.0.decoded.get().is_some()
    }

    /// The bytes held: the packed lines, and the decoded ones if read.
    #[cfg(test)]
    pub(crate) fn held_bytes(&self) -> usize {
        let decoded = self.0.decoded.get().map_or(0, |lines| lines.len());
        self.0.bytes.len() + decoded * std::mem::size_of::<T>()
    }
}

impl<T: Serialize + DeserializeOwned> Deref for Packed<T> {
    type Target = [T];

    fn deref(&self) -> &[T] {
        self.0.decoded.get_or_init(|| self.each().collect())
    }
}

impl<'a, T: Serialize + DeserializeOwned> IntoIterator for &'a Packed<T> {
    type Item = &'a T;
    type IntoIter = std::slice::Iter<'a, T>;

    fn into_iter(self) -> Self::IntoIter {
        self.iter()
    }
}

/// Equal when the lines are: the encoding of a line is canonical, so the bytes compare.
impl<T> PartialEq for Packed<T> {
    fn eq(&self, other: &Packed<T>) -> bool {
        self.0.bytes == other.0.bytes
    }
}

impl<T> Eq for Packed<T> {}

impl<T: Serialize + DeserializeOwned + fmt::Debug> fmt::Debug for Packed<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_list().entries(self.each()).finish()
    }
}

impl<T: Serialize + DeserializeOwned> From<Vec<T>> for Packed<T> {
    fn from(lines: Vec<T>) -> Packed<T> {
        Packed::pack(&lines)
    }
}

/// As a `Vec<T>`. In a binary format (a snapshot) the packed bytes go out as they are.
impl<T: Serialize + DeserializeOwned> Serialize for Packed<T> {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        if serializer.is_human_readable() {
            return serializer.collect_seq(self.each());
        }
        crate::snapshot::Raw(&self.0.bytes).serialize(serializer)
    }
}

impl<'de, T: Serialize + DeserializeOwned> Deserialize<'de> for Packed<T> {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Packed<T>, D::Error> {
        Vec::<T>::deserialize(deserializer).map(Packed::from)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn lines(count: usize) -> Vec<Line> {
        (0..count)
            .map(|n| Line {
                bucket: (n % 3) as u32,
                to: format!("a{n:06}").into(),
                amount: (n as i128 - 5) * 1_000_000_007,
            })
            .collect()
    }

    #[test]
    fn packed_lines_read_back_as_they_were_and_encode_as_a_vec_of_lines() {
        for count in [0, 1, 2, 300] {
            let original = lines(count);
            let packed = PayoutLines::pack(&original);
            assert_eq!(packed.count(), count);
            assert_eq!(packed.each().collect::<Vec<_>>(), original);
            assert!(!packed.is_decoded());
            assert_eq!(&packed[..], &original[..]);
            assert!(packed.is_decoded());
            // A snapshot writes the same bytes as for the Vec, and reads them back.
            let bytes = postcard::to_allocvec(&packed).unwrap();
            assert_eq!(bytes, postcard::to_allocvec(&original).unwrap());
            let read: PayoutLines = postcard::from_bytes(&bytes).unwrap();
            assert_eq!(read, packed);
            assert_eq!(read.each().collect::<Vec<_>>(), original);
            // JSON: a list of lines, as before.
            assert_eq!(
                serde_json::to_string(&packed).unwrap(),
                serde_json::to_string(&original).unwrap()
            );
        }
    }

    #[test]
    fn packed_lines_take_a_fraction_of_the_decoded_ones_until_read() {
        let packed = PayoutLines::pack(&lines(10_000));
        let packed_bytes = packed.held_bytes();
        // Name 8 bytes (with its length), bucket 1, amount up to 7: at most 16 a line.
        assert!(packed_bytes <= 16 * 10_000, "{packed_bytes}");
        let _ = packed.iter().count();
        assert_eq!(
            packed.held_bytes(),
            packed_bytes + 10_000 * std::mem::size_of::<Line>()
        );
        assert_ne!(PayoutLines::pack(&lines(3)), PayoutLines::pack(&lines(4)));
        assert!(PayoutLines::ptr_eq(&packed, &packed.clone()));
    }
}
