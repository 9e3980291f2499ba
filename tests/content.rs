//! `emberkeep check-assets` on the content files, as a designer meets it: the shipped assets
//! pass, and a copy of them with one mistake (or two) is refused with a line naming the file,
//! the entry and the field (for a locale file: the text's key).

use std::path::Path;
use std::process::Command;

use serde_json::Value;

const BIN: &str = env!("CARGO_BIN_EXE_emberkeep");
const ASSETS: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/assets");
const MAP: &str = "maps/emberfield.tmj";

/// Runs `check-assets dir`; returns (exit code, stdout + stderr).
fn check_assets(dir: &Path) -> (Option<i32>, String) {
    let out = Command::new(BIN)
        .arg("check-assets")
        .arg(dir)
        .env("NO_COLOR", "1")
        .output()
        .expect("binary runs");
    let text =
        String::from_utf8_lossy(&out.stdout).to_string() + &String::from_utf8_lossy(&out.stderr);
    (out.status.code(), text)
}

fn copy_dir(from: &Path, to: &Path) {
    std::fs::create_dir_all(to).unwrap();
    for entry in std::fs::read_dir(from).unwrap() {
        let entry = entry.unwrap();
        let target = to.join(entry.file_name());
        if entry.file_type().unwrap().is_dir() {
            copy_dir(&entry.path(), &target);
        } else {
            std::fs::copy(entry.path(), &target).unwrap();
        }
    }
}

/// A copy of the shipped assets to break.
fn shipped_copy() -> tempfile::TempDir {
    let dir = tempfile::tempdir().unwrap();
    copy_dir(Path::new(ASSETS), dir.path());
    dir
}

/// Replaces the first `from` in `file` with `to`.
fn edit(dir: &Path, file: &str, from: &str, to: &str) {
    let path = dir.join(file);
    let text = std::fs::read_to_string(&path).unwrap();
    assert!(text.contains(from), "{from:?} is not in the shipped {file}");
    std::fs::write(&path, text.replacen(from, to, 1)).unwrap();
}

/// Changes the first object of the map's `mob_spawns` layer.
fn edit_first_mob_spawn(dir: &Path, change: impl FnOnce(&mut Value)) {
    let path = dir.join(MAP);
    let mut map: Value = serde_json::from_str(&std::fs::read_to_string(&path).unwrap()).unwrap();
    let layer = map["layers"]
        .as_array_mut()
        .unwrap()
        .iter_mut()
        .find(|l| l["name"] == "mob_spawns")
        .expect("a mob_spawns layer");
    change(&mut layer["objects"][0]);
    std::fs::write(&path, map.to_string()).unwrap();
}

/// Asserts the check failed (exit code 1) and printed every one of `lines` (fragments).
fn assert_refused(dir: &Path, lines: &[&str]) {
    let (code, text) = check_assets(dir);
    assert_eq!(code, Some(1), "check-assets should fail:\n{text}");
    assert!(!text.contains("ok: "), "{text}");
    for line in lines {
        assert!(
            text.lines().any(|l| l.contains(line)),
            "no line with {line:?}:\n{text}"
        );
    }
}

#[test]
fn the_shipped_assets_pass() {
    let (code, text) = check_assets(Path::new(ASSETS));
    assert_eq!(code, Some(0), "{text}");
    assert!(
        text.contains("ok: ") && text.contains("emberfield"),
        "{text}"
    );
    for counted in [
        "3 classes",
        "abilities",
        "effects",
        "items",
        "mobs",
        "loot tables",
        "5 quests",
        "achievements",
        "spawn areas",
        "texts in de, en",
    ] {
        assert!(text.contains(counted), "no {counted:?} in {text}");
    }
}

/// Regression guard for the web client's item icons: a designer who adds an item to
/// items.toml without re-running the icon tool gets the generic icon in the game; this test
/// names the item and the command instead.
#[test]
fn every_shipped_item_has_an_icon() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let items: toml::Table = std::fs::read_to_string(root.join("assets/items.toml"))
        .unwrap()
        .parse()
        .unwrap();
    let icons: Value =
        serde_json::from_str(&std::fs::read_to_string(root.join("web/icons/items.json")).unwrap())
            .unwrap();
    let missing: Vec<&String> = items
        .keys()
        .filter(|id| !icons["icons"][id.as_str()].is_u64())
        .collect();
    assert!(
        missing.is_empty(),
        "items without an icon in web/icons/items.json: {missing:?}; run `python3 tools/gen_icons.py` and commit web/icons/"
    );
}

/// Every zone music theme the shipped maps name has a score the web client can play (a map
/// naming a new theme without one would be silent there); names the theme and the tool.
#[test]
fn every_zone_music_theme_has_a_score() {
    fn themes(v: &Value, out: &mut Vec<String>) {
        match v {
            Value::Object(o) => {
                if o.get("name").and_then(Value::as_str) == Some("music")
                    && let Some(theme) = o.get("value").and_then(Value::as_str)
                {
                    out.push(theme.to_string());
                }
                o.values().for_each(|v| themes(v, out));
            }
            Value::Array(a) => a.iter().for_each(|v| themes(v, out)),
            _ => {}
        }
    }
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let mut named = Vec::new();
    for entry in std::fs::read_dir(root.join("assets/maps")).unwrap() {
        let path = entry.unwrap().path();
        if path.extension().is_some_and(|e| e == "tmj") {
            let map: Value =
                serde_json::from_str(&std::fs::read_to_string(&path).unwrap()).unwrap();
            themes(&map, &mut named);
        }
    }
    named.sort();
    named.dedup();
    assert!(
        named.len() >= 7,
        "the shipped maps name their zones' music: {named:?}"
    );
    let index: Value =
        serde_json::from_str(&std::fs::read_to_string(root.join("web/music/index.json")).unwrap())
            .unwrap();
    let listed: Vec<&str> = index["themes"]
        .as_array()
        .unwrap()
        .iter()
        .filter_map(Value::as_str)
        .collect();
    let missing: Vec<&String> = named
        .iter()
        .filter(|t| {
            !listed.contains(&t.as_str()) || !root.join(format!("web/music/{t}.json")).is_file()
        })
        .collect();
    assert!(
        missing.is_empty(),
        "zone music themes without a score in web/music/: {missing:?}; add them to THEMES in tools/gen_sounds.py, run `python3 tools/gen_sounds.py` and commit web/music/"
    );
}

#[test]
fn an_unknown_key_is_named() {
    let dir = shipped_copy();
    edit(
        dir.path(),
        "mobs.toml",
        "[wolf]\n",
        "[wolf]\ncolour = \"grey\"\n",
    );
    assert_refused(dir.path(), &["mobs.toml: [wolf]: unknown key `colour`"]);
}

#[test]
fn a_negative_duration_is_refused() {
    let dir = shipped_copy();
    edit(
        dir.path(),
        "effects.toml",
        "duration_ticks = 200",
        "duration_ticks = -200",
    );
    assert_refused(
        dir.path(),
        &["effects.toml: [poison]: duration_ticks must not be negative, got -200"],
    );
}

#[test]
fn a_loot_table_pointing_at_a_missing_item_is_refused() {
    let dir = shipped_copy();
    edit(dir.path(), "loot.toml", "\"rat_tail\"", "\"golden_tail\"");
    assert_refused(
        dir.path(),
        &["loot.toml: [rat]: drops[0].item \"golden_tail\" is not in items.toml"],
    );
}

#[test]
fn a_spawn_area_of_a_missing_mob_is_refused() {
    let dir = shipped_copy();
    edit_first_mob_spawn(dir.path(), |obj| {
        let props = obj["properties"].as_array_mut().unwrap();
        let mob = props.iter_mut().find(|p| p["name"] == "mob").unwrap();
        mob["value"] = "dragon".into();
    });
    assert_refused(
        dir.path(),
        &[
            "emberfield.tmj: spawn area",
            "mob \"dragon\" is not in mobs.toml",
        ],
    );
}

#[test]
fn a_spawn_area_inside_a_wall_is_refused() {
    let dir = shipped_copy();
    let map: Value =
        serde_json::from_str(&std::fs::read_to_string(dir.path().join(MAP)).unwrap()).unwrap();
    let width = map["width"].as_u64().unwrap() as usize;
    let height = map["height"].as_u64().unwrap() as usize;
    let collision = map["layers"]
        .as_array()
        .unwrap()
        .iter()
        .find(|l| l["name"] == "collision")
        .unwrap()["data"]
        .as_array()
        .unwrap()
        .clone();
    let blocked = |x: usize, y: usize| collision[y * width + x].as_u64() != Some(0);
    // The first 4 x 4 block of blocked tiles, scanning up from the bottom (the sea).
    let side = 4;
    let (bx, by) = (0..=height - side)
        .rev()
        .flat_map(|y| (0..=width - side).map(move |x| (x, y)))
        .find(|&(x, y)| (y..y + side).all(|ty| (x..x + side).all(|tx| blocked(tx, ty))))
        .expect("a fully blocked block");
    let tile = map["tilewidth"].as_u64().unwrap() as usize;
    edit_first_mob_spawn(dir.path(), |obj| {
        obj["x"] = (bx * tile).into();
        obj["y"] = (by * tile).into();
        obj["width"] = (side * tile).into();
        obj["height"] = (side * tile).into();
    });
    assert_refused(
        dir.path(),
        &["emberfield.tmj: spawn area", "is entirely blocked"],
    );
}

#[test]
fn two_broken_files_are_both_reported() {
    let dir = shipped_copy();
    edit(
        dir.path(),
        "mobs.toml",
        "leash_range = 8\n",
        "leash_range = 0\n",
    );
    edit(dir.path(), "items.toml", "heal = 30", "heal = -30");
    assert_refused(
        dir.path(),
        &[
            "mobs.toml: [rat]: leash_range must be at least 1, got 0",
            "items.toml: [minor_health_potion]: heal must be from 0 to 100000, got -30",
            "2 problems",
        ],
    );
}

#[test]
fn a_translation_that_drops_a_placeholder_is_refused() {
    let dir = shipped_copy();
    edit(
        dir.path(),
        "locales/de.toml",
        "diese hat {len}",
        "diese ist zu lang",
    );
    assert_refused(
        dir.path(),
        &["locales/de.toml: [chat.too_long]: the text drops the placeholder {len}"],
    );
}

#[test]
fn an_unknown_placeholder_or_key_in_a_locale_file_is_named() {
    let dir = shipped_copy();
    edit(
        dir.path(),
        "locales/en.toml",
        "blocked = \"({x}, {y}) is blocked\"",
        "blocked = \"({x}, {y}) is {what}\"",
    );
    edit(
        dir.path(),
        "locales/de.toml",
        "[move]\n",
        "[move]\nblokked = \"versperrt\"\n",
    );
    assert_refused(
        dir.path(),
        &[
            "locales/en.toml: [move.blocked]: unknown placeholder {what}; this text has {x}, {y}",
            "locales/de.toml: [move.blokked]: unknown key",
        ],
    );
}

#[test]
fn a_text_english_lacks_is_refused_and_one_a_translation_lacks_is_a_warning() {
    let dir = shipped_copy();
    edit(
        dir.path(),
        "locales/de.toml",
        "empty = \"sag etwas: die Chatzeile ist leer\"\n",
        "",
    );
    let (code, text) = check_assets(dir.path());
    assert_eq!(
        code,
        Some(0),
        "a missing translation does not stop the server:\n{text}"
    );
    assert!(
        text.lines()
            .any(|l| l.starts_with("warning: ")
                && l.contains("locales/de.toml: [chat.empty]: missing")),
        "{text}"
    );
    edit(
        dir.path(),
        "locales/en.toml",
        "empty = \"say something: the chat line is empty\"\n",
        "",
    );
    assert_refused(
        dir.path(),
        &["locales/en.toml: [chat.empty]: missing: the server sends this text"],
    );
}

/// One broken reference or range in `shops.toml` per case, each named with file and entry.
#[test]
fn a_broken_shop_is_refused_with_its_reason() {
    let cases = [
        (
            "[smith_brann]",
            "[smith_bran]",
            "shops.toml: [smith_bran]: the NPC template \"smith_bran\" is not in mobs.toml",
        ),
        (
            "[banker_odo]",
            "[wolf]",
            "shops.toml: [wolf]: the NPC template \"wolf\" is hostile",
        ),
        (
            "item = \"bread\", price = 2",
            "item = \"cake\", price = 2",
            "shops.toml: [herbalist_ilsa]: sells[0].item \"cake\" is not in items.toml",
        ),
        (
            "item = \"wolf_pelt\"",
            "item = \"wolf_fur\"",
            "shops.toml: [smith_brann]: buys[0].item \"wolf_fur\" is not in items.toml",
        ),
        (
            "price = 2, stock = 20",
            "price = 0, stock = 20",
            "shops.toml: [herbalist_ilsa]: sells[0].price must be at least 1, got 0",
        ),
        (
            "price = 2, stock = 20",
            "price = 2, stock = 0",
            "shops.toml: [herbalist_ilsa]: sells[0].stock must be at least 1, got 0",
        ),
        (
            "{ item = \"wolf_pelt\", price = 4 }",
            "{ item = \"wolf_pelt\", price = 0 }",
            "shops.toml: [smith_brann]: buys[0].price must be at least 1, got 0",
        ),
        (
            "restock_ticks = 1200",
            "restock_ticks = 0",
            "shops.toml: [herbalist_ilsa]: restock_ticks must be at least 1, got 0",
        ),
        (
            "\nbanker = true",
            "\nbanker = false",
            "shops.toml: [banker_odo]: the shop neither sells nor buys",
        ),
    ];
    for (from, to, line) in cases {
        let dir = shipped_copy();
        edit(dir.path(), "shops.toml", from, to);
        assert_refused(dir.path(), &[line]);
    }
}

#[test]
fn a_loot_tables_gold_range_must_not_be_upside_down() {
    let dir = shipped_copy();
    edit(
        dir.path(),
        "loot.toml",
        "gold = { min = 1, max = 3 }",
        "gold = { min = 3, max = 1 }",
    );
    assert_refused(
        dir.path(),
        &["loot.toml: [rat]: gold.max must be at least gold.min (3), got 1"],
    );
}
