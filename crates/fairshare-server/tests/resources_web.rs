//! Shared equipment on the dashboard over plain HTTP (issue 16): a campaign pledged, bought
//! and paid back into a commons, a campaign cancelled, the fee editor, and the charged-use
//! form whose fee is quoted (by htmx's route and by the no-JS *Quote* button) before it is
//! sent; each form's exact effect on the book read back through the API, an observer shown no
//! form and refused, a refusal shown beside its field with the book unchanged.

mod common;

use common::web::{lab_and_tokens as seed, log_in, page_of, post_from, refusal, text_of};
use common::{TestServer, seeded_server};
use serde_json::json;

const PRESS: &str = "/campaigns/press";

#[test]
fn a_campaign_is_pledged_bought_and_paid_back_into_a_commons_from_the_dashboard() {
    let (_book, server) = seeded_server(seed);
    let base = &server.base;
    let api = server.api(None);
    let (marie, abran, luc, olga) = (
        log_in(base, "marie"),
        log_in(base, "abran"),
        log_in(base, "luc"),
        log_in(base, "olga"),
    );

    // The list links each campaign; an observer sees the campaign but no form.
    let list = page_of(base, &olga, "/resources");
    assert!(
        list.contains("<td><a href=\"/campaigns/press\">press</a></td>"),
        "{list}"
    );
    let seen = page_of(base, &olga, PRESS);
    assert!(
        !seen.contains("<form method=\"post\" action=\"/campaigns"),
        "{seen}"
    );
    assert_eq!(
        text_of(&seen, "campaign-purpose"),
        "a book press for the lab"
    );
    let head = api.head();
    let refused = post_from(
        base,
        &olga,
        PRESS,
        "/campaigns/press/pledge",
        &[("amount", "5")],
    );
    assert_eq!(
        refusal(refused, 403, "campaign-error"),
        "olga is an observer: observers may not pledge"
    );

    // A malformed amount is shown beside the field; nothing is recorded.
    let bad = post_from(
        base,
        &marie,
        PRESS,
        "/campaigns/press/pledge",
        &[("amount", "6OO")],
    );
    let message = refusal(bad, 422, "pledge-amount-error");
    assert!(
        message.starts_with("malformed amount &#34;6OO&#34;"),
        "{message}"
    );
    assert_eq!(api.head(), head);

    // marie pledges 600.00; abran's 500.00 is cut to the 400.00 missing.
    let pledged = post_from(
        base,
        &marie,
        PRESS,
        "/campaigns/press/pledge",
        &[("amount", "600")],
    );
    assert_eq!(pledged.status(), 303);
    assert_eq!(pledged.headers()["location"], PRESS);
    let page = page_of(base, &marie, PRESS);
    assert_eq!(
        text_of(&page, "campaign-raised"),
        "600.00 of 1000.00 CAD raised (60%), 400.00 missing"
    );
    assert!(page.contains("<progress id=\"campaign-progress\" max=\"100000\" value=\"60000\">"));
    assert!(!page.contains("id=\"purchase-form\"") && !page.contains("id=\"cancel-form\""));
    post_from(
        base,
        &abran,
        PRESS,
        "/campaigns/press/pledge",
        &[("amount", "500")],
    );
    let campaign = api.get("/api/v1/campaigns/press").expect(200).body;
    assert_eq!(
        (
            &campaign["status"],
            &campaign["raised"],
            &campaign["pledged"]
        ),
        (
            &json!("funded"),
            &json!("1000.00"),
            &json!({"abran": "400.00", "marie": "600.00"})
        )
    );

    // luc buys the press: the pledgers co-own it, paid back up to pledge x 1.2.
    let page = page_of(base, &luc, PRESS);
    assert!(page.contains("id=\"purchase-form\"") && !page.contains("id=\"pledge-form\""));
    let bought = post_from(
        base,
        &luc,
        PRESS,
        "/campaigns/press/purchase",
        &[("resource", "press"), ("premium_percent", "20")],
    );
    assert_eq!(bought.status(), 303);
    assert_eq!(bought.headers()["location"], "/resources/press");
    let resource = api.get("/api/v1/resources/press").expect(200).body;
    assert_eq!(
        resource["owners"],
        json!([
            {"agent": "abran", "pledge": "400.00", "cap": "480.00", "received": "0.00", "outstanding": "480.00"},
            {"agent": "marie", "pledge": "600.00", "cap": "720.00", "received": "0.00", "outstanding": "720.00"},
        ])
    );

    set_fees(&server, &luc);
    charge_uses(&server, &marie);
}

/// The fee editor: a malformed split is refused beside the field, a good schedule is set.
fn set_fees(server: &TestServer, luc: &str) {
    let (base, api) = (&server.base, server.api(None));
    let page = "/resources/press";
    let head = api.head();
    let fields = |split: &'static str| {
        [
            ("per_hour", "50.00"),
            ("split", split),
            ("material_per_unit", ""),
            ("community_roles", ""),
        ]
    };
    let bad = post_from(
        base,
        luc,
        page,
        "/resources/press/fees",
        &fields("payback=60,upkeep"),
    );
    assert_eq!(
        refusal(bad, 422, "fees-split-error"),
        "malformed split entry &#34;upkeep&#34;: expected NAME=PERCENT; write NAME=PERCENT,... \
         such as maintenance=20,infra=10,payback=70"
    );
    assert_eq!(api.head(), head);
    let set = post_from(
        base,
        luc,
        page,
        "/resources/press/fees",
        &fields("payback=60,upkeep=40"),
    );
    assert_eq!(set.status(), 303);
    let fees = &api.get("/api/v1/resources/press").expect(200).body["fees"];
    assert_eq!(
        (&fees["per_hour"], &fees["split"]),
        (
            &json!("50.00"),
            &json!([{"to": "payback", "percent": "60"}, {"to": "upkeep", "percent": "40"}])
        )
    );
    // The editor shows the schedule in force.
    let shown = page_of(base, luc, page);
    assert!(shown.contains("value=\"payback=60,upkeep=40\""), "{shown}");
}

/// marie's uses: each fee quoted first (live and without JavaScript, recording nothing), then
/// charged as quoted; the use that pays the last co-owner back makes the press a commons.
fn charge_uses(server: &TestServer, marie: &str) {
    let (base, api) = (&server.base, server.api(None));
    let page = "/resources/press";
    let head = api.head();
    let live = page_of(base, marie, "/resources/press/quote?hours=2");
    assert!(live.contains("<strong>Fee: 100.00 CAD</strong>"), "{live}");
    assert!(
        live.contains(
            "<tr><td>60% payback</td><td>marie</td><td class=\"num\">36.00 CAD</td></tr>"
        ),
        "{live}"
    );
    assert!(live.contains("<td>40% upkeep</td><td>upkeep</td><td class=\"num\">40.00 CAD</td>"));
    let no_js = post_from(
        base,
        marie,
        page,
        "/resources/press/use",
        &[("hours", "2"), ("quote", "1")],
    );
    assert_eq!(no_js.status(), 200);
    let no_js = no_js.text().expect("html");
    assert!(
        no_js.contains("<strong>Fee: 100.00 CAD</strong>"),
        "{no_js}"
    );
    assert!(no_js.contains("name=\"hours\" id=\"use-hours\" inputmode=\"decimal\" value=\"2\""));
    let refused = page_of(base, marie, "/resources/press/quote?hours=-1");
    assert!(
        text_of(&refused, "use-quote-error").contains("hours"),
        "{refused}"
    );
    assert_eq!(api.head(), head, "a quote records nothing");

    let used = post_from(base, marie, page, "/resources/press/use", &[("hours", "2")]);
    assert_eq!(used.status(), 303);
    let resource = api.get("/api/v1/resources/press").expect(200).body;
    assert_eq!(
        (
            &resource["fees_charged"],
            &resource["owners"][1]["received"]
        ),
        (&json!("100.00"), &json!("36.00"))
    );
    // 1140.00 is still owed: 38 h at 50.00 pay it back (60% of 1900.00) exactly.
    let crossing = page_of(base, marie, "/resources/press/quote?hours=38");
    assert_eq!(
        text_of(&crossing, "use-quote-commons"),
        "This use pays the last co-owner back: the resource becomes a commons."
    );
    assert!(!page_of(base, marie, page).contains("id=\"commons-badge\""));
    post_from(
        base,
        marie,
        page,
        "/resources/press/use",
        &[("hours", "38")],
    );
    let shown = page_of(base, marie, page);
    assert_eq!(
        text_of(&shown, "commons-badge"),
        "Commons: every co-owner is paid back"
    );
    assert!(shown.contains("<progress id=\"payback-marie\" max=\"72000\" value=\"72000\""));
    let resource = api.get("/api/v1/resources/press").expect(200).body;
    assert_eq!(
        (&resource["status"], &resource["fees_charged"]),
        (&json!("commons"), &json!("2000.00"))
    );
    api.verify_ok();
}

#[test]
fn a_custodian_cancels_a_campaign_and_every_pledge_is_refunded() {
    let (_book, server) = seeded_server(seed);
    let base = &server.base;
    let api = server.api(None);
    let marie = log_in(base, "marie");
    let kiln = "/campaigns/kiln";
    post_from(
        base,
        &marie,
        kiln,
        "/campaigns/kiln/pledge",
        &[("amount", "120.50")],
    );
    assert!(!page_of(base, &marie, kiln).contains("id=\"cancel-form\""));
    // An affiliate posting the cancel anyway is refused by the core.
    let head = api.head();
    let refused = post_from(base, &marie, kiln, "/campaigns/kiln/cancel", &[]);
    assert_eq!(
        refusal(refused, 403, "campaign-error"),
        "only custodians may cancel campaigns; this agent is an affiliate"
    );
    assert_eq!(api.head(), head);
    let luc = log_in(base, "luc");
    assert!(page_of(base, &luc, kiln).contains("id=\"cancel-form\""));
    let cancelled = post_from(base, &luc, kiln, "/campaigns/kiln/cancel", &[]);
    assert_eq!(cancelled.status(), 303);
    let campaign = api.get("/api/v1/campaigns/kiln").expect(200).body;
    assert_eq!(campaign["status"], "cancelled");
    let page = page_of(base, &marie, kiln);
    assert_eq!(text_of(&page, "campaign-status"), "cancelled");
    assert!(!page.contains("id=\"pledge-form\""));
}
