//! Starting and stopping a whole server: load assets, bind, spawn the world thread and the
//! accept loop; shut down by closing every connection and waiting for the writes.

use std::net::SocketAddr;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Duration;

use anyhow::Context;
use emberkeep_components::net::{ConnId, WorldInput};
use tokio::net::TcpListener;
use tokio::sync::watch;
use tokio::task::JoinSet;
use tracing::{error, info, warn};

use crate::config::Config;
use crate::net::Inbound;
use crate::net::NetTexts;
use crate::net::conn::{self, ConnContext, ConnLimits};
use crate::net::policy::{Admission, IpLimits};
use crate::runner::{self, RunnerSettings};
use crate::stats::Stats;
use crate::storage::service::LeaseSettings;
use crate::storage::service::{self, StorageSettings};
use crate::storage::throttle::{LoginLimits, RegistrationLimits};
use crate::storage::{AnyStore, DatabaseUrl, MongoStore, SqliteStore, Store};

/// Storage requests queued between the world and the storage task.
const STORAGE_QUEUE: usize = 65_536;

/// A database URL without its password, for logs.
fn redact(url: &str) -> String {
    match (url.find("://"), url.rfind('@')) {
        (Some(scheme), Some(at)) if at > scheme => {
            format!("{}://***@{}", &url[..scheme], &url[at + 1..])
        }
        _ => url.to_string(),
    }
}

/// A running server.
pub struct ServerHandle {
    ws_addr: SocketAddr,
    http_addr: SocketAddr,
    http_task: tokio::task::JoinHandle<()>,
    stats: Arc<Stats>,
    inbound: crossbeam_channel::Sender<Inbound>,
    stop_accepting: watch::Sender<bool>,
    accept_task: tokio::task::JoinHandle<()>,
    world_thread: std::thread::JoinHandle<()>,
    dispatch_task: tokio::task::JoinHandle<()>,
    storage_task: tokio::task::JoinHandle<()>,
    /// How long the storage task keeps writing queued saves on shutdown.
    storage_flush: Duration,
    watch_task: Option<tokio::task::JoinHandle<()>>,
    cluster: Option<crate::cluster::ClusterHandle>,
}

impl ServerHandle {
    /// Whether this process is part of a cluster (`server.nats`).
    pub fn in_cluster(&self) -> bool {
        self.cluster.is_some()
    }

    /// Drains this process of a cluster: no new logins, every player whose map another
    /// process also hosts is handed over to it. Returns once no player is left that could
    /// be handed over (or after `limit`); [`ServerHandle::shutdown`] then saves the rest.
    pub async fn drain(&self, limit: Duration) {
        let Some(c) = &self.cluster else { return };
        info!("draining: no new logins; handing players over to other processes");
        c.draining.store(true, Ordering::Relaxed);
        let _ = self.inbound.send(Inbound::World(WorldInput::Cluster(
            emberkeep_components::cluster::ClusterNews::Drain,
        )));
        let deadline = tokio::time::Instant::now() + limit;
        let mut last = (u64::MAX, tokio::time::Instant::now());
        while tokio::time::Instant::now() < deadline {
            let players = Stats::get(&self.stats.players);
            if players == 0 {
                break;
            }
            // Handoffs finish within a save and a tick or two: two quiet seconds mean the
            // rest have nowhere to go.
            if players != last.0 {
                last = (players, tokio::time::Instant::now());
            } else if last.1.elapsed() > Duration::from_secs(2) {
                break;
            }
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
        info!(left = Stats::get(&self.stats.players), "drained");
    }

    /// Address the WebSocket listener is bound to (useful with port 0).
    pub fn ws_addr(&self) -> SocketAddr {
        self.ws_addr
    }

    /// Address the HTTP server (web client, `/health`) is bound to (useful with port 0).
    pub fn http_addr(&self) -> SocketAddr {
        self.http_addr
    }

    /// Live counters.
    pub fn stats(&self) -> &Arc<Stats> {
        &self.stats
    }

    /// Whether the world thread has ended (it only does on shutdown, or on a bug).
    pub fn world_stopped(&self) -> bool {
        self.world_thread.is_finished()
    }

    /// Stops accepting, closes every connection with a reason, waits for the world thread
    /// and for the connections' last writes (up to a few seconds).
    pub async fn shutdown(self) {
        info!("shutting down");
        if let Some(w) = &self.watch_task {
            w.abort();
        }
        let _ = self.stop_accepting.send(true);
        let _ = self.inbound.send(Inbound::World(WorldInput::Shutdown));
        let world = self.world_thread;
        if tokio::task::spawn_blocking(move || world.join())
            .await
            .map(|r| r.is_err())
            .unwrap_or(true)
        {
            error!("world thread panicked");
        }
        // The world's last frames (everyone's close) reach the connections' queues.
        match tokio::time::timeout(Duration::from_secs(5), self.dispatch_task).await {
            Ok(Ok(())) => {}
            Ok(Err(e)) => error!(error = %e, "dispatcher failed"),
            Err(_) => error!("dispatcher did not finish within 5 s"),
        }
        if let Err(e) = self.accept_task.await {
            warn!(error = %e, "accept task failed");
        }
        // Graceful: in-flight requests finish; a browser's idle keep-alive gets 2 s at most.
        let mut http_task = self.http_task;
        if tokio::time::timeout(Duration::from_secs(2), &mut http_task)
            .await
            .is_err()
        {
            http_task.abort();
        }
        // The world's last tick queued everyone's save; the storage task ends once written,
        // or after `shutdown_save_secs` of trying (it then names what was not saved). The
        // margin is for requests in flight (a login's store calls time out within seconds).
        let limit = self.storage_flush + Duration::from_secs(10);
        match tokio::time::timeout(limit, self.storage_task).await {
            Ok(Ok(())) => {}
            Ok(Err(e)) => error!(error = %e, "storage task failed"),
            Err(_) => error!(
                "storage did not finish within {} s of shutdown",
                limit.as_secs_f64()
            ),
        }
        if let Some(c) = self.cluster {
            c.stop().await;
        }
        info!("shutdown complete");
    }
}

/// What starting the storage gives the server: the storage task, the next item id, the bans,
/// the guilds, the world snapshot, and a handle on the same store for the admin API.
type StartedStorage = (
    tokio::task::JoinHandle<()>,
    u64,
    Vec<crate::storage::BanRecord>,
    Vec<emberkeep_components::guild::GuildRecord>,
    emberkeep_components::persist::WorldSnapshot,
    AnyStore,
);

/// Reads what the world needs from a freshly opened store, then starts the storage task on it.
async fn start_storage<S: Store + Into<AnyStore>>(
    store: S,
    requests: tokio::sync::mpsc::Receiver<emberkeep_components::persist::StorageRequest>,
    inbound: crossbeam_channel::Sender<Inbound>,
    settings: StorageSettings,
    stats: Arc<Stats>,
    cluster_name: Option<String>,
) -> anyhow::Result<StartedStorage> {
    // In a cluster, each process hands out ids from a block of its own.
    let next = if let Some(me) = &cluster_name {
        let cleared = store.clear_leases(me.clone()).await?;
        if cleared > 0 {
            info!(
                cleared,
                "dropped the account leases an earlier run of this process left"
            );
        }
        store.reserve_item_ids().await?
    } else {
        store.next_item_id().await?
    };
    let bans = store.bans().await?;
    let guilds = store.guilds().await?;
    let snapshot = store.world_snapshot().await?;
    let any = store.clone().into();
    let task = tokio::spawn(service::run(store, requests, inbound, settings, stats));
    Ok((task, next, bans, guilds, snapshot, any))
}

/// A path as the log shows it: absolute (from the working directory) when it is relative.
fn shown(path: &std::path::Path) -> String {
    std::path::absolute(path)
        .unwrap_or_else(|_| path.to_owned())
        .display()
        .to_string()
}

/// Loads assets, binds the listener and starts the world; must be called inside a tokio runtime.
pub async fn start(config: Config) -> anyhow::Result<ServerHandle> {
    config.validate()?;
    let assets = crate::assets::load_assets(
        &config.server.assets,
        &config.world.map,
        config.world.region_size,
    )
    .map_err(|e| {
        anyhow::anyhow!(
            "the assets in {} are invalid:\n{e}",
            config.server.assets.display()
        )
    })?;
    for warning in &assets.warnings {
        warn!(%warning, "asset warning");
    }
    let (map, maps, content) = (assets.map, assets.maps, assets.content);
    info!(
        assets = %shown(&config.server.assets),
        map = %shown(&config.map_path()),
        width = map.width,
        height = map.height,
        walkable = map.walkable_count(),
        spawns = map.player_spawns.len(),
        classes = content.classes.len(),
        items = content.items.len(),
        mobs = content.mobs.len(),
        spawn_areas = content.spawn_areas.len(),
        languages = content.locales.langs().count(),
        "assets loaded"
    );
    let listener = TcpListener::bind(config.server.ws_addr)
        .await
        .with_context(|| {
            format!(
                "cannot listen on {} (server.ws_addr / --ws-addr)",
                config.server.ws_addr
            )
        })?;
    let ws_addr = listener.local_addr()?;
    let http_listener = TcpListener::bind(config.server.http_addr)
        .await
        .with_context(|| {
            format!(
                "cannot listen on {} (server.http_addr / --http-addr)",
                config.server.http_addr
            )
        })?;
    let http_addr = http_listener.local_addr()?;
    let cluster = cluster_identity(&config, &maps, ws_addr)?;
    match &config.server.web_root {
        None => info!(
            files = crate::http::built_in_client_files(),
            "serving the web client built into the binary"
        ),
        Some(root) if root.is_dir() => info!(
            web_root = %shown(root),
            "serving the web client from server.web_root, read on each request"
        ),
        Some(root) => warn!(
            web_root = %shown(root),
            "the web client folder (server.web_root) does not exist; the page will not load"
        ),
    }

    let sim = config.sim();
    let texts = NetTexts::new(content.locales.clone());
    let catalog = Arc::new(crate::catalog::ItemCatalog::new(&content));
    let loaded_maps = maps.clone();
    let mut world =
        emberkeep_systems::build_world_with_maps(map, maps, content, sim, config.world.seed);
    let (tx, rx) = crossbeam_channel::bounded(config.server.inbound_queue);
    let stats = Arc::new(Stats::default());
    let (storage_tx, storage_rx) = tokio::sync::mpsc::channel(STORAGE_QUEUE);
    let storage_settings = StorageSettings {
        session_ttl_secs: config.server.session_ttl_secs,
        max_characters: config.server.max_characters,
        login: LoginLimits {
            failures_per_pair: config.server.login_failures_per_account,
            failures_per_ip: config.server.login_failures_per_ip,
            window: Duration::from_secs_f64(config.server.login_lockout_secs),
            slowdown_max: Duration::from_secs_f64(config.server.login_slowdown_max_secs),
        },
        registrations: RegistrationLimits {
            per_minute: config.server.registrations_per_ip_per_min,
            per_day: config.server.accounts_per_ip_per_day,
        },
        hash_threads: config.server.effective_hash_threads(),
        hash_queue: config.server.password_hash_queue,
        shutdown_flush: Duration::from_secs_f64(config.server.shutdown_save_secs),
        cluster: cluster.as_ref().map(|c| LeaseSettings {
            process: c.name.clone(),
            lease: Duration::from_secs_f64(config.cluster.lease_secs),
            handoff: Duration::from_secs_f64(config.cluster.handoff_secs),
        }),
    };
    let cluster_name = cluster.as_ref().map(|c| c.name.clone());
    let (storage_task, next_item_id, bans, guilds, snapshot, any_store) =
        match DatabaseUrl::parse(&config.server.database).map_err(anyhow::Error::msg)? {
            DatabaseUrl::Sqlite(path) => {
                let store = SqliteStore::open(&path)
                    .with_context(|| format!("server.database {}", config.server.database))?;
                start_storage(
                    store,
                    storage_rx,
                    tx.clone(),
                    storage_settings,
                    stats.clone(),
                    cluster_name.clone(),
                )
                .await?
            }
            DatabaseUrl::Mongo(url) => {
                let store = MongoStore::open(&url)
                    .await
                    .with_context(|| "server.database (MongoDB)".to_string())?;
                start_storage(
                    store,
                    storage_rx,
                    tx.clone(),
                    storage_settings,
                    stats.clone(),
                    cluster_name.clone(),
                )
                .await?
            }
        };
    let guild_count = guilds.len();
    let (tick, ground_items) = (snapshot.world.tick, snapshot.ground.len());
    let start = crate::replay::StartState {
        next_item_id,
        guilds,
        world: snapshot,
        cluster: cluster.as_ref().map(|c| crate::replay::ClusterStart {
            me: c.name.clone(),
            hosted: config.world.maps.clone(),
        }),
    };
    for skipped in start.apply(&mut world) {
        warn!("{skipped}");
    }
    let record = match &config.server.record {
        None => None,
        Some(path) => Some(crate::replay::record::Recorder::start(
            path,
            crate::replay::Header {
                format: crate::replay::FORMAT,
                server_version: env!("CARGO_PKG_VERSION").into(),
                seed: config.world.seed,
                sim: config.sim(),
                assets: std::path::absolute(&config.server.assets)
                    .unwrap_or_else(|_| config.server.assets.clone()),
                map: config.world.map.clone(),
                content: crate::replay::fingerprint(&config.server.assets).with_context(|| {
                    format!(
                        "server.record: cannot read {}",
                        config.server.assets.display()
                    )
                })?,
                hash_every: config.server.record_hash_every_ticks,
                start,
            },
        )?),
    };
    info!(database = %redact(&config.server.database), next_item_id, guilds = guild_count, tick, ground_items, "storage ready; world restored");
    let (dispatch_tx, dispatch_rx) = tokio::sync::mpsc::channel(runner::DISPATCH_QUEUE);
    let (spare_tx, spare_rx) = crossbeam_channel::bounded(crate::net::dispatch::SPARE_BUFFERS);
    let dispatch_task = tokio::spawn(crate::net::dispatch::run(
        dispatch_rx,
        spare_tx,
        stats.clone(),
        config.server.view_every_ticks,
        texts.clone(),
    ));
    let cluster = match cluster {
        Some(c) => Some(crate::cluster::start(c, tx.clone(), stats.clone()).await?),
        None => None,
    };
    let settings = RunnerSettings {
        cluster: cluster.as_ref().map(|c| c.sends.clone()),
        storage: Some(storage_tx),
        dispatch: dispatch_tx,
        spare_buffers: spare_rx,
        tick_period: Duration::from_secs_f64(1.0 / f64::from(config.world.tick_rate)),
        max_inbound_per_tick: config.server.max_inbound_per_tick,
        stats_interval: (config.server.stats_interval_secs > 0)
            .then(|| Duration::from_secs(config.server.stats_interval_secs)),
        record,
    };
    let world_stats = stats.clone();
    let world_thread = std::thread::Builder::new()
        .name("world".into())
        .spawn(move || runner::run(world, rx, settings, world_stats))
        .context("cannot start the world thread")?;

    let limits = ConnLimits {
        max_message_bytes: config.server.max_message_bytes,
        outbound_queue_frames: config.server.outbound_queue_frames,
        handshake_timeout: Duration::from_secs_f64(config.world.hello_timeout_secs),
        msg_rate: config.server.msg_rate_per_sec,
        msg_burst: config.server.msg_burst,
        flood_drops: config.server.flood_drops,
        duplicate_window: Duration::from_millis(config.server.duplicate_window_ms),
        idle_timeout: Duration::from_secs_f64(config.server.idle_timeout_secs),
        ping_interval: Duration::from_secs_f64(config.server.ping_interval_secs),
    };
    let admission = Admission::new(
        IpLimits {
            max_connections: config.server.max_connections_per_ip,
            new_per_sec: config.server.new_connections_per_ip_per_sec,
        },
        &bans,
    );
    let (stop_accepting, stop_rx) = watch::channel(false);
    let cx = ConnContext {
        limits,
        inbound: tx.clone(),
        stats: stats.clone(),
        admission: admission.clone(),
        texts: texts.clone(),
    };
    let accept_task = tokio::spawn(accept_loop(listener, cx, stop_rx));
    info!(%ws_addr, tick_rate = config.world.tick_rate, "listening for WebSocket clients");
    let site = crate::http::Site {
        web_root: config.server.web_root.clone(),
        assets: config.server.assets.clone(),
        ws_addr,
        stats: stats.clone(),
        tick_rate: config.world.tick_rate,
        catalog: catalog.clone(),
        cluster: cluster.as_ref().map(|c| c.status.clone()),
    };
    let reloader = Arc::new(crate::reload::Reloader {
        assets: config.server.assets.clone(),
        map: config.world.map.clone(),
        region_size: config.world.region_size,
        maps: loaded_maps,
        inbound: tx.clone(),
        stats: stats.clone(),
        texts: texts.clone(),
        catalog,
    });
    let api = crate::admin::AdminApi {
        inbound: tx.clone(),
        store: any_store,
        admission: admission.clone(),
        stats: stats.clone(),
        token: config.server.admin_token.clone().filter(|t| !t.is_empty()),
        reloader: reloader.clone(),
        tick_rate: config.world.tick_rate,
        draining: cluster.as_ref().map(|c| c.draining.clone()),
    };
    let routes = crate::http::router(site).merge(crate::admin::router(api));
    let http_limits = crate::http::HttpLimits {
        header_timeout: Duration::from_secs_f64(config.server.http_header_timeout_secs),
        idle_timeout: Duration::from_secs_f64(config.server.http_idle_timeout_secs),
        max_connections: config.server.http_max_connections,
    };
    let http_task = tokio::spawn(crate::http::serve_router(
        http_listener,
        routes,
        http_limits,
        stats.clone(),
        stop_accepting.subscribe(),
    ));
    let watch_task = config
        .server
        .watch_assets
        .then(|| tokio::spawn(reloader.watch()));
    info!(%http_addr, "open {} to play", crate::http::play_url(http_addr));
    Ok(ServerHandle {
        ws_addr,
        http_addr,
        http_task,
        stats,
        inbound: tx,
        stop_accepting,
        accept_task,
        world_thread,
        dispatch_task,
        storage_task,
        storage_flush: Duration::from_secs_f64(config.server.shutdown_save_secs),
        watch_task,
        cluster,
    })
}

/// Who this process is in its cluster (`None` without `server.nats`): its name, address
/// and maps. Every map `world.maps` names must exist.
fn cluster_identity(
    config: &Config,
    maps: &emberkeep_components::atlas::Maps,
    ws_addr: SocketAddr,
) -> anyhow::Result<Option<crate::cluster::ClusterSettings>> {
    for m in &config.world.maps {
        if maps.by_name(m).is_none() {
            let known: Vec<&str> = maps.all().iter().map(|d| d.name.as_str()).collect();
            anyhow::bail!(
                "world.maps names map {m:?}, which is not in {}/maps (there: {})",
                config.server.assets.display(),
                known.join(", ")
            );
        }
    }
    let Some(url) = &config.server.nats else {
        return Ok(None);
    };
    let c = &config.cluster;
    let hosted = if config.world.maps.is_empty() {
        maps.all().iter().map(|d| d.name.clone()).collect()
    } else {
        config.world.maps.clone()
    };
    Ok(Some(crate::cluster::ClusterSettings {
        url: url.clone(),
        prefix: c.subject_prefix.clone(),
        name: (c.name.clone()).unwrap_or_else(|| format!("ek-{}", ws_addr.port())),
        ws_url: (c.public_ws_url.clone()).unwrap_or_else(|| format!("ws://{ws_addr}")),
        maps: hosted,
        capacity: c.capacity,
        heartbeat: Duration::from_secs_f64(c.heartbeat_secs),
        peer_timeout: Duration::from_secs_f64(c.peer_timeout_secs),
    }))
}

async fn accept_loop(listener: TcpListener, cx: ConnContext, mut stop: watch::Receiver<bool>) {
    static NEXT_CONN: AtomicU64 = AtomicU64::new(1);
    let mut connections = JoinSet::new();
    loop {
        tokio::select! {
            _ = stop.changed() => break,
            accepted = listener.accept() => match accepted {
                Ok((stream, addr)) => {
                    let conn = ConnId(NEXT_CONN.fetch_add(1, Ordering::Relaxed));
                    connections.spawn(conn::serve(stream, addr, conn, cx.clone()));
                }
                Err(e) => {
                    // Usually out of file descriptors: back off instead of spinning.
                    warn!(error = %e, "accept failed");
                    tokio::time::sleep(Duration::from_millis(50)).await;
                }
            },
            Some(done) = connections.join_next(), if !connections.is_empty() => {
                if let Err(e) = done {
                    error!(error = %e, "connection task failed");
                }
            }
        }
    }
    drop(listener);
    drop(cx); // its sender into the world
    // Connections get their close frames from the world's last tick; wait for those writes.
    let drained = tokio::time::timeout(Duration::from_secs(5), async {
        while connections.join_next().await.is_some() {}
    })
    .await;
    if drained.is_err() {
        warn!(
            left = connections.len(),
            "connections still open after 5 s; dropping them"
        );
        connections.abort_all();
    }
}
