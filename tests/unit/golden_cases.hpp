// tests/unit/golden_cases.hpp - the registries whose expositions are kept byte-exact in
// tests/golden/*.txt. Included by text_format.cpp (default float formatting) and
// text_format_compact.cpp (VITALS_COMPACT), which must both reproduce the same files.
// SPDX-License-Identifier: MIT
#ifndef VITALS_TESTS_GOLDEN_CASES_HPP
#define VITALS_TESTS_GOLDEN_CASES_HPP

#include <vitals/vitals.hpp>

#include <cmath>  // pow
#include <limits> // numeric_limits
#include <string> // string
#include <vector> // vector

// Internal linkage: each test program compiles these against its own vitals configuration.
namespace {
namespace golden {

inline void counters(vitals::registry& reg) {
    auto& jobs = reg.counter("app_jobs", "Jobs handled.");
    jobs.inc();
    jobs.inc();
    jobs.inc();
    auto& bytes = reg.counter("app_bytes_total", "Bytes moved, as given.");
    bytes.inc(1024.0);
    bytes.inc(0.5);
    (void)reg.counter("app_untouched", "Never incremented: shows 0.");
    (void)reg.counter("app_no_series", "Labelled, no series yet: omitted.", {"x"});
    auto& req = reg.counter("app_requests", "Requests by method and code.", {"method", "code"});
    for (int i = 0; i < 5; ++i) req.labels("GET", "200").inc();
    req.labels("POST", "500").inc();
    req.labels("GET", "404").inc(2.0);
    req.labels("DELETE", "204"); // created, never incremented: 0
    auto& secs = reg.counter("app_busy_seconds", "Fractional increments.");
    secs.inc(0.25);
    secs.inc(0.125);
    secs.inc(-1.0);                                     // ignored
    secs.inc(std::numeric_limits<double>::quiet_NaN()); // ignored
}

inline void gauges(vitals::registry& reg) {
    reg.gauge("queue_depth", "Jobs waiting.").set(17);
    reg.gauge("temperature_celsius", "Below zero.").set(-12.5);
    auto& up = reg.gauge("in_flight", "Requests in flight.");
    up.inc();
    up.inc();
    up.dec();
    up.add(0.5);
    (void)reg.gauge("idle", "Never set: shows 0.");
    auto& per = reg.gauge("pool_utilisation_ratio", "Per pool.", {"pool"});
    per.labels("db").set(0.75);
    per.labels("cache").set(0.1);
    per.labels("spare").set(0);
}

inline void histograms(vitals::registry& reg) {
    auto& lat = reg.histogram("http_request_duration_seconds", "Default buckets.");
    for (double v : {0.005, 0.01, 0.02, 0.2, 0.3, 0.75, 1.5, 3.0, 12.0}) lat.observe(v);
    auto& size = reg.histogram("payload_bytes", "Exponential buckets, labelled.", {"dir"},
                               vitals::exponential_buckets(64, 4, 4));
    size.labels("in").observe(10);
    size.labels("in").observe(64);
    size.labels("in").observe(1000);
    size.labels("out").observe(5000);
    size.labels("out").observe(1e6);
    (void)reg.histogram("empty_seconds", "No observations.", {0.5, 1.0});
    auto& lin = reg.histogram("temperature_histogram", "Linear buckets with negatives.",
                              vitals::linear_buckets(-10, 10, 3));
    lin.observe(-20);
    lin.observe(-10);
    lin.observe(0.5);
    lin.observe(15);
}

inline void labelled(vitals::registry& reg) {
    vitals::family_options region;
    region.const_labels = {{"region", "eu-west"}};
    auto& req = reg.counter("http_requests", "By method, endpoint and status.",
                            {"method", "endpoint", "status"}, region);
    req.labels("POST", "/api/reports", "503").inc();
    req.labels("GET", "/api/reports", "200").inc(41);
    req.labels("GET", "/api/reports", "200").inc();
    req.labels("GET", "/health", "200").inc(7);
    req.labels("GET", "/api", "200").inc(3);
    auto& lat = reg.histogram("http_request_duration_seconds", "By method and endpoint.",
                              {"method", "endpoint"}, {0.1, 1.0}, region);
    lat.labels("GET", "/api/reports").observe(0.05);
    lat.labels("GET", "/api/reports").observe(0.5);
    lat.labels("POST", "/api/reports").observe(2);
    vitals::family_options small;
    small.max_series = 2;
    auto& users = reg.gauge("session_seconds", "Bounded at two series.", {"user"}, small);
    users.labels("alice").set(10);
    users.labels("bob").set(20);
    users.labels("carol").set(30); // overflow
    users.labels("dave").set(40);  // overflow, same series
    auto& gone = reg.gauge("removed_demo", "One series removed, one kept.", {"k"});
    gone.labels("kept").set(1);
    gone.labels("dropped").set(2);
    gone.remove("dropped");
    reg.add_collector([](vitals::collector_output& out) {
        out.gauge("collected_ratio", "Computed at scrape time.", 0.5);
        out.counter("collected_events", "A counter from a collector.", 9);
        if (out.family("collected_by_kind", "Labelled, from a collector.",
                       vitals::metric_type::gauge)) {
            out.sample(1, {{"kind", "a"}});
            out.sample(2, {{"kind", "b\"\\\n"}});
        }
        out.gauge("http_requests", "Collides with a registered family: skipped.", 1);
    });
}

inline void hostile_labels(vitals::registry& reg) {
    auto& fam = reg.gauge("hostile", "Label values that need escaping or repair.", {"case", "v"});
    fam.labels("01_quote", "say \"hi\"").set(1);
    fam.labels("02_backslash", "C:\\path\\to\\").set(2);
    fam.labels("03_newline", "line1\nline2\n").set(3);
    fam.labels("04_all_three", "\\\"\n\\n").set(4);
    fam.labels("05_utf8", "na\xC3\xAFve caf\xC3\xA9 \xE2\x98\x83 \xF0\x9F\x98\x80").set(5);
    fam.labels("06_empty", "").set(6);
    fam.labels("07_invalid_byte", "a\xFFz").set(7);
    fam.labels("08_truncated", "a\xC3").set(8);
    fam.labels("09_overlong", "\xC0\xAF").set(9);
    fam.labels("10_surrogate", "\xED\xA0\x80").set(10);
    fam.labels("11_above_max", "\xF4\x90\x80\x80").set(11);
    fam.labels("12_lone_continuation", "\x80x").set(12);
    fam.labels("13_tab_and_braces", "\t{a=\"b\"},").set(13);
}

inline void help_escaping(vitals::registry& reg) {
    reg.gauge("help_backslash", "C:\\dir\\ and \\n stays literal").set(1);
    reg.gauge("help_newline", "first line\nsecond line").set(2);
    reg.gauge("help_quotes", "Quotes \"are not\" escaped in HELP.").set(3);
    reg.gauge("help_utf8", "Temperatur in \xC2\xB0"
                           "C \xE2\x80\x94 \xE6\xB8\xA9\xE5\xBA\xA6")
        .set(4);
    reg.gauge("help_invalid_utf8", "bad \xFF\xFE bytes").set(5);
    reg.counter("help_counter", "Counter HELP uses the _total name; a\\b\nc").inc();
}

inline void special_floats(vitals::registry& reg) {
    const double inf = std::numeric_limits<double>::infinity();
    auto& g = reg.gauge("special", "Special and extreme doubles.", {"case"});
    g.labels("nan").set(std::numeric_limits<double>::quiet_NaN());
    g.labels("pos_inf").set(inf);
    g.labels("neg_inf").set(-inf);
    g.labels("neg_zero").set(-0.0);
    g.labels("zero").set(0.0);
    g.labels("min_subnormal").set(std::numeric_limits<double>::denorm_min());
    g.labels("min_normal").set(std::numeric_limits<double>::min());
    g.labels("max").set(std::numeric_limits<double>::max());
    g.labels("lowest").set(std::numeric_limits<double>::lowest());
    g.labels("tenth").set(0.1);
    g.labels("third").set(1.0 / 3.0);
    g.labels("sum_point3").set(0.1 + 0.2);
    g.labels("eighths").set(123456789.125);
    g.labels("neg_half").set(-2.5);
    g.labels("two_pow_53").set(9007199254740992.0);
    g.labels("two_pow_53_plus_2").set(9007199254740994.0);
    g.labels("two_pow_60").set(std::pow(2.0, 60));
    g.labels("e15_plus_half").set(1e15 + 0.5);
    g.labels("e16").set(1e16);
    g.labels("e21").set(1e21);
    g.labels("e22").set(1e22);
    g.labels("e_minus_4").set(1e-4);
    g.labels("e_minus_5").set(1e-5);
    g.labels("e_minus_7").set(1e-7);
    g.labels("e_minus_300").set(1e-300);
    g.labels("whole_negative").set(-1234567.0);
    auto& h = reg.histogram("extreme_bounds", "Bounds from tiny to huge.",
                            {5e-324, 1e-300, 0.001, 1, 1e300});
    h.observe(-1e308);
    h.observe(0);
    h.observe(0.5);
    h.observe(1e301);
    auto& s = reg.histogram("infinite_sum", "A sum past the largest double is +Inf.", {1.0});
    s.observe(1.7e308);
    s.observe(1.7e308);
    s.observe(1);
}

inline void info_and_stateset(vitals::registry& reg) {
    auto& build =
        reg.info("app_build", "Build identity; labels carry the data.", {"version", "revision"});
    build.labels("1.4.2", "4f2a9c1");
    auto& target = reg.info("target_info", "Already ends in _info.", {"os"});
    target.labels("linux");
    target.labels("gone");
    target.remove("gone");
    auto& phase =
        reg.stateset("job_phase", "Where each job is.", {"job"}, {"queued", "running", "done"});
    phase.labels("backup").set_only("running");
    phase.labels("report").set_only("done");
    phase.labels("spare"); // all false
    auto& flags = reg.stateset("feature_flags", "Enabled features.", {"beta", "dark \"mode\""});
    flags.set("beta");
    flags.set("dark \"mode\"");
    flags.set("beta", false);
    (void)flags.set("unknown"); // ignored
}

inline void units(vitals::registry& reg) {
    vitals::family_options seconds;
    seconds.unit = "seconds";
    vitals::family_options bytes;
    bytes.unit = "bytes";
    reg.counter("cpu_seconds_total", "CPU time.", {}, seconds).labels().inc(1.5);
    reg.counter("busy_seconds", "Counter unit before _total.", {}, seconds).labels().inc(2);
    reg.gauge("heap_bytes", "Heap.", {}, bytes).labels().set(4096);
    reg.histogram("wait_seconds", "Waits.", {"queue"}, {0.1, 1}, seconds).labels("a").observe(0.5);
    reg.gauge("plain_ratio", "No unit.").set(0.5);
}

inline void collected_types(vitals::registry& reg) {
    reg.add_collector([](vitals::collector_output& out) {
        const std::vector<double> bounds{0.1, 1.0};
        if (out.family("job_wait_seconds", "Computed histogram.", vitals::metric_type::histogram,
                       "seconds")) {
            (void)out.histogram_sample(bounds, {2, 5, 6}, 4.5, {{"queue", "a"}});
            (void)out.histogram_sample(bounds, {0, 0, 1}, 30, {{"queue", "b\"q"}});
        }
        (void)out.info("db", "Computed info.", {{"engine", "pg"}, {"version", "15"}});
        if (out.family("breaker", "Computed stateset.", vitals::metric_type::stateset)) {
            (void)out.stateset_sample({{"closed", false}, {"open", true}, {"half_open", false}},
                                      {{"upstream", "users"}});
        }
        (void)out.family("heap_bytes", "Unit declared.", vitals::metric_type::gauge, "bytes");
        (void)out.sample(1024);
        (void)out.counter("cpu_seconds", "Computed counter.", 1.5);
    });
}

struct golden_case {
    const char* file;
    void (*build)(vitals::registry&);
};

const golden_case all_cases[] = {
    {"counters.txt", &counters},
    {"gauges.txt", &gauges},
    {"histograms.txt", &histograms},
    {"labelled.txt", &labelled},
    {"hostile_labels.txt", &hostile_labels},
    {"help_escaping.txt", &help_escaping},
    {"special_floats.txt", &special_floats},
    {"info_stateset.txt", &info_and_stateset},
    {"units.txt", &units},
    {"collected_types.txt", &collected_types},
};

} // namespace golden
} // namespace

#endif // VITALS_TESTS_GOLDEN_CASES_HPP
