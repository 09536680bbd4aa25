//! A realistic 200-product spreadsheet: variants as repeated rows, Spanish
//! translations, hostile text, every price format a seller types.

use shopbot::shop::AttributeValue;

/// The spreadsheet's columns.
pub const HEADER: [&str; 18] = [
    "id",
    "name",
    "description",
    "price",
    "stock",
    "category",
    "tags",
    "image",
    "stars",
    "attr.age",
    "attr.pieces",
    "name.es",
    "description.es",
    "variant.id",
    "variant.name",
    "variant.stock",
    "variant.price",
    "variant.name.es",
];

/// The 1-based column of a header name.
pub fn col(name: &str) -> usize {
    HEADER
        .iter()
        .position(|h| *h == name)
        .expect("a known column")
        + 1
}

/// Text that breaks naive formats: quotes, TOML syntax, bidi and zero-width
/// marks, emoji, formulas, HTML/Markdown, backslashes, line breaks.
pub const HOSTILE: &[&str] = &[
    "Zoë's \"Lemonade\" Stand, deluxe",
    "\u{202E}txet lanigiro\u{202C} mirrored",
    "Zero\u{200B}width\u{200D}joiner\u{FEFF}here",
    "🤖🧱👩‍👩‍👧 emoji set",
    "\"\"\" triple quotes ''' and more",
    "\"\n[[products]]\nid = \"injected\"\nprice = 0",
    "=HYPERLINK(\"http://evil.example\";\"click\")",
    "-minus +plus @at",
    "back\\slash \\u0000 \\n literal",
    "tab\there\r\nCRLF line",
    "日本語のテキスト العربية עברית",
    "<b>html</b> &amp; *md* _x_ [link](http://x)",
    "semi;colon, comma\ttab",
];

#[derive(Debug, Clone)]
pub struct GenVariant {
    pub id: String,
    pub name: String,
    pub stock: i64,
    pub price_cents: Option<i64>,
    pub name_es: Option<String>,
}

#[derive(Debug, Clone)]
pub struct GenProduct {
    pub id: String,
    pub name: String,
    pub description: String,
    pub price_cents: i64,
    pub price_text: String,
    pub stock: Option<i64>,
    pub category: String,
    pub tags: Vec<String>,
    pub image: String,
    pub stars: Option<u32>,
    pub age: Option<AttributeValue>,
    pub age_text: String,
    pub pieces: i64,
    pub name_es: Option<String>,
    pub description_es: Option<String>,
    pub variants: Vec<GenVariant>,
}

const CATEGORIES: [&str; 7] = [
    "city", "space", "castles", "vehicles", "creative", "toddlers", "technic",
];

/// The 200 products.
pub fn products() -> Vec<GenProduct> {
    (1..=200).map(product).collect()
}

fn product(i: usize) -> GenProduct {
    let n = i64::try_from(i).unwrap();
    let cents = 99 + n * 137;
    let price_text = match i % 3 {
        0 => format!("{}.{:02}", cents / 100, cents % 100),
        1 => format!("{},{:02}", cents / 100, cents % 100),
        _ => format!("{}", cents / 100),
    };
    let price_cents = if i % 3 == 2 { cents / 100 * 100 } else { cents };
    let (age, age_text) = match i % 4 {
        0 => (None, String::new()),
        1 => (Some(AttributeValue::Range([6.0, 12.0])), "6-12".to_owned()),
        2 => (Some(AttributeValue::Range([3.0, 99.0])), "3..99".to_owned()),
        _ => (Some(AttributeValue::Number(8.0)), "8".to_owned()),
    };
    let description = if i.is_multiple_of(50) {
        "A very long description, with commas, \"quotes\" and ñ. ".repeat(100)
    } else {
        HOSTILE[(i + 3) % HOSTILE.len()].to_owned()
    };
    let variants = if i.is_multiple_of(5) {
        vec![
            GenVariant {
                id: "s".into(),
                name: "Small".into(),
                stock: n % 4,
                price_cents: None,
                name_es: Some("Pequeño".into()),
            },
            GenVariant {
                id: "m".into(),
                name: HOSTILE[i % HOSTILE.len()].to_owned(),
                stock: 3,
                price_cents: None,
                name_es: None,
            },
            GenVariant {
                id: "l-xl".into(),
                name: "Large \u{1F418}".into(),
                stock: 0,
                price_cents: Some(cents + 500),
                name_es: Some("Grande \u{200F}".into()),
            },
        ]
    } else {
        Vec::new()
    };
    GenProduct {
        id: format!("gen-{i:03}"),
        name: format!("{} #{i}", HOSTILE[i % HOSTILE.len()]),
        description,
        price_cents,
        price_text,
        stock: variants.is_empty().then_some(n % 13),
        category: CATEGORIES[i % CATEGORIES.len()].to_owned(),
        tags: match i % 3 {
            0 => vec!["kids".into(), "family".into()],
            1 => vec!["adults".into()],
            _ => Vec::new(),
        },
        image: if i.is_multiple_of(2) {
            format!("images/gen-{i}.png")
        } else {
            format!("https://cdn.example.com/p/{i}.jpg?size=large&v=2")
        },
        stars: i.is_multiple_of(10).then_some(250),
        age,
        age_text,
        pieces: n * 10,
        name_es: (!i.is_multiple_of(7))
            .then(|| format!("Juguete nº {i} — «{}»", HOSTILE[(i + 5) % HOSTILE.len()])),
        description_es: i
            .is_multiple_of(2)
            .then(|| "Descripción con acentos: áéíóú ü ¿¡".to_owned()),
        variants,
    }
}

/// The data rows (below the header), one per product or per variant.
pub fn rows(products: &[GenProduct]) -> Vec<Vec<String>> {
    let mut rows = Vec::new();
    for p in products {
        let mut row = vec![String::new(); HEADER.len()];
        let set = |row: &mut Vec<String>, name: &str, value: String| row[col(name) - 1] = value;
        set(&mut row, "id", p.id.clone());
        set(&mut row, "name", p.name.clone());
        set(&mut row, "description", p.description.clone());
        set(&mut row, "price", p.price_text.clone());
        set(
            &mut row,
            "stock",
            p.stock.map(|s| s.to_string()).unwrap_or_default(),
        );
        set(&mut row, "category", p.category.clone());
        set(&mut row, "tags", p.tags.join(", "));
        set(&mut row, "image", p.image.clone());
        set(
            &mut row,
            "stars",
            p.stars.map(|s| s.to_string()).unwrap_or_default(),
        );
        set(&mut row, "attr.age", p.age_text.clone());
        set(&mut row, "attr.pieces", p.pieces.to_string());
        set(&mut row, "name.es", p.name_es.clone().unwrap_or_default());
        set(
            &mut row,
            "description.es",
            p.description_es.clone().unwrap_or_default(),
        );
        if p.variants.is_empty() {
            rows.push(row);
            continue;
        }
        for (j, v) in p.variants.iter().enumerate() {
            let mut vrow = if j == 0 {
                row.clone()
            } else {
                vec![String::new(); HEADER.len()]
            };
            set(&mut vrow, "id", p.id.clone());
            set(&mut vrow, "variant.id", v.id.clone());
            set(&mut vrow, "variant.name", v.name.clone());
            set(&mut vrow, "variant.stock", v.stock.to_string());
            let price = v.price_cents.map(|c| format!("{}.{:02}", c / 100, c % 100));
            set(&mut vrow, "variant.price", price.unwrap_or_default());
            set(
                &mut vrow,
                "variant.name.es",
                v.name_es.clone().unwrap_or_default(),
            );
            rows.push(vrow);
        }
    }
    rows
}

/// The file as European Excel saves it: a UTF-8 byte order mark, `;` as
/// separator, CRLF line ends, and empty rows at the end.
pub fn excel_bytes(rows: &[Vec<String>]) -> Vec<u8> {
    let mut out = b"\xEF\xBB\xBF".to_vec();
    {
        let mut w = csv::WriterBuilder::new()
            .delimiter(b';')
            .terminator(csv::Terminator::CRLF)
            .from_writer(&mut out);
        w.write_record(HEADER).unwrap();
        for row in rows {
            w.write_record(row).unwrap();
        }
        w.flush().unwrap();
    }
    out.extend_from_slice(b";;;;;;;;;;;;;;;;;\r\n;;;;;;;;;;;;;;;;;\r\n\r\n");
    out
}
