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
#include <cstdint>     // uint64_t
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

/// Calls `fn(name, value)` for each label of an exemplar as a cell holds it (`n` bytes, see
/// exemplar_capacity).
template <class Fn>
void for_each_exemplar_label(const char* bytes, std::size_t n, Fn&& fn) {
    for (std::size_t i = 0; i + 8 <= n;) {
        std::uint64_t lengths;
        std::memcpy(&lengths, bytes + i, 8);
        const std::size_t name_size = lengths & 0xFFFF;
        const std::size_t value_size = (lengths >> 16) & 0xFFFF;
        const std::size_t value_at = i + 8 + (name_size + 7) / 8 * 8;
        const std::size_t end = value_at + (value_size + 7) / 8 * 8;
        if (end > n) return; // not from encoded_exemplar_size(): nothing more to read
        fn(std::string_view(bytes + i + 8, name_size),
           std::string_view(bytes + value_at, value_size));
        i = end;
    }
}

/// Whether an encoded exemplar follows the OpenMetrics rules: at least one label, valid and
/// distinct label names, values in valid UTF-8, at most 128 characters in all, and a finite
/// timestamp (a parser rejects the whole exposition over `NaN` or `+Inf` there).
inline bool valid_exemplar(const char* bytes, std::size_t n, double timestamp) noexcept {
    if (n == 0 || !is_finite(timestamp)) return false;
    bool ok = true;
    std::size_t chars = 0;
    std::string_view names[64];
    std::size_t count = 0;
    for_each_exemplar_label(bytes, n, [&](std::string_view name, std::string_view value) {
        const std::ptrdiff_t value_chars = utf8_length(value);
        ok = ok && count < 64 && is_valid_label_name(name) && value_chars >= 0;
        if (!ok) return;
        for (std::size_t k = 0; k < count; ++k) ok = ok && names[k] != name;
        names[count++] = name;
        chars += name.size() + static_cast<std::size_t>(value_chars);
    });
    return ok && chars <= max_exemplar_chars;
}

} // namespace detail
VITALS_END_NAMESPACE

#endif // VITALS_EXPOSITION_EXEMPLAR_RULES_HPP
