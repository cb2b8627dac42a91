//! What the integration tests share: a state driven command by command on one date, where a
//! refused command must change nothing, and project `p`'s plan and payouts.

use fairshare_core::{
    Bucket, Command, Ctx, Date, DomainError, OPERATOR, Outcome, Plan, State, format_amount,
};

pub struct Book {
    pub state: State,
    /// The day every event is recorded.
    pub date: Date,
}

impl Book {
    /// An empty book whose events are recorded on `date`.
    pub fn on(date: &str) -> Book {
        Book {
            state: State::new(),
            date: Date::parse(date).unwrap(),
        }
    }

    pub fn ctx(&self, actor: &str) -> Ctx {
        Ctx::new(self.state.head() + 1, actor, self.date)
    }

    /// Executes `command`; a refusal must leave the state as it was.
    pub fn run(&mut self, actor: &str, command: Command) -> Result<Outcome, DomainError> {
        let ctx = self.ctx(actor);
        let before = self.state.clone();
        let result = self.state.execute(&ctx, &command);
        if result.is_err() {
            assert_eq!(self.state, before, "a refused {} changed", command.op());
        }
        result
    }

    pub fn ok(&mut self, actor: &str, command: Command) -> Outcome {
        let op = command.op();
        self.run(actor, command)
            .unwrap_or_else(|e| panic!("{op}: {e}"))
    }

    /// Sets project `p`'s plan.
    pub fn plan(&mut self, buckets: Vec<Bucket>) -> Result<Outcome, DomainError> {
        self.run(
            OPERATOR,
            Command::SetPlan {
                project: "p".into(),
                plan: Plan { buckets },
            },
        )
    }

    /// What each account received from the distribution `outcome` recorded.
    pub fn payouts(&self, outcome: &Outcome) -> Vec<(String, String)> {
        let Outcome::Distributed { id, .. } = outcome else {
            panic!("not a distribution: {outcome:?}")
        };
        self.state
            .distribution(*id)
            .unwrap()
            .payouts()
            .into_iter()
            .map(|(name, amount)| (name.to_string(), format_amount(amount, 2)))
            .collect()
    }
}

/// Owned pairs, to compare with what a book answers.
pub fn pairs(items: &[(&str, &str)]) -> Vec<(String, String)> {
    items
        .iter()
        .map(|(a, b)| (a.to_string(), b.to_string()))
        .collect()
}
