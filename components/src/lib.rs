//! Emberkeep's data, shared by the game rules (`emberkeep-systems`) and the server (`emberkeep`).
//!
//! Plain data only: ECS components and resources, the map, the region grid, the simulation
//! settings, the wire protocol and the texts players read (their keys and the locale tables).
//! Behaviour lives in `emberkeep-systems`; I/O lives in the server crate.

pub mod abilities;
pub mod atlas;
pub mod cluster;
pub mod combat;
pub mod config;
pub mod content;
pub mod economy;
pub mod guild;
pub mod items;
pub mod limits;
pub mod map;
pub mod mobs;
pub mod net;
pub mod party;
pub mod persist;
pub mod protocol;
pub mod pvp;
pub mod quests;
pub mod regions;
pub mod skills;
pub mod social;
pub mod stats;
pub mod story;
pub mod story_content;
pub mod text;
pub mod trade;
pub mod world;
