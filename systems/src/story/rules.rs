//! Conditions and actions: what triggers, dialogue and scripts test and do, for an acting
//! player — or for none (a timer trigger without a zone), when only world actions make sense.

use bevy_ecs::prelude::*;
use emberkeep_components::atlas::{Maps, OnMap};
use emberkeep_components::content::{GameContent, SpawnArea};
use emberkeep_components::items::{Inventory, ItemIds, ItemInstance};
use emberkeep_components::limits;
use emberkeep_components::map::{Tile, TileMap};
use emberkeep_components::mobs::Expires;
use emberkeep_components::protocol::{ServerEvent, encode_event};
use emberkeep_components::stats::Level;
use emberkeep_components::story::{Action, Condition, StoryLog, StoryState, WorldFlags};
use emberkeep_components::text::{Text, keys};
use emberkeep_components::world::{Outgoing, Player, Position, Tick};

use crate::game::combat::roll_pct;
use crate::rng::WorldRng;
use crate::send_to;

/// Whether condition `c` holds for `player`.
#[allow(dead_code)] // for the quests branch
pub(crate) fn holds(world: &mut World, player: Entity, c: &Condition) -> bool {
    holds_for(world, Some(player), c)
}

/// Whether every condition holds for `player` (all of none do).
pub(crate) fn all_hold(world: &mut World, player: Entity, cs: &[Condition]) -> bool {
    all_hold_for(world, Some(player), cs)
}

/// [`all_hold`] for an acting player or none.
pub(crate) fn all_hold_for(world: &mut World, player: Option<Entity>, cs: &[Condition]) -> bool {
    cs.iter().all(|c| holds_for(world, player, c))
}

/// [`holds`] for an acting player or none: without one, only world flags and chance hold.
pub(crate) fn holds_for(world: &mut World, player: Option<Entity>, c: &Condition) -> bool {
    match c {
        Condition::Chance { percent } => roll_pct(&mut world.resource_mut::<WorldRng>()) < *percent,
        Condition::Flag {
            flag,
            world: true,
            set,
        } => world.resource::<WorldFlags>().0.contains(flag) == *set,
        _ => player.is_some_and(|p| player_holds(world, p, c)),
    }
}

/// Whether a condition that needs no player can be tested without one.
pub fn needs_player(c: &Condition) -> bool {
    !matches!(
        c,
        Condition::Chance { .. } | Condition::Flag { world: true, .. }
    )
}

fn player_holds(world: &World, p: Entity, c: &Condition) -> bool {
    let level = world.get::<Level>(p).map_or(0, |l| l.0);
    let story = world.get::<StoryState>(p);
    match c {
        Condition::MinLevel { level: min } => level >= *min,
        Condition::MaxLevel { level: max } => level <= *max,
        Condition::HasItem { item, count } => carried(world, p, item) >= u64::from(*count),
        Condition::LacksItem { item } => carried(world, p, item) == 0,
        Condition::Quest { quest, state } => story.is_some_and(|s| s.quest_state(quest) == *state),
        Condition::QuestStep { quest, step } => story
            .and_then(|s| s.quests.get(quest))
            .is_some_and(|q| q.step == Some(*step)),
        Condition::Flag { flag, set, .. } => story.is_some_and(|s| s.flags.contains(flag) == *set),
        Condition::Chance { .. } => false,
    }
}

/// How many of item template `item` the player carries in its inventory.
pub(crate) fn carried(world: &World, p: Entity, item: &str) -> u64 {
    world.get::<Inventory>(p).map_or(0, |inv| {
        inv.items
            .iter()
            .filter(|i| i.template == item)
            .map(|i| u64::from(i.count))
            .sum()
    })
}

/// Whether an action needs an acting player (refused at load for a player-less timer).
pub fn action_needs_player(a: &Action) -> bool {
    match a {
        Action::Announce { .. }
        | Action::OpenDoor { .. }
        | Action::CloseDoor { .. }
        | Action::Script { .. } => false,
        Action::SetFlag { world, .. } => !world,
        Action::SpawnMob { x, y, .. } => x.is_none() || y.is_none(),
        _ => true,
    }
}

/// Does action `a` for `player`.
#[allow(dead_code)] // for the quests branch
pub(crate) fn act(world: &mut World, player: Entity, a: &Action) -> Result<(), Text> {
    act_for(world, Some(player), a)
}

/// Runs `actions` for `player` in order; a failed one is logged and told, and the rest still
/// run — except after a failed `take_item`, so that a trade never pays without taking.
pub(crate) fn run(world: &mut World, player: Entity, actions: &[Action]) {
    run_for(world, Some(player), actions, "")
}

/// [`run`] for an acting player or none; `source` names what ran them, for the log.
pub(crate) fn run_for(world: &mut World, player: Option<Entity>, actions: &[Action], source: &str) {
    for a in actions {
        if let Err(text) = act_for(world, player, a) {
            let rendered = {
                let locales = &world.resource::<GameContent>().locales;
                locales.render_text(emberkeep_components::text::FALLBACK, &text)
            };
            let who = player.map(|p| crate::name_of(world, p)).unwrap_or_default();
            world
                .resource_mut::<StoryLog>()
                .push(format!("{source}: {a:?} for {who:?} failed: {rendered}"));
            if let Some(p) = player {
                let message = crate::text::render_text(world, p, &text);
                send_to(world, p, &ServerEvent::Info { text: message });
            }
            if matches!(a, Action::TakeItem { .. }) {
                return;
            }
        }
    }
}

/// [`act`] for an acting player or none.
pub(crate) fn act_for(world: &mut World, player: Option<Entity>, a: &Action) -> Result<(), Text> {
    let need = |what: &str| {
        player.ok_or_else(|| Text::new(keys::STORY_NEEDS_PLAYER).arg("action", what.to_string()))
    };
    match a {
        Action::Message { text } => {
            let p = need("message")?;
            send_to(world, p, &ServerEvent::Info { text: text.clone() });
            Ok(())
        }
        Action::Announce { text } => {
            announce(world, player, text);
            Ok(())
        }
        Action::SpawnMob {
            mob,
            count,
            map,
            x,
            y,
            lasts_ticks,
        } => {
            let (min, max) = match (x, y) {
                (Some(x), Some(y)) => {
                    let t = global_tile(world, player, map.as_deref(), Tile { x: *x, y: *y })?;
                    (t, t)
                }
                _ => {
                    let p = need("spawn_mob")?;
                    let at = world
                        .get::<Position>(p)
                        .map(|p| p.0)
                        .ok_or(Text::new(keys::NOWHERE))?;
                    let d = Tile { x: 1, y: 1 };
                    (
                        Tile {
                            x: at.x - d.x,
                            y: at.y - d.y,
                        },
                        Tile {
                            x: at.x + d.x,
                            y: at.y + d.y,
                        },
                    )
                }
            };
            spawn(world, mob, *count, min, max, *lasts_ticks)
        }
        Action::OpenDoor { map, door } => crate::world::doors::set_door(world, map, door, true),
        Action::CloseDoor { map, door } => crate::world::doors::set_door(world, map, door, false),
        Action::Warp { map, x, y } => {
            let p = need("warp")?;
            crate::world::warps::warp_to(world, p, map, Tile { x: *x, y: *y })
        }
        Action::ApplyEffect { effect } => apply_effect(world, need("apply_effect")?, effect),
        Action::GiveItem { item, count } => give_item(world, need("give_item")?, item, *count),
        Action::TakeItem { item, count } => take_item(world, need("take_item")?, item, *count),
        Action::GiveXp { xp } => {
            crate::game::stats::give_xp(world, need("give_xp")?, *xp);
            Ok(())
        }
        Action::SetFlag {
            flag,
            world: true,
            set,
        } => {
            let flags = &mut world.resource_mut::<WorldFlags>().0;
            if *set {
                flags.insert(flag.clone());
            } else {
                flags.remove(flag);
            }
            Ok(())
        }
        Action::SetFlag { flag, set, .. } => {
            let p = need("set_flag")?;
            if let Some(mut s) = world.get_mut::<StoryState>(p) {
                if *set {
                    s.flags.insert(flag.clone());
                } else {
                    s.flags.remove(flag);
                }
            }
            Ok(())
        }
        Action::StartDialogue { dialogue, node } => {
            let p = need("start_dialogue")?;
            super::dialogue::open(world, p, None, dialogue, node.as_deref())
        }
        Action::StartQuest { quest } => crate::quests::start(world, need("start_quest")?, quest),
        Action::AdvanceQuest { quest } => {
            crate::quests::advance(world, need("advance_quest")?, quest)
        }
        Action::Script { script } => {
            super::script::run_script(world, player, script);
            Ok(())
        }
    }
}

fn unknown(what: &str, id: &str) -> Text {
    Text::new(keys::STORY_UNKNOWN)
        .arg("what", what.to_string())
        .arg("id", id.to_string())
}

/// The global tile of `local` on map `map` — by default the acting player's map, or the start
/// map when there is no acting player.
fn global_tile(
    world: &World,
    player: Option<Entity>,
    map: Option<&str>,
    local: Tile,
) -> Result<Tile, Text> {
    let maps = world.resource::<Maps>();
    let id = match map {
        Some(name) => maps
            .by_name(name)
            .ok_or_else(|| Text::new(keys::STORY_NO_SUCH_MAP).arg("map", name))?,
        None => player
            .and_then(|p| world.get::<OnMap>(p))
            .map_or(0, |on| on.0),
    };
    maps.to_global(id, local)
        .filter(|t| world.resource::<TileMap>().in_bounds(*t))
        .ok_or_else(|| {
            let name = maps.get(id).map_or("?", |m| m.name.as_str());
            Text::new(keys::WORLD_TILE_NOT_FREE)
                .arg("map", name)
                .arg("x", local.x)
                .arg("y", local.y)
        })
}

/// Tells every player on the acting player's map `text` (an `announcement`); without an acting
/// player, everyone online.
fn announce(world: &mut World, player: Option<Entity>, text: &str) {
    let json = encode_event(&ServerEvent::Announcement {
        text: text.to_string(),
    });
    let map = player.and_then(|p| world.get::<OnMap>(p)).map(|on| on.0);
    let mut players = world.query_filtered::<(&mut Outgoing, Option<&OnMap>), With<Player>>();
    for (mut out, on) in players.iter_mut(world) {
        if map.is_none() || on.map(|o| o.0) == map {
            out.push(&json);
        }
    }
}

/// Spawns `count` mobs of `mob` on walkable tiles between `min` and `max` (no respawn).
fn spawn(
    world: &mut World,
    mob: &str,
    count: u32,
    min: Tile,
    max: Tile,
    lasts_ticks: Option<u32>,
) -> Result<(), Text> {
    if !world.resource::<GameContent>().mobs.contains_key(mob) {
        return Err(unknown("mob", mob));
    }
    if !(1..=limits::MAX_SPAWN_AT_ONCE).contains(&count) {
        return Err(Text::new(keys::GM_COUNT_RANGE)
            .arg("max", limits::MAX_SPAWN_AT_ONCE)
            .arg("count", count));
    }
    let area = SpawnArea {
        name: "story".into(),
        mob: mob.into(),
        count: 0,
        min,
        max,
    };
    let now = world.resource::<Tick>().0;
    for _ in 0..count {
        let spawned = crate::world::spawner::spawn_one(world, usize::MAX, &area, now);
        if let (Some(e), Some(lasts)) = (spawned, lasts_ticks) {
            world.entity_mut(e).insert(Expires(now + u64::from(lasts)));
        }
    }
    Ok(())
}

fn apply_effect(world: &mut World, p: Entity, effect: &str) -> Result<(), Text> {
    if !world.resource::<GameContent>().effects.contains_key(effect) {
        return Err(unknown("effect", effect));
    }
    crate::game::effects::apply_to(world, p, effect, None);
    Ok(())
}

fn give_item(world: &mut World, p: Entity, item: &str, count: u32) -> Result<(), Text> {
    let content = world.resource::<GameContent>().clone();
    if !content.items.contains_key(item) {
        return Err(unknown("item", item));
    }
    if !(1..=limits::MAX_GIVE_COUNT).contains(&count) {
        return Err(Text::new(keys::GM_COUNT_RANGE)
            .arg("max", limits::MAX_GIVE_COUNT)
            .arg("count", count));
    }
    let fits = world
        .get::<Inventory>(p)
        .is_some_and(|inv| crate::game::items::fits(&content, inv, item, count));
    if !fits {
        return Err(Text::new(keys::ITEMS_INVENTORY_FULL));
    }
    let id = world.resource_mut::<ItemIds>().allocate();
    if let Some(mut inv) = world.get_mut::<Inventory>(p) {
        let instance = ItemInstance {
            id,
            template: item.into(),
            count,
        };
        crate::game::items::add(&content, &mut inv, instance);
    }
    crate::game::items::transferred(world, &[p]);
    Ok(())
}

/// Takes `count` of `item` from the player's stacks, or nothing if it has fewer.
fn take_item(world: &mut World, p: Entity, item: &str, count: u32) -> Result<(), Text> {
    if carried(world, p, item) < u64::from(count) {
        let name = world
            .resource::<GameContent>()
            .items
            .get(item)
            .map_or_else(|| item.to_string(), |d| d.name.clone());
        return Err(Text::new(keys::STORY_MISSING_ITEMS)
            .arg("count", count)
            .arg("name", name));
    }
    if let Some(mut inv) = world.get_mut::<Inventory>(p) {
        let mut left = count;
        for stack in inv.items.iter_mut().filter(|i| i.template == item) {
            let taken = left.min(stack.count);
            stack.count -= taken;
            left -= taken;
        }
        inv.items.retain(|i| i.count > 0);
    }
    crate::game::items::transferred(world, &[p]);
    Ok(())
}
