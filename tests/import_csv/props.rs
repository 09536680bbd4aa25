//! Arbitrary text in any cell survives export → import, and never becomes TOML.

use std::path::PathBuf;

use proptest::prelude::*;
use shopbot::shop::{EXAMPLE_TOML, Shop};
use toml_edit::{DocumentMut, value};

use super::{export_of, import_into};

/// The example shop with one product's texts set to `name`, `description`, `name_es`.
fn with_texts(name: &str, description: &str, name_es: &str) -> String {
    let mut doc: DocumentMut = EXAMPLE_TOML.parse().unwrap();
    let products = doc["products"].as_array_of_tables_mut().unwrap();
    let p = products.get_mut(3).unwrap();
    assert_eq!(p["id"].as_str(), Some("city-pet-clinic"));
    p["name"] = value(name);
    p["description"] = value(description);
    p["i18n"]["es"]["name"] = value(name_es);
    doc.to_string()
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(64))]

    #[test]
    fn any_unicode_text_round_trips_through_export_and_import(
        name in prop_oneof!["\\PC*[^\\s]\\PC*", any::<String>().prop_map(|s| format!("{s}x"))],
        description in any::<String>(),
        name_es in any::<String>().prop_map(|s| format!("¿{s}?")),
    ) {
        let src = with_texts(&name, &description, &name_es);
        let shop = Shop::from_source("shop.toml", &src, PathBuf::from("."));
        prop_assume!(shop.is_ok(), "a valid shop to start from");
        let csv = export_of(&src, None);
        // Into the same file: nothing changes, byte for byte.
        let plan = import_into(&src, &csv, b',', None).unwrap();
        prop_assert!(!plan.changed);
        prop_assert_eq!(&plan.toml, &src);
        // Into the untouched example: the text arrives exactly, and nothing else.
        let plan = import_into(EXAMPLE_TOML, &csv, b',', None).unwrap();
        let shop = Shop::from_source("shop.toml", &plan.toml, PathBuf::from(".")).unwrap();
        let p = shop.product("city-pet-clinic").unwrap();
        prop_assert_eq!(&p.name, &name);
        prop_assert_eq!(&p.description, &description);
        prop_assert_eq!(p.i18n["es"].name.as_deref(), Some(name_es.as_str()));
        prop_assert_eq!(shop.products().len(), 42);
        prop_assert_eq!(plan.updated.len(), 1);
    }
}
