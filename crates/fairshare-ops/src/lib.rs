//! The operations of a fairshare book, below every front end.
//!
//! Each operation is one request type (plain serde data: what the API's path, query and body
//! hold, what a dashboard form posts, what the CLI builds from its arguments), one call into
//! the book, and one view type (the JSON shape every front end answers with). A write turns
//! its request into one core [`fairshare_core::Command`] and renders its view from the state
//! after the event ([`Write`]); a read renders its view from the state ([`Read`]). Each
//! request names its HTTP route ([`Operation::ROUTE`]), so the server's route table, the
//! OpenAPI document and a remote CLI all follow from this crate.
//!
//! Only views and requests know JSON: the core and the book never see it. With the `openapi`
//! feature every request and view also derives its OpenAPI schema.
//!
//! ```
//! use fairshare_ops::{Clock, Local, agents::{AddAgent, ListAgents, RoleName}};
//!
//! let dir = tempfile::tempdir().unwrap();
//! let store = fairshare_sqlite::SqliteStore::open(&dir.path().join("book.db")).unwrap();
//! let mut book = Local::open(Box::new(store), Clock::new(Some("2026-11-21T10:00:00Z")).unwrap()).unwrap();
//! let added = book.write("operator", None, &AddAgent { handle: "abran".into(), name: None, role: RoleName::Affiliate }).unwrap();
//! assert_eq!(added.agent.role, "affiliate");
//! let agents = book.read(None, &ListAgents::default()).unwrap();
//! assert_eq!(agents.page.total, 1);
//! ```

/// Implements [`Operation`] for a request: its view, method, path, tag and summary.
macro_rules! operation {
    ($op:ty => $view:ty, $method:ident $path:literal, $tag:literal, $summary:literal) => {
        impl $crate::op::Operation for $op {
            const ROUTE: $crate::op::Route = $crate::op::Route {
                method: $crate::op::Method::$method,
                path: $path,
                tag: $tag,
                summary: $summary,
            };
            type View = $view;
        }
    };
}

pub mod agents;
pub mod backend;
pub mod backup;
mod clock;
pub mod contributions;
pub mod corrections;
pub mod credentials;
mod de;
pub mod distributions;
mod error;
pub mod forecasts;
pub mod governance;
mod local;
pub mod log;
pub mod membership;
mod op;
mod page;
pub mod peer;
mod percent;
pub mod plans;
mod problem;
pub mod projects;
pub mod reports;
pub mod resources;
pub mod tokens;
pub mod treasury;
pub mod webhooks;

pub use clock::{Clock, NOW_ENV};
pub use error::{Failure, OpError, OpResult};
pub use local::Local;
pub use op::{Method, Operation, Read, Reading, Route, Schema, Write};
pub use page::{PAGE_LIMIT_DEFAULT, PAGE_LIMIT_MAX, Page, PageInfo};
pub use percent::percent_text;
pub use problem::Problem;
