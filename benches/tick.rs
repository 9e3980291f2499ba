//! One full tick (no network): input, movement, effects, combat, mob AI, spawns, region
//! tracking and building every client's frame. Run with `cargo bench --bench tick`.
//!
//! - `players_walking/N`: N players walking on a 1024 x 1024 open map, no mobs.
//! - `spread/N`: 1,000, 5,000 and 10,000 players walking, no mobs, at constant density: the
//!   load runs' 5,000 on 2048 x 2048, the side scaled with the square root of the players and
//!   rounded up to whole regions (928, 2048, 2912). How the tick grows with the players when
//!   each sees only a few others; the crowd, where everyone sees everyone, is `fanout`'s
//!   `crowd` (`cargo bench --bench fanout -- crowd`).
//! - `players_mobs/P+M`: P players walking among M mobs of the shipped hostile kinds, on an
//!   open map sized so that density is the same at every scale (2048 x 2048 for 5k + 50k).
//!   Mobs wander, notice players near them and chase them with A*; players get hit, die and
//!   respawn — the realistic cost of a populated world. Every player is on a kill quest and
//!   the shipped triggers and achievements are loaded (plus a `mob_death` trigger).
//! - `story_kills/K`: 5,000 walking players on the kill quest, K of them a tick helping kill
//!   a rat and a wolf: what the story events cost.
//! - `party_hp/G`: 5,000 walking players, a third of them hurt or healed by 1 hp each tick,
//!   in G parties of 5 (0 or 1,000): what keeping party members' hp in view costs.
//!
//! One group at a time: `cargo bench --bench tick -- tick/spread` (a filter picks the ids
//! that contain it). `players_mobs` and `spread` also print each phase's mean time.

use std::time::{Duration, Instant};

use bevy_ecs::prelude::{Entity, World};
use criterion::{BenchmarkId, Criterion, criterion_group, criterion_main};
use emberkeep_components::net::{ConnId, InboundQueue, WorldInput};
use emberkeep_components::protocol::ClientMsg;
use emberkeep_components::world::DisplayName;
use emberkeep_systems::schedule::begin_tick;
use emberkeep_systems::{Phase, run_tick};

mod common;

use common::world::{Walk, drain, populated, print_phases, queue_steps, time_ticks};

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
            |b, _| {
                b.iter_custom(|iters| {
                    time_ticks(&mut world, &conns, &Walk::SPREAD, &mut tick, iters)
                })
            },
        );
    }
    group.finish();
}

/// Side of the open map that holds `players` at the load runs' density (5,000 on 2048 x
/// 2048), rounded up to whole regions of 16 tiles.
fn side_for(players: usize) -> i32 {
    let side = 2048.0 * (players as f64 / 5_000.0).sqrt();
    (side / 16.0).ceil() as i32 * 16
}

/// The full tick as the spread-out world grows at constant density (no mobs): where it
/// stops growing in proportion to the players.
fn bench_spread(c: &mut Criterion) {
    let mut group = c.benchmark_group("tick");
    group.sample_size(20);
    group.measurement_time(Duration::from_secs(4));
    for players in [1_000usize, 5_000, 10_000] {
        let side = side_for(players);
        let (mut world, conns) = populated(players, 0, side);
        let mut tick = 0;
        group.bench_with_input(BenchmarkId::new("spread", players), &players, |b, _| {
            b.iter_custom(|iters| time_ticks(&mut world, &conns, &Walk::SPREAD, &mut tick, iters))
        });
        print_phases(
            &format!("tick/spread/{players} ({side} x {side})"),
            &mut world,
            &conns,
            &Walk::SPREAD,
            &mut tick,
            50,
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
        time_ticks(&mut world, &conns, &Walk::SPREAD, &mut tick, 100);
        let id = format!("{players}+{mobs}");
        group.bench_with_input(BenchmarkId::new("players_mobs", &id), &players, |b, _| {
            b.iter_custom(|iters| time_ticks(&mut world, &conns, &Walk::SPREAD, &mut tick, iters))
        });
        print_phases(
            &format!("tick/players_mobs/{id}"),
            &mut world,
            &conns,
            &Walk::SPREAD,
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
        queue_steps(world, players, &Walk::SPREAD, *tick);
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
        queue_steps(world, players, &Walk::SPREAD, *tick);
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
    bench_spread,
    bench_players_and_mobs,
    bench_story_events,
    bench_party_hp
);
criterion_main!(benches);
