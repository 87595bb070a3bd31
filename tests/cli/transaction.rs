//! A change lands whole or not at all: git failing under the command (held locks, rejecting hooks,
//! kill -9), edits the tool did not make, records at the wrong path, and repos in states where a
//! commit would go unseen.

use crate::support::Repo;
use std::path::Path;

/// Everything a change could touch: HEAD, the index, the work tree (as git status sees it) and the
/// record's bytes.
#[derive(Debug, PartialEq)]
struct State {
    head: String,
    index: String,
    status: String,
    record: String,
}

fn state(repo: &Repo, id: &str) -> State {
    State {
        head: repo.git(&["rev-parse", "HEAD"]),
        index: repo.git(&["ls-files", "-s"]),
        status: repo.git(&["status", "--porcelain", "--untracked-files=all"]),
        record: repo.read(id),
    }
}

/// Runs a command that must be refused with `code`, say `needle`, and leave everything as it was.
fn refused_unchanged(repo: &Repo, id: &str, code: i32, args: &[&str], needle: &str) -> String {
    let before = state(repo, id);
    let err = repo.fails(code, args);
    assert!(err.contains(needle), "{args:?}: {err}");
    assert_eq!(state(repo, id), before, "{args:?} changed something");
    err
}

fn stderr_of(out: &std::process::Output) -> String {
    String::from_utf8_lossy(&out.stderr).into_owned()
}

#[test]
fn a_held_branch_lock_changes_nothing_and_names_the_lock() {
    let repo = Repo::new();
    let id = repo.declare("Checkout down", &[]);
    let before = state(&repo, &id);
    let lock = repo.root.join(".git/refs/heads/main.lock");
    std::fs::write(&lock, "").unwrap();
    let err = repo.fails(1, &["log", &id, "failover started"]);
    assert!(err.contains("main.lock") && err.contains("rm '"), "{err}");
    assert_eq!(state(&repo, &id), before, "nothing may change");
    std::fs::remove_file(&lock).unwrap();
    // The next change carries only its own event, under its own message.
    repo.ok(&["log", &id, "rolled back the deploy"]);
    let log = repo.git(&["log", "-1", "-p", "--format=%s"]);
    assert!(
        log.starts_with(&format!("{id}: rolled back the deploy")),
        "{log}"
    );
    assert!(!log.contains("failover started"), "{log}");
    assert_eq!(repo.git(&["status", "--porcelain"]), "");
}

#[test]
fn a_held_index_lock_changes_nothing() {
    let repo = Repo::new();
    let id = repo.declare("Checkout down", &[]);
    let before = state(&repo, &id);
    let lock = repo.root.join(".git/index.lock");
    std::fs::write(&lock, "").unwrap();
    let err = repo.fails(1, &["severity", &id, "SEV1"]);
    assert!(err.contains("index.lock"), "{err}");
    std::fs::remove_file(&lock).unwrap();
    assert_eq!(state(&repo, &id), before);
}

fn hook(repo: &Repo, name: &str, script: &str) {
    use std::os::unix::fs::PermissionsExt;
    let path = repo.root.join(".git/hooks").join(name);
    std::fs::create_dir_all(path.parent().unwrap()).unwrap();
    std::fs::write(&path, script).unwrap();
    std::fs::set_permissions(&path, std::fs::Permissions::from_mode(0o755)).unwrap();
}

#[test]
fn a_rejecting_pre_commit_hook_stops_the_change_and_no_verify_skips_it() {
    let repo = Repo::new();
    let id = repo.declare("Checkout down", &[]);
    // The hook sees the staged change, as with `git commit`: it rejects any record mentioning "secret".
    hook(
        &repo,
        "pre-commit",
        "#!/bin/sh\nif git diff --cached | grep -q secret; then echo 'no secrets in records' >&2; exit 1; fi\n",
    );
    let before = state(&repo, &id);
    let err = repo.fails(1, &["log", &id, "the secret is hunter2"]);
    assert!(
        err.contains("pre-commit hook rejected") && err.contains("no secrets in records"),
        "{err}"
    );
    assert!(err.contains("nothing was changed"), "{err}");
    assert_eq!(state(&repo, &id), before);
    // A change the hook accepts lands.
    repo.ok(&["log", &id, "failover started"]);
    assert_eq!(repo.git(&["status", "--porcelain"]), "");
    repo.ok(&["--no-verify", "log", &id, "the secret rotated"]);
    assert!(repo.read(&id).contains("the secret rotated"));
}

#[test]
fn the_commit_msg_hook_may_edit_the_message() {
    let repo = Repo::new();
    let id = repo.declare("Checkout down", &[]);
    hook(
        &repo,
        "commit-msg",
        "#!/bin/sh\nprintf 'Reviewed-by: policy-bot\\n' >> \"$1\"\n",
    );
    repo.ok(&["log", &id, "failover started"]);
    let message = repo.git(&["log", "-1", "--format=%B"]);
    assert!(message.contains("Reviewed-by: policy-bot"), "{message}");
    assert!(message.contains(&format!("Incident: {id}")), "{message}");
    // A commit-msg hook that rejects stops the change too.
    hook(&repo, "commit-msg", "#!/bin/sh\nexit 1\n");
    refused_unchanged(
        &repo,
        &id,
        1,
        &["log", &id, "second"],
        "commit-msg hook rejected",
    );
}

#[test]
fn a_bad_author_is_refused_before_anything_is_written() {
    let repo = Repo::new();
    let id = repo.declare("Checkout down", &[]);
    let before = state(&repo, &id);
    let err = repo.fails(2, &["--as", "Mallory\u{1b}[2J", "log", &id, "x"]);
    assert!(err.contains("control character"), "{err}");
    let err = repo.fails(2, &["--as", "a/b", "log", &id, "x"]);
    assert!(err.contains("path characters"), "{err}");
    assert_eq!(state(&repo, &id), before);
}

#[test]
fn hand_edits_are_refused_never_absorbed() {
    let repo = Repo::new();
    let id = repo.declare("Checkout down", &[]);
    let path = repo.path_of(&id);
    let edited = repo
        .read(&id)
        .replace("Checkout down", "Checkout down (edited)");
    std::fs::write(&path, &edited).unwrap();
    let commits = repo.commit_count();
    let err = repo.fails(1, &["log", &id, "failover started"]);
    let file = format!("incidents/2026/{id}.yaml");
    assert!(
        err.contains(&file) && err.contains("did not make") && err.contains("git checkout HEAD --"),
        "{err}"
    );
    assert_eq!(repo.commit_count(), commits);
    assert_eq!(repo.read(&id), edited, "the hand edit is left as it was");
    // Staged hand edits count too.
    repo.git(&["add", &file]);
    repo.fails(1, &["log", &id, "failover started"]);
    // Once the person commits it themselves, changes go on.
    repo.git(&["commit", "-q", "-m", "fix title by hand"]);
    repo.ok(&["log", &id, "failover started"]);
    let authors = repo.git(&["log", "-2", "--format=%s"]);
    assert_eq!(
        authors,
        format!("{id}: failover started\nfix title by hand\n")
    );
    // A deletion is a hand edit as well, and its ID is not handed out again.
    std::fs::remove_file(&path).unwrap();
    let err = repo.fails(1, &["log", &id, "x"]);
    assert!(
        err.contains("was deleted") && err.contains(&format!("git checkout HEAD -- {file}")),
        "{err}"
    );
    let again = repo.declare("Checkout down", &[]);
    assert_ne!(again, id, "a committed record's ID is still taken");
    // A record created by hand and never committed is not committed under the tool's name either.
    repo.git(&["checkout", "-q", "HEAD", "--", &file]);
    let copy = repo
        .read(&id)
        .replace(&format!("id: {id}"), "id: 2026-11-25-by-hand");
    repo.write("incidents/2026/2026-11-25-by-hand.yaml", &copy);
    let err = repo.fails(1, &["log", "2026-11-25-by-hand", "x"]);
    assert!(
        err.contains("exists but was never committed") && err.contains("git add"),
        "{err}"
    );
}

#[test]
fn a_record_whose_id_differs_from_its_file_name_is_refused_by_every_command() {
    let repo = Repo::new();
    let victim = repo.declare("Payments down", &["--service", "payments"]);
    let other = repo.declare("Checkout down", &[]);
    // A copy of `other` whose id points at the victim's file.
    let forged = repo
        .read(&other)
        .replace(&format!("id: {other}"), &format!("id: {victim}"));
    std::fs::write(repo.path_of(&other), forged).unwrap();
    repo.git(&["commit", "-qam", "forged"]);
    let victim_before = repo.read(&victim);
    for args in [
        vec!["log", other.as_str(), "x"],
        vec!["show", other.as_str()],
        vec!["severity", other.as_str(), "SEV1"],
        vec!["postmortem", other.as_str()],
    ] {
        let err = repo.fails(1, &args);
        assert!(
            err.contains("must equal its file name") && err.contains(&victim),
            "{args:?}: {err}"
        );
    }
    let out = repo.run(&["check"]);
    assert_eq!(out.status.code(), Some(1));
    let findings = String::from_utf8_lossy(&out.stdout);
    assert!(findings.contains("must equal its file name"), "{findings}");
    assert_eq!(repo.read(&victim), victim_before, "the victim is untouched");
}

#[test]
fn ids_that_could_leave_the_folder_are_refused_and_nothing_is_written_outside() {
    let repo = Repo::new();
    for bad in ["../../etc/passwd", "/tmp/x", "a\\b", "..", "x\u{1b}y"] {
        let out = repo.run(&["log", bad, "x"]);
        assert_eq!(out.status.code(), Some(2), "{bad:?}: {}", stderr_of(&out));
    }
    // A title is only ever a slug in the ID.
    let id = repo.declare("../../escape", &[]);
    assert!(
        repo.path_of(&id)
            .starts_with(repo.root.join("incidents/2026")),
        "{id}"
    );
    repo.git(&["rm", "-q", &format!("incidents/2026/{id}.yaml")]);
    repo.git(&["commit", "-qm", "drop"]);
    assert_eq!(
        repo.git(&["status", "--porcelain", "--untracked-files=all"]),
        ""
    );
}

#[test]
fn writers_refuse_a_detached_head_and_git_operations_in_progress() {
    let repo = Repo::new();
    let id = repo.declare("Checkout down", &[]);
    repo.git(&["checkout", "-q", "--detach"]);
    let head = repo.git(&["rev-parse", "HEAD"]);
    for args in [
        vec!["log", id.as_str(), "x"],
        vec!["postmortem", id.as_str(), "--commit"],
        vec!["declare", "Other", "--sev", "3", "--service", "search"],
    ] {
        let err = repo.fails(1, &args);
        assert!(err.contains("HEAD is detached"), "{args:?}: {err}");
    }
    assert_eq!(repo.git(&["rev-parse", "HEAD"]), head);
    repo.git(&["checkout", "-q", "main"]);
    // A bisect in progress.
    repo.git(&["bisect", "start"]);
    let err = repo.fails(1, &["postmortem", &id, "--commit"]);
    assert!(
        err.contains("bisect") && err.contains("git bisect reset"),
        "{err}"
    );
    repo.git(&["bisect", "reset"]);
    // A cherry-pick in progress.
    std::fs::write(repo.root.join(".git/CHERRY_PICK_HEAD"), &head).unwrap();
    let err = repo.fails(1, &["log", &id, "x"]);
    assert!(err.contains("cherry-pick"), "{err}");
    std::fs::remove_file(repo.root.join(".git/CHERRY_PICK_HEAD")).unwrap();
    repo.ok(&["log", &id, "x"]);
}

#[test]
fn init_refuses_a_bare_repository() {
    let repo = Repo::bare_home();
    let bare = repo.home.path().join("ops.git");
    let out = std::process::Command::new("git")
        .args(["init", "-q", "--bare"])
        .arg(&bare)
        .output()
        .unwrap();
    assert!(out.status.success());
    let out = repo
        .cmd()
        .args(["init", "--org", "Acme", "--service", "api"])
        .arg(&bare)
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(1), "{}", stderr_of(&out));
    assert!(stderr_of(&out).contains("bare"), "{}", stderr_of(&out));
    assert!(!bare.join(".incident.yaml").exists());
    assert!(
        !bare.join(".git").exists(),
        "no repo nested inside the bare one"
    );
}

#[test]
fn a_second_identical_postmortem_makes_no_commit() {
    let repo = Repo::new();
    let id = repo.declare("Checkout down", &[]);
    repo.ok(&["postmortem", &id, "--commit"]);
    let commits = repo.commit_count();
    let out = repo.run(&["postmortem", &id, "--commit"]);
    assert!(out.status.success(), "{}", stderr_of(&out));
    assert!(
        String::from_utf8_lossy(&out.stdout).contains("unchanged"),
        "{}",
        String::from_utf8_lossy(&out.stdout)
    );
    assert_eq!(repo.commit_count(), commits);
}

#[test]
fn a_waiting_command_says_who_holds_the_lock() {
    let repo = Repo::new();
    let id = repo.declare("Checkout down", &[]);
    let lock_path = repo.root.join(".git/incident.lock");
    let file = std::fs::OpenOptions::new()
        .create(true)
        .truncate(false)
        .write(true)
        .open(&lock_path)
        .unwrap();
    file.lock().unwrap();
    std::fs::write(
        &lock_path,
        "pid 4242, `incident sync`, since 10:00:00 UTC\n",
    )
    .unwrap();
    let child = repo
        .spawnable(&["log", &id, "waited"])
        .stderr(std::process::Stdio::piped())
        .stdout(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    std::thread::sleep(std::time::Duration::from_millis(1800));
    file.unlock().unwrap();
    let out = child.wait_with_output().unwrap();
    assert!(out.status.success(), "{}", stderr_of(&out));
    let err = stderr_of(&out);
    assert!(
        err.contains("waiting for another incident command") && err.contains("pid 4242"),
        "{err}"
    );
    assert!(repo.read(&id).contains("waited"));
}

#[test]
fn files_honour_the_umask() {
    use std::os::unix::fs::PermissionsExt;
    let repo = Repo::bare_home();
    std::fs::create_dir_all(&repo.root).unwrap();
    let exe = assert_cmd::cargo::cargo_bin("incident");
    let run = |script: &str| {
        let out = std::process::Command::new("sh")
            .arg("-c")
            .arg(format!("umask 022; {script}"))
            .env_clear()
            .envs(repo.env())
            .env("INCIDENT", &exe)
            .current_dir(&repo.root)
            .output()
            .unwrap();
        assert!(out.status.success(), "{script}: {}", stderr_of(&out));
        String::from_utf8_lossy(&out.stdout).trim().to_string()
    };
    run("\"$INCIDENT\" init --org Acme --service api");
    let id = run(
        "\"$INCIDENT\" --json declare X --sev 3 --service api | sed -n 's/.*\"id\": \"\\(.*\\)\".*/\\1/p' | head -1",
    );
    run(&format!("\"$INCIDENT\" log {id} hello"));
    run("\"$INCIDENT\" publish --out site");
    let mode = |p: &Path| std::fs::metadata(p).unwrap().permissions().mode() & 0o777;
    let mut files = vec![
        repo.root.join(".incident.yaml"),
        repo.root.join(".gitattributes"),
        repo.path_of(&id),
    ];
    for entry in std::fs::read_dir(repo.root.join("site")).unwrap() {
        let path = entry.unwrap().path();
        if path.is_file() {
            files.push(path);
        }
    }
    assert!(files.len() > 6, "{files:?}");
    for file in files {
        assert_eq!(mode(&file), 0o644, "{}", file.display());
    }
}

#[test]
fn signed_commits_verify_with_an_ssh_key() {
    let repo = Repo::new();
    let id = repo.declare("Checkout down", &[]);
    let key = repo.home.path().join("signing_key");
    let out = std::process::Command::new("ssh-keygen")
        .args(["-q", "-t", "ed25519", "-N", "", "-C", "alice", "-f"])
        .arg(&key)
        .output()
        .expect("ssh-keygen is needed for this test (.ci/run installs openssh-client)");
    assert!(out.status.success(), "{}", stderr_of(&out));
    let public = std::fs::read_to_string(key.with_extension("pub")).unwrap();
    let signers = repo.home.path().join("allowed_signers");
    std::fs::write(&signers, format!("alice@example.com {public}")).unwrap();
    repo.git(&["config", "gpg.format", "ssh"]);
    repo.git(&["config", "user.signingkey", key.to_str().unwrap()]);
    repo.git(&["config", "commit.gpgsign", "true"]);
    repo.git(&[
        "config",
        "gpg.ssh.allowedSignersFile",
        signers.to_str().unwrap(),
    ]);
    repo.ok(&["log", &id, "signed event"]);
    let verify = repo.git_output(&["verify-commit", "-v", "HEAD"]);
    assert!(
        verify.status.success(),
        "{}",
        String::from_utf8_lossy(&verify.stderr)
    );
    assert!(
        String::from_utf8_lossy(&verify.stderr).contains("Good \"git\" signature"),
        "{}",
        String::from_utf8_lossy(&verify.stderr)
    );
    // A signing key that does not exist stops the change with nothing landed.
    repo.git(&["config", "user.signingkey", "/nonexistent/key"]);
    refused_unchanged(&repo, &id, 1, &["log", &id, "unsigned"], "could not sign");
}

#[test]
fn the_same_text_twice_in_one_second_is_two_events() {
    let repo = Repo::new();
    let id = repo.declare("Checkout down", &[]);
    repo.ok(&["log", &id, "restarted api-7"]);
    repo.ok(&["log", &id, "restarted api-7"]);
    let record = repo.record(&id);
    let events: Vec<&serde_json::Value> = record["timeline"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|e| e["text"] == "restarted api-7")
        .collect();
    assert_eq!(events.len(), 2);
    assert_ne!(events[0]["id"], events[1]["id"]);
}

#[test]
fn leftover_temporary_files_never_show_and_are_cleared() {
    let repo = Repo::new();
    let id = repo.declare("Checkout down", &[]);
    let tmp = repo.root.join(".git/incident-tmp");
    std::fs::create_dir_all(&tmp).unwrap();
    std::fs::write(tmp.join(".incident-dead.tmp"), "half").unwrap();
    assert_eq!(
        repo.git(&["status", "--porcelain", "--untracked-files=all"]),
        ""
    );
    repo.ok(&["log", &id, "x"]);
    assert!(!tmp.join(".incident-dead.tmp").exists());
}

#[test]
fn control_characters_are_refused_at_input_and_shown_escaped_from_records() {
    let repo = Repo::new();
    let id = repo.declare("Checkout down", &[]);
    let before = state(&repo, &id);
    for args in [
        vec!["log", id.as_str(), "clear \u{1b}[2J screen"],
        vec!["declare", "bell\u{7}", "--sev", "3", "--service", "search"],
        vec![
            "update",
            id.as_str(),
            "--impacted",
            "x\u{8}",
            "--learned",
            "y",
        ],
    ] {
        let err = repo.fails(2, &args);
        assert!(err.contains("control character U+"), "{args:?}: {err}");
        assert!(!err.contains('\u{1b}') && !err.contains('\u{7}'), "{err:?}");
    }
    let err = repo.fails(
        2,
        &["declare", "two\nlines", "--sev", "3", "--service", "search"],
    );
    assert!(err.contains("single line"), "{err}");
    assert_eq!(state(&repo, &id), before);
    // Multi-line text (newlines, tabs) is text.
    repo.ok(&["log", &id, "step one\n\tstep two"]);

    // A hand edit can still put an escape into a record (YAML's "\e"); output shows it, never obeys it.
    let edited = repo.read(&id).replace(
        "title: Checkout down",
        "title: \"Checkout \\e[2J\\e]0;owned\\a down\"",
    );
    std::fs::write(repo.path_of(&id), edited).unwrap();
    repo.git(&["commit", "-qam", "hand edit with escapes"]);
    for args in [vec!["show", id.as_str()], vec!["list"]] {
        let out = repo.ok(&args);
        assert!(!out.contains('\u{1b}') && !out.contains('\u{7}'), "{out:?}");
        assert!(out.contains("\\u{1b}[2J"), "{out}");
    }
}

#[test]
fn markdown_outputs_render_record_text_as_text() {
    let repo = Repo::new();
    let id = repo.declare("Checkout <b>down</b>", &[]);
    repo.ok(&[
        "update",
        &id,
        "--impacted",
        "# Everything is fine\n[click here](javascript:alert(1)) | <img src=x onerror=alert(1)>",
        "--learned=---",
    ]);
    repo.ok(&["publish", "--out", "site"]);
    let status = std::fs::read_to_string(repo.root.join("site/status.md")).unwrap();
    let postmortem = repo.ok(&["postmortem", &id]);
    let update = repo.ok(&["render", &id, "--channel", "status-page"]);
    for (name, doc) in [
        ("status.md", &status),
        ("postmortem", &postmortem),
        ("update", &update),
    ] {
        assert!(
            !doc.contains("<img") && !doc.contains("<b>"),
            "{name}: {doc}"
        );
        assert!(
            !doc.replace("\\]", "").contains("](javascript:"),
            "{name}: a live link: {doc}"
        );
        assert!(
            !doc.lines().any(|l| l.starts_with("# Everything")),
            "{name}: an injected heading: {doc}"
        );
    }
    assert!(
        status.contains("&lt;img src=x onerror=alert(1)&gt;"),
        "{status}"
    );
    assert!(status.contains("\\[click here\\]"), "{status}");
}

/// Reads YAML files with PyYAML, a YAML 1.1 loader, and prints them as JSON.
fn load_with_pyyaml(files: &[&Path]) -> serde_json::Value {
    let script = "import json, sys, yaml\n\
        docs = [yaml.safe_load(open(p, encoding='utf-8')) for p in sys.argv[1:]]\n\
        print(json.dumps(docs, default=str))\n";
    let out = std::process::Command::new("python3")
        .arg("-c")
        .arg(script)
        .args(files)
        .output()
        .expect("python3 with PyYAML is needed (.ci/run installs it)");
    assert!(
        out.status.success(),
        "PyYAML could not load the files: {}",
        stderr_of(&out)
    );
    serde_json::from_slice(&out.stdout).unwrap()
}

#[test]
fn records_load_unchanged_in_a_yaml_1_1_reader() {
    let repo = Repo::new();
    let hazards = [
        "no",
        "on",
        "yes",
        "off",
        "~",
        "=",
        "<<",
        "12:30:45",
        "1_000",
        "2026-11-25",
        "0x1F",
        "1.5",
        "null",
        "y",
    ];
    let id = repo.declare("no", &[]);
    for text in &hazards[1..] {
        repo.ok(&["log", &id, text]);
    }
    repo.ok(&["assign", &id, "--role", "on=yes", "--commander", "off"]);
    let docs = load_with_pyyaml(&[&repo.path_of(&id), &repo.root.join(".incident.yaml")]);
    let record = &docs[0];
    assert_eq!(record["title"], "no");
    assert_eq!(record["roles"]["on"], "yes", "{record}");
    assert_eq!(record["roles"]["commander"], "off");
    let texts: Vec<&str> = record["timeline"]
        .as_array()
        .unwrap()
        .iter()
        .filter_map(|e| e["text"].as_str())
        .collect();
    for text in &hazards[1..] {
        assert!(
            texts.contains(text),
            "`{text}` did not come back as text: {texts:?}"
        );
    }
    // What this tool reads back is the same.
    let ours = repo.record(&id);
    assert_eq!(ours["title"], "no");
    assert_eq!(ours["roles"]["on"], "yes");
    // Times stay times for both.
    assert!(
        record["detected_at"]
            .as_str()
            .unwrap()
            .starts_with("2026-11-25 10:00:00")
    );
    assert_eq!(docs[1]["organisation"], "Acme");
}

#[test]
fn times_out_of_range_or_order_are_refused_without_a_panic() {
    let repo = Repo::new();
    let id = repo.declare("Checkout down", &["--commander", "alice"]);
    let before = state(&repo, &id);
    for args in [
        vec!["log", id.as_str(), "x", "--at", "1000000000d ago"],
        vec!["log", id.as_str(), "x", "--at", "99999999999999999999d ago"],
        vec!["log", id.as_str(), "x", "--at", "1969-12-31T23:59:59Z"],
        vec![
            "update",
            id.as_str(),
            "--impacted",
            "a",
            "--learned",
            "b",
            "--next",
            "99999999999d",
        ],
        vec![
            "update",
            id.as_str(),
            "--impacted",
            "a",
            "--learned",
            "b",
            "--next",
            "31d",
        ],
        vec![
            "action",
            "add",
            id.as_str(),
            "fix it",
            "--owner",
            "bob",
            "--due",
            "99999999999d",
        ],
        vec![
            "action",
            "add",
            id.as_str(),
            "fix it",
            "--owner",
            "bob",
            "--due",
            "10000-01-01",
        ],
    ] {
        let out = repo.run(&args);
        let err = stderr_of(&out);
        assert_eq!(out.status.code(), Some(2), "{args:?}: {err}");
        assert!(!err.contains("panicked"), "{args:?}: {err}");
        assert!(
            err.contains("--at")
                || err.contains("--next")
                || err.contains("--due")
                || err.contains("range")
                || err.contains("too long"),
            "{args:?}: {err}"
        );
    }
    // Wide windows are clamped to "everything", not an error.
    let site = repo.home.path().join("site");
    for args in [
        vec!["stats", "--since", "99999999999d"],
        vec!["list", "--since", "9999999999999d"],
        vec![
            "publish",
            "--days",
            "4000000000",
            "--out",
            site.to_str().unwrap(),
        ],
    ] {
        let out = repo.run(&args);
        assert!(out.status.success(), "{args:?}: {}", stderr_of(&out));
    }
    // Lifecycle order: resolving before detection would make a record `check` rejects.
    let err = repo.fails(1, &["resolve", &id, "--at", "2026-11-25T09:00:00Z"]);
    assert!(err.contains("before detected_at"), "{err}");
    assert_eq!(state(&repo, &id), before);
    // A backfilled note from before detection (the deploy that caused it) is fine.
    repo.ok(&[
        "log",
        &id,
        "deploy 4411 went out",
        "--at",
        "2026-11-25T09:30:00Z",
    ]);
    repo.ok(&["check"]);
}

#[test]
fn an_id_with_letters_outside_ascii_publishes() {
    let repo = Repo::new();
    let id = repo.declare("Checkout down", &["--commander", "alice", "--update"]);
    // The 10th byte falls inside `é`: the feed used to cut a published ID there and panic.
    let odd = "2026-11-1é-zürich-日本";
    let text = repo
        .read(&id)
        .replace(&format!("id: {id}"), &format!("id: {odd}"));
    std::fs::remove_file(repo.path_of(&id)).unwrap();
    std::fs::write(repo.root.join(format!("incidents/2026/{odd}.yaml")), text).unwrap();
    repo.git(&["add", "-A"]);
    repo.git(&["commit", "-qm", "hand-made record"]);
    let site = repo.home.path().join("site");
    repo.ok(&["publish", "--out", site.to_str().unwrap()]);
    let feed = std::fs::read_to_string(site.join("feed.atom")).unwrap();
    assert!(feed.contains(odd), "{feed}");
    repo.ok(&["show", odd]);
    repo.ok(&["list"]);
}

/// A git lock taken after the pre-checks (here by a hook, as a concurrent git command could): the
/// branch is put back when the index cannot follow, and nothing is left changed.
#[test]
fn a_lock_taken_mid_change_is_undone_completely() {
    let repo = Repo::new();
    let id = repo.declare("Checkout down", &[]);
    let before = state(&repo, &id);
    hook(&repo, "commit-msg", "#!/bin/sh\ntouch .git/index.lock\n");
    let err = repo.fails(1, &["log", &id, "index locked mid-change"]);
    assert!(
        err.contains("git index is locked") && err.contains("rm '"),
        "{err}"
    );
    std::fs::remove_file(repo.root.join(".git/index.lock")).unwrap();
    assert_eq!(
        state(&repo, &id),
        before,
        "the branch was moved back, the file restored"
    );
    assert!(!repo.root.join(".git/incident-transaction.json").exists());

    hook(
        &repo,
        "commit-msg",
        "#!/bin/sh\ntouch .git/refs/heads/main.lock\n",
    );
    let err = repo.fails(1, &["log", &id, "branch locked mid-change"]);
    assert!(
        err.contains("is locked by another git command") && err.contains("main.lock"),
        "{err}"
    );
    std::fs::remove_file(repo.root.join(".git/refs/heads/main.lock")).unwrap();
    assert_eq!(state(&repo, &id), before);
    hook(&repo, "commit-msg", "#!/bin/sh\nexit 0\n");
    repo.ok(&["log", &id, "and now it lands"]);
    assert_eq!(repo.git(&["status", "--porcelain"]), "");
}

/// A record laid out by hand keeps its layout when the tool rewrites it; one the tool wrote is
/// rewritten the fast way (its content is remembered in `.git/incident-canonical`), with the same
/// result.
#[test]
fn hand_ordered_records_keep_their_key_order_and_tool_written_ones_take_the_fast_path() {
    let repo = Repo::new();
    let id = repo.declare("Checkout down", &["--commander", "alice"]);
    let canonical = std::fs::read_to_string(repo.root.join(".git/incident-canonical")).unwrap();
    assert_eq!(
        canonical.lines().count(),
        1,
        "the declared record is remembered"
    );
    // Move `severity` and `status` to the end, by hand, and commit it.
    let text = repo.read(&id);
    let moved: String = text
        .lines()
        .filter(|l| !l.starts_with("severity:") && !l.starts_with("status:"))
        .map(|l| format!("{l}\n"))
        .collect::<String>()
        + "severity: SEV2\nstatus: investigating\n";
    std::fs::write(repo.path_of(&id), &moved).unwrap();
    repo.git(&["commit", "-qam", "reorder by hand"]);
    repo.ok(&["log", &id, "kept the order"]);
    let after = repo.read(&id);
    let keys: Vec<&str> = after
        .lines()
        .filter(|l| !l.starts_with([' ', '-']))
        .map(|l| l.split(':').next().unwrap())
        .collect();
    assert_eq!(keys[keys.len() - 2..], ["severity", "status"], "{after}");
    let diff = repo.git(&["diff", "HEAD~1", "--stat"]);
    assert!(diff.contains("1 file changed"), "{diff}");
    // Written by the tool now: the next change takes the fast path and keeps the same layout.
    repo.ok(&["log", &id, "fast path"]);
    let keys_again: Vec<String> = repo
        .read(&id)
        .lines()
        .filter(|l| !l.starts_with([' ', '-']))
        .map(|l| l.split(':').next().unwrap().to_string())
        .collect();
    assert_eq!(
        keys_again, keys,
        "the layout is what the tool writes from now on"
    );
}

/// `post-commit` runs once per change, after it landed (it sees the new HEAD), and a failing one
/// changes nothing; `--no-verify` does not skip it: all as with `git commit`.
#[test]
fn the_post_commit_hook_runs_after_the_change_and_cannot_undo_it() {
    let repo = Repo::new();
    let id = repo.declare("Checkout down", &[]);
    hook(
        &repo,
        "post-commit",
        "#!/bin/sh\ngit log -1 --format=%s >> .git/post-commit-ran\necho 'post-commit says hi'\nexit 3\n",
    );
    let out = repo
        .cmd()
        .args(["log", &id, "failover started"])
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "a failing post-commit changes nothing"
    );
    assert!(
        String::from_utf8_lossy(&out.stderr).contains("post-commit says hi"),
        "what it prints is shown"
    );
    let ran = std::fs::read_to_string(repo.root.join(".git/post-commit-ran")).unwrap();
    assert_eq!(
        ran,
        format!("{id}: failover started\n"),
        "once, after the commit"
    );
    assert!(repo.read(&id).contains("failover started"));
    repo.ok(&["--no-verify", "log", &id, "quiet"]);
    let ran = std::fs::read_to_string(repo.root.join(".git/post-commit-ran")).unwrap();
    assert_eq!(ran.lines().count(), 2, "--no-verify does not skip it");
}

/// After a change, the index is what `git add` would have made it, in every index format git
/// writes: `git status` is clean, the cache tree git keeps in the index does not hold the old
/// trees (a later `git commit` of another file keeps the change), and `git fsck` is content.
#[test]
fn the_index_is_left_as_git_would_leave_it_in_every_format() {
    let repo = Repo::example("acme", "2026-11-18T12:00:00Z");
    let id = "2026-11-18-api-elevated-errors";
    let file = format!("incidents/2026/{id}.yaml");
    for (n, (format, setup)) in [
        (
            "a fresh cache tree",
            &["commit", "-q", "--allow-empty", "-m", "cache tree"][..],
        ),
        (
            "index version 4",
            &["update-index", "--index-version", "4"][..],
        ),
        (
            "index version 3",
            &["update-index", "--index-version", "3"][..],
        ),
        (
            "index version 2",
            &["update-index", "--index-version", "2"][..],
        ),
    ]
    .into_iter()
    .enumerate()
    {
        repo.git(setup);
        // git writes a cache tree when it commits; make sure there is one to go stale.
        repo.git(&[
            "commit",
            "-q",
            "--allow-empty",
            "-m",
            &format!("before {format}"),
        ]);
        repo.ok(&["log", id, &format!("note {n}")]);
        assert_eq!(repo.git(&["status", "--porcelain"]), "", "{format}: clean");
        assert_eq!(
            repo.git(&["write-tree"]),
            repo.git(&["rev-parse", "HEAD^{tree}"]),
            "{format}: the index holds HEAD's tree"
        );
        let staged = repo.git(&["ls-files", "--stage", &file]);
        let blob = repo.git(&["rev-parse", &format!("HEAD:{file}")]);
        assert!(staged.contains(blob.trim()), "{format}: {staged} / {blob}");

        repo.write(&format!("notes-{n}.txt"), "unrelated\n");
        repo.git(&["add", &format!("notes-{n}.txt")]);
        repo.git(&["commit", "-q", "-m", "an unrelated commit"]);
        let kept = repo.git(&["show", &format!("HEAD:{file}")]);
        assert!(
            kept.contains(&format!("note {n}")),
            "{format}: a later git commit kept the change"
        );
        assert_eq!(
            repo.git(&["diff", "HEAD~1", "--name-only"]).trim(),
            format!("notes-{n}.txt")
        );
    }
    let fsck = repo.git_output(&["fsck", "--strict", "--no-dangling"]);
    assert!(
        fsck.status.success(),
        "{}",
        String::from_utf8_lossy(&fsck.stderr)
    );

    // A split index is one libgit2 cannot read: refused, with the way out, and nothing changed.
    repo.git(&["update-index", "--split-index"]);
    let before = state(&repo, id);
    let err = repo.fails(1, &["log", id, "with a split index"]);
    assert!(err.contains("git update-index --no-split-index"), "{err}");
    assert_eq!(state(&repo, id), before);
    repo.git(&["update-index", "--no-split-index"]);
    repo.ok(&["log", id, "after the split index"]);
    assert_eq!(repo.git(&["status", "--porcelain"]), "");
}

/// The index is patched only when its checksum holds. One written with `index.skipHash` (zeros
/// where the hash goes) is patched and read back by git; a damaged one is refused before anything
/// is written over it, and the change is undone.
#[test]
fn a_hashless_index_is_patched_and_a_damaged_one_refused() {
    let repo = Repo::example("acme", "2026-11-18T12:00:00Z");
    let id = "2026-11-18-api-elevated-errors";
    let index = repo.root.join(".git/index");

    repo.git(&["config", "index.skipHash", "true"]);
    repo.git(&["read-tree", "HEAD"]);
    let bytes = std::fs::read(&index).unwrap();
    assert_eq!(bytes[bytes.len() - 20..], [0u8; 20], "git wrote no hash");
    repo.ok(&["log", id, "with a hashless index"]);
    assert_eq!(repo.git(&["status", "--porcelain"]), "");
    assert_eq!(
        repo.git(&["write-tree"]),
        repo.git(&["rev-parse", "HEAD^{tree}"])
    );
    repo.git(&["config", "--unset", "index.skipHash"]);
    repo.git(&["read-tree", "HEAD"]);

    // One byte of another file's entry changed: the hash no longer matches.
    let mut bytes = std::fs::read(&index).unwrap();
    assert_ne!(bytes[bytes.len() - 20..], [0u8; 20], "git wrote a hash");
    bytes[12 + 8] ^= 0x01;
    std::fs::write(&index, &bytes).unwrap();
    let head = repo.git(&["rev-parse", "HEAD"]);
    let record = repo.read(id);
    let err = repo.fails(1, &["log", id, "with a damaged index"]);
    assert!(
        err.contains("the git index is damaged") && err.contains("git status"),
        "{err}"
    );
    assert_eq!(repo.git(&["rev-parse", "HEAD"]), head, "the branch is back");
    assert_eq!(repo.read(id), record, "the record is back");
    assert_eq!(
        std::fs::read(&index).unwrap(),
        bytes,
        "the index is as it was"
    );
    assert!(!repo.root.join(".git/index.lock").exists());
}

/// Commands that touch a few megabytes run on small pages (`incident::memory`, set first thing in
/// `main`), and a hook they run inherits the setting. What Rust's runtime mapped before `main` may
/// hold one huge page of the allocator's first arena at most (2 MB, or the 4 MB seen here): the
/// price of not reaching into glibc's start-up to save 0.8 ms.
#[cfg(all(target_os = "linux", target_env = "gnu"))]
#[test]
fn a_small_command_runs_on_small_pages_and_its_hooks_inherit_them() {
    let status = std::fs::read_to_string("/proc/self/status").unwrap();
    if !status.contains("THP_enabled:") {
        return; // a kernel before 6.x does not report it
    }
    let repo = Repo::example("acme", "2026-11-18T12:00:00Z");
    let id = "2026-11-18-api-elevated-errors";
    hook(
        &repo,
        "pre-commit",
        "#!/bin/sh\ngrep THP_enabled /proc/self/status >> .git/thp-seen\ngrep AnonHugePages /proc/$PPID/smaps_rollup >> .git/thp-seen\n",
    );
    repo.ok(&["log", id, "on small pages"]);
    let seen = std::fs::read_to_string(repo.root.join(".git/thp-seen")).unwrap();
    let seen: Vec<&str> = seen.split_whitespace().collect();
    assert_eq!(
        seen[..2],
        ["THP_enabled:", "0"],
        "the hook inherits small pages"
    );
    let huge_kb: u64 = seen[3].parse().unwrap();
    assert!(
        seen[2] == "AnonHugePages:" && huge_kb <= 4096,
        "incident itself: {seen:?}"
    );
}

/// `git commit` packs loose objects once git's estimate of them passes `gc.auto`; a change made by
/// `incident` now does the same (it started nothing, and every change left five loose objects for
/// good). With `gc.auto = 0` nothing is packed, as with git.
#[test]
fn changes_pack_loose_objects_when_git_would() {
    let repo = Repo::example("acme", "2026-11-18T12:00:00Z");
    let id = "2026-11-18-api-elevated-errors";
    // Two loose objects in `objects/17`, over the limit of one per folder that `gc.auto = 1` gives.
    repo.fill_objects_17(2);

    repo.git(&["config", "gc.auto", "0"]);
    repo.ok(&["log", id, "not packed"]);
    let first = repo.git(&["rev-parse", "HEAD"]).trim().to_string();
    std::thread::sleep(std::time::Duration::from_millis(500));
    assert!(repo.is_loose(&first), "gc.auto = 0: the commit stays loose");

    repo.git(&["config", "gc.auto", "1"]);
    repo.ok(&["log", id, "packed"]);
    let second = repo.git(&["rev-parse", "HEAD"]).trim().to_string();
    // git packs in the background, as after `git commit`.
    assert!(
        repo.wait_for_gc(|| !repo.is_loose(&first) && !repo.is_loose(&second)),
        "both commits were packed"
    );
    let fsck = repo.git_output(&["fsck", "--no-dangling"]);
    assert!(
        fsck.status.success(),
        "{}",
        String::from_utf8_lossy(&fsck.stderr)
    );
    assert!(repo.read(id).contains("packed"));
}

/// git's rule, to the object: `git gc --auto` is started only when `objects/17` holds more loose
/// objects than `gc.auto` spread over 256 folders (here 257 → 2), counting only object files. A
/// `git` earlier on the PATH records what `incident` starts.
#[test]
fn git_gc_is_started_only_past_gits_own_limit() {
    use std::os::unix::fs::PermissionsExt;
    let repo = Repo::example("acme", "2026-11-18T12:00:00Z");
    let id = "2026-11-18-api-elevated-errors";
    let real_git = std::process::Command::new("sh")
        .args(["-c", "command -v git"])
        .output()
        .unwrap();
    let real_git = String::from_utf8(real_git.stdout)
        .unwrap()
        .trim()
        .to_string();
    let bin = repo.home.path().join("fake-bin");
    std::fs::create_dir_all(&bin).unwrap();
    let calls = repo.home.path().join("git-calls");
    std::fs::write(
        bin.join("git"),
        format!(
            "#!/bin/sh\ncase \"$1\" in gc) echo \"$*\" >> '{}'; exit 0;; esac\nexec '{real_git}' \"$@\"\n",
            calls.display()
        ),
    )
    .unwrap();
    std::fs::set_permissions(bin.join("git"), std::fs::Permissions::from_mode(0o755)).unwrap();
    let path = format!("{}:{}", bin.display(), std::env::var("PATH").unwrap());
    let folder = repo.root.join(".git/objects/17");
    let objects = || {
        std::fs::read_dir(&folder)
            .map(|d| {
                d.filter(|e| e.as_ref().unwrap().file_name().len() == 38)
                    .count()
            })
            .unwrap_or(0)
    };
    repo.git(&["config", "gc.auto", "257"]);
    repo.fill_objects_17(2 - objects().min(2));
    // Not an object: a hex name of the wrong length.
    std::fs::write(folder.join("abc"), "").unwrap();

    let started = |text: &str| {
        let before = std::fs::read_to_string(&calls).unwrap_or_default();
        let out = repo
            .cmd()
            .env("PATH", &path)
            .args(["log", id, text])
            .output()
            .unwrap();
        assert!(
            out.status.success(),
            "{}",
            String::from_utf8_lossy(&out.stderr)
        );
        // git gc is started in the background and `log` does not wait for it: give it time to
        // write its call (it does within milliseconds; a gc that was not started never does).
        let deadline = std::time::Instant::now() + std::time::Duration::from_millis(500);
        loop {
            let after = std::fs::read_to_string(&calls).unwrap_or_default();
            if after.len() > before.len() || std::time::Instant::now() > deadline {
                break after[before.len()..].to_string();
            }
            std::thread::sleep(std::time::Duration::from_millis(10));
        }
    };
    let at_limit = started("at the limit");
    // The change's own five objects land in `objects/17` now and then: git's rule decides.
    assert_eq!(
        at_limit.is_empty(),
        objects() <= 2,
        "{at_limit:?}, {} objects",
        objects()
    );
    repo.fill_objects_17(1);
    let over = started("over the limit");
    assert_eq!(over, "gc --auto --quiet\n");
    repo.git(&["config", "maintenance.auto", "false"]);
    assert_eq!(
        started("maintenance on a schedule"),
        "",
        "maintenance.auto = false"
    );
}
