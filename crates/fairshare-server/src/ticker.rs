//! The enactment ticker: passed proposals take effect at the end of their notice even when
//! nobody writes. Every write enacts what is due first (`Book::execute_batch`); this task
//! asks the writer, every `ServerConfig::enact_every` (one minute by default), to enact each
//! proposal the read model shows due by the server's clock. A proposal enacted meanwhile is refused, harmlessly.

use std::time::Duration;

use fairshare_book::Request;
use fairshare_core::{Command, OPERATOR, Timestamp};

use crate::AppState;

/// How often due proposals are looked for, by default.
pub(crate) const ENACT_EVERY_DEFAULT: Duration = Duration::from_secs(60);

/// Runs until aborted (the server aborts it before the writer drains, as it holds a handle).
pub(crate) async fn enact_due(app: AppState, every: Duration) {
    let mut tick = tokio::time::interval_at(tokio::time::Instant::now() + every, every);
    loop {
        tick.tick().await;
        let now = app.clock.now_text();
        let Ok(at) = Timestamp::parse(&now) else {
            continue;
        };
        let due = app.model.state().read().await.due_proposals(at);
        for proposal in due {
            let request = Request {
                actor: OPERATOR.to_string(),
                command: Command::EnactProposal {
                    proposal: proposal.clone(),
                },
                key: None,
                recorded_at: now.clone(),
            };
            match app
                .writer
                .submit(request, Box::new(|_, _| Ok(Vec::new())))
                .await
            {
                Ok(_) => tracing::info!(%proposal, "enacted a proposal whose notice ended"),
                Err(error) => tracing::debug!(%proposal, ?error, "not enacted by the ticker"),
            }
        }
    }
}
