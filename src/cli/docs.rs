//! `klagebot generate-docs DIR` (hidden): the man pages and shell completions,
//! made from the command line definition itself so they never fall behind it.
//! `scripts/package` runs it and ships the files in the Debian package.
//!
//! Writes `DIR/man/klagebot.1` and one `klagebot-COMMAND.1` per command, and
//! `DIR/completions/klagebot.bash`, `_klagebot` (zsh) and `klagebot.fish`.

use std::path::Path;
use std::process::ExitCode;

use anyhow::Context;
use clap::CommandFactory;
use clap_complete::Shell;

use super::Cli;

pub fn run(out: &Path) -> anyhow::Result<ExitCode> {
    let man = out.join("man");
    let completions = out.join("completions");
    for dir in [&man, &completions] {
        std::fs::create_dir_all(dir).with_context(|| format!("cannot create {}", dir.display()))?;
    }
    clap_mangen::generate_to(Cli::command(), &man)
        .with_context(|| format!("while writing the man pages into {}", man.display()))?;
    for shell in [Shell::Bash, Shell::Zsh, Shell::Fish] {
        let mut command = Cli::command();
        clap_complete::generate_to(shell, &mut command, "klagebot", &completions)
            .with_context(|| format!("while writing the {shell} completions"))?;
    }
    println!(
        "man pages in {}, completions in {}",
        man.display(),
        completions.display()
    );
    Ok(ExitCode::SUCCESS)
}

#[cfg(test)]
mod tests {
    #[test]
    fn every_command_gets_a_man_page_and_every_shell_a_completion() {
        let dir = tempfile::tempdir().unwrap();
        super::run(dir.path()).unwrap();
        for page in [
            "klagebot.1",
            "klagebot-run.1",
            "klagebot-report.1",
            "klagebot-init.1",
        ] {
            let text = std::fs::read_to_string(dir.path().join("man").join(page)).unwrap();
            assert!(text.starts_with(".ie \\n(.g .ds Aq"), "{page} is roff");
            assert!(text.contains(".TH klagebot"), "{page}");
        }
        let man = std::fs::read_dir(dir.path().join("man")).unwrap();
        let names: Vec<String> = man
            .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
            .collect();
        assert!(
            !names.iter().any(|n| n.contains("generate-docs")),
            "hidden: {names:?}"
        );
        let bash = std::fs::read_to_string(dir.path().join("completions/klagebot.bash")).unwrap();
        assert!(
            bash.contains("--format") && bash.contains("html"),
            "report formats complete"
        );
        assert!(dir.path().join("completions/_klagebot").is_file());
        assert!(dir.path().join("completions/klagebot.fish").is_file());
    }
}
