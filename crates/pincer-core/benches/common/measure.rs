//! What the benches time with, shared: this thread's CPU time, and percentiles.

/// This thread's CPU time in ms: what a piece of work costs, however busy the machine (the
/// one these numbers come from was running builds beside the benches).
#[cfg(target_os = "linux")]
#[allow(unsafe_code)]
pub fn cpu_ms() -> f64 {
    let mut ts = libc::timespec {
        tv_sec: 0,
        tv_nsec: 0,
    };
    // SAFETY: clock_gettime writes one timespec through a valid, exclusive pointer.
    let rc = unsafe { libc::clock_gettime(libc::CLOCK_THREAD_CPUTIME_ID, &mut ts) };
    assert_eq!(rc, 0, "clock_gettime(CLOCK_THREAD_CPUTIME_ID)");
    ts.tv_sec as f64 * 1000.0 + ts.tv_nsec as f64 / 1_000_000.0
}

/// Elsewhere, wall time stands in for it.
#[cfg(not(target_os = "linux"))]
pub fn cpu_ms() -> f64 {
    use std::time::Instant;
    static START: std::sync::OnceLock<Instant> = std::sync::OnceLock::new();
    START.get_or_init(Instant::now).elapsed().as_secs_f64() * 1000.0
}

/// The `p` quantile (0 to 1) of `values`, which it sorts.
#[allow(dead_code)] // not every bench reports percentiles this way
pub fn percentile(values: &mut [f64], p: f64) -> f64 {
    values.sort_by(f64::total_cmp);
    values[((values.len() as f64 - 1.0) * p).round() as usize]
}
