//! A token bucket per client address, for the one write a stranger may make without a key
//! (asking to join, over the API or the dashboard's public form).
//!
//! Each address holds at most [`JOIN_BURST`] tokens and gets one back every [`JOIN_REFILL`];
//! a request without a token is answered 429 with `Retry-After`. The client address is the
//! TCP peer's (a proxy in front of the server should limit by the real client itself: the
//! server does not trust `X-Forwarded-For`, which any client can write). At most
//! [`LIMITED_ADDRESSES_MAX`] addresses are tracked; when full, the buckets that refilled are
//! dropped first, then all of them. The core bounds the pending requests as well
//! (`fairshare_core::PENDING_MAX`), so a crowd of addresses cannot grow the book without
//! bound either.

use std::collections::HashMap;
use std::net::{IpAddr, Ipv4Addr};
use std::sync::Mutex;
use std::time::{Duration, Instant};

use axum::http::request::Parts;

/// Requests one address may make at once.
pub const JOIN_BURST: u32 = 5;
/// How long an address waits for one more request.
pub const JOIN_REFILL: Duration = Duration::from_secs(60);
/// Most addresses tracked at once.
pub const LIMITED_ADDRESSES_MAX: usize = 10_000;

#[derive(Debug, Clone, Copy)]
struct Bucket {
    tokens: u32,
    /// When the tokens were last counted.
    at: Instant,
}

/// Token buckets by client address.
pub(crate) struct Limiter {
    burst: u32,
    refill: Duration,
    buckets: Mutex<HashMap<IpAddr, Bucket>>,
}

impl Limiter {
    pub fn new(burst: u32, refill: Duration) -> Limiter {
        Limiter {
            burst: burst.max(1),
            refill: refill.max(Duration::from_millis(1)),
            buckets: Mutex::new(HashMap::new()),
        }
    }

    /// The limiter of keyless join requests.
    pub fn for_joins() -> Limiter {
        Limiter::new(JOIN_BURST, JOIN_REFILL)
    }

    /// Takes a token of `address`'s bucket at `now`, or says how long until the next one.
    pub fn take(&self, address: IpAddr, now: Instant) -> Result<(), Duration> {
        let Ok(mut buckets) = self.buckets.lock() else {
            return Err(self.refill);
        };
        if buckets.len() >= LIMITED_ADDRESSES_MAX && !buckets.contains_key(&address) {
            buckets.retain(|_, b| self.refilled(*b, now).tokens < self.burst);
            if buckets.len() >= LIMITED_ADDRESSES_MAX {
                buckets.clear();
            }
        }
        let bucket = buckets.entry(address).or_insert(Bucket {
            tokens: self.burst,
            at: now,
        });
        *bucket = self.refilled(*bucket, now);
        if bucket.tokens == 0 {
            let waited = now.saturating_duration_since(bucket.at);
            return Err(self.refill.saturating_sub(waited));
        }
        bucket.tokens -= 1;
        Ok(())
    }

    /// The bucket with the tokens earned since it was counted (whole refills only: the
    /// remainder of the period is kept).
    fn refilled(&self, bucket: Bucket, now: Instant) -> Bucket {
        let elapsed = now.saturating_duration_since(bucket.at);
        let earned = elapsed.as_nanos() / self.refill.as_nanos();
        if earned == 0 {
            return bucket;
        }
        let tokens = (u128::from(bucket.tokens) + earned).min(u128::from(self.burst)) as u32;
        let at = if tokens == self.burst {
            now
        } else {
            bucket.at + self.refill * earned as u32
        };
        Bucket { tokens, at }
    }
}

/// The client's address: the TCP peer's, or the unspecified address when the server runs
/// without connection info (every such request then shares one bucket).
pub(crate) fn client_address(parts: &Parts) -> IpAddr {
    crate::auth::client_address(parts).unwrap_or(IpAddr::V4(Ipv4Addr::UNSPECIFIED))
}

/// The client's address, for a handler that counts keyless requests (the dashboard's join
/// form).
pub(crate) struct ClientAddress(pub IpAddr);

impl<S: Send + Sync> axum::extract::FromRequestParts<S> for ClientAddress {
    type Rejection = std::convert::Infallible;

    async fn from_request_parts(parts: &mut Parts, _: &S) -> Result<Self, Self::Rejection> {
        Ok(ClientAddress(client_address(parts)))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_address_gets_its_burst_then_one_request_per_refill() {
        let limiter = Limiter::new(2, Duration::from_secs(60));
        let (a, b): (IpAddr, IpAddr) = ("10.0.0.1".parse().unwrap(), "10.0.0.2".parse().unwrap());
        let start = Instant::now();
        assert_eq!(limiter.take(a, start), Ok(()));
        assert_eq!(limiter.take(a, start), Ok(()));
        let after = |s| start + Duration::from_secs(s);
        assert_eq!(limiter.take(a, after(15)), Err(Duration::from_secs(45)));
        // Another address has its own bucket.
        assert_eq!(limiter.take(b, after(15)), Ok(()));
        assert_eq!(limiter.take(a, after(60)), Ok(()));
        assert_eq!(limiter.take(a, after(61)), Err(Duration::from_secs(59)));
        // Refills never pass the burst.
        assert_eq!(limiter.take(a, after(3600)), Ok(()));
        assert_eq!(limiter.take(a, after(3600)), Ok(()));
        assert_eq!(limiter.take(a, after(3600)), Err(Duration::from_secs(60)));
    }
}
