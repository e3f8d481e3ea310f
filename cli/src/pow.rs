//! `pow`, defined in the binary so that glibc's `libm.so.6` is never loaded.
//!
//! The only function the binary took from libm is `pow`, behind `f64::powf` in tokio's
//! scheduler statistics. For that one function the loader mapped the whole library and ran its
//! start-up relocations and CPU-feature resolvers, which kept about half a MiB of it resident
//! (a twentieth of the process after a few turns). With `pow` defined here the linker resolves
//! the call to this definition and, linking `--as-needed`, leaves libm out of the binary's
//! needed libraries. The `libm` crate is musl's implementation in Rust, correct to within an
//! ulp like glibc's.
#![allow(unsafe_code)]

/// C's `pow(x, y)`: `x` raised to the power `y`.
// SAFETY: no other definition of `pow` is linked into the binary (the point of this module),
// and this one has C's signature and semantics.
#[unsafe(no_mangle)]
pub extern "C" fn pow(x: f64, y: f64) -> f64 {
    libm::pow(x, y)
}

#[cfg(test)]
mod tests {
    use pretty_assertions::assert_eq;

    #[test]
    fn powers_match_the_standard_library() {
        assert_eq!(super::pow(2.0, 10.0), 1024.0);
        assert_eq!(super::pow(9.0, 0.5), 3.0);
        assert_eq!(super::pow(0.5, -2.0), 4.0);
        assert!(super::pow(-8.0, 1.0 / 3.0).is_nan());
        let ewma = super::pow(0.1, 1.0 / 30.0);
        assert!((ewma - 0.926_118_728_129_2).abs() < 1e-12, "{ewma}");
    }
}
