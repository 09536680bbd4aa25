//! Phrases with markup around their values (a `<time>`, a `<strong>`): cut into
//! pieces the page writes one by one, each escaped by askama, so that neither a
//! seller's override nor a value can bring markup of its own.

/// A piece of a phrase as the page writes it: plain text, or a value in its
/// element (`time`: a `<time>`, `strong`, `median`: the median's `<strong>`,
/// `code`). The page escapes every piece's text.
pub(super) struct Piece {
    pub text: String,
    pub tag: &'static str,
}

/// `phrase` cut at its `{placeholders}`, each filled from `values` (name,
/// value, element); an unknown placeholder stays as written.
pub(super) fn pieces(phrase: &str, values: &[(&str, &str, &'static str)]) -> Vec<Piece> {
    let mut out = Vec::new();
    let mut plain = String::new();
    let mut rest = phrase;
    while let Some(start) = rest.find('{') {
        plain.push_str(&rest[..start]);
        let after = &rest[start + 1..];
        let found = after.find('}').and_then(|end| {
            let name = &after[..end];
            values
                .iter()
                .find(|(n, ..)| *n == name)
                .map(|(_, value, tag)| (*value, *tag, end))
        });
        let Some((value, tag, end)) = found else {
            plain.push('{');
            rest = after;
            continue;
        };
        if tag.is_empty() {
            plain.push_str(value);
        } else {
            if !plain.is_empty() {
                out.push(Piece {
                    text: std::mem::take(&mut plain),
                    tag: "",
                });
            }
            out.push(Piece {
                text: value.to_owned(),
                tag,
            });
        }
        rest = &after[end + 1..];
    }
    plain.push_str(rest);
    if !plain.is_empty() {
        out.push(Piece {
            text: plain,
            tag: "",
        });
    }
    out
}

#[cfg(test)]
mod tests {
    use super::pieces;

    #[test]
    fn cuts_at_placeholders_with_elements() {
        let got = pieces(
            "From {first} to {last} ({zone}) {odd}",
            &[
                ("first", "1", "time"),
                ("last", "<2>", "time"),
                ("zone", "UTC", ""),
            ],
        );
        let got: Vec<(&str, &str)> = got.iter().map(|p| (p.text.as_str(), p.tag)).collect();
        assert_eq!(
            got,
            [
                ("From ", ""),
                ("1", "time"),
                (" to ", ""),
                ("<2>", "time"),
                (" (UTC) {odd}", "")
            ]
        );
    }
}
