//! The `emberkeep` binary: parse flags, set up logging, run the server until SIGINT/SIGTERM.

use std::net::SocketAddr;
use std::path::PathBuf;
use std::process::ExitCode;

use anyhow::Context;
use clap::{Parser, Subcommand};
use emberkeep::Config;
use emberkeep::config::LogFormat;
use tracing::{error, info};

/// Emberkeep: an authoritative MMORPG server. With no command, runs the server.
#[derive(Parser, Debug)]
#[command(name = "emberkeep", version, about)]
struct Cli {
    /// Config file (TOML); see emberkeep.example.toml. Flags and EMBERKEEP_* variables override it.
    #[arg(long, env = "EMBERKEEP_CONFIG", global = true)]
    config: Option<PathBuf>,
    /// Address for WebSocket clients [default: 127.0.0.1:9001]
    #[arg(long, env = "EMBERKEEP_WS_ADDR")]
    ws_addr: Option<SocketAddr>,
    /// Address of the HTTP server for the web client [default: 127.0.0.1:9000]
    #[arg(long, env = "EMBERKEEP_HTTP_ADDR")]
    http_addr: Option<SocketAddr>,
    /// Content folder (maps, ...) [default: assets]
    #[arg(long, env = "EMBERKEEP_ASSETS", global = true)]
    assets: Option<PathBuf>,
    /// Database URL: sqlite://FILE or mongodb://HOST[:PORT][/DB] [default: sqlite://data/emberkeep.db]
    #[arg(long, env = "EMBERKEEP_DATABASE")]
    database: Option<String>,
    /// Ticks per second [default: 20]
    #[arg(long, env = "EMBERKEEP_TICK_RATE")]
    tick_rate: Option<u32>,
    /// NATS server URL: join the cluster of processes sharing the MongoDB database (server.nats)
    #[arg(long, env = "EMBERKEEP_NATS")]
    nats: Option<String>,
    /// Record every input the world takes to this file, for `emberkeep replay` (server.record)
    #[arg(long, env = "EMBERKEEP_RECORD")]
    record: Option<PathBuf>,
    /// Log format [default: text]; filter with RUST_LOG (e.g. RUST_LOG=emberkeep=debug)
    #[arg(long, env = "EMBERKEEP_LOG_FORMAT", value_enum)]
    log_format: Option<LogFormat>,
    #[command(subcommand)]
    command: Option<Command>,
}

#[derive(Subcommand, Debug)]
enum Command {
    /// Run the server (the default).
    Run,
    /// Give an account a role (player, gm or admin) in the configured database.
    Promote {
        /// The account's username.
        username: String,
        /// player, gm or admin.
        role: String,
    },
    /// Validate the assets (map and content files) without starting the server; lists every
    /// problem and exits non-zero if there are any.
    CheckAssets {
        /// Content folder to check [default: the configured one]
        dir: Option<PathBuf>,
    },
    /// Replay a log recorded with --record headless, print `tick <n> hash <hex>` every N
    /// ticks and check the recorded world hashes; exits non-zero at the first that differs.
    /// The content is looked up by fingerprint in --assets, then in the recorded folder.
    Replay {
        /// The log (server.record / --record).
        log: PathBuf,
        /// Print the world hash every N ticks [default: the recording's checkpoint interval]
        #[arg(long, value_name = "N", value_parser = clap::value_parser!(u64).range(1..))]
        every: Option<u64>,
        /// Another folder with content the log reloaded while recording (repeatable).
        #[arg(long, value_name = "DIR")]
        reloaded_assets: Vec<PathBuf>,
    },
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    let config = match build_config(&cli) {
        Ok(c) => c,
        Err(e) => {
            eprintln!("emberkeep: {e:#}");
            return ExitCode::from(2);
        }
    };
    init_logging(config.log.format);
    let result = match cli.command {
        Some(Command::CheckAssets { dir }) => check_assets(config, dir),
        Some(Command::Promote { username, role }) => promote(config, &username, &role),
        Some(Command::Replay {
            log,
            every,
            reloaded_assets,
        }) => replay(&cli.assets, log, every, reloaded_assets),
        None | Some(Command::Run) => run(config),
    };
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            error!("{e:#}");
            eprintln!("emberkeep: {e:#}");
            ExitCode::FAILURE
        }
    }
}

fn build_config(cli: &Cli) -> anyhow::Result<Config> {
    // Defaults < file < EMBERKEEP_<SECTION>_<KEY> variables < flags (and their variables).
    let mut config = Config::load(cli.config.as_deref(), std::env::vars())?;
    if let Some(a) = cli.ws_addr {
        config.server.ws_addr = a;
    }
    if let Some(a) = cli.http_addr {
        config.server.http_addr = a;
    }
    if let Some(a) = &cli.assets {
        config.server.assets = a.clone();
    }
    if let Some(d) = &cli.database {
        config.server.database = d.clone();
    }
    if let Some(t) = cli.tick_rate {
        config.world.tick_rate = t;
    }
    if let Some(r) = &cli.record {
        config.server.record = Some(r.clone());
    }
    if let Some(n) = &cli.nats {
        config.server.nats = Some(n.clone());
    }
    if let Some(f) = cli.log_format {
        config.log.format = f;
    }
    config.validate()?;
    Ok(config)
}

fn init_logging(format: LogFormat) {
    let filter = tracing_subscriber::EnvFilter::try_from_default_env()
        .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new("info"));
    use std::io::IsTerminal;
    let builder = tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_ansi(std::io::stdout().is_terminal());
    match format {
        LogFormat::Text => builder.init(),
        LogFormat::Json => builder.json().init(),
    }
}

fn check_assets(mut config: Config, dir: Option<PathBuf>) -> anyhow::Result<()> {
    if let Some(dir) = dir {
        config.server.assets = dir;
    }
    let dir = &config.server.assets;
    let assets =
        match emberkeep::assets::load_assets(dir, &config.world.map, config.world.region_size) {
            Ok(a) => a,
            Err(e) => {
                for p in &e.problems {
                    eprintln!("{p}");
                }
                for w in &e.warnings {
                    eprintln!("warning: {w}");
                }
                let n = e.problems.len();
                let s = if n == 1 { "" } else { "s" };
                anyhow::bail!("{n} problem{s} in {}", dir.display());
            }
        };
    for w in &assets.warnings {
        eprintln!("warning: {w}");
    }
    for m in assets.maps.all() {
        println!(
            "map {:?} ({}x{} tiles at {}, {}): {} zones, {} warps, {} doors, {} levers",
            m.name,
            m.width,
            m.height,
            m.origin.x,
            m.origin.y,
            m.zones.len(),
            m.warps.len(),
            m.doors.len(),
            m.levers.len()
        );
    }
    let (atlas, c) = (&assets.map, &assets.content);
    let languages: Vec<&str> = c.locales.langs().map(|(tag, _)| tag).collect();
    let n = assets.maps.all().len();
    println!(
        "ok: {} (start map) and {} more map{}, {}x{} tiles placed, {} walkable, {} player spawns, \
         {} zones, {} spawn areas; {} classes, {} abilities, {} effects, {} items, {} mobs, {} loot tables, \
         {} quests, {} achievements; {} triggers, {} dialogues, {} scripts; texts in {}",
        config.map_path().display(),
        n.saturating_sub(1),
        if n == 2 { "" } else { "s" },
        atlas.width,
        atlas.height,
        atlas.walkable_count(),
        atlas.player_spawns.len(),
        atlas.zones.len(),
        c.spawn_areas.len(),
        c.classes.len(),
        c.abilities.len(),
        c.effects.len(),
        c.items.len(),
        c.mobs.len(),
        c.loot.len(),
        c.quests.len(),
        c.achievements.len(),
        c.story.triggers.len(),
        c.story.dialogues.len(),
        c.story.scripts.len(),
        languages.join(", ")
    );
    Ok(())
}

fn replay(
    assets: &Option<PathBuf>,
    log: PathBuf,
    every: Option<u64>,
    reloaded: Vec<PathBuf>,
) -> anyhow::Result<()> {
    use emberkeep::replay::play;
    let options = play::Options {
        log,
        every,
        assets: assets.iter().cloned().chain(reloaded).collect(),
    };
    let mut out = std::io::stdout().lock();
    let report = play::replay(&options, &mut out)?;
    match report.cut_short {
        None => println!(
            "ok: replayed to tick {}, all {} checkpoints matched",
            report.tick, report.checkpoints
        ),
        Some(why) => println!(
            "ok: {why}; replayed to tick {}, all {} checkpoints matched",
            report.tick, report.checkpoints
        ),
    }
    Ok(())
}

fn promote(config: Config, username: &str, role: &str) -> anyhow::Result<()> {
    use emberkeep::storage::{AnyStore, DatabaseUrl, MongoStore, SqliteStore};
    use emberkeep_components::protocol::Role;
    let role = match role {
        "player" => Role::Player,
        "gm" => Role::Gm,
        "admin" => Role::Admin,
        other => anyhow::bail!("unknown role {other:?}; use player, gm or admin"),
    };
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()?;
    runtime.block_on(async {
        let store = match DatabaseUrl::parse(&config.server.database).map_err(anyhow::Error::msg)? {
            DatabaseUrl::Sqlite(path) => AnyStore::from(SqliteStore::open(&path)?),
            DatabaseUrl::Mongo(url) => AnyStore::from(MongoStore::open(&url).await?),
        };
        if !store.set_role(username.to_lowercase(), role).await? {
            anyhow::bail!(
                "there is no account {username:?} in {}",
                config.server.database
            );
        }
        println!("ok: {username} is now {role:?}");
        Ok(())
    })
}

fn run(config: Config) -> anyhow::Result<()> {
    match emberkeep::process::raise_open_files_limit() {
        Ok(files) if files.after > files.before => info!(
            before = files.before,
            now = files.after,
            hard = files.hard,
            "raised the open-files limit to the hard limit"
        ),
        Ok(files) => info!(
            limit = files.after,
            hard = files.hard,
            "open-files limit (each client is one)"
        ),
        Err(e) => tracing::warn!(error = %e, "could not raise the open-files limit"),
    }
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(config.server.effective_net_threads())
        .enable_all()
        .thread_name("net")
        .build()
        .context("cannot start the tokio runtime")?;
    let drain_for = std::time::Duration::from_secs_f64(config.cluster.drain_secs);
    runtime.block_on(async {
        let server = emberkeep::start(config).await?;
        info!("connect a client to ws://{}", server.ws_addr());
        let mut check = tokio::time::interval(std::time::Duration::from_millis(500));
        loop {
            tokio::select! {
                s = shutdown_signal() => {
                    info!(signal = s, "stop requested");
                    break;
                }
                _ = check.tick() => {
                    if server.world_stopped() {
                        anyhow::bail!("the world thread stopped unexpectedly");
                    }
                }
            }
        }
        // In a cluster, players first go to other processes hosting their maps.
        if server.in_cluster() {
            server.drain(drain_for).await;
        }
        server.shutdown().await;
        Ok(())
    })
}

async fn shutdown_signal() -> &'static str {
    #[cfg(unix)]
    {
        use tokio::signal::unix::{SignalKind, signal};
        let mut term = match signal(SignalKind::terminate()) {
            Ok(s) => s,
            Err(_) => {
                let _ = tokio::signal::ctrl_c().await;
                return "SIGINT";
            }
        };
        tokio::select! {
            _ = tokio::signal::ctrl_c() => "SIGINT",
            _ = term.recv() => "SIGTERM",
        }
    }
    #[cfg(not(unix))]
    {
        let _ = tokio::signal::ctrl_c().await;
        "ctrl-c"
    }
}
