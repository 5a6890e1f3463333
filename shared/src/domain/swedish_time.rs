//! Swedish time: the clock and calendar of the patients and staff Svar serves. The day a
//! response was sent, an export's month and deletion day, the date in an invitation
//! file's name and the times on the workspace's pages are Swedish ones; what is stored
//! as an instant stays UTC (`OffsetDateTime`).

use time::{Date, OffsetDateTime, UtcOffset};

/// `Europe/Stockholm`'s rules (CET in winter, CEST in summer), taken from the time zone
/// database at compile time: no database is read at run time, none ships in a Lambda zip.
static SWEDISH_TIME: jiff::tz::TimeZone = jiff::tz::get!("Europe/Stockholm");

/// The same instant on Swedish clocks.
pub fn in_sweden(at: OffsetDateTime) -> OffsetDateTime {
    let offset = jiff::Timestamp::from_second(at.unix_timestamp())
        .ok()
        .and_then(|moment| {
            UtcOffset::from_whole_seconds(SWEDISH_TIME.to_offset(moment).seconds()).ok()
        })
        // Only outside jiff's years (±9999), which no stored time is.
        .unwrap_or(UtcOffset::UTC);
    at.to_offset(offset)
}

/// The day it is in Sweden at `at`.
pub fn day_in_sweden(at: OffsetDateTime) -> Date {
    in_sweden(at).date()
}

#[cfg(test)]
mod tests {
    use time::macros::{date, datetime};

    use super::{day_in_sweden, in_sweden};

    #[test]
    fn swedish_time_is_an_hour_ahead_in_winter_and_two_in_summer_changing_at_one_utc() {
        // The changes: last Sunday of March and of October, at 01:00 UTC.
        let cases = [
            (
                datetime!(2026-01-15 12:00:00 UTC),
                datetime!(2026-01-15 13:00:00 +01:00),
            ),
            (
                datetime!(2026-07-01 23:30:05 UTC),
                datetime!(2026-07-02 01:30:05 +02:00),
            ),
            (
                datetime!(2026-03-29 00:59:59 UTC),
                datetime!(2026-03-29 01:59:59 +01:00),
            ),
            (
                datetime!(2026-03-29 01:00:00 UTC),
                datetime!(2026-03-29 03:00:00 +02:00),
            ),
            (
                datetime!(2026-10-25 00:59:59 UTC),
                datetime!(2026-10-25 02:59:59 +02:00),
            ),
            (
                datetime!(2026-10-25 01:00:00 UTC),
                datetime!(2026-10-25 02:00:00 +01:00),
            ),
        ];
        for (at, swedish) in cases {
            let shown = in_sweden(at);
            assert_eq!(shown, at, "the same instant");
            assert_eq!(
                (shown.date(), shown.time(), shown.offset()),
                (swedish.date(), swedish.time(), swedish.offset()),
                "{at}"
            );
        }
    }

    #[test]
    fn the_swedish_day_begins_before_the_utc_day() {
        assert_eq!(
            day_in_sweden(datetime!(2026-11-30 23:30:00 UTC)),
            date!(2026 - 12 - 01)
        );
        assert_eq!(
            day_in_sweden(datetime!(2026-06-30 21:59:59 UTC)),
            date!(2026 - 06 - 30)
        );
        assert_eq!(
            day_in_sweden(datetime!(2026-06-30 22:00:00 UTC)),
            date!(2026 - 07 - 01)
        );
        // The offset an instant is given in does not matter.
        assert_eq!(
            day_in_sweden(datetime!(2026-12-31 19:00:00 -05:00)),
            date!(2027 - 01 - 01)
        );
    }
}
