// tests/odr/mixed_settings_default.cpp - with mixed_settings_other.cpp: one program linking a
// part built with exceptions and the default settings to a part built with -fno-exceptions,
// VITALS_USE_TO_CHARS=0 and VITALS_DEFAULT_MAX_SERIES=3. Each part must behave as it was
// configured, whichever order the two objects are linked in (CMake builds both orders): the
// inline namespace differs between the settings, so no inline function of one part can stand
// in for the other's. Built at -O0, where calls to inline functions are not inlined away.
// SPDX-License-Identifier: MIT
#include <vitals/vitals.hpp>

#include <cstdio> // printf
#include <string> // string
#include <vector> // vector

static_assert(VITALS_HAS_EXCEPTIONS(), "this part is built with exceptions");

int other_settings_part(); // mixed_settings_other.cpp: its failures

int main() {
    int failures = 0;
    const auto check = [&failures](bool ok, const char* what) {
        if (!ok) {
            std::printf("FAIL (default settings part): %s\n", what);
            ++failures;
        }
    };
    vitals::registry reg;
    bool caught = false;
    try {
        (void)reg.counter("bad name", "Help.");
    } catch (const vitals::error& e) {
        caught = e.code() == vitals::errc::invalid_metric_name;
    }
    check(caught, "an invalid name throws vitals::error");
    auto& fam = reg.counter("default_requests", "Requests.", {"k"});
    const char* keys[] = {"a", "b", "c", "d", "e"};
    for (const char* k : keys) fam.labels(k).inc();
    check(fam.size() == 5, "the default series bound (10000) applies: five series");
    (void)reg.counter("default_plain", "Plain."); // its options made inside the library
    check(reg.try_counter("default_plain", "Plain.", std::vector<std::string>{}).ok(),
          "the library's default options are this part's (same series bound)");
    reg.gauge("default_ratio", "Ratio.").set(0.1);
    check(vitals::to_text(reg).find("default_ratio 0.1\n") != std::string::npos,
          "0.1 is written as 0.1");
    failures += other_settings_part();
    if (failures == 0) std::printf("both parts behaved as configured\n");
    return failures == 0 ? 0 : 1;
}
