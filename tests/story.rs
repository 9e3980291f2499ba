//! The story engine over real WebSocket: talk to an NPC, choose an answer, and see what the
//! answer does (an item given, the next line said).

mod common;

use common::{Client, start_with_mobs};
use emberkeep_components::protocol::{
    ClientMsg, DialogueChoice, EntityKind, ErrorCode, ServerEvent,
};

/// The elder's dialogue (her template is `common::peaceful_npc`), written into the test
/// server's assets folder.
const DIALOGUE: &str = r#"
[elder]
npc = "elder"
[elder.nodes.start]
text = "Welcome, traveller."
choices = [
  { text = "Any gifts?", next = "gift" },
  { text = "Show me the secret.", conditions = [{ if = "flag", flag = "friend" }] },
  { text = "Bye." },
]
[elder.nodes.gift]
text = "Take this potion."
actions = [{ do = "give_item", item = "potion", count = 2 }, { do = "set_flag", flag = "friend" }]
"#;

#[tokio::test]
async fn talk_to_an_npc_choose_and_get_the_gift() {
    let server = start_with_mobs(&[], &[("elder", 2, 1)], |config| {
        let dir = &config.server.assets;
        let mobs = std::fs::read_to_string(dir.join("mobs.toml")).unwrap();
        std::fs::write(
            dir.join("mobs.toml"),
            format!("{mobs}{}", common::peaceful_npc("elder", "Elder Maren")),
        )
        .unwrap();
        std::fs::write(dir.join("dialogue.toml"), DIALOGUE).unwrap();
    })
    .await;
    let mut ann = Client::join(server.addr, "Ann").await;
    let npc = match ann
        .saw_or_wait("the elder", |e| {
            matches!(
                e,
                ServerEvent::Spawn {
                    kind: EntityKind::Npc,
                    ..
                }
            )
        })
        .await
    {
        ServerEvent::Spawn { id, .. } => id,
        _ => unreachable!(),
    };
    ann.send(&ClientMsg::Choose { choice: 0 }).await;
    ann.wait_for("not talking", |e| {
        matches!(
            e,
            ServerEvent::Error {
                code: ErrorCode::NotTalking,
                ..
            }
        )
    })
    .await;

    ann.send(&ClientMsg::Talk { npc }).await;
    let first = ann
        .wait_for("the greeting", |e| {
            matches!(e, ServerEvent::Dialogue { .. })
        })
        .await;
    let offered = |texts: &[(u32, &str)]| {
        texts
            .iter()
            .map(|(index, text)| DialogueChoice {
                index: *index,
                text: text.to_string(),
            })
            .collect::<Vec<_>>()
    };
    assert_eq!(
        first,
        ServerEvent::Dialogue {
            npc: Some(npc),
            name: "Elder Maren".into(),
            text: "Welcome, traveller.".into(),
            choices: offered(&[(0, "Any gifts?"), (2, "Bye.")]),
        }
    );

    ann.send(&ClientMsg::Choose { choice: 0 }).await;
    let gift = ann
        .wait_for("the gift line", |e| {
            matches!(e, ServerEvent::Dialogue { .. })
        })
        .await;
    assert!(
        matches!(&gift, ServerEvent::Dialogue { text, choices, .. } if text == "Take this potion." && choices.is_empty()),
        "{gift:?}"
    );
    ann.saw_or_wait("two potions in the bag", |e| {
        matches!(e, ServerEvent::Inventory { items, .. }
            if items.iter().any(|i| i.item == "potion" && i.count == 2))
    })
    .await;

    // The flag the gift set shows the secret answer now.
    ann.send(&ClientMsg::Talk { npc }).await;
    let again = ann
        .wait_for("the greeting again", |e| {
            matches!(e, ServerEvent::Dialogue { .. })
        })
        .await;
    assert!(
        matches!(&again, ServerEvent::Dialogue { choices, .. } if *choices == offered(&[(0, "Any gifts?"), (1, "Show me the secret."), (2, "Bye.")])),
        "{again:?}"
    );
    ann.send(&ClientMsg::Choose { choice: 2 }).await;
    ann.wait_for("the end", |e| {
        *e == ServerEvent::DialogueEnd { npc: Some(npc) }
    })
    .await;
    server.shutdown().await;
}
