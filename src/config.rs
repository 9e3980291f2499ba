//! Server configuration: a TOML file, overridden by environment variables and CLI flags.
//!
//! Precedence, lowest first: built-in defaults, the file given by `--config`, then
//! `EMBERKEEP_*` environment variables and command-line flags (a flag beats its variable).
//! Every key is documented in `emberkeep.example.toml`.

use std::net::SocketAddr;
use std::path::{Path, PathBuf};

use anyhow::{Context, bail};
use emberkeep_components::config::SimConfig;
use serde::Deserialize;

/// Everything the server reads at start.
#[derive(Debug, Clone, Default, Deserialize, PartialEq)]
#[serde(deny_unknown_fields, default)]
pub struct Config {
    pub server: ServerConfig,
    pub world: WorldConfig,
    pub log: LogConfig,
}

/// Network and process settings.
#[derive(Debug, Clone, Deserialize, PartialEq)]
#[serde(deny_unknown_fields, default)]
pub struct ServerConfig {
    /// Where WebSocket clients connect.
    pub ws_addr: SocketAddr,
    /// Where the HTTP server (the web client, `/health`) listens.
    pub http_addr: SocketAddr,
    /// A folder to serve the web client from instead of the copy built into the binary,
    /// read on each request (for working on `web/` without rebuilding).
    pub web_root: Option<PathBuf>,
    /// The content folder (maps, and later mobs, items, ...).
    pub assets: PathBuf,
    /// Largest WebSocket message or frame a client may send, in bytes.
    pub max_message_bytes: usize,
    /// Frames queued for one client before it counts as too slow and is disconnected.
    pub outbound_queue_frames: usize,
    /// Capacity of the channel from network tasks into the world.
    pub inbound_queue: usize,
    /// Inputs the world takes from that channel per tick at most.
    pub max_inbound_per_tick: usize,
    /// Seconds between the periodic tick statistics log line (0 turns it off).
    pub stats_interval_secs: u64,
    /// Threads of the network runtime; 0 picks one per core.
    pub net_threads: usize,
    /// A client is sent what others around it did at least every this many ticks (1 to 4);
    /// a frame with events of its own, or answering a command it sent, goes out in its tick.
    pub view_every_ticks: u32,
    /// Where accounts and characters are kept: `sqlite://FILE` (default, created on first
    /// run) or `mongodb://HOST[:PORT][/DB]`.
    pub database: String,
    /// How long a login session token stays valid, in seconds.
    pub session_ttl_secs: u64,
    /// Characters one account may have.
    pub max_characters: u32,
    /// Sustained messages per second one connection may send; more are dropped with an error.
    pub msg_rate_per_sec: f64,
    /// Messages one connection may send in a burst.
    pub msg_burst: f64,
    /// Messages dropped for rate within 10 s that close the connection as flooding.
    pub flood_drops: u32,
    /// An identical message repeated within this many milliseconds is dropped.
    pub duplicate_window_ms: u64,
    /// Seconds of silence (not even a pong) after which a connection is closed.
    pub idle_timeout_secs: f64,
    /// Seconds between WebSocket pings the server sends each connection.
    pub ping_interval_secs: f64,
    /// Open connections one IP address may hold.
    pub max_connections_per_ip: u32,
    /// New connections per second one IP address may open (bursts of twice that).
    pub new_connections_per_ip_per_sec: f64,
    /// Failed logins for one account within `login_lockout_secs` that lock it out.
    pub login_failures_per_account: u32,
    /// Failed logins from one address within `login_lockout_secs` that lock it out.
    pub login_failures_per_ip: u32,
    /// How long a login lockout lasts, in seconds.
    pub login_lockout_secs: f64,
    /// Bearer token for the admin HTTP API (`/admin/...`); unset: only admin accounts'
    /// session tokens work. Prefer the EMBERKEEP_SERVER_ADMIN_TOKEN variable to a file.
    pub admin_token: Option<String>,
    /// Reload content when files in the assets folder change.
    pub watch_assets: bool,
}

/// Simulation settings.
#[derive(Debug, Clone, Deserialize, PartialEq)]
#[serde(deny_unknown_fields, default)]
pub struct WorldConfig {
    /// Name of the map file in `<assets>/maps/`, without `.tmj`.
    pub map: String,
    /// Ticks per second.
    pub tick_rate: u32,
    /// Side of a region in tiles.
    pub region_size: i32,
    /// Sustained steps per second a player may take.
    pub steps_per_sec: u32,
    /// Steps a player may bank while standing still.
    pub step_burst: u32,
    /// Seconds a new connection has to send `hello`.
    pub hello_timeout_secs: f64,
    /// Longest chat line in characters.
    pub max_chat_chars: usize,
    /// Commands applied per connection per tick.
    pub max_commands_per_tick: u32,
    /// Seed of the world's random number generator.
    pub seed: u64,
    /// Whether `hello` with a name enters the world as an unsaved guest.
    pub allow_guests: bool,
    /// Seconds a disconnected character stays in the world, resumable in place.
    pub linger_secs: f64,
    /// Seconds between saves of characters whose state changed.
    pub save_interval_secs: f64,
    /// Chat lines a player may say within `chat_window_secs`.
    pub chat_lines: u32,
    /// The chat rate limit's window, in seconds.
    pub chat_window_secs: f64,
    /// Seconds a connection may stay without a character in the world after `hello`.
    pub login_timeout_secs: f64,
}

/// Logging settings (`RUST_LOG` filters as usual).
#[derive(Debug, Clone, Deserialize, PartialEq)]
#[serde(deny_unknown_fields, default)]
pub struct LogConfig {
    /// `text` or `json`.
    pub format: LogFormat,
}

/// How log lines are written.
#[derive(Debug, Clone, Copy, Deserialize, PartialEq, Eq, Default, clap::ValueEnum)]
#[serde(rename_all = "lowercase")]
pub enum LogFormat {
    #[default]
    Text,
    Json,
}

impl ServerConfig {
    /// The network runtime's thread count: `net_threads`, or one per core when it is 0.
    pub fn effective_net_threads(&self) -> usize {
        if self.net_threads > 0 {
            return self.net_threads;
        }
        std::thread::available_parallelism().map_or(1, |n| n.get())
    }
}

impl Default for ServerConfig {
    fn default() -> Self {
        ServerConfig {
            ws_addr: SocketAddr::from(([127, 0, 0, 1], 9001)),
            http_addr: SocketAddr::from(([127, 0, 0, 1], 9000)),
            web_root: None,
            assets: PathBuf::from("assets"),
            max_message_bytes: 4096,
            outbound_queue_frames: 128,
            inbound_queue: 65_536,
            max_inbound_per_tick: 50_000,
            stats_interval_secs: 30,
            net_threads: 0,
            view_every_ticks: 2,
            database: "sqlite://data/emberkeep.db".into(),
            session_ttl_secs: 7 * 24 * 3600,
            max_characters: 5,
            msg_rate_per_sec: 20.0,
            msg_burst: 40.0,
            flood_drops: 100,
            duplicate_window_ms: 100,
            idle_timeout_secs: 60.0,
            ping_interval_secs: 15.0,
            max_connections_per_ip: 32,
            new_connections_per_ip_per_sec: 10.0,
            login_failures_per_account: 5,
            login_failures_per_ip: 20,
            login_lockout_secs: 300.0,
            admin_token: None,
            watch_assets: true,
        }
    }
}

impl Default for WorldConfig {
    fn default() -> Self {
        let sim = SimConfig::default();
        WorldConfig {
            map: "emberfield".into(),
            tick_rate: sim.tick_rate,
            region_size: sim.region_size,
            steps_per_sec: sim.steps_per_sec,
            step_burst: sim.step_burst,
            hello_timeout_secs: 10.0,
            max_chat_chars: sim.max_chat_chars,
            max_commands_per_tick: sim.max_commands_per_tick,
            seed: 15_650_406_699_008,
            allow_guests: true,
            linger_secs: 30.0,
            save_interval_secs: 30.0,
            chat_lines: 5,
            chat_window_secs: 5.0,
            login_timeout_secs: 120.0,
        }
    }
}

impl Default for LogConfig {
    fn default() -> Self {
        LogConfig {
            format: LogFormat::Text,
        }
    }
}

impl Config {
    /// Reads a config file; unknown keys and bad values are errors naming the key.
    pub fn from_file(path: &Path) -> anyhow::Result<Config> {
        let text = std::fs::read_to_string(path)
            .with_context(|| format!("cannot read config file {}", path.display()))?;
        Self::from_toml(&text).with_context(|| format!("invalid config file {}", path.display()))
    }

    /// Reads the optional config file, then applies `EMBERKEEP_<SECTION>_<KEY>` variables from
    /// `env` over it (e.g. `EMBERKEEP_WORLD_TICK_RATE=30`, `EMBERKEEP_SERVER_ADMIN_TOKEN=...`).
    /// Values are TOML literals (numbers, `true`, quoted strings) or else taken as strings.
    pub fn load(
        file: Option<&Path>,
        env: impl IntoIterator<Item = (String, String)>,
    ) -> anyhow::Result<Config> {
        let (mut table, source) = match file {
            Some(path) => {
                let text = std::fs::read_to_string(path)
                    .with_context(|| format!("cannot read config file {}", path.display()))?;
                let table: toml::Table = toml::from_str(&text)
                    .map_err(|e| anyhow::anyhow!("{e}"))
                    .with_context(|| format!("invalid config file {}", path.display()))?;
                (table, format!("config file {}", path.display()))
            }
            None => (toml::Table::new(), "the defaults".to_string()),
        };
        let mut from_env = Vec::new();
        for (var, raw) in env {
            let Some((section, key)) = ["SERVER", "WORLD", "LOG"].iter().find_map(|s| {
                var.strip_prefix(&format!("EMBERKEEP_{s}_"))
                    .map(|k| (s.to_lowercase(), k.to_lowercase()))
            }) else {
                continue;
            };
            let value = toml::from_str::<toml::Table>(&format!("v = {raw}"))
                .ok()
                .and_then(|mut t| t.remove("v"))
                .unwrap_or(toml::Value::String(raw.clone()));
            let entry = table
                .entry(section.clone())
                .or_insert_with(|| toml::Value::Table(toml::Table::new()));
            let Some(section_table) = entry.as_table_mut() else {
                bail!("[{section}] in the config file is not a table");
            };
            section_table.insert(key.clone(), value);
            from_env.push(format!("{var} ({section}.{key})"));
        }
        let config: Config =
            toml::Value::Table(table)
                .try_into()
                .map_err(|e: toml::de::Error| {
                    let vars = if from_env.is_empty() {
                        String::new()
                    } else {
                        format!("; set by environment: {}", from_env.join(", "))
                    };
                    anyhow::anyhow!("invalid configuration ({source}{vars}): {e}")
                })?;
        config.validate()?;
        Ok(config)
    }

    /// Parses config text (TOML).
    pub fn from_toml(text: &str) -> anyhow::Result<Config> {
        let config: Config = toml::from_str(text).map_err(|e| anyhow::anyhow!("{e}"))?;
        config.validate()?;
        Ok(config)
    }

    /// Checks ranges that the types alone do not.
    pub fn validate(&self) -> anyhow::Result<()> {
        let w = &self.world;
        let s = &self.server;
        if !(1..=1000).contains(&w.tick_rate) {
            bail!(
                "world.tick_rate must be 1 to 1000 ticks per second, got {}",
                w.tick_rate
            );
        }
        if !(2..=1024).contains(&w.region_size) {
            bail!(
                "world.region_size must be 2 to 1024 tiles, got {}",
                w.region_size
            );
        }
        if w.steps_per_sec == 0 || w.step_burst == 0 {
            bail!("world.steps_per_sec and world.step_burst must be at least 1");
        }
        if !(w.hello_timeout_secs > 0.0 && w.hello_timeout_secs <= 3600.0) {
            bail!(
                "world.hello_timeout_secs must be above 0 and at most 3600, got {}",
                w.hello_timeout_secs
            );
        }
        if w.max_commands_per_tick == 0 {
            bail!("world.max_commands_per_tick must be at least 1");
        }
        if !(256..=1 << 20).contains(&s.max_message_bytes) {
            bail!(
                "server.max_message_bytes must be 256 to 1048576, got {}",
                s.max_message_bytes
            );
        }
        if s.outbound_queue_frames == 0 || s.inbound_queue == 0 || s.max_inbound_per_tick == 0 {
            bail!(
                "server.outbound_queue_frames, inbound_queue and max_inbound_per_tick must be at least 1"
            );
        }
        if !(1..=crate::net::dispatch::MAX_VIEW_EVERY).contains(&s.view_every_ticks) {
            bail!(
                "server.view_every_ticks must be 1 to {}, got {}",
                crate::net::dispatch::MAX_VIEW_EVERY,
                s.view_every_ticks
            );
        }
        if w.chat_lines == 0 || !(w.chat_window_secs > 0.0 && w.chat_window_secs <= 3600.0) {
            bail!(
                "world.chat_lines must be at least 1 and world.chat_window_secs above 0 (at most 3600)"
            );
        }
        if !(w.login_timeout_secs >= w.hello_timeout_secs && w.login_timeout_secs <= 86_400.0) {
            bail!(
                "world.login_timeout_secs must be at least world.hello_timeout_secs and at most 86400"
            );
        }
        if !(0.0..=3600.0).contains(&w.linger_secs) {
            bail!("world.linger_secs must be 0 to 3600, got {}", w.linger_secs);
        }
        if !(w.save_interval_secs >= 0.05 && w.save_interval_secs <= 3600.0) {
            bail!(
                "world.save_interval_secs must be 0.05 to 3600, got {}",
                w.save_interval_secs
            );
        }
        if !(s.msg_rate_per_sec > 0.0 && s.msg_burst >= 1.0 && s.flood_drops >= 1) {
            bail!(
                "server.msg_rate_per_sec must be above 0, server.msg_burst and server.flood_drops at least 1"
            );
        }
        if !(s.ping_interval_secs > 0.0 && s.idle_timeout_secs > s.ping_interval_secs) {
            bail!(
                "server.idle_timeout_secs ({}) must be longer than server.ping_interval_secs ({}), both above 0",
                s.idle_timeout_secs,
                s.ping_interval_secs
            );
        }
        if s.max_connections_per_ip == 0 || s.new_connections_per_ip_per_sec <= 0.0 {
            bail!(
                "server.max_connections_per_ip and server.new_connections_per_ip_per_sec must be above 0"
            );
        }
        if s.login_failures_per_account == 0
            || s.login_failures_per_ip == 0
            || s.login_lockout_secs <= 0.0
        {
            bail!(
                "server.login_failures_per_account, login_failures_per_ip and login_lockout_secs must be above 0"
            );
        }
        if s.session_ttl_secs == 0 || s.max_characters == 0 {
            bail!("server.session_ttl_secs and server.max_characters must be at least 1");
        }
        if let Err(e) = crate::storage::DatabaseUrl::parse(&s.database) {
            bail!("server.database: {e}");
        }
        if s.http_addr == s.ws_addr && s.http_addr.port() != 0 {
            bail!(
                "server.http_addr and server.ws_addr must differ, both are {}",
                s.http_addr
            );
        }
        if s.web_root
            .as_ref()
            .is_some_and(|r| r.as_os_str().is_empty())
        {
            bail!(
                "server.web_root must name a folder with the web client, got an empty path; \
                 leave it unset to serve the client built into the binary"
            );
        }
        if w.map.is_empty() || w.map.contains(['/', '\\']) || w.map.contains("..") {
            bail!(
                "world.map must be a file name in <assets>/maps without .tmj, got {:?}",
                w.map
            );
        }
        Ok(())
    }

    /// The simulation settings the world runs with.
    pub fn sim(&self) -> SimConfig {
        let w = &self.world;
        SimConfig {
            tick_rate: w.tick_rate,
            region_size: w.region_size,
            steps_per_sec: w.steps_per_sec,
            step_burst: w.step_burst,
            hello_timeout_ticks: (w.hello_timeout_secs * f64::from(w.tick_rate)).ceil() as u64,
            max_chat_chars: w.max_chat_chars,
            max_commands_per_tick: w.max_commands_per_tick,
            allow_guests: w.allow_guests,
            linger_ticks: (w.linger_secs * f64::from(w.tick_rate)).ceil() as u64,
            save_interval_ticks: ((w.save_interval_secs * f64::from(w.tick_rate)).ceil() as u64)
                .max(1),
            chat_lines: w.chat_lines,
            chat_window_ticks: ((w.chat_window_secs * f64::from(w.tick_rate)).ceil() as u64).max(1),
            login_timeout_ticks: (w.login_timeout_secs * f64::from(w.tick_rate)).ceil() as u64,
        }
    }

    /// Path of the map file this config selects.
    pub fn map_path(&self) -> PathBuf {
        self.server
            .assets
            .join("maps")
            .join(format!("{}.tmj", self.world.map))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn defaults_are_valid_and_listen_on_loopback() {
        let c = Config::default();
        c.validate().unwrap();
        assert!(c.server.ws_addr.ip().is_loopback());
        assert_eq!(c.sim().hello_timeout_ticks, 200);
    }

    #[test]
    fn network_threads_are_one_per_core_unless_set() {
        let cores = std::thread::available_parallelism().map_or(1, |n| n.get());
        let auto = ServerConfig::default();
        assert_eq!(auto.effective_net_threads(), cores);
        let set = ServerConfig {
            net_threads: 3,
            ..ServerConfig::default()
        };
        assert_eq!(set.effective_net_threads(), 3);
    }

    #[test]
    fn environment_variables_override_the_file_and_name_themselves_when_wrong() {
        let dir = tempfile::tempdir().unwrap();
        let file = dir.path().join("c.toml");
        std::fs::write(&file, "[world]\ntick_rate = 10\nmap = \"from_file\"\n").unwrap();
        let env = |pairs: &[(&str, &str)]| {
            pairs
                .iter()
                .map(|(k, v)| (k.to_string(), v.to_string()))
                .collect::<Vec<_>>()
        };
        let c = Config::load(
            Some(&file),
            env(&[
                ("EMBERKEEP_WORLD_TICK_RATE", "30"),
                ("EMBERKEEP_SERVER_ADMIN_TOKEN", "s3cret"),
                ("EMBERKEEP_SERVER_WEB_ROOT", "web"),
                ("EMBERKEEP_WORLD_ALLOW_GUESTS", "false"),
                ("PATH", "/bin"),
            ]),
        )
        .unwrap();
        assert_eq!(
            (
                c.world.tick_rate,
                c.world.map.as_str(),
                c.world.allow_guests
            ),
            (30, "from_file", false)
        );
        assert_eq!(c.server.admin_token.as_deref(), Some("s3cret"));
        assert_eq!(c.server.web_root, Some(PathBuf::from("web")));
        let e = Config::load(None, env(&[("EMBERKEEP_WORLD_TICKRATE", "30")]))
            .unwrap_err()
            .to_string();
        assert!(
            e.contains("tickrate") && e.contains("EMBERKEEP_WORLD_TICKRATE"),
            "{e}"
        );
        let e = Config::load(None, env(&[("EMBERKEEP_WORLD_TICK_RATE", "0")]))
            .unwrap_err()
            .to_string();
        assert!(e.contains("world.tick_rate"), "{e}");
    }

    #[test]
    fn errors_name_the_key() {
        let e = Config::from_toml("[world]\ntick_rate = 0\n")
            .unwrap_err()
            .to_string();
        assert!(e.contains("world.tick_rate"), "{e}");
        let e = Config::from_toml("[world]\ntickrate = 20\n")
            .unwrap_err()
            .to_string();
        assert!(e.contains("tickrate"), "{e}");
        let e = Config::from_toml("[server]\nws_addr = \"nowhere\"\n")
            .unwrap_err()
            .to_string();
        assert!(e.contains("ws_addr"), "{e}");
        for bad in [0, 5] {
            let e = Config::from_toml(&format!("[server]\nview_every_ticks = {bad}\n"))
                .unwrap_err()
                .to_string();
            assert!(
                e.contains("server.view_every_ticks must be 1 to 4")
                    && e.contains(&bad.to_string()),
                "{e}"
            );
        }
    }
}
