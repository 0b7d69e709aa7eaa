// vitals/detail/text_words.hpp - a text's bytes read as 64-bit words, without reading past it.
// SPDX-License-Identifier: MIT
#ifndef VITALS_DETAIL_TEXT_WORDS_HPP
#define VITALS_DETAIL_TEXT_WORDS_HPP

#include <vitals/config.hpp>

#include <cstddef> // size_t
#include <cstdint> // uint16_t, uint32_t, uint64_t
#include <cstring> // memcpy

// Whether words loaded from memory hold their first byte in their low bits: then a text's last
// bytes are read with one load and a shift.
#if (defined(__BYTE_ORDER__) && __BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__) || defined(_WIN32)
#define VITALS_DETAIL_LITTLE_ENDIAN 1
#else
#define VITALS_DETAIL_LITTLE_ENDIAN 0
#endif

VITALS_BEGIN_NAMESPACE
namespace detail {

inline std::uint64_t load_u64(const char* p) noexcept {
    std::uint64_t w;
    std::memcpy(&w, p, sizeof w); // one unaligned load
    return w;
}

inline std::uint64_t load_u16(const char* p) noexcept {
    std::uint16_t w;
    std::memcpy(&w, p, sizeof w);
    return w;
}

inline std::uint64_t load_u32(const char* p) noexcept {
    std::uint32_t w;
    std::memcpy(&w, p, sizeof w);
    return w;
}

/// The first 16 bytes of a label value, zero-padded, as load_u64() reads them from a 16-byte
/// buffer. A series keeps its values' first bytes in that form (see family_base's key), so a
/// lookup compares the two words it already loaded to hash a value instead of the bytes again.
struct head_words {
    std::uint64_t lo; // bytes 0 to 7
    std::uint64_t hi; // bytes 8 to 15
};

/// value_head() for any byte order: the definition.
inline head_words value_head_portable(const char* p, std::size_t len) noexcept {
    char buf[16] = {};
    if (len > 0) std::memcpy(buf, p, len < 16 ? len : 16);
    return {load_u64(buf), load_u64(buf + 8)};
}

/// The value's head_words. On little-endian targets from at most two loads within the value
/// (shorter ones overlap, and shifts drop the bytes read twice), without a copy: a copy of a
/// variable number of bytes would be a call, and reading it back a store-forwarding stall.
VITALS_DETAIL_ALWAYS_INLINE head_words value_head(const char* p, std::size_t len) noexcept {
#if VITALS_DETAIL_LITTLE_ENDIAN
    if (len >= 16) return {load_u64(p), load_u64(p + 8)};
    // Bytes len - 8 to len - 1, shifted down past the 16 - len of them that the first word
    // holds (in two steps: for len 8 that is all 64 bits).
    if (len >= 8) return {load_u64(p), (load_u64(p + len - 8) >> (8 * (15 - len))) >> 8};
    if (len >= 4) return {load_u32(p) | load_u32(p + len - 4) << (8 * (len - 4)), 0};
    if (len >= 2) return {load_u16(p) | load_u16(p + len - 2) << (8 * (len - 2)), 0};
    if (len == 1) return {static_cast<unsigned char>(p[0]), 0};
    return {0, 0};
#else
    return value_head_portable(p, len);
#endif
}

} // namespace detail
VITALS_END_NAMESPACE

#endif // VITALS_DETAIL_TEXT_WORDS_HPP
