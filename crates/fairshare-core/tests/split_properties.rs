//! Properties of the exact splits: conservation and largest-remainder optimality.

use fairshare_core::{CappedShare, split_capped, split_largest_remainder};
use proptest::prelude::*;

proptest! {
    #![proptest_config(ProptestConfig::with_cases(2_000))]

    /// Parts add up to the amount, and no part differs from its exact quota by a unit or more.
    #[test]
    fn largest_remainder_conserves_and_is_optimal(amount in 0u128..1_000_000_000_000, weights in prop::collection::vec(0u128..1_000_000_000, 1..40)) {
        let parts = split_largest_remainder(amount, &weights);
        let total: u128 = weights.iter().sum();
        if total == 0 {
            prop_assert!(parts.iter().all(|p| *p == 0));
        } else {
            prop_assert_eq!(parts.iter().sum::<u128>(), amount);
            for (part, weight) in parts.iter().zip(&weights) {
                // |part - amount*w/W| < 1  <=>  |part*W - amount*w| < W
                let exact = amount * weight;
                let scaled = part * total;
                prop_assert!(scaled.abs_diff(exact) < total, "part {} weight {} total {}", part, weight, total);
            }
        }
    }

    /// Ties in remainders go to the earlier entry: equal weights never favour a later one.
    #[test]
    fn equal_weights_favour_earlier_entries(amount in 0u128..1_000, n in 1usize..20) {
        let parts = split_largest_remainder(amount, &vec![7; n]);
        prop_assert!(parts.windows(2).all(|w| w[0] >= w[1]));
        prop_assert!(parts[0] - parts[n - 1] <= 1);
    }

    /// Capped splits never pay past a cap, place everything while someone has room, and
    /// return exactly the rest.
    #[test]
    fn capped_split_never_exceeds_a_cap(amount in 0u128..10_000_000, shares in prop::collection::vec((0u128..10_000, 0u128..100_000), 1..30)) {
        let shares: Vec<CappedShare> = shares.into_iter().map(|(weight, room)| CappedShare { weight, room }).collect();
        let (parts, unplaced) = split_capped(amount, &shares);
        prop_assert_eq!(parts.iter().sum::<u128>() + unplaced, amount);
        for (part, share) in parts.iter().zip(&shares) {
            prop_assert!(*part <= share.room);
            if share.weight == 0 { prop_assert_eq!(*part, 0); }
        }
        if unplaced > 0 {
            // Everyone who could receive is full.
            prop_assert!(parts.iter().zip(&shares).all(|(p, s)| s.weight == 0 || *p == s.room));
        }
    }
}
