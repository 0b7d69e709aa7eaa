// tests/regression/issue_2_histogram_braced_lists.cpp - registry::histogram() with two label
// names or one bound written as a braced list did not compile: {"method", "path"} could also
// build a std::vector<double> (iterator pair), and {0.5} a std::vector<std::string> of size 0.5;
// {0} was taken for label names.
// SPDX-License-Identifier: MIT
#include <vitals/vitals.hpp>

#include <doctest/doctest.h>

#include <string> // string

TEST_CASE("regression: histogram label names and bounds as braced lists") {
    vitals::registry reg;
    SUBCASE("two label names") {
        auto& fam = reg.histogram("http_request_duration_seconds", "Latency.", {"method", "path"});
        fam.labels("GET", "/").observe(0.2);
        CHECK(fam.label_names().size() == 2u);
        CHECK(fam.bounds() == vitals::default_buckets());
        auto r = reg.try_histogram("http_request_duration_seconds", "Latency.", {"method", "path"});
        REQUIRE(r.ok());
        CHECK(&r.value() == &fam);
        // With bounds and options too.
        auto& with_bounds = reg.histogram("sizes", "Sizes.", {"a", "b"}, {1, 2});
        CHECK(with_bounds.bounds().size() == 2u);
    }
    SUBCASE("one bound") {
        auto& h = reg.histogram("one_bound", "One bound.", {0.5});
        h.observe(0.25);
        h.observe(1);
        CHECK(h.bounds().size() == 1u);
        CHECK(h.bucket_count(0) == 1u);
        CHECK(h.bucket_count(1) == 1u);
        CHECK(reg.try_histogram("one_bound", "One bound.", {0.5}).ok());
        CHECK(reg.try_histogram("bad_bound", "Bad.", {-0.5, -1.0}).error().code() ==
              vitals::errc::invalid_buckets);
    }
    // 0 is also a null pointer constant, which made {0} one label name from a null
    // `const char*` (std::logic_error from std::string) instead of the bound 0.
    SUBCASE("a lone 0 is the bound 0") {
        // Written so that it compiles whichever overload {0} picks.
        auto& h = reg.histogram("zero_bound", "Zero bound.", {0});
        CHECK(h.bounds().size() == 1u);
        vitals::histogram& same = reg.histogram("zero_bound", "Zero bound.", {0.0});
        CHECK(static_cast<const void*>(&same) == static_cast<const void*>(&h));
        same.observe(-1);
        same.observe(0);
        same.observe(0.5);
        CHECK(same.bucket_count(0) == 2u);
        CHECK(same.bucket_count(1) == 1u);
        auto r = reg.try_histogram("zero_bound", "Zero bound.", {0});
        REQUIRE(r.ok());
        CHECK(r.value().bounds().size() == 1u);
        CHECK(reg.histogram("labelled", "H.", {"a"}, {0}).bounds().size() == 1u);
    }
    SUBCASE("other list lengths keep working") {
        CHECK(reg.histogram("one_label", "H.", {"a"}).label_names().size() == 1u);
        CHECK(reg.histogram("three_labels", "H.", {"a", "b", "c"}).label_names().size() == 3u);
        CHECK(reg.histogram("two_bounds", "H.", {0.5, 1.0}).bounds().size() == 2u);
        CHECK(
            reg.histogram("vector_bounds", "H.", vitals::linear_buckets(1, 1, 3)).bounds().size() ==
            3u);
    }
}
