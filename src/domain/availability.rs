//! Opening hours: weekly time windows in a store's local time zone.
//!
//! A window is `{dayOfWeek, start, end}` in local wall-clock time. `end` of `00:00:00` means the
//! end of that day; an `end` earlier than `start` runs past midnight into the next day (an
//! overnight window, e.g. Friday 22:00–02:00 covers early Saturday). `00:00:00`–`00:00:00` is the
//! whole day. An empty schedule is always closed (fail-closed).
//!
//! Internally every window becomes a half-open interval of seconds since Monday 00:00 local time,
//! which makes "is it open now" a containment test and handles the Sunday→Monday wrap once.
//! Wall-clock comparison is deliberate: on a daylight-saving day a window of 09:00–17:00 means
//! 09:00–17:00 as the clocks on the restaurant's wall show it.

use super::problem::Problem;
use chrono::{
    DateTime, Datelike, Duration, LocalResult, NaiveDate, NaiveDateTime, NaiveTime, TimeZone, Timelike, Utc, Weekday,
};
use chrono_tz::Tz;
use serde::{Deserialize, Serialize};

const DAY: u32 = 86_400;
const WEEK: u32 = 7 * DAY;

/// A window as it travels on the wire.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct WindowDto {
    pub day_of_week: String,
    pub start: String,
    pub end: String,
}

/// A checked window.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct TimeWindow {
    pub day: Weekday,
    pub start: NaiveTime,
    pub end: NaiveTime,
}

impl TimeWindow {
    /// `[start, end)` in seconds since Monday 00:00; `end` may exceed one week for a Sunday
    /// overnight window.
    fn week_interval(&self) -> (u32, u32) {
        let day_start = self.day.num_days_from_monday() * DAY;
        let start = self.start.num_seconds_from_midnight();
        let end = self.end.num_seconds_from_midnight();
        let end = if end == 0 || end <= start { end + DAY } else { end };
        (day_start + start, day_start + end)
    }
}

pub fn parse_weekday(name: &str) -> Option<Weekday> {
    Some(match name {
        "Monday" => Weekday::Mon,
        "Tuesday" => Weekday::Tue,
        "Wednesday" => Weekday::Wed,
        "Thursday" => Weekday::Thu,
        "Friday" => Weekday::Fri,
        "Saturday" => Weekday::Sat,
        "Sunday" => Weekday::Sun,
        _ => return None,
    })
}

fn parse_time(text: &str) -> Option<NaiveTime> {
    // Exactly HH:mm:ss, as pinned: no fractions, no 24:00.
    if text.len() != 8 {
        return None;
    }
    NaiveTime::parse_from_str(text, "%H:%M:%S").ok()
}

/// Checks wire windows, reporting every bad one with its JSONPath under `base`.
pub fn parse_windows(dtos: &[WindowDto], base: &str) -> Result<Vec<TimeWindow>, Vec<Problem>> {
    let mut windows = Vec::with_capacity(dtos.len());
    let mut problems = Vec::new();
    for (i, dto) in dtos.iter().enumerate() {
        let path = format!("{base}[{i}]");
        let day = parse_weekday(&dto.day_of_week);
        if day.is_none() {
            problems.push(Problem::at(
                "INVALID_TIME_WINDOW",
                format!("{path}.dayOfWeek"),
                format!("dayOfWeek must be Monday..Sunday, got {:?}", dto.day_of_week),
            ));
        }
        let start = parse_time(&dto.start);
        if start.is_none() {
            problems.push(Problem::at("INVALID_TIME_WINDOW", format!("{path}.start"), "start must be HH:mm:ss"));
        }
        let end = parse_time(&dto.end);
        if end.is_none() {
            problems.push(Problem::at("INVALID_TIME_WINDOW", format!("{path}.end"), "end must be HH:mm:ss"));
        }
        if let (Some(day), Some(start), Some(end)) = (day, start, end) {
            if start == end && start != NaiveTime::MIN {
                problems.push(Problem::at(
                    "INVALID_TIME_WINDOW",
                    path,
                    "start and end are equal: the window would be empty (use 00:00:00-00:00:00 for a whole day)",
                ));
            } else {
                windows.push(TimeWindow { day, start, end });
            }
        }
    }
    if problems.is_empty() { Ok(windows) } else { Err(problems) }
}

/// A weekly schedule of windows.
#[derive(Debug, Clone, Default)]
pub struct Schedule {
    intervals: Vec<(u32, u32)>,
}

impl Schedule {
    pub fn new(windows: &[TimeWindow]) -> Self {
        Schedule { intervals: windows.iter().map(TimeWindow::week_interval).collect() }
    }

    /// Builds a schedule from windows already checked when they were stored; any that no longer
    /// parse are dropped, which can only close the store (fail-closed), never open it.
    pub fn from_stored(dtos: &[WindowDto]) -> Self {
        let windows: Vec<TimeWindow> =
            dtos.iter().filter_map(|dto| parse_windows(std::slice::from_ref(dto), "$").ok()).flatten().collect();
        Schedule::new(&windows)
    }

    /// Whether the schedule is open at a local wall-clock time.
    pub fn is_open_local(&self, local: NaiveDateTime) -> bool {
        let second = local.weekday().num_days_from_monday() * DAY + local.num_seconds_from_midnight();
        self.intervals
            .iter()
            .any(|&(start, end)| (start <= second && second < end) || (start <= second + WEEK && second + WEEK < end))
    }

    /// The open seconds of the week as half-open `[start, end)` ranges within `[0, WEEK)`
    /// (a Sunday overnight window split at the week's end): what the discovery index stores so
    /// that `openNow` is a containment test on the store's local second of the week.
    pub fn week_ranges(&self) -> Vec<(i32, i32)> {
        let mut ranges = Vec::new();
        for &(start, end) in &self.intervals {
            ranges.push((start, end.min(WEEK)));
            if end > WEEK {
                ranges.push((0, end - WEEK));
            }
        }
        ranges.into_iter().map(|(start, end)| (start as i32, end as i32)).collect()
    }

    pub fn is_open_at(&self, tz: Tz, at: DateTime<Utc>) -> bool {
        self.is_open_local(at.with_timezone(&tz).naive_local())
    }

    /// The first instant at or after `from` when the schedule is open, within the coming eight
    /// days; `None` for a schedule that never opens.
    pub fn next_open_at(&self, tz: Tz, from: DateTime<Utc>) -> Option<DateTime<Utc>> {
        if self.is_open_at(tz, from) {
            return Some(from);
        }
        let local_date = from.with_timezone(&tz).date_naive();
        let mut best: Option<DateTime<Utc>> = None;
        for offset in -1..=8 {
            let date = local_date + Duration::days(offset);
            let week_day_start = date.weekday().num_days_from_monday() * DAY;
            for &(start, _) in &self.intervals {
                let start_in_week = start % WEEK;
                if start_in_week / DAY != week_day_start / DAY {
                    continue;
                }
                let time = NaiveTime::from_num_seconds_from_midnight_opt(start_in_week % DAY, 0)
                    .expect("seconds within a day");
                let Some(instant) = local_to_utc(tz, date, time) else { continue };
                if instant > from && best.is_none_or(|b| instant < b) {
                    best = Some(instant);
                }
            }
        }
        best
    }
}

/// Local wall-clock → UTC. An ambiguous time (clocks going back) takes its first occurrence; a
/// time that does not exist (clocks going forward) takes the first instant after the gap.
pub fn local_to_utc(tz: Tz, date: NaiveDate, time: NaiveTime) -> Option<DateTime<Utc>> {
    let local = date.and_time(time);
    match tz.from_local_datetime(&local) {
        LocalResult::Single(t) => Some(t.with_timezone(&Utc)),
        LocalResult::Ambiguous(first, _) => Some(first.with_timezone(&Utc)),
        LocalResult::None => {
            // Walk forward minute by minute to the end of the gap (gaps are at most a few hours).
            (1..=240).find_map(|m| match tz.from_local_datetime(&(local + Duration::minutes(m))) {
                LocalResult::Single(t) | LocalResult::Ambiguous(t, _) => {
                    // The gap ends exactly where local time resumes; step back to its edge.
                    let utc = t.with_timezone(&Utc);
                    Some(utc - Duration::seconds(i64::from(t.naive_local().second())))
                }
                LocalResult::None => None,
            })
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::TimeZone;

    fn window(day: &str, start: &str, end: &str) -> WindowDto {
        WindowDto { day_of_week: day.into(), start: start.into(), end: end.into() }
    }

    fn schedule(dtos: &[WindowDto]) -> Schedule {
        Schedule::new(&parse_windows(dtos, "$.availability").expect("valid windows"))
    }

    #[test]
    fn week_ranges_hold_exactly_the_open_seconds() {
        let s = schedule(&[
            window("Sunday", "22:00:00", "02:00:00"),
            window("Monday", "11:00:00", "00:00:00"),
            window("Wednesday", "00:00:00", "00:00:00"),
        ]);
        let ranges = s.week_ranges();
        assert!(ranges.iter().all(|&(start, end)| 0 <= start && start < end && end <= WEEK as i32));
        let monday = NaiveDate::from_ymd_opt(2026, 11, 23).unwrap().and_hms_opt(0, 0, 0).unwrap();
        for second in (0..WEEK).step_by(599) {
            let local = monday + Duration::seconds(i64::from(second));
            let contained = ranges.iter().any(|&(start, end)| start <= second as i32 && (second as i32) < end);
            assert_eq!(contained, s.is_open_local(local), "second {second} of the week");
        }
    }

    fn local(tz: Tz, y: i32, mo: u32, d: u32, h: u32, mi: u32) -> DateTime<Utc> {
        tz.with_ymd_and_hms(y, mo, d, h, mi, 0).single().expect("unambiguous").with_timezone(&Utc)
    }

    const NY: Tz = chrono_tz::America::New_York;

    #[test]
    fn plain_window_is_half_open() {
        // 2026-11-23 is a Monday.
        let s = schedule(&[window("Monday", "09:00:00", "17:00:00")]);
        assert!(!s.is_open_at(NY, local(NY, 2026, 11, 23, 8, 59)));
        assert!(s.is_open_at(NY, local(NY, 2026, 11, 23, 9, 0)));
        assert!(s.is_open_at(NY, local(NY, 2026, 11, 23, 16, 59)));
        assert!(!s.is_open_at(NY, local(NY, 2026, 11, 23, 17, 0)));
        assert!(!s.is_open_at(NY, local(NY, 2026, 11, 24, 10, 0)), "Tuesday is not Monday");
    }

    #[test]
    fn midnight_end_means_end_of_day() {
        let s = schedule(&[window("Monday", "18:00:00", "00:00:00")]);
        assert!(s.is_open_at(NY, local(NY, 2026, 11, 23, 23, 59)));
        assert!(!s.is_open_at(NY, local(NY, 2026, 11, 24, 0, 0)));
        assert!(!s.is_open_at(NY, local(NY, 2026, 11, 23, 17, 59)));
    }

    #[test]
    fn whole_day_window() {
        let s = schedule(&[window("Monday", "00:00:00", "00:00:00")]);
        assert!(s.is_open_at(NY, local(NY, 2026, 11, 23, 0, 0)));
        assert!(s.is_open_at(NY, local(NY, 2026, 11, 23, 23, 59)));
        assert!(!s.is_open_at(NY, local(NY, 2026, 11, 24, 0, 0)));
    }

    #[test]
    fn overnight_window_runs_into_the_next_day() {
        let s = schedule(&[window("Friday", "22:00:00", "02:00:00")]);
        // 2026-11-27 is a Friday.
        assert!(!s.is_open_at(NY, local(NY, 2026, 11, 27, 21, 59)));
        assert!(s.is_open_at(NY, local(NY, 2026, 11, 27, 23, 30)));
        assert!(s.is_open_at(NY, local(NY, 2026, 11, 28, 1, 59)), "early Saturday belongs to Friday's window");
        assert!(!s.is_open_at(NY, local(NY, 2026, 11, 28, 2, 0)));
        assert!(!s.is_open_at(NY, local(NY, 2026, 11, 28, 23, 0)), "Saturday night has no window");
    }

    #[test]
    fn sunday_overnight_wraps_into_monday() {
        let s = schedule(&[window("Sunday", "20:00:00", "03:00:00")]);
        // 2026-11-29 is a Sunday, 2026-11-30 a Monday.
        assert!(s.is_open_at(NY, local(NY, 2026, 11, 29, 21, 0)));
        assert!(s.is_open_at(NY, local(NY, 2026, 11, 30, 2, 30)));
        assert!(!s.is_open_at(NY, local(NY, 2026, 11, 30, 3, 0)));
    }

    #[test]
    fn empty_schedule_is_closed_and_never_opens() {
        let s = Schedule::default();
        let now = local(NY, 2026, 11, 23, 12, 0);
        assert!(!s.is_open_at(NY, now));
        assert_eq!(s.next_open_at(NY, now), None);
    }

    #[test]
    fn next_open_finds_the_coming_window() {
        let s = schedule(&[window("Monday", "09:00:00", "17:00:00"), window("Wednesday", "10:00:00", "12:00:00")]);
        let monday_evening = local(NY, 2026, 11, 23, 18, 0);
        assert_eq!(s.next_open_at(NY, monday_evening), Some(local(NY, 2026, 11, 25, 10, 0)));
        let thursday = local(NY, 2026, 11, 26, 8, 0);
        assert_eq!(s.next_open_at(NY, thursday), Some(local(NY, 2026, 11, 30, 9, 0)), "wraps to next week");
        let during = local(NY, 2026, 11, 23, 10, 0);
        assert_eq!(s.next_open_at(NY, during), Some(during), "already open");
    }

    #[test]
    fn daylight_saving_day_uses_wall_clock_time() {
        // US clocks went forward on Sunday 2026-03-08 at 02:00 and back on Sunday 2026-11-01.
        let s = schedule(&[window("Sunday", "01:00:00", "04:00:00")]);
        let spring_0330 = local(NY, 2026, 3, 8, 3, 30);
        assert!(s.is_open_at(NY, spring_0330));
        // 01:59 EST is followed by 03:00 EDT: the window lasted two real hours that day.
        let spring_0159 = local(NY, 2026, 3, 8, 1, 59);
        assert_eq!((spring_0330 - spring_0159).num_minutes(), 31);
        assert!(s.is_open_at(NY, spring_0159));
        // On the autumn day 01:30 happens twice and both are open.
        let first = NY.with_ymd_and_hms(2026, 11, 1, 1, 30, 0).earliest().unwrap().with_timezone(&Utc);
        let second = NY.with_ymd_and_hms(2026, 11, 1, 1, 30, 0).latest().unwrap().with_timezone(&Utc);
        assert_eq!((second - first).num_minutes(), 60);
        assert!(s.is_open_at(NY, first) && s.is_open_at(NY, second));
    }

    #[test]
    fn next_open_inside_a_daylight_saving_gap_is_the_end_of_the_gap() {
        // A window starting at 02:30 on the spring-forward Sunday: 02:30 never happens.
        let s = schedule(&[window("Sunday", "02:30:00", "05:00:00")]);
        let saturday = local(NY, 2026, 3, 7, 12, 0);
        let next = s.next_open_at(NY, saturday).expect("opens");
        assert_eq!(next, Utc.with_ymd_and_hms(2026, 3, 8, 7, 0, 0).unwrap(), "03:00 EDT = 07:00 UTC");
    }

    #[test]
    fn time_zones_differ_for_the_same_instant() {
        let la = chrono_tz::America::Los_Angeles;
        let s = schedule(&[window("Monday", "09:00:00", "17:00:00")]);
        // 2026-11-23 18:00 UTC is 13:00 in New York and 10:00 in Los Angeles: both open;
        // 23:00 UTC is 18:00 in New York (closed) and 15:00 in Los Angeles (open).
        let at = Utc.with_ymd_and_hms(2026, 11, 23, 23, 0, 0).unwrap();
        assert!(!s.is_open_at(NY, at));
        assert!(s.is_open_at(la, at));
    }

    #[test]
    fn bad_windows_are_all_reported() {
        let problems = parse_windows(
            &[
                window("Funday", "9:00", "17:00:00"),
                window("Monday", "10:00:00", "10:00:00"),
                window("Monday", "10:00:00", "25:00:00"),
            ],
            "$.availability",
        )
        .unwrap_err();
        let paths: Vec<_> = problems.iter().map(|p| p.json_path.clone().unwrap()).collect();
        assert_eq!(
            paths,
            ["$.availability[0].dayOfWeek", "$.availability[0].start", "$.availability[1]", "$.availability[2].end"]
        );
    }
}
