//! Failed logins and bad API keys, counted per account and per client address, with backoff.
//!
//! The first [`FREE_FAILURES`] failures of an account or an address cost nothing; each later
//! one locks it out for twice as long as the one before, from [`BACKOFF_FIRST`] up to
//! [`BACKOFF_MAX`]. While locked, a login or a keyed request is answered 429 with
//! `Retry-After` before any password is hashed or any key looked up, so a guesser gets a
//! handful of tries per hour instead of thousands. A success clears the account's count (not
//! the address's: one address guessing many accounts stays slowed). A count is forgotten
//! [`FORGET_AFTER`] after its last failure.
//!
//! The counts live in memory (per server process): they bound guessing speed, they are not a
//! lockout record, and a restart forgets them. Both maps are bounded ([`ENTRIES_MAX`]).

use std::collections::HashMap;
use std::net::IpAddr;
use std::sync::Mutex;
use std::time::{Duration, Instant};

/// Failures of one account or address before any backoff.
pub const FREE_FAILURES: u32 = 5;
/// The lockout after the first failure past [`FREE_FAILURES`].
pub const BACKOFF_FIRST: Duration = Duration::from_secs(1);
/// The longest lockout.
pub const BACKOFF_MAX: Duration = Duration::from_secs(15 * 60);
/// A count is forgotten this long after its last failure.
pub const FORGET_AFTER: Duration = Duration::from_secs(60 * 60);
/// Most accounts (and, apart, addresses) counted at once.
pub const ENTRIES_MAX: usize = 100_000;

#[derive(Debug, Clone, Copy)]
struct Failures {
    count: u32,
    last: Instant,
    locked_until: Instant,
}

/// One map of counts (accounts, or addresses).
#[derive(Debug)]
struct Counts<K>(Mutex<HashMap<K, Failures>>);

impl<K: std::hash::Hash + Eq + Clone> Counts<K> {
    fn new() -> Counts<K> {
        Counts(Mutex::new(HashMap::new()))
    }

    /// How long `key` is still locked out at `now`, if it is.
    fn locked(&self, key: &K, now: Instant) -> Option<Duration> {
        let map = self.0.lock().ok()?;
        let entry = map.get(key)?;
        (entry.locked_until > now).then(|| entry.locked_until - now)
    }

    fn fail(&self, key: &K, now: Instant) {
        let Ok(mut map) = self.0.lock() else { return };
        if map.len() >= ENTRIES_MAX && !map.contains_key(key) {
            map.retain(|_, f| now.duration_since(f.last) < FORGET_AFTER);
            if map.len() >= ENTRIES_MAX {
                // Keep the locked ones: forgetting them would let a flood of new keys unlock
                // a guessed account.
                map.retain(|_, f| f.locked_until > now);
            }
        }
        let entry = map.entry(key.clone()).or_insert(Failures {
            count: 0,
            last: now,
            locked_until: now,
        });
        if now.duration_since(entry.last) >= FORGET_AFTER {
            entry.count = 0;
        }
        entry.count = entry.count.saturating_add(1);
        entry.last = now;
        if let Some(past) = entry.count.checked_sub(FREE_FAILURES + 1) {
            entry.locked_until = now + backoff(past);
        }
    }

    fn clear(&self, key: &K) {
        if let Ok(mut map) = self.0.lock() {
            map.remove(key);
        }
    }
}

/// The lockout after the `past`-th failure past the free ones (0 for the first).
pub fn backoff(past: u32) -> Duration {
    BACKOFF_FIRST
        .checked_mul(1u32.checked_shl(past.min(31)).unwrap_or(u32::MAX))
        .unwrap_or(BACKOFF_MAX)
        .min(BACKOFF_MAX)
}

/// The failure counts of one server.
#[derive(Debug)]
pub(crate) struct Throttle {
    accounts: Counts<String>,
    addresses: Counts<IpAddr>,
}

impl Default for Throttle {
    fn default() -> Throttle {
        Throttle {
            accounts: Counts::new(),
            addresses: Counts::new(),
        }
    }
}

/// Whole seconds to wait, at least 1 (the value of `Retry-After`).
pub fn retry_after(wait: Duration) -> u64 {
    wait.as_secs() + u64::from(wait.subsec_nanos() > 0)
}

impl Throttle {
    /// How long the account (if any) or the address must still wait, the longer of the two.
    pub fn locked(&self, account: Option<&str>, address: Option<IpAddr>) -> Option<Duration> {
        self.locked_at(account, address, Instant::now())
    }

    fn locked_at(
        &self,
        account: Option<&str>,
        address: Option<IpAddr>,
        now: Instant,
    ) -> Option<Duration> {
        let by_account = account.and_then(|a| self.accounts.locked(&a.to_string(), now));
        let by_address = address.and_then(|a| self.addresses.locked(&a, now));
        by_account.max(by_address)
    }

    /// Counts a failure of the account (if any) and the address (if known).
    pub fn fail(&self, account: Option<&str>, address: Option<IpAddr>) {
        self.fail_at(account, address, Instant::now());
    }

    fn fail_at(&self, account: Option<&str>, address: Option<IpAddr>, now: Instant) {
        if let Some(account) = account {
            self.accounts.fail(&account.to_string(), now);
        }
        if let Some(address) = address {
            self.addresses.fail(&address, now);
        }
    }

    /// A successful login: the account's count starts again.
    pub fn succeed(&self, account: &str) {
        self.accounts.clear(&account.to_string());
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn backoff_doubles_up_to_the_maximum() {
        assert_eq!(backoff(0), Duration::from_secs(1));
        assert_eq!(backoff(3), Duration::from_secs(8));
        assert_eq!(backoff(9), Duration::from_secs(512));
        assert_eq!(backoff(10), BACKOFF_MAX);
        assert_eq!(backoff(40), BACKOFF_MAX);
        assert_eq!(retry_after(Duration::from_millis(1500)), 2);
        assert_eq!(retry_after(Duration::from_secs(3)), 3);
    }

    #[test]
    fn failures_past_the_free_ones_lock_the_account_and_the_address() {
        let throttle = Throttle::default();
        let address: IpAddr = "10.0.0.1".parse().expect("ip");
        let start = Instant::now();
        let at = |seconds: u64| start + Duration::from_secs(seconds);
        for _ in 0..FREE_FAILURES {
            assert_eq!(throttle.locked_at(Some("ana"), Some(address), at(0)), None);
            throttle.fail_at(Some("ana"), Some(address), at(0));
        }
        assert_eq!(throttle.locked_at(Some("ana"), Some(address), at(0)), None);
        throttle.fail_at(Some("ana"), Some(address), at(0));
        let locked = |account, address, seconds| throttle.locked_at(account, address, at(seconds));
        assert_eq!(locked(Some("ana"), None, 0), Some(BACKOFF_FIRST));
        assert_eq!(locked(None, Some(address), 0), Some(BACKOFF_FIRST));
        assert_eq!(locked(Some("ana"), None, 1), None, "the lockout is over");
        // Another account from another address is not slowed.
        assert_eq!(locked(Some("bob"), Some([10, 0, 0, 2].into()), 0), None);
        // The next failure doubles the lockout.
        throttle.fail_at(Some("ana"), Some(address), at(1));
        assert_eq!(locked(Some("ana"), None, 1), Some(Duration::from_secs(2)));
        // A success frees the account, not the address.
        throttle.succeed("ana");
        assert_eq!(locked(Some("ana"), None, 1), None);
        assert_eq!(locked(None, Some(address), 2), Some(Duration::from_secs(1)));
        // An hour after the last failure the count starts again.
        throttle.fail_at(None, Some(address), at(3 + FORGET_AFTER.as_secs()));
        assert_eq!(
            locked(None, Some(address), 3 + FORGET_AFTER.as_secs()),
            None
        );
    }
}
