// tests/modules/hidden_module.cpp - a shared library built with -fvisibility=hidden (and
// hidden inline functions) that records into metrics another module made: built twice, as
// VITALS_TEST_MODULE=a and =b, for hidden_modules.cpp.
// SPDX-License-Identifier: MIT
#include <vitals/record.hpp>

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
