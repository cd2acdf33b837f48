//! The `klagebot` binary: parse the command line and hand over to the library.

use std::process::ExitCode;

use clap::Parser;

fn main() -> ExitCode {
    // rustls needs one process-wide crypto provider; ring is the one we build with.
    let _ = rustls::crypto::ring::default_provider().install_default();
    let cli = klagebot::cli::Cli::parse();
    klagebot::cli::main(cli)
}
