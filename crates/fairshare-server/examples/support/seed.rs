//! The book both load examples start from: a custodian `bench` with an API key, a project
//! `load` with a rate for `dev`, and `count` contributions of `bench`.

use fairshare_book::{Book, Request};
use fairshare_core::{Command, OPERATOR, Role};

const AT: &str = "2026-11-21T12:00:00Z";
const SEED_BATCH: usize = 1_000;

/// Seeds the book at `url` (a SQLite path or a PostgreSQL URL) and returns bench's API key.
pub fn seed(url: &str, count: usize) -> anyhow::Result<String> {
    let store: Box<dyn fairshare_store::Store> = match fairshare_server::Backend::parse(url)? {
        fairshare_server::Backend::Sqlite(path) => {
            Box::new(fairshare_sqlite::SqliteStore::open(&path)?)
        }
        #[cfg(feature = "postgres")]
        fairshare_server::Backend::Postgres(url) => {
            Box::new(fairshare_postgres::PostgresStore::open(&url)?)
        }
    };
    let mut book = Book::open(store)?;
    let request = |command: Command| Request {
        actor: OPERATOR.to_string(),
        command,
        key: None,
        recorded_at: AT.to_string(),
    };
    let mut setup = vec![
        request(Command::AddAgent {
            handle: "bench".into(),
            name: None,
            role: Role::Custodian,
        }),
        request(Command::add_project("load", "CAD", 2)),
        request(Command::set_rate("load", "dev", "10.00")),
    ];
    let work = || Command::log_work("load", "bench", "dev", "1");
    setup.extend((0..count.min(SEED_BATCH)).map(|_| request(work())));
    let mut left = count.saturating_sub(SEED_BATCH);
    let mut batch = setup;
    loop {
        for result in book.execute_batch(&batch) {
            result?;
        }
        if left == 0 {
            break;
        }
        let n = left.min(SEED_BATCH);
        left -= n;
        batch = (0..n).map(|_| request(work())).collect();
    }
    drop(book);
    let backend = fairshare_ops::backend::Backend::parse(url)?;
    let created = fairshare_ops::credentials::create_api_key(
        &backend,
        &fairshare_ops::Clock::System,
        "bench",
        None,
    )?;
    Ok(created.key)
}
