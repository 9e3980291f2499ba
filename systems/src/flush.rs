//! Broadcast phase, last step: build one frame per client — its personal events, then the
//! buffers of the regions it sees — and hand the frames to the runner through the [`Outbox`].
//! Every byte that leaves the server is produced here.

use bevy_ecs::prelude::*;
use emberkeep_components::net::Outbox;
use emberkeep_components::regions::RegionGrid;
use emberkeep_components::world::{Connection, Outgoing, RegionCell};

/// Builds this tick's frames (clients with nothing new get none) and clears the buffers.
pub fn build_frames(
    mut grid: ResMut<RegionGrid>,
    mut outbox: ResMut<Outbox>,
    mut clients: Query<(&Connection, &mut Outgoing, Option<&RegionCell>)>,
) {
    for (conn, mut out, cell) in &mut clients {
        let view = cell
            .filter(|c| **c != RegionCell::NONE)
            .map(|c| grid.view(c.0));
        let regions = view.as_ref().map(|v| v.as_slice()).unwrap_or(&[]);
        let mut len = out.as_str().len();
        for &r in regions {
            len += grid.buffers[r as usize].len() + 1;
        }
        if len == 0 {
            continue;
        }
        let mut frame = String::with_capacity(len + 2);
        frame.push('[');
        frame.push_str(out.as_str());
        for &r in regions {
            let buf = &grid.buffers[r as usize];
            if !buf.is_empty() {
                if frame.len() > 1 {
                    frame.push(',');
                }
                frame.push_str(buf);
            }
        }
        if frame.len() == 1 {
            continue;
        }
        frame.push(']');
        out.clear();
        outbox.frames.push((conn.id, frame));
    }
    grid.clear_buffers();
}
