//! The external bodies a customer can turn to when a complaint is not fully upheld
//! (DESIGN §2), chosen by jurisdiction, kind of firm and category from shipped,
//! overridable data (`templates/referrals.toml`).

use std::collections::{BTreeMap, HashSet};
use std::path::Path;
use std::sync::LazyLock;

use serde::{Deserialize, Serialize};

use super::forbidden;
use crate::config::{Company, CompanyKind};
use crate::domain::{Category, Jurisdiction, Language};

/// The referral data shipped inside the binary.
pub const SHIPPED_REFERRALS: &str = include_str!("../../templates/referrals.toml");

/// One body as a decision names it, in the customer's language.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct ReferralBody {
    /// A stable key such as `dk-finansielle-ankenaevn`.
    pub id: String,
    pub name: String,
    /// What the body handles and when the customer can use it; completes a
    /// sentence that starts with the name.
    pub handles: String,
    pub web: String,
    pub postal: Option<String>,
    pub phone: Option<String>,
    /// The customer may turn to this body once `policy.ankenaevn_after_weeks`
    /// weeks have passed without our answer (Det Finansielle Ankenævn).
    pub after_weeks_without_answer: bool,
}

/// What decides which bodies a firm answers to, besides the case's jurisdiction
/// and category: the kind of firm and, in Norway, membership of Finansklagenemnda.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Firm {
    pub kind: CompanyKind,
    pub finkn_member: bool,
}

impl Firm {
    pub fn of(company: &Company) -> Firm {
        Firm {
            kind: company.kind,
            finkn_member: company.is_finkn_member(),
        }
    }

    /// A firm of `kind` with the usual Finansklagenemnda membership for its kind.
    pub fn usual(kind: CompanyKind) -> Firm {
        Firm {
            kind,
            finkn_member: kind.usually_finkn_member(),
        }
    }
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

type Texts = BTreeMap<Language, String>;

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
struct BodyEntry {
    id: String,
    jurisdiction: Jurisdiction,
    web: String,
    #[serde(default)]
    postal: Option<String>,
    #[serde(default)]
    phone: Option<String>,
    #[serde(default)]
    after_weeks_without_answer: bool,
    name: Texts,
    handles: Texts,
    /// When the body is named; the first route that fits decides.
    #[serde(default)]
    route: Vec<Route>,
    // The one-route form of earlier files: these fields alone, for every kind.
    #[serde(default)]
    categories: Option<CategorySet>,
    #[serde(default)]
    unknown_category: bool,
    #[serde(default)]
    always: bool,
}

/// One way a body is named: for these kinds of firm, these categories.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
struct Route {
    /// Empty: every kind.
    #[serde(default)]
    kinds: Vec<CompanyKind>,
    #[serde(default)]
    categories: CategorySet,
    #[serde(default)]
    unknown_category: bool,
    /// Named only when the firm's Finansklagenemnda membership is this.
    #[serde(default)]
    finkn_member: Option<bool>,
    /// Replaces the body's `handles` for this route.
    #[serde(default)]
    handles: Option<Texts>,
}

/// `"all"` (every category and a case without one) or a list of categories.
#[derive(Debug, Clone, PartialEq, Eq)]
enum CategorySet {
    All,
    Only(Vec<Category>),
}

impl Default for CategorySet {
    fn default() -> Self {
        CategorySet::Only(Vec::new())
    }
}

impl<'de> Deserialize<'de> for CategorySet {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        #[derive(Deserialize)]
        #[serde(untagged)]
        enum Raw {
            Word(String),
            List(Vec<Category>),
        }
        match Raw::deserialize(d)? {
            Raw::Word(w) if w == "all" => Ok(CategorySet::All),
            Raw::Word(w) => Err(serde::de::Error::custom(format!(
                "categories = {w:?}: expected \"all\" or a list such as [\"fees\", \"card\"]"
            ))),
            Raw::List(list) => Ok(CategorySet::Only(list)),
        }
    }
}

static SHIPPED: LazyLock<Referrals> = LazyLock::new(|| {
    // The shipped file is part of the program; a test proves that it parses.
    Referrals::parse(SHIPPED_REFERRALS).unwrap_or_else(|e| panic!("shipped referrals.toml: {e}"))
});

/// The bodies for a case of `firm` in `jurisdiction` about `category`, in
/// `language`, from the shipped data.
pub fn referral_bodies(
    firm: Firm,
    jurisdiction: Jurisdiction,
    category: Option<Category>,
    language: Language,
) -> Vec<ReferralBody> {
    SHIPPED.bodies_for(firm, jurisdiction, category, language)
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
    /// named by at least one route, unique ids, and no mention of the closed EU
    /// ODR platform or of Forbrukerrådet.
    pub fn parse(text: &str) -> Result<Referrals, ReferralError> {
        let file: ReferralFile = toml::from_str(text)?;
        let mut ids = HashSet::new();
        let mut bodies = Vec::with_capacity(file.body.len());
        for body in file.body {
            if !ids.insert(body.id.clone()) {
                return Err(body.invalid("the id is used twice"));
            }
            let body = body.with_routes()?;
            body.check()?;
            bodies.push(body);
        }
        Ok(Referrals { bodies })
    }

    /// The bodies for a case, in the order the data lists them.
    pub fn bodies_for(
        &self,
        firm: Firm,
        jurisdiction: Jurisdiction,
        category: Option<Category>,
        language: Language,
    ) -> Vec<ReferralBody> {
        self.bodies
            .iter()
            .filter(|b| b.jurisdiction == jurisdiction)
            .filter_map(|b| {
                let route = b.route.iter().find(|r| r.fits(firm, category))?;
                Some(b.in_language(language, route))
            })
            .collect()
    }

    /// Every body in every language, with every route's text, for checks that
    /// scan all the text.
    pub fn all_texts(&self) -> impl Iterator<Item = ReferralBody> + '_ {
        self.bodies.iter().flat_map(|b| {
            b.route
                .iter()
                .flat_map(move |r| Language::ALL.into_iter().map(move |l| b.in_language(l, r)))
        })
    }
}

impl Route {
    fn fits(&self, firm: Firm, category: Option<Category>) -> bool {
        let kind = self.kinds.is_empty() || self.kinds.contains(&firm.kind);
        let member = self.finkn_member.is_none_or(|m| m == firm.finkn_member);
        let topic = match (&self.categories, category) {
            (CategorySet::All, _) => true,
            (CategorySet::Only(list), Some(c)) => list.contains(&c),
            (CategorySet::Only(_), None) => self.unknown_category,
        };
        kind && member && topic
    }
}

impl BodyEntry {
    /// The one-route form (`categories`, `unknown_category`, `always` beside the
    /// body) becomes a route for every kind; a body may not have both forms.
    fn with_routes(mut self) -> Result<BodyEntry, ReferralError> {
        let flat = self.categories.is_some() || self.unknown_category || self.always;
        if flat && !self.route.is_empty() {
            return Err(self.invalid(
                "give either categories/unknown_category/always or [[body.route]] tables, not both",
            ));
        }
        if flat {
            let categories = match (self.always, self.categories.take()) {
                (true, _) => CategorySet::All,
                (false, set) => set.unwrap_or_default(),
            };
            self.route.push(Route {
                kinds: Vec::new(),
                categories,
                unknown_category: self.unknown_category,
                finkn_member: None,
                handles: None,
            });
        }
        Ok(self)
    }

    fn in_language(&self, language: Language, route: &Route) -> ReferralBody {
        // `check` guarantees every map holds every language.
        let text = |m: &Texts| m.get(&language).cloned().unwrap_or_default();
        ReferralBody {
            id: self.id.clone(),
            name: text(&self.name),
            handles: text(route.handles.as_ref().unwrap_or(&self.handles)),
            web: self.web.clone(),
            postal: self.postal.clone(),
            phone: self.phone.clone(),
            after_weeks_without_answer: self.after_weeks_without_answer,
        }
    }

    fn check(&self) -> Result<(), ReferralError> {
        let mut texts = vec![("name", &self.name), ("handles", &self.handles)];
        texts.extend(
            self.route
                .iter()
                .filter_map(|r| r.handles.as_ref().map(|h| ("route handles", h))),
        );
        for lang in Language::ALL {
            for (field, map) in &texts {
                if map.get(&lang).is_none_or(|t| t.trim().is_empty()) {
                    return Err(self.invalid(&format!("{field} is missing for language {lang}")));
                }
            }
        }
        if self.route.is_empty() {
            return Err(self.invalid("is never named: give it a [[body.route]]"));
        }
        let never =
            |r: &Route| r.categories == CategorySet::Only(Vec::new()) && !r.unknown_category;
        if self.route.iter().any(never) {
            return Err(self.invalid(
                "has a route that names no category and neither `unknown_category` nor categories = \"all\"",
            ));
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
        for handles in self.route.iter().filter_map(|r| r.handles.as_ref()) {
            parts.extend(handles.values().map(String::as_str));
        }
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

    fn ids(firm: Firm, j: Jurisdiction, c: Option<Category>) -> Vec<String> {
        referral_bodies(firm, j, c, Language::Da)
            .into_iter()
            .map(|b| b.id)
            .collect()
    }

    fn every_category() -> impl Iterator<Item = Option<Category>> {
        Category::ALL.map(Some).into_iter().chain([None])
    }

    #[test]
    fn shipped_data_parses_and_covers_every_case() {
        let all = Referrals::parse(SHIPPED_REFERRALS).unwrap();
        for kind in CompanyKind::ALL {
            for finkn_member in [true, false] {
                let firm = Firm { kind, finkn_member };
                for j in Jurisdiction::ALL {
                    for c in every_category() {
                        let bodies = all.bodies_for(firm, j, c, Language::En);
                        // The courts (always last) and at least one body before them.
                        assert!(bodies.len() >= 2, "{kind}/{j}/{c:?}: {bodies:?}");
                        assert!(bodies.last().is_some_and(|b| b.id.contains("dom")));
                    }
                }
            }
        }
    }

    #[test]
    fn the_kind_of_firm_and_the_category_select_the_boards() {
        use Category::*;
        use CompanyKind::*;
        use Jurisdiction::*;
        let dfa = "dk-finansielle-ankenaevn";
        let fkn = "dk-forbrugerklagenaevnet";
        let cases: &[(CompanyKind, Jurisdiction, Option<Category>, &[&str])] = &[
            (Bank, Dk, Some(Fees), &[dfa, "dk-domstolene"]),
            (Bank, Dk, Some(Investment), &[dfa, "dk-domstolene"]),
            (Bank, Dk, Some(Service), &[dfa, "dk-domstolene"]),
            (Bank, Dk, None, &[dfa, "dk-domstolene"]),
            (
                Bank,
                Dk,
                Some(Privacy),
                &["dk-datatilsynet", "dk-domstolene"],
            ),
            (
                Bank,
                Dk,
                Some(Marketing),
                &[dfa, "dk-forbrugerombudsmanden", "dk-domstolene"],
            ),
            (CardIssuer, Dk, Some(Card), &[dfa, "dk-domstolene"]),
            (
                PaymentInstitution,
                Dk,
                Some(Payment),
                &[dfa, "dk-domstolene"],
            ),
            (
                InvestmentFirm,
                Dk,
                Some(Investment),
                &["dk-fondsmaeglerselskaber", "dk-domstolene"],
            ),
            (
                InvestmentFirm,
                Dk,
                None,
                &["dk-fondsmaeglerselskaber", "dk-domstolene"],
            ),
            (
                ConsumerLender,
                Dk,
                Some(Loan),
                &["dk-finansieringsselskaber", "dk-domstolene"],
            ),
            (Crowdfunding, Dk, Some(Investment), &[fkn, "dk-domstolene"]),
            (Crowdfunding, Dk, None, &[fkn, "dk-domstolene"]),
            (Crowdfunding, Dk, Some(Payment), &[dfa, "dk-domstolene"]),
            (
                Crowdfunding,
                Dk,
                Some(Privacy),
                &["dk-datatilsynet", "dk-domstolene"],
            ),
            (
                Bank,
                No,
                Some(Loan),
                &["no-finansklagenemnda", "no-domstolene"],
            ),
            (
                Bank,
                No,
                Some(Marketing),
                &[
                    "no-finansklagenemnda",
                    "no-forbrukertilsynet",
                    "no-domstolene",
                ],
            ),
            (
                CardIssuer,
                No,
                None,
                &["no-finansklagenemnda", "no-domstolene"],
            ),
            (
                Crowdfunding,
                No,
                Some(Loan),
                &["no-forbrukertilsynet", "no-domstolene"],
            ),
            (
                PaymentInstitution,
                No,
                Some(Payment),
                &["no-forbrukertilsynet", "no-domstolene"],
            ),
            (
                Bank,
                No,
                Some(Privacy),
                &["no-datatilsynet", "no-domstolene"],
            ),
            (
                Bank,
                Se,
                Some(Card),
                &["se-arn", "se-konsumenternas", "se-allman-domstol"],
            ),
            (
                Crowdfunding,
                Se,
                Some(Privacy),
                &["se-imy", "se-allman-domstol"],
            ),
            (
                Bank,
                Se,
                Some(Marketing),
                &[
                    "se-arn",
                    "se-konsumenternas",
                    "se-konsumentverket",
                    "se-allman-domstol",
                ],
            ),
        ];
        for (kind, j, c, want) in cases {
            assert_eq!(ids(Firm::usual(*kind), *j, *c), *want, "{kind}/{j}/{c:?}");
        }
    }

    #[test]
    fn forbrugerklagenaevnet_never_takes_what_an_approved_board_covers() {
        for kind in CompanyKind::ALL {
            for c in every_category() {
                let named = ids(Firm::usual(kind), Jurisdiction::Dk, c);
                let fkn = named.iter().any(|id| id == "dk-forbrugerklagenaevnet");
                let board = named.iter().any(|id| {
                    [
                        "dk-finansielle-ankenaevn",
                        "dk-fondsmaeglerselskaber",
                        "dk-finansieringsselskaber",
                    ]
                    .contains(&id.as_str())
                });
                assert!(!(fkn && board), "{kind}/{c:?}: {named:?}");
                let crowd_general = kind == CompanyKind::Crowdfunding
                    && c.is_none_or(|c| c != Category::Payment && c != Category::Privacy);
                assert_eq!(fkn, crowd_general, "{kind}/{c:?}: {named:?}");
            }
        }
    }

    #[test]
    fn finansklagenemnda_only_for_members_and_forbrukertilsynet_otherwise() {
        for kind in CompanyKind::ALL {
            for c in every_category().filter(|c| *c != Some(Category::Privacy)) {
                let member = ids(
                    Firm {
                        kind,
                        finkn_member: true,
                    },
                    Jurisdiction::No,
                    c,
                );
                let outsider = ids(
                    Firm {
                        kind,
                        finkn_member: false,
                    },
                    Jurisdiction::No,
                    c,
                );
                assert!(
                    member.contains(&"no-finansklagenemnda".to_string()),
                    "{kind}/{c:?}"
                );
                assert!(!outsider.contains(&"no-finansklagenemnda".to_string()));
                assert!(
                    outsider.contains(&"no-forbrukertilsynet".to_string()),
                    "{kind}/{c:?}"
                );
            }
        }
        let mediates = referral_bodies(
            Firm {
                kind: CompanyKind::Crowdfunding,
                finkn_member: false,
            },
            Jurisdiction::No,
            Some(Category::Loan),
            Language::Nb,
        );
        assert!(mediates[0].handles.contains("mekle"), "{mediates:?}");
    }

    #[test]
    fn a_company_file_in_the_one_route_form_still_loads() {
        let data = Referrals::parse(ONE_BODY).unwrap();
        let firm = Firm::usual(CompanyKind::Crowdfunding);
        let fees = data.bodies_for(firm, Jurisdiction::Dk, Some(Category::Fees), Language::Nn);
        assert_eq!(fees[0].handles, "behandlar klager.");
        assert!(
            data.bodies_for(firm, Jurisdiction::Dk, None, Language::Nn)
                .is_empty()
        );
        let both = format!("{ONE_BODY}\n[[body.route]]\ncategories = \"all\"\n");
        let err = Referrals::parse(&both).unwrap_err().to_string();
        assert!(err.contains("not both"), "{err}");
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
