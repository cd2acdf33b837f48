//! The customer's mail inside a forward: an attached message (message/rfc822),
//! or an inline forwarded block ("---------- Forwarded message ----------",
//! "Fra: …") rebuilt into a small message the normal parser reads.

use super::InboundMail;

/// The customer's mail inside a forward: an attached message, or an inline
/// forwarded block ("---------- Forwarded message ----------", "Fra: …").
pub fn forwarded_mail(mail: &InboundMail) -> Option<InboundMail> {
    if let Some(attached) = mail.forwarded.iter().find(|f| f.from.is_some()) {
        return Some(attached.clone());
    }
    inline_forward(&mail.full_text).map(|bytes| super::parse(&bytes))
}

/// Rebuilds a small message from an inline forwarded block, so that the normal
/// parser reads its sender, subject and text.
fn inline_forward(text: &str) -> Option<Vec<u8>> {
    let lines: Vec<&str> = text.lines().collect();
    let start = lines
        .iter()
        .position(|l| header_value(l, FROM_NAMES).is_some_and(|v| v.contains('@')))?;
    let mut from = None;
    let mut subject = String::new();
    let mut end = start;
    for (i, line) in lines.iter().enumerate().skip(start) {
        if line.trim().is_empty() {
            end = i;
            break;
        }
        if let Some(v) = header_value(line, FROM_NAMES) {
            from.get_or_insert_with(|| v.to_string());
        } else if let Some(v) = header_value(line, SUBJECT_NAMES) {
            subject = v.to_string();
        }
        end = i + 1;
    }
    let body = lines.get(end..).unwrap_or_default().join("\n");
    let message = format!(
        "From: {}\nSubject: {subject}\nContent-Type: text/plain; charset=utf-8\n\n{body}\n",
        from?
    );
    Some(message.into_bytes())
}

const FROM_NAMES: &[&str] = &["from", "fra", "från", "frå"];
const SUBJECT_NAMES: &[&str] = &["subject", "emne", "ämne", "emne", "ärende"];

fn header_value<'a>(line: &'a str, names: &[&str]) -> Option<&'a str> {
    let line = line.trim_start_matches(['>', ' ', '*']);
    let (name, value) = line.split_once(':')?;
    let name = name.trim().trim_matches('*').to_lowercase();
    names.contains(&name.as_str()).then(|| value.trim())
}

#[cfg(test)]
mod tests {
    use super::inline_forward;

    #[test]
    fn an_inline_forward_gives_back_the_customers_mail() {
        let text = "#open\n\n---------- Forwarded message ---------\nFra: Ole Hansen <ole@kunde.dk>\nDato: 3. nov. 2026\nEmne: Gebyr\nTil: hjaelp@bank.dk\n\nI har trukket et gebyr to gange.\n";
        let rebuilt = inline_forward(text).expect("a forwarded block");
        let mail = super::super::parse(&rebuilt);
        assert_eq!(mail.from.unwrap().email.as_str(), "ole@kunde.dk");
        assert_eq!(mail.subject, "Gebyr");
        assert!(mail.full_text.contains("gebyr to gange"));
        assert!(inline_forward("no forward here").is_none());
    }
}
