//! The book's directory: agents and projects, and the names they take.
//!
//! Commands: `AddAgent`, `AddProject`.

use std::sync::Arc;

use crate::command::Outcome;
use crate::error::{About, DomainError, DomainResult, Field};
use crate::model::{Agent, OPERATOR, OUTSIDE, Plan, Policy, Role, check_name, check_text};
use crate::money::check_exponent;
use crate::roles::require_custodian;
use crate::state::{Ctx, Project, State};

/// Names nobody may take: they mean something already.
const RESERVED_NAMES: [&str; 3] = [OUTSIDE, OPERATOR, "unallocated"];
/// Most approvals a project may require.
const APPROVALS_MAX: u32 = 100;

impl State {
    // --- AddAgent ---

    pub(crate) fn decide_add_agent(
        &self,
        ctx: &Ctx,
        role: Role,
        handle: &str,
        name: Option<&str>,
    ) -> DomainResult<Outcome> {
        require_custodian(role, "add agents")?;
        // A handle in another script is refused either way; naming the agent it imitates says
        // more than "invalid".
        if ctx.strict() && !handle.is_ascii() {
            self.check_lookalike(handle)?;
        }
        self.check_new_name(Field::named("handle"), handle)?;
        if ctx.strict() {
            self.check_lookalike(handle)?;
        }
        if let Some(name) = name {
            check_text(Field::named("name"), name)?;
        }
        Ok(Outcome::Done)
    }

    pub(crate) fn apply_add_agent(
        &mut self,
        handle: &str,
        name: Option<&str>,
        role: Role,
    ) -> DomainResult<()> {
        let agent = Agent {
            handle: handle.to_string(),
            name: name.map(str::to_string),
            role,
        };
        self.agents.insert(Arc::from(handle), agent);
        self.lookalikes.add(handle);
        Ok(())
    }

    /// Refuses a handle that looks like an existing agent's (the same skeleton: `аna` with a
    /// Cyrillic `а` beside `ana`, `b0b` beside `bob`), naming that agent.
    fn check_lookalike(&self, handle: &str) -> DomainResult<()> {
        if handle.len() > crate::model::NAME_LEN_MAX {
            return Ok(());
        }
        let skeleton = crate::strict::skeleton(handle);
        let existing = match self.agents.get_key_value(skeleton.as_str()) {
            Some((existing, _)) => Some(&**existing),
            None => self.lookalikes.get(&skeleton),
        };
        match existing {
            Some(existing) if existing != handle => Err(DomainError::conflict(format!(
                "handle {handle:?} looks like the existing agent {existing:?}: \
                 choose a handle nobody can mistake for it"
            ))
            .field("handle")
            .value(handle)),
            _ => Ok(()),
        }
    }

    // --- AddProject ---

    pub(crate) fn decide_add_project(
        &self,
        role: Role,
        slug: &str,
        name: Option<&str>,
        currency: &str,
        exponent: u32,
        approvals: u32,
    ) -> DomainResult<Outcome> {
        require_custodian(role, "add projects")?;
        self.check_new_project(slug, name, currency, exponent, approvals)?;
        Ok(Outcome::Done)
    }

    /// What a new project must be, whoever asks for it (`AddProject`, `ProposeProject`).
    pub(crate) fn check_new_project(
        &self,
        slug: &str,
        name: Option<&str>,
        currency: &str,
        exponent: u32,
        approvals: u32,
    ) -> DomainResult<()> {
        self.check_new_name(Field::new("slug", "project slug"), slug)?;
        if let Some(name) = name {
            check_text(Field::named("name"), name)?;
        }
        check_asset_code(currency)?;
        self.check_currency_not_token(currency)
            .about_value("currency", currency)?;
        check_exponent(exponent)?;
        if let Some(known) = self.asset_exponent(currency)
            && known != exponent
        {
            return Err(DomainError::conflict(format!(
                "currency {currency} already has exponent {known} in this book, not {exponent}"
            ))
            .field("exponent")
            .value(exponent.to_string()));
        }
        if approvals > APPROVALS_MAX {
            return Err(DomainError::invalid(format!(
                "at most {APPROVALS_MAX} approvals may be required"
            ))
            .field("approvals")
            .limit(format!("{APPROVALS_MAX} approvals")));
        }
        Ok(())
    }

    pub(crate) fn apply_add_project(
        &mut self,
        ctx: &Ctx,
        slug: &str,
        name: Option<&str>,
        currency: &str,
        exponent: u32,
        approvals: u32,
    ) -> DomainResult<()> {
        let project = Project {
            slug: Arc::from(slug),
            name: name.map(str::to_string),
            currency: currency.to_string(),
            exponent,
            approvals_required: approvals,
            policy: Policy::default(),
            plans: vec![Plan::default_plan()],
            contributions: Vec::new(),
            counted: Default::default(),
            counted_sum: 0,
            claims: Vec::new(),
            claim_index: Default::default(),
            created: ctx.date,
            members: Default::default(),
        };
        self.projects.insert(slug.to_string(), project);
        Ok(())
    }

    // --- names ---

    /// A handle or slug must be well formed, not reserved, and not taken by anything else.
    pub(crate) fn check_new_name(&self, field: Field, name: &str) -> DomainResult<()> {
        check_name(field, name)?;
        let what = field.what;
        if RESERVED_NAMES.contains(&name) || name.ends_with("-unallocated") {
            return Err(DomainError::invalid(format!("{what} {name:?} is reserved"))
                .field(field.name)
                .value(name));
        }
        if let Some(holder) = self.name_taken(name) {
            return Err(DomainError::conflict(format!(
                "{what} {name:?} is already taken by {holder}"
            ))
            .field(field.name)
            .value(name));
        }
        Ok(())
    }
}

fn check_asset_code(code: &str) -> DomainResult<()> {
    let ok = !code.is_empty()
        && code.len() <= 12
        && code.as_bytes()[0].is_ascii_uppercase()
        && code
            .bytes()
            .all(|b| b.is_ascii_uppercase() || b.is_ascii_digit());
    if ok {
        return Ok(());
    }
    let error = DomainError::invalid(format!(
        "invalid currency code {code:?}: use 1 to 12 upper-case letters or digits, such as CAD"
    ))
    .field("currency")
    .value(code);
    Err(if code.len() > 12 {
        error.limit("12 bytes")
    } else {
        error
    })
}
