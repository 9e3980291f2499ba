//! Quests over real WebSocket with a real store: a staff account's character starts a quest,
//! kills its way to the next step, and after a server restart the quest log still has it there.

mod common;

use common::{Client, greeted, login, register, start_with_content};
use emberkeep::storage::{SqliteStore, Store};
use emberkeep_components::protocol::{
    ClientMsg, EntityKind, QuestLogState, QuestView, Role, ServerEvent,
};

const QUESTS: &str = r#"
[hunt]
name = "The Hunt"
steps = [
    { kill = "rat", count = 1, text = "Kill a rat" },
    { talk = "rat", text = "Tell the rats" },
]
rewards = { xp = 10 }
"#;

const ACHIEVEMENTS: &str = r#"
[first_blood]
name = "First Blood"
description = "Kill your first creature."
counter = "kills"
threshold = 1
"#;

/// Logs in as `user` on a new connection and enters the world as `name`.
async fn enter(addr: std::net::SocketAddr, user: &str, name: &str) -> Client {
    let mut c = greeted(addr).await;
    c.auth(login(user, "password123")).await.unwrap();
    c.play(name).await;
    c
}

fn update(e: &ServerEvent) -> Option<&QuestView> {
    match e {
        ServerEvent::QuestUpdate(v) => Some(v),
        _ => None,
    }
}

#[tokio::test]
async fn quest_progress_survives_a_restart() {
    let server = start_with_content(
        &[],
        &[("rat", 2, 1)],
        &[("quests.toml", QUESTS), ("achievements.toml", ACHIEVEMENTS)],
        |_| {},
    )
    .await;
    let mut first = greeted(server.addr).await;
    first
        .auth(register("questgm", "password123"))
        .await
        .unwrap();
    SqliteStore::open(&server.dir().join("emberkeep.db"))
        .unwrap()
        .set_role("questgm".into(), Role::Gm)
        .await
        .unwrap();
    let mut ann = greeted(server.addr).await;
    ann.auth(login("questgm", "password123")).await.unwrap();
    ann.send(&ClientMsg::CreateCharacter {
        name: "Ann".into(),
        class: None,
    })
    .await;
    ann.wait_for("characters", |e| {
        matches!(e, ServerEvent::Characters { .. })
    })
    .await;
    ann.play("Ann").await;

    ann.send(&ClientMsg::Command {
        line: "/quest start hunt".into(),
    })
    .await;
    let started = ann.wait_for("quest_update", |e| update(e).is_some()).await;
    let v = update(&started).unwrap();
    assert_eq!(
        (
            v.quest.as_str(),
            v.state,
            v.step,
            v.steps,
            v.count,
            v.needed
        ),
        ("hunt", QuestLogState::Active, 1, 2, 0, 1)
    );
    assert_eq!(v.text, "Kill a rat");

    let rat = match ann
        .saw_or_wait("the rat", |e| {
            matches!(
                e,
                ServerEvent::Spawn {
                    kind: EntityKind::Mob,
                    x: 2,
                    y: 1,
                    ..
                }
            )
        })
        .await
    {
        ServerEvent::Spawn { id, .. } => id,
        _ => unreachable!(),
    };
    ann.send(&ClientMsg::Attack { target: rat }).await;
    ann.wait_for("the next step", |e| {
        update(e).is_some_and(|v| v.step == 2 && v.count == 0)
    })
    .await;
    ann.saw_or_wait("first blood", |e| {
        matches!(e, ServerEvent::Achievement { id, by, .. } if id == "first_blood" && by == "Ann")
    })
    .await;

    let server = server.restart().await;
    let mut ann = enter(server.addr, "questgm", "Ann").await;
    ann.send(&ClientMsg::Quests).await;
    let log = ann
        .wait_for("quests", |e| matches!(e, ServerEvent::Quests { .. }))
        .await;
    let ServerEvent::Quests { quests } = log else {
        unreachable!()
    };
    assert_eq!(quests.len(), 1, "{quests:?}");
    let q = &quests[0];
    assert_eq!(
        (q.quest.as_str(), q.state, q.step, q.count, q.needed),
        ("hunt", QuestLogState::Active, 2, 0, 1)
    );
    assert_eq!(q.log, vec!["Kill a rat", "Tell the rats"]);
    // The achievement was kept too: a second one is not awarded.
    ann.send(&ClientMsg::Command {
        line: "/quest advance hunt".into(),
    })
    .await;
    let done = ann
        .wait_for("done", |e| {
            update(e).is_some_and(|v| v.state == QuestLogState::Done)
        })
        .await;
    assert_eq!(update(&done).unwrap().completed, 1);
    assert!(
        ann.sync()
            .await
            .iter()
            .chain(&ann.seen)
            .all(|e| !matches!(e, ServerEvent::Achievement { .. })),
        "first_blood is not awarded twice"
    );
    server.shutdown().await;
}
