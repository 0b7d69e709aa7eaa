// tests/modules/hidden_modules.cpp - two shared libraries built with -fvisibility=hidden
// record into one counter and one histogram. Each library holds its own copy of vitals'
// inline code, and before the thread slots were marked process-wide each also had its own
// slot table: a thread of each took "slot 0", and their plain stores to the same cell lost
// increments.
// SPDX-License-Identifier: MIT
#include <vitals/counter.hpp>
#include <vitals/histogram.hpp>
#include <vitals/record/cache.hpp>
#include <vitals/registry.hpp>
#include <vitals/server.hpp>
#include <vitals/text_format.hpp>

#include <doctest/doctest.h>

#include <atomic>  // atomic
#include <chrono>  // steady_clock, seconds
#include <cstdint> // uint64_t
#include <cstdio>  // fputs
#include <cstdlib> // _Exit
#include <string>  // string
#include <thread>  // thread, yield

extern "C" void a_record(vitals::counter& c, vitals::histogram& h, long n);
extern "C" void b_record(vitals::counter& c, vitals::histogram& h, long n);
extern "C" unsigned a_thread_state();
extern "C" unsigned b_thread_state();
extern "C" vitals::registry* a_default_registry();
extern "C" vitals::registry* b_default_registry();
extern "C" void a_add_registering_collector(vitals::registry& reg, int* code);
extern "C" vitals::kits::cache_metrics* a_make_cache(vitals::registry& reg, const char* ns,
                                                     const char* name, int* code);
extern "C" vitals::kits::cache_metrics* b_make_cache(vitals::registry& reg, const char* ns,
                                                     const char* name, int* code);
extern "C" void a_free_cache(vitals::kits::cache_metrics* kit);
extern "C" void b_free_cache(vitals::kits::cache_metrics* kit);
extern "C" int a_register_build_info(vitals::registry& reg, const char* version);
extern "C" int b_register_build_info(vitals::registry& reg, const char* version);
extern "C" vitals::health_server* a_start_server(vitals::registry& reg, int* code);
extern "C" vitals::health_server* b_start_server(vitals::registry& reg, int* code);
extern "C" void a_free_server(vitals::health_server* server);
extern "C" void b_free_server(vitals::health_server* server);

TEST_CASE("modules: libraries built with hidden symbols share the process's thread slots") {
    vitals::counter c;
    vitals::histogram h({1.0});
    // A thread that recorded through one library has the same slot in the other, and a
    // second thread, alive at the same time, another slot.
    std::atomic<bool> ready{false}, release{false};
    unsigned first_in_a = 0, first_in_b = 0, second_in_a = 0, second_in_b = 0;
    std::thread first([&] {
        a_record(c, h, 1);
        first_in_a = a_thread_state();
        first_in_b = b_thread_state();
        ready = true;
        while (!release.load()) std::this_thread::yield();
    });
    while (!ready.load()) std::this_thread::yield();
    std::thread([&] {
        b_record(c, h, 1);
        second_in_a = a_thread_state();
        second_in_b = b_thread_state();
    }).join();
    release = true;
    first.join();
    CHECK(first_in_a != 0);
    CHECK(first_in_a == first_in_b);
    CHECK(second_in_a == second_in_b);
    CHECK(first_in_a != second_in_b);
    // This program's own code (the main thread records here first) sees the same slot too.
    c.inc();
    CHECK(vitals::detail::thread_state() != 0);
    CHECK(a_thread_state() == vitals::detail::thread_state());
    CHECK(b_thread_state() == vitals::detail::thread_state());

    // Both at once: every increment and observation counted.
    const long n = 1000000;
    std::thread in_a([&] { a_record(c, h, n); });
    std::thread in_b([&] { b_record(c, h, n); });
    in_a.join();
    in_b.join();
    CHECK(c.whole_value() == static_cast<std::uint64_t>(2 * n + 3));
    CHECK(h.count() == static_cast<std::uint64_t>(2 * n + 2));
}

TEST_CASE("modules: the default registry is one per process") {
    // Metrics a plugin registers in default_registry() are those the program serves.
    CHECK(a_default_registry() == &vitals::default_registry());
    CHECK(b_default_registry() == &vitals::default_registry());
}

TEST_CASE("modules: a plugin's collector registering during a scrape is refused, not stuck") {
    // The plugin's code must see that this thread is scraping `reg` (a thread-local marker):
    // with its own copy of the marker, its registration waited for the writer lock that the
    // scrape holds, for ever.
    vitals::registry reg;
    int code = 0;
    a_add_registering_collector(reg, &code);
    std::atomic<bool> done{false};
    std::string text;
    std::thread scraper([&] {
        text = vitals::to_text(reg);
        done = true;
    });
    const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(20);
    while (!done.load() && std::chrono::steady_clock::now() < deadline) std::this_thread::yield();
    if (!done.load()) {
        std::fputs("the scrape is stuck in the plugin's registration\n", stderr);
        std::_Exit(1); // the scraping thread cannot be joined
    }
    scraper.join();
    CHECK(code == static_cast<int>(vitals::errc::invalid_argument));
    CHECK(text.find("plugin_up 1\n") != std::string::npos);
    CHECK(text.find("plugin_late_total") == std::string::npos);
}

namespace {
// How many times `text` holds `what`.
int occurrences(const std::string& text, const std::string& what) {
    int n = 0;
    for (std::size_t at = text.find(what); at != std::string::npos; at = text.find(what, at + 1))
        ++n;
    return n;
}
} // namespace

TEST_CASE("modules: cache kits of two libraries share one hit rate family and its checks") {
    // A host and its plugin, each with a cache in namespace "app": the kits of a registry's
    // namespace are one group, whichever library made them. With a group per library, each
    // added its own hit-rate collector (the family written twice, the second refused) and
    // the same labels twice went unnoticed.
    vitals::registry reg;
    int code_users = 0, code_sessions = 0, code_again = 0;
    vitals::kits::cache_metrics* users = a_make_cache(reg, "app", "users", &code_users);
    vitals::kits::cache_metrics* sessions = b_make_cache(reg, "app", "sessions", &code_sessions);
    vitals::kits::cache_metrics* again = b_make_cache(reg, "app", "users", &code_again);
    users->hit();
    sessions->miss();
    const std::string text = vitals::to_text(reg);
    a_free_cache(users);
    b_free_cache(sessions);
    b_free_cache(again);
    CHECK(code_users == -1);
    CHECK(code_sessions == -1);
    CHECK(code_again == static_cast<int>(vitals::errc::conflicting_registration));
    CHECK(occurrences(text, "# TYPE app_cache_hit_rate gauge\n") == 1);
    CHECK(occurrences(text, "app_cache_hit_rate{cache=\"users\"} 1\n") == 1);
    CHECK(occurrences(text, "app_cache_hit_rate{cache=\"sessions\"} 0\n") == 1);
}

TEST_CASE("modules: of two libraries registering different builds at once, exactly one wins") {
    // The check that the family shows no other build and the series it allows are one step
    // under a lock: one per process, not one per library. A race: on the previous headers
    // both libraries' registrations succeeded within the first 100 rounds in each of three
    // runs here.
    for (int round = 0; round < 2000; ++round) {
        vitals::registry reg;
        // The family exists already, as the first registration leaves it: both threads then
        // find it at once and go on to the check together.
        (void)reg.info("plugin_build_info", "Build information; the value is always 1.",
                       {"version"});
        std::atomic<int> ready{0};
        int code_a = 0, code_b = 0;
        std::thread in_a([&] {
            ready.fetch_add(1);
            while (ready.load() < 2) {}
            code_a = a_register_build_info(reg, "1.0");
        });
        std::thread in_b([&] {
            ready.fetch_add(1);
            while (ready.load() < 2) {}
            code_b = b_register_build_info(reg, "2.0");
        });
        in_a.join();
        in_b.join();
        INFO("round ", round, ": codes ", code_a, " and ", code_b, " (-1: registered)");
        REQUIRE((code_a == -1) != (code_b == -1));
    }
}

TEST_CASE("modules: servers of two libraries do not both publish self-metrics in one registry") {
    // Two servers writing the same vitals_server_* series add up their requests and overwrite
    // each other's gauges; the second is refused, whichever library made it.
    vitals::registry reg;
    int code_a = 0, code_b = 0;
    vitals::health_server* first = a_start_server(reg, &code_a);
    vitals::health_server* second = b_start_server(reg, &code_b);
    b_free_server(second);
    a_free_server(first);
    CHECK(code_a == -1);
    CHECK(code_b == static_cast<int>(vitals::errc::already_running));
}
