#![no_main]

libfuzzer_sys::fuzz_target!(|data: &[u8]| pincer_gateway::fuzzing::ws_message(data));
