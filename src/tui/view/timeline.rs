//! The expiry timeline (`T`): a bar per month of the next twelve, after the expired and the not
//! yet valid, counts on the bars; the selected bar and what it holds below.

use super::super::app::App;
use super::super::timeline::{counts, Bucket, Timeline};
use super::popup;
use ratatui::layout::Rect;
use ratatui::text::Line;
use ratatui::widgets::{Bar, BarChart, BarGroup, Block, Borders, Clear};
use ratatui::Frame;

pub fn draw(frame: &mut Frame, app: &App, tl: &Timeline, area: Rect) {
    let t = &app.theme;
    let buckets = Bucket::all();
    let n = counts(app.items(), app.now);
    let r = popup(area, 76, 18);
    let block = Block::default()
        .borders(Borders::ALL)
        .border_style(t.border(true))
        .title(" Expiry timeline: certificates per 30 days ");
    frame.render_widget(Clear, r);
    let inner = block.inner(r);
    frame.render_widget(block, r);
    let sel = tl.selected.min(buckets.len() - 1);
    let bars: Vec<Bar> = (buckets.iter().zip(&n).enumerate())
        .map(|(i, (b, &c))| {
            // The selection is marked in the label too, readable without colour.
            let label = match i == sel {
                true => format!("›{}", b.short()),
                false => b.short(),
            };
            let bar = Bar::default().value(c).label(Line::from(label));
            match (i == sel, b) {
                (true, _) => bar.style(t.selected()),
                (false, Bucket::Expired) => bar.style(t.error()),
                _ => bar,
            }
        })
        .collect();
    let chart_area = Rect {
        height: inner.height.saturating_sub(2),
        ..inner
    };
    let chart = BarChart::default()
        .data(BarGroup::default().bars(&bars))
        .bar_width(4)
        .bar_gap(1);
    frame.render_widget(chart, chart_area);
    let b = buckets[sel];
    let what = format!(
        "{}: {} certificate{}  (Enter lists them, Esc clears that filter)",
        b.label(),
        n[sel],
        if n[sel] == 1 { "" } else { "s" }
    );
    let foot = Rect {
        y: inner.y + inner.height.saturating_sub(1),
        height: 1.min(inner.height),
        ..inner
    };
    frame.render_widget(Line::raw(what), foot);
}
