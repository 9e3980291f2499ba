//! One full tick (no network): input, movement, effects, combat, mob AI, spawns, region
//! tracking and building every client's frame. Run with `cargo bench --bench tick`.
//!
//! - `players_walking/N`: N players walking on a 1024 x 1024 open map, no mobs.
//! - `players_mobs/P+M`: P players walking among M mobs of the shipped hostile kinds, on an
//!   open map sized so that density is the same at every scale (2048 x 2048 for 5k + 50k).
//!   Mobs wander, notice players near them and chase them with A*; players get hit, die and
//!   respawn — the realistic cost of a populated world. Every player is on a kill quest and
//!   the shipped triggers and achievements are loaded (plus a `mob_death` trigger).
//! - `story_kills/K`: 5,000 walking players on the kill quest, K of them a tick helping kill
//!   a rat and a wolf: what the story events cost.
//! - `party_hp/G`: 5,000 walking players, a third of them hurt or healed by 1 hp each tick,
//!   in G parties of 5 (0 or 1,000): what keeping party members' hp in view costs.

use std::time::{Duration, Instant};

use bevy_ecs::prelude::{Entity, World};
use criterion::{BenchmarkId, Criterion, criterion_group, criterion_main};
use emberkeep_components::config::SimConfig;
use emberkeep_components::content::SpawnArea;
use emberkeep_components::map::{SpawnPoint, Tile, TileMap};
use emberkeep_components::net::{ConnId, InboundQueue, Outbox, WorldInput};
use emberkeep_components::persist::StorageOut;
use emberkeep_components::protocol::ClientMsg;
use emberkeep_components::world::{ConnIndex, DisplayName, Position};
use emberkeep_systems::schedule::begin_tick;
use emberkeep_systems::{Phase, build_world, run_tick};

mod common;

use common::{enter_guests, shipped_content};

/// `n` tiles on an even grid over a `side` x `side` map.
fn grid_points(n: usize, side: i32) -> Vec<Tile> {
    let per_row = (n as f64).sqrt().ceil() as i32;
    let gap = side / (per_row + 1);
    (0..n as i32)
        .map(|i| Tile {
            x: gap * (1 + i % per_row),
            y: gap * (1 + i / per_row),
        })
        .collect()
}

/// Spawn areas of 100 mobs each, one per cell of an even grid, the hostile kinds in turn.
fn mob_areas(mobs: usize, side: i32) -> Vec<SpawnArea> {
    const KINDS: [&str; 5] = ["rat", "wolf", "crab", "goblin", "forest_spider"];
    let areas = mobs.div_ceil(100);
    let cols = ((areas as f64).sqrt().ceil() as i32).max(1);
    let cell = side / cols;
    (0..areas)
        .map(|a| {
            let (cx, cy) = (a as i32 % cols, a as i32 / cols);
            let min = Tile {
                x: cx * cell + 2,
                y: cy * cell + 2,
            };
            SpawnArea {
                name: format!("area{a}"),
                mob: KINDS[a % KINDS.len()].into(),
                count: (mobs - a * 100).min(100) as u32,
                min,
                max: Tile {
                    x: min.x + (cell - 5).max(0),
                    y: min.y + (cell - 5).max(0),
                },
            }
        })
        .collect()
}

/// A world with `players` connected players spread over a `side` map and `mobs` mobs
/// (spawned on the first tick); returns each player's connection and entity.
fn populated(players: usize, mobs: usize, side: i32) -> (World, Vec<(ConnId, Entity)>) {
    let mut map = TileMap::open("bench", side, side);
    map.player_spawns = grid_points(players, side)
        .into_iter()
        .enumerate()
        .map(|(i, tile)| SpawnPoint {
            name: format!("s{i}"),
            tile,
        })
        .collect();
    let mut content = shipped_content();
    content.spawn_areas = mob_areas(mobs, side);
    let mut world = build_world(map, content, SimConfig::default(), 1);
    let conns = enter_guests(&mut world, players);
    drain(&mut world);
    let index = &world.resource::<ConnIndex>().0;
    let players: Vec<(ConnId, Entity)> = conns.iter().map(|c| (*c, index[c])).collect();
    story_under_way(&mut world, &players);
    (world, players)
}

/// Stories at work, as in a played world: every player is on the shipped kill quest (its
/// kill steps count every rat kill), the shipped achievements count every kill, and a
/// `mob_death` trigger on wolves fires for every player who helps kill one.
fn story_under_way(world: &mut World, players: &[(ConnId, Entity)]) {
    use emberkeep_components::content::GameContent;
    use emberkeep_components::story::{QuestProgress, StoryState};
    use emberkeep_components::story_content::StoryContent;
    let mut content = (*world.resource::<GameContent>().0).clone();
    let mut triggers = content.story.triggers.clone();
    triggers.extend(
        toml::from_str::<std::collections::BTreeMap<_, _>>(
            r#"
            [wolf_down]
            on = { kind = "mob_death", mob = "wolf" }
            conditions = [{ if = "chance", percent = 50 }]
            actions = [{ do = "set_flag", flag = "wolf_hunter" }]
            "#,
        )
        .expect("the bench trigger parses"),
    );
    content.story = StoryContent::new(
        triggers,
        content.story.dialogues.clone(),
        content.story.scripts.clone(),
    );
    world.insert_resource(GameContent(std::sync::Arc::new(content)));
    for (_, e) in players {
        if let Some(mut story) = world.get_mut::<StoryState>(*e) {
            let on_step_one = QuestProgress {
                step: Some(0),
                ..QuestProgress::default()
            };
            story.quests.insert("rat_problem".into(), on_step_one);
        }
    }
}

/// Empties what the runner would take after a tick (frames, closes, storage requests).
fn drain(world: &mut World) {
    let mut outbox = world.resource_mut::<Outbox>();
    // The network joins the frames and hands the region buffers back (not timed: that is
    // not the world thread's work).
    let frames = std::hint::black_box(std::mem::take(&mut outbox.frames));
    outbox.spare.push(frames.into_spare());
    outbox.closes.clear();
    world.resource_mut::<StorageOut>().0.clear();
}

/// Queues this tick's steps: each player steps every third tick (within the default 8 steps
/// a second) from where it really stands, walking a square so it stays near home and keeps
/// crossing region borders. Dead players' steps are refused, as they would be.
fn queue_steps(world: &mut World, players: &[(ConnId, Entity)], tick: u64) {
    let mut steps = Vec::with_capacity(players.len() / 3 + 1);
    for (i, (conn, e)) in players.iter().enumerate() {
        if !(tick + i as u64).is_multiple_of(3) {
            continue;
        }
        let Some(at) = world.get::<Position>(*e).map(|p| p.0) else {
            continue;
        };
        let leg = ((tick + i as u64) / 3 / 24) % 4;
        let (dx, dy) = [(1, 0), (0, 1), (-1, 0), (0, -1)][leg as usize];
        steps.push(WorldInput::Command {
            conn: *conn,
            msg: ClientMsg::Move {
                x: at.x + dx,
                y: at.y + dy,
                seq: None,
            },
        });
    }
    world.resource_mut::<InboundQueue>().0.extend(steps);
}

/// Times `iters` ticks; queuing the input and draining the output are not timed.
fn time_ticks(
    world: &mut World,
    players: &[(ConnId, Entity)],
    tick: &mut u64,
    iters: u64,
) -> Duration {
    let mut total = Duration::ZERO;
    for _ in 0..iters {
        *tick += 1;
        queue_steps(world, players, *tick);
        let started = Instant::now();
        run_tick(world);
        total += started.elapsed();
        drain(world);
    }
    total
}

/// Runs `ticks` ticks phase by phase and prints each phase's mean time, as the server's
/// "tick stats" log line does.
fn print_phases(
    label: &str,
    world: &mut World,
    players: &[(ConnId, Entity)],
    tick: &mut u64,
    ticks: u32,
) {
    let mut spent = [Duration::ZERO; Phase::ALL.len()];
    for _ in 0..ticks {
        *tick += 1;
        queue_steps(world, players, *tick);
        begin_tick(world);
        for (i, phase) in Phase::ALL.into_iter().enumerate() {
            let started = Instant::now();
            world.run_schedule(phase);
            spent[i] += started.elapsed();
        }
        drain(world);
    }
    let phases: Vec<String> = Phase::ALL
        .iter()
        .zip(spent)
        .map(|(p, d)| format!("{}={}", p.name(), (d / ticks).as_micros()))
        .collect();
    println!(
        "{label}: mean µs per phase over {ticks} ticks: {}",
        phases.join(" ")
    );
}

fn bench_players_walking(c: &mut Criterion) {
    let mut group = c.benchmark_group("tick");
    group.sample_size(30);
    group.measurement_time(Duration::from_secs(4));
    for players in [100usize, 1_000, 5_000] {
        let (mut world, conns) = populated(players, 0, 1024);
        let mut tick = 0;
        group.bench_with_input(
            BenchmarkId::new("players_walking", players),
            &players,
            |b, _| b.iter_custom(|iters| time_ticks(&mut world, &conns, &mut tick, iters)),
        );
    }
    group.finish();
}

fn bench_players_and_mobs(c: &mut Criterion) {
    let mut group = c.benchmark_group("tick");
    group.sample_size(10);
    group.warm_up_time(Duration::from_secs(2));
    group.measurement_time(Duration::from_secs(8));
    // Same density at every scale: 5,000 players and 50,000 mobs on 2048 x 2048.
    for (players, mobs, side) in [
        (100usize, 1_000usize, 304),
        (1_000, 10_000, 928),
        (5_000, 50_000, 2048),
    ] {
        let (mut world, conns) = populated(players, mobs, side);
        let mut tick = 0;
        // Let the mobs spread out and the first fights start before measuring.
        time_ticks(&mut world, &conns, &mut tick, 100);
        let id = format!("{players}+{mobs}");
        group.bench_with_input(BenchmarkId::new("players_mobs", &id), &players, |b, _| {
            b.iter_custom(|iters| time_ticks(&mut world, &conns, &mut tick, iters))
        });
        print_phases(
            &format!("tick/players_mobs/{id}"),
            &mut world,
            &conns,
            &mut tick,
            50,
        );
    }
    group.finish();
}

/// Times `iters` ticks in which `kills` of the players (in turn) each help kill a rat and a
/// wolf: the story events a busy world makes, pushed after the Input phase (as combat would
/// in the Combat phase), for the World phase's triggers, quest steps and achievements.
fn time_story_ticks(
    world: &mut World,
    players: &[(ConnId, Entity)],
    tick: &mut u64,
    kills: usize,
    iters: u64,
) -> Duration {
    use emberkeep_components::story::{StoryEvent, StoryEvents};
    let mut total = Duration::ZERO;
    for _ in 0..iters {
        *tick += 1;
        queue_steps(world, players, *tick);
        let first = (*tick as usize * kills) % players.len().max(1);
        let events: Vec<StoryEvent> = (0..kills)
            .flat_map(|k| {
                let player = players[(first + k) % players.len()].1;
                ["rat", "wolf"].map(|mob| StoryEvent::Kill {
                    player,
                    mob: mob.into(),
                })
            })
            .collect();
        let started = Instant::now();
        begin_tick(world);
        world.run_schedule(Phase::Input);
        world.resource_mut::<StoryEvents>().0.extend(events);
        for phase in &Phase::ALL[1..] {
            world.run_schedule(*phase);
        }
        total += started.elapsed();
        drain(world);
    }
    total
}

/// The stories' own cost: 5,000 walking players, each on the kill quest, with 0 or 250
/// players a tick helping kill a rat and a wolf (500 kill events: quest steps, achievement
/// counters, a `mob_death` trigger) — compare the two for the cost of the events.
fn bench_story_events(c: &mut Criterion) {
    let mut group = c.benchmark_group("tick");
    group.sample_size(20);
    group.measurement_time(Duration::from_secs(4));
    let (mut world, conns) = populated(5_000, 0, 1024);
    let mut tick = 0;
    for kills in [0usize, 250] {
        group.bench_with_input(BenchmarkId::new("story_kills", kills), &kills, |b, k| {
            b.iter_custom(|iters| time_story_ticks(&mut world, &conns, &mut tick, *k, iters))
        });
    }
    group.finish();
}

/// Puts players in parties of five: the first of each five invites the other four, who
/// accept a tick later.
fn form_parties(world: &mut World, players: &[(ConnId, Entity)], parties: usize) {
    let mut invites = Vec::new();
    let mut accepts = Vec::new();
    for group in players.chunks(5).take(parties) {
        for (conn, e) in &group[1..] {
            let name = world.get::<DisplayName>(*e).map(|n| n.0.to_string());
            invites.push(WorldInput::Command {
                conn: group[0].0,
                msg: ClientMsg::PartyInvite {
                    name: name.unwrap_or_default(),
                },
            });
            accepts.push(WorldInput::Command {
                conn: *conn,
                msg: ClientMsg::PartyAccept,
            });
        }
    }
    for inputs in [invites, accepts] {
        world.resource_mut::<InboundQueue>().0.extend(inputs);
        run_tick(world);
        drain(world);
    }
    let formed = world
        .resource::<emberkeep_components::party::Parties>()
        .by_id
        .len();
    let missing: Vec<usize> = players
        .chunks(5)
        .take(parties)
        .enumerate()
        .filter(|(_, g)| {
            world
                .get::<emberkeep_components::party::PartyMember>(g[0].1)
                .is_none()
        })
        .map(|(i, _)| i)
        .collect();
    assert_eq!(formed, parties, "every party formed; not: {missing:?}");
}

/// Times `iters` ticks in which a third of the players (in turn) lose or regain 1 hp before
/// the tick, as hits and regeneration would.
fn time_hurt_ticks(
    world: &mut World,
    players: &[(ConnId, Entity)],
    tick: &mut u64,
    iters: u64,
) -> Duration {
    use emberkeep_components::stats::Vitals;
    let mut total = Duration::ZERO;
    for _ in 0..iters {
        *tick += 1;
        queue_steps(world, players, *tick);
        for (i, (_, e)) in players.iter().enumerate() {
            if (*tick + i as u64).is_multiple_of(3)
                && let Some(mut v) = world.get_mut::<Vitals>(*e)
            {
                v.hp = if v.hp == v.max_hp { v.hp - 1 } else { v.max_hp };
            }
        }
        let started = Instant::now();
        run_tick(world);
        total += started.elapsed();
        drain(world);
    }
    total
}

/// Parties' own cost: the same 5,000 walking, hurt players with no parties and in 1,000
/// parties of five — compare the two for the `party` announcements.
fn bench_party_hp(c: &mut Criterion) {
    let mut group = c.benchmark_group("tick");
    group.sample_size(20);
    group.measurement_time(Duration::from_secs(4));
    for parties in [0usize, 1_000] {
        let (mut world, conns) = populated(5_000, 0, 1024);
        form_parties(&mut world, &conns, parties);
        let mut tick = 0;
        group.bench_with_input(BenchmarkId::new("party_hp", parties), &parties, |b, _| {
            b.iter_custom(|iters| time_hurt_ticks(&mut world, &conns, &mut tick, iters))
        });
    }
    group.finish();
}

criterion_group!(
    benches,
    bench_players_walking,
    bench_players_and_mobs,
    bench_story_events,
    bench_party_hp
);
criterion_main!(benches);
