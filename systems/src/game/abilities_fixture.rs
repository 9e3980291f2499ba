//! The abilities of the test content (`scenario::test_content`), with round numbers.
//!
//! Class `mage`: str 0, dex 0, int 20, vit 10, no growth → attack 0, defense 5, max hp 100,
//! max mp 30 + 20 from its passive `focus` = 50, crit 0.
//! - fighter `power_strike` (1): enemy, range 1, instant, 5 mp, cooldown 20,
//!   damage 10 + 100 % attack → 20 against defense 0.
//! - fighter `charge` (1): enemy, range 5, dash 4, damage 5, cooldown 10.
//! - fighter `war_stomp` (2): self, radius 1, damage 5, stuns, cooldown 50.
//! - mage `firebolt` (1): enemy, range 6, cast 20 ticks, 10 mp, cooldown 40,
//!   damage 8 + 100 % int → 28 (26 against defense 5).
//! - mage `heal` (1): ally, range 5, instant, 10 mp, heal 10 + 100 % int → 30.
//! - mage `meteor` (1): ground, range 8, radius 1, instant, 10 mp, damage 20.
//! - mage `barrier` (1): self, arcane_shield (absorbs 20). `frost` (1): enemy, range 4, slowed.
//! - mage `focus` (1): passive, +20 max mp.
//! - no class `spit`: enemy, range 4, instant, cooldown 30, damage 15 (13 against defense 5);
//!   the `shaman` mob (hp 40, attack 0) casts it.

use std::sync::Arc;

use emberkeep_components::abilities::{
    AbilityDef, AbilityKind, DamageFormula, HealFormula, TargetKind,
};
use emberkeep_components::content::{BaseStats, ClassDef, Content, Stat};

fn active(class: Option<&str>, name: &str, target: TargetKind, range: i32) -> AbilityDef {
    AbilityDef {
        name: name.into(),
        description: String::new(),
        class: class.map(String::from),
        level: 1,
        kind: AbilityKind::Active,
        target: Some(target),
        mana: 0,
        cooldown_ticks: 0,
        cast_ticks: 0,
        range,
        radius: 0,
        damage: None,
        heal: None,
        effect: None,
        dash: 0,
        modifiers: Default::default(),
        percent: Default::default(),
    }
}

fn damage(base: i32, attack_pct: i32, int_pct: i32) -> Option<DamageFormula> {
    Some(DamageFormula {
        base,
        attack_pct,
        int_pct,
    })
}

/// Adds the class `mage`, the abilities above and the `shaman` mob.
pub(crate) fn add(c: &mut Content) {
    c.classes.insert(
        "mage".into(),
        ClassDef {
            name: "Mage".into(),
            description: String::new(),
            base: BaseStats {
                str: 0,
                dex: 0,
                int: 20,
                vit: 10,
            },
            growth: BaseStats::default(),
            starting_items: Vec::new(),
        },
    );
    let (f, m) = (Some("fighter"), Some("mage"));
    let mut add = |id: &str, def: AbilityDef| {
        c.abilities.insert(id.into(), def);
    };
    add(
        "power_strike",
        AbilityDef {
            mana: 5,
            cooldown_ticks: 20,
            damage: damage(10, 100, 0),
            ..active(f, "Power Strike", TargetKind::Enemy, 1)
        },
    );
    add(
        "charge",
        AbilityDef {
            cooldown_ticks: 10,
            dash: 4,
            damage: damage(5, 0, 0),
            ..active(f, "Charge", TargetKind::Enemy, 5)
        },
    );
    add(
        "war_stomp",
        AbilityDef {
            level: 2,
            cooldown_ticks: 50,
            radius: 1,
            damage: damage(5, 0, 0),
            effect: Some("stunned".into()),
            ..active(f, "War Stomp", TargetKind::Myself, 0)
        },
    );
    add(
        "firebolt",
        AbilityDef {
            mana: 10,
            cooldown_ticks: 40,
            cast_ticks: 20,
            damage: damage(8, 0, 100),
            ..active(m, "Firebolt", TargetKind::Enemy, 6)
        },
    );
    add(
        "heal",
        AbilityDef {
            mana: 10,
            heal: Some(HealFormula {
                base: 10,
                int_pct: 100,
            }),
            ..active(m, "Heal", TargetKind::Ally, 5)
        },
    );
    add(
        "meteor",
        AbilityDef {
            mana: 10,
            radius: 1,
            damage: damage(20, 0, 0),
            ..active(m, "Meteor", TargetKind::Ground, 8)
        },
    );
    add(
        "barrier",
        AbilityDef {
            effect: Some("arcane_shield".into()),
            ..active(m, "Barrier", TargetKind::Myself, 0)
        },
    );
    add(
        "frost",
        AbilityDef {
            effect: Some("slowed".into()),
            ..active(m, "Frost", TargetKind::Enemy, 4)
        },
    );
    add(
        "focus",
        AbilityDef {
            kind: AbilityKind::Passive,
            target: None,
            modifiers: [(Stat::MaxMp, 20)].into_iter().collect(),
            ..active(m, "Focus", TargetKind::Myself, 0)
        },
    );
    add(
        "spit",
        AbilityDef {
            cooldown_ticks: 30,
            damage: damage(15, 0, 0),
            ..active(None, "Spit", TargetKind::Enemy, 4)
        },
    );
}

/// The `shaman` mob: a rat's numbers with 40 hp, no attack, and `spit`.
pub(crate) fn shaman(
    rat: &emberkeep_components::content::MobDef,
) -> Arc<emberkeep_components::content::MobDef> {
    let mut m = rat.clone();
    m.name = "Shaman".into();
    m.hp = 40;
    m.attack = 0;
    m.xp = 0;
    m.loot = None;
    m.abilities = vec!["spit".into()];
    Arc::new(m)
}
