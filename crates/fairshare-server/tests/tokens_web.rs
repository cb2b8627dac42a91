//! Tokens on the dashboard over plain HTTP (issue 16): a pre-sale, a donation, a redemption
//! and a curve buy each quoted before it is sent (by htmx's route and by the no-JS *Quote*
//! button) and recorded as quoted, a transfer and an acceptance; each form's exact effect on
//! the book read back through the API, the net asset value charted by event, an observer shown
//! no form and refused, a refusal shown beside its field with the book unchanged.

mod common;

use common::seeded_server;
use common::web::{lab_and_tokens as seed, log_in, page_of, post_from, refusal, text_of};
use serde_json::json;

const BIKE: &str = "/tokens/BIKE";

#[test]
fn a_nav_token_is_presold_donated_to_redeemed_as_quoted_transferred_and_accepted() {
    let (_book, server) = seeded_server(seed);
    let base = &server.base;
    let api = server.api(None);
    let (luc, marie, olga) = (
        log_in(base, "luc"),
        log_in(base, "marie"),
        log_in(base, "olga"),
    );

    // Only a custodian sees the pre-sale form; an observer sees none and is refused.
    assert!(!page_of(base, &marie, BIKE).contains("id=\"presale-form\""));
    let seen = page_of(base, &olga, BIKE);
    assert!(
        !seen.contains("<form method=\"post\" action=\"/tokens"),
        "{seen}"
    );
    let head = api.head();
    let refused = post_from(base, &olga, BIKE, "/tokens/BIKE/redeem", &[("tokens", "1")]);
    assert_eq!(
        refusal(refused, 403, "token-error"),
        "olga is an observer: observers read but do not redeem tokens"
    );
    assert_eq!(api.head(), head);

    let sold = post_from(
        base,
        &luc,
        BIKE,
        "/tokens/BIKE/presale",
        &[("agent", "marie"), ("amount", "1000.00"), ("price", "1.00")],
    );
    assert_eq!(sold.status(), 303);
    assert_eq!(sold.headers()["location"], BIKE);
    let donated = post_from(
        base,
        &luc,
        BIKE,
        "/tokens/BIKE/donate",
        &[("amount", "100.00")],
    );
    assert_eq!(donated.status(), 303);
    let token = api.get("/api/v1/tokens/BIKE").expect(200).body;
    assert_eq!(
        (
            &token["supply"],
            &token["reserve"],
            &token["redemption_price"]
        ),
        (&json!("1000.00"), &json!("1100.00"), &json!("1.100000"))
    );
    // The chart has a point per event that moved the price: 1.00 after the pre-sale, 1.10
    // after the donation.
    let page = page_of(base, &marie, BIKE);
    assert!(
        page.contains("<title>event 13: 1.000000 CAD</title>"),
        "{page}"
    );
    assert!(
        page.contains("<title>event 14: 1.100000 CAD</title>"),
        "{page}"
    );
    assert_eq!(text_of(&page, "token-nav"), "1.100000 CAD");

    // marie's redemption of 100.00 is quoted (live, and by the Quote button), then recorded.
    let live = page_of(base, &marie, "/tokens/BIKE/quote/redeem?tokens=100");
    assert_eq!(
        live,
        "<div id=\"redeem-quote\" aria-live=\"polite\">\n\
         <p id=\"redeem-quote-headline\"><strong>Pays 107.80 CAD for 100.00 BIKE</strong></p>\n\
         <ul id=\"redeem-quote-lines\"><li>value out of the reserve: 110.00 CAD</li>\
         <li>exit fee kept in the reserve: 2.20 CAD</li></ul>\n</div>"
    );
    let no_js = post_from(
        base,
        &marie,
        BIKE,
        "/tokens/BIKE/redeem",
        &[("tokens", "100"), ("quote", "redeem")],
    );
    assert_eq!(no_js.status(), 200);
    let no_js = no_js.text().expect("html");
    assert!(no_js.contains("<strong>Pays 107.80 CAD for 100.00 BIKE</strong>"));
    assert!(no_js.contains("id=\"redeem-tokens\" inputmode=\"decimal\" value=\"100\""));
    let too_many = page_of(base, &marie, "/tokens/BIKE/quote/redeem?tokens=5000");
    assert!(
        text_of(&too_many, "redeem-quote-error").contains("1000.00"),
        "{too_many}"
    );
    assert_eq!(api.head(), head + 2, "quotes record nothing");
    let redeemed = post_from(
        base,
        &marie,
        BIKE,
        "/tokens/BIKE/redeem",
        &[("tokens", "100")],
    );
    assert_eq!(redeemed.status(), 303);
    let token = api.get("/api/v1/tokens/BIKE").expect(200).body;
    assert_eq!(
        (&token["supply"], &token["reserve"]),
        (&json!("900.00"), &json!("992.20"))
    );

    // A bad transfer is refused beside its field; then 50.00 go to olga.
    let head = api.head();
    let bad = post_from(
        base,
        &marie,
        BIKE,
        "/tokens/BIKE/transfer",
        &[("to", "marie"), ("tokens", "5")],
    );
    assert_eq!(
        refusal(bad, 422, "transfer-to-error"),
        "a transfer needs two different holders, not marie twice"
    );
    assert_eq!(api.head(), head);
    let sent = post_from(
        base,
        &marie,
        BIKE,
        "/tokens/BIKE/transfer",
        &[("to", "olga"), ("tokens", "50")],
    );
    assert_eq!(sent.status(), 303);
    let holders = &api.get("/api/v1/tokens/BIKE").expect(200).body["holders"];
    assert_eq!(
        holders,
        &json!([
            {"holder": "marie", "balance": "850.00", "share": "0.944444444444444444"},
            {"holder": "olga", "balance": "50.00", "share": "0.055555555555555556"},
        ])
    );

    let accepted = post_from(
        base,
        &luc,
        BIKE,
        "/tokens/BIKE/accept",
        &[("project", "transit"), ("rate", "0.50")],
    );
    assert_eq!(
        accepted.status(),
        303,
        "{}",
        accepted.text().unwrap_or_default()
    );
    let token = api.get("/api/v1/tokens/BIKE").expect(200).body;
    assert_eq!(token["accepted_by"], json!({"transit": "0.50"}));
    api.verify_ok();
}

#[test]
fn a_curve_buy_is_quoted_and_recorded_as_quoted() {
    let (_book, server) = seeded_server(seed);
    let base = &server.base;
    let api = server.api(None);
    let luc = log_in(base, "luc");
    let kiln = "/tokens/KILN";
    // The buy form is a custodian's (money entering from outside); an affiliate has none.
    assert!(page_of(base, &luc, kiln).contains("id=\"buy-form\""));
    let marie = log_in(base, "marie");
    assert!(!page_of(base, &marie, kiln).contains("id=\"buy-form\""));

    let head = api.head();
    let quoted = page_of(
        base,
        &luc,
        "/tokens/KILN/quote/buy?agent=marie&amount=100.00",
    );
    let headline = quoted
        .split("<strong>")
        .nth(1)
        .and_then(|rest| rest.split("</strong>").next())
        .expect("a headline");
    // The hatch left 1000.00 KILN against a reserve of 800.00 (V0 = 1000^2 / 800 = 1250);
    // 95.00 more in the reserve: floor(sqrt(1250 x 895.00)) - 1000.00 = 57.70 minted.
    assert_eq!(headline, "Mints 57.70 KILN for 100.00 CAD");
    assert!(quoted.contains("<li>entry tribute to studio-funding: 5.00 CAD</li>"));
    assert!(quoted.contains("<li>into the reserve: 95.00 CAD</li>"));
    assert_eq!(api.head(), head);
    let bought = post_from(
        base,
        &luc,
        kiln,
        "/tokens/KILN/buy",
        &[("agent", "marie"), ("amount", "100.00")],
    );
    assert_eq!(bought.status(), 303);
    let balances = api.get("/api/v1/balances/marie").expect(200).body;
    assert_eq!(balances["balances"]["marie"]["KILN"], "57.70", "{balances}");
}
