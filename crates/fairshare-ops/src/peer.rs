//! Peer valuation: rounds, steward points, the blend, bounties, pools, leavers, the cap table.

use std::collections::BTreeMap;

use fairshare_book::Executed;
use fairshare_core::{
    BlendReport, CapRow, Command, Date, Outcome, PeerShare, PoolLine, Project, Round, Share, State,
    format_amount,
};
use fairshare_core::{Bounty, PoolAllocation};
use serde::{Deserialize, Serialize};

use crate::contributions::as_of;
use crate::de::u64_text;
use crate::error::{OpResult, unexpected};
use crate::op::{Read, Reading, Write, or_actor};

/// An exact share as a decimal (rounded half-to-even at 18 decimals).
pub fn share_text(share: &Share) -> String {
    fairshare_core::ratio_decimal(share.0.numer(), share.0.denom())
}

// ---------------------------------------------------------------------------------------------
// Rounds

/// One recipient of a round: points received and the peer share they make.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct PeerShareRow {
    pub agent: String,
    pub received: u64,
    pub share: String,
}

impl PeerShareRow {
    pub fn of(share: &PeerShare) -> PeerShareRow {
        PeerShareRow {
            agent: share.agent.clone(),
            received: share.received,
            share: share_text(&share.share),
        }
    }
}

/// Opens a peer round of a project (custodians only).
#[derive(Debug, Clone, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(deny_unknown_fields)]
#[cfg_attr(feature = "clap", derive(clap::Args))]
pub struct OpenRound {
    pub project: String,
    /// Points each giver may give (default 100).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[cfg_attr(feature = "clap", arg(long, value_name = "N"))]
    pub budget: Option<u64>,
    /// Who may give and receive (default: every custodian and affiliate with a counted
    /// contribution who has not left).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[cfg_attr(
        feature = "clap",
        arg(long, value_name = "A,B,...", value_delimiter = ',')
    )]
    pub eligible: Option<Vec<String>>,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct RoundOpened {
    pub round: u64,
    pub project: String,
    pub budget: u64,
    pub eligible: Vec<String>,
    pub replayed: bool,
}

operation!(OpenRound => RoundOpened, Post "/api/v1/projects/{project}/rounds", "peer",
    "Opens a peer round of a project (custodians only)");

impl Write for OpenRound {
    const CREATES: bool = true;

    fn command(&self, _actor: &str) -> OpResult<Command> {
        Ok(Command::OpenRound {
            project: self.project.clone(),
            budget: self.budget,
            eligible: self.eligible.clone(),
        })
    }

    fn view(&self, _: &State, executed: &Executed) -> OpResult<RoundOpened> {
        let_outcome!(
            executed,
            Outcome::RoundOpened {
                round,
                budget,
                eligible
            }
        );
        Ok(RoundOpened {
            round: *round,
            project: self.project.clone(),
            budget: *budget,
            eligible: eligible.clone(),
            replayed: executed.replayed,
        })
    }
}

/// Sets the points a giver gives a recipient in an open round (0 takes a gift back). The
/// giver is the caller unless a custodian names `from`.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(deny_unknown_fields)]
#[cfg_attr(feature = "clap", derive(clap::Args))]
pub struct Give {
    #[serde(deserialize_with = "u64_text")]
    pub round: u64,
    /// The giver (default: the caller; only custodians name another).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[cfg_attr(feature = "clap", arg(required = true, help = "The giver"))]
    pub from: Option<String>,
    pub to: String,
    /// Points given; 0 takes a gift back.
    pub points: u64,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct Given {
    pub round: u64,
    pub from: String,
    pub to: String,
    pub points: u64,
    /// Everything `from` gives in the round after this gift.
    pub spent: u64,
    /// What is left of `from`'s budget.
    pub left: u64,
    pub replayed: bool,
}

operation!(Give => Given, Post "/api/v1/rounds/{round}/gifts", "peer",
    "Sets the points a giver gives a recipient in an open round (0 takes a gift back); the giver is the caller unless a custodian names from");

impl Write for Give {
    const CREATES: bool = true;

    fn command(&self, actor: &str) -> OpResult<Command> {
        Ok(Command::Give {
            round: self.round,
            from: or_actor(&self.from, actor),
            to: self.to.clone(),
            points: self.points,
        })
    }

    fn view(&self, _: &State, executed: &Executed) -> OpResult<Given> {
        let_outcome!(executed, &Outcome::Given { spent, left, .. });
        Ok(Given {
            round: self.round,
            from: or_actor(&self.from, &executed.actor),
            to: self.to.clone(),
            points: self.points,
            spent,
            left,
            replayed: executed.replayed,
        })
    }
}

/// An eligible agent declines to receive points in an open round (they may still give). The
/// agent is the caller unless a custodian names another.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(deny_unknown_fields)]
#[cfg_attr(feature = "clap", derive(clap::Args))]
pub struct OptOut {
    #[serde(deserialize_with = "u64_text")]
    pub round: u64,
    /// Who opts out (default: the caller; only custodians name another).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[cfg_attr(feature = "clap", arg(required = true, help = "Who opts out"))]
    pub agent: Option<String>,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct OptedOut {
    pub round: u64,
    pub agent: String,
}

operation!(OptOut => OptedOut, Post "/api/v1/rounds/{round}/opt-outs", "peer",
    "An eligible agent declines to receive points in an open round; the agent is the caller unless a custodian names another");

impl Write for OptOut {
    const CREATES: bool = true;

    fn command(&self, actor: &str) -> OpResult<Command> {
        Ok(Command::OptOut {
            round: self.round,
            agent: or_actor(&self.agent, actor),
        })
    }

    fn view(&self, _: &State, executed: &Executed) -> OpResult<OptedOut> {
        Ok(OptedOut {
            round: self.round,
            agent: or_actor(&self.agent, &executed.actor),
        })
    }
}

/// Closes a round: peer share = points received / points given (custodians only).
#[derive(Debug, Clone, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(deny_unknown_fields)]
#[cfg_attr(feature = "clap", derive(clap::Args))]
pub struct CloseRound {
    #[serde(deserialize_with = "u64_text")]
    pub round: u64,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct RoundClosed {
    pub round: u64,
    pub project: String,
    /// Every point given in the round.
    pub total: u64,
    pub shares: Vec<PeerShareRow>,
    pub replayed: bool,
}

operation!(CloseRound => RoundClosed, Post "/api/v1/rounds/{round}/close", "peer",
    "Closes a round: peer share = points received / points given (custodians only)");

impl Write for CloseRound {
    fn command(&self, _actor: &str) -> OpResult<Command> {
        Ok(Command::CloseRound { round: self.round })
    }

    fn view(&self, state: &State, executed: &Executed) -> OpResult<RoundClosed> {
        let_outcome!(executed, Outcome::RoundClosed { total, shares, .. });
        Ok(RoundClosed {
            round: self.round,
            project: state.peer_round(self.round)?.project.clone(),
            total: *total,
            shares: shares.iter().map(PeerShareRow::of).collect(),
            replayed: executed.replayed,
        })
    }
}

#[derive(Debug, Clone, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct GiverRow {
    pub agent: String,
    pub spent: u64,
    pub left: u64,
}

fn round_status(round: &Round) -> String {
    if round.is_open() { "open" } else { "closed" }.to_string()
}

/// A round: budget, members, gifts and its shares.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct RoundShow {
    pub round: u64,
    pub project: String,
    /// `open` or `closed`.
    pub status: String,
    pub budget: u64,
    pub opened_on: String,
    pub closed_on: Option<String>,
    pub eligible: Vec<String>,
    pub opted_out: Vec<String>,
    /// giver -> recipient -> points
    pub gifts: BTreeMap<String, BTreeMap<String, u64>>,
    pub givers: Vec<GiverRow>,
    /// Every point given in the round.
    pub total: u64,
    /// The shares of an open round, as they would be if it closed now.
    pub provisional: bool,
    pub shares: Vec<PeerShareRow>,
}

impl RoundShow {
    pub fn of(round: &Round) -> RoundShow {
        let (total, shares) = match &round.closed {
            Some(closed) => (closed.total, closed.shares.clone()),
            None => round.provisional_shares(),
        };
        RoundShow {
            round: round.id,
            project: round.project.clone(),
            status: round_status(round),
            budget: round.budget,
            opened_on: round.opened_on.to_string(),
            closed_on: round.closed.as_ref().map(|c| c.date.to_string()),
            eligible: round.eligible.clone(),
            opted_out: round.opted_out.iter().cloned().collect(),
            gifts: round.gifts.clone(),
            givers: round
                .eligible
                .iter()
                .map(|a| GiverRow {
                    agent: a.clone(),
                    spent: round.spent(a),
                    left: round.budget.saturating_sub(round.spent(a)),
                })
                .collect(),
            total,
            provisional: round.is_open(),
            shares: shares.iter().map(PeerShareRow::of).collect(),
        }
    }
}

/// One peer round: eligible agents, gifts, and its shares (provisional while open).
#[derive(Debug, Clone, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(deny_unknown_fields)]
#[cfg_attr(feature = "clap", derive(clap::Args))]
pub struct ShowRound {
    #[serde(deserialize_with = "u64_text")]
    pub round: u64,
}

operation!(ShowRound => RoundShow, Get "/api/v1/rounds/{round}", "peer",
    "One peer round: eligible agents, gifts, and its shares (provisional while open)");

impl Read for ShowRound {
    fn view(&self, state: &State, _: &Reading) -> OpResult<RoundShow> {
        Ok(RoundShow::of(state.peer_round(self.round)?))
    }
}

#[derive(Debug, Clone, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct RoundRow {
    pub round: u64,
    /// `open` or `closed`.
    pub status: String,
    pub budget: u64,
    pub opened_on: String,
    pub closed_on: Option<String>,
    /// How many agents take part.
    pub eligible: usize,
    /// Every point given so far.
    pub given: u64,
}

impl RoundRow {
    pub fn of(round: &Round) -> RoundRow {
        RoundRow {
            round: round.id,
            status: round_status(round),
            budget: round.budget,
            opened_on: round.opened_on.to_string(),
            closed_on: round.closed.as_ref().map(|c| c.date.to_string()),
            eligible: round.eligible.len(),
            given: round.gifts.values().flat_map(|g| g.values()).sum(),
        }
    }
}

/// A project's peer rounds, oldest first.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(deny_unknown_fields)]
#[cfg_attr(feature = "clap", derive(clap::Args))]
pub struct ListRounds {
    pub project: String,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct RoundsOut {
    pub project: String,
    pub rounds: Vec<RoundRow>,
}

operation!(ListRounds => RoundsOut, Get "/api/v1/projects/{project}/rounds", "peer",
    "A project's peer rounds, oldest first");

impl Read for ListRounds {
    fn view(&self, state: &State, _: &Reading) -> OpResult<RoundsOut> {
        state.project(&self.project)?;
        Ok(RoundsOut {
            project: self.project.clone(),
            rounds: state.peer_rounds(&self.project).map(RoundRow::of).collect(),
        })
    }
}

// ---------------------------------------------------------------------------------------------
// Steward points and the blend

/// Steward recognition: points a custodian gives an agent, with a public reason.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(deny_unknown_fields)]
#[cfg_attr(feature = "clap", derive(clap::Args))]
pub struct StewardGive {
    pub project: String,
    pub agent: String,
    pub points: u64,
    #[cfg_attr(feature = "clap", arg(long, value_name = "TEXT"))]
    pub reason: String,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct StewardGiven {
    pub project: String,
    pub agent: String,
    pub points: u64,
    pub reason: String,
    /// The custodian who gave them.
    pub by: String,
    /// The agent's steward points in the project after this award.
    pub agent_points: u64,
    /// Everyone's steward points in the project after this award.
    pub total_points: u64,
    pub replayed: bool,
}

operation!(StewardGive => StewardGiven, Post "/api/v1/projects/{project}/steward", "peer",
    "Steward recognition: points a custodian gives an agent, with a public reason");

impl Write for StewardGive {
    const CREATES: bool = true;

    fn command(&self, _actor: &str) -> OpResult<Command> {
        Ok(Command::StewardGive {
            project: self.project.clone(),
            agent: self.agent.clone(),
            points: self.points,
            reason: self.reason.clone(),
        })
    }

    fn view(&self, state: &State, executed: &Executed) -> OpResult<StewardGiven> {
        state.project(&self.project)?;
        // The awards up to this one (a retry answers as of the first award).
        let awards: Vec<_> = state
            .peer_project(&self.project)
            .map(|p| p.steward.as_slice())
            .unwrap_or_default()
            .iter()
            .filter(|a| a.seq <= executed.seq)
            .collect();
        let award = awards
            .iter()
            .find(|a| a.seq == executed.seq)
            .ok_or_else(|| unexpected(executed))?;
        Ok(StewardGiven {
            project: self.project.clone(),
            agent: award.agent.clone(),
            points: award.points,
            reason: award.reason.clone(),
            by: award.by.clone(),
            agent_points: awards
                .iter()
                .filter(|a| a.agent == award.agent)
                .map(|a| a.points)
                .sum(),
            total_points: awards.iter().map(|a| a.points).sum(),
            replayed: executed.replayed,
        })
    }
}

#[derive(Debug, Clone, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct StewardAwardRow {
    /// The event that recorded the award.
    pub event: u64,
    pub date: String,
    pub by: String,
    pub agent: String,
    pub points: u64,
    pub reason: String,
}

/// A project's steward awards and each agent's points.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(deny_unknown_fields)]
#[cfg_attr(feature = "clap", derive(clap::Args))]
pub struct ListStewardAwards {
    pub project: String,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct StewardAwardsOut {
    pub project: String,
    /// Every steward point given in the project.
    pub total: u64,
    /// Each agent's points, in byte order of handle.
    pub points: BTreeMap<String, u64>,
    /// The awards, oldest first.
    pub awards: Vec<StewardAwardRow>,
}

operation!(ListStewardAwards => StewardAwardsOut, Get "/api/v1/projects/{project}/steward",
    "peer", "A project's steward awards and each agent's points");

impl Read for ListStewardAwards {
    fn view(&self, state: &State, _: &Reading) -> OpResult<StewardAwardsOut> {
        state.project(&self.project)?;
        let awards = state
            .peer_project(&self.project)
            .map(|p| p.steward.as_slice())
            .unwrap_or_default();
        let mut points = BTreeMap::new();
        for a in awards {
            *points.entry(a.agent.clone()).or_insert(0) += a.points;
        }
        Ok(StewardAwardsOut {
            project: self.project.clone(),
            total: points.values().sum(),
            points,
            awards: awards
                .iter()
                .map(|a| StewardAwardRow {
                    event: a.seq,
                    date: a.date.to_string(),
                    by: a.by.clone(),
                    agent: a.agent.clone(),
                    points: a.points,
                    reason: a.reason.clone(),
                })
                .collect(),
        })
    }
}

/// Sets the blend of formula, peer and steward shares: decimals adding up to exactly 1
/// (custodians only).
#[derive(Debug, Clone, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(deny_unknown_fields)]
#[cfg_attr(feature = "clap", derive(clap::Args))]
pub struct SetBlend {
    pub project: String,
    #[cfg_attr(
        feature = "clap",
        arg(long, value_name = "W", allow_negative_numbers = true)
    )]
    pub formula: String,
    #[cfg_attr(
        feature = "clap",
        arg(long, value_name = "W", allow_negative_numbers = true)
    )]
    pub peer: String,
    #[cfg_attr(
        feature = "clap",
        arg(long, value_name = "W", allow_negative_numbers = true)
    )]
    pub steward: String,
}

/// The blend now in force.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct BlendSet {
    pub project: String,
    pub formula: String,
    pub peer: String,
    pub steward: String,
}

operation!(SetBlend => BlendSet, Put "/api/v1/projects/{project}/blend", "peer",
    "Sets the blend of formula, peer and steward shares, adding up to exactly 1 (custodians only)");

impl Write for SetBlend {
    fn command(&self, _actor: &str) -> OpResult<Command> {
        Ok(Command::SetBlend {
            project: self.project.clone(),
            formula: self.formula.clone(),
            peer: self.peer.clone(),
            steward: self.steward.clone(),
        })
    }

    fn view(&self, state: &State, executed: &Executed) -> OpResult<BlendSet> {
        let blend = state
            .peer_project(&self.project)
            .and_then(|p| p.blend())
            .ok_or_else(|| unexpected(executed))?;
        Ok(BlendSet {
            project: self.project.clone(),
            formula: blend.formula.to_string(),
            peer: blend.peer.to_string(),
            steward: blend.steward.to_string(),
        })
    }
}

#[derive(Debug, Clone, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct Weights {
    pub formula: String,
    pub peer: String,
    pub steward: String,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct BlendedRow {
    pub agent: String,
    pub formula: String,
    pub peer: String,
    pub steward: String,
    pub blended: String,
    pub value: String,
    pub received: u64,
    pub steward_points: u64,
}

/// Formula, peer, steward and blended shares side by side.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct BlendedOut {
    pub project: String,
    pub as_of: String,
    pub weights: Weights,
    pub blend_set: bool,
    pub round: Option<u64>,
    pub shares: Vec<BlendedRow>,
}

impl BlendedOut {
    pub fn of(project: &Project, as_of: Date, report: &BlendReport) -> BlendedOut {
        BlendedOut {
            project: project.slug.to_string(),
            as_of: as_of.to_string(),
            weights: Weights {
                formula: report.formula.to_string(),
                peer: report.peer.to_string(),
                steward: report.steward.to_string(),
            },
            blend_set: report.blend_set,
            round: report.round,
            shares: report
                .rows
                .iter()
                .map(|r| BlendedRow {
                    agent: r.agent.clone(),
                    formula: share_text(&r.formula),
                    peer: share_text(&r.peer),
                    steward: share_text(&r.steward),
                    blended: share_text(&r.blended),
                    value: r.value.display(project.exponent),
                    received: r.received,
                    steward_points: r.steward_points,
                })
                .collect(),
        }
    }
}

// ---------------------------------------------------------------------------------------------
// Bounties

#[derive(Debug, Clone, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct BountyRow {
    pub task: String,
    /// In the project's currency.
    pub reward: String,
    pub description: Option<String>,
    /// `open`, `awarded` (waiting for a pool), `paid` (by a pool) or `forfeited` (a bad
    /// leave).
    pub status: String,
    /// Who completed the task.
    pub agent: Option<String>,
    /// The custodian who approved the award.
    pub approved_by: Option<String>,
    /// The counted `bounty` contribution logged for the award.
    pub contribution: Option<u64>,
    /// The pool allocation that paid the reward.
    pub pool: Option<u64>,
}

impl BountyRow {
    pub fn of(project: &Project, bounty: &Bounty) -> BountyRow {
        let award = bounty.award.as_ref();
        let status = match award {
            None => "open",
            Some(a) if a.forfeited => "forfeited",
            Some(a) if a.allocated_in.is_some() => "paid",
            Some(_) => "awarded",
        };
        BountyRow {
            task: bounty.task.clone(),
            reward: format_amount(bounty.reward, project.exponent),
            description: bounty.description.clone(),
            status: status.to_string(),
            agent: award.map(|a| a.agent.clone()),
            approved_by: award.map(|a| a.approved_by.clone()),
            contribution: award.map(|a| a.contribution),
            pool: award.and_then(|a| a.allocated_in),
        }
    }
}

/// Adds a task with a fixed reward in the project's currency (custodians only).
#[derive(Debug, Clone, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(deny_unknown_fields)]
#[cfg_attr(feature = "clap", derive(clap::Args))]
pub struct AddBounty {
    pub project: String,
    pub task: String,
    /// In the project's currency.
    #[cfg_attr(
        feature = "clap",
        arg(long, value_name = "AMOUNT", allow_negative_numbers = true)
    )]
    pub reward: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[cfg_attr(feature = "clap", arg(long, value_name = "TEXT"))]
    pub description: Option<String>,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct BountyAdded {
    pub project: String,
    pub currency: String,
    #[serde(flatten)]
    pub bounty: BountyRow,
}

operation!(AddBounty => BountyAdded, Post "/api/v1/projects/{project}/bounties", "peer",
    "Adds a task with a fixed reward in the project's currency (custodians only)");

impl Write for AddBounty {
    const CREATES: bool = true;

    fn command(&self, _actor: &str) -> OpResult<Command> {
        Ok(Command::AddBounty {
            project: self.project.clone(),
            task: self.task.clone(),
            reward: self.reward.clone(),
            description: self.description.clone(),
        })
    }

    fn view(&self, state: &State, executed: &Executed) -> OpResult<BountyAdded> {
        let project = state.project(&self.project)?;
        let bounty = state
            .peer_project(&self.project)
            .and_then(|p| p.bounties.get(&self.task))
            .ok_or_else(|| unexpected(executed))?;
        Ok(BountyAdded {
            project: self.project.clone(),
            currency: project.currency.clone(),
            bounty: BountyRow::of(project, bounty),
        })
    }
}

/// Awards a bounty to the agent who did the task; the caller (a custodian) approves it.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(deny_unknown_fields)]
#[cfg_attr(feature = "clap", derive(clap::Args))]
pub struct CompleteBounty {
    pub project: String,
    pub task: String,
    /// The agent who did the task.
    pub agent: String,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct BountyCompleted {
    pub project: String,
    pub task: String,
    pub agent: String,
    pub reward: String,
    pub currency: String,
    /// The counted `bounty` contribution logged for it.
    pub contribution: u64,
    pub value: String,
    pub approved_by: String,
    pub replayed: bool,
}

operation!(CompleteBounty => BountyCompleted,
    Post "/api/v1/projects/{project}/bounties/{task}/complete", "peer",
    "Awards a bounty to the agent who did the task; the caller (a custodian) approves it");

impl Write for CompleteBounty {
    fn command(&self, _actor: &str) -> OpResult<Command> {
        Ok(Command::CompleteBounty {
            project: self.project.clone(),
            task: self.task.clone(),
            agent: self.agent.clone(),
        })
    }

    fn view(&self, state: &State, executed: &Executed) -> OpResult<BountyCompleted> {
        let_outcome!(
            executed,
            &Outcome::BountyAwarded {
                contribution,
                value
            }
        );
        let project = state.project(&self.project)?;
        let bounty = state
            .peer_project(&self.project)
            .and_then(|peer| peer.bounties.get(&self.task))
            .ok_or_else(|| unexpected(executed))?;
        let award = bounty.award.as_ref().ok_or_else(|| unexpected(executed))?;
        Ok(BountyCompleted {
            project: self.project.clone(),
            task: self.task.clone(),
            agent: award.agent.clone(),
            reward: format_amount(bounty.reward, project.exponent),
            currency: project.currency.clone(),
            contribution,
            value: value.display(project.exponent),
            approved_by: award.approved_by.clone(),
            replayed: executed.replayed,
        })
    }
}

/// A project's bounties, in byte order of task, and who completed them.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(deny_unknown_fields)]
#[cfg_attr(feature = "clap", derive(clap::Args))]
pub struct ListBounties {
    pub project: String,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct BountiesOut {
    pub project: String,
    pub currency: String,
    pub bounties: Vec<BountyRow>,
}

operation!(ListBounties => BountiesOut, Get "/api/v1/projects/{project}/bounties", "peer",
    "A project's bounties, in byte order of task, and who completed them");

impl Read for ListBounties {
    fn view(&self, state: &State, _: &Reading) -> OpResult<BountiesOut> {
        let project = state.project(&self.project)?;
        let bounties = state
            .peer_project(&self.project)
            .map(|peer| {
                peer.bounties
                    .values()
                    .map(|b| BountyRow::of(project, b))
                    .collect()
            })
            .unwrap_or_default();
        Ok(BountiesOut {
            project: self.project.clone(),
            currency: project.currency.clone(),
            bounties,
        })
    }
}

// ---------------------------------------------------------------------------------------------
// Pools

#[derive(Debug, Clone, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct PoolLineOut {
    pub agent: String,
    /// The share the rest was split by.
    pub share: String,
    /// Bounty rewards paid first.
    pub bounty: String,
    pub by_share: String,
    /// `bounty + by_share`.
    pub units: String,
}

impl PoolLineOut {
    pub fn of(line: &PoolLine, exponent: u32) -> PoolLineOut {
        PoolLineOut {
            agent: line.agent.clone(),
            share: share_text(&line.share),
            bounty: format_amount(line.bounty, exponent),
            by_share: format_amount(line.by_share, exponent),
            units: format_amount(line.units, exponent),
        }
    }
}

/// A pool allocation.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct PoolOut {
    pub pool: u64,
    pub project: String,
    pub date: String,
    /// The idempotency key it was made with.
    pub key: Option<String>,
    pub size: String,
    pub currency: String,
    /// Tasks whose rewards this allocation paid first.
    pub bounties: Vec<String>,
    /// Units per agent, in byte order of handle.
    pub units: BTreeMap<String, String>,
    pub lines: Vec<PoolLineOut>,
    /// True when this answers a retry (same idempotency key): nothing new was recorded.
    pub replayed: bool,
}

impl PoolOut {
    pub fn of(project: &Project, pool: &PoolAllocation, replayed: bool) -> PoolOut {
        let exponent = project.exponent;
        PoolOut {
            pool: pool.id,
            project: project.slug.to_string(),
            date: pool.date.to_string(),
            key: pool.key.clone(),
            size: format_amount(pool.size, exponent),
            currency: pool.asset.clone(),
            bounties: pool.bounties.clone(),
            units: pool
                .lines
                .iter()
                .map(|l| (l.agent.clone(), format_amount(l.units, exponent)))
                .collect(),
            lines: pool
                .lines
                .iter()
                .map(|l| PoolLineOut::of(l, exponent))
                .collect(),
            replayed,
        }
    }
}

/// Allocates a pool of the project's currency: waiting bounty rewards first, the rest by
/// blended share, largest remainder (custodians only). Needs an idempotency key, so that a
/// retry never allocates twice.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(deny_unknown_fields)]
#[cfg_attr(feature = "clap", derive(clap::Args))]
pub struct AllocatePool {
    pub project: String,
    /// Units of the project's currency to allocate.
    #[cfg_attr(
        feature = "clap",
        arg(long, value_name = "N", allow_negative_numbers = true)
    )]
    pub size: String,
}

operation!(AllocatePool => PoolOut, Post "/api/v1/projects/{project}/pool-allocations", "peer",
    "Allocates a pool: waiting bounty rewards first, the rest by blended share (custodians only; needs an Idempotency-Key)");

impl Write for AllocatePool {
    const CREATES: bool = true;

    fn command(&self, _actor: &str) -> OpResult<Command> {
        Ok(Command::AllocatePool {
            project: self.project.clone(),
            pool: self.size.clone(),
        })
    }

    fn view(&self, state: &State, executed: &Executed) -> OpResult<PoolOut> {
        let_outcome!(executed, &Outcome::PoolAllocated { id, .. });
        let project = state.project(&self.project)?;
        let pool = state
            .peer_project(&self.project)
            .and_then(|peer| peer.pools.iter().find(|x| x.id == id))
            .ok_or_else(|| unexpected(executed))?;
        Ok(PoolOut::of(project, pool, executed.replayed))
    }
}

/// A project's pool allocations, oldest first.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(deny_unknown_fields)]
#[cfg_attr(feature = "clap", derive(clap::Args))]
pub struct ListPools {
    pub project: String,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct PoolsOut {
    pub project: String,
    pub pools: Vec<PoolOut>,
}

operation!(ListPools => PoolsOut, Get "/api/v1/projects/{project}/pool-allocations", "peer",
    "A project's pool allocations, oldest first");

impl Read for ListPools {
    fn view(&self, state: &State, _: &Reading) -> OpResult<PoolsOut> {
        let project = state.project(&self.project)?;
        let pools = state
            .peer_project(&self.project)
            .map(|peer| peer.pools.as_slice())
            .unwrap_or_default();
        Ok(PoolsOut {
            project: self.project.clone(),
            pools: pools
                .iter()
                .map(|x| PoolOut::of(project, x, false))
                .collect(),
        })
    }
}

// ---------------------------------------------------------------------------------------------
// Leavers

/// Enables or disables leavers in a project (custodians only).
#[derive(Debug, Clone, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(deny_unknown_fields)]
pub struct SetLeaverPolicy {
    pub project: String,
    pub enabled: bool,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct LeaverPolicySet {
    pub project: String,
    pub enabled: bool,
}

operation!(SetLeaverPolicy => LeaverPolicySet, Put "/api/v1/projects/{project}/leaver-policy",
    "peer", "Enables or disables leavers in a project (custodians only)");

impl Write for SetLeaverPolicy {
    fn command(&self, _actor: &str) -> OpResult<Command> {
        Ok(Command::SetLeaverPolicy {
            project: self.project.clone(),
            enabled: self.enabled,
        })
    }

    fn view(&self, state: &State, _: &Executed) -> OpResult<LeaverPolicySet> {
        state.project(&self.project)?;
        Ok(LeaverPolicySet {
            project: self.project.clone(),
            enabled: self.enabled,
        })
    }
}

/// Records that an agent left a project, as a good or a bad leaver (custodians only).
#[derive(Debug, Clone, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(deny_unknown_fields)]
pub struct Leave {
    pub project: String,
    pub agent: String,
    /// A good leaver keeps their value; a bad one forfeits by the project's policy.
    pub good: bool,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct ValueChangeOut {
    pub contribution: u64,
    pub before: String,
    pub after: String,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct LeftOut {
    pub project: String,
    pub agent: String,
    pub good: bool,
    /// Value the leave took away (0 for a good leaver).
    pub forfeited: String,
    pub currency: String,
    /// The contributions a bad leave re-valued.
    pub changes: Vec<ValueChangeOut>,
    /// Awarded bounties the leave forfeited before any pool paid them.
    pub forfeited_bounties: Vec<String>,
    pub replayed: bool,
}

operation!(Leave => LeftOut, Post "/api/v1/projects/{project}/leavers", "peer",
    "Records that an agent left a project, as a good or a bad leaver (custodians only)");

impl Write for Leave {
    const CREATES: bool = true;

    fn command(&self, _actor: &str) -> OpResult<Command> {
        Ok(Command::Leave {
            project: self.project.clone(),
            agent: self.agent.clone(),
            good: self.good,
        })
    }

    fn view(&self, state: &State, executed: &Executed) -> OpResult<LeftOut> {
        let_outcome!(
            executed,
            Outcome::Left {
                agent,
                good,
                forfeited,
                changes,
                forfeited_bounties
            }
        );
        let project = state.project(&self.project)?;
        Ok(LeftOut {
            project: self.project.clone(),
            agent: agent.clone(),
            good: *good,
            forfeited: forfeited.display(project.exponent),
            currency: project.currency.clone(),
            changes: changes
                .iter()
                .map(|c| ValueChangeOut {
                    contribution: c.contribution,
                    before: c.before.display(project.exponent),
                    after: c.after.display(project.exponent),
                })
                .collect(),
            forfeited_bounties: forfeited_bounties.clone(),
            replayed: executed.replayed,
        })
    }
}

// ---------------------------------------------------------------------------------------------
// The cap table

#[derive(Debug, Clone, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct CapRowOut {
    pub handle: String,
    /// Formula value (counted contributions other than bounty awards).
    pub value: String,
    /// The share the next pool allocation gives.
    pub share: String,
    /// Units allocated by pools up to the date.
    pub units: String,
    /// units / every unit allocated up to the date.
    pub units_share: String,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct CaptableOut {
    pub project: String,
    pub as_of: String,
    pub currency: String,
    /// The event that logged this snapshot, or null for a snapshot that was not recorded.
    pub recorded: Option<u64>,
    pub rows: Vec<CapRowOut>,
}

impl CaptableOut {
    pub fn of(project: &Project, rows: &[CapRow], as_of: Date, recorded: Option<u64>) -> Self {
        CaptableOut {
            project: project.slug.to_string(),
            as_of: as_of.to_string(),
            currency: project.currency.clone(),
            recorded,
            rows: rows
                .iter()
                .map(|r| CapRowOut {
                    handle: r.agent.clone(),
                    value: r.value.display(project.exponent),
                    share: share_text(&r.share),
                    units: format_amount(r.units, project.exponent),
                    units_share: share_text(&r.units_share),
                })
                .collect(),
        }
    }
}

/// A project's cap table as of a day (today by default): value, share, units and units share
/// of each agent.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(deny_unknown_fields)]
pub struct Captable {
    pub project: String,
    /// Values decayed to this day, `YYYY-MM-DD` (default: today).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub as_of: Option<String>,
}

operation!(Captable => CaptableOut, Get "/api/v1/projects/{project}/captable", "peer",
    "A project's cap table as of a day (today by default): value, share, units and units share of each agent");

impl Read for Captable {
    fn view(&self, state: &State, reader: &Reading) -> OpResult<CaptableOut> {
        let as_of = as_of(self.as_of.as_deref(), reader)?;
        let project = state.project(&self.project)?;
        let rows = state.cap_table(&self.project, as_of)?;
        Ok(CaptableOut::of(project, &rows, as_of, None))
    }
}

/// Records a snapshot of a project's cap table in the log, as of the day it is recorded
/// (custodians only).
#[derive(Debug, Clone, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(deny_unknown_fields)]
pub struct RecordCaptable {
    pub project: String,
}

operation!(RecordCaptable => CaptableOut, Post "/api/v1/projects/{project}/captable", "peer",
    "Records a snapshot of a project's cap table in the log, as of the day it is recorded (custodians only)");

impl Write for RecordCaptable {
    const CREATES: bool = true;

    fn command(&self, _actor: &str) -> OpResult<Command> {
        Ok(Command::Captable {
            project: self.project.clone(),
        })
    }

    fn view(&self, state: &State, executed: &Executed) -> OpResult<CaptableOut> {
        let_outcome!(executed, Outcome::CapTable { rows });
        // A retry with the same key answers the first snapshot, with its own date.
        let date = state
            .peer_project(&self.project)
            .and_then(|p| p.cap_tables.iter().find(|t| t.seq == executed.seq))
            .map(|t| t.date)
            .ok_or_else(|| unexpected(executed))?;
        let project = state.project(&self.project)?;
        Ok(CaptableOut::of(project, rows, date, Some(executed.seq)))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::agents::{AddAgent, RoleName};
    use crate::contributions::LogContribution;
    use crate::projects::{AddProject, SetRate};
    use crate::{Clock, Local};

    fn book(dir: &tempfile::TempDir) -> Local {
        let store = fairshare_sqlite::SqliteStore::open(&dir.path().join("book.db")).expect("db");
        let clock = Clock::new(Some("2026-11-21T10:00:00Z")).expect("clock");
        let mut book = Local::open(Box::new(store), clock).expect("book");
        let op = "operator";
        for (handle, role) in [("ana", RoleName::Custodian), ("bo", RoleName::Affiliate)] {
            let agent = AddAgent {
                handle: handle.into(),
                name: None,
                role,
            };
            book.write(op, None, &agent).expect("agent");
        }
        let project = AddProject {
            slug: "p".into(),
            name: None,
            currency: "UNITS".into(),
            exponent: 0,
            approvals: 0,
        };
        book.write(op, None, &project).expect("project");
        let rate = SetRate {
            project: "p".into(),
            category: "dev".into(),
            per_hour: "1".into(),
        };
        book.write(op, None, &rate).expect("rate");
        for agent in ["ana", "bo"] {
            // As the API receives it: the optional fields take their defaults.
            let work: LogContribution = serde_json::from_value(serde_json::json!({
                "project": "p", "agent": agent, "kind": "work", "category": "dev", "hours": "10",
            }))
            .expect("request");
            book.write(op, None, &work).expect("work");
        }
        book
    }

    #[test]
    fn a_gift_and_an_opt_out_name_the_caller_by_default_even_on_a_retry() {
        let dir = tempfile::tempdir().expect("dir");
        let mut book = book(&dir);
        let open = OpenRound {
            project: "p".into(),
            budget: None,
            eligible: None,
        };
        let opened = book.write("ana", None, &open).expect("open");
        assert_eq!(opened.eligible, ["ana", "bo"]);
        let give = Give {
            round: opened.round,
            from: None,
            to: "ana".into(),
            points: 40,
        };
        let given = book.write("bo", Some("g1"), &give).expect("give");
        assert_eq!((given.from.as_str(), given.left), ("bo", 60));
        let again = book.write("bo", Some("g1"), &give).expect("retry");
        assert!(again.replayed);
        assert_eq!(again.from, "bo");
        let out = OptOut {
            round: opened.round,
            agent: None,
        };
        assert_eq!(book.write("bo", None, &out).expect("opt out").agent, "bo");
        let shown = book.read(None, &ShowRound { round: 1 }).expect("show");
        assert_eq!(shown.opted_out, ["bo"]);
    }

    #[test]
    fn a_retried_steward_award_answers_as_of_the_first() {
        let dir = tempfile::tempdir().expect("dir");
        let mut book = book(&dir);
        let award = |agent: &str| StewardGive {
            project: "p".into(),
            agent: agent.into(),
            points: 10,
            reason: "kept the lights on".into(),
        };
        let first = book.write("ana", Some("s1"), &award("bo")).expect("award");
        book.write("ana", None, &award("bo")).expect("another");
        let again = book.write("ana", Some("s1"), &award("bo")).expect("retry");
        assert!(again.replayed);
        assert_eq!((again.agent_points, again.total_points), (10, 10));
        assert_eq!(again.by, first.by);
        let list = book
            .read(
                None,
                &ListStewardAwards {
                    project: "p".into(),
                },
            )
            .expect("list");
        assert_eq!((list.total, list.awards.len()), (20, 2));
    }
}
