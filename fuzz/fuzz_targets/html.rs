//! Any text as HTML: the text it gives is never longer than the markup (plus a
//! line break), whatever the nesting.
#![no_main]

use libfuzzer_sys::fuzz_target;

fuzz_target!(|html: &str| {
    let text = klagebot::parse::html::to_text(html);
    assert!(text.chars().count() <= html.chars().count() + 2);
});
