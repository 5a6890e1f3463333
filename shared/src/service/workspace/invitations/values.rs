//! The values a batch's downloads are made of: how many to make, the links' address, the
//! rows, their CSV.

use super::super::{WorkspaceError, WorkspaceResult};
use super::MAX_BATCH;
use crate::domain::Credential;

/// The number of invitations to make, 1 to [`MAX_BATCH`]: parsed once from what was typed
/// (the form) or sent (the API).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct BatchSize(u32);

impl BatchSize {
    pub fn new(count: u64) -> WorkspaceResult<Self> {
        match u32::try_from(count) {
            Ok(count) if (1..=MAX_BATCH).contains(&count) => Ok(Self(count)),
            _ => Err(WorkspaceError::invalid(
                "antal",
                format!("Ange ett antal mellan 1 och {}.", thousands(MAX_BATCH)),
            )),
        }
    }

    /// A whole number as typed: spaces (as in "20 000") are ignored.
    pub fn parse(typed: &str) -> WorkspaceResult<Self> {
        let digits: String = typed
            .chars()
            .filter(|c| !c.is_whitespace() && *c != '\u{a0}')
            .collect();
        match digits.parse::<u64>() {
            Ok(count) => Self::new(count),
            Err(_) if digits.is_empty() => Err(WorkspaceError::invalid(
                "antal",
                "Ange hur många inbjudningar som ska skapas.",
            )),
            Err(_) => Err(WorkspaceError::invalid(
                "antal",
                format!(
                    "Antalet ska vara ett heltal mellan 1 och {}, till exempel 250.",
                    thousands(MAX_BATCH)
                ),
            )),
        }
    }

    pub fn get(self) -> u32 {
        self.0
    }
}

/// A number with a space between thousands, as Swedish text writes it.
pub fn thousands(n: impl Into<u64>) -> String {
    let digits = n.into().to_string();
    let mut out = String::with_capacity(digits.len() + digits.len() / 3);
    for (i, c) in digits.chars().enumerate() {
        if i > 0 && (digits.len() - i) % 3 == 0 {
            out.push('\u{a0}');
        }
        out.push(c);
    }
    out
}

/// The start of every link: the service's public address, e.g. `https://svar.example.se`.
/// Taken from the request's `Host` by the admin function (the address the person making
/// the batch uses is the one patients reach), checked so that nothing but a host name and
/// port can end up in a CSV file or a letter.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PublicUrl(String);

impl PublicUrl {
    pub fn from_host(host: &str, https: bool) -> Option<Self> {
        let valid = !host.is_empty()
            && host.len() <= 253
            && host
                .bytes()
                .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'.' | b'-' | b':'));
        let scheme = if https { "https" } else { "http" };
        valid.then(|| Self(format!("{scheme}://{}", host.to_ascii_lowercase())))
    }

    pub fn link(&self, credential: &Credential) -> String {
        format!("{}/s/{}", self.0, credential.path_segment())
    }
}

/// One invitation's credentials as a download shows them: no personal data.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct InvitationRow {
    pub number: u32,
    /// The whole link, e.g. `https://svar.example.se/s/abc...`.
    pub link: String,
    /// As printed: `ABCDE-FGHJK`.
    pub code: String,
}

/// The CSV of a batch for a mail merge: RFC 4180, comma-separated, CRLF line ends, UTF-8
/// without a byte order mark; a header and one row per invitation (running number, link,
/// short code). No personal data: the municipality merges it with its own address list.
pub fn csv(rows: &[InvitationRow]) -> String {
    let mut out = String::with_capacity(32 + rows.len() * 80);
    out.push_str("lopnummer,lank,kod\r\n");
    for row in rows {
        out.push_str(&row.number.to_string());
        out.push(',');
        out.push_str(&csv_field(&row.link));
        out.push(',');
        out.push_str(&csv_field(&row.code));
        out.push_str("\r\n");
    }
    out
}

/// A field quoted when it holds a comma, quote or line break (quotes doubled), and a
/// leading `=`, `+`, `-` or `@` defused with an apostrophe so a spreadsheet does not run
/// it as a formula. Links and codes never need either; this is for safety, not use.
pub fn csv_field(value: &str) -> String {
    let value = if value.starts_with(['=', '+', '-', '@']) {
        format!("'{value}")
    } else {
        value.to_owned()
    };
    if value.contains([',', '"', '\r', '\n']) {
        format!("\"{}\"", value.replace('"', "\"\""))
    } else {
        value
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn batch_sizes_are_whole_numbers_from_1_to_20000() {
        assert_eq!(BatchSize::parse("100").map(BatchSize::get).ok(), Some(100));
        assert_eq!(
            BatchSize::parse(" 20 000 ").map(BatchSize::get).ok(),
            Some(20_000)
        );
        for bad in ["0", "20001", "abc", "", "-5", "1.5", "99999999999999999999"] {
            match BatchSize::parse(bad) {
                Err(WorkspaceError::Invalid { field, message }) => {
                    assert_eq!(field, "antal");
                    assert!(!message.is_empty());
                }
                other => panic!("{bad:?}: {other:?}"),
            }
        }
    }

    #[test]
    fn csv_fields_are_quoted_only_when_needed_and_formulas_are_defused() {
        assert_eq!(csv_field("https://a.se/s/abc"), "https://a.se/s/abc");
        assert_eq!(csv_field("a,b"), "\"a,b\"");
        assert_eq!(csv_field("say \"hi\""), "\"say \"\"hi\"\"\"");
        assert_eq!(csv_field("two\nlines"), "\"two\nlines\"");
        assert_eq!(csv_field("=1+1"), "'=1+1");
        assert_eq!(csv_field("-2,3"), "\"'-2,3\"");
        let rows = [InvitationRow {
            number: 7,
            link: "https://a.se/s/x".into(),
            code: "ABCDE-FGHJK".into(),
        }];
        assert_eq!(
            csv(&rows),
            "lopnummer,lank,kod\r\n7,https://a.se/s/x,ABCDE-FGHJK\r\n"
        );
    }

    #[test]
    fn public_urls_take_only_a_host_and_port() {
        let url = PublicUrl::from_host("Svar.Example.se:8443", true).expect("valid");
        assert_eq!(
            url.link(&Credential::Code("ABCDEFGHJK".into())),
            "https://svar.example.se:8443/s/ABCDEFGHJK"
        );
        for bad in ["", "a.se/evil", "a.se\r\nx", "a b", "\"a\""] {
            assert!(PublicUrl::from_host(bad, false).is_none(), "{bad:?}");
        }
    }

    #[test]
    fn thousands_are_grouped_with_a_space() {
        assert_eq!(thousands(5u32), "5");
        assert_eq!(thousands(1000u32), "1\u{a0}000");
        assert_eq!(thousands(20_000u32), "20\u{a0}000");
        assert_eq!(thousands(1_234_567u64), "1\u{a0}234\u{a0}567");
    }
}
