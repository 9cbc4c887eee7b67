//! Links every user program with `user.ld`: at `abi::layout::UTEXT`, one segment per permission.

use std::path::Path;

fn main() {
    let manifest_dir = std::env::var("CARGO_MANIFEST_DIR").expect("cargo sets CARGO_MANIFEST_DIR");
    let script = Path::new(&manifest_dir).join("user.ld");
    // The script places the image at the symbol UTEXT; its value comes from the abi crate, the
    // one place the kernel (which checks and maps the segments) also takes it from.
    println!(
        "cargo:rustc-link-arg-bins=--defsym=UTEXT={:#x}",
        abi::layout::UTEXT
    );
    println!("cargo:rustc-link-arg-bins=-T{}", script.display());
    // The kernel embeds every program; compressed debug info keeps them a third of the size
    // while debuggers and objdump still read it.
    println!("cargo:rustc-link-arg-bins=--compress-debug-sections=zlib");
    println!("cargo:rerun-if-changed={}", script.display());
    println!("cargo:rerun-if-changed=build.rs");
}
