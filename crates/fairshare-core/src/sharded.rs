//! `Sharded<V>`: a hash map by string key that never rehashes all of itself at once.
//!
//! A `HashMap` that outgrows its capacity moves every entry into a table twice the size: the
//! idempotency keys of a busy book (hundreds of thousands) paused the writer for tens of
//! milliseconds at each doubling (docs/BENCHMARKS.md, "a steady writer"). `Sharded` spreads
//! the keys over [`SHARDS`] maps picked by the key's hash, so a doubling moves one shard's
//! share, a sixty-fourth, and the shards double one after another.
//!
//! It serialises as one map, exactly as a `HashMap` does, in the order its values give
//! ([`Ordered`]).

use std::fmt;
use std::hash::BuildHasher;

use serde::de::{MapAccess, Visitor};
use serde::{Deserialize, Deserializer, Serialize, Serializer};

use crate::FastMap;

/// How many maps the keys are spread over.
const SHARDS: usize = 64;

/// A map from string keys to `V`, in [`SHARDS`] shards.
#[derive(Clone)]
pub struct Sharded<V> {
    shards: Vec<FastMap<String, V>>,
    /// Picks a key's shard; seeded per process like the shards themselves.
    pick: foldhash::fast::RandomState,
    len: usize,
}

impl<V> Default for Sharded<V> {
    fn default() -> Self {
        Sharded {
            shards: (0..SHARDS).map(|_| FastMap::default()).collect(),
            pick: foldhash::fast::RandomState::default(),
            len: 0,
        }
    }
}

impl<V> Sharded<V> {
    fn shard_of(&self, key: &str) -> usize {
        // The high bits: the shard's own table indexes by the low ones (another seed anyway).
        (self.pick.hash_one(key) >> 58) as usize % SHARDS
    }

    pub fn get(&self, key: &str) -> Option<&V> {
        self.shards[self.shard_of(key)].get(key)
    }

    /// Inserts `value` under `key`, returning the value it replaces.
    pub fn insert(&mut self, key: String, value: V) -> Option<V> {
        let shard = self.shard_of(&key);
        let replaced = self.shards[shard].insert(key, value);
        if replaced.is_none() {
            self.len += 1;
        }
        debug_assert_eq!(
            self.len,
            self.shards.iter().map(FastMap::len).sum::<usize>()
        );
        replaced
    }

    /// Every entry, in no particular order.
    pub fn iter(&self) -> impl Iterator<Item = (&String, &V)> {
        self.shards.iter().flatten()
    }
}

impl<V: PartialEq> PartialEq for Sharded<V> {
    fn eq(&self, other: &Self) -> bool {
        self.len == other.len
            && self
                .iter()
                .all(|(key, value)| other.get(key) == Some(value))
    }
}

impl<V: Eq> Eq for Sharded<V> {}

impl<V: fmt::Debug> fmt::Debug for Sharded<V> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_map().entries(self.iter()).finish()
    }
}

/// What orders a [`Sharded`]'s entries when it is written: a number unique to each value.
pub trait Ordered {
    fn order(&self) -> u64;
}

impl<V: Serialize + Ordered> Serialize for Sharded<V> {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        // In the values' order, so that one state has one encoding whatever the shards' seeds
        // (`crate::snapshot::sorted`); by a number, which sorts a million idempotency keys
        // in a fraction of the time their strings take.
        let mut entries: Vec<(&String, &V)> = self.iter().collect();
        entries.sort_unstable_by_key(|(_, value)| value.order());
        debug_assert!(entries.windows(2).all(|w| w[0].1.order() < w[1].1.order()));
        serializer.collect_map(entries)
    }
}

impl<'de, V: Deserialize<'de>> Deserialize<'de> for Sharded<V> {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        struct Entries<V>(std::marker::PhantomData<V>);

        impl<'de, V: Deserialize<'de>> Visitor<'de> for Entries<V> {
            type Value = Sharded<V>;

            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str("a map")
            }

            fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Sharded<V>, A::Error> {
                let mut sharded = Sharded::default();
                while let Some((key, value)) = map.next_entry::<String, V>()? {
                    sharded.insert(key, value);
                }
                Ok(sharded)
            }
        }

        deserializer.deserialize_map(Entries(std::marker::PhantomData))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;
    use std::collections::BTreeMap;

    impl Ordered for u64 {
        fn order(&self) -> u64 {
            *self
        }
    }

    proptest! {
        /// A sharded map answers as the plain map of the same insertions, and round-trips
        /// through a snapshot's encoding.
        #[test]
        fn behaves_as_a_map(keys in proptest::collection::vec("[a-z]{1,4}", 0..400)) {
            let mut sharded = Sharded::default();
            let mut plain = BTreeMap::new();
            // Each value its insertion's number, as a key record has its event's.
            for (value, key) in (0u64..).zip(&keys) {
                prop_assert_eq!(sharded.insert(key.clone(), value), plain.insert(key.clone(), value));
            }
            prop_assert_eq!(sharded.len, plain.len());
            for (key, value) in &plain {
                prop_assert_eq!(sharded.get(key), Some(value));
            }
            prop_assert_eq!(sharded.get("absent-key"), None);
            let listed: BTreeMap<String, u64> =
                sharded.iter().map(|(key, value)| (key.clone(), *value)).collect();
            prop_assert_eq!(&listed, &plain);
            let bytes = postcard::to_allocvec(&sharded).expect("encodes");
            let back: Sharded<u64> = postcard::from_bytes(&bytes).expect("decodes");
            prop_assert_eq!(postcard::to_allocvec(&back).expect("encodes"), bytes);
            prop_assert_eq!(back, sharded);
        }
    }

    #[test]
    fn keys_spread_over_every_shard() {
        let mut sharded = Sharded::default();
        for n in 0..(SHARDS * 64) {
            sharded.insert(format!("key-{n}"), n);
        }
        assert_eq!(sharded.len, SHARDS * 64);
        assert!(sharded.shards.iter().all(|shard| !shard.is_empty()));
    }
}
