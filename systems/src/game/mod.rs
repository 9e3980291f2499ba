//! The rules of play: stats and levels (`stats`), timed effects (`effects`), fights
//! (`combat`), abilities and casts (`abilities`, `casting`, `mob_casts`), mob behaviour (`ai`), items in hand (`items`), what others see a player wear
//! (`appearance`), items on the ground (`loot`),
//! local chat (`chat`), chat beyond it (`channels`), friends, gold, shops and the bank
//! (`gold`, `shop`), parties (`party`), trade between players (`trade`), guilds (`guild`),
//! who may harm which player (`pvp`) and duels (`duel`), skills (`skills`) and the work that
//! trains them: gathering from resource nodes (`gathering`), crafting at stations (`crafting`),
//! both timed by `work`.
//!
//! Knows nothing of sessions or commands: it never imports `session` or `commands`. Handlers
//! for typed player messages (`items::equip`, `combat::start_attack`, ...) are called by
//! `session`'s dispatcher and by `commands`.

pub(crate) mod abilities;
#[cfg(test)]
pub(crate) mod abilities_fixture;
#[cfg(test)]
mod abilities_tests;
pub(crate) mod ability_effects;
#[cfg(test)]
mod ability_rules_tests;
pub(crate) mod ai;
#[cfg(test)]
mod ai_tests;
pub(crate) mod appearance;
#[cfg(test)]
mod appearance_tests;
pub(crate) mod casting;
pub(crate) mod channels;
pub(crate) mod chat;
pub(crate) mod combat;
#[cfg(test)]
mod combat_tests;
pub(crate) mod crafting;
#[cfg(test)]
mod crafting_tests;
pub(crate) mod duel;
#[cfg(test)]
mod duel_tests;
pub(crate) mod effects;
pub(crate) mod friends;
pub(crate) mod gathering;
pub(crate) mod gold;
pub(crate) mod guild;
#[cfg(test)]
mod guild_tests;
pub(crate) mod items;
#[cfg(test)]
mod items_tests;
pub(crate) mod loot;
pub(crate) mod mob_casts;
pub(crate) mod party;
#[cfg(test)]
mod party_tests;
pub(crate) mod pvp;
#[cfg(test)]
mod pvp_tests;
pub(crate) mod shop;
#[cfg(test)]
mod shop_tests;
#[cfg(test)]
mod skill_tests;
pub(crate) mod skills;
pub(crate) mod stats;
pub(crate) mod trade;
#[cfg(test)]
mod trade_tests;
pub(crate) mod work;
