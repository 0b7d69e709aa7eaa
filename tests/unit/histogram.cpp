// tests/unit/histogram.cpp - vitals::histogram: buckets, bounds validation, helpers, timer.
// SPDX-License-Identifier: MIT
#include <vitals/histogram.hpp>
#include <vitals/vitals.hpp>

#include <doctest/doctest.h>

#include <atomic>      // atomic
#include <chrono>      // milliseconds
#include <cmath>       // isinf, isnan
#include <limits>      // numeric_limits
#include <string>      // string
#include <thread>      // sleep_for, thread
#include <type_traits> // is_constructible
#include <vector>      // vector

namespace {
const double inf_v = std::numeric_limits<double>::infinity();
const double nan_v = std::numeric_limits<double>::quiet_NaN();
} // namespace

TEST_CASE("histogram: default buckets are 10 ms to 10 s") {
    const std::vector<double> expected = {0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10};
    CHECK(vitals::default_buckets() == expected);
    vitals::histogram h;
    CHECK(h.bounds() == expected);
    CHECK(h.count() == 0u);
    CHECK(h.sum() == 0.0);
}

TEST_CASE("histogram: observations land in the first bucket whose bound is >= the value") {
    vitals::histogram h{1.0, 2.0, 5.0};
    h.observe(0.5);  // bucket 0
    h.observe(1.0);  // bucket 0: bounds are inclusive (le)
    h.observe(1.5);  // bucket 1
    h.observe(5.0);  // bucket 2
    h.observe(5.01); // +Inf bucket
    h.observe(-3.0); // bucket 0
    CHECK(h.bucket_count(0) == 3u);
    CHECK(h.bucket_count(1) == 1u);
    CHECK(h.bucket_count(2) == 1u);
    CHECK(h.bucket_count(3) == 1u);
    CHECK(h.count() == 6u);
    CHECK(h.sum() == doctest::Approx(0.5 + 1.0 + 1.5 + 5.0 + 5.01 - 3.0));

    SUBCASE("reset clears buckets and sum") {
        h.reset();
        CHECK(h.count() == 0u);
        CHECK(h.sum() == 0.0);
        for (std::size_t i = 0; i <= h.bounds().size(); ++i) CHECK(h.bucket_count(i) == 0u);
    }
}

TEST_CASE("histogram: long bound lists (binary search path) pick the same buckets") {
    const std::vector<double> bounds = vitals::linear_buckets(1.0, 1.0, 40); // 1..40
    vitals::histogram h(bounds);
    for (int v = 0; v <= 41; ++v) h.observe(v);
    for (int v = 0; v <= 41; ++v) h.observe(v + 0.5);
    // Bucket i >= 1 (bound i+1) holds i+0.5 and i+1; bucket 0 (bound 1) holds 0, 0.5 and 1.
    CHECK(h.bucket_count(0) == 3u);
    for (std::size_t i = 1; i < 40; ++i) CHECK(h.bucket_count(i) == 2u);
    CHECK(h.bucket_count(40) == 3u); // 40.5, 41, 41.5
    CHECK(h.count() == 84u);
}

TEST_CASE("histogram: special values") {
    vitals::histogram h{1.0};
    SUBCASE("NaN is ignored entirely") {
        h.observe(nan_v);
        h.observe(-nan_v);
        CHECK(h.count() == 0u);
        CHECK(h.sum() == 0.0);
        h.observe(0.5);
        h.observe(nan_v);
        CHECK(h.count() == 1u);
        CHECK(h.sum() == 0.5);
    }
    SUBCASE("+Inf and -Inf are refused and counted: the sum stays finite") {
        const std::uint64_t rejected = vitals::rejected_writes();
        h.observe(0.5);
        h.observe(inf_v);
        h.observe(-inf_v);
        h.observe(-inf_v, vitals::exemplar{"trace_id", "a"});
        CHECK(h.count() == 1u);
        CHECK(h.bucket_count(1) == 0u);
        CHECK(h.sum() == 0.5);
        CHECK(vitals::rejected_writes() - rejected == 3u);
        // The largest finite values are still observed.
        h.observe(std::numeric_limits<double>::max());
        h.observe(std::numeric_limits<double>::lowest());
        CHECK(h.count() == 3u);
        CHECK(h.bucket_count(0) == 2u);
        CHECK(h.bucket_count(1) == 1u);
    }
}

TEST_CASE("histogram: durations are observed in seconds") {
    vitals::histogram h{0.001, 1.0};
    h.observe(std::chrono::milliseconds(250));
    h.observe(std::chrono::microseconds(500));
    CHECK(h.sum() == doctest::Approx(0.2505));
    CHECK(h.bucket_count(0) == 1u);
    CHECK(h.bucket_count(1) == 1u);
}

TEST_CASE("histogram: timer") {
    vitals::histogram h{0.001, 10.0};
    SUBCASE("observes on destruction") {
        const auto before = std::chrono::steady_clock::now();
        {
            auto t = h.time();
            std::this_thread::sleep_for(std::chrono::milliseconds(2));
        }
        const std::chrono::duration<double> around = std::chrono::steady_clock::now() - before;
        CHECK(h.count() == 1u);
        CHECK(h.sum() >= 0.002);
        // Seconds, not another unit: no more than the time measured around the timer.
        CHECK(h.sum() <= around.count());
        CHECK(h.bucket_count(1) == 1u);
    }
    SUBCASE("stop observes once and returns the seconds") {
        auto t = h.time();
        const double secs = t.stop();
        CHECK(secs >= 0.0);
        CHECK(t.stop() == 0.0); // disarmed
        CHECK(h.count() == 1u);
        CHECK(h.sum() == secs);
    }
    SUBCASE("cancel observes nothing") {
        {
            auto t = h.time();
            t.cancel();
        }
        CHECK(h.count() == 0u);
    }
    SUBCASE("a moved-from timer does not observe") {
        {
            vitals::histogram::timer a(h);
            vitals::histogram::timer b(std::move(a));
            CHECK(a.stop() == 0.0);
        }
        CHECK(h.count() == 1u);
    }
}

TEST_CASE("histogram: bucket helpers") {
    SUBCASE("linear") {
        CHECK(vitals::linear_buckets(0.0, 0.5, 4) == std::vector<double>{0.0, 0.5, 1.0, 1.5});
        CHECK(vitals::linear_buckets(-1.0, 1.0, 3) == std::vector<double>{-1.0, 0.0, 1.0});
        CHECK(vitals::validate_buckets(vitals::linear_buckets(1, 2, 5)).ok());
    }
    SUBCASE("exponential") {
        CHECK(vitals::exponential_buckets(1.0, 2.0, 4) == std::vector<double>{1, 2, 4, 8});
        CHECK(vitals::exponential_buckets(0.001, 10.0, 3).size() == 3u);
        CHECK(vitals::validate_buckets(vitals::exponential_buckets(0.001, 10.0, 7)).ok());
    }
    SUBCASE("bad parameters give bounds that validation rejects") {
        using vitals::errc;
        CHECK(vitals::validate_buckets(vitals::linear_buckets(0, 1, 0)).code() ==
              errc::invalid_buckets);
        CHECK(vitals::validate_buckets(vitals::linear_buckets(0, 0, 3)).code() ==
              errc::invalid_buckets);
        CHECK(vitals::validate_buckets(vitals::linear_buckets(0, -1, 3)).code() ==
              errc::invalid_buckets);
        CHECK(vitals::validate_buckets(vitals::linear_buckets(0, inf_v, 3)).code() ==
              errc::invalid_buckets);
        CHECK(vitals::validate_buckets(vitals::linear_buckets(nan_v, 1, 3)).code() ==
              errc::invalid_buckets);
        CHECK(vitals::validate_buckets(vitals::exponential_buckets(1, 2, 0)).code() ==
              errc::invalid_buckets);
        CHECK(vitals::validate_buckets(vitals::exponential_buckets(1, 1, 3)).code() ==
              errc::invalid_buckets);
        CHECK(vitals::validate_buckets(vitals::exponential_buckets(1, 0.5, 3)).code() ==
              errc::invalid_buckets);
        CHECK(vitals::validate_buckets(vitals::exponential_buckets(0, 2, 3)).code() ==
              errc::invalid_buckets);
        CHECK(vitals::validate_buckets(vitals::exponential_buckets(-1, 2, 3)).code() ==
              errc::invalid_buckets);
        // Grows past the largest double: the last bound is +Inf, which is not allowed.
        CHECK(vitals::validate_buckets(vitals::exponential_buckets(1e300, 1e10, 3)).code() ==
              errc::invalid_buckets);
    }
}

TEST_CASE("histogram: bounds validation") {
    using vitals::errc;
    CHECK(vitals::validate_buckets({0.5}).ok());
    CHECK(vitals::validate_buckets({-2, -1, 0, 1e300}).ok());

    const vitals::status empty = vitals::validate_buckets({});
    CHECK(empty.code() == errc::invalid_buckets);
    CHECK_FALSE(empty.message().empty());
    CHECK(vitals::validate_buckets({1, inf_v}).code() == errc::invalid_buckets);
    // A last bound of +Inf (what some clients take or require) is told it is implied.
    CHECK(vitals::validate_buckets({1, inf_v}).message() ==
          "histogram bucket bound 2 of 2 is not finite (the +Inf bucket is implicit: leave +Inf "
          "out)");
    // Counted from 1, with the count: "#1" read as the first bound, whose value was fine.
    CHECK(vitals::validate_buckets({0.5, 0.1, 1}).message() ==
          "histogram bucket bounds must be strictly increasing (bound 2 of 3 is not above the one "
          "before it)");
    CHECK(vitals::validate_buckets({-inf_v, 1}).code() == errc::invalid_buckets);
    CHECK(vitals::validate_buckets({1, nan_v, 3}).code() == errc::invalid_buckets);
    CHECK(vitals::validate_buckets({1, 1}).code() == errc::invalid_buckets);
    CHECK(vitals::validate_buckets({2, 1}).code() == errc::invalid_buckets);
    CHECK(vitals::validate_buckets({1, 2, 3, 2.5}).code() == errc::invalid_buckets);
    CHECK(vitals::validate_buckets({1, 2, 3, 2.5}).message().find("bound 4 of 4") !=
          std::string::npos);
}

TEST_CASE("histogram: a NaN or -Inf bound is named, without the hint meant for +Inf") {
    // A NaN bound is usually a computation gone wrong; telling the program to leave out +Inf
    // would send its author looking for a +Inf that is not there.
    CHECK(vitals::validate_buckets({1, nan_v, 3}).message() ==
          "histogram bucket bound 2 of 3 is NaN: a bound must be a finite number");
    CHECK(vitals::validate_buckets({-nan_v}).message() ==
          "histogram bucket bound 1 of 1 is NaN: a bound must be a finite number");
    CHECK(vitals::validate_buckets({-inf_v, 1}).message() ==
          "histogram bucket bound 1 of 2 is -Inf: a bound must be a finite number");
}

#if VITALS_HAS_EXCEPTIONS() // without exceptions: tests/noexcept/error_policy.cpp
TEST_CASE("histogram: constructing with invalid bounds throws vitals::error") {
    using vitals::errc;
    auto code_of = [](std::vector<double> bounds) {
        try {
            vitals::histogram h(std::move(bounds));
        } catch (const vitals::error& e) {
            return e.code();
        }
        return errc::ok;
    };
    CHECK(code_of({}) == errc::invalid_buckets);
    CHECK(code_of({3, 2}) == errc::invalid_buckets);
    CHECK(code_of({1, nan_v}) == errc::invalid_buckets);
    CHECK(code_of({1, 2}) == errc::ok);
    CHECK_THROWS_AS(vitals::histogram({0.5, 0.5}), vitals::error);
}
#endif

TEST_CASE("histogram: registry rejects invalid bounds with both forms") {
    vitals::registry reg;
    SUBCASE("unlabelled") {
        auto r = reg.try_histogram("h", "Help.", std::vector<double>{});
        REQUIRE_FALSE(r.ok());
        CHECK(r.error().code() == vitals::errc::invalid_buckets);
        CHECK_THROWS_AS(reg.histogram("h", "Help.", std::vector<double>{2, 1}), vitals::error);
    }
    SUBCASE("labelled") {
        auto r = reg.try_histogram("h", "Help.", {"a"}, {1, inf_v});
        REQUIRE_FALSE(r.ok());
        CHECK(r.error().code() == vitals::errc::invalid_buckets);
        CHECK_THROWS_AS(reg.histogram("h", "Help.", {"a"}, vitals::linear_buckets(1, -1, 3)),
                        vitals::error);
    }
    // Nothing was registered by the failed attempts.
    CHECK(reg.try_histogram("h", "Help.", {"a"}).ok());
}

TEST_CASE("histogram: registry.histogram(name, help, {}) is a family without labels") {
    // `{}` names no labels, as for counter() and gauge(); it used to be ambiguous between
    // the braced label names and the braced bounds forms, and no bounds are never valid.
    vitals::registry reg;
    vitals::histogram_family& f = reg.histogram("h_seconds", "Help.", {});
    CHECK(f.label_names().empty());
    CHECK(f.bounds() == vitals::default_buckets());
    f.labels().observe(0.2);
    auto again = reg.try_histogram("h_seconds", "Help.", {});
    REQUIRE(again.ok());
    CHECK(&*again == &f);
    CHECK(&reg.histogram("h_seconds", "Help.", {}, vitals::default_buckets()) == &f);
    // The braced bounds and label names forms keep their meaning.
    vitals::histogram& one = reg.histogram("one", "Help.", {0.5});
    vitals::histogram& ints = reg.histogram("ints", "Help.", {1, 2, 5});
    vitals::histogram_family& labelled = reg.histogram("labelled", "Help.", {"a"});
    CHECK(one.bounds() == std::vector<double>{0.5});
    CHECK(ints.bounds() == std::vector<double>{1, 2, 5});
    CHECK(labelled.label_names() == std::vector<std::string>{"a"});
    auto bad = reg.try_histogram("bad", "Help.", {2.0, 1.0});
    REQUIRE_FALSE(bad.ok());
    CHECK(bad.error().code() == vitals::errc::invalid_buckets);
    CHECK(vitals::to_text(reg).find("h_seconds_bucket{le=\"0.25\"} 1\n") != std::string::npos);
}

TEST_CASE("histogram: labels and options without bounds take default_buckets()") {
    // As counter() and gauge() take (name, help, labels, options): without this form a
    // family with a unit or const labels had to spell out default_buckets().
    vitals::registry reg;
    vitals::family_options opts{{{"region", "eu"}}};
    opts.unit = "seconds";
    vitals::histogram_family& braced = reg.histogram("braced_seconds", "Help.", {"m"}, opts);
    CHECK(braced.bounds() == vitals::default_buckets());
    CHECK(braced.label_names() == std::vector<std::string>{"m"});
    CHECK(braced.options().unit == "seconds");
    REQUIRE(braced.options().const_labels.size() == 1u);
    CHECK(braced.options().const_labels[0].second == "eu");
    const std::vector<std::string> names{"m", "code"};
    vitals::histogram_family& listed =
        reg.histogram("listed", "Help.", names, vitals::family_options{{}, 7});
    CHECK(listed.bounds() == vitals::default_buckets());
    CHECK(listed.options().max_series == 7u);
    // Fetching again with the same definition finds the family, in the try_ forms too.
    CHECK(&reg.histogram("braced_seconds", "Help.", {"m"}, opts) == &braced);
    auto again = reg.try_histogram("listed", "Help.", names, vitals::family_options{{}, 7});
    REQUIRE(again.ok());
    CHECK(&*again == &listed);
    auto braced_again = reg.try_histogram("braced_seconds", "Help.", {"m"}, opts);
    REQUIRE(braced_again.ok());
    CHECK(&*braced_again == &braced);
    // Braced bounds after braced label names are still bounds.
    CHECK(reg.histogram("ints", "Help.", {"m"}, {1, 2}).bounds() == std::vector<double>{1, 2});
    CHECK(reg.histogram("doubles", "Help.", {"m"}, {0.5}).bounds() == std::vector<double>{0.5});
    braced.labels("GET").observe(0.2);
    CHECK(vitals::to_openmetrics(reg).find("# UNIT braced_seconds seconds\n") != std::string::npos);
}

TEST_CASE("histogram: exposition") {
    vitals::registry reg;
    auto& h = reg.histogram("latency_seconds", "Latency.", {0.1, 0.5, 2.5});
    h.observe(0.05);
    h.observe(0.1);
    h.observe(0.3);
    h.observe(7);
    CHECK(vitals::to_text(reg) == "# HELP latency_seconds Latency.\n"
                                  "# TYPE latency_seconds histogram\n"
                                  "latency_seconds_bucket{le=\"0.1\"} 2\n"
                                  "latency_seconds_bucket{le=\"0.5\"} 3\n"
                                  "latency_seconds_bucket{le=\"2.5\"} 3\n"
                                  "latency_seconds_bucket{le=\"+Inf\"} 4\n"
                                  "latency_seconds_sum 7.45\n"
                                  "latency_seconds_count 4\n");

    SUBCASE("NaN observations change nothing in the output") {
        const std::string before = vitals::to_text(reg);
        h.observe(nan_v);
        CHECK(vitals::to_text(reg) == before);
    }
}

TEST_CASE("histogram: the family's borrowed-bounds constructor is not public") {
    // Internal: it reads bounds it does not own and does not validate them.
    static_assert(!std::is_constructible<vitals::histogram, vitals::detail::borrowed_bounds_tag,
                                         const std::vector<double>&>::value,
                  "histogram(borrowed_bounds_tag, bounds) must not be callable by users");
    static_assert(std::is_constructible<vitals::histogram, std::vector<double>>::value, "");
    vitals::registry reg;
    auto& fam = reg.histogram("lat_seconds", "Latency.", {"op"}, std::vector<double>{1.0, 2.0});
    fam.labels("read").observe(1.5);
    CHECK(fam.labels("read").bounds() == std::vector<double>{1.0, 2.0});
    CHECK(fam.labels("read").bucket_count(1) == 1u);
}

TEST_CASE("histogram: observations from more threads than cells are all counted") {
    // Threads beyond VITALS_COUNTER_STRIPES share one set of cells atomically; the others own
    // theirs. Count, buckets and sum must all add up either way.
    vitals::histogram h({1.0, 2.0, 4.0});
    constexpr int threads_n = 12;
    constexpr int per_thread = 5000;
    std::vector<std::thread> threads;
    for (int t = 0; t < threads_n; ++t)
        threads.emplace_back([&h] {
            for (int i = 0; i < per_thread; ++i) {
                h.observe(0.5);
                h.observe(3.0);
                h.observe(8.0);
            }
        });
    for (auto& t : threads) t.join();
    const std::uint64_t n = std::uint64_t{threads_n} * per_thread;
    CHECK(h.bucket_count(0) == n);
    CHECK(h.bucket_count(1) == 0u);
    CHECK(h.bucket_count(2) == n);
    CHECK(h.bucket_count(3) == n);
    CHECK(h.count() == 3 * n);
    CHECK(h.sum() ==
          11.5 * static_cast<double>(n)); // exact: every partial sum is a multiple of 0.5
    h.reset();
    CHECK(h.count() == 0u);
    CHECK(h.sum() == 0.0);
    h.observe(2.0);
    CHECK(h.bucket_count(1) == 1u);
}

TEST_CASE("histogram: every bound count picks the first bucket whose bound is >= the value") {
    // Up to 16 bounds the bucket is found by counting the bounds below the value (two per
    // packed comparison on x86-64, padded to an even count; four sums at a time elsewhere,
    // then the rest), beyond by a binary search: check both, every remainder, the infinities,
    // and a family's series, which share the family's bounds.
    vitals::registry reg;
    for (std::size_t n = 1; n <= 24; ++n) {
        std::vector<double> bounds;
        for (std::size_t i = 0; i < n; ++i) bounds.push_back(static_cast<double>(i + 1));
        vitals::histogram h(bounds);
        auto& series =
            reg.histogram("bounds_" + std::to_string(n), "Per bound count.", {"k"}, bounds)
                .labels("a");
        std::vector<double> values{std::numeric_limits<double>::lowest(),
                                   std::numeric_limits<double>::max(),
                                   std::numeric_limits<double>::max() / 2};
        for (std::size_t k = 0; k <= 2 * n + 2; ++k)
            values.push_back(static_cast<double>(k) / 2.0); // 0, 0.5, 1, ..., n + 1
        for (const double v : values) {
            std::size_t expected = 0;
            while (expected < n && bounds[expected] < v) ++expected;
            for (vitals::histogram* target : {&h, &series}) {
                const std::uint64_t before = target->bucket_count(expected);
                target->observe(v);
                CHECK_MESSAGE(target->bucket_count(expected) == before + 1,
                              "n=" << n << " v=" << v);
            }
        }
        CHECK(h.count() == values.size());
        CHECK(series.count() == values.size());
        CHECK(h.bucket_count(n) == 4); // the largest double, its half, n + 0.5 and n + 1
    }
}

TEST_CASE("histogram: threads beyond the thread slots and the slots' owners observe at once") {
    // With more threads observing at once than there are thread slots, the extra ones add to
    // the shared cells atomically while each owner stores into its own cells with a plain load
    // and store: neither may lose the other's observations. The main thread takes part, since
    // it may own a slot from an earlier test.
    vitals::histogram h{1.0, 2.0};
    const unsigned n = vitals::detail::slot_count + 4;
    constexpr int per_thread = 200000;
    std::atomic<unsigned> ready{0};
    const auto observe = [&] {
        ready.fetch_add(1);
        while (ready.load() < n) std::this_thread::yield();
        for (int i = 0; i < per_thread; ++i) {
            h.observe(0.5);
            h.observe(1.5);
        }
    };
    std::vector<std::thread> threads;
    for (unsigned t = 1; t < n; ++t) threads.emplace_back(observe);
    observe();
    for (auto& t : threads) t.join();
    const std::uint64_t total = std::uint64_t{n} * per_thread;
    CHECK(h.bucket_count(0) == total);
    CHECK(h.bucket_count(1) == total);
    CHECK(h.bucket_count(2) == 0u);
    CHECK(h.count() == 2 * total);
    CHECK(h.sum() == 2.0 * static_cast<double>(total)); // halves: every partial sum is exact
}

TEST_CASE("histogram: the sum takes every observation, whichever bucket and thread") {
    // Each thread slot keeps a sum of its own; sum() adds them all, and reset() zeroes each.
    // Every bound count's bucket search (scan, padded scan, binary search) feeds the same sum.
    for (const std::size_t n : {std::size_t{1}, std::size_t{2}, std::size_t{6}, std::size_t{7},
                                std::size_t{10}, std::size_t{40}}) {
        vitals::histogram h(vitals::linear_buckets(1.0, 1.0, n));
        double expected = 0.0;
        for (int round = 0; round < 3; ++round) {
            for (std::size_t k = 0; k <= 2 * n + 2; ++k) { // every bucket
                h.observe(static_cast<double>(k) / 2.0);
                expected += static_cast<double>(k) / 2.0; // halves: every partial sum is exact
            }
            std::thread other([&h] { h.observe(0.25); });
            other.join();
            expected += 0.25;
            CHECK_MESSAGE(h.sum() == expected, "n=" << n << " round " << round);
            CHECK(h.count() == static_cast<std::uint64_t>(round + 1) * (2 * n + 4));
        }
        h.reset();
        CHECK(h.sum() == 0.0);
        CHECK(h.count() == 0u);
        h.observe(1.5);
        h.observe(2.0);
        CHECK(h.sum() == 3.5);
    }
}
