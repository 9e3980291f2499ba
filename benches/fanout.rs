//! Region fan-out: building every client's frame from its personal events and the events of
//! the 9 regions it sees. Run with `cargo bench --bench fanout`. Two parts, timed apart:
//! `<case>/N` is the world thread's (`flush::build_frames`, the last step of a tick: the
//! region events handed over whole, each client's own events copied once); `<case>_join/N`
//! is the network's (the dispatcher joining each frame's text: `dispatch::Views`, every
//! client's frame, as with `server.view_every_ticks = 1`).
//!
//! The regions' runs of moves and personal queues are filled with encoded events before each
//! timed run, so only the fan-out itself is measured:
//! - `spread`: players evenly over a 2048 x 2048 map (regions of 16 tiles); 3 in 10 regions
//!   hold one event — about what a client sees with 50,000 mobs around (2–3 events a frame).
//! - `crowded`: players packed into a 128 x 128 area (about 16 per region, 150 in view); every
//!   region holds a move for a third of its members — a town square at rush hour.

use std::time::{Duration, Instant};

use bevy_ecs::prelude::{Entity, Schedule, World};
use criterion::{BenchmarkId, Criterion, Throughput, criterion_group, criterion_main};
use emberkeep::net::dispatch::Views;
use emberkeep_components::config::SimConfig;
use emberkeep_components::map::{SpawnPoint, Tile, TileMap};
use emberkeep_components::net::{ConnId, Outbox};
use emberkeep_components::protocol::{ServerEvent, StatUpdate, encode_event};
use emberkeep_components::regions::RegionGrid;
use emberkeep_components::world::{ConnIndex, Outgoing};
use emberkeep_systems::build_world;
use emberkeep_systems::world::flush;

const SIDE: i32 = 2048;

mod common;

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
                        let mut outbox = world.resource_mut::<Outbox>();
                        let frames = std::mem::take(&mut outbox.frames);
                        // The texts are kept until the end, as the clients' queues keep them:
                        // each is fresh memory, as it is in the server.
                        let started = Instant::now();
                        let texts: Vec<_> = frames
                            .iter()
                            .map(|(conn, frame)| views.text(&frames, *conn, frame))
                            .collect();
                        total += started.elapsed();
                        std::hint::black_box(texts);
                        for done in views.finish(frames) {
                            outbox.spare.push(done.into_spare());
                        }
                    }
                    total
                })
            },
        );
    }
    group.finish();
}

criterion_group!(benches, bench_fanout);
criterion_main!(benches);
