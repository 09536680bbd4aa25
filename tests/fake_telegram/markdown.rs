//! `MarkdownV2` and legacy Markdown, simplified: reserved characters must be escaped
//! in V2, paired markers become entities, unclosed markers are errors.

use serde_json::json;

use super::html::Formatted;

const V2_RESERVED: &str = "_*[]()~`>#+-=|{}.!";

/// `MarkdownV2` (escaping rules and paired markers) and legacy Markdown, simplified:
/// formatting markers are removed, reserved characters must be escaped in V2.
pub fn parse(src: &str, v2: bool) -> Result<Formatted, String> {
    let mut out = String::new();
    let mut utf16 = 0;
    let mut open: Vec<(&'static str, usize, usize)> = Vec::new();
    let mut entities = Vec::new();
    let mut chars = src.char_indices().peekable();
    let mut at_line_start = true;
    while let Some((pos, c)) = chars.next() {
        let in_code = open.last().is_some_and(|o| o.0 == "code" || o.0 == "pre");
        if v2 && c == '\\' {
            if let Some((_, next)) = chars.next() {
                out.push(next);
                utf16 += next.len_utf16();
            }
            at_line_start = false;
            continue;
        }
        let marker = match c {
            '`' if src[pos..].starts_with("```") => {
                chars.next();
                chars.next();
                Some("pre")
            }
            '`' => Some("code"),
            _ if in_code => None,
            '*' => Some("bold"),
            '_' if v2 && src[pos..].starts_with("__") => {
                chars.next();
                Some("underline")
            }
            '_' => Some("italic"),
            '~' if v2 => Some("strikethrough"),
            '|' if v2 && src[pos..].starts_with("||") => {
                chars.next();
                Some("spoiler")
            }
            '[' => Some("link"),
            _ => None,
        };
        if let Some(kind) = marker {
            if let Some(idx) = open.iter().rposition(|o| o.0 == kind) {
                let (kind, start, _) = open.remove(idx);
                if utf16 > start {
                    entities
                        .push(json!({ "type": kind, "offset": start, "length": utf16 - start }));
                }
            } else if kind == "link" && open.iter().any(|o| o.0 == "link") {
                return Err(
                    "Character '[' is reserved and must be escaped with the preceding '\\'"
                        .to_owned(),
                );
            } else {
                open.push((kind, utf16, pos));
            }
            at_line_start = false;
            continue;
        }
        if c == ']' && open.last().is_some_and(|o| o.0 == "link") {
            let (_, start, _) = open.pop().unwrap_or(("", 0, 0));
            let rest = &src[pos + 1..];
            if let Some(url_end) = rest.strip_prefix('(').and_then(|r| r.find(')')) {
                let url = &rest[1..=url_end];
                for _ in 0..url.chars().count() + 2 {
                    chars.next();
                }
                if utf16 > start {
                    entities.push(json!({ "type": "text_link", "url": url, "offset": start, "length": utf16 - start }));
                }
            }
            continue;
        }
        if v2 && !in_code && V2_RESERVED.contains(c) && !(c == '>' && at_line_start) {
            return Err(format!(
                "Character '{c}' is reserved and must be escaped with the preceding '\\'"
            ));
        }
        if !(v2 && c == '>' && at_line_start) {
            out.push(c);
            utf16 += c.len_utf16();
        }
        at_line_start = c == '\n';
    }
    if let Some((kind, _, pos)) = open.last() {
        return Err(if v2 {
            format!(
                "Can't find end of {} entity at byte offset {pos}",
                v2_name(kind)
            )
        } else {
            format!("Can't find end of the entity starting at byte offset {pos}")
        });
    }
    Ok(Formatted {
        text: out,
        entities,
    })
}

fn v2_name(kind: &str) -> &'static str {
    match kind {
        "bold" => "Bold",
        "italic" => "Italic",
        "underline" => "Underline",
        "strikethrough" => "Strikethrough",
        "spoiler" => "Spoiler",
        "code" => "Code",
        "pre" => "Pre",
        _ => "TextUrl",
    }
}
