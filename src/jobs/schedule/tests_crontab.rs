//! Celery's crontab syntax: what each field means, the expression `cron` gets, and bad input.

use super::tests::utc;
use super::*;

/// A crontab in UTC from the five fields in cron's order: minute, hour, day of month, month, day
/// of week (the JSON names them; this order only keeps the tests short).
pub(super) fn cron_in(zone: &str, fields: &str) -> Timing {
    let parts: Vec<&str> = fields.split(' ').collect();
    Timing::Crontab(CrontabSpec {
        minute: parts[0].into(),
        hour: parts[1].into(),
        day_of_month: parts[2].into(),
        month_of_year: parts[3].into(),
        day_of_week: parts[4].into(),
        timezone: zone.into(),
    })
}

fn expression(fields: &str) -> String {
    cron_in("UTC", fields).compile().unwrap().cron_expression().unwrap().to_string()
}

fn only_error(fields: &str) -> FieldError {
    let errors = cron_in("UTC", fields).compile().expect_err(fields);
    assert_eq!(errors.len(), 1, "{fields}: {errors:?}");
    errors.into_iter().next().unwrap()
}

#[test]
fn celerys_documented_examples_give_the_values_celery_lists() {
    let cases = [
        ("* * * * *", "0 * * * * *"),
        ("0 0 * * *", "0 0 0 * * *"),
        ("0 */3 * * *", "0 0 0,3,6,9,12,15,18,21 * * *"),
        ("0 0,3,6,9,12,15,18,21 * * *", "0 0 0,3,6,9,12,15,18,21 * * *"),
        ("*/15 * * * *", "0 0,15,30,45 * * * *"),
        ("* * * * sunday", "0 * * * * SUN"),
        ("*/10 3,17,22 * * thu,fri", "0 0,10,20,30,40,50 3,17,22 * * THU,FRI"),
        ("0 */2,*/3 * * *", "0 0 0,2,3,4,6,8,9,10,12,14,15,16,18,20,21,22 * * *"),
        ("0 */5 * * *", "0 0 0,5,10,15,20 * * *"),
        ("0 */3,8-17 * * *", "0 0 0,3,6,8,9,10,11,12,13,14,15,16,17,18,21 * * *"),
        ("0 0 2 * *", "0 0 0 2 * *"),
        ("0 0 2-30/2 * *", "0 0 0 2,4,6,8,10,12,14,16,18,20,22,24,26,28,30 * *"),
        ("0 0 1-7,15-21 * *", "0 0 0 1,2,3,4,5,6,7,15,16,17,18,19,20,21 * *"),
        ("0 0 11 5 *", "0 0 0 11 5 *"),
        ("0 0 * */3 *", "0 0 0 * 1,4,7,10 *"),
        // crontab_parser's docstring: a step counts from the field's first value.
        ("0 0 */3 * *", "0 0 0 1,4,7,10,13,16,19,22,25,28,31 * *"),
        ("0 0 * 2-12/2 *", "0 0 0 * 2,4,6,8,10,12 *"),
        (
            "1,13,30-45,50-59/2 0,8-17/2 * * *",
            "0 1,13,30,31,32,33,34,35,36,37,38,39,40,41,42,43,44,45,50,52,54,56,58 0,8,10,12,14,16 * * *",
        ),
    ];
    for (fields, expected) in cases {
        assert_eq!(expression(fields), expected, "{fields}");
    }
}

#[test]
fn sunday_is_0_and_7_and_sun_and_the_weekdays_go_to_cron_by_name() {
    for sunday in ["0", "7", "sun", "SUN", "Sunday"] {
        assert_eq!(expression(&format!("0 9 * * {sunday}")), "0 0 9 * * SUN", "{sunday:?}");
    }
    assert_eq!(expression("0 9 * * 1-5"), "0 0 9 * * MON,TUE,WED,THU,FRI");
    assert_eq!(expression("0 9 * * mon-fri"), "0 0 9 * * MON,TUE,WED,THU,FRI");
    assert_eq!(expression("0 9 * * 5-7"), "0 0 9 * * SUN,FRI,SAT");
    assert_eq!(expression("0 9 * * 6,0"), "0 0 9 * * SUN,SAT");
    assert_eq!(expression("0 9 * * 0-7"), "0 0 9 * * *");
    // Celery's warning: */2 is the days whose number divides by two, not every other day.
    assert_eq!(expression("0 9 * * */2"), "0 0 9 * * SUN,TUE,THU,SAT");
}

#[test]
fn a_backwards_range_wraps_like_celerys_except_in_day_of_month() {
    assert_eq!(expression("0 9 * * fri-mon"), "0 0 9 * * SUN,MON,FRI,SAT");
    assert_eq!(expression("0 9 * * 7-1"), "0 0 9 * * SUN,MON");
    assert_eq!(expression("0 22-2 * * *"), "0 0 0,1,2,22,23 * * *");
    assert_eq!(expression("0 0 1 11-2 *"), "0 0 0 1 1,2,11,12 *");
    let error = only_error("0 0 5-2 * *");
    assert_eq!(error.field, "crontab.day_of_month");
    assert_eq!(error.message, "5-2 runs backwards and day_of_month does not wrap; list both parts, e.g. 5-31,1-2");
}

#[test]
fn each_bad_field_is_named_with_a_message_a_user_can_act_on() {
    let cases = [
        ("60 * * * *", "crontab.minute", "60 is out of range 0-59"),
        ("* 24 * * *", "crontab.hour", "24 is out of range 0-23"),
        ("* * 0 * *", "crontab.day_of_month", "0 is out of range 1-31"),
        ("* * 32 * *", "crontab.day_of_month", "32 is out of range 1-31"),
        ("* * * 13 *", "crontab.month_of_year", "13 is out of range 1-12"),
        ("* * * 0 *", "crontab.month_of_year", "0 is out of range 1-12"),
        ("* * * * 8", "crontab.day_of_week", "8 is out of range 0-7, or sun..sat (0 and 7 are Sunday)"),
        ("*/0 * * * *", "crontab.minute", "\"*/0\": the step must be at least 1"),
        ("1-10/0 * * * *", "crontab.minute", "\"1-10/0\": the step must be at least 1"),
        ("*/x * * * *", "crontab.minute", "\"*/x\": the step \"x\" is not a whole number"),
        ("5/15 * * * *", "crontab.minute", "\"5/15\": a step needs * or a range before it, e.g. */15 or 5-59/15"),
        ("1,,2 * * * *", "crontab.minute", "\"1,,2\" has an empty item in its list"),
        ("1, * * * *", "crontab.minute", "\"1,\" has an empty item in its list"),
        ("abc * * * *", "crontab.minute", "\"abc\" is not a number in 0-59"),
        ("-5 * * * *", "crontab.minute", "\"-5\" is not a number in 0-59"),
        ("* 1.5 * * *", "crontab.hour", "\"1.5\" is not a number in 0-23"),
        ("99999999999999999999 * * * *", "crontab.minute", "99999999999999999999 is out of range 0-59"),
        ("* * * jan *", "crontab.month_of_year", "\"jan\" is not a number in 1-12"),
        (
            "* * * * tues",
            "crontab.day_of_week",
            "\"tues\" is not a day of the week; use 0-7, or sun..sat (0 and 7 are Sunday)",
        ),
        (
            "* * * * su",
            "crontab.day_of_week",
            "\"su\" is not a day of the week; use 0-7, or sun..sat (0 and 7 are Sunday)",
        ),
    ];
    for (fields, field, message) in cases {
        assert_eq!(only_error(fields), FieldError::new(field, message), "{fields}");
    }
}

#[test]
fn an_empty_field_is_refused_rather_than_read_as_every_value() {
    let spec = CrontabSpec { minute: " ".into(), ..CrontabSpec::default() };
    let errors = Timing::Crontab(spec).compile().unwrap_err();
    assert_eq!(errors, [FieldError::new("crontab.minute", "is empty; use * for every value, or values in 0-59")]);
}

#[test]
fn an_unknown_time_zone_is_refused_with_an_example_of_a_good_one() {
    let errors = cron_in("Mars/Olympus", "* * * * *").compile().unwrap_err();
    let message = "unknown time zone \"Mars/Olympus\"; use an IANA name such as Europe/Paris";
    assert_eq!(errors, [FieldError::new("crontab.timezone", message)]);
    assert!(cron_in("", "* * * * *").compile().is_err());
    assert!(cron_in("Europe/Paris", "* * * * *").compile().is_ok());
}

#[test]
fn every_problem_is_reported_at_once_not_only_the_first() {
    let errors = cron_in("Mars/Olympus", "60 24 0 13 8").compile().unwrap_err();
    let fields: Vec<&str> = errors.iter().map(|error| error.field.as_str()).collect();
    assert_eq!(
        fields,
        [
            "crontab.minute",
            "crontab.hour",
            "crontab.day_of_week",
            "crontab.day_of_month",
            "crontab.month_of_year",
            "crontab.timezone"
        ]
    );
}

#[test]
fn a_day_that_no_month_has_is_refused_instead_of_never_running() {
    let error = only_error("0 0 30 2 *");
    assert_eq!(error.field, "crontab.day_of_month");
    assert_eq!(error.message, "no month in month_of_year (2) has a day 30, so the schedule would never run");
    assert_eq!(only_error("0 0 31 4,6,9,11 *").field, "crontab.day_of_month");
    // The 29th of February exists in leap years; the 31st exists in one of the listed months.
    let leap_day = cron_in("UTC", "0 0 29 2 *").compile().unwrap();
    assert_eq!(leap_day.next_after(utc("2026-01-01T00:00:00Z")), Some(utc("2028-02-29T00:00:00Z")));
    assert!(cron_in("UTC", "0 0 31 4,5 *").compile().is_ok());
}

#[test]
fn day_of_month_and_day_of_week_must_both_match_as_in_celery() {
    // The first Monday of each month: Celery's own example of both day fields at once. Vixie
    // cron would also run on the 1st-7th whatever the weekday, and on every Monday.
    let first_monday = cron_in("UTC", "0 9 1-7 * mon").compile().unwrap();
    let runs = first_monday.upcoming(utc("2026-01-01T00:00:00Z"), 4);
    let expected = ["2026-01-05T09:00:00Z", "2026-02-02T09:00:00Z", "2026-03-02T09:00:00Z", "2026-04-06T09:00:00Z"];
    assert_eq!(runs, expected.map(utc));
    let friday_13th = cron_in("UTC", "0 0 13 * fri").compile().unwrap();
    let runs = friday_13th.upcoming(utc("2026-01-01T00:00:00Z"), 3);
    assert_eq!(runs, ["2026-02-13T00:00:00Z", "2026-03-13T00:00:00Z", "2026-11-13T00:00:00Z"].map(utc));
}

#[test]
fn a_schedule_that_runs_rarely_still_finds_its_next_runs() {
    // The 29th of February on a Monday: 2044 after 2032's Sunday; `cron` walks years, not minutes.
    let rare = cron_in("UTC", "0 0 29 2 mon").compile().unwrap();
    assert_eq!(
        rare.upcoming(utc("2026-01-01T00:00:00Z"), 2),
        ["2044-02-29T00:00:00Z", "2072-02-29T00:00:00Z"].map(utc)
    );
}
