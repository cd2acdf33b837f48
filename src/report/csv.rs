//! The register as CSV that opens cleanly in a spreadsheet: UTF-8 with a byte
//! order mark (so Excel reads æøå), one header row, CRLF line ends and RFC 4180
//! quoting. Text written by customers that a spreadsheet would run as a formula
//! (`=…`, `+…`, `-…`, `@…`) is prefixed with `'` (OWASP's advice on CSV injection).

use std::io::{self, Write};

use super::{Register, RegisterRow, Totals};

const BOM: &str = "\u{feff}";

/// The register's column names, in order.
pub const HEADER: [&str; 23] = [
    "reference",
    "received",
    "channel",
    "jurisdiction",
    "language",
    "category",
    "customer",
    "subject",
    "contact_person",
    "status",
    "tier",
    "acknowledged_at",
    "holding_reply_at",
    "decided_at",
    "outcome",
    "business_days_to_decision",
    "deadline_met",
    "escalated",
    "referred",
    "related_cases",
    "root_cause",
    "measure",
    "measure_text",
];

/// Writes the register's rows (the totals go to [`write_totals`]).
pub fn write_register(register: &Register, out: &mut dyn Write) -> io::Result<()> {
    out.write_all(BOM.as_bytes())?;
    write_record(out, HEADER.iter().map(|h| h.to_string()))?;
    for row in &register.cases {
        write_record(out, row_fields(row))?;
    }
    out.flush()
}

/// Writes the period's figures as `group,name,count` rows.
pub fn write_totals(totals: &Totals, out: &mut dyn Write) -> io::Result<()> {
    out.write_all(BOM.as_bytes())?;
    write_record(out, ["group", "name", "count"].map(String::from))?;
    let overall = [
        ("received", totals.received),
        ("decided", totals.decided),
        ("open", totals.open),
        ("withdrawn", totals.withdrawn),
        ("deadline_met", totals.deadline_met),
        ("deadline_missed", totals.deadline_missed),
        ("escalated", totals.escalated),
        ("referred", totals.referred),
    ];
    let groups = overall
        .iter()
        .map(|(name, n)| ("total", name.to_string(), *n))
        .chain(
            totals
                .by_category
                .iter()
                .map(|(k, n)| ("category", k.clone(), *n)),
        )
        .chain(
            totals
                .by_outcome
                .iter()
                .map(|(k, n)| ("outcome", k.clone(), *n)),
        )
        .chain(
            totals
                .by_cause
                .iter()
                .map(|(k, n)| ("cause", defuse_formula(k), *n)),
        )
        .chain(
            totals
                .by_measure
                .iter()
                .map(|(k, n)| ("measure", k.clone(), *n)),
        );
    for (group, name, n) in groups {
        write_record(out, [group.to_string(), name, n.to_string()])?;
    }
    out.flush()
}

fn row_fields(row: &RegisterRow) -> Vec<String> {
    let yes_no = |b: bool| if b { "yes" } else { "no" }.to_string();
    vec![
        row.reference.clone(),
        row.received.clone(),
        row.channel.clone(),
        row.jurisdiction.clone(),
        row.language.clone(),
        row.category.clone(),
        defuse_formula(&row.customer),
        defuse_formula(&row.subject),
        row.contact_person.clone(),
        row.status.clone(),
        row.tier.clone(),
        row.acknowledged_at.clone(),
        row.holding_reply_at.clone(),
        row.decided_at.clone(),
        row.outcome.clone(),
        row.business_days_to_decision
            .map(|d| d.to_string())
            .unwrap_or_default(),
        row.deadline_met.map(yes_no).unwrap_or_default(),
        yes_no(row.escalated),
        yes_no(row.referred),
        row.related_cases.join(" "),
        defuse_formula(&row.root_cause),
        row.measure.clone(),
        defuse_formula(&row.measure_text),
    ]
}

fn write_record(out: &mut dyn Write, fields: impl IntoIterator<Item = String>) -> io::Result<()> {
    let line: Vec<String> = fields.into_iter().map(|f| quote(&f)).collect();
    out.write_all(line.join(",").as_bytes())?;
    out.write_all(b"\r\n")
}

/// RFC 4180: a field holding a quote, comma, line break (or a semicolon, the list
/// separator of Nordic spreadsheets) is quoted, its quotes doubled.
pub fn quote(field: &str) -> String {
    let needs = field.contains(['"', ',', ';', '\n', '\r'])
        || field.starts_with(' ')
        || field.ends_with(' ');
    if needs {
        format!("\"{}\"", field.replace('"', "\"\""))
    } else {
        field.to_string()
    }
}

/// Customer-written text starting like a formula gets a leading `'`.
fn defuse_formula(text: &str) -> String {
    if text.starts_with(['=', '+', '-', '@', '\t', '\r']) {
        format!("'{text}")
    } else {
        text.to_string()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn quotes_only_what_needs_it() {
        assert_eq!(quote("plain æøå"), "plain æøå");
        assert_eq!(quote("a,b"), "\"a,b\"");
        assert_eq!(quote("a;b"), "\"a;b\"");
        assert_eq!(quote("say \"hi\""), "\"say \"\"hi\"\"\"");
        assert_eq!(quote("two\nlines"), "\"two\nlines\"");
        assert_eq!(quote(""), "");
    }

    /// Reads one field back as a spreadsheet would.
    fn unquote(field: &str) -> Option<String> {
        match field.strip_prefix('"') {
            Some(rest) => {
                let inner = rest.strip_suffix('"')?;
                let lone_quote = inner.replace("\"\"", "").contains('"');
                (!lone_quote).then(|| inner.replace("\"\"", "\""))
            }
            None => {
                let unsafe_bare = field.contains(['"', ',', ';', '\n', '\r']);
                (!unsafe_bare).then(|| field.to_string())
            }
        }
    }

    proptest::proptest! {
        #[test]
        fn any_text_survives_quoting(text in "[a-zæøåÆØÅ ,;\"\n\r=+-]{0,40}") {
            proptest::prop_assert_eq!(unquote(&quote(&text)), Some(text));
        }
    }

    #[test]
    fn formulas_from_customers_are_defused() {
        assert_eq!(defuse_formula("=HYPERLINK(\"x\")"), "'=HYPERLINK(\"x\")");
        assert_eq!(defuse_formula("Gebyr"), "Gebyr");
    }
}
