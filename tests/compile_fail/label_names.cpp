// tests/compile_fail/label_names.cpp - must NOT compile: a name/value pair given where a
// registration takes label names, `reg.info("build", "h", {{"version", "1.2"}})`. The inner
// braces made one label name from two unrelated `const char*` taken for an iterator range
// (undefined behaviour); const labels and collector_output::info() do take such pairs. A name
// and a number `{{"code", 200}}` took the number for a length (bytes past the text). And a
// label name 0, NULL or nullptr, `reg.counter("c", "h", {0})`: a null `const char*`, which
// std::string refuses at run time (std::logic_error, or an abort under -fno-exceptions). In
// histogram() alone `{0}` is the bound 0 (tests/regression/label_names_braced_lists.cpp), and
// `{nullptr}` there is left to std::string (see detail::braced_text in registry.hpp).
// SPDX-License-Identifier: MIT
//
// tests/compile_fail/expect_error.py compiles this file and passes only when the compiler
// fails with vitals' own message.
#include <vitals/vitals.hpp>

#include <cstddef> // NULL
#include <string>  // string

int main() {
    vitals::registry reg;
    const std::string name = "version";
    const std::string value = "1.2";
    (void)name;
    (void)value;
#if defined(VITALS_USE_COUNTER)
    reg.counter("requests", "Requests.", {{"method", "GET"}});
#elif defined(VITALS_USE_TRY_COUNTER)
    (void)reg.try_counter("requests", "Requests.", {{"method", "GET"}});
#elif defined(VITALS_USE_COUNTER_STRINGS)
    reg.counter("requests", "Requests.", {{name, value}});
#elif defined(VITALS_USE_GAUGE)
    reg.gauge("queue", "Queue.", {{"queue", "jobs"}});
#elif defined(VITALS_USE_TRY_GAUGE)
    (void)reg.try_gauge("queue", "Queue.", {{"queue", "jobs"}}, vitals::family_options{});
#elif defined(VITALS_USE_HISTOGRAM)
    reg.histogram("latency_seconds", "Latency.", {{"method", "GET"}});
#elif defined(VITALS_USE_HISTOGRAM_BOUNDS)
    reg.histogram("latency_seconds", "Latency.", {{"method", "GET"}}, {0.1, 1.0});
#elif defined(VITALS_USE_TRY_HISTOGRAM)
    (void)reg.try_histogram("latency_seconds", "Latency.", {{"method", "GET"}});
#elif defined(VITALS_USE_INFO)
    reg.info("build", "Build.", {{"version", "1.2"}});
#elif defined(VITALS_USE_TRY_INFO)
    (void)reg.try_info("build", "Build.", {{"version", "1.2"}});
#elif defined(VITALS_USE_STATESET)
    reg.stateset("mode", "Mode.", {{"unit", "pump"}}, {"on", "off"});
#elif defined(VITALS_USE_TRY_STATESET)
    (void)reg.try_stateset("mode", "Mode.", {{"unit", "pump"}}, {"on", "off"});
#elif defined(VITALS_USE_COUNTER_NUMBER)
    reg.counter("requests", "Requests.", {{"code", 200}});
#elif defined(VITALS_USE_HISTOGRAM_NUMBER)
    reg.histogram("latency_seconds", "Latency.", {{"method", 1}});
#elif defined(VITALS_USE_COUNTER_ZERO)
    reg.counter("requests", "Requests.", {0});
#elif defined(VITALS_USE_COUNTER_NULLPTR)
    reg.counter("requests", "Requests.", {nullptr});
#elif defined(VITALS_USE_COUNTER_NULL)
    reg.counter("requests", "Requests.", {NULL});
#elif defined(VITALS_USE_COUNTER_SECOND_ZERO)
    reg.counter("requests", "Requests.", {"method", 0});
#elif defined(VITALS_USE_TRY_COUNTER_ZERO)
    (void)reg.try_counter("requests", "Requests.", {0}, vitals::family_options{});
#elif defined(VITALS_USE_GAUGE_ZERO)
    reg.gauge("queue", "Queue.", {0});
#elif defined(VITALS_USE_TRY_GAUGE_NULL)
    (void)reg.try_gauge("queue", "Queue.", {NULL});
#elif defined(VITALS_USE_INFO_ZERO)
    reg.info("build", "Build.", {0});
#elif defined(VITALS_USE_TRY_INFO_NULLPTR)
    (void)reg.try_info("build", "Build.", {nullptr});
#elif defined(VITALS_USE_STATESET_ZERO)
    reg.stateset("mode", "Mode.", {0}, {"on", "off"});
#elif defined(VITALS_USE_TRY_STATESET_NULL)
    (void)reg.try_stateset("mode", "Mode.", {NULL}, {"on", "off"});
#elif defined(VITALS_USE_HISTOGRAM_BOUNDS_ZERO)
    reg.histogram("latency_seconds", "Latency.", {0}, {0.1, 1.0});
#elif defined(VITALS_USE_TRY_HISTOGRAM_BOUNDS_NULL)
    (void)reg.try_histogram("latency_seconds", "Latency.", {NULL}, {0.1, 1.0});
#endif
}
