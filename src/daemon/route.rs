//! Where an inbound mail belongs (pure): a new case, a follow-up in an existing
//! case, a bounce of our own mail, a staff reply, or nowhere.
//!
//! The rules of DESIGN §5: automated mail is never answered; a case accepts mail
//! from its own customer or threaded by one of our Message-IDs; a reference written
//! by anyone else opens a new case linked to the old one, so that no mail ever
//! lands in someone else's case.

use crate::classify::{AutomatedKind, Classification, RefSource};
use crate::domain::{CaseRef, EmailAddress};

/// What the database knows about the cases a mail points at. The shell looks these
/// up; [`route`] decides.
#[derive(Debug, Default, Clone)]
pub struct Lookup {
    /// The case of a Message-ID in In-Reply-To/References (ours or the customer's),
    /// with that case's customer.
    pub thread: Option<KnownCase>,
    /// The case named by the subject's reference, with that case's customer.
    pub subject: Option<KnownCase>,
    /// The case of the mail a bounce reports on (one of our Message-IDs).
    pub bounced: Option<CaseRef>,
    /// A case that already holds this very Message-ID from the customer (the same
    /// mail reached us through a second mailbox).
    pub already_recorded: Option<CaseRef>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct KnownCase {
    pub reference: CaseRef,
    pub customer: EmailAddress,
    /// Whether the thread match was on one of our own Message-IDs.
    pub by_our_message_id: bool,
}

/// The decision for one inbound mail.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Route {
    /// Open a new case; `linked` when the mail named another sender's case.
    NewCase { linked: Option<CaseRef> },
    /// Another mail in an existing case from someone allowed to write to it.
    FollowUp { case: CaseRef },
    /// A delivery failure of a mail we sent in this case.
    Bounce { case: CaseRef },
    /// The same mail was already handled through another mailbox.
    Duplicate { case: CaseRef },
    /// Nothing to do; the reason goes to the log.
    Ignore { reason: String },
}

/// Decides where a mail goes. `sender` is the From address (None when missing or
/// unparseable); `from_staff` is true when the sender is configured staff.
pub fn route(
    sender: Option<&EmailAddress>,
    classification: &Classification,
    lookup: &Lookup,
    from_staff: bool,
) -> Route {
    if let Some(case) = &lookup.already_recorded {
        return Route::Duplicate { case: case.clone() };
    }
    if classification.automated {
        return route_automated(classification, lookup);
    }
    let Some(sender) = sender else {
        return Route::Ignore {
            reason: "no usable From address: there is no one to answer".into(),
        };
    };
    if from_staff {
        return Route::Ignore {
            reason: "mail from a staff address without a valid case token: no command run, no case opened"
                .into(),
        };
    }
    if let Some(thread) = &lookup.thread
        && (thread.by_our_message_id || same_person(&thread.customer, sender))
    {
        return Route::FollowUp {
            case: thread.reference.clone(),
        };
    }
    if let Some(named) = &lookup.subject {
        if same_person(&named.customer, sender) {
            return Route::FollowUp {
                case: named.reference.clone(),
            };
        }
        return Route::NewCase {
            linked: Some(named.reference.clone()),
        };
    }
    if let Some(thread) = &lookup.thread {
        // Threaded to someone else's mail (not ours): a new case that points at it.
        return Route::NewCase {
            linked: Some(thread.reference.clone()),
        };
    }
    if classification.complaint {
        return Route::NewCase { linked: None };
    }
    let reason = match (&classification.case_ref, classification.case_ref_source) {
        (Some(r), Some(RefSource::Subject)) => {
            format!("not a complaint; its reference {r} names no known case")
        }
        _ => "not a complaint".to_string(),
    };
    Route::Ignore { reason }
}

fn route_automated(classification: &Classification, lookup: &Lookup) -> Route {
    let kind = classification.automated_kind;
    if matches!(kind, Some(AutomatedKind::Bounce))
        && let Some(case) = &lookup.bounced
    {
        return Route::Bounce { case: case.clone() };
    }
    let why = classification
        .reasons
        .first()
        .cloned()
        .unwrap_or_else(|| "automated mail".into());
    Route::Ignore {
        reason: format!("automated mail, never answered: {why}"),
    }
}

fn same_person(a: &EmailAddress, b: &EmailAddress) -> bool {
    a.key() == b.key()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::Language;

    fn addr(s: &str) -> EmailAddress {
        EmailAddress::parse(s).unwrap()
    }

    fn reference(n: u32) -> CaseRef {
        CaseRef::new("KL", 2026, n).unwrap()
    }

    fn classification(complaint: bool) -> Classification {
        Classification {
            complaint,
            language: Language::Da,
            automated: false,
            automated_kind: None,
            case_ref: None,
            case_ref_source: None,
            escalation_request: false,
            category: None,
            complaint_probability: None,
            reasons: vec![],
        }
    }

    fn known(n: u32, customer: &str, ours: bool) -> Option<KnownCase> {
        Some(KnownCase {
            reference: reference(n),
            customer: addr(customer),
            by_our_message_id: ours,
        })
    }

    #[test]
    fn routes_by_the_rules_of_who_may_write_to_a_case() {
        let anna = addr("anna@example.dk");
        let bo = addr("bo@example.dk");
        let table: Vec<(&str, &EmailAddress, Classification, Lookup, Route)> = vec![
            (
                "a new complaint opens a case",
                &anna,
                classification(true),
                Lookup::default(),
                Route::NewCase { linked: None },
            ),
            (
                "a question opens nothing",
                &anna,
                classification(false),
                Lookup::default(),
                Route::Ignore {
                    reason: "not a complaint".into(),
                },
            ),
            (
                "the customer's reply to our mail is a follow-up",
                &anna,
                classification(false),
                Lookup {
                    thread: known(1, "anna@example.dk", true),
                    ..Default::default()
                },
                Route::FollowUp { case: reference(1) },
            ),
            (
                "a reply threaded by our Message-ID from another address is a follow-up",
                &bo,
                classification(false),
                Lookup {
                    thread: known(1, "anna@example.dk", true),
                    ..Default::default()
                },
                Route::FollowUp { case: reference(1) },
            ),
            (
                "the customer's reference in the subject is a follow-up",
                &anna,
                classification(true),
                Lookup {
                    subject: known(2, "Anna@Example.dk", false),
                    ..Default::default()
                },
                Route::FollowUp { case: reference(2) },
            ),
            (
                "someone else's reference opens a new linked case",
                &bo,
                classification(true),
                Lookup {
                    subject: known(2, "anna@example.dk", false),
                    ..Default::default()
                },
                Route::NewCase {
                    linked: Some(reference(2)),
                },
            ),
            (
                "a reply to another customer's own mail opens a new linked case",
                &bo,
                classification(true),
                Lookup {
                    thread: known(3, "anna@example.dk", false),
                    ..Default::default()
                },
                Route::NewCase {
                    linked: Some(reference(3)),
                },
            ),
            (
                "the same mail through a second mailbox is a duplicate",
                &anna,
                classification(true),
                Lookup {
                    already_recorded: Some(reference(4)),
                    ..Default::default()
                },
                Route::Duplicate { case: reference(4) },
            ),
        ];
        for (what, sender, c, lookup, expected) in table {
            assert_eq!(route(Some(sender), &c, &lookup, false), expected, "{what}");
        }
    }

    #[test]
    fn automated_mail_is_never_a_case_but_a_bounce_of_ours_is_attached() {
        let anna = addr("anna@example.dk");
        let mut ooo = classification(true);
        ooo.automated = true;
        ooo.automated_kind = Some(AutomatedKind::AutoReply);
        ooo.reasons = vec!["Auto-Submitted: auto-replied".into()];
        let lookup = Lookup {
            thread: known(1, "anna@example.dk", true),
            ..Default::default()
        };
        assert!(matches!(
            route(Some(&anna), &ooo, &lookup, false),
            Route::Ignore { .. }
        ));

        let mut bounce = classification(false);
        bounce.automated = true;
        bounce.automated_kind = Some(AutomatedKind::Bounce);
        let lookup = Lookup {
            bounced: Some(reference(5)),
            ..Default::default()
        };
        assert_eq!(
            route(None, &bounce, &lookup, false),
            Route::Bounce { case: reference(5) }
        );
        assert!(matches!(
            route(None, &bounce, &Lookup::default(), false),
            Route::Ignore { .. }
        ));
    }

    #[test]
    fn staff_without_a_token_and_senderless_mail_open_nothing() {
        let staff = addr("mette@company.dk");
        assert!(matches!(
            route(
                Some(&staff),
                &classification(true),
                &Lookup::default(),
                true
            ),
            Route::Ignore { .. }
        ));
        assert!(matches!(
            route(None, &classification(true), &Lookup::default(), false),
            Route::Ignore { .. }
        ));
    }
}
