//! The nouns of the domain: agents, projects, valuation policies, contributions, plans.

use std::collections::BTreeMap;
use std::fmt;
use std::str::FromStr;
use std::sync::Arc;

use rust_decimal::Decimal;
use serde::{Deserialize, Serialize};

use crate::date::Date;
use crate::error::{DomainError, DomainResult, Field};
use crate::value::Value;

/// Longest handle, slug, account or category name.
pub const NAME_LEN_MAX: usize = 64;
/// Longest free text (a note, a reason, a purpose).
pub const TEXT_LEN_MAX: usize = 2_000;
/// Most buckets in one plan.
pub const PLAN_BUCKETS_MAX: usize = 64;
/// The world outside the network: money entering (revenue) or leaving comes from or goes here.
pub const OUTSIDE: &str = "outside";
/// The account currency exchanges go through: it gives one asset and takes another, so its
/// balance in each asset may go negative (like `outside`'s).
pub const EXCHANGE: &str = "exchange";

/// Whether `account` may go negative: only `outside` and `exchange`.
pub fn may_go_negative(account: &str) -> bool {
    account == OUTSIDE || account == EXCHANGE
}
/// The actor name of the local operator (the CLI without `--as`), who acts as a custodian.
pub const OPERATOR: &str = "operator";

/// Checks a handle, slug, account or category given as the request field `field`:
/// lower-case ASCII letters, digits, `-` and `_`, starting with a letter or digit.
pub(crate) fn check_name(field: Field, name: &str) -> DomainResult<()> {
    let ok = !name.is_empty()
        && name.len() <= NAME_LEN_MAX
        && name.as_bytes()[0].is_ascii_alphanumeric()
        && name
            .bytes()
            .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-' || b == b'_');
    if ok {
        return Ok(());
    }
    let error = DomainError::invalid(format!(
        "invalid {} {name:?}: use 1 to {NAME_LEN_MAX} lower-case letters, digits, '-' or '_'",
        field.what
    ))
    .field(field.name)
    .value(name);
    Err(if name.len() > NAME_LEN_MAX {
        error.limit(format!("{NAME_LEN_MAX} bytes"))
    } else {
        error
    })
}

/// Checks free text (a note, a reason, a purpose) given as the request field `field`.
pub(crate) fn check_text(field: Field, text: &str) -> DomainResult<()> {
    if text.len() > TEXT_LEN_MAX {
        return Err(DomainError::invalid(format!(
            "{} is longer than {TEXT_LEN_MAX} bytes",
            field.what
        ))
        .field(field.name)
        .limit(format!("{TEXT_LEN_MAX} bytes")));
    }
    Ok(())
}

/// As [`check_text`], for a field that may be left out.
pub(crate) fn check_optional_text(field: Field, text: Option<&str>) -> DomainResult<()> {
    text.map_or(Ok(()), |text| check_text(field, text))
}

/// The one of `all` that `name` calls `text`: an enum written as one word per variant parses
/// by the names it prints. Refused: `unknown {what} "text": expected a, b or c`.
pub(crate) fn parse_word<T: Copy>(
    all: &[T],
    name: fn(T) -> &'static str,
    what: &str,
    text: &str,
) -> DomainResult<T> {
    find_word(all, name, text).ok_or_else(|| {
        DomainError::invalid(format!(
            "unknown {what} {text:?}: expected {}",
            word_list(all, name)
        ))
    })
}

/// A status to filter by, as [`parse_word`] but refused as `unknown status "text": use a, b
/// or c`, naming the `status` field.
pub(crate) fn parse_status<T: Copy>(
    all: &[T],
    name: fn(T) -> &'static str,
    text: &str,
) -> DomainResult<T> {
    find_word(all, name, text).ok_or_else(|| {
        DomainError::invalid(format!(
            "unknown status {text:?}: use {}",
            word_list(all, name)
        ))
        .field("status")
        .value(text)
    })
}

fn find_word<T: Copy>(all: &[T], name: fn(T) -> &'static str, text: &str) -> Option<T> {
    all.iter().copied().find(|&item| name(item) == text)
}

/// The names of `all` for a message: `a, b or c`.
fn word_list<T: Copy>(all: &[T], name: fn(T) -> &'static str) -> String {
    let names: Vec<&str> = all.iter().map(|&item| name(item)).collect();
    match names.split_last() {
        Some((last, [])) => last.to_string(),
        Some((last, rest)) => format!("{} or {last}", rest.join(", ")),
        None => String::new(),
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Role {
    Custodian,
    Affiliate,
    Observer,
}

impl Role {
    pub const ALL: [Role; 3] = [Role::Custodian, Role::Affiliate, Role::Observer];

    pub fn as_str(self) -> &'static str {
        match self {
            Role::Custodian => "custodian",
            Role::Affiliate => "affiliate",
            Role::Observer => "observer",
        }
    }
}

impl FromStr for Role {
    type Err = DomainError;
    fn from_str(text: &str) -> DomainResult<Role> {
        parse_word(&Role::ALL, Role::as_str, "role", text)
    }
}

impl fmt::Display for Role {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Kind {
    Work,
    Cash,
    Material,
    Use,
    Cite,
    Bounty,
}

impl Kind {
    pub const ALL: [Kind; 6] = [
        Kind::Work,
        Kind::Cash,
        Kind::Material,
        Kind::Use,
        Kind::Cite,
        Kind::Bounty,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            Kind::Work => "work",
            Kind::Cash => "cash",
            Kind::Material => "material",
            Kind::Use => "use",
            Kind::Cite => "cite",
            Kind::Bounty => "bounty",
        }
    }

    /// Cash and material can be reimbursed; other kinds are rewarded by value only.
    pub fn reimbursable(self) -> bool {
        matches!(self, Kind::Cash | Kind::Material)
    }
}

impl FromStr for Kind {
    type Err = DomainError;
    fn from_str(text: &str) -> DomainResult<Kind> {
        parse_word(&Kind::ALL, Kind::as_str, "contribution kind", text)
    }
}

impl fmt::Display for Kind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct Agent {
    pub handle: String,
    pub name: Option<String>,
    pub role: Role,
}

/// The rules that value contributions, readable by everyone in advance.
#[derive(Debug, Clone, PartialEq, Eq, Default, serde::Serialize, serde::Deserialize)]
pub struct Policy {
    /// Rate per hour for each work category.
    #[serde(with = "crate::snapshot::json")]
    pub rates: BTreeMap<Arc<str>, Decimal>,
    /// Multiplier per contribution kind; absent means 1.
    #[serde(with = "crate::snapshot::json")]
    pub multipliers: BTreeMap<Kind, Decimal>,
    /// Skill factor per agent handle; absent means 1.
    #[serde(with = "crate::snapshot::json")]
    pub skills: BTreeMap<String, Decimal>,
    /// Time decay: value halves every `half_life_days`; none by default.
    #[serde(with = "crate::snapshot::json")]
    pub half_life_days: Option<Decimal>,
    /// Every half-life set, with the sequence number of the event that set it: a half-life
    /// applies to the contributions logged after that event only.
    #[serde(with = "crate::snapshot::json")]
    pub half_lives: Vec<(u64, Option<Decimal>)>,
}

impl Policy {
    pub fn multiplier(&self, kind: Kind) -> Decimal {
        self.multipliers.get(&kind).copied().unwrap_or(Decimal::ONE)
    }
    pub fn skill(&self, handle: &str) -> Decimal {
        self.skills.get(handle).copied().unwrap_or(Decimal::ONE)
    }
    /// The half-life that applies to a contribution logged by event `seq`: the last one set
    /// before it (none if none was).
    pub fn half_life_at(&self, seq: u64) -> Option<Decimal> {
        let before = self.half_lives.partition_point(|(set, _)| *set < seq);
        before.checked_sub(1).and_then(|i| self.half_lives[i].1)
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Status {
    Pending,
    Approved,
    Rejected,
    /// Withdrawn by a correction that counts: it counts no more.
    Reversed,
}

impl Status {
    pub fn as_str(self) -> &'static str {
        match self {
            Status::Pending => "pending",
            Status::Approved => "approved",
            Status::Rejected => "rejected",
            Status::Reversed => "reversed",
        }
    }
}

/// A logged contribution. `value` is fixed when it is logged, by the policy then in force.
///
/// A book holds millions of these, so the record stays small: the parts most contributions
/// lack (a note, a rate, approvals, a rejection reason) live in one optional box.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct Contribution {
    pub id: u64,
    #[serde(with = "crate::snapshot::interned")]
    pub project: Arc<str>,
    #[serde(with = "crate::snapshot::interned")]
    pub agent: Arc<str>,
    pub kind: Kind,
    /// Work category (work), or none.
    #[serde(with = "crate::snapshot::interned_option")]
    pub category: Option<Arc<str>>,
    /// Hours (work, use), or the amount as written (cash, material), or the value (cite).
    #[serde(with = "crate::snapshot::decimal")]
    pub quantity: Decimal,
    /// Cash and material: the amount in the project's minor units.
    pub amount_minor: Option<i128>,
    pub date: Date,
    pub gift: bool,
    pub reimbursable: bool,
    pub value: Value,
    pub status: Status,
    /// Sequence number of the event that logged it.
    pub seq: u64,
    pub(crate) details: Option<Box<Details>>,
}

/// The rarely set parts of a [`Contribution`].
#[derive(Debug, Clone, Default, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub(crate) struct Details {
    #[serde(with = "crate::snapshot::json")]
    unit_rate: Option<Decimal>,
    note: Option<String>,
    approvals: Vec<String>,
    reason: Option<String>,
    /// A citation: the cited contribution and its author.
    cites: Option<(u64, Arc<str>)>,
}

impl Details {
    /// The details of a new contribution: none at all for most.
    pub(crate) fn boxed(
        unit_rate: Option<Decimal>,
        note: Option<String>,
        approvals: Vec<String>,
    ) -> Option<Box<Details>> {
        let details = Details {
            unit_rate,
            note,
            approvals,
            reason: None,
            cites: None,
        };
        (details != Details::default()).then(|| Box::new(details))
    }
}

impl Contribution {
    /// Whether it counts in shares and distributions: approved, and not a gift.
    pub fn counts(&self) -> bool {
        self.status == Status::Approved && !self.gift
    }

    /// Use: the stated rate per hour of one's own equipment.
    pub fn unit_rate(&self) -> Option<Decimal> {
        self.details.as_ref().and_then(|d| d.unit_rate)
    }

    pub fn note(&self) -> Option<&str> {
        self.details.as_ref().and_then(|d| d.note.as_deref())
    }

    /// Handles of the agents who approved it, in order.
    pub fn approvals(&self) -> &[String] {
        self.details.as_ref().map_or(&[], |d| &d.approvals)
    }

    /// Why it was rejected.
    pub fn reason(&self) -> Option<&str> {
        self.details.as_ref().and_then(|d| d.reason.as_deref())
    }

    pub(crate) fn add_approval(&mut self, handle: String) {
        self.details_mut().approvals.push(handle);
    }

    /// A citation: the cited contribution and its author.
    pub fn cites(&self) -> Option<(u64, &str)> {
        self.details
            .as_ref()
            .and_then(|d| d.cites.as_ref())
            .map(|(id, author)| (*id, &**author))
    }

    pub(crate) fn set_cites(&mut self, id: u64, author: Arc<str>) {
        self.details_mut().cites = Some((id, author));
    }

    pub(crate) fn set_reason(&mut self, reason: String) {
        self.details_mut().reason = Some(reason);
    }

    fn details_mut(&mut self) -> &mut Details {
        self.details.get_or_insert_with(Default::default)
    }
}

/// Which contributions a `contributors` bucket counts.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Filter {
    /// Empty: every kind.
    pub kinds: Vec<Kind>,
    /// Empty: every category (and uncategorised kinds).
    pub categories: Vec<String>,
    /// Inclusive date range of the contributions counted.
    pub from: Option<Date>,
    pub to: Option<Date>,
}

impl Filter {
    pub fn matches_key(&self, kind: Kind, category: Option<&str>) -> bool {
        (self.kinds.is_empty() || self.kinds.contains(&kind))
            && (self.categories.is_empty()
                || category.is_some_and(|c| self.categories.iter().any(|x| x == c)))
    }
    pub fn has_dates(&self) -> bool {
        self.from.is_some() || self.to.is_some()
    }
    pub fn matches_date(&self, date: Date) -> bool {
        self.from.is_none_or(|from| date >= from) && self.to.is_none_or(|to| date <= to)
    }
    pub fn describe(&self) -> String {
        let mut parts = Vec::new();
        if !self.kinds.is_empty() {
            parts.push(
                self.kinds
                    .iter()
                    .map(|k| k.as_str())
                    .collect::<Vec<_>>()
                    .join("+"),
            );
        }
        if !self.categories.is_empty() {
            parts.push(format!("categories {}", self.categories.join("+")));
        }
        if let Some(from) = self.from {
            parts.push(format!("from {from}"));
        }
        if let Some(to) = self.to {
            parts.push(format!("to {to}"));
        }
        if parts.is_empty() {
            "all".to_string()
        } else {
            parts.join(", ")
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum PercentOf {
    Gross,
    Remaining,
}

/// One step of a value equation. Amounts in the plan are written as decimal strings and
/// parsed with the project's exponent when the plan is set.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "type", rename_all = "snake_case", deny_unknown_fields)]
pub enum Bucket {
    /// `min(amount, left)` to `to`.
    Fixed { amount: String, to: String },
    /// `min(floor(percent% of gross or of left), left)` to `to`.
    Percent {
        percent: Decimal,
        #[serde(default = "default_percent_of")]
        of: PercentOf,
        to: String,
    },
    /// Outstanding reimbursable claims of these kinds, capped pro-rata by what is owed.
    Reimburse {
        #[serde(default = "default_reimburse_kinds")]
        kinds: Vec<Kind>,
    },
    /// `left` (or `percent`% of it), pro-rata by the value of the matching contributions.
    Contributors {
        #[serde(default, skip_serializing_if = "Vec::is_empty")]
        kinds: Vec<Kind>,
        #[serde(default, skip_serializing_if = "Vec::is_empty")]
        categories: Vec<String>,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        from: Option<Date>,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        to: Option<Date>,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        percent: Option<Decimal>,
    },
    /// `left` (or `percent`% of it) to a resource's co-owners' outstanding payback, capped
    /// pro-rata by pledge; what they cannot take stays in `left`.
    Payback {
        resource: String,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        percent: Option<Decimal>,
    },
    // --- tokens ---
    /// `left`, pro-rata by the holders' balances of `token` (zero balances excluded).
    TokenHolders { token: String },
    // --- forecasts (issue 15) ---
    /// `left` (or `percent`% of it), pro-rata by the project's blended shares (formula, peer,
    /// steward) as of the revenue's date.
    Blended {
        #[serde(default, skip_serializing_if = "Option::is_none")]
        percent: Option<Decimal>,
    },
    /// `left` (or `percent`% of it), pro-rata by the pool units each agent holds in the
    /// points project `project` (bad leavers' units excluded).
    Units {
        project: String,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        percent: Option<Decimal>,
    },
    /// Everything `left` is held in the project's bank account until it holds at least
    /// `until`; the revenue that brings it there releases all of it through the buckets after.
    Bank { until: String },
}

fn default_percent_of() -> PercentOf {
    PercentOf::Gross
}

fn default_reimburse_kinds() -> Vec<Kind> {
    vec![Kind::Cash, Kind::Material]
}

impl Bucket {
    /// The account a fixed or percent bucket pays into.
    pub fn destination(&self) -> Option<&str> {
        match self {
            Bucket::Fixed { to, .. } | Bucket::Percent { to, .. } => Some(to),
            _ => None,
        }
    }

    /// A short name of the bucket for statements.
    pub fn label(&self) -> String {
        match self {
            Bucket::Fixed { amount, to } => format!("fixed {amount} -> {to}"),
            Bucket::Percent { percent, of, to } => {
                let base = match of {
                    PercentOf::Gross => "gross",
                    PercentOf::Remaining => "remaining",
                };
                format!("{percent}% of {base} -> {to}")
            }
            Bucket::Reimburse { kinds } => format!(
                "reimburse {}",
                kinds
                    .iter()
                    .map(|k| k.as_str())
                    .collect::<Vec<_>>()
                    .join("+")
            ),
            Bucket::Contributors { percent, .. } => {
                let filter = self.filter().unwrap_or_default();
                match percent {
                    Some(p) => format!("{p}% of remaining to contributors ({})", filter.describe()),
                    None => format!("contributors ({})", filter.describe()),
                }
            }
            Bucket::Payback { resource, percent } => match percent {
                Some(p) => format!("{p}% of remaining to payback of {resource}"),
                None => format!("payback of {resource}"),
            },
            // --- tokens ---
            Bucket::TokenHolders { token } => format!("holders of {token}"),
            Bucket::Blended { percent } => match percent {
                Some(p) => format!("{p}% of remaining by blended shares"),
                None => "blended shares".to_string(),
            },
            Bucket::Units { project, percent } => match percent {
                Some(p) => format!("{p}% of remaining by units of {project}"),
                None => format!("units of {project}"),
            },
            Bucket::Bank { until } => format!("bank until {until}"),
        }
    }

    /// The filter of a `contributors` bucket.
    pub fn filter(&self) -> Option<Filter> {
        match self {
            Bucket::Contributors {
                kinds,
                categories,
                from,
                to,
                ..
            } => Some(Filter {
                kinds: kinds.clone(),
                categories: categories.clone(),
                from: *from,
                to: *to,
            }),
            _ => None,
        }
    }

    /// Everything to contributors, by value.
    pub fn all_contributors() -> Bucket {
        Bucket::Contributors {
            kinds: vec![],
            categories: vec![],
            from: None,
            to: None,
            percent: None,
        }
    }
}

/// A value equation: buckets applied in order to every incoming amount.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Plan {
    #[serde(rename = "bucket", alias = "buckets")]
    pub buckets: Vec<Bucket>,
}

impl Plan {
    /// The plan of a new project: everything to contributors, by value.
    pub fn default_plan() -> Plan {
        Plan {
            buckets: vec![Bucket::all_contributors()],
        }
    }

    /// The index of the plan's `bank` bucket (a plan has at most one).
    pub fn bank_bucket(&self) -> Option<usize> {
        self.buckets
            .iter()
            .position(|b| matches!(b, Bucket::Bank { .. }))
    }
}

// A book holds millions of contributions: keep the record from growing back unnoticed.
const _: () = assert!(std::mem::size_of::<Contribution>() <= 144);

#[cfg(test)]
mod tests {
    use super::*;
    use crate::membership::Admission;
    use crate::tokens::Redemption;
    use crate::treasury::TreasuryStatus;

    /// Every one-word enum parses what it prints, and a refusal lists the words.
    #[test]
    fn words_parse_as_they_print() {
        fn round_trip<T: Copy + PartialEq + fmt::Debug + FromStr>(
            all: &[T],
            name: fn(T) -> &'static str,
        ) {
            for &item in all {
                assert!(name(item).parse::<T>().is_ok_and(|parsed| parsed == item));
            }
        }
        round_trip(&Role::ALL, Role::as_str);
        round_trip(&Kind::ALL, Kind::as_str);
        round_trip(&Redemption::ALL, Redemption::as_str);
        round_trip(&Admission::ALL, Admission::as_str);
        round_trip(&TreasuryStatus::ALL, TreasuryStatus::as_str);
        let message = |error: DomainError| error.to_string();
        assert_eq!(
            message("boss".parse::<Role>().unwrap_err()),
            "unknown role \"boss\": expected custodian, affiliate or observer"
        );
        assert_eq!(
            message("gift".parse::<Kind>().unwrap_err()),
            "unknown contribution kind \"gift\": expected work, cash, material, use, cite or bounty"
        );
        assert_eq!(
            message("bond".parse::<Redemption>().unwrap_err()),
            "unknown redemption \"bond\": expected nav or curve"
        );
        let error = "open".parse::<Admission>().unwrap_err();
        assert_eq!(error.field_name(), Some("status"));
        assert_eq!(
            message(error),
            "unknown status \"open\": use pending, admitted or declined"
        );
        assert_eq!(
            message("paid?".parse::<TreasuryStatus>().unwrap_err()),
            "unknown status \"paid?\": use pending, paid or rejected"
        );
    }
}
