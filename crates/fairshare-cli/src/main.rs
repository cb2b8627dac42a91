//! `fairshare`: the command line of a fairshare book.
//!
//! Thin by design: arguments become a core `Command` (or a query), the book executes it, and
//! the outcome is printed as text or, with `--json`, as exactly one JSON document on stdout.
//! Exit status: 0 done, 2 refused input, 3 corrupt book or failed verify, 4 a command that
//! works only on a local book run against a server, 1 anything else.

// Replay allocates on one thread and frees on another; mimalloc handles that far better than
// the system allocator (figures in docs/BENCHMARKS.md).
#[global_allocator]
static GLOBAL: mimalloc::MiMalloc = mimalloc::MiMalloc;

/// mimalloc's `mi_option_arena_eager_commit`, by its place in mimalloc v3's list of options.
/// `.cargo/config.toml` builds mimalloc with it off (memory committed as it is used); the test
/// below checks that the build took it.
#[cfg(test)]
const MI_OPTION_ARENA_EAGER_COMMIT: libmimalloc_sys::mi_option_t = 4;

mod args;
mod client_cmd;
mod commands;
mod corrections_cmd;
mod demo;
mod error;
mod exports_cmd;
mod forecasts_cmd;
mod generate;
mod governance_cmd;
mod invocation;
mod membership_cmd;
mod peer_cmd;
mod plan_file;
mod profiles;
mod remote;
mod render;
mod resources_cmd;
mod server_cmd;
mod text;
mod tokens_cmd;
mod treasury_cmd;
mod webhook_cmd;

use std::io::Write;
use std::process::ExitCode;

use clap::error::ErrorKind as ClapErrorKind;
use serde::Serialize;

use crate::error::{ErrorKind, classify, phrase};

fn main() -> ExitCode {
    let cli = match args::parse_from(std::env::args_os()) {
        Ok(cli) => cli,
        Err(error) => return usage_error(error),
    };
    let json = cli.global.json;
    match commands::run(cli) {
        Ok(output) => {
            let text = if json { output.json() } else { output.text() };
            if json && output.exit_code() != 0 {
                // Scripts read the JSON; people watching stderr still see what went wrong.
                eprint!("{}", output.text());
            }
            print_stdout(&text);
            ExitCode::from(output.exit_code())
        }
        Err(error) => {
            let kind = classify(&error);
            report_error(kind, &phrase(&error), json)
        }
    }
}

#[derive(Serialize)]
struct ErrorDoc<'a> {
    error: ErrorBody<'a>,
}

#[derive(Serialize)]
struct ErrorBody<'a> {
    kind: &'static str,
    message: &'a str,
}

/// The message on stderr always; with `--json` also the error document on stdout.
fn report_error(kind: ErrorKind, message: &str, json: bool) -> ExitCode {
    eprintln!("error: {message}");
    if json {
        let doc = ErrorDoc {
            error: ErrorBody {
                kind: kind.as_str(),
                message,
            },
        };
        print_stdout(&serde_json::to_string_pretty(&doc).expect("errors serialise"));
    }
    ExitCode::from(kind.exit_code())
}

/// Help and version go to stdout as usual; a malformed command line is refused input.
fn usage_error(error: clap::Error) -> ExitCode {
    if matches!(
        error.kind(),
        ClapErrorKind::DisplayHelp | ClapErrorKind::DisplayVersion
    ) {
        let _ = error.print();
        return ExitCode::SUCCESS;
    }
    // `--json` may come anywhere; clap could not tell us, so look for it.
    let json = std::env::args_os().any(|arg| arg == "--json");
    if !json {
        let _ = error.print();
        return ExitCode::from(ErrorKind::Invalid.exit_code());
    }
    let rendered = error.render().to_string();
    // Keep every line that says what was wrong (clap lists missing arguments on the lines
    // after the first), but not the usage and help hints.
    let message = rendered
        .lines()
        .map(str::trim)
        .take_while(|line| !line.starts_with("Usage:") && !line.starts_with("For more information"))
        .filter(|line| !line.is_empty())
        .collect::<Vec<_>>()
        .join(" ")
        .trim_start_matches("error: ")
        .to_string();
    report_error(ErrorKind::Invalid, &message, true)
}

/// Prints with a final newline; a closed pipe (`fairshare ... | head`) is not an error.
fn print_stdout(text: &str) {
    if text.is_empty() {
        return;
    }
    let mut out = std::io::stdout().lock();
    let _ = out.write_all(text.as_bytes());
    if !text.ends_with('\n') {
        let _ = out.write_all(b"\n");
    }
    let _ = out.flush();
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn mimalloc_commits_memory_as_it_is_used() {
        if std::env::var_os("MIMALLOC_ARENA_EAGER_COMMIT").is_none() {
            // SAFETY: reads an allocator option.
            let eager = unsafe { libmimalloc_sys::mi_option_get(MI_OPTION_ARENA_EAGER_COMMIT) };
            assert_eq!(eager, 0, "built without .cargo/config.toml's CFLAGS?");
        }
    }
}
