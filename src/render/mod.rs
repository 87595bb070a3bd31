//! Rendering documents with minijinja: status updates per channel, the status page, the Atom feed
//! and post-mortems.
//!
//! Built-in templates live in `templates/` of this project and are compiled into the binary; an
//! incident repo overrides any of them by putting a file of the same name in its own `templates/`.
//! Templates are looked up only there and among the built-ins: names with `..` or an absolute path
//! are refused, so a template cannot read other files. Undefined names are errors, and every error
//! names the template and line. HTML and Atom templates auto-escape; markdown and text do not.

pub mod chart;
pub mod context;
mod filters;
#[cfg(test)]
mod fuzz;
pub mod ics;
pub mod publish;
pub mod report;

use crate::model::Config;
use minijinja::{AutoEscape, Environment, UndefinedBehavior};
use serde::Serialize;
use std::path::{Path, PathBuf};

/// The built-in templates: name (as used by `--template` and for overrides, plus `.j2` on disk) and
/// source.
pub const BUILTIN: &[(&str, &str)] = &[
    (
        "update-body.txt",
        include_str!("../../templates/update-body.txt.j2"),
    ),
    (
        "update-status-page.md",
        include_str!("../../templates/update-status-page.md.j2"),
    ),
    (
        "update-email.txt",
        include_str!("../../templates/update-email.txt.j2"),
    ),
    (
        "update-in-app.txt",
        include_str!("../../templates/update-in-app.txt.j2"),
    ),
    (
        "update-chat.md",
        include_str!("../../templates/update-chat.md.j2"),
    ),
    ("status.md", include_str!("../../templates/status.md.j2")),
    (
        "brief-handoff.md",
        include_str!("../../templates/brief-handoff.md.j2"),
    ),
    (
        "brief-exec.md",
        include_str!("../../templates/brief-exec.md.j2"),
    ),
    ("index.html", include_str!("../../templates/index.html.j2")),
    (
        "history.html",
        include_str!("../../templates/history.html.j2"),
    ),
    (
        "incident.html",
        include_str!("../../templates/incident.html.j2"),
    ),
    ("style.css", include_str!("../../templates/style.css.j2")),
    ("feed.atom", include_str!("../../templates/feed.atom.j2")),
    (
        "history.rss",
        include_str!("../../templates/history.rss.j2"),
    ),
    (
        "postmortem.md",
        include_str!("../../templates/postmortem.md.j2"),
    ),
    (
        "postmortem-public.md",
        include_str!("../../templates/postmortem-public.md.j2"),
    ),
    (
        "postmortem-short.md",
        include_str!("../../templates/postmortem-short.md.j2"),
    ),
    (
        "postmortem-pagerduty.md",
        include_str!("../../templates/postmortem-pagerduty.md.j2"),
    ),
];

/// Where the templates of an incident repo live.
pub const TEMPLATES_DIR: &str = "templates";

#[derive(Debug, thiserror::Error)]
pub enum RenderError {
    #[error("unknown template `{name}`: the templates are {}", known.join(", "))]
    UnknownTemplate { name: String, known: Vec<String> },
    #[error("template `{file}`{}: {message}", line.map(|l| format!(" line {l}")).unwrap_or_default())]
    Template {
        file: String,
        line: Option<usize>,
        message: String,
    },
}

/// Where a template comes from.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase", tag = "source", content = "path")]
pub enum Source {
    BuiltIn,
    Repo(PathBuf),
}

pub struct Renderer {
    env: Environment<'static>,
    repo_templates: Option<PathBuf>,
    /// How large one rendered file may grow ([`MAX_OUTPUT`]; smaller in tests of the limit).
    max_output: usize,
}

impl Renderer {
    /// A renderer reading overrides from `repo_root/templates` (if given) and the built-ins.
    pub fn new(repo_root: Option<&Path>, config: &Config) -> Renderer {
        let repo_templates = repo_root.map(|r| r.join(TEMPLATES_DIR));
        let mut env = Environment::new();
        env.set_undefined_behavior(UndefinedBehavior::Strict);
        // A runaway loop in a repo's template stops here, in seconds, naming the template.
        env.set_fuel(Some(FUEL));
        env.set_syntax(
            minijinja::syntax::SyntaxConfig::builder()
                .trim_blocks(true)
                .lstrip_blocks(true)
                .keep_trailing_newline(true)
                .build()
                .expect("static syntax config is valid"),
        );
        env.set_auto_escape_callback(|name| {
            let name = name.trim_end_matches(".j2");
            if [".html", ".htm", ".atom", ".rss", ".xml"]
                .iter()
                .any(|ext| name.ends_with(ext))
            {
                AutoEscape::Html
            } else if name.ends_with(".md") {
                AutoEscape::Custom("markdown".into())
            } else {
                AutoEscape::None
            }
        });
        env.set_formatter(|out, state, value| {
            let plain = value.is_safe() || value.is_none();
            let text = match state.auto_escape() {
                AutoEscape::Html if !plain => escape_markup(&value.to_string()),
                AutoEscape::Custom(name)
                    if name == "markdown" && !plain && value.as_str().is_some() =>
                {
                    escape_markdown(&value.to_string())
                }
                // Numbers, booleans and safe strings go out as they are.
                AutoEscape::Custom(_) => value.to_string(),
                _ => return minijinja::escape_formatter(out, state, value),
            };
            out.write_str(&text).map_err(|e| {
                minijinja::Error::new(minijinja::ErrorKind::WriteFailure, e.to_string())
            })
        });
        let dir = repo_templates.clone();
        env.set_loader(move |name| {
            if !safe_name(name) {
                return Ok(None);
            }
            if let Some(dir) = &dir {
                for candidate in [dir.join(format!("{name}.j2")), dir.join(name)] {
                    if candidate.is_file() {
                        confined(dir, &candidate)?;
                        let text = std::fs::read_to_string(&candidate).map_err(|e| {
                            minijinja::Error::new(
                                minijinja::ErrorKind::InvalidOperation,
                                format!("cannot read `{}`: {e}", candidate.display()),
                            )
                        })?;
                        return Ok(Some(text));
                    }
                }
            }
            Ok(BUILTIN
                .iter()
                .find(|(n, _)| *n == name)
                .map(|(_, src)| src.to_string()))
        });
        filters::register(&mut env, config);
        Renderer {
            env,
            repo_templates,
            max_output: MAX_OUTPUT,
        }
    }

    /// The same renderer with another instruction budget, for tests of the limit.
    #[cfg(test)]
    fn with_fuel(mut self, fuel: u64) -> Renderer {
        self.env.set_fuel(Some(fuel));
        self
    }

    /// The same renderer with another output limit, for tests of the limit.
    #[cfg(test)]
    fn with_max_output(mut self, bytes: usize) -> Renderer {
        self.max_output = bytes;
        self
    }

    /// Turns `postmortem-short` or `postmortem-short.md` into the template's full name.
    pub fn resolve_name(&self, wanted: &str) -> Result<String, RenderError> {
        let names = self.names();
        let wanted = wanted.trim_end_matches(".j2");
        if let Some(n) = names.iter().find(|n| n.as_str() == wanted) {
            return Ok(n.clone());
        }
        let stems: Vec<&String> = names
            .iter()
            .filter(|n| n.split('.').next() == Some(wanted))
            .collect();
        match stems.as_slice() {
            [one] => Ok((*one).clone()),
            _ => Err(RenderError::UnknownTemplate {
                name: wanted.to_string(),
                known: names,
            }),
        }
    }

    /// Built-in names plus any extra templates the repo defines, sorted.
    pub fn names(&self) -> Vec<String> {
        let mut names: Vec<String> = BUILTIN.iter().map(|(n, _)| n.to_string()).collect();
        if let Some(dir) = &self.repo_templates
            && let Ok(entries) = std::fs::read_dir(dir)
        {
            for e in entries.flatten() {
                let file = e.file_name().to_string_lossy().into_owned();
                let name = file.trim_end_matches(".j2").to_string();
                if e.path().is_file() && !file.starts_with('.') && !names.contains(&name) {
                    names.push(name);
                }
            }
        }
        names.sort();
        names
    }

    pub fn source_of(&self, name: &str) -> Source {
        if let Some(dir) = &self.repo_templates {
            for candidate in [dir.join(format!("{name}.j2")), dir.join(name)] {
                if candidate.is_file() {
                    return Source::Repo(candidate);
                }
            }
        }
        Source::BuiltIn
    }

    pub fn render<S: Serialize>(&self, name: &str, context: S) -> Result<String, RenderError> {
        // Named only when something failed: looking it up costs two file-system calls, and the
        // status page renders thousands of times.
        let file = || match self.source_of(name) {
            Source::Repo(path) => path.display().to_string(),
            Source::BuiltIn => format!("{name}.j2 (built-in)"),
        };
        let template = self.env.get_template(name).map_err(|e| {
            if e.kind() == minijinja::ErrorKind::TemplateNotFound {
                RenderError::UnknownTemplate {
                    name: name.to_string(),
                    known: self.names(),
                }
            } else {
                template_error(&file(), &e)
            }
        })?;
        let mut out = Bounded(Vec::new(), self.max_output);
        match template.render_captured_to(minijinja::value::Serde(&context), &mut out) {
            Ok(_) => match String::from_utf8(out.0) {
                // Whatever a record carries, no page, feed or document shows a control or hidden
                // character as it is (XML 1.0 forbids most of them outright).
                Ok(text) => Ok(match crate::model::make_visible(&text) {
                    std::borrow::Cow::Borrowed(_) => text,
                    std::borrow::Cow::Owned(visible) => visible,
                }),
                Err(e) => Err(RenderError::Template {
                    file: file(),
                    line: None,
                    message: e.to_string(),
                }),
            },
            Err(e) if e.kind() == minijinja::ErrorKind::WriteFailure => {
                Err(RenderError::Template {
                    file: file(),
                    line: None,
                    message: format!(
                        "the output grew past {} MB; a template loop that never ends?",
                        self.max_output >> 20
                    ),
                })
            }
            Err(e) => Err(template_error(&file(), &e)),
        }
    }
}

/// How many instructions one render may run. Measured on the example repo: about 400 per incident
/// on the history page and 7,000 for a whole index page, so 100,000 incidents published over ten
/// years take some 40 million; a loop that never ends runs out in about two seconds (release).
const FUEL: u64 = 100_000_000;

/// How large one rendered file may grow (the history page of 100,000 incidents is a few MB).
const MAX_OUTPUT: usize = 64 << 20;

/// The rendered bytes, refused past [`MAX_OUTPUT`] so a runaway template never exhausts memory.
struct Bounded(Vec<u8>, usize);

impl std::io::Write for Bounded {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        if self.0.len() + buf.len() > self.1 {
            return Err(std::io::Error::other("output too large"));
        }
        self.0.extend_from_slice(buf);
        Ok(buf.len())
    }

    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

/// A self-contained HTML page around `body` (already HTML): inline CSS, nothing fetched, laid
/// out for a screen of any width and for printing to PDF.
pub fn html_page(title: &str, body: &str) -> String {
    // What may scroll sideways on a phone (a wide table, a chart) can be reached and scrolled
    // from the keyboard too.
    let body = body
        .replace(
            "<table>",
            "<div class=\"scroll\" tabindex=\"0\" role=\"region\" aria-label=\"Table (scrolls sideways)\"><table>",
        )
        .replace("</table>", "</table></div>")
        .replace(
            "<figure class=\"chart\">",
            "<figure class=\"chart\" tabindex=\"0\">",
        );
    format!(
        r#"<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>{title}</title>
<style>
body {{ font: 16px/1.5 system-ui, -apple-system, "Segoe UI", Roboto, sans-serif; color: #1a1a1a; background: #fff; margin: 0; }}
main {{ max-width: 60rem; margin: 0 auto; padding: 1.5rem; }}
h1 {{ font-size: 1.8rem; line-height: 1.25; }}
h2 {{ font-size: 1.35rem; margin-top: 2rem; border-bottom: 1px solid #ddd; padding-bottom: .2rem; }}
.scroll {{ overflow-x: auto; }}
table {{ border-collapse: collapse; width: 100%; font-size: .9rem; }}
th, td {{ border: 1px solid #ccc; padding: .3rem .5rem; text-align: left; vertical-align: top; }}
th {{ background: #f3f3f3; }}
code {{ font-family: ui-monospace, SFMono-Regular, Menlo, monospace; font-size: .9em; background: #f3f3f3; padding: 0 .2em; }}
figure.chart {{ margin: 1rem 0; overflow-x: auto; }}
figure.chart svg {{ max-width: 100%; height: auto; min-width: 36rem; }}
a {{ color: #0b57d0; }}
@media print {{
  body {{ font-size: 11pt; }}
  main {{ max-width: none; padding: 0; }}
  h2 {{ break-after: avoid; }}
  table, figure {{ break-inside: avoid; }}
  figure.chart svg {{ min-width: 0; }}
  .scroll {{ overflow: visible; }}
  a {{ color: inherit; text-decoration: none; }}
}}
</style>
</head>
<body>
<main>
{body}</main>
</body>
</html>
"#,
        title = escape_markup(title),
    )
}

/// HTML and XML escaping of the five markup characters. Unlike minijinja's default it leaves `/`
/// alone, so published links and Atom IDs read `https://...` rather than `https:&#x2f;&#x2f;...`.
pub(crate) fn escape_markup(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            other => out.push(other),
        }
    }
    out
}

/// Text from records placed in Markdown renders as that text in every renderer (CommonMark, GitHub,
/// Python-Markdown): raw HTML and entities become visible characters, `[...]` cannot form a link (so
/// no `javascript:` link either), `|` cannot end a table cell, and a line cannot turn into a heading,
/// quote, rule, list, code block (fenced or indented) or HTML block by how it starts.
pub fn escape_markdown(text: &str) -> String {
    let mut out = String::with_capacity(text.len() + 8);
    for (n, line) in text.split('\n').enumerate() {
        if n > 0 {
            out.push('\n');
        }
        let body = line.trim_start_matches([' ', '\t']);
        let indent = &line[..line.len() - body.len()];
        // Four columns of indent would make an indented code block: three keep the text a text.
        let width: usize = indent.chars().map(|c| if c == '\t' { 4 } else { 1 }).sum();
        out.push_str(if width >= 4 && !body.is_empty() {
            "   "
        } else {
            indent
        });
        if starts_block(body) {
            out.push('\\');
        }
        for c in body.chars() {
            match c {
                '&' => out.push_str("&amp;"),
                '<' => out.push_str("&lt;"),
                '>' => out.push_str("&gt;"),
                '\\' | '[' | ']' | '|' | '`' => {
                    out.push('\\');
                    out.push(c);
                }
                other => out.push(other),
            }
        }
    }
    out
}

/// Whether a line starting with `body` would be read as a heading, list item, rule or setext
/// underline rather than as text (`>` is escaped as an entity anyway).
fn starts_block(body: &str) -> bool {
    let after = |prefix_len: usize| body[prefix_len..].chars().next();
    let spaced = |c: Option<char>| matches!(c, None | Some(' ' | '\t'));
    let only = |set: &[char]| {
        !body.is_empty()
            && body
                .chars()
                .all(|c| set.contains(&c) || c == ' ' || c == '\t')
    };
    match body.chars().next() {
        Some('#') => {
            let hashes = body.len() - body.trim_start_matches('#').len();
            hashes <= 6 && spaced(after(hashes))
        }
        Some('-' | '+' | '*') => spaced(after(1)) || only(&['-']) || only(&['*']),
        Some('=') => only(&['=']),
        // `___` is a thematic break, `~~~` opens a fenced code block.
        Some('_') => only(&['_']),
        Some('~') => body.starts_with("~~~"),
        Some(c) if c.is_ascii_digit() => {
            let digits = body.len() - body.trim_start_matches(|c: char| c.is_ascii_digit()).len();
            body[digits..].starts_with(['.', ')']) && spaced(after(digits + 1))
        }
        _ => false,
    }
}

fn template_error(file: &str, e: &minijinja::Error) -> RenderError {
    // An error inside an included template names that template.
    let file = match e.name() {
        Some(inner) if !file.starts_with(inner) && !file.contains(&format!("/{inner}")) => {
            inner.to_string()
        }
        _ => file.to_string(),
    };
    let mut message = e.kind().to_string();
    if let Some(detail) = e.detail() {
        message.push_str(": ");
        message.push_str(detail);
    }
    RenderError::Template {
        file,
        line: e.line(),
        message,
    }
}

/// A repo template must be a regular file inside the templates folder, after symlinks are resolved:
/// a template could otherwise include `/etc/passwd` or a secret the CI job can read.
fn confined(dir: &Path, candidate: &Path) -> Result<(), minijinja::Error> {
    let refuse = |why: String| {
        Err(minijinja::Error::new(
            minijinja::ErrorKind::InvalidOperation,
            why,
        ))
    };
    let is_link = |p: &Path| std::fs::symlink_metadata(p).is_ok_and(|m| m.file_type().is_symlink());
    if is_link(dir) {
        return refuse(format!(
            "`{}` is a symlink; templates must be real files in the repo's templates/ folder",
            dir.display()
        ));
    }
    if is_link(candidate) {
        return refuse(format!(
            "template `{}` is a symlink; copy the file into templates/ instead",
            candidate.display()
        ));
    }
    let (Ok(real_dir), Ok(real)) = (std::fs::canonicalize(dir), std::fs::canonicalize(candidate))
    else {
        return refuse(format!("cannot resolve `{}`", candidate.display()));
    };
    if !real.starts_with(&real_dir) {
        return refuse(format!(
            "template `{}` resolves to `{}`, outside the templates folder",
            candidate.display(),
            real.display()
        ));
    }
    Ok(())
}

fn safe_name(name: &str) -> bool {
    !name.is_empty()
        && !name.contains("..")
        && !name.contains('\\')
        && !name.starts_with('/')
        && !name.contains(':')
        && Path::new(name)
            .components()
            .all(|c| matches!(c, std::path::Component::Normal(_)))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn template_names_cannot_escape_the_template_folders() {
        for bad in ["../secret", "/etc/passwd", "a/../../b", "C:\\x", "..", ""] {
            assert!(!safe_name(bad), "{bad}");
        }
        assert!(safe_name("partials/footer.md"));
    }

    #[test]
    fn a_runaway_loop_runs_out_of_fuel_naming_the_template() {
        let dir = tempfile::tempdir().unwrap();
        std::fs::create_dir_all(dir.path().join("templates")).unwrap();
        std::fs::write(
            dir.path().join("templates/status.md.j2"),
            "{% for a in range(100000) %}{% for b in range(100000) %}{% endfor %}{% endfor %}",
        )
        .unwrap();
        let r = Renderer::new(Some(dir.path()), &Config::new("x")).with_fuel(100_000);
        let err = r.render("status.md", ()).unwrap_err().to_string();
        assert!(
            err.contains("templates/status.md.j2") && err.contains("out of fuel"),
            "{err}"
        );
        // The real budget is far above what the built-in pages use (hundreds per incident).
        let fine = Renderer::new(Some(dir.path()), &Config::new("x")).with_fuel(FUEL);
        std::fs::write(
            dir.path().join("templates/status.md.j2"),
            "{% for a in range(10000) %}{{ a }}{% endfor %}",
        )
        .unwrap();
        assert!(fine.render("status.md", ()).is_ok());
    }

    #[test]
    fn undefined_names_fail_with_template_and_line() {
        let dir = tempfile::tempdir().unwrap();
        std::fs::create_dir_all(dir.path().join("templates")).unwrap();
        std::fs::write(
            dir.path().join("templates/broken.md.j2"),
            "line one\n{{ incident.titel }}\n",
        )
        .unwrap();
        let r = Renderer::new(Some(dir.path()), &Config::new("x"));
        #[derive(Serialize)]
        struct Ctx {
            incident: std::collections::BTreeMap<String, String>,
        }
        let err = r
            .render(
                "broken.md",
                Ctx {
                    incident: Default::default(),
                },
            )
            .unwrap_err()
            .to_string();
        assert!(
            err.contains("broken.md.j2") && err.contains("line 2"),
            "{err}"
        );
    }

    #[test]
    fn templates_that_reach_outside_through_symlinks_are_refused() {
        let dir = tempfile::tempdir().unwrap();
        let outside = dir.path().join("secret.txt");
        std::fs::write(&outside, "hunter2").unwrap();
        let templates = dir.path().join("repo/templates");
        std::fs::create_dir_all(templates.join("partials")).unwrap();
        std::os::unix::fs::symlink(&outside, templates.join("linked.md.j2")).unwrap();
        std::fs::write(
            templates.join("includer.md.j2"),
            "{% include \"escape/secret.txt\" %}",
        )
        .unwrap();
        std::os::unix::fs::symlink(dir.path(), templates.join("escape")).unwrap();
        let r = Renderer::new(Some(&dir.path().join("repo")), &Config::new("x"));
        let ctx = minijinja::context! {};
        let err = r.render("linked.md", &ctx).unwrap_err().to_string();
        assert!(err.contains("symlink"), "{err}");
        let err = r.render("includer.md", &ctx).unwrap_err().to_string();
        assert!(err.contains("outside the templates folder"), "{err}");
        assert!(!err.contains("hunter2"));
    }

    /// Record text placed in Markdown, read back by a CommonMark parser: only paragraphs and text,
    /// whatever block structure the text tries to start.
    #[test]
    fn record_text_never_makes_markdown_structure() {
        use pulldown_cmark::{Event, Options, Parser, Tag};
        let hostile = [
            "___",
            "_ _ _",
            "* * *",
            "- - -",
            "~~~\ncode\n~~~",
            "```\ncode\n```",
            "    indented code",
            "\tindented code",
            "text\n\n        indented after a blank line",
            "<div>html block</div>",
            "<!-- comment -->",
            "| a | b |\n| --- | --- |\n| 1 | 2 |",
            "a | b\n--- | ---",
            "# heading",
            "heading\n===",
            "heading\n---",
            "> quote",
            "- item",
            "+ item",
            "1. item",
            "1) item",
            "[ref]: https://evil.example",
            "<https://evil.example>",
        ];
        for text in hostile {
            let escaped = escape_markdown(text);
            for event in Parser::new_ext(&escaped, Options::all()) {
                match event {
                    Event::Start(Tag::Paragraph)
                    | Event::End(_)
                    | Event::Text(_)
                    | Event::SoftBreak
                    | Event::HardBreak => {}
                    Event::Start(Tag::Emphasis | Tag::Strong) => {}
                    other => panic!("{text:?} became {other:?} as {escaped:?}"),
                }
            }
        }
    }

    #[test]
    fn html_and_markdown_both_escape_record_text() {
        let dir = tempfile::tempdir().unwrap();
        std::fs::create_dir_all(dir.path().join("templates")).unwrap();
        std::fs::write(dir.path().join("templates/x.html.j2"), "{{ v }}").unwrap();
        std::fs::write(dir.path().join("templates/x.md.j2"), "{{ v }}").unwrap();
        let r = Renderer::new(Some(dir.path()), &Config::new("x"));
        let ctx = minijinja::context! { v => "<b>&</b>" };
        assert_eq!(
            r.render("x.html", &ctx).unwrap(),
            "&lt;b&gt;&amp;&lt;/b&gt;"
        );
        assert_eq!(r.render("x.md", &ctx).unwrap(), "&lt;b&gt;&amp;&lt;/b&gt;");
        assert!(r.render("../x.md", &ctx).is_err());
        let hostile = minijinja::context! {
            v => "# owned\n[click](javascript:alert(1)) | cell\n---\n1. item <img src=x onerror=alert(1)>"
        };
        assert_eq!(
            r.render("x.md", &hostile).unwrap(),
            "\\# owned\n\\[click\\](javascript:alert(1)) \\| cell\n\\---\n\\1. item &lt;img src=x onerror=alert(1)&gt;"
        );
        let plain = minijinja::context! { v => "API error rate 5% on EU-west; retries: 3" };
        assert_eq!(
            r.render("x.md", &plain).unwrap(),
            "API error rate 5% on EU-west; retries: 3",
            "ordinary text is left as it reads"
        );
    }

    mod fuzz {
        use super::*;
        use proptest::prelude::*;

        /// Template source built from the pieces template authors use, in any order.
        fn template_source() -> impl Strategy<Value = String> {
            let piece = prop_oneof![
                Just("{{ ".to_string()),
                Just(" }}".to_string()),
                Just("{% if x %}".to_string()),
                Just("{% endif %}".to_string()),
                Just("{% for i in x %}".to_string()),
                Just("{% endfor %}".to_string()),
                Just("{% include \"".to_string()),
                Just("\" %}".to_string()),
                Just("| duration".to_string()),
                Just("| datetime(\"Europe/Berlin\")".to_string()),
                Just("| sentence".to_string()),
                Just("| markdown_text".to_string()),
                Just("x".to_string()),
                Just("../".to_string()),
                Just("/etc/passwd".to_string()),
                "[a-z0-9 .|()\"'{}%#<>\\-]{0,6}",
            ];
            prop::collection::vec(piece, 0..12).prop_map(|p| p.concat())
        }

        proptest! {
            #![proptest_config(ProptestConfig::with_cases(400))]

            #[test]
            fn no_template_panics_or_reads_outside(source in template_source()) {
                let dir = tempfile::tempdir().unwrap();
                std::fs::create_dir_all(dir.path().join("templates")).unwrap();
                std::fs::write(dir.path().join("templates/f.md.j2"), &source).unwrap();
                let r = Renderer::new(Some(dir.path()), &Config::new("x"));
                let ctx = minijinja::context! { x => vec![1, 2], y => "2026-11-25T10:00:00Z" };
                if let Ok(out) = r.render("f.md", &ctx) {
                    prop_assert!(!out.contains("root:"), "read a file: {out}");
                }
            }
        }
    }
}
