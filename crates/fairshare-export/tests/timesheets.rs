//! Timesheet imports: Toggl and Clockify samples, a generic CSV, a bad row, and a repeated
//! import through a book (the second run replays every row and records nothing).

use std::path::Path;

use fairshare_book::{Book, MemoryStore};
use fairshare_core::{Command, Date, Kind, OPERATOR, Role};
use fairshare_export::{ColumnMap, ImportCheck, ImportOptions, Layout, plan_import, to_requests};

const RECORDED_AT: &str = "2026-03-20T12:00:00Z";

fn data(name: &str) -> String {
    let path = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/data")
        .join(name);
    std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display()))
}

/// The forillon network: three people, a project and its work categories.
fn book() -> Book {
    let mut book = Book::open(Box::new(MemoryStore::new())).unwrap();
    let mut run = |command: Command| {
        book.execute(OPERATOR, &command, None, RECORDED_AT)
            .unwrap_or_else(|e| panic!("{}: {e}", command.op()));
    };
    for (handle, role) in [
        ("abran", Role::Affiliate),
        ("marie", Role::Affiliate),
        ("luc", Role::Custodian),
    ] {
        run(Command::add_agent(handle, role));
    }
    run(Command::add_project("forillon", "CAD", 2));
    for (category, rate) in [
        ("engineering", "45.00"),
        ("design", "45.00"),
        ("coordination", "30.00"),
    ] {
        run(Command::set_rate("forillon", category, rate));
    }
    book
}

fn today() -> Date {
    Date::parse(RECORDED_AT).unwrap()
}

/// (agent, category, hours, date, note) of each planned log.
fn summary(planned: &[(String, Command)]) -> Vec<(String, String, String, String, String)> {
    planned
        .iter()
        .map(|(key, command)| {
            assert!(
                key.starts_with("ts:") && key.len() == 67,
                "key {key:?} is not ts:<sha256>"
            );
            let Command::Log {
                project,
                agent,
                kind,
                category,
                hours,
                date,
                note,
                ..
            } = command
            else {
                panic!("not a log: {command:?}");
            };
            assert_eq!(project, "forillon");
            assert_eq!(*kind, Kind::Work);
            (
                agent.clone(),
                category.clone().unwrap(),
                hours.clone().unwrap(),
                date.unwrap().to_string(),
                note.clone().unwrap_or_default(),
            )
        })
        .collect()
}

fn row(a: &str, c: &str, h: &str, d: &str, n: &str) -> (String, String, String, String, String) {
    (a.into(), c.into(), h.into(), d.into(), n.into())
}

#[test]
fn toggl_rows_become_work_logs() {
    let planned =
        plan_import(&data("toggl.csv"), &ImportOptions::new(Layout::Toggl), None).expect("plan");
    assert_eq!(
        summary(&planned),
        vec![
            row(
                "abran",
                "engineering",
                "3.5",
                "2026-03-02",
                "Trail bridge, load calculations"
            ),
            row(
                "marie",
                "design",
                "0.333333",
                "2026-03-02",
                "Signage sketches"
            ),
            row(
                "marie",
                "design",
                "1.75",
                "2026-03-03",
                "Signage sketches, \"v2\""
            ),
            row("luc", "coordination", "0.5", "2026-03-04", "Weekly call"),
            row("luc", "coordination", "0.5", "2026-03-04", "Weekly call"),
            // Line breaks inside a quoted description are kept as one space.
            row(
                "abran",
                "engineering",
                "16",
                "2026-03-05",
                "Site survey (two days, notes attached)"
            ),
        ]
    );
    // Two identical rows are two entries: their occurrence numbers keep their keys apart.
    assert_ne!(planned[3].0, planned[4].0);
    // Keys depend on the content only: planning again gives the same keys.
    let again = plan_import(&data("toggl.csv"), &ImportOptions::new(Layout::Toggl), None).unwrap();
    assert_eq!(planned, again);
}

#[test]
fn clockify_rows_with_mappings() {
    let mut options = ImportOptions::new(Layout::Clockify);
    // What `--map FILE` reads: one mapping per line.
    options
        .add_mapping_lines(
            "# Clockify names -> the book's\n\
             person:m.dubois@example.org=marie\n\
             project:Forillon Park=forillon\n\n\
             category:Drafting=design\n",
        )
        .unwrap();
    assert_eq!(
        options
            .add_mapping_lines("person:x=y\nteam:a=b")
            .unwrap_err(),
        "mapping line 2: unknown mapping \"team\": expected person, project or category"
    );
    let planned = plan_import(&data("clockify.csv"), &options, None).expect("plan");
    assert_eq!(
        summary(&planned),
        vec![
            row("luc", "coordination", "2.25", "2026-03-09", "Site visit"),
            row(
                "abran",
                "design",
                "4.666667",
                "2026-03-09",
                "Bridge deck drawings"
            ),
            row("marie", "design", "0.116667", "2026-03-10", "Colour study"),
        ]
    );
    // Without the project mapping the slug is derived from the name, which the book lacks.
    let book = book();
    let check = ImportCheck {
        state: book.state(),
        actor: OPERATOR,
        today: today(),
    };
    let mut unmapped = ImportOptions::new(Layout::Clockify);
    unmapped.add_mapping("category:Drafting=design").unwrap();
    let error = plan_import(&data("clockify.csv"), &unmapped, Some(&check)).unwrap_err();
    assert_eq!(error.line, 2);
    assert!(error.message.contains("forillon-park"), "{error}");
}

#[test]
fn generic_csv_with_a_column_map() {
    let columns =
        ColumnMap::parse("date=Day, person=Who, project=Job, hours=Time, category=Kind, note=What")
            .unwrap();
    let planned = plan_import(
        &data("generic.csv"),
        &ImportOptions::new(Layout::Generic(columns)),
        None,
    )
    .expect("plan");
    let mut options = ImportOptions::new(Layout::Generic(ColumnMap::default()));
    options.default_category = Some("design".into());
    assert!(plan_import(&data("generic.csv"), &options, None).is_err());
    assert_eq!(
        summary(&planned),
        vec![
            row(
                "abran-tremblay",
                "engineering",
                "2.5",
                "2026-03-11",
                "Load tests"
            ),
            row("marie", "design", "1.25", "2026-03-11", ""),
        ]
    );
}

#[test]
fn a_bad_row_is_named_and_nothing_is_returned() {
    let error = plan_import(
        &data("toggl_bad.csv"),
        &ImportOptions::new(Layout::Toggl),
        None,
    )
    .unwrap_err();
    // Line 5: the header is line 1 and marie's description spans lines 3 and 4.
    assert_eq!(error.line, 5, "{error}");
    assert!(error.message.contains("half an hour"), "{error}");
    assert_eq!(
        error.to_string(),
        format!("line 5: {}", error.message),
        "the message names the line"
    );
}

#[test]
fn a_repeated_import_records_nothing_twice() {
    let mut book = book();
    let options = ImportOptions::new(Layout::Toggl);
    let plan = |book: &Book| {
        let check = ImportCheck {
            state: book.state(),
            actor: OPERATOR,
            today: today(),
        };
        plan_import(&data("toggl.csv"), &options, Some(&check)).expect("plan")
    };

    let planned = plan(&book);
    let head = book.state().head();
    let results = book.execute_batch(&to_requests(&planned, OPERATOR, RECORDED_AT));
    assert_eq!(results.len(), 6);
    for result in &results {
        let executed = result.as_ref().expect("logged");
        assert!(!executed.replayed);
    }
    let head_after = book.state().head();
    assert_eq!(head_after, head + 6);
    assert_eq!(book.state().contributions().len(), 6);
    // 3.5 h at 45.00: the value is exact.
    assert_eq!(book.state().contributions()[0].value.display(2), "157.50");
    let hash = book.last_hash().to_string();

    // Second run: every row is a replay of its first result; the log does not grow.
    let planned_again = plan(&book);
    assert_eq!(planned_again, planned);
    let results = book.execute_batch(&to_requests(&planned_again, OPERATOR, RECORDED_AT));
    for (result, first) in results.iter().zip(book.state().contributions()) {
        let executed = result.as_ref().expect("replayed");
        assert!(executed.replayed, "row logged twice");
        assert_eq!(executed.seq, first.seq);
    }
    assert_eq!(book.state().head(), head_after);
    assert_eq!(book.last_hash(), hash);

    // The same file under another mapping is refused at its first changed row, not logged again.
    let mut remapped = ImportOptions::new(Layout::Toggl);
    remapped
        .add_mapping("person:abran@example.org=marie")
        .unwrap();
    let check = ImportCheck {
        state: book.state(),
        actor: OPERATOR,
        today: today(),
    };
    let error = plan_import(&data("toggl.csv"), &remapped, Some(&check)).unwrap_err();
    assert_eq!(error.line, 2);
    assert!(error.message.contains("imported before"), "{error}");
}

#[test]
fn an_affiliate_may_import_only_their_own_hours() {
    let book = book();
    let check = ImportCheck {
        state: book.state(),
        actor: "marie",
        today: today(),
    };
    let error = plan_import(
        &data("toggl.csv"),
        &ImportOptions::new(Layout::Toggl),
        Some(&check),
    )
    .unwrap_err();
    assert_eq!(error.line, 2);
    assert!(error.message.contains("affiliate"), "{error}");
}

#[test]
fn a_name_that_makes_no_exact_handle_is_refused_never_mapped_to_another_agent() {
    let options = || ImportOptions::new(Layout::Generic(ColumnMap::default()));
    let csv = |person: &str| {
        format!(
            "date,person,project,hours,category,note\n2026-03-11,abran,forillon,1,design,\n\
             2026-03-11,{person},forillon,2,design,\n"
        )
    };
    // "аbran" starts with a Cyrillic а: it once became "bran"; "José" became "jos".
    for person in ["\u{430}bran", "José"] {
        let error = plan_import(&csv(person), &options(), None).unwrap_err();
        assert_eq!(
            error.to_string(),
            format!(
                "line 3: person {person:?} has characters a name cannot hold: map it with \
                 --map person:{person}=NAME"
            )
        );
    }
    // Mapped, the name is taken as written.
    let mut mapped = options();
    mapped.add_mapping("person:José=marie").unwrap();
    let planned = plan_import(&csv("José"), &mapped, None).expect("plan");
    assert_eq!(
        summary(&planned),
        vec![
            row("abran", "design", "1", "2026-03-11", ""),
            row("marie", "design", "2", "2026-03-11", ""),
        ]
    );
}
