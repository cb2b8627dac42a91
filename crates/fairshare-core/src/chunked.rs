//! `Chunked<T>`: a growing list that never moves what it holds, and can hold its old chunks
//! packed.
//!
//! A `Vec` that outgrows its capacity copies every element into a new allocation twice its
//! size: past 262,144 contributions that is tens of megabytes, and the writer that pushed the
//! one more stood still for 40-90 ms (docs/BENCHMARKS.md, "a steady writer"). `Chunked` keeps
//! its elements in fixed-size chunks; growing allocates one more chunk and at most copies the
//! small list of chunk pointers. Indexing costs one division by a power of two.
//!
//! A full chunk can be packed ([`Chunked::pack_cold`]): held as its elements' snapshot
//! encoding (a contribution takes 144 bytes in memory, about 66 packed), decoded when an
//! element of it is first read, and opened again (its bytes dropped) when one is changed.
//!
//! It serialises as a sequence, exactly as a `Vec` does, so a snapshot's bytes do not depend
//! on which of the two held the list; a packed chunk is written as the bytes it holds.

use std::fmt;
use std::ops::{Index, IndexMut};
use std::sync::OnceLock;

use serde::de::{DeserializeOwned, SeqAccess, Visitor};
use serde::ser::SerializeSeq;
use serde::{Deserialize, Deserializer, Serialize, Serializer};

/// Elements per chunk: a power of two, so that an index splits by shift and mask.
const CHUNK_LEN: usize = 1 << 12;

/// How many of the newest chunks [`Chunked::pack_cold`] leaves open: what is changed soon
/// after it is pushed (a contribution waiting for its approvals) is changed in place.
const OPEN_CHUNKS: usize = 2;

/// A list of `T` in chunks of [`CHUNK_LEN`]; every chunk but the last is full.
#[derive(Clone)]
pub struct Chunked<T> {
    chunks: Vec<Chunk<T>>,
    len: usize,
}

/// A chunk: open (its elements), or packed (its bytes, and its elements once read).
#[derive(Clone)]
struct Chunk<T> {
    /// The postcard encoding of each element, one after another, while the chunk is packed.
    packed: Option<Box<[u8]>>,
    /// The elements: always, while open; once read, while packed.
    elements: OnceLock<Vec<T>>,
}

impl<T> Chunk<T> {
    fn open(elements: Vec<T>) -> Chunk<T> {
        Chunk {
            packed: None,
            elements: OnceLock::from(elements),
        }
    }
}

impl<T: DeserializeOwned> Chunk<T> {
    fn elements(&self) -> &[T] {
        self.elements.get_or_init(|| {
            let mut rest: &[u8] = self.packed.as_deref().expect("a chunk not open is packed");
            let mut elements = Vec::with_capacity(CHUNK_LEN);
            while !rest.is_empty() {
                let (element, after) =
                    postcard::take_from_bytes(rest).expect("packed by `pack_cold`");
                elements.push(element);
                rest = after;
            }
            elements
        })
    }

    /// The elements, to be changed: the chunk is open from now on.
    fn elements_mut(&mut self) -> &mut Vec<T> {
        self.elements();
        self.packed = None;
        self.elements.get_mut().expect("decoded above")
    }
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

    /// Makes room in the list of chunks for `additional` more elements (the chunks
    /// themselves are allocated as they fill).
    pub fn reserve(&mut self, additional: usize) {
        let chunks_needed = (self.len + additional).div_ceil(CHUNK_LEN);
        self.chunks
            .reserve(chunks_needed.saturating_sub(self.chunks.len()));
    }
}

impl<T: DeserializeOwned> Chunked<T> {
    /// Appends `value`; never moves the elements already held.
    pub fn push(&mut self, value: T) {
        if self.len.is_multiple_of(CHUNK_LEN) {
            self.chunks.push(Chunk::open(Vec::with_capacity(CHUNK_LEN)));
        }
        let last = self
            .chunks
            .last_mut()
            .expect("a chunk with room")
            .elements_mut();
        debug_assert!(last.len() < CHUNK_LEN, "only the last chunk has room");
        last.push(value);
        self.len += 1;
    }

    pub fn get(&self, index: usize) -> Option<&T> {
        self.chunks
            .get(index / CHUNK_LEN)?
            .elements()
            .get(index % CHUNK_LEN)
    }

    pub fn get_mut(&mut self, index: usize) -> Option<&mut T> {
        self.chunks
            .get_mut(index / CHUNK_LEN)?
            .elements_mut()
            .get_mut(index % CHUNK_LEN)
    }

    pub fn first(&self) -> Option<&T> {
        self.get(0)
    }

    pub fn last(&self) -> Option<&T> {
        self.chunks.last()?.elements().last()
    }

    pub fn last_mut(&mut self) -> Option<&mut T> {
        self.chunks.last_mut()?.elements_mut().last_mut()
    }

    /// The index of the first element for which `pred` is false, the list being partitioned
    /// by it (all true, then all false), as `slice::partition_point`.
    pub fn partition_point(&self, mut pred: impl FnMut(&T) -> bool) -> usize {
        let full = self
            .chunks
            .partition_point(|chunk| chunk.elements().last().is_some_and(&mut pred));
        match self.chunks.get(full) {
            Some(chunk) => full * CHUNK_LEN + chunk.elements().partition_point(pred),
            None => self.len,
        }
    }

    /// The elements in order (double-ended: `.rev()` walks from the newest).
    pub fn iter(&self) -> Iter<'_, T> {
        let elements: fn(&Chunk<T>) -> &[T] = Chunk::elements;
        Iter(self.chunks.iter().flat_map(elements))
    }

    /// The elements from index `start` on, in order.
    pub fn iter_from(&self, start: usize) -> impl DoubleEndedIterator<Item = &T> {
        let offset = start % CHUNK_LEN;
        let chunks = self.chunks.get(start / CHUNK_LEN..).unwrap_or_default();
        chunks.iter().enumerate().flat_map(move |(nth, chunk)| {
            let elements = chunk.elements();
            let skip = if nth == 0 {
                offset.min(elements.len())
            } else {
                0
            };
            &elements[skip..]
        })
    }

    pub fn iter_mut(&mut self) -> impl DoubleEndedIterator<Item = &mut T> {
        self.chunks.iter_mut().flat_map(Chunk::elements_mut)
    }

    /// How many chunks are packed and not read since.
    #[cfg(test)]
    pub(crate) fn packed_chunks(&self) -> usize {
        let cold = |chunk: &&Chunk<T>| chunk.packed.is_some() && chunk.elements.get().is_none();
        self.chunks.iter().filter(cold).count()
    }
}

impl<T: Serialize + DeserializeOwned> Chunked<T> {
    /// [`Chunked::push`], then, when that fills a chunk, [`Chunked::pack_cold`]: a list
    /// whose old elements are seldom read holds them packed as it grows.
    pub fn push_packing(&mut self, value: T) {
        self.push(value);
        if self.len.is_multiple_of(CHUNK_LEN) {
            self.pack_cold();
        }
    }

    /// Packs each full chunk but the [`OPEN_CHUNKS`] newest full ones (and the last, if it has
    /// room), and drops what was decoded of those already packed.
    pub fn pack_cold(&mut self) {
        let cold = (self.len / CHUNK_LEN).saturating_sub(OPEN_CHUNKS);
        for chunk in &mut self.chunks[..cold] {
            if chunk.packed.is_none() {
                let mut bytes = Vec::new();
                for element in chunk.elements() {
                    bytes = postcard::to_extend(element, bytes).expect("an element encodes");
                }
                chunk.packed = Some(bytes.into_boxed_slice());
            }
            // Read since it was packed: its bytes are still what it holds.
            chunk.elements = OnceLock::new();
        }
    }
}

impl<T: DeserializeOwned> Index<usize> for Chunked<T> {
    type Output = T;

    fn index(&self, index: usize) -> &T {
        match self.get(index) {
            Some(value) => value,
            None => panic!("index {index} out of a list of {}", self.len),
        }
    }
}

impl<T: DeserializeOwned> IndexMut<usize> for Chunked<T> {
    fn index_mut(&mut self, index: usize) -> &mut T {
        let len = self.len;
        match self.get_mut(index) {
            Some(value) => value,
            None => panic!("index {index} out of a list of {len}"),
        }
    }
}

/// The elements of a [`Chunked`], in order.
#[derive(Clone)]
pub struct Iter<'a, T>(ChunksFlattened<'a, T>);

type ChunksFlattened<'a, T> =
    std::iter::FlatMap<std::slice::Iter<'a, Chunk<T>>, &'a [T], fn(&'a Chunk<T>) -> &'a [T]>;

impl<'a, T: DeserializeOwned> Iterator for Iter<'a, T> {
    type Item = &'a T;

    fn next(&mut self) -> Option<&'a T> {
        self.0.next()
    }
}

impl<T: DeserializeOwned> DoubleEndedIterator for Iter<'_, T> {
    fn next_back(&mut self) -> Option<Self::Item> {
        self.0.next_back()
    }
}

impl<'a, T: DeserializeOwned> IntoIterator for &'a Chunked<T> {
    type Item = &'a T;
    type IntoIter = Iter<'a, T>;

    fn into_iter(self) -> Iter<'a, T> {
        self.iter()
    }
}

impl<T: DeserializeOwned> FromIterator<T> for Chunked<T> {
    fn from_iter<I: IntoIterator<Item = T>>(items: I) -> Self {
        let mut list = Chunked::new();
        for item in items {
            list.push(item);
        }
        list
    }
}

impl<T: DeserializeOwned> From<Vec<T>> for Chunked<T> {
    fn from(items: Vec<T>) -> Self {
        items.into_iter().collect()
    }
}

impl<T: PartialEq + DeserializeOwned> PartialEq for Chunked<T> {
    fn eq(&self, other: &Self) -> bool {
        self.len == other.len && self.iter().eq(other.iter())
    }
}

impl<T: Eq + DeserializeOwned> Eq for Chunked<T> {}

impl<T: fmt::Debug + DeserializeOwned> fmt::Debug for Chunked<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_list().entries(self.iter()).finish()
    }
}

impl<T: Serialize + DeserializeOwned> Serialize for Chunked<T> {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        let binary = !serializer.is_human_readable();
        // The length first, as a `Vec` writes it (a flattened iterator cannot tell it).
        let mut seq = serializer.serialize_seq(Some(self.len))?;
        for chunk in &self.chunks {
            match &chunk.packed {
                // In a binary format, a packed chunk's bytes are its elements' encoding.
                Some(bytes) if binary => seq.serialize_element(&crate::snapshot::Raw(bytes))?,
                _ => {
                    for element in chunk.elements() {
                        seq.serialize_element(element)?;
                    }
                }
            }
        }
        seq.end()
    }
}

impl<'de, T: DeserializeOwned> Deserialize<'de> for Chunked<T> {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        struct Elements<T>(std::marker::PhantomData<T>);

        impl<'de, T: DeserializeOwned> Visitor<'de> for Elements<T> {
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

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(32))]

        /// Packed or not, read or changed, a list holds and encodes the same elements.
        #[test]
        fn packed_chunks_hold_encode_and_change_as_open_ones(
            numbers in proptest::collection::vec(any::<u32>(), 0..5 * CHUNK_LEN),
            changed in any::<prop::sample::Index>(),
        ) {
            let items: Vec<String> = numbers.iter().map(|n| format!("n{}", n % 1000)).collect();
            let mut packed = Chunked::new();
            for item in &items {
                packed.push_packing(item.clone());
            }
            let full = items.len() / CHUNK_LEN;
            prop_assert_eq!(packed.packed_chunks(), full.saturating_sub(OPEN_CHUNKS));
            let bytes = postcard::to_allocvec(&items).expect("encodes");
            prop_assert_eq!(&postcard::to_allocvec(&packed).expect("encodes"), &bytes);
            let back: Chunked<String> = postcard::from_bytes(&bytes).expect("decodes");
            prop_assert!(back == packed);
            prop_assert_eq!(
                serde_json::to_string(&packed).unwrap(),
                serde_json::to_string(&items).unwrap()
            );
            // Read: decoded, its bytes kept; packing again drops what was decoded.
            prop_assert!(packed.iter().eq(items.iter()));
            prop_assert_eq!(packed.packed_chunks(), 0);
            packed.pack_cold();
            prop_assert_eq!(packed.packed_chunks(), full.saturating_sub(OPEN_CHUNKS));
            // Changed: its chunk opens, and encodes the change.
            if !items.is_empty() {
                let at = changed.index(items.len());
                let mut expected = items.clone();
                expected[at].push('!');
                packed[at].push('!');
                prop_assert!(packed.iter().eq(expected.iter()));
                prop_assert_eq!(
                    postcard::to_allocvec(&packed).expect("encodes"),
                    postcard::to_allocvec(&expected).expect("encodes")
                );
            }
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
