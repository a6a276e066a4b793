//! Structured logs through `tracing`: JSON lines in production, readable lines on a terminal.

use tracing_subscriber::EnvFilter;

/// For tests: readable lines through the test harness's capture (shown for a failing test, or
/// for every test with `--nocapture`).
pub fn init_for_tests(filter: &str) {
    let filter = EnvFilter::try_new(filter).unwrap_or_else(|_| EnvFilter::new("info"));
    let _ = tracing_subscriber::fmt().with_env_filter(filter).with_test_writer().try_init();
}

pub fn init(filter: &str, json: bool) {
    let filter = EnvFilter::try_new(filter).unwrap_or_else(|_| EnvFilter::new("info"));
    let builder = tracing_subscriber::fmt().with_env_filter(filter).with_writer(std::io::stderr);
    // `try_init`: a second call (tests, tools) keeps the first subscriber.
    let _ =
        if json { builder.json().flatten_event(true).with_current_span(true).try_init() } else { builder.try_init() };
}
