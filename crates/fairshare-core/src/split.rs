//! Exact pro-rata splits of an integer amount: largest remainder, and capped ("water filling").
//!
//! Every function here returns parts that add up exactly to what was placed; nothing is lost
//! to rounding. Ties in remainders go to the recipient listed first, so callers list
//! recipients in byte order of their handle or account name.

use ethnum::U256;
use num_bigint::BigUint;
use num_traits::Zero;

/// Splits `amount` over `weights` by the largest remainder method: each gets
/// `floor(amount * w / W)`, and the units left over go one each to the largest remainders,
/// ties to the earlier entry. All weights zero gives all parts zero (the caller decides where
/// an unplaceable amount goes). Parts always sum to `amount` when some weight is positive.
pub fn split_largest_remainder(amount: u128, weights: &[u128]) -> Vec<u128> {
    // When amount * W fits in 128 bits, so does every amount * w: one native division per
    // part instead of two 256-bit ones (a revenue over 10,000 agents, the usual case).
    let narrow_total = weights
        .iter()
        .try_fold(0u128, |sum, w| sum.checked_add(*w))
        .filter(|total| amount.checked_mul(*total).is_some());
    match narrow_total {
        Some(total) => split_narrow(amount, weights, total),
        None => split_wide(amount, weights),
    }
}

/// [`split_largest_remainder`] when `amount * total` fits in a `u128`.
fn split_narrow(amount: u128, weights: &[u128], total: u128) -> Vec<u128> {
    if total == 0 || amount == 0 {
        return vec![0; weights.len()];
    }
    let mut parts = Vec::with_capacity(weights.len());
    let mut remainders = Vec::with_capacity(weights.len());
    let mut placed: u128 = 0;
    for (index, weight) in weights.iter().enumerate() {
        let product = amount * weight;
        let part = product / total;
        let remainder = product - part * total;
        placed += part;
        parts.push(part);
        if remainder != 0 {
            remainders.push((remainder, index));
        }
    }
    let leftover = amount - placed;
    distribute_leftover(&mut parts, remainders, leftover);
    debug_assert_eq!(parts.iter().sum::<u128>(), amount, "the parts add up");
    parts
}

/// [`split_largest_remainder`] in 256-bit arithmetic, for any weights.
fn split_wide(amount: u128, weights: &[u128]) -> Vec<u128> {
    let total: U256 = weights
        .iter()
        .fold(U256::ZERO, |sum, w| sum + U256::from(*w));
    if total == U256::ZERO || amount == 0 {
        return vec![0; weights.len()];
    }
    let amount_wide = U256::from(amount);
    let mut parts = Vec::with_capacity(weights.len());
    let mut remainders = Vec::with_capacity(weights.len());
    let mut placed: u128 = 0;
    for (index, weight) in weights.iter().enumerate() {
        let product = amount_wide * U256::from(*weight);
        let quota = product / total;
        let remainder = product - quota * total;
        // quota <= amount, so it fits in u128.
        debug_assert!(quota <= amount_wide);
        let part = quota.as_u128();
        placed += part;
        parts.push(part);
        if remainder != U256::ZERO {
            remainders.push((remainder, index));
        }
    }
    let leftover = amount - placed;
    distribute_leftover(&mut parts, remainders, leftover);
    debug_assert_eq!(parts.iter().sum::<u128>(), amount, "the parts add up");
    parts
}

/// The same split for arbitrarily large weights (blended shares over a common denominator).
pub fn split_largest_remainder_big(amount: u128, weights: &[BigUint]) -> Vec<u128> {
    let total: BigUint = weights.iter().sum();
    if total.is_zero() || amount == 0 {
        return vec![0; weights.len()];
    }
    let amount_big = BigUint::from(amount);
    let mut parts = Vec::with_capacity(weights.len());
    let mut remainders = Vec::with_capacity(weights.len());
    let mut placed: u128 = 0;
    for (index, weight) in weights.iter().enumerate() {
        let product = &amount_big * weight;
        let quota = &product / &total;
        let remainder = product % &total;
        let part: u128 = u128::try_from(&quota).expect("a quota never exceeds the amount");
        placed += part;
        parts.push(part);
        if !remainder.is_zero() {
            remainders.push((remainder, index));
        }
    }
    let leftover = amount - placed;
    distribute_leftover(&mut parts, remainders, leftover);
    debug_assert_eq!(parts.iter().sum::<u128>(), amount, "the parts add up");
    parts
}

fn distribute_leftover<R: Ord>(
    parts: &mut [u128],
    mut remainders: Vec<(R, usize)>,
    leftover: u128,
) {
    if leftover == 0 {
        return;
    }
    // Largest remainder first; equal remainders keep input order (smaller name first).
    // Indices are unique, so this order is total and the first `leftover` entries after a
    // selection are the same set a full sort would give: selecting is linear.
    let by_remainder = |a: &(R, usize), b: &(R, usize)| b.0.cmp(&a.0).then(a.1.cmp(&b.1));
    // leftover < number of non-zero remainders, by construction of floor division.
    debug_assert!(leftover < remainders.len() as u128);
    let take = leftover as usize;
    remainders.select_nth_unstable_by(take - 1, by_remainder);
    for (_, index) in &remainders[..take] {
        parts[*index] += 1;
    }
}

/// One recipient of a capped split: its pro-rata weight and how much it may still receive.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct CappedShare {
    pub weight: u128,
    pub room: u128,
}

/// Capped pro-rata ("water filling"): split by largest remainder, clamp each part at its
/// room, split the excess again among those still open, until nothing is left or everyone is
/// full. Returns the parts and what could not be placed (everyone full).
pub fn split_capped(amount: u128, shares: &[CappedShare]) -> (Vec<u128>, u128) {
    let mut parts = vec![0u128; shares.len()];
    let mut remaining = amount;
    let mut open: Vec<usize> = (0..shares.len())
        .filter(|&i| shares[i].weight > 0 && shares[i].room > 0)
        .collect();
    while remaining > 0 && !open.is_empty() {
        let weights: Vec<u128> = open.iter().map(|&i| shares[i].weight).collect();
        let round = split_largest_remainder(remaining, &weights);
        let mut excess = 0u128;
        for (slot, &i) in open.iter().enumerate() {
            let room = shares[i].room - parts[i];
            let given = round[slot].min(room);
            parts[i] += given;
            excess += round[slot] - given;
        }
        open.retain(|&i| parts[i] < shares[i].room);
        // Progress: excess > 0 only when someone hit their cap and left `open`.
        remaining = excess;
    }
    debug_assert!(
        parts
            .iter()
            .zip(shares)
            .all(|(part, share)| *part <= share.room),
        "no part passes its cap"
    );
    debug_assert_eq!(
        parts.iter().sum::<u128>() + remaining,
        amount,
        "the parts and what no one could take add up"
    );
    (parts, remaining)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn forillon_split_gives_the_cent_to_the_largest_remainder() {
        // 10,500.00 over 5400:3600:1200 (abran, marie, luc in byte order of handle? no: input order)
        let parts = split_largest_remainder(1_050_000, &[5400, 3600, 1200]);
        assert_eq!(parts, vec![555_882, 370_588, 123_530]);
    }

    #[test]
    fn ties_go_to_the_earlier_entry() {
        assert_eq!(split_largest_remainder(1, &[1, 1]), vec![1, 0]);
        assert_eq!(
            split_largest_remainder(5, &[1, 1, 0, 1, 1]),
            vec![2, 1, 0, 1, 1]
        );
    }

    #[test]
    fn zero_weights_place_nothing() {
        assert_eq!(split_largest_remainder(100, &[0, 0]), vec![0, 0]);
        assert_eq!(split_largest_remainder(100, &[]), Vec::<u128>::new());
    }

    #[test]
    fn huge_weights_do_not_overflow() {
        let parts = split_largest_remainder(u128::MAX / 4, &[u128::MAX / 3, u128::MAX / 3, 7]);
        assert_eq!(parts.iter().sum::<u128>(), u128::MAX / 4);
    }

    /// The 128-bit path gives the 256-bit path's parts, part for part: same quotients, same
    /// remainders, same ties.
    #[test]
    fn the_narrow_split_is_the_wide_split() {
        let cases: [(u128, &[u128]); 5] = [
            (1_050_000, &[5400, 3600, 1200]),
            (5, &[1, 1, 0, 1, 1]),
            (999_999, &[7, 7, 7, 3, 3, 3, 3]),
            (
                1_200_000,
                &[
                    3_000_000_000_000_000_000_000,
                    1,
                    2_999_999_999_999_999_999_999,
                ],
            ),
            (
                u64::MAX as u128,
                &[u64::MAX as u128 - 1, 3, u64::MAX as u128 / 7],
            ),
        ];
        for (amount, weights) in cases {
            let total: u128 = weights.iter().sum();
            assert_eq!(
                split_narrow(amount, weights, total),
                split_wide(amount, weights),
                "{amount} over {weights:?}"
            );
        }
        assert_eq!(
            split_largest_remainder(1_200_000, &[3, 3, 3, 3, 3, 3, 3]),
            vec![
                171_429, 171_429, 171_429, 171_429, 171_428, 171_428, 171_428
            ]
        );
    }

    proptest::proptest! {
        #[test]
        /// Small weights tie often, large ones leave large remainders; amount * W fits.
        #[test]
        fn narrow_and_wide_splits_agree(
            amount in 0u128..1 << 40,
            weights in proptest::collection::vec(
                proptest::prop_oneof![0u128..5, 0u128..1 << 60],
                0..40,
            ),
        ) {
            let total: u128 = weights.iter().sum();
            proptest::prop_assert_eq!(
                split_narrow(amount, &weights, total),
                split_wide(amount, &weights)
            );
        }
    }

    #[test]
    fn capped_split_fills_then_returns_the_excess() {
        let mut shares = vec![
            CappedShare {
                weight: 300,
                room: 300
            };
            9
        ];
        shares.push(CappedShare {
            weight: 800,
            room: 800,
        });
        shares.push(CappedShare {
            weight: 500,
            room: 500,
        });
        let (parts, unplaced) = split_capped(7000, &shares);
        assert_eq!(&parts[..9], &[300; 9]);
        assert_eq!(parts[9], 800);
        assert_eq!(parts[10], 500);
        assert_eq!(unplaced, 3000);
    }

    #[test]
    fn capped_split_redistributes_to_those_still_open() {
        let shares = [
            CappedShare {
                weight: 1,
                room: 10,
            },
            CappedShare {
                weight: 1,
                room: 1000,
            },
        ];
        let (parts, unplaced) = split_capped(100, &shares);
        assert_eq!(parts, vec![10, 90]);
        assert_eq!(unplaced, 0);
    }
}
