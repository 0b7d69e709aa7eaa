// tests/fuzz/fuzz_exemplar.cpp - libFuzzer target for exemplars: recorded with any bytes as
// label names and values, any label count, value and timestamp, then rendered as OpenMetrics.
// SPDX-License-Identifier: MIT
//
// Build and run (clang only): tests/fuzz/run.sh [seconds]. The input is read as up to three
// exemplars recorded in turn on a fresh counter or histogram. An oracle written here from the
// OpenMetrics rules (not vitals' code) decides which must be shown: the last one recorded in
// each series or bucket, when it is valid, shown byte for byte with its labels escaped; when
// it is not, nothing newer than an earlier valid one, and the drop counted. Aborts otherwise.
#include <vitals/vitals.hpp>

#include <cmath>       // fabs, isfinite, isnan
#include <cstddef>     // size_t
#include <cstdint>     // uint8_t, uint64_t
#include <cstdlib>     // abort, strtod
#include <ctime>       // time
#include <limits>      // numeric_limits
#include <string>      // string
#include <string_view> // string_view
#include <vector>      // vector

namespace {

class input {
public:
    input(const std::uint8_t* data, std::size_t size) : data_(data), size_(size) {}
    std::uint8_t byte() { return at_ < size_ ? data_[at_++] : 0; }
    std::string text(std::size_t n) {
        if (n > size_ - at_) n = size_ - at_;
        std::string out(reinterpret_cast<const char*>(data_ + at_), n);
        at_ += n;
        return out;
    }

private:
    const std::uint8_t* data_;
    std::size_t size_;
    std::size_t at_ = 0;
};

bool name_start(char c) { return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || c == '_'; }

bool valid_label_name(const std::string& s) {
    if (s.empty() || !name_start(s[0]) || s.compare(0, 2, "__") == 0) return false;
    for (char c : s)
        if (!name_start(c) && !(c >= '0' && c <= '9')) return false;
    return true;
}

// Code points of strict UTF-8 (no overlong forms, no surrogates, at most U+10FFFF), or -1.
long utf8_chars(const std::string& s) {
    long chars = 0;
    for (std::size_t i = 0; i < s.size(); ++chars) {
        const auto b = static_cast<unsigned char>(s[i]);
        std::size_t len = 0;
        std::uint32_t cp = 0;
        if (b < 0x80) {
            len = 1;
            cp = b;
        } else if (b >= 0xC2 && b <= 0xDF) {
            len = 2;
            cp = b & 0x1Fu;
        } else if (b >= 0xE0 && b <= 0xEF) {
            len = 3;
            cp = b & 0x0Fu;
        } else if (b >= 0xF0 && b <= 0xF4) {
            len = 4;
            cp = b & 0x07u;
        } else {
            return -1;
        }
        if (i + len > s.size()) return -1;
        for (std::size_t k = 1; k < len; ++k) {
            const auto c = static_cast<unsigned char>(s[i + k]);
            if ((c & 0xC0) != 0x80) return -1;
            cp = cp << 6 | (c & 0x3Fu);
        }
        if ((len == 3 && cp < 0x800) || (len == 4 && (cp < 0x10000 || cp > 0x10FFFF)) ||
            (cp >= 0xD800 && cp <= 0xDFFF))
            return -1;
        i += len;
    }
    return chars;
}

struct recorded {
    std::vector<std::string> names, values;
    double value = 0;
    bool has_timestamp = false;
    double timestamp = 0;

    bool valid() const {
        // A timestamp must be finite and fit Prometheus' int64 milliseconds.
        if (names.empty() ||
            (has_timestamp && !(std::isfinite(timestamp) && std::fabs(timestamp) * 1000 < 0x1p63)))
            return false;
        long chars = 0;
        for (std::size_t i = 0; i < names.size(); ++i) {
            const long value_chars = utf8_chars(values[i]);
            if (!valid_label_name(names[i]) || value_chars < 0) return false;
            if (values[i].find('\0') != std::string::npos) return false; // Prometheus fails on it
            for (std::size_t k = 0; k < i; ++k)
                if (names[k] == names[i]) return false;
            chars += static_cast<long>(names[i].size()) + value_chars;
        }
        return chars <= 128;
    }

    // `{name="value",...} ` as OpenMetrics writes it.
    std::string labels_text() const {
        std::string out = "{";
        for (std::size_t i = 0; i < names.size(); ++i) {
            out += (i ? "," : "") + names[i] + "=\"";
            for (char c : values[i]) {
                if (c == '\\')
                    out += "\\\\";
                else if (c == '"')
                    out += "\\\"";
                else if (c == '\n')
                    out += "\\n";
                else
                    out += c;
            }
            out += '"';
        }
        return out + "} ";
    }
};

constexpr double inf = std::numeric_limits<double>::infinity();
constexpr double nan = std::numeric_limits<double>::quiet_NaN();
const double amounts[] = {0, 1, 0.5, 2.5, 1e300, -1, nan, inf, 3e-300, 7};
const double timestamps[] = {
    0, 1.5, 1.7e12, -5, nan, inf, -inf, 1e300, 9223372036854774.0, -9223372036854776.0};

void require(bool ok) {
    if (!ok) std::abort();
}

// The exemplar shown on the line that starts with `prefix`, "" when none; the value and
// timestamp after it in `v` and `ts`.
std::string shown_on(const std::string& out, const std::string& prefix, double& v, double& ts) {
    const std::size_t line = out.find("\n" + prefix);
    require(line != std::string::npos);
    const std::size_t end = out.find('\n', line + 1);
    const std::string text = out.substr(line + 1, end - line - 1);
    const std::size_t mark = text.find(" # {");
    if (mark == std::string::npos) return "";
    // The labels end at the last "} ": a value cannot hold an unescaped quote, and the
    // value and timestamp after them hold no brace.
    const std::size_t close = text.rfind("} ");
    require(close != std::string::npos && close > mark);
    char* after = nullptr;
    const std::string numbers = text.substr(close + 2);
    v = std::strtod(numbers.c_str(), &after);
    require(*after == ' ');
    ts = std::strtod(after + 1, &after);
    require(*after == '\0');
    return text.substr(mark + 3, close + 2 - mark - 3);
}

} // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    input in(data, size);
    const std::uint8_t flags = in.byte();
    const bool histogram = flags & 1;
    const int count = 1 + (flags >> 2) % 3;
    std::vector<recorded> all;
    for (int k = 0; k < count; ++k) {
        recorded r;
        const int labels = in.byte() % 100; // past 64 and 90, what 128 characters can hold
        for (int i = 0; i < labels; ++i) {
            const std::size_t name_size = in.byte() % 40;
            const std::size_t value_size = (in.byte() | std::size_t{in.byte()} << 8) % 2200;
            r.names.push_back(in.text(name_size));
            r.values.push_back(in.text(value_size));
        }
        r.value = amounts[in.byte() % (sizeof amounts / sizeof amounts[0])];
        r.has_timestamp = (flags & 2) != 0;
        r.timestamp = timestamps[in.byte() % (sizeof timestamps / sizeof timestamps[0])];
        all.push_back(r);
    }

    vitals::registry reg;
    auto& c = reg.counter("c", "C.");
    auto& h = reg.histogram("h", "H.", {1.0});
    // The exemplars recorded in each series or bucket, in order: [0] the counter or the le=1.0
    // bucket, [1] the +Inf bucket.
    std::vector<const recorded*> in_place[2];
    const std::uint64_t dropped_before = vitals::exemplars_dropped();
    const std::time_t started = std::time(nullptr);
    for (const recorded& r : all) {
        std::vector<vitals::exemplar_label> list;
        for (std::size_t i = 0; i < r.names.size(); ++i) list.push_back({r.names[i], r.values[i]});
        vitals::exemplar e(list.data(), list.size());
        if (r.has_timestamp) e.at(r.timestamp);
        if (histogram) {
            h.observe(r.value, e);
            // NaN and infinite observations are refused, and record no exemplar.
            if (std::isfinite(r.value)) in_place[r.value <= 1.0 ? 0 : 1].push_back(&r);
        } else {
            c.inc(r.value, e);
            // A refused amount records no exemplar (no amount here overflows the total).
            if (r.value >= 0 && std::isfinite(r.value)) in_place[0].push_back(&r);
        }
    }
    const std::string out = vitals::to_openmetrics(reg);
    const std::time_t finished = std::time(nullptr);
    bool any_invalid_last = false;
    const char* const prefixes[2][2] = {{"c_total ", nullptr},
                                        {"h_bucket{le=\"1.0\"} ", "h_bucket{le=\"+Inf\"} "}};
    for (int place = 0; place < (histogram ? 2 : 1); ++place) {
        double v = 0, ts = 0;
        const std::string shown = shown_on(out, prefixes[histogram][place], v, ts);
        const std::vector<const recorded*>& list = in_place[place];
        if (list.empty()) {
            require(shown.empty());
            continue;
        }
        const recorded& last = *list.back();
        if (last.valid()) {
            require(shown == last.labels_text());
            require(v == last.value);
            if (last.has_timestamp)
                require(ts == last.timestamp);
            else
                require(ts >= static_cast<double>(started) && ts <= static_cast<double>(finished));
            continue;
        }
        any_invalid_last = true;
        // Nothing, or an earlier valid exemplar of this series or bucket (one too long to
        // store never replaced it).
        bool earlier = shown.empty();
        for (const recorded* r : list)
            earlier = earlier || (r->valid() && shown == r->labels_text());
        require(earlier);
    }
    if (any_invalid_last) require(vitals::exemplars_dropped() > dropped_before);
    return 0;
}
