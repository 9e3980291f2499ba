//! Gold, shops and the bank: a character's purse and bank container, the shops NPCs keep
//! (`assets/shops.toml`) and their stock left between restocks.

use rustc_hash::FxHashMap;

use bevy_ecs::prelude::{Component, Resource};
use serde::{Deserialize, Serialize};

use crate::items::Inventory;

/// A character's gold: what it carries and what the bank keeps for it.
#[derive(Component, Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Purse {
    pub gold: u64,
    pub bank_gold: u64,
}

/// A character's bank: a second saved container, reached at a banker NPC.
#[derive(Component, Debug, Clone, Default, PartialEq, Eq)]
pub struct Bank(pub Inventory);

/// `shops.toml` entry, keyed by the NPC template (mobs.toml) that keeps the shop.
#[derive(Debug, Clone, PartialEq, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct ShopDef {
    /// NPCs of this template also keep everyone's bank.
    #[serde(default)]
    pub banker: bool,
    /// Ticks after the first sale from a full stock until that ware is full again.
    #[serde(default = "default_restock")]
    pub restock_ticks: u32,
    /// What the shop sells.
    #[serde(default)]
    pub sells: Vec<Ware>,
    /// What the shop buys, and for how much each.
    #[serde(default)]
    pub buys: Vec<Offer>,
}

fn default_restock() -> u32 {
    600
}

/// One ware on sale: its price per piece and how many a full stock holds.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct Ware {
    pub item: String,
    pub price: u64,
    pub stock: u32,
}

/// One item a shop buys, at `price` gold per piece.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct Offer {
    pub item: String,
    pub price: u64,
}

/// Wares sold since the last restock: (shop NPC template, item) → (pieces sold, the tick the
/// stock is full again). A ware not in the map has its full stock.
/// (Fx: the same order in a run and its replay.)
#[derive(Resource, Debug, Default)]
pub struct ShopStock(pub FxHashMap<(String, String), (u32, u64)>);

impl ShopStock {
    /// How many of `ware` the shop `shop` has at `tick` (a due restock refills it).
    pub fn left(&mut self, shop: &str, ware: &Ware, tick: u64) -> u32 {
        let key = (shop.to_string(), ware.item.clone());
        match self.0.get(&key) {
            Some((_, full_at)) if tick >= *full_at => {
                self.0.remove(&key);
                ware.stock
            }
            Some((sold, _)) => ware.stock.saturating_sub(*sold),
            None => ware.stock,
        }
    }

    /// Notes `count` pieces sold at `tick`; the restock clock starts at the first sale.
    pub fn sold(&mut self, shop: &str, ware: &Ware, count: u32, tick: u64, restock_ticks: u32) {
        let entry = self
            .0
            .entry((shop.to_string(), ware.item.clone()))
            .or_insert((0, tick + u64::from(restock_ticks.max(1))));
        entry.0 = entry.0.saturating_add(count);
    }
}
