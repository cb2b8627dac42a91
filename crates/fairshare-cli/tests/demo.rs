//! `fairshare demo`: the network it builds, checked capability by capability through the
//! commands anyone would run on it (through a server too, in client mode), and `demo --serve`
//! served at once with a working login for each role.

mod common;
// The server's own tests log in with this file too.
#[path = "../../fairshare-server/tests/common/login_form.rs"]
mod login_form;

use std::io::{BufRead, BufReader};
use std::net::TcpStream;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use common::{Env, NOW, amounts, stderr, stdout};
use login_form::{http, post_login, set_cookie};
use serde_json::{Value, json};

/// The demo written into the test's book.
fn demo(env: &Env) -> Value {
    let output = env.run(&["--json", "demo"]);
    assert!(output.status.success(), "{}", stderr(&output));
    serde_json::from_str(&stdout(&output)).unwrap()
}

#[test]
fn demo_builds_the_forillon_story() {
    let env = Env::empty();
    let book = env.path("demo.db");
    let output = env.run_on(&book, &["--json", "demo"]);
    assert!(output.status.success(), "{}", stderr(&output));
    let doc: Value = serde_json::from_str(&stdout(&output)).unwrap();
    assert_eq!(
        doc["statement"]["payouts"],
        amounts(&[
            ("abran", "5558.82"),
            ("infra", "1200.00"),
            ("luc", "1535.30"),
            ("marie", "3705.88"),
        ])
    );
    assert_eq!(doc["statement"]["key"], "parks-contract-1");
    assert_eq!(doc["verify"]["ok"], true);
    assert_eq!(doc["verify"]["events"], doc["events"]);
    // The tracker: the gift, the rejected and the pending contributions do not count.
    assert_eq!(
        doc["shares"][1]["shares"],
        json!([
            {"agent": "abran", "value": "250.00", "share": "0.352112676056338028"},
            {"agent": "luc", "value": "60.00", "share": "0.084507042253521127"},
            {"agent": "yasmin", "value": "400.00", "share": "0.563380281690140845"},
        ])
    );
    // A book with events is never touched.
    let output = env.run_on(&book, &["demo"]);
    assert_eq!(output.status.code(), Some(2));
    assert!(stderr(&output).starts_with("error: demo needs a new book"));

    // Without --book: ./fairshare-demo.db, replaced on every run.
    for _ in 0..2 {
        let mut command = Command::new(env!("CARGO_BIN_EXE_fairshare"));
        let output = command
            .env_remove("FAIRSHARE_BOOK")
            .env("FAIRSHARE_NOW", NOW)
            .current_dir(env.dir.path())
            .arg("demo")
            .output()
            .unwrap();
        assert!(output.status.success(), "{}", stderr(&output));
        let text = stdout(&output);
        assert!(
            text.starts_with(
                "demo network in ./fairshare-demo.db: 59 events, 2026-03-02 to 2026-10-06\n"
            ),
            "{text}"
        );
        assert!(
            text.contains("3  contributors (work)    abran  5558.82"),
            "{text}"
        );
        // Shares read as percentages; the JSON keeps the exact value.
        assert!(text.contains("  abran  5400.00  51.43%\n"), "{text}");
        assert!(text.contains("\nok: 59 events"), "{text}");
        assert!(
            text.contains("\nbrowse it: fairshare --book ./fairshare-demo.db serve\n"),
            "{text}"
        );
        assert!(text.contains("/resources/laser, /tokens/TRACK"), "{text}");
    }
}

#[test]
fn the_demo_is_the_same_book_on_every_run() {
    let env = Env::empty();
    let (first, second) = (env.path("first.db"), env.path("second.db"));
    for book in [&first, &second] {
        let output = env.run_on(book, &["demo"]);
        assert!(output.status.success(), "{}", stderr(&output));
    }
    let export = |book| stdout(&env.run_on(book, &["export"]));
    let exported = export(&first);
    assert_eq!(exported.lines().count(), 59);
    assert!(
        exported
            .lines()
            .next()
            .unwrap()
            .contains("\"recorded_at\":\"2026-03-02T09:00:00Z\""),
        "the story's dates are fixed, not the clock's"
    );
    assert_eq!(exported, export(&second));
}

#[test]
fn the_demo_exercises_every_capability() {
    let env = Env::empty();
    let doc = demo(&env);
    assert_eq!(doc["events"], 59);

    // A contract and its plan: forillon's revenue, split by its plan.
    let statement = env.json(&["statement", "1"]);
    assert_eq!(statement["amount"], "12000.00");
    assert_eq!(statement["plan_version"], 2);
    assert_eq!(
        statement["payouts"],
        amounts(&[
            ("abran", "5558.82"),
            ("infra", "1200.00"),
            ("luc", "1535.30"),
            ("marie", "3705.88"),
        ])
    );

    // A crowdfunded machine: every co-owner paid back pledge + 20%, the laser a commons.
    let laser = env.json(&["resource", "show", "laser"]);
    assert_eq!(laser["status"], "commons");
    assert_eq!(laser["campaign"], "laser-fund");
    assert_eq!(laser["value"], "2000.00");
    assert_eq!(
        laser["owners"],
        json!([
            {"agent": "abran", "pledge": "800.00", "cap": "960.00", "received": "960.00", "outstanding": "0.00"},
            {"agent": "marie", "pledge": "700.00", "cap": "840.00", "received": "840.00", "outstanding": "0.00"},
            {"agent": "yasmin", "pledge": "500.00", "cap": "600.00", "received": "600.00", "outstanding": "0.00"},
        ])
    );
    assert_eq!(laser["uses"], 3);
    assert_eq!(laser["fees_charged"], "3600.00");
    // The third job's payback share: 720.00 closed the caps, 120.00 went to the commons.
    let fees = laser["history"][2]["payouts"].clone();
    assert_eq!(fees["commons"], "120.00", "{fees}");
    assert_eq!(fees["abran"], "288.00", "{fees}");
    for (account, balance) in [("commons", "120.00"), ("maintenance", "720.00")] {
        assert_eq!(
            env.json(&["balance", account])["balances"][account]["CAD"],
            balance
        );
    }

    // A token with a pre-sale: 2000.00 TRACK sold to odile, 710.00 minted by contributions,
    // 271.00 redeemed by yasmin for 271 x 2000 / 2710 = 200.00.
    let token = env.json(&["token", "show", "TRACK"]);
    assert_eq!(token["supply"], "2439.00");
    assert_eq!(token["minted"], "2710.00");
    assert_eq!(token["burned"], "271.00");
    assert_eq!(token["reserve"], "1800.00");
    assert_eq!(token["issuance"][0]["cause"], "pre-sale");
    assert_eq!(token["issuance"][0]["holder"], "odile");
    assert_eq!(token["issuance"][0]["tokens"], "2000.00");
    let odile = env.json(&["balance", "odile"]);
    assert_eq!(odile["balances"]["odile"], json!({"TRACK": "2000.00"}));
    // yasmin: the laser paid her back 600.00, the redemption 200.00.
    let yasmin = env.json(&["balance", "yasmin"]);
    assert_eq!(yasmin["balances"]["yasmin"]["CAD"], "800.00");
    assert_eq!(yasmin["balances"]["yasmin"]["TRACK"], "129.00");

    // A peer round given and closed, and the pool allocated at the crystallisation event.
    let round = env.json(&["round", "show", "1"]);
    assert_eq!(round["status"], "closed");
    assert_eq!(round["total"], 300);
    let pools = env.json(&["pool", "list", "venture"]);
    assert_eq!(pools["pools"][0]["key"], "crystallisation-2026");
    assert_eq!(pools["pools"][0]["size"], "100000");
    assert_eq!(
        pools["pools"][0]["units"],
        json!({"abran": "40000", "marie": "28333", "yasmin": "31667"})
    );

    // A payout requested by abran and approved by luc.
    let payouts = env.json(&["payouts"]);
    let payout = &payouts["payouts"][0];
    assert_eq!(payouts["total"], 1);
    assert_eq!(payout["id"], "payout-1");
    assert_eq!(payout["amount"], "5000.00");
    assert_eq!(payout["status"], "paid");
    assert_eq!(payout["requested_by"], "abran");
    assert_eq!(payout["reviewed_by"], "luc");
    // 5558.82 from forillon + 960.00 paid back by the laser - 5000.00 paid out.
    assert_eq!(payout["balance"], "1518.82");

    let verified = env.ok(&["verify"]);
    assert!(
        verified.starts_with("ok: 59 events, hash chain and every outcome check out\n"),
        "{verified}"
    );
}

/// `demo --serve` on a free port, its output read as it comes.
struct ServedDemo {
    child: Child,
    lines: Vec<String>,
}

impl Drop for ServedDemo {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

fn serve_demo(env: &Env) -> (ServedDemo, u16) {
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let addr = format!("127.0.0.1:{port}");
    let child = env
        .bare_command(NOW)
        .arg("--book")
        .arg(env.path("served.db"))
        .args(["demo", "--serve", "--listen", &addr])
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    let mut served = ServedDemo {
        child,
        lines: Vec::new(),
    };
    let stdout = served.child.stdout.take().expect("stdout");
    let mut lines = BufReader::new(stdout).lines();
    // Up to the last line the demo prints before it serves.
    for line in lines.by_ref() {
        let line = line.unwrap();
        let last = line.starts_with("pages: ");
        served.lines.push(line);
        if last {
            break;
        }
    }
    // The rest is drained: the server prints too, and a closed pipe would fail it.
    std::thread::spawn(move || lines.for_each(drop));
    let started = Instant::now();
    while TcpStream::connect(("127.0.0.1", port)).is_err() {
        assert!(
            started.elapsed() < Duration::from_secs(30),
            "the demo was not served: {:?}",
            served.lines
        );
        std::thread::sleep(Duration::from_millis(20));
    }
    (served, port)
}

/// Logs in through the dashboard's form; the session cookie, or the status refused with.
fn log_in(url: &str, handle: &str, password: &str) -> Result<String, u16> {
    let answer = post_login(url, handle, password);
    match answer.status().as_u16() {
        303 => Ok(set_cookie(&answer, "fs_session").expect("no fs_session cookie")),
        status => Err(status),
    }
}

#[test]
fn demo_serve_prints_the_url_and_a_working_login_for_each_role() {
    let env = Env::empty();
    let (served, port) = serve_demo(&env);
    let url = format!("http://127.0.0.1:{port}");
    let lines = &served.lines;
    let serving = format!("serving it at {url} until stopped; log in at {url}/login as:");
    let at = lines
        .iter()
        .position(|l| *l == serving)
        .unwrap_or_else(|| panic!("{lines:#?}"));
    let logins: Vec<Vec<&str>> = lines[at + 1..at + 4]
        .iter()
        .map(|l| l.split_whitespace().collect())
        .collect();
    let roles: Vec<(&str, &str)> = logins.iter().map(|l| (l[0], l[1])).collect();
    assert_eq!(
        roles,
        [
            ("custodian", "luc"),
            ("affiliate", "abran"),
            ("observer", "odile")
        ]
    );
    for login in &logins {
        assert_eq!(login.len(), 3, "{login:?}");
        assert_eq!(login[2].len(), 16, "{login:?}");
    }
    assert_ne!(logins[0][2], logins[1][2], "each login its own password");

    // The custodian logs in and sees the approved payout on the treasury page.
    let session = log_in(&url, "luc", logins[0][2]).expect("luc logs in");
    let treasury = http()
        .get(format!("{url}/treasury"))
        .header("cookie", &session)
        .send()
        .unwrap();
    assert_eq!(treasury.status(), 200);
    let html = treasury.text().unwrap();
    assert!(html.contains("payout-1"), "{html}");
    assert!(html.contains("bank transfer 1042"), "{html}");
    // The observer's password is the observer's, not the custodian's.
    assert_eq!(log_in(&url, "odile", logins[0][2]), Err(401));
    // Every page the demo names opens (a public network: no login needed to read).
    let pages = lines.last().unwrap().strip_prefix("pages: ").unwrap();
    assert_eq!(
        pages,
        "/projects/forillon, /resources/laser, /tokens/TRACK, /projects/venture/peer, /treasury, /log"
    );
    for page in pages.split(", ") {
        let answer = http().get(format!("{url}{page}")).send().unwrap();
        assert_eq!(answer.status(), 200, "{page}");
    }
}
