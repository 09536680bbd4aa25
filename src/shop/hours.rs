//! Business hours: when the shop answers, per weekday, in the shop's time zone.
//!
//! Each day is `"HH:MM-HH:MM"` ranges separated by commas, or `"closed"`;
//! a day left out is closed. No day set at all means always open.

use jiff::civil::{Date, Time};
use jiff::{ToSpan, Zoned};

use super::model::BusinessHours;

/// Minutes in a day; `24:00` may end a range.
const DAY: u16 = 24 * 60;

/// Parsed opening hours per weekday.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Hours {
    /// Monday first; each range is `[start, end)` in minutes after midnight.
    days: [Vec<(u16, u16)>; 7],
    /// No day was set: always open.
    always: bool,
}

impl Hours {
    pub fn parse(raw: &BusinessHours) -> Result<Self, String> {
        let mut days: [Vec<(u16, u16)>; 7] = Default::default();
        for ((name, text), slot) in Self::days_of(raw).into_iter().zip(days.iter_mut()) {
            if let Some(text) = text {
                *slot = parse_day(text).map_err(|e| format!("{name}: {e}"))?;
            }
        }
        let always = Self::days_of(raw).iter().all(|(_, t)| t.is_none());
        Ok(Self { days, always })
    }

    /// The days of `[hours]`, Monday first, with their key names.
    pub fn days_of(raw: &BusinessHours) -> [(&'static str, Option<&str>); 7] {
        [
            ("mon", raw.mon.as_deref()),
            ("tue", raw.tue.as_deref()),
            ("wed", raw.wed.as_deref()),
            ("thu", raw.thu.as_deref()),
            ("fri", raw.fri.as_deref()),
            ("sat", raw.sat.as_deref()),
            ("sun", raw.sun.as_deref()),
        ]
    }

    /// No `[hours]` day is set: the shop is always open.
    pub fn always_open(&self) -> bool {
        self.always
    }

    /// Whether the shop is open at `at` (its wall-clock time in its own zone;
    /// convert to the shop's time zone first).
    pub fn is_open(&self, at: &Zoned) -> bool {
        if self.always {
            return true;
        }
        let minute = minute_of(at.time());
        self.ranges(at.date())
            .iter()
            .any(|&(start, end)| start <= minute && minute < end)
    }

    /// When the shop next opens after `at`: `at` itself if it is open now;
    /// `None` if it is always open or never open. An opening that falls in a
    /// daylight-saving gap is moved forward by the gap.
    pub fn next_opening(&self, at: &Zoned) -> Option<Zoned> {
        if self.always || self.days.iter().all(Vec::is_empty) {
            return None;
        }
        if self.is_open(at) {
            return Some(at.clone());
        }
        let mut date = at.date();
        // A week and a day covers every weekday even when today's ranges are over.
        for _ in 0..=7 {
            for &(start, _) in self.ranges(date) {
                let time = Time::new(
                    i8::try_from(start / 60).ok()?,
                    i8::try_from(start % 60).ok()?,
                    0,
                    0,
                )
                .ok()?;
                let Ok(when) = date.to_datetime(time).to_zoned(at.time_zone().clone()) else {
                    continue;
                };
                if when.timestamp() > at.timestamp() {
                    return Some(when);
                }
            }
            date = date.checked_add(1.day()).ok()?;
        }
        None
    }

    fn ranges(&self, date: Date) -> &[(u16, u16)] {
        let day = usize::try_from(date.weekday().to_monday_zero_offset()).unwrap_or(0);
        self.days.get(day).map_or(&[], Vec::as_slice)
    }
}

fn minute_of(time: Time) -> u16 {
    u16::try_from(time.hour()).unwrap_or(0) * 60 + u16::try_from(time.minute()).unwrap_or(0)
}

/// Parses one day: `"09:00-13:00, 15:00-19:00"` or `"closed"`, ranges sorted.
pub fn parse_day(text: &str) -> Result<Vec<(u16, u16)>, String> {
    let text = text.trim();
    if text.eq_ignore_ascii_case("closed") {
        return Ok(Vec::new());
    }
    if text.is_empty() {
        return Err("is empty".to_owned());
    }
    let mut ranges = Vec::new();
    for part in text.split(',') {
        let part = part.trim();
        let Some((from, to)) = part.split_once('-') else {
            return Err(format!("\"{part}\" is not a range like 09:00-18:00"));
        };
        let (start, end) = (clock(from)?, clock(to)?);
        if start >= DAY {
            return Err(format!("\"{part}\" starts at 24:00"));
        }
        if end <= start {
            return Err(format!("\"{part}\" ends before it starts"));
        }
        ranges.push((start, end));
    }
    ranges.sort_unstable();
    if ranges.windows(2).any(|w| w[1].0 < w[0].1) {
        return Err("has overlapping ranges".to_owned());
    }
    Ok(ranges)
}

/// `HH:MM` (00:00 to 24:00) as minutes after midnight.
fn clock(text: &str) -> Result<u16, String> {
    let text = text.trim();
    let shape = text.split_once(':').filter(|(h, m)| {
        h.len() == 2 && m.len() == 2 && h.bytes().chain(m.bytes()).all(|b| b.is_ascii_digit())
    });
    let Some((h, m)) = shape else {
        return Err(format!("\"{text}\" is not a time like 09:00"));
    };
    let (h, m): (u16, u16) = (h.parse().unwrap_or(99), m.parse().unwrap_or(99));
    if m >= 60 || h > 24 || (h == 24 && m > 0) {
        return Err(format!("\"{text}\" is not a time of day"));
    }
    Ok(h * 60 + m)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn hours(set: impl FnOnce(&mut BusinessHours)) -> Hours {
        let mut raw = BusinessHours::default();
        set(&mut raw);
        Hours::parse(&raw).expect("valid hours")
    }

    fn madrid(text: &str) -> Zoned {
        format!("{text}[Europe/Madrid]")
            .parse()
            .expect("valid time")
    }

    #[test]
    fn parses_days() {
        assert_eq!(
            parse_day("09:00-13:00, 15:00-19:00"),
            Ok(vec![(540, 780), (900, 1140)])
        );
        assert_eq!(parse_day(" Closed "), Ok(vec![]));
        assert_eq!(parse_day("20:00-24:00"), Ok(vec![(1200, 1440)]));
        assert!(parse_day("9-18").is_err());
        assert!(parse_day("25:00-26:00").is_err());
        assert!(parse_day("18:00-09:00").is_err());
        assert!(parse_day("09:00-12:00,11:00-13:00").is_err());
        assert!(parse_day("").is_err());
        assert!(parse_day("09:00-12:00,").is_err());
    }

    #[test]
    fn no_days_means_always_open() {
        let h = hours(|_| {});
        assert!(h.always_open());
        assert!(h.is_open(&madrid("2025-03-30T03:00")));
        assert_eq!(h.next_opening(&madrid("2025-03-30T03:00")), None);
    }

    #[test]
    fn all_closed_is_never_open() {
        let h = hours(|r| r.mon = Some("closed".to_owned()));
        assert!(!h.always_open());
        assert!(!h.is_open(&madrid("2025-03-31T10:00")));
        assert_eq!(h.next_opening(&madrid("2025-03-31T10:00")), None);
    }

    #[test]
    fn open_and_next_opening_on_ordinary_days() {
        let h = hours(|r| {
            r.mon = Some("09:00-13:00, 15:00-19:00".to_owned());
            r.fri = Some("10:00-14:00".to_owned());
        });
        // 2025-06-02 is a Monday.
        assert!(h.is_open(&madrid("2025-06-02T09:00")));
        assert!(h.is_open(&madrid("2025-06-02T12:59")));
        assert!(!h.is_open(&madrid("2025-06-02T13:00")));
        assert_eq!(
            h.next_opening(&madrid("2025-06-02T13:30")),
            Some(madrid("2025-06-02T15:00"))
        );
        assert_eq!(
            h.next_opening(&madrid("2025-06-02T10:00")),
            Some(madrid("2025-06-02T10:00"))
        );
        assert_eq!(
            h.next_opening(&madrid("2025-06-02T19:00")),
            Some(madrid("2025-06-06T10:00"))
        );
        assert_eq!(
            h.next_opening(&madrid("2025-06-06T15:00")),
            Some(madrid("2025-06-09T09:00"))
        );
    }

    #[test]
    fn spring_forward_in_madrid() {
        // 2025-03-30 (a Sunday): 02:00 CET jumps to 03:00 CEST.
        let h = hours(|r| r.sun = Some("01:00-02:30, 02:45-05:00".to_owned()));
        let before = madrid("2025-03-30T01:59:59");
        assert!(h.is_open(&before));
        let after = madrid("2025-03-30T03:00");
        assert_eq!(after.offset().seconds(), 2 * 3600);
        assert!(h.is_open(&after));
        // 02:45 does not exist that night; the opening moves to 03:45 CEST.
        let h = hours(|r| r.sun = Some("02:45-05:00".to_owned()));
        let next = h.next_opening(&madrid("2025-03-29T20:00")).expect("opens");
        assert_eq!(next.to_string(), "2025-03-30T03:45:00+02:00[Europe/Madrid]");
        assert!(!h.is_open(&madrid("2025-03-30T01:59")));
    }

    #[test]
    fn fall_back_in_madrid() {
        // 2025-10-26 (a Sunday): 03:00 CEST falls back to 02:00 CET.
        let h = hours(|r| r.sun = Some("09:00-13:00".to_owned()));
        let next = h.next_opening(&madrid("2025-10-25T20:00")).expect("opens");
        assert_eq!(next.to_string(), "2025-10-26T09:00:00+01:00[Europe/Madrid]");
        assert_eq!(
            next.timestamp().as_second() - madrid("2025-10-25T20:00").timestamp().as_second(),
            14 * 3600
        );
        assert!(h.is_open(&madrid("2025-10-26T12:59")));
        assert!(!h.is_open(&madrid("2025-10-26T13:00")));
    }
}
