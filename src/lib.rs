//! staydown finds re-uploads of video works that were already taken down.
#![deny(missing_docs)]
#![deny(unsafe_code)]

pub mod check;
pub mod decode;
pub mod error;
pub mod eval;
pub mod fingerprint;
pub mod hash;
pub mod index;
pub mod matcher;
pub mod report;
pub mod scan;
pub mod synth;

pub use decode::{DecodeOptions, Frame, FrameSource, Limits, SourceInfo};
pub use error::{Error, Result};
pub use fingerprint::{Fingerprint, FrameHash};
pub use hash::{Hash256, distance};
pub use hash::{Pdq, PdqOutput};
pub use index::{Hit, MemoryIndex, Search, WorkMeta};
pub use matcher::{Decision, Match, MatchOptions, Matcher, Policy, Verdict};
