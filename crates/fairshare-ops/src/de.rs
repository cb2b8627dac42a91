//! Lenient field readers. A request's fields come from JSON bodies (numbers are numbers), but
//! also from URL paths, query strings and HTML forms (everything is text): the few numeric
//! fields that a path or a form carries read both.

use serde::de::{Deserializer, Error, Unexpected, Visitor};

struct U64Visitor;

impl Visitor<'_> for U64Visitor {
    type Value = u64;

    fn expecting(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("a non-negative integer")
    }

    fn visit_u64<E: Error>(self, v: u64) -> Result<u64, E> {
        Ok(v)
    }

    fn visit_i64<E: Error>(self, v: i64) -> Result<u64, E> {
        u64::try_from(v).map_err(|_| E::invalid_value(Unexpected::Signed(v), &self))
    }

    fn visit_str<E: Error>(self, v: &str) -> Result<u64, E> {
        v.parse()
            .map_err(|_| E::invalid_value(Unexpected::Str(v), &self))
    }
}

/// A `u64` written as a number or as decimal digits.
pub fn u64_text<'de, D: Deserializer<'de>>(deserializer: D) -> Result<u64, D::Error> {
    deserializer.deserialize_any(U64Visitor)
}

#[cfg(test)]
mod tests {
    use serde::Deserialize;

    #[derive(Debug, Deserialize, PartialEq)]
    struct Id {
        #[serde(deserialize_with = "super::u64_text")]
        id: u64,
    }

    #[test]
    fn numbers_and_digits_read_alike() {
        let number: Id = serde_json::from_str(r#"{"id": 7}"#).expect("number");
        let text: Id = serde_json::from_str(r#"{"id": "7"}"#).expect("text");
        assert_eq!(number, text);
        assert!(serde_json::from_str::<Id>(r#"{"id": "x"}"#).is_err());
        assert!(serde_json::from_str::<Id>(r#"{"id": -1}"#).is_err());
    }
}
