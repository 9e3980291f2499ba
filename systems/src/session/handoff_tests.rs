//! Scenarios for a process of a cluster (issue 20): what a warp to a map another process
//! hosts does to the world, the save batch and the connection; leases; news from the bus.
//! Fixture: an open 16 x 16 `field` (spawn (3, 3), stairs at (5, 3) down to the crypt's
//! (1, 1)) and an 8 x 6 `crypt`; this process hosts the field only, `b` hosts the crypt.

use emberkeep_components::cluster::{Cluster, ClusterNews, ClusterOut, ClusterSend, Peer};
use emberkeep_components::config::SimConfig;
use emberkeep_components::map::{Tile, Warp};
use emberkeep_components::net::WorldInput;
use emberkeep_components::persist::{
    AccountCharacter, LeaseChange, StorageOut, StorageReply, StorageRequest,
};
use emberkeep_components::protocol::{ErrorCode, ServerEvent};
use emberkeep_components::world::Player;

use crate::scenario::{Scenario, error_codes, events, open_map};

fn fixture(peer_b: bool) -> Scenario {
    let mut field = open_map(16, 16, Tile { x: 3, y: 3 });
    field.name = "field".into();
    field.warps.push(Warp {
        name: "stairs".into(),
        min: Tile { x: 5, y: 3 },
        max: Tile { x: 5, y: 3 },
        to_map: "crypt".into(),
        to: Tile { x: 1, y: 1 },
    });
    let mut crypt = open_map(8, 6, Tile { x: 1, y: 1 });
    crypt.name = "crypt".into();
    let mut s = Scenario::with_maps(
        vec![field, crypt],
        SimConfig {
            region_size: 4,
            ..SimConfig::default()
        },
    );
    let mut cluster = Cluster {
        enabled: true,
        connected: true,
        me: "a".into(),
        hosted: ["field".to_string()].into(),
        ..Cluster::default()
    };
    if peer_b {
        cluster.peers.insert("b".into(), peer("b", &["crypt"]));
    }
    s.world.insert_resource(cluster);
    s
}

fn peer(name: &str, maps: &[&str]) -> Peer {
    Peer {
        name: name.into(),
        ws_url: format!("ws://{name}.example:9001"),
        maps: maps.iter().map(|m| m.to_string()).collect(),
        players: 0,
        capacity: 100,
        draining: false,
    }
}

/// An account character `name` of account `name` (lower case), in the world.
fn account(s: &mut Scenario, name: &str) -> emberkeep_components::net::ConnId {
    let (c, _) = crate::session::tests::account_player(s, name);
    let e = s.entity(c);
    s.world
        .entity_mut(e)
        .get_mut::<emberkeep_components::persist::Auth>()
        .unwrap()
        .account = Some(name.to_lowercase());
    c
}

/// The save batches sent so far, taken.
fn batches(s: &mut Scenario) -> Vec<emberkeep_components::persist::SaveBatch> {
    std::mem::take(&mut s.world.resource_mut::<StorageOut>().0)
        .into_iter()
        .filter_map(|r| match r {
            StorageRequest::Save(b) => Some(b),
            _ => None,
        })
        .collect()
}

#[test]
fn a_warp_to_a_map_another_process_hosts_saves_the_character_there_with_the_lease_move() {
    let mut s = fixture(true);
    let a = account(&mut s, "Ann");
    let ann = s.entity(a);
    batches(&mut s);
    s.step(a, 4, 3);
    s.step(a, 5, 3); // the stairs
    s.tick();
    assert!(
        s.world.get_entity(ann).is_err() || s.world.get::<Player>(ann).is_none(),
        "Ann left this world"
    );
    let saved = batches(&mut s);
    let batch = saved
        .iter()
        .find(|b| !b.leases.is_empty())
        .expect("a batch");
    let record = batch.characters.iter().find(|c| c.name == "Ann").unwrap();
    assert_eq!(
        (record.map.as_deref(), record.x, record.y),
        (Some("crypt"), 1, 1),
        "saved where the stairs lead"
    );
    let [LeaseChange::Handoff(h)] = &batch.leases[..] else {
        panic!("{:?}", batch.leases)
    };
    assert_eq!((h.account.as_str(), h.to.as_str()), ("ann", "b"));
    assert_eq!(h.ws_url, "ws://b.example:9001");
    // The connection waits, refusing everything, until the batch is written.
    s.send(
        a,
        emberkeep_components::protocol::ClientMsg::Say { text: "hi".into() },
    );
    let got = s.tick();
    assert_eq!(error_codes(events(&got, a)), vec![ErrorCode::NotInWorld]);
    s.push(WorldInput::Storage(StorageReply::HandedOff {
        conn: a,
        ws_url: h.ws_url.clone(),
        token: "t0k3n".into(),
        map: "crypt".into(),
    }));
    let got = s.tick();
    assert!(events(&got, a).contains(&ServerEvent::Handoff {
        url: "ws://b.example:9001".into(),
        token: "t0k3n".into(),
        map: "crypt".into(),
    }));
    assert_eq!(s.closed[&a].code, 1000);
    // Its lease went with it: closing the connection releases nothing.
    let later = batches(&mut s);
    assert!(
        later.iter().all(|b| b.leases.is_empty()),
        "{:?}",
        later.iter().map(|b| &b.leases).collect::<Vec<_>>()
    );
}

#[test]
fn without_a_host_for_the_map_the_player_stays_and_is_told_why() {
    let mut s = fixture(false);
    let a = account(&mut s, "Ann");
    s.step(a, 4, 3);
    s.tick();
    s.send(
        a,
        emberkeep_components::protocol::ClientMsg::Move {
            x: 5,
            y: 3,
            seq: None,
        },
    );
    let got = s.tick();
    assert_eq!(
        error_codes(events(&got, a)),
        vec![ErrorCode::MapUnavailable]
    );
    assert_eq!(
        s.position(a),
        Tile { x: 5, y: 3 },
        "on the stairs, still here"
    );
    assert!(batches(&mut s).iter().all(|b| b.leases.is_empty()));
}

#[test]
fn guests_are_never_handed_over() {
    let mut s = fixture(true);
    let (g, _) = s.join("Gus");
    s.step(g, 4, 3);
    s.tick();
    s.send(
        g,
        emberkeep_components::protocol::ClientMsg::Move {
            x: 5,
            y: 3,
            seq: None,
        },
    );
    let got = s.tick();
    assert_eq!(
        error_codes(events(&got, g)),
        vec![ErrorCode::MapUnavailable]
    );
    assert!(s.world.get::<Player>(s.entity(g)).is_some());
}

#[test]
fn the_lease_is_released_when_the_account_leaves_this_process() {
    let mut s = fixture(true);
    let a = account(&mut s, "Ann");
    batches(&mut s);
    s.send(a, emberkeep_components::protocol::ClientMsg::Logout);
    s.tick();
    let leases: Vec<LeaseChange> = batches(&mut s).into_iter().flat_map(|b| b.leases).collect();
    assert_eq!(
        leases,
        vec![LeaseChange::Release {
            account: "ann".into(),
            process: "a".into()
        }]
    );
    // Alone (no cluster), nothing of the kind is written.
    let mut alone = fixture(true);
    alone.world.insert_resource(Cluster::default());
    let b = account(&mut alone, "Bob");
    batches(&mut alone);
    alone.send(b, emberkeep_components::protocol::ClientMsg::Logout);
    alone.tick();
    assert!(batches(&mut alone).iter().all(|b| b.leases.is_empty()));
}

#[test]
fn news_of_the_cluster_keeps_who_is_online_elsewhere() {
    let mut s = fixture(true);
    let a = account(&mut s, "Ann");
    s.world.entity_mut(s.entity(a)).insert(AccountCharacter {
        account: "ann".into(),
    });
    s.push(WorldInput::Cluster(ClusterNews::Roster {
        process: "b".into(),
        players: vec![emberkeep_components::cluster::RosterEntry {
            name: "Bob".into(),
            guild: None,
        }],
    }));
    s.tick();
    let who = crate::scenario::infos(&s.command(a, "who"));
    assert!(who.contains("Bob [b]"), "{who}");
    // b is gone: so is Bob.
    s.push(WorldInput::Cluster(ClusterNews::PeerGone {
        name: "b".into(),
    }));
    s.tick();
    let who = crate::scenario::infos(&s.command(a, "who"));
    assert!(!who.contains("Bob"), "{who}");
    assert!(s.world.resource::<Cluster>().peers.is_empty());
    // A whisper to a player on another process goes out as a request, not an error.
    s.push(WorldInput::Cluster(ClusterNews::Presence {
        process: "c".into(),
        name: "Cid".into(),
        online: true,
        guild: None,
    }));
    s.tick();
    std::mem::take(&mut s.world.resource_mut::<ClusterOut>().0);
    s.send(
        a,
        emberkeep_components::protocol::ClientMsg::Whisper {
            to: "cid".into(),
            text: "hello".into(),
        },
    );
    let got = s.tick();
    assert!(error_codes(events(&got, a)).is_empty());
    let out = std::mem::take(&mut s.world.resource_mut::<ClusterOut>().0);
    assert!(
        out.iter().any(|m| matches!(m, ClusterSend::Whisper { process, to, .. } if process == "c" && to == "cid")),
        "{out:?}"
    );
    // With the link down it is refused at once.
    s.push(WorldInput::Cluster(ClusterNews::Link { connected: false }));
    s.send(
        a,
        emberkeep_components::protocol::ClientMsg::Whisper {
            to: "cid".into(),
            text: "again".into(),
        },
    );
    let got = s.tick();
    assert_eq!(
        error_codes(events(&got, a)),
        vec![ErrorCode::ClusterUnavailable]
    );
}
