//! Links the kernel with `kernel.ld` and builds the user programs it embeds.
//!
//! The user programs are the `user` crate of this workspace, built for the same target in
//! release mode by a nested cargo with its own target directory (inside this build's OUT_DIR,
//! so it never waits on the outer build's lock). They are linked at a low address, so they use
//! the `small` code model instead of the target's default `kernel` model. `programs.rs` in
//! OUT_DIR then lists them for `src/programs.rs`.

use std::env;
use std::fmt::Write as _;
use std::fs;
use std::path::{Path, PathBuf};
use std::process::Command;

fn main() {
    let manifest = PathBuf::from(env::var("CARGO_MANIFEST_DIR").expect("CARGO_MANIFEST_DIR"));
    let workspace = manifest
        .parent()
        .expect("kernel crate inside the workspace");
    let out = PathBuf::from(env::var("OUT_DIR").expect("OUT_DIR"));

    println!(
        "cargo:rustc-link-arg-bins=-T{}",
        manifest.join("kernel.ld").display()
    );
    println!("cargo:rerun-if-changed=kernel.ld");
    println!(
        "cargo:rerun-if-changed={}",
        workspace.join("user").display()
    );
    println!("cargo:rerun-if-changed={}", workspace.join("abi").display());

    let user_target = out.join("user-target");
    build_user_programs(workspace, &user_target);
    let bin_dir = user_target.join("x86_64-unknown-none").join("release");
    write_program_list(
        &program_names(&workspace.join("user/src/bin")),
        &bin_dir,
        &out,
    );
}

fn build_user_programs(workspace: &Path, target_dir: &Path) {
    let cargo = env::var("CARGO").unwrap_or_else(|_| "cargo".into());
    let mut cmd = Command::new(cargo);
    cmd.current_dir(workspace)
        .args([
            "build",
            "--package",
            "user",
            "--release",
            "--target",
            "x86_64-unknown-none",
        ])
        .arg("--target-dir")
        .arg(target_dir)
        .env(
            "CARGO_ENCODED_RUSTFLAGS",
            "-Crelocation-model=static\x1f-Ccode-model=small",
        )
        .env("CARGO_PROFILE_RELEASE_DEBUG", "false");
    // What the outer cargo set for this build script must not leak into the nested build.
    for (key, _) in env::vars() {
        let leaks = key.starts_with("CARGO_CFG_")
            || key.starts_with("CARGO_FEATURE_")
            || key.starts_with("CARGO_PKG_")
            || key.starts_with("CARGO_MANIFEST_")
            || matches!(
                key.as_str(),
                "RUSTFLAGS"
                    | "CARGO_TARGET_DIR"
                    | "CARGO_BUILD_TARGET"
                    | "RUSTC_WRAPPER"
                    | "RUSTC_WORKSPACE_WRAPPER"
                    | "OUT_DIR"
                    | "TARGET"
                    | "HOST"
                    | "PROFILE"
                    | "OPT_LEVEL"
                    | "DEBUG"
                    | "NUM_JOBS"
            );
        if leaks {
            cmd.env_remove(&key);
        }
    }
    let status = cmd
        .status()
        .expect("build.rs: cannot run cargo to build the user programs");
    assert!(
        status.success(),
        "build.rs: building the user programs failed"
    );
}

fn program_names(bin_src: &Path) -> Vec<String> {
    let mut names: Vec<String> = fs::read_dir(bin_src)
        .unwrap_or_else(|e| panic!("build.rs: cannot read {}: {e}", bin_src.display()))
        .filter_map(|entry| {
            let path = entry.ok()?.path();
            (path.extension()? == "rs").then(|| path.file_stem()?.to_str().map(String::from))?
        })
        .collect();
    names.sort();
    names
}

fn write_program_list(names: &[String], bin_dir: &Path, out: &Path) {
    let mut list = String::from("/// Every user program: its name and its ELF image.\n");
    list.push_str("pub static PROGRAMS: &[(&str, &[u8])] = &[\n");
    for name in names {
        let path = bin_dir.join(name);
        assert!(
            path.exists(),
            "build.rs: user program {} was not built",
            path.display()
        );
        writeln!(
            list,
            "    ({name:?}, include_bytes!({:?})),",
            path.display().to_string()
        )
        .expect("write to a String");
    }
    list.push_str("];\n");
    fs::write(out.join("programs.rs"), list).expect("build.rs: cannot write programs.rs");
}
