//! The bounded run's mutated inputs. Random bytes rarely get past a JSON or TOML parser's
//! first character, so each target also runs seeds from its corpus with a few random edits
//! (bytes set, the format's tokens inserted, stretches deleted, repeated or spliced in from
//! another seed) — a small stand-in, inside the normal test build, for what libFuzzer's
//! mutator does in the long run. bolero generates and shrinks the edits. (The
//! text-command target in `emberkeep-systems` includes this file too.)

use std::path::Path;
use std::time::Duration;

/// One edit of a seed; positions wrap around the input's length.
#[derive(Debug, Clone, bolero::TypeGenerator)]
pub enum Edit {
    /// Overwrite one byte.
    Set { at: u32, byte: u8 },
    /// Insert one of [`TOKENS`].
    Token { at: u32, which: u8 },
    /// Remove up to `len` bytes.
    Delete { at: u32, len: u8 },
    /// Copy a stretch of the input to another place (repeats, deeper nesting).
    Copy { from: u32, len: u16, to: u32 },
    /// Insert a stretch of another seed.
    Splice {
        seed: u16,
        from: u32,
        len: u16,
        to: u32,
    },
}

/// Pieces that matter to the formats read here (JSON, TOML, rhai, HTTP-ish text).
const TOKENS: &[&[u8]] = &[
    b"\"",
    b"'",
    b"{",
    b"}",
    b"[",
    b"]",
    b"[[",
    b"]]",
    b",",
    b":",
    b"=",
    b"\n",
    b" ",
    b"\\",
    b"\\u0000",
    b"0",
    b"-1",
    b"-0",
    b"255",
    b"256",
    b"65536",
    b"2147483647",
    b"2147483648",
    b"-2147483649",
    b"4294967296",
    b"9223372036854775808",
    b"18446744073709551616",
    b"1e308",
    b"1e309",
    b"-1e309",
    b"0.5",
    b"nan",
    b"inf",
    b"-inf",
    b"true",
    b"false",
    b"null",
    b"\"\"",
    b"{}",
    b"[]",
    b"\xc3\xa9",
    b"\xf0\x9f\x94\xa5",
    b"\xff",
    b"/",
    b"#",
    b"(",
    b")",
    b";",
    b"\"type\"",
    b"\"\"\"",
    b"'''",
    b"1979-05-27T07:32:00Z",
];

/// Longest input an edit may grow: edits repeat stretches, and the targets' own limits are
/// what is tested, not the machine's memory.
const MAX_LEN: usize = 1 << 20;

/// The seeds of one target: its checked-in corpus.
pub struct Seeds(Vec<Vec<u8>>);

impl Seeds {
    /// Reads `<fuzz_dir>/<target>/corpus/` (`fuzz_dir` is the `__fuzz__` folder beside the
    /// target's source).
    pub fn of(fuzz_dir: &Path, target: &str) -> Seeds {
        let dir = fuzz_dir.join(target).join("corpus");
        let mut files: Vec<_> = std::fs::read_dir(&dir)
            .unwrap_or_else(|e| panic!("corpus {}: {e}", dir.display()))
            .map(|e| e.unwrap().path())
            .collect();
        files.sort();
        let seeds: Vec<Vec<u8>> = files.iter().map(|f| std::fs::read(f).unwrap()).collect();
        assert!(!seeds.is_empty(), "{} has seeds", dir.display());
        Seeds(seeds)
    }

    /// Seed `seed` (wrapping) with `edits` applied in order.
    pub fn mutate(&self, seed: u16, edits: &[Edit]) -> Vec<u8> {
        let mut out = self.pick(seed).to_vec();
        for edit in edits {
            let at = |p: u32, out: &Vec<u8>| p as usize % (out.len() + 1);
            match *edit {
                Edit::Set { at: p, byte } => {
                    if !out.is_empty() {
                        let i = p as usize % out.len();
                        out[i] = byte;
                    }
                }
                Edit::Token { at: p, which } => {
                    let i = at(p, &out);
                    let token = TOKENS[usize::from(which) % TOKENS.len()];
                    out.splice(i..i, token.iter().copied());
                }
                Edit::Delete { at: p, len } => {
                    let i = at(p, &out);
                    let end = (i + usize::from(len)).min(out.len());
                    out.drain(i..end);
                }
                Edit::Copy { from, len, to } => {
                    let i = at(from, &out);
                    let piece = out[i..(i + usize::from(len)).min(out.len())].to_vec();
                    let j = at(to, &out);
                    out.splice(j..j, piece);
                }
                Edit::Splice {
                    seed,
                    from,
                    len,
                    to,
                } => {
                    let other = self.pick(seed);
                    let i = from as usize % (other.len() + 1);
                    let piece = &other[i..(i + usize::from(len)).min(other.len())];
                    let j = at(to, &out);
                    out.splice(j..j, piece.iter().copied());
                }
            }
            out.truncate(MAX_LEN);
        }
        out
    }

    fn pick(&self, seed: u16) -> &[u8] {
        &self.0[usize::from(seed) % self.0.len()]
    }
}

/// Runs `target` on mutated seeds of `name` for `time`. A failing input is also written to
/// `<temp dir>/emberkeep-fuzz/<name>` (the last one written is the shrunk one bolero reports
/// with its seed and edits), to be kept as a regression case in the target's `crashes/`.
pub fn run(
    fuzz_dir: &Path,
    name: &str,
    time: Duration,
    target: impl Fn(&[u8]) + std::panic::RefUnwindSafe,
) {
    let seeds = Seeds::of(fuzz_dir, name);
    let failing = std::env::temp_dir().join("emberkeep-fuzz").join(name);
    bolero::check!(name = format!("{name}_mutated"))
        .with_test_time(time)
        .with_type::<(u16, Vec<Edit>)>()
        .for_each(|(seed, edits)| {
            let input = seeds.mutate(*seed, edits);
            let report = KeepOnPanic {
                input: &input,
                to: &failing,
            };
            target(&input);
            std::mem::forget(report);
        });
}

/// Writes the input to a file if the target panics while this is alive.
struct KeepOnPanic<'a> {
    input: &'a [u8],
    to: &'a Path,
}

impl Drop for KeepOnPanic<'_> {
    fn drop(&mut self) {
        if std::thread::panicking() {
            let kept = self
                .to
                .parent()
                .map_or(Ok(()), std::fs::create_dir_all)
                .and_then(|()| std::fs::write(self.to, self.input));
            match kept {
                Ok(()) => eprintln!("failing input written to {}", self.to.display()),
                Err(e) => eprintln!("failing input not written to {}: {e}", self.to.display()),
            }
        }
    }
}
