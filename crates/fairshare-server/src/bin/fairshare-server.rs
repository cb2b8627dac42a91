//! `fairshare-server --book URL [--addr 127.0.0.1:8080] [--private] [--no-read-catch-up]`: a
//! minimal launcher, for integration tests and the load benchmark (`fairshare serve` is the
//! command people use). Prints `listening on http://ADDR` once it accepts connections.

use std::net::SocketAddr;
use std::process::ExitCode;

use fairshare_server::{ServerConfig, run_blocking};

const USAGE: &str =
    "usage: fairshare-server --book URL [--addr 127.0.0.1:8080] [--private] [--no-read-catch-up]";
const ADDR_DEFAULT: &str = "127.0.0.1:8080";

fn main() -> ExitCode {
    match parse(std::env::args().skip(1)) {
        Ok(config) => match run_blocking(config) {
            Ok(()) => ExitCode::SUCCESS,
            Err(error) => {
                eprintln!("error: {error:#}");
                ExitCode::FAILURE
            }
        },
        Err(message) => {
            eprintln!("error: {message}\n{USAGE}");
            ExitCode::from(2)
        }
    }
}

fn parse(mut args: impl Iterator<Item = String>) -> Result<ServerConfig, String> {
    let mut book = None;
    let mut addr = ADDR_DEFAULT.to_string();
    let mut private = false;
    let mut catch_up = true;
    while let Some(arg) = args.next() {
        match arg.as_str() {
            "--book" => book = Some(args.next().ok_or("--book needs a value")?),
            "--addr" => addr = args.next().ok_or("--addr needs a value")?,
            "--private" => private = true,
            "--no-read-catch-up" => catch_up = false,
            other => return Err(format!("unexpected argument {other:?}")),
        }
    }
    let book = book
        .or_else(|| std::env::var("FAIRSHARE_BOOK").ok())
        .ok_or("--book is required")?;
    let addr: SocketAddr = addr
        .parse()
        .map_err(|e| format!("bad --addr {addr:?}: {e}"))?;
    let mut config = ServerConfig::new(book, addr);
    config.public = !private;
    config.catch_up_reads = catch_up;
    config.fixed_time = std::env::var("FAIRSHARE_NOW").ok();
    Ok(config)
}
