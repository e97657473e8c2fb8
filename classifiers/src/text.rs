//! A window on the stream: the bytes kept from absolute offset `base`, and whether the stream
//! has ended. Detectors address bytes by absolute offset.

pub(crate) struct Text<'a> {
    pub bytes: &'a [u8],
    pub base: usize,
    pub eof: bool,
}

impl Text<'_> {
    /// Absolute offset one past the last byte held.
    #[inline]
    pub fn end(&self) -> usize {
        self.base + self.bytes.len()
    }

    #[inline]
    pub fn at(&self, pos: usize) -> u8 {
        self.bytes[pos - self.base]
    }

    #[inline]
    pub fn slice(&self, start: usize, end: usize) -> &[u8] {
        &self.bytes[start - self.base..end - self.base]
    }

    /// The character starting at `pos` (the text is UTF-8 cut on character boundaries).
    pub fn char_at(&self, pos: usize) -> Option<char> {
        let rel = pos.checked_sub(self.base)?;
        let first = *self.bytes.get(rel)?;
        let len = match first {
            0..=0x7F => 1,
            0xC0..=0xDF => 2,
            0xE0..=0xEF => 3,
            _ => 4,
        };
        let s = self.bytes.get(rel..rel + len)?;
        std::str::from_utf8(s).ok()?.chars().next()
    }

    /// The character ending at `pos`.
    pub fn char_before(&self, pos: usize) -> Option<char> {
        let rel = pos.checked_sub(self.base)?;
        let mut start = rel.checked_sub(1)?;
        while start > 0 && rel - start < 4 && (self.bytes[start] & 0xC0) == 0x80 {
            start -= 1;
        }
        std::str::from_utf8(self.bytes.get(start..rel)?)
            .ok()?
            .chars()
            .next()
    }

    /// Number of words (whitespace-separated runs holding a letter or digit) in `[start, end)`.
    pub fn words_between(&self, start: usize, end: usize) -> usize {
        if end <= start {
            return 0;
        }
        let mut words = 0;
        let mut counted = false;
        for &b in self.slice(start, end) {
            if b.is_ascii_whitespace() {
                counted = false;
            } else if !counted && (b.is_ascii_alphanumeric() || b >= 0x80) {
                words += 1;
                counted = true;
            }
        }
        words
    }
}
