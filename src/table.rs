//! Tables as people read them on a terminal of any width, and as scripts read them from a pipe.
//!
//! On a terminal the layout is decided here, not by wrapping: every column keeps its cells on one
//! line (an incident ID split over three lines cannot be copied), a column marked shrinkable (a title)
//! is cut with `…` first, and when that is not enough the least important columns are left out, the
//! way `kubectl get` and `gh issue list` do. Colour is applied by comfy-table after the layout, so
//! escape codes never count as width. Off a terminal every column is printed in full, plainly.

use crate::output::{Codes, Output, Style, neutralise_controls};
use comfy_table::{Attribute, Cell as TableCell, Color, ContentArrangement, Table, presets};
use std::borrow::Cow;
use std::io::Write;
use unicode_width::UnicodeWidthStr;

/// How a column gives way when the terminal is narrow.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Fit {
    /// Always shown in full (IDs, severities).
    Keep,
    /// Shown in full, or left out entirely when space runs out; higher `rank` goes first.
    Drop { rank: u8 },
    /// Cut with `…` down to `min` characters, then left out like [`Fit::Drop`].
    Shrink { min: usize, rank: u8 },
}

pub struct Column {
    pub header: String,
    pub fit: Fit,
}

impl Column {
    pub fn keep(header: &str) -> Column {
        Column {
            header: header.into(),
            fit: Fit::Keep,
        }
    }

    pub fn drop(header: &str, rank: u8) -> Column {
        Column {
            header: header.into(),
            fit: Fit::Drop { rank },
        }
    }

    pub fn shrink(header: &str, min: usize, rank: u8) -> Column {
        Column {
            header: header.into(),
            fit: Fit::Shrink { min, rank },
        }
    }
}

/// One cell: its text (control characters from records made visible) and an optional style. The
/// text is borrowed where it can be: `list` at 100,000 incidents builds 600,000 cells.
pub struct Cell<'a> {
    text: Cow<'a, str>,
    /// Display width of `text`, worked out once: long tables read it three times. Four bytes, so
    /// a cell is 32 (`list` at 100,000 incidents: 19 MB of cells, not 24).
    width: u32,
    style: Option<Style>,
}

impl<'a> Cell<'a> {
    pub fn plain(text: impl Into<Cow<'a, str>>) -> Cell<'a> {
        let text = text.into();
        let text = match neutralise_controls(&text, Codes::EscapeAll) {
            Cow::Borrowed(_) => text,
            Cow::Owned(shown) => Cow::Owned(shown),
        };
        Cell {
            width: u32::try_from(display_width(&text)).unwrap_or(u32::MAX),
            text,
            style: None,
        }
    }

    fn width(&self) -> usize {
        self.width as usize
    }

    pub fn styled(text: impl Into<Cow<'a, str>>, style: Style) -> Cell<'a> {
        Cell {
            style: Some(style),
            ..Cell::plain(text)
        }
    }
}

/// Display width, without the per-character table lookup for printable ASCII (nearly every cell).
fn display_width(text: &str) -> usize {
    if text.bytes().all(|b| (0x20..0x7f).contains(&b)) {
        text.len()
    } else {
        text.width()
    }
}

impl From<String> for Cell<'static> {
    fn from(text: String) -> Cell<'static> {
        Cell::plain(text)
    }
}

impl<'a> From<&'a String> for Cell<'a> {
    fn from(text: &'a String) -> Cell<'a> {
        Cell::plain(text.as_str())
    }
}

impl<'a> From<&'a str> for Cell<'a> {
    fn from(text: &'a str) -> Cell<'a> {
        Cell::plain(text)
    }
}

pub struct Grid<'a> {
    columns: Vec<Column>,
    /// Row after row, `columns.len()` cells each: one allocation, not one per row.
    cells: Vec<Cell<'a>>,
}

/// What the borders of `UTF8_FULL_CONDENSED` add: `│ ` and ` ` around each cell, and the last `│`.
fn frame_width(columns: usize) -> usize {
    columns * 3 + 1
}

impl<'a> Grid<'a> {
    pub fn new(columns: Vec<Column>) -> Grid<'a> {
        Grid {
            columns,
            cells: Vec::new(),
        }
    }

    /// A table of `cells`, row after row: a long table's rows can be made on all cores.
    pub fn with_cells(columns: Vec<Column>, cells: Vec<Cell<'a>>) -> Grid<'a> {
        assert_eq!(cells.len() % columns.len().max(1), 0, "one cell per column");
        Grid { columns, cells }
    }

    pub fn row(&mut self, cells: impl IntoIterator<Item = Cell<'a>>) {
        let before = self.cells.len();
        self.cells.extend(cells);
        assert_eq!(
            self.cells.len() - before,
            self.columns.len(),
            "one cell per column"
        );
    }

    pub fn is_empty(&self) -> bool {
        self.cells.is_empty()
    }

    fn rows(&self) -> std::slice::ChunksExact<'_, Cell<'a>> {
        self.cells.chunks_exact(self.columns.len().max(1))
    }

    fn row_count(&self) -> usize {
        self.cells.len() / self.columns.len().max(1)
    }

    /// The widest cell of each column, header included.
    fn natural_widths(&self) -> Vec<usize> {
        self.columns
            .iter()
            .enumerate()
            .map(|(c, col)| {
                self.rows()
                    .map(|r| r[c].width())
                    .chain([col.header.width()])
                    .max()
                    .unwrap_or(0)
            })
            .collect()
    }

    /// Which columns to show and how wide, for a terminal `width` columns wide.
    #[cfg(test)]
    fn layout(&self, width: usize) -> Vec<Option<usize>> {
        self.layout_from(&self.natural_widths(), width)
    }

    fn layout_from(&self, natural: &[usize], width: usize) -> Vec<Option<usize>> {
        let mut widths: Vec<Option<usize>> = natural.iter().copied().map(Some).collect();
        let total = |w: &[Option<usize>]| {
            let shown: Vec<usize> = w.iter().flatten().copied().collect();
            shown.iter().sum::<usize>() + frame_width(shown.len())
        };
        while total(&widths) > width {
            let excess = total(&widths) - width;
            // First cut shrinkable columns down to their minimum.
            let shrinkable = self
                .columns
                .iter()
                .enumerate()
                .find_map(|(c, col)| match col.fit {
                    Fit::Shrink { min, .. } => widths[c].filter(|w| *w > min).map(|w| (c, w, min)),
                    _ => None,
                });
            if let Some((c, w, min)) = shrinkable {
                widths[c] = Some(w.saturating_sub(excess).max(min));
                continue;
            }
            // Then leave out the least important column still shown.
            let least = self
                .columns
                .iter()
                .enumerate()
                .filter(|(c, _)| widths[*c].is_some())
                .filter_map(|(c, col)| match col.fit {
                    Fit::Drop { rank } | Fit::Shrink { rank, .. } => Some((rank, c)),
                    Fit::Keep => None,
                })
                .max();
            match least {
                Some((_, c)) => widths[c] = None,
                // Only columns that must stay are left: they overflow rather than wrap.
                None => break,
            }
        }
        // A column cut to its minimum before others were left out gets back the room they freed.
        let mut slack = width.saturating_sub(total(&widths));
        for (c, col) in self.columns.iter().enumerate() {
            if let (Fit::Shrink { .. }, Some(w)) = (col.fit, widths[c]) {
                let grow = natural[c].saturating_sub(w).min(slack);
                widths[c] = Some(w + grow);
                slack -= grow;
            }
        }
        widths
    }

    /// The table for `out`, written to `w` without its final newline: laid out for its terminal
    /// (unless `wide`), or plain columns for a pipe. Every cell's text was made safe
    /// when the cell was made, and the headers are ours, so nothing here needs neutralising again.
    pub fn write(&self, out: &Output, wide: bool, w: &mut dyn Write) -> std::io::Result<()> {
        let natural = self.natural_widths();
        let widths: Vec<Option<usize>> = match (out.tty, out.width) {
            (true, Some(width)) if !wide => self.layout_from(&natural, width),
            _ => natural.iter().copied().map(Some).collect(),
        };
        // comfy-table spends about 4 µs a row; `list` over 100,000 incidents cannot afford that, so
        // long tables are written directly, in the same layout (a property test holds the two to
        // the same bytes).
        if self.row_count() > LONG_TABLE {
            return self.write_long(out.tty, out.color, &self.fitted(&natural, &widths), w);
        }
        w.write_all(self.render_comfy(out.tty, out.color, &widths).as_bytes())
    }

    fn render_comfy(&self, tty: bool, color: bool, widths: &[Option<usize>]) -> String {
        let mut table = Table::new();
        table.set_content_arrangement(ContentArrangement::Disabled);
        if tty {
            table.load_style(presets::UTF8_FULL_CONDENSED);
        } else {
            table.load_style(presets::NOTHING);
        }
        if color {
            table.enforce_styling();
            // The choice to colour was made already (`--color`, then `NO_COLOR`); crossterm would
            // otherwise read `NO_COLOR` again and write empty `ESC [m` codes in place of colours.
            crossterm::style::force_color_output(true);
        } else {
            table.force_no_tty();
        }
        let shown: Vec<usize> = (0..self.columns.len())
            .filter(|c| widths[*c].is_some())
            .collect();
        table.set_header(shown.iter().map(|&c| {
            let cell = TableCell::new(&self.columns[c].header);
            if color {
                cell.add_attribute(Attribute::Bold)
            } else {
                cell
            }
        }));
        for row in self.rows() {
            table.add_row(shown.iter().map(|&c| {
                let limit = widths[c].unwrap_or(usize::MAX);
                let text = truncate(&row[c].text, limit);
                let cell = TableCell::new(text);
                match (color, row[c].style) {
                    (true, Some(style)) => paint(cell, style),
                    _ => cell,
                }
            }));
        }
        if !tty {
            for column in table.column_iter_mut() {
                column.set_padding((0, 2));
            }
            return table
                .lines()
                .map(|l| trim_end_styled(&l))
                .collect::<Vec<_>>()
                .join("\n");
        }
        table.to_string()
    }

    /// The widths the columns take once cut to `widths`: a column whose text was cut is as wide as
    /// its widest cell after cutting, which a wide character may leave one short of the limit.
    fn fitted(&self, natural: &[usize], widths: &[Option<usize>]) -> Vec<Option<usize>> {
        widths
            .iter()
            .enumerate()
            .map(|(c, w)| {
                let w = (*w)?;
                if w >= natural[c] {
                    return Some(w);
                }
                let cells = self.rows().map(|r| {
                    if r[c].width() > w {
                        truncate(&r[c].text, w).width()
                    } else {
                        r[c].width()
                    }
                });
                cells.chain([self.columns[c].header.width()]).max()
            })
            .collect()
    }

    /// What [`Grid::render_comfy`] gives, written straight into one string (`widths` from
    /// [`Grid::fitted`]).
    /// [`Grid::write_long`] into a string.
    #[cfg(test)]
    fn render_long(&self, tty: bool, color: bool, widths: &[Option<usize>]) -> String {
        let mut bytes = Vec::new();
        self.write_long(tty, color, widths, &mut bytes)
            .expect("writing to memory");
        String::from_utf8(bytes).expect("the table is text")
    }

    /// The table as comfy-table would lay it out, written to `w` as it goes: at 100,000 rows the
    /// whole text would be 11 MB of fresh memory.
    fn write_long(
        &self,
        tty: bool,
        color: bool,
        widths: &[Option<usize>],
        w: &mut dyn Write,
    ) -> std::io::Result<()> {
        let shown: Vec<(usize, usize)> = widths
            .iter()
            .enumerate()
            .filter_map(|(c, w)| w.map(|w| (c, w)))
            .collect();
        let format = RowFormat {
            shown: &shown,
            tty,
            color,
        };
        let mut s = String::new();
        if tty {
            format.rule(&mut s, '┌', '─', '┬', '┐');
            s.push('\n');
        }
        let header = shown.iter().map(|(c, _)| {
            let text = self.columns[*c].header.as_str();
            (text, text.width(), color.then_some(Style::Bold))
        });
        format.push(&mut s, &mut Scratch::default(), header);
        if tty {
            s.push('\n');
            format.rule(&mut s, '╞', '═', '╪', '╡');
        }
        w.write_all(s.as_bytes())?;
        // Blocks of rows are laid out on all cores, a wave at a time, and written in order.
        let columns = self.columns.len().max(1);
        let blocks: Vec<&[Cell]> = self.cells.chunks(columns * BLOCK_ROWS).collect();
        // A wave is one block per thread: the text in memory at once stays a few blocks, not 11 MB.
        let workers = rayon::current_num_threads();
        let mut buffers: Vec<String> = vec![String::new(); workers];
        for wave in blocks.chunks(workers) {
            use rayon::prelude::*;
            wave.par_iter()
                .zip(buffers.par_iter_mut())
                .for_each(|(block, buffer)| {
                    buffer.clear();
                    let mut scratch = Scratch::default();
                    for row in block.chunks_exact(columns) {
                        buffer.push('\n');
                        let cells = format
                            .shown
                            .iter()
                            .map(|(c, _)| (row[*c].text.as_ref(), row[*c].width(), row[*c].style));
                        format.push(buffer, &mut scratch, cells);
                    }
                });
            for buffer in &buffers[..wave.len()] {
                w.write_all(buffer.as_bytes())?;
            }
        }
        s.clear();
        if tty {
            s.push('\n');
            format.rule(&mut s, '└', '─', '┴', '┘');
        }
        w.write_all(s.as_bytes())
    }
}

/// How comfy-table lays out one line of a table whose widths are known.
struct RowFormat<'a> {
    /// Each shown column and its width.
    shown: &'a [(usize, usize)],
    tty: bool,
    color: bool,
}

/// A line being laid out, and where its closing colour codes are.
#[derive(Default)]
struct Scratch {
    line: String,
    codes_at_end: Vec<(usize, usize)>,
}

impl RowFormat<'_> {
    fn rule(&self, s: &mut String, left: char, fill: char, cross: char, right: char) {
        s.push(left);
        for (n, (_, w)) in self.shown.iter().enumerate() {
            if n > 0 {
                s.push(cross);
            }
            for _ in 0..w + 2 {
                s.push(fill);
            }
        }
        s.push(right);
    }

    /// Appends one line of `cells` (text, display width, style) to `s`, without a newline.
    fn push<'t>(
        &self,
        s: &mut String,
        scratch: &mut Scratch,
        cells: impl Iterator<Item = (&'t str, usize, Option<Style>)>,
    ) {
        let (tty, color) = (self.tty, self.color);
        let line = &mut scratch.line;
        line.clear();
        if tty {
            line.push('│');
        }
        for (n, ((text, width, style), (_, w))) in cells.zip(self.shown).enumerate() {
            if tty && n > 0 {
                line.push('┆');
            }
            let cut;
            let (text, width) = if width > *w {
                cut = truncate(text, *w);
                (cut.as_str(), cut.width())
            } else {
                (text, width)
            };
            let (codes, reset) = match style {
                Some(style) if color => style_codes(style),
                _ => ("", ""),
            };
            line.push_str(codes);
            if tty {
                line.push(' ');
            }
            line.push_str(text);
            push_spaces(line, w - width);
            line.push_str(if tty { " " } else { "  " });
            line.push_str(reset);
        }
        if tty {
            line.push('│');
            s.push_str(line);
        } else {
            // `trim_end_styled`, without a string per line.
            let mut body = line.trim_end();
            let codes_at_end = &mut scratch.codes_at_end;
            codes_at_end.clear();
            while let Some(start) = body.rfind('\u{1b}') {
                let tail = &body[start..];
                if !(tail.starts_with("\u{1b}[") && tail.ends_with('m')) {
                    break;
                }
                codes_at_end.push((start, body.len()));
                body = body[..start].trim_end();
            }
            s.push_str(body);
            for (start, end) in codes_at_end.iter().rev() {
                s.push_str(&line[*start..*end]);
            }
        }
    }
}

fn push_spaces(s: &mut String, mut n: usize) {
    const SPACES: &str = "                                                                ";
    while n > 0 {
        let k = n.min(SPACES.len());
        s.push_str(&SPACES[..k]);
        n -= k;
    }
}

/// Rows laid out by one thread at a time (about 200 KB of text).
const BLOCK_ROWS: usize = 2048;

/// Tables longer than this are written by [`Grid::render_long`].
const LONG_TABLE: usize = 500;

/// The escape codes comfy-table (through crossterm) puts before and after a cell in `style`: a
/// colour alone is ended by resetting the colour, anything with an attribute by resetting all.
fn style_codes(style: Style) -> (&'static str, &'static str) {
    const ALL: &str = "\u{1b}[0m";
    const COLOUR: &str = "\u{1b}[39m";
    match style {
        Style::Bold => ("\u{1b}[1m", ALL),
        Style::Dim => ("\u{1b}[2m", ALL),
        Style::Red => ("\u{1b}[38;5;9m\u{1b}[1m", ALL),
        Style::Yellow => ("\u{1b}[38;5;11m", COLOUR),
        Style::Green => ("\u{1b}[38;5;10m", COLOUR),
        Style::Cyan => ("\u{1b}[38;5;14m", COLOUR),
    }
}

/// `trim_end` that also sees through the colour codes closing a line: padding before a final
/// `ESC[0m` is trailing blank too (`grep` and `awk` read these lines).
fn trim_end_styled(line: &str) -> String {
    let mut body = line.trim_end();
    let mut codes: Vec<&str> = Vec::new();
    while let Some(start) = body.rfind('\u{1b}') {
        let tail = &body[start..];
        if !(tail.starts_with("\u{1b}[") && tail.ends_with('m')) {
            break;
        }
        codes.push(tail);
        body = body[..start].trim_end();
    }
    let mut out = body.to_string();
    out.extend(codes.into_iter().rev());
    out
}

fn paint(cell: TableCell, style: Style) -> TableCell {
    match style {
        Style::Bold => cell.add_attribute(Attribute::Bold),
        Style::Dim => cell.add_attribute(Attribute::Dim),
        Style::Red => cell.fg(Color::Red).add_attribute(Attribute::Bold),
        Style::Yellow => cell.fg(Color::Yellow),
        Style::Green => cell.fg(Color::Green),
        Style::Cyan => cell.fg(Color::Cyan),
    }
}

/// `prefix` then `text`, wrapped at word boundaries to `width` with every further line indented to
/// where the text began, as `git log` and `gh` lay out descriptions. `prefix_width` is the prefix's
/// display width (it may carry colour codes). Without a width (a pipe) the text stays on one line.
pub fn hang(prefix: &str, prefix_width: usize, text: &str, width: Option<usize>) -> String {
    let text = neutralise_controls(text, Codes::EscapeAll);
    let Some(width) = width.filter(|w| *w > prefix_width + 10) else {
        return format!("{prefix}{}", text.replace('\n', " "));
    };
    let room = width - prefix_width;
    let indent = " ".repeat(prefix_width);
    let mut lines: Vec<String> = Vec::new();
    let mut line = String::new();
    for word in text.split_whitespace() {
        let word = truncate(word, room);
        let needed = if line.is_empty() {
            word.width()
        } else {
            line.width() + 1 + word.width()
        };
        if needed > room && !line.is_empty() {
            lines.push(std::mem::take(&mut line));
        }
        if !line.is_empty() {
            line.push(' ');
        }
        line.push_str(&word);
    }
    lines.push(line);
    let mut out = String::from(prefix);
    for (n, l) in lines.iter().enumerate() {
        if n > 0 {
            out.push('\n');
            out.push_str(&indent);
        }
        out.push_str(l);
    }
    out
}

/// Cuts `text` to `width` display columns, ending in `…` when anything was cut.
pub fn truncate(text: &str, width: usize) -> String {
    if text.width() <= width {
        return text.to_string();
    }
    let mut out = String::new();
    let mut used = 0;
    for c in text.chars() {
        let w = unicode_width::UnicodeWidthChar::width(c).unwrap_or(0);
        if used + w + 1 > width {
            break;
        }
        out.push(c);
        used += w;
    }
    out.push('…');
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn grid<'a>() -> Grid<'a> {
        let mut g = Grid::new(vec![
            Column::keep("ID"),
            Column::keep("SEV"),
            Column::drop("STATUS", 2),
            Column::shrink("TITLE", 10, 1),
            Column::drop("AGE", 3),
        ]);
        g.row(vec![
            "2026-11-25-checkout-down".into(),
            "SEV1".into(),
            "investigating".into(),
            "Checkout down for every customer in the EU region".into(),
            "1 h 34 min (open)".into(),
        ]);
        g
    }

    #[test]
    fn titles_shrink_first_then_columns_go_least_important_first() {
        let g = grid();
        let natural = g.natural_widths();
        let full: usize = natural.iter().sum::<usize>() + frame_width(5);
        assert_eq!(g.layout(full).iter().flatten().count(), 5);
        let narrower = g.layout(full - 10);
        assert_eq!(
            narrower[3],
            Some(natural[3] - 10),
            "the title gives way first"
        );
        let narrow = g.layout(60);
        assert_eq!(narrow[4], None, "AGE goes first");
        assert_eq!(narrow[0], Some(24), "the ID is never cut");
        let tiny = g.layout(20);
        assert_eq!(tiny.iter().flatten().count(), 2, "ID and SEV always stay");
    }

    #[test]
    fn long_text_hangs_under_its_column() {
        let out = hang(
            "  10:14  ",
            9,
            "status investigating → identified: rate limiter misreading quotas",
            Some(40),
        );
        assert_eq!(
            out,
            "  10:14  status investigating →\n         identified: rate limiter\n         misreading quotas"
        );
        assert!(out.lines().all(|l| l.width() <= 40));
        assert_eq!(hang("> ", 2, "a\nb", None), "> a b");
    }

    proptest::proptest! {
        /// Long tables skip comfy-table; they must come out byte for byte as it would lay them out,
        /// on a terminal and off it, with colour and without, at any width.
        #[test]
        fn long_tables_come_out_as_comfy_table_lays_them_out(
            rows in proptest::collection::vec(
                proptest::collection::vec(("[a-zé日 ·…-]{0,14}", 0usize..7), 5),
                0..6,
            ),
            tty in proptest::bool::ANY,
            color in proptest::bool::ANY,
            width in proptest::option::of(10usize..120),
        ) {
            let styles = [None, Some(Style::Bold), Some(Style::Red), Some(Style::Dim), Some(Style::Yellow), Some(Style::Green), Some(Style::Cyan)];
            let mut g = grid();
            g.cells.clear();
            for row in &rows {
                g.row(row.iter().map(|(text, s)| match styles[*s] {
                    Some(style) => Cell::styled(text, style),
                    None => Cell::plain(text),
                }));
            }
            let widths: Vec<Option<usize>> = match (tty, width) {
                (true, Some(w)) => g.layout(w),
                _ => g.natural_widths().into_iter().map(Some).collect(),
            };
            proptest::prop_assert_eq!(
                g.render_long(tty, color, &g.fitted(&g.natural_widths(), &widths)),
                g.render_comfy(tty, color, &widths)
            );
        }
    }

    /// A table of several blocks, laid out on all cores, comes out as comfy-table lays it out.
    #[test]
    fn tables_of_many_blocks_come_out_whole_and_in_order() {
        let rows = BLOCK_ROWS * 2 + 77;
        let texts: Vec<String> = (0..rows)
            .map(|n| format!("row {n} {}", "é".repeat(n % 9)))
            .collect();
        let mut g = grid();
        g.cells.clear();
        for (n, text) in texts.iter().enumerate() {
            g.row([
                Cell::styled(text.as_str(), Style::Bold),
                Cell::plain(if n % 2 == 0 { "SEV1" } else { "SEV2" }),
                Cell::plain(""),
                Cell::styled(text.as_str(), Style::Yellow),
                Cell::plain("x"),
            ]);
        }
        for (tty, color) in [(true, true), (false, false), (false, true)] {
            let widths: Vec<Option<usize>> = if tty {
                g.layout(60)
            } else {
                g.natural_widths().into_iter().map(Some).collect()
            };
            let long = g.render_long(tty, color, &g.fitted(&g.natural_widths(), &widths));
            assert_eq!(long, g.render_comfy(tty, color, &widths));
            assert!(long.contains(&format!("row {} ", rows - 1)));
        }
    }

    #[test]
    fn truncation_counts_display_width() {
        assert_eq!(truncate("Checkout down", 8), "Checkou…");
        assert_eq!(truncate("short", 8), "short");
        assert_eq!(truncate("日本語のタイトル", 7), "日本語…");
    }
}
