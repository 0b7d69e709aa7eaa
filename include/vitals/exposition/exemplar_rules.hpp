// vitals/exposition/exemplar_rules.hpp - the OpenMetrics rules an exemplar must follow to be
// shown, checked at scrape time (recording only copies; see exemplar.hpp).
// SPDX-License-Identifier: MIT
#ifndef VITALS_EXPOSITION_EXEMPLAR_RULES_HPP
#define VITALS_EXPOSITION_EXEMPLAR_RULES_HPP

#include <vitals/config.hpp>
#include <vitals/detail/float_class.hpp>
#include <vitals/detail/names.hpp>
#include <vitals/detail/utf8.hpp>
#include <vitals/exemplar.hpp>

#include <cstddef>     // size_t, ptrdiff_t
#include <cstdint>     // uint32_t, uint64_t
#include <cstring>     // memcpy
#include <string_view> // string_view

VITALS_BEGIN_NAMESPACE
namespace detail {

/// Characters (code points) of `text`, or -1 when it is not valid UTF-8. ASCII, the usual
/// content of trace ids, is counted eight bytes at a time.
inline std::ptrdiff_t utf8_length(std::string_view text) noexcept {
    std::ptrdiff_t chars = 0;
    std::size_t i = 0;
    while (i < text.size()) {
        if (i + 8 <= text.size()) {
            std::uint64_t w;
            std::memcpy(&w, text.data() + i, 8);
            if ((w & 0x8080808080808080ULL) == 0) {
                i += 8;
                chars += 8;
                continue;
            }
        }
        const std::size_t len = utf8_sequence_length(text, i);
        if (len == 0) return -1;
        i += len;
        ++chars;
    }
    return chars;
}

/// Reads the labels of an exemplar as a cell holds it (`n` bytes, see exemplar_capacity).
class exemplar_label_reader {
public:
    exemplar_label_reader(const char* bytes, std::size_t n) noexcept : bytes_(bytes), n_(n) {}

    /// The next label; false at the end, or where the lengths read would run past the end
    /// (bytes no cell write made whole: see finished()).
    bool next(std::string_view& name, std::string_view& value) noexcept {
        if (at_ + 8 > n_) return false;
        std::uint64_t lengths;
        std::memcpy(&lengths, bytes_ + at_, 8);
        const std::size_t name_size = lengths & 0xFFFF;
        const std::size_t value_size = (lengths >> 16) & 0xFFFF;
        const std::size_t value_at = at_ + 8 + (name_size + 7) / 8 * 8;
        const std::size_t end = value_at + (value_size + 7) / 8 * 8;
        if (end > n_) return false;
        name = std::string_view(bytes_ + at_ + 8, name_size);
        value = std::string_view(bytes_ + value_at, value_size);
        at_ = end;
        return true;
    }

    /// Where the next label starts.
    std::size_t offset() const noexcept { return at_; }
    /// Whether the labels read so far take all `n` bytes.
    bool finished() const noexcept { return at_ == n_; }

private:
    const char* bytes_;
    std::size_t n_;
    std::size_t at_ = 0;
};

/// Calls `fn(name, value)` for each label of an exemplar as a cell holds it (`n` bytes).
template <class Fn>
void for_each_exemplar_label(const char* bytes, std::size_t n, Fn&& fn) {
    exemplar_label_reader r(bytes, n);
    std::string_view name, value;
    while (r.next(name, value)) fn(name, value);
}

/// Whether an encoded exemplar follows the OpenMetrics rules: at least one label, valid and
/// distinct label names, values in valid UTF-8, at most 128 characters in all, and a finite
/// timestamp (a parser rejects the whole exposition over `NaN` or `+Inf` there) that
/// Prometheus can store: it keeps int64 milliseconds, and dropped one of 1e20 s without a
/// sign (2.42), so beyond about +/-9.2e15 s it is left out and counted. Bytes that
/// are not whole labels (no write made them: see exemplar_cell::write_owned()) are not valid.
/// Nor is a NUL byte in a value: the spec allows it, but Prometheus' OpenMetrics parser (2.42)
/// fails the whole scrape over one in an exemplar (a trace id copied from a fixed-size buffer
/// with its zero padding), and an exemplar is not worth every series of the scrape.
inline bool valid_exemplar(const char* bytes, std::size_t n, double timestamp) noexcept {
    // The largest double whose thousandfold fits an int64: the next, 9223372036854776, times
    // 1000 is past 2^63 - 1 (doubles this large are 2 apart).
    constexpr double max_seconds = 9223372036854774.0;
    // NaN and infinities by their bits first: with -ffast-math the compiler may take every
    // comparison with a NaN as true, and a NaN timestamp fails the whole scrape.
    if (n == 0 || !is_finite(timestamp) || timestamp < -max_seconds || timestamp > max_seconds)
        return false;
    exemplar_label_reader r(bytes, n);
    std::string_view name, value;
    std::size_t chars = 0;
    for (std::size_t label_at = 0; r.next(name, value); label_at = r.offset()) {
        const std::ptrdiff_t value_chars = utf8_length(value);
        if (!is_valid_label_name(name) || value_chars < 0 ||
            value.find('\0') != std::string_view::npos)
            return false;
        chars += name.size() + static_cast<std::size_t>(value_chars);
        // Every name has a character, so this bounds the names compared below to 128.
        if (chars > max_exemplar_chars) return false;
        exemplar_label_reader before(bytes, label_at);
        std::string_view earlier_name, earlier_value;
        while (before.next(earlier_name, earlier_value))
            if (earlier_name == name) return false;
    }
    return r.finished();
}

/// Whether an exemplar's `timestamp` is shown: not the -1 that std::time() returns when the
/// system clock cannot be read (a board without a real-time clock), which record() took as
/// the second when the exemplar's `recorded` second is that failure too. An exemplar's
/// timestamp is optional, and -1 would date it a second before 1970. A timestamp given with
/// at() is shown as given, except -1 recorded while the clock failed, which reads alike.
inline bool shows_exemplar_timestamp(double timestamp, std::uint32_t recorded) noexcept {
    return !(timestamp == -1.0 && recorded == static_cast<std::uint32_t>(-1));
}

} // namespace detail
VITALS_END_NAMESPACE

#endif // VITALS_EXPOSITION_EXEMPLAR_RULES_HPP
