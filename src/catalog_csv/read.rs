//! Reading the spreadsheet file: encodings, separators, rows as the
//! spreadsheet numbers them.

use super::errors::Problems;

/// A spreadsheet as text cells, with the spreadsheet's row numbers.
#[derive(Debug, Default)]
pub(crate) struct Sheet {
    pub header_row: usize,
    pub header: Vec<String>,
    pub rows: Vec<SheetRow>,
}

/// One row below the header.
#[derive(Debug)]
pub(crate) struct SheetRow {
    /// The spreadsheet's row number (the header is row 1 unless blank lines precede it).
    pub number: usize,
    pub cells: Vec<String>,
}

const FIX_ENCODING: &str = "save the spreadsheet as \"CSV UTF-8\" (Excel: File › Save As › CSV UTF-8; LibreOffice: Character set Unicode (UTF-8))";

/// The separator of a file whose first line is `first_line`: the most frequent
/// of `,`, `;` and tab outside quotes (a comma when none is found).
pub fn guess_delimiter(bytes: &[u8]) -> u8 {
    let mut counts = [(b',', 0usize), (b';', 0), (b'\t', 0)];
    let mut quoted = false;
    for &b in bytes {
        match b {
            b'"' => quoted = !quoted,
            b'\n' | b'\r' if !quoted => break,
            _ if !quoted => {
                if let Some(c) = counts.iter_mut().find(|(d, _)| *d == b) {
                    c.1 += 1;
                }
            }
            _ => {}
        }
    }
    counts
        .iter()
        .max_by_key(|(d, n)| (*n, *d == b','))
        .filter(|(_, n)| *n > 0)
        .map_or(b',', |(d, _)| *d)
}

/// The spreadsheet row of each record, the way the CSV reader splits them:
/// a line break inside quotes stays in its cell, an empty line is a row
/// without a record, `\r\n` is one break.
fn record_rows(bytes: &[u8], delimiter: u8) -> Vec<usize> {
    #[derive(Clone, Copy, PartialEq)]
    enum At {
        LineStart,
        FieldStart,
        Unquoted,
        Quoted,
        QuoteInQuoted,
    }
    let mut rows = Vec::new();
    let mut row = 1;
    let mut at = At::LineStart;
    let mut prev = 0u8;
    for &b in bytes {
        let brk = b == b'\r' || (b == b'\n' && prev != b'\r');
        let is_break = b == b'\r' || b == b'\n';
        match at {
            At::Quoted => {
                if b == b'"' {
                    at = At::QuoteInQuoted;
                }
            }
            _ if is_break => {
                if brk {
                    row += 1;
                }
                at = At::LineStart;
            }
            At::LineStart | At::FieldStart => {
                if at == At::LineStart {
                    rows.push(row);
                }
                at = match b {
                    b'"' => At::Quoted,
                    d if d == delimiter => At::FieldStart,
                    _ => At::Unquoted,
                };
            }
            At::QuoteInQuoted if b == b'"' => at = At::Quoted,
            At::Unquoted | At::QuoteInQuoted => {
                if b == delimiter {
                    at = At::FieldStart;
                } else {
                    at = At::Unquoted;
                }
            }
        }
        prev = b;
    }
    rows
}

/// Reads every row; `None` when the file as a whole cannot be read (the
/// problem is reported).
pub(crate) fn read(bytes: &[u8], delimiter: u8, problems: &mut Problems) -> Option<Sheet> {
    if bytes.starts_with(&[0xFF, 0xFE]) || bytes.starts_with(&[0xFE, 0xFF]) {
        problems.add(1, 1, "(file)", "the file is UTF-16 text", FIX_ENCODING);
        return None;
    }
    let bytes = bytes.strip_prefix(&[0xEF, 0xBB, 0xBF][..]).unwrap_or(bytes);
    let mut reader = csv::ReaderBuilder::new()
        .has_headers(false)
        .flexible(true)
        .delimiter(delimiter)
        .from_reader(bytes);
    let mut sheet = Sheet::default();
    let mut record = csv::ByteRecord::new();
    let rows = record_rows(bytes, delimiter);
    let mut index = 0;
    loop {
        match reader.read_byte_record(&mut record) {
            Ok(true) => {}
            Ok(false) => break,
            Err(e) => {
                let row = rows.get(index).copied().unwrap_or(1);
                let problem = format!("cannot be read as CSV ({e})");
                problems.add(row, 1, "(row)", &problem, "check the quotes on this row");
                return None;
            }
        }
        let row = rows
            .get(index)
            .copied()
            .unwrap_or_else(|| rows.last().map_or(1, |r| r + 1));
        index += 1;
        let mut cells = Vec::with_capacity(record.len());
        for (i, raw) in record.iter().enumerate() {
            match std::str::from_utf8(raw) {
                Ok(text) => cells.push(text.to_owned()),
                Err(e) => {
                    let at = raw.get(e.valid_up_to()).copied().unwrap_or_default();
                    let problem = format!(
                        "is not UTF-8 text (byte 0x{at:02X} after \"{}\")",
                        tail(raw, e.valid_up_to())
                    );
                    problems.add(row, i + 1, &column_name(&sheet, i), &problem, FIX_ENCODING);
                    cells.push(String::from_utf8_lossy(raw).into_owned());
                }
            }
        }
        if sheet.header.is_empty() && sheet.header_row == 0 {
            sheet.header_row = row;
            sheet.header = cells;
            continue;
        }
        if cells.iter().all(|c| c.trim().is_empty()) {
            continue;
        }
        sheet.rows.push(SheetRow { number: row, cells });
    }
    if sheet.header_row == 0 {
        problems.add(
            1,
            1,
            "(file)",
            "the file is empty",
            "the first row names the columns, e.g. `id,name,price,stock,category`",
        );
        return None;
    }
    Some(sheet)
}

/// The header name of column `i` for messages.
pub(crate) fn column_name(sheet: &Sheet, i: usize) -> String {
    match sheet.header.get(i).map(|h| h.trim()) {
        Some(name) if !name.is_empty() && sheet.header_row > 0 => name.to_owned(),
        _ if sheet.header_row == 0 => "(header)".to_owned(),
        _ => format!("(column {})", i + 1),
    }
}

/// Up to 12 characters of valid text before a bad byte.
fn tail(raw: &[u8], valid: usize) -> String {
    let text = std::str::from_utf8(&raw[..valid]).unwrap_or_default();
    let chars: Vec<char> = text.chars().collect();
    chars[chars.len().saturating_sub(12)..].iter().collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rows_count_blank_lines_and_not_breaks_inside_quotes() {
        let data = b"id,name\r\na,\"multi\r\nline\"\r\n\r\n\r\nb,x\r\n,\r\n\r\n";
        let mut problems = Problems::new("p.csv");
        let sheet = read(data, b',', &mut problems).unwrap();
        assert!(problems.is_empty());
        assert_eq!(sheet.header_row, 1);
        let rows: Vec<(usize, Vec<String>)> = sheet
            .rows
            .into_iter()
            .map(|r| (r.number, r.cells))
            .collect();
        assert_eq!(
            rows,
            vec![
                (2, vec!["a".to_owned(), "multi\r\nline".to_owned()]),
                (5, vec!["b".to_owned(), "x".to_owned()]),
            ]
        );
    }

    #[test]
    fn rows_follow_the_readers_records() {
        let data = b"\r\nid;n\n\"a\"\"\n\";x\"y\n\nb\"c;\"d\n\"\r\r;\n";
        assert_eq!(record_rows(data, b';'), [2, 3, 5, 7]);
        let mut problems = Problems::new("p.csv");
        let sheet = read(data, b';', &mut problems).unwrap();
        assert_eq!(sheet.header_row, 2);
        let rows: Vec<(usize, Vec<String>)> = sheet
            .rows
            .into_iter()
            .map(|r| (r.number, r.cells))
            .collect();
        assert_eq!(
            rows,
            vec![
                (3, vec!["a\"\n".to_owned(), "x\"y".to_owned()]),
                (5, vec!["b\"c".to_owned(), "d\n".to_owned()]),
            ]
        );
    }

    #[test]
    fn the_separator_is_guessed_from_the_header() {
        assert_eq!(guess_delimiter(b"id;name;\"a,b,c\"\n1,2,3,4"), b';');
        assert_eq!(guess_delimiter(b"id\tname\n"), b'\t');
        assert_eq!(guess_delimiter(b"id,name;x\n"), b',');
        assert_eq!(guess_delimiter(b"id\n"), b',');
    }
}
