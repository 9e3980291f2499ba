//! The region grid: the map cut into square regions, who is in each, and each region's
//! broadcast buffer for this tick.
//!
//! A client sees its own region and the 8 around it ([`RegionGrid::view`]). An event about
//! something in region R is encoded once into R's buffer; every client viewing R receives
//! those bytes at flush.

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
    /// Encoded events about each region this tick, comma-separated.
    pub buffers: Vec<String>,
    /// Regions whose buffer is non-empty.
    pub dirty: Vec<RegionId>,
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
            buffers: vec![String::new(); n],
            dirty: Vec::new(),
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
        let buf = &mut self.buffers[r as usize];
        if buf.is_empty() {
            self.dirty.push(r);
        } else {
            buf.push(',');
        }
        write(buf);
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
    fn region_of_clamps_and_sees_neighbours() {
        let g = RegionGrid::new(64, 48, 16);
        assert_eq!(g.region_of(Tile { x: 17, y: 0 }), 1);
        assert_eq!(g.region_of(Tile { x: 999, y: 999 }), 11);
        assert!(g.sees(0, 5));
        assert!(!g.sees(0, 2));
    }
}
