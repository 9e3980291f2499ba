//! Validation of the story files: every broken reference is named with its file, entry and
//! field; a script that does not compile is named with its line and column.

use super::super::content::tests::{assert_problem, problems_in, spawn_map, write_assets};
use super::super::{content::load, load_assets};

const TRIGGERS: &str = r#"
[lever]
on = { kind = "say", phrase = "pull lever", near = "villager" }
actions = [{ do = "message", text = "Clunk." }, { do = "script", script = "bell" }]
[bounty]
on = { kind = "mob_death", mob = "rat" }
conditions = [{ if = "has_item", item = "rat_tail" }]
actions = [{ do = "give_item", item = "potion" }, { do = "apply_effect", effect = "war_cry" }]
[raid]
on = { kind = "timer", every_ticks = 100 }
actions = [{ do = "spawn_mob", mob = "rat", count = 2, x = 1, y = 1 }, { do = "announce", text = "Rats!" }]
"#;

const DIALOGUE: &str = r#"
[elder]
npc = "villager"
[elder.nodes.start]
text = "Hello."
choices = [{ text = "Work?", next = "work" }, { text = "Bye." }]
[elder.nodes.work]
text = "Kill rats."
actions = [{ do = "start_dialogue", dialogue = "elder", node = "start" }]
"#;

const BELL: &str = "message(\"Ding\");\n";

/// The minimal content with the story files, `edit` applied to one of them.
fn story_problems(file: &str, from: &str, to: &str) -> Vec<super::super::ContentProblem> {
    let mut files = vec![
        ("triggers.toml", TRIGGERS.to_string()),
        ("dialogue.toml", DIALOGUE.to_string()),
        ("scripts/bell.rhai", BELL.to_string()),
    ];
    for (name, text) in &mut files {
        if *name == file {
            assert!(text.contains(from), "{from:?} is not in {file}");
            *text = text.replacen(from, to, 1);
        }
    }
    let dir = write_assets(&[]);
    std::fs::create_dir(dir.path().join("scripts")).unwrap();
    for (name, text) in &files {
        std::fs::write(dir.path().join(name), text).unwrap();
    }
    match load(dir.path()) {
        Ok(_) => Vec::new(),
        Err(e) => e.problems,
    }
}

#[test]
fn the_story_files_load_and_may_be_missing() {
    assert_eq!(story_problems("", "", ""), vec![]);
    assert_eq!(problems_in(&[]), vec![]);
    let dir = write_assets(&[]);
    std::fs::create_dir(dir.path().join("scripts")).unwrap();
    std::fs::write(dir.path().join("triggers.toml"), TRIGGERS).unwrap();
    std::fs::write(dir.path().join("dialogue.toml"), DIALOGUE).unwrap();
    std::fs::write(dir.path().join("scripts/bell.rhai"), BELL).unwrap();
    let story = load(dir.path()).unwrap().story;
    assert_eq!(story.triggers.len(), 3);
    assert_eq!(story.index.dialogue_of["villager"], "elder");
    assert_eq!(story.scripts["bell"].file, "scripts/bell.rhai");
}

#[test]
fn every_broken_reference_is_named() {
    #[rustfmt::skip]
    let cases: &[(&str, &str, &str, &str, &[&str])] = &[
        ("triggers.toml", "mob = \"rat\"", "mob = \"wolf\"", "bounty", &["on", "mob \"wolf\" is not in mobs.toml"]),
        ("triggers.toml", "near = \"villager\"", "near = \"elder\"", "lever", &["on.near", "\"elder\""]),
        ("triggers.toml", "item = \"rat_tail\"", "item = \"tail\"", "bounty", &["conditions[0]", "item \"tail\""]),
        ("triggers.toml", "item = \"potion\"", "item = \"elixir\"", "bounty", &["actions[0]", "item \"elixir\""]),
        ("triggers.toml", "effect = \"war_cry\"", "effect = \"rage\"", "bounty", &["actions[1]", "effect \"rage\""]),
        ("triggers.toml", "script = \"bell\"", "script = \"gong\"", "lever", &["actions[1]", "script \"gong\""]),
        ("triggers.toml", "mob = \"rat\", count = 2", "mob = \"orc\", count = 2", "raid", &["actions[0]", "mob \"orc\""]),
        ("triggers.toml", "count = 2", "count = 0", "raid", &["count must be from 1 to 50, got 0"]),
        ("triggers.toml", "{ do = \"announce\", text = \"Rats!\" }", "{ do = \"message\", text = \"Rats!\" }", "raid", &["actions[1]", "`message` needs a player"]),
        ("triggers.toml", "every_ticks = 100", "every_ticks = 0", "raid", &["every_ticks must be at least 1"]),
        ("triggers.toml", "near = \"villager\"", "range = 2", "lever", &["needs a place"]),
        ("triggers.toml", "mob = \"rat\" }", "mob = \"rat\", zone = 3 }", "bounty", &["zone"]),
        ("dialogue.toml", "npc = \"villager\"", "npc = \"rat\"", "elder", &["npc", "\"rat\" is a hostile mob"]),
        ("dialogue.toml", "npc = \"villager\"", "npc = \"elder\"", "elder", &["npc", "mob \"elder\" is not in mobs.toml"]),
        ("dialogue.toml", "next = \"work\"", "next = \"job\"", "elder", &["nodes.start.choices[0].next", "no node \"job\""]),
        ("dialogue.toml", "node = \"start\"", "node = \"begin\"", "elder", &["nodes.work.actions[0]", "no node \"begin\""]),
        ("dialogue.toml", "[elder.nodes.start]", "[elder.nodes.hello]", "elder", &["start: there is no node \"start\""]),
    ];
    for (file, from, to, entry, words) in cases {
        let problems = story_problems(file, from, to);
        assert_problem(&problems, file, entry, words);
    }
}

#[test]
fn a_script_that_does_not_compile_is_named_with_its_line() {
    let problems = story_problems(
        "scripts/bell.rhai",
        "message(\"Ding\");\n",
        "let a = 1;\nlet = 2;\n",
    );
    assert_problem(
        &problems,
        "scripts/bell.rhai",
        "",
        &["does not compile", "line 2, column"],
    );
    // The script is not loaded, so a trigger running it is named too.
    assert_problem(&problems, "triggers.toml", "lever", &["script \"bell\""]);
}

#[test]
fn trigger_zones_are_checked_against_the_map() {
    let triggers = r#"
[enter_town]
on = { kind = "enter_zone", zone = "Town" }
actions = [{ do = "message", text = "Welcome." }]
[enter_crypt]
on = { kind = "exit_zone", zone = "Crypt" }
"#;
    let map = spawn_map("rat", (2, 2, 2, 2));
    let dir = write_assets(&[]);
    std::fs::create_dir(dir.path().join("maps")).unwrap();
    std::fs::write(dir.path().join("maps/m.tmj"), map).unwrap();
    std::fs::write(dir.path().join("triggers.toml"), triggers).unwrap();
    let problems = match load_assets(dir.path(), "m", 16) {
        Ok(_) => Vec::new(),
        Err(e) => e.problems,
    };
    assert_problem(
        &problems,
        "triggers.toml",
        "enter_crypt",
        &[
            "on.zone",
            "no map has a zone \"Crypt\"",
            "the zones: \"Town\"",
        ],
    );
    assert_eq!(problems.len(), 1, "{problems:?}");
}

#[test]
fn the_shipped_world_has_npcs_with_words_a_lever_phrase_and_a_timed_raid() {
    use emberkeep_components::story_content::TriggerOn;
    let shipped = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("assets");
    let assets = load_assets(&shipped, "emberfield", 16).unwrap_or_else(|e| panic!("{e}"));
    let story = &assets.content.story;
    let spawned: Vec<&str> = (assets.content.spawn_areas.iter())
        .map(|a| a.mob.as_str())
        .collect();
    let talkers: Vec<&String> = story.index.dialogue_of.keys().collect();
    assert!(talkers.len() >= 3, "{talkers:?}");
    for npc in talkers {
        assert!(spawned.contains(&npc.as_str()), "{npc} stands nowhere");
    }
    let kinds: Vec<&TriggerOn> = story.triggers.values().map(|t| &t.on).collect();
    assert!(kinds.iter().any(|k| matches!(k, TriggerOn::Say { .. })));
    assert!(kinds.iter().any(|k| matches!(k, TriggerOn::Timer { .. })));
}
