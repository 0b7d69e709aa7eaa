// tests/unit/concurrency_exemplars.cpp - exemplars written by several threads while others
// scrape: every exemplar a scrape shows is whole (its labels and value come from one write),
// never torn. Part of the TSan step (tests labelled concurrency).
// SPDX-License-Identifier: MIT
#include <vitals/vitals.hpp>

#include <doctest/doctest.h>

#include <atomic> // atomic
#include <cstdio> // snprintf
#include <string> // string
#include <thread> // thread
#include <vector> // vector

namespace {
// The trace id a writer uses for value v: 32 hex digits that encode v, so a reader can tell a
// whole exemplar (id matches value) from a torn one.
std::string trace_id_for(unsigned v) {
    char buf[40];
    std::snprintf(buf, sizeof buf, "%08x%08x%08x%08x", v, v * 7u, v ^ 0x5a5a5a5au, v + 13u);
    return buf;
}
} // namespace

TEST_CASE("concurrency: exemplars are never torn while threads record and scrape") {
    vitals::registry reg;
    auto& c = reg.counter("req", "R.");
    auto& h = reg.histogram("lat", "L.", {1e9}); // one bucket all writers share
    std::atomic<bool> stop{false};
    std::vector<std::thread> writers;
    for (unsigned t = 0; t < 3; ++t)
        writers.emplace_back([&, t] {
            for (unsigned i = 1; !stop.load(std::memory_order_relaxed); ++i) {
                const unsigned v = (i * 4 + t) % 200000 + 1;
                const std::string id = trace_id_for(v);
                const std::string extra(v % 90, 'x'); // exemplars of different lengths
                const vitals::exemplar_label labels[] = {{"trace_id", id}, {"pad", extra}};
                c.inc(static_cast<double>(v), vitals::exemplar(labels));
                h.observe(static_cast<double>(v), vitals::exemplar(labels));
            }
        });
    std::size_t seen = 0, torn = 0;
    // Enough reads that writers and readers overlap even on a busy two-core machine.
    for (int scrape = 0; scrape < 100000 && seen < 40000; ++scrape) {
        const std::string out = vitals::to_openmetrics(reg);
        for (std::size_t p = out.find("# {trace_id=\""); p != std::string::npos;
             p = out.find("# {trace_id=\"", p + 1)) {
            const std::string id = out.substr(p + 13, 32);
            const std::size_t pad_at = p + 13 + 32 + 7; // after `",pad="`
            const std::size_t pad_end = out.find('"', pad_at);
            const std::size_t value_at = out.find("} ", pad_end) + 2;
            const unsigned v = static_cast<unsigned>(std::stoul(out.substr(value_at)));
            ++seen;
            torn += id != trace_id_for(v) || pad_end - pad_at != v % 90 ||
                    out.compare(p + 13 + 32, 7, "\",pad=\"") != 0;
        }
    }
    stop = true;
    for (auto& w : writers) w.join();
    CHECK(seen > 0);
    CHECK(torn == 0);
}
