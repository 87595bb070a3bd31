//! The record cache under `.git/incident-cache/`: invisible (same output with and without it, in
//! every damaged state), never shown by git, and whole under concurrent readers and writers.

use crate::support::{Repo, walk};
use std::path::{Path, PathBuf};

/// Records must be a second old before the cache stores them (file-system clocks are coarse).
fn age_files() {
    std::thread::sleep(std::time::Duration::from_millis(1_200));
}

fn cache_dir(repo: &Repo) -> PathBuf {
    repo.root.join(".git/incident-cache")
}

/// Every read that goes through the cache, as text: list, stats, due and check (table and JSON), and
/// the published site.
fn answers(repo: &Repo, no_cache: bool, site: &str) -> Vec<(String, Vec<u8>)> {
    let run = |args: &[&str]| -> String {
        let mut cmd = repo.cmd();
        if no_cache {
            cmd.env("INCIDENT_NO_CACHE", "1");
        }
        let out = cmd.args(args).output().unwrap();
        assert!(
            out.status.success(),
            "{args:?}: {}",
            String::from_utf8_lossy(&out.stderr)
        );
        String::from_utf8(out.stdout).unwrap()
    };
    let mut out = vec![
        // First, so a cold cache is filled by a filtered read (rows it does not want are kept).
        (
            "list --sev SEV2".to_string(),
            run(&["list", "--sev", "SEV2", "--wide"]).into_bytes(),
        ),
        ("list".to_string(), run(&["list", "--wide"]).into_bytes()),
        (
            "list --json".to_string(),
            run(&["--json", "list"]).into_bytes(),
        ),
        (
            "list --open --json".to_string(),
            run(&["--json", "list", "--open"]).into_bytes(),
        ),
        (
            "stats".to_string(),
            run(&["stats", "--since", "3650d", "--by", "service"]).into_bytes(),
        ),
        (
            "stats --json".to_string(),
            run(&["--json", "stats", "--since", "3650d"]).into_bytes(),
        ),
        ("due".to_string(), run(&["due"]).into_bytes()),
        (
            "due --json".to_string(),
            run(&["--json", "due"]).into_bytes(),
        ),
        ("check".to_string(), run(&["check"]).into_bytes()),
        (
            "check --json".to_string(),
            run(&["--json", "check"]).into_bytes(),
        ),
    ];
    run(&["publish", "--out", site]);
    let dir = repo.root.join(site);
    for file in walk(&dir) {
        out.push((file.clone(), std::fs::read(dir.join(&file)).unwrap()));
    }
    out
}

fn assert_same(expected: &[(String, Vec<u8>)], got: &[(String, Vec<u8>)], state: &str) {
    assert_eq!(
        expected.iter().map(|(n, _)| n).collect::<Vec<_>>(),
        got.iter().map(|(n, _)| n).collect::<Vec<_>>(),
        "{state}: different files"
    );
    for ((name, a), (_, b)) in expected.iter().zip(got) {
        assert!(
            a == b,
            "{state}: {name} differs with the cache\n--- without ---\n{}\n--- with ---\n{}",
            String::from_utf8_lossy(a),
            String::from_utf8_lossy(b)
        );
    }
}

/// The binary record caches: `incident-cache 4 <crc32 of the body> <length of the body>`.
fn header_is_valid(file: &Path) -> bool {
    let bytes = std::fs::read(file).unwrap();
    let newline = bytes.iter().position(|b| *b == b'\n').unwrap();
    let header = String::from_utf8_lossy(&bytes[..newline]).into_owned();
    header == header_for(&bytes[newline + 1..])
}

fn header_for(body: &[u8]) -> String {
    format!(
        "incident-cache 4 {:08x} {}",
        crc32fast::hash(body),
        body.len()
    )
}

/// `bytes` with the first `needle` after `from` replaced by `with` (of the same length, so the
/// layout holds and only the meaning changes).
fn replace_at(bytes: &[u8], from: usize, needle: &[u8], with: &[u8]) -> Vec<u8> {
    assert_eq!(needle.len(), with.len());
    let at = from
        + bytes[from..]
            .windows(needle.len())
            .position(|w| w == needle)
            .expect("needle present");
    let mut out = bytes.to_vec();
    out[at..at + needle.len()].copy_from_slice(with);
    out
}

fn body_start_of(bytes: &[u8]) -> usize {
    bytes.iter().position(|b| *b == b'\n').unwrap() + 1
}

#[test]
fn the_cache_never_changes_an_answer_even_when_damaged() {
    let repo = Repo::example("acme", "2026-11-18T12:00:00Z");
    age_files();
    let truth = answers(&repo, true, "site-truth");
    assert!(
        !cache_dir(&repo).exists(),
        "INCIDENT_NO_CACHE=1 writes no cache"
    );

    assert_same(&truth, &answers(&repo, false, "site-cold"), "cold cache");
    let summary = cache_dir(&repo).join("summary.bin");
    let metrics = cache_dir(&repo).join("metrics.bin");
    let check = cache_dir(&repo).join("check.bin");
    let public = cache_dir(&repo).join("public.bin");
    assert!(header_is_valid(&summary) && header_is_valid(&public) && header_is_valid(&metrics));
    let text = String::from_utf8_lossy(&std::fs::read(&summary).unwrap()).into_owned();
    assert!(
        text.contains("2026-11-18-api-elevated-errors"),
        "the records are in it"
    );
    assert_same(&truth, &answers(&repo, false, "site-warm"), "warm cache");

    let original = std::fs::read(&summary).unwrap();
    let original_public = std::fs::read(&public).unwrap();
    let original_metrics = std::fs::read(&metrics).unwrap();
    let original_check = std::fs::read(&check).unwrap();
    let listing = cache_dir(&repo).join("listing.bin");
    let original_listing = std::fs::read(&listing).unwrap();
    let body_start = body_start_of(&original);
    type Damage = Box<dyn Fn(&[u8]) -> Vec<u8>>;
    let damages: Vec<(&str, Damage)> = vec![
        ("empty", Box::new(|_| Vec::new())),
        ("truncated", Box::new(|b| b[..b.len() / 2].to_vec())),
        (
            "garbage",
            Box::new(|_| b"\x00\xffnot a cache at all\n{".to_vec()),
        ),
        (
            "one byte flipped in the body",
            Box::new(move |b| {
                let mut b = b.to_vec();
                let at = body_start + (b.len() - body_start) / 2;
                b[at] ^= 0x20;
                b
            }),
        ),
        (
            "another format version",
            Box::new(|b| replace_at(b, 0, b"incident-cache 4 ", b"incident-cache 9 ")),
        ),
    ];
    for (what, damage) in &damages {
        std::fs::write(&summary, damage(&original)).unwrap();
        std::fs::write(&public, damage(&original_public)).unwrap();
        std::fs::write(&metrics, damage(&original_metrics)).unwrap();
        std::fs::write(&listing, damage(&original_listing)).unwrap();
        std::fs::write(&check, damage(&original_check)).unwrap();
        assert_same(&truth, &answers(&repo, false, "site-damaged"), what);
        for file in [&summary, &public, &metrics, &listing, &check] {
            assert!(header_is_valid(file), "{what}: {} rebuilt", file.display());
        }
    }

    // A checksum that matches content written by someone else: another binary, another folder, a
    // value that does not decode. Each is ignored, in each cache.
    let forge = |body: &[u8]| {
        let mut bytes = header_for(body).into_bytes();
        bytes.push(b'\n');
        bytes.extend_from_slice(body);
        bytes
    };
    let version = env!("CARGO_PKG_VERSION").as_bytes();
    let root = repo.root.to_str().unwrap().as_bytes();
    let mut elsewhere = root.to_vec();
    *elsewhere.last_mut().unwrap() ^= 0x01;
    for (file, original) in [
        (&summary, &original),
        (&public, &original_public),
        (&metrics, &original_metrics),
        (&check, &original_check),
    ] {
        let body = &original[body_start_of(original)..];
        let id = b"2026-11-18-api-elevated-errors";
        // The entry's key, then its stamp, then the value, which begins with the ID again.
        let key_at = body.windows(id.len()).position(|w| w == id).unwrap();
        let forgeries = [
            (
                "another binary",
                replace_at(body, 0, version, &vec![b'9'; version.len()]),
            ),
            ("another folder", replace_at(body, 0, root, &elsewhere)),
            (
                "a value that does not decode under a valid checksum",
                replace_at(
                    body,
                    key_at + id.len(),
                    id,
                    b"\xff026-11-18-api-elevated-errors",
                ),
            ),
        ];
        for (what, forged) in forgeries {
            assert_ne!(
                forged.as_slice(),
                body,
                "{what}: the forgery changed something"
            );
            std::fs::write(file, forge(&forged)).unwrap();
            assert_same(&truth, &answers(&repo, false, "site-forged"), what);
        }
    }

    // A stale entry: the record changes; the cache must see it.
    repo.ok(&[
        "severity",
        "api-elevated",
        "SEV1",
        "--reason",
        "more customers",
    ]);
    let after = answers(&repo, true, "site-truth-2");
    assert_same(&after, &answers(&repo, false, "site-stale"), "stale entry");
    let listed = after.iter().find(|(name, _)| name == "list").unwrap();
    let listed = String::from_utf8(listed.1.clone()).unwrap();
    assert!(listed.contains("SEV1"), "{listed}");

    // Records added and removed by hand, without git: the folder listing must see both, whether
    // the folder changed in this second or long ago.
    let dir = repo.root.join("incidents/2026");
    let source = std::fs::read_to_string(dir.join("2026-11-18-api-elevated-errors.yaml")).unwrap();
    std::fs::write(
        dir.join("2026-11-18-copied-by-hand.yaml"),
        source.replace(
            "2026-11-18-api-elevated-errors",
            "2026-11-18-copied-by-hand",
        ),
    )
    .unwrap();
    let victim = repo
        .ids_of_year("2026")
        .into_iter()
        .find(|id| id.contains("search"))
        .unwrap();
    std::fs::remove_file(dir.join(format!("{victim}.yaml"))).unwrap();
    for state in ["files changed this second", "files changed a second ago"] {
        let listed = repo.ok(&["list", "--wide"]);
        assert!(
            listed.contains("2026-11-18-copied-by-hand"),
            "{state}: {listed}"
        );
        assert!(!listed.contains(&victim), "{state}: {listed}");
        assert_same(
            &answers(&repo, true, "site-truth-3"),
            &answers(&repo, false, "site-hand"),
            state,
        );
        age_files();
    }
    assert!(header_is_valid(&cache_dir(&repo).join("listing.bin")));

    let status = repo.git(&["status", "--porcelain", "--ignored", "--", "."]);
    assert!(status.contains("copied-by-hand"), "{status}");
    assert!(
        !status.contains("incident-cache"),
        "git never shows the cache: {status}"
    );
}

/// Ten writers and ten readers at once: every command succeeds, the cache stays whole, and the
/// answer afterwards is the one without it.
#[test]
fn concurrent_readers_and_writers_never_corrupt_it() {
    let repo = Repo::example("acme", "2026-11-18T12:00:00Z");
    age_files();
    repo.ok(&["list"]);
    let mut children = Vec::new();
    for n in 0..20 {
        let args: Vec<String> = if n % 2 == 0 {
            ["log", "api-elevated", &format!("parallel note {n}")]
                .iter()
                .map(|s| s.to_string())
                .collect()
        } else if n % 4 == 1 {
            ["--json", "list"].iter().map(|s| s.to_string()).collect()
        } else {
            ["--json", "stats", "--since", "3650d"]
                .iter()
                .map(|s| s.to_string())
                .collect()
        };
        let args: Vec<&str> = args.iter().map(String::as_str).collect();
        children.push(repo.spawnable(&args).output_in_background());
    }
    for child in children {
        let out = child.join().unwrap().unwrap();
        assert!(
            out.status.success(),
            "{}",
            String::from_utf8_lossy(&out.stderr)
        );
        if !out.stdout.is_empty() && out.stdout[0] == b'[' {
            let parsed: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
            assert_eq!(parsed.as_array().unwrap().len(), 5, "a whole list");
        }
    }
    let record = repo.record("2026-11-18-api-elevated-errors");
    let notes = record["timeline"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|e| e["text"].as_str().unwrap().starts_with("parallel note"))
        .count();
    assert_eq!(notes, 10, "every writer landed");
    let summary = cache_dir(&repo).join("summary.bin");
    assert!(header_is_valid(&summary));
    age_files();
    let mut plain = repo.cmd();
    plain.env("INCIDENT_NO_CACHE", "1");
    let truth = plain.args(["--json", "list"]).output().unwrap().stdout;
    let cached = repo.cmd().args(["--json", "list"]).output().unwrap().stdout;
    assert_eq!(truth, cached);
    let mut plain = repo.cmd();
    plain.env("INCIDENT_NO_CACHE", "1");
    let args = ["--json", "stats", "--since", "3650d"];
    let truth = plain.args(args).output().unwrap().stdout;
    let cached = repo.cmd().args(args).output().unwrap().stdout;
    assert_eq!(truth, cached);
    assert!(header_is_valid(&cache_dir(&repo).join("metrics.bin")));
}

trait Background {
    fn output_in_background(self)
    -> std::thread::JoinHandle<std::io::Result<std::process::Output>>;
}

impl Background for std::process::Command {
    fn output_in_background(
        mut self,
    ) -> std::thread::JoinHandle<std::io::Result<std::process::Output>> {
        std::thread::spawn(move || self.output())
    }
}

/// `history` from the index gives what walking the commits gives, after new commits (the index is
/// extended), a merge, a rewritten branch (rebuilt) and a damaged index file.
#[test]
fn history_from_the_index_matches_the_walk() {
    let repo = Repo::example("acme", "2026-11-18T12:00:00Z");
    let ids = repo.ids_of_year("2026");
    let compare = |state: &str| {
        for id in &ids {
            let mut plain = repo.cmd();
            plain.env("INCIDENT_NO_CACHE", "1");
            let walked = plain.args(["--json", "history", id]).output().unwrap();
            let indexed = repo.cmd().args(["--json", "history", id]).output().unwrap();
            assert!(
                walked.status.success() && indexed.status.success(),
                "{state}"
            );
            assert_eq!(
                String::from_utf8_lossy(&walked.stdout),
                String::from_utf8_lossy(&indexed.stdout),
                "{state}: history of {id}"
            );
        }
    };
    repo.ok(&["log", "api-elevated", "first note"]);
    compare("built");
    assert!(cache_dir(&repo).join("history.json").is_file());

    repo.ok(&["log", "api-elevated", "second note"]);
    repo.ok(&["severity", "search-latency", "SEV1", "--reason", "worse"]);
    compare("extended");

    // A side branch changes one record, main another; the merge commit changed neither record
    // against both parents, so it is in neither history.
    repo.git(&["checkout", "-q", "-b", "side"]);
    repo.ok(&["log", "search-latency", "on the side branch"]);
    repo.git(&["checkout", "-q", "main"]);
    repo.ok(&["log", "api-elevated", "on main"]);
    repo.git(&["merge", "-q", "--no-ff", "-m", "merge side", "side"]);
    compare("merged");
    let history = repo.ok(&["history", "search-latency"]);
    assert!(!history.contains("merge side"), "{history}");
    assert!(history.contains("on the side branch"), "{history}");

    // Rewritten: the index's HEAD is no longer in the history.
    repo.git(&["reset", "-q", "--hard", "HEAD~3"]);
    repo.ok(&["log", "api-elevated", "after the rewrite"]);
    compare("rewritten");

    std::fs::write(
        cache_dir(&repo).join("history.json"),
        "incident-cache 2 0\n{}",
    )
    .unwrap();
    compare("damaged");
}
