//! The world thread: drain inbound, run the tick's phases, send the tick's frames to the
//! dispatcher in one batch, sleep until the next tick. Never blocks on the network, a lock
//! shared with tokio, or disk.

use std::collections::HashMap;
use std::sync::Arc;
use std::time::{Duration, Instant};

use bevy_ecs::prelude::World;
use crossbeam_channel::{Receiver, TryRecvError};
use emberkeep_components::cluster::{ClusterOut, ClusterSend};
use emberkeep_components::net::{AdminResult, AdminResults};
use emberkeep_components::net::{InboundQueue, Outbox, WorldInput};
use emberkeep_components::persist::{StorageOut, StorageRequest};
use emberkeep_components::regions::RegionEvents;
use emberkeep_components::world::Player;
use emberkeep_systems::commands::staff::AuditLog;
use emberkeep_systems::schedule::{Phase, begin_tick};
use emberkeep_systems::text;
use tracing::{error, info, warn};

use crate::net::Inbound;
use crate::net::dispatch::Batch;
use crate::replay::Entry;
use crate::replay::record::Recorder;
use crate::stats::Stats;

/// Batches the dispatcher's channel holds (ticks the network side may fall behind).
pub const DISPATCH_QUEUE: usize = 64;

/// Settings of the loop itself.
#[derive(Debug)]
pub struct RunnerSettings {
    /// Where storage requests go (none: nothing is saved, e.g. in benches).
    pub storage: Option<tokio::sync::mpsc::Sender<StorageRequest>>,
    /// Where each tick's frames go: the dispatcher task ([`crate::net::dispatch`]).
    pub dispatch: tokio::sync::mpsc::Sender<Batch>,
    /// Region events the dispatcher is done with, for reuse.
    pub spare_buffers: crossbeam_channel::Receiver<RegionEvents>,
    pub tick_period: Duration,
    pub max_inbound_per_tick: usize,
    /// How often to log tick statistics; `None` for never.
    pub stats_interval: Option<Duration>,
    /// Where every input goes for replay (`server.record`); `None`: nothing is recorded and
    /// nothing is cloned.
    pub record: Option<Recorder>,
    /// What the world sends the other processes of a cluster (`None`: it runs alone).
    pub cluster: Option<tokio::sync::mpsc::UnboundedSender<ClusterSend>>,
}

/// Keeps ticks on a fixed schedule. An overrun starts the next tick at once and restarts the
/// schedule from there, so lateness never accumulates into a burst of catch-up ticks.
#[derive(Debug)]
pub struct Pacer {
    period: Duration,
    next: Instant,
    /// Ticks that finished after the next one was due.
    pub overruns: u64,
}

impl Pacer {
    /// A pacer whose first tick starts at `start`.
    pub fn new(period: Duration, start: Instant) -> Self {
        Pacer {
            period,
            next: start,
            overruns: 0,
        }
    }

    /// Call when a tick finishes at `now`; returns how long to wait before the next one.
    pub fn tick_done(&mut self, now: Instant) -> Duration {
        self.next += self.period;
        if now > self.next {
            self.overruns += 1;
            self.next = now;
            Duration::ZERO
        } else {
            self.next - now
        }
    }
}

/// Admin requests waiting for the world's answer.
#[derive(Default)]
struct AdminReplies {
    next: u64,
    waiting: HashMap<u64, tokio::sync::oneshot::Sender<AdminResult>>,
}

/// Tick durations over one logging interval.
#[derive(Default)]
struct Window {
    ticks: Vec<u32>,
    phases: [u64; 7],
    phase_max: [u32; 7],
}

/// Runs the world until a shutdown input has been processed (or every sender is gone).
pub fn run(
    mut world: World,
    rx: Receiver<Inbound>,
    mut settings: RunnerSettings,
    stats: Arc<Stats>,
) {
    let mut batch = Batch::default();
    let mut pacer = Pacer::new(settings.tick_period, Instant::now());
    let mut window = Window::default();
    let mut window_start = Instant::now();
    let mut backlog: std::collections::VecDeque<StorageRequest> = Default::default();
    let mut admin = AdminReplies::default();
    loop {
        let started = Instant::now();
        let stopping = drain(
            &mut world,
            &rx,
            &mut batch,
            settings.max_inbound_per_tick,
            &mut admin,
            settings.record.as_mut(),
        );
        step(&mut world, |i, us| {
            stats.phase_time[i].observe(u64::from(us));
            window.phases[i] += u64::from(us);
            window.phase_max[i] = window.phase_max[i].max(us);
        });
        if let Some(record) = &mut settings.record {
            record.tick_done(&mut world);
        }
        dispatch(&mut world, &mut batch, &settings.dispatch, stopping);
        let mut outbox = world.resource_mut::<Outbox>();
        while let Ok(buffers) = settings.spare_buffers.try_recv() {
            if outbox.spare.len() < crate::net::dispatch::SPARE_BUFFERS {
                outbox.spare.push(buffers);
            }
        }
        for (id, result) in world.resource_mut::<AdminResults>().0.drain(..) {
            if let Some(reply) = admin.waiting.remove(&id) {
                let _ = reply.send(result);
            }
        }
        for line in world
            .resource_mut::<emberkeep_components::story::StoryLog>()
            .0
            .drain(..)
        {
            warn!(target: "emberkeep::story", "{line}");
        }
        for entry in world.resource_mut::<AuditLog>().0.drain(..) {
            info!(
                target: "emberkeep::audit",
                actor = %entry.actor,
                action = %entry.action,
                target_name = %entry.target,
                detail = %entry.detail,
                "staff action"
            );
        }
        forward_storage(
            &mut world,
            settings.storage.as_ref(),
            &mut backlog,
            stopping,
            &stats,
        );
        let sends = std::mem::take(&mut world.resource_mut::<ClusterOut>().0);
        if let Some(tx) = &settings.cluster {
            for send in sends {
                let _ = tx.send(send);
            }
        }
        let took = started.elapsed();
        window.ticks.push(took.as_micros() as u32);
        stats.tick_time.observe(took.as_micros() as u64);
        Stats::add(&stats.ticks, 1);
        Stats::set(&stats.last_tick_micros, took.as_micros() as u64);
        Stats::set(&stats.players, count_players(&mut world));
        if Stats::get(&stats.ticks).is_multiple_of(20) {
            count_entities(&mut world, &stats);
        }
        if stopping {
            info!(
                connections = Stats::get(&stats.connections),
                "world stopped"
            );
            if let Some(record) = settings.record.take() {
                record.finish(&world);
            }
            return;
        }
        if let Some(every) = settings.stats_interval
            && window_start.elapsed() >= every
        {
            log_window(&mut window, &stats);
            window_start = Instant::now();
        }
        let wait = pacer.tick_done(Instant::now());
        Stats::set(&stats.overruns, pacer.overruns);
        if !wait.is_zero() {
            std::thread::sleep(wait);
        }
    }
}

/// Runs one tick on the inputs queued: the tick counter, then every phase in order;
/// `timed(phase index, microseconds)` hears how long each took. A live world and a replay
/// ([`crate::replay::play`]) tick through this same step.
pub fn step(world: &mut World, mut timed: impl FnMut(usize, u32)) {
    begin_tick(world);
    for (i, phase) in Phase::ALL.into_iter().enumerate() {
        let t = Instant::now();
        world.run_schedule(phase);
        timed(i, t.elapsed().as_micros() as u32);
    }
}

/// Takes one input for the next tick: a closed connection's locale is forgotten at once,
/// the input waits in `queue` for the Input phase. Shared with replay, like [`step`].
pub fn admit(world: &mut World, queue: &mut Vec<WorldInput>, input: WorldInput) {
    if let WorldInput::Closed { conn, .. } = &input {
        text::forget_locale(world, *conn);
    }
    queue.push(input);
}

/// Moves up to `budget` inputs from the channel into the world, rendering the texts that
/// come as keys in their client's language; returns true when stopping. What the world
/// takes is noted in `record`, if recording.
fn drain(
    world: &mut World,
    rx: &Receiver<Inbound>,
    batch: &mut Batch,
    budget: usize,
    admin: &mut AdminReplies,
    mut record: Option<&mut Recorder>,
) -> bool {
    let mut queue = std::mem::take(&mut world.resource_mut::<InboundQueue>().0);
    let mut stopping = false;
    let take = |world: &mut World,
                queue: &mut Vec<WorldInput>,
                record: &mut Option<&mut Recorder>,
                input: WorldInput| {
        if let Some(r) = record.as_deref_mut() {
            r.input(&input);
        }
        admit(world, queue, input);
    };
    for _ in 0..budget {
        match rx.try_recv() {
            Ok(Inbound::Admin { action, reply }) => {
                admin.next += 1;
                admin.waiting.insert(admin.next, reply);
                let id = admin.next;
                take(
                    world,
                    &mut queue,
                    &mut record,
                    WorldInput::Admin { id, action },
                );
            }
            Ok(Inbound::Opened { conn, addr, handle }) => {
                batch.opened.push((conn, handle));
                take(
                    world,
                    &mut queue,
                    &mut record,
                    WorldInput::Opened { conn, addr },
                );
            }
            Ok(Inbound::Locale { conn, locale }) => {
                text::set_locale(world, conn, &locale);
                if let Some(r) = record.as_deref_mut() {
                    r.note(Entry::Locale { conn, locale });
                }
            }
            Ok(Inbound::Text { conn, text, input }) => {
                // Rendered now, in arrival order: with the locale the client named before.
                let message = text::render_for_conn(world, conn, &text);
                take(
                    world,
                    &mut queue,
                    &mut record,
                    input.into_world(conn, message),
                );
            }
            Ok(Inbound::Reload {
                content,
                fingerprint,
            }) => {
                if let Some(r) = record.as_deref_mut() {
                    r.note(Entry::Reload { fingerprint });
                }
                admit(world, &mut queue, WorldInput::Reload(content));
            }
            Ok(Inbound::World(input)) => {
                match &input {
                    WorldInput::Closed { conn, .. } => batch.closed.push(*conn),
                    WorldInput::Shutdown => stopping = true,
                    _ => {}
                }
                take(world, &mut queue, &mut record, input);
                if stopping {
                    break;
                }
            }
            Err(TryRecvError::Empty) => break,
            Err(TryRecvError::Disconnected) => {
                take(world, &mut queue, &mut record, WorldInput::Shutdown);
                stopping = true;
                break;
            }
        }
    }
    world.resource_mut::<InboundQueue>().0 = queue;
    stopping
}

/// Sends this tick's frames and closes, with the connections opened and closed since the
/// last tick, to the dispatcher in one batch without waiting. If its channel is full (the
/// network side is [`DISPATCH_QUEUE`] ticks behind) the batch stays and goes out with the
/// next tick's. When stopping, waits for room instead: the last frames close every connection.
fn dispatch(
    world: &mut World,
    batch: &mut Batch,
    to: &tokio::sync::mpsc::Sender<Batch>,
    stopping: bool,
) {
    let mut outbox = world.resource_mut::<Outbox>();
    if !outbox.frames.is_empty() {
        batch.frames.push(std::mem::take(&mut outbox.frames));
    }
    batch.closes.append(&mut outbox.closes);
    if batch.is_empty() {
        return;
    }
    let ready = std::mem::take(batch);
    if stopping {
        // The world thread is not a runtime thread, so blocking here is allowed.
        let _ = to.blocking_send(ready);
        return;
    }
    match to.try_send(ready) {
        Ok(()) => {}
        Err(tokio::sync::mpsc::error::TrySendError::Full(back)) => *batch = back,
        // The dispatcher is gone only when the runtime is shutting down.
        Err(tokio::sync::mpsc::error::TrySendError::Closed(_)) => {}
    }
}

/// Hands this tick's storage requests to the storage task, oldest first, without waiting: a
/// full queue keeps the rest for the next tick. When stopping, waits for room instead, since
/// the final saves must not be lost and the world has no more ticks to run.
fn forward_storage(
    world: &mut World,
    storage: Option<&tokio::sync::mpsc::Sender<StorageRequest>>,
    backlog: &mut std::collections::VecDeque<StorageRequest>,
    stopping: bool,
    stats: &Stats,
) {
    let new = std::mem::take(&mut world.resource_mut::<StorageOut>().0);
    let Some(tx) = storage else { return };
    backlog.extend(new);
    while let Some(request) = backlog.pop_front() {
        let sent = if stopping {
            tx.blocking_send(request).map_err(|_| None)
        } else {
            tx.try_send(request).map_err(|e| match e {
                tokio::sync::mpsc::error::TrySendError::Full(r) => Some(r),
                tokio::sync::mpsc::error::TrySendError::Closed(_) => None,
            })
        };
        match sent {
            Ok(()) => {}
            Err(Some(back)) => {
                backlog.push_front(back);
                break;
            }
            Err(None) => {
                error!(
                    lost = backlog.len() + 1,
                    "the storage task is gone; requests dropped"
                );
                backlog.clear();
                break;
            }
        }
    }
    Stats::set(&stats.storage_backlog, backlog.len() as u64);
}

/// Entities by kind, for `/metrics` and `/status`.
fn count_entities(world: &mut World, stats: &Stats) {
    use emberkeep_components::protocol::EntityKind;
    use emberkeep_components::world::Kind;
    let mut counts = [0u64; 5];
    let mut q = world.query::<&Kind>();
    for kind in q.iter(world) {
        let i = match kind.0 {
            EntityKind::Player => 0,
            EntityKind::Mob => 1,
            EntityKind::Npc => 2,
            EntityKind::Item => 3,
            // Doors, nodes and stations are scenery: not counted.
            EntityKind::Door | EntityKind::Node | EntityKind::Station => 4,
        };
        counts[i] += 1;
    }
    Stats::set(&stats.players_in_world, counts[0]);
    Stats::set(&stats.mobs, counts[1]);
    Stats::set(&stats.npcs, counts[2]);
    Stats::set(&stats.ground_items, counts[3]);
    // Live entities (O(n) over the entity slots; this runs every 20 ticks). `len()` would be
    // the slots ever allocated, a high-water mark.
    Stats::set(
        &stats.ecs_entities,
        u64::from(world.entities().count_spawned()),
    );
}

fn count_players(world: &mut World) -> u64 {
    let mut q = world.query_filtered::<(), bevy_ecs::prelude::With<Player>>();
    q.iter(world).count() as u64
}

fn log_window(window: &mut Window, stats: &Stats) {
    let n = window.ticks.len();
    if n == 0 {
        return;
    }
    window.ticks.sort_unstable();
    let pct = |p: f64| window.ticks[((n as f64 * p) as usize).min(n - 1)];
    let phases: Vec<String> = Phase::ALL
        .iter()
        .enumerate()
        .map(|(i, p)| {
            format!(
                "{}={}/{}",
                p.name(),
                window.phases[i] / n as u64,
                window.phase_max[i]
            )
        })
        .collect();
    info!(
        ticks = n,
        tick_p50_us = pct(0.50),
        tick_p99_us = pct(0.99),
        tick_max_us = window.ticks[n - 1],
        overruns = Stats::get(&stats.overruns),
        players = Stats::get(&stats.players),
        connections = Stats::get(&stats.connections),
        phase_mean_max_us = %phases.join(" "),
        "tick stats"
    );
    *window = Window::default();
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_on_time_tick_waits_for_the_rest_of_its_period() {
        let t0 = Instant::now();
        let mut p = Pacer::new(Duration::from_millis(50), t0);
        assert_eq!(
            p.tick_done(t0 + Duration::from_millis(10)),
            Duration::from_millis(40)
        );
        assert_eq!(
            p.tick_done(t0 + Duration::from_millis(60)),
            Duration::from_millis(40)
        );
        assert_eq!(p.overruns, 0);
    }

    #[test]
    fn an_overrun_is_counted_and_does_not_accumulate_drift() {
        let t0 = Instant::now();
        let mut p = Pacer::new(Duration::from_millis(50), t0);
        // The first tick takes 180 ms: the next starts at once...
        assert_eq!(p.tick_done(t0 + Duration::from_millis(180)), Duration::ZERO);
        assert_eq!(p.overruns, 1);
        // ...and the schedule restarts from there instead of running catch-up ticks.
        assert_eq!(
            p.tick_done(t0 + Duration::from_millis(190)),
            Duration::from_millis(40)
        );
        assert_eq!(p.overruns, 1);
    }
}
