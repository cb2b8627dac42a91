//! Project tokens (issue 5): creation (NAV or bonding curve, with a hatch), pre-sales, buys,
//! redemptions, donations, transfers, acceptance by other projects and payments. The clap
//! types, the request each command makes (`fairshare_ops::tokens`), and the text of each view.
//! See docs/TOKENS.md.

use std::fmt::Write as _;

use anyhow::Result;
use clap::{Subcommand, ValueEnum};
use fairshare_ops::PAGE_LIMIT_MAX;
use fairshare_ops::tokens::{
    AcceptToken, Accepted, Bought, Buy, CreateToken, Donate, Donated, HatchTerms, ListTokens, Paid,
    PayWithToken, Presale, Presold, Redeem, Redeemed, RedemptionName, ShowToken, TokenCreated,
    TokenShow, TokensOut, Transfer, Transferred,
};

use crate::commands::out;
use crate::invocation::Invocation;
use crate::render::{Output, Table, Text, count_line, table_or};

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
        /// Also mint what every contribution counted before the token would have minted
        #[arg(long)]
        retro: bool,
    },
    /// Sell a NAV token to a partner: AMOUNT from outside into the reserve (custodians)
    Presale(Presale),
    /// Buy a bonding-curve token with AMOUNT from outside (custodians)
    Buy(Buy),
    /// Burn TOKENS held by AGENT (an agent or a project) against the reserve
    Redeem(Redeem),
    /// Money from outside into the reserve: every token's redemption value rises (custodians)
    Donate(Donate),
    /// Move tokens between holders
    Transfer(Transfer),
    /// PROJECT accepts the token in payment at RATE of its currency per token (custodians)
    Accept(AcceptToken),
    /// FROM pays PROJECT with tokens it accepts
    Pay(PayWithToken),
    /// Supply, reserve, prices, holders with their shares, issuance history and payments
    Show(ShowToken),
    /// Every token
    List,
}

// ---------------------------------------------------------------------------------------------
// Run

impl From<RedemptionArg> for RedemptionName {
    fn from(redemption: RedemptionArg) -> RedemptionName {
        match redemption {
            RedemptionArg::Nav => RedemptionName::Nav,
            RedemptionArg::Curve => RedemptionName::Curve,
        }
    }
}

pub fn run(s: &Invocation, command: TokenCmd) -> Result<Box<dyn Output>> {
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
            retro,
        } => {
            let hatch = match (hatch_raise, hatch_price) {
                (Some(raised), Some(price)) => Some(HatchTerms {
                    raised,
                    price,
                    tribute_percent: hatch_tribute,
                    holder: hatch_holder,
                }),
                _ => None,
            };
            out(s.write(&CreateToken {
                project,
                symbol,
                exponent,
                mint_per_value,
                redemption: redemption.into(),
                exit_fee_percent: exit_fee,
                entry_tribute_percent: entry_tribute,
                exit_tribute_percent: exit_tribute,
                funding_to,
                curve_exponent,
                hatch,
                retro,
            })?)
        }
        TokenCmd::Presale(request) => out(s.write(&request)?),
        TokenCmd::Buy(request) => out(s.write(&request)?),
        TokenCmd::Redeem(request) => out(s.write(&request)?),
        TokenCmd::Donate(request) => out(s.write(&request)?),
        TokenCmd::Transfer(request) => out(s.write(&request)?),
        TokenCmd::Accept(request) => out(s.write(&request)?),
        TokenCmd::Pay(request) => out(s.write(&request)?),
        TokenCmd::Show(request) => out(s.read(&request)?),
        TokenCmd::List => out(s.read(&ListTokens {
            limit: Some(PAGE_LIMIT_MAX),
            offset: None,
        })?),
    }
}

// ---------------------------------------------------------------------------------------------
// Text

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
            let (shown, total, what) =
                (self.issuance.len(), self.issuance_total, "mints and burns");
            out.push_str(&count_line("    ", shown, total, what, self.offset));
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
        if let Some(retro) = &self.retro {
            let _ = writeln!(
                out,
                "minted for the contributions counted before the token:"
            );
            for mint in retro {
                let plural = if mint.contributions == 1 { "" } else { "s" };
                let _ = writeln!(
                    out,
                    "  {} {} {} ({} contribution{plural})",
                    mint.agent, mint.tokens, t.token, mint.contributions
                );
            }
            if retro.is_empty() {
                out.push_str("  nothing: no counted contribution mints a token\n");
            }
        }
        out
    }
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
                if self.redemption == "curve" {
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

impl Text for Accepted {
    fn to_text(&self) -> String {
        format!(
            "{} accepts {} at {} {} per token\n",
            self.project, self.token, self.rate, self.currency
        )
    }
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

impl Text for TokensOut {
    fn to_text(&self) -> String {
        let table = Table::new(&[
            "token",
            "project",
            "redemption",
            "supply",
            "reserve",
            "reserve/token",
            "holders",
        ])
        .right(&[3, 4, 5, 6]);
        let rows = self.tokens.iter().map(|t| {
            vec![
                t.token.clone(),
                t.project.clone(),
                t.redemption.clone(),
                t.supply.clone(),
                format!("{} {}", t.reserve, t.currency),
                t.redemption_price.clone().unwrap_or_else(|| "-".into()),
                t.holders.to_string(),
            ]
        });
        table_or(
            "no tokens: create one with `fairshare token create PROJECT SYMBOL`",
            table,
            rows,
        )
    }
}
