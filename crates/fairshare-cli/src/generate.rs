//! `generate`: a synthetic network as a JSON-lines import file, byte-identical for a seed
//! (`fairshare_sim::generate` writes it); here the output file, the progress bar and the
//! summary.

use std::fs::File;
use std::io::{IsTerminal, Write};

use anyhow::Result;
use fairshare_sim::generate::{GenerateError, Spec, generate};
use serde::Serialize;

use crate::commands::Nothing;
use crate::error::CliError;
use crate::render::{Output, Text};

#[derive(Serialize)]
pub struct GenerateOut {
    pub output: String,
    pub seed: u64,
    pub events: u64,
    pub agents: u64,
    pub projects: u64,
    pub contributions: u64,
    pub revenues: u64,
}

impl Text for GenerateOut {
    fn to_text(&self) -> String {
        format!(
            "wrote {} events to {} (seed {}): {} agents, {} projects, {} contributions, {} revenues\n\
             import it with `fairshare --book NEW.db import {}`\n",
            self.events,
            self.output,
            self.seed,
            self.agents,
            self.projects,
            self.contributions,
            self.revenues,
            self.output
        )
    }
}

pub fn run(spec: Spec, output: Option<String>) -> Result<Box<dyn Output>> {
    // Checked before the output file is created, and phrased with the flags.
    if let Err(GenerateError::OutOfRange {
        what,
        value,
        min,
        max,
    }) = spec.check()
    {
        let message = format!("--{what} {value} is out of range: use {min} to {max}");
        return Err(CliError::invalid(message).into());
    }
    let writer: Box<dyn Write + Send> = match &output {
        Some(path) => Box::new(
            File::create(path)
                .map_err(|e| CliError::storage(format!("cannot create {path}: {e}")))?,
        ),
        None => Box::new(std::io::stdout()),
    };
    let progress = progress_bar(spec.contributions);
    let generated = generate(&spec, writer, &mut |done| progress.set_position(done));
    progress.finish_and_clear();
    let generated = match generated {
        Ok(generated) => generated,
        Err(GenerateError::Book(error)) => return Err(error.into()),
        Err(error) => return Err(CliError::storage(error.to_string()).into()),
    };
    match output {
        None => Ok(Box::new(Nothing)),
        Some(output) => Ok(Box::new(GenerateOut {
            output,
            seed: spec.seed,
            events: generated.events,
            agents: spec.agents,
            projects: spec.projects,
            contributions: spec.contributions,
            revenues: generated.revenues,
        })),
    }
}

/// A progress bar on a terminal only; scripts and pipes see nothing.
fn progress_bar(total: u64) -> indicatif::ProgressBar {
    if !std::io::stderr().is_terminal() {
        return indicatif::ProgressBar::hidden();
    }
    let bar = indicatif::ProgressBar::new(total);
    if let Ok(style) = indicatif::ProgressStyle::with_template(
        "{bar:40} {pos}/{len} contributions ({per_sec}, {eta} left)",
    ) {
        bar.set_style(style);
    }
    bar
}
