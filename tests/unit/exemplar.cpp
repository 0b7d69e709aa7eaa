// tests/unit/exemplar.cpp - exemplars on counters and histograms: the rules an exemplar must
// follow (dropped and counted otherwise, never thrown), the latest one per series or bucket,
// and a removed and re-added series starting without one.
// SPDX-License-Identifier: MIT
#include <vitals/vitals.hpp>

#include <doctest/doctest.h>

#include "test_support.hpp"

#include <atomic>      // atomic
#include <chrono>      // milliseconds
#include <cmath>       // floor, nan
#include <cstdint>     // uint64_t
#include <cstring>     // memcpy, memset
#include <ctime>       // time, time_t
#include <limits>      // numeric_limits
#include <new>         // placement new
#include <random>      // mt19937_64
#include <string>      // string
#include <string_view> // string_view
#include <thread>      // thread
#include <vector>      // vector

namespace {
using vitals_test::contains;
// Records `e` on a fresh counter; returns whether it shows and checks the drop count.
bool shown(const vitals::exemplar& e) {
    vitals::registry reg;
    auto& c = reg.counter("c", "C.");
    const std::uint64_t before = vitals::exemplars_dropped();
    c.inc(1, e);
    CHECK(c.value() == 1.0); // the increment counts either way
    const bool has = contains(vitals::to_openmetrics(reg), " # {");
    CHECK(vitals::exemplars_dropped() - before == (has ? 0u : 1u));
    return has;
}
} // namespace

TEST_CASE("exemplar: at most 128 UTF-8 characters of names and values together") {
    CHECK(shown(vitals::exemplar{"trace_id", std::string(120, 'a')}));
    CHECK_FALSE(shown(vitals::exemplar{"trace_id", std::string(121, 'a')}));
    // Characters, not bytes: 120 two-byte characters (240 bytes) are within the limit.
    std::string wide;
    for (int i = 0; i < 120; ++i) wide += "\xC3\xA9";
    CHECK(shown(vitals::exemplar{"trace_id", wide}));
    wide += "\xC3\xA9";
    CHECK_FALSE(shown(vitals::exemplar{"trace_id", wide}));
    const std::string x(60, 'x'), y(66, 'y');
    const vitals::exemplar_label two[] = {{"a", x}, {"b", y}};
    CHECK(shown(vitals::exemplar(two)));
}

TEST_CASE("exemplar: invalid label names, repeated names, invalid UTF-8 or no label drop it") {
    CHECK_FALSE(shown(vitals::exemplar{"bad-name", "x"}));
    CHECK_FALSE(shown(vitals::exemplar{"", "x"}));
    CHECK_FALSE(shown(vitals::exemplar{"__reserved", "x"}));
    CHECK_FALSE(shown(vitals::exemplar{"trace_id", "a\xFFz"}));
    const vitals::exemplar_label twice[] = {{"a", "1"}, {"a", "2"}};
    CHECK_FALSE(shown(vitals::exemplar(twice)));
    CHECK_FALSE(shown(vitals::exemplar(twice, 0)));
    CHECK(shown(vitals::exemplar{"trace_id", ""})); // an empty value is allowed
}

// The spec allows NUL in a label value, but Prometheus' OpenMetrics parser fails the whole
// scrape over one in an exemplar's: that exemplar is dropped, the series still shown.
TEST_CASE("exemplar: a NUL byte in a label value drops it") {
    using namespace std::string_literals;
    CHECK_FALSE(shown(vitals::exemplar{"trace_id", "4bf92f35\0\0\0\0"s}));
    CHECK_FALSE(shown(vitals::exemplar{"trace_id", "\0"s}));
    const std::string padded = "abc\0"s;
    const vitals::exemplar_label two[] = {{"trace_id", "ok"}, {"span_id", padded}};
    CHECK_FALSE(shown(vitals::exemplar(two)));
    CHECK(shown(vitals::exemplar{"trace_id", "4bf92f35"}));
    vitals::registry reg;
    auto& h = reg.histogram("h", "H.", {1.0});
    h.observe(0.5, vitals::exemplar{"trace_id", "a\0b"s});
    const std::string out = vitals::to_openmetrics(reg);
    CHECK_FALSE(contains(out, " # {"));
    CHECK(contains(out, "\nh_bucket{le=\"1.0\"} 1\n"));
}

TEST_CASE("exemplar: a timestamp that is NaN, infinite or past int64 milliseconds drops it") {
    const double inf = std::numeric_limits<double>::infinity();
    CHECK_FALSE(shown(vitals::exemplar{"trace_id", "a"}.at(std::nan(""))));
    CHECK_FALSE(shown(vitals::exemplar{"trace_id", "a"}.at(inf)));
    CHECK_FALSE(shown(vitals::exemplar{"trace_id", "a"}.at(-inf)));
    CHECK(shown(vitals::exemplar{"trace_id", "a"}.at(0.0)));
    CHECK(shown(vitals::exemplar{"trace_id", "a"}.at(-1.5)));
    // Prometheus keeps int64 milliseconds: beyond them it drops the exemplar silently.
    CHECK(shown(vitals::exemplar{"trace_id", "a"}.at(9223372036854774.0)));
    CHECK(shown(vitals::exemplar{"trace_id", "a"}.at(-9223372036854774.0)));
    CHECK(shown(vitals::exemplar{"trace_id", "a"}.at(4102444800.0))); // 2100-01-01
    CHECK_FALSE(shown(vitals::exemplar{"trace_id", "a"}.at(9223372036854776.0)));
    CHECK_FALSE(shown(vitals::exemplar{"trace_id", "a"}.at(-9223372036854776.0)));
    CHECK_FALSE(shown(vitals::exemplar{"trace_id", "a"}.at(1e20)));
    // On a histogram bucket too: the scrape shows no exemplar and no non-finite number.
    vitals::registry reg;
    auto& h = reg.histogram("h", "H.", {1.0});
    const std::uint64_t before = vitals::exemplars_dropped();
    h.observe(0.5, vitals::exemplar{"trace_id", "b"}.at(inf));
    const std::string out = vitals::to_openmetrics(reg);
    CHECK_FALSE(contains(out, " # {"));
    CHECK_FALSE(contains(out, "Inf\n"));
    CHECK(vitals::exemplars_dropped() - before == 1u);
    CHECK(h.count() == 1u);
}

TEST_CASE("exemplar: a refused increment or a NaN observation records none") {
    vitals::registry reg;
    auto& c = reg.counter("c", "C.");
    c.inc(-1, vitals::exemplar{"trace_id", "neg"});
    auto& h = reg.histogram("h", "H.", {1.0});
    h.observe(std::numeric_limits<double>::quiet_NaN(), vitals::exemplar{"trace_id", "nan"});
    const std::string out = vitals::to_openmetrics(reg);
    CHECK_FALSE(contains(out, "trace_id"));
    CHECK(c.value() == 0.0);
    CHECK(h.count() == 0);
}

TEST_CASE("exemplar: an increment refused because the total would overflow records none") {
    vitals::registry reg;
    auto& c = reg.counter("c", "C.");
    const double max = std::numeric_limits<double>::max();
    c.inc(max, vitals::exemplar{"trace_id", "first"}.at(1));
    const std::uint64_t rejected = vitals::rejected_writes();
    c.inc(max, vitals::exemplar{"trace_id", "refused"}.at(2)); // the total would be +Inf
    CHECK(vitals::rejected_writes() - rejected == 1u);
    CHECK(c.value() == max);
    const std::string out = vitals::to_openmetrics(reg);
    CHECK(contains(out, "trace_id=\"first\""));
    CHECK_FALSE(contains(out, "refused"));
}

TEST_CASE("exemplar: the latest per bucket; each bucket keeps its own") {
    vitals::registry reg;
    auto& h = reg.histogram("h", "H.", {1.0, 2.0});
    h.observe(0.5, vitals::exemplar{"trace_id", "first"}.at(10));
    h.observe(0.6, vitals::exemplar{"trace_id", "second"}.at(11));
    h.observe(1.5, vitals::exemplar{"trace_id", "middle"}.at(12));
    const std::string out = vitals::to_openmetrics(reg);
    CHECK(contains(out, "h_bucket{le=\"1.0\"} 2 # {trace_id=\"second\"} 0.6 11\n"));
    CHECK(contains(out, "h_bucket{le=\"2.0\"} 3 # {trace_id=\"middle\"} 1.5 12\n"));
    CHECK(contains(out, "h_bucket{le=\"+Inf\"} 3\n"));
    CHECK_FALSE(contains(out, "first"));
}

TEST_CASE("exemplar: the recording time is the system clock's second unless at() gives one") {
    vitals::registry reg;
    auto& c = reg.counter("c", "C.");
    const double before = vitals::system_unix_time();
    c.inc(1, vitals::exemplar{"trace_id", "t"});
    const double after = vitals::system_unix_time();
    const std::string out = vitals::to_openmetrics(reg);
    const std::size_t at = out.find("{trace_id=\"t\"} 1 ");
    REQUIRE(at != std::string::npos);
    const double ts = std::stod(out.substr(at + 17));
    // Whole seconds (std::time). Linux serves time() from the coarse clock, which may lag the
    // precise one by a tick, so near a second boundary it can still read the previous second.
    CHECK(ts >= std::floor(before) - 1);
    CHECK(ts <= after);
    CHECK(ts == std::floor(ts));
}

TEST_CASE("exemplar: a removed and re-added series starts without one") {
    vitals::registry reg;
    auto& fam = reg.counter("c", "C.", {"k"});
    fam.labels("a").inc(1, vitals::exemplar{"trace_id", "old"});
    auto& h = reg.histogram("h", "H.", {"k"}, {1.0});
    h.labels("a").observe(0.5, vitals::exemplar{"trace_id", "old"});
    CHECK(fam.remove("a"));
    CHECK(h.remove("a"));
    fam.labels("a").inc();
    h.labels("a").observe(0.5);
    CHECK_FALSE(contains(vitals::to_openmetrics(reg), "old"));
    fam.labels("a").inc(1, vitals::exemplar{"trace_id", "new"});
    CHECK(contains(vitals::to_openmetrics(reg), "{trace_id=\"new\"}"));
}

TEST_CASE("exemplar: standalone metrics take exemplars too (nothing shows them)") {
    vitals::counter c;
    c.inc(2, vitals::exemplar{"trace_id", "x"});
    CHECK(c.value() == 2.0);
    vitals::histogram h{1.0};
    h.observe(0.5, vitals::exemplar{"trace_id", "x"});
    CHECK(h.count() == 1);
}

TEST_CASE("exemplar: a cell whose sequence number wraps past 2^32 still shows its exemplar") {
    // 0 means "never written"; the sequence must skip it when it wraps, or the latest
    // exemplar reads as none (and an invalid one would be counted again).
    vitals::detail::exemplar_cell_of<vitals::detail::small_exemplar_capacity> cell;
    const vitals::exemplar e{"trace_id", "abc"};
    const std::size_t n = vitals::detail::encoded_exemplar_size(e);
    REQUIRE(n == 24);
    char out[vitals::detail::exemplar_capacity];
    double v = 0, ts = 0;
    std::uint32_t recorded = 0, version = 0;
    for (const bool owned : {true, false}) {
        CAPTURE(owned);
        cell.seq.store(0xFFFFFFFEu); // as after 2^31 - 1 writes
        if (owned)
            cell.write_owned(e, n, 2.5, 3.0, 4, 0);
        else
            cell.write_shared(e, n, 2.5, 3.0, 4, 0);
        CHECK(cell.seq.load() == 2);
        CHECK(cell.read(out, v, ts, recorded, &version) == n);
        CHECK(v == 2.5);
        CHECK(ts == 3.0);
        CHECK(recorded == 4);
        CHECK(version == 2);
        CHECK(std::string(out + 8, 8) == "trace_id");
    }
}

TEST_CASE("exemplar: a recorded exemplar holds exactly its labels' bytes, of any lengths") {
    // Texts are stored a word at a time, the last word from loads that end at the text's end
    // (value_head() of the bytes before them): the cell must read back every byte, whatever each
    // text's length (a tail of 1 to 7 bytes, in a text shorter or longer than a word, empty), zeros
    // after the last byte, and nothing read past any text (ASan sees a heap text's end).
    std::mt19937_64 rng(20261202);
    std::string pool(400, 'x');
    for (char& c : pool) c = static_cast<char>(rng());
    int recorded = 0;
    for (int round = 0; round < 3000; ++round) {
        const auto below = [&](std::size_t n) { return static_cast<std::size_t>(rng() % n); };
        const std::size_t labels = 1 + below(5);
        std::vector<std::string> texts; // each its own allocation, ending where its text ends
        for (std::size_t i = 0; i < 2 * labels; ++i)
            texts.push_back(pool.substr(below(100), below(round % 7 == 0 ? 300 : 40)));
        std::vector<vitals::exemplar_label> list;
        for (std::size_t i = 0; i < labels; ++i) list.push_back({texts[2 * i], texts[2 * i + 1]});
        const vitals::exemplar e(list.data(), list.size());
        // The encoding written out byte by byte: per label a word of lengths (the name's in
        // its low 16 bits, the value's in the next 16), then the name and the value, each
        // zero-padded to a whole word; none past exemplar_capacity.
        std::string expected;
        for (const auto& l : list) {
            const std::uint64_t lengths = l.name.size() | std::uint64_t{l.value.size()} << 16;
            char word[8];
            std::memcpy(word, &lengths, 8);
            expected.append(word, 8);
            for (const std::string_view text : {l.name, l.value}) {
                expected.append(text.data(), text.size());
                expected.append((8 - text.size() % 8) % 8, '\0');
            }
        }
        const std::size_t n =
            expected.size() <= vitals::detail::exemplar_capacity ? expected.size() : 0;
        vitals::detail::exemplar_slots slots;
        const std::uint64_t dropped = vitals::exemplars_dropped();
        slots.record(vitals::detail::current_thread_state(), 0, 1, 1.5, e);
        char got[vitals::detail::exemplar_capacity];
        double v = 0, ts = 0;
        const vitals::detail::exemplar_cell* cell = nullptr;
        const std::size_t read = slots.read_latest(0, got, v, ts, &cell);
        if (n == 0) { // too long to store: dropped and counted, no cell made
            CHECK(vitals::exemplars_dropped() == dropped + 1);
            CHECK(read == 0);
            CHECK(cell == nullptr);
            continue;
        }
        ++recorded;
        REQUIRE(cell != nullptr);
        REQUIRE(read == n);
        CHECK(std::string(got, n) == expected);
        CHECK(v == 1.5);
        // A cell only as big as the exemplar needs: the small one up to its capacity.
        CHECK(cell->capacity == (n <= vitals::detail::small_exemplar_capacity
                                     ? vitals::detail::small_exemplar_capacity
                                     : vitals::detail::exemplar_capacity));
    }
    CHECK(recorded > 2000);
}

TEST_CASE("exemplar: one of 64 labels and 128 characters, some of 4 bytes, is shown") {
    // 64 labels: the most valid_exemplar() takes; each takes a word of lengths and its
    // texts' padding in a cell besides its bytes.
    std::vector<std::string> names, values;
    for (int i = 0; i < 64; ++i) {
        names.push_back(std::string(1, static_cast<char>('a' + i % 26)) +
                        (i >= 26 ? std::string(1, static_cast<char>('a' + i / 26)) : ""));
        values.push_back(i < 26 ? "\xF0\x9F\x98\x80" : ""); // U+1F600, one character
    }
    std::size_t chars = 0;
    std::vector<vitals::exemplar_label> list;
    for (std::size_t i = 0; i < 64; ++i) {
        list.push_back({names[i], values[i]});
        chars += names[i].size() + (values[i].empty() ? 0 : 1);
    }
    REQUIRE(chars == 128);
    vitals::registry reg;
    auto& c = reg.counter("c", "C.");
    const std::uint64_t dropped = vitals::exemplars_dropped();
    c.inc(1, vitals::exemplar(list.data(), list.size()).at(5));
    const std::string out = vitals::to_openmetrics(reg);
    CHECK(vitals::exemplars_dropped() == dropped);
    CHECK(contains(out, "c_total 1 # {a=\"\xF0\x9F\x98\x80\",b=\""));
    CHECK(contains(out, ",lc=\"\"} 1 5\n"));
}

TEST_CASE("exemplar: a longer exemplar takes the place of a short one, then a short one again") {
    vitals::registry reg;
    auto& h = reg.histogram("h", "H.", {1.0});
    const std::string long_id(300, '7'); // too long for a small cell, but not for the rules
    h.observe(0.5, vitals::exemplar{"trace_id", "short"}.at(1));
    CHECK(contains(vitals::to_openmetrics(reg), "{trace_id=\"short\"} 0.5 1\n"));
    h.observe(0.5, vitals::exemplar{"t", long_id.substr(0, 127)}.at(2));
    CHECK(contains(vitals::to_openmetrics(reg), "{t=\"" + long_id.substr(0, 127) + "\"} 0.5 2\n"));
    h.observe(0.5, vitals::exemplar{"trace_id", "again"}.at(3));
    CHECK(contains(vitals::to_openmetrics(reg), "{trace_id=\"again\"} 0.5 3\n"));
    // Too long for the rules: counted when shown, not stored past a cell's end.
    const std::uint64_t dropped = vitals::exemplars_dropped();
    h.observe(0.5, vitals::exemplar{"t", long_id}.at(4));
    const std::string out = vitals::to_openmetrics(reg);
    CHECK_FALSE(contains(out, " # {"));
    CHECK(vitals::exemplars_dropped() == dropped + 1);
    // Too long for any cell, as a value or as a name: dropped and counted when recorded,
    // and the bucket shows nothing newer.
    const std::string huge(70000, 'x');
    h.observe(0.5, vitals::exemplar{"t", huge}.at(5));
    h.observe(0.5, vitals::exemplar{huge, "v"}.at(6));
    CHECK(vitals::exemplars_dropped() == dropped + 3);
    CHECK_FALSE(contains(vitals::to_openmetrics(reg), " # {"));
    CHECK(vitals::exemplars_dropped() == dropped + 3); // the stored invalid one counted once
    CHECK(h.count() == 6);
}

TEST_CASE("exemplar: of several threads' exemplars, a scrape shows the one recorded last") {
    // Each thread with a slot writes cells of its own; the scrape picks the one recorded last,
    // by the system clock's second, whatever timestamp at() gave: one given in milliseconds by
    // mistake, or an infinite one, hides nothing recorded after it.
    vitals::registry reg;
    auto& h = reg.histogram("h", "H.", {1.0});
    auto& c = reg.counter("c", "C.");
    std::thread holder; // keeps its slot, and its cells, until released
    std::atomic<bool> release{false};
    std::atomic<bool> recorded{false};
    holder = std::thread([&] {
        h.observe(0.5, vitals::exemplar{"trace_id", "holder"}.at(1.7e12));
        c.inc(1,
              vitals::exemplar{"trace_id", "holder"}.at(std::numeric_limits<double>::infinity()));
        recorded = true;
        while (!release.load()) std::this_thread::yield();
    });
    while (!recorded.load()) std::this_thread::yield();
    const std::uint64_t dropped = vitals::exemplars_dropped();
    std::string out = vitals::to_openmetrics(reg);
    CHECK(contains(out, "h_bucket{le=\"1.0\"} 1 # {trace_id=\"holder\"} 0.5 1700000000000\n"));
    CHECK(contains(out, "c_total 1\n"));
    CHECK(vitals::exemplars_dropped() == dropped + 1); // the infinite timestamp
    const std::time_t second = std::time(nullptr);
    while (std::time(nullptr) == second) std::this_thread::sleep_for(std::chrono::milliseconds(5));
    std::thread([&] {
        h.observe(0.5, vitals::exemplar{"trace_id", "later"}.at(10));
        c.inc(1, vitals::exemplar{"trace_id", "later"}.at(10));
    }).join();
    out = vitals::to_openmetrics(reg);
    CHECK(contains(out, "h_bucket{le=\"1.0\"} 2 # {trace_id=\"later\"} 0.5 10\n"));
    CHECK(contains(out, "c_total 2 # {trace_id=\"later\"} 1 10\n"));
    release = true;
    holder.join();
    // A reset hides every thread's exemplars, the cells of exited threads' slots included.
    h.reset();
    c.reset();
    out = vitals::to_openmetrics(reg);
    CHECK_FALSE(contains(out, " # {"));
    h.observe(0.5, vitals::exemplar{"trace_id", "after"}.at(5));
    CHECK(contains(vitals::to_openmetrics(reg), "{trace_id=\"after\"} 0.5 5\n"));
}

TEST_CASE("exemplar: the one recorded last is shown, whatever earlier timestamp at() gave it") {
    // at() may give the time of the event an exemplar points to (a request's start), which
    // need not grow from one exemplar to the next: the scrape ranks the cells by the second
    // they were recorded in, not by those timestamps.
    vitals::registry reg;
    auto& h = reg.histogram("h", "H.", {1.0});
    const double now = static_cast<double>(std::time(nullptr));
    h.observe(0.5, vitals::exemplar{"trace_id", "first"}.at(now - 10)); // this thread's cell
    const std::time_t second = std::time(nullptr);
    while (std::time(nullptr) == second) std::this_thread::sleep_for(std::chrono::milliseconds(5));
    std::thread([&] { // another slot's cell, recorded a second later
        h.observe(0.5, vitals::exemplar{"trace_id", "second"}.at(now - 100));
    })
        .join();
    CHECK(contains(vitals::to_openmetrics(reg),
                   "h_bucket{le=\"1.0\"} 2 # {trace_id=\"second\"} 0.5 "));
}

TEST_CASE("exemplar: a copy keeps the timestamp at() gave") {
    vitals::registry reg;
    auto& c = reg.counter("c", "C.");
    const vitals::exemplar e = vitals::exemplar{"trace_id", "abc"}.at(7); // at() returns a
                                                                          // reference: a copy
    c.inc(1, e);
    CHECK(contains(vitals::to_openmetrics(reg), "c_total 1 # {trace_id=\"abc\"} 1 7\n"));
    const vitals::exemplar nan_copy =
        vitals::exemplar{"trace_id", "abc"}.at(std::numeric_limits<double>::quiet_NaN());
    CHECK_FALSE(shown(nan_copy));
}

TEST_CASE("exemplar: a copy of the one-label form holds its own label, not the original's") {
    // The one-label form keeps its label (two views) inside the object. A copy must refer to
    // its own: `exemplar{...}.at(t)` copies from a temporary that is gone by the next
    // statement. The original's storage is overwritten here to show where the copy reads.
    alignas(vitals::exemplar) unsigned char storage[sizeof(vitals::exemplar)];
    auto* original = new (storage) vitals::exemplar("trace_id", "abc");
    const vitals::exemplar copy(*original);
    original->~exemplar();
    std::memset(storage, 0, sizeof storage);
    REQUIRE(copy.size() == 1u);
    CHECK(copy.begin()->name == "trace_id");
    CHECK(copy.begin()->value == "abc");
    vitals::registry reg;
    reg.counter("c", "C.").inc(1, copy);
    CHECK(contains(vitals::to_openmetrics(reg), "c_total 1 # {trace_id=\"abc\"} 1 "));
}

TEST_CASE("exemplar: one of 90 labels, more than 64, within 128 characters is shown") {
    // Distinct names of one and two characters with empty values: the most labels 128
    // characters hold. Each takes 16 bytes in a cell, the most per character.
    std::vector<std::string> names;
    for (char ch = 'a'; ch <= 'z'; ++ch) names.emplace_back(1, ch);
    for (char ch = 'A'; ch <= 'Z'; ++ch) names.emplace_back(1, ch);
    names.emplace_back("_");
    for (int i = 0; names.size() < 90; ++i)
        names.push_back(std::string(1, static_cast<char>('a' + i / 26)) +
                        static_cast<char>('a' + i % 26));
    std::vector<vitals::exemplar_label> list;
    std::size_t chars = 0;
    for (const std::string& n : names) {
        list.push_back({n, ""});
        chars += n.size();
    }
    list.back().value = "\xF0\x9F\x98\x80"; // U+1F600: the 128th character
    REQUIRE(chars + 1 == 128);
    CHECK(shown(vitals::exemplar(list.data(), list.size())));
    // A 91st label makes 130 characters.
    list.push_back({"zz", ""});
    CHECK_FALSE(shown(vitals::exemplar(list.data(), list.size())));
    // And a repeated name among 90 is still found.
    list.pop_back();
    list[89].name = "aa";
    CHECK_FALSE(shown(vitals::exemplar(list.data(), list.size())));
}

TEST_CASE("exemplar: bytes that are not whole labels are not valid") {
    // As a cell holds a label: a word of lengths (name | value << 16), then each text from a
    // word boundary, zero-padded.
    const auto label = [](std::string_view name, std::string_view value) {
        std::string out(8 + (name.size() + 7) / 8 * 8 + (value.size() + 7) / 8 * 8, '\0');
        const std::uint64_t lengths = name.size() | std::uint64_t{value.size()} << 16;
        std::memcpy(&out[0], &lengths, 8);
        std::memcpy(&out[8], name.data(), name.size());
        std::memcpy(&out[8 + (name.size() + 7) / 8 * 8], value.data(), value.size());
        return out;
    };
    const auto valid = [](const std::string& bytes) {
        return vitals::detail::valid_exemplar(bytes.data(), bytes.size(), 5.0);
    };
    const std::string one = label("trace_id", "abc");
    CHECK(valid(one));
    CHECK(valid(one + label("span_id", "d")));
    CHECK_FALSE(valid(one.substr(0, one.size() - 8)));      // the value cut off
    CHECK_FALSE(valid(one + std::string(3, '\0')));         // bytes after the last label
    CHECK_FALSE(valid(one + label("x", "y").substr(0, 8))); // a word of lengths alone
    CHECK_FALSE(valid(std::string(8, '\0')));               // a label with an empty name
    CHECK_FALSE(valid(one + one));                          // the same name twice
    CHECK_FALSE(vitals::detail::valid_exemplar(one.data(), one.size(),
                                               std::numeric_limits<double>::quiet_NaN()));
}

TEST_CASE("exemplar: the -1 of a clock that could not be read is not shown as a timestamp") {
    // Every platform: tests/unit/exemplar_clock_step.cpp makes std::time() fail on glibc.
    using vitals::detail::shows_exemplar_timestamp;
    const std::uint32_t failed = static_cast<std::uint32_t>(std::time_t(-1));
    CHECK_FALSE(shows_exemplar_timestamp(-1.0, failed));
    CHECK(shows_exemplar_timestamp(-1.0, 1700000000));     // at(-1) while the clock read
    CHECK(shows_exemplar_timestamp(1700000000.0, failed)); // at() while the clock failed
    CHECK(shows_exemplar_timestamp(4294967295.0, failed)); // the clock's last second of 2^32
    CHECK(shows_exemplar_timestamp(0.0, 0));
}

TEST_CASE("exemplar: a write into a cell found mid-write is dropped, the other kept whole") {
    // What a signal handler that records finds when it interrupted its thread's own write
    // (and, with mingw-w64, a thread that exits and a new owner of its slot).
    vitals::detail::exemplar_cell_of<vitals::detail::small_exemplar_capacity> cell;
    const vitals::exemplar e{"trace_id", "abc"};
    const std::size_t n = vitals::detail::encoded_exemplar_size(e);
    cell.seq.store(1); // the interrupted write
    cell.write_owned(e, n, 1.0, 5.0, 5, 0);
    CHECK(cell.seq.load() == 1);
    CHECK(cell.size.load() == 0);
    cell.seq.store(2); // the interrupted write ends
    cell.write_owned(e, n, 1.0, 5.0, 5, 0);
    CHECK(cell.seq.load() == 4);
    CHECK(cell.size.load() == n);
}
