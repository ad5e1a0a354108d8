//! Build script: tells the program which commit it is built from, as the compile-time
//! variable `VMKAUDIT_COMMIT` (`vmkaudit --version`, the Prometheus `vmkaudit_build_info`).
//!
//! The commit is the build environment's `VMKAUDIT_COMMIT` when it is set and not empty (for
//! packagers building from a release tarball); else `git rev-parse --short=12 HEAD` when the
//! package directory is the top of a git checkout (not merely somewhere inside another
//! repository, as an unpacked tarball can be); else `unknown`. Cargo runs the script again when
//! HEAD, the branch it points to or the variable changes. `tests/it/conventions.rs` compiles
//! this file as a module to test [`describe`] without a build.

use std::path::{Path, PathBuf};
use std::process::Command;

/// The commit of a git checkout and the git files whose change means another commit.
pub struct Commit {
    pub name: String,
    pub watch: Vec<PathBuf>,
}

fn main() {
    let dir = std::env::var_os("CARGO_MANIFEST_DIR")
        .map(PathBuf::from)
        .unwrap_or_default();
    println!("cargo:rerun-if-env-changed=VMKAUDIT_COMMIT");
    let from_env = std::env::var("VMKAUDIT_COMMIT").ok();
    let found = commit(&dir);
    match &found {
        Some(c) => {
            for p in &c.watch {
                println!("cargo:rerun-if-changed={}", p.display());
            }
        }
        // Without a rerun-if-changed line Cargo would run the script on every change.
        None => println!("cargo:rerun-if-changed=build.rs"),
    }
    let name = describe(found.map(|c| c.name), from_env);
    println!("cargo:rustc-env=VMKAUDIT_COMMIT={name}");
}

/// The commit name: `from_env` when set and not empty, else the checkout's, else `unknown`.
pub fn describe(checkout: Option<String>, from_env: Option<String>) -> String {
    from_env
        .filter(|v| !v.trim().is_empty())
        .map(|v| v.trim().to_string())
        .or(checkout)
        .unwrap_or_else(|| "unknown".to_string())
}

/// `git` in `dir` with `args`: its trimmed output when it succeeded.
fn git(dir: &Path, args: &[&str]) -> Option<String> {
    let out = Command::new("git")
        .args(args)
        .current_dir(dir)
        .output()
        .ok()?;
    if !out.status.success() {
        return None;
    }
    let s = String::from_utf8(out.stdout).ok()?.trim().to_string();
    (!s.is_empty()).then_some(s)
}

/// The commit of the git checkout whose top is `dir`; `None` when `dir` is not the top of a
/// checkout or git is not there.
pub fn commit(dir: &Path) -> Option<Commit> {
    let top = PathBuf::from(git(dir, &["rev-parse", "--show-toplevel"])?);
    if top.canonicalize().ok()? != dir.canonicalize().ok()? {
        return None;
    }
    let name = git(dir, &["rev-parse", "--short=12", "HEAD"])?;
    let mut watch = Vec::new();
    let mut git_path = |p: &str| {
        if let Some(rel) = git(dir, &["rev-parse", "--git-path", p]) {
            let path = dir.join(rel);
            if path.exists() {
                watch.push(path);
            }
        }
    };
    git_path("HEAD");
    git_path("packed-refs");
    if let Some(branch) = git(dir, &["symbolic-ref", "-q", "HEAD"]) {
        git_path(&branch);
    }
    Some(Commit { name, watch })
}
