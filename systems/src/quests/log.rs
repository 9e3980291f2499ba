//! The quest log: every quest a player has active or done, as a `quests` event (the typed
//! `quests` message) or as one line of text in the player's language (the `quests` command).

use bevy_ecs::prelude::*;
use emberkeep_components::content::{Content, GameContent};
use emberkeep_components::protocol::{QuestLogState, QuestView, ServerEvent};
use emberkeep_components::story::{QuestProgress, StoryState};
use emberkeep_components::text::keys;

use crate::send_to;
use crate::text::{render, say_info};

/// A player's quest log: active quests first, then done ones, each by id. Quests no longer in
/// the content are left out.
pub(crate) fn views(content: &Content, story: &StoryState) -> Vec<QuestView> {
    let active = story.quests.iter().filter(|(_, p)| p.step.is_some());
    let done = (story.quests.iter()).filter(|(_, p)| p.step.is_none() && p.completed > 0);
    active
        .chain(done)
        .filter_map(|(id, p)| view(content, id, p))
        .collect()
}

/// One quest as the log shows it.
fn view(content: &Content, id: &str, p: &QuestProgress) -> Option<QuestView> {
    let def = content.quests.get(id)?;
    let steps = def.steps.len() as u32;
    let (state, idx) = match p.step {
        Some(step) => (QuestLogState::Active, step.min(steps.saturating_sub(1))),
        None => (QuestLogState::Done, steps.saturating_sub(1)),
    };
    let step = def.steps.get(idx as usize)?;
    let needed = step.goal.needed();
    let count = if state == QuestLogState::Done {
        needed
    } else {
        p.count.min(needed)
    };
    Some(QuestView {
        quest: id.to_string(),
        name: def.name.clone(),
        state,
        step: idx.saturating_add(1),
        steps,
        text: step.text.clone(),
        count,
        needed,
        description: def.description.clone(),
        log: def.steps[..=idx as usize]
            .iter()
            .map(|s| s.text.clone())
            .collect(),
        completed: p.completed,
    })
}

/// Sends `player` the `quests` event.
pub(crate) fn send_log(world: &mut World, player: Entity) {
    let content = world.resource::<GameContent>().0.clone();
    let quests = world
        .get::<StoryState>(player)
        .map(|s| views(&content, s))
        .unwrap_or_default();
    send_to(world, player, &ServerEvent::Quests { quests });
}

/// Tells `player` the quest log as text, in their language.
pub(crate) fn say_log(world: &mut World, player: Entity) {
    let content = world.resource::<GameContent>().0.clone();
    let quests = world
        .get::<StoryState>(player)
        .map(|s| views(&content, s))
        .unwrap_or_default();
    if quests.is_empty() {
        return say_info(world, player, keys::QUEST_LOG_EMPTY, &[]);
    }
    let lines: Vec<String> = quests
        .iter()
        .map(|q| match q.state {
            QuestLogState::Active => render(
                world,
                player,
                keys::QUEST_LOG_ACTIVE,
                &[
                    ("name", &q.name),
                    ("step", &q.step),
                    ("steps", &q.steps),
                    ("text", &q.text),
                    ("count", &q.count),
                    ("needed", &q.needed),
                ],
            ),
            QuestLogState::Done => render(
                world,
                player,
                keys::QUEST_LOG_DONE,
                &[("name", &q.name), ("times", &q.completed)],
            ),
        })
        .collect();
    let list = lines.join("; ");
    say_info(world, player, keys::QUEST_LOG, &[("list", &list)]);
}
