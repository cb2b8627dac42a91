//! What the capability tests share: the real `fairshare` binary run on a temporary book with
//! the clock fixed by FAIRSHARE_NOW (as in tests/cli.rs).

#![allow(dead_code)]

use std::cell::RefCell;
use std::collections::HashMap;
use std::net::TcpStream;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Output};
use std::time::{Duration, Instant};

use serde_json::{Value, json};
use tempfile::TempDir;

pub const NOW: &str = "2026-11-21T10:20:49Z";

/// Set to 1, the CLI tests run in client mode: every command the API covers goes through a
/// real `fairshare serve` on the test's book (`--server`, the actor's key in FAIRSHARE_KEY),
/// with the same assertions as on the local book. `scripts/test` runs the suite both ways.
///
/// What stays local in that mode: the [`LOCAL_COMMANDS`] (and `export --output`), a command
/// on another book than the test's, an actor no key can be made for (`--as ghost`: the local
/// book refuses it as the server would never see it), the shell scripts of the doc stories,
/// and the tests of tests/integrity.rs that run the binary through its own `fairshare()` (they
/// kill an import midway, cut the book's tail, back up PostgreSQL: the storage, which a server
/// only stands in front of).
pub const REMOTE_ENV: &str = "FAIRSHARE_TEST_REMOTE";

/// Whether the tests run in client mode (see [`REMOTE_ENV`]).
pub fn remote() -> bool {
    std::env::var_os(REMOTE_ENV).is_some_and(|v| v == "1")
}

/// The commands that never go through a server: they make, copy, snapshot or serve the book,
/// or write credentials straight into it (the CLI refuses them in client mode).
const LOCAL_COMMANDS: [&str; 10] = [
    "init", "snapshot", "demo", "serve", "import", "backup", "restore", "generate", "key",
    "password",
];

/// A `fairshare serve` on a test's book, killed with the test.
pub struct Served {
    child: Child,
    pub url: String,
    /// The server's fixed clock (FAIRSHARE_NOW).
    now: String,
}

impl Drop for Served {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

pub struct Env {
    /// Client mode: the server on `book`, started at the first command it serves (first, so
    /// that it stops before the directory goes).
    server: RefCell<Option<Served>>,
    pub dir: TempDir,
    pub book: PathBuf,
    /// Client mode: the API key of each actor (the operator's too).
    keys: RefCell<HashMap<String, String>>,
}

impl Env {
    /// The book `name` in `dir` (which a doc story created).
    pub fn at(dir: TempDir, name: &str) -> Env {
        let book = dir.path().join(name);
        assert!(book.exists(), "no book {}", book.display());
        Env::in_dir(dir, book)
    }

    fn in_dir(dir: TempDir, book: PathBuf) -> Env {
        Env {
            dir,
            book,
            server: RefCell::new(None),
            keys: RefCell::new(HashMap::new()),
        }
    }

    /// A fresh, initialised book.
    pub fn new() -> Env {
        let env = Env::empty();
        env.ok(&["init"]);
        env
    }

    /// A temporary directory where the book `book.db` is yet to be created.
    pub fn empty() -> Env {
        let dir = tempfile::tempdir().unwrap();
        let book = dir.path().join("book.db");
        Env::in_dir(dir, book)
    }

    pub fn path(&self, name: &str) -> PathBuf {
        self.dir.path().join(name)
    }

    pub fn write(&self, name: &str, text: &str) -> String {
        let path = self.path(name);
        std::fs::write(&path, text).unwrap();
        path.display().to_string()
    }

    /// The binary, ready to run `args` on `book` in the directory (in client mode, through
    /// the server on the test's book when the API covers the command).
    pub fn command(&self, book: &Path, args: &[&str]) -> Command {
        self.command_at(book, NOW, args)
    }

    /// The same, at the instant `now` (RFC 3339): in client mode the server runs by that
    /// clock (restarted when it ran by another).
    pub fn command_at(&self, book: &Path, now: &str, args: &[&str]) -> Command {
        if remote()
            && book == self.book
            && book.exists()
            && let Some(command) = self.remote_command(now, args)
        {
            return command;
        }
        let mut command = self.bare_command(now);
        command.arg("--book").arg(book).args(args);
        command
    }

    /// The binary with the clock at `now`, no book, and a config directory of its own.
    pub fn bare_command(&self, now: &str) -> Command {
        let mut command = Command::new(env!("CARGO_BIN_EXE_fairshare"));
        command
            .env_remove("FAIRSHARE_BOOK")
            .env_remove("FAIRSHARE_SERVER")
            .env_remove("FAIRSHARE_KEY")
            .env_remove("FAIRSHARE_PROFILE")
            .env("XDG_CONFIG_HOME", self.dir.path().join("config"))
            .env("FAIRSHARE_NOW", now)
            .current_dir(self.dir.path());
        command
    }

    /// `args` sent to the server as the actor `--as` named (the operator without it), with
    /// that actor's key; `None` for a command that runs on the local book.
    fn remote_command(&self, now: &str, args: &[&str]) -> Option<Command> {
        let mut actor = "operator".to_string();
        let mut rest = Vec::new();
        let mut command_word = None;
        let mut words = args.iter();
        while let Some(word) = words.next() {
            match *word {
                "--as" => actor = words.next()?.to_string(),
                "--key" | "--book" | "--server" | "--profile" => {
                    rest.push(*word);
                    rest.push(words.next()?);
                }
                word => {
                    if command_word.is_none() && !word.starts_with("--") {
                        command_word = Some(word);
                    }
                    rest.push(word);
                }
            }
        }
        let command_word = command_word?;
        // An export into a file (its summary counts what was written) is local only too.
        let export_to_file = command_word == "export"
            && rest
                .iter()
                .any(|w| w.starts_with("--output") || w.starts_with("--base"));
        // `key list` is served (GET /api/v1/agents/{agent}/keys); making and revoking are not.
        let key_list = command_word == "key" && rest.contains(&"list");
        let local = LOCAL_COMMANDS.contains(&command_word) && !key_list;
        if local || export_to_file {
            return None;
        }
        let key = self.key_of(&actor)?;
        let url = self.server_url(now);
        let mut command = self.bare_command(now);
        command
            .env("FAIRSHARE_KEY", key)
            .arg("--server")
            .arg(url)
            .args(rest);
        Some(command)
    }

    /// The server on the book running by the clock `now`, started if it is not yet.
    pub fn server_url(&self, now: &str) -> String {
        let mut server = self.server.borrow_mut();
        if server.as_ref().is_none_or(|s| s.now != now) {
            // The old one stops first: one server per book.
            *server = None;
            *server = Some(self.serve(now));
        }
        server.as_ref().map(|s| s.url.clone()).unwrap_or_default()
    }

    fn serve(&self, now: &str) -> Served {
        let port = std::net::TcpListener::bind("127.0.0.1:0")
            .unwrap()
            .local_addr()
            .unwrap()
            .port();
        let mut command = self.bare_command(now);
        let child = command
            .arg("--book")
            .arg(&self.book)
            .args(["serve", "--addr", &format!("127.0.0.1:{port}")])
            .stdout(std::process::Stdio::null())
            .stderr(std::process::Stdio::null())
            .spawn()
            .unwrap();
        let served = Served {
            child,
            url: format!("http://127.0.0.1:{port}"),
            now: now.to_string(),
        };
        let started = Instant::now();
        while TcpStream::connect(("127.0.0.1", port)).is_err() {
            assert!(
                started.elapsed() < Duration::from_secs(30),
                "the server did not start"
            );
            std::thread::sleep(Duration::from_millis(20));
        }
        served
    }

    /// The API key of `actor`, made once; `None` when `actor` is no agent (no key can be
    /// made for it: the command then runs on the local book, which refuses the actor).
    pub fn key_of(&self, actor: &str) -> Option<String> {
        if let Some(key) = self.keys.borrow().get(actor) {
            return Some(key.clone());
        }
        let backend =
            fairshare_ops::backend::Backend::parse(&self.book.display().to_string()).unwrap();
        let clock = fairshare_ops::Clock::System;
        let key = if actor == "operator" {
            // The operator is no agent, so `key create` refuses it: straight in the table.
            let key = fairshare_ops::credentials::generate_api_key().unwrap();
            let mut store = backend.open_credentials().unwrap();
            store
                .add_api_key(&fairshare_store::credentials::NewApiKey {
                    agent: actor,
                    key_hash: &fairshare_ops::credentials::hash_api_key(&key),
                    created_at: "2026-01-01T00:00:00Z",
                    expires_at: None,
                })
                .unwrap();
            key
        } else {
            fairshare_ops::credentials::create_api_key(&backend, &clock, actor, None)
                .ok()?
                .key
        };
        self.keys
            .borrow_mut()
            .insert(actor.to_string(), key.clone());
        Some(key)
    }

    pub fn run_on(&self, book: &Path, args: &[&str]) -> Output {
        self.command(book, args).output().unwrap()
    }

    pub fn run(&self, args: &[&str]) -> Output {
        self.run_on(&self.book, args)
    }

    /// Runs raw SQL on the SQLite file `book` (to damage a book or its snapshots).
    pub fn sqlite(&self, book: &Path, sql: &str) {
        let conn = rusqlite::Connection::open(book).unwrap();
        conn.execute_batch(sql).unwrap();
    }

    /// Runs a command that must succeed and returns its stdout.
    pub fn ok(&self, args: &[&str]) -> String {
        let output = self.run(args);
        assert!(
            output.status.success(),
            "{args:?} failed: {}{}",
            stdout(&output),
            stderr(&output)
        );
        stdout(&output)
    }

    /// Runs a command with `--json` that must succeed and returns its document.
    pub fn json(&self, args: &[&str]) -> Value {
        let mut all = vec!["--json"];
        all.extend_from_slice(args);
        let text = self.ok(&all);
        serde_json::from_str(&text).unwrap_or_else(|e| panic!("{args:?}: {e}: {text}"))
    }

    pub fn export(&self) -> String {
        self.ok(&["export"])
    }

    /// Checks that a command is refused with exit status 2, this kind and this exact message
    /// (on stdout as JSON and on stderr), and that the book's export is unchanged.
    pub fn refused(&self, args: &[&str], kind: &str, message: &str) {
        let before = self.export();
        let mut all = vec!["--json"];
        all.extend_from_slice(args);
        let output = self.run(&all);
        assert_eq!(
            output.status.code(),
            Some(2),
            "{args:?}: {}",
            stderr(&output)
        );
        let doc: Value = serde_json::from_str(&stdout(&output))
            .unwrap_or_else(|e| panic!("{args:?}: {e}: {}", stdout(&output)));
        assert_eq!(
            doc,
            json!({"error": {"kind": kind, "message": message}}),
            "{args:?}"
        );
        assert_eq!(stderr(&output), format!("error: {message}\n"), "{args:?}");
        assert_eq!(self.export(), before, "{args:?} changed the book");
    }

    /// Adds agents, each `handle:role`.
    pub fn agents(&self, agents: &[&str]) {
        for agent in agents {
            let (handle, role) = agent.split_once(':').unwrap();
            self.ok(&["agent", "add", handle, "--role", role]);
        }
    }

    /// Events in the book.
    pub fn events(&self) -> u64 {
        self.json(&["log", "show", "--limit", "1"])["head"]
            .as_u64()
            .unwrap()
    }
}

/// The forillon project of DOMAIN.md and its three rates.
pub fn forillon_project(env: &Env) {
    env.ok(&["project", "add", "forillon", "--name", "Forillon park"]);
    for (category, rate) in [
        ("engineering", "45.00"),
        ("design", "45.00"),
        ("coordination", "30.00"),
    ] {
        env.ok(&["rate", "set", "forillon", category, rate]);
    }
}

/// The forillon contract's work (abran's engineering, marie's design, luc's coordination);
/// returns abran's logged contribution.
pub fn forillon_work(env: &Env) -> Value {
    let abran = env.json(&log_work("abran", "120", "engineering"));
    env.json(&log_work("marie", "80", "design"));
    env.json(&log_work("luc", "40", "coordination"));
    abran
}

/// `log work forillon AGENT HOURS --category CATEGORY`.
pub fn log_work<'a>(agent: &'a str, hours: &'a str, category: &'a str) -> [&'a str; 7] {
    [
        "log",
        "work",
        "forillon",
        agent,
        hours,
        "--category",
        category,
    ]
}

/// Luc's reimbursable plywood in forillon; returns the logged contribution.
pub fn forillon_material(env: &Env) -> Value {
    env.json(&[
        "log",
        "material",
        "forillon",
        "luc",
        "300.00",
        "--reimbursable",
        "--note",
        "plywood",
    ])
}

/// The forillon contract's 12000.00 revenue from Parks Canada, under its idempotency key.
pub const FORILLON_REVENUE: [&str; 7] = [
    "revenue",
    "forillon",
    "12000.00",
    "--key",
    "parks-contract-1",
    "--from",
    "Parks Canada",
];

/// Sets forillon's plan (docs/PLANS.md's first example); returns the plan shown.
pub fn forillon_plan(env: &Env) -> Value {
    let plan = env.write("forillon.toml", fairshare_ops::plans::FORILLON_PLAN);
    env.json(&["plan", "set", "forillon", &plan])
}

pub fn stdout(output: &Output) -> String {
    String::from_utf8(output.stdout.clone()).unwrap()
}

pub fn stderr(output: &Output) -> String {
    String::from_utf8(output.stderr.clone()).unwrap()
}

/// `text` without the idempotency keys a client-mode write is sent under (`cli-` and 32 hex
/// digits): what the same commands on a local book record.
pub fn keyless(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    let mut rest = text;
    while let Some(at) = rest.find("cli-") {
        out.push_str(&rest[..at]);
        let after = &rest[at + 4..];
        let hex = after.bytes().take(32).filter(u8::is_ascii_hexdigit).count();
        if hex == 32 {
            rest = &after[32..];
        } else {
            out.push_str("cli-");
            rest = after;
        }
    }
    out.push_str(rest);
    out
}

/// `{name: "amount", ...}`.
pub fn amounts(pairs: &[(&str, &str)]) -> Value {
    Value::Object(
        pairs
            .iter()
            .map(|(k, v)| (k.to_string(), Value::String(v.to_string())))
            .collect(),
    )
}

/// Runs every ```sh block of a page of docs/, in order, as one `sh -e` script in an empty
/// directory with `fairshare` on the PATH: the page's story must work as written. Returns the
/// directory (with the book the story created) and what the script printed.
pub fn run_doc_story(page: &str) -> (TempDir, String) {
    let path = format!("{}/../../docs/{page}", env!("CARGO_MANIFEST_DIR"));
    let text = std::fs::read_to_string(&path).unwrap();
    let mut script = String::new();
    let mut in_block = false;
    for line in text.lines() {
        if in_block {
            if line.trim_start().starts_with("```") {
                in_block = false;
            } else {
                script.push_str(line);
                script.push('\n');
            }
        } else if line.trim() == "```sh" {
            in_block = true;
        }
    }
    assert!(!script.is_empty(), "{page} has no ```sh block");
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("story.sh"), &script).unwrap();
    let binary = PathBuf::from(env!("CARGO_BIN_EXE_fairshare"));
    let mut paths = vec![binary.parent().unwrap().to_path_buf()];
    paths.extend(std::env::split_paths(
        &std::env::var_os("PATH").unwrap_or_default(),
    ));
    let output = Command::new("sh")
        .arg("-e")
        .arg("story.sh")
        .env("PATH", std::env::join_paths(paths).unwrap())
        .env_remove("FAIRSHARE_BOOK")
        .env("XDG_CONFIG_HOME", dir.path().join("config"))
        .env("FAIRSHARE_NOW", NOW)
        .current_dir(dir.path())
        .output()
        .unwrap();
    assert!(
        output.status.success(),
        "the story of {page} failed:\n{}{}\nscript:\n{script}",
        stdout(&output),
        stderr(&output)
    );
    (dir, stdout(&output))
}
