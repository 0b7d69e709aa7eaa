// tests/fuzz/fuzz_proc_stat.cpp - libFuzzer target for the /proc/self/stat parser.
// SPDX-License-Identifier: MIT
//
// Build and run (clang only): tests/fuzz/run.sh [seconds]. Any input must parse or be
// refused without a crash, and every value parsed must be finite.
#include <vitals/process.hpp>

#include <cmath>       // isfinite
#include <cstddef>     // size_t
#include <cstdint>     // uint8_t
#include <cstdlib>     // abort
#include <string_view> // string_view

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    const std::string_view text(reinterpret_cast<const char*>(data), size);
    vitals::detail::proc_stat s;
    if (vitals::detail::parse_proc_stat(text, s)) {
        if (!std::isfinite(s.threads) || !std::isfinite(s.start_ticks) || !std::isfinite(s.vsize) ||
            !std::isfinite(s.rss_pages))
            std::abort();
    }
    return 0;
}
