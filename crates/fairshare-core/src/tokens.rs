//! Project tokens: a project's own asset, issued to contributors and partners, redeemable
//! against a reserve, and accepted by other projects. See docs/TOKENS.md for the model and a
//! walk-through.
//!
//! Accounts. `{project}-reserve` holds the project currency that backs the token;
//! `{project}-funding` (or the token's `funding_to`) receives tributes; `{project}-liquidity`
//! clears payments in tokens the project accepts. Tokens are held by agents and projects, in
//! the account named by the handle or slug.
//!
//! Supply. Minting is a posting from `outside` in the token's asset and burning one back to
//! it, so at all times `supply = minted - burned = -balance(outside) = sum of holder balances`,
//! and no holder account can go negative (the ledger refuses it).
//!
//! Redemption by net asset value (NAV): burning `x` of supply `S` against reserve `R` pays
//! `floor(x * R / S)` minus `floor(fee% of that)`, which stays in the reserve.
//!
//! Bonding curve (exponent k = 2): the invariant `V0 = S^2 / R` is *anchored* to the state at
//! the hatch, before every buy, and after every change of `S` or `R` that is not a trade
//! (issuance, a donation, money a plan paid into the reserve). A buy of `A` sends
//! `floor(entry% of A)` to funding and the rest `D` to the reserve, and mints
//! `floor(sqrt(V0 * (R + D))) - S`. A sell of `x` is quoted from the state before the trade
//! against the anchored `V0`: `gross = R - ceil((S - x)^2 / V0)`, of which `floor(exit% of
//! gross)` goes to funding. Every rounding favours the reserve: after every trade
//! `S^2 / V0 <= R`, and a buy followed by a sell of what it minted returns at most the amount
//! paid minus both tributes.
//!
//! All amounts are integer minor units; prices, rates and percentages are exact decimals; the
//! wide products are computed with arbitrary-precision integers and rounded as stated.

use std::collections::BTreeMap;

use num_bigint::{BigInt, BigUint};
use num_integer::Integer;
use num_traits::{ToPrimitive, Zero};
use rust_decimal::Decimal;
use serde::{Deserialize, Serialize};

use crate::command::{Command, Outcome};
use crate::date::Date;
use crate::distribute::percent_floor;
use crate::engine::unfit;
use crate::error::{About, DomainError, DomainResult, Field};
use crate::ledger::Posting;
use crate::model::{Contribution, OUTSIDE, Role, check_name, parse_word};
use crate::money::{check_exponent, format_amount, positive_amount};
use crate::roles::{require_custodian, require_self_or_custodian};
use crate::state::{Ctx, Project, State};
use crate::value::{VALUE_SCALE, Value, decimal, parse_decimal, positive_decimal, rate};

/// Longest token symbol.
pub const SYMBOL_LEN_MAX: usize = 12;
/// The only bonding-curve exponent supported.
pub const CURVE_EXPONENT: u32 = 2;

// ------------------------------------------------------------------------------------------
// Types that appear in commands and outcomes
// ------------------------------------------------------------------------------------------

/// How a token is redeemed against its reserve.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Redemption {
    /// At net asset value: a share of the reserve proportional to the tokens burned.
    Nav,
    /// On a bonding curve of exponent 2, with entry and exit tributes.
    Curve,
}

impl Redemption {
    pub const ALL: [Redemption; 2] = [Redemption::Nav, Redemption::Curve];

    pub fn as_str(self) -> &'static str {
        match self {
            Redemption::Nav => "nav",
            Redemption::Curve => "curve",
        }
    }
}

impl std::str::FromStr for Redemption {
    type Err = DomainError;
    fn from_str(text: &str) -> DomainResult<Redemption> {
        parse_word(&Redemption::ALL, Redemption::as_str, "redemption", text)
    }
}

/// The initial raise of a token, as asked: `raised` (project currency) at `price` per token,
/// `tribute_percent` of it to the funding account, the rest into the reserve. The tokens go to
/// `holder` (an agent or a project; the token's own project by default).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct HatchSpec {
    pub raised: String,
    pub price: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub tribute_percent: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub holder: Option<String>,
}

/// What a hatch did: `raised` came in from outside, `tribute` went to funding, the rest to
/// the reserve, and `tokens` were minted to `holder`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct HatchResult {
    pub holder: String,
    #[serde(with = "crate::serde_text")]
    pub raised: i128,
    #[serde(with = "crate::serde_text")]
    pub tribute: i128,
    #[serde(with = "crate::serde_text")]
    pub tokens: i128,
}

/// Tokens minted to a contributor when a contribution starts to count.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct TokenMint {
    pub token: String,
    pub to: String,
    #[serde(with = "crate::serde_text")]
    pub tokens: i128,
}

/// Tokens minted by `CreateToken { retro: true }` to one contributor: what the token's
/// issuance rule mints for each of their contributions counted before the token existed
/// (`contributions` of them), added up.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RetroMint {
    pub to: String,
    pub contributions: u64,
    #[serde(with = "crate::serde_text")]
    pub tokens: i128,
}

// ------------------------------------------------------------------------------------------
// State
// ------------------------------------------------------------------------------------------

/// Every token of the book, by symbol.
#[derive(Debug, Clone, Default, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct Tokens {
    pub(crate) by_symbol: BTreeMap<String, Token>,
}

impl Tokens {
    /// Whether `name` is an account a token uses (a reserve, a funding or a liquidity
    /// account), so that no agent or project can take it.
    pub fn owns_account(&self, name: &str) -> bool {
        self.by_symbol.values().any(|token| {
            token.reserve_account == name
                || token.funding_account == name
                || token
                    .accepted_by
                    .keys()
                    .any(|project| liquidity_account(project) == name)
        })
    }

    /// Why nothing but the token's own commands may pay into or out of `account`: it is a
    /// token's reserve or a liquidity account.
    pub(crate) fn locked_account(&self, name: &str) -> Option<&'static str> {
        self.by_symbol.values().find_map(|token| {
            if token.reserve_account == name {
                Some(TOKEN_RESERVE)
            } else if token
                .accepted_by
                .keys()
                .any(|p| liquidity_account(p) == name)
            {
                Some("a liquidity account")
            } else {
                None
            }
        })
    }

    /// The token a project issues, if any.
    pub fn of_project(&self, project: &str) -> Option<&Token> {
        self.by_symbol.values().find(|t| t.project == project)
    }

    pub fn iter(&self) -> impl Iterator<Item = &Token> {
        self.by_symbol.values()
    }
}

/// The supply and reserve at which a bonding curve's invariant `V0 = supply^2 / reserve` was
/// last fixed (both in minor units, both positive).
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct CurveAnchor {
    pub supply: i128,
    pub reserve: i128,
}

/// Why tokens were minted or burned.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub enum IssuanceKind {
    Hatch,
    Presale,
    /// A counted contribution, by id.
    Contribution(u64),
    Buy,
    /// A burn.
    Redeem,
    /// Minted when the token was created, for contributions counted before it (`retro`).
    Retro,
}

impl IssuanceKind {
    pub fn describe(self) -> String {
        match self {
            IssuanceKind::Hatch => "hatch".into(),
            IssuanceKind::Presale => "pre-sale".into(),
            IssuanceKind::Contribution(id) => format!("contribution {id}"),
            IssuanceKind::Buy => "buy".into(),
            IssuanceKind::Redeem => "redemption".into(),
            IssuanceKind::Retro => "contributions before the token".into(),
        }
    }
}

/// One issuance or burn: `tokens` is positive for a mint, negative for a burn.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct Issuance {
    pub seq: u64,
    pub date: Date,
    pub kind: IssuanceKind,
    pub holder: String,
    pub tokens: i128,
}

/// A payment in tokens accepted by another project.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct TokenPayment {
    pub seq: u64,
    pub from: String,
    pub project: String,
    pub tokens: i128,
    /// What the payment is worth to the accepting project, in its currency's minor units.
    pub value: i128,
}

#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct Token {
    pub symbol: String,
    pub project: String,
    pub exponent: u32,
    /// The issuing project's currency, which the reserve holds.
    pub currency: String,
    pub currency_exponent: u32,
    /// Tokens per unit of counted contribution value.
    #[serde(with = "crate::snapshot::decimal")]
    pub mint_per_value: Decimal,
    pub redemption: Redemption,
    /// NAV: percentage of a redemption kept in the reserve.
    #[serde(with = "crate::snapshot::decimal")]
    pub exit_fee_percent: Decimal,
    /// Curve: percentages of a buy and of a sell sent to the funding account.
    #[serde(with = "crate::snapshot::decimal")]
    pub entry_tribute_percent: Decimal,
    #[serde(with = "crate::snapshot::decimal")]
    pub exit_tribute_percent: Decimal,
    pub reserve_account: String,
    pub funding_account: String,
    pub minted: i128,
    pub burned: i128,
    /// Curve only: the current anchor of the invariant.
    pub anchor: Option<CurveAnchor>,
    /// The reserve's balance after the token's last own operation; a different balance means
    /// money reached the reserve another way (a plan) and the curve re-anchors before a sell.
    pub(crate) reserve_seen: i128,
    /// Projects that accept the token, with their rate (currency units per token).
    #[serde(with = "crate::snapshot::json")]
    pub accepted_by: BTreeMap<String, Decimal>,
    pub history: Vec<Issuance>,
    pub payments: Vec<TokenPayment>,
    /// Sequence number of the event that created it.
    pub seq: u64,
}

impl Token {
    pub fn supply(&self) -> i128 {
        self.minted - self.burned
    }

    fn fmt_tokens(&self, tokens: i128) -> String {
        format!("{} {}", format_amount(tokens, self.exponent), self.symbol)
    }

    fn fmt_money(&self, amount: i128) -> String {
        format!(
            "{} {}",
            format_amount(amount, self.currency_exponent),
            self.currency
        )
    }
}

/// What [`Tokens::locked_account`] calls a token's reserve.
pub(crate) const TOKEN_RESERVE: &str = "a token's reserve";

/// The account through which a project clears payments in tokens it accepts.
pub fn liquidity_account(project: &str) -> String {
    format!("{project}-liquidity")
}

/// The reserve account of a project's token.
pub fn reserve_account(project: &str) -> String {
    format!("{project}-reserve")
}

/// The default funding account of a project's token.
pub fn funding_account(project: &str) -> String {
    format!("{project}-funding")
}

// ------------------------------------------------------------------------------------------
// Exact arithmetic
// ------------------------------------------------------------------------------------------

fn big(n: i128) -> BigInt {
    BigInt::from(n)
}

fn pow10_big(exponent: u32) -> BigInt {
    BigInt::from(10u8).pow(exponent)
}

fn fit(n: BigInt, what: &str) -> DomainResult<i128> {
    n.to_i128()
        .ok_or_else(|| DomainError::invalid(format!("{what} is too large")))
}

/// `floor(numerator / denominator)` for a positive denominator.
fn div_floor(numerator: BigInt, denominator: BigInt) -> BigInt {
    Integer::div_floor(&numerator, &denominator)
}

/// `ceil(numerator / denominator)` for a positive denominator.
fn div_ceil(numerator: BigInt, denominator: BigInt) -> BigInt {
    -Integer::div_floor(&-numerator, &denominator)
}

/// Tokens (minor units, exponent `token_exponent`) that `amount` (minor units of a currency
/// with `currency_exponent`) buys at `price` currency units per token, rounded down.
pub fn tokens_at_price(
    amount: i128,
    currency_exponent: u32,
    price: Decimal,
    token_exponent: u32,
) -> DomainResult<i128> {
    let numerator = big(amount) * pow10_big(token_exponent) * pow10_big(price.scale());
    let denominator = pow10_big(currency_exponent) * big(price.mantissa());
    fit(div_floor(numerator, denominator), "the number of tokens")
}

/// Tokens minted for a contribution `value` at `mint_per_value` tokens per unit, rounded down.
pub fn tokens_for_value(
    value: Value,
    mint_per_value: Decimal,
    token_exponent: u32,
) -> DomainResult<i128> {
    let tokens = times_rate(value.0, VALUE_SCALE, mint_per_value, token_exponent);
    fit(tokens, "the number of tokens")
}

/// What `tokens` are worth at `rate` currency units per token, in currency minor units,
/// rounded down.
pub fn value_of_tokens(
    tokens: i128,
    token_exponent: u32,
    rate: Decimal,
    currency_exponent: u32,
) -> DomainResult<i128> {
    let value = times_rate(tokens, token_exponent, rate, currency_exponent);
    fit(value, "the value of the payment")
}

/// `amount` (minor units at `from_exponent`) times `rate`, in minor units at `to_exponent`,
/// rounded down.
fn times_rate(amount: i128, from_exponent: u32, rate: Decimal, to_exponent: u32) -> BigInt {
    let numerator = big(amount) * big(rate.mantissa()) * pow10_big(to_exponent);
    let denominator = pow10_big(from_exponent) * pow10_big(rate.scale());
    div_floor(numerator, denominator)
}

/// NAV redemption before fees: `floor(tokens * reserve / supply)`.
pub fn nav_gross(tokens: i128, reserve: i128, supply: i128) -> DomainResult<i128> {
    if supply <= 0 {
        return Ok(0);
    }
    fit(
        div_floor(big(tokens) * big(reserve), big(supply)),
        "the redemption",
    )
}

impl CurveAnchor {
    /// The supply the curve allows for a reserve: `floor(sqrt(V0 * reserve))`, exactly
    /// (`isqrt(floor(q)) = floor(sqrt(q))` for any rational `q >= 0`).
    pub fn supply_for_reserve(&self, reserve: i128) -> DomainResult<i128> {
        let square = div_floor(
            big(self.supply) * big(self.supply) * big(reserve.max(0)),
            big(self.reserve),
        );
        let square = square.to_biguint().unwrap_or_else(BigUint::zero);
        fit(BigInt::from(square.sqrt()), "the token supply")
    }

    /// The least reserve the curve requires for a supply: `ceil(supply^2 / V0)`.
    pub fn reserve_for_supply(&self, supply: i128) -> DomainResult<i128> {
        fit(
            div_ceil(
                big(supply) * big(supply) * big(self.reserve),
                big(self.supply) * big(self.supply),
            ),
            "the reserve",
        )
    }

    /// `V0 = supply^2 / reserve` as an exact fraction (numerator, denominator) in minor units.
    pub fn invariant(&self) -> (BigInt, BigInt) {
        (big(self.supply) * big(self.supply), big(self.reserve))
    }
}

/// Tokens a buy mints: with `into_reserve` added to `reserve`, the supply becomes
/// `floor(sqrt(V0 * (reserve + into_reserve)))`; the difference from `supply` is minted
/// (zero or less means the amount buys nothing).
pub fn curve_buy(
    anchor: CurveAnchor,
    supply: i128,
    reserve: i128,
    into_reserve: i128,
) -> DomainResult<i128> {
    let reserve_after = reserve
        .checked_add(into_reserve)
        .ok_or_else(|| DomainError::invalid("the reserve is too large"))?;
    Ok(anchor.supply_for_reserve(reserve_after)? - supply)
}

/// What a sell of `tokens` pays before the exit tribute, quoted from the state before the
/// trade: `reserve - ceil((supply - tokens)^2 / V0)` (zero or less means nothing).
pub fn curve_sell_gross(
    anchor: CurveAnchor,
    supply: i128,
    reserve: i128,
    tokens: i128,
) -> DomainResult<i128> {
    Ok(reserve - anchor.reserve_for_supply(supply - tokens)?)
}

/// A fee or tribute percentage of a request field: at least 0 and below 100 (0 when absent).
fn parse_percent(field: Field, text: Option<&str>) -> DomainResult<Decimal> {
    let Some(text) = text else {
        return Ok(Decimal::ZERO);
    };
    let percent = decimal(field, text)?;
    if percent < Decimal::ZERO || percent >= Decimal::ONE_HUNDRED {
        let error = DomainError::invalid(format!(
            "{} must be at least 0 and below 100, got {text}",
            field.what
        ))
        .field(field.name)
        .value(text);
        return Err(if percent >= Decimal::ONE_HUNDRED {
            error.limit("100")
        } else {
            error
        });
    }
    Ok(percent)
}

const EXIT_FEE_PERCENT: Field = Field::named("exit_fee_percent");
const ENTRY_TRIBUTE_PERCENT: Field = Field::named("entry_tribute_percent");
const EXIT_TRIBUTE_PERCENT: Field = Field::named("exit_tribute_percent");

/// Checks a token symbol's shape: 1 to 12 upper-case letters or digits, starting with a letter.
pub fn check_symbol(symbol: &str) -> DomainResult<()> {
    let ok = !symbol.is_empty()
        && symbol.len() <= SYMBOL_LEN_MAX
        && symbol.as_bytes()[0].is_ascii_uppercase()
        && symbol
            .bytes()
            .all(|b| b.is_ascii_uppercase() || b.is_ascii_digit());
    if ok {
        return Ok(());
    }
    let error = DomainError::invalid(format!(
        "invalid token symbol {symbol:?}: use 1 to {SYMBOL_LEN_MAX} upper-case letters or digits, starting with a letter, such as BIKE"
    ))
    .value(symbol);
    Err(if symbol.len() > SYMBOL_LEN_MAX {
        error.limit(format!("{SYMBOL_LEN_MAX} bytes"))
    } else {
        error
    })
}

fn skip_zero(postings: Vec<Posting>) -> Vec<Posting> {
    postings.into_iter().filter(|p| p.amount != 0).collect()
}

fn posting(account: &str, asset: &str, amount: i128) -> Posting {
    Posting {
        account: (account.to_string()).into(),
        asset: (asset.to_string()).into(),
        amount,
    }
}

// ------------------------------------------------------------------------------------------
// Reports
// ------------------------------------------------------------------------------------------

/// An exact price: `numerator` currency minor units per `denominator` token minor units.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct Price {
    pub numerator: i128,
    pub denominator: i128,
    pub currency_exponent: u32,
    pub token_exponent: u32,
}

impl Price {
    /// `numerator` currency minor units spread over the token's supply.
    fn of_supply(token: &Token, numerator: i128) -> Price {
        Price {
            numerator,
            denominator: token.supply(),
            currency_exponent: token.currency_exponent,
            token_exponent: token.exponent,
        }
    }

    /// Currency units per whole token, rounded down to `decimals` decimals.
    pub fn per_token(&self, decimals: u32) -> String {
        let numerator = big(self.numerator) * pow10_big(self.token_exponent) * pow10_big(decimals);
        let denominator = big(self.denominator) * pow10_big(self.currency_exponent);
        let scaled = div_floor(numerator, denominator)
            .to_i128()
            .unwrap_or(i128::MAX);
        format_amount(scaled, decimals)
    }
}

/// One holder's balance and exact share of the supply (`balance / supply`).
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct Holding {
    pub holder: String,
    pub balance: i128,
    pub supply: i128,
}

impl State {
    /// The reserve of a token, in its project's currency (minor units).
    pub fn token_reserve(&self, symbol: &str) -> DomainResult<i128> {
        let token = self.token(symbol)?;
        Ok(self.reserve_of(token))
    }

    pub fn token_supply(&self, symbol: &str) -> DomainResult<i128> {
        Ok(self.token(symbol)?.supply())
    }

    /// The redemption price (net asset value per token, `R / S`), exactly; none while there
    /// is no supply.
    pub fn token_redemption_price(&self, symbol: &str) -> DomainResult<Option<Price>> {
        let token = self.token(symbol)?;
        Ok((token.supply() > 0).then(|| Price::of_supply(token, self.reserve_of(token))))
    }

    /// A curve token's spot price `P = k * R / S` (k = 2); none for NAV tokens or no supply.
    pub fn token_spot_price(&self, symbol: &str) -> DomainResult<Option<Price>> {
        let token = self.token(symbol)?;
        let supply = token.supply();
        if token.redemption != Redemption::Curve || supply <= 0 {
            return Ok(None);
        }
        Ok(Some(Price::of_supply(
            token,
            self.reserve_of(token) * CURVE_EXPONENT as i128,
        )))
    }

    /// Every holder with a positive balance, in byte order of the name.
    pub fn token_holders(&self, symbol: &str) -> DomainResult<Vec<Holding>> {
        let token = self.token(symbol)?;
        let supply = token.supply();
        Ok(self
            .token_holder_balances(symbol)?
            .into_iter()
            .map(|(holder, balance)| Holding {
                holder,
                balance,
                supply,
            })
            .collect())
    }

    /// Every mint and burn of a token, in log order.
    pub fn token_issuance(&self, symbol: &str) -> DomainResult<&[Issuance]> {
        Ok(&self.token(symbol)?.history)
    }

    /// Accounts holding a positive balance of the token, in byte order of the name.
    pub(crate) fn token_holder_balances(&self, symbol: &str) -> DomainResult<Vec<(String, i128)>> {
        self.token(symbol)?;
        Ok(self
            .ledger
            .accounts()
            .into_iter()
            .filter(|(name, _)| *name != OUTSIDE)
            .filter_map(|(name, assets)| {
                let balance = assets.get(symbol).copied().unwrap_or(0);
                (balance > 0).then(|| (name.to_string(), balance))
            })
            .collect())
    }

    fn reserve_of(&self, token: &Token) -> i128 {
        self.ledger.balance(&token.reserve_account, &token.currency)
    }

    /// Holders are agents and projects.
    fn check_holder(&self, name: &str) -> DomainResult<()> {
        if self.agents.contains_key(name) || self.projects.contains_key(name) {
            Ok(())
        } else {
            Err(DomainError::not_found(format!(
                "unknown holder {name:?}: tokens are held by agents and projects; add the agent first"
            ))
            .value(name))
        }
    }

    fn check_holds(
        &self,
        token: &Token,
        holder: &str,
        tokens: i128,
        verb: &str,
    ) -> DomainResult<()> {
        let held = self.ledger.balance(holder, &token.symbol);
        if tokens > held {
            return Err(DomainError::invalid(format!(
                "{holder} holds {} and cannot {verb} {}",
                token.fmt_tokens(held),
                token.fmt_tokens(tokens)
            ))
            .field("tokens")
            .limit(token.fmt_tokens(held)));
        }
        Ok(())
    }

    /// The curve anchor a buy prices against: the state before the trade when both supply
    /// and reserve are positive, else the last anchor.
    fn anchor_before_buy(&self, token: &Token) -> DomainResult<CurveAnchor> {
        let (supply, reserve) = (token.supply(), self.reserve_of(token));
        if supply > 0 && reserve > 0 {
            return Ok(CurveAnchor { supply, reserve });
        }
        token.anchor.ok_or_else(|| {
            DomainError::corrupt(format!("curve token {} has no anchor", token.symbol))
        })
    }

    /// The curve anchor a sell prices against: the last anchor, unless money reached the
    /// reserve outside the token's operations since (then the state before the trade).
    fn anchor_before_sell(&self, token: &Token) -> DomainResult<CurveAnchor> {
        let (supply, reserve) = (token.supply(), self.reserve_of(token));
        if reserve != token.reserve_seen && supply > 0 && reserve > 0 {
            return Ok(CurveAnchor { supply, reserve });
        }
        token.anchor.ok_or_else(|| {
            DomainError::corrupt(format!("curve token {} has no anchor", token.symbol))
        })
    }

    fn token_mut(&mut self, symbol: &str) -> DomainResult<&mut Token> {
        self.tokens
            .by_symbol
            .get_mut(symbol)
            .ok_or_else(|| DomainError::corrupt(format!("unknown token {symbol}")))
    }

    /// After a change that is not a trade: re-anchor a curve (when supply and reserve are
    /// positive) and note the reserve's balance.
    fn reanchor(&mut self, symbol: &str) -> DomainResult<()> {
        let reserve = self.reserve_of(self.token(symbol)?);
        let token = self.token_mut(symbol)?;
        if token.redemption == Redemption::Curve && token.supply() > 0 && reserve > 0 {
            token.anchor = Some(CurveAnchor {
                supply: token.supply(),
                reserve,
            });
        }
        token.reserve_seen = reserve;
        Ok(())
    }

    fn note_reserve(&mut self, symbol: &str) -> DomainResult<()> {
        let reserve = self.reserve_of(self.token(symbol)?);
        self.token_mut(symbol)?.reserve_seen = reserve;
        Ok(())
    }

    fn record_issuance(
        &mut self,
        ctx: &Ctx,
        symbol: &str,
        kind: IssuanceKind,
        holder: &str,
        tokens: i128,
    ) -> DomainResult<()> {
        let token = self.token_mut(symbol)?;
        if tokens >= 0 {
            token.minted += tokens;
        } else {
            token.burned -= tokens;
        }
        token.history.push(Issuance {
            seq: ctx.seq,
            date: ctx.date,
            kind,
            holder: holder.to_string(),
            tokens,
        });
        // Every mint and burn is posted from or to `outside` before it is recorded here.
        debug_assert_eq!(
            self.token(symbol).map(Token::supply),
            Ok(-self.ledger.balance(OUTSIDE, symbol)),
            "supply is what outside gave out"
        );
        Ok(())
    }

    // --------------------------------------------------------------------------------------
    // Issuance to contributors (called from the Log and Approve paths of the engine)
    // --------------------------------------------------------------------------------------

    /// The tokens a contribution mints when it starts to count: `floor(value * mint_per_value)`
    /// of its project's token, if the project has one; none for gifts or for nothing.
    pub(crate) fn token_mint_for(
        &self,
        contribution: &Contribution,
        value: Value,
    ) -> DomainResult<Option<TokenMint>> {
        if contribution.gift || value <= Value::ZERO {
            return Ok(None);
        }
        let Some(token) = self.tokens.of_project(&contribution.project) else {
            return Ok(None);
        };
        let tokens = tokens_for_value(value, token.mint_per_value, token.exponent)?;
        Ok((tokens > 0).then(|| TokenMint {
            token: token.symbol.clone(),
            to: contribution.agent.to_string(),
            tokens,
        }))
    }

    /// Records the mint of a newly counted contribution; the outcome's mint must be exactly
    /// the one the state implies.
    pub(crate) fn apply_token_mint(
        &mut self,
        ctx: &Ctx,
        contribution: &Contribution,
        counted: bool,
        minted: Option<&TokenMint>,
    ) -> DomainResult<()> {
        let expected = if counted {
            self.token_mint_for(contribution, contribution.value)?
        } else {
            None
        };
        if expected.as_ref() != minted {
            return Err(DomainError::corrupt(format!(
                "event {}: the tokens minted for contribution {} do not match its value",
                ctx.seq, contribution.id
            )));
        }
        let Some(mint) = minted else {
            return Ok(());
        };
        let postings = vec![
            posting(OUTSIDE, &mint.token, -mint.tokens),
            posting(&mint.to, &mint.token, mint.tokens),
        ];
        let memo = format!(
            "token {} issuance for contribution {}",
            mint.token, contribution.id
        );
        self.ledger.post(ctx.seq, memo, postings)?;
        self.record_issuance(
            ctx,
            &mint.token,
            IssuanceKind::Contribution(contribution.id),
            &mint.to,
            mint.tokens,
        )?;
        self.reanchor(&mint.token)
    }

    /// Refuses a plan whose `token_holders` buckets name an unknown token.
    pub(crate) fn check_plan_tokens(&self, plan: &crate::model::Plan) -> DomainResult<()> {
        for bucket in &plan.buckets {
            if let crate::model::Bucket::TokenHolders { token } = bucket {
                self.token(token).about_value("plan", token)?;
            }
        }
        Ok(())
    }

    /// Refuses a project currency that is already a token's symbol.
    pub(crate) fn check_currency_not_token(&self, currency: &str) -> DomainResult<()> {
        if let Some(token) = self.tokens.by_symbol.get(currency) {
            return Err(DomainError::conflict(format!(
                "{currency} is the token of project {}, not a currency: choose another code",
                token.project
            )));
        }
        Ok(())
    }

    // --------------------------------------------------------------------------------------
    // Commands: the dispatchers, then one decide_x and one apply_x per command
    // --------------------------------------------------------------------------------------

    /// Validates a token command and computes its outcome. Never changes the state. Only
    /// destructures and calls.
    pub(crate) fn decide_token(
        &self,
        ctx: &Ctx,
        role: Role,
        command: &Command,
    ) -> DomainResult<Outcome> {
        match command {
            Command::CreateToken { .. } => match TokenRequest::of(command) {
                Some(request) => self.decide_create_token(role, &request),
                None => Err(DomainError::corrupt("not a create-token command")),
            },
            Command::Presale {
                token,
                agent,
                amount,
                price,
            } => self.decide_presale(role, token, agent, amount, price),
            Command::Buy {
                token,
                agent,
                amount,
            } => self.decide_buy(role, token, agent, amount),
            Command::Redeem {
                token,
                agent,
                tokens,
            } => self.decide_redeem(ctx, role, token, agent, tokens),
            Command::Donate {
                token,
                agent,
                amount,
            } => self.decide_donate(role, token, agent, amount),
            Command::Transfer {
                token,
                from,
                to,
                tokens,
            } => self.decide_transfer(ctx, role, token, from, to, tokens),
            Command::AcceptToken {
                project,
                token,
                rate,
            } => self.decide_accept_token(role, project, token, rate),
            Command::PayWithToken {
                token,
                from,
                project,
                tokens,
            } => self.decide_pay_with_token(ctx, role, token, from, project, tokens),
            _ => Err(DomainError::corrupt(format!(
                "{} is not a token command",
                command.op()
            ))),
        }
    }

    /// Records a decided outcome of a token command. Only destructures and calls.
    pub(crate) fn apply_token(
        &mut self,
        ctx: &Ctx,
        command: &Command,
        outcome: &Outcome,
    ) -> DomainResult<()> {
        match (command, outcome) {
            (Command::CreateToken { .. }, Outcome::TokenCreated { hatch, retro }) => {
                match TokenRequest::of(command) {
                    Some(request) => {
                        self.check_retro_mints(ctx, &request, retro)?;
                        self.apply_create_token(ctx, &request, hatch.as_ref())?;
                        self.apply_retro_mints(ctx, request.symbol, retro)
                    }
                    None => Err(DomainError::corrupt("not a create-token command")),
                }
            }
            (Command::Presale { token, agent, .. }, Outcome::TokenPresold { amount, tokens }) => {
                self.apply_presale(ctx, token, agent, *amount, *tokens)
            }
            (
                Command::Buy { token, agent, .. },
                Outcome::TokenBought {
                    amount,
                    tribute,
                    tokens,
                },
            ) => self.apply_buy(ctx, token, agent, *amount, *tribute, *tokens),
            (
                Command::Redeem { token, agent, .. },
                Outcome::TokenRedeemed {
                    tokens,
                    gross,
                    fee,
                    tribute,
                    payout,
                },
            ) => {
                let burn = Burn {
                    tokens: *tokens,
                    gross: *gross,
                    fee: *fee,
                    tribute: *tribute,
                    payout: *payout,
                };
                self.apply_redeem(ctx, token, agent, &burn)
            }
            (Command::Donate { token, agent, .. }, Outcome::TokenDonated { amount }) => {
                self.apply_donate(ctx, token, agent, *amount)
            }
            (
                Command::Transfer {
                    token, from, to, ..
                },
                Outcome::TokenTransferred { tokens },
            ) => self.apply_transfer(ctx, token, from, to, *tokens),
            (
                Command::AcceptToken {
                    project,
                    token,
                    rate,
                },
                Outcome::Done,
            ) => self.apply_accept_token(project, token, rate),
            (
                Command::PayWithToken {
                    token,
                    from,
                    project,
                    ..
                },
                Outcome::TokenPaid { tokens, value },
            ) => self.apply_pay_with_token(ctx, token, from, project, *tokens, *value),
            _ => Err(unfit(ctx, command.op())),
        }
    }

    // --- CreateToken ---

    fn decide_create_token(&self, role: Role, request: &TokenRequest) -> DomainResult<Outcome> {
        let project = request.project;
        require_custodian(role, "create tokens")?;
        let project_state = self.project(project).about_value("project", project)?;
        if let Some(existing) = self.tokens.of_project(project) {
            return Err(DomainError::conflict(format!(
                "project {project} already issues {}: a project has one token",
                existing.symbol
            ))
            .field("project")
            .value(project));
        }
        self.check_new_symbol(request.symbol)
            .about_value("symbol", request.symbol)?;
        check_exponent(request.exponent)?;
        if let Some(mint_per_value) = request.mint_per_value {
            rate(Field::named("mint_per_value"), mint_per_value)?;
        }
        request.check_redemption()?;
        self.check_token_accounts(project, request.funding_to)?;
        let hatch = match request.hatch {
            None => None,
            Some(spec) => Some(self.decide_hatch(project_state, spec, request.exponent)?),
        };
        let retro = self.retro_mints(request)?;
        Ok(Outcome::TokenCreated { hatch, retro })
    }

    /// With `retro`, what the new token's issuance rule mints for every contribution of its
    /// project counted so far (each rounded down on its own, as if minted when it counted),
    /// per contributor in byte order of handle; nobody gets zero tokens.
    fn retro_mints(&self, request: &TokenRequest) -> DomainResult<Vec<RetroMint>> {
        if !request.retro {
            return Ok(Vec::new());
        }
        let mint_per_value = match request.mint_per_value {
            Some(rate) => parse_decimal(rate, "mint_per_value")?,
            None => Decimal::ONE,
        };
        let project = self.project(request.project)?;
        let mut per_agent: BTreeMap<&str, (u64, i128)> = BTreeMap::new();
        for contribution in self.project_contributions(project) {
            if !contribution.counts() || contribution.value <= Value::ZERO {
                continue;
            }
            let tokens = tokens_for_value(contribution.value, mint_per_value, request.exponent)?;
            if tokens > 0 {
                let entry = per_agent.entry(&contribution.agent).or_default();
                entry.0 += 1;
                entry.1 += tokens;
            }
        }
        Ok(per_agent
            .into_iter()
            .map(|(to, (contributions, tokens))| RetroMint {
                to: to.to_string(),
                contributions,
                tokens,
            })
            .collect())
    }

    /// The retro mints of a `TokenCreated` outcome must be exactly what the project's counted
    /// contributions imply (else the log is `Corrupt`).
    fn check_retro_mints(
        &self,
        ctx: &Ctx,
        request: &TokenRequest,
        retro: &[RetroMint],
    ) -> DomainResult<()> {
        if self.retro_mints(request)? != retro {
            return Err(DomainError::corrupt(format!(
                "event {}: the tokens minted for the contributions before {} do not match them",
                ctx.seq, request.symbol
            )));
        }
        Ok(())
    }

    /// Records the (checked) retro mints of a new token, one transaction per contributor.
    fn apply_retro_mints(
        &mut self,
        ctx: &Ctx,
        symbol: &str,
        retro: &[RetroMint],
    ) -> DomainResult<()> {
        for mint in retro {
            let postings = vec![
                posting(OUTSIDE, symbol, -mint.tokens),
                posting(&mint.to, symbol, mint.tokens),
            ];
            let memo = format!(
                "token {symbol} issuance to {} for the contributions before it",
                mint.to
            );
            self.ledger.post(ctx.seq, memo, postings)?;
            self.record_issuance(ctx, symbol, IssuanceKind::Retro, &mint.to, mint.tokens)?;
        }
        self.reanchor(symbol)
    }

    /// A new token's symbol: well formed, and not yet a currency, a token or an asset.
    fn check_new_symbol(&self, symbol: &str) -> DomainResult<()> {
        check_symbol(symbol)?;
        if let Some(holder) = self.projects.values().find(|p| p.currency == *symbol) {
            return Err(DomainError::conflict(format!(
                "{symbol} is already the currency of project {}: choose another symbol",
                holder.slug
            )));
        }
        if let Some(existing) = self.tokens.by_symbol.get(symbol) {
            return Err(DomainError::conflict(format!(
                "{symbol} is already the token of project {}",
                existing.project
            )));
        }
        if self
            .ledger
            .accounts()
            .values()
            .any(|assets| assets.contains_key(symbol))
        {
            return Err(DomainError::conflict(format!(
                "{symbol} is already an asset in this book: choose another symbol"
            )));
        }
        Ok(())
    }

    /// A new token's reserve and funding accounts: neither `outside` nor each other, not an
    /// agent's or a project's (an explicitly named funding account may be an agent's), and not
    /// another token's.
    fn check_token_accounts(&self, project: &str, funding_to: Option<&str>) -> DomainResult<()> {
        let reserve = reserve_account(project);
        let funding = funding_to.map_or_else(|| funding_account(project), str::to_string);
        check_name(Field::new("funding_to", "funding account"), &funding)?;
        if funding == OUTSIDE || funding == reserve {
            return Err(
                DomainError::invalid(format!("the funding account cannot be {funding}"))
                    .field("funding_to")
                    .value(&funding),
            );
        }
        for (account, what, explicit) in [
            (&reserve, "reserve", false),
            (&funding, "funding", funding_to.is_some()),
        ] {
            // An explicitly named funding account may be an agent's; the defaults may not.
            if !explicit
                && (self.agents.contains_key(account.as_str())
                    || self.projects.contains_key(account))
            {
                return Err(DomainError::conflict(format!(
                    "the {what} account {account} is already the name of an agent or project"
                )));
            }
            if self.tokens.owns_account(account) {
                let error = DomainError::conflict(format!(
                    "the {what} account {account} already belongs to another token"
                ));
                return Err(if explicit {
                    error.field("funding_to").value(account)
                } else {
                    error
                });
            }
        }
        Ok(())
    }

    /// The hatch of a new token: `raised` at `price`, the tribute to funding and the rest into
    /// the reserve; it must mint a token and leave something in the reserve.
    fn decide_hatch(
        &self,
        project: &Project,
        spec: &HatchSpec,
        exponent: u32,
    ) -> DomainResult<HatchResult> {
        let holder = spec
            .holder
            .clone()
            .unwrap_or_else(|| project.slug.to_string());
        self.check_holder(&holder).about("hatch.holder")?;
        let raised = positive_amount("hatch.raised", &spec.raised, project.exponent)?;
        let price = positive_decimal(Field::new("hatch.price", "hatch price"), &spec.price)?;
        let percent = parse_percent(
            Field::new("hatch.tribute_percent", "hatch tribute_percent"),
            spec.tribute_percent.as_deref(),
        )?;
        let tribute = percent_floor(raised, percent);
        let tokens = tokens_at_price(raised, project.exponent, price, exponent)?;
        if tokens <= 0 {
            return Err(DomainError::invalid(format!(
                "a hatch of {} {} at {price} mints no token",
                format_amount(raised, project.exponent),
                project.currency
            ))
            .field("hatch"));
        }
        if raised - tribute <= 0 {
            return Err(
                DomainError::invalid("the hatch leaves nothing in the reserve").field("hatch"),
            );
        }
        Ok(HatchResult {
            holder,
            raised,
            tribute,
            tokens,
        })
    }

    fn apply_create_token(
        &mut self,
        ctx: &Ctx,
        request: &TokenRequest,
        hatch: Option<&HatchResult>,
    ) -> DomainResult<()> {
        let symbol = request.symbol;
        let token = self.new_token(ctx, request)?;
        let (reserve, funding, currency) = (
            token.reserve_account.clone(),
            token.funding_account.clone(),
            token.currency.clone(),
        );
        self.tokens.by_symbol.insert(symbol.to_string(), token);
        if let Some(hatch) = hatch {
            if hatch.raised <= 0
                || hatch.tokens <= 0
                || hatch.tribute < 0
                || hatch.tribute >= hatch.raised
            {
                return Err(DomainError::corrupt(format!(
                    "event {}: the hatch of {symbol} does not add up",
                    ctx.seq
                )));
            }
            let postings = skip_zero(vec![
                posting(OUTSIDE, &currency, -hatch.raised),
                posting(&funding, &currency, hatch.tribute),
                posting(&reserve, &currency, hatch.raised - hatch.tribute),
                posting(OUTSIDE, symbol, -hatch.tokens),
                posting(&hatch.holder, symbol, hatch.tokens),
            ]);
            self.ledger
                .post(ctx.seq, format!("token {symbol} hatch"), postings)?;
            self.record_issuance(
                ctx,
                symbol,
                IssuanceKind::Hatch,
                &hatch.holder,
                hatch.tokens,
            )?;
        }
        self.reanchor(symbol)
    }

    /// The token a `CreateToken` command creates, before any issuance.
    fn new_token(&self, ctx: &Ctx, request: &TokenRequest) -> DomainResult<Token> {
        let project = request.project;
        let (currency, currency_exponent) = {
            let project = self.project(project)?;
            (project.currency.clone(), project.exponent)
        };
        let mint_per_value = match request.mint_per_value {
            Some(rate) => parse_decimal(rate, "mint_per_value")?,
            None => Decimal::ONE,
        };
        Ok(Token {
            symbol: request.symbol.to_string(),
            project: project.to_string(),
            exponent: request.exponent,
            currency,
            currency_exponent,
            mint_per_value,
            redemption: request.redemption,
            exit_fee_percent: parse_percent(EXIT_FEE_PERCENT, request.exit_fee_percent)?,
            entry_tribute_percent: parse_percent(
                ENTRY_TRIBUTE_PERCENT,
                request.entry_tribute_percent,
            )?,
            exit_tribute_percent: parse_percent(
                EXIT_TRIBUTE_PERCENT,
                request.exit_tribute_percent,
            )?,
            reserve_account: reserve_account(project),
            funding_account: request
                .funding_to
                .map_or_else(|| funding_account(project), str::to_string),
            minted: 0,
            burned: 0,
            anchor: None,
            reserve_seen: 0,
            accepted_by: BTreeMap::new(),
            history: Vec::new(),
            payments: Vec::new(),
            seq: ctx.seq,
        })
    }

    // --- Presale ---

    fn decide_presale(
        &self,
        role: Role,
        token: &str,
        agent: &str,
        amount: &str,
        price: &str,
    ) -> DomainResult<Outcome> {
        require_custodian(role, "record pre-sales (money entering from outside)")?;
        let token = self.token(token).about_value("token", token)?;
        if token.redemption == Redemption::Curve {
            return Err(DomainError::invalid(format!(
                "{} is sold on its bonding curve: use `buy`; its hatch was its pre-sale",
                token.symbol
            ))
            .field("token")
            .value(&token.symbol));
        }
        self.check_holder(agent).about("agent")?;
        let amount = positive_amount("amount", amount, token.currency_exponent)?;
        let price = positive_decimal(Field::named("price"), price)?;
        let tokens = tokens_at_price(amount, token.currency_exponent, price, token.exponent)?;
        if tokens <= 0 {
            return Err(DomainError::invalid(format!(
                "{} at {price} per token buys less than {}",
                token.fmt_money(amount),
                token.fmt_tokens(1)
            )));
        }
        Ok(Outcome::TokenPresold { amount, tokens })
    }

    fn apply_presale(
        &mut self,
        ctx: &Ctx,
        token: &str,
        agent: &str,
        amount: i128,
        tokens: i128,
    ) -> DomainResult<()> {
        if amount <= 0 || tokens <= 0 {
            return Err(unfit(ctx, "presale"));
        }
        let t = self.token(token)?;
        let (reserve, currency) = (t.reserve_account.clone(), t.currency.clone());
        let postings = vec![
            posting(OUTSIDE, &currency, -amount),
            posting(&reserve, &currency, amount),
            posting(OUTSIDE, token, -tokens),
            posting(agent, token, tokens),
        ];
        self.ledger.post(
            ctx.seq,
            format!("token {token} pre-sale to {agent}"),
            postings,
        )?;
        self.record_issuance(ctx, token, IssuanceKind::Presale, agent, tokens)?;
        self.reanchor(token)
    }

    // --- Buy ---

    fn decide_buy(
        &self,
        role: Role,
        token: &str,
        agent: &str,
        amount: &str,
    ) -> DomainResult<Outcome> {
        require_custodian(role, "record token purchases (money entering from outside)")?;
        let token = self.token(token).about_value("token", token)?;
        if token.redemption != Redemption::Curve {
            return Err(DomainError::invalid(format!(
                "{} is redeemed at net asset value and sold by pre-sale (`presale`), not on a bonding curve",
                token.symbol
            ))
            .field("token")
            .value(&token.symbol));
        }
        self.check_holder(agent).about("agent")?;
        let text = amount;
        let amount = positive_amount("amount", amount, token.currency_exponent)?;
        let tribute = percent_floor(amount, token.entry_tribute_percent);
        debug_assert!(
            (0..amount).contains(&tribute),
            "the tribute is part of the amount"
        );
        let anchor = self.anchor_before_buy(token)?;
        let tokens = curve_buy(
            anchor,
            token.supply(),
            self.reserve_of(token),
            amount - tribute,
        )?;
        if tokens <= 0 {
            return Err(DomainError::invalid(format!(
                "{} buys less than {} at the curve's price; buy with more",
                token.fmt_money(amount),
                token.fmt_tokens(1)
            ))
            .field("amount")
            .value(text));
        }
        Ok(Outcome::TokenBought {
            amount,
            tribute,
            tokens,
        })
    }

    fn apply_buy(
        &mut self,
        ctx: &Ctx,
        token: &str,
        agent: &str,
        amount: i128,
        tribute: i128,
        tokens: i128,
    ) -> DomainResult<()> {
        if amount <= 0 || tokens <= 0 || tribute < 0 || tribute > amount {
            return Err(unfit(ctx, "buy"));
        }
        let t = self.token(token)?;
        let anchor = self.anchor_before_buy(t)?;
        let (reserve, funding, currency) = (
            t.reserve_account.clone(),
            t.funding_account.clone(),
            t.currency.clone(),
        );
        let postings = skip_zero(vec![
            posting(OUTSIDE, &currency, -amount),
            posting(&funding, &currency, tribute),
            posting(&reserve, &currency, amount - tribute),
            posting(OUTSIDE, token, -tokens),
            posting(agent, token, tokens),
        ]);
        self.ledger
            .post(ctx.seq, format!("token {token} buy by {agent}"), postings)?;
        self.token_mut(token)?.anchor = Some(anchor);
        self.record_issuance(ctx, token, IssuanceKind::Buy, agent, tokens)?;
        self.note_reserve(token)
    }

    // --- Redeem ---

    fn decide_redeem(
        &self,
        ctx: &Ctx,
        role: Role,
        token: &str,
        agent: &str,
        tokens: &str,
    ) -> DomainResult<Outcome> {
        require_self_or_custodian(role, &ctx.actor, agent, "redeem tokens")?;
        let token = self.token(token).about_value("token", token)?;
        self.check_holder(agent).about("agent")?;
        let tokens = positive_amount("tokens", tokens, token.exponent)?;
        self.check_holds(token, agent, tokens, "redeem")?;
        let (supply, reserve) = (token.supply(), self.reserve_of(token));
        let (gross, fee, tribute) = self.redemption_quote(token, tokens)?;
        if gross <= 0 {
            return Err(DomainError::invalid(format!(
                "redeeming {} pays nothing: the reserve {} holds {} for a supply of {}; redeem more",
                token.fmt_tokens(tokens),
                token.reserve_account,
                token.fmt_money(reserve),
                token.fmt_tokens(supply)
            ))
            .field("tokens"));
        }
        if gross > reserve {
            return Err(DomainError::invalid(format!(
                "the reserve {} holds {} and cannot pay {}: it would go negative",
                token.reserve_account,
                token.fmt_money(reserve),
                token.fmt_money(gross)
            )));
        }
        debug_assert!(fee >= 0 && tribute >= 0 && fee + tribute <= gross);
        Ok(Outcome::TokenRedeemed {
            tokens,
            gross,
            fee,
            tribute,
            payout: gross - fee - tribute,
        })
    }

    /// What burning `tokens` pays before it is split: `(gross, fee, tribute)`, quoted from the
    /// state before the trade (NAV: a share of the reserve less the exit fee that stays in it;
    /// curve: down the curve, less the exit tribute to funding).
    fn redemption_quote(&self, token: &Token, tokens: i128) -> DomainResult<(i128, i128, i128)> {
        let (supply, reserve) = (token.supply(), self.reserve_of(token));
        Ok(match token.redemption {
            Redemption::Nav => {
                let gross = nav_gross(tokens, reserve, supply)?;
                (gross, percent_floor(gross, token.exit_fee_percent), 0)
            }
            Redemption::Curve => {
                let anchor = self.anchor_before_sell(token)?;
                let gross = curve_sell_gross(anchor, supply, reserve, tokens)?;
                (gross, 0, percent_floor(gross, token.exit_tribute_percent))
            }
        })
    }

    fn apply_redeem(
        &mut self,
        ctx: &Ctx,
        token: &str,
        agent: &str,
        burn: &Burn,
    ) -> DomainResult<()> {
        let Burn {
            tokens,
            gross,
            fee,
            tribute,
            payout,
        } = *burn;
        if tokens <= 0 || payout <= 0 || fee < 0 || tribute < 0 || fee + tribute + payout != gross {
            return Err(unfit(ctx, "redeem"));
        }
        let t = self.token(token)?;
        let anchor = match t.redemption {
            Redemption::Curve => Some(self.anchor_before_sell(t)?),
            Redemption::Nav => None,
        };
        let (reserve, funding, currency) = (
            t.reserve_account.clone(),
            t.funding_account.clone(),
            t.currency.clone(),
        );
        let postings = skip_zero(vec![
            posting(agent, token, -tokens),
            posting(OUTSIDE, token, tokens),
            posting(&reserve, &currency, -(payout + tribute)),
            posting(agent, &currency, payout),
            posting(&funding, &currency, tribute),
        ]);
        self.ledger.post(
            ctx.seq,
            format!("token {token} redemption by {agent}"),
            postings,
        )?;
        if anchor.is_some() {
            self.token_mut(token)?.anchor = anchor;
        }
        self.record_issuance(ctx, token, IssuanceKind::Redeem, agent, -tokens)?;
        self.note_reserve(token)
    }

    // --- Donate ---

    fn decide_donate(
        &self,
        role: Role,
        token: &str,
        agent: &str,
        amount: &str,
    ) -> DomainResult<Outcome> {
        require_custodian(role, "record donations (money entering from outside)")?;
        let token = self.token(token).about_value("token", token)?;
        self.check_holder(agent).about("agent")?;
        let amount = positive_amount("amount", amount, token.currency_exponent)?;
        Ok(Outcome::TokenDonated { amount })
    }

    fn apply_donate(
        &mut self,
        ctx: &Ctx,
        token: &str,
        agent: &str,
        amount: i128,
    ) -> DomainResult<()> {
        if amount <= 0 {
            return Err(unfit(ctx, "donate"));
        }
        let t = self.token(token)?;
        let (reserve, currency) = (t.reserve_account.clone(), t.currency.clone());
        let postings = vec![
            posting(OUTSIDE, &currency, -amount),
            posting(&reserve, &currency, amount),
        ];
        self.ledger.post(
            ctx.seq,
            format!("token {token} donation to the reserve from {agent}"),
            postings,
        )?;
        self.reanchor(token)
    }

    // --- Transfer ---

    fn decide_transfer(
        &self,
        ctx: &Ctx,
        role: Role,
        token: &str,
        from: &str,
        to: &str,
        tokens: &str,
    ) -> DomainResult<Outcome> {
        require_self_or_custodian(role, &ctx.actor, from, "transfer tokens")?;
        let token = self.token(token).about_value("token", token)?;
        self.check_holder(from).about("from")?;
        self.check_holder(to).about("to")?;
        if from == to {
            return Err(DomainError::invalid(format!(
                "a transfer needs two different holders, not {from} twice"
            ))
            .field("to")
            .value(to));
        }
        let tokens = positive_amount("tokens", tokens, token.exponent)?;
        self.check_holds(token, from, tokens, "transfer")?;
        Ok(Outcome::TokenTransferred { tokens })
    }

    fn apply_transfer(
        &mut self,
        ctx: &Ctx,
        token: &str,
        from: &str,
        to: &str,
        tokens: i128,
    ) -> DomainResult<()> {
        if tokens <= 0 {
            return Err(unfit(ctx, "transfer"));
        }
        self.token(token)?;
        let postings = vec![posting(from, token, -tokens), posting(to, token, tokens)];
        self.ledger.post(
            ctx.seq,
            format!("token {token} transfer from {from} to {to}"),
            postings,
        )?;
        Ok(())
    }

    // --- AcceptToken ---

    fn decide_accept_token(
        &self,
        role: Role,
        project: &str,
        token: &str,
        rate: &str,
    ) -> DomainResult<Outcome> {
        require_custodian(role, "accept tokens")?;
        self.project(project).about_value("project", project)?;
        let token = self.token(token).about_value("token", token)?;
        if token.project == *project {
            return Err(DomainError::invalid(format!(
                "{project} issues {}: a project does not accept its own token",
                token.symbol
            ))
            .field("token")
            .value(&token.symbol));
        }
        let liquidity = liquidity_account(project);
        if self.agents.contains_key(liquidity.as_str()) || self.projects.contains_key(&liquidity) {
            return Err(DomainError::conflict(format!(
                "the liquidity account {liquidity} is already the name of an agent or project"
            )));
        }
        positive_decimal(Field::named("rate"), rate)?;
        Ok(Outcome::Done)
    }

    fn apply_accept_token(&mut self, project: &str, token: &str, rate: &str) -> DomainResult<()> {
        let rate = parse_decimal(rate, "rate")?;
        self.token_mut(token)?
            .accepted_by
            .insert(project.to_string(), rate);
        Ok(())
    }

    // --- PayWithToken ---

    fn decide_pay_with_token(
        &self,
        ctx: &Ctx,
        role: Role,
        token: &str,
        from: &str,
        project: &str,
        tokens: &str,
    ) -> DomainResult<Outcome> {
        require_self_or_custodian(role, &ctx.actor, from, "pay with tokens")?;
        let token = self.token(token).about_value("token", token)?;
        self.check_holder(from).about("from")?;
        let accepting = self.project(project).about_value("project", project)?;
        let rate = token.accepted_by.get(project).ok_or_else(|| {
            DomainError::invalid(format!(
                "{project} does not accept {sym}: it must accept it first, at a rate",
                sym = token.symbol
            ))
            .field("project")
            .value(project)
        })?;
        if from == project {
            return Err(DomainError::invalid(format!("{project} cannot pay itself"))
                .field("from")
                .value(from));
        }
        let text = tokens;
        let tokens = positive_amount("tokens", tokens, token.exponent)?;
        self.check_holds(token, from, tokens, "pay")?;
        let value = value_of_tokens(tokens, token.exponent, *rate, accepting.exponent)?;
        if value <= 0 {
            return Err(DomainError::invalid(format!(
                "{} at {project}'s rate of {rate} is worth less than {}; pay more",
                token.fmt_tokens(tokens),
                format_amount(1, accepting.exponent)
            ))
            .field("tokens")
            .value(text));
        }
        Ok(Outcome::TokenPaid { tokens, value })
    }

    fn apply_pay_with_token(
        &mut self,
        ctx: &Ctx,
        token: &str,
        from: &str,
        project: &str,
        tokens: i128,
        value: i128,
    ) -> DomainResult<()> {
        if tokens <= 0 || value <= 0 {
            return Err(unfit(ctx, "pay_with_token"));
        }
        if !self.token(token)?.accepted_by.contains_key(project) {
            return Err(unfit(ctx, "pay_with_token"));
        }
        // Two linked transfers in one transaction: the payer's tokens into the accepting
        // project's liquidity account, and from there to the project.
        let liquidity = liquidity_account(project);
        let postings = vec![
            posting(from, token, -tokens),
            posting(&liquidity, token, tokens),
            posting(&liquidity, token, -tokens),
            posting(project, token, tokens),
        ];
        self.ledger.post(
            ctx.seq,
            format!("token {token} payment from {from} to {project}"),
            postings,
        )?;
        self.token_mut(token)?.payments.push(TokenPayment {
            seq: ctx.seq,
            from: from.to_string(),
            project: project.to_string(),
            tokens,
            value,
        });
        Ok(())
    }
}

/// The fields of a `CreateToken` command, lent by the dispatcher.
struct TokenRequest<'a> {
    project: &'a str,
    symbol: &'a str,
    exponent: u32,
    mint_per_value: Option<&'a str>,
    redemption: Redemption,
    exit_fee_percent: Option<&'a str>,
    entry_tribute_percent: Option<&'a str>,
    exit_tribute_percent: Option<&'a str>,
    funding_to: Option<&'a str>,
    curve_exponent: Option<u32>,
    hatch: Option<&'a HatchSpec>,
    retro: bool,
}

impl<'a> TokenRequest<'a> {
    /// The fields of `command`, if it is a `CreateToken`.
    fn of(command: &'a Command) -> Option<TokenRequest<'a>> {
        let Command::CreateToken {
            project,
            symbol,
            exponent,
            mint_per_value,
            redemption,
            exit_fee_percent,
            entry_tribute_percent,
            exit_tribute_percent,
            funding_to,
            curve_exponent,
            hatch,
            retro,
        } = command
        else {
            return None;
        };
        Some(TokenRequest {
            project,
            symbol,
            exponent: *exponent,
            mint_per_value: mint_per_value.as_deref(),
            redemption: *redemption,
            exit_fee_percent: exit_fee_percent.as_deref(),
            entry_tribute_percent: entry_tribute_percent.as_deref(),
            exit_tribute_percent: exit_tribute_percent.as_deref(),
            funding_to: funding_to.as_deref(),
            curve_exponent: *curve_exponent,
            hatch: hatch.as_ref(),
            retro: *retro,
        })
    }

    /// The options of the redemption asked for: a NAV token takes an exit fee, a curve token
    /// tributes, the supported exponent and a hatch.
    fn check_redemption(&self) -> DomainResult<()> {
        match self.redemption {
            Redemption::Nav => {
                let curve_only = [
                    (
                        "entry_tribute_percent",
                        self.entry_tribute_percent.is_some(),
                    ),
                    ("exit_tribute_percent", self.exit_tribute_percent.is_some()),
                    ("curve_exponent", self.curve_exponent.is_some()),
                ];
                if let Some((field, _)) = curve_only.iter().find(|(_, present)| *present) {
                    return Err(DomainError::invalid(format!(
                        "{field} applies to bonding-curve tokens (redemption curve); a NAV token takes exit_fee_percent"
                    ))
                    .field(field));
                }
                parse_percent(EXIT_FEE_PERCENT, self.exit_fee_percent)?;
            }
            Redemption::Curve => {
                if self.exit_fee_percent.is_some() {
                    return Err(DomainError::invalid(
                        "exit_fee_percent applies to NAV tokens; a bonding-curve token takes exit_tribute_percent",
                    )
                    .field(EXIT_FEE_PERCENT.name));
                }
                if let Some(k) = self.curve_exponent
                    && k != CURVE_EXPONENT
                {
                    return Err(DomainError::invalid(format!(
                        "only the bonding-curve exponent {CURVE_EXPONENT} is supported, not {k}"
                    ))
                    .field("curve_exponent")
                    .value(k.to_string()));
                }
                parse_percent(ENTRY_TRIBUTE_PERCENT, self.entry_tribute_percent)?;
                parse_percent(EXIT_TRIBUTE_PERCENT, self.exit_tribute_percent)?;
                if self.hatch.is_none() {
                    return Err(DomainError::invalid(
                        "a bonding-curve token needs a hatch (raised, price) to set its invariant V0 = S^2/R",
                    )
                    .field("hatch"));
                }
            }
        }
        Ok(())
    }
}

/// The outcome of a `Redeem` command: `tokens` burned for `gross`, of which `fee` stays in
/// the reserve, `tribute` goes to funding and `payout` to the holder.
struct Burn {
    tokens: i128,
    gross: i128,
    fee: i128,
    tribute: i128,
    payout: i128,
}

#[cfg(test)]
mod tests {
    use super::*;

    fn dec(text: &str) -> Decimal {
        text.parse().unwrap()
    }

    /// The hatch of tokens.json: supply 100,000.00, reserve 80,000.00 (minor units).
    const HATCH: CurveAnchor = CurveAnchor {
        supply: 10_000_000,
        reserve: 8_000_000,
    };

    #[test]
    fn buy_mints_the_floor_of_the_square_root() {
        // 10,000.00 with a 5% entry tribute: 9,500.00 into the reserve.
        let minted = curve_buy(HATCH, 10_000_000, 8_000_000, 950_000).unwrap();
        assert_eq!(minted, 577_097);
        // floor(sqrt(125000 * 89500)) = 105,770.97: the next unit would need more reserve.
        assert!(HATCH.reserve_for_supply(10_577_098).unwrap() > 8_950_000);
        assert!(HATCH.reserve_for_supply(10_577_097).unwrap() <= 8_950_000);
    }

    #[test]
    fn sell_is_quoted_from_the_state_before_the_trade() {
        let gross = curve_sell_gross(HATCH, 10_577_097, 8_950_000, 577_097).unwrap();
        assert_eq!(gross, 950_000);
        assert_eq!(percent_floor(gross, dec("5")), 47_500);
    }

    #[test]
    fn curve_rounding_favours_the_reserve() {
        let anchor = CurveAnchor {
            supply: 7,
            reserve: 3,
        };
        for reserve in 0..500 {
            let supply = anchor.supply_for_reserve(reserve).unwrap();
            // S^2 / V0 <= R < (S+1)^2 / V0
            assert!(anchor.reserve_for_supply(supply).unwrap() <= reserve);
            assert!(supply * supply * 3 <= reserve * 49);
            assert!((supply + 1) * (supply + 1) * 3 > reserve * 49);
        }
        // The reserve required is never below the exact curve.
        for supply in 0..500 {
            let required = anchor.reserve_for_supply(supply).unwrap();
            assert!(required * 49 >= supply * supply * 3);
            assert!((required - 1) * 49 < supply * supply * 3);
        }
    }

    #[test]
    fn a_round_trip_returns_at_most_what_went_into_the_reserve() {
        for (supply, reserve) in [(10_000_000, 8_000_000), (12_345, 6_789), (3, 1_000_000)] {
            let anchor = CurveAnchor { supply, reserve };
            for into_reserve in [1, 2, 99, 12_345, 950_000] {
                let minted = curve_buy(anchor, supply, reserve, into_reserve).unwrap();
                if minted <= 0 {
                    continue;
                }
                let gross =
                    curve_sell_gross(anchor, supply + minted, reserve + into_reserve, minted)
                        .unwrap();
                assert!(gross <= into_reserve, "{supply} {reserve} {into_reserve}");
            }
        }
    }

    #[test]
    fn wide_products_do_not_overflow() {
        let anchor = CurveAnchor {
            supply: 10i128.pow(30),
            reserve: 10i128.pow(30),
        };
        assert_eq!(
            anchor.supply_for_reserve(4 * 10i128.pow(30)).unwrap(),
            2 * 10i128.pow(30)
        );
        assert_eq!(
            anchor.reserve_for_supply(10i128.pow(30)).unwrap(),
            10i128.pow(30)
        );
        assert!(
            CurveAnchor {
                supply: 10i128.pow(30),
                reserve: 1
            }
            .supply_for_reserve(10i128.pow(30))
            .is_err()
        );
    }

    #[test]
    fn prices_and_rates_convert_exactly() {
        // 10,000.00 CAD at 1.00 per token: 10,000.00 tokens.
        assert_eq!(
            tokens_at_price(1_000_000, 2, dec("1.00"), 2).unwrap(),
            1_000_000
        );
        // 10.00 at 3 per token: 3.33 tokens, rounded down.
        assert_eq!(tokens_at_price(1_000, 2, dec("3"), 2).unwrap(), 333);
        // Different exponents: 1.00 CAD at 0.5 buys 2 tokens of exponent 0.
        assert_eq!(tokens_at_price(100, 2, dec("0.5"), 0).unwrap(), 2);
        // 10.00 BIKE at 0.70: 7.00 CAD.
        assert_eq!(value_of_tokens(1_000, 2, dec("0.70"), 2).unwrap(), 700);
        assert_eq!(value_of_tokens(1, 2, dec("0.70"), 2).unwrap(), 0);
        // 3000 of value at 1 token per unit: 3000.00 tokens; at 0.333: 999.00.
        let value = Value::from_decimal(dec("3000")).unwrap();
        assert_eq!(tokens_for_value(value, dec("1"), 2).unwrap(), 300_000);
        assert_eq!(tokens_for_value(value, dec("0.333"), 2).unwrap(), 99_900);
        let third = Value::parse("0.333333333333333333").unwrap();
        assert_eq!(tokens_for_value(third, dec("1"), 2).unwrap(), 33);
    }

    #[test]
    fn nav_rounds_down() {
        assert_eq!(nav_gross(150_000, 1_000_000, 1_500_000).unwrap(), 100_000);
        assert_eq!(nav_gross(70_000, 1_035_000, 1_350_000).unwrap(), 53_666);
        assert_eq!(nav_gross(1_000, 981_334, 1_280_000).unwrap(), 766);
        assert_eq!(nav_gross(5, 5, 0).unwrap(), 0);
    }

    #[test]
    fn prices_print_per_whole_token() {
        let price = Price {
            numerator: 981_334,
            denominator: 1_280_000,
            currency_exponent: 2,
            token_exponent: 2,
        };
        assert_eq!(price.per_token(4), "0.7666");
    }

    use crate::test_book::Book;

    /// ana (custodian), alice and bob (affiliates), city (observer); projects `bikes` (build
    /// work at 30.00 an hour) and `transit` in CAD; token BIKE of `bikes`, redeemed at NAV.
    fn bikes() -> Book {
        let mut book = Book::new();
        book.add_agents(&[
            ("ana", Role::Custodian),
            ("alice", Role::Affiliate),
            ("bob", Role::Affiliate),
            ("city", Role::Observer),
        ]);
        for slug in ["bikes", "transit"] {
            book.op(Command::add_project(slug, "CAD", 2));
        }
        book.op(Command::set_rate("bikes", "build", "30.00"));
        book.op(create("bikes", "BIKE", Redemption::Nav));
        book
    }

    use crate::model::OPERATOR;

    fn create(project: &str, symbol: &str, redemption: Redemption) -> Command {
        Command::create_token(project, symbol, 2, redemption)
    }

    fn presale(agent: &str, amount: &str, price: &str) -> Command {
        Command::Presale {
            token: "BIKE".into(),
            agent: agent.into(),
            amount: amount.into(),
            price: price.into(),
        }
    }

    fn redeem(agent: &str, tokens: &str) -> Command {
        Command::Redeem {
            token: "BIKE".into(),
            agent: agent.into(),
            tokens: tokens.into(),
        }
    }

    fn work(agent: &str, hours: &str) -> Command {
        Command::log_work("bikes", agent, "build", hours)
    }

    #[test]
    fn bad_input_is_refused_with_clear_messages() {
        let mut h = bikes();
        h.ok(OPERATOR, presale("alice", "100.00", "1"));
        let cases = [
            (
                redeem("alice", "100.01"),
                "alice holds 100.00 BIKE and cannot redeem 100.01 BIKE",
            ),
            (
                presale("bob", "10.00", "0"),
                "price must be greater than zero",
            ),
            (
                presale("bob", "10.00", "-1"),
                "price must be greater than zero",
            ),
            (
                presale("bob", "10.001", "1"),
                "has 3 decimals but the asset has 2",
            ),
            (
                Command::Presale {
                    token: "NOPE".into(),
                    agent: "bob".into(),
                    amount: "1.00".into(),
                    price: "1".into(),
                },
                "unknown token \"NOPE\"",
            ),
            (
                Command::PayWithToken {
                    token: "BIKE".into(),
                    from: "alice".into(),
                    project: "transit".into(),
                    tokens: "1.00".into(),
                },
                "transit does not accept BIKE",
            ),
            (
                Command::Transfer {
                    token: "BIKE".into(),
                    from: "alice".into(),
                    to: "ghost".into(),
                    tokens: "1.00".into(),
                },
                "unknown holder \"ghost\"",
            ),
            (redeem("alice", "0.00"), "must be greater than zero"),
            (
                create("transit", "CAD", Redemption::Nav),
                "already the currency",
            ),
            (
                create("transit", "BIKE", Redemption::Nav),
                "already the token",
            ),
            (
                create("bikes", "BIKE2", Redemption::Nav),
                "already issues BIKE",
            ),
            (
                create("transit", "bike", Redemption::Nav),
                "invalid token symbol",
            ),
            (create("transit", "TR", Redemption::Curve), "needs a hatch"),
            (
                {
                    let mut command = create("transit", "TR", Redemption::Curve);
                    if let Command::CreateToken { curve_exponent, .. } = &mut command {
                        *curve_exponent = Some(3);
                    }
                    command
                },
                "only the bonding-curve exponent 2 is supported, not 3",
            ),
            (
                Command::add_project("p2", "BIKE", 2),
                "BIKE is the token of project bikes",
            ),
            (
                Command::add_agent("bikes-reserve", Role::Affiliate),
                "already taken",
            ),
        ];
        for (command, message) in cases {
            let op = command.op();
            let error = h.refuse(OPERATOR, command);
            assert!(error.contains(message), "{op}: {error:?} lacks {message:?}");
        }
        // Roles: observers may not act; affiliates act only for themselves.
        assert!(
            h.refuse("city", redeem("city", "1.00"))
                .contains("observer")
        );
        assert!(
            h.refuse("bob", redeem("alice", "1.00"))
                .contains("only for themselves")
        );
        assert!(
            h.refuse("alice", presale("alice", "1.00", "1"))
                .contains("only custodians")
        );
        h.ok("alice", redeem("alice", "1.00"));
    }

    #[test]
    fn contributions_mint_when_they_count_and_reserve_never_goes_negative() {
        let mut h = bikes();
        h.ok(OPERATOR, presale("bob", "150.00", "1.50"));
        assert_eq!(h.minor_units("bob", "BIKE"), 10_000);
        let Outcome::Logged { minted, .. } = h.ok(OPERATOR, work("alice", "2")) else {
            panic!("not logged");
        };
        assert_eq!(
            minted,
            Some(TokenMint {
                token: "BIKE".into(),
                to: "alice".into(),
                tokens: 6_000
            })
        );
        // Gifts mint nothing.
        let mut gift_log = work("alice", "1");
        if let Command::Log { gift, .. } = &mut gift_log {
            *gift = true;
        }
        let Outcome::Logged { minted, .. } = h.ok(OPERATOR, gift_log) else {
            panic!("not logged");
        };
        assert_eq!(minted, None);
        assert_eq!(h.state.token_supply("BIKE").unwrap(), 16_000);
        // Everyone redeems everything: the reserve ends at zero, never below.
        h.ok(OPERATOR, redeem("alice", "60.00"));
        h.ok(OPERATOR, redeem("bob", "100.00"));
        assert_eq!(h.state.token_supply("BIKE").unwrap(), 0);
        assert_eq!(h.state.token_reserve("BIKE").unwrap(), 0);
        assert_eq!(
            h.minor_units("alice", "CAD") + h.minor_units("bob", "CAD"),
            15_000
        );
        assert_eq!(h.state.token_issuance("BIKE").unwrap().len(), 4);
    }

    #[test]
    fn approval_mints_and_a_forged_mint_is_corrupt() {
        let mut h = bikes();
        h.ok(
            OPERATOR,
            Command::add_project_approving("reviewed", "CAD", 2, 1),
        );
        h.ok(
            OPERATOR,
            Command::SetRate {
                project: "reviewed".into(),
                category: "build".into(),
                per_hour: "10".into(),
            },
        );
        h.ok(OPERATOR, create("reviewed", "REV", Redemption::Nav));
        let mut log = work("alice", "3");
        if let Command::Log { project, .. } = &mut log {
            *project = "reviewed".into();
        }
        let Outcome::Logged { minted, .. } = h.ok(OPERATOR, log) else {
            panic!("not logged");
        };
        assert_eq!(minted, None, "a pending contribution mints nothing");
        let id = h.state.contributions().len() as u64;
        let approve = Command::Approve { id };
        let ctx = Ctx::new(
            h.state.head() + 1,
            "bob",
            Date::parse("2026-11-21").unwrap(),
        );
        let outcome = h.state.decide(&ctx, &approve).unwrap();
        let Outcome::Approved {
            minted: Some(mint), ..
        } = &outcome
        else {
            panic!("approval should mint: {outcome:?}");
        };
        assert_eq!(mint.tokens, 3_000);
        let forged = Outcome::Approved {
            id,
            counted: true,
            minted: Some(TokenMint {
                tokens: 3_001,
                ..mint.clone()
            }),
        };
        let mut copy = h.state.clone();
        assert!(
            copy.apply(&ctx, &approve, &forged)
                .is_err_and(|e| e.is(crate::error::ErrorKind::Corrupt))
        );
        h.state.apply(&ctx, &approve, &outcome).unwrap();
        assert_eq!(h.minor_units("alice", "REV"), 3_000);
    }

    #[test]
    fn nav_fee_stays_in_the_reserve() {
        let mut h = bikes();
        let mut with_fee = create("transit", "TRN", Redemption::Nav);
        if let Command::CreateToken {
            exit_fee_percent, ..
        } = &mut with_fee
        {
            *exit_fee_percent = Some("10".into());
        }
        h.ok(OPERATOR, with_fee);
        h.ok(
            OPERATOR,
            Command::Presale {
                token: "TRN".into(),
                agent: "alice".into(),
                amount: "100.00".into(),
                price: "1".into(),
            },
        );
        h.ok(
            OPERATOR,
            Command::Transfer {
                token: "TRN".into(),
                from: "alice".into(),
                to: "bob".into(),
                tokens: "50.00".into(),
            },
        );
        let outcome = h.ok(
            OPERATOR,
            Command::Redeem {
                token: "TRN".into(),
                agent: "alice".into(),
                tokens: "50.00".into(),
            },
        );
        assert_eq!(
            outcome,
            Outcome::TokenRedeemed {
                tokens: 5_000,
                gross: 5_000,
                fee: 500,
                tribute: 0,
                payout: 4_500
            }
        );
        // bob's 50.00 are now backed by 55.00.
        assert_eq!(h.state.token_reserve("TRN").unwrap(), 5_500);
    }

    #[test]
    fn token_holders_bucket_splits_by_balance() {
        let mut h = bikes();
        h.ok(OPERATOR, presale("alice", "1.00", "1"));
        h.ok(OPERATOR, presale("bob", "1.00", "1"));
        h.ok(OPERATOR, presale("ana", "1.00", "1"));
        h.ok(OPERATOR, redeem("ana", "1.00"));
        let plan = crate::model::Plan {
            buckets: vec![crate::model::Bucket::TokenHolders {
                token: "BIKE".into(),
            }],
        };
        h.ok(
            OPERATOR,
            Command::SetPlan {
                project: "transit".into(),
                plan,
            },
        );
        let Outcome::Distributed { lines, .. } =
            h.ok(OPERATOR, Command::revenue("transit", "0.03"))
        else {
            panic!("not distributed");
        };
        // 3 cents over 1:1 (ana holds nothing): the tie goes to the smaller name.
        let paid: Vec<(&str, i128)> = lines.iter().map(|l| (l.to.as_str(), l.amount)).collect();
        assert_eq!(paid, vec![("alice", 2), ("bob", 1)]);
        let unknown = crate::model::Plan {
            buckets: vec![crate::model::Bucket::TokenHolders {
                token: "NOPE".into(),
            }],
        };
        let error = h.refuse(
            OPERATOR,
            Command::SetPlan {
                project: "transit".into(),
                plan: unknown,
            },
        );
        assert!(error.contains("unknown token"), "{error}");
    }

    #[test]
    fn symbols_are_upper_case_codes() {
        assert!(check_symbol("BIKE").is_ok());
        assert!(check_symbol("H2O").is_ok());
        for bad in ["", "bike", "2X", "BIKE-1", "ABCDEFGHIJKLM"] {
            assert!(check_symbol(bad).is_err(), "{bad:?} accepted");
        }
    }
}
