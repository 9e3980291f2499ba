//! Ai phase: what mobs and NPCs do each tick.
//!
//! Idle → (after a pause) Wander to a tile near home → Idle ...
//! Hostile mobs in Idle or Wander notice the nearest living player within `aggro_range`
//! (outside safe zones) and Chase it with A* around walls; in range, Combat does the hitting.
//! A chase that takes the mob beyond `leash_range` from home, or whose target died, vanished
//! or reached a safe zone, turns into Return: walk home, healing on the way, ignoring players.
//! A mob with `flee_below_pct` runs from its attacker when its hp drops below that share.

use bevy_ecs::prelude::*;
use emberkeep_components::abilities::{Casting, Slowed, Stunned};
use emberkeep_components::combat::{DamageLog, Dead, Target};
use emberkeep_components::content::MobDef;
use emberkeep_components::map::{Tile, TileMap};
use emberkeep_components::mobs::{AiState, Mind, Path, StepCooldown};
use emberkeep_components::regions::{RegionGrid, RegionId};
use emberkeep_components::stats::Vitals;
use emberkeep_components::world::{Player, Position, RegionCell, Tick};
use rand_core::Rng;

use crate::rng::WorldRng;
use crate::world::regions::ByRegion;

/// A roaming mob looks for players to aggro once in this many ticks.
pub(crate) const LOOK_EVERY: u64 = 4;
/// Ticks a fleeing mob runs before heading home.
const FLEE_TICKS: u64 = 60;
/// Share of max hp a returning mob heals per step, in percent.
const RETURN_HEAL_PCT: i32 = 10;

/// Nodes an A* search may expand before it gives up. A mob's tiles are bounded by its leash
/// (see [`can_walk`]), so this only bites for content with very long leashes.
pub(crate) const SEARCH_LIMIT: usize = 2048;
/// A planned path is kept while its end is this close (Manhattan) to where the mob now wants
/// to go: a chased player who moved a step or two does not cost a new search.
pub(crate) const PATH_REUSE: i32 = 2;

/// A shortest 4-neighbour path from `from` to `to` over tiles `ok` accepts, excluding `from`,
/// next step last. `to` itself need not be accepted (a target's tile may be in a safe zone).
/// Gives up (None) after expanding `limit` tiles.
pub(crate) fn find_path(
    from: Tile,
    to: Tile,
    limit: usize,
    ok: impl Fn(Tile) -> bool,
) -> Option<Vec<Tile>> {
    let expanded = std::cell::Cell::new(0usize);
    let (mut path, _) = pathfinding::prelude::astar(
        &from,
        |t| {
            expanded.set(expanded.get() + 1);
            let open = expanded.get() <= limit;
            [(1, 0), (-1, 0), (0, 1), (0, -1)]
                .map(|(dx, dy)| {
                    let n = Tile {
                        x: t.x + dx,
                        y: t.y + dy,
                    };
                    (open && (n == to || ok(n))).then_some((n, 1))
                })
                .into_iter()
                .flatten()
        },
        |t| (t.x - to.x).abs() + (t.y - to.y).abs(),
        |t| *t == to,
    )?;
    path.remove(0);
    path.reverse();
    Some(path)
}

/// The next tile on the way from `here` to `goal`: the planned path while it still leads
/// there (`plan`, its end, within [`PATH_REUSE`] of `goal`); else, while not planning, a
/// greedy step, which is all open ground needs; else (blocked, or planning since the last
/// block) a new A* plan. None when the goal cannot be reached. The path is read only when
/// there is a plan.
pub(crate) fn next_step(
    plan: &mut Option<Tile>,
    path: &mut Path,
    here: Tile,
    goal: Tile,
    ok: impl Fn(Tile) -> bool,
) -> Option<Tile> {
    let manhattan = |a: Tile, b: Tile| (a.x - b.x).abs() + (a.y - b.y).abs();
    if plan.is_some_and(|g| manhattan(g, goal) <= PATH_REUSE)
        && let Some(next) = path.steps.pop()
    {
        return Some(next);
    }
    if plan.is_none()
        && let Some(next) = greedy_step(here, goal, &ok)
    {
        return Some(next);
    }
    *plan = Some(goal);
    match find_path(here, goal, SEARCH_LIMIT, ok) {
        Some(steps) => path.steps = steps,
        None => path.steps.clear(),
    }
    path.steps.pop()
}

/// Forgets the errand's plan: the next errand starts with greedy steps. (Only a planned
/// errand can have left steps, so the path is touched only then.)
fn forget_plan(plan: &mut Option<Tile>, path: &mut Path) {
    if plan.take().is_some() {
        path.steps.clear();
    }
}

/// Whether a mob of this template may stand on the tile: walkable, within reach of home,
/// and (for hostile mobs) not in a safe zone.
fn can_walk(map: &TileMap, def: &MobDef, home: Tile, t: Tile) -> bool {
    let reach = def.leash_range.max(def.wander_radius) + 2;
    map.is_walkable(t) && t.distance(home) <= reach && !(def.hostile && map.is_safe(t))
}

/// Runs every mob's behaviour for this tick: decide, then maybe take one step.
pub(crate) fn think(
    tick: Res<Tick>,
    map: Res<TileMap>,
    grid: Res<RegionGrid>,
    mut rng: ResMut<WorldRng>,
    mut mobs: Query<
        (
            Entity,
            &mut Mind,
            &mut Path,
            &mut StepCooldown,
            &mut Position,
            &mut Target,
            &mut Vitals,
            &RegionCell,
            &mut DamageLog,
            Option<&Slowed>,
            Has<Stunned>,
            Has<Casting>,
        ),
        Without<Player>,
    >,
    players: Query<(&Position, &Vitals, Has<Dead>), With<Player>>,
    roster: Query<(Entity, &Position, &Vitals, Has<Dead>), With<Player>>,
    mut awake: Local<Vec<bool>>,
    mut prey: Local<Prey>,
) {
    let now = tick.0;
    prey.rebuild(
        &grid,
        roster
            .iter()
            .filter(|(_, pos, vitals, dead)| !dead && vitals.hp > 0 && !map.is_safe(pos.0))
            .map(|(p, pos, ..)| (p, pos.0)),
    );
    // Regions some player can see. Idle and wandering mobs elsewhere sleep: nobody could see
    // them move, and no player is near enough to aggro them.
    awake.clear();
    awake.resize(grid.players.len(), false);
    for r in 0..grid.players.len() {
        if !grid.players[r].is_empty() {
            for &v in grid.view(r as u32).as_slice() {
                awake[v as usize] = true;
            }
        }
    }
    for (
        e,
        mut mind,
        mut path,
        mut step,
        mut pos,
        mut target,
        mut vitals,
        cell,
        mut log,
        slow,
        stun,
        casting,
    ) in &mut mobs
    {
        // (A stunned mob does nothing; a casting one stands still: a step would break it.)
        if vitals.hp <= 0 || stun || casting {
            continue;
        }
        // (Nothing watches the mind or the path for changes: no change ticks written for
        // 50,000 mobs.)
        let Mind {
            state,
            def,
            home,
            plan,
        } = mind.bypass_change_detection();
        let path = path.bypass_change_detection();
        let home = *home;
        let roaming = matches!(*state, AiState::Idle { .. } | AiState::Wander { .. });
        if roaming && *cell != RegionCell::NONE && !awake[cell.0 as usize] {
            continue;
        }
        // Roaming mobs look around for players every LOOK_EVERY ticks (staggered by entity),
        // not every tick; one that was hit reacts at once.
        let look = (now + u64::from(e.index_u32())).is_multiple_of(LOOK_EVERY);
        let waiting = match *state {
            AiState::Idle { until } => now < until,
            AiState::Wander { .. } => now < step.ready_at,
            _ => false,
        };
        // (A hit since the last tick changed the damage log; its change tick is read here,
        // not the log itself, which would cost a cache miss per mob.)
        if waiting && !look && !log.is_changed() {
            continue;
        }
        // A chasing, returning or fleeing mob decides again when it may step next; until
        // then its target stays set, and Combat checks range, death and safe zones itself.
        if !roaming && now < step.ready_at {
            continue;
        }
        let def: &MobDef = def;
        let here = pos.0;
        // Decide.
        // A roaming mob that was hit fights back; a hostile one also goes for players it
        // sees. (Only a hit since the last tick can make a roaming mob turn: one hit earlier
        // turned then, and the log is forgotten when it is home again. So the log itself,
        // a cache miss per mob, is read only when it changed.)
        let hit_by = if roaming && log.is_changed() {
            log.last.filter(|p| players.contains(*p))
        } else {
            None
        };
        let spotted = match hit_by {
            Some(p) => Some(p),
            None if roaming && def.hostile && look => aggro(def, &grid, &prey, here, *cell),
            None => None,
        };
        let next_state = match (state.clone(), spotted) {
            (_, Some(p)) => Some(AiState::Chase { target: p }),
            (AiState::Idle { until }, None) => idle_until(until, now, def, &map, home, &mut rng),
            // (Wandering takes greedy steps and never plans: its path stays empty. A step
            // that cannot get closer ends the wander below.)
            (AiState::Wander { goal }, None) => (here == goal).then(|| AiState::Idle {
                until: now + 20 + u64::from(rng.0.next_u32() % 60),
            }),
            (AiState::Chase { target: p }, None) => {
                let gone = match players.get(p) {
                    Ok((ppos, pv, dead)) => dead || pv.hp <= 0 || map.is_safe(ppos.0),
                    Err(_) => true,
                };
                let low = def.flee_below_pct > 0
                    && vitals.hp * 100 < vitals.max_hp * def.flee_below_pct as i32;
                if gone || here.distance(home) > def.leash_range {
                    Some(AiState::Return)
                } else if low {
                    Some(AiState::Flee {
                        from: p,
                        until: now + FLEE_TICKS,
                    })
                } else {
                    None
                }
            }
            (AiState::Flee { until, .. }, None) => (now >= until).then_some(AiState::Return),
            (AiState::Return, None) => (here == home).then_some(AiState::Idle { until: now + 20 }),
        };
        if let Some(s) = next_state {
            if matches!(s, AiState::Idle { .. }) && matches!(*state, AiState::Return) {
                // Home again: whole, and the fight is forgotten.
                vitals.hp = vitals.max_hp;
                log.by.clear();
                log.last = None;
            }
            *state = s;
            forget_plan(plan, path);
        }
        let chasing = match *state {
            AiState::Chase { target: p } => Some(p),
            _ => None,
        };
        if target.0 != chasing {
            target.0 = chasing;
        }

        // Move.
        if now < step.ready_at {
            continue;
        }
        let goal = match *state {
            AiState::Idle { .. } => None,
            AiState::Wander { goal } => Some(goal),
            AiState::Return => Some(home),
            AiState::Chase { target: p } => match players.get(p) {
                Ok((ppos, ..)) if here.distance(ppos.0) > def.attack_range => Some(ppos.0),
                _ => None,
            },
            AiState::Flee { from, .. } => players
                .get(from)
                .ok()
                .and_then(|(ppos, ..)| away_from(here, ppos.0, |t| can_walk(&map, def, home, t))),
        };
        let Some(goal) = goal else { continue };
        let ok = |t| can_walk(&map, def, home, t);
        if let AiState::Wander { .. } = *state {
            // Wandering stays close to home: a greedy step is enough, no path search.
            match greedy_step(here, goal, ok) {
                Some(next) => {
                    pos.0 = next;
                    step.ready_at =
                        now + crate::game::effects::slowed_every(def.move_every_ticks, slow);
                }
                None => *state = AiState::Idle { until: now + 20 },
            }
            continue;
        }
        let Some(next) = next_step(plan, path, here, goal, ok) else {
            if matches!(*state, AiState::Chase { .. }) {
                // Out of reach: give up and go home.
                *state = AiState::Return;
                forget_plan(plan, path);
            }
            continue;
        };
        let onto_target = match *state {
            AiState::Chase { target: p } => players.get(p).is_ok_and(|(pp, ..)| pp.0 == next),
            _ => false,
        };
        if !map.is_walkable(next) || onto_target {
            // Blocked (or the next tile is where the target stands): plan again next time.
            if plan.is_some() {
                path.steps.clear();
            }
            continue;
        }
        pos.0 = next;
        step.ready_at = now + crate::game::effects::slowed_every(def.move_every_ticks, slow);
        if *state == AiState::Return {
            vitals.hp =
                (vitals.hp + (vitals.max_hp * RETURN_HEAL_PCT / 100).max(1)).min(vitals.max_hp);
        }
    }
}

/// The walkable neighbour that gets closest to `goal` (Manhattan), if any gets closer.
fn greedy_step(here: Tile, goal: Tile, ok: impl Fn(Tile) -> bool) -> Option<Tile> {
    let d = |t: Tile| (t.x - goal.x).abs() + (t.y - goal.y).abs();
    [(1, 0), (-1, 0), (0, 1), (0, -1)]
        .into_iter()
        .map(|(dx, dy)| Tile {
            x: here.x + dx,
            y: here.y + dy,
        })
        .filter(|t| d(*t) < d(here) && ok(*t))
        .min_by_key(|t| (d(*t), t.y, t.x))
}

/// An idle mob whose pause is over picks a wander goal near home.
fn idle_until(
    until: u64,
    now: u64,
    def: &MobDef,
    map: &TileMap,
    home: Tile,
    rng: &mut WorldRng,
) -> Option<AiState> {
    if now < until || def.wander_radius <= 0 {
        return None;
    }
    let r = def.wander_radius;
    let span = (2 * r + 1) as u32;
    for _ in 0..8 {
        let goal = Tile {
            x: home.x - r + (rng.0.next_u32() % span) as i32,
            y: home.y - r + (rng.0.next_u32() % span) as i32,
        };
        if can_walk(map, def, home, goal) {
            return Some(AiState::Wander { goal });
        }
    }
    Some(AiState::Idle { until: now + 40 })
}

/// The nearest living player within aggro range, outside safe zones.
fn aggro(
    def: &MobDef,
    grid: &RegionGrid,
    prey: &Prey,
    here: Tile,
    cell: RegionCell,
) -> Option<Entity> {
    if def.aggro_range <= 0 || cell == RegionCell::NONE {
        return None;
    }
    let mut best: Option<(i32, Entity)> = None;
    for r in grid.regions_near(here, def.aggro_range) {
        for &(p, at) in prey.in_region(r) {
            let d = here.distance(at);
            if d <= def.aggro_range && best.is_none_or(|(bd, be)| (d, p) < (bd, be)) {
                best = Some((d, p));
            }
        }
    }
    best.map(|(_, p)| p)
}

/// The players mobs may aggro this tick (alive, outside safe zones), grouped by the region
/// they stand in: rebuilt once a tick, so the many aggro checks read two flat arrays instead
/// of looking each player up in the world.
#[derive(Debug, Default)]
pub(crate) struct Prey(ByRegion<(Entity, Tile)>);

impl Prey {
    /// Groups `players` (entity, tile) by region.
    pub(crate) fn rebuild(
        &mut self,
        grid: &RegionGrid,
        players: impl Iterator<Item = (Entity, Tile)>,
    ) {
        self.0.clear(grid.players.len());
        for (p, at) in players {
            self.0.push(grid.region_of(at), (p, at));
        }
        self.0.group();
    }

    /// The players standing in region `r`.
    pub(crate) fn in_region(&self, r: RegionId) -> &[(Entity, Tile)] {
        self.0.in_region(r)
    }
}

/// A walkable neighbour farther from `threat` than `here`, if any.
fn away_from(here: Tile, threat: Tile, ok: impl Fn(Tile) -> bool) -> Option<Tile> {
    [(1, 0), (-1, 0), (0, 1), (0, -1)]
        .into_iter()
        .map(|(dx, dy)| Tile {
            x: here.x + dx,
            y: here.y + dy,
        })
        .filter(|t| ok(*t))
        .max_by_key(|t| (t.x - threat.x).abs() + (t.y - threat.y).abs())
        .filter(|t| {
            (t.x - threat.x).abs() + (t.y - threat.y).abs()
                > (here.x - threat.x).abs() + (here.y - threat.y).abs()
        })
}
