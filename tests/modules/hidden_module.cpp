// tests/modules/hidden_module.cpp - a shared library built with -fvisibility=hidden (and
// hidden inline functions) that records into metrics another module made, and registers and
// collects as a plugin does: built twice, as VITALS_TEST_MODULE=a and =b, for
// hidden_modules.cpp.
// SPDX-License-Identifier: MIT
#include <vitals/kits/build_info.hpp>
#include <vitals/kits/cache.hpp>
#include <vitals/record.hpp>
#include <vitals/registry.hpp>
#include <vitals/server.hpp>

#define VITALS_TEST_CAT2(module, fn) module##_##fn
#define VITALS_TEST_CAT(module, fn) VITALS_TEST_CAT2(module, fn)
#define VITALS_TEST_EXPORT extern "C" __attribute__((visibility("default")))

VITALS_TEST_EXPORT void VITALS_TEST_CAT(VITALS_TEST_MODULE, record)(vitals::counter& c,
                                                                    vitals::histogram& h, long n) {
    for (long i = 0; i < n; ++i) {
        c.inc();
        h.observe(0.5);
    }
}

// The calling thread's slot as this module's code sees it.
VITALS_TEST_EXPORT unsigned VITALS_TEST_CAT(VITALS_TEST_MODULE, thread_state)() {
    return vitals::detail::thread_state();
}

// The registry this module's code calls the process's default one.
VITALS_TEST_EXPORT vitals::registry* VITALS_TEST_CAT(VITALS_TEST_MODULE, default_registry)() {
    return &vitals::default_registry();
}

// Adds a collector, made in this module, that tries to register in `reg` while a scrape of it
// runs (it must be refused, not wait for the lock the scraping thread holds) and stores the
// error code it got in `*code` (-1: the registration succeeded).
VITALS_TEST_EXPORT void
VITALS_TEST_CAT(VITALS_TEST_MODULE, add_registering_collector)(vitals::registry& reg, int* code) {
    reg.add_collector([&reg, code](vitals::collector_output& out) {
        auto made = reg.try_counter("plugin_late_total", "Registered during a scrape.");
        *code = made.ok() ? -1 : static_cast<int>(made.error().code());
        out.gauge("plugin_up", "The plugin's collector ran.", 1);
    });
}

// A cache kit made by this module's code, of namespace `ns` with the const label
// cache=`name`; `*code` is the error code of a refusal (-1: registered). Freed by free_cache.
VITALS_TEST_EXPORT vitals::kits::cache_metrics*
VITALS_TEST_CAT(VITALS_TEST_MODULE, make_cache)(vitals::registry& reg, const char* ns,
                                                const char* name, int* code) {
    vitals::family_options options;
    options.const_labels = {{"cache", name}};
    vitals::status st;
    auto* kit = new vitals::kits::cache_metrics(reg, ns, options, st);
    *code = st.ok() ? -1 : static_cast<int>(st.code());
    return kit;
}

VITALS_TEST_EXPORT void VITALS_TEST_CAT(VITALS_TEST_MODULE,
                                        free_cache)(vitals::kits::cache_metrics* kit) {
    delete kit;
}

// try_register_build_info() from this module's code: the error code, or -1 when registered.
VITALS_TEST_EXPORT int VITALS_TEST_CAT(VITALS_TEST_MODULE,
                                       register_build_info)(vitals::registry& reg,
                                                            const char* version) {
    const auto made = vitals::kits::try_register_build_info(reg, "plugin", version);
    return made.ok() ? -1 : static_cast<int>(made.error().code());
}

// Starts a health server made by this module's code, serving `reg` on a loopback port with its
// self-metrics; `*code` is the error code of a refusal (-1: started). Freed by free_server.
VITALS_TEST_EXPORT vitals::health_server*
VITALS_TEST_CAT(VITALS_TEST_MODULE, start_server)(vitals::registry& reg, int* code) {
    vitals::server_options options;
    options.bind_address = "127.0.0.1";
    options.port = 0;
    auto* server = new vitals::health_server(reg, options);
    const vitals::status st = server->try_start();
    *code = st.ok() ? -1 : static_cast<int>(st.code());
    return server;
}

VITALS_TEST_EXPORT void VITALS_TEST_CAT(VITALS_TEST_MODULE,
                                        free_server)(vitals::health_server* server) {
    delete server;
}
