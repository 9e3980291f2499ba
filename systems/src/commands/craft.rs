//! Text commands for skills and work: `skills`, `recipes`, `gather` (the nearest node next to
//! you), `craft <recipe> [count]` and `stop` (ends gathering or crafting).

use bevy_ecs::prelude::*;
use emberkeep_components::protocol::ErrorCode;
use emberkeep_components::text::keys;

use crate::game::{crafting, gathering, skills, work};
use crate::text::say_error;

/// Runs `verb` if it is one of these commands; whether it was.
pub(crate) fn run(world: &mut World, e: Entity, verb: &str, rest: &str) -> bool {
    match verb {
        "skills" => skills::say_skills(world, e),
        "recipes" => crafting::say_recipes(world, e),
        "gather" | "mine" | "chop" | "fish" | "pick" => gathering::gather_nearest(world, e),
        "craft" | "make" => {
            let (recipe, count) = super::text::split_count(rest);
            if recipe.is_empty() {
                say_error(
                    world,
                    e,
                    ErrorCode::UnknownRecipe,
                    keys::SKILLS_USAGE_CRAFT,
                    &[],
                );
            } else {
                crafting::craft(world, e, &recipe.to_ascii_lowercase(), count);
            }
        }
        // (The same as the `interrupt` message.)
        "stop" | "interrupt" => work::interrupt_any(world, e),
        _ => return false,
    }
    true
}
