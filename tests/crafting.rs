//! Skills, gathering and crafting with a real client: a new character starts with a pick,
//! mines the rock next to it until the rock is depleted, smelts a bar at the furnace next to
//! it, sees its skill experience, and finds its skills and the bar again after a restart.

mod common;

use common::*;
use emberkeep_components::protocol::{ClientMsg, EntityKind, ServerEvent};
use emberkeep_components::skills::SkillView;
use serde_json::json;

const CLASSES: &str = r#"
[warrior]
name = "Warrior"
base = { str = 10, dex = 0, int = 0, vit = 10 }
growth = { str = 2, dex = 0, int = 0, vit = 1 }
starting_items = [{ item = "pick", count = 1 }]
"#;
const ITEMS: &str = r#"
[dagger]
name = "Dagger"
kind = "weapon"
slot = "weapon"
modifiers = { attack = 4 }
[potion]
name = "Potion"
kind = "consumable"
heal = 20
max_stack = 5
[pick]
name = "Pick"
kind = "weapon"
slot = "weapon"
[ore]
name = "Ore"
kind = "material"
max_stack = 10
[bar]
name = "Bar"
kind = "material"
max_stack = 10
"#;
const SKILLS: &str = r#"
[mining]
name = "Mining"
max_level = 5
xp_base = 100
xp_growth_pct = 50
[smithing]
name = "Smithing"
max_level = 5
xp_base = 100
xp_growth_pct = 50
"#;
const NODES: &str = r#"
[rock]
name = "Rock"
skill = "mining"
tool = "pick"
ticks = 4
xp = 10
yields = [{ item = "ore", min = 1, max = 1, chance = 1.0 }]
gathers = 2
respawn_ticks = 2000
"#;
const RECIPES: &str = r#"
[bar]
name = "Bar"
station = "furnace"
skill = "smithing"
xp = 20
ticks = 4
inputs = [{ item = "ore", count = 2 }]
outputs = [{ item = "bar", count = 1 }]
"#;

fn skill(id: &str, name: &str, xp: u64) -> SkillView {
    SkillView {
        id: id.into(),
        name: name.into(),
        level: 1,
        xp,
        xp_next: 100,
    }
}

async fn skills(c: &mut Client) -> Vec<SkillView> {
    match c
        .saw_or_wait("skills", |e| matches!(e, ServerEvent::Skills { .. }))
        .await
    {
        ServerEvent::Skills { skills } => skills,
        _ => unreachable!(),
    }
}

#[tokio::test]
async fn a_player_mines_smelts_and_keeps_the_skills_across_a_restart() {
    let files = [
        ("classes.toml", CLASSES),
        ("items.toml", ITEMS),
        ("skills.toml", SKILLS),
        ("nodes.toml", NODES),
        ("recipes.toml", RECIPES),
    ];
    let map = with_objects(
        &test_map(&[]),
        json!([
            tile_object(20, "", "node", (2, 1), &[("node", json!("rock"))]),
            tile_object(
                21,
                "Furnace",
                "station",
                (1, 2),
                &[("station", json!("furnace"))]
            ),
        ]),
    );
    let server = start_with_content(&[], &[], &files, move |c| {
        std::fs::write(c.server.assets.join("maps/test.tmj"), &map).unwrap();
    })
    .await;
    let mut c = greeted(server.addr).await;
    let token = c.auth(register("mira", "password123")).await.unwrap();
    c.create_and_play("Mira").await;
    assert_eq!(
        skills(&mut c).await,
        vec![
            skill("mining", "Mining", 0),
            skill("smithing", "Smithing", 0)
        ]
    );
    let rock = c
        .saw_or_wait("the rock", |e| {
            matches!(
                e,
                ServerEvent::Spawn {
                    kind: EntityKind::Node,
                    ..
                }
            )
        })
        .await;
    let ServerEvent::Spawn {
        id: rock,
        node,
        depleted,
        ..
    } = rock
    else {
        unreachable!()
    };
    assert_eq!((node.as_deref(), depleted), (Some("rock"), Some(false)));

    c.send(&ClientMsg::Gather { node: rock }).await;
    c.wait_for("a gathered ore", |e| {
        matches!(e, ServerEvent::GatherEnd { done: true, .. })
    })
    .await;
    c.wait_for("the rock depleted", |e| {
        *e == ServerEvent::Node {
            id: rock,
            depleted: true,
        }
    })
    .await;
    c.saw_or_wait(
        "mining xp",
        |e| matches!(e, ServerEvent::Skill { id, xp: 20, .. } if id == "mining"),
    )
    .await;
    c.saw_or_wait("two ore", |e| {
        matches!(e, ServerEvent::Inventory { items, .. }
            if items.iter().any(|i| i.item == "ore" && i.count == 2))
    })
    .await;

    c.send(&ClientMsg::Command {
        line: "craft bar".into(),
    })
    .await;
    c.wait_for("the bar made", |e| {
        matches!(
            e,
            ServerEvent::CraftEnd {
                done: true,
                left: 0,
                ..
            }
        )
    })
    .await;
    c.saw_or_wait("smithing xp", |e| {
        *e == ServerEvent::Skill {
            id: "smithing".into(),
            level: 1,
            xp: 20,
            xp_next: 100,
            gained: 20,
        }
    })
    .await;
    let bag = c
        .wait_for("the bar in the bag", |e| {
            matches!(e, ServerEvent::Inventory { items, .. }
                if items.iter().any(|i| i.item == "bar") && !items.iter().any(|i| i.item == "ore"))
        })
        .await;

    let server = server.restart().await;
    let mut again = resumed(server.addr, token).await;
    again.play("Mira").await;
    assert_eq!(
        skills(&mut again).await,
        vec![
            skill("mining", "Mining", 20),
            skill("smithing", "Smithing", 20)
        ]
    );
    let after = again
        .saw_or_wait("inventory", |e| matches!(e, ServerEvent::Inventory { .. }))
        .await;
    assert_eq!(after, bag, "the bar, same id, and no ore");
    // Node state is not saved: a restart refills the rock.
    again
        .saw_or_wait("the rock, full", |e| {
            matches!(
                e,
                ServerEvent::Spawn {
                    kind: EntityKind::Node,
                    depleted: Some(false),
                    ..
                }
            )
        })
        .await;
    server.shutdown().await;
}
