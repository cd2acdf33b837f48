//! The category of a complaint, which later selects the referral bodies: the
//! category with most distinct matching phrases; ties go to the rules' order.

use super::rules::Rules;
use crate::domain::Category;

pub fn pick(rules: &Rules, subject: &str, new_text: &str, reasons: &mut Vec<String>) -> Category {
    let text = format!("{subject}\n{new_text}");
    let mut best: Option<(Category, Vec<String>)> = None;
    for (category, phrases) in &rules.categories {
        let found = phrases.found(&text);
        if found.len() > best.as_ref().map_or(0, |(_, f)| f.len()) {
            best = Some((*category, found));
        }
    }
    match best {
        Some((category, found)) => {
            let shown: Vec<&str> = found.iter().take(3).map(String::as_str).collect();
            reasons.push(format!("category {category} ({})", shown.join(", ")));
            category
        }
        None => {
            reasons.push("category other (no category words)".into());
            Category::Other
        }
    }
}
