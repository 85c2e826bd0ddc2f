//! Log-log line charts of a per-task value against N, as SVG: the one place charts are drawn. The report
//! draws one per group inside its page ([`LogLog::svg`]); `taskbench readme` writes the memory chart
//! ([`memory`]) as a file of its own beside the committed run ([`LogLog::document`]).
//!
//! Output is deterministic (fixed rounding, no dates), so a chart checked into the repository can be compared
//! byte for byte with what the run generates.
//!
//! Hand-written rather than `plotters`: every point carries its own tooltip (`<title>`: model, N, value and
//! interval), the legend notes each model's last value, and the file stays byte-stable across versions;
//! plotters' SVG backend gives none of these without post-processing its output.

use std::fmt::Write as _;

use super::format::{esc, human, short_n, tick_label};
use super::noise::Interval;
use super::table::{GroupTable, Table, Total};
use crate::catalogue::{self, Axis, Measures};

/// Dash patterns: runs A, B, C, ... in the report; RSS and RSS + kernel in the memory chart.
pub const DASHES: &[&str] = &["", "7 4", "2 3", "10 3 2 3", "4 4 1 4"];

/// One drawn value: the median per task with its interval, and the tooltip.
#[derive(Debug, Clone)]
pub struct Point {
    pub n: usize,
    pub value: Interval,
    pub tip: String,
}

/// One line: a colour, a dash pattern, a marker style ([`marker`]) and its points (any order).
#[derive(Debug, Clone)]
pub struct Series {
    pub color: String,
    pub dash: &'static str,
    pub marker: usize,
    pub points: Vec<Point>,
}

/// One legend entry: a line sample, an optional marker, the text (`note` in grey after it) and a tooltip.
#[derive(Debug, Clone, Default)]
pub struct Key {
    pub color: String,
    pub dash: &'static str,
    pub marker: Option<usize>,
    pub text: String,
    pub note: String,
    pub title: Option<String>,
    /// Starts a new block of entries (runs after models, line styles after models).
    pub space_above: bool,
}

/// The x axis's label: N tasks or K bytes each task holds (the state groups). Either way logarithmic, so a
/// point at 0 is not drawn: the caller lists it beside the chart.
fn axis_label(x: Axis) -> &'static str {
    match x {
        Axis::N => "N (tasks), log scale",
        Axis::K => "K, bytes each task holds across its park point, log scale",
    }
}

fn axis_tick(x: Axis, at: usize) -> String {
    match x {
        Axis::N => short_n(at),
        Axis::K => tick_label(at as f64, Measures::Bytes),
    }
}

/// A chart: per-task values (in `unit`) against N (or K: [`Axis`]), both axes logarithmic, the legend on
/// the right.
#[derive(Debug, Clone)]
pub struct LogLog {
    /// What the x axis counts.
    pub x: Axis,
    /// Whether the values are time or bytes: it picks the ticks and their labels.
    pub measures: Measures,
    pub y_label: String,
    pub aria: String,
    /// Room for the legend, right of the plot.
    pub legend_width: f64,
    pub series: Vec<Series>,
    pub keys: Vec<Key>,
    /// Lines above the plot, the first one bold; drawn only by [`LogLog::document`].
    pub header: Vec<String>,
    /// Lines below the plot, in grey; drawn only by [`LogLog::document`].
    pub footer: Vec<String>,
}

const W: f64 = 1060.0;
const L: f64 = 78.0;
const PLOT_H: f64 = 334.0;
const LINE: f64 = 18.0;
const GAP: f64 = 8.0;
/// The page's text style, for the chart drawn on its own.
const STYLE: &str = "text{font:12px system-ui,-apple-system,'Segoe UI',Roboto,sans-serif;fill:#333}";

impl LogLog {
    /// The chart as an `<svg>` element for a page whose CSS styles its text.
    pub fn svg(&self) -> String {
        self.draw(false)
    }

    /// The chart as an SVG file of its own: header and footer lines, a white background and its own text style.
    pub fn document(&self) -> String {
        let mut s = self.draw(true);
        s.push('\n');
        s
    }

    fn draw(&self, standalone: bool) -> String {
        let header = if standalone { self.header.len() as f64 * LINE + 8.0 } else { 0.0 };
        let footer = if standalone { self.footer.len() as f64 * LINE } else { 0.0 };
        let (r, t) = (W - self.legend_width, 16.0 + header);
        let b = t + PLOT_H;
        let gaps = self.keys.iter().filter(|k| k.space_above).count() as f64 * GAP;
        let legend_bottom = t + 10.0 + self.keys.len() as f64 * LINE + gaps;
        let h = (b + 50.0).max(legend_bottom + 8.0) + footer;
        let pts: Vec<&Point> = self.series.iter().flat_map(|s| &s.points).filter(drawn).collect();
        let mut s = String::new();
        let _ = write!(
            s,
            "<svg xmlns=\"http://www.w3.org/2000/svg\" viewBox=\"0 0 {W} {h}\" width=\"{W}\" height=\"{h}\" role=\"img\" \
             aria-label=\"{}\">",
            esc(&self.aria)
        );
        if standalone {
            let _ = write!(s, "<style>{STYLE}</style><rect width=\"{W}\" height=\"{h}\" fill=\"#fff\"/>");
            for (i, line) in self.header.iter().enumerate() {
                let weight = if i == 0 { " style=\"font-size:15px;font-weight:bold\"" } else { "" };
                let _ = write!(s, "<text x=\"{L}\" y=\"{:.1}\"{weight}>{}</text>", 20.0 + i as f64 * LINE, esc(line));
            }
        }
        if pts.is_empty() {
            let _ = write!(s, "<text x=\"{L}\" y=\"{:.1}\">No positive values to chart.</text></svg>", t + 20.0);
            return s;
        }
        let frame = Frame::around(&pts, r, t, b);
        self.axes(&mut s, &frame, &pts);
        self.lines(&mut s, &frame);
        self.legend(&mut s, r + 24.0, t + 10.0);
        if standalone {
            let top = h - footer;
            for (i, line) in self.footer.iter().enumerate() {
                let y = top + 4.0 + i as f64 * LINE;
                let _ = write!(s, "<text x=\"{L}\" y=\"{y:.1}\" style=\"fill:#666\">{}</text>", esc(line));
            }
        }
        s.push_str("</svg>");
        s
    }

    /// The plot's box, its grid with tick labels, and the axis labels.
    fn axes(&self, s: &mut String, f: &Frame, pts: &[&Point]) {
        let Frame { r, t, b, .. } = *f;
        let _ = write!(
            s,
            "<rect x=\"{L}\" y=\"{t}\" width=\"{}\" height=\"{}\" fill=\"#fcfcfc\" stroke=\"#bbb\"/>",
            r - L,
            b - t
        );
        for v in y_ticks(f.y0, f.y1, self.measures) {
            let y = f.sy(v);
            let _ = write!(
                s,
                "<line x1=\"{L}\" x2=\"{r}\" y1=\"{y:.1}\" y2=\"{y:.1}\" stroke=\"#e6e6e6\"/>\
                 <text x=\"{:.1}\" y=\"{:.1}\" text-anchor=\"end\">{}</text>",
                L - 6.0,
                y + 4.0,
                esc(&tick_label(v, self.measures))
            );
        }
        for n in xs(pts) {
            let x = f.sx(n as f64);
            let _ = write!(
                s,
                "<line x1=\"{x:.1}\" x2=\"{x:.1}\" y1=\"{t}\" y2=\"{b}\" stroke=\"#e6e6e6\"/>\
                 <text x=\"{x:.1}\" y=\"{:.1}\" text-anchor=\"middle\">{}</text>",
                b + 16.0,
                esc(&axis_tick(self.x, n))
            );
        }
        let _ = write!(
            s,
            "<text x=\"{:.1}\" y=\"{:.1}\" text-anchor=\"middle\">{}</text>\
             <text transform=\"translate(16 {:.1}) rotate(-90)\" text-anchor=\"middle\">{}</text>",
            (L + r) / 2.0,
            b + 38.0,
            axis_label(self.x),
            (t + b) / 2.0,
            esc(&self.y_label)
        );
    }

    /// Each series' line first, then its interval bars and markers on top.
    fn lines(&self, s: &mut String, f: &Frame) {
        for series in &self.series {
            let mut line: Vec<&Point> = series.points.iter().filter(drawn).collect();
            line.sort_by_key(|p| p.n);
            let color = &series.color;
            let path: Vec<String> =
                line.iter().map(|p| format!("{:.1},{:.1}", f.sx(p.n as f64), f.sy(p.value.point))).collect();
            let _ = write!(
                s,
                "<polyline points=\"{}\" fill=\"none\" stroke=\"{color}\" stroke-width=\"2\"{}/>",
                path.join(" "),
                dasharray(series.dash)
            );
            for p in line {
                let (x, y) = (f.sx(p.n as f64), f.sy(p.value.point));
                let v = p.value;
                if v.lower > 0.0 && v.upper > v.lower {
                    let (ya, yb) = (f.sy(v.lower), f.sy(v.upper));
                    let _ = write!(
                        s,
                        "<path d=\"M{x:.1} {ya:.1}V{yb:.1}M{:.1} {ya:.1}h6M{:.1} {yb:.1}h6\" stroke=\"{color}\" stroke-width=\"1.2\"/>",
                        x - 3.0,
                        x - 3.0
                    );
                }
                s.push_str(&marker(series.marker, x, y, color, &p.tip));
            }
        }
    }

    /// The legend, top-down from (`lx`, `ly`).
    fn legend(&self, s: &mut String, lx: f64, mut ly: f64) {
        for k in &self.keys {
            if k.space_above {
                ly += GAP;
            }
            let _ = write!(
                s,
                "<line x1=\"{lx}\" x2=\"{:.1}\" y1=\"{ly:.1}\" y2=\"{ly:.1}\" stroke=\"{}\" stroke-width=\"{}\"{}/>",
                lx + 26.0,
                k.color,
                if k.dash.is_empty() && k.marker.is_none() { 3 } else { 2 },
                dasharray(k.dash)
            );
            if let Some(m) = k.marker {
                s.push_str(&marker(m, lx + 13.0, ly, &k.color, k.title.as_deref().unwrap_or(&k.text)));
            }
            let note = if k.note.is_empty() {
                String::new()
            } else {
                format!("<tspan fill=\"#777\"> {}</tspan>", esc(&k.note))
            };
            let title = k.title.as_ref().map(|t| format!("<title>{}</title>", esc(t))).unwrap_or_default();
            let _ =
                write!(s, "<text x=\"{:.1}\" y=\"{:.1}\">{}{note}{title}</text>", lx + 32.0, ly + 4.0, esc(&k.text));
            ly += LINE;
        }
    }
}

/// Both axes are logarithmic: a point at zero (K = 0) or below has no place on them.
fn drawn(p: &&Point) -> bool {
    p.value.point > 0.0 && p.n > 0
}

/// The points' xs, ascending, once each.
fn xs(pts: &[&Point]) -> Vec<usize> {
    let mut ns: Vec<usize> = pts.iter().map(|p| p.n).collect();
    ns.sort_unstable();
    ns.dedup();
    ns
}

/// The plot's box (`L` to `r`, `t` to `b`) and the log10 ranges it shows.
#[derive(Clone, Copy)]
struct Frame {
    r: f64,
    t: f64,
    b: f64,
    x0: f64,
    x1: f64,
    y0: f64,
    y1: f64,
}

impl Frame {
    /// The ranges that hold every point and its interval, padded.
    fn around(pts: &[&Point], r: f64, t: f64, b: f64) -> Frame {
        let ns = xs(pts);
        let (x0, x1) = pad_range((ns[0] as f64).log10(), (ns[ns.len() - 1] as f64).log10(), 0.08, 0.5);
        let lows = pts.iter().map(|p| if p.value.lower > 0.0 { p.value.lower } else { p.value.point });
        let highs = pts.iter().map(|p| p.value.upper.max(p.value.point));
        let ymin = lows.fold(f64::INFINITY, f64::min).log10();
        let ymax = highs.fold(f64::NEG_INFINITY, f64::max).log10();
        let (y0, y1) = pad_range(ymin, ymax, 0.06, 1.0);
        Frame { r, t, b, x0, x1, y0, y1 }
    }

    fn sx(&self, n: f64) -> f64 {
        L + (n.log10() - self.x0) / (self.x1 - self.x0) * (self.r - L)
    }

    fn sy(&self, v: f64) -> f64 {
        self.b - (v.log10() - self.y0) / (self.y1 - self.y0) * (self.b - self.t)
    }
}

fn dasharray(dash: &str) -> String {
    if dash.is_empty() {
        String::new()
    } else {
        format!(" stroke-dasharray=\"{dash}\"")
    }
}

/// Style 0: filled circle, 1: hollow circle, 2: filled square, 3: hollow square, ...
pub fn marker(style: usize, x: f64, y: f64, color: &str, tip: &str) -> String {
    let fill = if style % 2 == 0 { color } else { "#fff" };
    let tip = format!("<title>{}</title>", esc(tip));
    if (style / 2) % 2 == 0 {
        format!("<circle cx=\"{x:.1}\" cy=\"{y:.1}\" r=\"4\" fill=\"{fill}\" stroke=\"{color}\" stroke-width=\"1.5\">{tip}</circle>")
    } else {
        format!(
            "<rect x=\"{:.1}\" y=\"{:.1}\" width=\"8\" height=\"8\" fill=\"{fill}\" stroke=\"{color}\" stroke-width=\"1.5\">{tip}</rect>",
            x - 4.0,
            y - 4.0
        )
    }
}

/// The memory chart of one run (the first of `t`): RSS per task against N for every model, and RSS + kernel
/// ([`Table::totals`]), dashed in the model's colour, where the run has both. Calibration controls are left
/// out (the footer names them). `None` when the run has no RSS cell.
pub fn memory(t: &Table, controls: &[&str], header: Vec<String>) -> Option<LogLog> {
    let rss = t.group(catalogue::RSS.name)?;
    let colors = t.colors();
    let totals = t.totals(0);
    let measures = rss.group.measures;
    let mut models = rss.models();
    let left_out: Vec<&str> = models.iter().copied().filter(|m| controls.contains(m)).collect();
    models.retain(|m| !controls.contains(m));

    let mut series = Vec::new();
    // (largest RSS value drawn, key): the legend lists models top to bottom as their lines end.
    let mut keyed: Vec<(f64, Key)> = Vec::new();
    for model in models {
        let color = colors.get(model).cloned().unwrap_or_else(|| "#000".into());
        if let Some((lines, key)) = model_lines(rss, &totals, model, color) {
            series.extend(lines);
            keyed.push(key);
        }
    }
    let any_total = series.iter().any(|s| s.marker == 1);
    if series.is_empty() {
        return None;
    }
    keyed.sort_by(|a, b| b.0.total_cmp(&a.0));
    let mut keys: Vec<Key> = keyed.into_iter().map(|(_, k)| k).collect();
    let mut y_label = "RSS per live task, bytes (log scale)".to_string();
    if any_total {
        y_label = "memory per live task, bytes (log scale)".to_string();
        keys.push(Key {
            color: "#555".into(),
            marker: Some(0),
            text: "RSS".into(),
            space_above: true,
            ..Key::default()
        });
        keys.push(Key {
            color: "#555".into(),
            dash: DASHES[1],
            marker: Some(1),
            text: "RSS + kernel".into(),
            note: format!("({})", catalogue::KERNEL.name),
            ..Key::default()
        });
    }
    let mut footer = vec![
        "Points are medians of Criterion's samples (bars: their confidence interval, mostly narrower than the dot); \
         every task is alive and parked when memory is read."
            .to_string(),
    ];
    if !left_out.is_empty() {
        footer.push(format!("Calibration controls left out: {}.", left_out.join(", ")));
    }
    Some(LogLog {
        x: Axis::N,
        measures,
        y_label,
        aria: "memory per live task against N, log-log".into(),
        legend_width: legend_width(&keys),
        series,
        keys,
        header,
        footer,
    })
}

/// One model's lines in the memory chart (RSS + kernel, dashed, where the run has it; then RSS) and its
/// legend entry, keyed by its last RSS value. `None` when the model has no RSS value.
fn model_lines(rss: &GroupTable, totals: &[Total], model: &str, color: String) -> Option<(Vec<Series>, (f64, Key))> {
    let measures = rss.group.measures;
    let values = first_run_values(rss, model);
    let &(last_n, last) = values.last()?;
    // A sum of two medians has no interval of its own: none is drawn.
    let with_kernel: Vec<(usize, Interval)> = totals
        .iter()
        .filter(|t| t.model == model)
        .map(|t| {
            let b = t.bytes();
            (t.n, Interval { point: b, lower: b, upper: b, standard_error: 0.0, ..last })
        })
        .collect();
    let point = |n: usize, v: Interval, what: &str| Point {
        n,
        value: v,
        tip: format!("{model}, N={n}: {} {what} per task", human(v.point, measures)),
    };
    let mut note = format!("{} at {}", human(last.point, measures), short_n(last_n));
    if let Some((_, total)) = with_kernel.iter().find(|(n, _)| *n == last_n) {
        note.push_str(&format!(", {} with kernel", human(total.point, measures)));
    }
    let mut series = Vec::new();
    // RSS + kernel first, so that RSS is drawn over it where the two nearly meet.
    if !with_kernel.is_empty() {
        let points = with_kernel.iter().map(|(n, v)| point(*n, *v, "RSS + kernel")).collect();
        series.push(Series { color: color.clone(), dash: DASHES[1], marker: 1, points });
    }
    let points = values.iter().map(|(n, v)| point(*n, *v, "RSS")).collect();
    series.push(Series { color: color.clone(), dash: DASHES[0], marker: 0, points });
    if rss.skipped_in(0).any(|s| s.model == model && s.n > last_n) {
        note.push_str(", skipped above");
    }
    Some((series, (last.point, Key { color, text: model.to_string(), note, ..Key::default() })))
}

/// Room for the legend's longest entry (about 6.5 px a character at 12 px), within bounds that leave the plot
/// most of the width.
fn legend_width(keys: &[Key]) -> f64 {
    let chars = keys.iter().map(|k| k.text.chars().count() + 1 + k.note.chars().count()).max().unwrap_or(0);
    (chars as f64 * 6.5 + 56.0).clamp(220.0, 420.0)
}

/// A model's values in the first run of a group, by N.
fn first_run_values(g: &GroupTable, model: &str) -> Vec<(usize, Interval)> {
    let mut v: Vec<(usize, Interval)> =
        g.cells_of(0).filter(|(r, _)| r.model == model).map(|(r, c)| (r.x, c.per_task)).collect();
    v.sort_by_key(|(n, _)| *n);
    v
}

/// Widens `[a, b]` (log10 units) by `frac` of its span on each side, or to at least `min_span`.
fn pad_range(a: f64, b: f64, frac: f64, min_span: f64) -> (f64, f64) {
    let span = b - a;
    if span < min_span {
        let mid = (a + b) / 2.0;
        (mid - min_span / 2.0, mid + min_span / 2.0)
    } else {
        (a - span * frac, b + span * frac)
    }
}

/// Tick values inside `[10^y0, 10^y1]`: 1-2-5 steps for time, powers of two for bytes, thinned to at most 9.
pub fn y_ticks(y0: f64, y1: f64, measures: Measures) -> Vec<f64> {
    let (lo, hi) = (10f64.powf(y0), 10f64.powf(y1));
    let mut ticks = Vec::new();
    if measures == Measures::Bytes {
        let mut k = lo.log2().floor() as i32;
        while 2f64.powi(k) <= hi {
            let v = 2f64.powi(k);
            if v >= lo {
                ticks.push(v);
            }
            k += 1;
        }
    } else {
        let mut e = y0.floor() as i32;
        while 10f64.powi(e) <= hi {
            for m in [1.0, 2.0, 5.0] {
                let v = m * 10f64.powi(e);
                if v >= lo && v <= hi {
                    ticks.push(v);
                }
            }
            e += 1;
        }
        // Many decades: keep the powers of ten only.
        if ticks.len() > 9 {
            ticks.retain(|v| (v.log10() - v.log10().round()).abs() < 1e-9);
        }
    }
    let step = ticks.len().div_ceil(9).max(1);
    if step > 1 {
        ticks = ticks.into_iter().enumerate().filter(|(i, _)| i % step == 0).map(|(_, v)| v).collect();
    }
    ticks
}
