//! A year of realistic complaints, for the report's tests and for looking at the
//! HTML report (`scripts/report-sample`). Not part of the library: the report test
//! and `examples/sample_year.rs` include this file. Seeded, so the same seed and day give
//! the same cases. Every case is made by the real case logic (`case::open`,
//! `case::apply`) from events at plausible times: acknowledgements within minutes
//! (a few late after an outage), most answers within 15 business days, some
//! holding replies, a few late or forgotten cases, escalations, withdrawals,
//! decisions and closings; cases still open when their time has not come.

#![allow(dead_code)] // each includer uses a different part
use chrono::{DateTime, Datelike, Duration, NaiveDate, NaiveTime, TimeZone, Utc};

use klagebot::case::{self, Case, Event, NewCase, Outcome, Rules};
use klagebot::config::StaffRole;
use klagebot::domain::{CaseRef, Category, EmailAddress, Jurisdiction, Language};
use klagebot::store::Store;

/// One generated case: its state now and its timeline.
#[derive(Debug, Clone)]
pub struct SampleCase {
    pub case: Case,
    pub events: Vec<(DateTime<Utc>, Event)>,
}

/// The channels the sample company has: (mailbox, jurisdiction, share of complaints).
const CHANNELS: [(&str, Jurisdiction, u32); 3] = [
    ("helpdesk", Jurisdiction::Dk, 55),
    ("klage", Jurisdiction::Dk, 30),
    ("klage-no", Jurisdiction::No, 15),
];
/// Categories with their share in percent (`None`: not yet categorised).
const CATEGORIES: [(Option<Category>, u32); 11] = [
    (Some(Category::Fees), 22),
    (Some(Category::Card), 17),
    (Some(Category::Payment), 15),
    (Some(Category::Service), 13),
    (Some(Category::Fraud), 8),
    (Some(Category::Loan), 7),
    (Some(Category::Privacy), 4),
    (Some(Category::Marketing), 3),
    (Some(Category::Investment), 3),
    (Some(Category::Other), 4),
    (None, 4),
];
/// Complaints per month relative to the average: more after Christmas and the
/// summer holidays, fewer in July.
const SEASON: [u32; 12] = [130, 110, 100, 95, 95, 90, 65, 105, 110, 100, 95, 105];
const FIRST_NAMES: [&str; 12] = [
    "Ole", "Kirsten", "Mette", "Lars", "Ingrid", "Søren", "Kari", "Anders", "Åsa", "Jens",
    "Sigrid", "Mikkel",
];
const LAST_NAMES: [&str; 10] = [
    "Hansen",
    "Nielsen",
    "Jensen",
    "Pedersen",
    "Olsen",
    "Berg",
    "Johansson",
    "Larsen",
    "Dahl",
    "Lund",
];

/// A small deterministic generator (SplitMix64): no dependency, same stream everywhere.
struct Dice(u64);

impl Dice {
    fn next(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9e37_79b9_7f4a_7c15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
        z ^ (z >> 31)
    }

    /// A whole number in `low..=high`.
    fn between(&mut self, low: u32, high: u32) -> u32 {
        low + (self.next() % u64::from(high - low + 1)) as u32
    }

    /// True `percent` times in a hundred.
    fn chance(&mut self, percent: u32) -> bool {
        self.between(1, 100) <= percent
    }

    fn weighted<T: Copy>(&mut self, items: &[(T, u32)]) -> T {
        let total: u32 = items.iter().map(|(_, w)| w).sum();
        let mut roll = self.between(1, total);
        for &(item, weight) in items {
            if roll <= weight {
                return item;
            }
            roll -= weight;
        }
        items[items.len() - 1].0
    }

    fn pick<'a, T>(&mut self, items: &'a [T]) -> &'a T {
        &items[self.next() as usize % items.len()]
    }
}

/// The complaints received in the year before `now` (about 600), oldest first.
pub fn year_of_cases(now: DateTime<Utc>, rules: &Rules, seed: u64) -> Vec<SampleCase> {
    let mut dice = Dice(seed);
    let mut cases = Vec::new();
    let first = now.date_naive() - Duration::days(365);
    for offset in 0..365 {
        let day = first + Duration::days(offset);
        let weekend = day.weekday().number_from_monday() > 5;
        // About 2.1 complaints a working day and 0.6 a weekend day, by season.
        let mean_x100 = if weekend { 60 } else { 210 } * SEASON[day.month0() as usize] / 100;
        let base = mean_x100 / 100 + u32::from(dice.between(1, 100) <= mean_x100 % 100);
        let count = (base + dice.between(0, 2)).saturating_sub(1);
        for _ in 0..count {
            let received = local_time(
                Jurisdiction::Dk,
                day,
                dice.between(7, 22),
                dice.between(0, 59),
            );
            if received >= now {
                continue;
            }
            let n = cases.len() as u32 + 1;
            cases.push(one_case(&mut dice, n, received, now, rules));
        }
    }
    cases.sort_by_key(|c| c.case.received_at);
    cases
}

fn one_case(
    dice: &mut Dice,
    n: u32,
    received: DateTime<Utc>,
    now: DateTime<Utc>,
    rules: &Rules,
) -> SampleCase {
    let (mailbox, jurisdiction) = dice.weighted(&CHANNELS.map(|(m, j, w)| ((m, j), w)));
    let language = match jurisdiction {
        Jurisdiction::No => {
            dice.weighted(&[(Language::Nb, 80), (Language::Nn, 14), (Language::En, 6)])
        }
        _ => dice.weighted(&[(Language::Da, 86), (Language::En, 9), (Language::Sv, 5)]),
    };
    let category = dice.weighted(&CATEGORIES);
    let (first, last) = (*dice.pick(&FIRST_NAMES), *dice.pick(&LAST_NAMES));
    let domain = match jurisdiction {
        Jurisdiction::No => "example.no",
        _ => "example.dk",
    };
    let local_part: String = format!("{first}.{last}{}", n % 97)
        .chars()
        .map(|c| match c {
            'ø' => 'o',
            'Å' | 'å' => 'a',
            c => c.to_ascii_lowercase(),
        })
        .collect();
    let customer = EmailAddress::parse(&format!("{local_part}@{domain}")).expect("a valid address");
    let year = rules.calendar(jurisdiction).local_date(received).year();
    let input = NewCase {
        reference: CaseRef::new("KL", year, n).expect("a valid reference"),
        mailbox: mailbox.to_string(),
        jurisdiction,
        language,
        category,
        customer,
        customer_name: Some(format!("{first} {last}")),
        subject: subject(category, language).to_string(),
        message_id: format!("<sample-{n}@{domain}>"),
        received_at: received,
        contact: contact(rules, jurisdiction, language, n),
        forwarded_by: None,
        opened_by: None,
    };
    let step = case::open(input, received, rules);
    let mut sample = SampleCase {
        events: step.events.into_iter().map(|e| (received, e)).collect(),
        case: step.case,
    };
    let mut later = life(dice, &sample.case, rules);
    later.sort_by_key(|(at, _)| *at);
    for (at, event) in later.into_iter().filter(|(at, _)| *at <= now) {
        if let Ok((next, _actions)) = case::apply(&sample.case, &event, at, rules) {
            sample.case = next;
            sample.events.push((at, event));
        }
    }
    sample
}

/// What happens to a case after it opened, at the times it happens.
fn life(dice: &mut Dice, case: &Case, rules: &Rules) -> Vec<(DateTime<Utc>, Event)> {
    let due = rules.due_dates(case.jurisdiction, case.received_at);
    let day0 = due.receipt_day;
    let j = case.jurisdiction;
    let at = |days: u32, dice: &mut Dice| {
        let date = rules.calendar(j).add_working_days(day0, days);
        local_time(j, date, dice.between(8, 15), dice.between(0, 59))
    };
    let staff = case
        .contact
        .clone()
        .or_else(|| rules.staff.first().map(|s| s.email.clone()))
        .expect("the sample needs staff");
    let mut events = Vec::new();
    // Acknowledged by klagebot within minutes; after an outage, late.
    let acknowledged = if dice.chance(97) {
        case.received_at + Duration::minutes(i64::from(dice.between(1, 15)))
    } else {
        let late = rules.policy.acknowledge_within_days + dice.between(1, 3);
        at(late, dice)
    };
    events.push((
        acknowledged,
        Event::AcknowledgementSent {
            message_id: "<ack@sample>".into(),
        },
    ));
    if dice.chance(3) {
        events.push((at(dice.between(1, 3), dice), Event::Withdrawn { by: staff }));
        return events;
    }
    if dice.chance(6) {
        let asked = at(dice.between(3, 10), dice);
        events.push((
            asked,
            Event::EscalationRequested {
                message_id: "<esc@sample>".into(),
            },
        ));
    }
    let limit = rules.policy.answer_within_days;
    let final_limit = rules.policy.final_answer_within_days;
    let answered_on = match dice.between(1, 100) {
        // Most within the limit, the bulk after one to two weeks.
        1..=80 => Some(dice.between(1, limit / 2) + dice.between(0, limit - limit / 2)),
        // A holding reply before the limit, the answer by the date it names (a few later).
        81..=92 => {
            let held = dice.between(limit.saturating_sub(5).max(1), limit);
            let promised = dice.between(limit + 8, final_limit);
            let new_due = rules.calendar(j).add_working_days(day0, promised);
            let reason = "We are waiting for documentation from the card scheme.".to_string();
            events.push((
                at(held, dice),
                Event::HoldingReply {
                    reason,
                    new_due,
                    by: Some(staff.clone()),
                },
            ));
            Some(if dice.chance(90) {
                dice.between(held + 3, promised)
            } else {
                final_limit + dice.between(1, 5)
            })
        }
        // Late without a holding reply.
        93..=98 => Some(dice.between(limit + 1, limit * 2)),
        // Forgotten: still open.
        _ => None,
    };
    let Some(day) = answered_on else {
        return events;
    };
    let answered = at(day, dice);
    if dice.chance(5) {
        // Settled by a staff answer; closed without a formal decision.
        events.push((
            answered,
            Event::StaffAnswer {
                by: staff.clone(),
                message_id: "<answer@sample>".into(),
                relayed: true,
            },
        ));
        events.push((
            answered + Duration::minutes(5),
            Event::Closed { by: Some(staff) },
        ));
        return events;
    }
    let outcome = dice.weighted(&[
        (Outcome::Upheld, 35),
        (Outcome::PartiallyUpheld, 25),
        (Outcome::Rejected, 40),
    ]);
    let referred = outcome.needs_referral();
    events.push((
        answered,
        Event::Decided {
            outcome,
            by: staff.clone(),
            referred,
        },
    ));
    if dice.chance(60) {
        events.push((
            at(day + dice.between(2, 10), dice),
            Event::Closed { by: Some(staff) },
        ));
    }
    events
}

/// A handler of the jurisdiction who writes the language, chosen in turn.
fn contact(rules: &Rules, j: Jurisdiction, language: Language, n: u32) -> Option<EmailAddress> {
    let handlers: Vec<&EmailAddress> = rules
        .staff
        .iter()
        .filter(|s| s.role != StaffRole::ComplaintsManager)
        .filter(|s| s.jurisdictions.contains(&j) && s.languages.contains(&language))
        .map(|s| &s.email)
        .collect();
    (!handlers.is_empty()).then(|| handlers[n as usize % handlers.len()].clone())
}

fn local_time(j: Jurisdiction, date: NaiveDate, hour: u32, minute: u32) -> DateTime<Utc> {
    let local = date.and_time(NaiveTime::from_hms_opt(hour, minute, 0).expect("a valid time"));
    let tz = j.time_zone();
    tz.from_local_datetime(&local)
        .earliest()
        // The hour the clocks skip in spring: an hour later.
        .or_else(|| {
            tz.from_local_datetime(&(local + Duration::hours(1)))
                .earliest()
        })
        .map(|t| t.with_timezone(&Utc))
        .unwrap_or_else(|| local.and_utc())
}

fn subject(category: Option<Category>, language: Language) -> &'static str {
    let texts: [&str; 4] = match category {
        Some(Category::Fees) => [
            "Gebyr på min konto",
            "Gebyr på kontoen",
            "Avgift på mitt konto",
            "Unexpected fee on my account",
        ],
        Some(Category::Card) => [
            "Kortet blev afvist",
            "Kortet ble avvist",
            "Kortet nekades",
            "My card was declined",
        ],
        Some(Category::Payment) => [
            "Betaling er ikke gået igennem",
            "Betalingen kom aldri fram",
            "Betalningen gick inte igenom",
            "Payment never arrived",
        ],
        Some(Category::Service) => [
            "Dårlig behandling i filialen",
            "Dårlig service på telefon",
            "Dåligt bemötande",
            "Poor service",
        ],
        Some(Category::Fraud) => [
            "Misbrug af mit kort",
            "Svindel på kortet mitt",
            "Bedrägeri med mitt kort",
            "Fraudulent transactions",
        ],
        Some(Category::Loan) => [
            "Renten på mit lån",
            "Renta på lånet",
            "Räntan på mitt lån",
            "Interest on my loan",
        ],
        Some(Category::Privacy) => [
            "Mine oplysninger er delt",
            "Personopplysningene mine",
            "Mina personuppgifter",
            "My personal data",
        ],
        Some(Category::Marketing) => [
            "Uønsket reklame",
            "Uønsket reklame",
            "Oönskad reklam",
            "Unwanted marketing",
        ],
        Some(Category::Investment) => [
            "Rådgivning om investering",
            "Investeringsråd",
            "Investeringsrådgivning",
            "Investment advice",
        ],
        Some(Category::Other) | None => ["Klage", "Klage", "Klagomål", "Complaint"],
    };
    match language {
        Language::Da => texts[0],
        Language::Nb | Language::Nn => texts[1],
        Language::Sv => texts[2],
        Language::En => texts[3],
    }
}

/// Stores the cases with their timelines, each in its own transaction, numbering
/// them from the database's counters in the order received. Returns the references.
pub async fn store_cases(store: &Store, cases: &[SampleCase]) -> anyhow::Result<Vec<CaseRef>> {
    let mut references = Vec::with_capacity(cases.len());
    for sample in cases {
        let mut tx = store.begin().await?;
        let mut case = sample.case.clone();
        case.reference = tx
            .allocate_reference(case.reference.prefix(), case.reference.year())
            .await?;
        tx.insert_case(&case).await?;
        for (at, event) in &sample.events {
            tx.append_event(&case.reference, *at, event).await?;
        }
        tx.commit().await?;
        references.push(case.reference);
    }
    Ok(references)
}

#[cfg(test)]
mod tests {
    use super::*;
    use klagebot::case::Status;
    use klagebot::config::Config;

    #[test]
    fn a_year_looks_like_a_year() {
        let config = Config::embedded_default();
        let rules = Rules::from_config(&config);
        let now = Utc.with_ymd_and_hms(2026, 11, 20, 12, 0, 0).unwrap();
        let cases = year_of_cases(now, &rules, 17);
        assert!((450..=800).contains(&cases.len()), "{} cases", cases.len());
        assert!(cases.iter().all(|c| c.case.received_at < now));
        let count = |f: &dyn Fn(&Case) -> bool| cases.iter().filter(|c| f(&c.case)).count();
        let decided = count(&|c| c.status == Status::Decided || c.decided_at.is_some());
        assert!(decided * 100 / cases.len() > 70, "{decided} decided");
        assert!(count(&|c| c.holding_reply_at.is_some()) > 20);
        assert!(count(&|c| c.status == Status::Withdrawn) > 3);
        assert!(
            count(&|c| c.status.is_open()) > 10,
            "recent and forgotten cases are open"
        );
        assert!(count(&|c| c.escalated_at.is_some()) > 10);
        for mailbox in ["helpdesk", "klage", "klage-no"] {
            assert!(count(&|c| c.mailbox == mailbox) > 30, "{mailbox}");
        }
        // The same seed and day give the same cases.
        let again = year_of_cases(now, &rules, 17);
        assert_eq!(again.len(), cases.len());
        assert!(again.iter().zip(&cases).all(|(a, b)| a.case == b.case));
    }

    #[test]
    fn every_timeline_replays_to_its_case() {
        let config = Config::embedded_default();
        let rules = Rules::from_config(&config);
        let now = Utc.with_ymd_and_hms(2026, 6, 1, 12, 0, 0).unwrap();
        for sample in year_of_cases(now, &rules, 3).iter().step_by(7) {
            let replayed = case::replay(&sample.case, &sample.events, &rules).expect("replays");
            assert_eq!(replayed, sample.case);
        }
    }
}
