//! How fairshare names map to the names of other tools.
//!
//! fairshare accounts are lower-case names (`abran`, `forillon-unallocated`, `coop_bank`);
//! Beancount wants `Type:Component` with each component starting with a capital or a digit
//! and holding only letters, digits and `-`. One mapping serves Beancount, hledger and Ledger
//! so the three journals name every account the same way:
//!
//! | fairshare account | journal account |
//! |---|---|
//! | `outside` | `Equity:Outside` |
//! | `exchange` | `Equity:Exchange` |
//! | an agent's handle | `Assets:Fairshare:Agents:<C>` |
//! | a project's slug | `Assets:Fairshare:Projects:<C>` |
//! | any other (virtual) account | `Assets:Fairshare:Accounts:<C>` |
//!
//! `<C>` is the name with its first letter upper-cased and every `_` written `U`. A fairshare
//! name never holds an upper-case letter, so an upper-case letter past the first position can
//! only be an escaped `_`: the mapping is reversible, hence collision-free.

use std::collections::BTreeMap;

use fairshare_core::{EXCHANGE, OUTSIDE, State};

use crate::{ExportError, ExportResult};

/// Which kind of holder an account belongs to.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum AccountClass {
    /// The world beyond the network; the only account that may go negative.
    Outside,
    /// The account currency exchanges go through: it gives one asset and takes another, so
    /// it may go negative in each; an equity account, like `outside`.
    Exchange,
    Agent,
    Project,
    /// A virtual account: `infra`, `<project>-unallocated`, a campaign, a reserve, ...
    Virtual,
}

impl AccountClass {
    pub fn as_str(self) -> &'static str {
        match self {
            AccountClass::Outside => "outside",
            AccountClass::Exchange => "exchange",
            AccountClass::Agent => "agent",
            AccountClass::Project => "project",
            AccountClass::Virtual => "virtual",
        }
    }
}

/// The class of a ledger account of `state`. Names are unique across agents, projects and
/// accounts (the core refuses a taken name), so the class is unambiguous.
pub fn account_class(state: &State, account: &str) -> AccountClass {
    if account == OUTSIDE {
        AccountClass::Outside
    } else if account == EXCHANGE {
        AccountClass::Exchange
    } else if state.agent(account).is_ok() {
        AccountClass::Agent
    } else if state.project(account).is_ok() {
        AccountClass::Project
    } else {
        AccountClass::Virtual
    }
}

/// The Beancount/hledger/Ledger account name of a fairshare account.
pub fn journal_account(class: AccountClass, account: &str) -> ExportResult<String> {
    let component = component(account)?;
    Ok(match class {
        AccountClass::Outside => "Equity:Outside".to_string(),
        AccountClass::Exchange => "Equity:Exchange".to_string(),
        AccountClass::Agent => format!("Assets:Fairshare:Agents:{component}"),
        AccountClass::Project => format!("Assets:Fairshare:Projects:{component}"),
        AccountClass::Virtual => format!("Assets:Fairshare:Accounts:{component}"),
    })
}

/// One account-name component: first letter upper-cased, `_` written `U`.
fn component(name: &str) -> ExportResult<String> {
    let bad = |message: &str| ExportError::Name {
        name: name.to_string(),
        message: message.to_string(),
    };
    let mut out = String::with_capacity(name.len());
    for (position, byte) in name.bytes().enumerate() {
        match byte {
            b'a'..=b'z' if position == 0 => out.push(byte.to_ascii_uppercase() as char),
            b'a'..=b'z' | b'0'..=b'9' => out.push(byte as char),
            b'-' if position > 0 => out.push('-'),
            b'_' if position > 0 => out.push('U'),
            _ => {
                return Err(bad(
                    "expected lower-case letters, digits, '-' or '_', starting with a letter or digit",
                ));
            }
        }
    }
    if out.is_empty() {
        return Err(bad("empty name"));
    }
    Ok(out)
}

/// The Beancount commodity of an asset code. fairshare codes are 1 to 12 upper-case letters
/// or digits starting with a letter; Beancount 2 wants at least two characters, so a
/// one-letter code `X` becomes `X.FS` (no fairshare code holds a `.`, so no collision).
pub fn beancount_commodity(asset: &str) -> String {
    if asset.len() == 1 {
        format!("{asset}.FS")
    } else {
        asset.to_string()
    }
}

/// An hledger/Ledger commodity symbol: letters only are written bare, anything else quoted.
pub(crate) fn quoted_commodity(asset: &str) -> String {
    if asset.bytes().all(|b| b.is_ascii_alphabetic()) {
        asset.to_string()
    } else {
        format!("\"{asset}\"")
    }
}

/// One ledger account of the book, with its mapped name.
pub(crate) struct MappedAccount<'a> {
    pub name: &'a str,
    pub class: AccountClass,
    pub journal: String,
}

/// The exponent of every asset the ledger holds, and each account's mapped name.
pub(crate) struct BookNames<'a> {
    pub accounts: BTreeMap<&'a str, MappedAccount<'a>>,
    pub exponents: BTreeMap<String, u32>,
}

impl<'a> BookNames<'a> {
    pub fn new(state: &'a State) -> ExportResult<BookNames<'a>> {
        let mut exponents: BTreeMap<String, u32> = BTreeMap::new();
        for project in state.projects() {
            exponents.insert(project.currency.clone(), project.exponent);
        }
        for token in state.tokens() {
            exponents.insert(token.symbol.clone(), token.exponent);
        }
        let mut accounts = BTreeMap::new();
        let mut taken: BTreeMap<String, &str> = BTreeMap::new();
        for (name, assets) in state.ledger().accounts() {
            for asset in assets.keys() {
                if !exponents.contains_key(asset) {
                    return Err(ExportError::UnknownAsset(asset.clone()));
                }
            }
            let class = account_class(state, name);
            let journal = journal_account(class, name)?;
            // The mapping is injective by construction; this guards against a future change.
            if let Some(other) = taken.insert(journal.clone(), name) {
                return Err(ExportError::Name {
                    name: name.to_string(),
                    message: format!("maps to {journal}, as {other} does"),
                });
            }
            accounts.insert(
                name,
                MappedAccount {
                    name,
                    class,
                    journal,
                },
            );
        }
        Ok(BookNames {
            accounts,
            exponents,
        })
    }

    pub fn exponent(&self, asset: &str) -> ExportResult<u32> {
        self.exponents
            .get(asset)
            .copied()
            .ok_or_else(|| ExportError::UnknownAsset(asset.to_string()))
    }

    pub fn journal(&self, account: &str) -> ExportResult<&str> {
        self.accounts
            .get(account)
            .map(|mapped| mapped.journal.as_str())
            .ok_or_else(|| ExportError::Name {
                name: account.to_string(),
                message: "a transaction posts to an account the ledger does not list".into(),
            })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn maps_names_reversibly() {
        let map = |class, name| journal_account(class, name).unwrap();
        for (class, name, account) in [
            (AccountClass::Outside, "outside", "Equity:Outside"),
            (AccountClass::Exchange, "exchange", "Equity:Exchange"),
            (
                AccountClass::Agent,
                "abran",
                "Assets:Fairshare:Agents:Abran",
            ),
            (
                AccountClass::Agent,
                "coop_bank",
                "Assets:Fairshare:Agents:CoopUbank",
            ),
            (
                AccountClass::Virtual,
                "forillon-unallocated",
                "Assets:Fairshare:Accounts:Forillon-unallocated",
            ),
            (
                AccountClass::Project,
                "42x",
                "Assets:Fairshare:Projects:42x",
            ),
        ] {
            assert_eq!(map(class, name), account, "{name}");
        }
        // `a_b` and `aub` stay apart: only an escaped `_` is upper case past the start.
        assert_ne!(
            map(AccountClass::Agent, "a_b"),
            map(AccountClass::Agent, "aub")
        );
        for bad in ["", "Abran", "-x", "_x", "a b", "é"] {
            assert!(
                journal_account(AccountClass::Agent, bad).is_err(),
                "{bad:?}"
            );
        }
    }

    #[test]
    fn maps_commodities() {
        assert_eq!(beancount_commodity("CAD"), "CAD");
        assert_eq!(beancount_commodity("X"), "X.FS");
        assert_eq!(quoted_commodity("BIKE"), "BIKE");
        assert_eq!(quoted_commodity("P01"), "\"P01\"");
    }
}
