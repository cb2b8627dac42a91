use super::*;
use crate::{Clock, Failure, Local, OpError};
use fairshare_core::{OPERATOR, Role};

/// ana is the only custodian, bea an affiliate.
fn book(dir: &std::path::Path) -> Local {
    let store = fairshare_sqlite::SqliteStore::open(&dir.join("book.db")).expect("store");
    let clock = Clock::new(Some("2026-12-04T10:00:00Z")).expect("clock");
    let mut local = Local::open(Box::new(store), clock).expect("book");
    for (handle, role) in [("ana", Role::Custodian), ("bea", Role::Affiliate)] {
        local
            .book_mut()
            .execute(
                OPERATOR,
                &Command::add_agent(handle, role),
                None,
                "2026-12-04T10:00:00Z",
            )
            .expect("setup");
    }
    local
}

fn events(book: &Local) -> u64 {
    book.book().state().head()
}

/// The failure kind, message and field of a refused operation.
fn refusal(error: OpError) -> (Failure, String, Option<&'static str>) {
    (error.failure(), error.to_string(), error.field())
}

#[test]
fn a_stranger_joins_and_a_custodian_admits_them() {
    let dir = tempfile::tempdir().expect("dir");
    let mut book = book(dir.path());
    let request = RequestJoin {
        handle: "zoe".into(),
        name: Some("Zoé".into()),
        about: Some("hull builder".into()),
    };
    assert_eq!(request.stranger(), Some("zoe"));
    let asked = book.write("zoe", None, &request).expect("asked");
    assert_eq!(
        (
            asked.asked.requested_by.as_str(),
            asked.asked.status.as_str(),
            asked.asked.date.as_str(),
            asked.asked.seq
        ),
        ("zoe", "pending", "2026-12-04", 3)
    );

    let pending = book
        .read(Some("ana"), &ListJoinRequests::default())
        .expect("list");
    assert_eq!(pending.page.total, 1);
    assert_eq!(pending.requests[0].about.as_deref(), Some("hull builder"));
    let hidden = book.read(Some("bea"), &ListJoinRequests::default());
    let (failure, message, _) = refusal(hidden.unwrap_err());
    assert_eq!(failure, Failure::Forbidden);
    assert_eq!(
        message,
        "only custodians may list join requests: they hold what strangers wrote about themselves"
    );

    let admitted = book
        .write(
            "ana",
            None,
            &AdmitAgent {
                handle: "zoe".into(),
                role: None,
            },
        )
        .expect("admitted");
    assert_eq!(
        (
            admitted.asked.status.as_str(),
            admitted.asked.reviewed_by.as_deref(),
            admitted.role.as_deref()
        ),
        ("admitted", Some("ana"), Some("affiliate"))
    );
    assert_eq!(
        book.book().state().agent("zoe").expect("agent").role,
        Role::Affiliate
    );
    let none_left = book
        .read(Some("ana"), &ListJoinRequests::default())
        .expect("list");
    assert_eq!(none_left.page.total, 0);
    let all = ListJoinRequests {
        status: Some("all".into()),
        ..ListJoinRequests::default()
    };
    assert_eq!(book.read(Some("ana"), &all).expect("all").page.total, 1);
}

#[test]
fn demoting_the_last_custodian_is_refused_and_changes_nothing() {
    let dir = tempfile::tempdir().expect("dir");
    let mut book = book(dir.path());
    let before = events(&book);
    let demote = SetRole {
        handle: "ana".into(),
        role: RoleName::Affiliate,
    };
    let (failure, message, field) = refusal(book.write("ana", None, &demote).unwrap_err());
    assert_eq!(failure, Failure::Conflict);
    assert_eq!(
        message,
        "the last custodian cannot be demoted: ana is the only custodian; \
         make another agent a custodian first"
    );
    assert_eq!(field, Some("role"));
    assert_eq!(events(&book), before);

    let promote = SetRole {
        handle: "bea".into(),
        role: RoleName::Custodian,
    };
    let row = book.write("ana", None, &promote).expect("promoted");
    assert_eq!(row.role, "custodian");
    assert_eq!(
        book.write("bea", None, &demote).expect("demoted").role,
        "affiliate"
    );
}

#[test]
fn a_proposed_project_is_admitted_or_declined() {
    let dir = tempfile::tempdir().expect("dir");
    let mut book = book(dir.path());
    let propose = |slug: &str| ProposeProject {
        slug: slug.into(),
        name: None,
        currency: "CAD".into(),
        exponent: 2,
        approvals: 1,
        about: Some("a shared mould".into()),
    };
    let proposed = book
        .write("bea", None, &propose("hulls"))
        .expect("proposed");
    assert_eq!(
        (proposed.asked.requested_by.as_str(), proposed.exponent),
        ("bea", 2)
    );
    book.write("bea", None, &propose("sails"))
        .expect("proposed");
    let listed = book
        .read(Some("bea"), &ListProjectProposals::default())
        .expect("list");
    let slugs: Vec<&str> = listed.proposals.iter().map(|p| p.slug.as_str()).collect();
    assert_eq!(slugs, ["hulls", "sails"]);

    book.write(
        "ana",
        None,
        &AdmitProject {
            slug: "hulls".into(),
        },
    )
    .expect("admitted");
    let project = book.book().state().project("hulls").expect("project");
    assert_eq!(
        (project.currency.as_str(), project.approvals_required),
        ("CAD", 1)
    );
    let declined = book
        .write(
            "ana",
            None,
            &DeclineProject {
                slug: "sails".into(),
                reason: "not this year".into(),
            },
        )
        .expect("declined");
    assert_eq!(
        (
            declined.asked.status.as_str(),
            declined.asked.reason.as_deref()
        ),
        ("declined", Some("not this year"))
    );
    let bad = ListProjectProposals {
        status: Some("open".into()),
        ..ListProjectProposals::default()
    };
    let (failure, message, field) = refusal(book.read(None, &bad).unwrap_err());
    assert_eq!(failure, Failure::Invalid);
    assert_eq!(
        message,
        "unknown status \"open\": use pending, admitted, declined or all"
    );
    assert_eq!(field, Some("status"));
}

#[test]
fn a_proposal_body_defaults_its_exponent_and_approvals() {
    let request: ProposeProject =
        serde_json::from_str(r#"{"slug": "hulls", "currency": "EUR"}"#).expect("parsed");
    assert_eq!((request.exponent, request.approvals), (2, 0));
}

#[test]
fn a_custodian_lists_members_shown_by_project_show_and_an_observer_is_refused() {
    let dir = tempfile::tempdir().expect("dir");
    let mut book = book(dir.path());
    let at = "2026-12-04T10:00:00Z";
    for command in [
        Command::add_agent("cy", Role::Affiliate),
        Command::add_agent("olga", Role::Observer),
        Command::add_project("hull", "CAD", 2),
    ] {
        let _ = book.book_mut().execute(OPERATOR, &command, None, at);
    }
    let add = |agent: &str| AddMember {
        project: "hull".into(),
        agent: agent.into(),
    };
    let listed = book.write("ana", None, &add("cy")).expect("listed");
    assert_eq!(listed.members, ["cy"]);
    let listed = book.write("ana", None, &add("bea")).expect("listed");
    assert_eq!(
        (listed.project.as_str(), listed.members),
        ("hull", vec!["bea".to_string(), "cy".to_string()])
    );

    let before = events(&book);
    let refused = book.write("ana", None, &add("olga")).unwrap_err();
    assert_eq!(
        refusal(refused),
        (
            Failure::Forbidden,
            "olga is an observer: observers neither propose nor vote, so a project does not \
             list them as members; give olga another role first"
                .to_string(),
            Some("agent")
        )
    );
    let refused = book.write("bea", None, &add("ana")).unwrap_err();
    assert_eq!(refusal(refused).0, Failure::Forbidden);
    assert_eq!(events(&book), before);

    let removed = RemoveMember {
        project: "hull".into(),
        agent: "cy".into(),
    };
    assert_eq!(
        book.write("ana", None, &removed).expect("removed").members,
        ["bea"]
    );
    let shown = book
        .read(
            Some("bea"),
            &crate::projects::ShowProject {
                project: "hull".into(),
            },
        )
        .expect("show");
    assert_eq!(shown.members, ["bea"]);
    // The list is a rule in force, since the event that last changed it.
    let members = shown
        .since
        .iter()
        .find(|s| s.rule == "members")
        .expect("members");
    assert_eq!((members.seq, members.proposal.as_deref()), (8, None));
}
