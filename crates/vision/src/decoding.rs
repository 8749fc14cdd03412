//! Small numeric pieces of detector heads.

/// Logistic function, for heads that output logits rather than
/// probabilities (mediapipe's palm and face scores).
pub fn sigmoid(x: f32) -> f32 {
    1.0 / (1.0 + (-x).exp())
}

/// Softmax of `logits` into `out` (same length), stable for large logits.
pub fn softmax_into(logits: &[f32], out: &mut [f32]) {
    let max = logits.iter().copied().fold(f32::NEG_INFINITY, f32::max);
    let mut sum = 0.0;
    for (o, &l) in out.iter_mut().zip(logits) {
        *o = (l - max).exp();
        sum += *o;
    }
    for o in out.iter_mut() {
        *o /= sum;
    }
}

/// Expected bin index of a discretised distribution given as logits:
/// `Σ i · softmax(logits)ᵢ`.
///
/// Generalised Focal Loss heads (NanoDet's) predict each box side's
/// distance as a distribution over bins 0..n rather than one number; its
/// expectation, times the level's stride, is the distance in pixels. Taking
/// the expectation instead of the most likely bin keeps sub-bin precision.
pub fn distribution_expectation(logits: &[f32]) -> f32 {
    let max = logits.iter().copied().fold(f32::NEG_INFINITY, f32::max);
    let (mut weighted, mut total) = (0.0f32, 0.0f32);
    for (i, &l) in logits.iter().enumerate() {
        let p = (l - max).exp();
        weighted += i as f32 * p;
        total += p;
    }
    if total > 0.0 {
        weighted / total
    } else {
        0.0
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sigmoid_is_centred_and_bounded() {
        assert_eq!(sigmoid(0.0), 0.5);
        assert!((sigmoid(2.0) + sigmoid(-2.0) - 1.0).abs() < 1e-6);
        assert!(sigmoid(100.0) <= 1.0 && sigmoid(-100.0) >= 0.0);
    }

    #[test]
    fn softmax_sums_to_one_and_survives_large_logits() {
        let mut out = [0.0; 3];
        softmax_into(&[3.0, 3.0, 3.0 + 2f32.ln()], &mut out);
        assert!((out.iter().sum::<f32>() - 1.0).abs() < 1e-6);
        assert!((out[0] - 0.25).abs() < 1e-6 && (out[2] - 0.5).abs() < 1e-6);
        // exp(1000) overflows f32; subtracting the maximum first does not.
        let mut out = [0.0; 2];
        softmax_into(&[1000.0, 0.0], &mut out);
        assert_eq!(out, [1.0, 0.0]);
    }

    #[test]
    fn expectation_of_a_peaked_distribution_is_its_bin() {
        let mut logits = [-50.0f32; 11];
        logits[7] = 50.0;
        assert!((distribution_expectation(&logits) - 7.0).abs() < 1e-4);
    }

    #[test]
    fn expectation_of_uniform_distribution_is_the_middle() {
        assert!((distribution_expectation(&[0.3; 11]) - 5.0).abs() < 1e-5);
    }

    #[test]
    fn expectation_between_two_bins_interpolates() {
        // Equal mass on bins 2 and 3: the distance lies half-way.
        let mut logits = [-100.0f32; 11];
        logits[2] = 5.0;
        logits[3] = 5.0;
        assert!((distribution_expectation(&logits) - 2.5).abs() < 1e-5);
    }
}
