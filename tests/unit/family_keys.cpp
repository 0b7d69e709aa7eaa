// tests/unit/family_keys.cpp - how a family keeps and compares its series' label values: a
// lookup compares the first 16 bytes of each value as the words it hashed, at places known from
// the lengths, and reads the key value by value only for long values, many labels or a key of
// its own array. Every path must find exactly the series of the same values, and only it.
// SPDX-License-Identifier: MIT
#include <vitals/detail/label_hash.hpp>
#include <vitals/family.hpp>
#include <vitals/vitals.hpp>

#include <doctest/doctest.h>

#include <algorithm>   // find, shuffle, sort, unique
#include <cstddef>     // ptrdiff_t, size_t
#include <cstdint>     // uint64_t
#include <random>      // mt19937
#include <string>      // string, to_string
#include <string_view> // string_view
#include <vector>      // vector

namespace {

// Values of every length class a key handles differently: empty, 1 to 3 bytes (read as first,
// middle and last), 4 to 7, 8 (one word), 9 to 15, 16, 17 to 24 (a rest of at most 8 bytes, read
// as one word ending at the value's end), 25 to 32, longer, and from 128 bytes on (a length of
// more than one byte in the key).
const std::size_t lengths[] = {0,  1,  2,  3,  4,  5,  7,  8,  9,  15,  16,  17,  18,
                               23, 24, 25, 31, 32, 33, 47, 48, 64, 127, 128, 129, 300};

std::string value_of(std::size_t len, unsigned seed) {
    std::string v(len, 'x');
    for (std::size_t i = 0; i < len; ++i) v[i] = static_cast<char>('a' + (i * 7 + len + seed) % 26);
    return v;
}

std::vector<std::string> tuple_of(std::size_t labels, std::size_t len, unsigned seed) {
    std::vector<std::string> t;
    for (std::size_t k = 0; k < labels; ++k)
        t.push_back(
            value_of(k == labels / 2 ? len : (k * 5) % 20, seed + static_cast<unsigned>(k)));
    return t;
}

std::vector<std::string> label_names(std::size_t n) {
    std::vector<std::string> names;
    for (std::size_t k = 0; k < n; ++k) names.push_back("l" + std::to_string(k));
    return names;
}

// labels() with the values as separate arguments, for the counts that have them here.
vitals::counter& by_arguments(vitals::counter_family& fam, const std::vector<std::string>& v) {
    switch (v.size()) {
    case 1:
        return fam.labels(v[0]);
    case 2:
        return fam.labels(v[0], v[1]);
    case 3:
        return fam.labels(v[0], v[1], v[2]);
    case 4:
        return fam.labels(v[0], v[1], v[2], v[3]);
    default:
        return fam.labels(v);
    }
}

} // namespace

TEST_CASE("family keys: a value's head words match their definition for every length") {
    std::mt19937 rng(7);
    std::string bytes(64, '\0');
    for (int round = 0; round < 200; ++round) {
        for (char& c : bytes) c = static_cast<char>(rng() & 0xff); // any byte, NUL and 0xff too
        for (std::size_t len = 0; len <= 40; ++len) {
            CAPTURE(len);
            // At an offset, so that the loads are unaligned and the bytes after the value are
            // not zero: a head must hold none of them.
            const char* p = bytes.data() + 3;
            const vitals::detail::head_words fast = vitals::detail::value_head(p, len);
            const vitals::detail::head_words def = vitals::detail::value_head_portable(p, len);
            CHECK(fast.lo == def.lo);
            CHECK(fast.hi == def.hi);
        }
    }
}

TEST_CASE("family keys: last_bytes_equal compares the last 1 to 8 bytes and no others") {
    const std::string a = "0123456789abcdefghij";
    for (std::size_t n = 1; n <= 8; ++n) {
        CAPTURE(n);
        std::string b = a;
        b[a.size() - n - 1] = '#'; // the byte just before the compared ones differs
        CHECK(vitals::detail::last_bytes_equal(a.data() + a.size(), b.data() + b.size(), n));
        for (std::size_t i = a.size() - n; i < a.size(); ++i) {
            std::string c = a;
            c[i] = '#';
            CHECK_FALSE(
                vitals::detail::last_bytes_equal(a.data() + a.size(), c.data() + c.size(), n));
        }
    }
}

TEST_CASE("family keys: every label count and value length finds its own series") {
    // 1 to 3 labels take lookups made for their count, 4 and 8 the general one with head words,
    // 9 the general one without (more values than a lookup keeps words for).
    for (const std::size_t labels : {1u, 2u, 3u, 4u, 8u, 9u}) {
        CAPTURE(labels);
        vitals::registry reg;
        auto& fam = reg.counter("c", "C.", label_names(labels));
        std::vector<std::vector<std::string>> tuples;
        std::vector<vitals::counter*> series;
        for (const std::size_t len : lengths) {
            tuples.push_back(tuple_of(labels, len, 1));
            series.push_back(&by_arguments(fam, tuples.back()));
            series.back()->inc();
        }
        CHECK(fam.size() == tuples.size());
        for (std::size_t i = 0; i < tuples.size(); ++i) {
            const std::vector<std::string>& t = tuples[i];
            CAPTURE(t[labels / 2].size());
            CHECK(&by_arguments(fam, t) == series[i]);
            CHECK(&fam.labels(t) == series[i]);
            if (labels == 3) CHECK(&fam.try_labels(t[0], t[1], t[2]).value() == series[i]);
            // Every byte of the longest value changed, one at a time, is another label set.
            std::vector<std::string> changed = t;
            std::string& v = changed[labels / 2];
            for (std::size_t b = 0; b < v.size(); ++b) {
                const char was = v[b];
                v[b] = '#';
                CHECK(&by_arguments(fam, changed) != series[i]);
                v[b] = was;
            }
            CHECK(&by_arguments(fam, changed) == series[i]);
        }
        // Nothing above created a series for the original tuples a second time.
        for (std::size_t i = 0; i < tuples.size(); ++i) CHECK(series[i]->whole_value() == 1u);
    }
}

TEST_CASE("family keys: zero bytes are values' bytes, not padding") {
    // Heads are zero-padded, so these pairs have the same head words and differ only in length
    // (or in where one value ends and the next begins).
    vitals::registry reg;
    auto& one = reg.counter("one", "One.", {"v"});
    auto& two = reg.counter("two", "Two.", {"a", "b"});
    const std::string z(1, '\0');
    const std::vector<std::string> values = {"",
                                             z,
                                             z + z,
                                             "x",
                                             "x" + z,
                                             "x" + z + z,
                                             "abcdefgh",
                                             "abcdefgh" + z,
                                             std::string("abcdefghijklmnop"),
                                             std::string("abcdefghijklmnop") + z,
                                             std::string("abcdefghijklmnopq"),
                                             std::string("abcdefghijklmnopq") + z};
    std::vector<vitals::counter*> series;
    for (const std::string& v : values) series.push_back(&one.labels(v));
    for (std::size_t i = 0; i < values.size(); ++i)
        for (std::size_t j = 0; j < values.size(); ++j) {
            CAPTURE(i);
            CAPTURE(j);
            CHECK((&one.labels(values[i]) == series[j]) == (i == j));
        }
    CHECK(one.size() == values.size());
    // ("x\0", "") and ("x", "\0"): the same bytes, split differently.
    CHECK(&two.labels("x" + z, "") != &two.labels("x", z));
    CHECK(&two.labels(z, "x") != &two.labels("", z + "x"));
    CHECK(two.size() == 4u);
}

TEST_CASE("family keys: keys past the series' own bytes and long lengths mix with short ones") {
    // A key that does not fit in the series is kept in an array of its own; a value of 128 bytes
    // or more has a length of more than one byte. Both force the value-by-value comparison;
    // they must agree with the word comparison of the other series in the same family.
    vitals::registry reg;
    auto& fam = reg.counter("c", "C.", {"a", "b", "c"});
    std::vector<std::vector<std::string>> tuples = {
        {"GET", "/", "200"},
        {value_of(20, 1), value_of(20, 2), value_of(20, 3)}, // 3 + 48 + 12 bytes: own array
        {value_of(200, 1), "x", "y"},                        // a two-byte length first
        {"x", value_of(130, 2), "y"},                        // in the middle
        {"x", "y", value_of(128, 3)},                        // last
        {value_of(16, 1), value_of(8, 2), value_of(17, 3)},
    };
    std::vector<vitals::counter*> series;
    for (const auto& t : tuples) series.push_back(&fam.labels(t[0], t[1], t[2]));
    for (std::size_t i = 0; i < tuples.size(); ++i) {
        const auto& t = tuples[i];
        CHECK(&fam.labels(t[0], t[1], t[2]) == series[i]);
        CHECK(&fam.labels(t) == series[i]);
        // The same values with the long one a byte shorter or longer are other series.
        for (std::size_t k = 0; k < 3; ++k) {
            std::vector<std::string> shorter = t, longer = t;
            if (!shorter[k].empty()) shorter[k].pop_back();
            longer[k] += 'q';
            if (shorter[k] != t[k]) CHECK(&fam.labels(shorter) != series[i]);
            CHECK(&fam.labels(longer) != series[i]);
        }
    }
    CHECK(fam.remove(tuples[2][0], tuples[2][1], tuples[2][2]));
    CHECK_FALSE(fam.remove(tuples[2][0], tuples[2][1], tuples[2][2]));
    CHECK(&fam.labels(tuples[2]) == series[2]); // re-added: the same series
}

TEST_CASE("family keys: series are written in the order of their values as strings") {
    // Many values share their first 16 bytes and differ after them, or are prefixes of each
    // other, so that the order compares heads and rests across the 16-byte boundary.
    std::mt19937 rng(11);
    vitals::registry reg;
    auto& fam = reg.gauge("g", "G.", {"k"});
    std::vector<std::string> values;
    for (int i = 0; i < 300; ++i) {
        std::string v(static_cast<std::size_t>(rng() % 36), 'a');
        for (char& c : v) c = (rng() % 8 == 0) ? 'b' : 'a';
        if (std::find(values.begin(), values.end(), v) != values.end()) continue;
        values.push_back(v);
        fam.labels(v).set(1);
    }
    std::vector<std::string> sorted = values;
    std::sort(sorted.begin(), sorted.end());
    std::string expected = "# HELP g G.\n# TYPE g gauge\n";
    for (const std::string& v : sorted) expected += "g{k=\"" + v + "\"} 1\n";
    CHECK(vitals::to_text(reg) == expected);
}

TEST_CASE("family keys: series made in random order are written in order at every size") {
    // New series wait in a short sorted run that joins the main one when it fills (at 64
    // series, then at about the square root of the family's size): every render between,
    // with removed and re-added series among them, must still be in order and complete.
    std::mt19937 rng(5);
    vitals::registry reg;
    vitals::family_options options;
    options.max_series = 20000;
    auto& fam = reg.gauge("g", "G.", {"k", "n"}, options);
    std::vector<std::string> values;
    for (int i = 0; i < 6000; ++i) values.push_back(std::to_string(rng() % 1000000000u));
    std::sort(values.begin(), values.end());
    values.erase(std::unique(values.begin(), values.end()), values.end());
    std::vector<std::string> order = values;
    std::shuffle(order.begin(), order.end(), rng);
    std::vector<std::string> shown;
    std::size_t checks = 0;
    for (std::size_t i = 0; i < order.size(); ++i) {
        fam.labels(order[i], "x").set(1);
        shown.push_back(order[i]);
        if (i % 97 == 5) { // remove one shown series; re-add it a little later
            CHECK(fam.remove(shown[shown.size() / 2], "x"));
            shown.erase(shown.begin() + static_cast<std::ptrdiff_t>(shown.size() / 2));
        }
        if (i % 97 == 50) {
            const std::string back = order[i / 2];
            if (std::find(shown.begin(), shown.end(), back) == shown.end()) {
                fam.labels(back, "x").set(1);
                shown.push_back(back);
            }
        }
        if (i % 61 != 0 && i + 1 != order.size()) continue;
        std::vector<std::string> expected_values = shown;
        std::sort(expected_values.begin(), expected_values.end());
        std::string expected = "# HELP g G.\n# TYPE g gauge\n";
        for (const std::string& v : expected_values) expected += "g{k=\"" + v + "\",n=\"x\"} 1\n";
        REQUIRE(vitals::to_text(reg) == expected);
        ++checks;
    }
    CHECK(checks > 90);
    CHECK(fam.size() == shown.size());
}

TEST_CASE("family keys: a byte that is not ASCII anywhere in a value is seen on a miss") {
    // A lookup that misses tests its values for invalid UTF-8 (such a value names the series of
    // its shown form, with U+FFFD in place of the bad byte). ASCII values skip the decoder on a
    // test of the words they were hashed from, plus the bytes past the 16th; a bad byte in any
    // of those places must still reach it, in a family past its bound too.
    for (const bool bounded : {false, true}) {
        CAPTURE(bounded);
        vitals::registry reg;
        vitals::family_options opts;
        if (bounded) opts.max_series = 4;
        auto& fam = reg.counter("c", "C.", {"a", "b"}, opts);
        if (bounded)
            for (int i = 0; i < 5; ++i) fam.labels("fill", std::to_string(i)); // overflowed
        for (const std::size_t len : {1u, 3u, 8u, 12u, 16u, 17u, 24u, 25u, 40u}) {
            for (std::size_t pos = 0; pos < len; ++pos) {
                CAPTURE(len);
                CAPTURE(pos);
                std::string bad = value_of(len, 5);
                bad[pos] = '\xff';
                std::string shown = bad;
                shown.replace(pos, 1, "\xEF\xBF\xBD");
                vitals::counter& by_bad = fam.labels("x", bad);
                CHECK(&by_bad == &fam.labels("x", shown));
                std::string other_bad = bad;
                other_bad[pos] = '\xfe';
                CHECK(&fam.labels("x", other_bad) == &by_bad);
                if (!bounded) CHECK(&by_bad != &fam.labels("x", value_of(len, 5)));
            }
        }
    }
}

namespace {

using vitals::detail::family_base;
using vitals::detail::head_words;

// Whether the key written for `a` compares equal to the values `b`, by every path a lookup
// takes: words hashed for a count known at compile time and at run time, and reading the key.
template <std::size_t N>
void check_key(const std::vector<std::string>& a, const std::vector<std::string>& b) {
    std::string_view av[N], bv[N];
    for (std::size_t k = 0; k < N; ++k) {
        av[k] = a[k];
        bv[k] = b[k];
    }
    vitals::detail::series_node node;
    family_base::encode_key(node, av, N);
    head_words heads[N];
    (void)vitals::detail::hash_label_values(bv, N, vitals::detail::hash_secret(), heads);
    const bool same = a == b;
    CAPTURE(same);
    CHECK(family_base::key_equals(node, bv, std::integral_constant<std::size_t, N>(), heads) ==
          same);
    CHECK(family_base::key_equals(node, bv, N, heads) == same);
    CHECK(family_base::key_equals(node, bv, N, nullptr) == same);
    CHECK(family_base::key_equals_read(node, bv, N) == same);
}

} // namespace

TEST_CASE("family keys: a key equals exactly its own values, by every comparison path") {
    // Lookups compare keys only when the hashes match, so a key comparison that cannot tell
    // two label sets apart would show only on a hash collision: compare the keys directly.
    const std::string z(1, '\0');
    std::vector<std::string> values = {"",
                                       z,
                                       "x",
                                       "x" + z,
                                       "x" + z + z,
                                       "abcdefgh",
                                       "abcdefgh" + z,
                                       value_of(16, 2),
                                       value_of(16, 2) + z};
    for (const std::size_t len : lengths) values.push_back(value_of(len, 3));
    for (const std::size_t len : {9u, 15u, 16u, 17u, 24u, 25u, 40u, 130u}) {
        // Every byte changed in turn: bytes 8 to 15 are the second head word, bytes past the
        // 16th the rest.
        for (std::size_t b = 0; b < len; ++b) {
            std::string v = value_of(len, 3);
            v[b] = static_cast<char>(v[b] ^ 0x20);
            values.push_back(v);
        }
    }
    for (const std::string& a : values) {
        CAPTURE(a.size());
        for (const std::string& b : values) {
            CAPTURE(b.size());
            // The value alone, and between others (a key past key_inline_size for long ones).
            check_key<1>({a}, {b});
            check_key<3>({"GET", a, "200"}, {"GET", b, "200"});
        }
    }
    // Values that trade bytes across their boundary, and the 9-value keys lookups compare
    // without words.
    check_key<2>({"ab", "c"}, {"a", "bc"});
    check_key<2>({value_of(20, 1), "x"}, {value_of(19, 1), "x"});
    std::vector<std::string> nine(9, "v"), other = nine;
    other[8] = "w";
    check_key<9>(nine, nine);
    check_key<9>(nine, other);
}

// A table slot keeps only a few bits of its series' hash (6, or 3 in the compact
// configuration): a probe that passes a series with the same bits must tell it apart by its
// values. 20,000 series make that happen dozens of times (about one slot in six passed, one in
// 64 or in 8 of those with the same bits), while the table grows 12 times; every label set
// must keep finding its own series and no other.
TEST_CASE("family keys: series whose slots carry the same hash bits are told apart") {
    vitals::registry reg;
    vitals::family_options opts;
    opts.max_series = 50000;
    auto& fam = reg.gauge("tags", "Tags.", {"id", "kind"}, opts);
    std::vector<vitals::gauge*> handles;
    for (int i = 0; i < 20000; ++i) {
        const std::string id = std::to_string(i);
        handles.push_back(&fam.labels(id, i % 3 == 0 ? "a" : "a longer kind of value"));
        handles.back()->set(i);
    }
    std::vector<vitals::gauge*> sorted = handles;
    std::sort(sorted.begin(), sorted.end());
    CHECK(std::adjacent_find(sorted.begin(), sorted.end()) == sorted.end());
    for (int i = 0; i < 20000; ++i) {
        const std::string id = std::to_string(i);
        vitals::gauge& g = fam.labels(id, i % 3 == 0 ? "a" : "a longer kind of value");
        REQUIRE(&g == handles[static_cast<std::size_t>(i)]);
        CHECK(g.value() == i);
        // The same id with the other kind is another series.
        CHECK(&fam.try_labels(id, i % 3 == 0 ? "b" : "a longer kind of valuf").value() != &g);
    }
    CHECK(fam.size() == 40000u);
}
