//! The dashboard of a network larger than a page: the overview names the first members of
//! each role and counts the rest, and a project page lists its largest shares one by one and
//! sums the others in one row (a network of 100,000 agents made a 30 MB project page).

mod common;

use common::login_form::http;
use common::{TestBook, seeded_server};
use fairshare_core::{Command, Role};

/// ana is the custodian; m01..m59 are affiliates, and m01..m25 each logged m·1 h of work at
/// 10.00 CAD an hour in project p (3,250.00 CAD counted in all).
fn seed(book: &TestBook) {
    let mut commands = vec![Command::add_agent("ana", Role::Custodian)];
    commands.extend((1..=59).map(|n| Command::add_agent(&format!("m{n:02}"), Role::Affiliate)));
    commands.push(Command::add_project("p", "CAD", 2));
    commands.push(Command::set_rate("p", "dev", "10.00"));
    commands.extend(
        (1..=25).map(|n| Command::log_work("p", &format!("m{n:02}"), "dev", &n.to_string())),
    );
    book.setup(commands);
}

fn page(base: &str, path: &str) -> String {
    let answer = http().get(format!("{base}{path}")).send().expect("get");
    assert_eq!(answer.status(), 200, "{path}");
    answer.text().expect("html")
}

#[test]
fn big_networks_fit_their_pages() {
    let (_book, server) = seeded_server(seed);
    let overview = page(&server.base, "/");
    let named: String = (1..=50)
        .map(|n| format!("m{n:02}"))
        .collect::<Vec<_>>()
        .join(", ");
    assert!(
        overview.contains(&format!(
            "<dt>affiliates (59)</dt>\n<dd>{named} <span class=\"more\">and 9 more</span></dd>"
        )),
        "{overview}"
    );
    assert!(!overview.contains("m51"), "{overview}");
    assert!(
        overview.contains("<dt>custodians (1)</dt>\n<dd>ana</dd>"),
        "{overview}"
    );

    let project = page(&server.base, "/projects/p");
    let rows: Vec<&str> = project
        .split("<table id=\"shares\">")
        .nth(1)
        .expect("shares table")
        .split("</table>")
        .next()
        .expect("its end")
        .matches("<tr><td>")
        .collect();
    assert_eq!(rows.len(), 21, "20 agents and the others' row");
    let largest =
        "<tr><td>m25</td><td class=\"num\">250.00 CAD</td><td class=\"num\">7.69%</td></tr>";
    let twentieth =
        "<tr><td>m06</td><td class=\"num\">60.00 CAD</td><td class=\"num\">1.84%</td></tr>";
    let others = "<tr><td>5 more agents</td><td class=\"num\">150.00 CAD</td><td class=\"num\">4.61%</td></tr>";
    let at = |row: &str| project.find(row).unwrap_or_else(|| panic!("no {row}"));
    assert!(at(largest) < at(twentieth) && at(twentieth) < at(others));
    assert!(!project.contains("<td>m05</td>"), "m01..m05 are summed");
    assert!(
        project.contains(
            "<p id=\"shares-more\">Largest first; the last row sums the 5 agents after the first \
             20."
        ),
        "{project}"
    );
    assert_eq!(
        project.matches("<g class=\"bar\">").count(),
        21,
        "one bar a row"
    );
}
