//! The demo network, written as the commands its members would run, on fixed dates from March
//! to October 2026 (so every run writes the same book, to the hash): each capability once.
//! `fairshare demo` writes it into a new book and serves it; its screenshots and logins name
//! the agents below.
//!
//! - **forillon**, the contract of DOMAIN.md: three affiliates, a reimbursable material, a
//!   plan that reimburses, pays infrastructure and shares the rest by value.
//! - **tracker**, where every contribution needs one approval by someone else (an approval, a
//!   rejection, a gift, a cite, a use of equipment, one still pending), and its token TRACK:
//!   a pre-sale into the reserve, contributions minting tokens, a redemption.
//! - **workshop**, a crowdfunded laser cutter: a campaign pledged by three members (the last
//!   pledge cut to what was missing), the purchase with a 20% premium, and charged uses whose
//!   fees pay the co-owners back until the laser crosses into the commons.
//! - **venture**, phantom equity in units: work, a peer round given and closed, a blend, and a
//!   pool allocated at the crystallisation event.
//! - **treasury**: abran's payout, requested by him and approved by luc.
//!
//! Contributions are logged by the agents themselves and reviewed by others, as the roles
//! require; what only custodians do, luc does.

use fairshare_book::Book;
use fairshare_core::{Command, DomainError, Kind, OPERATOR, Outcome, Redemption, Role, SplitShare};
use fairshare_ops::OpResult as Result;
use fairshare_ops::plans::{FORILLON_PLAN, parse_plan_file, plan_of};

/// The custodian who does what only custodians do.
pub const CUSTODIAN: &str = "luc";
/// An affiliate, for the dashboard's logins: contributes, co-owns the laser, is paid out.
pub const AFFILIATE: &str = "abran";
/// The observer: a supporter who buys TRACK in the pre-sale and hires the laser.
pub const OBSERVER: &str = "odile";

/// The laser cutter the workshop's campaign buys.
pub const RESOURCE: &str = "laser";
/// The tracker's token.
pub const TOKEN: &str = "TRACK";
/// The project whose pool is allocated.
pub const VENTURE: &str = "venture";
/// The idempotency key of the pool allocation (the crystallisation event).
pub const POOL_KEY: &str = "crystallisation-2026";
/// The weights of the formula and of the peer shares in venture's blend (no steward part).
pub const BLEND_FORMULA: &str = "0.5";
pub const BLEND_PEER: &str = "0.5";
/// The payout luc approves.
pub const PAYOUT: &str = "payout-1";
/// The forillon revenue's idempotency key.
pub const REVENUE_KEY: &str = "parks-contract-1";

/// The day of the first event and of the last.
pub const FIRST_DAY: &str = "2026-03-02";
pub const LAST_DAY: &str = "2026-10-06";
/// The premium the laser's co-owners are paid back on top of their pledges.
pub const PREMIUM_PERCENT: &str = "20";

/// The book being written and the time of its next event.
struct Demo<'a> {
    book: &'a mut Book,
    /// The day of the next events (`YYYY-MM-DD`).
    day: &'static str,
    /// Minutes after 09:00 of the next event that day: each event one minute after the last.
    minute: u32,
}

impl Demo<'_> {
    /// The events from now on are dated `day`, from 09:00.
    fn on(&mut self, day: &'static str) {
        self.day = day;
        self.minute = 0;
    }

    fn run(&mut self, actor: &str, command: Command, key: Option<&str>) -> Result<Outcome> {
        let at = format!(
            "{}T{:02}:{:02}:00Z",
            self.day,
            9 + self.minute / 60,
            self.minute % 60
        );
        self.minute += 1;
        Ok(self.book.execute(actor, &command, key, &at)?.outcome)
    }

    /// Runs a command whose outcome the story does not need.
    fn did(&mut self, actor: &str, command: Command) -> Result<()> {
        self.run(actor, command, None).map(drop)
    }

    fn agent(&mut self, handle: &str, name: &str, role: Role) -> Result<()> {
        let command = Command::AddAgent {
            handle: handle.into(),
            name: Some(name.into()),
            role,
        };
        self.did(OPERATOR, command)
    }

    fn project(&mut self, project: Project) -> Result<()> {
        let command = Command::AddProject {
            slug: project.slug.into(),
            name: Some(project.name.into()),
            currency: project.currency.into(),
            exponent: project.exponent,
            approvals: project.approvals,
        };
        self.did(OPERATOR, command)?;
        for (category, per_hour) in project.rates {
            self.did(
                OPERATOR,
                Command::set_rate(project.slug, category, per_hour),
            )?;
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
            other => Err(unexpected(&other)),
        }
    }
}

fn unexpected(outcome: &Outcome) -> fairshare_ops::OpError {
    DomainError::corrupt(format!("unexpected outcome {outcome:?}")).into()
}

/// A project as `project add` and `rate set` make it.
struct Project {
    slug: &'static str,
    name: &'static str,
    currency: &'static str,
    exponent: u32,
    approvals: u32,
    rates: &'static [(&'static str, &'static str)],
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

/// Writes the whole story into `book`, which has no event yet.
pub fn build(book: &mut Book) -> Result<()> {
    let mut demo = Demo {
        book,
        day: FIRST_DAY,
        minute: 0,
    };
    agents(&mut demo)?;
    forillon(&mut demo)?;
    tracker(&mut demo)?;
    workshop(&mut demo)?;
    redemption(&mut demo)?;
    venture(&mut demo)?;
    payout(&mut demo)
}

fn agents(demo: &mut Demo) -> Result<()> {
    demo.on(FIRST_DAY);
    demo.agent(CUSTODIAN, "Luc Bouchard", Role::Custodian)?;
    demo.agent(AFFILIATE, "Abran Qureshi", Role::Affiliate)?;
    demo.agent("marie", "Marie Gagnon", Role::Affiliate)?;
    demo.agent("yasmin", "Yasmin Haddad", Role::Affiliate)?;
    demo.agent(OBSERVER, "Odile Martin", Role::Observer)
}

/// The forillon contract (DOMAIN.md, worked example 1).
fn forillon(demo: &mut Demo) -> Result<()> {
    demo.on("2026-03-02");
    demo.project(Project {
        slug: "forillon",
        name: "Forillon park signage",
        currency: "CAD",
        exponent: 2,
        approvals: 0,
        rates: &[
            ("engineering", "45.00"),
            ("design", "45.00"),
            ("coordination", "30.00"),
        ],
    })?;
    demo.on("2026-03-13");
    demo.log(
        "forillon",
        AFFILIATE,
        Kind::Work,
        work("engineering", "120"),
    )?;
    demo.log("forillon", "marie", Kind::Work, work("design", "80"))?;
    demo.log(
        "forillon",
        CUSTODIAN,
        Kind::Work,
        work("coordination", "40"),
    )?;
    let material = Entry {
        amount: Some("300.00"),
        reimbursable: true,
        note: Some("plywood and outdoor paint for the prototypes"),
        ..Entry::default()
    };
    demo.log("forillon", CUSTODIAN, Kind::Material, material)?;
    let buckets = parse_plan_file(FORILLON_PLAN, false).map_err(DomainError::invalid)?;
    let plan = plan_of(&buckets)?;
    let command = Command::SetPlan {
        project: "forillon".into(),
        plan,
    };
    demo.did(CUSTODIAN, command)?;
    demo.on("2026-03-31");
    let command = Command::Revenue {
        project: "forillon".into(),
        amount: "12000.00".into(),
        from: Some("Parks Canada".into()),
    };
    demo.run(CUSTODIAN, command, Some(REVENUE_KEY)).map(drop)
}

/// A project where every contribution needs one approval by someone else, and its token:
/// a pre-sale fills the reserve, then every counted contribution mints TRACK.
fn tracker(demo: &mut Demo) -> Result<()> {
    demo.on("2026-04-01");
    demo.project(Project {
        slug: "tracker",
        name: "Open wildlife tracker",
        currency: "CAD",
        exponent: 2,
        approvals: 1,
        rates: &[("firmware", "40.00"), ("design", "40.00")],
    })?;
    // One TRACK minted per 1.00 of counted value, redeemed at net asset value.
    let token = Command::create_token("tracker", TOKEN, 2, Redemption::Nav);
    demo.did(CUSTODIAN, token)?;
    let presale = Command::Presale {
        token: TOKEN.into(),
        agent: OBSERVER.into(),
        amount: "2000.00".into(),
        price: "1.00".into(),
    };
    demo.did(CUSTODIAN, presale)?;
    demo.on("2026-04-17");
    let firmware = demo.log("tracker", "yasmin", Kind::Work, work("firmware", "10"))?;
    demo.did("marie", Command::Approve { id: firmware })?;
    let duplicate = Entry {
        note: Some("enclosure sketches"),
        ..work("design", "6")
    };
    let duplicate = demo.log("tracker", AFFILIATE, Kind::Work, duplicate)?;
    let reject = Command::Reject {
        id: duplicate,
        reason: "logged twice: the same sketches are in forillon".into(),
    };
    demo.did(CUSTODIAN, reject)?;
    let gift = Entry {
        gift: true,
        note: Some("weekend of user testing, offered"),
        ..work("design", "4")
    };
    let gift = demo.log("tracker", "marie", Kind::Work, gift)?;
    demo.did(CUSTODIAN, Command::Approve { id: gift })?;
    let cite = Entry {
        value: Some("250.00"),
        note: Some("reuses the forillon enclosure design"),
        ..Entry::default()
    };
    let cite = demo.log("tracker", AFFILIATE, Kind::Cite, cite)?;
    demo.did("marie", Command::Approve { id: cite })?;
    let printer = Entry {
        hours: Some("3"),
        rate: Some("20.00"),
        note: Some("3D printer time for the cases"),
        ..Entry::default()
    };
    let printer = demo.log("tracker", CUSTODIAN, Kind::Use, printer)?;
    demo.did("yasmin", Command::Approve { id: printer })?;
    // Still pending: it does not count until someone approves it.
    demo.log("tracker", "yasmin", Kind::Work, work("firmware", "2"))?;
    Ok(())
}

/// The workshop crowdfunds a laser cutter; its charged uses pay the co-owners back with a 20%
/// premium (70% of every fee) until the laser is a commons.
fn workshop(demo: &mut Demo) -> Result<()> {
    demo.on("2026-05-04");
    demo.project(Project {
        slug: "workshop",
        name: "Shared workshop",
        currency: "CAD",
        exponent: 2,
        approvals: 0,
        rates: &[],
    })?;
    let campaign = Command::OpenCampaign {
        id: "laser-fund".into(),
        project: "workshop".into(),
        target: "2000.00".into(),
        purpose: Some("a laser cutter for enclosures and signs".into()),
    };
    demo.did(CUSTODIAN, campaign)?;
    demo.on("2026-05-11");
    // yasmin pledges 600.00 when 500.00 is missing: her pledge is cut to 500.00.
    for (agent, amount) in [
        (AFFILIATE, "800.00"),
        ("marie", "700.00"),
        ("yasmin", "600.00"),
    ] {
        let pledge = Command::Pledge {
            campaign: "laser-fund".into(),
            agent: agent.into(),
            amount: amount.into(),
        };
        demo.did(agent, pledge)?;
    }
    let purchase = Command::Purchase {
        campaign: "laser-fund".into(),
        resource: RESOURCE.into(),
        premium_percent: PREMIUM_PERCENT.into(),
    };
    demo.did(CUSTODIAN, purchase)?;
    demo.did(CUSTODIAN, laser_fees()?)?;
    // Three jobs of 30 hours at 40.00: 840.00 of each fee pays the co-owners back, until
    // the third crosses their 2,400.00 of caps.
    for (day, actor, user) in [
        ("2026-05-20", CUSTODIAN, OBSERVER),
        ("2026-06-10", AFFILIATE, AFFILIATE),
        ("2026-06-24", CUSTODIAN, OBSERVER),
    ] {
        demo.on(day);
        let job = Command::UseResource {
            resource: RESOURCE.into(),
            agent: user.into(),
            hours: "30".into(),
            material_units: None,
            technician: None,
            technician_hours: None,
            community: false,
            from_balance: false,
        };
        demo.did(actor, job)?;
    }
    Ok(())
}

/// The laser's fees: 40.00 an hour, 20% to maintenance, 10% to infrastructure, 70% paying
/// the co-owners back, then to the commons.
fn laser_fees() -> Result<Command> {
    let share = |to: &str, percent: &str| -> Result<SplitShare> {
        Ok(SplitShare {
            to: to.into(),
            percent: fairshare_core::parse_decimal(percent, "percent")?,
        })
    };
    Ok(Command::SetFees {
        resource: RESOURCE.into(),
        per_hour: "40.00".into(),
        material_per_unit: None,
        technician_per_hour: None,
        community_per_hour: None,
        split: vec![
            share("maintenance", "20")?,
            share("infra", "10")?,
            share("payback", "70")?,
        ],
        material_to: None,
        after_payback: Some("commons".into()),
        community_roles: Vec::new(),
    })
}

/// yasmin redeems some of the TRACK her firmware minted against the reserve.
fn redemption(demo: &mut Demo) -> Result<()> {
    demo.on("2026-07-06");
    let redeem = Command::Redeem {
        token: TOKEN.into(),
        agent: "yasmin".into(),
        tokens: "271.00".into(),
    };
    demo.did("yasmin", redeem)
}

/// Phantom equity: 1,000,000 UNITS stand for the venture. Members log work, give each other
/// points in a peer round, and at the crystallisation event a pool of 100,000 units is
/// allocated by half formula, half peer share.
fn venture(demo: &mut Demo) -> Result<()> {
    demo.on("2026-08-03");
    demo.project(Project {
        slug: VENTURE,
        name: "Tracker venture (phantom equity)",
        currency: "UNITS",
        exponent: 0,
        approvals: 0,
        rates: &[("any", "1")],
    })?;
    demo.on("2026-08-28");
    for (agent, hours) in [(AFFILIATE, "120"), ("marie", "80"), ("yasmin", "100")] {
        demo.log(VENTURE, agent, Kind::Work, work("any", hours))?;
    }
    demo.on("2026-09-01");
    let open = Command::OpenRound {
        project: VENTURE.into(),
        budget: Some(100),
        eligible: None,
    };
    let round = match demo.run(CUSTODIAN, open, None)? {
        Outcome::RoundOpened { round, .. } => round,
        other => return Err(unexpected(&other)),
    };
    demo.on("2026-09-15");
    for (from, to, points) in [
        (AFFILIATE, "marie", 60),
        (AFFILIATE, "yasmin", 40),
        ("marie", AFFILIATE, 50),
        ("marie", "yasmin", 50),
        ("yasmin", AFFILIATE, 70),
        ("yasmin", "marie", 30),
    ] {
        let give = Command::Give {
            round,
            from: from.into(),
            to: to.into(),
            points,
        };
        demo.did(from, give)?;
    }
    demo.on("2026-09-29");
    demo.did(CUSTODIAN, Command::CloseRound { round })?;
    let blend = Command::SetBlend {
        project: VENTURE.into(),
        formula: BLEND_FORMULA.into(),
        peer: BLEND_PEER.into(),
        steward: "0".into(),
    };
    demo.did(CUSTODIAN, blend)?;
    demo.on("2026-09-30");
    let pool = Command::AllocatePool {
        project: VENTURE.into(),
        pool: "100000".into(),
    };
    demo.run(CUSTODIAN, pool, Some(POOL_KEY)).map(drop)
}

/// abran asks for 5,000.00 of his balance to his bank; luc, another custodian, approves.
fn payout(demo: &mut Demo) -> Result<()> {
    demo.on("2026-10-05");
    let request = Command::RequestPayout {
        id: None,
        agent: AFFILIATE.into(),
        amount: "5000.00".into(),
        asset: Some("CAD".into()),
        reference: "bank transfer 1042".into(),
    };
    demo.did(AFFILIATE, request)?;
    demo.on(LAST_DAY);
    demo.did(CUSTODIAN, Command::ApprovePayout { id: PAYOUT.into() })
}
