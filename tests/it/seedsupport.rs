//! Seeds for the randomised tests (mutation, pipeline simulation): a seed
//! from an environment variable when set (to reproduce a failure), else a
//! fresh one; one independent `fastrand::Rng` per numbered stream, so a
//! case can be replayed alone whatever ran before it; and a line on stderr
//! that names the seed and how to set it. Writes no file.

use std::io::Write;

/// The seed of one run and the variable that reproduces it.
#[derive(Debug, Clone, Copy)]
pub struct Seed {
    pub value: u64,
    pub variable: &'static str,
}

impl Seed {
    /// `$variable` (decimal) when set, else a fresh random seed.
    pub fn from_env(variable: &'static str) -> Seed {
        let value = match std::env::var(variable) {
            Ok(text) => text
                .trim()
                .parse()
                .unwrap_or_else(|_| panic!("${variable} must be a decimal u64, not {text:?}")),
            Err(_) => fastrand::u64(..),
        };
        Seed { value, variable }
    }

    /// The generator of stream `stream` (a repository, a pipeline):
    /// independent of every other stream of the same seed.
    pub fn rng(&self, stream: u64) -> fastrand::Rng {
        fastrand::Rng::with_seed(splitmix(self.value ^ splitmix(stream.wrapping_add(1))))
    }

    /// `VARIABLE=value`, to paste in front of `cargo test`.
    pub fn reproduce(&self) -> String {
        format!("{}={}", self.variable, self.value)
    }
}

/// An optional numeric environment variable (a case count, one stream to
/// replay alone).
pub fn env_number(variable: &str) -> Option<u64> {
    let text = std::env::var(variable).ok()?;
    Some(
        text.trim()
            .parse()
            .unwrap_or_else(|_| panic!("${variable} must be a decimal number, not {text:?}")),
    )
}

/// One line on stderr, shown by `cargo test` whether or not it captures
/// output (clippy.toml forbids `eprintln!`).
pub fn report(line: &str) {
    let _ = writeln!(std::io::stderr().lock(), "{line}");
}

/// SplitMix64's finaliser: spreads neighbouring stream numbers apart.
fn splitmix(mut x: u64) -> u64 {
    x = x.wrapping_add(0x9e37_79b9_7f4a_7c15);
    x = (x ^ (x >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
    x = (x ^ (x >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
    x ^ (x >> 31)
}
