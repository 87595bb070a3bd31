//! Runbooks: which there are, what one says, a new one to write, and (for `check`) which are
//! broken or can never apply.

use crate::model::runbook::Runbook;
use crate::model::{Config, Finding, IncidentKind, Level, Rule, Severity, slugify};
use crate::store::{RunbookFile, Store};
use anyhow::{Result, bail};

/// The runbooks `init` starts a repo with, from the practice: what a SEV1 and a SEV2 response, a
/// security incident, a data loss, a bad deploy and the review after ask for.
pub const SEEDED: [(&str, &str); 6] = [
    (
        "runbooks/sev1-response.md",
        include_str!("../../templates/runbooks/sev1-response.md"),
    ),
    (
        "runbooks/sev2-response.md",
        include_str!("../../templates/runbooks/sev2-response.md"),
    ),
    (
        "runbooks/security-incident.md",
        include_str!("../../templates/runbooks/security-incident.md"),
    ),
    (
        "runbooks/data-loss-restore.md",
        include_str!("../../templates/runbooks/data-loss-restore.md"),
    ),
    (
        "runbooks/rollback-bad-deploy.md",
        include_str!("../../templates/runbooks/rollback-bad-deploy.md"),
    ),
    (
        "runbooks/post-incident-review.md",
        include_str!("../../templates/runbooks/post-incident-review.md"),
    ),
];

/// Every runbook file of the repo, read or not.
pub fn list(store: &Store) -> Result<Vec<RunbookFile>> {
    store.runbooks()
}

/// The runbook `query` names (path, file name or a unique part of it).
pub fn show(store: &Store, query: &str) -> Result<RunbookFile> {
    store.runbook(query)
}

/// What a new runbook applies to.
#[derive(Debug, Clone, Default)]
pub struct NewRunbook {
    pub title: String,
    pub severities: Vec<Severity>,
    pub kinds: Vec<IncidentKind>,
    pub services: Vec<String>,
}

/// Writes a new runbook to fill in (`runbooks/<slug>.md`): the header it applies by and a
/// checklist to edit. Never replaces a file; returns the path. Runbooks are the team's documents,
/// reviewed like code: the file is left for its author to commit or propose.
pub fn create(store: &Store, input: &NewRunbook) -> Result<std::path::PathBuf> {
    let title = input.title.trim();
    crate::model::check_line("the runbook's title", title)?;
    if title.is_empty() {
        bail!("the runbook's title is empty: say what it is for (`Rollback of a bad deploy`)");
    }
    super::check_services(store.config(), &input.services)?;
    let path = store.runbook_path(&slugify(title));
    if path.exists() {
        bail!(
            "`{}` exists already; edit it, or pick another title",
            path.display()
        );
    }
    let list = |items: Vec<String>| format!("[{}]", items.join(", "));
    let mut when = String::new();
    if !input.severities.is_empty() {
        when.push_str(&format!(
            "  severity: {}\n",
            list(input.severities.iter().map(|s| s.to_string()).collect())
        ));
    }
    if !input.kinds.is_empty() {
        when.push_str(&format!(
            "  kind: {}\n",
            list(input.kinds.iter().map(|k| k.to_string()).collect())
        ));
    }
    if !input.services.is_empty() {
        when.push_str(&format!("  service: {}\n", list(input.services.clone())));
    }
    let header = if when.is_empty() {
        format!("---\ntitle: {title}\n---\n")
    } else {
        format!("---\ntitle: {title}\nwhen:\n{when}---\n")
    };
    let text = format!(
        "{header}# {title}\n\nWhat this runbook is for, and when to stop following it.\n\n- [ ] The first thing to do\n  - role: commander\n  - within: 5m of declaration\n- [ ] The next step\n  - within: 15m of detection\n  - run: `the command to run`\n  - link: https://wiki.example.com/the-page-with-details\n"
    );
    // What this writes must read back as a runbook.
    Runbook::parse(&path.display().to_string(), &text)?;
    if let Some(dir) = path.parent() {
        std::fs::create_dir_all(dir)?;
    }
    crate::store::write_atomically(&path, text.as_bytes())?;
    Ok(path)
}

/// What `check` says of the runbooks: one that does not read is an error (the next incident would
/// get no checklist from it); one that can never apply is a warning.
pub fn findings(store: &Store) -> Result<Vec<Finding>> {
    let mut out = Vec::new();
    for file in store.runbooks()? {
        match &file.runbook {
            Err(e) => out.push(Finding {
                rule: Rule::RunbookUnreadable,
                level: Level::Error,
                file: file.path.clone(),
                field: format!("line {}", e.line),
                problem: e.message.clone(),
                fix: "fix the runbook; see docs/runbooks.md for the format".into(),
            }),
            Ok(r) => out.extend(never_applies(r, store.config())),
        }
    }
    Ok(out)
}

/// A runbook whose services are all unknown to the catalog applies to no incident a command can
/// declare.
fn never_applies(r: &Runbook, config: &Config) -> Option<Finding> {
    if config.services.is_empty() || r.when.service.is_empty() {
        return None;
    }
    let unknown: Vec<&str> = r
        .when
        .service
        .iter()
        .filter(|s| config.service(s).is_none())
        .map(String::as_str)
        .collect();
    (unknown.len() == r.when.service.len()).then(|| Finding {
        rule: Rule::RunbookNeverApplies,
        level: Level::Warning,
        file: r.path.clone(),
        field: "when.service".into(),
        problem: format!(
            "names only services the catalog of .incident.yaml does not have ({}): it can never apply",
            unknown.join(", ")
        ),
        fix: "use service IDs from `services:` in .incident.yaml".into(),
    })
}

#[cfg(test)]
mod tests {
    /// Every runbook `init` seeds reads, and applies to something.
    #[test]
    fn the_seeded_runbooks_read() {
        for (path, text) in super::SEEDED {
            let r =
                crate::model::runbook::Runbook::parse(path, text).unwrap_or_else(|e| panic!("{e}"));
            assert!(r.steps.len() >= 4, "{path}");
            assert!(r.when != Default::default(), "{path} applies to everything");
        }
    }
}
