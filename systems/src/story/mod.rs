//! The story engine: conditions and actions (`rules`), triggers that fire on what players do
//! and on timers (`triggers`), sandboxed scripts (`script`) and NPC dialogue (`dialogue`).
//! The shared vocabulary (`Condition`, `Action`, `StoryEvent`) lives in
//! `emberkeep_components::story`; the content in `emberkeep_components::story_content`.

pub(crate) mod dialogue;
pub mod rules;
pub mod script;
pub(crate) mod triggers;

#[cfg(test)]
mod tests;
