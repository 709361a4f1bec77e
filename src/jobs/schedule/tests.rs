//! Intervals, clocked times, the JSON shapes and the descriptions.

use chrono::{DateTime, Utc};
use poem_openapi::types::{ParseFromJSON, ToJSON};
use serde_json::json;

use super::*;

pub(super) fn utc(text: &str) -> DateTime<Utc> {
    DateTime::parse_from_rfc3339(text).unwrap().with_timezone(&Utc)
}

pub(super) fn interval(every: i64, period: Period) -> Timing {
    Timing::Interval(IntervalSpec { every, period })
}

pub(super) fn clocked(at: &str) -> Timing {
    Timing::Clocked(ClockedSpec { clocked_time: at.to_string() })
}

pub(super) fn errors_of(timing: &Timing) -> Vec<FieldError> {
    timing.compile().expect_err("the schedule should be refused")
}

#[test]
fn an_interval_runs_one_period_after_the_time_it_is_asked_about() {
    let every_ten_seconds = interval(10, Period::Seconds).compile().unwrap();
    let after = utc("2026-01-01T00:00:00Z");
    assert_eq!(every_ten_seconds.next_after(after), Some(utc("2026-01-01T00:00:10Z")));
    let runs = every_ten_seconds.upcoming(after, 3);
    assert_eq!(runs, [utc("2026-01-01T00:00:10Z"), utc("2026-01-01T00:00:20Z"), utc("2026-01-01T00:00:30Z")]);
    let every_two_days = interval(2, Period::Days).compile().unwrap();
    assert_eq!(every_two_days.next_after(after), Some(utc("2026-01-03T00:00:00Z")));
    let every_90_minutes = interval(90, Period::Minutes).compile().unwrap();
    assert_eq!(every_90_minutes.next_after(after), Some(utc("2026-01-01T01:30:00Z")));
}

#[test]
fn an_interval_of_zero_or_fewer_periods_is_refused_naming_interval_every() {
    for every in [0, -1, i64::MIN] {
        let errors = errors_of(&interval(every, Period::Seconds));
        assert_eq!(errors, [FieldError::new("interval.every", "must be at least 1")], "every = {every}");
    }
}

#[test]
fn an_interval_longer_than_366_days_is_refused_without_overflowing() {
    assert!(interval(366, Period::Days).compile().is_ok());
    assert!(interval(366 * 24, Period::Hours).compile().is_ok());
    let errors = errors_of(&interval(367, Period::Days));
    assert_eq!(errors.len(), 1);
    assert_eq!(errors[0].field, "interval.every");
    assert_eq!(errors[0].message, "367 days is longer than the limit of 366 days; use at most 366 days");
    let errors = errors_of(&interval(i64::MAX, Period::Days));
    assert_eq!(errors[0].field, "interval.every");
}

#[test]
fn a_clocked_schedule_runs_once_if_its_time_is_still_ahead() {
    let once = clocked("2026-12-01T10:00:00Z").compile().unwrap();
    let at = utc("2026-12-01T10:00:00Z");
    assert_eq!(once.next_after(utc("2026-11-30T00:00:00Z")), Some(at));
    assert_eq!(once.upcoming(utc("2026-11-30T00:00:00Z"), 5), [at]);
    assert_eq!(once.next_after(at), None, "strictly after: not at the time itself");
    assert_eq!(once.next_after(utc("2027-01-01T00:00:00Z")), None);
}

#[test]
fn a_clocked_time_with_an_offset_is_converted_to_utc() {
    let once = clocked("2026-12-01T12:00:00+02:00").compile().unwrap();
    assert_eq!(once.next_after(utc("2026-01-01T00:00:00Z")), Some(utc("2026-12-01T10:00:00Z")));
}

#[test]
fn a_clocked_time_without_an_offset_or_that_is_junk_is_refused_naming_its_field() {
    for text in ["2026-12-01 10:00", "2026-12-01T10:00:00", "tomorrow", "", "2026-02-30T10:00:00Z"] {
        let errors = errors_of(&clocked(text));
        assert_eq!(errors.len(), 1, "{text:?}");
        assert_eq!(errors[0].field, "clocked.clocked_time");
        assert!(errors[0].message.contains("RFC 3339"), "{}", errors[0].message);
    }
}

#[test]
fn the_json_shapes_are_django_celery_beats_in_serde_and_in_the_openapi_types() {
    let cases = [
        (json!({"interval": {"every": 10, "period": "seconds"}}), interval(10, Period::Seconds)),
        (json!({"clocked": {"clocked_time": "2026-12-01T10:00:00Z"}}), clocked("2026-12-01T10:00:00Z")),
        (
            json!({"crontab": {"minute": "30", "hour": "14", "timezone": "Africa/Cairo"}}),
            Timing::Crontab(CrontabSpec {
                minute: "30".into(),
                hour: "14".into(),
                timezone: "Africa/Cairo".into(),
                ..CrontabSpec::default()
            }),
        ),
    ];
    for (value, expected) in cases {
        let from_serde: Timing = serde_json::from_value(value.clone()).unwrap();
        let from_openapi = Timing::parse_from_json(Some(value.clone())).unwrap();
        assert_eq!(from_serde, expected);
        assert_eq!(from_openapi, expected);
        assert_eq!(serde_json::to_value(&expected).unwrap(), expected.to_json().unwrap());
    }
}

#[test]
fn a_crontab_with_no_fields_means_every_minute_in_utc() {
    let every_minute: Timing = serde_json::from_value(json!({"crontab": {}})).unwrap();
    let Timing::Crontab(spec) = &every_minute else { panic!("not a crontab") };
    assert_eq!(*spec, CrontabSpec::default());
    assert_eq!(spec.timezone, "UTC");
    assert_eq!(every_minute.compile().unwrap().cron_expression(), Some("0 * * * * *"));
}

#[test]
fn an_unknown_period_or_a_missing_every_is_refused_when_the_json_is_read() {
    for value in [
        json!({"interval": {"every": 10, "period": "fortnights"}}),
        json!({"interval": {"period": "seconds"}}),
        json!({"sometimes": {}}),
    ] {
        assert!(serde_json::from_value::<Timing>(value.clone()).is_err(), "{value}");
        assert!(Timing::parse_from_json(Some(value.clone())).is_err(), "{value}");
    }
}

#[test]
fn descriptions_say_when_a_schedule_runs_in_a_few_words() {
    assert_eq!(interval(10, Period::Seconds).compile().unwrap().describe(), "every 10 seconds");
    assert_eq!(interval(1, Period::Minutes).compile().unwrap().describe(), "every minute");
    assert_eq!(clocked("2026-12-01T10:00:00Z").compile().unwrap().describe(), "once at 2026-12-01 10:00 UTC");
    let crontab = |minute: &str, hour: &str, day_of_week: &str, day_of_month: &str, month_of_year: &str| {
        let spec = CrontabSpec {
            minute: minute.into(),
            hour: hour.into(),
            day_of_week: day_of_week.into(),
            day_of_month: day_of_month.into(),
            month_of_year: month_of_year.into(),
            timezone: "Africa/Cairo".into(),
        };
        Timing::Crontab(spec).compile().unwrap().describe()
    };
    assert_eq!(crontab("30", "14", "*", "*", "*"), "at 14:30 every day (Africa/Cairo)");
    assert_eq!(crontab("0", "9", "mon-fri", "*", "*"), "at 09:00 on Mon, Tue, Wed, Thu, Fri (Africa/Cairo)");
    assert_eq!(crontab("*/15", "*", "*", "*", "*"), "at minute 0,15,30,45 of every hour every day (Africa/Cairo)");
    assert_eq!(
        crontab("0", "0", "*", "1,15", "*/3"),
        "at 00:00 on day 1,15 of the month in Jan, Apr, Jul, Oct (Africa/Cairo)"
    );
    assert_eq!(crontab("*", "8-17", "*", "*", "*"), "at every minute of hour 8-17 every day (Africa/Cairo)");
    assert_eq!(crontab(" 5 ", " 7 ", " sun ", "*", "*"), "at 07:05 on Sun (Africa/Cairo)", "spaces around a field");
}

#[test]
fn field_errors_print_their_field_and_message() {
    assert_eq!(
        FieldError::new("interval.every", "must be at least 1").to_string(),
        "interval.every: must be at least 1"
    );
}
