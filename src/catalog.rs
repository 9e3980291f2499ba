//! The item catalog the web client reads (`GET /content/items.json`): every item template the
//! world has loaded — name, kind, slot, stats, what a consumable does, description, stack size
//! and whether it can be used — as one JSON document with its `ETag`. Built at start and again when a live reload is
//! handed to the world, so tooltips never show stats the server no longer uses.

use std::collections::BTreeMap;
use std::sync::{Arc, RwLock};

use axum::body::Bytes;
use emberkeep_components::content::{Content, EquipSlot, ItemKind, Stat};
use serde::Serialize;
use sha2::Digest;

/// One item as the client sees it.
#[derive(Serialize)]
struct CatalogItem<'a> {
    name: &'a str,
    kind: ItemKind,
    slot: Option<EquipSlot>,
    modifiers: &'a BTreeMap<Stat, i32>,
    percent: &'a BTreeMap<Stat, i32>,
    heal: i32,
    mana: i32,
    effect: Option<&'a str>,
    description: &'a str,
    max_stack: u32,
    /// `use` does something: a consumable, or an item a story trigger listens for.
    usable: bool,
}

/// The catalog's JSON and the SHA-256 of it (for the `ETag`).
#[derive(Debug, Clone)]
pub struct CatalogFile {
    pub json: Bytes,
    pub hash: [u8; 32],
}

impl CatalogFile {
    /// `{"items":{"<id>":{...}}}` for the item templates of `content`.
    pub fn build(content: &Content) -> CatalogFile {
        let triggers = &content.story.index.use_item;
        let items: BTreeMap<&str, CatalogItem<'_>> = content
            .items
            .iter()
            .map(|(id, d)| {
                let item = CatalogItem {
                    name: &d.name,
                    kind: d.kind,
                    slot: d.slot,
                    modifiers: &d.modifiers,
                    percent: &d.percent,
                    heal: d.heal,
                    mana: d.mana,
                    effect: d.effect.as_deref(),
                    description: &d.description,
                    max_stack: d.max_stack,
                    usable: d.kind == ItemKind::Consumable || triggers.contains_key(id),
                };
                (id.as_str(), item)
            })
            .collect();
        // Plain maps of strings and numbers: serialising cannot fail.
        let json = serde_json::to_vec(&serde_json::json!({ "items": items })).unwrap_or_default();
        let hash = sha2::Sha256::digest(&json).into();
        CatalogFile {
            json: Bytes::from(json),
            hash,
        }
    }
}

/// The current catalog, shared by the HTTP handler (reads) and the reloader (replaces).
#[derive(Debug)]
pub struct ItemCatalog(RwLock<Arc<CatalogFile>>);

impl ItemCatalog {
    /// A catalog of the item templates of `content`.
    pub fn new(content: &Content) -> ItemCatalog {
        ItemCatalog(RwLock::new(Arc::new(CatalogFile::build(content))))
    }

    /// The catalog now.
    pub fn current(&self) -> Arc<CatalogFile> {
        match self.0.read() {
            Ok(file) => file.clone(),
            Err(poisoned) => poisoned.into_inner().clone(),
        }
    }

    /// Replaces the catalog with one of the templates of `content` (after a reload).
    pub fn replace(&self, content: &Content) {
        let file = Arc::new(CatalogFile::build(content));
        match self.0.write() {
            Ok(mut slot) => *slot = file,
            Err(poisoned) => *poisoned.into_inner() = file,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn shipped() -> Content {
        let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("assets");
        match crate::assets::load_assets(&dir, "emberfield", 16) {
            Ok(a) => a.content,
            Err(e) => panic!("the shipped assets load: {e}"),
        }
    }

    fn json(file: &CatalogFile) -> serde_json::Value {
        serde_json::from_slice(&file.json).unwrap()
    }

    #[test]
    fn an_item_lists_every_field_the_client_reads() {
        let content = shipped();
        let v = json(&CatalogFile::build(&content));
        assert_eq!(
            v["items"]["rusty_sword"],
            serde_json::json!({
                "name": "Rusty Sword", "kind": "weapon", "slot": "weapon",
                "modifiers": {"attack": 3}, "percent": {},
                "heal": 0, "mana": 0, "effect": null,
                "description": "Every adventurer's first blade. Mind the rust.",
                "max_stack": 1, "usable": false
            })
        );
        assert_eq!(v["items"]["minor_health_potion"]["heal"], 30);
        assert_eq!(v["items"]["minor_health_potion"]["usable"], true);
        assert_eq!(v["items"]["rat_tail"]["usable"], false);
        assert_eq!(
            v["items"].as_object().map(|m| m.len()),
            Some(content.items.len())
        );
    }

    #[test]
    fn a_replaced_catalog_has_the_new_stats_and_a_new_hash() {
        let mut content = shipped();
        let catalog = ItemCatalog::new(&content);
        let before = catalog.current();
        if let Some(sword) = content.items.get_mut("rusty_sword") {
            sword.modifiers.insert(Stat::Attack, 4);
        }
        catalog.replace(&content);
        let after = catalog.current();
        assert_ne!(after.hash, before.hash, "a new ETag after a change");
        assert_eq!(
            json(&after)["items"]["rusty_sword"]["modifiers"]["attack"],
            4
        );
    }
}
