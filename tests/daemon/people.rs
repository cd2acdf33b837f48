//! Nothing falls through at the seams with people: a colleague's forward opens
//! the customer's case (in every client's form), a forward that is no complaint
//! is answered with how to open it anyway, a person's mail klagebot leaves alone
//! stays in the inbox, and the daily digest lists exactly that mail.

use chrono::{DateTime, Datelike, NaiveTime, TimeZone, Utc};
use chrono_tz::Europe::Copenhagen;
use klagebot::domain::Jurisdiction;
use klagebot::parse::{InboundMail, parse};

use crate::harness::{Harness, LEFT_KEYWORD, Setup, WAIT};
use crate::mails::{self, complaint};
use crate::support::{TestUser, unique_local_part};

/// When the customers in these forwards wrote: 14:05 in Copenhagen, five days
/// before the forwards.
fn customer_wrote() -> DateTime<Utc> {
    let day = (Utc::now() - chrono::Duration::days(5))
        .with_timezone(&Copenhagen)
        .date_naive();
    Copenhagen
        .from_local_datetime(&day.and_hms_opt(14, 5, 0).unwrap())
        .unwrap()
        .to_utc()
}

/// That moment as the clients write it, by language and style.
fn written(style: &str) -> String {
    const DA_DAYS: [&str; 7] = [
        "mandag", "tirsdag", "onsdag", "torsdag", "fredag", "lørdag", "søndag",
    ];
    const DA_MONTHS: [&str; 12] = [
        "januar",
        "februar",
        "marts",
        "april",
        "maj",
        "juni",
        "juli",
        "august",
        "september",
        "oktober",
        "november",
        "december",
    ];
    const NB_SHORT: [&str; 12] = [
        "jan.", "feb.", "mar.", "apr.", "mai", "jun.", "jul.", "aug.", "sep.", "okt.", "nov.",
        "des.",
    ];
    let local = customer_wrote().with_timezone(&Copenhagen);
    let (d, m, y) = (local.day(), local.month0() as usize, local.year());
    let weekday = local.weekday().num_days_from_monday() as usize;
    match style {
        "outlook-da" => format!("{} den {d}. {} {y} 14:05", DA_DAYS[weekday], DA_MONTHS[m]),
        "gmail-nb" => format!("{d}. {} {y} kl. 14:05", NB_SHORT[m]),
        "apple-en" => format!(
            "{d} {} {y} at 14:05:00 {}",
            local.format("%B"),
            local.format("%Z")
        ),
        "gmail-en" => format!("{}, {} at 2:05 PM", local.format("%a, %b %-d"), y),
        _ => local.to_rfc2822(),
    }
}

fn colleague_mail(
    colleague: &TestUser,
    to: &str,
    subject: &str,
    content: &str,
    body: &str,
) -> String {
    format!(
        "From: Kari Kollega <{from}>\r\nTo: {to}\r\nSubject: {subject}\r\nMessage-ID: <{id}@colleague.test>\r\n\
         Date: Mon, 07 Dec 2026 09:00:00 +0100\r\nMIME-Version: 1.0\r\nContent-Type: {content}\r\n\r\n{body}",
        from = colleague.address,
        id = unique_local_part("fwd"),
        body = body.replace('\n', "\r\n"),
    )
}

/// Outlook in Danish: the colleague's note, then the header block.
fn outlook_da(colleague: &TestUser, to: &str, customer: &TestUser) -> String {
    let (subject, text) = mails::DA;
    let body = format!(
        "Hej klageafdelingen\n\nKan I tage denne? Kunden har ringet to gange.\n\n/Kari\n\n\
         Fra: Ole Hansen <{c}>\nSendt: {sent}\nTil: Hjælp <hjaelp@nordvik.test>\n\
         Emne: {subject}\n\n{text}\n",
        c = customer.address,
        sent = written("outlook-da"),
    );
    colleague_mail(
        colleague,
        to,
        &format!("VS: {subject}"),
        "text/plain; charset=utf-8",
        &body,
    )
}

/// Gmail in Norwegian: the forwarded-message separator and its fields.
fn gmail_nb(colleague: &TestUser, to: &str, customer: &TestUser) -> String {
    let (subject, text) = mails::NB;
    let body = format!(
        "Videresender til klageavdelingen.\n\n---------- Videresendt melding ---------\n\
         Fra: Kari Nordmann <{c}>\nDato: {sent}\nEmne: {subject}\nTil: <hjelp@nordvik.test>\n\n\n{text}\n",
        c = customer.address,
        sent = written("gmail-nb"),
    );
    colleague_mail(
        colleague,
        to,
        &format!("Fwd: {subject}"),
        "text/plain; charset=utf-8",
        &body,
    )
}

/// Apple Mail in English: "Begin forwarded message:" and quoted fields.
fn apple_en(colleague: &TestUser, to: &str, customer: &TestUser) -> String {
    let (subject, text) = mails::EN;
    let quoted: String = text.lines().map(|l| format!("> {l}\n")).collect();
    let body = format!(
        "FYI\n\nBegin forwarded message:\n\n> From: John Smith <{c}>\n> Subject: {subject}\n\
         > Date: {sent}\n> To: help@nordvik.test\n> \n{quoted}",
        c = customer.address,
        sent = written("apple-en"),
    );
    colleague_mail(
        colleague,
        to,
        &format!("Fwd: {subject}"),
        "text/plain; charset=utf-8",
        &body,
    )
}

/// Outlook's "forward as attachment", in Swedish: the customer's mail attached.
fn attached_sv(colleague: &TestUser, to: &str, customer: &TestUser) -> String {
    let (subject, text) = mails::SV;
    let body = format!(
        "--b1\nContent-Type: text/plain; charset=utf-8\n\nSe bifogat mejl.\n--b1\nContent-Type: message/rfc822\n\n\
         From: Åsa Lindqvist <{c}>\nTo: hjalp@nordvik.test\nSubject: {subject}\nDate: {sent}\n\
         Message-ID: <{id}@kund.test>\nContent-Type: text/plain; charset=utf-8\n\n{text}\n--b1--\n",
        c = customer.address,
        id = unique_local_part("orig"),
        sent = written("rfc2822"),
    );
    colleague_mail(
        colleague,
        to,
        &format!("VB: {subject}"),
        "multipart/mixed; boundary=\"b1\"",
        &body,
    )
}

/// Writes a colleague's forward of a customer's mail to an address.
type Form = fn(&TestUser, &str, &TestUser) -> String;

fn parsed_inbox(h: &Harness, user: &TestUser, count: usize) -> Vec<InboundMail> {
    h.settled_messages(user, count)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_colleagues_forward_in_each_client_form_opens_the_customers_case() {
    let mut h = Harness::new().await;
    h.start();
    let colleague = h.customer("kollega");
    let forms: [(&str, Form); 4] = [
        ("da", outlook_da),
        ("nb", gmail_nb),
        ("en", apple_en),
        ("sv", attached_sv),
    ];
    let mut customers = Vec::new();
    for (lang, form) in forms {
        let customer = h.customer(&format!("kunde-{lang}"));
        let raw = form(&colleague, &h.klage.address, &customer);
        h.servers
            .send_raw(&colleague.address, &[&h.klage.address], raw.as_bytes());
        customers.push((lang, customer));
    }
    let cases = h.wait_for_cases(customers.len()).await;
    for (lang, customer) in &customers {
        let case = cases
            .iter()
            .find(|c| c.customer.as_str() == customer.address)
            .unwrap_or_else(|| panic!("{lang}: no case for the customer: {cases:?}"));
        assert_eq!(
            case.language.code(),
            *lang,
            "{lang}: the customer's language"
        );
        assert_eq!(
            case.received_at,
            customer_wrote(),
            "{lang}: counted from when the customer wrote"
        );
        let ack = parsed_inbox(&h, customer, 1);
        assert_eq!(ack.len(), 1, "{lang}: the customer got one acknowledgement");
        assert!(ack[0].subject.contains(&case.reference.to_string()));
    }
    assert!(
        cases
            .iter()
            .all(|c| c.customer.as_str() != colleague.address),
        "no case is the colleague's"
    );
    let notes = parsed_inbox(&h, &colleague, customers.len());
    assert_eq!(
        notes.len(),
        customers.len(),
        "one note per forward, nothing else"
    );
    for case in &cases {
        let note = notes
            .iter()
            .find(|n| n.subject.contains(&case.reference.to_string()))
            .unwrap_or_else(|| panic!("no note to the colleague for {}", case.reference));
        assert!(
            note.full_text.contains("Mette Jensen"),
            "the contact person is named"
        );
        assert!(
            !note.subject.starts_with("Vi har modtaget"),
            "the colleague never gets the customer's acknowledgement"
        );
    }
    h.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_forwarded_question_opens_nothing_until_the_colleague_answers_open() {
    let mut h = Harness::new().await;
    h.start();
    let colleague = h.customer("kollega");
    let customer = h.customer("kunde");
    let body = format!(
        "Til info.\n\n---------- Forwarded message ---------\nFrom: Ole Hansen <{c}>\n\
         Date: {sent}\nSubject: Ny pinkode\nTo: <hjaelp@nordvik.test>\n\n\
         Hej\n\nHvordan bestiller jeg en ny pinkode til mit kort? Jeg har glemt den gamle.\n\nMvh Ole\n",
        c = customer.address,
        sent = written("gmail-en"),
    );
    let raw = colleague_mail(
        &colleague,
        &h.klage.address,
        "Fwd: Ny pinkode",
        "text/plain; charset=utf-8",
        &body,
    );
    h.servers
        .send_raw(&colleague.address, &[&h.klage.address], raw.as_bytes());
    let told = parsed_inbox(&h, &colleague, 1);
    assert_eq!(told.len(), 1, "one reply to the colleague");
    assert!(h.cases().await.is_empty(), "no case for a question");
    assert!(
        h.servers.messages(&customer, "INBOX").is_empty(),
        "nothing to the customer"
    );
    let reply_to = told[0]
        .header("reply-to")
        .expect("a reply address")
        .to_string();
    assert!(told[0].full_text.contains("#open"), "{}", told[0].full_text);
    let open_address = reply_to
        .rsplit_once('<')
        .map_or(reply_to.as_str(), |(_, a)| a.trim_end_matches('>'))
        .to_string();
    assert!(open_address.contains("+m"), "{open_address}");

    let answer = mails::reply_to(
        &colleague.address,
        &open_address,
        &told[0],
        "#open\n\nJo, det er en klage.",
    );
    h.servers
        .send_raw(&colleague.address, &[&open_address], answer.as_bytes());
    let case = h.wait_for_cases(1).await.remove(0);
    assert_eq!(
        case.customer.as_str(),
        customer.address,
        "the customer's case"
    );
    assert_eq!(case.received_at, customer_wrote());
    assert_eq!(
        parsed_inbox(&h, &customer, 1).len(),
        1,
        "the customer is acknowledged"
    );
    h.stop().await;
}

/// Where no MX vouches for colleagues, anyone can write as one: the replies to
/// forwards that were no complaint are capped per address and hour like all
/// automatic mail, so a forged colleague cannot make us mail someone at will.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn replies_to_a_colleagues_forwards_are_capped_per_hour() {
    let mut h = Harness::new().await;
    h.start();
    let colleague = h.customer("kollega");
    let customer = h.customer("kunde");
    let cap = h.config.outgoing.max_per_address_per_hour as usize;
    for n in 0..cap + 3 {
        let body = format!(
            "Til info.\n\n---------- Forwarded message ---------\nFrom: Ole Hansen <{c}>\n\
             Date: {sent}\nSubject: Ny pinkode {n}\nTo: <hjaelp@nordvik.test>\n\n\
             Hej\n\nHvordan bestiller jeg en ny pinkode nummer {n} til mit kort?\n\nMvh Ole\n",
            c = customer.address,
            sent = written("gmail-en"),
        );
        let raw = colleague_mail(
            &colleague,
            &h.klage.address,
            &format!("Fwd: Ny pinkode {n}"),
            "text/plain; charset=utf-8",
            &body,
        );
        h.servers
            .send_raw(&colleague.address, &[&h.klage.address], raw.as_bytes());
    }
    h.wait_until_inbox_handled().await;
    h.wait_until_sent().await;
    let told = parsed_inbox(&h, &colleague, cap);
    assert_eq!(told.len(), cap, "no more than the hour's cap");
    h.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_forward_our_mx_did_not_vouch_for_is_left_for_a_person() {
    let mut h = Harness::with(Setup {
        authserv_id: Some("mx.nordvik.test"),
        ..Setup::default()
    })
    .await;
    h.start();
    let colleague = h.customer("kollega");
    let customer = h.customer("kunde");
    let forged = outlook_da(&colleague, &h.klage.address, &customer).replacen(
        "From:",
        "Authentication-Results: mx.nordvik.test; dmarc=fail header.from=klagebot.test\r\n\
         Authentication-Results: mx.nordvik.test; dmarc=pass header.from=klagebot.test\r\nFrom:",
        1,
    );
    h.servers
        .send_raw(&colleague.address, &[&h.klage.address], forged.as_bytes());
    h.wait_until_inbox_handled().await;
    assert!(h.cases().await.is_empty(), "no case");
    assert!(
        h.servers.messages(&customer, "INBOX").is_empty(),
        "nothing to the customer"
    );
    assert!(
        h.servers.messages(&colleague, "INBOX").is_empty(),
        "nothing to the colleague"
    );
    let inbox = h.servers.messages(&h.klage, "INBOX");
    assert_eq!(inbox.len(), 1, "it stays for a person");
    assert!(inbox[0].has_flag(LEFT_KEYWORD));
    h.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_persons_mail_klagebot_left_alone_stays_unread_and_the_digest_lists_it() {
    let mut h = Harness::new().await;
    h.start();
    let asker = h.customer("spoerger");
    let question = format!("Adgangskode glemt {}", unique_local_part("q"));
    h.send(
        &asker,
        &complaint(
            &asker.address,
            &h.klage.address,
            &question,
            "Hej\n\nJeg har glemt min adgangskode til netbanken. Hvordan får jeg en ny?\n\nMvh Ida",
        ),
    );
    let customer = h.customer("kunde");
    let (subject, body) = mails::DA;
    h.send(
        &customer,
        &complaint(&customer.address, &h.klage.address, subject, body),
    );
    h.send(
        &customer,
        &mails::out_of_office(&customer.address, &h.klage.address),
    );
    h.wait_for_cases(1).await;
    h.wait_until_inbox_handled().await;
    let inbox = h.servers.messages(&h.klage, "INBOX");
    assert_eq!(inbox.len(), 1, "only the question stays in the inbox");
    let left = parse(&inbox[0].bytes);
    assert_eq!(left.subject, question);
    assert!(inbox[0].has_flag(LEFT_KEYWORD), "tagged for people");
    assert!(!inbox[0].has_flag("\\Seen"), "still unread");

    // The next working day at 08:31 the complaints manager (there is no complaint
    // officer) gets the digest: the question, not the complaint or the auto-reply.
    let now = Utc::now();
    let rules = h.daemon.rules.clone();
    let cal = rules.calendar(Jurisdiction::Dk);
    let next_day = cal
        .next_working_day(cal.local_date(now))
        .expect("a next working day");
    let at = cal.at_local(next_day, NaiveTime::from_hms_opt(8, 31, 0).unwrap());
    h.stop().await;
    h.run_jobs_at(at).await;
    h.run_jobs_at(at + chrono::Duration::minutes(5)).await;
    let digests: Vec<InboundMail> = parsed_inbox(&h, &h.manager, 1)
        .into_iter()
        .filter(|m| m.full_text.contains("#open"))
        .collect();
    assert_eq!(digests.len(), 1, "one digest");
    let digest = &digests[0];
    assert!(digest.full_text.contains(&question), "{}", digest.full_text);
    assert!(
        !digest.full_text.contains(subject),
        "the complaint is not listed"
    );
    assert!(digest.full_text.contains(&asker.address));
    let open_address = digest
        .full_text
        .split_whitespace()
        .find(|w| w.contains("+m"))
        .expect("a per-mail address")
        .to_string();

    // The manager opens it as a case from the digest.
    h.start();
    let open = format!(
        "From: Lars Holm <{m}>\r\nTo: {open_address}\r\nSubject: Re: digest\r\nMessage-ID: <{id}@staff.test>\r\n\
         Content-Type: text/plain; charset=utf-8\r\n\r\n#open\r\n",
        m = h.manager.address,
        id = unique_local_part("open"),
    );
    h.servers
        .send_raw(&h.manager.address, &[&open_address], open.as_bytes());
    let cases = h.wait_for_cases(2).await;
    let opened = cases
        .iter()
        .find(|c| c.customer.as_str() == asker.address)
        .expect("a case for the one who asked");
    assert!(
        opened.received_at <= now,
        "counted from when the question arrived"
    );
    assert_eq!(
        parsed_inbox(&h, &asker, 1).len(),
        1,
        "the asker is acknowledged"
    );
    h.stop().await;

    // Nothing new is left: no digest the working day after.
    let day_after = cal.next_working_day(next_day).expect("a working day");
    h.run_jobs_at(cal.at_local(day_after, NaiveTime::from_hms_opt(8, 31, 0).unwrap()))
        .await;
    let again: Vec<InboundMail> = h
        .servers
        .messages(&h.manager, "INBOX")
        .iter()
        .map(|m| parse(&m.bytes))
        .filter(|m| m.full_text.contains("+m"))
        .collect();
    assert_eq!(again.len(), 1, "no digest when there is nothing to list");
    let _ = WAIT;
}
