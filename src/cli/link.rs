//! `shopbot link p-castle-dragon-tower --source instagram`: the deep links of
//! each channel the shop runs on, and their QR codes (SVG and PNG) for a flyer
//! or a shop window. See [`crate::links`] for the payload's grammar.

use std::fmt::Write as _;
use std::path::{Path, PathBuf};
use std::time::Duration;

use anyhow::{Context, Result, bail};

use crate::links::{self, Payload, Qr, Source, Target};
use crate::shop::{Shop, closest};

/// How long `shopbot link` waits for Telegram to tell the bot's username.
const GET_ME_WAIT: Duration = Duration::from_secs(15);

/// One channel's link, as printed and drawn.
struct ChannelLink {
    /// `telegram` or `matrix`: part of the QR files' names.
    channel: &'static str,
    url: String,
    /// What the customer sends after opening the link (Matrix).
    then_send: Option<String>,
}

/// Prints the links for `what` (`p-ID`, `c-ID`, `finder` or `menu`) from
/// `source`, and writes their QR codes into `out`.
pub(super) fn link(shop: &Shop, what: &str, source: Option<&str>, out: &Path) -> Result<String> {
    let (target, title) = target(shop, what)?;
    let source = source
        .map(|tag| {
            Source::new(tag).map_err(|why| {
                anyhow::anyhow!(
                    "--source {tag:?}: {why}; a source names a place (a flyer, a shop window, a \
                     social network), e.g. `{}`",
                    slug(tag)
                )
            })
        })
        .transpose()?;
    let payload = Payload { target, source };
    let text = payload.encode().map_err(|why| {
        anyhow::anyhow!(
            "the link cannot be made: its payload would be too long ({why}); choose a shorter \
             --source"
        )
    })?;
    let (links, notes) = channel_links(shop, &text);
    if links.is_empty() {
        let mut why = String::from(
            "no channel to link to: the shop file configures no [matrix] account and no [web] \
             chat, and shopbot cannot tell the Telegram bot's username",
        );
        for note in &notes {
            let _ = write!(why, "\n{note}");
        }
        bail!(why);
    }
    std::fs::create_dir_all(out)
        .with_context(|| format!("cannot create the folder {}", out.display()))?;
    let mut report = format!(
        "Link to {title}{}\nPayload: {} ({} of {} characters)\n",
        payload
            .source
            .as_ref()
            .map(|s| format!(", source `{s}`"))
            .unwrap_or_default(),
        if text.is_empty() { "(none)" } else { &text },
        text.len(),
        links::MAX_PAYLOAD,
    );
    for l in &links {
        let (svg, png, side) = write_qr(out, &file_stem(&text, l.channel), &l.url)?;
        let _ = write!(
            report,
            "\n{:<9} {}\n",
            format!("{}:", label(l.channel)),
            l.url
        );
        if let Some(message) = &l.then_send {
            let _ = writeln!(
                report,
                "          then send: {message}  (print it next to the code: Matrix links \
                 cannot carry it)"
            );
        }
        let _ = writeln!(
            report,
            "          QR code: {} and {} ({side}×{side} px)",
            svg.display(),
            png.display()
        );
    }
    for note in notes {
        let _ = write!(report, "\n{note}\n");
    }
    Ok(report)
}

/// The target `what` names, checked against the shop, and how to call it.
fn target(shop: &Shop, what: &str) -> Result<(Option<Target>, String)> {
    let usage = "write p-PRODUCT_ID, c-CATEGORY_ID, finder or menu";
    if what == "finder" || what == "f" {
        return Ok((Some(Target::Finder), "the gift finder".to_owned()));
    }
    if what == "menu" {
        return Ok((None, "the welcome and the menu".to_owned()));
    }
    if let Some(id) = what.strip_prefix("p-") {
        let Some(product) = shop.product(id) else {
            let ids = shop.products().iter().map(|p| p.id.as_str());
            bail!(
                "there is no product `{id}` in the shop file; {}",
                hint(id, ids, "product")
            );
        };
        return Ok((
            Some(Target::Product(product.id.clone())),
            format!(
                "the product `{id}` ({})",
                product.name_in(shop.default_language())
            ),
        ));
    }
    if let Some(id) = what.strip_prefix("c-") {
        let Some(category) = shop.category(id) else {
            let ids = shop.categories().iter().map(|c| c.id.as_str());
            bail!(
                "there is no category `{id}` in the shop file; {}",
                hint(id, ids, "category")
            );
        };
        return Ok((
            Some(Target::Category(category.id.clone())),
            format!(
                "the category `{id}` ({})",
                category.name_in(shop.default_language())
            ),
        ));
    }
    // A bare id: say which kind it would be.
    if shop.product(what).is_some() {
        bail!("`{what}` is a product: write `p-{what}`");
    }
    if shop.category(what).is_some() {
        bail!("`{what}` is a category: write `c-{what}`");
    }
    bail!("cannot tell what `{what}` is; {usage}")
}

fn hint<'a>(id: &str, ids: impl Iterator<Item = &'a str>, what: &str) -> String {
    let ids: Vec<&str> = ids.collect();
    match closest(id, ids.iter().copied()) {
        Some(best) => format!("did you mean `{best}`?"),
        None => format!("`shopbot check` lists the shop; every {what} has an `id`"),
    }
}

/// The link of each configured channel to `text` (a payload), and why a
/// channel has none.
fn channel_links(shop: &Shop, text: &str) -> (Vec<ChannelLink>, Vec<String>) {
    let mut links = Vec::new();
    let mut notes = Vec::new();
    match telegram_username(shop) {
        Ok(Some(name)) => links.push(ChannelLink {
            channel: "telegram",
            url: links::telegram(&name, text),
            then_send: None,
        }),
        Ok(None) => notes.push(
            "Telegram: no link: shopbot needs the bot's username. Add `username = \"YourShopBot\"` \
             under [telegram] in the shop file, or make the bot's token available \
             (SHOPBOT_TELEGRAM_TOKEN or [telegram] token_file) so shopbot can ask Telegram."
                .to_owned(),
        ),
        Err(e) => notes.push(format!(
            "Telegram: no link: {e}. Add `username = \"YourShopBot\"` under [telegram] in the \
             shop file to make links without asking Telegram."
        )),
    }
    if let Some(matrix) = &shop.file.matrix {
        links.push(ChannelLink {
            channel: "matrix",
            url: links::matrix(&matrix.user),
            then_send: Some(links::matrix_message(text)),
        });
    }
    if let Some(web) = &shop.file.web {
        let public = web
            .public_url
            .as_deref()
            .and_then(crate::shop::origin_of)
            .unwrap_or_else(|| format!("http://{}", web.listen));
        links.push(ChannelLink {
            channel: "web",
            url: links::web(&public, text),
            then_send: None,
        });
    }
    (links, notes)
}

/// The bot's username: `[telegram] username`, else asked of Telegram with the
/// token; `None` when neither is there.
fn telegram_username(shop: &Shop) -> Result<Option<String>> {
    if let Some(name) = &shop.file.telegram.username {
        return Ok(Some(name.trim_start_matches('@').to_owned()));
    }
    let Some(token) = crate::channels::telegram::token(shop)? else {
        return Ok(None);
    };
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .context("cannot start the async runtime")?;
    let name = runtime.block_on(crate::channels::telegram::username(&token, GET_ME_WAIT))?;
    Ok(Some(name))
}

/// The QR files' name: the payload (its characters are safe in file names)
/// and the channel.
fn file_stem(payload: &str, channel: &str) -> String {
    if payload.is_empty() {
        format!("qr-menu-{channel}")
    } else {
        format!("qr-{payload}-{channel}")
    }
}

/// Writes `url`'s QR code as `stem.svg` and `stem.png`; returns their paths
/// and the PNG's side in pixels.
fn write_qr(out: &Path, stem: &str, url: &str) -> Result<(PathBuf, PathBuf, usize)> {
    let qr = Qr::new(url).with_context(|| format!("cannot draw the QR code of {url}"))?;
    let svg = out.join(format!("{stem}.svg"));
    let png = out.join(format!("{stem}.png"));
    std::fs::write(&svg, qr.svg()).with_context(|| format!("cannot write {}", svg.display()))?;
    std::fs::write(&png, qr.png()?).with_context(|| format!("cannot write {}", png.display()))?;
    Ok((svg, png, qr.png_side()))
}

fn label(channel: &str) -> &'static str {
    match channel {
        "telegram" => "Telegram",
        "web" => "Web chat",
        _ => "Matrix",
    }
}

/// A source tag made of what the owner typed: lowercase, other characters as `-`.
fn slug(tag: &str) -> String {
    let slug: String = tag
        .chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() {
                c.to_ascii_lowercase()
            } else {
                '-'
            }
        })
        .take(links::MAX_TAG)
        .collect();
    let slug = slug.trim_matches('-').to_owned();
    if slug.is_empty() {
        "instagram".to_owned()
    } else {
        slug
    }
}
