//! Staff corrections as labels: what a case event says about the mail that
//! opened the case. klagebot records the label with that mail's features (not
//! its text) so that `klagebot train --from-db` can learn the company's way of
//! writing; the daemon calls [`correction_for`] where it appends case events.

use crate::case::Event;
use crate::domain::Category;

/// What staff said about the mail that opened a case.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Correction {
    /// `#notcomplaint`: klagebot opened a case on a mail that is no complaint.
    NotComplaint,
    /// `#open` on a forwarded mail: a complaint klagebot left alone.
    Complaint,
    /// `#category NAME`: the complaint's category, as staff set it (a case staff
    /// categorise is a complaint they kept).
    Category(Category),
}

impl Correction {
    /// The short name stored in the `corrections` table.
    pub fn code(self) -> &'static str {
        match self {
            Correction::NotComplaint => "not_complaint",
            Correction::Complaint => "complaint",
            Correction::Category(_) => "category",
        }
    }

    /// Whether the mail is a complaint, by this label.
    pub fn complaint(self) -> bool {
        !matches!(self, Correction::NotComplaint)
    }

    /// Whether staff overruled klagebot's complaint decision (not only confirmed it).
    pub fn overrules(self) -> bool {
        matches!(self, Correction::NotComplaint | Correction::Complaint)
    }

    pub fn category(self) -> Option<Category> {
        match self {
            Correction::Category(c) => Some(c),
            _ => None,
        }
    }

    /// Reads a stored label back (`category` with its category).
    pub fn from_code(code: &str, category: Option<Category>) -> Option<Correction> {
        match (code, category) {
            ("not_complaint", _) => Some(Correction::NotComplaint),
            ("complaint", _) => Some(Correction::Complaint),
            ("category", Some(c)) => Some(Correction::Category(c)),
            _ => None,
        }
    }
}

/// The label a case event gives the case's opening mail, when a staff member
/// corrected or confirmed klagebot with it. Events klagebot made on its own
/// (opening a case it judged a complaint, a category from the rules) are no label.
pub fn correction_for(event: &Event) -> Option<Correction> {
    match event {
        Event::Withdrawn { .. } => Some(Correction::NotComplaint),
        Event::Opened { by: Some(_), .. } => Some(Correction::Complaint),
        Event::CategorySet {
            category,
            by: Some(_),
        } => Some(Correction::Category(*category)),
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::EmailAddress;

    fn staff() -> EmailAddress {
        EmailAddress::parse("mette@bank.dk").unwrap()
    }

    #[test]
    fn staff_events_are_labels_and_klagebots_own_are_not() {
        let opened = |by: Option<EmailAddress>| Event::Opened {
            message_id: "m1@kunde.dk".into(),
            from: EmailAddress::parse("ole@kunde.dk").unwrap(),
            subject: "Gebyr".into(),
            by,
        };
        let category = |by: Option<EmailAddress>| Event::CategorySet {
            category: Category::Fees,
            by,
        };
        let table = [
            (
                Event::Withdrawn { by: staff() },
                Some(Correction::NotComplaint),
            ),
            (opened(Some(staff())), Some(Correction::Complaint)),
            (opened(None), None),
            (
                category(Some(staff())),
                Some(Correction::Category(Category::Fees)),
            ),
            (category(None), None),
            (Event::Closed { by: Some(staff()) }, None),
        ];
        for (event, expected) in table {
            assert_eq!(correction_for(&event), expected, "{event:?}");
        }
    }

    #[test]
    fn a_label_reads_back_from_its_code() {
        for c in [
            Correction::NotComplaint,
            Correction::Complaint,
            Correction::Category(Category::Card),
        ] {
            assert_eq!(Correction::from_code(c.code(), c.category()), Some(c));
        }
        assert_eq!(Correction::from_code("category", None), None);
        assert!(!Correction::NotComplaint.complaint() && Correction::NotComplaint.overrules());
        assert!(Correction::Category(Category::Card).complaint());
        assert!(!Correction::Category(Category::Card).overrules());
    }
}
