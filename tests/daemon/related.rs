//! The same matter, end to end: a second customer writes about the same failed
//! payout in other words; the handler's notice of the new case lists the first
//! case as related (with why), and the link is stored for `klagebot case`.

use crate::harness::{Harness, opened_case_with};
use crate::mails::complaint;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_staff_notice_of_a_new_case_lists_the_earlier_case_about_the_same_matter() {
    let mut h = Harness::new().await;
    h.start();
    let (first, _, _) = opened_case_with(
        &h,
        (
            "Klage over manglende udbetaling",
            "Hej\n\nUdbetalingen fra projekt Solbakken på 2.500 kr. er ikke kommet den \
             1. december, som I lovede. Jeg klager over det og vil have pengene nu.\n\n\
             Med venlig hilsen\nOle Hansen",
        ),
    )
    .await;
    let other = h.customer("kunde");
    h.send(
        &other,
        &complaint(
            &other.address,
            &h.klage.address,
            "Klage: pengene fra Solbakken mangler",
            "Hej\n\nJeg har stadig ikke fået min udbetaling på 2.500 kr. fra Solbakken, \
             der skulle være kommet 1. december. Det er ikke i orden, og jeg vil klage.\n\n\
             Hilsen Mette Jensen",
        ),
    );
    let cases = h.wait_for_cases(2).await;
    let second = cases
        .iter()
        .find(|c| c.reference != first.reference)
        .expect("a second case");
    let notices = h.settled_messages(&h.handler, 2);
    let notice = notices
        .iter()
        .find(|m| m.full_text.contains(&second.reference.to_string()))
        .expect("the handler's notice of the second case");
    assert!(
        notice.full_text.contains(&first.reference.to_string()),
        "the notice lists the earlier case: {}",
        notice.full_text
    );
    assert!(
        notice.full_text.to_lowercase().contains("solbakken"),
        "with the reason: {}",
        notice.full_text
    );
    let links = h
        .daemon
        .store
        .links_of(&second.reference)
        .await
        .expect("read the links");
    assert_eq!(links.len(), 1, "{links:?}");
    assert_eq!(links[0].other, first.reference);
    assert_eq!(links[0].state, "suggested");
    h.stop().await;
}
