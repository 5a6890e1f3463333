//! Invitation credentials: the link token and the short code on a paper letter, and the
//! keyed hashes they are stored as, so a copy of the database cannot be used to guess
//! short codes offline.

use std::fmt;
use std::net::IpAddr;

use hmac::{Hmac, Mac};
use rand::Rng;
use serde::{Deserialize, Serialize};
use sha2::Sha256;

/// Crockford's base 32: no I, L, O or U, so a code read aloud or typed from paper is unambiguous.
const ALPHABET: &[u8; 32] = b"0123456789ABCDEFGHJKMNPQRSTVWXYZ";
/// 32 symbols of 5 bits: 160 bits.
const LINK_TOKEN_LEN: usize = 32;
/// 10 symbols of 5 bits: 50 bits.
const SHORT_CODE_LEN: usize = 10;

/// A secret that credentials are hashed with, so a copy of the database cannot be used to
/// guess short codes offline. Never printed.
#[derive(Clone)]
pub struct HashKey(Vec<u8>);

impl HashKey {
    pub fn new(bytes: Vec<u8>) -> Self {
        Self(bytes)
    }

    pub fn generate() -> Self {
        let mut bytes = vec![0u8; 32];
        rand::rng().fill(&mut bytes[..]);
        Self(bytes)
    }

    pub fn as_bytes(&self) -> &[u8] {
        &self.0
    }
}

impl fmt::Debug for HashKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("HashKey(..)")
    }
}

/// A credential that opens an invitation: the link token or the short code on paper.
/// Debug output never shows the value.
#[derive(Clone, PartialEq, Eq)]
pub enum Credential {
    Link(String),
    Code(String),
}

impl fmt::Debug for Credential {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Credential::Link(_) => f.write_str("Credential::Link(..)"),
            Credential::Code(_) => f.write_str("Credential::Code(..)"),
        }
    }
}

fn random_symbols(len: usize) -> String {
    let mut rng = rand::rng();
    (0..len)
        .map(|_| ALPHABET[rng.random_range(0..ALPHABET.len())] as char)
        .collect()
}

/// The first `len` symbols of five bits each of `bytes` (at most 51 of 32 bytes).
fn symbols_from_bytes(bytes: &[u8; 32], len: usize) -> String {
    (0..len)
        .map(|i| {
            let bit = i * 5;
            let pair =
                u16::from_be_bytes([bytes[bit / 8], bytes.get(bit / 8 + 1).copied().unwrap_or(0)]);
            let index = (pair >> (11 - bit % 8)) & 0x1f;
            ALPHABET[index as usize] as char
        })
        .collect()
}

fn is_space(c: char) -> bool {
    c.is_whitespace() || c == '\u{a0}' || c == '\u{202f}'
}

/// Hyphen, en dash, em dash, minus and their kin: word processors turn `-` into these.
fn is_dash(c: char) -> bool {
    matches!(
        c,
        '-' | '\u{2010}' | '\u{2011}' | '\u{2012}' | '\u{2013}' | '\u{2014}' | '\u{2212}'
    )
}

/// A full-width letter, digit or sign (U+FF01 to U+FF5E, what Chinese and Japanese
/// keyboards type) as its ASCII form, so a code typed on one is read as the letter shows.
fn narrow(c: char) -> char {
    match c {
        '\u{ff01}'..='\u{ff5e}' => char::from_u32(c as u32 - 0xfee0).unwrap_or(c),
        _ => c,
    }
}

/// What ends up after a credential copied out of a sentence, a mail or a document.
fn is_trailing_junk(c: char) -> bool {
    is_space(c)
        || matches!(
            c,
            '.' | ','
                | ';'
                | ':'
                | '!'
                | '?'
                | ')'
                | ']'
                | '>'
                | '/'
                | '"'
                | '\''
                | '”'
                | '’'
                | '»'
                | '。'
                | '、'
        )
}

impl Credential {
    pub fn new_link() -> Self {
        Credential::Link(random_symbols(LINK_TOKEN_LEN).to_ascii_lowercase())
    }

    pub fn new_code() -> Self {
        Credential::Code(random_symbols(SHORT_CODE_LEN))
    }

    /// A link token from 32 bytes of (derived) randomness: the first 160 bits.
    pub fn link_from_bytes(bytes: &[u8; 32]) -> Self {
        Credential::Link(symbols_from_bytes(bytes, LINK_TOKEN_LEN).to_ascii_lowercase())
    }

    /// A short code from 32 bytes of (derived) randomness: the first 50 bits.
    pub fn code_from_bytes(bytes: &[u8; 32]) -> Self {
        Credential::Code(symbols_from_bytes(bytes, SHORT_CODE_LEN))
    }

    /// Parses the `{token}` of `/s/{token}` (already percent-decoded): a 32-symbol link
    /// token, or a short code. What a mail program or a copy adds after a link (a full
    /// stop, a bracket, a quotation mark, a slash, a space) is ignored: tokens never hold
    /// those characters.
    pub fn from_path(segment: &str) -> Option<Self> {
        let segment = segment.trim_end_matches(is_trailing_junk);
        if segment.len() == LINK_TOKEN_LEN {
            let valid = segment
                .bytes()
                .all(|b| ALPHABET.contains(&b.to_ascii_uppercase()) && !b.is_ascii_uppercase());
            return valid.then(|| Credential::Link(segment.to_owned()));
        }
        Self::from_typed_code(segment)
    }

    /// Parses a short code as a person types or pastes it: any case, with spaces or any
    /// kind of dash, O read as 0 and I or L as 1, with a leading "Kod:" (or "Code:") and
    /// trailing punctuation ignored.
    pub fn from_typed_code(typed: &str) -> Option<Self> {
        let narrowed: String = typed.chars().map(narrow).collect();
        let typed = narrowed.trim_matches(is_space);
        let typed = ["kod:", "code:"]
            .iter()
            .find_map(|label| {
                typed
                    .get(..label.len())
                    .filter(|start| start.eq_ignore_ascii_case(label))
                    .map(|_| &typed[label.len()..])
            })
            .unwrap_or(typed);
        let typed = typed.trim_end_matches(is_trailing_junk);
        let mut code = String::with_capacity(SHORT_CODE_LEN);
        for c in typed.chars() {
            if is_space(c) || is_dash(c) {
                continue;
            }
            let c = match c.to_ascii_uppercase() {
                'O' => '0',
                'I' | 'L' => '1',
                other => other,
            };
            if !c.is_ascii() || !ALPHABET.contains(&(c as u8)) || code.len() == SHORT_CODE_LEN {
                return None;
            }
            code.push(c);
        }
        (code.len() == SHORT_CODE_LEN).then_some(Credential::Code(code))
    }

    /// The value to print in a link or on a letter. Codes are grouped as `ABCDE-FGHJK`.
    pub fn reveal(&self) -> String {
        match self {
            Credential::Link(token) => token.clone(),
            Credential::Code(code) => format!("{}-{}", &code[..5], &code[5..]),
        }
    }

    /// The value as it appears in `/s/{token}`.
    pub fn path_segment(&self) -> &str {
        match self {
            Credential::Link(v) | Credential::Code(v) => v,
        }
    }

    pub fn hash(&self, key: &HashKey) -> CredentialHash {
        let (kind, value) = match self {
            Credential::Link(v) => ("link", v),
            Credential::Code(v) => ("code", v),
        };
        let mut mac =
            Hmac::<Sha256>::new_from_slice(key.as_bytes()).expect("HMAC accepts any key length");
        mac.update(kind.as_bytes());
        mac.update(b":");
        mac.update(value.as_bytes());
        CredentialHash(data_encoding::HEXLOWER.encode(&mac.finalize().into_bytes()))
    }
}

/// The keyed hash of a credential, as stored.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(transparent)]
pub struct CredentialHash(String);

impl CredentialHash {
    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// Rebuilds a hash read back from storage.
    pub fn from_stored(value: String) -> Self {
        Self(value)
    }
}

/// A client as the guessing limit knows it: a keyed hash of its network address, never the
/// address itself. An IPv6 address counts by its /64 prefix, the block one household or
/// phone is normally given, so stepping through one's own addresses does not reset the count.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct ClientKey(String);

impl ClientKey {
    pub fn from_address(key: &HashKey, address: IpAddr) -> Self {
        let mut mac =
            Hmac::<Sha256>::new_from_slice(key.as_bytes()).expect("HMAC accepts any key length");
        mac.update(b"client:");
        match address.to_canonical() {
            IpAddr::V4(v4) => mac.update(&v4.octets()),
            IpAddr::V6(v6) => mac.update(&v6.octets()[..8]),
        }
        // 128 bits are plenty to keep clients apart and keep the stored key short.
        Self(data_encoding::HEXLOWER.encode(&mac.finalize().into_bytes()[..16]))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn typed_codes_are_normalised() {
        let Some(Credential::Code(code)) = Credential::from_typed_code(" abcde-fghjo ") else {
            panic!("code should parse");
        };
        assert_eq!(code, "ABCDEFGHJ0");
        assert!(Credential::from_typed_code("ABCDE-FGHJ").is_none());
        assert!(Credential::from_typed_code("ABCDE-FGHJKU").is_none());
        assert!(Credential::from_typed_code("ÅBCDE-FGHJK").is_none());
    }

    #[test]
    fn pasted_codes_with_labels_dashes_and_punctuation_parse() {
        let expected = Some(Credential::Code("ABCDEFGHJK".into()));
        for typed in [
            "ABCDE\u{2013}FGHJK",
            "ABCDE\u{2014}FGHJK.",
            "Kod: ABCDE-FGHJK",
            "kod:ABCDE FGHJK",
            "Code: abcde-fghjk.",
            "\u{a0}ABCDE-FGHJK\u{a0}",
            "ABCDE-FGHJK”",
            // Full-width, as typed on a Chinese or Japanese keyboard.
            "ＡＢＣＤＥ－ｆｇｈｊｋ",
            "Ｋｏｄ：\u{3000}ＡＢＣＤＥ ＦＧＨＪＫ。",
        ] {
            assert_eq!(Credential::from_typed_code(typed), expected, "{typed:?}");
        }
        assert!(Credential::from_typed_code("Kod:").is_none());
        assert!(Credential::from_typed_code("Kod: ABCDE-FGHJK-X").is_none());
    }

    #[test]
    fn a_link_with_what_mail_programs_append_parses() {
        let link = Credential::new_link();
        for tail in [".", ")", ",", "/", "”", " ", "\u{a0}", ").", "\u{a0}”."] {
            let segment = format!("{}{tail}", link.path_segment());
            assert_eq!(
                Credential::from_path(&segment),
                Some(link.clone()),
                "{tail:?}"
            );
        }
        assert!(Credential::from_path(&format!("{}x", link.path_segment())).is_none());
    }

    #[test]
    fn new_credentials_parse_back_from_the_path() {
        for credential in [Credential::new_link(), Credential::new_code()] {
            assert_eq!(
                Credential::from_path(credential.path_segment()),
                Some(credential)
            );
        }
    }

    #[test]
    fn hashes_depend_on_key_and_kind() {
        let key = HashKey::new(b"k1".to_vec());
        let code = Credential::Code("ABCDEFGHJK".into());
        assert_ne!(code.hash(&key), code.hash(&HashKey::new(b"k2".to_vec())));
        assert_ne!(
            code.hash(&key),
            Credential::Link("ABCDEFGHJK".into()).hash(&key)
        );
    }

    #[test]
    fn client_keys_hide_the_address_and_group_an_ipv6_prefix() {
        let key = HashKey::new(b"k1".to_vec());
        let a = ClientKey::from_address(&key, "192.0.2.7".parse().unwrap());
        assert!(!a.as_str().contains("192"));
        assert_ne!(
            a,
            ClientKey::from_address(&key, "192.0.2.8".parse().unwrap())
        );
        assert_eq!(
            a,
            ClientKey::from_address(&key, "::ffff:192.0.2.7".parse().unwrap())
        );
        let v6 = |s: &str| ClientKey::from_address(&key, s.parse().unwrap());
        assert_eq!(v6("2001:db8:1:2::1"), v6("2001:db8:1:2:ffff::9"));
        assert_ne!(v6("2001:db8:1:2::1"), v6("2001:db8:1:3::1"));
    }
}
