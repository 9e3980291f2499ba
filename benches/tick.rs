//! One full tick (no network) with N players walking on a large open map: input, movement,
//! region tracking, and building every client's frame. Run with `cargo bench --bench tick`.

use criterion::{BenchmarkId, Criterion, criterion_group, criterion_main};
use emberkeep_components::config::SimConfig;
use emberkeep_components::map::{SpawnPoint, Tile, TileMap};
use emberkeep_components::net::{ConnId, InboundQueue, Outbox, WorldInput};
use emberkeep_components::protocol::{ClientMsg, PROTOCOL_VERSION};
use emberkeep_systems::{build_world, run_tick};

const SIDE: i32 = 1024;

/// The shipped content (classes, items, ...), without the shipped map's mob spawn areas.
fn shipped_content() -> emberkeep_components::content::Content {
    let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("assets");
    let mut content = emberkeep::assets::load_assets(&dir, "emberfield")
        .expect("shipped assets are valid")
        .content;
    content.spawn_areas.clear();
    content
}

/// A world with `players` connected players spread over the map, plus their positions.
fn populated(players: usize) -> (bevy_ecs::world::World, Vec<(ConnId, Tile)>) {
    let mut map = TileMap::open("bench", SIDE, SIDE);
    // Spread newcomers over a grid of spawn points (they are handed out in turn).
    let per_row = (players as f64).sqrt().ceil() as i32;
    let gap = SIDE / (per_row + 1);
    for i in 0..players as i32 {
        let tile = Tile {
            x: gap * (1 + i % per_row),
            y: gap * (1 + i / per_row),
        };
        map.player_spawns.push(SpawnPoint {
            name: format!("s{i}"),
            tile,
        });
    }
    let spawns: Vec<Tile> = map.player_spawns.iter().map(|s| s.tile).collect();
    let mut world = build_world(map, shipped_content(), SimConfig::default(), 1);
    let mut conns = Vec::new();
    for (i, tile) in spawns.into_iter().enumerate() {
        let conn = ConnId(i as u64 + 1);
        let mut q = world.resource_mut::<InboundQueue>();
        q.0.push(WorldInput::Opened {
            conn,
            addr: "bench".into(),
        });
        q.0.push(WorldInput::Command {
            conn,
            msg: ClientMsg::Hello {
                version: PROTOCOL_VERSION,
                name: Some(format!("p{i}")),
                class: None,
            },
        });
        conns.push((conn, tile));
    }
    run_tick(&mut world);
    world.resource_mut::<Outbox>().frames.clear();
    (world, conns)
}

fn bench_tick(c: &mut Criterion) {
    let mut group = c.benchmark_group("tick");
    group.sample_size(30);
    for players in [100usize, 1_000, 5_000] {
        let (mut world, mut conns) = populated(players);
        let mut tick: u64 = 0;
        group.bench_with_input(
            BenchmarkId::new("players_walking", players),
            &players,
            |b, _| {
                b.iter(|| {
                    tick += 1;
                    let mut q = world.resource_mut::<InboundQueue>();
                    // Each player steps every third tick (within the default 8 steps/s), walking
                    // a square so they stay near home and keep crossing region borders.
                    for (i, (conn, at)) in conns.iter_mut().enumerate() {
                        if !(tick + i as u64).is_multiple_of(3) {
                            continue;
                        }
                        let leg = ((tick + i as u64) / 3 / 24) % 4;
                        let (dx, dy) = [(1, 0), (0, 1), (-1, 0), (0, -1)][leg as usize];
                        *at = Tile {
                            x: at.x + dx,
                            y: at.y + dy,
                        };
                        q.0.push(WorldInput::Command {
                            conn: *conn,
                            msg: ClientMsg::Move {
                                x: at.x,
                                y: at.y,
                                seq: None,
                            },
                        });
                    }
                    run_tick(&mut world);
                    let frames = std::mem::take(&mut world.resource_mut::<Outbox>().frames);
                    std::hint::black_box(frames);
                })
            },
        );
    }
    group.finish();
}

criterion_group!(benches, bench_tick);
criterion_main!(benches);
