//! The catalog from a spreadsheet: `shopbot import` / `shopbot export`.
//!
//! A realistic 200-product spreadsheet (variants, translations, hostile text,
//! European Excel's separator, BOM and line ends) imported into a copy of the
//! example shop; the same file with 10 broken rows (every message exact,
//! nothing written); export → import leaving `shop.toml` byte-identical,
//! with the live stock after orders; arbitrary text round-tripping.

#![allow(clippy::implicit_hasher)]

mod support;

#[path = "import_csv/cli.rs"]
mod cli;
#[path = "import_csv/generate.rs"]
mod generate;
#[path = "import_csv/props.rs"]
mod props;

use std::collections::HashMap;
use std::path::{Path, PathBuf};

use generate::{GenProduct, HEADER, col, excel_bytes, products, rows};
use shopbot::catalog_csv::{ImportFailure, ImportInput, Plan, export, import};
use shopbot::shop::{AttributeValue, EXAMPLE_TOML, Money, Shop};

/// Imports `csv` into shop text with the library; `live` is the database's stock.
pub fn import_into(
    shop_src: &str,
    csv: &[u8],
    delimiter: u8,
    live: Option<&HashMap<String, i64>>,
) -> Result<Plan, ImportFailure> {
    import(&ImportInput {
        csv_label: "products.csv",
        csv,
        delimiter,
        shop_label: "shop.toml",
        shop_src,
        base_dir: PathBuf::from("."),
        live,
    })
}

/// The catalog as CSV text, exported with the library.
pub fn export_of(shop_src: &str, live: Option<&HashMap<String, i64>>) -> Vec<u8> {
    let shop = Shop::from_source("shop.toml", shop_src, PathBuf::from(".")).expect("shop loads");
    let mut out = Vec::new();
    export(&shop, live, &mut out, b',').expect("export");
    out
}

fn check_product(shop: &Shop, g: &GenProduct) {
    let p = shop
        .product(&g.id)
        .unwrap_or_else(|| panic!("{} imported", g.id));
    assert_eq!(p.name, g.name, "{}", g.id);
    assert_eq!(p.description, g.description, "{}", g.id);
    assert_eq!(p.price, Money::from_cents(g.price_cents), "{}", g.id);
    assert_eq!(p.stock, g.stock, "{}", g.id);
    assert_eq!(p.category, g.category, "{}", g.id);
    assert_eq!(p.tags, g.tags, "{}", g.id);
    assert_eq!(p.image.as_deref(), Some(g.image.as_str()), "{}", g.id);
    assert_eq!(p.stars, g.stars, "{}", g.id);
    assert_eq!(p.attributes.get("age").copied(), g.age, "{}", g.id);
    #[allow(clippy::cast_precision_loss)]
    let pieces = AttributeValue::Number(g.pieces as f64);
    assert_eq!(p.attributes.get("pieces"), Some(&pieces), "{}", g.id);
    let es = p.i18n.get("es");
    assert_eq!(es.and_then(|t| t.name.clone()), g.name_es, "{}", g.id);
    assert_eq!(
        es.and_then(|t| t.description.clone()),
        g.description_es,
        "{}",
        g.id
    );
    assert_eq!(p.variants.len(), g.variants.len(), "{}", g.id);
    for (v, gv) in p.variants.iter().zip(&g.variants) {
        assert_eq!(v.id, gv.id);
        assert_eq!(v.name, gv.name);
        assert_eq!(v.stock, gv.stock);
        assert_eq!(v.price, gv.price_cents.map(Money::from_cents));
        assert_eq!(v.i18n.get("es").map(|t| t.name.clone()), gv.name_es);
    }
}

#[test]
fn two_hundred_products_from_european_excel_import_with_every_value_exact() {
    let generated = products();
    let csv = excel_bytes(&rows(&generated));
    let started = std::time::Instant::now();
    let plan = import_into(EXAMPLE_TOML, &csv, b';', None).expect("the spreadsheet imports");
    let took = started.elapsed();
    assert_eq!(plan.read, 200);
    assert_eq!(plan.added.len(), 200);
    assert!(plan.updated.is_empty());
    assert_eq!(plan.kept.len(), 42, "the example's products are kept");
    let shop = Shop::from_source("shop.toml", &plan.toml, PathBuf::from(".")).expect("valid");
    assert_eq!(shop.products().len(), 242);
    for g in &generated {
        check_product(&shop, g);
    }
    // Nothing was injected: the TOML-looking text stayed inside its strings.
    assert!(shop.product("injected").is_none());
    let doc: toml_edit::DocumentMut = plan.toml.parse().unwrap();
    let tables = doc["products"].as_array_of_tables().unwrap();
    assert_eq!(tables.len(), 242);
    let variants: usize = tables
        .iter()
        .filter_map(|t| t.get("variants"))
        .map(|v| v.as_array_of_tables().unwrap().len())
        .sum();
    assert_eq!(
        variants,
        7 + 120,
        "the example's 7 variants and 40 × 3 new ones"
    );
    // The example's own text is still there, comments and all, unchanged.
    let cut = EXAMPLE_TOML.find("\n# ----------------------------------------------------------------------------\n# [[finder]]").unwrap();
    assert!(
        plan.toml.starts_with(&EXAMPLE_TOML[..cut]),
        "the example's products are untouched"
    );
    assert!(
        plan.toml.ends_with(&EXAMPLE_TOML[cut..]),
        "what follows the products is untouched"
    );
    // Importing it again changes nothing.
    let again = import_into(&plan.toml, &csv, b';', None).unwrap();
    assert!(!again.changed);
    assert_eq!(again.toml, plan.toml);
    assert_eq!(again.unchanged, 200);
    eprintln!("imported 200 products (library) in {took:?}");
}

#[test]
fn an_update_changes_only_the_values_that_differ_and_keeps_comments() {
    let csv = "id,price,name.es,attr.pieces,variant.id,variant.name,variant.stock\n\
               city-fire-station,70.50,Parque de bomberos,541,,,\n\
               creative-classic-box,29.99,Caja de ladrillos clásica,500,red,Red,5\n\
               creative-classic-box,,,,mixed,Mixed colours,12\n\
               creative-classic-box,29.99,,,green,Green,3\n";
    let plan = import_into(EXAMPLE_TOML, csv.as_bytes(), b',', None).expect("imports");
    let old: Vec<&str> = EXAMPLE_TOML.lines().collect();
    let new: Vec<&str> = plan.toml.lines().collect();
    let removed: Vec<&str> = old.iter().filter(|l| !new.contains(l)).copied().collect();
    let added: Vec<&str> = new.iter().filter(|l| !old.contains(l)).copied().collect();
    assert_eq!(
        added,
        [
            "price = 70.50",
            "attributes = { age = [6, 12], pieces = 541 }",
            "  id = \"green\"",
            "  name = \"Green\"",
        ]
    );
    assert_eq!(
        removed,
        [
            "price = 64.99",
            "attributes = { age = [6, 12], pieces = 540 }",
            "  # A variant with stock = 0 is shown as sold out.",
            "  id = \"blue\"",
            "  name = \"Blue\"",
            "  stock = 0",
            "  i18n.es.name = \"Azul\"",
        ]
    );
    assert_eq!(
        plan.updated,
        [
            (
                "city-fire-station".to_owned(),
                vec!["price".to_owned(), "attr.pieces".to_owned()]
            ),
            (
                "creative-classic-box".to_owned(),
                vec!["variants".to_owned()]
            ),
        ]
    );
    // The variant without a price keeps its absence of one; the new one sits after the last.
    let shop = Shop::from_source("shop.toml", &plan.toml, PathBuf::from(".")).unwrap();
    let ids: Vec<&str> = shop
        .product("creative-classic-box")
        .unwrap()
        .variants
        .iter()
        .map(|v| v.id.as_str())
        .collect();
    assert_eq!(ids, ["red", "mixed", "green"]);
}

#[test]
fn export_then_import_leaves_the_example_byte_identical() {
    let csv = export_of(EXAMPLE_TOML, None);
    let text = String::from_utf8(csv.clone()).unwrap();
    let header = text.lines().next().unwrap();
    assert_eq!(
        header,
        "id,name,description,price,stock,category,tags,image,attr.age,attr.pieces,name.es,description.es,\
         variant.id,variant.name,variant.stock,variant.price,variant.name.es"
    );
    assert!(text.contains("\ncity-fire-station,Fire Station,"));
    assert!(text.contains(
        ",64.99,6,city,\"kids, family, city, vehicles\",images/city-fire-station.png,6..12,540,"
    ));
    assert!(text.contains("\ncreative-classic-box,,,,,,,,,,,,blue,Blue,0,,Azul\n"));
    let plan = import_into(EXAMPLE_TOML, &csv, b',', None).unwrap();
    assert!(!plan.changed);
    assert_eq!(plan.toml, EXAMPLE_TOML);
    assert_eq!((plan.read, plan.unchanged), (42, 42));
    // The same through a European spreadsheet: `;`, CRLF, a BOM, prices with commas.
    let european: String = text.replace(',', ";").replace('\n', "\r\n");
    let mut bytes = b"\xEF\xBB\xBF".to_vec();
    bytes.extend(
        european
            .replace(";\"kids; family", ",\"kids, family")
            .as_bytes(),
    );
    let table: Vec<Vec<String>> = csv::ReaderBuilder::new()
        .has_headers(false)
        .from_reader(&csv[..])
        .records()
        .map(|r| {
            r.unwrap()
                .iter()
                .map(|c| c.replace("64.99", "64,99"))
                .collect()
        })
        .collect();
    let mut semi = b"\xEF\xBB\xBF".to_vec();
    {
        let mut w = csv::WriterBuilder::new()
            .delimiter(b';')
            .terminator(csv::Terminator::CRLF)
            .from_writer(&mut semi);
        for row in &table {
            w.write_record(row).unwrap();
        }
    }
    let plan = import_into(EXAMPLE_TOML, &semi, b';', None).unwrap();
    assert_eq!(plan.toml, EXAMPLE_TOML);
}

#[test]
fn export_shows_the_live_stock_and_importing_it_back_changes_nothing() {
    let db = support::temp_db();
    let shop = support::small_shop();
    let src = std::fs::read_to_string("tests/fixtures/shops/small.toml").unwrap();
    let mut engine = shopbot::engine::Engine::open(shop, &db.path).unwrap();
    support::to_confirm(&mut engine, "ana", &["add:castle", "add:castle"]);
    let confirmed = support::text_of(&support::press(&mut engine, "ana", "confirm"));
    assert!(confirmed.contains("Your order number is #"), "{confirmed}");
    let live = engine.store().stock_levels().unwrap().0;
    assert_eq!(live["castle"], 3, "two castles sold of 5");
    let csv = String::from_utf8(export_of(&src, Some(&live))).unwrap();
    assert!(
        csv.contains(
            "\ncastle,Knight's Castle,A big castle with towers. Knights included.,45.00,3,castles,"
        ),
        "{csv}"
    );
    assert!(csv.contains("\ntruck,Big Truck,"), "{csv}");
    // The spreadsheet shows the live stock: importing it back changes nothing at all.
    let plan = import_into(&src, csv.as_bytes(), b',', Some(&live)).unwrap();
    assert!(!plan.changed);
    assert!(plan.stock.is_empty());
    // A new number in the spreadsheet is the stock: the shop file and the live stock.
    let edited = csv.replace(",45.00,3,castles,", ",45.00,9,castles,");
    let plan = import_into(&src, edited.as_bytes(), b',', Some(&live)).unwrap();
    assert!(
        plan.toml.contains("\nprice = 45.00\nstock = 9\n"),
        "{}",
        plan.toml
    );
    assert_eq!(plan.stock.len(), 1);
    assert_eq!(
        (
            plan.stock[0].key.as_str(),
            plan.stock[0].qty,
            plan.stock[0].was
        ),
        ("castle", 9, 3)
    );
}

#[test]
fn digital_products_round_trip_without_a_stock_after_a_code_was_sold() {
    // The digital shop's files are read from its folder.
    let base = PathBuf::from("tests/fixtures/shops");
    let src = std::fs::read_to_string(base.join("digital.toml")).unwrap();
    let shop = Shop::from_source("shop.toml", &src, base.clone()).expect("shop loads");
    let db = support::temp_db();
    let mut engine = shopbot::engine::Engine::open(shop.clone(), &db.path).unwrap();
    let chat = "ana";
    support::turn(&mut engine, chat, shopbot::conversation::Input::Start);
    support::press(&mut engine, chat, "add:gift-card");
    support::press(&mut engine, chat, "checkout");
    support::say(&mut engine, chat, "Ana");
    let placed = support::text_of(&support::press(&mut engine, chat, "confirm"));
    assert!(placed.contains("Your order number is #1001"), "{placed}");
    let live = engine.store().stock_levels().unwrap().0;
    assert_eq!(live["gift-card"], 49, "one code set aside");
    let mut out = Vec::new();
    export(&shop, Some(&live), &mut out, b',').expect("export");
    let csv = String::from_utf8(out).unwrap();
    // No stock for the file (it never runs out) nor the pool (its codes are its stock).
    assert!(
        csv.contains("\ncastle-pattern,Castle pattern (PDF),Build our castle from your own bricks: a 40-page PDF.,4.99,,digital,,,,patterns/castle.pdf,,,"),
        "{csv}"
    );
    assert!(
        csv.contains(",20.00,,digital,,,1000,,codes/gift-cards.txt,"),
        "{csv}"
    );
    assert!(csv.contains(",15.00,20,boxes,"), "{csv}");
    let plan = import(&ImportInput {
        csv_label: "products.csv",
        csv: csv.as_bytes(),
        delimiter: b',',
        shop_label: "shop.toml",
        shop_src: &src,
        base_dir: base,
        live: Some(&live),
    })
    .unwrap_or_else(|e| panic!("{e:?}"));
    assert!(!plan.changed);
    assert_eq!(plan.toml, src);
    assert!(plan.stock.is_empty());
}

/// Rows of the generated spreadsheet, as (spreadsheet row number, cells) per product id.
fn row_of(table: &[Vec<String>], id: &str) -> usize {
    table.iter().position(|r| r[0] == id).unwrap()
}

/// The 200-product spreadsheet with 10 broken rows, and the exact messages.
pub fn broken() -> (Vec<u8>, Vec<String>) {
    let mut table = rows(&products());
    let mut expect = Vec::new();
    let mut broke =
        |table: &mut Vec<Vec<String>>, id: &str, column: &str, value: &str, message: &str| {
            let i = row_of(table, id);
            value.clone_into(&mut table[i][col(column) - 1]);
            let row = i + 2;
            let at = if column == "(row)" { 1 } else { col(column) };
            expect.push((row, format!("products.csv:{row}:{at}: {message}")));
        };
    broke(
        &mut table,
        "gen-002",
        "price",
        "12.345,00",
        "price: \"12.345,00\" is not a price — write it without thousands separators, e.g. 1234.50",
    );
    broke(
        &mut table,
        "gen-003",
        "stock",
        "-3",
        "stock: \"-3\" is negative — use 0 (sold out) or more",
    );
    broke(
        &mut table,
        "gen-004",
        "category",
        "castels",
        "category: unknown category \"castels\" — did you mean `castles`? (categories are listed in shop.toml)",
    );
    broke(
        &mut table,
        "gen-006",
        "id",
        "Gen 6!",
        "id: invalid id \"Gen 6!\" — use 1–32 characters from a-z, 0-9, `-` and `_`, e.g. `gen-6`",
    );
    let first = row_of(&table, "gen-007") + 2;
    let message = format!(
        "id: the id \"gen-007\" is also on row {first} — give each product its own id (for variants, write each one's `variant.id`)"
    );
    broke(&mut table, "gen-008", "id", "gen-007", &message);
    broke(
        &mut table,
        "gen-009",
        "attr.age",
        "12-Jun",
        "attr.age: \"12-Jun\" is not a number or a range — it looks like a date: your spreadsheet turned a range into one; format the column as Text and write the range as 6..12",
    );
    broke(
        &mut table,
        "gen-011",
        "description",
        "BAD-BYTES",
        "description: is not UTF-8 text (byte 0xE9 after \"caf\") — save the spreadsheet as \"CSV UTF-8\" (Excel: File › Save As › CSV UTF-8; LibreOffice: Character set Unicode (UTF-8))",
    );
    broke(
        &mut table,
        "gen-012",
        "name",
        "",
        "name: is empty — write the product's name",
    );
    broke(
        &mut table,
        "gen-013",
        "image",
        "C:\\photos\\x.png",
        "image: \"C:\\photos\\x.png\" is not a web address or a relative path — use an `https://` address, or a path relative to shop.toml such as `images/train.jpg`",
    );
    let i = row_of(&table, "gen-014");
    table[i].push("stray".to_owned());
    expect.push((i + 2, format!("products.csv:{}:1: (row): has 19 cells, the header row has 18 — a cell holding the separator must be in double quotes; check this row's quotes and separators", i + 2)));
    expect.sort();
    let mut bytes = Vec::new();
    {
        let mut w = csv::WriterBuilder::new()
            .flexible(true)
            .from_writer(&mut bytes);
        w.write_record(HEADER).unwrap();
        for row in &table {
            w.write_record(row).unwrap();
        }
    }
    let at = bytes.windows(9).position(|w| w == b"BAD-BYTES").unwrap();
    bytes.splice(at..at + 9, b"caf\xE9".iter().copied());
    (bytes, expect.into_iter().map(|(_, m)| m).collect())
}

#[test]
fn ten_broken_rows_are_each_reported_exactly_and_nothing_is_merged() {
    let (bytes, expect) = broken();
    let Err(ImportFailure::Sheet(errors)) = import_into(EXAMPLE_TOML, &bytes, b',', None) else {
        panic!("the broken spreadsheet is refused");
    };
    let got: Vec<String> = errors.0.iter().map(ToString::to_string).collect();
    assert_eq!(got, expect);
}

#[test]
fn unknown_columns_get_a_did_you_mean_and_new_products_need_their_columns() {
    let csv =
        "id,name,prcie,stock,category,colour\nnew-one,New,12,3,city,red\nnew-two,Two,1,1,city,\n";
    let Err(ImportFailure::Sheet(errors)) = import_into(EXAMPLE_TOML, csv.as_bytes(), b',', None)
    else {
        panic!("refused");
    };
    let got: Vec<String> = errors.0.iter().map(ToString::to_string).collect();
    assert_eq!(
        got,
        [
            "products.csv:1:3: prcie: unknown column — did you mean `price`?",
            "products.csv:1:6: colour: unknown column — use one of: id, name, description, price, stock, \
             category, tags, image, stars, digital.file, digital.codes, variant.id, variant.name, \
             variant.stock, variant.price, attr.<name>, name.<lang>, description.<lang>, variant.name.<lang>",
            "products.csv:1:7: price: no such column, and new products or variants need it (row 2, 3) — add a `price` column",
        ]
    );
}

#[test]
fn a_file_excel_saved_as_utf16_is_refused_with_the_fix() {
    let mut bytes = vec![0xFF, 0xFE];
    for unit in "id\tname\r\n".encode_utf16() {
        bytes.extend(unit.to_le_bytes());
    }
    let Err(ImportFailure::Sheet(errors)) = import_into(EXAMPLE_TOML, &bytes, b'\t', None) else {
        panic!("refused");
    };
    assert_eq!(
        errors.to_string(),
        "products.csv:1:1: (file): the file is UTF-16 text — save the spreadsheet as \"CSV UTF-8\" \
         (Excel: File › Save As › CSV UTF-8; LibreOffice: Character set Unicode (UTF-8))"
    );
}

/// A copy of the example shop in a temporary folder.
pub fn example_copy() -> (tempfile::TempDir, PathBuf) {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("shop.toml");
    std::fs::write(&path, EXAMPLE_TOML).unwrap();
    (dir, path)
}

/// The names of the files in a folder, sorted.
pub fn files_in(dir: &Path) -> Vec<String> {
    let mut names: Vec<String> = std::fs::read_dir(dir)
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .collect();
    names.sort();
    names
}
