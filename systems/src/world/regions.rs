//! Broadcast phase, first half: keep region membership current and tell clients what came
//! into and went out of view; queue each moved entity's new tile in its region's run of moves.
//!
//! Crossings are processed one at a time against the current membership, so after each one
//! every client knows exactly the entities in its 3×3 view.

use bevy_ecs::prelude::*;
use emberkeep_components::atlas::Door;
use emberkeep_components::combat::Dead;
use emberkeep_components::config::SimConfig;
use emberkeep_components::items::{GroundItem, ShownGear};
use emberkeep_components::map::Tile;
use emberkeep_components::mobs::Mob;
use emberkeep_components::protocol::{
    ServerEvent, SpawnFields, encode_event, write_despawn, write_move, write_spawn,
};
use emberkeep_components::regions::{RegionGrid, RegionId, remove_member};
use emberkeep_components::skills::{Depleted, Node, Station};
use emberkeep_components::stats::{ClassId, Level, Vitals};
use emberkeep_components::world::{
    Connection, DisplayName, Interest, Kind, NetId, NetIndex, Outgoing, Position, RegionCell, Tick,
    ViewCell,
};

use super::interest::Moved;

/// Places new entities and moves entities whose tile is now in another region, sending
/// spawns and despawns to the clients whose view they entered or left; then moves the view of
/// each player who walked far enough ([`ViewCell`]), sending it spawns and despawns of what
/// entered and left it. Only entities whose position changed this tick are looked at.
/// Players (connected or lingering) are listed in [`RegionGrid::players`] by their view's
/// centre.
pub(crate) fn track_regions(
    config: Res<SimConfig>,
    mut grid: ResMut<RegionGrid>,
    mut cells: Query<
        (Entity, &Position, &mut RegionCell, Option<&mut ViewCell>),
        Changed<Position>,
    >,
    info: Query<SpawnInfo>,
    mut outgoing: Query<&mut Outgoing>,
) {
    let mut crossings: Vec<(Entity, Option<RegionId>, RegionId)> = Vec::new();
    let mut views: Vec<(Entity, Option<RegionId>, RegionId)> = Vec::new();
    for (e, pos, mut cell, view) in &mut cells {
        let now = grid.region_of(pos.0);
        if cell.0 != now {
            let before = (*cell != RegionCell::NONE).then_some(cell.0);
            crossings.push((e, before, now));
            cell.0 = now;
        }
        if let Some(mut view) = view {
            let before = (*view != ViewCell::NONE).then_some(view.0);
            let centre = view_centre(&grid, before, pos.0, config.view_hysteresis_tiles);
            if before != Some(centre) {
                views.push((e, before, centre));
                view.0 = centre;
            }
        }
    }
    let grid = &mut *grid;
    for (e, before, after) in crossings {
        let spawn_of = |x: Entity| {
            info.get(x).ok().map(|i| {
                let mut json = String::new();
                write_spawn(&mut json, &spawn_fields(&i));
                json
            })
        };
        let despawn_of = |x: Entity| {
            info.get(x).ok().map(|i| {
                let mut json = String::new();
                write_despawn(&mut json, i.0.0);
                json
            })
        };

        // Each event is written only once a region with someone to tell needs it: most
        // crossings (mobs away from players) need neither.
        if let Some(before) = before {
            let mut despawn_e = None;
            for &r in grid
                .view(before)
                .as_slice()
                .iter()
                .filter(|r| !grid.sees(after, **r))
            {
                if watched(grid, r, e)
                    && let Some(json) = despawn_e.get_or_insert_with(|| despawn_of(e))
                {
                    tell_players(grid, r, e, json, &mut outgoing);
                }
            }
            remove_member(&mut grid.members[before as usize], e);
        }
        let mut spawn_e = None;
        for &r in grid
            .view(after)
            .as_slice()
            .iter()
            .filter(|r| before.is_none_or(|b| !grid.sees(b, **r)))
        {
            if watched(grid, r, e)
                && let Some(json) = spawn_e.get_or_insert_with(|| spawn_of(e))
            {
                tell_players(grid, r, e, json, &mut outgoing);
            }
        }
        grid.members[after as usize].push(e);
    }
    for (e, before, after) in views {
        if let Some(before) = before {
            for &r in grid
                .view(before)
                .as_slice()
                .iter()
                .filter(|r| !grid.sees(after, **r))
            {
                tell_about_members(grid, r, e, &info, View::Despawn, &mut outgoing);
            }
            remove_member(&mut grid.players[before as usize], e);
        }
        for &r in grid
            .view(after)
            .as_slice()
            .iter()
            .filter(|r| before.is_none_or(|b| !grid.sees(b, **r)))
        {
            tell_about_members(grid, r, e, &info, View::Spawn, &mut outgoing);
        }
        grid.players[after as usize].push(e);
    }
}

/// The region a player at `at` sees around, its view centred on `centre` until now: the
/// region it stands in, unless that is next to `centre` and it stands at most `hysteresis`
/// tiles past `centre`'s border.
pub(crate) fn view_centre(
    grid: &RegionGrid,
    centre: Option<RegionId>,
    at: Tile,
    hysteresis: i32,
) -> RegionId {
    let now = grid.region_of(at);
    let Some(centre) = centre.filter(|c| *c != now && hysteresis > 0) else {
        return now;
    };
    let ((cx, cy), (nx, ny)) = (grid.coords(centre), grid.coords(now));
    if (cx - nx).abs() > 1 || (cy - ny).abs() > 1 {
        return now; // a jump (a warp, a respawn): no sliding back
    }
    let size = grid.size;
    let past = |v: i32, c: i32| (c * size - v).max(v - (c * size + size - 1)).max(0);
    if past(at.x, cx).max(past(at.y, cy)) <= hysteresis {
        centre
    } else {
        now
    }
}

/// Whether a player other than `subject` sees around region `r`.
fn watched(grid: &RegionGrid, r: RegionId, subject: Entity) -> bool {
    grid.players[r as usize].iter().any(|p| *p != subject)
}

/// What a `spawn` event says about an entity.
pub(crate) type SpawnInfo = (
    &'static NetId,
    &'static Kind,
    &'static DisplayName,
    &'static Position,
    Option<&'static Level>,
    Option<&'static Vitals>,
    Option<&'static GroundItem>,
    Has<Dead>,
    Option<&'static Door>,
    Option<&'static Mob>,
    Option<&'static Node>,
    Has<Depleted>,
    Option<&'static Station>,
    Option<&'static ClassId>,
    Option<&'static ShownGear>,
);

/// What the `spawn` event of an entity coming into view says, borrowed from its components.
pub(crate) fn spawn_fields<'a>(
    (
        id,
        kind,
        name,
        pos,
        level,
        vitals,
        ground,
        dead,
        door,
        mob,
        node,
        depleted,
        station,
        class,
        gear,
    ): &bevy_ecs::query::QueryItem<'a, '_, SpawnInfo>,
) -> SpawnFields<'a> {
    SpawnFields {
        id: id.0,
        kind: kind.0,
        name: &name.0,
        x: pos.0.x,
        y: pos.0.y,
        level: level.map(|l| l.0),
        hp: vitals.map(|v| v.hp),
        max_hp: vitals.map(|v| v.max_hp),
        item: ground.map(|g| g.item.template.as_str()),
        // (Clients match quest offers by an NPC's, and draw a mob or NPC by it.)
        template: mob.map(|m| m.template.as_str()),
        dead: *dead,
        door: door.map(|d| (d.open, d.width, d.height)),
        node: node.map(|n| (&*n.def, *depleted)),
        station: station.map(|s| s.0),
        class: class.map(|c| c.0.as_str()),
        gear: gear.map(|g| &g.0),
    }
}

/// Which event about each member a client gets when a region enters or leaves its view.
#[derive(Debug, Clone, Copy)]
enum View {
    Spawn,
    Despawn,
}

/// Queues `event_json` for every client whose view is centred on region `r`, except
/// `subject`.
fn tell_players(
    grid: &RegionGrid,
    r: RegionId,
    subject: Entity,
    event_json: &str,
    outgoing: &mut Query<&mut Outgoing>,
) {
    for &p in &grid.players[r as usize] {
        if p != subject
            && let Ok(mut out) = outgoing.get_mut(p)
        {
            out.push_view(event_json);
        }
    }
}

/// Queues for client `viewer` a spawn or despawn of each member of region `r`, written
/// straight into its buffer.
fn tell_about_members(
    grid: &RegionGrid,
    r: RegionId,
    viewer: Entity,
    info: &Query<SpawnInfo>,
    view: View,
    outgoing: &mut Query<&mut Outgoing>,
) {
    let Ok(mut out) = outgoing.get_mut(viewer) else {
        return;
    };
    for &x in &grid.members[r as usize] {
        if x == viewer {
            continue;
        }
        let Ok(i) = info.get(x) else { continue };
        match view {
            View::Spawn => out.push_view_with(|buf| write_spawn(buf, &spawn_fields(&i))),
            View::Despawn => out.push_view_with(|buf| write_despawn(buf, i.0.0)),
        }
    }
}

/// Despawns an entity, first telling everyone who sees it (directly, not through the region
/// buffer: a viewer who walks out of view later this tick must still learn of it). The
/// despawn goes last in each viewer's frame, after the region events: what happened to the
/// entity this tick (its `death`, a last `chat`) arrives before it disappears.
pub(crate) fn remove_from_world(world: &mut World, e: Entity) {
    let cell = world
        .get::<RegionCell>(e)
        .copied()
        .unwrap_or(RegionCell::NONE);
    let view = world.get::<ViewCell>(e).copied().unwrap_or(ViewCell::NONE);
    if view != ViewCell::NONE {
        let mut grid = world.resource_mut::<RegionGrid>();
        if let Some(players) = grid.players.get_mut(view.0 as usize) {
            remove_member(players, e);
        }
    }
    if let Some(id) = world.get::<NetId>(e).copied() {
        world.resource_mut::<NetIndex>().0.remove(&id.0);
        if cell != RegionCell::NONE {
            let despawn = encode_event(&ServerEvent::Despawn { id: id.0 });
            let viewers = {
                let mut grid = world.resource_mut::<RegionGrid>();
                remove_member(&mut grid.members[cell.0 as usize], e);
                let view = grid.view(cell.0);
                view.as_slice()
                    .iter()
                    .flat_map(|r| grid.players[*r as usize].clone())
                    .collect::<Vec<_>>()
            };
            for viewer in viewers {
                if viewer != e
                    && let Some(mut out) = world.get_mut::<Outgoing>(viewer)
                {
                    out.push_last_view(&despawn);
                }
            }
        }
    }
    world.despawn(e);
}

/// Queues a `move` for every entity whose tile changed this tick, once, in its region's run
/// of moves ([`RegionEvents::moves`](emberkeep_components::regions::RegionEvents)). The moves
/// are grouped by region first (a counting sort) and written region by region into one
/// buffer: a sequential pass, where writing each region's own buffer missed the cache once
/// per region (most regions get one or two moves a tick). Runs last in the phase but for the
/// frames, so a region's buffer, written before, is also sent before its moves. Then tells
/// the clients in a crowd what they get instead ([`super::interest::tell_crowds`]).
pub(crate) fn broadcast_moves(
    tick: Res<Tick>,
    config: Res<SimConfig>,
    mut grid: ResMut<RegionGrid>,
    moved: Query<(Entity, &NetId, Ref<Position>, &RegionCell), Changed<Position>>,
    mut viewers: Query<(&NetId, &Position, &mut Interest), With<Connection>>,
    placed: Query<(&NetId, &Position, &RegionCell)>,
    mut moves: Local<ByRegion<Moved>>,
) {
    moves.clear(grid.events.region_count());
    for (e, id, pos, cell) in &moved {
        // A newcomer's spawn already carries its tile.
        if !pos.is_added() && *cell != RegionCell::NONE {
            moves.push(cell.0, (e, id.0, pos.0));
        }
    }
    moves.group();
    let runs = &mut grid.events.moves;
    for (r, (_, id, at)) in moves.sorted() {
        let in_order = runs.push_with(r, |buf| write_move(buf, id, at.x, at.y));
        debug_assert!(in_order, "moves are written region by region");
    }
    super::interest::tell_crowds(
        tick.0,
        config.crowd_far_every_ticks,
        &mut grid,
        &moves,
        &mut viewers,
        &placed,
    );
}

/// Items grouped by region with a counting sort, O(items + regions) (stable: items of one
/// region keep their order). Fill with [`ByRegion::push`], then [`ByRegion::group`].
#[derive(Debug)]
pub(crate) struct ByRegion<T> {
    items: Vec<(RegionId, T)>,
    /// After grouping, region r's items are `grouped[start[r]..start[r + 1]]`.
    start: Vec<u32>,
    next: Vec<u32>,
    grouped: Vec<T>,
}

impl<T> Default for ByRegion<T> {
    fn default() -> Self {
        ByRegion {
            items: Vec::new(),
            start: Vec::new(),
            next: Vec::new(),
            grouped: Vec::new(),
        }
    }
}

impl<T: Copy> ByRegion<T> {
    /// Empties the list, for a grid of `regions` regions.
    pub(crate) fn clear(&mut self, regions: usize) {
        self.items.clear();
        self.grouped.clear();
        self.start.clear();
        self.start.resize(regions + 1, 0);
    }

    /// Adds an item in region `r` (one outside the grid is left out).
    pub(crate) fn push(&mut self, r: RegionId, item: T) {
        if let Some(n) = self.start.get_mut(r as usize + 1) {
            *n += 1;
            self.items.push((r, item));
        }
    }

    /// Groups the items pushed since [`ByRegion::clear`] by region.
    pub(crate) fn group(&mut self) {
        let regions = self.start.len().saturating_sub(1);
        for r in 0..regions {
            self.start[r + 1] += self.start[r];
        }
        self.next.clear();
        self.next.extend_from_slice(&self.start[..regions]);
        self.grouped.clear();
        if let Some(&(_, item)) = self.items.first() {
            self.grouped.resize(self.items.len(), item);
        }
        for &(r, item) in &self.items {
            let slot = &mut self.next[r as usize];
            self.grouped[*slot as usize] = item;
            *slot += 1;
        }
    }

    /// After [`ByRegion::group`]: every item with its region, region by region.
    pub(crate) fn sorted(&self) -> impl Iterator<Item = (RegionId, T)> + '_ {
        self.start.windows(2).enumerate().flat_map(|(r, w)| {
            self.grouped[w[0] as usize..w[1] as usize]
                .iter()
                .map(move |item| (r as RegionId, *item))
        })
    }

    /// After [`ByRegion::group`]: the items in region `r`.
    pub(crate) fn in_region(&self, r: RegionId) -> &[T] {
        let r = r as usize;
        match (self.start.get(r), self.start.get(r + 1)) {
            (Some(&a), Some(&b)) => &self.grouped[a as usize..b as usize],
            _ => &[],
        }
    }
}

#[cfg(test)]
mod tests {
    use std::collections::{HashMap, HashSet};

    use bevy_ecs::prelude::*;
    use emberkeep_components::config::SimConfig;
    use emberkeep_components::map::Tile;
    use emberkeep_components::net::{ConnId, WorldInput};
    use emberkeep_components::protocol::ServerEvent;
    use emberkeep_components::regions::RegionGrid;
    use emberkeep_components::world::{Connection, NetId, Position, ViewCell};
    use rand_core::{Rng, SeedableRng};

    use crate::scenario::{Scenario, despawned, events, open_map, spawned};

    /// 48 x 16 open map, regions of 4 tiles: 12 x 4 regions; everyone spawns at (1, 1). Views
    /// follow their player at once (no hysteresis) unless `hysteresis` says otherwise.
    fn strip() -> Scenario {
        strip_with(0)
    }

    fn strip_with(hysteresis: i32) -> Scenario {
        let config = SimConfig {
            region_size: 4,
            steps_per_sec: 20,
            step_burst: 2,
            view_hysteresis_tiles: hysteresis,
            ..SimConfig::default()
        };
        Scenario::new(open_map(48, 16, Tile { x: 1, y: 1 }), config)
    }

    fn walk_to(s: &mut Scenario, conn: ConnId, x: i32) -> Vec<HashMap<ConnId, Vec<ServerEvent>>> {
        let mut ticks = Vec::new();
        while s.position(conn).x != x {
            let here = s.position(conn);
            s.step(conn, here.x + (x - here.x).signum(), here.y);
            ticks.push(s.tick());
        }
        ticks
    }

    #[test]
    fn players_in_view_see_each_other_spawn() {
        let mut s = strip();
        let (a, id_a) = s.join("Ann");
        let b = s.connect();
        let got = s.enter(b, "Bob");
        let welcome_b = events(&got, b);
        assert!(
            matches!(welcome_b[0], ServerEvent::Welcome { .. }),
            "welcome comes first: {welcome_b:?}"
        );
        assert_eq!(spawned(welcome_b), vec![id_a]);
        let id_b = match welcome_b[0] {
            ServerEvent::Welcome { id, .. } => id,
            _ => unreachable!(),
        };
        assert_eq!(spawned(events(&got, a)), vec![id_b]);
    }

    /// A view follows its player only once it is more than the hysteresis past the border:
    /// pacing along a border swaps no regions in and out, and whoever stays in view is not
    /// despawned and spawned again. Others still see the player by the region it stands in.
    #[test]
    fn a_view_follows_its_player_only_past_the_hysteresis() {
        let mut s = strip_with(2);
        let (a, id_a) = s.join("Ann");
        let (b, id_b) = s.join("Bob");
        let (c, id_c) = s.join("Cyd");
        let cy = s.entity(c);
        s.world.get_mut::<Position>(cy).unwrap().0 = Tile { x: 9, y: 1 };
        s.tick();
        // Bob (column 0: sees columns 0 and 1) paces over the border into column 1 and
        // back, never more than 2 tiles past it: Cyd (column 2) never comes into his view.
        let mut churn = Vec::new();
        for x in [4, 5, 4, 3, 4, 5, 4, 3] {
            for got in walk_to(&mut s, b, x) {
                churn.extend(spawned(events(&got, b)));
                churn.extend(despawned(events(&got, b)));
            }
        }
        assert!(churn.is_empty(), "nothing swapped in or out: {churn:?}");
        // 3 tiles past (x = 6) his view moves to column 1 and takes in column 2: Cyd.
        let ticks = walk_to(&mut s, b, 6);
        assert_eq!(spawned(events(ticks.last().unwrap(), b)), vec![id_c]);
        // Into column 2 and 3 tiles past column 1 (x = 10): column 0, Ann, leaves his view.
        // Ann lost him by the region he stands in, as soon as he stood in column 2 (x = 8).
        let ticks = walk_to(&mut s, b, 10);
        let lost: Vec<Vec<u64>> = ticks.iter().map(|t| despawned(events(t, b))).collect();
        assert_eq!(lost, [vec![], vec![], vec![], vec![id_a]]);
        let ann: Vec<Vec<u64>> = ticks.iter().map(|t| despawned(events(t, a))).collect();
        assert_eq!(ann, [vec![], vec![id_b], vec![], vec![]]);
    }

    #[test]
    fn leaving_and_reentering_view_sends_despawn_then_spawn_at_the_border() {
        let mut s = strip();
        let (a, id_a) = s.join("Ann");
        let (b, id_b) = s.join("Bob");
        // Ann's region is column 0; she sees columns 0 and 1 (x < 8).
        let ticks = walk_to(&mut s, b, 8);
        let last = ticks.last().unwrap();
        for earlier in &ticks[..ticks.len() - 1] {
            assert!(despawned(events(earlier, a)).is_empty());
        }
        assert_eq!(
            despawned(events(last, a)),
            vec![id_b],
            "Ann loses Bob at x = 8"
        );
        assert_eq!(
            despawned(events(last, b)),
            vec![id_a],
            "Bob loses Ann at x = 8"
        );
        // Out of view, Bob's steps reach Ann no more.
        s.step(b, 9, 1);
        let got = s.tick();
        assert!(events(&got, a).is_empty(), "{:?}", events(&got, a));
        // Coming back into column 1 brings them back into each other's view.
        let ticks = walk_to(&mut s, b, 7);
        let last = ticks.last().unwrap();
        assert_eq!(spawned(events(last, a)), vec![id_b]);
        assert_eq!(spawned(events(last, b)), vec![id_a]);
    }

    #[test]
    fn chat_reaches_those_in_view_only() {
        let mut s = strip();
        let (a, _) = s.join("Ann");
        let (b, _) = s.join("Bob");
        let (c, _) = s.join("Cid");
        walk_to(&mut s, c, 20);
        s.send(
            a,
            emberkeep_components::protocol::ClientMsg::Say { text: "hi".into() },
        );
        let got = s.tick();
        let said = |conn| {
            events(&got, conn)
                .iter()
                .any(|e| matches!(e, ServerEvent::Chat { text, .. } if text == "hi"))
        };
        assert!(said(a) && said(b), "{got:?}");
        assert!(!said(c), "far player heard: {:?}", events(&got, c));
    }

    #[test]
    fn a_disconnect_despawns_for_viewers_only() {
        let mut s = strip();
        let (a, _) = s.join("Ann");
        let (b, id_b) = s.join("Bob");
        let (c, _) = s.join("Cid");
        walk_to(&mut s, c, 20);
        s.push(WorldInput::Closed {
            conn: b,
            reason: "eof".into(),
        });
        let got = s.tick();
        assert_eq!(despawned(events(&got, a)), vec![id_b]);
        assert!(events(&got, c).is_empty());
    }

    /// Events about one entity keep their order (issue 13, defect 6): a line said just
    /// before its speaker leaves arrives before the speaker's despawn.
    #[test]
    fn a_last_word_arrives_before_the_speakers_despawn() {
        let mut s = strip();
        let (a, _) = s.join("Ann");
        let (b, id_b) = s.join("Bob");
        s.send(
            b,
            emberkeep_components::protocol::ClientMsg::Say { text: "bye".into() },
        );
        s.push(WorldInput::Closed {
            conn: b,
            reason: "eof".into(),
        });
        let got = s.tick();
        let seen = events(&got, a);
        let chat = seen
            .iter()
            .position(|e| matches!(e, ServerEvent::Chat { text, .. } if text == "bye"));
        let gone = seen
            .iter()
            .position(|e| matches!(e, ServerEvent::Despawn { id } if *id == id_b));
        assert!(
            matches!((chat, gone), (Some(c), Some(g)) if c < g),
            "chat at {chat:?}, despawn at {gone:?}: {seen:?}"
        );
    }

    /// Every client's known set (from spawns and despawns received) must equal the entities
    /// in its 3x3 view after every tick, however everyone wanders, joins and leaves.
    #[test]
    fn known_entities_always_match_the_view() {
        let config = SimConfig {
            region_size: 4,
            steps_per_sec: 20,
            step_burst: 2,
            // (Views lagging their players: the invariant holds against the views' centres.)
            view_hysteresis_tiles: 1,
            ..SimConfig::default()
        };
        let mut s = Scenario::new(open_map(40, 40, Tile { x: 20, y: 20 }), config);
        let mut rng = rand_pcg::Pcg64Mcg::seed_from_u64(42);
        let mut known: HashMap<ConnId, HashSet<u64>> = HashMap::new();
        let mut live: Vec<ConnId> = Vec::new();
        for t in 0..400 {
            if live.len() < 12 && rng.next_u32() % 4 == 0 {
                let c = s.connect();
                s.hello(c, &format!("P{t}"));
                live.push(c);
                known.insert(c, HashSet::new());
            }
            if live.len() > 4 && rng.next_u32() % 25 == 0 {
                let c = live.swap_remove((rng.next_u32() as usize) % live.len());
                s.push(WorldInput::Closed {
                    conn: c,
                    reason: "bye".into(),
                });
                known.remove(&c);
            }
            for &c in &live {
                let e = s
                    .world
                    .resource::<emberkeep_components::world::ConnIndex>()
                    .0
                    .get(&c)
                    .copied();
                if let Some(p) = e.and_then(|e| s.world.get::<Position>(e)) {
                    let (dx, dy) =
                        [(1, 0), (-1, 0), (0, 1), (0, -1)][(rng.next_u32() % 4) as usize];
                    s.step(c, p.0.x + dx, p.0.y + dy);
                }
            }
            let got = s.tick();
            for (c, ev) in &got {
                let Some(k) = known.get_mut(c) else { continue };
                for e in ev {
                    match e {
                        ServerEvent::Spawn { id, .. } => {
                            assert!(k.insert(*id), "tick {t}: double spawn of {id}")
                        }
                        ServerEvent::Despawn { id } => {
                            assert!(k.remove(id), "tick {t}: despawn of unknown {id}")
                        }
                        _ => {}
                    }
                }
            }
            let grid = s.world.resource::<RegionGrid>();
            let mut q = s
                .world
                .try_query::<(&Connection, &NetId, &Position, &ViewCell)>()
                .unwrap();
            let all: Vec<(ConnId, u64, Tile, u32)> = q
                .iter(&s.world)
                .map(|(c, id, p, v)| (c.id, id.0, p.0, v.0))
                .collect();
            for &(c, me, at, view) in &all {
                // (A player sees around its view's centre, which may lag its region.)
                assert!(grid.sees(view, grid.region_of(at)), "tick {t}: {c:?}");
                let truth: HashSet<u64> = all
                    .iter()
                    .filter(|(_, id, p, _)| *id != me && grid.sees(view, grid.region_of(*p)))
                    .map(|(_, id, _, _)| *id)
                    .collect();
                assert_eq!(known[&c], truth, "tick {t}: client {c:?} at {at:?}");
            }
        }
    }

    #[test]
    fn by_region_groups_items_in_region_order_keeping_each_region_s_order() {
        let mut by = super::ByRegion::default();
        for round in 0..2 {
            by.clear(6);
            for (r, item) in [(4, 'a'), (1, 'b'), (4, 'c'), (0, 'd'), (1, 'e'), (9, 'x')] {
                by.push(r, item); // region 9 is off the grid: left out
            }
            by.group();
            let got: Vec<_> = by.sorted().collect();
            assert_eq!(
                got,
                vec![(0, 'd'), (1, 'b'), (1, 'e'), (4, 'a'), (4, 'c')],
                "round {round}"
            );
            assert_eq!(by.in_region(1), &['b', 'e']);
            assert!(by.in_region(2).is_empty() && by.in_region(99).is_empty());
        }
    }

    #[derive(Resource, Default)]
    struct Snapshot(Vec<String>);

    fn snapshot(grid: Res<RegionGrid>, mut snap: ResMut<Snapshot>) {
        let regions = grid.events.region_count() as u32;
        snap.0 = (0..regions)
            .flat_map(|r| grid.events.runs(r, false))
            .filter(|run| !run.is_empty())
            .map(str::to_string)
            .collect();
    }

    #[test]
    fn a_move_is_encoded_once_into_its_region_for_all_viewers() {
        let mut s = strip();
        let mut probe = Schedule::new(crate::Phase::Broadcast);
        probe.add_systems(
            (
                super::track_regions,
                super::broadcast_moves,
                snapshot,
                crate::world::flush::build_frames,
            )
                .chain(),
        );
        s.world.add_schedule(probe);
        s.world.init_resource::<Snapshot>();
        let (a, id_a) = s.join("Ann");
        let (b, _) = s.join("Bob");
        let (c, _) = s.join("Cid");
        s.step(a, 2, 1);
        let got = s.tick();
        let move_a = format!(r#"{{"type":"move","id":{id_a},"x":2,"y":1}}"#);
        assert_eq!(
            s.world.resource::<Snapshot>().0,
            vec![move_a],
            "one region's run of moves, one encoding"
        );
        for conn in [a, b, c] {
            assert_eq!(
                events(&got, conn),
                &[ServerEvent::Move {
                    id: id_a,
                    x: 2,
                    y: 1
                }]
            );
        }
    }
}
