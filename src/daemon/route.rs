//! Where an inbound mail belongs: staff work on a case (a command by token, an
//! answer copied to us, a forward with `#open`), a new case, a follow-up in an
//! existing case, a bounce of our own mail, or nowhere. [`for_mail`] looks up
//! what the mail points at through the narrow [`Lookups`]; [`route`] (pure)
//! decides by the rules of DESIGN §5: automated mail is never answered; a case
//! accepts mail from its own customer or threaded by one of our Message-IDs; a
//! reference written by anyone else opens a new case linked to the old one, so
//! that no mail ever lands in someone else's case. Staff act only with a valid
//! per-case token or, for copies and forwards, as configured staff.

use tracing::warn;

use super::inbound::{Env, Forwarded, Inbound, Lookups, Route};
use crate::case::command::starts_with_open;
use crate::classify::{AutomatedKind, Classification, RefSource};
use crate::domain::{CaseRef, EmailAddress, LeftReason};
use crate::parse::InboundMail;

/// What the database knows about the cases a mail points at. The shell looks these
/// up; [`route`] decides.
#[derive(Debug, Default, Clone)]
pub struct Lookup {
    /// The case of a Message-ID in In-Reply-To/References (ours or the customer's),
    /// with that case's customer.
    pub thread: Option<KnownCase>,
    /// The case named by the subject's reference, with that case's customer.
    pub subject: Option<KnownCase>,
    /// The case and number of our mail a bounce came back for, read from the
    /// signed envelope sender it was sent to (VERP), never from the DSN's text.
    pub bounced: Option<(CaseRef, u32)>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct KnownCase {
    pub reference: CaseRef,
    pub customer: EmailAddress,
}

/// Decides where a mail goes. `sender` is the From address (None when missing or
/// unparseable); `from_staff` is true when the sender is configured staff.
pub fn route(
    sender: Option<&EmailAddress>,
    classification: &Classification,
    lookup: &Lookup,
    from_staff: bool,
) -> Route {
    if classification.automated {
        return route_automated(classification, lookup);
    }
    let Some(sender) = sender else {
        return Route::Ignore {
            reason: LeftReason::NoSender,
            note: "no usable From address: there is no one to answer".into(),
        };
    };
    if from_staff {
        return Route::Ignore {
            reason: LeftReason::ColleagueMail,
            note: "mail from a staff address without a valid case token: no command run, no case opened"
                .into(),
        };
    }
    // Threading joins a case only from its own customer: our Message-IDs are
    // unguessable, but a stranger may still hold one (a forwarded mail).
    if let Some(thread) = &lookup.thread
        && same_person(&thread.customer, sender)
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
        // Threaded into someone else's case: a new case that points at it.
        return Route::NewCase {
            linked: Some(thread.reference.clone()),
        };
    }
    if classification.complaint {
        return Route::NewCase { linked: None };
    }
    match (&classification.case_ref, classification.case_ref_source) {
        (Some(r), Some(RefSource::Subject)) => Route::Ignore {
            reason: LeftReason::UnknownReference,
            note: format!("not a complaint; its reference {r} names no known case"),
        },
        _ => Route::Ignore {
            reason: LeftReason::NotComplaint,
            note: "not a complaint".to_string(),
        },
    }
}

fn route_automated(classification: &Classification, lookup: &Lookup) -> Route {
    let kind = classification.automated_kind;
    if matches!(kind, Some(AutomatedKind::Bounce))
        && let Some((case, seq)) = &lookup.bounced
    {
        return Route::Bounce {
            case: case.clone(),
            seq: *seq,
        };
    }
    // The reason's kind only: its quoted header or subject goes to no log.
    let why = classification
        .reasons
        .first()
        .map(|r| crate::classify::unquoted(r).to_string())
        .unwrap_or_else(|| "automated mail".into());
    Route::Automated {
        reason: format!("automated mail, never answered: {why}"),
    }
}

/// Routes one mail: a colleague's work first (a command needs a case token; a
/// copy or a forward needs our MX to vouch for the colleague, where configured),
/// then what the database knows about the cases the mail points at, decided by
/// [`route`].
pub async fn for_mail(
    inbound: &Inbound<'_>,
    env: Env<'_>,
    look: &mut impl Lookups,
) -> anyhow::Result<Route> {
    // The same mail through a second mailbox (a Cc to helpdesk@ and klage@, an
    // alias delivering twice) is carried out once, whoever sent it.
    if !inbound.mail.message_id_generated
        && let Some(case) = look.case_of_message(&inbound.mail.message_id).await?
    {
        return Ok(Route::Duplicate { case });
    }
    let sender = inbound.sender();
    let automated = inbound.classification.automated;
    if let Some(sender) = sender
        && !automated
    {
        if env.config.is_own_address(sender) {
            warn!("mail from one of our own addresses: left for a person, never answered");
            return Ok(Route::Ignore {
                reason: LeftReason::ColleagueMail,
                note: "mail from one of klagebot's own addresses: nothing sent, no case opened"
                    .into(),
            });
        }
        if let Some(route) = colleague_work(inbound, sender, env, look).await? {
            return Ok(route);
        }
    }
    let lookup = gather(inbound.mail, &inbound.classification, env, look).await?;
    let from_staff = sender.is_some_and(|s| env.config.staff_by_address(s).is_some());
    if from_staff {
        warn!("mail from a staff address without a valid case token: no command run");
    }
    Ok(route(sender, &inbound.classification, &lookup, from_staff))
}

/// What the database knows about the cases the mail points at.
async fn gather(
    mail: &InboundMail,
    c: &Classification,
    env: Env<'_>,
    look: &mut impl Lookups,
) -> anyhow::Result<Lookup> {
    let mut found = Lookup::default();
    // The most recent id first: In-Reply-To, then References from the end.
    let thread_ids = mail.in_reply_to.iter().chain(mail.references.iter().rev());
    for id in thread_ids {
        if let Some(reference) = look.case_of_message(id).await? {
            found.thread = known_case(look, reference).await?;
            break;
        }
    }
    if let (Some(reference), Some(RefSource::Subject)) = (&c.case_ref, c.case_ref_source) {
        found.subject = known_case(look, reference.clone()).await?;
    }
    let company = &env.config.company;
    found.bounced = recipients(mail).find_map(|addr| {
        crate::outbox::verify_bounce_address(
            &addr,
            &company.complaint_address,
            env.token_secret,
            &company.case_prefix,
        )
    });
    Ok(found)
}

async fn known_case(
    look: &mut impl Lookups,
    reference: CaseRef,
) -> anyhow::Result<Option<KnownCase>> {
    Ok(look.case(&reference).await?.map(|case| KnownCase {
        reference,
        customer: case.customer,
    }))
}

/// A colleague's work on a case or a customer's mail, or `None` when the mail is
/// to be routed as any other. A colleague is configured staff or anyone at the
/// company's own domains.
async fn colleague_work(
    inbound: &Inbound<'_>,
    sender: &EmailAddress,
    env: Env<'_>,
    look: &mut impl Lookups,
) -> anyhow::Result<Option<Route>> {
    let mail = inbound.mail;
    let is_staff = env.config.staff_by_address(sender).is_some();
    if let Some(case) = token_case(mail, env) {
        if !is_staff {
            warn!(case = %case, "a case reply address used by someone who is not staff: no command run");
            return Ok(None);
        }
        let security = &env.config.security;
        if security.require_authentication_results && vouched(mail, sender, env) != Some(true) {
            warn!(case = %case, "staff reply without a passing Authentication-Results from our MX: no command run");
            return Ok(None);
        }
        return Ok(Some(Route::StaffCommand {
            case,
            by: sender.clone(),
        }));
    }
    if !env.config.is_colleague(sender) {
        return Ok(None);
    }
    if vouched(mail, sender, env) == Some(false) {
        warn!("a colleague's mail our MX did not vouch for: left for a person");
        return Ok(Some(Route::Ignore {
            reason: LeftReason::Unverified,
            note: "a colleague's mail without a passing Authentication-Results from our MX: nothing done".into(),
        }));
    }
    if let Some(original) = &inbound.forwarded {
        return forward(inbound, original, sender, env, look)
            .await
            .map(Some);
    }
    if starts_with_open(&mail.new_text) {
        warn!("#open on a mail with no forwarded customer mail in it: nothing opened");
        return Ok(Some(Route::Ignore {
            reason: LeftReason::NothingToOpen,
            note: "#open found no forwarded customer mail".into(),
        }));
    }
    if is_staff && let Some(case) = copied_answer(mail, &inbound.classification, look).await? {
        // Without an authserv-id nothing can vouch for the sender: the copy is
        // kept, never counted as the answer until the contact person confirms it.
        let verified = vouched(mail, sender, env) == Some(true);
        if !verified {
            warn!(case = %case, "an answer copied to us that our MX cannot vouch for: kept as unverified");
        }
        return Ok(Some(Route::StaffCopy {
            case,
            by: sender.clone(),
            verified,
        }));
    }
    if crate::parse::looks_forwarded(mail) {
        return Ok(Some(Route::Ignore {
            reason: LeftReason::ColleagueMail,
            note: "a colleague's forward in which no customer mail could be read: no case opened"
                .into(),
        }));
    }
    if !is_staff && env.config.company.is_listed_internal(sender) {
        return Ok(Some(Route::Ignore {
            reason: LeftReason::ColleagueMail,
            note: "a colleague's own mail (a listed internal domain): no case opened, since \
                   klagebot writes to no colleague as a customer"
                .into(),
        }));
    }
    // Staff write to a case through its reply address; anyone else at the
    // company's own domain who writes as themselves is routed like any sender.
    Ok(None)
}

/// How far back an echo's earlier rounds are looked for.
const ECHO_LOOKBACK: chrono::Duration = chrono::Duration::hours(24);

/// Whether the mail is the second (or later) round of an auto-responder that
/// echoes our mail without saying it is one ([`crate::classify::echo`]): its
/// case is kept, but nothing automatic answers it.
pub async fn echoes_our_mail(
    inbound: &Inbound<'_>,
    look: &mut impl Lookups,
) -> anyhow::Result<bool> {
    let Some(sender) = inbound.sender() else {
        return Ok(false);
    };
    let fingerprint = crate::classify::echo::of_mail(inbound.mail);
    if fingerprint.is_none() {
        return Ok(false);
    }
    let arrived = inbound.received_at;
    let since = arrived - ECHO_LOOKBACK;
    let ours = look.mail_to(sender, since).await?;
    if ours.is_empty() {
        return Ok(false);
    }
    let earlier = look.mail_from(sender, since, inbound.id).await?;
    Ok(crate::classify::echo::is_echo(
        arrived,
        fingerprint,
        &earlier,
        &ours,
    ))
}

/// Whether our MX vouches for the sender (`None` where no authserv-id is
/// configured: nothing can be checked then).
fn vouched(mail: &InboundMail, sender: &EmailAddress, env: Env<'_>) -> Option<bool> {
    let id = env.config.security.authserv_id.as_deref()?;
    Some(crate::parse::auth::vouched_by(mail, id, sender.domain()))
}

/// The case of the first recipient address that carries a valid token.
fn token_case(mail: &InboundMail, env: Env<'_>) -> Option<CaseRef> {
    let company = &env.config.company;
    recipients(mail).find_map(|addr| {
        crate::outbox::verify_reply_address(
            &addr,
            &company.complaint_address,
            env.token_secret,
            &company.case_prefix,
        )
    })
}

/// Every address the mail was delivered to: To, Cc and the delivery headers.
pub(crate) fn recipients(mail: &InboundMail) -> impl Iterator<Item = EmailAddress> + '_ {
    let header_addresses = ["delivered-to", "x-original-to"]
        .into_iter()
        .flat_map(|h| mail.headers_named(h))
        .filter_map(|v| EmailAddress::parse(v).ok());
    mail.to
        .iter()
        .chain(mail.cc.iter())
        .map(|a| a.email.clone())
        .chain(header_addresses)
}

/// The case of a staff mail to a case's customer, with the reference in its
/// subject.
async fn copied_answer(
    mail: &InboundMail,
    classification: &Classification,
    look: &mut impl Lookups,
) -> anyhow::Result<Option<CaseRef>> {
    let (Some(reference), Some(RefSource::Subject)) =
        (&classification.case_ref, classification.case_ref_source)
    else {
        return Ok(None);
    };
    let Some(case) = look.case(reference).await? else {
        return Ok(None);
    };
    let to_customer = mail.to.iter().any(|a| a.email.key() == case.customer.key());
    Ok(to_customer.then(|| reference.clone()))
}

/// A customer's mail a colleague forwarded (attached, inline, or stored and
/// named by a per-mail address): the customer's complaint, unless it is no
/// customer's mail or is in a case already. `#open` on top opens it whatever
/// the classifier says.
async fn forward(
    inbound: &Inbound<'_>,
    original: &Forwarded,
    by: &EmailAddress,
    env: Env<'_>,
    look: &mut impl Lookups,
) -> anyhow::Result<Route> {
    let ignore = |reason, note: String| Ok(Route::Ignore { reason, note });
    let Some(customer) = original.mail.from.as_ref().map(|a| &a.email) else {
        return ignore(
            LeftReason::NothingToOpen,
            "the forwarded mail has no sender address".into(),
        );
    };
    if env.config.staff_by_address(customer).is_some() || customer.key() == by.key() {
        return ignore(
            LeftReason::ColleagueMail,
            "the forwarded mail is staff's own, not a customer's".into(),
        );
    }
    let in_case = match (&original.stored_case, original.mail.message_id_generated) {
        (Some(case), _) => Some(case.clone()),
        (None, false) => look.case_of_message(&original.mail.message_id).await?,
        (None, true) => None,
    };
    if let Some(case) = in_case {
        warn!(case = %case, "a forwarded mail that is in a case already: nothing opened");
        return Ok(Route::ForwardInCase {
            case,
            by: by.clone(),
        });
    }
    Ok(Route::OpenForwarded {
        by: by.clone(),
        forced: starts_with_open(&inbound.mail.new_text),
    })
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

    fn known(n: u32, customer: &str) -> Option<KnownCase> {
        Some(KnownCase {
            reference: reference(n),
            customer: addr(customer),
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
                    reason: LeftReason::NotComplaint,
                    note: "not a complaint".into(),
                },
            ),
            (
                "the customer's reply to our mail is a follow-up",
                &anna,
                classification(false),
                Lookup {
                    thread: known(1, "anna@example.dk"),
                    ..Default::default()
                },
                Route::FollowUp { case: reference(1) },
            ),
            (
                "a reply threaded by our Message-ID from another address opens a new linked case",
                &bo,
                classification(false),
                Lookup {
                    thread: known(1, "anna@example.dk"),
                    ..Default::default()
                },
                Route::NewCase {
                    linked: Some(reference(1)),
                },
            ),
            (
                "the customer's reference in the subject is a follow-up",
                &anna,
                classification(true),
                Lookup {
                    subject: known(2, "Anna@Example.dk"),
                    ..Default::default()
                },
                Route::FollowUp { case: reference(2) },
            ),
            (
                "someone else's reference opens a new linked case",
                &bo,
                classification(true),
                Lookup {
                    subject: known(2, "anna@example.dk"),
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
                    thread: known(3, "anna@example.dk"),
                    ..Default::default()
                },
                Route::NewCase {
                    linked: Some(reference(3)),
                },
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
            thread: known(1, "anna@example.dk"),
            ..Default::default()
        };
        assert!(matches!(
            route(Some(&anna), &ooo, &lookup, false),
            Route::Automated { .. }
        ));

        let mut bounce = classification(false);
        bounce.automated = true;
        bounce.automated_kind = Some(AutomatedKind::Bounce);
        let lookup = Lookup {
            bounced: Some((reference(5), 1)),
            ..Default::default()
        };
        assert_eq!(
            route(None, &bounce, &lookup, false),
            Route::Bounce {
                case: reference(5),
                seq: 1
            }
        );
        assert!(matches!(
            route(None, &bounce, &Lookup::default(), false),
            Route::Automated { .. }
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
