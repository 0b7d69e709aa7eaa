// tests/fuzz/fuzz_proc_status.cpp - libFuzzer target for the /proc/self/status parser.
// SPDX-License-Identifier: MIT
//
// Build and run (clang only): tests/fuzz/run.sh [seconds]. Every value found must be
// finite; proc_field must agree with parse_proc_status.
#include <vitals/process.hpp>

#include <cmath>       // isfinite
#include <cstddef>     // size_t
#include <cstdint>     // uint8_t
#include <cstdlib>     // abort
#include <optional>    // optional
#include <string_view> // string_view

namespace {
void require_finite(const std::optional<double>& v) {
    if (v && !std::isfinite(*v)) std::abort();
}
} // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    const std::string_view text(reinterpret_cast<const char*>(data), size);
    const vitals::detail::proc_status s = vitals::detail::parse_proc_status(text);
    require_finite(s.resident_bytes);
    require_finite(s.virtual_bytes);
    require_finite(s.threads);
    if (s.threads != vitals::detail::proc_field(text, "Threads:")) std::abort();
    return 0;
}
