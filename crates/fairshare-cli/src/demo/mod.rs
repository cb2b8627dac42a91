//! `demo`: a small, realistic network in a fresh book, and a report of what came out.
//!
//! The forillon contract of DOMAIN.md (three affiliates, a reimbursable material, a plan that
//! reimburses, pays infrastructure and shares the rest by value) and a second project that
//! needs one approval per contribution, with an approval, a rejection, a gift, a cite and a
//! use of equipment. Contributions are logged by the agents themselves and reviewed by others,
//! as the roles require.

use std::path::Path;

use anyhow::Result;
use fairshare_book::Book;
use fairshare_core::{Command, Kind, OPERATOR, Outcome, Role};
use serde::Serialize;

use crate::commands::remove_sqlite_files;
use crate::error::CliError;
use fairshare_ops::contributions::{Shares, SharesAnswer};
use fairshare_ops::distributions::{BalancesOut, ListBalances, StatementOut};
use fairshare_ops::log::VerifyOut;
use fairshare_ops::plans::{FORILLON_PLAN, parse_plan_file, plan_of};
use fairshare_ops::{PAGE_LIMIT_MAX, Read, Reading};

use crate::invocation::{Access, Invocation, is_postgres_url, now, open_store, today};
use crate::render::{Output, Text};

/// The demo's book when `--book` (or `FAIRSHARE_BOOK`) does not name one; replaced each run.
pub const DEMO_BOOK_DEFAULT: &str = "./fairshare-demo.db";

#[derive(Serialize)]
pub struct DemoOut {
    pub book: String,
    pub events: u64,
    pub statement: StatementOut,
    pub shares: Vec<SharesAnswer>,
    pub balances: BalancesOut,
    pub verify: VerifyOut,
}

impl Text for DemoOut {
    fn to_text(&self) -> String {
        let mut out = format!(
            "demo network in {}: {} events\n\n== the forillon contract: revenue distributed by its plan ==\n",
            self.book, self.events
        );
        out.push_str(&self.statement.to_text());
        out.push_str("\n== shares: each agent's counted value ==\n");
        for shares in &self.shares {
            out.push_str(&shares.to_text());
        }
        out.push_str("\n== balances ==\n");
        out.push_str(&self.balances.to_text());
        out.push_str("\n== verify ==\n");
        out.push_str(&self.verify.to_text());
        out.push_str(&format!(
            "\nexplore it: fairshare --book {} contributions tracker\n           (or: plan show forillon, statement 1, log show)\n",
            self.book
        ));
        out
    }
    fn exit_code(&self) -> u8 {
        Text::exit_code(&self.verify)
    }
}

pub fn run(invocation: &Invocation) -> Result<Box<dyn Output>> {
    let url = match invocation.global.book.as_deref() {
        Some(url) => url.to_string(),
        None => {
            remove_sqlite_files(DEMO_BOOK_DEFAULT);
            DEMO_BOOK_DEFAULT.to_string()
        }
    };
    let is_new_file = !is_postgres_url(&url) && !Path::new(&url).exists();
    let mut book = Book::open(open_store(&url, Access::Create)?)?;
    let events = book.state().head();
    if events > 0 {
        return Err(CliError::conflict(format!(
            "demo needs a new book: {url} already has {events} events (without --book the demo uses {DEMO_BOOK_DEFAULT}, replacing it)"
        ))
        .into());
    }
    let built = build(&mut book);
    if let Err(error) = built {
        if is_new_file {
            drop(book);
            remove_sqlite_files(&url);
        }
        return Err(error);
    }
    report(&mut book, &url)
}

struct Demo<'a> {
    book: &'a mut Book,
    now: String,
}

impl Demo<'_> {
    fn run(&mut self, actor: &str, command: Command, key: Option<&str>) -> Result<Outcome> {
        Ok(self.book.execute(actor, &command, key, &self.now)?.outcome)
    }

    fn agent(&mut self, handle: &str, name: &str, role: Role) -> Result<()> {
        let command = Command::AddAgent {
            handle: handle.into(),
            name: Some(name.into()),
            role,
        };
        self.run(OPERATOR, command, None).map(drop)
    }

    fn project(
        &mut self,
        slug: &str,
        name: &str,
        approvals: u32,
        rates: &[(&str, &str)],
    ) -> Result<()> {
        let command = Command::AddProject {
            slug: slug.into(),
            name: Some(name.into()),
            currency: "CAD".into(),
            exponent: 2,
            approvals,
        };
        self.run(OPERATOR, command, None)?;
        for (category, per_hour) in rates {
            let command = Command::SetRate {
                project: slug.into(),
                category: (*category).into(),
                per_hour: (*per_hour).into(),
            };
            self.run(OPERATOR, command, None)?;
        }
        Ok(())
    }

    /// Logs a contribution as its own contributor (a citation's fixed value as the operator:
    /// only custodians name one) and returns its id.
    fn log(&mut self, project: &str, agent: &str, kind: Kind, entry: Entry) -> Result<u64> {
        let command = Command::Log {
            project: project.into(),
            agent: agent.into(),
            kind,
            category: entry.category.map(Into::into),
            hours: entry.hours.map(Into::into),
            amount: entry.amount.map(Into::into),
            rate: entry.rate.map(Into::into),
            value: entry.value.map(Into::into),
            date: None,
            note: entry.note.map(Into::into),
            gift: entry.gift,
            reimbursable: entry.reimbursable,
        };
        let actor = if kind == Kind::Cite { OPERATOR } else { agent };
        match self.run(actor, command, None)? {
            Outcome::Logged { id, .. } => Ok(id),
            other => Err(CliError::storage(format!("unexpected outcome {other:?}")).into()),
        }
    }
}

#[derive(Default)]
struct Entry {
    category: Option<&'static str>,
    hours: Option<&'static str>,
    amount: Option<&'static str>,
    rate: Option<&'static str>,
    value: Option<&'static str>,
    note: Option<&'static str>,
    gift: bool,
    reimbursable: bool,
}

fn work(category: &'static str, hours: &'static str) -> Entry {
    Entry {
        category: Some(category),
        hours: Some(hours),
        ..Entry::default()
    }
}

fn build(book: &mut Book) -> Result<()> {
    let mut demo = Demo { book, now: now()? };
    demo.agent("luc", "Luc Bouchard", Role::Custodian)?;
    demo.agent("abran", "Abran Qureshi", Role::Affiliate)?;
    demo.agent("marie", "Marie Gagnon", Role::Affiliate)?;
    demo.agent("yasmin", "Yasmin Haddad", Role::Affiliate)?;
    demo.agent("odile", "Odile Martin", Role::Observer)?;

    // The forillon contract (DOMAIN.md, worked example 1).
    demo.project(
        "forillon",
        "Forillon park signage",
        0,
        &[
            ("engineering", "45.00"),
            ("design", "45.00"),
            ("coordination", "30.00"),
        ],
    )?;
    demo.log("forillon", "abran", Kind::Work, work("engineering", "120"))?;
    demo.log("forillon", "marie", Kind::Work, work("design", "80"))?;
    demo.log("forillon", "luc", Kind::Work, work("coordination", "40"))?;
    let material = Entry {
        amount: Some("300.00"),
        reimbursable: true,
        note: Some("plywood and outdoor paint for the prototypes"),
        ..Entry::default()
    };
    demo.log("forillon", "luc", Kind::Material, material)?;
    let buckets = parse_plan_file(FORILLON_PLAN, false).map_err(CliError::invalid)?;
    let plan = plan_of(&buckets)?;
    let command = Command::SetPlan {
        project: "forillon".into(),
        plan,
    };
    demo.run("luc", command, None)?;
    let command = Command::Revenue {
        project: "forillon".into(),
        amount: "12000.00".into(),
        from: Some("Parks Canada".into()),
    };
    demo.run("luc", command, Some("parks-contract-1"))?;

    // A second project where every contribution needs one approval by someone else.
    demo.project(
        "tracker",
        "Open wildlife tracker",
        1,
        &[("firmware", "40.00"), ("design", "40.00")],
    )?;
    let firmware = demo.log("tracker", "yasmin", Kind::Work, work("firmware", "10"))?;
    demo.run("marie", Command::Approve { id: firmware }, None)?;
    let duplicate = Entry {
        note: Some("enclosure sketches"),
        ..work("design", "6")
    };
    let duplicate = demo.log("tracker", "abran", Kind::Work, duplicate)?;
    let reject = Command::Reject {
        id: duplicate,
        reason: "logged twice: the same sketches are in forillon".into(),
    };
    demo.run("luc", reject, None)?;
    let gift = Entry {
        gift: true,
        note: Some("weekend of user testing, offered"),
        ..work("design", "4")
    };
    let gift = demo.log("tracker", "marie", Kind::Work, gift)?;
    demo.run("luc", Command::Approve { id: gift }, None)?;
    let cite = Entry {
        value: Some("250.00"),
        note: Some("reuses the forillon enclosure design"),
        ..Entry::default()
    };
    let cite = demo.log("tracker", "abran", Kind::Cite, cite)?;
    demo.run("marie", Command::Approve { id: cite }, None)?;
    let printer = Entry {
        hours: Some("3"),
        rate: Some("20.00"),
        note: Some("3D printer time for the cases"),
        ..Entry::default()
    };
    let printer = demo.log("tracker", "luc", Kind::Use, printer)?;
    demo.run("yasmin", Command::Approve { id: printer }, None)?;
    // Still pending: it does not count until someone approves it.
    demo.log("tracker", "yasmin", Kind::Work, work("firmware", "2"))?;
    Ok(())
}

fn report(book: &mut Book, url: &str) -> Result<Box<dyn Output>> {
    let state = book.state();
    let reading = Reading {
        actor: None,
        role: None,
        today: today()?,
    };
    let statement = StatementOut::of(state, state.distribution(1)?);
    let mut shares = Vec::new();
    for slug in ["forillon", "tracker"] {
        let request = Shares {
            project: slug.to_string(),
            as_of: None,
            blended: None,
            limit: Some(PAGE_LIMIT_MAX),
            offset: None,
        };
        shares.push(request.view(state, &reading)?);
    }
    let all = ListBalances {
        limit: Some(PAGE_LIMIT_MAX),
        offset: None,
    };
    let balances = all.view(state, &reading)?;
    let events = state.head();
    let verify = VerifyOut::of(fairshare_book::verify(book.store_mut())?);
    Ok(Box::new(DemoOut {
        book: url.to_string(),
        events,
        statement,
        shares,
        balances,
        verify,
    }))
}
