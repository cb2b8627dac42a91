//! What an operation is: a request type that says where it is served and what it answers,
//! and either a write (a core command, then a view of the state after it) or a read (a view
//! of the state).
//!
//! A request is plain data (serde): the HTTP API deserialises it from the path, the query and
//! the body; the dashboard from a form; the CLI builds it from its arguments; a remote CLI
//! sends it to the route below. So every front end asks the same question and gets the same
//! view.

use fairshare_book::Executed;
use fairshare_core::{Command, Date, Role, State};
use serde::Serialize;
use serde::de::DeserializeOwned;

use crate::error::OpResult;

/// An HTTP method of a route.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Method {
    Get,
    Post,
    Put,
    Delete,
}

impl Method {
    pub fn as_str(self) -> &'static str {
        match self {
            Method::Get => "GET",
            Method::Post => "POST",
            Method::Put => "PUT",
            Method::Delete => "DELETE",
        }
    }
}

/// Where an operation is served: method, path template (`{field}` segments are request
/// fields), OpenAPI tag and one-line summary.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Route {
    pub method: Method,
    pub path: &'static str,
    pub tag: &'static str,
    pub summary: &'static str,
}

impl Route {
    /// The request fields the path names, in order.
    pub fn path_fields(&self) -> impl Iterator<Item = &'static str> {
        self.path.split('/').filter_map(|segment| {
            segment
                .strip_prefix('{')
                .and_then(|rest| rest.strip_suffix('}'))
        })
    }
}

/// What every request and view is: `ToSchema` with the `openapi` feature, nothing more
/// without it (the CLI builds without utoipa).
#[cfg(feature = "openapi")]
pub trait Schema: utoipa::ToSchema {}
#[cfg(feature = "openapi")]
impl<T: utoipa::ToSchema> Schema for T {}
#[cfg(not(feature = "openapi"))]
pub trait Schema {}
#[cfg(not(feature = "openapi"))]
impl<T> Schema for T {}

/// A request of one operation.
pub trait Operation: Serialize + DeserializeOwned + Schema + Send + Sync + 'static {
    /// Where the API serves it (and where a remote CLI sends it).
    const ROUTE: Route;
    /// What it answers.
    type View: Serialize + DeserializeOwned + Schema + Send + 'static;
}

/// An operation that changes the book: one core command.
pub trait Write: Operation {
    /// The write creates something its answer names (HTTP 201 rather than 200).
    const CREATES: bool = false;

    /// Some callers are refused by their role (403). False for a write every agent may send
    /// (closing or enacting a proposal, asking to join), whose answers say no 403.
    const REFUSES_ROLES: bool = true;

    /// The request names something that must exist (a project, an agent, an id): 404 when it
    /// does not. False for one that names nothing (a list of everything, the log, a new
    /// agent), whose answers say no 404.
    const NAMES_EXISTING: bool = true;

    /// The core command, for `actor` (a request may default a field to the actor).
    fn command(&self, actor: &str) -> OpResult<Command>;

    /// The actor a front end may record this request under when no agent sends it (no key,
    /// no session): only a stranger's request to join has one, the handle they ask for. Every
    /// other write needs an agent.
    fn stranger(&self) -> Option<&str> {
        None
    }

    /// The answer, from the state right after the event (or from the first result of an
    /// idempotent retry). A field the request left to its caller is `executed.actor`.
    fn view(&self, state: &State, executed: &Executed) -> OpResult<Self::View>;
}

/// A field a request may leave to its caller (the agent who pledges, buys, gives...): as
/// written, or the actor. A write's `view` passes `executed.actor`, so that a retry answers
/// the first caller.
pub(crate) fn or_actor(field: &Option<String>, actor: &str) -> String {
    field.clone().unwrap_or_else(|| actor.to_string())
}

/// Who reads and when: some views depend on the day (decay) or on the reader's role.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Reading {
    /// The reading agent, if known (the operator of a local book reads as a custodian).
    pub actor: Option<String>,
    pub role: Option<Role>,
    /// Today, by the clock of the front end (see [`crate::Clock`]).
    pub today: Date,
}

/// An operation that only reads the state.
pub trait Read: Operation {
    /// Some readers are refused by their role (403): join requests are for custodians. Most
    /// reads are open to every reader the network lets in, and their answers say no 403.
    const REFUSES_ROLES: bool = false;

    /// A value of its query may be refused (422): a limit past the most, a bad amount or
    /// date. False for a read whose query only picks what to show (a plan's version: 404 when
    /// there is none). A read without a query refuses none either way.
    const REFUSES_QUERY_VALUES: bool = true;

    /// The request names something that must exist (a project, an agent, an id): 404 when it
    /// does not. False for one that names nothing (a list of everything, the log, a new
    /// agent), whose answers say no 404.
    const NAMES_EXISTING: bool = true;

    fn view(&self, state: &State, reader: &Reading) -> OpResult<Self::View>;
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn path_fields_are_the_braced_segments() {
        let route = Route {
            method: Method::Put,
            path: "/api/v1/projects/{project}/rates/{category}",
            tag: "policy",
            summary: "",
        };
        assert_eq!(
            route.path_fields().collect::<Vec<_>>(),
            ["project", "category"]
        );
    }
}
