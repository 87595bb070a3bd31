//! One integration-test binary: every test runs the real `incident` binary on a real temporary git
//! repository, hermetically (own HOME and git config, pinned clock and author).

mod support;

mod cache;
mod changes;
mod comms;
mod concurrency;
mod core;
mod crash;
mod edit;
mod errors;
mod followthrough;
mod hostile;
mod notify;
mod oncall;
mod output;
mod pictures;
mod record;
mod runbooks;
mod scenario;
mod serve;
mod snapshots;
mod statuspage;
mod sync;
mod terminal;
mod transaction;
mod watch;
