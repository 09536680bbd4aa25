//! Telegram Stars: what a digital product costs in Stars (currency `XTR`,
//! whole Stars only), and what an order of them costs.

use super::{Money, Payment, Product, Shop};

/// The currency code of Telegram Stars.
pub const XTR: &str = "XTR";

impl Shop {
    /// One unit of `product` in Stars with method `method`: its own `stars`
    /// price, else its price times the method's `stars_rate`, rounded up.
    pub fn stars_price(&self, product: &Product, method: &Payment) -> Option<u32> {
        product.stars.or_else(|| {
            let rate = method.stars_rate?;
            #[allow(clippy::cast_precision_loss)] // prices far below 2^52 cents
            let stars = (product.price.cents() as f64 / 100.0 * rate).ceil();
            (stars.is_finite() && stars >= 1.0 && stars <= f64::from(u32::MAX)).then(|| {
                #[allow(clippy::cast_possible_truncation, clippy::cast_sign_loss)]
                let whole = stars as u32;
                whole
            })
        })
    }

    /// What `lines` (product id, quantity) cost in Stars with `method`, the
    /// coupon's discount taken off in the same proportion as from `subtotal`
    /// to `total` (rounded up, at least 1 Star); `None` when a line is not
    /// a digital product with a Stars price (Telegram takes Stars for digital
    /// goods only).
    pub fn stars_total(
        &self,
        lines: &[(&str, u32)],
        method: &Payment,
        subtotal: Money,
        total: Money,
    ) -> Option<u32> {
        let mut gross: u64 = 0;
        for (id, qty) in lines {
            let product = self.product(id).filter(|p| p.digital.is_some())?;
            gross = gross
                .saturating_add(u64::from(self.stars_price(product, method)?) * u64::from(*qty));
        }
        if gross == 0 {
            return None;
        }
        let (sub, tot) = (subtotal.cents(), total.cents());
        let net = if sub > 0 && (0..sub).contains(&tot) {
            // gross × total / subtotal, rounded up, in integers.
            let (tot, sub) = (tot.unsigned_abs(), sub.unsigned_abs());
            (u128::from(gross) * u128::from(tot)).div_ceil(u128::from(sub))
        } else {
            u128::from(gross)
        };
        u32::try_from(net.max(1)).ok()
    }
}

#[cfg(test)]
mod tests {
    use super::super::Shop;
    use super::Money;

    fn shop() -> Shop {
        let src = r#"
[shop]
name = "Patterns"
currency = "EUR"
[[categories]]
id = "p"
name = "Patterns"
[[products]]
id = "castle"
name = "Castle pattern"
price = 4.99
category = "p"
digital.file = "Cargo.toml"
[[products]]
id = "tower"
name = "Tower pattern"
price = 2
stars = 150
category = "p"
digital.file = "Cargo.toml"
[[products]]
id = "brick"
name = "A brick"
price = 1
stock = 3
category = "p"
[[delivery]]
id = "post"
name = "Post"
price = 3
[[payment]]
id = "stars"
kind = "stars"
name = "Telegram Stars"
stars_rate = 50
"#;
        Shop::from_source(
            "t",
            src,
            std::path::PathBuf::from(env!("CARGO_MANIFEST_DIR")),
        )
        .unwrap_or_else(|e| panic!("{e}"))
    }

    #[test]
    fn prices_in_whole_stars() {
        let shop = shop();
        let m = &shop.file.payment[0];
        let castle = shop.product("castle").unwrap();
        // 4.99 × 50 = 249.5 → 250 (rounded up).
        assert_eq!(shop.stars_price(castle, m), Some(250));
        assert_eq!(
            shop.stars_price(shop.product("tower").unwrap(), m),
            Some(150)
        );
        let sub = Money::from_cents(499 * 2 + 200);
        assert_eq!(
            shop.stars_total(&[("castle", 2), ("tower", 1)], m, sub, sub),
            Some(650)
        );
        // 10% off: 650 × 0.9 = 585.
        let off = Money::from_cents(1198 - 120);
        assert_eq!(
            shop.stars_total(&[("castle", 2), ("tower", 1)], m, sub, off),
            Some(585)
        );
        // A physical product cannot be paid in Stars.
        assert_eq!(shop.stars_total(&[("brick", 1)], m, sub, sub), None);
        assert_eq!(
            shop.stars_total(&[("castle", 1), ("brick", 1)], m, sub, sub),
            None
        );
        assert_eq!(shop.stars_total(&[("nope", 1)], m, sub, sub), None);
        // A free order still costs 1 Star (Telegram takes no empty invoice).
        assert_eq!(
            shop.stars_total(&[("tower", 1)], m, sub, Money::ZERO),
            Some(1)
        );
    }
}
