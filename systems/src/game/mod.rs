//! The rules of play: stats and levels (`stats`), timed effects (`effects`), fights
//! (`combat`), mob behaviour (`ai`), items in hand (`items`), items on the ground (`loot`)
//! and local chat (`chat`).
//!
//! Knows nothing of sessions or commands: it never imports `session` or `commands`. Handlers
//! for typed player messages (`items::equip`, `combat::start_attack`, ...) are called by
//! `session`'s dispatcher and by `commands`.

pub mod ai;
pub mod chat;
pub mod combat;
pub mod effects;
pub mod items;
pub mod loot;
pub mod stats;
