//! Project tokens: creation (at net asset value, or on a bonding curve with a hatch),
//! pre-sales, buys, redemptions, donations, transfers, acceptance by other projects and
//! payments; each token's terms, supply, reserve, prices, holders and history.
//!
//! Token amounts are printed with the token's decimals, money with its currency's, and prices
//! per whole token with four decimals past the currency's, always rounded down.

use std::collections::BTreeMap;

use fairshare_book::Executed;
use fairshare_core::share_decimal;
use fairshare_core::{
    Command, HatchResult, HatchSpec, Outcome, Redemption, State, Token, Value, format_amount,
};
use serde::{Deserialize, Serialize};

use crate::error::OpResult;
use crate::op::{Read, Reading, Write, or_actor};
use crate::page::Page;

/// Decimals of a printed price beyond the currency's own (a price of 0.6666 CAD per token is
/// printed 0.666666), always rounded down.
const PRICE_EXTRA_DECIMALS: u32 = 4;

/// An amount of the token, with its decimals.
fn units(token: &Token, minor: i128) -> String {
    format_amount(minor, token.exponent)
}

/// An amount of the token's currency.
fn money(token: &Token, minor: i128) -> String {
    format_amount(minor, token.currency_exponent)
}

/// Reserve / supply per whole token, rounded down; none without supply.
fn redemption_price(state: &State, token: &Token) -> OpResult<Option<String>> {
    Ok(state
        .token_redemption_price(&token.symbol)?
        .map(|p| p.per_token(token.currency_exponent + PRICE_EXTRA_DECIMALS)))
}

/// Curve only: the price of the next token on the curve, rounded down.
fn spot_price(state: &State, token: &Token) -> OpResult<Option<String>> {
    Ok(state
        .token_spot_price(&token.symbol)?
        .map(|p| p.per_token(token.currency_exponent + PRICE_EXTRA_DECIMALS)))
}

/// How a token is redeemed, as requests spell it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "lowercase")]
pub enum RedemptionName {
    /// At net asset value: a share of the reserve proportional to the tokens burned.
    Nav,
    /// On a bonding curve of exponent 2, with entry and exit tributes.
    Curve,
}

impl From<RedemptionName> for Redemption {
    fn from(redemption: RedemptionName) -> Redemption {
        match redemption {
            RedemptionName::Nav => Redemption::Nav,
            RedemptionName::Curve => Redemption::Curve,
        }
    }
}

// ---------------------------------------------------------------------------------------------
// A token

#[derive(Debug, Clone, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct HolderRow {
    pub holder: String,
    pub balance: String,
    /// balance / supply
    pub share: String,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct IssuanceRow {
    /// Sequence number of the event.
    pub event: u64,
    pub date: String,
    /// hatch, pre-sale, contribution N, buy or redemption
    pub cause: String,
    pub holder: String,
    /// Positive for a mint, negative for a burn.
    pub tokens: String,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct PaymentRow {
    pub event: u64,
    pub from: String,
    pub project: String,
    pub tokens: String,
    /// What the payment was worth to the accepting project, in its currency.
    pub value: String,
}

/// A token: terms, supply, reserve, prices, holders, and a page of its issuance and payments.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct TokenShow {
    pub token: String,
    pub project: String,
    pub exponent: u32,
    pub currency: String,
    pub redemption: String,
    pub mint_per_value: String,
    pub exit_fee_percent: String,
    pub entry_tribute_percent: String,
    pub exit_tribute_percent: String,
    pub reserve_account: String,
    pub funding_account: String,
    pub supply: String,
    pub minted: String,
    pub burned: String,
    pub reserve: String,
    pub funding: String,
    /// Reserve / supply per whole token, rounded down (what a NAV redemption pays per token);
    /// null without supply.
    pub redemption_price: Option<String>,
    /// Curve only: 2 x reserve / supply, rounded down.
    pub spot_price: Option<String>,
    /// Projects that accept the token, with their rate in their currency per token.
    pub accepted_by: BTreeMap<String, String>,
    /// Every holder with a positive balance, in byte order of the name.
    pub holders: Vec<HolderRow>,
    pub offset: usize,
    pub limit: usize,
    pub issuance_total: usize,
    /// Where the next page of the issuance or the payments starts, if either has one.
    pub next_offset: Option<usize>,
    /// A page of every mint and burn, oldest first.
    pub issuance: Vec<IssuanceRow>,
    pub payments_total: usize,
    /// A page of the payments in this token to accepting projects, oldest first.
    pub payments: Vec<PaymentRow>,
}

impl TokenShow {
    /// The token with one page of its issuance and of its payments.
    pub fn of(state: &State, token: &Token, page: Page) -> OpResult<TokenShow> {
        let symbol = token.symbol.as_str();
        let holders = state.token_holders(symbol)?;
        let issuance = state.token_issuance(symbol)?;
        let (issuance_rows, issuance_total) = page.take(issuance.iter(), |i| IssuanceRow {
            event: i.seq,
            date: i.date.to_string(),
            cause: i.kind.describe(),
            holder: i.holder.clone(),
            tokens: units(token, i.tokens),
        });
        let (payments, payments_total) = page.take(token.payments.iter(), |p| PaymentRow {
            event: p.seq,
            from: p.from.clone(),
            project: p.project.clone(),
            tokens: units(token, p.tokens),
            value: state
                .project(&p.project)
                .map(|a| format_amount(p.value, a.exponent))
                .unwrap_or_else(|_| p.value.to_string()),
        });
        Ok(TokenShow {
            token: token.symbol.clone(),
            project: token.project.clone(),
            exponent: token.exponent,
            currency: token.currency.clone(),
            redemption: token.redemption.as_str().to_string(),
            mint_per_value: token.mint_per_value.to_string(),
            exit_fee_percent: token.exit_fee_percent.to_string(),
            entry_tribute_percent: token.entry_tribute_percent.to_string(),
            exit_tribute_percent: token.exit_tribute_percent.to_string(),
            reserve_account: token.reserve_account.clone(),
            funding_account: token.funding_account.clone(),
            supply: units(token, token.supply()),
            minted: units(token, token.minted),
            burned: units(token, token.burned),
            reserve: money(token, state.token_reserve(symbol)?),
            funding: money(
                token,
                state
                    .ledger()
                    .balance(&token.funding_account, &token.currency),
            ),
            redemption_price: redemption_price(state, token)?,
            spot_price: spot_price(state, token)?,
            accepted_by: token
                .accepted_by
                .iter()
                .map(|(project, rate)| (project.clone(), rate.to_string()))
                .collect(),
            holders: holders
                .iter()
                .map(|h| HolderRow {
                    holder: h.holder.clone(),
                    balance: units(token, h.balance),
                    share: share_decimal(Value(h.balance), Value(h.supply)),
                })
                .collect(),
            offset: page.offset,
            limit: page.limit,
            next_offset: page.next_offset(
                issuance_rows.len().max(payments.len()),
                issuance_total.max(payments_total),
            ),
            issuance_total,
            issuance: issuance_rows,
            payments_total,
            payments,
        })
    }
}

/// One token: terms, supply, reserve, redemption price, holders, and a page of its issuance
/// and payments.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(deny_unknown_fields)]
#[cfg_attr(feature = "clap", derive(clap::Args))]
pub struct ShowToken {
    pub symbol: String,
    /// Rows of the issuance and of the payments in the page (default 100, at most 1000).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[cfg_attr(feature = "clap", arg(long, value_name = "N"))]
    pub limit: Option<usize>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[cfg_attr(feature = "clap", arg(long, value_name = "N"))]
    pub offset: Option<usize>,
}

operation!(ShowToken => TokenShow, Get "/api/v1/tokens/{symbol}", "tokens",
    "One token: terms, supply, reserve, redemption price, holders, and a page of its issuance and payments");

impl Read for ShowToken {
    fn view(&self, state: &State, _: &Reading) -> OpResult<TokenShow> {
        let page = Page::new(self.limit, self.offset)?;
        TokenShow::of(state, state.token(&self.symbol)?, page)
    }
}

// ---------------------------------------------------------------------------------------------
// Every token

#[derive(Debug, Clone, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct TokenRow {
    pub token: String,
    pub project: String,
    pub redemption: String,
    pub currency: String,
    pub supply: String,
    pub reserve: String,
    /// Reserve / supply per whole token, rounded down; null without supply.
    pub redemption_price: Option<String>,
    /// Holders with a positive balance.
    pub holders: usize,
}

impl TokenRow {
    pub fn of(state: &State, token: &Token) -> OpResult<TokenRow> {
        let symbol = token.symbol.as_str();
        Ok(TokenRow {
            token: token.symbol.clone(),
            project: token.project.clone(),
            redemption: token.redemption.as_str().to_string(),
            currency: token.currency.clone(),
            supply: units(token, token.supply()),
            reserve: money(token, state.token_reserve(symbol)?),
            redemption_price: redemption_price(state, token)?,
            holders: state.token_holders(symbol)?.len(),
        })
    }
}

paged_list! {
    /// Tokens, in byte order of symbol.
    ListTokens => TokensOut { tokens: TokenRow },
    "/api/v1/tokens", "tokens", "Tokens, in byte order of symbol"
}

impl Read for ListTokens {
    const NAMES_EXISTING: bool = false;
    fn view(&self, state: &State, _: &Reading) -> OpResult<TokensOut> {
        let page = Page::new(self.limit, self.offset)?;
        let (page, rows) = page.list(state.tokens(), |t| TokenRow::of(state, t));
        let tokens = rows.into_iter().collect::<OpResult<Vec<_>>>()?;
        Ok(TokensOut { page, tokens })
    }
}

// ---------------------------------------------------------------------------------------------
// Creation

/// The initial raise of a curve token.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(deny_unknown_fields)]
pub struct HatchTerms {
    /// Money from outside.
    pub raised: String,
    /// Price per token of the raise.
    pub price: String,
    /// Percentage of the raise paid to the funding account (default 0).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub tribute_percent: Option<String>,
    /// Who receives the hatch's tokens (default: the project).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub holder: Option<String>,
}

/// Creates a project's token, one per project (custodians only).
#[derive(Debug, Clone, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(deny_unknown_fields)]
pub struct CreateToken {
    pub project: String,
    /// Upper-case letters or digits, such as `BIKE`.
    pub symbol: String,
    /// Decimals of the token.
    pub exponent: u32,
    /// Tokens minted per unit of counted contribution value (default `"1"`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub mint_per_value: Option<String>,
    pub redemption: RedemptionName,
    /// NAV: percentage of a redemption kept in the reserve.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub exit_fee_percent: Option<String>,
    /// Curve: percentage of a buy paid to the funding account.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub entry_tribute_percent: Option<String>,
    /// Curve: percentage of a sale paid to the funding account.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub exit_tribute_percent: Option<String>,
    /// The account that receives tributes (default: `PROJECT-funding`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub funding_to: Option<String>,
    /// Curve: the curve's exponent (only 2 is supported).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub curve_exponent: Option<u32>,
    /// The initial raise (required for a curve).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub hatch: Option<HatchTerms>,
    /// Also mint, in the same event, what every contribution counted before the token would
    /// have minted (`--retro`).
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub retro: bool,
}

/// Tokens minted by `retro` to one contributor for their contributions counted before the
/// token.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct RetroOut {
    pub agent: String,
    /// How many of their contributions minted.
    pub contributions: u64,
    pub tokens: String,
}

/// What a hatch did: `raised` came from outside, `tribute` went to funding, `into_reserve` to
/// the reserve, and `tokens` were minted to `holder`.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct HatchOut {
    pub holder: String,
    pub raised: String,
    pub tribute: String,
    pub into_reserve: String,
    pub tokens: String,
}

impl HatchOut {
    pub fn of(token: &Token, hatch: &HatchResult) -> HatchOut {
        HatchOut {
            holder: hatch.holder.clone(),
            raised: money(token, hatch.raised),
            tribute: money(token, hatch.tribute),
            into_reserve: money(token, hatch.raised - hatch.tribute),
            tokens: units(token, hatch.tokens),
        }
    }
}

/// The new token (with the first page of its issuance) and its hatch.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct TokenCreated {
    #[serde(flatten)]
    pub token: TokenShow,
    pub hatch: Option<HatchOut>,
    /// With `retro`: what each contributor was minted for the contributions counted before
    /// the token, in byte order of handle (absent without `retro`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub retro: Option<Vec<RetroOut>>,
}

operation!(CreateToken => TokenCreated, Post "/api/v1/projects/{project}/token", "tokens",
    "Creates a project's token, one per project (custodians only)");

impl Write for CreateToken {
    const CREATES: bool = true;

    fn command(&self, _actor: &str) -> OpResult<Command> {
        Ok(Command::CreateToken {
            project: self.project.clone(),
            symbol: self.symbol.clone(),
            exponent: self.exponent,
            mint_per_value: self.mint_per_value.clone(),
            redemption: self.redemption.into(),
            exit_fee_percent: self.exit_fee_percent.clone(),
            entry_tribute_percent: self.entry_tribute_percent.clone(),
            exit_tribute_percent: self.exit_tribute_percent.clone(),
            funding_to: self.funding_to.clone(),
            curve_exponent: self.curve_exponent,
            hatch: self.hatch.as_ref().map(|h| HatchSpec {
                raised: h.raised.clone(),
                price: h.price.clone(),
                tribute_percent: h.tribute_percent.clone(),
                holder: h.holder.clone(),
            }),
            retro: self.retro,
        })
    }

    fn view(&self, state: &State, executed: &Executed) -> OpResult<TokenCreated> {
        let_outcome!(executed, Outcome::TokenCreated { hatch, retro });
        let token = state.token(&self.symbol)?;
        let retro = self.retro.then(|| {
            retro
                .iter()
                .map(|m| RetroOut {
                    agent: m.to.clone(),
                    contributions: m.contributions,
                    tokens: units(token, m.tokens),
                })
                .collect()
        });
        Ok(TokenCreated {
            retro,
            hatch: hatch.as_ref().map(|h| HatchOut::of(token, h)),
            token: TokenShow::of(state, token, Page::new(None, None)?)?,
        })
    }
}

// ---------------------------------------------------------------------------------------------
// Money in and out

/// Sells tokens of a NAV token at a price: the amount comes from outside into the reserve
/// (custodians only).
#[derive(Debug, Clone, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(deny_unknown_fields)]
#[cfg_attr(feature = "clap", derive(clap::Args))]
pub struct Presale {
    pub symbol: String,
    /// The buyer (default: the caller).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[cfg_attr(feature = "clap", arg(required = true, help = "The partner who buys"))]
    pub agent: Option<String>,
    #[cfg_attr(feature = "clap", arg(allow_negative_numbers = true))]
    pub amount: String,
    /// Price per whole token in the project's currency.
    #[cfg_attr(
        feature = "clap",
        arg(long, value_name = "P", allow_negative_numbers = true)
    )]
    pub price: String,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct Presold {
    pub token: String,
    pub agent: String,
    pub amount: String,
    pub price: String,
    pub tokens: String,
    pub supply: String,
    pub reserve: String,
    pub currency: String,
    pub replayed: bool,
}

operation!(Presale => Presold, Post "/api/v1/tokens/{symbol}/presale", "tokens",
    "Sells tokens of a NAV token at a price: the amount comes from outside into the reserve (custodians only)");

impl Write for Presale {
    const CREATES: bool = true;

    fn command(&self, actor: &str) -> OpResult<Command> {
        Ok(Command::Presale {
            token: self.symbol.clone(),
            agent: or_actor(&self.agent, actor),
            amount: self.amount.clone(),
            price: self.price.clone(),
        })
    }

    fn view(&self, state: &State, executed: &Executed) -> OpResult<Presold> {
        let_outcome!(executed, &Outcome::TokenPresold { amount, tokens });
        let token = state.token(&self.symbol)?;
        Ok(Presold {
            token: self.symbol.clone(),
            agent: or_actor(&self.agent, &executed.actor),
            amount: money(token, amount),
            price: self.price.clone(),
            tokens: units(token, tokens),
            supply: units(token, token.supply()),
            reserve: money(token, state.token_reserve(&self.symbol)?),
            currency: token.currency.clone(),
            replayed: executed.replayed,
        })
    }
}

/// Buys a curve token with money from outside.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(deny_unknown_fields)]
#[cfg_attr(feature = "clap", derive(clap::Args))]
pub struct Buy {
    pub symbol: String,
    /// The buyer (default: the caller).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[cfg_attr(feature = "clap", arg(required = true, help = "Who buys"))]
    pub agent: Option<String>,
    #[cfg_attr(feature = "clap", arg(allow_negative_numbers = true))]
    pub amount: String,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct Bought {
    pub token: String,
    pub agent: String,
    pub amount: String,
    /// The entry tribute, paid to the funding account.
    pub tribute: String,
    pub into_reserve: String,
    pub tokens: String,
    pub supply: String,
    pub reserve: String,
    pub spot_price: Option<String>,
    pub currency: String,
    pub replayed: bool,
}

operation!(Buy => Bought, Post "/api/v1/tokens/{symbol}/buy", "tokens",
    "Buys a curve token with money from outside");

impl Write for Buy {
    const CREATES: bool = true;

    fn command(&self, actor: &str) -> OpResult<Command> {
        Ok(Command::Buy {
            token: self.symbol.clone(),
            agent: or_actor(&self.agent, actor),
            amount: self.amount.clone(),
        })
    }

    fn view(&self, state: &State, executed: &Executed) -> OpResult<Bought> {
        let_outcome!(
            executed,
            &Outcome::TokenBought {
                amount,
                tribute,
                tokens
            }
        );
        let token = state.token(&self.symbol)?;
        Ok(Bought {
            token: self.symbol.clone(),
            agent: or_actor(&self.agent, &executed.actor),
            amount: money(token, amount),
            tribute: money(token, tribute),
            into_reserve: money(token, amount - tribute),
            tokens: units(token, tokens),
            supply: units(token, token.supply()),
            reserve: money(token, state.token_reserve(&self.symbol)?),
            spot_price: spot_price(state, token)?,
            currency: token.currency.clone(),
            replayed: executed.replayed,
        })
    }
}

/// Burns tokens against the reserve and pays the holder.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(deny_unknown_fields)]
#[cfg_attr(feature = "clap", derive(clap::Args))]
pub struct Redeem {
    pub symbol: String,
    /// The holder (default: the caller); an agent or a project.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[cfg_attr(
        feature = "clap",
        arg(required = true, help = "The holder: an agent or a project")
    )]
    pub agent: Option<String>,
    #[cfg_attr(feature = "clap", arg(allow_negative_numbers = true))]
    pub tokens: String,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct Redeemed {
    pub token: String,
    pub agent: String,
    pub tokens: String,
    /// The tokens' value out of the reserve, before the fee.
    pub gross: String,
    /// The exit fee (NAV, kept in the reserve) or exit tribute (curve, to funding).
    pub fee: String,
    pub fee_to: String,
    /// The token's redemption, `nav` or `curve`: whether `fee` is an exit fee or an exit
    /// tribute.
    pub redemption: String,
    pub payout: String,
    /// Supply and reserve after the redemption.
    pub supply: String,
    pub reserve: String,
    pub currency: String,
    pub replayed: bool,
}

operation!(Redeem => Redeemed, Post "/api/v1/tokens/{symbol}/redeem", "tokens",
    "Burns tokens against the reserve and pays the holder");

impl Write for Redeem {
    fn command(&self, actor: &str) -> OpResult<Command> {
        Ok(Command::Redeem {
            token: self.symbol.clone(),
            agent: or_actor(&self.agent, actor),
            tokens: self.tokens.clone(),
        })
    }

    fn view(&self, state: &State, executed: &Executed) -> OpResult<Redeemed> {
        let_outcome!(
            executed,
            &Outcome::TokenRedeemed {
                tokens,
                gross,
                fee,
                tribute,
                payout
            }
        );
        let token = state.token(&self.symbol)?;
        Ok(Redeemed {
            token: self.symbol.clone(),
            agent: or_actor(&self.agent, &executed.actor),
            tokens: units(token, tokens),
            gross: money(token, gross),
            fee: money(token, fee + tribute),
            fee_to: if tribute > 0 {
                token.funding_account.clone()
            } else {
                token.reserve_account.clone()
            },
            redemption: token.redemption.as_str().to_string(),
            payout: money(token, payout),
            supply: units(token, token.supply()),
            reserve: money(token, state.token_reserve(&self.symbol)?),
            currency: token.currency.clone(),
            replayed: executed.replayed,
        })
    }
}

/// Money from outside into a token's reserve: every token's redemption value rises
/// (custodians only).
#[derive(Debug, Clone, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(deny_unknown_fields)]
#[cfg_attr(feature = "clap", derive(clap::Args))]
pub struct Donate {
    pub symbol: String,
    /// The donor (default: the caller).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[cfg_attr(feature = "clap", arg(required = true, help = "Who donates"))]
    pub agent: Option<String>,
    #[cfg_attr(feature = "clap", arg(allow_negative_numbers = true))]
    pub amount: String,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct Donated {
    pub token: String,
    pub agent: String,
    pub amount: String,
    pub reserve: String,
    pub supply: String,
    pub redemption_price: Option<String>,
    pub currency: String,
    pub replayed: bool,
}

operation!(Donate => Donated, Post "/api/v1/tokens/{symbol}/donate", "tokens",
    "Money from outside into a token's reserve (custodians only)");

impl Write for Donate {
    const CREATES: bool = true;

    fn command(&self, actor: &str) -> OpResult<Command> {
        Ok(Command::Donate {
            token: self.symbol.clone(),
            agent: or_actor(&self.agent, actor),
            amount: self.amount.clone(),
        })
    }

    fn view(&self, state: &State, executed: &Executed) -> OpResult<Donated> {
        let_outcome!(executed, &Outcome::TokenDonated { amount });
        let token = state.token(&self.symbol)?;
        Ok(Donated {
            token: self.symbol.clone(),
            agent: or_actor(&self.agent, &executed.actor),
            amount: money(token, amount),
            reserve: money(token, state.token_reserve(&self.symbol)?),
            supply: units(token, token.supply()),
            redemption_price: redemption_price(state, token)?,
            currency: token.currency.clone(),
            replayed: executed.replayed,
        })
    }
}

// ---------------------------------------------------------------------------------------------
// Tokens between holders and projects

/// Moves tokens between holders.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(deny_unknown_fields)]
#[cfg_attr(feature = "clap", derive(clap::Args))]
pub struct Transfer {
    pub symbol: String,
    /// The holder sending (default: the caller).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[cfg_attr(
        feature = "clap",
        arg(required = true, help = "The holder the tokens leave")
    )]
    pub from: Option<String>,
    pub to: String,
    #[cfg_attr(feature = "clap", arg(allow_negative_numbers = true))]
    pub tokens: String,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct Transferred {
    pub token: String,
    pub from: String,
    pub to: String,
    pub tokens: String,
    /// Balances after the transfer.
    pub from_balance: String,
    pub to_balance: String,
    pub replayed: bool,
}

operation!(Transfer => Transferred, Post "/api/v1/tokens/{symbol}/transfers", "tokens",
    "Moves tokens between holders");

impl Write for Transfer {
    const CREATES: bool = true;

    fn command(&self, actor: &str) -> OpResult<Command> {
        Ok(Command::Transfer {
            token: self.symbol.clone(),
            from: or_actor(&self.from, actor),
            to: self.to.clone(),
            tokens: self.tokens.clone(),
        })
    }

    fn view(&self, state: &State, executed: &Executed) -> OpResult<Transferred> {
        let_outcome!(executed, &Outcome::TokenTransferred { tokens });
        let token = state.token(&self.symbol)?;
        let from = or_actor(&self.from, &executed.actor);
        let balance = |holder: &str| units(token, state.ledger().balance(holder, &self.symbol));
        Ok(Transferred {
            token: self.symbol.clone(),
            tokens: units(token, tokens),
            from_balance: balance(&from),
            to_balance: balance(&self.to),
            from,
            to: self.to.clone(),
            replayed: executed.replayed,
        })
    }
}

/// The rate at which `project` accepts `token`, in its currency per token.
fn rate_of(token: &Token, project: &str) -> String {
    token
        .accepted_by
        .get(project)
        .map(ToString::to_string)
        .unwrap_or_default()
}

/// A project accepts a token in payment at a rate in its currency per token (custodians only).
#[derive(Debug, Clone, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(deny_unknown_fields)]
#[cfg_attr(feature = "clap", derive(clap::Args))]
pub struct AcceptToken {
    /// The accepting project.
    pub project: String,
    #[cfg_attr(feature = "clap", arg(value_name = "SYMBOL"))]
    pub token: String,
    /// Units of the project's currency per token.
    #[cfg_attr(
        feature = "clap",
        arg(long, value_name = "R", allow_negative_numbers = true)
    )]
    pub rate: String,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct Accepted {
    pub project: String,
    pub token: String,
    pub rate: String,
    pub currency: String,
}

operation!(AcceptToken => Accepted, Post "/api/v1/projects/{project}/accepted-tokens", "tokens",
    "A project accepts a token in payment at a rate in its currency per token (custodians only)");

impl Write for AcceptToken {
    fn command(&self, _actor: &str) -> OpResult<Command> {
        Ok(Command::AcceptToken {
            project: self.project.clone(),
            token: self.token.clone(),
            rate: self.rate.clone(),
        })
    }

    fn view(&self, state: &State, _: &Executed) -> OpResult<Accepted> {
        let token = state.token(&self.token)?;
        Ok(Accepted {
            project: self.project.clone(),
            token: self.token.clone(),
            rate: rate_of(token, &self.project),
            currency: state.project(&self.project)?.currency.clone(),
        })
    }
}

/// Pays a project that accepts the token.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(deny_unknown_fields)]
#[cfg_attr(feature = "clap", derive(clap::Args))]
pub struct PayWithToken {
    pub symbol: String,
    /// The payer (default: the caller).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[cfg_attr(feature = "clap", arg(required = true, help = "The holder who pays"))]
    pub from: Option<String>,
    /// The accepting project.
    pub project: String,
    #[cfg_attr(feature = "clap", arg(allow_negative_numbers = true))]
    pub tokens: String,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct Paid {
    pub token: String,
    pub from: String,
    pub project: String,
    pub tokens: String,
    pub rate: String,
    /// What the payment is worth to the accepting project, in its currency (rounded down).
    pub value: String,
    pub currency: String,
    pub replayed: bool,
}

operation!(PayWithToken => Paid, Post "/api/v1/tokens/{symbol}/pay", "tokens",
    "Pays a project that accepts the token");

impl Write for PayWithToken {
    const CREATES: bool = true;

    fn command(&self, actor: &str) -> OpResult<Command> {
        Ok(Command::PayWithToken {
            token: self.symbol.clone(),
            from: or_actor(&self.from, actor),
            project: self.project.clone(),
            tokens: self.tokens.clone(),
        })
    }

    fn view(&self, state: &State, executed: &Executed) -> OpResult<Paid> {
        let_outcome!(executed, &Outcome::TokenPaid { tokens, value });
        let token = state.token(&self.symbol)?;
        let accepting = state.project(&self.project)?;
        Ok(Paid {
            token: self.symbol.clone(),
            from: or_actor(&self.from, &executed.actor),
            project: self.project.clone(),
            tokens: units(token, tokens),
            rate: rate_of(token, &self.project),
            value: format_amount(value, accepting.exponent),
            currency: accepting.currency.clone(),
            replayed: executed.replayed,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::agents::{AddAgent, RoleName};
    use crate::projects::AddProject;
    use crate::{Clock, Local};

    fn book(dir: &std::path::Path) -> Local {
        let store = fairshare_sqlite::SqliteStore::open(&dir.join("book.db")).expect("store");
        let clock = Clock::new(Some("2026-11-21T10:00:00Z")).expect("clock");
        let mut book = Local::open(Box::new(store), clock).expect("book");
        for (handle, role) in [("ana", RoleName::Custodian), ("bob", RoleName::Affiliate)] {
            let agent = AddAgent {
                handle: handle.into(),
                name: None,
                role,
            };
            book.write("operator", None, &agent).expect("agent");
        }
        let project = AddProject {
            slug: "bikes".into(),
            name: None,
            currency: "CAD".into(),
            exponent: 2,
            approvals: 0,
        };
        book.write("operator", None, &project).expect("project");
        book
    }

    /// A holder left to the caller is the caller, in the command and in the answer.
    #[test]
    fn holders_default_to_the_actor() {
        let dir = tempfile::tempdir().expect("dir");
        let mut book = book(dir.path());
        // As the API receives it: the optional fields take their defaults.
        let create: CreateToken = serde_json::from_value(serde_json::json!({
            "project": "bikes", "symbol": "BIKE", "exponent": 2, "redemption": "nav",
        }))
        .expect("request");
        let created = book.write("ana", None, &create).expect("created");
        assert_eq!(
            (created.token.supply.as_str(), created.token.limit),
            ("0.00", 100)
        );
        let sale = Presale {
            symbol: "BIKE".into(),
            agent: None,
            amount: "100.00".into(),
            price: "0.50".into(),
        };
        let sold = book.write("ana", None, &sale).expect("sold");
        assert_eq!(
            (sold.agent.as_str(), sold.tokens.as_str()),
            ("ana", "200.00")
        );
        let transfer = Transfer {
            symbol: "BIKE".into(),
            from: None,
            to: "bob".into(),
            tokens: "50.00".into(),
        };
        let moved = book.write("ana", None, &transfer).expect("moved");
        assert_eq!(
            (
                moved.from.as_str(),
                moved.from_balance.as_str(),
                moved.to_balance.as_str()
            ),
            ("ana", "150.00", "50.00")
        );
        let redeem = Redeem {
            symbol: "BIKE".into(),
            agent: None,
            tokens: "50.00".into(),
        };
        let redeemed = book.write("bob", None, &redeem).expect("redeemed");
        assert_eq!(
            (redeemed.agent.as_str(), redeemed.payout.as_str()),
            ("bob", "25.00")
        );
        assert_eq!(redeemed.redemption, "nav");
        let shown = book
            .read(
                None,
                &ShowToken {
                    symbol: "BIKE".into(),
                    limit: Some(1),
                    offset: None,
                },
            )
            .expect("shown");
        assert_eq!((shown.issuance_total, shown.next_offset), (2, Some(1)));
        let list = book.read(None, &ListTokens::default()).expect("list");
        assert_eq!((list.page.total, list.tokens[0].holders), (1, 1));
    }
}
