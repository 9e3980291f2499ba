//! `shops.toml`: each shop is kept by an NPC template that exists and is not hostile, sells
//! and buys items that exist, at prices of at least 1, with a sane stock and restock time.

use std::collections::BTreeSet;

use emberkeep_components::content::{ItemDef, MobDef};
use emberkeep_components::economy::ShopDef;

use super::content::{ContentProblem, Entries, Sink};
use super::content_checks::Reasons;

/// Longest restock time: a day at 20 ticks a second.
pub const MAX_RESTOCK_TICKS: u32 = 20 * 60 * 60 * 24;

pub(super) fn shops(
    shops: &Entries<ShopDef>,
    items: &Entries<ItemDef>,
    mobs: &Entries<MobDef>,
    out: &mut Vec<ContentProblem>,
) {
    let mut sink = Sink {
        file: &shops.file,
        out,
    };
    for (npc, shop) in &shops.defs {
        let mut c = Reasons::default();
        match mobs.defs.get(npc) {
            Some(m) if m.hostile => c.fail(format!(
                "the NPC template {npc:?} is hostile (mobs.toml); only a peaceful NPC keeps a shop"
            )),
            None if !mobs.knows(npc) => c.fail(format!(
                "the NPC template {npc:?} is not in mobs.toml; name the shop after the NPC keeping it"
            )),
            _ => {}
        }
        if !shop.banker && shop.sells.is_empty() && shop.buys.is_empty() {
            c.fail("the shop neither sells nor buys; add `sells`, `buys` or `banker = true`");
        }
        if !shop.sells.is_empty() {
            c.at_least("restock_ticks", shop.restock_ticks, 1);
            if shop.restock_ticks > MAX_RESTOCK_TICKS {
                c.fail(format!(
                    "restock_ticks must be at most {MAX_RESTOCK_TICKS}, got {}",
                    shop.restock_ticks
                ));
            }
        }
        let mut seen = BTreeSet::new();
        for (i, w) in shop.sells.iter().enumerate() {
            if !items.knows(&w.item) {
                c.fail(format!("sells[{i}].item {:?} is not in items.toml", w.item));
            }
            if !seen.insert(&w.item) {
                c.fail(format!("sells[{i}].item {:?} is sold twice", w.item));
            }
            c.at_least(&format!("sells[{i}].price"), w.price, 1);
            c.at_least(&format!("sells[{i}].stock"), w.stock, 1);
        }
        let mut seen = BTreeSet::new();
        for (i, o) in shop.buys.iter().enumerate() {
            if !items.knows(&o.item) {
                c.fail(format!("buys[{i}].item {:?} is not in items.toml", o.item));
            }
            if !seen.insert(&o.item) {
                c.fail(format!("buys[{i}].item {:?} is bought twice", o.item));
            }
            c.at_least(&format!("buys[{i}].price"), o.price, 1);
        }
        c.flush(&mut sink, npc);
    }
}
