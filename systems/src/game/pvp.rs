//! Players fighting players: the one rule of who may harm whom ([`may_harm`], and
//! [`refusal`] saying why not), the duel's last blow ([`cap_duel_damage`], which every damage
//! path between two creatures calls), and what a PvP death leaves on the ground
//! ([`drop_inventory`]). The duel's flow (requests, forfeits, endings) is `game::duel`.
//!
//! Two players may harm each other only when neither stands in a `safe` zone and either both
//! stand in a `pvp` zone or they duel each other.

use bevy_ecs::prelude::*;
use emberkeep_components::items::Inventory;
use emberkeep_components::map::{Tile, TileMap};
use emberkeep_components::pvp::{DuelEndReason, Duels};
use emberkeep_components::text::{Key, keys};
use emberkeep_components::world::Tick;

/// Whether player `a` may harm player `b`, each at its tile.
pub(crate) fn may_harm(map: &TileMap, duels: &Duels, a: (Entity, Tile), b: (Entity, Tile)) -> bool {
    refusal(map, duels, a, b).is_none()
}

/// Why player `a` may not harm player `b` (a text taking the other's `name`), or `None` when
/// it may.
pub(crate) fn refusal(
    map: &TileMap,
    duels: &Duels,
    a: (Entity, Tile),
    b: (Entity, Tile),
) -> Option<Key> {
    if map.is_safe(a.1) || map.is_safe(b.1) {
        return Some(keys::PVP_SAFE_ZONE);
    }
    if duels.dueling(a.0, b.0) {
        return None;
    }
    match (map.is_pvp(a.1), map.is_pvp(b.1)) {
        (true, true) => None,
        (false, false) => Some(keys::PVP_NOT_DUELING),
        _ => Some(keys::PVP_NOT_PVP_ZONE),
    }
}

/// The damage `source` may deal `target` (at `hp`) of `damage`: between duelists, a blow that
/// would take the target to 0 hp or below leaves it at 1 hp and ends the duel, the target
/// losing (`duel_end` with reason `defeat`, announced by the World phase). Every other blow is
/// `damage` unchanged. Every damage path between two creatures calls this before lowering hp
/// (attacks, damage over time, abilities); it costs one map lookup while duels run, nothing
/// otherwise.
pub(crate) fn cap_duel_damage(
    duels: &mut Duels,
    source: Entity,
    target: Entity,
    hp: i32,
    damage: i32,
) -> i32 {
    if damage < hp || !duels.dueling(source, target) {
        return damage;
    }
    duels.end(target, DuelEndReason::Defeat);
    hp.saturating_sub(1).max(0)
}

/// A player killed by `killer` where PvP deaths drop items: everything in `victim`'s bag
/// (not what it wears) lands on its tile, owned by the killer for the loot time. The bag's
/// change is saved in the tick's one batch (with the death). Items offered in an open trade
/// drop too: the trade is cancelled by the World phase of this same tick (the victim is
/// dead), before anything could change hands.
pub(crate) fn drop_inventory(world: &mut World, victim: Entity, killer: Entity, tile: Tile) {
    let tick = world.resource::<Tick>().0;
    let Some(mut inv) = world.get_mut::<Inventory>(victim) else {
        return;
    };
    let items = std::mem::take(&mut inv.items);
    if items.is_empty() {
        return;
    }
    for item in items {
        crate::game::loot::place_on_ground(world, item, tile, Some(killer), tick);
    }
    crate::game::items::transferred(world, &[victim]);
}
