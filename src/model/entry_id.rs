//! Stable identifiers for timeline events, status updates and action items.
//!
//! Merging two clones' edits keeps every entry from both sides and drops exact duplicates, which needs
//! an identity that survives reordering. The ID is a hash of what makes the entry itself (incident, time,
//! author, kind, text), so the same entry written twice is one entry, and two different entries never
//! share an ID in practice. FNV-1a is used because it is tiny and its output never changes between Rust
//! versions, unlike `DefaultHasher`.

/// A 12-hex-digit identifier derived from the parts that make an entry what it is.
pub fn entry_id(prefix: &str, parts: &[&str]) -> String {
    let mut hash: u64 = 0xcbf2_9ce4_8422_2325;
    for part in parts {
        for byte in part.bytes().chain(std::iter::once(0x1f)) {
            hash ^= u64::from(byte);
            hash = hash.wrapping_mul(0x0100_0000_01b3);
        }
    }
    format!("{prefix}{:012x}", hash & 0xffff_ffff_ffff)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn same_parts_same_id_and_boundaries_matter() {
        assert_eq!(entry_id("e", &["a", "b"]), entry_id("e", &["a", "b"]));
        assert_ne!(entry_id("e", &["ab", ""]), entry_id("e", &["a", "b"]));
        assert_eq!(entry_id("e", &["x"]).len(), 13);
    }
}
