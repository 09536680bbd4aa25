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

/// How many rows a spreadsheet advances over `bytes`: line breaks outside
/// quotes (`\r\n` counts once).
fn rows_in(bytes: &[u8]) -> usize {
    let mut quoted = false;
    let mut rows = 0;
    let mut prev = 0u8;
    for &b in bytes {
        match b {
            b'"' => quoted = !quoted,
            b'\n' if !quoted && prev != b'\r' => rows += 1,
            b'\r' if !quoted => rows += 1,
            _ => {}
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
    let mut last: Option<(usize, usize)> = None; // (byte, row) of the previous record
    loop {
        match reader.read_byte_record(&mut record) {
            Ok(true) => {}
            Ok(false) => break,
            Err(e) => {
                let row = last.map_or(1, |(_, r)| r + 1);
                let problem = format!("cannot be read as CSV ({e})");
                problems.add(row, 1, "(row)", &problem, "check the quotes on this row");
                return None;
            }
        }
        let byte = usize::try_from(record.position().map_or(0, csv::Position::byte))
            .unwrap_or(usize::MAX)
            .min(bytes.len());
        let row = match last {
            None => 1 + rows_in(&bytes[..byte]),
            Some((prev, prev_row)) => prev_row + rows_in(&bytes[prev..byte]),
        };
        last = Some((byte, row));
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
    fn the_separator_is_guessed_from_the_header() {
        assert_eq!(guess_delimiter(b"id;name;\"a,b,c\"\n1,2,3,4"), b';');
        assert_eq!(guess_delimiter(b"id\tname\n"), b'\t');
        assert_eq!(guess_delimiter(b"id,name;x\n"), b',');
        assert_eq!(guess_delimiter(b"id\n"), b',');
    }
}
