//! A real headless Chromium driven through chromedriver (WebDriver), for the dashboard's
//! browser tests, and axe-core (vendored in `tests/data/axe/`) to check each page's
//! accessibility. A test skips (with a line saying so) when `/usr/bin/chromium` or
//! `/usr/bin/chromedriver` is missing. With `FAIRSHARE_SCREENSHOTS=1` `Browser::shot` saves
//! screenshots under `docs/screenshots/`.

use std::net::TcpStream;
use std::panic::AssertUnwindSafe;
use std::path::{Path, PathBuf};
use std::process::{Child, Command as Process, Stdio};
use std::time::{Duration, Instant};

use fantoccini::{Client, ClientBuilder, Locator};
use futures_util::FutureExt as _;

use super::web::PASSWORD;

const CHROMIUM: &str = "/usr/bin/chromium";
const CHROMEDRIVER: &str = "/usr/bin/chromedriver";
/// axe-core, vendored (MPL-2.0, its licence beside it).
const AXE_JS: &str = include_str!("../data/axe/axe.min.js");

pub fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .expect("free port")
        .port()
}

/// chromedriver, killed when dropped.
struct Driver {
    child: Child,
    port: u16,
}

impl Driver {
    fn start() -> Driver {
        let port = free_port();
        let child = Process::new(CHROMEDRIVER)
            .arg(format!("--port={port}"))
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .expect("start chromedriver");
        let driver = Driver { child, port };
        let deadline = Instant::now() + Duration::from_secs(20);
        while TcpStream::connect(("127.0.0.1", port)).is_err() {
            assert!(Instant::now() < deadline, "chromedriver did not start");
            std::thread::sleep(Duration::from_millis(50));
        }
        driver
    }
}

impl Drop for Driver {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

fn screenshots_dir() -> Option<PathBuf> {
    (std::env::var("FAIRSHARE_SCREENSHOTS").as_deref() == Ok("1")).then(|| {
        Path::new(env!("CARGO_MANIFEST_DIR"))
            .join("../../docs/screenshots")
            .to_path_buf()
    })
}

pub struct Browser {
    pub client: Client,
    pub base: String,
    pub shots: Option<PathBuf>,
}

impl Browser {
    pub async fn go(&self, path: &str) {
        self.client
            .goto(&format!("{}{path}", self.base))
            .await
            .expect("goto");
    }

    pub async fn fill(&self, css: &str, text: &str) {
        let field = self.client.find(Locator::Css(css)).await.expect(css);
        field.clear().await.expect("clear");
        field.send_keys(text).await.expect("type");
    }

    pub async fn click(&self, css: &str) {
        self.client
            .find(Locator::Css(css))
            .await
            .unwrap_or_else(|e| panic!("{css}: {e}"))
            .click()
            .await
            .expect("click");
    }

    /// Clicks something that loads a new page, and waits until the old one is gone.
    pub async fn submit(&self, css: &str) {
        let old = self.client.find(Locator::Css("html")).await.expect("html");
        self.click(css).await;
        let deadline = Instant::now() + Duration::from_secs(15);
        while old.tag_name().await.is_ok() {
            assert!(Instant::now() < deadline, "{css} did not load a new page");
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
        // Waits for the new page to be loaded.
        self.client
            .find(Locator::Css("footer"))
            .await
            .expect("page loaded");
    }

    pub async fn text(&self, css: &str) -> String {
        self.client
            .find(Locator::Css(css))
            .await
            .unwrap_or_else(|e| panic!("{css}: {e}"))
            .text()
            .await
            .expect("text")
    }

    /// Waits until the text of `css` contains `needle` (an htmx swap), and returns it.
    pub async fn wait_text(&self, css: &str, needle: &str) -> String {
        let deadline = Instant::now() + Duration::from_secs(15);
        loop {
            // Absent until the first answer is swapped in.
            let text = match self.client.find(Locator::Css(css)).await {
                Ok(found) => found.text().await.unwrap_or_default(),
                Err(_) => String::new(),
            };
            if text.contains(needle) {
                return text;
            }
            assert!(
                Instant::now() < deadline,
                "{css} never showed {needle:?}: {text}"
            );
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
    }

    pub async fn source(&self) -> String {
        self.client.source().await.expect("source")
    }

    pub async fn path(&self) -> String {
        self.client
            .current_url()
            .await
            .expect("url")
            .path()
            .to_string()
    }

    pub async fn log_in(&self, handle: &str) {
        self.go("/login").await;
        self.fill("#handle", handle).await;
        self.fill("#password", PASSWORD).await;
        self.submit("#login-submit").await;
        let at = self.path().await;
        if at != "/me" {
            panic!("{handle} is not logged in: {}", self.text("main").await);
        }
    }

    pub async fn log_out(&self) {
        self.submit("#logout").await;
        assert!(self.client.find(Locator::Css("#nav-login")).await.is_ok());
    }

    /// axe-core's serious and critical violations on the page shown, one line each: the
    /// rule, its impact and the elements at fault.
    pub async fn axe_violations(&self) -> Vec<String> {
        let loaded = self
            .client
            .execute("return typeof window.axe;", vec![])
            .await
            .expect("axe loaded?");
        if loaded != serde_json::json!("object") {
            self.client
                .execute(&format!("{AXE_JS}\nreturn true;"), vec![])
                .await
                .expect("inject axe-core");
        }
        let found = self
            .client
            .execute(
                "const results = await window.axe.run(document, {resultTypes: ['violations']});
                 return results.violations
                   .filter(v => v.impact === 'serious' || v.impact === 'critical')
                   .map(v => `${v.id} (${v.impact}): ${v.help}: `
                     + v.nodes.map(n => n.target.join(' ')).join(', '));",
                vec![],
            )
            .await
            .expect("axe.run");
        serde_json::from_value(found).expect("violations")
    }

    /// Goes to `path` and checks it with axe-core: no serious or critical violation.
    pub async fn check_axe(&self, path: &str) {
        self.go(path).await;
        let violations = self.axe_violations().await;
        assert!(
            violations.is_empty(),
            "{path} has accessibility violations:\n{}",
            violations.join("\n")
        );
    }

    /// The current value of the field `css` (what is typed or chosen).
    pub async fn value(&self, css: &str) -> String {
        self.client
            .find(Locator::Css(css))
            .await
            .unwrap_or_else(|e| panic!("{css}: {e}"))
            .prop("value")
            .await
            .expect("value")
            .unwrap_or_default()
    }

    /// Chooses `value` in the select `css`.
    pub async fn select(&self, css: &str, value: &str) {
        self.client
            .find(Locator::Css(css))
            .await
            .unwrap_or_else(|e| panic!("{css}: {e}"))
            .select_by_value(value)
            .await
            .expect("select");
    }

    /// `shot(name)` at a desktop's width and `name-phone` at a phone's: both checked with
    /// axe-core, and at a phone's width the page must not be wider than the screen (a wide
    /// table scrolls in its own region).
    pub async fn shot_desktop_and_phone(&self, name: &str) {
        self.shot(name).await;
        self.client
            .set_window_size(390, 1500)
            .await
            .expect("resize");
        self.shot(&format!("{name}-phone")).await;
        let overflow = self
            .client
            .execute(
                "return document.documentElement.scrollWidth - document.documentElement.clientWidth;",
                vec![],
            )
            .await
            .expect("page width");
        self.client
            .set_window_size(1200, 1500)
            .await
            .expect("resize");
        assert!(
            overflow.as_i64().is_some_and(|wider| wider <= 0),
            "{name} is {overflow} px wider than a phone's screen"
        );
    }

    /// Checks the page shown with axe-core (every page a test photographs is checked), then
    /// saves its screenshot `name` when screenshots are asked for.
    pub async fn shot(&self, name: &str) {
        let violations = self.axe_violations().await;
        assert!(
            violations.is_empty(),
            "{name} has accessibility violations:\n{}",
            violations.join("\n")
        );
        if let Some(dir) = &self.shots {
            let png = self.client.screenshot().await.expect("screenshot");
            std::fs::create_dir_all(dir).expect("screenshots dir");
            std::fs::write(dir.join(format!("{name}.png")), png).expect("write screenshot");
        }
    }
}

/// Runs `story` in a headless Chromium on the server at `base` (skipped, with a line saying
/// so, when Chromium or chromedriver is missing); the browser session ends whatever happens.
pub fn browse<F, Fut>(base: &str, story: F)
where
    F: FnOnce(Browser) -> Fut,
    Fut: std::future::Future<Output = ()>,
{
    if !Path::new(CHROMIUM).exists() || !Path::new(CHROMEDRIVER).exists() {
        println!("skip: dashboard browser test ({CHROMIUM} or {CHROMEDRIVER} is missing)");
        return;
    }
    let driver = Driver::start();
    let profile = tempfile::tempdir().expect("profile dir");
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .expect("runtime");
    runtime.block_on(async {
        let mut caps = serde_json::Map::new();
        caps.insert(
            "goog:chromeOptions".into(),
            serde_json::json!({
                "binary": CHROMIUM,
                "args": [
                    "--headless", "--no-sandbox", "--disable-gpu",
                    "--disable-background-networking", "--disable-component-update",
                    "--no-first-run", "--window-size=1200,1500",
                    format!("--user-data-dir={}", profile.path().display()),
                ],
            }),
        );
        let client = ClientBuilder::new(hyper_util::client::legacy::connect::HttpConnector::new())
            .capabilities(caps)
            .connect(&format!("http://127.0.0.1:{}", driver.port))
            .await
            .expect("connect to chromedriver");
        let b = Browser {
            client: client.clone(),
            base: base.to_string(),
            shots: screenshots_dir(),
        };
        // Whatever happens, end the browser session: killing chromedriver alone would
        // leave its Chromium running.
        let outcome = AssertUnwindSafe(story(b)).catch_unwind().await;
        let _ = client.close().await;
        if let Err(panic) = outcome {
            std::panic::resume_unwind(panic);
        }
    });
}
