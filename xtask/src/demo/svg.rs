//! Hand-written SVG timelines of one XRUN recovery (no plotting dependency).
//!
//! A panel per policy: one row per lane (application, PCM calls, the stop in progress,
//! the new transfer, the channel's HE bit, its script bursts, the SDMA interrupt), spans
//! as bars, instants as ticks with a short label, the STOP trigger as a dashed red line.
//! Each panel has its own time axis, in µs relative to its STOP trigger, made of the
//! timeline's windows side by side, each on its own scale (a zoom on the few µs of the
//! stop, a gap over the 100 ms of a timeout), so the interesting instants are never
//! squeezed into a pixel. Colours belong to the kind of a span or instant and are the
//! same in every panel; a legend under the panels names them.
//!
//! Text never overlaps and never leaves the picture: every text's box is estimated
//! ([`text_width`]), mark labels are placed right or left of their tick, in the first
//! free row under the lane's bars (with a leader line), and every box is kept in the
//! [`Layout`] so that tests can check it.

use std::fmt::Write as _;

use super::harness::{Timeline, Window};

const WIDTH: f64 = 1100.0;
const LEFT: f64 = 110.0;
const RIGHT: f64 = 16.0;
/// Horizontal space between two windows of one panel.
const GAP: f64 = 16.0;
const BAR_H: f64 = 16.0;
const ROW_H: f64 = 13.0;
const LANE_PAD: f64 = 5.0;
const AXIS_H: f64 = 30.0;
const MARK_FONT: f64 = 10.0;
const TITLE_FONT: f64 = 14.0;
const SUB_FONT: f64 = 11.0;

/// Estimated width of `s` in pixels at `size` px (DejaVu Sans / Helvetica-like metrics,
/// rounded up: a box from this is never narrower than the rendered text).
pub fn text_width(s: &str, size: f64) -> f64 {
    let em: f64 = s
        .chars()
        .map(|c| match c {
            'i' | 'j' | 'l' | '.' | ',' | ':' | ';' | '\'' | '|' | '!' | ' ' => 0.33,
            '(' | ')' | '[' | ']' | 'f' | 't' | 'r' | 'I' | '-' | '_' => 0.42,
            'm' | 'w' | 'M' | 'W' => 0.92,
            c if c.is_ascii_uppercase() => 0.74,
            c if c.is_ascii_digit() => 0.64,
            _ => 0.62,
        })
        .sum();
    em * size
}

/// Where one text sits (its estimated box) in the picture.
#[derive(Clone, Debug, PartialEq)]
pub struct TextBox {
    /// Left.
    pub x0: f64,
    /// Top.
    pub y0: f64,
    /// Right.
    pub x1: f64,
    /// Bottom.
    pub y1: f64,
    /// The text.
    pub text: String,
}

impl TextBox {
    fn new(x0: f64, baseline: f64, size: f64, text: &str) -> Self {
        TextBox {
            x0,
            y0: baseline - size,
            x1: x0 + text_width(text, size),
            y1: baseline + size * 0.25,
            text: text.to_string(),
        }
    }

    /// Whether two boxes share any area.
    pub fn overlaps(&self, o: &TextBox) -> bool {
        self.x0 < o.x1 && o.x0 < self.x1 && self.y0 < o.y1 && o.y0 < self.y1
    }
}

/// A picture and the boxes of every text in it.
#[derive(Clone, Debug)]
pub struct Layout {
    /// The SVG document.
    pub svg: String,
    /// Every text drawn.
    pub boxes: Vec<TextBox>,
    /// Width of the picture.
    pub width: f64,
    /// Height of the picture.
    pub height: f64,
}

impl Layout {
    /// Pairs of texts (indices into `boxes`) that overlap, and texts that leave the
    /// picture (paired with themselves). Empty for a readable picture.
    pub fn collisions(&self) -> Vec<(usize, usize)> {
        let mut out = Vec::new();
        for (i, a) in self.boxes.iter().enumerate() {
            if a.x0 < 0.0 || a.y0 < 0.0 || a.x1 > self.width || a.y1 > self.height {
                out.push((i, i));
            }
            for (j, b) in self.boxes.iter().enumerate().skip(i + 1) {
                if a.overlaps(b) {
                    out.push((i, j));
                }
            }
        }
        out
    }
}

/// Escapes text for SVG.
pub fn escape(s: &str) -> String {
    s.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
        .replace('"', "&quot;")
}

/// Fill and text colour of a span kind (the same in every panel).
fn span_colors(kind: &str) -> (&'static str, &'static str) {
    match kind {
        "he" => ("#4e79a7", "#fff"),
        "burst" => ("#9c755f", "#fff"),
        "stall" => ("#cfcfcf", "#222"),
        "sync-wait" => ("#f28e2b", "#222"),
        "blocked" => ("#e15759", "#fff"),
        "stop-pending" => ("#b07aa1", "#fff"),
        "pending" => ("#59a14f", "#fff"),
        "run" => ("#edc948", "#222"),
        _ => ("#76b7b2", "#222"),
    }
}

/// Colour of an instant's tick.
fn mark_color(kind: &str) -> &'static str {
    match kind {
        "stop" => "#d00000",
        "issue" => "#222222",
        "confirm" | "start" => "#2e7d32",
        "period" => "#1f4e99",
        "kill" | "timeout" => "#c62828",
        "he-clear" => "#4e79a7",
        _ => "#666666",
    }
}

/// A tick step (µs) giving about `n` ticks over `span_us`.
pub fn tick_step_us(span_us: f64, n: f64) -> f64 {
    let raw = (span_us / n.max(1.0)).max(0.1);
    let mag = 10f64.powf(raw.log10().floor());
    [1.0, 2.0, 5.0, 10.0]
        .iter()
        .map(|m| m * mag)
        .find(|s| *s >= raw * 0.999)
        .unwrap_or(10.0 * mag)
}

/// A duration for captions.
fn fmt_duration(ns: u64) -> String {
    let us = ns as f64 / 1000.0;
    if us < 10.0 {
        format!("{us:.1} µs")
    } else if us < 1000.0 {
        format!("{us:.0} µs")
    } else {
        format!("{:.1} ms", us / 1000.0)
    }
}

/// The x scale of one panel: its windows side by side.
struct Scale {
    /// `(from_ns, to_ns, x0, x1)`.
    wins: Vec<(u64, u64, f64, f64)>,
}

impl Scale {
    fn new(t: &Timeline) -> Scale {
        let mut ws: Vec<Window> = t.windows.clone();
        if ws.is_empty() {
            ws.push(Window {
                from_ns: 0,
                to_ns: t.end_ns.max(1),
                label: String::new(),
            });
        }
        let n = ws.len() as f64;
        let plot = WIDTH - LEFT - RIGHT;
        let w = (plot - GAP * (n - 1.0)) / n;
        let wins = ws
            .iter()
            .enumerate()
            .map(|(i, win)| {
                let x0 = LEFT + i as f64 * (w + GAP);
                (win.from_ns, win.to_ns, x0, x0 + w)
            })
            .collect();
        Scale { wins }
    }

    fn map(win: &(u64, u64, f64, f64), ns: u64) -> f64 {
        let (a, b, x0, x1) = *win;
        x0 + (x1 - x0) * (ns.saturating_sub(a)) as f64 / (b - a).max(1) as f64
    }

    /// The x of an instant, if a window shows it.
    fn x(&self, ns: u64) -> Option<f64> {
        self.wins
            .iter()
            .find(|w| ns >= w.0 && ns <= w.1)
            .map(|w| Self::map(w, ns))
    }

    /// The pieces of `[a, b)` that windows show, as x intervals.
    fn pieces(&self, a: u64, b: u64) -> Vec<(f64, f64)> {
        self.wins
            .iter()
            .filter(|w| a < w.1 && b > w.0)
            .map(|w| (Self::map(w, a.max(w.0)), Self::map(w, b.min(w.1))))
            .collect()
    }
}

/// Text placement: the boxes so far, and the checks every new one passes.
struct Texts {
    boxes: Vec<TextBox>,
}

impl Texts {
    fn free(&self, b: &TextBox) -> bool {
        b.x0 >= 2.0 && b.x1 <= WIDTH - 2.0 && self.boxes.iter().all(|o| !o.overlaps(b))
    }
}

fn lanes(t: &Timeline) -> Vec<String> {
    let mut out: Vec<String> = Vec::new();
    let names = t
        .spans
        .iter()
        .map(|s| &s.lane)
        .chain(t.marks.iter().map(|m| &m.lane));
    for l in names {
        if !out.contains(l) {
            out.push(l.clone());
        }
    }
    out
}

/// A mark label placed in a lane: its tick, row and left edge.
struct Placed {
    x: f64,
    row: usize,
    text: String,
    /// Left edge of the text.
    x0: f64,
}

/// Places the labels of one lane's marks in rows under its bars: right of the tick if
/// free, else left, else the next row; a label never covers another one nor the leader
/// line of another label.
fn place_labels(marks: &[(f64, String)], row0_baseline: f64) -> Vec<Placed> {
    let mut placed: Vec<(Placed, TextBox)> = Vec::new();
    let mut order: Vec<usize> = (0..marks.len()).collect();
    order.sort_by(|&a, &b| marks[a].0.total_cmp(&marks[b].0).then(a.cmp(&b)));
    for i in order {
        let (x, text) = &marks[i];
        let w = text_width(text, MARK_FONT);
        let mut row = 0;
        loop {
            let base = row0_baseline + row as f64 * ROW_H;
            let fits = |x0: f64| {
                let b = TextBox::new(x0, base, MARK_FONT, text);
                let inside = b.x0 >= LEFT - 2.0 && b.x1 <= WIDTH - 4.0;
                let clear = placed.iter().all(|(p, pb)| {
                    // Not on a label of this row (with a margin), not across the leader
                    // line of a label further down, and its own leader line not across
                    // a label higher up.
                    let same_row = p.row == row && pb.x0 - 4.0 < b.x1 && b.x0 < pb.x1 + 4.0;
                    let crosses_leader = p.row > row && p.x >= b.x0 - 2.0 && p.x <= b.x1 + 2.0;
                    let leader_crosses = p.row < row && *x >= pb.x0 - 2.0 && *x <= pb.x1 + 2.0;
                    !(same_row || crosses_leader || leader_crosses)
                });
                (inside && clear).then_some(b)
            };
            if let Some(b) = [x + 3.0, x - 3.0 - w].into_iter().find_map(fits) {
                placed.push((
                    Placed {
                        x: *x,
                        row,
                        text: text.clone(),
                        x0: b.x0,
                    },
                    b,
                ));
                break;
            }
            row += 1;
            let free_row = placed.iter().map(|(p, _)| p.row + 1).max().unwrap_or(0);
            if row > free_row {
                // Every row is blocked (the leader line would cross a label higher up
                // wherever this one goes): a row of its own below all others, moved
                // inside the plot if needed; its leader may pass a label, no text
                // overlaps.
                let x0 = (x + 3.0).min(WIDTH - 4.0 - w).max(LEFT - 2.0);
                let b = TextBox::new(x0, row0_baseline + free_row as f64 * ROW_H, MARK_FONT, text);
                placed.push((
                    Placed {
                        x: *x,
                        row: free_row,
                        text: text.clone(),
                        x0,
                    },
                    b,
                ));
                break;
            }
        }
    }
    placed.into_iter().map(|(p, _)| p).collect()
}

/// Draws one panel at `y0`; returns its height.
fn panel(
    out: &mut String,
    texts: &mut Texts,
    y0: f64,
    title: &str,
    t: &Timeline,
    legend: &mut Vec<(String, String)>,
) -> f64 {
    let scale = Scale::new(t);
    let mut y = y0;
    // Title, then the story on the same line when it fits.
    let mut tb = TextBox::new(10.0, y + 16.0, TITLE_FONT, title);
    // Bold is about a tenth wider than the estimate of regular text.
    tb.x1 = 10.0 + 1.1 * (tb.x1 - 10.0);
    let _ = writeln!(
        out,
        r#"<text x="10" y="{:.1}" font-size="{TITLE_FONT}" font-weight="bold">{}</text>"#,
        y + 16.0,
        escape(title)
    );
    let story_x = tb.x1 + 14.0;
    texts.boxes.push(tb);
    if !t.story.is_empty() {
        let mut sb = TextBox::new(story_x, y + 16.0, SUB_FONT, &t.story);
        if !texts.free(&sb) {
            y += 16.0;
            sb = TextBox::new(10.0, y + 16.0, SUB_FONT, &t.story);
        }
        let _ = writeln!(
            out,
            r##"<text x="{:.1}" y="{:.1}" font-size="{SUB_FONT}" fill="#444">{}</text>"##,
            sb.x0,
            y + 16.0,
            escape(&t.story)
        );
        texts.boxes.push(sb);
    }
    y += 24.0;
    // Window captions: what each window shows and how long it is.
    let windows: Vec<Window> = if t.windows.is_empty() {
        vec![Window {
            from_ns: 0,
            to_ns: t.end_ns.max(1),
            label: String::new(),
        }]
    } else {
        t.windows.clone()
    };
    for (i, (w, sw)) in windows.iter().zip(&scale.wins).enumerate() {
        let mut cap = String::new();
        if i > 0 && windows[i - 1].to_ns < w.from_ns {
            let _ = write!(
                cap,
                "// {} cut // ",
                fmt_duration(w.from_ns - windows[i - 1].to_ns)
            );
        }
        if !w.label.is_empty() {
            let _ = write!(cap, "{}: ", w.label);
        }
        let _ = write!(cap, "{} wide", fmt_duration(w.to_ns - w.from_ns));
        let cw = text_width(&cap, MARK_FONT);
        let cx = ((sw.2 + sw.3) / 2.0 - cw / 2.0).max(sw.2);
        let b = TextBox::new(cx, y + 10.0, MARK_FONT, &cap);
        if texts.free(&b) {
            let _ = writeln!(
                out,
                r##"<text x="{cx:.1}" y="{:.1}" font-size="{MARK_FONT}" fill="#555">{}</text>"##,
                y + 10.0,
                escape(&cap)
            );
            texts.boxes.push(b);
        }
    }
    y += 16.0;
    let top = y;
    let lanes = lanes(t);
    for (li, lane) in lanes.iter().enumerate() {
        let bar_y = y + LANE_PAD;
        // Labels of the lane's marks, placed first: they decide the lane's height.
        let labelled: Vec<(f64, String)> = t
            .marks
            .iter()
            .filter(|m| m.lane == *lane && !m.label.is_empty())
            .filter_map(|m| scale.x(m.at_ns).map(|x| (x, m.label.clone())))
            .collect();
        let row0 = bar_y + BAR_H + ROW_H - 2.0;
        let placed = place_labels(&labelled, row0);
        let rows = placed.iter().map(|p| p.row + 1).max().unwrap_or(0);
        let lane_h = LANE_PAD + BAR_H + rows as f64 * ROW_H + LANE_PAD;
        let fill = if li % 2 == 0 { "#f4f4f4" } else { "#ffffff" };
        for w in &scale.wins {
            let _ = writeln!(
                out,
                r#"<rect x="{:.1}" y="{y:.1}" width="{:.1}" height="{lane_h:.1}" fill="{fill}"/>"#,
                w.2,
                w.3 - w.2
            );
        }
        let nb = TextBox::new(
            LEFT - 8.0 - text_width(lane, 12.0),
            bar_y + BAR_H / 2.0 + 4.0,
            12.0,
            lane,
        );
        let _ = writeln!(
            out,
            r#"<text x="{:.1}" y="{:.1}" font-size="12">{}</text>"#,
            nb.x0,
            bar_y + BAR_H / 2.0 + 4.0,
            escape(lane)
        );
        texts.boxes.push(nb);
        for s in t.spans.iter().filter(|s| s.lane == *lane) {
            let (fill, ink) = span_colors(&s.kind);
            if !legend.iter().any(|(k, _)| *k == s.kind) {
                legend.push((s.kind.clone(), s.label.clone()));
            }
            for (x0, x1) in scale.pieces(s.from_ns, s.to_ns.max(s.from_ns)) {
                let w = (x1 - x0).max(1.0);
                let _ = writeln!(
                    out,
                    r#"<rect x="{x0:.1}" y="{bar_y:.1}" width="{w:.1}" height="{BAR_H}" fill="{fill}"><title>{} ({})</title></rect>"#,
                    escape(&s.label),
                    fmt_duration(s.to_ns.saturating_sub(s.from_ns))
                );
                let b = TextBox::new(x0 + 4.0, bar_y + BAR_H - 4.0, MARK_FONT, &s.label);
                if b.x1 + 4.0 <= x0 + w && texts.free(&b) {
                    let _ = writeln!(
                        out,
                        r#"<text x="{:.1}" y="{:.1}" font-size="{MARK_FONT}" fill="{ink}">{}</text>"#,
                        b.x0,
                        bar_y + BAR_H - 4.0,
                        escape(&s.label)
                    );
                    texts.boxes.push(b);
                }
            }
        }
        for m in t.marks.iter().filter(|m| m.lane == *lane) {
            let Some(xm) = scale.x(m.at_ns) else {
                continue;
            };
            let _ = writeln!(
                out,
                r#"<line x1="{xm:.1}" y1="{:.1}" x2="{xm:.1}" y2="{:.1}" stroke="{}" stroke-width="2"/>"#,
                bar_y - 2.0,
                bar_y + BAR_H + 2.0,
                mark_color(&m.kind)
            );
        }
        for p in &placed {
            let base = row0 + p.row as f64 * ROW_H;
            let x0 = p.x0;
            let _ = writeln!(
                out,
                r##"<line x1="{:.1}" y1="{:.1}" x2="{:.1}" y2="{:.1}" stroke="#888" stroke-width="0.8" stroke-dasharray="2,2"/>"##,
                p.x,
                bar_y + BAR_H + 2.0,
                p.x,
                base + 2.0
            );
            let _ = writeln!(
                out,
                r#"<text x="{x0:.1}" y="{base:.1}" font-size="{MARK_FONT}">{}</text>"#,
                escape(&p.text)
            );
            texts.boxes.push(TextBox::new(x0, base, MARK_FONT, &p.text));
        }
        y += lane_h;
    }
    let bottom = y;
    // The STOP trigger across every lane.
    if let Some(xs) = scale.x(t.stop_ns) {
        let _ = writeln!(
            out,
            r##"<line x1="{xs:.1}" y1="{top:.1}" x2="{xs:.1}" y2="{bottom:.1}" stroke="#d00000" stroke-dasharray="5,3"/>"##
        );
    }
    // The axis of each window: µs relative to the STOP trigger.
    let mut last_label: Option<TextBox> = None;
    for (wi, w) in scale.wins.iter().enumerate() {
        let _ = writeln!(
            out,
            r##"<line x1="{:.1}" y1="{bottom:.1}" x2="{:.1}" y2="{bottom:.1}" stroke="#000"/>"##,
            w.2, w.3
        );
        if wi > 0 {
            // The scale changes here: a break mark.
            let xb = w.2 - GAP / 2.0;
            let _ = writeln!(
                out,
                r##"<path d="M{:.1} {:.1} l4 -8 M{:.1} {:.1} l4 -8" stroke="#000" fill="none"/>"##,
                xb - 4.0,
                bottom + 4.0,
                xb,
                bottom + 4.0
            );
        }
        let (from_us, to_us) = (w.0 as f64 / 1000.0, w.1 as f64 / 1000.0);
        let stop_us = t.stop_ns as f64 / 1000.0;
        let step = tick_step_us(to_us - from_us, ((w.3 - w.2) / 64.0).floor());
        let mut k = ((from_us - stop_us) / step).ceil();
        while stop_us + k * step <= to_us + 1e-9 {
            let rel = k * step;
            let ns = ((stop_us + rel) * 1000.0).round().max(0.0) as u64;
            k += 1.0;
            let Some(xt) = scale.x(ns) else {
                continue;
            };
            let _ = writeln!(
                out,
                r##"<line x1="{xt:.1}" y1="{bottom:.1}" x2="{xt:.1}" y2="{:.1}" stroke="#000"/>"##,
                bottom + 4.0
            );
            let label = if rel.abs() < step / 2.0 {
                "0".to_string()
            } else if step < 1.0 {
                format!("{rel:+.1}")
            } else {
                format!("{rel:+.0}")
            };
            let lw = text_width(&label, MARK_FONT);
            let b = TextBox::new(xt - lw / 2.0, bottom + 15.0, MARK_FONT, &label);
            let apart = last_label.as_ref().is_none_or(|l| l.x1 + 6.0 <= b.x0);
            if apart && texts.free(&b) {
                let _ = writeln!(
                    out,
                    r#"<text x="{:.1}" y="{:.1}" font-size="{MARK_FONT}">{label}</text>"#,
                    b.x0,
                    bottom + 15.0
                );
                last_label = Some(b.clone());
                texts.boxes.push(b);
            }
        }
    }
    let unit = TextBox::new(LEFT - 40.0, bottom + 15.0, MARK_FONT, "µs");
    let _ = writeln!(
        out,
        r#"<text x="{:.1}" y="{:.1}" font-size="{MARK_FONT}">µs</text>"#,
        unit.x0,
        bottom + 15.0
    );
    texts.boxes.push(unit);
    bottom + AXIS_H - y0
}

/// The legend: a swatch per span kind drawn, the STOP line; returns its height.
fn legend(out: &mut String, texts: &mut Texts, y0: f64, kinds: &[(String, String)]) -> f64 {
    let mut entries: Vec<(String, String)> = vec![(
        "stop-line".into(),
        "STOP trigger (terminate_async), time 0".into(),
    )];
    entries.extend(kinds.iter().cloned());
    let mut x = 10.0;
    let mut y = y0 + 6.0;
    for (kind, label) in &entries {
        let w = 16.0 + text_width(label, MARK_FONT);
        if x + w > WIDTH - 10.0 {
            x = 10.0;
            y += 16.0;
        }
        if kind == "stop-line" {
            let _ = writeln!(
                out,
                r##"<line x1="{:.1}" y1="{:.1}" x2="{:.1}" y2="{:.1}" stroke="#d00000" stroke-dasharray="5,3"/>"##,
                x + 5.0,
                y,
                x + 5.0,
                y + 11.0
            );
        } else {
            let _ = writeln!(
                out,
                r#"<rect x="{x:.1}" y="{:.1}" width="11" height="11" fill="{}"/>"#,
                y,
                span_colors(kind).0
            );
        }
        let b = TextBox::new(x + 16.0, y + 9.5, MARK_FONT, label);
        let _ = writeln!(
            out,
            r#"<text x="{:.1}" y="{:.1}" font-size="{MARK_FONT}">{}</text>"#,
            b.x0,
            y + 9.5,
            escape(label)
        );
        texts.boxes.push(b);
        x += w + 18.0;
    }
    y + 18.0 - y0
}

const CAPTION: &str = "axis: virtual µs relative to the STOP trigger; each window has its own \
     scale (a break mark where it changes); ticks are instants; hover a bar for its length";

fn document(panels: &[(String, &Timeline)]) -> Layout {
    let mut body = String::new();
    let mut texts = Texts { boxes: Vec::new() };
    let mut kinds = Vec::new();
    let mut y = 4.0;
    for (title, t) in panels {
        y += panel(&mut body, &mut texts, y, title, t, &mut kinds) + 8.0;
    }
    y += legend(&mut body, &mut texts, y, &kinds);
    let cap = TextBox::new(10.0, y + 10.0, MARK_FONT, CAPTION);
    let _ = writeln!(
        body,
        r##"<text x="10" y="{:.1}" font-size="{MARK_FONT}" fill="#555">{}</text>"##,
        y + 10.0,
        escape(CAPTION)
    );
    texts.boxes.push(cap);
    let height = (y + 18.0).ceil();
    let svg = format!(
        "<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"{WIDTH}\" height=\"{height}\" \
         viewBox=\"0 0 {WIDTH} {height}\" font-family=\"DejaVu Sans, Helvetica, Arial, sans-serif\">\n\
         <rect width=\"100%\" height=\"100%\" fill=\"#fff\"/>\n{body}</svg>\n"
    );
    Layout {
        svg,
        boxes: texts.boxes,
        width: WIDTH,
        height,
    }
}

/// The layout of one policy's recovery.
pub fn timeline_layout(policy: &str, period_us: f64, t: &Timeline) -> Layout {
    let title = format!("{policy}: one XRUN recovery (period {period_us:.0} µs)");
    document(&[(title, t)])
}

/// The layout of the policies' recoveries, one panel each, each on its own scale.
pub fn comparison_layout(all: &[(&str, &Timeline)]) -> Layout {
    let panels: Vec<(String, &Timeline)> = all.iter().map(|(n, t)| (n.to_string(), *t)).collect();
    document(&panels)
}

#[cfg(test)]
mod tests {
    use super::super::harness::{Mark, Span};
    use super::*;

    fn span(lane: &str, from_ns: u64, to_ns: u64, kind: &str, label: &str) -> Span {
        Span {
            lane: lane.into(),
            from_ns,
            to_ns,
            label: label.into(),
            kind: kind.into(),
        }
    }

    fn mark(lane: &str, at_ns: u64, kind: &str, label: &str) -> Mark {
        Mark {
            lane: lane.into(),
            at_ns,
            label: label.into(),
            kind: kind.into(),
        }
    }

    fn window(from_ns: u64, to_ns: u64, label: &str) -> Window {
        Window {
            from_ns,
            to_ns,
            label: label.into(),
        }
    }

    /// A pending-list recovery as the harness draws it: STOP and the new transfer in
    /// one interrupt at 4 µs, the confirmation 5.7 µs later, the first period one
    /// period after the start; a zoom window on the stop, one on the new run.
    fn pending() -> Timeline {
        Timeline {
            stop_ns: 4_000,
            end_ns: 5_786_000,
            story: "the new transfer waits on the pending list & starts by itself".into(),
            windows: vec![
                window(0, 13_700, "zoom on the stop"),
                window(13_700, 5_786_000, "the new run"),
            ],
            spans: vec![
                span("stop", 4_000, 9_700, "stop-pending", "stop pending"),
                span(
                    "new transfer",
                    4_000,
                    9_700,
                    "pending",
                    "waits on the pending list",
                ),
                span("new transfer", 9_700, 5_342_000, "run", "running <B>"),
                span("ch1 HE", 0, 4_060, "he", "HE: channel enabled"),
                span("ch1 HE", 9_700, 5_786_000, "he", "HE: channel enabled"),
            ],
            marks: vec![
                mark("pcm-dma", 4_000, "stop", "STOP (terminate_async)"),
                mark("pcm-dma", 4_000, "issue", "new transfer issued (same IRQ)"),
                mark(
                    "stop",
                    9_700,
                    "confirm",
                    "stop confirmed (HE clear + bound)",
                ),
                mark("new transfer", 9_700, "start", "pending transfer started"),
                mark("ch1 HE", 4_060, "he-clear", "HE clear"),
                mark(
                    "pcm-dma",
                    5_342_000,
                    "period",
                    "first period, 5332 µs after the start",
                ),
                mark("SDMA irq", 4_000, "irq", ""),
                mark("SDMA irq", 5_342_000, "irq", ""),
            ],
        }
    }

    /// A linux-5.8 recovery whose restart the worker killed: the read times out 100 ms
    /// later; the windows skip the blocked read.
    fn killed() -> Timeline {
        let stop = 370_000;
        Timeline {
            stop_ns: stop,
            end_ns: 112_000_000,
            story: "the worker kills the new transfer; the read times out (-EIO)".into(),
            windows: vec![
                window(0, 2_200_000, "the stop"),
                window(105_800_000, 112_000_000, "the timeout and the restart"),
            ],
            spans: vec![
                span("application", stop, stop + 680_000, "stall", "stalled"),
                span(
                    "application",
                    stop + 680_000,
                    106_280_000,
                    "blocked",
                    "no period",
                ),
                span(
                    "stop",
                    stop,
                    stop + 1_474_000,
                    "stop-pending",
                    "stop pending",
                ),
            ],
            marks: vec![
                mark("pcm-dma", stop, "stop", "STOP (terminate_async)"),
                mark(
                    "pcm-dma",
                    stop + 680_000,
                    "issue",
                    "new transfer issued (thread)",
                ),
                mark(
                    "stop",
                    stop + 1_474_000,
                    "kill",
                    "worker runs: kills the new transfer",
                ),
                mark(
                    "application",
                    106_280_000,
                    "timeout",
                    "timeout: read fails (-EIO)",
                ),
                mark(
                    "pcm-dma",
                    106_280_000,
                    "issue",
                    "stop + prepare + start again",
                ),
                mark(
                    "pcm-dma",
                    111_530_000,
                    "period",
                    "first period, 5250 µs after the start",
                ),
            ],
        }
    }

    fn assert_readable(l: &Layout, what: &str) {
        let c = l.collisions();
        assert!(
            c.is_empty(),
            "{what}: {:?}",
            c.iter()
                .map(|&(i, j)| (&l.boxes[i], &l.boxes[j]))
                .collect::<Vec<_>>()
        );
    }

    #[test]
    fn svg_has_lanes_bars_marks_and_escapes_text() {
        let s = timeline_layout("pending-list", 5333.3, &pending()).svg;
        assert!(s.starts_with("<svg"));
        assert!(s.trim_end().ends_with("</svg>"));
        assert_eq!(s.matches(">ch1 HE</text>").count(), 1, "one row per lane");
        assert_eq!(s.matches(">pcm-dma</text>").count(), 1);
        assert!(s.contains("running &lt;B&gt;"));
        assert!(s.contains("pending list &amp; starts"));
        assert!(!s.contains("<B>"));
        // Every span piece is a bar (the HE span after the stop crosses both windows).
        assert_eq!(s.matches("<title>").count(), 7);
        assert!(
            s.contains(">0</text>") && !s.contains(">-0</text>"),
            "the STOP tick reads 0"
        );
        // Deterministic.
        assert_eq!(s, timeline_layout("pending-list", 5333.3, &pending()).svg);
    }

    #[test]
    fn the_zoom_shows_the_restart_in_the_same_interrupt_and_the_gap_until_confirmation() {
        let t = pending();
        let scale = Scale::new(&t);
        let x = |ns| scale.x(ns).unwrap();
        // STOP and issue in the same interrupt: one x. The HE gap and the wait on the
        // pending list (5.7 µs) are tens of pixels wide, not one.
        assert!(x(9_700) - x(4_060) > 100.0, "{} {}", x(4_060), x(9_700));
        // The first period one period after the start, in the second window.
        assert!(x(5_342_000) > scale.wins[1].2 && x(5_342_000) < scale.wins[1].3);
        let l = timeline_layout("pending-list", 5333.3, &t);
        for label in [
            "STOP (terminate_async)",
            "new transfer issued (same IRQ)",
            "stop confirmed (HE clear + bound)",
            "pending transfer started",
            "first period, 5332 µs after the start",
        ] {
            assert!(l.boxes.iter().any(|b| b.text == label), "{label}");
        }
    }

    #[test]
    fn labels_never_overlap_nor_leave_the_picture() {
        assert_readable(
            &timeline_layout("pending-list", 5333.3, &pending()),
            "pending",
        );
        assert_readable(&timeline_layout("linux-5.8", 5333.3, &killed()), "killed");
        let (p, k) = (pending(), killed());
        assert_readable(
            &comparison_layout(&[("pending-list", &p), ("linux-5.8", &k)]),
            "comparison",
        );
        // Crowded lanes: many long labels at nearby instants, at both edges, in one or
        // two windows. Deterministic by seed; the seed is in the message.
        for seed in 0..300u64 {
            let mut r = seed.wrapping_mul(0x9E37_79B9_7F4A_7C15) | 1;
            let mut next = |n: u64| {
                r ^= r << 13;
                r ^= r >> 7;
                r ^= r << 17;
                r % n
            };
            let end = 1_000 + next(10_000_000);
            let mut t = Timeline {
                stop_ns: next(end),
                end_ns: end,
                ..Timeline::default()
            };
            if next(2) == 1 {
                let cut = 1 + next(end - 1);
                t.windows = vec![window(0, cut, "a"), window(cut, end, "b")];
            }
            for i in 0..(3 + next(8)) {
                let lane = ["pcm-dma", "stop", "application"][next(3) as usize];
                let at = match next(4) {
                    0 => 0,
                    1 => end,
                    _ => next(end),
                };
                let label = format!(
                    "instant {i} with a label {}",
                    "long ".repeat(next(4) as usize)
                );
                t.marks.push(mark(lane, at, "issue", &label));
            }
            assert_readable(
                &timeline_layout("linux>=6.10", 5333.3, &t),
                &format!("seed {seed} {t:?}"),
            );
        }
    }

    #[test]
    fn the_linux_5_8_panel_shows_the_kill_and_the_timeout_after_a_cut() {
        let (p, k) = (pending(), killed());
        let l = comparison_layout(&[("pending-list", &p), ("linux-5.8", &k)]);
        let texts: Vec<&str> = l.boxes.iter().map(|b| b.text.as_str()).collect();
        assert!(texts.contains(&"timeout: read fails (-EIO)"), "{texts:?}");
        assert!(texts.contains(&"worker runs: kills the new transfer"));
        assert!(
            texts.iter().any(|t| t.starts_with("// 103.6 ms cut //")),
            "the blocked read is cut out: {texts:?}"
        );
        // The timeout sits below the linux-5.8 title, i.e. in its panel.
        let title = l.boxes.iter().find(|b| b.text == "linux-5.8").unwrap();
        let timeout = l
            .boxes
            .iter()
            .find(|b| b.text == "timeout: read fails (-EIO)")
            .unwrap();
        assert!(timeout.y0 > title.y1);
    }

    #[test]
    fn colours_belong_to_kinds() {
        let s = timeline_layout("pending-list", 5333.3, &pending()).svg;
        // Both HE bars and its legend swatch share the HE colour.
        assert!(s.matches(span_colors("he").0).count() >= 4);
        assert_ne!(span_colors("pending").0, span_colors("stop-pending").0);
        assert_ne!(span_colors("sync-wait").0, span_colors("blocked").0);
    }

    #[test]
    fn tick_steps_are_round() {
        assert_eq!(tick_step_us(8000.0, 8.0), 1000.0);
        assert_eq!(tick_step_us(12000.0, 8.0), 2000.0);
        assert_eq!(tick_step_us(30.0, 8.0), 5.0);
        assert_eq!(tick_step_us(14.0, 7.0), 2.0);
    }
}
