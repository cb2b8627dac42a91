//! The dashboard of a network larger than a page (a network of 100,000 agents made a 30 MB
//! project page, a 42 MB peer page and a 10 MB statement): the overview names the first
//! members of each role and counts the rest, a project page lists its largest shares one by
//! one and sums the others in one row, and the peer page's and a statement's long tables
//! come a page at a time.

mod common;

use common::login_form::http;
use common::web::text_of;
use common::{TestBook, seeded_server};
use fairshare_core::{Command, Role};

/// ana is the custodian; m001..m120 are affiliates, and m001..m110 each logged n hours of work
/// (m007: 7 h) at 10.00 CAD an hour in project p, 61,050.00 CAD counted in all; then a revenue
/// of 1,000.00 CAD was split among them (distribution 1).
fn seed(book: &TestBook) {
    let mut commands = vec![Command::add_agent("ana", Role::Custodian)];
    commands.extend((1..=120).map(|n| Command::add_agent(&format!("m{n:03}"), Role::Affiliate)));
    commands.push(Command::add_project("p", "CAD", 2));
    commands.push(Command::set_rate("p", "dev", "10.00"));
    commands.extend(
        (1..=110).map(|n| Command::log_work("p", &format!("m{n:03}"), "dev", &n.to_string())),
    );
    commands.push(Command::revenue("p", "1000.00"));
    book.setup(commands);
}

fn page(base: &str, path: &str) -> String {
    let answer = http().get(format!("{base}{path}")).send().expect("get");
    assert_eq!(answer.status(), 200, "{path}");
    answer.text().expect("html")
}

/// The rows of the table with `id`.
fn rows<'a>(html: &'a str, id: &str) -> Vec<&'a str> {
    html.split(&format!("<table id=\"{id}\""))
        .nth(1)
        .unwrap_or_else(|| panic!("no table #{id}"))
        .split("</table>")
        .next()
        .expect("its end")
        .split("<tr")
        .skip(2) // before the head row, and the head row
        .collect()
}

/// The text of the pager with `id`, tags left out.
fn pager(html: &str, id: &str) -> String {
    let at = html
        .find(&format!("id=\"{id}\""))
        .unwrap_or_else(|| panic!("no #{id}"));
    let paragraph = &html[at..at + html[at..].find("</p>").expect("its end")];
    let mut text = String::new();
    for piece in paragraph.split('<') {
        text.push_str(piece.split_once('>').map_or("", |(_, text)| text));
    }
    text
}

#[test]
fn the_overview_and_a_project_page_list_the_first_and_count_the_rest() {
    let (_book, server) = seeded_server(seed);
    let overview = page(&server.base, "/");
    let named: String = (1..=50)
        .map(|n| format!("m{n:03}"))
        .collect::<Vec<_>>()
        .join(", ");
    assert!(
        overview.contains(&format!(
            "<dt>affiliates (120)</dt>\n<dd>{named} <span class=\"more\">and 70 more</span></dd>"
        )),
        "{overview}"
    );
    assert!(!overview.contains("m051"), "{overview}");
    assert!(overview.contains("<dt>custodians (1)</dt>\n<dd>ana</dd>"));

    let project = page(&server.base, "/projects/p");
    let shares = rows(&project, "shares");
    assert_eq!(shares.len(), 21, "20 agents and the others' row");
    assert_eq!(
        shares[0],
        "><td>m110</td><td class=\"num\">1100.00 CAD</td><td class=\"num\">1.80%</td></tr>"
    );
    assert_eq!(
        shares[19],
        "><td>m091</td><td class=\"num\">910.00 CAD</td><td class=\"num\">1.49%</td></tr>"
    );
    assert!(
        shares[20].starts_with(
            "><td>90 more agents</td><td class=\"num\">40950.00 CAD</td><td class=\"num\">67.07%</td></tr>"
        ),
        "{}",
        shares[20]
    );
    assert_eq!(
        text_of(&project, "shares-more"),
        "Largest first; the last row sums the 90 agents after the first 20. Every share: "
    );
    assert_eq!(
        project.matches("<g class=\"bar\">").count(),
        21,
        "one bar a row"
    );
}

#[test]
fn the_peer_page_and_a_statement_come_a_page_at_a_time() {
    let (_book, server) = seeded_server(seed);
    let first = page(&server.base, "/projects/p/peer");
    assert_eq!(rows(&first, "blend-shares").len(), 50);
    assert_eq!(rows(&first, "captable").len(), 50);
    assert_eq!(pager(&first, "blend-pager"), "1–50 of 110 · next");
    assert!(first.contains("href=\"/projects/p/peer?blend=50&#38;cap=0#blend\" id=\"blend-next\""));
    assert!(first.contains("<tr id=\"blend-m001\">") && !first.contains("<tr id=\"blend-m051\">"));
    // The last page of the blend keeps the cap table where it was.
    let last = page(&server.base, "/projects/p/peer?blend=100&cap=50");
    assert_eq!(rows(&last, "blend-shares").len(), 10);
    assert_eq!(pager(&last, "blend-pager"), "101–110 of 110 · previous");
    assert!(
        last.contains("href=\"/projects/p/peer?blend=50&#38;cap=50#blend\" id=\"blend-previous\"")
    );
    assert!(last.contains("<tr id=\"cap-m051\">") && !last.contains("<tr id=\"cap-m050\">"));
    assert_eq!(pager(&last, "cap-pager"), "51–100 of 110 · previous · next");

    let statement = page(&server.base, "/distributions/1");
    let lines = rows(&statement, "lines");
    assert_eq!(lines.len(), 100);
    let total = pager(&statement, "lines-pager");
    assert!(
        total.starts_with("1–100 of ") && total.ends_with(" · next"),
        "{total}"
    );
    let payouts = rows(&statement, "payouts");
    assert_eq!(payouts.len(), 100);
    let second = page(&server.base, "/distributions/1?payouts=100");
    assert!(!rows(&second, "payouts").is_empty());
    assert!(
        pager(&second, "payouts-pager").starts_with("101–"),
        "{}",
        pager(&second, "payouts-pager")
    );
    assert_eq!(
        rows(&second, "lines").len(),
        100,
        "the lines stay on their first page"
    );
}
