//! The proposal forms of the dashboard, read off the one declaration of what may be proposed
//! (`fairshare_ops::governance::ProposedChange`): each proposable request type gives one kind
//! of change, named by its route's operation id (`set_rate`, the `op` of the API's change),
//! whose form has the request's own fields, read from its OpenAPI schema (a string is a text
//! box, a whole number a number box, a choice a select, a flag a checkbox, a list of words a
//! comma-separated text, an object its fields). A posted form becomes the JSON of that request
//! and is read by the request's own serde, then turned into the change by
//! `ProposedChange::of`: so no form field list is written here, and a field added to a
//! request appears in its form.

use std::sync::OnceLock;

use fairshare_core::DomainError;
use fairshare_ops::Write;
use fairshare_ops::governance::{EachChange, ProposedChange};
use fairshare_ops::plans::parse_plan_file;
use fairshare_ops::resources::SplitSpec;
use serde_json::{Map, Value};
use utoipa::ToSchema;

use super::Fields;
use crate::error::ApiError;

/// One kind of change a proposal may carry.
pub struct ChangeKind {
    /// The route's operation id, also the change's `op` over the API: `set_rate`.
    pub op: &'static str,
    /// The form's name (its refusals are shown under it): `propose-set_rate`.
    pub form: &'static str,
    /// The route's summary.
    pub summary: &'static str,
    /// The change is a rule of one project (its request names a project or a resource);
    /// otherwise of the network.
    pub of_project: bool,
    /// Its request names the project (filled in from the page, not a field of the form).
    names_project: bool,
    /// The fields a person fills in (a project's `project` is the page's, not a field).
    pub fields: Vec<ChangeField>,
}

impl ChangeKind {
    /// "set rate".
    pub fn words(&self) -> String {
        self.op.replace('_', " ")
    }

    /// What it does: the route's summary, without who may do it directly (a proposal's
    /// change is made by its enactment, whoever proposed it).
    pub fn what(&self) -> &'static str {
        match self.summary.find(" (custodians") {
            Some(cut) => &self.summary[..cut],
            None => self.summary,
        }
    }
}

/// One field of a change's form.
pub struct ChangeField {
    /// The form field's name: the request field's, `parent.field` inside an object.
    pub name: &'static str,
    /// "per hour", "hatch: raised".
    pub label: String,
    /// The request field's documentation, or how to write it.
    pub help: String,
    pub required: bool,
    pub input: Input,
    /// The values of a choice (`input` is `Choice`).
    pub choices: Vec<String>,
}

impl ChangeField {
    /// The `id` of its input on the page: `propose-set_rate-per_hour`.
    pub fn id(&self, kind: &ChangeKind) -> String {
        format!("{}-{}", kind.form, self.name.replace('.', "-"))
    }

    pub fn is(&self, input: &str) -> bool {
        self.input.name() == input
    }
}

/// How a field is written in the form.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Input {
    Text,
    /// A whole number.
    Whole,
    /// A flag: checked or not.
    Check,
    /// One of `choices`.
    Choice,
    /// Words separated by commas (a list of strings or choices).
    List,
    /// Anything else, as JSON.
    Json,
    /// Written as the CLI writes it, read by [`WORDED`]'s parser.
    Worded,
}

impl Input {
    fn name(self) -> &'static str {
        match self {
            Input::Text => "text",
            Input::Whole => "whole",
            Input::Check => "check",
            Input::Choice => "choice",
            Input::List => "list",
            Input::Json => "json",
            Input::Worded => "worded",
        }
    }
}

/// A field written in the CLI's words rather than as JSON: the change, the field, how to
/// write it, and the parser the CLI uses (which answers the request field's JSON).
struct Worded {
    op: &'static str,
    field: &'static str,
    help: &'static str,
    parse: fn(&str) -> Result<Value, String>,
}

const WORDED: [Worded; 2] = [
    Worded {
        op: "set_plan",
        field: "bucket",
        help: "A plan file, TOML or JSON, as plan set takes it.",
        parse: plan_buckets,
    },
    Worded {
        op: "set_fees",
        field: "split",
        help: "How the use fee splits, in order, as NAME=PERCENT separated by commas (payback for \
               the co-owners), adding up to 100: maintenance=20,payback=80.",
        parse: fee_split,
    },
];

fn plan_buckets(text: &str) -> Result<Value, String> {
    let buckets = parse_plan_file(text, text.starts_with('{'))?;
    serde_json::to_value(buckets).map_err(|e| e.to_string())
}

fn fee_split(text: &str) -> Result<Value, String> {
    let split = SplitSpec::parse_list(text).map_err(|(entry, why)| format!("{entry:?}: {why}"))?;
    serde_json::to_value(split).map_err(|e| e.to_string())
}

/// Every kind of change, in the order `ProposedChange` declares them (built once).
pub fn kinds() -> &'static [ChangeKind] {
    static KINDS: OnceLock<Vec<ChangeKind>> = OnceLock::new();
    KINDS.get_or_init(|| {
        let mut catalogue = Catalogue(Vec::new());
        ProposedChange::each(&mut catalogue);
        catalogue.0
    })
}

/// The kind named `op`.
pub fn kind(op: &str) -> Option<&'static ChangeKind> {
    kinds().iter().find(|kind| kind.op == op)
}

struct Catalogue(Vec<ChangeKind>);

impl EachChange for Catalogue {
    fn visit<O: Write>(&mut self) {
        let op = crate::operations::operation_id::<O>();
        let mut parts = Vec::new();
        <O as ToSchema>::schemas(&mut parts);
        let parts: Vec<(String, Value)> = parts
            .into_iter()
            .map(|(name, schema)| (name, to_json(&schema)))
            .collect();
        let object = to_json(&crate::operations::request_object::<O>());
        let summary = O::ROUTE.summary;
        let names = |name: &str| object["properties"].get(name).is_some();
        let names_project = names("project");
        let of_project = names_project || names("resource");
        let mut fields = Vec::new();
        fields_of(&op, &object, &parts, None, true, &mut fields);
        let order = declared_order::<O>();
        let place = |field: &ChangeField| {
            let top = field.name.split('.').next().unwrap_or_default();
            order
                .iter()
                .position(|name| *name == top)
                .unwrap_or(order.len())
        };
        fields.sort_by_key(place);
        self.0.push(ChangeKind {
            form: leak(format!("propose-{op}")),
            op: leak(op),
            summary,
            of_project,
            names_project,
            fields,
        });
    }
}

/// The fields of a request in the order it declares them (which serde hands to
/// `deserialize_struct`), or none for one that flattens another (then the schema's order).
fn declared_order<O: serde::de::DeserializeOwned>() -> &'static [&'static str] {
    struct Introspect(Option<&'static [&'static str]>);
    impl<'de> serde::Deserializer<'de> for &mut Introspect {
        type Error = serde::de::value::Error;

        fn deserialize_any<V: serde::de::Visitor<'de>>(
            self,
            _: V,
        ) -> Result<V::Value, Self::Error> {
            Err(serde::de::Error::custom("only the fields are asked for"))
        }

        fn deserialize_struct<V: serde::de::Visitor<'de>>(
            self,
            _: &'static str,
            fields: &'static [&'static str],
            _: V,
        ) -> Result<V::Value, Self::Error> {
            self.0 = Some(fields);
            Err(serde::de::Error::custom("only the fields are asked for"))
        }

        serde::forward_to_deserialize_any! {
            bool i8 i16 i32 i64 i128 u8 u16 u32 u64 u128 f32 f64 char str string bytes
            byte_buf option unit unit_struct newtype_struct seq tuple tuple_struct map enum
            identifier ignored_any
        }
    }
    let mut introspect = Introspect(None);
    let _ = O::deserialize(&mut introspect);
    introspect.0.unwrap_or_default()
}

/// The catalogue is built once: its names live as long as the server.
fn leak(text: String) -> &'static str {
    Box::leak(text.into_boxed_str())
}

fn to_json<T: serde::Serialize>(schema: &T) -> Value {
    serde_json::to_value(schema).unwrap_or_default()
}

/// `schema` itself, or the named schema it refers to, or the one that is not `null` of an
/// optional value's `oneOf`.
fn resolve<'a>(schema: &'a Value, parts: &'a [(String, Value)]) -> &'a Value {
    if let Some(reference) = schema.get("$ref").and_then(Value::as_str) {
        let name = reference.rsplit('/').next().unwrap_or_default();
        return parts
            .iter()
            .find(|(part, _)| part == name)
            .map_or(schema, |(_, found)| resolve(found, parts));
    }
    if let Some(items) = schema.get("oneOf").and_then(Value::as_array) {
        let not_null: Vec<&Value> = items
            .iter()
            .filter(|item| item.get("type").and_then(Value::as_str) != Some("null"))
            .collect();
        if let [one] = not_null[..] {
            return resolve(one, parts);
        }
    }
    schema
}

/// The schema's type other than `null`: `string`, `integer`, `boolean`, `array`, `object`.
fn type_of(schema: &Value) -> &str {
    match schema.get("type") {
        Some(Value::String(name)) => name,
        Some(Value::Array(names)) => names
            .iter()
            .filter_map(Value::as_str)
            .find(|name| *name != "null")
            .unwrap_or(""),
        _ if schema.get("properties").is_some() => "object",
        _ => "",
    }
}

/// The values of a choice, if `schema` is one.
fn choices_of(schema: &Value) -> Option<Vec<String>> {
    let values = schema.get("enum")?.as_array()?;
    Some(
        values
            .iter()
            .filter_map(Value::as_str)
            .map(str::to_string)
            .collect(),
    )
}

/// The fields of the object `object` (under `parent`, one level deep), in the schema's order.
fn fields_of(
    op: &str,
    object: &Value,
    parts: &[(String, Value)],
    parent: Option<&str>,
    required_parent: bool,
    out: &mut Vec<ChangeField>,
) {
    let Some(properties) = object.get("properties").and_then(Value::as_object) else {
        return;
    };
    let required: Vec<&str> = object["required"]
        .as_array()
        .map(|names| names.iter().filter_map(Value::as_str).collect())
        .unwrap_or_default();
    for (name, property) in properties {
        if parent.is_none() && name == "project" {
            continue;
        }
        let is_required = required_parent && required.contains(&name.as_str());
        let schema = resolve(property, parts);
        let help = property
            .get("description")
            .or_else(|| schema.get("description"))
            .and_then(Value::as_str)
            .unwrap_or_default()
            .replace('`', "");
        let full = match parent {
            Some(parent) => format!("{parent}.{name}"),
            None => name.clone(),
        };
        let label = sentence(&match parent {
            Some(parent) => format!("{}: {}", parent.replace('_', " "), name.replace('_', " ")),
            None => name.replace('_', " "),
        });
        if parent.is_none() && type_of(schema) == "object" {
            fields_of(op, schema, parts, Some(name), is_required, out);
            continue;
        }
        let (input, choices, help) = input_of(op, name, schema, parts, help);
        out.push(ChangeField {
            name: leak(full),
            label,
            help,
            required: is_required,
            input,
            choices,
        });
    }
}

fn json_help(help: &str) -> String {
    format!("{help} (JSON)").trim_start().to_string()
}

/// "per hour" -> "Per hour".
fn sentence(words: &str) -> String {
    let mut chars = words.chars();
    chars
        .next()
        .map(|first| first.to_uppercase().chain(chars).collect())
        .unwrap_or_default()
}

/// How the field `name` of change `op` is written, with its choices and help.
fn input_of(
    op: &str,
    name: &str,
    schema: &Value,
    parts: &[(String, Value)],
    help: String,
) -> (Input, Vec<String>, String) {
    if let Some(worded) = WORDED.iter().find(|w| w.op == op && w.field == name) {
        return (Input::Worded, Vec::new(), worded.help.to_string());
    }
    if let Some(choices) = choices_of(schema) {
        return (Input::Choice, choices, help);
    }
    match type_of(schema) {
        "integer" => (Input::Whole, Vec::new(), help),
        "boolean" => (Input::Check, Vec::new(), help),
        "array" => {
            let item = resolve(&schema["items"], parts);
            let words = type_of(item) == "string" || choices_of(item).is_some();
            match (words, choices_of(item)) {
                (true, Some(choices)) => {
                    let help = format!("{help} (separated by commas: {})", choices.join(", "));
                    (Input::List, Vec::new(), help.trim_start().to_string())
                }
                (true, None) => (
                    Input::List,
                    Vec::new(),
                    format!("{help} (separated by commas)").trim().to_string(),
                ),
                (false, _) => (Input::Json, Vec::new(), json_help(&help)),
            }
        }
        "string" => (Input::Text, Vec::new(), help),
        _ => (Input::Json, Vec::new(), json_help(&help)),
    }
}

// ---------------------------------------------------------------------------------------------
// A posted form, as the change it proposes

/// The change a posted form of `kind` proposes, for project `project` (if the kind is a
/// project's): the form's fields as the request's JSON, read by the request's own serde.
pub fn change_of(
    kind: &ChangeKind,
    fields: &Fields,
    project: Option<&str>,
) -> Result<ProposedChange, ApiError> {
    let mut request = Map::new();
    if let (true, Some(project)) = (kind.names_project, project) {
        request.insert("project".into(), Value::String(project.to_string()));
    }
    for field in &kind.fields {
        if let Some(value) = value_of(kind, field, fields)? {
            insert(&mut request, field.name, value);
        }
    }
    let mut build = Build {
        op: kind.op,
        request: Value::Object(request),
        change: None,
    };
    ProposedChange::each(&mut build);
    build
        .change
        .unwrap_or_else(|| Err(ApiError::not_found(format!("no change {}", kind.op))))
}

/// A refusal of the form field `field`.
fn refused(field: &'static str, message: String) -> ApiError {
    ApiError::Refused(DomainError::invalid(message).field(field))
}

/// The JSON of one field as the form wrote it (None: left out).
fn value_of(
    kind: &ChangeKind,
    field: &ChangeField,
    fields: &Fields,
) -> Result<Option<Value>, ApiError> {
    let name = field.name;
    if field.input == Input::Check {
        let checked = fields.contains_key(name);
        return Ok((checked || field.required).then_some(Value::Bool(checked)));
    }
    let text = super::field(fields, name);
    if text.is_empty() {
        return Ok(None);
    }
    let value = match field.input {
        Input::Whole => text.parse::<u64>().map(Value::from).map_err(|_| {
            refused(
                name,
                format!("{name}: expected a whole number such as 2, got {text:?}"),
            )
        })?,
        Input::List => Value::Array(
            text.split(',')
                .map(str::trim)
                .filter(|word| !word.is_empty())
                .map(|word| Value::String(word.to_string()))
                .collect(),
        ),
        Input::Json => serde_json::from_str(text)
            .map_err(|e| refused(name, format!("{name}: not JSON: {e}")))?,
        Input::Worded => {
            let worded = WORDED
                .iter()
                .find(|w| w.op == kind.op && w.field == name)
                .ok_or_else(|| ApiError::Internal(format!("no parser for {name}")))?;
            (worded.parse)(text).map_err(|why| refused(name, format!("{name}: {why}")))?
        }
        Input::Text | Input::Choice | Input::Check => Value::String(text.to_string()),
    };
    Ok(Some(value))
}

/// Puts `value` at `name` (`parent.field`: inside the object `parent`).
fn insert(request: &mut Map<String, Value>, name: &str, value: Value) {
    match name.split_once('.') {
        Some((parent, child)) => {
            let object = request
                .entry(parent)
                .or_insert_with(|| Value::Object(Map::new()));
            if let Value::Object(object) = object {
                object.insert(child.to_string(), value);
            }
        }
        None => {
            request.insert(name.to_string(), value);
        }
    }
}

/// Reads the request of change `op` from its JSON, with that request type's serde.
struct Build {
    op: &'static str,
    request: Value,
    change: Option<Result<ProposedChange, ApiError>>,
}

impl EachChange for Build {
    fn visit<O: Write>(&mut self) {
        if self.change.is_some() || crate::operations::operation_id::<O>() != self.op {
            return;
        }
        let request = std::mem::take(&mut self.request);
        let read: Result<O, ApiError> = serde_path_to_error::deserialize(request).map_err(|e| {
            let field = e.path().to_string();
            let message = crate::operations::field_error(&e);
            match kind(self.op).and_then(|k| k.fields.iter().find(|f| f.name == field)) {
                Some(f) => refused(f.name, message),
                None => ApiError::invalid(message),
            }
        });
        self.change = Some(read.and_then(|request| {
            ProposedChange::of(&request)?
                .ok_or_else(|| ApiError::Internal(format!("{} is not proposable", self.op)))
        }));
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn names(op: &str) -> Vec<(&'static str, Input, bool)> {
        kind(op)
            .unwrap_or_else(|| panic!("no kind {op}"))
            .fields
            .iter()
            .map(|f| (f.name, f.input, f.required))
            .collect()
    }

    #[test]
    fn every_proposable_request_is_a_kind_of_change_with_its_own_fields() {
        let ops: Vec<(&str, bool)> = kinds().iter().map(|k| (k.op, k.of_project)).collect();
        assert_eq!(
            ops,
            [
                ("set_rate", true),
                ("set_approvals", true),
                ("set_skill", true),
                ("set_multiplier", true),
                ("set_decay", true),
                ("remove_decay", true),
                ("set_plan", true),
                ("set_blend", true),
                ("set_leaver_policy", true),
                ("set_fees", true),
                ("create_token", true),
                ("release_bank", true),
                ("set_governance", true),
                ("set_network_governance", false),
                ("add_agent", false),
                ("add_project", false),
                ("admit_agent", false),
                ("set_role", false),
                ("admit_project", false),
                ("add_member", true),
                ("remove_member", true),
            ]
        );
        assert_eq!(
            names("set_rate"),
            [
                ("category", Input::Text, true),
                ("per_hour", Input::Text, true)
            ]
        );
        assert_eq!(
            names("set_multiplier"),
            [("kind", Input::Choice, true), ("factor", Input::Text, true)]
        );
        assert_eq!(names("remove_decay"), []);
        assert_eq!(
            names("set_leaver_policy"),
            [("enabled", Input::Check, true)]
        );
        assert_eq!(
            names("set_governance"),
            [
                ("mode", Input::Choice, true),
                ("notice_days", Input::Whole, false),
                ("quorum", Input::Text, false),
                ("threshold", Input::Text, false),
                ("voting_days", Input::Whole, false),
                ("weight", Input::Choice, false),
            ]
        );
        let token = names("create_token");
        assert!(
            token.contains(&("hatch.raised", Input::Text, false)),
            "{token:?}"
        );
        assert!(
            token.contains(&("exponent", Input::Whole, true)),
            "{token:?}"
        );
        let fees = names("set_fees");
        assert!(fees.contains(&("split", Input::Worded, true)), "{fees:?}");
        assert!(
            fees.contains(&("community_roles", Input::List, false)),
            "{fees:?}"
        );
    }

    fn form(pairs: &[(&str, &str)]) -> Fields {
        pairs
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect()
    }

    fn json(change: ProposedChange) -> Value {
        serde_json::to_value(change).expect("json")
    }

    #[test]
    fn a_form_is_read_as_its_request() {
        let kind = kind("create_token").expect("kind");
        let change = change_of(
            kind,
            &form(&[
                ("symbol", "SHOP"),
                ("exponent", "2"),
                ("redemption", "curve"),
                ("hatch.raised", "1000.00"),
                ("hatch.price", "1.00"),
                ("retro", "on"),
            ]),
            Some("shop"),
        )
        .expect("change");
        assert_eq!(
            json(change),
            serde_json::json!({"op": "create_token", "request": {
                "project": "shop", "symbol": "SHOP", "exponent": 2, "redemption": "curve",
                "hatch": {"raised": "1000.00", "price": "1.00"}, "retro": true}})
        );
        let fees = change_of(
            kind_of("set_fees"),
            &form(&[
                ("resource", "lathe"),
                ("per_hour", "12.00"),
                ("split", "upkeep=30,payback=70"),
                ("community_roles", "affiliate, custodian"),
            ]),
            Some("shop"),
        )
        .expect("fees");
        assert_eq!(
            json(fees),
            serde_json::json!({"op": "set_fees", "request": {
                "resource": "lathe", "per_hour": "12.00",
                "split": [{"to": "upkeep", "percent": "30"}, {"to": "payback", "percent": "70"}],
                "community_roles": ["affiliate", "custodian"]}})
        );
    }

    /// A field no kind has today (a list of objects) is written as JSON, refused by name when
    /// it is not.
    #[test]
    fn a_field_of_no_simpler_shape_is_json() {
        let schema = serde_json::json!({"type": "array", "items": {"type": "object"}});
        let (input, choices, help) = input_of("x", "rows", &schema, &[], "The rows.".into());
        assert_eq!(
            (input, choices, help.as_str()),
            (Input::Json, vec![], "The rows. (JSON)")
        );
        let kind = ChangeKind {
            op: "x",
            form: "propose-x",
            summary: "",
            of_project: false,
            names_project: false,
            fields: vec![ChangeField {
                name: "rows",
                label: "Rows".into(),
                help,
                required: true,
                input,
                choices: Vec::new(),
            }],
        };
        let rows = |text: &str| value_of(&kind, &kind.fields[0], &form(&[("rows", text)]));
        assert_eq!(
            rows("[{\"a\": 1}]").expect("json"),
            Some(serde_json::json!([{"a": 1}]))
        );
        let refused = rows("[{a}]").expect_err("not json");
        assert_eq!(refused.field(), Some("rows"));
        assert_eq!(
            refused.to_string(),
            "rows: not JSON: key must be a string at line 1 column 3"
        );
    }

    fn kind_of(op: &str) -> &'static ChangeKind {
        kind(op).expect("kind")
    }

    #[test]
    fn a_malformed_field_is_refused_by_name() {
        let refused = |op: &str, pairs: &[(&str, &str)]| {
            let error = change_of(kind_of(op), &form(pairs), Some("shop")).expect_err("refused");
            (
                error.field().unwrap_or_default().to_string(),
                error.to_string(),
            )
        };
        assert_eq!(
            refused(
                "set_governance",
                &[("mode", "proposals"), ("voting_days", "a week")]
            ),
            (
                "voting_days".to_string(),
                "voting_days: expected a whole number such as 2, got \"a week\"".to_string()
            )
        );
        assert_eq!(
            refused("set_multiplier", &[("kind", "labour"), ("factor", "2")]),
            (
                "kind".to_string(),
                "kind: unknown variant `labour`, expected one of `work`, `cash`, `material`, \
                 `use`, `cite`, `bounty`"
                    .to_string()
            )
        );
        assert_eq!(
            refused(
                "set_fees",
                &[("resource", "lathe"), ("per_hour", "1"), ("split", "x")]
            ),
            (
                "split".to_string(),
                "split: \"x\": expected NAME=PERCENT".to_string()
            )
        );
    }
}
