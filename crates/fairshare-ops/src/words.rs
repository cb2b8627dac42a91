//! Every event in plain words: "marie logged 8 h of engineering on forillon". One function,
//! [`sentence`], from an event's actor and command to a sentence, exhaustive over the
//! commands so that a new kind of event cannot be left unsaid; the state only lends the
//! currencies of projects and tokens. The log's search (`log::SearchLog`) answers them to the
//! API, the CLI and the dashboard alike.

use fairshare_core::{Command, Kind, Role, State};

/// " CAD" for a project's currency, or nothing for a project the state does not know.
fn currency(state: &State, project: &str) -> String {
    state
        .project(project)
        .map(|p| format!(" {}", p.currency))
        .unwrap_or_default()
}

/// The currency of the project a campaign, resource or token belongs to.
fn currency_of_campaign(state: &State, campaign: &str) -> String {
    state
        .campaign(campaign)
        .map(|c| currency(state, &c.project))
        .unwrap_or_default()
}

fn currency_of_token(state: &State, token: &str) -> String {
    state
        .token(token)
        .map(|t| format!(" {}", t.currency))
        .unwrap_or_default()
}

fn role_words(role: Role) -> &'static str {
    match role {
        Role::Custodian => "a custodian",
        Role::Affiliate => "an affiliate",
        Role::Observer => "an observer",
    }
}

fn plural(n: usize, one: &str, many: &str) -> String {
    format!("{n} {}", if n == 1 { one } else { many })
}

/// " (recorded by luc)" when someone recorded it for another agent.
fn recorded_by(actor: &str, agent: &str) -> String {
    if actor == agent {
        String::new()
    } else {
        format!(" (recorded by {actor})")
    }
}

/// What an event did, in words, as its actor did it.
pub fn sentence(state: &State, actor: &str, command: &Command) -> String {
    match command {
        Command::AddAgent { handle, role, .. } => {
            format!("{actor} added {handle} as {}", role_words(*role))
        }
        Command::AddProject { slug, currency, .. } => {
            format!("{actor} added the project {slug} (in {currency})")
        }
        Command::SetRate {
            project,
            category,
            per_hour,
        } => format!(
            "{actor} set the rate of {category} on {project} to {per_hour}{} per hour",
            currency(state, project)
        ),
        Command::SetApprovals {
            project,
            approvals: 0,
        } => format!("{actor} made contributions on {project} count without approval"),
        Command::SetApprovals { project, approvals } => format!(
            "{actor} made contributions on {project} need {}",
            plural(*approvals as usize, "approval", "approvals")
        ),
        Command::SetSkill {
            project,
            agent,
            factor,
        } => format!("{actor} set {agent}'s skill factor on {project} to {factor}"),
        Command::SetMultiplier {
            project,
            kind,
            factor,
        } => format!(
            "{actor} made {} contributions on {project} count {factor} times",
            kind.as_str()
        ),
        Command::SetHalfLife { project, days } => match days {
            Some(days) => format!("{actor} made values on {project} halve every {days} days"),
            None => format!("{actor} stopped values on {project} from decaying"),
        },
        Command::Log { .. } => logged(state, actor, command),
        Command::Approve { id } => format!("{actor} approved contribution {id}"),
        Command::Reject { id, reason } => {
            format!("{actor} rejected contribution {id}: {reason}")
        }
        Command::SetPlan { project, plan } => format!(
            "{actor} set the plan of {project} ({})",
            plural(plan.buckets.len(), "bucket", "buckets")
        ),
        Command::Revenue {
            project,
            amount,
            from,
        } => {
            let from = from
                .as_deref()
                .map(|f| format!(" from {f}"))
                .unwrap_or_default();
            format!(
                "{actor} recorded {amount}{} of revenue on {project}{from}",
                currency(state, project)
            )
        }
        Command::ReleaseBank { project } => {
            format!("{actor} released what the bank of {project} holds")
        }
        Command::Revalue { project } => {
            format!("{actor} re-valued the contributions of {project} by its current policy")
        }
        Command::Cite {
            project,
            agent,
            of,
            percent,
            ..
        } => format!(
            "{agent} reused contribution {of} on {project} at {percent}% of its value{}",
            recorded_by(actor, agent)
        ),
        Command::Adjust {
            id,
            hours,
            amount,
            value,
            reason,
        } => {
            let to = match (hours, amount, value) {
                (Some(hours), _, _) => format!("{hours} h"),
                (_, Some(amount), _) => amount.clone(),
                (_, _, Some(value)) => format!("a value of {value}"),
                _ => "another measure".to_string(),
            };
            format!("{actor} asked to correct contribution {id} to {to}: {reason}")
        }
        Command::Reverse { id, reason } => {
            format!("{actor} asked to withdraw contribution {id}: {reason}")
        }
        Command::ApproveCorrection { id } => format!("{actor} approved correction {id}"),
        Command::RejectCorrection { id, reason } => {
            format!("{actor} rejected correction {id}: {reason}")
        }
        _ => resources_sentence(state, actor, command),
    }
}

/// A contribution logged, by its kind.
fn logged(state: &State, actor: &str, command: &Command) -> String {
    let Command::Log {
        project,
        agent,
        kind,
        category,
        hours,
        amount,
        value,
        gift,
        ..
    } = command
    else {
        return String::new();
    };
    let hours = hours.as_deref().unwrap_or("0");
    let amount = amount.as_deref().unwrap_or("0");
    let value = value.as_deref().unwrap_or("0");
    let cur = currency(state, project);
    let what = match kind {
        Kind::Work => format!(
            "logged {hours} h of {} on {project}",
            category.as_deref().unwrap_or("work")
        ),
        Kind::Cash => format!("gave {amount}{cur} in cash to {project}"),
        Kind::Material => format!("brought {amount}{cur} of material to {project}"),
        Kind::Use => format!("lent their own equipment to {project} for {hours} h"),
        Kind::Cite => format!("logged a reuse worth {value}{cur} on {project}"),
        Kind::Bounty => format!("logged a bounty worth {value}{cur} on {project}"),
    };
    let gift = if *gift { " as a gift" } else { "" };
    format!("{agent} {what}{gift}{}", recorded_by(actor, agent))
}

fn resources_sentence(state: &State, actor: &str, command: &Command) -> String {
    match command {
        Command::OpenCampaign {
            id,
            project,
            target,
            purpose,
        } => {
            let purpose = purpose
                .as_deref()
                .map(|p| format!(" for {p}"))
                .unwrap_or_default();
            format!(
                "{actor} opened the campaign {id} on {project} to raise {target}{}{purpose}",
                currency(state, project)
            )
        }
        Command::Pledge {
            campaign,
            agent,
            amount,
        } => format!(
            "{agent} pledged {amount}{} to the campaign {campaign}{}",
            currency_of_campaign(state, campaign),
            recorded_by(actor, agent)
        ),
        Command::CancelCampaign { campaign } => {
            format!("{actor} cancelled the campaign {campaign} and refunded its pledges")
        }
        Command::Purchase {
            campaign,
            resource,
            premium_percent,
        } => format!(
            "{actor} bought {resource} with the campaign {campaign} (owners' premium {premium_percent}%)"
        ),
        Command::AddResource {
            name,
            project,
            owner,
            value,
        } => match owner {
            Some(owner) => format!(
                "{actor} added {name} to {project}, contributed by {owner} for {}{}",
                value.as_deref().unwrap_or("0"),
                currency(state, project)
            ),
            None => format!("{actor} added {name} to {project} as a commons"),
        },
        Command::SetFees {
            resource, per_hour, ..
        } => {
            let cur = state
                .resource(resource)
                .map(|r| currency(state, &r.project))
                .unwrap_or_default();
            format!("{actor} set the fees of {resource} to {per_hour}{cur} per hour")
        }
        Command::UseResource {
            resource,
            agent,
            hours,
            ..
        } => format!(
            "{agent} used {resource} for {hours} h{}",
            recorded_by(actor, agent)
        ),
        Command::CommunityAdd { resource, agent } => {
            format!("{actor} put {agent} on the community list of {resource}")
        }
        Command::CommunityRemove { resource, agent } => {
            format!("{actor} took {agent} off the community list of {resource}")
        }
        _ => peer_sentence(state, actor, command),
    }
}

fn peer_sentence(state: &State, actor: &str, command: &Command) -> String {
    match command {
        Command::OpenRound {
            project, budget, ..
        } => format!(
            "{actor} opened a peer round on {project} with {} points for each giver",
            budget.unwrap_or(100)
        ),
        Command::Give {
            round,
            from,
            to,
            points: 0,
        } => format!(
            "{from} took back the points given to {to} in round {round}{}",
            recorded_by(actor, from)
        ),
        Command::Give {
            round,
            from,
            to,
            points,
        } => format!(
            "{from} gave {} to {to} in round {round}{}",
            plural(
                usize::try_from(*points).unwrap_or(usize::MAX),
                "point",
                "points"
            ),
            recorded_by(actor, from)
        ),
        Command::OptOut { round, agent } => {
            format!("{agent} declined to receive points in round {round}")
        }
        Command::CloseRound { round } => format!("{actor} closed round {round}"),
        Command::StewardGive {
            project,
            agent,
            points,
            reason,
        } => format!("{actor} gave {agent} {points} steward points on {project}: {reason}"),
        Command::SetBlend {
            project,
            formula,
            peer,
            steward,
        } => format!(
            "{actor} blended the shares of {project}: formula {formula}, peer {peer}, steward {steward}"
        ),
        Command::AddBounty {
            project,
            task,
            reward,
            ..
        } => format!(
            "{actor} posted the bounty {task} on {project} for {reward}{}",
            currency(state, project)
        ),
        Command::CompleteBounty {
            project,
            task,
            agent,
        } => format!("{actor} awarded the bounty {task} on {project} to {agent}"),
        Command::AllocatePool { project, pool } => format!(
            "{actor} allocated a pool of {pool}{} on {project}",
            currency(state, project)
        ),
        Command::SetLeaverPolicy { project, enabled } => format!(
            "{actor} {} leavers on {project}",
            if *enabled { "enabled" } else { "disabled" }
        ),
        Command::Leave {
            project,
            agent,
            good,
        } => format!(
            "{actor} recorded that {agent} left {project} as a {} leaver",
            if *good { "good" } else { "bad" }
        ),
        Command::Captable { project } => {
            format!("{actor} recorded the cap table of {project}")
        }
        _ => tokens_sentence(state, actor, command),
    }
}

fn tokens_sentence(state: &State, actor: &str, command: &Command) -> String {
    match command {
        Command::CreateToken {
            project,
            symbol,
            redemption,
            ..
        } => format!(
            "{actor} created the token {symbol} of {project}, redeemed by {}",
            match redemption {
                fairshare_core::Redemption::Nav => "net asset value",
                fairshare_core::Redemption::Curve => "a bonding curve",
            }
        ),
        Command::Presale {
            token,
            agent,
            amount,
            price,
        } => {
            let cur = currency_of_token(state, token);
            format!(
                "{agent} bought {token} in its pre-sale for {amount}{cur} at {price}{cur} a token{}",
                recorded_by(actor, agent)
            )
        }
        Command::Buy {
            token,
            agent,
            amount,
        } => format!(
            "{agent} bought {token} for {amount}{}{}",
            currency_of_token(state, token),
            recorded_by(actor, agent)
        ),
        Command::Redeem {
            token,
            agent,
            tokens,
        } => format!(
            "{agent} redeemed {tokens} {token}{}",
            recorded_by(actor, agent)
        ),
        Command::Donate {
            token,
            agent,
            amount,
        } => format!(
            "{agent} donated {amount}{} to the reserve of {token}{}",
            currency_of_token(state, token),
            recorded_by(actor, agent)
        ),
        Command::Transfer {
            token,
            from,
            to,
            tokens,
        } => format!("{actor} moved {tokens} {token} from {from} to {to}"),
        Command::AcceptToken {
            project,
            token,
            rate,
        } => format!(
            "{actor} made {project} accept {token} at {rate}{} a token",
            currency(state, project)
        ),
        Command::PayWithToken {
            token,
            from,
            project,
            tokens,
        } => format!(
            "{from} paid {project} {tokens} {token}{}",
            recorded_by(actor, from)
        ),
        _ => treasury_sentence(actor, command),
    }
}

fn asset(asset: &Option<String>) -> String {
    asset
        .as_deref()
        .map(|a| format!(" {a}"))
        .unwrap_or_default()
}

fn treasury_sentence(actor: &str, command: &Command) -> String {
    match command {
        Command::RequestPayout {
            agent,
            amount,
            asset: a,
            reference,
            ..
        } => format!(
            "{actor} asked to pay {amount}{} of {agent}'s balance out (reference {reference})",
            asset(a)
        ),
        Command::ApprovePayout { id } => format!("{actor} approved the payout {id}"),
        Command::RejectPayout { id, reason } => {
            format!("{actor} rejected the payout {id}: {reason}")
        }
        Command::SubmitExpense {
            account,
            amount,
            asset: a,
            purpose,
            payee,
            ..
        } => format!(
            "{actor} submitted an expense of {amount}{} from {account} for {purpose}, paid to {}",
            asset(a),
            payee.as_deref().unwrap_or("outside the network")
        ),
        Command::ApproveExpense { id } => format!("{actor} approved the expense {id}"),
        Command::RejectExpense { id, reason } => {
            format!("{actor} rejected the expense {id}: {reason}")
        }
        Command::TransferMoney {
            from,
            to,
            amount,
            asset: a,
            reason,
        } => format!(
            "{actor} moved {amount}{} from {from} to {to}: {reason}",
            asset(a)
        ),
        Command::Exchange {
            account,
            amount,
            from_asset,
            to_asset,
            rate,
            ..
        } => format!(
            "{actor} exchanged {amount} {from_asset} of {account} into {to_asset} at {rate}"
        ),
        _ => membership_sentence(actor, command),
    }
}

fn membership_sentence(actor: &str, command: &Command) -> String {
    match command {
        Command::RequestJoin { handle, .. } if handle == actor => {
            format!("{handle} asked to join the network")
        }
        Command::RequestJoin { handle, .. } => {
            format!("{actor} asked for {handle} to join the network")
        }
        Command::AdmitAgent { handle, role } => format!(
            "{actor} admitted {handle} as {}",
            role_words(role.unwrap_or(Role::Affiliate))
        ),
        Command::DeclineJoin { handle, reason } => {
            format!("{actor} declined {handle}'s request to join: {reason}")
        }
        Command::SetRole { handle, role } => {
            format!("{actor} made {handle} {}", role_words(*role))
        }
        Command::ProposeProject { slug, .. } => format!("{actor} proposed the project {slug}"),
        Command::AdmitProject { slug } => format!("{actor} admitted the project {slug}"),
        Command::DeclineProject { slug, reason } => {
            format!("{actor} declined the project {slug}: {reason}")
        }
        Command::AddMember { project, agent } => {
            format!("{actor} listed {agent} as a member of {project}")
        }
        Command::RemoveMember { project, agent } => {
            format!("{actor} took {agent} off the members of {project}")
        }
        _ => governance_sentence(actor, command),
    }
}

fn scope(project: &Option<String>) -> String {
    match project {
        Some(project) => project.clone(),
        None => "the network".to_string(),
    }
}

fn governance_sentence(actor: &str, command: &Command) -> String {
    match command {
        Command::SetGovernance { project, mode, .. } => format!(
            "{actor} made {} change its rules {}",
            scope(project),
            match mode {
                fairshare_core::GovernanceMode::Direct => "directly",
                fairshare_core::GovernanceMode::Proposals => "by proposals",
            }
        ),
        Command::Propose {
            project,
            title,
            changes,
            ..
        } => format!(
            "{actor} proposed \u{201c}{title}\u{201d} for {} ({})",
            scope(project),
            plural(changes.len(), "change", "changes")
        ),
        Command::Vote { proposal, vote, .. } => {
            format!("{actor} voted {} on {proposal}", vote.as_str())
        }
        Command::CloseProposal { proposal } => format!("{actor} closed the vote on {proposal}"),
        Command::WithdrawProposal { proposal } => format!("{actor} withdrew {proposal}"),
        Command::EnactProposal { proposal } => format!("{proposal} took effect"),
        // Every other command is said by the functions above, which pass on only what they
        // do not say.
        other => format!("{actor}: {}", other.op()),
    }
}

/// The project an event concerns: named by the command, or found through the contribution,
/// correction, round, campaign, resource, token or proposal it names.
pub fn project_of(state: &State, command: &Command) -> Option<String> {
    let found = match command {
        Command::Approve { id }
        | Command::Reject { id, .. }
        | Command::Adjust { id, .. }
        | Command::Reverse { id, .. } => state.contribution(*id).map(|c| c.project.to_string()),
        Command::ApproveCorrection { id } | Command::RejectCorrection { id, .. } => {
            state.correction(*id).map(|c| c.project.to_string())
        }
        Command::Give { round, .. }
        | Command::OptOut { round, .. }
        | Command::CloseRound { round } => state.peer_round(*round).map(|r| r.project.clone()),
        Command::Pledge { campaign, .. }
        | Command::CancelCampaign { campaign }
        | Command::Purchase { campaign, .. } => state.campaign(campaign).map(|c| c.project.clone()),
        Command::SetFees { resource, .. }
        | Command::UseResource { resource, .. }
        | Command::CommunityAdd { resource, .. }
        | Command::CommunityRemove { resource, .. } => {
            state.resource(resource).map(|r| r.project.clone())
        }
        Command::Presale { token, .. }
        | Command::Buy { token, .. }
        | Command::Redeem { token, .. }
        | Command::Donate { token, .. }
        | Command::Transfer { token, .. } => state.token(token).map(|t| t.project.clone()),
        Command::Vote { proposal, .. }
        | Command::CloseProposal { proposal }
        | Command::WithdrawProposal { proposal }
        | Command::EnactProposal { proposal } => {
            return state
                .proposal(proposal)
                .ok()
                .and_then(|p| p.project.clone());
        }
        Command::AddProject { slug, .. }
        | Command::ProposeProject { slug, .. }
        | Command::AdmitProject { slug }
        | Command::DeclineProject { slug, .. } => return Some(slug.clone()),
        _ => return named(command, &["project"]).into_iter().next(),
    };
    found.ok()
}

/// The agents an event names besides its actor (who logged, gave, received, joined...).
pub fn agents_of(command: &Command) -> Vec<String> {
    named(
        command,
        &[
            "agent",
            "handle",
            "from",
            "to",
            "owner",
            "payee",
            "technician",
        ],
    )
}

/// The text of the command's fields called one of `names`, read from its JSON (the one
/// shape every command has), so that no list of commands is needed here.
fn named(command: &Command, names: &[&str]) -> Vec<String> {
    let Ok(serde_json::Value::Object(outer)) = serde_json::to_value(command) else {
        return Vec::new();
    };
    outer
        .values()
        .filter_map(|fields| fields.as_object())
        .flat_map(|fields| {
            names
                .iter()
                .filter_map(|name| fields.get(*name).and_then(|v| v.as_str()))
                .map(str::to_string)
                .collect::<Vec<_>>()
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use std::collections::BTreeSet;

    use super::*;

    /// The kinds the core's `Command::op` names, read from its source: adding a command
    /// fails this test until the log can say it.
    fn core_kinds() -> BTreeSet<String> {
        let source = include_str!("../../fairshare-core/src/command.rs");
        let start = source.find("pub fn op(&self)").expect("Command::op");
        let body = &source[start..];
        let body = &body[..body.find("\n    }\n").expect("end of op")];
        body.lines()
            .filter_map(|line| line.split_once("} => \""))
            .map(|(_, rest)| rest.trim_end_matches("\",").to_string())
            .collect()
    }

    /// One event of every kind, as JSON, and what the log says of it (actor `ana`).
    const SAID: [(&str, &str); 71] = [
        (
            r#"{"add_agent":{"handle":"marie","role":"affiliate"}}"#,
            "ana added marie as an affiliate",
        ),
        (
            r#"{"add_project":{"slug":"forillon","currency":"CAD","exponent":2}}"#,
            "ana added the project forillon (in CAD)",
        ),
        (
            r#"{"set_rate":{"project":"forillon","category":"design","per_hour":"40"}}"#,
            "ana set the rate of design on forillon to 40 per hour",
        ),
        (
            r#"{"set_skill":{"project":"forillon","agent":"marie","factor":"1.5"}}"#,
            "ana set marie's skill factor on forillon to 1.5",
        ),
        (
            r#"{"set_multiplier":{"project":"forillon","kind":"cash","factor":"2"}}"#,
            "ana made cash contributions on forillon count 2 times",
        ),
        (
            r#"{"set_half_life":{"project":"forillon","days":"365"}}"#,
            "ana made values on forillon halve every 365 days",
        ),
        (
            r#"{"log":{"project":"forillon","agent":"marie","kind":"work","category":"design","hours":"8"}}"#,
            "marie logged 8 h of design on forillon (recorded by ana)",
        ),
        (
            r#"{"set_approvals":{"project":"forillon","approvals":2}}"#,
            "ana made contributions on forillon need 2 approvals",
        ),
        (r#"{"approve":{"id":3}}"#, "ana approved contribution 3"),
        (
            r#"{"reject":{"id":3,"reason":"twice"}}"#,
            "ana rejected contribution 3: twice",
        ),
        (
            r#"{"set_plan":{"project":"forillon","plan":{"bucket":[]}}}"#,
            "ana set the plan of forillon (0 buckets)",
        ),
        (
            r#"{"revenue":{"project":"forillon","amount":"1000.00","from":"Parks Canada"}}"#,
            "ana recorded 1000.00 of revenue on forillon from Parks Canada",
        ),
        (
            r#"{"release_bank":{"project":"forillon"}}"#,
            "ana released what the bank of forillon holds",
        ),
        (
            r#"{"revalue":{"project":"forillon"}}"#,
            "ana re-valued the contributions of forillon by its current policy",
        ),
        (
            r#"{"adjust":{"id":3,"hours":"6","reason":"typo"}}"#,
            "ana asked to correct contribution 3 to 6 h: typo",
        ),
        (
            r#"{"reverse":{"id":3,"reason":"not ours"}}"#,
            "ana asked to withdraw contribution 3: not ours",
        ),
        (
            r#"{"approve_correction":{"id":1}}"#,
            "ana approved correction 1",
        ),
        (
            r#"{"reject_correction":{"id":1,"reason":"no"}}"#,
            "ana rejected correction 1: no",
        ),
        (
            r#"{"cite":{"project":"forillon","agent":"ana","of":3,"percent":"10"}}"#,
            "ana reused contribution 3 on forillon at 10% of its value",
        ),
        (
            r#"{"open_campaign":{"id":"laser","project":"forillon","target":"5000","purpose":"a laser cutter"}}"#,
            "ana opened the campaign laser on forillon to raise 5000 for a laser cutter",
        ),
        (
            r#"{"pledge":{"campaign":"laser","agent":"ana","amount":"500"}}"#,
            "ana pledged 500 to the campaign laser",
        ),
        (
            r#"{"cancel_campaign":{"campaign":"laser"}}"#,
            "ana cancelled the campaign laser and refunded its pledges",
        ),
        (
            r#"{"purchase":{"campaign":"laser","resource":"cutter","premium_percent":"20"}}"#,
            "ana bought cutter with the campaign laser (owners' premium 20%)",
        ),
        (
            r#"{"add_resource":{"name":"van","project":"forillon"}}"#,
            "ana added van to forillon as a commons",
        ),
        (
            r#"{"set_fees":{"resource":"cutter","per_hour":"15","split":[]}}"#,
            "ana set the fees of cutter to 15 per hour",
        ),
        (
            r#"{"use_resource":{"resource":"cutter","agent":"marie","hours":"2"}}"#,
            "marie used cutter for 2 h (recorded by ana)",
        ),
        (
            r#"{"community_add":{"resource":"cutter","agent":"marie"}}"#,
            "ana put marie on the community list of cutter",
        ),
        (
            r#"{"community_remove":{"resource":"cutter","agent":"marie"}}"#,
            "ana took marie off the community list of cutter",
        ),
        (
            r#"{"open_round":{"project":"forillon"}}"#,
            "ana opened a peer round on forillon with 100 points for each giver",
        ),
        (
            r#"{"give":{"round":1,"from":"ana","to":"marie","points":30}}"#,
            "ana gave 30 points to marie in round 1",
        ),
        (
            r#"{"opt_out":{"round":1,"agent":"ana"}}"#,
            "ana declined to receive points in round 1",
        ),
        (r#"{"close_round":{"round":1}}"#, "ana closed round 1"),
        (
            r#"{"steward_give":{"project":"forillon","agent":"marie","points":5,"reason":"ran the build"}}"#,
            "ana gave marie 5 steward points on forillon: ran the build",
        ),
        (
            r#"{"set_blend":{"project":"forillon","formula":"0.5","peer":"0.3","steward":"0.2"}}"#,
            "ana blended the shares of forillon: formula 0.5, peer 0.3, steward 0.2",
        ),
        (
            r#"{"add_bounty":{"project":"forillon","task":"logo","reward":"200"}}"#,
            "ana posted the bounty logo on forillon for 200",
        ),
        (
            r#"{"complete_bounty":{"project":"forillon","task":"logo","agent":"marie"}}"#,
            "ana awarded the bounty logo on forillon to marie",
        ),
        (
            r#"{"allocate_pool":{"project":"forillon","pool":"1000"}}"#,
            "ana allocated a pool of 1000 on forillon",
        ),
        (
            r#"{"set_leaver_policy":{"project":"forillon","enabled":true}}"#,
            "ana enabled leavers on forillon",
        ),
        (
            r#"{"leave":{"project":"forillon","agent":"marie","good":true}}"#,
            "ana recorded that marie left forillon as a good leaver",
        ),
        (
            r#"{"captable":{"project":"forillon"}}"#,
            "ana recorded the cap table of forillon",
        ),
        (
            r#"{"create_token":{"project":"forillon","symbol":"FOR","exponent":2,"redemption":"nav"}}"#,
            "ana created the token FOR of forillon, redeemed by net asset value",
        ),
        (
            r#"{"presale":{"token":"FOR","agent":"marie","amount":"100","price":"2"}}"#,
            "marie bought FOR in its pre-sale for 100 at 2 a token (recorded by ana)",
        ),
        (
            r#"{"buy":{"token":"FOR","agent":"ana","amount":"50"}}"#,
            "ana bought FOR for 50",
        ),
        (
            r#"{"redeem":{"token":"FOR","agent":"ana","tokens":"10"}}"#,
            "ana redeemed 10 FOR",
        ),
        (
            r#"{"donate":{"token":"FOR","agent":"ana","amount":"20"}}"#,
            "ana donated 20 to the reserve of FOR",
        ),
        (
            r#"{"transfer":{"token":"FOR","from":"ana","to":"marie","tokens":"5"}}"#,
            "ana moved 5 FOR from ana to marie",
        ),
        (
            r#"{"accept_token":{"project":"forillon","token":"FOR","rate":"1"}}"#,
            "ana made forillon accept FOR at 1 a token",
        ),
        (
            r#"{"pay_with_token":{"token":"FOR","from":"ana","project":"forillon","tokens":"3"}}"#,
            "ana paid forillon 3 FOR",
        ),
        (
            r#"{"request_payout":{"agent":"marie","amount":"200.00","reference":"bank-1"}}"#,
            "ana asked to pay 200.00 of marie's balance out (reference bank-1)",
        ),
        (
            r#"{"approve_payout":{"id":"payout-1"}}"#,
            "ana approved the payout payout-1",
        ),
        (
            r#"{"reject_payout":{"id":"payout-1","reason":"no"}}"#,
            "ana rejected the payout payout-1: no",
        ),
        (
            r#"{"submit_expense":{"account":"infra","amount":"120.00","asset":"CAD","for":"paint"}}"#,
            "ana submitted an expense of 120.00 CAD from infra for paint, paid to outside the network",
        ),
        (
            r#"{"approve_expense":{"id":"expense-1"}}"#,
            "ana approved the expense expense-1",
        ),
        (
            r#"{"reject_expense":{"id":"expense-1","reason":"no receipt"}}"#,
            "ana rejected the expense expense-1: no receipt",
        ),
        (
            r#"{"transfer_money":{"from":"infra","to":"commons","amount":"10","reason":"rent"}}"#,
            "ana moved 10 from infra to commons: rent",
        ),
        (
            r#"{"exchange":{"account":"infra","amount":"100","from_asset":"CAD","to_asset":"EUR","rate":"0.68"}}"#,
            "ana exchanged 100 CAD of infra into EUR at 0.68",
        ),
        (
            r#"{"request_join":{"handle":"zoe"}}"#,
            "ana asked for zoe to join the network",
        ),
        (
            r#"{"admit_agent":{"handle":"zoe"}}"#,
            "ana admitted zoe as an affiliate",
        ),
        (
            r#"{"decline_join":{"handle":"zoe","reason":"spam"}}"#,
            "ana declined zoe's request to join: spam",
        ),
        (
            r#"{"set_role":{"handle":"marie","role":"custodian"}}"#,
            "ana made marie a custodian",
        ),
        (
            r#"{"propose_project":{"slug":"hull","currency":"CAD","exponent":2}}"#,
            "ana proposed the project hull",
        ),
        (
            r#"{"admit_project":{"slug":"hull"}}"#,
            "ana admitted the project hull",
        ),
        (
            r#"{"decline_project":{"slug":"hull","reason":"later"}}"#,
            "ana declined the project hull: later",
        ),
        (
            r#"{"add_member":{"project":"forillon","agent":"marie"}}"#,
            "ana listed marie as a member of forillon",
        ),
        (
            r#"{"remove_member":{"project":"forillon","agent":"marie"}}"#,
            "ana took marie off the members of forillon",
        ),
        (
            r#"{"set_governance":{"project":"forillon","mode":"proposals"}}"#,
            "ana made forillon change its rules by proposals",
        ),
        (
            r#"{"propose":{"title":"Design at 50","changes":[{"approve":{"id":1}}]}}"#,
            "ana proposed \u{201c}Design at 50\u{201d} for the network (1 change)",
        ),
        (
            r#"{"vote":{"proposal":"proposal-1","vote":"yes"}}"#,
            "ana voted yes on proposal-1",
        ),
        (
            r#"{"close_proposal":{"proposal":"proposal-1"}}"#,
            "ana closed the vote on proposal-1",
        ),
        (
            r#"{"withdraw_proposal":{"proposal":"proposal-1"}}"#,
            "ana withdrew proposal-1",
        ),
        (
            r#"{"enact_proposal":{"proposal":"proposal-1"}}"#,
            "proposal-1 took effect",
        ),
    ];

    #[test]
    fn the_log_says_every_kind_of_event_in_words() {
        let kinds: BTreeSet<String> = Command::OPS.iter().map(|k| k.to_string()).collect();
        assert_eq!(kinds.len(), Command::OPS.len(), "a kind is listed twice");
        assert_eq!(
            kinds,
            core_kinds(),
            "Command::OPS and the core's commands differ"
        );
        let state = State::new();
        let mut said = BTreeSet::new();
        for (json, expected) in SAID {
            let command: Command = serde_json::from_str(json).expect(json);
            assert_eq!(sentence(&state, "ana", &command), expected, "{json}");
            said.insert(command.op().to_string());
        }
        assert_eq!(said, kinds, "one example of every kind");
    }

    #[test]
    fn events_name_their_agents_and_project() {
        let state = State::new();
        let give: Command =
            serde_json::from_str(r#"{"give":{"round":1,"from":"ana","to":"marie","points":3}}"#)
                .expect("give");
        assert_eq!(agents_of(&give), ["ana", "marie"]);
        let log: Command = serde_json::from_str(SAID[6].0).expect("log");
        assert_eq!(project_of(&state, &log).as_deref(), Some("forillon"));
        assert_eq!(agents_of(&log), ["marie"]);
        // A round the state does not know has no project.
        assert_eq!(project_of(&state, &give), None);
        let back: Command =
            serde_json::from_str(r#"{"give":{"round":1,"from":"ana","to":"marie","points":0}}"#)
                .expect("take back");
        assert_eq!(
            sentence(&state, "ana", &back),
            "ana took back the points given to marie in round 1"
        );
    }
}
