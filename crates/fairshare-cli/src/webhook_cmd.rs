//! `webhook add|list|remove|resume|deliveries`: the server's webhooks, kept beside the book's
//! credentials (custodians only: the actor of `--as`, or the operator). A running server
//! notices a change within seconds. In client mode the same commands go through the server's
//! `/api/v1/webhooks` routes and print the same views.

use anyhow::Result;
use clap::Subcommand;
use fairshare_ops::webhooks::{
    self, AddWebhook, DeliveriesOut, DeliveryOut, WebhookOut, WebhooksOut, may_manage,
};
use fairshare_ops::{Clock, OpResult};
use fairshare_store::webhooks::WebhookStore;
use reqwest::Method;

use crate::invocation::Invocation;
use crate::remote::Remote;
use crate::render::{Output, Table, Text, table_or};

#[derive(Debug, Subcommand)]
pub enum WebhookCmd {
    /// POST every later event of these kinds to URL, signed with the secret
    /// (`X-Fairshare-Signature`, docs/API.md)
    Add(AddWebhook),
    /// Every webhook: URL, kinds, the secret's fingerprint, last event delivered, failures, pause
    List,
    /// Remove a webhook and its delivery log
    Remove { id: u64 },
    /// Resume a paused webhook: the events it missed are delivered in order
    Resume { id: u64 },
    /// A webhook's latest delivery attempts, newest first
    Deliveries {
        id: u64,
        /// Most attempts to show (1 to 1000)
        #[arg(long, default_value_t = webhooks::DELIVERIES_DEFAULT)]
        limit: usize,
    },
}

pub fn webhook(s: &Invocation, command: WebhookCmd) -> Result<Box<dyn Output>> {
    if let Some(remote) = &s.remote {
        return on_server(remote, command);
    }
    let book = s.open_book()?;
    let custodian = may_manage(book.state(), s.actor())?;
    let head = book.state().head();
    let mut store = s.backend()?.open_webhooks()?;
    let store: &mut dyn WebhookStore = store.as_mut();
    // A webhook's times are real time, whatever FAIRSHARE_NOW says (as a key's are).
    let now = Clock::System.now_text();
    let shown: OpResult<Box<dyn Output>> = match command {
        WebhookCmd::Add(request) => {
            webhooks::add(store, &custodian, &request, &now, head).map(boxed)
        }
        WebhookCmd::List => webhooks::list(store, &custodian).map(boxed),
        WebhookCmd::Remove { id } => webhooks::remove(store, &custodian, id).map(boxed),
        WebhookCmd::Resume { id } => webhooks::resume(store, &custodian, id).map(boxed),
        WebhookCmd::Deliveries { id, limit } => {
            webhooks::deliveries(store, &custodian, id, Some(limit)).map(boxed)
        }
    };
    Ok(shown?)
}

/// The same commands in client mode, through the server's `/api/v1/webhooks` routes (which
/// check that the key's agent is a custodian).
fn on_server(remote: &Remote, command: WebhookCmd) -> Result<Box<dyn Output>> {
    const HOOKS: [&str; 3] = ["api", "v1", "webhooks"];
    let [api, v1, hooks] = HOOKS;
    Ok(match command {
        WebhookCmd::Add(request) => {
            let request = serde_json::to_value(request)?;
            boxed::<WebhookOut>(remote.call_json(Method::POST, &HOOKS, &[], Some(&request))?)
        }
        WebhookCmd::List => {
            boxed::<WebhooksOut>(remote.call_json(Method::GET, &HOOKS, &[], None)?)
        }
        WebhookCmd::Remove { id } => {
            let path = [api, v1, hooks, &id.to_string()];
            boxed::<WebhookOut>(remote.call_json(Method::DELETE, &path, &[], None)?)
        }
        WebhookCmd::Resume { id } => {
            let path = [api, v1, hooks, &id.to_string(), "resume"];
            boxed::<WebhookOut>(remote.call_json(Method::POST, &path, &[], None)?)
        }
        WebhookCmd::Deliveries { id, limit } => {
            let path = [api, v1, hooks, &id.to_string(), "deliveries"];
            let query = [("limit", limit.to_string())];
            boxed::<DeliveriesOut>(remote.call_json(Method::GET, &path, &query, None)?)
        }
    })
}

fn boxed<V: Output + 'static>(view: V) -> Box<dyn Output> {
    Box::new(view)
}

fn state(hook: &WebhookOut) -> String {
    match (&hook.paused_at, hook.failures) {
        (Some(at), _) => format!(
            "paused {at}: {}",
            hook.pause_reason.as_deref().unwrap_or("")
        ),
        (None, 0) => "running".to_string(),
        (None, n) => format!(
            "running, {n} failures since {}",
            hook.failing_since.as_deref().unwrap_or("?")
        ),
    }
}

impl Text for WebhookOut {
    fn to_text(&self) -> String {
        format!(
            "webhook {} to {}\n  events: {}\n  secret: {} (never shown)\n  created by {} at {}\n  \
             delivered up to event {}\n  {}\n",
            self.id,
            self.url,
            self.events.join(","),
            self.secret_fingerprint,
            self.created_by,
            self.created_at,
            self.cursor,
            state(self)
        )
    }
}

impl Text for WebhooksOut {
    fn to_text(&self) -> String {
        let table =
            Table::new(&["id", "url", "events", "secret", "cursor", "state"]).right(&[0, 4]);
        let rows = self.webhooks.iter().map(|hook| {
            vec![
                hook.id.to_string(),
                hook.url.clone(),
                hook.events.join(","),
                hook.secret_fingerprint.clone(),
                hook.cursor.to_string(),
                state(hook),
            ]
        });
        table_or(
            "no webhook: add one with `fairshare webhook add URL --events KINDS \
             --secret SECRET`",
            table,
            rows,
        )
    }
}

fn outcome(delivery: &DeliveryOut) -> String {
    match (&delivery.error, delivery.status) {
        (None, Some(status)) => format!("delivered ({status})"),
        (None, None) => "delivered".to_string(),
        (Some(error), _) => error.clone(),
    }
}

impl Text for DeliveriesOut {
    fn to_text(&self) -> String {
        let table = Table::new(&["event", "attempt", "at", "outcome"]).right(&[0, 1]);
        let rows = self.deliveries.iter().map(|delivery| {
            vec![
                delivery.seq.to_string(),
                delivery.attempt.to_string(),
                delivery.at.clone(),
                outcome(delivery),
            ]
        });
        let empty = format!("webhook {} has no delivery attempt yet", self.webhook);
        table_or(&empty, table, rows)
    }
}
