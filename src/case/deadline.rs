//! The deadlines a case has, and what each does when it fires. The scheduler stores
//! them with their [`DeadlineKind::key`], fires each (case, key) once, and asks
//! [`on_deadline`] what to do; a deadline the case has moved past does nothing.

use chrono::{DateTime, Duration, NaiveDate, Utc};
use serde::{Deserialize, Serialize};

use super::apply::apply;
use super::life::Step;
use super::model::{Case, Event, Status, Tier, Warning};
use super::rules::Rules;
use crate::domain::Jurisdiction;

/// One kind of deadline; the dates in it tie it to the answer date it was set for,
/// so that a holding reply's new date gives new deadlines rather than moving old ones.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum DeadlineKind {
    /// Remind the contact person `working_days_left` working days before `answer_due`.
    Reminder {
        working_days_left: u32,
        answer_due: NaiveDate,
    },
    /// Alarm when the acknowledgement is unsent one working day before `due`.
    AcknowledgementAlarm { due: NaiveDate },
    /// The last working day before a breach: warn the complaints manager.
    AnswerDueToday { answer_due: NaiveDate },
    /// The answer date passed: escalate to the complaints manager.
    Breach { answer_due: NaiveDate },
    /// Prompt the contact person to send a holding reply (`#extend DATE REASON`)
    /// if the answer due on `answer_due` cannot be given in time.
    HoldingReplyPrompt { answer_due: NaiveDate },
    /// Send the holding reply automatically (when the policy says so).
    AutomaticHoldingReply { answer_due: NaiveDate },
    /// Denmark: the customer may go to Det Finansielle Ankenævn.
    Ankenaevn,
}

/// A deadline of one case: what, and when (an instant).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct Deadline {
    pub kind: DeadlineKind,
    pub due_at: DateTime<Utc>,
}

impl DeadlineKind {
    /// A stable string naming this deadline within its case, e.g.
    /// `reminder-5-2027-01-08`; the database fires each (case, key) once.
    pub fn key(&self) -> String {
        match self {
            DeadlineKind::Reminder {
                working_days_left,
                answer_due,
            } => format!("reminder-{working_days_left}-{answer_due}"),
            DeadlineKind::AcknowledgementAlarm { due } => format!("acknowledgement-alarm-{due}"),
            DeadlineKind::AnswerDueToday { answer_due } => format!("due-today-{answer_due}"),
            DeadlineKind::Breach { answer_due } => format!("breach-{answer_due}"),
            DeadlineKind::HoldingReplyPrompt { answer_due } => {
                format!("holding-prompt-{answer_due}")
            }
            DeadlineKind::AutomaticHoldingReply { answer_due } => {
                format!("holding-reply-{answer_due}")
            }
            DeadlineKind::Ankenaevn => "ankenaevn".to_string(),
        }
    }

    /// The kind a [`DeadlineKind::key`] names.
    pub fn from_key(key: &str) -> Option<DeadlineKind> {
        if key == "ankenaevn" {
            return Some(DeadlineKind::Ankenaevn);
        }
        let (head, date) = split_date(key)?;
        let kind = match head {
            "acknowledgement-alarm" => DeadlineKind::AcknowledgementAlarm { due: date },
            "due-today" => DeadlineKind::AnswerDueToday { answer_due: date },
            "breach" => DeadlineKind::Breach { answer_due: date },
            "holding-prompt" => DeadlineKind::HoldingReplyPrompt { answer_due: date },
            "holding-reply" => DeadlineKind::AutomaticHoldingReply { answer_due: date },
            _ => {
                let days = head.strip_prefix("reminder-")?.parse().ok()?;
                DeadlineKind::Reminder {
                    working_days_left: days,
                    answer_due: date,
                }
            }
        };
        Some(kind)
    }
}

/// Splits `name-YYYY-MM-DD` into the name and the date.
fn split_date(key: &str) -> Option<(&str, NaiveDate)> {
    let cut = key.len().checked_sub(11)?;
    let (head, tail) = key.split_at(cut);
    let date = NaiveDate::parse_from_str(tail.strip_prefix('-')?, "%Y-%m-%d").ok()?;
    Some((head, date))
}

/// Every deadline the case has now. Closed, decided and withdrawn cases have none.
pub fn deadlines(case: &Case, rules: &Rules) -> Vec<Deadline> {
    if !case.status.is_open() {
        return Vec::new();
    }
    let cal = rules.calendar(case.jurisdiction);
    let mut out = Vec::new();
    if case.acknowledged_at.is_none() {
        let day_before = cal.sub_working_days(case.acknowledge_due, 1);
        out.push(Deadline {
            kind: DeadlineKind::AcknowledgementAlarm {
                due: case.acknowledge_due,
            },
            due_at: cal.end_of_day(day_before),
        });
    }
    out.extend(reminders(case, rules));
    out.extend(holding_prompt(case, rules));
    let answer_due = case.answer_due;
    if auto_holding_pending(case, rules) {
        out.push(Deadline {
            kind: DeadlineKind::AutomaticHoldingReply { answer_due },
            due_at: cal.start_of_day(answer_due),
        });
    }
    out.push(Deadline {
        kind: DeadlineKind::AnswerDueToday { answer_due },
        due_at: cal.start_of_day(answer_due),
    });
    out.push(Deadline {
        kind: DeadlineKind::Breach { answer_due },
        due_at: cal.end_of_day(answer_due),
    });
    if case.jurisdiction == Jurisdiction::Dk {
        let weeks = i64::from(rules.policy.ankenaevn_after_weeks);
        out.push(Deadline {
            kind: DeadlineKind::Ankenaevn,
            due_at: case.received_at + Duration::weeks(weeks),
        });
    }
    out.sort_by_key(|d| d.due_at);
    out
}

/// Reminders at the opening of the working day N working days before the answer is
/// due; none for a day before the clock started (receipt, or the holding reply).
fn reminders(case: &Case, rules: &Rules) -> Vec<Deadline> {
    let cal = rules.calendar(case.jurisdiction);
    let started = case.holding_reply_at.unwrap_or(case.received_at);
    let first_day = cal.receipt_day(started);
    rules
        .policy
        .reminder_days_before
        .iter()
        .filter(|n| **n > 0)
        .filter_map(|&n| {
            let day = cal.sub_working_days(case.answer_due, n);
            (day >= first_day).then(|| Deadline {
                kind: DeadlineKind::Reminder {
                    working_days_left: n,
                    answer_due: case.answer_due,
                },
                due_at: cal.start_of_day(day),
            })
        })
        .collect()
}

/// The prompt to send a holding reply, at the opening of the working day
/// `holding_prompt_days_before` working days before the answer is due, while
/// no holding reply was sent and the law leaves room for a later date.
fn holding_prompt(case: &Case, rules: &Rules) -> Option<Deadline> {
    let days = rules.policy.holding_prompt_days_before;
    if days == 0 || !holding_reply_possible(case) {
        return None;
    }
    let cal = rules.calendar(case.jurisdiction);
    let day = cal.sub_working_days(case.answer_due, days);
    (day >= cal.receipt_day(case.received_at)).then(|| Deadline {
        kind: DeadlineKind::HoldingReplyPrompt {
            answer_due: case.answer_due,
        },
        due_at: cal.start_of_day(day),
    })
}

/// No holding reply was sent yet, and the law leaves room for a later date.
fn holding_reply_possible(case: &Case) -> bool {
    case.holding_reply_at.is_none() && case.answer_due < case.final_due
}

/// The policy sends a holding reply on the due day when none was sent, the law
/// leaves room for a later date and a reason is configured for the case.
fn auto_holding_pending(case: &Case, rules: &Rules) -> bool {
    rules.policy.auto_holding_reply
        && holding_reply_possible(case)
        && automatic_reason(rules, case).is_some()
}

/// What a fired deadline does: the events to record and the actions they cause.
/// Nothing when the case has moved on (answered, decided, given a new date).
pub fn on_deadline(case: &Case, kind: &DeadlineKind, now: DateTime<Utc>, rules: &Rules) -> Step {
    let events = if case.status.is_open() {
        fired_events(case, kind, now, rules)
    } else {
        Vec::new()
    };
    let mut step = Step {
        case: case.clone(),
        events: Vec::new(),
        actions: Vec::new(),
    };
    for event in events {
        match apply(&step.case, &event, now, rules) {
            Ok((next, actions)) => {
                step.case = next;
                step.events.push(event);
                step.actions.extend(actions);
            }
            Err(_) => break,
        }
    }
    step
}

fn fired_events(case: &Case, kind: &DeadlineKind, now: DateTime<Utc>, rules: &Rules) -> Vec<Event> {
    let current = |due: &NaiveDate| *due == case.answer_due;
    match kind {
        DeadlineKind::Reminder { answer_due, .. } if current(answer_due) => {
            let cal = rules.calendar(case.jurisdiction);
            let left = cal.working_days_between(cal.local_date(now), case.answer_due);
            let working_days_left = u32::try_from(left.max(0)).unwrap_or(0);
            rules
                .handlers(case)
                .into_iter()
                .map(|to| Event::ReminderSent {
                    to,
                    working_days_left,
                })
                .collect()
        }
        DeadlineKind::AcknowledgementAlarm { due } if case.status == Status::Received => {
            warn(Warning::AcknowledgementUnsent { due: *due })
        }
        DeadlineKind::AnswerDueToday { answer_due } if current(answer_due) => {
            // The automatic holding reply of the same morning takes care of it.
            if auto_holding_pending(case, rules) {
                return Vec::new();
            }
            warn(Warning::AnswerDueToday { due: *answer_due })
        }
        DeadlineKind::Breach { answer_due } if current(answer_due) => breach(case, *answer_due),
        DeadlineKind::HoldingReplyPrompt { answer_due }
            if current(answer_due) && holding_reply_possible(case) =>
        {
            warn(Warning::HoldingReplyDue { due: *answer_due })
        }
        DeadlineKind::AutomaticHoldingReply { answer_due } if current(answer_due) => {
            match automatic_reason(rules, case).filter(|_| auto_holding_pending(case, rules)) {
                Some(reason) => vec![Event::HoldingReply {
                    reason: reason.to_string(),
                    new_due: case.final_due,
                    by: None,
                }],
                None => Vec::new(),
            }
        }
        DeadlineKind::Ankenaevn if case.jurisdiction == Jurisdiction::Dk => {
            warn(Warning::AnkenaevnEligible {
                weeks: rules.policy.ankenaevn_after_weeks,
            })
        }
        _ => Vec::new(),
    }
}

fn warn(warning: Warning) -> Vec<Event> {
    vec![Event::Warned { warning }]
}

/// A breach moves the case to the complaints manager; if it is there already, the
/// manager is warned again.
fn breach(case: &Case, answer_due: NaiveDate) -> Vec<Event> {
    if case.tier < Tier::ComplaintsManager {
        vec![Event::Escalated {
            tier: Tier::ComplaintsManager,
            reason: format!("the answer was due {answer_due} and no decision was sent"),
        }]
    } else {
        warn(Warning::AnswerOverdue { due: answer_due })
    }
}

/// The reason the company configured for an automatic holding reply to this
/// case, in the customer's language (`[policy.auto_holding_reason]`).
fn automatic_reason<'a>(rules: &'a Rules, case: &Case) -> Option<&'a str> {
    rules
        .policy
        .auto_holding_reason_for(case.category, case.language)
}
