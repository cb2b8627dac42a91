//! Shared equipment and tokens in a real headless Chromium (issue 16): a campaign pledged
//! and bought, a charged use whose fee htmx shows before it is sent, a token redeemed and a
//! curve token bought, each quote shown first; an observer sees no form. Skipped (with a line
//! saying so) without Chromium; with `FAIRSHARE_SCREENSHOTS=1` it saves each page's desktop
//! and phone screenshots under `docs/screenshots/`.

mod common;

use common::browser::{Browser, browse};
use common::web::lab_and_tokens;
use common::{TestBook, seeded_server};
use fairshare_core::Command;
use serde_json::json;

/// [`lab_and_tokens`], with 1000.00 BIKE pre-sold to marie at 1.00 and 100.00 donated.
fn seed(book: &TestBook) {
    lab_and_tokens(book);
    book.setup(vec![
        Command::Presale {
            token: "BIKE".into(),
            agent: "marie".into(),
            amount: "1000.00".into(),
            price: "1.00".into(),
        },
        Command::Donate {
            token: "BIKE".into(),
            agent: "luc".into(),
            amount: "100.00".into(),
        },
    ]);
}

#[test]
fn equipment_and_tokens_are_used_with_the_quote_shown_first_in_a_browser() {
    let (_book, server) = seeded_server(seed);
    let api = server.api(None);
    browse(&server.base.clone(), |b| async move {
        campaign_story(&b).await;
        use_story(&b, &api).await;
        token_story(&b, &api).await;
        observer_story(&b).await;
    });
}

/// The log's head, read off the browser's thread (the blocking client runs its own runtime).
async fn head(api: &common::Api) -> u64 {
    let api = api.clone();
    tokio::task::spawn_blocking(move || api.head())
        .await
        .expect("head")
}

/// A JSON read of the API, off the browser's thread.
async fn get(api: &common::Api, path: &str) -> serde_json::Value {
    let (api, path) = (api.clone(), path.to_string());
    tokio::task::spawn_blocking(move || api.get(&path).expect(200).body)
        .await
        .expect("get")
}

/// marie pledges from the list; luc pledges the rest for abran and buys the press.
async fn campaign_story(b: &Browser) {
    b.log_in("marie").await;
    b.submit("#nav-resources").await;
    b.submit("#campaign-row-press a").await;
    assert_eq!(b.path().await, "/campaigns/press");
    b.fill("#pledge-amount", "600").await;
    b.submit("#pledge-submit").await;
    assert_eq!(
        b.text("#campaign-raised").await,
        "600.00 of 1000.00 CAD raised (60%), 400.00 missing"
    );
    assert_eq!(b.text("#pledge-1").await, "1 marie 600.00 CAD");
    b.shot_desktop_and_phone("campaign").await;
    b.log_out().await;

    b.log_in("luc").await;
    b.go("/campaigns/press").await;
    b.fill("#pledge-agent", "abran").await;
    b.fill("#pledge-amount", "400").await;
    b.submit("#pledge-submit").await;
    assert_eq!(b.text("#campaign-status").await, "funded");
    b.fill("#purchase-resource", "press").await;
    b.fill("#purchase-premium", "20").await;
    b.submit("#purchase-submit").await;
    assert_eq!(b.path().await, "/resources/press");
    assert_eq!(
        b.text("#owner-marie").await,
        "marie 600.00 720.00 0.00 720.00 0%"
    );
    b.fill("#fees-per-hour", "50.00").await;
    b.fill("#fees-split", "payback=60,upkeep=40").await;
    b.submit("#fees-submit").await;
    assert_eq!(
        b.text("#fees").await,
        "50.00 CAD per hour; community use free\n\
         material at cost 0 per unit, to materials; technician 0 per hour\n\
         the use fee splits: 60% to payback, 40% to upkeep; once paid back, the payback share goes to commons"
    );
    b.go("/resources").await;
    b.shot_desktop_and_phone("resources").await;
    b.log_out().await;
}

/// marie types the hours of a use: htmx shows the fee before she charges it.
async fn use_story(b: &Browser, api: &common::Api) {
    b.log_in("marie").await;
    b.go("/resources/press").await;
    let before = head(api).await;
    b.fill("#use-hours", "2").await;
    let quote = b.wait_text("#use-quote", "Fee: 100.00 CAD").await;
    assert!(
        quote.contains("60% payback marie 36.00 CAD")
            && quote.contains("40% upkeep upkeep 40.00 CAD"),
        "{quote}"
    );
    assert_eq!(head(api).await, before, "the quote records nothing");
    b.submit("#use-submit").await;
    assert_eq!(b.text("#resource-uses").await, "1 uses, 100.00 CAD in fees");
    assert_eq!(
        b.text("#owner-marie").await,
        "marie 600.00 720.00 36.00 684.00 5%"
    );
    assert_eq!(head(api).await, before + 1);
    b.shot_desktop_and_phone("resource").await;
}

/// marie redeems 100.00 BIKE with the payout shown first; luc records a KILN buy for her,
/// also quoted first.
async fn token_story(b: &Browser, api: &common::Api) {
    b.submit("#nav-tokens").await;
    b.shot_desktop_and_phone("tokens").await;
    b.submit("#token-row-BIKE a").await;
    assert_eq!(b.text("#token-nav").await, "1.100000 CAD");
    b.fill("#redeem-tokens", "100").await;
    let quote = b
        .wait_text("#redeem-quote", "Pays 107.80 CAD for 100.00 BIKE")
        .await;
    assert!(
        quote.contains("exit fee kept in the reserve: 2.20 CAD"),
        "{quote}"
    );
    b.submit("#redeem-submit").await;
    assert_eq!(b.text("#token-supply").await, "900.00");
    assert_eq!(b.text("#token-reserve").await, "992.20 CAD");
    assert_eq!(b.text("#holder-marie").await, "marie 900.00 100.00%");
    b.shot_desktop_and_phone("token").await;
    b.log_out().await;

    b.log_in("luc").await;
    b.go("/tokens/KILN").await;
    b.fill("#buy-agent", "marie").await;
    b.fill("#buy-amount", "100.00").await;
    b.wait_text("#buy-quote", "Mints 57.70 KILN for 100.00 CAD")
        .await;
    b.submit("#buy-submit").await;
    assert_eq!(
        b.text("#holder-marie").await.split(' ').nth(1),
        Some("57.70")
    );
    let balances = get(api, "/api/v1/balances/marie").await;
    // CAD: the press paid her 36.00 back and the redemption 107.80.
    assert_eq!(
        balances["balances"]["marie"],
        json!({"BIKE": "900.00", "CAD": "143.80", "KILN": "57.70"}),
        "{balances}"
    );
    b.log_out().await;
}

/// An observer reads every page and is shown no form on any.
async fn observer_story(b: &Browser) {
    b.log_in("olga").await;
    for page in [
        "/resources",
        "/campaigns/press",
        "/resources/press",
        "/tokens",
        "/tokens/BIKE",
        "/tokens/KILN",
    ] {
        b.go(page).await;
        let html = b.source().await;
        assert!(
            !html.contains("method=\"post\" action=\"/campaigns"),
            "{page}"
        );
        assert!(
            !html.contains("method=\"post\" action=\"/resources"),
            "{page}"
        );
        assert!(!html.contains("method=\"post\" action=\"/tokens"), "{page}");
        assert!(html.contains("id=\"nav-tokens\""), "{page}");
    }
}
