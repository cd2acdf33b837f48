//! Complaint or not, and whether the customer asks for escalation.
//!
//! A complaint is a statement of dissatisfaction with the company's product or
//! service (EBA/ESMA). The complaint word helps but does not decide: a question
//! about how to complain, or "jeg kan ikke klage", cancels it, while dissatisfaction
//! counts with or without it. When in doubt a complaint is the cheaper error, so
//! the threshold is low.

use super::model::Verdict;
use super::rules::Rules;
use super::subject::Subject;

#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Assessment {
    pub complaint: bool,
    pub escalation: bool,
}

/// What the rules read in a mail: their score, whether the customer asks for
/// escalation, and the names of the rules that fired (the model weighs those
/// beside the words, as `r:…` features).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Reading {
    pub score: i32,
    pub escalation: bool,
    /// The subject is tagged as a complaint and nothing in the text explains the
    /// tag away (no idiom, no question about how to complain).
    pub tagged: bool,
    pub signals: Vec<&'static str>,
}

/// Where a mail stands in a conversation.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Thread {
    /// It answers an earlier mail: its subject is that mail's.
    pub is_reply: bool,
    /// It carries one of our case references.
    pub case_ref: bool,
}

/// At most this many words of text make a covering note ("Se vedhæftede brev").
const COVERING_NOTE_WORDS: usize = 40;

/// Reads the rules, then lets the model (when there is one) weigh in. `letter`
/// names a document attached to the mail: under a subject tagged as a complaint,
/// a short covering note with a letter attached is a complaint whatever the
/// model reads in the note, because the complaint is in the letter.
pub fn assess(
    rules: &Rules,
    subject: &Subject,
    new_text: &str,
    thread: Thread,
    letter: Option<&str>,
    model: Option<&super::Model>,
    reasons: &mut Vec<String>,
) -> (Assessment, Option<Verdict>) {
    let reading = read(rules, subject, new_text, thread, reasons);
    let verdict = model.map(|m| {
        let subject = if thread.is_reply {
            ""
        } else {
            subject.text.as_str()
        };
        m.judge(subject, new_text, &reading.signals)
    });
    let threshold = rules.complaint.weights.threshold;
    let used = rules.complaint.model;
    let (complaint, escalation) = match (&verdict, used.cutoff) {
        (Some(verdict), Some(cutoff)) => {
            let p = verdict.probability;
            reasons.push(format!(
                "complaint model {p:.2}{} (rules score {})",
                on_words(verdict),
                reading.score
            ));
            let escalation = reading.escalation && p >= used.escalation_floor;
            if reading.escalation && !escalation {
                reasons.push(format!(
                    "names the complaints officer but shows no dissatisfaction \
                     ({p:.2} < {:.2}): no escalation",
                    used.escalation_floor
                ));
            }
            let covered = letter.filter(|_| reading.tagged && is_covering_note(new_text));
            let score = reading.score;
            let unsure = used.unsure_floor.is_some_and(|floor| p >= floor) && score >= threshold;
            let why = if p >= cutoff {
                Some(format!("complaint (model {p:.2} ≥ {cutoff:.2})"))
            } else if escalation {
                Some(format!("complaint (asks for escalation; model {p:.2})"))
            } else if let Some(letter) = covered {
                Some(format!(
                    "complaint (tagged subject; the text only covers the attached {letter}; model {p:.2})"
                ))
            } else if unsure {
                Some(format!(
                    "complaint (model unsure at {p:.2}; the rules score {score} reaches {threshold})"
                ))
            } else {
                None
            };
            let complaint = why.is_some();
            reasons.push(
                why.unwrap_or_else(|| format!("not a complaint (model {p:.2} < {cutoff:.2})")),
            );
            (complaint, escalation)
        }
        _ => {
            let score = reading.score;
            let complaint = score >= threshold || reading.escalation;
            reasons.push(if complaint {
                format!("complaint (score {score}, threshold {threshold})")
            } else {
                format!("not a complaint (score {score}, threshold {threshold})")
            });
            (complaint, reading.escalation)
        }
    };
    let assessment = Assessment {
        complaint,
        escalation,
    };
    (assessment, verdict)
}

/// Scores the customer's new text (and the subject, unless it is a reply's) by
/// the rules alone.
pub fn read(
    rules: &Rules,
    subject: &Subject,
    new_text: &str,
    thread: Thread,
    reasons: &mut Vec<String>,
) -> Reading {
    let is_reply = thread.is_reply;
    let c = &rules.complaint;
    let w = c.weights;
    let text = if is_reply {
        new_text.to_string()
    } else {
        format!("{}\n{}", subject.text, new_text)
    };
    // "hvis jeg vil klage …", "om jag är missnöjd …" ask how to complain: what
    // stands inside such a question is neither intent nor dissatisfaction.
    let questions = c.process_question.found(&text);
    if let Some(elsewhere) = complaint_elsewhere(rules, &text, &questions) {
        reasons.push(elsewhere);
        return Reading {
            score: -w.threshold,
            escalation: false,
            tagged: false,
            signals: vec!["r:elsewhere"],
        };
    }
    let mut signals = Vec::new();
    if !questions.is_empty() {
        signals.push("r:how_to_complain");
    }
    let intent: Vec<String> = c
        .intent
        .found(&text)
        .into_iter()
        .filter(|i| !questions.iter().any(|q| q.contains(i.as_str())))
        .collect();
    let strong: Vec<String> = c
        .dissatisfaction
        .found(&text)
        .into_iter()
        .filter(|d| !questions.iter().any(|q| q.contains(d.as_str())))
        .collect();
    let weak = c.grievance.found(&text);
    let mut score = 0;
    if !intent.is_empty() {
        signals.push("r:intent");
        score += w.intent;
        reasons.push(format!("says it is a complaint ({})", quoted(&intent)));
    }
    if !strong.is_empty() {
        signals.push(if strong.len() > 1 {
            "r:dissatisfaction_many"
        } else {
            "r:dissatisfaction"
        });
        score += (strong.len() as i32 * w.dissatisfaction).min(w.dissatisfaction_cap);
        reasons.push(format!("dissatisfaction ({})", quoted(&strong)));
    }
    if !weak.is_empty() {
        let mut weak_score = (weak.len() as i32).min(w.grievance_cap);
        // "My card is blocked, how do I open it?" is a support question: weak
        // grievances asked about count one less than weak grievances stated.
        if intent.is_empty() && strong.is_empty() && new_text.contains('?') {
            weak_score -= 1;
        }
        score += weak_score;
        signals.push("r:grievance");
        reasons.push(format!("grievance ({})", quoted(&weak)));
    }
    if score < w.threshold && intent.is_empty() && strong.is_empty() {
        let statement = negative_statement(rules, new_text, reasons);
        if statement > 0 {
            signals.push("r:negative_statement");
        }
        score += statement;
    }
    let (keyword, tagged) = keyword_score(
        rules,
        subject,
        new_text,
        &text,
        is_reply,
        intent.is_empty() && strong.is_empty(),
        reasons,
    );
    if keyword > 0 {
        signals.push("r:keyword");
    }
    score += keyword;
    // Customers describe new trouble in new words but in the same shape.
    let structure = c.structure.score(&text, reasons);
    if structure > 0 {
        signals.push(if structure > 1 {
            "r:structure_strong"
        } else {
            "r:structure"
        });
    }
    score += structure;
    // "I have nothing to complain about, but do you have a complaints officer?"
    let idiom = c.not_complaint.is_match(&text);
    if idiom {
        signals.push("r:idiom");
    }
    let escalation = if idiom {
        Vec::new()
    } else {
        escalation_asked(rules, &text, thread, reasons)
    };
    if !escalation.is_empty() {
        signals.push("r:escalation");
        reasons.push(format!("asks for escalation ({})", quoted(&escalation)));
    }
    signals.push(match score {
        ..=0 => "r:score0",
        1 => "r:score1",
        2 => "r:score2",
        3..=4 => "r:score3",
        _ => "r:score5",
    });
    Reading {
        score,
        escalation: !escalation.is_empty(),
        tagged,
        signals,
    }
}

/// The phrases that ask for escalation. Naming the complaints officer, or asking to
/// look again, asks for it only in a mail about a case or an earlier answer: a first
/// complaint addressed to "Klageansvarlig" (a lawyer's letter, say) is a complaint,
/// not an escalation.
fn escalation_asked(
    rules: &Rules,
    text: &str,
    thread: Thread,
    reasons: &mut Vec<String>,
) -> Vec<String> {
    let e = &rules.escalation;
    let mut asked = e.patterns.found(text);
    let again = e.in_context.found(text);
    if again.is_empty() {
        return asked;
    }
    if thread.is_reply || thread.case_ref || e.earlier_answer.is_match(text) {
        asked.extend(again);
    } else if asked.is_empty() {
        reasons.push(format!(
            "asks for the complaints officer or another look ({}) outside a case or an earlier answer: no escalation",
            quoted(&again)
        ));
    }
    asked
}

/// ", on "a", "b"": the words that weighed most towards a complaint.
fn on_words(verdict: &Verdict) -> String {
    if verdict.top.is_empty() || verdict.probability < 0.5 {
        return String::new();
    }
    let words: Vec<String> = verdict.top.iter().map(|w| format!("\"{w}\"")).collect();
    format!(", on {}", words.join(", "))
}

/// The subject tag and the complaint word in the text, unless an idiom or a
/// question about how to complain explains them away; and whether the tag counted.
fn keyword_score(
    rules: &Rules,
    subject: &Subject,
    new_text: &str,
    text: &str,
    is_reply: bool,
    nothing_stronger: bool,
    reasons: &mut Vec<String>,
) -> (i32, bool) {
    let c = &rules.complaint;
    let tags = if is_reply {
        Vec::new()
    } else {
        c.subject_tags.found(&subject.text)
    };
    let keyword = c.keyword.found(new_text);
    if tags.is_empty() && keyword.is_empty() {
        return (0, false);
    }
    let idiom = c.not_complaint.found(text);
    if !idiom.is_empty() {
        reasons.push(format!(
            "complaint word used to say the opposite ({})",
            quoted(&idiom)
        ));
        return (0, false);
    }
    let question = c.process_question.found(text);
    if !question.is_empty() && nothing_stronger {
        reasons.push(format!("asks how to complain ({})", quoted(&question)));
        return (0, false);
    }
    let mut score = 0;
    if !tags.is_empty() {
        score += c.weights.subject;
        reasons.push(format!("subject tagged {}", quoted(&tags)));
    }
    if !keyword.is_empty() {
        score += c.weights.keyword;
        reasons.push(format!("complaint word ({})", quoted(&keyword)));
    }
    (score, !tags.is_empty())
}

/// A few words that hand over something else: no question, no story.
fn is_covering_note(new_text: &str) -> bool {
    !new_text.contains('?')
        && new_text
            .split_whitespace()
            .nth(COVERING_NOTE_WORDS)
            .is_none()
}

/// A statement to the company that negates something and thanks nobody: the
/// shape of a complaint whose words no list knows ("Utroligt at det skal være så
/// svært …"). Questions and thanks do not take this shape.
fn negative_statement(rules: &Rules, new_text: &str, reasons: &mut Vec<String>) -> i32 {
    let rule = &rules.complaint.statement;
    let letters = new_text.chars().filter(|c| c.is_alphabetic()).count();
    if letters < rule.min_letters || new_text.contains('?') {
        return 0;
    }
    let lower = new_text.to_lowercase();
    let words: Vec<&str> = super::text::words(&lower).collect();
    let has = |set: &std::collections::HashSet<String>| words.iter().any(|w| set.contains(*w));
    if !has(&rule.negation) || !has(&rule.addressed) || has(&rule.gratitude) {
        return 0;
    }
    reasons.push("a negative statement to the company".into());
    rule.weight
}

/// "Where do I find the complaint form? It is about a hotel, not the bank": the
/// customer asks how to complain about someone else, which is a question to the
/// company and no complaint about it. The reason, or `None` when that is not so.
fn complaint_elsewhere(rules: &Rules, text: &str, questions: &[String]) -> Option<String> {
    let e = &rules.escalation;
    if questions.is_empty() || e.patterns.is_match(text) || e.in_context.is_match(text) {
        return None;
    }
    let elsewhere = rules.complaint.third_party.found(text);
    if elsewhere.is_empty() {
        return None;
    }
    Some(format!(
        "asks how to complain about someone else ({}; {}): not a complaint",
        quoted(questions),
        quoted(&elsewhere)
    ))
}

fn quoted(phrases: &[String]) -> String {
    phrases
        .iter()
        .take(3)
        .map(|p| format!("\"{}\"", p.split_whitespace().collect::<Vec<_>>().join(" ")))
        .collect::<Vec<_>>()
        .join(", ")
}
