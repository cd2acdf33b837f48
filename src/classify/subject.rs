//! A subject with its reply and forward prefixes ("SV: VS: Re[2]:") taken off.

/// Prefixes of replies in the mail clients of our customers.
const REPLY: [&str; 6] = ["re", "sv", "aw", "antw", "r", "odp"];
/// Prefixes of forwards.
const FORWARD: [&str; 7] = ["fw", "fwd", "vs", "wg", "vb", "tr", "vl"];

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Subject {
    /// The subject as decoded.
    pub original: String,
    /// Without reply/forward prefixes.
    pub text: String,
    /// It carried a reply prefix: its words were probably written by whoever
    /// wrote the mail being answered.
    pub is_reply: bool,
}

impl Subject {
    pub fn read(subject: &str) -> Subject {
        let mut rest = subject.trim();
        let mut is_reply = false;
        while let Some((prefix, after)) = strip_prefix(rest) {
            is_reply |= REPLY.contains(&prefix.as_str());
            rest = after;
        }
        Subject {
            original: subject.to_string(),
            text: rest.to_string(),
            is_reply,
        }
    }
}

/// One leading `Word:` or `Word[2]:` prefix, lower-cased, and what follows it.
fn strip_prefix(s: &str) -> Option<(String, &str)> {
    let s = s.trim_start_matches(|c: char| c.is_whitespace() || c == '*');
    let colon = s.find([':', '：'])?;
    let head = s[..colon].trim();
    let word = match head.find('[') {
        Some(open) if head.ends_with(']') => &head[..open],
        _ => head,
    }
    .trim()
    .to_lowercase();
    let known = REPLY.contains(&word.as_str()) || FORWARD.contains(&word.as_str());
    if !known {
        return None;
    }
    let after = &s[colon..];
    let after = after.trim_start_matches([':', '：']).trim_start();
    Some((word, after))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn strips_any_number_of_prefixes() {
        let table = [
            (
                "SV: VS: Re: Klage [KL-2026-000123]",
                "Klage [KL-2026-000123]",
                true,
            ),
            ("Fwd: Gebyr", "Gebyr", false),
            ("Re[2]: AW: Frage", "Frage", true),
            ("Sv:Sv: hej", "hej", true),
            ("Klage: gebyr", "Klage: gebyr", false),
            ("", "", false),
            ("RE:", "", true),
        ];
        for (input, text, is_reply) in table {
            let s = Subject::read(input);
            assert_eq!(s.text, text, "{input}");
            assert_eq!(s.is_reply, is_reply, "{input}");
        }
    }
}
