#![no_main]

libfuzzer_sys::fuzz_target!(|data: &[u8]| pincer_core::fuzzing::local_output(data));
