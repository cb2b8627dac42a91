//! Fingerprints the core's source for snapshots (`src/snapshot.rs`): a snapshot records the
//! fingerprint of the build that wrote it and is read only by a build of the same source, so a
//! change to any type the state holds can never be misread from an older snapshot, even if
//! nobody bumps `SNAPSHOT_FORMAT`.

use std::path::{Path, PathBuf};

use sha2::{Digest, Sha256};

fn main() {
    println!("cargo:rerun-if-changed=src");
    let mut files = Vec::new();
    collect(Path::new("src"), &mut files);
    files.sort();
    let mut hasher = Sha256::new();
    for file in &files {
        let text = std::fs::read(file).expect("read a source file");
        hasher.update(file.to_string_lossy().as_bytes());
        hasher.update((text.len() as u64).to_le_bytes());
        hasher.update(&text);
    }
    let digest = hasher.finalize();
    println!(
        "cargo:rustc-env=FAIRSHARE_CORE_SOURCE_HASH={}",
        hex::encode(&digest[..8])
    );
}

fn collect(dir: &Path, files: &mut Vec<PathBuf>) {
    for entry in std::fs::read_dir(dir).expect("read the source directory") {
        let path = entry.expect("a directory entry").path();
        if path.is_dir() {
            collect(&path, files);
        } else if path.extension().is_some_and(|ext| ext == "rs") {
            files.push(path);
        }
    }
}
