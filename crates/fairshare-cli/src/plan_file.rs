//! Plan files: a TOML (or JSON) document of `[[bucket]]` tables, the same shape as the API's
//! plan (`fairshare_ops::plans`). See docs/PLANS.md.

use std::path::Path;

use anyhow::Result;
use fairshare_ops::plans::{BucketSpec, PLAN_FILE_BYTES_MAX, parse_plan_file};

use crate::error::CliError;

/// Reads and parses a plan file; `.json` files are JSON, anything else TOML.
pub fn load_plan(path: &Path) -> Result<Vec<BucketSpec>> {
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
    parse_plan_file(&text, is_json)
        .map_err(|message| CliError::invalid(format!("plan file {shown}: {message}")).into())
}
