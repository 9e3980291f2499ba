//! Fuzz targets (bolero): one per input surface the server reads from outside — client frames,
//! Tiled maps, every content file, story scripts, locale files, the config (TOML and
//! environment) and the admin API's JSON bodies. (The text-command target needs the headless
//! world of `emberkeep-systems`' tests, so it lives there: `commands::text_fuzz`.)
//!
//! Under `cargo test` each target replays its checked-in corpus
//! (`fuzz/tests/__fuzz__/<target>/corpus/`, and `crashes/` if there is one) and then runs random
//! inputs for [`BOUNDED`], then mutated corpus seeds as long (`BOLERO_RANDOM_TEST_TIME_MS`
//! overrides both). `tools/fuzz.sh TARGET SECS`
//! runs the same target coverage-guided under libFuzzer; see docs/FUZZING.md.
//!
//! Each target asserts its surface's contract, not only "no panic": see [`targets`].

use emberkeep_fuzz::{mutate, targets};
use std::time::Duration;

/// How long each target runs random inputs in the normal test run, after its corpus.
const BOUNDED: Duration = Duration::from_secs(1);

/// Runs `target` on every corpus file of `name`, then on random inputs; in the normal test
/// run (not under a fuzzing engine) then on mutated corpus seeds ([`mutate`]) as long again.
macro_rules! fuzz {
    ($name:expr, $target:expr) => {{
        let target = $target;
        bolero::check!(name = $name)
            .with_test_time(BOUNDED)
            .for_each(&target);
        #[cfg(not(fuzzing))]
        mutate::run(&fuzz_dir(), $name, BOUNDED, &target);
    }};
}

/// Where the targets' corpora are.
#[cfg(not(fuzzing))]
fn fuzz_dir() -> std::path::PathBuf {
    std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/__fuzz__")
}

#[test]
fn protocol_frame() {
    fuzz!("protocol_frame", targets::protocol_frame);
}

#[test]
fn tiled_map() {
    fuzz!("tiled_map", targets::tiled_map);
}

#[test]
fn config() {
    fuzz!("config", targets::config);
}

#[test]
fn script() {
    fuzz!("script", targets::script);
}

#[test]
fn admin_body() {
    // The server's runtime and handles are not unwind safe; a failing input ends the test.
    let admin = std::panic::AssertUnwindSafe(targets::AdminServer::start());
    let admin = &admin;
    fuzz!("admin_body", move |data: &[u8]| admin.check(data));
}

/// One test per content file: the input replaces that file in a copy of the shipped assets.
macro_rules! content_targets {
    ($($test:ident => $file:literal),* $(,)?) => {$(
        #[test]
        fn $test() {
            let dir = targets::ContentDir::new($file);
            fuzz!(stringify!($test), |data: &[u8]| dir.check(data));
        }
    )*};
}

content_targets! {
    rules_file => "rules.toml",
    classes_file => "classes.toml",
    effects_file => "effects.toml",
    items_file => "items.toml",
    mobs_file => "mobs.toml",
    loot_file => "loot.toml",
    quests_file => "quests.toml",
    achievements_file => "achievements.toml",
    shops_file => "shops.toml",
    abilities_file => "abilities.toml",
    skills_file => "skills.toml",
    nodes_file => "nodes.toml",
    recipes_file => "recipes.toml",
    triggers_file => "triggers.toml",
    dialogue_file => "dialogue.toml",
    locale_file => "locales/en.toml",
}
