// tests/odr/mixed_compilers_b.cpp - the other part of mixed_compilers_a.cpp's program, built by
// the other compiler, with main(). Exits non-zero, saying why, when a process-wide object has
// two copies. SPDX-License-Identifier: MIT
#include <vitals/vitals.hpp>

#include <cstdio> // printf, setvbuf
#include <string> // string

namespace mixed_a {
const void* default_registry();
const void* slot_table();
const void* error_handler_slot();
const void* build_info_mutex();
void count_in_default_registry();
void add_registering_collector(vitals::registry& reg, int& code);
} // namespace mixed_a

namespace {
int failures = 0;

void same(const char* what, const void* a, const void* b) {
    if (a == b) return;
    std::printf("FAIL: two %s: %p in one part, %p in the other\n", what, a, b);
    ++failures;
}
} // namespace

int main() {
    std::setvbuf(stdout, nullptr, _IONBF, 0); // what failed is shown before a hang
    same("default registries", mixed_a::default_registry(), &vitals::default_registry());
    same("thread slot tables", mixed_a::slot_table(), &vitals::detail::slot_table_instance());
    same("error handlers", mixed_a::error_handler_slot(), &vitals::detail::error_handler_slot());
    same("build information locks", mixed_a::build_info_mutex(),
         &vitals::detail::build_info_mutex());

    mixed_a::count_in_default_registry();
    if (vitals::to_text(vitals::default_registry()).find("mixed_a_total 1\n") ==
        std::string::npos) {
        std::printf("FAIL: the other part's counter is not in this part's default registry\n");
        ++failures;
    }

    // Before, with two scrape marks, this scrape waited for ever (the step's timeout ends it).
    vitals::registry reg;
    int code = -1;
    mixed_a::add_registering_collector(reg, code);
    (void)vitals::to_text(reg);
    if (code != static_cast<int>(vitals::errc::invalid_argument)) {
        std::printf("FAIL: a registration during the other part's scrape gave %d\n", code);
        ++failures;
    }
    std::printf("%s\n", failures == 0 ? "one of each per process" : "split");
    return failures == 0 ? 0 : 1;
}
