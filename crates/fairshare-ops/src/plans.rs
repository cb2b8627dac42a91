//! Distribution plans (value equations): the bucket shapes requests and views use, plan files
//! (TOML or JSON, the same shape), showing a version and setting a new one.

use fairshare_book::Executed;
use fairshare_core::parse_decimal;
use std::fmt::Write as _;

use fairshare_core::{
    Bucket, Command, Date, DomainError, Filter, Kind, Outcome, PercentOf, Plan, Project, State,
};
use rust_decimal::Decimal;
use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};

use crate::contributions::KindName;
use crate::error::OpResult;
use crate::op::{Read, Reading, Write};

/// Largest plan file read: a plan has at most 64 short buckets.
pub const PLAN_FILE_BYTES_MAX: u64 = 1 << 20;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "lowercase")]
pub enum PercentOfName {
    Gross,
    Remaining,
}

/// One step of a value equation, as a plan file, a request and a view write it. Decimals
/// are strings (`"10"`, `"12.5"`); dates are `YYYY-MM-DD`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(tag = "type", rename_all = "snake_case", deny_unknown_fields)]
pub enum BucketSpec {
    /// `min(amount, left)` to `to`.
    Fixed { amount: String, to: String },
    /// `min(floor(percent% of gross or of what is left), left)` to `to`.
    Percent {
        percent: String,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        of: Option<PercentOfName>,
        to: String,
    },
    /// Outstanding reimbursable claims of these kinds (default cash and material), capped.
    Reimburse {
        #[serde(default, skip_serializing_if = "Option::is_none")]
        kinds: Option<Vec<KindName>>,
    },
    /// What is left (or `percent`% of it), pro rata by the value of matching contributions.
    Contributors {
        #[serde(default, skip_serializing_if = "Vec::is_empty")]
        kinds: Vec<KindName>,
        #[serde(default, skip_serializing_if = "Vec::is_empty")]
        categories: Vec<String>,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        from: Option<String>,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        to: Option<String>,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        percent: Option<String>,
    },
    /// What is left (or `percent`% of it) to a resource's co-owners' outstanding payback.
    Payback {
        resource: String,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        percent: Option<String>,
    },
    /// What is left, pro rata by the holders' balances of a project token.
    TokenHolders { token: String },
    /// What is left (or `percent`% of it), pro rata by the project's blended shares.
    Blended {
        #[serde(default, skip_serializing_if = "Option::is_none")]
        percent: Option<String>,
    },
    /// What is left (or `percent`% of it), pro rata by the pool units held in a points project.
    Units {
        project: String,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        percent: Option<String>,
    },
    /// Everything left, held in `PROJECT-bank` until it holds at least `until`; then all of it
    /// is released through the buckets after this one.
    Bank { until: String },
}

fn percent(text: &str) -> OpResult<Decimal> {
    Ok(parse_decimal(text, "percent").map_err(|e| e.field("percent"))?)
}

fn date(text: &str, field: &'static str) -> OpResult<Date> {
    Ok(Date::parse(text).map_err(|e| e.field(field))?)
}

impl BucketSpec {
    /// The core bucket (decimals and dates parsed; a bad one is refused as invalid).
    pub fn to_bucket(&self) -> OpResult<Bucket> {
        Ok(match self.clone() {
            BucketSpec::Fixed { amount, to } => Bucket::Fixed { amount, to },
            BucketSpec::Percent { percent: p, of, to } => Bucket::Percent {
                percent: percent(&p)?,
                of: match of.unwrap_or(PercentOfName::Gross) {
                    PercentOfName::Gross => PercentOf::Gross,
                    PercentOfName::Remaining => PercentOf::Remaining,
                },
                to,
            },
            BucketSpec::Reimburse { kinds } => Bucket::Reimburse {
                kinds: match kinds {
                    Some(kinds) => kinds.into_iter().map(Kind::from).collect(),
                    None => vec![Kind::Cash, Kind::Material],
                },
            },
            BucketSpec::Contributors {
                kinds,
                categories,
                from,
                to,
                percent: p,
            } => Bucket::Contributors {
                kinds: kinds.into_iter().map(Kind::from).collect(),
                categories,
                from: from.as_deref().map(|d| date(d, "from")).transpose()?,
                to: to.as_deref().map(|d| date(d, "to")).transpose()?,
                percent: p.as_deref().map(percent).transpose()?,
            },
            BucketSpec::Payback {
                resource,
                percent: p,
            } => Bucket::Payback {
                resource,
                percent: p.as_deref().map(percent).transpose()?,
            },
            BucketSpec::TokenHolders { token } => Bucket::TokenHolders { token },
            BucketSpec::Blended { percent: p } => Bucket::Blended {
                percent: p.as_deref().map(percent).transpose()?,
            },
            BucketSpec::Units {
                project,
                percent: p,
            } => Bucket::Units {
                project,
                percent: p.as_deref().map(percent).transpose()?,
            },
            BucketSpec::Bank { until } => Bucket::Bank { until },
        })
    }

    /// A core bucket as a plan writes it.
    pub fn of(bucket: &Bucket) -> BucketSpec {
        match bucket {
            Bucket::Fixed { amount, to } => BucketSpec::Fixed {
                amount: amount.clone(),
                to: to.clone(),
            },
            Bucket::Percent { percent, of, to } => BucketSpec::Percent {
                percent: percent.to_string(),
                of: Some(match of {
                    PercentOf::Gross => PercentOfName::Gross,
                    PercentOf::Remaining => PercentOfName::Remaining,
                }),
                to: to.clone(),
            },
            Bucket::Reimburse { kinds } => BucketSpec::Reimburse {
                kinds: Some(kinds.iter().copied().map(KindName::from).collect()),
            },
            Bucket::Contributors {
                kinds,
                categories,
                from,
                to,
                percent,
            } => BucketSpec::Contributors {
                kinds: kinds.iter().copied().map(KindName::from).collect(),
                categories: categories.clone(),
                from: from.map(|d| d.to_string()),
                to: to.map(|d| d.to_string()),
                percent: percent.map(|p| p.to_string()),
            },
            Bucket::Payback { resource, percent } => BucketSpec::Payback {
                resource: resource.clone(),
                percent: percent.map(|p| p.to_string()),
            },
            Bucket::TokenHolders { token } => BucketSpec::TokenHolders {
                token: token.clone(),
            },
            Bucket::Blended { percent } => BucketSpec::Blended {
                percent: percent.map(|p| p.to_string()),
            },
            Bucket::Units { project, percent } => BucketSpec::Units {
                project: project.clone(),
                percent: percent.map(|p| p.to_string()),
            },
            Bucket::Bank { until } => BucketSpec::Bank {
                until: until.clone(),
            },
        }
    }
}

/// The buckets of a plan as the core takes them.
pub fn plan_of(buckets: &[BucketSpec]) -> OpResult<Plan> {
    Ok(Plan {
        buckets: buckets
            .iter()
            .map(BucketSpec::to_bucket)
            .collect::<OpResult<_>>()?,
    })
}

/// A plan bucket in plain words, with its project's currency.
pub fn bucket_words(bucket: &Bucket, project: &Project) -> String {
    match bucket {
        Bucket::Fixed { amount, to } => format!(
            "a fixed {amount} {} to {to} (or what is left, if less)",
            project.currency
        ),
        Bucket::Percent { percent, of, to } => match of {
            PercentOf::Gross => format!("{percent}% of the whole amount to {to} (rounded down)"),
            PercentOf::Remaining => format!("{percent}% of what is left to {to} (rounded down)"),
        },
        Bucket::Reimburse { kinds } => format!(
            "pay back outstanding reimbursable {} claims, pro rata to what is owed and never more",
            kinds
                .iter()
                .map(|k| k.as_str())
                .collect::<Vec<_>>()
                .join(" and ")
        ),
        Bucket::Contributors { percent, .. } => {
            let filter = bucket.filter().unwrap_or_default();
            format!(
                "{} to contributors, pro rata by the value of their counted {}",
                pot(percent.as_ref()),
                filter_words(&filter)
            )
        }
        Bucket::Payback { resource, percent } => format!(
            "{} to the co-owners of {resource} until they are paid back (pledge plus premium), pro rata by pledge and never past a cap; what they cannot take goes on",
            pot(percent.as_ref())
        ),
        Bucket::TokenHolders { token } => format!(
            "everything left to the holders of {token}, pro rata by their balances (nobody holding it: it goes on)"
        ),
        Bucket::Blended { percent } => format!(
            "{} to contributors, pro rata by their blended shares (formula, peer and steward) on the day of the revenue (nobody with a share: it goes on)",
            pot(percent.as_ref())
        ),
        Bucket::Units {
            project: points,
            percent,
        } => format!(
            "{} to the holders of {points}'s pool units, pro rata by units allocated up to the day of the revenue; a bad leaver's units are forfeited (nobody holding units: it goes on)",
            pot(percent.as_ref())
        ),
        Bucket::Bank { until } => format!(
            "everything left is held in {} until it holds at least {until} {}; the revenue that brings it there releases all of it through the buckets after this one",
            project.bank_account(),
            project.currency
        ),
    }
}

fn pot(percent: Option<&Decimal>) -> String {
    match percent {
        Some(p) => format!("{p}% of what is left"),
        None => "everything left".to_string(),
    }
}

fn filter_words(filter: &Filter) -> String {
    let mut words = if filter.kinds.is_empty() {
        "contributions".to_string()
    } else {
        let kinds: Vec<&str> = filter.kinds.iter().map(|k| k.as_str()).collect();
        format!("{} contributions", kinds.join(" and "))
    };
    if !filter.categories.is_empty() {
        let _ = write!(words, " in {}", filter.categories.join(", "));
    }
    match (filter.from, filter.to) {
        (Some(from), Some(to)) => {
            let _ = write!(words, " dated {from} to {to}");
        }
        (Some(from), None) => {
            let _ = write!(words, " dated from {from}");
        }
        (None, Some(to)) => {
            let _ = write!(words, " dated up to {to}");
        }
        (None, None) => {}
    }
    words
}

#[derive(Debug, Clone, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct BucketOut {
    /// Bucket number, from 1.
    pub bucket: usize,
    /// The bucket in plain words.
    pub words: String,
    /// The bucket exactly as a plan writes it.
    #[serde(flatten)]
    pub spec: BucketSpec,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct PlanOut {
    pub project: String,
    pub version: u32,
    pub current_version: u32,
    pub buckets: Vec<BucketOut>,
    /// Where whatever the buckets leave goes.
    pub rest_to: String,
}

impl PlanOut {
    pub fn of(project: &Project, version: u32, plan: &Plan) -> PlanOut {
        PlanOut {
            project: project.slug.to_string(),
            version,
            current_version: project.plan_version(),
            buckets: plan
                .buckets
                .iter()
                .enumerate()
                .map(|(i, bucket)| BucketOut {
                    bucket: i + 1,
                    words: bucket_words(bucket, project),
                    spec: BucketSpec::of(bucket),
                })
                .collect(),
            rest_to: project.unallocated_account(),
        }
    }

    /// A version of a project's plan (the current one by default).
    pub fn version(project: &Project, version: Option<u32>) -> OpResult<PlanOut> {
        let current = project.plan_version();
        let version = version.unwrap_or(current);
        let plan = version
            .checked_sub(1)
            .and_then(|index| project.plans.get(index as usize))
            .ok_or_else(|| {
                DomainError::not_found(format!(
                    "project {} has no plan version {version}: its versions are 1 to {current}",
                    project.slug
                ))
                .field("version")
            })?;
        Ok(PlanOut::of(project, version, plan))
    }
}

/// A version of a project's plan (the current one by default).
#[derive(Debug, Clone, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(deny_unknown_fields)]
pub struct ShowPlan {
    pub project: String,
    /// A past version (default: the current one).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub version: Option<u32>,
}

operation!(ShowPlan => PlanOut, Get "/api/v1/projects/{project}/plan", "plans",
    "A version of a project's plan (the current one by default)");

impl Read for ShowPlan {
    const REFUSES_QUERY_VALUES: bool = false;

    fn view(&self, state: &State, _: &Reading) -> OpResult<PlanOut> {
        PlanOut::version(state.project(&self.project)?, self.version)
    }
}

/// Sets a project's plan: a new version, used by later distributions (custodians only).
#[derive(Debug, Clone, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(deny_unknown_fields)]
pub struct SetPlan {
    pub project: String,
    /// The buckets, in order (a plan file's `[[bucket]]` tables).
    #[serde(alias = "buckets")]
    pub bucket: Vec<BucketSpec>,
}

operation!(SetPlan => PlanOut, Put "/api/v1/projects/{project}/plan", "plans",
    "Sets a project's plan: a new version, used by later distributions (custodians only)");

impl Write for SetPlan {
    fn command(&self, _actor: &str) -> OpResult<Command> {
        Ok(Command::SetPlan {
            project: self.project.clone(),
            plan: plan_of(&self.bucket)?,
        })
    }

    fn view(&self, state: &State, executed: &Executed) -> OpResult<PlanOut> {
        let_outcome!(executed, &Outcome::PlanSet { version });
        PlanOut::version(state.project(&self.project)?, Some(version))
    }
}

// ---------------------------------------------------------------------------------------------
// Plan files

/// Parses a plan file: a TOML (or, with `json`, a JSON) document of `[[bucket]]` tables.
/// Numbers are accepted where a decimal string is meant (`percent = 10`), and every refusal
/// names the bucket it is about.
pub fn parse_plan_file(text: &str, json: bool) -> Result<Vec<BucketSpec>, String> {
    let document = if json {
        serde_json::from_str(text).map_err(|e| e.to_string())?
    } else {
        let table: toml::Table = toml::from_str(text).map_err(|e| e.to_string())?;
        toml_to_json(toml::Value::Table(table))
    };
    buckets_from_value(document)
}

/// A plan as a plan file's text (TOML), as `parse_plan_file` reads it back.
pub fn plan_file_text(plan: &Plan) -> String {
    #[derive(Serialize)]
    struct File {
        bucket: Vec<BucketSpec>,
    }
    let file = File {
        bucket: plan.buckets.iter().map(BucketSpec::of).collect(),
    };
    toml::to_string(&file).unwrap_or_default()
}

/// Reads the buckets one by one, so that an error says which bucket it is in.
fn buckets_from_value(document: Value) -> Result<Vec<BucketSpec>, String> {
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
    items
        .into_iter()
        .enumerate()
        .map(|(index, item)| {
            let number = index + 1;
            let Value::Object(fields) = item else {
                return Err(format!("bucket {number}: expected a table"));
            };
            serde_json::from_value::<BucketSpec>(Value::Object(numbers_to_strings(fields)))
                .map_err(|e| format!("bucket {number}: {e}"))
        })
        .collect()
}

/// Decimals are strings (never floats); a number written in a bucket becomes the string of
/// its digits, so `percent = 10` and `percent = "10"` mean the same.
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

/// TOML to JSON. Dates become strings; numbers keep their shortest exact text ("12.5").
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

/// The plan of docs/PLANS.md's first example (the forillon contract of DOMAIN.md), as its
/// TOML file: the demo's plan, and the tests'.
pub const FORILLON_PLAN: &str = r#"
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_the_forillon_plan_into_the_core_plan() {
        let buckets = parse_plan_file(FORILLON_PLAN, false).expect("plan");
        let plan = plan_of(&buckets).expect("core plan");
        let json = serde_json::to_string(&plan).expect("json");
        assert_eq!(
            json,
            r#"{"bucket":[{"type":"reimburse","kinds":["material"]},{"type":"percent","percent":"10","of":"gross","to":"infra"},{"type":"contributors","kinds":["work"]}]}"#
        );
        assert_eq!(parse_plan_file(&json, true).expect("json plan"), {
            let mut b = buckets.clone();
            b[1] = BucketSpec::Percent {
                percent: "10".into(),
                of: Some(PercentOfName::Gross),
                to: "infra".into(),
            };
            b
        });
    }

    #[test]
    fn a_plan_file_written_from_a_plan_reads_back_as_that_plan() {
        let json = r#"{"bucket": [
            {"type": "reimburse", "kinds": ["material"]},
            {"type": "percent", "percent": "10", "of": "gross", "to": "infra"},
            {"type": "contributors", "kinds": ["work"], "from": "2026-01-01"},
            {"type": "fixed", "amount": "5.00", "to": "x"},
            {"type": "payback", "resource": "printer", "percent": "70"},
            {"type": "token_holders", "token": "FST"},
            {"type": "bank", "until": "1000.00"},
            {"type": "blended", "percent": "40"},
            {"type": "units", "project": "ventwits"},
            {"type": "units", "project": "ventwits", "percent": "12.5"},
            {"type": "blended"}
        ]}"#;
        let plan = plan_of(&parse_plan_file(json, true).expect("json")).expect("plan");
        let text = plan_file_text(&plan);
        assert!(text.contains("[[bucket]]"), "{text}");
        let again = plan_of(&parse_plan_file(&text, false).expect("toml")).expect("plan");
        assert_eq!(again, plan);
        // The request's shape is the core plan's shape.
        let specs: Vec<BucketSpec> = plan.buckets.iter().map(BucketSpec::of).collect();
        assert_eq!(
            serde_json::to_value(&specs).expect("json"),
            serde_json::to_value(&plan.buckets).expect("json")
        );
    }

    #[test]
    fn the_new_buckets_read_from_toml_with_numbers() {
        let buckets = parse_plan_file(
            "[[bucket]]\ntype = \"bank\"\nuntil = 1000\n\
             [[bucket]]\ntype = \"units\"\nproject = \"ventwits\"\npercent = 50\n\
             [[bucket]]\ntype = \"blended\"\n",
            false,
        )
        .expect("plan");
        let json = serde_json::to_string(&plan_of(&buckets).expect("core")).expect("json");
        assert_eq!(
            json,
            r#"{"bucket":[{"type":"bank","until":"1000"},{"type":"units","project":"ventwits","percent":"50"},{"type":"blended"}]}"#
        );
        let err = parse_plan_file("[[bucket]]\ntype = \"bank\"\n", false).unwrap_err();
        assert_eq!(err, "bucket 1: missing field `until`");
        let err = parse_plan_file(
            "[[bucket]]\ntype = \"units\"\nproject = \"v\"\nuntil = 3\n",
            false,
        )
        .unwrap_err();
        assert_eq!(
            err,
            "bucket 1: unknown field `until`, expected `project` or `percent`"
        );
    }

    #[test]
    fn numbers_and_dates_are_accepted() {
        let buckets = parse_plan_file(
            "[[bucket]]\ntype = \"percent\"\npercent = 12.5\nto = \"infra\"\n\
             [[bucket]]\ntype = \"fixed\"\namount = 500\nto = \"infra\"\n\
             [[bucket]]\ntype = \"contributors\"\nfrom = 2026-01-01\nto = \"2026-12-31\"\npercent = 50\n",
            false,
        )
        .expect("plan");
        let json = serde_json::to_string(&plan_of(&buckets).expect("core")).expect("json");
        assert!(json.contains(r#""percent":"12.5""#), "{json}");
        assert!(json.contains(r#""amount":"500""#), "{json}");
        assert!(json.contains(r#""from":"2026-01-01""#), "{json}");
    }

    #[test]
    fn refusals_name_the_bucket_and_key() {
        let err = parse_plan_file(
            "[[bucket]]\ntype = \"reimburse\"\n[[bucket]]\ntype = \"percent\"\npercnt = 10\nto = \"infra\"\n",
            false,
        )
        .unwrap_err();
        assert_eq!(
            err,
            "bucket 2: unknown field `percnt`, expected one of `percent`, `of`, `to`"
        );
        let err = parse_plan_file("[[bucket]]\ntype = \"lottery\"\n", false).unwrap_err();
        assert!(
            err.starts_with("bucket 1: unknown variant `lottery`"),
            "{err}"
        );
        let err =
            parse_plan_file("name = \"x\"\n[[bucket]]\ntype = \"reimburse\"\n", false).unwrap_err();
        assert!(err.starts_with("unknown key `name`"), "{err}");
        let bad = plan_of(&[BucketSpec::Percent {
            percent: "ten".into(),
            of: None,
            to: "infra".into(),
        }])
        .unwrap_err();
        assert_eq!(bad.field(), Some("percent"));
    }
}
