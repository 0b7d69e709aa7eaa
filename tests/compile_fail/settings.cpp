// tests/compile_fail/settings.cpp - a configuration macro with a value vitals cannot work with
// must stop the build with a message naming it, not fail at run time. Compiled once per
// VITALS_USE_* macro by tests/CMakeLists.txt and tests/meson.build.
// SPDX-License-Identifier: MIT
#if defined(VITALS_USE_MAX_SERIES_ZERO)
#define VITALS_DEFAULT_MAX_SERIES 0 // every registration would be refused
#endif
#include <vitals/vitals.hpp>

int main() {
    vitals::registry reg;
    reg.counter("requests", "Requests.").inc();
}
