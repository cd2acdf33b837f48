//! Text as every part of `classify` reads it: one folding of letters and one
//! word splitter, so that a rule, the language markers and the complaint model
//! meet the same words.

/// Plain letters for the Nordic ones, and the two-letter spellings of those
/// (`ae`, `oe`, `aa`) reduced alike: "hjælp", "hjaelp" and "hjalp" all fold to
/// "hjalp", "påminnelse" and "paminnelse" to "paminnelse", "spärr" and "sparr"
/// to "sparr". Accented Latin letters lose their accent ("café" → "cafe").
/// Applied to lower-case text and to a rule's entry the same way, so that the
/// two still meet; the complaint model reads its words folded the same way.
pub fn fold(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    let mut last = '\0';
    for c in text.chars() {
        let c = fold_char(c);
        // "aa", "ae" and "oe" stand for one letter.
        let second_of_pair = (last == 'a' && (c == 'a' || c == 'e')) || (last == 'o' && c == 'e');
        if !second_of_pair {
            out.push(c);
        }
        last = c;
    }
    out
}

/// One letter folded: the Nordic vowels and the accented Latin ones to plain ASCII.
fn fold_char(c: char) -> char {
    match c {
        'æ' | 'ä' | 'å' | 'á' | 'à' | 'â' => 'a',
        'ø' | 'ö' | 'ó' | 'ò' | 'ô' => 'o',
        'é' | 'è' | 'ê' | 'ë' => 'e',
        'ü' | 'ú' | 'ù' | 'û' => 'u',
        'í' | 'ì' | 'î' | 'ï' => 'i',
        other => other,
    }
}

/// The words of a text: letters and digits, apostrophes kept ("i'm", "don’t").
pub fn words(text: &str) -> impl Iterator<Item = &str> {
    text.split(|c: char| !(c.is_alphanumeric() || c == '\'' || c == '’'))
        .filter(|w| !w.is_empty())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn nordic_spellings_fold_alike() {
        assert_eq!(fold("hjælp"), "hjalp");
        assert_eq!(fold("hjaelp"), "hjalp");
        assert_eq!(fold("hjalp"), "hjalp");
        assert_eq!(fold("påminnelse"), fold("paminnelse"));
        assert_eq!(fold("spærret"), fold("spaerret"));
        assert_eq!(fold("får"), fold("faar"));
        assert_eq!(fold("föräldrar"), fold("foraldrar"));
        assert_eq!(fold("café"), "cafe");
    }

    #[test]
    fn words_keep_apostrophes_and_digits() {
        let found: Vec<&str> = words("I'm 3× charged—don’t!").collect();
        assert_eq!(found, ["I'm", "3", "charged", "don’t"]);
    }
}
