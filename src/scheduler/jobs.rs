//! The scheduler's jobs beside the deadlines: the daily digest of people's mail
//! klagebot left alone, the one alarm that lists a backlog's late
//! acknowledgements, and the hourly summary over an address that went over the
//! per-address caps, and the daily anonymisation of personal data past its
//! retention period. Each runs in one transaction that also claims it, so it
//! happens once across instances.

use chrono::{DateTime, NaiveDate, Utc};
use tracing::{debug, info, warn};

use super::Scheduler;
use crate::config::{Config, StaffRole};
use crate::domain::{EmailAddress, LeftReason};
use crate::privacy::{self, Anonymised};
use crate::record::{DigestEntry, Notice, load_case};
use crate::store::LeftMail;

impl Scheduler {
    /// Sends today's digest when it is due and not sent yet; returns whether one
    /// was claimed (sent, or nothing to list).
    pub async fn send_digest_if_due(&self) -> anyhow::Result<bool> {
        let config = &self.recorder.config;
        let now = self.clock.now();
        let Some((day, through)) = digest_due(config, &self.recorder.rules, now) else {
            return Ok(false);
        };
        let since = match self.store.last_digest_through().await? {
            Some(since) if since >= through => return Ok(false),
            Some(since) => since,
            // The first digest ever: from the previous working day's digest
            // time, or from the oldest mail left when that came earlier (the
            // mail left before this install's first digest is listed too).
            None => {
                let previous = previous_digest(config, &self.recorder.rules, day);
                match self.store.first_left_mail_at().await? {
                    Some(first) if first <= previous => first - chrono::Duration::microseconds(1),
                    _ => previous,
                }
            }
        };
        let mut tx = self.store.begin().await?;
        if !tx.claim_digest(day, through, now).await? {
            tx.rollback().await?;
            return Ok(false);
        }
        let left = tx.left_mail_between(since, through).await?;
        let recipients = digest_recipients(config);
        if !left.is_empty() && recipients.is_empty() {
            warn!(
                mails = left.len(),
                "no complaint officer or manager configured: the digest goes to nobody"
            );
        }
        if !left.is_empty() {
            let items: Vec<DigestEntry> = left.iter().map(entry).collect();
            for to in &recipients {
                let notice = Notice::Digest {
                    to: to.clone(),
                    jurisdiction: config.company.jurisdiction,
                    since,
                    items: items.clone(),
                };
                self.recorder.queue_notice(&mut tx, &notice, now).await?;
            }
        }
        tx.commit().await?;
        info!(day = %day, mails = left.len(), recipients = recipients.len(), "daily digest of mail left for people");
        self.wake.outbox.notify_one();
        Ok(true)
    }

    /// Sends one alarm to the complaints manager listing the cases opened when
    /// their acknowledgement was due already, if any are not yet listed. The
    /// mailbox task calls it when it has read a backlog through.
    pub async fn alarm_late_acknowledgements(&self) -> anyhow::Result<usize> {
        let now = self.clock.now();
        let mut tx = self.store.begin().await?;
        let late = tx.claim_late_acknowledgements(now).await?;
        if late.is_empty() {
            tx.rollback().await?;
            return Ok(0);
        }
        let mut cases = Vec::with_capacity(late.len());
        for reference in &late {
            cases.push(load_case(&mut tx, reference).await?);
        }
        for to in managers_or_officers(&self.recorder.config) {
            let notice = Notice::Backlog {
                to,
                cases: cases.clone(),
            };
            self.recorder.queue_notice(&mut tx, &notice, now).await?;
        }
        tx.commit().await?;
        warn!(
            cases = late.len(),
            "acknowledgements went out after their deadline (a backlog); the complaints manager is alarmed"
        );
        self.wake.outbox.notify_one();
        Ok(late.len())
    }

    /// Sends the complaints manager one summary per address whose mail went
    /// over the per-address caps since its last summary, at most one per
    /// address and hour; returns how many went out.
    pub async fn summarize_floods(&self) -> anyhow::Result<usize> {
        let now = self.clock.now();
        let mut tx = self.store.begin().await?;
        let due = tx.floods_due(now - chrono::Duration::hours(1)).await?;
        if due.is_empty() {
            tx.rollback().await?;
            return Ok(0);
        }
        let to = managers_or_officers(&self.recorder.config);
        for address in &due {
            // Another instance may have summarised it meanwhile.
            tx.lock_address(address).await?;
            let withheld = tx.unsummarized_withheld(address).await?;
            if withheld.is_empty() {
                continue;
            }
            let mut cases: Vec<(crate::case::Case, bool)> = Vec::new();
            for held in &withheld {
                let unacknowledged = held.kind == crate::record::ACKNOWLEDGEMENT_KIND;
                match cases.iter_mut().find(|(c, _)| c.reference == held.case_ref) {
                    Some((_, flag)) => *flag |= unacknowledged,
                    None => cases.push((load_case(&mut tx, &held.case_ref).await?, unacknowledged)),
                }
            }
            let mails = tx
                .mail_count_from(address, now - chrono::Duration::hours(1))
                .await?;
            for to in &to {
                let notice = Notice::Flood {
                    to: to.clone(),
                    address: address.clone(),
                    mails,
                    cases: cases.clone(),
                };
                self.recorder.queue_notice(&mut tx, &notice, now).await?;
            }
            tx.mark_flood_summarized(address, now).await?;
            warn!(
                cases = cases.len(),
                recipients = to.len(),
                "one address over the per-address caps: staff get one summary instead of a notice per mail"
            );
        }
        tx.commit().await?;
        self.wake.outbox.notify_one();
        Ok(due.len())
    }

    /// Anonymises what outlived its retention period, once per local day from
    /// `retention.at` on; the day is claimed in the transaction that does the
    /// work, so one instance does it. Returns what it did when it ran.
    pub async fn anonymise_expired_if_due(&self) -> anyhow::Result<Option<Anonymised>> {
        let config = &self.recorder.config;
        let now = self.clock.now();
        let cal = self.recorder.rules.calendar(config.company.jurisdiction);
        let day = cal.local_date(now);
        if now < cal.at_local(day, config.retention.at) || self.store.retention_ran(day).await? {
            return Ok(None);
        }
        let mut tx = self.store.begin().await?;
        if !tx.claim_retention_run(day, now).await? {
            tx.rollback().await?;
            return Ok(None);
        }
        let done = privacy::anonymise_expired(&mut tx, &config.retention, now).await?;
        tx.finish_retention_run(day, done.cases.len() as u64, done.mails)
            .await?;
        tx.commit().await?;
        if (!done.cases.is_empty() || done.mails > 0)
            && let Err(err) = self.store.reclaim_space().await
        {
            // The anonymisation is committed; the space comes back at the next run.
            warn!(
                error = format!("{err:#}"),
                "cannot reclaim the space of the anonymised data yet"
            );
        }
        info!(day = %day, cases = done.cases.len(), mails = done.mails, "personal data past its retention period anonymised");
        debug!(cases = ?done.cases.iter().map(ToString::to_string).collect::<Vec<_>>(), "anonymised cases");
        self.log_next_anonymisation(day).await?;
        Ok(Some(done))
    }

    /// Says in the log what the next daily anonymisation (the one after `day`'s)
    /// will anonymise if nothing changes meanwhile.
    pub async fn log_next_anonymisation(&self, day: NaiveDate) -> anyhow::Result<()> {
        let config = &self.recorder.config;
        let cal = self.recorder.rules.calendar(config.company.jurisdiction);
        let next_day = day.succ_opt().unwrap_or(day);
        let at = cal.at_local(next_day, config.retention.at);
        let next = self
            .store
            .retention_preview(&config.retention.cutoffs(at))
            .await?;
        info!(
            at = %at,
            cases = next.cases,
            held = next.held,
            mails = next.mails,
            quarantined = next.quarantined,
            "the next anonymisation of personal data past its retention period"
        );
        Ok(())
    }

    /// When the next digest is due (for sleeping until it).
    pub(super) fn next_digest_at(&self, now: DateTime<Utc>) -> Option<DateTime<Utc>> {
        let config = &self.recorder.config;
        if !config.digest.enabled {
            return None;
        }
        let cal = self.recorder.rules.calendar(config.company.jurisdiction);
        let mut day = cal.local_date(now);
        for _ in 0..30 {
            let at = cal.at_local(day, config.digest.at);
            if cal.is_working_day(day) && at > now {
                return Some(at);
            }
            day = day.succ_opt()?;
        }
        None
    }
}

/// Today's digest (its day and the end of its period) when today is a working
/// day and its time has come.
fn digest_due(
    config: &Config,
    rules: &crate::case::Rules,
    now: DateTime<Utc>,
) -> Option<(NaiveDate, DateTime<Utc>)> {
    if !config.digest.enabled {
        return None;
    }
    let cal = rules.calendar(config.company.jurisdiction);
    let today = cal.local_date(now);
    let at = cal.at_local(today, config.digest.at);
    (cal.is_working_day(today) && now >= at).then_some((today, at))
}

/// The time of the digest before `day`'s: the previous working day's.
fn previous_digest(config: &Config, rules: &crate::case::Rules, day: NaiveDate) -> DateTime<Utc> {
    let cal = rules.calendar(config.company.jurisdiction);
    let before = cal.previous_working_day(day).unwrap_or(day);
    cal.at_local(before, config.digest.at)
}

/// The complaints managers, or the complaint officers where there is none.
impl Scheduler {
    /// Sends the daily update of each surge that later cases joined: at most
    /// one per surge and day, claimed in the transaction that queues it, so
    /// that one instance sends it. Returns how many went out.
    pub async fn send_surge_updates(&self) -> anyhow::Result<usize> {
        let now = self.clock.now();
        let mut tx = self.store.begin().await?;
        let members = tx.unreported_surge_members().await?;
        if members.is_empty() {
            tx.rollback().await?;
            return Ok(0);
        }
        let mut sent = 0;
        let mut names: Vec<&str> = members.iter().map(|m| m.surge.as_str()).collect();
        names.dedup();
        for name in names {
            if !tx
                .claim_surge_update(name, now - chrono::Duration::days(1), now)
                .await?
            {
                continue;
            }
            let Some(surge) = tx.surge(name).await? else {
                continue;
            };
            let joined: Vec<_> = members.iter().filter(|m| m.surge == name).collect();
            let mut cases = Vec::with_capacity(joined.len());
            for member in &joined {
                cases.push(load_case(&mut tx, &member.case_ref).await?);
            }
            let first = joined.first().map_or(surge.first_at, |m| m.received_at);
            let references: Vec<_> = joined.iter().map(|m| m.case_ref.clone()).collect();
            self.recorder
                .queue_surge(
                    &mut tx,
                    true,
                    &surge.words,
                    first,
                    surge.latest_at,
                    cases,
                    now,
                )
                .await?;
            tx.mark_surge_reported(&references, now).await?;
            info!(surge = %name, cases = references.len(), "daily update of a surge");
            sent += 1;
        }
        tx.commit().await?;
        if sent > 0 {
            self.wake.outbox.notify_one();
        }
        Ok(sent)
    }
}

fn managers_or_officers(config: &Config) -> Vec<EmailAddress> {
    let managers: Vec<EmailAddress> = config
        .staff
        .iter()
        .filter(|s| s.role == StaffRole::ComplaintsManager)
        .map(|s| s.email.clone())
        .collect();
    match managers.is_empty() {
        true => digest_recipients(config),
        false => managers,
    }
}

/// The complaint officers, or the complaints managers where there is none.
fn digest_recipients(config: &Config) -> Vec<EmailAddress> {
    let officers: Vec<EmailAddress> = config
        .staff
        .iter()
        .filter(|s| s.role == StaffRole::ComplaintOfficer)
        .map(|s| s.email.clone())
        .collect();
    if !officers.is_empty() {
        return officers;
    }
    config
        .staff
        .iter()
        .filter(|s| s.role == StaffRole::ComplaintsManager)
        .map(|s| s.email.clone())
        .collect()
}

/// A stored mail as one digest line: its sender and subject read from it.
fn entry(left: &LeftMail) -> DigestEntry {
    let mail = crate::parse::parse(&left.raw);
    let sender = match &mail.from {
        Some(a) => match &a.name {
            Some(name) => format!("{name} <{}>", a.email),
            None => a.email.to_string(),
        },
        None => mail.from_raw.clone(),
    };
    DigestEntry {
        mail_id: left.id,
        received_at: left.received_at,
        sender,
        subject: mail.subject,
        mailbox: left.mailbox.clone(),
        reason: left.reason.unwrap_or(LeftReason::NotComplaint),
    }
}
