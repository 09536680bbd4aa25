//! Telegram's text formatting: HTML (faithful to the Bot API's parser and its error
//! texts); entity offsets in UTF-16.

use serde_json::{Value, json};

/// Text after formatting was applied, with its entities.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct Formatted {
    pub text: String,
    pub entities: Vec<Value>,
}

/// Length in UTF-16 code units, as Telegram counts.
pub fn utf16_len(s: &str) -> usize {
    s.encode_utf16().count()
}

/// Applies `parse_mode` (or explicit `entities`). The error is the full description.
pub fn format(
    text: &str,
    parse_mode: Option<&str>,
    entities: Option<&Value>,
    strict_html: bool,
) -> Result<Formatted, String> {
    let parsed = match parse_mode.map(str::to_ascii_lowercase).as_deref() {
        None | Some("") => Ok(Formatted {
            text: text.to_owned(),
            entities: entities
                .and_then(Value::as_array)
                .cloned()
                .unwrap_or_default(),
        }),
        Some("html") => parse_html(text, strict_html),
        Some("markdownv2") => super::markdown::parse(text, true),
        Some("markdown") => super::markdown::parse(text, false),
        Some(_) => return Err("Bad Request: unsupported parse_mode".to_owned()),
    };
    parsed
        .map(trim)
        .map_err(|e| format!("Bad Request: can't parse entities: {e}"))
}

/// Telegram strips leading and trailing whitespace; entities are clipped to match.
fn trim(f: Formatted) -> Formatted {
    let lead = &f.text[..f.text.len() - f.text.trim_start().len()];
    let lead16 = utf16_len(lead);
    let text = f.text.trim().to_owned();
    let len16 = utf16_len(&text);
    let entities = f
        .entities
        .into_iter()
        .filter_map(|mut e| {
            let off = usize::try_from(e["offset"].as_u64()?).ok()?;
            let end = off + usize::try_from(e["length"].as_u64()?).ok()?;
            let start = off.max(lead16) - lead16;
            let end = end.min(lead16 + len16).saturating_sub(lead16);
            (end > start).then(|| {
                e["offset"] = json!(start);
                e["length"] = json!(end - start);
                e
            })
        })
        .collect();
    Formatted { text, entities }
}

const TAGS: &[&str] = &[
    "a",
    "b",
    "strong",
    "i",
    "em",
    "s",
    "strike",
    "del",
    "u",
    "ins",
    "tg-spoiler",
    "tg-emoji",
    "span",
    "pre",
    "code",
    "blockquote",
];

struct Open {
    tag: String,
    arg: String,
    start: usize,
}

fn is_space(c: u8) -> bool {
    matches!(c, b' ' | b'\t' | b'\r' | b'\n' | b'\x0b')
}

/// `&lt;`, `&gt;`, `&amp;`, `&quot;`, `&#NN;`, `&#xHH;` (the `;` is optional, as in
/// Telegram). Returns the character and the index after the reference.
fn decode_entity(b: &[u8], pos: usize) -> Option<(char, usize)> {
    let mut end = pos + 1;
    let ch = if b.get(end) == Some(&b'#') {
        end += 1;
        let hex = matches!(b.get(end), Some(b'x' | b'X'));
        if hex {
            end += 1;
        }
        let start = end;
        while b.get(end).is_some_and(|c| {
            if hex {
                c.is_ascii_hexdigit()
            } else {
                c.is_ascii_digit()
            }
        }) {
            end += 1;
        }
        let digits = std::str::from_utf8(&b[start..end]).ok()?;
        let n = u32::from_str_radix(digits, if hex { 16 } else { 10 }).ok()?;
        char::from_u32(n).filter(|&c| c != '\0')?
    } else {
        while b.get(end).is_some_and(u8::is_ascii_alphabetic) {
            end += 1;
        }
        match &b[pos + 1..end] {
            b"lt" => '<',
            b"gt" => '>',
            b"amp" => '&',
            b"quot" => '"',
            _ => return None,
        }
    };
    if b.get(end) == Some(&b';') {
        end += 1;
    }
    Some((ch, end))
}

#[allow(clippy::too_many_lines)]
fn parse_html(src: &str, strict: bool) -> Result<Formatted, String> {
    let b = src.as_bytes();
    let at = |i: usize| b.get(i).copied().unwrap_or(0);
    let mut out = String::new();
    let mut utf16 = 0;
    let mut stack: Vec<Open> = Vec::new();
    let mut entities = Vec::new();
    let mut i = 0;
    while i < b.len() {
        if b[i] == b'&' {
            if let Some((ch, next)) = decode_entity(b, i) {
                out.push(ch);
                utf16 += ch.len_utf16();
                i = next;
                continue;
            }
            if strict {
                // Telegram itself keeps an unknown `&…` as text; the fake's strict
                // mode rejects it to catch missing HTML escaping.
                return Err(format!(
                    "Character '&' at byte offset {i} is not an HTML entity; escape it as \"&amp;\" (fake strict HTML)"
                ));
            }
        }
        if b[i] != b'<' {
            let ch = src[i..].chars().next().unwrap_or('\0');
            out.push(ch);
            utf16 += ch.len_utf16();
            i += ch.len_utf8();
            continue;
        }
        let begin = i;
        i += 1;
        if at(i) == b'/' {
            if stack.is_empty() {
                return Err(format!("Unexpected end tag at byte offset {begin}"));
            }
            i += 1;
            let name_start = i;
            while i < b.len() && !is_space(b[i]) && b[i] != b'>' {
                i += 1;
            }
            let end_name = src[name_start..i].to_ascii_lowercase();
            while i < b.len() && is_space(b[i]) {
                i += 1;
            }
            if at(i) != b'>' {
                return Err(format!("Unclosed end tag at byte offset {begin}"));
            }
            i += 1;
            let open = stack.pop().unwrap_or(Open {
                tag: String::new(),
                arg: String::new(),
                start: 0,
            });
            if !end_name.is_empty() && end_name != open.tag {
                return Err(format!(
                    "Unmatched end tag at byte offset {begin}, expected \"</{}>\", found \"</{end_name}>\"",
                    open.tag
                ));
            }
            close_entity(&open, utf16, &mut stack, &mut entities);
            continue;
        }
        while i < b.len() && !is_space(b[i]) && b[i] != b'>' {
            i += 1;
        }
        if i >= b.len() {
            return Err(format!("Unclosed start tag at byte offset {begin}"));
        }
        let tag = src[begin + 1..i].to_ascii_lowercase();
        if !TAGS.contains(&tag.as_str()) {
            return Err(format!(
                "Unsupported start tag \"{tag}\" at byte offset {begin}"
            ));
        }
        let mut arg = String::new();
        let mut expandable = false;
        while at(i) != b'>' {
            while i < b.len() && is_space(b[i]) {
                i += 1;
            }
            if i >= b.len() {
                return Err(format!("Unclosed start tag at byte offset {begin}"));
            }
            if b[i] == b'>' {
                break;
            }
            let name_start = i;
            while i < b.len() && !is_space(b[i]) && b[i] != b'=' && b[i] != b'>' {
                i += 1;
            }
            let name = src[name_start..i].to_ascii_lowercase();
            if name.is_empty() {
                return Err(format!(
                    "Empty attribute name in the tag \"{tag}\" at byte offset {begin}"
                ));
            }
            while i < b.len() && is_space(b[i]) {
                i += 1;
            }
            if at(i) != b'=' {
                if tag == "blockquote" && name == "expandable" {
                    expandable = true;
                    continue;
                }
                return Err(format!(
                    "Expected equal sign in declaration of an attribute of the tag \"{tag}\" at byte offset {begin}"
                ));
            }
            i += 1;
            while i < b.len() && is_space(b[i]) {
                i += 1;
            }
            if i >= b.len() {
                return Err(format!(
                    "Unclosed start tag \"{tag}\" at byte offset {begin}"
                ));
            }
            let value = if b[i] == b'"' || b[i] == b'\'' {
                let quote = b[i];
                i += 1;
                let mut value = String::new();
                while i < b.len() && b[i] != quote {
                    if let Some((ch, next)) = (b[i] == b'&').then(|| decode_entity(b, i)).flatten()
                    {
                        value.push(ch);
                        i = next;
                    } else {
                        let ch = src[i..].chars().next().unwrap_or('\0');
                        value.push(ch);
                        i += ch.len_utf8();
                    }
                }
                if i >= b.len() {
                    return Err(format!("Unclosed start tag at byte offset {begin}"));
                }
                i += 1;
                value
            } else {
                let token_start = i;
                while i < b.len() && (b[i].is_ascii_alphanumeric() || b[i] == b'.' || b[i] == b'-')
                {
                    i += 1;
                }
                if i >= b.len() || !(is_space(b[i]) || b[i] == b'>') {
                    return Err(format!(
                        "Unexpected end of name token at byte offset {token_start}"
                    ));
                }
                src[token_start..i].to_ascii_lowercase()
            };
            match (tag.as_str(), name.as_str()) {
                ("a", "href") | ("tg-emoji", "emoji-id") => arg = value,
                ("code", "class") if value.starts_with("language-") => {
                    value[9..].clone_into(&mut arg);
                }
                ("span", "class") if value.starts_with("tg-") => value[3..].clone_into(&mut arg),
                _ => {}
            }
        }
        i += 1;
        if tag == "span" && arg != "spoiler" {
            return Err(format!(
                "Tag \"span\" must have class \"tg-spoiler\" at byte offset {begin}"
            ));
        }
        if expandable {
            "expandable".clone_into(&mut arg);
        }
        stack.push(Open {
            tag,
            arg,
            start: utf16,
        });
    }
    if let Some(open) = stack.last() {
        return Err(format!(
            "Can't find end tag corresponding to start tag \"{}\"",
            open.tag
        ));
    }
    entities.sort_by_key(|e: &Value| {
        (
            e["offset"].as_u64().unwrap_or(0),
            u64::MAX - e["length"].as_u64().unwrap_or(0),
        )
    });
    Ok(Formatted {
        text: out,
        entities,
    })
}

fn close_entity(open: &Open, end: usize, stack: &mut [Open], entities: &mut Vec<Value>) {
    let length = end - open.start;
    if length == 0 {
        return;
    }
    let kind = match open.tag.as_str() {
        "b" | "strong" => json!({ "type": "bold" }),
        "i" | "em" => json!({ "type": "italic" }),
        "u" | "ins" => json!({ "type": "underline" }),
        "s" | "strike" | "del" => json!({ "type": "strikethrough" }),
        "tg-spoiler" | "span" => json!({ "type": "spoiler" }),
        "blockquote" if open.arg == "expandable" => json!({ "type": "expandable_blockquote" }),
        "blockquote" => json!({ "type": "blockquote" }),
        "tg-emoji" if !open.arg.is_empty() => {
            json!({ "type": "custom_emoji", "custom_emoji_id": open.arg })
        }
        "a" => match link_url(&open.arg) {
            Some(url) => json!({ "type": "text_link", "url": url }),
            None => return,
        },
        "code" => {
            // <pre><code class="language-x">…</code></pre> is one pre entity.
            if let Some(pre) = stack
                .last_mut()
                .filter(|p| p.tag == "pre" && p.start == open.start)
            {
                if !open.arg.is_empty() {
                    pre.arg.clone_from(&open.arg);
                }
                return;
            }
            json!({ "type": "code" })
        }
        "pre" if open.arg.is_empty() => json!({ "type": "pre" }),
        "pre" => json!({ "type": "pre", "language": open.arg }),
        _ => return,
    };
    let mut entity = kind;
    entity["offset"] = json!(open.start);
    entity["length"] = json!(length);
    entities.push(entity);
}

/// Telegram drops links it can't make sense of and adds `http://` when no scheme.
fn link_url(href: &str) -> Option<String> {
    let href = href.trim();
    if href.is_empty() || href.chars().any(char::is_whitespace) {
        return None;
    }
    if href.contains("://") || href.starts_with("mailto:") || href.starts_with("tg:") {
        Some(href.to_owned())
    } else {
        Some(format!("http://{href}"))
    }
}
