//! `incident oncall`: who is on call now or at any time, the shifts, overrides, and calendars.

use super::Context;
use crate::model::oncall::Shift;
use crate::ops::oncall::NewOverride;
use crate::output::{Layout, Style};
use crate::table::{Cell, Column, Grid};
use anyhow::Result;
use chrono::{DateTime, Utc};

#[derive(Debug, clap::Args)]
#[command(args_conflicts_with_subcommands = true)]
pub struct Args {
    #[command(subcommand)]
    pub command: Option<OncallCommand>,
    /// who is on call at TIME instead of now (RFC 3339, `YYYY-MM-DD HH:MM`, `HH:MM`, `in 2h`)
    #[arg(long, value_name = "TIME")]
    pub at: Option<String>,
    /// only this rota (`oncall/<name>.yaml`)
    #[arg(long, value_name = "S")]
    pub schedule: Option<String>,
}

#[derive(Debug, clap::Subcommand)]
pub enum OncallCommand {
    /// list the shifts from one time until another
    Shifts {
        /// from (default now)
        #[arg(long, value_name = "TIME")]
        from: Option<String>,
        /// until (default a week after --from)
        #[arg(long, value_name = "TIME")]
        until: Option<String>,
        /// only this rota
        #[arg(long, value_name = "S")]
        schedule: Option<String>,
    },
    /// give a layer of a rota to someone for a while (a swap, cover); one commit
    Override {
        /// the rota
        #[arg(long, value_name = "S")]
        schedule: String,
        /// the layer (default the first)
        #[arg(long, value_name = "NAME")]
        layer: Option<String>,
        /// who takes it
        #[arg(long, value_name = "WHO")]
        who: String,
        #[arg(long, value_name = "TIME")]
        from: String,
        /// a time, or a span after --from (`12h`)
        #[arg(long, value_name = "TIME|SPAN")]
        until: String,
        /// why (kept in the override's file)
        #[arg(long)]
        reason: Option<String>,
    },
    /// write the rotas as iCalendar files (one per rota and one per person)
    Export {
        /// iCalendar (`.ics`), the one format there is
        #[arg(long, required = true)]
        ics: bool,
        /// the folder to write into
        #[arg(long, value_name = "DIR")]
        out: std::path::PathBuf,
        /// from (default a week ago)
        #[arg(long, value_name = "TIME")]
        from: Option<String>,
        /// until (default 90 days after now)
        #[arg(long, value_name = "TIME")]
        until: Option<String>,
    },
}

pub fn run(ctx: &Context, args: Args) -> Result<()> {
    let store = ctx.store()?;
    match args.command {
        None => {
            let at = time_or(ctx, "--at", args.at.as_deref(), ctx.now)?;
            let shifts = crate::ops::oncall::on_call(store, args.schedule.as_deref(), at)?;
            show(ctx, &shifts, "UNTIL")
        }
        Some(OncallCommand::Shifts {
            from,
            until,
            schedule,
        }) => {
            let from = time_or(ctx, "--from", from.as_deref(), ctx.now)?;
            let until = until_arg(ctx, until.as_deref(), from, chrono::Duration::days(7))?;
            let shifts = crate::ops::oncall::shifts(store, schedule.as_deref(), from, until)?;
            show(ctx, &shifts, "FROM")
        }
        Some(OncallCommand::Override {
            schedule,
            layer,
            who,
            from,
            until,
            reason,
        }) => {
            let from = ctx.planned_arg("--from", &from)?;
            let until = until_arg(ctx, Some(&until), from, chrono::Duration::zero())?;
            let input = NewOverride {
                schedule,
                layer,
                who,
                from,
                until,
                reason,
            };
            let (commit, path, warnings) =
                crate::ops::oncall::give(store, &super::actor(ctx)?, input.clone())?;
            for w in warnings {
                crate::say!("warning: {w}");
            }
            if ctx.out.json {
                return ctx.out.json(&serde_json::json!({
                    "commit": commit,
                    "path": path,
                    "schedule": input.schedule,
                    "layer": input.layer,
                    "who": input.who,
                    "from": input.from,
                    "until": input.until,
                }));
            }
            ctx.out.line(format!(
                "{}: {} on call from {} until {} [{commit}]",
                input.schedule,
                ctx.out.paint(&input.who, Style::Bold),
                ctx.out.time_labelled(input.from),
                ctx.out.time_labelled(input.until)
            ))
        }
        Some(OncallCommand::Export {
            ics: _,
            out,
            from,
            until,
        }) => {
            let from = time_or(
                ctx,
                "--from",
                from.as_deref(),
                ctx.now - chrono::Duration::days(7),
            )?;
            let until = until_arg(ctx, until.as_deref(), ctx.now, chrono::Duration::days(90))?;
            let out = if out.is_absolute() {
                out
            } else {
                ctx.dir.join(out)
            };
            let written =
                crate::ops::oncall::export_ics(store, &out, from, until, ctx.home.as_deref())?;
            if ctx.out.json {
                return ctx.out.json(&written);
            }
            ctx.out.line(format!(
                "wrote {} calendar(s) to {}",
                written.len(),
                out.display()
            ))
        }
    }
}

/// A TIME flag, or `default` when it is not given.
fn time_or(
    ctx: &Context,
    flag: &str,
    text: Option<&str>,
    default: DateTime<Utc>,
) -> Result<DateTime<Utc>> {
    text.map_or(Ok(default), |t| ctx.planned_arg(flag, t))
}

/// Shifts as JSON for machines, else as a table.
fn show(ctx: &Context, shifts: &[Shift], time: &str) -> Result<()> {
    if ctx.out.json {
        return ctx.out.json(&shifts);
    }
    table(ctx, shifts, time)
}

/// `--until` as a time or a span after `from`; `default` after `from` when not given.
fn until_arg(
    ctx: &Context,
    text: Option<&str>,
    from: DateTime<Utc>,
    default: chrono::Duration,
) -> Result<DateTime<Utc>> {
    match text {
        None => Ok(from + default),
        Some(t) => match t.parse::<crate::model::Span>() {
            Ok(span) => Ok(from + span.to_chrono()),
            Err(_) => ctx.planned_arg("--until", t),
        },
    }
}

fn table(ctx: &Context, shifts: &[Shift], time: &str) -> Result<()> {
    if shifts.is_empty() {
        return ctx
            .out
            .line("nobody is on call then: the rotas start later");
    }
    let zone = ctx.out.zone_of(shifts.iter().map(|s| s.from));
    let mut columns = vec![
        // Who and when matter most; the rota, then the layer, go first on a narrow terminal.
        Column::drop("ROTA", 4),
        Column::drop("LAYER", 3),
        Column::shrink("WHO", 8, 1),
    ];
    if time == "FROM" {
        columns.push(Column::keep(&format!("FROM ({zone})")));
    }
    columns.push(Column::keep(&format!("UNTIL ({zone})")));
    let any_override = shifts.iter().any(|s| s.overridden);
    if any_override {
        columns.push(Column::drop("NOTE", 5));
    }
    let mut grid = Grid::new(columns);
    let config = ctx.store()?.config();
    for s in shifts {
        let mut row: Vec<Cell> = vec![
            s.schedule.as_str().into(),
            s.layer.as_str().into(),
            Cell::styled(config.display_name(&s.who).to_string(), Style::Bold),
        ];
        if time == "FROM" {
            row.push(ctx.out.time_in_zone(s.from).into());
        }
        row.push(ctx.out.time_in_zone(s.until).into());
        if any_override {
            row.push(if s.overridden { "override" } else { "" }.into());
        }
        grid.row(row);
    }
    ctx.out.grid(&grid, Layout::Fit)
}
