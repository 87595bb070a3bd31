//! A small binary encoding for the caches: lengths and integers little-endian, strings as a length
//! and UTF-8 bytes. Decoding 100,000 list rows from JSON cost more than the whole `list` budget;
//! this reads them at memory speed. Every read is bounds-checked and returns `None` on anything
//! short or malformed, so a damaged cache is rejected rather than trusted.

use chrono::{DateTime, NaiveDate, Utc};

/// Appends values to a byte buffer.
#[derive(Default)]
pub struct Packer {
    pub bytes: Vec<u8>,
}

impl Packer {
    pub fn u8(&mut self, v: u8) {
        self.bytes.push(v);
    }

    pub fn u32(&mut self, v: u32) {
        self.bytes.extend_from_slice(&v.to_le_bytes());
    }

    pub fn u64(&mut self, v: u64) {
        self.bytes.extend_from_slice(&v.to_le_bytes());
    }

    pub fn i64(&mut self, v: i64) {
        self.bytes.extend_from_slice(&v.to_le_bytes());
    }

    pub fn bool(&mut self, v: bool) {
        self.u8(u8::from(v));
    }

    pub fn str(&mut self, v: &str) {
        self.len(v.len());
        self.bytes.extend_from_slice(v.as_bytes());
    }

    /// A length or count; longer than 4 GiB never happens in a record.
    pub fn len(&mut self, n: usize) {
        self.u32(u32::try_from(n).unwrap_or(u32::MAX));
    }

    pub fn time(&mut self, t: DateTime<Utc>) {
        self.i64(t.timestamp());
        self.u32(t.timestamp_subsec_nanos());
    }

    pub fn opt_time(&mut self, t: Option<DateTime<Utc>>) {
        match t {
            Some(t) => {
                self.u8(1);
                self.time(t);
            }
            None => self.u8(0),
        }
    }

    pub fn opt_date(&mut self, d: Option<NaiveDate>) {
        match d {
            Some(d) => {
                self.u8(1);
                self.i64(i64::from(d.to_epoch_days()));
            }
            None => self.u8(0),
        }
    }

    pub fn opt_str(&mut self, v: Option<&str>) {
        match v {
            Some(v) => {
                self.u8(1);
                self.str(v);
            }
            None => self.u8(0),
        }
    }

    pub fn strs<'a>(&mut self, items: impl ExactSizeIterator<Item = &'a str>) {
        self.len(items.len());
        for s in items {
            self.str(s);
        }
    }
}

/// Reads values back in the order they were packed.
pub struct Unpacker<'a> {
    rest: &'a [u8],
}

impl<'a> Unpacker<'a> {
    pub fn new(bytes: &'a [u8]) -> Unpacker<'a> {
        Unpacker { rest: bytes }
    }

    pub fn is_empty(&self) -> bool {
        self.rest.is_empty()
    }

    pub fn remaining(&self) -> usize {
        self.rest.len()
    }

    /// What is left to read, without reading it.
    pub fn rest(&self) -> &'a [u8] {
        self.rest
    }

    pub fn take(&mut self, n: usize) -> Option<&'a [u8]> {
        if self.rest.len() < n {
            return None;
        }
        let (head, tail) = self.rest.split_at(n);
        self.rest = tail;
        Some(head)
    }

    fn array<const N: usize>(&mut self) -> Option<[u8; N]> {
        self.take(N)?.try_into().ok()
    }

    pub fn u8(&mut self) -> Option<u8> {
        Some(self.take(1)?[0])
    }

    pub fn u32(&mut self) -> Option<u32> {
        Some(u32::from_le_bytes(self.array()?))
    }

    pub fn u64(&mut self) -> Option<u64> {
        Some(u64::from_le_bytes(self.array()?))
    }

    pub fn i64(&mut self) -> Option<i64> {
        Some(i64::from_le_bytes(self.array()?))
    }

    pub fn bool(&mut self) -> Option<bool> {
        match self.u8()? {
            0 => Some(false),
            1 => Some(true),
            _ => None,
        }
    }

    pub fn len(&mut self) -> Option<usize> {
        usize::try_from(self.u32()?).ok()
    }

    pub fn str(&mut self) -> Option<&'a str> {
        let n = self.len()?;
        std::str::from_utf8(self.take(n)?).ok()
    }

    /// Steps over a string without reading it.
    pub fn skip_str(&mut self) -> Option<()> {
        let n = self.len()?;
        self.take(n).map(|_| ())
    }

    pub fn string(&mut self) -> Option<String> {
        self.str().map(str::to_string)
    }

    pub fn time(&mut self) -> Option<DateTime<Utc>> {
        let secs = self.i64()?;
        let nanos = self.u32()?;
        DateTime::from_timestamp(secs, nanos)
    }

    pub fn opt_time(&mut self) -> Option<Option<DateTime<Utc>>> {
        match self.u8()? {
            0 => Some(None),
            1 => Some(Some(self.time()?)),
            _ => None,
        }
    }

    pub fn opt_date(&mut self) -> Option<Option<NaiveDate>> {
        match self.u8()? {
            0 => Some(None),
            1 => {
                let days = i32::try_from(self.i64()?).ok()?;
                Some(Some(NaiveDate::from_epoch_days(days)?))
            }
            _ => None,
        }
    }

    pub fn opt_string(&mut self) -> Option<Option<String>> {
        match self.u8()? {
            0 => Some(None),
            1 => Some(Some(self.string()?)),
            _ => None,
        }
    }

    pub fn strings(&mut self) -> Option<Vec<String>> {
        let n = self.len()?;
        // A corrupt count must not reserve gigabytes: each string takes at least 4 bytes.
        let mut out = Vec::with_capacity(n.min(self.rest.len() / 4));
        for _ in 0..n {
            out.push(self.string()?);
        }
        Some(out)
    }

    /// One of `all` by its index.
    pub fn pick<T: Copy>(&mut self, all: &[T]) -> Option<T> {
        all.get(usize::from(self.u8()?)).copied()
    }
}

/// The index of `v` in `all`, for [`Unpacker::pick`].
pub fn index_of<T: PartialEq>(all: &[T], v: &T) -> u8 {
    all.iter()
        .position(|x| x == v)
        .and_then(|n| u8::try_from(n).ok())
        .unwrap_or(u8::MAX)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn values_read_back_and_short_input_is_refused() {
        let t: DateTime<Utc> = "2026-11-25T12:00:00.123456789Z".parse().unwrap();
        let d = NaiveDate::from_ymd_opt(2026, 2, 28);
        let mut p = Packer::default();
        p.str("héllo");
        p.opt_time(Some(t));
        p.opt_time(None);
        p.opt_date(d);
        p.bool(true);
        p.strs(["a", "bc"].into_iter());
        p.opt_str(Some("x"));
        let mut u = Unpacker::new(&p.bytes);
        assert_eq!(u.str(), Some("héllo"));
        assert_eq!(u.opt_time(), Some(Some(t)));
        assert_eq!(u.opt_time(), Some(None));
        assert_eq!(u.opt_date(), Some(d));
        assert_eq!(u.bool(), Some(true));
        assert_eq!(u.strings(), Some(vec!["a".to_string(), "bc".to_string()]));
        assert_eq!(u.opt_string(), Some(Some("x".to_string())));
        assert!(u.is_empty());
        for cut in 0..p.bytes.len() {
            let mut u = Unpacker::new(&p.bytes[..cut]);
            let whole = (|| {
                u.str()?;
                u.opt_time()?;
                u.opt_time()?;
                u.opt_date()?;
                u.bool()?;
                u.strings()?;
                u.opt_string()
            })();
            assert_eq!(whole, None, "cut at {cut} must not read");
        }
    }
}
