//! Why a landmark set gives no features.

/// A landmark set that cannot be measured. Features are never computed from
/// such a set: a division by a zero length would put NaN or infinity in the
/// output.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum FeatureError {
    /// The set has the wrong number of points (a face must have Face Mesh's
    /// 468; the 478 of the iris-refined model are refused rather than
    /// guessed at).
    #[error("expected {expected} landmarks, found {found}")]
    WrongCount {
        /// How many the measurement needs.
        expected: usize,
        /// How many were given.
        found: usize,
    },
    /// A coordinate is NaN or infinite.
    #[error("landmark {index}: {axis} is not a finite number")]
    NotFinite {
        /// The landmark's index.
        index: usize,
        /// `x`, `y` or `z`.
        axis: &'static str,
    },
    /// A length the features divide by, or a direction they measure an angle
    /// from, is zero: the points coincide.
    #[error("degenerate landmarks: {what} has no length")]
    Degenerate {
        /// Which length, e.g. `the palm (wrist → middle MCP)`.
        what: &'static str,
    },
    /// The points exist but cannot be a hand or a face seen from the front,
    /// e.g. the chin above the brows.
    #[error("implausible landmarks: {what}")]
    Implausible {
        /// What is out of order.
        what: &'static str,
    },
}
