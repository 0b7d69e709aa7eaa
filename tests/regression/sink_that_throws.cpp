// tests/regression/sink_that_throws.cpp - a sink that threw (a peer that closed its socket)
// was called again from the output buffer's destructor during unwinding: with the chunk it
// had just failed on (a duplicate), or, if it threw again, std::terminate ended the program.
// A sink that threw while a collector's output was written was taken for the collector's
// failure: the render went on, called the sink again, and returned as if whole with a chunk
// missing (lines joined: `# TYPE computed_0# HELP second h`).
// SPDX-License-Identifier: MIT
#include <vitals/vitals.hpp>

#include <doctest/doctest.h>

#if VITALS_HAS_EXCEPTIONS()

#include <new>       // bad_alloc
#include <stdexcept> // runtime_error
#include <string>    // string, to_string

namespace {
void fill(vitals::registry& reg) {
    auto& f = reg.counter("c", "h", {"k"});
    for (int i = 0; i < 200; ++i) f.labels(std::to_string(i)).inc();
}

// Throws on call `fail_at`, and on every later call when `again` is set.
struct failing_sink {
    failing_sink(int fail_at_, bool again_) : fail_at(fail_at_), again(again_) {}
    int fail_at;
    bool again;
    int calls = 0;
    std::string received;
    void operator()(const char* data, std::size_t size) {
        ++calls;
        if (calls == fail_at || (again && calls > fail_at)) throw std::runtime_error("peer closed");
        received.append(data, size);
    }
};

void check_failures(bool again) {
    vitals::registry reg;
    fill(reg);
    const std::string text = vitals::to_text(reg);
    const std::string om = vitals::to_openmetrics(reg);

    failing_sink t(2, again);
    CHECK_THROWS_AS(vitals::write_text(reg, t), std::runtime_error);
    CHECK(t.calls == 2);
    CHECK(text.compare(0, t.received.size(), t.received) == 0);

    failing_sink o(2, again);
    CHECK_THROWS_AS(vitals::write_openmetrics(reg, o), std::runtime_error);
    CHECK(o.calls == 2);
    CHECK(om.compare(0, o.received.size(), o.received) == 0);

    // The caller's buffer, failing on the last chunk: that flush comes from finish(), and a
    // failure there is not retried either.
    char buffer[16];
    const int chunks = static_cast<int>((text.size() + sizeof buffer - 1) / sizeof buffer);
    failing_sink b(chunks, again);
    auto call = [](void* ctx, const char* d, std::size_t n) {
        (*static_cast<failing_sink*>(ctx))(d, n);
    };
    CHECK_THROWS_AS(vitals::write_text(reg, call, &b, buffer, sizeof buffer), std::runtime_error);
    CHECK(b.calls == chunks);
    CHECK(b.received == text.substr(0, static_cast<std::size_t>(chunks - 1) * sizeof buffer));

    // The sinks threw in the middle of the family, while the render had let go of its lock:
    // nothing is held now (a writer would wait for ever), and nothing was let go twice.
    auto& f = reg.counter("c", "h", {"k"});
    f.labels("new").inc();
    f.clear();
    CHECK(f.size() == 0);
    CHECK(vitals::to_text(reg).find("c_total{") == std::string::npos);
}
} // namespace

TEST_CASE("regression: a sink that throws once is not called again with the same chunk") {
    check_failures(false);
}

// Before the fix this one ended the program (std::terminate during unwinding).
TEST_CASE("regression: a sink that keeps throwing hands its exception to the caller") {
    check_failures(true);
}

namespace {
// Two collectors writing 40 families each; the first swallows every exception when
// `swallow` is set (a collector that catches broadly around its own code).
void add_collectors(vitals::registry& reg, bool swallow) {
    reg.add_collector([swallow](vitals::collector_output& out) {
        for (int i = 0; i < 40; ++i) {
            auto write = [&] { out.gauge("computed_" + std::to_string(i), "h", i); };
            if (!swallow) {
                write();
                continue;
            }
            try {
                write();
            } catch (...) {}
        }
    });
    reg.add_collector([](vitals::collector_output& out) {
        for (int i = 0; i < 40; ++i) out.gauge("second_" + std::to_string(i), "h", i);
    });
}

void check_collector_sink(bool swallow, bool again) {
    vitals::registry reg;
    add_collectors(reg, swallow);
    const std::string text = vitals::to_text(reg);
    for (int fail_at : {1, 2, 7, 30}) {
        CAPTURE(fail_at);
        char buffer[64];
        failing_sink t(fail_at, again);
        auto call = [](void* ctx, const char* d, std::size_t n) {
            (*static_cast<failing_sink*>(ctx))(d, n);
        };
        CHECK_THROWS_AS(vitals::write_text(reg, call, &t, buffer, sizeof buffer),
                        std::runtime_error);
        CHECK(t.calls == fail_at); // not called again after it threw
        CHECK(t.received == text.substr(0, t.received.size()));
        failing_sink o(fail_at, again);
        CHECK_THROWS_AS(vitals::write_openmetrics(reg, call, &o, buffer, sizeof buffer),
                        std::runtime_error);
        CHECK(o.calls == fail_at);
    }
    // The sink's failures are not the collectors'.
    CHECK(reg.collector_failure_count() == 0);
    CHECK(vitals::to_text(reg) == text);
}
} // namespace

TEST_CASE("regression: a sink that throws during a collector's output ends the render") {
    check_collector_sink(false, false);
    check_collector_sink(false, true);
}

TEST_CASE("regression: a collector that swallows the sink's exception does not hide it") {
    check_collector_sink(true, false);
    check_collector_sink(true, true);
}

#endif // VITALS_HAS_EXCEPTIONS()
