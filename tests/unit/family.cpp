// tests/unit/family.cpp - labelled families: lookup, label count errors, remove/clear/re-add,
// cardinality bound and overflow series, const labels, ordering.
// SPDX-License-Identifier: MIT
#include <vitals/family.hpp>
#include <vitals/vitals.hpp>

#include <doctest/doctest.h>

#include "test_support.hpp"

#include <string>      // string, to_string
#include <string_view> // string_view
#include <vector>      // vector

namespace {
std::string text(const vitals::registry& reg) { return vitals::to_text(reg); }
using vitals_test::contains;
} // namespace

TEST_CASE("family: labels() returns one stable series per label set") {
    vitals::registry reg;
    auto& fam = reg.counter("http_requests", "Requests.", {"method", "code"});
    auto& a = fam.labels("GET", "200");
    auto& b = fam.labels("GET", "500");
    CHECK(&a != &b);
    CHECK(&fam.labels("GET", "200") == &a);
    CHECK(&fam.labels(std::string("GET"), std::string_view("200")) == &a);
    CHECK(&fam.labels(std::vector<std::string>{"GET", "200"}) == &a);
    CHECK(&fam.try_labels("GET", "200").value() == &a);
    CHECK(fam.size() == 2u);

    SUBCASE("values are compared whole, not concatenated") {
        auto& x = fam.labels("ab", "c");
        auto& y = fam.labels("a", "bc");
        CHECK(&x != &y);
        CHECK(fam.size() == 4u);
    }
    SUBCASE("empty values are a distinct label set") {
        auto& e = fam.labels("", "");
        CHECK(&e != &a);
        e.inc();
        CHECK(contains(text(reg), "http_requests_total{method=\"\",code=\"\"} 1\n"));
    }
    SUBCASE("many series keep their handles while the table grows") {
        std::vector<vitals::counter*> handles;
        for (int i = 0; i < 500; ++i) {
            handles.push_back(&fam.labels("M", std::to_string(i)));
            handles.back()->inc_by(static_cast<std::uint64_t>(i));
        }
        for (int i = 0; i < 500; ++i) {
            CHECK(&fam.labels("M", std::to_string(i)) == handles[static_cast<std::size_t>(i)]);
            CHECK(handles[static_cast<std::size_t>(i)]->whole_value() ==
                  static_cast<std::uint64_t>(i));
        }
        CHECK(fam.size() == 502u);
    }
}

TEST_CASE("family: a null C string is the empty label value") {
    // labels("GET", std::getenv("REGION")) with REGION unset: a std::string_view made from the
    // null pointer would read through it; the value is empty (the label absent) instead.
    vitals::registry reg;
    auto& fam = reg.counter("jobs", "Jobs.", {"kind", "region"});
    auto& empty = fam.labels("batch", "");
    const char* unset = nullptr;
    char* unset_mutable = nullptr;
    CHECK(&fam.labels("batch", unset) == &empty);
    CHECK(&fam.labels("batch", unset_mutable) == &empty);
    CHECK(&fam.labels("batch", nullptr) == &empty);
    CHECK(&fam.try_labels("batch", unset).value() == &empty);
    CHECK(&fam.labels(std::vector<const char*>{"batch", nullptr}) == &empty);
    fam.labels("batch", unset).inc();
    CHECK(fam.size() == 1u);
    CHECK(contains(text(reg), "jobs_total{kind=\"batch\",region=\"\"} 1\n"));
    CHECK(fam.remove("batch", unset));
    CHECK_FALSE(fam.remove(std::vector<const char*>{"batch", nullptr}));
}

namespace {
// A string type that converts to std::string_view only when asked (explicit).
struct explicit_region {
    explicit operator std::string_view() const { return "eu"; }
};
} // namespace

TEST_CASE("family: a list's values may convert to std::string_view explicitly") {
    // labels(list) takes a list whose elements a static_cast makes into std::string_view; they
    // were taken, then each looked up as the empty value.
    vitals::registry reg;
    auto& fam = reg.counter("jobs", "Jobs.", {"region"});
    const std::vector<explicit_region> regions(1);
    fam.labels(regions).inc();
    CHECK(&fam.labels(regions) == &fam.labels("eu"));
    CHECK(contains(text(reg), "jobs_total{region=\"eu\"} 1\n"));
    CHECK(fam.remove(regions));
    CHECK(fam.size() == 0u);
}

TEST_CASE("family: label values of every length find their series") {
    // Keys are kept in the series up to 47 bytes and in an array of their own past that; a
    // value's length takes one byte under 128 and more from 128 on.
    vitals::registry reg;
    vitals::family_options long_values;
    long_values.max_label_value_bytes = 70000;
    auto& fam = reg.counter("c", "C.", {"a", "b"}, long_values);
    std::vector<std::string> values;
    for (std::size_t len : {0u,  1u,  2u,  3u,  4u,   7u,   8u,   9u,   15u,    16u,    17u,   44u,
                            45u, 46u, 47u, 48u, 127u, 128u, 129u, 300u, 16383u, 16384u, 70000u}) {
        std::string v(len, 'x');
        for (std::size_t i = 0; i < len; ++i) v[i] = static_cast<char>('a' + (i * 7 + len) % 26);
        values.push_back(v);
    }
    std::vector<vitals::counter*> series;
    for (const std::string& v : values) {
        series.push_back(&fam.labels(v, "y"));
        series.back()->inc();
    }
    for (std::size_t i = 0; i < values.size(); ++i) {
        CAPTURE(values[i].size());
        CHECK(&fam.labels(values[i], "y") == series[i]);
        CHECK(&fam.labels(std::string(values[i]), std::string("y")) == series[i]);
        // The same bytes split differently between the two values are another series.
        if (!values[i].empty()) {
            const std::string head = values[i].substr(0, values[i].size() - 1);
            const std::string tail = values[i].substr(values[i].size() - 1) + "y";
            CHECK(&fam.labels(head, tail) != series[i]);
        }
        // One byte changed is another series (the last byte, and the first).
        if (!values[i].empty()) {
            std::string last = values[i];
            last.back() = '#';
            CHECK(&fam.labels(last, "y") != series[i]);
            std::string first = values[i];
            first.front() = '#';
            CHECK(&fam.labels(first, "y") != series[i]);
        }
    }
    const std::string out = text(reg);
    for (const std::string& v : values)
        CHECK(contains(out, "c_total{a=\"" + v + "\",b=\"y\"} 1\n"));
    CHECK(fam.remove(values.back(), "y"));
    CHECK_FALSE(contains(text(reg), "c_total{a=\"" + values.back() + "\""));
}

TEST_CASE("family: wrong number of label values") {
    vitals::registry reg;
    auto& fam = reg.gauge("temperature", "Degrees.", {"room", "sensor"});
    SUBCASE("throwing form") {
        CHECK_THROWS_AS(fam.labels("kitchen"), vitals::error);
        CHECK_THROWS_AS(fam.labels("a", "b", "c"), vitals::error);
        CHECK_THROWS_AS(fam.labels(), vitals::error);
        CHECK_THROWS_AS(fam.labels(std::vector<std::string>{"one"}), vitals::error);
#if VITALS_HAS_EXCEPTIONS()
        try {
            (void)fam.labels("kitchen");
            FAIL("no exception");
        } catch (const vitals::error& e) {
            CHECK(e.code() == vitals::errc::label_count_mismatch);
            CHECK(contains(e.what(), "temperature"));
        }
#endif
    }
    SUBCASE("try_ form") {
        auto r = fam.try_labels("kitchen");
        REQUIRE_FALSE(r.ok());
        CHECK_FALSE(static_cast<bool>(r));
        CHECK(r.error().code() == vitals::errc::label_count_mismatch);
        CHECK(contains(r.error().message(), "2 label names"));
        CHECK(fam.try_labels().error().code() == vitals::errc::label_count_mismatch);
    }
    SUBCASE("unlabelled family given values") {
        auto& plain = reg.counter("plain", "Plain.", std::vector<std::string>{});
        CHECK(plain.try_labels("x").error().code() == vitals::errc::label_count_mismatch);
        CHECK(&plain.labels() == &reg.counter("plain", "Plain."));
    }
    // Nothing was created by the failed lookups.
    CHECK(fam.size() == 0u);
    CHECK_FALSE(contains(text(reg), "temperature"));
}

TEST_CASE("family: remove, clear and re-add") {
    vitals::registry reg;
    auto& fam = reg.counter("jobs", "Jobs.", {"queue"});
    auto& a = fam.labels("a");
    auto& b = fam.labels("b");
    a.inc(5);
    b.inc(7);
    REQUIRE(contains(text(reg), "jobs_total{queue=\"a\"} 5\n"));

    SUBCASE("remove hides one series; the handle stays usable") {
        CHECK(fam.remove("a"));
        CHECK_FALSE(fam.remove("a"));       // already hidden
        CHECK_FALSE(fam.remove("missing")); // never existed
        CHECK_FALSE(fam.remove("a", "b"));  // wrong arity: nothing removed
        CHECK(fam.size() == 1u);
        const std::string out = text(reg);
        CHECK_FALSE(contains(out, "queue=\"a\""));
        CHECK(contains(out, "jobs_total{queue=\"b\"} 7\n"));
        a.inc(); // writing through a removed handle is safe and invisible
        CHECK_FALSE(contains(text(reg), "queue=\"a\""));

        SUBCASE("re-adding resets the series to zero and reuses the storage") {
            auto& again = fam.labels("a");
            CHECK(&again == &a);
            CHECK(a.value() == 0.0);
            CHECK(contains(text(reg), "jobs_total{queue=\"a\"} 0\n"));
            a.inc();
            CHECK(contains(text(reg), "jobs_total{queue=\"a\"} 1\n"));
        }
        SUBCASE("try_labels also re-adds") {
            auto r = fam.try_labels("a");
            REQUIRE(r.ok());
            CHECK(&r.value() == &a);
            CHECK(contains(text(reg), "jobs_total{queue=\"a\"} 0\n"));
        }
    }
    SUBCASE("clear hides every series; the family disappears from the output") {
        fam.clear();
        CHECK(fam.size() == 0u);
        CHECK_FALSE(contains(text(reg), "jobs"));
        b.inc();
        CHECK_FALSE(contains(text(reg), "jobs"));
        auto& b2 = fam.labels("b");
        CHECK(&b2 == &b);
        CHECK(text(reg) == "# HELP jobs_total Jobs.\n# TYPE jobs_total counter\n"
                           "jobs_total{queue=\"b\"} 0\n");
    }
    SUBCASE("clear on an unlabelled family hides its only series until looked up again") {
        auto& plain_family = reg.gauge("plain", "Plain.", std::vector<std::string>{});
        auto& g = plain_family.labels();
        g.set(3);
        REQUIRE(contains(text(reg), "plain 3\n"));
        plain_family.clear();
        CHECK_FALSE(contains(text(reg), "plain"));
        CHECK(&reg.gauge("plain", "Plain.") == &g); // the registry's lookup re-adds it
        CHECK(contains(text(reg), "plain 0\n"));
    }
}

TEST_CASE("family: histogram series remove and re-add") {
    vitals::registry reg;
    auto& fam = reg.histogram("latency_seconds", "Latency.", {"path"}, {1.0});
    auto& h = fam.labels("/x");
    h.observe(0.5);
    h.observe(3);
    CHECK(fam.remove("/x"));
    CHECK_FALSE(contains(text(reg), "latency_seconds"));
    auto& again = fam.labels("/x");
    CHECK(&again == &h);
    CHECK(h.count() == 0u);
    CHECK(text(reg) == "# HELP latency_seconds Latency.\n"
                       "# TYPE latency_seconds histogram\n"
                       "latency_seconds_bucket{path=\"/x\",le=\"1\"} 0\n"
                       "latency_seconds_bucket{path=\"/x\",le=\"+Inf\"} 0\n"
                       "latency_seconds_sum{path=\"/x\"} 0\n"
                       "latency_seconds_count{path=\"/x\"} 0\n");
}

TEST_CASE("family: cardinality bound and the overflow series") {
    vitals::registry reg;
    vitals::family_options opts;
    opts.max_series = 3;
    auto& fam = reg.counter("users", "Per user.", {"user", "kind"}, opts);
    auto& u1 = fam.labels("u1", "k");
    fam.labels("u2", "k").inc();
    fam.labels("u3", "k").inc();
    u1.inc();
    CHECK(fam.size() == 3u);
    CHECK_FALSE(contains(text(reg), "vitals_series_overflow_total"));

    auto& o1 = fam.labels("u4", "k");
    auto& o2 = fam.labels("u5", "other");
    CHECK(&o1 == &o2); // both land in the one overflow series
    o1.inc();
    o2.inc();
    o2.inc(3);
    CHECK(&fam.labels("u1", "k") == &u1); // existing series still resolve normally
    CHECK(&fam.try_labels("u6", "x").value() == &o1);

    const std::string out = text(reg);
    CHECK(contains(out, "users_total{user=\"__overflow__\",kind=\"__overflow__\"} 5\n"));
    CHECK(contains(out, "# TYPE vitals_series_overflow_total counter\n"));
    // Three lookups of new label sets were redirected: u4, u5, u6.
    CHECK(contains(out, "vitals_series_overflow_total{family=\"users_total\"} 3\n"));
    CHECK(contains(out, "users_total{user=\"u1\",kind=\"k\"} 1\n"));

    SUBCASE("removed series still count against the bound; re-adding them is allowed") {
        CHECK(fam.remove("u2", "k"));
        CHECK(&fam.labels("u7", "k") == &o1); // u2's slot is retained, so still full
        auto& u2 = fam.labels("u2", "k");
        CHECK(&u2 != &o1);
        CHECK(u2.value() == 0.0);
    }
    SUBCASE("other families have their own bound and overflow label") {
        vitals::family_options one;
        one.max_series = 1;
        auto& g = reg.gauge("temps", "Temps.", {"room"}, one);
        g.labels("a").set(1);
        g.labels("b").set(2);
        g.labels("c").set(3);
        const std::string out2 = text(reg);
        CHECK(contains(out2, "temps{room=\"__overflow__\"} 3\n"));
        CHECK(contains(out2, "vitals_series_overflow_total{family=\"temps\"} 2\n"));
        CHECK(contains(out2, "vitals_series_overflow_total{family=\"users_total\"} 3\n"));
    }
    SUBCASE("histograms overflow too") {
        vitals::family_options one;
        one.max_series = 1;
        auto& h = reg.histogram("sizes", "Sizes.", {"path"}, {10.0}, one);
        h.labels("/a").observe(1);
        h.labels("/b").observe(100);
        const std::string out2 = text(reg);
        CHECK(contains(out2, "sizes_bucket{path=\"__overflow__\",le=\"+Inf\"} 1\n"));
        CHECK(contains(out2, "vitals_series_overflow_total{family=\"sizes\"} 1\n"));
    }
}

// A label value from unbounded input (a raw URL, a message) must not be stored whole in a
// series and every scrape: past max_label_value_bytes the label set goes to the overflow
// series and is counted, without taking a slot of the series bound.
TEST_CASE("family: label values longer than max_label_value_bytes go to the overflow series") {
    vitals::registry reg;
    vitals::family_options opts;
    opts.max_series = 2;
    opts.max_label_value_bytes = 8;
    auto& fam = reg.counter("requests", "Requests.", {"path", "code"}, opts);
    fam.labels("/12345678", "200").inc(); // 9 bytes
    fam.labels("/a", "200").inc();
    fam.labels("/a", "200").inc();
    auto& over = fam.labels("/a", std::string(100000, 'x'));
    over.inc(5);
    CHECK(&fam.labels("/1234567", "200") != &over); // 8 bytes is within the bound

    std::string out = text(reg);
    CHECK(contains(out, "requests_total{path=\"__overflow__\",code=\"__overflow__\"} 6\n"));
    CHECK(contains(out, "requests_total{path=\"/a\",code=\"200\"} 2\n"));
    CHECK(contains(out, "requests_total{path=\"/1234567\",code=\"200\"} 0\n"));
    CHECK(contains(out, "vitals_series_overflow_total{family=\"requests_total\"} 2\n"));
    CHECK_FALSE(contains(out, "12345678"));
    CHECK(out.size() < 2000); // no long value is kept for the scrape
    CHECK(fam.size() == 3u);  // the two within the bound, and the overflow series

    // The overflow series made for a long value took no slot: the bound (2) is now reached
    // by the two series above, so the next new label set overflows, into the same series.
    CHECK(&fam.labels("/b", "200") == &over);
    CHECK(contains(text(reg), "vitals_series_overflow_total{family=\"requests_total\"} 3\n"));

    SUBCASE("after clear() the overflow series starts again at zero") {
        fam.clear();
        auto& again = fam.labels(std::string(9, 'y'), "200");
        CHECK(&again == &over);
        CHECK(again.value() == 0.0);
    }
    SUBCASE("invalid UTF-8 is measured as shown, replaced by U+FFFD (3 bytes)") {
        vitals::family_options four;
        four.max_label_value_bytes = 4;
        auto& g = reg.gauge("g", "G.", {"k"}, four);
        g.labels("ab\xff").set(1); // shown as 5 bytes
        g.labels("abcd").set(2);
        const std::string out2 = text(reg);
        CHECK(contains(out2, "g{k=\"__overflow__\"} 1\n"));
        CHECK(contains(out2, "g{k=\"abcd\"} 2\n"));
    }
}

// The program may look up the overflow series' own values before the family has overflowed:
// that label set takes a slot of max_series like any other, and keeps it when a long value
// later makes it the overflow series (it used to be let off the bound then, one series too
// many).
TEST_CASE("family: a label set of __overflow__ made by the program counts against the bound") {
    vitals::registry reg;
    vitals::family_options opts;
    opts.max_series = 2;
    opts.max_label_value_bytes = 12; // holds "__overflow__"
    auto& fam = reg.counter("requests", "Requests.", {"path"}, opts);
    auto& own = fam.labels("__overflow__");
    CHECK(&fam.labels(std::string(13, 'x')) == &own); // a long value: the overflow series
    auto& a = fam.labels("/a");
    CHECK(&a != &own);
    CHECK(&fam.labels("/b") == &own); // the bound (2) is reached: __overflow__ and /a
    CHECK(fam.size() == 2u);
    CHECK_FALSE(contains(text(reg), "path=\"/b\""));
}

TEST_CASE("family: max_label_value_bytes is checked at registration") {
    vitals::registry reg;
    vitals::family_options opts;
    opts.max_label_value_bytes = 0;
    auto r = reg.try_counter("c", "Help.", {"a"}, opts);
    REQUIRE_FALSE(r.ok());
    CHECK(r.error().code() == vitals::errc::invalid_argument);
    CHECK(contains(r.error().message(), "max_label_value_bytes"));

    vitals::family_options long_const;
    long_const.const_labels = {{"note", std::string(2049, 'n')}};
    auto r2 = reg.try_gauge("g", "Help.", {}, long_const);
    REQUIRE_FALSE(r2.ok());
    CHECK(r2.error().code() == vitals::errc::invalid_argument);
    CHECK(contains(r2.error().message(), "const label 'note' has a value of 2049 bytes"));
    long_const.const_labels[0].second.resize(2048);
    CHECK(reg.try_gauge("g", "Help.", {}, long_const).ok());

    // Measured as shown: each invalid UTF-8 byte is written as the 3 bytes of U+FFFD.
    vitals::family_options invalid_const;
    invalid_const.const_labels = {{"note", std::string(1000, '\xff')}}; // 3000 bytes shown
    auto r4 = reg.try_gauge("g2", "Help.", {}, invalid_const);
    REQUIRE_FALSE(r4.ok());
    CHECK(r4.error().code() == vitals::errc::invalid_argument);
    CHECK(contains(r4.error().message(), "const label 'note' has a value of 3000 bytes"));
    invalid_const.const_labels[0].second.resize(682); // 2046 bytes shown
    CHECK(reg.try_gauge("g2", "Help.", {}, invalid_const).ok());

    // Registering again with another bound is a conflict, named in the message.
    vitals::family_options other;
    other.max_label_value_bytes = 64;
    reg.counter("hits", "Hits.", {"p"});
    auto r3 = reg.try_counter("hits", "Hits.", {"p"}, other);
    REQUIRE_FALSE(r3.ok());
    CHECK(r3.error().code() == vitals::errc::conflicting_registration);
    CHECK(contains(r3.error().message(), "max_label_value_bytes 2048, not 64"));
}

TEST_CASE("family: max_series of zero is rejected") {
    vitals::registry reg;
    vitals::family_options opts;
    opts.max_series = 0;
    auto r = reg.try_counter("c", "Help.", {"a"}, opts);
    REQUIRE_FALSE(r.ok());
    CHECK(r.error().code() == vitals::errc::invalid_argument);
    CHECK_THROWS_AS(reg.gauge("g", "Help.", {"a"}, opts), vitals::error);
}

TEST_CASE("family: const labels") {
    vitals::registry reg;
    vitals::family_options opts;
    opts.const_labels = {{"region", "eu"}, {"zone", "b"}};

    SUBCASE("come first on every series") {
        auto& fam = reg.counter("hits", "Hits.", {"path"}, opts);
        fam.labels("/a").inc();
        CHECK(text(reg) == "# HELP hits_total Hits.\n# TYPE hits_total counter\n"
                           "hits_total{region=\"eu\",zone=\"b\",path=\"/a\"} 1\n");
    }
    SUBCASE("on an unlabelled family") {
        auto& fam = reg.gauge("up", "Up.", std::vector<std::string>{}, opts);
        fam.labels().set(1);
        CHECK(text(reg) == "# HELP up Up.\n# TYPE up gauge\nup{region=\"eu\",zone=\"b\"} 1\n");
    }
    SUBCASE("on histograms, before le") {
        auto& fam = reg.histogram("lat", "Lat.", {"p"}, {1.0}, opts);
        fam.labels("x").observe(2);
        CHECK(contains(text(reg), "lat_bucket{region=\"eu\",zone=\"b\",p=\"x\",le=\"+Inf\"} 1\n"));
        CHECK(contains(text(reg), "lat_count{region=\"eu\",zone=\"b\",p=\"x\"} 1\n"));
    }
    SUBCASE("values are escaped") {
        vitals::family_options esc;
        esc.const_labels = {{"note", "a\"b\\c\nd"}};
        reg.gauge("e", "E.", std::vector<std::string>{}, esc).labels().set(1);
        CHECK(contains(text(reg), "e{note=\"a\\\"b\\\\c\\nd\"} 1\n"));
    }
    SUBCASE("a const label clashing with a label name is rejected") {
        auto r = reg.try_counter("c", "Help.", {"zone"}, opts);
        REQUIRE_FALSE(r.ok());
        CHECK(r.error().code() == vitals::errc::duplicate_label_name);
    }
    SUBCASE("two const labels with the same name are rejected") {
        vitals::family_options dup;
        dup.const_labels = {{"a", "1"}, {"a", "2"}};
        CHECK(reg.try_gauge("g", "Help.", {}, dup).error().code() ==
              vitals::errc::duplicate_label_name);
    }
    SUBCASE("const label names are validated") {
        vitals::family_options bad;
        bad.const_labels = {{"__reserved", "x"}};
        CHECK(reg.try_gauge("g", "Help.", {}, bad).error().code() ==
              vitals::errc::invalid_label_name);
        bad.const_labels = {{"le", "x"}};
        CHECK(reg.try_histogram("h", "Help.", {}, {1.0}, bad).error().code() ==
              vitals::errc::invalid_label_name);
        CHECK(reg.try_gauge("g", "Help.", {}, bad).ok()); // le is fine outside histograms
    }
}

TEST_CASE("family: output order is deterministic") {
    vitals::registry reg;
    auto& fam = reg.gauge("g", "G.", {"k"});
    // Created out of order; written sorted by label values.
    for (const char* v : {"m", "b", "z", "a", "ba"}) fam.labels(v).set(1);
    CHECK(text(reg) == "# HELP g G.\n# TYPE g gauge\n"
                       "g{k=\"a\"} 1\ng{k=\"b\"} 1\ng{k=\"ba\"} 1\ng{k=\"m\"} 1\ng{k=\"z\"} 1\n");
    // Removing and re-adding does not move a series.
    fam.remove("b");
    fam.labels("b").set(2);
    CHECK(text(reg) == "# HELP g G.\n# TYPE g gauge\n"
                       "g{k=\"a\"} 1\ng{k=\"b\"} 2\ng{k=\"ba\"} 1\ng{k=\"m\"} 1\ng{k=\"z\"} 1\n");
}

TEST_CASE("family: accessors describe the registration") {
    vitals::registry reg;
    vitals::family_options opts;
    opts.max_series = 42;
    opts.const_labels = {{"c", "v"}};
    auto& fam = reg.histogram("h", "Help text.", {"a", "b"}, {1, 2}, opts);
    CHECK(fam.name() == "h");
    CHECK(fam.help() == "Help text.");
    CHECK(fam.type() == vitals::metric_type::histogram);
    CHECK(fam.label_names() == std::vector<std::string>{"a", "b"});
    CHECK(fam.bounds() == std::vector<double>{1, 2});
    CHECK(fam.options().max_series == 42u);
    CHECK(fam.labels("x", "y").bounds() == std::vector<double>{1, 2});
    CHECK(vitals::type_name(vitals::metric_type::counter) == "counter");
    CHECK(vitals::type_name(vitals::metric_type::gauge) == "gauge");
    CHECK(vitals::type_name(vitals::metric_type::histogram) == "histogram");
    auto& cf = reg.counter("c", "C.", {"x"});
    CHECK(cf.name() == "c_total");
}

// The exposition shows each invalid UTF-8 byte as U+FFFD, so values that differ only there
// are one series: two lines with the same labels would be duplicates a parser drops or
// rejects.
TEST_CASE("family: values shown alike after UTF-8 repair are one series") {
    vitals::registry reg;
    auto& f = reg.counter("req", "Requests.", {"path"});
    vitals::counter& a = f.labels("/x\xff");
    vitals::counter& b = f.labels("/x\xfe");
    vitals::counter& c = f.labels("/x\xEF\xBF\xBD"); // U+FFFD itself, valid UTF-8
    CHECK(&a == &b);
    CHECK(&a == &c);
    a.inc();
    b.inc();
    c.inc();
    const std::string text = vitals::to_text(reg);
    CHECK(text.find("req_total{path=\"/x\xEF\xBF\xBD\"} 3\n") != std::string::npos);
    CHECK(text.find("req_total{", text.find("req_total{") + 1) == std::string::npos);
    CHECK(f.remove("/x\xc3")); // a truncated sequence, shown the same way
    CHECK(vitals::to_text(reg).find("req_total{") == std::string::npos);
    // A stateset's states are compared as shown, too.
    const auto st = reg.try_stateset("mode", "Mode.", std::vector<std::string>{"a\xff", "a\xfe"});
    CHECK(st.error().code() == vitals::errc::invalid_argument);
    CHECK(st.error().message().find("invalid UTF-8") != std::string::npos);
}

TEST_CASE("family: remove() takes values known only at run time, as labels() does") {
    vitals::registry reg;
    auto& fam = reg.gauge("app_temp", "Temperature.", {"room", "sensor"});
    const std::vector<std::string> kitchen{"kitchen", "s1"};
    const std::vector<std::string> hall{"hall", "s2"};
    fam.labels(kitchen).set(21);
    fam.labels(hall).set(19);
    CHECK(fam.remove(kitchen));
    CHECK_FALSE(fam.remove(kitchen));                             // hidden already
    CHECK_FALSE(fam.remove(std::vector<std::string>{"kitchen"})); // a wrong count removes nothing
    CHECK(fam.size() == 1u);
    const std::string text = vitals::to_text(reg);
    CHECK(text.find("kitchen") == std::string::npos);
    CHECK(text.find("app_temp{room=\"hall\",sensor=\"s2\"} 19\n") != std::string::npos);
    // More values than fit on the stack.
    std::vector<std::string> names;
    std::vector<std::string> values;
    for (int i = 0; i < 20; ++i) {
        names.push_back("l" + std::to_string(i));
        values.push_back("v" + std::to_string(i));
    }
    auto& wide = reg.counter("app_wide", "Many labels.", names);
    wide.labels(values).inc();
    CHECK(wide.size() == 1u);
    CHECK(wide.remove(values));
    CHECK(wide.size() == 0u);
}
