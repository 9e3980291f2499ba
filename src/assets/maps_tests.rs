//! Tests of the links between maps and of the objects that make them: each case writes the
//! minimal content with maps `m` (the start map) and `b`, and looks for the expected problem.

use serde_json::{Value, json};

use crate::assets::content::tests::{assert_problem, write_assets};
use crate::assets::{ContentProblem, load_assets};

/// An 8 x 6 map with tile (6, 4) blocked, a spawn at (1, 1) and `objects` in a layer "logic".
fn map_with(objects: Value) -> String {
    let data: Vec<u32> = (0..48).map(|i| u32::from(i == 4 * 8 + 6)).collect();
    json!({
        "width": 8, "height": 6, "tilewidth": 32, "tileheight": 32,
        "layers": [
            {"type": "tilelayer", "name": "collision", "width": 8, "height": 6, "data": data},
            {"type": "objectgroup", "name": "spawns", "objects": [
                {"id": 1, "name": "start", "type": "player_spawn", "x": 48.0, "y": 48.0}]},
            {"type": "objectgroup", "name": "logic", "objects": objects},
        ]
    })
    .to_string()
}

fn prop(name: &str, value: Value) -> Value {
    json!({"name": name, "value": value})
}

fn warp(to_map: &str, x: i32, y: i32) -> Value {
    json!({"id": 5, "name": "w", "class": "warp", "x": 0.0, "y": 0.0, "width": 32.0, "height": 32.0,
           "properties": [prop("map", json!(to_map)), prop("x", json!(x)), prop("y", json!(y))]})
}

fn door(name: &str, props: Value) -> Value {
    json!({"id": 6, "name": name, "class": "door", "x": 96.0, "y": 32.0, "width": 32.0, "height": 64.0,
           "properties": props})
}

fn lever(door: &str) -> Value {
    json!({"id": 7, "name": "l", "type": "lever", "x": 64.0, "y": 96.0, "point": true,
           "properties": [prop("door", json!(door))]})
}

/// `load_assets` with `maps/m.tmj` and `maps/b.tmj`.
fn load(m: &str, b: &str) -> Result<crate::assets::Assets, Vec<ContentProblem>> {
    let dir = write_assets(&[]);
    std::fs::create_dir(dir.path().join("maps")).unwrap();
    std::fs::write(dir.path().join("maps/m.tmj"), m).unwrap();
    std::fs::write(dir.path().join("maps/b.tmj"), b).unwrap();
    load_assets(dir.path(), "m", 16).map_err(|e| e.problems)
}

#[test]
fn two_maps_with_warps_both_ways_load_side_by_side() {
    let a = load(
        &map_with(json!([warp("b", 2, 2)])),
        &map_with(json!([warp("m", 3, 3)])),
    )
    .unwrap();
    let names: Vec<&str> = a.maps.all().iter().map(|m| m.name.as_str()).collect();
    assert_eq!(names, ["m", "b"], "the start map first");
    assert_eq!(
        a.maps.all()[1].origin.x,
        48,
        "16 (one region) + 2 regions of gap"
    );
    assert_eq!(a.maps.all()[0].warps[0].to.x, 50);
}

#[test]
fn broken_warps_name_the_file_the_warp_and_why() {
    let plain = map_with(json!([]));
    #[rustfmt::skip]
    let cases: &[(Value, &[&str])] = &[
        (warp("nowhere", 1, 1), &["warp \"w\"", "map \"nowhere\" does not exist"]),
        (warp("b", 20, 1), &["target tile (20, 1) on map \"b\" is off that map"]),
        (warp("b", 6, 4), &["target tile (6, 4)", "is blocked"]),
        (warp("m", 0, 0), &["is on a warp of that map"]),
    ];
    for (w, words) in cases {
        let problems = load(&map_with(json!([w])), &plain).unwrap_err();
        assert_problem(&problems, "m.tmj", "", words);
    }
    let missing_y = json!({"id": 5, "name": "w", "class": "warp", "x": 0.0, "y": 0.0,
        "width": 32.0, "height": 32.0, "properties": [prop("map", json!("b")), prop("x", json!(1))]});
    let problems = load(&map_with(json!([missing_y])), &plain).unwrap_err();
    assert_problem(&problems, "m.tmj", "", &["object 5 (\"w\")", "\"y\""]);
}

#[test]
fn broken_doors_and_levers_name_the_object_and_why() {
    let plain = map_with(json!([]));
    let state = |s: &str| json!([prop("state", json!(s))]);
    #[rustfmt::skip]
    let cases: &[(Value, &[&str])] = &[
        (json!([door("gate", state("ajar"))]), &["object 6 (\"gate\")", "\"state\" must be open, closed or locked"]),
        (json!([door("gate", json!([])), door("gate", json!([]))]), &["already named \"gate\""]),
        (json!([door("", json!([]))]), &["a door needs a name"]),
        (json!([door("gate", json!([])), lever("nope")]), &["lever \"l\"", "names door \"nope\""]),
        (json!([door("gate", json!([prop("key", json!("ghost"))]))]), &["door \"gate\": key \"ghost\" is not in items.toml"]),
    ];
    for (objects, words) in cases {
        let problems = load(&map_with(objects.clone()), &plain).unwrap_err();
        assert_problem(&problems, "m.tmj", "", words);
    }
    let ok = json!([
        door(
            "gate",
            json!([prop("state", json!("locked")), prop("key", json!("potion"))])
        ),
        lever("gate")
    ]);
    let a = load(&map_with(ok), &plain).unwrap();
    assert_eq!(a.maps.start().doors.len(), 1);
    assert!(
        !a.map
            .is_walkable(emberkeep_components::map::Tile { x: 3, y: 2 }),
        "shut"
    );
}

#[test]
fn bad_zone_properties_and_a_map_that_does_not_parse_are_named() {
    let plain = map_with(json!([]));
    let problems = load(&plain, "{\"width\": 4").unwrap_err();
    assert_problem(&problems, "b.tmj", "", &["not a Tiled JSON map"]);
    let zone = |props: Value| {
        let mut m: Value = serde_json::from_str(&plain).unwrap();
        m["layers"][2]["name"] = json!("zones");
        m["layers"][2]["objects"] = json!([{"id": 9, "name": "Z", "type": "zone", "x": 0.0, "y": 0.0,
            "width": 32.0, "height": 32.0, "properties": props}]);
        m.to_string()
    };
    for (props, words) in [
        (json!([prop("pvp", json!("yes"))]), "\"pvp\" must be a bool"),
        (
            json!([prop("pvp_drops", json!(1))]),
            "\"pvp_drops\" must be a bool",
        ),
        (
            json!([prop("pvp_drops", json!(true))]),
            "pvp_drops = true needs pvp = true",
        ),
        (
            json!([prop("pvp", json!(true)), prop("safe", json!(true))]),
            "cannot be both safe and pvp",
        ),
        (
            json!([prop("min_level", json!(-1))]),
            "\"min_level\" must be a whole number",
        ),
        (
            json!([prop("min_level", json!(5)), prop("max_level", json!(2))]),
            "min_level 5 is above max_level 2",
        ),
        (
            json!([prop("music", json!(""))]),
            "\"music\" must be a non-empty string",
        ),
    ] {
        let problems = load(&zone(props), &plain).unwrap_err();
        assert_problem(&problems, "m.tmj", "", &[words]);
    }
}

/// Story actions and conditions are checked against the maps and the quests once everything
/// has loaded: a door no map has, a warp onto a blocked tile or to a missing map, a quest no
/// file defines, and what a quest's `rewards.actions` name.
#[test]
fn story_actions_name_real_doors_tiles_maps_and_quests() {
    let triggers = r#"
[pull]
on = { kind = "mob_death", mob = "rat" }
conditions = [{ if = "quest", quest = "ghost_quest", state = "done" }]
actions = [
    { do = "open_door", map = "b", door = "gate" },
    { do = "close_door", map = "m", door = "gate" },
    { do = "warp", map = "m", x = 6, y = 4 },
    { do = "warp", map = "nowhere", x = 1, y = 1 },
    { do = "start_quest", quest = "ghost_quest" },
    { do = "spawn_mob", mob = "rat", map = "b", x = 9, y = 1 },
]
[work]
on = { kind = "interact", map = "m", object = "lever_that_is_not" }
actions = [{ do = "message", text = "Clunk." }]
[work_gate]
on = { kind = "interact", map = "m", object = "gate" }
actions = [{ do = "message", text = "Clunk." }]
"#;
    let quests = r#"
[errand]
name = "Errand"
steps = [{ script = "x", text = "Do it" }]
rewards = { actions = [{ do = "give_item", item = "no_such_item" }, { do = "advance_quest", quest = "errand" }] }
"#;
    let dir = write_assets(&[]);
    std::fs::create_dir(dir.path().join("maps")).unwrap();
    let gate = door("gate", json!([prop("state", json!("closed"))]));
    std::fs::write(dir.path().join("maps/m.tmj"), map_with(json!([gate]))).unwrap();
    std::fs::write(dir.path().join("maps/b.tmj"), map_with(json!([]))).unwrap();
    std::fs::write(dir.path().join("triggers.toml"), triggers).unwrap();
    std::fs::write(dir.path().join("quests.toml"), quests).unwrap();
    let problems = match load_assets(dir.path(), "m", 16) {
        Ok(_) => panic!("loaded with broken references"),
        Err(e) => e.problems,
    };
    let t = "triggers.toml";
    assert_problem(
        &problems,
        t,
        "pull",
        &[
            "conditions[0]",
            "quest \"ghost_quest\" is not in quests.toml",
            "its quests: errand",
        ],
    );
    assert_problem(
        &problems,
        t,
        "pull",
        &["actions[0]", "map \"b\" has no door \"gate\" (it has none)"],
    );
    assert_problem(
        &problems,
        t,
        "pull",
        &["actions[2]", "tile (6, 4) of map \"m\"", "blocked"],
    );
    assert_problem(
        &problems,
        t,
        "pull",
        &[
            "actions[3]",
            "map \"nowhere\" is not in maps/",
            "its maps: m, b",
        ],
    );
    assert_problem(
        &problems,
        t,
        "pull",
        &["actions[4]", "quest \"ghost_quest\""],
    );
    assert_problem(
        &problems,
        t,
        "pull",
        &[
            "actions[5]",
            "tile (9, 1) of map \"b\" (8x6)",
            "off the map",
        ],
    );
    assert_problem(
        &problems,
        "quests.toml",
        "errand",
        &[
            "rewards.actions[0]",
            "item \"no_such_item\" is not in items.toml",
        ],
    );
    assert_problem(
        &problems,
        t,
        "work",
        &[
            "on.object",
            "map \"m\" has no lever or door \"lever_that_is_not\"",
            "its levers and doors: gate",
        ],
    );
    assert_eq!(
        problems.len(),
        8,
        "the door on m, the quest's own advance and the gate's trigger are fine: {problems:?}"
    );
}

/// A zone's `spawns` property is its own spawn table: one spawn area over the zone per mob;
/// a malformed table or a mob mobs.toml lacks is refused with the zone named.
#[test]
fn a_zone_spawn_table_becomes_spawn_areas_over_the_zone() {
    let with_zone = |spawns: &str| {
        let data: Vec<u32> = vec![0; 48];
        json!({
            "width": 8, "height": 6, "tilewidth": 32, "tileheight": 32,
            "layers": [
                {"type": "tilelayer", "name": "collision", "width": 8, "height": 6, "data": data},
                {"type": "objectgroup", "name": "spawns", "objects": [
                    {"id": 1, "name": "start", "type": "player_spawn", "x": 48.0, "y": 48.0}]},
                {"type": "objectgroup", "name": "zones", "objects": [
                    {"id": 2, "name": "Burrows", "type": "zone", "x": 64.0, "y": 32.0,
                     "width": 128.0, "height": 96.0, "properties": [prop("spawns", json!(spawns))]}]},
            ]
        })
        .to_string()
    };
    let plain = map_with(json!([]));
    let a = load(&with_zone("rat*3, rat"), &plain).unwrap();
    let areas: Vec<String> = (a.content.spawn_areas.iter())
        .map(|s| {
            let (min, max) = ((s.min.x, s.min.y), (s.max.x, s.max.y));
            format!("{} {} {} {min:?} {max:?}", s.name, s.mob, s.count)
        })
        .collect();
    assert_eq!(
        areas,
        [
            "Burrows (rat) rat 3 (2, 1) (5, 3)",
            "Burrows (rat) rat 1 (2, 1) (5, 3)",
        ]
    );
    let refused = |spawns: &str| match load(&with_zone(spawns), &plain) {
        Ok(_) => panic!("{spawns:?} was accepted"),
        Err(problems) => problems,
    };
    let problems = refused("rat*0");
    assert_problem(
        &problems,
        "maps/m.tmj",
        "",
        &["Burrows", "\"rat*0\"", "count from 1 to 500"],
    );
    let problems = refused("dragon*2");
    assert_problem(&problems, "maps/m.tmj", "", &["dragon"]);
}
