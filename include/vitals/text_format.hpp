// vitals/text_format.hpp - renders a registry in the Prometheus text exposition format 0.0.4.
// SPDX-License-Identifier: MIT
#ifndef VITALS_TEXT_FORMAT_HPP
#define VITALS_TEXT_FORMAT_HPP

#include <vitals/config.hpp>
#include <vitals/detail/text_output.hpp>
#include <vitals/registry.hpp>

#include <cstddef>     // size_t
#include <string>      // string
#include <string_view> // string_view
#include <type_traits> // decay_t, is_convertible

VITALS_BEGIN_NAMESPACE

/// The Content-Type of the text exposition format 0.0.4.
inline constexpr std::string_view text_content_type = "text/plain; version=0.0.4; charset=utf-8";

/// Appends the exposition of `reg` to `out`. Families appear sorted by name, series sorted by
/// label values, collectors last. Reusing the same string (cleared) makes later calls
/// allocation-free once it has grown to fit. Thread-safe; runs concurrently with writers.
inline void write_text(const registry& reg, std::string& out) {
    detail::text_output o(out);
    reg.write(o);
    o.finish();
}

/// Streams the exposition of `reg` through `sink` in chunks of at most `capacity` bytes,
/// using the caller's `buffer` and no heap memory of its own. Any capacity works; 64 bytes or
/// more avoids many tiny chunks. A null `buffer` or a `capacity` of 0 uses 64 bytes of stack.
inline void write_text(const registry& reg, text_sink sink, void* context, char* buffer,
                       std::size_t capacity) {
    char fallback[64];
    if (buffer == nullptr || capacity == 0) {
        buffer = fallback;
        capacity = sizeof fallback;
    }
    detail::text_output o(sink, context, buffer, capacity);
    reg.write(o);
    o.finish();
}

/// Streams the exposition of `reg` to a callable `fn(const char* data, std::size_t size)`,
/// through a 1 KiB buffer on the stack.
template <class Fn, class = std::enable_if_t<!std::is_convertible<Fn, std::string&>::value>>
void write_text(const registry& reg, Fn&& fn) {
    char buffer[1024];
    using fn_type = std::remove_reference_t<Fn>;
    write_text(
        reg,
        [](void* ctx, const char* data, std::size_t size) {
            (*static_cast<fn_type*>(ctx))(data, size);
        },
        const_cast<void*>(static_cast<const void*>(&fn)), buffer, sizeof buffer);
}

/// The exposition of `reg` as a new string. Allocates.
inline std::string to_text(const registry& reg) {
    std::string out;
    write_text(reg, out);
    return out;
}

VITALS_END_NAMESPACE

#endif // VITALS_TEXT_FORMAT_HPP
