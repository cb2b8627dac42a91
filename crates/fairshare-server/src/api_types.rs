//! The JSON of the few routes that are not operations of `fairshare-ops`: health and the
//! export's query. Every operation's request and view lives in `fairshare-ops`, and so does
//! the problem document of errors, which the remote CLI reads too.

use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};

pub use fairshare_ops::Problem;

#[derive(Debug, Serialize, Deserialize, ToSchema)]
pub struct HealthOut {
    pub status: String,
    /// Events in the book as this server knows it.
    pub events: u64,
}

#[derive(Debug, Default, Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct ExportQuery {
    /// The format (default `jsonl`): jsonl, csv, beancount, hledger, ledger, valueflows,
    /// csv-contributions, csv-distributions or csv-balances.
    pub format: Option<String>,
}
