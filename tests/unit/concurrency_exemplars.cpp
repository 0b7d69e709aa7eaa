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
    // More writers than thread slots: some write their slot's cells, the others share the
    // shared cell (compare-and-swap), and a scrape picks among both kinds.
    for (unsigned t = 0; t < 6; ++t)
        writers.emplace_back([&, t] {
            for (unsigned i = 1; !stop.load(std::memory_order_relaxed); ++i) {
                const unsigned v = (i * 8 + t) % 200000 + 1;
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

TEST_CASE("concurrency: short-lived threads hand exemplar cells on whole, through their slots") {
    // Each thread records a few exemplars and exits, giving its slot (and so its cells) to the
    // next; more threads at once than there are slots, so some share the shared cells. A
    // scrape must only ever show a whole exemplar, and after the last thread, the latest.
    vitals::registry reg;
    auto& h = reg.histogram("lat", "L.", {1e9});
    std::atomic<bool> stop{false};
    std::size_t seen = 0, torn = 0;
    std::thread reader([&] {
        while (!stop.load(std::memory_order_relaxed)) {
            const std::string out = vitals::to_openmetrics(reg);
            const std::size_t p = out.find("# {trace_id=\"");
            if (p == std::string::npos) continue;
            const std::string id = out.substr(p + 13, 32);
            const std::size_t value_at = out.find("} ", p) + 2;
            const unsigned v = static_cast<unsigned>(std::stoul(out.substr(value_at)));
            ++seen;
            torn += id != trace_id_for(v);
        }
    });
    unsigned next = 1;
    for (int round = 0; round < 150; ++round) {
        std::vector<std::thread> batch;
        for (int t = 0; t < VITALS_COUNTER_STRIPES + 2; ++t, ++next)
            batch.emplace_back([&h, v = next] {
                const std::string id = trace_id_for(v);
                for (int i = 0; i < 20; ++i)
                    h.observe(static_cast<double>(v), vitals::exemplar{"trace_id", id}.at(v));
            });
        for (auto& t : batch) t.join();
    }
    stop = true;
    reader.join();
    CHECK(torn == 0);
    CHECK(h.count() == 20u * (next - 1));
    // Every thread stamped its exemplars with its own number, so the one shown is from the
    // last batch: one of its threads at least held a slot, whose cell no later thread wrote
    // (in the shared cell, a later write wins whatever its timestamp).
    const std::string out = vitals::to_openmetrics(reg);
    const std::size_t p = out.find("# {trace_id=\"");
    REQUIRE(p != std::string::npos);
    const unsigned shown = static_cast<unsigned>(std::stoul(out.substr(out.find("} ", p) + 2)));
    CHECK(shown >= next - (VITALS_COUNTER_STRIPES + 2));
    CHECK(shown <= next - 1);
    CHECK(out.substr(p + 13, 32) == trace_id_for(shown));
    INFO("exemplars seen by the reader: " << seen);
}
