//! Writing output files atomically: a temporary file beside the destination, renamed into place,
//! so a failure never leaves a half-written file or damages an existing one.

use std::io::Write;
use std::path::{Path, PathBuf};

use crate::error::{Error, Result};

/// Writes `bytes` to `path` atomically (temporary file in the same folder, then rename).
///
/// A destination that exists but is not a regular file — `/dev/null`, `/dev/stdout`, a FIFO —
/// is written to directly: renaming over it would replace the device itself. A symbolic link
/// is followed, so the link survives and its target gets the new contents.
pub fn write_atomic(path: &Path, bytes: &[u8]) -> Result<()> {
    stage(path, bytes)?.commit()
}

/// An output written in full to a temporary file beside its destination, not yet renamed into
/// place ([`Staged::commit`]); dropped uncommitted, the temporary file is removed.
#[derive(Debug)]
pub struct Staged {
    /// The path as given, for errors.
    path: PathBuf,
    /// Where the file goes (a symbolic link resolved).
    target: PathBuf,
    /// The complete contents; `None` when the destination is a device, already written.
    tmp: Option<tempfile::NamedTempFile>,
}

/// Writes `bytes` to a temporary file beside `path` (see [`write_atomic`] for devices and
/// symbolic links), to be put in place by [`Staged::commit`].
pub fn stage(path: &Path, bytes: &[u8]) -> Result<Staged> {
    let err = |source: std::io::Error| Error::Output {
        path: path.to_path_buf(),
        source,
    };
    let target: PathBuf = match std::fs::symlink_metadata(path) {
        Ok(meta) if meta.file_type().is_symlink() => path.canonicalize().map_err(err)?,
        _ => path.to_path_buf(),
    };
    if let Ok(meta) = std::fs::metadata(&target) {
        if !meta.is_file() && !meta.is_dir() {
            let mut file = std::fs::OpenOptions::new()
                .write(true)
                .open(&target)
                .map_err(err)?;
            file.write_all(bytes)
                .and_then(|_| file.flush())
                .map_err(err)?;
            return Ok(Staged {
                path: path.to_path_buf(),
                target,
                tmp: None,
            });
        }
    }
    let folder = match target.parent() {
        Some(p) if !p.as_os_str().is_empty() => p,
        _ => Path::new("."),
    };
    // The permissions any new file gets (0666 less the umask), or those of the file replaced;
    // not the owner-only 0600 of a temporary file: reports are shared.
    let permissions = std::fs::metadata(&target)
        .map(|m| m.permissions())
        .unwrap_or_else(|_| std::os::unix::fs::PermissionsExt::from_mode(0o666));
    let mut tmp = tempfile::Builder::new()
        .prefix(".smptrack-")
        .suffix(".tmp")
        .permissions(permissions)
        .tempfile_in(folder)
        // tempfile names its own random file in the error ("at path .smptrack-sGGY1f.tmp"),
        // which the user never asked for: the error is told of `path` alone.
        .map_err(|e| err(without_path(e)))?;
    tmp.write_all(bytes).map_err(err)?;
    tmp.as_file().sync_all().map_err(err)?;
    Ok(Staged {
        path: path.to_path_buf(),
        target,
        tmp: Some(tmp),
    })
}

/// `error` without the temporary file's path that `tempfile` appends to its message
/// (`… at path ".smptrack-sGGY1f.tmp"`; its error keeps the operating system's error only as
/// text).
fn without_path(error: std::io::Error) -> std::io::Error {
    let text = error.to_string();
    match text.rsplit_once(" at path \"") {
        Some((message, _)) => std::io::Error::new(error.kind(), message.to_string()),
        None => error,
    }
}

impl Staged {
    /// Renames the complete file into place (replacing any file there).
    pub fn commit(self) -> Result<()> {
        if let Some(tmp) = self.tmp {
            tmp.persist(&self.target).map_err(|e| Error::Output {
                path: self.path,
                source: e.error,
            })?;
        }
        Ok(())
    }
}

/// Writes every (path, contents) pair, all or nothing as far as the file system allows: each
/// file is first written in full beside its destination, and only when all are written are they
/// renamed into place. The first failure is returned and leaves no file changed (unless a rename
/// itself fails, which on one file system practically never happens).
pub fn write_all_atomic(files: &[(PathBuf, Vec<u8>)]) -> Result<()> {
    let staged = files
        .iter()
        .map(|(path, bytes)| stage(path, bytes))
        .collect::<Result<Vec<_>>>()?;
    staged.into_iter().try_for_each(Staged::commit)
}

/// Whether the output path `out` names one of `inputs` (the same file once symbolic links and
/// `..` are resolved): no output may replace a photo or a manifest. An output that does not exist
/// yet is no input.
pub fn names_an_input<'a>(out: &Path, inputs: impl IntoIterator<Item = &'a Path>) -> bool {
    let Ok(out_real) = out.canonicalize() else {
        return false;
    };
    inputs
        .into_iter()
        .any(|input| input.canonicalize().is_ok_and(|p| p == out_real))
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A folder where no file can be created: the error names the file asked for, and not the
    /// temporary file beside it (`-o /proc/version` named `/proc/.smptrack-….tmp`).
    #[cfg(target_os = "linux")]
    #[test]
    fn a_failed_temporary_file_is_not_named() {
        let message = stage(Path::new("/proc/version"), b"{}")
            .unwrap_err()
            .to_string();
        assert_eq!(
            message,
            "cannot write '/proc/version': No such file or directory (os error 2)"
        );
        let plain = std::io::Error::from_raw_os_error(13);
        assert_eq!(
            without_path(plain).to_string(),
            "Permission denied (os error 13)"
        );
    }

    #[test]
    fn a_symlink_survives_and_its_target_is_replaced() {
        let dir = tempfile::tempdir().unwrap();
        let real = dir.path().join("real.json");
        std::fs::write(&real, "old").unwrap();
        let link = dir.path().join("link.json");
        std::os::unix::fs::symlink(&real, &link).unwrap();
        write_atomic(&link, b"new").unwrap();
        assert!(std::fs::symlink_metadata(&link)
            .unwrap()
            .file_type()
            .is_symlink());
        assert_eq!(std::fs::read_to_string(&real).unwrap(), "new");
    }

    #[test]
    fn all_or_nothing_writes_nothing_when_one_file_fails() {
        let dir = tempfile::tempdir().unwrap();
        let good = dir.path().join("a.csv");
        let bad = dir.path().join("missing").join("b.html");
        let files = vec![(good.clone(), b"a".to_vec()), (bad, b"b".to_vec())];
        let e = write_all_atomic(&files).unwrap_err();
        assert!(e.to_string().contains("b.html"), "{e}");
        assert_eq!(std::fs::read_dir(dir.path()).unwrap().count(), 0);
        write_all_atomic(&files[..1]).unwrap();
        assert_eq!(std::fs::read(&good).unwrap(), b"a");
    }

    #[test]
    fn files_get_ordinary_permissions_and_keep_their_own() {
        use std::os::unix::fs::PermissionsExt;
        let dir = tempfile::tempdir().unwrap();
        let mode = |p: &Path| std::fs::metadata(p).unwrap().permissions().mode() & 0o777;
        let probe = dir.path().join("probe");
        std::fs::File::create(&probe).unwrap();
        let new = dir.path().join("new.csv");
        write_atomic(&new, b"x").unwrap();
        assert_eq!(mode(&new), mode(&probe), "as any new file");
        std::fs::set_permissions(&new, std::fs::Permissions::from_mode(0o640)).unwrap();
        write_atomic(&new, b"y").unwrap();
        assert_eq!(mode(&new), 0o640, "a replaced file keeps its permissions");
    }

    #[test]
    fn a_device_is_written_to_not_replaced() {
        use std::os::unix::fs::FileTypeExt;
        // A private copy of /dev/null (needs root, as CI has): renaming over it would replace
        // the device with a regular file.
        let dir = tempfile::tempdir().unwrap();
        let null = dir.path().join("null");
        let made = std::process::Command::new("mknod")
            .arg(&null)
            .args(["c", "1", "3"])
            .status()
            .is_ok_and(|s| s.success());
        if !made {
            eprintln!("skipped: cannot create a device node here (not root?)");
            return;
        }
        write_atomic(&null, b"report").unwrap();
        let meta = std::fs::metadata(&null).unwrap();
        assert!(meta.file_type().is_char_device(), "{meta:?}");
    }
}
