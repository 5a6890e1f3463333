//! Printable letters of a batch: the letter text a municipality edits, the parts a batch is
//! downloaded in, and each link's QR code as one compact SVG path.
//!
//! Letters come in parts of at most [`LETTER_PART`], so one response (about 5 KB a
//! letter) stays far below Lambda's 6 MB response limit and a browser prints it without
//! trouble.

use std::ops::Range;

use qrcode::{Color, EcLevel, QrCode};

use super::invitations::{InvitationRow, MadeBatch, PublicUrl};
use super::{Caller, Workspace, WorkspaceError, WorkspaceResult};
use crate::domain::*;

/// The most letters in one download.
pub const LETTER_PART: usize = 1_000;
/// The most characters of the letter text: enough for a page, with room for link, code
/// and QR code.
pub const MAX_LETTER_TEXT: usize = 2_000;

/// The batch positions (0-based) of each part of its letters, in order.
pub fn parts(letters: usize) -> Vec<Range<usize>> {
    (0..letters)
        .step_by(LETTER_PART)
        .map(|start| start..(start + LETTER_PART).min(letters))
        .collect()
}

/// The letter's own words, as the municipality wrote them: plain text, line breaks kept,
/// at most [`MAX_LETTER_TEXT`] characters. Shown escaped, never as HTML.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LetterText(String);

impl LetterText {
    pub fn parse(typed: &str) -> WorkspaceResult<Self> {
        let text = typed.replace("\r\n", "\n").replace('\r', "\n");
        let text = text.trim();
        if text.is_empty() {
            return Err(WorkspaceError::invalid(
                "text",
                "Skriv brevets text: den står överst i varje brev.",
            ));
        }
        let length = text.chars().count();
        if length > MAX_LETTER_TEXT {
            return Err(WorkspaceError::invalid(
                "text",
                format!(
                    "Brevets text får vara högst {MAX_LETTER_TEXT} tecken så att den ryms på sidan; den är nu {length}."
                ),
            ));
        }
        Ok(Self(text.to_owned()))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// The text's paragraphs (split at blank lines), each as its lines.
    pub fn paragraphs(&self) -> Vec<Vec<&str>> {
        self.0
            .split("\n\n")
            .map(str::trim)
            .filter(|paragraph| !paragraph.is_empty())
            .map(|paragraph| paragraph.lines().map(str::trim_end).collect())
            .collect()
    }
}

/// One part of a batch's letters, ready to render.
#[derive(Debug, Clone)]
pub struct Letters {
    pub made: MadeBatch,
    pub text: LetterText,
    /// Which part (1-based) of how many.
    pub part: usize,
    pub parts: usize,
    pub rows: Vec<InvitationRow>,
}

impl Workspace {
    /// Part `part` (1-based) of a batch's letters with the given text. Like
    /// [`Workspace::download`], only with the batch's secret; recorded as a download.
    #[allow(clippy::too_many_arguments)]
    pub async fn letters(
        &self,
        caller: &Caller,
        round: &RoundId,
        batch: &BatchId,
        secret: &str,
        base: &PublicUrl,
        part: &str,
        text: &str,
    ) -> WorkspaceResult<Letters> {
        // The secret is checked before anything is said about the form's other values.
        let made = self.made_batch(caller, round, batch, secret).await?;
        let ranges = parts(made.batch.numbers.len());
        let range = part
            .trim()
            .parse::<usize>()
            .ok()
            .and_then(|part| ranges.get(part.checked_sub(1)?).cloned())
            .ok_or_else(|| WorkspaceError::invalid("del", "Välj en av satsens delar."))?;
        let text = LetterText::parse(text)?;
        let part = range.start / LETTER_PART + 1;
        let (made, rows) = self
            .download(caller, round, batch, secret, base, Some(range))
            .await?;
        Ok(Letters {
            made,
            text,
            part,
            parts: ranges.len(),
            rows,
        })
    }
}

/// A QR code as SVG: `size` modules square (quiet zone included) and the dark modules as
/// one path in module units, to be drawn in a `viewBox` of `0 0 size size` with a stroke
/// one module wide (`stroke-width="1"`, no fill): about 2 KB for a link, where a
/// rectangle per module or per run would be 4 to 10 KB.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct QrSvg {
    pub size: usize,
    pub path: String,
}

/// The quiet zone the QR standard asks for around the code, in modules.
const QUIET_ZONE: usize = 4;

/// The QR code of `data` (error correction M: a letter may get a crease or a stain).
/// `None` only for data too long for any QR code (a link is about 60 bytes).
pub fn qr_svg(data: &str) -> Option<QrSvg> {
    let code = QrCode::with_error_correction_level(data.as_bytes(), EcLevel::M).ok()?;
    let width = code.width();
    let colors = code.to_colors();
    let mut path = String::with_capacity(width * width / 2);
    for (y, row) in colors.chunks(width).enumerate() {
        // Where the pen is on this row (`None` before the row's first run).
        let mut pen: Option<usize> = None;
        let mut x = 0;
        while x < width {
            if row[x] != Color::Dark {
                x += 1;
                continue;
            }
            let start = x;
            while x < width && row[x] == Color::Dark {
                x += 1;
            }
            // Each run of dark modules is a line along the middle of its row, drawn with
            // a stroke one module wide; within a row the pen moves relative.
            match pen {
                None => path.push_str(&format!("M{} {}.5", start + QUIET_ZONE, y + QUIET_ZONE)),
                Some(end) => path.push_str(&format!("m{} 0", start - end)),
            }
            path.push_str(&format!("h{}", x - start));
            pen = Some(x);
        }
    }
    Some(QrSvg {
        size: width + 2 * QUIET_ZONE,
        path,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn letters_come_in_parts_of_at_most_1000() {
        assert_eq!(parts(0), Vec::<Range<usize>>::new());
        assert_eq!(parts(98), vec![0..98]);
        assert_eq!(parts(1000), vec![0..1000]);
        assert_eq!(parts(2001), vec![0..1000, 1000..2000, 2000..2001]);
        assert_eq!(parts(20_000).len(), 20);
    }

    #[test]
    fn letter_texts_keep_paragraphs_and_lines_and_have_a_limit() {
        let text = LetterText::parse("Hej!\r\nRad två\r\n\r\n\r\nStycke två  \n").expect("valid");
        assert_eq!(
            text.paragraphs(),
            vec![vec!["Hej!", "Rad två"], vec!["Stycke två"]]
        );
        assert!(LetterText::parse(&"å".repeat(MAX_LETTER_TEXT)).is_ok());
        assert!(matches!(
            LetterText::parse(&"å".repeat(MAX_LETTER_TEXT + 1)),
            Err(WorkspaceError::Invalid { field: "text", .. })
        ));
        assert!(LetterText::parse("  \n ").is_err());
    }

    #[test]
    fn a_links_qr_code_is_one_small_path_inside_its_quiet_zone() {
        let link = "https://svar.example.se/s/0123456789abcdefghjkmnpqrstvwx";
        let qr = qr_svg(link).expect("a link fits");
        assert_eq!(qr.size, 33 + 2 * QUIET_ZONE, "version 4 at level M");
        // The top left finder pattern starts every code: 7 dark modules on the first row.
        let first_row = format!("M{QUIET_ZONE} {QUIET_ZONE}.5h7m");
        assert!(qr.path.starts_with(&first_row), "{}", qr.path);
        assert!(qr.path.len() < 3_000, "{} bytes", qr.path.len());
        assert_ne!(qr_svg(&link.replace('0', "1")), Some(qr));
    }

    /// Draws the path back into modules: exactly the code's dark modules, nothing else.
    #[test]
    fn the_path_draws_exactly_the_codes_dark_modules() {
        let link = "https://svar.example.se/s/zyxwvtsrqpnmkjhgfedcba9876543210";
        let qr = qr_svg(link).expect("a link fits");
        let code = QrCode::with_error_correction_level(link.as_bytes(), EcLevel::M).expect("fits");
        let mut drawn = vec![false; qr.size * qr.size];
        let (mut x, mut y) = (0usize, 0usize);
        let mut rest = qr.path.as_str();
        while !rest.is_empty() {
            let command = rest.as_bytes()[0];
            let end = rest[1..]
                .find(['M', 'm', 'h'])
                .map_or(rest.len(), |i| i + 1);
            let args: Vec<&str> = rest[1..end].split(' ').collect();
            match command {
                b'M' => {
                    x = args[0].parse().expect("x");
                    y = args[1].trim_end_matches(".5").parse().expect("y");
                }
                b'm' => x += args[0].parse::<usize>().expect("dx"),
                b'h' => {
                    let run: usize = args[0].parse().expect("run");
                    for module in x..x + run {
                        drawn[y * qr.size + module] = true;
                    }
                    x += run;
                }
                other => panic!("unexpected command {}", other as char),
            }
            rest = &rest[end..];
        }
        let width = code.width();
        for (i, color) in code.to_colors().into_iter().enumerate() {
            let (cx, cy) = (i % width + QUIET_ZONE, i / width + QUIET_ZONE);
            assert_eq!(
                drawn[cy * qr.size + cx],
                color == Color::Dark,
                "module {cx},{cy}"
            );
        }
        assert_eq!(
            drawn.iter().filter(|d| **d).count(),
            code.to_colors()
                .iter()
                .filter(|c| **c == Color::Dark)
                .count()
        );
    }
}
