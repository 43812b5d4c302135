//! The policy: which matched segments flag an upload for removal, which ask a person to look,
//! and which are ignored.
//!
//! Precision first. A segment's strength is its *weighted* frame count: each distinct query
//! frame in it counts `1 / (number of works its hashes hit)`, so a studio logo or a black
//! credits card that is in many works adds almost nothing. Low-quality frames never reach the
//! matcher at all (see [`super::MatchOptions::min_quality`]). Every threshold is inclusive.
//!
//! The defaults were chosen from the accuracy benchmark (`staydown eval`, see `src/eval.rs`
//! and the numbers in its module docs).

use serde::{Deserialize, Serialize};

/// The decision on an upload, or on one matched segment.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Decision {
    /// Nothing matched strongly enough to mention.
    Clean,
    /// Some evidence; a person should look.
    Review,
    /// A re-upload of a banned work: flag for removal.
    Match,
}

impl Decision {
    /// The lowercase word used in JSON and on the terminal.
    pub fn as_str(self) -> &'static str {
        match self {
            Decision::Clean => "clean",
            Decision::Review => "review",
            Decision::Match => "match",
        }
    }
}

impl std::fmt::Display for Decision {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

/// Thresholds turning a matched segment into a [`Decision`]. All are inclusive.
#[derive(Clone, Copy, Debug, PartialEq, Serialize, Deserialize)]
pub struct Policy {
    /// `match` needs at least this many weighted distinct query frames in the segment.
    pub match_min_frames: f64,
    /// `match` needs the segment to cover at least this much query time, milliseconds.
    pub match_min_ms: u64,
    /// `match` needs a score of at least this (see [`super::Match::score`]).
    pub match_min_score: f64,
    /// `review` needs at least this many weighted distinct query frames.
    pub review_min_frames: f64,
    /// `review` needs the segment to cover at least this much query time, milliseconds.
    pub review_min_ms: u64,
    /// Segments whose mean Hamming distance is above this are ignored, bits.
    pub max_mean_distance: f64,
}

impl Default for Policy {
    fn default() -> Self {
        Policy {
            match_min_frames: 6.0,
            match_min_ms: 6_000,
            match_min_score: 0.25,
            review_min_frames: 3.0,
            review_min_ms: 2_000,
            max_mean_distance: 28.0,
        }
    }
}

impl Policy {
    /// The decision for one segment with `weighted_frames` weighted distinct query frames over
    /// `query_ms` milliseconds, mean distance `mean_distance` and score `score`.
    pub fn decide(
        &self,
        weighted_frames: f64,
        query_ms: u64,
        mean_distance: f64,
        score: f64,
    ) -> Decision {
        if mean_distance > self.max_mean_distance {
            return Decision::Clean;
        }
        if weighted_frames >= self.match_min_frames
            && query_ms >= self.match_min_ms
            && score >= self.match_min_score
        {
            Decision::Match
        } else if weighted_frames >= self.review_min_frames && query_ms >= self.review_min_ms {
            Decision::Review
        } else {
            Decision::Clean
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn thresholds_are_inclusive_and_ordered() {
        let p = Policy::default();
        assert_eq!(p.decide(6.0, 6_000, 10.0, 0.25), Decision::Match);
        assert_eq!(p.decide(5.9, 6_000, 10.0, 0.9), Decision::Review);
        assert_eq!(p.decide(20.0, 5_999, 10.0, 0.9), Decision::Review);
        assert_eq!(p.decide(20.0, 20_000, 10.0, 0.2), Decision::Review);
        assert_eq!(p.decide(3.0, 2_000, 10.0, 0.9), Decision::Review);
        assert_eq!(p.decide(2.9, 20_000, 10.0, 0.9), Decision::Clean);
        assert_eq!(p.decide(50.0, 50_000, 28.5, 0.9), Decision::Clean);
    }

    #[test]
    fn decision_serialises_lowercase() {
        assert_eq!(
            serde_json::to_string(&Decision::Review).unwrap(),
            "\"review\""
        );
        assert!(Decision::Match > Decision::Review && Decision::Review > Decision::Clean);
    }
}
