// tests/odr/mixed_settings_other.cpp - the part of the mixed-settings program built with
// -fno-exceptions, VITALS_USE_TO_CHARS=0 and VITALS_DEFAULT_MAX_SERIES=3 (see
// mixed_settings_default.cpp).
// SPDX-License-Identifier: MIT
#include <vitals/vitals.hpp>

#include <cstdio> // printf
#include <string> // string
#include <vector> // vector

static_assert(!VITALS_HAS_EXCEPTIONS(), "this part is built without exceptions");
static_assert(VITALS_DEFAULT_MAX_SERIES == 3, "this part is built with a series bound of 3");
static_assert(!VITALS_USE_TO_CHARS, "this part is built with C-library float formatting");

int other_settings_part() {
    int failures = 0;
    const auto check = [&failures](bool ok, const char* what) {
        if (!ok) {
            std::printf("FAIL (other settings part): %s\n", what);
            ++failures;
        }
    };
    vitals::registry reg;
    auto bad = reg.try_counter("bad name", "Help.");
    check(!bad.ok() && bad.error().code() == vitals::errc::invalid_metric_name,
          "an invalid name is reported as a status");
    auto& fam = reg.counter("other_requests", "Requests.", {"k"});
    const char* keys[] = {"a", "b", "c", "d", "e"};
    for (const char* k : keys) fam.labels(k).inc();
    check(fam.size() == 4, "the series bound of 3 applies: three series and the overflow");
    (void)reg.counter("other_plain", "Plain."); // its options made inside the library
    check(reg.try_counter("other_plain", "Plain.", std::vector<std::string>{}).ok(),
          "the library's default options are this part's (same series bound)");
    reg.gauge("other_ratio", "Ratio.").set(0.1);
    check(vitals::to_text(reg).find("other_ratio 0.1\n") != std::string::npos,
          "0.1 is written as 0.1");
    return failures;
}
