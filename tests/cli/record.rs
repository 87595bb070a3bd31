//! What the record shows is what happened (issue 23): the words customers were told stay as they
//! were posted, whatever the record says later.

use crate::support::Repo;

#[test]
fn the_words_customers_were_told_never_change_afterwards() {
    let repo = Repo::new();
    let id = repo.declare(
        "Checkout down",
        &["--sev", "SEV2", "--commander", "alice", "--update"],
    );
    let record = repo.record(&id);
    let said = &record["updates"][0]["said"];
    let words = said["text"].as_str().unwrap().to_string();
    assert!(words.contains("checkout"), "{words}");
    assert_eq!(said["severity"], "SEV2");
    assert_eq!(said["components"]["checkout"], "partial_outage");

    // Later the record changes: another service, a worse severity.
    repo.ok(&["edit", &id, "--add-service", "payments"]);
    repo.ok(&["severity", &id, "SEV1", "--reason", "worse"]);
    repo.ok(&["resolve", &id, "--update"]);

    let pm = repo.ok(&["postmortem", &id]);
    assert!(
        pm.contains(&words),
        "the post-mortem quotes it word for word:\n{pm}"
    );
    repo.ok(&["publish", "--out", "site"]);
    let site = repo.root.join("site");
    let page = std::fs::read_to_string(site.join(format!("incidents/{id}.html"))).unwrap();
    assert!(page.contains(&words.replace('\'', "&#39;")), "{page}");
    let json: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(site.join("api/v2/incidents.json")).unwrap())
            .unwrap();
    let bodies: Vec<&str> = json["incidents"][0]["incident_updates"]
        .as_array()
        .unwrap()
        .iter()
        .map(|u| u["body"].as_str().unwrap())
        .collect();
    assert!(bodies.contains(&words.as_str()), "{bodies:?}");
    assert!(
        bodies
            .iter()
            .all(|b| !b.contains("payments") || b.contains("resolved")),
        "no earlier update speaks of the service added later: {bodies:?}"
    );
    let feed = std::fs::read_to_string(site.join("feed.atom")).unwrap();
    assert!(feed.contains(&words.replace('\'', "&#39;")), "{feed}");
    // A late delivery speaks of the severity of that moment, in those words.
    let config = std::fs::read_to_string(repo.root.join(".incident.yaml")).unwrap();
    repo.write(
        ".incident.yaml",
        &format!("{config}notify:\n  targets:\n  - id: ops-chat\n    kind: slack\n    url_env: TEST_CHAT_URL\n"),
    );
    repo.git(&["commit", "-qam", "a chat target"]);
    let out = repo
        .cmd()
        .env("TEST_CHAT_URL", "http://127.0.0.1:9/")
        .args(["--json", "notify", "--since", "1d", "--dry-run"])
        .output()
        .unwrap();
    let plan: serde_json::Value = serde_json::from_slice(&out.stdout)
        .unwrap_or_else(|_| panic!("{}", String::from_utf8_lossy(&out.stderr)));
    let first = record["updates"][0]["id"].as_str().unwrap();
    let late = plan["dry_run"]
        .as_array()
        .unwrap()
        .iter()
        .find(|n| n["event_id"] == first)
        .unwrap_or_else(|| panic!("{plan}"));
    let text = late["text"].as_str().unwrap();
    assert!(text.contains("SEV2") && !text.contains("SEV1"), "{text}");
    assert!(text.contains(&words), "{text}");
}
