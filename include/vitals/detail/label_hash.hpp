// vitals/detail/label_hash.hpp - the keyed hash of label values behind the lookup tables.
// SPDX-License-Identifier: MIT
#ifndef VITALS_DETAIL_LABEL_HASH_HPP
#define VITALS_DETAIL_LABEL_HASH_HPP

#include <vitals/config.hpp>
#include <vitals/detail/text_words.hpp>

#include <cstddef>     // size_t
#include <cstdint>     // uint64_t, uintptr_t
#include <cstdlib>     // malloc, free
#include <ctime>       // time, clock
#include <string_view> // string_view

VITALS_BEGIN_NAMESPACE
namespace detail {

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

/// The hash of one label value from its head (value_head()) and, past 16 bytes, its other
/// bytes, starting from `state` (the key and the value's position). Up to 16 bytes (nearly
/// all values) it is one multiply, one more per 16 bytes past that. The length is mixed in,
/// so ("ab", "c") and ("a", "bc") differ. Both operands of every multiply carry the key, so
/// no input can zero one of them on purpose.
inline std::uint64_t hash_label_value(const char* p, std::size_t len, head_words head,
                                      std::uint64_t state, std::uint64_t key) noexcept {
    if (len > 16) {
        const char* last = p + len - 16; // the last block overlaps the one before it
        if (VITALS_DETAIL_UNLIKELY(len > 32)) {
            for (const char* q = p + 16; q < last; q += 16)
                state = fold_multiply(load_u64(q) ^ state, load_u64(q + 8) ^ key);
        }
        state = fold_multiply(load_u64(last) ^ state, load_u64(last + 8) ^ key);
    }
    return fold_multiply(head.lo ^ state, head.hi ^ key ^ len);
}

/// The keys hash_label_values() uses, made from one: the second is kept by a caller that hashes
/// often, so that each hash does not make it again.
struct label_hash_keys {
    static constexpr std::uint64_t step = 0x9e3779b97f4a7c15ULL;
    explicit label_hash_keys(std::uint64_t k) noexcept
        : key(k), value_key(fold_multiply(k, step) | 1) {}
    std::uint64_t key;       // the tuple's, and (offset by position) each value's state
    std::uint64_t value_key; // each value's other operand
};

/// Hash of a label-value tuple for a lookup table (not for anything persistent), keyed with
/// `keys` (from hash_secret(), in the library). Label values often come from clients (paths,
/// user agents); with a hash anyone can compute, a client could send a set of values that all
/// land in one run of a table, and every lookup would scan them all. Each value is hashed on
/// its own and the results added, so the CPU hashes the values side by side. With `heads`,
/// each value's head_words are stored there too (n of them). `Count` is std::size_t, or a
/// std::integral_constant for a count known at compile time (then the loop unrolls).
///
/// The sum is the hash, with no multiply after it: every term is mixed in all its bits
/// already, and a lookup's probe waits for this value. Hence a caller that adds such hashes
/// together (a set of tuples) mixes each one first: the terms of two tuples with their
/// values swapped position by position would otherwise cancel out.
///
/// Always inlined: called instead, as GCC 12 and Clang 14 chose to, the head words went
/// through memory to the key comparison, which made a lookup measurably slower
/// (bench/ab_core.sh).
template <class Count>
VITALS_DETAIL_ALWAYS_INLINE std::uint64_t
hash_label_values_counted(const std::string_view* values, Count n, const label_hash_keys& keys,
                          head_words* heads) noexcept {
    const std::size_t count = n; // a class type in a loop's test drops the unroll hint
    const std::uint64_t key = keys.key;
    const std::uint64_t value_key = keys.value_key;
    std::uint64_t h = count;
    VITALS_DETAIL_UNROLL
    for (std::size_t i = 0; i < count; ++i) {
        const char* p = values[i].data();
        const std::size_t len = values[i].size();
        const head_words head = value_head(p, len);
        if (heads) heads[i] = head;
        h += hash_label_value(p, len, head, key + label_hash_keys::step * (i + 1), value_key);
    }
    return h;
}

/// hash_label_values_counted() of `n` values, keyed with `key`.
inline std::uint64_t hash_label_values(const std::string_view* values, std::size_t n,
                                       std::uint64_t key, head_words* heads = nullptr) noexcept {
    return hash_label_values_counted(values, n, label_hash_keys(key), heads);
}

} // namespace detail
VITALS_END_NAMESPACE

#endif // VITALS_DETAIL_LABEL_HASH_HPP
