//! Entering the world: a character's components from its stored record (or a fresh guest),
//! a new character's starting items, its tile, and `welcome`.

use bevy_ecs::prelude::*;
use emberkeep_components::atlas::{InZone, Maps, OnMap};
use emberkeep_components::combat::{AttackCooldown, Attacker, DamageLog, Target};
use emberkeep_components::config::SimConfig;
use emberkeep_components::content::{Content, GameContent};
use emberkeep_components::economy::{Bank, Purse};
use emberkeep_components::items::{
    Equipment, Inventory, ItemIds, ItemInstance, ItemsDirty, ShownGear,
};
use emberkeep_components::map::{Tile, TileMap};
use emberkeep_components::persist::{
    AccountCharacter, CharacterRecord, ItemRecord, SaveReason, SaveSoon,
};
use emberkeep_components::protocol::{EntityKind, PROTOCOL_VERSION, ServerEvent, VERSIONS};
use emberkeep_components::social::{Friends, Ignores, JoinedChannels, LastWhisper, NameList};
use emberkeep_components::stats::{
    ActiveEffect, ActiveEffects, Base, ClassId, Experience, Level, SentPublic, SentStats, Vitals,
};
use emberkeep_components::world::{
    DisplayName, Interest, Kind, MoveQueue, NameIndex, NetIds, NetIndex, Player, Position,
    RegionCell, SpawnRotation, StepBudget, ViewCell,
};

use crate::game::stats;
use crate::send_to;
use crate::world::zones::map_info;

/// Puts a character into the world on connection entity `e`: its components from `record`
/// (or a fresh guest), a tile (its saved one if still valid, else a spawn point), `welcome`.
pub(crate) fn enter_world(world: &mut World, e: Entity, mut record: CharacterRecord, guest: bool) {
    let content = world.resource::<GameContent>().clone();
    let config = world.resource::<SimConfig>().clone();
    // Saved in its map's own tiles; a map that is gone, or a tile now blocked, means a spawn.
    let saved = {
        let maps = world.resource::<Maps>();
        let local = Tile {
            x: record.x,
            y: record.y,
        };
        record
            .map
            .as_deref()
            .and_then(|name| maps.by_name(name))
            .and_then(|m| maps.to_global(m, local))
            .filter(|t| world.resource::<TileMap>().is_walkable(*t))
    };
    let tile = match saved {
        Some(t) => t,
        None => next_spawn_tile(world),
    };
    let class = if content.classes.contains_key(&record.class) {
        record.class.clone()
    } else {
        content.rules.default_class.clone()
    };
    let level = record.level.clamp(1, content.rules.levels.max_level.max(1));
    let base = stats::base_at(&content, &class, level);
    // Ids in storage must never be handed out again.
    let highest = record.item_ids().max().unwrap_or(0);
    world.resource_mut::<ItemIds>().lift_above(highest);
    let kit = record.map.is_none() && give_starting_items(world, &content, &class, &mut record);
    let inventory = Inventory {
        items: record.inventory.iter().map(item_of).collect(),
        slots: content
            .rules
            .inventory
            .slots
            .max(record.inventory.len() as u32),
    };
    let bank = Bank(Inventory {
        items: record.bank.iter().map(item_of).collect(),
        slots: content
            .rules
            .inventory
            .bank_slots
            .max(record.bank.len() as u32),
    });
    let purse = Purse {
        gold: record.gold,
        bank_gold: record.bank_gold,
    };
    let equipment = Equipment(
        record
            .equipment
            .iter()
            .map(|(s, i)| (*s, item_of(i)))
            .collect(),
    );
    let effects = ActiveEffects(
        record
            .effects
            .iter()
            .filter(|f| content.effects.contains_key(&f.effect))
            .map(|f| ActiveEffect {
                effect: f.effect.clone(),
                stacks: f.stacks,
                remaining: f.remaining,
                next_pulse: f.next_pulse,
                source: None,
                // (What a shield had left is not saved: it comes back whole.)
                shield: content.effects.get(&f.effect).map_or(0, |d| {
                    if d.kind == emberkeep_components::content::EffectKind::Shield {
                        d.magnitude
                    } else {
                        0
                    }
                }),
            })
            .collect(),
    );
    let m = stats::modifiers_of(&content, &equipment, &effects, &class, level);
    let (derived, max_hp, max_mp) = stats::derive(&content, base, level, &m);
    let fresh = record.map.is_none() || record.hp <= 0;
    let vitals = Vitals {
        hp: if fresh { max_hp } else { record.hp.min(max_hp) },
        max_hp,
        mp: if record.map.is_none() {
            max_mp
        } else {
            record.mp.clamp(0, max_mp)
        },
        max_mp,
    };
    let id = world.resource_mut::<NetIds>().allocate();
    world.resource_mut::<NameIndex>().0.insert(record.key(), e);
    world.resource_mut::<NetIndex>().0.insert(id.0, e);
    let name = record.name.clone();
    let on_map = world.resource::<Maps>().map_at(tile).unwrap_or(0);
    let mut entity = world.entity_mut(e);
    entity.insert((
        (
            Player,
            id,
            Position(tile),
            DisplayName(name.as_str().into()),
            Kind(EntityKind::Player),
            StepBudget {
                milli: config.step_burst * 1000,
            },
            MoveQueue::default(),
            RegionCell::NONE,
            ViewCell::NONE,
            Interest::default(),
        ),
        (
            ClassId(class),
            Level(level),
            Experience(record.xp),
            Base(base),
            derived,
            vitals,
        ),
        (
            SentStats::default(),
            SentPublic {
                level,
                hp: vitals.hp,
                max_hp,
            },
            effects,
        ),
        (
            inventory,
            ShownGear(equipment.visible()),
            equipment,
            ItemsDirty,
            bank,
            purse,
        ),
        (
            Target::default(),
            AttackCooldown::default(),
            Attacker {
                range: content.rules.combat.attack_range,
                cooldown_ticks: content.rules.combat.attack_cooldown_ticks,
            },
            DamageLog::default(),
        ),
    ));
    entity.insert((
        emberkeep_components::world::ChatHistory::default(),
        (*record.story).clone(),
        OnMap(on_map),
        InZone::default(),
        emberkeep_components::skills::Skills(std::mem::take(&mut record.skills)),
    ));
    // (A stun or slow saved with the character gets its marker at the next `sync_control`.)
    (world
        .resource_mut::<emberkeep_components::abilities::ControlApplied>()
        .0)
        .push(e);
    let now = world.resource::<emberkeep_components::world::Tick>().0;
    let cooldowns = emberkeep_components::abilities::Cooldowns(
        (record.cooldowns.iter())
            .filter(|(id, left)| **left > 0 && content.abilities.contains_key(*id))
            .map(|(id, left)| (id.clone(), now.saturating_add(u64::from(*left))))
            .collect(),
    );
    let mut entity = world.entity_mut(e);
    entity.insert((
        cooldowns,
        emberkeep_components::abilities::AbilitiesKnown(level),
    ));
    entity.insert((
        JoinedChannels::default(),
        LastWhisper::default(),
        Ignores(NameList(std::mem::take(&mut record.ignores))),
    ));
    if !guest {
        entity.insert((
            AccountCharacter {
                account: record.account.clone(),
            },
            Friends(NameList(std::mem::take(&mut record.friends))),
        ));
        if kit {
            // The kit's items and the id high-water mark are saved together.
            world
                .resource_mut::<SaveSoon>()
                .add(&[e], SaveReason::Transfer);
        }
    }
    send_to(world, e, &welcome(world, e));
    if !guest {
        crate::game::friends::announce(world, e, true);
    }
    crate::game::guild::entered(world, e);
    crate::game::friends::send_list(world, e);
    crate::game::gold::send_purse(world, e);
    crate::game::skills::send_skills(world, e);
    crate::game::abilities::send_abilities(world, e);
}

/// Puts the class's starting items (`classes.toml`) into a new character's record, worn
/// ones in their slot, each with a fresh item id; whether it gave anything.
fn give_starting_items(
    world: &mut World,
    content: &Content,
    class: &str,
    record: &mut CharacterRecord,
) -> bool {
    let Some(def) = content.classes.get(class) else {
        return false;
    };
    for s in &def.starting_items {
        let Some(item) = content.items.get(&s.item) else {
            continue;
        };
        let id = world.resource_mut::<ItemIds>().allocate();
        let one = ItemRecord {
            id,
            template: s.item.clone(),
            count: s.count.clamp(1, item.max_stack.max(1)),
        };
        match item.slot {
            Some(slot) if s.equipped && !record.equipment.contains_key(&slot) => {
                record.equipment.insert(slot, one);
            }
            _ => record.inventory.push(one),
        }
    }
    !def.starting_items.is_empty()
}

fn item_of(r: &ItemRecord) -> ItemInstance {
    ItemInstance {
        id: r.id,
        template: r.template.clone(),
        count: r.count,
    }
}

pub(crate) fn record_of(i: &ItemInstance) -> ItemRecord {
    ItemRecord {
        id: i.id,
        template: i.template.clone(),
        count: i.count,
    }
}

pub(crate) fn welcome(world: &World, e: Entity) -> ServerEvent {
    let maps = world.resource::<Maps>();
    let config = world.resource::<SimConfig>();
    let tile = world
        .get::<Position>(e)
        .map(|p| p.0)
        .unwrap_or(Tile { x: 0, y: 0 });
    ServerEvent::Welcome {
        version: PROTOCOL_VERSION,
        id: world
            .get::<emberkeep_components::world::NetId>(e)
            .map(|n| n.0)
            .unwrap_or(0),
        name: crate::name_of(world, e),
        class: world
            .get::<emberkeep_components::stats::ClassId>(e)
            .map(|c| c.0.clone())
            .unwrap_or_default(),
        x: tile.x,
        y: tile.y,
        map: map_info(
            maps.get(maps.map_at(tile).unwrap_or(0))
                .unwrap_or(maps.start()),
        ),
        tick_rate: config.tick_rate,
        region_size: config.region_size,
        versions: VERSIONS,
    }
}

/// The next player spawn point (newcomers are spread over them in turn).
pub(crate) fn next_spawn_tile(world: &mut World) -> Tile {
    let n = world.resource::<TileMap>().player_spawns.len();
    if n == 0 {
        return Tile { x: 0, y: 0 };
    }
    let i = {
        let mut rot = world.resource_mut::<SpawnRotation>();
        let i = rot.0 % n;
        rot.0 = rot.0.wrapping_add(1);
        i
    };
    world.resource::<TileMap>().player_spawns[i].tile
}

#[cfg(test)]
mod tests {
    use emberkeep_components::config::SimConfig;
    use emberkeep_components::map::Tile;
    use emberkeep_components::persist::{StorageOut, StorageRequest};

    use crate::scenario::{Scenario, open_map};
    use crate::session::tests::saves;

    /// Issue 13, defect 8: a new character starts with its class's kit (worn pieces worn),
    /// once: the kit is saved with the character at once, and a character that has played
    /// before gets nothing more.
    #[test]
    fn a_new_character_starts_with_its_class_kit_once() {
        use emberkeep_components::content::{EquipSlot, GameContent, StartingItem};
        use emberkeep_components::items::{Equipment, Inventory};
        use emberkeep_components::persist::{Auth, CharacterRecord};

        let mut s = Scenario::new(open_map(8, 8, Tile { x: 2, y: 2 }), SimConfig::default());
        let mut content = (*s.world.resource::<GameContent>().0).clone();
        content.classes.get_mut("fighter").unwrap().starting_items = vec![
            StartingItem {
                item: "sword".into(),
                count: 1,
                equipped: true,
            },
            StartingItem {
                item: "potion".into(),
                count: 2,
                equipped: false,
            },
        ];
        s.world
            .insert_resource(GameContent(std::sync::Arc::new(content)));
        let (guest, _) = s.join("Gus");
        let kit = |s: &Scenario, c| {
            let e = s.entity(c);
            let worn = s
                .world
                .get::<Equipment>(e)
                .unwrap()
                .0
                .get(&EquipSlot::Weapon)
                .map(|i| i.template.clone());
            let carried: Vec<(String, u32)> = s
                .world
                .get::<Inventory>(e)
                .unwrap()
                .items
                .iter()
                .map(|i| (i.template.clone(), i.count))
                .collect();
            (worn, carried)
        };
        assert_eq!(
            kit(&s, guest),
            (Some("sword".into()), vec![("potion".into(), 2)])
        );

        // An account character entering for the first time: the kit and a save at once.
        let enter = |s: &mut Scenario, record: CharacterRecord| {
            let c = s.connect();
            s.tick();
            let e = s.entity(c);
            s.world.get_mut::<Auth>(e).unwrap().account = Some(record.account.clone());
            super::enter_world(&mut s.world, e, record, false);
            s.tick();
            c
        };
        saves(&mut s);
        let new = enter(&mut s, CharacterRecord::new("Ann", "ann", "fighter"));
        assert_eq!(kit(&s, new).0, Some("sword".into()));
        let saved = std::mem::take(&mut s.world.resource_mut::<StorageOut>().0);
        let batch = saved.iter().find_map(|r| match r {
            StorageRequest::Save(b) => b
                .characters
                .iter()
                .find(|c| c.name == "Ann")
                .map(|c| (c.clone(), b.next_item_id)),
            _ => None,
        });
        let (record, next_id) = batch.expect("the kit is saved at once");
        assert_eq!(record.inventory.len(), 1);
        assert!(
            record.item_ids().all(|id| id < next_id),
            "ids below the stored high-water mark"
        );
        // Played before (it has a map): nothing more.
        let mut back = record.clone();
        back.name = "Bea".into();
        back.account = "bea".into();
        back.inventory.clear();
        back.equipment.clear();
        let old = enter(&mut s, back);
        assert_eq!(kit(&s, old), (None, vec![]));
    }
}
