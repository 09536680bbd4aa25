//! Money as whole cents, never floats.

use std::fmt;

use serde::de::{self, Deserializer, Visitor};
use serde::{Deserialize, Serialize};

/// An amount in cents (hundredths of the shop's currency).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Default, Serialize)]
#[serde(transparent)]
pub struct Money(pub i64);

impl Money {
    pub const ZERO: Self = Self(0);

    pub fn cents(self) -> i64 {
        self.0
    }

    /// `amount` times `qty`, saturating instead of overflowing.
    #[must_use]
    pub fn times(self, qty: u32) -> Self {
        Self(self.0.saturating_mul(i64::from(qty)))
    }

    /// `percent`% of this amount, rounded half up to the cent.
    #[must_use]
    pub fn percent(self, percent: u32) -> Self {
        Self((self.0.saturating_mul(i64::from(percent)) + 50) / 100)
    }

    /// Parses `12`, `12.5`, `12.50` (a dot or a comma as decimal mark).
    pub fn parse(text: &str) -> Option<Self> {
        let text = text.trim().replace(',', ".");
        let (whole, frac) = text.split_once('.').unwrap_or((&text, ""));
        if whole.is_empty() || frac.len() > 2 || !whole.bytes().all(|b| b.is_ascii_digit()) {
            return None;
        }
        if !frac.bytes().all(|b| b.is_ascii_digit()) {
            return None;
        }
        let whole: i64 = whole.parse().ok()?;
        let frac: i64 = match frac.len() {
            0 => 0,
            1 => frac.parse::<i64>().ok()? * 10,
            _ => frac.parse().ok()?,
        };
        whole.checked_mul(100)?.checked_add(frac).map(Self)
    }

    /// Formats with the currency in English style: `€49.99`, or `49.99 CHF` for
    /// currencies without a common symbol.
    pub fn display(self, currency: &str) -> String {
        self.format(currency, "{symbol}{amount}", ".")
    }

    /// The bare amount with two decimals and its sign: `-0.50`, `1234.05`.
    pub fn decimal(self, decimal_mark: &str) -> String {
        let sign = if self.0 < 0 { "-" } else { "" };
        let abs = self.0.unsigned_abs();
        format!("{sign}{}{decimal_mark}{:02}", abs / 100, abs % 100)
    }

    /// Formats with a language's pattern (`{symbol}{amount}` or `{amount} {symbol}`)
    /// and decimal mark; currencies without a common symbol always read `49.99 CHF`.
    pub fn format(self, currency: &str, pattern: &str, decimal_mark: &str) -> String {
        let amount = self.decimal(decimal_mark);
        let symbol = match currency {
            "EUR" => "€",
            "USD" => "$",
            "GBP" => "£",
            "RON" => "lei",
            _ => return format!("{amount} {currency}"),
        };
        pattern
            .replace("{symbol}", symbol)
            .replace("{amount}", &amount)
    }
}

impl<'de> Deserialize<'de> for Money {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        struct MoneyVisitor;
        impl Visitor<'_> for MoneyVisitor {
            type Value = Money;
            fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
                f.write_str("an amount such as 12 or 12.50")
            }
            fn visit_i64<E: de::Error>(self, v: i64) -> Result<Money, E> {
                v.checked_mul(100)
                    .map(Money)
                    .ok_or_else(|| E::custom("amount too large"))
            }
            fn visit_u64<E: de::Error>(self, v: u64) -> Result<Money, E> {
                i64::try_from(v)
                    .map_err(|_| E::custom("amount too large"))
                    .and_then(|v| self.visit_i64(v))
            }
            fn visit_f64<E: de::Error>(self, v: f64) -> Result<Money, E> {
                let cents = (v * 100.0).round();
                if !cents.is_finite() || cents.abs() > 1e15 {
                    return Err(E::custom("amount too large"));
                }
                if ((v * 100.0) - cents).abs() > 1e-6 {
                    return Err(E::custom(
                        "an amount has at most two decimals, such as 12.50",
                    ));
                }
                #[allow(clippy::cast_possible_truncation)]
                Ok(Money(cents as i64))
            }
        }
        deserializer.deserialize_any(MoneyVisitor)
    }
}

#[cfg(test)]
mod tests {
    use super::Money;

    #[test]
    fn parses_and_displays() {
        assert_eq!(Money::parse("12"), Some(Money(1200)));
        assert_eq!(Money::parse("12,5"), Some(Money(1250)));
        assert_eq!(Money::parse("0.05"), Some(Money(5)));
        assert_eq!(Money::parse("1.234"), None);
        assert_eq!(Money::parse("-1"), None);
        assert_eq!(Money(4999).display("EUR"), "€49.99");
        assert_eq!(Money(-500).display("CHF"), "-5.00 CHF");
        assert_eq!(
            Money(4999).format("EUR", "{amount} {symbol}", ","),
            "49,99 €"
        );
        assert_eq!(
            Money(500).format("RON", "{amount} {symbol}", ","),
            "5,00 lei"
        );
        assert_eq!(Money(1999).percent(10), Money(200));
    }

    #[test]
    fn a_negative_amount_under_one_keeps_its_sign() {
        // The CSV export printed -50 cents as "0.50".
        assert_eq!(Money(-50).decimal("."), "-0.50");
        assert_eq!(Money(-5).display("EUR"), "€-0.05");
        assert_eq!(Money(123_405).decimal(","), "1234,05");
        assert_eq!(Money(i64::MIN).decimal("."), "-92233720368547758.08");
    }
}
