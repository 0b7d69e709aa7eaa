// tests/compile_fail/label_values.cpp - must NOT compile: a label value that is not a string
// (a status code passed as an int, a measurement passed as a double), name/value pairs or a
// map of them (prometheus-cpp's labels), a braced list. The error must be vitals' sentence
// saying what a label value is, not a page of failed overloads.
// SPDX-License-Identifier: MIT
//
// tests/compile_fail/expect_error.py compiles this file and passes only when the compiler
// fails with vitals' own message.
#include <vitals/vitals.hpp>

#include <map>    // map
#include <string> // string
#include <vector> // vector

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
#elif defined(VITALS_USE_LABELS_NAMED)
    // Name/value pairs, as prometheus-cpp's Family::Add() takes them.
    requests.labels({{"method", "GET"}, {"code", "200"}}).inc();
#elif defined(VITALS_USE_LABELS_EMPTY_BRACES)
    reg.counter("jobs", "Jobs.").inc();
    reg.counter("runs", "Runs.", std::vector<std::string>{}).labels({}).inc();
#elif defined(VITALS_USE_LABELS_MAP)
    const std::map<std::string, std::string> labels = {{"method", "GET"}, {"code", "200"}};
    requests.labels(labels).inc();
#elif defined(VITALS_USE_LABELS_BRACED_VALUES)
    requests.labels({"GET", "200"}).inc();
#elif defined(VITALS_USE_TRY_LABELS_NAMED)
    (void)requests.try_labels({{"method", "GET"}, {"code", "200"}});
#elif defined(VITALS_USE_REMOVE_NAMED)
    (void)requests.remove({{"method", "GET"}, {"code", "200"}});
#elif defined(VITALS_USE_TRY_LABELS_VECTOR)
    // labels() and remove() take one std::vector of values; try_labels() does not.
    (void)requests.try_labels(std::vector<std::string>{"GET", "200"});
#endif
    (void)requests;
}
