//! Crowds: what a client is told of the entities in its view, and how often.
//!
//! A client whose 3×3 view holds at most `world.crowd_near_entities` other entities gets every
//! move of each, every tick, as always. Above that its view is a crowd, and it gets:
//! - each tick, one `positions` event (relative to its own tile) of the entities that moved
//!   within a radius of it chosen so that about `crowd_near_entities` entities stand within it
//!   (from the density of the regions nearest it): the nearest walk smoothly, at a sixth of
//!   the bytes of their `move`s; its own step still comes as a `move`;
//! - for every region in view, every `world.crowd_far_every_secs`, a `positions` event: where
//!   each entity that moved since the region's last one stands now. Regions take turns (by
//!   index), so each tick carries about the same share.
//!
//! So a client in a crowd knows every entity in view (spawns and despawns are unchanged),
//! sees the nearest move step by step, and every other one's tile at most
//! `crowd_far_every_secs` late. A client whose view stops being a crowd is first sent where
//! everything in it stands, and then every move again.
//!
//! The work is per region and per client near it, never per pair: a region's `positions` is
//! written once for every client that sees it, and a client's nearest moves are picked from
//! the moves of the few regions its radius touches.

use bevy_ecs::prelude::*;
use emberkeep_components::config::SimConfig;
use emberkeep_components::map::Tile;
use emberkeep_components::protocol::{write_move, write_positions};
use emberkeep_components::regions::{RegionGrid, RegionId};
use emberkeep_components::world::{
    Connection, Interest, NetId, Outgoing, Position, RegionCell, Tick, ViewCell,
};

use super::regions::ByRegion;

/// One move of this tick: who, its id, where to.
pub(crate) type Moved = (Entity, u64, Tile);

/// Ticks between two looks at whether a client's view is a crowd (clients take turns; one
/// whose view moved is looked at in that tick). Counting a view's members is a handful of
/// cache misses per client, which 5,000 clients would pay every tick for a state that
/// changes slowly.
const RECHECK_TICKS: u64 = 10;

/// Whether a client in a crowd has seen region `r` lately (within [`RECHECK_TICKS`]).
fn watched(grid: &RegionGrid, r: usize, tick: u64) -> bool {
    grid.watched[r]
        .checked_add(RECHECK_TICKS)
        .is_some_and(|until| until > tick)
}

/// Decides for connected clients on the map whether their view is a crowd and, if so, how
/// near their nearest are — each client every [`RECHECK_TICKS`], and in the tick its view
/// moved; marks the regions such a client sees as watched (their moves are remembered for
/// their next `positions`). A client whose view stopped being a crowd is sent where
/// everything in it stands. Runs before the moves are broadcast.
pub(crate) fn choose_sights(
    tick: Res<Tick>,
    config: Res<SimConfig>,
    mut grid: ResMut<RegionGrid>,
    mut viewers: Query<
        (Entity, &ViewCell, &Position, &mut Interest, &mut Outgoing),
        With<Connection>,
    >,
    placed: Query<(&NetId, &Position)>,
) {
    let k = config.crowd_near_entities;
    let grid = &mut *grid;
    for (me, cell, pos, mut interest, mut out) in &mut viewers {
        if *cell == ViewCell::NONE
            || (interest.checked == Some(cell.0)
                && !(tick.0 + u64::from(me.index_u32())).is_multiple_of(RECHECK_TICKS))
        {
            continue;
        }
        interest.checked = Some(cell.0);
        let view = grid.view(cell.0);
        let others: usize = view
            .as_slice()
            .iter()
            .map(|r| grid.members[*r as usize].len())
            .sum::<usize>()
            .saturating_sub(1);
        let crowd = k > 0 && others > k as usize;
        if crowd {
            for &r in view.as_slice() {
                grid.watched[r as usize] = tick.0;
            }
            grid.crowds_until = tick.0 + RECHECK_TICKS;
            // The density around it: of the regions a region-sized square around it
            // overlaps (a crowd is denser in its middle than over the whole view).
            let (mut near, mut regions) = (0, 0);
            for r in grid.regions_near(pos.0, grid.size / 2) {
                near += grid.members[r as usize].len();
                regions += 1;
            }
            let area = f64::from(regions) * f64::from(grid.size).powi(2);
            interest.radius = near_radius(k, near.saturating_sub(1), area, grid.size);
        } else if interest.crowd {
            // What it was not told every step of: where everything in view stands now.
            let mut entries = Vec::new();
            for &r in view.as_slice() {
                entries.clear();
                entries.extend(
                    grid.members[r as usize]
                        .iter()
                        .filter(|e| **e != me)
                        .filter_map(|e| placed.get(*e).ok())
                        .map(|(id, pos)| (id.0, pos.0.x, pos.0.y)),
                );
                if !entries.is_empty() {
                    let origin = region_origin(grid, r);
                    out.push_view_with(|buf| write_positions(buf, origin, &mut entries));
                }
            }
        }
        if interest.crowd != crowd {
            interest.crowd = crowd;
        }
    }
}

/// The Chebyshev radius, in tiles, around which about `k` of `others` entities spread over
/// `area` tiles stand: at least 1 (the neighbours), at most a region's side.
pub(crate) fn near_radius(k: u32, others: usize, area: f64, size: i32) -> i32 {
    let density = others as f64 / area.max(1.0);
    let side = (f64::from(k) / density.max(f64::MIN_POSITIVE)).sqrt();
    let radius = ((side - 1.0) / 2.0).floor();
    if radius.is_finite() {
        (radius as i32).clamp(1, size.max(1))
    } else {
        size.max(1)
    }
}

/// The top-left tile of region `r`.
fn region_origin(grid: &RegionGrid, r: RegionId) -> (i32, i32) {
    let (cx, cy) = grid.coords(r);
    (cx * grid.size, cy * grid.size)
}

/// After this tick's moves are grouped by region: remembers those in watched regions, gives
/// each client in a crowd the moves within its radius, and writes the `positions` of the
/// regions whose turn it is (and that a client in a crowd sees).
pub(crate) fn tell_crowds(
    tick: u64,
    every: u64,
    grid: &mut RegionGrid,
    moves: &ByRegion<Moved>,
    viewers: &mut Query<(&NetId, &Position, &mut Interest), With<Connection>>,
    placed: &Query<(&NetId, &Position, &RegionCell)>,
) {
    if tick >= grid.crowds_until {
        return; // no crowd anywhere (nobody is marked crowd, nothing is watched)
    }
    for (r, (e, _, _)) in moves.sorted() {
        if watched(grid, r as usize, tick) {
            grid.movers[r as usize].push(e);
        }
    }
    let mut entries = Vec::new();
    for (me, pos, mut interest) in viewers.iter_mut() {
        if !interest.crowd {
            continue;
        }
        let (at, radius) = (pos.0, interest.radius);
        let near = &mut interest.near;
        near.clear();
        entries.clear();
        for r in grid.regions_near(at, radius) {
            for &(_, id, to) in moves.in_region(r) {
                if id == me.0 {
                    // Its own step, confirmed as outside a crowd.
                    write_move(near, id, to.x, to.y);
                } else if (to.x - at.x).abs() <= radius && (to.y - at.y).abs() <= radius {
                    entries.push((id, to.x, to.y));
                }
            }
        }
        if !entries.is_empty() {
            if !near.is_empty() {
                near.push(',');
            }
            write_positions(near, (at.x, at.y), &mut entries);
        }
    }
    // Region r's turn comes when (tick + r) is a multiple of `every`.
    let every = every.max(1);
    let first = ((every - tick % every) % every) as usize;
    for r in (first..grid.movers.len()).step_by(every as usize) {
        if grid.movers[r].is_empty() {
            continue;
        }
        let movers = std::mem::take(&mut grid.movers[r]);
        if watched(grid, r, tick) {
            let r = r as RegionId;
            entries.clear();
            // (Listed once per move, maybe since gone elsewhere: the ones still here, once.)
            entries.extend(
                movers
                    .iter()
                    .filter_map(|e| placed.get(*e).ok())
                    .filter(|(_, _, cell)| cell.0 == r)
                    .map(|(id, pos, _)| (id.0, pos.0.x, pos.0.y)),
            );
            entries.sort_unstable_by_key(|e| e.0);
            entries.dedup_by_key(|e| e.0);
            if !entries.is_empty() {
                let origin = region_origin(grid, r);
                let written = grid
                    .events
                    .positions
                    .push_with(r, |buf| write_positions(buf, origin, &mut entries));
                debug_assert!(written, "positions are written region by region");
            }
        }
        // (The list's room is kept for the next turn.)
        let mut movers = movers;
        movers.clear();
        grid.movers[r] = movers;
    }
}

#[cfg(test)]
mod tests {
    use emberkeep_components::net::{ConnId, WorldInput};
    use emberkeep_components::protocol::{Positions, ServerEvent};

    use super::*;
    use crate::scenario::{Scenario, events, open_map};

    /// Ticks between two `positions` of a region in these tests.
    const EVERY: u64 = 5;

    /// A 48 x 48 open map of 8-tile regions; a view with more than 4 others is a crowd.
    fn square() -> Scenario {
        let config = SimConfig {
            region_size: 8,
            steps_per_sec: 20,
            step_burst: 2,
            crowd_near_entities: 4,
            crowd_far_every_ticks: EVERY,
            ..SimConfig::default()
        };
        Scenario::new(open_map(48, 48, Tile { x: 20, y: 20 }), config)
    }

    fn place(s: &mut Scenario, conn: ConnId, x: i32, y: i32) {
        let e = s.entity(conn);
        s.world.get_mut::<Position>(e).unwrap().0 = Tile { x, y };
    }

    /// Where `id` stands by the `positions` events among `got`, if any names it.
    fn positioned(got: &[ServerEvent], id: u64) -> Option<(i32, i32)> {
        got.iter()
            .filter_map(|e| match e {
                ServerEvent::Positions { x, y, at } => Positions::decode(*x, *y, at),
                _ => None,
            })
            .flatten()
            .filter(|(who, _, _)| *who == id)
            .map(|(_, x, y)| (x, y))
            .next_back()
    }

    fn moved(got: &[ServerEvent], who: u64) -> bool {
        got.iter()
            .any(|e| matches!(e, ServerEvent::Move { id, .. } if *id == who))
    }

    /// In a crowd the nearest walk step by step, a farther one arrives as `positions` at
    /// most a turn late; once the crowd thins out, the client first learns where everything
    /// stands, then every step again.
    #[test]
    fn in_a_crowd_the_nearest_walk_and_the_rest_arrive_as_positions() {
        let mut s = square();
        let (viewer, viewer_id) = s.join("Viewer");
        let (near, near_id) = s.join("Near");
        let (far, far_id) = s.join("Far");
        let idle: Vec<ConnId> = (0..6).map(|i| s.join(&format!("Idle{i}")).0).collect();
        place(&mut s, viewer, 18, 18);
        place(&mut s, near, 19, 18);
        place(&mut s, far, 18, 28);
        for (i, c) in idle.iter().enumerate() {
            place(&mut s, *c, 10 + i as i32, 12);
        }
        // (Each client's view is looked at again within RECHECK_TICKS.)
        s.ticks(RECHECK_TICKS as usize);
        let interest = |s: &Scenario| {
            let i = s.world.get::<Interest>(s.entity(viewer)).unwrap();
            (i.crowd, i.radius)
        };
        let (crowd, radius) = interest(&s);
        assert!(crowd, "8 others in view, more than 4");
        assert!((1..10).contains(&radius), "radius {radius}");

        // The near one walks: every step arrives in its tick (in the viewer's own
        // positions), and so does the viewer's own step (as a move). The far one walks three
        // steps and stops: none of them arrives in its tick, its last tile soon after.
        let mut far_at = None;
        for t in 0..3 {
            let back = if t % 2 == 0 { 1 } else { -1 };
            let n = s.position(near);
            s.step(near, n.x, n.y + back);
            let v = s.position(viewer);
            s.step(viewer, v.x - back, v.y);
            let f = s.position(far);
            s.step(far, f.x + 1, f.y);
            let got = s.tick();
            let got = events(&got, viewer);
            let n = s.position(near);
            assert_eq!(
                positioned(got, near_id),
                Some((n.x, n.y)),
                "tick {t}: the near step arrives: {got:?}"
            );
            assert!(moved(got, viewer_id), "tick {t}: its own step: {got:?}");
            assert!(!moved(got, near_id) && !moved(got, far_id), "{got:?}");
            far_at = positioned(got, far_id).or(far_at);
        }
        let stopped = s.position(far);
        let mut late = 0;
        while far_at != Some((stopped.x, stopped.y)) {
            late += 1;
            assert!(late <= EVERY, "the far one's last tile within a turn");
            let got = s.tick();
            far_at = positioned(events(&got, viewer), far_id).or(far_at);
        }

        // The crowd thins out: the far one walks on unseen, then the idle ones leave.
        let f = s.position(far);
        s.step(far, f.x + 1, f.y);
        assert!(!moved(events(&s.tick(), viewer), far_id));
        for c in &idle {
            s.push(WorldInput::Closed {
                conn: *c,
                reason: "bye".into(),
            });
        }
        let mut got = Vec::new();
        for _ in 0..=RECHECK_TICKS {
            got.extend(events(&s.tick(), viewer).iter().cloned());
            if !interest(&s).0 {
                break;
            }
        }
        assert!(!interest(&s).0, "2 others: no crowd");
        let f = s.position(far);
        assert_eq!(
            positioned(&got, far_id),
            Some((f.x, f.y)),
            "told where everything stands: {got:?}"
        );
        s.step(far, f.x + 1, f.y);
        assert!(moved(events(&s.tick(), viewer), far_id), "every step again");
    }

    #[test]
    fn the_near_radius_holds_about_k_entities() {
        // 2,000 others over 9 regions of 16 x 16 tiles (0.87 a tile): 48 within 3 tiles.
        let area = 9.0 * 256.0;
        assert_eq!(near_radius(48, 2000, area, 16), 3);
        // Sparser, wider; never past a region's side, never under the neighbours.
        assert_eq!(near_radius(48, 200, area, 16), 11);
        assert_eq!(near_radius(48, 50, area, 16), 16);
        assert_eq!(near_radius(48, 100_000, area, 16), 1);
        assert_eq!(near_radius(48, 0, area, 16), 16);
    }
}
