//! The double-entry ledger: multi-asset accounts and balanced transactions.
//!
//! Accounts are named: an agent's handle, a project's slug, or a virtual account (`infra`,
//! `forillon-unallocated`, a campaign, a reserve). `outside` is the world beyond the network;
//! it is the only account whose balance may go negative.

use std::borrow::Cow;
use std::collections::{BTreeMap, HashMap};
use std::sync::Arc;

use crate::FastMap;

use compact_str::CompactString;
use serde::{Deserialize, Serialize};

use crate::command::Line;
use crate::error::{DomainError, DomainResult};
use crate::model::may_go_negative;

/// One leg of a transaction: a positive amount credits (adds to) the account, negative debits.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Posting {
    /// Account and asset names are short: held inline, so a revenue split over many agents
    /// does not make two heap allocations per payout.
    #[serde(deserialize_with = "crate::snapshot::compact")]
    pub account: CompactString,
    #[serde(deserialize_with = "crate::snapshot::compact")]
    pub asset: CompactString,
    pub amount: i128,
}

#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct Transaction {
    pub id: u64,
    /// Sequence number of the event that made it.
    pub seq: u64,
    pub memo: String,
    /// Every posting; a distribution's debits only, its credits being `credits`.
    postings: Vec<Posting>,
    /// A distribution's payout lines, shared with the distribution: a revenue over 10,000
    /// agents holds its payouts once, not once as lines and again as postings. A snapshot
    /// leaves them out; decoding links them again (`Ledger::defer_journal`).
    #[serde(skip)]
    credits: Option<Credits>,
}

/// What a distribution credits: its payout lines, in `asset`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Credits {
    pub asset: CompactString,
    pub lines: crate::PayoutLines,
}

impl Transaction {
    /// Its postings: the debits, then one credit per account in byte order of its name (an
    /// account paid by several lines of a distribution gets one posting).
    pub fn postings(&self) -> Cow<'_, [Posting]> {
        let Some(credits) = &self.credits else {
            return Cow::Borrowed(&self.postings);
        };
        let mut postings = self.postings.clone();
        postings.extend(credit_postings(&credits.asset, &credits.lines));
        Cow::Owned(postings)
    }

    /// Every leg as (account, asset, amount), a distribution's lines one by one (unmerged):
    /// what sums need, without building postings.
    pub fn legs(&self) -> impl Iterator<Item = (&str, &str, i128)> {
        let debits = self
            .postings
            .iter()
            .map(|p| (p.account.as_str(), p.asset.as_str(), p.amount));
        let credits = self.credits.iter().flat_map(|credits| {
            let asset = credits.asset.as_str();
            credits
                .lines
                .iter()
                .map(move |l| (l.to.as_str(), asset, l.amount))
        });
        debits.chain(credits)
    }
}

/// One credit per account of `lines` in byte order of its name, each the sum of its lines.
pub(crate) fn credit_postings(asset: &str, lines: &[Line]) -> Vec<Posting> {
    let mut credits: Vec<(&str, i128)> = lines.iter().map(|l| (l.to.as_str(), l.amount)).collect();
    // Lines come sorted bucket by bucket, so this sort mostly merges a few sorted runs.
    credits.sort_by(|a, b| a.0.cmp(b.0));
    let mut postings: Vec<Posting> = Vec::with_capacity(credits.len());
    for (account, amount) in credits {
        match postings.last_mut() {
            Some(last) if last.account == account => last.amount += amount,
            _ => postings.push(Posting {
                account: account.into(),
                asset: asset.into(),
                amount,
            }),
        }
    }
    postings
}

/// Gives each distribution's transaction its credits: the distribution's lines.
fn link_credits<'a>(
    transactions: &mut crate::Chunked<Transaction>,
    distributions: impl Iterator<Item = (u64, &'a str, &'a crate::PayoutLines)>,
) {
    for (id, asset, lines) in distributions {
        let index = usize::try_from(id).ok().and_then(|id| id.checked_sub(1));
        if let Some(transaction) = index.and_then(|index| transactions.get_mut(index)) {
            transaction.credits = Some(Credits {
                asset: asset.into(),
                lines: lines.clone(),
            });
        }
    }
}

/// Up to this many debited accounts, `check` sums each one's postings by a scan.
const DEBITED_SCAN_MAX: usize = 8;

#[derive(Debug, Clone, Default, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct Ledger {
    #[serde(serialize_with = "crate::snapshot::sorted")]
    balances: FastMap<String, BTreeMap<String, i128>>,
    /// In chunks, for the same reason as the state's contributions. Deferred as they are
    /// (`deferred.rs`): a balance needs only `balances`.
    #[serde(skip)]
    transactions: crate::Deferred<crate::Chunked<Transaction>>,
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
    /// Visits its balances, as `State::each_part` does the state's parts (the journal, being
    /// deferred, is visited with the state's other deferred parts).
    pub(crate) fn each_part(&self, other: &Ledger, visit: &mut crate::snapshot::PartVisit<'_>) {
        let balances = &self.balances;
        visit("ledger balances", &|| *balances == other.balances, &|| {
            crate::snapshot::bytes(&crate::snapshot::SortedMap(balances))
        });
    }

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

    pub fn transactions(&self) -> &crate::Chunked<Transaction> {
        &self.transactions
    }

    /// Checks that postings balance per asset and leave no account but `outside` and `exchange`
    /// negative.
    ///
    /// Linear in the postings: a transaction has few assets and few debited accounts (a
    /// revenue split debits one account and credits thousands), and only a debited account can
    /// go negative, so only those are summed.
    pub fn check(&self, postings: &[Posting]) -> DomainResult<()> {
        let mut per_asset: Vec<(&str, i128)> = Vec::new();
        let mut debited: Vec<(&str, &str)> = Vec::new();
        for posting in postings {
            match per_asset
                .iter_mut()
                .find(|(asset, _)| *asset == posting.asset)
            {
                Some((_, sum)) => *sum += posting.amount,
                None => per_asset.push((&posting.asset, posting.amount)),
            }
            if posting.amount < 0 {
                debited.push((&posting.account, &posting.asset));
            }
        }
        // Report the first problem in byte order, whatever the postings' order.
        per_asset.sort_unstable();
        if let Some((asset, sum)) = per_asset.iter().find(|(_, sum)| *sum != 0) {
            return Err(DomainError::corrupt(format!(
                "transaction does not balance: {asset} postings sum to {sum}"
            )));
        }
        debited.sort_unstable();
        debited.dedup();
        debited.retain(|(account, _)| !may_go_negative(account));
        // Many debited accounts: sum every pair once instead of rescanning per account.
        let sums: Option<FastMap<(&str, &str), i128>> =
            (debited.len() > DEBITED_SCAN_MAX).then(|| {
                let mut sums = FastMap::default();
                for p in postings {
                    *sums
                        .entry((p.account.as_str(), p.asset.as_str()))
                        .or_default() += p.amount;
                }
                sums
            });
        for (account, asset) in debited {
            let delta: i128 = match &sums {
                Some(sums) => sums[&(account, asset)],
                None => postings
                    .iter()
                    .filter(|p| p.account == account && p.asset == asset)
                    .map(|p| p.amount)
                    .sum(),
            };
            let before = self.balance(account, asset);
            if before + delta < 0 {
                return Err(DomainError::invalid(format!(
                    "account {account} would go negative in {asset} (balance {before}, change {delta})"
                )));
            }
        }
        Ok(())
    }

    /// Records a checked transaction and returns its id.
    pub fn post(&mut self, seq: u64, memo: String, postings: Vec<Posting>) -> DomainResult<u64> {
        self.check(&postings)?;
        self.add_to_balances(&postings);
        Ok(self.push(seq, memo, postings, None))
    }

    /// Records a distribution's checked transaction: `debits`, then a credit per account of
    /// `lines`. It keeps its debits only, until [`Ledger::credit_last`] gives it the lines,
    /// packed and shared with the distribution.
    pub(crate) fn post_distribution(
        &mut self,
        seq: u64,
        memo: String,
        debits: Vec<Posting>,
        (asset, lines): (&str, &[Line]),
    ) -> DomainResult<u64> {
        let debited = debits.len();
        let mut postings = debits;
        postings.extend(credit_postings(asset, lines));
        self.check(&postings)?;
        self.add_to_balances(&postings);
        postings.truncate(debited);
        postings.shrink_to_fit();
        Ok(self.push(seq, memo, postings, None))
    }

    /// Gives the distribution's transaction just posted (the last) its credits.
    pub(crate) fn credit_last(&mut self, credits: Credits) {
        let transaction =
            (self.transactions.last_mut()).expect("a distribution's transaction was just posted");
        assert!(transaction.credits.is_none(), "credited once");
        debug_assert_eq!(
            transaction.postings.iter().map(|p| p.amount).sum::<i128>()
                + credits.lines.each().map(|l| l.amount).sum::<i128>(),
            0,
            "the credits balance the debits"
        );
        transaction.credits = Some(credits);
    }

    /// The journal, deferred.
    pub(crate) fn journal(&self) -> &crate::Deferred<crate::Chunked<Transaction>> {
        &self.transactions
    }

    /// Takes the journal as a snapshot's bytes (in memory or in the store): as it is decoded, each distribution's
    /// transaction is given the distribution's lines again (decoding `distributions` first if
    /// it is deferred too), so that the lines are held once.
    pub(crate) fn defer_journal(
        &mut self,
        encoded: crate::deferred::Encoded,
        distributions: Arc<crate::Deferred<Vec<crate::state::Distribution>>>,
    ) {
        let link: crate::deferred::Link<crate::Chunked<Transaction>> =
            Arc::new(move |transactions| {
                let credits = distributions.part().iter();
                let credits = credits.map(|d| (d.transaction, d.asset.as_str(), &d.lines));
                link_credits(transactions, credits);
            });
        self.transactions = crate::Deferred::pending_linked(encoded, link);
    }

    fn push(
        &mut self,
        seq: u64,
        memo: String,
        postings: Vec<Posting>,
        credits: Option<Credits>,
    ) -> u64 {
        let id = self.transactions.len() as u64 + 1;
        self.transactions.push(Transaction {
            id,
            seq,
            memo,
            postings,
            credits,
        });
        id
    }

    fn add_to_balances(&mut self, postings: &[Posting]) {
        for posting in postings {
            // One lookup by `&str`: most postings go to accounts and assets that exist already,
            // and only a new one allocates its name.
            let Some(assets) = self.balances.get_mut(posting.account.as_str()) else {
                let assets = BTreeMap::from([(posting.asset.to_string(), posting.amount)]);
                self.balances.insert(posting.account.to_string(), assets);
                continue;
            };
            match assets.get_mut(posting.asset.as_str()) {
                Some(balance) => *balance += posting.amount,
                None => {
                    assets.insert(posting.asset.to_string(), posting.amount);
                }
            }
        }
    }

    /// Invariant 1 and 3 over the whole ledger: every transaction balances, balances equal the
    /// sum of postings, and no account but `outside` is negative.
    pub fn audit(&self) -> DomainResult<()> {
        let mut recomputed: HashMap<&str, BTreeMap<&str, i128>> = HashMap::new();
        for transaction in self.transactions.part().iter() {
            let mut per_asset: BTreeMap<&str, i128> = BTreeMap::new();
            for (account, asset, amount) in transaction.legs() {
                *per_asset.entry(asset).or_default() += amount;
                *recomputed
                    .entry(account)
                    .or_default()
                    .entry(asset)
                    .or_default() += amount;
            }
            if per_asset.values().any(|sum| *sum != 0) {
                return Err(DomainError::corrupt(format!(
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
                    return Err(DomainError::corrupt(format!(
                        "balance of {account} in {asset} is {balance} but its postings sum to {expected}"
                    )));
                }
                if *balance < 0 && !may_go_negative(account) {
                    return Err(DomainError::corrupt(format!(
                        "account {account} is negative in {asset}"
                    )));
                }
            }
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::OUTSIDE;

    fn posting(account: &str, asset: &str, amount: i128) -> Posting {
        Posting {
            account: account.into(),
            asset: asset.into(),
            amount,
        }
    }

    /// A ledger where each of `accounts` holds 100 CAD, funded from outside.
    fn funded(accounts: &[&str]) -> Ledger {
        let mut ledger = Ledger::default();
        let mut postings = vec![posting(OUTSIDE, "CAD", -100 * accounts.len() as i128)];
        postings.extend(accounts.iter().map(|a| posting(a, "CAD", 100)));
        ledger.post(1, "fund".into(), postings).unwrap();
        ledger
    }

    /// A distribution's payouts are held once, shared by the distribution and its
    /// transaction, whose postings are still whole: the debit, then a credit per account.
    #[test]
    fn a_distributions_lines_are_held_once_and_its_postings_are_whole() {
        let mut book = crate::test_book::Book::lab(0);
        book.op(crate::Command::revenue("lab", "1000.00"));
        let distribution = &book.state.distributions()[0];
        let transactions = book.state.ledger().transactions();
        let transaction = transactions.last().unwrap();
        assert_eq!(transaction.id, distribution.transaction);
        let credits = transaction
            .credits
            .as_ref()
            .expect("a distribution's credits");
        assert!(crate::PayoutLines::ptr_eq(
            &credits.lines,
            &distribution.lines
        ));
        assert_eq!(transaction.postings.len(), 1, "only the debit is copied");
        let legs: Vec<(String, i128)> = transaction
            .postings()
            .iter()
            .map(|p| (format!("{} {}", p.account, p.asset), p.amount))
            .collect();
        let expected = [
            ("outside CAD", -100_000),
            ("cleo CAD", 61_333),
            ("dev CAD", 30_667),
            ("maintenance CAD", 8_000),
        ];
        assert_eq!(
            legs,
            expected.map(|(leg, amount)| (leg.to_string(), amount))
        );
        let summed: i128 = transaction.legs().map(|(_, _, amount)| amount).sum();
        assert_eq!(summed, 0);
    }

    #[test]
    fn an_unbalanced_transaction_names_its_asset() {
        let ledger = funded(&["abran"]);
        let error = ledger
            .check(&[
                posting("abran", "CAD", -10),
                posting("bea", "CAD", 10),
                posting("abran", "EUR", 0),
                posting("bea", "USD", 5),
            ])
            .unwrap_err();
        assert_eq!(
            error.to_string(),
            "transaction does not balance: USD postings sum to 5"
        );
    }

    #[test]
    fn a_debit_and_a_credit_to_one_account_net_out() {
        let ledger = funded(&["abran"]);
        // -150 alone would overdraw abran's 100; with the +60 the net is -90.
        let net = [
            posting("abran", "CAD", -150),
            posting("abran", "CAD", 60),
            posting("bea", "CAD", 90),
        ];
        ledger.check(&net).unwrap();
        let over = [posting("abran", "CAD", -101), posting("bea", "CAD", 101)];
        assert_eq!(
            ledger.check(&over).unwrap_err().to_string(),
            "account abran would go negative in CAD (balance 100, change -101)"
        );
    }

    #[test]
    fn many_debited_accounts_report_the_first_overdrawn_in_byte_order() {
        // More debited accounts than the scan handles: the summing path runs.
        let names: Vec<String> = (0..DEBITED_SCAN_MAX + 4)
            .map(|i| format!("a{i:02}"))
            .collect();
        let accounts: Vec<&str> = names.iter().map(String::as_str).collect();
        let ledger = funded(&accounts);
        let mut postings: Vec<Posting> = accounts
            .iter()
            .rev()
            .map(|a| posting(a, "CAD", -100))
            .collect();
        postings.push(posting("pool", "CAD", 100 * accounts.len() as i128));
        ledger.check(&postings).unwrap();
        // Overdraw two of them, the later one listed first.
        postings[0].amount = -101;
        postings[3].amount = -102;
        let total: i128 = postings[..postings.len() - 1]
            .iter()
            .map(|p| p.amount)
            .sum();
        postings.last_mut().unwrap().amount = -total;
        let overdrawn = [&postings[0].account, &postings[3].account];
        let first = overdrawn.iter().min().unwrap();
        assert_eq!(first.as_str(), "a08");
        assert_eq!(
            ledger.check(&postings).unwrap_err().to_string(),
            "account a08 would go negative in CAD (balance 100, change -102)"
        );
    }

    #[test]
    fn outside_may_go_negative() {
        let ledger = Ledger::default();
        ledger
            .check(&[posting(OUTSIDE, "CAD", -5), posting("abran", "CAD", 5)])
            .unwrap();
    }
}
