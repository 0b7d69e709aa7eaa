// tests/fuzz/fuzz_memory_limit.cpp - libFuzzer target for the cgroup memory limit parser.
// SPDX-License-Identifier: MIT
//
// Build and run (clang only): tests/fuzz/run.sh [seconds]. A limit, when found, is a finite
// number that is not negative.
#include <vitals/process.hpp>

#include <cmath>       // isfinite
#include <cstddef>     // size_t
#include <cstdint>     // uint8_t
#include <cstdlib>     // abort
#include <string_view> // string_view

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    const std::string_view text(reinterpret_cast<const char*>(data), size);
    const auto limit = vitals::detail::parse_memory_limit(text);
    if (limit && (!std::isfinite(*limit) || *limit < 0)) std::abort();
    return 0;
}
