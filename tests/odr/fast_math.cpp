// tests/odr/fast_math.cpp - vitals built with -ffast-math (and so -ffinite-math-only, under which
// the compiler folds NaN and infinity tests to false) still writes NaN and infinities as the
// format spells them, and still refuses them where a metric cannot take them.
// SPDX-License-Identifier: MIT
#include <vitals/rejected_writes.hpp>
#include <vitals/vitals.hpp>

#include <cstdint> // uint64_t
#include <cstdio>  // printf
#include <cstring> // memcpy
#include <string>  // string

namespace {
// NaN and infinity made from their bits: under -ffast-math, the compiler may fold what
// std::numeric_limits gives in a constant expression.
double from_bits(std::uint64_t bits) {
    double v;
    std::memcpy(&v, &bits, sizeof v);
    return v;
}
} // namespace

int main() {
    const double nan = from_bits(0x7ff8000000000000ULL);
    const double inf = from_bits(0x7ff0000000000000ULL);
    int failures = 0;
    const auto check = [&failures](bool ok, const char* what) {
        if (!ok) {
            std::printf("FAIL (-ffast-math): %s\n", what);
            ++failures;
        }
    };
    vitals::registry reg;
    reg.gauge("g_nan", "NaN.").set(nan);
    reg.gauge("g_inf", "Infinity.").set(inf);
    reg.gauge("g_minus_inf", "Minus infinity.").set(-inf);
    const std::uint64_t rejected = vitals::rejected_writes();
    auto& latency = reg.histogram("latency_seconds", "Latency.", {1.0});
    latency.observe(nan);
    latency.observe(-inf);
    auto& total = reg.counter("events", "Events.");
    total.inc(inf);
    total.inc(nan);
    check(vitals::rejected_writes() == rejected + 4,
          "NaN and -Inf observations and increments by infinity and NaN are refused");
    const std::string text = vitals::to_text(reg);
    const auto has = [&text](const char* line) { return text.find(line) != std::string::npos; };
    check(has("\ng_nan NaN\n"), "a NaN gauge is written NaN");
    check(has("\ng_inf +Inf\n"), "an infinite gauge is written +Inf");
    check(has("\ng_minus_inf -Inf\n"), "minus infinity is written -Inf");
    check(has("\nlatency_seconds_count 0\n"), "the refused NaN and -Inf are not counted");
    check(has("\nlatency_seconds_bucket{le=\"1\"} 0\n"), "nor put in a bucket");
    check(has("\nevents_total 0\n"), "the refused increments leave the counter at 0");
    // An exemplar timestamp of NaN or infinity is dropped (counted), as without fast-math: a
    // parser fails the whole OpenMetrics scrape over one.
    const std::uint64_t dropped = vitals::exemplars_dropped();
    reg.counter("jobs", "Jobs.").inc(1.0, vitals::exemplar{"trace_id", "abc"}.at(nan));
    reg.counter("runs", "Runs.").inc(1.0, vitals::exemplar{"trace_id", "abd"}.at(inf));
    const std::string om = vitals::to_openmetrics(reg);
    check(om.find("\njobs_total 1\n") != std::string::npos &&
              om.find("\nruns_total 1\n") != std::string::npos,
          "counters with a NaN or infinite exemplar timestamp are written without the exemplar");
    check(vitals::exemplars_dropped() == dropped + 2, "and the two exemplars are counted dropped");
    if (failures == 0) std::printf("NaN and infinities handled under -ffast-math\n");
    return failures == 0 ? 0 : 1;
}
