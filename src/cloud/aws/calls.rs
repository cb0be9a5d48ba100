//! Counts the AWS API calls a client makes, per operation, so tests can hold efficiency to account.

use std::collections::BTreeMap;
use std::sync::{Arc, Mutex};

use aws_smithy_runtime_api::box_error::BoxError;
use aws_smithy_runtime_api::client::interceptors::Intercept;
use aws_smithy_runtime_api::client::interceptors::context::{
    BeforeSerializationInterceptorContextRef, BeforeTransmitInterceptorContextRef,
};
use aws_smithy_runtime_api::client::orchestrator::Metadata;
use aws_smithy_runtime_api::client::runtime_components::RuntimeComponents;
use aws_smithy_types::config_bag::ConfigBag;

/// Calls (one per SDK operation invoked) and attempts (HTTP requests, retries included),
/// keyed by `Service.Operation`, e.g. `ECS.DescribeServices`.
#[derive(Debug, Clone, Default)]
pub struct CallCounter {
    inner: Arc<Mutex<Counts>>,
}

#[derive(Debug, Default)]
struct Counts {
    calls: BTreeMap<String, u64>,
    attempts: BTreeMap<String, u64>,
}

impl CallCounter {
    pub fn new() -> CallCounter {
        CallCounter::default()
    }

    /// Operations invoked, per `Service.Operation`.
    pub fn calls(&self) -> BTreeMap<String, u64> {
        self.with(|c| c.calls.clone())
    }

    /// HTTP attempts, per `Service.Operation`: more than `calls` when the SDK retried.
    pub fn attempts(&self) -> BTreeMap<String, u64> {
        self.with(|c| c.attempts.clone())
    }

    pub fn total_calls(&self) -> u64 {
        self.with(|c| c.calls.values().sum())
    }

    pub fn reset(&self) {
        self.with(|c| *c = Counts::default());
    }

    fn with<T>(&self, f: impl FnOnce(&mut Counts) -> T) -> T {
        // A poisoned counter only means a test panicked mid-count; the numbers are still usable.
        let mut guard = self.inner.lock().unwrap_or_else(|e| e.into_inner());
        f(&mut guard)
    }

    fn bump(&self, cfg: &ConfigBag, attempt: bool) {
        let key = cfg
            .load::<Metadata>()
            .map(|m| format!("{}.{}", m.service(), m.name()))
            .unwrap_or_else(|| "unknown".into());
        self.with(|c| {
            let map = if attempt {
                &mut c.attempts
            } else {
                &mut c.calls
            };
            *map.entry(key).or_default() += 1;
        });
    }
}

impl Intercept for CallCounter {
    fn name(&self) -> &'static str {
        "opsdeck.CallCounter"
    }

    // Not `read_before_execution`: the operation's metadata is not in the bag yet there.
    fn read_before_serialization(
        &self,
        _context: &BeforeSerializationInterceptorContextRef<'_>,
        _runtime_components: &RuntimeComponents,
        cfg: &mut ConfigBag,
    ) -> Result<(), BoxError> {
        self.bump(cfg, false);
        Ok(())
    }

    fn read_before_attempt(
        &self,
        _context: &BeforeTransmitInterceptorContextRef<'_>,
        _runtime_components: &RuntimeComponents,
        cfg: &mut ConfigBag,
    ) -> Result<(), BoxError> {
        self.bump(cfg, true);
        Ok(())
    }
}
