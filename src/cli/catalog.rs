//! `shopbot import` / `shopbot export`: the catalog from and to a spreadsheet.

use std::collections::HashMap;
use std::io::{Read, Write};
use std::path::{Path, PathBuf};
use std::process::ExitCode;

use anyhow::{Context, Result, bail};

use super::{Files, default_db, load_shop};
use crate::catalog_csv::{self, ImportFailure, ImportInput, Plan};
use crate::store::Store;

/// A separator given with `--delimiter`: `,` `;` `tab` `|`.
pub(super) fn parse_delimiter(text: &str) -> Result<u8, String> {
    match text {
        "tab" | "\\t" | "\t" => Ok(b'\t'),
        t if t.len() == 1 && matches!(t.as_bytes()[0], b',' | b';' | b'|') => Ok(t.as_bytes()[0]),
        _ => Err("use `,`, `;`, `|` or `tab`".to_owned()),
    }
}

/// The separator of a file: `--delimiter`, else tab for `.tsv`/`.tab`, else
/// (import) guessed from the header row, (export) a comma.
fn delimiter_of(path: &Path, given: Option<u8>, bytes: Option<&[u8]>) -> u8 {
    let ext = path
        .extension()
        .and_then(|e| e.to_str())
        .map(str::to_lowercase);
    given.unwrap_or_else(|| match (ext.as_deref(), bytes) {
        (Some("tsv" | "tab"), _) => b'\t',
        (_, Some(bytes)) => {
            catalog_csv::guess_delimiter(bytes.strip_prefix(b"\xEF\xBB\xBF").unwrap_or(bytes))
        }
        _ => b',',
    })
}

/// The live stock: from `--db` (which must exist), else from the default
/// database when there is one; `None` when there is none.
fn live_stock(db: Option<&Path>) -> Result<Option<(PathBuf, HashMap<String, i64>)>> {
    let path = match db {
        Some(db) if !db.exists() => bail!("there is no database at {} (see --db)", db.display()),
        Some(db) => db.to_path_buf(),
        None => match default_db() {
            Ok(path) if path.exists() => path,
            _ => return Ok(None),
        },
    };
    let store = Store::open(&path)
        .with_context(|| format!("cannot open the database {}", path.display()))?;
    let levels = store.stock_levels().context("cannot read the live stock")?;
    Ok(Some((path, levels.0)))
}

pub(super) fn export(file: &Path, files: &Files, delimiter: Option<u8>) -> Result<ExitCode> {
    let Some(shop) = load_shop(files.shop.as_deref()) else {
        return Ok(ExitCode::from(2));
    };
    let live = live_stock(files.db.as_deref())?;
    let delimiter = delimiter_of(file, delimiter, None);
    let stdout = file.as_os_str() == "-";
    let done = if stdout {
        catalog_csv::export(
            &shop,
            live.as_ref().map(|(_, l)| l),
            std::io::stdout().lock(),
            delimiter,
        )?
    } else {
        let mut out = std::io::BufWriter::new(
            std::fs::File::create(file)
                .with_context(|| format!("cannot write {}", file.display()))?,
        );
        // A UTF-8 byte order mark: Excel then reads accents and emoji right.
        out.write_all(b"\xEF\xBB\xBF")?;
        let done = catalog_csv::export(&shop, live.as_ref().map(|(_, l)| l), &mut out, delimiter)?;
        out.into_inner()
            .map_err(std::io::IntoInnerError::into_error)?
            .sync_all()?;
        done
    };
    let stock = match &live {
        Some((db, _)) => format!("live stock from {}", db.display()),
        None => "stock from the shop file (no database found; see --db)".to_owned(),
    };
    eprintln!(
        "wrote {} products ({} rows) to {}; {stock}",
        done.products,
        done.rows,
        if stdout {
            "standard output".into()
        } else {
            file.display().to_string()
        },
    );
    Ok(ExitCode::SUCCESS)
}

pub(super) fn import(
    file: &Path,
    files: &Files,
    delimiter: Option<u8>,
    dry_run: bool,
) -> Result<ExitCode> {
    let shop_path = files
        .shop
        .clone()
        .unwrap_or_else(|| PathBuf::from("shop.toml"));
    if !shop_path.exists() {
        bail!(
            "there is no {} to import into; pass --shop FILE, or run `shopbot init` first",
            shop_path.display()
        );
    }
    // Write where a symbolic link points, not over the link.
    let target = std::fs::canonicalize(&shop_path)
        .with_context(|| format!("cannot find {}", shop_path.display()))?;
    let shop_src = std::fs::read_to_string(&target)
        .with_context(|| format!("cannot read {}", shop_path.display()))?;
    let mut csv = Vec::new();
    if file.as_os_str() == "-" {
        std::io::stdin().read_to_end(&mut csv)?;
    } else {
        csv = std::fs::read(file).with_context(|| format!("cannot read {}", file.display()))?;
    }
    let live = live_stock(files.db.as_deref())?;
    let csv_label = file.display().to_string();
    let shop_label = shop_path.display().to_string();
    let input = ImportInput {
        csv_label: &csv_label,
        csv: &csv,
        delimiter: delimiter_of(file, delimiter, Some(&csv)),
        shop_label: &shop_label,
        shop_src: &shop_src,
        base_dir: target
            .parent()
            .map_or_else(|| PathBuf::from("."), Path::to_path_buf),
        live: live.as_ref().map(|(_, l)| l),
    };
    let plan = match catalog_csv::import(&input) {
        Ok(plan) => plan,
        Err(ImportFailure::Sheet(errors)) => {
            println!("{errors}");
            eprintln!("{} problem(s); nothing was written.", errors.0.len());
            return Ok(ExitCode::from(2));
        }
        Err(ImportFailure::ShopFile(errors)) => {
            println!("{errors}");
            eprintln!(
                "{} problem(s) in {shop_label} itself; fix them first (`shopbot check`). Nothing was written.",
                errors.0.len()
            );
            return Ok(ExitCode::from(2));
        }
    };
    report(&plan, &csv_label, &shop_label);
    if dry_run {
        println!("dry run: nothing was written.");
        return Ok(ExitCode::SUCCESS);
    }
    if plan.changed {
        let now = std::fs::read_to_string(&target).unwrap_or_default();
        if now != shop_src {
            bail!(
                "{shop_label} changed while importing; nothing was written, run the import again"
            );
        }
        let backup = backup_path(&target);
        write_atomic(&backup, shop_src.as_bytes(), &target)?;
        write_atomic(&target, plan.toml.as_bytes(), &target)?;
        println!(
            "wrote {shop_label} (the previous version is in {})",
            backup.display()
        );
    }
    if let (Some((db, _)), false) = (&live, plan.stock.is_empty()) {
        let mut store = Store::open(db).with_context(|| format!("cannot open {}", db.display()))?;
        let stock: Vec<(String, i64)> = plan.stock.iter().map(|s| (s.key.clone(), s.qty)).collect();
        store
            .set_imported_stock(&stock)
            .with_context(|| format!("cannot set the live stock in {}", db.display()))?;
        println!(
            "set the live stock of {} item(s) in {}",
            stock.len(),
            db.display()
        );
    }
    if plan.changed || !plan.stock.is_empty() {
        println!("A running bot sells from the new catalog after /reload (or a restart).");
    }
    Ok(ExitCode::SUCCESS)
}

/// What the import does (or would do).
fn report(plan: &Plan, csv_label: &str, shop_label: &str) {
    println!(
        "{csv_label}: {} product(s): {} new, {} updated, {} unchanged",
        plan.read,
        plan.added.len(),
        plan.updated.len(),
        plan.unchanged
    );
    for id in &plan.added {
        println!("  new      {id}");
    }
    for (id, columns) in &plan.updated {
        println!("  updated  {id}: {}", columns.join(", "));
    }
    for s in &plan.stock {
        println!("  stock    {}: {} → {}", s.key, s.was, s.qty);
    }
    if !plan.kept.is_empty() {
        println!(
            "{} product(s) of {shop_label} are not in {csv_label} and were kept as they are: {}",
            plan.kept.len(),
            plan.kept.join(", ")
        );
    }
    if !plan.changed {
        println!("{shop_label} already matches {csv_label}: nothing to change in it.");
    }
}

fn backup_path(target: &Path) -> PathBuf {
    let mut name = target.file_name().unwrap_or_default().to_os_string();
    name.push(".bak");
    target.with_file_name(name)
}

/// Writes a file whole or not at all: a temporary file next to it, synced,
/// renamed over it (with the permissions of `like`), and the folder synced.
fn write_atomic(path: &Path, bytes: &[u8], like: &Path) -> Result<()> {
    let dir = path
        .parent()
        .filter(|d| !d.as_os_str().is_empty())
        .unwrap_or(Path::new("."));
    let mut name = std::ffi::OsString::from(".");
    name.push(path.file_name().unwrap_or_default());
    name.push(format!(".{}.tmp", std::process::id()));
    let tmp = dir.join(name);
    let result = (|| -> Result<()> {
        let mut f = std::fs::File::create(&tmp)?;
        f.write_all(bytes)?;
        if let Ok(meta) = std::fs::metadata(like) {
            f.set_permissions(meta.permissions())?;
        }
        f.sync_all()?;
        std::fs::rename(&tmp, path)?;
        std::fs::File::open(dir)?.sync_all()?;
        Ok(())
    })();
    if result.is_err() {
        let _ = std::fs::remove_file(&tmp);
    }
    result.with_context(|| format!("cannot write {}", path.display()))
}
