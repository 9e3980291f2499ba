//! Emberkeep's fuzz targets: what each one feeds its input to and the contract it holds the
//! answer to ([`targets`]), and the corpus mutations of the bounded run ([`mutate`]). The
//! targets themselves, one bolero test each, are in `tests/targets.rs`; docs/FUZZING.md says
//! how to run them and what the long runs found.

#[path = "../../tests/common/mod.rs"]
mod common;
pub mod mutate;
pub mod targets;
