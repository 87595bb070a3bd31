//! What readers need from each record, kept under `.git/incident-cache/` so `list`, `stats`, `due`
//! and `publish` parse only the records that changed since the last run.
//!
//! One file per reader type (`summary.bin` for `list` and completions, `metrics.bin` for `stats`
//! and `due`, `public.bin` for `publish`): a header line `incident-cache 2 <crc32> <length>` and a
//! packed body ([`super::pack`]) with the binary's version, the reader type, the folder, a key of
//! the policy the values were worked out under, and one entry per record, sorted by ID. Each entry
//! holds a record's value and the file's stat data at the time (size, mtime, ctime, inode), the way
//! git's index decides a file is unchanged without reading it. ctime cannot be set back by any
//! program, so a rewritten file always misses.
//!
//! The cache never changes an answer: a file that is damaged, truncated, from another version of
//! `incident`, for another folder or another policy fails its header, checksum or preamble and is
//! ignored (and rewritten); an entry whose stat data differs, or whose value does not decode, is
//! re-read; files changed in the second before a run are not stored, so a coarse file-system clock
//! cannot hide an edit made within the same tick. Records that do not parse are never cached, so
//! their errors read the same every time. Figures that still depend on the clock (an active
//! incident's deadlines) are worked out again on every run. The file is replaced atomically, so
//! concurrent commands each see a whole cache, old or new. `INCIDENT_NO_CACHE=1` turns it off. It
//! lives inside `.git`, so git never shows or shares it.
//!
//! The smaller JSON files beside it (`history.json`, `notify-state.json`) use [`read_checked`] and
//! [`write_checked`]: a SHA-1 header over a JSON body.

use super::pack::{Packer, Unpacker, index_of};
use super::summary_view::{Packed, SummaryRows, SummaryView};
use super::{Record, Store, StoreError};
use crate::metrics::{ActionFact, Deadline, DeadlineKind, DeadlineState, MetricRecord};
use crate::model::{
    ActionState, ClockFacts, Config, Finding, Incident, IncidentKind, IncidentSummary, Level,
    PublicView, Rule, Severity, Status, check_record,
};
use chrono::{DateTime, Utc};
use serde::Serialize;
use serde::de::DeserializeOwned;
use sha1::{Digest, Sha1};
use std::fs;
use std::path::{Path, PathBuf};

/// Bumped whenever the JSON caches' layout changes, or what a record may hold does (3: names that
/// become paths are checked while parsing): an older file is then simply ignored.
const FORMAT: u32 = 2;
/// The same for the binary record caches (4: findings carry their rule).
const RECORD_FORMAT: u32 = 4;

/// A reader type whose records may be cached: it names its file, says which record type it is
/// read from, and how it is packed.
pub trait Cached: Record + Send + Sync + Sized {
    const NAME: &'static str;
    /// What is parsed from the YAML when the cache misses.
    type Source: DeserializeOwned + Record;
    /// The value kept for a record (a projection of what was parsed, with the policy at hand).
    fn from_source(source: Self::Source, config: &Config) -> Self;
    /// What of the policy the values depend on: a cache written under another policy is ignored.
    fn config_key(_config: &Config) -> u32 {
        0
    }
    fn pack(&self, p: &mut Packer);
    fn unpack(u: &mut Unpacker) -> Option<Self>;
}

impl Cached for IncidentSummary {
    const NAME: &'static str = "summary";
    type Source = IncidentSummary;

    fn from_source(source: IncidentSummary, _config: &Config) -> Self {
        source
    }

    fn pack(&self, p: &mut Packer) {
        p.str(&self.id);
        p.str(&self.title);
        p.u8(index_of(&IncidentKind::ALL, &self.kind));
        p.u8(index_of(&Severity::ALL, &self.severity));
        p.u8(index_of(&Status::ALL, &self.status));
        p.bool(self.drill);
        p.strs(self.services.iter().map(String::as_str));
        p.len(self.roles.len());
        for (role, who) in self.roles.iter() {
            p.str(role);
            p.str(who);
        }
        for t in [
            self.times.started_at,
            self.times.detected_at,
            self.times.acknowledged_at,
            self.times.mitigated_at,
            self.times.resolved_at,
        ] {
            p.opt_time(t);
        }
    }

    fn unpack(u: &mut Unpacker) -> Option<Self> {
        SummaryView::read(u).map(|view| view.to_summary())
    }
}

/// The severity and status of a packed summary, read without unpacking it (see
/// [`Store::load_all_cached_where`]).
pub fn summary_state(packed: &[u8]) -> Option<(Severity, Status)> {
    let mut u = Unpacker::new(packed);
    u.skip_str()?;
    u.skip_str()?;
    u.u8()?;
    Some((u.pick(&Severity::ALL)?, u.pick(&Status::ALL)?))
}

/// The status of a packed [`MetricFacts`], read without unpacking it.
pub fn metric_status(packed: &[u8]) -> Option<Status> {
    let mut u = Unpacker::new(packed);
    u.skip_str()?;
    u.u8()?;
    for _ in 0..u.len()? {
        u.skip_str()?;
    }
    u.bool()?;
    u.pick(&Status::ALL)
}

/// The status page's view keeps its JSON form: it holds free-form fields a packer would have to
/// mirror, and `publish` reads only the incidents of its window.
impl Cached for PublicView {
    const NAME: &'static str = "public";
    type Source = PublicView;

    fn from_source(source: PublicView, _config: &Config) -> Self {
        source
    }

    fn pack(&self, p: &mut Packer) {
        let json = serde_json::to_vec(self).unwrap_or_default();
        p.len(json.len());
        p.bytes.extend_from_slice(&json);
    }

    fn unpack(u: &mut Unpacker) -> Option<Self> {
        let n = u.len()?;
        serde_json::from_slice(u.take(n)?).ok()
    }
}

impl Record for crate::model::search::SearchDoc {
    fn record_id(&self) -> &str {
        &self.id
    }
}

impl Cached for crate::model::search::SearchDoc {
    const NAME: &'static str = "search";
    type Source = Incident;

    fn from_source(source: Incident, _config: &Config) -> Self {
        crate::model::search::SearchDoc::of(&source)
    }

    fn pack(&self, p: &mut Packer) {
        use crate::model::search::SearchField;
        p.str(&self.id);
        p.str(&self.title);
        p.u8(index_of(&IncidentKind::ALL, &self.kind));
        p.bool(self.drill);
        p.strs(self.services.iter().map(String::as_str));
        p.opt_time(self.opened_at);
        p.len(self.fields.len());
        for (field, text) in &self.fields {
            p.u8(index_of(&SearchField::ALL, field));
            p.str(text);
        }
    }

    fn unpack(u: &mut Unpacker) -> Option<Self> {
        use crate::model::search::SearchField;
        let id = u.string()?;
        let title = u.string()?;
        let kind = u.pick(&IncidentKind::ALL)?;
        let drill = u.bool()?;
        let services = u.strings()?;
        let opened_at = u.opt_time()?;
        let n = u.len()?;
        let mut fields = Vec::with_capacity(n.min(256));
        for _ in 0..n {
            fields.push((u.pick(&SearchField::ALL)?, u.string()?));
        }
        Some(crate::model::search::SearchDoc {
            id,
            title,
            kind,
            services,
            drill,
            opened_at,
            fields,
        })
    }
}

/// The figures of one incident for `stats` (and which incidents are active, for `due`), and from
/// when they hold regardless of the clock. Records without that moment (active incidents, or
/// deadlines that still depend on the time) are read again whenever they are needed.
#[derive(Debug, Clone)]
pub struct MetricFacts {
    pub record: MetricRecord,
    pub settled_from: Option<DateTime<Utc>>,
}

impl Record for MetricFacts {
    fn record_id(&self) -> &str {
        &self.record.id
    }
}

const DEADLINE_KINDS: [DeadlineKind; 6] = [
    DeadlineKind::StatusPage,
    DeadlineKind::Coordination,
    DeadlineKind::Customers,
    DeadlineKind::Executives,
    DeadlineKind::NextUpdate,
    DeadlineKind::Audience,
];
const DEADLINE_STATES: [DeadlineState; 5] = [
    DeadlineState::Kept,
    DeadlineState::Late,
    DeadlineState::Overdue,
    DeadlineState::Pending,
    DeadlineState::NotApplicable,
];
const ACTION_STATES: [ActionState; 3] =
    [ActionState::Open, ActionState::Done, ActionState::Dropped];

impl Cached for MetricFacts {
    const NAME: &'static str = "metrics";
    type Source = Incident;

    fn from_source(incident: Incident, config: &Config) -> Self {
        let settled_from = MetricRecord::settled_from(&incident, config);
        let mut record = MetricRecord::of(&incident, config, settled_from.unwrap_or_default());
        if settled_from.is_none() {
            record.deadlines.clear();
        }
        MetricFacts {
            record,
            settled_from,
        }
    }

    /// Deadlines follow the policy: a cache worked out under another one is ignored.
    fn config_key(config: &Config) -> u32 {
        crc32fast::hash(&serde_json::to_vec(config).unwrap_or_default())
    }

    fn pack(&self, p: &mut Packer) {
        let r = &self.record;
        p.str(&r.id);
        p.u8(index_of(&IncidentKind::ALL, &r.kind));
        p.strs(r.services.iter().map(String::as_str));
        p.bool(r.drill);
        p.u8(index_of(&Status::ALL, &r.status));
        p.u8(index_of(&Severity::ALL, &r.peak_severity));
        p.bool(r.reopened);
        for t in [
            r.times.started_at,
            r.times.detected_at,
            r.times.acknowledged_at,
            r.times.mitigated_at,
            r.times.resolved_at,
            self.settled_from,
        ] {
            p.opt_time(t);
        }
        p.len(r.actions.len());
        for a in &r.actions {
            p.u8(index_of(&ACTION_STATES, &a.state));
            p.time(a.created_at);
            p.opt_time(a.closed_at);
            p.opt_date(a.due);
        }
        p.len(r.deadlines.len());
        for d in &r.deadlines {
            p.u8(index_of(&DEADLINE_KINDS, &d.kind));
            p.opt_str(d.audience.as_deref());
            p.time(d.due_at);
            p.opt_time(d.met_at);
            p.u8(index_of(&DEADLINE_STATES, &d.state));
        }
    }

    fn unpack(u: &mut Unpacker) -> Option<Self> {
        let id = u.string()?;
        let kind = u.pick(&IncidentKind::ALL)?;
        let services = u.strings()?;
        let drill = u.bool()?;
        let status = u.pick(&Status::ALL)?;
        let peak_severity = u.pick(&Severity::ALL)?;
        let reopened = u.bool()?;
        let mut times = [None; 6];
        for t in &mut times {
            *t = u.opt_time()?;
        }
        let n = u.len()?;
        let mut actions = Vec::with_capacity(n.min(64));
        for _ in 0..n {
            actions.push(ActionFact {
                state: u.pick(&ACTION_STATES)?,
                created_at: u.time()?,
                closed_at: u.opt_time()?,
                due: u.opt_date()?,
            });
        }
        let n = u.len()?;
        let mut deadlines = Vec::with_capacity(n.min(64));
        for _ in 0..n {
            deadlines.push(Deadline {
                kind: u.pick(&DEADLINE_KINDS)?,
                audience: u.opt_string()?,
                due_at: u.time()?,
                met_at: u.opt_time()?,
                state: u.pick(&DEADLINE_STATES)?,
            });
        }
        let [
            started_at,
            detected_at,
            acknowledged_at,
            mitigated_at,
            resolved_at,
            settled_from,
        ] = times;
        Some(MetricFacts {
            record: MetricRecord {
                id,
                kind,
                services,
                drill,
                status,
                peak_severity,
                reopened,
                times: crate::model::Lifecycle {
                    started_at,
                    detected_at,
                    acknowledged_at,
                    mitigated_at,
                    resolved_at,
                },
                actions,
                deadlines,
                paged_at: None,
            },
            settled_from,
        })
    }
}

/// What `check` keeps of a record: the findings of the rules that read only the record and the
/// policy, and what the rules reading the clock need.
#[derive(Debug, Clone)]
pub struct CheckFacts {
    pub findings: Vec<Finding>,
    pub clock: ClockFacts,
}

impl Record for CheckFacts {
    fn record_id(&self) -> &str {
        &self.clock.id
    }
}

const LEVELS: [Level; 2] = [Level::Error, Level::Warning];

impl Cached for CheckFacts {
    const NAME: &'static str = "check";
    type Source = Incident;

    fn from_source(mut incident: Incident, config: &Config) -> Self {
        // As `Store::load_all` reads records for `check`: entries written without IDs get theirs.
        incident.fill_entry_ids();
        let file = super::relative_record_path(&incident.id)
            .display()
            .to_string();
        CheckFacts {
            findings: check_record(&incident, config, &file, &incident.id),
            clock: ClockFacts::of(&incident),
        }
    }

    /// Findings name the policy's services, people and requirements.
    fn config_key(config: &Config) -> u32 {
        MetricFacts::config_key(config)
    }

    fn pack(&self, p: &mut Packer) {
        p.len(self.findings.len());
        for f in &self.findings {
            p.u8(index_of(&Rule::ALL, &f.rule));
            p.u8(index_of(&LEVELS, &f.level));
            p.str(&f.file);
            p.str(&f.field);
            p.str(&f.problem);
            p.str(&f.fix);
        }
        let c = &self.clock;
        p.str(&c.id);
        p.bool(c.active);
        p.bool(c.resolved);
        p.bool(c.drill);
        p.opt_time(c.resolved_at);
        p.u8(index_of(&Severity::ALL, &c.peak_severity));
        p.opt_time(c.last_event_at);
        p.len(c.dated_actions.len());
        for (number, title, owner, due) in &c.dated_actions {
            p.u32(*number);
            p.str(title);
            p.str(owner);
            p.opt_date(Some(*due));
        }
        p.bool(c.postmortem_empty);
        p.bool(c.postmortem_draft);
    }

    fn unpack(u: &mut Unpacker) -> Option<Self> {
        let n = u.len()?;
        let mut findings = Vec::with_capacity(n.min(64));
        for _ in 0..n {
            findings.push(Finding {
                rule: u.pick(&Rule::ALL)?,
                level: u.pick(&LEVELS)?,
                file: u.string()?,
                field: u.string()?,
                problem: u.string()?,
                fix: u.string()?,
            });
        }
        let id = u.string()?;
        let active = u.bool()?;
        let resolved = u.bool()?;
        let drill = u.bool()?;
        let resolved_at = u.opt_time()?;
        let peak_severity = u.pick(&Severity::ALL)?;
        let last_event_at = u.opt_time()?;
        let n = u.len()?;
        let mut dated_actions = Vec::with_capacity(n.min(64));
        for _ in 0..n {
            dated_actions.push((u.u32()?, u.string()?, u.string()?, u.opt_date()??));
        }
        Some(CheckFacts {
            findings,
            clock: ClockFacts {
                id,
                active,
                resolved,
                drill,
                resolved_at,
                peak_severity,
                last_event_at,
                dated_actions,
                postmortem_empty: u.bool()?,
                postmortem_draft: u.bool()?,
            },
        })
    }
}

/// What identifies one version of a file without reading it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
struct Stamp {
    size: u64,
    mtime: i64,
    mtime_ns: i64,
    ctime: i64,
    ctime_ns: i64,
    ino: u64,
}

impl Stamp {
    fn nanos(secs: i64, nanos: i64) -> i128 {
        i128::from(secs) * 1_000_000_000 + i128::from(nanos)
    }

    /// Whether the file was last changed before `instant` (nanoseconds since the epoch).
    fn settled_before(&self, instant: i128) -> bool {
        Stamp::nanos(self.ctime, self.ctime_ns) < instant
            && Stamp::nanos(self.mtime, self.mtime_ns) < instant
    }

    // `stat`'s field types differ between platforms; on some these casts are no-ops.
    #[allow(clippy::unnecessary_cast)]
    fn of(st: &rustix::fs::Stat) -> Stamp {
        Stamp {
            size: st.st_size as u64,
            mtime: st.st_mtime as i64,
            mtime_ns: st.st_mtime_nsec as i64,
            ctime: st.st_ctime as i64,
            ctime_ns: st.st_ctime_nsec as i64,
            ino: st.st_ino as u64,
        }
    }

    fn pack(&self, p: &mut Packer) {
        p.u64(self.size);
        p.i64(self.mtime);
        p.i64(self.mtime_ns);
        p.i64(self.ctime);
        p.i64(self.ctime_ns);
        p.u64(self.ino);
    }

    fn unpack(u: &mut Unpacker) -> Option<Stamp> {
        Some(Stamp {
            size: u.u64()?,
            mtime: u.i64()?,
            mtime_ns: u.i64()?,
            ctime: u.i64()?,
            ctime_ns: u.i64()?,
            ino: u.u64()?,
        })
    }
}

/// The IDs under `dir` (`incidents/`), sorted, as [`super::ids_in_year_folders`] lists them, with
/// each folder read only when its own stat data changed: adding, removing or renaming a file
/// changes its folder's mtime and ctime, so an unchanged folder lists what it listed before (git's
/// untracked cache rests on the same rule). Kept in `listing.bin`, checked like the record caches.
pub(super) fn listed_ids(git_dir: &Path, dir: &Path) -> anyhow::Result<Vec<String>> {
    use anyhow::Context as _;
    let stamp_of = |path: &Path| -> std::io::Result<Stamp> {
        Ok(Stamp::of(
            &rustix::fs::stat(path).map_err(std::io::Error::from)?,
        ))
    };
    let top = match stamp_of(dir) {
        Ok(s) => s,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(Vec::new()),
        Err(e) => return Err(e).with_context(|| format!("cannot list `{}`", dir.display())),
    };
    let trusted_before = trusted_before();
    let path = record_cache_path(git_dir, "listing");
    let bytes = map(&path);
    let cached = read_listing(bytes.as_deref().unwrap_or_default(), dir).unwrap_or_default();
    let folders: Vec<String> = match &cached {
        Some((stamp, folders)) if *stamp == top => {
            folders.iter().map(|(n, _, _)| n.to_string()).collect()
        }
        _ => {
            let mut names = Vec::new();
            for entry in
                fs::read_dir(dir).with_context(|| format!("cannot list `{}`", dir.display()))?
            {
                let entry = entry?;
                if entry.file_type()?.is_dir() {
                    names.push(entry.file_name().to_string_lossy().into_owned());
                }
            }
            names.sort();
            names
        }
    };
    let mut changed = cached.as_ref().is_none_or(|(stamp, _)| *stamp != top);
    let mut listing: Vec<(String, Option<Stamp>, Vec<String>)> = Vec::with_capacity(folders.len());
    for name in folders {
        let folder = dir.join(&name);
        let stamp = stamp_of(&folder).ok();
        let known = cached.as_ref().and_then(|(_, list)| {
            list.iter()
                .find(|(n, s, _)| *n == name && Some(*s) == stamp)
                .map(|(_, _, ids)| ids.iter().map(|id| id.to_string()).collect::<Vec<String>>())
        });
        let ids = match known {
            Some(ids) => ids,
            None => {
                changed = true;
                super::ids_in_folder(&folder)?
            }
        };
        listing.push((name, stamp, ids));
    }
    // Kept only whole and settled: a folder left out would be missed while the top folder holds.
    let settled = |s: &Option<Stamp>| s.is_some_and(|s| s.settled_before(trusted_before));
    if changed && settled(&Some(top)) && listing.iter().all(|(_, s, _)| settled(s)) {
        write_listing(&path, dir, top, &listing);
    }
    let mut ids: Vec<String> = listing.into_iter().flat_map(|(_, _, ids)| ids).collect();
    ids.sort();
    Ok(ids)
}

type Listing<'a> = (Stamp, Vec<(&'a str, Stamp, Vec<&'a str>)>);

fn read_listing<'a>(bytes: &'a [u8], dir: &Path) -> Option<Option<Listing<'a>>> {
    let mut u = checked_body(bytes)?;
    if u.str()? != env!("CARGO_PKG_VERSION") || u.str()? != "listing" || u.str()? != dir.to_str()? {
        return None;
    }
    let top = Stamp::unpack(&mut u)?;
    let mut folders = Vec::new();
    for _ in 0..u.len()? {
        let name = u.str()?;
        let stamp = Stamp::unpack(&mut u)?;
        let n = u.len()?;
        let mut ids = Vec::with_capacity(n.min(u.remaining() / 4));
        for _ in 0..n {
            ids.push(u.str()?);
        }
        folders.push((name, stamp, ids));
    }
    u.is_empty().then_some(Some((top, folders)))
}

fn write_listing(
    path: &Path,
    dir: &Path,
    top: Stamp,
    listing: &[(String, Option<Stamp>, Vec<String>)],
) {
    let Some(dir) = dir.to_str() else { return };
    let kept: Vec<_> = listing
        .iter()
        .filter_map(|(n, s, ids)| Some((n, (*s)?, ids)))
        .collect();
    let mut p = Packer::default();
    p.str(env!("CARGO_PKG_VERSION"));
    p.str("listing");
    p.str(dir);
    top.pack(&mut p);
    p.len(kept.len());
    for (name, stamp, ids) in kept {
        p.str(name);
        stamp.pack(&mut p);
        p.strs(ids.iter().map(String::as_str));
    }
    write_body(path, p.bytes);
}

/// Entries changed within a second of now are not stored: file-system clocks tick in milliseconds
/// (or worse), and an edit in the same tick as our stat would keep its stamp.
fn trusted_before() -> i128 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| d.as_nanos() as i128)
        - 1_000_000_000
}

/// Which packed values a reader wants unpacked.
pub type Want<'a> = &'a (dyn Fn(&[u8]) -> bool + Sync);

/// What became of one record's cache entry.
enum Slot<T> {
    Value(T),
    /// Valid, but its packed form was not wanted: never unpacked.
    Unwanted,
    /// No valid entry: the record is parsed.
    Miss,
}

/// One cached record, its value still packed: only the values a command uses are unpacked.
struct Entry<'a> {
    id: &'a str,
    stamp: Stamp,
    value: &'a [u8],
}

/// The stat data of each record's file, on all cores, each year folder opened once so the kernel
/// resolves one name per file rather than the whole path.
fn stamps_of(root: &Path, ids: &[String]) -> Vec<Option<Stamp>> {
    use rustix::fs::{AtFlags, Mode, OFlags};
    // Sorted IDs of one year share their folder: a short list, looked up by name.
    let mut folders: Vec<(&str, Option<rustix::fd::OwnedFd>)> = Vec::new();
    for id in ids {
        let year = super::year_folder(id);
        if folders.iter().all(|(y, _)| *y != year) {
            let flags = OFlags::DIRECTORY | OFlags::RDONLY | OFlags::CLOEXEC;
            let dir = root.join(super::INCIDENTS_DIR).join(year);
            folders.push((year, rustix::fs::open(dir, flags, Mode::empty()).ok()));
        }
    }
    let folders = &folders;
    super::par_map_ids(ids, |id| {
        let year = super::year_folder(id);
        let (_, dir) = folders.iter().find(|(y, _)| *y == year)?;
        // `<id>.yaml` and its terminating NUL, without an allocation per record.
        let mut name = [0u8; 256];
        let len = id.len() + ".yaml".len();
        if len >= name.len() {
            return None;
        }
        name[..id.len()].copy_from_slice(id.as_bytes());
        name[id.len()..len].copy_from_slice(b".yaml");
        let name = std::ffi::CStr::from_bytes_with_nul(&name[..=len]).ok()?;
        let st = rustix::fs::statat(dir.as_ref()?, name, AtFlags::empty()).ok()?;
        Some(Stamp::of(&st))
    })
}

/// The file's entries, sorted by ID, when its header, checksum, version, kind, folder and policy
/// key all hold; else nothing (and the cache is rebuilt).
fn read_entries<'a, T: Cached>(
    bytes: &'a [u8],
    root: &Path,
    config_key: u32,
) -> Option<Vec<Entry<'a>>> {
    let mut u = checked_body(bytes)?;
    let body_len = u.remaining();
    if u.str()? != env!("CARGO_PKG_VERSION")
        || u.str()? != T::NAME
        || u.str()? != root.to_str()?
        || u.u32()? != config_key
    {
        return None;
    }
    let count = u.len()?;
    let mut entries = Vec::with_capacity(count.min(body_len / 60));
    for _ in 0..count {
        let id = u.str()?;
        let stamp = Stamp::unpack(&mut u)?;
        let n = u.len()?;
        entries.push(Entry {
            id,
            stamp,
            value: u.take(n)?,
        });
    }
    let sorted = entries.windows(2).all(|w| w[0].id < w[1].id);
    (u.is_empty() && sorted).then_some(entries)
}

/// Packs entries (in ID order) into the body [`read_entries`] reads, then replaces the file with
/// it atomically. A cache that cannot be written only costs time on the next run.
struct EntryWriter {
    p: Packer,
    /// How many entries are expected: the body is sized from the first one, not grown by
    /// doubling (at 100,000 records a doubling left 16 MB beside 32 MB at the peak).
    expected: usize,
    count_at: usize,
    count: u32,
    /// The folder is not UTF-8: no cache is written for it.
    unusable: bool,
}

impl EntryWriter {
    fn new(kind: &str, root: &Path, config_key: u32, expected: usize) -> EntryWriter {
        let mut p = Packer::default();
        p.str(env!("CARGO_PKG_VERSION"));
        p.str(kind);
        p.str(root.to_str().unwrap_or_default());
        p.u32(config_key);
        let count_at = p.bytes.len();
        p.u32(0);
        EntryWriter {
            p,
            expected,
            count_at,
            count: 0,
            unusable: root.to_str().is_none(),
        }
    }

    fn push(&mut self, id: &str, stamp: &Stamp, value: &[u8]) {
        if self.count == 0 {
            // The ID, the value and the stamp (48 bytes); the two lengths fit in the quarter spare.
            let first = id.len() + value.len() + 48;
            self.p.bytes.reserve(sized_for(first, self.expected));
        }
        self.p.str(id);
        stamp.pack(&mut self.p);
        self.p.len(value.len());
        self.p.bytes.extend_from_slice(value);
        self.count += 1;
    }

    fn finish(mut self, path: &Path) {
        if self.unusable {
            return;
        }
        let at = self.count_at;
        self.p.bytes[at..at + 4].copy_from_slice(&self.count.to_le_bytes());
        write_body(path, self.p.bytes);
        // What an earlier version kept as JSON under the same name.
        let _ = fs::remove_file(path.with_extension("json"));
    }
}

/// Room for `count` values about as large as the first (`first` bytes), with a quarter to spare:
/// pages reserved but never written cost no memory.
fn sized_for(first: usize, count: usize) -> usize {
    first
        .saturating_mul(count)
        .saturating_add(first.saturating_mul(count) / 4)
}

/// The body after a header that matches it (format, CRC-32 and length), else nothing.
fn checked_body(bytes: &[u8]) -> Option<Unpacker<'_>> {
    let newline = bytes.iter().position(|b| *b == b'\n')?;
    let (header, body) = (&bytes[..newline], &bytes[newline + 1..]);
    let expected = format!(
        "incident-cache {RECORD_FORMAT} {:08x} {}",
        crc32fast::hash(body),
        body.len()
    );
    (header == expected.as_bytes()).then(|| Unpacker::new(body))
}

/// Writes `body` under the header [`checked_body`] verifies, replacing the file atomically. A
/// cache that cannot be written only costs time on the next run.
fn write_body(path: &Path, body: Vec<u8>) {
    let header = format!(
        "incident-cache {RECORD_FORMAT} {:08x} {}\n",
        crc32fast::hash(&body),
        body.len()
    );
    // Header and body written one after the other: joined, they were a second copy of the body
    // at the moment the first run after a clone peaks (28 MB at 100,000 records).
    let _ = super::replace_file_parts(path, &[header.as_bytes(), &body]);
}

fn unpack_value<T: Cached>(bytes: &[u8]) -> Option<T> {
    let mut u = Unpacker::new(bytes);
    let value = T::unpack(&mut u)?;
    u.is_empty().then_some(value)
}

/// Values read for each record, or why a record could not be read.
pub type Loaded<T> = Vec<Result<T, StoreError>>;

pub(super) fn cache_path(git_dir: &Path, name: &str) -> PathBuf {
    git_dir.join("incident-cache").join(format!("{name}.json"))
}

/// A cache file mapped read-only into memory rather than read into a buffer: on this kind of
/// machine every fresh page a process touches costs about a microsecond to fault in and clear, and
/// `summary.bin` at 100,000 incidents is 28 MB. Mapped pages come straight from the page cache.
pub(super) type Mapped = memmap2::Mmap;

/// The file's bytes mapped (populated up front, as they are all read), or nothing when it is
/// missing, empty or cannot be mapped.
pub(super) fn map(path: &Path) -> Option<Mapped> {
    let file = fs::File::open(path).ok()?;
    if file.metadata().ok()?.len() == 0 {
        return None;
    }
    // SAFETY: memmap2 requires that the file not change while mapped. No process writes a cache
    // file in place: each is written to a temporary file and renamed over the old one, so the
    // mapping keeps the inode it opened, whole, whatever happens to the name. (Truncating the
    // file by hand while a command runs would end that command with SIGBUS.)
    unsafe { memmap2::MmapOptions::new().populate().map(&file) }.ok()
}

/// A cache file's content when its header and checksum hold and it parses as `T`.
pub(super) fn read_checked<T: DeserializeOwned>(path: &Path) -> Option<T> {
    let bytes = fs::read(path).ok()?;
    let newline = bytes.iter().position(|b| *b == b'\n')?;
    let (header, body) = (&bytes[..newline], &bytes[newline + 1..]);
    let expected = format!("incident-cache {FORMAT} {}", hex(&Sha1::digest(body)));
    if header != expected.as_bytes() {
        return None;
    }
    serde_json::from_slice::<T>(body).ok()
}

/// Writes `value` with the header and checksum [`read_checked`] verifies, replacing the file
/// atomically. A cache that cannot be written only costs time on the next run.
pub(super) fn write_checked<T: Serialize>(path: &Path, value: &T) {
    let Ok(body) = serde_json::to_vec(value) else {
        return;
    };
    let mut bytes = format!("incident-cache {FORMAT} {}\n", hex(&Sha1::digest(&body))).into_bytes();
    bytes.extend_from_slice(&body);
    if let Some(dir) = path.parent() {
        let _ = fs::create_dir_all(dir);
    }
    // A cache that cannot be written only costs time next run.
    let _ = super::replace_file(path, &bytes);
}

fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

impl Store {
    /// [`Store::load_all_as`] through the cache: the same values, in the same order, with the same
    /// errors, parsing only the records whose files changed since the cache was written.
    pub fn load_all_cached<T: Cached>(&self) -> anyhow::Result<Vec<Result<T, StoreError>>> {
        let ids = self.incident_ids()?;
        Ok(self.cached(&ids))
    }

    /// [`Store::load_all_cached`] without the values whose packed form `want` turns down: they are
    /// never unpacked (`list --open` at 100,000 incidents unpacks 2,000 rows, not all). Errors are
    /// always returned. `want` may keep more than the caller needs, never less.
    pub fn load_all_cached_where<T: Cached>(&self, want: Want<'_>) -> anyhow::Result<Loaded<T>> {
        let ids = self.incident_ids()?;
        Ok(self.cached_where(&ids, Some(want)))
    }

    /// [`Store::load_all_cached_where`] for summaries, each left packed where it lies and read in
    /// place through [`SummaryView`]: `list` over every record allocates nothing per incident.
    pub fn load_summary_rows(&self, want: Option<Want<'_>>) -> anyhow::Result<SummaryRows> {
        let ids = self.incident_ids()?;
        let mapped = map(&record_cache_path(self.repo.path(), IncidentSummary::NAME));
        let bytes = mapped.as_deref().unwrap_or_default();
        let base = bytes.as_ptr() as usize;
        let mut fresh = Vec::new();
        let rows = self.cached_core::<IncidentSummary, Packed>(
            &ids,
            want,
            bytes,
            &|value| {
                SummaryView::decode(value)
                    .map(|_| Packed::Mapped(value.as_ptr() as usize - base, value.len()))
            },
            &mut |_, packed| {
                if fresh.is_empty() {
                    fresh.reserve(sized_for(packed.len(), ids.len()));
                }
                let at = fresh.len();
                fresh.extend_from_slice(packed);
                Packed::Fresh(at, packed.len())
            },
        );
        Ok(SummaryRows {
            mapped,
            fresh,
            rows,
        })
    }

    /// [`Store::load_all_cached`] with the IDs the values belong to.
    pub fn load_all_cached_with_ids<T: Cached>(&self) -> anyhow::Result<(Vec<String>, Loaded<T>)> {
        let ids = self.incident_ids()?;
        let values = self.cached(&ids);
        Ok((ids, values))
    }

    /// [`Store::load_all_cached`] for the records `ids` (sorted, as [`Store::incident_ids`] gives
    /// them). The cache then holds only these: `publish` asks for the same window run after run,
    /// and a file of every record would cost more to read than the window's records save.
    pub fn load_ids_cached<T: Cached>(&self, ids: &[String]) -> Loaded<T> {
        self.cached(ids)
    }

    /// Every record's figures as of `now`, in ID order: from the cache where they no longer depend
    /// on the clock, else worked out from the record.
    pub fn load_metric_records(
        &self,
        now: DateTime<Utc>,
    ) -> anyhow::Result<Vec<Result<MetricRecord, StoreError>>> {
        let ids = self.incident_ids()?;
        let facts = self.cached::<MetricFacts>(&ids);
        let live: Vec<String> = ids
            .iter()
            .zip(&facts)
            .filter(|(_, f)| matches!(f, Ok(f) if f.settled_from.is_none_or(|s| s > now)))
            .map(|(id, _)| id.clone())
            .collect();
        let config = &self.config;
        let mut fresh = self
            .load_ids_mapped(&live, |i: Incident| MetricRecord::of(&i, config, now))
            .into_iter();
        Ok(facts
            .into_iter()
            .map(|f| match f {
                Ok(f) if f.settled_from.is_some_and(|s| s <= now) => Ok(f.record),
                Ok(_) => fresh.next().expect("one read per live record"),
                Err(e) => Err(e),
            })
            .collect())
    }

    fn cached<T: Cached>(&self, ids: &[String]) -> Loaded<T> {
        self.cached_where(ids, None)
    }

    fn cached_where<T: Cached>(&self, ids: &[String], want: Option<Want<'_>>) -> Loaded<T> {
        let bytes = map(&record_cache_path(self.repo.path(), T::NAME));
        self.cached_core::<T, T>(
            ids,
            want,
            bytes.as_deref().unwrap_or_default(),
            &unpack_value::<T>,
            &mut |v, _| v,
        )
    }

    /// Each record's value as `decode` makes it from a valid cache entry in `bytes` (the mapped
    /// cache file of `T`), or as `fresh` makes it from a value read from the record and its packed
    /// form; then the cache is rewritten if anything changed. `decode` must turn down exactly the
    /// bytes `T::unpack` turns down: such an entry is read from the record instead.
    fn cached_core<T: Cached, D: Send>(
        &self,
        ids: &[String],
        want: Option<Want<'_>>,
        bytes: &[u8],
        decode: &(dyn Fn(&[u8]) -> Option<D> + Sync),
        fresh: &mut dyn FnMut(T, &[u8]) -> D,
    ) -> Vec<Result<D, StoreError>> {
        let config = &self.config;
        let mut scratch = Packer::default();
        // Whether a value read from its record is wanted, judged on its packed form as the cache
        // would hold it; the packed form is left in `scratch`.
        let wanted = |v: &T, scratch: &mut Packer| {
            scratch.bytes.clear();
            v.pack(scratch);
            want.is_none_or(|want| want(&scratch.bytes))
        };
        if self.cache_off() {
            let all = self.load_ids_mapped(ids, |s: T::Source| T::from_source(s, config));
            let mut out = Vec::with_capacity(all.len());
            for result in all {
                match result {
                    Ok(v) if wanted(&v, &mut scratch) => out.push(Ok(fresh(v, &scratch.bytes))),
                    Ok(_) => {}
                    Err(e) => out.push(Err(e)),
                }
            }
            return out;
        }
        let trusted_before = trusted_before();
        let path = record_cache_path(self.repo.path(), T::NAME);
        let key = T::config_key(config);
        let (cached, stamps) = entries_and_stamps::<T>(bytes, &self.root, ids, key);
        let hits = hits(ids, &stamps, &cached);
        let unpacked: Vec<Slot<D>> = {
            use rayon::prelude::*;
            hits.par_iter()
                .with_min_len(256)
                .map(|hit| match hit {
                    Some(e) if want.is_some_and(|want| !want(e.value)) => Slot::Unwanted,
                    Some(e) => decode(e.value).map_or(Slot::Miss, Slot::Value),
                    None => Slot::Miss,
                })
                .collect()
        };
        let missing: Vec<String> = ids
            .iter()
            .zip(&unpacked)
            .filter(|(_, v)| matches!(v, Slot::Miss))
            .map(|(id, _)| id.clone())
            .collect();
        // Nothing to parse and nothing to drop (records deleted, or no longer asked for).
        if missing.is_empty() && cached.len() == ids.len() {
            // Sized once: collected through the filter, the vector grew by doubling, and at
            // 100,000 records its copies were a sixth of the fresh memory `list` touches.
            let mut out = Vec::with_capacity(unpacked.len());
            out.extend(unpacked.into_iter().filter_map(|v| match v {
                Slot::Value(v) => Some(Ok(v)),
                _ => None,
            }));
            return out;
        }
        let mut parsed = self
            .load_ids_mapped(&missing, |s: T::Source| T::from_source(s, config))
            .into_iter();
        drop(missing);

        // The new cache, packed as it goes: the hits' bytes as they were, what parsed and settled.
        let mut writer = EntryWriter::new(T::NAME, &self.root, key, ids.len());
        let mut out = Vec::with_capacity(ids.len());
        for (((id, stamp), slot), hit) in ids.iter().zip(&stamps).zip(unpacked).zip(&hits) {
            let result = match slot {
                Slot::Unwanted => {
                    // Still valid: kept in the cache as it was, not handed out.
                    if let (Some(entry), Some(stamp)) = (hit, stamp) {
                        writer.push(id, stamp, entry.value);
                    }
                    continue;
                }
                Slot::Value(v) => {
                    if let (Some(entry), Some(stamp)) = (hit, stamp) {
                        writer.push(id, stamp, entry.value);
                    }
                    out.push(Ok(v));
                    continue;
                }
                Slot::Miss => parsed.next().expect("one parse per miss"),
            };
            match result {
                Ok(v) => {
                    let keep = wanted(&v, &mut scratch);
                    if let Some(stamp) = stamp
                        && stamp.settled_before(trusted_before)
                    {
                        writer.push(id, stamp, &scratch.bytes);
                    }
                    if keep {
                        out.push(Ok(fresh(v, &scratch.bytes)));
                    }
                }
                Err(e) => out.push(Err(e)),
            }
        }
        writer.finish(&path);
        out
    }
}

/// The cache file's entries (none when it does not check out) and each record's stamp. Checking a
/// large cache file (a CRC over 28 MB at 100,000 records) runs beside the `stat`s, which wait on
/// the kernel's name lookups often enough to leave a core part idle (`list` 3 ms faster there);
/// a small one is checked before, not worth a thread.
fn entries_and_stamps<'a, T: Cached>(
    bytes: &'a [u8],
    root: &Path,
    ids: &[String],
    key: u32,
) -> (Vec<Entry<'a>>, Vec<Option<Stamp>>) {
    let (cached, stamps) = if bytes.len() < 1 << 20 {
        (read_entries::<T>(bytes, root, key), stamps_of(root, ids))
    } else {
        std::thread::scope(|scope| {
            let entries = scope.spawn(move || read_entries::<T>(bytes, root, key));
            let stamps = stamps_of(root, ids);
            let entries = entries
                .join()
                .unwrap_or_else(|panic| std::panic::resume_unwind(panic));
            (entries, stamps)
        })
    };
    (cached.unwrap_or_default(), stamps)
}

/// Matches the sorted IDs with the sorted entries: for each ID, the entry whose stamp still
/// holds, if any.
fn hits<'e, 'a>(
    ids: &[String],
    stamps: &[Option<Stamp>],
    cached: &'e [Entry<'a>],
) -> Vec<Option<&'e Entry<'a>>> {
    let mut hits = Vec::with_capacity(ids.len());
    let mut next = 0;
    for (id, stamp) in ids.iter().zip(stamps) {
        while next < cached.len() && cached[next].id < id.as_str() {
            next += 1;
        }
        let entry = cached.get(next).filter(|e| e.id == id.as_str());
        hits.push(entry.filter(|e| Some(e.stamp) == *stamp));
    }
    hits
}

pub(super) fn record_cache_path(git_dir: &Path, name: &str) -> PathBuf {
    git_dir.join("incident-cache").join(format!("{name}.bin"))
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The peeks read the fields the packers write, where they write them.
    #[test]
    fn packed_states_are_read_where_they_were_written() {
        let yaml = "id: 2026-11-25-a\ntitle: A\nkind: outage\nseverity: SEV2\nstatus: monitoring\nservices: [api, web]\nroles: {commander: al}\ndetected_at: 2026-11-25T10:00:00Z\n";
        let summary: IncidentSummary = serde_yaml::from_str(yaml).unwrap();
        let mut p = Packer::default();
        summary.pack(&mut p);
        assert_eq!(
            summary_state(&p.bytes),
            Some((Severity::Sev2, Status::Monitoring))
        );
        let incident: Incident = serde_yaml::from_str(&format!("version: 1\n{yaml}")).unwrap();
        let facts = MetricFacts::from_source(incident, &Config::new("acme"));
        let mut p = Packer::default();
        facts.pack(&mut p);
        assert_eq!(metric_status(&p.bytes), Some(Status::Monitoring));
        assert_eq!(metric_status(&p.bytes[..10]), None);
    }
}
