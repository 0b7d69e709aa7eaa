// tests/unit/text_format_alloc.cpp - the serializer does not allocate once its output buffer
// is reused (issue 2), and a cached series handle never allocates.
// SPDX-License-Identifier: MIT
// vitals-test: own program (it replaces operator new (counting_new.hpp))
//
// This program replaces the global operator new/delete with versions that count the
// allocations the current thread makes while counting is switched on (counting_new.hpp); the
// checks switch it on around the calls under test only, so doctest's own allocations do not
// matter.
#include <vitals/exposition/openmetrics.hpp>
#include <vitals/registry.hpp>
#include <vitals/text_format.hpp>

#include <doctest/doctest.h>

#include "counting_new.hpp"

#include <cstddef>     // size_t
#include <cstdint>     // uint64_t
#include <cstdio>      // snprintf
#include <limits>      // numeric_limits
#include <new>         // bad_alloc
#include <string>      // string, to_string
#include <string_view> // string_view
#include <vector>      // vector

namespace {

/// Every kind of registered series, with label values that need escaping, a fractional
/// counter, special floats and const labels.
void fill(vitals::registry& reg) {
    auto& requests =
        reg.counter("alloc_requests", "Requests \\ handled\nin total.", {"method", "path", "code"});
    auto& queue = reg.gauge("alloc_queue_depth", "Queued items.", {"queue"});
    auto& latency = reg.histogram("alloc_latency_seconds", "Latency.", {"path"});
    vitals::family_options opts;
    opts.const_labels = {{"region", "eu-\"west\""}};
    auto& sized = reg.histogram("alloc_size_bytes", "Sizes.", {"kind"},
                                vitals::exponential_buckets(64, 4, 8), opts);
    for (int i = 0; i < 300; ++i) {
        const std::string path = "/api/v1/items/" + std::to_string(i % 37) + "/\"quoted\"\n";
        requests.labels(i % 2 ? "GET" : "POST", path, std::to_string(200 + i % 5))
            .inc_by(static_cast<std::uint64_t>(i) * 7919u);
        queue.labels("q" + std::to_string(i)).set(i * 0.37 - 20);
        latency.labels(path).observe(i * 0.0123);
        sized.labels(i % 3 ? "body" : "caf\xC3\xA9").observe(i * 100.5);
    }
    reg.counter("alloc_busy_seconds", "Busy time.").inc(0.25);
    reg.gauge("alloc_inf", "Infinite.").set(std::numeric_limits<double>::infinity());
    reg.gauge("alloc_nan", "Not a number.").set(std::numeric_limits<double>::quiet_NaN());
    reg.counter("alloc_overflowing", "Bounded.", {"k"},
                [] {
                    vitals::family_options o;
                    o.max_series = 2;
                    return o;
                }())
        .labels("a");
}

void discard(void*, const char*, std::size_t) {}

} // namespace

TEST_CASE("text_format_alloc: the counting allocator sees allocations") {
    const std::size_t n = allocations_during([] { std::string s(1000, 'x'); });
    CHECK(n == 1u);
}

TEST_CASE("text_format_alloc: writing into a reused string does not allocate") {
    vitals::registry reg;
    fill(reg);
    std::string out;
    vitals::write_text(reg, out); // grows the string to fit
    const std::string first = out;
    REQUIRE(first.size() > 50000u);
    for (int round = 0; round < 3; ++round) {
        CAPTURE(round);
        const std::size_t n = allocations_during([&] {
            out.clear();
            vitals::write_text(reg, out);
        });
        CHECK(n == 0u);
        CHECK(out == first);
    }
}

TEST_CASE("text_format_alloc: the sink form never allocates") {
    vitals::registry reg;
    fill(reg);
    for (std::size_t capacity : {std::size_t{1}, std::size_t{64}, std::size_t{4096}}) {
        CAPTURE(capacity);
        std::vector<char> buffer(capacity);
        const std::size_t n = allocations_during(
            [&] { vitals::write_text(reg, &discard, nullptr, buffer.data(), buffer.size()); });
        CHECK(n == 0u);
    }
    std::size_t bytes = 0;
    const std::size_t n = allocations_during(
        [&] { vitals::write_text(reg, [&](const char*, std::size_t size) { bytes += size; }); });
    CHECK(n == 0u);
    CHECK(bytes == vitals::to_text(reg).size());
}

TEST_CASE("text_format_alloc: to_text() and to_openmetrics() allocate once per call") {
    // Each registry keeps the size of its last exposition in each format, so that a service
    // rendering two registries in turn, or both formats, does not grow a fresh string step by
    // step (each step a new mapping faulted in page by page, for a large exposition).
    vitals::registry a;
    vitals::registry b;
    fill(a);
    fill(b);
    b.gauge("alloc_only_in_b", "Makes b's exposition longer.", {"k"}).labels("v").set(1);
    std::string expected_a_text;
    std::string expected_b_text;
    std::string expected_a_om;
    vitals::write_text(a, expected_a_text);
    vitals::write_text(b, expected_b_text);
    vitals::write_openmetrics(a, expected_a_om);
    REQUIRE(expected_a_text.size() > 50000u);
    REQUIRE(expected_b_text.size() > expected_a_text.size());
    // The first call of each learns the size.
    CHECK(vitals::to_text(a) == expected_a_text);
    CHECK(vitals::to_text(b) == expected_b_text);
    CHECK(vitals::to_openmetrics(a) == expected_a_om);
    for (int round = 0; round < 3; ++round) {
        CAPTURE(round);
        std::string text_a;
        std::string text_b;
        std::string om_a;
        CHECK(allocations_during([&] { text_a = vitals::to_text(a); }) == 1u);
        CHECK(allocations_during([&] { om_a = vitals::to_openmetrics(a); }) == 1u);
        CHECK(allocations_during([&] { text_b = vitals::to_text(b); }) == 1u);
        CHECK(text_a == expected_a_text);
        CHECK(text_b == expected_b_text);
        CHECK(om_a == expected_a_om);
    }
    // A registry that grew since its last render still renders whole (one reallocation more
    // at most), and the call after it allocates once again.
    auto& more = a.gauge("alloc_grown", "Added after a render.", {"k"});
    for (int i = 0; i < 2000; ++i) more.labels("value_" + std::to_string(i)).set(i);
    std::string grown;
    vitals::write_text(a, grown);
    CHECK(vitals::to_text(a) == grown);
    std::string again;
    CHECK(allocations_during([&] { again = vitals::to_text(a); }) == 1u);
    CHECK(again == grown);
}

TEST_CASE("text_format_alloc: hot paths and lookups of existing series do not allocate") {
    vitals::registry reg;
    auto& fam = reg.counter("alloc_hot", "Hot.", {"a", "b", "c"});
    auto& hist = reg.histogram("alloc_hot_seconds", "Hot.", {"a"});
    auto& g = reg.gauge("alloc_hot_gauge", "Hot.");
    const std::string long_value(100, 'v');
    fam.labels("x", long_value, "z").inc();
    hist.labels(long_value).observe(0.1);
    const std::size_t n = allocations_during([&] {
        for (int i = 0; i < 1000; ++i) {
            fam.labels("x", long_value, "z").inc();
            fam.labels("x", long_value, "z").inc(0.5);
            hist.labels(long_value).observe(i * 0.01);
            g.set(i);
            g.add(1.5);
        }
    });
    CHECK(n == 0u);
    CHECK(fam.labels("x", long_value, "z").value() == 1501.0);
}

TEST_CASE("text_format_alloc: exemplars allocate their cell once, also one they fill exactly") {
    // A thread's first exemplar in a bucket makes its cell (128 bytes of labels, or 2 KiB for
    // a longer one); later ones up to that size are written into it, one that fills it
    // exactly included.
    vitals::counter c;
    const std::string fills(112, 'a');  // with "trace_id": 8 + 8 + 112 bytes, the small cell
    const std::string longer(119, 'b'); // 136 bytes: the large cell
    for (const std::string* value : {&fills, &longer}) {
        c.inc(1, vitals::exemplar{"trace_id", *value});
        const std::size_t n = allocations_during([&] {
            for (int i = 0; i < 100; ++i) c.inc(1, vitals::exemplar{"trace_id", *value});
        });
        CHECK(n == 0u);
    }
    CHECK(c.whole_value() == 202u);
}

TEST_CASE("text_format_alloc: collectors write without allocating") {
    vitals::registry reg;
    fill(reg);
    reg.add_collector([](vitals::collector_output& out) {
        // Long names and label values that need escaping, beyond any small-string buffer.
        if (out.family("alloc_collected_ratio_of_something_with_a_rather_long_name",
                       "Computed at scrape time; \\ and\nnewline in help.",
                       vitals::metric_type::gauge)) {
            out.sample(0.5, {{"kind", "a \"quoted\" value\\ with a newline\n, long"}});
            out.sample(0.25, {{"kind", "b"}, {"other", "caf\xC3\xA9"}});
        }
        out.counter("alloc_collected_events", "Events.", 42);
        out.gauge("alloc_collected_level", "Level.", 1.5);
    });
    std::string out;
    vitals::write_text(reg, out);
    const std::string first = out;
    REQUIRE(first.find("alloc_collected_events_total 42\n") != std::string::npos);
    const std::size_t n = allocations_during([&] {
        out.clear();
        vitals::write_text(reg, out);
    });
    CHECK(n == 0u);
    CHECK(out == first);
    char buffer[256];
    const std::size_t m = allocations_during(
        [&] { vitals::write_text(reg, &discard, nullptr, buffer, sizeof buffer); });
    CHECK(m == 0u);
}

TEST_CASE("text_format_alloc: a collector's first 64 sample names and 32 label sets of a family "
          "need no allocation") {
    // collector_output keeps what it checks repeats against inline up to these counts (its
    // class comment says so): many programs' collectors stay below them.
    vitals::registry reg;
    reg.add_collector([](vitals::collector_output& out) {
        char name[32];
        for (int i = 0; i < 63; ++i) { // and one family more below: 64 names
            std::snprintf(name, sizeof name, "inline_gauge_%d", i);
            out.gauge(name, "G.", i);
        }
    });
    reg.add_collector([](vitals::collector_output& out) {
        // A second collector: its family names are checked against the first's.
        out.gauge("inline_gauge_0", "A repeat, dropped.", 0);
        out.family("inline_only_labels", "L.", vitals::metric_type::gauge);
        const char* const values[] = {"a", "b", "c", "d", "e", "f", "g", "h"};
        for (int i = 0; i < 32; ++i) out.sample(i, {{"x", values[i % 8]}, {"y", values[i / 8]}});
    });
    std::string out;
    vitals::write_text(reg, out);
    const std::string first = out;
    REQUIRE(first.find("inline_gauge_62 62\n") != std::string::npos);
    REQUIRE(first.find("inline_only_labels{x=\"h\",y=\"d\"} 31\n") != std::string::npos);
    REQUIRE(first.find("vitals_collector_dropped 1\n") != std::string::npos);
    const std::size_t n = allocations_during([&] {
        out.clear();
        vitals::write_text(reg, out);
    });
    CHECK(n == 0u);
    CHECK(out == first);
}

TEST_CASE("text_format_alloc: run-time label values look up without allocating") {
    vitals::registry reg;
    auto& fam = reg.counter("alloc_dynamic", "Dynamic.", {"a", "b", "c"});
    const std::vector<std::string> values = {"GET", std::string(40, 'p'), "200"};
    fam.labels(values).inc();
    const std::size_t n = allocations_during([&] {
        for (int i = 0; i < 100; ++i) fam.labels(values).inc();
    });
    CHECK(n == 0u);
    CHECK(fam.labels("GET", std::string(40, 'p'), "200").value() == 101.0);
}

#if VITALS_HAS_EXCEPTIONS()
TEST_CASE("text_format_alloc: a series that cannot be made during a pause of the render leaves it "
          "in order") {
    // A family past 2,048 series keeps its newest series in a second run, which the making of
    // a series may first merge into the sorted one. When the allocations after that merge
    // fail, no series is made, yet the two runs have changed under a render that let go of
    // the lock (here, to call its sink): it must find its place again, not go on at an index
    // into the runs as they were.
    int checked = 0;
    for (std::size_t allowed = 0; allowed < 12; ++allowed) {
        vitals::registry reg;
        auto& fam = reg.counter("app_keys", "Keys.", {"k"});
        char key[16];
        for (int i = 0; i < 2048; ++i) {
            std::snprintf(key, sizeof key, "%05d", 2 * i);
            fam.labels(key).inc();
        }
        for (int i = 0; i < 64; ++i) { // fills the recent run: the next series merges it
            std::snprintf(key, sizeof key, "%05d", 2 * i + 1);
            fam.labels(key).inc();
        }
        struct state {
            vitals::family<vitals::counter>* fam = nullptr;
            std::size_t allowed = 0;
            int calls = 0;
            bool failed = false;
            std::string text;
        } st;
        st.fam = &fam;
        st.allowed = allowed;
        char buffer[256];
        vitals::write_text(
            reg,
            [](void* ctx, const char* data, std::size_t size) {
                auto& s = *static_cast<state*>(ctx);
                s.text.append(data, size);
                if (++s.calls != 3) return;
                try {
                    failing_allocations oom(s.allowed);
                    s.fam->labels("zzz_new").inc();
                } catch (const std::bad_alloc&) {
                    s.failed = true;
                }
            },
            &st, buffer, sizeof buffer);
        std::vector<std::string> keys;
        const std::string prefix = "app_keys_total{k=\"";
        for (std::size_t at = st.text.find(prefix); at != std::string::npos;
             at = st.text.find(prefix, at + 1)) {
            const std::size_t start = at + prefix.size();
            keys.push_back(st.text.substr(start, st.text.find('"', start) - start));
        }
        INFO("allocations allowed: " << allowed);
        bool ordered = true; // strictly: in order, and none twice
        for (std::size_t i = 1; i < keys.size(); ++i) ordered = ordered && keys[i - 1] < keys[i];
        CHECK(ordered);
        CHECK(keys.size() >= 2112u);
        if (st.failed) ++checked;
    }
    CHECK(checked >= 2); // the failure came both before and after the merge
}
#endif

#if VITALS_HAS_EXCEPTIONS()
// A string that could not grow while a collector wrote (the collector catching the bad_alloc
// and writing on) had the rest of the render written over what the caller's string held
// before it: write_text() appends, and the prefix was lost.
TEST_CASE("text format: a string that cannot grow during a collector keeps what it held") {
    vitals::registry reg;
    reg.add_collector([](vitals::collector_output& out) {
        char name[32];
        for (int i = 0; i < 2000; ++i) {
            std::snprintf(name, sizeof name, "computed_%d", i);
            try { // a collector that catches broadly around its own code
                out.gauge(name, "A computed value.", i);
            } catch (...) {}
        }
    });
    const std::string prefix(200, 'P');
    int failed = 0;
    for (std::size_t allowed = 0; allowed < 8; ++allowed) {
        CAPTURE(allowed);
        std::string out = prefix;
        bool threw = false;
        {
            failing_allocations oom(allowed);
            try {
                vitals::write_text(reg, out);
            } catch (...) {
                threw = true;
            }
        }
        CHECK(out.compare(0, prefix.size(), prefix) == 0);
        if (threw) {
            ++failed;
            continue;
        }
        // Rendered to the end: whole lines after the prefix (a failure of the collector's
        // own, caught by it, may leave a family out).
        CHECK(out.size() > prefix.size());
        CHECK(out.back() == '\n');
        for (std::size_t at = prefix.size(); at < out.size(); at = out.find('\n', at) + 1) {
            const std::string_view line(out.data() + at, out.find('\n', at) - at);
            CHECK((line.rfind("# ", 0) == 0 || line.rfind("computed_", 0) == 0 ||
                   line.rfind("vitals_collector_dropped", 0) == 0));
        }
    }
    CHECK(failed >= 2);
    CHECK(reg.collector_failure_count() == 0);
}
#endif
