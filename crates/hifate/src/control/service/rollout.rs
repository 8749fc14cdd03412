//! Safe rollouts: a new version on trial, with a way back that needs no start.
//!
//! After a switch with a window (`bake_ms`), the old version keeps running —
//! no new requests, its in-flight ones finish, its connections stay open —
//! while the new one is watched: process exit, failed health checks, and its
//! server-fault rate (the proxy's response classification) against
//! `rollback_faults`. Any of these switches the route back to the warm
//! version at once; a clean window stops it. A canary is the same trial with
//! both versions serving, the route splitting new requests between them.
//!
//! Whoever ends a trial takes it out of the service's state under one lock
//! (the watcher, a person's promote, abort or rollback, a newer version,
//! shutdown), so a trial ends exactly once, one way.

use std::sync::atomic::Ordering;
use std::sync::{Arc, Weak};
use std::time::{Duration, Instant};

use serde::{Deserialize, Serialize};

use super::{micros, DeployError, Launched, Phase, ServiceRuntime};
use crate::control::child::ChildProcess;
use crate::control::events::EventKind;
use crate::data::backend::Backend;
use crate::data::counters::VersionCounters;
use crate::data::route::Percent;

/// How often the trial's fault rate is looked at: the counters are atomics,
/// so this is cheap, and it bounds the time from the fault that trips the
/// rule to the switch back.
const FAULT_TICK: Duration = Duration::from_millis(25);
/// The longest time between two health checks of a version on trial.
const TRIAL_HEALTH_INTERVAL: Duration = Duration::from_millis(500);

/// What kind of trial, in status.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum TrialKind {
    /// The new version takes every new request; the old one is kept warm.
    Bake,
    /// Both serve, split by `percent`.
    Canary,
}

/// A trial as status shows it.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct TrialStatus {
    pub kind: TrialKind,
    /// The version on trial.
    pub version: u64,
    /// The version that takes over if it fails: the warm one of a bake
    /// window, the stable one of a canary.
    pub fallback_version: u64,
    /// The share of new requests the version on trial gets (100 in a bake
    /// window).
    pub percent: u8,
    /// Time left before the trial passes on its own (`None`: a canary
    /// without a window waits for a person).
    pub window_left_ms: Option<u64>,
    /// The version's calls and server faults since its trial began.
    pub calls: u64,
    pub faults: u64,
}

/// The way back of a trial.
#[derive(Debug)]
enum Fallback {
    /// The replaced version, still running, without new requests.
    Warm {
        child: Arc<ChildProcess>,
        backend: Arc<Backend>,
    },
    /// The stable version keeps serving beside the canary; the route knows
    /// it. `backend` is the canary's.
    Canary {
        stable: u64,
        percent: Percent,
        backend: Arc<Backend>,
    },
}

/// A version on trial.
#[derive(Debug)]
pub(super) struct Trial {
    id: u64,
    candidate: Arc<ChildProcess>,
    fallback: Fallback,
    ends: Option<Instant>,
    counters: Arc<VersionCounters>,
    /// The candidate's counters when the trial began.
    base_calls: u64,
    base_faults: u64,
}

impl Trial {
    /// True if `child` is the version on trial or the warm one kept for it.
    pub(super) fn involves(&self, child: &Arc<ChildProcess>) -> bool {
        Arc::ptr_eq(&self.candidate, child)
            || matches!(&self.fallback, Fallback::Warm { child: warm, .. } if Arc::ptr_eq(warm, child))
    }

    /// The candidate's calls and faults since the trial began.
    fn tally(&self) -> (u64, u64) {
        let calls = self.counters.requests.load(Ordering::Relaxed);
        let faults = self.counters.server_errors.load(Ordering::Relaxed);
        (
            calls.saturating_sub(self.base_calls),
            faults.saturating_sub(self.base_faults),
        )
    }

    fn kind(&self) -> TrialKind {
        match self.fallback {
            Fallback::Warm { .. } => TrialKind::Bake,
            Fallback::Canary { .. } => TrialKind::Canary,
        }
    }

    /// The version that takes over if the candidate fails.
    fn fallback_version(&self) -> u64 {
        match &self.fallback {
            Fallback::Warm { child, .. } => child.version,
            Fallback::Canary { stable, .. } => *stable,
        }
    }

    pub(super) fn status(&self) -> TrialStatus {
        let (calls, faults) = self.tally();
        let percent = match &self.fallback {
            Fallback::Warm { .. } => 100,
            Fallback::Canary { percent, .. } => percent.get(),
        };
        TrialStatus {
            kind: self.kind(),
            version: self.candidate.version,
            fallback_version: self.fallback_version(),
            percent,
            window_left_ms: self
                .ends
                .map(|end| end.saturating_duration_since(Instant::now()).as_millis() as u64),
            calls,
            faults,
        }
    }

    /// The process that is not the serving one (the warm version of a bake
    /// window, or the canary), and the backend the trial holds, for
    /// shutdown.
    pub(super) fn into_other(self) -> (Option<Arc<ChildProcess>>, Option<Arc<Backend>>) {
        match self.fallback {
            Fallback::Warm { child, backend } => (Some(child), Some(backend)),
            Fallback::Canary { backend, .. } => (Some(self.candidate), Some(backend)),
        }
    }
}

/// Why `promote` or `abort` did nothing.
#[derive(Debug, thiserror::Error)]
pub enum NoTrial {
    #[error("{service} has no version on trial (no bake window or canary is running)")]
    None { service: String },
}

impl ServiceRuntime {
    /// The new version serves; `warm`, which it replaced, stays running
    /// without new requests until `window` passes or the new one fails.
    pub(super) fn begin_bake(
        self: &Arc<Self>,
        window: Duration,
        candidate: Arc<ChildProcess>,
        candidate_backend: Arc<Backend>,
        warm: Arc<ChildProcess>,
        warm_backend: Arc<Backend>,
    ) {
        let warm_version = warm.version;
        let version = candidate.version;
        let id = self.start_trial(
            candidate.clone(),
            &candidate_backend,
            Fallback::Warm {
                child: warm,
                backend: warm_backend,
            },
            Some(window),
        );
        self.emit(EventKind::BakeStarted {
            version,
            warm: warm_version,
            bake_ms: window.as_millis() as u64,
        });
        self.watch_trial(id, candidate, &candidate_backend);
    }

    /// Records a trial and returns its id.
    fn start_trial(
        &self,
        candidate: Arc<ChildProcess>,
        candidate_backend: &Arc<Backend>,
        fallback: Fallback,
        window: Option<Duration>,
    ) -> u64 {
        let counters = candidate_backend.counters.clone();
        let mut state = self.state();
        state.trials += 1;
        let id = state.trials;
        state.trial = Some(Trial {
            id,
            candidate,
            fallback,
            ends: window.map(|w| Instant::now() + w),
            base_calls: counters.requests.load(Ordering::Relaxed),
            base_faults: counters.server_errors.load(Ordering::Relaxed),
            counters,
        });
        id
    }

    /// Starts a launched version as a canary beside the serving one.
    pub(super) fn begin_canary(
        self: &Arc<Self>,
        launched: Launched,
        percent: Percent,
    ) -> Result<(), DeployError> {
        let Launched { child, backend, .. } = launched;
        let version = child.version;
        if self.shutting_down.load(Ordering::SeqCst) {
            child.kill_now();
            return Err(DeployError::ShuttingDown);
        }
        // A canary replaces a canary; a bake window in progress is accepted.
        self.end_trial_for_newer(version);
        let Some(stable) = self.current_version() else {
            child.kill_now();
            return Err(DeployError::NothingToCompare);
        };
        if let Err(refused) = self.route.split(backend.clone(), percent) {
            drop(refused);
            child.kill_now();
            return Err(DeployError::NothingToCompare);
        }
        if let Err(error) = self.store().mark_canary(version) {
            tracing::warn!(
                "[{}] canary version {version} serves, but the version store could not record it: {error}",
                self.config.name
            );
        }
        let window = self.config.bake(&self.settings);
        let id = self.start_trial(
            child.clone(),
            &backend,
            Fallback::Canary {
                stable,
                percent,
                backend: backend.clone(),
            },
            window,
        );
        self.set_phase(Phase::Serving);
        self.metrics.reload("canary");
        self.emit(EventKind::CanaryStarted {
            version,
            stable,
            percent: percent.get(),
            bake_ms: window.map(|w| w.as_millis() as u64),
        });
        self.watch_trial(id, child, &backend);
        Ok(())
    }

    /// Watches trial `id`: the candidate's exit rolls back at once; its
    /// fault rate and health are looked at on a tick; the end of the window
    /// passes it. Ends when the trial does, however it ends.
    fn watch_trial(
        self: &Arc<Self>,
        id: u64,
        candidate: Arc<ChildProcess>,
        candidate_backend: &Arc<Backend>,
    ) {
        self.watch_trial_health(id, Arc::downgrade(candidate_backend));
        let rule = self.config.fault_rule(&self.settings);
        let this = self.clone();
        tokio::spawn(async move {
            let ends = this
                .state()
                .trial
                .as_ref()
                .filter(|t| t.id == id)
                .and_then(|t| t.ends);
            let window = async {
                match ends {
                    Some(end) => tokio::time::sleep_until(end.into()).await,
                    None => std::future::pending().await,
                }
            };
            tokio::pin!(window);
            let mut tick = tokio::time::interval(FAULT_TICK);
            loop {
                tokio::select! {
                    status = candidate.exited() => {
                        if !candidate.is_stopping() {
                            this.fail_trial(Some(id), format!("version {} {status}", candidate.version));
                        }
                        return;
                    }
                    () = &mut window => {
                        this.pass_trial(Some(id), "its window passed without a fault");
                        return;
                    }
                    _ = tick.tick() => {
                        let tally = {
                            let state = this.state();
                            match state.trial.as_ref().filter(|t| t.id == id) {
                                Some(trial) => trial.tally(),
                                None => return,
                            }
                        };
                        let (calls, faults) = tally;
                        if rule.tripped(calls, faults) {
                            this.fail_trial(
                                Some(id),
                                format!(
                                    "{faults} server faults in {calls} calls (the rule: at least {} and {}% of its calls)",
                                    rule.count,
                                    rule.share * 100.0
                                ),
                            );
                            return;
                        }
                    }
                }
            }
        });
    }

    /// Health checks of the version on trial, more often than the serving
    /// version's; `health_misses` misses in a row roll it back.
    fn watch_trial_health(self: &Arc<Self>, id: u64, backend: Weak<Backend>) {
        let settings = &self.settings;
        if settings.health_interval_ms == 0 {
            return;
        }
        let interval =
            Duration::from_millis(settings.health_interval_ms).min(TRIAL_HEALTH_INTERVAL);
        let timeout = Duration::from_millis(settings.health_timeout_ms);
        let allowed = settings.health_misses;
        let kind = self.config.kind;
        let this = self.clone();
        tokio::spawn(async move {
            let mut misses = 0;
            loop {
                tokio::time::sleep(interval).await;
                if !this.trial_is(id) {
                    return;
                }
                let Some(probed) = backend.upgrade() else {
                    return;
                };
                let verdict = probed.probe(kind, timeout).await;
                drop(probed);
                match verdict {
                    Ok(()) => misses = 0,
                    Err(reason) => {
                        misses += 1;
                        if misses >= allowed {
                            this.fail_trial(
                                Some(id),
                                format!("{misses} health checks failed in a row: {reason}"),
                            );
                            return;
                        }
                    }
                }
            }
        });
    }

    fn trial_is(&self, id: u64) -> bool {
        self.state().trial.as_ref().is_some_and(|t| t.id == id)
    }

    /// Takes trial `id` (any trial for `None`) out of the state.
    fn take_trial(&self, id: Option<u64>) -> Option<Trial> {
        let mut state = self.state();
        match (&state.trial, id) {
            (Some(trial), Some(id)) if trial.id != id => None,
            _ => state.trial.take(),
        }
    }

    /// Rolls trial `id` back (any trial for `None`): the fallback takes
    /// every new request at once, the candidate drains and stops, and the
    /// store records the candidate as rolled back for `reason`. Returns the
    /// version that serves afterwards, or `None` if there was no such trial.
    pub(super) fn fail_trial(self: &Arc<Self>, id: Option<u64>, reason: String) -> Option<u64> {
        let decided = Instant::now();
        let trial = self.take_trial(id)?;
        let (calls, faults) = trial.tally();
        let version = trial.candidate.version;
        let candidate = trial.candidate;
        let (to, candidate_backend, restored) = match trial.fallback {
            Fallback::Warm { child, backend } => {
                if child.exit_status().is_some() {
                    // Nothing warm to go back to: the candidate stays, and
                    // is restarted like any serving version if it died.
                    self.record_error(format!(
                        "version {version} failed its window ({reason}), but version {} kept for it had exited; version {version} stays",
                        child.version
                    ));
                    if let Some(status) = candidate.exit_status() {
                        self.emit(EventKind::Crashed {
                            version,
                            status: status.to_string(),
                        });
                        let this = self.clone();
                        tokio::spawn(this.restart(candidate, Duration::ZERO));
                    }
                    return self.current_version();
                }
                let candidate_backend = self.route.switch(backend);
                {
                    let mut state = self.state();
                    state.serving = Some(child.clone());
                    state.phase = Some(Phase::Serving);
                }
                (child.version, candidate_backend, Some(child.version))
            }
            Fallback::Canary {
                stable, backend, ..
            } => {
                let canary = self.route.drop_canary();
                drop(canary);
                (stable, Some(backend), None)
            }
        };
        let switch_us = micros(decided.elapsed());
        self.record_error(format!(
            "version {version} rolled back to version {to}: {reason}"
        ));
        if let Err(error) = self.store().mark_rolled_back(version, restored, &reason) {
            tracing::warn!(
                "[{}] version {version} was rolled back, but the version store could not record it: {error}",
                self.config.name
            );
        }
        self.metrics.reload("rolled_back_in_window");
        self.emit(EventKind::VersionRolledBack {
            version,
            to,
            reason,
            calls,
            faults,
            switch_us,
        });
        self.spawn_retire(candidate_backend, candidate);
        Some(to)
    }

    /// Passes trial `id` (any trial for `None`): a bake window's warm
    /// version stops; a canary takes every new request and the stable one
    /// stops. Returns the version that serves afterwards.
    pub(super) fn pass_trial(self: &Arc<Self>, id: Option<u64>, reason: &str) -> Option<u64> {
        let trial = self.take_trial(id)?;
        let version = trial.candidate.version;
        match trial.fallback {
            Fallback::Warm { child, backend } => {
                self.emit(EventKind::BakePassed {
                    version,
                    warm: child.version,
                });
                self.spawn_retire(Some(backend), child);
            }
            Fallback::Canary {
                stable, backend, ..
            } => {
                let old_backend = self.route.promote_canary();
                let old_child = {
                    let mut state = self.state();
                    state.phase = Some(Phase::Serving);
                    state.serving.replace(trial.candidate.clone())
                };
                if let Err(error) = self.store().mark_serving(version) {
                    tracing::warn!(
                        "[{}] version {version} serves, but the version store could not record it: {error}",
                        self.config.name
                    );
                }
                self.metrics.reload("promoted");
                self.emit(EventKind::CanaryPromoted {
                    version,
                    previous: stable,
                    reason: reason.to_owned(),
                });
                self.monitor(trial.candidate.clone());
                self.watch_health(trial.candidate, backend);
                if let Some(old_child) = old_child {
                    self.spawn_retire(old_backend, old_child);
                }
            }
        }
        Some(version)
    }

    /// A newer version is about to switch in: a bake window in progress is
    /// accepted (its warm version stops), a canary is rolled back. (A fresh
    /// process of the serving version, replacing one that stopped
    /// answering, goes through `promote` and leaves a trial alone.)
    pub(super) fn end_trial_for_newer(self: &Arc<Self>, newer: u64) {
        let kind = self.state().trial.as_ref().map(Trial::kind);
        match kind {
            Some(TrialKind::Bake) => {
                self.pass_trial(None, "a newer version replaces it");
            }
            Some(TrialKind::Canary) => {
                self.fail_trial(None, format!("replaced by version {newer}"));
            }
            None => {}
        }
    }

    /// A person ends the trial in the candidate's favour.
    pub fn promote_trial(self: &Arc<Self>) -> Result<u64, NoTrial> {
        self.pass_trial(None, "promoted by request")
            .ok_or_else(|| NoTrial::None {
                service: self.config.name.clone(),
            })
    }

    /// A person rolls the version on trial back (`hifate abort`, or
    /// `hifate rollback` during a window): the same instant switch back.
    pub fn abort_trial(self: &Arc<Self>, reason: &str) -> Result<u64, NoTrial> {
        self.fail_trial(None, reason.to_owned())
            .ok_or_else(|| NoTrial::None {
                service: self.config.name.clone(),
            })
    }

    /// The version a rollback to `to` (or to the previous version, for
    /// `None`) would get by ending the trial, if one runs and that is where
    /// it leads.
    pub fn trial_fallback(&self, to: Option<u64>) -> Option<u64> {
        let state = self.state();
        let fallback = state.trial.as_ref()?.fallback_version();
        match to {
            None => Some(fallback),
            Some(to) if to == fallback => Some(fallback),
            Some(_) => None,
        }
    }
}
