//! A real headless Chromium for the dashboard's browser tests (WebDriver through
//! chromedriver): [`browse`] runs a story in it, skipped (with a line saying so) when
//! `/usr/bin/chromium` or `/usr/bin/chromedriver` is missing. With `FAIRSHARE_SCREENSHOTS=1`,
//! [`Browser::shot`] saves screenshots under `docs/screenshots/`.

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

    pub async fn shot(&self, name: &str) {
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
