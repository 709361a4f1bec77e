//! Properties of crontab run times for random fields, zones and start times: each run matches the
//! fields on the zone's wall clock (or is the one run at the end of a daylight-saving gap that
//! swallowed a match), runs strictly increase, and no matching minute before the first is missed.

use std::str::FromStr;

use chrono::{DateTime, Datelike, NaiveDateTime, TimeDelta, TimeZone, Timelike, Utc};
use chrono_tz::Tz;
use proptest::prelude::*;

use super::*;

const ZONES: [&str; 8] = [
    "UTC",
    "America/New_York",
    "Europe/Paris",
    "Africa/Cairo",
    "Australia/Lord_Howe",
    "Asia/Kolkata",
    "America/Sao_Paulo",
    "Pacific/Chatham",
];

/// Daylight-saving changes near which start times cluster, so gaps and overlaps are exercised.
const TRANSITIONS: [&str; 6] = [
    "2026-03-08T07:00:00Z",
    "2026-11-01T06:00:00Z",
    "2026-03-29T01:00:00Z",
    "2026-10-25T01:00:00Z",
    "2026-04-04T15:00:00Z",
    "2026-10-03T15:30:00Z",
];

/// A field's text in Celery's syntax and, computed separately from the parser, its values.
fn field(min: u8, max: u8) -> impl Strategy<Value = (String, u64)> {
    let all = (min..=max).fold(0u64, |set, value| set | 1 << value);
    prop_oneof![
        Just(("*".to_string(), all)),
        (1..=max).prop_map(move |step| {
            let set = (min..=max).step_by(step as usize).fold(0u64, |set, value| set | 1 << value);
            (format!("*/{step}"), set)
        }),
        (min..=max, min..=max).prop_map(|(a, b)| {
            let (from, to) = (a.min(b), a.max(b));
            (format!("{from}-{to}"), (from..=to).fold(0u64, |set, value| set | 1 << value))
        }),
        proptest::collection::vec(min..=max, 1..4).prop_map(|values| {
            let text = values.iter().map(|value| value.to_string()).collect::<Vec<_>>().join(",");
            (text, values.iter().fold(0u64, |set, value| set | 1 << value))
        }),
    ]
}

/// Days of the week as numbers, with Sunday sometimes written 7 or `sun`.
fn weekdays() -> impl Strategy<Value = (String, u64)> {
    let names = ["sun", "mon", "tue", "wed", "thu", "fri", "sat"];
    prop_oneof![
        field(0, 6),
        proptest::collection::vec((0..7u8, 0..3u8), 1..4).prop_map(move |days| {
            let text = days.iter().map(|&(day, style)| match (day, style) {
                (0, 0) => "7".to_string(),
                (day, 1) => names[day as usize].to_string(),
                (day, _) => day.to_string(),
            });
            (text.collect::<Vec<_>>().join(","), days.iter().fold(0u64, |set, (day, _)| set | 1 << day))
        }),
    ]
}

fn start_time() -> impl Strategy<Value = DateTime<Utc>> {
    let uniform = (1_577_836_800i64..2_051_222_400).prop_map(|seconds| DateTime::from_timestamp(seconds, 0).unwrap());
    let near_change = (0..TRANSITIONS.len(), -4 * 3600i64..4 * 3600).prop_map(|(index, offset)| {
        DateTime::parse_from_rfc3339(TRANSITIONS[index]).unwrap().with_timezone(&Utc) + TimeDelta::seconds(offset)
    });
    prop_oneof![uniform, near_change]
}

struct Expected {
    minutes: u64,
    hours: u64,
    days: u64,
    months: u64,
    weekdays: u64,
}

impl Expected {
    fn matches(&self, wall: NaiveDateTime) -> bool {
        let has = |set: u64, value: u32| set & (1 << value) != 0;
        has(self.minutes, wall.minute())
            && has(self.hours, wall.hour())
            && has(self.days, wall.day())
            && has(self.months, wall.month())
            && has(self.weekdays, wall.weekday().num_days_from_sunday())
    }

    /// A run that does not match must follow a jump of the wall clock over a matching minute.
    fn is_run_after_a_gap(&self, zone: Tz, run: DateTime<Utc>) -> bool {
        let just_before = (run - TimeDelta::seconds(1)).with_timezone(&zone).naive_local();
        let at_run = run.with_timezone(&zone).naive_local();
        let mut wall = just_before.with_second(0).unwrap() + TimeDelta::minutes(1);
        while wall < at_run {
            if self.matches(wall) {
                return true;
            }
            wall += TimeDelta::minutes(1);
        }
        false
    }
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(200))]

    #[test]
    fn crontab_runs_match_their_fields_in_their_zone_and_strictly_increase(
        (minute, minutes) in field(0, 59),
        (hour, hours) in field(0, 23),
        (day_of_month, days) in field(1, 31),
        (month_of_year, months) in field(1, 12),
        (day_of_week, weekdays) in weekdays(),
        zone_index in 0..ZONES.len(),
        after in start_time(),
        n in 1..8usize,
    ) {
        let lengths: [u32; 12] = [31, 29, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31];
        prop_assume!((1..=12usize).any(|m| months & 1 << m != 0 && (1..=lengths[m - 1]).any(|d| days & 1 << d != 0)));
        let zone_name = ZONES[zone_index];
        let spec = CrontabSpec { minute, hour, day_of_week, day_of_month, month_of_year, timezone: zone_name.into() };
        let compiled = Timing::Crontab(spec.clone()).compile().unwrap();
        let zone = Tz::from_str(zone_name).unwrap();
        let expected = Expected { minutes, hours, days, months, weekdays };

        let runs = compiled.upcoming(after, n);
        // Only a rare schedule (the 29th of February on one weekday) may run out before 2100.
        let rare = runs.last().is_some_and(|last| last.year() >= 2040);
        prop_assert!(runs.len() == n || rare, "{:?} after {}: {:?}", spec, after, runs);
        prop_assert!(!runs.is_empty(), "{:?} after {} never runs", spec, after);
        let mut previous = after;
        for &run in &runs {
            prop_assert!(run > previous, "{} is not after {} for {:?}", run, previous, spec);
            let wall = run.with_timezone(&zone).naive_local();
            prop_assert!(
                expected.matches(wall) || expected.is_run_after_a_gap(zone, run),
                "{} ({} in {}) does not match {:?}", run, wall, zone_name, spec
            );
            previous = run;
        }

        // No matching minute is skipped before the first run (looked at when it is near), apart
        // from the second pass of a repeated hour.
        let first = runs[0];
        if first - after <= TimeDelta::days(2) {
            let mut minute = after.with_second(0).unwrap().with_nanosecond(0).unwrap() + TimeDelta::minutes(1);
            while minute < first {
                let wall = minute.with_timezone(&zone).naive_local();
                let repeated = zone.from_local_datetime(&wall).earliest().is_some_and(|earliest| earliest.with_timezone(&Utc) < minute);
                prop_assert!(!expected.matches(wall) || repeated, "{} ({}) was missed for {:?}", minute, wall, spec);
                minute += TimeDelta::minutes(1);
            }
        }
    }
}
