//! `Chunked<T>`: a growing list that never moves what it holds.
//!
//! A `Vec` that outgrows its capacity copies every element into a new allocation twice its
//! size: past 262,144 contributions that is tens of megabytes, and the writer that pushed the
//! one more stood still for 40-90 ms (docs/BENCHMARKS.md, "a steady writer"). `Chunked` keeps
//! its elements in fixed-size chunks; growing allocates one more chunk and at most copies the
//! small list of chunk pointers. Indexing costs one division by a power of two.
//!
//! It serialises as a sequence, exactly as a `Vec` does, so a snapshot's bytes do not depend
//! on which of the two held the list.

use std::fmt;
use std::ops::{Index, IndexMut};

use serde::de::{SeqAccess, Visitor};
use serde::{Deserialize, Deserializer, Serialize, Serializer};

/// Elements per chunk: a power of two, so that an index splits by shift and mask.
const CHUNK_LEN: usize = 1 << 12;

/// A list of `T` in chunks of [`CHUNK_LEN`]; every chunk but the last is full.
#[derive(Clone)]
pub struct Chunked<T> {
    chunks: Vec<Vec<T>>,
    len: usize,
}

impl<T> Default for Chunked<T> {
    fn default() -> Self {
        Chunked {
            chunks: Vec::new(),
            len: 0,
        }
    }
}

impl<T> Chunked<T> {
    pub fn new() -> Self {
        Self::default()
    }

    pub fn len(&self) -> usize {
        self.len
    }

    pub fn is_empty(&self) -> bool {
        self.len == 0
    }

    /// Appends `value`; never moves the elements already held.
    pub fn push(&mut self, value: T) {
        if self.len.is_multiple_of(CHUNK_LEN) {
            self.chunks.push(Vec::with_capacity(CHUNK_LEN));
        }
        let last = self.chunks.last_mut().expect("a chunk with room");
        debug_assert!(last.len() < CHUNK_LEN, "only the last chunk has room");
        last.push(value);
        self.len += 1;
    }

    /// Makes room in the list of chunks for `additional` more elements (the chunks
    /// themselves are allocated as they fill).
    pub fn reserve(&mut self, additional: usize) {
        let chunks_needed = (self.len + additional).div_ceil(CHUNK_LEN);
        self.chunks
            .reserve(chunks_needed.saturating_sub(self.chunks.len()));
    }

    pub fn get(&self, index: usize) -> Option<&T> {
        self.chunks.get(index / CHUNK_LEN)?.get(index % CHUNK_LEN)
    }

    pub fn get_mut(&mut self, index: usize) -> Option<&mut T> {
        self.chunks
            .get_mut(index / CHUNK_LEN)?
            .get_mut(index % CHUNK_LEN)
    }

    pub fn first(&self) -> Option<&T> {
        self.get(0)
    }

    pub fn last(&self) -> Option<&T> {
        self.chunks.last()?.last()
    }

    pub fn last_mut(&mut self) -> Option<&mut T> {
        self.chunks.last_mut()?.last_mut()
    }

    /// The index of the first element for which `pred` is false, the list being partitioned
    /// by it (all true, then all false), as `slice::partition_point`.
    pub fn partition_point(&self, mut pred: impl FnMut(&T) -> bool) -> usize {
        let full = self
            .chunks
            .partition_point(|chunk| chunk.last().is_some_and(&mut pred));
        match self.chunks.get(full) {
            Some(chunk) => full * CHUNK_LEN + chunk.partition_point(pred),
            None => self.len,
        }
    }

    /// The elements in order (double-ended: `.rev()` walks from the newest).
    pub fn iter(&self) -> impl DoubleEndedIterator<Item = &T> + Clone {
        self.chunks.iter().flatten()
    }

    /// The elements from index `start` on, in order.
    pub fn iter_from(&self, start: usize) -> impl DoubleEndedIterator<Item = &T> {
        let offset = start % CHUNK_LEN;
        let chunks = self.chunks.get(start / CHUNK_LEN..).unwrap_or_default();
        chunks.iter().enumerate().flat_map(move |(nth, chunk)| {
            let skip = if nth == 0 { offset.min(chunk.len()) } else { 0 };
            &chunk[skip..]
        })
    }

    pub fn iter_mut(&mut self) -> impl DoubleEndedIterator<Item = &mut T> {
        self.chunks.iter_mut().flatten()
    }
}

impl<T> Index<usize> for Chunked<T> {
    type Output = T;

    fn index(&self, index: usize) -> &T {
        match self.get(index) {
            Some(value) => value,
            None => panic!("index {index} out of a list of {}", self.len),
        }
    }
}

impl<T> IndexMut<usize> for Chunked<T> {
    fn index_mut(&mut self, index: usize) -> &mut T {
        let len = self.len;
        match self.get_mut(index) {
            Some(value) => value,
            None => panic!("index {index} out of a list of {len}"),
        }
    }
}

impl<'a, T> IntoIterator for &'a Chunked<T> {
    type Item = &'a T;
    type IntoIter = std::iter::Flatten<std::slice::Iter<'a, Vec<T>>>;

    fn into_iter(self) -> Self::IntoIter {
        self.chunks.iter().flatten()
    }
}

impl<T> FromIterator<T> for Chunked<T> {
    fn from_iter<I: IntoIterator<Item = T>>(items: I) -> Self {
        let mut list = Chunked::new();
        for item in items {
            list.push(item);
        }
        list
    }
}

impl<T> From<Vec<T>> for Chunked<T> {
    fn from(items: Vec<T>) -> Self {
        items.into_iter().collect()
    }
}

impl<T: PartialEq> PartialEq for Chunked<T> {
    fn eq(&self, other: &Self) -> bool {
        self.len == other.len && self.iter().eq(other.iter())
    }
}

impl<T: Eq> Eq for Chunked<T> {}

impl<T: fmt::Debug> fmt::Debug for Chunked<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_list().entries(self.iter()).finish()
    }
}

impl<T: Serialize> Serialize for Chunked<T> {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        // The length first, as a `Vec` writes it (a flattened iterator cannot tell it).
        use serde::ser::SerializeSeq;
        let mut seq = serializer.serialize_seq(Some(self.len))?;
        for element in self.iter() {
            seq.serialize_element(element)?;
        }
        seq.end()
    }
}

impl<'de, T: Deserialize<'de>> Deserialize<'de> for Chunked<T> {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        struct Elements<T>(std::marker::PhantomData<T>);

        impl<'de, T: Deserialize<'de>> Visitor<'de> for Elements<T> {
            type Value = Chunked<T>;

            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str("a sequence")
            }

            fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<Chunked<T>, A::Error> {
                let mut list = Chunked::new();
                // A hint is the input's word, not a promise: reserve no more than a bound.
                list.reserve(seq.size_hint().unwrap_or(0).min(1 << 24));
                while let Some(value) = seq.next_element()? {
                    list.push(value);
                }
                Ok(list)
            }
        }

        deserializer.deserialize_seq(Elements(std::marker::PhantomData))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    proptest! {
        /// Whatever its length, a chunked list holds, indexes, iterates and serialises as the
        /// `Vec` of the same elements.
        #[test]
        fn behaves_as_a_vec(items in proptest::collection::vec(any::<u32>(), 0..3 * CHUNK_LEN)) {
            let list: Chunked<u32> = items.clone().into();
            prop_assert_eq!(list.len(), items.len());
            prop_assert_eq!(list.is_empty(), items.is_empty());
            prop_assert!(list.iter().eq(items.iter()));
            prop_assert!(list.iter().rev().eq(items.iter().rev()));
            prop_assert_eq!(list.first(), items.first());
            prop_assert_eq!(list.last(), items.last());
            for (index, item) in items.iter().enumerate() {
                prop_assert_eq!(&list[index], item);
            }
            prop_assert_eq!(list.get(items.len()), None);
            for start in [0, 1, CHUNK_LEN - 1, CHUNK_LEN, CHUNK_LEN + 1, items.len() / 2, items.len()] {
                prop_assert!(list.iter_from(start).eq(items.iter().skip(start)));
            }
            let mut sorted = items.clone();
            sorted.sort_unstable();
            let sorted_list: Chunked<u32> = sorted.clone().into();
            let pivot = items.first().copied().unwrap_or(0);
            prop_assert_eq!(
                sorted_list.partition_point(|item| *item < pivot),
                sorted.partition_point(|item| *item < pivot)
            );
            let bytes = postcard::to_allocvec(&list).expect("encodes");
            prop_assert_eq!(&bytes, &postcard::to_allocvec(&items).expect("encodes"));
            let back: Chunked<u32> = postcard::from_bytes(&bytes).expect("decodes");
            prop_assert_eq!(back, list);
        }
    }

    #[test]
    fn growing_keeps_every_element_where_it_was() {
        let mut list = Chunked::new();
        list.push(0_u64);
        let first: *const u64 = &list[0];
        for value in 1..(2 * CHUNK_LEN as u64 + 1) {
            list.push(value);
        }
        assert_eq!(list.len(), 2 * CHUNK_LEN + 1);
        assert_eq!(list.chunks.len(), 3);
        assert!(
            std::ptr::eq(first, &list[0]),
            "the first element did not move"
        );
        list[CHUNK_LEN] = 7;
        assert_eq!(list[CHUNK_LEN], 7);
    }
}
