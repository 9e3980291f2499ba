//! Region fan-out: building every client's frame from its personal events and the events of
//! the 9 regions it sees. Run with `cargo bench --bench fanout`; one part with a filter, e.g.
//! `cargo bench --bench fanout -- crowd/`.
//!
//! Synthetic region events, two parts timed apart: `<case>/N` is the world thread's
//! (`flush::build_frames`, the last step of a tick: the region events handed over whole, each
//! client's own events copied once); `<case>_join/N` is the network's (the dispatcher joining
//! each frame's text: `dispatch::Views`, every client's frame, as with
//! `server.view_every_ticks = 1`). The regions' runs of moves and personal queues are filled
//! with encoded events before each timed run, so only the fan-out itself is measured:
//! - `spread`: players evenly over a 2048 x 2048 map (regions of 16 tiles); 3 in 10 regions
//!   hold one event — about what a client sees with 50,000 mobs around (2–3 events a frame).
//! - `crowded`: players packed into a 128 x 128 area (about 16 per region, 150 in view); every
//!   region holds a move for a third of its members — a town square at rush hour.
//!
//! The real schedule in a crowd, `crowd/tick/N` and `crowd/join/N` for N = 100, 500, 2,000:
//! every player in the 48 x 48 square in the middle of a 2048 x 2048 map with 40 rats, as
//! `tools/load.sh --crowd 48` places them (the square spans parts of 4 x 4 regions, so a
//! player sees a bit over half of the others, not all: the bench prints how many), each
//! stepping every 15th tick (about as often as the load bot) without leaving the square.
//! - `crowd/tick/N`: the whole tick on the world thread (input to frames), per tick;
//! - `crowd/join/N`: the dispatcher joining every client's frame text for that tick's frames
//!   (`Views::new(2)`, the default `server.view_every_ticks`; the texts kept until the tick's
//!   end), the tick itself not timed.
//!
//! Both report time per tick (and clients per second as throughput). After measuring, each
//! case prints the world's mean time per phase and then what each client is sent: the mean
//! others in view, the mean bytes of frame text per client per tick and KiB/s at 20 Hz
//! (WebSocket framing not counted), for comparison with the load runs' `client_bandwidth`.

use std::time::{Duration, Instant};

use bevy_ecs::prelude::{Entity, Schedule, World};
use criterion::{BenchmarkId, Criterion, Throughput, criterion_group, criterion_main};
use emberkeep::net::dispatch::Views;
use emberkeep_components::config::SimConfig;
use emberkeep_components::content::SpawnArea;
use emberkeep_components::map::{SpawnPoint, Tile, TileMap};
use emberkeep_components::net::{ConnId, Outbox};
use emberkeep_components::persist::StorageOut;
use emberkeep_components::protocol::{ServerEvent, StatUpdate, encode_event};
use emberkeep_components::regions::RegionGrid;
use emberkeep_components::world::{ConnIndex, Outgoing, Position};
use emberkeep_systems::world::flush;
use emberkeep_systems::{build_world, run_tick};

const SIDE: i32 = 2048;

mod common;

use common::world::{
    Players, Walk, populated_at, print_phases, queue_steps, square_points, time_ticks,
};
use common::{enter_guests, shipped_content};

/// A world with one connected player on each of these tiles, placed in their regions.
fn world_with_players(tiles: &[Tile]) -> (World, Vec<Entity>) {
    let mut map = TileMap::open("bench", SIDE, SIDE);
    map.player_spawns = tiles
        .iter()
        .enumerate()
        .map(|(i, t)| SpawnPoint {
            name: format!("s{i}"),
            tile: *t,
        })
        .collect();
    let mut world = build_world(map, shipped_content(), SimConfig::default(), 1);
    enter_guests(&mut world, tiles.len());
    std::mem::take(&mut world.resource_mut::<Outbox>().frames);
    let index = &world.resource::<ConnIndex>().0;
    let players = (0..tiles.len())
        .map(|i| index[&ConnId(i as u64 + 1)])
        .collect();
    (world, players)
}

/// Takes the tick's frames and times the dispatcher joining every frame's text, as the
/// network does; the texts are kept until all are joined, as the clients' queues keep them
/// (each is fresh memory, as it is in the server). Hands back the region events no client
/// can wait for any more. Returns the time and the texts' bytes.
fn join_frames(world: &mut World, views: &mut Views) -> (Duration, usize) {
    let mut outbox = world.resource_mut::<Outbox>();
    let frames = std::mem::take(&mut outbox.frames);
    let started = Instant::now();
    let texts: Vec<_> = frames
        .iter()
        .map(|(conn, frame)| views.text(&frames, *conn, frame))
        .collect();
    let took = started.elapsed();
    let bytes = texts.iter().flatten().map(|t| t.len()).sum();
    std::hint::black_box(texts);
    for done in views.finish(frames) {
        outbox.spare.push(done.into_spare());
    }
    (took, bytes)
}

/// Takes the frames and hands the region buffers back, as the network does after writing.
fn recycle(world: &mut World) {
    let mut outbox = world.resource_mut::<Outbox>();
    let frames = std::mem::take(&mut outbox.frames);
    outbox.spare.push(std::hint::black_box(frames).into_spare());
}

/// What one tick puts in the buffers before the flush.
#[derive(Clone, Copy)]
enum Load {
    /// Three regions in ten hold one event.
    Spread,
    /// Each region holds a move for a third of its members.
    Crowded,
}

/// Fills the region buffers and a tenth of the personal queues; returns the bytes written.
fn fill(world: &mut World, players: &[Entity], load: Load, round: u64) -> usize {
    let mut bytes = 0;
    let mut grid = world.resource_mut::<RegionGrid>();
    for r in 0..grid.members.len() {
        let events = match load {
            Load::Spread => usize::from((r as u64 * 7 + round) % 10 < 3),
            Load::Crowded => grid.members[r].len().div_ceil(3),
        };
        for k in 0..events {
            let event = encode_event(&ServerEvent::Move {
                id: 100_000 + r as u64 * 8 + k as u64,
                x: 1000 + k as i32,
                y: 1000 + r as i32 % 1000,
            });
            bytes += event.len();
            // (Moves go into the regions' runs of moves, written region by region.)
            grid.events
                .moves
                .push_with(r as u32, |buf| buf.push_str(&event));
        }
    }
    for (i, e) in players.iter().enumerate() {
        if (i as u64 + round).is_multiple_of(10) {
            let event = encode_event(&ServerEvent::StatUpdate(StatUpdate {
                id: 7,
                hp: Some(80),
                mp: Some(30),
                ..StatUpdate::default()
            }));
            bytes += event.len();
            if let Some(mut out) = world.get_mut::<Outgoing>(*e) {
                out.push(&event);
            }
        }
    }
    bytes
}

fn bench_fanout(c: &mut Criterion) {
    let mut group = c.benchmark_group("fanout");
    group.sample_size(30);
    group.measurement_time(Duration::from_secs(4));
    let cases: [(&str, Load, usize, i32); 4] = [
        ("spread", Load::Spread, 1_000, SIDE),
        ("spread", Load::Spread, 5_000, SIDE),
        ("crowded", Load::Crowded, 1_000, 128),
        ("crowded", Load::Crowded, 5_000, 128),
    ];
    for (name, load, players, area) in cases {
        let per_row = (players as f64).sqrt().ceil() as i32;
        let tiles: Vec<Tile> = (0..players as i32)
            .map(|i| Tile {
                x: (i % per_row) * area / per_row,
                y: (i / per_row) * area / per_row,
            })
            .collect();
        let (mut world, entities) = world_with_players(&tiles);
        let mut flush = Schedule::default();
        flush.add_systems(flush::build_frames);
        let mut round = 0;
        group.throughput(Throughput::Elements(players as u64));
        // The world thread's part: hand over the region buffers, copy each client's own
        // events once, say where each client stands.
        group.bench_with_input(BenchmarkId::new(name, players), &players, |b, _| {
            b.iter_custom(|iters| {
                let mut total = Duration::ZERO;
                for _ in 0..iters {
                    round += 1;
                    std::hint::black_box(fill(&mut world, &entities, load, round));
                    let started = Instant::now();
                    flush.run(&mut world);
                    total += started.elapsed();
                    recycle(&mut world);
                }
                total
            })
        });
        // The network's part: join each client's own events and its view's region buffers
        // into the text of its frame, as the dispatcher does (once per region for clients
        // with nothing of their own).
        // (One dispatcher's state for all rounds, as in the server: its maps keep their room.)
        let mut views = Views::new(1);
        group.bench_with_input(
            BenchmarkId::new(format!("{name}_join"), players),
            &players,
            |b, _| {
                b.iter_custom(|iters| {
                    let mut total = Duration::ZERO;
                    for _ in 0..iters {
                        round += 1;
                        std::hint::black_box(fill(&mut world, &entities, load, round));
                        flush.run(&mut world);
                        total += join_frames(&mut world, &mut views).0;
                    }
                    total
                })
            },
        );
    }
    group.finish();
}

/// Side of the crowd's square, in tiles, as in the load runs' `--crowd 48`.
const CROWD_SQUARE: i32 = 48;

/// A world with `players` players on spawn points in the 48 x 48 square in the middle of a
/// 2048 x 2048 map and 40 rats among them, as `tools/load.sh --crowd 48` makes it (without
/// the mobs elsewhere); returns the players and how they walk (never out of the square).
fn crowd(players: usize) -> (World, Players, Walk) {
    let (spawns, square) = square_points(players, SIDE, CROWD_SQUARE);
    let rats = SpawnArea {
        name: "crowd_rats".into(),
        mob: "rat".into(),
        count: 40,
        min: square.0,
        max: square.1,
    };
    let (world, conns) = populated_at(spawns, vec![rats], SIDE);
    (world, conns, Walk::crowd(square))
}

/// Runs `iters` ticks and, for each, times the dispatcher joining every client's frame text;
/// returns that time and the bytes of the texts. The ticks themselves are not timed.
fn time_joins(
    world: &mut World,
    players: &Players,
    walk: &Walk,
    views: &mut Views,
    tick: &mut u64,
    iters: u64,
) -> (Duration, usize) {
    let mut total = Duration::ZERO;
    let mut bytes = 0;
    for _ in 0..iters {
        *tick += 1;
        queue_steps(world, players, walk, *tick);
        run_tick(world);
        let (took, written) = join_frames(world, views);
        total += took;
        bytes += written;
        world.resource_mut::<Outbox>().closes.clear();
        world.resource_mut::<StorageOut>().0.clear();
    }
    (total, bytes)
}

/// How many other players each player has in its 3 x 3 regions' view, on average.
fn mean_in_view(world: &World, players: &Players) -> f64 {
    let size = SimConfig::default().region_size;
    let regions: Vec<(i32, i32)> = players
        .iter()
        .filter_map(|(_, e)| world.get::<Position>(*e))
        .map(|p| (p.0.x.div_euclid(size), p.0.y.div_euclid(size)))
        .collect();
    let seen: usize = regions
        .iter()
        .map(|a| {
            let near = |b: &&(i32, i32)| (a.0 - b.0).abs() <= 1 && (a.1 - b.1).abs() <= 1;
            regions.iter().filter(near).count() - 1
        })
        .sum();
    seen as f64 / regions.len().max(1) as f64
}

/// Runs `ticks` more ticks through the dispatcher and prints what each client is sent: the
/// mean bytes of frame text per client per tick and per second at the default tick rate
/// (WebSocket framing not counted).
fn print_bandwidth(
    label: &str,
    world: &mut World,
    players: &Players,
    walk: &Walk,
    views: &mut Views,
    tick: &mut u64,
    ticks: u64,
) {
    let (_, bytes) = time_joins(world, players, walk, views, tick, ticks);
    let per_tick = bytes as f64 / (ticks as f64 * players.len().max(1) as f64);
    let rate = f64::from(SimConfig::default().tick_rate);
    eprintln!(
        "{label}: {:.0} others in view; per client {per_tick:.0} B a tick, {:.1} KiB/s at {rate} Hz (mean over {ticks} ticks)",
        mean_in_view(world, players),
        per_tick * rate / 1024.0,
    );
}

/// Everyone in one square: the whole tick (world thread) and the dispatcher's joins
/// (network), with the bytes each client is sent.
fn bench_crowd(c: &mut Criterion) {
    let mut group = c.benchmark_group("crowd");
    group.sample_size(20);
    group.measurement_time(Duration::from_secs(4));
    for players in [100usize, 500, 2_000] {
        let (mut world, conns, walk) = crowd(players);
        let mut tick = 0;
        // Let the rats spawn and spread and everyone's arrival go out before measuring.
        time_ticks(&mut world, &conns, &walk, &mut tick, 20);
        group.throughput(Throughput::Elements(players as u64));
        group.bench_with_input(BenchmarkId::new("tick", players), &players, |b, _| {
            b.iter_custom(|iters| time_ticks(&mut world, &conns, &walk, &mut tick, iters))
        });
        print_phases(
            &format!("crowd/tick/{players}"),
            &mut world,
            &conns,
            &walk,
            &mut tick,
            20,
        );
        // The server's default `server.view_every_ticks`.
        let mut views = Views::new(2);
        group.bench_with_input(BenchmarkId::new("join", players), &players, |b, _| {
            b.iter_custom(|iters| {
                time_joins(&mut world, &conns, &walk, &mut views, &mut tick, iters).0
            })
        });
        print_bandwidth(
            &format!("crowd/join/{players}"),
            &mut world,
            &conns,
            &walk,
            &mut views,
            &mut tick,
            40,
        );
        let ((min, max), mut outside) = (walk.within.expect("a crowd walks in its square"), 0);
        for (_, e) in &conns {
            let at = world
                .get::<Position>(*e)
                .expect("players stay in the world")
                .0;
            outside +=
                usize::from(!(min.x..=max.x).contains(&at.x) || !(min.y..=max.y).contains(&at.y));
        }
        assert_eq!(outside, 0, "every player of the crowd stays in its square");
    }
    group.finish();
}

criterion_group!(benches, bench_fanout, bench_crowd);
criterion_main!(benches);
