//! Errors a caller branches on: the command layer turns them into messages with hints.

use std::path::PathBuf;

#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    #[error("not inside an incident repo (no `.incident.yaml` in `{0}` or any parent folder)")]
    NotAnIncidentRepo(PathBuf),

    #[error("no incident matches `{query}`")]
    UnknownIncident {
        query: String,
        suggestions: Vec<String>,
    },

    #[error("`{query}` matches several incidents: {}", candidates.join(", "))]
    AmbiguousIncident {
        query: String,
        candidates: Vec<String>,
    },

    #[error("`{}`{}: {message}", path.display(), line.map(|l| format!(" line {l}")).unwrap_or_default())]
    Parse {
        path: PathBuf,
        line: Option<usize>,
        message: String,
    },

    #[error("`{}` holds `id: {id}`, but a record's id must equal its file name", path.display())]
    MisplacedRecord { path: PathBuf, id: String },

    #[error("could not serialise the record: {0}")]
    Serialize(String),
}

impl StoreError {
    /// A next step for the user, printed by `main` as `hint: ...`.
    pub fn hint(&self) -> Option<String> {
        match self {
            Self::NotAnIncidentRepo(_) => Some(
                "run `incident init` to create one here, or pass `-C DIR` to point at one".into(),
            ),
            Self::UnknownIncident { suggestions, .. } if !suggestions.is_empty() => Some(format!(
                "did you mean {}?",
                suggestions
                    .iter()
                    .map(|s| format!("`{s}`"))
                    .collect::<Vec<_>>()
                    .join(" or ")
            )),
            Self::UnknownIncident { .. } => Some("`incident list` shows every incident".into()),
            Self::AmbiguousIncident { .. } => Some("type more of the ID to pick one".into()),
            Self::Parse { .. } => Some(
                "fix the file by hand (no command rewrites a file it cannot read); `git diff` shows recent edits".into(),
            ),
            Self::MisplacedRecord { path, id } => Some(format!(
                "no command reads or writes it until they agree: set `id:` to the file name, or move the file (`git mv {} incidents/{}/{id}.yaml`) if that id is right and free",
                path.display(),
                id.get(..4).unwrap_or("YEAR")
            )),
            Self::Serialize(_) => None,
        }
    }
}
