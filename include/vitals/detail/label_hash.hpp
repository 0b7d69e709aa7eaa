// vitals/detail/label_hash.hpp - the keyed hash of label values behind the lookup tables.
// SPDX-License-Identifier: MIT
#ifndef VITALS_DETAIL_LABEL_HASH_HPP
#define VITALS_DETAIL_LABEL_HASH_HPP

#include <vitals/config.hpp>

#include <cstddef>     // size_t
#include <cstdint>     // uint32_t, uint64_t, uintptr_t
#include <cstdlib>     // malloc, free
#include <cstring>     // memcpy
#include <ctime>       // time, clock
#include <string_view> // string_view

VITALS_BEGIN_NAMESPACE
namespace detail {

inline std::uint64_t load_u64(const char* p) noexcept {
    std::uint64_t w;
    std::memcpy(&w, p, sizeof w); // one unaligned load; byte order does not matter for a hash
    return w;
}

inline std::uint64_t load_u32(const char* p) noexcept {
    std::uint32_t w;
    std::memcpy(&w, p, sizeof w);
    return w;
}

/// fold_multiply() from 32-bit multiplies, for targets without a 128-bit integer type.
inline std::uint64_t fold_multiply_portable(std::uint64_t a, std::uint64_t b) noexcept {
    const std::uint64_t lo_lo = (a & 0xFFFFFFFFu) * (b & 0xFFFFFFFFu);
    const std::uint64_t lo_hi = (a & 0xFFFFFFFFu) * (b >> 32);
    const std::uint64_t hi_lo = (a >> 32) * (b & 0xFFFFFFFFu);
    const std::uint64_t hi_hi = (a >> 32) * (b >> 32);
    const std::uint64_t middle = (lo_lo >> 32) + (lo_hi & 0xFFFFFFFFu) + (hi_lo & 0xFFFFFFFFu);
    const std::uint64_t low = (lo_lo & 0xFFFFFFFFu) | (middle << 32);
    const std::uint64_t high = hi_hi + (lo_hi >> 32) + (hi_lo >> 32) + (middle >> 32);
    return low ^ high;
}

/// The 128-bit product of `a` and `b`, its halves folded together: a few cycles, every input
/// bit reaches the low bits the tables index by, and no difference in an input passes through
/// it unchanged (a plain 64-bit multiply carries a flip of the top bit straight through).
inline std::uint64_t fold_multiply(std::uint64_t a, std::uint64_t b) noexcept {
#if defined(__SIZEOF_INT128__)
    __extension__ using u128 = unsigned __int128;
    const u128 m = static_cast<u128>(a) * b;
    return static_cast<std::uint64_t>(m) ^ static_cast<std::uint64_t>(m >> 64);
#else
    return fold_multiply_portable(a, b);
#endif
}

inline std::uint64_t make_hash_secret() noexcept {
    // What a client cannot see or guess: where address-space layout randomisation put the
    // stack, the program and the heap, and when (to the cycle, where there is a cycle counter)
    // the process first hashed. Not a cryptographic key; enough that a set of colliding values
    // cannot be computed ahead of time.
    int on_stack = 0;
    void* on_heap = std::malloc(1);
    std::uint64_t s = 0x243f6a8885a308d3ULL;
    s = fold_multiply(s ^ reinterpret_cast<std::uintptr_t>(&on_stack), 0x9e3779b97f4a7c15ULL);
    s = fold_multiply(s ^ reinterpret_cast<std::uintptr_t>(&make_hash_secret),
                      0xbf58476d1ce4e5b9ULL);
    s = fold_multiply(s ^ reinterpret_cast<std::uintptr_t>(on_heap), 0x94d049bb133111ebULL);
    std::free(on_heap);
    s = fold_multiply(s ^ static_cast<std::uint64_t>(std::time(nullptr)), 0xa0761d6478bd642fULL);
    s = fold_multiply(s ^ static_cast<std::uint64_t>(std::clock()), 0xe7037ed1a0b428dbULL);
#if (defined(__GNUC__) || defined(__clang__)) && (defined(__x86_64__) || defined(__i386__))
    s = fold_multiply(s ^ __builtin_ia32_rdtsc(), 0x8ebc6af09c88c6e3ULL);
#endif
    return s;
}

/// This process's key for hash_label_values(), made on first use.
inline std::uint64_t hash_secret() noexcept {
    static const std::uint64_t secret = make_hash_secret();
    return secret;
}

/// The hash of one label value, from `state` (the key and the value's position). Values up to
/// 16 bytes (nearly all) take two loads and one multiply, longer ones one multiply per 16
/// bytes; short values are read as two overlapping words and the length is mixed in, so
/// ("ab", "c") and ("a", "bc") differ. Both operands of every multiply carry the key, so no
/// input can zero one of them on purpose.
inline std::uint64_t hash_label_value(const char* p, std::size_t len, std::uint64_t state,
                                      std::uint64_t key) noexcept {
    std::uint64_t a = 0, b = 0;
    if (len > 16) {
        const char* last = p + len - 16;
        for (; p < last; p += 16) state = fold_multiply(load_u64(p) ^ state, load_u64(p + 8) ^ key);
        a = load_u64(last); // overlaps the previous block
        b = load_u64(last + 8);
    } else if (len >= 8) {
        a = load_u64(p);
        b = load_u64(p + len - 8);
    } else if (len >= 4) {
        a = load_u32(p);
        b = load_u32(p + len - 4);
    } else if (len > 0) {
        a = static_cast<unsigned char>(p[0]) |
            (std::uint64_t{static_cast<unsigned char>(p[len / 2])} << 8) |
            (std::uint64_t{static_cast<unsigned char>(p[len - 1])} << 16);
    }
    return fold_multiply(a ^ state, b ^ key ^ len);
}

/// Hash of a label-value tuple for a lookup table (not for anything persistent), keyed with
/// `key` (hash_secret(), in the library). Label values often come from clients (paths, user
/// agents); with a hash anyone can compute, a client could send a set of values that all land
/// in one run of a table, and every lookup would scan them all. Each value is hashed on its
/// own and the results added, so the CPU hashes the values side by side.
inline std::uint64_t hash_label_values(const std::string_view* values, std::size_t n,
                                       std::uint64_t key) noexcept {
    constexpr std::uint64_t step = 0x9e3779b97f4a7c15ULL;
    const std::uint64_t value_key = fold_multiply(key, step) | 1;
    std::uint64_t h = n;
    for (std::size_t i = 0; i < n; ++i)
        h += hash_label_value(values[i].data(), values[i].size(), key + step * (i + 1), value_key);
    return fold_multiply(h ^ key, 0x8ebc6af09c88c6e3ULL);
}

} // namespace detail
VITALS_END_NAMESPACE

#endif // VITALS_DETAIL_LABEL_HASH_HPP
