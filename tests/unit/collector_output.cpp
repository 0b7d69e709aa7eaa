// tests/unit/collector_output.cpp - what collectors may write (every metric type, units) and
// how a drop is reported: a collector_status from each call and the gauge
// vitals_collector_dropped in the same scrape.
// SPDX-License-Identifier: MIT
#include <vitals/vitals.hpp>

#include <doctest/doctest.h>

#include "test_support.hpp"

#include <cstddef>     // size_t
#include <limits>      // numeric_limits
#include <stdexcept>   // runtime_error
#include <string>      // string
#include <string_view> // string_view
#include <vector>      // vector

namespace {
using vitals_test::contains;
} // namespace

TEST_CASE("collector_output: each drop has a status saying why, and is counted") {
    vitals::registry reg;
    reg.counter("taken", "Registered.").inc();
    std::vector<vitals::collector_status> got;
    reg.add_collector([&got](vitals::collector_output& o) {
        got.clear();
        got.push_back(o.gauge("bad name", "H.", 1));
        got.push_back(o.gauge("taken_total", "H.", 1));
        got.push_back(o.gauge("taken", "H.", 1)); // a counter's base name
        got.push_back(o.counter("neg", "H.", -1));
        got.push_back(o.gauge("wrong_unit", "H.", 1)); // fine
        got.push_back(o.family("size", "H.", vitals::metric_type::gauge, "bytes"));
        got.push_back(o.family("mode:x", "H.", vitals::metric_type::stateset));
        got.push_back(o.sample(1)); // no family
        got.push_back(o.family("h", "H.", vitals::metric_type::histogram));
        got.push_back(o.sample(1)); // not for histograms
        got.push_back(o.histogram_sample({1.0, 0.5}, {1, 2, 3}, 1));
        got.push_back(o.histogram_sample({1.0}, {3, 2}, 1));
        got.push_back(o.histogram_sample({1.0}, {1}, 1));
        got.push_back(o.histogram_sample({1.0}, {1, 2}, 1, {{"le", "x"}}));
        got.push_back(o.histogram_sample({1.0}, {1, 2}, 1.5));
        got.push_back(o.info("i", "H.", {{"v", "1"}}));
        got.push_back(o.sample(2, {{"v", "2"}})); // info value must be 1
        got.push_back(o.family("s", "H.", vitals::metric_type::stateset));
        got.push_back(o.stateset_sample({{"a", true}, {"a", false}}));
        got.push_back(o.stateset_sample({{"a", true}}, {{"s", "x"}}));
        got.push_back(o.stateset_sample({{"a", true}, {"b", false}}));
        got.push_back(o.family("i_info", "Again.", vitals::metric_type::gauge));
    });
    const std::string out = vitals::to_text(reg);
    REQUIRE(got.size() == 22);
    CHECK(got[0].code() == vitals::errc::invalid_metric_name);
    CHECK(got[1].code() == vitals::errc::name_collision);
    CHECK(got[2].code() == vitals::errc::name_collision);
    CHECK(got[3].code() == vitals::errc::invalid_argument);
    CHECK(contains(std::string(got[3].message()), "counter"));
    CHECK(got[4].ok());
    CHECK(got[5].code() == vitals::errc::invalid_argument); // size does not end with _bytes
    CHECK(got[6].code() == vitals::errc::invalid_metric_name);
    CHECK(got[7].code() == vitals::errc::invalid_argument);
    CHECK(got[8].ok());
    CHECK(got[9].code() == vitals::errc::invalid_argument);
    CHECK(got[10].code() == vitals::errc::invalid_buckets);
    CHECK(got[11].code() == vitals::errc::invalid_argument);
    CHECK(got[12].code() == vitals::errc::invalid_argument);
    CHECK(got[13].code() == vitals::errc::invalid_label_name);
    CHECK(got[14].ok());
    CHECK(got[15].ok());
    CHECK(got[16].code() == vitals::errc::invalid_argument);
    CHECK(got[17].ok());
    CHECK(got[18].code() == vitals::errc::invalid_argument);
    CHECK(got[19].code() == vitals::errc::invalid_label_name);
    CHECK(got[20].ok());
    CHECK(got[21].code() == vitals::errc::name_collision);
    CHECK(got[21].message().size() > 0);
    CHECK(contains(out, "\nvitals_collector_dropped 16\n"));
    CHECK(contains(out, "h_bucket{le=\"1\"} 1\nh_bucket{le=\"+Inf\"} 2\nh_sum 1.5\nh_count 2\n"));
    CHECK(contains(out, "s{s=\"a\"} 1\ns{s=\"b\"} 0\n"));
    CHECK(contains(out, "# TYPE i_info gauge\ni_info{v=\"1\"} 1\n"));
    const std::string om = vitals::to_openmetrics(reg);
    CHECK(contains(om, "# TYPE i info\ni_info{v=\"1\"} 1\n"));
    CHECK(contains(om, "# TYPE s stateset\n"));
    CHECK(contains(om, "\nvitals_collector_dropped 16\n# EOF\n"));
}

TEST_CASE("collector_output: a metric_type that is none of the five is dropped") {
    // A value cast from a number (a wrong table, a type from a newer version): writing it
    // as some type would give output that parsers reject.
    vitals::registry reg;
    std::vector<vitals::collector_status> got;
    reg.add_collector([&got](vitals::collector_output& o) {
        got.clear();
        got.push_back(o.family("odd", "H.", static_cast<vitals::metric_type>(7)));
        got.push_back(o.sample(1)); // no family to write it in
        got.push_back(o.family("odd", "H.", static_cast<vitals::metric_type>(-1)));
        got.push_back(o.gauge("fine", "H.", 2));
    });
    const std::string text = vitals::to_text(reg);
    const std::string om = vitals::to_openmetrics(reg);
    REQUIRE(got.size() == 4);
    CHECK(got[0].code() == vitals::errc::invalid_argument);
    CHECK(contains(std::string(got[0].message()), "metric_type"));
    CHECK(got[1].code() == vitals::errc::invalid_argument);
    CHECK(got[2].code() == vitals::errc::invalid_argument);
    CHECK(got[3].ok());
    CHECK_FALSE(contains(text, "odd"));
    CHECK_FALSE(contains(om, "odd"));
    CHECK(contains(text, "\nfine 2\n"));
    CHECK(contains(text, "\nvitals_collector_dropped 3\n"));
}

TEST_CASE("collector_output: no drop, no vitals_collector_dropped; its name is taken") {
    vitals::registry reg;
    reg.add_collector([](vitals::collector_output& o) { CHECK(o.gauge("fine", "F.", 1)); });
    CHECK_FALSE(contains(vitals::to_text(reg), "vitals_collector_dropped"));
    CHECK_FALSE(reg.try_gauge("vitals_collector_dropped", "Mine."));
    CHECK_FALSE(reg.try_counter("vitals_exemplars_dropped", "Mine."));
    // OpenMetrics gives that counter's creation time the name `<base>_created` too: a gauge
    // of that name would make a parser reject the whole exposition once it is shown.
    CHECK(reg.try_gauge("vitals_exemplars_dropped_created", "Mine.").error().code() ==
          vitals::errc::name_collision);
    CHECK(reg.try_gauge("vitals_collector_dropped_total", "Mine.").ok()); // a gauge's is free
    vitals::registry other;
    other.add_collector([](vitals::collector_output& o) {
        CHECK_FALSE(o.gauge("vitals_collector_dropped", "Fake.", 0));
    });
    const std::string out = vitals::to_text(other);
    CHECK(contains(out, "\nvitals_collector_dropped 1\n"));
    CHECK_FALSE(contains(out, "Fake."));
}

// The current family is per collector: one that writes samples before its own family() (or
// after one that threw midway through a family) must not add series to another's family.
TEST_CASE("collector: samples before a collector's own family() are dropped, not added to "
          "the previous collector's family") {
    vitals::registry reg;
    std::vector<vitals::collector_status> got;
    reg.add_collector([](vitals::collector_output& out) {
        out.family("first", "First.", vitals::metric_type::gauge);
        out.sample(1, {{"k", "mine"}});
    });
    reg.add_collector([&got](vitals::collector_output& out) {
        got.push_back(out.sample(2, {{"k", "stray"}}));
    });
#if VITALS_HAS_EXCEPTIONS()
    reg.add_collector([](vitals::collector_output& out) {
        out.family("thrown", "Thrown.", vitals::metric_type::histogram);
        throw std::runtime_error("collector failed midway");
    });
#endif
    reg.add_collector([&got](vitals::collector_output& out) {
        got.push_back(out.histogram_sample({1.0}, {1, 2}, 1.5));
        got.push_back(out.stateset_sample({{"a", true}}));
    });
    const std::string text = vitals::to_text(reg);
    REQUIRE(got.size() == 3);
    for (const auto& st : got) {
        CHECK(st.code() == vitals::errc::invalid_argument);
        CHECK(contains(std::string(st.message()), "no family"));
    }
    CHECK(contains(text, "first{k=\"mine\"} 1\n"));
    CHECK_FALSE(contains(text, "stray"));
    CHECK_FALSE(contains(text, "_bucket"));
    CHECK(contains(text, "\nvitals_collector_dropped 3\n"));
}

// Two samples with one label set are a duplicate series (the OpenMetrics parser keeps the
// first and drops the rest silently): the repeat is dropped and counted instead, whatever
// the order of its labels, and also when its values differ only in invalid UTF-8.
// The label-set check adds up a hash per label: values swapped between two names, or names
// swapped between two values, are other label sets and must not be taken for repeats.
TEST_CASE("collector: label sets that differ only by swapped values or names are all kept") {
    vitals::registry reg;
    std::vector<vitals::collector_status> got;
    reg.add_collector([&got](vitals::collector_output& out) {
        got.clear();
        out.family("swap", "Swap.", vitals::metric_type::gauge);
        got.push_back(out.sample(1, {{"a", "1"}, {"b", "2"}}));
        got.push_back(out.sample(2, {{"a", "2"}, {"b", "1"}}));
        got.push_back(out.sample(3, {{"a", "GET"}, {"b", "/api/v1/resource_1"}}));
        got.push_back(out.sample(4, {{"a", "/api/v1/resource_1"}, {"b", "GET"}}));
        got.push_back(out.sample(5, {{"x", "1"}, {"y", "2"}, {"z", "3"}}));
        got.push_back(out.sample(6, {{"x", "3"}, {"y", "1"}, {"z", "2"}}));
        got.push_back(out.sample(7, {{"x", "2"}, {"y", "3"}, {"z", "1"}}));
    });
    const std::string text = vitals::to_text(reg);
    REQUIRE(got.size() == 7);
    for (const auto& st : got) CHECK(st);
    CHECK(contains(text, "swap{a=\"1\",b=\"2\"} 1\n"));
    CHECK(contains(text, "swap{a=\"2\",b=\"1\"} 2\n"));
    CHECK(contains(text, "swap{a=\"/api/v1/resource_1\",b=\"GET\"} 4\n"));
    CHECK(contains(text, "swap{x=\"2\",y=\"3\",z=\"1\"} 7\n"));
}

TEST_CASE("collector: a label set written twice in one family is dropped") {
    vitals::registry reg;
    std::vector<vitals::collector_status> got;
    reg.add_collector([&got](vitals::collector_output& out) {
        got.clear();
        out.family("dup", "Dup.", vitals::metric_type::gauge);
        got.push_back(out.sample(1, {{"a", "1"}, {"b", "2"}}));
        got.push_back(out.sample(2, {{"a", "1"}, {"b", "2"}}));
        got.push_back(out.sample(3, {{"b", "2"}, {"a", "1"}}));
        got.push_back(out.sample(4, {{"a", "\xff"}, {"b", "2"}}));
        got.push_back(out.sample(5, {{"a", "\xfe"}, {"b", "2"}}));
        // 100 distinct label sets (past the inline table) are all kept.
        out.family("many", "Many.", vitals::metric_type::gauge);
        for (int i = 0; i < 100; ++i) {
            const std::string v = std::to_string(i);
            got.push_back(out.sample(i, {{"i", v}}));
        }
        got.push_back(out.sample(0, {{"i", "42"}}));
        // A new family starts afresh.
        out.family("other", "Other.", vitals::metric_type::gauge);
        got.push_back(out.sample(1, {{"a", "1"}, {"b", "2"}}));
    });
    const std::string text = vitals::to_text(reg);
    REQUIRE(got.size() == 107);
    CHECK(got[0]);
    CHECK_FALSE(got[1]);
    CHECK_FALSE(got[2]);
    CHECK(got[3]);
    CHECK_FALSE(got[4]);
    for (int i = 0; i < 100; ++i) CHECK(got[5 + static_cast<std::size_t>(i)]);
    CHECK_FALSE(got[105]);
    CHECK(got[106]);
    CHECK(contains(text, "dup{a=\"1\",b=\"2\"} 1\n"));
    CHECK_FALSE(contains(text, "dup{a=\"1\",b=\"2\"} 2\n"));
    CHECK_FALSE(contains(text, "dup{b=\"2\",a=\"1\"} 3\n"));
    CHECK(contains(text, "vitals_collector_dropped 4\n"));
}

TEST_CASE("collector_output: a counter's value must be finite and not negative") {
    vitals::registry reg;
    const double inf = std::numeric_limits<double>::infinity();
    const double nan = std::numeric_limits<double>::quiet_NaN();
    std::vector<vitals::collector_status> got;
    reg.add_collector([&](vitals::collector_output& o) {
        got.clear();
        got.push_back(o.counter("c_inf", "H.", inf));
        got.push_back(o.counter("c_minus_inf", "H.", -inf));
        got.push_back(o.counter("c_nan", "H.", nan));
        got.push_back(o.counter("c_negative", "H.", -0.5));
        got.push_back(o.counter("c_zero", "H.", 0.0));
        got.push_back(o.counter("c_large", "H.", 1e300));
        // A gauge may hold any of them.
        got.push_back(o.gauge("g_inf", "H.", inf));
        got.push_back(o.gauge("g_nan", "H.", nan));
    });
    const std::string out = vitals::to_text(reg);
    REQUIRE(got.size() == 8);
    for (std::size_t i = 0; i < 4; ++i) {
        CHECK(got[i].code() == vitals::errc::invalid_argument);
        CHECK(contains(std::string(got[i].message()), "finite"));
    }
    for (std::size_t i = 4; i < 8; ++i) CHECK(got[i].ok());
    CHECK_FALSE(contains(out, "\nc_inf_total "));
    CHECK_FALSE(contains(out, "\nc_minus_inf_total "));
    CHECK_FALSE(contains(out, "\nc_nan_total "));
    CHECK_FALSE(contains(out, "\nc_negative_total "));
    CHECK(contains(out, "\nc_zero_total 0\n"));
    CHECK(contains(out, "\nc_large_total 1e+300\n"));
    CHECK(contains(out, "\ng_inf +Inf\n"));
    CHECK(contains(out, "\ng_nan NaN\n"));
    CHECK(contains(out, "\nvitals_collector_dropped 4\n"));
}

// Prometheus reads a label with an empty value as no label: {} and {shard=""} would be one
// series written twice, which a scrape drops or rejects.
TEST_CASE("collector: a label with an empty value counts as absent when label sets are compared") {
    vitals::registry reg;
    std::vector<vitals::collector_status> got;
    reg.add_collector([&got](vitals::collector_output& out) {
        got.clear();
        out.family("queue_depth", "Depth.", vitals::metric_type::gauge);
        got.push_back(out.sample(1, {}));
        got.push_back(out.sample(2, {{"shard", ""}}));
        got.push_back(out.sample(3, {{"shard", ""}, {"zone", ""}}));
        got.push_back(out.sample(4, {{"shard", "a"}, {"zone", ""}}));
        got.push_back(out.sample(5, {{"shard", "a"}}));
        got.push_back(out.sample(6, {{"zone", "a"}}));
        out.family("lat", "Lat.", vitals::metric_type::histogram);
        got.push_back(out.histogram_sample({1.0}, {1, 2}, 3.0, {{"k", ""}}));
        got.push_back(out.histogram_sample({1.0}, {1, 2}, 3.0, {}));
        out.family("mode", "Mode.", vitals::metric_type::stateset);
        got.push_back(out.stateset_sample({{"a", true}, {"", false}}));
    });
    const std::string text = vitals::to_text(reg);
    REQUIRE(got.size() == 9);
    CHECK(got[0]);
    CHECK_FALSE(got[1]);
    CHECK_FALSE(got[2]);
    CHECK(got[3]);
    CHECK_FALSE(got[4]);
    CHECK(got[5]); // the value "a" under another name is another series
    CHECK(got[6]);
    CHECK_FALSE(got[7]);
    CHECK_FALSE(got[8]); // an empty state name: the state label's value
    CHECK(got[8].message() == std::string_view("empty state name"));
    CHECK(contains(text, "queue_depth 1\n"));
    CHECK_FALSE(contains(text, "queue_depth{shard=\"\"}"));
    CHECK_FALSE(contains(text, "mode{"));
    CHECK(contains(text, "vitals_collector_dropped 5\n"));
}

// The text format 0.0.4 escapes only backslash and newline in HELP; OpenMetrics also escapes
// the double quote. A collector's HELP follows the same rule as a registered family's.
TEST_CASE("collector_output: HELP escapes quotes in OpenMetrics only, as a family's does") {
    vitals::registry reg;
    reg.add_collector([](vitals::collector_output& out) {
        out.gauge("quoted", "Say \"hi\" to C:\\dir\nnext", 1);
    });
    CHECK(contains(vitals::to_text(reg), "# HELP quoted Say \"hi\" to C:\\\\dir\\nnext\n"));
    CHECK(contains(vitals::to_openmetrics(reg),
                   "# HELP quoted Say \\\"hi\\\" to C:\\\\dir\\nnext\n"));
}

namespace {
// The samples of `name` in a parsed exposition.
std::size_t samples_of(const vitals_test::exposition& ex, const std::string& name) {
    std::size_t n = 0;
    for (const auto& s : ex.samples) n += s.name == name ? 1 : 0;
    return n;
}
} // namespace

TEST_CASE("collector: a family takes at most max_series samples; each one past it is dropped "
          "and counted") {
    // A collector that takes its label values from outside (one per client, tenant or file)
    // is bounded as a registered family is: VITALS_DEFAULT_MAX_SERIES unless family() says.
    constexpr std::size_t bound = VITALS_DEFAULT_MAX_SERIES;
    vitals::registry reg;
    std::vector<vitals::collector_status> past_default, past_three, at_bound_repeat;
    std::vector<vitals::collector_status> zero;
    std::size_t kept_large = 0;
    reg.add_collector([&](vitals::collector_output& out) {
        past_default.clear();
        past_three.clear();
        at_bound_repeat.clear();
        zero.clear();
        kept_large = 0;
        out.family("peers", "One per peer.", vitals::metric_type::gauge);
        for (std::size_t i = 0; i < bound + 5; ++i) {
            const std::string v = std::to_string(i);
            const vitals::collector_status st = out.sample(1, {{"peer", v}});
            if (i >= bound)
                past_default.push_back(st);
            else
                REQUIRE(st);
        }
        // At the bound, a repeated label set is still reported as a repeat.
        at_bound_repeat.push_back(out.sample(1, {{"peer", "0"}}));

        REQUIRE(out.family("small", "Three.", vitals::metric_type::counter, {}, 3));
        for (int i = 0; i < 5; ++i) {
            const std::string v = std::to_string(i);
            const vitals::collector_status st = out.sample(i, {{"k", v}});
            if (i >= 3) past_three.push_back(st);
        }
        // Histogram and stateset samples count as well.
        REQUIRE(out.family("lat", "H.", vitals::metric_type::histogram, {}, 1));
        REQUIRE(out.histogram_sample({1.0}, {1, 2}, 3.0, {{"k", "a"}}));
        past_three.push_back(out.histogram_sample({1.0}, {1, 2}, 3.0, {{"k", "b"}}));
        REQUIRE(out.family("phase", "S.", vitals::metric_type::stateset, {}, 1));
        REQUIRE(out.stateset_sample({{"on", true}}, {{"k", "a"}}));
        past_three.push_back(out.stateset_sample({{"on", true}}, {{"k", "b"}}));

        zero.push_back(out.family("none", "Zero.", vitals::metric_type::gauge, {}, 0));
        zero.push_back(out.sample(1)); // no family to add to

        // A larger bound given to family() lets more through.
        REQUIRE(out.family("large", "Large.", vitals::metric_type::gauge, {}, bound * 2));
        for (std::size_t i = 0; i < bound + 10; ++i) {
            const std::string v = std::to_string(i);
            kept_large += out.sample(1, {{"i", v}}) ? 1 : 0;
        }
    });
    const std::string text = vitals::to_text(reg);

    REQUIRE(past_default.size() == 5);
    for (const auto& st : past_default) {
        CHECK(st.code() == vitals::errc::invalid_argument);
        CHECK(contains(std::string(st.message()), "max_series"));
    }
    REQUIRE(at_bound_repeat.size() == 1);
    CHECK(contains(std::string(at_bound_repeat[0].message()), "already has a sample"));
    REQUIRE(past_three.size() == 4);
    for (const auto& st : past_three) CHECK(contains(std::string(st.message()), "max_series"));
    REQUIRE(zero.size() == 2);
    CHECK(zero[0].code() == vitals::errc::invalid_argument);
    CHECK(contains(std::string(zero[0].message()), "max_series must be at least 1"));
    CHECK_FALSE(zero[1]);
    CHECK(kept_large == bound + 10);

    vitals_test::exposition ex;
    REQUIRE(vitals_test::parse_exposition(text, ex).empty());
    CHECK(samples_of(ex, "peers") == bound);
    CHECK(samples_of(ex, "small_total") == 3);
    CHECK(samples_of(ex, "lat_count") == 1);
    CHECK(samples_of(ex, "phase") == 1);
    CHECK(samples_of(ex, "large") == bound + 10);
    CHECK_FALSE(contains(text, "# HELP none "));
    // 5 + 1 repeat + 2 + 1 + 1 + the zero bound and its sample.
    CHECK(contains(text, "vitals_collector_dropped 12\n"));
    // The bound is per scrape: the next one writes the same.
    CHECK(vitals::to_text(reg) == text);
}

TEST_CASE("collector: with thousands of families in one scrape, a repeated name is still found") {
    // Past the 32 names kept inline, the names live in a table that grows: every repeat is
    // found whichever family it repeats, and the base name of a counter stays taken.
    constexpr int families = 5000;
    vitals::registry reg;
    std::vector<vitals::collector_status> repeats;
    reg.add_collector([&](vitals::collector_output& out) {
        repeats.clear();
        for (int i = 0; i < families; ++i) {
            const std::string name = "f" + std::to_string(i);
            REQUIRE(out.counter(name, "H.", 1));
        }
        for (int i : {0, 1, 31, 32, 33, 2500, families - 1}) {
            const std::string name = "f" + std::to_string(i);
            repeats.push_back(out.gauge(name, "H.", 2));            // the counter's base name
            repeats.push_back(out.gauge(name + "_total", "H.", 2)); // its sample name
            repeats.push_back(out.gauge(name + "_created", "H.", 2));
        }
        REQUIRE(out.gauge("f" + std::to_string(families), "H.", 3));
    });
    const std::string text = vitals::to_text(reg);
    REQUIRE(repeats.size() == 21);
    for (const auto& st : repeats) CHECK(st.code() == vitals::errc::name_collision);
    vitals_test::exposition ex;
    REQUIRE(vitals_test::parse_exposition(text, ex).empty());
    CHECK(samples_of(ex, "f0_total") == 1);
    CHECK(samples_of(ex, "f4999_total") == 1);
    CHECK(samples_of(ex, "f5000") == 1);
    CHECK(ex.types.size() == static_cast<std::size_t>(families) + 2); // + vitals_collector_dropped
    CHECK(contains(text, "vitals_collector_dropped 21\n"));
}
