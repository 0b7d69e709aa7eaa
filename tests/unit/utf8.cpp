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

namespace {
// RFC 3629's rule, from the code point: a sequence of `len` bytes is valid when it encodes a
// code point that needs exactly that many bytes, is at most U+10FFFF and is no surrogate.
bool valid_by_code_point(unsigned char lead, unsigned char second, std::size_t len) {
    const unsigned payload = len == 2 ? lead & 0x1Fu : len == 3 ? lead & 0x0Fu : lead & 0x07u;
    unsigned cp = payload << 6 | (second & 0x3Fu);
    for (std::size_t k = 2; k < len; ++k) cp = cp << 6 | 0x00u; // trailing 0x80 bytes
    const unsigned smallest = len == 2 ? 0x80u : len == 3 ? 0x800u : 0x10000u;
    return cp >= smallest && cp <= 0x10FFFFu && !(cp >= 0xD800u && cp <= 0xDFFFu);
}
} // namespace

// Exporters reject an exposition that is not valid UTF-8, so every byte sequence RFC 3629
// forbids must be caught: overlong forms (C0, C1, E0 80..9F, F0 80..8F), surrogates
// (ED A0..BF), code points past U+10FFFF (F4 90..BF) and the leads that only start those
// (F5..FF).
TEST_CASE("utf8: every lead and second byte is judged as RFC 3629 says") {
    for (unsigned lead = 0x80; lead <= 0xFF; ++lead) {
        const std::size_t len = lead >= 0xF0 ? 4 : lead >= 0xE0 ? 3 : lead >= 0xC0 ? 2 : 0;
        for (unsigned second = 0x80; second <= 0xBF; ++second) {
            std::string s(1, static_cast<char>(lead));
            s += static_cast<char>(second);
            if (len > 2) s.append(len - 2, '\x80');
            const bool valid = len != 0 && lead <= 0xF7 &&
                               valid_by_code_point(static_cast<unsigned char>(lead),
                                                   static_cast<unsigned char>(second), len);
            CAPTURE(lead);
            CAPTURE(second);
            CHECK(vitals::detail::utf8_sequence_length(s, 0) == (valid ? len : 0));
            CHECK(vitals::detail::has_invalid_utf8(s) == !valid);
        }
    }
}

// What a scrape shows: each byte of an invalid sequence becomes U+FFFD.
TEST_CASE("utf8: an overlong or out-of-range sequence in a label value is shown as U+FFFD") {
    vitals::registry reg;
    auto& fam = reg.gauge("bytes", "B.", {"v"});
    fam.labels("\xE0\x80\xAF").set(1);     // '/' as an overlong 3-byte sequence
    fam.labels("\xF5\x80\x80\x80").set(2); // a lead byte no code point has
    const std::string out = vitals::to_text(reg);
    const std::string fffd = "\xEF\xBF\xBD";
    CHECK(out.find("bytes{v=\"" + fffd + fffd + fffd + "\"} 1\n") != std::string::npos);
    CHECK(out.find("bytes{v=\"" + fffd + fffd + fffd + fffd + "\"} 2\n") != std::string::npos);
}
