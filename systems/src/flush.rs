//! Broadcast phase, last step: build one frame per client — its personal events, then the
//! buffers of the regions it sees — and hand the frames to the runner through the [`Outbox`].
//! Every byte that leaves the server is produced here.
//!
//! Each region's events are copied once into the tick's [`Frames`]; a client's frame only
//! names the runs it is made of, and the network joins them when it writes the frame.

use bevy_ecs::prelude::*;
use emberkeep_components::net::{Frame, Outbox, Run};
use emberkeep_components::regions::RegionGrid;
use emberkeep_components::world::{Connection, Outgoing, RegionCell};

/// Builds this tick's frames (clients with nothing new get none) and clears the buffers.
pub fn build_frames(
    mut grid: ResMut<RegionGrid>,
    mut outbox: ResMut<Outbox>,
    mut clients: Query<(&Connection, &mut Outgoing, Option<&RegionCell>)>,
    mut region_runs: Local<Vec<Run>>,
) {
    let frames = &mut outbox.frames;
    region_runs.resize(grid.buffers.len(), Run::default());
    let region_bytes: usize = grid
        .dirty
        .iter()
        .map(|r| grid.buffers[*r as usize].len())
        .sum();
    frames.reserve(region_bytes + region_bytes / 4);
    for &r in &grid.dirty {
        region_runs[r as usize] = frames.add_run(&grid.buffers[r as usize]);
    }
    for (conn, mut out, cell) in &mut clients {
        let mut frame = Frame::default();
        if !out.is_empty() {
            frame.push(frames.add_run(out.as_str()));
            out.clear();
        }
        if let Some(cell) = cell.filter(|c| **c != RegionCell::NONE) {
            for &r in grid.view(cell.0).as_slice() {
                frame.push(region_runs[r as usize]);
            }
        }
        frames.push(conn.id, frame);
    }
    for &r in &grid.dirty {
        region_runs[r as usize] = Run::default();
    }
    grid.clear_buffers();
}
