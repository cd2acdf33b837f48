//! A case without its personal data (GDPR art. 5(1)(e)): what stays is what the
//! register needs (dates, category, outcome, tier, deadlines met, the contact
//! person), what goes is the customer's address, name, subject and every text
//! they or staff wrote about them. Pure: the caller stores the result.

use super::model::{Case, Event};
use super::refusal::Refusal;
use crate::domain::EmailAddress;

/// What an anonymised text reads.
pub const ANONYMISED: &str = "[anonymised]";

/// The address that stands for the customer once anonymised (`.invalid` is
/// reserved: no mail can ever go there).
pub fn anonymised_address() -> EmailAddress {
    EmailAddress::parse("anonymised@anonymised.invalid").expect("a valid address")
}

/// The case with the customer's address, name, subject and Message-IDs replaced;
/// its dates, status, tier, category, outcome and links unchanged.
pub fn anonymised_case(case: &Case) -> Case {
    Case {
        customer: anonymised_address(),
        customer_name: None,
        subject: ANONYMISED.to_string(),
        customer_message_id: String::new(),
        last_customer_message_id: String::new(),
        ..case.clone()
    }
}

/// One timeline event without the customer's address, subject, Message-IDs and
/// any free text (notes, reasons, hold reasons, refused commands' words).
pub fn anonymised_event(event: &Event) -> Event {
    let text = || ANONYMISED.to_string();
    match event {
        Event::Opened { by, .. } => Event::Opened {
            message_id: String::new(),
            from: anonymised_address(),
            subject: text(),
            by: by.clone(),
        },
        Event::CustomerMail { .. } => Event::CustomerMail {
            message_id: String::new(),
            subject: text(),
        },
        Event::EscalationRequested { .. } => Event::EscalationRequested {
            message_id: String::new(),
        },
        Event::Reconsideration { received_at, .. } => Event::Reconsideration {
            message_id: String::new(),
            received_at: *received_at,
        },
        Event::CustomerAddressChanged { by, .. } => Event::CustomerAddressChanged {
            address: anonymised_address(),
            by: by.clone(),
        },
        Event::Note { by, .. } => Event::Note {
            by: by.clone(),
            text: text(),
        },
        Event::HoldingReply { new_due, by, .. } => Event::HoldingReply {
            reason: text(),
            new_due: *new_due,
            by: by.clone(),
        },
        Event::Bounced { .. } => Event::Bounced {
            message_id: String::new(),
            original: None,
        },
        Event::CommandRejected { by, reason } => Event::CommandRejected {
            by: by.clone(),
            reason: Refusal::Text(reason.code().to_string()),
        },
        Event::LegalHold { by, .. } => Event::LegalHold {
            by: by.clone(),
            reason: text(),
        },
        other => other.clone(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::case::Outcome;

    #[test]
    fn every_event_with_personal_data_loses_it() {
        let kari = EmailAddress::parse("kari.nordmann@example.no").unwrap();
        let staff = EmailAddress::parse("ola@bank.example").unwrap();
        let events = [
            Event::Opened {
                message_id: "<abc@kari-nordmann.no>".into(),
                from: kari.clone(),
                subject: "Kari Nordmann klager".into(),
                by: None,
            },
            Event::CustomerMail {
                message_id: "<def@kari-nordmann.no>".into(),
                subject: "Kari Nordmann igjen".into(),
            },
            Event::CustomerAddressChanged {
                address: kari.clone(),
                by: staff.clone(),
            },
            Event::Note {
                by: staff.clone(),
                text: "Kari Nordmann ringte, 41234567".into(),
            },
            Event::HoldingReply {
                reason: "Kari Nordmann sin sak".into(),
                new_due: chrono::NaiveDate::from_ymd_opt(2026, 1, 5).unwrap(),
                by: None,
            },
            Event::LegalHold {
                by: staff.clone(),
                reason: "tvist med Kari Nordmann".into(),
            },
            Event::Bounced {
                message_id: "<x@kari-nordmann.no>".into(),
                original: Some("<y@kari-nordmann.no>".into()),
            },
        ];
        for event in &events {
            let after = serde_json::to_string(&anonymised_event(event)).unwrap();
            for personal in ["Kari", "kari", "41234567"] {
                assert!(!after.contains(personal), "{after}");
            }
            assert_eq!(anonymised_event(event).kind(), event.kind());
        }
        let decided = Event::Decided {
            outcome: Outcome::Upheld,
            by: staff,
            referred: false,
        };
        assert_eq!(anonymised_event(&decided), decided);
    }
}
