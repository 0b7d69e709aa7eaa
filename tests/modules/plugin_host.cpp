// tests/modules/plugin_host.cpp - a program that loads a plugin with dlopen(): the plugin's
// copy of vitals' inline code must use the program's thread slots and default registry. The
// dynamic linker can merge the plugin's copies with the program's only when the program
// exports its own (-rdynamic: CMake's ENABLE_EXPORTS, meson's export_dynamic), which README
// asks of programs that load plugins using vitals; without it the plugin kept its own slot
// table, its threads took the slots of the program's threads, and increments were lost.
// SPDX-License-Identifier: MIT
#include <vitals/counter.hpp>
#include <vitals/histogram.hpp>
#include <vitals/registry.hpp>

#include <doctest/doctest.h>

#include <dlfcn.h> // dlopen, dlsym, dlerror

#include <atomic>  // atomic
#include <cstdint> // uint64_t
#include <thread>  // thread, yield

#ifndef VITALS_TEST_PLUGIN_PATH
#error "VITALS_TEST_PLUGIN_PATH: the path of the plugin to load"
#endif

namespace {

struct plugin {
    void* handle = dlopen(VITALS_TEST_PLUGIN_PATH, RTLD_NOW | RTLD_LOCAL);
    template <class Fn>
    Fn* find(const char* name) const {
        return handle ? reinterpret_cast<Fn*>(dlsym(handle, name)) : nullptr;
    }
};

using record_fn = void(vitals::counter&, vitals::histogram&, long);
using thread_state_fn = unsigned();
using default_registry_fn = vitals::registry*();

} // namespace

TEST_CASE("plugin: a dlopen()ed plugin shares the program's thread slots and default registry") {
    const plugin p;
    REQUIRE_MESSAGE(p.handle != nullptr, dlerror());
    auto* record = p.find<record_fn>("c_record");
    auto* thread_state = p.find<thread_state_fn>("c_thread_state");
    auto* registry_of = p.find<default_registry_fn>("c_default_registry");
    const bool found = record && thread_state && registry_of;
    REQUIRE_MESSAGE(found, "the plugin's functions are not exported");
    CHECK(registry_of() == &vitals::default_registry());

    vitals::counter c;
    vitals::histogram h({1.0});
    c.inc(); // this thread takes a slot in the program's code
    record(c, h, 1);
    CHECK(vitals::detail::thread_state() != 0);
    CHECK(thread_state() == vitals::detail::thread_state());

    // A thread recording in the program and one recording in the plugin, at once: every
    // increment and observation counted.
    const long n = 1000000;
    std::atomic<int> started{0};
    std::thread in_program([&] {
        started.fetch_add(1);
        while (started.load() < 2) std::this_thread::yield();
        for (long i = 0; i < n; ++i) {
            c.inc();
            h.observe(0.5);
        }
    });
    std::thread in_plugin([&] {
        started.fetch_add(1);
        while (started.load() < 2) std::this_thread::yield();
        record(c, h, n);
    });
    in_program.join();
    in_plugin.join();
    CHECK(c.whole_value() == static_cast<std::uint64_t>(2 * n + 2));
    CHECK(h.count() == static_cast<std::uint64_t>(2 * n + 1));
}
