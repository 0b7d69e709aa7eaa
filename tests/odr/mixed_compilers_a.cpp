// tests/odr/mixed_compilers_a.cpp - one part of a program whose files come from two compilers
// (g++ and clang++, the same standard library and vitals settings): scripts/test.sh
// (step mixed-compilers) builds this file with one and mixed_compilers_b.cpp with the other.
// What is one per process (README, "Threads and memory") must be one here too.
// SPDX-License-Identifier: MIT
#include <vitals/vitals.hpp>

#include <string> // string

namespace mixed_a {

const void* default_registry() { return &vitals::default_registry(); }
const void* slot_table() { return &vitals::detail::slot_table_instance(); }
const void* error_handler_slot() { return &vitals::detail::error_handler_slot(); }
const void* build_info_mutex() { return &vitals::detail::build_info_mutex(); }

void count_in_default_registry() {
    vitals::default_registry().counter("mixed_a", "Counted by the first part.").inc();
}

// A collector that registers while the scrape (made by the other part) holds the registry:
// the registration must be refused, not wait for the lock of its own thread.
void add_registering_collector(vitals::registry& reg, int& code) {
    reg.add_collector("registers", [&reg, &code](vitals::collector_output&) {
        const auto r = reg.try_counter("mixed_late", "Registered during a scrape.");
        code = r ? 0 : static_cast<int>(r.error().code());
    });
}

} // namespace mixed_a
