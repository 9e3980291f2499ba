//! JSON encoding of the server's events. Run with `cargo bench --bench encode`.
//!
//! - `batch/region`: a typical busy region's tick — moves, a spawn and a despawn, a fight
//!   (hits, a miss, hp updates, a death), a chat line — each event encoded once with
//!   `encode_event` and appended to the region's buffer, as the server does.
//! - `batch/vec`: the same events serialized as one `Vec` in a single call, for comparison.
//! - `welcome`: what a player gets on entering a busy spot: welcome, full stats, inventory,
//!   equipment and 40 spawns.

use std::collections::BTreeMap;

use criterion::{Criterion, Throughput, criterion_group, criterion_main};
use emberkeep_components::content::EquipSlot;
use emberkeep_components::protocol::{
    EntityKind, ItemView, MapInfo, ServerEvent, StatUpdate, VERSIONS, encode_event,
};
use emberkeep_components::regions::RegionGrid;

fn spawn(id: u64, kind: EntityKind, name: &str) -> ServerEvent {
    ServerEvent::Spawn {
        id,
        kind,
        name: name.into(),
        x: 1000 + id as i32 % 16,
        y: 1200 + id as i32 % 9,
        level: Some(3),
        hp: Some(60),
        max_hp: Some(60),
        item: None,
        template: None,
        dead: false,
        open: None,
        width: None,
        height: None,
        node: None,
        depleted: None,
        station: None,
        class: (kind == EntityKind::Player).then(|| "warrior".into()),
        gear: (kind == EntityKind::Player).then(|| emberkeep_components::protocol::Gear {
            weapon: Some("rusty_sword".into()),
            chest: Some("leather_vest".into()),
            ..Default::default()
        }),
    }
}

/// One busy region's tick: 12 moves, a spawn, a despawn, a fight and a chat line.
fn region_batch() -> Vec<ServerEvent> {
    let mut events: Vec<ServerEvent> = (0..12)
        .map(|i| ServerEvent::Move {
            id: 40_000 + i,
            x: 1024 + i as i32,
            y: 2000 - i as i32,
        })
        .collect();
    events.push(spawn(41_007, EntityKind::Mob, "Grey Wolf"));
    events.push(ServerEvent::Despawn { id: 39_999 });
    events.push(ServerEvent::Hit {
        attacker: 1_234,
        target: 41_007,
        damage: 12,
        crit: false,
        hp: 48,
        ability: None,
    });
    events.push(ServerEvent::StatUpdate(StatUpdate {
        id: 41_007,
        hp: Some(48),
        ..StatUpdate::default()
    }));
    events.push(ServerEvent::Miss {
        attacker: 41_007,
        target: 1_234,
    });
    events.push(ServerEvent::Hit {
        attacker: 1_234,
        target: 41_002,
        damage: 21,
        crit: true,
        hp: 0,
        ability: None,
    });
    events.push(ServerEvent::Death {
        id: 41_002,
        killer: Some(1_234),
    });
    events.push(ServerEvent::Chat {
        id: 1_234,
        name: "bot1234".into(),
        text: "anyone seen the wolves?".into(),
        channel: None,
        to: None,
    });
    events
}

fn item(id: u64, item: &str, name: &str, count: u32) -> ItemView {
    ItemView {
        id,
        item: item.into(),
        name: name.into(),
        count,
    }
}

/// A newcomer's first frame.
fn welcome_batch() -> Vec<ServerEvent> {
    let mut events = vec![
        ServerEvent::Welcome {
            version: 1,
            id: 1_234,
            name: "bot1234".into(),
            class: "warrior".into(),
            x: 1024,
            y: 1024,
            map: MapInfo {
                name: "load".into(),
                display_name: "Load Test".into(),
                width: 2048,
                height: 2048,
                origin: emberkeep_components::protocol::Origin { x: 0, y: 0 },
            },
            tick_rate: 20,
            region_size: 16,
            versions: VERSIONS,
        },
        ServerEvent::StatUpdate(StatUpdate {
            id: 1_234,
            level: Some(1),
            hp: Some(85),
            max_hp: Some(85),
            mp: Some(22),
            max_mp: Some(22),
            xp: Some(0),
            xp_next: Some(100),
            str: Some(12),
            dex: Some(6),
            int: Some(3),
            vit: Some(9),
            attack: Some(13),
            defense: Some(4),
            crit_pct: Some(6),
        }),
        ServerEvent::Inventory {
            slots: 30,
            items: vec![
                item(11, "minor_potion", "Minor Healing Potion", 3),
                item(12, "bread", "Bread", 2),
            ],
        },
        ServerEvent::Equipment {
            slots: BTreeMap::from([(EquipSlot::Weapon, item(10, "rusty_sword", "Rusty Sword", 1))]),
        },
    ];
    for i in 0..40 {
        let (kind, name) = if i % 4 == 0 {
            (EntityKind::Player, "bot77")
        } else {
            (EntityKind::Mob, "Field Rat")
        };
        events.push(spawn(50_000 + i, kind, name));
    }
    events
}

/// Encodes each event once into a region buffer, as the Broadcast phase does.
fn encode_into_region(grid: &mut RegionGrid, events: &[ServerEvent]) -> usize {
    for e in events {
        grid.broadcast(0, &encode_event(e));
    }
    let len = grid.events.buffers[0].len();
    // Emptied as the server does once the network hands the buffers back.
    grid.events.clear();
    len
}

fn bench_encode(c: &mut Criterion) {
    let mut group = c.benchmark_group("encode");
    group.sample_size(50);
    let mut grid = RegionGrid::new(16, 16, 16);

    let batch = region_batch();
    let bytes = encode_into_region(&mut grid, &batch);
    println!(
        "region batch: {} events, {bytes} bytes; welcome frame: {} events, {} bytes",
        batch.len(),
        welcome_batch().len(),
        serde_json::to_string(&welcome_batch())
            .unwrap_or_default()
            .len()
    );
    group.throughput(Throughput::Elements(batch.len() as u64));
    group.bench_function("batch/region", |b| {
        b.iter(|| encode_into_region(&mut grid, std::hint::black_box(&batch)))
    });
    group.bench_function("batch/vec", |b| {
        b.iter(|| serde_json::to_string(std::hint::black_box(&batch)).unwrap_or_default())
    });

    let welcome = welcome_batch();
    group.throughput(Throughput::Elements(welcome.len() as u64));
    group.bench_function("welcome", |b| {
        b.iter(|| encode_into_region(&mut grid, std::hint::black_box(&welcome)))
    });
    group.finish();
}

criterion_group!(benches, bench_encode);
criterion_main!(benches);
