// tests/modules/hidden_modules.cpp - two shared libraries built with -fvisibility=hidden
// record into one counter and one histogram. Each library holds its own copy of vitals'
// inline code, and before the thread slots were marked process-wide each also had its own
// slot table: a thread of each took "slot 0", and their plain stores to the same cell lost
// increments.
// SPDX-License-Identifier: MIT
#include <vitals/counter.hpp>
#include <vitals/histogram.hpp>
#include <vitals/registry.hpp>
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
