//! The book's directory: agents and projects, and the names they take.
//!
//! Commands: `AddAgent`, `AddProject`, `SetApprovals`.

use std::sync::Arc;

use crate::command::Outcome;
use crate::error::{About, DomainError, DomainResult, Field};
use crate::model::{Agent, OPERATOR, OUTSIDE, Plan, Policy, Role, check_name, check_optional_text};
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
        check_optional_text(Field::named("name"), name)?;
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
        check_optional_text(Field::named("name"), name)?;
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
        check_approvals(approvals)
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
            contributions: 0,
            counted: Default::default(),
            counted_sum: 0,
            claims: Vec::new(),
            claim_index: Default::default(),
            created: ctx.date,
            members: Default::default(),
            pending: Default::default(),
            distributions: 0,
            distributed: 0,
            counted_by_month: Default::default(),
        };
        self.projects.insert(slug.to_string(), project);
        Ok(())
    }

    // --- SetApprovals ---

    /// Any number within the limit, the current one included (harmless, and a proposal that
    /// restates it passes rather than fails at enactment).
    pub(crate) fn decide_set_approvals(
        &self,
        role: Role,
        project: &str,
        approvals: u32,
    ) -> DomainResult<Outcome> {
        require_custodian(role, "set the approvals a project requires")?;
        self.project(project).about_value("project", project)?;
        check_approvals(approvals)?;
        Ok(Outcome::Done)
    }

    /// Only the number changes: what was counted stays counted, and a pending contribution
    /// or correction needs the new number at its next approval.
    pub(crate) fn apply_set_approvals(
        &mut self,
        project: &str,
        approvals: u32,
    ) -> DomainResult<()> {
        self.project_mut(project)?.approvals_required = approvals;
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
        self.check_name_free(field, name)
    }

    /// A new name must not be taken by an agent, a project or an account.
    pub(crate) fn check_name_free(&self, field: Field, name: &str) -> DomainResult<()> {
        if let Some(holder) = self.name_taken(name) {
            return Err(DomainError::conflict(format!(
                "{} {name:?} is already taken by {holder}",
                field.what
            ))
            .field(field.name)
            .value(name));
        }
        Ok(())
    }
}

/// How many approvals a project may require (`AddProject`, `SetApprovals`).
fn check_approvals(approvals: u32) -> DomainResult<()> {
    if approvals > APPROVALS_MAX {
        return Err(DomainError::invalid(format!(
            "at most {APPROVALS_MAX} approvals may be required"
        ))
        .field("approvals")
        .limit(format!("{APPROVALS_MAX} approvals")));
    }
    Ok(())
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

#[cfg(test)]
mod tests {
    use crate::command::{Command, Outcome};
    use crate::error::ErrorKind;
    use crate::model::{Role, Status};
    use crate::test_book::Book;

    fn set(project: &str, approvals: u32) -> Command {
        Command::SetApprovals {
            project: project.into(),
            approvals,
        }
    }

    fn approve(book: &mut Book, actor: &str, id: u64) -> Outcome {
        book.ok(actor, Command::Approve { id })
    }

    /// p requires 2 approvals; bob's 2 h of work (contribution 1) has ana's approval only
    /// when the number is lowered to 1: it stays pending until cy's approval counts it.
    #[test]
    fn custodians_set_the_approvals_and_pending_work_needs_them_at_its_next_approval() {
        let mut book = Book::new();
        for command in [
            Command::add_agent("ana", Role::Custodian),
            Command::add_agent("cy", Role::Custodian),
            Command::add_agent("bob", Role::Affiliate),
            Command::add_agent("olga", Role::Observer),
            Command::add_project_approving("p", "CAD", 2, 2),
            Command::set_rate("p", "dev", "10.00"),
            Command::log_work("p", "bob", "dev", "2"),
        ] {
            book.ok("operator", command);
        }
        let not_counted = Outcome::Approved {
            id: 1,
            counted: false,
            minted: None,
        };
        assert_eq!(approve(&mut book, "ana", 1), not_counted);
        for actor in ["bob", "olga"] {
            let refused = book.refused(actor, set("p", 1));
            assert_eq!(refused.kind(), ErrorKind::Forbidden, "{actor}");
        }
        let over = book.refused("ana", set("p", 101));
        assert_eq!(over.to_string(), "at most 100 approvals may be required");
        let details = over.details().cloned().unwrap_or_default();
        assert_eq!(
            (details.field, details.limit.as_deref()),
            (Some("approvals"), Some("100 approvals"))
        );
        let unknown = book.refused("ana", set("q", 1));
        assert_eq!(unknown.field_name(), Some("project"));
        assert_eq!(unknown.kind(), ErrorKind::NotFound);

        assert_eq!(book.ok("ana", set("p", 1)), Outcome::Done);
        assert_eq!(book.state.project("p").unwrap().approvals_required, 1);
        // Lowering counts nothing by itself: the next approval does.
        let pending = book.state.contribution(1).unwrap();
        assert_eq!(
            (pending.status, pending.approvals().len()),
            (Status::Pending, 1)
        );
        let counted = approve(&mut book, "cy", 1);
        assert_eq!(
            counted,
            Outcome::Approved {
                id: 1,
                counted: true,
                minted: None,
            }
        );
        // Raising it again leaves what was counted counted; restating it is allowed.
        book.ok("ana", set("p", 3));
        book.ok("ana", set("p", 3));
        let counted = book.state.contribution(1).unwrap();
        assert_eq!(counted.status, Status::Approved);
        assert_eq!(counted.value.display(2), "20.00");
    }
}
