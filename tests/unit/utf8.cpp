// tests/unit/utf8.cpp - the UTF-8 check behind label values: its word-at-a-time ASCII path
// must answer as the byte-by-byte decoder does, wherever the first non-ASCII byte falls.
// SPDX-License-Identifier: MIT
#include <vitals/vitals.hpp>

#include <doctest/doctest.h>

#include <cstddef> // size_t
#include <random>  // mt19937
#include <string>  // string

namespace {
// The decoder alone, sequence by sequence.
bool invalid_by_decoding(const std::string& s) {
    for (std::size_t i = 0; i < s.size();) {
        const std::size_t len = vitals::detail::utf8_sequence_length(s, i);
        if (len == 0) return true;
        i += len;
    }
    return false;
}
} // namespace

TEST_CASE("utf8: one bad byte is found at every position of short and long values") {
    for (std::size_t n = 1; n <= 40; ++n) {
        for (std::size_t at = 0; at < n; ++at) {
            std::string s(n, 'a');
            s[at] = '\xff';
            CHECK_MESSAGE(vitals::detail::has_invalid_utf8(s), "length ", n, ", at ", at);
            CHECK_FALSE(vitals::detail::all_ascii(s.data(), s.size()));
            s[at] = '\xc3'; // a 2-byte lead before 'a' or at the end: invalid either way
            CHECK(vitals::detail::has_invalid_utf8(s));
            if (at + 1 < n) {
                s[at + 1] = '\xa9'; // "é"
                CHECK_FALSE(vitals::detail::has_invalid_utf8(s));
            }
        }
        const std::string ascii(n, 'z');
        CHECK(vitals::detail::all_ascii(ascii.data(), ascii.size()));
        CHECK_FALSE(vitals::detail::has_invalid_utf8(ascii));
    }
    CHECK_FALSE(vitals::detail::has_invalid_utf8(std::string()));
}

TEST_CASE("utf8: the fast path agrees with the decoder on random values") {
    std::mt19937 rng(12345);
    // Mostly ASCII, with some lead, continuation and invalid bytes, as hostile values have.
    const char pool[] = {'a',    'b',    '/',    '0',    '_',    '\x7f', '\xc3', '\xa9', '\xe2',
                         '\x82', '\xac', '\xf0', '\x9f', '\x98', '\x80', '\xff', '\xc0', '\xed'};
    for (int round = 0; round < 20000; ++round) {
        const std::size_t n = rng() % 33;
        std::string s;
        const bool mostly_ascii = rng() % 2 == 0;
        for (std::size_t i = 0; i < n; ++i)
            s += mostly_ascii && rng() % 8 != 0 ? 'x' : pool[rng() % sizeof pool];
        REQUIRE_MESSAGE(vitals::detail::has_invalid_utf8(s) == invalid_by_decoding(s), "value of ",
                        s.size(), " bytes");
    }
}
