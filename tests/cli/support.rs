//! A temporary incident repo and a hermetic way to run `incident` and `git` in it.

use assert_cmd::Command;
use std::path::PathBuf;
use std::process::Output;
use tempfile::TempDir;

pub const NOW: &str = "2026-11-25T10:00:00Z";

pub struct Repo {
    pub home: TempDir,
    pub root: PathBuf,
    now: String,
}

impl Repo {
    /// An incident repo with services `checkout`, `payments` and `search`, set up by `incident init`.
    pub fn new() -> Repo {
        let repo = Repo::bare_home();
        std::fs::create_dir_all(&repo.root).unwrap();
        // Without the seeded runbooks: tests of runbooks bring their own.
        repo.ok(&[
            "init",
            "--no-runbooks",
            "--org",
            "Acme",
            "--service",
            "checkout",
            "--service",
            "payments",
            "--service",
            "search",
        ]);
        repo
    }

    /// A committed copy of `examples/NAME` (a realistic incident repo), with the clock at `now`.
    pub fn example(name: &str, now: &str) -> Repo {
        let mut repo = Repo::bare_home();
        repo.now = now.into();
        let source = std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
            .join("examples")
            .join(name);
        copy_dir(&source, &repo.root);
        repo.git(&["init", "-q", "-b", "main"]);
        repo.git(&["add", "-A"]);
        repo.git(&["commit", "-q", "-m", "import example"]);
        repo
    }

    /// A home with a git identity but no incident repo yet (`root` does not exist).
    pub fn bare_home() -> Repo {
        let home = tempfile::tempdir().unwrap();
        std::fs::write(
            home.path().join(".gitconfig"),
            "[user]\n\tname = Alice Example\n\temail = alice@example.com\n[init]\n\tdefaultBranch = main\n",
        )
        .unwrap();
        let root = home.path().join("ops");
        Repo {
            home,
            root,
            now: NOW.into(),
        }
    }

    /// A bare repo beside this one (`remote.git`) made its `origin`, with this repo synced to it.
    pub fn with_origin(&self) -> PathBuf {
        let remote = self.home.path().join("remote.git");
        self.git(&["init", "-q", "--bare", remote.to_str().unwrap()]);
        self.git(&["remote", "add", "origin", remote.to_str().unwrap()]);
        self.ok(&["sync"]);
        remote
    }

    pub fn at(&mut self, now: &str) -> &mut Repo {
        self.now = now.into();
        self
    }

    /// The repo's clock moved on by `secs` seconds, as RFC 3339 (for `INCIDENT_NOW`).
    pub fn later_by(&self, secs: i64) -> String {
        let now = chrono::DateTime::parse_from_rfc3339(&self.now).expect("an RFC 3339 clock");
        (now + chrono::Duration::seconds(secs)).to_rfc3339()
    }

    /// Moves the repo's clock on by `secs` seconds: what a test does instead of sleeping while a
    /// timeout measured by `incident`'s clock runs out.
    pub fn wait(&mut self, secs: i64) -> &mut Repo {
        self.now = self.later_by(secs);
        self
    }

    pub fn cmd(&self) -> Command {
        let mut cmd = Command::cargo_bin("incident").unwrap();
        self.hermetic(&mut cmd);
        cmd.current_dir(if self.root.exists() {
            self.root.clone()
        } else {
            self.home.path().to_path_buf()
        });
        cmd
    }

    /// The environment every process of a test sees: nothing from the developer's machine leaks in.
    pub fn env(&self) -> Vec<(&'static str, std::ffi::OsString)> {
        vec![
            ("PATH", std::env::var_os("PATH").unwrap_or_default()),
            ("HOME", self.home.path().into()),
            ("XDG_CONFIG_HOME", self.home.path().join(".config").into()),
            ("GIT_CONFIG_NOSYSTEM", "1".into()),
            ("TZ", "UTC".into()),
            ("INCIDENT_NOW", self.now.clone().into()),
        ]
    }

    pub fn hermetic(&self, cmd: &mut Command) {
        cmd.env_clear().envs(self.env());
    }

    /// A plain `std::process::Command` running `incident` in the repo, for spawning many at once.
    pub fn spawnable(&self, args: &[&str]) -> std::process::Command {
        let mut cmd = std::process::Command::new(assert_cmd::cargo::cargo_bin("incident"));
        cmd.env_clear()
            .envs(self.env())
            .current_dir(&self.root)
            .args(args);
        cmd
    }

    /// Runs `incident ARGS`, asserts exit 0 and returns stdout.
    pub fn ok(&self, args: &[&str]) -> String {
        let out = self.cmd().args(args).output().unwrap();
        assert!(
            out.status.success(),
            "incident {args:?} failed with {:?}\nstdout: {}\nstderr: {}",
            out.status.code(),
            String::from_utf8_lossy(&out.stdout),
            String::from_utf8_lossy(&out.stderr)
        );
        String::from_utf8(out.stdout).unwrap()
    }

    /// Runs `incident ARGS`, asserts the exit code and returns stderr.
    pub fn fails(&self, code: i32, args: &[&str]) -> String {
        let out = self.cmd().args(args).output().unwrap();
        assert_eq!(
            out.status.code(),
            Some(code),
            "incident {args:?}\nstdout: {}\nstderr: {}",
            String::from_utf8_lossy(&out.stdout),
            String::from_utf8_lossy(&out.stderr)
        );
        String::from_utf8(out.stderr).unwrap()
    }

    pub fn run(&self, args: &[&str]) -> Output {
        self.cmd().args(args).output().unwrap()
    }

    /// Declares an incident and returns its ID, learned from `--json` as scripts do.
    pub fn declare(&self, title: &str, extra: &[&str]) -> String {
        let mut args = vec!["--json", "declare", title];
        if !extra.contains(&"--sev") {
            args.extend(["--sev", "SEV2"]);
        }
        if !extra.contains(&"--service") {
            args.extend(["--service", "checkout"]);
        }
        args.extend(extra);
        let json: serde_json::Value = serde_json::from_str(&self.ok(&args)).unwrap();
        json["id"].as_str().unwrap().to_string()
    }

    /// Runs git in the repo and returns its output whatever the exit code.
    pub fn git_output(&self, args: &[&str]) -> Output {
        let mut cmd = Command::new("git");
        self.hermetic(&mut cmd);
        cmd.env("GIT_AUTHOR_DATE", "2026-11-25T10:00:00Z")
            .env("GIT_COMMITTER_DATE", "2026-11-25T10:00:00Z");
        cmd.current_dir(&self.root).args(args).output().unwrap()
    }

    pub fn git(&self, args: &[&str]) -> String {
        let out = self.git_output(args);
        assert!(
            out.status.success(),
            "git {args:?}: {}",
            String::from_utf8_lossy(&out.stderr)
        );
        String::from_utf8(out.stdout).unwrap()
    }

    pub fn path_of(&self, id: &str) -> PathBuf {
        self.root
            .join("incidents")
            .join(&id[..4])
            .join(format!("{id}.yaml"))
    }

    /// The IDs of the records filed under `year`, from the files on disk (in directory order).
    pub fn ids_of_year(&self, year: &str) -> Vec<String> {
        std::fs::read_dir(self.root.join("incidents").join(year))
            .unwrap()
            .map(|e| {
                e.unwrap()
                    .file_name()
                    .to_string_lossy()
                    .replace(".yaml", "")
            })
            .collect()
    }

    pub fn read(&self, id: &str) -> String {
        std::fs::read_to_string(self.path_of(id)).unwrap()
    }

    pub fn record(&self, id: &str) -> serde_json::Value {
        serde_json::from_str(&self.ok(&["--json", "show", id])).unwrap()
    }

    pub fn commit_count(&self) -> usize {
        self.git(&["rev-list", "--count", "HEAD"])
            .trim()
            .parse()
            .unwrap()
    }

    pub fn write(&self, rel: &str, text: &str) {
        let path = self.root.join(rel);
        std::fs::create_dir_all(path.parent().unwrap()).unwrap();
        std::fs::write(path, text).unwrap();
    }

    /// Adds `n` new loose objects to `objects/17`, the folder git counts to decide whether
    /// `git gc --auto` has work (with `gc.auto = 1`, two are over the limit).
    pub fn fill_objects_17(&self, n: usize) {
        use sha1::{Digest, Sha1};
        let mut made = 0;
        for k in 0.. {
            let text = format!("filler {k}\n");
            let id = Sha1::digest(format!("blob {}\0{text}", text.len()));
            let hex: String = id.iter().map(|b| format!("{b:02x}")).collect();
            let file = self.root.join(".git/objects/17").join(&hex[2..]);
            if id[0] == 0x17 && !file.exists() {
                self.write("filler.txt", &text);
                self.git(&["hash-object", "-w", "filler.txt"]);
                made += 1;
                if made == n {
                    break;
                }
            }
        }
        std::fs::remove_file(self.root.join("filler.txt")).unwrap();
    }

    /// Whether object `oid` is still a loose file (not packed).
    pub fn is_loose(&self, oid: &str) -> bool {
        self.root
            .join(".git/objects")
            .join(&oid[..2])
            .join(&oid[2..])
            .exists()
    }

    /// Waits (up to 20 s) for a background `git gc` to make `done` true.
    pub fn wait_for_gc(&self, done: impl Fn() -> bool) -> bool {
        let start = std::time::Instant::now();
        while !done() {
            if start.elapsed().as_secs() >= 20 {
                return false;
            }
            std::thread::sleep(std::time::Duration::from_millis(50));
        }
        true
    }
}

fn copy_dir(from: &std::path::Path, to: &std::path::Path) {
    std::fs::create_dir_all(to).unwrap();
    for entry in std::fs::read_dir(from).unwrap() {
        let entry = entry.unwrap();
        let target = to.join(entry.file_name());
        if entry.file_type().unwrap().is_dir() {
            copy_dir(&entry.path(), &target);
        } else {
            std::fs::copy(entry.path(), target).unwrap();
        }
    }
}

/// Every file under `dir`, as paths relative to it, sorted.
pub fn walk(dir: &std::path::Path) -> Vec<String> {
    let mut out = Vec::new();
    let mut stack = vec![dir.to_path_buf()];
    while let Some(d) = stack.pop() {
        for e in std::fs::read_dir(&d).unwrap() {
            let p = e.unwrap().path();
            if p.is_dir() {
                stack.push(p);
            } else {
                out.push(p.strip_prefix(dir).unwrap().to_string_lossy().into_owned());
            }
        }
    }
    out.sort();
    out
}
