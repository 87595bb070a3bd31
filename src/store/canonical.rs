//! Which record contents this tool wrote itself, by git blob ID, so a rewrite can skip reading the
//! old file's layout.
//!
//! A rewrite keeps the key order of the file it replaces, so a hand-ordered file shows in `git diff`
//! only as what changed. Learning that order means parsing the whole file a second time into a YAML
//! tree, which is half the cost of `incident log` on a record of 10,000 events. A file the tool wrote
//! is already in the order it writes, so for those contents (matched by exact blob ID) the tree is not
//! needed. The list lives in `.git/incident-canonical`: never committed, never shared, written under
//! the repo lock. A lost, torn or foreign list only costs speed; a wrong entry could at worst
//! re-order a file's keys, never change a value.

use git2::Oid;
use std::fs;
use std::io::Write;
use std::path::{Path, PathBuf};

const FILE: &str = "incident-canonical";
/// Past this size the list keeps only its newer half: old contents are rarely rewritten again.
const MAX_BYTES: u64 = 256 * 1024;

pub struct Canonical {
    path: PathBuf,
}

impl Canonical {
    pub fn in_git_dir(git_dir: &Path) -> Canonical {
        Canonical {
            path: git_dir.join(FILE),
        }
    }

    /// Whether the tool wrote exactly this content.
    pub fn contains(&self, blob: Oid) -> bool {
        let Ok(text) = fs::read_to_string(&self.path) else {
            return false;
        };
        let wanted = blob.to_string();
        text.lines().any(|l| l == wanted)
    }

    /// Remembers content the tool just wrote. The caller holds the repo lock. Failing to remember
    /// is not an error: it only makes the next rewrite slower.
    pub fn remember(&self, blob: Oid) {
        let _ = self.trim();
        if let Ok(mut file) = fs::OpenOptions::new()
            .create(true)
            .append(true)
            .open(&self.path)
        {
            let _ = writeln!(file, "{blob}");
        }
    }

    fn trim(&self) -> std::io::Result<()> {
        if fs::metadata(&self.path)?.len() <= MAX_BYTES {
            return Ok(());
        }
        let text = fs::read_to_string(&self.path)?;
        let lines: Vec<&str> = text.lines().filter(|l| l.len() == 40).collect();
        let keep = lines[lines.len() / 2..].join("\n");
        super::write_atomically(&self.path, format!("{keep}\n").as_bytes())
            .map_err(std::io::Error::other)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn remembers_exact_contents_and_survives_damage() {
        let dir = tempfile::tempdir().unwrap();
        let list = Canonical::in_git_dir(dir.path());
        let a = Oid::hash_object(git2::ObjectType::Blob, b"a").unwrap();
        let b = Oid::hash_object(git2::ObjectType::Blob, b"b").unwrap();
        assert!(!list.contains(a), "an empty list knows nothing");
        list.remember(a);
        assert!(list.contains(a) && !list.contains(b));
        // A torn last line (a killed writer) and garbage never match a real blob ID.
        fs::write(
            dir.path().join(FILE),
            format!("{a}\n{}", &b.to_string()[..20]),
        )
        .unwrap();
        assert!(list.contains(a) && !list.contains(b));
    }
}
