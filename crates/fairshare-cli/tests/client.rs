//! The CLI as a client of a real `fairshare serve` (issue 16): `login` and its profile file,
//! `profile list|use|remove`, the current profile taking commands to its server, and what
//! client mode refuses (`--as`, local-only commands, a missing or bad key).

mod common;

use std::io::Write;
use std::os::unix::fs::PermissionsExt;
use std::path::{Path, PathBuf};
use std::process::{Command, Output, Stdio};

use common::{Env, NOW, stderr, stdout};
use serde_json::{Value, json};

const KEY_HINT: &str =
    "the CLI presents the key in FAIRSHARE_KEY, else the profile's: `fairshare login URL`";

/// A book with a custodian (luc, with a key made by `key create`) and its server.
struct Network {
    env: Env,
    url: String,
    key: String,
    config_home: PathBuf,
}

impl Network {
    fn new() -> Network {
        let env = Env::empty();
        env.bare_command(NOW)
            .arg("--book")
            .arg(&env.book)
            .arg("init")
            .output()
            .unwrap();
        local(&env, &["agent", "add", "luc", "--role", "custodian"]);
        let created = local(&env, &["--json", "key", "create", "luc"]);
        let key = created["key"].as_str().unwrap().to_string();
        let url = env.server_url(NOW);
        let config_home = env.path("xdg");
        Network {
            env,
            url,
            key,
            config_home,
        }
    }

    /// The binary with this user's config directory and no book, server or key.
    fn client(&self, args: &[&str]) -> Command {
        let mut command = self.env.bare_command(NOW);
        command.env("XDG_CONFIG_HOME", &self.config_home).args(args);
        command
    }

    fn run(&self, args: &[&str]) -> Output {
        self.client(args).output().unwrap()
    }

    /// `args` with `--json`, which must succeed.
    fn json(&self, args: &[&str]) -> Value {
        let output = self.run(&[&["--json"], args].concat());
        assert!(output.status.success(), "{args:?}: {}", stderr(&output));
        serde_json::from_str(&stdout(&output)).unwrap()
    }

    /// `login URL --key-stdin [--name NAME]` with `key` on stdin.
    fn login(&self, key: &str, name: Option<&str>) -> Output {
        let mut args = vec!["--json", "login", &self.url, "--key-stdin"];
        if let Some(name) = name {
            args.extend(["--name", name]);
        }
        let mut child = self
            .client(&args)
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .unwrap();
        writeln!(child.stdin.take().unwrap(), "{key}").unwrap();
        child.wait_with_output().unwrap()
    }

    fn config(&self) -> PathBuf {
        self.config_home.join("fairshare").join("config.toml")
    }
}

/// A command on the local book, which must succeed; its JSON document.
fn local(env: &Env, args: &[&str]) -> Value {
    let output = env
        .bare_command(NOW)
        .arg("--book")
        .arg(&env.book)
        .args(args)
        .output()
        .unwrap();
    assert!(output.status.success(), "{args:?}: {}", stderr(&output));
    serde_json::from_str(&stdout(&output)).unwrap_or(Value::Null)
}

fn mode(path: &Path) -> u32 {
    std::fs::metadata(path).unwrap().permissions().mode() & 0o777
}

/// The error document of a refused `--json` command, with its exit status.
fn refusal(output: &Output) -> (Option<i32>, Value) {
    let doc = serde_json::from_str(&stdout(output))
        .unwrap_or_else(|e| panic!("{e}: {}{}", stdout(output), stderr(output)));
    (output.status.code(), doc)
}

fn error(kind: &str, message: &str) -> Value {
    json!({"error": {"kind": kind, "message": message}})
}

#[test]
fn login_saves_a_profile_only_its_owner_may_read_and_commands_then_run_on_its_server() {
    let net = Network::new();
    let output = net.login(&net.key, None);
    assert!(output.status.success(), "{}", stderr(&output));
    let logged: Value = serde_json::from_str(&stdout(&output)).unwrap();
    let key_id = local(&net.env, &["--json", "key", "list", "luc"])["keys"][0]["id"].clone();
    let port = net.url.rsplit(':').next().unwrap();
    let name = format!("127.0.0.1:{port}");
    assert_eq!(
        logged,
        json!({"config": net.config().display().to_string(),
               "profile": {"name": name, "server": net.url, "key_id": key_id, "current": true}})
    );
    // The file holds the key: its owner alone may read it, and its directory.
    assert_eq!(mode(&net.config()), 0o600);
    assert_eq!(mode(net.config().parent().unwrap()), 0o700);
    let text = std::fs::read_to_string(net.config()).unwrap();
    assert!(text.contains(&net.key) && text.contains(&net.url), "{text}");

    // No --book, no --server: the current profile's server, acting as luc.
    let added = net.json(&["project", "add", "forillon"]);
    assert_eq!(added["project"]["project"], "forillon");
    let shown = local(&net.env, &["--json", "project", "show", "forillon"]);
    assert_eq!(shown["project"], "forillon");
    let log = local(&net.env, &["--json", "log", "show"]);
    let last = &log["events"].as_array().unwrap().last().unwrap().clone();
    assert_eq!(last["actor"], "luc");
    assert!(last["key"].as_str().unwrap().starts_with("cli-"), "{last}");

    // A second profile; `profile use` switches, `profile remove` forgets.
    let output = net.login(&net.key, Some("again"));
    assert!(output.status.success(), "{}", stderr(&output));
    let listed = net.json(&["profile", "list"]);
    assert_eq!(listed["current"], "again");
    assert_eq!(listed["profiles"].as_array().unwrap().len(), 2);
    let used = net.json(&["profile", "use", &name]);
    assert_eq!(used["current"], name.as_str());
    let text = stdout(&net.run(&["profile", "list"]));
    assert!(
        text.lines()
            .any(|l| l.starts_with('*') && l.contains(&name)),
        "{text}"
    );
    let removed = net.json(&["profile", "remove", "again"]);
    assert_eq!(
        removed["profiles"],
        json!([{"name": name, "server": net.url, "key_id": key_id, "current": true}])
    );
    assert_eq!(mode(&net.config()), 0o600);
    let (code, doc) = refusal(&net.run(&["--json", "profile", "use", "nope"]));
    assert_eq!(code, Some(2));
    assert_eq!(
        doc,
        error("not-found", &format!("no profile \"nope\" (known: {name})"))
    );
    // --book still means the local book, whatever the current profile.
    let local_list = net.json(&["--book", net.env.book.to_str().unwrap(), "project", "list"]);
    assert_eq!(local_list["projects"][0]["project"], "forillon");

    // A config others may read is refused, not used.
    std::fs::set_permissions(net.config(), std::fs::Permissions::from_mode(0o644)).unwrap();
    let (code, doc) = refusal(&net.run(&["--json", "project", "list"]));
    assert_eq!(code, Some(1));
    assert_eq!(
        doc,
        error(
            "input",
            &format!(
                "config file {}: it holds API keys but others may read it (mode 644): chmod 600 it",
                net.config().display()
            )
        )
    );
}

#[test]
fn a_key_the_server_refuses_is_not_saved() {
    let net = Network::new();
    let (code, doc) = refusal(&net.login("fsk_not-a-key-of-this-server", None));
    assert_eq!(code, Some(2));
    assert_eq!(
        doc,
        error("forbidden", &format!("unknown API key ({KEY_HINT})"))
    );
    let (code, doc) = refusal(&net.login("hunter2", None));
    assert_eq!(code, Some(2));
    assert_eq!(
        doc,
        error(
            "invalid",
            "that is not an API key: keys start with fsk_ (`fairshare key create AGENT` on the server's book)"
        )
    );
    assert!(!net.config().exists());
}

#[test]
fn client_mode_refuses_what_has_no_meaning_on_a_server() {
    let net = Network::new();
    let server = |args: &[&str]| {
        let mut command = net.client(&[&["--json", "--server", &net.url], args].concat());
        command.env("FAIRSHARE_KEY", &net.key);
        command.output().unwrap()
    };
    // The key decides who acts.
    let (code, doc) = refusal(&server(&["--as", "luc", "agent", "list"]));
    assert_eq!(code, Some(2));
    assert_eq!(
        doc,
        error(
            "invalid",
            "--as has no meaning on a server: the API key decides who acts (FAIRSHARE_KEY or the profile's key)"
        )
    );
    // Commands on the book itself: a distinct exit status.
    for (args, name) in [
        (&["init"][..], "`init`"),
        (&["serve"][..], "`serve`"),
        (&["import", "x.jsonl"][..], "`import`"),
        (&["backup", "copy.db"][..], "`backup`"),
        (&["key", "create", "luc"][..], "`key create`"),
        (
            &["generate", "--agents", "2", "--contributions", "2"][..],
            "`generate`",
        ),
    ] {
        let (code, doc) = refusal(&server(args));
        assert_eq!(code, Some(4), "{args:?}");
        assert_eq!(
            doc,
            error(
                "local-only",
                &format!(
                    "{name} works only on a local book (--book), not through a server: {} is a server (--server, FAIRSHARE_SERVER or the current profile)",
                    net.url
                )
            ),
            "{args:?}"
        );
    }
    // `key list` is served: the same listing as on the book.
    let listed: Value = serde_json::from_str(&stdout(&server(&["key", "list", "luc"]))).unwrap();
    assert_eq!(listed, local(&net.env, &["--json", "key", "list", "luc"]));
    let (code, doc) = refusal(&server(&["export", "--output", "x.jsonl"]));
    assert_eq!(code, Some(4));
    assert_eq!(doc["error"]["kind"], "local-only");

    // A write without a key, and with a bad one.
    let no_key = net
        .client(&["--json", "--server", &net.url, "project", "add", "p"])
        .output()
        .unwrap();
    let (code, doc) = refusal(&no_key);
    assert_eq!(code, Some(2));
    assert_eq!(
        doc,
        error(
            "forbidden",
            &format!(
                "this request needs an API key: send `Authorization: Bearer fsk_...` ({KEY_HINT})"
            )
        )
    );
    // A public network reads without a key.
    let output = net
        .client(&["--json", "--server", &net.url, "agent", "list"])
        .output()
        .unwrap();
    assert!(output.status.success(), "{}", stderr(&output));

    // A retry under the same --key is answered by the first result, recorded once.
    let first: Value =
        serde_json::from_str(&stdout(&server(&["--key", "k1", "project", "add", "p"]))).unwrap();
    assert_eq!(first["project"]["project"], "p");
    let again: Value =
        serde_json::from_str(&stdout(&server(&["--key", "k1", "project", "add", "p"]))).unwrap();
    assert_eq!(again, first);
    let log = local(&net.env, &["--json", "log", "show"]);
    let keyed = log["events"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|e| e["key"] == "k1")
        .count();
    assert_eq!(keyed, 1);

    // Nobody listening: a failure to reach the server, exit 1.
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let gone = format!("http://127.0.0.1:{port}");
    let output = net
        .client(&["--json", "--server", &gone, "agent", "list"])
        .output()
        .unwrap();
    let (code, doc) = refusal(&output);
    assert_eq!(code, Some(1));
    assert_eq!(doc["error"]["kind"], "storage");
    let message = doc["error"]["message"].as_str().unwrap();
    assert!(
        message.starts_with(&format!("no answer from the server at {gone}: ")),
        "{message}"
    );
}

#[test]
fn webhooks_are_managed_through_the_server_with_the_same_views_as_on_the_book() {
    let net = Network::new();
    let server = |args: &[&str]| {
        let mut command = net.client(&[&["--server", &net.url], args].concat());
        command.env("FAIRSHARE_KEY", &net.key);
        command.output().unwrap()
    };
    let text = |output: Output| {
        assert!(output.status.success(), "{}", stderr(&output));
        stdout(&output)
    };
    let secret = "whsec_client_0123456789";
    let added = text(server(&[
        "--json",
        "webhook",
        "add",
        "https://example.org/hook",
        "--events",
        "approve",
        "--secret",
        secret,
    ]));
    let added: Value = serde_json::from_str(&added).unwrap();
    assert_eq!(added["id"], 1);
    assert_eq!(added["created_by"], "luc", "the key's agent");
    assert_eq!(added["events"], json!(["approve"]));
    assert!(!added.to_string().contains(secret));
    // Written where the book's own `webhook` commands read it, and shown alike.
    let listed = text(server(&["webhook", "list"]));
    let on_book = |args: &[&str]| {
        let output = net
            .env
            .bare_command(NOW)
            .arg("--book")
            .arg(&net.env.book)
            .args(args)
            .output()
            .unwrap();
        text(output)
    };
    assert_eq!(listed, on_book(&["webhook", "list"]));
    assert!(listed.starts_with("id  url"), "{listed}");
    assert_eq!(
        text(server(&["webhook", "deliveries", "1", "--limit", "5"])),
        "webhook 1 has no delivery attempt yet\n"
    );
    let (code, doc) = refusal(&server(&["--json", "webhook", "remove", "2"]));
    assert_eq!(code, Some(2));
    assert_eq!(doc, error("not-found", "no webhook with id 2"));
    let resumed = text(server(&["webhook", "resume", "1"]));
    assert_eq!(resumed, on_book(&["webhook", "resume", "1"]));
    text(server(&["webhook", "remove", "1"]));
    assert_eq!(
        on_book(&["--json", "webhook", "list"]),
        "{\n  \"webhooks\": []\n}\n"
    );
}

/// A proxy in front of `server` that forwards the first request, waits for the server's
/// answer and then drops the connection without passing it on (a connection lost on the way
/// back); later connections are passed through. Returns its URL.
fn losing_first_answer(server: &str) -> String {
    use std::io::Read;
    use std::net::{TcpListener, TcpStream};
    let upstream = server.trim_start_matches("http://").to_string();
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let url = format!("http://{}", listener.local_addr().unwrap());
    std::thread::spawn(move || {
        for (n, client) in listener.incoming().enumerate() {
            let Ok(mut client) = client else { return };
            let mut server = TcpStream::connect(&upstream).unwrap();
            let mut to_server = (client.try_clone().unwrap(), server.try_clone().unwrap());
            std::thread::spawn(move || std::io::copy(&mut to_server.0, &mut to_server.1));
            if n == 0 {
                // Read the server's answer, then lose it.
                let mut answer = Vec::new();
                let mut buffer = [0u8; 4096];
                while !answer.windows(4).any(|w| w == b"\r\n\r\n") {
                    match server.read(&mut buffer) {
                        Ok(0) | Err(_) => break,
                        Ok(read) => answer.extend_from_slice(&buffer[..read]),
                    }
                }
                let _ = client.shutdown(std::net::Shutdown::Both);
            } else {
                std::thread::spawn(move || std::io::copy(&mut server, &mut client));
            }
        }
    });
    url
}

#[test]
fn a_write_whose_answer_is_lost_is_retried_under_its_key_and_recorded_once() {
    let net = Network::new();
    let proxy = losing_first_answer(&net.url);
    let output = net
        .client(&["--json", "--server", &proxy, "project", "add", "p"])
        .env("FAIRSHARE_KEY", &net.key)
        .output()
        .unwrap();
    assert!(output.status.success(), "{}", stderr(&output));
    let added: Value = serde_json::from_str(&stdout(&output)).unwrap();
    assert_eq!(added["project"]["project"], "p");
    // The server recorded the first request; the retry, under the same fresh key, was
    // answered by its result.
    let log = local(&net.env, &["--json", "log", "show"]);
    let added: Vec<&Value> = log["events"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|e| e["op"] == "add_project")
        .collect();
    assert_eq!(added.len(), 1, "{log}");
    assert!(added[0]["key"].as_str().unwrap().starts_with("cli-"));
}

#[test]
fn https_is_checked_against_the_roots_and_ssl_cert_file_adds_one() {
    let net = Network::new();
    let cert = rcgen::generate_simple_self_signed(vec!["localhost".to_string()]).unwrap();
    let (cert_file, key_file) = (net.env.path("cert.pem"), net.env.path("key.pem"));
    std::fs::write(&cert_file, cert.cert.pem()).unwrap();
    std::fs::write(&key_file, cert.key_pair.serialize_pem()).unwrap();
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let mut child = net
        .env
        .bare_command(NOW)
        .arg("--book")
        .arg(&net.env.book)
        .args(["serve", "--addr", &format!("127.0.0.1:{port}")])
        .arg("--tls-cert")
        .arg(&cert_file)
        .arg("--tls-key")
        .arg(&key_file)
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    let started = std::time::Instant::now();
    while std::net::TcpStream::connect(("127.0.0.1", port)).is_err() {
        assert!(started.elapsed().as_secs() < 30, "the server did not start");
        std::thread::sleep(std::time::Duration::from_millis(20));
    }
    let url = format!("https://localhost:{port}");
    let list = |cert_file: Option<&Path>| {
        let mut command = net.client(&["--json", "--server", &url, "agent", "list"]);
        command
            .env("FAIRSHARE_KEY", &net.key)
            .env_remove("SSL_CERT_FILE");
        if let Some(file) = cert_file {
            command.env("SSL_CERT_FILE", file);
        }
        command.output().unwrap()
    };
    // A certificate no root vouches for: refused, nothing sent.
    let (code, doc) = refusal(&list(None));
    assert_eq!(code, Some(1));
    let message = doc["error"]["message"].as_str().unwrap();
    assert!(
        message.starts_with(&format!("no answer from the server at {url}: ")),
        "{message}"
    );
    // Its own CA named: the same listing as on the book.
    let output = list(Some(&cert_file));
    assert!(output.status.success(), "{}", stderr(&output));
    let listed: Value = serde_json::from_str(&stdout(&output)).unwrap();
    assert_eq!(listed, local(&net.env, &["--json", "agent", "list"]));
    let _ = child.kill();
    let _ = child.wait();
}
