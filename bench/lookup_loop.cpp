// bench/lookup_loop.cpp - a loop of labelled lookups and increments, for counting the
// instructions one costs (bench/count_lookup.sh runs it under valgrind). The label sets are
// bench_core.cpp's: 3 labels, 4 x 16 x 4 values, all series created up front, visited in the
// same order.
//
// Usage: lookup_loop [known|overflowed] [iterations]   (default: known 1000)
//   known       a family holding all 256 series
//   overflowed  a family bounded at 64 series of other values: every lookup is folded into
//               the overflow series
// SPDX-License-Identifier: MIT
#include <vitals/vitals.hpp>

#include <array>   // array
#include <cstdio>  // printf, fprintf
#include <cstdlib> // strtol
#include <cstring> // strcmp
#include <string>  // string, to_string
#include <vector>  // vector

int main(int argc, char** argv) {
    // Without arguments (as `meson test --benchmark` runs it): a short run of known lookups.
    const char* mode = argc > 1 ? argv[1] : "known";
    const bool overflowed = std::strcmp(mode, "overflowed") == 0;
    if (argc > 3 || (!overflowed && std::strcmp(mode, "known") != 0)) {
        std::fprintf(stderr, "usage: lookup_loop [known|overflowed] [iterations]\n");
        return 2;
    }
    const long iterations = argc > 2 ? std::strtol(argv[2], nullptr, 10) : 1000;
    const std::array<std::string, 4> methods = {"GET", "POST", "PUT", "DELETE"};
    const std::array<std::string, 4> statuses = {"200", "404", "500", "503"};
    std::vector<std::string> endpoints;
    for (int i = 0; i < 16; ++i) endpoints.push_back("/api/v1/resource_" + std::to_string(i));

    vitals::registry reg;
    vitals::family_options opts;
    if (overflowed) opts.max_series = 64;
    auto& fam = reg.counter("http_requests", "Requests.", {"method", "endpoint", "status"}, opts);
    if (overflowed) {
        for (std::size_t i = 0; i < 64; ++i) fam.labels(methods[i & 3], endpoints[i >> 2], "0");
    } else {
        for (const auto& m : methods)
            for (const auto& e : endpoints)
                for (const auto& s : statuses) fam.labels(m, e, s);
    }
    std::size_t i = 0;
    for (long k = 0; k < iterations; ++k) {
        fam.labels(methods[i & 3], endpoints[(i >> 2) & 15], statuses[(i >> 6) & 3]).inc();
        i = (i + 7) & 255; // 7 is odd: visits all 256 combinations
    }
    std::printf("%zu series\n", fam.size());
    return 0;
}
