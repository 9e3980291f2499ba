//! Components for items: instances, inventories, equipment, and items lying on the ground.

use std::collections::BTreeMap;

use bevy_ecs::prelude::{Component, Resource};

use crate::content::EquipSlot;
use crate::protocol::Gear;

/// One item (or stack): a unique id that is never reused, its template and how many.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ItemInstance {
    pub id: u64,
    /// Id in items.toml.
    pub template: String,
    pub count: u32,
}

/// Allocates item ids; never hands out the same id twice.
#[derive(Resource, Debug)]
pub struct ItemIds {
    next: u64,
}

impl Default for ItemIds {
    fn default() -> Self {
        ItemIds { next: 1 }
    }
}

impl ItemIds {
    /// Continues after `last`, e.g. the highest id found in storage.
    pub fn starting_after(last: u64) -> Self {
        ItemIds { next: last + 1 }
    }

    /// A fresh id.
    pub fn allocate(&mut self) -> u64 {
        let id = self.next;
        self.next += 1;
        id
    }

    /// The next id that would be handed out.
    pub fn peek(&self) -> u64 {
        self.next
    }

    /// Ids never repeat: the next one goes above `highest` (an id found in storage) when
    /// that id is of this allocator's block. In a cluster each process hands out ids from a
    /// block of its own ([`ITEM_BLOCK_BITS`]); an item from another process's block (a
    /// character handed over with it) must not move this counter into that block, where
    /// the other process goes on handing out the same ids.
    pub fn lift_above(&mut self, highest: u64) {
        let same_block = highest >> ITEM_BLOCK_BITS == self.next >> ITEM_BLOCK_BITS;
        if same_block && self.next <= highest {
            self.next = highest + 1;
        }
    }
}

/// A process of a cluster hands out item ids from a block of 2^36 it reserved at start.
pub const ITEM_BLOCK_BITS: u32 = 36;

/// A player's bag: each instance takes one slot.
#[derive(Component, Debug, Clone, Default, PartialEq, Eq)]
pub struct Inventory {
    pub items: Vec<ItemInstance>,
    pub slots: u32,
}

impl Inventory {
    /// Whether another slot is free.
    pub fn has_room(&self) -> bool {
        (self.items.len() as u32) < self.slots
    }

    /// Position of an instance by id.
    pub fn find(&self, id: u64) -> Option<usize> {
        self.items.iter().position(|i| i.id == id)
    }
}

/// What a player wears.
#[derive(Component, Debug, Clone, Default, PartialEq, Eq)]
pub struct Equipment(pub BTreeMap<EquipSlot, ItemInstance>);

impl Equipment {
    /// What others see of it: the drawn slots' item templates.
    pub fn visible(&self) -> Gear {
        Gear::of(self.0.iter().map(|(s, i)| (*s, i.template.as_str())))
    }
}

/// The gear a player's viewers were last told about (its spawn says this; an `appearance`
/// event goes out when [`Equipment::visible`] no longer matches it).
#[derive(Component, Debug, Clone, Default, PartialEq, Eq)]
pub struct ShownGear(pub Gear);

/// Marks a player whose inventory or equipment changed this tick (to announce it).
#[derive(Component, Debug, Clone, Copy, Default)]
pub struct ItemsDirty;

/// An item lying on the ground: whose it is for now, and when it disappears.
#[derive(Component, Debug, Clone, PartialEq, Eq)]
pub struct GroundItem {
    pub item: ItemInstance,
    /// Only the character of this lower-case name may pick it up before `owner_until` (a
    /// name, not an entity, so that ownership survives a restart).
    pub owner: Option<Box<str>>,
    pub owner_until: u64,
    pub despawn_at: u64,
}

#[cfg(test)]
mod id_tests {
    use super::{ITEM_BLOCK_BITS, ItemIds};

    /// Issue 20: a character handed over from another process carries ids of that process's
    /// block; they must not move this process's counter there (both would then hand out the
    /// same ids). Ids of its own block (or alone, all ids) still do.
    #[test]
    fn ids_of_another_processs_block_do_not_move_the_counter() {
        let mine = 1 << ITEM_BLOCK_BITS;
        let mut ids = ItemIds::starting_after(mine - 1);
        ids.lift_above((2 << ITEM_BLOCK_BITS) + 40);
        assert_eq!(ids.peek(), mine, "another block: unmoved");
        ids.lift_above(mine + 9);
        assert_eq!(ids.peek(), mine + 10, "its own block: above it");
        let mut alone = ItemIds::default();
        alone.lift_above(41);
        assert_eq!(alone.allocate(), 42);
    }
}
