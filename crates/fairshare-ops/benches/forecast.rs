//! Forecasts on a big book (issue 15): `revenue --preview` and `estimate` once the book is
//! open, and `plan compare` over its past revenues. They need a book: generate and import the
//! 1,000,000-contribution benchmark book (docs/BENCHMARKS.md), then
//!
//! ```sh
//! FAIRSHARE_BENCH_BOOK=mid.db cargo bench -p fairshare-ops --bench forecast
//! ```
//!
//! Without `FAIRSHARE_BENCH_BOOK` the bench says so and measures nothing.

use std::hint::black_box;
use std::path::Path;
use std::time::Duration;

use criterion::{Criterion, criterion_group, criterion_main};
use fairshare_ops::distributions::PreviewRevenue;
use fairshare_ops::forecasts::{ComparePlans, EstimateRevenue};
use fairshare_ops::log::Scan;
use fairshare_ops::plans::BucketSpec;
use fairshare_ops::{Clock, Local};
use fairshare_sqlite::SqliteStore;

/// `revenue --preview` and `estimate` (now, and with 3 more hours) on the open book.
fn reads(c: &mut Criterion, path: &str) -> String {
    let store = SqliteStore::open(Path::new(path)).expect("book");
    let clock = Clock::new(Some("2026-12-04T12:00:00Z")).expect("clock");
    let book = Local::open(Box::new(store), clock).expect("open");
    let project = book.book().state().projects().next().expect("a project");
    let slug = project.slug.to_string();
    let category = project
        .policy
        .rates
        .keys()
        .next()
        .expect("a rate")
        .to_string();
    let preview = PreviewRevenue {
        project: slug.clone(),
        amount: "12000.00".into(),
        from: None,
    };
    c.bench_function("revenue --preview (1M contributions, 10k agents)", |b| {
        b.iter(|| black_box(book.read(None, &preview).expect("preview")))
    });
    for hours in [None, Some("3")] {
        let estimate = EstimateRevenue {
            project: slug.clone(),
            agent: Some("a000001".into()),
            revenue: "12000.00".into(),
            hours: hours.map(str::to_string),
            category: hours.map(|_| category.clone()),
        };
        let name = format!(
            "estimate, {} more hours (1M contributions)",
            hours.unwrap_or("no")
        );
        c.bench_function(&name, |b| {
            b.iter(|| black_box(book.read(None, &estimate).expect("estimate")))
        });
    }
    slug
}

fn forecasts(c: &mut Criterion) {
    let Ok(path) = std::env::var("FAIRSHARE_BENCH_BOOK") else {
        eprintln!("skip: set FAIRSHARE_BENCH_BOOK to a generated book (docs/BENCHMARKS.md)");
        return;
    };
    let project = reads(c, &path);
    let compare = ComparePlans {
        project,
        plan_a: vec![
            BucketSpec::Percent {
                percent: "10".into(),
                of: None,
                to: "infra".into(),
            },
            BucketSpec::Contributors {
                kinds: Vec::new(),
                categories: Vec::new(),
                from: None,
                to: None,
                percent: None,
            },
        ],
        plan_b: None,
        revenues: Some("100".into()),
        per_revenue: false,
    };
    let mut group = c.benchmark_group("plan compare");
    group
        .sample_size(10)
        .measurement_time(Duration::from_secs(30));
    group.bench_function("100 past revenues (1M contributions)", |b| {
        b.iter(|| {
            let mut store = SqliteStore::open(Path::new(&path)).expect("book");
            black_box(compare.view(&mut store).expect("compare"))
        })
    });
    group.finish();
}

criterion_group!(benches, forecasts);
criterion_main!(benches);
