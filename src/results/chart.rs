//! Log-log SVG line charts of a per-task value against N (or K): one per group in the report ([`LogLog::svg`])
//! and the README's memory chart ([`memory`], [`LogLog::document`]). Deterministic, so a committed chart
//! compares byte for byte; hand-written because every point carries its tooltip and the legend each model's
//! last value, which `plotters`' SVG backend cannot do.

use std::collections::BTreeMap;
use std::fmt::Write as _;

use super::format::{esc, human, short_n, tick_label};
use super::noise::Interval;
use super::table::Table;
use crate::catalogue::{self, Axis, Measures};

/// Line styles, dash pattern `i` with marker `i`: runs in the report, RSS and RSS + kernel in the memory chart.
const DASHES: &[&str] = &["", "7 4", "2 3", "10 3 2 3", "4 4 1 4"];

pub struct Point {
    pub n: usize,
    pub value: Interval,
    pub tip: String,
}

/// One line: a colour, a line style and its points (any order).
pub struct Series {
    pub color: String,
    pub style: usize,
    pub points: Vec<Point>,
}

/// One legend entry: a line sample (thick without a style), its text, a grey note, a tooltip.
#[derive(Default)]
pub struct Key {
    pub color: String,
    pub style: Option<usize>,
    pub text: String,
    pub note: String,
    pub title: Option<String>,
    pub space_above: bool,
}

/// A chart with its legend on the right; `header` and `footer` are drawn only by [`LogLog::document`].
pub struct LogLog {
    pub x: Axis,
    pub measures: Measures,
    pub y_label: String,
    pub aria: String,
    pub legend_width: f64,
    pub series: Vec<Series>,
    pub keys: Vec<Key>,
    pub header: Vec<String>,
    pub footer: Vec<String>,
}

const W: f64 = 1060.0;
const L: f64 = 78.0;
const PLOT_H: f64 = 334.0;
const LINE: f64 = 18.0;
const GAP: f64 = 8.0;
const STYLE: &str = "text{font:12px system-ui,-apple-system,'Segoe UI',Roboto,sans-serif;fill:#333}";

/// A model's colour in `colors` ([`Table::colors`]), black for one it does not know.
pub fn color_of(colors: &BTreeMap<String, String>, model: &str) -> String {
    colors.get(model).cloned().unwrap_or_else(|| "#000".into())
}

impl LogLog {
    pub fn svg(&self) -> String {
        self.draw(false)
    }

    /// The chart as an SVG file of its own: header, footer, a white background and its own text style.
    pub fn document(&self) -> String {
        self.draw(true) + "\n"
    }

    fn draw(&self, standalone: bool) -> String {
        let (header, footer) = if standalone {
            (self.header.len() as f64 * LINE + 8.0, self.footer.len() as f64 * LINE)
        } else {
            (0.0, 0.0)
        };
        let (r, t) = (W - self.legend_width, 16.0 + header);
        let b = t + PLOT_H;
        let gaps = self.keys.iter().filter(|k| k.space_above).count() as f64 * GAP;
        let legend_bottom = t + 10.0 + self.keys.len() as f64 * LINE + gaps;
        let h = (b + 50.0).max(legend_bottom + 8.0) + footer;
        let mut s = format!(
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
        // Both axes are logarithmic: a point at zero (K = 0) or below has no place on them.
        let pts: Vec<&Point> = self.series.iter().flat_map(|s| &s.points).filter(|p| drawn(p)).collect();
        if pts.is_empty() {
            let _ = write!(s, "<text x=\"{L}\" y=\"{:.1}\">No positive values to chart.</text></svg>", t + 20.0);
            return s;
        }
        let frame = Frame::around(&pts, r, t, b);
        self.axes(&mut s, &frame, &pts);
        self.lines(&mut s, &frame);
        self.legend(&mut s, r + 24.0, t + 10.0);
        if standalone {
            for (i, line) in self.footer.iter().enumerate() {
                let y = h - footer + 4.0 + i as f64 * LINE;
                let _ = write!(s, "<text x=\"{L}\" y=\"{y:.1}\" style=\"fill:#666\">{}</text>", esc(line));
            }
        }
        s + "</svg>"
    }

    fn axes(&self, s: &mut String, f: &Frame, pts: &[&Point]) {
        let Frame { r, t, b, .. } = *f;
        let (width, height) = (r - L, b - t);
        let _ = write!(
            s,
            "<rect x=\"{L}\" y=\"{t}\" width=\"{width}\" height=\"{height}\" fill=\"#fcfcfc\" stroke=\"#bbb\"/>"
        );
        for v in y_ticks(f.y0, f.y1, self.measures) {
            let (y, label) = (f.sy(v), esc(&tick_label(v, self.measures)));
            let _ = write!(
                s,
                "<line x1=\"{L}\" x2=\"{r}\" y1=\"{y:.1}\" y2=\"{y:.1}\" stroke=\"#e6e6e6\"/>\
                 <text x=\"{:.1}\" y=\"{:.1}\" text-anchor=\"end\">{label}</text>",
                L - 6.0,
                y + 4.0
            );
        }
        // The x axis counts N tasks or K bytes each task holds (the state groups).
        let (x_label, x_tick): (_, fn(usize) -> String) = match self.x {
            Axis::N => ("N (tasks), log scale", short_n),
            Axis::K => {
                ("K, bytes each task holds across its park point, log scale", |k| tick_label(k as f64, Measures::Bytes))
            }
        };
        for n in xs(pts) {
            let x = f.sx(n as f64);
            let (y, label) = (b + 16.0, esc(&x_tick(n)));
            let _ = write!(
                s,
                "<line x1=\"{x:.1}\" x2=\"{x:.1}\" y1=\"{t}\" y2=\"{b}\" stroke=\"#e6e6e6\"/>\
                 <text x=\"{x:.1}\" y=\"{y:.1}\" text-anchor=\"middle\">{label}</text>"
            );
        }
        let _ = write!(
            s,
            "<text x=\"{:.1}\" y=\"{:.1}\" text-anchor=\"middle\">{x_label}</text>\
             <text transform=\"translate(16 {:.1}) rotate(-90)\" text-anchor=\"middle\">{}</text>",
            (L + r) / 2.0,
            b + 38.0,
            (t + b) / 2.0,
            esc(&self.y_label)
        );
    }

    fn lines(&self, s: &mut String, f: &Frame) {
        for series in &self.series {
            let mut line: Vec<&Point> = series.points.iter().filter(|p| drawn(p)).collect();
            line.sort_by_key(|p| p.n);
            let color = &series.color;
            let xy = |p: &Point| (f.sx(p.n as f64), f.sy(p.value.point));
            let points: Vec<String> = line.iter().map(|p| xy(p)).map(|(x, y)| format!("{x:.1},{y:.1}")).collect();
            let (points, dash) = (points.join(" "), dasharray(Some(series.style)));
            let _ =
                write!(s, "<polyline points=\"{points}\" fill=\"none\" stroke=\"{color}\" stroke-width=\"2\"{dash}/>");
            for p in line {
                let ((x, y), v) = (xy(p), p.value);
                if v.lower > 0.0 && v.upper > v.lower {
                    let (ya, yb, xl) = (f.sy(v.lower), f.sy(v.upper), x - 3.0);
                    let _ = write!(
                        s,
                        "<path d=\"M{x:.1} {ya:.1}V{yb:.1}M{xl:.1} {ya:.1}h6M{xl:.1} {yb:.1}h6\" stroke=\"{color}\" stroke-width=\"1.2\"/>"
                    );
                }
                s.push_str(&marker(series.style, x, y, color, &p.tip));
            }
        }
    }

    fn legend(&self, s: &mut String, lx: f64, mut ly: f64) {
        for k in &self.keys {
            ly += if k.space_above { GAP } else { 0.0 };
            let (width, dash) = (if k.style.is_some() { 2 } else { 3 }, dasharray(k.style));
            let _ = write!(
                s,
                "<line x1=\"{lx}\" x2=\"{:.1}\" y1=\"{ly:.1}\" y2=\"{ly:.1}\" stroke=\"{}\" stroke-width=\"{width}\"{dash}/>",
                lx + 26.0,
                k.color
            );
            if let Some(m) = k.style {
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

fn drawn(p: &Point) -> bool {
    p.value.point > 0.0 && p.n > 0
}

fn xs(pts: &[&Point]) -> Vec<usize> {
    let mut ns: Vec<usize> = pts.iter().map(|p| p.n).collect();
    ns.sort_unstable();
    ns.dedup();
    ns
}

/// The plot's box (`L` to `r`, `t` to `b`) and the log10 ranges it shows, padded around the points.
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

fn dasharray(style: Option<usize>) -> String {
    match style.map(|i| DASHES[i % DASHES.len()]) {
        Some(dash) if !dash.is_empty() => format!(" stroke-dasharray=\"{dash}\""),
        _ => String::new(),
    }
}

/// Style 0: filled circle, 1: hollow circle, 2: filled square, 3: hollow square, ...
fn marker(style: usize, x: f64, y: f64, color: &str, tip: &str) -> String {
    let fill = if style % 2 == 0 { color } else { "#fff" };
    let tip = format!("<title>{}</title>", esc(tip));
    if (style / 2) % 2 == 0 {
        format!("<circle cx=\"{x:.1}\" cy=\"{y:.1}\" r=\"4\" fill=\"{fill}\" stroke=\"{color}\" stroke-width=\"1.5\">{tip}</circle>")
    } else {
        let (x, y) = (x - 4.0, y - 4.0);
        format!("<rect x=\"{x:.1}\" y=\"{y:.1}\" width=\"8\" height=\"8\" fill=\"{fill}\" stroke=\"{color}\" stroke-width=\"1.5\">{tip}</rect>")
    }
}

/// Run A's memory chart: RSS per task against N for every model but the `controls`, dashed RSS + kernel where
/// the run has both, the legend in the order the lines end; `None` without an RSS cell.
pub fn memory(t: &Table, controls: &[&str], header: Vec<String>) -> Option<LogLog> {
    let rss = t.group(catalogue::RSS.name)?;
    let (colors, totals, measures) = (t.colors(), t.totals(0), rss.group.measures);
    let (left_out, models): (Vec<&str>, Vec<&str>) = rss.models().into_iter().partition(|m| controls.contains(m));
    let mut series = Vec::new();
    let mut keyed: Vec<(f64, Key)> = Vec::new();
    for model in models {
        let point = |n: usize, value: Interval, what: &str| {
            let tip = format!("{model}, N={n}: {} {what} per task", human(value.point, measures));
            Point { n, value, tip }
        };
        // Rows are in order of N.
        let values: Vec<Point> =
            rss.cells_of(0).filter(|(r, _)| r.model == model).map(|(r, c)| point(r.x, c.per_task, "RSS")).collect();
        let Some(last) = values.last().map(|p| (p.n, p.value)) else { continue };
        // A sum of two medians has no interval of its own: none is drawn.
        let with_kernel: Vec<Point> = totals
            .iter()
            .filter(|total| total.model == model)
            .map(|total| {
                let b = total.bytes();
                point(total.n, Interval { point: b, lower: b, upper: b, standard_error: 0.0, ..last.1 }, "RSS + kernel")
            })
            .collect();
        let mut note = format!("{} at {}", human(last.1.point, measures), short_n(last.0));
        if let Some(total) = with_kernel.iter().find(|p| p.n == last.0) {
            let _ = write!(note, ", {} with kernel", human(total.value.point, measures));
        }
        if rss.skipped_in(0).any(|s| s.model == model && s.n > last.0) {
            note.push_str(", skipped above");
        }
        let color = color_of(&colors, model);
        // RSS + kernel first, so that RSS is drawn over it where the two nearly meet.
        if !with_kernel.is_empty() {
            series.push(Series { color: color.clone(), style: 1, points: with_kernel });
        }
        series.push(Series { color: color.clone(), style: 0, points: values });
        keyed.push((last.1.point, Key { color, text: model.to_string(), note, ..Key::default() }));
    }
    if series.is_empty() {
        return None;
    }
    keyed.sort_by(|a, b| b.0.total_cmp(&a.0));
    let mut keys: Vec<Key> = keyed.into_iter().map(|(_, k)| k).collect();
    let any_total = series.iter().any(|s| s.style == 1);
    if any_total {
        let style =
            |i: usize, text: &str| Key { color: "#555".into(), style: Some(i), text: text.into(), ..Key::default() };
        keys.push(Key { space_above: true, ..style(0, "RSS") });
        keys.push(Key { note: format!("({})", catalogue::KERNEL.name), ..style(1, "RSS + kernel") });
    }
    let mut footer = vec![String::from(
        "Points are medians of Criterion's samples (bars: their confidence interval, mostly narrower than the dot); \
         every task is alive and parked when memory is read.",
    )];
    if !left_out.is_empty() {
        footer.push(format!("Calibration controls left out: {}.", left_out.join(", ")));
    }
    // Room for the legend's longest entry (about 6.5 px a character at 12 px), leaving the plot most of the width.
    let chars = keys.iter().map(|k| k.text.chars().count() + 1 + k.note.chars().count()).max().unwrap_or(0);
    Some(LogLog {
        x: Axis::N,
        measures,
        y_label: format!("{} per live task, bytes (log scale)", if any_total { "memory" } else { "RSS" }),
        aria: "memory per live task against N, log-log".into(),
        legend_width: (chars as f64 * 6.5 + 56.0).clamp(220.0, 420.0),
        series,
        keys,
        header,
        footer,
    })
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
    let mut ticks: Vec<f64> = if measures == Measures::Bytes {
        let powers = (lo.log2().floor() as i32..).map(|k| 2f64.powi(k)).take_while(|v| *v <= hi);
        powers.filter(|v| *v >= lo).collect()
    } else {
        let decades = (y0.floor() as i32..).take_while(|e| 10f64.powi(*e) <= hi);
        decades.flat_map(|e| [1.0, 2.0, 5.0].map(|m| m * 10f64.powi(e))).filter(|v| *v >= lo && *v <= hi).collect()
    };
    // Many decades of time: keep the powers of ten only.
    if measures != Measures::Bytes && ticks.len() > 9 {
        ticks.retain(|v| (v.log10() - v.log10().round()).abs() < 1e-9);
    }
    let step = ticks.len().div_ceil(9).max(1);
    ticks.into_iter().step_by(step).collect()
}
