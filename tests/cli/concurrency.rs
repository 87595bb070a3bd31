//! Many processes on one repo: the lock makes them queue, so every event and commit lands.

use crate::support::Repo;

#[test]
fn twenty_concurrent_log_commands_leave_twenty_events_and_commits() {
    let repo = Repo::new();
    let id = repo.declare("Checkout down", &[]);
    let before = repo.commit_count();
    let children: Vec<_> = (0..20)
        .map(|n| {
            repo.spawnable(&["log", &id, &format!("event number {n}")])
                .stdout(std::process::Stdio::null())
                .spawn()
                .unwrap()
        })
        .collect();
    for mut child in children {
        assert!(child.wait().unwrap().success());
    }
    assert_eq!(repo.commit_count(), before + 20);
    let rec = repo.record(&id);
    let timeline = rec["timeline"].as_array().unwrap();
    assert_eq!(timeline.len(), 21);
    for n in 0..20 {
        let text = format!("event number {n}");
        assert_eq!(
            timeline
                .iter()
                .filter(|e| e["text"] == text.as_str())
                .count(),
            1,
            "{text}"
        );
    }
    assert_eq!(repo.git(&["status", "--porcelain"]), "");
    let fsck = std::process::Command::new("git")
        .args(["fsck"])
        .current_dir(&repo.root)
        .output()
        .unwrap();
    assert!(fsck.status.success());
}

#[test]
fn concurrent_declares_of_the_same_title_get_distinct_ids() {
    let repo = Repo::new();
    let children: Vec<_> = (0..5)
        .map(|_| {
            repo.spawnable(&[
                "declare",
                "DNS failure",
                "--sev",
                "SEV2",
                "--service",
                "checkout",
            ])
            .stdout(std::process::Stdio::null())
            .spawn()
            .unwrap()
        })
        .collect();
    for mut child in children {
        assert!(child.wait().unwrap().success());
    }
    let list: serde_json::Value = serde_json::from_str(&repo.ok(&["--json", "list"])).unwrap();
    let mut ids: Vec<&str> = list
        .as_array()
        .unwrap()
        .iter()
        .map(|i| i["id"].as_str().unwrap())
        .collect();
    ids.sort();
    assert_eq!(
        ids,
        [
            "2026-11-25-dns-failure",
            "2026-11-25-dns-failure-2",
            "2026-11-25-dns-failure-3",
            "2026-11-25-dns-failure-4",
            "2026-11-25-dns-failure-5"
        ]
    );
}
