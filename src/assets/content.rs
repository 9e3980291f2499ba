//! Content files: reads `rules.toml`, `classes.toml`, `effects.toml`, `items.toml`,
//! `mobs.toml`, `loot.toml`, the optional `quests.toml`, `achievements.toml`, `shops.toml`,
//! `abilities.toml` (checked by `ability_checks.rs`), `skills.toml`, `nodes.toml` and
//! `recipes.toml` (checked by `skill_checks.rs`), the story
//! files (`triggers.toml`, `dialogue.toml`, `scripts/*.rhai`, checked by `story_checks.rs`)
//! and the locale files (`locales.rs`) from the assets folder into
//! [`Content`], and reports every problem at once — each broken entry by name, while the other
//! entries are still checked. The rules themselves (ranges, references) live in
//! `content_checks.rs`.

use std::collections::{BTreeMap, BTreeSet};
use std::fmt;
use std::path::{Path, PathBuf};

use emberkeep_components::abilities::AbilityDef;
use emberkeep_components::content::{
    ClassDef, CombatRules, Content, DerivedRules, EffectDef, GuildRules, InventoryRules, ItemDef,
    LevelRules, LootDrop, LootRules, LootTable, MobDef, PartyRules, RegenRules, Rules,
};
use emberkeep_components::economy::ShopDef;
use emberkeep_components::quests::{AchievementDef, QuestDef};
use emberkeep_components::skills::{NodeDef, RecipeDef, SkillDef};
use serde::de::DeserializeOwned;

use emberkeep_components::story_content::{DialogueDef, Script, StoryContent, TriggerDef};

use super::content_checks as checks;
use super::story_checks;

/// The content files, in the order they are read and reported.
pub const FILES: [&str; 6] = [
    "rules.toml",
    "classes.toml",
    "effects.toml",
    "items.toml",
    "mobs.toml",
    "loot.toml",
];

/// Content files a world may do without (missing: no entries), read after [`FILES`].
pub const OPTIONAL_FILES: [&str; 7] = [
    "quests.toml",
    "achievements.toml",
    "shops.toml",
    "abilities.toml",
    "skills.toml",
    "nodes.toml",
    "recipes.toml",
];

/// One thing wrong with the assets: the file, the entry in it (may be empty) and why.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ContentProblem {
    /// The file, as found in the assets folder.
    pub file: PathBuf,
    /// Entry id (`rat`) or rules section (`levels`); empty for the file as a whole.
    pub entry: String,
    /// What is wrong, naming the field, in one line.
    pub reason: String,
}

impl fmt::Display for ContentProblem {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}: ", self.file.display())?;
        if !self.entry.is_empty() {
            write!(f, "[{}]: ", self.entry)?;
        }
        f.write_str(&self.reason)
    }
}

/// Every problem found in the content files (never empty).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub struct ContentErrors {
    /// In file order, then entry order.
    pub problems: Vec<ContentProblem>,
}

impl fmt::Display for ContentErrors {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write_lines(f, &self.problems)
    }
}

/// Writes problems one per line.
pub(super) fn write_lines(f: &mut fmt::Formatter<'_>, problems: &[ContentProblem]) -> fmt::Result {
    for (i, p) in problems.iter().enumerate() {
        if i > 0 {
            f.write_str("\n")?;
        }
        write!(f, "{p}")?;
    }
    Ok(())
}

/// Reads and validates every content file in `dir`. `spawn_areas` is left empty: they come
/// from the map (see `assets::load_assets`).
pub fn load(dir: &Path) -> Result<Content, ContentErrors> {
    let loaded = read_all(dir);
    // `content` is only missing when a file could not be read, which is a problem listed.
    match loaded.content {
        Some(content) if loaded.problems.is_empty() => Ok(content),
        _ => Err(ContentErrors {
            problems: loaded.problems,
        }),
    }
}

/// The entries of one file that parsed, and the ids of every entry (even broken ones), so
/// references to a broken entry are not reported a second time.
pub(super) struct Entries<T> {
    /// Where the file is.
    pub file: PathBuf,
    /// Entries that parsed, by id.
    pub defs: BTreeMap<String, T>,
    /// Every id in the file; `None` if the file itself could not be read or parsed.
    pub ids: Option<BTreeSet<String>>,
}

impl<T> Entries<T> {
    /// Whether a reference to `id` is fine (or cannot be checked: the file is broken).
    pub fn knows(&self, id: &str) -> bool {
        self.ids.as_ref().is_none_or(|ids| ids.contains(id))
    }
}

/// Everything read from the content files, usable or not, and the problems so far.
pub(super) struct Loaded {
    /// The whole content, if every file parsed (problems may still be listed).
    pub content: Option<Content>,
    /// The mobs, for checking the map's spawn areas.
    pub mobs: Entries<MobDef>,
    /// The triggers, for checking their zones against the map.
    pub triggers: Entries<TriggerDef>,
    /// Every problem found.
    pub problems: Vec<ContentProblem>,
    /// What is worth fixing but does not stop the content from loading (a missing
    /// translation).
    pub warnings: Vec<ContentProblem>,
}

/// Collects problems for one file.
pub(super) struct Sink<'a> {
    /// The file the problems are about.
    pub file: &'a Path,
    /// Where they go.
    pub out: &'a mut Vec<ContentProblem>,
}

impl Sink<'_> {
    /// Records a problem with `entry` (empty: the whole file).
    pub fn add(&mut self, entry: &str, reason: impl Into<String>) {
        self.out.push(ContentProblem {
            file: self.file.to_owned(),
            entry: entry.to_owned(),
            reason: reason.into(),
        });
    }
}

/// Reads every file, runs every check, and keeps whatever parsed.
pub(super) fn read_all(dir: &Path) -> Loaded {
    let mut problems = Vec::new();
    let rules_file = dir.join("rules.toml");
    let rules = read_rules(&rules_file, &mut problems);
    let classes = read_entries(dir, "classes.toml", &mut problems, entry::<ClassDef>);
    let effects = read_entries(dir, "effects.toml", &mut problems, entry::<EffectDef>);
    let items = read_entries(dir, "items.toml", &mut problems, entry::<ItemDef>);
    let mobs = read_entries(dir, "mobs.toml", &mut problems, entry::<MobDef>);
    let loot = read_entries(dir, "loot.toml", &mut problems, loot_entry);
    let quests = read_optional(dir, "quests.toml", &mut problems, entry::<QuestDef>);
    let achievements = read_optional(
        dir,
        "achievements.toml",
        &mut problems,
        entry::<AchievementDef>,
    );
    let shops = read_optional(dir, "shops.toml", &mut problems, entry::<ShopDef>);
    let skills = read_optional(dir, "skills.toml", &mut problems, entry::<SkillDef>);
    let nodes = read_optional(dir, "nodes.toml", &mut problems, entry::<NodeDef>);
    let recipes = read_optional(dir, "recipes.toml", &mut problems, entry::<RecipeDef>);
    let abilities = read_optional(dir, "abilities.toml", &mut problems, entry::<AbilityDef>);
    let mut warnings = Vec::new();
    let locales = super::locales::read(dir, &mut problems, &mut warnings);
    let triggers = read_optional(dir, "triggers.toml", &mut problems, entry::<TriggerDef>);
    let dialogues = read_optional(dir, "dialogue.toml", &mut problems, entry::<DialogueDef>);
    let scripts = read_scripts(dir, &mut problems);

    if let Some(rules) = &rules {
        checks::rules(rules, &rules_file, &classes, &mut problems);
    }
    checks::classes(&classes, &items, &mut problems);
    checks::effects(&effects, &mut problems);
    checks::items(&items, &effects, &mut problems);
    checks::mobs(&mobs, &loot, &mut problems);
    checks::loot(&loot, &items, &mut problems);
    super::ability_checks::abilities(&abilities, &classes, &effects, &mut problems);
    super::ability_checks::mob_abilities(&mobs, &abilities, &mut problems);
    super::quest_checks::quests(&quests, &items, &mobs, &mut problems);
    super::quest_checks::achievements(&achievements, &mobs, &mut problems);
    super::shop_checks::shops(&shops, &items, &mobs, &mut problems);
    super::skill_checks::skills(&skills, &mut problems);
    super::skill_checks::nodes(&nodes, &skills, &items, &mut problems);
    super::skill_checks::recipes(&recipes, &skills, &items, &mut problems);
    super::skill_checks::counters(&achievements, &nodes, &recipes, &mut problems);
    let refs = story_checks::Refs {
        items: &items,
        mobs: &mobs,
        effects: &effects,
        dialogues: &dialogues,
        scripts: &scripts,
    };
    story_checks::triggers(&triggers, &refs, &mut problems);
    story_checks::dialogues(&dialogues, &refs, &mut problems);

    let complete = [
        &classes.ids,
        &effects.ids,
        &items.ids,
        &mobs.ids,
        &loot.ids,
        &quests.ids,
        &achievements.ids,
        &shops.ids,
        &skills.ids,
        &nodes.ids,
        &recipes.ids,
        &abilities.ids,
        &triggers.ids,
        &dialogues.ids,
    ]
    .iter()
    .all(|ids| ids.is_some());
    let content = match (rules, locales) {
        (Some(rules), Some(locales)) if complete => Some(Content {
            rules,
            classes: classes.defs,
            effects: effects.defs,
            items: items.defs,
            mobs: (mobs.defs.iter())
                .map(|(id, def)| (id.clone(), std::sync::Arc::new(def.clone())))
                .collect(),
            loot: loot.defs,
            abilities: abilities.defs,
            shops: shops.defs,
            quests: quests.defs,
            achievements: achievements.defs,
            spawn_areas: Vec::new(),
            locales,
            story: StoryContent::new(triggers.defs.clone(), dialogues.defs, scripts),
            skills: skills.defs,
            nodes: nodes.defs,
            recipes: recipes.defs,
        }),
        _ => None,
    };
    Loaded {
        content,
        mobs,
        triggers,
        problems,
        warnings,
    }
}

/// Reads a file and parses it as a TOML table; problems go to `out`.
pub(super) fn read_table(file: &Path, out: &mut Vec<ContentProblem>) -> Option<toml::Table> {
    let mut sink = Sink { file, out };
    let text = match std::fs::read_to_string(file) {
        Ok(t) => t,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
            sink.add("", "file is missing; create it (see docs/content.md)");
            return None;
        }
        Err(e) => {
            sink.add("", format!("cannot read: {e}"));
            return None;
        }
    };
    match toml::from_str::<toml::Table>(&text) {
        Ok(t) => Some(t),
        Err(e) => {
            sink.add("", syntax_error(&text, &e));
            None
        }
    }
}

/// A TOML syntax error in one line: `line L, column C: message`.
fn syntax_error(text: &str, e: &toml::de::Error) -> String {
    let message = e.message().trim().replace('\n', "; ");
    let Some(start) = e.span().map(|s| s.start) else {
        return format!("not valid TOML: {message}");
    };
    let before = text.get(..start).unwrap_or(text);
    let line = before.matches('\n').count() + 1;
    let column = before.rsplit('\n').next().unwrap_or("").chars().count() + 1;
    format!("not valid TOML at line {line}, column {column}: {message}")
}

/// [`read_entries`] for a file that may be missing (then it has no entries).
fn read_optional<T>(
    dir: &Path,
    name: &str,
    out: &mut Vec<ContentProblem>,
    parse: fn(toml::Value) -> Result<T, Vec<String>>,
) -> Entries<T> {
    let file = dir.join(name);
    if !file.exists() {
        return Entries {
            file,
            defs: BTreeMap::new(),
            ids: Some(BTreeSet::new()),
        };
    }
    read_entries(dir, name, out, parse)
}

/// Reads one file of `[id]` entries, parsing each entry on its own.
fn read_entries<T>(
    dir: &Path,
    name: &str,
    out: &mut Vec<ContentProblem>,
    parse: fn(toml::Value) -> Result<T, Vec<String>>,
) -> Entries<T> {
    let file = dir.join(name);
    let mut entries = Entries {
        defs: BTreeMap::new(),
        ids: None,
        file,
    };
    let Some(table) = read_table(&entries.file, out) else {
        return entries;
    };
    let mut sink = Sink {
        file: &entries.file,
        out,
    };
    let mut ids = BTreeSet::new();
    for (id, value) in table {
        if !is_id(&id) {
            sink.add(
                &id,
                "ids must be lower_snake_case ASCII: a letter a-z, then a-z, 0-9 or _",
            );
        }
        ids.insert(id.clone());
        if !value.is_table() {
            sink.add(
                &id,
                format!(
                    "expected a table ([{id}] followed by its keys), got {}",
                    value.type_str()
                ),
            );
            continue;
        }
        match parse(value) {
            Ok(def) => {
                entries.defs.insert(id, def);
            }
            Err(reasons) => reasons.into_iter().for_each(|r| sink.add(&id, r)),
        }
    }
    entries.ids = Some(ids);
    entries
}

/// Reads and compiles every `scripts/<id>.rhai` (the folder may be missing).
fn read_scripts(dir: &Path, out: &mut Vec<ContentProblem>) -> BTreeMap<String, Script> {
    let folder = dir.join("scripts");
    let mut scripts = BTreeMap::new();
    let Ok(listing) = std::fs::read_dir(&folder) else {
        return scripts;
    };
    let mut files: Vec<PathBuf> = listing
        .filter_map(|e| e.ok().map(|e| e.path()))
        .filter(|p| p.extension().is_some_and(|x| x == "rhai"))
        .collect();
    files.sort();
    for file in files {
        let mut sink = Sink { file: &file, out };
        let id = file
            .file_stem()
            .map(|s| s.to_string_lossy().into_owned())
            .unwrap_or_default();
        if !is_id(&id) {
            sink.add(
                "",
                "script file names must be lower_snake_case ASCII ids (`bell_tower.rhai`)",
            );
            continue;
        }
        let source = match std::fs::read_to_string(&file) {
            Ok(s) => s,
            Err(e) => {
                sink.add("", format!("cannot read: {e}"));
                continue;
            }
        };
        match emberkeep_systems::story::script::compile(&source) {
            Ok(ast) => {
                let script = Script {
                    file: format!("scripts/{id}.rhai"),
                    source: source.into(),
                    ast: std::sync::Arc::new(ast),
                };
                scripts.insert(id, script);
            }
            Err(e) => sink.add("", format!("does not compile: {e}")),
        }
    }
    scripts
}

/// Whether `s` is a valid id: `[a-z][a-z0-9_]*`.
pub fn is_id(s: &str) -> bool {
    let mut chars = s.chars();
    chars.next().is_some_and(|c| c.is_ascii_lowercase())
        && chars.all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '_')
}

fn entry<T: DeserializeOwned>(value: toml::Value) -> Result<T, Vec<String>> {
    value.try_into().map_err(|e| vec![describe(&e)])
}

/// A loot table, parsing each drop on its own so a problem names its index.
fn loot_entry(value: toml::Value) -> Result<LootTable, Vec<String>> {
    let known = value
        .as_table()
        .is_some_and(|t| t.keys().all(|k| k == "drops" || k == "gold"));
    let Some(toml::Value::Array(drops)) = value.get("drops").filter(|_| known) else {
        return entry(value);
    };
    let gold = match value.get("gold").cloned().map(toml::Value::try_into) {
        None => None,
        Some(Ok(g)) => Some(g),
        Some(Err(e)) => return Err(vec![format!("gold: {}", describe(&e))]),
    };
    let mut parsed = Vec::new();
    let mut reasons = Vec::new();
    for (i, drop) in drops.iter().enumerate() {
        match drop.clone().try_into::<LootDrop>() {
            Ok(d) => parsed.push(d),
            Err(e) => reasons.push(format!("drops[{i}]: {}", describe(&e))),
        }
    }
    if reasons.is_empty() {
        Ok(LootTable {
            drops: parsed,
            gold,
        })
    } else {
        Err(reasons)
    }
}

/// Reads `rules.toml`, one section at a time so that every broken section is reported.
fn read_rules(file: &Path, out: &mut Vec<ContentProblem>) -> Option<Rules> {
    let mut table = read_table(file, out)?;
    let mut sink = Sink { file, out };
    let default_class = match table.remove("default_class") {
        Some(toml::Value::String(s)) => Some(s),
        Some(other) => {
            sink.add(
                "",
                format!(
                    "default_class must be a string (a class id), got {}",
                    other.type_str()
                ),
            );
            None
        }
        None => {
            sink.add("", "missing key `default_class` (a class id)");
            None
        }
    };
    let levels = section::<LevelRules>(&mut table, "levels", &mut sink);
    let derived = section::<DerivedRules>(&mut table, "derived", &mut sink);
    let regen = section::<RegenRules>(&mut table, "regen", &mut sink);
    let combat = section::<CombatRules>(&mut table, "combat", &mut sink);
    let loot = section::<LootRules>(&mut table, "loot", &mut sink);
    let inventory = section::<InventoryRules>(&mut table, "inventory", &mut sink);
    // Optional: a rules file without them (written before parties and guilds) gets the
    // defaults.
    let party = optional_section::<PartyRules>(&mut table, "party", &mut sink);
    let guilds = optional_section::<GuildRules>(&mut table, "guilds", &mut sink);
    for key in table.keys() {
        sink.add(
            "",
            format!(
                "unknown key `{key}`, expected one of `default_class`, `levels`, `derived`, \
                 `regen`, `combat`, `loot`, `inventory`, `party`, `guilds`"
            ),
        );
    }
    Some(Rules {
        default_class: default_class?,
        levels: levels?,
        derived: derived?,
        regen: regen?,
        combat: combat?,
        loot: loot?,
        inventory: inventory?,
        party: party?,
        guilds: guilds?,
    })
}

/// A table the file may leave out: its defaults if absent, else as [`section`] reads it.
fn optional_section<T: DeserializeOwned + Default>(
    table: &mut toml::Table,
    name: &str,
    sink: &mut Sink,
) -> Option<T> {
    if table.contains_key(name) {
        section(table, name, sink)
    } else {
        Some(T::default())
    }
}

fn section<T: DeserializeOwned>(table: &mut toml::Table, name: &str, sink: &mut Sink) -> Option<T> {
    let Some(value) = table.remove(name) else {
        sink.add(name, format!("missing section [{name}]"));
        return None;
    };
    if !value.is_table() {
        sink.add(
            name,
            format!("expected a table ([{name}]), got {}", value.type_str()),
        );
        return None;
    }
    match value.try_into() {
        Ok(v) => Some(v),
        Err(e) => {
            sink.add(name, describe(&e));
            None
        }
    }
}

/// Turns a serde error from toml into one line for designers, naming the key.
fn describe(e: &toml::de::Error) -> String {
    let full = e.to_string();
    let path = full
        .lines()
        .filter_map(|l| l.strip_prefix("in `")?.strip_suffix('`'))
        .next_back();
    let message = e.message().trim().replace('\n', "; ");
    let reason = if let Some(rest) = message.strip_prefix("unknown field ") {
        format!("unknown key {rest}")
    } else if let Some(rest) = message.strip_prefix("missing field ") {
        format!("missing key {rest}")
    } else if let Some(rest) = message.strip_prefix("unknown variant ") {
        format!("unknown value {rest}")
    } else if let Some((got, want)) = message
        .strip_prefix("invalid value: integer `")
        .and_then(|r| r.split_once("`, expected "))
    {
        return match path {
            Some(p) if got.starts_with('-') && want.starts_with('u') => {
                format!("{p} must not be negative, got {got}")
            }
            Some(p) => format!("{p} is out of range for {}, got {got}", kind_of(want)),
            None => format!("integer {got} is out of range for {}", kind_of(want)),
        };
    } else if let Some((got, want)) = message
        .strip_prefix("invalid type: ")
        .and_then(|r| r.split_once(", expected "))
    {
        format!("expected {}, got {got}", kind_of(want))
    } else {
        message
    };
    match path {
        Some(p) => format!("{p}: {reason}"),
        None => reason,
    }
}

/// A designer's name for what serde expected.
fn kind_of(expected: &str) -> &str {
    match expected {
        "u32" | "u64" => "a whole number, 0 or more",
        "i32" | "i64" => "a whole number",
        "f64" | "f32" => "a number",
        "a boolean" | "bool" => "true or false",
        "a string" => "a string (in quotes)",
        "a sequence" => "an array [ ... ]",
        s if s.starts_with("struct ") || s == "a map" => "a table",
        s => s,
    }
}

#[cfg(test)]
#[path = "content_tests.rs"]
pub(crate) mod tests;
