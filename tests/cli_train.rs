//! `klagebot train` and `klagebot eval` as a company runs them: its labelled mail
//! in `complaint/` and `not_complaint/`, its staff's corrections in the database;
//! a model that would lose complaints on the frozen test set is refused.

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

use chrono::{TimeZone, Utc};
use klagebot::case::{Case, Status, Tier};
use klagebot::classify::training::Correction;
use klagebot::classify::{Classifier, Context, Rules, model::FEATURE_SET};
use klagebot::domain::{CaseRef, EmailAddress, Jurisdiction, Language};
use klagebot::store::Store;

/// Complaints of a crowdlending platform's investors, told without complaint words.
const COMPLAINTS: [(&str, &str); 4] = [
    (
        "Årsopgørelse",
        "Årsopgørelsen til skat er forkert for andet år i træk, og jeg har måttet rette den selv.",
    ),
    (
        "Projekt 4411",
        "Projekt 4411 er 120 dage forsinket, og opdateringerne på platformen siger intet nyt.",
    ),
    (
        "Autoinvest",
        "Autoinvest har placeret mine penge i et projekt uden for mine kriterier.",
    ),
    (
        "Afkast",
        "Det annoncerede afkast på 9 procent blev til 3. Markedsføringen var misvisende.",
    ),
];

/// Their questions.
const QUESTIONS: [(&str, &str); 4] = [
    (
        "Årsopgørelse",
        "Jeg skal bruge årsopgørelsen til skat for 2025. Hvor finder jeg den?",
    ),
    (
        "Projekt 4411",
        "Hvornår forventes næste opdatering på projekt 4411?",
    ),
    (
        "Autoinvest",
        "Hvordan ændrer jeg mine kriterier i autoinvest?",
    ),
    (
        "Afkast",
        "Hvordan beregnes det forventede afkast på jeres projekter?",
    ),
];

fn klagebot(config: &Path, args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_klagebot"))
        .arg("--config")
        .arg(config)
        .args(args)
        .output()
        .expect("klagebot runs")
}

fn text(output: &Output) -> String {
    format!(
        "{}{}",
        String::from_utf8_lossy(&output.stdout),
        String::from_utf8_lossy(&output.stderr)
    )
}

fn mail(n: usize, (subject, body): (&str, &str)) -> String {
    format!(
        "From: Investor <investor{n}@example.dk>\nTo: klage@bank.dk\nSubject: {subject}\n\
         Message-ID: <i{n}@example.dk>\nContent-Type: text/plain; charset=utf-8\n\n{body}\n\nMvh\nJens\n"
    )
}

/// Plain complaints in the five languages, for labelling them wrongly.
const PLAIN_COMPLAINTS: [&str; 8] = [
    "Jeg er meget utilfreds. I har trukket gebyret to gange, og ingen svarer. Det er uacceptabelt.",
    "Jeg er svært misfornøyd. Dere har fortsatt ikke svart, og pengene mine er borte. Dette er ikke greit.",
    "Eg er svært misnøgd. De har framleis ikkje svart, og eg har venta i fleire veker.",
    "Jag är mycket missnöjd. Ni har dragit avgiften två gånger och ingen svarar. Det är oacceptabelt.",
    "I am very unhappy. You charged me twice and nobody answers my emails. This is unacceptable.",
    "Det er ikke i orden. I har lukket mit kort uden varsel, og jeg har ventet i tre uger.",
    "Dette er ikke greit. Kortet ble sperret uten varsel, og ingen hos dere tar ansvar.",
    "This is not acceptable. My card was blocked without notice and I still have no answer.",
];

/// A labelled folder: each (folder, mails) as `folder/NAME.eml`.
fn labelled(dir: &Path, folders: &[(&str, &[(&str, &str)])]) -> PathBuf {
    let root = dir.join("labelled");
    for (folder, mails) in folders {
        std::fs::create_dir_all(root.join(folder)).unwrap();
        for (n, m) in mails.iter().enumerate() {
            let name = format!("{}-{n}.eml", m.0.replace(' ', "_"));
            std::fs::write(root.join(folder).join(name), mail(n, *m)).unwrap();
        }
    }
    root
}

fn config(dir: &Path) -> PathBuf {
    let path = dir.join("klagebot.toml");
    std::fs::write(
        &path,
        format!(
            "[company]\nname = \"Testbanken\"\ndomain = \"bank.dk\"\n\
             complaint_address = \"klage@bank.dk\"\n\n[database]\nurl = \"sqlite://{}\"\n",
            dir.join("kb.db").display()
        ),
    )
    .unwrap();
    path
}

fn case(n: u32) -> Case {
    let at = Utc.with_ymd_and_hms(2026, 6, 1, 9, 0, 0).unwrap();
    Case {
        reference: CaseRef::new("KL", 2026, n).unwrap(),
        status: Status::Withdrawn,
        tier: Tier::ComplaintsDepartment,
        mailbox: "klage".into(),
        jurisdiction: Jurisdiction::Dk,
        language: Language::Da,
        category: None,
        customer: EmailAddress::parse("investor@example.dk").unwrap(),
        customer_name: None,
        subject: "Projekt".into(),
        contact: None,
        received_at: at,
        acknowledge_due: at.date_naive(),
        answer_due: at.date_naive(),
        final_due: at.date_naive(),
        acknowledged_at: None,
        holding_reply_at: None,
        decided_at: None,
        outcome: None,
        closed_at: Some(at),
        escalated_at: None,
        referred: false,
        related: vec![],
        customer_message_id: format!("c{n}@example.dk"),
        last_customer_message_id: format!("c{n}@example.dk"),
        next_message_seq: 1,
        cause: None,
        measure: None,
    }
}

/// Three `#notcomplaint` corrections on questions, as the daemon records them.
async fn corrections(dir: &Path) {
    let store = Store::connect(&format!("sqlite://{}", dir.join("kb.db").display()))
        .await
        .unwrap();
    let classifier = Classifier::new(Rules::embedded());
    let ctx = Context {
        default_language: Language::Da,
        case_prefix: "KL".into(),
        own_domain: "bank.dk".into(),
    };
    let mut tx = store.begin().await.unwrap();
    for (n, (subject, body)) in QUESTIONS.into_iter().enumerate().take(3) {
        let n = n as u32 + 1;
        tx.insert_case(&case(n)).await.unwrap();
        let features = classifier
            .correction_features(None, subject, Some(body), &ctx)
            .unwrap();
        let at = Utc.with_ymd_and_hms(2026, 6, 2, 9, 0, 0).unwrap();
        tx.record_correction(
            &case(n).reference,
            Correction::NotComplaint,
            &features,
            FEATURE_SET,
            at,
        )
        .await
        .unwrap();
    }
    tx.commit().await.unwrap();
    store.close().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_company_teaches_the_model_its_mail_and_eval_measures_it() {
    let dir = tempfile::tempdir().unwrap();
    let config = config(dir.path());
    corrections(dir.path()).await;
    let labelled = labelled(
        dir.path(),
        &[("complaint", &COMPLAINTS), ("not_complaint", &QUESTIONS)],
    );
    let model = dir.path().join("model.tsv");
    let trained = klagebot(
        &config,
        &[
            "train",
            "--from-db",
            "--labelled",
            labelled.to_str().unwrap(),
            "--out",
            model.to_str().unwrap(),
        ],
    );
    let out = text(&trained);
    assert!(trained.status.success(), "{out}");
    for part in [
        "8 labelled mails of the company and 3 corrections",
        "the frozen test set, model in use:",
        "the frozen test set, new model:",
        "the company's own labels (11 mails",
        "5-fold cross-validated",
        "strongest features towards a complaint",
    ] {
        assert!(out.contains(part), "{part:?} in:\n{out}");
    }
    let header = std::fs::read_to_string(&model).unwrap();
    assert!(header.contains("8 labelled mails of the company and 3 staff corrections"));

    let eval = klagebot(
        &config,
        &[
            "eval",
            "--labelled",
            labelled.to_str().unwrap(),
            "--model",
            model.to_str().unwrap(),
        ],
    );
    let out = text(&eval);
    assert!(eval.status.success(), "{out}");
    let all = out
        .lines()
        .find(|l| l.starts_with("all"))
        .expect("an 'all' line");
    assert!(
        all.contains("100.0% [") && all.contains("8/8"),
        "the mail it learned from: {all}"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_model_that_loses_complaints_on_the_test_set_is_refused_unless_forced() {
    let dir = tempfile::tempdir().unwrap();
    let config = config(dir.path());
    // Staff who label plain complaints "not a complaint", and weigh them heavily.
    let wrong: Vec<(&str, &str)> = PLAIN_COMPLAINTS.iter().map(|t| ("Sag", *t)).collect();
    let labelled = labelled(dir.path(), &[("not_complaint", &wrong)]);
    let model = dir.path().join("model.tsv");
    let args = |force: bool| {
        let mut a = vec![
            "train",
            "--labelled",
            labelled.to_str().unwrap(),
            "--weight",
            "150",
        ];
        a.extend(["--out", model.to_str().unwrap()]);
        if force {
            a.push("--force");
        }
        a
    };
    let refused = klagebot(&config, &args(false));
    let out = text(&refused);
    assert!(!refused.status.success(), "{out}");
    assert!(
        out.contains("refused") && out.contains("fewer of the test set's complaints"),
        "{out}"
    );
    assert!(!model.exists(), "nothing written");
    let forced = klagebot(&config, &args(true));
    assert!(forced.status.success(), "{}", text(&forced));
    assert!(model.exists());
}
