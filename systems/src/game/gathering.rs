//! Gathering from resource nodes: `gather` (or `interact` on the node's tile) checks the
//! distance (the node's tile or next to it), the skill level, the tool (carried or wielded),
//! that the node is not depleted and that the bag has room for the most a round can yield;
//! then a round takes the node's `ticks`. At its end the yields are rolled with the world's
//! random numbers, added to the bag, the skill gains its experience, the node counts down
//! and the story counter `gathered:<node>` goes up. Rounds repeat until the node is depleted,
//! the bag is full, or the work is stopped (`game::work`).

use bevy_ecs::prelude::*;
use emberkeep_components::combat::Dead;
use emberkeep_components::content::{Content, GameContent};
use emberkeep_components::items::{Equipment, Inventory, ItemIds, ItemInstance, ItemsDirty};
use emberkeep_components::protocol::{ErrorCode, ServerEvent};
use emberkeep_components::skills::{Depleted, Job, Node, NodeDef};
use emberkeep_components::text::{Text, keys};
use emberkeep_components::world::{NetId, NetIndex, Position, Tick};
use rand_core::Rng;

use crate::game::combat::roll_pct;
use crate::game::work::{self, Stop};
use crate::game::{items, skills};
use crate::rng::WorldRng;
use crate::send_to;
use crate::text::say_error_text;

/// How far from a node a player may gather: its tile or next to it.
pub(crate) const REACH: i32 = 1;

type Refusal = (ErrorCode, Text);

/// `gather` at the node with entity id `node`.
pub(crate) fn gather(world: &mut World, e: Entity, node: u64) {
    let target = world
        .resource::<NetIndex>()
        .0
        .get(&node)
        .copied()
        .filter(|n| world.get::<Node>(*n).is_some());
    match target {
        Some(target) => start(world, e, target),
        None => {
            let text = Text::new(keys::SKILLS_NO_NODE).arg("id", node);
            say_error_text(world, e, ErrorCode::UnknownTarget, &text);
        }
    }
}

/// The `gather` text command: the nearest node within reach.
pub(crate) fn gather_nearest(world: &mut World, e: Entity) {
    let Some(at) = world.get::<Position>(e).map(|p| p.0) else {
        return;
    };
    match crate::world::resources::node_near(world, at, REACH) {
        Some(node) => start(world, e, node),
        None => {
            let text = Text::new(keys::SKILLS_NO_NODE_NEAR);
            say_error_text(world, e, ErrorCode::OutOfRange, &text);
        }
    }
}

/// Starts gathering at node entity `node`, or says why not.
pub(crate) fn start(world: &mut World, e: Entity, node: Entity) {
    let def = match check(world, e, node) {
        Ok(def) => def,
        Err((code, text)) => return say_error_text(world, e, code, &text),
    };
    let Some(id) = world.get::<NetId>(node).map(|n| n.0) else {
        return;
    };
    work::begin(world, e, Job::Gather { node, id }, def.ticks);
    let ticks = def.ticks.max(1);
    send_to(world, e, &ServerEvent::GatherStart { node: id, ticks });
}

/// Whether `e` may gather a round at `node` now: the node's definition, or the refusal.
fn check(world: &World, e: Entity, node: Entity) -> Result<NodeDef, Refusal> {
    let content = world.resource::<GameContent>();
    let n = world.get::<Node>(node).ok_or_else(|| {
        let text = Text::new(keys::SKILLS_NO_NODE).arg("id", 0);
        (ErrorCode::UnknownTarget, text)
    })?;
    let def = content.nodes.get(&*n.def).ok_or_else(|| {
        let text = Text::new(keys::SKILLS_NO_NODE).arg("id", &*n.def);
        (ErrorCode::UnknownTarget, text)
    })?;
    if world.get::<Dead>(e).is_some() {
        return Err((ErrorCode::YouAreDead, Text::new(keys::YOU_ARE_DEAD)));
    }
    let here = world.get::<Position>(e).map(|p| p.0);
    let there = world.get::<Position>(node).map(|p| p.0);
    if !matches!((here, there), (Some(a), Some(b)) if a.distance(b) <= REACH) {
        let text = Text::new(keys::SKILLS_TOO_FAR).arg("name", &def.name);
        return Err((ErrorCode::OutOfRange, text));
    }
    skills::require(world, e, &def.skill, def.level)?;
    if let Some(tool) = &def.tool
        && !holds(world, e, tool)
    {
        let tool = content
            .items
            .get(tool)
            .map_or(tool.as_str(), |d| d.name.as_str());
        let text = Text::new(keys::SKILLS_NO_TOOL)
            .arg("tool", tool)
            .arg("name", &def.name);
        return Err((ErrorCode::NoTool, text));
    }
    if world.get::<Depleted>(node).is_some() {
        let text = Text::new(keys::SKILLS_DEPLETED).arg("name", &def.name);
        return Err((ErrorCode::Depleted, text));
    }
    let most: Vec<(&str, u32)> = def.yields.iter().map(|y| (&*y.item, y.max)).collect();
    if !world
        .get::<Inventory>(e)
        .is_some_and(|inv| all_fit(content, inv, &most))
    {
        return Err((ErrorCode::InventoryFull, Text::new(keys::SKILLS_BAG_FULL)));
    }
    Ok(def.clone())
}

/// Whether `e` carries or wields an item of template `tool`.
fn holds(world: &World, e: Entity, tool: &str) -> bool {
    let carried = world
        .get::<Inventory>(e)
        .is_some_and(|inv| inv.items.iter().any(|i| i.template == tool));
    let worn = world
        .get::<Equipment>(e)
        .is_some_and(|eq| eq.0.values().any(|i| i.template == tool));
    carried || worn
}

/// Whether all of these would fit in the bag together (a dry run on a copy).
pub(crate) fn all_fit(content: &Content, inv: &Inventory, add: &[(&str, u32)]) -> bool {
    let mut trial = inv.clone();
    for &(item, count) in add.iter().filter(|(_, c)| *c > 0) {
        if !items::fits(content, &trial, item, count) {
            return false;
        }
        let instance = ItemInstance {
            id: 0,
            template: item.to_string(),
            count,
        };
        items::add(content, &mut trial, instance);
    }
    true
}

/// Rolls one round's yields: each yield by its chance, `min..=max` of it.
pub(crate) fn roll(rng: &mut WorldRng, def: &NodeDef) -> Vec<(String, u32)> {
    let mut got = Vec::new();
    for y in &def.yields {
        if roll_pct(rng) >= y.chance * 100.0 {
            continue;
        }
        let span = y.max.saturating_sub(y.min).saturating_add(1);
        let count = y.min.saturating_add(rng.0.next_u32() % span.max(1));
        if count > 0 {
            got.push((y.item.clone(), count));
        }
    }
    got
}

/// The end of a round at `node` (World phase, its due tick).
pub(crate) fn finish_round(world: &mut World, e: Entity, node: Entity, id: u64) {
    let content = world.resource::<GameContent>().0.clone();
    let Some(def) = world
        .get::<Node>(node)
        .and_then(|n| content.nodes.get(&*n.def))
        .cloned()
    else {
        work::stop(world, e, Stop::Depleted);
        return;
    };
    if world.get::<Depleted>(node).is_some() {
        work::stop(world, e, Stop::Depleted);
        return;
    }
    let got = roll(&mut world.resource_mut::<WorldRng>(), &def);
    let pairs: Vec<(&str, u32)> = got.iter().map(|(i, c)| (i.as_str(), *c)).collect();
    let fits = world
        .get::<Inventory>(e)
        .is_some_and(|inv| all_fit(&content, inv, &pairs));
    if !fits {
        work::stop(world, e, Stop::InventoryFull);
        return;
    }
    for (item, count) in got {
        let id = world.resource_mut::<ItemIds>().allocate();
        let instance = ItemInstance {
            id,
            template: item,
            count,
        };
        if let Some(mut inv) = world.get_mut::<Inventory>(e) {
            items::add(&content, &mut inv, instance);
        }
    }
    world.entity_mut(e).insert(ItemsDirty);
    skills::grant(world, e, &def.skill, u64::from(def.xp));
    let counter = format!(
        "{}{}",
        emberkeep_components::quests::counters::GATHERED_PREFIX,
        node_id(world, node)
    );
    crate::quests::achievements::bump(world, e, &content, &counter, 1);
    let depleted = crate::world::resources::use_node(world, node);
    send_to(
        world,
        e,
        &ServerEvent::GatherEnd {
            node: id,
            done: true,
            reason: None,
        },
    );
    if depleted {
        work::stop(world, e, Stop::Depleted);
        return;
    }
    next_round(world, e, node, id);
}

/// After a round: the next one, or the end of the work and why.
fn next_round(world: &mut World, e: Entity, node: Entity, id: u64) {
    match check(world, e, node) {
        Ok(def) => {
            let now = world.resource::<Tick>().0;
            let ticks = def.ticks.max(1);
            if let Some(mut w) = world.get_mut::<emberkeep_components::skills::Working>(e) {
                w.due = now.saturating_add(u64::from(ticks));
            }
            send_to(world, e, &ServerEvent::GatherStart { node: id, ticks });
        }
        Err((ErrorCode::InventoryFull, _)) => {
            work::stop(world, e, Stop::InventoryFull);
        }
        Err((ErrorCode::Depleted, _)) => {
            work::stop(world, e, Stop::Depleted);
        }
        Err((code, text)) => {
            work::stop(world, e, Stop::Interrupted);
            say_error_text(world, e, code, &text);
        }
    }
}

fn node_id(world: &World, node: Entity) -> String {
    world
        .get::<Node>(node)
        .map(|n| n.def.to_string())
        .unwrap_or_default()
}
