//! Populated headless worlds for the tick and fan-out benches: players spread over the map
//! or packed into one square, mobs, stories at work, and the players' walking.

use std::time::{Duration, Instant};

use bevy_ecs::prelude::{Entity, World};
use emberkeep_components::config::SimConfig;
use emberkeep_components::content::SpawnArea;
use emberkeep_components::map::{SpawnPoint, Tile, TileMap};
use emberkeep_components::net::{ConnId, InboundQueue, Outbox, WorldInput};
use emberkeep_components::persist::StorageOut;
use emberkeep_components::protocol::ClientMsg;
use emberkeep_components::world::{ConnIndex, Position};
use emberkeep_systems::schedule::begin_tick;
use emberkeep_systems::{Phase, build_world, run_tick};

use super::{enter_guests, shipped_content};

/// Each player's connection and entity.
pub type Players = Vec<(ConnId, Entity)>;

/// How the players walk: each steps every `every` ticks (in turn, so about `1 / every` of
/// them a tick), along a square of `leg` steps a side, and never out of `within` (min and
/// max tile, inclusive): a step that would leave it is taken the other way.
#[derive(Clone, Copy)]
pub struct Walk {
    pub every: u64,
    pub leg: u64,
    pub within: Option<(Tile, Tile)>,
}

impl Walk {
    /// Spread out: a step every third tick (within the default 8 steps a second), squares of
    /// 24 steps a side, so players stay near home and keep crossing region borders.
    pub const SPREAD: Walk = Walk {
        every: 3,
        leg: 24,
        within: None,
    };

    /// In a crowd: a step every 15th tick (1.3 a second at 20 Hz: the load bot walks legs of
    /// 1–8 steps at 4 a second with 0.5–3 s pauses between them, and stops to fight; the
    /// crowd baseline's move bytes in docs/PERFORMANCE.md agree), squares of 4 steps a side,
    /// never out of the square.
    pub fn crowd(square: (Tile, Tile)) -> Walk {
        Walk {
            every: 15,
            leg: 4,
            within: Some(square),
        }
    }
}

/// `n` tiles on an even grid over a `side` x `side` map.
pub fn grid_points(n: usize, side: i32) -> Vec<Tile> {
    let per_row = (n as f64).sqrt().ceil() as i32;
    let gap = side / (per_row + 1);
    (0..n as i32)
        .map(|i| Tile {
            x: gap * (1 + i % per_row),
            y: gap * (1 + i / per_row),
        })
        .collect()
}

/// `n` tiles on an even grid inside the `size` x `size` square in the middle of a `side` map,
/// placed as `tools/load.sh --crowd` places its spawn points; also returns the square (min and
/// max tile, inclusive).
pub fn square_points(n: usize, side: i32, size: i32) -> (Vec<Tile>, (Tile, Tile)) {
    let per_row = (n as f64).sqrt().ceil().max(1.0) as i32;
    let corner = (side - size) / 2;
    let gap = f64::from(size) / f64::from(per_row + 1);
    let at = |k: i32| corner + (gap * f64::from(1 + k)) as i32;
    let tiles = (0..n as i32)
        .map(|i| Tile {
            x: at(i % per_row),
            y: at(i / per_row),
        })
        .collect();
    let square = (
        Tile {
            x: corner,
            y: corner,
        },
        Tile {
            x: corner + size - 1,
            y: corner + size - 1,
        },
    );
    (tiles, square)
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
pub fn populated(players: usize, mobs: usize, side: i32) -> (World, Players) {
    populated_at(grid_points(players, side), mob_areas(mobs, side), side)
}

/// A world with one connected player per tile of `spawns` (their spawn points, in turn) on an
/// open `side` map, with these mob areas (spawned on the first tick) and stories at work.
pub fn populated_at(spawns: Vec<Tile>, areas: Vec<SpawnArea>, side: i32) -> (World, Players) {
    let mut map = TileMap::open("bench", side, side);
    let players = spawns.len();
    map.player_spawns = spawns
        .into_iter()
        .enumerate()
        .map(|(i, tile)| SpawnPoint {
            name: format!("s{i}"),
            tile,
        })
        .collect();
    let mut content = shipped_content();
    content.spawn_areas = areas;
    let mut world = build_world(map, content, SimConfig::default(), 1);
    let conns = enter_guests(&mut world, players);
    drain(&mut world);
    let index = &world.resource::<ConnIndex>().0;
    let players: Players = conns.iter().map(|c| (*c, index[c])).collect();
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
pub fn drain(world: &mut World) {
    let mut outbox = world.resource_mut::<Outbox>();
    // The network joins the frames and hands the region buffers back (not timed: that is
    // not the world thread's work).
    let frames = std::hint::black_box(std::mem::take(&mut outbox.frames));
    outbox.spare.push(frames.into_spare());
    outbox.closes.clear();
    world.resource_mut::<StorageOut>().0.clear();
}

/// Queues this tick's steps, each from where the player really stands, as `walk` says.
/// Dead players' steps are refused, as they would be.
pub fn queue_steps(world: &mut World, players: &[(ConnId, Entity)], walk: &Walk, tick: u64) {
    let mut steps = Vec::with_capacity(players.len() / walk.every as usize + 1);
    for (i, (conn, e)) in players.iter().enumerate() {
        let turn = tick + i as u64;
        if !turn.is_multiple_of(walk.every) {
            continue;
        }
        let Some(at) = world.get::<Position>(*e).map(|p| p.0) else {
            continue;
        };
        let side = (turn / walk.every / walk.leg) % 4;
        let (mut dx, mut dy) = [(1, 0), (0, 1), (-1, 0), (0, -1)][side as usize];
        if let Some((min, max)) = walk.within {
            if !(min.x..=max.x).contains(&(at.x + dx)) {
                dx = -dx;
            }
            if !(min.y..=max.y).contains(&(at.y + dy)) {
                dy = -dy;
            }
        }
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
pub fn time_ticks(
    world: &mut World,
    players: &[(ConnId, Entity)],
    walk: &Walk,
    tick: &mut u64,
    iters: u64,
) -> Duration {
    let mut total = Duration::ZERO;
    for _ in 0..iters {
        *tick += 1;
        queue_steps(world, players, walk, *tick);
        let started = Instant::now();
        run_tick(world);
        total += started.elapsed();
        drain(world);
    }
    total
}

/// Runs `ticks` ticks phase by phase and prints each phase's mean time, as the server's
/// "tick stats" log line does.
pub fn print_phases(
    label: &str,
    world: &mut World,
    players: &[(ConnId, Entity)],
    walk: &Walk,
    tick: &mut u64,
    ticks: u32,
) {
    let mut spent = [Duration::ZERO; Phase::ALL.len()];
    for _ in 0..ticks {
        *tick += 1;
        queue_steps(world, players, walk, *tick);
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
