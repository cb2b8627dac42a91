//! The text rules of issue 18 (rules 3, `Ctx::strict`): a number is written without spaces
//! around it, hours carry at most [`HOURS_DECIMALS`] decimals, and a new handle may not look
//! like an existing one.
//!
//! The parsers of amounts and decimals trim their input and accept any number of decimals,
//! and they also run when old events are verified and imported: a book written by rules 1 or 2
//! with `" 1.00"` or 19 decimals of hours keeps verifying. These checks run only when a command
//! is decided by rules 3 or later, before the command's own checks.

use std::collections::BTreeSet;
use std::sync::{Mutex, OnceLock, PoisonError};

use serde::Serialize;
use unicode_normalization::UnicodeNormalization;

use crate::FastMap;
use crate::command::Command;
use crate::error::{DomainError, DomainResult};

mod leaves;

/// Most decimals hours are written with (one second is 0.000277… hours; a timesheet import
/// rounds to this many too). More is refused, never rounded.
pub const HOURS_DECIMALS: u32 = 6;

/// Free text, where a number with spaces is just text.
const TEXT_FIELDS: [&str; 9] = [
    "note",
    "reason",
    "name",
    "description",
    "reference",
    "for",
    "formula",
    "title",
    "about",
];

/// Fields that hold hours.
const HOURS_FIELDS: [&str; 2] = ["hours", "technician_hours"];

/// Refuses a command whose numbers are written with spaces around them (`" 1.00"`) or whose
/// hours have more than [`HOURS_DECIMALS`] decimals, naming the field and quoting the value.
pub(crate) fn check_numbers(command: &Command) -> DomainResult<()> {
    match command.serialize(leaves::Walker {
        level: leaves::Level::Command,
    }) {
        Err(leaves::Stop::Refused(error)) => Err(error),
        // What cannot be written as JSON has no text to check (as `serde_json::to_value`).
        Ok(()) | Err(leaves::Stop::Unserialisable(_)) => Ok(()),
    }
}

/// The static name a refusal gives a command field. The names come from serialising a
/// `Command`, a fixed set, so each is interned once and the table stays as small as the enum.
fn static_field(name: &str) -> &'static str {
    static NAMES: OnceLock<Mutex<BTreeSet<&'static str>>> = OnceLock::new();
    let mut names = NAMES
        .get_or_init(Default::default)
        .lock()
        .unwrap_or_else(PoisonError::into_inner);
    if let Some(found) = names.get(name) {
        return found;
    }
    let interned: &'static str = Box::leak(name.to_owned().into_boxed_str());
    names.insert(interned);
    interned
}

/// Whether `text` writes a number: digits with an optional sign and '.'.
fn is_number_shaped(text: &str) -> bool {
    text.bytes().any(|b| b.is_ascii_digit())
        && text
            .bytes()
            .all(|b| b.is_ascii_digit() || b == b'.' || b == b'-' || b == b'+')
}

fn check_number_text(field: &'static str, text: &str) -> DomainResult<()> {
    let trimmed = text.trim();
    if trimmed.len() != text.len() && is_number_shaped(trimmed) {
        return Err(DomainError::invalid(format!(
            "malformed number {text:?}: write it without spaces, as {trimmed:?}"
        ))
        .field(field)
        .value(text));
    }
    if HOURS_FIELDS.contains(&field) {
        let decimals = text.split_once('.').map_or(0, |(_, f)| f.len());
        if decimals > HOURS_DECIMALS as usize {
            return Err(DomainError::invalid(format!(
                "hours {text:?} have {decimals} decimals: at most {HOURS_DECIMALS}, \
                 never rounded"
            ))
            .field(field)
            .value(text)
            .limit(format!("{HOURS_DECIMALS} decimals")));
        }
    }
    Ok(())
}

/// The form two handles that look alike share: NFKC, lower case, letters of other scripts
/// that look like Latin ones (Cyrillic `а`, Greek `ο`) as those, and the ASCII lookalikes
/// `0` → `o`, `1` → `l`, `rn` → `m`.
pub fn skeleton(handle: &str) -> String {
    let folded: String = handle
        .nfkc()
        .flat_map(char::to_lowercase)
        .map(latin_lookalike)
        .collect();
    folded.replace("rn", "m")
}

/// The Latin letter (or ASCII lookalike) `c` is mistaken for, or `c`.
fn latin_lookalike(c: char) -> char {
    match c {
        // Cyrillic.
        'а' => 'a',
        'в' => 'b',
        'е' | 'ё' => 'e',
        'һ' => 'h',
        'і' | 'ї' => 'i',
        'ј' => 'j',
        'к' => 'k',
        'ӏ' => 'l',
        'м' => 'm',
        'н' => 'h',
        'о' => 'o',
        'р' => 'p',
        'ԛ' => 'q',
        'г' => 'r',
        'ѕ' => 's',
        'т' => 't',
        'υ' | 'у' => 'y',
        'ԝ' => 'w',
        'х' => 'x',
        'ԁ' => 'd',
        'с' => 'c',
        // Greek.
        'α' => 'a',
        'β' => 'b',
        'ε' => 'e',
        'η' => 'n',
        'ι' => 'i',
        'κ' => 'k',
        'ν' => 'v',
        'ο' => 'o',
        'ρ' => 'p',
        'τ' => 't',
        'χ' => 'x',
        // ASCII.
        '0' => 'o',
        '1' => 'l',
        other => other,
    }
}

/// Handles by skeleton, for the handles whose skeleton differs from themselves (the others
/// are found in the agents' map under their skeleton).
#[derive(Debug, Clone, Default, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub(crate) struct Lookalikes(
    #[serde(serialize_with = "crate::snapshot::sorted")] FastMap<String, String>,
);

impl Lookalikes {
    /// Records `handle` (an agent just added).
    pub(crate) fn add(&mut self, handle: &str) {
        let skeleton = skeleton(handle);
        if skeleton != handle {
            self.0.entry(skeleton).or_insert_with(|| handle.to_string());
        }
    }

    /// The handle of skeleton `skeleton` recorded here, if any.
    pub(crate) fn get(&self, skeleton: &str) -> Option<&str> {
        self.0.get(skeleton).map(String::as_str)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_field_name_is_interned_once() {
        let first = static_field("retro");
        let again = static_field(&String::from("retro"));
        assert_eq!(first, "retro");
        assert!(std::ptr::eq(first, again));
    }

    /// The check as it was first written, on the command's `serde_json::Value`: the walk
    /// must refuse exactly what this refuses, naming the same field.
    fn check_by_value(command: &Command) -> DomainResult<()> {
        use serde_json::Value as Json;
        fn leaves(field: &'static str, value: &Json) -> DomainResult<()> {
            match value {
                Json::String(text) => check_number_text(field, text),
                Json::Array(items) => items.iter().try_for_each(|item| leaves(field, item)),
                Json::Object(map) => map.values().try_for_each(|item| leaves(field, item)),
                _ => Ok(()),
            }
        }
        let Ok(Json::Object(tagged)) = serde_json::to_value(command) else {
            return Ok(());
        };
        for fields in tagged.values() {
            let Json::Object(fields) = fields else {
                continue;
            };
            for (name, value) in fields {
                if !TEXT_FIELDS.contains(&name.as_str()) {
                    leaves(static_field(name), value)?;
                }
            }
        }
        Ok(())
    }

    #[test]
    fn the_walk_refuses_what_the_json_value_check_refused() {
        let commands = [
            r#"{"log":{"project":"p","agent":"a","kind":"cash","amount":" 1.00","note":" 5"}}"#,
            r#"{"log":{"project":"p","agent":"a","kind":"work","hours":"1.1234567"}}"#,
            r#"{"log":{"project":"p","agent":"a","kind":"work","hours":"1.123456","note":" 7 "}}"#,
            r#"{"set_rate":{"project":"p","category":"wood","per_hour":"20.00 "}}"#,
            r#"{"revenue":{"project":"p","amount":"100.00","from":" 12"}}"#,
            r#"{"set_plan":{"project":"p","plan":{"bucket":[{"type":"percent","percent":"10","to":" 12"},{"type":"contributors"}]}}}"#,
            r#"{"set_plan":{"project":"p","plan":{"bucket":[{"type":"percent","percent":"10","to":"infra"}]}}}"#,
            r#"{"propose":{"title":" 3","changes":[{"set_rate":{"project":"p","category":"c","per_hour":" 1"}}]}}"#,
            r#"{"propose":{"title":"t","changes":[{"log":{"project":"p","agent":"a","kind":"cash","amount":"1","note":" 5"}}]}}"#,
            r#"{"propose":{"title":"t","changes":[{"approve":{"id":1}}]}}"#,
        ];
        let mut refused = 0;
        for text in commands {
            let command: Command = serde_json::from_str(text).expect(text);
            let walked = check_numbers(&command);
            let by_value = check_by_value(&command);
            assert_eq!(
                walked.as_ref().map_err(|e| (e.to_string(), e.field_name())),
                by_value
                    .as_ref()
                    .map_err(|e| (e.to_string(), e.field_name())),
                "{text}"
            );
            refused += usize::from(walked.is_err());
        }
        assert_eq!(refused, 7, "the cases above that refuse");
    }

    #[test]
    fn numbers_with_spaces_and_over_precise_hours_are_refused() {
        let cash = |amount: &str| Command::Log {
            project: "p".into(),
            agent: "a".into(),
            kind: crate::model::Kind::Cash,
            category: None,
            hours: None,
            amount: Some(amount.into()),
            rate: None,
            value: None,
            date: None,
            note: Some(" 5".into()),
            gift: false,
            reimbursable: false,
        };
        check_numbers(&cash("1.00")).expect("plain");
        let refused = check_numbers(&cash(" 1.00")).expect_err("spaced");
        assert_eq!(
            refused.to_string(),
            "malformed number \" 1.00\": write it without spaces, as \"1.00\""
        );
        assert_eq!(refused.field_name(), Some("amount"));
        assert!(check_numbers(&cash("1.00\t")).is_err());
        let mut work = cash("1");
        if let Command::Log { hours, amount, .. } = &mut work {
            *amount = None;
            *hours = Some("1.1234567".into());
        }
        let refused = check_numbers(&work).expect_err("seven decimals");
        assert_eq!(refused.field_name(), Some("hours"));
        assert_eq!(
            refused.to_string(),
            "hours \"1.1234567\" have 7 decimals: at most 6, never rounded"
        );
        if let Command::Log { hours, .. } = &mut work {
            *hours = Some("1.123456".into());
        }
        check_numbers(&work).expect("six decimals");
    }

    #[test]
    fn lookalike_handles_share_a_skeleton() {
        assert_eq!(skeleton("аna"), "ana");
        assert_eq!(skeleton("b0b"), skeleton("bob"));
        assert_eq!(skeleton("carnl"), "caml");
        assert_eq!(skeleton("ｂｏｂ"), "bob");
        assert_ne!(skeleton("ana"), skeleton("anna"));
        let mut lookalikes = Lookalikes::default();
        lookalikes.add("bob");
        lookalikes.add("b0b");
        assert_eq!(lookalikes.get("bob"), Some("b0b"));
        assert_eq!(lookalikes.get("ana"), None);
    }

    #[test]
    fn lookalike_handles_are_refused_by_rules_3_only() {
        use crate::limits::tests_support::*;
        let mut state = book(0);
        let add = |handle: &str| Command::AddAgent {
            handle: handle.into(),
            name: None,
            role: Role::Affiliate,
        };
        let (message, field, _) = refused(&mut state, crate::model::OPERATOR, add("аna"));
        assert_eq!(
            message,
            "conflict: handle \"аna\" looks like the existing agent \"ana\": choose a handle \
             nobody can mistake for it"
        );
        assert_eq!(field, "handle");
        ok(&mut state, add("b0b"));
        let (message, _, _) = refused(&mut state, crate::model::OPERATOR, add("bob"));
        assert!(message.contains("\"b0b\""), "{message}");
        // An event decided by rules 2 (a book written before) still applies and verifies.
        let mut ctx = ctx_on(&state, crate::model::OPERATOR, TODAY);
        ctx.rules = 2;
        state.execute(&ctx, &add("bob")).expect("rules 2");
        assert!(state.agent("bob").is_ok());
    }
}
