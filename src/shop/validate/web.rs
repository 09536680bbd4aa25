//! `[web]`: an address to listen on, the sites allowed to embed the chat, and
//! how it looks.

use std::net::SocketAddr;

use super::Check;
use crate::shop::{ShopFile, origin_of};

impl Check<'_> {
    pub(super) fn web(&mut self, file: &ShopFile) {
        let Some(web) = &file.web else { return };
        if web.listen.trim().parse::<SocketAddr>().is_err() {
            self.err(
                "web.listen",
                &format!("\"{}\" is not an address and port to listen on", web.listen),
                "write e.g. `127.0.0.1:8080` (behind a reverse proxy on this machine) or `0.0.0.0:8080`",
            );
        }
        if let Some(url) = &web.public_url
            && !is_origin(url)
        {
            self.err(
                "web.public_url",
                &format!("\"{url}\" is not the address of a site"),
                "write where browsers reach the bot, with no path, e.g. `https://chat.example.com`",
            );
        }
        for (i, origin) in web.allowed_origins.iter().enumerate() {
            if !is_origin(origin) {
                self.err(
                    &format!("web.allowed_origins[{i}]"),
                    &format!("\"{origin}\" is not a site's address"),
                    "write the address of the site that shows the chat, with no path, e.g. `https://www.example.com`",
                );
            }
        }
        let colour = web.colour.strip_prefix('#').unwrap_or_default();
        if colour.len() != 6 || !colour.bytes().all(|b| b.is_ascii_hexdigit()) {
            self.err(
                "web.colour",
                &format!("\"{}\" is not a colour", web.colour),
                "write it as `#RRGGBB`, e.g. `#1f6feb`",
            );
        }
        if let Some(avatar) = &web.avatar {
            self.image("web.avatar", avatar);
        }
        for (key, value) in [
            ("web.max_connections", web.max_connections),
            ("web.max_per_address", web.max_per_address),
            (
                "web.idle_minutes",
                usize::try_from(web.idle_minutes).unwrap_or(usize::MAX),
            ),
        ] {
            if value == 0 {
                self.err(key, "is 0", "write a number of 1 or more");
            }
        }
    }
}

/// `scheme://host[:port]` with nothing after it (a trailing `/` allowed).
fn is_origin(text: &str) -> bool {
    origin_of(text).is_some()
        && url::Url::parse(text.trim()).is_ok_and(|url| {
            url.path() == "/"
                && url.query().is_none()
                && url.fragment().is_none()
                && url.username().is_empty()
                && url.password().is_none()
        })
}
