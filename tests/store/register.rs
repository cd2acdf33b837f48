//! The register from stored cases, as CSV a spreadsheet reads cleanly.

use super::*;

pub async fn report_csv_opens_cleanly_in_a_spreadsheet(store: &Store) {
    let mut tricky = sample_case(1, t(9, 0));
    tricky.subject = "Gebyr på kort, \"ekstra\"; æøå ÆØÅ\nanden linje".into();
    tricky.customer_name = Some("Søren Ærø".into());
    tricky.category = Some(Category::Fees);
    insert(store, &tricky).await;
    let mut formula = sample_case(2, t(9, 5));
    formula.subject = "=HYPERLINK(\"http://x\")".into();
    insert(store, &formula).await;

    let cases = store
        .cases_received_between(t(0, 0), t(23, 59))
        .await
        .unwrap();
    let names = HashMap::from([("mette@bank.dk".to_string(), "Mette Jensen".to_string())]);
    let rules = RegisterRules {
        answer_within_days: 15,
        final_answer_within_days: 35,
        today: date(2026, 11, 20),
        days_between: &|_, a: NaiveDate, b: NaiveDate| (b - a).num_days(),
        staff_names: &names,
    };
    let register =
        register_report::build_register(&cases, date(2026, 11, 1), date(2026, 11, 30), &rules);
    let mut out = Vec::new();
    register_report::csv::write_register(&register, &mut out).unwrap();
    let text = String::from_utf8(out).expect("UTF-8");
    let body = text
        .strip_prefix('\u{feff}')
        .expect("a byte order mark for Excel");
    let records = parse_csv(body);
    assert_eq!(records.len(), 3, "one header row and two cases: {body}");
    assert_eq!(
        records[0],
        register_report::csv::HEADER.map(String::from).to_vec()
    );
    assert!(
        records
            .iter()
            .all(|r| r.len() == register_report::csv::HEADER.len())
    );
    let column = |name: &str| {
        register_report::csv::HEADER
            .iter()
            .position(|h| *h == name)
            .unwrap()
    };
    assert_eq!(records[1][column("subject")], tricky.subject);
    assert_eq!(
        records[1][column("customer")],
        "Søren Ærø <Ole.Hansen@example.dk>"
    );
    assert_eq!(
        records[1][column("received")],
        "2026-11-20 10:00",
        "Copenhagen time"
    );
    assert_eq!(
        records[1][column("contact_person")],
        "Mette Jensen <mette@bank.dk>"
    );
    assert_eq!(records[2][column("subject")], "'=HYPERLINK(\"http://x\")");
    assert!(body.contains("\"Gebyr på kort, \"\"ekstra\"\"; æøå ÆØÅ\nanden linje\""));
    assert!(body.ends_with("\r\n"));
}

/// A strict RFC 4180 reader, to check what a spreadsheet will see.
fn parse_csv(text: &str) -> Vec<Vec<String>> {
    let (mut records, mut record, mut field) = (Vec::new(), Vec::new(), String::new());
    let mut chars = text.chars().peekable();
    let mut quoted = false;
    while let Some(c) = chars.next() {
        match (quoted, c) {
            (true, '"') if chars.peek() == Some(&'"') => {
                chars.next();
                field.push('"');
            }
            (true, '"') => quoted = false,
            (true, c) => field.push(c),
            (false, '"') if field.is_empty() => quoted = true,
            (false, ',') => record.push(std::mem::take(&mut field)),
            (false, '\r') if chars.peek() == Some(&'\n') => {
                chars.next();
                record.push(std::mem::take(&mut field));
                records.push(std::mem::take(&mut record));
            }
            (false, c) => {
                assert!(
                    c != '"' && c != '\n' && c != '\r',
                    "bare {c:?} outside quotes"
                );
                field.push(c);
            }
        }
    }
    assert!(
        !quoted && field.is_empty() && record.is_empty(),
        "unterminated record"
    );
    records
}
