//! The customer's mail inside a forward: an attached message (message/rfc822),
//! or an inline forwarded block as the mail clients used in the Nordics write
//! it, in their local languages:
//!
//! - Outlook: `-----Original Message-----` / `-----Oprindelig meddelelse-----` or
//!   none, then `From:`/`Fra:`/`Från:` (the address bare, in `<…>` or `[mailto:…]`),
//!   `Sent:`/`Sendt:`/`Skickat:`, `To:`/`Til:`/`Till:`, `Subject:`/`Emne:`/`Ämne:`;
//! - Gmail: `---------- Forwarded message ---------` / `Videresendt meddelelse`…,
//!   then `From:`, `Date:`/`Dato:`/`Datum:`, `Subject:`, `To:`;
//! - Apple Mail: `Begin forwarded message:` / `Start på videresendt besked:`…;
//! - Thunderbird: `-------- Forwarded Message --------`, fields in any order.
//!
//! The block's fields are read (sender, subject, date in any of those formats) and
//! the text below it becomes the body of a small message the normal parser reads,
//! so that the forwarded mail is classified like any customer's mail.

use chrono::{DateTime, Datelike, FixedOffset, NaiveDate, NaiveDateTime, NaiveTime, TimeZone, Utc};
use chrono_tz::Tz;

use super::InboundMail;
use super::quote::{BLOCK_FIELDS, BLOCK_FROM, field_name};

/// The customer's mail inside a forward: an attached message with a sender, or
/// an inline forwarded block. `local` is the time zone of a forwarded date that
/// names none (the mailbox's country).
pub fn forwarded_mail(mail: &InboundMail, local: Tz) -> Option<InboundMail> {
    if let Some(attached) = mail.forwarded.iter().find(|f| f.from.is_some()) {
        return Some(attached.clone());
    }
    inline_forward(&mail.full_text, local).map(|bytes| super::parse(&bytes))
}

/// Whether a mail presents itself as a forward (its subject's `Fwd:`/`VS:`/`VB:`
/// tag, an attached message, or a forwarded-message separator), also when the
/// customer's mail in it cannot be read.
pub fn looks_forwarded(mail: &InboundMail) -> bool {
    const TAGS: [&str; 7] = ["fwd:", "fw:", "vs:", "vb:", "wg:", "tr:", "vl:"];
    let subject = mail.subject.trim_start().to_lowercase();
    TAGS.iter().any(|t| subject.starts_with(t))
        || !mail.forwarded.is_empty()
        || mail
            .full_text
            .lines()
            .any(|l| super::quote::is_forward_separator(&l.trim().to_lowercase()))
}

/// Field names of an inline block, by what they mean.
const DATE_NAMES: &[&str] = &[
    "date", "dato", "datum", "sent", "sendt", "skickat", "gesendet",
];
const SUBJECT_NAMES: &[&str] = &["subject", "emne", "ämne", "ärende", "betreff", "objet"];

/// Rebuilds a small message from an inline forwarded block, so that the normal
/// parser reads its sender, subject, date and text.
fn inline_forward(text: &str, local: Tz) -> Option<Vec<u8>> {
    let lines: Vec<&str> = text.lines().collect();
    let from_line = (0..lines.len()).find(|&i| starts_block(&lines, i))?;
    // Thunderbird writes Subject and Date above From.
    let start = (0..from_line)
        .rev()
        .take_while(|&i| field_of(lines[i]).is_some_and(|n| known_field(&n)))
        .last()
        .unwrap_or(from_line);
    let block = read_block(&lines[start..]);
    let (name, address) = sender(&block.from?)?;
    let mut message = format!(
        "From: {}<{address}>\n",
        name.map(|n| format!("\"{}\" ", n.replace(['"', '\\'], "")))
            .unwrap_or_default()
    );
    message.push_str(&format!("Subject: {}\n", one_line(&block.subject)));
    if let Some(date) = block.date.as_deref().and_then(|d| forwarded_date(d, local)) {
        message.push_str(&format!("Date: {}\n", date.to_rfc2822()));
    }
    message.push_str("MIME-Version: 1.0\nContent-Type: text/plain; charset=utf-8\n\n");
    message.push_str(&dequoted(&lines[start + block.lines..]));
    message.push('\n');
    Some(message.into_bytes())
}

/// The fields of a forwarded block and how many lines it took.
#[derive(Debug, Default)]
struct Block {
    from: Option<String>,
    date: Option<String>,
    subject: String,
    lines: usize,
}

/// Reads `Name: value` lines up to the first blank line; a line without a known
/// field name continues the one before (clients wrap long recipient lists).
fn read_block(lines: &[&str]) -> Block {
    let mut block = Block::default();
    let mut last: Option<&str> = None;
    for (i, raw) in lines.iter().enumerate() {
        let line = strip_quote(raw).trim();
        block.lines = i + 1;
        if line.is_empty() {
            break;
        }
        let lower = line.to_lowercase();
        let name = field_name(&lower).filter(|n| known_field(n));
        let Some(name) = name else {
            if last.is_some() {
                continue;
            }
            block.lines = i;
            break;
        };
        let value = line
            .split_once(':')
            .map_or("", |(_, v)| v.trim_matches(['*', ' ', '\t']))
            .to_string();
        let name = name.as_str();
        if BLOCK_FROM.contains(&name) && block.from.is_none() {
            block.from = Some(value);
            last = Some("from");
        } else if DATE_NAMES.contains(&name) && block.date.is_none() {
            block.date = Some(value);
            last = Some("date");
        } else if SUBJECT_NAMES.contains(&name) && block.subject.is_empty() {
            block.subject = value;
            last = Some("subject");
        } else {
            last = Some("other");
        }
    }
    block
}

/// A `From:` field with an address, followed within four lines by another field
/// of a forwarded block.
fn starts_block(lines: &[&str], i: usize) -> bool {
    let name_of = field_of;
    let is_from = name_of(lines[i]).is_some_and(|n| BLOCK_FROM.contains(&n.as_str()));
    is_from
        && email_in(lines[i]).is_some()
        && lines.iter().skip(i + 1).take(4).any(|l| {
            name_of(l).is_some_and(|n| known_field(&n) && !BLOCK_FROM.contains(&n.as_str()))
        })
}

/// The field name of a line of a forwarded block, quoting taken off.
fn field_of(line: &str) -> Option<String> {
    field_name(&strip_quote(line).trim().to_lowercase())
}

fn known_field(name: &str) -> bool {
    BLOCK_FROM.contains(&name)
        || BLOCK_FIELDS.contains(&name)
        || DATE_NAMES.contains(&name)
        || SUBJECT_NAMES.contains(&name)
}

/// A line without the `>` quoting and bold markers some clients put around it.
fn strip_quote(line: &str) -> &str {
    line.trim_start_matches(['>', ' ', '\t'])
}

/// The text below the block; when the client quoted it all with `>`, one level
/// of quoting is taken off.
fn dequoted(lines: &[&str]) -> String {
    let written: Vec<&&str> = lines.iter().filter(|l| !l.trim().is_empty()).collect();
    let quoted = written.iter().filter(|l| l.starts_with('>')).count();
    let all_quoted = !written.is_empty() && quoted * 10 >= written.len() * 9;
    lines
        .iter()
        .map(|l| match all_quoted {
            true => l
                .strip_prefix("> ")
                .or_else(|| l.strip_prefix('>'))
                .unwrap_or(l),
            false => l,
        })
        .collect::<Vec<_>>()
        .join("\n")
}

/// The display name and address of `Ole Hansen <ole@x.dk>`, `"Hansen, Ole"
/// [mailto:ole@x.dk]`, `ole@x.dk` or `*Ole Hansen* <mailto:ole@x.dk>`.
fn sender(value: &str) -> Option<(Option<String>, String)> {
    let address = email_in(value)?;
    let cut = value.find(['<', '[']).unwrap_or(0);
    let name = value[..cut]
        .trim()
        .trim_matches(['"', '\'', '*', ' '])
        .to_string();
    let name = (!name.is_empty() && !name.contains('@')).then_some(name);
    Some((name, address))
}

/// The first email address in a text.
fn email_in(text: &str) -> Option<String> {
    let at = text.find('@')?;
    let is_part = |c: char| c.is_alphanumeric() || ".+-_'".contains(c);
    let start = text[..at]
        .char_indices()
        .rev()
        .take_while(|(_, c)| is_part(*c))
        .last()
        .map(|(i, _)| i)?;
    let end = text[at + 1..]
        .char_indices()
        .take_while(|(_, c)| c.is_alphanumeric() || ".-".contains(*c))
        .last()
        .map(|(i, c)| at + 1 + i + c.len_utf8())?;
    let address = text[start..end].trim_end_matches('.');
    let domain = address.split_once('@')?.1;
    (domain.contains('.') && !address.starts_with('.')).then(|| address.to_string())
}

fn one_line(text: &str) -> String {
    text.split_whitespace().collect::<Vec<_>>().join(" ")
}

/// A forwarded block's date in any of the clients' formats and languages:
/// RFC 2822 (`Mon, 3 Nov 2026 10:15:23 +0100`), Gmail (`Mon, Nov 3, 2026 at 10:15
/// AM`, `man. 3. nov. 2026 kl. 10:15`), Outlook (`Monday, November 3, 2026 10:15
/// AM`, `mandag den 3. november 2026 10:15`, `den 3 november 2026 10:15`), Apple
/// (`3 November 2026 at 10:15:00 CET`, `3. november 2026 kl. 10.15.00 CET`) and
/// numeric dates (`03.11.2026 10:15`, `2026-11-03 10:15`). Without a zone the time
/// is `local`.
pub fn forwarded_date(value: &str, local: Tz) -> Option<DateTime<Utc>> {
    let value = value.trim();
    if let Ok(date) = DateTime::parse_from_rfc2822(value) {
        return Some(date.to_utc());
    }
    let lower = value.to_lowercase();
    let tokens: Vec<&str> = lower
        .split(|c: char| c.is_whitespace() || c == ',')
        .filter(|t| !t.is_empty())
        .collect();
    let date = date_of(&tokens, lower.contains("am") || lower.contains("pm"))?;
    let time = time_of(&tokens).unwrap_or(NaiveTime::MIN);
    let naive = NaiveDateTime::new(date, time);
    match zone_of(&tokens) {
        Some(offset) => offset
            .from_local_datetime(&naive)
            .single()
            .map(|d| d.to_utc()),
        None => local
            .from_local_datetime(&naive)
            .earliest()
            .map(|d| d.to_utc()),
    }
}

/// The calendar date: numeric (`2026-11-03`, `03.11.2026`, `3/11/2026`) or a day,
/// a month name and a year in any order.
fn date_of(tokens: &[&str], twelve_hour: bool) -> Option<NaiveDate> {
    for token in tokens {
        if let Some(date) = numeric_date(token, twelve_hour) {
            return Some(date);
        }
    }
    let year = tokens
        .iter()
        .filter_map(|t| t.trim_end_matches('.').parse::<i32>().ok())
        .find(|y| (1970..=2100).contains(y))?;
    let month = tokens.iter().find_map(|t| month_named(t))?;
    let day = tokens
        .iter()
        .filter(|t| !t.contains(':') && t.chars().filter(|c| *c == '.').count() <= 1)
        .filter_map(|t| t.trim_end_matches('.').parse::<u32>().ok())
        .find(|d| (1..=31).contains(d))?;
    NaiveDate::from_ymd_opt(year, month, day)
}

fn numeric_date(token: &str, twelve_hour: bool) -> Option<NaiveDate> {
    let token = token.trim_end_matches('.');
    let numbers = |sep: char| -> Option<Vec<u32>> {
        let parts: Vec<u32> = token
            .split(sep)
            .map(|p| p.parse().ok())
            .collect::<Option<_>>()?;
        (parts.len() == 3).then_some(parts)
    };
    if let Some(p) = numbers('-').filter(|p| p[0] > 31) {
        return NaiveDate::from_ymd_opt(p[0] as i32, p[1], p[2]);
    }
    if let Some(p) = numbers('.').filter(|p| p[2] > 31) {
        return NaiveDate::from_ymd_opt(p[2] as i32, p[1], p[0]);
    }
    let p = numbers('/').filter(|p| p[2] > 31)?;
    // Day first in Europe; month first when it cannot be a month or the clock is
    // written the American way.
    let month_first = p[1] > 12 || (twelve_hour && p[0] <= 12);
    let (day, month) = if month_first {
        (p[1], p[0])
    } else {
        (p[0], p[1])
    };
    NaiveDate::from_ymd_opt(p[2] as i32, month, day)
}

/// The month a name or its abbreviation stands for, in the five languages.
fn month_named(token: &str) -> Option<u32> {
    const MONTHS: [&[&str]; 12] = [
        &["jan", "januar", "january", "januari"],
        &["feb", "febr", "februar", "february", "februari"],
        &["mar", "mär", "mars", "marts", "march"],
        &["apr", "april"],
        &["maj", "mai", "may"],
        &["jun", "juni", "june"],
        &["jul", "juli", "july"],
        &["aug", "august", "augusti"],
        &["sep", "sept", "september"],
        &["okt", "oct", "oktober", "october"],
        &["nov", "november"],
        &["dec", "des", "december", "desember"],
    ];
    let word = token.trim_end_matches('.');
    MONTHS
        .iter()
        .position(|names| names.contains(&word))
        .map(|i| i as u32 + 1)
}

/// The clock time: `10:15`, `10:15:23`, `10.15.00` (Apple in Danish), `kl. 10.15`,
/// with `AM`/`PM` after it.
fn time_of(tokens: &[&str]) -> Option<NaiveTime> {
    for (i, token) in tokens.iter().enumerate() {
        let after_kl = i > 0 && tokens[i - 1].trim_end_matches('.') == "kl";
        let separator = if token.contains(':') {
            ':'
        } else if after_kl || token.matches('.').count() == 2 {
            '.'
        } else {
            continue;
        };
        let parts: Vec<u32> = match token
            .trim_end_matches('.')
            .split(separator)
            .map(|p| p.parse().ok())
            .collect::<Option<Vec<u32>>>()
        {
            Some(parts) if (2..=3).contains(&parts.len()) => parts,
            _ => continue,
        };
        let mut hour = parts[0];
        match tokens.get(i + 1).copied() {
            Some("pm" | "p.m.") if hour < 12 => hour += 12,
            Some("am" | "a.m.") if hour == 12 => hour = 0,
            _ => {}
        }
        if let Some(time) = NaiveTime::from_hms_opt(hour, parts[1], *parts.get(2).unwrap_or(&0)) {
            return Some(time);
        }
    }
    None
}

/// A zone written after the time: `+0100`, `-05:00`, `GMT+1`, `UTC`, `CET`, `CEST`.
fn zone_of(tokens: &[&str]) -> Option<FixedOffset> {
    tokens.iter().rev().find_map(|token| {
        let hours = |h: i32| FixedOffset::east_opt(h * 3600);
        match *token {
            "utc" | "gmt" | "z" => return hours(0),
            "cet" | "met" => return hours(1),
            "cest" | "mest" | "eet" => return hours(2),
            "eest" => return hours(3),
            _ => {}
        }
        let signed = token
            .strip_prefix("gmt")
            .or_else(|| token.strip_prefix("utc"))
            .unwrap_or(token);
        let sign = match signed.chars().next()? {
            '+' => 1,
            '-' => -1,
            _ => return None,
        };
        let digits: String = signed[1..].chars().filter(char::is_ascii_digit).collect();
        let (h, m) = match digits.len() {
            1 | 2 => (digits.parse::<i32>().ok()?, 0),
            4 => (digits[..2].parse().ok()?, digits[2..].parse().ok()?),
            _ => return None,
        };
        (h <= 14 && m < 60).then(|| FixedOffset::east_opt(sign * (h * 3600 + m * 60)))?
    })
}

/// Whether `date` lies in a plausible past of `reference`: not after it, and not
/// more than `max_days` before it.
pub fn plausibly_before(date: DateTime<Utc>, reference: DateTime<Utc>, max_days: i64) -> bool {
    date <= reference && reference - date <= chrono::Duration::days(max_days) && date.year() > 1970
}

#[cfg(test)]
mod tests;
