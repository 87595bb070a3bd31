//! `incident templates list|export`: which templates render what, and copies of the built-ins to
//! customise in the incident repo's `templates/`.

use super::Context;
use crate::output::Layout;
use crate::render::{BUILTIN, Renderer, Source, TEMPLATES_DIR};
use crate::store::write_atomically;
use crate::table::{Column, Grid};
use anyhow::{Result, bail};

#[derive(Debug, clap::Args)]
pub struct Args {
    #[command(subcommand)]
    pub command: TemplatesCommand,
}

#[derive(Debug, clap::Subcommand)]
pub enum TemplatesCommand {
    /// show every template and where it comes from
    List,
    /// copy built-in templates into the repo's templates/ to customise them
    Export {
        /// one template (default: all)
        name: Option<String>,
        /// overwrite a file that already exists
        #[arg(long)]
        force: bool,
    },
}

pub fn run(ctx: &Context, args: Args) -> Result<()> {
    let store = ctx.store()?;
    let renderer = Renderer::new(Some(store.root()), store.config());
    match args.command {
        TemplatesCommand::List => {
            let rows: Vec<(String, Source)> = renderer
                .names()
                .into_iter()
                .map(|n| {
                    let s = renderer.source_of(&n);
                    (n, s)
                })
                .collect();
            if ctx.out.json {
                let json: Vec<_> = rows
                    .iter()
                    .map(|(n, s)| serde_json::json!({ "name": n, "from": s }))
                    .collect();
                return ctx.out.json(&json);
            }
            let mut grid = Grid::new(vec![
                Column::keep("TEMPLATE"),
                Column::shrink("FROM", 10, 1),
            ]);
            for (name, source) in rows {
                let from = match source {
                    Source::BuiltIn => "built-in".to_string(),
                    Source::Repo(path) => path
                        .strip_prefix(store.root())
                        .unwrap_or(&path)
                        .display()
                        .to_string(),
                };
                grid.row(vec![name.into(), from.into()]);
            }
            ctx.out.grid(&grid, Layout::Fit)
        }
        TemplatesCommand::Export { name, force } => {
            let wanted: Vec<&(&str, &str)> = match &name {
                None => BUILTIN.iter().collect(),
                Some(n) => {
                    let full = renderer.resolve_name(n)?;
                    match BUILTIN.iter().find(|(b, _)| *b == full) {
                        Some(found) => vec![found],
                        None => bail!(
                            "`{full}` is not a built-in template, so there is nothing to export"
                        ),
                    }
                }
            };
            let dir = store.root().join(TEMPLATES_DIR);
            refuse_outside_repo(store.root(), &dir)?;
            for (name, source) in wanted {
                let path = dir.join(format!("{name}.j2"));
                if path.is_symlink() {
                    bail!(
                        "refusing to export to `{}`: it is a symbolic link, and exports are written only inside the repo; remove the link first",
                        path.display()
                    );
                }
                if path.exists() && !force {
                    ctx.out.line(format!(
                        "kept {} (exists; --force to overwrite)",
                        path.display()
                    ))?;
                    continue;
                }
                write_atomically(&path, source.as_bytes())?;
                ctx.out.line(format!("exported {}", path.display()))?;
            }
            ctx.out.line(
                "edit them, then commit: the repo's templates/ overrides the built-ins by name",
            )
        }
    }
}

/// `templates/` must be a folder of the repo itself: a symbolic link to elsewhere would make an
/// export write outside the repo.
fn refuse_outside_repo(root: &std::path::Path, dir: &std::path::Path) -> Result<()> {
    if !dir.exists() {
        return Ok(());
    }
    let real = std::fs::canonicalize(dir)?;
    if !real.starts_with(root) || dir.is_symlink() {
        bail!(
            "refusing to export into `{}`: it leads to `{}`, outside the repo; exports are written only inside the repo, so make `{TEMPLATES_DIR}/` a plain folder",
            dir.display(),
            real.display()
        );
    }
    Ok(())
}
