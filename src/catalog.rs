//! The item catalog the web client reads (`GET /content/items.json`): every item template the
//! world has loaded — name, kind, slot, stats, what a consumable does, description, stack size
//! — as one JSON document with its `ETag`. Built at start and again when a live reload is
//! handed to the world, so tooltips never show stats the server no longer uses.

use std::collections::BTreeMap;
use std::sync::{Arc, RwLock};

use axum::body::Bytes;
use emberkeep_components::content::{EquipSlot, ItemDef, ItemKind, Stat};
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
}

/// The catalog's JSON and the SHA-256 of it (for the `ETag`).
#[derive(Debug, Clone)]
pub struct CatalogFile {
    pub json: Bytes,
    pub hash: [u8; 32],
}

impl CatalogFile {
    /// `{"items":{"<id>":{...}}}` for these templates.
    pub fn build(items: &BTreeMap<String, ItemDef>) -> CatalogFile {
        let items: BTreeMap<&str, CatalogItem<'_>> = items
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
    /// A catalog of these templates.
    pub fn new(items: &BTreeMap<String, ItemDef>) -> ItemCatalog {
        ItemCatalog(RwLock::new(Arc::new(CatalogFile::build(items))))
    }

    /// The catalog now.
    pub fn current(&self) -> Arc<CatalogFile> {
        match self.0.read() {
            Ok(file) => file.clone(),
            Err(poisoned) => poisoned.into_inner().clone(),
        }
    }

    /// Replaces the catalog with one of these templates (after a reload).
    pub fn replace(&self, items: &BTreeMap<String, ItemDef>) {
        let file = Arc::new(CatalogFile::build(items));
        match self.0.write() {
            Ok(mut slot) => *slot = file,
            Err(poisoned) => *poisoned.into_inner() = file,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_item_lists_every_field_the_client_reads() {
        let items: BTreeMap<String, ItemDef> = toml::from_str(
            r#"
            [rusty_sword]
            name = "Rusty Sword"
            kind = "weapon"
            slot = "weapon"
            modifiers = { attack = 3 }
            percent = { crit_pct = 2 }
            description = "Mind the rust."
            "#,
        )
        .unwrap();
        let catalog = ItemCatalog::new(&items);
        let file = catalog.current();
        let v: serde_json::Value = serde_json::from_slice(&file.json).unwrap();
        assert_eq!(
            v,
            serde_json::json!({"items": {"rusty_sword": {
                "name": "Rusty Sword", "kind": "weapon", "slot": "weapon",
                "modifiers": {"attack": 3}, "percent": {"crit_pct": 2},
                "heal": 0, "mana": 0, "effect": null,
                "description": "Mind the rust.", "max_stack": 1
            }}})
        );
        let mut changed = items.clone();
        changed
            .get_mut("rusty_sword")
            .unwrap()
            .modifiers
            .insert(Stat::Attack, 4);
        catalog.replace(&changed);
        assert_ne!(
            catalog.current().hash,
            file.hash,
            "a new ETag after a change"
        );
    }
}
