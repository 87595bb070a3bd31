//! The timeline chart of one incident, drawn with plotters' SVG backend from a
//! [`Picture`](crate::model::picture::Picture), and the same picture as a Mermaid `gantt` for
//! Markdown readers (GitHub and GitLab draw it inline).
//!
//! Readable without colour: every band carries its value in words where it fits, silences are
//! hatched, a late update is a cross with "late" beside it, and `<desc>` says all of it in
//! sentences for a screen reader. Times on the axis are in the page's time zone, which the axis
//! names. The same picture gives the same bytes.

use crate::model::picture::{Band, Picture};
use crate::model::{ComponentStatus, Severity, Status};
use chrono::{DateTime, Utc};
use chrono_tz::Tz;
use plotters::prelude::*;
use plotters::style::text_anchor::{HPos, Pos, VPos};

const WIDTH: u32 = 960;
const LABELS: i32 = 150;
const RIGHT: i32 = 20;
const TOP: i32 = 44;
const LANE: i32 = 30;
const AXIS: i32 = 46;
/// About how wide a character of the 11 px labels is, to tell whether a band's words fit.
const CHAR: f64 = 6.2;

pub(crate) fn severity_colour(s: Severity) -> RGBColor {
    match s {
        Severity::Sev1 => RGBColor(0xb0, 0x00, 0x20),
        Severity::Sev2 => RGBColor(0xd8, 0x43, 0x15),
        Severity::Sev3 => RGBColor(0xf9, 0xa8, 0x25),
        Severity::Sev4 => RGBColor(0x60, 0x7d, 0x8b),
    }
}

fn status_colour(s: Status) -> RGBColor {
    match s {
        Status::Investigating => RGBColor(0xef, 0x9a, 0x9a),
        Status::Identified => RGBColor(0xff, 0xcc, 0x80),
        Status::Monitoring => RGBColor(0x90, 0xca, 0xf9),
        Status::Resolved => RGBColor(0xa5, 0xd6, 0xa7),
    }
}

fn component_colour(s: ComponentStatus) -> RGBColor {
    match s {
        ComponentStatus::MajorOutage => RGBColor(0xc6, 0x28, 0x28),
        ComponentStatus::PartialOutage => RGBColor(0xef, 0x6c, 0x00),
        ComponentStatus::DegradedPerformance => RGBColor(0xf9, 0xa8, 0x25),
        ComponentStatus::UnderMaintenance => RGBColor(0x15, 0x65, 0xc0),
        ComponentStatus::Operational => RGBColor(0x2e, 0x7d, 0x32),
    }
}

/// Black or white, whichever reads on `fill` (WCAG's relative luminance, split at its middle).
fn ink(fill: RGBColor) -> RGBColor {
    let channel = |c: u8| {
        let c = f64::from(c) / 255.0;
        if c <= 0.03928 {
            c / 12.92
        } else {
            ((c + 0.055) / 1.055).powf(2.4)
        }
    };
    let l = 0.2126 * channel(fill.0) + 0.7152 * channel(fill.1) + 0.0722 * channel(fill.2);
    if l > 0.179 { BLACK } else { WHITE }
}

/// A time on the axis, in `tz`.
fn clock(t: DateTime<Utc>, tz: Tz) -> String {
    t.with_timezone(&tz).format("%H:%M").to_string()
}

/// Minutes between ticks: the first step that gives at most eight.
fn tick_step(span_minutes: i64) -> i64 {
    [
        1, 2, 5, 10, 15, 30, 60, 120, 180, 360, 720, 1440, 2880, 10080,
    ]
    .into_iter()
    .find(|step| span_minutes / step <= 8)
    .unwrap_or(10080)
}

struct Frame {
    from: DateTime<Utc>,
    until: DateTime<Utc>,
}

impl Frame {
    fn x(&self, t: DateTime<Utc>) -> i32 {
        let span = (self.until - self.from).num_seconds().max(1) as f64;
        let at = (t - self.from).num_seconds().clamp(0, span as i64) as f64;
        LABELS + ((f64::from(WIDTH as i32 - LABELS - RIGHT)) * at / span).round() as i32
    }
}

type Area<'a> = DrawingArea<SVGBackend<'a>, plotters::coord::Shift>;

fn text_style(size: i32, colour: RGBColor, h: HPos) -> TextStyle<'static> {
    TextStyle {
        font: ("sans-serif", size).into_font(),
        color: colour.to_backend_color(),
        pos: Pos::new(h, VPos::Center),
    }
}

fn draw<E>(result: Result<(), DrawingAreaErrorKind<E>>) -> anyhow::Result<()>
where
    E: std::error::Error + Send + Sync,
{
    result.map_err(|e| anyhow::anyhow!("cannot draw the chart: {e}"))
}

/// Bands of one lane, each with its words where they fit.
fn bands<T: Copy>(
    area: &Area,
    frame: &Frame,
    top: i32,
    lane: &[Band<T>],
    colour: impl Fn(T) -> RGBColor,
    words: impl Fn(T) -> String,
) -> anyhow::Result<()> {
    for band in lane {
        let (x0, x1) = (
            frame.x(band.from),
            frame.x(band.until).max(frame.x(band.from) + 1),
        );
        let fill = colour(band.value);
        draw(area.draw(&Rectangle::new(
            [(x0, top + 4), (x1, top + LANE - 4)],
            fill.filled(),
        )))?;
        draw(area.draw(&Rectangle::new(
            [(x0, top + 4), (x1, top + LANE - 4)],
            WHITE.stroke_width(1),
        )))?;
        // The words, else their first letters (a narrow band still says what it is).
        let text = words(band.value);
        let short: String = text.chars().take(3).collect();
        let fits = |t: &str| f64::from(x1 - x0) > CHAR * t.chars().count() as f64 + 8.0;
        if let Some(text) = [text.as_str(), short.as_str()]
            .into_iter()
            .find(|t| fits(t))
        {
            draw(area.draw(&Text::new(
                text.to_string(),
                (x0 + 4, top + LANE / 2),
                text_style(11, ink(fill), HPos::Left),
            )))?;
        }
    }
    Ok(())
}

/// The chart as an SVG document: `<title>` and `<desc>` first, then the drawing.
pub fn svg(picture: &Picture, time_zone: &str) -> anyhow::Result<String> {
    let tz: Tz = time_zone.parse().unwrap_or(chrono_tz::UTC);
    let frame = Frame {
        from: picture.from,
        until: picture
            .until
            .max(picture.from + chrono::Duration::minutes(1)),
    };
    let mut lanes: Vec<String> = vec!["Severity".into(), "Status".into()];
    lanes.extend(
        picture
            .components
            .iter()
            .map(|(c, _)| format!("Service {c}")),
    );
    lanes.push("Public updates".into());
    if !picture.handoffs.is_empty() {
        lanes.push("Roles".into());
    }
    if !picture.tasks.is_empty() {
        lanes.push("Tasks done".into());
    }
    let height = TOP + LANE * lanes.len() as i32 + AXIS;
    let mut out = String::new();
    {
        let area = SVGBackend::with_string(&mut out, (WIDTH, height as u32)).into_drawing_area();
        draw(area.fill(&WHITE))?;
        draw(area.draw(&Text::new(
            format!("{} — timeline", one_line(&picture.title)),
            (10, 18),
            text_style(14, BLACK, HPos::Left),
        )))?;
        for (n, name) in lanes.iter().enumerate() {
            let top = TOP + LANE * n as i32;
            draw(area.draw(&Text::new(
                name.clone(),
                (10, top + LANE / 2),
                text_style(11, BLACK, HPos::Left),
            )))?;
            draw(area.draw(&PathElement::new(
                vec![(LABELS, top + LANE), (WIDTH as i32 - RIGHT, top + LANE)],
                RGBColor(0xdd, 0xdd, 0xdd).stroke_width(1),
            )))?;
        }
        let lane_top = |name: &str| {
            lanes
                .iter()
                .position(|l| l == name)
                .map(|n| TOP + LANE * n as i32)
        };
        bands(
            &area,
            &frame,
            TOP,
            &picture.severities,
            severity_colour,
            |s| s.as_str().to_string(),
        )?;
        bands(
            &area,
            &frame,
            TOP + LANE,
            &picture.statuses,
            status_colour,
            |s| s.as_str().to_string(),
        )?;
        for (n, (_, lane)) in picture.components.iter().enumerate() {
            bands(
                &area,
                &frame,
                TOP + LANE * (2 + n as i32),
                lane,
                component_colour,
                |s| s.label().to_lowercase(),
            )?;
        }
        let updates = lane_top("Public updates").unwrap_or(TOP);
        for s in &picture.silences {
            let (x0, x1) = (frame.x(s.from), frame.x(s.until).max(frame.x(s.from) + 1));
            let (y0, y1) = (updates + 6, updates + LANE - 6);
            draw(area.draw(&Rectangle::new(
                [(x0, y0), (x1, y1)],
                RGBColor(0x55, 0x55, 0x55).stroke_width(1),
            )))?;
            // Hatching: readable in black and white.
            // Lines rising at 45° from (x, y1) to (x + h, y0), cut to the box.
            let h = y1 - y0;
            let mut x = x0 - h;
            while x < x1 {
                let start = if x < x0 { (x0, y1 - (x0 - x)) } else { (x, y1) };
                let end = if x + h > x1 {
                    (x1, y0 + (x + h - x1))
                } else {
                    (x + h, y0)
                };
                if start.0 < end.0 {
                    draw(area.draw(&PathElement::new(
                        vec![start, end],
                        RGBColor(0x88, 0x88, 0x88).stroke_width(1),
                    )))?;
                }
                x += 8;
            }
            let words = format!(
                "silence: {} without a public update (next was due {})",
                crate::model::format_duration(s.until - s.from),
                clock(s.due, tz)
            );
            let fits = f64::from(x1 - x0) > CHAR * words.chars().count() as f64;
            let words = if fits { words } else { "silence".to_string() };
            draw(area.draw(&Text::new(
                words,
                (x0 + 2, updates + 2),
                text_style(9, BLACK, HPos::Left),
            )))?;
        }
        for u in picture.updates.iter().filter(|u| u.public) {
            let (x, y) = (frame.x(u.at), updates + LANE / 2);
            if u.late {
                draw(area.draw(&PathElement::new(
                    vec![(x - 5, y - 5), (x + 5, y + 5)],
                    RGBColor(0xb0, 0x00, 0x20).stroke_width(3),
                )))?;
                draw(area.draw(&PathElement::new(
                    vec![(x - 5, y + 5), (x + 5, y - 5)],
                    RGBColor(0xb0, 0x00, 0x20).stroke_width(3),
                )))?;
                draw(area.draw(&Text::new(
                    "late".to_string(),
                    (x + 8, y + 6),
                    text_style(10, RGBColor(0xb0, 0x00, 0x20), HPos::Left),
                )))?;
            } else {
                draw(area.draw(&Circle::new((x, y), 5, RGBColor(0x1b, 0x5e, 0x20).filled())))?;
            }
        }
        if let Some(top) = lane_top("Roles") {
            for (n, h) in picture.handoffs.iter().enumerate() {
                let x = frame.x(h.at);
                draw(area.draw(&PathElement::new(
                    vec![(x, top + 4), (x, top + LANE - 4)],
                    RGBColor(0x4a, 0x14, 0x8c).stroke_width(2),
                )))?;
                let words = format!(
                    "{}: {} → {}",
                    h.role,
                    h.from.as_deref().unwrap_or("nobody"),
                    h.to.as_deref().unwrap_or("nobody")
                );
                // Alternate above and below the middle, so neighbours do not overwrite each other.
                let y = if n % 2 == 0 { top + 10 } else { top + LANE - 8 };
                draw(area.draw(&Text::new(
                    one_line(&words),
                    (x + 4, y),
                    text_style(9, BLACK, HPos::Left),
                )))?;
            }
        }
        if let Some(top) = lane_top("Tasks done") {
            // A label that would run into the one before is left out (the mark stays, and the
            // description lists every task).
            let mut free_from = i32::MIN;
            for t in &picture.tasks {
                let (x, y) = (frame.x(t.at), top + LANE / 2);
                draw(area.draw(&Polygon::new(
                    vec![(x, y - 5), (x + 5, y), (x, y + 5), (x - 5, y)],
                    if t.skipped {
                        RGBColor(0x9e, 0x9e, 0x9e).filled()
                    } else {
                        RGBColor(0x2e, 0x7d, 0x32).filled()
                    },
                )))?;
                let words = format!("#{}{}", t.number, if t.skipped { " skipped" } else { "" });
                if x + 7 >= free_from {
                    free_from = x + 7 + (CHAR * 0.85 * words.chars().count() as f64) as i32 + 4;
                    draw(area.draw(&Text::new(
                        words,
                        (x + 7, y),
                        text_style(9, BLACK, HPos::Left),
                    )))?;
                }
            }
        }
        // The time axis, in the page's zone.
        let axis = TOP + LANE * lanes.len() as i32 + 6;
        draw(area.draw(&PathElement::new(
            vec![(LABELS, axis), (WIDTH as i32 - RIGHT, axis)],
            BLACK.stroke_width(1),
        )))?;
        let span = (frame.until - frame.from).num_minutes().max(1);
        let step = tick_step(span);
        let local = frame.from.with_timezone(&tz);
        let offset = i64::from(local.offset().fix().local_minus_utc()) / 60;
        let minutes = (frame.from.timestamp() / 60) + offset;
        let first = (minutes + step - 1) / step * step;
        let mut tick = first;
        while tick <= minutes + span {
            let t = frame.from + chrono::Duration::minutes(tick - minutes);
            let x = frame.x(t);
            draw(area.draw(&PathElement::new(
                vec![(x, axis), (x, axis + 5)],
                BLACK.stroke_width(1),
            )))?;
            draw(area.draw(&Text::new(
                clock(t, tz),
                (x, axis + 14),
                text_style(10, BLACK, HPos::Center),
            )))?;
            tick += step;
        }
        draw(area.draw(&Text::new(
            format!(
                "{} ({}){}",
                local.format("%Y-%m-%d"),
                tz.name(),
                if picture.open { ", still open" } else { "" }
            ),
            (LABELS, axis + 32),
            text_style(10, RGBColor(0x44, 0x44, 0x44), HPos::Left),
        )))?;
        draw(area.present())?;
    }
    Ok(titled(&out, picture, tz))
}

use chrono::Offset;

/// One line of record text for a label.
fn one_line(text: &str) -> String {
    crate::model::alert::one_line(text, 90)
}

/// The drawing with `<title>` and `<desc>` (what it shows, in sentences) as its first children:
/// an image's accessible name and description.
fn titled(svg: &str, picture: &Picture, tz: Tz) -> String {
    let title = format!("Timeline of {}: {}", picture.id, one_line(&picture.title));
    with_title(svg, &title, &describe(picture, tz))
}

/// The picture in sentences.
pub fn describe(picture: &Picture, tz: Tz) -> String {
    let at = |t: DateTime<Utc>| clock(t, tz);
    let span = |b: DateTime<Utc>, e: DateTime<Utc>| format!("{}–{}", at(b), at(e));
    let mut parts = Vec::new();
    let list = |bands: Vec<String>| bands.join(", ");
    parts.push(format!(
        "Severity: {}.",
        list(
            picture
                .severities
                .iter()
                .map(|b| format!("{} {}", b.value, span(b.from, b.until)))
                .collect()
        )
    ));
    parts.push(format!(
        "Status: {}.",
        list(
            picture
                .statuses
                .iter()
                .map(|b| format!("{} {}", b.value, span(b.from, b.until)))
                .collect()
        )
    ));
    for (c, lane) in &picture.components {
        parts.push(format!(
            "Service {c}: {}.",
            list(
                lane.iter()
                    .map(|b| format!(
                        "{} {}",
                        b.value.label().to_lowercase(),
                        span(b.from, b.until)
                    ))
                    .collect()
            )
        ));
    }
    let public: Vec<String> = picture
        .updates
        .iter()
        .filter(|u| u.public)
        .map(|u| match (u.late, u.due) {
            (true, Some(due)) => format!("{} (late: due {})", at(u.at), at(due)),
            _ => at(u.at),
        })
        .collect();
    parts.push(if public.is_empty() {
        "No public update.".into()
    } else {
        format!("Public updates: {}.", public.join(", "))
    });
    for s in &picture.silences {
        parts.push(format!(
            "Silence {} without a public update (the next was due {}).",
            span(s.from, s.until),
            at(s.due)
        ));
    }
    for h in &picture.handoffs {
        parts.push(format!(
            "{} {}: {} → {}.",
            at(h.at),
            h.role,
            h.from.as_deref().unwrap_or("nobody"),
            h.to.as_deref().unwrap_or("nobody")
        ));
    }
    if !picture.tasks.is_empty() {
        parts.push(format!(
            "Tasks done: {}.",
            picture
                .tasks
                .iter()
                .map(|t| format!(
                    "#{} at {}{}",
                    t.number,
                    at(t.at),
                    if t.skipped { " (skipped)" } else { "" }
                ))
                .collect::<Vec<_>>()
                .join(", ")
        ));
    }
    parts.push(format!("Times in {}.", tz.name()));
    parts.join(" ")
}

/// The picture as a Mermaid `gantt` (for the Markdown post-mortem: GitHub and GitLab draw it).
/// Names are reduced to characters Mermaid takes in a task name.
pub fn mermaid(picture: &Picture, time_zone: &str) -> String {
    let tz: Tz = time_zone.parse().unwrap_or(chrono_tz::UTC);
    let when = |t: DateTime<Utc>| t.with_timezone(&tz).format("%Y-%m-%d %H:%M").to_string();
    let name = |text: &str| -> String {
        let cleaned: String = text
            .chars()
            .map(|c| {
                if c.is_alphanumeric() || " -_.,()/→".contains(c) {
                    c
                } else {
                    ' '
                }
            })
            .collect();
        crate::model::alert::one_line(&cleaned, 60)
    };
    let mut out = String::from("gantt\n");
    out.push_str(&format!(
        "    title {} ({})\n",
        name(&picture.title),
        tz.name()
    ));
    out.push_str("    dateFormat YYYY-MM-DD HH:mm\n    axisFormat %H:%M\n");
    let lane = |out: &mut String,
                section: &str,
                items: Vec<(String, &str, DateTime<Utc>, DateTime<Utc>)>| {
        if items.is_empty() {
            return;
        }
        out.push_str(&format!("    section {}\n", name(section)));
        for (label, tags, from, until) in items {
            let minutes = (until - from).num_minutes().max(1);
            out.push_str(&format!(
                "    {} :{}{}, {}m\n",
                name(&label),
                tags,
                when(from),
                minutes
            ));
        }
    };
    lane(
        &mut out,
        "Severity",
        picture
            .severities
            .iter()
            .map(|b| {
                (
                    b.value.to_string(),
                    if b.value <= Severity::Sev2 {
                        "crit, "
                    } else {
                        ""
                    },
                    b.from,
                    b.until,
                )
            })
            .collect(),
    );
    lane(
        &mut out,
        "Status",
        picture
            .statuses
            .iter()
            .map(|b| (b.value.to_string(), "", b.from, b.until))
            .collect(),
    );
    for (c, bands) in &picture.components {
        lane(
            &mut out,
            &format!("Service {c}"),
            bands
                .iter()
                .map(|b| {
                    (
                        b.value.label().to_string(),
                        if b.value == ComponentStatus::MajorOutage {
                            "crit, "
                        } else {
                            ""
                        },
                        b.from,
                        b.until,
                    )
                })
                .collect(),
        );
    }
    let mut updates: Vec<(String, &str, DateTime<Utc>, DateTime<Utc>)> = picture
        .silences
        .iter()
        .map(|s| ("silence".to_string(), "crit, ", s.from, s.until))
        .collect();
    for u in picture.updates.iter().filter(|u| u.public) {
        updates.push((
            if u.late {
                "update (late)".into()
            } else {
                "update".into()
            },
            if u.late {
                "milestone, crit, "
            } else {
                "milestone, "
            },
            u.at,
            u.at,
        ));
    }
    updates.sort_by_key(|u| u.2);
    lane(&mut out, "Public updates", updates);
    lane(
        &mut out,
        "Roles",
        picture
            .handoffs
            .iter()
            .map(|h| {
                (
                    format!("{} → {}", h.role, h.to.as_deref().unwrap_or("nobody")),
                    "milestone, ",
                    h.at,
                    h.at,
                )
            })
            .collect(),
    );
    out
}

/// One series of a bar or line chart: its name (in the legend), colour and values.
pub struct Series {
    pub name: String,
    pub colour: RGBColor,
    pub values: Vec<Option<f64>>,
}

/// How a chart's values are written on it and its axis.
pub type Format = fn(f64) -> String;

const CHART_W: u32 = 760;
const CHART_H: u32 = 300;
const PLOT_LEFT: i32 = 64;
const PLOT_RIGHT: i32 = 16;
const PLOT_TOP: i32 = 56;
const PLOT_BOTTOM: i32 = 52;

/// Markers that tell line series apart without colour.
fn marker(area: &Area, n: usize, (x, y): (i32, i32), colour: RGBColor) -> anyhow::Result<()> {
    match n % 4 {
        0 => draw(area.draw(&Circle::new((x, y), 4, colour.filled()))),
        1 => draw(area.draw(&Rectangle::new(
            [(x - 4, y - 4), (x + 4, y + 4)],
            colour.filled(),
        ))),
        2 => draw(area.draw(&Polygon::new(
            vec![(x, y - 5), (x + 5, y + 4), (x - 5, y + 4)],
            colour.filled(),
        ))),
        _ => draw(area.draw(&Polygon::new(
            vec![(x, y - 5), (x + 5, y), (x, y + 5), (x - 5, y)],
            colour.filled(),
        ))),
    }
}

/// The frame every report chart shares: title, legend, y axis with gridlines, category labels.
/// Returns the y of a value.
fn frame(
    area: &Area,
    title: &str,
    categories: &[String],
    series: &[Series],
    lines: bool,
    (low, high): (f64, f64),
    format: Format,
) -> anyhow::Result<impl Fn(f64) -> i32 + use<>> {
    let bottom = CHART_H as i32 - PLOT_BOTTOM;
    let span = (high - low).max(f64::EPSILON);
    let y =
        move |v: f64| bottom - (((v - low) / span) * f64::from(bottom - PLOT_TOP)).round() as i32;
    draw(area.fill(&WHITE))?;
    draw(area.draw(&Text::new(
        one_line(title),
        (8, 16),
        text_style(13, BLACK, HPos::Left),
    )))?;
    // The legend: a swatch (or marker) and the name of each series.
    let mut x = 8;
    for (n, s) in series.iter().enumerate() {
        if lines {
            draw(area.draw(&PathElement::new(
                vec![(x, 38), (x + 18, 38)],
                s.colour.stroke_width(2),
            )))?;
            marker(area, n, (x + 9, 38), s.colour)?;
        } else {
            draw(area.draw(&Rectangle::new([(x, 32), (x + 12, 44)], s.colour.filled())))?;
        }
        draw(area.draw(&Text::new(
            s.name.clone(),
            (x + 22, 38),
            text_style(10, BLACK, HPos::Left),
        )))?;
        x += 30 + (CHAR * 0.9 * s.name.chars().count() as f64) as i32;
    }
    // Gridlines and their values: five steps.
    for k in 0..=4 {
        let v = low + span * f64::from(k) / 4.0;
        let at = y(v);
        draw(area.draw(&PathElement::new(
            vec![(PLOT_LEFT, at), (CHART_W as i32 - PLOT_RIGHT, at)],
            RGBColor(0xe0, 0xe0, 0xe0).stroke_width(1),
        )))?;
        draw(area.draw(&Text::new(
            format(v),
            (PLOT_LEFT - 6, at),
            text_style(9, BLACK, HPos::Right),
        )))?;
    }
    // Category labels, thinned to about twelve.
    let every = categories.len().div_ceil(12).max(1);
    for (n, c) in categories
        .iter()
        .enumerate()
        .filter(|(n, _)| n % every == 0)
    {
        let x = slot_centre(n, categories.len());
        draw(area.draw(&Text::new(
            c.clone(),
            (x, bottom + 14),
            text_style(9, BLACK, HPos::Center),
        )))?;
    }
    Ok(y)
}

fn slot_centre(n: usize, count: usize) -> i32 {
    let width = f64::from(CHART_W as i32 - PLOT_LEFT - PLOT_RIGHT) / count.max(1) as f64;
    PLOT_LEFT + (width * (n as f64 + 0.5)).round() as i32
}

fn slot_width(count: usize) -> i32 {
    (f64::from(CHART_W as i32 - PLOT_LEFT - PLOT_RIGHT) / count.max(1) as f64) as i32
}

/// A bar chart, stacked: each category one bar of its series' values, each part labelled where
/// it fits and the total on top.
pub fn stacked_bars(
    title: &str,
    desc: &str,
    categories: &[String],
    series: &[Series],
    format: Format,
) -> anyhow::Result<String> {
    let totals: Vec<f64> = (0..categories.len())
        .map(|n| {
            series
                .iter()
                .filter_map(|s| s.values.get(n).copied().flatten())
                .sum()
        })
        .collect();
    let high = axis_top(totals.iter().copied().fold(0.0, f64::max), true);
    let mut out = String::new();
    {
        let area = SVGBackend::with_string(&mut out, (CHART_W, CHART_H)).into_drawing_area();
        let y = frame(&area, title, categories, series, false, (0.0, high), format)?;
        let half = (slot_width(categories.len()) * 2 / 5).max(2);
        for (n, total) in totals.iter().enumerate() {
            let x = slot_centre(n, categories.len());
            let mut base = 0.0;
            for s in series {
                let v = s.values.get(n).copied().flatten().unwrap_or(0.0);
                if v <= 0.0 {
                    continue;
                }
                let (top, bottom) = (y(base + v), y(base));
                draw(area.draw(&Rectangle::new(
                    [(x - half, top), (x + half, bottom)],
                    s.colour.filled(),
                )))?;
                draw(area.draw(&Rectangle::new(
                    [(x - half, top), (x + half, bottom)],
                    WHITE.stroke_width(1),
                )))?;
                if bottom - top >= 14 && half * 2 >= 16 {
                    draw(area.draw(&Text::new(
                        format(v),
                        (x, (top + bottom) / 2),
                        text_style(9, ink(s.colour), HPos::Center),
                    )))?;
                }
                base += v;
            }
            if *total > 0.0 {
                draw(area.draw(&Text::new(
                    format(*total),
                    (x, y(*total) - 8),
                    text_style(9, BLACK, HPos::Center),
                )))?;
            }
        }
        draw(area.present())?;
    }
    Ok(with_title(&out, title, desc))
}

/// A line chart: each series a line with its own marker; gaps where a value is missing.
pub fn line_chart(
    title: &str,
    desc: &str,
    categories: &[String],
    series: &[Series],
    format: Format,
) -> anyhow::Result<String> {
    let values = series
        .iter()
        .flat_map(|s| s.values.iter().flatten().copied());
    let whole = series
        .iter()
        .flat_map(|s| s.values.iter().flatten())
        .all(|v| v.fract() == 0.0);
    let (mut low, mut high) = values.fold((0.0_f64, 0.0_f64), |(l, h), v| (l.min(v), h.max(v)));
    high = axis_top(high, whole);
    if low < 0.0 {
        low = -axis_top(-low, whole);
    }
    let mut out = String::new();
    {
        let area = SVGBackend::with_string(&mut out, (CHART_W, CHART_H)).into_drawing_area();
        let y = frame(&area, title, categories, series, true, (low, high), format)?;
        if low < 0.0 {
            draw(area.draw(&PathElement::new(
                vec![(PLOT_LEFT, y(0.0)), (CHART_W as i32 - PLOT_RIGHT, y(0.0))],
                BLACK.stroke_width(1),
            )))?;
        }
        // The first series is drawn last, on top: where two lines meet, it shows.
        for (k, s) in series.iter().enumerate().rev() {
            let mut run: Vec<(i32, i32)> = Vec::new();
            let points: Vec<Option<(i32, i32)>> = s
                .values
                .iter()
                .enumerate()
                .map(|(n, v)| v.map(|v| (slot_centre(n, categories.len()), y(v))))
                .collect();
            for p in points.iter().chain(std::iter::once(&None)) {
                match p {
                    Some(p) => run.push(*p),
                    None => {
                        if run.len() > 1 {
                            draw(
                                area.draw(&PathElement::new(run.clone(), s.colour.stroke_width(2))),
                            )?;
                        }
                        run.clear();
                    }
                }
            }
            for p in points.iter().flatten() {
                marker(&area, k, *p, s.colour)?;
            }
        }
        draw(area.present())?;
    }
    Ok(with_title(&out, title, desc))
}

/// The top of an axis of four steps at or above `x`: each step 1, 1.5, 2, 2.5 or 5 times a power of
/// ten (never 2.5 for whole numbers, and never below 1 for them, so every gridline is a count).
fn axis_top(x: f64, whole: bool) -> f64 {
    let x = x.max(if whole { 4.0 } else { 1.0 });
    let raw = x / 4.0;
    let power = 10f64.powf(raw.log10().floor());
    let steps: &[f64] = if whole {
        &[1.0, 2.0, 5.0, 10.0]
    } else {
        &[1.0, 1.5, 2.0, 2.5, 5.0, 10.0]
    };
    let step = steps
        .iter()
        .map(|m| m * power)
        .find(|s| *s >= raw && (!whole || s.fract() == 0.0))
        .unwrap_or(10.0 * power)
        .max(if whole { 1.0 } else { 0.0 });
    4.0 * step
}

/// A chart with its `<title>` and `<desc>`.
fn with_title(svg: &str, title: &str, desc: &str) -> String {
    let Some(open) = svg
        .find("<svg")
        .and_then(|s| svg[s..].find('>').map(|e| s + e))
    else {
        return svg.to_string();
    };
    format!(
        "{} role=\"img\"><title>{}</title><desc>{}</desc>{}",
        &svg[..open],
        super::escape_markup(title),
        super::escape_markup(desc),
        &svg[open + 1..]
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn axes_end_on_round_steps() {
        assert_eq!(axis_top(1.0, true), 4.0);
        assert_eq!(axis_top(7.0, true), 8.0);
        assert_eq!(axis_top(9.0, true), 20.0);
        assert_eq!(axis_top(84.0, false), 100.0);
        assert_eq!(axis_top(0.0, false), 1.0);
        assert_eq!(axis_top(43.2, false), 60.0);
    }

    #[test]
    fn ticks_are_at_most_eight() {
        assert_eq!(tick_step(80), 10);
        assert_eq!(tick_step(8), 1);
        assert_eq!(tick_step(24 * 60), 180);
    }
}
