// tests/regression/sink_that_throws.cpp - a sink that threw (a peer that closed its socket)
// was called again from the output buffer's destructor during unwinding: with the chunk it
// had just failed on (a duplicate), or, if it threw again, std::terminate ended the program.
// SPDX-License-Identifier: MIT
#include <vitals/vitals.hpp>

#include <doctest/doctest.h>

#if VITALS_HAS_EXCEPTIONS()

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

#endif // VITALS_HAS_EXCEPTIONS()
