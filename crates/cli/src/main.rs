#![doc = include_str!("../README.md")]

mod account_kind;
mod bundle;
mod calls;
mod cli;
mod commands;
mod connection;
mod demo;
mod eip7702;
mod exit;
mod factory;
mod module_error;
mod onchain;
mod output;
mod owner;
mod password;
mod reason;
mod render;
mod rotation;
mod serve;
mod settlement;
mod signer_source;
mod tokens;
mod txsend;
mod units;

use std::process::ExitCode;

use clap::Parser;
use serde_json::json;

use crate::cli::{Cli, Command};
use crate::exit::{classify, Exit};
use crate::output::Ui;

fn main() -> ExitCode {
    let cli = match Cli::try_parse() {
        Ok(cli) => cli,
        Err(error) => return clap_error(error),
    };
    let ui = Ui {
        json: cli.json,
        quiet: cli.quiet,
    };
    match run(cli, ui) {
        Ok(()) => ExitCode::SUCCESS,
        Err(error) => report(&error, ui),
    }
}

fn run(cli: Cli, ui: Ui) -> anyhow::Result<()> {
    connection::init(cli.connection)?;
    match cli.command {
        Command::Demo => return demo::run(ui),
        Command::Deploy(args) => return commands::deploy::run(args, ui),
        Command::Account(command) => return commands::account::run(command, ui),
        Command::Check7562(args) => return commands::check7562::run(args, ui),
        _ => {}
    }
    let dir = commands::data_dir(cli.data_dir)?;
    match cli.command {
        Command::Serve(args) => serve::run(args, &dir, ui),
        Command::Apikey(command) => commands::apikey::run(command, &dir, ui),
        Command::Session(command) => commands::session::run(command, &dir, ui),
        Command::Key(command) => commands::key::run(command, &dir, ui),
        Command::Audit(command) => commands::audit::run(command, &dir, ui),
        Command::Op(command) => commands::op::run(command, &dir, ui),
        Command::Demo => demo::run(ui),
        Command::Deploy(args) => commands::deploy::run(args, ui),
        Command::Account(command) => commands::account::run(command, ui),
        Command::Check7562(args) => commands::check7562::run(args, ui),
    }
}

/// Prints clap's own message; help and version are not errors.
fn clap_error(error: clap::Error) -> ExitCode {
    use clap::error::ErrorKind;
    let is_info = matches!(
        error.kind(),
        ErrorKind::DisplayHelp | ErrorKind::DisplayVersion
    );
    if is_info {
        let _ = error.print();
        return ExitCode::SUCCESS;
    }
    if std::env::args().any(|arg| arg == "--json") {
        let message = error.render().to_string();
        let first = message
            .lines()
            .next()
            .unwrap_or_default()
            .trim_start_matches("error: ");
        eprintln!(
            "{}",
            json!({"error": {"code": Exit::Usage.code(), "kind": Exit::Usage.kind(), "message": first, "hint": "run with --help for usage"}})
        );
    } else {
        let _ = error.print();
    }
    ExitCode::from(Exit::Usage.code())
}

/// `error: <what>` and a hint on stderr (a JSON object with `--json`); returns the exit code.
fn report(error: &anyhow::Error, ui: Ui) -> ExitCode {
    let classified = classify(error);
    if ui.json {
        eprintln!(
            "{}",
            json!({"error": {
                "code": classified.exit.code(),
                "kind": classified.exit.kind(),
                "message": classified.message,
                "hint": classified.hint,
            }})
        );
    } else {
        eprintln!("error: {}", classified.message);
        if let Some(hint) = &classified.hint {
            eprintln!("hint: {hint}");
        }
    }
    ExitCode::from(classified.exit.code())
}
