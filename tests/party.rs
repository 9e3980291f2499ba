//! Parties over real WebSocket: three players, two of whom form a party; party chat reaches
//! both members and not the third player, and a member's hp change reaches the other member
//! in a `party` event.

mod common;

use common::{Client, start_with_content};
use emberkeep_components::protocol::{ClientMsg, PartyView, ServerEvent};

/// A wolf that stands still until hit, then bites hard (30 − 5 defense = 25 a bite).
const WOLF: &str = r#"
[wolf]
name = "Wolf"
level = 1
hp = 500
attack = 30
defense = 0
xp = 10
hostile = true
aggro_range = 0
leash_range = 10
wander_radius = 0
move_every_ticks = 5
attack_cooldown_ticks = 10
respawn_ticks = 2000
"#;

fn party_event(e: &ServerEvent) -> Option<&PartyView> {
    match e {
        ServerEvent::Party { party: Some(p) } => Some(p),
        _ => None,
    }
}

fn party_line<'a>(text: &'a str) -> impl FnMut(&ServerEvent) -> bool + 'a {
    move |e| {
        matches!(e, ServerEvent::Chat { name, text: t, channel: Some(c), .. }
            if name == "Ann" && t == text && c == "party")
    }
}

#[tokio::test]
async fn party_members_chat_among_themselves_and_see_each_others_hp() {
    let server = start_with_content(&[], &[("wolf", 2, 1)], &[("mobs.toml", WOLF)], |_| {}).await;
    let mut ann = Client::join(server.addr, "Ann").await;
    let mut bob = Client::join(server.addr, "Bob").await;
    let mut cid = Client::join(server.addr, "Cid").await;

    ann.send(&ClientMsg::PartyInvite { name: "bob".into() })
        .await;
    let invite = bob
        .wait_for("party_invite", |e| {
            matches!(e, ServerEvent::PartyInvite { .. })
        })
        .await;
    assert_eq!(invite, ServerEvent::PartyInvite { from: "Ann".into() });
    bob.send(&ClientMsg::PartyAccept).await;
    let (ann_id, bob_id) = (ann.id, bob.id);
    for c in [&mut ann, &mut bob] {
        let got = c.wait_for("party", |e| party_event(e).is_some()).await;
        let party = party_event(&got).unwrap();
        assert_eq!(party.leader, "Ann");
        let names: Vec<&str> = party.members.iter().map(|m| m.name.as_str()).collect();
        assert_eq!(names, ["Ann", "Bob"]);
        assert_eq!([party.members[0].id, party.members[1].id], [ann_id, bob_id]);
    }

    ann.send(&ClientMsg::ChannelSay {
        channel: "party".into(),
        text: "ready?".into(),
    })
    .await;
    bob.wait_for("party line", party_line("ready?")).await;
    ann.wait_for("own party line", party_line("ready?")).await;
    // Cid's ping is answered after the tick that carried the line: had it reached Cid, it
    // would come before the pong.
    let before = cid.sync().await;
    assert!(
        !before.iter().any(party_line("ready?")),
        "an outsider heard party chat: {before:?}"
    );
    cid.send(&ClientMsg::Command {
        line: "/p me too".into(),
    })
    .await;
    assert_eq!(
        cid.expect_error().await,
        emberkeep_components::protocol::ErrorCode::NotInParty
    );

    // Ann hits the wolf next to her; it bites back, and Bob sees her hp drop.
    let wolf = ann
        .saw_or_wait(
            "the wolf",
            |e| matches!(e, ServerEvent::Spawn { name, .. } if name == "Wolf"),
        )
        .await;
    let ServerEvent::Spawn { id: wolf, .. } = wolf else {
        unreachable!()
    };
    ann.send(&ClientMsg::Attack { target: wolf }).await;
    let got = bob
        .wait_for("Ann's hp in a party event", |e| {
            party_event(e)
                .is_some_and(|p| p.members.iter().any(|m| m.id == ann_id && m.hp < m.max_hp))
        })
        .await;
    let ann_seen = party_event(&got)
        .unwrap()
        .members
        .iter()
        .find(|m| m.id == ann_id)
        .cloned()
        .unwrap();
    assert_eq!((ann_seen.hp, ann_seen.max_hp), (75, 100));
    server.shutdown().await;
}
