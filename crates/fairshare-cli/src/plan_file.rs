//! Plan files: a TOML (or JSON) document of `[[bucket]]` tables, exactly the serde form of
//! `fairshare_core::Plan`. Numbers are accepted where the core wants decimal strings
//! (`percent = 10`), and every refusal names the bucket it is about. See docs/PLANS.md.

use std::path::Path;

use anyhow::Result;
use fairshare_core::{Bucket, Plan};
use serde_json::{Map, Value};

use crate::error::CliError;

/// Largest plan file read: a plan has at most 64 short buckets.
pub const PLAN_FILE_BYTES_MAX: u64 = 1 << 20;

/// Reads and parses a plan file; `.json` files are JSON, anything else TOML.
pub fn load_plan(path: &Path) -> Result<Plan> {
    let shown = path.display();
    let size = std::fs::metadata(path)
        .map_err(|e| CliError::input(format!("cannot read plan file {shown}: {e}")))?
        .len();
    if size > PLAN_FILE_BYTES_MAX {
        return Err(CliError::input(format!(
            "plan file {shown} is larger than {PLAN_FILE_BYTES_MAX} bytes"
        ))
        .into());
    }
    let text = std::fs::read_to_string(path)
        .map_err(|e| CliError::input(format!("cannot read plan file {shown}: {e}")))?;
    let is_json = path
        .extension()
        .is_some_and(|ext| ext.eq_ignore_ascii_case("json"));
    let plan = if is_json {
        parse_json_plan(&text)
    } else {
        parse_toml_plan(&text)
    };
    plan.map_err(|message| CliError::invalid(format!("plan file {shown}: {message}")).into())
}

pub fn parse_toml_plan(text: &str) -> Result<Plan, String> {
    let document: toml::Table = toml::from_str(text).map_err(|e| e.to_string())?;
    plan_from_value(toml_to_json(toml::Value::Table(document)))
}

pub fn parse_json_plan(text: &str) -> Result<Plan, String> {
    let document: Value = serde_json::from_str(text).map_err(|e| e.to_string())?;
    plan_from_value(document)
}

/// Builds a plan bucket by bucket, so that an error says which bucket it is in.
fn plan_from_value(document: Value) -> Result<Plan, String> {
    let Value::Object(top) = document else {
        return Err("a plan is a table of [[bucket]] entries".to_string());
    };
    let mut buckets = None;
    for (key, value) in top {
        match key.as_str() {
            "bucket" | "buckets" if buckets.is_none() => buckets = Some(value),
            "bucket" | "buckets" => {
                return Err("write the buckets as `bucket` or `buckets`, not both".to_string());
            }
            other => {
                return Err(format!(
                    "unknown key `{other}` at the top of the plan: a plan holds only [[bucket]] tables"
                ));
            }
        }
    }
    let items = match buckets {
        Some(Value::Array(items)) => items,
        Some(_) => return Err("`bucket` must be an array of tables ([[bucket]])".to_string()),
        None => return Err("a plan needs at least one [[bucket]]".to_string()),
    };
    let buckets = items
        .into_iter()
        .enumerate()
        .map(|(index, item)| {
            let number = index + 1;
            let Value::Object(fields) = item else {
                return Err(format!("bucket {number}: expected a table"));
            };
            serde_json::from_value::<Bucket>(Value::Object(numbers_to_strings(fields)))
                .map_err(|e| format!("bucket {number}: {e}"))
        })
        .collect::<Result<Vec<Bucket>, String>>()?;
    Ok(Plan { buckets })
}

/// The core takes decimals as strings (never floats); a number written in a bucket becomes the
/// string of its digits, so `percent = 10` and `percent = "10"` mean the same.
fn numbers_to_strings(fields: Map<String, Value>) -> Map<String, Value> {
    fields
        .into_iter()
        .map(|(key, value)| {
            let value = match value {
                Value::Number(n) => Value::String(n.to_string()),
                other => other,
            };
            (key, value)
        })
        .collect()
}

/// TOML to JSON. Dates become strings; floats keep their shortest exact text ("12.5").
fn toml_to_json(value: toml::Value) -> Value {
    match value {
        toml::Value::String(s) => Value::String(s),
        toml::Value::Integer(i) => Value::String(i.to_string()),
        toml::Value::Float(f) => Value::String(f.to_string()),
        toml::Value::Boolean(b) => Value::Bool(b),
        toml::Value::Datetime(d) => Value::String(d.to_string()),
        toml::Value::Array(items) => Value::Array(items.into_iter().map(toml_to_json).collect()),
        toml::Value::Table(table) => Value::Object(
            table
                .into_iter()
                .map(|(k, v)| (k, toml_to_json(v)))
                .collect(),
        ),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const FORILLON: &str = r#"
# forillon: reimburse materials, 10% of gross to infra, the rest to work by value
[[bucket]]
type = "reimburse"
kinds = ["material"]

[[bucket]]
type = "percent"
percent = "10"
of = "gross"
to = "infra"

[[bucket]]
type = "contributors"
kinds = ["work"]
"#;

    #[test]
    fn parses_the_forillon_plan() {
        let plan = parse_toml_plan(FORILLON).unwrap();
        assert_eq!(plan.buckets.len(), 3);
        let json = serde_json::to_string(&plan).unwrap();
        assert_eq!(
            json,
            r#"{"bucket":[{"type":"reimburse","kinds":["material"]},{"type":"percent","percent":"10","of":"gross","to":"infra"},{"type":"contributors","kinds":["work"]}]}"#
        );
        assert_eq!(parse_json_plan(&json).unwrap(), plan);
    }

    #[test]
    fn numbers_and_dates_are_accepted() {
        let plan = parse_toml_plan(
            "[[bucket]]\ntype = \"percent\"\npercent = 12.5\nto = \"infra\"\n\
             [[bucket]]\ntype = \"fixed\"\namount = 500\nto = \"infra\"\n\
             [[bucket]]\ntype = \"contributors\"\nfrom = 2026-01-01\nto = \"2026-12-31\"\npercent = 50\n",
        )
        .unwrap();
        let json = serde_json::to_string(&plan).unwrap();
        assert!(json.contains(r#""percent":"12.5""#), "{json}");
        assert!(json.contains(r#""amount":"500""#), "{json}");
        assert!(json.contains(r#""from":"2026-01-01""#), "{json}");
    }

    #[test]
    fn refusals_name_the_bucket_and_key() {
        let err = parse_toml_plan(
            "[[bucket]]\ntype = \"reimburse\"\n[[bucket]]\ntype = \"percent\"\npercnt = 10\nto = \"infra\"\n",
        )
        .unwrap_err();
        assert_eq!(
            err,
            "bucket 2: unknown field `percnt`, expected one of `percent`, `of`, `to`"
        );
        let err = parse_toml_plan("[[bucket]]\ntype = \"lottery\"\n").unwrap_err();
        assert!(
            err.starts_with("bucket 1: unknown variant `lottery`"),
            "{err}"
        );
        let err = parse_toml_plan("name = \"x\"\n[[bucket]]\ntype = \"reimburse\"\n").unwrap_err();
        assert!(err.starts_with("unknown key `name`"), "{err}");
    }
}
