//! The virtual clock: moved by hand in tests, or real time sped up for demos.

use std::time::Instant;

use super::ClockMode;
use crate::model::Millis;

#[derive(Debug)]
pub(crate) struct Clock {
    mode: ClockMode,
    origin: Instant,
    /// Time added by `advance`; a scaled clock can also be skipped forward.
    skipped: Millis,
}

impl Clock {
    pub(crate) fn new(mode: ClockMode) -> Clock {
        Clock {
            mode,
            origin: Instant::now(),
            skipped: 0,
        }
    }

    pub(crate) fn mode(&self) -> ClockMode {
        self.mode
    }

    pub(crate) fn start(&self) -> Millis {
        match self.mode {
            ClockMode::Manual { start } | ClockMode::Scaled { start, .. } => start,
        }
    }

    pub(crate) fn now(&self) -> Millis {
        let elapsed = match self.mode {
            ClockMode::Manual { .. } => 0,
            ClockMode::Scaled { speed, .. } => {
                let virtual_ms = self.origin.elapsed().as_secs_f64() * 1000.0 * speed.max(0.0);
                // A float this large cannot come from a running process; saturate rather than wrap.
                virtual_ms.min(i64::MAX as f64 / 4.0) as Millis
            }
        };
        self.start() + elapsed + self.skipped
    }

    pub(crate) fn advance(&mut self, ms: Millis) {
        self.skipped = self.skipped.saturating_add(ms.max(0));
    }
}
