//! Doors on maps, opened and closed by stories.
// placeholder: replaced by the maps branch

use bevy_ecs::prelude::World;
use emberkeep_components::text::{Text, keys};

/// Opens (`open = true`) or closes door `door` on map `map`.
pub(crate) fn set_door(_world: &mut World, map: &str, door: &str, _open: bool) -> Result<(), Text> {
    Err(Text::new(keys::STORY_NO_SUCH_DOOR)
        .arg("map", map)
        .arg("door", door))
}
