//! The same matter, where a case opens: the earlier cases about it are found
//! through the key index (never a scan), linked with their score and reason,
//! listed in the staff notice; the new case is indexed; and when it is the Nth
//! of its matter within the surge window, the complaints manager is alerted,
//! once per cluster (the store keeps one surge per name). All inside the
//! transaction that opens the case, so that the alert is queued with it.

use chrono::{DateTime, Duration, Utc};
use tracing::{info, warn};

use super::{Notice, Recorder};
use crate::case::{Case, Event};
use crate::config::StaffRole;
use crate::domain::{CaseRef, EmailAddress};
use crate::outbox::context::RelatedCaseView;
use crate::outbox::dates::in_words;
use crate::related::{self, Key, Match, surge};
use crate::store::Tx;

/// How many cases a surge alert or update lists at most.
const SURGE_LISTED: usize = 50;

impl Recorder {
    /// Finds, links and indexes a newly opened case; returns the related cases
    /// for its staff notice (at most [`related::SHOWN`]).
    pub(super) async fn relate(
        &self,
        tx: &mut Tx,
        case: &Case,
        keys: &[Key],
        now: DateTime<Utc>,
    ) -> anyhow::Result<Vec<RelatedCaseView>> {
        let settings = &self.config.related;
        if !settings.enabled || keys.is_empty() {
            return Ok(Vec::new());
        }
        let since = case.received_at - Duration::days(i64::from(settings.window_days));
        let matches =
            link_new_case(tx, &case.reference, case.received_at, keys, since, now).await?;
        if !matches.is_empty() {
            info!(case = %case.reference, related = matches.len(), "related cases found");
        }
        self.surge(tx, case, &matches, now).await?;
        let listed: Vec<CaseRef> = matches
            .iter()
            .take(related::SHOWN)
            .map(|m| m.reference.clone())
            .collect();
        let others = tx.cases_among(&listed).await?;
        Ok(matches
            .iter()
            .take(related::SHOWN)
            .filter_map(|m| {
                let other = others.iter().find(|o| o.reference == m.reference)?;
                Some(self.related_view(other, m, case))
            })
            .collect())
    }

    fn related_view(&self, other: &Case, link: &Match, new: &Case) -> RelatedCaseView {
        let lang = self.config.company.default_language;
        let local = other
            .received_at
            .with_timezone(&new.jurisdiction.time_zone());
        RelatedCaseView {
            reference: other.reference.to_string(),
            received: in_words(local.date_naive(), lang),
            status: other.status.code().to_string(),
            outcome: other.outcome.map(|o| o.code().to_string()),
            handler: other.contact.as_ref().map(|c| {
                self.config
                    .staff_by_address(c)
                    .map_or_else(|| c.to_string(), |s| s.name.clone())
            }),
            score: format!("{:.2}", link.score),
            reason: link.reason.clone(),
            cause: other.cause.clone(),
        }
    }

    /// The surge step for a new case: nothing, the one alert, or joining a surge.
    async fn surge(
        &self,
        tx: &mut Tx,
        case: &Case,
        matches: &[Match],
        now: DateTime<Utc>,
    ) -> anyhow::Result<()> {
        let settings = &self.config.related;
        let window = Duration::hours(i64::from(settings.surge_hours));
        let recent: Vec<&Match> = matches
            .iter()
            .filter(|m| {
                m.received_at <= case.received_at && case.received_at - m.received_at <= window
            })
            .collect();
        if recent.is_empty() {
            return Ok(());
        }
        let references: Vec<CaseRef> = recent.iter().map(|m| m.reference.clone()).collect();
        let surges = tx.surges_of(&references).await?;
        let recent_cases: Vec<surge::Recent> = recent
            .iter()
            .map(|m| surge::Recent {
                reference: m.reference.clone(),
                received_at: m.received_at,
                surge: surges.get(&m.reference).cloned(),
            })
            .collect();
        let step = surge::step(
            &case.reference,
            case.received_at,
            &recent_cases,
            settings.surge_count as usize,
            window,
        );
        match step {
            surge::Step::Nothing => Ok(()),
            surge::Step::Join { name } => {
                tx.add_surge_member(&name, &case.reference, case.received_at, false, now)
                    .await
            }
            surge::Step::Alert { name, members } => {
                let words = related::common_labels(&recent, 8).join(", ");
                let first = members.first().map_or(case.received_at, |m| m.1);
                let latest = members.last().map_or(case.received_at, |m| m.1);
                if !tx.create_surge(&name, &words, first, latest, now).await? {
                    // Another transaction alerted this cluster: this case joins it.
                    return tx
                        .add_surge_member(&name, &case.reference, case.received_at, false, now)
                        .await;
                }
                let mut cases = Vec::with_capacity(members.len());
                for (reference, received_at) in &members {
                    tx.add_surge_member(&name, reference, *received_at, true, now)
                        .await?;
                    if let Some(c) = tx.case(reference).await? {
                        cases.push(c);
                    } else if *reference == case.reference {
                        cases.push(case.clone());
                    }
                }
                warn!(surge = %name, cases = members.len(), "many complaints about one matter: the complaints manager is alerted");
                self.queue_surge(tx, false, &words, first, latest, cases, now)
                    .await
            }
        }
    }

    /// Queues a surge alert (or, `update`, its daily update) to the complaints
    /// managers (or the complaint officers where there is none).
    #[allow(clippy::too_many_arguments)]
    pub async fn queue_surge(
        &self,
        tx: &mut Tx,
        update: bool,
        words: &str,
        first: DateTime<Utc>,
        latest: DateTime<Utc>,
        mut cases: Vec<Case>,
        now: DateTime<Utc>,
    ) -> anyhow::Result<()> {
        cases.truncate(SURGE_LISTED);
        for to in self.surge_recipients() {
            let notice = Notice::Surge {
                to,
                update,
                words: words.to_string(),
                first,
                latest,
                cases: cases.clone(),
            };
            self.queue_notice(tx, &notice, now).await?;
        }
        Ok(())
    }

    fn surge_recipients(&self) -> Vec<EmailAddress> {
        let of = |role: StaffRole| -> Vec<EmailAddress> {
            self.config
                .staff
                .iter()
                .filter(|s| s.role == role)
                .map(|s| s.email.clone())
                .collect()
        };
        let managers = of(StaffRole::ComplaintsManager);
        match managers.is_empty() {
            true => of(StaffRole::ComplaintOfficer),
            false => managers,
        }
    }
}

/// The store's part of opening a case: the earlier cases received since
/// `since` that are about the same matter (found by the new case's rarer keys,
/// never a scan), linked to it; and the case added to the index.
pub async fn link_new_case(
    tx: &mut Tx,
    reference: &CaseRef,
    received_at: DateTime<Utc>,
    keys: &[Key],
    since: DateTime<Utc>,
    now: DateTime<Utc>,
) -> anyhow::Result<Vec<Match>> {
    let hashes: Vec<i64> = keys.iter().map(Key::hash).collect();
    let freq = tx.related_frequencies(&hashes).await?;
    let own = related::document_weight(keys, &freq);
    let wanted = related::lookup(keys, &freq);
    let found = tx
        .related_postings(&wanted, since, related::PER_KEY)
        .await?;
    let gathered = related::gather(found, keys, &freq);
    let candidates = tx.related_candidates(gathered).await?;
    let mut matches = related::best(keys, own, &freq, &candidates);
    matches.retain(|m| m.reference != *reference);
    let posted = related::worth_posting(&hashes, &freq);
    tx.index_case(reference, received_at, own, &hashes, &posted)
        .await?;
    tx.insert_links(reference, &matches, now).await?;
    Ok(matches)
}

/// Writes a staff member's word on a link (`#related`, `#unrelated`) to the
/// links table, so that `klagebot case` shows it.
pub(super) async fn record_link_events(
    tx: &mut Tx,
    reference: &CaseRef,
    events: &[Event],
    now: DateTime<Utc>,
) -> anyhow::Result<()> {
    for event in events {
        match event {
            Event::RelatedConfirmed { other, by } => {
                tx.set_link_state(reference, other, "confirmed", by.as_str(), now)
                    .await?
            }
            Event::RelatedRemoved { other, by } => {
                tx.set_link_state(reference, other, "removed", by.as_str(), now)
                    .await?
            }
            _ => {}
        }
    }
    Ok(())
}
