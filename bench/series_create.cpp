// bench/series_create.cpp - what making a new series costs as a family grows: a family of two
// label names is filled with series in random order, and the last 1,000 series made on the way
// to each size are timed. The in-run baseline is the first row (a family of 1,000 series):
// each row prints its time per series and its ratio to that row, so a cost that grows with
// the family's size shows as a ratio that grows with it. The median of 5 rounds, each in a
// fresh registry, after one untimed round (without it the first rows pay for the process's
// first use of that memory); then a render checks that a family filled in random order is
// written in order.
//
// Usage: series_create [largest]   (default 300000; sizes 1,000, 10,000, 100,000, largest)
// Build: c++ -std=c++17 -O2 -DNDEBUG -Iinclude bench/series_create.cpp -o series_create
// SPDX-License-Identifier: MIT
#include <vitals/vitals.hpp>

#include <algorithm> // sort, shuffle
#include <chrono>    // steady_clock, duration
#include <cstddef>   // size_t
#include <cstdio>    // printf, fprintf, snprintf
#include <cstdlib>   // strtol
#include <random>    // mt19937
#include <string>    // string
#include <vector>    // vector

namespace {

using clock_type = std::chrono::steady_clock;

// Nanoseconds per series for the last `timed` series made on the way to each of `sizes`.
std::vector<double> one_round(const std::vector<std::size_t>& sizes, std::size_t timed,
                              std::vector<std::string>& users, unsigned seed) {
    std::mt19937 rng(seed);
    std::shuffle(users.begin(), users.end(), rng);
    vitals::registry reg;
    vitals::family_options options;
    options.max_series = sizes.back() + 1;
    auto& fam = reg.counter("app_user_requests", "Requests by user.", {"user", "region"}, options);
    std::vector<double> ns;
    std::size_t made = 0;
    for (std::size_t size : sizes) {
        for (; made + timed < size; ++made) fam.labels(users[made], "eu").inc();
        const auto start = clock_type::now();
        for (; made < size; ++made) fam.labels(users[made], "eu").inc();
        ns.push_back(std::chrono::duration<double, std::nano>(clock_type::now() - start).count() /
                     static_cast<double>(timed));
    }
    if (fam.size() != sizes.back()) {
        std::fprintf(stderr, "series_create: %zu series, expected %zu\n", fam.size(), sizes.back());
        std::exit(1);
    }
    return ns;
}

} // namespace

int main(int argc, char** argv) {
    const long largest = argc > 1 ? std::strtol(argv[1], nullptr, 10) : 300000;
    if (argc > 2 || largest < 100001 || largest > 10000000) {
        std::fprintf(stderr, "usage: series_create [largest, 100001-10000000]\n");
        return 2;
    }
    const std::vector<std::size_t> sizes{1000, 10000, 100000, static_cast<std::size_t>(largest)};
    std::vector<std::string> users;
    for (std::size_t i = 0; i < sizes.back(); ++i) {
        char buf[32];
        std::snprintf(buf, sizeof buf, "user-%08zx", i * 2654435761u % 4294967291u);
        users.emplace_back(buf);
    }
    constexpr int rounds = 5;
    std::vector<std::vector<double>> by_size(sizes.size());
    (void)one_round(sizes, 1000, users, 12344u);
    for (int r = 0; r < rounds; ++r) {
        const std::vector<double> ns = one_round(sizes, 1000, users, 12345u + unsigned(r));
        for (std::size_t k = 0; k < sizes.size(); ++k) by_size[k].push_back(ns[k]);
    }
    std::vector<double> median;
    for (std::vector<double>& v : by_size) {
        std::sort(v.begin(), v.end());
        median.push_back(v[v.size() / 2]);
    }
    std::printf("%-28s %14s %10s\n", "family size", "ns per series", "ratio");
    for (std::size_t k = 0; k < sizes.size(); ++k)
        std::printf("%-28zu %14.0f %9.2fx\n", sizes[k], median[k], median[k] / median[0]);

    // The exposition of a family filled in random order is sorted by label values.
    vitals::registry reg;
    vitals::family_options check_options;
    check_options.max_series = 20000;
    auto& fam = reg.gauge("app_check", "Order check.", {"user"}, check_options);
    for (std::size_t i = 0; i < 20000; ++i) fam.labels(users[i]).set(1);
    const std::string text = vitals::to_text(reg);
    std::string previous;
    std::size_t lines = 0;
    for (std::size_t at = text.find("app_check{"); at != std::string::npos;
         at = text.find("app_check{", at + 1)) {
        const std::string line = text.substr(at, text.find('\n', at) - at);
        if (!previous.empty() && !(previous < line)) {
            std::fprintf(stderr, "series_create: out of order: %s after %s\n", line.c_str(),
                         previous.c_str());
            return 1;
        }
        previous = line;
        ++lines;
    }
    if (lines != 20000) {
        std::fprintf(stderr, "series_create: %zu series written, expected 20000\n", lines);
        return 1;
    }
    return 0;
}
