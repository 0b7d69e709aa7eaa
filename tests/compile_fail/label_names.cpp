// tests/compile_fail/label_names.cpp - must NOT compile: a name/value pair given where a
// registration takes label names, `reg.info("build", "h", {{"version", "1.2"}})`. The inner
// braces made one label name from two unrelated `const char*` taken for an iterator range
// (undefined behaviour); const labels and collector_output::info() do take such pairs.
// SPDX-License-Identifier: MIT
//
// tests/compile_fail/expect_error.py compiles this file and passes only when the compiler
// fails with vitals' own message.
#include <vitals/vitals.hpp>

#include <string> // string

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
#endif
}
