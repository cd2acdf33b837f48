//! Counters for operators, rendered in the Prometheus text format; the daemon's
//! optional HTTP listener serves them at `/metrics`.

use std::collections::BTreeMap;
use std::fmt::Write as _;
use std::sync::Mutex;

/// Counts by a label, e.g. messages by what became of them.
#[derive(Debug, Default)]
pub struct Metrics {
    messages: Mutex<BTreeMap<String, u64>>,
    mail_sent: Mutex<BTreeMap<String, u64>>,
    mail_failed: Mutex<BTreeMap<String, u64>>,
    deadlines_fired: Mutex<BTreeMap<String, u64>>,
}

fn bump(map: &Mutex<BTreeMap<String, u64>>, label: &str) {
    let mut map = map.lock().unwrap_or_else(|e| e.into_inner());
    *map.entry(label.to_string()).or_default() += 1;
}

impl Metrics {
    /// An inbound message handled: `outcome` is opened, follow_up, ignored, quarantined…
    pub fn message(&self, outcome: &str) {
        bump(&self.messages, outcome);
    }

    pub fn mail_sent(&self, kind: &str) {
        bump(&self.mail_sent, kind);
    }

    pub fn mail_failed(&self, kind: &str) {
        bump(&self.mail_failed, kind);
    }

    pub fn deadline_fired(&self, key: &str) {
        // The kind of deadline without its date: reminder-5, breach, …
        let kind: String = key
            .split('-')
            .take_while(|part| !part.chars().all(|c| c.is_ascii_digit()) || part.len() < 4)
            .collect::<Vec<_>>()
            .join("-");
        bump(&self.deadlines_fired, &kind);
    }

    /// The Prometheus text exposition of every counter, plus the queue length.
    pub fn render(&self, queued: u64) -> String {
        let mut out = String::new();
        family(
            &mut out,
            "klagebot_messages_total",
            "Inbound messages by what became of them.",
            "outcome",
            &self.messages,
        );
        family(
            &mut out,
            "klagebot_mail_sent_total",
            "Mail delivered by kind.",
            "kind",
            &self.mail_sent,
        );
        family(
            &mut out,
            "klagebot_mail_failed_total",
            "Mail given up on by kind.",
            "kind",
            &self.mail_failed,
        );
        family(
            &mut out,
            "klagebot_deadlines_fired_total",
            "Deadlines fired by kind.",
            "kind",
            &self.deadlines_fired,
        );
        let _ = writeln!(
            out,
            "# HELP klagebot_outbox_queued Mail waiting in the outbox."
        );
        let _ = writeln!(out, "# TYPE klagebot_outbox_queued gauge");
        let _ = writeln!(out, "klagebot_outbox_queued {queued}");
        out
    }
}

fn family(
    out: &mut String,
    name: &str,
    help: &str,
    label: &str,
    values: &Mutex<BTreeMap<String, u64>>,
) {
    let _ = writeln!(out, "# HELP {name} {help}");
    let _ = writeln!(out, "# TYPE {name} counter");
    let values = values.lock().unwrap_or_else(|e| e.into_inner());
    for (value, count) in values.iter() {
        let value = value.replace('\\', "\\\\").replace('"', "\\\"");
        let _ = writeln!(out, "{name}{{{label}=\"{value}\"}} {count}");
    }
}

#[cfg(test)]
mod tests {
    use super::Metrics;

    #[test]
    fn counters_render_in_prometheus_text_format() {
        let m = Metrics::default();
        m.message("opened");
        m.message("opened");
        m.message("ignored");
        m.deadline_fired("reminder-5-2027-01-08");
        m.deadline_fired("ankenaevn");
        let text = m.render(3);
        assert!(
            text.contains("klagebot_messages_total{outcome=\"opened\"} 2"),
            "{text}"
        );
        assert!(text.contains("klagebot_messages_total{outcome=\"ignored\"} 1"));
        assert!(
            text.contains("klagebot_deadlines_fired_total{kind=\"reminder-5\"} 1"),
            "{text}"
        );
        assert!(text.contains("klagebot_deadlines_fired_total{kind=\"ankenaevn\"} 1"));
        assert!(text.contains("klagebot_outbox_queued 3"));
    }
}
