// tests/unit/kits_cache.cpp - the cache kit: families and the scrape-time hit rate.
// SPDX-License-Identifier: MIT
#include <vitals/kits/cache.hpp>
#include <vitals/text_format.hpp>

#include "kits_support.hpp"

#include <doctest/doctest.h>

#include <memory> // unique_ptr
#include <string> // string

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
