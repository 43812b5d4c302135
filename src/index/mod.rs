//! Removed works and their fingerprints on disk, and search within a Hamming radius.

/// One indexed frame found within the search radius of a query hash.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Hit {
    /// Ordinal of the work within the snapshot that answered (resolve with the snapshot).
    pub work: u32,
    /// Presentation time of the indexed frame in the work, in milliseconds.
    pub ref_pts_ms: u64,
    /// Hamming distance between the query and the indexed frame, in bits.
    pub distance: u32,
}
