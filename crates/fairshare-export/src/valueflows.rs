//! The book as JSON-LD in the ValueFlows vocabulary (VF 1.0, `https://w3id.org/valueflows/ont/vf#`).
//!
//! | fairshare | ValueFlows |
//! |---|---|
//! | the network | `vf:Organization` (provider of claims, receiver of contributions) |
//! | `outside` | `vf:Agent` named `outside` |
//! | an agent | `vf:Agent` (fairshare does not say person or organisation) |
//! | a project | `vf:Process` in scope of the network |
//! | an asset | `vf:ResourceSpecification` (medium of exchange) with its `vf:Unit` |
//! | an account's holding of an asset | `vf:EconomicResource` with `vf:accountingQuantity` = the balance |
//! | an approved contribution | `vf:EconomicEvent` (`work`, `use`, `transfer` for cash, `consume` for material, `cite`, `deliverService` for a bounty), input of the project's process |
//! | its counted value | a `vf:Claim` on the network, triggered by that event |
//! | a revenue | a `transfer` event from `outside` to the network |
//! | each payout line | a `vf:Claim` triggered by the revenue, and the `transfer` event that `vf:settles` it |
//! | any other ledger transaction | `transfer` events pairing its debits and credits per asset |
//! | a shared resource and its uses | a `vf:EconomicResource` and `use` events |
//!
//! Quantities are `vf:Measure`s with `vf:hasNumericalValue` (an exact `xsd:decimal`) and
//! `vf:hasUnit` (`om2:hour` for hours, `om2:one` for counts, the asset's `vf:Unit`).
//! Economic terms are all `vf:`; only units (`om2:`) and datatypes (`xsd:`) come from
//! elsewhere. Every node has an absolute IRI under [`ValueFlowsOptions::base`].

use std::collections::{BTreeMap, BTreeSet};
use std::io::{BufWriter, Write};

use fairshare_core::{Contribution, Kind, OUTSIDE, State, Status, Transaction, format_amount};
use serde_json::{Value as Json, json};

use crate::index::{EventIndex, EventMeta};
use crate::names::{AccountClass, BookNames};
use crate::{ExportResult, plan_of};

pub const VF: &str = "https://w3id.org/valueflows/ont/vf#";
pub const OM2: &str = "http://www.ontology-of-units-of-measure.org/resource/om-2/";
pub const XSD: &str = "http://www.w3.org/2001/XMLSchema#";

/// Where the nodes live and what the network is called.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ValueFlowsOptions {
    /// IRI prefix of every node; should end with `/`, `#` or `:` (one is added otherwise).
    pub base: String,
    /// Name of the network (the `vf:Organization` that holds the book).
    pub network_name: String,
}

impl Default for ValueFlowsOptions {
    fn default() -> Self {
        ValueFlowsOptions {
            base: "urn:fairshare:".to_string(),
            network_name: "fairshare network".to_string(),
        }
    }
}

/// Node IRIs.
struct Ids {
    base: String,
}

impl Ids {
    fn iri(&self, path: &str) -> Json {
        json!({ "@id": format!("{}{path}", self.base) })
    }
    fn network(&self) -> Json {
        self.iri("network")
    }
    fn agent(&self, handle: &str) -> Json {
        self.iri(&format!("agent:{handle}"))
    }
    fn outside(&self) -> Json {
        self.iri(OUTSIDE)
    }
    fn project(&self, slug: &str) -> Json {
        self.iri(&format!("project:{slug}"))
    }
    fn asset(&self, code: &str) -> Json {
        self.iri(&format!("asset:{code}"))
    }
    fn unit(&self, code: &str) -> Json {
        self.iri(&format!("unit:{code}"))
    }
    fn account(&self, account: &str, asset: &str) -> Json {
        self.iri(&format!("account:{account}:{asset}"))
    }
    /// The agent accountable for an account: its agent, `outside`, or the network.
    fn owner(&self, class: AccountClass, account: &str) -> Json {
        match class {
            AccountClass::Agent => self.agent(account),
            AccountClass::Outside => self.outside(),
            AccountClass::Project | AccountClass::Virtual | AccountClass::Exchange => {
                self.network()
            }
        }
    }
}

fn vf(term: &str) -> Json {
    json!({ "@id": format!("vf:{term}") })
}

fn decimal(text: String) -> Json {
    json!({ "@value": text, "@type": "xsd:decimal" })
}

fn measure(value: String, unit: Json) -> Json {
    json!({ "@type": "vf:Measure", "vf:hasNumericalValue": decimal(value), "vf:hasUnit": unit })
}

fn om2(unit: &str) -> Json {
    json!({ "@id": format!("om2:{unit}") })
}

/// An `xsd:dateTimeStamp` (which needs a time zone): a stored RFC 3339 time as is, a bare
/// day at midnight UTC.
fn point_in_time(time: &str) -> Json {
    let stamp = if time.len() == 10 {
        format!("{time}T00:00:00Z")
    } else {
        time.to_string()
    };
    json!({ "@value": stamp, "@type": "xsd:dateTimeStamp" })
}

/// Writes nodes into the `@graph` array one at a time: memory stays flat for large books.
struct Graph<'a> {
    out: BufWriter<&'a mut dyn Write>,
    nodes: u64,
}

impl Graph<'_> {
    fn node(&mut self, node: Json) -> ExportResult<()> {
        self.out
            .write_all(if self.nodes == 0 { b"\n" } else { b",\n" })?;
        serde_json::to_writer(&mut self.out, &node).map_err(std::io::Error::from)?;
        self.nodes += 1;
        Ok(())
    }
}

/// Writes the book as one JSON-LD document; returns the number of nodes in its `@graph`.
pub fn write_valueflows(
    state: &State,
    index: &EventIndex,
    options: &ValueFlowsOptions,
    out: &mut dyn Write,
) -> ExportResult<u64> {
    let names = BookNames::new(state)?;
    let mut base = options.base.clone();
    if !base.ends_with(['/', '#', ':']) {
        base.push('/');
    }
    let ids = Ids { base };
    let context = json!({ "vf": VF, "om2": OM2, "xsd": XSD });
    let mut graph = Graph {
        out: BufWriter::new(out),
        nodes: 0,
    };
    write!(graph.out, "{{\"@context\":{context},\"@graph\":[")?;

    write_agents(state, &ids, options, &mut graph)?;
    write_assets(&names, &ids, &mut graph)?;
    for project in state.projects() {
        graph.node(json!({
            "@id": ids.project(&project.slug)["@id"],
            "@type": "vf:Process",
            "vf:name": project.name.clone().unwrap_or_else(|| project.slug.to_string()),
            "vf:inScopeOf": ids.network(),
            "vf:note": format!("fairshare project {} in {}", project.slug, project.currency),
        }))?;
    }
    write_accounts(state, &names, &ids, &mut graph)?;
    write_shared_resources(state, index, &ids, &mut graph)?;
    for contribution in state.contributions() {
        write_contribution(state, index, &ids, contribution, &mut graph)?;
    }
    let distributed: BTreeSet<u64> = state
        .distributions()
        .iter()
        .map(|d| d.transaction)
        .collect();
    write_distributions(state, index, &names, &ids, &mut graph)?;
    for transaction in state.ledger().transactions() {
        if !distributed.contains(&transaction.id) {
            write_transfers(index, &names, &ids, transaction, &mut graph)?;
        }
    }

    graph.out.write_all(b"\n]}\n")?;
    graph.out.flush()?;
    Ok(graph.nodes)
}

fn write_agents(
    state: &State,
    ids: &Ids,
    options: &ValueFlowsOptions,
    graph: &mut Graph,
) -> ExportResult<()> {
    graph.node(json!({
        "@id": ids.network()["@id"],
        "@type": "vf:Organization",
        "vf:name": options.network_name,
    }))?;
    graph.node(json!({
        "@id": ids.outside()["@id"],
        "@type": "vf:Agent",
        "vf:name": OUTSIDE,
        "vf:note": "the world beyond the network: money and tokens entering or leaving it",
    }))?;
    for agent in state.agents() {
        graph.node(json!({
            "@id": ids.agent(&agent.handle)["@id"],
            "@type": "vf:Agent",
            "vf:name": agent.name.clone().unwrap_or_else(|| agent.handle.clone()),
            "vf:note": format!("fairshare agent {} ({})", agent.handle, agent.role),
        }))?;
    }
    Ok(())
}

fn write_assets(names: &BookNames, ids: &Ids, graph: &mut Graph) -> ExportResult<()> {
    for (code, exponent) in &names.exponents {
        graph.node(json!({
            "@id": ids.unit(code)["@id"],
            "@type": "vf:Unit",
            "vf:label": code,
            "vf:symbol": code,
        }))?;
        graph.node(json!({
            "@id": ids.asset(code)["@id"],
            "@type": "vf:ResourceSpecification",
            "vf:name": code,
            "vf:mediumOfExchange": true,
            "vf:defaultUnitOfResource": ids.unit(code),
            "vf:note": format!("amounts are exact to {exponent} decimals"),
        }))?;
    }
    Ok(())
}

/// One resource per account and asset, holding the account's balance.
fn write_accounts(
    state: &State,
    names: &BookNames,
    ids: &Ids,
    graph: &mut Graph,
) -> ExportResult<()> {
    for (account, assets) in state.ledger().accounts() {
        let Some(mapped) = names.accounts.get(account) else {
            continue;
        };
        for (asset, balance) in assets {
            let exponent = names.exponent(asset)?;
            graph.node(json!({
                "@id": ids.account(account, asset)["@id"],
                "@type": "vf:EconomicResource",
                "vf:name": format!("{account} {asset}"),
                "vf:trackingIdentifier": account,
                "vf:primaryAccountable": ids.owner(mapped.class, account),
                "vf:conformsTo": ids.asset(asset),
                "vf:accountingQuantity": measure(format_amount(*balance, exponent), ids.unit(asset)),
                "vf:note": format!("fairshare {} account {account}", mapped.class.as_str()),
            }))?;
        }
    }
    Ok(())
}

fn write_shared_resources(
    state: &State,
    index: &EventIndex,
    ids: &Ids,
    graph: &mut Graph,
) -> ExportResult<()> {
    for resource in state.resources() {
        let resource_id = ids.iri(&format!("resource:{}", resource.name));
        let owners: Vec<&str> = resource.owners.iter().map(|o| o.agent.as_str()).collect();
        graph.node(json!({
            "@id": resource_id["@id"],
            "@type": "vf:EconomicResource",
            "vf:name": resource.name,
            "vf:trackingIdentifier": resource.name,
            "vf:primaryAccountable": ids.network(),
            "vf:note": format!(
                "shared resource of project {}, {}; co-owners: {}",
                resource.project,
                resource.status.as_str(),
                if owners.is_empty() { "none".to_string() } else { owners.join(", ") }
            ),
        }))?;
        for record in &resource.uses {
            let meta = index.require(record.seq)?;
            graph.node(json!({
                "@id": ids.iri(&format!("resource:{}:use:{}", resource.name, record.id))["@id"],
                "@type": "vf:EconomicEvent",
                "vf:action": vf("use"),
                "vf:provider": ids.network(),
                "vf:receiver": ids.agent(&record.agent),
                "vf:resourceInventoriedAs": resource_id,
                "vf:effortQuantity": measure(record.hours.to_string(), om2("hour")),
                "vf:hasPointInTime": point_in_time(&meta.recorded_at),
                "vf:note": event_note(&format!("use {} of {}", record.id, resource.name), record.seq, meta),
            }))?;
        }
    }
    Ok(())
}

fn event_note(what: &str, seq: u64, meta: &EventMeta) -> String {
    format!("{what}; fairshare event {seq}, hash {}", meta.hash_hex())
}

fn write_contribution(
    state: &State,
    index: &EventIndex,
    ids: &Ids,
    contribution: &Contribution,
    graph: &mut Graph,
) -> ExportResult<()> {
    // Pending and rejected contributions are not (yet) observed economic events.
    if contribution.status != Status::Approved {
        return Ok(());
    }
    let project = state.project(&contribution.project)?;
    let meta = index.require(contribution.seq)?;
    let id = ids.iri(&format!("contribution:{}", contribution.id));
    let currency = ids.unit(&project.currency);
    let amount = || {
        contribution
            .amount_minor
            .map(|minor| format_amount(minor, project.exponent))
            .unwrap_or_else(|| contribution.quantity.to_string())
    };
    let (action, quantity_term, quantity) = match contribution.kind {
        Kind::Work => (
            "work",
            "vf:effortQuantity",
            measure(contribution.quantity.to_string(), om2("hour")),
        ),
        Kind::Use => (
            "use",
            "vf:effortQuantity",
            measure(contribution.quantity.to_string(), om2("hour")),
        ),
        Kind::Cash => (
            "transfer",
            "vf:resourceQuantity",
            measure(amount(), currency.clone()),
        ),
        Kind::Material => (
            "consume",
            "vf:resourceQuantity",
            measure(amount(), currency.clone()),
        ),
        Kind::Cite => (
            "cite",
            "vf:resourceQuantity",
            measure("1".into(), om2("one")),
        ),
        Kind::Bounty => (
            "deliverService",
            "vf:resourceQuantity",
            measure("1".into(), om2("one")),
        ),
    };
    let mut event = json!({
        "@id": id["@id"],
        "@type": "vf:EconomicEvent",
        "vf:action": vf(action),
        "vf:provider": ids.agent(&contribution.agent),
        "vf:receiver": ids.network(),
        "vf:inputOf": ids.project(&contribution.project),
        quantity_term: quantity,
        "vf:hasPointInTime": point_in_time(&contribution.date.to_string()),
        "vf:note": event_note(
            &format!(
                "{} contribution {}{}{}",
                contribution.kind,
                contribution.id,
                if contribution.gift { " (a gift: no claim)" } else { "" },
                contribution.note().map(|n| format!(": {n}")).unwrap_or_default()
            ),
            contribution.seq,
            meta,
        ),
    });
    if let Some(category) = &contribution.category {
        event["vf:resourceClassifiedAs"] = json!(category.to_string());
    }
    if matches!(contribution.kind, Kind::Cash | Kind::Material) {
        event["vf:resourceConformsTo"] = ids.asset(&project.currency);
    }
    graph.node(event)?;
    if contribution.counts() {
        graph.node(json!({
            "@id": ids.iri(&format!("contribution:{}:claim", contribution.id))["@id"],
            "@type": "vf:Claim",
            "vf:triggeredBy": id,
            "vf:action": vf("transfer"),
            "vf:provider": ids.network(),
            "vf:receiver": ids.agent(&contribution.agent),
            "vf:resourceConformsTo": ids.asset(&project.currency),
            "vf:resourceQuantity": measure(contribution.value.display(project.exponent), currency),
            "vf:created": point_in_time(&meta.recorded_at),
            "vf:note": "the contribution's value by the policy in force when it was logged: what revenue is shared by",
        }))?;
    }
    Ok(())
}

/// What a distribution's note adds when the project's bank released money into it.
fn released_note(released: i128, amount: &dyn Fn(i128) -> String) -> String {
    if released > 0 {
        format!(
            ", with {} released from the project's bank",
            amount(released)
        )
    } else {
        String::new()
    }
}

fn write_distributions(
    state: &State,
    index: &EventIndex,
    names: &BookNames,
    ids: &Ids,
    graph: &mut Graph,
) -> ExportResult<()> {
    for distribution in state.distributions() {
        let meta = index.require(distribution.seq)?;
        let plan = plan_of(state, distribution)?;
        let id = ids.iri(&format!("distribution:{}", distribution.id));
        let unit = ids.unit(&distribution.asset);
        let amount = |minor| format_amount(minor, distribution.exponent);
        let when = point_in_time(&meta.recorded_at);
        graph.node(json!({
            "@id": id["@id"],
            "@type": "vf:EconomicEvent",
            "vf:action": vf("transfer"),
            "vf:provider": ids.outside(),
            "vf:receiver": ids.network(),
            "vf:resourceInventoriedAs": ids.account(OUTSIDE, &distribution.asset),
            "vf:resourceConformsTo": ids.asset(&distribution.asset),
            "vf:resourceQuantity": measure(amount(distribution.amount), unit.clone()),
            "vf:hasPointInTime": when,
            "vf:note": event_note(
                &format!(
                    "revenue of {} distributed by plan version {}{}{}",
                    distribution.project,
                    distribution.plan_version,
                    distribution.from.as_deref().map(|f| format!(", paid by {f}")).unwrap_or_default(),
                    released_note(distribution.released, &amount),
                ),
                distribution.seq,
                meta,
            ),
        }))?;
        for (n, line) in distribution.lines.iter().enumerate() {
            let label = plan
                .and_then(|plan| plan.buckets.get(line.bucket as usize))
                .map(|bucket| bucket.label())
                .unwrap_or_else(|| "unallocated".to_string());
            let class = names
                .accounts
                .get(line.to.as_str())
                .map_or(AccountClass::Virtual, |a| a.class);
            let receiver = ids.owner(class, &line.to);
            let claim = ids.iri(&format!(
                "distribution:{}:line:{}:claim",
                distribution.id,
                n + 1
            ));
            let quantity = measure(amount(line.amount), unit.clone());
            graph.node(json!({
                "@id": claim["@id"],
                "@type": "vf:Claim",
                "vf:triggeredBy": id,
                "vf:action": vf("transfer"),
                "vf:provider": ids.network(),
                "vf:receiver": receiver,
                "vf:resourceConformsTo": ids.asset(&distribution.asset),
                "vf:resourceQuantity": quantity,
                "vf:created": when,
                "vf:note": format!("bucket {}: {label}, to account {}", line.bucket, line.to),
            }))?;
            graph.node(json!({
                "@id": ids.iri(&format!("distribution:{}:line:{}", distribution.id, n + 1))["@id"],
                "@type": "vf:EconomicEvent",
                "vf:action": vf("transfer"),
                "vf:provider": ids.network(),
                "vf:receiver": receiver,
                "vf:toResourceInventoriedAs": ids.account(&line.to, &distribution.asset),
                "vf:resourceConformsTo": ids.asset(&distribution.asset),
                "vf:resourceQuantity": quantity,
                "vf:hasPointInTime": when,
                "vf:settles": claim,
            }))?;
        }
    }
    Ok(())
}

/// (account, amount moved) on one side of a transaction.
type Legs<'a> = Vec<(&'a str, i128)>;

/// Any other transaction as transfers: per asset, debits and credits are paired in posting
/// order (each pair moves the smaller of what is left on either side), which reproduces every
/// posting exactly because a transaction balances per asset.
fn write_transfers(
    index: &EventIndex,
    names: &BookNames,
    ids: &Ids,
    transaction: &Transaction,
    graph: &mut Graph,
) -> ExportResult<()> {
    let meta = index.require(transaction.seq)?;
    let when = point_in_time(&meta.recorded_at);
    let postings = transaction.postings();
    let mut by_asset: BTreeMap<&str, (Legs, Legs)> = BTreeMap::new();
    for posting in postings.iter() {
        let sides = by_asset.entry(posting.asset.as_str()).or_default();
        if posting.amount < 0 {
            sides.0.push((posting.account.as_str(), -posting.amount));
        } else if posting.amount > 0 {
            sides.1.push((posting.account.as_str(), posting.amount));
        }
    }
    let mut n = 0;
    for (asset, (mut debits, mut credits)) in by_asset {
        let exponent = names.exponent(asset)?;
        let (mut d, mut c) = (0, 0);
        while d < debits.len() && c < credits.len() {
            let moved = debits[d].1.min(credits[c].1);
            let (from, to) = (debits[d].0, credits[c].0);
            let class = |account: &str| {
                names
                    .accounts
                    .get(account)
                    .map_or(AccountClass::Virtual, |a| a.class)
            };
            n += 1;
            graph.node(json!({
                "@id": ids.iri(&format!("transaction:{}:{n}", transaction.id))["@id"],
                "@type": "vf:EconomicEvent",
                "vf:action": vf("transfer"),
                "vf:provider": ids.owner(class(from), from),
                "vf:receiver": ids.owner(class(to), to),
                "vf:resourceInventoriedAs": ids.account(from, asset),
                "vf:toResourceInventoriedAs": ids.account(to, asset),
                "vf:resourceConformsTo": ids.asset(asset),
                "vf:resourceQuantity": measure(format_amount(moved, exponent), ids.unit(asset)),
                "vf:hasPointInTime": when,
                "vf:note": event_note(&transaction.memo, transaction.seq, meta),
            }))?;
            debits[d].1 -= moved;
            credits[c].1 -= moved;
            if debits[d].1 == 0 {
                d += 1;
            }
            if credits[c].1 == 0 {
                c += 1;
            }
        }
    }
    Ok(())
}
