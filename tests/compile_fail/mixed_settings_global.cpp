// tests/compile_fail/mixed_settings_global.cpp - a counter shared through a global variable
// between two parts of a program. Built by mixed_settings_link.py as the part that defines it
// (VITALS_TEST_DEFINE) and as the part that records into it; parts built with different
// settings must not link, since each would read the counter with its own layout.
// SPDX-License-Identifier: MIT
#include <vitals/vitals.hpp>

#include <cstdio> // printf

extern vitals::counter* g_requests; // what a shared header of the program declares

#if defined(VITALS_TEST_DEFINE)
vitals::counter* g_requests = &vitals::default_registry().counter("requests", "Requests.");
void record_requests(int n);
int main() {
    record_requests(1000);
    std::printf("%.0f\n", g_requests->value());
    return g_requests->value() == 1000.0 ? 0 : 1;
}
#else
void record_requests(int n) {
    for (int i = 0; i < n; ++i) g_requests->inc();
}
#endif
