use super::*;

fn example(text: &str, complaint: bool) -> Example {
    Example {
        subject: String::new(),
        text: text.into(),
        signals: Vec::new(),
        complaint,
    }
}

fn six() -> Vec<Example> {
    vec![
        example("you charged me twice and nobody answers", true),
        example("the fee is wrong and I want it back", true),
        example("still no money after three weeks, unacceptable", true),
        example("what are your opening hours", false),
        example("please send me a new card", false),
        example("thanks for the quick help", false),
    ]
}

#[test]
fn training_separates_what_it_was_shown_and_is_deterministic() {
    let examples = six();
    let model = train(&examples, Training::default());
    for e in &examples {
        let p = model.judge(&e.subject, &e.text, &[]).probability;
        assert_eq!(p > 0.5, e.complaint, "{p} for {:?}", e.text);
    }
    let again = train(&examples, Training::default());
    assert_eq!(model.to_tsv("", 0.0), again.to_tsv("", 0.0));
    let verdict = model.judge("", "nobody answers and the fee is wrong", &[]);
    assert!(verdict.probability > 0.5);
    assert!(!verdict.top.is_empty());
}

#[test]
fn names_in_the_training_mail_never_become_features() {
    let signed: Vec<Example> = six()
        .into_iter()
        .zip(["Frank", "Ahmed", "Frode", "Pia", "Ole", "Åsa"])
        .map(|(mut e, name)| {
            e.text = format!("Hi,\n{}\n\nBest regards\n{name} Jensen", e.text);
            e
        })
        .collect();
    let model = train(&signed, Training::default());
    let tsv = model.to_tsv("", 0.0);
    for name in [
        "frank", "ahmed", "frode", "pia", "ole", "asa", "jensen", "regards",
    ] {
        assert!(
            !tsv.lines()
                .any(|l| l.split(['\t', ' ', ':']).any(|w| w == name)),
            "{name} is a feature:\n{tsv}"
        );
    }
}

#[test]
fn a_company_label_weighs_more_and_moves_the_model() {
    let shipped = six();
    let plain = train(&shipped, Training::default());
    let text = "the fee is fine but I want a new card";
    let p_before = plain.judge("", text, &[]).probability;
    let company = [example(text, true)];
    let taught = retrain(&shipped, &company, &[], 5.0, Training::default());
    let p_after = taught.judge("", text, &[]).probability;
    assert!(p_after > p_before + 0.1, "{p_before} → {p_after}");
}

#[test]
fn cross_validation_measures_each_company_label_with_a_model_that_did_not_see_it() {
    let shipped = six();
    let vocabulary = vocabulary(&shipped);
    let base = featurise(&shipped, &vocabulary, 1.0);
    let company = featurise(
        &[
            example("you charged me twice", true),
            example("nobody answers, unacceptable", true),
            example("what are your opening hours on friday", false),
        ],
        &vocabulary,
        5.0,
    );
    let before = Model::new([], -5.0);
    let (was, now) = cross_validate(&base, &company, 5, 0.5, &before, Training::default());
    assert_eq!(
        was,
        measure::Rate { hits: 1, n: 3 },
        "a model that never says complaint"
    );
    assert_eq!(now.n, 3);
    assert!(now.hits >= 2, "{now:?}");
}
