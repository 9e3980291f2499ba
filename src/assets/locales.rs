//! Locale files: `locales/<lang>.toml` in the assets folder, one per language, each a TOML
//! table of sections of texts — `[chat]` `too_long = "..."` is the text `chat.too_long`. They
//! are held to the keys the server uses (`emberkeep_components::text::keys::ALL`): English
//! must have every one; every text must show exactly its key's placeholders; a key the server
//! does not use is an error (a typo would otherwise go unnoticed). A key another language
//! lacks is only a warning: its readers get the English text.

use std::path::Path;

use emberkeep_components::text::{Catalog, FALLBACK, Key, Locales, Template, keys, normalize_tag};

use super::content::{ContentProblem, Sink, read_table};

/// The folder, inside the assets folder.
pub const DIR: &str = "locales";

/// Reads every locale file; `None` if English could not be read (a problem says why).
pub(super) fn read(
    dir: &Path,
    problems: &mut Vec<ContentProblem>,
    warnings: &mut Vec<ContentProblem>,
) -> Option<Locales> {
    let folder = dir.join(DIR);
    let english = folder.join(format!("{FALLBACK}.toml"));
    if !english.is_file() {
        Sink {
            file: &english,
            out: problems,
        }
        .add(
            "",
            "file is missing; English must have every text players read (see docs/content.md)",
        );
        return None;
    }
    let mut files: Vec<_> = std::fs::read_dir(&folder)
        .map(|entries| {
            entries
                .filter_map(|e| e.ok().map(|e| e.path()))
                .filter(|p| p.extension().is_some_and(|x| x == "toml"))
                .collect()
        })
        .unwrap_or_default();
    files.sort();
    let mut locales = Locales::default();
    let mut have_english = false;
    for file in &files {
        let lang = file
            .file_stem()
            .map(|s| s.to_string_lossy().into_owned())
            .unwrap_or_default();
        let mut sink = Sink {
            file,
            out: &mut *problems,
        };
        if normalize_tag(&lang).as_deref() != Some(lang.as_str()) {
            sink.add(
                "",
                "the file name must be a language tag in lower case: en.toml, de.toml, pt-br.toml",
            );
            continue;
        }
        let Some(table) = read_table(file, sink.out) else {
            continue;
        };
        let catalog = catalog(table, &mut sink);
        let mut missing = Sink {
            file,
            out: if lang == FALLBACK {
                &mut *problems
            } else {
                &mut *warnings
            },
        };
        for key in keys::ALL {
            if catalog.get(key.id).is_none() {
                let reason = if lang == FALLBACK {
                    format!(
                        "missing: the server sends this text{}",
                        placeholders_hint(*key)
                    )
                } else {
                    format!("missing: players reading {lang} get the English text")
                };
                missing.add(key.id, reason);
            }
        }
        have_english |= lang == FALLBACK;
        locales.insert(lang, catalog);
    }
    have_english.then_some(locales)
}

/// The texts of one file that are fine; every other one is a problem in `sink`.
fn catalog(table: toml::Table, sink: &mut Sink) -> Catalog {
    let mut catalog = Catalog::default();
    for (section, value) in table {
        let toml::Value::Table(texts) = value else {
            sink.add(
                &section,
                format!(
                    "expected a section of texts ([{section}] followed by name = \"text\"), got {}",
                    value.type_str()
                ),
            );
            continue;
        };
        for (name, value) in texts {
            let id = format!("{section}.{name}");
            let Some(key) = keys::find(&id) else {
                sink.add(&id, unknown_key(&section));
                continue;
            };
            let toml::Value::String(text) = value else {
                sink.add(
                    &id,
                    format!("expected a string (in quotes), got {}", value.type_str()),
                );
                continue;
            };
            match Template::parse(&text) {
                Ok(template) => {
                    let reasons = placeholder_problems(key, &template);
                    if reasons.is_empty() {
                        catalog.insert(id, template);
                    }
                    reasons.into_iter().for_each(|r| sink.add(key.id, r));
                }
                Err(e) => sink.add(&id, e.to_string()),
            }
        }
    }
    catalog
}

/// What is wrong with the placeholders of `template`, the text of `key`.
fn placeholder_problems(key: Key, template: &Template) -> Vec<String> {
    let mut unknown: Vec<&str> = Vec::new();
    for name in template.placeholders() {
        if !key.params.contains(&name) && !unknown.contains(&name) {
            unknown.push(name);
        }
    }
    let has = match key.params {
        [] => "has none".to_string(),
        params => format!("has {}", braced(params)),
    };
    let mut reasons: Vec<String> = unknown
        .into_iter()
        .map(|name| format!("unknown placeholder {{{name}}}; this text {has}"))
        .collect();
    for param in key.params {
        if !template.placeholders().any(|p| p == *param) {
            reasons.push(format!(
                "the text drops the placeholder {{{param}}}; it must show it"
            ));
        }
    }
    reasons
}

/// ` (placeholders {a}, {b})`, or ` (no placeholders)`.
fn placeholders_hint(key: Key) -> String {
    match key.params {
        [] => " (no placeholders)".into(),
        params => format!(" (placeholders {})", braced(params)),
    }
}

/// `{a}, {b}`.
fn braced(params: &[&str]) -> String {
    let list: Vec<String> = params.iter().map(|p| format!("{{{p}}}")).collect();
    list.join(", ")
}

/// Why `section.name` is not a key, with the names the section does have.
fn unknown_key(section: &str) -> String {
    let prefix = format!("{section}.");
    let names: Vec<&str> = keys::ALL
        .iter()
        .filter_map(|k| k.id.strip_prefix(&prefix))
        .collect();
    if names.is_empty() {
        format!("unknown key: the server has no section [{section}]")
    } else {
        format!(
            "unknown key: the server has no such text; [{section}] has {}",
            names.join(", ")
        )
    }
}
