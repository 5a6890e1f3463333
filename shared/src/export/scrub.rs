//! Free text made safe to hand out: personal identity numbers, phone numbers, e-mail
//! addresses, street addresses and postal codes replaced by [`REMOVED`], and text cells
//! that a spreadsheet would run as a formula neutralised.
//!
//! The patterns err on the side of removing: a ten-digit number shaped like a personal
//! identity number goes even if its check digit is wrong (a typo'd number still points
//! at a person). Names are not found: the questionnaire asks respondents not to write any,
//! and free text is left out of exports unless asked for.

use std::borrow::Cow;
use std::sync::LazyLock;

use regex::Regex;

/// What a removed piece of text becomes.
pub const REMOVED: &str = "[borttaget]";

/// Each pattern compiled once; the order matters (see [`scrub`]).
static PATTERNS: LazyLock<Vec<Regex>> = LazyLock::new(|| {
    [
        // Personnummer and samordningsnummer (day + 60): [CC]YYMMDD, then `-`, `+`, an en
        // dash (phones and word processors make one), a space or nothing, then four digits.
        r"\b(?:19|20)?\d{2}(?:0[1-9]|1[0-2])(?:0[1-9]|[12]\d|3[01]|6[1-9]|[78]\d|9[01])[-+– ]?\d{4}\b",
        // E-mail addresses.
        r"[\w.%+-]+@[\w-]+(?:\.[\w-]+)+",
        // Swedish phone numbers: 0 or +46 / 0046 (perhaps with "(0)"), an area or mobile
        // prefix, a separator (`-`, en dash, `/` or `.`, perhaps between spaces, or a
        // space), then 5 to 8 digits in groups separated by single spaces or dashes.
        r"(?:\+46|\b0046|\b0) ?(?:\(0\) ?)?\(?\d{1,3}\)?(?: ?[-–/.] ?| )?\d(?:[ \-–]?\d){4,7}\b",
        // Street addresses: a street name by its Swedish ending, then a house number and
        // perhaps a letter: "Storgatan 12", "Kungsgatan 5B", "Björkvägen 3 A",
        // "Granslingan 7"; or shortened to "Storg. 12", "Björkv. 3".
        r"(?i)\b[\p{L}]*(?:gatan|gata|vägen|väg|gränd|gränden|stigen|backen|torget|torg|platsen|allén|allé|leden|esplanaden|promenaden|kajen|stranden|liden|slingan|stråket|gången|ringen|höjden|hagen|kroken|lyckan)\s+\d{1,4}(?:\s?[a-z])?\b",
        r"(?i)\b\p{L}{3,}[gv]\.\s?\d{1,4}(?:\s?[a-z])?\b",
        // A postal code with its town: "442 31 Kungälv", "44231 Kungälv" (a small area,
        // with age band and form of care enough to point at a person).
        r"\b\d{3} ?\d{2}\s+\p{Lu}\p{L}+",
    ]
    .iter()
    .map(|pattern| Regex::new(pattern).expect("the scrubbing patterns are valid (tested)"))
    .collect()
});

/// The text with every personal detail found replaced by [`REMOVED`]. Identity numbers go
/// before phone numbers, so a ten-digit personnummer is not half taken for a phone number.
pub fn scrub(text: &str) -> Cow<'_, str> {
    let mut current = Cow::Borrowed(text);
    for pattern in PATTERNS.iter() {
        if let Cow::Owned(replaced) = pattern.replace_all(&current, REMOVED) {
            current = Cow::Owned(replaced);
        }
    }
    current
}

/// Characters that make Excel, LibreOffice or Google Sheets read a cell as a formula (or
/// split it), also in their full-width forms.
const FORMULA_STARTS: [char; 10] = ['=', '+', '-', '@', '\t', '\r', '＝', '＋', '－', '＠'];

/// A text cell that cannot start a formula: prefixed with `'` when its first character
/// after leading spaces is one that starts a formula. Used on every text cell, never on
/// numeric columns, so a negative number stays a number.
pub fn neutralise(text: &str) -> Cow<'_, str> {
    let first = text
        .chars()
        .find(|c| !matches!(c, ' ' | '\u{a0}' | '\u{3000}'));
    match first {
        Some(c) if FORMULA_STARTS.contains(&c) => Cow::Owned(format!("'{text}")),
        _ => Cow::Borrowed(text),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn assert_removed(text: &str, expected: &str) {
        assert_eq!(scrub(text), expected, "scrubbing {text:?}");
    }

    #[test]
    fn personal_identity_numbers_are_removed_in_every_form() {
        for number in [
            "121212-1212",
            "1212121212",
            "19121212-1212",
            "191212121212",
            "20121212+1212",
            "121212+1212",
            "450101-1234",
            // Samordningsnummer: day + 60.
            "701063-2391",
            "197010632391",
            "19701091-2391",
            "121212–1212",
            "19121212 1212",
            "121212 1212",
        ] {
            assert_removed(&format!("Mitt nr är {number}."), "Mitt nr är [borttaget].");
        }
    }

    #[test]
    fn phone_numbers_are_removed_in_swedish_forms() {
        for number in [
            "070-123 45 67",
            "070-1234567",
            "0701234567",
            "070 123 45 67",
            "+46 70 123 45 67",
            "+46701234567",
            "0046 70 123 45 67",
            "031-123456",
            "031-12 34 56",
            "08-123 456 78",
            "08-12345678",
            "0303-12345",
            "070 - 123 45 67",
            "070 – 123 45 67",
            "031/123456",
            "070.123 45 67",
            "+46 (0)70-123 45 67",
            "0708-12 34 56",
            "0708 12 34 56",
        ] {
            assert_removed(
                &format!("Ring {number} i morgon"),
                "Ring [borttaget] i morgon",
            );
        }
    }

    #[test]
    fn email_addresses_are_removed() {
        for address in [
            "anna.andersson@kungalv.se",
            "a+b@example.com",
            "åsa_ö@post.sub.example.org",
        ] {
            assert_removed(&format!("Mejla {address}, tack"), "Mejla [borttaget], tack");
        }
    }

    #[test]
    fn street_addresses_are_removed() {
        for address in [
            "Storgatan 12",
            "Kungsgatan 5B",
            "Björkvägen 3 A",
            "storgatan 12",
            "Lilla Torget 4",
            "Solstigen 7",
            "Karl Johans gata 3",
            "Granslingan 7",
            "Tallstråket 2",
            "Björkhagen 12",
            "Solhöjden 4 b",
            "Storg. 12",
            "Björkv. 3",
            "Storgatan 12, 442 31 Kungälv",
        ] {
            let text = format!("Jag bor på {address} sedan länge");
            let scrubbed = scrub(&text);
            assert!(scrubbed.contains(REMOVED), "{address}: {scrubbed}");
            assert!(
                !scrubbed.chars().any(|c| c.is_ascii_digit()),
                "{address}: {scrubbed}"
            );
            assert!(scrubbed.ends_with(" sedan länge"), "{address}: {scrubbed}");
        }
    }

    #[test]
    fn postal_codes_with_their_town_are_removed() {
        for place in ["442 31 Kungälv", "44231 Kungälv"] {
            assert_removed(
                &format!("Jag flyttade till {place} i fjol"),
                "Jag flyttade till [borttaget] i fjol",
            );
        }
    }

    #[test]
    fn ordinary_text_dates_and_amounts_survive() {
        for text in [
            "Besöket var 2026-03-01 och nästa 2026-04-15.",
            "Det kostade 1 500 kr, eller 12 000 kronor per år.",
            "Jag är 85 år och har bott här i 30 år.",
            "Personalen kom kl 14.30 och stannade 0,5 timme.",
            "Vägen hit är lång och gatan är mörk.",
            "Jag fick 3 av 5 i betyg, 10 % bättre än i fjol.",
            "Tack för en bra vård! Sjuksköterskan var underbar.",
            "År 2025 var bättre än 2024.",
            "Mellan 1/3 och 15/4 2026 fick jag hjälp 2 gånger.",
            "Summan var 1234567 kronor.",
            "Hon kom kl 08.30-09.15 och igen kl. 14.00.",
            "Jag har fått hjälp i 12 år, 3 gånger per dag.",
            "Avdelning 2 på Solgården, rum 14, var bäst.",
            "Se sidan 12 ang. 3 frågor.",
            "Vi var 100 personer och 12 000 kronor räckte. Sedan 2024 Bättre.",
        ] {
            assert_eq!(scrub(text), text);
        }
    }

    #[test]
    fn formula_starts_are_neutralised_even_after_spaces_and_in_full_width() {
        for text in [
            "=SUM(A1)", "+46", "-1+1", "@cmd", "\tx", "\rx", "  =1+1", "\u{a0}@x", "＝1", "＋1",
            "－1", "＠x",
        ] {
            assert_eq!(neutralise(text), format!("'{text}"), "{text:?}");
        }
        for text in ["Bra vård", "1-2 gånger", "", "a=b", "'redan"] {
            assert_eq!(neutralise(text), text);
        }
    }
}
