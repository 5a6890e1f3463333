//! A round's response rate: issued, answered, the rate, and answers per day as an SVG bar
//! chart drawn on the server (no JavaScript) followed by its data as a table.

use axum::Router;
use axum::extract::{Path, State};
use axum::routing::get;
use maud::{Markup, html};
use svar_shared::service::workspace::invitations::thousands;
use svar_shared::service::workspace::rates::RoundRates;
use time::Date;

use super::invitations::round_id;
use super::layout::page;
use crate::AdminState;
use crate::auth::SignedIn;
use crate::error::AdminError;
use crate::texts::{t, tf};

pub const ROUTES: &[(&str, &str)] = &[("GET", "/admin/omgangar/{id}/svarsfrekvens")];

pub fn routes() -> Router<AdminState> {
    Router::new().route("/admin/omgangar/{id}/svarsfrekvens", get(rates))
}

async fn rates(
    State(state): State<AdminState>,
    signed_in: SignedIn,
    Path(id): Path<String>,
) -> Result<Markup, AdminError> {
    let rates = state
        .workspace
        .round_rates(&signed_in.caller, &round_id(&id)?)
        .await?;
    Ok(rates_page(&signed_in, &rates))
}

/// Tenths of a percent as Swedish text: `2,0 %` (a decimal comma, a no-break space).
pub fn percent(permille: u64) -> String {
    format!("{},{}\u{a0}%", permille / 10, permille % 10)
}

/// `3/2` for 3 February: the short Swedish day/month.
fn short_date(day: Date) -> String {
    format!("{}/{}", day.day(), u8::from(day.month()))
}

fn iso_date(day: Date) -> String {
    let format = time::macros::format_description!("[year]-[month]-[day]");
    day.format(&format).unwrap_or_default()
}

/// The chart's top: the smallest 1, 2 or 5 times a power of ten at or above `max`, so
/// the scale reads in round numbers. At least 1.
pub fn nice_ceiling(max: u64) -> u64 {
    let mut power = 1u64;
    loop {
        for step in [1, 2, 5] {
            match power.checked_mul(step) {
                Some(candidate) if candidate >= max => return candidate,
                Some(_) => {}
                None => return max,
            }
        }
        match power.checked_mul(10) {
            Some(next) => power = next,
            None => return max,
        }
    }
}

/// The scale's marked values: 0, the middle (when whole) and the top.
pub fn ticks(top: u64) -> Vec<u64> {
    if top >= 2 && top.is_multiple_of(2) {
        vec![0, top / 2, top]
    } else {
        vec![0, top]
    }
}

/// The most days drawn with their empty days filled in; a longer span shows answered
/// days only.
const MAX_FILLED_DAYS: i64 = 400;

/// The chart's days: every day from the first to the last answer (empty ones as 0), so
/// the axis is true to time.
pub fn chart_days(per_day: &[(Date, u64)]) -> Vec<(Date, u64)> {
    let (Some(&(first, _)), Some(&(last, _))) = (per_day.first(), per_day.last()) else {
        return Vec::new();
    };
    if (last - first).whole_days() >= MAX_FILLED_DAYS {
        return per_day.to_vec();
    }
    let mut days = Vec::new();
    let mut answers = per_day.iter().peekable();
    let mut day = first;
    while day <= last {
        let count = match answers.peek() {
            Some(&&(date, count)) if date == day => {
                answers.next();
                count
            }
            _ => 0,
        };
        days.push((day, count));
        match day.next_day() {
            Some(next) => day = next,
            None => break,
        }
    }
    days
}

const WIDTH: u64 = 640;
const HEIGHT: u64 = 240;
const LEFT: u64 = 48;
const BOTTOM: u64 = 28;
const TOP: u64 = 12;

fn chart(days: &[(Date, u64)]) -> Markup {
    let top = nice_ceiling(days.iter().map(|(_, n)| *n).max().unwrap_or(0));
    let plot_height = HEIGHT - BOTTOM - TOP;
    let plot_width = WIDTH - LEFT - 8;
    let slot = plot_width as f64 / days.len().max(1) as f64;
    let y = |value: u64| TOP as f64 + plot_height as f64 * (1.0 - value as f64 / top as f64);
    // At most about 8 dates under the axis, so they never overlap.
    let label_every = days.len().div_ceil(8).max(1);
    html! {
        svg role="img" aria-labelledby="per-day-title" xmlns="http://www.w3.org/2000/svg"
            viewBox={ "0 0 " (WIDTH) " " (HEIGHT) } width="100%" font-size="12" {
            title #per-day-title { (t("rates.chart_title")) }
            @for tick in ticks(top) {
                line x1=(LEFT) x2=(WIDTH - 8) y1=(y(tick)) y2=(y(tick)) stroke="#bbb" {}
                text x=(LEFT - 6) y=(y(tick) + 4.0) text-anchor="end" fill="#000" { (thousands(tick)) }
            }
            @for (i, (day, count)) in days.iter().enumerate() {
                @let x = LEFT as f64 + slot * i as f64 + slot * 0.1;
                rect x=(format!("{x:.1}")) y=(format!("{:.1}", y(*count)))
                    width=(format!("{:.1}", (slot * 0.8).max(0.5)))
                    height=(format!("{:.1}", plot_height as f64 * *count as f64 / top as f64))
                    fill="#1d4f91" {}
                @if i % label_every == 0 {
                    text x=(format!("{:.1}", x + slot * 0.4)) y=(HEIGHT - 8) text-anchor="middle" fill="#000" {
                        (short_date(*day))
                    }
                }
            }
            line x1=(LEFT) x2=(WIDTH - 8) y1=(HEIGHT - BOTTOM) y2=(HEIGHT - BOTTOM) stroke="#000" {}
        }
    }
}

pub fn rates_page(signed_in: &SignedIn, rates: &RoundRates) -> Markup {
    let round = &rates.round;
    let title = tf("rates.title", &[("round", &round.name)]);
    let counts = rates.counts;
    let days = chart_days(&rates.per_day);
    let content = html! {
        h1 { (title) }
        p { a href={ "/admin/omgangar/" (round.id) } { (t("rates.back_to_round")) } }
        dl {
            dt { (t("rates.issued")) } dd { (thousands(counts.issued)) }
            dt { (t("rates.answered")) } dd { (thousands(counts.answered)) }
            dt { (t("rates.rate")) }
            dd { @match rates.rate_permille() {
                Some(permille) => (percent(permille)),
                None => (t("rates.no_rate")),
            } }
        }
        h2 { (t("rates.per_day_heading")) }
        @if days.is_empty() {
            p { (t("rates.no_answers")) }
        } @else {
            figure {
                (chart(&days))
            }
            table {
                caption { (t("rates.table_caption")) }
                thead { tr {
                    th scope="col" { (t("rates.col_day")) }
                    th scope="col" { (t("rates.col_answers")) }
                } }
                tbody {
                    @for (day, count) in &rates.per_day {
                        tr { th scope="row" { (iso_date(*day)) } td { (thousands(*count)) } }
                    }
                }
            }
        }
    };
    page(&title, Some(signed_in), content)
}

#[cfg(test)]
mod tests {
    use super::*;
    use time::macros::date;

    #[test]
    fn the_scale_tops_at_a_round_number() {
        assert_eq!(nice_ceiling(0), 1);
        assert_eq!(nice_ceiling(1), 1);
        assert_eq!(nice_ceiling(2), 2);
        assert_eq!(nice_ceiling(3), 5);
        assert_eq!(nice_ceiling(6), 10);
        assert_eq!(nice_ceiling(11), 20);
        assert_eq!(nice_ceiling(20_000), 20_000);
        assert_eq!(nice_ceiling(20_001), 50_000);
        assert_eq!(nice_ceiling(u64::MAX), u64::MAX);
        assert_eq!(ticks(1), vec![0, 1]);
        assert_eq!(ticks(5), vec![0, 5]);
        assert_eq!(ticks(20), vec![0, 10, 20]);
    }

    #[test]
    fn empty_days_between_answers_are_drawn_as_zero() {
        let days = chart_days(&[(date!(2026 - 02 - 27), 3), (date!(2026 - 03 - 02), 1)]);
        assert_eq!(
            days,
            vec![
                (date!(2026 - 02 - 27), 3),
                (date!(2026 - 02 - 28), 0),
                (date!(2026 - 03 - 01), 0),
                (date!(2026 - 03 - 02), 1),
            ]
        );
        assert!(chart_days(&[]).is_empty());
    }

    #[test]
    fn bars_are_scaled_to_the_top_and_rates_use_a_decimal_comma() {
        let svg = chart(&[(date!(2026 - 03 - 01), 5), (date!(2026 - 03 - 02), 10)]).into_string();
        // Top 10: the bar of 10 is the full plot height, the one of 5 half of it.
        let full = HEIGHT - BOTTOM - TOP;
        assert!(svg.contains(&format!("height=\"{full}.0\"")), "{svg}");
        assert!(svg.contains(&format!("height=\"{}.0\"", full / 2)), "{svg}");
        assert!(svg.contains("role=\"img\""));
        assert_eq!(percent(20), "2,0\u{a0}%");
        assert_eq!(percent(1000), "100,0\u{a0}%");
    }
}
