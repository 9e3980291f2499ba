//! Headless test harness: a real World and schedule, fed inputs directly, with each client's
//! decoded frames returned per tick.

use std::collections::HashMap;

use bevy_ecs::prelude::*;
use emberkeep_components::config::SimConfig;
use emberkeep_components::map::{SpawnPoint, Tile, TileMap};
use emberkeep_components::net::{ConnId, InboundQueue, Outbox, WorldInput};
use emberkeep_components::protocol::{ClientMsg, CloseReason, PROTOCOL_VERSION, ServerEvent};
use emberkeep_components::world::{ConnIndex, Position};

use crate::{build_world, run_tick};

/// A headless world plus the bookkeeping of its fake connections.
pub struct Scenario {
    pub world: World,
    next_conn: u64,
    /// Closes emitted so far, by connection.
    pub closed: HashMap<ConnId, CloseReason>,
}

/// What each connection received in one tick.
pub type Received = HashMap<ConnId, Vec<ServerEvent>>;

/// An open `w`×`h` map named "test" with one player spawn at `spawn`.
pub fn open_map(w: i32, h: i32, spawn: Tile) -> TileMap {
    let mut map = TileMap::open("test", w, h);
    map.player_spawns.push(SpawnPoint {
        name: "start".into(),
        tile: spawn,
    });
    map
}

impl Scenario {
    pub fn new(map: TileMap, config: SimConfig) -> Self {
        Scenario {
            world: build_world(map, config, 7),
            next_conn: 1,
            closed: HashMap::new(),
        }
    }

    pub fn push(&mut self, input: WorldInput) {
        self.world.resource_mut::<InboundQueue>().0.push(input);
    }

    pub fn connect(&mut self) -> ConnId {
        let conn = ConnId(self.next_conn);
        self.next_conn += 1;
        self.push(WorldInput::Opened {
            conn,
            addr: "127.0.0.1:1".into(),
        });
        conn
    }

    pub fn send(&mut self, conn: ConnId, msg: ClientMsg) {
        self.push(WorldInput::Command { conn, msg });
    }

    pub fn hello(&mut self, conn: ConnId, name: &str) {
        self.send(
            conn,
            ClientMsg::Hello {
                version: PROTOCOL_VERSION,
                name: name.into(),
            },
        );
    }

    /// Connects, says hello and runs one tick; returns the connection and its entity id.
    pub fn join(&mut self, name: &str) -> (ConnId, u64) {
        let conn = self.connect();
        self.hello(conn, name);
        let got = self.tick();
        let id = got.get(&conn).into_iter().flatten().find_map(|e| match e {
            ServerEvent::Welcome { id, .. } => Some(*id),
            _ => None,
        });
        (
            conn,
            id.unwrap_or_else(|| panic!("{name} got no welcome: {got:?}")),
        )
    }

    pub fn step(&mut self, conn: ConnId, x: i32, y: i32) {
        self.send(conn, ClientMsg::Move { x, y, seq: None });
    }

    /// Runs one tick and decodes every frame it produced.
    pub fn tick(&mut self) -> Received {
        run_tick(&mut self.world);
        let mut outbox = self.world.resource_mut::<Outbox>();
        let frames = std::mem::take(&mut outbox.frames);
        let closes = std::mem::take(&mut outbox.closes);
        let mut got: Received = HashMap::new();
        for (conn, frame) in frames {
            let events: Vec<ServerEvent> = serde_json::from_str(&frame)
                .unwrap_or_else(|e| panic!("frame is not a JSON event array ({e}): {frame}"));
            got.entry(conn).or_default().extend(events);
        }
        self.closed.extend(closes);
        got
    }

    pub fn position(&self, conn: ConnId) -> Tile {
        let e = self.world.resource::<ConnIndex>().0[&conn];
        self.world.get::<Position>(e).expect("in world").0
    }
}

/// The events one connection received, or none.
pub fn events(got: &Received, conn: ConnId) -> &[ServerEvent] {
    got.get(&conn).map(Vec::as_slice).unwrap_or(&[])
}

/// Ids spawned in these events.
pub fn spawned(events: &[ServerEvent]) -> Vec<u64> {
    events
        .iter()
        .filter_map(|e| {
            if let ServerEvent::Spawn { id, .. } = e {
                Some(*id)
            } else {
                None
            }
        })
        .collect()
}

/// Ids despawned in these events.
pub fn despawned(events: &[ServerEvent]) -> Vec<u64> {
    events
        .iter()
        .filter_map(|e| {
            if let ServerEvent::Despawn { id } = e {
                Some(*id)
            } else {
                None
            }
        })
        .collect()
}
