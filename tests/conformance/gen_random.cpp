// tests/conformance/gen_random.cpp - builds a random registry from a seed and writes its
// text 0.0.4 and OpenMetrics expositions with what a parser must find in them, for
// check_random.py (run_random.sh).
//
//   gen_random --seed N --out PREFIX [--trace]
//
// Writes PREFIX.txt (text 0.0.4), PREFIX.om (OpenMetrics 1.0.0) and PREFIX.jsonl, one JSON
// object per line whose "k" says what it is (check_random.py reads them):
//   family   {fmt: "text"|"om", name, type, help[, unit]}: a family the parser must find;
//   sample   {fmt, name, labels, value[, le][, int]}: a sample; `le` (the bound as %.17g, or
//            "+Inf") is added to the labels by the checker, which knows how each format
//            spells it; `int` marks an exact whole number (written without a point);
//   created  {name, labels, t}: an OpenMetrics `_created` sample for creation time t;
//   exemplar {of, labels[, le], ex_labels, ex_value, ex_ts}: the exemplar of a sample;
//   problem  {text}: something this program found wrong itself.
// Expectations are computed here from the operations given to vitals, by a model of the
// rules README states (names, refused writes, series bounds, exemplars, invalid UTF-8 shown
// as U+FFFD, byte by byte), never read back from the exposition. What the model says vitals
// must refuse (a registration, a collector's family or sample) is checked to be refused with
// the expected error code. The model is also checked against vitals' own counts
// (rejected_writes(), exemplars_dropped()) and every output form (to_text(), write_text()
// into a string, through a sink with a small random buffer, through a callable) must write
// the same bytes. A seed makes the same registry with any compiler: every random draw is a
// statement of its own (the order in which operands and arguments are evaluated is not
// specified). Collectors also write samples before their first family() (dropped, never added
// to the family another collector left open) and throw after their last call (counted in
// collector_failure_count(), what they wrote kept). The clock behind `_created` gives each
// operation a time of its own, ordinary or hostile (NaN, infinite, negative, past 2^52, about to
// round up to the next second). SPDX-License-Identifier: MIT
#include <vitals/vitals.hpp>

#include "json_string.hpp"

#include <algorithm>        // sort
#include <cmath>            // fabs, isnan, isinf, isfinite, floor, nextafter, pow
#include <cstdint>          // uint64_t, uint32_t
#include <cstdio>           // FILE, fopen, fwrite, fprintf, snprintf
#include <cstdlib>          // strtoull
#include <cstring>          // strcmp, memcpy, strlen
#include <initializer_list> // initializer_list
#include <iterator>         // advance
#include <limits>           // numeric_limits
#include <map>              // map
#include <memory>           // unique_ptr
#include <set>              // set
#include <stdexcept>        // runtime_error
#include <string>           // string
#include <utility>          // pair, index_sequence
#include <vector>           // vector

namespace {

using vitals::errc;
using vitals::metric_type;
using label_pairs = std::vector<std::pair<std::string, std::string>>;

constexpr double inf = std::numeric_limits<double>::infinity();
const double nan_value = std::numeric_limits<double>::quiet_NaN();
constexpr std::uint64_t u64_max = ~std::uint64_t{0};

bool g_trace = false;
std::vector<std::string> g_problems;
void problem(const std::string& text) {
    g_problems.push_back(text);
    if (g_trace) std::fprintf(stderr, "PROBLEM: %s\n", text.c_str());
}

// splitmix64: the same sequence on every platform and compiler (the standard distributions
// are not specified exactly).
class rng {
public:
    explicit rng(std::uint64_t seed) : s_(seed) {}
    std::uint64_t next() {
        std::uint64_t z = (s_ += 0x9e3779b97f4a7c15ULL);
        z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
        z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
        return z ^ (z >> 31);
    }
    std::size_t below(std::size_t n) { return n == 0 ? 0 : static_cast<std::size_t>(next() % n); }
    bool one_in(std::size_t n) { return below(n) == 0; }
    template <class T>
    const T& pick(const std::vector<T>& v) {
        return v[below(v.size())];
    }

private:
    std::uint64_t s_;
};

// ---------------------------------------------------------------------------------------
// Text helpers

std::string fmt_double(double v) {
    if (std::isnan(v)) return "NaN";
    if (std::isinf(v)) return v > 0 ? "+Inf" : "-Inf";
    char buf[40];
    std::snprintf(buf, sizeof buf, "%.17g", v);
    return buf;
}

std::string fmt_uint(std::uint64_t v) { return std::to_string(v); }

// Each byte that does not start a well-formed UTF-8 sequence (RFC 3629: no overlong form, no
// surrogate, nothing past U+10FFFF) becomes U+FFFD: README's "each invalid UTF-8 byte
// replaced by U+FFFD". Written from the RFC, not from vitals' utf8.hpp.
std::string shown(const std::string& s) {
    static const std::uint32_t min_code_point[5] = {0, 0, 0x80, 0x800, 0x10000};
    std::string out;
    std::size_t i = 0;
    while (i < s.size()) {
        const auto b0 = static_cast<unsigned char>(s[i]);
        const std::size_t len = b0 < 0x80               ? 1
                                : (b0 & 0xE0u) == 0xC0u ? 2
                                : (b0 & 0xF0u) == 0xE0u ? 3
                                : (b0 & 0xF8u) == 0xF0u ? 4
                                                        : 0;
        bool ok = len != 0 && i + len <= s.size();
        std::uint32_t cp = 0;
        if (ok) cp = len == 1 ? b0 : b0 & (0x7Fu >> len);
        for (std::size_t k = 1; ok && k < len; ++k) {
            const auto b = static_cast<unsigned char>(s[i + k]);
            ok = (b & 0xC0u) == 0x80u;
            cp = (cp << 6) | (b & 0x3Fu);
        }
        ok = ok && cp >= min_code_point[len] && cp <= 0x10FFFF && !(cp >= 0xD800 && cp <= 0xDFFF);
        if (ok) {
            out.append(s, i, len);
            i += len;
        } else {
            out += "\xEF\xBF\xBD";
            ++i;
        }
    }
    return out;
}

bool valid_utf8(const std::string& s) { return shown(s) == s; }

std::size_t code_points(const std::string& s) { // of valid UTF-8
    std::size_t n = 0;
    for (char c : s) n += (static_cast<unsigned char>(c) & 0xC0u) != 0x80u;
    return n;
}

bool ends_with(const std::string& s, const std::string& suffix) {
    return s.size() >= suffix.size() &&
           s.compare(s.size() - suffix.size(), suffix.size(), suffix) == 0;
}

// The Prometheus data model, as README states it.
bool is_alpha(char c) { return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z'); }
bool is_digit(char c) { return c >= '0' && c <= '9'; }
bool valid_metric_name(const std::string& n) {
    if (n.empty() || !(is_alpha(n[0]) || n[0] == '_' || n[0] == ':')) return false;
    if (n.compare(0, 2, "__") == 0) return false;
    for (char c : n)
        if (!(is_alpha(c) || is_digit(c) || c == '_' || c == ':')) return false;
    return true;
}
bool valid_label_name(const std::string& n) {
    if (n.empty() || !(is_alpha(n[0]) || n[0] == '_')) return false;
    if (n.compare(0, 2, "__") == 0) return false;
    for (char c : n)
        if (!(is_alpha(c) || is_digit(c) || c == '_')) return false;
    return true;
}

// ---------------------------------------------------------------------------------------
// Random inputs

double pow10(std::size_t k) { return std::pow(10.0, static_cast<double>(k)); }

// A double from the corners of the format (signed zeros, subnormals, the extremes, integers
// near 2^53 and 2^64, powers of ten where formatting switches notation) or an ordinary one.
double any_double(rng& r, bool nonfinite) {
    static const std::vector<double> corners = {0.0,
                                                -0.0,
                                                5e-324,
                                                -5e-324,
                                                2.2250738585072014e-308,
                                                2.2250738585072009e-308,
                                                1.7976931348623157e308,
                                                -1.7976931348623157e308,
                                                9007199254740991.0,
                                                9007199254740992.0,
                                                9007199254740994.0,
                                                -9007199254740993.0,
                                                9223372036854775808.0,
                                                18446744073709549568.0,
                                                18446744073709551616.0,
                                                4503599627370495.5,
                                                1e21,
                                                1e22,
                                                1e-7,
                                                0.1,
                                                0.3,
                                                1.0 / 3.0,
                                                0.1 + 0.2,
                                                1e16,
                                                123456789012345680.0,
                                                1e300,
                                                -1e-300,
                                                0.5,
                                                1.5,
                                                -2.5,
                                                1.0,
                                                2.0,
                                                -1.0,
                                                100000.0,
                                                999999.0,
                                                1e6,
                                                1048576.0,
                                                123456.7,
                                                999999.9999,
                                                1e-5,
                                                1e-4,
                                                0.000123,
                                                1e-320,
                                                1700000000.5,
                                                0.01,
                                                0.025,
                                                2.5,
                                                10.0};
    switch (r.below(9)) {
    case 0:
    case 1:
    case 2:
        return r.pick(corners);
    case 3: {
        std::uint64_t bits = r.next();
        double d;
        std::memcpy(&d, &bits, sizeof d);
        if (!std::isfinite(d) && !nonfinite) return 0.25;
        return d;
    }
    case 4: {
        const std::uint64_t bits = r.next();
        return static_cast<double>(bits >> r.below(64));
    }
    case 5: { // one draw per statement: the order of evaluation of operands and arguments is not
              // specified, and a seed must make the same registry whatever the compiler
        const double sign = r.one_in(2) ? -1.0 : 1.0;
        const double mantissa = static_cast<double>(r.below(100000));
        return sign * mantissa / pow10(r.below(9));
    }
    case 6:
        if (nonfinite) {
            const std::size_t k = r.below(3);
            return k == 0 ? inf : k == 1 ? -inf : nan_value;
        }
        return r.pick(corners);
    case 7: { // next to a corner
        const double c = r.pick(corners);
        const double d = std::nextafter(c, r.one_in(2) ? inf : -inf);
        return std::isfinite(d) || nonfinite ? d : c;
    }
    default:
        return static_cast<double>(r.below(2000)) - 1000.0;
    }
}

// Pieces of hostile strings: escapes, separators of the formats, control bytes, UTF-8 of
// every length (line separators, BOM, U+FFFD itself) and ill-formed sequences.
const std::vector<std::string>& pieces(bool invalid) {
    static const std::vector<std::string> valid = {"a",
                                                   "Z",
                                                   "0",
                                                   "9",
                                                   " ",
                                                   "_",
                                                   "-",
                                                   ".",
                                                   "/",
                                                   ":",
                                                   "\"",
                                                   "\\",
                                                   "\n",
                                                   "\r",
                                                   "\t",
                                                   std::string(1, '\0'),
                                                   "{",
                                                   "}",
                                                   ",",
                                                   "=",
                                                   "#",
                                                   " # ",
                                                   "} ",
                                                   "\\n",
                                                   "\\\"",
                                                   "\x7f",
                                                   "\x1f",
                                                   "\x1c",
                                                   "\x0b",
                                                   "\x0c",
                                                   "\xC3\xA9",
                                                   "\xE2\x82\xAC",
                                                   "\xF0\x9F\x98\x80",
                                                   "\xC2\x85",
                                                   "\xE2\x80\xA8",
                                                   "\xC2\xA0",
                                                   "\xEF\xBB\xBF",
                                                   "\xEF\xBF\xBD",
                                                   "\xF4\x8F\xBF\xBF",
                                                   "\xED\x9F\xBF",
                                                   "\xEE\x80\x80",
                                                   "le",
                                                   "+Inf",
                                                   "NaN",
                                                   "__overflow__",
                                                   "# EOF"};
    static const std::vector<std::string> all = [] {
        std::vector<std::string> v = valid;
        for (const char* s :
             {"\xFF", "\xFE", "\xC0\x80", "\xC1\xBF", "\xED\xA0\x80", "\xED\xBF\xBF",
              "\xF4\x90\x80\x80", "\xF5\x80\x80\x80", "\x80", "\xBF", "\xE2\x82", "\xF0\x9F\x98",
              "\xE0\x80\x80", "\xF0\x80\x80\x80", "\xC3"})
            v.push_back(s);
        return v;
    }();
    return invalid ? all : valid;
}

std::string hostile_string(rng& r, std::size_t max_pieces, bool invalid) {
    std::string s;
    const std::size_t n = r.below(max_pieces + 1);
    for (std::size_t i = 0; i < n; ++i) s += r.pick(pieces(invalid));
    if (r.one_in(12)) {
        const std::size_t run = r.below(300);
        s += std::string(run, static_cast<char>('a' + r.below(26)));
    }
    return s;
}

const char lower_upper[] = "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ";

std::string name_body(rng& r, std::size_t n, bool colon) {
    std::string s;
    for (std::size_t i = 0; i < n; ++i) {
        const std::size_t k = r.below(colon ? 66 : 65);
        s += k < 52   ? lower_upper[k]
             : k < 62 ? static_cast<char>('0' + (k - 52))
             : k < 65 ? '_'
                      : ':';
    }
    return s;
}

std::string random_metric_name(rng& r) {
    std::string s;
    const std::size_t first = r.below(55);
    s += first < 52 ? lower_upper[first] : first < 54 ? '_' : ':';
    const std::size_t len = r.one_in(20) ? 100 + r.below(150) : r.below(12);
    s += name_body(r, len, true);
    if (s.compare(0, 2, "__") == 0) s[1] = 'x';
    static const std::vector<std::string> suffixes = {
        "_total",   "_info",  "_count",       "_bucket",     "_sum", "_created",
        "_seconds", "_bytes", "_total_total", "_info_total", ":",    "_ratio"};
    if (r.one_in(3)) s += r.pick(suffixes);
    return s;
}

std::string random_label_name(rng& r) {
    if (r.one_in(25)) return "le";
    std::string s;
    const std::size_t first = r.below(53);
    s += first < 52 ? lower_upper[first] : '_';
    s += name_body(r, r.one_in(30) ? 100 + r.below(60) : r.below(8), false);
    if (s.compare(0, 2, "__") == 0) s[1] = 'y';
    return s;
}

std::string invalid_name(rng& r, bool label) {
    static const std::vector<std::string> bad = {"",         "0abc", "a-b",  "a.b", "a b",
                                                 "\xC3\xA9", "__x",  "__",   "a\n", "x{y}",
                                                 "9",        "a\"b", "\xFF", "a\\b"};
    if (label && r.one_in(3)) return "a:b";
    return r.pick(bad);
}

// ---------------------------------------------------------------------------------------
// The clock: each operation runs at a time of its own, so a `_created` tells which operation
// made its series. Per seed, times are ordinary or hostile (NaN, infinities, negative, past
// 2^52, a fraction that rounds up to the next second).

double g_now = 0.0;
double test_clock() noexcept { return g_now; }

class clock_plan {
public:
    explicit clock_plan(rng& r) : mode_(r.below(4)) {}
    void tick(rng& r) {
        ++step_;
        switch (mode_) {
        case 0: // whole seconds
            g_now = 1700000000.0 + static_cast<double>(step_);
            break;
        case 1: // microseconds, and fractions that round to the next second
            g_now = 1700000000.0 + static_cast<double>(step_) +
                    (r.one_in(4) ? 0.9999995 + static_cast<double>(r.below(5)) * 1e-7
                                 : static_cast<double>(r.below(1000000000)) / 1e9);
            break;
        case 2: // anything
            g_now =
                r.one_in(3) ? any_double(r, true) : 1e9 + static_cast<double>(r.below(1u << 30));
            break;
        default: {
            static const std::vector<double> edges = {0.0,
                                                      -0.0,
                                                      -1.5,
                                                      0.5,
                                                      4503599627370495.5,
                                                      4503599627370496.0,
                                                      4503599627370497.0,
                                                      1e300,
                                                      nan_value,
                                                      inf,
                                                      -inf,
                                                      5e-324,
                                                      0.0000004,
                                                      0.0000005,
                                                      0.0000015,
                                                      1.9999995,
                                                      2.0000005};
            g_now = r.pick(edges);
        }
        }
    }

private:
    std::size_t mode_;
    std::uint64_t step_ = 0;
};

// ---------------------------------------------------------------------------------------
// The model of a registry

struct exemplar_in {
    label_pairs labels;
    double value = 0.0;
    double ts = 0.0;
};

// An exemplar as README's rules judge it when shown.
bool exemplar_valid(const exemplar_in& e) {
    // README: a finite timestamp within about +/-9.2e15 s (Prometheus' int64 milliseconds).
    if (e.labels.empty() || !std::isfinite(e.ts) || std::fabs(e.ts) * 1000 >= 0x1p63) return false;
    std::size_t chars = 0;
    std::set<std::string> names;
    for (const auto& l : e.labels) {
        if (!valid_label_name(l.first) || !valid_utf8(l.second)) return false;
        // README: no NUL byte in a value (Prometheus' OpenMetrics parser fails a scrape over it).
        if (l.second.find('\0') != std::string::npos) return false;
        if (!names.insert(l.first).second) return false;
        chars += l.first.size() + code_points(l.second);
    }
    return chars <= 128;
}

// One that cannot be stored: no label, or more than a cell holds (exemplar.hpp's
// exemplar_capacity: per label a word of lengths, then name and value in whole words).
bool exemplar_unstorable(const exemplar_in& e) {
    if (e.labels.empty()) return true;
    std::size_t n = 0;
    for (const auto& l : e.labels) {
        if (l.first.size() > 2048 || l.second.size() > 2048) return true;
        n += 8 + (l.first.size() + 7) / 8 * 8 + (l.second.size() + 7) / 8 * 8;
    }
    return n > 2048;
}

struct series_model {
    bool visible = true;
    double created = 0.0;
    void* handle = nullptr; // the metric labels() returned for it
    // counter: lifetime total of the cell (VITALS_COMPACT: since the last reset), its zero
    std::uint64_t cell = 0, base = 0;
    double fraction = 0.0;
    double gauge = 0.0;
    std::vector<std::uint64_t> buckets;
    double sum_cell = 0.0, sum_base = 0.0;
    bool sum_has_base = false;
    std::uint64_t bits = 0;
    std::vector<exemplar_in> ex;
    std::vector<bool> has_ex;
};

struct family_model {
    metric_type type = metric_type::gauge;
    std::string name, help; // name as exposed (with _total / _info)
    std::vector<std::string> label_names;
    vitals::family_options opts;
    std::vector<double> bounds;
    std::vector<std::string> states;
    void* fam = nullptr; // vitals::family<Metric>*
    std::map<std::vector<std::string>, series_model> series;
    bool has_overflow_node = false, overflowed = false; // has_: made as the overflow series
    std::vector<std::vector<std::string>> pool;         // raw label values to look up
    std::size_t slots() const { return type == metric_type::histogram ? bounds.size() + 1 : 1; }
    std::string base() const {
        if (type == metric_type::counter) return name.substr(0, name.size() - 6);
        if (type == metric_type::info) return name.substr(0, name.size() - 5);
        return name;
    }
};

// The sample names a family takes (README: histogram `x` and counter `x_count` collide, and a
// counter or histogram `x` takes `x_created`; OpenMetrics' suffixes per type).
std::vector<std::string> reserved_names(const family_model& f) {
    const std::string b = f.base();
    switch (f.type) {
    case metric_type::counter:
        return {b, b + "_total", b + "_created"};
    case metric_type::info:
        return {b, b + "_info"};
    case metric_type::histogram:
        return {b, b + "_bucket", b + "_sum", b + "_count", b + "_created"};
    default:
        return {b};
    }
}

struct model {
    std::vector<std::unique_ptr<family_model>> families; // [0]: vitals_series_overflow_total
    std::uint64_t rejected = 0;                          // expected vitals::rejected_writes()
    std::uint64_t exemplars_dropped = 0;                 // expected vitals::exemplars_dropped()

    family_model& overflow_counter() { return *families[0]; }

    family_model* find(const std::string& name) {
        for (auto& f : families)
            if (f->name == name) return f.get();
        return nullptr;
    }
    std::set<std::string> reserved() const {
        std::set<std::string> out = {"vitals_collector_dropped", "vitals_exemplars_dropped_total",
                                     "vitals_exemplars_dropped",
                                     "vitals_exemplars_dropped_created"};
        for (const auto& f : families)
            for (auto& n : reserved_names(*f)) out.insert(n);
        return out;
    }
};

model g_model;

void init_series(series_model& s, const family_model& f) {
    s.buckets.assign(f.type == metric_type::histogram ? f.bounds.size() + 1 : 0, 0);
    s.ex.assign(f.slots(), exemplar_in{});
    s.has_ex.assign(f.slots(), false);
}

// A series shown again after remove() or clear(): at zero, with a new creation time.
void reset_series(series_model& s, const family_model& f) {
#if VITALS_COMPACT
    s.cell = 0;
    s.sum_cell = 0.0;
    s.sum_has_base = false;
#else
    // Per-thread cells are never written by a reset: their totals become the new zero
    // (README: "its _sum is then the difference from the total it had").
    s.base = s.cell;
    if (std::isfinite(s.sum_cell)) {
        s.sum_base = s.sum_cell;
    } else {
        s.sum_cell = 0.0;
        s.sum_base = 0.0;
    }
    s.sum_has_base = true;
#endif
    s.fraction = 0.0;
    s.gauge = 0.0;
    s.bits = 0;
    for (auto& b : s.buckets) b = 0;
    s.has_ex.assign(f.slots(), false);
}

series_model& show(series_model& s, const family_model& f) {
    if (!s.visible) {
        reset_series(s, f);
        s.created = g_now;
        s.visible = true;
    }
    return s;
}

series_model& create(family_model& f, const std::vector<std::string>& key) {
    series_model& s = f.series[key];
    init_series(s, f);
    s.created = g_now;
    s.visible = true;
    return s;
}

series_model& lookup(family_model& f, const std::vector<std::string>& raw);

void counter_add_whole(series_model& s, std::uint64_t n) {
    if (s.cell + n < s.cell) { // a cell never wraps around
        ++g_model.rejected;
        return;
    }
    s.cell += n;
}

void count_overflow(family_model& f) {
    counter_add_whole(lookup(g_model.overflow_counter(), {f.name}), 1);
}

series_model& overflow_node(family_model& f) {
    const std::vector<std::string> key(f.label_names.size(), "__overflow__");
    auto it = f.series.find(key);
    if (it != f.series.end()) return show(it->second, f);
    // README: made as the overflow series it takes no slot of max_series; a label set of
    // `__overflow__` values the program made itself keeps the slot it took.
    f.has_overflow_node = true;
    return create(f, key);
}

// labels(raw): README's "Each family holds at most max_series label sets", "values shown
// alike are one series", and the overflow rules.
series_model& lookup(family_model& f, const std::vector<std::string>& raw) {
    std::vector<std::string> key;
    for (const auto& v : raw) key.push_back(shown(v));
    auto it = f.series.find(key);
    if (it != f.series.end()) return show(it->second, f);
    if (f.overflowed) {
        auto o = f.series.find(std::vector<std::string>(f.label_names.size(), "__overflow__"));
        if (o != f.series.end() && o->second.visible) {
            count_overflow(f);
            return o->second;
        }
    }
    bool too_long = false;
    for (const auto& v : key) too_long = too_long || v.size() > f.opts.max_label_value_bytes;
    if (too_long) {
        series_model& o = overflow_node(f);
        count_overflow(f);
        return o;
    }
    if (f.series.size() - (f.has_overflow_node ? 1 : 0) < f.opts.max_series) return create(f, key);
    f.overflowed = true;
    series_model& o = overflow_node(f);
    count_overflow(f);
    return o;
}

bool counter_add(series_model& s, double a) {
    if (!(a >= 0.0) || !std::isfinite(a)) {
        ++g_model.rejected;
        return false;
    }
    if (a < 9007199254740992.0 && a == std::floor(a)) {
        const std::uint64_t before = s.cell;
        counter_add_whole(s, static_cast<std::uint64_t>(a));
        return s.cell != before || a == 0.0;
    }
    const double next = s.fraction + a;
    if (std::isinf(next)) {
        ++g_model.rejected;
        return false;
    }
    s.fraction = next;
    return true;
}

void record_exemplar(series_model& s, std::size_t slot, const exemplar_in& e) {
    if (exemplar_unstorable(e)) {
        ++g_model.exemplars_dropped;
        return;
    }
    s.ex[slot] = e;
    s.has_ex[slot] = true;
}

std::size_t bucket_of(const family_model& f, double v) {
    std::size_t i = 0;
    while (i < f.bounds.size() && !(v <= f.bounds[i])) ++i;
    return i;
}

// ---------------------------------------------------------------------------------------
// Registration

struct definition {
    metric_type type = metric_type::gauge;
    std::string name, help;
    std::vector<std::string> label_names;
    vitals::family_options opts;
    std::vector<double> bounds;
    std::vector<std::string> states;
};

std::string full_name(const definition& d) {
    std::string n = d.name;
    if (d.type == metric_type::counter && !ends_with(n, "_total")) n += "_total";
    if (d.type == metric_type::info && !ends_with(n, "_info")) n += "_info";
    return n;
}

bool unit_fits(metric_type type, const std::string& full, const std::string& unit) {
    if (type == metric_type::info || type == metric_type::stateset) return false;
    for (char c : unit)
        if (!(is_alpha(c) || is_digit(c) || c == '_' || c == ':')) return false;
    std::string base = full;
    if (type == metric_type::counter) base.resize(base.size() - 6);
    return base.size() > unit.size() + 1 && ends_with(base, "_" + unit);
}

bool buckets_valid(const std::vector<double>& b) {
    if (b.empty()) return false;
    for (std::size_t i = 0; i < b.size(); ++i)
        if (!std::isfinite(b[i]) || (i > 0 && !(b[i] > b[i - 1]))) return false;
    return true;
}

bool same_definition(const family_model& f, const definition& d) {
    if (f.type != d.type || f.help != d.help || f.label_names != d.label_names ||
        f.opts.const_labels != d.opts.const_labels || f.opts.max_series != d.opts.max_series ||
        f.opts.max_label_value_bytes != d.opts.max_label_value_bytes ||
        f.opts.unit != d.opts.unit || f.states != d.states || f.bounds.size() != d.bounds.size())
        return false;
    for (std::size_t i = 0; i < f.bounds.size(); ++i)
        if (!(f.bounds[i] == d.bounds[i])) return false;
    return true;
}

// What README says registering `d` gives: ok, or the error code, checked in the order the
// checks are documented to run (a name, then its suffix, unit, states, labels, options,
// buckets, then the registry's other families).
errc predict_registration(const definition& d, family_model** same) {
    *same = nullptr;
    if (!valid_metric_name(d.name)) return errc::invalid_metric_name;
    const std::string full = full_name(d);
    if ((d.type == metric_type::counter && full == "_total") ||
        (d.type == metric_type::info && full == "_info") || !valid_metric_name(full))
        return errc::invalid_metric_name;
    if (d.type == metric_type::histogram && full == "_") // would write `__bucket`
        return errc::invalid_metric_name;
    if (!d.opts.unit.empty() && !unit_fits(d.type, full, d.opts.unit))
        return errc::invalid_argument;
    if (d.type == metric_type::stateset) {
        if (!valid_label_name(full)) return errc::invalid_metric_name;
        for (const auto& l : d.label_names)
            if (l == full) return errc::duplicate_label_name;
        for (const auto& cl : d.opts.const_labels)
            if (cl.first == full) return errc::duplicate_label_name;
        if (d.states.empty() || d.states.size() > 64) return errc::invalid_argument;
        std::set<std::string> seen;
        for (const auto& st : d.states)
            if (st.empty() || !seen.insert(shown(st)).second) return errc::invalid_argument;
        // A state is a label value: README's bound on label values, measured as shown.
        for (const auto& st : d.states)
            if (d.opts.max_label_value_bytes != 0 &&
                shown(st).size() > d.opts.max_label_value_bytes)
                return errc::invalid_argument;
    }
    std::vector<std::string> seen;
    const auto check = [&](const std::string& n) {
        if (!valid_label_name(n) || (d.type == metric_type::histogram && n == "le"))
            return errc::invalid_label_name;
        for (const auto& s : seen)
            if (s == n) return errc::duplicate_label_name;
        seen.push_back(n);
        return errc::ok;
    };
    for (const auto& l : d.label_names)
        if (errc e = check(l); e != errc::ok) return e;
    for (const auto& cl : d.opts.const_labels)
        if (errc e = check(cl.first); e != errc::ok) return e;
    if (d.opts.max_series == 0 || d.opts.max_label_value_bytes == 0) return errc::invalid_argument;
    for (const auto& cl : d.opts.const_labels)
        if (shown(cl.second).size() > d.opts.max_label_value_bytes) return errc::invalid_argument;
    if (d.type == metric_type::histogram && !buckets_valid(d.bounds)) return errc::invalid_buckets;
    if (family_model* f = g_model.find(full)) {
        if (!same_definition(*f, d)) return errc::conflicting_registration;
        *same = f;
        return errc::ok;
    }
    family_model probe;
    probe.type = d.type;
    probe.name = full;
    const std::set<std::string> taken = g_model.reserved();
    for (const auto& n : reserved_names(probe))
        if (taken.count(n)) return errc::name_collision;
    return errc::ok;
}

template <class Metric, class Result>
void* family_of(const Result& r, errc& code) {
    code = r.ok() ? errc::ok : r.error().code();
    return r.ok() ? static_cast<void*>(&r.value()) : nullptr;
}

void* register_family(vitals::registry& reg, const definition& d, errc& code) {
    switch (d.type) {
    case metric_type::counter:
        return family_of<vitals::counter>(reg.try_counter(d.name, d.help, d.label_names, d.opts),
                                          code);
    case metric_type::gauge:
        return family_of<vitals::gauge>(reg.try_gauge(d.name, d.help, d.label_names, d.opts), code);
    case metric_type::histogram:
        return family_of<vitals::histogram>(
            reg.try_histogram(d.name, d.help, d.label_names, d.bounds, d.opts), code);
    case metric_type::info:
        return family_of<vitals::info>(reg.try_info(d.name, d.help, d.label_names, d.opts), code);
    case metric_type::stateset:
        break;
    }
    return family_of<vitals::stateset>(
        reg.try_stateset(d.name, d.help, d.label_names, d.states, d.opts), code);
}

// The unlabelled forms (reg.try_counter(name, help) ...): the series made at registration.
void* register_single(vitals::registry& reg, const definition& d, errc& code) {
    switch (d.type) {
    case metric_type::counter:
        return family_of<vitals::counter>(reg.try_counter(d.name, d.help), code);
    case metric_type::gauge:
        return family_of<vitals::gauge>(reg.try_gauge(d.name, d.help), code);
    case metric_type::histogram:
        return family_of<vitals::histogram>(reg.try_histogram(d.name, d.help, d.bounds), code);
    default:
        break;
    }
    return family_of<vitals::stateset>(reg.try_stateset(d.name, d.help, d.states), code);
}

const char* errc_name(errc e) {
    switch (e) {
    case errc::ok:
        return "ok";
    case errc::invalid_metric_name:
        return "invalid_metric_name";
    case errc::invalid_label_name:
        return "invalid_label_name";
    case errc::duplicate_label_name:
        return "duplicate_label_name";
    case errc::invalid_buckets:
        return "invalid_buckets";
    case errc::invalid_argument:
        return "invalid_argument";
    case errc::conflicting_registration:
        return "conflicting_registration";
    case errc::name_collision:
        return "name_collision";
    case errc::label_count_mismatch:
        return "label_count_mismatch";
    default:
        return "other";
    }
}

const char* type_word(metric_type t) {
    switch (t) {
    case metric_type::counter:
        return "counter";
    case metric_type::gauge:
        return "gauge";
    case metric_type::histogram:
        return "histogram";
    case metric_type::info:
        return "info";
    case metric_type::stateset:
        break;
    }
    return "stateset";
}

std::vector<double> random_bounds(rng& r) {
    std::vector<double> b;
    const std::size_t n = r.one_in(6) ? 17 + r.below(30) : 1 + r.below(12);
    const std::size_t style = r.below(4);
    if (style == 0) {
        b = vitals::default_buckets();
    } else if (style == 1) {
        const double start = any_double(r, false);
        b = vitals::exponential_buckets(start, 1.0 + static_cast<double>(r.below(20)) / 4.0, n);
    } else if (style == 2) {
        const double start = any_double(r, false);
        b = vitals::linear_buckets(start, static_cast<double>(1 + r.below(100)) / 8.0, n);
    } else {
        for (std::size_t i = 0; i < n; ++i) b.push_back(any_double(r, false));
    }
    // Sorted and distinct, unless a later defect says otherwise; -0.0 and 0.0 kept as one.
    std::vector<double> clean;
    for (double v : b)
        if (std::isfinite(v)) clean.push_back(v);
    std::sort(clean.begin(), clean.end());
    std::vector<double> out;
    for (double v : clean)
        if (out.empty() || v > out.back()) out.push_back(v);
    if (out.empty()) out.push_back(1.0);
    return out;
}

definition random_definition(rng& r, std::vector<std::string>* note) {
    definition d;
    d.type = static_cast<metric_type>(r.below(5));
    d.name = random_metric_name(r);
    d.help = r.one_in(8) ? "" : hostile_string(r, 8, r.one_in(3));
    const std::size_t nl = r.below(4);
    for (std::size_t i = 0; i < nl; ++i) d.label_names.push_back(random_label_name(r));
    if (r.one_in(4)) {
        const std::size_t nc = 1 + r.below(2);
        for (std::size_t i = 0; i < nc; ++i) {
            std::string name = random_label_name(r);
            d.opts.const_labels.emplace_back(name, hostile_string(r, 4, true));
        }
    }
    if (r.one_in(4)) d.opts.max_series = 1 + r.below(4);
    if (r.one_in(6)) d.opts.max_label_value_bytes = 1 + r.below(40);
    if (d.type == metric_type::histogram) d.bounds = random_bounds(r);
    if (d.type == metric_type::stateset) {
        std::size_t ns = 1 + r.below(6);
        if (r.one_in(15)) ns = 64;
        for (std::size_t i = 0; i < ns; ++i) {
            std::string st = hostile_string(r, 3, r.one_in(4));
            if (st.empty()) st = "s";
            d.states.push_back(st + std::to_string(i));
        }
        // The name is the state label's name: no ':' (else a defect, below by chance).
        if (!r.one_in(10))
            for (auto& c : d.name)
                if (c == ':') c = '_';
    }
    // Drop accidental duplicates among the label names unless a defect wants them.
    std::vector<std::string> names;
    for (auto& l : d.label_names) {
        bool dup = l == "le" && d.type == metric_type::histogram;
        for (auto& n : names) dup = dup || n == l;
        if (d.type == metric_type::stateset && l == full_name(d)) dup = true;
        if (!dup) names.push_back(l);
    }
    d.label_names = names;
    label_pairs cls;
    for (auto& cl : d.opts.const_labels) {
        bool dup = cl.first == "le" && d.type == metric_type::histogram;
        for (auto& n : d.label_names) dup = dup || n == cl.first;
        for (auto& c : cls) dup = dup || c.first == cl.first;
        if (d.type == metric_type::stateset && cl.first == full_name(d)) dup = true;
        if (!dup && shown(cl.second).size() <= d.opts.max_label_value_bytes) cls.push_back(cl);
    }
    d.opts.const_labels = cls;
    // A unit that fits the name, sometimes.
    for (const char* u : {"seconds", "bytes", "ratio"}) {
        std::string base = full_name(d);
        if (d.type == metric_type::counter) base.resize(base.size() - 6);
        if (ends_with(base, std::string("_") + u) && base.size() > std::strlen(u) + 1 &&
            d.type != metric_type::info && d.type != metric_type::stateset && r.one_in(2))
            d.opts.unit = u;
    }
    // At most one defect, so that the expected error is the one README documents for it.
    switch (r.below(24)) {
    case 0:
        d.name = r.one_in(3) ? "__" + name_body(r, 3, true) : invalid_name(r, false);
        note->push_back("defect: name");
        break;
    case 1:
        d.name = r.one_in(2) ? "_" : (d.type == metric_type::counter ? "_total" : "_info");
        note->push_back("defect: bare suffix");
        break;
    case 2:
        d.label_names.push_back(invalid_name(r, true));
        note->push_back("defect: label name");
        break;
    case 3:
        if (d.label_names.empty()) {
            d.label_names.push_back("x");
            d.opts.const_labels.emplace_back("x", "1");
        } else {
            d.label_names.push_back(d.label_names[0]);
        }
        note->push_back("defect: repeated label name");
        break;
    case 4:
        d.label_names.push_back("le");
        note->push_back("defect: le");
        break;
    case 5: {
        static const std::vector<std::string> units = {"seconds", "",     "s-", "bytes:x",
                                                       "total",   "info", "x"};
        d.opts.unit = r.pick(units);
        if (d.opts.unit.empty()) d.opts.unit = name_body(r, 3, false);
        note->push_back("defect: unit");
        break;
    }
    case 6: {
        d.type = metric_type::histogram;
        const std::size_t k = r.below(5);
        if (k == 0)
            d.bounds.clear();
        else if (k == 1)
            d.bounds = {1.0, nan_value};
        else if (k == 2)
            d.bounds = {0.5, inf};
        else if (k == 3)
            d.bounds = {2.0, 1.0};
        else
            d.bounds = {1.0, 1.0};
        for (auto it = d.label_names.begin(); it != d.label_names.end();)
            it = *it == "le" ? d.label_names.erase(it) : it + 1;
        note->push_back("defect: buckets");
        break;
    }
    case 7: {
        if (d.type != metric_type::stateset) break;
        const std::size_t k = r.below(5);
        if (k == 0)
            d.states.clear();
        else if (k == 1)
            d.states.push_back("");
        else if (k == 2)
            d.states.push_back(d.states[0]);
        else if (k == 3)
            d.states = {"a\xFF", "a\xFE"}; // shown alike
        else
            for (std::size_t i = d.states.size(); i < 65; ++i)
                d.states.push_back("s" + std::to_string(i));
        note->push_back("defect: states");
        break;
    }
    case 8:
        if (d.type == metric_type::stateset) {
            d.label_names.push_back(full_name(d));
            note->push_back("defect: stateset label named like it");
        }
        break;
    case 9:
        if (r.one_in(2))
            d.opts.max_series = 0;
        else
            d.opts.max_label_value_bytes = 0;
        note->push_back("defect: zero bound");
        break;
    case 10:
        d.opts.max_label_value_bytes = 3;
        d.opts.const_labels.emplace_back("long_const", "four");
        note->push_back("defect: long const label");
        break;
    default:
        break;
    }
    return d;
}

// A name that collides with, or repeats, a registered family's.
void derive_name(rng& r, definition& d) {
    const auto& fams = g_model.families;
    const family_model& f = *fams[r.below(fams.size())];
    static const std::vector<std::string> suffixes = {"",     "_total",  "_created", "_count",
                                                      "_sum", "_bucket", "_info"};
    const std::size_t k = r.below(4);
    if (k == 0)
        d.name = f.name;
    else if (k == 1)
        d.name = f.base();
    else
        d.name = f.base() + r.pick(suffixes);
    if (r.one_in(2)) { // the same definition again, or one detail changed
        d.type = f.type;
        d.help = f.help;
        d.label_names = f.label_names;
        d.opts = f.opts;
        d.bounds = f.bounds;
        d.states = f.states;
        d.name = r.one_in(2) ? f.name : f.base();
        if (r.one_in(3)) d.help += "x";
    }
}

// ---------------------------------------------------------------------------------------
// Operations

template <class Metric>
vitals::family<Metric>& fam(family_model& f) {
    return *static_cast<vitals::family<Metric>*>(f.fam);
}

template <class Metric>
Metric& vitals_lookup(family_model& f, const std::vector<std::string>& raw) {
    return fam<Metric>(f).labels(raw);
}

void* vitals_lookup_any(family_model& f, const std::vector<std::string>& raw) {
    switch (f.type) {
    case metric_type::counter:
        return &vitals_lookup<vitals::counter>(f, raw);
    case metric_type::gauge:
        return &vitals_lookup<vitals::gauge>(f, raw);
    case metric_type::histogram:
        return &vitals_lookup<vitals::histogram>(f, raw);
    case metric_type::info:
        return &vitals_lookup<vitals::info>(f, raw);
    case metric_type::stateset:
        break;
    }
    return &vitals_lookup<vitals::stateset>(f, raw);
}

bool vitals_remove(family_model& f, const std::vector<std::string>& raw) {
    switch (f.type) {
    case metric_type::counter:
        return fam<vitals::counter>(f).remove(raw);
    case metric_type::gauge:
        return fam<vitals::gauge>(f).remove(raw);
    case metric_type::histogram:
        return fam<vitals::histogram>(f).remove(raw);
    case metric_type::info:
        return fam<vitals::info>(f).remove(raw);
    case metric_type::stateset:
        break;
    }
    return fam<vitals::stateset>(f).remove(raw);
}

void vitals_clear(family_model& f) {
    switch (f.type) {
    case metric_type::counter:
        return fam<vitals::counter>(f).clear();
    case metric_type::gauge:
        return fam<vitals::gauge>(f).clear();
    case metric_type::histogram:
        return fam<vitals::histogram>(f).clear();
    case metric_type::info:
        return fam<vitals::info>(f).clear();
    case metric_type::stateset:
        break;
    }
    return fam<vitals::stateset>(f).clear();
}

// labels() given a null C string: README says it is the empty value.
template <class Metric>
void* lookup_null(family_model& f) {
    return &fam<Metric>(f).labels(static_cast<const char*>(nullptr));
}

void* vitals_lookup_null(family_model& f) {
    switch (f.type) {
    case metric_type::counter:
        return lookup_null<vitals::counter>(f);
    case metric_type::gauge:
        return lookup_null<vitals::gauge>(f);
    case metric_type::histogram:
        return lookup_null<vitals::histogram>(f);
    case metric_type::info:
        return lookup_null<vitals::info>(f);
    case metric_type::stateset:
        break;
    }
    return lookup_null<vitals::stateset>(f);
}

template <class Metric>
errc try_labels_n(family_model& f, const std::vector<std::string>& v) {
    auto& fa = fam<Metric>(f);
    switch (v.size()) {
    case 0:
        return fa.try_labels().error().code();
    case 1:
        return fa.try_labels(v[0]).error().code();
    case 2:
        return fa.try_labels(v[0], v[1]).error().code();
    case 3:
        return fa.try_labels(v[0], v[1], v[2]).error().code();
    default:
        return fa.try_labels(v[0], v[1], v[2], v[3]).error().code();
    }
}

errc vitals_try_labels(family_model& f, const std::vector<std::string>& v) {
    switch (f.type) {
    case metric_type::counter:
        return try_labels_n<vitals::counter>(f, v);
    case metric_type::gauge:
        return try_labels_n<vitals::gauge>(f, v);
    case metric_type::histogram:
        return try_labels_n<vitals::histogram>(f, v);
    case metric_type::info:
        return try_labels_n<vitals::info>(f, v);
    case metric_type::stateset:
        break;
    }
    return try_labels_n<vitals::stateset>(f, v);
}

std::vector<std::string> random_values(rng& r, const family_model& f) {
    std::vector<std::string> v;
    for (std::size_t i = 0; i < f.label_names.size(); ++i) {
        std::string s = hostile_string(r, 5, r.one_in(3));
        if (r.one_in(30)) s = std::string(f.opts.max_label_value_bytes + r.below(3), 'v');
        if (r.one_in(40)) s = std::string(f.opts.max_label_value_bytes / 3 + 1, '\xFF');
        if (r.one_in(40)) s = "__overflow__";
        v.push_back(s);
    }
    return v;
}

// Values shown like `v` but given differently (invalid bytes swapped), when there are any.
std::vector<std::string> alike(const std::vector<std::string>& v) {
    std::vector<std::string> out = v;
    for (auto& s : out)
        for (auto& c : s)
            if (c == '\xFF') c = '\xFE';
    return out;
}

exemplar_in random_exemplar(rng& r, double value) {
    exemplar_in e;
    e.value = value;
    const std::size_t n = r.one_in(15) ? 0 : 1 + r.below(3);
    for (std::size_t i = 0; i < n; ++i) {
        std::string name = r.one_in(12) ? invalid_name(r, true) : random_label_name(r);
        if (r.one_in(15) && !e.labels.empty()) name = e.labels[0].first;
        std::string value_text = hostile_string(r, 6, r.one_in(6));
        if (r.one_in(6)) value_text = std::string(100 + r.below(40), 't'); // near 128 chars
        if (r.one_in(40)) value_text = std::string(2100, 'x');             // cannot be stored
        e.labels.emplace_back(name, value_text);
    }
    if (!e.labels.empty() && r.one_in(4)) { // 127, 128 or 129 characters: at the limit
        const std::size_t target = 127 + r.below(3);
        std::size_t chars = 0;
        for (const auto& l : e.labels) chars += l.first.size() + code_points(shown(l.second));
        const std::string pad = r.one_in(2) ? "p" : "\xE2\x82\xAC";
        for (; chars < target; ++chars) e.labels.back().second += pad;
    }
    const std::size_t k = r.below(7);
    // k == 2: either side of the largest timestamp Prometheus stores (int64 milliseconds).
    const double edge = r.one_in(2) ? 9223372036854774.0 : 9223372036854776.0;
    e.ts = k == 0   ? any_double(r, true)
           : k == 1 ? static_cast<double>(r.below(2000000000))
           : k == 2 ? (r.one_in(2) ? edge : -edge)
                    : 1700000000.0 + static_cast<double>(r.below(1000000)) / 1000.0;
    return e;
}

struct exemplar_view {
    std::vector<vitals::exemplar_label> labels;
    explicit exemplar_view(const exemplar_in& e) {
        for (const auto& l : e.labels) labels.push_back({l.first, l.second});
    }
};

// Checks that labels() gave the series the model expects: the one it gave for these labels
// before, and never one that the model holds for other labels.
std::map<void*, const series_model*> g_handle_owner;
void check_handle(series_model& s, void* handle, const family_model& f) {
    if (s.handle && s.handle != handle)
        problem("labels() of family " + f.name + " returned another series than before");
    auto it = g_handle_owner.find(handle);
    if (it != g_handle_owner.end() && it->second != &s)
        problem("labels() of family " + f.name +
                " returned a series the model holds for other labels");
    s.handle = handle;
    g_handle_owner[handle] = &s;
}

void trace(const char* fmt, const std::string& a, const std::string& b = "") {
    if (g_trace) std::fprintf(stderr, fmt, a.c_str(), b.c_str());
}

// One recording through the series `s` (the model) and `metric` (vitals).
void record(rng& r, family_model& f, series_model& s, void* metric) {
    switch (f.type) {
    case metric_type::counter: {
        auto& c = *static_cast<vitals::counter*>(metric);
        const std::size_t k = r.below(9);
        if (k == 0) {
            c.inc();
            counter_add_whole(s, 1);
        } else if (k == 8) { // to 0 .. 2 below 2^64 - 1, where whole increments carry
            const std::uint64_t room = u64_max - s.cell - r.below(3);
            const std::uint64_t n = room >> 63 ? (std::uint64_t{1} << 63) - 1 : room;
            c.inc_by(n);
            counter_add_whole(s, n);
        } else if (k == 1) {
            std::uint64_t n = r.below(1000);
            if (r.one_in(3)) {
                n = u64_max >> r.below(3);
                n -= r.below(3);
            }
            c.inc_by(n);
            if (n >> 63)
                ++g_model.rejected;
            else
                counter_add_whole(s, n);
        } else if (k == 2) {
            const long long n = static_cast<long long>(r.below(100)) - 50;
            c.inc_by(n);
            if (n < 0)
                ++g_model.rejected;
            else
                counter_add_whole(s, static_cast<std::uint64_t>(n));
        } else if (k == 3 || k == 4) {
            const double a = any_double(r, true);
            c.inc(a);
            counter_add(s, a);
        } else {
            const double a =
                r.one_in(2) ? any_double(r, true) : static_cast<double>(r.below(10)) / 4.0;
            const exemplar_in e = random_exemplar(r, a);
            const exemplar_view v(e);
            c.inc(a, vitals::exemplar(v.labels.data(), v.labels.size()).at(e.ts));
            if (counter_add(s, a)) record_exemplar(s, 0, e);
        }
        break;
    }
    case metric_type::gauge: {
        auto& g = *static_cast<vitals::gauge*>(metric);
        const double a = any_double(r, true);
        const std::size_t k = r.below(6);
        if (k == 0) {
            g.set(a);
            s.gauge = a;
        } else if (k == 1) {
            g.inc();
            s.gauge = s.gauge + 1.0;
        } else if (k == 2) {
            g.dec();
            s.gauge = s.gauge + -1.0;
        } else if (k == 3) {
            g.inc(a);
            s.gauge = s.gauge + a;
        } else if (k == 4) {
            g.dec(a);
            s.gauge = s.gauge + -a;
        } else {
            g.set(a);
            s.gauge = a;
        }
        break;
    }
    case metric_type::histogram: {
        auto& h = *static_cast<vitals::histogram*>(metric);
        const std::size_t n = 1 + r.below(5);
        for (std::size_t i = 0; i < n; ++i) {
            double v = any_double(r, true);
            if (r.one_in(3) && !f.bounds.empty()) { // on a bound, or one step beside it
                v = r.pick(f.bounds);
                if (r.one_in(2)) v = std::nextafter(v, r.one_in(2) ? inf : -inf);
            }
            const bool with_exemplar = r.one_in(3);
            const exemplar_in e = random_exemplar(r, v);
            const exemplar_view ev(e);
            if (with_exemplar)
                h.observe(v, vitals::exemplar(ev.labels.data(), ev.labels.size()).at(e.ts));
            else
                h.observe(v);
            if (!std::isfinite(v)) { // README: NaN and infinite observations are refused
                ++g_model.rejected;
                continue;
            }
            const std::size_t b = bucket_of(f, v);
            ++s.buckets[b];
            s.sum_cell = s.sum_cell + v;
            if (with_exemplar) record_exemplar(s, b, e);
        }
        break;
    }
    case metric_type::info:
        break;
    case metric_type::stateset: {
        auto& st = *static_cast<vitals::stateset*>(metric);
        std::string name = f.states[r.below(f.states.size())];
        if (r.one_in(6)) name = r.one_in(2) ? "no such state" : shown(name) + "\xFF";
        std::size_t index = f.states.size();
        for (std::size_t i = 0; i < f.states.size() && i < 64; ++i)
            if (f.states[i] == name) {
                index = i;
                break;
            }
        const bool value = r.one_in(3) ? false : true;
        const bool only = r.one_in(2);
        const bool ok = only ? st.set_only(name) : st.set(name, value);
        if (ok != (index < f.states.size()))
            problem("stateset " + f.name + ": set returned " + (ok ? "true" : "false"));
        if (index == f.states.size()) {
            ++g_model.rejected;
        } else if (only) {
            s.bits = std::uint64_t{1} << index;
        } else if (value) {
            s.bits |= std::uint64_t{1} << index;
        } else {
            s.bits &= ~(std::uint64_t{1} << index);
        }
        break;
    }
    }
}

void operate(rng& r, clock_plan& clock, vitals::registry& reg) {
    if (g_model.families.size() <= 1) return;
    family_model& f = *g_model.families[1 + r.below(g_model.families.size() - 1)];
    clock.tick(r);
    const std::size_t k = r.below(20);
    if (k < 13) { // look up and record
        std::vector<std::string> raw;
        if (f.pool.empty() || r.one_in(4)) {
            raw = random_values(r, f);
            f.pool.push_back(raw);
        } else {
            raw = r.pick(f.pool);
            if (r.one_in(5)) raw = alike(raw);
        }
        const bool null = f.label_names.size() == 1 && r.one_in(20);
        if (null) raw = {""};
        trace("lookup %s %s\n", f.name, std::to_string(raw.size()));
        series_model& s = lookup(f, raw);
        void* metric = null ? vitals_lookup_null(f) : vitals_lookup_any(f, raw);
        check_handle(s, metric, f);
        record(r, f, s, metric);
    } else if (k < 15) { // record through a handle kept from before (maybe removed since)
        if (f.series.empty()) return;
        auto it = f.series.begin();
        std::advance(it, static_cast<long>(r.below(f.series.size())));
        if (!it->second.handle) return;
        trace("kept handle %s%s\n", f.name);
        record(r, f, it->second, it->second.handle);
    } else if (k < 17) { // remove
        std::vector<std::string> raw =
            f.pool.empty() || r.one_in(4) ? random_values(r, f) : r.pick(f.pool);
        if (r.one_in(5)) raw = alike(raw);
        if (r.one_in(10)) raw.push_back("extra");
        if (r.one_in(10)) raw.assign(f.label_names.size(), "__overflow__");
        bool expect = false;
        if (raw.size() == f.label_names.size()) {
            std::vector<std::string> key;
            for (auto& v : raw) key.push_back(shown(v));
            auto it = f.series.find(key);
            if (it != f.series.end() && it->second.visible) {
                it->second.visible = false;
                expect = true;
            }
        }
        trace("remove %s%s\n", f.name);
        if (vitals_remove(f, raw) != expect)
            problem("remove() on " + f.name + " returned " + (expect ? "false" : "true"));
    } else if (k == 17) {
        trace("clear %s%s\n", f.name);
        vitals_clear(f);
        for (auto& s : f.series) s.second.visible = false;
    } else if (k == 18) {                            // a wrong number of values
        std::vector<std::string> v(r.below(5), "x"); // try_labels_n() passes up to 4
        if (v.size() == f.label_names.size()) v.resize(v.size() == 4 ? 3 : v.size() + 1, "y");
        const errc e = vitals_try_labels(f, v);
        if (e != errc::label_count_mismatch)
            problem("try_labels() with " + std::to_string(v.size()) + " values on " + f.name +
                    " gave " + errc_name(e));
    } else { // register it again, the same way
        definition d;
        d.type = f.type;
        d.name = f.base();
        if (r.one_in(2) || full_name(d) != f.name) d.name = f.name;
        d.help = f.help;
        d.label_names = f.label_names;
        d.opts = f.opts;
        d.bounds = f.bounds;
        d.states = f.states;
        errc code;
        void* again = register_family(reg, d, code);
        if (again != f.fam)
            problem("registering " + f.name + " again gave another family (" + errc_name(code) +
                    ")");
    }
}

void register_random(rng& r, clock_plan& clock, vitals::registry& reg) {
    std::vector<std::string> note;
    definition d = random_definition(r, &note);
    if (g_model.families.size() > 0 && r.one_in(5)) {
        derive_name(r, d);
        note.push_back("derived name");
    }
    if (r.one_in(30)) {
        static const std::vector<std::string> own = {
            "vitals_series_overflow",         "vitals_series_overflow_total",
            "vitals_collector_dropped",       "vitals_exemplars_dropped",
            "vitals_exemplars_dropped_total", "vitals_exemplars_dropped_created"};
        d.name = r.pick(own);
    }
    clock.tick(r);
    family_model* same = nullptr;
    const errc want = predict_registration(d, &same);
    const bool single = d.label_names.empty() && d.opts.const_labels.empty() &&
                        d.opts.max_series == vitals::family_options{}.max_series &&
                        d.opts.max_label_value_bytes == 2048 && d.opts.unit.empty() &&
                        d.type != metric_type::info && r.one_in(3);
    errc got = errc::ok;
    void* handle = single ? register_single(reg, d, got) : register_family(reg, d, got);
    std::string what = std::string(type_word(d.type)) + " '" + shown(d.name) + "'";
    for (auto& n : note) what += " [" + n + "]";
    trace("register %s -> %s\n", what, errc_name(want));
    if (got != want) {
        problem("registering " + what + ": expected " + errc_name(want) + ", got " +
                errc_name(got));
        return; // the model cannot follow a registration it did not predict
    }
    if (want != errc::ok) return;
    family_model* f = same;
    if (!f) {
        g_model.families.push_back(std::make_unique<family_model>());
        f = g_model.families.back().get();
        f->type = d.type;
        f->name = full_name(d);
        f->help = d.help;
        f->label_names = d.label_names;
        f->opts = d.opts;
        f->bounds = d.bounds;
        f->states = d.states;
        // README: an unlabelled family has its one series from the start.
        if (f->label_names.empty()) create(*f, {});
    }
    if (single) {
        // The series is made at registration; the family is the same registered with its
        // (empty) label names.
        series_model& s = lookup(*f, {});
        check_handle(s, handle, *f);
        errc code;
        f->fam = register_family(reg, d, code);
        if (!f->fam) {
            problem("the labelled form of single " + what + " failed: " + errc_name(code));
            g_model.families.pop_back();
        }
    } else if (same) {
        if (handle != same->fam) problem("registering " + what + " again gave another family");
    } else {
        f->fam = handle;
    }
}

// ---------------------------------------------------------------------------------------
// Collectors: a plan of families and samples, each with the status README says it gets.

struct collected_sample {
    int kind = 0; // 0 sample(), 1 histogram_sample(), 2 stateset_sample()
    double value = 0.0;
    label_pairs labels;
    std::vector<double> bounds;
    std::vector<std::uint64_t> cumulative;
    double sum = 0.0;
    std::vector<std::pair<std::string, bool>> states;
    errc expect = errc::ok;
};

struct collected_family {
    std::string name, help, unit, full;
    metric_type type = metric_type::gauge;
    errc expect = errc::ok;
    std::vector<collected_sample> samples;
};

struct collector_plan {
    // Samples written before the collector's first family(): dropped, whatever family the
    // collector that ran before it left open.
    std::vector<collected_sample> stray;
    std::vector<collected_family> families;
    bool throws = false; // throws after its last call, leaving its last family open
};

std::size_t g_collected_dropped = 0;

std::string base_of(metric_type type, const std::string& full) {
    if (type == metric_type::counter) return full.substr(0, full.size() - 6);
    if (type == metric_type::info) return full.substr(0, full.size() - 5);
    return full;
}

// A label set as Prometheus sees it: names and shown values, an empty value being no label.
std::map<std::string, std::string> label_set(const label_pairs& labels) {
    std::map<std::string, std::string> out;
    for (const auto& l : labels)
        if (!l.second.empty()) out[l.first] = shown(l.second);
    return out;
}

// Decides what each call of the plan gives, given the names registered families take.
void predict_collectors(std::vector<collector_plan>& plans) {
    std::set<std::string> taken = g_model.reserved();
    for (auto& plan : plans) {
        for (auto& s : plan.stray) {
            s.expect = errc::invalid_argument;
            ++g_collected_dropped;
        }
        for (auto& cf : plan.families) {
            const std::string suffix = cf.type == metric_type::counter ? "_total"
                                       : cf.type == metric_type::info  ? "_info"
                                                                       : "";
            cf.full = cf.name;
            if (!suffix.empty() && !ends_with(cf.name, suffix)) cf.full += suffix;
            const std::string base = cf.full.substr(0, cf.full.size() - suffix.size());
            std::vector<std::string> more;
            if (cf.type == metric_type::histogram)
                more = {base + "_bucket", base + "_sum", base + "_count", base + "_created"};
            if (cf.type == metric_type::counter) more = {base + "_created"};
            if (!valid_metric_name(cf.name))
                cf.expect = errc::invalid_metric_name;
            else if (!suffix.empty() && base.empty())
                cf.expect = errc::invalid_metric_name;
            else if (!valid_metric_name(cf.full))
                cf.expect = errc::invalid_metric_name;
            else if (cf.type == metric_type::histogram && cf.full == "_")
                cf.expect = errc::invalid_metric_name;
            else if (cf.type == metric_type::stateset && !valid_label_name(cf.full))
                cf.expect = errc::invalid_metric_name;
            else if (!cf.unit.empty() && !unit_fits(cf.type, cf.full, cf.unit))
                cf.expect = errc::invalid_argument;
            else if (taken.count(cf.full) || (!suffix.empty() && taken.count(base)))
                cf.expect = errc::name_collision;
            else {
                cf.expect = errc::ok;
                for (auto& m : more)
                    if (taken.count(m)) cf.expect = errc::name_collision;
            }
            if (cf.expect == errc::ok) {
                for (auto& m : more) taken.insert(m);
                taken.insert(cf.full);
                if (!suffix.empty()) taken.insert(base);
            } else {
                ++g_collected_dropped;
            }
            std::set<std::map<std::string, std::string>> sets;
            for (auto& s : cf.samples) {
                errc e = errc::ok;
                if (cf.expect != errc::ok) e = errc::invalid_argument;
                for (std::size_t i = 0; e == errc::ok && i < s.labels.size(); ++i) {
                    const std::string& n = s.labels[i].first;
                    if (!valid_label_name(n))
                        e = errc::invalid_label_name;
                    else if ((cf.type == metric_type::histogram && n == "le") ||
                             (cf.type == metric_type::stateset && n == cf.full))
                        e = errc::invalid_label_name;
                    for (std::size_t k = 0; e == errc::ok && k < i; ++k)
                        if (s.labels[k].first == n) e = errc::duplicate_label_name;
                }
                if (e == errc::ok && s.kind == 0) {
                    if (cf.type == metric_type::histogram || cf.type == metric_type::stateset)
                        e = errc::invalid_argument;
                    else if (cf.type == metric_type::counter &&
                             (!std::isfinite(s.value) || s.value < 0))
                        e = errc::invalid_argument;
                    else if (cf.type == metric_type::info && s.value != 1.0)
                        e = errc::invalid_argument;
                } else if (e == errc::ok && s.kind == 1) {
                    if (cf.type != metric_type::histogram)
                        e = errc::invalid_argument;
                    else if (!buckets_valid(s.bounds))
                        e = errc::invalid_buckets;
                    else if (s.cumulative.size() != s.bounds.size() + 1)
                        e = errc::invalid_argument;
                    else {
                        for (std::size_t i = 1; i < s.cumulative.size(); ++i)
                            if (s.cumulative[i] < s.cumulative[i - 1]) e = errc::invalid_argument;
                        if (std::isnan(s.sum)) e = errc::invalid_argument;
                    }
                } else if (e == errc::ok && s.kind == 2) {
                    if (cf.type != metric_type::stateset || s.states.empty())
                        e = errc::invalid_argument;
                    std::set<std::string> seen;
                    for (auto& st : s.states)
                        if (st.first.empty() || !seen.insert(shown(st.first)).second)
                            e = errc::invalid_argument;
                }
                if (e == errc::ok && !sets.insert(label_set(s.labels)).second)
                    e = errc::invalid_argument;
                s.expect = e;
                if (e != errc::ok) ++g_collected_dropped;
            }
        }
    }
}

collector_plan random_plan(rng& r) {
    collector_plan plan;
    // Past 64 families in a scrape, and past 32 samples in a family, the collector output
    // keeps what it has seen on the heap: sometimes that many.
    const bool big = r.one_in(6);
    const std::size_t nf = big ? 60 + r.below(40) : 1 + r.below(5);
    for (std::size_t i = 0; i < nf; ++i) {
        collected_family cf;
        cf.type = static_cast<metric_type>(r.below(5));
        cf.name = r.one_in(12) ? invalid_name(r, false) : random_metric_name(r);
        if (r.one_in(6) && g_model.families.size() > 1) {
            cf.name = g_model.families[1 + r.below(g_model.families.size() - 1)]->base();
            if (r.one_in(2)) cf.name += "_created";
        }
        if (cf.type == metric_type::stateset && !r.one_in(8))
            for (auto& c : cf.name)
                if (c == ':') c = '_';
        cf.help = hostile_string(r, 6, r.one_in(3));
        if (r.one_in(5)) cf.unit = r.one_in(2) ? "seconds" : name_body(r, 2, false);
        if (r.one_in(4) && cf.type != metric_type::info && cf.type != metric_type::stateset) {
            cf.unit = "bytes";
            cf.name += "_bytes";
        }
        const std::size_t ns = big && r.one_in(4) ? 30 + r.below(50) : r.below(5);
        std::vector<label_pairs> used;
        for (std::size_t k = 0; k < ns; ++k) {
            collected_sample s;
            s.kind = cf.type == metric_type::histogram  ? 1
                     : cf.type == metric_type::stateset ? 2
                                                        : 0;
            if (r.one_in(15)) s.kind = static_cast<int>(r.below(3));
            const std::size_t nl = r.below(4);
            for (std::size_t l = 0; l < nl; ++l) {
                std::string name = r.one_in(15) ? invalid_name(r, true) : random_label_name(r);
                s.labels.emplace_back(name, r.one_in(5) ? "" : hostile_string(r, 4, r.one_in(3)));
            }
            if (r.one_in(6) && !used.empty()) s.labels = r.pick(used);
            used.push_back(s.labels);
            s.value = cf.type == metric_type::info && !r.one_in(6) ? 1.0 : any_double(r, true);
            if (s.kind == 1) {
                s.bounds = random_bounds(r);
                if (r.one_in(10)) s.bounds.push_back(nan_value);
                std::uint64_t c = 0;
                for (std::size_t b = 0; b <= s.bounds.size(); ++b) {
                    c += r.one_in(10) ? (u64_max - c) : r.below(10);
                    s.cumulative.push_back(c);
                }
                if (r.one_in(10)) s.cumulative.pop_back();
                if (r.one_in(10) && s.cumulative.size() > 1)
                    s.cumulative[0] = s.cumulative.back() + 1;
                s.sum = any_double(r, true);
            }
            if (s.kind == 2) {
                std::size_t n = r.below(4);
                if (!r.one_in(10)) ++n;
                for (std::size_t st = 0; st < n; ++st) {
                    std::string state =
                        r.one_in(10) ? ""
                                     : hostile_string(r, 3, r.one_in(3)) + std::to_string(st % 3);
                    s.states.emplace_back(state, r.one_in(2));
                }
            }
            cf.samples.push_back(s);
        }
        plan.families.push_back(cf);
    }
    return plan;
}

// Runs `fn` with the elements of `v` as an initializer_list (histogram_sample() and
// stateset_sample() take their labels and states so).
template <class T, class Fn, std::size_t... I>
vitals::collector_status with_list(const std::vector<T>& v, Fn&& fn, std::index_sequence<I...>) {
    return fn(std::initializer_list<T>{v[I]...});
}
template <class T, class Fn>
vitals::collector_status with_list(const std::vector<T>& v, Fn&& fn) {
    switch (v.size()) {
    case 0:
        return fn(std::initializer_list<T>{});
    case 1:
        return with_list(v, fn, std::make_index_sequence<1>{});
    case 2:
        return with_list(v, fn, std::make_index_sequence<2>{});
    case 3:
        return with_list(v, fn, std::make_index_sequence<3>{});
    case 4:
        return with_list(v, fn, std::make_index_sequence<4>{});
    default:
        return with_list(v, fn, std::make_index_sequence<5>{});
    }
}

// Gives a plan stray samples and a throw, from a generator of their own (`r` is seeded apart
// from the registry's), so that a seed makes the same registry and plans as before they
// existed. The samples are of every kind, with labels a family's samples could have.
void add_stray_and_throw(rng& r, collector_plan& plan) {
    if (r.one_in(3)) {
        const std::size_t n = 1 + r.below(3);
        for (std::size_t i = 0; i < n; ++i) {
            collected_sample s;
            s.kind = static_cast<int>(r.below(3));
            if (r.one_in(2)) s.labels.emplace_back(random_label_name(r), "stray");
            s.value = 1.0;
            if (s.kind == 1) {
                s.bounds = {1.0};
                s.cumulative = {1, 2};
                s.sum = 1.5;
            }
            if (s.kind == 2) s.states.emplace_back("stray", true);
            plan.stray.push_back(s);
        }
    }
    plan.throws = r.one_in(3);
}

std::set<std::string> g_collector_problems;
std::uint64_t g_collector_throws = 0; // collector runs that threw

void run_sample(const collected_family* cf, const collected_sample& s,
                vitals::collector_output& out) {
    using lv = vitals::collector_output::label_view;
    using sv = vitals::collector_output::state_view;
    std::vector<lv> labels;
    for (const auto& l : s.labels) labels.emplace_back(l.first, l.second);
    std::vector<sv> states;
    for (const auto& st : s.states) states.emplace_back(st.first, st.second);
    errc e;
    if (s.kind == 0) {
        e = out.sample(s.value, labels.data(), labels.size()).code();
    } else if (s.kind == 1) {
        e = with_list(labels, [&](std::initializer_list<lv> ll) {
                return out.histogram_sample(s.bounds, s.cumulative, s.sum, ll);
            }).code();
    } else {
        e = with_list(states, [&](std::initializer_list<sv> sl) {
                return with_list(labels, [&](std::initializer_list<lv> ll) {
                    return out.stateset_sample(sl, ll);
                });
            }).code();
    }
    if (e != s.expect)
        g_collector_problems.insert("collected sample " + std::to_string(s.kind) + " of '" +
                                    (cf ? shown(cf->name) : std::string("(before any family)")) +
                                    "': expected " + errc_name(s.expect) + ", got " + errc_name(e));
}

void run_plan(const collector_plan& plan, vitals::collector_output& out) {
    for (const auto& s : plan.stray) run_sample(nullptr, s, out);
    for (const auto& cf : plan.families) {
        const errc got = out.family(cf.name, cf.help, cf.type, cf.unit).code();
        if (got != cf.expect)
            g_collector_problems.insert("collected " + std::string(type_word(cf.type)) + " '" +
                                        shown(cf.name) + "': expected " + errc_name(cf.expect) +
                                        ", got " + errc_name(got));
        for (const auto& s : cf.samples) run_sample(&cf, s, out);
    }
    if (plan.throws) {
        ++g_collector_throws;
        throw std::runtime_error("a collector that fails after writing");
    }
}

// ---------------------------------------------------------------------------------------
// Expectations

class expectations {
public:
    void family(const char* fmt, const std::string& name, const char* type, const std::string& help,
                const std::string* unit = nullptr) {
        text_ += std::string("{\"k\": \"family\", \"fmt\": \"") + fmt +
                 "\", \"name\": " + json_string(name) + ", \"type\": \"" + type +
                 "\", \"help\": " + json_string(shown(help));
        if (unit) text_ += ", \"unit\": " + json_string(*unit);
        text_ += "}\n";
    }
    static std::string labels_json(const label_pairs& labels) {
        std::string out = "{";
        const char* sep = "";
        for (const auto& l : labels) {
            out += sep + json_string(l.first) + ": " + json_string(shown(l.second));
            sep = ", ";
        }
        return out + "}";
    }
    void sample(const char* fmt, const std::string& name, const label_pairs& labels,
                const std::string& value, bool whole, const std::string* le = nullptr) {
        text_ += std::string("{\"k\": \"sample\", \"fmt\": \"") + fmt +
                 "\", \"name\": " + json_string(name) + ", \"labels\": " + labels_json(labels) +
                 ", \"value\": \"" + value + "\"";
        if (whole) text_ += ", \"int\": true";
        if (le) text_ += ", \"le\": \"" + *le + "\"";
        text_ += "}\n";
    }
    void both(const std::string& name, const label_pairs& labels, const std::string& value,
              bool whole, const std::string* le = nullptr) {
        sample("text", name, labels, value, whole, le);
        sample("om", name, labels, value, whole, le);
    }
    void created(const std::string& name, const label_pairs& labels, double t) {
        if (!std::isfinite(t)) return; // left out (README: "a clock that returns NaN ...")
        text_ += "{\"k\": \"created\", \"name\": " + json_string(name) +
                 ", \"labels\": " + labels_json(labels) + ", \"t\": \"" + fmt_double(t) + "\"}\n";
    }
    void exemplar(const std::string& of, const label_pairs& labels, const std::string* le,
                  const exemplar_in& e) {
        text_ += "{\"k\": \"exemplar\", \"of\": " + json_string(of) +
                 ", \"labels\": " + labels_json(labels);
        if (le) text_ += ", \"le\": \"" + *le + "\"";
        text_ += ", \"ex_labels\": " + labels_json(e.labels) + ", \"ex_value\": \"" +
                 fmt_double(e.value) + "\", \"ex_ts\": \"" + fmt_double(e.ts) + "\"}\n";
    }
    void raw(const std::string& line) { text_ += line + "\n"; }
    const std::string& text() const { return text_; }

private:
    std::string text_;
};

const char* text_type(metric_type t) {
    return t == metric_type::info || t == metric_type::stateset ? "gauge" : type_word(t);
}

// An exemplar shown on a sample, or counted as dropped when the scrape finds it invalid.
void expect_exemplar(expectations& ex, const std::string& of, const label_pairs& labels,
                     const std::string* le, const exemplar_in& e) {
    if (exemplar_valid(e))
        ex.exemplar(of, labels, le, e);
    else
        ++g_model.exemplars_dropped;
}

void expect_family(expectations& ex, const family_model& f) {
    bool any = false;
    for (const auto& kv : f.series) any = any || kv.second.visible;
    if (!any) return; // a family without visible series writes nothing
    const std::string base = f.base();
    ex.family("text", f.name, text_type(f.type), f.help);
    ex.family("om", base, type_word(f.type), f.help, &f.opts.unit);
    for (const auto& kv : f.series) {
        const series_model& s = kv.second;
        if (!s.visible) continue;
        label_pairs labels = f.opts.const_labels;
        for (std::size_t i = 0; i < f.label_names.size(); ++i)
            labels.emplace_back(f.label_names[i], kv.first[i]);
        switch (f.type) {
        case metric_type::counter: {
            const std::uint64_t whole = s.cell - s.base;
            if (s.fraction == 0.0) {
                ex.both(f.name, labels, fmt_uint(whole), true);
            } else {
                // README: past 2^53 the value is never below the whole-number total.
                double w = static_cast<double>(whole);
                if (w < 18446744073709551616.0 && static_cast<std::uint64_t>(w) < whole)
                    w = std::nextafter(w, inf);
                ex.both(f.name, labels, fmt_double(w + s.fraction), false);
            }
            ex.created(base + "_created", labels, s.created);
            if (s.has_ex[0]) expect_exemplar(ex, f.name, labels, nullptr, s.ex[0]);
            break;
        }
        case metric_type::gauge:
            ex.both(f.name, labels, fmt_double(s.gauge), false);
            break;
        case metric_type::info:
            ex.both(f.name, labels, "1", true);
            break;
        case metric_type::stateset:
            for (std::size_t i = 0; i < f.states.size(); ++i) {
                label_pairs with = labels;
                with.emplace_back(f.name, f.states[i]);
                ex.both(f.name, with, (s.bits >> i & 1) != 0 ? "1" : "0", true);
            }
            break;
        case metric_type::histogram: {
            std::uint64_t cumulative = 0;
            for (std::size_t i = 0; i <= f.bounds.size(); ++i) {
                cumulative += s.buckets[i];
                const std::string le = i < f.bounds.size() ? fmt_double(f.bounds[i]) : "+Inf";
                ex.both(f.name + "_bucket", labels, fmt_uint(cumulative), true, &le);
                if (s.has_ex[i]) expect_exemplar(ex, f.name + "_bucket", labels, &le, s.ex[i]);
            }
            const double sum = s.sum_has_base ? 0.0 + (s.sum_cell - s.sum_base) : s.sum_cell;
            ex.sample("text", f.name + "_sum", labels, fmt_double(sum), false);
            ex.sample("text", f.name + "_count", labels, fmt_uint(cumulative), true);
            // OpenMetrics: _sum is a counter, left out (with _count) where it would not be one.
            if (f.bounds[0] >= 0 && sum >= 0) {
                ex.sample("om", f.name + "_sum", labels, fmt_double(sum), false);
                ex.sample("om", f.name + "_count", labels, fmt_uint(cumulative), true);
            }
            ex.created(f.name + "_created", labels, s.created);
            break;
        }
        }
    }
}

void expect_collected(expectations& ex, const collector_plan& plan) {
    for (const auto& cf : plan.families) {
        if (cf.expect != errc::ok) continue;
        ex.family("text", cf.full, text_type(cf.type), cf.help);
        ex.family("om", base_of(cf.type, cf.full), type_word(cf.type), cf.help, &cf.unit);
        for (const auto& s : cf.samples) {
            if (s.expect != errc::ok) continue;
            if (s.kind == 0) {
                ex.both(cf.full, s.labels, fmt_double(s.value), false);
            } else if (s.kind == 1) {
                for (std::size_t i = 0; i <= s.bounds.size(); ++i) {
                    const std::string le = i < s.bounds.size() ? fmt_double(s.bounds[i]) : "+Inf";
                    ex.both(cf.full + "_bucket", s.labels, fmt_uint(s.cumulative[i]), true, &le);
                }
                ex.sample("text", cf.full + "_sum", s.labels, fmt_double(s.sum), false);
                ex.sample("text", cf.full + "_count", s.labels, fmt_uint(s.cumulative.back()),
                          true);
                if (s.bounds[0] >= 0 && s.sum >= 0) {
                    ex.sample("om", cf.full + "_sum", s.labels, fmt_double(s.sum), false);
                    ex.sample("om", cf.full + "_count", s.labels, fmt_uint(s.cumulative.back()),
                              true);
                }
            } else {
                for (const auto& st : s.states) {
                    label_pairs with = s.labels;
                    with.emplace_back(cf.full, st.first);
                    ex.both(cf.full, with, st.second ? "1" : "0", true);
                }
            }
        }
    }
}

// ---------------------------------------------------------------------------------------

void sink_append(void* context, const char* data, std::size_t size) {
    static_cast<std::string*>(context)->append(data, size);
}

// Every output form of one format writes the same bytes.
template <class ToString, class Write, class WriteSink, class WriteFn>
void check_forms(const char* what, const std::string& expected, ToString to_string, Write write,
                 WriteSink write_sink, WriteFn write_fn, rng& r) {
    if (to_string() != expected) problem(std::string(what) + ": a second render differs");
    std::string into = "prefix";
    write(into);
    if (into != "prefix" + expected) problem(std::string(what) + ": write into a string differs");
    const std::size_t capacity = r.one_in(4) ? 0 : 1 + r.below(100);
    std::vector<char> buffer(capacity + 1);
    std::string chunks;
    write_sink(&chunks, r.one_in(4) ? nullptr : buffer.data(), capacity);
    if (chunks != expected)
        problem(std::string(what) + ": the sink form with a buffer of " + std::to_string(capacity) +
                " bytes differs");
    std::string called;
    write_fn(called);
    if (called != expected) problem(std::string(what) + ": the callable form differs");
}

bool write_file(const std::string& path, const std::string& data) {
    std::FILE* f = std::fopen(path.c_str(), "wb");
    if (!f) return false;
    const bool ok = std::fwrite(data.data(), 1, data.size(), f) == data.size();
    return std::fclose(f) == 0 && ok;
}

} // namespace

int main(int argc, char** argv) {
    std::uint64_t seed = 1;
    std::string out;
    for (int i = 1; i < argc; ++i) {
        if (std::strcmp(argv[i], "--seed") == 0 && i + 1 < argc) {
            seed = std::strtoull(argv[++i], nullptr, 10);
        } else if (std::strcmp(argv[i], "--out") == 0 && i + 1 < argc) {
            out = argv[++i];
        } else if (std::strcmp(argv[i], "--trace") == 0) {
            g_trace = true;
        } else {
            std::fprintf(stderr, "usage: %s --seed N --out PREFIX [--trace]\n", argv[0]);
            return 2;
        }
    }
    if (out.empty()) {
        std::fprintf(stderr, "gen_random: --out PREFIX is required\n");
        return 2;
    }
    rng r(seed);
    clock_plan clock(r);
    clock.tick(r);
    vitals::registry reg(&test_clock);
    {
        auto f = std::make_unique<family_model>();
        f->type = metric_type::counter;
        f->name = "vitals_series_overflow_total";
        f->help = "Lookups of new label sets redirected to a family's overflow series because the "
                  "family reached its series bound or a label value was longer than its bound.";
        f->label_names = {"family"};
        f->opts.max_series = ~std::size_t{0};
        f->opts.max_label_value_bytes = ~std::size_t{0};
        // Registering vitals' own family with its own definition gives that family.
        errc code;
        definition d;
        d.type = f->type;
        d.name = f->name;
        d.help = f->help;
        d.label_names = f->label_names;
        d.opts = f->opts;
        f->fam = register_family(reg, d, code);
        if (!f->fam)
            problem(std::string("registering vitals_series_overflow_total: ") + errc_name(code));
        g_model.families.push_back(std::move(f));
    }

    const std::size_t registrations = 3 + r.below(25);
    const std::size_t operations = r.below(300);
    std::vector<collector_plan> plans;
    for (std::size_t i = 0; i < registrations; ++i) register_random(r, clock, reg);
    for (std::size_t i = 0; i < operations; ++i) {
        if (r.one_in(40)) register_random(r, clock, reg);
        operate(r, clock, reg);
    }
    const std::size_t ncollectors = r.below(3);
    for (std::size_t i = 0; i < ncollectors; ++i) plans.push_back(random_plan(r));
    rng collector_faults(seed ^ 0x5eedc011ec70f417ULL);
    for (auto& plan : plans) add_stray_and_throw(collector_faults, plan);
    predict_collectors(plans);
    for (const auto& plan : plans) {
        const collector_plan* p = &plan;
        reg.add_collector([p](vitals::collector_output& o) { run_plan(*p, o); });
    }

    // What a scrape must show, then the scrapes: OpenMetrics first, which counts the invalid
    // exemplars it leaves out, so that the count is in both expositions.
    expectations ex;
    for (const auto& f : g_model.families) expect_family(ex, *f);
    for (const auto& plan : plans) expect_collected(ex, plan);
    if (g_collected_dropped != 0) {
        const std::string help = "Families and samples the collectors wrote in this scrape that "
                                 "were dropped (invalid, clashing, repeated or past a family's "
                                 "max_series).";
        ex.family("text", "vitals_collector_dropped", "gauge", help);
        ex.family("om", "vitals_collector_dropped", "gauge", help, nullptr);
        ex.both("vitals_collector_dropped", {}, fmt_uint(g_collected_dropped), true);
    }
    if (g_model.exemplars_dropped != 0) {
        const std::string help = "Exemplars dropped in this process because they broke a rule "
                                 "(label names, UTF-8, more than 128 characters, a timestamp "
                                 "not finite or past int64 milliseconds).";
        ex.family("text", "vitals_exemplars_dropped_total", "counter", help);
        ex.family("om", "vitals_exemplars_dropped", "counter", help, nullptr);
        ex.both("vitals_exemplars_dropped_total", {}, fmt_uint(g_model.exemplars_dropped), true);
    }

    const std::string om = vitals::to_openmetrics(reg);
    const std::string text = vitals::to_text(reg);
    check_forms(
        "OpenMetrics", om, [&] { return vitals::to_openmetrics(reg); },
        [&](std::string& s) { vitals::write_openmetrics(reg, s); },
        [&](std::string* s, char* buf, std::size_t cap) {
            vitals::write_openmetrics(reg, &sink_append, s, buf, cap);
        },
        [&](std::string& s) {
            vitals::write_openmetrics(reg, [&s](const char* p, std::size_t n) { s.append(p, n); });
        },
        r);
    check_forms(
        "text", text, [&] { return vitals::to_text(reg); },
        [&](std::string& s) { vitals::write_text(reg, s); },
        [&](std::string* s, char* buf, std::size_t cap) {
            vitals::write_text(reg, &sink_append, s, buf, cap);
        },
        [&](std::string& s) {
            vitals::write_text(reg, [&s](const char* p, std::size_t n) { s.append(p, n); });
        },
        r);
    for (const auto& p : g_collector_problems) problem(p);
    if (reg.collector_failure_count() != g_collector_throws)
        problem("collector_failure_count() is " + fmt_uint(reg.collector_failure_count()) +
                ", the collectors threw " + fmt_uint(g_collector_throws) + " times");
    if (vitals::rejected_writes() != g_model.rejected)
        problem("rejected_writes() is " + fmt_uint(vitals::rejected_writes()) +
                ", the model refused " + fmt_uint(g_model.rejected));
    if (vitals::exemplars_dropped() != g_model.exemplars_dropped)
        problem("exemplars_dropped() is " + fmt_uint(vitals::exemplars_dropped()) +
                ", the model dropped " + fmt_uint(g_model.exemplars_dropped));
    for (const auto& p : g_problems)
        ex.raw("{\"k\": \"problem\", \"text\": " + json_string(shown(p)) + "}");

    if (!write_file(out + ".txt", text) || !write_file(out + ".om", om) ||
        !write_file(out + ".jsonl", ex.text())) {
        std::fprintf(stderr, "gen_random: cannot write %s.*\n", out.c_str());
        return 1;
    }
    return 0;
}
