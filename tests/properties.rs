//! Property tests for the pieces hostile mail reaches first (issue 13): HTML to
//! text stays linear and keeps the words whatever the nesting, and staff command
//! parsing never panics and reads back what was written. Parsing whole mails is
//! covered in `no_panic.rs`, outgoing headers in `outbox::compose`'s tests.

use klagebot::case::{StaffCommand, parse_commands};
use klagebot::parse::html::to_text;
use proptest::prelude::*;

/// Markup pieces in any order and depth, closed or not, broken or not.
fn markup() -> impl Strategy<Value = String> {
    prop_oneof![
        Just("<blockquote>".to_string()),
        Just("</blockquote>".to_string()),
        Just("<div>".to_string()),
        Just("</div>".to_string()),
        Just("<p>".to_string()),
        Just("<br>".to_string()),
        Just("<table><tr><td>".to_string()),
        Just("<script>".to_string()),
        Just("</script>".to_string()),
        Just("<style>p{}</style>".to_string()),
        Just("<!-- ".to_string()),
        Just(" -->".to_string()),
        Just("<a href=\"x\" title='<b>'>".to_string()),
        Just("&aelig;&oslash;&aring;&#229;&#x;&nbsp;&".to_string()),
        Just("<".to_string()),
        Just(">".to_string()),
        "[a-zæøå ]{0,12}",
    ]
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(300))]

    #[test]
    fn html_to_text_output_is_bounded_by_its_input(pieces in prop::collection::vec(markup(), 0..400)) {
        let html: String = pieces.concat();
        let text = to_text(&html);
        prop_assert!(text.chars().count() <= html.chars().count() + 2, "{} from {}", text.len(), html.len());
    }

    #[test]
    fn words_survive_any_nesting(depth in 0usize..5_000, tag in "(blockquote|div|span|p|table|ul|li|font)") {
        let html = format!(
            "<p>Jeg klager over gebyret.</p>{}midt inde{}<p>Til sidst.</p>",
            format!("<{tag}>").repeat(depth),
            format!("</{tag}>").repeat(depth)
        );
        let text = to_text(&html);
        prop_assert!(text.contains("Jeg klager over gebyret."), "{text:.200}");
        prop_assert!(text.contains("midt inde"), "{text:.200}");
        prop_assert!(text.contains("Til sidst."), "{text:.200}");
    }

    #[test]
    fn command_parsing_never_panics(text in "(#[a-z]{0,12}[ -~æøå]{0,40}\n){0,6}[ -~æøå\n]{0,200}") {
        let _ = parse_commands(&text);
    }

    #[test]
    fn a_note_reads_back_as_written(note in "[ -~æøåÆØÅ]{0,120}", body in "[a-zæøå ]{0,80}") {
        let note = note.trim().to_string();
        let reply = parse_commands(&format!("#note {note}\n\n{body}")).unwrap();
        prop_assert_eq!(&reply.commands, &vec![StaffCommand::Note { text: note }]);
        prop_assert_eq!(reply.body, body.trim().to_string());
    }
}
