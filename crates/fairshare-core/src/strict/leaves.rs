//! The text leaves of a command, walked by serialising it into nothing: each string is checked
//! under the name of the command field it sits in, as if the command were a JSON value, but
//! without building one (a `serde_json::Value` per command was an eighth of a `verify`).
//!
//! The walk follows the shape `serde_json::to_value` gives a command: an object keyed by the
//! variant (level [`Level::Command`]), whose value is an object of fields ([`Level::Tagged`]);
//! every string anywhere inside a field's value ([`Level::Field`]) is a leaf of that field, and
//! free-text fields are skipped.

use serde::ser::{self, Serialize};

use crate::error::DomainError;

/// Where in the command's JSON shape a value sits.
#[derive(Clone, Copy)]
pub(super) enum Level {
    /// The command itself: `{"variant": …}`.
    Command,
    /// The variant's value: its fields.
    Tagged,
    /// Inside the value of this field: every string is a leaf.
    Field(&'static str),
    /// Nothing below is checked (free text, or an array where fields were expected).
    Skip,
}

impl Level {
    /// The level of the value under `key` of an object at this level.
    fn entry(self, key: &str) -> Level {
        self.entry_named(key, || super::static_field(key))
    }

    /// [`Level::entry`] for a key known to live forever (a struct's field names).
    fn entry_static(self, key: &'static str) -> Level {
        self.entry_named(key, || key)
    }

    fn entry_named(self, key: &str, name: impl FnOnce() -> &'static str) -> Level {
        match self {
            Level::Command => Level::Tagged,
            Level::Tagged if super::TEXT_FIELDS.contains(&key) => Level::Skip,
            Level::Tagged => Level::Field(name()),
            field @ Level::Field(_) => field,
            Level::Skip => Level::Skip,
        }
    }

    /// The level of an item of an array at this level.
    fn item(self) -> Level {
        match self {
            field @ Level::Field(_) => field,
            _ => Level::Skip,
        }
    }
}

/// Why a walk stopped: the first refused leaf, or a value that does not serialise.
#[derive(Debug)]
pub(super) enum Stop {
    Refused(DomainError),
    Unserialisable(String),
}

impl std::fmt::Display for Stop {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Stop::Refused(error) => error.fmt(f),
            Stop::Unserialisable(message) => f.write_str(message),
        }
    }
}

impl std::error::Error for Stop {}

impl ser::Error for Stop {
    fn custom<T: std::fmt::Display>(message: T) -> Stop {
        Stop::Unserialisable(message.to_string())
    }
}

/// A serializer that checks the leaves of what it is given, at `level`.
#[derive(Clone, Copy)]
pub(super) struct Walker {
    pub(super) level: Level,
}

impl Walker {
    fn at(level: Level) -> Walker {
        Walker { level }
    }

    fn leaf(self, text: &str) -> Result<(), Stop> {
        match self.level {
            Level::Field(field) => super::check_number_text(field, text).map_err(Stop::Refused),
            _ => Ok(()),
        }
    }

    /// A one-entry object `{variant: …}`, as serde_json writes an enum's non-unit variant.
    fn variant(self, variant: &'static str) -> Walker {
        Walker::at(self.level.entry_static(variant))
    }
}

/// The entries or items of an object or array being walked.
pub(super) struct Children {
    /// The level of the object or array itself.
    level: Level,
    /// The level of the value after the map key just given.
    next: Level,
}

impl Children {
    fn of(level: Level) -> Children {
        Children {
            level,
            next: Level::Skip,
        }
    }

    fn item<T: ?Sized + Serialize>(&mut self, value: &T) -> Result<(), Stop> {
        value.serialize(Walker::at(self.level.item()))
    }

    fn field<T: ?Sized + Serialize>(&mut self, key: &'static str, value: &T) -> Result<(), Stop> {
        value.serialize(Walker::at(self.level.entry_static(key)))
    }
}

/// A map key, as serde_json writes it: text, or a number or bool as text.
struct KeyText;

macro_rules! key_as_display {
    ($($method:ident: $type:ty),*) => {
        $(fn $method(self, v: $type) -> Result<String, Stop> {
            Ok(v.to_string())
        })*
    };
}

impl ser::Serializer for KeyText {
    type Ok = String;
    type Error = Stop;
    type SerializeSeq = ser::Impossible<String, Stop>;
    type SerializeTuple = ser::Impossible<String, Stop>;
    type SerializeTupleStruct = ser::Impossible<String, Stop>;
    type SerializeTupleVariant = ser::Impossible<String, Stop>;
    type SerializeMap = ser::Impossible<String, Stop>;
    type SerializeStruct = ser::Impossible<String, Stop>;
    type SerializeStructVariant = ser::Impossible<String, Stop>;

    key_as_display!(
        serialize_bool: bool, serialize_i8: i8, serialize_i16: i16, serialize_i32: i32,
        serialize_i64: i64, serialize_i128: i128, serialize_u8: u8, serialize_u16: u16,
        serialize_u32: u32, serialize_u64: u64, serialize_u128: u128, serialize_f32: f32,
        serialize_f64: f64, serialize_char: char, serialize_str: &str
    );

    fn serialize_bytes(self, _: &[u8]) -> Result<String, Stop> {
        Err(ser::Error::custom("a map key is bytes"))
    }
    fn serialize_none(self) -> Result<String, Stop> {
        Err(ser::Error::custom("a map key is none"))
    }
    fn serialize_some<T: ?Sized + Serialize>(self, value: &T) -> Result<String, Stop> {
        value.serialize(self)
    }
    fn serialize_unit(self) -> Result<String, Stop> {
        Err(ser::Error::custom("a map key is a unit"))
    }
    fn serialize_unit_struct(self, _: &'static str) -> Result<String, Stop> {
        Err(ser::Error::custom("a map key is a unit"))
    }
    fn serialize_unit_variant(
        self,
        _: &'static str,
        _: u32,
        variant: &'static str,
    ) -> Result<String, Stop> {
        Ok(variant.to_string())
    }
    fn serialize_newtype_struct<T: ?Sized + Serialize>(
        self,
        _: &'static str,
        value: &T,
    ) -> Result<String, Stop> {
        value.serialize(self)
    }
    fn serialize_newtype_variant<T: ?Sized + Serialize>(
        self,
        _: &'static str,
        _: u32,
        _: &'static str,
        _: &T,
    ) -> Result<String, Stop> {
        Err(ser::Error::custom("a map key is an enum with data"))
    }
    fn serialize_seq(self, _: Option<usize>) -> Result<Self::SerializeSeq, Stop> {
        Err(ser::Error::custom("a map key is a list"))
    }
    fn serialize_tuple(self, _: usize) -> Result<Self::SerializeTuple, Stop> {
        Err(ser::Error::custom("a map key is a tuple"))
    }
    fn serialize_tuple_struct(
        self,
        _: &'static str,
        _: usize,
    ) -> Result<Self::SerializeTupleStruct, Stop> {
        Err(ser::Error::custom("a map key is a tuple"))
    }
    fn serialize_tuple_variant(
        self,
        _: &'static str,
        _: u32,
        _: &'static str,
        _: usize,
    ) -> Result<Self::SerializeTupleVariant, Stop> {
        Err(ser::Error::custom("a map key is a tuple"))
    }
    fn serialize_map(self, _: Option<usize>) -> Result<Self::SerializeMap, Stop> {
        Err(ser::Error::custom("a map key is a map"))
    }
    fn serialize_struct(self, _: &'static str, _: usize) -> Result<Self::SerializeStruct, Stop> {
        Err(ser::Error::custom("a map key is a struct"))
    }
    fn serialize_struct_variant(
        self,
        _: &'static str,
        _: u32,
        _: &'static str,
        _: usize,
    ) -> Result<Self::SerializeStructVariant, Stop> {
        Err(ser::Error::custom("a map key is a struct"))
    }
}

macro_rules! no_leaf {
    ($($method:ident: $type:ty),*) => {
        $(fn $method(self, _: $type) -> Result<(), Stop> {
            Ok(())
        })*
    };
}

impl ser::Serializer for Walker {
    type Ok = ();
    type Error = Stop;
    type SerializeSeq = Children;
    type SerializeTuple = Children;
    type SerializeTupleStruct = Children;
    type SerializeTupleVariant = Children;
    type SerializeMap = Children;
    type SerializeStruct = Children;
    type SerializeStructVariant = Children;

    no_leaf!(
        serialize_bool: bool, serialize_i8: i8, serialize_i16: i16, serialize_i32: i32,
        serialize_i64: i64, serialize_i128: i128, serialize_u8: u8, serialize_u16: u16,
        serialize_u32: u32, serialize_u64: u64, serialize_u128: u128, serialize_f32: f32,
        serialize_f64: f64, serialize_bytes: &[u8]
    );

    fn serialize_char(self, v: char) -> Result<(), Stop> {
        self.leaf(v.encode_utf8(&mut [0u8; 4]))
    }
    fn serialize_str(self, v: &str) -> Result<(), Stop> {
        self.leaf(v)
    }
    fn serialize_none(self) -> Result<(), Stop> {
        Ok(())
    }
    fn serialize_some<T: ?Sized + Serialize>(self, value: &T) -> Result<(), Stop> {
        value.serialize(self)
    }
    fn serialize_unit(self) -> Result<(), Stop> {
        Ok(())
    }
    fn serialize_unit_struct(self, _: &'static str) -> Result<(), Stop> {
        Ok(())
    }
    fn serialize_unit_variant(
        self,
        _: &'static str,
        _: u32,
        variant: &'static str,
    ) -> Result<(), Stop> {
        self.leaf(variant)
    }
    fn serialize_newtype_struct<T: ?Sized + Serialize>(
        self,
        _: &'static str,
        value: &T,
    ) -> Result<(), Stop> {
        value.serialize(self)
    }
    fn serialize_newtype_variant<T: ?Sized + Serialize>(
        self,
        _: &'static str,
        _: u32,
        variant: &'static str,
        value: &T,
    ) -> Result<(), Stop> {
        value.serialize(self.variant(variant))
    }
    fn serialize_seq(self, _: Option<usize>) -> Result<Children, Stop> {
        Ok(Children::of(self.level))
    }
    fn serialize_tuple(self, _: usize) -> Result<Children, Stop> {
        Ok(Children::of(self.level))
    }
    fn serialize_tuple_struct(self, _: &'static str, _: usize) -> Result<Children, Stop> {
        Ok(Children::of(self.level))
    }
    fn serialize_tuple_variant(
        self,
        _: &'static str,
        _: u32,
        variant: &'static str,
        _: usize,
    ) -> Result<Children, Stop> {
        Ok(Children::of(self.variant(variant).level))
    }
    fn serialize_map(self, _: Option<usize>) -> Result<Children, Stop> {
        Ok(Children::of(self.level))
    }
    fn serialize_struct(self, _: &'static str, _: usize) -> Result<Children, Stop> {
        Ok(Children::of(self.level))
    }
    fn serialize_struct_variant(
        self,
        _: &'static str,
        _: u32,
        variant: &'static str,
        _: usize,
    ) -> Result<Children, Stop> {
        Ok(Children::of(self.variant(variant).level))
    }
}

/// The items of an array: each at the array's item level.
macro_rules! items_of_children {
    ($($compound:ident: $method:ident),*) => {
        $(impl ser::$compound for Children {
            type Ok = ();
            type Error = Stop;
            fn $method<T: ?Sized + Serialize>(&mut self, value: &T) -> Result<(), Stop> {
                self.item(value)
            }
            fn end(self) -> Result<(), Stop> {
                Ok(())
            }
        })*
    };
}

items_of_children!(
    SerializeSeq: serialize_element,
    SerializeTuple: serialize_element,
    SerializeTupleStruct: serialize_field,
    SerializeTupleVariant: serialize_field
);

/// The fields of a struct: each at the level its name gives.
macro_rules! fields_of_children {
    ($($compound:ident),*) => {
        $(impl ser::$compound for Children {
            type Ok = ();
            type Error = Stop;
            fn serialize_field<T: ?Sized + Serialize>(
                &mut self,
                key: &'static str,
                value: &T,
            ) -> Result<(), Stop> {
                self.field(key, value)
            }
            fn end(self) -> Result<(), Stop> {
                Ok(())
            }
        })*
    };
}

fields_of_children!(SerializeStruct, SerializeStructVariant);

impl ser::SerializeMap for Children {
    type Ok = ();
    type Error = Stop;
    fn serialize_key<T: ?Sized + Serialize>(&mut self, key: &T) -> Result<(), Stop> {
        self.next = self.level.entry(&key.serialize(KeyText)?);
        Ok(())
    }
    fn serialize_value<T: ?Sized + Serialize>(&mut self, value: &T) -> Result<(), Stop> {
        value.serialize(Walker::at(self.next))
    }
    fn end(self) -> Result<(), Stop> {
        Ok(())
    }
}
