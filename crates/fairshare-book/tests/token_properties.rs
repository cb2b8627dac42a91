//! Model-based property tests of project tokens: random pre-sales, contributions, buys,
//! redemptions, transfers, donations, payments and revenue into a reserve (valid and invalid)
//! against a book, checking the token invariants of DOMAIN.md after every step.

mod common;

use common::rows_of;
use fairshare_book::{Book, Executed, MemoryStore, verify};
use fairshare_core::{
    Bucket, Command, HatchSpec, OPERATOR, Outcome, PercentOf, Plan, Redemption, Role, State,
};
use proptest::prelude::*;

const AT: &str = "2026-11-21T12:00:00Z";
/// Agents; `bank` is an observer (a partner), the others contribute.
const AGENTS: [&str; 4] = ["alice", "bob", "cleo", "bank"];
/// Holders include the projects themselves.
const HOLDERS: [&str; 6] = ["alice", "bob", "cleo", "bank", "t", "q"];
/// `p` issues the NAV token PT, `q` the curve token QT, `t` accepts PT.
const TOKENS: [&str; 2] = ["PT", "QT"];

#[derive(Debug, Clone)]
enum Step {
    Presale {
        agent: usize,
        amount: String,
        price: String,
    },
    Work {
        agent: usize,
        curve: bool,
        hours: u32,
    },
    Buy {
        agent: usize,
        amount: String,
    },
    Redeem {
        curve: bool,
        holder: usize,
        tokens: String,
    },
    /// Redeems a share (per mille, 1000 = everything) of what the holder holds.
    RedeemShare {
        curve: bool,
        holder: usize,
        permille: u32,
    },
    Transfer {
        curve: bool,
        from: usize,
        to: usize,
        tokens: String,
    },
    Donate {
        curve: bool,
        amount: String,
    },
    Pay {
        from: usize,
        tokens: String,
    },
    /// Revenue of `q` whose plan sends 10% into QT's reserve (money reaching the reserve
    /// outside the token's own operations).
    Revenue {
        amount: String,
    },
    /// A buy of `amount` immediately followed by the sale of exactly what it minted.
    RoundTrip {
        agent: usize,
        amount: String,
    },
}

fn cents(max: u64) -> impl Strategy<Value = String> {
    (1..max).prop_map(|c| format!("{}.{:02}", c / 100, c % 100))
}

fn amount() -> impl Strategy<Value = String> {
    prop_oneof![
        8 => cents(2_000_000),
        1 => Just("0.00".to_string()),
        1 => Just("-5.00".to_string()),
        1 => Just("1.005".to_string()),
    ]
}

fn tokens() -> impl Strategy<Value = String> {
    prop_oneof![
        6 => cents(500_000),
        2 => cents(5_000),
        1 => Just("0.00".to_string()),
        1 => Just("999999999.00".to_string()),
    ]
}

fn price() -> impl Strategy<Value = String> {
    prop_oneof![
        4 => (1u32..500).prop_map(|c| format!("{}.{:02}", c / 100, c % 100)),
        1 => Just("3".to_string()),
        1 => Just("0".to_string()),
        1 => Just("-1".to_string()),
    ]
}

fn step() -> impl Strategy<Value = Step> {
    prop_oneof![
        2 => (0..4usize, amount(), price()).prop_map(|(agent, amount, price)| Step::Presale { agent, amount, price }),
        2 => (0..3usize, any::<bool>(), 1u32..200).prop_map(|(agent, curve, hours)| Step::Work { agent, curve, hours }),
        3 => (0..4usize, amount()).prop_map(|(agent, amount)| Step::Buy { agent, amount }),
        2 => (any::<bool>(), 0..6usize, tokens()).prop_map(|(curve, holder, tokens)| Step::Redeem { curve, holder, tokens }),
        3 => (any::<bool>(), 0..6usize, 1u32..=1000).prop_map(|(curve, holder, permille)| Step::RedeemShare { curve, holder, permille }),
        2 => (any::<bool>(), 0..6usize, 0..6usize, tokens()).prop_map(|(curve, from, to, tokens)| Step::Transfer { curve, from, to, tokens }),
        1 => (any::<bool>(), amount()).prop_map(|(curve, amount)| Step::Donate { curve, amount }),
        1 => (0..6usize, tokens()).prop_map(|(from, tokens)| Step::Pay { from, tokens }),
        1 => amount().prop_map(|amount| Step::Revenue { amount }),
        2 => (0..4usize, amount()).prop_map(|(agent, amount)| Step::RoundTrip { agent, amount }),
    ]
}

fn symbol(curve: bool) -> String {
    if curve { "QT" } else { "PT" }.to_string()
}

fn command(state: &State, step: &Step) -> Command {
    match step {
        Step::RedeemShare {
            curve,
            holder,
            permille,
        } => {
            let token = state.token(&symbol(*curve)).unwrap();
            let held = state.ledger().balance(HOLDERS[*holder], &token.symbol);
            Command::Redeem {
                token: token.symbol.clone(),
                agent: HOLDERS[*holder].into(),
                tokens: fairshare_core::format_amount(
                    held * *permille as i128 / 1000,
                    token.exponent,
                ),
            }
        }
        Step::Presale {
            agent,
            amount,
            price,
        } => Command::Presale {
            token: "PT".into(),
            agent: AGENTS[*agent].into(),
            amount: amount.clone(),
            price: price.clone(),
        },
        Step::Work {
            agent,
            curve,
            hours,
        } => Command::log_work(
            if *curve { "q" } else { "p" },
            AGENTS[*agent],
            "build",
            &hours.to_string(),
        ),
        Step::Buy { agent, amount } | Step::RoundTrip { agent, amount } => Command::Buy {
            token: "QT".into(),
            agent: AGENTS[*agent].into(),
            amount: amount.clone(),
        },
        Step::Redeem {
            curve,
            holder,
            tokens,
        } => Command::Redeem {
            token: symbol(*curve),
            agent: HOLDERS[*holder].into(),
            tokens: tokens.clone(),
        },
        Step::Transfer {
            curve,
            from,
            to,
            tokens,
        } => Command::Transfer {
            token: symbol(*curve),
            from: HOLDERS[*from].into(),
            to: HOLDERS[*to].into(),
            tokens: tokens.clone(),
        },
        Step::Donate { curve, amount } => Command::Donate {
            token: symbol(*curve),
            agent: "bank".into(),
            amount: amount.clone(),
        },
        Step::Pay { from, tokens } => Command::PayWithToken {
            token: "PT".into(),
            from: HOLDERS[*from].into(),
            project: "t".into(),
            tokens: tokens.clone(),
        },
        Step::Revenue { amount } => Command::Revenue {
            project: "q".into(),
            amount: amount.clone(),
            from: None,
        },
    }
}

/// The parameters of a random book: PT's exit fee, QT's hatch and tributes.
#[derive(Debug, Clone)]
struct Setup {
    exit_fee: Option<u8>,
    hatch_raised_cents: u64,
    hatch_price: String,
    hatch_tribute: u8,
    entry_tribute: Option<u8>,
    exit_tribute: Option<u8>,
}

fn setup() -> impl Strategy<Value = Setup> {
    (
        prop::option::of(0u8..30),
        100u64..10_000_000,
        prop_oneof![
            Just("1.00".to_string()),
            Just("0.37".to_string()),
            Just("2.5".to_string())
        ],
        0u8..50,
        prop::option::of(0u8..20),
        prop::option::of(0u8..20),
    )
        .prop_map(
            |(
                exit_fee,
                hatch_raised_cents,
                hatch_price,
                hatch_tribute,
                entry_tribute,
                exit_tribute,
            )| Setup {
                exit_fee,
                hatch_raised_cents,
                hatch_price,
                hatch_tribute,
                entry_tribute,
                exit_tribute,
            },
        )
}

fn run(book: &mut Book, command: Command) {
    let op = command.op();
    book.execute(OPERATOR, &command, None, AT)
        .unwrap_or_else(|e| panic!("{op} refused: {e}"));
}

fn fresh_book(setup: &Setup) -> Book {
    let mut book = Book::open(Box::new(MemoryStore::new())).unwrap();
    for handle in AGENTS {
        let role = if handle == "bank" {
            Role::Observer
        } else {
            Role::Affiliate
        };
        run(
            &mut book,
            Command::AddAgent {
                handle: handle.into(),
                name: None,
                role,
            },
        );
    }
    for slug in ["p", "q", "t"] {
        run(&mut book, Command::add_project(slug, "CAD", 2));
        run(&mut book, Command::set_rate(slug, "build", "37.50"));
    }
    run(
        &mut book,
        Command::CreateToken {
            project: "p".into(),
            symbol: "PT".into(),
            exponent: 2,
            mint_per_value: Some("1".into()),
            redemption: Redemption::Nav,
            exit_fee_percent: setup.exit_fee.map(|p| p.to_string()),
            entry_tribute_percent: None,
            exit_tribute_percent: None,
            funding_to: None,
            curve_exponent: None,
            hatch: None,
            retro: false,
        },
    );
    let raised = setup.hatch_raised_cents;
    run(
        &mut book,
        Command::CreateToken {
            project: "q".into(),
            symbol: "QT".into(),
            exponent: 3,
            mint_per_value: Some("0.5".into()),
            redemption: Redemption::Curve,
            exit_fee_percent: None,
            entry_tribute_percent: setup.entry_tribute.map(|p| p.to_string()),
            exit_tribute_percent: setup.exit_tribute.map(|p| p.to_string()),
            funding_to: None,
            curve_exponent: Some(2),
            hatch: Some(HatchSpec {
                raised: format!("{}.{:02}", raised / 100, raised % 100),
                price: setup.hatch_price.clone(),
                tribute_percent: Some(setup.hatch_tribute.to_string()),
                holder: None,
            }),
            retro: false,
        },
    );
    run(
        &mut book,
        Command::AcceptToken {
            project: "t".into(),
            token: "PT".into(),
            rate: "0.70".into(),
        },
    );
    run(
        &mut book,
        Command::SetPlan {
            project: "q".into(),
            plan: Plan {
                buckets: vec![
                    Bucket::Percent {
                        percent: 10.into(),
                        of: PercentOf::Gross,
                        to: "q-reserve".into(),
                    },
                    Bucket::TokenHolders { token: "QT".into() },
                ],
            },
        },
    );
    book
}

fn reserve(state: &State, symbol: &str) -> i128 {
    state.token_reserve(symbol).unwrap()
}

fn supply(state: &State, symbol: &str) -> i128 {
    state.token_supply(symbol).unwrap()
}

/// Invariant 2 and 3 for every token: supply = minted - burned = the sum of holder balances =
/// what left `outside`; no reserve below zero. And the curve's reserve never below S^2/V0.
fn check_supply_and_reserves(state: &State) -> Result<(), TestCaseError> {
    for symbol in TOKENS {
        let token = state.token(symbol).unwrap();
        let held: i128 = state
            .token_holders(symbol)
            .unwrap()
            .iter()
            .map(|h| h.balance)
            .sum();
        prop_assert_eq!(token.supply(), token.minted - token.burned);
        prop_assert_eq!(held, token.supply());
        prop_assert_eq!(-state.ledger().balance("outside", symbol), token.supply());
        prop_assert!(reserve(state, symbol) >= 0);
    }
    let (s, r) = (supply(state, "QT"), reserve(state, "QT"));
    let anchor = state.token("QT").unwrap().anchor.unwrap();
    // R >= S^2 / V0 with V0 = sa^2 / ra, cross-multiplied: R * sa^2 >= S^2 * ra.
    prop_assert!(r * anchor.supply * anchor.supply >= s * s * anchor.reserve);
    Ok(())
}

/// After a trade on the curve, V0 holds within rounding: S^2/V0 <= R < (S+1)^2/V0 + 1.
fn check_curve_after_trade(state: &State) -> Result<(), TestCaseError> {
    let (s, r) = (supply(state, "QT"), reserve(state, "QT"));
    let a = state.token("QT").unwrap().anchor.unwrap();
    let (sa2, ra) = (a.supply * a.supply, a.reserve);
    prop_assert!(r * sa2 >= s * s * ra, "reserve below the curve");
    prop_assert!(
        r * sa2 < (s + 1) * (s + 1) * ra + sa2,
        "reserve {} more than rounding above the curve (S {}, anchor {:?})",
        r,
        s,
        a
    );
    Ok(())
}

fn execute(book: &mut Book, command: &Command) -> Result<Option<Executed>, TestCaseError> {
    let before = book.state().clone();
    match book.execute(OPERATOR, command, None, AT) {
        Ok(executed) => Ok(Some(executed)),
        Err(_) => {
            // Invariants 6 and 7: a refused command changes nothing.
            prop_assert_eq!(book.state(), &before);
            Ok(None)
        }
    }
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(200))]

    #[test]
    fn token_invariants_hold_after_every_step(setup in setup(), steps in prop::collection::vec(step(), 1..50)) {
        let mut book = fresh_book(&setup);
        check_supply_and_reserves(book.state())?;
        for step in &steps {
            let command = command(book.state(), step);
            let (r_nav, s_nav) = (reserve(book.state(), "PT"), supply(book.state(), "PT"));
            let Some(executed) = execute(&mut book, &command)? else {
                check_supply_and_reserves(book.state())?;
                continue;
            };
            check_supply_and_reserves(book.state())?;
            match (step, &executed.outcome) {
                (Step::Redeem { curve: false, .. } | Step::RedeemShare { curve: false, .. }, Outcome::TokenRedeemed { .. }) => {
                    // NAV: redeeming never lowers the price of the rest: R'/S' >= R/S.
                    let (r, s) = (reserve(book.state(), "PT"), supply(book.state(), "PT"));
                    prop_assert!(r * s_nav >= r_nav * s, "price fell: {}/{} -> {}/{}", r_nav, s_nav, r, s);
                }
                (Step::Redeem { curve: true, .. } | Step::RedeemShare { curve: true, .. } | Step::Buy { .. }, _) => {
                    check_curve_after_trade(book.state())?;
                }
                (Step::RoundTrip { agent, .. }, Outcome::TokenBought { amount, tribute, tokens }) => {
                    check_curve_after_trade(book.state())?;
                    let sell = Command::Redeem {
                        token: "QT".into(),
                        agent: AGENTS[*agent].into(),
                        tokens: fairshare_core::format_amount(*tokens, 3),
                    };
                    if let Some(sold) = execute(&mut book, &sell)? {
                        check_supply_and_reserves(book.state())?;
                        check_curve_after_trade(book.state())?;
                        let Outcome::TokenRedeemed { gross, payout, .. } = sold.outcome else {
                            panic!("a sale is a redemption");
                        };
                        // No buy-then-sell round trip profits: at most what went into the
                        // reserve comes back, before the exit tribute.
                        prop_assert!(gross <= amount - tribute, "round trip returned {} for {} into the reserve", gross, amount - tribute);
                        prop_assert!(payout <= *amount);
                    }
                }
                _ => {}
            }
            prop_assert!(book.state().ledger().audit().is_ok());
        }
        // Invariant 5: replay gives the same state, and verify accepts the log.
        let mut store = rows_of(&mut book);
        prop_assert!(verify(&mut store).unwrap().ok());
        let replayed = Book::open(Box::new(store)).unwrap();
        prop_assert_eq!(replayed.state(), book.state());
    }

    /// Splitting a sale in two pays exactly what one sale pays (before tributes): the curve
    /// quote depends only on where the supply starts and ends.
    #[test]
    fn curve_sales_are_path_independent(setup in setup(), buy_cents in 100u64..2_000_000, split in 1u32..1000) {
        let mut book = fresh_book(&setup);
        let buy = Command::Buy { token: "QT".into(), agent: "alice".into(), amount: format!("{}.{:02}", buy_cents / 100, buy_cents % 100) };
        let Ok(executed) = book.execute(OPERATOR, &buy, None, AT) else { return Ok(()) };
        let Outcome::TokenBought { tokens, .. } = executed.outcome else { panic!("bought") };
        let mut whole = Book::open(Box::new(rows_of(&mut book))).unwrap();
        let sell = |tokens: i128| Command::Redeem { token: "QT".into(), agent: "alice".into(), tokens: fairshare_core::format_amount(tokens, 3) };
        let gross_of = |book: &mut Book, tokens: i128| -> Option<i128> {
            match book.execute(OPERATOR, &sell(tokens), None, AT).ok()?.outcome {
                Outcome::TokenRedeemed { gross, .. } => Some(gross),
                _ => None,
            }
        };
        let first = (tokens * split as i128 / 1000).max(1).min(tokens);
        let Some(once) = gross_of(&mut whole, tokens) else { return Ok(()) };
        let part_one = gross_of(&mut book, first);
        let part_two = if first < tokens { gross_of(&mut book, tokens - first) } else { Some(0) };
        if let (Some(a), Some(b)) = (part_one, part_two) {
            prop_assert_eq!(a + b, once);
        }
    }
}
