//! The world's only source of randomness: a seeded, portable PRNG resource.

use bevy_ecs::prelude::Resource;
use rand_core::SeedableRng;
use rand_pcg::Pcg64Mcg;

/// Seeded random number generator; the same seed replays the same world.
#[derive(Resource, Debug, Clone)]
pub(crate) struct WorldRng(pub Pcg64Mcg);

impl WorldRng {
    /// A generator seeded from one number.
    pub(crate) fn seeded(seed: u64) -> Self {
        WorldRng(Pcg64Mcg::seed_from_u64(seed))
    }
}
