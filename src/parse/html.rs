//! HTML → plain text for HTML-only mail, keeping what quote detection needs:
//! block structure as line breaks and `<blockquote>` content as `> ` lines.
//!
//! One pass, linear in the input, whatever the nesting: a line inside many
//! `<blockquote>`s gets at most [`MAX_QUOTE_MARKS`] marks (hostile mail nests
//! them by the ten thousand; a line per level would grow the text quadratically).

/// Quote marks written before one line at most; deeper quoting is flattened.
pub const MAX_QUOTE_MARKS: usize = 8;

/// Elements whose content is never text a reader sees.
const HIDDEN: [&str; 5] = ["script", "style", "head", "title", "xml"];
/// Elements that start a new line.
const BLOCK: [&str; 22] = [
    "p",
    "div",
    "br",
    "tr",
    "li",
    "ul",
    "ol",
    "table",
    "h1",
    "h2",
    "h3",
    "h4",
    "h5",
    "h6",
    "hr",
    "blockquote",
    "pre",
    "section",
    "article",
    "header",
    "footer",
    "dd",
];

/// Converts HTML to text. Tolerant of any tag soup; never fails.
pub fn to_text(html: &str) -> String {
    let mut out = Converter::default();
    let mut rest = html;
    while let Some(lt) = rest.find('<') {
        out.text(&rest[..lt]);
        rest = &rest[lt..];
        if let Some(after) = rest.strip_prefix("<!--") {
            rest = after.find("-->").map_or("", |end| &after[end + 3..]);
            continue;
        }
        let Some(gt) = rest.find('>') else {
            rest = "";
            break;
        };
        out.tag(&rest[1..gt]);
        rest = &rest[gt + 1..];
    }
    out.text(rest);
    tidy(&out.buf)
}

#[derive(Default)]
struct Converter {
    buf: String,
    hidden: usize,
    quote_depth: usize,
    pre: usize,
    at_line_start: bool,
    pending_space: bool,
}

impl Converter {
    fn tag(&mut self, inside: &str) {
        let closing = inside.starts_with('/');
        let name: String = inside
            .trim_start_matches('/')
            .chars()
            .take_while(|c| c.is_ascii_alphanumeric())
            .collect::<String>()
            .to_ascii_lowercase();
        if HIDDEN.contains(&name.as_str()) {
            self.hidden = if closing {
                self.hidden.saturating_sub(1)
            } else if inside.ends_with('/') {
                self.hidden
            } else {
                self.hidden + 1
            };
            return;
        }
        match (name.as_str(), closing) {
            ("blockquote", false) => self.quote_depth += 1,
            ("blockquote", true) => self.quote_depth = self.quote_depth.saturating_sub(1),
            ("pre", false) => self.pre += 1,
            ("pre", true) => self.pre = self.pre.saturating_sub(1),
            _ => {}
        }
        if BLOCK.contains(&name.as_str()) {
            self.newline();
        } else if name == "td" || name == "th" {
            self.pending_space = true;
        }
    }

    fn newline(&mut self) {
        self.buf.push('\n');
        self.at_line_start = true;
        self.pending_space = false;
    }

    fn text(&mut self, raw: &str) {
        if self.hidden > 0 || raw.is_empty() {
            return;
        }
        let decoded = decode_entities(raw);
        for c in decoded.chars() {
            if self.pre > 0 && c == '\n' {
                self.newline();
            } else if c.is_whitespace() {
                self.pending_space = !self.at_line_start;
            } else {
                self.push_visible(c);
            }
        }
    }

    fn push_visible(&mut self, c: char) {
        if self.at_line_start {
            for _ in 0..self.quote_depth.min(MAX_QUOTE_MARKS) {
                self.buf.push_str("> ");
            }
            self.at_line_start = false;
        } else if self.pending_space {
            self.buf.push(' ');
        }
        self.pending_space = false;
        self.buf.push(c);
    }
}

/// Trims every line and keeps at most one empty line in a row.
fn tidy(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    let mut blank_run = 0;
    for line in text.lines().map(str::trim) {
        if line.is_empty() || line.chars().all(|c| c == '>' || c == ' ') && line.len() < 12 {
            blank_run += 1;
            if blank_run > 1 || out.is_empty() {
                continue;
            }
            out.push('\n');
            continue;
        }
        blank_run = 0;
        out.push_str(line);
        out.push('\n');
    }
    out.trim_end().to_string()
}

/// Decodes the character references that occur in mail: numeric ones and the
/// named ones for Nordic letters and punctuation.
pub fn decode_entities(s: &str) -> String {
    if !s.contains('&') {
        return s.to_string();
    }
    let mut out = String::with_capacity(s.len());
    let mut rest = s;
    while let Some(amp) = rest.find('&') {
        out.push_str(&rest[..amp]);
        rest = &rest[amp..];
        let end = rest[1..]
            .find(|c: char| !(c.is_ascii_alphanumeric() || c == '#'))
            .map(|i| i + 1);
        let entity = end.map(|e| &rest[1..e]).unwrap_or(&rest[1..]);
        match entity_char(entity) {
            Some(c) => {
                out.push(c);
                let consumed = 1 + entity.len();
                let semicolon = rest[consumed..].starts_with(';') as usize;
                rest = &rest[consumed + semicolon..];
            }
            None => {
                out.push('&');
                rest = &rest[1..];
            }
        }
    }
    out.push_str(rest);
    out
}

fn entity_char(name: &str) -> Option<char> {
    if let Some(num) = name.strip_prefix('#') {
        let code = match num.strip_prefix(['x', 'X']) {
            Some(hex) => u32::from_str_radix(hex, 16).ok()?,
            None => num.parse().ok()?,
        };
        return char::from_u32(code).map(|c| if c == '\u{a0}' { ' ' } else { c });
    }
    Some(match name {
        "nbsp" | "ensp" | "emsp" | "thinsp" => ' ',
        "amp" => '&',
        "lt" => '<',
        "gt" => '>',
        "quot" => '"',
        "apos" => '\'',
        "aelig" => 'æ',
        "AElig" => 'Æ',
        "oslash" => 'ø',
        "Oslash" => 'Ø',
        "aring" => 'å',
        "Aring" => 'Å',
        "auml" => 'ä',
        "Auml" => 'Ä',
        "ouml" => 'ö',
        "Ouml" => 'Ö',
        "uuml" => 'ü',
        "Uuml" => 'Ü',
        "eacute" => 'é',
        "Eacute" => 'É',
        "egrave" => 'è',
        "szlig" => 'ß',
        "ndash" => '–',
        "mdash" => '—',
        "laquo" => '«',
        "raquo" => '»',
        "lsquo" => '‘',
        "rsquo" => '’',
        "ldquo" => '“',
        "rdquo" => '”',
        "hellip" => '…',
        "euro" => '€',
        "copy" => '©',
        "shy" | "zwnj" | "zwj" => '\u{ad}',
        _ => return None,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn blocks_become_lines_and_quotes_get_marks() {
        let html = "<html><head><style>p{color:red}</style></head><body><p>Hej,</p>\
                    <div>Jeg er <b>ikke</b> tilfreds&nbsp;med gebyret.</div>\
                    <blockquote><p>Tidligere svar fra os</p></blockquote></body></html>";
        assert_eq!(
            to_text(html),
            "Hej,\n\nJeg er ikke tilfreds med gebyret.\n\n> Tidligere svar fra os"
        );
    }

    #[test]
    fn entities_decode_nordic_letters() {
        assert_eq!(
            decode_entities("bl&aring; &oslash;l &AElig;&#248;&#xE5; &amp;c &unknown;"),
            "blå øl Æøå &c &unknown;"
        );
    }

    #[test]
    fn deep_nesting_is_flattened_and_costs_linear_time() {
        let depth = 64_000;
        let html = format!(
            "{}<p>dybt</p>{}",
            "<blockquote>".repeat(depth),
            "</blockquote>".repeat(depth)
        );
        let text = to_text(&html);
        assert_eq!(text, format!("{}dybt", "> ".repeat(MAX_QUOTE_MARKS)));
        let lines = format!("{}<br>", "<blockquote>x".repeat(depth));
        assert!(
            to_text(&lines).len() < 40 * depth,
            "bounded by the input, not depth²"
        );
    }

    #[test]
    fn broken_html_is_still_text() {
        assert_eq!(to_text("før <b>efter <i"), "før efter");
        assert_eq!(to_text("<!-- never closed"), "");
    }
}
