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

/// Binds the fields of the outcome a write expects: `let_outcome!(executed, PATTERN)` matches
/// `&executed.outcome` (a `&Outcome::…` pattern copies its fields out), or returns the error
/// of an unexpected outcome.
macro_rules! let_outcome {
    ($executed:ident, $pattern:pat) => {
        let $pattern = &$executed.outcome else {
            return Err($crate::error::unexpected($executed));
        };
    };
}

/// Declares the review of a pending item (approve or reject a contribution, a correction, a
/// payout, an expense; admit or decline a project proposal, decline a join request): its
/// request, named as the core command it becomes, with the item's key (`id`, `handle`, `slug`)
/// and its text fields (a rejection's `reason`), and its route; it answers
/// `|state, request, executed| view`, the item after the review.
macro_rules! review {
    ($(#[$doc:meta])* $op:ident { $(#[$key_meta:meta])* $key:ident: $key_type:ty $(, $field:ident)* }
        => $view:ident, $path:literal, $tag:literal, $summary:literal,
        |$state:pat_param, $request:pat_param, $executed:pat_param| $answer:expr) => {
        $(#[$doc])*
        #[derive(Debug, Clone, serde::Serialize, serde::Deserialize)]
        #[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
        #[serde(deny_unknown_fields)]
        #[cfg_attr(feature = "clap", derive(clap::Args))]
        pub struct $op {
            $(#[$key_meta])*
            pub $key: $key_type,
            $(
                #[cfg_attr(feature = "clap", arg(long, value_name = "TEXT", default_value = "",
                    hide_default_value = true))]
                pub $field: String,
            )*
        }

        operation!($op => $view, Post $path, $tag, $summary);

        impl $crate::op::Write for $op {
            fn command(&self, _actor: &str) -> $crate::error::OpResult<fairshare_core::Command> {
                Ok(fairshare_core::Command::$op {
                    $key: self.$key.clone(),
                    $($field: self.$field.clone(),)*
                })
            }

            fn view(
                &self,
                $state: &fairshare_core::State,
                $executed: &fairshare_book::Executed,
            ) -> $crate::error::OpResult<$view> {
                let $request = self;
                $answer
            }
        }
    };
}

/// Declares a list that takes a page: its request (the fields listed, if any, then `limit`
/// and `offset`), its route and, given `{ rows: Row }`, its view (the paging fields flattened
/// beside the rows).
macro_rules! paged_list {
    ($(#[$doc:meta])* $op:ident $({ $($(#[$field_meta:meta])* $field:ident: $type:ty),* })?
        => $view:ident, $path:literal, $tag:literal, $summary:literal) => {
        $(#[$doc])*
        #[derive(Debug, Clone, Default, serde::Serialize, serde::Deserialize)]
        #[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
        #[serde(deny_unknown_fields)]
        #[cfg_attr(feature = "clap", derive(clap::Args))]
        pub struct $op {
            $($($(#[$field_meta])* pub $field: $type,)*)?
            /// Rows in the page (default 100, at most 1000).
            #[serde(default, skip_serializing_if = "Option::is_none")]
            #[cfg_attr(feature = "clap", arg(long, value_name = "N"))]
            pub limit: Option<usize>,
            /// Rows to skip.
            #[serde(default, skip_serializing_if = "Option::is_none")]
            #[cfg_attr(feature = "clap", arg(long, value_name = "N"))]
            pub offset: Option<usize>,
        }

        operation!($op => $view, Get $path, $tag, $summary);
    };
    ($(#[$doc:meta])* $op:ident $({ $($(#[$field_meta:meta])* $field:ident: $type:ty),* })?
        => $view:ident { $rows:ident: $row:ty }, $path:literal, $tag:literal, $summary:literal) => {
        paged_list!($(#[$doc])* $op $({ $($(#[$field_meta])* $field: $type),* })?
            => $view, $path, $tag, $summary);

        #[derive(Debug, Clone, serde::Serialize, serde::Deserialize)]
        #[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
        pub struct $view {
            #[serde(flatten)]
            pub page: $crate::PageInfo,
            pub $rows: Vec<$row>,
        }
    };
}

/// Declares a change of one project: its request (the `project` and the fields listed), its
/// route, and the core command it becomes (by default the command of the request's name, with
/// the same fields, `request => COMMAND` otherwise); it answers `$view::of(state, project)`,
/// the project after the change.
macro_rules! project_change {
    ($(#[$doc:meta])* $op:ident { $($(#[$field_doc:meta])* $field:ident: $type:ty),* $(,)? }
        => $view:ident, $method:ident $path:literal, $tag:literal, $summary:literal) => {
        project_change! {
            $(#[$doc])* $op { $($(#[$field_doc])* $field: $type),* }
                => $view, $method $path, $tag, $summary,
            request => fairshare_core::Command::$op {
                project: request.project.clone(),
                $($field: request.$field.clone().into(),)*
            }
        }
    };
    ($(#[$doc:meta])* $op:ident { $($(#[$field_doc:meta])* $field:ident: $type:ty),* $(,)? }
        => $view:ident, $method:ident $path:literal, $tag:literal, $summary:literal,
        $request:ident => $command:expr) => {
        $(#[$doc])*
        #[derive(Debug, Clone, serde::Serialize, serde::Deserialize)]
        #[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
        #[serde(deny_unknown_fields)]
        #[cfg_attr(feature = "clap", derive(clap::Args))]
        pub struct $op {
            pub project: String,
            $($(#[$field_doc])* pub $field: $type,)*
        }

        operation!($op => $view, $method $path, $tag, $summary);

        impl $crate::op::Write for $op {
            fn command(&self, _actor: &str) -> $crate::error::OpResult<fairshare_core::Command> {
                let $request = self;
                Ok($command)
            }

            fn view(
                &self,
                state: &fairshare_core::State,
                _: &fairshare_book::Executed,
            ) -> $crate::error::OpResult<$view> {
                $view::of(state, &self.project)
            }
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
pub mod timesheets;
pub mod tokens;
pub mod treasury;
pub mod webhooks;
pub mod words;

pub use clock::{Clock, NOW_ENV};
pub use error::{Failure, OpError, OpResult};
pub use local::Local;
pub use op::{Method, Operation, Read, Reading, Route, Schema, Write};
pub use page::{PAGE_LIMIT_DEFAULT, PAGE_LIMIT_MAX, Page, PageInfo};
pub use percent::percent_text;
pub use problem::Problem;
