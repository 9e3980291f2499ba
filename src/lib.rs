//! The Emberkeep server: configuration, asset loading, the world thread, the WebSocket
//! network tasks and their wiring. `docs/ARCHITECTURE.md` maps where everything lives.

pub mod admin;
pub mod assets;
pub mod catalog;
pub mod cluster;
pub mod config;
pub mod http;
pub mod metrics;
pub mod net;
pub mod process;
pub mod reload;
pub mod replay;
pub mod runner;
pub mod server;
pub mod stats;
pub mod storage;

pub use config::Config;
pub use server::{ServerHandle, start};
