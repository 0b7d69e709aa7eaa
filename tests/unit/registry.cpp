// tests/unit/registry.cpp - registration rules: names, label names, re-registration,
// conflicts, sample-name collisions, collectors, the default registry.
// SPDX-License-Identifier: MIT
#include <vitals/kits/queue.hpp>
#include <vitals/registry.hpp>
#include <vitals/vitals.hpp>

#include <doctest/doctest.h>

#include "test_support.hpp"

#include <string> // string
#include <vector> // vector

using vitals::errc;

namespace {
using vitals_test::contains;
} // namespace

TEST_CASE("registry: metric names are validated") {
    vitals::registry reg;
    const char* good[] = {"a", "_a", ":a", "a:b", "a_b_1", "A", "job:rate5m", "_", "x9"};
    const char* bad[] = {"", "1a", "a-b", "a b", "a.b", "__a", "__", "é", "a\n", "a{b}"};
    for (const char* name : good) {
        CAPTURE(name);
        CHECK(reg.try_gauge(name, "Help.").ok());
    }
    for (const char* name : bad) {
        CAPTURE(name);
        auto g = reg.try_gauge(name, "Help.");
        REQUIRE_FALSE(g.ok());
        CHECK(g.error().code() == errc::invalid_metric_name);
        CHECK(contains(g.error().message(), "invalid metric name"));
        CHECK(reg.try_counter(name, "Help.", {"a"}).error().code() == errc::invalid_metric_name);
        CHECK(reg.try_histogram(name, "Help.").error().code() == errc::invalid_metric_name);
        CHECK_THROWS_AS(reg.gauge(name, "Help."), vitals::error);
    }
}

TEST_CASE("registry: a counter or info needs a name before its _total or _info") {
    vitals::registry reg;
    auto c = reg.try_counter("_total", "Help.");
    REQUIRE_FALSE(c.ok());
    CHECK(c.error().code() == errc::invalid_metric_name);
    CHECK(c.error().message() ==
          "invalid metric name '_total': a counter needs a name before '_total'");
    CHECK(reg.try_counter("_total", "Help.", {"a"}).error().code() == errc::invalid_metric_name);
    auto i = reg.try_info("_info", "Help.", {"v"});
    REQUIRE_FALSE(i.ok());
    CHECK(i.error().code() == errc::invalid_metric_name);
    CHECK_THROWS_AS(reg.counter("_total", "Help."), vitals::error);
    // A name of its own, however short, is fine; so is `_total` for other types.
    CHECK(reg.try_counter("x_total", "Help.").ok());
    CHECK(reg.try_counter("_info", "Help.").ok());      // `_info_total`
    CHECK(reg.try_info("_total", "Help.", {"v"}).ok()); // `_total_info`
    CHECK(reg.try_gauge("_created", "Help.").ok());
    // `_` would become `__total` / `__info`, names reserved for internal use.
    CHECK(reg.try_counter("_", "Help.").error().code() == errc::invalid_metric_name);
    CHECK(reg.try_info("_", "Help.", {"v"}).error().code() == errc::invalid_metric_name);
    CHECK(reg.try_gauge("_", "Help.").ok());
    // A histogram `_` would write the samples `__bucket`, `__sum` and `__count`.
    vitals::registry hist;
    auto h = hist.try_histogram("_", "Help.", {0.5});
    REQUIRE_FALSE(h.ok());
    CHECK(h.error().code() == errc::invalid_metric_name);
    CHECK(contains(h.error().message(), "'__bucket'"));
    CHECK(hist.try_histogram("_", "Help.", {"a"}).error().code() == errc::invalid_metric_name);
    CHECK(hist.try_histogram("_h", "Help.", {0.5}).ok());
    CHECK_FALSE(contains(vitals::to_text(hist), "\n__"));

    vitals::registry collected;
    collected.add_collector([](vitals::collector_output& o) {
        CHECK(o.counter("_", "Help.", 1).code() == errc::invalid_metric_name);
        CHECK(o.counter("_total", "Help.", 1).code() == errc::invalid_metric_name);
        CHECK(o.family("_info", "Help.", vitals::metric_type::info).code() ==
              errc::invalid_metric_name);
        CHECK(o.family("_", "Help.", vitals::metric_type::histogram).code() ==
              errc::invalid_metric_name);
        CHECK(o.counter("ok_total", "Help.", 2).ok());
    });
    const std::string out = vitals::to_openmetrics(collected);
    CHECK_FALSE(contains(out, "# TYPE _total"));
    CHECK_FALSE(contains(out, "# TYPE _info"));
    CHECK_FALSE(contains(out, "# TYPE _ histogram"));
    CHECK(contains(out, "\nvitals_collector_dropped 4\n"));
}

TEST_CASE("registry: label names are validated") {
    vitals::registry reg;
    SUBCASE("invalid characters and reserved prefix") {
        const char* bad[] = {"", "1a", "a-b", "a:b", "__x", "__", "a b", "ü"};
        for (const char* ln : bad) {
            CAPTURE(ln);
            auto r = reg.try_counter("c", "Help.", {"ok", ln});
            REQUIRE_FALSE(r.ok());
            CHECK(r.error().code() == errc::invalid_label_name);
        }
        CHECK(reg.try_counter("c", "Help.", {"_a", "a1", "A_b"}).ok());
    }
    SUBCASE("le is reserved in histograms only") {
        auto h = reg.try_histogram("h", "Help.", {"le"});
        REQUIRE_FALSE(h.ok());
        CHECK(h.error().code() == errc::invalid_label_name);
        CHECK_THROWS_AS(reg.histogram("h", "Help.", {"path", "le"}), vitals::error);
        CHECK(reg.try_gauge("g", "Help.", {"le"}).ok());
        CHECK(reg.try_counter("c", "Help.", {"le"}).ok());
    }
    SUBCASE("duplicates") {
        auto r = reg.try_gauge("g", "Help.", {"a", "b", "a"});
        REQUIRE_FALSE(r.ok());
        CHECK(r.error().code() == errc::duplicate_label_name);
        CHECK_THROWS_AS(reg.counter("c", "Help.", {"x", "x"}), vitals::error);
    }
    // Failed registrations leave no family behind.
    CHECK_FALSE(contains(vitals::to_text(reg), "# HELP h "));
}

TEST_CASE("registry: an error in a family's label names, options or buckets names the family") {
    // A program registering many families at startup must be told which one is wrong.
    vitals::registry reg;
    const std::size_t families = reg.family_count();
    auto message_of = [](const vitals::status& st) {
        CHECK_FALSE(st.ok());
        return st.message();
    };
    auto status_of = [](const auto& r) { return r.ok() ? vitals::status{} : r.error(); };
    CHECK(contains(message_of(status_of(reg.try_counter("app_requests", "H.", {"http-method"}))),
                   "metric 'app_requests_total': invalid label name \"http-method\""));
    CHECK(contains(message_of(status_of(reg.try_gauge("app_temp", "H.", {"a", "a"}))),
                   "metric 'app_temp': "));
    CHECK(contains(message_of(status_of(reg.try_histogram("app_latency", "H.", {"le"}))),
                   "metric 'app_latency': label name 'le' is reserved in histograms"));
    CHECK(contains(message_of(status_of(reg.try_histogram("app_sizes", "H.", {2.0, 1.0}))),
                   "metric 'app_sizes': histogram bucket bounds must be strictly increasing"));
    CHECK(contains(message_of(status_of(reg.try_histogram("app_sizes", "H.", {}, {1.0, 1.0}))),
                   "metric 'app_sizes': histogram bucket bounds must be strictly increasing"));
    vitals::family_options none;
    none.max_series = 0;
    CHECK(contains(message_of(status_of(reg.try_gauge("app_queue", "H.", {"q"}, none))),
                   "metric 'app_queue': max_series must be at least 1"));
    vitals::family_options long_value;
    long_value.const_labels = {{"region", std::string(40, 'x')}};
    long_value.max_label_value_bytes = 32;
    CHECK(contains(message_of(status_of(reg.try_gauge("app_queue", "H.", {}, long_value))),
                   "metric 'app_queue': const label 'region' has a value of 40 bytes"));
    CHECK(reg.family_count() == families);
}

TEST_CASE("registry: registering the same definition twice returns the same object") {
    vitals::registry reg;
    CHECK(&reg.counter("c", "Help.") == &reg.counter("c", "Help."));
    CHECK(&reg.counter("c", "Help.") == &reg.counter("c_total", "Help."));
    CHECK(&reg.gauge("g", "Help.") == &reg.gauge("g", "Help."));
    CHECK(&reg.histogram("h", "Help.") == &reg.histogram("h", "Help."));
    CHECK(&reg.histogram("h2", "Help.", {1, 2}) == &reg.histogram("h2", "Help.", {1, 2}));
    auto& fam = reg.counter("lc", "Help.", {"a", "b"});
    CHECK(&reg.counter("lc", "Help.", {"a", "b"}) == &fam);
    CHECK(&reg.try_counter("lc", "Help.", {"a", "b"}).value() == &fam);
    vitals::family_options opts;
    opts.const_labels = {{"k", "v"}};
    auto& withc = reg.gauge("gc", "Help.", {"a"}, opts);
    CHECK(&reg.gauge("gc", "Help.", {"a"}, opts) == &withc);
    const std::size_t n = reg.family_count();
    (void)reg.counter("c", "Help.");
    CHECK(reg.family_count() == n);
}

TEST_CASE("registry: conflicting registrations are errors") {
    vitals::registry reg;
    auto& c = reg.counter("thing", "Help.", {"a"});
    c.labels("x").inc();
    auto expect_conflict = [](const auto& r) {
        REQUIRE_FALSE(r.ok());
        CHECK(r.error().code() == errc::conflicting_registration);
        CHECK(contains(r.error().message(), "thing"));
    };
    SUBCASE("other help") { expect_conflict(reg.try_counter("thing", "Other.", {"a"})); }
    SUBCASE("other labels") {
        expect_conflict(reg.try_counter("thing", "Help.", {"b"}));
        expect_conflict(reg.try_counter("thing", "Help.", {"a", "b"}));
        expect_conflict(reg.try_counter("thing", "Help."));
    }
    SUBCASE("other options") {
        vitals::family_options opts;
        opts.max_series = 5;
        expect_conflict(reg.try_counter("thing", "Help.", {"a"}, opts));
        vitals::family_options withc;
        withc.const_labels = {{"k", "v"}};
        expect_conflict(reg.try_counter("thing", "Help.", {"a"}, withc));
    }
    SUBCASE("other type, same exposed name") {
        // A gauge named thing_total exposes the same name as counter thing.
        expect_conflict(reg.try_gauge("thing_total", "Help.", {"a"}));
        CHECK_THROWS_AS(reg.gauge("thing_total", "Help."), vitals::error);
    }
    SUBCASE("histogram bounds") {
        (void)reg.histogram("lat", "Help.", {1, 2});
        auto r = reg.try_histogram("lat", "Help.", {1, 3});
        REQUIRE_FALSE(r.ok());
        CHECK(r.error().code() == errc::conflicting_registration);
        CHECK(reg.try_gauge("lat", "Help.").error().code() == errc::conflicting_registration);
    }
#if VITALS_HAS_EXCEPTIONS()
    SUBCASE("throwing form carries the code") {
        try {
            (void)reg.counter("thing", "Other.", {"a"});
            FAIL("no exception");
        } catch (const vitals::error& e) {
            CHECK(e.code() == errc::conflicting_registration);
        }
    }
#endif
    // The original family is untouched.
    CHECK(contains(vitals::to_text(reg), "# HELP thing_total Help.\n"));
    CHECK(contains(vitals::to_text(reg), "thing_total{a=\"x\"} 1\n"));
}

TEST_CASE("registry: sample-name collisions between families are rejected") {
    vitals::registry reg;
    auto expect_collision = [](const auto& r) {
        REQUIRE_FALSE(r.ok());
        CHECK(r.error().code() == errc::name_collision);
    };
    SUBCASE("histogram x, then counter x_count") {
        (void)reg.histogram("x", "Help.");
        expect_collision(reg.try_counter("x_count", "Help."));
        expect_collision(reg.try_gauge("x_sum", "Help."));
        expect_collision(reg.try_gauge("x_bucket", "Help.", {"a"}));
        expect_collision(reg.try_counter("x_bucket", "Help."));
        CHECK_THROWS_AS(reg.gauge("x_count", "Help."), vitals::error);
    }
    SUBCASE("counter x_count, then histogram x") {
        (void)reg.counter("x_count", "Help.");
        expect_collision(reg.try_histogram("x", "Help."));
    }
    SUBCASE("gauge x_sum, then histogram x") {
        (void)reg.gauge("x_sum", "Help.");
        expect_collision(reg.try_histogram("x", "Help.", {"a"}));
    }
    SUBCASE("counter x, then gauge x (the counter's base name)") {
        (void)reg.counter("x", "Help.");
        expect_collision(reg.try_gauge("x", "Help."));
    }
    SUBCASE("gauge x, then counter x") {
        (void)reg.gauge("x", "Help.");
        expect_collision(reg.try_counter("x", "Help."));
    }
    SUBCASE("gauge x_total, then counter x") {
        (void)reg.gauge("x_total", "Help.");
        auto r = reg.try_counter("x", "Help.");
        REQUIRE_FALSE(r.ok());
        // Same exposed name, another type: reported as a conflicting registration.
        CHECK(r.error().code() == errc::conflicting_registration);
    }
    SUBCASE("counter x_total_count vs histogram x_total") {
        (void)reg.histogram("x_total", "Help.");
        expect_collision(reg.try_counter("x_total_count", "Help."));
    }
    SUBCASE("counter x and gauge x_created, in either order (OpenMetrics' x_created)") {
        (void)reg.counter("jobs", "Help.");
        auto g = reg.try_gauge("jobs_created", "Help.");
        expect_collision(g);
        CHECK(g.error().message() ==
              "gauge 'jobs_created' clashes with the existing counter 'jobs_total', which "
              "exposes samples named 'jobs_created' in OpenMetrics");
        expect_collision(reg.try_counter("jobs_created", "Help.")); // owns 'jobs_created'
        (void)reg.gauge("runs_created", "Help.");
        auto c = reg.try_counter("runs_total", "Help.");
        expect_collision(c);
        CHECK(c.error().message() ==
              "counter 'runs_total', which would expose samples named 'runs_created' in "
              "OpenMetrics, clashes with the existing gauge 'runs_created'");
    }
    SUBCASE("histogram x and gauge x_created, in either order") {
        (void)reg.histogram("lat", "Help.");
        expect_collision(reg.try_gauge("lat_created", "Help.", {"a"}));
        (void)reg.gauge("size_created", "Help.");
        expect_collision(reg.try_histogram("size", "Help."));
    }
    SUBCASE("info and stateset x have no x_created") {
        (void)reg.info("build", "Help.", {"version"});
        (void)reg.stateset("mode", "Help.", {"on", "off"});
        CHECK(reg.try_gauge("build_created", "Help.").ok());
        CHECK(reg.try_gauge("mode_created", "Help.").ok());
    }
    SUBCASE("unrelated names do not collide") {
        (void)reg.histogram("x", "Help.");
        CHECK(reg.try_counter("x_counts", "Help.").ok());
        CHECK(reg.try_gauge("xx", "Help.").ok());
        CHECK(reg.try_gauge("x_bucketed", "Help.").ok());
    }
    SUBCASE("the overflow counter's names are taken") {
        CHECK_FALSE(reg.try_gauge("vitals_series_overflow", "Help.").ok());
        CHECK_FALSE(reg.try_gauge("vitals_series_overflow_total", "Help.").ok());
    }
}

TEST_CASE("registry: families are written sorted by name") {
    vitals::registry reg;
    reg.gauge("zeta", "Z.").set(1);
    reg.counter("alpha", "A.").inc();
    reg.gauge("mid", "M.").set(2);
    CHECK(vitals::to_text(reg) == "# HELP alpha_total A.\n# TYPE alpha_total counter\n"
                                  "alpha_total 1\n"
                                  "# HELP mid M.\n# TYPE mid gauge\nmid 2\n"
                                  "# HELP zeta Z.\n# TYPE zeta gauge\nzeta 1\n");
}

TEST_CASE("registry: an empty registry writes nothing") {
    vitals::registry reg;
    CHECK(vitals::to_text(reg).empty());
    (void)reg.counter("labelled", "No series yet.", {"a"});
    CHECK(vitals::to_text(reg).empty()); // labelled families without series are omitted
    CHECK(reg.family_count() == 2u);     // the overflow counter and ours
}

TEST_CASE("registry: collectors") {
    vitals::registry reg;
    reg.gauge("registered", "Registered.").set(1);
    (void)reg.histogram("hist", "Hist.", {1.0});

    SUBCASE("valid families are written after the registered ones, in order") {
        reg.add_collector([](vitals::collector_output& o) {
            o.gauge("computed_ratio", "A ratio.", 0.25);
            o.counter("computed_events", "Events.", 12);
        });
        reg.add_collector([](vitals::collector_output& o) {
            CHECK(o.family("aaa_by_kind", "Per kind.", vitals::metric_type::gauge));
            o.sample(1, {{"kind", "x"}});
            o.sample(2, {{"kind", "y\"\n\\"}, {"other", ""}});
        });
        CHECK(vitals::to_text(reg) ==
              "# HELP hist Hist.\n# TYPE hist histogram\n"
              "hist_bucket{le=\"1\"} 0\nhist_bucket{le=\"+Inf\"} 0\nhist_sum 0\nhist_count 0\n"
              "# HELP registered Registered.\n# TYPE registered gauge\nregistered 1\n"
              "# HELP computed_ratio A ratio.\n# TYPE computed_ratio gauge\ncomputed_ratio 0.25\n"
              "# HELP computed_events_total Events.\n# TYPE computed_events_total counter\n"
              "computed_events_total 12\n"
              "# HELP aaa_by_kind Per kind.\n# TYPE aaa_by_kind gauge\n"
              "aaa_by_kind{kind=\"x\"} 1\n"
              "aaa_by_kind{kind=\"y\\\"\\n\\\\\",other=\"\"} 2\n");
    }
    SUBCASE("collectors run at every scrape") {
        int calls = 0;
        reg.add_collector([&calls](vitals::collector_output& o) {
            ++calls;
            o.gauge("calls", "Scrapes so far.", calls);
        });
        CHECK(contains(vitals::to_text(reg), "calls 1\n"));
        CHECK(contains(vitals::to_text(reg), "calls 2\n"));
        CHECK(calls == 2);
    }
    SUBCASE("collectors are held by value: functions, copies and functors with state") {
        struct tally {
            int* scrapes;
            void operator()(vitals::collector_output& o) const {
                o.counter("tally", "Scrapes seen by this functor.", ++*scrapes);
            }
        };
        int scrapes = 0;
        vitals::collector original = tally{&scrapes};
        vitals::collector copy = original; // both hold a functor; the copy is registered
        reg.add_collector(copy);
        reg.add_collector(+[](vitals::collector_output& o) { o.gauge("plain_fn", "F.", 7); });
        const std::string out = vitals::to_text(reg);
        CHECK(contains(out, "tally_total 1\n"));
        CHECK(contains(out, "plain_fn 7\n"));
        CHECK(contains(vitals::to_text(reg), "tally_total 2\n"));
        CHECK(scrapes == 2);
        CHECK(original); // copying left the original intact
    }
    SUBCASE("an empty collector is rejected") {
        vitals::collector empty;
        CHECK_FALSE(empty);
        void (*null_fn)(vitals::collector_output&) = nullptr;
        CHECK_FALSE(vitals::collector(null_fn));
#if VITALS_HAS_EXCEPTIONS()
        CHECK_THROWS_AS(reg.add_collector(empty), vitals::error);
        CHECK_THROWS_AS(reg.add_collector(null_fn), vitals::error);
#endif
        CHECK(vitals::to_text(reg).find("# HELP") != std::string::npos); // scrapes still work
    }
    SUBCASE("invalid names are skipped with their samples") {
        reg.add_collector([](vitals::collector_output& o) {
            CHECK_FALSE(o.family("bad name", "Help.", vitals::metric_type::gauge));
            o.sample(1);
            CHECK_FALSE(o.family("__reserved", "Help.", vitals::metric_type::counter));
            o.sample(2);
            CHECK_FALSE(o.family("unit_less", "Help.", vitals::metric_type::gauge, "seconds"));
            o.sample(3);
            CHECK(o.family("good", "Help.", vitals::metric_type::gauge));
            o.sample(4, {{"bad-label", "x"}}); // dropped: invalid label name
            o.sample(5, {{"__x", "x"}});       // dropped: reserved label name
            o.sample(6);
        });
        const std::string out = vitals::to_text(reg);
        CHECK_FALSE(contains(out, "bad name"));
        CHECK_FALSE(contains(out, "__reserved"));
        CHECK_FALSE(contains(out, "unit_less"));
        // Three families, three samples without one, two samples with bad labels.
        CHECK(contains(out, "\nvitals_collector_dropped 8\n"));
        CHECK(contains(out, "# HELP good Help.\n# TYPE good gauge\ngood 6\n"));
        CHECK_FALSE(contains(out, "good{"));
        vitals_test::exposition parsed;
        CHECK(vitals_test::parse_exposition(out, parsed).empty());
    }
    SUBCASE("a family colliding with a registered one is skipped") {
        reg.add_collector([](vitals::collector_output& o) {
            CHECK_FALSE(o.family("registered", "Dup.", vitals::metric_type::gauge));
            o.sample(99);
            CHECK_FALSE(o.family("hist_count", "Dup.", vitals::metric_type::gauge));
            o.sample(99);
            o.counter("hist_sum", "Dup.", 99);   // hist_sum_total is free, hist_sum is not
            o.counter("registered", "Dup.", 99); // registered_total vs gauge registered
            o.gauge("vitals_series_overflow", "Dup.", 99);
            o.gauge("fine", "Fine.", 1);
        });
        const std::string out = vitals::to_text(reg);
        CHECK_FALSE(contains(out, "99"));
        CHECK_FALSE(contains(out, "Dup."));
        CHECK(contains(out, "fine 1\n"));
    }
}

TEST_CASE("registry: collectors cannot break the exposition with repeats") {
    vitals::registry reg;
    SUBCASE("a family repeated within or across collectors is written once") {
        reg.add_collector([](vitals::collector_output& o) {
            o.gauge("dup", "First.", 1);
            o.gauge("dup", "Second.", 2);
            CHECK_FALSE(o.family("dup", "Third.", vitals::metric_type::gauge));
            o.counter("events", "Counter.", 5);
            o.counter("events_total", "Same counter.", 6);
            o.gauge("events", "The counter's base name.", 7);
        });
        reg.add_collector([](vitals::collector_output& o) {
            o.gauge("dup", "From another collector.", 3);
            o.gauge("other", "Fine.", 4);
        });
        const std::string out = vitals::to_text(reg);
        CHECK(out == "# HELP dup First.\n# TYPE dup gauge\ndup 1\n"
                     "# HELP events_total Counter.\n# TYPE events_total counter\nevents_total 5\n"
                     "# HELP other Fine.\n# TYPE other gauge\nother 4\n"
                     "# HELP vitals_collector_dropped Families and samples the collectors wrote "
                     "in this scrape that were dropped (invalid, clashing, repeated or past a "
                     "family's max_series).\n"
                     "# TYPE vitals_collector_dropped gauge\nvitals_collector_dropped 5\n");
        // A new scrape starts afresh.
        CHECK(vitals::to_text(reg) == out);
    }
    SUBCASE("a counter's or histogram's x_created is taken (OpenMetrics)") {
        (void)reg.counter("jobs", "Registered.");
        reg.add_collector([](vitals::collector_output& o) {
            CHECK(o.gauge("jobs_created", "Clashes with the registered counter.", 1).code() ==
                  errc::name_collision);
            o.counter("runs", "Collected counter.", 2);
            CHECK(o.gauge("runs_created", "Clashes with the collected counter.", 3).code() ==
                  errc::name_collision);
            CHECK(o.gauge("lat_created", "Comes first.", 4).ok());
            CHECK(o.family("lat", "Histogram after its x_created.", vitals::metric_type::histogram)
                      .code() == errc::name_collision);
            const std::string long_base(200, 'l');
            CHECK(o.counter(long_base, "A long counter name.", 5).ok());
            CHECK(o.gauge(long_base + "_created", "Clashes.", 6).code() == errc::name_collision);
        });
        const std::string out = vitals::to_openmetrics(reg);
        CHECK_FALSE(contains(out, "# TYPE jobs_created"));
        CHECK_FALSE(contains(out, "# TYPE runs_created"));
        CHECK_FALSE(contains(out, "# TYPE lat histogram"));
        CHECK(contains(out, "\nvitals_collector_dropped 4\n"));
    }
    SUBCASE("more families than the inline memory holds") {
        reg.add_collector([](vitals::collector_output& o) {
            for (int round = 0; round < 2; ++round)
                for (int i = 0; i < 150; ++i) o.gauge("g" + std::to_string(i), "G.", round);
        });
        vitals_test::exposition ex;
        REQUIRE(vitals_test::parse_exposition(vitals::to_text(reg), ex).empty());
        REQUIRE(ex.samples.size() == 151u);
        for (std::size_t i = 0; i < 150; ++i) CHECK(ex.samples[i].value == 0.0);
        CHECK(ex.samples[150].name == "vitals_collector_dropped");
        CHECK(ex.samples[150].value == 150.0);
    }
    SUBCASE("a sample repeating a label name is dropped") {
        reg.add_collector([](vitals::collector_output& o) {
            if (o.family("lbl", "Labels.", vitals::metric_type::gauge)) {
                o.sample(1, {{"k", "a"}, {"k", "b"}});
                o.sample(2, {{"k", "a"}, {"j", "b"}, {"k", "c"}});
                o.sample(3, {{"k", "a"}, {"j", "b"}});
            }
        });
        const std::string out = vitals::to_text(reg);
        CHECK(out.rfind("# HELP lbl Labels.\n# TYPE lbl gauge\nlbl{k=\"a\",j=\"b\"} 3\n", 0) == 0);
        CHECK(contains(out, "\nvitals_collector_dropped 2\n"));
    }
}

TEST_CASE("registry: default_registry() is one object for the whole program") {
    vitals::registry& a = vitals::default_registry();
    vitals::registry& b = vitals::default_registry();
    CHECK(&a == &b);
    auto& c = a.counter("default_registry_test_events", "Events.");
    c.inc();
    CHECK(&b.counter("default_registry_test_events", "Events.") == &c);
    CHECK(contains(vitals::to_text(b), "default_registry_test_events_total 1\n"));
}

TEST_CASE("registry: families outlive nothing but the registry; many registries coexist") {
    vitals::registry r1, r2;
    auto& c1 = r1.counter("same", "Help.");
    auto& c2 = r2.counter("same", "Help.");
    CHECK(&c1 != &c2);
    c1.inc();
    CHECK(contains(vitals::to_text(r1), "same_total 1\n"));
    CHECK(contains(vitals::to_text(r2), "same_total 0\n"));
}

TEST_CASE("registry: with thousands of families, every sample name stays taken and a withdrawn "
          "kit's names are free again") {
    // The names in use live in a table that grows and rehashes as families are registered; a
    // failed kit's names are removed from it. Whatever the table's size, each name of each
    // family must stay taken by it alone.
    vitals::registry reg;
    constexpr int n = 3000;
    for (int i = 0; i < n; ++i) {
        const std::string s = std::to_string(i);
        REQUIRE(reg.try_counter("c" + s, "C.").ok());     // c<i>_total, c<i>, c<i>_created
        REQUIRE(reg.try_histogram("h" + s, "H.").ok());   // h<i> and its four sample names
        REQUIRE(reg.try_info("i" + s, "I.", {"v"}).ok()); // i<i>_info, i<i>
    }
    for (int i : {0, 1, 1499, n - 1}) {
        const std::string s = std::to_string(i);
        for (const std::string& taken :
             {"c" + s, "c" + s + "_created", "h" + s + "_bucket", "h" + s + "_sum",
              "h" + s + "_count", "h" + s + "_created", "i" + s}) {
            CAPTURE(taken);
            CHECK(reg.try_gauge(taken, "G.").error().code() == errc::name_collision);
        }
        // Registering again finds the family itself.
        CHECK(reg.try_counter("c" + s, "C.").ok());
        CHECK(reg.try_histogram("h" + s, "H.").ok());
    }
    CHECK(reg.try_gauge("c" + std::to_string(n), "Free.").ok());

    // A kit failing at its last family gives back the names of those it made before.
    reg.gauge("q_queue_processing_duration_seconds_count", "Takes the kit's histogram's count.");
    vitals::status error;
    vitals::kits::queue_metrics queue(reg, "q", {}, error);
    REQUIRE(error.code() == errc::name_collision);
    CHECK_FALSE(contains(vitals::to_text(reg), "q_queue_size"));
    CHECK(reg.try_gauge("q_queue_size", "Free again.").ok());
    CHECK(reg.try_gauge("q_queue_processed", "The withdrawn counter's base, free again.").ok());
    CHECK(reg.try_gauge("q_queue_errors_created", "Free again.").ok());
    CHECK(reg.try_counter("c0", "C.").ok());
    CHECK(reg.try_gauge("c0_created", "G.").error().code() == errc::name_collision);
    CHECK(reg.family_count() == 3 * static_cast<std::size_t>(n) + 6); // + overflow, c3000, 4 above
}
