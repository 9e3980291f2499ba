//! What others see a player wear: when an equip, unequip or swap changes a drawn slot
//! (weapon, head, chest, shield), everyone who sees the player (the player included) gets an
//! `appearance` event with the whole visible gear. A player's `spawn` carries the same gear.
//!
//! Only players marked [`ItemsDirty`] this tick are looked at (every change to equipment
//! marks it), and an event goes out only when the visible gear differs from what viewers
//! were last told ([`ShownGear`]): a potion drunk or a legs piece swapped sends nothing.

use bevy_ecs::prelude::*;
use emberkeep_components::items::{Equipment, ItemsDirty, ShownGear};
use emberkeep_components::protocol::{ServerEvent, encode_event};
use emberkeep_components::regions::RegionGrid;
use emberkeep_components::world::{NetId, RegionCell};

/// Sends `appearance` for each player whose visible gear changed this tick. Runs before the
/// region tracking, so a viewer that comes into view this tick gets the new gear in its
/// `spawn`.
pub(crate) fn announce_appearance(
    mut grid: ResMut<RegionGrid>,
    mut changed: Query<(&NetId, &Equipment, &mut ShownGear, &RegionCell), With<ItemsDirty>>,
) {
    for (id, equipment, mut shown, cell) in &mut changed {
        let gear = equipment.visible();
        if gear == shown.0 {
            continue;
        }
        shown.0 = gear.clone();
        // (Not placed yet: its spawn will carry the gear.)
        if *cell == RegionCell::NONE {
            continue;
        }
        let event = ServerEvent::Appearance { id: id.0, gear };
        grid.broadcast(cell.0, &encode_event(&event));
    }
}
