//! Peer valuation: rounds, steward points, the blend, bounties, pools, leavers, the cap table.

use fairshare_core::{BlendReport, Date, Project, Share};
use serde::{Deserialize, Serialize};

/// An exact share as a decimal (rounded half-to-even at 18 decimals).
pub fn share_text(share: &Share) -> String {
    fairshare_core::value::ratio_decimal(share.0.numer(), share.0.denom())
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
