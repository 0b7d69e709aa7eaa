// tests/compile_fail/label_values.cpp - must NOT compile: a label value that is not a string
// (a status code passed as an int, a measurement passed as a double). The error must be
// vitals' sentence saying what a label value is, not a page of failed overloads.
// SPDX-License-Identifier: MIT
//
// tests/compile_fail/expect_error.py compiles this file and passes only when the compiler
// fails with vitals' own message.
#include <vitals/vitals.hpp>

int main() {
    vitals::registry reg;
    auto& requests = reg.counter("http_requests", "Requests.", {"method", "code"});
#if defined(VITALS_USE_LABELS_INT)
    requests.labels("GET", 200).inc();
#elif defined(VITALS_USE_TRY_LABELS_INT)
    (void)requests.try_labels("GET", 200);
#elif defined(VITALS_USE_REMOVE_DOUBLE)
    (void)requests.remove("GET", 2.5);
#elif defined(VITALS_USE_LABELS_ONE_INT)
    reg.gauge("temperature", "Degrees.", {"room"}).labels(12).set(21);
#elif defined(VITALS_USE_TRY_LABELS_VECTOR)
    // labels() and remove() take one std::vector of values; try_labels() does not.
    (void)requests.try_labels(std::vector<std::string>{"GET", "200"});
#endif
    (void)requests;
}
