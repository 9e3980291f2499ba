//! NPC dialogue: talking to an NPC (within [`TALK_RANGE`] tiles) opens the dialogue bound to
//! its template at its start node; each node the conversation arrives at runs its actions and
//! is sent as a `dialogue` event with the choices whose conditions hold; `choose` runs a
//! choice's actions and goes to its next node. A node without choices ends the conversation;
//! a choice without a next node, walking away or the NPC's going end it with `dialogue_end`.

use bevy_ecs::prelude::*;
use emberkeep_components::content::GameContent;
use emberkeep_components::mobs::Mob;
use emberkeep_components::protocol::{DialogueChoice, EntityKind, ErrorCode, ServerEvent};
use emberkeep_components::story::{Conversation, StoryEvent, StoryEvents, StoryLog};
use emberkeep_components::text::{Text, keys};
use emberkeep_components::world::{DisplayName, Kind, NetId, NetIndex, Position};

use super::rules::{all_hold, run};
use crate::send_to;
use crate::text::{say_error, say_error_text};

pub(crate) use emberkeep_components::world::TALK_RANGE;

/// Longest chain of `otherwise` jumps followed before giving up (a loop in the content).
const MAX_HOPS: usize = 16;

/// `talk`: the player `p` talks to the NPC with entity id `npc_id`.
pub(crate) fn talk(world: &mut World, p: Entity, npc_id: u64) {
    let Some(npc) = world.resource::<NetIndex>().0.get(&npc_id).copied() else {
        let key = keys::COMBAT_NO_TARGET;
        return say_error(world, p, ErrorCode::UnknownTarget, key, &[("id", &npc_id)]);
    };
    talk_to(world, p, npc);
}

/// Talks to NPC entity `npc`, if it is one and near enough.
pub(crate) fn talk_to(world: &mut World, p: Entity, npc: Entity) {
    let name = crate::name_of(world, npc);
    let template = world
        .get::<Mob>(npc)
        .filter(|_| {
            world
                .get::<Kind>(npc)
                .is_some_and(|k| k.0 == EntityKind::Npc)
        })
        .map(|m| m.template.clone());
    let Some(template) = template else {
        let text = Text::new(keys::STORY_NOTHING_TO_SAY).arg("name", name);
        return say_error_text(world, p, ErrorCode::UnknownTarget, &text);
    };
    let near =
        crate::world::tiles_of(world, p, npc).is_some_and(|(a, b)| a.distance(b) <= TALK_RANGE);
    if !near {
        let text = Text::new(keys::STORY_TOO_FAR)
            .arg("name", name)
            .arg("range", TALK_RANGE);
        return say_error_text(world, p, ErrorCode::OutOfRange, &text);
    }
    let content = world.resource::<GameContent>().clone();
    let dialogue = content.story.index.dialogue_of.get(&template);
    if dialogue.is_none() && !content.story.index.talk.contains_key(&template) {
        let text = Text::new(keys::STORY_NOTHING_TO_SAY).arg("name", name);
        return say_error_text(world, p, ErrorCode::UnknownTarget, &text);
    }
    world
        .resource_mut::<StoryEvents>()
        .0
        .push(StoryEvent::Talk {
            player: p,
            npc: template,
        });
    if let Some(d) = dialogue {
        let _ = open(world, p, Some(npc), d, None);
    }
}

/// Opens dialogue `dialogue` for `p` at `node` (its start node if none), spoken by `npc` —
/// or, without one, by the NPC `p` is talking to if it speaks this dialogue.
pub(crate) fn open(
    world: &mut World,
    p: Entity,
    npc: Option<Entity>,
    dialogue: &str,
    node: Option<&str>,
) -> Result<(), Text> {
    let content = world.resource::<GameContent>().clone();
    let Some(def) = content.story.dialogues.get(dialogue) else {
        return Err(Text::new(keys::STORY_UNKNOWN)
            .arg("what", "dialogue")
            .arg("id", dialogue.to_string()));
    };
    let npc = npc.or_else(|| {
        let current = world.get::<Conversation>(p)?.npc?;
        let speaks = world.get::<Mob>(current)?.template == def.npc;
        speaks.then_some(current)
    });
    arrive(world, p, npc, dialogue, node.unwrap_or(&def.start));
    Ok(())
}

/// The conversation arrives at `node`: follow `otherwise` while its conditions fail, run its
/// actions, and send it with the choices that hold.
fn arrive(world: &mut World, p: Entity, npc: Option<Entity>, dialogue: &str, node: &str) {
    let content = world.resource::<GameContent>().clone();
    let Some(def) = content.story.dialogues.get(dialogue) else {
        return end(world, p);
    };
    let mut at = node.to_string();
    let mut hops = 0;
    let node_def = loop {
        let Some(n) = def.nodes.get(&at) else {
            let line = format!("dialogue {dialogue}: no node {at:?}");
            world.resource_mut::<StoryLog>().push(line);
            return end(world, p);
        };
        if all_hold(world, p, &n.conditions) {
            break n;
        }
        hops += 1;
        match &n.otherwise {
            Some(next) if hops < MAX_HOPS => at = next.clone(),
            _ => return end(world, p),
        }
    };
    let npc_id = npc.and_then(|n| world.get::<NetId>(n)).map(|id| id.0);
    let here = Conversation {
        npc,
        npc_id,
        dialogue: dialogue.to_string(),
        node: at.clone(),
        offered: Vec::new(),
    };
    world.entity_mut(p).insert(here.clone());
    run(world, p, &node_def.actions);
    if world.get::<Conversation>(p) != Some(&here) {
        return; // the actions opened another dialogue (or ended this one)
    }
    let mut offered = Vec::new();
    let mut choices = Vec::new();
    for (i, c) in node_def.choices.iter().enumerate() {
        if all_hold(world, p, &c.conditions) {
            offered.push(i as u32);
            choices.push(DialogueChoice {
                index: i as u32,
                text: c.text.clone(),
            });
        }
    }
    let name = match npc.and_then(|n| world.get::<DisplayName>(n)) {
        Some(n) => n.0.to_string(),
        None => content
            .mobs
            .get(&def.npc)
            .map(|m| m.name.to_string())
            .unwrap_or_default(),
    };
    send_to(
        world,
        p,
        &ServerEvent::Dialogue {
            npc: npc_id,
            name,
            text: node_def.text.clone(),
            choices,
        },
    );
    if offered.is_empty() {
        world.entity_mut(p).remove::<Conversation>();
    } else if let Some(mut c) = world.get_mut::<Conversation>(p) {
        c.offered = offered;
    }
}

/// Ends `p`'s conversation, if any, with `dialogue_end`.
pub(crate) fn end(world: &mut World, p: Entity) {
    if let Some(c) = world.entity_mut(p).take::<Conversation>() {
        send_to(world, p, &ServerEvent::DialogueEnd { npc: c.npc_id });
    }
}

/// Whether the NPC of a conversation is still there and near enough.
fn npc_near(world: &World, p: Entity, c: &Conversation) -> bool {
    c.npc.is_none_or(|n| {
        world.get_entity(n).is_ok()
            && crate::world::tiles_of(world, p, n).is_some_and(|(a, b)| a.distance(b) <= TALK_RANGE)
    })
}

/// `choose`: the player answers with choice `index` of the current node.
pub(crate) fn choose(world: &mut World, p: Entity, index: u32) {
    let Some(conv) = world.get::<Conversation>(p).cloned() else {
        let key = keys::STORY_NOT_TALKING;
        return say_error(world, p, ErrorCode::NotTalking, key, &[]);
    };
    if !conv.offered.contains(&index) {
        let offered: Vec<String> = conv.offered.iter().map(u32::to_string).collect();
        let text = Text::new(keys::STORY_BAD_CHOICE)
            .arg("choice", index)
            .arg("offered", offered.join(", "));
        return say_error_text(world, p, ErrorCode::BadChoice, &text);
    }
    if !npc_near(world, p, &conv) {
        return end(world, p);
    }
    let content = world.resource::<GameContent>().clone();
    let Some(choice) = content
        .story
        .dialogues
        .get(&conv.dialogue)
        .and_then(|d| d.nodes.get(&conv.node))
        .and_then(|n| n.choices.get(index as usize))
    else {
        return end(world, p); // the content changed under the conversation
    };
    if !all_hold(world, p, &choice.conditions) {
        let text = Text::new(keys::STORY_BAD_CHOICE)
            .arg("choice", index)
            .arg("offered", "-");
        return say_error_text(world, p, ErrorCode::BadChoice, &text);
    }
    run(world, p, &choice.actions);
    if world.get::<Conversation>(p) != Some(&conv) {
        return; // the actions opened another dialogue
    }
    match &choice.next {
        Some(next) => arrive(world, p, conv.npc, &conv.dialogue, next),
        None => end(world, p),
    }
}

/// Ends the conversations of players who walked away from their NPC or whose NPC is gone.
/// (The query state is kept between ticks: a tick without conversations costs one empty scan.)
pub(crate) fn end_distant_conversations(
    world: &mut World,
    talking: &mut QueryState<(Entity, &Conversation)>,
) {
    let gone: Vec<Entity> = talking
        .iter(world)
        .filter(|(p, c)| !npc_near(world, *p, c))
        .map(|(p, _)| p)
        .collect();
    for p in gone {
        end(world, p);
    }
}

/// The nearest NPC within talking range of `p` whose template is `query`, or whose name (or
/// a word of it) starts with it (case ignored).
pub(crate) fn npc_named(world: &mut World, p: Entity, query: &str) -> Option<Entity> {
    let at = world.get::<Position>(p)?.0;
    let mut npcs = world.query::<(Entity, &Kind, &Mob, &DisplayName, &Position)>();
    npcs.iter(world)
        .filter(|(_, k, _, _, pos)| k.0 == EntityKind::Npc && pos.0.distance(at) <= TALK_RANGE)
        .filter(|(_, _, m, n, _)| {
            let (q, name) = (query.to_lowercase(), n.0.to_lowercase());
            m.template.eq_ignore_ascii_case(&q)
                || name == q
                || name.starts_with(&q)
                || name.split_whitespace().any(|w| w.starts_with(&q))
        })
        .min_by_key(|(_, _, _, _, pos)| pos.0.distance(at))
        .map(|(e, ..)| e)
}
