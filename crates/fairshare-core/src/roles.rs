//! Who may do what: the role checks every capability shares, each with its one wording.
//!
//! A custodian (and the operator, who acts as one) may do anything; an affiliate acts for
//! themself; an observer reads. Checks specific to one command (who may review a
//! contribution, who gives points in a round) stay beside that command and use these.

use std::fmt::{self, Display};

use crate::error::{DomainError, DomainResult};
use crate::model::Role;

/// Refuses anyone but a custodian: "only custodians may {what}; this agent is an {role}".
#[inline]
pub(crate) fn require_custodian(role: Role, what: &str) -> DomainResult<()> {
    if role == Role::Custodian {
        Ok(())
    } else {
        Err(refusal(format_args!(
            "only custodians may {what}; this agent is an {role}"
        )))
    }
}

/// Refuses an observer: "{actor} is an observer: observers may not {what}".
#[inline]
pub(crate) fn forbid_observer(role: Role, actor: &str, what: impl Display) -> DomainResult<()> {
    if role == Role::Observer {
        return Err(refusal(format_args!(
            "{actor} is an observer: observers may not {what}"
        )));
    }
    Ok(())
}

/// Refuses an observer: "{actor} is an observer: observers read but do not {verb}".
#[inline]
pub(crate) fn observers_only_read(role: Role, actor: &str, verb: impl Display) -> DomainResult<()> {
    if role == Role::Observer {
        return Err(refusal(format_args!(
            "{actor} is an observer: observers read but do not {verb}"
        )));
    }
    Ok(())
}

/// Refuses an affiliate acting for another agent: "{actor} is an affiliate and may {may}".
#[inline]
pub(crate) fn affiliate_acts_for_self(
    role: Role,
    actor: &str,
    agent: &str,
    may: impl Display,
) -> DomainResult<()> {
    if role == Role::Affiliate && actor != agent {
        return Err(refusal(format_args!(
            "{actor} is an affiliate and may {may}"
        )));
    }
    Ok(())
}

/// Refuses anyone but a custodian or the agent concerned: "{actor} may {may}".
#[inline]
pub(crate) fn custodian_or_self(
    role: Role,
    actor: &str,
    agent: &str,
    may: impl Display,
) -> DomainResult<()> {
    if role != Role::Custodian && actor != agent {
        return Err(refusal(format_args!("{actor} may {may}")));
    }
    Ok(())
}

/// A refusal by role, built off the hot path (the checks above run on every decision).
#[cold]
#[inline(never)]
fn refusal(message: fmt::Arguments) -> DomainError {
    DomainError::forbidden(message.to_string())
}

/// Custodians act for anyone; affiliates only for themselves; observers not at all.
pub(crate) fn require_self_or_custodian(
    role: Role,
    actor: &str,
    holder: &str,
    verb: &str,
) -> DomainResult<()> {
    observers_only_read(role, actor, verb)?;
    affiliate_acts_for_self(
        role,
        actor,
        holder,
        format_args!("{verb} only for themselves, not for {holder}"),
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn each_check_has_its_wording() {
        let message = |r: DomainResult<()>| r.unwrap_err().to_string();
        assert!(require_custodian(Role::Custodian, "x").is_ok());
        assert_eq!(
            message(require_custodian(Role::Affiliate, "set rates")),
            "only custodians may set rates; this agent is an affiliate"
        );
        assert_eq!(
            message(forbid_observer(Role::Observer, "olga", "pledge")),
            "olga is an observer: observers may not pledge"
        );
        assert_eq!(
            message(require_self_or_custodian(
                Role::Observer,
                "olga",
                "olga",
                "redeem tokens"
            )),
            "olga is an observer: observers read but do not redeem tokens"
        );
        assert_eq!(
            message(require_self_or_custodian(
                Role::Affiliate,
                "bob",
                "alice",
                "redeem tokens"
            )),
            "bob is an affiliate and may redeem tokens only for themselves, not for alice"
        );
        assert!(require_self_or_custodian(Role::Affiliate, "bob", "bob", "pay").is_ok());
        assert!(require_self_or_custodian(Role::Custodian, "ana", "bob", "pay").is_ok());
    }
}
