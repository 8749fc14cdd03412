//! Which version of a service receives new requests.

use std::sync::Arc;

use arc_swap::ArcSwapOption;

use super::backend::Backend;
use super::counters::RouteCounters;
use super::ServiceKind;

/// A share of new requests, in whole percent: 1 to 99 (0 and 100 are not a
/// split, they are one version serving).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, serde::Serialize)]
#[serde(transparent)]
pub struct Percent(u8);

impl Percent {
    /// `value` if it is a real split (1..=99).
    pub fn new(value: u8) -> Option<Percent> {
        (1..=99).contains(&value).then_some(Percent(value))
    }

    pub fn get(self) -> u8 {
        self.0
    }
}

/// Where new requests go.
#[derive(Debug)]
enum Serving {
    /// Every new request goes to one version.
    One(Arc<Backend>),
    /// A canary: `percent` of new requests, each chosen on its own, go to
    /// `canary`; the rest to `stable`.
    Split {
        stable: Arc<Backend>,
        canary: Arc<Backend>,
        percent: Percent,
    },
}

impl Serving {
    fn stable(&self) -> &Arc<Backend> {
        match self {
            Serving::One(backend) => backend,
            Serving::Split { stable, .. } => stable,
        }
    }
}

/// The per-request pointer to a service's serving version(s). Read once per
/// request, never cached per connection: a switch takes effect on the next
/// request of every open client connection.
///
/// Only the control plane writes it, one operation at a time per service.
#[derive(Debug)]
pub struct Route {
    pub service: String,
    pub kind: ServiceKind,
    serving: ArcSwapOption<Serving>,
    pub counters: Arc<RouteCounters>,
}

impl Route {
    pub fn new(service: &str, kind: ServiceKind) -> Arc<Route> {
        Arc::new(Route {
            service: service.to_owned(),
            kind,
            serving: ArcSwapOption::empty(),
            counters: Arc::new(RouteCounters::default()),
        })
    }

    /// The version one new request goes to: during a canary, the canary for
    /// its share of requests (a fresh draw per request), else the stable one.
    pub fn pick(&self) -> Option<Arc<Backend>> {
        let serving = self.serving.load();
        match serving.as_deref()? {
            Serving::One(backend) => Some(backend.clone()),
            Serving::Split {
                stable,
                canary,
                percent,
            } => {
                if fastrand::u8(0..100) < percent.get() {
                    Some(canary.clone())
                } else {
                    Some(stable.clone())
                }
            }
        }
    }

    /// The stable version: the only one outside a canary.
    pub fn current(&self) -> Option<Arc<Backend>> {
        self.serving.load().as_deref().map(|s| s.stable().clone())
    }

    /// The canary and its share, while one runs.
    pub fn canary(&self) -> Option<(Arc<Backend>, Percent)> {
        match self.serving.load().as_deref()? {
            Serving::One(_) => None,
            Serving::Split {
                canary, percent, ..
            } => Some((canary.clone(), *percent)),
        }
    }

    /// Atomically makes `next` the stable version (a running canary keeps its
    /// share); returns the stable version replaced.
    pub fn switch(&self, next: Arc<Backend>) -> Option<Arc<Backend>> {
        let serving = match self.serving.load().as_deref() {
            Some(Serving::Split {
                canary, percent, ..
            }) => Serving::Split {
                stable: next,
                canary: canary.clone(),
                percent: *percent,
            },
            _ => Serving::One(next),
        };
        self.serving
            .swap(Some(Arc::new(serving)))
            .map(|old| old.stable().clone())
    }

    /// Starts sending `percent` of new requests to `canary`. Refused (the
    /// canary handed back) when no version serves or a canary already runs.
    pub fn split(&self, canary: Arc<Backend>, percent: Percent) -> Result<(), Arc<Backend>> {
        let stable = match self.serving.load().as_deref() {
            Some(Serving::One(stable)) => stable.clone(),
            _ => return Err(canary),
        };
        self.serving.store(Some(Arc::new(Serving::Split {
            stable,
            canary,
            percent,
        })));
        Ok(())
    }

    /// Ends a canary in its favour: it takes every new request. Returns the
    /// stable version it replaced (`None` if no canary ran).
    pub fn promote_canary(&self) -> Option<Arc<Backend>> {
        let (stable, canary) = match self.serving.load().as_deref() {
            Some(Serving::Split { stable, canary, .. }) => (stable.clone(), canary.clone()),
            _ => return None,
        };
        self.serving.store(Some(Arc::new(Serving::One(canary))));
        Some(stable)
    }

    /// Ends a canary against it: the stable version takes every new request
    /// again. Returns the canary (`None` if none ran).
    pub fn drop_canary(&self) -> Option<Arc<Backend>> {
        let (stable, canary) = match self.serving.load().as_deref() {
            Some(Serving::Split { stable, canary, .. }) => (stable.clone(), canary.clone()),
            _ => return None,
        };
        self.serving.store(Some(Arc::new(Serving::One(stable))));
        Some(canary)
    }

    /// Stops routing to any version; returns the versions removed.
    pub fn clear(&self) -> Vec<Arc<Backend>> {
        match self.serving.swap(None).as_deref() {
            None => Vec::new(),
            Some(Serving::One(backend)) => vec![backend.clone()],
            Some(Serving::Split { stable, canary, .. }) => vec![stable.clone(), canary.clone()],
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::data::counters::VersionCounters;

    fn backend(version: u64) -> Arc<Backend> {
        Backend::new(
            "svc",
            version,
            crate::data::backend::Endpoint::Unix(format!("/nonexistent/{version}.sock").into()),
            Arc::new(VersionCounters::default()),
        )
    }

    #[test]
    fn percent_is_a_real_split() {
        assert!(Percent::new(0).is_none());
        assert!(Percent::new(100).is_none());
        assert_eq!(Percent::new(10).map(Percent::get), Some(10));
    }

    #[test]
    fn a_split_sends_its_share_and_ends_either_way() {
        let route = Route::new("svc", ServiceKind::Grpc);
        assert!(route.pick().is_none());
        assert!(
            route.split(backend(2), Percent(50)).is_err(),
            "nothing to split from"
        );
        route.switch(backend(1));
        let percent = Percent::new(25).unwrap();
        route.split(backend(2), percent).unwrap();
        assert!(
            route.split(backend(3), percent).is_err(),
            "one canary at a time"
        );
        let draws = 4_000;
        let to_canary = (0..draws)
            .filter(|_| route.pick().unwrap().version == 2)
            .count();
        // 25 % of 4,000: mean 1,000, standard deviation 27.4; six of them.
        assert!((836..=1_164).contains(&to_canary), "{to_canary} of {draws}");
        assert_eq!(route.current().unwrap().version, 1);
        // A restart of the stable version keeps the split.
        route.switch(backend(4));
        assert_eq!(
            route.canary().map(|(b, p)| (b.version, p)),
            Some((2, percent))
        );
        assert_eq!(route.drop_canary().unwrap().version, 2);
        assert!(route.canary().is_none());
        assert!((0..100).all(|_| route.pick().unwrap().version == 4));
        route.split(backend(5), percent).unwrap();
        assert_eq!(route.promote_canary().unwrap().version, 4);
        assert!((0..100).all(|_| route.pick().unwrap().version == 5));
        assert_eq!(route.clear().len(), 1);
    }
}
