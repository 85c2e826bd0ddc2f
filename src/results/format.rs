//! Every number and escape the renderers print, in one place. What a value is (time, bytes, instructions)
//! comes from the catalogue's [`Measures`], never from a unit string.

use crate::catalogue::Measures;

/// A value scaled for people, three significant digits: `253 ns`, `1.25 µs`, `256 B`, `20.3 KiB`.
pub fn human(value: f64, measures: Measures) -> String {
    let steps: &[(f64, &str)] = match measures {
        Measures::Time => &[(1e9, "s"), (1e6, "ms"), (1e3, "µs"), (1.0, "ns")],
        Measures::Bytes => &[(1024.0 * 1024.0 * 1024.0, "GiB"), (1024.0 * 1024.0, "MiB"), (1024.0, "KiB"), (1.0, "B")],
        Measures::Instructions => &[(1e9, "G instr"), (1e6, "M instr"), (1e3, "k instr"), (1.0, "instr")],
    };
    let (div, unit) = steps.iter().find(|(d, _)| value.abs() >= *d).copied().unwrap_or(steps[steps.len() - 1]);
    format!("{} {unit}", sig3(value / div))
}

/// Three significant digits, no exponent: `253`, `25.3`, `2.53`, `0.253`.
fn sig3(v: f64) -> String {
    let digits = match v.abs() {
        a if a >= 100.0 || a == 0.0 || !a.is_finite() => 0,
        a if a >= 10.0 => 1,
        a if a >= 1.0 => 2,
        _ => 3,
    };
    format!("{v:.digits$}")
}

/// `1,234,567`: a whole number with thousands separators.
pub fn thousands(v: f64) -> String {
    let r = v.round() as i64;
    let digits = r.unsigned_abs().to_string();
    let groups: Vec<&str> =
        digits.as_bytes().rchunks(3).rev().map(|g| std::str::from_utf8(g).expect("ASCII digits")).collect();
    format!("{}{}", if r < 0 { "-" } else { "" }, groups.join(","))
}

/// A README table number: `1,234` for bytes and counts, [`figure`] for nanoseconds.
pub fn number(v: f64, measures: Measures) -> String {
    if measures == Measures::Time {
        figure(v)
    } else {
        thousands(v)
    }
}

/// A sentence's figure: `12.5` below 100, `8,773` above.
pub fn figure(v: f64) -> String {
    if v.abs() < 100.0 {
        format!("{v:.1}")
    } else {
        thousands(v)
    }
}

/// `±2.1%`, `±0.05%`: half a confidence interval; `±0` for an interval of width zero.
pub fn plus_minus_pct(fraction: f64) -> String {
    match fraction * 100.0 {
        0.0 => "±0".to_string(),
        p if p < 0.1 => format!("±{p:.2}%"),
        p => format!("±{p:.1}%"),
    }
}

/// `25%`, `2.5%`: a rule's threshold.
pub fn pct(fraction: f64) -> String {
    let p = fraction * 100.0;
    if (p - p.round()).abs() < 1e-9 {
        format!("{p:.0}%")
    } else {
        format!("{p}%")
    }
}

/// `1.03×`; near 1 with three decimals, so a real 0.3% difference does not print as `1.00×`.
pub fn ratio(r: f64) -> String {
    if (r - 1.0).abs() < 0.01 {
        format!("{r:.3}×")
    } else {
        format!("{}×", sig3(r))
    }
}

/// `2.3×`, `45×`: how many times `a` is `b`, as a sentence says it.
pub fn times(a: f64, b: f64) -> String {
    let r = a / b;
    if r < 10.0 {
        format!("{r:.1}×")
    } else {
        format!("{r:.0}×")
    }
}

/// `10^6` for powers of ten, else `25,000`.
pub fn power_of_ten(n: usize) -> String {
    let digits = n.to_string();
    if n >= 10 && digits.starts_with('1') && digits[1..].chars().all(|c| c == '0') {
        format!("10^{}", digits.len() - 1)
    } else {
        thousands(n as f64)
    }
}

/// `10k`, `1M`, `250`: an axis tick.
pub fn short_n(n: usize) -> String {
    match n {
        n if n >= 1_000_000 && n % 1_000_000 == 0 => format!("{}M", n / 1_000_000),
        n if n >= 1000 && n % 1000 == 0 => format!("{}k", n / 1000),
        n => n.to_string(),
    }
}

/// `1 KiB`, `256 B`, `2 µs`: [`human`] without trailing zeros.
pub fn tick_label(v: f64, measures: Measures) -> String {
    let s = human(v, measures);
    let (num, u) = s.split_once(' ').unwrap_or((&s, ""));
    let num = if num.contains('.') { num.trim_end_matches('0').trim_end_matches('.') } else { num };
    format!("{num} {u}")
}

/// The values of `pairs` grouped by key, keys in the order first seen.
pub fn grouped<K: PartialEq, V>(pairs: impl IntoIterator<Item = (K, V)>) -> Vec<(K, Vec<V>)> {
    let mut out: Vec<(K, Vec<V>)> = Vec::new();
    for (k, v) in pairs {
        match out.iter_mut().find(|(have, _)| *have == k) {
            Some((_, vs)) => vs.push(v),
            None => out.push((k, vec![v])),
        }
    }
    out
}

/// The items of `items` once each, in the order first seen.
pub fn unique<T: PartialEq>(items: impl IntoIterator<Item = T>) -> Vec<T> {
    grouped(items.into_iter().map(|i| (i, ()))).into_iter().map(|(i, _)| i).collect()
}

/// HTML escaping for text and attribute values.
pub fn esc(s: &str) -> String {
    s.replace('&', "&amp;").replace('<', "&lt;").replace('>', "&gt;").replace('"', "&quot;").replace('\'', "&#39;")
}

/// `A`, `B`, ..., `Z`, `AA`, ...
pub fn letter(i: usize) -> String {
    let mut s = String::new();
    let mut i = i + 1;
    while i > 0 {
        i -= 1;
        s.insert(0, (b'A' + (i % 26) as u8) as char);
        i /= 26;
    }
    s
}
