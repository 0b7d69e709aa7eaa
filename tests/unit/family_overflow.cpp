// tests/unit/family_overflow.cpp - lookups of label sets folded into a family's overflow
// series (past its series bound) are as cheap as a known lookup: they allocate nothing, take
// no lock (so a scrape in progress never holds them up), and are still all counted.
// SPDX-License-Identifier: MIT
// vitals-test: own program (it replaces operator new (counting_new.hpp))
#include <vitals/vitals.hpp>

#include <doctest/doctest.h>

#include "test_support.hpp"

#include "counting_new.hpp"

#include <atomic>  // atomic
#include <chrono>  // milliseconds
#include <cstddef> // size_t
#include <string>  // string, to_string
#include <thread>  // thread, this_thread
#include <vector>  // vector

namespace {

using vitals_test::contains;

struct overflowing {
    vitals::registry reg;
    vitals::counter_family& users;
    std::vector<std::string> past_bound; // label values that are not series of the family

    overflowing()
        : users(reg.counter("users", "Users.", {"user", "kind"}, [] {
              vitals::family_options opts;
              opts.max_series = 4;
              return opts;
          }())) {
        for (int i = 0; i < 4; ++i) users.labels("known" + std::to_string(i), "k").inc();
        for (int i = 0; i < 1000; ++i) past_bound.push_back("u" + std::to_string(i));
    }
};

} // namespace

TEST_CASE("family_overflow: lookups past the bound allocate nothing once the overflow exists") {
    overflowing f;
    f.users.labels("first", "k").inc(); // makes the overflow series and its counter series
    vitals::counter& overflow = f.users.labels("__overflow__", "__overflow__");
    std::size_t elsewhere = 0;
    const std::size_t n = allocations_during([&] {
        for (const std::string& u : f.past_bound) {
            vitals::counter& c = f.users.labels(u, "k");
            elsewhere += &c != &overflow;
            c.inc();
        }
    });
    CHECK(n == 0u);
    CHECK(elsewhere == 0u);
    const std::string text = vitals::to_text(f.reg);
    CHECK(contains(text, "users_total{user=\"__overflow__\",kind=\"__overflow__\"} 1001\n"));
    CHECK(contains(text, "vitals_series_overflow_total{family=\"users_total\"} 1001\n"));
    CHECK(f.users.size() == 5u); // the four known series and the overflow series

    SUBCASE("known and re-added series still find themselves") {
        CHECK(&f.users.labels("known0", "k") != &overflow);
        CHECK(f.users.remove("known1", "k"));
        f.users.labels("known1", "k").inc(7); // re-added: restarts at zero, not overflowed
        CHECK(contains(vitals::to_text(f.reg), "users_total{user=\"known1\",kind=\"k\"} 7\n"));
    }
    SUBCASE("after clear() the overflow series and its count come back at zero") {
        f.users.clear();
        f.users.labels("u1", "k").inc();
        f.users.labels("u2", "k").inc();
        const std::string again = vitals::to_text(f.reg);
        CHECK(contains(again, "users_total{user=\"__overflow__\",kind=\"__overflow__\"} 2\n"));
        CHECK_FALSE(contains(again, "user=\"known0\""));
        // The redirect count is the registry's own counter: it keeps counting.
        CHECK(contains(again, "vitals_series_overflow_total{family=\"users_total\"} 1003\n"));
    }
}

// Label values from clients (paths, user agents) may hold invalid UTF-8, which the family
// shows as U+FFFD: a lookup past the bound compares the shown form with the series (it may
// name one), made on the stack when the values are short. (It used to be made in strings
// on the heap, an allocation or more for each such lookup.)
TEST_CASE("family_overflow: lookups past the bound with invalid UTF-8 allocate nothing") {
    vitals::registry reg;
    vitals::family_options opts;
    opts.max_series = 2;
    auto& agents = reg.counter("agents", "Agents.", {"agent", "kind"}, opts);
    vitals::counter& replaced = agents.labels("ok\xef\xbf\xbd", "k"); // "ok" and U+FFFD
    agents.labels("x", "k").inc();
    vitals::counter& overflow = agents.labels("y", "k"); // past the bound
    std::vector<std::string> invalid;
    for (int i = 0; i < 1000; ++i) invalid.push_back("u" + std::to_string(i) + "\xff");
    const std::string kind = "\xfe" + std::string(30, 'k'); // past the values' first 16 bytes
    std::size_t elsewhere = 0;
    std::size_t found = 0;
    const std::size_t n = allocations_during([&] {
        for (const std::string& u : invalid) {
            vitals::counter& c = agents.labels(u, kind);
            elsewhere += &c != &overflow;
            c.inc();
            found += &agents.labels("ok\xff", "k") == &replaced; // shown as that series
        }
    });
    CHECK(n == 0u);
    CHECK(elsewhere == 0u);
    CHECK(found == invalid.size());
    CHECK(contains(vitals::to_text(reg),
                   "agents_total{agent=\"__overflow__\",kind=\"__overflow__\"} 1000\n"));
}

TEST_CASE("family_overflow: lookups past the bound do not wait for a scrape in progress") {
    overflowing f;
    f.users.labels("first", "k").inc();
    // A scrape through a 64-byte buffer hands the family's series to its sink while it holds
    // the family's reader lock; the sink stops there until the lookups below are done (at most
    // 10 s, so lookups that need the writer lock make this test fail instead of hanging).
    struct scrape_state {
        std::atomic<bool> in_family{false}, lookups_done{false}, gave_up{false};
    } state;
    std::thread scraper([&] {
        char buffer[64];
        const vitals::text_sink sink = [](void* context, const char* data, std::size_t size) {
            auto& st = *static_cast<scrape_state*>(context);
            if (st.in_family.load() || !contains(std::string(data, size), "users_total{")) return;
            st.in_family.store(true);
            for (int i = 0; i < 10000 && !st.lookups_done.load(); ++i)
                std::this_thread::sleep_for(std::chrono::milliseconds(1));
            st.gave_up.store(!st.lookups_done.load());
        };
        vitals::write_text(f.reg, sink, &state, buffer, sizeof buffer);
    });
    while (!state.in_family.load()) std::this_thread::yield();
    for (const std::string& u : f.past_bound) f.users.labels(u, "k").inc();
    state.lookups_done.store(true);
    scraper.join();
    CHECK_FALSE(state.gave_up.load());
    CHECK(contains(vitals::to_text(f.reg),
                   "users_total{user=\"__overflow__\",kind=\"__overflow__\"} 1001\n"));
}

// A value over max_label_value_bytes is longer still as shown, with each invalid UTF-8 byte
// replaced by U+FFFD (3 bytes), so it goes to the overflow series whatever its bytes. Such a
// value, a raw URL or a binary message, is what the bound is for: its lookup copies nothing.
// (Each lookup of one with an invalid byte used to copy it, three times its size, to replace
// those bytes first.)
TEST_CASE("family_overflow: a value over the byte bound allocates nothing, valid UTF-8 or not") {
    vitals::registry reg;
    vitals::family_options opts;
    opts.max_series = 4;
    opts.max_label_value_bytes = 16;
    auto& paths = reg.counter("paths", "Paths.", {"path"}, opts);
    const std::string ascii(1000, 'a');
    const std::string invalid = ascii.substr(0, 500) + '\xff' + ascii.substr(501);
    const std::string all_invalid(1000, '\xfe');
    vitals::counter& overflow = paths.labels(ascii); // makes the overflow series
    paths.labels("/").inc();
    SUBCASE("under the series bound") {}
    SUBCASE("past the series bound") {
        for (int i = 0; i < 5; ++i) paths.labels("/" + std::to_string(i)).inc();
    }
    const double before = overflow.value();
    std::size_t elsewhere = 0;
    const std::size_t n = allocations_during([&] {
        for (int i = 0; i < 100; ++i) {
            for (const std::string* v : {&invalid, &all_invalid}) {
                vitals::counter& c = paths.labels(*v);
                elsewhere += &c != &overflow;
                c.inc();
            }
        }
    });
    CHECK(n == 0u);
    CHECK(elsewhere == 0u);
    CHECK(overflow.value() == before + 200);
    CHECK_FALSE(contains(vitals::to_text(reg), "aaaa"));
}
