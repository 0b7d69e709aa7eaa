// tests/compile_fail/stateset_states.cpp - must NOT compile: a stateset's states given in
// pairs, `reg.stateset("phase", "h", {{"on", "off"}})` (one state made from two unrelated
// `const char*` taken for an iterator range: undefined behaviour), with a value
// `{{"on", true}}` as collector_output::stateset_sample() takes them (the value taken for a
// length: a state "o"), or as 0, NULL or nullptr (std::string refuses a null `const char*` at
// run time).
// SPDX-License-Identifier: MIT
//
// tests/compile_fail/expect_error.py compiles this file and passes only when the compiler
// fails with vitals' own message.
#include <vitals/vitals.hpp>

#include <cstddef> // NULL
#include <string>  // string
#include <vector>  // vector

int main() {
    vitals::registry reg;
    const std::vector<std::string> names{"unit"};
    (void)names;
#if defined(VITALS_USE_PAIR)
    reg.stateset("phase", "Phase.", {{"on", "off"}});
#elif defined(VITALS_USE_TRY_PAIR)
    (void)reg.try_stateset("phase", "Phase.", {{"on", "off"}});
#elif defined(VITALS_USE_LABELLED_PAIR)
    reg.stateset("phase", "Phase.", {"unit"}, {{"on", "off"}});
#elif defined(VITALS_USE_NO_LABELS_PAIR)
    reg.stateset("phase", "Phase.", {}, {{"on", "off"}});
#elif defined(VITALS_USE_NAMES_VECTOR_PAIR)
    reg.stateset("phase", "Phase.", names, {{"on", "off"}}, vitals::family_options{});
#elif defined(VITALS_USE_TRY_LABELLED_PAIR)
    (void)reg.try_stateset("phase", "Phase.", {"unit"}, {{"on", "off"}});
#elif defined(VITALS_USE_TRY_NAMES_VECTOR_PAIR)
    (void)reg.try_stateset("phase", "Phase.", names, {{"on", "off"}});
#elif defined(VITALS_USE_VALUES)
    reg.stateset("phase", "Phase.", {{"on", true}, {"off", false}});
#elif defined(VITALS_USE_ONE_VALUE)
    reg.stateset("phase", "Phase.", {{"on", true}});
#elif defined(VITALS_USE_ZERO)
    reg.stateset("phase", "Phase.", {0});
#elif defined(VITALS_USE_NULLPTR)
    reg.stateset("phase", "Phase.", {"on", nullptr});
#elif defined(VITALS_USE_LABELLED_NULL)
    reg.stateset("phase", "Phase.", {"unit"}, {NULL});
#elif defined(VITALS_USE_TRY_ZERO)
    (void)reg.try_stateset("phase", "Phase.", names, {0});
#endif
}
