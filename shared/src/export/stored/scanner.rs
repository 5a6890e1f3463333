//! The scan of [`Reader::scan`](super::Reader::scan): steps through JSON text without
//! decoding what it steps over.

use super::{StoredAnswer, Text};

/// Steps through JSON text; an error is the byte offset where the text went wrong.
pub(super) struct Scanner<'a> {
    pub(super) text: &'a str,
    pub(super) at: usize,
}

impl<'a> Scanner<'a> {
    pub(super) fn whitespace(&mut self) {
        let bytes = self.text.as_bytes();
        while matches!(bytes.get(self.at), Some(b' ' | b'\t' | b'\n' | b'\r')) {
            self.at += 1;
        }
    }

    /// The next byte after whitespace, taken if it is `byte`.
    fn eat(&mut self, byte: u8) -> bool {
        self.whitespace();
        if self.text.as_bytes().get(self.at) == Some(&byte) {
            self.at += 1;
            true
        } else {
            false
        }
    }

    /// A string whose opening quote is at `self.at`; its raw text, escapes left in.
    fn string(&mut self) -> Result<&'a str, usize> {
        let bytes = self.text.as_bytes();
        if bytes.get(self.at) != Some(&b'"') {
            return Err(self.at);
        }
        let start = self.at + 1;
        let mut at = start;
        loop {
            match memchr::memchr2(b'"', b'\\', &bytes[at..]) {
                Some(offset) if bytes[at + offset] == b'"' => {
                    self.at = at + offset + 1;
                    return Ok(&self.text[start..at + offset]);
                }
                // An escape: the next byte is part of it, whatever it is.
                Some(offset) => at += offset + 2,
                None => return Err(bytes.len()),
            }
            if at > bytes.len() {
                return Err(bytes.len());
            }
        }
    }

    /// A string without escapes at `self.at`, taken; `None` (nothing taken) for any other.
    pub(super) fn plain_string(&mut self) -> Option<&'a str> {
        let bytes = self.text.as_bytes();
        if bytes.get(self.at) != Some(&b'"') {
            return None;
        }
        let start = self.at + 1;
        let length = memchr::memchr2(b'"', b'\\', &bytes[start..])?;
        if bytes[start + length] != b'"' {
            return None;
        }
        self.at = start + length + 1;
        Some(&self.text[start..start + length])
    }

    /// Takes the literal `word` if it is next (no whitespace skipped).
    fn word(&mut self, word: &str) -> bool {
        let found = self.text[self.at..].starts_with(word);
        if found {
            self.at += word.len();
        }
        found
    }

    /// An answer exactly as the stores write it, taken apart in place; `None` (nothing
    /// taken) for a number, an escape or any other form, which serde then decodes.
    pub(super) fn quick_answer(&mut self) -> Option<StoredAnswer<'a>> {
        let start = self.at;
        let answer = self.quick_answer_here();
        if answer.is_none() {
            self.at = start;
        }
        answer
    }

    fn quick_answer_here(&mut self) -> Option<StoredAnswer<'a>> {
        // The bare forms: a code, codes, yes or no.
        match self.text.as_bytes().get(self.at)? {
            b'"' => {
                return self
                    .plain_string()
                    .map(|code| StoredAnswer::Choice(Text(code.into())));
            }
            b'[' => return self.codes().map(StoredAnswer::Choices),
            b't' => return self.word("true").then_some(StoredAnswer::YesNo(true)),
            b'f' => return self.word("false").then_some(StoredAnswer::YesNo(false)),
            _ => {}
        }
        if !self.word("{\"type\":") {
            return None;
        }
        let kind = self.plain_string()?;
        let answer = match kind {
            "dont_know" => StoredAnswer::DontKnow,
            "not_applicable" => StoredAnswer::NotApplicable,
            _ => {
                if !self.word(",\"value\":") {
                    return None;
                }
                let text = |scanner: &mut Self| scanner.plain_string().map(|t| Text(t.into()));
                match kind {
                    "choice" => StoredAnswer::Choice(text(self)?),
                    "month" => StoredAnswer::Month(text(self)?),
                    "text" => StoredAnswer::Text(text(self)?),
                    "yes_no" if self.word("true") => StoredAnswer::YesNo(true),
                    "yes_no" if self.word("false") => StoredAnswer::YesNo(false),
                    "choices" => StoredAnswer::Choices(self.codes()?),
                    _ => return None,
                }
            }
        };
        self.word("}").then_some(answer)
    }

    /// An array of strings without escapes or spaces (`["a","b"]`), taken apart in place.
    fn codes(&mut self) -> Option<Vec<Text<'a>>> {
        let mut codes = Vec::new();
        if !self.word("[") {
            return None;
        }
        if !self.word("]") {
            loop {
                codes.push(Text(self.plain_string()?.into()));
                if self.word("]") {
                    break;
                }
                if !self.word(",") {
                    return None;
                }
            }
        }
        Some(codes)
    }

    /// An object; `each` is called at each member's value with the member's key (raw:
    /// a key with escapes matches no question, and none has any).
    pub(super) fn object(
        &mut self,
        mut each: impl FnMut(&mut Self, &'a str) -> Result<(), usize>,
    ) -> Result<(), usize> {
        if !self.eat(b'{') {
            return Err(self.at);
        }
        if self.eat(b'}') {
            return Ok(());
        }
        loop {
            self.whitespace();
            let key = self.string()?;
            if !self.eat(b':') {
                return Err(self.at);
            }
            self.whitespace();
            each(self, key)?;
            if self.eat(b'}') {
                return Ok(());
            }
            if !self.eat(b',') {
                return Err(self.at);
            }
        }
    }

    /// Steps over one value (after whitespace): a string, an object or array with all it
    /// holds, or a number or literal.
    pub(super) fn skip_value(&mut self) -> Result<(), usize> {
        self.whitespace();
        let bytes = self.text.as_bytes();
        match bytes.get(self.at) {
            Some(b'"') => self.string().map(|_| ()),
            Some(b'{' | b'[') => {
                let mut depth = 0usize;
                loop {
                    match bytes.get(self.at) {
                        Some(b'"') => {
                            self.string()?;
                            continue;
                        }
                        Some(b'{' | b'[') => depth += 1,
                        Some(b'}' | b']') => {
                            depth -= 1;
                            if depth == 0 {
                                self.at += 1;
                                return Ok(());
                            }
                        }
                        Some(_) => {}
                        None => return Err(self.at),
                    }
                    self.at += 1;
                }
            }
            Some(_) => {
                let start = self.at;
                while !matches!(
                    bytes.get(self.at),
                    None | Some(b',' | b'}' | b']' | b' ' | b'\t' | b'\n' | b'\r')
                ) {
                    self.at += 1;
                }
                if self.at == start { Err(start) } else { Ok(()) }
            }
            None => Err(self.at),
        }
    }
}
