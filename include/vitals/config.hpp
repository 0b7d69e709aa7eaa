// vitals/config.hpp - user configuration macros and the versioned namespace.
// SPDX-License-Identifier: MIT
#ifndef VITALS_CONFIG_HPP
#define VITALS_CONFIG_HPP

#include <vitals/version.hpp>

/// Define to 1 for small targets: one counter cell per series (no striping) and C library float
/// formatting instead of std::to_chars (smaller static binaries; output still round-trips).
#ifndef VITALS_COMPACT
#define VITALS_COMPACT 0
#endif

/// Number of thread slots: every counter and histogram has one set of cells per slot, each on
/// its own cache lines, and a thread that owns a slot writes its cells without a locked
/// instruction (threads beyond this many alive at once share atomic cells; see
/// detail/thread_slot.hpp). Power of two, 1..64. A counter is this many times 64 bytes (one
/// 16-byte cell when 1). Changing it changes the inline namespace (ABI-safe). With more than
/// one slot, a thread's first write takes a slot and registers a thread-exit hook that gives it
/// back (the C++ runtime may allocate a few bytes for it, once per thread); with 1 (the compact
/// default) counters and histograms use no thread-local state at all.
#ifndef VITALS_COUNTER_STRIPES
#if VITALS_COMPACT
#define VITALS_COUNTER_STRIPES 1
#else
#define VITALS_COUNTER_STRIPES 4
#endif
#endif

/// 1: format doubles with std::to_chars (shortest round-trip). 0: snprintf digits with an exact
/// round-trip check (same text, locale-independent). Defaults to 0 in the compact configuration.
#ifndef VITALS_USE_TO_CHARS
#if VITALS_COMPACT
#define VITALS_USE_TO_CHARS 0
#else
#define VITALS_USE_TO_CHARS 1
#endif
#endif

/// Default bound on the number of series per family; beyond it new label sets share one
/// overflow series. Each family can override it (family_options::max_series). A decimal number:
/// any other value than 10000 becomes part of the inline namespace name.
#ifndef VITALS_DEFAULT_MAX_SERIES
#define VITALS_DEFAULT_MAX_SERIES 10000
#endif

/// 64-bit atomics (counters, gauges, histogram sums are std::atomic<std::uint64_t> and
/// std::atomic<double>) are lock-free on every target CI runs (x86-64, ARMv7 armhf, and
/// Windows x64). Where the compiler cannot promise that (ARMv5/ARMv6, clang -m32), it calls
/// libatomic, which uses lock-free instructions when the CPU has them and an internal lock
/// otherwise: results stay exact and nothing allocates, but the hot path may then wait. The
/// CMake and meson builds and vitals.pc add -latomic by themselves when the toolchain needs it
/// (drop-in users add it). Define to 1 to make such a target a compile error instead
/// (a static_assert in counter.hpp on std::atomic<T>::is_always_lock_free).
#ifndef VITALS_REQUIRE_LOCK_FREE_ATOMICS
#define VITALS_REQUIRE_LOCK_FREE_ATOMICS 0
#endif

/// Define to 1 to build without exceptions even when the compiler has them enabled.
#ifndef VITALS_NO_EXCEPTIONS
#define VITALS_NO_EXCEPTIONS 0
#endif

/// 1 when vitals may throw: the compiler has exceptions and VITALS_NO_EXCEPTIONS is 0.
#if !VITALS_NO_EXCEPTIONS &&                                                                       \
    (defined(__cpp_exceptions) || defined(__EXCEPTIONS) || defined(_CPPUNWIND))
#define VITALS_HAS_EXCEPTIONS() 1
#else
#define VITALS_HAS_EXCEPTIONS() 0
#endif

/// 1 when the compiler has exceptions, whatever VITALS_NO_EXCEPTIONS says: vitals then still
/// catches what the program's own callbacks (health checks, collectors) and the standard
/// library throw, where the README promises it, although it throws nothing itself.
#if defined(__cpp_exceptions) || defined(__EXCEPTIONS) || defined(_CPPUNWIND)
#define VITALS_DETAIL_CAN_CATCH() 1
#else
#define VITALS_DETAIL_CAN_CATCH() 0
#endif

#define VITALS_DETAIL_CAT2(a, b) a##b
#define VITALS_DETAIL_CAT(a, b) VITALS_DETAIL_CAT2(a, b)

// The inline namespace name carries the version and every setting that changes inline code,
// so parts of one program built with different settings get distinct symbols instead of an
// ODR violation (the linker keeping one part's copy of an inline function for both parts,
// which then runs code built for the other part's settings). The default is v<major>_<minor>
// followed by
//   _s<N>   VITALS_COUNTER_STRIPES (always),
//   _c      VITALS_COMPACT=1 (it also changes the layout of series and table slots),
//   _ne     when vitals does not throw but the compiler has exceptions (VITALS_NO_EXCEPTIONS=1),
//   _nx     when the compiler has no exceptions (-fno-exceptions),
//   _cf     C library float formatting (VITALS_USE_TO_CHARS=0),
//   _m<N>   a VITALS_DEFAULT_MAX_SERIES other than 10000 (pasted as written: a decimal number).
// VITALS_REQUIRE_LOCK_FREE_ATOMICS only adds a static_assert, and NDEBUG changes nothing.
#if VITALS_COMPACT
#define VITALS_DETAIL_ABI_COMPACT _c
#else
#define VITALS_DETAIL_ABI_COMPACT
#endif
#if VITALS_HAS_EXCEPTIONS()
#define VITALS_DETAIL_ABI_EXCEPTIONS
#elif VITALS_DETAIL_CAN_CATCH()
#define VITALS_DETAIL_ABI_EXCEPTIONS _ne
#else
#define VITALS_DETAIL_ABI_EXCEPTIONS _nx
#endif
#if VITALS_USE_TO_CHARS
#define VITALS_DETAIL_ABI_FLOATS
#else
#define VITALS_DETAIL_ABI_FLOATS _cf
#endif
#if VITALS_DEFAULT_MAX_SERIES == 10000
#define VITALS_DETAIL_ABI_MAX_SERIES
#else
#define VITALS_DETAIL_ABI_MAX_SERIES VITALS_DETAIL_CAT(_m, VITALS_DEFAULT_MAX_SERIES)
#endif
#define VITALS_DETAIL_ABI_VERSION                                                                  \
    VITALS_DETAIL_CAT(VITALS_DETAIL_CAT(VITALS_DETAIL_CAT(v, VITALS_VERSION_MAJOR), _),            \
                      VITALS_VERSION_MINOR)
#define VITALS_DETAIL_ABI_NAME                                                                     \
    VITALS_DETAIL_CAT(                                                                             \
        VITALS_DETAIL_CAT(                                                                         \
            VITALS_DETAIL_CAT(                                                                     \
                VITALS_DETAIL_CAT(                                                                 \
                    VITALS_DETAIL_CAT(VITALS_DETAIL_ABI_VERSION,                                   \
                                      VITALS_DETAIL_CAT(_s, VITALS_COUNTER_STRIPES)),              \
                    VITALS_DETAIL_ABI_COMPACT),                                                    \
                VITALS_DETAIL_ABI_EXCEPTIONS),                                                     \
            VITALS_DETAIL_ABI_FLOATS),                                                             \
        VITALS_DETAIL_ABI_MAX_SERIES)

// The settings' name also as an ABI tag (GCC and Clang): a namespace name reaches the symbol
// of a function taking or returning a vitals type, but not that of a variable, so a global
// `vitals::counter* requests;` defined by a part built with other settings would link, and the
// two parts would read one counter with two layouts (a crash, or lost counts). The tag is
// added to such variables' and functions' symbols, which then do not link. (Not with the
// Microsoft ABI, whose symbols have no ABI tags.)
#if (defined(__GNUC__) || defined(__clang__)) && !defined(_MSC_VER)
#define VITALS_DETAIL_ABI_TAG                                                                      \
    __attribute__((__abi_tag__(VITALS_DETAIL_STR(VITALS_DETAIL_ABI_NAME))))
#else
#define VITALS_DETAIL_ABI_TAG
#endif

/// Opens the versioned public namespace.
#define VITALS_BEGIN_NAMESPACE                                                                     \
    namespace vitals {                                                                             \
    inline namespace VITALS_DETAIL_ABI_NAME VITALS_DETAIL_ABI_TAG {
/// Closes the namespace opened by VITALS_BEGIN_NAMESPACE.
#define VITALS_END_NAMESPACE                                                                       \
    }                                                                                              \
    }

// On a parameter a view keeps, or after a member function's parameters when it returns a
// reference into its object: Clang then warns (-Wdangling) when the view or reference is kept
// in a variable past the temporary it refers to.
#if defined(__clang__) && defined(__has_cpp_attribute)
#if __has_cpp_attribute(clang::lifetimebound)
#define VITALS_DETAIL_LIFETIMEBOUND [[clang::lifetimebound]]
#endif
#endif
#ifndef VITALS_DETAIL_LIFETIMEBOUND
#define VITALS_DETAIL_LIFETIMEBOUND
#endif

#if defined(__GNUC__) || defined(__clang__)
#define VITALS_DETAIL_LIKELY(x) __builtin_expect(!!(x), 1)
#define VITALS_DETAIL_UNLIKELY(x) __builtin_expect(!!(x), 0)
#define VITALS_DETAIL_NOINLINE __attribute__((__noinline__))
#define VITALS_DETAIL_ALWAYS_INLINE __attribute__((__always_inline__)) inline
#else
#define VITALS_DETAIL_LIKELY(x) (x)
#define VITALS_DETAIL_UNLIKELY(x) (x)
#define VITALS_DETAIL_NOINLINE __declspec(noinline)
#define VITALS_DETAIL_ALWAYS_INLINE __forceinline
#endif

// Before a loop whose count is a compile-time constant in the instantiations that matter:
// compilers do not unroll a loop with branches in its body at -O2 by themselves.
#if defined(__clang__) || (defined(__GNUC__) && __GNUC__ >= 8)
#define VITALS_DETAIL_UNROLL _Pragma("GCC unroll 8")
#else
#define VITALS_DETAIL_UNROLL
#endif

// On an inline function whose static or thread_local state must be one per process: with ELF,
// copies in shared libraries built with -fvisibility=hidden are then still merged into one by
// the dynamic linker. Without it, each such library had its own thread slots, so threads of
// two libraries took the same slot of one counter and overwrote each other's increments.
// (Windows DLLs each keep their own copy: see README, "Threads and memory".)
// Such a static is held in a class local to its function (a `holder`): Clang adds the ABI tag
// (VITALS_DETAIL_ABI_TAG) to the symbol of a local static whose type is a vitals type and GCC
// does not, so in a program with files from both compilers each named its own copy (two
// default registries, a scrape that waited for a lock of its own thread). A local class
// carries no tag, and its name includes the function's, so the settings still tell apart.
#if (defined(__GNUC__) || defined(__clang__)) && !defined(_WIN32) && !defined(__CYGWIN__)
#define VITALS_DETAIL_PROCESS_WIDE __attribute__((__visibility__("default")))
#else
#define VITALS_DETAIL_PROCESS_WIDE
#endif

#endif // VITALS_CONFIG_HPP
