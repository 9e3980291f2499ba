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
    pub cluster: ClusterConfig,
}

/// How this process joins a cluster (with `server.nats`); see docs/SCALING.md.
#[derive(Debug, Clone, Deserialize, PartialEq)]
#[serde(deny_unknown_fields, default)]
pub struct ClusterConfig {
    /// This process's name, unique in the cluster (letters, digits, `-`, `_`; at most 32);
    /// unset: `ek-` and the WebSocket port.
    pub name: Option<String>,
    /// The WebSocket URL players are sent to when they come here from another process;
    /// unset: `ws://` and the bound WebSocket address.
    pub public_ws_url: Option<String>,
    /// Players this process is meant to hold; handoffs go to the least full host of a map.
    pub capacity: u32,
    /// Seconds between this process's heartbeats.
    pub heartbeat_secs: f64,
    /// Seconds without a heartbeat after which another process counts as gone (its players
    /// offline).
    pub peer_timeout_secs: f64,
    /// Seconds an account's lease lasts unless renewed: after a crash, its players can log
    /// in elsewhere this long after the last renewal.
    pub lease_secs: f64,
    /// Seconds a handoff token stays valid.
    pub handoff_secs: f64,
    /// On SIGINT/SIGTERM, how long to wait for players to be handed to other processes
    /// before saving the rest and stopping.
    pub drain_secs: f64,
    /// First part of every NATS subject this cluster uses (several clusters may share one
    /// NATS server under different prefixes).
    pub subject_prefix: String,
}

impl Default for ClusterConfig {
    fn default() -> Self {
        ClusterConfig {
            name: None,
            public_ws_url: None,
            capacity: 5000,
            heartbeat_secs: 1.0,
            peer_timeout_secs: 3.5,
            lease_secs: 15.0,
            handoff_secs: 30.0,
            drain_secs: 15.0,
            subject_prefix: "emberkeep".into(),
        }
    }
}

/// A list given as a TOML array or, from an environment variable, as `a,b,c`.
fn list_or_csv<'de, D: serde::Deserializer<'de>>(d: D) -> Result<Vec<String>, D::Error> {
    #[derive(Deserialize)]
    #[serde(untagged)]
    enum ListOrCsv {
        List(Vec<String>),
        Csv(String),
    }
    Ok(match ListOrCsv::deserialize(d)? {
        ListOrCsv::List(v) => v,
        ListOrCsv::Csv(s) => (s.split(','))
            .map(|m| m.trim().to_string())
            .filter(|m| !m.is_empty())
            .collect(),
    })
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
    /// On shutdown, how long to keep trying to write saves the database has not taken yet
    /// (during an outage), in seconds; then what could not be saved is named in the log.
    pub shutdown_save_secs: f64,
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
    /// Failed logins for one account from one address within `login_lockout_secs` that lock
    /// that address out of that account (others, the owner included, can still log in).
    pub login_failures_per_account: u32,
    /// Failed logins from one address, on any accounts, within `login_lockout_secs` that
    /// lock the address out.
    pub login_failures_per_ip: u32,
    /// How long a login lockout lasts, and the window failures are counted in, in seconds.
    pub login_lockout_secs: f64,
    /// Longest delay between two logins to one account that keeps failing (from any
    /// address), in seconds: after `login_failures_per_account` failures attempts are spaced
    /// 1 s, 2 s, 4 s, ... apart, up to this; 0 turns the slowdown off.
    pub login_slowdown_max_secs: f64,
    /// Password hashes computed at once (argon2id, 19 MiB each); 0 picks one per core.
    pub password_hash_threads: usize,
    /// Logins and registrations that may wait for a hashing thread; more are refused `busy`.
    pub password_hash_queue: usize,
    /// Registration attempts one address may make per minute (a burst of as many).
    pub registrations_per_ip_per_min: u32,
    /// Accounts one address may create per day (counted since the server started).
    pub accounts_per_ip_per_day: u32,
    /// Seconds an HTTP client has to send a request's headers; also how long an idle
    /// keep-alive connection stays open.
    pub http_header_timeout_secs: f64,
    /// Seconds an HTTP connection may make no progress (no byte read or written) in the
    /// middle of a request or response before it is closed.
    pub http_idle_timeout_secs: f64,
    /// Open HTTP connections at most; further ones wait in the listen queue.
    pub http_max_connections: usize,
    /// Bearer token for the admin HTTP API (`/admin/...`); unset: only admin accounts'
    /// session tokens work. Prefer the EMBERKEEP_SERVER_ADMIN_TOKEN variable to a file.
    pub admin_token: Option<String>,
    /// Reload content when files in the assets folder change.
    pub watch_assets: bool,
    /// Record every input the world takes to this file, for `emberkeep replay` (unset: off).
    pub record: Option<PathBuf>,
    /// NATS server URL (`nats://host:4222`) to join a cluster of processes sharing the
    /// MongoDB database (see `[cluster]`); unset: this process runs alone.
    pub nats: Option<String>,
    /// Ticks between the world hashes a recording writes (checkpoints replay compares).
    pub record_hash_every_ticks: u64,
}

/// Simulation settings.
#[derive(Debug, Clone, Deserialize, PartialEq)]
#[serde(deny_unknown_fields, default)]
pub struct WorldConfig {
    /// Name of the map file in `<assets>/maps/`, without `.tmj`.
    pub map: String,
    /// The maps this process hosts (file names without `.tmj`), e.g. `["crypt"]` or, from
    /// the environment, `crypt,emberfield`; empty: every map. Players bound for another
    /// map are handed to a process of the cluster that hosts it.
    #[serde(deserialize_with = "list_or_csv")]
    pub maps: Vec<String>,
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
    /// Seconds between world snapshots (ground items, doors, world flags, the tick).
    pub snapshot_interval_secs: f64,
    /// Chat lines a player may say within `chat_window_secs`.
    pub chat_lines: u32,
    /// The chat rate limit's window, in seconds.
    pub chat_window_secs: f64,
    /// Seconds a connection may stay without a character in the world after `hello`.
    pub login_timeout_secs: f64,
    /// A view holding more entities than this is a crowd: its client gets every move of its
    /// nearest (about this many) each tick and farther ones' tiles every
    /// `crowd_far_every_secs` (0: every move of everything in view, however many).
    pub crowd_near_entities: u32,
    /// Seconds between two `positions` of a region for clients in a crowd.
    pub crowd_far_every_secs: f64,
    /// Tiles a player walks past a region's border before its view (the 3 x 3 regions it
    /// sees) follows; less than `region_size`.
    pub view_hysteresis_tiles: i32,
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
    /// Password hashes computed at once: `password_hash_threads`, or one per core when 0.
    pub fn effective_hash_threads(&self) -> usize {
        if self.password_hash_threads > 0 {
            return self.password_hash_threads;
        }
        std::thread::available_parallelism().map_or(1, |n| n.get())
    }

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
            shutdown_save_secs: 30.0,
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
            login_slowdown_max_secs: 30.0,
            password_hash_threads: 0,
            password_hash_queue: 64,
            registrations_per_ip_per_min: 5,
            accounts_per_ip_per_day: 20,
            http_header_timeout_secs: 10.0,
            http_idle_timeout_secs: 60.0,
            http_max_connections: 1024,
            admin_token: None,
            watch_assets: true,
            record: None,
            nats: None,
            record_hash_every_ticks: 100,
        }
    }
}

impl Default for WorldConfig {
    fn default() -> Self {
        let sim = SimConfig::default();
        WorldConfig {
            map: "emberfield".into(),
            maps: Vec::new(),
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
            snapshot_interval_secs: 10.0,
            chat_lines: 5,
            chat_window_secs: 5.0,
            login_timeout_secs: 120.0,
            crowd_near_entities: sim.crowd_near_entities,
            crowd_far_every_secs: sim.crowd_far_every_ticks as f64 / f64::from(sim.tick_rate),
            view_hysteresis_tiles: sim.view_hysteresis_tiles,
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
            let Some((section, key)) = ["SERVER", "WORLD", "LOG", "CLUSTER"].iter().find_map(|s| {
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

    /// Checks every number against its range (so no later multiplication by the tick rate,
    /// conversion to a `Duration` or allocation can overflow or panic) and the rules between
    /// keys; an error names the key, its range and the value given.
    pub fn validate(&self) -> anyhow::Result<()> {
        let w = &self.world;
        let s = &self.server;
        const DAY: f64 = 86_400.0;
        const MILLION: u32 = 1_000_000;
        in_range(
            "world.tick_rate",
            w.tick_rate,
            1..=1000,
            " ticks per second",
        )?;
        in_range("world.region_size", w.region_size, 2..=1024, " tiles")?;
        in_range("world.steps_per_sec", w.steps_per_sec, 1..=1000, "")?;
        in_range("world.step_burst", w.step_burst, 1..=1000, "")?;
        in_range(
            "world.hello_timeout_secs",
            w.hello_timeout_secs,
            0.01..=3600.0,
            " s",
        )?;
        in_range(
            "world.max_commands_per_tick",
            w.max_commands_per_tick,
            1..=10_000,
            "",
        )?;
        in_range("world.linger_secs", w.linger_secs, 0.0..=3600.0, " s")?;
        in_range(
            "world.save_interval_secs",
            w.save_interval_secs,
            0.05..=3600.0,
            " s",
        )?;
        in_range(
            "world.snapshot_interval_secs",
            w.snapshot_interval_secs,
            0.05..=3600.0,
            " s",
        )?;
        in_range("world.chat_lines", w.chat_lines, 1..=MILLION, "")?;
        in_range(
            "world.chat_window_secs",
            w.chat_window_secs,
            0.01..=3600.0,
            " s",
        )?;
        in_range(
            "world.login_timeout_secs",
            w.login_timeout_secs,
            w.hello_timeout_secs.max(0.01)..=DAY,
            " s (at least world.hello_timeout_secs)",
        )?;
        in_range(
            "world.crowd_near_entities",
            w.crowd_near_entities,
            0..=100_000,
            " (0: no crowd handling)",
        )?;
        in_range(
            "world.crowd_far_every_secs",
            w.crowd_far_every_secs,
            0.05..=60.0,
            " s",
        )?;
        in_range(
            "world.view_hysteresis_tiles",
            w.view_hysteresis_tiles,
            0..=w.region_size.saturating_sub(1).max(0),
            " (less than world.region_size)",
        )?;
        in_range(
            "server.max_message_bytes",
            s.max_message_bytes,
            256..=1 << 20,
            " bytes",
        )?;
        in_range(
            "world.max_chat_chars",
            w.max_chat_chars,
            1..=s.max_message_bytes,
            " (at most server.max_message_bytes)",
        )?;
        in_range(
            "server.outbound_queue_frames",
            s.outbound_queue_frames,
            1..=1 << 16,
            " frames",
        )?;
        in_range("server.inbound_queue", s.inbound_queue, 1..=1 << 24, "")?;
        in_range(
            "server.max_inbound_per_tick",
            s.max_inbound_per_tick,
            1..=1 << 24,
            "",
        )?;
        self.validate_cluster()?;
        in_range(
            "server.record_hash_every_ticks",
            s.record_hash_every_ticks,
            1..=1_000_000,
            " ticks",
        )?;
        in_range(
            "server.stats_interval_secs",
            s.stats_interval_secs,
            0..=86_400,
            " s",
        )?;
        in_range("server.net_threads", s.net_threads, 0..=256, "")?;
        in_range(
            "server.view_every_ticks",
            s.view_every_ticks,
            1..=crate::net::dispatch::MAX_VIEW_EVERY,
            "",
        )?;
        in_range(
            "server.shutdown_save_secs",
            s.shutdown_save_secs,
            0.0..=3600.0,
            " s",
        )?;
        in_range(
            "server.session_ttl_secs",
            s.session_ttl_secs,
            1..=MAX_TTL_SECS,
            " s (ten years)",
        )?;
        in_range("server.max_characters", s.max_characters, 1..=1000, "")?;
        in_range(
            "server.msg_rate_per_sec",
            s.msg_rate_per_sec,
            0.01..=1e6,
            "",
        )?;
        in_range("server.msg_burst", s.msg_burst, 1.0..=1e6, "")?;
        in_range("server.flood_drops", s.flood_drops, 1..=MILLION, "")?;
        in_range(
            "server.duplicate_window_ms",
            s.duplicate_window_ms,
            0..=60_000,
            " ms",
        )?;
        in_range(
            "server.ping_interval_secs",
            s.ping_interval_secs,
            0.01..=3600.0,
            " s",
        )?;
        in_range(
            "server.idle_timeout_secs",
            s.idle_timeout_secs,
            0.02..=DAY,
            " s",
        )?;
        if s.idle_timeout_secs <= s.ping_interval_secs {
            bail!(
                "server.idle_timeout_secs ({}) must be longer than server.ping_interval_secs ({})",
                s.idle_timeout_secs,
                s.ping_interval_secs
            );
        }
        in_range(
            "server.max_connections_per_ip",
            s.max_connections_per_ip,
            1..=MILLION,
            "",
        )?;
        in_range(
            "server.new_connections_per_ip_per_sec",
            s.new_connections_per_ip_per_sec,
            0.01..=1e6,
            "",
        )?;
        in_range(
            "server.login_failures_per_account",
            s.login_failures_per_account,
            1..=MILLION,
            "",
        )?;
        in_range(
            "server.login_failures_per_ip",
            s.login_failures_per_ip,
            1..=MILLION,
            "",
        )?;
        in_range(
            "server.login_lockout_secs",
            s.login_lockout_secs,
            0.01..=7.0 * DAY,
            " s",
        )?;
        in_range(
            "server.login_slowdown_max_secs",
            s.login_slowdown_max_secs,
            0.0..=3600.0,
            " s",
        )?;
        in_range(
            "server.password_hash_threads",
            s.password_hash_threads,
            0..=256,
            "",
        )?;
        in_range(
            "server.password_hash_queue",
            s.password_hash_queue,
            0..=100_000,
            "",
        )?;
        in_range(
            "server.registrations_per_ip_per_min",
            s.registrations_per_ip_per_min,
            1..=10_000,
            "",
        )?;
        in_range(
            "server.accounts_per_ip_per_day",
            s.accounts_per_ip_per_day,
            1..=MILLION,
            "",
        )?;
        in_range(
            "server.http_header_timeout_secs",
            s.http_header_timeout_secs,
            0.01..=3600.0,
            " s",
        )?;
        in_range(
            "server.http_idle_timeout_secs",
            s.http_idle_timeout_secs,
            0.01..=DAY,
            " s",
        )?;
        in_range(
            "server.http_max_connections",
            s.http_max_connections,
            1..=MILLION as usize,
            "",
        )?;
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
    /// The cluster's keys, and what a cluster needs of the others.
    fn validate_cluster(&self) -> anyhow::Result<()> {
        let c = &self.cluster;
        in_range("cluster.capacity", c.capacity, 1..=1_000_000, " players")?;
        in_range(
            "cluster.heartbeat_secs",
            c.heartbeat_secs,
            0.05..=60.0,
            " s",
        )?;
        in_range(
            "cluster.peer_timeout_secs",
            c.peer_timeout_secs,
            (c.heartbeat_secs * 2.0)..=600.0,
            " s (at least twice cluster.heartbeat_secs)",
        )?;
        in_range("cluster.lease_secs", c.lease_secs, 0.3..=3600.0, " s")?;
        in_range("cluster.handoff_secs", c.handoff_secs, 0.1..=3600.0, " s")?;
        in_range("cluster.drain_secs", c.drain_secs, 0.0..=3600.0, " s")?;
        let subject_ok = |s: &str| {
            !s.is_empty()
                && s.len() <= 32
                && s.bytes()
                    .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_')
        };
        if let Some(name) = &c.name
            && !subject_ok(name)
        {
            bail!(
                "cluster.name must be 1 to 32 letters, digits, - or _ (it is part of NATS subjects), got {name:?}"
            );
        }
        if !subject_ok(&c.subject_prefix) {
            bail!(
                "cluster.subject_prefix must be 1 to 32 letters, digits, - or _, got {:?}",
                c.subject_prefix
            );
        }
        if let Some(url) = &self.server.nats {
            if !(url.starts_with("nats://") || url.starts_with("tls://")) {
                bail!("server.nats must be a nats:// (or tls://) URL, got {url:?}");
            }
            if !self.server.database.starts_with("mongodb") {
                bail!(
                    "server.nats joins a cluster, whose processes share one database: set server.database to a mongodb:// URL (got {:?})",
                    self.server.database
                );
            }
        }
        if let Some(url) = &c.public_ws_url
            && !(url.starts_with("ws://") || url.starts_with("wss://"))
        {
            bail!("cluster.public_ws_url must be a ws:// or wss:// URL, got {url:?}");
        }
        for m in &self.world.maps {
            if m.is_empty() || m.contains(['/', '\\', '.']) {
                bail!("world.maps must name maps in <assets>/maps without .tmj, got {m:?}");
            }
        }
        Ok(())
    }

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
            snapshot_interval_ticks: ((w.snapshot_interval_secs * f64::from(w.tick_rate)).ceil()
                as u64)
                .max(1),
            chat_lines: w.chat_lines,
            chat_window_ticks: ((w.chat_window_secs * f64::from(w.tick_rate)).ceil() as u64).max(1),
            login_timeout_ticks: (w.login_timeout_secs * f64::from(w.tick_rate)).ceil() as u64,
            crowd_near_entities: w.crowd_near_entities,
            crowd_far_every_ticks: ((w.crowd_far_every_secs * f64::from(w.tick_rate)).round()
                as u64)
                .max(1),
            view_hysteresis_tiles: w.view_hysteresis_tiles,
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

/// Longest session a token may last: ten years, in seconds.
pub const MAX_TTL_SECS: u64 = 10 * 365 * 24 * 3600;

/// Checks that `value` of `key` lies in `range` (NaN never does); the error names the key,
/// the range and the value.
fn in_range<T: PartialOrd + std::fmt::Display>(
    key: &str,
    value: T,
    range: std::ops::RangeInclusive<T>,
    unit: &str,
) -> anyhow::Result<()> {
    if range.contains(&value) {
        return Ok(());
    }
    bail!(
        "{key} must be {} to {}{unit}, got {value}",
        range.start(),
        range.end()
    )
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

    /// Every numeric key is checked at load: a value that would overflow later (times the
    /// tick rate, as a `Duration`, as an allocation) is an error naming the key, not a panic.
    #[test]
    fn every_numeric_key_is_range_checked_naming_the_key() {
        let (big, big32) = (i64::MAX, u32::MAX);
        let cases: &[(&str, &str, String)] = &[
            ("world", "tick_rate", "0".into()),
            ("world", "region_size", "1".into()),
            ("world", "steps_per_sec", big32.to_string()),
            ("world", "step_burst", "0".into()),
            ("world", "hello_timeout_secs", "nan".into()),
            ("world", "max_chat_chars", "0".into()),
            ("world", "max_commands_per_tick", big32.to_string()),
            ("world", "linger_secs", "1e300".into()),
            ("world", "save_interval_secs", "inf".into()),
            ("world", "snapshot_interval_secs", "0".into()),
            ("world", "chat_lines", "0".into()),
            ("world", "chat_window_secs", "-1.0".into()),
            ("world", "login_timeout_secs", "1e300".into()),
            ("server", "max_message_bytes", "10".into()),
            ("server", "outbound_queue_frames", big.to_string()),
            ("server", "inbound_queue", big.to_string()),
            ("server", "max_inbound_per_tick", "0".into()),
            ("server", "stats_interval_secs", big.to_string()),
            ("server", "net_threads", "100000".into()),
            ("server", "view_every_ticks", "9".into()),
            ("server", "shutdown_save_secs", "1e300".into()),
            ("server", "session_ttl_secs", big.to_string()),
            ("server", "max_characters", "0".into()),
            ("server", "msg_rate_per_sec", "inf".into()),
            ("server", "msg_burst", "0.5".into()),
            ("server", "flood_drops", "0".into()),
            ("server", "duplicate_window_ms", big.to_string()),
            ("server", "ping_interval_secs", "nan".into()),
            ("server", "idle_timeout_secs", "1e300".into()),
            ("server", "max_connections_per_ip", "0".into()),
            ("server", "new_connections_per_ip_per_sec", "-3.0".into()),
            ("server", "login_failures_per_account", "0".into()),
            ("server", "login_failures_per_ip", "0".into()),
            ("server", "login_lockout_secs", "1e300".into()),
            ("server", "login_slowdown_max_secs", "1e300".into()),
            ("server", "password_hash_threads", "100000".into()),
            ("server", "password_hash_queue", big.to_string()),
            ("server", "registrations_per_ip_per_min", "0".into()),
            ("server", "accounts_per_ip_per_day", "0".into()),
            ("server", "http_header_timeout_secs", "0.0".into()),
            ("server", "http_idle_timeout_secs", "1e300".into()),
            ("server", "http_max_connections", "0".into()),
        ];
        for (section, key, value) in cases {
            let e = Config::from_toml(&format!("[{section}]\n{key} = {value}\n"))
                .map(|_| "accepted".to_string())
                .unwrap_or_else(|e| e.to_string());
            assert!(
                e.contains(&format!("{section}.{key} must be")),
                "{section}.{key} = {value}: {e}"
            );
        }
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
