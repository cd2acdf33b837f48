//! Templates rendered into complete outgoing mail: the texts (`render`, `context`,
//! `dates`, `referral`), the RFC 5322 message around them (`compose`, `threading`)
//! and the per-case reply addresses staff answer through (`token`).

pub mod case_context;
pub mod check;
pub mod compose;
pub mod context;
pub mod dates;
pub mod forbidden;
pub mod kind;
pub mod referral;
pub mod render;
pub mod samples;
pub mod threading;
pub mod token;

pub use check::CheckError;
pub use compose::{ComposeError, NamedAddress, OutgoingMessage, compose};
pub use context::TemplateContext;
pub use kind::TemplateKind;
pub use referral::{Firm, ReferralBody, Referrals, referral_bodies};
pub use render::{RenderError, RenderedText, TemplateError, Templates};
pub use threading::{message_id, notice_message_id, parse_our_message_id, thread_index};
pub use token::{
    bounce_address, mail_reply_address, reply_address, verify_bounce_address,
    verify_mail_reply_address, verify_reply_address, without_tagged_addresses,
};

/// The templates and referral data a config asks for: the shipped ones, with the
/// company's overrides from `[templates] dir` and `referrals_file`.
pub fn load_from_config(config: &crate::config::Config) -> anyhow::Result<(Templates, Referrals)> {
    use anyhow::Context;
    let dir = config.templates.dir.as_deref();
    let templates = Templates::load(dir).context("while loading the mail templates")?;
    let referrals = Referrals::load(config.templates.referrals_file.as_deref())
        .context("while loading the referral bodies")?;
    Ok((templates, referrals))
}

/// What `klagebot check` runs for the texts: load the configured templates and
/// referral data, then render every kind in every language.
pub fn check_config_templates(config: &crate::config::Config) -> anyhow::Result<()> {
    let (templates, _referrals) = load_from_config(config)?;
    templates.check_all()?;
    Ok(())
}

#[cfg(test)]
mod tests {
    #[test]
    fn templates_can_be_shared_between_tasks() {
        fn shareable<T: Send + Sync>() {}
        shareable::<super::Templates>();
        shareable::<super::Referrals>();
    }

    #[test]
    fn the_embedded_default_config_passes_the_template_check() {
        let config = crate::config::Config::embedded_default();
        super::check_config_templates(&config).unwrap();
    }
}
