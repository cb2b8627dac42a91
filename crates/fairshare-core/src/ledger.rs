//! The double-entry ledger: multi-asset accounts and balanced transactions.
//!
//! Accounts are named: an agent's handle, a project's slug, or a virtual account (`infra`,
//! `forillon-unallocated`, a campaign, a reserve). `outside` is the world beyond the network;
//! it is the only account whose balance may go negative.

use std::collections::{BTreeMap, HashMap};

use compact_str::CompactString;
use serde::{Deserialize, Serialize};

use crate::error::{DomainError, DomainResult};
use crate::model::OUTSIDE;

/// One leg of a transaction: a positive amount credits (adds to) the account, negative debits.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Posting {
    /// Account and asset names are short: held inline, so a revenue split over many agents
    /// does not make two heap allocations per payout.
    pub account: CompactString,
    pub asset: CompactString,
    pub amount: i128,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Transaction {
    pub id: u64,
    /// Sequence number of the event that made it.
    pub seq: u64,
    pub memo: String,
    pub postings: Vec<Posting>,
}

#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Ledger {
    balances: HashMap<String, BTreeMap<String, i128>>,
    transactions: Vec<Transaction>,
}

/// Posts `amount` of `asset` from `from` to `to` (a convenience for two-legged transfers).
pub fn transfer(from: &str, to: &str, asset: &str, amount: i128) -> [Posting; 2] {
    [
        Posting {
            account: (from.to_string()).into(),
            asset: (asset.to_string()).into(),
            amount: -amount,
        },
        Posting {
            account: (to.to_string()).into(),
            asset: (asset.to_string()).into(),
            amount,
        },
    ]
}

impl Ledger {
    pub fn balance(&self, account: &str, asset: &str) -> i128 {
        self.balances
            .get(account)
            .and_then(|assets| assets.get(asset))
            .copied()
            .unwrap_or(0)
    }

    pub fn account(&self, account: &str) -> Option<&BTreeMap<String, i128>> {
        self.balances.get(account)
    }

    /// Every account with its balances, in byte order of the account name.
    pub fn accounts(&self) -> BTreeMap<&str, &BTreeMap<String, i128>> {
        self.balances
            .iter()
            .map(|(name, assets)| (name.as_str(), assets))
            .collect()
    }

    pub fn transactions(&self) -> &[Transaction] {
        &self.transactions
    }

    /// Checks that postings balance per asset and leave no account but `outside` negative.
    pub fn check(&self, postings: &[Posting]) -> DomainResult<()> {
        let mut per_asset: BTreeMap<&str, i128> = BTreeMap::new();
        let mut per_account: BTreeMap<(&str, &str), i128> = BTreeMap::new();
        for posting in postings {
            *per_asset.entry(&posting.asset).or_default() += posting.amount;
            *per_account
                .entry((&posting.account, &posting.asset))
                .or_default() += posting.amount;
        }
        if let Some((asset, sum)) = per_asset.iter().find(|(_, sum)| **sum != 0) {
            return Err(DomainError::Corrupt(format!(
                "transaction does not balance: {asset} postings sum to {sum}"
            )));
        }
        for ((account, asset), delta) in per_account {
            let after = self.balance(account, asset) + delta;
            if after < 0 && account != OUTSIDE {
                return Err(DomainError::invalid(format!(
                    "account {account} would go negative in {asset} (balance {}, change {delta})",
                    self.balance(account, asset)
                )));
            }
        }
        Ok(())
    }

    /// Records a checked transaction and returns its id.
    pub fn post(&mut self, seq: u64, memo: String, postings: Vec<Posting>) -> DomainResult<u64> {
        self.check(&postings)?;
        for posting in &postings {
            // Look up before inserting: most postings go to accounts that exist already.
            if !self.balances.contains_key(posting.account.as_str()) {
                self.balances
                    .insert(posting.account.to_string(), BTreeMap::new());
            }
            let assets = self
                .balances
                .get_mut(posting.account.as_str())
                .expect("inserted above");
            match assets.get_mut(posting.asset.as_str()) {
                Some(balance) => *balance += posting.amount,
                None => {
                    assets.insert(posting.asset.to_string(), posting.amount);
                }
            }
        }
        let id = self.transactions.len() as u64 + 1;
        self.transactions.push(Transaction {
            id,
            seq,
            memo,
            postings,
        });
        Ok(id)
    }

    /// Invariant 1 and 3 over the whole ledger: every transaction balances, balances equal the
    /// sum of postings, and no account but `outside` is negative.
    pub fn audit(&self) -> DomainResult<()> {
        let mut recomputed: HashMap<&str, BTreeMap<&str, i128>> = HashMap::new();
        for transaction in &self.transactions {
            let mut per_asset: BTreeMap<&str, i128> = BTreeMap::new();
            for posting in &transaction.postings {
                *per_asset.entry(&posting.asset).or_default() += posting.amount;
                *recomputed
                    .entry(&posting.account)
                    .or_default()
                    .entry(&posting.asset)
                    .or_default() += posting.amount;
            }
            if per_asset.values().any(|sum| *sum != 0) {
                return Err(DomainError::Corrupt(format!(
                    "transaction {} (event {}) does not balance",
                    transaction.id, transaction.seq
                )));
            }
        }
        for (account, assets) in &self.balances {
            for (asset, balance) in assets {
                let expected = recomputed
                    .get(account.as_str())
                    .and_then(|a| a.get(asset.as_str()))
                    .copied()
                    .unwrap_or(0);
                if *balance != expected {
                    return Err(DomainError::Corrupt(format!(
                        "balance of {account} in {asset} is {balance} but its postings sum to {expected}"
                    )));
                }
                if *balance < 0 && account != OUTSIDE {
                    return Err(DomainError::Corrupt(format!(
                        "account {account} is negative in {asset}"
                    )));
                }
            }
        }
        Ok(())
    }
}
