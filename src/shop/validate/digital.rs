//! Checks of digital goods and Telegram Stars: a digital product delivers one
//! file or codes from a pool, has no variants, and is priced in Stars when the
//! shop takes Stars; the pools are read here (with the shop's folder), so a
//! code listed twice is refused before any customer could get it twice.

use std::collections::HashMap;
use std::path::Path;

use super::super::error::ConfigError;
use super::super::load::Locator;
use super::super::model::{PaymentKind, Product, ShopFile};
use super::Check;

/// The longest code a pool may hold (it is sent in a chat message).
const CODE_MAX: usize = 256;

impl Check<'_> {
    pub(super) fn digital(&mut self, file: &ShopFile) {
        for (i, p) in file.products.iter().enumerate() {
            let key = format!("products[{i}]");
            if let Some(stars) = p.stars
                && stars == 0
            {
                self.err(
                    &format!("{key}.stars"),
                    "is 0",
                    "use a whole number of Stars, 1 or more",
                );
            }
            let Some(digital) = &p.digital else { continue };
            let dkey = format!("{key}.digital");
            match (digital.file.as_deref(), digital.codes.as_deref()) {
                (None, None) => self.err(
                    &dkey,
                    "names neither a file nor codes",
                    "add `digital.file = \"patterns/castle.pdf\"` or `digital.codes = \"codes/cards.txt\"`",
                ),
                (Some(_), Some(_)) => self.err(
                    &format!("{dkey}.codes"),
                    "set together with `digital.file`",
                    "a digital product delivers one file or one code: keep one of them",
                ),
                (Some(path), None) => self.relative(&format!("{dkey}.file"), path),
                (None, Some(path)) => {
                    self.relative(&format!("{dkey}.codes"), path);
                    if p.stock.is_some() {
                        self.err(
                            &format!("{key}.stock"),
                            "set on a product sold from a pool of codes",
                            "remove `stock`: the codes left in the pool are the stock",
                        );
                    }
                }
            }
            if !p.variants.is_empty() {
                self.err(
                    &format!("{key}.variants"),
                    "set on a digital product",
                    "make each variant its own digital product",
                );
            }
        }
        for (i, method) in file.payment.iter().enumerate() {
            let key = format!("payment[{i}]");
            let is_stars = method.kind == PaymentKind::Stars;
            match method.stars_rate {
                Some(_) if !is_stars => self.err(
                    &format!("{key}.stars_rate"),
                    "set on a method that is not `kind = \"stars\"`",
                    "remove it, or set `kind = \"stars\"`",
                ),
                Some(rate) if !(rate.is_finite() && rate > 0.0) => self.err(
                    &format!("{key}.stars_rate"),
                    "is not a positive number",
                    "write how many Stars one unit of the shop's currency is worth, e.g. `stars_rate = 50`",
                ),
                _ => {}
            }
            if !is_stars {
                continue;
            }
            if method.provider_token_file.is_some() {
                self.err(
                    &format!("{key}.provider_token_file"),
                    "set on a Stars method",
                    "remove it: payments in Stars need no provider token",
                );
            }
            let unpriced = file
                .products
                .iter()
                .find(|p| p.digital.is_some() && p.stars.is_none());
            if let (None, Some(p)) = (method.stars_rate, unpriced) {
                self.err(
                    &format!("{key}.kind"),
                    &format!("the digital product \"{}\" has no price in Stars", p.id),
                    "add `stars = 100` to each digital product, or `stars_rate = 50` (Stars per unit of the shop's currency) here",
                );
            }
        }
    }

    fn relative(&mut self, key: &str, path: &str) {
        let text = path.trim();
        let bad = text.is_empty()
            || text.contains("://")
            || Path::new(text).is_absolute()
            || Path::new(text)
                .components()
                .any(|c| matches!(c, std::path::Component::ParentDir));
        if bad {
            self.err(
                key,
                &format!("\"{path}\" is not a path inside the shop's folder"),
                "write a path relative to shop.toml, e.g. `patterns/castle.pdf`",
            );
        }
    }
}

/// Whether `path` names a file inside the shop's folder (relative, no `..`, no URL).
fn inside(path: &str) -> bool {
    let text = path.trim();
    !(text.is_empty()
        || text.contains("://")
        || Path::new(text).is_absolute()
        || Path::new(text)
            .components()
            .any(|c| matches!(c, std::path::Component::ParentDir)))
}

/// The largest file a digital product may deliver (Telegram's upload limit).
const FILE_MAX: u64 = 50 * 1024 * 1024;

/// What the digital products deliver, read from the shop's folder.
#[derive(Debug, Clone, Default)]
pub struct Assets {
    /// The codes of each pool, by product id, in file order.
    pub pools: HashMap<String, Vec<String>>,
    /// Each digital file, by product id.
    pub files: HashMap<String, DigitalFile>,
}

/// A digital product's file as it was when the shop was loaded.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DigitalFile {
    pub path: std::path::PathBuf,
    /// The file's name as the customer sees it (`castle.pdf`).
    pub name: String,
    pub size: u64,
    /// SHA-256 (hex) of the bytes: their name in the media spool.
    pub sha256: String,
}

/// Reads every pool of codes (`digital.codes`) and every digital file,
/// relative to `base_dir`; the problems are at the keys that name them.
pub fn read_assets(file: &ShopFile, loc: &Locator, base_dir: &Path) -> (Assets, Vec<ConfigError>) {
    let mut assets = Assets::default();
    let mut errors = Vec::new();
    // Every code, with the product and line it was first seen on.
    let mut seen: HashMap<String, (String, usize)> = HashMap::new();
    for (i, p) in file.products.iter().enumerate() {
        // Only a well-formed digital product is read: one file or one pool,
        // inside the shop's folder (the checks above report the others).
        let Some(digital) = p.digital.as_ref().filter(|d| {
            d.file.is_some() != d.codes.is_some()
                && d.file.iter().chain(&d.codes).all(|path| inside(path))
        }) else {
            continue;
        };
        let dkey = format!("products[{i}].digital");
        if let Some(path) = digital.file.as_deref() {
            let key = format!("{dkey}.file");
            match read_file(&base_dir.join(path.trim())) {
                Ok(found) => {
                    assets.files.insert(p.id.clone(), found);
                }
                Err(Unreadable::TooBig(size)) => errors.push(loc.error(
                    &key,
                    &format!(
                        "\"{path}\" is {} MB, over the 50 MB a chat can carry",
                        size.div_ceil(1024 * 1024)
                    ),
                    "make the file smaller, or deliver a link to it as a code",
                )),
                Err(Unreadable::Io(e)) => errors.push(loc.error(
                    &key,
                    &format!("cannot read \"{path}\": {e}"),
                    "put the file there (the path is relative to shop.toml)",
                )),
            }
        }
        if let Some(path) = digital.codes.as_deref() {
            let key = format!("{dkey}.codes");
            match std::fs::read_to_string(base_dir.join(path.trim())) {
                Ok(text) => {
                    let codes = pool_codes(p, path, &text, &mut seen, &mut |problem, fix| {
                        errors.push(loc.error(&key, problem, fix));
                    });
                    assets.pools.insert(p.id.clone(), codes);
                }
                Err(e) => errors.push(loc.error(
                    &key,
                    &format!("cannot read \"{path}\": {e}"),
                    "put a text file there with one code per line (UTF-8)",
                )),
            }
        }
    }
    (assets, errors)
}

enum Unreadable {
    TooBig(u64),
    Io(std::io::Error),
}

fn read_file(path: &Path) -> Result<DigitalFile, Unreadable> {
    let meta = std::fs::metadata(path).map_err(Unreadable::Io)?;
    if !meta.is_file() {
        return Err(Unreadable::Io(std::io::Error::other("it is not a file")));
    }
    if meta.len() > FILE_MAX {
        return Err(Unreadable::TooBig(meta.len()));
    }
    let bytes = std::fs::read(path).map_err(Unreadable::Io)?;
    let sha256 = crate::channels::media::sha256(&bytes);
    let name = path
        .file_name()
        .map_or_else(|| "file".to_owned(), |n| n.to_string_lossy().into_owned());
    Ok(DigitalFile {
        path: path.to_path_buf(),
        name,
        size: u64::try_from(bytes.len()).unwrap_or(u64::MAX),
        sha256,
    })
}

/// The codes of one pool file: one per line, spaces around trimmed, blank
/// lines skipped; a code listed twice (here or in another pool) is a problem.
fn pool_codes(
    p: &Product,
    path: &str,
    text: &str,
    seen: &mut HashMap<String, (String, usize)>,
    problem: &mut dyn FnMut(&str, &str),
) -> Vec<String> {
    let mut codes = Vec::new();
    for (n, line) in text.lines().enumerate() {
        let code = line.trim().trim_start_matches('\u{feff}').trim();
        if code.is_empty() {
            continue;
        }
        let line_no = n + 1;
        if code.chars().count() > CODE_MAX || code.chars().any(char::is_control) {
            problem(
                &format!(
                    "line {line_no} of \"{path}\" is not a code (over {CODE_MAX} characters, or control characters)"
                ),
                "write one code per line",
            );
            continue;
        }
        if let Some((product, first)) = seen.get(code) {
            let place = if *product == p.id {
                format!("line {first}")
            } else {
                format!("the pool of \"{product}\", line {first}")
            };
            problem(
                &format!("the code on line {line_no} of \"{path}\" is also on {place}"),
                "each code is given to one customer only: remove the copy",
            );
            continue;
        }
        seen.insert(code.to_owned(), (p.id.clone(), line_no));
        codes.push(code.to_owned());
    }
    codes
}
