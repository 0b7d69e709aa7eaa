// tests/fuzz/fuzz_cgroup.cpp - libFuzzer target for the /proc/self/cgroup parser.
// SPDX-License-Identifier: MIT
//
// Build and run (clang only): tests/fuzz/run.sh [seconds]. Any text must give a list of
// files under /sys/fs/cgroup/ that end in a memory limit file name and never climb out
// ("/.."), without throwing.
#include <vitals/process.hpp>

#include <cstddef>     // size_t
#include <cstdint>     // uint8_t
#include <cstdlib>     // abort
#include <string>      // string
#include <string_view> // string_view

namespace {
bool ends_with(const std::string& s, std::string_view tail) {
    return s.size() >= tail.size() && s.compare(s.size() - tail.size(), tail.size(), tail) == 0;
}
} // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    const std::string_view text(reinterpret_cast<const char*>(data), size);
    for (const std::string& file : vitals::detail::cgroup_limit_files(text)) {
        if (file.compare(0, 15, "/sys/fs/cgroup/") != 0) std::abort();
        if (file.find("/..") != std::string::npos) std::abort();
        if (!ends_with(file, "/memory.max") && !ends_with(file, "/memory.limit_in_bytes"))
            std::abort();
    }
    return 0;
}
