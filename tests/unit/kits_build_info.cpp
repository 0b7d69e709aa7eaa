// tests/unit/kits_build_info.cpp - the build_info metric.
// SPDX-License-Identifier: MIT
#include <vitals/exposition/openmetrics.hpp>
#include <vitals/kits/build_info.hpp>
#include <vitals/text_format.hpp>

#include "kits_support.hpp"

#include <doctest/doctest.h>

#include <string> // string, to_string
#include <thread> // thread

TEST_CASE("kits/build_info: version and extra labels, value 1 (golden)") {
    vitals::registry reg;
    vitals::info& i = vitals::kits::register_build_info(
        reg, "demo", "1.4.2", {{"revision", "4f2a9c1"}, {"compiler", "gcc \"12\""}});
    CHECK(i.value() == 1.0);
    kits_test::check_golden(vitals::to_text(reg), __FILE__, "kits_build_info.txt");
}

TEST_CASE("kits/build_info: version only; registering again returns the same series") {
    vitals::registry reg;
    vitals::info& a = vitals::kits::register_build_info(reg, "x", "0.1.0");
    vitals::info& b = vitals::kits::register_build_info(reg, "x", "0.1.0");
    CHECK(&a == &b);
    CHECK(vitals::to_text(reg) == "# HELP x_build_info Build information; the value is always 1.\n"
                                  "# TYPE x_build_info gauge\n"
                                  "x_build_info{version=\"0.1.0\"} 1\n");
}

TEST_CASE("kits/build_info: an info family under OpenMetrics, the same sample") {
    vitals::registry reg;
    vitals::kits::register_build_info(reg, "x", "0.1.0", {{"revision", "abc"}});
    const std::string om = vitals::to_openmetrics(reg);
    CHECK(om == "# HELP x_build Build information; the value is always 1.\n"
                "# TYPE x_build info\n"
                "x_build_info{version=\"0.1.0\",revision=\"abc\"} 1\n"
                "# EOF\n");
}

#if VITALS_HAS_EXCEPTIONS()
TEST_CASE("kits/build_info: an invalid extra label name is a registration error") {
    vitals::registry reg;
    CHECK_THROWS_AS(vitals::kits::register_build_info(reg, "x", "1", {{"bad-name", "v"}}),
                    vitals::error);
}

TEST_CASE("kits/build_info: another version is a conflict, and the first series stays alone") {
    vitals::registry reg;
    vitals::info& first = vitals::kits::register_build_info(reg, "x", "0.1.0", {{"rev", "a"}});
    try {
        vitals::kits::register_build_info(reg, "x", "0.2.0", {{"rev", "a"}});
        FAIL("a second version was accepted");
    } catch (const vitals::error& e) {
        CHECK(e.code() == vitals::errc::conflicting_registration);
        CHECK(std::string(e.what()).find("x_build_info") != std::string::npos);
        CHECK(std::string(e.what()).find("0.2.0") != std::string::npos);
    }
    // Other extra values are another build too.
    CHECK_THROWS_AS(vitals::kits::register_build_info(reg, "x", "0.1.0", {{"rev", "b"}}),
                    vitals::error);
    const std::string expected = "# HELP x_build_info Build information; the value is always 1.\n"
                                 "# TYPE x_build_info gauge\n"
                                 "x_build_info{version=\"0.1.0\",rev=\"a\"} 1\n";
    CHECK(vitals::to_text(reg) == expected);
    // The same build again is still the same series.
    CHECK(&vitals::kits::register_build_info(reg, "x", "0.1.0", {{"rev", "a"}}) == &first);
    CHECK(vitals::to_text(reg) == expected);
}
#endif

TEST_CASE("kits/build_info: a conflict message shows the version escaped and cut short") {
    // A program logs the message: the version it passed must not bring control characters
    // (a terminal's escape sequences, a forged log line) or 2 KiB into that log.
    vitals::registry reg;
    REQUIRE(vitals::kits::try_register_build_info(reg, "x", "1.0").ok());
    const auto conflict = [&reg](const std::string& version) {
        auto r = vitals::kits::try_register_build_info(reg, "x", version);
        REQUIRE_FALSE(r.ok());
        CHECK(r.error().code() == vitals::errc::conflicting_registration);
        return r.error().message();
    };
    CHECK(conflict("2.0\x1b[2J\r\nERROR forged\t\"q\"\\") ==
          "build information 'x_build_info' is registered already with other values (version "
          "\"2.0\\x1b[2J\\x0d\\nERROR forged\\x09\\\"q\\\"\\\\\" now): a program has one build");
    const std::string long_version(2000, 'v'); // within max_label_value_bytes, so a conflict
    const std::string message = conflict(long_version);
    CHECK(message.size() < 300);
    CHECK(message.find(std::string(128, 'v') + "\"... (2000 bytes)") != std::string::npos);
    // Cut on a character boundary: no invalid UTF-8 in the message.
    // 128 bytes would end inside the first é.
    std::string accented(127, 'v');
    for (int i = 0; i < 10; ++i) accented += "\xc3\xa9"; // é
    const std::string cut = conflict(accented);
    CHECK(cut.find(std::string(127, 'v') + "\"... (147 bytes)") != std::string::npos);
    CHECK(cut.find("\xef\xbf\xbd") == std::string::npos);
}

// The status form, in every build: refused calls add nothing, however many there are.
TEST_CASE("kits/build_info: refused builds leave the family as it was, and keep no series") {
    vitals::registry reg;
    auto first = vitals::kits::try_register_build_info(reg, "x", "1.0", {{"rev", "a"}});
    REQUIRE(first.ok());
    const std::string expected = vitals::to_text(reg);
    for (int i = 0; i < 20000; ++i) { // more than the family's series bound (10000)
        auto other = vitals::kits::try_register_build_info(reg, "x", "2." + std::to_string(i),
                                                           {{"rev", "a"}});
        REQUIRE(other.error().code() == vitals::errc::conflicting_registration);
    }
    CHECK(vitals::to_text(reg) == expected); // no `__overflow__` build
    auto again = vitals::kits::try_register_build_info(reg, "x", "1.0", {{"rev", "a"}});
    REQUIRE(again.ok());
    CHECK(&*again == &*first);
    CHECK(vitals::to_text(reg) == expected);
}

TEST_CASE("kits/build_info: an empty version or extra value is refused and registers nothing") {
    // Prometheus reads version="" as no version label: the series would not say which build
    // runs, and a later registration of the real version would be refused as another build.
    vitals::registry reg;
    const std::size_t families = reg.family_count();
    auto empty_version = vitals::kits::try_register_build_info(reg, "x", "");
    REQUIRE_FALSE(empty_version.ok());
    CHECK(empty_version.error().code() == vitals::errc::invalid_argument);
    CHECK(empty_version.error().message() ==
          "build information 'x_build_info': the value of 'version' is empty, which "
          "Prometheus reads as no label at all");
    auto empty_extra = vitals::kits::try_register_build_info(reg, "x", "1.0", {{"rev", ""}});
    REQUIRE_FALSE(empty_extra.ok());
    CHECK(empty_extra.error().message().find("'rev' is empty") != std::string::npos);
    CHECK(reg.family_count() == families);
    CHECK(vitals::to_text(reg).empty());
    CHECK(vitals::kits::try_register_build_info(reg, "x", "1.0", {{"rev", "a"}}).ok());
}

TEST_CASE("kits/build_info: a value longer than the family's bound is refused") {
    vitals::registry reg;
    const std::string long_value(3000, 'x');
    auto r = vitals::kits::try_register_build_info(reg, "x", "1.0", {{"compiler", long_value}});
    CHECK(r.error().code() == vitals::errc::invalid_argument);
    CHECK(r.error().message().find("compiler") != std::string::npos);
    CHECK(vitals::to_text(reg).find("__overflow__") == std::string::npos);
    CHECK(vitals::kits::try_register_build_info(reg, "x", "1.0", {{"compiler", "gcc"}}).ok());
    // A value of exactly max_label_value_bytes (2048 by default) is within the bound.
    vitals::registry at_bound;
    const std::string longest(2048, 'v');
    auto kept = vitals::kits::try_register_build_info(at_bound, "x", longest);
    REQUIRE(kept.ok());
    CHECK(vitals::to_text(at_bound).find("version=\"" + longest + "\"") != std::string::npos);
}

// The family used to be registered before the bound was checked: a refused call left it
// with its label names, and a corrected call with other extra labels was then a conflict.
TEST_CASE("kits/build_info: a value over the bound registers nothing, so a corrected retry works") {
    vitals::registry reg;
    const std::size_t families = reg.family_count();
    auto refused = vitals::kits::try_register_build_info(reg, "x", std::string(3000, 'v'));
    REQUIRE_FALSE(refused.ok());
    CHECK(refused.error().code() == vitals::errc::invalid_argument);
    CHECK(refused.error().message().find("'x_build_info': the value of 'version' is longer") !=
          std::string::npos);
    CHECK(reg.family_count() == families);
    CHECK(vitals::to_text(reg).empty());
    auto fixed = vitals::kits::try_register_build_info(reg, "x", "1.0", {{"revision", "4f2a9c1"}});
    CHECK(fixed.ok());
    CHECK(vitals::to_text(reg).find("x_build_info{version=\"1.0\",revision=\"4f2a9c1\"} 1\n") !=
          std::string::npos);
}

// The bound is on the value as shown, each invalid UTF-8 byte replaced by U+FFFD (3 bytes),
// as the family measures it: a value of 2048 bytes with one such byte shows as 2050 bytes.
// (It was accepted and then shown as version="__overflow__", the family's overflow series.)
TEST_CASE("kits/build_info: a value that is longer than the bound as shown is refused") {
    vitals::registry reg;
    const std::string value = std::string(2047, 'v') + "\xff";
    auto r = vitals::kits::try_register_build_info(reg, "x", value);
    REQUIRE_FALSE(r.ok());
    CHECK(r.error().code() == vitals::errc::invalid_argument);
    CHECK(r.error().message().find("'version'") != std::string::npos);
    CHECK(vitals::to_text(reg).find("__overflow__") == std::string::npos);
    // Shown within the bound: kept, with U+FFFD.
    const std::string shorter = std::string(2045, 'v') + "\xff";
    REQUIRE(vitals::kits::try_register_build_info(reg, "x", shorter).ok());
    CHECK(vitals::to_text(reg).find(std::string(2045, 'v') + "\xef\xbf\xbd\"") !=
          std::string::npos);
}

TEST_CASE("kits/build_info: of two threads registering different builds, exactly one wins") {
    for (int round = 0; round < 200; ++round) {
        vitals::registry reg;
        bool ok[2] = {false, false};
        std::thread a([&] { ok[0] = vitals::kits::try_register_build_info(reg, "x", "1.0").ok(); });
        std::thread b([&] { ok[1] = vitals::kits::try_register_build_info(reg, "x", "2.0").ok(); });
        a.join();
        b.join();
        REQUIRE(ok[0] != ok[1]);
        const std::string text = vitals::to_text(reg);
        CHECK(text.find(ok[0] ? "x_build_info{version=\"1.0\"} 1\n"
                              : "x_build_info{version=\"2.0\"} 1\n") != std::string::npos);
        CHECK(text.find(ok[0] ? "\"2.0\"" : "\"1.0\"") == std::string::npos);
    }
}
