//! What the model refuses, typed so the command layer can tell a bad value (a usage error, exit 2)
//! from a change the lifecycle does not allow (exit 1).

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ModelError {
    /// A value a person gave (a flag, a name, a time) is not one the model accepts; the message
    /// names it and shows a valid one.
    #[error("{0}")]
    Invalid(String),
    /// The value is fine but the incident's state refuses the change (already resolved, no such
    /// action item, ...).
    #[error("{0}")]
    Refused(String),
}
