//! The external bodies a customer can turn to when a complaint is not fully upheld
//! (DESIGN §2), chosen by jurisdiction and category from shipped, overridable data.

use std::collections::{BTreeMap, HashSet};
use std::path::Path;
use std::sync::LazyLock;

use serde::{Deserialize, Serialize};

use super::forbidden;
use crate::domain::{Category, Jurisdiction, Language};

/// The referral data shipped inside the binary.
pub const SHIPPED_REFERRALS: &str = include_str!("../../templates/referrals.toml");

/// One body as a decision names it, in the customer's language.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct ReferralBody {
    /// A stable key such as `dk-finansielle-ankenaevn`.
    pub id: String,
    pub name: String,
    /// What the body handles; completes a sentence that starts with the name.
    pub handles: String,
    pub web: String,
    pub postal: Option<String>,
    pub phone: Option<String>,
}

/// Why a referral file was refused.
#[derive(Debug, thiserror::Error)]
pub enum ReferralError {
    #[error("cannot read referral file {path}: {source}")]
    Read {
        path: String,
        source: std::io::Error,
    },
    #[error("referral data is not valid TOML: {0}")]
    Syntax(#[from] toml::de::Error),
    #[error("referral body {id:?}: {problem}")]
    Invalid { id: String, problem: String },
}

/// All referral bodies of all jurisdictions.
#[derive(Debug, Clone)]
pub struct Referrals {
    bodies: Vec<BodyEntry>,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
struct ReferralFile {
    body: Vec<BodyEntry>,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
struct BodyEntry {
    id: String,
    jurisdiction: Jurisdiction,
    #[serde(default)]
    categories: Vec<Category>,
    #[serde(default)]
    unknown_category: bool,
    #[serde(default)]
    always: bool,
    web: String,
    #[serde(default)]
    postal: Option<String>,
    #[serde(default)]
    phone: Option<String>,
    name: BTreeMap<Language, String>,
    handles: BTreeMap<Language, String>,
}

static SHIPPED: LazyLock<Referrals> = LazyLock::new(|| {
    // The shipped file is part of the program; a test proves that it parses.
    Referrals::parse(SHIPPED_REFERRALS).unwrap_or_else(|e| panic!("shipped referrals.toml: {e}"))
});

/// The bodies for a case in `jurisdiction` about `category`, in `language`,
/// from the shipped data.
pub fn referral_bodies(
    jurisdiction: Jurisdiction,
    category: Option<Category>,
    language: Language,
) -> Vec<ReferralBody> {
    SHIPPED.bodies_for(jurisdiction, category, language)
}

impl Referrals {
    /// The data shipped inside the binary.
    pub fn shipped() -> Referrals {
        SHIPPED.clone()
    }

    /// The shipped data, or the company's file when one is configured.
    pub fn load(file: Option<&Path>) -> Result<Referrals, ReferralError> {
        let Some(path) = file else {
            return Ok(Referrals::shipped());
        };
        let text = std::fs::read_to_string(path).map_err(|source| ReferralError::Read {
            path: path.display().to_string(),
            source,
        })?;
        Referrals::parse(&text)
    }

    /// Parses and checks referral data: every body complete in every language,
    /// unique ids, and no mention of the closed EU ODR platform.
    pub fn parse(text: &str) -> Result<Referrals, ReferralError> {
        let file: ReferralFile = toml::from_str(text)?;
        let mut ids = HashSet::new();
        for body in &file.body {
            if !ids.insert(body.id.as_str()) {
                return Err(body.invalid("the id is used twice"));
            }
            body.check()?;
        }
        Ok(Referrals { bodies: file.body })
    }

    /// The bodies for a case, in the order the data lists them.
    pub fn bodies_for(
        &self,
        jurisdiction: Jurisdiction,
        category: Option<Category>,
        language: Language,
    ) -> Vec<ReferralBody> {
        self.bodies
            .iter()
            .filter(|b| b.jurisdiction == jurisdiction && b.applies_to(category))
            .map(|b| b.in_language(language))
            .collect()
    }

    /// Every body in every language, for checks that scan all the text.
    pub fn all_texts(&self) -> impl Iterator<Item = ReferralBody> + '_ {
        self.bodies
            .iter()
            .flat_map(|b| Language::ALL.into_iter().map(|l| b.in_language(l)))
    }
}

impl BodyEntry {
    fn applies_to(&self, category: Option<Category>) -> bool {
        self.always
            || match category {
                Some(c) => self.categories.contains(&c),
                None => self.unknown_category,
            }
    }

    fn in_language(&self, language: Language) -> ReferralBody {
        // `check` guarantees both maps hold every language.
        let text = |m: &BTreeMap<Language, String>| m.get(&language).cloned().unwrap_or_default();
        ReferralBody {
            id: self.id.clone(),
            name: text(&self.name),
            handles: text(&self.handles),
            web: self.web.clone(),
            postal: self.postal.clone(),
            phone: self.phone.clone(),
        }
    }

    fn check(&self) -> Result<(), ReferralError> {
        for lang in Language::ALL {
            for (field, map) in [("name", &self.name), ("handles", &self.handles)] {
                if map.get(&lang).is_none_or(|t| t.trim().is_empty()) {
                    return Err(self.invalid(&format!("{field} is missing for language {lang}")));
                }
            }
        }
        if !self.always && self.categories.is_empty() && !self.unknown_category {
            return Err(
                self.invalid("names no category and is neither `always` nor `unknown_category`")
            );
        }
        if self.web.trim().is_empty() {
            return Err(self.invalid("web is empty"));
        }
        if let Some(what) = forbidden::mention(&self.all_text()) {
            return Err(self.invalid(&format!("names {what}")));
        }
        Ok(())
    }

    fn all_text(&self) -> String {
        let mut parts: Vec<&str> = vec![&self.web];
        parts.extend(self.postal.as_deref());
        parts.extend(self.name.values().map(String::as_str));
        parts.extend(self.handles.values().map(String::as_str));
        parts.join("\n")
    }

    fn invalid(&self, problem: &str) -> ReferralError {
        ReferralError::Invalid {
            id: self.id.clone(),
            problem: problem.to_string(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const ONE_BODY: &str = r#"
[[body]]
id = "dk-x"
jurisdiction = "dk"
categories = ["fees"]
web = "https://x.dk"
[body.name]
da = "X"
nb = "X"
nn = "X"
sv = "X"
en = "X"
[body.handles]
da = "behandler klager."
nb = "behandler klager."
nn = "behandlar klager."
sv = "prövar klagomål."
en = "handles complaints."
"#;

    #[test]
    fn shipped_data_parses_and_covers_every_case() {
        let all = Referrals::parse(SHIPPED_REFERRALS).unwrap();
        for j in Jurisdiction::ALL {
            for c in Category::ALL.map(Some).into_iter().chain([None]) {
                let bodies = all.bodies_for(j, c, Language::En);
                // The courts and at least one body that handles the matter.
                assert!(bodies.len() >= 2, "{j}/{c:?}: {bodies:?}");
            }
        }
    }

    #[test]
    fn category_selects_the_board() {
        let ids = |j, c| -> Vec<String> {
            referral_bodies(j, c, Language::Da)
                .into_iter()
                .map(|b| b.id)
                .collect()
        };
        use Category::*;
        use Jurisdiction::*;
        let cases: [(Jurisdiction, Option<Category>, &[&str]); 9] = [
            (
                Dk,
                Some(Fees),
                &["dk-finansielle-ankenaevn", "dk-domstolene"],
            ),
            (
                Dk,
                Some(Fraud),
                &["dk-finansielle-ankenaevn", "dk-domstolene"],
            ),
            (
                Dk,
                Some(Investment),
                &["dk-fondsmaeglerselskaber", "dk-domstolene"],
            ),
            (
                Dk,
                Some(Other),
                &["dk-forbrugerklagenaevnet", "dk-domstolene"],
            ),
            (Dk, Some(Privacy), &["dk-datatilsynet", "dk-domstolene"]),
            (
                Dk,
                Some(Marketing),
                &["dk-forbrugerombudsmanden", "dk-domstolene"],
            ),
            (
                No,
                Some(Payment),
                &["no-finansklagenemnda", "no-domstolene"],
            ),
            (
                No,
                Some(Marketing),
                &["no-forbrukertilsynet", "no-domstolene"],
            ),
            (Se, Some(Privacy), &["se-imy", "se-allman-domstol"]),
        ];
        for (j, c, want) in cases {
            assert_eq!(ids(j, c), want, "{j}/{c:?}");
        }
        assert!(ids(Se, Some(Marketing)).contains(&"se-konsumentverket".to_string()));
        assert!(ids(Se, None).contains(&"se-arn".to_string()));
    }

    #[test]
    fn incomplete_or_forbidden_data_is_refused() {
        assert!(Referrals::parse(ONE_BODY).is_ok());
        let missing_language = ONE_BODY.replace("nn = \"behandlar klager.\"\n", "");
        let err = Referrals::parse(&missing_language).unwrap_err().to_string();
        assert!(err.contains("handles is missing for language nn"), "{err}");
        let odr = ONE_BODY.replace("https://x.dk", "https://ec.europa.eu/consumers/odr");
        assert!(
            Referrals::parse(&odr)
                .unwrap_err()
                .to_string()
                .contains("ODR")
        );
        let twice = format!("{ONE_BODY}{}", &ONE_BODY);
        assert!(
            Referrals::parse(&twice)
                .unwrap_err()
                .to_string()
                .contains("twice")
        );
        let unknown_field = ONE_BODY.replace("web =", "website =");
        assert!(Referrals::parse(&unknown_field).is_err());
    }

    #[test]
    fn no_text_names_a_closed_or_wrong_body() {
        for body in Referrals::shipped().all_texts() {
            let text = format!("{} {} {}", body.name, body.handles, body.web);
            assert_eq!(forbidden::mention(&text), None, "{text}");
        }
    }
}
