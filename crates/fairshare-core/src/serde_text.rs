//! Wide integers as JSON strings: JSON readers (and serde's buffered enums) cannot take i128
//! numbers, and a string keeps every digit for any reader.

//!
//! Binary formats (a snapshot, `snapshot.rs`) are not human-readable: there the integer itself.

use serde::{Deserialize, Deserializer, Serializer};

pub fn serialize<S: Serializer>(value: &i128, serializer: S) -> Result<S::Ok, S::Error> {
    if !serializer.is_human_readable() {
        return serializer.serialize_i128(*value);
    }
    serializer.collect_str(value)
}

pub fn deserialize<'de, D: Deserializer<'de>>(deserializer: D) -> Result<i128, D::Error> {
    if !deserializer.is_human_readable() {
        return i128::deserialize(deserializer);
    }
    let text = String::deserialize(deserializer)?;
    text.parse().map_err(serde::de::Error::custom)
}
