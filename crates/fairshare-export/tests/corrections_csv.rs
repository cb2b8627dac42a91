//! A correction in the CSV contributions table: the row is the contribution as it counts now
//! (the corrected hours and value, `reversed` and not counted after a reverse), still pointing
//! at the event that logged it.

#[path = "../../fairshare-book/tests/support/mod.rs"]
mod support;

use fairshare_book::MemoryStore;
use fairshare_export::{EventIndex, write_contributions_csv};
use support::Runner;

#[test]
fn corrected_contributions_in_the_csv_table() {
    let mut runner = Runner::new(Box::new(MemoryStore::new()));
    let path = concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/../fairshare-book/tests/scenarios/corrections.json"
    );
    let scenario = std::fs::read_to_string(path).expect("scenario file");
    runner.run(&serde_json::from_str(&scenario).expect("scenario JSON"));
    let index = EventIndex::from_store(runner.book.store_mut()).expect("index");
    let mut csv = Vec::new();
    write_contributions_csv(runner.book.state(), &index, &mut csv).expect("csv");
    let csv = String::from_utf8(csv).expect("utf-8");
    let rows: Vec<Vec<&str>> = csv.lines().map(|l| l.split(',').collect()).collect();
    let header = &rows[0];
    let column = |name: &str| header.iter().position(|h| *h == name).expect(name);
    let cells = |row: &Vec<&str>| {
        [
            "id", "agent", "quantity", "value", "status", "counted", "seq",
        ]
        .map(|name| row[column(name)].to_string())
    };
    assert_eq!(
        rows[1..].iter().map(cells).collect::<Vec<_>>(),
        [
            ["1", "cleo", "20", "600.00", "approved", "true", "7"],
            ["2", "dev", "9", "450.00", "approved", "true", "8"],
            ["3", "cleo", "2", "60.00", "reversed", "false", "13"],
        ]
    );
}
