//! Small filesystem helpers shared by the keystore and the store: private directories and
//! atomic, durable file placement.

use std::fs::{self, File, OpenOptions};
use std::io;
use std::os::unix::fs::{DirBuilderExt, PermissionsExt};
use std::path::Path;

/// Mode of every directory leash creates: only the owner may list or enter it.
pub(crate) const PRIVATE_DIR_MODE: u32 = 0o700;
/// Mode of every secret file leash writes.
pub(crate) const PRIVATE_FILE_MODE: u32 = 0o600;

/// Creates `dir` (and its parents) with mode 0700 if it does not exist. An existing directory
/// is left as it is, except that group/other permissions are removed from it.
pub(crate) fn ensure_private_dir(dir: &Path) -> io::Result<()> {
    fs::DirBuilder::new()
        .recursive(true)
        .mode(PRIVATE_DIR_MODE)
        .create(dir)?;
    let mode = fs::metadata(dir)?.permissions().mode();
    if mode & 0o077 != 0 {
        fs::set_permissions(dir, fs::Permissions::from_mode(mode & 0o700))?;
    }
    Ok(())
}

/// Flushes a directory entry change (create, rename, unlink) to disk.
pub(crate) fn sync_dir(dir: &Path) -> io::Result<()> {
    File::open(dir)?.sync_all()
}

/// Makes `file` private (0600) and flushes its contents to disk.
pub(crate) fn seal_file(file: &Path) -> io::Result<()> {
    fs::set_permissions(file, fs::Permissions::from_mode(PRIVATE_FILE_MODE))?;
    OpenOptions::new().read(true).open(file)?.sync_all()
}

/// Gives the complete file `from` its final name `to` atomically (same filesystem) and makes
/// that durable. A hard link is used rather than a rename because linking never replaces an
/// existing file: readers see either no file or the whole file, and no file is overwritten.
pub(crate) fn place_new_file(from: &Path, to: &Path) -> io::Result<()> {
    fs::hard_link(from, to)?;
    fs::remove_file(from)?;
    match to.parent() {
        Some(parent) => sync_dir(parent),
        None => Ok(()),
    }
}
