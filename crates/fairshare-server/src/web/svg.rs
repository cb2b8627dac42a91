//! Charts as SVG, drawn on the server: no script, no float in the geometry (integer
//! proportions of exact values), every bar labelled with its value and a text legend. Kinds
//! are told apart by a fill pattern and their label, never by colour alone. `viewBox` with
//! `width="100%"` scales them to any screen, a phone's too.

use std::fmt::Write as _;

/// Width of the drawing in user units.
const WIDTH: i128 = 520;
/// Room left of the bars for their labels.
const LABEL_W: i128 = 100;
/// Room right of the bars for the value.
const VALUE_W: i128 = 170;
const BAR_H: i128 = 22;
const GAP: i128 = 8;

/// Fill patterns, one per series, in order (defined in [`defs`]).
const PATTERNS: [&str; 6] = ["solid", "hatch", "dots", "cross", "vertical", "checks"];

/// Escapes text for SVG (XML) content and attributes.
pub fn escape(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            c => out.push(c),
        }
    }
    out
}

/// One bar: a label, a magnitude (any non-negative integer scale) and the text of its value.
#[derive(Debug, Clone)]
pub struct Bar {
    pub label: String,
    pub magnitude: i128,
    pub text: String,
}

fn defs() -> String {
    concat!(
        "<defs>",
        "<pattern id=\"p-solid\" width=\"6\" height=\"6\" patternUnits=\"userSpaceOnUse\">",
        "<rect width=\"6\" height=\"6\" fill=\"#2b5c8a\"/></pattern>",
        "<pattern id=\"p-hatch\" width=\"6\" height=\"6\" patternUnits=\"userSpaceOnUse\">",
        "<rect width=\"6\" height=\"6\" fill=\"#f3d9a4\"/>",
        "<path d=\"M0,6 L6,0\" stroke=\"#8a5a00\" stroke-width=\"1.5\"/></pattern>",
        "<pattern id=\"p-dots\" width=\"6\" height=\"6\" patternUnits=\"userSpaceOnUse\">",
        "<rect width=\"6\" height=\"6\" fill=\"#d8ecd2\"/>",
        "<circle cx=\"3\" cy=\"3\" r=\"1.4\" fill=\"#2f6b25\"/></pattern>",
        "<pattern id=\"p-cross\" width=\"6\" height=\"6\" patternUnits=\"userSpaceOnUse\">",
        "<rect width=\"6\" height=\"6\" fill=\"#f1d0d0\"/>",
        "<path d=\"M0,0 L6,6 M6,0 L0,6\" stroke=\"#8a2020\" stroke-width=\"1\"/></pattern>",
        "<pattern id=\"p-vertical\" width=\"6\" height=\"6\" patternUnits=\"userSpaceOnUse\">",
        "<rect width=\"6\" height=\"6\" fill=\"#e2daf2\"/>",
        "<path d=\"M3,0 L3,6\" stroke=\"#4b2f8a\" stroke-width=\"1.5\"/></pattern>",
        "<pattern id=\"p-checks\" width=\"6\" height=\"6\" patternUnits=\"userSpaceOnUse\">",
        "<rect width=\"6\" height=\"6\" fill=\"#fff\"/>",
        "<rect width=\"3\" height=\"3\" fill=\"#555\"/><rect x=\"3\" y=\"3\" width=\"3\" height=\"3\" fill=\"#555\"/>",
        "</pattern></defs>"
    )
    .to_string()
}

fn open_svg(out: &mut String, height: i128, title: &str) {
    let _ = write!(
        out,
        "<svg xmlns=\"http://www.w3.org/2000/svg\" viewBox=\"0 0 {WIDTH} {height}\" \
         width=\"100%\" role=\"img\" aria-label=\"{t}\" class=\"chart\" \
         font-family=\"sans-serif\" font-size=\"14\"><title>{t}</title>{defs}",
        t = escape(title),
        defs = defs()
    );
}

/// `part * span / whole`, rounded down; 0 when `whole` is 0.
fn scale(part: i128, whole: i128, span: i128) -> i128 {
    if whole <= 0 || part <= 0 {
        return 0;
    }
    // Values are at most ~10^30 here; divide first when the product could overflow.
    part.checked_mul(span)
        .map(|p| p / whole)
        .unwrap_or_else(|| part / (whole / span).max(1))
        .min(span)
}

/// A horizontal bar chart (shares by agent): one labelled bar per item, its value at its end.
pub fn bar_chart(title: &str, bars: &[Bar]) -> String {
    let height = GAP + (bars.len() as i128).max(1) * (BAR_H + GAP);
    let span = WIDTH - LABEL_W - VALUE_W;
    let max = bars.iter().map(|b| b.magnitude).max().unwrap_or(0);
    let mut out = String::new();
    open_svg(&mut out, height, title);
    if bars.is_empty() {
        let _ = write!(out, "<text x=\"10\" y=\"22\">nothing counted yet</text>");
    }
    for (i, bar) in bars.iter().enumerate() {
        let y = GAP + i as i128 * (BAR_H + GAP);
        let w = scale(bar.magnitude, max, span).max(if bar.magnitude > 0 { 1 } else { 0 });
        let _ = write!(
            out,
            "<g class=\"bar\"><text x=\"{lx}\" y=\"{ty}\" text-anchor=\"end\">{label}</text>\
             <rect x=\"{LABEL_W}\" y=\"{y}\" width=\"{w}\" height=\"{BAR_H}\" fill=\"url(#p-solid)\" \
             stroke=\"#222\" stroke-width=\"0.5\"/>\
             <text x=\"{vx}\" y=\"{ty}\">{value}</text></g>",
            lx = LABEL_W - 6,
            ty = y + BAR_H - 6,
            label = escape(&bar.label),
            vx = LABEL_W + w + 6,
            value = escape(&bar.text),
        );
    }
    out.push_str("</svg>");
    out
}

/// A segment of a stacked bar: the series' index, its magnitude and the text of its value.
pub type Segment = (usize, i128, String);

/// A stacked bar chart (contributions by month and kind): one row per group (a month), one
/// patterned segment per series (a kind), the group's total at its end, and a legend that
/// names each series beside its pattern. `rows` holds `(group, [(series index, magnitude,
/// text)])`.
pub fn stacked_chart(
    title: &str,
    series: &[String],
    rows: &[(String, Vec<Segment>)],
    totals: &[String],
) -> String {
    let legend_h = 26;
    let height = legend_h + GAP + (rows.len() as i128).max(1) * (BAR_H + GAP);
    let span = WIDTH - LABEL_W - VALUE_W;
    let max = rows
        .iter()
        .map(|(_, segs)| segs.iter().map(|s| s.1).sum::<i128>())
        .max()
        .unwrap_or(0);
    let mut out = String::new();
    open_svg(&mut out, height, title);
    // Legend: a swatch with the series' pattern and its name.
    let mut x = 10;
    for (i, name) in series.iter().enumerate() {
        let _ = write!(
            out,
            "<g class=\"legend\"><rect x=\"{x}\" y=\"6\" width=\"14\" height=\"14\" \
             fill=\"url(#p-{p})\" stroke=\"#222\" stroke-width=\"0.5\"/>\
             <text x=\"{tx}\" y=\"18\">{name}</text></g>",
            p = PATTERNS[i % PATTERNS.len()],
            tx = x + 18,
            name = escape(name),
        );
        x += 30 + 8 * name.chars().count() as i128;
    }
    if rows.is_empty() {
        let _ = write!(
            out,
            "<text x=\"10\" y=\"{}\">no contributions yet</text>",
            legend_h + 20
        );
    }
    for (i, (group, segments)) in rows.iter().enumerate() {
        let y = legend_h + GAP + i as i128 * (BAR_H + GAP);
        let ty = y + BAR_H - 6;
        let _ = write!(
            out,
            "<text x=\"{}\" y=\"{ty}\" text-anchor=\"end\">{}</text>",
            LABEL_W - 6,
            escape(group)
        );
        let mut at = LABEL_W;
        for (series_index, magnitude, text) in segments {
            let w = scale(*magnitude, max, span);
            if w == 0 {
                continue;
            }
            let name = series.get(*series_index).map(String::as_str).unwrap_or("");
            let _ = write!(
                out,
                "<rect x=\"{at}\" y=\"{y}\" width=\"{w}\" height=\"{BAR_H}\" \
                 fill=\"url(#p-{p})\" stroke=\"#222\" stroke-width=\"0.5\">\
                 <title>{name}: {text}</title></rect>",
                p = PATTERNS[series_index % PATTERNS.len()],
                name = escape(name),
                text = escape(text),
            );
            at += w;
        }
        let total = totals.get(i).map(String::as_str).unwrap_or("");
        let _ = write!(
            out,
            "<text x=\"{}\" y=\"{ty}\">{}</text>",
            at + 6,
            escape(total)
        );
    }
    out.push_str("</svg>");
    out
}

/// Height of a line chart's plot area, in user units.
const PLOT_H: i128 = 180;

/// A line chart of values over events (a token's price): one point per item, left to right
/// in order, each with its label and value as a tooltip; the first and last labels under the
/// axis and the highest value beside it. Magnitudes are any non-negative integer scale.
pub fn line_chart(title: &str, points: &[Bar]) -> String {
    let top = 20;
    let height = top + PLOT_H + 40;
    let span = WIDTH - LABEL_W - 20;
    let max = points.iter().map(|p| p.magnitude).max().unwrap_or(0);
    let mut out = String::new();
    open_svg(&mut out, height, title);
    if points.is_empty() {
        let _ = write!(out, "<text x=\"10\" y=\"40\">no price yet</text>");
        out.push_str("</svg>");
        return out;
    }
    let steps = (points.len() as i128 - 1).max(1);
    let at = |i: usize, magnitude: i128| {
        (
            LABEL_W + i as i128 * span / steps,
            top + PLOT_H - scale(magnitude, max, PLOT_H),
        )
    };
    let _ = write!(
        out,
        "<line x1=\"{LABEL_W}\" y1=\"{b}\" x2=\"{r}\" y2=\"{b}\" stroke=\"#222\"/>\
         <line x1=\"{LABEL_W}\" y1=\"{top}\" x2=\"{LABEL_W}\" y2=\"{b}\" stroke=\"#222\"/>",
        b = top + PLOT_H,
        r = LABEL_W + span,
    );
    let top_text = points
        .iter()
        .find(|p| p.magnitude == max)
        .map(|p| p.text.as_str())
        .unwrap_or("");
    let _ = write!(
        out,
        "<text x=\"{x}\" y=\"{y}\" text-anchor=\"end\">{t}</text>\
         <text x=\"{x}\" y=\"{b}\" text-anchor=\"end\">0</text>",
        x = LABEL_W - 6,
        y = top + 5,
        b = top + PLOT_H,
        t = escape(top_text),
    );
    let path: Vec<String> = points
        .iter()
        .enumerate()
        .map(|(i, p)| {
            let (x, y) = at(i, p.magnitude);
            format!("{x},{y}")
        })
        .collect();
    let _ = write!(
        out,
        "<polyline points=\"{}\" fill=\"none\" stroke=\"#2b5c8a\" stroke-width=\"2\"/>",
        path.join(" ")
    );
    for (i, p) in points.iter().enumerate() {
        let (x, y) = at(i, p.magnitude);
        let _ = write!(
            out,
            "<circle cx=\"{x}\" cy=\"{y}\" r=\"3.5\" fill=\"#2b5c8a\">\
             <title>{l}: {t}</title></circle>",
            l = escape(&p.label),
            t = escape(&p.text),
        );
    }
    let first = &points[0];
    let last = &points[points.len() - 1];
    let _ = write!(
        out,
        "<text x=\"{LABEL_W}\" y=\"{y}\">{f}</text>\
         <text x=\"{r}\" y=\"{y}\" text-anchor=\"end\">{l}: {t}</text>",
        y = top + PLOT_H + 22,
        r = LABEL_W + span,
        f = escape(&first.label),
        l = escape(&last.label),
        t = escape(&last.text),
    );
    out.push_str("</svg>");
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn bar(label: &str, magnitude: i128, text: &str) -> Bar {
        Bar {
            label: label.into(),
            magnitude,
            text: text.into(),
        }
    }

    #[test]
    fn bars_are_proportional_and_labelled() {
        let svg = bar_chart(
            "Shares",
            &[
                bar("abran", 5400, "5400.00 (50%)"),
                bar("luc", 2700, "2700.00"),
            ],
        );
        assert!(svg.starts_with("<svg") && svg.ends_with("</svg>"));
        assert!(svg.contains("viewBox=\"0 0 520 ") && svg.contains("width=\"100%\""));
        let span = WIDTH - LABEL_W - VALUE_W;
        assert!(svg.contains(&format!("width=\"{span}\"")), "{svg}");
        assert!(svg.contains(&format!("width=\"{}\"", span / 2)), "{svg}");
        assert!(svg.contains(">abran</text>") && svg.contains(">5400.00 (50%)</text>"));
        assert!(svg.contains("<title>Shares</title>"));
    }

    #[test]
    fn text_is_escaped_and_empty_charts_say_so() {
        let svg = bar_chart("<b>", &[bar("a&b", 1, "<1>")]);
        assert!(svg.contains("a&amp;b") && svg.contains("&lt;1&gt;") && !svg.contains("<b>"));
        assert!(bar_chart("x", &[]).contains("nothing counted yet"));
    }

    #[test]
    fn stacked_bars_have_a_pattern_per_series_and_a_legend() {
        let series = vec!["work".to_string(), "cash".to_string()];
        let rows = vec![
            (
                "2026-10".to_string(),
                vec![(0, 100, "100".to_string()), (1, 50, "50".to_string())],
            ),
            ("2026-11".to_string(), vec![(0, 30, "30".to_string())]),
        ];
        let svg = stacked_chart("By month", &series, &rows, &["150".into(), "30".into()]);
        assert!(svg.contains("url(#p-solid)") && svg.contains("url(#p-hatch)"));
        assert!(svg.contains(">work</text>") && svg.contains(">cash</text>"));
        assert!(svg.contains(">2026-10</text>") && svg.contains(">150</text>"));
        assert!(svg.contains("<title>cash: 50</title>"));
    }

    #[test]
    fn scale_never_overflows_or_exceeds_the_span() {
        assert_eq!(scale(5, 10, 360), 180);
        assert_eq!(scale(0, 10, 360), 0);
        assert_eq!(scale(1, 0, 360), 0);
        assert_eq!(scale(i128::MAX, i128::MAX, 360), 360);
        assert!(scale(i128::MAX / 2, i128::MAX, 360) <= 360);
    }

    #[test]
    fn a_line_chart_puts_each_point_at_its_value() {
        let svg = line_chart(
            "Price",
            &[bar("event 3", 100, "1.00"), bar("event 5", 50, "0.50")],
        );
        let span = WIDTH - LABEL_W - 20;
        // The highest point touches the top of the plot, the half one is half way down.
        assert!(
            svg.contains(&format!("points=\"{LABEL_W},20 {},110\"", LABEL_W + span)),
            "{svg}"
        );
        assert!(svg.contains("<title>event 5: 0.50</title>") && svg.contains(">event 3</text>"));
        assert!(line_chart("x", &[]).contains("no price yet"));
    }
}
