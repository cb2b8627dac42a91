//! Test support shared by the PostgreSQL tests: the test database from
//! `FAIRSHARE_TEST_POSTGRES`, and fresh schemas dropped at the end of each test.
#![allow(dead_code)]

use std::sync::atomic::{AtomicU32, Ordering};
use std::time::{SystemTime, UNIX_EPOCH};

pub const ENV: &str = "FAIRSHARE_TEST_POSTGRES";

/// The test database URL, or `None` (after a skip notice) when the tests are not enabled.
pub fn database(test: &str) -> Option<String> {
    match std::env::var(ENV) {
        Ok(url) if !url.is_empty() => Some(url),
        _ => {
            eprintln!("skip {test}: set {ENV}=postgres://user@host:port/db to run it");
            None
        }
    }
}

/// Fresh schema names for one test; drops every schema it handed out when dropped.
pub struct Schemas {
    url: String,
    names: Vec<String>,
}

impl Schemas {
    pub fn new(url: &str) -> Schemas {
        Schemas {
            url: url.to_owned(),
            names: Vec::new(),
        }
    }

    /// The URL of a new, unique, not yet existing schema.
    pub fn fresh(&mut self) -> String {
        static COUNTER: AtomicU32 = AtomicU32::new(0);
        let nanos = SystemTime::now()
            .duration_since(UNIX_EPOCH)
            .map_or(0, |d| d.subsec_nanos());
        let name = format!(
            "fs_test_{}_{}_{nanos}",
            std::process::id(),
            COUNTER.fetch_add(1, Ordering::Relaxed)
        );
        self.names.push(name.clone());
        with_schema(&self.url, &name)
    }
}

impl Drop for Schemas {
    fn drop(&mut self) {
        if self.names.is_empty() {
            return;
        }
        match postgres::Client::connect(&self.url, postgres::NoTls) {
            Ok(mut c) => {
                for name in &self.names {
                    if let Err(e) =
                        c.batch_execute(&format!("DROP SCHEMA IF EXISTS {name} CASCADE"))
                    {
                        eprintln!("could not drop test schema {name}: {e}");
                    }
                }
            }
            Err(e) => eprintln!("could not connect to drop the test schemas: {e}"),
        }
    }
}

pub fn with_schema(url: &str, schema: &str) -> String {
    let sep = if url.contains('?') { '&' } else { '?' };
    format!("{url}{sep}schema={schema}")
}
