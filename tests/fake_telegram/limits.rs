//! Telegram's flood limits and photo checks.

use std::collections::{HashMap, VecDeque};
use std::time::{Duration, Instant};

/// Sending limits: a token bucket per chat (burst, then 1 message per second),
/// 30 messages per second overall, 20 messages per minute in a group.
#[derive(Debug, Default)]
pub struct Limiter {
    buckets: HashMap<i64, (f64, Instant)>,
    overall: VecDeque<Instant>,
    groups: HashMap<i64, VecDeque<Instant>>,
}

const OVERALL_PER_SEC: usize = 30;
const GROUP_PER_MIN: usize = 20;

fn ceil_secs(d: Duration) -> u64 {
    let secs = d.as_secs() + u64::from(d.subsec_nanos() > 0);
    secs.max(1)
}

impl Limiter {
    /// Whether one more message to `chat_id` is allowed now (`Err(retry_after)` if
    /// not); with `commit` it is also counted.
    pub fn check(
        &mut self,
        chat_id: i64,
        group: bool,
        burst: u32,
        commit: bool,
    ) -> Result<(), u64> {
        let now = Instant::now();
        let second_ago = now.checked_sub(Duration::from_secs(1));
        while self.overall.front().is_some_and(|t| Some(*t) <= second_ago) {
            self.overall.pop_front();
        }
        if self.overall.len() >= OVERALL_PER_SEC {
            let oldest = self.overall.front().copied().unwrap_or(now);
            return Err(ceil_secs(
                Duration::from_secs(1).saturating_sub(now - oldest),
            ));
        }
        let capacity = f64::from(burst.max(1));
        let (tokens, last) = self
            .buckets
            .get(&chat_id)
            .copied()
            .unwrap_or((capacity, now));
        let tokens = (tokens + (now - last).as_secs_f64()).min(capacity);
        if tokens < 1.0 {
            return Err(ceil_secs(Duration::from_secs_f64(1.0 - tokens)));
        }
        if group {
            let window = self.groups.entry(chat_id).or_default();
            let minute_ago = now.checked_sub(Duration::from_mins(1));
            while window.front().is_some_and(|t| Some(*t) <= minute_ago) {
                window.pop_front();
            }
            if window.len() >= GROUP_PER_MIN {
                let oldest = window.front().copied().unwrap_or(now);
                return Err(ceil_secs(
                    Duration::from_mins(1).saturating_sub(now - oldest),
                ));
            }
            if commit {
                window.push_back(now);
            }
        }
        if !commit {
            return Ok(());
        }
        self.buckets.insert(chat_id, (tokens - 1.0, now));
        self.overall.push_back(now);
        Ok(())
    }
}

/// Width and height of a PNG, JPEG, GIF or WebP image, from its header.
pub fn image_size(data: &[u8]) -> Option<(u32, u32)> {
    let be16 = |i: usize| {
        Some(u32::from(u16::from_be_bytes([
            *data.get(i)?,
            *data.get(i + 1)?,
        ])))
    };
    let le16 = |i: usize| {
        Some(u32::from(u16::from_le_bytes([
            *data.get(i)?,
            *data.get(i + 1)?,
        ])))
    };
    let be32 = |i: usize| Some(u32::from_be_bytes(data.get(i..i + 4)?.try_into().ok()?));
    if data.starts_with(b"\x89PNG\r\n\x1a\n") {
        return Some((be32(16)?, be32(20)?));
    }
    if data.starts_with(b"GIF8") {
        return Some((le16(6)?, le16(8)?));
    }
    if data.starts_with(b"RIFF") && data.get(8..12) == Some(b"WEBP") {
        return Some((512, 512));
    }
    if data.starts_with(&[0xFF, 0xD8]) {
        let mut pos = 2;
        while pos + 9 < data.len() {
            if data[pos] != 0xFF {
                return None;
            }
            let marker = data[pos + 1];
            if (0xC0..=0xCF).contains(&marker) && ![0xC4, 0xC8, 0xCC].contains(&marker) {
                return Some((be16(pos + 7)?, be16(pos + 5)?));
            }
            pos += 2 + usize::try_from(be16(pos + 2)?).ok()?;
        }
    }
    None
}

/// Telegram's photo rules: width + height ≤ 10000, aspect ratio ≤ 20.
pub fn photo_dimensions_ok(w: u32, h: u32) -> bool {
    let (w, h) = (u64::from(w), u64::from(h));
    w > 0 && h > 0 && w + h <= 10_000 && w.max(h) <= 20 * w.min(h)
}

/// The sizes Telegram makes of a photo: thumbnails up to 1280 px on the long side.
pub fn photo_sizes(w: u32, h: u32, bytes: usize, file_id: &str) -> Vec<serde_json::Value> {
    let long = w.max(h);
    let mut sides: Vec<u32> = [90, 320, 800].into_iter().filter(|&s| s < long).collect();
    sides.push(long.min(1280));
    sides
        .into_iter()
        .enumerate()
        .map(|(i, side)| {
            let scale = f64::from(side) / f64::from(long);
            #[allow(clippy::cast_possible_truncation, clippy::cast_sign_loss, clippy::cast_precision_loss)]
            let (sw, sh, size) = (
                ((f64::from(w) * scale).round() as u32).max(1),
                ((f64::from(h) * scale).round() as u32).max(1),
                ((bytes as f64) * scale * scale).round() as u64 + 100,
            );
            let suffix = ["s", "m", "x", "y"][i.min(3)];
            serde_json::json!({
                "file_id": format!("{file_id}{suffix}"),
                "file_unique_id": format!("AQAD{}{suffix}", &file_id[file_id.len().saturating_sub(8)..]),
                "file_size": size, "width": sw, "height": sh,
            })
        })
        .collect()
}
