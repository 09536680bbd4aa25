//! The figures per source: the journey's steps, orders and revenue of the
//! customers each deep link's tag brought (see `crate::links`). Steps and
//! orders carry the tag their conversation had at the time; `None` is the
//! customers who came without a link.

use std::collections::BTreeMap;

use rusqlite::{Connection, params};
use serde::Serialize;

use super::{Funnel, OrderStatus, Result};
use crate::shop::Money;

/// One source's figures.
#[derive(Debug, Clone, Default, PartialEq, Serialize)]
pub struct SourceFigures {
    /// The tag (`instagram`); `None`: no link.
    pub source: Option<String>,
    pub funnel: Funnel,
    /// Orders placed in the period and not cancelled.
    pub orders: u64,
    pub revenue: Money,
}

/// Every source with a step or an order in `since..until`: the tags in name
/// order, then the customers without a link. Empty when no step nor order of
/// the period came from a link (then the channels' figures say it all).
pub(super) fn per_source(conn: &Connection, since: i64, until: i64) -> Result<Vec<SourceFigures>> {
    let mut sources: BTreeMap<Option<String>, SourceFigures> = BTreeMap::new();
    let mut stmt = conn.prepare_cached(
        "SELECT source, step, COUNT(*) FROM events WHERE at >= ?1 AND at < ?2
         GROUP BY source, step",
    )?;
    let steps = stmt
        .query_map(params![since, until], |r| {
            Ok((
                r.get::<_, Option<String>>(0)?,
                r.get::<_, String>(1)?,
                r.get::<_, i64>(2)?,
            ))
        })?
        .collect::<rusqlite::Result<Vec<_>>>()?;
    for (source, step, n) in steps {
        entry(&mut sources, source)
            .funnel
            .add(&step, u64::try_from(n).unwrap_or(0));
    }
    let mut stmt = conn.prepare_cached(
        "SELECT source, COUNT(*), SUM(total) FROM orders
         WHERE created_at >= ?1 AND created_at < ?2 AND status <> ?3
         GROUP BY source",
    )?;
    let orders = stmt
        .query_map(params![since, until, OrderStatus::Cancelled], |r| {
            Ok((
                r.get::<_, Option<String>>(0)?,
                r.get::<_, i64>(1)?,
                r.get::<_, Money>(2)?,
            ))
        })?
        .collect::<rusqlite::Result<Vec<_>>>()?;
    for (source, n, revenue) in orders {
        let figures = entry(&mut sources, source);
        figures.orders = u64::try_from(n).unwrap_or(0);
        figures.revenue = revenue;
    }
    if sources.keys().all(Option::is_none) {
        return Ok(Vec::new());
    }
    // `None` sorts first in the map; the customers without a link come last.
    let mut list: Vec<SourceFigures> = sources.into_values().collect();
    let unlinked = usize::from(list.first().is_some_and(|f| f.source.is_none()));
    list.rotate_left(unlinked);
    Ok(list)
}

fn entry(
    sources: &mut BTreeMap<Option<String>, SourceFigures>,
    source: Option<String>,
) -> &mut SourceFigures {
    sources
        .entry(source.clone())
        .or_insert_with(|| SourceFigures {
            source,
            ..SourceFigures::default()
        })
}
