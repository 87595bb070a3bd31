//! The figures of `incident report` over time: per week or month, the incidents by severity, the
//! response times, the communication deadlines kept and missed, the action items opened and
//! closed; and each service's uptime against its SLO, with the error budget left. Pure functions
//! of the records (as `stats` reads them), the policy and `now`; `docs/metrics.md` defines each.

use crate::metrics::{Figure, MetricRecord, ResponseTimes, response_times};
use crate::model::{ActionState, DeadlineState, Severity};
use chrono::{DateTime, Datelike, Days, NaiveDate, Utc};
use serde::Serialize;
use std::collections::BTreeMap;

/// How long one bar of the trends is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Period {
    /// ISO weeks, Monday to Sunday.
    Week,
    Month,
}

impl Period {
    /// Weeks for a window of up to 120 days, months beyond.
    pub fn for_window(days: i64) -> Period {
        if days <= 120 {
            Period::Week
        } else {
            Period::Month
        }
    }

    /// The first day of the period `date` falls in.
    pub fn start(self, date: NaiveDate) -> NaiveDate {
        match self {
            Period::Week => date - Days::new(u64::from(date.weekday().num_days_from_monday())),
            Period::Month => date.with_day(1).unwrap_or(date),
        }
    }

    fn next(self, start: NaiveDate) -> NaiveDate {
        match self {
            Period::Week => start + Days::new(7),
            Period::Month => start
                .checked_add_months(chrono::Months::new(1))
                .unwrap_or(start),
        }
    }

    /// The period's name: `2026-W45` or `2026-11`.
    pub fn label(self, start: NaiveDate) -> String {
        match self {
            Period::Week => {
                let w = start.iso_week();
                format!("{}-W{:02}", w.year(), w.week())
            }
            Period::Month => format!("{}-{:02}", start.year(), start.month()),
        }
    }
}

/// One period of the trends.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Trend {
    pub period: String,
    pub start: NaiveDate,
    /// Incidents opened in it, by the worst severity each reached.
    pub by_severity: BTreeMap<Severity, usize>,
    pub incidents: usize,
    pub times: ResponseTimes,
    /// Communication deadlines of its incidents kept, and missed (late or never met).
    pub deadlines_kept: usize,
    pub deadlines_missed: usize,
    /// Action items created, and closed as done, in the period (of any incident).
    pub actions_opened: usize,
    pub actions_closed: usize,
    /// Action items open at the period's end (created before it ended, not closed by then).
    pub actions_open_at_end: usize,
}

/// The periods from `since` to `now` (UTC dates), each with its figures. Drills are left out
/// unless included, as `stats` does.
pub fn trends(
    records: &[&MetricRecord],
    since: DateTime<Utc>,
    now: DateTime<Utc>,
    period: Period,
) -> Vec<Trend> {
    let first = period.start(since.date_naive());
    let mut out = Vec::new();
    let mut start = first;
    let actions: Vec<&crate::metrics::ActionFact> =
        records.iter().flat_map(|r| &r.actions).collect();
    while start <= now.date_naive() {
        let end = period.next(start);
        let within = |t: DateTime<Utc>| t.date_naive() >= start && t.date_naive() < end;
        let opened: Vec<&MetricRecord> = records
            .iter()
            .copied()
            .filter(|r| {
                r.opened_at()
                    .is_some_and(|t| within(t) && t >= since && t <= now)
            })
            .collect();
        let mut by_severity = BTreeMap::new();
        for r in &opened {
            *by_severity.entry(r.peak_severity).or_insert(0) += 1;
        }
        let (mut kept, mut missed) = (0, 0);
        for d in opened.iter().flat_map(|r| &r.deadlines) {
            match d.state {
                DeadlineState::Kept => kept += 1,
                DeadlineState::Late | DeadlineState::Overdue => missed += 1,
                DeadlineState::Pending | DeadlineState::NotApplicable => {}
            }
        }
        let end_at = end
            .and_hms_opt(0, 0, 0)
            .map_or(now, |t| t.and_utc())
            .min(now);
        out.push(Trend {
            period: period.label(start),
            start,
            incidents: opened.len(),
            by_severity,
            times: response_times(&opened),
            deadlines_kept: kept,
            deadlines_missed: missed,
            actions_opened: actions.iter().filter(|a| within(a.created_at)).count(),
            actions_closed: actions
                .iter()
                .filter(|a| a.state == ActionState::Done && a.closed_at.is_some_and(within))
                .count(),
            actions_open_at_end: actions
                .iter()
                .filter(|a| a.created_at < end_at && a.closed_at.is_none_or(|c| c >= end_at))
                .count(),
        });
        start = end;
    }
    out
}

/// A service's availability over the window against its SLO.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Slo {
    pub service: String,
    /// The promise, in percent.
    pub target_percent: f64,
    /// The time counted (the window, from the service's start date on), in minutes.
    pub window_minutes: f64,
    /// Downtime the promise allows over the window: window × (100 − target) / 100.
    pub budget_minutes: f64,
    /// Downtime spent: major outage in full, partial outage at 30 % (as the status page counts).
    pub downtime_minutes: f64,
    pub budget_left_minutes: f64,
    /// What is left of the budget, in percent of it (negative: the promise is broken).
    pub budget_left_percent: f64,
    pub uptime_percent: f64,
    /// The budget spent by the end of each day of the window, in minutes (the burn).
    pub burn: Vec<(NaiveDate, f64)>,
}

/// The SLO figures of `uptime` (a service's days over the window) against `target` percent.
pub fn slo(uptime: &crate::uptime::ComponentUptime, target: f64) -> Slo {
    let window_secs: i64 = uptime.days.iter().map(|d| d.tracked_secs).sum();
    let mut spent = 0.0;
    let burn: Vec<(NaiveDate, f64)> = uptime
        .days
        .iter()
        .map(|d| {
            if d.tracked {
                spent += d.seconds.downtime();
            }
            (d.date, round2(spent / 60.0))
        })
        .collect();
    let window_minutes = window_secs as f64 / 60.0;
    let budget = window_minutes * (100.0 - target) / 100.0;
    let downtime = spent / 60.0;
    let uptime_percent = if window_secs > 0 {
        100.0 * (1.0 - spent / window_secs as f64)
    } else {
        100.0
    };
    Slo {
        service: uptime.component.clone(),
        target_percent: target,
        window_minutes: round2(window_minutes),
        budget_minutes: round2(budget),
        downtime_minutes: round2(downtime),
        budget_left_minutes: round2(budget - downtime),
        budget_left_percent: if budget > 0.0 {
            round2(100.0 * (budget - downtime) / budget)
        } else {
            0.0
        },
        uptime_percent: (uptime_percent * 1000.0).floor() / 1000.0,
        burn,
    }
}

fn round2(x: f64) -> f64 {
    (x * 100.0).round() / 100.0
}

/// The medians of one figure across the trends, for a trend line (`None` where no incident).
pub fn medians(trends: &[Trend], figure: impl Fn(&ResponseTimes) -> &Figure) -> Vec<Option<i64>> {
    trends
        .iter()
        .map(|t| figure(&t.times).median_secs)
        .collect()
}

/// A trend in one line of block characters, low `▁` to high `█`; `·` where there is no value.
pub fn sparkline(values: &[Option<i64>]) -> String {
    const BLOCKS: [char; 8] = ['▁', '▂', '▃', '▄', '▅', '▆', '▇', '█'];
    let present: Vec<i64> = values.iter().flatten().copied().collect();
    let (Some(low), Some(high)) = (present.iter().min(), present.iter().max()) else {
        return values.iter().map(|_| '·').collect();
    };
    values
        .iter()
        .map(|v| match v {
            None => '·',
            Some(_) if high == low => BLOCKS[3],
            Some(v) => BLOCKS[((v - low) * 7 / (high - low)) as usize],
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::{ComponentPeriod, ComponentStatus};

    fn at(text: &str) -> DateTime<Utc> {
        DateTime::parse_from_rfc3339(text)
            .unwrap()
            .with_timezone(&Utc)
    }

    #[test]
    fn sparklines_scale_from_low_to_high() {
        assert_eq!(
            sparkline(&[Some(0), Some(70), None, Some(35), Some(10)]),
            "▁█·▄▂"
        );
        assert_eq!(sparkline(&[Some(5), Some(5)]), "▄▄");
        assert_eq!(sparkline(&[None, None]), "··");
        assert_eq!(sparkline(&[]), "");
    }

    #[test]
    fn periods_start_on_mondays_and_first_days() {
        let d = NaiveDate::from_ymd_opt(2026, 11, 25).unwrap();
        assert_eq!(Period::Week.start(d).to_string(), "2026-11-23");
        assert_eq!(Period::Week.label(Period::Week.start(d)), "2026-W48");
        assert_eq!(Period::Month.start(d).to_string(), "2026-11-01");
        assert_eq!(Period::Month.label(Period::Month.start(d)), "2026-11");
        assert_eq!(Period::for_window(90), Period::Week);
        assert_eq!(Period::for_window(365), Period::Month);
    }

    /// The worked example of docs/metrics.md: a 99.9 % SLO over 30 days, a 25-minute major outage
    /// and a 40-minute partial outage.
    #[test]
    fn the_error_budget_to_the_minute() {
        // November: from 1 November 00:00 to 1 December 00:00 (whose day has not begun).
        let now = at("2026-12-01T00:00:00Z");
        let periods = [
            ComponentPeriod {
                component: "checkout".into(),
                status: ComponentStatus::MajorOutage,
                from: at("2026-11-10T10:00:00Z"),
                until: Some(at("2026-11-10T10:25:00Z")),
            },
            ComponentPeriod {
                component: "checkout".into(),
                status: ComponentStatus::PartialOutage,
                from: at("2026-11-20T08:00:00Z"),
                until: Some(at("2026-11-20T08:40:00Z")),
            },
        ];
        let refs: Vec<&ComponentPeriod> = periods.iter().collect();
        let uptime =
            crate::uptime::component_uptime("checkout", &refs, None, 31, now, &chrono_tz::UTC);
        let s = slo(&uptime, 99.9);
        // 30 days = 43,200 minutes; 0.1 % of it is 43.2 minutes of budget.
        assert_eq!(s.window_minutes, 43_200.0);
        assert_eq!(s.budget_minutes, 43.2);
        // 25 minutes of major outage + 40 × 0.3 = 12 minutes of partial outage = 37 minutes.
        assert_eq!(s.downtime_minutes, 37.0);
        assert_eq!(s.budget_left_minutes, 6.2);
        assert_eq!(s.budget_left_percent, 14.35);
        assert_eq!(s.uptime_percent, 99.914);
        let burn: BTreeMap<String, f64> = s.burn.iter().map(|(d, m)| (d.to_string(), *m)).collect();
        assert_eq!(burn["2026-11-01"], 0.0);
        assert_eq!(burn["2026-11-09"], 0.0);
        assert_eq!(burn["2026-11-10"], 25.0);
        assert_eq!(burn["2026-11-20"], 37.0);
        assert_eq!(burn["2026-11-30"], 37.0);
    }
}
