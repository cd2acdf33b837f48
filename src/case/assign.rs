//! Who handles a case: the contact person (least-loaded handler who speaks the
//! customer's language and covers the jurisdiction) and the complaints manager.
//! Deterministic: equal candidates are ordered by address.

use std::collections::HashMap;

use crate::config::{Staff, StaffRole};
use crate::domain::{Jurisdiction, Language};

fn speaks(s: &Staff, language: Language) -> bool {
    s.languages.contains(&language)
}

fn covers(s: &Staff, j: Jurisdiction) -> bool {
    s.jurisdictions.contains(&j)
}

/// The contact person for a new case. `open_cases` counts the open cases per staff
/// address key ([`crate::domain::EmailAddress::key`]). Preference, each step only
/// when the one before has nobody: a handler who speaks the language and covers the
/// jurisdiction; a complaint officer who does; anyone who does; a handler or complaint
/// officer of the jurisdiction; anyone who speaks the language; anyone at all.
pub fn choose_contact<'a>(
    staff: &'a [Staff],
    language: Language,
    jurisdiction: Jurisdiction,
    open_cases: &HashMap<String, usize>,
) -> Option<&'a Staff> {
    let fits = |s: &Staff| speaks(s, language) && covers(s, jurisdiction);
    let works_cases = |s: &Staff| s.role != StaffRole::ComplaintsManager;
    let steps: [&dyn Fn(&Staff) -> bool; 6] = [
        &|s| s.role == StaffRole::Handler && fits(s),
        &|s| s.role == StaffRole::ComplaintOfficer && fits(s),
        &|s| fits(s),
        &|s| works_cases(s) && covers(s, jurisdiction),
        &|s| speaks(s, language),
        &|_| true,
    ];
    let load = |s: &Staff| open_cases.get(&s.email.key()).copied().unwrap_or(0);
    steps.iter().find_map(|step| {
        staff
            .iter()
            .filter(|s| step(s))
            .min_by_key(|s| (load(s), s.email.key()))
    })
}

/// The complaints manager for a case: one who covers the jurisdiction and speaks
/// the language, else one of the jurisdiction, else any manager, else a complaint
/// officer of the jurisdiction.
pub fn complaints_manager_for(
    staff: &[Staff],
    jurisdiction: Jurisdiction,
    language: Language,
) -> Option<&Staff> {
    let manager = |s: &Staff| s.role == StaffRole::ComplaintsManager;
    let steps: [&dyn Fn(&Staff) -> bool; 4] = [
        &|s| manager(s) && covers(s, jurisdiction) && speaks(s, language),
        &|s| manager(s) && covers(s, jurisdiction),
        &|s| manager(s),
        &|s| s.role == StaffRole::ComplaintOfficer && covers(s, jurisdiction),
    ];
    steps.iter().find_map(|step| {
        staff
            .iter()
            .filter(|s| step(s))
            .min_by_key(|s| s.email.key())
    })
}

/// The complaint officers of a jurisdiction, who hear of every new case there.
pub fn complaint_officers_for(
    staff: &[Staff],
    jurisdiction: Jurisdiction,
) -> impl Iterator<Item = &Staff> {
    staff
        .iter()
        .filter(move |s| s.role == StaffRole::ComplaintOfficer && covers(s, jurisdiction))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::EmailAddress;

    fn person(email: &str, role: StaffRole, languages: &[Language], js: &[Jurisdiction]) -> Staff {
        Staff {
            name: email.to_string(),
            email: EmailAddress::parse(email).unwrap(),
            role,
            phone: None,
            languages: languages.to_vec(),
            jurisdictions: js.to_vec(),
        }
    }

    fn team() -> Vec<Staff> {
        use Jurisdiction::*;
        use Language::*;
        vec![
            person("sofia@x.se", StaffRole::Handler, &[Sv, En], &[Se]),
            person("ola@x.no", StaffRole::Handler, &[Nb, Nn, En], &[No]),
            person("kari@x.no", StaffRole::Handler, &[Nb, En], &[No]),
            person("mette@x.dk", StaffRole::ComplaintOfficer, &[Da, En], &[Dk]),
            person(
                "lars@x.dk",
                StaffRole::ComplaintsManager,
                &[Da, Nb, Sv, En],
                &[Dk, No, Se],
            ),
        ]
    }

    fn loads(pairs: &[(&str, usize)]) -> HashMap<String, usize> {
        pairs.iter().map(|(k, n)| (k.to_string(), *n)).collect()
    }

    fn chosen(language: Language, j: Jurisdiction, load: &[(&str, usize)]) -> Option<String> {
        let staff = team();
        choose_contact(&staff, language, j, &loads(load)).map(|s| s.email.key())
    }

    #[test]
    fn least_loaded_matching_handler_wins_with_ties_by_address() {
        let no = Jurisdiction::No;
        assert_eq!(chosen(Language::Nb, no, &[]).as_deref(), Some("kari@x.no"));
        assert_eq!(
            chosen(Language::Nb, no, &[("kari@x.no", 2), ("ola@x.no", 1)]).as_deref(),
            Some("ola@x.no")
        );
        // Only Ola writes Nynorsk, however busy he is.
        assert_eq!(
            chosen(Language::Nn, no, &[("ola@x.no", 9)]).as_deref(),
            Some("ola@x.no")
        );
    }

    #[test]
    fn falls_back_to_the_complaint_officer_then_anyone_who_fits() {
        assert_eq!(
            chosen(Language::Da, Jurisdiction::Dk, &[]).as_deref(),
            Some("mette@x.dk")
        );
        // No Swedish speaker covers Denmark except the manager.
        assert_eq!(
            chosen(Language::Sv, Jurisdiction::Dk, &[]).as_deref(),
            Some("lars@x.dk")
        );
        assert_eq!(
            choose_contact(&[], Language::Da, Jurisdiction::Dk, &HashMap::new()),
            None
        );
    }

    #[test]
    fn the_manager_is_found_per_jurisdiction() {
        let staff = team();
        let m = complaints_manager_for(&staff, Jurisdiction::Se, Language::Sv).unwrap();
        assert_eq!(m.email.as_str(), "lars@x.dk");
        let officer_only = &staff[..4];
        let m = complaints_manager_for(officer_only, Jurisdiction::Dk, Language::Da).unwrap();
        assert_eq!(m.email.as_str(), "mette@x.dk");
        assert!(complaints_manager_for(&staff[..3], Jurisdiction::Dk, Language::Da).is_none());
    }
}
