//! Celery's crontab field syntax, parsed into the set of values a field means.
//!
//! Follows `celery.schedules.crontab_parser`: `*`, numbers, `a-b`, lists, `*/n` and `a-b/n`, where
//! a step takes every n-th value of what precedes it (`*/3` in day_of_month is 1,4,7,...), and a
//! backwards range wraps around the field's end (`fri-mon`, `22-2`). Unlike Celery, day_of_week
//! also takes 7 for Sunday, and day_of_month refuses backwards ranges: months differ in length,
//! so `25-5` has no single meaning.

/// A set of small values (all below 64) as a bit mask.
pub type ValueSet = u64;

/// One crontab field: its name in the JSON and the values it may hold.
pub struct FieldKind {
    pub name: &'static str,
    pub min: u8,
    pub max: u8,
    /// Whether a backwards range wraps around the end.
    wraps: bool,
}

pub const MINUTE: FieldKind = FieldKind { name: "minute", min: 0, max: 59, wraps: true };
pub const HOUR: FieldKind = FieldKind { name: "hour", min: 0, max: 23, wraps: true };
pub const DAY_OF_MONTH: FieldKind = FieldKind { name: "day_of_month", min: 1, max: 31, wraps: false };
pub const MONTH_OF_YEAR: FieldKind = FieldKind { name: "month_of_year", min: 1, max: 12, wraps: true };
/// 0-7 are accepted, 7 folded into 0 (Sunday); `*` and wrapping use Celery's cycle of 0-6.
pub const DAY_OF_WEEK: FieldKind = FieldKind { name: "day_of_week", min: 0, max: 7, wraps: true };

const WEEKDAY_NAMES: [&str; 7] = ["sunday", "monday", "tuesday", "wednesday", "thursday", "friday", "saturday"];

impl FieldKind {
    fn is_day_of_week(&self) -> bool {
        self.name == DAY_OF_WEEK.name
    }

    /// The last value of the field's cycle: 6 for day_of_week, where 7 is only another Sunday.
    fn cycle_max(&self) -> u8 {
        if self.is_day_of_week() {
            6
        } else {
            self.max
        }
    }

    fn range_text(&self) -> String {
        let sunday = if self.is_day_of_week() { ", or sun..sat (0 and 7 are Sunday)" } else { "" };
        format!("{}-{}{sunday}", self.min, self.max)
    }

    /// Every value of the field, as `*` means it.
    pub fn all(&self) -> ValueSet {
        (self.min..=self.cycle_max()).fold(0, |set, value| set | 1 << value)
    }
}

/// The values `text` means in field `kind`, or a message saying what is wrong with it.
pub fn parse_field(kind: &FieldKind, text: &str) -> Result<ValueSet, String> {
    let text = text.trim();
    if text.is_empty() {
        return Err(format!("is empty; use * for every value, or values in {}", kind.range_text()));
    }
    let mut set = 0;
    for item in text.split(',') {
        let item = item.trim();
        if item.is_empty() {
            return Err(format!("{text:?} has an empty item in its list"));
        }
        for value in parse_item(kind, item)? {
            set |= 1 << value;
        }
    }
    if kind.is_day_of_week() && set & 1 << 7 != 0 {
        set = (set & !(1 << 7)) | 1;
    }
    Ok(set)
}

/// One list item: `*`, `n`, `a-b`, `*/n` or `a-b/n`, in the order Celery expands it.
fn parse_item(kind: &FieldKind, item: &str) -> Result<Vec<u8>, String> {
    let (base, step) = match item.split_once('/') {
        Some((base, step)) => (base.trim(), Some(parse_step(item, step.trim())?)),
        None => (item, None),
    };
    let values: Vec<u8> = if base == "*" {
        (kind.min..=kind.cycle_max()).collect()
    } else if let Some((from, to)) = split_range(base) {
        let (from, to) = (parse_value(kind, from.trim())?, parse_value(kind, to.trim())?);
        if from <= to {
            (from..=to).collect()
        } else if kind.wraps {
            (from..=kind.cycle_max()).chain(kind.min..=to).collect()
        } else {
            return Err(format!(
                "{from}-{to} runs backwards and {} does not wrap; list both parts, e.g. {from}-{},{}-{to}",
                kind.name, kind.max, kind.min
            ));
        }
    } else if step.is_some() {
        return Err(format!("{item:?}: a step needs * or a range before it, e.g. */15 or 5-59/15"));
    } else {
        vec![parse_value(kind, base)?]
    };
    Ok(values.into_iter().step_by(step.unwrap_or(1)).collect())
}

/// `a-b`, where `a` is not empty (so `-5` is not read as a range from nothing).
fn split_range(base: &str) -> Option<(&str, &str)> {
    base.split_once('-').filter(|(from, _)| !from.trim().is_empty())
}

fn parse_step(item: &str, step: &str) -> Result<usize, String> {
    match step.parse::<usize>() {
        Ok(0) => Err(format!("{item:?}: the step must be at least 1")),
        Ok(step) => Ok(step),
        Err(_) => Err(format!("{item:?}: the step {step:?} is not a whole number")),
    }
}

fn parse_value(kind: &FieldKind, text: &str) -> Result<u8, String> {
    if !text.is_empty() && text.bytes().all(|b| b.is_ascii_digit()) {
        return match text.parse::<u32>() {
            Ok(value) if (kind.min as u32..=kind.max as u32).contains(&value) => Ok(value as u8),
            _ => Err(format!("{text} is out of range {}", kind.range_text())),
        };
    }
    if kind.is_day_of_week() {
        let lower = text.to_ascii_lowercase();
        let day = WEEKDAY_NAMES.iter().position(|name| lower.len() >= 3 && name.starts_with(&lower));
        return match day {
            Some(day) if lower.len() == 3 || lower == WEEKDAY_NAMES[day] => Ok(day as u8),
            _ => Err(format!("{text:?} is not a day of the week; use {}", kind.range_text())),
        };
    }
    Err(format!("{text:?} is not a number in {}", kind.range_text()))
}

/// The values in `set`, in order.
pub fn values(set: ValueSet) -> impl Iterator<Item = u8> {
    (0..64u8).filter(move |value| set & 1 << value != 0)
}

/// The values as a short list with runs joined: `1-5,10,15`.
pub fn compact(set: ValueSet) -> String {
    let mut parts: Vec<String> = Vec::new();
    let mut run: Option<(u8, u8)> = None;
    for value in values(set) {
        run = match run {
            Some((first, last)) if last + 1 == value => Some((first, value)),
            Some(done) => {
                parts.push(run_text(done));
                Some((value, value))
            }
            None => Some((value, value)),
        };
    }
    parts.extend(run.map(run_text));
    parts.join(",")
}

fn run_text((first, last): (u8, u8)) -> String {
    match last - first {
        0 => first.to_string(),
        1 => format!("{first},{last}"),
        _ => format!("{first}-{last}"),
    }
}
