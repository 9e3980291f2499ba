//! Broadcast phase, last step: build one frame per client — its personal events, the buffers
//! of the regions it sees, then the despawns of entities that left the world this tick — and
//! hand the frames to the runner through the [`Outbox`].
//! Every byte that leaves the server is produced here.
//!
//! Nothing is copied per client: the region events are handed over whole (and a set handed
//! back by the network is reused), a client's own events are copied once, and its frame only
//! says where it stands and whether it answers a command sent this tick; the network joins
//! each frame's text when it writes it, and decides which frames may wait (see
//! `server.view_every_ticks`).

use bevy_ecs::prelude::*;
use emberkeep_components::net::{Frame, Outbox, Sight};
use emberkeep_components::regions::{RegionEvents, RegionGrid};
use emberkeep_components::world::{Connection, Interest, Outgoing, Tick, ViewCell};

/// Builds this tick's frames and leaves the grid fresh (cleared) region events for the next tick.
pub fn build_frames(
    tick: Res<Tick>,
    mut grid: ResMut<RegionGrid>,
    mut outbox: ResMut<Outbox>,
    mut clients: Query<(
        &Connection,
        &mut Outgoing,
        Option<&ViewCell>,
        Option<&Interest>,
    )>,
) {
    let outbox = &mut *outbox;
    let regions = grid.events.region_count();
    let fresh = loop {
        match outbox.spare.pop() {
            Some(spare) if spare.region_count() == regions => break spare,
            Some(_) => continue, // from before the map changed
            None => break RegionEvents::new(regions),
        }
    };
    let events = std::mem::replace(&mut grid.events, fresh);
    let frames = &mut outbox.frames;
    frames.set_regions(tick.0, events, grid.layout());
    for (conn, mut out, cell, interest) in &mut clients {
        let region = cell.filter(|c| **c != ViewCell::NONE).map(|c| c.0);
        if out.is_empty() && region.is_none() {
            continue;
        }
        let own = frames.add_own_parts(out.as_str(), out.last_str());
        // (Only a client on the map gets a frame every tick, which is what lets a waiting
        // frame go out within the pacing: one off the map sends its view changes at once.)
        let own_may_wait = !out.is_urgent() && region.is_some();
        if !out.is_empty() {
            out.clear();
        }
        let answering = conn.last_command_tick == Some(tick.0);
        let sight = region.map(|r| match interest {
            Some(i) if i.crowd => Sight::crowd(r, frames.add_near(&i.near)),
            _ => Sight::all(r),
        });
        let frame = Frame::new(own, sight, answering);
        frames.push(
            conn.id,
            if own_may_wait {
                frame.own_may_wait()
            } else {
                frame
            },
        );
    }
}
