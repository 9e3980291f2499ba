//! World phase: fills each mob spawn area from the map at start and brings dead mobs back
//! after their template's respawn delay, at a random walkable tile of their area.

use bevy_ecs::prelude::*;
use emberkeep_components::combat::{AttackCooldown, Attacker, DamageLog, Target};
use emberkeep_components::content::{BaseStats, GameContent, SpawnArea};
use emberkeep_components::map::{Tile, TileMap};
use emberkeep_components::mobs::{AiState, Expires, Mind, Mob, MobSpawner, Path, StepCooldown};
use emberkeep_components::protocol::EntityKind;
use emberkeep_components::stats::{ActiveEffects, Derived, Level, SentPublic, Vitals};
use emberkeep_components::world::{
    DisplayName, Kind, NetIds, NetIndex, Position, RegionCell, Tick,
};
use rand_core::Rng;

use crate::rng::WorldRng;

/// Spawns what each area is owed this tick.
pub(crate) fn spawn_mobs(world: &mut World) {
    let now = world.resource::<Tick>().0;
    let mut due: Vec<usize> = Vec::new();
    // Areas on maps another process of the cluster hosts stay empty here.
    let hosted = |world: &World, t: Tile| {
        let maps = world.resource::<emberkeep_components::atlas::Maps>();
        let cluster = world.resource::<emberkeep_components::cluster::Cluster>();
        (maps.map_at(t).and_then(|m| maps.get(m))).is_none_or(|d| cluster.hosts(&d.name))
    };
    let unfilled: Vec<(usize, bool)> = (world.resource::<MobSpawner>().areas.iter().enumerate())
        .filter(|(_, a)| !a.filled)
        .map(|(i, a)| (i, hosted(world, a.area.min)))
        .collect();
    {
        let mut spawner = world.resource_mut::<MobSpawner>();
        for (i, here) in unfilled {
            let area = &mut spawner.areas[i];
            area.filled = true;
            if here {
                due.extend(std::iter::repeat_n(i, area.area.count as usize));
            }
        }
        for (i, area) in spawner.areas.iter_mut().enumerate() {
            let before = area.respawns.len();
            area.respawns.retain(|at| *at > now);
            due.extend(std::iter::repeat_n(i, before - area.respawns.len()));
        }
    }
    for i in due {
        let area = world.resource::<MobSpawner>().areas[i].area.clone();
        if spawn_one(world, i, &area, now).is_some() {
            world.resource_mut::<MobSpawner>().areas[i].alive += 1;
        }
    }
}

/// A random walkable tile of the area (or the first one, scanning), if it has any.
fn pick_tile(map: &TileMap, area: &SpawnArea, rng: &mut WorldRng) -> Option<Tile> {
    let w = (area.max.x - area.min.x + 1).max(1) as u32;
    let h = (area.max.y - area.min.y + 1).max(1) as u32;
    for _ in 0..16 {
        let t = Tile {
            x: area.min.x + (rng.0.next_u32() % w) as i32,
            y: area.min.y + (rng.0.next_u32() % h) as i32,
        };
        if map.is_walkable(t) {
            return Some(t);
        }
    }
    (area.min.y..=area.max.y)
        .flat_map(|y| (area.min.x..=area.max.x).map(move |x| Tile { x, y }))
        .find(|t| map.is_walkable(*t))
}

/// World phase: mobs whose time is up (a story's raiders, [`Expires`]) leave the world.
/// Only such mobs carry the component, so this looks at nothing else.
pub(crate) fn expire_mobs(world: &mut World) {
    let now = world.resource::<Tick>().0;
    let mut q = world.query::<(Entity, &Expires)>();
    let due: Vec<Entity> = q
        .iter(world)
        .filter(|(_, at)| at.0 <= now)
        .map(|(e, _)| e)
        .collect();
    for e in due {
        crate::world::regions::remove_from_world(world, e);
    }
}

/// Spawns one mob of the area's template; `None` if the template or a free tile is missing.
pub(crate) fn spawn_one(
    world: &mut World,
    area_index: usize,
    area: &SpawnArea,
    now: u64,
) -> Option<Entity> {
    let content = world.resource::<GameContent>().clone();
    let def = content.mobs.get(&area.mob)?;
    let tile = world.resource_scope(|world, mut rng: Mut<WorldRng>| {
        pick_tile(world.resource::<TileMap>(), area, &mut rng)
    })?;
    let pause = u64::from(world.resource_mut::<WorldRng>().0.next_u32() % 40);
    let r = &content.rules.derived;
    let crit_pct = (r.crit_base_pct + f64::from(def.dex) * r.crit_per_dex_pct).floor() as i32;
    let derived = Derived {
        stats: BaseStats {
            dex: def.dex,
            ..BaseStats::default()
        },
        attack: def.attack,
        defense: def.defense,
        crit_pct: crit_pct.clamp(0, 100),
    };
    let vitals = Vitals {
        hp: def.hp,
        max_hp: def.hp,
        mp: 0,
        max_mp: 0,
    };
    let kind = if def.hostile {
        EntityKind::Mob
    } else {
        EntityKind::Npc
    };
    let id = world.resource_mut::<NetIds>().allocate();
    let e = world
        .spawn((
            (
                Mob {
                    template: area.mob.clone(),
                    area: area_index,
                },
                id,
                Position(tile),
                DisplayName(def.name.clone()),
                Kind(kind),
                RegionCell::NONE,
            ),
            (
                Level(def.level),
                vitals,
                derived,
                SentPublic {
                    level: def.level,
                    hp: def.hp,
                    max_hp: def.hp,
                },
            ),
            (
                ActiveEffects::default(),
                DamageLog::default(),
                Target::default(),
                AttackCooldown::default(),
            ),
            Attacker {
                range: def.attack_range.max(1),
                cooldown_ticks: def.attack_cooldown_ticks.max(1),
            },
            (
                Mind {
                    state: AiState::Idle { until: now + pause },
                    def: def.clone(),
                    home: tile,
                    plan: None,
                },
                Path::default(),
                StepCooldown::default(),
            ),
        ))
        .id();
    if !def.abilities.is_empty() {
        // (Only casters carry cooldowns: `mob_casts` looks at no other mob.)
        world
            .entity_mut(e)
            .insert(emberkeep_components::abilities::Cooldowns::default());
    }
    world.resource_mut::<NetIndex>().0.insert(id.0, e);
    Some(e)
}
