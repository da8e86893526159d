//! Hand-written SVG timelines of one XRUN recovery (no plotting dependency).
//!
//! One row per lane (application, PCM, channel, hardware, ...), spans as bars, instants
//! as ticks, the STOP trigger as a dashed line, time in virtual µs on the axis. The
//! comparison picture stacks the policies on one time scale, so the difference between
//! them is the difference in bar lengths.

use std::fmt::Write as _;

use super::harness::Timeline;

const WIDTH: f64 = 1100.0;
const LEFT: f64 = 120.0;
const RIGHT: f64 = 30.0;
const LANE_H: f64 = 34.0;
const TITLE_H: f64 = 28.0;
const AXIS_H: f64 = 30.0;
const PALETTE: &[&str] = &[
    "#4e79a7", "#f28e2b", "#59a14f", "#e15759", "#76b7b2", "#edc948", "#b07aa1", "#9c755f",
];

/// Escapes text for SVG.
pub fn escape(s: &str) -> String {
    s.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
        .replace('"', "&quot;")
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

fn color(label: &str) -> &'static str {
    let h = label
        .bytes()
        .fold(5381u32, |h, b| h.wrapping_mul(33) ^ u32::from(b));
    PALETTE[h as usize % PALETTE.len()]
}

/// A tick step (µs) giving about 8 ticks over `span_us`.
pub fn tick_step_us(span_us: f64) -> f64 {
    let raw = (span_us / 8.0).max(1.0);
    let mag = 10f64.powf(raw.log10().floor());
    [1.0, 2.0, 5.0, 10.0]
        .iter()
        .map(|m| m * mag)
        .find(|s| *s >= raw)
        .unwrap_or(10.0 * mag)
}

/// Draws one panel at `y0`; returns its height.
fn panel(out: &mut String, y0: f64, title: &str, t: &Timeline, end_ns: u64) -> f64 {
    let lanes = lanes(t);
    let plot_w = WIDTH - LEFT - RIGHT;
    let x = |ns: u64| LEFT + plot_w * (ns.min(end_ns) as f64) / (end_ns.max(1) as f64);
    let _ = writeln!(
        out,
        r#"<text x="10" y="{:.1}" font-size="15" font-weight="bold">{}</text>"#,
        y0 + 18.0,
        escape(title)
    );
    let top = y0 + TITLE_H;
    for (i, lane) in lanes.iter().enumerate() {
        let y = top + i as f64 * LANE_H;
        let fill = if i % 2 == 0 { "#f6f6f6" } else { "#ffffff" };
        let _ = writeln!(
            out,
            r#"<rect x="{LEFT}" y="{y:.1}" width="{plot_w:.1}" height="{LANE_H}" fill="{fill}"/>"#
        );
        let _ = writeln!(
            out,
            r#"<text x="{:.1}" y="{:.1}" font-size="12" text-anchor="end">{}</text>"#,
            LEFT - 8.0,
            y + LANE_H / 2.0 + 4.0,
            escape(lane)
        );
    }
    for s in &t.spans {
        let Some(i) = lanes.iter().position(|l| *l == s.lane) else {
            continue;
        };
        let y = top + i as f64 * LANE_H + 6.0;
        let (x0, x1) = (x(s.from_ns), x(s.to_ns.max(s.from_ns)));
        let w = (x1 - x0).max(1.0);
        let _ = writeln!(
            out,
            r#"<rect x="{x0:.1}" y="{y:.1}" width="{w:.1}" height="{:.1}" fill="{}" opacity="0.85"><title>{} ({:.1} µs)</title></rect>"#,
            LANE_H - 12.0,
            color(&s.label),
            escape(&s.label),
            (s.to_ns.saturating_sub(s.from_ns)) as f64 / 1000.0
        );
        if w > 7.0 * s.label.chars().count() as f64 {
            let _ = writeln!(
                out,
                r##"<text x="{:.1}" y="{:.1}" font-size="11" fill="#fff">{}</text>"##,
                x0 + 4.0,
                y + LANE_H / 2.0 - 2.0,
                escape(&s.label)
            );
        }
    }
    for (k, m) in t.marks.iter().enumerate() {
        let Some(i) = lanes.iter().position(|l| *l == m.lane) else {
            continue;
        };
        let y = top + i as f64 * LANE_H;
        let xm = x(m.at_ns);
        let _ = writeln!(
            out,
            r##"<line x1="{xm:.1}" y1="{:.1}" x2="{xm:.1}" y2="{:.1}" stroke="#222" stroke-width="2"/>"##,
            y + 3.0,
            y + LANE_H - 3.0
        );
        // Alternate label heights so that neighbouring marks stay readable.
        let ly = y + if k % 2 == 0 { 12.0 } else { LANE_H - 4.0 };
        if !m.label.is_empty() {
            let _ = writeln!(
                out,
                r#"<text x="{:.1}" y="{ly:.1}" font-size="10">{}</text>"#,
                xm + 3.0,
                escape(&m.label)
            );
        }
    }
    let bottom = top + lanes.len() as f64 * LANE_H;
    let xs = x(t.stop_ns);
    let _ = writeln!(
        out,
        r##"<line x1="{xs:.1}" y1="{top:.1}" x2="{xs:.1}" y2="{bottom:.1}" stroke="#d00" stroke-dasharray="5,3"/>"##
    );
    // Axis: µs relative to the STOP trigger.
    let _ = writeln!(
        out,
        r##"<line x1="{LEFT}" y1="{bottom:.1}" x2="{:.1}" y2="{bottom:.1}" stroke="#000"/>"##,
        WIDTH - RIGHT
    );
    let end_us = end_ns as f64 / 1000.0;
    let stop_us = t.stop_ns as f64 / 1000.0;
    let step = tick_step_us(end_us);
    let mut tick = -((stop_us / step).floor()) * step;
    while stop_us + tick <= end_us + 1e-9 {
        let ns = ((stop_us + tick) * 1000.0).round().max(0.0) as u64;
        let xt = x(ns);
        let _ = writeln!(
            out,
            r##"<line x1="{xt:.1}" y1="{bottom:.1}" x2="{xt:.1}" y2="{:.1}" stroke="#000"/>"##,
            bottom + 5.0
        );
        let label = if tick.abs() < 0.5 {
            "0".to_string()
        } else {
            format!("{tick:+.0}")
        };
        let _ = writeln!(
            out,
            r#"<text x="{xt:.1}" y="{:.1}" font-size="10" text-anchor="middle">{label}</text>"#,
            bottom + 17.0
        );
        tick += step;
    }
    TITLE_H + lanes.len() as f64 * LANE_H + AXIS_H
}

fn document(body: &str, height: f64, caption: &str) -> String {
    format!(
        "<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"{WIDTH}\" height=\"{h:.0}\" viewBox=\"0 0 {WIDTH} {h:.0}\" font-family=\"sans-serif\">\n\
         <rect width=\"100%\" height=\"100%\" fill=\"#fff\"/>\n{body}\
         <text x=\"10\" y=\"{:.1}\" font-size=\"11\" fill=\"#555\">{}</text>\n</svg>\n",
        height + 14.0,
        escape(caption),
        h = height + 24.0,
    )
}

const CAPTION: &str =
    "virtual µs relative to the STOP trigger (dashed red line); hover a bar for its length";

/// The SVG of one policy's recovery.
pub fn timeline_svg(policy: &str, period_us: f64, t: &Timeline) -> String {
    let mut body = String::new();
    let title = format!("{policy}: one XRUN recovery (period {period_us:.0} µs)");
    let h = panel(&mut body, 0.0, &title, t, t.end_ns);
    document(&body, h, CAPTION)
}

/// The policies' recoveries stacked on one time scale.
pub fn comparison_svg(all: &[(&str, &Timeline)]) -> String {
    // Align every panel on its STOP trigger: shift so that all stops share one x.
    let lead = all.iter().map(|(_, t)| t.stop_ns).max().unwrap_or(0);
    let tail = all
        .iter()
        .map(|(_, t)| t.end_ns.saturating_sub(t.stop_ns))
        .max()
        .unwrap_or(0);
    let mut body = String::new();
    let mut y = 0.0;
    for (name, t) in all {
        let shift = lead - t.stop_ns;
        let moved = Timeline {
            stop_ns: t.stop_ns + shift,
            end_ns: lead + tail,
            spans: t
                .spans
                .iter()
                .map(|s| super::harness::Span {
                    from_ns: s.from_ns + shift,
                    to_ns: s.to_ns + shift,
                    ..s.clone()
                })
                .collect(),
            marks: t
                .marks
                .iter()
                .map(|m| super::harness::Mark {
                    at_ns: m.at_ns + shift,
                    ..m.clone()
                })
                .collect(),
        };
        y += panel(&mut body, y, name, &moved, lead + tail) + 10.0;
    }
    document(&body, y, CAPTION)
}

#[cfg(test)]
mod tests {
    use super::super::harness::{Mark, Span};
    use super::*;

    fn tl() -> Timeline {
        Timeline {
            stop_ns: 2_000,
            end_ns: 12_000,
            spans: vec![
                Span {
                    lane: "hardware".into(),
                    from_ns: 0,
                    to_ns: 2_500,
                    label: "old run".into(),
                },
                Span {
                    lane: "hardware".into(),
                    from_ns: 3_000,
                    to_ns: 12_000,
                    label: "new run <B>".into(),
                },
            ],
            marks: vec![Mark {
                lane: "pcm".into(),
                at_ns: 2_000,
                label: "STOP & restart".into(),
            }],
        }
    }

    #[test]
    fn svg_has_lanes_bars_marks_and_escapes_text() {
        let s = timeline_svg("pending-list", 5333.3, &tl());
        assert!(s.starts_with("<svg"));
        assert!(s.trim_end().ends_with("</svg>"));
        assert_eq!(s.matches(">hardware</text>").count(), 1, "one row per lane");
        assert_eq!(s.matches(">pcm</text>").count(), 1);
        assert!(s.contains("new run &lt;B&gt;"));
        assert!(s.contains("STOP &amp; restart"));
        assert!(!s.contains("<B>"));
        assert_eq!(s.matches("<title>").count(), 2, "one bar per span");
        assert!(
            s.contains(">0</text>") && !s.contains(">-0</text>"),
            "the STOP tick reads 0"
        );
        // Deterministic.
        assert_eq!(s, timeline_svg("pending-list", 5333.3, &tl()));
    }

    #[test]
    fn comparison_stacks_panels() {
        let a = tl();
        let mut b = tl();
        b.stop_ns = 1_000;
        let s = comparison_svg(&[("pending-list", &a), ("linux-5.8", &b)]);
        assert!(s.contains(">pending-list</text>"));
        assert!(s.contains(">linux-5.8</text>"));
        assert_eq!(s.matches("stroke-dasharray").count(), 2);
    }

    #[test]
    fn tick_steps_are_round() {
        assert_eq!(tick_step_us(8000.0), 1000.0);
        assert_eq!(tick_step_us(12000.0), 2000.0);
        assert_eq!(tick_step_us(30.0), 5.0);
    }
}
