//! Server-wide counters, written by the world thread and read by anyone (logs, tests,
//! later `/metrics`). Plain atomics: reading them never blocks the world.

use std::sync::atomic::{AtomicU64, Ordering};

use emberkeep_components::protocol::ClientMsg;

/// Counters since start.
#[derive(Debug, Default)]
pub struct Stats {
    pub ticks: AtomicU64,
    /// Ticks that took longer than the tick period.
    pub overruns: AtomicU64,
    /// Connections the world has a handle for.
    pub connections: AtomicU64,
    /// Connection tasks alive (handshake to last write), including ones the world let go of.
    pub open_sockets: AtomicU64,
    pub players: AtomicU64,
    pub frames_out: AtomicU64,
    pub bytes_out: AtomicU64,
    /// Clients disconnected because their outbound queue was full.
    pub slow_disconnects: AtomicU64,
    /// Duration of the last tick, in microseconds.
    pub last_tick_micros: AtomicU64,
    /// Save batches written.
    pub saves: AtomicU64,
    /// Failed attempts at writing a save batch (each is retried until the store takes it).
    pub save_failures: AtomicU64,
    /// 1 from a failed save until the queue is written again (logins are refused), else 0.
    pub storage_down: AtomicU64,
    /// Times the store began refusing saves.
    pub storage_outages: AtomicU64,
    /// Save batches waiting for the store, and the records (characters, guilds) in them.
    pub storage_queued_batches: AtomicU64,
    pub storage_queued_records: AtomicU64,
    /// How long the last save batch took, retries included, in microseconds.
    pub last_save_micros: AtomicU64,
    /// Storage requests waiting because the storage queue was full.
    pub storage_backlog: AtomicU64,
    /// Decoded client messages, by `type` (indexed like `ClientMsg::KINDS`, one counter per
    /// kind).
    pub inbound_by_type: PerKind,
    /// Client messages refused or dropped before the world saw them, by reason.
    pub rejected: Rejections,
    /// Tick duration histogram, per phase (indexed like `Phase::ALL`) and whole ticks.
    pub phase_time: [Histogram; 7],
    pub tick_time: Histogram,
    /// Entities in the world by kind, refreshed every second.
    pub players_in_world: AtomicU64,
    pub mobs: AtomicU64,
    pub npcs: AtomicU64,
    pub ground_items: AtomicU64,
    /// Every entity of the ECS world, of any kind or none (sessions not yet in the world,
    /// scenery): what a leak of entities the counts by kind miss would show in.
    pub ecs_entities: AtomicU64,
    /// Password hashes computed (registrations and login checks), and running now.
    pub password_hashes: AtomicU64,
    pub hashes_running: AtomicU64,
    /// HTTP connections open now.
    pub http_connections: AtomicU64,
    /// Content reloads applied, and refused because the new files were broken.
    pub reloads: AtomicU64,
    pub reload_failures: AtomicU64,
    /// The cluster (issue 20): 1 while the NATS link is up; other live processes; NATS
    /// messages and their bytes sent and taken; messages dropped as malformed or foreign.
    pub cluster_connected: AtomicU64,
    pub cluster_peers: AtomicU64,
    pub cluster_msgs_out: AtomicU64,
    pub cluster_bytes_out: AtomicU64,
    pub cluster_msgs_in: AtomicU64,
    pub cluster_bytes_in: AtomicU64,
    pub cluster_dropped: AtomicU64,
    /// Players handed to another process, and taken from one.
    pub handoffs_out: AtomicU64,
    pub handoffs_in: AtomicU64,
}

/// Upper bounds of the duration histogram buckets, in microseconds.
pub const BUCKETS_US: [u64; 10] = [
    100, 250, 500, 1_000, 2_500, 5_000, 10_000, 25_000, 50_000, 100_000,
];

/// A Prometheus-style cumulative histogram of durations.
#[derive(Debug, Default)]
pub struct Histogram {
    /// Observations at or below each bound of [`BUCKETS_US`] (not cumulative).
    pub buckets: [AtomicU64; 10],
    /// Observations above the last bound.
    pub over: AtomicU64,
    pub sum_us: AtomicU64,
    pub count: AtomicU64,
}

impl Histogram {
    /// Records one duration.
    pub fn observe(&self, us: u64) {
        match BUCKETS_US.iter().position(|b| us <= *b) {
            Some(i) => self.buckets[i].fetch_add(1, Ordering::Relaxed),
            None => self.over.fetch_add(1, Ordering::Relaxed),
        };
        self.sum_us.fetch_add(us, Ordering::Relaxed);
        self.count.fetch_add(1, Ordering::Relaxed);
    }
}

/// Counters of messages and connections refused on the network side.
#[derive(Debug, Default)]
pub struct Rejections {
    /// Over the per-connection message rate.
    pub rate_limited: AtomicU64,
    /// The same text again within the duplicate window.
    pub duplicate: AtomicU64,
    /// Not decodable (bad JSON, unknown type, bad fields, binary).
    pub malformed: AtomicU64,
    /// Frames over the size limit (the connection is closed).
    pub oversized: AtomicU64,
    /// Connections closed for sustained flooding.
    pub flood_kicks: AtomicU64,
    /// Connections closed for silence.
    pub idle_kicks: AtomicU64,
    /// Connections refused at connect (per-IP limits, IP bans).
    pub refused_connections: AtomicU64,
    /// Logins and registrations refused because the password-hash queue was full.
    pub hash_busy: AtomicU64,
    /// Registrations refused by the per-address limits.
    pub registration_limited: AtomicU64,
    /// Logins refused by a lockout or the per-account slowdown.
    pub locked_out: AtomicU64,
}

impl Stats {
    /// Reads a counter.
    pub fn get(counter: &AtomicU64) -> u64 {
        counter.load(Ordering::Relaxed)
    }

    pub(crate) fn add(counter: &AtomicU64, n: u64) {
        counter.fetch_add(n, Ordering::Relaxed);
    }

    pub(crate) fn sub(counter: &AtomicU64, n: u64) {
        counter.fetch_sub(n, Ordering::Relaxed);
    }

    pub(crate) fn set(counter: &AtomicU64, n: u64) {
        counter.store(n, Ordering::Relaxed);
    }
}

/// One counter per client message kind, indexed like `ClientMsg::KINDS` (any number of kinds:
/// the standard `Default` of an array stops at 32).
#[derive(Debug)]
pub struct PerKind(pub [AtomicU64; ClientMsg::KINDS.len()]);

impl Default for PerKind {
    fn default() -> Self {
        PerKind(std::array::from_fn(|_| AtomicU64::new(0)))
    }
}

impl std::ops::Deref for PerKind {
    type Target = [AtomicU64; ClientMsg::KINDS.len()];
    fn deref(&self) -> &Self::Target {
        &self.0
    }
}
