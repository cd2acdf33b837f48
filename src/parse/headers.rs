//! Header fields of one message: the raw list, threading ids, Return-Path,
//! addresses and a tolerant Date.

use chrono::{DateTime, Utc};
use mail_parser::{Addr, Message};

use super::Address;
use crate::domain::EmailAddress;

/// Every header of the message as (lower-case name, unfolded trimmed value), read
/// from the raw header block itself: mail-parser can let a malformed field swallow
/// the next one, and a header classify needs must not disappear that way. Values
/// are made UTF-8 lossily, so 8-bit junk costs a character, never the header.
pub(super) fn all_headers(message: &Message<'_>) -> Vec<(String, String)> {
    let raw: &[u8] = message.raw_message.as_ref();
    let (start, end) = message.parts.first().map_or((0, raw.len()), |p| {
        (p.offset_header as usize, p.offset_body as usize)
    });
    let block = String::from_utf8_lossy(raw.get(start..end).unwrap_or_default());
    let mut fields: Vec<(String, String)> = Vec::new();
    for line in block.split('\n').map(|l| l.trim_end_matches('\r')) {
        if line.starts_with([' ', '\t']) {
            if let Some((_, value)) = fields.last_mut() {
                value.push(' ');
                value.push_str(line.trim());
            }
        } else if let Some((name, value)) = line.split_once(':') {
            let name = name.trim();
            if !name.is_empty() && !name.contains(char::is_whitespace) {
                fields.push((name.to_ascii_lowercase(), value.trim().to_string()));
            }
        } else if line.trim().is_empty() {
            break;
        }
    }
    for (_, value) in &mut fields {
        *value = value.trim().to_string();
    }
    fields
}

/// The ids in a header such as References: every `<…>`, or the bare words when a
/// broken client left the brackets out.
pub(crate) fn parse_ids(value: &str) -> Vec<String> {
    let mut ids = Vec::new();
    let mut rest = value;
    while let Some(start) = rest.find('<') {
        let after = &rest[start + 1..];
        let Some(end) = after.find('>') else { break };
        let id = after[..end].trim();
        if !id.is_empty() {
            ids.push(id.to_string());
        }
        rest = &after[end + 1..];
    }
    if ids.is_empty() {
        ids = value
            .split(|c: char| c.is_whitespace() || c == ',')
            .filter(|w| w.contains('@'))
            .map(|w| w.trim_matches(|c| c == '<' || c == '>').to_string())
            .collect();
    }
    ids
}

/// All ids of every header with that name, in order, without duplicates.
pub(super) fn ids(headers: &[(String, String)], name: &str) -> Vec<String> {
    let mut out: Vec<String> = Vec::new();
    for (_, value) in headers.iter().filter(|(n, _)| n == name) {
        for id in parse_ids(value) {
            if !out.contains(&id) {
                out.push(id);
            }
        }
    }
    out
}

pub(super) fn message_id(headers: &[(String, String)]) -> Option<String> {
    ids(headers, "message-id").into_iter().next()
}

/// The first (top-most, added last) Return-Path; `<>` gives `Some("")`.
pub(super) fn return_path(headers: &[(String, String)]) -> Option<String> {
    let (_, value) = headers.iter().find(|(n, _)| n == "return-path")?;
    Some(crate::domain::strip_angle_brackets(value).to_string())
}

pub(super) fn first_address(list: Option<&mail_parser::Address<'_>>) -> Option<Address> {
    list?.iter().find_map(address)
}

/// The From address read from the raw header, for when mail-parser found none.
pub(super) fn from_fallback(headers: &[(String, String)]) -> Option<Address> {
    let (_, value) = headers.iter().find(|(n, _)| n == "from")?;
    let (name, addr) = match (value.find('<'), value.rfind('>')) {
        (Some(open), Some(close)) if open < close => {
            (value[..open].trim(), &value[open + 1..close])
        }
        _ => ("", value.split_whitespace().find(|w| w.contains('@'))?),
    };
    let email = EmailAddress::parse(addr).ok()?;
    let name = name.trim_matches('"').trim();
    Some(Address {
        name: (!name.is_empty()).then(|| name.to_string()),
        email,
    })
}

pub(super) fn addresses(list: Option<&mail_parser::Address<'_>>) -> Vec<Address> {
    list.map(|l| l.iter().filter_map(address).collect())
        .unwrap_or_default()
}

fn address(addr: &Addr<'_>) -> Option<Address> {
    let email = EmailAddress::parse(addr.address()?).ok()?;
    let name = addr
        .name()
        .map(|n| n.trim().trim_matches('"').trim().to_string())
        .filter(|n| !n.is_empty());
    Some(Address { name, email })
}

/// The From header as text: `Name <address>` when it parsed, else the raw value.
pub(super) fn decoded_from(message: &Message<'_>, headers: &[(String, String)]) -> String {
    let parsed = message
        .from()
        .and_then(|l| l.first())
        .map(|a| match (a.name(), a.address()) {
            (Some(n), Some(e)) => format!("{n} <{e}>"),
            (None, Some(e)) => e.to_string(),
            (Some(n), None) => n.to_string(),
            (None, None) => String::new(),
        });
    match parsed.filter(|s| !s.is_empty()) {
        Some(s) => s,
        None => headers
            .iter()
            .find(|(n, _)| n == "from")
            .map(|(_, v)| v.clone())
            .unwrap_or_default(),
    }
}

/// The Date header, when it is a real date; a malformed one is simply absent.
pub(super) fn date(message: &Message<'_>) -> Option<DateTime<Utc>> {
    let date = message.date()?;
    if !date.is_valid() {
        return None;
    }
    DateTime::from_timestamp(date.to_timestamp(), 0)
}
