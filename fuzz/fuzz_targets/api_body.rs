//! Every API request: the first byte picks the operation (one of the server's route table),
//! the rest is a write's JSON body or a read's query string, read into the request type as
//! the server reads it. A request that reads writes back as the same JSON; a write's command
//! is decided (and applied) on the demo book, a read's view rendered from it, and a
//! timesheet import (`POST /api/v1/timesheets`) planned on it and reported as a dry run.
#![no_main]

use fairshare_core::Date;
use fairshare_fuzz::{ACTORS, FUZZ_DAY, decide_and_apply, next_ctx, seeded};
use fairshare_ops::{
    Read, Reading, Write, agents, contributions, corrections, distributions, forecasts, governance,
    membership, peer, plans, projects, reports, resources, timesheets, tokens, treasury,
};
use libfuzzer_sys::fuzz_target;
use serde::Serialize;
use serde::de::DeserializeOwned;

/// The request reads, and writes back as JSON that reads into the same request.
fn round_trip<O: Serialize + DeserializeOwned>(request: &O) {
    let json = serde_json::to_value(request).expect("a request serialises");
    let again: O = serde_json::from_value(json.clone())
        .unwrap_or_else(|e| panic!("a request reads back: {e}\n{json}"));
    let json_again = serde_json::to_value(&again).expect("a request serialises");
    assert_eq!(json_again, json);
}

fn write<O: Write>(actor: u8, body: &[u8]) {
    let Ok(request) = serde_json::from_slice::<O>(body) else {
        return;
    };
    round_trip(&request);
    let state = seeded();
    let ctx = next_ctx(state, actor);
    let Ok(command) = request.command(&ctx.actor) else {
        return;
    };
    decide_and_apply(state, &ctx, &command);
}

fn read<O: Read>(actor: u8, query: &[u8]) {
    let Ok(request) = serde_urlencoded::from_bytes::<O>(query) else {
        return;
    };
    let state = seeded();
    let handle = ACTORS[usize::from(actor) % ACTORS.len()];
    let reader = Reading {
        actor: Some(handle.to_string()),
        role: state.agent(handle).map(|a| a.role).ok(),
        today: Date::parse(FUZZ_DAY).expect("a day"),
    };
    if let Ok(view) = request.view(state, &reader) {
        serde_json::to_string(&view).expect("a view serialises");
    }
}

/// A timesheet import: every row that plans reports (its value, or the contribution it is).
fn timesheet(actor: u8, body: &[u8]) {
    let Ok(request) = serde_json::from_slice::<timesheets::ImportTimesheet>(body) else {
        return;
    };
    round_trip(&request);
    let state = seeded();
    let handle = ACTORS[usize::from(actor) % ACTORS.len()];
    let today = Date::parse(FUZZ_DAY).expect("a day");
    if let Ok(planned) = request.plan(state, handle, today) {
        let view = request
            .dry_run_view(state, handle, today, &planned)
            .expect("a planned timesheet reports");
        serde_json::to_string(&view).expect("a view serialises");
    }
}

macro_rules! operations {
    (writes: [$($w:ty),* $(,)?], reads: [$($r:ty),* $(,)?]) => {
        const WRITES: &[fn(u8, &[u8])] = &[$(write::<$w>),*];
        const READS: &[fn(u8, &[u8])] = &[$(read::<$r>),*];
    };
}

operations! {
    writes: [
        agents::AddAgent, membership::RequestJoin, membership::AdmitAgent,
        membership::DeclineJoin, membership::SetRole, membership::ProposeProject,
        membership::AdmitProject, membership::DeclineProject, membership::AddMember,
        membership::RemoveMember, projects::AddProject, projects::SetRate, projects::SetSkill,
        projects::SetMultiplier, projects::SetDecay, projects::RemoveDecay, projects::Revalue,
        contributions::LogContribution, contributions::Approve, contributions::Reject,
        corrections::Adjust, corrections::Reverse, corrections::ApproveCorrection,
        corrections::RejectCorrection, plans::SetPlan, distributions::RecordRevenue,
        distributions::ReleaseBank, resources::OpenCampaign, resources::Pledge,
        resources::CancelCampaign, resources::Purchase, resources::AddResource,
        resources::SetFees, resources::UseResource, resources::CommunityAdd,
        resources::CommunityRemove, tokens::CreateToken, tokens::Presale, tokens::Buy,
        tokens::Redeem, tokens::Donate, tokens::Transfer, tokens::PayWithToken,
        tokens::AcceptToken, treasury::RequestPayout, treasury::ApprovePayout,
        treasury::RejectPayout, treasury::SubmitExpense, treasury::ApproveExpense,
        treasury::RejectExpense, treasury::TransferMoney, treasury::Exchange, peer::OpenRound,
        peer::Give, peer::OptOut, peer::CloseRound, peer::StewardGive, peer::SetBlend,
        peer::AddBounty, peer::CompleteBounty, peer::AllocatePool, peer::SetLeaverPolicy,
        peer::Leave, peer::RecordCaptable, governance::SetGovernance,
        governance::SetNetworkGovernance, governance::Propose, governance::Vote,
        governance::CloseProposal, governance::WithdrawProposal, governance::EnactProposal,
    ],
    reads: [
        agents::ListAgents, agents::ShowAgent, membership::ListJoinRequests,
        membership::ListProjectProposals, projects::ListProjects, projects::ShowProject,
        contributions::ListContributions, contributions::ShowContribution,
        contributions::Shares, plans::ShowPlan, distributions::PreviewRevenue,
        forecasts::EstimateRevenue, reports::ProjectReport, reports::AgentStatement,
        distributions::ListDistributions, distributions::ShowStatement,
        distributions::ListBalances, distributions::ShowBalance, resources::ListCampaigns,
        resources::ShowCampaign, resources::ListResources, resources::ShowResource,
        tokens::ListTokens, tokens::ShowToken, treasury::ListPayouts, treasury::ListExpenses,
        peer::ListRounds, peer::ShowRound, peer::ListStewardAwards, peer::ListBounties,
        peer::ListPools, peer::Captable, governance::ShowGovernance,
        governance::ShowNetworkGovernance, governance::ListProposals, governance::ShowProposal,
        governance::PolicyHistory, governance::PlanHistory,
    ]
}

fuzz_target!(|data: &[u8]| {
    let [selector, actor, body @ ..] = data else {
        return;
    };
    let index = usize::from(*selector);
    if let Some(op) = WRITES.get(index) {
        op(*actor, body);
    } else if let Some(op) = READS.get(index - WRITES.len()) {
        op(*actor, body);
    } else if index == WRITES.len() + READS.len() {
        timesheet(*actor, body);
    }
});
