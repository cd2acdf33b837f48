//! The report's charts as SVG text (plotters' SVG backend, no fonts needed: the
//! browser draws the text), to be put inline in the HTML report. Two shapes
//! serve every chart: bars per month stacked by a breakdown, and plain bars.

use plotters::coord::ranged1d::SegmentValue;
use plotters::prelude::*;

/// Tableau's ten colours (distinguishable, also in print), then grey and olive.
const PALETTE: [RGBColor; 12] = [
    RGBColor(0x4e, 0x79, 0xa7),
    RGBColor(0xf2, 0x8e, 0x2b),
    RGBColor(0xe1, 0x57, 0x59),
    RGBColor(0x76, 0xb7, 0xb2),
    RGBColor(0x59, 0xa1, 0x4f),
    RGBColor(0xed, 0xc9, 0x48),
    RGBColor(0xb0, 0x7a, 0xa1),
    RGBColor(0xff, 0x9d, 0xa7),
    RGBColor(0x9c, 0x75, 0x5f),
    RGBColor(0xba, 0xb0, 0xac),
    RGBColor(0x8c, 0x8c, 0x8c),
    RGBColor(0xbc, 0xbd, 0x22),
];
/// Palette indexes with a meaning of their own.
pub const BLUE: usize = 0;
pub const ORANGE: usize = 1;
pub const RED: usize = 2;
pub const TEAL: usize = 3;
pub const GREEN: usize = 4;
pub const GREY: usize = 10;
const WIDTH: u32 = 880;
const HEIGHT: u32 = 300;
const LEGEND_WIDTH: u32 = 190;
const FONT: &str = "sans-serif";

/// One coloured part of a chart: its name in the legend and a value per bar.
#[derive(Debug, Clone, Copy)]
pub struct Series<'a> {
    pub name: &'a str,
    pub values: &'a [usize],
}

/// Bars (one per label, e.g. per month), each stacked from the series: the
/// first series on top, as the legend lists them.
pub fn stacked_bars(labels: &[String], series: &[Series<'_>], y_desc: &str) -> String {
    let parts: Vec<Vec<Part>> = (0..labels.len())
        .map(|i| {
            let mut low = 0;
            series
                .iter()
                .enumerate()
                .rev()
                .map(|(k, s)| {
                    let high = low + count(s.values.get(i).copied().unwrap_or(0));
                    let part = Part {
                        low,
                        high,
                        color: k,
                    };
                    low = high;
                    part
                })
                .collect()
        })
        .collect();
    let names: Vec<&str> = series.iter().map(|s| s.name).collect();
    render(labels, &parts, y_desc, &names)
}

/// One bar per label, coloured by `colors` (indexes into the palette).
pub fn bars(labels: &[String], values: &[usize], colors: &[usize], y_desc: &str) -> String {
    let parts: Vec<Vec<Part>> = values
        .iter()
        .enumerate()
        .map(|(i, &v)| {
            vec![Part {
                low: 0,
                high: count(v),
                color: colors.get(i).copied().unwrap_or(0),
            }]
        })
        .collect();
    render(labels, &parts, y_desc, &[])
}

/// The palette's colour `index` as CSS, for legends drawn in HTML.
pub fn css_color(index: usize) -> String {
    let RGBColor(r, g, b) = PALETTE[index % PALETTE.len()];
    format!("#{r:02x}{g:02x}{b:02x}")
}

/// A piece of one bar: from `low` to `high`, in palette colour `color`.
struct Part {
    low: u32,
    high: u32,
    color: usize,
}

type DrawResult = Result<(), Box<dyn std::error::Error>>;

fn render(labels: &[String], bars: &[Vec<Part>], y_desc: &str, legend: &[&str]) -> String {
    let mut svg = String::new();
    let drawn = draw(&mut svg, labels, bars, y_desc, legend);
    match drawn {
        Ok(()) => svg,
        // The SVG backend writes into a String and does not fail; should it ever,
        // the page says so instead of showing half a chart.
        Err(err) => format!("<p class=\"error\">chart could not be drawn: {err}</p>"),
    }
}

fn draw(
    svg: &mut String,
    labels: &[String],
    bars: &[Vec<Part>],
    y_desc: &str,
    legend: &[&str],
) -> DrawResult {
    let root = SVGBackend::with_string(svg, (WIDTH, HEIGHT)).into_drawing_area();
    root.fill(&WHITE)?;
    let (plot, legend_area) = root.split_horizontally(WIDTH - LEGEND_WIDTH);
    let top = bars
        .iter()
        .map(|parts| parts.iter().map(|p| p.high).max().unwrap_or(0))
        .max()
        .unwrap_or(0);
    // Room above the highest bar, and a readable axis when everything is zero.
    let y_max = (top + top / 10 + 1).max(4);
    let n = labels.len().max(1);
    // A discrete range includes its end: 0..n-1 has n segments.
    let mut chart = ChartBuilder::on(&plot)
        .margin(12)
        .x_label_area_size(34)
        .y_label_area_size(52)
        .build_cartesian_2d((0..n - 1).into_segmented(), 0u32..y_max)?;
    chart
        .configure_mesh()
        .disable_x_mesh()
        .y_desc(y_desc)
        .y_labels(6)
        .y_label_formatter(&|v| format!("{v}"))
        .x_labels(n)
        .x_label_formatter(&|v| match v {
            SegmentValue::CenterOf(i) => labels.get(*i).cloned().unwrap_or_default(),
            _ => String::new(),
        })
        .light_line_style(WHITE)
        .label_style((FONT, 12))
        .axis_desc_style((FONT, 13))
        .draw()?;
    let rectangles = bars.iter().enumerate().flat_map(|(i, parts)| {
        parts.iter().filter(|p| p.high > p.low).map(move |p| {
            let mut r = Rectangle::new(
                [
                    (SegmentValue::Exact(i), p.low),
                    (SegmentValue::Exact(i + 1), p.high),
                ],
                PALETTE[p.color % PALETTE.len()].filled(),
            );
            r.set_margin(0, 0, 5, 5);
            r
        })
    });
    chart.draw_series(rectangles)?;
    for (k, name) in legend.iter().enumerate() {
        let y = 16 + 20 * i32::try_from(k).unwrap_or(0);
        let color = PALETTE[k % PALETTE.len()];
        legend_area.draw(&Rectangle::new([(8, y), (20, y + 12)], color.filled()))?;
        legend_area.draw(&Text::new(name.to_string(), (26, y), (FONT, 13)))?;
    }
    root.present()?;
    Ok(())
}

fn count(n: usize) -> u32 {
    u32::try_from(n).unwrap_or(u32::MAX)
}
