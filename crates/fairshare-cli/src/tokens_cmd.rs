//! Project tokens (issue 5): creation (NAV or bonding curve, with a hatch), pre-sales, buys,
//! redemptions, donations, transfers, acceptance by other projects and payments. The clap
//! types, one run function per command, and what each prints. See docs/TOKENS.md.

use std::collections::BTreeMap;
use std::fmt::Write as _;

use anyhow::Result;
use clap::{Subcommand, ValueEnum};
use fairshare_core::{
    Command, HatchResult, HatchSpec, Outcome, Price, Redemption, State, Token, TokenMint,
    format_amount,
};
use num_bigint::BigInt;
use serde::Serialize;

use crate::args::Page;
use crate::commands::{check_page, unexpected};
use crate::render::{Output, Table, Text, page_hint, ratio_decimal};
use crate::session::Session;

/// Decimals of a printed price beyond the currency's own (a price of 0.6666 CAD per token is
/// printed 0.666666), always rounded down.
const PRICE_EXTRA_DECIMALS: u32 = 4;

// ---------------------------------------------------------------------------------------------
// Arguments

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum RedemptionArg {
    /// At net asset value: a share of the reserve proportional to the tokens burned
    Nav,
    /// On a bonding curve of exponent 2, with entry and exit tributes
    Curve,
}

#[derive(Debug, Subcommand)]
pub enum TokenCmd {
    /// Create a project's token (one per project; custodians)
    Create {
        project: String,
        /// Upper-case letters or digits, such as BIKE
        symbol: String,
        /// Decimals of the token
        #[arg(long, value_name = "N", default_value_t = 2)]
        exponent: u32,
        /// Tokens minted per 1 unit of counted contribution value [default: 1]
        #[arg(long, value_name = "R", allow_negative_numbers = true)]
        mint_per_value: Option<String>,
        #[arg(long, value_enum, default_value_t = RedemptionArg::Nav)]
        redemption: RedemptionArg,
        /// NAV: percentage of a redemption kept in the reserve
        #[arg(long, value_name = "PERCENT", allow_negative_numbers = true)]
        exit_fee: Option<String>,
        /// Curve: percentage of a buy paid to the funding account
        #[arg(long, value_name = "PERCENT", allow_negative_numbers = true)]
        entry_tribute: Option<String>,
        /// Curve: percentage of a sale paid to the funding account
        #[arg(long, value_name = "PERCENT", allow_negative_numbers = true)]
        exit_tribute: Option<String>,
        /// Account that receives tributes [default: PROJECT-funding]
        #[arg(long, value_name = "NAME")]
        funding_to: Option<String>,
        /// Curve: the curve's exponent (only 2 is supported)
        #[arg(long, value_name = "K")]
        curve_exponent: Option<u32>,
        /// The initial raise (required for a curve): money from outside
        #[arg(
            long,
            value_name = "AMOUNT",
            allow_negative_numbers = true,
            requires = "hatch_price"
        )]
        hatch_raise: Option<String>,
        /// Price per token of the initial raise
        #[arg(
            long,
            value_name = "P",
            allow_negative_numbers = true,
            requires = "hatch_raise"
        )]
        hatch_price: Option<String>,
        /// Percentage of the initial raise paid to the funding account [default: 0]
        #[arg(
            long,
            value_name = "PERCENT",
            allow_negative_numbers = true,
            requires = "hatch_raise"
        )]
        hatch_tribute: Option<String>,
        /// Who receives the hatch's tokens [default: the project]
        #[arg(long, value_name = "H", requires = "hatch_raise")]
        hatch_holder: Option<String>,
    },
    /// Sell a NAV token to a partner: AMOUNT from outside into the reserve (custodians)
    Presale {
        symbol: String,
        agent: String,
        #[arg(allow_negative_numbers = true)]
        amount: String,
        /// Price per token
        #[arg(long, value_name = "P", allow_negative_numbers = true)]
        price: String,
    },
    /// Buy a bonding-curve token with AMOUNT from outside (custodians)
    Buy {
        symbol: String,
        agent: String,
        #[arg(allow_negative_numbers = true)]
        amount: String,
    },
    /// Burn TOKENS held by AGENT (an agent or a project) against the reserve
    Redeem {
        symbol: String,
        agent: String,
        #[arg(allow_negative_numbers = true)]
        tokens: String,
    },
    /// Money from outside into the reserve: every token's redemption value rises (custodians)
    Donate {
        symbol: String,
        agent: String,
        #[arg(allow_negative_numbers = true)]
        amount: String,
    },
    /// Move tokens between holders
    Transfer {
        symbol: String,
        from: String,
        to: String,
        #[arg(allow_negative_numbers = true)]
        tokens: String,
    },
    /// PROJECT accepts the token in payment at RATE of its currency per token (custodians)
    Accept {
        project: String,
        symbol: String,
        #[arg(long, value_name = "R", allow_negative_numbers = true)]
        rate: String,
    },
    /// FROM pays PROJECT with tokens it accepts
    Pay {
        symbol: String,
        from: String,
        project: String,
        #[arg(allow_negative_numbers = true)]
        tokens: String,
    },
    /// Supply, reserve, prices, holders with their shares, issuance history and payments
    Show {
        symbol: String,
        /// Pages the issuance history and the payments
        #[command(flatten)]
        page: Page,
    },
    /// Every token
    List,
}

// ---------------------------------------------------------------------------------------------
// Run

pub fn run(s: &Session, command: TokenCmd) -> Result<Box<dyn Output>> {
    match command {
        TokenCmd::Create {
            project,
            symbol,
            exponent,
            mint_per_value,
            redemption,
            exit_fee,
            entry_tribute,
            exit_tribute,
            funding_to,
            curve_exponent,
            hatch_raise,
            hatch_price,
            hatch_tribute,
            hatch_holder,
        } => {
            let hatch = match (hatch_raise, hatch_price) {
                (Some(raised), Some(price)) => Some(HatchSpec {
                    raised,
                    price,
                    tribute_percent: hatch_tribute,
                    holder: hatch_holder,
                }),
                _ => None,
            };
            let command = Command::CreateToken {
                project,
                symbol: symbol.clone(),
                exponent,
                mint_per_value,
                redemption: match redemption {
                    RedemptionArg::Nav => Redemption::Nav,
                    RedemptionArg::Curve => Redemption::Curve,
                },
                exit_fee_percent: exit_fee,
                entry_tribute_percent: entry_tribute,
                exit_tribute_percent: exit_tribute,
                funding_to,
                curve_exponent,
                hatch,
            };
            let mut book = s.open_book()?;
            let executed = s.execute(&mut book, command)?;
            let Outcome::TokenCreated { hatch } = &executed.outcome else {
                return Err(unexpected(&executed));
            };
            let state = book.state();
            let token = state.token(&symbol)?;
            Ok(Box::new(TokenCreated {
                hatch: hatch.as_ref().map(|h| HatchOut::of(token, h)),
                token: TokenShow::of(
                    state,
                    token,
                    Page {
                        limit: 0,
                        offset: 0,
                    },
                )?,
            }))
        }
        TokenCmd::Presale {
            symbol,
            agent,
            amount,
            price,
        } => {
            let mut book = s.open_book()?;
            let command = Command::Presale {
                token: symbol.clone(),
                agent: agent.clone(),
                amount,
                price: price.clone(),
            };
            let executed = s.execute(&mut book, command)?;
            let Outcome::TokenPresold { amount, tokens } = executed.outcome else {
                return Err(unexpected(&executed));
            };
            let state = book.state();
            let token = state.token(&symbol)?;
            Ok(Box::new(Presold {
                token: symbol.clone(),
                agent,
                amount: money(token, amount),
                price,
                tokens: units(token, tokens),
                supply: units(token, token.supply()),
                reserve: money(token, state.token_reserve(&symbol)?),
                currency: token.currency.clone(),
                replayed: executed.replayed,
            }))
        }
        TokenCmd::Buy {
            symbol,
            agent,
            amount,
        } => {
            let mut book = s.open_book()?;
            let command = Command::Buy {
                token: symbol.clone(),
                agent: agent.clone(),
                amount,
            };
            let executed = s.execute(&mut book, command)?;
            let Outcome::TokenBought {
                amount,
                tribute,
                tokens,
            } = executed.outcome
            else {
                return Err(unexpected(&executed));
            };
            let state = book.state();
            let token = state.token(&symbol)?;
            Ok(Box::new(Bought {
                token: symbol.clone(),
                agent,
                amount: money(token, amount),
                tribute: money(token, tribute),
                into_reserve: money(token, amount - tribute),
                tokens: units(token, tokens),
                supply: units(token, token.supply()),
                reserve: money(token, state.token_reserve(&symbol)?),
                spot_price: state
                    .token_spot_price(&symbol)?
                    .map(|p| price_text(&p, token)),
                currency: token.currency.clone(),
                replayed: executed.replayed,
            }))
        }
        TokenCmd::Redeem {
            symbol,
            agent,
            tokens,
        } => {
            let mut book = s.open_book()?;
            let command = Command::Redeem {
                token: symbol.clone(),
                agent: agent.clone(),
                tokens,
            };
            let executed = s.execute(&mut book, command)?;
            let Outcome::TokenRedeemed {
                tokens,
                gross,
                fee,
                tribute,
                payout,
            } = executed.outcome
            else {
                return Err(unexpected(&executed));
            };
            let state = book.state();
            let token = state.token(&symbol)?;
            Ok(Box::new(Redeemed {
                token: symbol.clone(),
                agent,
                tokens: units(token, tokens),
                gross: money(token, gross),
                fee: money(token, fee + tribute),
                fee_to: if tribute > 0 {
                    token.funding_account.clone()
                } else {
                    token.reserve_account.clone()
                },
                payout: money(token, payout),
                curve: token.redemption == Redemption::Curve,
                supply: units(token, token.supply()),
                reserve: money(token, state.token_reserve(&symbol)?),
                currency: token.currency.clone(),
                replayed: executed.replayed,
            }))
        }
        TokenCmd::Donate {
            symbol,
            agent,
            amount,
        } => {
            let mut book = s.open_book()?;
            let command = Command::Donate {
                token: symbol.clone(),
                agent: agent.clone(),
                amount,
            };
            let executed = s.execute(&mut book, command)?;
            let Outcome::TokenDonated { amount } = executed.outcome else {
                return Err(unexpected(&executed));
            };
            let state = book.state();
            let token = state.token(&symbol)?;
            Ok(Box::new(Donated {
                token: symbol.clone(),
                agent,
                amount: money(token, amount),
                reserve: money(token, state.token_reserve(&symbol)?),
                supply: units(token, token.supply()),
                redemption_price: state
                    .token_redemption_price(&symbol)?
                    .map(|p| price_text(&p, token)),
                currency: token.currency.clone(),
                replayed: executed.replayed,
            }))
        }
        TokenCmd::Transfer {
            symbol,
            from,
            to,
            tokens,
        } => {
            let mut book = s.open_book()?;
            let command = Command::Transfer {
                token: symbol.clone(),
                from: from.clone(),
                to: to.clone(),
                tokens,
            };
            let executed = s.execute(&mut book, command)?;
            let Outcome::TokenTransferred { tokens } = executed.outcome else {
                return Err(unexpected(&executed));
            };
            let state = book.state();
            let token = state.token(&symbol)?;
            let balance = |holder: &str| units(token, state.ledger().balance(holder, &symbol));
            Ok(Box::new(Transferred {
                token: symbol.clone(),
                tokens: units(token, tokens),
                from_balance: balance(&from),
                to_balance: balance(&to),
                from,
                to,
                replayed: executed.replayed,
            }))
        }
        TokenCmd::Accept {
            project,
            symbol,
            rate,
        } => {
            let mut book = s.open_book()?;
            let command = Command::AcceptToken {
                project: project.clone(),
                token: symbol.clone(),
                rate,
            };
            s.execute(&mut book, command)?;
            let state = book.state();
            let token = state.token(&symbol)?;
            let rate = token
                .accepted_by
                .get(&project)
                .map(ToString::to_string)
                .unwrap_or_default();
            Ok(Box::new(Accepted {
                currency: state.project(&project)?.currency.clone(),
                project,
                token: symbol,
                rate,
            }))
        }
        TokenCmd::Pay {
            symbol,
            from,
            project,
            tokens,
        } => {
            let mut book = s.open_book()?;
            let command = Command::PayWithToken {
                token: symbol.clone(),
                from: from.clone(),
                project: project.clone(),
                tokens,
            };
            let executed = s.execute(&mut book, command)?;
            let Outcome::TokenPaid { tokens, value } = executed.outcome else {
                return Err(unexpected(&executed));
            };
            let state = book.state();
            let token = state.token(&symbol)?;
            let accepting = state.project(&project)?;
            Ok(Box::new(Paid {
                token: symbol,
                from,
                tokens: units(token, tokens),
                value: format_amount(value, accepting.exponent),
                currency: accepting.currency.clone(),
                rate: token
                    .accepted_by
                    .get(&project)
                    .map(ToString::to_string)
                    .unwrap_or_default(),
                project,
                replayed: executed.replayed,
            }))
        }
        TokenCmd::Show { symbol, page } => {
            check_page(page)?;
            let book = s.open_book()?;
            let state = book.state();
            Ok(Box::new(TokenShow::of(state, state.token(&symbol)?, page)?))
        }
        TokenCmd::List => {
            let book = s.open_book()?;
            let state = book.state();
            let tokens = state
                .tokens()
                .map(|t| TokenRow::of(state, t))
                .collect::<Result<Vec<_>>>()?;
            Ok(Box::new(TokensOut { tokens }))
        }
    }
}

fn units(token: &Token, minor: i128) -> String {
    format_amount(minor, token.exponent)
}

fn money(token: &Token, minor: i128) -> String {
    format_amount(minor, token.currency_exponent)
}

/// A price per whole token, rounded down to the currency's decimals plus four.
fn price_text(price: &Price, token: &Token) -> String {
    price.per_token(token.currency_exponent + PRICE_EXTRA_DECIMALS)
}

/// Tokens a contribution minted, for the output of `log` and `approve`.
#[derive(Serialize)]
pub struct MintOut {
    pub token: String,
    pub to: String,
    pub tokens: String,
}

impl MintOut {
    pub fn of(state: &State, mint: &Option<TokenMint>) -> Option<MintOut> {
        let mint = mint.as_ref()?;
        let exponent = state.token(&mint.token).map(|t| t.exponent).unwrap_or(0);
        Some(MintOut {
            token: mint.token.clone(),
            to: mint.to.clone(),
            tokens: format_amount(mint.tokens, exponent),
        })
    }

    pub fn words(&self) -> String {
        format!("minted {} {} to {}", self.tokens, self.token, self.to)
    }
}

// ---------------------------------------------------------------------------------------------
// Output

#[derive(Serialize)]
pub struct HolderRow {
    pub holder: String,
    pub balance: String,
    /// balance / supply
    pub share: String,
}

#[derive(Serialize)]
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

#[derive(Serialize)]
pub struct PaymentRow {
    pub event: u64,
    pub from: String,
    pub project: String,
    pub tokens: String,
    /// What the payment was worth to the accepting project, in its currency.
    pub value: String,
}

/// What `token show` prints.
#[derive(Serialize)]
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
    /// A page of every mint and burn, oldest first.
    pub issuance: Vec<IssuanceRow>,
    pub payments_total: usize,
    /// A page of the payments in this token to accepting projects, oldest first.
    pub payments: Vec<PaymentRow>,
}

impl TokenShow {
    fn of(state: &State, token: &Token, page: Page) -> Result<TokenShow> {
        let symbol = token.symbol.as_str();
        let holders = state.token_holders(symbol)?;
        let issuance = state.token_issuance(symbol)?;
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
            redemption_price: state
                .token_redemption_price(symbol)?
                .map(|p| price_text(&p, token)),
            spot_price: state
                .token_spot_price(symbol)?
                .map(|p| price_text(&p, token)),
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
                    share: ratio_decimal(&BigInt::from(h.balance), &BigInt::from(h.supply)),
                })
                .collect(),
            offset: page.offset,
            limit: page.limit,
            issuance_total: issuance.len(),
            issuance: issuance
                .iter()
                .skip(page.offset)
                .take(page.limit)
                .map(|i| IssuanceRow {
                    event: i.seq,
                    date: i.date.to_string(),
                    cause: i.kind.describe(),
                    holder: i.holder.clone(),
                    tokens: units(token, i.tokens),
                })
                .collect(),
            payments_total: token.payments.len(),
            payments: token
                .payments
                .iter()
                .skip(page.offset)
                .take(page.limit)
                .map(|p| PaymentRow {
                    event: p.seq,
                    from: p.from.clone(),
                    project: p.project.clone(),
                    tokens: units(token, p.tokens),
                    value: state
                        .project(&p.project)
                        .map(|a| format_amount(p.value, a.exponent))
                        .unwrap_or_else(|_| p.value.to_string()),
                })
                .collect(),
        })
    }
}

impl Text for TokenShow {
    fn to_text(&self) -> String {
        let mut out = format!(
            "token {} of {}: {} redemption, {} decimals, {} minted per 1 of contribution value\n",
            self.token, self.project, self.redemption, self.exponent, self.mint_per_value
        );
        match self.redemption.as_str() {
            "curve" => {
                let _ = writeln!(
                    out,
                    "  tributes:  {}% of a buy, {}% of a sale, to {}",
                    self.entry_tribute_percent, self.exit_tribute_percent, self.funding_account
                );
            }
            _ => {
                let _ = writeln!(
                    out,
                    "  exit fee:  {}% of a redemption, kept in the reserve",
                    self.exit_fee_percent
                );
            }
        }
        let _ = writeln!(
            out,
            "  supply:    {} {} (minted {}, burned {})",
            self.supply, self.token, self.minted, self.burned
        );
        let _ = writeln!(
            out,
            "  reserve:   {} {} in {}",
            self.reserve, self.currency, self.reserve_account
        );
        if !self.funding.chars().all(|c| c == '0' || c == '.') {
            let _ = writeln!(
                out,
                "  funding:   {} {} in {}",
                self.funding, self.currency, self.funding_account
            );
        }
        match (&self.redemption_price, self.redemption.as_str()) {
            (Some(price), "curve") => {
                let _ = writeln!(
                    out,
                    "  backing:   {price} {} per token (reserve / supply; a sale is quoted on the curve)",
                    self.currency
                );
            }
            (Some(price), _) => {
                let _ = writeln!(
                    out,
                    "  price:     {price} {} per token at net asset value (rounded down)",
                    self.currency
                );
            }
            (None, _) => {}
        }
        if let Some(price) = &self.spot_price {
            let _ = writeln!(
                out,
                "  spot:      {price} {} per token on the curve (rounded down)",
                self.currency
            );
        }
        for (project, rate) in &self.accepted_by {
            let _ = writeln!(out, "  accepted:  by {project} at {rate} per token");
        }
        if self.holders.is_empty() {
            out.push_str("  no holders\n");
        } else {
            out.push_str("  holders:\n");
            let mut table = Table::new(&["holder", "balance", "share"]).right(&[1]);
            for h in &self.holders {
                table.row(vec![h.holder.clone(), h.balance.clone(), h.share.clone()]);
            }
            out.push_str(&table.render("    "));
        }
        if !self.issuance.is_empty() {
            out.push_str("  issuance:\n");
            let mut table =
                Table::new(&["event", "date", "cause", "holder", "tokens"]).right(&[0, 4]);
            for i in &self.issuance {
                table.row(vec![
                    i.event.to_string(),
                    i.date.clone(),
                    i.cause.clone(),
                    i.holder.clone(),
                    i.tokens.clone(),
                ]);
            }
            out.push_str(&table.render("    "));
            let _ = writeln!(
                out,
                "    {} of {} mints and burns{}",
                self.issuance.len(),
                self.issuance_total,
                page_hint(self.offset, self.issuance.len(), self.issuance_total)
            );
        }
        if !self.payments.is_empty() {
            out.push_str("  payments:\n");
            let mut table =
                Table::new(&["event", "from", "to project", "tokens", "value"]).right(&[0, 3, 4]);
            for p in &self.payments {
                table.row(vec![
                    p.event.to_string(),
                    p.from.clone(),
                    p.project.clone(),
                    p.tokens.clone(),
                    p.value.clone(),
                ]);
            }
            out.push_str(&table.render("    "));
        }
        out
    }
}

#[derive(Serialize)]
pub struct HatchOut {
    pub holder: String,
    pub raised: String,
    pub tribute: String,
    pub into_reserve: String,
    pub tokens: String,
}

impl HatchOut {
    fn of(token: &Token, hatch: &HatchResult) -> HatchOut {
        HatchOut {
            holder: hatch.holder.clone(),
            raised: money(token, hatch.raised),
            tribute: money(token, hatch.tribute),
            into_reserve: money(token, hatch.raised - hatch.tribute),
            tokens: units(token, hatch.tokens),
        }
    }
}

#[derive(Serialize)]
pub struct TokenCreated {
    #[serde(flatten)]
    pub token: TokenShow,
    pub hatch: Option<HatchOut>,
}

impl Text for TokenCreated {
    fn to_text(&self) -> String {
        let t = &self.token;
        let mut out = format!(
            "created token {} of {} ({} redemption, {} decimals)\n",
            t.token, t.project, t.redemption, t.exponent
        );
        if let Some(h) = &self.hatch {
            let _ = writeln!(
                out,
                "hatch: {} {} raised, {} to {}, {} into {}; {} {} minted to {}",
                h.raised,
                t.currency,
                h.tribute,
                t.funding_account,
                h.into_reserve,
                t.reserve_account,
                h.tokens,
                t.token,
                h.holder
            );
        }
        out
    }
}

#[derive(Serialize)]
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

impl Text for Presold {
    fn to_text(&self) -> String {
        format!(
            "pre-sale of {} {} to {} for {} {} at {}; supply {}, reserve {} {}\n",
            self.tokens,
            self.token,
            self.agent,
            self.amount,
            self.currency,
            self.price,
            self.supply,
            self.reserve,
            self.currency
        )
    }
}

#[derive(Serialize)]
pub struct Bought {
    pub token: String,
    pub agent: String,
    pub amount: String,
    pub tribute: String,
    pub into_reserve: String,
    pub tokens: String,
    pub supply: String,
    pub reserve: String,
    pub spot_price: Option<String>,
    pub currency: String,
    pub replayed: bool,
}

impl Text for Bought {
    fn to_text(&self) -> String {
        format!(
            "{} bought {} {} for {} {} ({} entry tribute, {} into the reserve); supply {}, reserve {}\n",
            self.agent,
            self.tokens,
            self.token,
            self.amount,
            self.currency,
            self.tribute,
            self.into_reserve,
            self.supply,
            self.reserve
        )
    }
}

/// What `token redeem` prints.
#[derive(Serialize)]
pub struct Redeemed {
    pub token: String,
    pub agent: String,
    pub tokens: String,
    /// The tokens' value out of the reserve, before the fee.
    pub gross: String,
    /// The exit fee (NAV, kept in the reserve) or exit tribute (curve, to funding).
    pub fee: String,
    pub fee_to: String,
    pub payout: String,
    /// Supply and reserve after the redemption.
    pub supply: String,
    pub reserve: String,
    pub currency: String,
    pub replayed: bool,
    #[serde(skip)]
    pub curve: bool,
}

impl Text for Redeemed {
    fn to_text(&self) -> String {
        let mut out = format!(
            "{} redeemed {} {}: paid {} {}",
            self.agent, self.tokens, self.token, self.payout, self.currency
        );
        if self.gross != self.payout {
            let _ = write!(
                out,
                " ({} gross, {} {} to {})",
                self.gross,
                self.fee,
                if self.curve {
                    "exit tribute"
                } else {
                    "exit fee"
                },
                self.fee_to
            );
        }
        let _ = writeln!(
            out,
            "; supply {}, reserve {} {}",
            self.supply, self.reserve, self.currency
        );
        out
    }
}

#[derive(Serialize)]
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

impl Text for Donated {
    fn to_text(&self) -> String {
        format!(
            "{} donated {} {} to the reserve of {}: reserve {} for a supply of {}{}\n",
            self.agent,
            self.amount,
            self.currency,
            self.token,
            self.reserve,
            self.supply,
            self.redemption_price
                .as_deref()
                .map(|p| format!(", {p} per token"))
                .unwrap_or_default()
        )
    }
}

#[derive(Serialize)]
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

impl Text for Transferred {
    fn to_text(&self) -> String {
        format!(
            "{} {} from {} to {}; {} now holds {}, {} holds {}\n",
            self.tokens,
            self.token,
            self.from,
            self.to,
            self.from,
            self.from_balance,
            self.to,
            self.to_balance
        )
    }
}

#[derive(Serialize)]
pub struct Accepted {
    pub project: String,
    pub token: String,
    pub rate: String,
    pub currency: String,
}

impl Text for Accepted {
    fn to_text(&self) -> String {
        format!(
            "{} accepts {} at {} {} per token\n",
            self.project, self.token, self.rate, self.currency
        )
    }
}

/// What `token pay` prints.
#[derive(Serialize)]
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

impl Text for Paid {
    fn to_text(&self) -> String {
        format!(
            "{} paid {} {} {}: worth {} {} to {} at {} per token\n",
            self.from,
            self.project,
            self.tokens,
            self.token,
            self.value,
            self.currency,
            self.project,
            self.rate
        )
    }
}

#[derive(Serialize)]
pub struct TokenRow {
    pub token: String,
    pub project: String,
    pub redemption: String,
    pub currency: String,
    pub supply: String,
    pub reserve: String,
    pub redemption_price: Option<String>,
    pub holders: usize,
}

impl TokenRow {
    fn of(state: &State, token: &Token) -> Result<TokenRow> {
        let symbol = token.symbol.as_str();
        Ok(TokenRow {
            token: token.symbol.clone(),
            project: token.project.clone(),
            redemption: token.redemption.as_str().to_string(),
            currency: token.currency.clone(),
            supply: units(token, token.supply()),
            reserve: money(token, state.token_reserve(symbol)?),
            redemption_price: state
                .token_redemption_price(symbol)?
                .map(|p| price_text(&p, token)),
            holders: state.token_holders(symbol)?.len(),
        })
    }
}

#[derive(Serialize)]
pub struct TokensOut {
    pub tokens: Vec<TokenRow>,
}

impl Text for TokensOut {
    fn to_text(&self) -> String {
        if self.tokens.is_empty() {
            return "no tokens: create one with `fairshare token create PROJECT SYMBOL`\n"
                .to_string();
        }
        let mut table = Table::new(&[
            "token",
            "project",
            "redemption",
            "supply",
            "reserve",
            "reserve/token",
            "holders",
        ])
        .right(&[3, 4, 5, 6]);
        for t in &self.tokens {
            table.row(vec![
                t.token.clone(),
                t.project.clone(),
                t.redemption.clone(),
                t.supply.clone(),
                format!("{} {}", t.reserve, t.currency),
                t.redemption_price.clone().unwrap_or_else(|| "-".into()),
                t.holders.to_string(),
            ]);
        }
        table.render("")
    }
}
