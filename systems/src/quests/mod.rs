//! Quests: starting and advancing a player's quests.
// placeholder: replaced by the quests branch

use bevy_ecs::prelude::{Entity, World};
use emberkeep_components::text::{Text, keys};

/// Starts quest `quest` for `player`.
pub(crate) fn start(_world: &mut World, _player: Entity, quest: &str) -> Result<(), Text> {
    Err(Text::new(keys::STORY_QUESTS_LATER).arg("quest", quest))
}

/// Completes `player`'s current step of quest `quest`.
pub(crate) fn advance(_world: &mut World, _player: Entity, quest: &str) -> Result<(), Text> {
    Err(Text::new(keys::STORY_QUESTS_LATER).arg("quest", quest))
}
