//! Mob AI scenarios: chasing with `next_step` and its reused plans, aggro, leashes.

use emberkeep_components::config::SimConfig;
use emberkeep_components::map::Tile;
use emberkeep_components::world::Position;

use crate::scenario::{Scenario, open_map};

use super::ai::{PATH_REUSE, next_step};
use emberkeep_components::mobs::Path;

fn manhattan(a: Tile, b: Tile) -> i32 {
    (a.x - b.x).abs() + (a.y - b.y).abs()
}

/// Walks with `next_step` towards a goal that `goal_at(i)` moves each step; returns the
/// tiles walked until within one tile of it (or after `max` steps) and whether it got there.
fn chase(
    from: Tile,
    walls: &[Tile],
    goal_at: impl Fn(usize) -> Tile,
    max: usize,
) -> (Vec<Tile>, bool, Option<Tile>) {
    let ok = |t: Tile| (0..20).contains(&t.x) && (0..20).contains(&t.y) && !walls.contains(&t);
    let (mut plan, mut path) = (None, Path::default());
    let mut here = from;
    let mut trail = Vec::new();
    for i in 0..max {
        let goal = goal_at(i);
        if manhattan(here, goal) <= 1 {
            return (trail, true, plan);
        }
        let next = next_step(&mut plan, &mut path, here, goal, ok).expect("reachable");
        assert!(ok(next), "stepped onto {next:?}");
        assert_eq!(manhattan(here, next), 1, "one tile at a time");
        here = next;
        trail.push(here);
    }
    (trail, false, plan)
}

#[test]
fn on_open_ground_a_chase_takes_greedy_steps_and_never_plans() {
    let (trail, reached, plan) = chase(
        Tile { x: 1, y: 1 },
        &[],
        |i| Tile {
            x: 15,
            y: 5 + (i as i32 / 3) % 4,
        },
        40,
    );
    assert!(reached, "{trail:?}");
    assert_eq!(plan, None, "no search");
}

#[test]
fn a_planned_path_is_kept_while_the_goal_moves_a_little() {
    // A wall at x = 5, y = 0..=8 between the mob and the goal.
    let walls: Vec<Tile> = (0..=8).map(|y| Tile { x: 5, y }).collect();
    let ok = |t: Tile| (0..20).contains(&t.x) && (0..20).contains(&t.y) && !walls.contains(&t);
    let (mut plan, mut path) = (None, Path::default());
    let first = next_step(
        &mut plan,
        &mut path,
        Tile { x: 4, y: 2 },
        Tile { x: 8, y: 2 },
        ok,
    );
    assert_eq!(
        plan,
        Some(Tile { x: 8, y: 2 }),
        "greedy was blocked: planned"
    );
    let left = path.steps.len();
    assert!(left > 10, "round the wall's end: {path:?}");
    // The goal moves by PATH_REUSE: the same plan goes on, one step shorter.
    let moved = Tile {
        x: 8,
        y: 2 + PATH_REUSE,
    };
    let planned_next = *path.steps.last().unwrap();
    let second = next_step(&mut plan, &mut path, first.unwrap(), moved, ok);
    assert_eq!(second, Some(planned_next));
    assert_eq!(path.steps.len(), left - 1, "no new search");
}

#[test]
fn a_mob_that_planned_out_of_a_pocket_does_not_walk_back_into_it() {
    // A cup open to the west around the mob; the goal is east of it and keeps drifting
    // north and south, so the plan is redone every few steps. Greedy re-plans would walk
    // back into the cup each time.
    let mut walls = Vec::new();
    for y in 2..=8 {
        walls.push(Tile { x: 7, y });
    }
    for x in 3..=6 {
        walls.push(Tile { x, y: 2 });
        walls.push(Tile { x, y: 8 });
    }
    let goal_at = |i: usize| {
        let phase = (i % 16) as i32;
        Tile {
            x: 12,
            y: 3 + if phase < 8 { phase } else { 16 - phase },
        }
    };
    let (trail, reached, _) = chase(Tile { x: 5, y: 5 }, &walls, goal_at, 60);
    assert!(reached, "stuck: {trail:?}");
}

#[test]
fn prey_is_grouped_by_region() {
    use super::ai::Prey;
    use bevy_ecs::prelude::Entity;
    use emberkeep_components::regions::RegionGrid;
    let grid = RegionGrid::new(64, 48, 16); // 4 x 3 regions
    let e = |i| Entity::from_raw_u32(i).unwrap();
    let at = |x, y| Tile { x, y };
    let mut prey = Prey::default();
    let players = [
        (e(1), at(1, 1)),
        (e(2), at(40, 40)),
        (e(3), at(2, 15)),
        (e(4), at(63, 0)),
    ];
    prey.rebuild(&grid, players.into_iter());
    assert_eq!(prey.in_region(0), &[(e(1), at(1, 1)), (e(3), at(2, 15))]);
    assert_eq!(prey.in_region(10), &[(e(2), at(40, 40))]);
    assert_eq!(prey.in_region(3), &[(e(4), at(63, 0))]);
    assert!(prey.in_region(5).is_empty() && prey.in_region(99).is_empty());
    prey.rebuild(&grid, std::iter::empty());
    assert!(prey.in_region(0).is_empty(), "rebuilt from scratch");
}

/// Roaming mobs look for players only every LOOK_EVERY ticks, so a player stepping into
/// aggro range is noticed within that many ticks — and never outside the range.
#[test]
fn a_hostile_mob_notices_a_player_in_range_within_a_few_ticks() {
    use super::ai::LOOK_EVERY;
    use emberkeep_components::mobs::{AiState, Mind};
    let config = SimConfig {
        steps_per_sec: 20,
        ..SimConfig::default()
    };
    let mut s = Scenario::new(open_map(24, 8, Tile { x: 1, y: 1 }), config);
    let (ann, _) = s.join("Ann");
    // The rat's aggro range is 3: Ann at x = 1 is 9 tiles away.
    let (rat, _) = s.spawn_mob("rat", Tile { x: 10, y: 1 });
    let chasing = |s: &Scenario| {
        matches!(
            s.world.get::<Mind>(rat).map(|m| &m.state),
            Some(AiState::Chase { .. })
        )
    };
    for _ in 0..3 * LOOK_EVERY {
        s.tick();
        assert!(!chasing(&s), "out of range");
    }
    for x in 2..=7 {
        s.step(ann, x, 1);
        s.tick();
    }
    assert_eq!(
        s.position(ann),
        Tile { x: 7, y: 1 },
        "three tiles from the rat"
    );
    let mut waited = 0;
    while !chasing(&s) {
        assert!(waited < LOOK_EVERY, "not noticed within {LOOK_EVERY} ticks");
        s.tick();
        waited += 1;
    }
}

/// Between looks an idle mob is skipped, but one that was hit turns on its attacker in
/// the same tick (here a rat that never aggroes on its own).
#[test]
fn an_idle_mob_that_is_hit_fights_back_in_the_same_tick() {
    use emberkeep_components::combat::Target;
    use emberkeep_components::content::GameContent;
    use emberkeep_components::mobs::{AiState, Mind};
    use emberkeep_components::protocol::{ClientMsg, ServerEvent};
    use std::sync::Arc;
    for wait in 0..4 {
        let mut s = Scenario::new(open_map(16, 8, Tile { x: 3, y: 1 }), SimConfig::default());
        let mut content = (*s.world.resource::<GameContent>().0).clone();
        Arc::make_mut(content.mobs.get_mut("rat").unwrap()).aggro_range = 0;
        s.world.insert_resource(GameContent(Arc::new(content)));
        let (ann, ann_id) = s.join("Ann");
        let (rat, rat_id) = s.spawn_mob("rat", Tile { x: 4, y: 1 });
        s.world.get_mut::<Mind>(rat).unwrap().state = AiState::Idle { until: u64::MAX };
        s.ticks(wait); // a different tick modulo LOOK_EVERY each time
        assert_eq!(s.world.get::<Target>(rat).unwrap().0, None);
        s.send(ann, ClientMsg::Attack { target: rat_id });
        let got = s.tick();
        let hit = crate::scenario::events(&got, ann).iter().any(|e| {
            matches!(e, ServerEvent::Hit { attacker, .. } | ServerEvent::Miss { attacker, .. } if *attacker == ann_id)
        });
        assert!(hit, "Ann swung this tick");
        let me = s.entity(ann);
        let state = s.world.get::<Mind>(rat).map(|m| &m.state);
        assert!(
            matches!(state, Some(AiState::Chase { target }) if *target == me),
            "after {wait} quiet ticks: {state:?}"
        );
    }
}

/// Idle mobs far from every player sleep; one in a player's view wanders.
#[test]
fn mobs_out_of_every_players_view_sleep() {
    let config = SimConfig {
        region_size: 4,
        ..SimConfig::default()
    };
    let mut s = Scenario::new(open_map(64, 16, Tile { x: 2, y: 2 }), config);
    s.join("Ann");
    let (far, _) = s.spawn_mob("hare", Tile { x: 50, y: 8 });
    let (near, _) = s.spawn_mob("hare", Tile { x: 4, y: 4 });
    let mut far_moves = 0;
    let mut near_moves = 0;
    let (mut last_far, mut last_near) = (Tile { x: 50, y: 8 }, Tile { x: 4, y: 4 });
    for _ in 0..400 {
        s.tick();
        let f = s.world.get::<Position>(far).unwrap().0;
        let n = s.world.get::<Position>(near).unwrap().0;
        far_moves += usize::from(f != last_far);
        near_moves += usize::from(n != last_near);
        (last_far, last_near) = (f, n);
    }
    assert_eq!(far_moves, 0, "nobody sees the far hare: it sleeps");
    assert!(near_moves > 5, "the near hare wanders: {near_moves} steps");
}
