//! The kernel's type-level rules, shown by programs that must not compile (trybuild): each file
//! in `tests/compile_fail/` breaks one rule, and its `.stderr` holds the compiler's refusal.
//! The messages depend on the compiler version, which `rust-toolchain.toml` pins.

#[test]
fn type_rules() {
    trybuild::TestCases::new().compile_fail("tests/compile_fail/*.rs");
}
