//! Run times of crontabs, hand-computed, in several zones and across daylight saving time.

use super::tests::utc;
use super::tests_crontab::cron_in;

fn runs(zone: &str, fields: &str, after: &str, n: usize) -> Vec<String> {
    let compiled = cron_in(zone, fields).compile().unwrap();
    compiled.upcoming(utc(after), n).iter().map(|run| run.to_rfc3339()).collect()
}

#[test]
fn every_3_minutes_runs_on_the_minutes_divisible_by_3() {
    let got = runs("UTC", "*/3 * * * *", "2026-01-01T00:55:30Z", 4);
    assert_eq!(
        got,
        [
            "2026-01-01T00:57:00+00:00",
            "2026-01-01T01:00:00+00:00",
            "2026-01-01T01:03:00+00:00",
            "2026-01-01T01:06:00+00:00"
        ]
    );
}

#[test]
fn a_run_time_equal_to_after_is_not_returned_but_one_a_second_later_is() {
    assert_eq!(runs("UTC", "*/3 * * * *", "2026-01-01T00:57:00Z", 1), ["2026-01-01T01:00:00+00:00"]);
    assert_eq!(runs("UTC", "*/3 * * * *", "2026-01-01T00:56:59.999Z", 1), ["2026-01-01T00:57:00+00:00"]);
}

#[test]
fn half_past_two_pm_in_cairo_follows_egypts_summer_time() {
    // Egypt is UTC+2, and UTC+3 from the last Friday of April (2026-04-24) to the last Thursday
    // of October (2026-10-29, included).
    let got = runs("Africa/Cairo", "30 14 * * *", "2026-04-22T13:00:00Z", 3);
    assert_eq!(got, ["2026-04-23T12:30:00+00:00", "2026-04-24T11:30:00+00:00", "2026-04-25T11:30:00+00:00"]);
    let got = runs("Africa/Cairo", "30 14 * * *", "2026-10-29T00:00:00Z", 2);
    assert_eq!(got, ["2026-10-29T11:30:00+00:00", "2026-10-30T12:30:00+00:00"]);
}

#[test]
fn weekdays_at_nine_in_paris_skip_the_weekend_and_follow_summer_time() {
    // 2026-03-27 is a Friday (CET, UTC+1); summer time (UTC+2) starts on Sunday 2026-03-29.
    let got = runs("Europe/Paris", "0 9 * * 1-5", "2026-03-26T12:00:00Z", 3);
    assert_eq!(got, ["2026-03-27T08:00:00+00:00", "2026-03-30T07:00:00+00:00", "2026-03-31T07:00:00+00:00"]);
}

#[test]
fn the_1st_and_15th_at_midnight_are_local_midnights() {
    let got = runs("UTC", "0 0 1,15 * *", "2026-01-20T00:00:00Z", 3);
    assert_eq!(got, ["2026-02-01T00:00:00+00:00", "2026-02-15T00:00:00+00:00", "2026-03-01T00:00:00+00:00"]);
    // Midnight in Tokyo (UTC+9) is 15:00 the day before in UTC.
    let got = runs("Asia/Tokyo", "0 0 1,15 * *", "2026-01-20T00:00:00Z", 2);
    assert_eq!(got, ["2026-01-31T15:00:00+00:00", "2026-02-14T15:00:00+00:00"]);
}

#[test]
fn sunday_as_0_as_7_and_as_sun_gives_the_same_runs() {
    // 2026-01-04 is a Sunday.
    let expected = ["2026-01-04T10:00:00+00:00", "2026-01-11T10:00:00+00:00", "2026-01-18T10:00:00+00:00"];
    for sunday in ["0", "7", "sun"] {
        assert_eq!(runs("UTC", &format!("0 10 * * {sunday}"), "2026-01-01T00:00:00Z", 3), expected, "{sunday}");
    }
}

#[test]
fn a_time_that_spring_forward_skips_runs_once_at_the_end_of_the_gap() {
    // New York, 2026-03-08: clocks jump from 02:00 EST (07:00Z) to 03:00 EDT.
    let at_two = runs("America/New_York", "0 2 * * *", "2026-03-06T12:00:00Z", 3);
    assert_eq!(at_two, ["2026-03-07T07:00:00+00:00", "2026-03-08T07:00:00+00:00", "2026-03-09T06:00:00+00:00"]);
    let half_past_two = runs("America/New_York", "30 2 * * *", "2026-03-06T12:00:00Z", 3);
    assert_eq!(half_past_two, ["2026-03-07T07:30:00+00:00", "2026-03-08T07:00:00+00:00", "2026-03-09T06:30:00+00:00"]);
    // Four runs due in the gap and one at 03:00 make a single run at 03:00 EDT.
    let quarters = runs("America/New_York", "*/15 2,3 * * *", "2026-03-08T06:59:00Z", 3);
    assert_eq!(quarters, ["2026-03-08T07:00:00+00:00", "2026-03-08T07:15:00+00:00", "2026-03-08T07:30:00+00:00"]);
}

#[test]
fn a_time_that_fall_back_repeats_runs_once_at_its_first_occurrence() {
    // New York, 2026-11-01: clocks go back from 02:00 EDT (06:00Z) to 01:00 EST, so 01:00-01:59
    // happens twice and 02:00 once (EST, 07:00Z).
    let half_past_one = runs("America/New_York", "30 1 * * *", "2026-10-30T12:00:00Z", 3);
    assert_eq!(half_past_one, ["2026-10-31T05:30:00+00:00", "2026-11-01T05:30:00+00:00", "2026-11-02T06:30:00+00:00"]);
    let at_two = runs("America/New_York", "0 2 * * *", "2026-10-30T12:00:00Z", 3);
    assert_eq!(at_two, ["2026-10-31T06:00:00+00:00", "2026-11-01T07:00:00+00:00", "2026-11-02T07:00:00+00:00"]);
    let half_past_two = runs("America/New_York", "30 2 * * *", "2026-10-30T12:00:00Z", 3);
    assert_eq!(half_past_two, ["2026-10-31T06:30:00+00:00", "2026-11-01T07:30:00+00:00", "2026-11-02T07:30:00+00:00"]);
    // Asked during the second 01:00-01:59, the 01:30 that already ran in the first is not repeated.
    let from_second_pass = runs("America/New_York", "30 1 * * *", "2026-11-01T06:10:00Z", 1);
    assert_eq!(from_second_pass, ["2026-11-02T06:30:00+00:00"]);
    let every_quarter = runs("America/New_York", "*/15 1,2 * * *", "2026-11-01T04:59:00Z", 6);
    let expected =
        ["05:00", "05:15", "05:30", "05:45", "07:00", "07:15"].map(|time| format!("2026-11-01T{time}:00+00:00"));
    assert_eq!(every_quarter, expected);
}

#[test]
fn zones_with_half_hour_shifts_and_a_skipped_day_never_panic() {
    // Lord Howe Island moves its clocks by 30 minutes; Samoa skipped 2011-12-30 entirely.
    // 2026-10-04 02:00 (UTC+10:30) becomes 02:30 (UTC+11), so 02:15 runs at 02:30.
    let got = runs("Australia/Lord_Howe", "15 2 * * *", "2026-10-03T00:00:00Z", 2);
    assert_eq!(got, ["2026-10-03T15:30:00+00:00", "2026-10-04T15:15:00+00:00"]);
    let got = runs("Pacific/Apia", "0 12 * * *", "2011-12-29T00:00:00Z", 3);
    // 2011-12-29 12:00 at UTC-10, the 30th does not exist, 2011-12-31 12:00 at UTC+14.
    assert_eq!(got, ["2011-12-29T22:00:00+00:00", "2011-12-30T10:00:00+00:00", "2011-12-30T22:00:00+00:00"]);
}
