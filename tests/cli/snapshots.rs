//! Snapshots of every built-in template over every incident in `examples/acme`, rendered by the real
//! binary (git-cliff style: one loop over the fixture). Review changes with `cargo insta review`.

use crate::support::Repo;

const NOW: &str = "2026-11-18T12:00:00Z";

fn example_ids() -> Vec<String> {
    let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("examples/acme/incidents/2026");
    let mut ids: Vec<String> = std::fs::read_dir(dir)
        .unwrap()
        .map(|e| {
            e.unwrap()
                .file_name()
                .to_string_lossy()
                .trim_end_matches(".yaml")
                .to_string()
        })
        .collect();
    ids.sort();
    ids
}

#[test]
fn every_postmortem_template_over_every_example() {
    let repo = Repo::example("acme", NOW);
    for id in example_ids() {
        for template in ["postmortem", "postmortem-short", "postmortem-pagerduty"] {
            let text = repo.ok(&["postmortem", &id, "--template", template]);
            insta::assert_snapshot!(format!("{template}__{id}"), text);
        }
    }
}

#[test]
fn every_update_channel_over_every_example_with_updates() {
    let repo = Repo::example("acme", NOW);
    for id in example_ids() {
        if !repo.read(&id).contains("\nupdates:\n") {
            continue;
        }
        for channel in ["status-page", "email", "in-app", "chat"] {
            let text = repo.ok(&["render", &id, "--channel", channel]);
            insta::assert_snapshot!(format!("update-{channel}__{id}"), text);
        }
    }
}

#[test]
fn every_published_file_of_the_example() {
    let repo = Repo::example("acme", NOW);
    repo.ok(&["publish", "--out", "site"]);
    for file in crate::comms::PUBLISHED {
        let text = std::fs::read_to_string(repo.root.join("site").join(file)).unwrap();
        insta::assert_snapshot!(format!("publish__{}", file.replace('/', "_")), text);
    }
}
