//! Tests of the content rules. Each case writes a small, valid assets folder with one edit and
//! looks for the expected problem: its file, its entry and the words of its reason.

use std::path::Path;

use super::*;
use crate::assets::load_assets;

const RULES: &str = r#"
default_class = "warrior"
[levels]
max_level = 20
xp_base = 100
xp_growth_pct = 40
[derived]
hp_base = 40
hp_per_vit = 5
hp_per_level = 8
mp_base = 10
mp_per_int = 4
mp_per_level = 3
attack_per_str = 1.0
defense_per_vit = 0.5
crit_base_pct = 5.0
crit_per_dex_pct = 0.25
dodge_per_dex_pct = 0.5
[regen]
interval_ticks = 60
hp_pct = 2
mp_pct = 3
[combat]
base_hit_pct = 90.0
crit_multiplier_pct = 175
attack_range = 1
attack_cooldown_ticks = 20
respawn_ticks = 200
min_damage = 1
[loot]
owner_ticks = 600
despawn_ticks = 3000
[inventory]
slots = 30
[party]
max_members = 5
xp_range = 10
"#;

const CLASSES: &str = r#"
[warrior]
name = "Warrior"
base = { str = 10, dex = 5, int = 2, vit = 9 }
growth = { str = 2, vit = 2 }
"#;

/// The minimal effects.toml (poison, war_cry, weakness).
pub(crate) const MINIMAL_EFFECTS: &str = EFFECTS;
const EFFECTS: &str = r#"
[poison]
name = "Poison"
kind = "dot"
duration_ticks = 200
interval_ticks = 40
magnitude = 3
stacking = "stack"
max_stacks = 3

[war_cry]
name = "War Cry"
kind = "buff"
duration_ticks = 600
stacking = "refresh"
modifiers = { attack = 4 }

[weakness]
name = "Weakness"
kind = "debuff"
duration_ticks = 300
stacking = "ignore"
percent = { defense = -10 }
"#;

const ITEMS: &str = r#"
[sword]
name = "Sword"
kind = "weapon"
slot = "weapon"
modifiers = { attack = 3 }

[cap]
name = "Cap"
kind = "armor"
slot = "head"
modifiers = { defense = 1 }

[potion]
name = "Potion"
kind = "consumable"
heal = 30
max_stack = 10

[horn]
name = "Horn"
kind = "consumable"
effect = "war_cry"

[rat_tail]
name = "Rat Tail"
kind = "material"
max_stack = 20
"#;

/// The minimal mobs.toml (rat, villager).
pub(crate) const MINIMAL_MOBS: &str = MOBS;
const MOBS: &str = r#"
[rat]
name = "Rat"
level = 1
hp = 20
attack = 5
defense = 1
xp = 8
hostile = true
aggro_range = 3
leash_range = 8
wander_radius = 4
move_every_ticks = 10
attack_cooldown_ticks = 24
respawn_ticks = 300
loot = "rat"

[villager]
name = "Villager"
level = 1
hp = 40
attack = 0
defense = 0
xp = 0
hostile = false
leash_range = 10
wander_radius = 6
move_every_ticks = 16
attack_cooldown_ticks = 30
respawn_ticks = 600
"#;

const LOOT: &str = r#"
[rat]
drops = [
    { item = "rat_tail", chance = 0.5, min = 1, max = 2 },
    { item = "potion", chance = 0.1 },
]
"#;

/// The shipped English texts: every content folder needs them.
const ENGLISH: &str = include_str!(concat!(
    env!("CARGO_MANIFEST_DIR"),
    "/assets/locales/en.toml"
));
const ENGLISH_FILE: &str = "locales/en.toml";

fn base(file: &str) -> &'static str {
    match file {
        ENGLISH_FILE => ENGLISH,
        "rules.toml" => RULES,
        "classes.toml" => CLASSES,
        "effects.toml" => EFFECTS,
        "items.toml" => ITEMS,
        "mobs.toml" => MOBS,
        "loot.toml" => LOOT,
        other => panic!("no such content file {other}"),
    }
}

/// A temp assets folder: the minimal content and English texts, with the given files
/// replaced (`None`: the file is left out) or added (`locales/de.toml`).
pub(crate) fn write_assets(files: &[(&str, Option<&str>)]) -> tempfile::TempDir {
    let dir = tempfile::tempdir().unwrap();
    std::fs::create_dir(dir.path().join("locales")).unwrap();
    let shipped = FILES.into_iter().chain([ENGLISH_FILE]);
    for name in shipped.clone() {
        let text = match files.iter().find(|(f, _)| *f == name) {
            Some((_, text)) => *text,
            None => Some(base(name)),
        };
        if let Some(text) = text {
            std::fs::write(dir.path().join(name), text).unwrap();
        }
    }
    for (name, text) in files {
        if let (false, Some(text)) = (shipped.clone().any(|f| f == *name), text) {
            std::fs::write(dir.path().join(name), text).unwrap();
        }
    }
    dir
}

pub(crate) fn problems_in(files: &[(&str, Option<&str>)]) -> Vec<ContentProblem> {
    let dir = write_assets(files);
    match load(dir.path()) {
        Ok(_) => Vec::new(),
        Err(e) => e.problems,
    }
}

/// Asserts that a problem in `file`, entry `entry`, has all of `words` in its reason.
pub(crate) fn assert_problem(problems: &[ContentProblem], file: &str, entry: &str, words: &[&str]) {
    let found = problems.iter().any(|p| {
        p.file.ends_with(file) && p.entry == entry && words.iter().all(|w| p.reason.contains(w))
    });
    let list: Vec<String> = problems.iter().map(ToString::to_string).collect();
    assert!(
        found,
        "no problem in {file} [{entry}] with {words:?}; got:\n{}",
        list.join("\n")
    );
}

/// One edit of the minimal content (`from` replaced by `to` in `file`) and what it must say.
fn check(file: &str, from: &str, to: &str, entry: &str, words: &[&str]) {
    let text = base(file);
    assert!(text.contains(from), "{from:?} is not in the minimal {file}");
    let edited = text.replacen(from, to, 1);
    let problems = problems_in(&[(file, Some(edited.as_str()))]);
    assert_problem(&problems, file, entry, words);
}

/// Rules files written before parties and guilds (no `[party]`, no `[guilds]`) still load,
/// with the defaults the docs name.
#[test]
fn rules_without_party_or_guild_tables_load_with_the_defaults() {
    let text = base("rules.toml");
    let cut = text
        .find("[party]")
        .expect("the minimal rules have a [party] table");
    let dir = write_assets(&[("rules.toml", Some(&text[..cut]))]);
    let rules = load(dir.path()).unwrap().rules;
    assert_eq!((rules.party.max_members, rules.party.xp_range), (5, 12));
    assert_eq!(rules.guilds.create_cost, 100);
}

#[test]
fn the_minimal_content_and_the_shipped_content_load() {
    let dir = write_assets(&[]);
    let content = load(dir.path()).unwrap();
    assert_eq!(content.rules.default_class, "warrior");
    assert_eq!(content.items.len(), 5);
    assert_eq!(
        content.loot["rat"].drops[1].max, 1,
        "min and max default to 1"
    );
    assert_eq!(content.effects["war_cry"].max_stacks, 1);
    assert_eq!(content.mobs["rat"].attack_range, 1, "melee by default");

    let shipped = Path::new(env!("CARGO_MANIFEST_DIR")).join("assets");
    let content = load(&shipped).unwrap_or_else(|e| panic!("{e}"));
    assert!(content.classes.len() >= 3 && content.mobs.len() >= 8);
    // The shipped quests form one chain of five, the dungeon's last.
    let mut chain = vec!["the_crypt"];
    while let Some(before) = content.quests[*chain.last().unwrap()].requires.first() {
        chain.push(before);
    }
    assert_eq!(chain.len(), 5, "{chain:?}");
    assert!(content.achievements.len() >= 5);
}

#[test]
fn a_problem_names_the_file_and_the_entry() {
    let p = ContentProblem {
        file: "assets/mobs.toml".into(),
        entry: "rat".into(),
        reason: "leash_range must be at least 1, got 0".into(),
    };
    assert_eq!(
        p.to_string(),
        "assets/mobs.toml: [rat]: leash_range must be at least 1, got 0"
    );
    let p = ContentProblem {
        entry: String::new(),
        ..p
    };
    assert_eq!(
        p.to_string(),
        "assets/mobs.toml: leash_range must be at least 1, got 0"
    );
}

#[test]
fn ids_must_be_lower_snake_case() {
    for id in ["Rusty-Sword", "9lives", "big sword", "épée"] {
        let text = format!("{ITEMS}\n[\"{id}\"]\nname = \"X\"\nkind = \"junk\"\n");
        let problems = problems_in(&[("items.toml", Some(&text))]);
        assert_problem(&problems, "items.toml", id, &["lower_snake_case"]);
    }
}

#[test]
fn syntax_errors_and_missing_files_are_reported_per_file() {
    let problems = problems_in(&[
        ("mobs.toml", Some("[rat]\nname = \n")),
        ("loot.toml", None),
        ("effects.toml", Some("[a]\nname = \"x\"\n[a]\n")),
    ]);
    assert_problem(&problems, "mobs.toml", "", &["line 2, column 8"]);
    assert_problem(&problems, "loot.toml", "", &["missing", "docs/content.md"]);
    assert_problem(&problems, "effects.toml", "", &["line 3", "duplicate key"]);
    // References into a file that could not be read are not reported a second time.
    assert!(
        !problems.iter().any(|p| p.reason.contains("is not")),
        "{problems:?}"
    );
    assert_eq!(problems.len(), 3, "{problems:?}");
}

#[test]
fn every_broken_entry_is_reported_and_references_to_it_are_not() {
    let items = ITEMS
        .replace("max_stack = 20", "max_stack = \"lots\"")
        .replace(
            "modifiers = { attack = 3 }",
            "modifiers = { attack = 3 }\ncolour = \"red\"",
        );
    let problems = problems_in(&[("items.toml", Some(&items))]);
    assert_problem(
        &problems,
        "items.toml",
        "rat_tail",
        &["max_stack: expected a whole number", "\"lots\""],
    );
    assert_problem(&problems, "items.toml", "sword", &["unknown key `colour`"]);
    assert_eq!(problems.len(), 2, "{problems:?}");
}

/// An edit of one file (`from` replaced by `to`), the entry it breaks and the words expected.
type Case = (
    &'static str,
    &'static str,
    &'static str,
    &'static str,
    &'static [&'static str],
);
/// The same, for a test about one file.
type FileCase = (
    &'static str,
    &'static str,
    &'static str,
    &'static [&'static str],
);

#[test]
fn shape_errors_name_the_key() {
    #[rustfmt::skip]
    let cases: &[Case] = &[
        ("mobs.toml", "hp = 20", "hp = 20\ncolour = \"red\"", "rat", &["unknown key `colour`", "`leash_range`"]),
        ("mobs.toml", "hp = 20\n", "", "rat", &["missing key `hp`"]),
        ("mobs.toml", "level = 1", "level = \"one\"", "rat", &["level: expected a whole number", "\"one\""]),
        ("mobs.toml", "hostile = true", "hostile = 1", "rat", &["hostile: expected true or false"]),
        ("effects.toml", "duration_ticks = 200", "duration_ticks = -5", "poison", &["duration_ticks must not be negative, got -5"]),
        ("effects.toml", "duration_ticks = 200", "duration_ticks = 5000000000", "poison", &["duration_ticks is out of range", "5000000000"]),
        ("effects.toml", "kind = \"dot\"", "kind = \"dott\"", "poison", &["kind: unknown value `dott`", "`hot`"]),
        ("effects.toml", "{ attack = 4 }", "{ strength = 4 }", "war_cry", &["modifiers: unknown value `strength`", "`str`"]),
        ("items.toml", "\n[sword]", "pile = 3\n[sword]", "pile", &["expected a table", "integer"]),
        ("loot.toml", "chance = 0.1 }", "chance = 0.1, mni = 3 }", "rat", &["drops[1]: unknown key `mni`"]),
        ("loot.toml", "chance = 0.5,", "chance = \"half\",", "rat", &["drops[0]: chance: expected a number"]),
        ("rules.toml", "[regen]\n", "[regen]\ncolour = 1\n", "regen", &["unknown key `colour`"]),
        ("rules.toml", "default_class", "speed = 3\ndefault_class", "", &["unknown key `speed`"]),
        ("rules.toml", "[inventory]\nslots = 30\n", "", "inventory", &["missing section [inventory]"]),
        ("rules.toml", "[party]\n", "[party]\nsize = 3\n", "party", &["unknown key `size`"]),
        ("rules.toml", "default_class = \"warrior\"", "default_class = 3", "", &["default_class must be a string"]),
    ];
    for (file, from, to, entry, words) in cases {
        check(file, from, to, entry, words);
    }
}

#[test]
fn rules_ranges() {
    #[rustfmt::skip]
    let cases: &[FileCase] = &[
        ("default_class = \"warrior\"", "default_class = \"paladin\"", "", &["default_class \"paladin\" is not a class"]),
        ("max_level = 20", "max_level = 0", "levels", &["max_level must be from 1 to 1000, got 0"]),
        ("xp_base = 100", "xp_base = 0", "levels", &["xp_base must be at least 1"]),
        ("xp_growth_pct = 40", "xp_growth_pct = 4000", "levels", &["xp_growth_pct"]),
        ("max_level = 20", "max_level = 1000", "levels", &["overflows at level"]),
        ("hp_base = 40", "hp_base = 0", "derived", &["hp_base must be at least 1"]),
        ("mp_per_int = 4", "mp_per_int = -1", "derived", &["mp_per_int must be at least 0"]),
        ("dodge_per_dex_pct = 0.5", "dodge_per_dex_pct = -0.5", "derived", &["dodge_per_dex_pct must be from 0"]),
        ("crit_base_pct = 5.0", "crit_base_pct = nan", "derived", &["crit_base_pct", "NaN"]),
        ("interval_ticks = 60", "interval_ticks = 0", "regen", &["interval_ticks must be at least 1"]),
        ("hp_pct = 2", "hp_pct = 120", "regen", &["hp_pct must be from 0 to 100"]),
        ("base_hit_pct = 90.0", "base_hit_pct = 0.0", "combat", &["base_hit_pct"]),
        ("crit_multiplier_pct = 175", "crit_multiplier_pct = 50", "combat", &["crit_multiplier_pct"]),
        ("attack_range = 1", "attack_range = 0", "combat", &["attack_range must be at least 1"]),
        ("attack_cooldown_ticks = 20", "attack_cooldown_ticks = 0", "combat", &["attack_cooldown_ticks"]),
        ("respawn_ticks = 200", "respawn_ticks = 0", "combat", &["respawn_ticks"]),
        ("owner_ticks = 600", "owner_ticks = 3000", "loot", &["owner_ticks (3000) must be less than despawn_ticks (3000)"]),
        ("slots = 30", "slots = 0", "inventory", &["slots must be from 1 to 200"]),
        ("slots = 30", "slots = 500", "inventory", &["slots must be from 1 to 200, got 500"]),
        ("max_members = 5", "max_members = 1", "party", &["max_members must be from 2 to 50, got 1"]),
        ("xp_range = 10", "xp_range = -1", "party", &["xp_range must be from 0 to 1000, got -1"]),
    ];
    for (from, to, entry, words) in cases {
        check("rules.toml", from, to, entry, words);
    }
}

#[test]
fn classes_ranges() {
    let problems = problems_in(&[("classes.toml", Some("# none yet\n"))]);
    assert_problem(&problems, "classes.toml", "", &["no classes"]);
    #[rustfmt::skip]
    let cases: &[FileCase] = &[
        ("str = 10", "str = -1", "warrior", &["base.str must be from 0 to 100000, got -1"]),
        ("vit = 2", "vit = -2", "warrior", &["growth.vit must be from 0 to 100000, got -2"]),
        ("\"Warrior\"", "\" \"", "warrior", &["name must not be empty"]),
    ];
    for (from, to, entry, words) in cases {
        check("classes.toml", from, to, entry, words);
    }
}

#[test]
fn effects_ranges() {
    #[rustfmt::skip]
    let cases: &[FileCase] = &[
        ("duration_ticks = 200", "duration_ticks = 0", "poison", &["duration_ticks must be at least 1, got 0"]),
        ("interval_ticks = 40", "interval_ticks = 0", "poison", &["interval_ticks must be at least 1"]),
        ("interval_ticks = 40", "interval_ticks = 400", "poison", &["interval_ticks must be at most duration_ticks (200), got 400"]),
        ("magnitude = 3", "magnitude = 0", "poison", &["magnitude must be from 1 to 100000, got 0"]),
        ("max_stacks = 3", "max_stacks = 0", "poison", &["max_stacks must be at least 1"]),
        ("stacking = \"stack\"", "stacking = \"refresh\"", "poison", &["max_stacks only applies"]),
        ("magnitude = 3", "magnitude = 3\nmodifiers = { attack = 1 }", "poison", &["only apply to buff and debuff"]),
        ("modifiers = { attack = 4 }", "", "war_cry", &["a buff needs modifiers or percent"]),
        ("modifiers = { attack = 4 }", "modifiers = { attack = -4 }", "war_cry", &["modifiers.attack must be positive"]),
        ("modifiers = { attack = 4 }", "modifiers = { attack = 4 }\nmagnitude = 2", "war_cry", &["only apply to dot and hot"]),
        ("percent = { defense = -10 }", "percent = { defense = 10 }", "weakness", &["percent.defense must be negative"]),
    ];
    for (from, to, entry, words) in cases {
        check("effects.toml", from, to, entry, words);
    }
}

#[test]
fn items_ranges_and_slots() {
    #[rustfmt::skip]
    let cases: &[FileCase] = &[
        ("slot = \"weapon\"\n", "", "sword", &["a weapon needs slot = \"weapon\""]),
        ("slot = \"weapon\"", "slot = \"head\"", "sword", &["a weapon needs slot"]),
        ("slot = \"head\"\n", "", "cap", &["armor needs a slot"]),
        ("slot = \"head\"", "slot = \"weapon\"", "cap", &["armor cannot use the weapon slot"]),
        ("slot = \"head\"", "slot = \"hat\"", "cap", &["slot: unknown value `hat`"]),
        ("kind = \"material\"", "kind = \"material\"\nslot = \"hands\"", "rat_tail", &["only weapons and armor have a slot"]),
        ("heal = 30", "heal = 0", "potion", &["a consumable must do something"]),
        ("heal = 30", "heal = -5\nmana = 3", "potion", &["heal must be from 0 to 100000, got -5"]),
        ("effect = \"war_cry\"", "effect = \"haste\"", "horn", &["effect \"haste\" is not in effects.toml"]),
        ("kind = \"material\"", "kind = \"material\"\nheal = 3", "rat_tail", &["only apply to consumables"]),
        ("kind = \"material\"", "kind = \"material\"\nmodifiers = { str = 1 }", "rat_tail", &["only weapons and armor"]),
        ("max_stack = 20", "max_stack = 0", "rat_tail", &["max_stack must be from 1 to 9999, got 0"]),
        ("modifiers = { attack = 3 }", "modifiers = { attack = 3 }\nmax_stack = 5", "sword", &["max_stack must be 1"]),
    ];
    for (from, to, entry, words) in cases {
        check("items.toml", from, to, entry, words);
    }
}

#[test]
fn mobs_ranges() {
    #[rustfmt::skip]
    let cases: &[FileCase] = &[
        ("leash_range = 8", "leash_range = 0", "rat", &["leash_range must be at least 1, got 0"]),
        ("leash_range = 8", "leash_range = 2", "rat", &["leash_range must be at least aggro_range (3), got 2"]),
        ("wander_radius = 4", "wander_radius = 9", "rat", &["wander_radius must be at most leash_range (8), got 9"]),
        ("level = 1", "level = 0", "rat", &["level must be from 1 to 1000, got 0"]),
        ("hp = 20", "hp = 0", "rat", &["hp must be from 1 to 1000000000, got 0"]),
        ("attack = 5", "attack = -5", "rat", &["attack must be from 0 to 100000, got -5"]),
        ("attack = 5", "attack = 2000000000", "rat", &["attack must be from 0 to 100000, got 2000000000"]),
        ("move_every_ticks = 10", "move_every_ticks = 0", "rat", &["move_every_ticks must be at least 1"]),
        ("attack_cooldown_ticks = 24", "attack_cooldown_ticks = 0", "rat", &["attack_cooldown_ticks must be at least 1"]),
        ("respawn_ticks = 300", "respawn_ticks = 0", "rat", &["respawn_ticks must be at least 1"]),
        ("hp = 20", "hp = 20\nattack_range = 0", "rat", &["attack_range must be at least 1"]),
        ("hp = 20", "hp = 20\nflee_below_pct = 100", "rat", &["flee_below_pct must be from 0 to 99"]),
        ("loot = \"rat\"", "loot = \"rats\"", "rat", &["loot \"rats\" is not a table in loot.toml"]),
    ];
    for (from, to, entry, words) in cases {
        check("mobs.toml", from, to, entry, words);
    }
}

#[test]
fn loot_ranges_and_items() {
    let problems = problems_in(&[("loot.toml", Some("[rat]\ndrops = []\n"))]);
    assert_problem(&problems, "loot.toml", "rat", &["drops is empty"]);
    #[rustfmt::skip]
    let cases: &[FileCase] = &[
        ("item = \"potion\"", "item = \"gold\"", "rat", &["drops[1].item \"gold\" is not in items.toml"]),
        ("chance = 0.5", "chance = 0.0", "rat", &["drops[0].chance must be more than 0 and at most 1, got 0"]),
        ("chance = 0.5", "chance = 1.5", "rat", &["drops[0].chance", "got 1.5"]),
        ("min = 1, max = 2", "min = 0, max = 2", "rat", &["drops[0].min must be at least 1"]),
        ("min = 1, max = 2", "min = 3, max = 2", "rat", &["drops[0].max must be at least min (3), got 2"]),
        ("chance = 0.1 }", "chance = 0.1, max = 11 }", "rat", &["drops[1].max must be at most \"potion\"'s max_stack (10), got 11"]),
    ];
    for (from, to, entry, words) in cases {
        check("loot.toml", from, to, entry, words);
    }
}

/// An 8 x 6 map: columns 4..=7 are a wall, a safe zone covers (0, 0)..=(1, 1), and one mob
/// spawn rectangle of `mob` at tiles `(x, y, width, height)`.
pub(crate) fn spawn_map(mob: &str, (x, y, w, h): (i32, i32, i32, i32)) -> String {
    let data: Vec<u32> = (0..48).map(|i| u32::from(i % 8 >= 4)).collect();
    serde_json::json!({
        "width": 8, "height": 6, "tilewidth": 32, "tileheight": 32,
        "layers": [
            {"type": "tilelayer", "name": "collision", "width": 8, "height": 6, "data": data},
            {"type": "objectgroup", "name": "spawns", "objects": [
                {"id": 1, "name": "start", "type": "player_spawn", "x": 80.0, "y": 80.0}]},
            {"type": "objectgroup", "name": "zones", "objects": [
                {"id": 2, "name": "Town", "type": "zone", "x": 0.0, "y": 0.0, "width": 64.0, "height": 64.0,
                 "properties": [{"name": "safe", "type": "bool", "value": true}]}]},
            {"type": "objectgroup", "name": "mob_spawns", "objects": [
                {"id": 3, "name": "pack", "type": "mob_spawn", "x": x * 32, "y": y * 32,
                 "width": w * 32, "height": h * 32,
                 "properties": [{"name": "mob", "type": "string", "value": mob},
                                {"name": "count", "type": "int", "value": 2}]}]},
        ]
    })
    .to_string()
}

/// `load_assets` on the minimal content (with `files` replaced) and `map` as `maps/m.tmj`.
fn asset_problems(map: &str, files: &[(&str, Option<&str>)]) -> Vec<ContentProblem> {
    let dir = write_assets(files);
    std::fs::create_dir(dir.path().join("maps")).unwrap();
    std::fs::write(dir.path().join("maps/m.tmj"), map).unwrap();
    match load_assets(dir.path(), "m", 16) {
        Ok(assets) => {
            assert_eq!(assets.content.spawn_areas.len(), 1);
            Vec::new()
        }
        Err(e) => e.problems,
    }
}

#[test]
fn spawn_areas_need_a_known_mob_open_ground_and_no_safe_zone_for_hostiles() {
    assert_eq!(asset_problems(&spawn_map("rat", (2, 2, 2, 2)), &[]), vec![]);
    assert_eq!(
        asset_problems(&spawn_map("villager", (0, 0, 3, 3)), &[]),
        vec![]
    );
    type Rect = (i32, i32, i32, i32);
    #[rustfmt::skip]
    let cases: &[(&str, Rect, &[&str])] = &[
        ("dragon", (2, 2, 2, 2), &["spawn area \"pack\": mob \"dragon\" is not in mobs.toml"]),
        ("rat", (4, 1, 3, 4), &["spawn area \"pack\" is entirely blocked", "tiles 4, 1 to 6, 4"]),
        ("rat", (1, 1, 2, 2), &["hostile mob \"rat\" overlaps the safe zone \"Town\""]),
        ("rat", (6, 1, 4, 1), &["mob_spawns", "reaches off the map"]),
    ];
    for (mob, rect, words) in cases {
        let problems = asset_problems(&spawn_map(mob, *rect), &[]);
        assert_problem(&problems, "m.tmj", "", words);
    }
}

#[test]
fn load_assets_lists_map_and_content_problems_together() {
    let broken_mobs = MOBS.replace("leash_range = 8", "leash_range = 0");
    let problems = asset_problems(
        &spawn_map("wolf", (2, 2, 1, 1)),
        &[("mobs.toml", Some(&broken_mobs)), ("classes.toml", None)],
    );
    assert_problem(&problems, "m.tmj", "", &["mob \"wolf\""]);
    assert_problem(&problems, "mobs.toml", "rat", &["leash_range"]);
    assert_problem(&problems, "classes.toml", "", &["missing"]);
    assert_eq!(problems.len(), 3, "{problems:?}");
}

#[test]
fn starting_items_must_exist_fit_a_stack_and_be_wearable_once_per_slot() {
    let text = format!(
        "{CLASSES}\n[rogue]\nname = \"Rogue\"\nbase = {{ str = 1 }}\ngrowth = {{ str = 1 }}\n\
         starting_items = [\n  {{ item = \"sword\", equipped = true }},\n  \
         {{ item = \"sword\", equipped = true }},\n  {{ item = \"ghost\" }},\n  \
         {{ item = \"cap\", count = 5 }},\n  {{ item = \"potion\", equipped = true }},\n]\n\
         [brute]\nname = \"Brute\"\nbase = {{ str = 100001 }}\ngrowth = {{ str = 1 }}\n"
    );
    let problems = problems_in(&[("classes.toml", Some(&text))]);
    assert_problem(
        &problems,
        "classes.toml",
        "rogue",
        &["starting_items[1]", "already taken"],
    );
    assert_problem(
        &problems,
        "classes.toml",
        "rogue",
        &["starting_items[2].item", "\"ghost\""],
    );
    assert_problem(
        &problems,
        "classes.toml",
        "rogue",
        &["starting_items[3].count", "from 1 to 1"],
    );
    assert_problem(
        &problems,
        "classes.toml",
        "rogue",
        &["starting_items[4].equipped", "cannot be worn"],
    );
    assert_problem(&problems, "classes.toml", "brute", &["base.str", "100000"]);
}

/// The problems and warnings of the minimal content with these files replaced or added.
fn problems_and_warnings(
    files: &[(&str, Option<&str>)],
) -> (Vec<ContentProblem>, Vec<ContentProblem>) {
    let dir = write_assets(files);
    let loaded = read_all(dir.path());
    (loaded.problems, loaded.warnings)
}

#[test]
fn the_shipped_languages_have_every_text_and_nothing_else() {
    let shipped = Path::new(env!("CARGO_MANIFEST_DIR")).join("assets");
    let loaded = read_all(&shipped);
    assert_eq!(loaded.problems, vec![], "{:?}", loaded.problems);
    assert_eq!(loaded.warnings, vec![], "{:?}", loaded.warnings);
    let content = loaded.content.expect("content");
    let langs: Vec<&str> = content.locales.langs().map(|(tag, _)| tag).collect();
    assert_eq!(langs, ["de", "en"]);
    for (_, catalog) in content.locales.langs() {
        assert_eq!(catalog.len(), emberkeep_components::text::keys::ALL.len());
    }
}

#[test]
fn english_must_have_every_text_the_server_sends() {
    let line = "too_long = \"chat lines are at most {max} characters; this one has {len}\"\n";
    assert!(ENGLISH.contains(line));
    let english = ENGLISH.replace(line, "");
    let (problems, _) = problems_and_warnings(&[(ENGLISH_FILE, Some(&english))]);
    assert_problem(
        &problems,
        "en.toml",
        "chat.too_long",
        &["missing", "{max}, {len}"],
    );
    assert_eq!(problems.len(), 1, "{problems:?}");

    let (problems, _) = problems_and_warnings(&[(ENGLISH_FILE, None)]);
    assert_problem(
        &problems,
        "en.toml",
        "",
        &["file is missing", "docs/content.md"],
    );
}

#[test]
fn a_text_another_language_lacks_is_a_warning_naming_file_and_key() {
    let german = "[chat]\nempty = \"sag etwas\"\n";
    let (problems, warnings) = problems_and_warnings(&[("locales/de.toml", Some(german))]);
    assert_eq!(
        problems,
        vec![],
        "a missing translation does not stop the content"
    );
    assert_problem(
        &warnings,
        "de.toml",
        "chat.too_long",
        &["missing", "English"],
    );
    assert_eq!(
        warnings.len(),
        emberkeep_components::text::keys::ALL.len() - 1
    );
}

#[test]
fn a_text_shows_exactly_its_placeholders() {
    #[rustfmt::skip]
    let cases: &[(&str, &str, &[&str])] = &[
        ("too_long = \"höchstens {max}, nicht {length}\"", "chat.too_long", &["unknown placeholder {length}", "has {max}, {len}"]),
        ("too_long = \"höchstens {max}, nicht {length}\"", "chat.too_long", &["drops the placeholder {len}"]),
        ("too_long = \"höchstens {max} Zeichen\"", "chat.too_long", &["drops the placeholder {len}"]),
        ("empty = \"sag {what}\"", "chat.empty", &["unknown placeholder {what}", "has none"]),
        ("too_long = \"{max} {len\"", "chat.too_long", &["never closed"]),
        ("too_long = \"{max} {len} }\"", "chat.too_long", &["lone `}`"]),
    ];
    for (line, key, words) in cases {
        let german = format!("[chat]\n{line}\n");
        let (problems, _) = problems_and_warnings(&[("locales/de.toml", Some(&german))]);
        assert_problem(&problems, "de.toml", key, words);
    }
    // English is held to the same rule.
    let english = ENGLISH.replace("this one has {len}", "this one is too long");
    let (problems, _) = problems_and_warnings(&[(ENGLISH_FILE, Some(&english))]);
    assert_problem(
        &problems,
        "en.toml",
        "chat.too_long",
        &["drops the placeholder {len}"],
    );
}

#[test]
fn unknown_keys_sections_and_values_are_named() {
    let german =
        "stray = \"x\"\n[chat]\ntoo_lng = \"x\"\n[chatter]\nx = \"y\"\n[move]\nblocked = 3\n";
    let (problems, _) = problems_and_warnings(&[("locales/de.toml", Some(german))]);
    assert_problem(
        &problems,
        "de.toml",
        "chat.too_lng",
        &["unknown key", "too_long"],
    );
    assert_problem(&problems, "de.toml", "chatter.x", &["no section [chatter]"]);
    assert_problem(&problems, "de.toml", "move.blocked", &["expected a string"]);
    assert_problem(
        &problems,
        "de.toml",
        "stray",
        &["expected a section of texts"],
    );
    assert_eq!(problems.len(), 4, "{problems:?}");

    let (problems, _) = problems_and_warnings(&[("locales/Deutsch.toml", Some("[chat]\n"))]);
    assert_problem(&problems, "Deutsch.toml", "", &["language tag"]);
    let (problems, _) = problems_and_warnings(&[("locales/de.toml", Some("[chat\n"))]);
    assert_problem(&problems, "de.toml", "", &["not valid TOML", "line 1"]);
}

/// A small quest chain and an achievement over the minimal content; `quests.toml` and
/// `achievements.toml` are optional files, so the other tests leave them out.
const QUESTS: &str = r#"
[rats]
name = "Rats"
giver = "villager"
steps = [
    { kill = "rat", count = 2, text = "Kill rats" },
    { collect = "rat_tail", count = 2, take = true, text = "Bring tails" },
    { talk = "villager", text = "Talk" },
    { use = "potion", text = "Drink" },
]
rewards = { xp = 10, items = [{ item = "sword" }, { item = "potion", count = 2 }] }

[next]
name = "Next"
requires = ["rats"]
steps = [{ zone = "well", text = "Go to the well" }]
"#;

const ACHIEVEMENTS: &str = r#"
[rat_catcher]
name = "Rat Catcher"
counter = "kill:rat"
threshold = 5
"#;

/// One edit of the quests or achievements (`from` replaced by `to`) and what it must say.
fn check_story(file: &str, from: &str, to: &str, entry: &str, words: &[&str]) {
    let text = if file == "quests.toml" {
        QUESTS
    } else {
        ACHIEVEMENTS
    };
    assert!(text.contains(from), "{from:?} is not in the test {file}");
    let edited = text.replacen(from, to, 1);
    let (quests, achievements) = if file == "quests.toml" {
        (edited.as_str(), ACHIEVEMENTS)
    } else {
        (QUESTS, edited.as_str())
    };
    let problems = problems_in(&[
        ("quests.toml", Some(quests)),
        ("achievements.toml", Some(achievements)),
    ]);
    assert_problem(&problems, file, entry, words);
}

#[test]
fn quests_and_achievements_load_and_may_be_left_out() {
    let dir = write_assets(&[
        ("quests.toml", Some(QUESTS)),
        ("achievements.toml", Some(ACHIEVEMENTS)),
    ]);
    let content = load(dir.path()).unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(content.quests["rats"].steps.len(), 4);
    assert_eq!(content.quests["next"].requires, vec!["rats"]);
    assert_eq!(content.achievements["rat_catcher"].threshold, 5);
    let none = load(write_assets(&[]).path()).unwrap();
    assert!(none.quests.is_empty() && none.achievements.is_empty());
}

#[test]
fn quest_steps_must_name_what_exists_with_counts_of_at_least_one() {
    for (from, to, entry, words) in [
        (
            r#"kill = "rat""#,
            r#"kill = "dragon""#,
            "rats",
            &[r#"steps[0].kill "dragon" is not a mob in mobs.toml"#][..],
        ),
        (
            r#"collect = "rat_tail""#,
            r#"collect = "gold""#,
            "rats",
            &[r#"steps[1].collect "gold" is not an item"#],
        ),
        (
            r#"talk = "villager""#,
            r#"talk = "elder""#,
            "rats",
            &[r#"steps[2].talk "elder" is not an NPC in mobs.toml"#],
        ),
        (
            r#"use = "potion""#,
            r#"use = "elixir""#,
            "rats",
            &[r#"steps[3].use "elixir""#],
        ),
        (
            r#"giver = "villager""#,
            r#"giver = "elder""#,
            "rats",
            &[r#"giver "elder" is not an NPC"#],
        ),
        (
            "count = 2, text",
            "count = 0, text",
            "rats",
            &["steps[0].count must be at least 1, got 0"],
        ),
        (
            r#"{ talk = "villager", text = "Talk" }"#,
            r#"{ talk = "villager", zone = "well", text = "Talk" }"#,
            "rats",
            &["exactly one of kill, collect, talk, zone, use or script"],
        ),
        (
            r#"text = "Go to the well""#,
            r#"text = """#,
            "next",
            &["steps[0].text must not be empty"],
        ),
        (
            r#"{ item = "sword" }"#,
            r#"{ item = "gold" }"#,
            "rats",
            &[r#"rewards.items[0].item "gold" is not an item in items.toml"#],
        ),
        (
            r#"{ item = "potion", count = 2 }"#,
            r#"{ item = "potion", count = 0 }"#,
            "rats",
            &["rewards.items[1].count must be at least 1, got 0"],
        ),
    ] {
        check_story("quests.toml", from, to, entry, words);
    }
}

#[test]
fn quest_prerequisites_must_exist_and_form_no_cycle() {
    check_story(
        "quests.toml",
        r#"requires = ["rats"]"#,
        r#"requires = ["ghost"]"#,
        "next",
        &[r#"requires[0] "ghost" is not a quest in quests.toml"#],
    );
    check_story(
        "quests.toml",
        r#"requires = ["rats"]"#,
        r#"requires = ["next"]"#,
        "next",
        &["requires[0] is the quest itself"],
    );
    for (entry, path) in [
        ("rats", "rats -> next -> rats"),
        ("next", "next -> rats -> next"),
    ] {
        check_story(
            "quests.toml",
            "name = \"Rats\"\n",
            "name = \"Rats\"\nrequires = [\"next\"]\n",
            entry,
            &["requires forms a cycle", path],
        );
    }
}

#[test]
fn achievements_need_a_known_counter_and_a_threshold_of_at_least_one() {
    for (from, to, words) in [
        (
            r#""kill:rat""#,
            r#""deaths""#,
            &[r#"counter "deaths" is not a known counter"#, "kill:<mob>"][..],
        ),
        (
            r#""kill:rat""#,
            r#""kill:dragon""#,
            &[r#"names "dragon", which is not a mob in mobs.toml"#],
        ),
        (
            "threshold = 5",
            "threshold = 0",
            &["threshold must be at least 1, got 0"],
        ),
    ] {
        check_story("achievements.toml", from, to, "rat_catcher", words);
    }
}
