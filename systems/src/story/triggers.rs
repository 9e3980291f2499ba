//! Triggers: in the World phase, this tick's story events (and due timers) fire the triggers
//! bound to them, looked up in the index built at load — a tick without story events and
//! without a due timer does no work.

use rustc_hash::FxHashMap;

use bevy_ecs::prelude::*;
use emberkeep_components::content::GameContent;
use emberkeep_components::map::TileMap;
use emberkeep_components::mobs::Mob;
use emberkeep_components::story::{StoryEvent, StoryEvents, StoryState};
use emberkeep_components::story_content::{StoryContent, TriggerOn, normalize_phrase, object_key};
use emberkeep_components::world::{Player, Position, Tick};

use super::rules::{all_hold_for, run_for};

/// What the event that fired the running trigger was about, for scripts (`target_kind()`,
/// `target_id()`): `("mob", template)` for a kill, `("npc", template)` for a talk,
/// `("item", template)`, `("zone", name)`, `("object", name)` for a lever or door; none for a
/// timer or a phrase. Set only while a trigger's actions run.
#[derive(Resource, Debug, Default)]
pub(crate) struct StoryTarget(pub Option<(&'static str, String)>);

/// When each trigger may fire again, by trigger and acting player (none for a timer).
/// (Fx: the same order in a run and its replay.)
#[derive(Resource, Debug, Default)]
pub(crate) struct TriggerCooldowns(pub(crate) FxHashMap<(String, Option<Entity>), u64>);

impl TriggerCooldowns {
    /// The cooldowns of triggers that fired for no player (timers) still running at `now`:
    /// the tick each ends, by trigger id (world state, saved with the world snapshot).
    pub(crate) fn world_wide(&self, now: u64) -> std::collections::BTreeMap<String, u64> {
        (self.0.iter())
            .filter(|((_, player), until)| player.is_none() && **until > now)
            .map(|((id, _), until)| (id.clone(), *until))
            .collect()
    }

    /// Restores a world-wide cooldown of trigger `id`, ending at tick `until`.
    pub(crate) fn restore(&mut self, id: String, until: u64) {
        self.0.insert((id, None), until);
    }
}

/// Cooldowns kept before the expired ones are swept.
const SWEEP_AT: usize = 4096;

/// Fires the triggers bound to this tick's story events and the timers due this tick.
pub(crate) fn fire_triggers(world: &mut World) {
    let content = world.resource::<GameContent>().clone();
    let story = &content.story;
    let now = world.resource::<Tick>().0;
    if !world.resource::<StoryEvents>().0.is_empty() {
        let events = world.resource::<StoryEvents>().0.clone();
        for event in &events {
            let (player, ids) = matching(world, story, event);
            if ids.is_empty() {
                continue;
            }
            world.resource_mut::<StoryTarget>().0 = target_of(event);
            for id in ids {
                fire(world, story, &id, Some(player), now);
            }
            world.resource_mut::<StoryTarget>().0 = None;
        }
    }
    for id in &story.index.timers {
        let Some(TriggerOn::Timer { every_ticks, zone }) = story.triggers.get(id).map(|t| &t.on)
        else {
            continue;
        };
        if *every_ticks == 0 || !now.is_multiple_of(u64::from(*every_ticks)) {
            continue;
        }
        match zone {
            None => fire(world, story, id, None, now),
            Some(zone) => {
                for p in players_in(world, zone) {
                    fire(world, story, id, Some(p), now);
                }
            }
        }
    }
}

/// What `event` was about (see [`StoryTarget`]).
fn target_of(event: &StoryEvent) -> Option<(&'static str, String)> {
    match event {
        StoryEvent::Kill { mob, .. } => Some(("mob", mob.clone())),
        StoryEvent::Talk { npc, .. } => Some(("npc", npc.clone())),
        StoryEvent::UseItem { item, .. } => Some(("item", item.clone())),
        StoryEvent::Zone { zone, .. } => Some(("zone", zone.clone())),
        StoryEvent::Interact { object, .. } => Some(("object", object.clone())),
        StoryEvent::Said { .. } | StoryEvent::PvpKill { .. } | StoryEvent::DuelWon { .. } => None,
    }
}

/// The acting player of an event and the triggers it fires.
fn matching(world: &mut World, story: &StoryContent, event: &StoryEvent) -> (Entity, Vec<String>) {
    let ix = &story.index;
    let found = |m: &std::collections::BTreeMap<String, Vec<String>>, key: &str| {
        m.get(key).cloned().unwrap_or_default()
    };
    match event {
        StoryEvent::Kill { player, mob } => (*player, found(&ix.mob_death, mob)),
        StoryEvent::UseItem { player, item } => (*player, found(&ix.use_item, item)),
        StoryEvent::Talk { player, npc } => (*player, found(&ix.talk, npc)),
        StoryEvent::Zone {
            player,
            zone,
            entered,
            ..
        } => {
            let m = if *entered {
                &ix.enter_zone
            } else {
                &ix.exit_zone
            };
            (*player, found(m, zone))
        }
        StoryEvent::Interact {
            player,
            map,
            object,
        } => (*player, found(&ix.interact, &object_key(map, object))),
        StoryEvent::Said { player, text } => {
            let said = normalize_phrase(text);
            let ids = (ix.say.iter())
                .filter(|id| said_here(world, story, id, *player, &said))
                .cloned()
                .collect();
            (*player, ids)
        }
        // (No trigger kind binds to these yet: they only count toward achievements.)
        StoryEvent::PvpKill { killer: player, .. } | StoryEvent::DuelWon { winner: player, .. } => {
            (*player, Vec::new())
        }
    }
}

/// Whether `said` fires `say` trigger `id` where player `p` stands.
fn said_here(world: &mut World, story: &StoryContent, id: &str, p: Entity, said: &str) -> bool {
    let Some(TriggerOn::Say {
        phrase,
        zone,
        near,
        range,
    }) = story.triggers.get(id).map(|t| &t.on)
    else {
        return false;
    };
    if !said.contains(&normalize_phrase(phrase)) {
        return false;
    }
    let Some(at) = world.get::<Position>(p).map(|p| p.0) else {
        return false;
    };
    let in_zone = zone.as_ref().is_none_or(|z| {
        (world.resource::<TileMap>().zones.iter()).any(|zone| zone.name == *z && zone.contains(at))
    });
    let near_one = near.as_ref().is_none_or(|template| {
        let mut mobs = world.query::<(&Mob, &Position)>();
        mobs.iter(world)
            .any(|(m, pos)| m.template == *template && pos.0.distance(at) <= *range)
    });
    in_zone && near_one
}

/// The players standing in zone `zone` of the map.
fn players_in(world: &mut World, zone: &str) -> Vec<Entity> {
    let zones: Vec<_> = (world.resource::<TileMap>().zones.iter())
        .filter(|z| z.name == zone)
        .cloned()
        .collect();
    if zones.is_empty() {
        return Vec::new();
    }
    let mut players = world.query_filtered::<(Entity, &Position), With<Player>>();
    players
        .iter(world)
        .filter(|(_, pos)| zones.iter().any(|z| z.contains(pos.0)))
        .map(|(e, _)| e)
        .collect()
}

/// Fires trigger `id` for `player` (or none) if it is not spent or cooling down and its
/// conditions hold.
fn fire(world: &mut World, story: &StoryContent, id: &str, player: Option<Entity>, now: u64) {
    let Some(def) = story.triggers.get(id) else {
        return;
    };
    let done = |w: &World, p: Entity| {
        w.get::<StoryState>(p)
            .is_some_and(|s| s.triggers_done.contains(id))
    };
    if def.once && player.is_some_and(|p| done(world, p)) {
        return;
    }
    let key = (id.to_string(), player);
    if def.cooldown_ticks > 0 {
        let cooldowns = &world.resource::<TriggerCooldowns>().0;
        if cooldowns.get(&key).is_some_and(|until| now < *until) {
            return;
        }
    }
    if !all_hold_for(world, player, &def.conditions) {
        return;
    }
    if def.once
        && let Some(mut s) = player.and_then(|p| world.get_mut::<StoryState>(p))
    {
        s.triggers_done.insert(id.to_string());
    }
    if def.cooldown_ticks > 0 {
        let mut cooldowns = world.resource_mut::<TriggerCooldowns>();
        if cooldowns.0.len() >= SWEEP_AT {
            cooldowns.0.retain(|_, until| *until > now);
        }
        cooldowns.0.insert(key, now + u64::from(def.cooldown_ticks));
    }
    run_for(world, player, &def.actions, &format!("trigger {id}"));
}
