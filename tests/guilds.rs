//! Guilds against the real server: founded with gold from a kill, an officer invited and
//! promoted, a guild chat line that reaches the officer on another map (and nobody outside
//! the guild standing next to the speaker), and the guild with its ranks after a restart.

mod common;

use common::{Client, greeted, login, register, start_with_maps, test_map_with};
use common::{TO_VAULT, with_stairs_to_vault};
use emberkeep_components::guild::GuildRank;
use emberkeep_components::protocol::{ClientMsg, EntityKind, GuildView, ServerEvent};

/// The test map with a rat (20 gold on it) at (2, 2), next to the spawn at (1, 1), and stairs
/// at (5, 1) down into a second map, "vault".
fn two_maps() -> Vec<(&'static str, String)> {
    let test = with_stairs_to_vault(&test_map_with(&[], &[("rat", 2, 2)]));
    vec![("test", test), ("vault", test_map_with(&[], &[]))]
}

/// Registers `user`, creates character `name` and plays it.
async fn new_player(addr: std::net::SocketAddr, user: &str, name: &str) -> Client {
    let mut c = greeted(addr).await;
    c.auth(register(user, "password123")).await.unwrap();
    c.create_and_play(name).await;
    c
}

/// Waits for a `guild` event that satisfies `check`; returns its view.
async fn guild_where(
    c: &mut Client,
    what: &str,
    check: impl Fn(&Option<GuildView>) -> bool,
) -> Option<GuildView> {
    match c
        .wait_for(
            what,
            |e| matches!(e, ServerEvent::Guild { guild } if check(guild)),
        )
        .await
    {
        ServerEvent::Guild { guild } => guild,
        _ => unreachable!(),
    }
}

fn ranks(view: &GuildView) -> Vec<(String, GuildRank)> {
    view.members
        .iter()
        .map(|m| (m.name.clone(), m.rank))
        .collect()
}

fn guild_line(e: &ServerEvent) -> bool {
    matches!(e, ServerEvent::Chat { channel: Some(c), .. } if c == "guild")
}

#[tokio::test]
async fn a_guild_line_reaches_an_officer_on_another_map_and_the_guild_survives_a_restart() {
    let server = start_with_maps(&two_maps(), |c| {
        let assets = &c.server.assets;
        let rules = assets.join("rules.toml");
        let mut text = std::fs::read_to_string(&rules).unwrap();
        text.push_str("\n[guilds]\ncreate_cost = 15\n");
        std::fs::write(rules, text).unwrap();
        let loot = "[rat]\ndrops = []\ngold = { min = 20, max = 20 }\n";
        std::fs::write(assets.join("loot.toml"), loot).unwrap();
    })
    .await;
    let mut ann = new_player(server.addr, "ann", "Ann").await;
    guild_where(&mut ann, "no guild yet", |g| g.is_none()).await;
    // Founding costs 15 of the 20 gold the rat carries.
    let rat = ann
        .saw_or_wait("rat", |e| {
            matches!(
                e,
                ServerEvent::Spawn {
                    kind: EntityKind::Mob,
                    ..
                }
            )
        })
        .await;
    let ServerEvent::Spawn { id: rat, .. } = rat else {
        unreachable!()
    };
    ann.send(&ClientMsg::Attack { target: rat }).await;
    ann.wait_for("loot gold", |e| *e == ServerEvent::Purse { gold: 20 })
        .await;
    ann.send(&ClientMsg::GuildCreate {
        name: "Iron Wolves".into(),
    })
    .await;
    ann.wait_for("paid", |e| *e == ServerEvent::Purse { gold: 5 })
        .await;
    guild_where(&mut ann, "founded", |g| g.is_some()).await;

    let mut bob = new_player(server.addr, "bob", "Bob").await;
    let mut cid = new_player(server.addr, "cid", "Cid").await;
    ann.send(&ClientMsg::GuildInvite { name: "bob".into() })
        .await;
    let invite = bob
        .wait_for("invite", |e| matches!(e, ServerEvent::GuildInvite { .. }))
        .await;
    assert_eq!(
        invite,
        ServerEvent::GuildInvite {
            from: "Ann".into(),
            guild: "Iron Wolves".into()
        }
    );
    bob.send(&ClientMsg::GuildAccept).await;
    guild_where(&mut bob, "joined", |g| g.is_some()).await;
    ann.send(&ClientMsg::GuildRank {
        name: "Bob".into(),
        rank: GuildRank::Officer,
    })
    .await;
    let view = guild_where(&mut bob, "promoted", |g| {
        g.as_ref().is_some_and(|g| g.rank == GuildRank::Officer)
    })
    .await
    .unwrap();
    assert_eq!(
        ranks(&view),
        vec![
            ("Ann".into(), GuildRank::Leader),
            ("Bob".into(), GuildRank::Officer)
        ]
    );

    // Bob goes down the stairs into the vault, out of Ann's world.
    bob.take_stairs(&TO_VAULT, "vault").await;
    ann.send(&ClientMsg::ChannelSay {
        channel: "guild".into(),
        text: "hold the vault".into(),
    })
    .await;
    let got = bob.wait_for("guild line", guild_line).await;
    assert!(
        matches!(&got, ServerEvent::Chat { name, text, .. } if name == "Ann" && text == "hold the vault"),
        "{got:?}"
    );
    ann.wait_for("own line", guild_line).await;
    let beside_ann = cid.sync().await;
    assert!(
        !beside_ann.iter().any(guild_line),
        "Cid stands next to Ann but is not in the guild: {beside_ann:?}"
    );

    let server = server.restart().await;
    let mut ann = greeted(server.addr).await;
    ann.auth(login("ann", "password123")).await.unwrap();
    ann.play("Ann").await;
    let view = guild_where(&mut ann, "guild after restart", |g| g.is_some())
        .await
        .unwrap();
    assert_eq!(view.name, "Iron Wolves");
    assert_eq!(
        ranks(&view),
        vec![
            ("Ann".into(), GuildRank::Leader),
            ("Bob".into(), GuildRank::Officer)
        ]
    );
    assert!(!view.members[1].online, "Bob is not back yet");
    ann.wait_for("purse", |e| *e == ServerEvent::Purse { gold: 5 })
        .await;
    let mut bob = greeted(server.addr).await;
    bob.auth(login("bob", "password123")).await.unwrap();
    bob.play("Bob").await;
    let view = guild_where(&mut bob, "Bob's guild", |g| g.is_some())
        .await
        .unwrap();
    assert_eq!(view.rank, GuildRank::Officer);
    guild_where(&mut ann, "Bob online", |g| {
        g.as_ref()
            .is_some_and(|g| g.members.iter().all(|m| m.online))
    })
    .await;
    server.shutdown().await;
}
