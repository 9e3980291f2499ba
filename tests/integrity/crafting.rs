//! Crafting killed with SIGKILL mid-storm: four smiths melt daggers into potions and forge
//! potions back into daggers at a furnace as fast as the server lets them (a making every
//! tick). Each making takes its inputs and gives its outputs in one atomic change, so after
//! each kill every smith still holds exactly what it started with in worth (a dagger is two
//! potions), and no item id is stored twice.

use std::collections::BTreeMap;
use std::time::Duration;

use super::common::{Client, greeted, login, test_map, tile_object, with_objects};
use super::{daggers_and_potions, kill_mid_storm, merchant_assets, seed_account, spawn_server};
use emberkeep::storage::{SqliteStore, Store, auth};
use emberkeep_components::persist::CharacterRecord;
use emberkeep_components::protocol::{ClientMsg, ServerEvent};
use serde_json::json;

const SMITHS: usize = 4;
const DAGGERS_EACH: u32 = 2;
const POTIONS_EACH: u32 = 4;
/// What a smith is worth, in potions: a dagger melts into two.
const WORTH: u32 = 2 * DAGGERS_EACH + POTIONS_EACH;

const SKILLS: &str = r#"
[smithing]
name = "Smithing"
max_level = 5
xp_base = 100
xp_growth_pct = 50
"#;
const RECIPES: &str = r#"
[melt]
name = "Melt"
station = "furnace"
skill = "smithing"
xp = 1
ticks = 1
inputs = [{ item = "dagger", count = 1 }]
outputs = [{ item = "potion", count = 2 }]
[forge]
name = "Forge"
station = "furnace"
skill = "smithing"
xp = 1
ticks = 1
inputs = [{ item = "potion", count = 2 }]
outputs = [{ item = "dagger", count = 1 }]
"#;

#[tokio::test]
async fn sigkill_while_smiths_craft_loses_and_duplicates_nothing() {
    let dir = tempfile::tempdir().unwrap();
    let (db_path, db_url) = merchant_assets(dir.path());
    // Everyone spawns at (1, 1), next to the furnace at (1, 2).
    let furnace = tile_object(
        20,
        "Furnace",
        "station",
        (1, 2),
        &[("station", json!("furnace"))],
    );
    let map = with_objects(&test_map(&[]), json!([furnace]));
    std::fs::write(dir.path().join("maps/test.tmj"), map).unwrap();
    std::fs::write(dir.path().join("skills.toml"), SKILLS).unwrap();
    std::fs::write(dir.path().join("recipes.toml"), RECIPES).unwrap();

    let store = SqliteStore::open(&db_path).unwrap();
    let hash = auth::hash_password("password123").unwrap();
    for p in 0..SMITHS {
        let key = format!("smith{p}");
        seed_account(&store, &key, &hash).await;
        let mut c = CharacterRecord::new(&format!("Smith{p}"), &key, "warrior");
        c.inventory = daggers_and_potions(p, u64::from(DAGGERS_EACH), POTIONS_EACH);
        store.create_character(c, 1).await.unwrap();
    }
    drop(store);

    let (mut made, mut saved) = (0, 0);
    for (round, kill_after_ms) in [600u64, 1300].into_iter().enumerate() {
        let mut server = spawn_server(dir.path(), &db_url);
        let mut storm = tokio::task::JoinSet::new();
        for p in 0..SMITHS {
            let mut c = greeted(server.addr).await;
            c.auth(login(&format!("smith{p}"), "password123"))
                .await
                .unwrap();
            c.play(&format!("Smith{p}")).await;
            c.sync().await;
            storm.spawn(craft_until_killed(c));
        }
        made += kill_mid_storm(&mut server, &mut storm, kill_after_ms)
            .await
            .into_iter()
            .sum::<u32>();

        let store = SqliteStore::open(&db_path).unwrap();
        let mut owners: BTreeMap<u64, Vec<String>> = BTreeMap::new();
        let mut saved_xp = 0;
        for c in store.all_characters().await.unwrap() {
            for item in c.item_ids() {
                owners.entry(item).or_default().push(c.name.clone());
            }
            let count = |template: &str| -> u32 {
                (c.inventory.iter().chain(c.equipment.values()))
                    .filter(|i| i.template == template)
                    .map(|i| i.count)
                    .sum()
            };
            let (daggers, potions) = (count("dagger"), count("potion"));
            assert_eq!(
                2 * daggers + potions,
                WORTH,
                "round {round}: {} holds {daggers} daggers and {potions} potions",
                c.name
            );
            // (The smiths melt and forge in step, so the saved mix may be the starting one;
            // the smithing xp each making grants, saved with it, shows what was saved.)
            saved_xp += c.skills.get("smithing").copied().unwrap_or(0);
        }
        let dupes: Vec<_> = owners.iter().filter(|(_, o)| o.len() > 1).collect();
        assert!(dupes.is_empty(), "round {round}: saved twice: {dupes:?}");
        eprintln!(
            "round {round}: killed after {kill_after_ms} ms; {made} makings so far, {saved_xp} of them saved"
        );
        saved = saved_xp;
    }
    assert!(
        made > 0 && saved > 0,
        "the storm must actually craft (and save it) for this test to mean anything"
    );
}

/// Melts a dagger or forges a pair of potions (whichever the bag allows, in turn) every time
/// the last making ends, until the server is gone; returns the makings completed.
async fn craft_until_killed(mut c: Client) -> u32 {
    use futures_util::{SinkExt, StreamExt};
    let (mut done, mut melt) = (0, true);
    let mut ask = true;
    loop {
        if ask {
            let recipe = if melt { "melt" } else { "forge" };
            melt = !melt;
            let msg = ClientMsg::Craft {
                recipe: recipe.into(),
                count: Some(2),
            };
            let text = serde_json::to_string(&msg).unwrap();
            if c.ws
                .send(tokio_tungstenite::tungstenite::Message::text(text))
                .await
                .is_err()
            {
                return done;
            }
            ask = false;
        }
        let events: Vec<ServerEvent> =
            match tokio::time::timeout(Duration::from_millis(200), c.ws.next()).await {
                Ok(Some(Ok(tokio_tungstenite::tungstenite::Message::Text(t)))) => {
                    serde_json::from_str(t.as_str()).unwrap_or_default()
                }
                Ok(Some(Ok(_))) => Vec::new(),
                Err(_) => {
                    ask = true;
                    Vec::new()
                }
                Ok(_) => return done, // the server is gone
            };
        for e in events {
            match e {
                ServerEvent::CraftEnd { done: ok, left, .. } => {
                    done += u32::from(ok);
                    ask |= left == 0 || !ok;
                }
                ServerEvent::Error { .. } => ask = true,
                _ => {}
            }
        }
    }
}
