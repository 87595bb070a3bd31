//! What readers need from each record, kept under `.git/incident-cache/` so `list` and `publish`
//! parse only the records that changed since the last run.
//!
//! One file per reader type (`summary.json` for `list`, `public.json` for `publish`): a header line
//! `incident-cache <format> <sha1 of the rest>` and then JSON. Each entry holds a record's parsed
//! value and the file's stat data at the time (size, mtime, ctime, inode), the way git's index
//! decides a file is unchanged without reading it. ctime cannot be set back by any program, so a
//! rewritten file always misses.
//!
//! The cache never changes an answer: a file that is damaged, truncated, from another version of
//! `incident` or for another folder fails its header or checksum and is ignored (and rewritten); an
//! entry whose stat data differs is re-read; files changed in the second before a run are not
//! stored, so a coarse file-system clock cannot hide an edit made within the same tick. Records that
//! do not parse are never cached, so their errors read the same every time. The file is replaced
//! atomically, so concurrent commands each see a whole cache, old or new. `INCIDENT_NO_CACHE=1`
//! turns it off. It lives inside `.git`, so git never shows or shares it.

use super::{Record, Store, StoreError};
use serde::Serialize;
use serde::de::DeserializeOwned;
use sha1::{Digest, Sha1};
use std::collections::HashMap;
use std::fs;
use std::os::unix::fs::MetadataExt;
use std::path::{Path, PathBuf};

/// Bumped whenever the cached types or this layout change: an older file is then simply ignored.
const FORMAT: u32 = 1;

/// A reader type whose records may be cached: it names its file.
pub trait Cached: Serialize + DeserializeOwned + Record + Send + Clone {
    const NAME: &'static str;
}

impl Cached for crate::model::IncidentSummary {
    const NAME: &'static str = "summary";
}

impl Cached for crate::model::PublicView {
    const NAME: &'static str = "public";
}

/// What identifies one version of a file without reading it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, serde::Deserialize)]
struct Stamp {
    size: u64,
    mtime: i64,
    mtime_ns: i64,
    ctime: i64,
    ctime_ns: i64,
    ino: u64,
}

impl Stamp {
    fn nanos(&self, secs: i64, nanos: i64) -> i128 {
        i128::from(secs) * 1_000_000_000 + i128::from(nanos)
    }

    fn of(meta: &fs::Metadata) -> Stamp {
        Stamp {
            size: meta.size(),
            mtime: meta.mtime(),
            mtime_ns: meta.mtime_nsec(),
            ctime: meta.ctime(),
            ctime_ns: meta.ctime_nsec(),
            ino: meta.ino(),
        }
    }
}

#[derive(Serialize, serde::Deserialize)]
struct Entry<T> {
    stamp: Stamp,
    value: T,
}

#[derive(Serialize, serde::Deserialize)]
struct CacheFile<T> {
    /// The binary that wrote it: another version may read records differently.
    binary: String,
    kind: String,
    /// The incident repo this cache is for (a git repo may hold several).
    root: PathBuf,
    entries: HashMap<String, Entry<T>>,
}

/// Whether the cache is turned off (`INCIDENT_NO_CACHE=1`).
pub(super) fn disabled() -> bool {
    std::env::var_os("INCIDENT_NO_CACHE").is_some_and(|v| !v.is_empty() && v != "0")
}

pub(super) fn cache_path(git_dir: &Path, name: &str) -> PathBuf {
    git_dir.join("incident-cache").join(format!("{name}.json"))
}

/// A cache file's content when its header and checksum hold and it parses as `T`.
pub(super) fn read_checked<T: DeserializeOwned>(path: &Path) -> Option<T> {
    let bytes = fs::read(path).ok()?;
    let newline = bytes.iter().position(|b| *b == b'\n')?;
    let (header, body) = (&bytes[..newline], &bytes[newline + 1..]);
    let expected = format!("incident-cache {FORMAT} {}", hex(&Sha1::digest(body)));
    if header != expected.as_bytes() {
        return None;
    }
    serde_json::from_slice::<T>(body).ok()
}

fn read_cache<T: Cached>(path: &Path, root: &Path) -> HashMap<String, Entry<T>> {
    match read_checked::<CacheFile<T>>(path) {
        Some(file)
            if file.binary == env!("CARGO_PKG_VERSION")
                && file.kind == T::NAME
                && file.root == root =>
        {
            file.entries
        }
        _ => HashMap::new(),
    }
}

/// Writes `value` with the header and checksum [`read_checked`] verifies, replacing the file
/// atomically. A cache that cannot be written only costs time on the next run.
pub(super) fn write_checked<T: Serialize>(path: &Path, value: &T) {
    let Ok(body) = serde_json::to_vec(value) else {
        return;
    };
    let mut bytes = format!("incident-cache {FORMAT} {}\n", hex(&Sha1::digest(&body))).into_bytes();
    bytes.extend_from_slice(&body);
    if let Some(dir) = path.parent() {
        let _ = fs::create_dir_all(dir);
    }
    // A cache that cannot be written only costs time next run.
    let _ = super::replace_file(path, &bytes);
}

fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

impl Store {
    /// [`Store::load_all_as`] through the cache: the same values, in the same order, with the same
    /// errors, parsing only the records whose files changed since the cache was written.
    pub fn load_all_cached<T: Cached>(&self) -> anyhow::Result<Vec<Result<T, StoreError>>> {
        if disabled() {
            return self.load_all_as::<T>();
        }
        // Entries changed within a second of now are not stored: file-system clocks tick in
        // milliseconds (or worse), and an edit in the same tick as our stat would keep its stamp.
        let trusted_before = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map_or(0, |d| d.as_nanos() as i128)
            - 1_000_000_000;
        let ids = self.incident_ids()?;
        let path = cache_path(self.repo.path(), T::NAME);
        let mut cached: HashMap<String, Entry<T>> = read_cache(&path, &self.root);
        let root = self.root.as_path();
        let stamps: Vec<Option<Stamp>> = super::par_map_ids(&ids, |id| {
            fs::metadata(root.join(super::relative_record_path(id)))
                .ok()
                .map(|m| Stamp::of(&m))
        });

        // Nothing changed (the common case): hand out the cached values without copying them.
        let all_hit = cached.len() == ids.len()
            && ids.iter().zip(&stamps).all(|(id, stamp)| {
                matches!((cached.get(id), stamp), (Some(e), Some(s)) if e.stamp == *s)
            });
        if all_hit {
            return Ok(ids
                .iter()
                .map(|id| Ok(cached.remove(id).expect("checked above").value))
                .collect());
        }

        let mut out: Vec<Option<Result<T, StoreError>>> = Vec::with_capacity(ids.len());
        let mut missing: Vec<usize> = Vec::new();
        let mut kept: HashMap<String, Entry<T>> = HashMap::with_capacity(ids.len());
        for (n, (id, stamp)) in ids.iter().zip(&stamps).enumerate() {
            match (cached.remove(id), stamp) {
                (Some(entry), Some(stamp)) if entry.stamp == *stamp => {
                    out.push(Some(Ok(entry.value.clone())));
                    kept.insert(id.clone(), entry);
                }
                _ => {
                    out.push(None);
                    missing.push(n);
                }
            }
        }
        let changed = !missing.is_empty() || !cached.is_empty();
        let missing_ids: Vec<String> = missing.iter().map(|n| ids[*n].clone()).collect();
        let parsed = self.load_ids_as::<T>(&missing_ids);
        for (n, result) in missing.into_iter().zip(parsed) {
            if let (Ok(value), Some(stamp)) = (&result, stamps[n])
                && stamp.nanos(stamp.ctime, stamp.ctime_ns) < trusted_before
                && stamp.nanos(stamp.mtime, stamp.mtime_ns) < trusted_before
            {
                kept.insert(
                    ids[n].clone(),
                    Entry {
                        stamp,
                        value: value.clone(),
                    },
                );
            }
            out[n] = Some(result);
        }
        if changed {
            write_checked(
                &path,
                &CacheFile {
                    binary: env!("CARGO_PKG_VERSION").to_string(),
                    kind: T::NAME.to_string(),
                    root: self.root.clone(),
                    entries: kept,
                },
            );
        }
        Ok(out
            .into_iter()
            .map(|r| r.expect("every record was read or cached"))
            .collect())
    }
}
