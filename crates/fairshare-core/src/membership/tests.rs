use super::*;
use crate::error::ErrorKind;
use crate::model::OPERATOR;
use crate::test_book::Book;

/// ana is a custodian, bea an affiliate, olga an observer.
fn network() -> Book {
    let mut book = Book::new();
    book.add_agents(&[
        ("ana", Role::Custodian),
        ("bea", Role::Affiliate),
        ("olga", Role::Observer),
    ]);
    book
}

/// Runs a membership command, whose outcome is always `Done`.
fn done(book: &mut Book, actor: &str, command: Command) {
    assert_eq!(book.ok(actor, command), Outcome::Done);
}

/// (kind, message, field, value) of a refusal.
fn refusal(
    book: &mut Book,
    actor: &str,
    command: Command,
) -> (ErrorKind, String, Option<&'static str>, Option<String>) {
    let error = book.refused(actor, command);
    let details = error.details().cloned().unwrap_or_default();
    (
        error.kind(),
        error.to_string(),
        details.field,
        details.value,
    )
}

fn join(handle: &str) -> Command {
    Command::RequestJoin {
        handle: handle.into(),
        name: Some("Zoé Tremblay".into()),
        about: Some("I build boat hulls".into()),
    }
}

fn admit(handle: &str, role: Option<Role>) -> Command {
    Command::AdmitAgent {
        handle: handle.into(),
        role,
    }
}

fn set_role(handle: &str, role: Role) -> Command {
    Command::SetRole {
        handle: handle.into(),
        role,
    }
}

fn propose(slug: &str, currency: &str, exponent: u32) -> Command {
    Command::ProposeProject {
        slug: slug.into(),
        name: Some("Hull shop".into()),
        currency: currency.into(),
        exponent,
        approvals: 1,
        about: Some("A shared hull mould".into()),
    }
}

fn s(text: &str) -> Option<String> {
    Some(text.to_string())
}

#[test]
fn a_stranger_asks_to_join_as_themself_and_is_admitted_as_an_affiliate() {
    let mut book = network();
    done(&mut book, "zoe", join("zoe"));
    let request = book.state.join_request("zoe").unwrap();
    assert_eq!(request.asked.by, "zoe");
    assert_eq!(request.asked.status, Admission::Pending);
    assert_eq!(request.about.as_deref(), Some("I build boat hulls"));
    assert!(book.state.agent("zoe").is_err(), "asking adds nobody");

    done(&mut book, "ana", admit("zoe", None));
    let zoe = book.state.agent("zoe").unwrap();
    assert_eq!(
        (zoe.role, zoe.name.as_deref()),
        (Role::Affiliate, Some("Zoé Tremblay"))
    );
    let request = book.state.join_request("zoe").unwrap();
    assert_eq!(request.asked.status, Admission::Admitted);
    assert_eq!(request.asked.reviewed_by.as_deref(), Some("ana"));
    assert_eq!(request.role, Some(Role::Affiliate));
    // Admission adds the agent exactly as `AddAgent` does.
    let mut added = network();
    done(
        &mut added,
        OPERATOR,
        Command::AddAgent {
            handle: "zoe".into(),
            name: Some("Zoé Tremblay".into()),
            role: Role::Affiliate,
        },
    );
    assert_eq!(book.state.agent("zoe"), added.state.agent("zoe"));

    // A member asks for someone else; a custodian admits them as an observer.
    done(&mut book, "bea", join("yan"));
    assert_eq!(book.state.join_request("yan").unwrap().asked.by, "bea");
    done(&mut book, "ana", admit("yan", Some(Role::Observer)));
    assert_eq!(book.state.agent("yan").unwrap().role, Role::Observer);
}

#[test]
fn join_refusals_name_their_field_and_change_nothing() {
    let mut book = network();
    let (kind, message, field, value) = refusal(&mut book, "zed", join("zoe"));
    assert_eq!(kind, ErrorKind::Forbidden);
    assert_eq!(
        message,
        "unknown actor \"zed\": someone who is no agent may only ask to join as themself, \
         not as \"zoe\""
    );
    assert_eq!((field, value), (Some("handle"), s("zoe")));

    let (kind, message, field, _) = refusal(&mut book, "bea", join("ana"));
    assert_eq!(kind, ErrorKind::Conflict);
    assert_eq!(message, "handle \"ana\" is already taken by an agent");
    assert_eq!(field, Some("handle"));
    let (_, message, _, _) = refusal(&mut book, "Zoe", join("Zoe"));
    assert_eq!(
        message,
        "invalid handle \"Zoe\": use 1 to 64 lower-case letters, digits, '-' or '_'"
    );

    done(&mut book, "zoe", join("zoe"));
    let (kind, message, field, value) = refusal(&mut book, "zoe", join("zoe"));
    assert_eq!(kind, ErrorKind::Conflict);
    assert_eq!(
        message,
        "\"zoe\" has a pending join request already (event 4): a custodian admits or declines it"
    );
    assert_eq!((field, value), (Some("handle"), s("zoe")));

    let (kind, message, _, _) = refusal(&mut book, "bea", admit("zoe", None));
    assert_eq!(kind, ErrorKind::Forbidden);
    assert_eq!(
        message,
        "only custodians may admit agents; this agent is an affiliate"
    );
    let (kind, message, field, value) = refusal(&mut book, "ana", admit("yan", None));
    assert_eq!(kind, ErrorKind::NotFound);
    assert_eq!(message, "no pending join request for \"yan\"");
    assert_eq!((field, value), (Some("handle"), s("yan")));
    let decline = |reason: &str| Command::DeclineJoin {
        handle: "zoe".into(),
        reason: reason.into(),
    };
    let (_, message, field, _) = refusal(&mut book, "ana", decline(" "));
    assert_eq!(
        (message.as_str(), field),
        ("declining needs a reason", Some("reason"))
    );
    let (_, message, _, _) = refusal(&mut book, "bea", decline("spam"));
    assert_eq!(
        message,
        "only custodians may decline join requests; this agent is an affiliate"
    );

    // Declined, the handle may ask again; admitted twice, never.
    done(&mut book, "ana", decline("we do not know you yet"));
    let request = book.state.join_request("zoe").unwrap();
    assert_eq!(request.asked.status, Admission::Declined);
    assert_eq!(
        request.asked.reason.as_deref(),
        Some("we do not know you yet")
    );
    let (_, message, _, _) = refusal(&mut book, "ana", admit("zoe", None));
    assert_eq!(message, "no pending join request for \"zoe\"");
    done(&mut book, "zoe", join("zoe"));
    assert_eq!(book.state.join_requests().len(), 2);
}

#[test]
fn admission_rechecks_the_handle_as_agent_add_does() {
    let mut book = network();
    done(&mut book, "zoe", join("zoe"));
    done(
        &mut book,
        OPERATOR,
        Command::add_agent("zoe", Role::Affiliate),
    );
    let (kind, message, field, _) = refusal(&mut book, "ana", admit("zoe", None));
    assert_eq!(kind, ErrorKind::Conflict);
    assert_eq!(message, "handle \"zoe\" is already taken by an agent");
    assert_eq!(field, Some("handle"));
}

#[test]
fn pending_requests_are_bounded() {
    let mut book = network();
    for i in 0..PENDING_MAX {
        let handle = format!("h{i}");
        done(&mut book, &handle.clone(), join(&handle));
    }
    let error = book.refused("late", join("late"));
    assert_eq!(
        error.to_string(),
        "1000 join requests are waiting already: a custodian must admit or decline some first"
    );
    let details = error.details().cloned().unwrap_or_default();
    assert_eq!(
        (details.field, details.limit),
        (Some("handle"), s("1000 pending"))
    );
    done(&mut book, "ana", admit("h0", None));
    done(&mut book, "late", join("late"));
}

#[test]
fn the_last_custodian_cannot_be_demoted() {
    let mut book = network();
    let (kind, message, field, value) = refusal(&mut book, "ana", set_role("ana", Role::Affiliate));
    assert_eq!(kind, ErrorKind::Conflict);
    assert_eq!(
        message,
        "the last custodian cannot be demoted: ana is the only custodian; \
         make another agent a custodian first"
    );
    assert_eq!((field, value), (Some("role"), s("affiliate")));
    let (_, message, field, _) = refusal(&mut book, "ana", set_role("bea", Role::Affiliate));
    assert_eq!(
        (message.as_str(), field),
        ("bea is an affiliate already", Some("role"))
    );
    let (kind, message, _, _) = refusal(&mut book, "bea", set_role("bea", Role::Custodian));
    assert_eq!(kind, ErrorKind::Forbidden);
    assert_eq!(
        message,
        "only custodians may set roles; this agent is an affiliate"
    );
    let (kind, message, field, value) = refusal(&mut book, "ana", set_role("zed", Role::Observer));
    assert_eq!(kind, ErrorKind::NotFound);
    assert!(message.starts_with("unknown agent \"zed\""), "{message}");
    assert_eq!((field, value), (Some("handle"), s("zed")));

    done(&mut book, "ana", set_role("bea", Role::Custodian));
    done(&mut book, "bea", set_role("ana", Role::Observer));
    assert_eq!(book.state.agent("ana").unwrap().role, Role::Observer);
    let (_, message, _, _) = refusal(&mut book, OPERATOR, set_role("bea", Role::Observer));
    assert!(message.starts_with("the last custodian cannot be demoted: bea"));
}

#[test]
fn a_member_proposes_a_project_and_a_custodian_admits_it() {
    let mut book = network();
    done(&mut book, "bea", propose("hulls", "CAD", 2));
    let proposal = book.state.project_proposal("hulls").unwrap();
    assert_eq!(proposal.asked.by, "bea");
    assert!(book.state.project("hulls").is_err());
    done(
        &mut book,
        "ana",
        Command::AdmitProject {
            slug: "hulls".into(),
        },
    );
    let project = book.state.project("hulls").unwrap();
    assert_eq!(
        (
            project.name.as_deref(),
            project.currency.as_str(),
            project.exponent,
            project.approvals_required
        ),
        (Some("Hull shop"), "CAD", 2, 1)
    );
    assert_eq!(
        book.state.project_proposal("hulls").unwrap().asked.status,
        Admission::Admitted
    );

    let (kind, message, _, _) = refusal(&mut book, "olga", propose("sails", "CAD", 2));
    assert_eq!(kind, ErrorKind::Forbidden);
    assert_eq!(
        message,
        "olga is an observer: observers read but do not propose projects"
    );
    let (_, message, field, value) = refusal(&mut book, "bea", propose("sails", "CAD", 3));
    assert_eq!(
        message,
        "currency CAD already has exponent 2 in this book, not 3"
    );
    assert_eq!((field, value), (Some("exponent"), s("3")));
    let (_, message, field, _) = refusal(&mut book, "bea", propose("hulls", "CAD", 2));
    assert_eq!(
        message,
        "project slug \"hulls\" is already taken by a project"
    );
    assert_eq!(field, Some("slug"));

    done(&mut book, "bea", propose("sails", "EUR", 2));
    let (_, message, field, _) = refusal(&mut book, "ana", propose("sails", "EUR", 2));
    assert_eq!(
        message,
        "\"sails\" has a pending project proposal already (event 6): a custodian admits or declines it"
    );
    assert_eq!(field, Some("slug"));
    let (_, message, _, _) = refusal(
        &mut book,
        "bea",
        Command::AdmitProject {
            slug: "sails".into(),
        },
    );
    assert_eq!(
        message,
        "only custodians may admit projects; this agent is an affiliate"
    );
    done(
        &mut book,
        "ana",
        Command::DeclineProject {
            slug: "sails".into(),
            reason: "not this year".into(),
        },
    );
    let declined = book.state.project_proposal("sails").unwrap();
    assert_eq!(declined.asked.status, Admission::Declined);
    assert_eq!(declined.asked.reason.as_deref(), Some("not this year"));
    let (kind, message, field, _) = refusal(
        &mut book,
        "ana",
        Command::AdmitProject {
            slug: "sails".into(),
        },
    );
    assert_eq!(kind, ErrorKind::NotFound);
    assert_eq!(message, "no pending project proposal for \"sails\"");
    assert_eq!(field, Some("slug"));
}

#[test]
fn admitting_a_project_rechecks_it_as_project_add_does() {
    let mut book = network();
    done(&mut book, "bea", propose("hulls", "EUR", 2));
    done(&mut book, OPERATOR, Command::add_project("other", "EUR", 3));
    let (kind, message, field, _) = refusal(
        &mut book,
        "ana",
        Command::AdmitProject {
            slug: "hulls".into(),
        },
    );
    assert_eq!(kind, ErrorKind::Conflict);
    assert_eq!(
        message,
        "currency EUR already has exponent 3 in this book, not 2"
    );
    assert_eq!(field, Some("exponent"));
}

#[test]
fn a_forged_outcome_is_corrupt() {
    let mut book = network();
    done(&mut book, "zoe", join("zoe"));
    let ctx = book.ctx("ana");
    let forged = book
        .state
        .apply(&ctx, &admit("zoe", None), &Outcome::PlanSet { version: 2 })
        .unwrap_err();
    assert_eq!(forged.kind(), ErrorKind::Corrupt);
    assert_eq!(
        forged.to_string(),
        "event 5: outcome does not fit a admit_agent command"
    );
    // An admission with no pending request to close is forged too.
    let ghost = book
        .state
        .apply(&ctx, &admit("yan", None), &Outcome::Done)
        .unwrap_err();
    assert_eq!(ghost.kind(), ErrorKind::Corrupt);
    let nobody = book
        .state
        .apply(&ctx, &set_role("yan", Role::Custodian), &Outcome::Done)
        .unwrap_err();
    assert_eq!(nobody.kind(), ErrorKind::Corrupt);
}

#[test]
fn a_network_governed_by_proposals_admits_and_sets_roles_by_proposal_only() {
    let mut book = network();
    done(&mut book, "zoe", join("zoe"));
    done(
        &mut book,
        "ana",
        Command::SetGovernance {
            project: None,
            mode: crate::governance::GovernanceMode::Proposals,
            quorum: None,
            threshold: None,
            notice_days: None,
            voting_days: None,
            weight: None,
        },
    );
    for (command, op) in [
        (admit("zoe", None), "admit_agent"),
        (set_role("bea", Role::Custodian), "set_role"),
        (Command::AdmitProject { slug: "x".into() }, "admit_project"),
    ] {
        let error = book.refused("ana", command);
        assert_eq!(error.kind(), ErrorKind::Forbidden);
        assert_eq!(
            error.to_string(),
            format!("the network is governed by proposals: {op} must be proposed and voted on")
        );
        // Where to propose it, for each front end to say in its own words.
        let propose_in = error.details().and_then(|d| d.propose_in.clone());
        assert_eq!(propose_in, Some(crate::error::ProposeIn::Network));
    }
    // Strangers still ask, and a custodian still declines, directly.
    done(&mut book, "yan", join("yan"));
    done(
        &mut book,
        "ana",
        Command::DeclineJoin {
            handle: "yan".into(),
            reason: "unknown to us".into(),
        },
    );
    // The admission is proposed, checked at once as if applied now.
    let proposed = book.ok(
        "bea",
        Command::Propose {
            id: None,
            project: None,
            title: "Admit zoe".into(),
            changes: vec![admit("zoe", Some(Role::Observer))],
        },
    );
    assert!(matches!(proposed, Outcome::Proposed { .. }), "{proposed:?}");
    let refused = refusal(
        &mut book,
        "bea",
        Command::Propose {
            id: None,
            project: None,
            title: "Admit nobody".into(),
            changes: vec![admit("nobody", None)],
        },
    );
    assert_eq!(refused.0, ErrorKind::NotFound);
}

fn add_member(project: &str, agent: &str) -> Command {
    Command::AddMember {
        project: project.into(),
        agent: agent.into(),
    }
}

fn remove_member(project: &str, agent: &str) -> Command {
    Command::RemoveMember {
        project: project.into(),
        agent: agent.into(),
    }
}

fn members(book: &Book, project: &str) -> Vec<String> {
    let project = book.state.project(project).unwrap();
    project.members.iter().map(|m| m.to_string()).collect()
}

#[test]
fn a_custodian_lists_members_and_never_an_observer() {
    let mut book = network();
    done(&mut book, "ana", Command::add_agent("cy", Role::Affiliate));
    done(&mut book, "ana", Command::add_project("hull", "CAD", 2));
    done(&mut book, "ana", add_member("hull", "cy"));
    done(&mut book, "ana", add_member("hull", "bea"));
    assert_eq!(members(&book, "hull"), ["bea", "cy"]);
    let refusals = [
        (
            "bea",
            add_member("hull", "ana"),
            ErrorKind::Forbidden,
            "only custodians may list a project's members; this agent is an affiliate",
            None,
        ),
        (
            "ana",
            add_member("hull", "olga"),
            ErrorKind::Forbidden,
            "olga is an observer: observers neither propose nor vote, so a project does not \
             list them as members; give olga another role first",
            Some(("agent", "olga")),
        ),
        (
            "ana",
            add_member("hull", "cy"),
            ErrorKind::Conflict,
            "cy is already a member hull lists",
            Some(("agent", "cy")),
        ),
        (
            "ana",
            add_member("hull", "nobody"),
            ErrorKind::NotFound,
            "unknown agent \"nobody\": add the agent first",
            Some(("agent", "nobody")),
        ),
        (
            "ana",
            add_member("keel", "cy"),
            ErrorKind::NotFound,
            "unknown project \"keel\": add the project first",
            Some(("project", "keel")),
        ),
        (
            "ana",
            remove_member("hull", "ana"),
            ErrorKind::NotFound,
            "ana is not a member hull lists",
            Some(("agent", "ana")),
        ),
    ];
    for (actor, command, kind, message, field) in refusals {
        // `Book::run` checks that a refusal leaves the state as it was.
        let got = refusal(&mut book, actor, command);
        assert_eq!((got.0, got.1.as_str()), (kind, message));
        let field = field.map(|(f, v)| (f, v.to_string()));
        assert_eq!(got.2.zip(got.3), field);
    }
    done(&mut book, "ana", remove_member("hull", "cy"));
    assert_eq!(members(&book, "hull"), ["bea"]);
    // Forged: listing an agent who does not exist, unlisting one not listed.
    let ctx = book.ctx("ana");
    for forged in [add_member("hull", "ghost"), remove_member("hull", "cy")] {
        let error = book
            .state
            .clone()
            .apply(&ctx, &forged, &Outcome::Done)
            .unwrap_err();
        assert_eq!(error.kind(), ErrorKind::Corrupt);
    }
}

/// `hull` governed by proposals with `weight` (quorum 50, threshold 66.67): ana has 2 h at
/// 10.00, bea is listed with no contribution, cy (an affiliate) neither.
fn listed_book(weight: crate::governance::Weighting) -> Book {
    let mut book = network();
    for command in [
        Command::add_agent("cy", Role::Affiliate),
        Command::add_project("hull", "CAD", 2),
        Command::set_rate("hull", "dev", "10.00"),
        Command::log_work("hull", "ana", "dev", "2"),
        add_member("hull", "bea"),
        Command::SetGovernance {
            project: Some("hull".into()),
            mode: crate::governance::GovernanceMode::Proposals,
            quorum: Some("50".into()),
            threshold: Some("66.67".into()),
            notice_days: None,
            voting_days: None,
            weight: Some(weight),
        },
    ] {
        book.ok("ana", command);
    }
    book
}

fn voters(outcome: &Outcome) -> Vec<(String, String)> {
    let Outcome::Proposed { voters, .. } = outcome else {
        panic!("not proposed: {outcome:?}");
    };
    voters
        .iter()
        .map(|v| (v.agent.clone(), v.weight.to_string()))
        .collect()
}

fn propose_rate(id: &str) -> Command {
    Command::Propose {
        id: Some(id.into()),
        project: Some("hull".into()),
        title: "dev at 12".into(),
        changes: vec![Command::set_rate("hull", "dev", "12.00")],
    }
}

#[test]
fn listed_members_vote_on_equal_and_value_proposals() {
    use crate::governance::Weighting;
    let mut book = listed_book(Weighting::Equal);
    // bea is listed without a contribution: one vote, as ana's.
    let equal = book.ok("bea", propose_rate("x"));
    let one = |a: &str| (a.to_string(), "1".to_string());
    assert_eq!(voters(&equal), [one("ana"), one("bea")]);
    let tally = book.state.proposal("x").unwrap().tally().unwrap();
    assert_eq!(tally.eligible.to_string(), "2");
    // cy is neither listed nor a contributor: not eligible.
    let vote = Command::Vote {
        proposal: "x".into(),
        vote: crate::governance::Ballot::Yes,
        reason: None,
    };
    let (kind, message, _, _) = refusal(&mut book, "cy", vote.clone());
    assert_eq!(kind, ErrorKind::Forbidden);
    assert_eq!(
        message,
        "cy is not eligible to vote on x: its voters were fixed when it opened (custodians \
         and affiliates with a counted contribution, and the members the project lists)"
    );
    done(&mut book, "bea", vote);
    assert_eq!(
        book.state
            .proposal("x")
            .unwrap()
            .tally()
            .unwrap()
            .yes
            .to_string(),
        "1"
    );
    // Under value weights a listed member votes with their counted value: 0 for bea.
    let mut book = listed_book(Weighting::Value);
    let value = book.ok("bea", propose_rate("y"));
    let weight = |a: &str, w: &str| (a.to_string(), w.to_string());
    assert_eq!(voters(&value), [weight("ana", "20"), weight("bea", "0")]);
    // Listing is a rule of the project: under proposals it is proposed, not done directly.
    let (kind, message, field, _) = refusal(&mut book, "ana", add_member("hull", "cy"));
    assert_eq!(kind, ErrorKind::Forbidden);
    assert_eq!(
        message,
        "project hull is governed by proposals: add_member must be proposed and voted on"
    );
    assert_eq!(field, Some("project"));
    let error = book.refused("ana", add_member("hull", "cy"));
    let propose_in = error.details().and_then(|d| d.propose_in.clone());
    assert_eq!(
        propose_in,
        Some(crate::error::ProposeIn::Project("hull".into()))
    );
    let listing = Command::Propose {
        id: Some("z".into()),
        project: Some("hull".into()),
        title: "list cy".into(),
        changes: vec![add_member("hull", "cy")],
    };
    assert!(matches!(book.ok("ana", listing), Outcome::Proposed { .. }));
}
