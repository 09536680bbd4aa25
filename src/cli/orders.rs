//! `shopbot orders`: the orders as a table for people or as CSV.

use std::io::Write;

use anyhow::Result;

use crate::engine::Order;
use crate::shop::Shop;

fn date_of(seconds: i64, shop: Option<&Shop>) -> String {
    let Ok(ts) = jiff::Timestamp::from_second(seconds) else {
        return seconds.to_string();
    };
    match shop {
        Some(shop) => ts
            .to_zoned(shop.time_zone.clone())
            .strftime("%Y-%m-%d %H:%M")
            .to_string(),
        None => ts.to_string(),
    }
}

fn items_of(order: &Order) -> String {
    order
        .lines
        .iter()
        .map(|l| format!("{} x{}", l.name, l.qty))
        .collect::<Vec<_>>()
        .join("; ")
}

pub(super) fn write_table(out: &mut impl Write, shop: &Shop, orders: &[Order]) -> Result<()> {
    if orders.is_empty() {
        writeln!(out, "No orders yet.")?;
        return Ok(());
    }
    for o in orders {
        writeln!(
            out,
            "#{}  {}  {:<9}  {:<8}  {}  {}",
            o.number,
            date_of(o.created_at, Some(shop)),
            o.status,
            o.channel,
            o.total.display(&o.currency),
            o.fields.get("name").map_or("", String::as_str),
        )?;
        writeln!(out, "      {}", items_of(o))?;
    }
    writeln!(out, "{} order(s).", orders.len())?;
    Ok(())
}

/// One CSV field: quoted when needed, and with a leading `'` where a spreadsheet
/// would read it as a formula.
fn csv_field(value: &str) -> String {
    let value = if value.starts_with(['=', '+', '-', '@', '\t', '\r']) {
        format!("'{value}")
    } else {
        value.to_owned()
    };
    if value.contains([',', '"', '\n', '\r']) {
        format!("\"{}\"", value.replace('"', "\"\""))
    } else {
        value
    }
}

pub(super) fn write_csv(out: &mut impl Write, orders: &[Order]) -> Result<()> {
    writeln!(
        out,
        "number,created_at,status,channel,chat_id,name,phone,email,address,note,items,\
         subtotal,discount,delivery,total,currency,coupon,delivery_option,payment"
    )?;
    let cents = |m: crate::shop::Money| m.decimal(".");
    for o in orders {
        let field = |k: &str| o.fields.get(k).cloned().unwrap_or_default();
        let row = [
            o.number.clone(),
            date_of(o.created_at, None),
            o.status.to_string(),
            o.channel.to_string(),
            o.chat_id.clone(),
            field("name"),
            field("phone"),
            field("email"),
            field("address"),
            field("note"),
            items_of(o),
            cents(o.subtotal),
            cents(o.discount),
            cents(o.delivery_price),
            cents(o.total),
            o.currency.clone(),
            o.coupon.clone().unwrap_or_default(),
            o.delivery_id.clone(),
            o.payment_id.clone(),
        ];
        let line: Vec<String> = row.iter().map(|v| csv_field(v)).collect();
        writeln!(out, "{}", line.join(","))?;
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::csv_field;

    #[test]
    fn csv_fields_are_quoted_and_defused() {
        assert_eq!(csv_field("plain"), "plain");
        assert_eq!(csv_field("a,b"), "\"a,b\"");
        assert_eq!(csv_field("say \"hi\""), "\"say \"\"hi\"\"\"");
        assert_eq!(csv_field("=SUM(A1)"), "'=SUM(A1)");
    }
}
