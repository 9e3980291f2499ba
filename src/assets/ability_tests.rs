//! Validation of `abilities.toml` and of the mobs' `abilities` lists: references to classes,
//! effects and abilities, and kinds and targets that fit together.

use super::super::content::load;
use super::super::content::tests::{assert_problem, problems_in, write_assets};

/// A valid file for the minimal content (class `warrior`, effects `poison`, `war_cry`).
const ABILITIES: &str = r#"
[strike]
name = "Strike"
class = "warrior"
kind = "active"
target = "enemy"
mana = 5
range = 1
damage = { base = 5, attack_pct = 100 }

[rally]
name = "Rally"
class = "warrior"
level = 2
kind = "active"
target = "self"
effect = "war_cry"

[tough]
name = "Tough"
class = "warrior"
kind = "passive"
modifiers = { max_hp = 10 }

[spit]
name = "Spit"
kind = "active"
target = "enemy"
range = 3
effect = "poison"
"#;

fn problems(text: &str) -> Vec<super::super::content::ContentProblem> {
    problems_in(&[("abilities.toml", Some(text))])
}

#[test]
fn a_valid_abilities_file_loads_and_may_be_left_out() {
    let dir = write_assets(&[("abilities.toml", Some(ABILITIES))]);
    let content = load(dir.path()).unwrap();
    assert_eq!(content.abilities.len(), 4);
    assert_eq!(content.abilities["rally"].level, 2);
    let dir = write_assets(&[]);
    assert!(load(dir.path()).unwrap().abilities.is_empty());
}

#[test]
fn abilities_must_name_a_class_and_an_effect_that_exist() {
    let p = problems(&ABILITIES.replacen("class = \"warrior\"", "class = \"bard\"", 1));
    assert_problem(
        &p,
        "abilities.toml",
        "strike",
        &["class \"bard\" is not in classes.toml"],
    );
    let p = problems(&ABILITIES.replace("effect = \"war_cry\"", "effect = \"nap\""));
    assert_problem(
        &p,
        "abilities.toml",
        "rally",
        &["effect \"nap\" is not in effects.toml"],
    );
}

#[test]
fn kinds_and_targets_must_fit_together() {
    #[rustfmt::skip]
    let cases: &[(&str, &str, &str, &[&str])] = &[
        ("modifiers = { max_hp = 10 }", "modifiers = { max_hp = 10 }\nmana = 3", "tough", &["a passive ability only has modifiers and percent"]),
        ("modifiers = { max_hp = 10 }", "", "tough", &["a passive ability needs modifiers or percent"]),
        ("target = \"enemy\"\nmana = 5", "mana = 5", "strike", &["needs target"]),
        ("range = 1\ndamage", "range = 0\ndamage", "strike", &["range must be from 1 to 20, got 0"]),
        ("effect = \"war_cry\"", "effect = \"war_cry\"\nrange = 2", "rally", &["a self ability has no range"]),
        ("damage = { base = 5, attack_pct = 100 }", "", "strike", &["must do something"]),
        ("target = \"enemy\"\nmana = 5", "target = \"ally\"\nmana = 5", "strike", &["an ally ability cannot deal damage"]),
        ("effect = \"war_cry\"", "damage = { base = 3 }", "rally", &["needs a radius"]),
        ("effect = \"war_cry\"", "effect = \"war_cry\"\nradius = 11", "rally", &["radius must be from 0 to 10, got 11"]),
        ("effect = \"war_cry\"", "effect = \"war_cry\"\ndash = 2", "rally", &["dash needs target"]),
        ("range = 1\n", "range = 1\nheal = { base = 2 }\n", "strike", &["damage and heal cannot go together"]),
    ];
    for (from, to, entry, words) in cases {
        assert!(ABILITIES.contains(from), "{from:?}");
        let p = problems(&ABILITIES.replacen(from, to, 1));
        assert_problem(&p, "abilities.toml", entry, words);
    }
}

#[test]
fn a_mob_lists_only_active_abilities_that_exist() {
    let minimal = super::super::content::tests::MINIMAL_MOBS;
    let with = |list: &str| minimal.replacen("[rat]\n", &format!("[rat]\nabilities = {list}\n"), 1);
    let p = problems_in(&[
        ("abilities.toml", Some(ABILITIES)),
        ("mobs.toml", Some(&with("[\"spit\", \"roar\"]"))),
    ]);
    assert_problem(
        &p,
        "mobs.toml",
        "rat",
        &["ability \"roar\" is not in abilities.toml"],
    );
    let p = problems_in(&[
        ("abilities.toml", Some(ABILITIES)),
        ("mobs.toml", Some(&with("[\"tough\"]"))),
    ]);
    assert_problem(&p, "mobs.toml", "rat", &["ability \"tough\" is passive"]);
    let p = problems_in(&[
        ("abilities.toml", Some(ABILITIES)),
        ("mobs.toml", Some(&with("[\"spit\"]"))),
    ]);
    assert!(p.is_empty(), "{p:?}");
}

#[test]
fn stun_slow_and_shield_effects_have_their_own_ranges() {
    let control = r#"
[stunned]
name = "Stunned"
kind = "stun"
duration_ticks = 40
stacking = "ignore"

[slowed]
name = "Slowed"
kind = "slow"
duration_ticks = 100
magnitude = 40
stacking = "refresh"

[ward]
name = "Ward"
kind = "shield"
duration_ticks = 100
magnitude = 30
stacking = "refresh"
"#;
    let minimal = super::super::content::tests::MINIMAL_EFFECTS;
    let ok = format!("{minimal}{control}");
    assert!(problems_in(&[("effects.toml", Some(&ok))]).is_empty());
    #[rustfmt::skip]
    let cases: &[(&str, &str, &str, &str)] = &[
        ("stacking = \"ignore\"", "stacking = \"ignore\"\nmagnitude = 2", "stunned", "magnitude does not apply to a stun"),
        ("magnitude = 40", "magnitude = 101", "slowed", "magnitude must be from 1 to 100, got 101"),
        ("magnitude = 30", "magnitude = 0", "ward", "magnitude must be from 1 to 100000, got 0"),
        ("magnitude = 30", "magnitude = 30\ninterval_ticks = 5", "ward", "interval_ticks only applies to dot and hot"),
        ("magnitude = 40", "magnitude = 40\nmodifiers = { attack = -1 }", "slowed", "only apply to buff and debuff"),
    ];
    for (from, to, entry, words) in cases {
        let text = format!("{minimal}{}", control.replacen(from, to, 1));
        let p = problems_in(&[("effects.toml", Some(&text))]);
        assert_problem(&p, "effects.toml", entry, &[words]);
    }
}
