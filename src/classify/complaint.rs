//! Complaint or not, and whether the customer asks for escalation.
//!
//! A complaint is a statement of dissatisfaction with the company's product or
//! service (EBA/ESMA). The complaint word helps but does not decide: a question
//! about how to complain, or "jeg kan ikke klage", cancels it, while dissatisfaction
//! counts with or without it. When in doubt a complaint is the cheaper error, so
//! the threshold is low.

use super::rules::Rules;
use super::subject::Subject;

#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Assessment {
    pub complaint: bool,
    pub escalation: bool,
}

/// Scores the customer's new text (and the subject, unless it is a reply's).
pub fn assess(
    rules: &Rules,
    subject: &Subject,
    new_text: &str,
    is_reply: bool,
    reasons: &mut Vec<String>,
) -> Assessment {
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
        return Assessment::default();
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
        score += w.intent;
        reasons.push(format!("says it is a complaint ({})", quoted(&intent)));
    }
    if !strong.is_empty() {
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
        reasons.push(format!("grievance ({})", quoted(&weak)));
    }
    if score < w.threshold && intent.is_empty() && strong.is_empty() {
        score += negative_statement(rules, new_text, reasons);
    }
    score += keyword_score(
        rules,
        subject,
        new_text,
        &text,
        is_reply,
        intent.is_empty() && strong.is_empty(),
        reasons,
    );
    // Customers describe new trouble in new words but in the same shape.
    score += c.structure.score(&text, reasons);
    // "I have nothing to complain about, but do you have a complaints officer?"
    let escalation = if c.not_complaint.is_match(&text) {
        Vec::new()
    } else {
        rules.escalation.found(&text)
    };
    if !escalation.is_empty() {
        reasons.push(format!("asks for escalation ({})", quoted(&escalation)));
    }
    let complaint = score >= w.threshold || !escalation.is_empty();
    reasons.push(if complaint {
        format!("complaint (score {score}, threshold {})", w.threshold)
    } else {
        format!("not a complaint (score {score}, threshold {})", w.threshold)
    });
    Assessment {
        complaint,
        escalation: !escalation.is_empty(),
    }
}

/// The subject tag and the complaint word in the text, unless an idiom or a
/// question about how to complain explains them away.
fn keyword_score(
    rules: &Rules,
    subject: &Subject,
    new_text: &str,
    text: &str,
    is_reply: bool,
    nothing_stronger: bool,
    reasons: &mut Vec<String>,
) -> i32 {
    let c = &rules.complaint;
    let tags = if is_reply {
        Vec::new()
    } else {
        c.subject_tags.found(&subject.text)
    };
    let keyword = c.keyword.found(new_text);
    if tags.is_empty() && keyword.is_empty() {
        return 0;
    }
    let idiom = c.not_complaint.found(text);
    if !idiom.is_empty() {
        reasons.push(format!(
            "complaint word used to say the opposite ({})",
            quoted(&idiom)
        ));
        return 0;
    }
    let question = c.process_question.found(text);
    if !question.is_empty() && nothing_stronger {
        reasons.push(format!("asks how to complain ({})", quoted(&question)));
        return 0;
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
    score
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
    let words: Vec<&str> = lower
        .split(|c: char| !(c.is_alphanumeric() || c == '\'' || c == '’'))
        .filter(|w| !w.is_empty())
        .collect();
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
    if questions.is_empty() || rules.escalation.is_match(text) {
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
