// tests/unit/kits_cache.cpp - the cache kit: families and the scrape-time hit rate.
// SPDX-License-Identifier: MIT
#include <vitals/kits/cache.hpp>
#include <vitals/kits/queue.hpp>
#include <vitals/text_format.hpp>

#include "kits_support.hpp"

#include <doctest/doctest.h>

#include <cstdint> // uint64_t
#include <memory>  // unique_ptr
#include <string>  // string
#include <vector>  // vector

TEST_CASE("kits/cache: families, types and values (golden)") {
    vitals::registry reg;
    vitals::kits::cache_metrics cache(reg, "demo");
    cache.hit(3);
    cache.miss();
    cache.evicted(2);
    cache.set_size(42);
    kits_test::check_golden(vitals::to_text(reg), __FILE__, "kits_cache.txt");
}

TEST_CASE("kits/cache: hit rate with zero traffic is 0, not NaN") {
    vitals::registry reg;
    vitals::kits::cache_metrics cache(reg, "demo");
    CHECK(cache.hit_rate() == 0.0);
    const std::string text = vitals::to_text(reg);
    CHECK(text.find("demo_cache_hit_rate 0\n") != std::string::npos);
    CHECK(text.find("NaN") == std::string::npos);
}

TEST_CASE("kits/cache: hit rate follows the counters at every scrape") {
    vitals::registry reg;
    vitals::kits::cache_metrics cache(reg, "c");
    cache.miss();
    CHECK(kits_test::sample_value(vitals::to_text(reg), "c_cache_hit_rate") == 0.0);
    cache.hit();
    CHECK(kits_test::sample_value(vitals::to_text(reg), "c_cache_hit_rate") == 0.5);
    cache.hits().inc(2); // through the counter handle: still consistent
    CHECK(cache.hit_rate() == 0.75);
    CHECK(kits_test::sample_value(vitals::to_text(reg), "c_cache_hit_rate") == 0.75);
    cache.miss(3);
    CHECK(kits_test::sample_value(vitals::to_text(reg), "c_cache_hit_rate") == 3.0 / 7.0);
    CHECK(kits_test::sample_value(vitals::to_text(reg), "c_cache_hits_total") == 3.0);
    CHECK(kits_test::sample_value(vitals::to_text(reg), "c_cache_misses_total") == 4.0);
}

TEST_CASE("kits/cache: the registry keeps scraping after the kit object is gone") {
    vitals::registry reg;
    {
        auto cache = std::make_unique<vitals::kits::cache_metrics>(reg, "gone");
        cache->hit();
        cache->miss(3);
    }
    const std::string text = vitals::to_text(reg);
    CHECK(kits_test::sample_value(text, "gone_cache_hit_rate") == 0.25);
}

TEST_CASE("kits/cache: empty namespace and a second namespace side by side") {
    vitals::registry reg;
    vitals::kits::cache_metrics a(reg, "");
    vitals::kits::cache_metrics b(reg, "other");
    a.hit();
    b.miss();
    const std::string text = vitals::to_text(reg);
    CHECK(kits_test::sample_value(text, "cache_hit_rate") == 1.0);
    CHECK(kits_test::sample_value(text, "other_cache_hit_rate") == 0.0);
    CHECK(text.find("# TYPE cache_size gauge\n") != std::string::npos);
}

TEST_CASE("kits/cache: two caches share one namespace through const labels") {
    vitals::registry reg;
    vitals::kits::cache_metrics users(reg, "app", {{{"cache", "users"}}});
    vitals::kits::cache_metrics sessions(reg, "app", {{{"cache", "sessions"}}});
    users.hit(3);
    users.miss();
    sessions.miss(4);
    sessions.eviction(2);
    sessions.set_size(7);
    const std::string text = vitals::to_text(reg);
    CHECK(kits_test::sample_value(text, "app_cache_hits_total", {"cache", "users"}) == 3.0);
    CHECK(kits_test::sample_value(text, "app_cache_hits_total", {"cache", "sessions"}) == 0.0);
    CHECK(kits_test::sample_value(text, "app_cache_misses_total", {"cache", "sessions"}) == 4.0);
    CHECK(kits_test::sample_value(text, "app_cache_evictions_total", {"cache", "sessions"}) == 2.0);
    CHECK(kits_test::sample_value(text, "app_cache_size", {"cache", "sessions"}) == 7.0);
    CHECK(kits_test::sample_value(text, "app_cache_hit_rate", {"cache", "users"}) == 0.75);
    CHECK(kits_test::sample_value(text, "app_cache_hit_rate", {"cache", "sessions"}) == 0.0);
    CHECK(users.hit_rate() == 0.75);
    // One family each, both caches in it (sorted by label value): a valid exposition.
    CHECK(text.find("# TYPE app_cache_hit_rate gauge\n"
                    "app_cache_hit_rate{cache=\"sessions\"} 0\n"
                    "app_cache_hit_rate{cache=\"users\"} 0.75\n") != std::string::npos);
    CHECK(text.find("# TYPE app_cache_hit_rate") == text.rfind("# TYPE app_cache_hit_rate"));
    CHECK(text.find("# TYPE app_cache_hits_total") == text.rfind("# TYPE app_cache_hits_total"));
    // One collector writes the namespace's hit rates: nothing written twice, nothing dropped.
    CHECK(text.find("vitals_collector_dropped") == std::string::npos);
}

TEST_CASE("kits/cache: a second kit with the same namespace and labels is an error") {
    vitals::registry reg;
    vitals::kits::cache_metrics first(reg, "app");
    first.hit();
#if VITALS_HAS_EXCEPTIONS()
    try {
        vitals::kits::cache_metrics second(reg, "app");
        FAIL("a second cache kit on namespace 'app' was accepted");
    } catch (const vitals::error& e) {
        CHECK(e.code() == vitals::errc::conflicting_registration);
        CHECK(std::string(e.what()).find("cache kit \"app\"") != std::string::npos);
    }
#endif
    vitals::status st;
    vitals::kits::cache_metrics second(reg, "app", {}, st);
    CHECK(st.code() == vitals::errc::conflicting_registration);
    CHECK(st.message().find("{\"cache\", \"users\"}") != std::string::npos);
    second.hit(100); // recorded nowhere the registry shows
    second.miss(100);
    const std::string text = vitals::to_text(reg);
    CHECK(kits_test::sample_value(text, "app_cache_hits_total") == 1.0);
    CHECK(kits_test::sample_value(text, "app_cache_misses_total") == 0.0);
    CHECK(kits_test::sample_value(text, "app_cache_hit_rate") == 1.0);
    CHECK(text.find("# TYPE app_cache_hit_rate") == text.rfind("# TYPE app_cache_hit_rate"));

    // Same labels twice is a conflict; other label names on the same namespace too.
    vitals::kits::cache_metrics users(reg, "svc", {{{"cache", "users"}}});
    vitals::kits::cache_metrics users_again(reg, "svc", {{{"cache", "users"}}}, st);
    CHECK(st.code() == vitals::errc::conflicting_registration);
    vitals::kits::cache_metrics other_names(reg, "svc", {{{"pool", "users"}}}, st);
    CHECK(st.code() == vitals::errc::conflicting_registration);
    vitals::kits::cache_metrics unlabelled(reg, "svc", {}, st);
    CHECK(st.code() == vitals::errc::conflicting_registration);
    vitals::kits::cache_metrics bad(reg, "svc", {{{"bad-name", "x"}}}, st);
    CHECK(st.code() == vitals::errc::invalid_label_name);
    vitals::kits::cache_metrics ok(reg, "svc", {{{"cache", "sessions"}}}, st);
    CHECK(st.ok());
}

TEST_CASE("kits/cache: a kit created after another is gone continues its series") {
    vitals::registry reg;
    {
        vitals::kits::cache_metrics users(reg, "app", {{{"cache", "users"}}});
        users.hit(2);
    }
    vitals::kits::cache_metrics users(reg, "app", {{{"cache", "users"}}});
    users.miss(2);
    const std::string text = vitals::to_text(reg);
    CHECK(kits_test::sample_value(text, "app_cache_hits_total", {"cache", "users"}) == 2.0);
    CHECK(kits_test::sample_value(text, "app_cache_hit_rate", {"cache", "users"}) == 0.5);
    CHECK(text.find("# TYPE app_cache_hit_rate") == text.rfind("# TYPE app_cache_hit_rate"));
}

TEST_CASE("kits/cache: the hit rate keeps to the series bound, as the counters do") {
    // A cache per user, say: past max_series the kits record into the overflow series, and
    // the hit rate shows one __overflow__ sample for them, not one per label set.
    vitals::registry reg;
    vitals::family_options options;
    options.max_series = 3;
    for (int i = 0; i < 50; ++i) {
        options.const_labels = {{"cache", "c" + std::to_string(i)}};
        vitals::kits::cache_metrics kit(reg, "app", options);
        kit.hit();
        if (i % 2) kit.miss();
    }
    // Past the bound two kits with the same labels share the overflow series: no conflict.
    options.const_labels = {{"cache", "c40"}};
    vitals::kits::cache_metrics late(reg, "app", options);
    vitals::kits::cache_metrics late_again(reg, "app", options);
    late.hit(3);
    const std::string text = vitals::to_text(reg);
    std::size_t samples = 0;
    for (std::size_t p = text.find("\napp_cache_hit_rate{"); p != std::string::npos;
         p = text.find("\napp_cache_hit_rate{", p + 1))
        ++samples;
    CHECK(samples == 4); // c0, c1, c2 and __overflow__, like app_cache_hits_total
    CHECK(kits_test::sample_value(text, "app_cache_hits_total", {"cache", "__overflow__"}) == 50.0);
    CHECK(kits_test::sample_value(text, "app_cache_hit_rate", {"cache", "c1"}) == 0.5);
    CHECK(kits_test::sample_value(text, "app_cache_hit_rate", {"cache", "__overflow__"}) ==
          50.0 / 74.0);
    CHECK(kits_test::sample_value(text, "app_cache_hit_rate", {"cache", "c40"}) == -1.0);
}

TEST_CASE("kits/cache: hit rates list every cache in label order, with all its labels") {
    // Caches made out of order, released and made again; the last ones with more const
    // labels than the collector views on its stack.
    vitals::registry reg;
    auto labels = [](const char* cache, const char* extra) {
        vitals::family_options options;
        options.const_labels = {{"cache", cache}, {"tier", extra}};
        return options;
    };
    vitals::kits::cache_metrics c(reg, "app", labels("c", "x"));
    vitals::kits::cache_metrics a(reg, "app", labels("a", "x"));
    {
        vitals::kits::cache_metrics gone(reg, "app", labels("b", "y"));
        gone.miss();
    }
    vitals::kits::cache_metrics b(reg, "app", labels("b", "y")); // takes the released one over
    vitals::kits::cache_metrics a2(reg, "app", labels("a", "w"));
    a.hit();
    b.hit(3);
    c.miss();
    a2.hit();
    a2.miss(3);
    std::string text = vitals::to_text(reg);
    CHECK(text.find("# TYPE app_cache_hit_rate gauge\n"
                    "app_cache_hit_rate{cache=\"a\",tier=\"w\"} 0.25\n"
                    "app_cache_hit_rate{cache=\"a\",tier=\"x\"} 1\n"
                    "app_cache_hit_rate{cache=\"b\",tier=\"y\"} 0.75\n"
                    "app_cache_hit_rate{cache=\"c\",tier=\"x\"} 0\n") != std::string::npos);

    vitals::registry wide_reg;
    std::vector<std::unique_ptr<vitals::kits::cache_metrics>> wide;
    for (const char* which : {"second", "first"}) {
        vitals::family_options options;
        for (char k = 'a'; k <= 'k'; ++k) // 11 labels
            options.const_labels.push_back({std::string("l") + k, std::string(which) + k});
        wide.push_back(std::make_unique<vitals::kits::cache_metrics>(wide_reg, "w", options));
    }
    wide[0]->hit();
    wide[1]->miss();
    text = vitals::to_text(wide_reg);
    std::string first = "w_cache_hit_rate{", second = first;
    for (char k = 'a'; k <= 'k'; ++k) {
        first += std::string(k == 'a' ? "" : ",") + 'l' + k + "=\"first" + k + '"';
        second += std::string(k == 'a' ? "" : ",") + 'l' + k + "=\"second" + k + '"';
    }
    CHECK(text.find(first + "} 0\n" + second + "} 1\n") != std::string::npos);
}

TEST_CASE("kits/cache: eviction() and its earlier name evicted() count the same series") {
    vitals::registry reg;
    vitals::kits::cache_metrics cache(reg, "app");
    cache.eviction();
    cache.evicted(2);
    CHECK(cache.evictions().value() == 3.0);
    CHECK(kits_test::sample_value(vitals::to_text(reg), "app_cache_evictions_total") == 3.0);
}

TEST_CASE("kits/cache: registries made and destroyed in turn each get their own hit rate") {
    for (int i = 0; i < 20; ++i) {
        auto reg = std::make_unique<vitals::registry>();
        vitals::kits::cache_metrics cache(*reg, "app");
        cache.hit(static_cast<std::uint64_t>(i));
        cache.miss();
        const std::string text = vitals::to_text(*reg);
        CHECK(kits_test::sample_value(text, "app_cache_hit_rate") == i / (i + 1.0));
    }
}

// README lets kits be destroyed after their registry. A later registry's families may then
// take the addresses of the first one's: its kits must not be taken for the kept kits (a
// false "already used by another kit object", and no hit rate for a group taken as old).
TEST_CASE("kits/cache: kits kept past their registry do not haunt later registries") {
    std::vector<std::unique_ptr<vitals::kits::cache_metrics>> caches;
    std::vector<std::unique_ptr<vitals::kits::queue_metrics>> queues;
    for (int round = 0; round < 50; ++round) {
        CAPTURE(round);
        auto reg = std::make_unique<vitals::registry>();
        vitals::status cache_status, queue_status;
        auto cache = std::make_unique<vitals::kits::cache_metrics>(
            *reg, "app", vitals::family_options{{{"cache", "users"}}}, cache_status);
        auto queue = std::make_unique<vitals::kits::queue_metrics>(
            *reg, "app", vitals::family_options{{{"queue", "jobs"}}}, queue_status);
        CHECK(cache_status.ok());
        CHECK(queue_status.ok());
        cache->hit();
        const std::string text = vitals::to_text(*reg);
        CHECK(kits_test::sample_value(text, "app_cache_hit_rate", {"cache", "users"}) == 1.0);
        reg.reset(); // the registry first, then (much later) its kits
        caches.push_back(std::move(cache));
        queues.push_back(std::move(queue));
    }
}

// The hit rate is written by a collector, not registered, but its name is the kit's all the
// same: a family of the program's own under that name is refused whichever comes first,
// instead of replacing the kit's in every scrape (counted only by vitals_collector_dropped).
TEST_CASE("kits/cache: the hit rate's name is the kit's, before and after it is made") {
    SUBCASE("the program's family first: the kit fails and registers nothing") {
        vitals::registry reg;
        reg.gauge("app_cache_hit_rate", "Mine.").set(0.99);
        vitals::status st;
        vitals::kits::cache_metrics kit(reg, "app", {}, st);
        CHECK(st.code() == vitals::errc::name_collision);
        CHECK(st.message().find("app_cache_hit_rate") != std::string::npos);
        kit.hit(); // recorded nowhere the registry shows
        const std::string text = vitals::to_text(reg);
        CHECK(text.find("app_cache_hits_total") == std::string::npos);
        CHECK(text.find("app_cache_size") == std::string::npos);
        CHECK(kits_test::sample_value(text, "app_cache_hit_rate") == 0.99);
        CHECK(text.find("vitals_collector_dropped") == std::string::npos);
        // Under another namespace the kit is made, and reports its own hit rate.
        vitals::kits::cache_metrics other(reg, "other", {}, st);
        CHECK(st.ok());
        other.hit();
        CHECK(kits_test::sample_value(vitals::to_text(reg), "other_cache_hit_rate") == 1.0);
    }
    SUBCASE("the kit first: the program's registration is refused, naming the kit") {
        vitals::registry reg;
        vitals::kits::cache_metrics kit(reg, "app");
        kit.hit();
        kit.miss();
        kit.miss();
        kit.miss();
        const auto mine = reg.try_gauge("app_cache_hit_rate", "Mine.");
        REQUIRE_FALSE(mine.ok());
        CHECK(mine.error().code() == vitals::errc::name_collision);
        CHECK(mine.error().message().find("cache kits of namespace 'app'") != std::string::npos);
        CHECK(reg.try_counter("app_cache_hit_rate", "Mine.").error().code() ==
              vitals::errc::name_collision);
        const std::string text = vitals::to_text(reg);
        CHECK(kits_test::sample_value(text, "app_cache_hit_rate") == 0.25);
        CHECK(text.find("vitals_collector_dropped") == std::string::npos);
        // Another cache of the same namespace (other const label values) shares the name.
        vitals::status st;
        vitals::kits::cache_metrics second(reg, "svc", {{{"cache", "a"}}}, st);
        CHECK(st.ok());
        vitals::kits::cache_metrics third(reg, "svc", {{{"cache", "b"}}}, st);
        CHECK(st.ok());
    }
}
