//! The register as one self-contained HTML page for people: the period's figures,
//! charts as inline SVG ([`super::charts`]) and the register table. No scripts,
//! no fonts, no images from anywhere: a Content-Security-Policy forbids loading
//! anything, so the page reads the same offline, in a mail attachment or archived.
//!
//! Every number from the JSON report's `totals` and `figures` is in the page once
//! with `data-figure="totals.received"`, `data-figure="figures.by_category.fees.2"`…
//! (the path of the value in the JSON), so a program can check the page against it.

use std::fmt::Write as _;

use super::charts::{self, Series};
use super::figures::{Bucket, Figures};
use super::{Register, RegisterRow, Totals};

/// What the page says besides the register.
pub struct Page<'a> {
    pub company: &'a str,
    /// When the report was made, as the reader should see it.
    pub generated: &'a str,
}

const CSP: &str = "default-src 'none'; style-src 'unsafe-inline'; img-src data:";

const STYLE: &str = "
body { font-family: sans-serif; margin: 2rem auto; max-width: 1100px; color: #222; padding: 0 1rem; }
h1 { font-size: 1.6rem; margin-bottom: 0.2rem; }
h2 { font-size: 1.2rem; margin-top: 2.2rem; border-bottom: 1px solid #ccc; padding-bottom: 0.2rem; }
.meta { color: #555; margin-top: 0; }
.cards { display: flex; flex-wrap: wrap; gap: 0.6rem; margin: 1rem 0; }
.card { border: 1px solid #ddd; border-radius: 6px; padding: 0.5rem 0.9rem; min-width: 8rem; }
.card .n { font-size: 1.5rem; font-weight: bold; display: block; }
.card .l { color: #555; font-size: 0.85rem; }
table { border-collapse: collapse; font-size: 0.85rem; margin: 0.5rem 0; }
th, td { border: 1px solid #ddd; padding: 0.2rem 0.45rem; text-align: left; vertical-align: top; }
th { background: #f3f3f3; }
td.num { text-align: right; font-variant-numeric: tabular-nums; }
tr.missed td { background: #fdecea; }
svg { max-width: 100%; height: auto; display: block; }
details summary { cursor: pointer; color: #345; margin: 0.3rem 0; }
.register { font-size: 0.78rem; }
.register td:nth-child(-n+2) { white-space: nowrap; }
.wide { overflow-x: auto; }
.note { color: #555; font-size: 0.85rem; }
";

/// The whole page.
pub fn render(register: &Register, page: &Page<'_>) -> String {
    let mut out = String::with_capacity(64 * 1024 + register.cases.len() * 600);
    let title = format!(
        "Complaint register {} – {}: {}",
        register.from,
        register.to,
        escape(page.company)
    );
    let _ = write!(
        out,
        "<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n\
         <meta http-equiv=\"Content-Security-Policy\" content=\"{CSP}\">\n\
         <meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n\
         <title>{title}</title>\n<style>{STYLE}</style>\n</head>\n<body>\n\
         <h1>{title}</h1>\n<p class=\"meta\">Complaints received {} to {} (local dates), \
         made by klagebot on {}.</p>\n",
        register.from,
        register.to,
        escape(page.generated)
    );
    totals_section(&mut out, &register.totals);
    per_month_sections(&mut out, &register.figures);
    compliance_section(&mut out, &register.figures);
    time_to_answer_section(&mut out, &register.figures);
    outcomes_section(&mut out, &register.totals);
    open_age_section(&mut out, &register.figures);
    register_section(&mut out, &register.cases);
    out.push_str("</body>\n</html>\n");
    out
}

fn totals_section(out: &mut String, t: &Totals) {
    out.push_str("<h2>The period in figures</h2>\n<div class=\"cards\">\n");
    let cards = [
        ("received", "received", t.received),
        ("decided", "decided", t.decided),
        ("open", "still open", t.open),
        ("withdrawn", "withdrawn (not a complaint)", t.withdrawn),
        ("deadline_met", "answered in time", t.deadline_met),
        ("deadline_missed", "deadline missed", t.deadline_missed),
        ("escalated", "escalated", t.escalated),
        ("referred", "referred to external bodies", t.referred),
    ];
    for (key, label, n) in cards {
        let _ = writeln!(
            out,
            "<div class=\"card\"><span class=\"n\" data-figure=\"totals.{key}\">{n}</span>\
             <span class=\"l\">{label}</span></div>"
        );
    }
    out.push_str("</div>\n");
}

fn per_month_sections(out: &mut String, f: &Figures) {
    let breakdowns = [
        ("by_category", "Complaints per month by category"),
        ("by_channel", "Complaints per month by channel (mailbox)"),
        ("by_language", "Complaints per month by language"),
    ];
    for (key, heading) in breakdowns {
        let map = match key {
            "by_category" => &f.by_category,
            "by_channel" => &f.by_channel,
            _ => &f.by_language,
        };
        let series: Vec<Series<'_>> = map
            .iter()
            .map(|(name, values)| Series { name, values })
            .collect();
        let _ = writeln!(out, "<h2>{heading}</h2>");
        out.push_str(&charts::stacked_bars(&f.months, &series, "complaints"));
        out.push_str(
            "\n<details><summary>The figures as a table</summary>\n<table>\n<tr><th></th>",
        );
        for month in &f.months {
            let _ = write!(out, "<th>{month}</th>");
        }
        out.push_str("<th>total</th></tr>\n");
        for (name, values) in map {
            let _ = write!(out, "<tr><th>{}</th>", escape(name));
            for (i, n) in values.iter().enumerate() {
                let path = format!("figures.{key}.{}.{i}", escape(name));
                out.push_str(&cell(&path, *n));
            }
            let _ = writeln!(
                out,
                "<td class=\"num\">{}</td></tr>",
                values.iter().sum::<usize>()
            );
        }
        out.push_str("</table>\n</details>\n");
    }
}

fn compliance_section(out: &mut String, f: &Figures) {
    let (ack, ans) = (&f.acknowledgement, &f.answer);
    let labels = [
        "acknowledged in time".to_string(),
        "acknowledged late".into(),
        "acknowledgement pending".into(),
        format!("answered ≤ {} days", ans.answer_within_days),
        format!("answered ≤ {} days", ans.final_answer_within_days),
        format!("answered > {} days", ans.final_answer_within_days),
        "open, past the limit".into(),
        "open, within the limit".into(),
    ];
    let values = [
        ack.in_time,
        ack.late,
        ack.pending,
        ans.within_answer_limit,
        ans.within_final_limit,
        ans.later,
        ans.open_overdue,
        ans.open_in_time,
    ];
    // Green for in time, orange for the holding-reply window, red for late.
    use charts::{GREEN, GREY, ORANGE, RED};
    let colors = [GREEN, RED, GREY, GREEN, ORANGE, RED, RED, GREY];
    out.push_str("<h2>Deadline compliance</h2>\n");
    let _ = writeln!(
        out,
        "<p class=\"note\">Acknowledgements are due within the working days the policy allows; \
         answers within <span data-figure=\"figures.answer.answer_within_days\">{}</span> business days, \
         or within <span data-figure=\"figures.answer.final_answer_within_days\">{}</span> after a \
         holding reply (PSD2 art. 101(2)). Withdrawn cases are not counted.</p>",
        ans.answer_within_days, ans.final_answer_within_days
    );
    out.push_str(&charts::bars(
        &short_labels(&labels),
        &values,
        &colors,
        "complaints",
    ));
    out.push_str("\n<table>\n");
    let answered = ans.within_answer_limit + ans.within_final_limit + ans.later;
    let rows = [
        (
            "acknowledgement.in_time",
            &labels[0],
            ack.in_time,
            ack.in_time + ack.late,
        ),
        (
            "acknowledgement.late",
            &labels[1],
            ack.late,
            ack.in_time + ack.late,
        ),
        ("acknowledgement.pending", &labels[2], ack.pending, 0),
        (
            "answer.within_answer_limit",
            &labels[3],
            ans.within_answer_limit,
            answered,
        ),
        (
            "answer.within_final_limit",
            &labels[4],
            ans.within_final_limit,
            answered,
        ),
        ("answer.later", &labels[5], ans.later, answered),
        ("answer.open_overdue", &labels[6], ans.open_overdue, 0),
        ("answer.open_in_time", &labels[7], ans.open_in_time, 0),
    ];
    out.push_str("<tr><th></th><th>complaints</th><th>share</th></tr>\n");
    for (key, label, n, of) in rows {
        let share = if of > 0 {
            format!("{:.1} %", 100.0 * n as f64 / of as f64)
        } else {
            String::new()
        };
        let _ = writeln!(
            out,
            "<tr><th>{}</th>{}<td class=\"num\">{share}</td></tr>",
            escape(label),
            cell(&format!("figures.{key}"), n)
        );
    }
    out.push_str("</table>\n");
}

/// Chart labels short enough to stand under a bar.
fn short_labels(labels: &[String]) -> Vec<String> {
    labels
        .iter()
        .map(|l| {
            l.replace("acknowledged ", "ack. ")
                .replace("acknowledgement ", "ack. ")
                .replace("answered ", "")
                .replace(" days", " d")
                .replace("open, past the limit", "open, late")
                .replace("open, within the limit", "open")
        })
        .collect()
}

fn time_to_answer_section(out: &mut String, f: &Figures) {
    let t = &f.time_to_answer;
    out.push_str("<h2>Time to answer</h2>\n");
    let days = |d: Option<i64>| d.map(|d| d.to_string()).unwrap_or_else(|| "–".into());
    let _ = writeln!(
        out,
        "<p>{} answered; median {} business days, 90 % within {} business days.</p>",
        cell_span("figures.time_to_answer.answered", &t.answered.to_string()),
        cell_span("figures.time_to_answer.median_days", &days(t.median_days)),
        cell_span("figures.time_to_answer.p90_days", &days(t.p90_days)),
    );
    buckets_chart(
        out,
        &t.buckets,
        "figures.time_to_answer.buckets",
        "business days to the answer",
    );
}

fn outcomes_section(out: &mut String, t: &Totals) {
    out.push_str("<h2>Outcomes</h2>\n");
    let labels: Vec<String> = t.by_outcome.keys().map(|k| k.replace('_', " ")).collect();
    let values: Vec<usize> = t.by_outcome.values().copied().collect();
    let colors: Vec<usize> = t.by_outcome.keys().map(|k| outcome_color(k)).collect();
    out.push_str(&charts::bars(&labels, &values, &colors, "complaints"));
    out.push_str("\n<table>\n");
    for (key, n) in &t.by_outcome {
        let _ = writeln!(
            out,
            "<tr><th>{}</th>{}</tr>",
            escape(&key.replace('_', " ")),
            cell(&format!("totals.by_outcome.{}", escape(key)), *n)
        );
    }
    out.push_str("</table>\n<details><summary>By category</summary>\n<table>\n");
    for (key, n) in &t.by_category {
        let _ = writeln!(
            out,
            "<tr><th>{}</th>{}</tr>",
            escape(key),
            cell(&format!("totals.by_category.{}", escape(key)), *n)
        );
    }
    out.push_str("</table>\n</details>\n");
    for (group, title, counts) in [
        ("by_cause", "By root cause", &t.by_cause),
        ("by_measure", "By measure", &t.by_measure),
    ] {
        let _ = writeln!(out, "<details><summary>{title}</summary>\n<table>");
        for (key, n) in counts {
            let _ = writeln!(
                out,
                "<tr><th>{}</th>{}</tr>",
                escape(key),
                cell(&format!("totals.{group}.{}", escape(key)), *n)
            );
        }
        out.push_str("</table>\n</details>\n");
    }
}

fn outcome_color(outcome: &str) -> usize {
    match outcome {
        "upheld" => charts::GREEN,
        "partially_upheld" => charts::ORANGE,
        "rejected" => charts::RED,
        "open" => charts::BLUE,
        "closed_without_decision" => charts::TEAL,
        _ => charts::GREY,
    }
}

fn open_age_section(out: &mut String, f: &Figures) {
    out.push_str("<h2>Open cases by age</h2>\n<p class=\"note\">Business days since receipt, on the day the report was made.</p>\n");
    buckets_chart(
        out,
        &f.open_by_age,
        "figures.open_by_age",
        "business days open",
    );
}

fn buckets_chart(out: &mut String, buckets: &[Bucket], path: &str, what: &str) {
    let labels: Vec<String> = buckets.iter().map(|b| b.label.clone()).collect();
    let values: Vec<usize> = buckets.iter().map(|b| b.count).collect();
    out.push_str(&charts::bars(&labels, &values, &[0; 8], "complaints"));
    let _ = write!(out, "\n<table>\n<tr><th>{what}</th>");
    for label in &labels {
        let _ = write!(out, "<th>{}</th>", escape(label));
    }
    out.push_str("</tr>\n<tr><th>complaints</th>");
    for (i, b) in buckets.iter().enumerate() {
        out.push_str(&cell(&format!("{path}.{i}.count"), b.count));
    }
    out.push_str("</tr>\n</table>\n");
}

fn register_section(out: &mut String, rows: &[RegisterRow]) {
    let _ = writeln!(
        out,
        "<h2>The register</h2>\n<p class=\"note\">{} complaints, in the order received; \
         cases past their deadline are marked.</p>",
        rows.len()
    );
    out.push_str(
        "<div class=\"wide\"><table class=\"register\">\n<tr><th>reference</th><th>received</th><th>channel</th>\
         <th>lang.</th><th>category</th><th>customer</th><th>subject</th><th>contact person</th>\
         <th>status</th><th>acknowledged</th><th>holding reply</th><th>decided</th><th>outcome</th>\
         <th>business days</th><th>deadline met</th><th>escalated</th><th>referred</th></tr>\n",
    );
    for row in rows {
        let yes_no = |b: bool| if b { "yes" } else { "no" };
        let class = if row.deadline_met == Some(false) {
            " class=\"missed\""
        } else {
            ""
        };
        let _ = write!(out, "<tr{class}>");
        let texts = [
            &row.reference,
            &row.received,
            &row.channel,
            &row.language,
            &row.category,
            &row.customer,
            &row.subject,
            &row.contact_person,
            &row.status,
            &row.acknowledged_at,
            &row.holding_reply_at,
            &row.decided_at,
            &row.outcome.replace('_', " "),
        ];
        for text in texts {
            let _ = write!(out, "<td>{}</td>", escape(text));
        }
        let days = row
            .business_days_to_decision
            .map(|d| d.to_string())
            .unwrap_or_default();
        let _ = writeln!(
            out,
            "<td class=\"num\">{days}</td><td>{}</td><td>{}</td><td>{}</td></tr>",
            row.deadline_met.map(yes_no).unwrap_or(""),
            yes_no(row.escalated),
            yes_no(row.referred)
        );
    }
    out.push_str("</table></div>\n");
}

fn cell(path: &str, n: usize) -> String {
    format!("<td class=\"num\" data-figure=\"{path}\">{n}</td>")
}

fn cell_span(path: &str, text: &str) -> String {
    format!("<b data-figure=\"{path}\">{}</b>", escape(text))
}

/// Text for HTML element content and attribute values.
pub fn escape(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            _ => out.push(c),
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn customer_text_cannot_become_markup() {
        assert_eq!(
            escape("<script>alert('x')</script> & \"y\""),
            "&lt;script&gt;alert(&#39;x&#39;)&lt;/script&gt; &amp; &quot;y&quot;"
        );
    }
}
