//! Commands that arrive as text or from operators: MUD-style player lines (`text`; shop and bank words in `trade`, guild words in `guild`, duel words in `duel`, skill and work words in `craft`), staff
//! `/commands` in game (`staff`) and the admin API's world actions (`admin`). Each turns a
//! request into calls to `game`, `world` and `session`.

pub(crate) mod admin;
pub(crate) mod cast;
pub(crate) mod craft;
pub(crate) mod duel;
pub(crate) mod guild;
pub(crate) mod party;
pub(crate) mod shop;
pub mod staff;
pub(crate) mod text;
#[cfg(test)]
mod text_fuzz;
pub(crate) mod trade;
