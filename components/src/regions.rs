//! The region grid: the map cut into square regions, who is in each, and what each region's
//! viewers learn this tick.
//!
//! A client sees its own region and the 8 around it ([`RegionGrid::view`]). An event about
//! something in region R is encoded once into R's buffer (or, for moves, into R's run of
//! [`RegionEvents::moves`]); every client viewing R receives those bytes at flush.
//!
//! In a crowd (a view holding more entities than `world.crowd_near_entities`) a client gets
//! the moves of only its nearest entities each tick, and every `world.crowd_far_every_secs`
//! each region's [`RegionEvents::positions`]: where the entities that moved since the last
//! ones stand now (see `systems/src/world/interest.rs`).

use bevy_ecs::prelude::{Entity, Resource};

use crate::map::Tile;

/// Index of a region in the grid, row-major.
pub type RegionId = u32;

/// Up to 9 regions: one region and its neighbours on the map.
#[derive(Debug, Clone, Copy)]
pub struct View {
    ids: [RegionId; 9],
    len: usize,
}

impl View {
    /// The regions in this view.
    pub fn as_slice(&self) -> &[RegionId] {
        &self.ids[..self.len]
    }
}

impl IntoIterator for View {
    type Item = RegionId;
    type IntoIter = std::iter::Take<std::array::IntoIter<RegionId, 9>>;

    fn into_iter(self) -> Self::IntoIter {
        self.ids.into_iter().take(self.len)
    }
}

/// Columns and rows of a region grid: enough to say which regions a client sees.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct RegionLayout {
    pub cols: i32,
    pub rows: i32,
}

impl RegionLayout {
    /// The region and its neighbours that exist on the map.
    pub fn view(self, r: RegionId) -> View {
        let (cx, cy) = (r as i32 % self.cols.max(1), r as i32 / self.cols.max(1));
        let mut ids = [0; 9];
        let mut len = 0;
        for y in (cy - 1).max(0)..=(cy + 1).min(self.rows - 1) {
            for x in (cx - 1).max(0)..=(cx + 1).min(self.cols - 1) {
                ids[len] = (y * self.cols + x) as RegionId;
                len += 1;
            }
        }
        View { ids, len }
    }
}

/// Membership and per-tick broadcast buffers of every region.
#[derive(Resource, Debug)]
pub struct RegionGrid {
    /// Side of a region in tiles.
    pub size: i32,
    pub cols: i32,
    pub rows: i32,
    /// Every placed entity, by region.
    pub members: Vec<Vec<Entity>>,
    /// Placed players (connected, or lingering after a disconnect), by region.
    pub players: Vec<Vec<Entity>>,
    /// This tick's encoded events, by region.
    pub events: RegionEvents,
    /// The last tick a client in a crowd saw each region (its moves are then remembered in
    /// `movers` for its next `positions`).
    pub watched: Vec<u64>,
    /// Entities that moved in each watched region since its last `positions` (an entity may
    /// be listed more than once, or in a region it has since left).
    pub movers: Vec<Vec<Entity>>,
    /// Until which tick some region may be watched (0: none ever was): before it, nothing of
    /// the crowds' work is done.
    pub crowds_until: u64,
}

impl RegionGrid {
    /// A grid covering a `width` × `height` tile map with regions of `size` tiles.
    pub fn new(width: i32, height: i32, size: i32) -> Self {
        let size = size.max(1);
        let cols = ((width.max(1) + size - 1) / size).max(1);
        let rows = ((height.max(1) + size - 1) / size).max(1);
        let n = (cols * rows) as usize;
        RegionGrid {
            size,
            cols,
            rows,
            members: vec![Vec::new(); n],
            players: vec![Vec::new(); n],
            events: RegionEvents::new(n),
            watched: vec![u64::MAX; n],
            movers: vec![Vec::new(); n],
            crowds_until: 0,
        }
    }

    /// The region containing a tile (tiles off the map clamp to the nearest region).
    pub fn region_of(&self, t: Tile) -> RegionId {
        let cx = (t.x.max(0) / self.size).min(self.cols - 1);
        let cy = (t.y.max(0) / self.size).min(self.rows - 1);
        (cy * self.cols + cx) as RegionId
    }

    /// Column and row of a region.
    pub fn coords(&self, r: RegionId) -> (i32, i32) {
        (r as i32 % self.cols, r as i32 / self.cols)
    }

    /// The region and its neighbours that exist on the map.
    pub fn view(&self, r: RegionId) -> View {
        self.layout().view(r)
    }

    /// The grid's shape, without its contents.
    pub fn layout(&self) -> RegionLayout {
        RegionLayout {
            cols: self.cols,
            rows: self.rows,
        }
    }

    /// The regions overlapping the square of tiles within `radius` (Chebyshev) of `center`,
    /// clipped to the map.
    pub fn regions_near(&self, center: Tile, radius: i32) -> impl Iterator<Item = RegionId> {
        let cell = |v: i32, n: i32| (v.max(0) / self.size).min(n - 1);
        let (x0, x1) = (
            cell(center.x - radius, self.cols),
            cell(center.x + radius, self.cols),
        );
        let (y0, y1) = (
            cell(center.y - radius, self.rows),
            cell(center.y + radius, self.rows),
        );
        let cols = self.cols;
        (y0..=y1).flat_map(move |y| (x0..=x1).map(move |x| (y * cols + x) as RegionId))
    }

    /// Whether a client in region `viewer` sees region `r`.
    pub fn sees(&self, viewer: RegionId, r: RegionId) -> bool {
        let (ax, ay) = self.coords(viewer);
        let (bx, by) = self.coords(r);
        (ax - bx).abs() <= 1 && (ay - by).abs() <= 1
    }

    /// Queues an encoded event for everyone who sees region `r`.
    pub fn broadcast(&mut self, r: RegionId, event_json: &str) {
        self.broadcast_with(r, |buf| buf.push_str(event_json));
    }

    /// Queues the event that `write` appends to region `r`'s buffer (one JSON value).
    pub fn broadcast_with(&mut self, r: RegionId, write: impl FnOnce(&mut String)) {
        let events = &mut self.events;
        let buf = &mut events.buffers[r as usize];
        if buf.is_empty() {
            events.dirty.push(r);
        } else {
            buf.push(',');
        }
        write(buf);
    }
}

/// What the viewers of each region learn in one tick: the events in the region's own buffer,
/// then its run of moves. Built by the world, handed whole to the network with the tick's
/// frames, and handed back cleared for reuse.
#[derive(Debug, Default)]
pub struct RegionEvents {
    /// Encoded events about each region, comma-separated.
    pub buffers: Vec<String>,
    /// Regions whose buffer is non-empty.
    pub dirty: Vec<RegionId>,
    /// The tick's moves, region by region in one buffer.
    pub moves: RegionRuns,
    /// The tick's `positions` events (for clients in a crowd), region by region.
    pub positions: RegionRuns,
}

impl RegionEvents {
    /// Empty events for a grid of `regions` regions.
    pub fn new(regions: usize) -> Self {
        RegionEvents {
            buffers: vec![String::new(); regions],
            dirty: Vec::new(),
            moves: RegionRuns::default(),
            positions: RegionRuns::default(),
        }
    }

    /// How many regions these events are for.
    pub fn region_count(&self) -> usize {
        self.buffers.len()
    }

    /// What region `r`'s viewers learn: its buffer, then its moves (either may be empty);
    /// for a viewer in a crowd (`crowd`), its buffer, then its `positions` if it has them
    /// this tick (the viewer's nearest moves come apart).
    #[inline]
    pub fn runs(&self, r: RegionId, crowd: bool) -> [&str; 2] {
        let buffer = self.buffers.get(r as usize).map_or("", String::as_str);
        let moves = if crowd { &self.positions } else { &self.moves };
        [buffer, moves.run(r)]
    }

    /// Forgets every event, keeping the allocations.
    pub fn clear(&mut self) {
        for r in self.dirty.drain(..) {
            if let Some(buf) = self.buffers.get_mut(r as usize) {
                buf.clear();
            }
        }
        self.moves.clear();
        self.positions.clear();
    }
}

/// Events about many regions in one buffer, written region by region in ascending order.
/// Where most regions get an event each (a tick's moves), this is one sequential pass;
/// writing each region's own buffer instead misses the cache once per region.
#[derive(Debug, Default)]
pub struct RegionRuns {
    text: String,
    /// Where region r's run ends in `text` (it starts where region r − 1's ends); regions past
    /// the end of this list have no run.
    ends: Vec<u32>,
}

impl RegionRuns {
    /// Appends the event that `write` writes (one JSON value) to region `r`'s run. Regions
    /// must come in ascending order: an event for a region before the last one written is
    /// refused (false, nothing written).
    pub fn push_with(&mut self, r: RegionId, write: impl FnOnce(&mut String)) -> bool {
        let r = r as usize;
        match (r + 1).cmp(&self.ends.len()) {
            std::cmp::Ordering::Less => return false,
            std::cmp::Ordering::Equal => self.text.push(','),
            std::cmp::Ordering::Greater => {
                // The regions in between have empty runs.
                let at = self.end();
                self.ends.resize(r, at);
                self.ends.push(at);
            }
        }
        write(&mut self.text);
        self.ends[r] = self.end();
        true
    }

    /// Region `r`'s events, comma-separated ("" if none).
    #[inline]
    pub fn run(&self, r: RegionId) -> &str {
        let r = r as usize;
        let Some(&end) = self.ends.get(r) else {
            return "";
        };
        let start = match r {
            0 => 0,
            _ => self.ends[r - 1],
        };
        &self.text[start as usize..end as usize]
    }

    /// Forgets every run, keeping the allocations.
    pub fn clear(&mut self) {
        self.text.clear();
        self.ends.clear();
    }

    fn end(&self) -> u32 {
        u32::try_from(self.text.len()).expect("a tick's moves stay under 4 GiB")
    }
}

/// Removes `e` from a membership list (order is not kept).
pub fn remove_member(list: &mut Vec<Entity>, e: Entity) {
    if let Some(i) = list.iter().position(|x| *x == e) {
        list.swap_remove(i);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn view_is_clipped_at_map_edges() {
        let g = RegionGrid::new(64, 48, 16); // 4 x 3 regions
        assert_eq!(g.view(0).as_slice(), &[0, 1, 4, 5]);
        assert_eq!(g.view(5).as_slice().len(), 9);
        assert_eq!(g.view(11).as_slice(), &[6, 7, 10, 11]);
    }

    #[test]
    fn regions_near_a_tile_cover_the_square_around_it() {
        let g = RegionGrid::new(64, 48, 16); // 4 x 3 regions
        let near = |x, y, r| g.regions_near(Tile { x, y }, r).collect::<Vec<_>>();
        assert_eq!(near(20, 20, 3), vec![5], "well inside one region");
        assert_eq!(near(17, 30, 3), vec![4, 5, 8, 9], "at a corner: four");
        assert_eq!(near(1, 1, 5), vec![0], "clipped at the map's edge");
        assert_eq!(near(63, 47, 100), (0..12).collect::<Vec<_>>());
    }

    #[test]
    fn runs_keep_each_region_s_events_and_refuse_going_back() {
        let mut runs = RegionRuns::default();
        for round in 0..2 {
            assert!(runs.push_with(2, |b| b.push('a')));
            assert!(runs.push_with(2, |b| b.push('b')));
            assert!(runs.push_with(5, |b| b.push('c')));
            assert!(!runs.push_with(3, |b| b.push('x')), "round {round}");
            assert!(runs.push_with(6, |b| b.push('d')));
            let got: Vec<&str> = (0..9).map(|r| runs.run(r)).collect();
            assert_eq!(
                got,
                ["", "", "a,b", "", "", "c", "d", "", ""],
                "round {round}"
            );
            runs.clear();
            assert_eq!(runs.run(2), "");
        }
    }

    #[test]
    fn region_events_are_the_buffer_then_the_moves() {
        let mut g = RegionGrid::new(64, 48, 16); // 4 x 3 regions
        g.broadcast(5, "s");
        g.broadcast(5, "t");
        g.events.moves.push_with(5, |b| b.push('m'));
        g.events.moves.push_with(7, |b| b.push('n'));
        g.events.positions.push_with(5, |b| b.push('p'));
        g.broadcast(9, "u");
        let runs = |r| g.events.runs(r, false);
        // In a crowd: the buffer, then the positions instead of the moves.
        assert_eq!(g.events.runs(5, true), ["s,t", "p"]);
        assert_eq!(g.events.runs(7, true), ["", ""]);
        assert_eq!(runs(5), ["s,t", "m"]);
        assert_eq!(runs(7), ["", "n"]);
        assert_eq!(runs(9), ["u", ""]);
        assert_eq!(runs(0), ["", ""]);
        assert_eq!(runs(99), ["", ""]);
        g.events.clear();
        assert!((0..12).all(|r| g.events.runs(r, false) == ["", ""]));
        assert_eq!(g.events.runs(5, true), ["", ""]);
        assert!(g.events.dirty.is_empty());
    }

    #[test]
    fn region_of_clamps_and_sees_neighbours() {
        let g = RegionGrid::new(64, 48, 16);
        assert_eq!(g.region_of(Tile { x: 17, y: 0 }), 1);
        assert_eq!(g.region_of(Tile { x: 999, y: 999 }), 11);
        assert!(g.sees(0, 5));
        assert!(!g.sees(0, 2));
    }
}
