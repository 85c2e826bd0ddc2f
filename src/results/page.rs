//! A page of headings, paragraphs, lists and tables, written as aligned text, Markdown or HTML: the one
//! writer behind `compare`, `report` and the README's tables. Text marks `code` and **bold** as Markdown
//! does; the terminal drops the marks, HTML turns them into tags.

use std::fmt::Write as _;
use std::ops::Range;

use super::format::esc;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Format {
    Terminal,
    Markdown,
    Html,
}

/// A table cell: its text, and in HTML a tooltip, a link and a colour swatch before it.
#[derive(Debug, Clone, Default)]
pub struct Cell {
    pub text: String,
    pub tip: String,
    pub href: Option<String>,
    pub swatch: Option<String>,
}

impl From<String> for Cell {
    fn from(text: String) -> Cell {
        Cell { text, ..Cell::default() }
    }
}

/// A table: the columns in `right` are right-aligned (padded in text, `---:` in Markdown).
#[derive(Debug, Clone)]
pub struct Table {
    pub head: Vec<String>,
    pub rows: Vec<Vec<Cell>>,
    pub right: Range<usize>,
}

impl Table {
    pub fn new(head: Vec<String>, rows: Vec<Vec<String>>, right: Range<usize>) -> Table {
        Table { head, rows: rows.into_iter().map(|r| r.into_iter().map(Cell::from).collect()).collect(), right }
    }
}

#[derive(Debug, Clone)]
pub enum Block {
    /// A section's title and a note after it; in HTML it opens a `<section>` whose id is the title.
    Heading(String, String),
    Para(String),
    List(Vec<String>),
    Table(Table),
    /// Only in HTML (charts, links).
    Html(String),
}

/// The blocks in `format`.
pub fn write(blocks: &[Block], format: Format) -> String {
    let (html, mut o) = (format == Format::Html, String::new());
    for (i, block) in blocks.iter().enumerate() {
        match block {
            Block::Heading(title, note) if html => {
                if blocks[..i].iter().any(|b| matches!(b, Block::Heading(..))) {
                    o.push_str("</section>\n");
                }
                let note = if note.is_empty() { String::new() } else { format!(" <small>{}</small>", esc(note)) };
                let _ = write!(o, "<section id=\"{}\"><h2>{}{note}</h2>", esc(&title.replace(' ', "-")), esc(title));
            }
            Block::Heading(title, note) => {
                let note = if note.is_empty() { String::new() } else { format!(" ({note})") };
                let _ = write!(o, "{}{note}\n\n", inline(&format!("**{title}**"), format));
            }
            Block::Para(text) if html => {
                let _ = write!(o, "<p>{}</p>", inline(text, format));
            }
            Block::Para(text) => {
                let _ = write!(o, "{}\n\n", inline(text, format));
            }
            Block::List(items) if html => {
                let items: String = items.iter().map(|i| format!("<li>{}</li>", inline(i, format))).collect();
                let _ = write!(o, "<ul>{items}</ul>");
            }
            Block::List(items) => {
                items.iter().for_each(|i| o.push_str(&format!("- {}\n", inline(i, format))));
                o.push('\n');
            }
            Block::Table(t) if html => o.push_str(&html_table(t)),
            Block::Table(t) => {
                table(&mut o, t, format == Format::Markdown);
                o.push('\n');
            }
            Block::Html(h) if html => o.push_str(h),
            Block::Html(_) => {}
        }
        if html {
            o.push('\n');
        }
    }
    if html && blocks.iter().any(|b| matches!(b, Block::Heading(..))) {
        o.push_str("</section>\n");
    } else if !html {
        o.truncate(o.trim_end().len());
        o.push('\n');
    }
    o
}

/// `s` with its `code` and **bold** marks as `format` shows them; escaped for HTML.
fn inline(s: &str, format: Format) -> String {
    match format {
        Format::Markdown => s.to_string(),
        Format::Terminal => s.replace("**", "").replace('`', ""),
        Format::Html => {
            let tag = |s: &str, mark: &str, tag: &str| -> String {
                let parts = s.split(mark).enumerate();
                parts.map(|(i, p)| if i % 2 == 1 { format!("<{tag}>{p}</{tag}>") } else { p.to_string() }).collect()
            };
            tag(&tag(&esc(s), "`", "code"), "**", "b")
        }
    }
}

/// A table as aligned text or Markdown. In text, where a column has marked values (`≠`, `~`), the
/// others are padded as if they had one, so the numbers line up.
pub fn table(o: &mut String, t: &Table, md: bool) {
    let cells = |r: &[Cell]| r.iter().map(|c| c.text.clone()).collect::<Vec<_>>();
    let mut rows: Vec<Vec<String>> = std::iter::once(t.head.clone()).chain(t.rows.iter().map(|r| cells(r))).collect();
    if md {
        for (i, r) in rows.iter().enumerate() {
            let _ = writeln!(o, "| {} |", r.iter().map(|c| c.replace('|', "\\|")).collect::<Vec<_>>().join(" | "));
            if i == 0 {
                let align = (0..r.len()).map(|i| if t.right.contains(&i) { "---:" } else { "---" });
                let _ = writeln!(o, "|{}|", align.collect::<Vec<_>>().join("|"));
            }
        }
        return;
    }
    let marked = |c: &str| c.ends_with('≠') || c.ends_with('~');
    let width = |s: &str| s.chars().count();
    let mut w = vec![0; t.head.len()];
    for col in 0..t.head.len() {
        if t.right.contains(&col) && rows[1..].iter().any(|r| marked(&r[col])) {
            rows[1..]
                .iter_mut()
                .filter(|r| !marked(&r[col]) && r[col] != "-" && r[col] != "—")
                .for_each(|r| r[col] += "  ");
        }
        w[col] = rows.iter().map(|r| width(&r[col])).max().unwrap_or(0);
    }
    for cells in &rows {
        let mut s = String::from(" ");
        for (i, c) in cells.iter().enumerate() {
            let pad = " ".repeat(w[i] - width(c));
            let _ = if t.right.contains(&i) { write!(s, "  {pad}{c}") } else { write!(s, "  {c}{pad}") };
        }
        let _ = writeln!(o, "{}", s.trim_end());
    }
}

/// A table in HTML: tooltips as `title`, a real difference's cell marked, a row starting a new first
/// column (a new model) marked `first`, the first column blank where it repeats the row above.
fn html_table(t: &Table) -> String {
    let class = |i: usize| if t.right.contains(&i) { " class=\"num\"" } else { "" };
    let head: String = t.head.iter().enumerate().map(|(i, h)| format!("<th{}>{}</th>", class(i), esc(h))).collect();
    let mut h = format!("<table><tr>{head}</tr>");
    for (k, row) in t.rows.iter().enumerate() {
        let first = k == 0 || t.rows[k - 1].first().map(|c| &c.text) != row.first().map(|c| &c.text);
        h += if first { "<tr class=\"first\">" } else { "<tr>" };
        for (i, c) in row.iter().enumerate() {
            let real = if c.text.ends_with('≠') { " real" } else { "" };
            let class = if t.right.contains(&i) { format!(" class=\"num{real}\"") } else { String::new() };
            let tip = if c.tip.is_empty() { String::new() } else { format!(" title=\"{}\"", esc(&c.tip)) };
            let swatch = c.swatch.as_ref().map(|s| format!("<span class=\"swatch\" style=\"background:{s}\"></span>"));
            let text = match (&c.href, i == 0 && !first) {
                (_, true) => String::new(),
                (Some(href), _) => format!("<a href=\"{}\">{}</a>", esc(href), esc(&c.text)),
                (None, _) => esc(&c.text),
            };
            let _ = write!(h, "<td{class}{tip}>{}{text}</td>", swatch.filter(|_| first).unwrap_or_default());
        }
        h += "</tr>";
    }
    h + "</table>"
}
