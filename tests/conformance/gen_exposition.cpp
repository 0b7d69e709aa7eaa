// tests/conformance/gen_exposition.cpp - writes an exposition that uses every feature of the
// serializer to stdout, for promtool and the Python prometheus_client parser (run.sh).
//
//   gen_exposition [--openmetrics] [--expect FILE]
//
// --openmetrics writes the OpenMetrics 1.0.0 exposition instead of text 0.0.4.
//
// --expect writes what a parser must find, one JSON object per line: families
// {"family", "type", "help"} and samples {"name", "labels", "value"}. The expectations are
// computed here from the values given to vitals (histogram buckets are counted from the raw
// observations), never read back from the exposition.
// SPDX-License-Identifier: MIT
#include <vitals/vitals.hpp>

#include "json_string.hpp"

#include <cmath>   // isnan, isinf
#include <cstdio>  // FILE, fopen, fputs, snprintf
#include <cstring> // strcmp
#include <limits>  // numeric_limits
#include <string>  // string
#include <utility> // pair
#include <vector>  // vector

namespace {

using labels_t = std::vector<std::pair<std::string, std::string>>;

std::string json_number_text(double v) {
    if (std::isnan(v)) return "\"NaN\"";
    if (std::isinf(v)) return v > 0 ? "\"+Inf\"" : "\"-Inf\"";
    char buf[40];
    std::snprintf(buf, sizeof buf, "\"%.17g\"", v);
    return buf;
}

class expectations {
public:
    void family(const std::string& name, const char* type, const std::string& help) {
        text_ += "{\"family\": " + json_string(name) + ", \"type\": \"" + type +
                 "\", \"help\": " + json_string(help) + "}\n";
    }
    void sample(const std::string& name, const labels_t& labels, double value) {
        text_ += "{\"name\": " + json_string(name) + ", \"labels\": {";
        const char* sep = "";
        for (const auto& l : labels) {
            text_ += sep + json_string(l.first) + ": " + json_string(l.second);
            sep = ", ";
        }
        text_ += "}, \"value\": " + json_number_text(value) + "}\n";
    }
    // Buckets, sum and count of one histogram series, from its raw observations.
    void histogram(const std::string& name, const labels_t& labels,
                   const std::vector<double>& bounds, const std::vector<double>& observed) {
        double sum = 0;
        for (double v : observed) sum += v;
        for (std::size_t i = 0; i <= bounds.size(); ++i) {
            double n = 0;
            for (double v : observed)
                if (i == bounds.size() || v <= bounds[i]) ++n;
            labels_t with_le = labels;
            char le[40];
            if (i == bounds.size())
                std::snprintf(le, sizeof le, "+Inf");
            else
                std::snprintf(le, sizeof le, "%.17g", bounds[i]);
            with_le.emplace_back("le", le);
            sample(name + "_bucket", with_le, n);
        }
        sample(name + "_sum", labels, sum);
        sample(name + "_count", labels, static_cast<double>(observed.size()));
    }
    const std::string& text() const { return text_; }

private:
    std::string text_;
};

void build(vitals::registry& reg, expectations& ex) {
    // Counters: unlabelled, labelled, fractional, never incremented, const labels.
    auto& jobs = reg.counter("conf_jobs_total", "Jobs handled.");
    jobs.inc();
    jobs.inc(2);
    ex.family("conf_jobs_total", "counter", "Jobs handled.");
    ex.sample("conf_jobs_total", {}, 3);

    auto& busy = reg.counter("conf_busy_seconds", "Fractional increments; bad ones ignored.");
    busy.inc(0.25);
    busy.inc(0.1);
    busy.inc(-5);
    busy.inc(std::numeric_limits<double>::quiet_NaN());
    ex.family("conf_busy_seconds_total", "counter", "Fractional increments; bad ones ignored.");
    ex.sample("conf_busy_seconds_total", {}, 0.25 + 0.1);

    (void)reg.counter("conf_idle_events", "Never incremented.");
    ex.family("conf_idle_events_total", "counter", "Never incremented.");
    ex.sample("conf_idle_events_total", {}, 0);

    vitals::family_options region;
    region.const_labels = {{"region", "eu-west"}};
    auto& req = reg.counter("conf_http_requests", "Requests by method, endpoint and status.",
                            {"method", "endpoint", "status"}, region);
    const struct {
        const char* method;
        const char* endpoint;
        const char* status;
        int times;
    } requests[] = {{"GET", "/api/reports", "200", 42},
                    {"POST", "/api/reports", "503", 2},
                    {"GET", "/health", "200", 7},
                    {"DELETE", "/api/reports/7", "204", 1}};
    ex.family("conf_http_requests_total", "counter", "Requests by method, endpoint and status.");
    for (const auto& r : requests) {
        for (int i = 0; i < r.times; ++i) req.labels(r.method, r.endpoint, r.status).inc();
        ex.sample("conf_http_requests_total",
                  {{"region", "eu-west"},
                   {"method", r.method},
                   {"endpoint", r.endpoint},
                   {"status", r.status}},
                  r.times);
    }
    // A removed series must not appear.
    req.labels("GET", "/removed", "200").inc();
    req.remove("GET", "/removed", "200");

    // Gauges, including special values.
    reg.gauge("conf_temperature_celsius", "Below zero.").set(-12.5);
    ex.family("conf_temperature_celsius", "gauge", "Below zero.");
    ex.sample("conf_temperature_celsius", {}, -12.5);

    auto& special = reg.gauge("conf_special_values", "Special and extreme doubles.", {"case"});
    ex.family("conf_special_values", "gauge", "Special and extreme doubles.");
    const std::pair<const char*, double> specials[] = {
        {"nan", std::numeric_limits<double>::quiet_NaN()},
        {"pos_inf", std::numeric_limits<double>::infinity()},
        {"neg_inf", -std::numeric_limits<double>::infinity()},
        {"neg_zero", -0.0},
        {"min_subnormal", std::numeric_limits<double>::denorm_min()},
        {"min_normal", std::numeric_limits<double>::min()},
        {"max", std::numeric_limits<double>::max()},
        {"lowest", std::numeric_limits<double>::lowest()},
        {"tenth", 0.1},
        {"third", 1.0 / 3.0},
        {"e21", 1e21},
        {"e_minus_4", 1e-4},
        {"two_pow_60", 1152921504606846976.0},
        {"whole", 9007199254740991.0},
    };
    for (const auto& s : specials) {
        special.labels(s.first).set(s.second);
        ex.sample("conf_special_values", {{"case", s.first}}, s.second);
    }

    // Histograms: default buckets, labelled with exponential buckets and const labels,
    // negative bounds, no observations.
    {
        auto& h = reg.histogram("conf_request_duration_seconds", "Default buckets.");
        const std::vector<double> obs = {0.005, 0.01, 0.02, 0.2, 0.3, 0.75, 1.5, 3.0, 12.0};
        for (double v : obs) h.observe(v);
        h.observe(std::numeric_limits<double>::quiet_NaN()); // ignored
        ex.family("conf_request_duration_seconds", "histogram", "Default buckets.");
        ex.histogram("conf_request_duration_seconds", {}, vitals::default_buckets(), obs);
    }
    {
        vitals::family_options opts;
        opts.const_labels = {{"service", "api"}};
        const std::vector<double> bounds = vitals::exponential_buckets(64, 4, 5);
        auto& h = reg.histogram("conf_payload_bytes", "Exponential buckets, labelled.", {"dir"},
                                bounds, opts);
        const std::vector<double> in = {10, 64, 65, 1000, 70000};
        const std::vector<double> out = {5000, 1e6};
        for (double v : in) h.labels("in").observe(v);
        for (double v : out) h.labels("out").observe(v);
        ex.family("conf_payload_bytes", "histogram", "Exponential buckets, labelled.");
        ex.histogram("conf_payload_bytes", {{"service", "api"}, {"dir", "in"}}, bounds, in);
        ex.histogram("conf_payload_bytes", {{"service", "api"}, {"dir", "out"}}, bounds, out);
    }
    {
        const std::vector<double> bounds = vitals::linear_buckets(-10, 10, 3);
        auto& h = reg.histogram("conf_offset_celsius", "Linear buckets with negatives.", bounds);
        const std::vector<double> obs = {-20, -10, 0.5, 15};
        for (double v : obs) h.observe(v);
        ex.family("conf_offset_celsius", "histogram", "Linear buckets with negatives.");
        ex.histogram("conf_offset_celsius", {}, bounds, obs);
    }
    {
        const std::vector<double> bounds = {0.5, 1};
        (void)reg.histogram("conf_empty_seconds", "No observations.", bounds);
        ex.family("conf_empty_seconds", "histogram", "No observations.");
        ex.histogram("conf_empty_seconds", {}, bounds, {});
    }

    // Hostile label values and their expected (escaped, then unescaped, repaired) values.
    auto& hostile = reg.gauge("conf_hostile_labels", "Label values that need escaping or repair.",
                              {"case", "value"});
    ex.family("conf_hostile_labels", "gauge", "Label values that need escaping or repair.");
    const struct {
        const char* name;
        std::string raw;
        std::string expected;
    } hostiles[] = {
        {"quote", "say \"hi\"", "say \"hi\""},
        {"backslash", "C:\\path\\", "C:\\path\\"},
        {"newline", "line1\nline2", "line1\nline2"},
        {"mixed", "\\\"\n\\n", "\\\"\n\\n"},
        {"utf8", "na\xC3\xAFve \xE2\x98\x83 \xF0\x9F\x98\x80",
         "na\xC3\xAFve \xE2\x98\x83 \xF0\x9F\x98\x80"},
        {"empty", "", ""},
        {"invalid_byte", "a\xFFz", "a\xEF\xBF\xBDz"},
        {"truncated", "a\xC3", "a\xEF\xBF\xBD"},
        {"surrogate", "\xED\xA0\x80", "\xEF\xBF\xBD\xEF\xBF\xBD\xEF\xBF\xBD"},
        {"braces", "{a=\"b\"},", "{a=\"b\"},"},
    };
    double n = 0;
    for (const auto& h : hostiles) {
        hostile.labels(h.name, h.raw).set(++n);
        ex.sample("conf_hostile_labels", {{"case", h.name}, {"value", h.expected}}, n);
    }

    // HELP escaping: backslash and newline escaped, quotes kept, invalid UTF-8 repaired.
    reg.gauge("conf_help_escaping", "Backslash \\ newline \n quote \" bad \xFF end").set(1);
    ex.family("conf_help_escaping", "gauge",
              "Backslash \\ newline \n quote \" bad \xEF\xBF\xBD end");
    ex.sample("conf_help_escaping", {}, 1);

    // Cardinality bound: the overflow series and vitals_series_overflow_total.
    vitals::family_options small;
    small.max_series = 2;
    auto& sessions = reg.gauge("conf_sessions", "Bounded at two series.", {"user"}, small);
    sessions.labels("alice").set(1);
    sessions.labels("bob").set(2);
    sessions.labels("carol").set(3);
    sessions.labels("dave").inc(); // same overflow series: 3 + 1
    ex.family("conf_sessions", "gauge", "Bounded at two series.");
    ex.sample("conf_sessions", {{"user", "alice"}}, 1);
    ex.sample("conf_sessions", {{"user", "bob"}}, 2);
    ex.sample("conf_sessions", {{"user", "__overflow__"}}, 4);
    ex.family("vitals_series_overflow_total", "counter",
              "Lookups of new label sets redirected to a family's overflow series because the "
              "family reached its series bound or a label value was longer than its bound.");
    ex.sample("vitals_series_overflow_total", {{"family", "conf_sessions"}}, 2);

    // Collectors: computed gauge and counter, a labelled family, and a colliding one (skipped,
    // and counted by vitals_collector_dropped).
    reg.add_collector([](vitals::collector_output& out) {
        out.gauge("conf_cache_hit_ratio", "Computed at scrape time.", 0.75);
        out.counter("conf_collected_events", "A counter from a collector.", 9);
        if (out.family("conf_queue_depth", "Per queue, from a collector.",
                       vitals::metric_type::gauge)) {
            out.sample(3, {{"queue", "default"}});
            out.sample(0, {{"queue", "low \"prio\""}});
        }
        out.gauge("conf_jobs", "Collides with conf_jobs_total: skipped.", 1);
    });
    ex.family("conf_cache_hit_ratio", "gauge", "Computed at scrape time.");
    ex.sample("conf_cache_hit_ratio", {}, 0.75);
    ex.family("conf_collected_events_total", "counter", "A counter from a collector.");
    ex.sample("conf_collected_events_total", {}, 9);
    ex.family("conf_queue_depth", "gauge", "Per queue, from a collector.");
    ex.sample("conf_queue_depth", {{"queue", "default"}}, 3);
    ex.sample("conf_queue_depth", {{"queue", "low \"prio\""}}, 0);
    // The colliding family is reported, not silently lost.
    ex.family("vitals_collector_dropped", "gauge",
              "Families and samples the collectors wrote in this scrape that were dropped "
              "(invalid, clashing, repeated or past a family's max_series).");
    ex.sample("vitals_collector_dropped", {}, 1);
}

} // namespace

int main(int argc, char** argv) {
    const char* expect_path = nullptr;
    bool openmetrics = false;
    for (int i = 1; i < argc; ++i) {
        if (std::strcmp(argv[i], "--expect") == 0 && i + 1 < argc) {
            expect_path = argv[++i];
        } else if (std::strcmp(argv[i], "--openmetrics") == 0) {
            openmetrics = true;
        } else {
            std::fprintf(stderr, "usage: %s [--openmetrics] [--expect FILE]\n", argv[0]);
            return 2;
        }
    }
    vitals::registry reg;
    expectations ex;
    build(reg, ex);
    const std::string text = openmetrics ? vitals::to_openmetrics(reg) : vitals::to_text(reg);
    if (std::fwrite(text.data(), 1, text.size(), stdout) != text.size()) return 1;
    if (expect_path) {
        std::FILE* f = std::fopen(expect_path, "wb");
        if (!f) {
            std::fprintf(stderr, "gen_exposition: cannot write %s\n", expect_path);
            return 1;
        }
        const std::string& e = ex.text();
        const bool ok = std::fwrite(e.data(), 1, e.size(), f) == e.size();
        if (std::fclose(f) != 0 || !ok) return 1;
    }
    return 0;
}
