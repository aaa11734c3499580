#![no_main]

libfuzzer_sys::fuzz_target!(|data: &[u8]| attune::server::fuzz::times(data));
