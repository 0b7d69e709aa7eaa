// tests/unit/label_hash.cpp - the keyed hash behind the label lookup tables: label values
// built to collide under an unkeyed hash spread over a table, and stay separate series.
// SPDX-License-Identifier: MIT
#include <vitals/detail/label_hash.hpp>
#include <vitals/vitals.hpp>

#include <doctest/doctest.h>

#include <cstdint>     // uint64_t
#include <set>         // set
#include <string>      // string
#include <string_view> // string_view
#include <vector>      // vector

namespace {

// 2^m values of 16 * m bytes. In block j of value i, the top bits of bytes 7, 11 and 15 are
// flipped when bit j of i is set. Read as little-endian words, that flips bit 63 of the first
// word and bits 31 and 63 of the second. Under a hash that takes each word as
// h = (h ^ word) * k; h ^= h >> 32, the flip of bit 63 passes the multiply unchanged, the
// shift adds bit 31, and the next word's flips cancel both: all 2^m values hash alike,
// whatever the seed. This is the set a client would send to turn every lookup into a scan.
std::vector<std::string> colliding_values(int m) {
    std::string base(static_cast<std::size_t>(16 * m), 'a');
    for (std::size_t i = 0; i < base.size(); ++i) base[i] = static_cast<char>('a' + (i * 7) % 26);
    std::vector<std::string> out;
    for (int i = 0; i < (1 << m); ++i) {
        std::string v = base;
        for (int j = 0; j < m; ++j) {
            if ((i >> j & 1) == 0) continue;
            for (int byte : {7, 11, 15}) v[static_cast<std::size_t>(16 * j + byte)] ^= '\x80';
        }
        out.push_back(v);
    }
    return out;
}

// The unkeyed hash the set above is built against (a seeded multiply-xorshift, as this
// library used before its hash was keyed), to show that the set does what it claims.
std::uint64_t multiply_xorshift(std::string_view v, std::uint64_t seed) {
    std::uint64_t h = seed;
    for (std::size_t i = 0; i + 8 <= v.size(); i += 8) {
        std::uint64_t w = 0; // little-endian on every target, as the set above assumes
        for (std::size_t b = 8; b-- > 0;) w = w << 8 | static_cast<unsigned char>(v[i + b]);
        h = (h ^ w) * 0x9e3779b97f4a7c15ULL;
        h ^= h >> 32;
    }
    return h;
}

std::uint64_t keyed(std::string_view v) {
    return vitals::detail::hash_label_values(&v, 1, vitals::detail::hash_secret());
}

} // namespace

TEST_CASE("label hash: the crafted values collide under an unkeyed multiply-xorshift hash") {
    const auto values = colliding_values(10);
    for (const std::uint64_t seed : {0ULL, 12345ULL, 0x243f6a8885a308d3ULL}) {
        std::set<std::uint64_t> hashes;
        for (const auto& v : values) hashes.insert(multiply_xorshift(v, seed));
        CHECK(hashes.size() == 1u);
    }
}

TEST_CASE("label hash: the crafted values spread over a table's slots") {
    const auto values = colliding_values(12); // 4096 values of 192 bytes
    std::set<std::uint64_t> hashes;
    std::set<std::uint64_t> slots;       // a table of 4096 slots indexes by the low 12 bits
    std::set<std::uint64_t> tuple_slots; // the same values in the middle of three
    for (const auto& v : values) {
        const std::uint64_t h = keyed(v);
        hashes.insert(h);
        slots.insert(h & 4095);
        const std::string_view tuple[3] = {"GET", v, "200"};
        tuple_slots.insert(
            vitals::detail::hash_label_values(tuple, 3, vitals::detail::hash_secret()) & 4095);
    }
    CHECK(hashes.size() == values.size());
    // 4096 random hashes fill 1 - 1/e of 4096 slots, about 2589 with a standard deviation of
    // about 20; the unkeyed hash above puts all of them in one.
    CHECK(slots.size() > 2400u);
    CHECK(tuple_slots.size() > 2400u);
}

TEST_CASE("label hash: keyed, stable within the process, and sensitive to order and split") {
    using vitals::detail::hash_label_values;
    const std::uint64_t key = vitals::detail::hash_secret();
    CHECK(vitals::detail::hash_secret() == key); // the tables depend on it not changing
    const std::vector<std::string_view> samples = {
        "", "a", "GET", "/api/v1/users", "200", "a value longer than sixteen bytes"};
    for (const std::string_view v : samples) {
        CAPTURE(v);
        CHECK(hash_label_values(&v, 1, key) == hash_label_values(&v, 1, key));
        CHECK(hash_label_values(&v, 1, key) != hash_label_values(&v, 1, key ^ 1));
        CHECK(hash_label_values(&v, 1, key) != hash_label_values(&v, 1, key + (1ULL << 63)));
    }
    const std::string_view ab_c[2] = {"ab", "c"};
    const std::string_view a_bc[2] = {"a", "bc"};
    const std::string_view c_ab[2] = {"c", "ab"};
    CHECK(hash_label_values(ab_c, 2, key) != hash_label_values(a_bc, 2, key));
    CHECK(hash_label_values(ab_c, 2, key) != hash_label_values(c_ab, 2, key));
    // Every length up to 40 bytes (each load path) gives a distinct hash for a distinct value.
    std::set<std::uint64_t> by_length;
    const std::string text(40, 'x');
    for (std::size_t n = 0; n <= text.size(); ++n) {
        const std::string_view v(text.data(), n);
        by_length.insert(hash_label_values(&v, 1, key));
    }
    CHECK(by_length.size() == text.size() + 1);
}

TEST_CASE("label hash: the 32-bit targets' multiply agrees with the 128-bit one") {
    std::uint64_t a = 0x0123456789abcdefULL, b = 0xfedcba9876543210ULL;
    const std::uint64_t edges[] = {0, 1, 0xFFFFFFFFULL, 0x100000000ULL, ~0ULL, 1ULL << 63};
    for (const std::uint64_t x : edges)
        for (const std::uint64_t y : edges) {
            CAPTURE(x);
            CAPTURE(y);
#if defined(__SIZEOF_INT128__)
            __extension__ using u128 = unsigned __int128;
            const u128 m = static_cast<u128>(x) * y;
            const std::uint64_t expected =
                static_cast<std::uint64_t>(m) ^ static_cast<std::uint64_t>(m >> 64);
            CHECK(vitals::detail::fold_multiply_portable(x, y) == expected);
#endif
            CHECK(vitals::detail::fold_multiply_portable(x, y) ==
                  vitals::detail::fold_multiply(x, y));
        }
    for (int i = 0; i < 1000; ++i) {
        a = a * 6364136223846793005ULL + 1442695040888963407ULL;
        b = b * 2862933555777941757ULL + 3037000493ULL;
        CHECK(vitals::detail::fold_multiply_portable(a, b) == vitals::detail::fold_multiply(a, b));
    }
    // Products worked out by hand (for targets without a 128-bit type to compare with):
    // (2^32 + 1)^2 = 2^64 + 2^33 + 1, halves 1 and 2^33 + 1; (2^64 - 1)^2 = 2^128 - 2^65 + 1,
    // halves 2^64 - 2 and 1.
    CHECK(vitals::detail::fold_multiply_portable(0x100000001ULL, 0x100000001ULL) ==
          (0x200000001ULL ^ 1ULL));
    CHECK(vitals::detail::fold_multiply_portable(~0ULL, ~0ULL) == (0xFFFFFFFFFFFFFFFEULL ^ 1ULL));
}

TEST_CASE("family: label values crafted to collide are each their own series") {
    vitals::registry reg;
    auto& fam = reg.counter("requests", "Requests.", {"path"});
    const auto values = colliding_values(12);
    for (std::size_t i = 0; i < values.size(); ++i)
        fam.labels(values[i]).inc(static_cast<double>(i + 1));
    CHECK(fam.size() == values.size());
    for (std::size_t i = 0; i < values.size(); ++i)
        CHECK(fam.labels(values[i]).value() == static_cast<double>(i + 1));
    CHECK(fam.size() == values.size());
}
