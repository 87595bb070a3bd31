//! The git index read and patched directly, for the one change every command makes: a tracked
//! file's content and stat data, nothing else. libgit2 parses every entry (validating each path and
//! filling a hash map), hashes the file with its collision-detecting SHA-1 on the way in and out,
//! and at 100,000 records that was most of a `log`. Here the entry is found by a linear scan and
//! patched in place; the file is hashed with the hardware SHA-1 and written under git's own
//! `index.lock`, the way git writes it.
//!
//! Only what is understood is touched: index versions 2 to 4, an entry at stage 0 and no other
//! stage of the same path. The cache tree (`TREE`) is kept with the nodes above the file marked
//! invalid, as git does when it stages a file; the end-of-entries marker (`EOIE`, which hashes the
//! extension headers) and optional extensions this code does not know are dropped, as git allows
//! for optional ones. Anything else (a split or sparse index, a required extension, a new or
//! deleted file, a conflict) returns [`Patched::Unsupported`] and the caller uses libgit2.

use anyhow::{Context, Result, bail};
use git2::Oid;
use sha1::{Digest, Sha1};
use std::fs;
use std::io::Write;
use std::path::Path;

/// The stat data git keeps for an entry.
pub struct EntryStat {
    pub ctime: (u32, u32),
    pub mtime: (u32, u32),
    pub dev: u32,
    pub ino: u32,
    pub mode: u32,
    pub uid: u32,
    pub gid: u32,
    pub size: u32,
}

/// What [`patch`] did.
#[derive(Debug, PartialEq, Eq)]
pub enum Patched {
    Done,
    /// The index holds something this code does not handle; nothing was written.
    Unsupported,
}

/// One entry's place in the file.
struct Found {
    /// Offset of the entry's fixed fields.
    at: usize,
    stage: u16,
}

/// The parsed layout of an index file: the entries' end and the extensions.
struct Layout<'a> {
    entries_end: usize,
    extensions: Vec<(&'a [u8; 4], &'a [u8])>,
}

const HEADER: usize = 12;
const HASH: usize = 20;
/// ctime, mtime (8 each), dev, ino, mode, uid, gid, size (4 each), oid (20), flags (2).
const FIXED: usize = 62;

/// The index file's bytes: mapped where possible, so a `log` at 10,000 incidents does not fault in
/// and copy a fresh 1.2 MB buffer for each of its two reads. git replaces the index only by renaming
/// `index.lock` over it, never in place, so a mapping keeps the file it opened.
enum IndexBytes {
    Mapped(super::cache::Mapped),
    Read(Vec<u8>),
}

impl std::ops::Deref for IndexBytes {
    type Target = [u8];

    fn deref(&self) -> &[u8] {
        match self {
            IndexBytes::Mapped(m) => m,
            IndexBytes::Read(v) => v,
        }
    }
}

fn read_index(index_path: &Path) -> std::io::Result<IndexBytes> {
    match super::cache::map(index_path) {
        Some(mapped) => Ok(IndexBytes::Mapped(mapped)),
        // Missing, empty or not mappable: the plain read says which.
        None => fs::read(index_path).map(IndexBytes::Read),
    }
}

/// The stage-0 blob of `path` and whether any other stage of it exists, read from the index at
/// `index_path`; `None` when the index cannot be read by this code (the caller asks libgit2).
pub fn lookup(index_path: &Path, path: &[u8]) -> Option<(Option<Oid>, bool)> {
    let bytes = match read_index(index_path) {
        Ok(b) => b,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Some((None, false)),
        Err(_) => return None,
    };
    // Read only: the checksum is left to `patch`, which verifies before it writes.
    let (layout, found) = scan(&bytes, path).ok()??;
    // A required extension (a split or sparse index) means entries live elsewhere.
    if layout
        .extensions
        .iter()
        .any(|(sig, _)| sig[0].is_ascii_lowercase())
    {
        return None;
    }
    let staged = found
        .iter()
        .find(|f| f.stage == 0)
        .map(|f| Oid::from_bytes(&bytes[f.at + 40..f.at + 60]).expect("20 bytes"));
    Some((staged, found.iter().any(|f| f.stage != 0)))
}

/// Points the stage-0 entry of `path` at blob `id` with stat data `stat`, in the index at
/// `index_path`. Takes `index.lock` as git does (and fails if another git command holds it).
pub fn patch(index_path: &Path, path: &[u8], id: Oid, stat: &EntryStat) -> Result<Patched> {
    let lock_path = index_path.with_extension("lock");
    let lock = match fs::OpenOptions::new()
        .write(true)
        .create_new(true)
        .open(&lock_path)
    {
        Ok(f) => f,
        Err(e) if e.kind() == std::io::ErrorKind::AlreadyExists => bail!(
            "the git index is locked by another git command; if none is running, remove the lock: `rm '{}'`",
            lock_path.display()
        ),
        Err(e) => {
            return Err(e).with_context(|| format!("cannot create `{}`", lock_path.display()));
        }
    };
    let result = (|| -> Result<Patched> {
        let bytes = match read_index(index_path) {
            Ok(bytes) => bytes,
            // No index yet (a repo without commits): libgit2 makes one.
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(Patched::Unsupported),
            Err(e) => {
                return Err(e).with_context(|| format!("cannot read `{}`", index_path.display()));
            }
        };
        let Some(new) = patched(&bytes, path, id, stat)? else {
            return Ok(Patched::Unsupported);
        };
        new.write_to(&lock)
            .with_context(|| format!("cannot write `{}`", lock_path.display()))?;
        drop(lock);
        fs::rename(&lock_path, index_path)
            .with_context(|| format!("cannot replace `{}`", index_path.display()))?;
        Ok(Patched::Done)
    })();
    if !matches!(result, Ok(Patched::Done)) {
        let _ = fs::remove_file(&lock_path);
    }
    result
}

/// The new index as pieces: the old bytes around the one patched entry, then the extensions and
/// the hash. Written piece by piece, the 1.2 MB of entries at 10,000 incidents go from the mapping
/// to the file without a copy in between.
struct NewIndex<'a> {
    before: &'a [u8],
    entry: [u8; FIXED],
    after: &'a [u8],
    extensions: Vec<u8>,
    hash: [u8; HASH],
}

impl NewIndex<'_> {
    fn write_to(&self, file: &fs::File) -> std::io::Result<()> {
        let mut file = file;
        for piece in [
            self.before,
            &self.entry[..],
            self.after,
            &self.extensions,
            &self.hash[..],
        ] {
            file.write_all(piece)?;
        }
        Ok(())
    }
}

/// The new index content, or `None` when this code does not handle this index or this entry.
fn patched<'a>(
    bytes: &'a [u8],
    path: &[u8],
    id: Oid,
    stat: &EntryStat,
) -> Result<Option<NewIndex<'a>>> {
    let Some((layout, found)) = scan(bytes, path)? else {
        return Ok(None);
    };
    let [only] = found.as_slice() else {
        return Ok(None);
    };
    if only.stage != 0 {
        return Ok(None);
    }
    let mut extensions = Vec::new();
    for (sig, data) in &layout.extensions {
        let kept = match *sig {
            b"TREE" => match invalidated_tree(data, path) {
                Some(tree) => std::borrow::Cow::Owned(tree),
                None => return Ok(None),
            },
            // Index entry offsets: unchanged, entries keep their size.
            b"IEOT" | b"UNTR" | b"FSMN" | b"REUC" => std::borrow::Cow::Borrowed(*data),
            // Hashes the extension headers, which may change: optional, so left out.
            b"EOIE" => continue,
            // Lower-case signatures are required for correctness (a split or sparse index).
            _ if sig[0].is_ascii_lowercase() => return Ok(None),
            _ => continue,
        };
        extensions.extend_from_slice(*sig);
        extensions.extend_from_slice(&u32::try_from(kept.len())?.to_be_bytes());
        extensions.extend_from_slice(&kept);
    }
    let at = only.at;
    let mut entry: [u8; FIXED] = bytes[at..at + FIXED].try_into().expect("scanned entry");
    let mut put = |offset: usize, v: u32| {
        entry[offset..offset + 4].copy_from_slice(&v.to_be_bytes());
    };
    put(0, stat.ctime.0);
    put(4, stat.ctime.1);
    put(8, stat.mtime.0);
    put(12, stat.mtime.1);
    put(16, stat.dev);
    put(20, stat.ino);
    put(24, stat.mode);
    put(28, stat.uid);
    put(32, stat.gid);
    put(36, stat.size);
    entry[40..60].copy_from_slice(id.as_bytes());
    // The "assume valid" bit would hide the next change from git; git clears it when staging.
    let flags = u16::from_be_bytes([entry[60], entry[61]]) & !0x8000;
    entry[60..62].copy_from_slice(&flags.to_be_bytes());
    let (before, after) = (&bytes[..at], &bytes[at + FIXED..layout.entries_end]);
    // The old file's check and the new file's hash share everything before the entry.
    let mut prefix = Sha1::new();
    prefix.update(before);
    let body = &bytes[..bytes.len() - HASH];
    let trailer = &bytes[bytes.len() - HASH..];
    // `index.skipHash` writes zeros instead of a hash.
    if trailer.iter().any(|b| *b != 0) {
        let mut old = prefix.clone();
        old.update(&body[at..]);
        if old.finalize().as_slice() != trailer {
            bail!(
                "the git index is damaged (its checksum does not match); `git status` will say more"
            );
        }
    }
    let mut new = prefix;
    new.update(entry);
    new.update(after);
    new.update(&extensions);
    Ok(Some(NewIndex {
        before,
        entry,
        after,
        extensions,
        hash: new.finalize().into(),
    }))
}

/// The layout and every entry of `path` after checking the header; `None` for an index this code
/// does not read. The trailing hash is [`patched`]'s to check, where it shares the work with the
/// new hash.
fn scan<'a>(bytes: &'a [u8], path: &[u8]) -> Result<Option<(Layout<'a>, Vec<Found>)>> {
    if bytes.len() < HEADER + HASH || &bytes[..4] != b"DIRC" {
        return Ok(None);
    }
    let body = &bytes[..bytes.len() - HASH];
    let be32 = |at: usize| -> Option<u32> {
        Some(u32::from_be_bytes(body.get(at..at + 4)?.try_into().ok()?))
    };
    let version = be32(4).unwrap_or(0);
    if !(2..=4).contains(&version) {
        return Ok(None);
    }
    let count = be32(8).unwrap_or(0) as usize;
    let mut at = HEADER;
    // Version 4 names are the previous name cut and extended: one buffer, reused.
    let mut previous: Vec<u8> = Vec::new();
    let mut found = Vec::new();
    for _ in 0..count {
        let Some(flags) = body.get(at + 60..at + 62) else {
            return Ok(None);
        };
        let flags = u16::from_be_bytes([flags[0], flags[1]]);
        let extended = flags & 0x4000 != 0;
        if extended && version < 3 {
            return Ok(None);
        }
        let name_at = at + FIXED + if extended { 2 } else { 0 };
        let (matches, next) = if version == 4 {
            // A varint of bytes to drop from the previous path, then the rest, NUL-terminated.
            let (mut strip, mut p) = (0u64, name_at);
            loop {
                let Some(&b) = body.get(p) else {
                    return Ok(None);
                };
                p += 1;
                strip = (strip << 7) | u64::from(b & 0x7f);
                if b & 0x80 == 0 {
                    break;
                }
                strip += 1;
            }
            let Some(end) = body.get(p..).and_then(|r| memchr::memchr(0, r)) else {
                return Ok(None);
            };
            let Some(keep) = previous.len().checked_sub(strip as usize) else {
                return Ok(None);
            };
            previous.truncate(keep);
            previous.extend_from_slice(&body[p..p + end]);
            (previous == path, p + end + 1)
        } else {
            // The flags carry the name's length when it is under 4095 bytes.
            let short = usize::from(flags & 0x0fff);
            let end = if short < 0x0fff && body.get(name_at + short) == Some(&0) {
                short
            } else {
                let Some(end) = body.get(name_at..).and_then(|r| memchr::memchr(0, r)) else {
                    return Ok(None);
                };
                end
            };
            // Entries are padded with 1 to 8 NULs to a multiple of eight bytes.
            let len = (name_at - at + end + 8) & !7;
            (&body[name_at..name_at + end] == path, at + len)
        };
        if matches {
            found.push(Found {
                at,
                stage: (flags >> 12) & 0x3,
            });
        }
        at = next;
    }
    let entries_end = at;
    let mut extensions = Vec::new();
    while at < body.len() {
        let (Some(sig), Some(size)) = (body.get(at..at + 4), be32(at + 4)) else {
            return Ok(None);
        };
        let Some(data) = body.get(at + 8..at + 8 + size as usize) else {
            return Ok(None);
        };
        extensions.push((sig.try_into().expect("4 bytes"), data));
        at += 8 + size as usize;
    }
    Ok(Some((
        Layout {
            entries_end,
            extensions,
        },
        found,
    )))
}

/// The cache tree with every node on the way to `path` marked invalid (entry count -1, no tree
/// ID), as git leaves it after staging that path; `None` if it does not parse.
fn invalidated_tree(data: &[u8], path: &[u8]) -> Option<Vec<u8>> {
    let mut out = Vec::with_capacity(data.len());
    let mut rest = data;
    let dirs: Vec<&[u8]> = path.split(|b| *b == b'/').collect();
    let dirs = &dirs[..dirs.len() - 1];
    copy_node(&mut rest, &mut out, Some(dirs))?;
    rest.is_empty().then_some(out)
}

/// Copies one node and its subtrees; `on_path` holds the directories still to descend when this
/// node lies on the way to the file (the root always does).
fn copy_node(rest: &mut &[u8], out: &mut Vec<u8>, on_path: Option<&[&[u8]]>) -> Option<()> {
    let nul = rest.iter().position(|b| *b == 0)?;
    let name = &rest[..nul];
    let newline = rest[nul + 1..].iter().position(|b| *b == b'\n')? + nul + 1;
    let counts = std::str::from_utf8(&rest[nul + 1..newline]).ok()?;
    let (entries, subtrees) = counts.split_once(' ')?;
    let entries: i64 = entries.parse().ok()?;
    let subtrees: usize = subtrees.parse().ok()?;
    let mut after = &rest[newline + 1..];
    let oid = if entries >= 0 {
        let oid = after.get(..HASH)?;
        after = &after[HASH..];
        Some(oid)
    } else {
        None
    };
    out.extend_from_slice(name);
    out.push(0);
    match (on_path, oid) {
        (Some(_), _) | (None, None) => {
            out.extend_from_slice(format!("-1 {subtrees}\n").as_bytes());
        }
        (None, Some(oid)) => {
            out.extend_from_slice(format!("{entries} {subtrees}\n").as_bytes());
            out.extend_from_slice(oid);
        }
    }
    *rest = after;
    for _ in 0..subtrees {
        let child_name_end = rest.iter().position(|b| *b == 0)?;
        let child = &rest[..child_name_end];
        let below = on_path.and_then(|dirs| match dirs.split_first() {
            Some((first, more)) if *first == child => Some(more),
            _ => None,
        });
        copy_node(rest, out, below)?;
    }
    Some(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_cache_tree_is_invalidated_along_the_path_only() {
        let oid = [7u8; 20];
        let mut tree = Vec::new();
        let mut node = |name: &str, entries: i64, subtrees: usize| {
            tree.extend_from_slice(name.as_bytes());
            tree.push(0);
            tree.extend_from_slice(format!("{entries} {subtrees}\n").as_bytes());
            if entries >= 0 {
                tree.extend_from_slice(&oid);
            }
        };
        node("", 5, 2);
        node("incidents", 3, 2);
        node("2025", 1, 0);
        node("2026", 2, 0);
        node("postmortems", 2, 0);
        let out = invalidated_tree(&tree, b"incidents/2026/x.yaml").unwrap();
        let text = String::from_utf8_lossy(&out);
        assert!(
            text.starts_with("\0-1 2\nincidents\0-1 2\n2025\x001 0\n"),
            "{text:?}"
        );
        assert!(
            text.contains("2026\0-1 0\npostmortems\x002 0\n"),
            "{text:?}"
        );
        assert_eq!(
            out.len(),
            tree.len() - 3 * 20 + 3,
            "three IDs dropped, counts one longer"
        );
        assert!(invalidated_tree(&tree[..tree.len() - 1], b"a/b").is_none());
    }
}
