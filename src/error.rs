//! The library's one error type. Every variant names the file or argument it is about, so the
//! binary can print it as a single line.

use std::path::{Path, PathBuf};

/// Everything that can go wrong between a user's input and a report.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// A photo could not be read from disk (missing, unreadable, a directory…).
    #[error("cannot read photo '{}': {source}", path.display())]
    PhotoIo {
        /// The photo's path as given.
        path: PathBuf,
        /// What the operating system said.
        #[source]
        source: std::io::Error,
    },
    /// The file is not an image in a format we read (JPEG, PNG, TIFF, WebP).
    #[error("'{}' is not a JPEG, PNG, TIFF or WebP image{}", path.display(), detail_suffix(detail))]
    NotAnImage {
        /// The photo's path as given.
        path: PathBuf,
        /// Extra detail, e.g. the format that was recognised but is not supported.
        detail: Option<String>,
    },
    /// The image is empty, truncated or corrupt, or its decoder failed.
    #[error("cannot decode photo '{}': {reason}", path.display())]
    Decode {
        /// The photo's path as given.
        path: PathBuf,
        /// What the decoder reported.
        reason: String,
    },
    /// The image is larger than the decoding limits allow.
    #[error("photo '{}' is too large: {reason}", path.display())]
    TooLarge {
        /// The photo's path as given.
        path: PathBuf,
        /// Which limit was exceeded, with the numbers.
        reason: String,
    },
    /// A region does not fit its photo or has zero size.
    #[error("{source_name}: {reason}")]
    Region {
        /// Where the region came from: `--region` or a manifest field such as
        /// `manifest 'm.json', sessions[1].region`.
        source_name: String,
        /// What is wrong with it.
        reason: String,
    },
    /// A command-line argument or library option is invalid.
    #[error("invalid {argument}: {reason}")]
    InvalidArgument {
        /// The argument, e.g. `--px-per-mm`.
        argument: String,
        /// What is wrong with it.
        reason: String,
    },
    /// The manifest is malformed or names something that does not exist.
    #[error("manifest '{}': {reason}", path.display())]
    Manifest {
        /// The manifest's path.
        path: PathBuf,
        /// What is wrong, including the session and field.
        reason: String,
    },
    /// A batch folder cannot be used (missing, not a folder, holds no client), or a folder in
    /// it cannot be listed.
    #[error("batch folder '{}': {reason}", path.display())]
    Batch {
        /// The folder.
        path: PathBuf,
        /// What is wrong with it.
        reason: String,
    },
    /// A bug: the analysis of this input panicked. Only `batch` catches this (so the other
    /// clients complete); please report it.
    #[error("internal error on '{}' (please report this bug): {message}", path.display())]
    Internal {
        /// The input being analysed (a client folder).
        path: PathBuf,
        /// The panic's message.
        message: String,
    },
    /// An output file could not be written.
    #[error("cannot write '{}': {source}", path.display())]
    Output {
        /// The output path.
        path: PathBuf,
        /// What the operating system said.
        #[source]
        source: std::io::Error,
    },
}

fn detail_suffix(detail: &Option<String>) -> String {
    detail
        .as_ref()
        .map(|d| format!(" ({d})"))
        .unwrap_or_default()
}

impl Error {
    /// A `Decode` error for `path` (the reason put on one line: decoders end some messages with
    /// a line break).
    pub(crate) fn decode(path: &Path, reason: impl Into<String>) -> Self {
        Error::Decode {
            path: path.to_path_buf(),
            reason: one_line(&reason.into()),
        }
    }

    /// A `Manifest` error for `path`.
    pub(crate) fn manifest(path: &Path, reason: impl Into<String>) -> Self {
        Error::Manifest {
            path: path.to_path_buf(),
            reason: reason.into(),
        }
    }

    /// An `InvalidArgument` error.
    pub(crate) fn argument(argument: impl Into<String>, reason: impl Into<String>) -> Self {
        Error::InvalidArgument {
            argument: argument.into(),
            reason: reason.into(),
        }
    }
}

/// `text` on one line, runs of white space (line breaks included) made one space.
pub(crate) fn one_line(text: &str) -> String {
    text.split_whitespace().collect::<Vec<_>>().join(" ")
}

/// Shorthand for results of this crate.
pub type Result<T, E = Error> = std::result::Result<T, E>;

/// Runs `work`; a panic inside it becomes the error `on_panic(message)`, `message` being the
/// panic's text (or "unknown panic"). The one guard at the boundaries where a bug or a
/// dependency's panic must cost one file or one client, not the run: decoding (`load`) and each
/// client of a batch.
pub fn catch_panic<T>(
    work: impl FnOnce() -> Result<T>,
    on_panic: impl FnOnce(String) -> Error,
) -> Result<T> {
    std::panic::catch_unwind(std::panic::AssertUnwindSafe(work)).unwrap_or_else(|payload| {
        Err(on_panic(
            panic_message(payload.as_ref()).unwrap_or_else(|| "unknown panic".to_string()),
        ))
    })
}

/// The text of a panic's payload (`panic!` with a literal or with a format), if it has one.
pub fn panic_message(payload: &(dyn std::any::Any + Send)) -> Option<String> {
    payload
        .downcast_ref::<&str>()
        .map(|s| s.to_string())
        .or_else(|| payload.downcast_ref::<String>().cloned())
}
