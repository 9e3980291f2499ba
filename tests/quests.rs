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

/// Registers `user`, makes it a gm, logs in again and enters the world as a new `name`.
async fn staff_character(server: &common::TestServer, user: &str, name: &str) -> Client {
    let mut first = greeted(server.addr).await;
    first.auth(register(user, "password123")).await.unwrap();
    SqliteStore::open(&server.dir().join("emberkeep.db"))
        .unwrap()
        .set_role(user.into(), Role::Gm)
        .await
        .unwrap();
    let mut c = greeted(server.addr).await;
    c.auth(login(user, "password123")).await.unwrap();
    c.create_and_play(name).await;
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
    let mut ann = staff_character(&server, "questgm", "Ann").await;

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

#[tokio::test]
async fn a_quests_file_is_reloaded_live_and_a_broken_one_is_refused_with_its_reason() {
    const TOKEN: &str = "quest-token";
    let server = start_with_content(&[], &[], &[], |c| {
        c.server.admin_token = Some(TOKEN.into());
    })
    .await;
    let http = server.handle.as_ref().unwrap().http_addr();
    let reload = || async move {
        common::http::request(
            http,
            &format!(
                "POST /admin/reload HTTP/1.1\r\nHost: {http}\r\nAuthorization: Bearer {TOKEN}\r\nContent-Length: 0\r\n"
            ),
        )
        .await
    };
    let mut gm = staff_character(&server, "reloader", "Rel").await;
    let start = ClientMsg::Command {
        line: "/quest start hunt".into(),
    };
    gm.send(&start).await;
    let refused = gm
        .wait_for("error", |e| matches!(e, ServerEvent::Error { .. }))
        .await;
    assert!(
        matches!(&refused, ServerEvent::Error { message, .. } if message == "there is no quest \"hunt\""),
        "{refused:?}"
    );

    let quests = server.dir().join("quests.toml");
    std::fs::write(
        &quests,
        QUESTS.replace(r#"kill = "rat""#, r#"kill = "dragon""#),
    )
    .unwrap();
    let answer = reload().await;
    assert_eq!(answer.status, 422, "{}", answer.text());
    assert!(
        answer
            .text()
            .contains(r#"quests.toml: [hunt]: steps[0].kill \"dragon\" is not a mob in mobs.toml"#),
        "{}",
        answer.text()
    );

    std::fs::write(&quests, QUESTS).unwrap();
    let answer = reload().await;
    assert_eq!(answer.status, 200, "{}", answer.text());
    // (Another line than the first: a repeat within 100 ms is dropped as a duplicate.)
    gm.send(&ClientMsg::Command {
        line: "/quest start hunt Rel".into(),
    })
    .await;
    gm.wait_for("the quest", |e| {
        update(e).is_some_and(|v| v.quest == "hunt" && v.step == 1)
    })
    .await;
    server.shutdown().await;
}
