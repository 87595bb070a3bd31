//! The reliability report's files: `index.html` (charts inline, tables under each, nothing
//! fetched), `report.json`, and one CSV per table, from an [`ops::report::Report`]. The same
//! report gives the same bytes.
//!
//! [`ops::report::Report`]: crate::ops::report::Report

use super::chart::{Series, line_chart, stacked_bars};
use super::{escape_markup as esc, html_page};
use crate::metrics::Figure;
use crate::model::Severity;
use crate::ops::report::Report;
use crate::trends::Trend;
use anyhow::Result;
use plotters::style::RGBColor;

/// Every file of the report, by name.
pub fn files(report: &Report) -> Result<Vec<(String, String)>> {
    Ok(vec![
        ("index.html".into(), html(report)?),
        (
            "report.json".into(),
            serde_json::to_string_pretty(report)? + "\n",
        ),
        ("incidents.csv".into(), incidents_csv(report)),
        ("response-times.csv".into(), response_times_csv(report)),
        ("slo.csv".into(), slo_csv(report)),
        ("comms.csv".into(), comms_csv(report)),
        ("actions.csv".into(), actions_csv(report)),
        ("overdue-actions.csv".into(), overdue_csv(report)),
        ("responders.csv".into(), responders_csv(report)),
        ("recurrence.csv".into(), recurrence_csv(report)),
    ])
}

/// One CSV field, quoted when it must be (RFC 4180), and never a formula to a spreadsheet.
fn field(text: &str) -> String {
    let text = if text.starts_with(['=', '+', '-', '@']) && text.parse::<f64>().is_err() {
        format!("'{text}")
    } else {
        text.to_string()
    };
    if text.contains([',', '"', '\n', '\r']) {
        format!("\"{}\"", text.replace('"', "\"\""))
    } else {
        text
    }
}

fn csv(header: &[&str], rows: Vec<Vec<String>>) -> String {
    let mut out = header.join(",");
    out.push_str("\r\n");
    for row in rows {
        out.push_str(&row.iter().map(|f| field(f)).collect::<Vec<_>>().join(","));
        out.push_str("\r\n");
    }
    out
}

fn opt<T: ToString>(v: Option<T>) -> String {
    v.map(|v| v.to_string()).unwrap_or_default()
}

fn incidents_csv(r: &Report) -> String {
    let rows = r
        .trends
        .iter()
        .map(|t| {
            let mut row = vec![t.period.clone(), t.start.to_string()];
            row.extend(
                Severity::ALL
                    .iter()
                    .map(|s| t.by_severity.get(s).copied().unwrap_or(0).to_string()),
            );
            row.push(t.incidents.to_string());
            row
        })
        .collect();
    csv(
        &["period", "start", "SEV1", "SEV2", "SEV3", "SEV4", "total"],
        rows,
    )
}

/// The figure columns of a row: count, missing, mean, median and p90 in seconds.
fn figure_fields(f: &Figure) -> Vec<String> {
    vec![
        f.count.to_string(),
        f.missing.to_string(),
        opt(f.mean_secs),
        opt(f.median_secs),
        opt(f.p90_secs),
    ]
}

const FIGURE_COLUMNS: [&str; 5] = ["count", "missing", "mean_secs", "median_secs", "p90_secs"];

/// Response times: the whole window first (`stats --json`'s `times`), then by group, then per
/// period.
fn response_times_csv(r: &Report) -> String {
    let mut header = vec![
        "scope".to_string(),
        "key".to_string(),
        "incidents".to_string(),
    ];
    for name in ["mttd", "mtta", "mttm", "mttr"] {
        header.extend(FIGURE_COLUMNS.iter().map(|c| format!("{name}_{c}")));
    }
    let row = |scope: &str, key: &str, incidents: usize, t: &crate::metrics::ResponseTimes| {
        let mut row = vec![scope.to_string(), key.to_string(), incidents.to_string()];
        for f in [&t.mttd, &t.mtta, &t.mttm, &t.mttr] {
            row.extend(figure_fields(f));
        }
        row
    };
    let mut rows = vec![row("window", "all", r.stats.incidents, &r.stats.times)];
    let scope = r.by.map_or("group".to_string(), |b| {
        serde_json::to_value(b)
            .ok()
            .and_then(|v| v.as_str().map(str::to_string))
            .unwrap_or_default()
    });
    rows.extend(
        r.groups
            .iter()
            .map(|g| row(&scope, &g.key, g.incidents, &g.times)),
    );
    rows.extend(
        r.trends
            .iter()
            .map(|t| row("period", &t.period, t.incidents, &t.times)),
    );
    let header: Vec<&str> = header.iter().map(String::as_str).collect();
    csv(&header, rows)
}

fn slo_csv(r: &Report) -> String {
    let rows = r
        .slos
        .iter()
        .map(|s| {
            vec![
                s.service.clone(),
                s.target_percent.to_string(),
                s.window_minutes.to_string(),
                s.budget_minutes.to_string(),
                s.downtime_minutes.to_string(),
                s.budget_left_minutes.to_string(),
                s.budget_left_percent.to_string(),
                s.uptime_percent.to_string(),
            ]
        })
        .collect();
    csv(
        &[
            "service",
            "target_percent",
            "window_minutes",
            "budget_minutes",
            "downtime_minutes",
            "budget_left_minutes",
            "budget_left_percent",
            "uptime_percent",
        ],
        rows,
    )
}

fn comms_csv(r: &Report) -> String {
    let rows = r
        .trends
        .iter()
        .map(|t| {
            vec![
                t.period.clone(),
                t.start.to_string(),
                t.deadlines_kept.to_string(),
                t.deadlines_missed.to_string(),
            ]
        })
        .collect();
    csv(&["period", "start", "kept", "missed"], rows)
}

fn actions_csv(r: &Report) -> String {
    let rows = r
        .trends
        .iter()
        .map(|t| {
            vec![
                t.period.clone(),
                t.start.to_string(),
                t.actions_opened.to_string(),
                t.actions_closed.to_string(),
                t.actions_open_at_end.to_string(),
            ]
        })
        .collect();
    csv(
        &["period", "start", "opened", "closed", "open_at_end"],
        rows,
    )
}

fn overdue_csv(r: &Report) -> String {
    let rows = r
        .overdue_by_owner
        .iter()
        .map(|(owner, n)| vec![owner.clone(), n.to_string()])
        .collect();
    csv(&["owner", "overdue"], rows)
}

fn responders_csv(r: &Report) -> String {
    let rows = r
        .responders
        .iter()
        .map(|l| {
            vec![
                l.who.clone(),
                l.pages.to_string(),
                l.out_of_hours_pages.to_string(),
                l.engaged_secs.to_string(),
                l.incidents.to_string(),
                l.commanded.to_string(),
            ]
        })
        .collect();
    csv(
        &[
            "responder",
            "pages",
            "out_of_hours_pages",
            "engaged_secs",
            "incidents",
            "commanded",
        ],
        rows,
    )
}

fn recurrence_csv(r: &Report) -> String {
    let rows = r
        .recurring
        .iter()
        .map(|g| {
            vec![
                g.service.clone(),
                g.kind.clone(),
                g.incidents.len().to_string(),
                g.incidents.join(" "),
            ]
        })
        .collect();
    csv(&["service", "kind", "incidents", "ids"], rows)
}

/// A series of one figure, period by period.
fn per_period(r: &Report, name: &str, colour: RGBColor, value: impl Fn(&Trend) -> usize) -> Series {
    Series {
        name: name.into(),
        colour,
        values: r.trends.iter().map(|t| Some(value(t) as f64)).collect(),
    }
}

/// The periods in words, for a chart's description.
fn each_period(r: &Report, words: impl Fn(&Trend) -> String) -> String {
    r.trends.iter().map(words).collect::<Vec<_>>().join("; ")
}

const BLUE: RGBColor = RGBColor(0x15, 0x65, 0xc0);
const GREEN: RGBColor = RGBColor(0x2e, 0x7d, 0x32);
const RED: RGBColor = RGBColor(0xc6, 0x28, 0x28);
const PURPLE: RGBColor = RGBColor(0x6a, 0x1b, 0x9a);

fn count(v: f64) -> String {
    format!("{}", v.round() as i64)
}

fn minutes(v: f64) -> String {
    if v.abs() >= 100.0 {
        format!("{:.0}m", v)
    } else {
        format!("{:.1}m", v)
    }
}

/// A table of `header` and `rows` (already escaped).
fn table(header: &[&str], rows: &[Vec<String>]) -> String {
    let mut out = String::from("<table>\n<thead><tr>");
    for h in header {
        out.push_str(&format!("<th scope=\"col\">{}</th>", esc(h)));
    }
    out.push_str("</tr></thead>\n<tbody>\n");
    for row in rows {
        out.push_str("<tr>");
        for cell in row {
            out.push_str(&format!("<td>{cell}</td>"));
        }
        out.push_str("</tr>\n");
    }
    out.push_str("</tbody>\n</table>\n");
    out
}

fn figure_cell(f: &Figure, pick: fn(&Figure) -> Option<i64>) -> String {
    pick(f)
        .map(|s| esc(&crate::model::format_duration(chrono::Duration::seconds(s))))
        .unwrap_or_else(|| "–".into())
}

fn section(out: &mut String, title: &str, chart: Option<String>, rest: &str) {
    out.push_str(&format!("<section>\n<h2>{}</h2>\n", esc(title)));
    if let Some(svg) = chart {
        out.push_str("<figure class=\"chart\">");
        out.push_str(svg.trim_start_matches(|c| c != '<'));
        out.push_str("</figure>\n");
    }
    out.push_str(rest);
    out.push_str("</section>\n");
}

fn html(r: &Report) -> Result<String> {
    let s = &r.stats;
    let labels: Vec<String> = r.trends.iter().map(|t| t.period.clone()).collect();
    let mut body = format!(
        "<h1>Reliability report: {}</h1>\n<p>{} incidents from {} to {} (UTC){}. Figures, definitions and the CSV files beside this page: see docs/metrics.md and docs/report.md.</p>\n",
        esc(&r.organisation),
        s.incidents,
        s.since.format("%Y-%m-%d %H:%M"),
        s.until.format("%Y-%m-%d %H:%M"),
        if s.drills > 0 && !s.drills_included {
            format!("; {} drill(s) left out", s.drills)
        } else {
            String::new()
        }
    );
    // Incidents per period by severity.
    let series: Vec<Series> = Severity::ALL
        .iter()
        .map(|sev| Series {
            name: sev.to_string(),
            colour: super::chart::severity_colour(*sev),
            values: r
                .trends
                .iter()
                .map(|t| Some(*t.by_severity.get(sev).unwrap_or(&0) as f64))
                .collect(),
        })
        .collect();
    let desc = each_period(r, |t| format!("{}: {} incident(s)", t.period, t.incidents));
    let rows: Vec<Vec<String>> = r
        .trends
        .iter()
        .map(|t| {
            let mut row = vec![esc(&t.period)];
            row.extend(
                Severity::ALL
                    .iter()
                    .map(|sev| t.by_severity.get(sev).unwrap_or(&0).to_string()),
            );
            row.push(t.incidents.to_string());
            row
        })
        .collect();
    section(
        &mut body,
        &format!("Incidents per {} by severity", period_word(r)),
        Some(stacked_bars(
            "Incidents by worst severity",
            &desc,
            &labels,
            &series,
            count,
        )?),
        &table(&["Period", "SEV1", "SEV2", "SEV3", "SEV4", "Total"], &rows),
    );
    // Response times: median and p90 per period, one chart per figure.
    let mut times = String::new();
    for (name, pick) in [
        (
            "MTTD (impact to detection)",
            (|t: &crate::metrics::ResponseTimes| &t.mttd)
                as fn(&crate::metrics::ResponseTimes) -> &Figure,
        ),
        ("MTTA (detection or first page to acknowledgement)", |t| {
            &t.mtta
        }),
        ("MTTR (detection to resolution)", |t| &t.mttr),
    ] {
        let in_minutes = |v: Option<i64>| v.map(|s| s as f64 / 60.0);
        let series = vec![
            Series {
                name: "median".into(),
                colour: BLUE,
                values: r
                    .trends
                    .iter()
                    .map(|t| in_minutes(pick(&t.times).median_secs))
                    .collect(),
            },
            Series {
                name: "p90".into(),
                colour: RED,
                values: r
                    .trends
                    .iter()
                    .map(|t| in_minutes(pick(&t.times).p90_secs))
                    .collect(),
            },
        ];
        let desc = format!(
            "{name} per period, in minutes: {}",
            r.trends
                .iter()
                .map(|t| format!(
                    "{} median {} p90 {}",
                    t.period,
                    figure_cell(pick(&t.times), |f| f.median_secs),
                    figure_cell(pick(&t.times), |f| f.p90_secs)
                ))
                .collect::<Vec<_>>()
                .join("; ")
        );
        times.push_str("<figure class=\"chart\">");
        times.push_str(
            line_chart(name, &desc, &labels, &series, minutes)?.trim_start_matches(|c| c != '<'),
        );
        times.push_str("</figure>\n");
    }
    let mut rows = vec![{
        let mut row = vec!["whole window".to_string(), s.incidents.to_string()];
        for f in [&s.times.mttd, &s.times.mtta, &s.times.mttm, &s.times.mttr] {
            row.push(figure_cell(f, |f| f.median_secs));
            row.push(figure_cell(f, |f| f.p90_secs));
        }
        row
    }];
    for g in &r.groups {
        let mut row = vec![esc(&g.key), g.incidents.to_string()];
        for f in [&g.times.mttd, &g.times.mtta, &g.times.mttm, &g.times.mttr] {
            row.push(figure_cell(f, |f| f.median_secs));
            row.push(figure_cell(f, |f| f.p90_secs));
        }
        rows.push(row);
    }
    times.push_str(&table(
        &[
            "",
            "Incidents",
            "MTTD median",
            "MTTD p90",
            "MTTA median",
            "MTTA p90",
            "MTTM median",
            "MTTM p90",
            "MTTR median",
            "MTTR p90",
        ],
        &rows,
    ));
    section(&mut body, "Response times", None, &times);
    // SLOs.
    if r.slos.is_empty() {
        section(
            &mut body,
            "Uptime against SLOs",
            None,
            "<p>No service has an <code>slo:</code> in .incident.yaml.</p>\n",
        );
    } else {
        let mut slo_html = String::new();
        for slo in &r.slos {
            let days: Vec<String> = slo
                .burn
                .iter()
                .map(|(d, _)| d.format("%m-%d").to_string())
                .collect();
            let series = vec![
                Series {
                    name: "budget spent".into(),
                    colour: RED,
                    values: slo.burn.iter().map(|(_, m)| Some(*m)).collect(),
                },
                Series {
                    name: format!("budget ({})", minutes(slo.budget_minutes)),
                    colour: GREEN,
                    values: slo.burn.iter().map(|_| Some(slo.budget_minutes)).collect(),
                },
            ];
            let desc = format!(
                "{}: {} % promised; {} of downtime allowed over the window, {} spent, {} ({} %) left; uptime {} %.",
                slo.service,
                slo.target_percent,
                minutes(slo.budget_minutes),
                minutes(slo.downtime_minutes),
                minutes(slo.budget_left_minutes),
                slo.budget_left_percent,
                slo.uptime_percent
            );
            slo_html.push_str("<figure class=\"chart\">");
            slo_html.push_str(
                line_chart(
                    &format!("Error budget burn: {}", slo.service),
                    &desc,
                    &days,
                    &series,
                    minutes,
                )?
                .trim_start_matches(|c| c != '<'),
            );
            slo_html.push_str("</figure>\n");
        }
        let rows: Vec<Vec<String>> = r
            .slos
            .iter()
            .map(|s| {
                vec![
                    esc(&s.service),
                    format!("{} %", s.target_percent),
                    format!("{} %", s.uptime_percent),
                    minutes(s.budget_minutes),
                    minutes(s.downtime_minutes),
                    format!(
                        "{} ({} %)",
                        minutes(s.budget_left_minutes),
                        s.budget_left_percent
                    ),
                ]
            })
            .collect();
        slo_html.push_str(&table(
            &["Service", "SLO", "Uptime", "Budget", "Spent", "Left"],
            &rows,
        ));
        section(&mut body, "Uptime against SLOs", None, &slo_html);
    }
    // Communication deadlines.
    let series = vec![
        per_period(r, "kept", GREEN, |t| t.deadlines_kept),
        per_period(r, "missed", RED, |t| t.deadlines_missed),
    ];
    let desc = each_period(r, |t| {
        format!(
            "{}: {} kept, {} missed",
            t.period, t.deadlines_kept, t.deadlines_missed
        )
    });
    let rows: Vec<Vec<String>> = s
        .comms
        .iter()
        .map(|c| {
            vec![
                c.severity.to_string(),
                esc(&c
                    .audience
                    .clone()
                    .unwrap_or_else(|| c.deadline.label().to_string())),
                c.kept.to_string(),
                c.missed.to_string(),
                c.percent.map_or("–".into(), |p| format!("{p:.0} %")),
            ]
        })
        .collect();
    section(
        &mut body,
        "Communication deadlines kept and missed",
        Some(stacked_bars(
            "Deadlines kept and missed",
            &desc,
            &labels,
            &series,
            count,
        )?),
        &table(&["Severity", "Deadline", "Kept", "Missed", "Kept %"], &rows),
    );
    // Action items.
    let series = vec![
        per_period(r, "opened", BLUE, |t| t.actions_opened),
        per_period(r, "closed", GREEN, |t| t.actions_closed),
        per_period(r, "open at the end", PURPLE, |t| t.actions_open_at_end),
    ];
    let desc = each_period(r, |t| {
        format!(
            "{}: {} opened, {} closed, {} open at the end",
            t.period, t.actions_opened, t.actions_closed, t.actions_open_at_end
        )
    });
    let owners: Vec<Vec<String>> = r
        .overdue_by_owner
        .iter()
        .map(|(o, n)| vec![esc(o), n.to_string()])
        .collect();
    let overdue = if owners.is_empty() {
        "<p>No action item is overdue.</p>\n".to_string()
    } else {
        table(&["Owner", "Overdue"], &owners)
    };
    section(
        &mut body,
        "Action items: opened, closed and overdue",
        Some(line_chart("Action items", &desc, &labels, &series, count)?),
        &format!(
            "<p>{} action items, {} open, {} done, {} overdue.</p>\n{overdue}",
            s.actions.total, s.actions.open, s.actions.done, s.actions.overdue
        ),
    );
    // Responders.
    if !r.responders.is_empty() {
        let people: Vec<String> = r.responders.iter().map(|l| l.who.clone()).collect();
        let series = vec![
            Series {
                name: "pages in hours".into(),
                colour: BLUE,
                values: r
                    .responders
                    .iter()
                    .map(|l| Some((l.pages - l.out_of_hours_pages) as f64))
                    .collect(),
            },
            Series {
                name: "out of hours".into(),
                colour: PURPLE,
                values: r
                    .responders
                    .iter()
                    .map(|l| Some(l.out_of_hours_pages as f64))
                    .collect(),
            },
        ];
        let desc = r
            .responders
            .iter()
            .map(|l| {
                format!(
                    "{}: {} pages, {} out of hours",
                    l.who, l.pages, l.out_of_hours_pages
                )
            })
            .collect::<Vec<_>>()
            .join("; ");
        let rows: Vec<Vec<String>> = r
            .responders
            .iter()
            .map(|l| {
                vec![
                    esc(&l.who),
                    l.pages.to_string(),
                    l.out_of_hours_pages.to_string(),
                    esc(&crate::model::format_duration(chrono::Duration::seconds(
                        l.engaged_secs,
                    ))),
                    l.incidents.to_string(),
                    l.commanded.to_string(),
                ]
            })
            .collect();
        section(
            &mut body,
            "Responder load",
            Some(stacked_bars(
                "Pages per person",
                &desc,
                &people,
                &series,
                count,
            )?),
            &table(
                &[
                    "Who",
                    "Pages",
                    "Out of hours",
                    "Engaged",
                    "Incidents",
                    "Commanded",
                ],
                &rows,
            ),
        );
    }
    // Recurrence: the same service and kind again.
    let rows: Vec<Vec<String>> = r
        .recurring
        .iter()
        .map(|g| {
            vec![
                esc(&g.service),
                esc(&g.kind),
                g.incidents.len().to_string(),
                esc(&g.incidents.join(", ")),
            ]
        })
        .collect();
    section(
        &mut body,
        "Recurring incidents (same service and kind)",
        None,
        &if rows.is_empty() {
            "<p>No service had two incidents of one kind.</p>\n".to_string()
        } else {
            table(&["Service", "Kind", "Incidents", "IDs"], &rows)
        },
    );
    Ok(html_page(
        &format!("Reliability report: {}", r.organisation),
        &body,
    ))
}

fn period_word(r: &Report) -> &'static str {
    match r.period {
        crate::trends::Period::Week => "week",
        crate::trends::Period::Month => "month",
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn csv_fields_are_quoted_and_never_formulas() {
        assert_eq!(field("plain"), "plain");
        assert_eq!(field("a,b"), "\"a,b\"");
        assert_eq!(field("say \"hi\""), "\"say \"\"hi\"\"\"");
        assert_eq!(field("=HYPERLINK(\"x\")"), "\"'=HYPERLINK(\"\"x\"\")\"");
        assert_eq!(field("-12.5"), "-12.5");
        assert_eq!(
            csv(&["a", "b"], vec![vec!["1".into(), "x\ny".into()]]),
            "a,b\r\n1,\"x\ny\"\r\n"
        );
    }
}
