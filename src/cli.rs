//! The command line: `shopbot run | chat | check | init | orders | stats | report | backup | import | export | link`.

mod catalog;
mod link;
mod orders;
mod serve;

use std::path::{Path, PathBuf};
use std::process::ExitCode;

use anyhow::{Context, Result, bail};
use clap::{Parser, Subcommand};

use self::orders::{write_csv, write_table};
use self::serve::run_channels;
use crate::channels::terminal;
use crate::engine::{Engine, Stats};
use crate::shop::{EXAMPLE_TOML, Shop};
use crate::store::OrderStatus;

/// A self-hosted shop bot: your catalog in one shop.toml, your customers in Telegram,
/// Matrix or the terminal.
#[derive(Debug, Parser)]
#[command(name = "shopbot", version, about)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

/// Where the shop file and the database are.
#[derive(Debug, clap::Args)]
struct Files {
    /// The shop file [default: ./shop.toml if present, else the bundled example]
    #[arg(long, value_name = "FILE", env = "SHOPBOT_SHOP")]
    shop: Option<PathBuf>,
    /// The `SQLite` database [default: `shopbot.db` in the user's data directory]
    #[arg(long, value_name = "FILE", env = "SHOPBOT_DB")]
    db: Option<PathBuf>,
}

#[derive(Debug, Subcommand)]
enum Command {
    /// Connect to the channels configured in the shop file.
    Run {
        #[command(flatten)]
        files: Files,
    },
    /// Talk to your shop in the terminal: no token, no network.
    Chat {
        #[command(flatten)]
        files: Files,
        /// The conversation to use (each id is its own customer).
        #[arg(long, default_value = "local")]
        chat: String,
        /// Serve the web chat instead (open the address it prints in a browser):
        /// `[web]` of the shop file if present, no other channel, no token.
        #[arg(long)]
        web: bool,
        /// With `--web`: the address to listen on [default: `[web] listen`, else 127.0.0.1:8080].
        #[arg(long, value_name = "ADDR", requires = "web")]
        listen: Option<String>,
    },
    /// Check a shop file and report every problem with its line and column.
    Check {
        /// The shop file [default: ./shop.toml]
        file: Option<PathBuf>,
    },
    /// Write the commented example shop (shop.toml and its images) to start from.
    Init {
        /// Folder to write into.
        #[arg(default_value = ".")]
        dir: PathBuf,
        /// Overwrite an existing shop.toml.
        #[arg(long)]
        force: bool,
    },
    /// List the orders, or export them as CSV.
    Orders {
        #[command(flatten)]
        files: Files,
        /// Only orders with this status (new, paid, shipped, delivered, cancelled).
        #[arg(long)]
        status: Option<OrderStatus>,
        /// Print CSV instead of a table.
        #[arg(long)]
        csv: bool,
    },
    /// The figures: funnel per channel, revenue, best sellers, unanswered questions.
    Stats {
        #[command(flatten)]
        files: Files,
        /// How many days back, today included.
        #[arg(long, default_value_t = 30)]
        days: u32,
    },
    /// The figures as an HTML page with charts (no JavaScript, no network needed).
    Report {
        #[command(flatten)]
        files: Files,
        /// How many days back, today included.
        #[arg(long, default_value_t = 30)]
        days: u32,
        /// The page to write.
        #[arg(long, default_value = "report.html")]
        out: PathBuf,
    },
    /// A consistent copy of the database, taken while the bot runs.
    Backup {
        #[command(flatten)]
        files: Files,
        /// The copy to write (it must not exist yet).
        file: PathBuf,
    },
    /// Merge products from a spreadsheet (.csv or .tsv) into the shop file.
    Import {
        /// The spreadsheet (`-` for standard input).
        file: PathBuf,
        #[command(flatten)]
        files: Files,
        /// Show what would change; write nothing.
        #[arg(long)]
        dry_run: bool,
        /// The separator: `,` `;` `|` or `tab` [default: from the header row; tab for .tsv]
        #[arg(long, value_parser = catalog::parse_delimiter)]
        delimiter: Option<u8>,
    },
    /// Write the catalog to a spreadsheet (.csv or .tsv) with the live stock.
    Export {
        /// The spreadsheet to write (`-` for standard output).
        file: PathBuf,
        #[command(flatten)]
        files: Files,
        /// The separator: `,` `;` `|` or `tab` [default: `,`; tab for .tsv]
        #[arg(long, value_parser = catalog::parse_delimiter)]
        delimiter: Option<u8>,
    },
    /// Deep links that open a product, a category or the finder, tagged with
    /// where customers come from, for each channel; with QR codes (SVG, PNG).
    Link {
        /// What the link opens: p-PRODUCT_ID, c-CATEGORY_ID, finder or menu.
        what: String,
        /// Where the link is shown, counted in the figures (a-z 0-9 -, e.g. instagram).
        #[arg(long)]
        source: Option<String>,
        /// The shop file [default: ./shop.toml if present, else the bundled example]
        #[arg(long, value_name = "FILE", env = "SHOPBOT_SHOP")]
        shop: Option<PathBuf>,
        /// The folder for the QR codes.
        #[arg(long, default_value = ".")]
        out: PathBuf,
    },
}

/// Runs the command line; the exit code is 0 on success, 1 on errors, 2 on a broken shop file.
pub fn main() -> ExitCode {
    let cli = Cli::parse();
    let default_level = if matches!(
        cli.command,
        Command::Run { .. } | Command::Chat { web: true, .. }
    ) {
        "info"
    } else {
        "warn"
    };
    let mut filter = tracing_subscriber::EnvFilter::try_from_default_env()
        .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new(default_level));
    // matrix-sdk's false alarms (see `QUIET_SDK`), unless matrix-sdk is being debugged.
    if !std::env::var("RUST_LOG").is_ok_and(|f| f.contains("matrix_sdk")) {
        for directive in crate::channels::matrix::QUIET_SDK {
            if let Ok(directive) = directive.parse() {
                filter = filter.add_directive(directive);
            }
        }
    }
    let logs = tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_writer(std::io::stderr);
    // SHOPBOT_LOG_FORMAT=json: one JSON object per line, for log collectors.
    if std::env::var("SHOPBOT_LOG_FORMAT").is_ok_and(|f| f.eq_ignore_ascii_case("json")) {
        logs.json().init();
    } else {
        logs.init();
    }
    match run(cli) {
        Ok(code) => code,
        Err(e) => {
            eprintln!("error: {e:#}");
            ExitCode::FAILURE
        }
    }
}

fn run(cli: Cli) -> Result<ExitCode> {
    match cli.command {
        Command::Check { file } => Ok(check(&file.unwrap_or_else(|| PathBuf::from("shop.toml")))),
        Command::Init { dir, force } => init(&dir, force).map(|()| ExitCode::SUCCESS),
        Command::Chat {
            files,
            chat,
            web,
            listen,
        } => chat_locally(&files, &chat, web, listen),
        Command::Orders { files, status, csv } => {
            let Some(shop) = load_shop(files.shop.as_deref()) else {
                return Ok(ExitCode::from(2));
            };
            let engine = open_engine(shop, files.db.as_deref())?;
            let orders = engine.orders(status)?;
            let mut out = std::io::stdout().lock();
            if csv {
                write_csv(&mut out, &orders)?;
            } else {
                write_table(&mut out, engine.shop(), &orders)?;
            }
            Ok(ExitCode::SUCCESS)
        }
        Command::Stats { files, days } => {
            let Some((engine, stats)) = figures(&files, days)? else {
                return Ok(ExitCode::from(2));
            };
            println!("{}", crate::report::text(engine.shop(), &stats));
            Ok(ExitCode::SUCCESS)
        }
        Command::Report { files, days, out } => {
            let Some((engine, stats)) = figures(&files, days)? else {
                return Ok(ExitCode::from(2));
            };
            let page = crate::report::html(engine.shop(), &stats)?;
            std::fs::write(&out, page)
                .with_context(|| format!("cannot write {}", out.display()))?;
            println!("wrote {}", out.display());
            Ok(ExitCode::SUCCESS)
        }
        Command::Backup { files, file } => {
            let db = db_path(files.db.as_deref())?;
            if !db.exists() {
                bail!("there is no database at {} (see --db)", db.display());
            }
            if file.exists() {
                bail!("{} exists already; choose a new file name", file.display());
            }
            let pages = crate::store::backup(&db, &file).with_context(|| {
                format!("cannot back up {} to {}", db.display(), file.display())
            })?;
            println!(
                "backed up {} to {} ({pages} pages, integrity ok)",
                db.display(),
                file.display()
            );
            Ok(ExitCode::SUCCESS)
        }
        Command::Import {
            file,
            files,
            dry_run,
            delimiter,
        } => catalog::import(&file, &files, delimiter, dry_run),
        Command::Export {
            file,
            files,
            delimiter,
        } => catalog::export(&file, &files, delimiter),
        Command::Link {
            what,
            source,
            shop,
            out,
        } => {
            let Some(shop) = load_shop(shop.as_deref()) else {
                return Ok(ExitCode::from(2));
            };
            print!("{}", link::link(&shop, &what, source.as_deref(), &out)?);
            Ok(ExitCode::SUCCESS)
        }
        Command::Run { files } => {
            let Some(shop) = load_shop(files.shop.as_deref()) else {
                return Ok(ExitCode::from(2));
            };
            let plan = serve::Plan::configured(&shop)?;
            run_channels(shop, files.db.as_deref(), plan)
        }
    }
}

/// `shopbot chat`: the terminal, or with `web` the web chat alone (no token).
fn chat_locally(files: &Files, chat: &str, web: bool, listen: Option<String>) -> Result<ExitCode> {
    let Some(shop) = load_shop(files.shop.as_deref()) else {
        return Ok(ExitCode::from(2));
    };
    if web {
        let settings = serve::local_web(&shop, listen);
        let plan = serve::Plan {
            telegram: None,
            matrix: None,
            web: Some(settings),
        };
        return run_channels(shop, files.db.as_deref(), plan);
    }
    let mut engine = open_engine(shop, files.db.as_deref())?;
    let stdin = std::io::stdin();
    terminal::run(
        &mut engine,
        chat,
        stdin.lock(),
        &mut std::io::stdout(),
        &jiff::Timestamp::now,
    )?;
    Ok(ExitCode::SUCCESS)
}

/// The shop, its database and the figures of the last `days` days; `None` if the
/// shop file is broken (its problems are printed).
fn figures(files: &Files, days: u32) -> Result<Option<(Engine, Stats)>> {
    let Some(shop) = load_shop(files.shop.as_deref()) else {
        return Ok(None);
    };
    let engine = open_engine(shop, files.db.as_deref())?;
    let shop = engine.shop();
    let stats = engine.stats(
        days,
        jiff::Timestamp::now(),
        &shop.time_zone,
        shop.currency(),
    )?;
    Ok(Some((engine, stats)))
}

/// The shop to use: the named file, else ./shop.toml, else the bundled example.
/// Problems are printed; `None` means nothing must start.
fn load_shop(path: Option<&Path>) -> Option<Shop> {
    let path = path.map(Path::to_path_buf).or_else(|| {
        let local = PathBuf::from("shop.toml");
        local.exists().then_some(local)
    });
    let result = match &path {
        Some(path) => Shop::load(path),
        None => Ok(Shop::example()),
    };
    match result {
        Ok(shop) => Some(shop),
        Err(errors) => {
            eprintln!("{errors}");
            eprintln!(
                "{} problem(s) in the shop file; nothing was started.",
                errors.0.len()
            );
            None
        }
    }
}

/// The database file: the one given, or `shopbot.db` in the user's data directory.
fn db_path(db: Option<&Path>) -> Result<PathBuf> {
    match db {
        Some(db) => Ok(db.to_path_buf()),
        None => default_db(),
    }
}

fn open_engine(shop: Shop, db: Option<&Path>) -> Result<Engine> {
    let db = db_path(db)?;
    if let Some(dir) = db.parent().filter(|d| !d.as_os_str().is_empty()) {
        std::fs::create_dir_all(dir)
            .with_context(|| format!("cannot create the folder {}", dir.display()))?;
    }
    Engine::open(shop, &db).with_context(|| format!("cannot open the database {}", db.display()))
}

fn default_db() -> Result<PathBuf> {
    let dirs = directories::ProjectDirs::from("", "", "shopbot")
        .context("cannot find a data directory; pass --db FILE")?;
    Ok(dirs.data_dir().join("shopbot.db"))
}

fn check(path: &Path) -> ExitCode {
    match Shop::load(path) {
        Ok(shop) => {
            println!(
                "{}: ok — \"{}\": {} products in {} categories, {} finder questions, \
                 {} common questions, {} delivery options, {} payment methods, {} coupons",
                path.display(),
                shop.name(),
                shop.products().len(),
                shop.categories().len(),
                shop.finder().len(),
                shop.questions().len(),
                shop.file.delivery.len(),
                shop.file.payment.len(),
                shop.file.coupons.len(),
            );
            ExitCode::SUCCESS
        }
        Err(errors) => {
            println!("{errors}");
            eprintln!("{} problem(s) found.", errors.0.len());
            ExitCode::from(2)
        }
    }
}

/// The example's images, compiled in so `init` works from the binary alone.
const EXAMPLE_IMAGES: &[(&str, &[u8])] = &include!(concat!(env!("OUT_DIR"), "/images.rs"));

fn init(dir: &Path, force: bool) -> Result<()> {
    let file = dir.join("shop.toml");
    if file.exists() && !force {
        bail!(
            "{} already exists; pass --force to overwrite it",
            file.display()
        );
    }
    std::fs::create_dir_all(dir.join("images"))
        .with_context(|| format!("cannot create {}", dir.join("images").display()))?;
    std::fs::write(&file, EXAMPLE_TOML)
        .with_context(|| format!("cannot write {}", file.display()))?;
    for (name, bytes) in EXAMPLE_IMAGES {
        let path = dir.join("images").join(name);
        if !path.exists() {
            std::fs::write(&path, bytes)
                .with_context(|| format!("cannot write {}", path.display()))?;
        }
    }
    println!(
        "Wrote {} and {} images. Edit it, check it with `shopbot check`, try it with `shopbot chat`.",
        file.display(),
        EXAMPLE_IMAGES.len()
    );
    Ok(())
}
