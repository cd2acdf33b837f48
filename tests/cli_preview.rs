//! `klagebot preview` as a company editing its texts runs it: the configured
//! company's kind decides the bodies a decision names, per jurisdiction and category.

use std::path::Path;
use std::process::{Command, Output};

fn klagebot(config: Option<&Path>, args: &[&str]) -> Output {
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_klagebot"));
    if let Some(config) = config {
        cmd.arg("--config").arg(config);
    }
    cmd.args(args)
        .env("RUST_LOG", "warn")
        .env_remove("KLAGEBOT_CONFIG");
    cmd.output().unwrap()
}

fn stdout(o: &Output) -> String {
    assert!(
        o.status.success(),
        "exit {:?}\nstderr: {}",
        o.status,
        String::from_utf8_lossy(&o.stderr)
    );
    String::from_utf8(o.stdout.clone()).unwrap()
}

/// A config for a company of `kind` (and, for Norway, membership).
fn company(dir: &Path, kind: &str, extra: &str) -> std::path::PathBuf {
    let path = dir.join(format!("{kind}.toml"));
    let text = format!(
        "[company]\nname = \"Prøvefirma\"\ndomain = \"firma.example\"\n\
         complaint_address = \"klage@firma.example\"\nkind = \"{kind}\"\n{extra}\n\
         [[staff]]\nname = \"Kari Nordmann\"\nemail = \"kari@firma.example\"\nrole = \"handler\"\n"
    );
    std::fs::write(&path, text).unwrap();
    path
}

#[test]
fn list_names_every_kind_and_its_reader() {
    let text = stdout(&klagebot(None, &["preview", "--list"]));
    for kind in [
        "acknowledgement",
        "decision",
        "staff_holding_prompt",
        "staff_update",
    ] {
        assert!(text.contains(kind), "{text}");
    }
    assert!(
        text.lines()
            .any(|l| l.starts_with("decision") && l.contains("customer"))
    );
    assert!(
        text.lines()
            .any(|l| l.starts_with("staff_bounce") && l.contains("staff"))
    );
}

/// Kind, extra company lines, arguments, names the decision must give, must not give.
type PreviewCase = (
    &'static str,
    &'static str,
    &'static [&'static str],
    &'static [&'static str],
    &'static [&'static str],
);

#[test]
fn a_decision_names_the_bodies_of_the_companys_kind() {
    let dir = tempfile::tempdir().unwrap();
    let cases: [PreviewCase; 7] = [
        (
            "bank",
            "",
            &["--jurisdiction", "dk", "--category", "investment"],
            &["Det Finansielle Ankenævn"],
            &["Fondsmægler", "Forbrugerklagenævnet"],
        ),
        (
            "investment_firm",
            "",
            &["--jurisdiction", "dk", "--category", "investment"],
            &["Ankenævnet for Fondsmæglerselskaber"],
            &["Forbrugerklagenævnet"],
        ),
        (
            "crowdfunding",
            "",
            &["--jurisdiction", "dk", "--category", "loan"],
            &["Forbrugerklagenævnet", "Toldboden 2"],
            &["Det Finansielle Ankenævn"],
        ),
        (
            "crowdfunding",
            "",
            &["--jurisdiction", "dk", "--category", "payment"],
            &["Det Finansielle Ankenævn"],
            &["Forbrugerklagenævnet"],
        ),
        (
            "consumer_lender",
            "",
            &["--jurisdiction", "dk"],
            &["Ankenævnet for Finansieringsselskaber"],
            &["Forbrugerklagenævnet"],
        ),
        (
            "card_issuer",
            "finkn_member = false\n",
            &["--jurisdiction", "no", "--lang", "nb", "--category", "card"],
            &["Forbrukertilsynet", "mekle"],
            &["finkn.no"],
        ),
        (
            "card_issuer",
            "",
            &["--jurisdiction", "no", "--lang", "nb", "--category", "card"],
            &["Finansklagenemnda", "finkn.no"],
            &["Forbrukertilsynet"],
        ),
    ];
    for (kind, extra, args, must, must_not) in cases {
        let config = company(dir.path(), kind, extra);
        let mut all = vec!["preview", "decision"];
        all.extend_from_slice(args);
        let text = stdout(&klagebot(Some(&config), &all));
        for name in must {
            assert!(text.contains(name), "{kind} {args:?} lacks {name}:\n{text}");
        }
        for name in must_not {
            assert!(
                !text.contains(name),
                "{kind} {args:?} names {name}:\n{text}"
            );
        }
        assert!(!text.to_lowercase().contains("odr"), "{text}");
    }
}

#[test]
fn an_upheld_decision_names_no_bodies_and_a_holding_reply_gives_the_date() {
    let upheld = stdout(&klagebot(
        None,
        &["preview", "decision", "--outcome", "upheld"],
    ));
    assert!(
        upheld.starts_with("Subject: Svar på din klage [KL-2026-000123]"),
        "{upheld}"
    );
    assert!(!upheld.contains("fanke.dk"), "{upheld}");
    let holding = stdout(&klagebot(
        None,
        &["preview", "holding_reply", "--lang", "en"],
    ));
    assert!(holding.contains("Friday 5 February 2027"), "{holding}");
    assert!(
        holding.contains("The Danish Financial Complaint Board"),
        "{holding}"
    );
}

#[test]
fn an_unknown_kind_is_refused_with_the_choices() {
    let out = klagebot(None, &["preview", "acknowledgment"]);
    assert!(!out.status.success());
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains("template kind"), "{err}");
}
