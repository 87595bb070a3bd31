//! Uptime per component, day by day, from the incident and maintenance windows on the status page.
//!
//! A day is a calendar day in the organisation's time zone. Within a day, each second counts once,
//! at the worst status any window gave the component then (two overlapping incidents are not two
//! outages). The percentage weighs a second of major outage fully and a second of partial outage at
//! 30%, as Statuspage does; degraded performance and maintenance do not lower it (maintenance is
//! counted apart). Days before the component's `start_date` are not counted. `docs/metrics.md` holds
//! the definition for readers of the page.

use crate::model::{ComponentPeriod, ComponentStatus};
use chrono::{DateTime, Days, NaiveDate, TimeZone, Utc};
use serde::Serialize;

/// How much of a second of each status counts as downtime.
pub const PARTIAL_OUTAGE_WEIGHT: f64 = 0.3;

/// Seconds spent at each non-operational status.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize)]
pub struct Seconds {
    pub major_outage: i64,
    pub partial_outage: i64,
    pub degraded_performance: i64,
    pub under_maintenance: i64,
}

impl Seconds {
    fn add(&mut self, status: ComponentStatus, secs: i64) {
        match status {
            ComponentStatus::MajorOutage => self.major_outage += secs,
            ComponentStatus::PartialOutage => self.partial_outage += secs,
            ComponentStatus::DegradedPerformance => self.degraded_performance += secs,
            ComponentStatus::UnderMaintenance => self.under_maintenance += secs,
            ComponentStatus::Operational => {}
        }
    }

    fn add_all(&mut self, other: &Seconds) {
        self.major_outage += other.major_outage;
        self.partial_outage += other.partial_outage;
        self.degraded_performance += other.degraded_performance;
        self.under_maintenance += other.under_maintenance;
    }

    /// Downtime in seconds: major outage fully, partial outage at [`PARTIAL_OUTAGE_WEIGHT`].
    pub fn downtime(&self) -> f64 {
        self.major_outage as f64 + self.partial_outage as f64 * PARTIAL_OUTAGE_WEIGHT
    }
}

/// Whole minutes, rounded to the nearest (what the page prints).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize)]
pub struct Minutes {
    pub major_outage: i64,
    pub partial_outage: i64,
    pub degraded_performance: i64,
    pub under_maintenance: i64,
}

impl From<Seconds> for Minutes {
    fn from(s: Seconds) -> Minutes {
        let m = |secs: i64| (secs + 30).div_euclid(60);
        Minutes {
            major_outage: m(s.major_outage),
            partial_outage: m(s.partial_outage),
            degraded_performance: m(s.degraded_performance),
            under_maintenance: m(s.under_maintenance),
        }
    }
}

#[derive(Debug, Clone, Serialize)]
pub struct Day {
    pub date: NaiveDate,
    /// Whether the day counts: on or after the component's start and not after today.
    pub tracked: bool,
    /// The worst status of the day (`operational` when nothing happened).
    pub worst: ComponentStatus,
    pub minutes: Minutes,
    #[serde(skip)]
    pub seconds: Seconds,
    /// How long the day counted: 0 when not tracked, less than a day for today and on a
    /// daylight-saving change.
    #[serde(skip)]
    pub tracked_secs: i64,
}

#[derive(Debug, Clone, Serialize)]
pub struct ComponentUptime {
    pub component: String,
    /// Oldest first, ending today.
    pub days: Vec<Day>,
    /// Percentage over the tracked days, rounded down to two decimals (99.999 shows as 99.99, never
    /// 100.00); `None` when no day is tracked.
    pub percent: Option<f64>,
    pub minutes: Minutes,
}

/// The uptime of one component over the `days` days ending today (in `tz`), from `periods` (of any
/// components: only this one's are read), with the component counted from `start` on.
pub fn component_uptime<Tz: TimeZone>(
    component: &str,
    periods: &[&ComponentPeriod],
    start: Option<NaiveDate>,
    days: u32,
    now: DateTime<Utc>,
    tz: &Tz,
) -> ComponentUptime {
    let today = now.with_timezone(tz).date_naive();
    let first = today
        .checked_sub_days(Days::new(u64::from(days.max(1) - 1)))
        .unwrap_or(today);
    let segments = flatten(
        periods
            .iter()
            .filter(|p| p.component == component)
            .map(|p| {
                (
                    p.from.timestamp(),
                    p.until.unwrap_or(now).min(now).timestamp(),
                    p.status,
                )
            })
            .filter(|(f, u, _)| u > f),
    );
    let midnight = |d: NaiveDate| -> i64 {
        tz.from_local_datetime(&d.and_hms_opt(0, 0, 0).expect("midnight exists"))
            .earliest()
            .map(|t| t.timestamp())
            // A zone that skips midnight (a DST jump there): the first moment of the day.
            .unwrap_or_else(|| {
                d.and_hms_opt(0, 0, 0)
                    .expect("exists")
                    .and_utc()
                    .timestamp()
            })
    };
    let mut out = Vec::with_capacity(days as usize);
    let mut total = Seconds::default();
    let mut seg = 0;
    let mut date = first;
    while date <= today {
        let day_start = midnight(date);
        let day_end = date
            .succ_opt()
            .map_or(day_start + 86_400, midnight)
            .min(now.timestamp());
        let tracked = start.is_none_or(|s| date >= s);
        let mut seconds = Seconds::default();
        let mut worst = ComponentStatus::Operational;
        while seg < segments.len() && segments[seg].1 <= day_start {
            seg += 1;
        }
        let mut k = seg;
        while k < segments.len() && segments[k].0 < day_end {
            let (f, u, status) = segments[k];
            let secs = u.min(day_end) - f.max(day_start);
            if secs > 0 {
                seconds.add(status, secs);
                if status.rank() > worst.rank() {
                    worst = status;
                }
            }
            k += 1;
        }
        if tracked {
            total.add_all(&seconds);
        }
        out.push(Day {
            date,
            tracked,
            worst,
            minutes: seconds.into(),
            seconds,
            tracked_secs: if tracked {
                (day_end - day_start).max(0)
            } else {
                0
            },
        });
        date = match date.succ_opt() {
            Some(d) => d,
            None => break,
        };
    }
    let percent = percent_of(&out);
    ComponentUptime {
        component: component.to_string(),
        days: out,
        percent,
        minutes: total.into(),
    }
}

impl ComponentUptime {
    /// The percentage over the last `days` days only (what a phone shows bars for), as
    /// [`ComponentUptime::percent`] is over all of them.
    pub fn percent_of_last(&self, days: usize) -> Option<f64> {
        percent_of(&self.days[self.days.len().saturating_sub(days)..])
    }
}

/// Uptime over the tracked part of `days`, rounded down to two decimals; `None` if none is tracked.
fn percent_of(days: &[Day]) -> Option<f64> {
    let mut down = Seconds::default();
    let mut tracked_secs: i64 = 0;
    for d in days.iter().filter(|d| d.tracked) {
        down.add_all(&d.seconds);
        tracked_secs += d.tracked_secs;
    }
    (tracked_secs > 0).then(|| {
        let up = 100.0 * (1.0 - down.downtime() / tracked_secs as f64);
        (up * 100.0).floor() / 100.0
    })
}

/// Overlapping windows → disjoint segments at the worst status covering each, in time order.
fn flatten(
    windows: impl Iterator<Item = (i64, i64, ComponentStatus)>,
) -> Vec<(i64, i64, ComponentStatus)> {
    let mut points: Vec<(i64, i32, ComponentStatus)> = Vec::new();
    for (f, u, s) in windows {
        points.push((f, 1, s));
        points.push((u, -1, s));
    }
    points.sort_by_key(|(t, _, _)| *t);
    let mut counts = [0i32; 5];
    let mut out: Vec<(i64, i64, ComponentStatus)> = Vec::new();
    let mut n = 0;
    let mut last = None;
    while n < points.len() {
        let t = points[n].0;
        let before = worst(&counts);
        if let (Some(from), Some(status)) = (last, before)
            && t > from
        {
            match out.last_mut() {
                Some(prev) if prev.1 == from && prev.2 == status => prev.1 = t,
                _ => out.push((from, t, status)),
            }
        }
        while n < points.len() && points[n].0 == t {
            counts[points[n].2.rank() as usize] += points[n].1;
            n += 1;
        }
        last = Some(t);
    }
    out
}

fn worst(counts: &[i32; 5]) -> Option<ComponentStatus> {
    ComponentStatus::ALL
        .into_iter()
        .rev()
        .find(|s| *s != ComponentStatus::Operational && counts[s.rank() as usize] > 0)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn t(s: &str) -> DateTime<Utc> {
        s.parse().unwrap()
    }

    fn p(status: ComponentStatus, from: &str, until: Option<&str>) -> ComponentPeriod {
        ComponentPeriod {
            component: "api".into(),
            status,
            from: t(from),
            until: until.map(t),
        }
    }

    #[test]
    fn overlapping_windows_count_once_at_the_worst_status() {
        use ComponentStatus::*;
        let periods = [
            p(
                PartialOutage,
                "2026-11-20T10:00:00Z",
                Some("2026-11-20T11:00:00Z"),
            ),
            p(
                MajorOutage,
                "2026-11-20T10:30:00Z",
                Some("2026-11-20T10:45:00Z"),
            ),
            // Crosses midnight UTC.
            p(
                DegradedPerformance,
                "2026-11-21T23:30:00Z",
                Some("2026-11-22T00:20:00Z"),
            ),
            p(
                UnderMaintenance,
                "2026-11-23T02:00:00Z",
                Some("2026-11-23T03:00:00Z"),
            ),
        ];
        let refs: Vec<&ComponentPeriod> = periods.iter().collect();
        let u = component_uptime("api", &refs, None, 4, t("2026-11-23T12:00:00Z"), &Utc);
        let dates: Vec<String> = u.days.iter().map(|d| d.date.to_string()).collect();
        assert_eq!(
            dates,
            ["2026-11-20", "2026-11-21", "2026-11-22", "2026-11-23"]
        );
        assert_eq!(u.days[0].worst, MajorOutage);
        assert_eq!(u.days[0].minutes.partial_outage, 45);
        assert_eq!(u.days[0].minutes.major_outage, 15);
        assert_eq!(u.days[1].minutes.degraded_performance, 30);
        assert_eq!(u.days[2].minutes.degraded_performance, 20);
        assert_eq!(u.days[3].worst, UnderMaintenance);
        assert_eq!(u.days[3].minutes.under_maintenance, 60);
        // 3.5 days tracked = 302,400 s; downtime 15 min + 0.3 × 45 min = 1,710 s → 99.434...%
        assert_eq!(u.percent, Some(99.43));
        // The last two days only (1.5 days, no outage counted): what a phone's bars cover.
        assert_eq!(u.percent_of_last(2), Some(100.0));
        // The last three: 2.5 days = 216,000 s, no weighted downtime either (degraded only).
        assert_eq!(u.percent_of_last(3), Some(100.0));
        assert_eq!(u.percent_of_last(4), u.percent);
        assert_eq!(u.percent_of_last(40), u.percent);
        assert_eq!(
            u.minutes,
            Minutes {
                major_outage: 15,
                partial_outage: 45,
                degraded_performance: 50,
                under_maintenance: 60,
            }
        );
    }

    #[test]
    fn days_before_the_start_are_not_counted() {
        let periods = [p(
            ComponentStatus::MajorOutage,
            "2026-11-20T00:00:00Z",
            Some("2026-11-20T12:00:00Z"),
        )];
        let refs: Vec<&ComponentPeriod> = periods.iter().collect();
        let start = NaiveDate::from_ymd_opt(2026, 11, 21);
        let u = component_uptime("api", &refs, start, 3, t("2026-11-22T00:00:00Z"), &Utc);
        assert!(!u.days[0].tracked);
        assert_eq!(u.percent, Some(100.0));
        let none = component_uptime("api", &refs, start, 1, t("2026-11-20T12:00:00Z"), &Utc);
        assert_eq!(none.percent, None);
    }
}
