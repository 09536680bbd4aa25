//! What the web chat serves besides the socket: its settings resolved (public
//! address, allowed origins), the widget with its configuration, the `/chat`
//! page, and the shop's pictures under names that change with their content.

use std::collections::HashMap;
use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::sync::{PoisonError, RwLock};
use std::time::Duration;

use crate::channels::escape_html;
use crate::channels::media::{file_hash, sha256};
use crate::shop::{Phrase, Shop, WebSettings, origin_of};
use serde_json::json;

/// The widget as written; `/*SHOPBOT_CONFIG*/null` is replaced by the shop's settings.
const WIDGET_JS: &str = include_str!("../../../assets/web/widget.js");
/// The widget's stylesheet.
pub const WIDGET_CSS: &str = include_str!("../../../assets/web/widget.css");
const CONFIG_MARK: &str = "/*SHOPBOT_CONFIG*/null";

/// The web chat's settings, resolved once the listener is bound.
pub struct Site {
    /// The origin browsers reach the bot at (`https://chat.example.com`).
    pub public: String,
    /// The origins whose pages may open the socket: the bot's own and `allowed_origins`.
    pub origins: Vec<String>,
    pub max_connections: usize,
    pub max_per_address: usize,
    pub idle: Duration,
    /// The widget script with its configuration, and its entity tag.
    pub widget: String,
    pub widget_etag: String,
    pub css_etag: String,
    /// The full-page chat.
    pub page: String,
    /// The `Content-Security-Policy` of the full page.
    pub page_csp: String,
}

impl Site {
    pub fn new(settings: &WebSettings, bound: SocketAddr, shop: &Shop, images: &Images) -> Self {
        let public = settings
            .public_url
            .as_deref()
            .and_then(origin_of)
            .unwrap_or_else(|| format!("http://{bound}"));
        let mut origins = vec![public.clone()];
        origins.extend(settings.allowed_origins.iter().filter_map(|o| origin_of(o)));
        origins.dedup();
        let title = settings
            .title
            .clone()
            .unwrap_or_else(|| shop.name().to_owned());
        let avatar = settings
            .avatar
            .as_deref()
            .and_then(|file| images.url_of(&shop.base_dir, file));
        let widget = WIDGET_JS.replacen(
            CONFIG_MARK,
            &config(shop, settings, &title, avatar.as_deref()),
            1,
        );
        let lang = shop.default_language();
        let page = format!(
            "<!doctype html>\n<html lang=\"{}\"><head><meta charset=\"utf-8\">\
             <meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\
             <title>{}</title></head><body>\
             <script src=\"/widget.js\" data-mode=\"page\"></script></body></html>\n",
            escape_html(lang).replace('"', "&quot;"),
            escape_html(&title)
        );
        let ancestors = if settings.allowed_origins.is_empty() {
            "'none'".to_owned()
        } else {
            origins[1..].join(" ")
        };
        let page_csp = format!(
            "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data: https:; \
             connect-src 'self'; base-uri 'none'; form-action 'none'; frame-ancestors {ancestors}"
        );
        Self {
            public,
            origins,
            max_connections: settings.max_connections,
            max_per_address: settings.max_per_address,
            idle: Duration::from_secs(u64::from(settings.idle_minutes.max(1)) * 60),
            widget_etag: etag(widget.as_bytes()),
            css_etag: etag(WIDGET_CSS.as_bytes()),
            widget,
            page,
            page_csp,
        }
    }

    /// Whether a page of `origin` may open the chat.
    pub fn allows(&self, origin: &str) -> bool {
        origin_of(origin).is_some_and(|o| self.origins.contains(&o))
    }
}

/// The widget's configuration: title, colour, avatar, the shop's languages and
/// the widget's own words in each (the shop's `[texts]` overrides included).
/// As JSON with `<` escaped, so it can never close a script element.
fn config(shop: &Shop, settings: &WebSettings, title: &str, avatar: Option<&str>) -> String {
    let ui: serde_json::Map<String, serde_json::Value> = shop
        .languages()
        .into_iter()
        .map(|lang| {
            let texts = shop.texts(&lang);
            let words = json!({
                "open": texts.get(Phrase::WebOpen),
                "close": texts.get(Phrase::WebClose),
                "placeholder": texts.get(Phrase::WebPlaceholder),
                "send": texts.get(Phrase::WebSend),
                "connecting": texts.get(Phrase::WebConnecting),
                "offline": texts.get(Phrase::WebOffline),
                "slow": texts.get(Phrase::WebSlow),
                "unread": texts.get(Phrase::WebUnread),
            });
            (lang, words)
        })
        .collect();
    json!({
        "title": title,
        "colour": settings.colour,
        "avatar": avatar,
        "lang": shop.default_language(),
        "languages": shop.languages(),
        "ui": ui,
    })
    .to_string()
    .replace('<', "\\u003c")
}

/// A strong entity tag of some bytes.
fn etag(bytes: &[u8]) -> String {
    format!("\"{}\"", &sha256(bytes)[..32])
}

/// A picture the chat may serve.
#[derive(Debug, Clone)]
pub struct Picture {
    pub path: PathBuf,
    pub mime: &'static str,
}

/// The shop's pictures by public name (`/img/NAME`): the first 20 hex digits
/// of the content's SHA-256 (the hash the cards already keep per file, see
/// [`file_hash`]) and the extension, so a name is cached for ever and a
/// changed picture gets a new one. Only pictures the shop shows are ever
/// served; nothing else of the shop's folder is reachable.
#[derive(Default)]
pub struct Images {
    by_name: RwLock<HashMap<String, Picture>>,
}

impl Images {
    /// Names every local picture of the catalog, `images` next to `base` (so
    /// a page cached from before a restart still finds them).
    pub fn name_all(&self, base: &Path, images: &[String]) {
        for image in images {
            let _ = self.url_of(base, image);
        }
    }

    /// The URL the page shows `image` with (a path next to the shop file, or
    /// an `https://` link, given as is); `None` when the file cannot be read
    /// or is no picture.
    pub fn url_of(&self, base: &Path, image: &str) -> Option<String> {
        if image.starts_with("https://") {
            return Some(image.to_owned());
        }
        if image.contains("://") {
            return None;
        }
        let path = base.join(image);
        let mime = mime_of(&path)?;
        let ext = path.extension()?.to_str()?.to_ascii_lowercase();
        let name = format!("{}.{ext}", &file_hash(&path).ok()?[..20]);
        let known = self
            .by_name
            .read()
            .unwrap_or_else(PoisonError::into_inner)
            .get(&name)
            .is_some_and(|picture| picture.path == path);
        if !known {
            self.by_name
                .write()
                .unwrap_or_else(PoisonError::into_inner)
                .insert(name.clone(), Picture { path, mime });
        }
        Some(format!("/img/{name}"))
    }

    /// The picture named `name`, if the shop shows one by that name.
    pub fn picture(&self, name: &str) -> Option<Picture> {
        self.by_name
            .read()
            .unwrap_or_else(PoisonError::into_inner)
            .get(name)
            .cloned()
    }
}

/// The content type of a picture file, by its extension; `None`: not a picture.
fn mime_of(path: &Path) -> Option<&'static str> {
    let ext = path.extension()?.to_str()?.to_ascii_lowercase();
    Some(match ext.as_str() {
        "png" => "image/png",
        "jpg" | "jpeg" => "image/jpeg",
        "gif" => "image/gif",
        "webp" => "image/webp",
        _ => return None,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_the_shops_pictures_get_names_and_a_change_gets_a_new_one() {
        let dir = tempfile::tempdir().unwrap();
        std::fs::write(dir.path().join("a.png"), b"one").unwrap();
        std::fs::write(dir.path().join("notes.txt"), b"secret").unwrap();
        let images = Images::default();
        let url = images.url_of(dir.path(), "a.png").unwrap();
        assert!(url.starts_with("/img/"), "{url}");
        assert_eq!(Path::new(&url).extension(), Some("png".as_ref()));
        let name = url.trim_start_matches("/img/");
        assert_eq!(images.picture(name).unwrap().mime, "image/png");
        assert_eq!(images.url_of(dir.path(), "notes.txt"), None);
        assert_eq!(images.url_of(dir.path(), "missing.png"), None);
        assert_eq!(images.url_of(dir.path(), "ftp://x/a.png"), None);
        assert_eq!(
            images
                .url_of(dir.path(), "https://cdn.example/a.png")
                .as_deref(),
            Some("https://cdn.example/a.png")
        );
        std::fs::write(dir.path().join("a.png"), b"two, longer").unwrap();
        let changed = images.url_of(dir.path(), "a.png").unwrap();
        assert_ne!(changed, url);
    }
}
