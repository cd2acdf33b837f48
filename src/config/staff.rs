//! `[[staff]]`: the people who handle complaints, their role, languages and
//! jurisdictions (contact assignment, notices, who may run `#commands`).

use serde::Deserialize;

use crate::domain::{EmailAddress, Jurisdiction, Language};

#[derive(Debug, Clone, Copy, Deserialize, PartialEq, Eq, Hash, serde::Serialize)]
#[serde(rename_all = "snake_case")]
pub enum StaffRole {
    Handler,
    ComplaintOfficer,
    ComplaintsManager,
}

#[derive(Debug, Clone, Deserialize, PartialEq, Eq)]
#[serde(deny_unknown_fields)]
pub struct Staff {
    pub name: String,
    pub email: EmailAddress,
    pub role: StaffRole,
    #[serde(default)]
    pub phone: Option<String>,
    #[serde(default = "all_languages")]
    pub languages: Vec<Language>,
    #[serde(default = "all_jurisdictions")]
    pub jurisdictions: Vec<Jurisdiction>,
}

/// Checks the staff list: each address once, none without a language or jurisdiction.
pub(super) fn validate(staff: &[Staff]) -> anyhow::Result<()> {
    let mut emails = std::collections::HashSet::new();
    for s in staff {
        if !emails.insert(s.email.key()) {
            anyhow::bail!("staff {} is listed twice", s.email);
        }
        if s.languages.is_empty() || s.jurisdictions.is_empty() {
            anyhow::bail!(
                "staff {}: languages and jurisdictions may not be empty",
                s.email
            );
        }
    }
    Ok(())
}

fn all_languages() -> Vec<Language> {
    Language::ALL.to_vec()
}
fn all_jurisdictions() -> Vec<Jurisdiction> {
    Jurisdiction::ALL.to_vec()
}
