//! Proposing every kind of change from the dashboard over plain HTTP (issue 14): each change a
//! project's proposal may carry from the project's proposals page, each network-wide one from
//! the network's, chosen with `?change=KIND` and posted as the form the page shows (its CSRF
//! token and one-time idempotency key); each proposal is then listed with its change in plain
//! words. A refused proposal shows the core's reason and records nothing; an observer gets
//! no form; a network governed by proposals admits an agent by a proposal from its page.

mod common;

use common::TestBook;
use common::web::{governed_shop_with, log_in, page_of, refusal, server_at, text_of};
use fairshare_core::Command;
use fairshare_ops::Write as _;

/// shop (governed by proposals) with a bank holding 90.00 (its plan banks everything until
/// 1000.00), a decay, the lathe, and abran listed as a member; zoe asks to join and marie
/// proposes the project yard.
fn seed(book: &TestBook) {
    let plan =
        "[[bucket]]\ntype = \"bank\"\nuntil = \"1000.00\"\n\n[[bucket]]\ntype = \"contributors\"\n";
    let set_plan = fairshare_ops::plans::SetPlan {
        project: "shop".into(),
        bucket: fairshare_ops::plans::parse_plan_file(plan, false).expect("plan"),
    };
    governed_shop_with(
        book,
        vec![
            set_plan.command("luc").expect("plan"),
            Command::revenue("shop", "90.00"),
            Command::SetHalfLife {
                project: "shop".into(),
                days: Some("365".into()),
            },
            Command::AddResource {
                name: "lathe".into(),
                project: "shop".into(),
                owner: None,
                value: None,
            },
            Command::AddMember {
                project: "shop".into(),
                agent: "abran".into(),
            },
        ],
    );
    let at = "2026-11-21T12:00:00Z";
    book.setup_as(
        "zoe",
        at,
        vec![Command::RequestJoin {
            handle: "zoe".into(),
            name: None,
            about: None,
        }],
    );
    book.setup_as(
        "marie",
        at,
        vec![Command::ProposeProject {
            slug: "yard".into(),
            name: None,
            currency: "CAD".into(),
            exponent: 2,
            approvals: 0,
            about: None,
        }],
    );
}

/// The value of the hidden field `name` in the form `form` of `html`.
fn hidden_in(html: &str, form: &str, name: &str) -> String {
    let start = html
        .find(&format!("id=\"{form}\""))
        .unwrap_or_else(|| panic!("no form {form}"));
    let form = &html[start..start + html[start..].find("</form>").expect("form end")];
    let at = form
        .find(&format!("name=\"{name}\" value=\""))
        .unwrap_or_else(|| panic!("no {name} in {form}"));
    form[at..].split('"').nth(3).expect("value").to_string()
}

/// Chooses the change `kind` on the proposals page `page`, checks that its form has the
/// fields `fields` names, and posts them with the form's CSRF token and one-time key.
fn propose(
    base: &str,
    session: &str,
    page: &str,
    kind: &str,
    fields: &[(&str, &str)],
) -> reqwest::blocking::Response {
    let html = page_of(base, session, &format!("{page}?change={kind}"));
    let action = format!("{page}/{kind}");
    assert!(html.contains(&format!("action=\"{action}\"")), "{html}");
    for (name, _) in fields {
        assert!(
            html.contains(&format!("name=\"{name}\"")),
            "{kind}: no {name}"
        );
    }
    let csrf = hidden_in(&html, "propose-form", "csrf");
    let key = hidden_in(&html, "propose-form", "idempotency_key");
    common::web::http()
        .post(format!("{base}{action}"))
        .header("cookie", session)
        .form(&[fields, &[("csrf", &csrf), ("idempotency_key", &key)]].concat())
        .send()
        .expect("post")
}

/// The changes of proposal `id` in plain words, as its page lists them.
fn changes_of(base: &str, session: &str, id: &str) -> Vec<String> {
    let html = page_of(base, session, &format!("/proposals/{id}"));
    let start = html.find("<ul class=\"changes\">").expect("changes") + 20;
    let end = start + html[start..].find("</ul>").expect("end");
    html[start..end]
        .split("<li>")
        .skip(1)
        .map(|li| {
            let text = li.split('<').next().unwrap_or_default();
            // A plan change goes on with a link to what it would have paid.
            text.trim_end_matches(" — ").to_string()
        })
        .collect()
}

/// The messages of a page's error fields that say something.
fn errors_in(html: &str) -> Vec<String> {
    html.split("class=\"error\"")
        .skip(1)
        .map(|rest| {
            rest[rest.find('>').expect(">") + 1..]
                .split('<')
                .next()
                .unwrap_or_default()
        })
        .filter(|text| !text.is_empty())
        .map(str::to_string)
        .collect()
}

const SHOP: &str = "/projects/shop/proposals";
const NETWORK: &str = "/network/proposals";

/// A kind of change: the page it is proposed from, its kind, its fields, and the change in
/// plain words once proposed.
type Kind = (
    &'static str,
    &'static str,
    &'static [(&'static str, &'static str)],
    &'static str,
);

/// Every kind of change.
const EVERY_KIND: [Kind; 21] = [
    (
        SHOP,
        "set_rate",
        &[("category", "wood"), ("per_hour", "25.00")],
        "the rate of wood in shop: 25.00 per hour",
    ),
    (
        SHOP,
        "set_approvals",
        &[("approvals", "2")],
        "the approvals a contribution in shop needs: 2",
    ),
    (
        SHOP,
        "set_skill",
        &[("agent", "marie"), ("factor", "1.5")],
        "the skill factor of marie in shop: 1.5",
    ),
    (
        SHOP,
        "set_multiplier",
        &[("kind", "material"), ("factor", "2")],
        "the multiplier of material contributions in shop: 2",
    ),
    (
        SHOP,
        "set_decay",
        &[("half_life_days", "180")],
        "the half-life of values in shop: 180 days",
    ),
    (SHOP, "remove_decay", &[], "no decay of values in shop"),
    (
        SHOP,
        "set_plan",
        &[(
            "bucket",
            "[[bucket]]\ntype = \"percent\"\npercent = \"10\"\nto = \"tools\"\n\n[[bucket]]\ntype = \"contributors\"\n",
        )],
        "the plan of shop: 10% of the whole amount to tools (rounded down); everything left to contributors, pro rata by the value of their counted contributions; the rest to shop-unallocated",
    ),
    (
        SHOP,
        "set_blend",
        &[("formula", "1"), ("peer", "0"), ("steward", "0")],
        "the blend of shop: formula 1, peer 0, steward 0",
    ),
    (
        SHOP,
        "set_leaver_policy",
        &[("enabled", "on")],
        "leavers in shop: enabled",
    ),
    (
        SHOP,
        "set_fees",
        &[
            ("resource", "lathe"),
            ("per_hour", "12.00"),
            ("split", "upkeep=100"),
            ("community_roles", "affiliate"),
        ],
        "the fees of lathe: 12.00 per hour",
    ),
    (
        SHOP,
        "create_token",
        &[
            ("symbol", "SHOP"),
            ("exponent", "2"),
            ("redemption", "nav"),
            ("exit_fee_percent", "2"),
        ],
        "a token SHOP for shop",
    ),
    (
        SHOP,
        "release_bank",
        &[],
        "release what the bank of shop holds, before its threshold",
    ),
    (
        SHOP,
        "set_governance",
        &[("mode", "direct")],
        "the governance of project shop: direct",
    ),
    (
        NETWORK,
        "set_network_governance",
        &[
            ("mode", "proposals"),
            ("quorum", "60"),
            ("voting_days", "5"),
        ],
        "the governance of the network: by proposals, quorum 60%, threshold 66.67%, 5 days of voting, 3 days of notice, equal weights",
    ),
    (
        NETWORK,
        "add_agent",
        &[("handle", "nina"), ("role", "affiliate")],
        "admit nina as affiliate",
    ),
    (
        NETWORK,
        "add_project",
        &[("slug", "hall"), ("currency", "CAD"), ("exponent", "2")],
        "add the project hall in CAD",
    ),
    (
        NETWORK,
        "admit_agent",
        &[("handle", "zoe")],
        "admit zoe&#39;s request to join, as affiliate",
    ),
    (
        NETWORK,
        "set_role",
        &[("handle", "abran"), ("role", "custodian")],
        "make abran custodian",
    ),
    (
        NETWORK,
        "admit_project",
        &[("slug", "yard")],
        "admit the proposed project yard",
    ),
    (
        SHOP,
        "add_member",
        &[("agent", "luc")],
        "list luc as a member of shop",
    ),
    (
        SHOP,
        "remove_member",
        &[("agent", "abran")],
        "take abran off the members shop lists",
    ),
];

#[test]
fn every_kind_of_change_is_proposed_from_the_dashboard_and_listed_in_plain_words() {
    let book = TestBook::sqlite();
    seed(&book);
    let server = server_at(&book.url, "2026-11-21T12:00:00Z");
    let base = &server.base;
    let marie = log_in(base, "marie");
    let mut words = Vec::new();
    for (n, (page, kind, fields, _)) in EVERY_KIND.iter().enumerate() {
        let title = format!("Change {kind}");
        let fields = [*fields, &[("title", title.as_str())]].concat();
        let proposed = propose(base, &marie, page, kind, &fields);
        let status = proposed.status();
        let answer = proposed.text().expect("answer");
        assert_eq!(status, 303, "{kind}: {:?}", errors_in(&answer));
        let id = format!("proposal-{}", n + 1);
        let listed = page_of(base, &marie, page);
        assert!(listed.contains(&format!("id=\"proposal-{id}\"")), "{kind}");
        words.push(changes_of(base, &marie, &id).join("; "));
    }
    let expected: Vec<String> = EVERY_KIND.iter().map(|k| k.3.to_string()).collect();
    assert_eq!(words, expected);
    // Every kind of change is offered on the page of its scope, and nowhere else.
    let offered = |page: &str| {
        let html = page_of(base, &marie, page);
        let start = html.find("id=\"change-kind\"").expect("kinds");
        let end = start + html[start..].find("</select>").expect("select end");
        html[start..end]
            .split("<option value=\"")
            .skip(1)
            .map(|option| option.split('"').next().unwrap_or_default().to_string())
            .collect::<Vec<_>>()
    };
    let of = |scope: &str| -> Vec<String> {
        EVERY_KIND
            .iter()
            .filter(|k| k.0 == scope)
            .map(|k| k.1.to_string())
            .collect()
    };
    assert_eq!(offered(SHOP), of(SHOP));
    assert_eq!(offered(NETWORK), of(NETWORK));
}

#[test]
fn a_refused_proposal_shows_the_core_reason_and_records_nothing() {
    let book = TestBook::sqlite();
    seed(&book);
    let server = server_at(&book.url, "2026-11-21T12:00:00Z");
    let base = &server.base;
    let api = server.api(None);
    let head = api.head();
    let marie = log_in(base, "marie");

    // The core refuses a blend giving weight to peers before any peer round: the page shows
    // its reason with the form as it was filled in.
    let blend = [
        ("title", "Peers count"),
        ("formula", "0.5"),
        ("peer", "0.25"),
        ("steward", "0.25"),
    ];
    let refused = propose(base, &marie, SHOP, "set_blend", &blend);
    assert_eq!(refused.status(), 422);
    let html = refused.text().expect("html");
    assert_eq!(
        errors_in(&html),
        [
            "change 1 (set_blend) would be refused: the blend gives weight 0.25 to peer shares, \
             but no peer round of project shop has closed with any points given: run a round \
             first, or give peers weight 0"
        ]
    );
    assert_eq!(text_of(&html, "propose-kind"), "set blend");
    assert!(
        html.contains("id=\"propose-set_blend-formula\" value=\"0.5\""),
        "{html}"
    );
    assert!(
        html.contains("id=\"propose-title\" value=\"Peers count\""),
        "{html}"
    );

    // A malformed field is refused beside it, by its name.
    let governance = [
        ("title", "Slower"),
        ("mode", "proposals"),
        ("voting_days", "a week"),
    ];
    let refused = propose(base, &marie, SHOP, "set_governance", &governance);
    assert_eq!(refused.status(), 422);
    assert_eq!(
        text_of(
            &refused.text().expect("html"),
            "propose-set_governance-voting_days-error"
        ),
        "voting_days: expected a whole number such as 2, got &#34;a week&#34;"
    );

    // A network change is not proposed from a project's page, nor an unknown one.
    let html = page_of(base, &marie, SHOP);
    let csrf = hidden_in(&html, "propose-form", "csrf");
    let post = |action: &str| {
        common::web::http()
            .post(format!("{base}{action}"))
            .header("cookie", &marie)
            .form(&[("csrf", csrf.as_str()), ("title", "x"), ("handle", "nina")])
            .send()
            .expect("post")
            .status()
    };
    assert_eq!(post("/projects/shop/proposals/add_agent"), 404);
    assert_eq!(post("/network/proposals/set_rate"), 404);
    let unknown = common::web::http()
        .get(format!("{base}{SHOP}?change=revenue"))
        .header("cookie", &marie)
        .send()
        .expect("get");
    assert_eq!(unknown.status(), 404);
    assert!(
        unknown
            .text()
            .expect("html")
            .contains("no change &#34;revenue&#34; is proposed here: the changes are set_rate,"),
    );

    // An observer gets no form; a post anyway is refused by the core, shown on the page.
    let olga = log_in(base, "olga");
    for page in [SHOP, NETWORK] {
        let html = page_of(base, &olga, page);
        assert!(!html.contains("id=\"propose-form\""), "{page}");
        assert!(!html.contains("id=\"change-kind\""), "{page}");
    }
    let refused = common::web::post_from(
        base,
        &olga,
        SHOP,
        "/projects/shop/proposals/set_rate",
        &[
            ("title", "Mine"),
            ("category", "wood"),
            ("per_hour", "99.00"),
        ],
    );
    let message = refusal(refused, 403, "page-error");
    assert_eq!(
        message,
        "olga is an observer: observers may not propose rule changes"
    );
    assert_eq!(api.head(), head, "nothing refused is recorded");
}

/// A network governed by proposals: a custodian's admission from the members page is refused
/// with the core's reason, and the same admission is proposed from the network's page.
#[test]
fn a_network_governed_by_proposals_admits_by_a_proposal_from_the_dashboard() {
    let book = TestBook::sqlite();
    seed(&book);
    book.setup(vec![Command::SetGovernance {
        project: None,
        mode: fairshare_core::GovernanceMode::Proposals,
        quorum: None,
        threshold: None,
        notice_days: None,
        voting_days: None,
        weight: None,
    }]);
    let server = server_at(&book.url, "2026-11-21T12:00:00Z");
    let base = &server.base;
    let api = server.api(None);
    let head = api.head();
    let luc = log_in(base, "luc");
    let members = page_of(base, &luc, "/membership");
    assert!(members.contains("href=\"/network/proposals\""), "{members}");
    let refused = common::web::post_from(base, &luc, "/membership", "/join/zoe/admit", &[]);
    assert_eq!(refused.status(), 403);
    let html = refused.text().expect("html");
    assert!(
        html.contains("the network is governed by proposals: admit_agent must be proposed"),
        "{html}"
    );
    assert_eq!(api.head(), head, "a refused form records nothing");

    let network = page_of(base, &luc, NETWORK);
    assert_eq!(
        text_of(&network, "governance-settings"),
        "Rules change only by proposals: quorum 50%, threshold 66.67% of yes against yes and \
         no, 7 days of voting, 3 days of notice, one vote per member, since event 17 \
         (2026-11-21T12:00:00Z)."
    );
    let fields = [
        ("title", "Admit zoe"),
        ("handle", "zoe"),
        ("role", "affiliate"),
    ];
    let proposed = propose(base, &luc, NETWORK, "admit_agent", &fields);
    assert_eq!(proposed.status(), 303);
    assert_eq!(proposed.headers()["location"], NETWORK);
    assert_eq!(
        changes_of(base, &luc, "proposal-1"),
        ["admit zoe&#39;s request to join, as affiliate"]
    );
    let network = page_of(base, &luc, NETWORK);
    assert_eq!(text_of(&network, "status-proposal-1"), "open");
    assert_eq!(api.head(), head + 1);
}
