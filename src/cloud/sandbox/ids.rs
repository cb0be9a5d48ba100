//! Deterministic, realistic-looking AWS identifiers drawn from the sandbox's seeded generator.

use rand::RngExt;
use rand_chacha::ChaCha8Rng;

const HEX: &[u8] = b"0123456789abcdef";
const ALNUM: &[u8] = b"abcdefghijklmnopqrstuvwxyz0123456789";

fn pick(rng: &mut ChaCha8Rng, alphabet: &[u8], len: usize) -> String {
    (0..len)
        .map(|_| char::from(alphabet[rng.random_range(0..alphabet.len())]))
        .collect()
}

/// Lowercase hex, as in `vpc-0a1b...` or a task id.
pub(crate) fn hex(rng: &mut ChaCha8Rng, len: usize) -> String {
    pick(rng, HEX, len)
}

/// Lowercase letters and digits, as in an RDS endpoint's `umami-db.<this>.eu-west-2...`.
pub(crate) fn alnum(rng: &mut ChaCha8Rng, len: usize) -> String {
    pick(rng, ALNUM, len)
}

/// Decimal digits with no leading zero.
pub(crate) fn digits(rng: &mut ChaCha8Rng, len: usize) -> String {
    let first = char::from(b'1' + rng.random_range(0..9u8));
    std::iter::once(first)
        .chain((1..len).map(|_| char::from(b'0' + rng.random_range(0..10u8))))
        .collect()
}

/// An EC2-style resource id: `prefix-` and 17 hex characters.
pub(crate) fn resource(rng: &mut ChaCha8Rng, prefix: &str) -> String {
    format!("{prefix}-{}", hex(rng, 17))
}

pub(crate) fn uuid(rng: &mut ChaCha8Rng) -> String {
    format!(
        "{}-{}-{}-{}-{}",
        hex(rng, 8),
        hex(rng, 4),
        hex(rng, 4),
        hex(rng, 4),
        hex(rng, 12)
    )
}

/// `ecs-svc/` and 19 digits, as ECS names a deployment.
pub(crate) fn deployment(rng: &mut ChaCha8Rng) -> String {
    format!("ecs-svc/{}", digits(rng, 19))
}
