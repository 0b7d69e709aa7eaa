// tests/unit/text_format_checks.hpp - serializer test cases shared by text_format.cpp and
// text_format_compact.cpp; each defines VITALS_TEST_PREFIX (the test-case name prefix) and its
// vitals configuration before including this file.
// SPDX-License-Identifier: MIT
#ifndef VITALS_TESTS_TEXT_FORMAT_CHECKS_HPP
#define VITALS_TESTS_TEXT_FORMAT_CHECKS_HPP

#ifndef VITALS_TEST_PREFIX
#error "define VITALS_TEST_PREFIX before including text_format_checks.hpp"
#endif

#include <vitals/vitals.hpp>

#include <doctest/doctest.h>

#include "golden_cases.hpp"
#include "test_support.hpp"

#include <clocale> // setlocale
#include <cmath>   // ldexp, isinf
#include <cstdint> // uint64_t
#include <cstdio>  // snprintf
#include <cstdlib> // strtod
#include <cstring> // memcpy
#include <limits>  // numeric_limits
#include <memory>  // unique_ptr
#include <random>  // mt19937_64
#include <string>  // string
#include <vector>  // vector

#if defined(__SANITIZE_ADDRESS__)
#define VITALS_TEST_ASAN 1
#elif defined(__has_feature)
#if __has_feature(address_sanitizer)
#define VITALS_TEST_ASAN 1
#endif
#endif
#ifdef VITALS_TEST_ASAN
// glibc's setlocale() leaks its copy of LOCPATH (built with argz_add_sep) when that variable is
// set, as the locale check does with a generated locale. Not ours to fix; ignore only that.
extern "C" const char* __lsan_default_suppressions() { return "leak:argz_add_sep\n"; }
#endif

namespace {

std::string format_via_gauge(double v) {
    vitals::registry reg;
    reg.gauge("g", "G.").set(v);
    const std::string text = vitals::to_text(reg);
    const std::string head = "# HELP g G.\n# TYPE g gauge\ng ";
    REQUIRE(text.compare(0, head.size(), head) == 0);
    REQUIRE(text.back() == '\n');
    return text.substr(head.size(), text.size() - head.size() - 1);
}

struct float_case {
    double value;
    const char* text;
};

// Expected text: the shortest string that reads back to the same double; whole numbers below
// 2^53 without exponent; otherwise the shorter of fixed and scientific (fixed on a tie).
const float_case float_cases[] = {
    {0.0, "0"},
    {-0.0, "0"},
    {1.0, "1"},
    {-1.0, "-1"},
    {0.1, "0.1"},
    {0.5, "0.5"},
    {-2.5, "-2.5"},
    {1.0 / 3.0, "0.3333333333333333"},
    {0.1 + 0.2, "0.30000000000000004"},
    {123456789.125, "123456789.125"},
    {12345.678, "12345.678"},
    {100.25, "100.25"},
    {1e7, "10000000"},
    {1e15, "1000000000000000"}, // whole: every digit, though 1e+15 would be shorter
    {9e15, "9000000000000000"}, // below 2^53 too, though 9e+15 would be shorter
    {1e15 + 0.5, "1000000000000000.5"},
    {9007199254740992.0, "9007199254740992"},       // 2^53
    {9007199254740994.0, "9007199254740994"},       // 2^53 + 2
    {1152921504606846976.0, "1152921504606846976"}, // 2^60: fixed is shorter, exact digits
    {123456789012345680.0, "123456789012345680"},
    {1e16, "1e+16"},
    {1e21, "1e+21"},
    {1e22, "1e+22"},
    {1.5e300, "1.5e+300"},
    {1.7976931348623157e308, "1.7976931348623157e+308"},
    {-1.7976931348623157e308, "-1.7976931348623157e+308"},
    {0.001, "0.001"},
    {0.000123, "0.000123"}, // tie between 0.000123 and 1.23e-04: fixed
    {1e-4, "1e-04"},
    {1.5e-5, "1.5e-05"},
    {1e-7, "1e-07"},
    {1e-300, "1e-300"},
    {2.2250738585072014e-308, "2.2250738585072014e-308"}, // smallest normal
    {5e-324, "5e-324"},                                   // smallest subnormal
    {-5e-324, "-5e-324"},
    {4.9406564584124654e-324 * 3, "1.5e-323"},
    {std::numeric_limits<double>::infinity(), "+Inf"},
    {-std::numeric_limits<double>::infinity(), "-Inf"},
    {std::numeric_limits<double>::quiet_NaN(), "NaN"},
};

std::string render(void (*build)(vitals::registry&)) {
    vitals::registry reg;
    build(reg);
    return vitals::to_text(reg);
}

struct chunk_recorder {
    std::string text;
    std::size_t calls = 0;
    std::size_t largest = 0;
    static void sink(void* ctx, const char* data, std::size_t size) {
        auto* self = static_cast<chunk_recorder*>(ctx);
        self->text.append(data, size);
        ++self->calls;
        if (size > self->largest) self->largest = size;
    }
};

// A registry with many series of every type, long label values and long HELP text, so the
// output is far larger than any buffer used below.
void big_registry(vitals::registry& reg) {
    auto& c = reg.counter("big_requests", std::string(300, 'h'), {"method", "path", "code"});
    auto& g = reg.gauge("big_gauge", "Gauge.", {"k"});
    auto& h = reg.histogram("big_latency_seconds", "Latency.", {"path"});
    for (int i = 0; i < 200; ++i) {
        const std::string path = "/api/v1/" + std::string(static_cast<std::size_t>(i % 97), 'p');
        c.labels(i % 2 ? "GET" : "POST", path, std::to_string(200 + i))
            .inc_by(static_cast<std::uint64_t>(i) * 7919u);
        g.labels(std::to_string(i)).set(i * 0.001 + 1e-9);
        h.labels(path).observe(i * 0.013);
    }
}

} // namespace

TEST_CASE(VITALS_TEST_PREFIX ": golden expositions are byte-exact") {
    const std::string dir = vitals_test::golden_dir(__FILE__);
    for (const auto& gc : golden::all_cases) {
        CAPTURE(gc.file);
        const std::string actual = render(gc.build);
        const std::string problem = vitals_test::compare_golden(dir, gc.file, actual);
        CHECK_MESSAGE(problem.empty(), problem);
    }
}

TEST_CASE(VITALS_TEST_PREFIX ": golden expositions are well-formed and self-consistent") {
    for (const auto& gc : golden::all_cases) {
        CAPTURE(gc.file);
        const std::string text = render(gc.build);
        vitals_test::exposition ex;
        const std::string problem = vitals_test::parse_exposition(text, ex);
        REQUIRE_MESSAGE(problem.empty(), problem);
        CHECK_FALSE(ex.samples.empty());
        for (const auto& s : ex.samples) {
            CAPTURE(s.name);
            // Every sample belongs to a family with HELP and TYPE.
            std::string family = s.name;
            for (const char* suffix : {"_bucket", "_sum", "_count"}) {
                const std::string sfx(suffix);
                if (family.size() > sfx.size() &&
                    family.compare(family.size() - sfx.size(), sfx.size(), sfx) == 0 &&
                    ex.types.count(family.substr(0, family.size() - sfx.size())) &&
                    ex.types.at(family.substr(0, family.size() - sfx.size())) == "histogram")
                    family = family.substr(0, family.size() - sfx.size());
            }
            CHECK(ex.types.count(family) == 1u);
            CHECK(ex.helps.count(family) == 1u);
            if (ex.types[family] == "counter") {
                CHECK(s.name.size() > 6);
                CHECK(s.name.compare(s.name.size() - 6, 6, "_total") == 0);
            }
        }
    }
}

TEST_CASE(VITALS_TEST_PREFIX ": every double is written so that it reads back exactly") {
    SUBCASE("table of tricky values") {
        for (const auto& fc : float_cases) {
            CAPTURE(fc.text);
            CHECK(format_via_gauge(fc.value) == fc.text);
        }
    }
    SUBCASE("random bit patterns and random decimals round-trip") {
        std::mt19937_64 rng(20261126);
        vitals::registry reg;
        auto& fam = reg.gauge("r", "R.", {"i"});
        std::vector<double> values;
        for (int i = 0; i < 3000; ++i) {
            double v;
            if (i % 3 == 0) {
                const std::uint64_t bits = rng();
                std::memcpy(&v, &bits, sizeof v);
                if (v != v) v = 1.0; // NaN payloads are all written as NaN
            } else if (i % 3 == 1) {
                v = static_cast<double>(rng() % 100000000) / 1000.0; // money-like decimals
            } else {
                const double mantissa = static_cast<double>(rng() >> 11); // sequenced: the
                const int exponent = static_cast<int>(rng() % 200) - 150; // same on every
                v = std::ldexp(mantissa, exponent);                       // compiler
            }
            values.push_back(v);
            fam.labels(std::to_string(i)).set(v);
        }
        vitals_test::exposition ex;
        const std::string problem = vitals_test::parse_exposition(vitals::to_text(reg), ex);
        REQUIRE_MESSAGE(problem.empty(), problem);
        REQUIRE(ex.samples.size() == values.size());
        for (const auto& s : ex.samples) {
            const double expected = values[static_cast<std::size_t>(std::stoi(s.label("i")))];
            CAPTURE(s.value_text);
            if (std::isinf(expected))
                CHECK(s.value == expected);
            else
                CHECK(std::strtod(s.value_text.c_str(), nullptr) == expected);
            CHECK(s.value_text.size() <= 24u);
            // No more digits than needed: one significant digit fewer no longer reads back.
            // (Whole numbers are written with all their digits, so only other forms count.)
            if (s.value_text.find_first_of(".e") != std::string::npos) {
                const std::string mantissa = s.value_text.substr(0, s.value_text.find('e'));
                int digits = 0;
                bool leading = true;
                for (char c : mantissa) {
                    if (c < '0' || c > '9') continue;
                    if (leading && c == '0') continue;
                    leading = false;
                    ++digits;
                }
                if (digits >= 2) {
                    char shorter[64];
                    std::snprintf(shorter, sizeof shorter, "%.*e", digits - 2, expected);
                    CAPTURE(shorter);
                    CHECK(std::strtod(shorter, nullptr) != expected);
                }
            }
        }
    }
}

TEST_CASE(VITALS_TEST_PREFIX ": whole numbers are written with every digit, none extra") {
    // Every length from 1 to 20 digits: each power of ten, one less and one more, the
    // largest value, and random values of every magnitude, against std::to_string.
    std::vector<std::uint64_t> values = {0, std::numeric_limits<std::uint64_t>::max()};
    std::uint64_t power = 1;
    for (int digits = 1; digits <= 20; ++digits, power *= 10) {
        values.push_back(power - 1);
        values.push_back(power);
        values.push_back(power + 1);
        if (digits == 20) break; // 10^19 is the last power of ten below 2^64
    }
    std::mt19937_64 rng(20261202);
    for (int i = 0; i < 20000; ++i) values.push_back(rng() >> (rng() % 64));
    for (const std::uint64_t v : values) {
        char buf[vitals::detail::max_number_chars];
        const std::string text(buf, vitals::detail::format_uint(buf, v));
        CAPTURE(v);
        CHECK(text == std::to_string(v));
    }
    // The same through a counter's sample (whole values are written by format_uint).
    vitals::registry reg;
    reg.counter("big_total", "Big.").inc_by(std::uint64_t{9007199254740993}); // 2^53 + 1
    reg.counter("ten_total", "Ten.").inc_by(10000000000ULL);
    const std::string out = vitals::to_text(reg);
    CHECK(out.find("big_total 9007199254740993\n") != std::string::npos);
    CHECK(out.find("ten_total 10000000000\n") != std::string::npos);
}

TEST_CASE(VITALS_TEST_PREFIX ": le values are written as Go and Python clients write them") {
    // strconv.FormatFloat(v, 'g', -1, 64): fixed from 1e-4 up to below 1e+6, else an
    // exponent of at least two digits. A bucket then has the same label value, so the same
    // series, whether a Go, a Python or a vitals service exposes it.
    const auto le = [](double v) {
        char buf[vitals::detail::max_number_chars];
        return std::string(buf, vitals::detail::format_label_number(buf, v));
    };
    CHECK(le(1.0) == "1");
    CHECK(le(0.5) == "0.5");
    CHECK(le(2.5) == "2.5");
    CHECK(le(0.0001) == "0.0001");
    CHECK(le(0.0005) == "0.0005");
    CHECK(le(0.00012) == "0.00012");
    CHECK(le(1e-5) == "1e-05");
    CHECK(le(100000.0) == "100000");
    CHECK(le(999999.5) == "999999.5");
    CHECK(le(1e6) == "1e+06");
    CHECK(le(1048576.0) == "1.048576e+06");
    CHECK(le(67108864.0) == "6.7108864e+07");
    CHECK(le(123456789.0) == "1.23456789e+08");
    CHECK(le(1e21) == "1e+21");
    CHECK(le(1e300) == "1e+300");
    CHECK(le(5e-324) == "5e-324");
    CHECK(le(-10.0) == "-10");
    CHECK(le(-1.5e-7) == "-1.5e-07");
    CHECK(le(0.0) == "0");
    CHECK(le(-0.0) == "0");

    vitals::registry reg;
    reg.histogram("h", "H.", {0.0001, 1, 1048576}).observe(3);
    reg.add_collector("c", [](vitals::collector_output& out) {
        out.family("ch", "CH.", vitals::metric_type::histogram);
        out.histogram_sample({0.0001, 1e6}, {0, 1, 1}, 3.5);
    });
    const std::string text = vitals::to_text(reg);
    CHECK(text.find("h_bucket{le=\"0.0001\"} 0\nh_bucket{le=\"1\"} 0\n"
                    "h_bucket{le=\"1.048576e+06\"} 1\n") != std::string::npos);
    CHECK(text.find("ch_bucket{le=\"0.0001\"} 0\nch_bucket{le=\"1e+06\"} 1\n") !=
          std::string::npos);
}

TEST_CASE(VITALS_TEST_PREFIX ": output does not depend on the locale") {
    std::vector<std::string> in_c;
    for (const auto& gc : golden::all_cases) in_c.push_back(render(gc.build));
    vitals_test::comma_locale locale;
    if (locale.name().empty()) {
        MESSAGE("no locale with a comma decimal point is available; locale check skipped");
        return;
    }
    CAPTURE(locale.name());
    char probe[32];
    std::snprintf(probe, sizeof probe, "%.1f", 0.5);
    REQUIRE(std::string(probe) == "0,5"); // the locale really is active
    std::size_t i = 0;
    for (const auto& gc : golden::all_cases) {
        CAPTURE(gc.file);
        CHECK(render(gc.build) == in_c[i++]);
    }
    for (const auto& fc : float_cases) {
        CAPTURE(fc.text);
        CHECK(format_via_gauge(fc.value) == fc.text);
    }
}

TEST_CASE(VITALS_TEST_PREFIX ": a reused string is not reallocated") {
    vitals::registry reg;
    big_registry(reg);
    std::string out;
    vitals::write_text(reg, out);
    const std::string first = out;
    REQUIRE(first.size() > 10000u);
    for (int round = 0; round < 3; ++round) {
        out.clear();
        const char* data = out.data();
        const std::size_t capacity = out.capacity();
        vitals::write_text(reg, out);
        CHECK(out == first);
        CHECK(static_cast<const void*>(out.data()) == static_cast<const void*>(data));
        CHECK(out.capacity() == capacity);
    }
}

TEST_CASE(VITALS_TEST_PREFIX ": write_text appends to what the string holds") {
    vitals::registry reg;
    reg.gauge("g", "G.").set(1);
    std::string out = "prefix\n";
    vitals::write_text(reg, out);
    CHECK(out == "prefix\n# HELP g G.\n# TYPE g gauge\ng 1\n");
    vitals::write_text(reg, out);
    CHECK(out == "prefix\n# HELP g G.\n# TYPE g gauge\ng 1\n# HELP g G.\n# TYPE g gauge\ng 1\n");
    CHECK(vitals::to_text(reg) == "# HELP g G.\n# TYPE g gauge\ng 1\n");
}

TEST_CASE(VITALS_TEST_PREFIX ": sink output equals string output") {
    std::vector<void (*)(vitals::registry&)> builders;
    for (const auto& gc : golden::all_cases) builders.push_back(gc.build);
    builders.push_back(&big_registry);
    // Each check below runs over every registry; a registry per builder, rendered once.
    std::vector<std::unique_ptr<vitals::registry>> regs;
    std::vector<std::string> expected;
    for (auto build : builders) {
        regs.push_back(std::make_unique<vitals::registry>());
        build(*regs.back());
        expected.push_back(vitals::to_text(*regs.back()));
    }
    SUBCASE("64-byte buffer: identical bytes, no chunk larger than the buffer") {
        for (std::size_t b = 0; b < regs.size(); ++b) {
            CAPTURE(b);
            char buffer[64];
            chunk_recorder rec;
            vitals::write_text(*regs[b], &chunk_recorder::sink, &rec, buffer, sizeof buffer);
            CHECK(rec.text == expected[b]);
            CHECK(rec.largest <= sizeof buffer);
            CHECK(rec.calls >= expected[b].size() / sizeof buffer);
        }
    }
    SUBCASE("buffers smaller than a number still work") {
        for (std::size_t b = 0; b < regs.size(); ++b) {
            for (std::size_t cap : {1u, 2u, 7u, 16u, 31u, 33u, 63u}) {
                CAPTURE(b);
                CAPTURE(cap);
                std::vector<char> buffer(cap);
                chunk_recorder rec;
                vitals::write_text(*regs[b], &chunk_recorder::sink, &rec, buffer.data(), cap);
                CHECK(rec.text == expected[b]);
                CHECK(rec.largest <= cap);
            }
        }
    }
    SUBCASE("a null buffer or zero capacity falls back to a small stack buffer") {
        for (std::size_t b = 0; b < regs.size(); ++b) {
            CAPTURE(b);
            chunk_recorder rec;
            vitals::write_text(*regs[b], &chunk_recorder::sink, &rec, nullptr, 100);
            CHECK(rec.text == expected[b]);
            char one[1];
            chunk_recorder rec0;
            vitals::write_text(*regs[b], &chunk_recorder::sink, &rec0, one, 0);
            CHECK(rec0.text == expected[b]);
        }
    }
    SUBCASE("large buffer: one chunk") {
        for (std::size_t b = 0; b < regs.size(); ++b) {
            CAPTURE(b);
            std::vector<char> buffer(expected[b].size() + 100);
            chunk_recorder rec;
            vitals::write_text(*regs[b], &chunk_recorder::sink, &rec, buffer.data(), buffer.size());
            CHECK(rec.text == expected[b]);
            CHECK(rec.calls == (expected[b].empty() ? 0u : 1u));
        }
    }
    SUBCASE("lambda sinks") {
        for (std::size_t b = 0; b < regs.size(); ++b) {
            CAPTURE(b);
            std::string got;
            std::size_t calls = 0;
            vitals::write_text(*regs[b], [&](const char* data, std::size_t size) {
                got.append(data, size);
                ++calls;
            });
            CHECK(got == expected[b]);
            CHECK(calls >= 1u);
            std::string got_const;
            const auto append = [&got_const](const char* data, std::size_t size) {
                got_const.append(data, size);
            };
            vitals::write_text(*regs[b], append);
            CHECK(got_const == expected[b]);
            std::size_t seen = 0;
            auto count = [bytes = std::size_t{0}, &seen](const char*, std::size_t size) mutable {
                bytes += size;
                seen = bytes;
            };
            vitals::write_text(*regs[b], count);
            CHECK(seen == expected[b].size());
        }
    }
}

TEST_CASE(VITALS_TEST_PREFIX ": an empty registry sends nothing to a sink") {
    vitals::registry reg;
    char buffer[64];
    chunk_recorder rec;
    vitals::write_text(reg, &chunk_recorder::sink, &rec, buffer, sizeof buffer);
    CHECK(rec.calls == 0u);
    CHECK(rec.text.empty());
}

#endif // VITALS_TESTS_TEXT_FORMAT_CHECKS_HPP
