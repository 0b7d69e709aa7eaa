// vitals 0.1.0 - header-only C++17 metrics for Prometheus, as a single header.
// GENERATED - DO NOT EDIT. Made by tools/amalgamate.py from include/vitals/vitals.hpp.
// Edit the headers under include/vitals/ and run `python3 tools/amalgamate.py` instead.
// SPDX-License-Identifier: MIT
// vitals/vitals.hpp - umbrella header: metric types, registry, serializers (text 0.0.4 and
// OpenMetrics 1.0.0) and kits.
// SPDX-License-Identifier: MIT
// Portable C++17 only: no OS headers, no sockets, starts no thread. The HTTP server is
// <vitals/server.hpp>, included separately.
#ifndef VITALS_VITALS_HPP
#define VITALS_VITALS_HPP

// #include <vitals/config.hpp>
// vitals/config.hpp - user configuration macros and the versioned namespace.
// SPDX-License-Identifier: MIT
#ifndef VITALS_CONFIG_HPP
#define VITALS_CONFIG_HPP

// #include <vitals/version.hpp>
// vitals/version.hpp - library version macros.
// SPDX-License-Identifier: MIT
#ifndef VITALS_VERSION_HPP
#define VITALS_VERSION_HPP

/// Semantic version of vitals. This file is the only place the version is written.
#define VITALS_VERSION_MAJOR 0
#define VITALS_VERSION_MINOR 1
#define VITALS_VERSION_PATCH 0

/// The version as one comparable number: major * 10000 + minor * 100 + patch.
#define VITALS_VERSION                                                                             \
    (VITALS_VERSION_MAJOR * 10000 + VITALS_VERSION_MINOR * 100 + VITALS_VERSION_PATCH)

/// The version as a string literal, e.g. "0.1.0".
#define VITALS_VERSION_STRING                                                                      \
    VITALS_DETAIL_STR(VITALS_VERSION_MAJOR)                                                        \
    "." VITALS_DETAIL_STR(VITALS_VERSION_MINOR) "." VITALS_DETAIL_STR(VITALS_VERSION_PATCH)

#define VITALS_DETAIL_STR2(x) #x
#define VITALS_DETAIL_STR(x) VITALS_DETAIL_STR2(x)

#endif // VITALS_VERSION_HPP

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
// #include <vitals/counter.hpp>
// vitals/counter.hpp - a monotonic counter, lock-free, with a cell per thread slot.
// SPDX-License-Identifier: MIT
#ifndef VITALS_COUNTER_HPP
#define VITALS_COUNTER_HPP

// #include <vitals/config.hpp>: inlined above
// #include <vitals/detail/float_class.hpp>
// vitals/detail/float_class.hpp - NaN and infinity tests without <cmath>, under any flags.
// SPDX-License-Identifier: MIT
#ifndef VITALS_DETAIL_FLOAT_CLASS_HPP
#define VITALS_DETAIL_FLOAT_CLASS_HPP

// #include <vitals/config.hpp>: inlined above

#include <cstdint> // uint64_t
#include <cstring> // memcpy

VITALS_BEGIN_NAMESPACE
namespace detail {

// These three tests are all the core needs from <cmath>, which would add to the compile time
// of every translation unit including vitals.hpp (bench/budgets.sh --headers). They read
// the IEEE 754 bits rather than compare, or call the builtins std::isnan and friends use: under
// -ffast-math (-ffinite-math-only) those are folded to false, and a NaN would then be written
// and counted. The bits keep their meaning under any flag, also in inline functions that a
// file built with -ffast-math gives the whole program.
inline std::uint64_t float_bits(double v) noexcept {
    static_assert(sizeof(double) == sizeof(std::uint64_t), "an IEEE 754 double");
    std::uint64_t bits;
    std::memcpy(&bits, &v, sizeof bits);
    return bits;
}
constexpr std::uint64_t float_magnitude_mask = 0x7fffffffffffffffULL; // all but the sign
constexpr std::uint64_t float_infinity_bits = 0x7ff0000000000000ULL;  // the exponent all ones
inline bool is_nan(double v) noexcept {
    return (float_bits(v) & float_magnitude_mask) > float_infinity_bits;
}
inline bool is_inf(double v) noexcept {
    return (float_bits(v) & float_magnitude_mask) == float_infinity_bits;
}
inline bool is_finite(double v) noexcept {
    return (float_bits(v) & float_infinity_bits) != float_infinity_bits;
}

} // namespace detail
VITALS_END_NAMESPACE

#endif // VITALS_DETAIL_FLOAT_CLASS_HPP
// #include <vitals/detail/thread_slot.hpp>
// vitals/detail/thread_slot.hpp - which per-thread cell of a counter or histogram a thread writes.
// SPDX-License-Identifier: MIT
#ifndef VITALS_DETAIL_THREAD_SLOT_HPP
#define VITALS_DETAIL_THREAD_SLOT_HPP

// #include <vitals/config.hpp>: inlined above

#include <atomic>  // atomic
#include <cstdint> // uint64_t, uintptr_t
#include <cstring> // memcpy

#if VITALS_COUNTER_STRIPES > 1 && defined(__MINGW32__) && defined(__has_include)
#if __has_include(<pthread.h>)
#include <pthread.h> // pthread_key_create, pthread_setspecific
#define VITALS_DETAIL_SLOT_PTHREAD_KEY 1
#endif
#endif
#ifndef VITALS_DETAIL_SLOT_PTHREAD_KEY
#define VITALS_DETAIL_SLOT_PTHREAD_KEY 0
#endif

VITALS_BEGIN_NAMESPACE
namespace detail {

// Every counter and histogram has VITALS_COUNTER_STRIPES owned cells, one per slot, and shared
// cells. A thread first takes a free slot: while it holds it, no other thread writes that
// slot's owned cells, so the thread adds with a plain load and store (no locked instruction:
// a fraction of a relaxed fetch_add, and no cache line moves between threads). When more
// threads are alive than there are slots, the others write shared cells with atomic
// read-modify-writes (as fast as a plain atomic, and exact). A thread gives its slot back when
// it exits; what it added stays in the cells, so totals never drop, and the next owner
// continues from there: the release on giving back and the acquire on taking make the old
// owner's last stores visible to the new one. Memory therefore grows with the number of slots
// (a build setting), never with the number of threads.
//
// A thread's state, one thread_local unsigned: 0 before its first write; slot + 1 while it owns
// a slot; (stripe + 1) | shared_flag when it writes shared cells (the stripe spreads such
// threads over a counter's shared cells).
constexpr unsigned slot_count = VITALS_COUNTER_STRIPES;
constexpr unsigned shared_flag = 0x80000000u;

struct slot_table {
    std::atomic<bool> owned[slot_count]; // a live thread owns this slot
    // Threads that have written this stripe's shared cells, for spreading new ones; never
    // lowered (see acquire_thread_state()), so a hint, not a count of live threads.
    std::atomic<unsigned> sharers[slot_count];
    std::atomic<unsigned> next_stripe;
};

VITALS_DETAIL_PROCESS_WIDE inline slot_table& slot_table_instance() noexcept {
    // Zero-initialised static storage: constant-initialised, no guard. (The holder: see
    // VITALS_DETAIL_PROCESS_WIDE.)
    struct holder {
        slot_table table;
    };
    static holder h;
    return h.table;
}

// Trivial, so reading it is one TLS load with no initialisation guard on the hot path.
VITALS_DETAIL_PROCESS_WIDE inline unsigned& thread_state() noexcept {
    static thread_local unsigned state = 0;
    return state;
}

// Gives a slot back when its thread exits.
inline void release_state(unsigned state) noexcept {
    if (state != 0 && !(state & shared_flag))
        slot_table_instance().owned[state - 1].store(false, std::memory_order_release);
}

#if VITALS_COUNTER_STRIPES > 1
#if VITALS_DETAIL_SLOT_PTHREAD_KEY
// mingw-w64: its emulated TLS can free a thread's thread_local storage before that thread's
// thread_local destructors run, and a destructor that read its own object then read freed
// memory (a crash in about one run in three of the concurrency test under wine). A pthread key
// destructor receives the value itself, the state, and touches no thread_local storage. Known
// limit: a write from the same thread after it ran (from a thread_local's destructor, which
// mingw-w64 runs after the key destructors) finds the state 0 and takes a slot again, which is
// then never given back; once every slot is held that way, threads write shared cells (exact,
// as fast as a shared atomic).
inline void release_slot_at_exit(void* value) {
    release_state(static_cast<unsigned>(reinterpret_cast<std::uintptr_t>(value)));
}

inline void register_thread_exit(unsigned state) noexcept {
    struct key_holder {
        pthread_key_t key{};
        bool ok = false;
        key_holder() noexcept { ok = pthread_key_create(&key, release_slot_at_exit) == 0; }
    };
    static key_holder holder;
    // Without a key the slot stays taken: later threads then share cells (slower, still exact).
    if (holder.ok) pthread_setspecific(holder.key, reinterpret_cast<void*>(std::uintptr_t{state}));
}
#else
struct thread_exit_hook {
    unsigned state = 0;
    thread_exit_hook() noexcept = default;
    thread_exit_hook(const thread_exit_hook&) = delete;
    thread_exit_hook& operator=(const thread_exit_hook&) = delete;
    ~thread_exit_hook() {
        release_state(state);
        // A later write from this thread (another thread_local's destructor) goes to shared
        // cells, which are exact whoever writes them; it must not touch the given-back slot.
        thread_state() = 1u | shared_flag;
    }
};

inline void register_thread_exit(unsigned state) noexcept {
    // Registering the destructor may make the C++ runtime allocate a few bytes, once per thread.
    // Known limit: registered after the thread's thread_local destructors ran (a first write
    // from a pthread key's destructor, which glibc runs after them), it never runs, and the
    // slot is never given back.
    struct holder { // one symbol with GCC and Clang (see VITALS_DETAIL_PROCESS_WIDE)
        thread_exit_hook hook;
    };
    static thread_local holder h;
    h.hook.state = state;
}
#endif
#endif

// Slow path: a thread's first write to any counter or histogram. Takes the first free slot in
// the order 0, N/2, N/4, 3N/4, ... so that the first threads write cells far apart.
VITALS_DETAIL_NOINLINE inline unsigned acquire_thread_state() noexcept {
#if VITALS_COUNTER_STRIPES > 1
    slot_table& t = slot_table_instance();
    unsigned state = 0;
    for (unsigned k = 0; k < slot_count && state == 0; ++k) {
        unsigned i = 0;
        for (unsigned bit = 1, rbit = slot_count / 2; rbit != 0; bit <<= 1, rbit >>= 1)
            if (k & bit) i |= rbit;
        bool expected = false;
        if (!t.owned[i].load(std::memory_order_relaxed) &&
            t.owned[i].compare_exchange_strong(expected, true, std::memory_order_acquire,
                                               std::memory_order_relaxed))
            state = i + 1;
    }
    if (state == 0) { // every slot owned: share the stripe fewest threads share
        unsigned best = t.next_stripe.fetch_add(1, std::memory_order_relaxed) % slot_count;
        for (unsigned i = 0; i < slot_count; ++i)
            if (t.sharers[i].load(std::memory_order_relaxed) <
                t.sharers[best].load(std::memory_order_relaxed))
                best = i;
        t.sharers[best].fetch_add(1, std::memory_order_relaxed);
        state = (best + 1) | shared_flag;
    }
    // Only a slot is given back at exit. A thread writing shared cells registers nothing: its
    // hook would only lower a hint, and one registered after the thread's thread_local
    // destructors ran (a first write from a pthread key's destructor) is never run nor freed,
    // a few bytes lost per such thread without bound once every slot is held.
    if (!(state & shared_flag)) register_thread_exit(state);
    thread_state() = state;
    return state;
#else
    return 1u | shared_flag;
#endif
}

/// The calling thread's state (see above), never 0.
inline unsigned current_thread_state() noexcept {
#if VITALS_COUNTER_STRIPES > 1
    const unsigned s = thread_state();
    if (VITALS_DETAIL_LIKELY(s != 0)) return s;
    return acquire_thread_state();
#else
    return 1u | shared_flag; // one cell, always written atomically: no thread-local state
#endif
}

/// Adds to a cell only the calling thread writes: a plain load and store, no locked
/// instruction. Atomic all the same, so that a concurrent reader sees a whole value.
inline void owned_add(std::atomic<std::uint64_t>& cell, std::uint64_t n) noexcept {
    cell.store(cell.load(std::memory_order_relaxed) + n, std::memory_order_relaxed);
}

inline std::uint64_t double_bits(double d) noexcept {
    std::uint64_t u;
    std::memcpy(&u, &d, sizeof u);
    return u;
}

inline double bits_double(std::uint64_t u) noexcept {
    double d;
    std::memcpy(&d, &u, sizeof d);
    return d;
}

/// Adds `v` to the double whose bits a cell only the calling thread writes holds (see
/// owned_add). Each observation's add waits for the previous one's store to this cell, so
/// this path through memory sets how fast one thread observes. On x86-64 the bits go through
/// an integer register: which register is faster depends on the CPU (bench/ab_core.sh tells
/// on a given one), and the integer path is kept because it was the one that brought
/// observe() within 1.5x of a relaxed fetch_add on the CPU where it was furthest from it.
/// The empty asm statements only keep the compilers from folding the load and the store into
/// SSE instructions; the atomic load and store remain, and ThreadSanitizer checks them.
inline void owned_add_double(std::atomic<std::uint64_t>& cell, double v) noexcept {
    std::uint64_t bits = cell.load(std::memory_order_relaxed);
#if defined(__GNUC__) && defined(__x86_64__)
    __asm__("" : "+r"(bits));
#endif
    bits = double_bits(bits_double(bits) + v);
#if defined(__GNUC__) && defined(__x86_64__)
    __asm__("" : "+r"(bits));
#endif
    cell.store(bits, std::memory_order_relaxed);
}

} // namespace detail
VITALS_END_NAMESPACE

#endif // VITALS_DETAIL_THREAD_SLOT_HPP
// #include <vitals/exemplar.hpp>
// vitals/exemplar.hpp - exemplars: a trace id (or other labels) attached to one observation.
// SPDX-License-Identifier: MIT
#ifndef VITALS_EXEMPLAR_HPP
#define VITALS_EXEMPLAR_HPP

// #include <vitals/config.hpp>: inlined above
// #include <vitals/detail/narrow.hpp>
// vitals/detail/narrow.hpp - an explicit integer conversion that may narrow on some targets.
// SPDX-License-Identifier: MIT
#ifndef VITALS_DETAIL_NARROW_HPP
#define VITALS_DETAIL_NARROW_HPP

// #include <vitals/config.hpp>: inlined above

VITALS_BEGIN_NAMESPACE
namespace detail {

/// Converts `v` to `To` on purpose, for conversions that narrow on some targets and not on
/// others (a 64-bit hash or byte count to std::size_t narrows only on 32-bit targets). A plain
/// static_cast there is flagged by -Wuseless-cast where the types coincide, and dropping it is
/// flagged by -Wconversion where they do not; a cast on a template parameter is neither.
template <class To, class From>
constexpr To narrow(From v) noexcept {
    return static_cast<To>(v);
}

} // namespace detail
VITALS_END_NAMESPACE

#endif // VITALS_DETAIL_NARROW_HPP
// #include <vitals/detail/text_words.hpp>
// vitals/detail/text_words.hpp - a text's bytes read as 64-bit words, without reading past it.
// SPDX-License-Identifier: MIT
#ifndef VITALS_DETAIL_TEXT_WORDS_HPP
#define VITALS_DETAIL_TEXT_WORDS_HPP

// #include <vitals/config.hpp>: inlined above

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
// #include <vitals/detail/thread_slot.hpp>: inlined above

#include <atomic>      // atomic, atomic_thread_fence
#include <cstddef>     // size_t
#include <cstdint>     // int32_t, uint32_t, uint64_t
#include <cstring>     // memcpy
#include <ctime>       // time
#include <new>         // nothrow
#include <string_view> // string_view

VITALS_BEGIN_NAMESPACE

/// A label of an exemplar: two views, copied only when the exemplar is recorded.
struct exemplar_label {
    std::string_view name;
    std::string_view value;
};

/// An exemplar to attach to an increment or an observation (counter::inc(double, const
/// exemplar&), histogram::observe(double, const exemplar&)): usually the id of the trace
/// the request belonged to, `vitals::exemplar{"trace_id", id}`. A view: it copies and
/// allocates nothing, and the strings (or the list) it refers to must outlive the call.
/// Make it in the call; kept in a variable, it must not outlive them, and the braced list
/// of the several-label form dies at the end of the statement that makes it (Clang warns).
///
/// OpenMetrics limits an exemplar's labels to 128 UTF-8 characters in total, names and values
/// together; label names follow the label-name rules; values hold no NUL byte (Prometheus
/// rejects a scrape over one there); a timestamp set with at() must be finite and
/// within what Prometheus' int64 milliseconds hold. An exemplar that
/// breaks a rule is never shown (the increment or observation itself still counts): recording only
/// copies it, and a scrape that finds it invalid leaves it out and counts it, once, in
/// exemplars_dropped(); one too long to store is dropped and counted when recorded. The timestamp
/// is the second of the system clock when recorded (std::time: a few nanoseconds, where the clock
/// with a fraction costs several observations), unless at() sets one; one recorded while the
/// system clock cannot be read (std::time fails) is shown without a timestamp.
class exemplar {
public:
    /// One label, e.g. {"trace_id", "4bf92f3577b34da6a3ce929d0e0e4736"}.
    exemplar(std::string_view name VITALS_DETAIL_LIFETIMEBOUND,
             std::string_view value VITALS_DETAIL_LIFETIMEBOUND) noexcept
        : one_{name, value}, labels_(&one_), size_(1) {}
    /// Several labels, e.g. {{"trace_id", t}, {"span_id", s}} (a temporary array that lives
    /// until the end of the call's full expression).
    template <std::size_t N>
    exemplar(const exemplar_label (&labels VITALS_DETAIL_LIFETIMEBOUND)[N]) noexcept
        : labels_(labels), size_(N) {}
    /// `n` labels at `labels`.
    exemplar(const exemplar_label* labels VITALS_DETAIL_LIFETIMEBOUND, std::size_t n) noexcept
        : labels_(labels), size_(n) {}
    exemplar(const exemplar& other) noexcept
        : one_(other.one_), labels_(other.labels_ == &other.one_ ? &one_ : other.labels_),
          size_(other.size_), timestamp_(other.timestamp_), has_timestamp_(other.has_timestamp_) {}
    exemplar& operator=(const exemplar&) = delete;

    /// Uses `unix_seconds` as the exemplar's timestamp instead of the time it is recorded.
    /// A NaN or infinite timestamp, or one beyond about +/-9.2e15 s (what Prometheus'
    /// int64 milliseconds hold), makes the exemplar invalid (never shown, and counted).
    exemplar& at(double unix_seconds) noexcept {
        timestamp_ = unix_seconds;
        has_timestamp_ = true;
        return *this;
    }

    const exemplar_label* begin() const noexcept { return labels_; }
    const exemplar_label* end() const noexcept { return labels_ + size_; }
    std::size_t size() const noexcept { return size_; }
    bool has_timestamp() const noexcept { return has_timestamp_; }
    double timestamp() const noexcept { return timestamp_; }

private:
    exemplar_label one_{};
    const exemplar_label* labels_;
    std::size_t size_;
    double timestamp_ = 0.0;
    bool has_timestamp_ = false;
};

namespace detail {

/// Exemplars dropped because they broke a rule (process-wide; see exemplars_dropped()).
VITALS_DETAIL_PROCESS_WIDE inline std::atomic<std::uint64_t>& exemplars_dropped_cell() noexcept {
    static std::atomic<std::uint64_t> cell{0};
    return cell;
}

/// Bytes an exemplar's labels take in a cell: per label a word of lengths, then the name and
/// the value, each from a word boundary and zero-padded to one (see store_text()). A valid
/// exemplar fits: a label takes at most 16 bytes per character of its name and value (a name
/// has at least one, and a character at most 4 bytes), and all of them at most 128.
inline constexpr std::size_t exemplar_capacity = 2048;
inline constexpr std::size_t max_exemplar_chars = 128;

/// The bytes of `e`'s labels in a cell (see exemplar_capacity), or 0 when they cannot fit
/// (then they break the 128-character rule anyway). The rules are checked when the exemplar
/// is shown (valid_exemplar()): recording stays a copy.
inline std::size_t encoded_exemplar_size(const exemplar& e) noexcept {
    std::size_t n = 0;
    for (const exemplar_label* l = e.begin(); l != e.end(); ++l) {
        if (l->name.size() > exemplar_capacity || l->value.size() > exemplar_capacity) return 0;
        n += 8 + (l->name.size() + 7) / 8 * 8 + (l->value.size() + 7) / 8 * 8;
        if (n > exemplar_capacity) return 0;
    }
    return n;
}

/// The word of lengths before a label's texts in a cell.
inline std::uint64_t exemplar_label_lengths(std::size_t name, std::size_t value) noexcept {
    return std::uint64_t{name} | std::uint64_t{value} << 16; // each at most exemplar_capacity
}

/// Stores `text` into the words at `out` from the first, the last one zero-padded; returns
/// the word after them. Straight from the text (no byte loop, no copy through a buffer, whose
/// words read back just after the bytes were stored one by one would wait for those stores:
/// labels went through such a buffer before, and that wait was most of recording one).
inline std::atomic<std::uint64_t>* store_text(std::atomic<std::uint64_t>* out,
                                              std::string_view text) noexcept {
    const char* p = text.data();
    const std::size_t len = text.size();
    std::size_t i = 0;
    for (; i + 8 <= len; i += 8) (out++)->store(load_u64(p + i), std::memory_order_relaxed);
    if (i < len) {
        // The last 1 to 7 bytes: the second word of the head of the 9 to 15 bytes ending at
        // the text's end, or of a text that short, the first.
        const std::uint64_t tail =
            i >= 8 ? value_head(p + i - 8, len - i + 8).hi : value_head(p, len).lo;
        (out++)->store(tail, std::memory_order_relaxed);
    }
    return out;
}

/// Bytes of labels a cell holds when made for a short exemplar: a 32-digit trace id with a
/// 16-digit span id takes 80. A longer exemplar moves its bucket's cell to one of
/// exemplar_capacity bytes, once.
inline constexpr std::size_t small_exemplar_capacity = 128;

/// The latest exemplar one writer (see exemplar_slots) recorded for one counter series or
/// histogram bucket, behind a sequence lock: readers retry until they copied a whole one, so a
/// scrape never shows a torn exemplar. Every field is an atomic, so the lock is also
/// data-race-free in the C++ memory model (and under ThreadSanitizer). Made as an
/// exemplar_cell_of<capacity>, which holds the words `data` points to.
struct exemplar_cell {
    std::atomic<std::uint32_t> seq{0};  // odd while a writer is copying; 0: never written
    std::atomic<std::uint32_t> size{0}; // bytes of labels
    std::atomic<double> value{0.0};
    std::atomic<double> timestamp{0.0};
    std::atomic<std::uint32_t> epoch{0};           // exemplar_slots' epoch when written
    std::atomic<std::uint32_t> counted_invalid{0}; // seq of the last exemplar counted as invalid
    std::atomic<std::uint64_t>* const data;        // capacity / 8 words
    const std::uint32_t capacity;                  // bytes
    // The system clock's second when written, modulo 2^32, whatever timestamp at() gave: the
    // latest of a bucket's cells is the one recorded last, so that a timestamp given by
    // mistake (milliseconds, +Inf) cannot hide the exemplars recorded after it.
    std::atomic<std::uint32_t> recorded{0};
    // The smaller cell this one took the place of: kept until the metric goes, since a scrape
    // may still be reading it.
    exemplar_cell* replaced = nullptr;

    exemplar_cell(const exemplar_cell&) = delete;
    exemplar_cell& operator=(const exemplar_cell&) = delete;

    /// The even sequence number after the odd `s`: past 2^32 it skips 0, which would read as
    /// "never written" and hide the exemplar (a cell written a million times a second wraps
    /// every 36 minutes).
    static std::uint32_t next_seq(std::uint32_t s) noexcept { return s + 1 != 0 ? s + 1 : 2; }

    /// Writes an exemplar into a cell only the calling thread writes (its thread slot's): no
    /// locked instruction, where taking the lock with a compare-and-swap costs as much as a
    /// relaxed fetch_add. `n` is encoded_exemplar_size(e), at most capacity.
    void write_owned(const exemplar& e, std::size_t n, double v, double ts, std::uint32_t rec,
                     std::uint32_t at_epoch) noexcept {
        const std::uint32_t s = seq.load(std::memory_order_relaxed);
        // Odd: this thread's write was interrupted (a signal handler that records), or, with
        // mingw-w64, a thread exiting still writes with the slot it gave back. Dropping this
        // exemplar leaves the other write whole.
        if (VITALS_DETAIL_UNLIKELY((s & 1) != 0)) return;
        seq.store(s + 1, std::memory_order_relaxed);
        fill(e, n, v, ts, rec, at_epoch);
        seq.store(next_seq(s + 1), std::memory_order_release);
    }

    /// write_owned() for a cell several threads write: a writer that finds another one busy
    /// drops its exemplar, which is then not the latest anyway, so writers never wait.
    void write_shared(const exemplar& e, std::size_t n, double v, double ts, std::uint32_t rec,
                      std::uint32_t at_epoch) noexcept {
        std::uint32_t s = seq.load(std::memory_order_relaxed);
        if ((s & 1) != 0 || !seq.compare_exchange_strong(s, s + 1, std::memory_order_acquire,
                                                         std::memory_order_relaxed))
            return;
        fill(e, n, v, ts, rec, at_epoch);
        seq.store(next_seq(s + 1), std::memory_order_release);
    }

    /// Counts the exemplar of `version` as dropped, once however many scrapes see it.
    void count_invalid(std::uint32_t version) noexcept {
        if (counted_invalid.exchange(version, std::memory_order_relaxed) != version)
            exemplars_dropped_cell().fetch_add(1, std::memory_order_relaxed);
    }

    /// Copies the latest exemplar into `bytes` (exemplar_capacity); returns its size, or 0
    /// when there is none (or writers kept it busy through every attempt). `rec` is when it
    /// was recorded (see `recorded`).
    std::size_t read(char* bytes, double& v, double& ts, std::uint32_t& rec,
                     std::uint32_t* version = nullptr,
                     std::uint32_t* at_epoch = nullptr) const noexcept {
        for (int attempt = 0; attempt < 64; ++attempt) {
            const std::uint32_t s1 = seq.load(std::memory_order_acquire);
            if (version) *version = s1;
            if (s1 == 0) return 0;
            if ((s1 & 1) != 0) continue;
            std::size_t n = size.load(std::memory_order_relaxed);
            if (n > capacity) n = capacity; // torn: the check below retries
            v = value.load(std::memory_order_relaxed);
            ts = timestamp.load(std::memory_order_relaxed);
            rec = recorded.load(std::memory_order_relaxed);
            const std::uint32_t e = epoch.load(std::memory_order_relaxed);
            for (std::size_t i = 0; i * 8 < n; ++i) {
                const std::uint64_t w = data[i].load(std::memory_order_relaxed);
                std::memcpy(bytes + i * 8, &w, n - i * 8 < 8 ? n - i * 8 : 8);
            }
            std::atomic_thread_fence(std::memory_order_acquire);
            if (seq.load(std::memory_order_relaxed) == s1) {
                if (at_epoch) *at_epoch = e;
                return n;
            }
        }
        return 0;
    }

protected:
    exemplar_cell(std::atomic<std::uint64_t>* words, std::uint32_t bytes) noexcept
        : data(words), capacity(bytes) {}
    ~exemplar_cell() = default;

private:
    // The writer's part inside the lock (seq odd).
    void fill(const exemplar& e, std::size_t n, double v, double ts, std::uint32_t rec,
              std::uint32_t at_epoch) noexcept {
        std::atomic_thread_fence(std::memory_order_release); // the odd seq before the fields
        size.store(detail::narrow<std::uint32_t>(n), std::memory_order_relaxed);
        value.store(v, std::memory_order_relaxed);
        timestamp.store(ts, std::memory_order_relaxed);
        recorded.store(rec, std::memory_order_relaxed);
        epoch.store(at_epoch, std::memory_order_relaxed);
        // Straight from the labels' texts into the words: no copy in between to read back.
        std::atomic<std::uint64_t>* out = data;
        for (const exemplar_label& l : e) {
            (out++)->store(exemplar_label_lengths(l.name.size(), l.value.size()),
                           std::memory_order_relaxed);
            out = store_text(out, l.name);
            out = store_text(out, l.value);
        }
    }
};

/// An exemplar_cell of `Bytes` bytes of labels.
template <std::size_t Bytes>
struct exemplar_cell_of final : exemplar_cell {
    static_assert(Bytes % 8 == 0, "whole words");
    exemplar_cell_of() noexcept : exemplar_cell(words, Bytes) {
        for (auto& w : words) w.store(0, std::memory_order_relaxed);
    }
    std::atomic<std::uint64_t> words[Bytes / 8];
};

/// The exemplar cells of one counter (one bucket) or histogram (one per bucket): a table
/// allocated on the first exemplar, each cell on its writer's first exemplar in its bucket, so
/// a metric never given an exemplar costs one null pointer. Owned by the metric.
///
/// Each bucket has a cell per writer: one for each thread slot (see thread_slot.hpp), written
/// by the thread that owns the slot alone, without a locked instruction, and one that threads
/// without a slot share. With one cell per bucket that every thread locked, two threads
/// observing into one bucket took 2.5x one thread's time per observation instead of 0.5x
/// (bench/bench_core.cpp, lockstep). A scrape shows the cell written last, by the system
/// clock's second when recorded (not exemplar::at()'s); of cells from one second, the lowest
/// slot's; cells recorded at a second still ahead of the scrape's rank below the others.
class exemplar_slots {
public:
    static constexpr std::size_t groups =
        VITALS_COUNTER_STRIPES > 1 ? std::size_t{slot_count} + 1 : 1; // the shared one last

    exemplar_slots() noexcept = default;
    exemplar_slots(const exemplar_slots&) = delete;
    exemplar_slots& operator=(const exemplar_slots&) = delete;
    ~exemplar_slots() {
        block* b = block_.load(std::memory_order_acquire);
        if (!b) return;
        for (std::size_t i = 0; i < b->n; ++i)
            delete_cell(b->cells[i].load(std::memory_order_relaxed));
        delete[] b->cells;
        delete b;
    }

    /// Records `e` with value `v` as the latest exemplar of bucket `index` of `count`, written
    /// by the thread of `thread_state` (current_thread_state()). Never throws; drops (and
    /// counts) one that cannot fit or for which memory is short. The other rules are checked
    /// when it is shown (see valid_exemplar()), so recording is a copy.
    void record(unsigned thread_state, std::size_t index, std::size_t count, double v,
                const exemplar& e) noexcept {
        const std::size_t n = encoded_exemplar_size(e);
        block* b = n != 0 ? block_.load(std::memory_order_acquire) : nullptr;
        if (VITALS_DETAIL_UNLIKELY(!b) && n != 0) b = make_block(count);
#if VITALS_COUNTER_STRIPES > 1
        const bool owned = thread_state - 1 < slot_count;
        const std::size_t group = owned ? thread_state - 1 : groups - 1;
#else
        (void)thread_state;
        constexpr bool owned = false;
        constexpr std::size_t group = 0;
#endif
        exemplar_cell* c =
            b && index < b->per_group ? cell(*b, group * b->per_group + index, n) : nullptr;
        if (VITALS_DETAIL_UNLIKELY(!c)) {
            exemplars_dropped_cell().fetch_add(1, std::memory_order_relaxed);
            return;
        }
        const std::time_t seconds = std::time(nullptr);
        const double ts = e.has_timestamp() ? e.timestamp() : static_cast<double>(seconds);
        const auto rec = static_cast<std::uint32_t>(seconds);
        const std::uint32_t at_epoch = b->epoch.load(std::memory_order_relaxed);
        if (owned)
            c->write_owned(e, n, v, ts, rec, at_epoch);
        else
            c->write_shared(e, n, v, ts, rec, at_epoch);
    }

    /// Whether no exemplar was ever recorded here (no table of cells).
    bool empty() const noexcept { return block_.load(std::memory_order_acquire) == nullptr; }

    /// Copies the latest exemplar of bucket `index` into `bytes` (exemplar_capacity) and
    /// returns its size, or 0 when it has none. `*from` and `*version` tell which cell and
    /// write it came from (for exemplar_cell::count_invalid()), `*recorded` the system clock's
    /// second when it was recorded (see exemplar_cell::recorded).
    std::size_t read_latest(std::size_t index, char* bytes, double& v, double& ts,
                            const exemplar_cell** from = nullptr, std::uint32_t* version = nullptr,
                            std::uint32_t* recorded = nullptr) const noexcept {
        const block* b = block_.load(std::memory_order_acquire);
        if (!b || index >= b->per_group) return 0;
        const std::uint32_t current = b->epoch.load(std::memory_order_acquire);
        // A cell recorded more than a second after now was recorded before the wall clock
        // was stepped back (or while it ran ahead): whatever was recorded since ranks above
        // it, else a clock set back an hour kept showing the old exemplar for that hour.
        const auto now = static_cast<std::uint32_t>(std::time(nullptr));
        char other[exemplar_capacity];
        std::size_t found = 0;
        std::uint32_t latest = 0;
        bool latest_ahead = false;
        for (std::size_t g = 0; g < groups; ++g) {
            const exemplar_cell* c =
                b->cells[g * b->per_group + index].load(std::memory_order_acquire);
            if (!c) continue;
            char* into = found == 0 ? bytes : other;
            double cv = 0.0, cts = 0.0;
            std::uint32_t rec = 0, cversion = 0, at_epoch = 0;
            const std::size_t n = c->read(into, cv, cts, rec, &cversion, &at_epoch);
            // Not shown: none, one from before the last reset(), one recorded no later than
            // the one found (seconds modulo 2^32, compared as a difference), or ahead of now
            // where the one found is not.
            if (n == 0 || at_epoch != current) continue;
            const bool ahead = static_cast<std::int32_t>(rec - now) > 1;
            if (found != 0 &&
                (ahead != latest_ahead ? ahead : static_cast<std::int32_t>(rec - latest) <= 0))
                continue;
            if (into != bytes) std::memcpy(bytes, other, n);
            found = n;
            latest = rec;
            latest_ahead = ahead;
            v = cv;
            ts = cts;
            if (from) *from = c;
            if (version) *version = cversion;
            if (recorded) *recorded = rec;
        }
        return found;
    }

    /// Forgets every exemplar (a series removed and re-added starts without): exemplars
    /// recorded before are no longer shown. The cells are not written, since a thread slot's
    /// are written by their owner alone.
    void reset() noexcept {
        if (block* b = block_.load(std::memory_order_acquire))
            b->epoch.fetch_add(1, std::memory_order_release);
    }

private:
    struct block {
        std::size_t n;         // groups * per_group
        std::size_t per_group; // the metric's cells (buckets)
        std::atomic<exemplar_cell*>* cells;
        std::atomic<std::uint32_t> epoch{0}; // reset()s so far
    };

    static void delete_cell(exemplar_cell* c) noexcept {
        while (c) {
            exemplar_cell* replaced = c->replaced;
            if (c->capacity == small_exemplar_capacity)
                delete static_cast<exemplar_cell_of<small_exemplar_capacity>*>(c);
            else
                delete static_cast<exemplar_cell_of<exemplar_capacity>*>(c);
            c = replaced;
        }
    }

    // Cell `i` of `b`, made (or replaced by a bigger one) when it cannot take `n` bytes.
    static exemplar_cell* cell(block& b, std::size_t i, std::size_t n) noexcept {
        exemplar_cell* c = b.cells[i].load(std::memory_order_acquire);
        if (VITALS_DETAIL_LIKELY(c && n <= c->capacity)) return c;
        return make_cell(b.cells[i], c, n);
    }

    VITALS_DETAIL_NOINLINE static exemplar_cell*
    make_cell(std::atomic<exemplar_cell*>& place, exemplar_cell* current, std::size_t n) noexcept {
        for (;;) {
            exemplar_cell* made = nullptr;
            if (n <= small_exemplar_capacity)
                made = new (std::nothrow) exemplar_cell_of<small_exemplar_capacity>();
            else
                made = new (std::nothrow) exemplar_cell_of<exemplar_capacity>();
            if (!made) return nullptr;
            made->replaced = current;
            if (place.compare_exchange_strong(current, made, std::memory_order_acq_rel))
                return made;
            // Another writer of the shared cell put one there first; take it if it is big
            // enough, else replace that one.
            made->replaced = nullptr;
            delete_cell(made);
            if (current && n <= current->capacity) return current;
        }
    }

    VITALS_DETAIL_NOINLINE block* make_block(std::size_t count) noexcept {
        const std::size_t n = groups * count;
        auto* cells = new (std::nothrow) std::atomic<exemplar_cell*>[n];
        if (!cells) return nullptr;
        for (std::size_t i = 0; i < n; ++i) cells[i].store(nullptr, std::memory_order_relaxed);
        auto* b = new (std::nothrow) block{n, count, cells};
        if (!b) {
            delete[] cells;
            return nullptr;
        }
        block* expected = nullptr;
        if (!block_.compare_exchange_strong(expected, b, std::memory_order_acq_rel)) {
            delete[] cells;
            delete b;
            return expected;
        }
        return b;
    }

    std::atomic<block*> block_{nullptr};
};

/// Lets the exposition writers reach a metric's exemplars, which are not part of its API.
struct exemplar_access {
    template <class Metric>
    static const exemplar_slots& of(const Metric& m) noexcept {
        return m.exemplars();
    }
};

} // namespace detail

/// Exemplars dropped so far in this process because they broke a rule (an invalid label name,
/// invalid UTF-8, more than 128 characters, a timestamp that is NaN or infinite) or memory was
/// short. Lock-free.
inline std::uint64_t exemplars_dropped() noexcept {
    return detail::exemplars_dropped_cell().load(std::memory_order_relaxed);
}

VITALS_END_NAMESPACE

#endif // VITALS_EXEMPLAR_HPP
// #include <vitals/rejected_writes.hpp>
// vitals/rejected_writes.hpp - the count of writes vitals refused (negative, NaN, infinite).
// SPDX-License-Identifier: MIT
#ifndef VITALS_REJECTED_WRITES_HPP
#define VITALS_REJECTED_WRITES_HPP

// #include <vitals/config.hpp>: inlined above

#include <atomic>  // atomic
#include <cstdint> // uint64_t

VITALS_BEGIN_NAMESPACE

namespace detail {
VITALS_DETAIL_PROCESS_WIDE inline std::atomic<std::uint64_t>& rejected_write_count() noexcept {
    // Zero-initialised static storage: constant-initialised, no guard.
    static std::atomic<std::uint64_t> count;
    return count;
}

// Out of line: the hot paths only branch to it.
VITALS_DETAIL_NOINLINE inline void note_rejected_write() noexcept {
    rejected_write_count().fetch_add(1, std::memory_order_relaxed);
}
} // namespace detail

/// How many writes this program's counters and histograms refused, in every registry: a
/// negative, NaN or infinite counter increment (whatever its type: `inc(-1.0)`,
/// `inc_by(-1L)`), an unsigned `inc_by` amount of 2^63 or more (a subtraction that went
/// below zero), an increment that would make a counter's total infinite, a NaN or infinite
/// observation, a stateset state set by a name the stateset does not have (a typo), a negative
/// duration given to a kit's plain record(), and a count a kit scope's
/// destructor could not make because the series for it could not be created (out of memory: an HTTP
/// request tracker meeting a new status code or error type). A refused write changes nothing else
/// (never an abort, never an exception); this count is how it shows. Export it with a collector,
/// e.g. `out.counter("app_vitals_rejected_writes", "...", double(vitals::rejected_writes()))`.
/// Thread-safe, lock-free, does not allocate.
inline std::uint64_t rejected_writes() noexcept {
    return detail::rejected_write_count().load(std::memory_order_relaxed);
}

VITALS_END_NAMESPACE

#endif // VITALS_REJECTED_WRITES_HPP

#include <atomic>      // atomic
#include <cstdint>     // uint64_t
#include <type_traits> // enable_if_t, is_integral, is_signed, is_floating_point

VITALS_BEGIN_NAMESPACE

static_assert((VITALS_COUNTER_STRIPES & (VITALS_COUNTER_STRIPES - 1)) == 0 &&
                  VITALS_COUNTER_STRIPES >= 1 && VITALS_COUNTER_STRIPES <= 64,
              "VITALS_COUNTER_STRIPES must be a power of two in 1..64");

// 32-bit targets: see VITALS_REQUIRE_LOCK_FREE_ATOMICS in config.hpp. Without it, a target
// whose 64-bit atomics are not always lock-free falls back to libatomic (linked by the build
// files); with it, that target does not compile.
#if VITALS_REQUIRE_LOCK_FREE_ATOMICS
static_assert(std::atomic<std::uint64_t>::is_always_lock_free &&
                  std::atomic<double>::is_always_lock_free,
              "VITALS_REQUIRE_LOCK_FREE_ATOMICS: 64-bit atomics are not lock-free on this target "
              "(build without it to use libatomic's fallback)");
#endif

/// A monotonically increasing value, exposed as `<name>_total`.
///
/// Whole-number increments go to integer cells; fractional ones to a separate double cell (CAS
/// loop). With VITALS_COUNTER_STRIPES > 1 the counter has one cell per thread slot (see
/// detail/thread_slot.hpp): the first VITALS_COUNTER_STRIPES threads alive at once each own a
/// cell on its own cache line and add to it with a plain load and store; further threads add
/// to shared cells atomically. value() sums the cells. A counter is VITALS_COUNTER_STRIPES
/// times 64 bytes whatever the number of threads, aligned to 128. All members are thread-safe,
/// lock-free and never allocate. Usable alone or as a series of a registry family.
///
/// Refused writes: a negative, NaN or infinite amount, one that would make the total
/// infinite, a whole amount of 2^63 or more (a wrapped-around unsigned subtraction), or one
/// that would carry a cell past 2^64 - 1 (the whole-number total of one thread's cell, or of
/// the counter with VITALS_COMPACT, over its lifetime) leaves the counter unchanged and is
/// counted by vitals::rejected_writes(). The whole-number total of several threads' cells
/// stops at 2^64 - 1: it never wraps around to a smaller one.
class counter {
public:
    counter() noexcept = default;
    counter(const counter&) = delete; // take a reference: auto& c = reg.counter(...)
    counter& operator=(const counter&) = delete;

    /// Adds one.
    void inc() noexcept { add_whole(1); }

    /// Adds `amount`. A negative, NaN or infinite amount is refused (the value stays
    /// unchanged; see vitals::rejected_writes()), and so is one that would make the total
    /// overflow to infinity: a counter never goes down and never becomes non-finite.
    void inc(double amount) noexcept { (void)add(amount); }

    /// inc(amount), and `e` becomes the counter's latest exemplar (shown only in OpenMetrics
    /// output), with `amount` as its value. An amount that is refused records nothing; an
    /// invalid exemplar is dropped (see vitals::exemplar). Lock-free, as observe(v, exemplar)
    /// is; the first exemplar allocates the counter's table of cells, a thread's first its cell.
    void inc(double amount, const exemplar& e) noexcept {
        if (add(amount)) exemplars().record(detail::current_thread_state(), 0, 1, amount, e);
    }

    /// Adds a whole number; cheaper than inc(double). An amount of 2^63 or more is refused like
    /// a negative one (see vitals::rejected_writes()): it is what a 64-bit unsigned subtraction
    /// below zero gives (`inc_by(end - start)` with `end < start`), and adding it would wrap
    /// the total around to less than it was. (A 32-bit one wraps to below 2^32: added.)
    void inc_by(std::uint64_t amount) noexcept {
        if (VITALS_DETAIL_UNLIKELY(amount >> 63)) return detail::note_rejected_write();
        add_whole(amount);
    }

    /// Adds a whole number of a signed type. A negative amount is refused like inc(-1.0):
    /// the value stays unchanged and vitals::rejected_writes() counts it (it never wraps
    /// around to a huge increment).
    template <class Int,
              std::enable_if_t<std::is_integral<Int>::value && std::is_signed<Int>::value &&
                                   (sizeof(Int) <= sizeof(std::uint64_t)),
                               int> = 0>
    void inc_by(Int amount) noexcept {
        if (VITALS_DETAIL_UNLIKELY(amount < 0)) return detail::note_rejected_write();
        add_whole(static_cast<std::uint64_t>(amount));
    }

    /// Not for integers wider than 64 bits (GNU's __int128 and unsigned __int128), which
    /// would be cut to their low 64 bits.
    template <class Wide,
              std::enable_if_t<
                  std::is_integral<Wide>::value && (sizeof(Wide) > sizeof(std::uint64_t)), int> = 0>
    void inc_by(Wide) noexcept {
        static_assert(sizeof(Wide) <= sizeof(std::uint64_t),
                      "vitals::counter::inc_by takes whole numbers of at most 64 bits");
    }

    /// Not for fractional amounts: those go through inc(double).
    template <class Float, std::enable_if_t<std::is_floating_point<Float>::value, int> = 0>
    void inc_by(Float) noexcept {
        static_assert(!std::is_floating_point<Float>::value,
                      "vitals::counter::inc_by takes whole numbers; use inc(double) for a "
                      "fractional amount");
    }

    /// The current total. Concurrent increments may or may not be included. Past 2^53, where
    /// a double cannot hold every whole number, never below the whole-number total: the
    /// exposition shows that total exactly until a fractional increment, and this value after
    /// it, which must not make the counter seem to go down.
    double value() const noexcept {
        const double fraction_sum = fraction().load(std::memory_order_relaxed);
        return not_below(whole_value()) + fraction_sum;
    }

    /// The sum of the whole-number increments only: exact up to 2^64 - 1, where it stays (a
    /// total past it is shown as 2^64 - 1, never wrapped around to a smaller one).
    std::uint64_t whole_value() const noexcept {
#if VITALS_COUNTER_STRIPES > 1
        // Acquire: the cells read below are then no older than those reset() summed, so the
        // difference never goes below zero. (The high word is read apart from the low one:
        // a reset() running meanwhile can tear the two only past 2^64.)
        const std::uint64_t base_low = stripes_[0].reset_base.load(std::memory_order_acquire);
        const std::uint64_t base_high = stripes_[0].reset_base_high.load(std::memory_order_relaxed);
        std::uint64_t high = 0;
        const std::uint64_t low = sum_cells(high);
        high -= base_high + (low < base_low);
        return high == 0 ? low - base_low : ~std::uint64_t{0};
#else
        return cell_.load(std::memory_order_relaxed);
#endif
    }

    /// True when only whole numbers were added, so value() is an exact integer.
    bool is_whole() const noexcept { return fraction().load(std::memory_order_relaxed) == 0.0; }

    /// Sets the counter back to zero. Meant for a series that is removed and re-added: on a
    /// registry's series, reset through the family (remove(), then labels()), which also gives
    /// the series a new `_created`, as OpenMetrics requires of a counter that restarts.
    void reset() noexcept {
#if VITALS_COUNTER_STRIPES > 1
        // Owned cells are written by their owner alone (a store here could be overwritten by
        // the owner's next store), so the total seen at the reset becomes the new zero.
        std::uint64_t high = 0;
        const std::uint64_t low = sum_cells(high);
        stripes_[0].reset_base_high.store(high, std::memory_order_relaxed);
        stripes_[0].reset_base.store(low, std::memory_order_release);
#else
        cell_.store(0, std::memory_order_relaxed);
#endif
        fraction().store(0.0, std::memory_order_relaxed);
        exemplars().reset();
    }

private:
    friend struct detail::exemplar_access;

    // `n` as a double, rounded up where round-to-nearest went below it.
    static double not_below(std::uint64_t n) noexcept {
        double d = static_cast<double>(n);
        if (d < 18446744073709551616.0 && static_cast<std::uint64_t>(d) < n)
            d = detail::bits_double(detail::double_bits(d) + 1); // the next double up
        return d;
    }

    // inc(double); false when the amount is refused, so that inc(amount, exemplar) records
    // no exemplar for it. Inlined into inc(double), which drops the result at no cost.
    bool add(double amount) noexcept {
        if (VITALS_DETAIL_UNLIKELY(!(amount >= 0.0) || !detail::is_finite(amount))) {
            detail::note_rejected_write();
            return false;
        }
        // Whole amounts below 2^53 stay exact in the integer cells.
        if (amount < 9007199254740992.0) {
            const auto whole = static_cast<std::uint64_t>(amount);
            // Refused when it would carry past 2^64 - 1: then no exemplar is recorded either.
            if (static_cast<double>(whole) == amount) return add_whole(whole);
        }
        std::atomic<double>& sum = fraction();
        double current = sum.load(std::memory_order_relaxed);
        double next;
        do {
            next = current + amount;
            if (VITALS_DETAIL_UNLIKELY(detail::is_inf(next))) { // overflow: keep the total
                detail::note_rejected_write();
                return false;
            }
        } while (!sum.compare_exchange_weak(current, next, std::memory_order_relaxed,
                                            std::memory_order_relaxed));
        return true;
    }

    // A cell never wraps around past 2^64 - 1 (which would make the total go down, from a
    // few inc_by() of large amounts, a length a client sent say): an add that would carry is
    // refused, at the cost of one well-predicted branch. Returns whether `n` was added.
    bool add_whole(std::uint64_t n) noexcept {
#if VITALS_COUNTER_STRIPES > 1
        const unsigned s = detail::current_thread_state();
        if (VITALS_DETAIL_LIKELY(s - 1 < detail::slot_count)) {
            std::atomic<std::uint64_t>& cell = stripes_[s - 1].owned;
            const std::uint64_t before = cell.load(std::memory_order_relaxed);
            if (VITALS_DETAIL_UNLIKELY(before + n < before)) return refuse();
            cell.store(before + n, std::memory_order_relaxed);
            return true;
        }
        return add_shared(stripes_[(s - 1) & (detail::slot_count - 1)].shared, n);
#else
        return add_shared(cell_, n);
#endif
    }

    // A cell several threads add to: checked, then added, in one compare-and-swap. (A
    // fetch_add taken back when it carried left the cell wrapped around until then: a scrape
    // saw the total 2^64 lower, and another thread's add in between passed its check, so
    // the cell stayed wrapped.)
    static bool add_shared(std::atomic<std::uint64_t>& cell, std::uint64_t n) noexcept {
        std::uint64_t before = cell.load(std::memory_order_relaxed);
        do {
            if (VITALS_DETAIL_UNLIKELY(before + n < before)) return refuse();
        } while (!cell.compare_exchange_weak(before, before + n, std::memory_order_relaxed,
                                             std::memory_order_relaxed));
        return true;
    }

    static bool refuse() noexcept {
        detail::note_rejected_write();
        return false;
    }

#if VITALS_COUNTER_STRIPES > 1
    // The sum of every cell, the carries out of the low word counted in `high`.
    std::uint64_t sum_cells(std::uint64_t& high) const noexcept {
        std::uint64_t low = 0;
        const auto add = [&](std::uint64_t v) {
            low += v;
            high += low < v ? 1 : 0;
        };
        for (const auto& s : stripes_) {
            add(s.owned.load(std::memory_order_relaxed));
            add(s.shared.load(std::memory_order_relaxed));
        }
        return low;
    }
#endif

#if VITALS_COUNTER_STRIPES > 1
    struct alignas(64) stripe {
        std::atomic<std::uint64_t> owned{0};  // written only by the thread owning this slot
        std::atomic<std::uint64_t> shared{0}; // compare-and-swap by threads without a slot
        // Used in stripes_[0] only, in bytes the cell alignment would waste anyway, so a
        // counter is exactly VITALS_COUNTER_STRIPES * 64 bytes.
        std::atomic<double> fraction{0.0};             // the sum of fractional increments
        std::atomic<std::uint64_t> reset_base{0};      // the whole total at the last reset()
        std::atomic<std::uint64_t> reset_base_high{0}; // its carries past 2^64
        detail::exemplar_slots exemplars;              // allocated on the first exemplar
    };
    std::atomic<double>& fraction() noexcept { return stripes_[0].fraction; }
    const std::atomic<double>& fraction() const noexcept { return stripes_[0].fraction; }
    detail::exemplar_slots& exemplars() noexcept { return stripes_[0].exemplars; }
    const detail::exemplar_slots& exemplars() const noexcept { return stripes_[0].exemplars; }

    // On a 128-byte boundary, a pair of cache lines, which CPUs may fetch together: with the
    // cells only 64-byte aligned, two threads looking up and incrementing the 256 series of
    // a family scaled to 0.57x-0.63x of one thread's time instead of 0.51x-0.52x (the
    // lockstep rows of bench/bench_core.cpp, AMD EPYC family 26), although no line a thread
    // wrote was read or written by the other. sizeof(counter) does not change.
    alignas(2 * 64) stripe stripes_[VITALS_COUNTER_STRIPES];
#else
    std::atomic<double>& fraction() noexcept { return fraction_; }
    const std::atomic<double>& fraction() const noexcept { return fraction_; }
    detail::exemplar_slots& exemplars() noexcept { return exemplars_; }
    const detail::exemplar_slots& exemplars() const noexcept { return exemplars_; }

    std::atomic<std::uint64_t> cell_{0};
    std::atomic<double> fraction_{0.0};
    detail::exemplar_slots exemplars_; // allocated on the first exemplar
#endif
};

VITALS_END_NAMESPACE

#endif // VITALS_COUNTER_HPP
// #include <vitals/error.hpp>
// vitals/error.hpp - the one error policy: vitals::error, status, result and the handler.
// SPDX-License-Identifier: MIT
#ifndef VITALS_ERROR_HPP
#define VITALS_ERROR_HPP

// #include <vitals/config.hpp>: inlined above

#include <atomic>           // atomic (handler)
#include <cstdio>           // fputs (default handler)
#include <cstdlib>          // abort
#include <initializer_list> // initializer_list
#include <string>           // string
#include <string_view>      // string_view
#include <utility>          // move

#if VITALS_HAS_EXCEPTIONS()
#include <stdexcept> // runtime_error
#endif

VITALS_BEGIN_NAMESPACE

/// What went wrong in a fallible vitals operation.
enum class errc : int {
    ok = 0,
    invalid_metric_name,      ///< not [a-zA-Z_:][a-zA-Z0-9_:]*, or starts with "__"
    invalid_label_name,       ///< not [a-zA-Z_][a-zA-Z0-9_]*, "__..." or a histogram's "le"
    duplicate_label_name,     ///< the same label name twice in one family
    invalid_buckets,          ///< histogram bounds empty, not finite or not strictly increasing
    invalid_argument,         ///< any other bad argument (e.g. max_series of 0)
    conflicting_registration, ///< same name registered with another type, help or labels
    name_collision,           ///< sample names would collide with another family's samples
    label_count_mismatch,     ///< labels(...) given a different number of values than names
    network_error,            ///< socket, bind or listen failed (message has the OS text)
    already_running,          ///< start() on a server that is running
};

/// The outcome of a fallible operation: ok, or an error code with a readable message.
/// Cheap when ok (no allocation); the message is allocated only on failure.
class [[nodiscard]] status {
public:
    status() noexcept = default;
    status(errc code, std::string message) : code_(code), message_(std::move(message)) {}

    /// True when the operation succeeded.
    bool ok() const noexcept { return code_ == errc::ok; }
    explicit operator bool() const noexcept { return ok(); }
    errc code() const noexcept { return code_; }
    /// Human-readable description; empty when ok.
    const std::string& message() const noexcept { return message_; }

private:
    errc code_ = errc::ok;
    std::string message_;
};

#if VITALS_HAS_EXCEPTIONS()
/// Thrown by the throwing form of every fallible operation.
class error : public std::runtime_error {
public:
    error(errc code, const std::string& message) : std::runtime_error(message), code_(code) {}
    errc code() const noexcept { return code_; }

private:
    errc code_;
};
#endif

/// Called by throwing-form functions when vitals does not throw. It must not return: it
/// should end the program (log, then abort or terminate); if it returns, vitals calls
/// std::abort. It must not longjmp either: the error may come from inside a scrape (a
/// collector registering a metric), and a jump skips the destructors that release the
/// registry's lock, so every later registration would wait for it forever.
using error_handler = void (*)(errc code, const char* message);

namespace detail {
inline void default_error_handler(errc, const char* message) {
    // Only a build without exceptions (or with VITALS_NO_EXCEPTIONS=1) gets here, and the
    // abort that follows is its first sign that vitals does not throw: say how to handle it.
    std::fputs("vitals: fatal error: ", stderr);
    std::fputs(message, stderr);
    std::fputs(
        "\nvitals: this build does not throw, so the error aborts: the try_ forms (try_counter(), "
        "try_labels(), try_start(), ...) return the error instead, and "
        "vitals::set_error_handler() replaces this handler\n",
        stderr);
}
VITALS_DETAIL_PROCESS_WIDE inline std::atomic<error_handler>& error_handler_slot() noexcept {
    struct holder { // see VITALS_DETAIL_PROCESS_WIDE
        std::atomic<error_handler> slot;
    };
    static holder h{{&default_error_handler}};
    return h.slot;
}

/// An error message made of its parts, in one call: a chain of std::string operator+ costs
/// code at every message, and embedded builds count it.
VITALS_DETAIL_NOINLINE inline std::string message(std::initializer_list<std::string_view> parts) {
    std::size_t n = 0;
    for (std::string_view p : parts) n += p.size();
    std::string out;
    out.reserve(n);
    for (std::string_view p : parts) out.append(p.data(), p.size());
    return out;
}

/// Reports a failed status through the policy: throw vitals::error, or call the handler.
[[noreturn]] VITALS_DETAIL_NOINLINE inline void fail(const status& st) {
#if VITALS_HAS_EXCEPTIONS()
    throw error(st.code(), st.message());
#else
    error_handler_slot().load()(st.code(), st.message().c_str());
    std::abort();
#endif
}

} // namespace detail

/// A reference to T on success, or the status describing the failure. Returned by every
/// non-throwing `try_*` function.
template <class T>
class [[nodiscard]] result {
public:
    result(T& value) noexcept : value_(&value) {}           // NOLINT(google-explicit-constructor)
    result(status failure) : status_(std::move(failure)) {} // NOLINT(google-explicit-constructor)

    bool ok() const noexcept { return value_ != nullptr; }
    explicit operator bool() const noexcept { return ok(); }
    /// The value. Used without checking ok() first, a failure is reported through the error
    /// policy, as the throwing form would have (vitals::error with error()'s message, or the
    /// handler), instead of dereferencing nothing.
    T& value() const {
        if (VITALS_DETAIL_UNLIKELY(value_ == nullptr)) detail::fail(status_);
        return *value_;
    }
    T* operator->() const { return &value(); }
    T& operator*() const { return value(); }
    const status& error() const noexcept { return status_; }

private:
    T* value_ = nullptr;
    status status_;
};

/// Installs the handler used when exceptions are off; returns the previous one. Thread-safe.
inline error_handler set_error_handler(error_handler handler) noexcept {
    return detail::error_handler_slot().exchange(handler ? handler
                                                         : &detail::default_error_handler);
}

VITALS_END_NAMESPACE

#endif // VITALS_ERROR_HPP
// #include <vitals/exposition/openmetrics.hpp>
// vitals/exposition/openmetrics.hpp - the OpenMetrics 1.0.0 text writer.
// SPDX-License-Identifier: MIT
#ifndef VITALS_EXPOSITION_OPENMETRICS_HPP
#define VITALS_EXPOSITION_OPENMETRICS_HPP

// #include <vitals/config.hpp>: inlined above
// #include <vitals/counter.hpp>: inlined above
// #include <vitals/detail/float_class.hpp>: inlined above
// #include <vitals/exemplar.hpp>: inlined above
// #include <vitals/exposition/buffer.hpp>
// vitals/exposition/buffer.hpp - the one output buffer behind every exposition writer.
// SPDX-License-Identifier: MIT
#ifndef VITALS_EXPOSITION_BUFFER_HPP
#define VITALS_EXPOSITION_BUFFER_HPP

// #include <vitals/config.hpp>: inlined above
// #include <vitals/detail/format_number.hpp>
// vitals/detail/format_number.hpp - locale-independent number formatting for the text format.
// SPDX-License-Identifier: MIT
#ifndef VITALS_DETAIL_FORMAT_NUMBER_HPP
#define VITALS_DETAIL_FORMAT_NUMBER_HPP

// #include <vitals/config.hpp>: inlined above
// #include <vitals/detail/float_class.hpp>: inlined above

#include <cstddef> // size_t
#include <cstdint> // uint64_t
#include <cstring> // memcpy

#if VITALS_USE_TO_CHARS
#include <charconv> // to_chars
#else
#include <cstdio> // snprintf
#endif

VITALS_BEGIN_NAMESPACE
namespace detail {

/// Enough for any output of format_double / format_uint.
inline constexpr std::size_t max_number_chars = 32;

#if VITALS_COMPACT
/// Writes `v` in decimal; returns the number of chars written.
inline std::size_t format_uint(char* out, std::uint64_t v) noexcept {
    char tmp[20];
    std::size_t n = 0;
    do {
        tmp[n++] = static_cast<char>('0' + v % 10);
        v /= 10;
    } while (v != 0);
    for (std::size_t i = 0; i < n; ++i) out[i] = tmp[n - 1 - i];
    return n;
}

/// Writes `v` (below 10^6) as six digits, with leading zeros.
inline void format_six_digits(char* out, std::uint64_t v) noexcept {
    for (int i = 5; i >= 0; --i, v /= 10) out[i] = static_cast<char>('0' + v % 10);
}
#else
/// "00" to "99", for writing numbers two digits per division.
struct digit_pair_table {
    char text[200];
    constexpr digit_pair_table() : text() {
        for (std::size_t i = 0; i < 100; ++i) {
            text[2 * i] = static_cast<char>('0' + i / 10);
            text[2 * i + 1] = static_cast<char>('0' + i % 10);
        }
    }
};
inline constexpr digit_pair_table digit_pairs{};

/// Writes the two digits of `v` (below 100) at `out`.
inline void write_digit_pair(char* out, std::uint64_t v) noexcept {
    std::memcpy(out, digit_pairs.text + 2 * v, 2);
}

/// Writes `v` in decimal; returns the number of chars written. Counts the digits first and
/// writes from the last, two per division: the divisions form the one chain of dependent
/// steps, and a 10-digit number (a Unix time) takes 5 instead of 10.
inline std::size_t format_uint(char* out, std::uint64_t v) noexcept {
    std::size_t n = 1;
    for (std::uint64_t limit = 10; v >= limit; limit *= 10) {
        ++n;
        if (n == 20) break; // 10^19 is the last power of ten below 2^64
    }
    char* p = out + n;
    for (; v >= 100; v /= 100) {
        p -= 2;
        write_digit_pair(p, v % 100);
    }
    if (v >= 10)
        write_digit_pair(p - 2, v);
    else
        p[-1] = static_cast<char>('0' + v);
    return n;
}

/// Writes `v` (below 10^6) as six digits, with leading zeros.
inline void format_six_digits(char* out, std::uint64_t v) noexcept {
    write_digit_pair(out, v / 10000);
    write_digit_pair(out + 2, v / 100 % 100);
    write_digit_pair(out + 4, v % 100);
}
#endif

#if !VITALS_USE_TO_CHARS
/// Compact builds: an unsigned integer of up to 32 * 28 = 896 bits, least significant limb
/// first; enough for every product decimal_vs_double forms (under 2^815).
inline constexpr int big_limbs = 28;
struct big_uint {
    std::uint32_t limb[big_limbs];
};

/// Sets `b` to a * 5^pow5 * 2^pow2 (pow5, pow2 >= 0), exactly.
inline void big_scaled(big_uint& b, std::uint64_t a, int pow5, int pow2) noexcept {
    b = big_uint{};
    b.limb[0] = static_cast<std::uint32_t>(a);
    b.limb[1] = static_cast<std::uint32_t>(a >> 32);
    int used = 2; // limbs that may be nonzero; multiplying first keeps this small
    for (; pow5 > 0; pow5 -= 13) {
        std::uint32_t f = 1; // 5^13 is the largest power of 5 below 2^32
        for (int i = 0; i < pow5 && i < 13; ++i) f *= 5;
        std::uint64_t carry = 0;
        for (int i = 0; i < used; ++i) {
            carry += static_cast<std::uint64_t>(b.limb[i]) * f;
            b.limb[i] = static_cast<std::uint32_t>(carry);
            carry >>= 32;
        }
        if (carry != 0) b.limb[used++] = static_cast<std::uint32_t>(carry);
    }
    const int words = pow2 / 32;
    const int bits = pow2 % 32;
    const int top = used + words < big_limbs - 1 ? used + words : big_limbs - 1;
    for (int i = top; i >= 0; --i) { // top down, so each source limb is read before it is moved
        const int from = i - words;
        std::uint32_t x = from >= 0 ? b.limb[from] << bits : 0;
        if (bits != 0 && from >= 1) x |= b.limb[from - 1] >> (32 - bits);
        b.limb[i] = x;
    }
}

/// -1, 0 or 1 as `a` is less than, equal to or greater than `b`.
inline int big_compare(const big_uint& a, const big_uint& b) noexcept {
    for (int i = big_limbs - 1; i >= 0; --i)
        if (a.limb[i] != b.limb[i]) return a.limb[i] < b.limb[i] ? -1 : 1;
    return 0;
}

/// Where the decimal d * 10^e lies against the rounding interval of the finite `v` > 0, the
/// reals that read back as `v` under round-half-to-even: -1 below it, 0 inside, 1 above.
/// Exact (integer arithmetic only), so it needs no C library parser.
inline int decimal_vs_double(std::uint64_t d, int e, double v) noexcept {
    std::uint64_t bits = 0;
    std::memcpy(&bits, &v, sizeof bits);
    const int biased = static_cast<int>(bits >> 52);
    std::uint64_t m = bits & ((std::uint64_t{1} << 52) - 1);
    int q = -1074; // v = m * 2^q; subnormals share the exponent of the smallest normals
    if (biased != 0) {
        m |= std::uint64_t{1} << 52;
        q = biased - 1075;
    }
    // The midpoints to the neighbours, in units of 2^(q - 2). When v is a power of two (but not
    // DBL_MIN, whose lower neighbour is subnormal) the lower neighbour is half as far away.
    const std::uint64_t upper = 4 * m + 2;
    const std::uint64_t lower = 4 * m - (m == std::uint64_t{1} << 52 && biased > 1 ? 1 : 2);
    // A decimal on a midpoint reads back as the neighbour with the even significand.
    const bool inclusive = (m & 1) == 0;
    // d * 5^e * 2^e against c * 2^(q - 2), with the common powers of 5 and 2 cancelled. The
    // largest product is c * 5^-e near DBL_MIN (e = -324): under 2^55 * 2^753. The other side is
    // within a factor of 4 (the decimal is near v), and for e > 0, d * 5^e < 2^57 * 2^716.
    const int shift = e - (q - 2);
    big_uint dec;
    big_uint mid;
    big_scaled(dec, d, e > 0 ? e : 0, shift > 0 ? shift : 0);
    big_scaled(mid, upper, e < 0 ? -e : 0, shift < 0 ? -shift : 0);
    int c = big_compare(dec, mid);
    if (c > 0 || (c == 0 && !inclusive)) return 1;
    big_scaled(mid, lower, e < 0 ? -e : 0, shift < 0 ? -shift : 0);
    c = big_compare(dec, mid);
    if (c < 0 || (c == 0 && !inclusive)) return -1;
    return 0;
}

/// Compact builds: the significant digits of `v` at `precision` + 1 digits, written to
/// `digits` (`k` of them, no sign or point) with the decimal `exponent` of the first one.
/// Returns whether they read back to `v` (decimal_vs_double). Tries the correctly rounded
/// digits ("%.*e") and, when those fall below the rounding interval of |v|, the next decimal
/// away from zero: just above a power of two the doubles are twice as far apart as just below
/// it, so that one can read back when the nearer one does not (std::to_chars picks it too).
/// Only digits and the exponent are taken from the C library's text, so the locale's decimal
/// point never matters.
inline bool compact_digits(double v, int precision, char* digits, std::size_t& k,
                           int& exponent) noexcept {
    char sci[max_number_chars + 8];
    std::snprintf(sci, sizeof sci, "%.*e", precision, v);
    k = 0;
    std::uint64_t d = 0;
    const char* p = sci;
    for (; *p != '\0' && *p != 'e' && *p != 'E'; ++p) {
        if (*p >= '0' && *p <= '9' && k < 17) {
            digits[k++] = *p;
            d = d * 10 + static_cast<std::uint64_t>(*p - '0');
        }
    }
    exponent = 0;
    if (*p != '\0') {
        ++p;
        const bool negative_exponent = *p == '-';
        if (*p == '-' || *p == '+') ++p;
        for (; *p >= '0' && *p <= '9'; ++p) exponent = exponent * 10 + (*p - '0');
        if (negative_exponent) exponent = -exponent;
    }
    const double mag = v < 0 ? -v : v;
    const int last = exponent - static_cast<int>(k) + 1; // the exponent of the last digit
    const int where = decimal_vs_double(d, last, mag);
    if (where == 0) return true;
    if (where > 0) return false; // the nearest digits lie beyond v: none closer can work
    if (decimal_vs_double(d + 1, last, mag) != 0) return false;
    // One unit more in the last digit, with carry (9.99 -> 10.0).
    std::size_t i = k;
    while (i > 0 && digits[i - 1] == '9') digits[--i] = '0';
    if (i == 0) {
        digits[0] = '1';
        ++exponent;
    } else {
        ++digits[i - 1];
    }
    return true;
}
#endif

/// The fewest significant digits of `v` (finite, not zero) that read back to it: `k` digits
/// (at most 17, no sign, point or trailing zero) in `digits`, and the decimal `exponent` of
/// the first one (v = 0.d1d2... * 10^(exponent + 1)).
inline void shortest_digits(double v, char* digits, std::size_t& k, int& exponent) noexcept {
#if VITALS_USE_TO_CHARS
    char sci[max_number_chars];
    const auto res = std::to_chars(sci, sci + sizeof sci, v, std::chars_format::scientific);
    k = 0;
    const char* p = sci;
    for (; p != res.ptr && *p != 'e'; ++p)
        if (*p >= '0' && *p <= '9') digits[k++] = *p;
    exponent = 0;
    const bool negative = p + 1 < res.ptr && p[1] == '-';
    for (p += 2; p < res.ptr; ++p) exponent = exponent * 10 + (*p - '0');
    if (negative) exponent = -exponent;
#else
    // Reading back works for a precision as soon as it works for any smaller one, so a
    // binary search finds the fewest digits.
    int lo = 0, hi = 16; // 17 significant digits always read back
    while (lo < hi) {
        const int mid = lo + (hi - lo) / 2;
        if (compact_digits(v, mid, digits, k, exponent))
            hi = mid;
        else
            lo = mid + 1;
    }
    compact_digits(v, lo, digits, k, exponent);
#endif
    while (k > 1 && digits[k - 1] == '0') --k;
}

/// Writes `v` as the text format expects: `NaN`, `+Inf`, `-Inf`, whole numbers below 2^53
/// without exponent or decimal point, anything else as the shortest string that reads back
/// to the same double, in fixed or scientific notation, whichever is shorter (fixed on a tie):
/// the text std::to_chars writes, also in compact builds. Never depends on the C or C++
/// locale. Returns the chars written (at most max_number_chars).
inline std::size_t format_double(char* out, double v) noexcept {
    if (is_nan(v)) {
        std::memcpy(out, "NaN", 3);
        return 3;
    }
    if (is_inf(v)) {
        std::memcpy(out, v > 0 ? "+Inf" : "-Inf", 4);
        return 4;
    }
    if (v == 0.0) { // also -0.0, which Prometheus treats as 0
        out[0] = '0';
        return 1;
    }
    const double mag = v < 0 ? -v : v;
    if (mag < 9007199254740992.0) {
        const auto whole = static_cast<std::uint64_t>(mag);
        if (static_cast<double>(whole) == mag) {
            std::size_t n = 0;
            if (v < 0) out[n++] = '-';
            return n + format_uint(out + n, whole);
        }
    }
#if VITALS_USE_TO_CHARS
    const auto res = std::to_chars(out, out + max_number_chars, v);
    return static_cast<std::size_t>(res.ptr - out);
#else
    // C library path (compact builds), written to give exactly the text std::to_chars gives:
    // the fewest significant digits that read back to `v` (see compact_digits), in fixed or
    // scientific notation, whichever is shorter (fixed on a tie). Reading back works for a
    // precision as soon as it works for any smaller one, so a binary search finds the fewest.
    char digits[20];
    std::size_t k = 0;
    int exponent = 0;
    shortest_digits(v, digits, k, exponent);
    const int nk = static_cast<int>(k);
    const int abs_exponent = exponent < 0 ? -exponent : exponent;
    const int sci_len = nk + (nk > 1 ? 1 : 0) + 2 + (abs_exponent >= 100 ? 3 : 2);
    const int fixed_len =
        exponent >= 0 ? (nk > exponent + 1 ? nk + 1 : exponent + 1) : nk + 1 - exponent;
    std::size_t n = 0;
    if (v < 0) out[n++] = '-';
    if (fixed_len <= sci_len && exponent >= nk - 1) {
        // A whole number: every digit of its exact value, as std::to_chars writes it.
        char whole[max_number_chars + 8];
        const int len = std::snprintf(whole, sizeof whole, "%.0f", mag);
        std::memcpy(out + n, whole, static_cast<std::size_t>(len));
        n += static_cast<std::size_t>(len);
    } else if (fixed_len <= sci_len && exponent >= 0) {
        const std::size_t int_digits = static_cast<std::size_t>(exponent) + 1;
        std::memcpy(out + n, digits, int_digits);
        n += int_digits;
        out[n++] = '.';
        std::memcpy(out + n, digits + int_digits, k - int_digits);
        n += k - int_digits;
    } else if (fixed_len <= sci_len) {
        out[n++] = '0';
        out[n++] = '.';
        for (int i = 1; i < -exponent; ++i) out[n++] = '0';
        std::memcpy(out + n, digits, k);
        n += k;
    } else {
        out[n++] = digits[0];
        if (k > 1) {
            out[n++] = '.';
            std::memcpy(out + n, digits + 1, k - 1);
            n += k - 1;
        }
        out[n++] = 'e';
        out[n++] = exponent < 0 ? '-' : '+';
        if (abs_exponent >= 100) out[n++] = static_cast<char>('0' + abs_exponent / 100);
        out[n++] = static_cast<char>('0' + abs_exponent / 10 % 10);
        out[n++] = static_cast<char>('0' + abs_exponent % 10);
    }
    return n;
#endif
}

/// Writes `v` as Go's strconv.FormatFloat(v, 'g', -1, 64) does, which is how Go and Python
/// clients write `le` label values in the text format: the fewest digits that read back to
/// `v`, with an exponent below 1e-4 and from 1e+6 on (at least two digits): 0.0001, 1e-05,
/// 100000, 1e+06, 1.048576e+06. With `point_zero`, ".0" is added when there is neither a
/// point nor an exponent: the OpenMetrics canonical number (1.0, 100000.0; zero, also -0, is
/// 0.0). Without it zero, also -0, is 0. Returns the chars written (at most max_number_chars).
inline std::size_t format_go_float(char* out, double v, bool point_zero) noexcept {
    if (is_nan(v) || is_inf(v) || v == 0.0) {
        if (v == 0.0 && point_zero) {
            std::memcpy(out, "0.0", 3);
            return 3;
        }
        return format_double(out, v);
    }
    char digits[20];
    std::size_t k = 0;
    int exponent = 0;
    shortest_digits(v < 0 ? -v : v, digits, k, exponent);
    std::size_t n = 0;
    if (v < 0) out[n++] = '-';
    if (exponent < -4 || exponent >= 6) {
        out[n++] = digits[0];
        if (k > 1) {
            out[n++] = '.';
            std::memcpy(out + n, digits + 1, k - 1);
            n += k - 1;
        }
        out[n++] = 'e';
        out[n++] = exponent < 0 ? '-' : '+';
        const int e = exponent < 0 ? -exponent : exponent;
        if (e >= 100) out[n++] = static_cast<char>('0' + e / 100);
        out[n++] = static_cast<char>('0' + e / 10 % 10);
        out[n++] = static_cast<char>('0' + e % 10);
    } else if (exponent >= 0) {
        const auto whole = static_cast<std::size_t>(exponent) + 1;
        for (std::size_t i = 0; i < whole; ++i) out[n++] = i < k ? digits[i] : '0';
        if (k > whole) {
            out[n++] = '.';
            std::memcpy(out + n, digits + whole, k - whole);
            n += k - whole;
        } else if (point_zero) {
            out[n++] = '.';
            out[n++] = '0';
        }
    } else {
        out[n++] = '0';
        out[n++] = '.';
        for (int i = 1; i < -exponent; ++i) out[n++] = '0';
        std::memcpy(out + n, digits, k);
        n += k;
    }
    return n;
}

/// The OpenMetrics canonical number, the form its `le` values must take (see format_go_float).
inline std::size_t format_canonical(char* out, double v) noexcept {
    return format_go_float(out, v, true);
}

/// A text-format `le` value, as Go and Python clients write it (see format_go_float), so that
/// a bucket has the same label value whichever of them serves it.
inline std::size_t format_label_number(char* out, double v) noexcept {
    return format_go_float(out, v, false);
}

} // namespace detail
VITALS_END_NAMESPACE

#endif // VITALS_DETAIL_FORMAT_NUMBER_HPP
// #include <vitals/detail/sink_pause.hpp>
// vitals/detail/sink_pause.hpp - what a render lets go of while the output's sink runs.
// SPDX-License-Identifier: MIT
#ifndef VITALS_DETAIL_SINK_PAUSE_HPP
#define VITALS_DETAIL_SINK_PAUSE_HPP

// #include <vitals/config.hpp>: inlined above

VITALS_BEGIN_NAMESPACE
namespace detail {

/// A lock the render holds that the output's sink must not run under: the reader lock of the
/// family being written (family_base::for_each_series). The output buffer releases it before
/// it calls the sink and takes it back after, so a sink may make, remove or clear series in
/// that family, and two scrapes whose sinks make series in each other's family do not wait
/// for each other for ever. It does the same when it grows its string (every 32 KiB at
/// most), so that a writer waits for one window of output, not for the whole family. Two
/// function pointers rather than virtual functions: the buffer calls them only then.
struct sink_pause {
    void (*release)(sink_pause&) noexcept;
    void (*reacquire)(sink_pause&);
};

} // namespace detail
VITALS_END_NAMESPACE

#endif // VITALS_DETAIL_SINK_PAUSE_HPP

#include <atomic>      // atomic
#include <cstddef>     // size_t
#include <cstdint>     // uint64_t
#include <cstring>     // memcpy
#include <new>         // bad_alloc
#include <string>      // string
#include <string_view> // string_view
#include <type_traits> // enable_if_t, is_convertible

VITALS_BEGIN_NAMESPACE

class registry;

/// A sink for serialized text: called with consecutive chunks of the exposition.
/// `context` is the pointer given with the sink.
using text_sink = void (*)(void* context, const char* data, std::size_t size);

namespace detail {

// The writers call write() and put() for every piece of every line, and compilers left them
// out of line in the larger writers (OpenMetrics), and a render is faster with them inlined
// (bench/bench_core.cpp, BM_serialize_*). Compact builds keep the choice, for code size.
#if VITALS_COMPACT
#define VITALS_DETAIL_OUTPUT_INLINE inline
#else
#define VITALS_DETAIL_OUTPUT_INLINE VITALS_DETAIL_ALWAYS_INLINE
#endif

/// A window [begin, end) that writers fill; when it is full, one function, chosen by the
/// output form, makes room: it grows the caller's std::string (the new-string and
/// reused-string forms) or flushes the window to a text_sink (the caller-buffer form).
/// Every writer (text 0.0.4, OpenMetrics) writes through this one type.
class out_buffer {
    static constexpr std::size_t zero_fill_window = 32768;

public:
    /// Appends to `target`, growing it geometrically, so a reused string stops allocating.
    explicit out_buffer(std::string& target)
        : grow_(&grow_string), string_(&target), start_(target.size()) {
        // Within the capacity the string already has, its size grows one window at a time
        // (see grow_string): resize() zero-fills what it adds, and zeroing a few KiB just
        // before writing them is cheaper than zeroing megabytes of a reused buffer up front,
        // whose cost shows in a large scrape.
        std::size_t want = start_ + 4096;
        if (target.capacity() > want)
            want = target.capacity() - start_ > zero_fill_window ? start_ + zero_fill_window
                                                                 : target.capacity();
        target.resize(want);
        begin_ = &target[0];
        cur_ = begin_ + start_;
        end_ = begin_ + target.size();
    }

    /// `buffer` of `capacity` >= 1 bytes is owned by the caller; the sink never receives more
    /// than `capacity` bytes at once.
    out_buffer(text_sink sink, void* context, char* buffer, std::size_t capacity) noexcept
        : grow_(&flush_to_sink), sink_(sink), context_(context), begin_(buffer), cur_(buffer),
          end_(buffer + capacity) {}

    out_buffer(const out_buffer&) = delete;
    out_buffer& operator=(const out_buffer&) = delete;
    // Only trims a string: a sink is called by finish() alone, which every render calls on
    // success, so an exception (from a throwing sink, say) is never followed by another call
    // to the sink during unwinding, which would resend the failed chunk or terminate.
    ~out_buffer() {
        if (string_) string_->resize(static_cast<std::size_t>(cur_ - begin_));
    }

    VITALS_DETAIL_OUTPUT_INLINE void write(const char* data, std::size_t n) {
        if (VITALS_DETAIL_UNLIKELY(n > static_cast<std::size_t>(end_ - cur_))) {
            write_slow(data, n);
            return;
        }
        std::memcpy(cur_, data, n);
        cur_ += n;
    }
    VITALS_DETAIL_OUTPUT_INLINE void write(std::string_view s) { write(s.data(), s.size()); }
    VITALS_DETAIL_OUTPUT_INLINE void put(char c) {
        if (VITALS_DETAIL_UNLIKELY(cur_ == end_)) grow_(*this, 1);
        *cur_++ = c;
    }
    /// Writes what `format(char* out)` writes and counts (at most max_number_chars bytes):
    /// straight into the window when it has that much room.
    template <class Format>
    void write_formatted(Format&& format) {
        if (VITALS_DETAIL_UNLIKELY(static_cast<std::size_t>(end_ - cur_) < max_number_chars)) {
            char tmp[max_number_chars]; // a sink buffer may be smaller than a number
            write(tmp, format(tmp));
            return;
        }
        cur_ += format(cur_);
    }

    void write_double(double v) {
        write_formatted([v](char* out) { return format_double(out, v); });
    }
    void write_uint(std::uint64_t v) {
        write_formatted([v](char* out) { return format_uint(out, v); });
    }

    /// Where a family's walk puts what it holds, for the sink to run (or the string to grow)
    /// without it (see sink_pause); null outside a walk.
    sink_pause*& pause_slot() noexcept { return pause_; }

    /// Whether the output failed: the sink threw, or the string could not grow (out of
    /// memory). A collector may catch that exception; the registry's walk asks this to end the
    /// render all the same.
    bool failed() const noexcept { return failed_; }

    /// Trims the string to what was written, or flushes the window to the sink. Idempotent.
    void finish() {
        if (string_) {
            string_->resize(static_cast<std::size_t>(cur_ - begin_));
            string_ = nullptr;
        } else if (sink_) {
            flush_to_sink(*this, 0);
            sink_ = nullptr;
        }
    }

private:
    // The growth rule: afterwards the window has room for at least min(n, window size) bytes.
    using grow_fn = void (*)(out_buffer&, std::size_t n);

    // The window is emptied before the call: a chunk the sink failed on is never sent again.
    // The walk's lock is let go meanwhile; if the sink throws, the walk's end knows it is.
    static void flush_to_sink(out_buffer& b, std::size_t) {
        const std::size_t n = static_cast<std::size_t>(b.cur_ - b.begin_);
        b.cur_ = b.begin_;
        // A sink that threw is not called again: what a collector that caught its exception
        // writes next is dropped, and the walk then ends the render.
        if (n == 0 || b.failed_) return;
        sink_pause* const pause = b.pause_;
        if (pause) pause->release(*pause);
        b.failed_ = true; // stays if the sink throws (no try block: no unwind tables)
        b.sink_(b.context_, b.begin_, n);
        b.failed_ = false;
        if (pause) pause->reacquire(*pause);
    }
    // The walk's lock is let go meanwhile too (a window is 32 KiB at most while the string has
    // room, and growing it may allocate and fault pages in): a writer waits for one window.
    static void grow_string(out_buffer& b, std::size_t n) {
        sink_pause* const pause = b.pause_;
        if (b.failed_) {                  // see flush_to_sink(): the window is written over,
            b.cur_ = b.begin_ + b.start_; // after what the string held before the render
#if VITALS_DETAIL_CAN_CATCH()
            if (b.end_ == b.cur_) throw std::bad_alloc(); // no window to write over
#endif
            return;
        }
        if (pause) pause->release(*pause);
        b.failed_ = true; // stays if resize() throws
        resize_string(b, n);
        b.failed_ = false;
        if (pause) pause->reacquire(*pause);
    }
    static void resize_string(out_buffer& b, std::size_t n) {
        std::string& s = *b.string_;
        const std::size_t used = static_cast<std::size_t>(b.cur_ - b.begin_);
        const std::size_t capacity = s.capacity();
        std::size_t size = s.size();
        if (size < capacity) // the next window of what the string already holds
            size = capacity - size > zero_fill_window ? size + zero_fill_window : capacity;
        else // geometric growth: a reused string stops allocating
            size *= 2;
        if (size < used + n) size = used + n;
        s.resize(size);
        b.begin_ = &s[0];
        b.cur_ = b.begin_ + used;
        b.end_ = b.begin_ + size;
    }
    // Fills the window and makes room as often as needed: a sink with a fixed-size
    // destination (a UART, a packet) never receives a chunk larger than its buffer.
    void write_slow(const char* data, std::size_t n) {
        for (;;) {
            std::size_t k = static_cast<std::size_t>(end_ - cur_);
            if (k > n) k = n;
            std::memcpy(cur_, data, k);
            cur_ += k;
            data += k;
            n -= k;
            if (n == 0) return;
            grow_(*this, n);
        }
    }

    grow_fn grow_;
    std::string* string_ = nullptr;
    std::size_t start_ = 0;
    text_sink sink_ = nullptr;
    void* context_ = nullptr;
    sink_pause* pause_ = nullptr;
    char* begin_ = nullptr;
    char* cur_ = nullptr;
    char* end_ = nullptr;
    bool failed_ = false;
};

/// A writer: renders a whole registry into a buffer (one per exposition format).
using render_fn = void (*)(const registry&, out_buffer&);

/// The three output forms every format offers, over its render function.
inline void render_to_string(render_fn render, const registry& reg, std::string& out) {
    out_buffer b(out);
    render(reg, b);
    b.finish();
}

/// A new string of the exposition of `reg`, reserved at the size of the previous one in this
/// format (`last_size`, kept by the registry). Growing a fresh string step by step made every
/// render map and fault in new pages: for 10,000 series, 34 times the cost of rendering into
/// a reused string. With one allocation of the last size, the allocator usually hands the same
/// memory back on the next call. Per registry and format, so that a program rendering two
/// registries, or both formats, in turn keeps each hint. Renders of one registry running at
/// once may store each other's size: a stale hint costs one reallocation at most.
inline std::string render_to_new_string(render_fn render, const registry& reg,
                                        std::atomic<std::size_t>& last_size) {
    std::string out;
    const std::size_t hint = last_size.load(std::memory_order_relaxed);
    if (hint != 0) out.reserve(hint + 4096); // room to grow a little
    render_to_string(render, reg, out);
    last_size.store(out.size(), std::memory_order_relaxed);
    return out;
}

inline void render_to_sink(render_fn render, const registry& reg, text_sink sink, void* context,
                           char* buffer, std::size_t capacity) {
    char fallback[64];
    if (buffer == nullptr || capacity == 0) {
        buffer = fallback;
        capacity = sizeof fallback;
    }
    out_buffer b(sink, context, buffer, capacity);
    render(reg, b);
    b.finish();
}

template <class Fn>
void render_to_callable(render_fn render, const registry& reg, Fn& fn) {
    char buffer[1024];
    render_to_sink(
        render, reg,
        [](void* ctx, const char* data, std::size_t size) { (*static_cast<Fn*>(ctx))(data, size); },
        const_cast<void*>(static_cast<const void*>(&fn)), buffer, sizeof buffer);
}

/// Selects the callable overloads of the write functions (not a std::string).
template <class Fn>
using if_callable_sink = std::enable_if_t<!std::is_convertible<Fn, std::string&>::value>;

} // namespace detail
VITALS_END_NAMESPACE

#endif // VITALS_EXPOSITION_BUFFER_HPP
// #include <vitals/exposition/exemplar_rules.hpp>
// vitals/exposition/exemplar_rules.hpp - the OpenMetrics rules an exemplar must follow to be
// shown, checked at scrape time (recording only copies; see exemplar.hpp).
// SPDX-License-Identifier: MIT
#ifndef VITALS_EXPOSITION_EXEMPLAR_RULES_HPP
#define VITALS_EXPOSITION_EXEMPLAR_RULES_HPP

// #include <vitals/config.hpp>: inlined above
// #include <vitals/detail/float_class.hpp>: inlined above
// #include <vitals/detail/names.hpp>
// vitals/detail/names.hpp - metric and label name rules of the Prometheus data model.
// SPDX-License-Identifier: MIT
#ifndef VITALS_DETAIL_NAMES_HPP
#define VITALS_DETAIL_NAMES_HPP

// #include <vitals/config.hpp>: inlined above

#include <string_view> // string_view

VITALS_BEGIN_NAMESPACE
namespace detail {

constexpr bool is_name_start(char c) noexcept {
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || c == '_';
}
constexpr bool is_name_char(char c) noexcept { return is_name_start(c) || (c >= '0' && c <= '9'); }

/// [a-zA-Z_:][a-zA-Z0-9_:]*, and not starting with "__" (reserved for internal use).
constexpr bool is_valid_metric_name(std::string_view name) noexcept {
    if (name.empty() || !(is_name_start(name[0]) || name[0] == ':')) return false;
    if (name.size() >= 2 && name[0] == '_' && name[1] == '_') return false;
    for (char c : name)
        if (!(is_name_char(c) || c == ':')) return false;
    return true;
}

/// [a-zA-Z_][a-zA-Z0-9_]*, and not starting with "__".
constexpr bool is_valid_label_name(std::string_view name) noexcept {
    if (name.empty() || !is_name_start(name[0])) return false;
    if (name.size() >= 2 && name[0] == '_' && name[1] == '_') return false;
    for (char c : name)
        if (!is_name_char(c)) return false;
    return true;
}

constexpr bool ends_with(std::string_view s, std::string_view suffix) noexcept {
    return s.size() >= suffix.size() && s.substr(s.size() - suffix.size()) == suffix;
}

} // namespace detail
VITALS_END_NAMESPACE

#endif // VITALS_DETAIL_NAMES_HPP
// #include <vitals/detail/utf8.hpp>
// vitals/detail/utf8.hpp - UTF-8 validation, shared by escaping and exemplars.
// SPDX-License-Identifier: MIT
#ifndef VITALS_DETAIL_UTF8_HPP
#define VITALS_DETAIL_UTF8_HPP

// #include <vitals/config.hpp>: inlined above

#include <cstddef>     // size_t
#include <cstdint>     // uint32_t, uint64_t
#include <cstring>     // memcpy
#include <string_view> // string_view

VITALS_BEGIN_NAMESPACE
namespace detail {

/// Length of the valid UTF-8 sequence starting at s[i], or 0 when it is invalid (overlong,
/// surrogate, beyond U+10FFFF, truncated).
inline std::size_t utf8_sequence_length(std::string_view s, std::size_t i) noexcept {
    const auto byte = [&](std::size_t k) { return static_cast<unsigned char>(s[k]); };
    const unsigned char c = byte(i);
    if (c < 0x80) return 1;
    std::size_t len;
    unsigned char lo = 0x80, hi = 0xBF; // allowed range of the second byte
    if (c >= 0xC2 && c <= 0xDF) {
        len = 2;
    } else if (c >= 0xE0 && c <= 0xEF) {
        len = 3;
        if (c == 0xE0) lo = 0xA0;
        if (c == 0xED) hi = 0x9F; // no surrogates
    } else if (c >= 0xF0 && c <= 0xF4) {
        len = 4;
        if (c == 0xF0) lo = 0x90;
        if (c == 0xF4) hi = 0x8F;
    } else {
        return 0;
    }
    if (i + len > s.size()) return 0;
    if (byte(i + 1) < lo || byte(i + 1) > hi) return 0;
    for (std::size_t k = 2; k < len; ++k)
        if ((byte(i + k) & 0xC0) != 0x80) return 0;
    return len;
}

/// Whether the `n` bytes at `p` are all ASCII, read a word at a time (overlapping at the end).
inline bool all_ascii(const char* p, std::size_t n) noexcept {
    constexpr std::uint64_t high_bits = 0x8080808080808080ULL;
    if (n >= 8) {
        std::uint64_t seen = 0, w;
        for (std::size_t i = 0; i + 8 < n; i += 8) {
            std::memcpy(&w, p + i, 8);
            seen |= w;
        }
        std::memcpy(&w, p + n - 8, 8);
        return ((seen | w) & high_bits) == 0;
    }
    if (n >= 4) {
        std::uint32_t a, b;
        std::memcpy(&a, p, 4);
        std::memcpy(&b, p + n - 4, 4);
        return ((a | b) & 0x80808080u) == 0;
    }
    // 1 to 3 bytes: the first, middle and last cover them all.
    return n == 0 || ((static_cast<unsigned char>(p[0]) | static_cast<unsigned char>(p[n / 2]) |
                       static_cast<unsigned char>(p[n - 1])) &
                      0x80) == 0;
}

/// Whether `s` holds an invalid UTF-8 sequence (which the exposition shows as U+FFFD). Label
/// values are nearly always ASCII, which a lookup that misses (a new label set, or one past
/// the series bound, folded into the overflow series) checks a word at a time.
inline bool has_invalid_utf8(std::string_view s) noexcept {
    if (all_ascii(s.data(), s.size())) return false;
    for (std::size_t i = 0; i < s.size();) {
        if (static_cast<unsigned char>(s[i]) < 0x80) {
            ++i;
            continue;
        }
        const std::size_t len = utf8_sequence_length(s, i);
        if (len == 0) return true;
        i += len;
    }
    return false;
}

} // namespace detail
VITALS_END_NAMESPACE

#endif // VITALS_DETAIL_UTF8_HPP
// #include <vitals/exemplar.hpp>: inlined above

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
// #include <vitals/exposition/lines.hpp>
// vitals/exposition/lines.hpp - the sample-line pieces the text 0.0.4 and OpenMetrics writers
// share: names with pre-rendered labels, collected labels, stateset lines, escaping.
// SPDX-License-Identifier: MIT
#ifndef VITALS_EXPOSITION_LINES_HPP
#define VITALS_EXPOSITION_LINES_HPP

// #include <vitals/config.hpp>: inlined above
// #include <vitals/detail/escape.hpp>
// vitals/detail/escape.hpp - escaping for label values, HELP text and error messages.
// SPDX-License-Identifier: MIT
#ifndef VITALS_DETAIL_ESCAPE_HPP
#define VITALS_DETAIL_ESCAPE_HPP

// #include <vitals/config.hpp>: inlined above
// #include <vitals/detail/format_number.hpp>: inlined above
// #include <vitals/detail/utf8.hpp>: inlined above

#include <cstddef>     // size_t
#include <cstring>     // memcpy
#include <string>      // string
#include <string_view> // string_view

VITALS_BEGIN_NAMESPACE
namespace detail {

/// Escapes `value` for the text format, handing the result to `append(const char*, size_t)` in
/// pieces: runs of bytes that need no change go out as they are, in one call each.
/// Backslash, newline and (when `quote`, for label values) double quote are escaped; each
/// invalid UTF-8 sequence becomes U+FFFD. Allocates nothing itself, so the serializer can
/// escape straight into its output (collector samples at scrape time).
template <class Append>
void escape_pieces(std::string_view value, bool quote, Append&& append) {
    std::size_t run = 0; // start of the bytes not yet appended
    std::size_t i = 0;
    while (i < value.size()) {
        const char c = value[i];
        const char* replacement;
        std::size_t replacement_size = 2;
        if (c == '\\') {
            replacement = "\\\\";
        } else if (c == '\n') {
            replacement = "\\n";
        } else if (c == '"' && quote) {
            replacement = "\\\"";
        } else if (static_cast<unsigned char>(c) < 0x80) {
            ++i;
            continue;
        } else {
            const std::size_t len = utf8_sequence_length(value, i);
            if (len != 0) {
                i += len;
                continue;
            }
            replacement = "\xEF\xBF\xBD";
            replacement_size = 3;
        }
        if (i > run) append(value.data() + run, i - run);
        append(replacement, replacement_size);
        run = ++i;
    }
    if (i > run) append(value.data() + run, i - run);
}

/// Bytes of `value` as the exposition shows it: each invalid UTF-8 byte counts as the 3 of
/// U+FFFD, as escape_pieces() writes it.
inline std::size_t shown_size(std::string_view value) noexcept {
    std::size_t n = value.size();
    for (std::size_t i = 0; i < value.size();) {
        const std::size_t len =
            static_cast<unsigned char>(value[i]) < 0x80 ? 1 : utf8_sequence_length(value, i);
        n += len == 0 ? 2 : 0;
        i += len == 0 ? 1 : len;
    }
    return n;
}

/// Writes `value` as the exposition shows it, before escaping (shown_size() bytes), to `out`;
/// returns the bytes written.
inline std::size_t write_shown(char* out, std::string_view value) noexcept {
    char* const start = out;
    for (std::size_t i = 0; i < value.size();) {
        const std::size_t len =
            static_cast<unsigned char>(value[i]) < 0x80 ? 1 : utf8_sequence_length(value, i);
        if (len == 0) {
            std::memcpy(out, "\xEF\xBF\xBD", 3);
            out += 3;
            ++i;
        } else {
            std::memcpy(out, value.data() + i, len);
            out += len;
            i += len;
        }
    }
    return static_cast<std::size_t>(out - start);
}

/// `value` as the exposition shows it, before escaping: each invalid UTF-8 byte replaced by
/// U+FFFD, as escape_pieces() does.
inline std::string replace_invalid_utf8(std::string_view value) {
    std::string out(shown_size(value), '\0');
    write_shown(&out[0], value);
    return out;
}

/// Appends `value` escaped for the text format (see escape_pieces()).
inline void append_escaped(std::string& out, std::string_view value, bool quote) {
    escape_pieces(value, quote,
                  [&out](const char* data, std::size_t size) { out.append(data, size); });
}

/// The bytes of a value an error message shows (see message_value()).
inline constexpr std::size_t message_value_bytes = 128;

/// `value` for an error message a program may log: quoted, escaped as the exposition escapes a
/// label value (invalid UTF-8 as U+FFFD) and each other control byte as \xNN, so that it brings
/// no terminal escape sequence or line of its own into the log; cut after the first
/// message_value_bytes bytes, on a character boundary, with its size. Appends runs, never a
/// char at a time: every program that registers links it (size counts on small boards).
inline std::string message_value(std::string_view value) {
    std::string_view shown = value;
    if (value.size() > message_value_bytes) {
        std::size_t cut = message_value_bytes;
        // Back to the start of the character the cut falls in (at most 3 continuation bytes).
        while (cut > message_value_bytes - 3 &&
               (static_cast<unsigned char>(value[cut]) & 0xC0) == 0x80)
            --cut;
        shown = std::string_view(value.data(), cut); // substr() would link its throw
    }
    std::string escaped; // through append_escaped(), which the exposition links anyway
    append_escaped(escaped, shown, true);
    std::string out;
    out.append("\"", 1);
    std::size_t run = 0;
    for (std::size_t i = 0; i < escaped.size(); ++i) {
        const auto c = static_cast<unsigned char>(escaped[i]);
        if (c >= 0x20 && c != 0x7F) continue;
        const char hex[] = {'\\', 'x', "0123456789abcdef"[c >> 4], "0123456789abcdef"[c & 15]};
        out.append(escaped.data() + run, i - run).append(hex, 4);
        run = i + 1;
    }
    out.append(escaped.data() + run, escaped.size() - run);
    out.append("\"", 1);
    if (shown.size() < value.size()) {
        char size[max_number_chars];
        out.append("... (", 5).append(size, format_uint(size, value.size())).append(" bytes)", 7);
    }
    return out;
}

} // namespace detail
VITALS_END_NAMESPACE

#endif // VITALS_DETAIL_ESCAPE_HPP
// #include <vitals/detail/format_number.hpp>: inlined above
// #include <vitals/exposition/buffer.hpp>: inlined above
// #include <vitals/exposition/model.hpp>
// vitals/exposition/model.hpp - what the exposition writers read: metric types, the
// pre-rendered text stored in families and series, and the walk over a registry.
// SPDX-License-Identifier: MIT
#ifndef VITALS_EXPOSITION_MODEL_HPP
#define VITALS_EXPOSITION_MODEL_HPP

// #include <vitals/config.hpp>: inlined above
// #include <vitals/detail/escape.hpp>: inlined above
// #include <vitals/detail/format_number.hpp>: inlined above
// #include <vitals/error.hpp>: inlined above

#include <cstddef>     // size_t
#include <cstdint>     // uint64_t
#include <string>      // string
#include <string_view> // string_view
#include <utility>     // pair
#include <vector>      // vector

VITALS_BEGIN_NAMESPACE

/// The kind of a metric family, as written on its OpenMetrics `# TYPE` line. The text format
/// 0.0.4 has no info and stateset: they appear there as gauges.
enum class metric_type { counter, gauge, histogram, info, stateset };

/// The OpenMetrics `# TYPE` keyword of a metric type.
constexpr std::string_view type_name(metric_type t) noexcept {
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

namespace detail {
/// The `# TYPE` keyword of a metric type in the text format 0.0.4.
constexpr std::string_view text_type_name(metric_type t) noexcept {
    return t == metric_type::info || t == metric_type::stateset ? "gauge" : type_name(t);
}
} // namespace detail

namespace detail {

class family_base;

/// A series' labels rendered once, when the series is created, as `a="x",b="y"` (escaped,
/// no braces), so that a scrape copies them in one piece. Stored in each series; only the
/// exposition writers read it.
class label_text {
public:
    /// Appends `name="value"`, escaping the value.
    void append(std::string_view name, std::string_view value) {
        if (!text_.empty()) text_ += ',';
        text_.append(name.data(), name.size());
        text_ += "=\"";
        append_escaped(text_, value, true);
        text_ += '"';
    }
    std::string_view view() const noexcept { return text_; }
    bool empty() const noexcept { return text_.empty(); }

private:
    std::string text_;
};

/// The parts of a family's text 0.0.4 output that do not change between scrapes, rendered
/// when the family is registered. Only the exposition writers read it.
struct family_text {
    family_text(metric_type type, const std::string& name, std::string_view help,
                const std::vector<double>& bounds, const std::vector<std::string>& states) {
        // Each piece made by message() in one call: string operator+ chains and += of a char
        // cost code here, and embedded builds count it.
        header = message({"# HELP ", name, " "});
        append_escaped(header, help, false);
        header += message({"\n# TYPE ", name, " ", text_type_name(type), "\n"});
        if (type == metric_type::stateset) {
            // The state label is named after the family: `name="state"} `.
            state_suffixes.reserve(states.size());
            for (const std::string& st : states) {
                label_text l;
                l.append(name, st);
                state_suffixes.push_back(message({l.view(), "} "}));
            }
        }
        if (type != metric_type::histogram) return;
        le_suffixes.reserve(bounds.size() + 1);
        om_le_suffixes.reserve(bounds.size() + 1);
        for (double b : bounds) {
            char num[max_number_chars];
            std::size_t n = format_label_number(num, b);
            le_suffixes.push_back(message({"le=\"", std::string_view(num, n), "\"} "}));
            n = format_canonical(num, b);
            om_le_suffixes.push_back(message({"le=\"", std::string_view(num, n), "\"} "}));
        }
        le_suffixes.push_back("le=\"+Inf\"} ");
        om_le_suffixes.push_back("le=\"+Inf\"} ");
        bucket_prefix = message({name, "_bucket{"});
        sum_name = message({name, "_sum"});
        count_name = message({name, "_count"});
    }

    std::string header; // "# HELP ...\n# TYPE ...\n"
    // Histograms: pieces of the sample lines (one write each per line).
    std::vector<std::string> le_suffixes; // `le="0.5"} `, ..., `le="1"} `, `le="+Inf"} `
    // The same in OpenMetrics, whose `le` values must be canonical numbers: `le="1.0"} `.
    std::vector<std::string> om_le_suffixes;
    std::string bucket_prefix, sum_name, count_name;
    // Statesets: the state label of each state's sample line.
    std::vector<std::string> state_suffixes; // `name="a"} `, ...
};

/// A label of a sample written by a collector.
using collected_label = std::pair<std::string_view, std::string_view>;
/// A state of a stateset sample written by a collector, and whether it is set.
using collected_state = std::pair<std::string_view, bool>;

/// What a writer implements to receive a registry's content (registry::walk()): each
/// registered family in name order, then the families and samples collectors produce,
/// already validated. Runs under the registry's reader lock.
class exposition_visitor {
public:
    /// A registered family; the writer reads its series with family_base::for_each_series().
    virtual void family(const family_base& f) = 0;
    /// A collector starts a family (`name` is the full sample name, with `_total` for
    /// counters and `_info` for info); `unit` may be empty.
    virtual void collected_family(std::string_view name, std::string_view help, metric_type type,
                                  std::string_view unit) = 0;
    /// A sample of the current collected counter, gauge or info family.
    virtual void collected_sample(std::string_view name, const collected_label* labels,
                                  std::size_t n, double value) = 0;
    /// A series of the current collected histogram family: `nb` bounds and `nb + 1`
    /// cumulative counts.
    virtual void collected_histogram(std::string_view name, const collected_label* labels,
                                     std::size_t n, const double* bounds,
                                     const std::uint64_t* cumulative, std::size_t nb,
                                     double sum) = 0;
    /// A series of the current collected stateset family.
    virtual void collected_stateset(std::string_view name, const collected_label* labels,
                                    std::size_t n, const collected_state* states,
                                    std::size_t ns) = 0;
    /// Whether the output failed (its sink threw, or the string could not grow): an exception
    /// a collector caught is then the output's, which ends the render, not the collector's.
    virtual bool output_failed() const noexcept = 0;

protected:
    exposition_visitor() = default;
    exposition_visitor(const exposition_visitor&) = default;
    exposition_visitor& operator=(const exposition_visitor&) = default;
    ~exposition_visitor() = default;
};

} // namespace detail
VITALS_END_NAMESPACE

#endif // VITALS_EXPOSITION_MODEL_HPP
// #include <vitals/family.hpp>
// vitals/family.hpp - a named metric with fixed label names and one series per label set.
// SPDX-License-Identifier: MIT
#ifndef VITALS_FAMILY_HPP
#define VITALS_FAMILY_HPP

// #include <vitals/config.hpp>: inlined above
// #include <vitals/counter.hpp>: inlined above
// #include <vitals/detail/escape.hpp>: inlined above
// #include <vitals/detail/exclusive_lock.hpp>
// vitals/detail/exclusive_lock.hpp - a scoped writer lock on a reader-writer lock.
// SPDX-License-Identifier: MIT
#ifndef VITALS_DETAIL_EXCLUSIVE_LOCK_HPP
#define VITALS_DETAIL_EXCLUSIVE_LOCK_HPP

// #include <vitals/config.hpp>: inlined above

VITALS_BEGIN_NAMESPACE
namespace detail {

/// Holds `m` exclusively for its lifetime. std::unique_lock would do, but it lives in <mutex>,
/// which costs every translation unit including vitals.hpp more than <shared_mutex> alone
/// (bench/budgets.sh).
template <class Mutex>
class exclusive_lock {
public:
    explicit exclusive_lock(Mutex& m) : m_(m) { m_.lock(); }
    exclusive_lock(const exclusive_lock&) = delete;
    exclusive_lock& operator=(const exclusive_lock&) = delete;
    ~exclusive_lock() { m_.unlock(); }

private:
    Mutex& m_;
};

} // namespace detail
VITALS_END_NAMESPACE

#endif // VITALS_DETAIL_EXCLUSIVE_LOCK_HPP
// #include <vitals/detail/format_number.hpp>: inlined above
// #include <vitals/detail/label_hash.hpp>
// vitals/detail/label_hash.hpp - the keyed hash of label values behind the lookup tables.
// SPDX-License-Identifier: MIT
#ifndef VITALS_DETAIL_LABEL_HASH_HPP
#define VITALS_DETAIL_LABEL_HASH_HPP

// #include <vitals/config.hpp>: inlined above
// #include <vitals/detail/text_words.hpp>: inlined above

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
// #include <vitals/detail/names.hpp>: inlined above
// #include <vitals/detail/narrow.hpp>: inlined above
// #include <vitals/detail/scrape_scope.hpp>
// vitals/detail/scrape_scope.hpp - which registries (and families) the calling thread is
// scraping right now.
// SPDX-License-Identifier: MIT
#ifndef VITALS_DETAIL_SCRAPE_SCOPE_HPP
#define VITALS_DETAIL_SCRAPE_SCOPE_HPP

// #include <vitals/config.hpp>: inlined above

VITALS_BEGIN_NAMESPACE
namespace detail {

/// Marks, for its lifetime, that the calling thread is scraping `owner` (a registry): it holds
/// the registry's reader lock and runs its collectors and the output sink. Code those call
/// must not wait for that lock, which only the end of the scrape releases: a registration in
/// the same registry would wait for its writer lock forever, and a server stop() that joins a
/// thread which renders the registry could too. Such code asks inside() first. (A family's
/// walk holds its lock only while the output sink does not run: see sink_pause.)
///
/// One pointer of thread-local storage, trivially initialised (no guard, nothing to destroy,
/// also with mingw-w64's emulated TLS); scopes nest (a collector may render another registry).
class scrape_scope {
public:
    explicit scrape_scope(const void* owner) noexcept : owner_(owner), outer_(top()) {
        top() = this;
    }
    scrape_scope(const scrape_scope&) = delete;
    scrape_scope& operator=(const scrape_scope&) = delete;
    ~scrape_scope() { top() = outer_; }

    /// True when the calling thread is inside a scrape of `owner`, at any depth.
    static bool inside(const void* owner) noexcept {
        for (const scrape_scope* s = top(); s; s = s->outer_)
            if (s->owner_ == owner) return true;
        return false;
    }

    /// True when the calling thread is inside a scrape of any registry.
    static bool inside_any() noexcept { return top() != nullptr; }

    /// True when the calling thread is inside one scope at most (the scrape of one registry).
    static bool at_most_one() noexcept { return top() == nullptr || top()->outer_ == nullptr; }

private:
    // Process-wide: a collector or sink compiled into a shared library built with
    // -fvisibility=hidden must see the scrape the program's thread is in, or its registration
    // waits for the lock that same thread holds, for ever.
    VITALS_DETAIL_PROCESS_WIDE static const scrape_scope*& top() noexcept {
        struct holder { // see VITALS_DETAIL_PROCESS_WIDE
            const scrape_scope* innermost;
        };
        static thread_local holder h{nullptr};
        return h.innermost;
    }

    const void* owner_;
    const scrape_scope* outer_;
};

} // namespace detail
VITALS_END_NAMESPACE

#endif // VITALS_DETAIL_SCRAPE_SCOPE_HPP
// #include <vitals/detail/shared_mutex.hpp>
// vitals/detail/shared_mutex.hpp - the reader-writer locks of registries, families and kits.
// SPDX-License-Identifier: MIT
#ifndef VITALS_DETAIL_SHARED_MUTEX_HPP
#define VITALS_DETAIL_SHARED_MUTEX_HPP

// #include <vitals/config.hpp>: inlined above

#include <atomic>       // atomic
#include <shared_mutex> // shared_mutex

// Whether std::shared_mutex lets new readers in while a writer waits for the lock. libstdc++ on
// glibc makes it a pthread rwlock of the default kind, which does. libc++ (macOS, Android,
// clang -stdlib=libc++ on Linux), Microsoft's library and winpthreads (mingw-w64) make new
// readers queue behind the writer; there writer_first_mutex is a lock of its own. (A test
// program defines it 0 to run that lock on glibc too; it changes the layout of registries and
// families, so every file of a program must agree.)
#ifndef VITALS_DETAIL_READERS_PASS_WAITING_WRITERS
#if defined(__GLIBCXX__) && defined(__GLIBC__)
#define VITALS_DETAIL_READERS_PASS_WAITING_WRITERS 1
#else
#define VITALS_DETAIL_READERS_PASS_WAITING_WRITERS 0
#endif
#endif
#if !VITALS_DETAIL_READERS_PASS_WAITING_WRITERS
#include <condition_variable> // condition_variable
#include <mutex>              // mutex, unique_lock, lock_guard
#endif

VITALS_BEGIN_NAMESPACE
namespace detail {

#if defined(__MINGW32__)
/// std::shared_mutex, initialized by its constructor. With mingw-w64's libstdc++ it is a
/// winpthreads rwlock made from PTHREAD_RWLOCK_INITIALIZER, which winpthreads initializes on
/// first use; when several threads make that first use at once, pthread_rwlock_wrlock fails
/// with EINVAL for some of them, and std::shared_mutex::lock() ignores the error and returns
/// as if it held the lock (two writers then created the same series twice). Taking the lock
/// once here, before the object is shared, runs that initialization on one thread.
class shared_mutex : public std::shared_mutex {
public:
    shared_mutex() {
        lock();
        unlock();
    }
};
#else
using shared_mutex = std::shared_mutex;
#endif

/// A reader-writer lock that can let a waiting writer in before the readers that come after
/// it. glibc's std::shared_mutex prefers readers: scrapes that overlap back to back (two
/// Prometheus servers, a slow collector, a large family) kept a registration or a new series
/// waiting for as long as they went on. lock_shared() waits for a writer already waiting, and
/// that writer waits only for the readers already inside.
///
/// That is safe only for a reader that holds no other lock a writer may wait for, and that no
/// thread holding one waits for: a top-level scrape. Every other reader (a render nested in a
/// collector or an output sink, a reader that a collector may wait for on another thread)
/// uses lock_shared_ahead(), which joins the readers inside however many writers wait, on
/// every platform: it waits only while a writer holds the lock.
class writer_first_mutex {
public:
    writer_first_mutex() = default;
    writer_first_mutex(const writer_first_mutex&) = delete;
    writer_first_mutex& operator=(const writer_first_mutex&) = delete;

#if VITALS_DETAIL_READERS_PASS_WAITING_WRITERS
    // A writer holds `gate_` while it waits, and lock_shared() passes through `gate_` first, so
    // it waits for a queued writer; lock_shared_ahead() goes to `main_` directly, which lets it
    // in past the waiting writer.
    void lock() {
        waiting_.fetch_add(1, std::memory_order_relaxed);
        gate_.lock();
        main_.lock();
        gate_.unlock();
        waiting_.fetch_sub(1, std::memory_order_relaxed);
    }
    void unlock() { main_.unlock(); }

    /// The shared lock, after any writer already waiting.
    void lock_shared() {
        // Only when a writer waits: a render takes one of these locks per family, and the
        // gate's two atomic read-modify-writes would be paid on every one of them.
        if (waiting_.load(std::memory_order_relaxed) != 0) {
            gate_.lock_shared(); // held only for this instant: writers are not kept out by it
            gate_.unlock_shared();
        }
        main_.lock_shared();
    }
    /// The shared lock, not waiting for writers queued at the gate.
    void lock_shared_ahead() { main_.lock_shared(); }
    void unlock_shared() { main_.unlock_shared(); }

private:
    std::atomic<unsigned> waiting_{0}; // writers in lock(), a hint for readers
    shared_mutex gate_;
    shared_mutex main_;
#else
    // The counts under a mutex, and one condition variable that every change which can let
    // someone in signals (writers and readers both wait on it; contention is rare: a
    // registration or a new series during a scrape).
    void lock() {
        std::unique_lock<std::mutex> hold(state_);
        ++writers_waiting_;
        turn_.wait(hold, [this] { return !writer_ && readers_ == 0; });
        --writers_waiting_;
        writer_ = true;
    }
    void unlock() {
        {
            const std::lock_guard<std::mutex> hold(state_);
            writer_ = false;
        }
        turn_.notify_all();
    }

    /// The shared lock, after any writer already waiting.
    void lock_shared() {
        std::unique_lock<std::mutex> hold(state_);
        turn_.wait(hold, [this] { return !writer_ && writers_waiting_ == 0; });
        ++readers_;
    }
    /// The shared lock, waiting only while a writer holds it.
    void lock_shared_ahead() {
        std::unique_lock<std::mutex> hold(state_);
        turn_.wait(hold, [this] { return !writer_; });
        ++readers_;
    }
    void unlock_shared() {
        bool writer_may_enter = false;
        {
            const std::lock_guard<std::mutex> hold(state_);
            writer_may_enter = --readers_ == 0 && writers_waiting_ != 0;
        }
        if (writer_may_enter) turn_.notify_all();
    }

private:
    std::mutex state_;
    std::condition_variable turn_;
    unsigned long readers_ = 0;
    unsigned long writers_waiting_ = 0;
    bool writer_ = false;
#endif
};

/// How a reader takes a writer_first_mutex: not at all (the calling thread holds it already,
/// in a scrape), ahead of waiting writers, or after them.
enum class reader_turn : unsigned char { held_already, ahead, after_writers };

/// Holds `m` shared for its lifetime, as `turn` says; release() lets it go before that.
class shared_lock_of {
public:
    shared_lock_of(writer_first_mutex& m, reader_turn turn)
        : m_(turn == reader_turn::held_already ? nullptr : &m) {
        if (turn == reader_turn::ahead) m.lock_shared_ahead();
        if (turn == reader_turn::after_writers) m.lock_shared();
    }
    shared_lock_of(const shared_lock_of&) = delete;
    shared_lock_of& operator=(const shared_lock_of&) = delete;
    ~shared_lock_of() { release(); }
    void release() noexcept {
        if (m_) m_->unlock_shared();
        m_ = nullptr;
    }

private:
    writer_first_mutex* m_;
};

} // namespace detail
VITALS_END_NAMESPACE

#endif // VITALS_DETAIL_SHARED_MUTEX_HPP
// #include <vitals/detail/sink_pause.hpp>: inlined above
// #include <vitals/error.hpp>: inlined above
// #include <vitals/exposition/model.hpp>: inlined above
// #include <vitals/gauge.hpp>
// vitals/gauge.hpp - a value that goes up and down.
// SPDX-License-Identifier: MIT
#ifndef VITALS_GAUGE_HPP
#define VITALS_GAUGE_HPP

// #include <vitals/config.hpp>: inlined above
// #include <vitals/record/gauge.hpp>
// vitals/record/gauge.hpp - a value that goes up and down: the class, for code that records.
// SPDX-License-Identifier: MIT
#ifndef VITALS_RECORD_GAUGE_HPP
#define VITALS_RECORD_GAUGE_HPP

// #include <vitals/config.hpp>: inlined above
// #include <vitals/counter.hpp>: inlined above
// #include <vitals/detail/atomic_double.hpp>
// vitals/detail/atomic_double.hpp - lock-free add on std::atomic<double>.
// SPDX-License-Identifier: MIT
#ifndef VITALS_DETAIL_ATOMIC_DOUBLE_HPP
#define VITALS_DETAIL_ATOMIC_DOUBLE_HPP

// #include <vitals/config.hpp>: inlined above

#include <atomic> // atomic, memory_order

VITALS_BEGIN_NAMESPACE
namespace detail {

// C++17 has no fetch_add for atomic<double>; a relaxed CAS loop is lock-free wherever the
// atomic itself is (see VITALS_REQUIRE_LOCK_FREE_ATOMICS in config.hpp for targets where it
// is not).
inline void atomic_add(std::atomic<double>& target, double delta) noexcept {
    double current = target.load(std::memory_order_relaxed);
    while (!target.compare_exchange_weak(current, current + delta, std::memory_order_relaxed,
                                         std::memory_order_relaxed)) {}
}

} // namespace detail
VITALS_END_NAMESPACE

#endif // VITALS_DETAIL_ATOMIC_DOUBLE_HPP

#include <atomic>  // atomic, atomic_thread_fence
#include <cstdint> // uint64_t

VITALS_BEGIN_NAMESPACE

class gauge;
namespace detail {
/// Per-thread-slot cells for a gauge that many threads raise and lower by one (an in-flight
/// count): two monotonic counters, so inc() and dec() write the calling thread's own cells.
struct gauge_cells {
    counter raised;
    counter lowered;
    // raised - lowered when the gauge was last set: set(v) keeps v as given, and a read adds
    // only the whole steps since, so a set value reads back exactly (0.1, -0.0) while requests
    // are in flight.
    std::atomic<std::uint64_t> at_set{0};
    // A sequence lock over the pair (the gauge's value, at_set), which set() writes with two
    // stores: odd while a set() reads the steps and makes its stores. Without it two set()s racing
    // could leave one's value with the other's at_set (off by the steps between them until the
    // next set()), and a read between the stores saw a value the gauge never held. Only set()
    // and value() take part: inc() and dec() write their own cells as before, and add()
    // changes the value alone with a compare-and-swap, consistent with either at_set.
    std::atomic<std::uint64_t> seq{0};

    // How many times value() reads the cells to find the two counts as they stood together
    // (see read_steps()) before it shows its last read, so that a scrape ends while requests
    // start during every read.
    static constexpr int read_tries = 8;

    // raised - lowered, modulo 2^64 (a signed number through unsigned arithmetic), into `out`;
    // true when the two counts held together at one moment, so that the difference is a step
    // count the gauge went through. A sum is read one cell after another, so `lowered` read
    // before `raised` missed the end of a request that started and ended between the reads
    // of its cells (on another core, or while this thread was preempted): counted as still in
    // flight. So `raised` is read before and after `lowered`. Each cell only grows, so equal
    // sums mean that no cell of `raised` changed while `lowered` was read; and as dec() adds
    // one at a time, `lowered` was the sum read at some moment of its read. When the sums
    // differ, `out` is the difference with the second one, which never counts the end of a
    // request without its start but may count requests that began and ended during the read.
    // Memory order: `lowered` is read before the second sum, as a request's dec() follows its
    // inc(). The cells are relaxed atomics, so that order alone does not hold where stores
    // may be seen out of order (ARM, POWER): dec() puts a release fence before its add, and
    // this an acquire fence after reading `lowered`, so every dec() seen brings its inc() with
    // it. The acquire fence after the first sum keeps `lowered` from being read before it
    // (loads may be reordered there too). On x86 both fences are free: they only keep the
    // compiler from reordering. Where stores may be seen out of order, a thread's stores to
    // its two cells may also be seen in another order than made (inc() has no fence, which
    // would cost every request): a thread's next request may be counted before the end of
    // its last one.
    bool read_steps(std::uint64_t& out) const noexcept {
        const std::uint64_t before = raised.whole_value();
        std::atomic_thread_fence(std::memory_order_acquire);
        const std::uint64_t low = lowered.whole_value();
        std::atomic_thread_fence(std::memory_order_acquire);
        const std::uint64_t high = raised.whole_value();
        out = high - low;
        return high == before;
    }

    // gauge::set(v) of a gauge with cells; waits while another thread's set() holds the
    // sequence word odd. The steps are read inside too: read before, the steps made between
    // would count as made since a set() that reads did not yet show. The step count stored
    // must be one that held (one too high would leave the gauge low until the next set()), so
    // a read that is not one is made again, the word given back in between, so that reads of
    // the gauge are not held up meanwhile. inc() and dec() never wait; set() waits while every
    // read of the cells sees a request start.
    void set(std::atomic<double>& stored, double v) noexcept {
        for (;;) {
            std::uint64_t s = seq.load(std::memory_order_relaxed);
            do {
                while (s & 1) s = seq.load(std::memory_order_relaxed);
            } while (!seq.compare_exchange_weak(s, s + 1, std::memory_order_acquire,
                                                std::memory_order_relaxed));
            // The odd word before the stores: a read that sees either store then sees the odd
            // word, or a later one, when it looks again (a fence, as the CAS's store is
            // relaxed).
            std::atomic_thread_fence(std::memory_order_release);
            std::uint64_t steps = 0;
            if (read_steps(steps)) {
                at_set.store(steps, std::memory_order_relaxed);
                stored.store(v, std::memory_order_relaxed);
                seq.store(s + 2, std::memory_order_release);
                return;
            }
            // Nothing was stored: the word as it was, so that reads that began before the
            // lock was taken stay good. Release, as a plain store ends the release sequence
            // of the last set()'s store: the next set() or read that sees this word then
            // also sees that set()'s stores.
            seq.store(s, std::memory_order_release);
        }
    }

    // gauge::value() of a gauge with cells: the value last set (plus adds) with the whole
    // steps made since, read again when a set() ran meanwhile, and again when the counts were
    // not read as they stood together, read_tries times in all.
    double value(const std::atomic<double>& stored) const noexcept {
        for (int tries = 1;;) {
            const std::uint64_t s = seq.load(std::memory_order_acquire);
            if (s & 1) continue; // a set() is between its stores
            const double v = stored.load(std::memory_order_relaxed);
            const std::uint64_t base = at_set.load(std::memory_order_relaxed);
            std::uint64_t steps = 0;
            const bool held = read_steps(steps);
            // The loads above before the second look at the word (pairs with set()'s fence).
            std::atomic_thread_fence(std::memory_order_acquire);
            if (seq.load(std::memory_order_relaxed) != s) continue;
            if (!held && tries++ < read_tries) continue;
            const std::uint64_t diff = steps - base;
            if (diff == 0) return v;
            return diff <= 0x7fffffffffffffffULL ? v + static_cast<double>(diff)
                                                 : v - static_cast<double>(0 - diff);
        }
    }
};
void enable_gauge_cells(gauge& g);
/// Defined by <vitals/gauge.hpp>: the members of gauge that need <chrono>. A translation unit
/// that includes only <vitals/record.hpp> and calls one fails to compile naming this type.
template <class Full>
struct include_gauge_hpp;
} // namespace detail

/// A value that can be set, raised and lowered, exposed as `<name>`.
/// All members are thread-safe and never allocate, and all are lock-free except on the gauges
/// that kits raise and lower by one from many threads (the HTTP kit's in-flight gauge): those
/// count inc() and dec() in per-thread cells, and there set() and reset() read the cells again
/// while requests start during the read, and they and value() wait while a set() on another
/// thread reads and stores. value() shows a value the gauge held, unless requests start during
/// several reads in a row: then its last read, which may count as in flight requests that
/// began and ended during it. Nor are set(), reset() and value() async-signal-safe there: in a
/// signal handler that interrupted a set() of the same gauge on its thread, they wait forever.
/// Any double is accepted, including NaN and infinities (exposed as `NaN`, `+Inf`, `-Inf`).
class gauge {
public:
    gauge() noexcept = default;
    explicit gauge(double initial) noexcept : value_(initial) {}
    gauge(const gauge&) = delete; // take a reference: auto& g = reg.gauge(...)
    gauge& operator=(const gauge&) = delete;
    ~gauge() { delete cells_.load(std::memory_order_relaxed); }

    void set(double v) noexcept {
        if (detail::gauge_cells* c = cells())
            c->set(value_, v);
        else
            value_.store(v, std::memory_order_relaxed);
    }
    void inc() noexcept {
        if (detail::gauge_cells* c = cells())
            c->raised.inc();
        else
            add(1.0);
    }
    void inc(double amount) noexcept { add(amount); }
    void dec() noexcept {
        if (detail::gauge_cells* c = cells()) {
            std::atomic_thread_fence(std::memory_order_release); // see gauge_cells::steps()
            c->lowered.inc();
        } else {
            add(-1.0);
        }
    }
    void dec(double amount) noexcept { add(-amount); }
    void add(double amount) noexcept { detail::atomic_add(value_, amount); }
    void sub(double amount) noexcept { add(-amount); }

    /// Sets the gauge to the current Unix time in seconds (system clock). Defined by
    /// <vitals/gauge.hpp> (it needs <chrono>, which <vitals/record.hpp> leaves out).
    template <class Full = void>
    void set_to_current_time() noexcept {
        set(detail::include_gauge_hpp<Full>::unix_now());
    }

    double value() const noexcept {
        if (const detail::gauge_cells* c = cells()) return c->value(value_);
        return value_.load(std::memory_order_relaxed);
    }

    /// Sets the gauge back to zero. Meant for a series that is removed and re-added.
    void reset() noexcept { set(0.0); }

private:
    friend void detail::enable_gauge_cells(gauge& g);

    // Per-thread cells spread inc() and dec() only where counters have per-thread slots: with
    // one stripe (VITALS_COMPACT) a gauge never has them, and its code leaves them out.
    detail::gauge_cells* cells() const noexcept {
        if constexpr (VITALS_COUNTER_STRIPES > 1) return cells_.load(std::memory_order_acquire);
        return nullptr;
    }

    std::atomic<double> value_{0.0};
    // Set by kits whose gauges many threads raise and lower by one (the HTTP kit's in-flight
    // gauge): inc() and dec() then write per-thread cells instead of one shared value.
    std::atomic<detail::gauge_cells*> cells_{nullptr}; // owned
};

namespace detail {
/// Gives `g` per-thread cells for inc() and dec() (idempotent; allocates the first time,
/// freed with the gauge). Its value and exposition stay the same. Nothing with one stripe
/// (see gauge::cells()).
inline void enable_gauge_cells(gauge& g) {
    if (VITALS_COUNTER_STRIPES == 1 || g.cells_.load(std::memory_order_acquire)) return;
    auto* cells = new gauge_cells();
    gauge_cells* expected = nullptr;
    if (!g.cells_.compare_exchange_strong(expected, cells, std::memory_order_acq_rel)) delete cells;
}
} // namespace detail

VITALS_END_NAMESPACE

#endif // VITALS_RECORD_GAUGE_HPP

#include <chrono> // system_clock

VITALS_BEGIN_NAMESPACE
namespace detail {

/// gauge's members that need <chrono> (see record/gauge.hpp).
template <class Full>
struct include_gauge_hpp {
    static double unix_now() noexcept {
        using clock = std::chrono::system_clock; // as system_unix_time() reads it
        const double ticks = static_cast<double>(clock::now().time_since_epoch().count());
        return ticks * clock::period::num / clock::period::den;
    }
};

} // namespace detail
VITALS_END_NAMESPACE

#endif // VITALS_GAUGE_HPP
// #include <vitals/histogram.hpp>
// vitals/histogram.hpp - a fixed-bucket histogram and its RAII timer.
// SPDX-License-Identifier: MIT
#ifndef VITALS_HISTOGRAM_HPP
#define VITALS_HISTOGRAM_HPP

// #include <vitals/config.hpp>: inlined above
// #include <vitals/detail/float_class.hpp>: inlined above
// #include <vitals/detail/format_number.hpp>: inlined above
// #include <vitals/error.hpp>: inlined above
// #include <vitals/record/histogram.hpp>
// vitals/record/histogram.hpp - a fixed-bucket histogram: the class, for code that records.
// SPDX-License-Identifier: MIT
#ifndef VITALS_RECORD_HISTOGRAM_HPP
#define VITALS_RECORD_HISTOGRAM_HPP

// #include <vitals/config.hpp>: inlined above
// #include <vitals/detail/float_class.hpp>: inlined above
// #include <vitals/detail/thread_slot.hpp>: inlined above
// #include <vitals/exemplar.hpp>: inlined above
// #include <vitals/rejected_writes.hpp>: inlined above

#include <atomic>           // atomic
#include <cstddef>          // size_t
#include <cstdint>          // uint64_t, uintptr_t
#include <cstring>          // memcpy
#include <initializer_list> // initializer_list
#include <new>              // nothrow

// Packed comparisons of doubles where the compiler has vector types and the target SSE2
// (x86-64): GCC and Clang.
#if defined(__GNUC__) && defined(__SSE2__)
#define VITALS_DETAIL_VECTOR_COMPARE 1
#else
#define VITALS_DETAIL_VECTOR_COMPARE 0
#endif

VITALS_BEGIN_NAMESPACE

namespace detail {
/// Selects the histogram constructor that uses bounds owned by someone else (a family).
struct borrowed_bounds_tag {};

/// Up to this many bounds, observe() counts the bounds below a value rather than searching
/// them (see histogram::bucket_index()). It reads them padded with +Inf to an even count.
constexpr std::size_t max_scanned_bounds = 16;
template <class Metric>
struct series;
/// A histogram's bucket bounds (a std::vector<double>; defined by <vitals/histogram.hpp>).
struct bucket_bounds;
/// Defined by <vitals/histogram.hpp>: the members of histogram that need <vector> or
/// <chrono>. A translation unit that includes only <vitals/record.hpp> and calls one fails to
/// compile naming this type.
template <class Full>
struct include_histogram_hpp;
} // namespace detail

/// Counts observations into fixed buckets (`le` upper bounds, plus the implicit +Inf) and
/// keeps their sum. observe() is lock-free and never allocates; construction allocates once.
/// The count is derived from the buckets, so an exposition's `_count` always equals its
/// +Inf bucket and buckets are cumulative even while other threads observe.
///
/// Like a counter, a histogram has one set of cells (buckets and sum) per thread slot, each on
/// its own cache lines, plus one shared set for threads beyond VITALS_COUNTER_STRIPES alive
/// at once (see detail/thread_slot.hpp): threads observing into the same histogram do not
/// contend. Its cells take (VITALS_COUNTER_STRIPES + 1) times the bucket count plus one,
/// times 8 bytes, each set rounded up to 64 bytes (one set in the compact configuration).
class histogram {
public:
    // The constructors, bounds(), time() and observe(duration) are defined by
    // <vitals/histogram.hpp>: they need <vector> and <chrono>, which <vitals/record.hpp>
    // leaves out. (They are templates, so that a translation unit with only the light header
    // compiles as long as it does not call them, and fails to compile, naming
    // detail::include_histogram_hpp, when it does.)

    /// A histogram with the default bounds (10 ms to 10 s).
    template <class Full = void>
    histogram() : histogram(detail::include_histogram_hpp<Full>::default_bounds()) {}

    /// A histogram with the given bounds: a std::vector<double>, or any container of doubles
    /// with data() and size(). Invalid bounds are reported through the error policy
    /// (vitals::error, or the error handler without exceptions); see validate_buckets().
    template <class Bounds, class = decltype(static_cast<const double*>(
                                static_cast<const Bounds*>(nullptr)->data()))>
    explicit histogram(Bounds bounds) {
        detail::include_histogram_hpp<Bounds>::adopt(*this, static_cast<Bounds&&>(bounds));
    }
    template <class Full = void>
    histogram(std::initializer_list<double> bounds)
        : histogram(detail::include_histogram_hpp<Full>::copy(bounds)) {}
    histogram(const histogram&) = delete; // take a reference: auto& h = reg.histogram(...)
    histogram& operator=(const histogram&) = delete;
    ~histogram() {
        if (release_bounds_) release_bounds_(bounds_);
        delete[] raw_cells_;
#if VITALS_COUNTER_STRIPES > 1
        delete[] base_.load(std::memory_order_relaxed);
#endif
    }

    /// Records one observation. NaN and +/-Inf are refused (nothing changes;
    /// vitals::rejected_writes() counts them), as a counter refuses them: one infinite
    /// observation would make the sum infinite, or NaN, for the rest of the series' life (and
    /// a -Inf sum takes `_sum` and `_count` out of every OpenMetrics scrape). Always inlined:
    /// called instead, as Clang 14 chose to, it was slower in a loop (the sum's path through
    /// memory is longer; see detail::owned_add_double).
    VITALS_DETAIL_ALWAYS_INLINE void observe(double v) noexcept {
        if (VITALS_DETAIL_UNLIKELY(!detail::is_finite(v))) return detail::note_rejected_write();
        observe_in(bucket_index(v), v);
    }

    /// observe(v), and `e` becomes the latest exemplar of the bucket `v` falls in (shown only
    /// in OpenMetrics output), with `v` as its value. NaN and +/-Inf record nothing; an invalid
    /// exemplar is dropped (see vitals::exemplar). Lock-free, and without a locked instruction for
    /// a thread with a slot (see detail::exemplar_slots). The first exemplar allocates the
    /// histogram's table of exemplar cells; a thread's first in a bucket, its cell there.
    void observe(double v, const exemplar& e) noexcept {
        if (VITALS_DETAIL_UNLIKELY(!detail::is_finite(v))) return detail::note_rejected_write();
        const std::size_t b = bucket_index(v);
        observe_in(b, v);
        exemplars_.record(detail::current_thread_state(), b, nb_ + 1, v, e);
    }

private:
    // Counts `v` in bucket `b` and adds it to the sum.
    void observe_in(std::size_t b, double v) noexcept {
#if VITALS_COUNTER_STRIPES > 1
        // 0 before the thread's first write: observe_other() takes a slot then. Keeping that
        // call out of this function spares the fast path a stack frame.
        const unsigned s = detail::thread_state();
        if (VITALS_DETAIL_LIKELY(s - 1 < detail::slot_count)) {
            std::atomic<std::uint64_t>* cells = shard(s - 1);
            std::atomic<std::uint64_t>& sum = cells[nb_ + 1]; // before a store could alias nb_
            detail::owned_add(cells[b], 1);
            detail::owned_add_double(sum, v);
            return;
        }
        observe_other(b, v);
#else
        observe_shared(shard(0), b, v);
#endif
    }

#if VITALS_COUNTER_STRIPES > 1
    // observe_in() for a thread without a slot of its own (yet).
    VITALS_DETAIL_NOINLINE void observe_other(std::size_t b, double v) noexcept {
        if (detail::current_thread_state() - 1 < detail::slot_count)
            observe_in(b, v); // a slot of its own from now on
        else
            observe_shared(shard(detail::slot_count), b, v);
    }
#endif

public:
    /// Records a duration (a std::chrono::duration) in seconds.
    template <class Duration, class = decltype(static_cast<const Duration*>(nullptr)->count())>
    void observe(Duration d) noexcept {
        observe(detail::include_histogram_hpp<Duration>::seconds(d));
    }

    /// RAII timer: observes the steady-clock seconds between its creation and its destruction
    /// (or the first stop()); see <vitals/histogram.hpp>.
    class timer;

    /// Starts a timer (a histogram::timer) that observes the elapsed seconds when it goes out
    /// of scope.
    template <class Full = void>
    [[nodiscard]] auto time() noexcept {
        return detail::include_histogram_hpp<Full>::start_timer(*this);
    }

    /// The configured upper bounds (without +Inf), as a const std::vector<double>&.
    template <class Full = void>
    const auto& bounds() const noexcept {
        return detail::include_histogram_hpp<Full>::values(*bounds_);
    }
    /// Observations in bucket i alone (not cumulative); i == bounds().size() is the +Inf bucket.
    std::uint64_t bucket_count(std::size_t i) const noexcept {
        std::uint64_t n = 0;
#if VITALS_COUNTER_STRIPES > 1
        // Acquire, base before cells: the cells read below are then no older than those
        // reset() summed into the base, so the difference never wraps below zero.
        if (const std::atomic<std::uint64_t>* base = base_.load(std::memory_order_acquire))
            n = 0 - base[i].load(std::memory_order_acquire);
#endif
        for (std::size_t k = 0; k < shards; ++k) n += shard(k)[i].load(std::memory_order_relaxed);
        return n;
    }
    /// Total number of observations (the sum of all buckets).
    std::uint64_t count() const noexcept {
        std::uint64_t total = 0;
        for (std::size_t i = 0; i <= nb_; ++i) total += bucket_count(i);
        return total;
    }
    /// Sum of all observed values.
    double sum() const noexcept {
        double total = 0.0;
#if VITALS_COUNTER_STRIPES > 1
        // Each shard's sum less its own base (see bucket_count()): a shard that saw nothing
        // since the reset adds exactly 0.
        if (const std::atomic<std::uint64_t>* base = base_.load(std::memory_order_acquire)) {
            for (std::size_t k = 0; k < shards; ++k) {
                const double b =
                    detail::bits_double(base[nb_ + 1 + k].load(std::memory_order_acquire));
                total += detail::bits_double(shard(k)[nb_ + 1].load(std::memory_order_relaxed)) - b;
            }
            return total;
        }
#endif
        for (std::size_t k = 0; k < shards; ++k)
            total += detail::bits_double(shard(k)[nb_ + 1].load(std::memory_order_relaxed));
        return total;
    }

    /// Sets all buckets and the sum back to zero. Meant for a series that is removed and
    /// re-added (the family calls it under its lock); an observation made at the same moment
    /// through a kept reference may count after it, in part. The first reset of a histogram
    /// with per-thread cells allocates its bases (without memory, it clears the cells in place,
    /// where an observation at the same moment can bring the old counts back). On a registry's
    /// series, reset through the family (remove(), then labels()), which also gives the series
    /// a new `_created`.
    void reset() noexcept {
#if VITALS_COUNTER_STRIPES > 1
        // A thread's own cells are written by that thread alone, with a plain load and store,
        // so a store here could be overwritten with the whole old total by the owner's next
        // store. Instead, as counter::reset() does, the totals seen now become the new zero:
        // readers subtract these bases, and the cells are never written here.
        std::atomic<std::uint64_t>* base = base_.load(std::memory_order_acquire);
        if (VITALS_DETAIL_UNLIKELY(!base)) base = make_base();
        if (base) {
            for (std::size_t i = 0; i <= nb_; ++i) {
                std::uint64_t n = 0;
                for (std::size_t k = 0; k < shards; ++k)
                    n += shard(k)[i].load(std::memory_order_relaxed);
                base[i].store(n, std::memory_order_release);
            }
            for (std::size_t k = 0; k < shards; ++k) {
                std::atomic<std::uint64_t>& cell = shard(k)[nb_ + 1];
                const std::uint64_t bits = cell.load(std::memory_order_relaxed);
                if (detail::is_finite(detail::bits_double(bits))) {
                    base[nb_ + 1 + k].store(bits, std::memory_order_release);
                } else {
                    // An infinite or NaN sum (finite observations past the largest double) stays so
                    // whatever is added: no base can be subtracted, so the cell is cleared in place
                    // (an observation at the same moment may bring the old sum back).
                    base[nb_ + 1 + k].store(0, std::memory_order_release);
                    cell.store(0, std::memory_order_relaxed);
                }
            }
            exemplars_.reset();
            return;
        }
#endif
        for (std::size_t k = 0; k < shards; ++k)
            for (std::size_t i = 0; i <= nb_ + 1; ++i)
                shard(k)[i].store(0, std::memory_order_relaxed); // 0 is also +0.0 for the sum
        exemplars_.reset();
    }

private:
    friend struct detail::exemplar_access;
    const detail::exemplar_slots& exemplars() const noexcept { return exemplars_; }

    template <class Metric>
    friend struct detail::series;
    template <class Full>
    friend struct detail::include_histogram_hpp;

    // A histogram reading `bounds`, already validated, which must outlive it: the series of a
    // family share the family's bounds this way instead of each keeping a copy (memory per
    // series). Defined by <vitals/histogram.hpp>.
    inline histogram(detail::borrowed_bounds_tag, const detail::bucket_bounds& bounds);

#if VITALS_COUNTER_STRIPES > 1
    static constexpr std::size_t shards = detail::slot_count + 1; // owned ones, then shared
#else
    static constexpr std::size_t shards = 1;
#endif
    // A shard (buckets, then the sum's bits) starts on a cache line and takes whole lines, so
    // two threads' shards never share one; the compact configuration has one shard, unpadded.
    static constexpr std::size_t line_words = shards > 1 ? 8 : 1;

    // Allocates the cells for nb_ buckets.
    void init_cells() {
        shard_words_ = (nb_ + 2 + line_words - 1) / line_words * line_words;
        const std::size_t n = shards * shard_words_ + line_words - 1; // room to align
        raw_cells_ = new std::atomic<std::uint64_t>[n];
        for (std::size_t i = 0; i < n; ++i) raw_cells_[i].store(0, std::memory_order_relaxed);
        const auto address = reinterpret_cast<std::uintptr_t>(raw_cells_);
        const std::size_t line = line_words * sizeof(std::uint64_t);
        cells_ = raw_cells_ + (line - address % line) % line / sizeof(std::uint64_t);
    }

    std::atomic<std::uint64_t>* shard(std::size_t k) const noexcept {
        return cells_ + k * shard_words_;
    }

#if VITALS_COUNTER_STRIPES > 1
    // The bases reset() subtracts: one per bucket (the total over the shards), then one sum
    // per shard. Allocated on the first reset, so a histogram never reset costs one pointer.
    VITALS_DETAIL_NOINLINE std::atomic<std::uint64_t>* make_base() noexcept {
        const std::size_t n = nb_ + 1 + shards;
        auto* base = new (std::nothrow) std::atomic<std::uint64_t>[n];
        if (!base) return nullptr;
        for (std::size_t i = 0; i < n; ++i) base[i].store(0, std::memory_order_relaxed);
        std::atomic<std::uint64_t>* expected = nullptr;
        if (!base_.compare_exchange_strong(expected, base, std::memory_order_acq_rel)) {
            delete[] base; // another reset() installed one first
            return expected;
        }
        return base;
    }
#endif

    void observe_shared(std::atomic<std::uint64_t>* cells, std::size_t b, double v) noexcept {
        cells[b].fetch_add(1, std::memory_order_relaxed);
        std::atomic<std::uint64_t>& sum = cells[nb_ + 1];
        std::uint64_t current = sum.load(std::memory_order_relaxed);
        while (!sum.compare_exchange_weak(current,
                                          detail::double_bits(detail::bits_double(current) + v),
                                          std::memory_order_relaxed, std::memory_order_relaxed)) {}
    }

    // Index of the first bound >= v (bounds().size() when there is none), without a branch
    // that depends on v: observed values are rarely predictable, and a mispredicted exit
    // costs more than the rest of observe(). Up to max_scanned_bounds bounds, the number of
    // bounds below v: independent comparisons the CPU runs side by side; beyond, a binary
    // search with conditional moves.
    std::size_t bucket_index(double v) const noexcept {
        const double* b = bound_values_;
        const std::size_t n = nb_; // >= 1, checked at construction
        if (VITALS_DETAIL_UNLIKELY(n > detail::max_scanned_bounds)) return binary_search(v);
#if VITALS_DETAIL_VECTOR_COMPARE
        // Two bounds per packed comparison (the bounds are padded with +Inf to an even count; no
        // value is above it); each lane of `below` counts the bounds under v (a true comparison
        // is -1). The comparisons are written out and entered through a switch on their
        // number, not looped over: with the default bounds, Clang 14's loop was well above the
        // floor the sum's add sets and this form reaches it (bench/ab_core.sh). GCC 12's loop
        // already reached that floor, and this form does no better there.
        static_assert(detail::max_scanned_bounds == 16, "8 pairs below");
        using doubles = double __attribute__((__vector_size__(16)));
        using counts = long long __attribute__((__vector_size__(16)));
        const doubles value = {v, v};
        counts below = {0, 0};
        const auto pair_above = [&](std::size_t i) -> counts {
            doubles bound;
            std::memcpy(&bound, b + i, sizeof bound);
            return value > bound;
        };
        switch ((n + 1) / 2) {
        case 8:
            below -= pair_above(14);
            [[fallthrough]];
        case 7:
            below -= pair_above(12);
            [[fallthrough]];
        case 6:
            below -= pair_above(10);
            [[fallthrough]];
        case 5:
            below -= pair_above(8);
            [[fallthrough]];
        case 4:
            below -= pair_above(6);
            [[fallthrough]];
        case 3:
            below -= pair_above(4);
            [[fallthrough]];
        case 2:
            below -= pair_above(2);
            [[fallthrough]];
        default:
            below -= pair_above(0);
        }
        return static_cast<std::size_t>(below[0] + below[1]);
#else
        // Four independent sums: the comparisons do not wait on one another's adds.
        std::size_t s0 = 0, s1 = 0, s2 = 0, s3 = 0, i = 0;
        for (; i + 4 <= n; i += 4) {
            s0 += static_cast<std::size_t>(v > b[i]);
            s1 += static_cast<std::size_t>(v > b[i + 1]);
            s2 += static_cast<std::size_t>(v > b[i + 2]);
            s3 += static_cast<std::size_t>(v > b[i + 3]);
        }
        for (; i < n; ++i) s0 += static_cast<std::size_t>(v > b[i]);
        return s0 + s1 + s2 + s3; // bounds increase: they are b[0] .. b[sum - 1]
#endif
    }

    std::size_t binary_search(double v) const noexcept {
        const double* b = bound_values_;
        std::size_t n = nb_;
        std::size_t lo = 0;
        while (n > 1) {
            const std::size_t half = n / 2;
            lo = v > b[lo + half - 1] ? lo + half : lo; // a conditional move, not a branch
            n -= half;
        }
        return lo + static_cast<std::size_t>(v > b[lo]);
    }

    const detail::bucket_bounds* bounds_ = nullptr; // borrowed, or owned when release_bounds_
    // Frees bounds_ when the histogram owns them (set by the constructors, where the type of
    // the bounds is complete; the destructor, here, stays free of <vector>).
    void (*release_bounds_)(const detail::bucket_bounds*) noexcept = nullptr;
    const double* bound_values_ = nullptr;            // the bounds' values, read by observe()
    std::atomic<std::uint64_t>* raw_cells_ = nullptr; // owned
    std::atomic<std::uint64_t>* cells_ = nullptr;     // raw_cells_, aligned: shards * shard_words_
    std::size_t nb_ = 0;                              // number of bounds
    std::size_t shard_words_ = 0;
    detail::exemplar_slots exemplars_; // null until the first exemplar
#if VITALS_COUNTER_STRIPES > 1
    std::atomic<std::atomic<std::uint64_t>*> base_{nullptr}; // owned; see make_base()
#endif
};

VITALS_END_NAMESPACE

#endif // VITALS_RECORD_HISTOGRAM_HPP

#include <chrono>      // steady_clock
#include <cstddef>     // size_t
#include <string>      // string
#include <string_view> // string_view
#include <utility>     // move
#include <vector>      // vector

VITALS_BEGIN_NAMESPACE

/// The default bounds, 10 ms to 10 s: suits request latencies in seconds. Allocates.
inline std::vector<double> default_buckets() {
    constexpr double bounds[] = {0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0};
    std::vector<double> out;
    out.reserve(sizeof bounds / sizeof bounds[0]);
    for (const double b : bounds) out.push_back(b); // as linear_buckets() fills its own
    return out;
}

/// `count` bounds: start, start + width, start + 2 * width, ... Allocates. An invalid request
/// (count < 1, width <= 0) yields bounds that validate_buckets() rejects. A count beyond what
/// a std::vector holds throws std::length_error (std::bad_alloc past memory): the standard
/// library's errors, not vitals::error, and std::terminate without exceptions.
inline std::vector<double> linear_buckets(double start, double width, std::size_t count) {
    std::vector<double> out;
    out.reserve(count);
    for (std::size_t i = 0; i < count; ++i) out.push_back(start + width * static_cast<double>(i));
    return out;
}

/// `count` bounds: start, start * factor, start * factor^2, ... Allocates. Parameters that
/// do not make the bounds strictly increasing and finite (start 0; start > 0 with factor <= 1;
/// start < 0 with factor >= 1 or <= 0) yield bounds that validate_buckets() rejects; a negative
/// start with a factor between 0 and 1 gives increasing negative bounds, which are valid. A
/// count beyond what a std::vector holds throws std::length_error (std::bad_alloc past memory):
/// the standard library's errors, not vitals::error, and std::terminate without exceptions.
inline std::vector<double> exponential_buckets(double start, double factor, std::size_t count) {
    std::vector<double> out;
    out.reserve(count);
    double bound = start;
    for (std::size_t i = 0; i < count; ++i, bound *= factor) out.push_back(bound);
    return out;
}

/// Checks histogram bounds: at least one, all finite, strictly increasing. A trailing +Inf is
/// not allowed (the +Inf bucket is always implicit), and the message says so, since some
/// clients take or require one; a NaN or -Inf bound is named as such. Only strings more: the
/// compact embedded program keeps its size target (bench/budgets.sh --size-only).
inline status validate_buckets(const std::vector<double>& bounds) {
    if (bounds.empty()) return {errc::invalid_buckets, "histogram needs at least one bucket bound"};
    // Bounds are counted from 1 in the messages, with the count ("bound 2 of 2"): "#1" for the
    // second bound read as the first one, whose value was fine.
    char count[detail::max_number_chars];
    const std::string_view of(count, detail::format_uint(count, bounds.size()));
    for (std::size_t i = 0; i < bounds.size(); ++i) {
        char index[detail::max_number_chars];
        const std::string_view at(index, detail::format_uint(index, i + 1));
        if (!detail::is_finite(bounds[i])) {
            // Only +Inf gets the hint: NaN and -Inf are no client's convention but mistakes to
            // name. The bits decide, as is_finite does, so that -ffast-math cannot fold them.
            const char* what = detail::is_nan(bounds[i])
                                   ? " is NaN: a bound must be a finite number"
                               : detail::float_bits(bounds[i]) >> 63
                                   ? " is -Inf: a bound must be a finite number"
                                   : " is not finite (the +Inf bucket is implicit: leave +Inf out)";
            return {errc::invalid_buckets, std::string("histogram bucket bound ")
                                               .append(at)
                                               .append(" of ")
                                               .append(of)
                                               .append(what)};
        }
        if (i > 0 && !(bounds[i] > bounds[i - 1]))
            return {errc::invalid_buckets,
                    std::string("histogram bucket bounds must be strictly increasing (bound ")
                        .append(at)
                        .append(" of ")
                        .append(of)
                        .append(" is not above the one before it)")};
    }
    return {};
}

namespace detail {

/// The histogram's bucket bounds, owned by a standalone histogram, or by a family and shared by
/// its series: as given, and as observe() reads them (see max_scanned_bounds).
struct bucket_bounds {
    explicit bucket_bounds(std::vector<double> bounds) : values(std::move(bounds)) {
        if (values.size() % 2 != 0 && values.size() <= max_scanned_bounds) {
            // A plain array: a second vector, copy-assigned, made every file including this
            // header compile vector's assignment, and filled by push_back, a compact armhf
            // program 4 KiB larger.
            double* p = new double[values.size() + 1];
            for (std::size_t i = 0; i < values.size(); ++i) p[i] = values[i];
            p[values.size()] = bits_double(0x7ff0000000000000ULL); // +Inf
            padded = p;
        }
    }
    bucket_bounds(const bucket_bounds&) = delete;
    bucket_bounds& operator=(const bucket_bounds&) = delete;
    ~bucket_bounds() { delete[] padded; }

    /// The bounds as observe() reads them.
    const double* scanned() const noexcept { return padded ? padded : values.data(); }

    std::vector<double> values;
    double* padded = nullptr; // owned: an odd count of scanned values and +Inf; else null
};

/// histogram's members that need <vector> or <chrono> (see record/histogram.hpp).
template <class Full>
struct include_histogram_hpp {
    static std::vector<double> default_bounds() { return default_buckets(); }
    static std::vector<double> copy(std::initializer_list<double> bounds) {
        return std::vector<double>(bounds);
    }
    static const std::vector<double>& values(const bucket_bounds& b) noexcept { return b.values; }
    static histogram::timer start_timer(histogram& h) noexcept; // below histogram::timer
    template <class Duration>
    static double seconds(Duration d) noexcept {
        return std::chrono::duration<double>(d).count();
    }

    // Validates `bounds`, then gives `h` its own copy of them and its cells.
    template <class Bounds>
    static void adopt(histogram& h, Bounds&& bounds) {
        bucket_bounds* owned = new bucket_bounds{to_vector(std::forward<Bounds>(bounds))};
        const status st = validate_buckets(owned->values);
        if (!st.ok()) {
            release(owned);
            fail(st);
        }
        h.bounds_ = owned;
        h.release_bounds_ = &release;
        h.bound_values_ = owned->scanned();
        h.nb_ = owned->values.size();
        // A constructor that throws runs no destructor: free the bounds here.
#if VITALS_DETAIL_CAN_CATCH()
        try {
            h.init_cells();
        } catch (...) {
            h.release_bounds_ = nullptr;
            release(owned);
            throw;
        }
#else
        h.init_cells();
#endif
    }

    static void release(const bucket_bounds* b) noexcept { delete b; }

private:
    static std::vector<double> to_vector(std::vector<double>&& v) noexcept { return std::move(v); }
    static std::vector<double> to_vector(const std::vector<double>& v) { return v; }
    template <class Bounds>
    static std::vector<double> to_vector(const Bounds& b) {
        return std::vector<double>(b.data(), b.data() + b.size());
    }
};

} // namespace detail

inline histogram::histogram(detail::borrowed_bounds_tag, const detail::bucket_bounds& bounds)
    : bounds_(&bounds), bound_values_(bounds.scanned()), nb_(bounds.values.size()) {
    init_cells();
}

/// RAII timer: observes the steady-clock seconds between its creation and its destruction
/// (or the first stop()). Not thread-safe itself; the histogram it feeds is.
class histogram::timer {
public:
    explicit timer(histogram& h) noexcept : h_(&h), start_(std::chrono::steady_clock::now()) {}
    timer(timer&& other) noexcept : h_(other.h_), start_(other.start_) { other.h_ = nullptr; }
    timer(const timer&) = delete;
    timer& operator=(const timer&) = delete;
    timer& operator=(timer&&) = delete;
    ~timer() { stop(); }
    /// Observes now and disarms the timer; returns the seconds observed (0 if disarmed).
    double stop() noexcept {
        if (!h_) return 0.0;
        using clock = std::chrono::steady_clock; // ticks scaled as system_unix_time() does
        const double ticks = static_cast<double>((clock::now() - start_).count());
        const double secs = ticks * clock::period::num / clock::period::den;
        h_->observe(secs);
        h_ = nullptr;
        return secs;
    }
    /// Disarms the timer without observing.
    void cancel() noexcept { h_ = nullptr; }

private:
    histogram* h_;
    std::chrono::steady_clock::time_point start_;
};

template <class Full>
histogram::timer detail::include_histogram_hpp<Full>::start_timer(histogram& h) noexcept {
    return histogram::timer(h);
}

VITALS_END_NAMESPACE

#endif // VITALS_HISTOGRAM_HPP
// #include <vitals/info.hpp>
// vitals/info.hpp - an info metric: a label set whose presence is the data.
// SPDX-License-Identifier: MIT
#ifndef VITALS_INFO_HPP
#define VITALS_INFO_HPP

// #include <vitals/config.hpp>: inlined above

VITALS_BEGIN_NAMESPACE

/// One series of an info family (registry::info()): its labels carry the data (a version, a
/// build revision) and its value is always 1. Exposed as `<name>_info`: under OpenMetrics
/// with `# TYPE <name> info`, in the text format 0.0.4 as a gauge, as the Python client
/// does. Holds no state; a series shows while it exists (see family::remove()).
class info {
public:
    info() noexcept = default;
    info(const info&) = delete;
    info& operator=(const info&) = delete;

    /// Always 1: the value of every info sample.
    static constexpr double value() noexcept { return 1.0; }
    /// Nothing to reset; present so that every metric type can be reset alike.
    void reset() noexcept {}
};

VITALS_END_NAMESPACE

#endif // VITALS_INFO_HPP
// #include <vitals/record/family.hpp>
// vitals/record/family.hpp - a metric family's labelled lookups, for code that records.
// SPDX-License-Identifier: MIT
#ifndef VITALS_RECORD_FAMILY_HPP
#define VITALS_RECORD_FAMILY_HPP

// #include <vitals/config.hpp>: inlined above

#include <cstddef>          // size_t
#include <initializer_list> // initializer_list
#include <string_view>      // string_view
#include <type_traits> // enable_if_t, conjunction, is_convertible, is_constructible, is_pointer

VITALS_BEGIN_NAMESPACE

class registry;
template <class T>
class result;

namespace detail {
class family_base;

/// Defined by <vitals/family.hpp>: the members of family that need the family's state (its
/// name, label names, options, ...), not only its lookup. A translation unit that includes
/// only <vitals/record.hpp> and calls one fails to compile naming this type.
template <class Full>
struct include_family_hpp;

template <class... Ts>
struct dependent_void {
    using type = void;
};

// nullptr too: since C++23 std::string_view cannot be made from it (label_view() can).
template <class T>
using is_label_value =
    std::disjunction<std::is_null_pointer<T>, std::is_convertible<const T&, std::string_view>>;

/// A label value as a view. A null C string (what getenv() returns for an unset variable) is
/// the empty value, which Prometheus reads as the label being absent: std::string_view
/// would read through the null pointer.
template <class T>
constexpr std::string_view label_view(const T& value) {
    if constexpr (std::is_pointer<T>::value && is_label_value<T>::value) {
        return value ? std::string_view(value) : std::string_view();
    } else if constexpr (!std::is_null_pointer<T>::value &&
                         std::is_constructible<std::string_view, const T&>::value) {
        // An element of a label value list may convert explicitly (label_value_list).
        return std::string_view(value);
    } else {
        return {}; // nullptr, or not a label value (the caller's static_assert says so)
    }
}

// std::declval without <utility>: a value of type const T& in unevaluated operands.
template <class T>
const T& declared_value() noexcept;

/// A run-time list of label values: a container (std::vector<std::string>, ...) with size()
/// and operator[] yielding something a std::string_view can be made from.
template <class T>
using label_value_list =
    decltype(declared_value<T>().size(), static_cast<std::string_view>(declared_value<T>()[0]));

template <class T, class = void>
struct is_label_value_list : std::false_type {};
template <class T>
struct is_label_value_list<T, std::void_t<label_value_list<T>>> : std::true_type {};

/// Arguments that are neither label values nor one list of them (labels("GET", 200)): the
/// overloads that take them only fail with a sentence saying what a label value is.
template <class... Values>
using wrong_label_values =
    std::bool_constant<!std::conjunction<is_label_value<Values>...>::value &&
                       !(sizeof...(Values) == 1 &&
                         std::conjunction<is_label_value_list<Values>...>::value)>;
#define VITALS_DETAIL_LABEL_VALUES_ARE_STRINGS                                                     \
    "vitals: label values are strings (std::string, std::string_view, const char*), or one "       \
    "std::vector of them; convert a number with std::to_string. They are the values alone, in "    \
    "the order of the label names given at registration, never name/value pairs"

/// A name and a value, as in `{{"method", "GET"}, {"code", "200"}}`: labels() takes only the
/// values, and names this type in the error it gives for a braced list of pairs.
struct label_name_value_pair {
    std::string_view name, value;
};

/// What a family<Metric> holds: the family's state, which only <vitals/family.hpp> defines,
/// and its lookup, a function set at registration. Recording code calls the lookup through
/// the pointer, so it needs neither the state's definition nor the lookup's code (the hash
/// table, the locks, the allocation of new series).
class family_handle {
protected:
    // The metric of the series with these label values, created on first use; a wrong
    // number of values goes to the error policy (which does not return).
    using lookup_fn = void* (*)(family_base&, const std::string_view*, std::size_t);

    family_handle(family_base& owner, lookup_fn lookup) noexcept
        : owner_(&owner), lookup_(lookup) {}

    family_base* owner_;
    lookup_fn lookup_;
};
} // namespace detail

/// A metric family: one name, help text and fixed label names, with one Metric (counter,
/// gauge, histogram, info or stateset) per distinct label-value set. Created by a registry,
/// which owns it.
///
/// labels() returns a reference that stays valid for the registry's lifetime, so hot code
/// looks a series up once and keeps the reference. Lookup of an existing series, and of a
/// label set folded into the overflow series past the bound, is lock-free and does not
/// allocate; creating a series takes a writer lock and allocates. All members are
/// thread-safe.
///
/// labels() works with only <vitals/record.hpp>; the other members are defined by
/// <vitals/family.hpp> (included by <vitals/registry.hpp> and <vitals/vitals.hpp>).
template <class Metric>
class family final : private detail::family_handle {
public:
    family(const family&) = delete; // take a reference: auto& f = reg.counter(name, help, {...})
    family& operator=(const family&) = delete;

    /// The series for these label values (one per label name, in order), created on first
    /// use. A wrong number of values is reported through the error policy (vitals::error or
    /// the error handler); use try_labels() for a status instead.
    template <class... Values,
              std::enable_if_t<std::conjunction<detail::is_label_value<Values>...>::value, int> = 0>
    Metric& labels(const Values&... values) {
        const std::string_view vals[sizeof...(Values) + (sizeof...(Values) == 0)] = {
            detail::label_view(values)...};
        return *static_cast<Metric*>(lookup_(*owner_, vals, sizeof...(Values)));
    }

    template <class... Values,
              std::enable_if_t<detail::wrong_label_values<Values...>::value, int> = 0>
    Metric& labels(const Values&...) {
        static_assert(!detail::wrong_label_values<Values...>::value,
                      VITALS_DETAIL_LABEL_VALUES_ARE_STRINGS);
        return labels();
    }

    /// Not for a braced list: name/value pairs (`labels({{"method", "GET"}})`), `labels({})`
    /// for no values, or values (`labels({"GET"})`) fail to compile saying what labels()
    /// takes, rather than as a call that matches nothing.
    template <class Element = detail::label_name_value_pair>
    Metric& labels(std::initializer_list<Element>) {
        static_assert(sizeof(Element) == 0, VITALS_DETAIL_LABEL_VALUES_ARE_STRINGS);
        return labels();
    }

    /// labels() for values only known at run time (a std::vector<std::string>, say).
    /// Allocates only for more than 16 values.
    template <class Values, class = detail::label_value_list<Values>>
    Metric& labels(const Values& values) {
        return detail::include_family_hpp<Values>::labels(*this, values);
    }

    /// Non-throwing labels(): the series, or errc::label_count_mismatch.
    template <class... Values>
    result<Metric> try_labels(const Values&... values) {
        static_assert(std::conjunction<detail::is_label_value<Values>...>::value,
                      "vitals: label values are strings (std::string, std::string_view, const "
                      "char*), which try_labels() takes one by one, not in a std::vector; "
                      "convert a number with std::to_string");
        const std::string_view vals[sizeof...(Values) + (sizeof...(Values) == 0)] = {
            detail::label_view(values)...};
        using full = detail::include_family_hpp<typename detail::dependent_void<Values...>::type>;
        return full::template try_labels<Metric>(*owner_, vals, sizeof...(Values));
    }

    /// Not for a braced list, as labels().
    template <class Element = detail::label_name_value_pair>
    result<Metric> try_labels(std::initializer_list<Element>) {
        static_assert(sizeof(Element) == 0, VITALS_DETAIL_LABEL_VALUES_ARE_STRINGS);
        return try_labels();
    }

    /// Hides the series with these label values from the exposition. Returns whether a
    /// visible series was removed: false too for a wrong number of values, which no series
    /// has (not an error, unlike labels()). References to it stay valid; writes through them
    /// are kept in the hidden series until it is re-added, which resets it to zero.
    template <class... Values,
              std::enable_if_t<std::conjunction<detail::is_label_value<Values>...>::value, int> = 0>
    bool remove(const Values&... values) {
        const std::string_view vals[sizeof...(Values) + (sizeof...(Values) == 0)] = {
            detail::label_view(values)...};
        using full = detail::include_family_hpp<typename detail::dependent_void<Values...>::type>;
        return full::remove(*owner_, vals, sizeof...(Values));
    }

    template <class... Values,
              std::enable_if_t<detail::wrong_label_values<Values...>::value, int> = 0>
    bool remove(const Values&...) {
        static_assert(!detail::wrong_label_values<Values...>::value,
                      VITALS_DETAIL_LABEL_VALUES_ARE_STRINGS);
        return false;
    }

    /// Not for a braced list, as labels().
    template <class Element = detail::label_name_value_pair>
    bool remove(std::initializer_list<Element>) {
        static_assert(sizeof(Element) == 0, VITALS_DETAIL_LABEL_VALUES_ARE_STRINGS);
        return false;
    }

    /// remove() for values only known at run time, as labels(values) takes them.
    template <class Values, class = detail::label_value_list<Values>>
    bool remove(const Values& values) {
        return detail::include_family_hpp<Values>::remove_list(*this, values);
    }

    /// The name on the `# HELP` / `# TYPE` lines (for counters it ends in `_total`).
    template <class Full = void>
    const auto& name() const noexcept {
        return detail::include_family_hpp<Full>::state(*owner_).name();
    }
    /// The metric type (vitals::metric_type).
    template <class Full = void>
    auto type() const noexcept {
        return detail::include_family_hpp<Full>::state(*owner_).type();
    }
    /// The help text, as given (unescaped).
    template <class Full = void>
    const auto& help() const noexcept {
        return detail::include_family_hpp<Full>::state(*owner_).help();
    }
    /// The label names, in the order labels() takes their values (const labels not included).
    template <class Full = void>
    const auto& label_names() const noexcept {
        return detail::include_family_hpp<Full>::state(*owner_).label_names();
    }
    /// The options the family was registered with (vitals::family_options).
    template <class Full = void>
    const auto& options() const noexcept {
        return detail::include_family_hpp<Full>::state(*owner_).options();
    }
    /// A histogram family's bucket bounds (empty for other types).
    template <class Full = void>
    const auto& bounds() const noexcept {
        return detail::include_family_hpp<Full>::state(*owner_).bounds();
    }
    /// The number of visible series.
    template <class Full = void>
    std::size_t size() const {
        return detail::include_family_hpp<Full>::state(*owner_).size();
    }
    /// Hides every series, as remove() does one.
    template <class Full = void>
    void clear() {
        detail::include_family_hpp<Full>::state(*owner_).clear();
    }

private:
    friend class detail::family_base; // makes the family's handle in its own storage
    template <class Full>
    friend struct detail::include_family_hpp;

    family(detail::family_base& owner, lookup_fn lookup) noexcept : family_handle(owner, lookup) {}
};

/// Families of each metric type.
class counter;
class gauge;
class histogram;
class info;
class stateset;
using counter_family = family<counter>;
using gauge_family = family<gauge>;
using histogram_family = family<histogram>;
using info_family = family<info>;
using stateset_family = family<stateset>;

VITALS_END_NAMESPACE

#endif // VITALS_RECORD_FAMILY_HPP
// #include <vitals/stateset.hpp>
// vitals/stateset.hpp - a set of named boolean states (OpenMetrics StateSet).
// SPDX-License-Identifier: MIT
#ifndef VITALS_STATESET_HPP
#define VITALS_STATESET_HPP

// #include <vitals/config.hpp>: inlined above
// #include <vitals/rejected_writes.hpp>: inlined above

#include <atomic>      // atomic
#include <cstddef>     // size_t
#include <cstdint>     // uint64_t
#include <string>      // string
#include <string_view> // string_view
#include <vector>      // vector

VITALS_BEGIN_NAMESPACE

/// One series of a stateset family (registry::stateset()): up to 64 named states, each true
/// or false, such as the phases of a job or the enabled feature flags. Exposed as one sample
/// per state, `<name>{<name>="<state>"} 1|0`: under OpenMetrics with `# TYPE <name>
/// stateset`, in the text format 0.0.4 as a gauge, as the Python client does.
///
/// The states are all held in one atomic word: set_only() switches from one state to another
/// in one store, so a scrape never sees two states (or none) of an enum-like stateset. All
/// members are thread-safe, lock-free and never allocate. An unknown state name is ignored.
class stateset {
public:
    /// Most states a stateset can have.
    static constexpr std::size_t max_states = 64;

    /// A stateset over `states`, which must outlive it: the family owns them (registry::
    /// stateset() validates them). All states start false; past the first max_states, names
    /// are unknown states.
    explicit stateset(const std::vector<std::string>& states) noexcept : states_(&states) {}
    /// Refused: the stateset would keep a view of a list destroyed at the end of the statement.
    explicit stateset(std::vector<std::string>&& states) = delete;
    stateset(const stateset&) = delete; // take a reference: auto& s = reg.stateset(...)
    stateset& operator=(const stateset&) = delete;

    /// Sets one state to `value`; the others keep theirs. Returns false for an unknown name (a
    /// refused write, counted by vitals::rejected_writes()).
    bool set(std::string_view state, bool value = true) noexcept {
        const std::size_t i = index_of(state);
        if (i == npos) return refuse();
        const std::uint64_t bit = std::uint64_t{1} << i;
        if (value)
            bits_.fetch_or(bit, std::memory_order_relaxed);
        else
            bits_.fetch_and(~bit, std::memory_order_relaxed);
        return true;
    }

    /// Makes `state` the only true state (an enum). Returns false, changing nothing, for an
    /// unknown name (a refused write, counted by vitals::rejected_writes()).
    bool set_only(std::string_view state) noexcept {
        const std::size_t i = index_of(state);
        if (i == npos) return refuse();
        bits_.store(std::uint64_t{1} << i, std::memory_order_relaxed);
        return true;
    }

    /// Whether `state` is true (false for an unknown name).
    bool get(std::string_view state) const noexcept {
        const std::size_t i = index_of(state);
        return i != npos && (bits() >> i & 1) != 0;
    }

    /// Every state at once: bit i is states()[i]. One atomic load, so a consistent snapshot.
    std::uint64_t bits() const noexcept { return bits_.load(std::memory_order_relaxed); }

    /// The state names, in the order given at registration.
    const std::vector<std::string>& states() const noexcept { return *states_; }

    /// Sets every state to false. Meant for a series that is removed and re-added.
    void reset() noexcept { bits_.store(0, std::memory_order_relaxed); }

private:
    static bool refuse() noexcept {
        detail::note_rejected_write();
        return false;
    }
    static constexpr std::size_t npos = ~std::size_t{0};
    std::size_t index_of(std::string_view state) const noexcept {
        const std::size_t n = states_->size() < max_states ? states_->size() : max_states;
        for (std::size_t i = 0; i < n; ++i)
            if ((*states_)[i] == state) return i;
        return npos;
    }

    const std::vector<std::string>* states_;
    std::atomic<std::uint64_t> bits_{0};
};

VITALS_END_NAMESPACE

#endif // VITALS_STATESET_HPP

#include <atomic>      // atomic
#include <chrono>      // system_clock
#include <cstddef>     // size_t
#include <cstdint>     // uint64_t, uintptr_t
#include <cstring>     // memcpy, memmove, memset
#include <new>         // launder, operator new, placement new
#include <string>      // string
#include <string_view> // string_view
#include <type_traits> // integral_constant, is_trivially_copyable_v
#include <utility>     // pair, move, forward
#include <vector>      // vector

VITALS_BEGIN_NAMESPACE

class registry;

/// A label name and value pair (used for const labels).
using label = std::pair<std::string, std::string>;

static_assert(VITALS_DEFAULT_MAX_SERIES >= 1,
              "VITALS_DEFAULT_MAX_SERIES must be at least 1 (every registration would fail)");

/// Per-family settings beyond name, help and label names.
struct family_options {
    /// Labels with fixed values added to every series of the family (e.g. {"region", "eu"}).
    std::vector<label> const_labels;
    /// Bound on distinct label sets (removed series count until re-added). Beyond it new label
    /// sets share one overflow series whose label values are all `__overflow__`, and
    /// `vitals_series_overflow_total{family="<name>"}` counts the redirected lookups.
    std::size_t max_series = VITALS_DEFAULT_MAX_SERIES;
    /// Bound on the bytes of one label value. A label set with a longer value is sent to the
    /// overflow series and counted as above, not stored: such a value is unbounded input (a
    /// raw URL, a message, a user agent) that every series and scrape would carry. 2048 is
    /// the limit Cortex and Grafana Mimir enforce by default on the series they receive.
    /// A value given to labels() is measured as shown, each invalid UTF-8 byte as the 3
    /// bytes of U+FFFD. Const labels and stateset states must keep to it too, measured alike;
    /// registration refuses a longer one (errc::invalid_argument).
    std::size_t max_label_value_bytes = 2048;
    /// The unit, shown on OpenMetrics' `# UNIT` line (e.g. "seconds", "bytes"). The family's
    /// name (before a counter's `_total`) must end with `_<unit>`. Not for info or stateset.
    std::string unit{};
};

namespace detail {
/// Why `name` cannot label a family (of histograms when `histogram`) that already has the
/// labels `seen`; ok when it can. The registry checks every family's labels with it, and the
/// kits their const labels before registering anything.
template <class Names>
status check_label_name(std::string_view name, bool histogram, const Names& seen) {
    if (!is_valid_label_name(name))
        return {errc::invalid_label_name,
                message({"invalid label name ", message_value(name),
                         ": must match [a-zA-Z_][a-zA-Z0-9_]* and not start with '__'"})};
    if (histogram && name == "le")
        return {errc::invalid_label_name, "label name 'le' is reserved in histograms"};
    for (const auto& s : seen)
        if (std::string_view(s) == name)
            return {errc::duplicate_label_name, message({"label name '", name, "' repeated"})};
    return {};
}

/// `options` with `unit` set: kits declare the unit of each family they register.
inline family_options with_unit(family_options options, std::string unit) {
    options.unit = std::move(unit);
    return options;
}
} // namespace detail

/// A source of the current time as Unix seconds (with a fraction): stamps when a series was
/// created, for OpenMetrics' `_created` samples. See registry's constructor.
using unix_clock = double (*)() noexcept;

/// The system clock as Unix seconds; the default unix_clock.
inline double system_unix_time() noexcept {
    // The clock's ticks scaled by hand: what std::chrono::duration<double> computes, which
    // costs every file that includes this header a template instantiation.
    using clock = std::chrono::system_clock;
    const double ticks = static_cast<double>(clock::now().time_since_epoch().count());
    return ticks * clock::period::num / clock::period::den;
}

/// The label value used for the overflow series of a family past its cardinality bound.
inline constexpr std::string_view overflow_label_value = "__overflow__";

namespace detail {

template <class Metric>
struct metric_traits;
template <>
struct metric_traits<counter> {
    static constexpr metric_type type = metric_type::counter;
};
template <>
struct metric_traits<gauge> {
    static constexpr metric_type type = metric_type::gauge;
};
template <>
struct metric_traits<histogram> {
    static constexpr metric_type type = metric_type::histogram;
};
template <>
struct metric_traits<info> {
    static constexpr metric_type type = metric_type::info;
};
template <>
struct metric_traits<stateset> {
    static constexpr metric_type type = metric_type::stateset;
};

/// A series' alignment: a cache line. In the compact configuration, the 8 bytes any `new`
/// gives instead: an over-aligned series would link aligned operator new, 4 KiB of a static
/// armhf program, and its table slots then keep 3 bits of tag instead of 6.
#if VITALS_COMPACT
constexpr std::size_t series_alignment = 8;
#else
constexpr std::size_t series_alignment = 64;
#endif

/// One series of a family: its label values, its rendered labels and whether it is shown,
/// followed by its metric (see series). Never moved or freed while the family lives.
///
/// What a lookup reads (the hash, whether the series is shown and, for label sets up to
/// key_inline_size bytes, the values) comes first, so that a lookup that finds its series
/// touches one cache line of it besides the metric. Aligned to a cache line for that, and so
/// that a table slot can keep a tag in its address's low bits (see series_alignment).
struct alignas(series_alignment) series_node {
    series_node() noexcept = default;
    series_node(const series_node&) = delete;
    series_node& operator=(const series_node&) = delete;
    ~series_node() {
        if (key_data != key_inline) delete[] key_data;
    }

    static constexpr std::size_t key_inline_size =
        64 - sizeof(std::uint64_t) - sizeof(char*) - sizeof(std::atomic<bool>);

    std::uint64_t hash = 0;
    // The label values: in key_inline when they fit, else in an array of their own. First
    // each value's length (base-128 digits, low first: 1 byte under 128), then each value's
    // first 16 bytes, zero-padded to 8 bytes (up to 8 bytes long) or 16, then the bytes past
    // the 16th of each longer value. A lookup compares the first bytes as the words it hashed
    // (head_words), at places it knows from its own lengths once they match.
    char* key_data = key_inline;
    // Written under the family's mutex; read by lock-free lookups, hence atomic.
    std::atomic<bool> visible{true};
    char key_inline[key_inline_size];
    // Unix seconds when the series was created or last re-added (OpenMetrics `_created`).
    // Written under the family's writer lock; read by the exposition with no lock held.
    std::atomic<double> created{0.0};
    label_text labels; // const labels first; written by the exposition as they are
};

template <class Metric>
struct series final : series_node {
    template <class... Args>
    explicit series(Args&&... args) : metric(std::forward<Args>(args)...) {}
    Metric metric;
};

/// Makes room for `extra` more elements, growing geometrically, so that the insertions that
/// follow cannot throw (registration code allocates first, then publishes).
template <class T>
void reserve_more(std::vector<T>& v, std::size_t extra) {
    if (v.capacity() - v.size() < extra)
        v.reserve(v.size() + (v.size() > extra ? v.size() : extra));
}

/// The first index in [0, n) for which `before(i)` is false, where `before` holds for a
/// prefix of the range: a binary search over a sorted vector (std::partition_point without
/// the iterator machinery, which is costly to compile).
template <class Before>
std::size_t partition_index(std::size_t n, Before before) {
    std::size_t lo = 0;
    while (n > 0) {
        const std::size_t half = n / 2;
        if (before(lo + half)) {
            lo += half + 1;
            n -= half + 1;
        } else {
            n = half;
        }
    }
    return lo;
}

/// Inserts `value` at `pos` of a vector with room for it (see reserve_more): does not throw
/// then. Spelled out rather than std::vector::insert, which is costly to compile. Pointers
/// move with one memmove, half the time of the swap loop in a family of 300,000 series.
template <class T>
void insert_at(std::vector<T>& v, std::size_t pos, T value) noexcept {
    if constexpr (std::is_trivially_copyable_v<T>) {
        v.push_back(value);
        const std::size_t after = v.size() - 1 - pos;
        // NOLINTNEXTLINE(bugprone-sizeof-expression): T is the element moved, often a pointer
        std::memmove(v.data() + pos + 1, v.data() + pos, after * sizeof(T));
        v[pos] = value;
    } else {
        // Moved along rather than swapped: std::string's swap() is 300 bytes of library code
        // that embedded builds would link for this alone.
        if (pos == v.size()) {
            v.push_back(std::move(value));
            return;
        }
        v.push_back(std::move(v.back()));
        for (std::size_t i = v.size() - 2; i > pos; --i) v[i] = std::move(v[i - 1]);
        v[pos] = std::move(value);
    }
}

/// Whether the `n` bytes (1 to 8) that end at `a_end` and `b_end` are equal, where the 8 bytes
/// before each end can be read: one load each.
inline bool last_bytes_equal(const char* a_end, const char* b_end, std::size_t n) noexcept {
    const std::uint64_t differ = load_u64(a_end - 8) ^ load_u64(b_end - 8);
#if VITALS_DETAIL_LITTLE_ENDIAN
    return (differ >> (8 * (8 - n))) == 0; // the last bytes are the high ones
#else
    return (differ << (8 * (8 - n))) == 0;
#endif
}

/// Whether the `n` bytes at `a` and `b` are equal, compared a word at a time without a call
/// into the C library: label values are short, and memcmp's call cost more than comparing.
inline bool bytes_equal(const char* a, const char* b, std::size_t n) noexcept {
    if (n >= 8) {
        for (; n > 8; a += 8, b += 8, n -= 8)
            if (load_u64(a) != load_u64(b)) return false;
        return load_u64(a + n - 8) == load_u64(b + n - 8);
    }
    if (n >= 4) return load_u32(a) == load_u32(b) && load_u32(a + n - 4) == load_u32(b + n - 4);
    // 1 to 3 bytes: the first, middle and last cover them all.
    return n == 0 || ((a[0] ^ b[0]) | (a[n / 2] ^ b[n / 2]) | (a[n - 1] ^ b[n - 1])) == 0;
}

/// Everything a family does, for every metric type. It is not a template so that a
/// translation unit compiles it once rather than once per metric type (about half the
/// compile time of vitals.hpp went to those copies). Users hold the family<Metric> handle it
/// keeps in its own storage (see record/family.hpp), which reaches it through a pointer.
/// Owned by a registry; the exposition writers read it through the public read-only members.
class family_base {
public:
    family_base(const family_base&) = delete;
    family_base& operator=(const family_base&) = delete;
    ~family_base() {
        for (series_node* s : series_) delete_node(s);
        for (table* t = table_.load(std::memory_order_relaxed); t;) {
            table* previous = t->previous;
            delete t;
            t = previous;
        }
    }

    /// The name on the `# HELP` / `# TYPE` lines (for counters it ends in `_total`).
    const std::string& name() const noexcept { return name_; }
    /// Counter, gauge or histogram.
    metric_type type() const noexcept { return type_; }
    /// The help text, as given (unescaped).
    const std::string& help() const noexcept { return help_; }
    /// The label names, in the order labels() takes their values (const labels not included).
    const std::vector<std::string>& label_names() const noexcept { return label_names_; }
    /// The options the family was registered with.
    const family_options& options() const noexcept { return options_; }
    /// A histogram family's bucket bounds (empty for counters and gauges).
    const std::vector<double>& bounds() const noexcept { return bounds_.values; }
    /// A stateset family's state names (empty for other types).
    const std::vector<std::string>& states() const noexcept { return states_; }

    /// Hides every series (see family::remove()).
    void clear() {
        exclusive_lock lock(mutex_);
        for (series_node* s : series_) s->visible.store(false, std::memory_order_relaxed);
    }

    /// Number of visible series.
    std::size_t size() const {
        const reader_lock lock(mutex_, reader_turn::ahead);
        std::size_t n = 0;
        for (const series_node* s : series_) n += s->visible.load(std::memory_order_relaxed);
        return n;
    }

    /// The read-only walk the exposition writers use: calls `fn(const series_node&)` for
    /// every visible series, sorted by label values, under the family's reader lock. While
    /// `fn` runs the output's sink or grows the output string, the walk lets go of the lock
    /// (through `pause_slot`, see sink_pause): a writer waits for one buffer of output at most,
    /// and the sink may make, remove or clear series, here or in any family. The walk
    /// then goes on after the series it was writing: a series made meanwhile is written if it
    /// sorts after that one, and one hidden meanwhile is not written. A node is never freed
    /// while the family lives, so the series being written stays valid meanwhile.
    template <class Fn>
    void for_each_series(Fn&& fn, sink_pause*& pause_slot) const {
        // Only a walk inside its registry's top-level scrape, holding that registry's lock alone,
        // waits for writers (else renders overlapping back to back would keep a new series
        // waiting); a nested render may hold another registry's lock a writer waits for.
        walk_hold hold(
            mutex_, scrape_scope::at_most_one() ? reader_turn::after_writers : reader_turn::ahead,
            pause_slot);
        // The recent series, each after the sorted ones not greater than it: a merge by index,
        // with one call of `fn` (the writer's whole series, inlined once), and the vectors read
        // once (the compiler would reload them after each call of `fn`), again after a pause.
        series_node* const* sorted = sorted_.data();
        const recent_series* recent = recent_.data();
        std::size_t sorted_count = sorted_.size();
        std::size_t recent_count = recent_.size();
        std::size_t layout = layout_;
        std::size_t i = 0;
        std::size_t j = 0;
        std::size_t run_end = recent_count ? recent[0].at : sorted_count; // before recent[j]
        for (;;) {
            const series_node* s;
            if (i < run_end) {
                s = sorted[i++];
            } else if (j < recent_count) {
                s = recent[j++].node;
                run_end = j < recent_count ? recent[j].at : sorted_count;
            } else {
                break;
            }
            if (!s->visible.load(std::memory_order_relaxed)) continue;
            fn(*s);
            if (VITALS_DETAIL_LIKELY(!hold.paused)) continue;
            // The sink ran: series may have been made. Find the place after `s` again.
            hold.paused = false;
            sorted = sorted_.data();
            recent = recent_.data();
            sorted_count = sorted_.size();
            recent_count = recent_.size();
            if (layout != layout_) {
                layout = layout_;
                i = partition_index(sorted_count,
                                    [&](std::size_t k) { return !key_less(*s, *sorted[k]); });
                j = partition_index(recent_count,
                                    [&](std::size_t k) { return !key_less(*s, *recent[k].node); });
            }
            run_end = j < recent_count ? recent[j].at : sorted_count;
        }
    }

    /// The family's pre-rendered output pieces (read by the exposition writers).
    const family_text& text() const noexcept { return text_; }

private:
    friend class vitals::registry;
    template <class Full>
    friend struct include_family_hpp;

    /// The handle users hold, typed (the registry checked the type).
    template <class Metric>
    family<Metric>& handle() noexcept {
        return *std::launder(static_cast<family<Metric>*>(static_cast<void*>(handle_)));
    }

    // Makes the handle in handle_: it calls lookup_metric<Metric>, typed for the family's type,
    // or for 1 to 3 label names (nearly every family) lookup_metric_of, made for that count:
    // its loops over the values are written out, without a counter, a test and a branch each.
    // Not with VITALS_COMPACT, where the code they add matters more than their speed.
    template <class Metric>
    void make_handle() noexcept {
        static_assert(sizeof(family<Metric>) == sizeof(family_handle), "a handle is two pointers");
        void* (*lookup_fn)(family_base&, const std::string_view*, std::size_t) =
            &lookup_metric<Metric>;
#if !VITALS_COMPACT
        switch (label_names_.size()) {
        case 1:
            lookup_fn = &lookup_metric_of<Metric, 1>;
            break;
        case 2:
            lookup_fn = &lookup_metric_of<Metric, 2>;
            break;
        case 3:
            lookup_fn = &lookup_metric_of<Metric, 3>;
            break;
        default:
            break;
        }
#endif
        ::new (static_cast<void*>(handle_)) family<Metric>(*this, lookup_fn);
    }

    template <class Metric>
    static void* lookup_metric(family_base& f, const std::string_view* vals, std::size_t n) {
        return &static_cast<series<Metric>*>(f.lookup_or_fail(vals, n))->metric;
    }

    // lookup_metric() for a family of N label names.
    template <class Metric, std::size_t N>
    static void* lookup_metric_of(family_base& f, const std::string_view* vals, std::size_t n) {
        if (VITALS_DETAIL_UNLIKELY(n != N)) f.fail_label_count(n);
        series_node* s = f.lookup_counted(vals, std::integral_constant<std::size_t, N>());
        return &static_cast<series<Metric>*>(s)->metric;
    }

    /// Set once by the owning registry before the family is shared.
    void set_overflow_family(family_base* f) noexcept { overflow_family_ = f; }

    /// Set once by the owning registry before the family is shared: the clock that stamps
    /// series creation (the unlabelled series, made already, is stamped again).
    void set_clock(unix_clock clock) noexcept {
        clock_ = clock;
        for (series_node* s : series_) s->created.store(clock_(), std::memory_order_relaxed);
    }

    /// The series for `n` label values, created (or re-shown) on first use; null, with
    /// `*error` set, when `n` differs from the number of label names.
    series_node* lookup(const std::string_view* vals, std::size_t n, status* error) {
        if (VITALS_DETAIL_UNLIKELY(n != label_names_.size())) {
            *error = label_count_error(n);
            return nullptr;
        }
        return lookup_counted(vals, n);
    }

    /// lookup() reporting a wrong value count through the error policy.
    series_node* lookup_or_fail(const std::string_view* vals, std::size_t n) {
        if (VITALS_DETAIL_LIKELY(n == label_names_.size())) return lookup_counted(vals, n);
        fail_label_count(n);
    }

    /// Hides the series with these values; returns whether a visible one was removed.
    bool remove(const std::string_view* vals, std::size_t n) {
        if (n != label_names_.size()) return false;
        if (any_invalid_utf8(vals, n)) {
            const shown_values shown(vals, n);
            return remove(shown.data(), n);
        }
        const std::uint64_t h = hash_label_values(vals, n, hash_key_);
        exclusive_lock lock(mutex_);
        series_node* s = find(vals, n, h);
        if (!s || !s->visible.load(std::memory_order_relaxed)) return false;
        s->visible.store(false, std::memory_order_relaxed);
        return true;
    }

    /// Whether a visible series has these values (as labels() would find them). Lock-free,
    /// as a lookup: a series made or removed meanwhile may or may not be seen.
    bool shows(const std::string_view* vals, std::size_t n) const {
        if (n != label_names_.size()) return false;
        if (any_invalid_utf8(vals, n)) {
            const shown_values shown(vals, n);
            return shows(shown.data(), n);
        }
        const series_node* s = find(vals, n, hash_label_values(vals, n, hash_key_));
        return s && s->visible.load(std::memory_order_acquire);
    }

    family_base(metric_type type, std::string name, std::string help,
                std::vector<std::string> label_names, family_options options,
                std::vector<double> bounds, std::vector<std::string> states)
        : type_(type), name_(std::move(name)), help_(std::move(help)),
          label_names_(std::move(label_names)),
          options_(std::move(options)), bounds_{std::move(bounds)}, states_(std::move(states)),
          text_(type_, name_, help_, bounds_.values, states_) {
        switch (type_) { // the handle is trivially destructible: nothing to undo
        case metric_type::counter:
            make_handle<counter>();
            break;
        case metric_type::gauge:
            make_handle<gauge>();
            break;
        case metric_type::histogram:
            make_handle<histogram>();
            break;
        case metric_type::info:
            make_handle<info>();
            break;
        case metric_type::stateset:
            make_handle<stateset>();
            break;
        }
        for (const auto& cl : options_.const_labels) const_labels_.append(cl.first, cl.second);
        // An unlabelled family has exactly one series, visible from the start (a counter
        // shows 0 before its first increment).
        if (label_names_.empty())
            lookup_locked(nullptr, 0, hash_label_values(nullptr, 0, hash_key_));
    }

private:
    // The lookup table is read without any lock (a shared_mutex reader lock cost about as much
    // as the rest of a lookup, and its counter is one cache line every looking-up thread
    // writes). That is safe because (1) a series is fully built before a release store
    // publishes its slot, and is never freed or moved while the family lives; (2) a slot, once
    // set, never changes within a table; (3) a grown table is filled before it is published,
    // and the old one stays alive (chained by `previous`, at most as large as the current one in
    // total), so a reader still probing it sees a consistent, possibly stale, table. A miss
    // on a stale table only sends the caller to the locked path, which looks again.
    //
    // A slot is one pointer: the series' address (a multiple of series_alignment) plus the top
    // six bits of its hash as a tag (three in the compact configuration), null when empty. A
    // probe thus reads no series whose tag differs (63 in 64 of those it passes), and at one
    // pointer a slot the table is kept at most a quarter full for the memory a half-full one
    // of pointer and hash took: nearly every lookup then finds its series in the first slot,
    // and its branch predicted. (An offset into the series, not bits set in an integer, so
    // that no integer becomes a pointer.)
    using slot = std::atomic<char*>;
    static constexpr std::size_t slot_tag_mask = series_alignment - 1;
    static constexpr unsigned slot_tag_bits = series_alignment == 64 ? 6 : 3;
    static_assert(slot_tag_mask == (std::size_t{1} << slot_tag_bits) - 1, "a tag fills the mask");
    static std::size_t slot_tag(std::uint64_t h) noexcept {
        return narrow<std::size_t>(h >> (64 - slot_tag_bits));
    }
    static std::size_t entry_tag(const char* entry) noexcept {
        return reinterpret_cast<std::uintptr_t>(entry) & slot_tag_mask;
    }
    static series_node* entry_node(char* entry) noexcept {
        return static_cast<series_node*>(static_cast<void*>(entry - entry_tag(entry)));
    }
    struct table {
        explicit table(std::size_t n) : mask(n - 1), entries(new slot[n]) {
            for (std::size_t i = 0; i < n; ++i)
                entries[i].store(nullptr, std::memory_order_relaxed);
        }
        table(const table&) = delete;
        table& operator=(const table&) = delete;
        ~table() { delete[] entries; }
        std::size_t mask; // size - 1, size a power of two
        slot* entries;
        table* previous = nullptr; // the table this one replaced, kept for stale readers
    };

    static std::string decimal(std::size_t v) {
        char buf[max_number_chars];
        return std::string(buf, format_uint(buf, v));
    }

    // lookup() of as many values as label names; `Count` as for hash_label_values_counted().
    // hash_label_values_counted() fills `words` for each of the `n` values that find() reads;
    // g++ 12 at -O3 cannot see it and warns (-Wmaybe-uninitialized), so the warning is off
    // here rather than 128 bytes zeroed on every lookup.
#if defined(__GNUC__) && !defined(__clang__)
#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wmaybe-uninitialized"
#endif
    template <class Count>
    series_node* lookup_counted(const std::string_view* vals, Count n) {
        head_words words[max_head_values];
        head_words* heads = n <= max_head_values ? words : nullptr;
        const std::uint64_t h = hash_label_values_counted(vals, n, hash_keys_, heads);
        // Read before the probe, so that a miss past the bound needs no second probe (see
        // lookup_missed).
        series_node* overflow = overflow_series_.load(std::memory_order_acquire);
        // Lock-free fast path: see the comment on `table`.
        series_node* s = find(vals, n, h, heads);
        if (VITALS_DETAIL_LIKELY(s && s->visible.load(std::memory_order_acquire))) return s;
        if (s) return lookup_locked(vals, n, h);
        return lookup_missed(vals, n, h, heads, overflow, heads && values_ascii(vals, n, heads));
    }
#if defined(__GNUC__) && !defined(__clang__)
#pragma GCC diagnostic pop
#endif

    [[noreturn]] VITALS_DETAIL_NOINLINE void fail_label_count(std::size_t given) const {
        fail(label_count_error(given));
    }

    // "metric 'x' has 2 label names [method, code] but was given 1 value".
    VITALS_DETAIL_NOINLINE status label_count_error(std::size_t given) const {
        std::string names;
        for (const std::string& ln : label_names_) names += (names.empty() ? "" : ", ") + ln;
        return status(
            errc::label_count_mismatch,
            message({"metric '", name_, "' has ", decimal(label_names_.size()),
                     label_names_.size() == 1 ? " label name [" : " label names [", names,
                     "] but was given ", decimal(given), given == 1 ? " value" : " values"}));
    }

    // for_each_series()'s hold of the reader lock, which the output buffer lets go of while
    // the sink runs (`paused` tells the walk so), and which it puts in the buffer's slot.
    struct walk_hold : sink_pause {
        walk_hold(writer_first_mutex& m, reader_turn t, sink_pause*& slot)
            : sink_pause{&let_go, &take_back}, mutex(m), turn(t), slot_(slot), outer_(slot) {
            take_back(*this);
            paused = false;
            slot_ = this;
        }
        walk_hold(const walk_hold&) = delete;
        walk_hold& operator=(const walk_hold&) = delete;
        ~walk_hold() {
            slot_ = outer_;
            if (held) mutex.unlock_shared();
        }
        static void let_go(sink_pause& p) noexcept {
            auto& h = static_cast<walk_hold&>(p);
            h.mutex.unlock_shared();
            h.held = false;
        }
        static void take_back(sink_pause& p) {
            auto& h = static_cast<walk_hold&>(p);
            if (h.turn == reader_turn::after_writers)
                h.mutex.lock_shared();
            else
                h.mutex.lock_shared_ahead();
            h.held = true;
            h.paused = true;
        }
        writer_first_mutex& mutex;
        const reader_turn turn;
        bool held = false;
        bool paused = false;

    private:
        sink_pause*& slot_;
        sink_pause* const outer_;
    };

    // The metric types are known here, so series are made, reset and freed by a switch
    // rather than through virtual functions of a template.
    series_node* new_node() const {
        switch (type_) {
        case metric_type::counter:
            return new series<counter>();
        case metric_type::gauge:
            return new series<gauge>();
        case metric_type::info:
            return new series<info>();
        case metric_type::stateset:
            return new series<stateset>(states_); // states_ outlives it
        case metric_type::histogram:
            break;
        }
        return new series<histogram>(borrowed_bounds_tag{}, bounds_); // bounds_ outlives it
    }

    void delete_node(series_node* s) const noexcept {
        switch (type_) {
        case metric_type::counter:
            delete static_cast<series<counter>*>(s);
            return;
        case metric_type::gauge:
            delete static_cast<series<gauge>*>(s);
            return;
        case metric_type::histogram:
            delete static_cast<series<histogram>*>(s);
            return;
        case metric_type::info:
            delete static_cast<series<info>*>(s);
            return;
        case metric_type::stateset:
            delete static_cast<series<stateset>*>(s);
            return;
        }
    }

    void reset_metric(series_node& s) const noexcept {
        switch (type_) {
        case metric_type::counter:
            static_cast<series<counter>&>(s).metric.reset();
            return;
        case metric_type::gauge:
            static_cast<series<gauge>&>(s).metric.reset();
            return;
        case metric_type::histogram:
            static_cast<series<histogram>&>(s).metric.reset();
            return;
        case metric_type::info:
            return;
        case metric_type::stateset:
            static_cast<series<stateset>&>(s).metric.reset();
            return;
        }
    }

public:
    // A series' key (see series_node): how it is written and compared. Public, static and
    // free of the family's state so that tests can compare keys directly: through lookups, a
    // comparison that fails to tell two label sets apart shows only when their hashes collide.

    // The most values a lookup keeps the head_words of, to compare with (on the stack).
    static constexpr std::size_t max_head_values = 8;

    // The bytes of a key that hold a value's first bytes (see series_node).
    static std::size_t head_block_size(std::size_t len) noexcept { return len > 8 ? 16 : 8; }

    // Stores the values in s's key (see series_node); allocates only past key_inline_size.
    static void encode_key(series_node& s, const std::string_view* vals, std::size_t n) {
        std::size_t total = 0;
        for (std::size_t k = 0; k < n; ++k) {
            const std::size_t len = vals[k].size();
            total += length_digits(len) + head_block_size(len) + (len > 16 ? len - 16 : 0);
        }
        char* out = total <= series_node::key_inline_size ? s.key_inline : new char[total];
        s.key_data = out;
        for (std::size_t k = 0; k < n; ++k) {
            for (std::size_t len = vals[k].size();; len >>= 7) {
                *out++ = static_cast<char>((len & 0x7f) | (len > 0x7f ? 0x80 : 0));
                if (len <= 0x7f) break;
            }
        }
        for (std::size_t k = 0; k < n; ++k) {
            const std::size_t len = vals[k].size();
            std::memset(out, 0, head_block_size(len));
            if (len > 0) std::memcpy(out, vals[k].data(), len < 16 ? len : 16);
            out += head_block_size(len);
        }
        for (std::size_t k = 0; k < n; ++k) {
            if (vals[k].size() <= 16) continue;
            std::memcpy(out, vals[k].data() + 16, vals[k].size() - 16);
            out += vals[k].size() - 16;
        }
    }

    static std::size_t length_digits(std::size_t len) noexcept {
        std::size_t digits = 1;
        for (; len > 0x7f; len >>= 7) ++digits;
        return digits;
    }

    // The length at `p` in a key's lengths; advances p past it.
    static std::size_t next_length(const char*& p) noexcept {
        std::size_t len = static_cast<unsigned char>(*p++);
        if (VITALS_DETAIL_UNLIKELY(len > 0x7f)) {
            len &= 0x7f;
            for (unsigned shift = 7;; shift += 7) {
                const std::size_t digit = static_cast<unsigned char>(*p++);
                len |= (digit & 0x7f) << shift;
                if (digit <= 0x7f) break;
            }
        }
        return len;
    }

    // Reads a key's values in order, each as its first 16 bytes and the rest.
    class key_reader {
    public:
        key_reader(const char* key, std::size_t n) noexcept : lengths_(key), heads_(key) {
            std::size_t heads_size = 0;
            for (std::size_t k = 0; k < n; ++k) heads_size += head_block_size(next_length(heads_));
            rests_ = heads_ + heads_size;
        }
        void next(std::string_view& head, std::string_view& rest) noexcept {
            const std::size_t len = next_length(lengths_);
            head = std::string_view(heads_, len < 16 ? len : 16);
            heads_ += head_block_size(len);
            rest = std::string_view(rests_, len > 16 ? len - 16 : 0);
            rests_ += rest.size();
        }

    private:
        const char* lengths_;
        const char* heads_;
        const char* rests_ = nullptr;
    };

    // Whether s holds these values. With `heads` (the values' head_words), values shorter than
    // 128 bytes are compared as words at places known from their lengths: no length decoding,
    // no comparison that depends on the one before it, and no byte loops below 17 bytes.
    template <class Count>
    static bool key_equals(const series_node& s, const std::string_view* vals, Count n,
                           const head_words* heads) noexcept {
        const std::size_t count = n; // a class type in a loop's test drops the unroll hint
        std::size_t all_lengths = 0;
        VITALS_DETAIL_UNROLL
        for (std::size_t k = 0; k < count; ++k) all_lengths |= vals[k].size();
        // The key read from key_inline, not through key_data: the loads then wait only for the
        // series' address, not for a load of the pointer first (the test of key_data, nearly
        // always true, is predicted and so waited for by nothing).
        if (VITALS_DETAIL_UNLIKELY(!heads || all_lengths > 0x7f || s.key_data != s.key_inline))
            return key_equals_read(s, vals, n);
        const char* key = s.key_inline;
        std::uint64_t differ = 0;
        VITALS_DETAIL_UNROLL
        for (std::size_t k = 0; k < count; ++k)
            differ |= static_cast<unsigned char>(key[k]) ^ vals[k].size();
        if (differ != 0) return false; // then the places below are the key's own
        const char* block = key + count;
        VITALS_DETAIL_UNROLL
        for (std::size_t k = 0; k < count; ++k) {
            differ |= load_u64(block) ^ heads[k].lo;
            if (vals[k].size() > 8) {
                differ |= load_u64(block + 8) ^ heads[k].hi;
                block += 16;
            } else {
                block += 8;
            }
        }
        if (differ != 0) return false;
        bool same = true;
        VITALS_DETAIL_UNROLL
        for (std::size_t k = 0; k < count; ++k) {
            if (vals[k].size() <= 16) continue;
            const std::size_t rest = vals[k].size() - 16;
            block += rest;
            same =
                same && (rest <= 8 ? last_bytes_equal(block, vals[k].data() + vals[k].size(), rest)
                                   : bytes_equal(block - rest, vals[k].data() + 16, rest));
        }
        return same;
    }

    // key_equals() reading the key value by value: any lengths, no head_words needed.
    VITALS_DETAIL_NOINLINE static bool
    key_equals_read(const series_node& s, const std::string_view* vals, std::size_t n) noexcept {
        key_reader r(s.key_data, n);
        for (std::size_t k = 0; k < n; ++k) {
            std::string_view head, rest;
            r.next(head, rest);
            const std::string_view v = vals[k];
            if (head.size() + rest.size() != v.size() ||
                !bytes_equal(head.data(), v.data(), head.size()) ||
                !bytes_equal(rest.data(), v.data() + head.size(), rest.size()))
                return false;
        }
        return true;
    }

private:
    // Lexicographic by values, as std::vector<std::string> compares: the exposition order.
    bool key_less(const series_node& a, const series_node& b) const noexcept {
        key_reader ra(a.key_data, label_names_.size());
        key_reader rb(b.key_data, label_names_.size());
        for (std::size_t k = 0; k < label_names_.size(); ++k) {
            std::string_view head_a, rest_a, head_b, rest_b;
            ra.next(head_a, rest_a);
            rb.next(head_b, rest_b);
            // Heads differ, or are equal and both 16 bytes or both the whole value.
            int c = head_a.compare(head_b);
            if (c == 0) c = rest_a.compare(rest_b);
            if (c != 0) return c < 0;
        }
        return false;
    }

    template <class Count = std::size_t>
    series_node* find(const std::string_view* vals, Count n, std::uint64_t h,
                      const head_words* heads = nullptr) const noexcept {
        const table* t = table_.load(std::memory_order_acquire);
        if (!t) return nullptr;
        const std::size_t tag = slot_tag(h);
        for (std::size_t i = narrow<std::size_t>(h) & t->mask;; i = (i + 1) & t->mask) {
            char* entry = t->entries[i].load(std::memory_order_acquire);
            if (!entry) return nullptr;
            if (entry_tag(entry) == tag && key_equals(*entry_node(entry), vals, n, heads))
                return entry_node(entry);
        }
    }

    static void place(table& t, series_node* s) noexcept {
        std::size_t i = narrow<std::size_t>(s->hash) & t.mask;
        while (t.entries[i].load(std::memory_order_relaxed)) i = (i + 1) & t.mask;
        t.entries[i].store(reinterpret_cast<char*>(s) + slot_tag(s->hash),
                           std::memory_order_release);
    }

    // Called with mutex_ held (unique). Everything that can throw happens before the new
    // series is published, so a failed allocation leaves the family as it was.
    series_node* create(const std::string_view* vals, std::size_t n, std::uint64_t h) {
        // A small family inserts into sorted_ directly, which is quicker while it is small; so
        // does every family with VITALS_COMPACT, where the code recent_ adds matters more.
#if VITALS_COMPACT
        constexpr bool direct = true;
#else
        const bool direct = sorted_.size() < sorted_directly_below;
#endif
        if (!direct && recent_.size() >= recent_limit()) merge_recent();
        reserve_more(series_, 1);
        reserve_more(sorted_, direct ? 1 : 0);
        if (!direct) recent_.reserve_one();
        table* t = table_.load(std::memory_order_relaxed);
        table* bigger = nullptr;
        if (!t || (series_.size() + 1) * 4 > t->mask + 1) { // at most a quarter full
            bigger = new table(t ? (t->mask + 1) * 2 : 8);
        }
        series_node* s = nullptr;
        try_or_cleanup(
            [&] {
                s = new_node();
                s->hash = h;
                s->created.store(clock_(), std::memory_order_relaxed);
                encode_key(*s, vals, n);
                s->labels = const_labels_;
                for (std::size_t k = 0; k < n; ++k) s->labels.append(label_names_[k], vals[k]);
            },
            [&] {
                if (s) delete_node(s);
                delete bigger;
            });
        if (bigger) { // nothing below throws
            for (series_node* old : series_) place(*bigger, old);
            bigger->previous = t;
            table_.store(bigger, std::memory_order_release);
            t = bigger;
        }
        place(*t, s);
        series_.push_back(s);
        const std::size_t at = partition_index( // after every key not greater than s's
            sorted_.size(), [&](std::size_t i) { return !key_less(*s, *sorted_[i]); });
        ++layout_;
        if (direct) {
            insert_at(sorted_, at, s);
            return s;
        }
        const std::size_t pos = partition_index(recent_.size(), [&](std::size_t i) {
            return recent_[i].at < at || (recent_[i].at == at && !key_less(*s, *recent_[i].node));
        });
        recent_.insert(pos, recent_series{at, s});
        return s;
    }

    // Below this many series in sorted_, create() inserts there (recent_ stays empty).
    static constexpr std::size_t sorted_directly_below = 2048;

    // How many series recent_ holds before they join sorted_: the smallest power of two whose
    // square is at least the family's size (64 at least). A new series then moves about the
    // square root of that many pointers, in its insert and (spread over the series that fill
    // recent_) in the merge, where one sorted vector moved half of them: with 300,000 series
    // a new one cost about 40 times what it costs with 1,000, and now about 10 times
    // (bench/series_create.cpp).
    std::size_t recent_limit() const noexcept {
        std::size_t limit = 64;
        while (limit * limit < sorted_.size()) limit *= 2;
        return limit;
    }

    // Moves recent_ into sorted_, in place from the back: each run of sorted_ moves once, by
    // the count of recent series after it. Allocates (sorted_ grows as a vector does) before it
    // changes anything. Under the writer lock.
    void merge_recent() {
        reserve_more(sorted_, recent_.size());
        ++layout_; // even if the series it makes room for is not made after all
        std::size_t end = sorted_.size(); // the sorted series not yet moved are [0, end)
        for (std::size_t j = 0; j < recent_.size(); ++j) sorted_.push_back(nullptr);
        std::size_t out = sorted_.size(); // [out, size) is in place
        for (std::size_t j = recent_.size(); j-- > 0;) {
            const std::size_t at = recent_[j].at;
            out -= end - at;
            // NOLINTNEXTLINE(bugprone-sizeof-expression): the elements moved are pointers
            const std::size_t bytes = (end - at) * sizeof(series_node*);
            std::memmove(sorted_.data() + out, sorted_.data() + at, bytes);
            end = at;
            sorted_[--out] = recent_[j].node;
        }
        recent_.clear();
    }

    // Runs `body`; if it throws, runs `cleanup` and rethrows. Without exceptions, just body.
    template <class Body, class Cleanup>
    static void try_or_cleanup(Body&& body, Cleanup&& cleanup) {
#if VITALS_DETAIL_CAN_CATCH()
        try {
            body();
        } catch (...) {
            cleanup();
            throw;
        }
#else
        (void)cleanup;
        body();
#endif
    }

    // A label set the lock-free table did not have. Once the family has overflowed, such a
    // lookup is sent to the overflow series without a lock or an allocation, so that traffic
    // past the bound costs about what a known label set does and never waits for (or holds up)
    // a scrape. A probe made after reading a non-null overflow_series_ is final: a family
    // creates no series once it has an overflow series, and every slot it ever published was
    // stored before overflow_series_ was. `overflow` is what the caller read before its probe;
    // when that was null, the family may have overflowed since, just after publishing a slot
    // the probe missed, hence a second probe then.
    VITALS_DETAIL_NOINLINE series_node* lookup_missed(const std::string_view* vals, std::size_t n,
                                                      std::uint64_t h, const head_words* heads,
                                                      series_node* overflow, bool ascii) {
        // Values with invalid UTF-8 are shown with U+FFFD in its place, so they name the
        // series of that shown form: "\xff" and "\xfe" would otherwise be two series written
        // with the same labels. Never in the table themselves, they always come here (and
        // allocate); valid values pay for the check only when they miss, and values known
        // to be ASCII (values_ascii()) not at all.
        if (VITALS_DETAIL_UNLIKELY(!ascii && any_invalid_utf8(vals, n))) {
            // Shown, a value is at least as long (U+FFFD takes 3 bytes), so one too long
            // goes to the overflow series as it is: it is not copied, whatever its size.
            if (any_too_long(vals, n)) return lookup_too_long(n);
            const shown_values shown(vals, n);
            return lookup_counted(shown.data(), n);
        }
        if (!overflow) {
            overflow = overflow_series_.load(std::memory_order_acquire);
            if (overflow && find(vals, n, h, heads)) overflow = nullptr;
        }
        if (overflow && overflow->visible.load(std::memory_order_acquire)) {
            count_overflow();
            return overflow;
        }
        // Tested only now: past the bound, values too long go to the overflow series anyway.
        if (VITALS_DETAIL_UNLIKELY(any_too_long(vals, n))) return lookup_too_long(n);
        return lookup_locked(vals, n, h);
    }

    // Whether the values are all ASCII, tested on the head words the lookup hashed and, past
    // 16 bytes, the value's other bytes (up to 8 of them in the one word that ends the value).
    template <class Count>
    static bool values_ascii(const std::string_view* vals, Count n,
                             const head_words* heads) noexcept {
        const std::size_t count = n; // a class type in a loop's test drops the unroll hint
        std::uint64_t bytes = 0;
        bool rest_ascii = true;
        VITALS_DETAIL_UNROLL
        for (std::size_t i = 0; i < count; ++i) {
            bytes |= heads[i].lo | heads[i].hi;
            const std::size_t len = vals[i].size();
            if (len <= 16) continue;
            if (len <= 24)
                bytes |= load_u64(vals[i].data() + len - 8);
            else
                rest_ascii = rest_ascii && detail::all_ascii(vals[i].data() + 16, len - 16);
        }
        return rest_ascii && (bytes & 0x8080808080808080ULL) == 0;
    }

    static bool any_invalid_utf8(const std::string_view* vals, std::size_t n) noexcept {
        bool ascii = true; // nearly always: then one test, and no branch per value
        for (std::size_t i = 0; i < n; ++i) ascii &= all_ascii(vals[i].data(), vals[i].size());
        if (VITALS_DETAIL_LIKELY(ascii)) return false;
        for (std::size_t i = 0; i < n; ++i)
            if (has_invalid_utf8(vals[i])) return true;
        return false;
    }

    // Label values as the exposition shows them (invalid UTF-8 replaced), and views of them:
    // on the stack when they are few and short, so that a lookup past the bound allocates
    // nothing for them either (values from clients, where a flood comes from).
    class shown_values {
    public:
        shown_values(const std::string_view* vals, std::size_t n) {
            // One block, the views followed by the bytes they view: a single allocation past
            // the stack's, and little code (the compact configuration counts its bytes).
            std::size_t total = n * sizeof(std::string_view);
            for (std::size_t i = 0; i < n; ++i) total += shown_size(vals[i]);
            void* block = on_stack_;
            if (total > sizeof on_stack_) block = heap_ = ::operator new(total);
            views_ = static_cast<std::string_view*>(block);
            char* out = reinterpret_cast<char*>(views_ + n);
            for (std::size_t i = 0; i < n; ++i) {
                const std::size_t k = write_shown(out, vals[i]);
                ::new (static_cast<void*>(views_ + i)) std::string_view(out, k);
                out += k;
            }
        }
        shown_values(const shown_values&) = delete;
        shown_values& operator=(const shown_values&) = delete;
        ~shown_values() { ::operator delete(heap_); }
        const std::string_view* data() const noexcept { return views_; }

    private:
        alignas(std::string_view) unsigned char on_stack_[384];
        void* heap_ = nullptr;
        std::string_view* views_;
    };

    bool any_too_long(const std::string_view* vals, std::size_t n) const noexcept {
        bool too_long = false;
        for (std::size_t i = 0; i < n; ++i)
            too_long |= vals[i].size() > options_.max_label_value_bytes;
        return too_long;
    }

    // A label set with a value over max_label_value_bytes: counted into the overflow series
    // (made for it if the family has not overflowed), which is kept at hand so that a flood of
    // such values neither allocates nor takes the lock.
    VITALS_DETAIL_NOINLINE series_node* lookup_too_long(std::size_t n) {
        series_node* s = overflow_node_.load(std::memory_order_acquire);
        if (!s || !s->visible.load(std::memory_order_acquire)) {
            exclusive_lock lock(mutex_);
            s = overflow_node_locked(n);
        }
        count_overflow();
        return s;
    }

    // The series whose values are all overflow_label_value, made or shown again (at zero, after
    // clear() or remove()) if need be. Under the family's lock.
    series_node* overflow_node_locked(std::size_t n) {
        series_node* s = overflow_node_.load(std::memory_order_relaxed);
        if (!s) {
            std::vector<std::string_view> ov(n, overflow_label_value);
            const std::uint64_t oh = hash_label_values(ov.data(), n, hash_key_);
            s = find(ov.data(), n, oh);
            // Made here, it takes no slot of max_series; a label set the program made itself
            // with these values took one when it was made, and keeps it.
            if (!s) {
                s = create(ov.data(), n, oh);
                overflow_uncounted_ = true;
            }
            overflow_node_.store(s, std::memory_order_release);
        }
        if (!s->visible.load(std::memory_order_relaxed)) {
            reset_metric(*s);
            s->created.store(clock_(), std::memory_order_relaxed);
            s->visible.store(true, std::memory_order_release);
        }
        return s;
    }

    using reader_lock = shared_lock_of;

    // Counts a lookup redirected to the overflow series, in this family's series of the
    // registry's overflow counter; the series is looked up once and kept (again only if it
    // was hidden, e.g. by clearing that family).
    void count_overflow() {
        if (!overflow_family_) return;
        series_node* c = overflow_count_.load(std::memory_order_acquire);
        if (VITALS_DETAIL_UNLIKELY(!c || !c->visible.load(std::memory_order_acquire))) {
            const std::string_view family_name = name_;
            c = overflow_family_->lookup_counted(&family_name, std::size_t{1});
            overflow_count_.store(c, std::memory_order_release);
        }
        static_cast<series<counter>*>(c)->metric.inc();
    }

    VITALS_DETAIL_NOINLINE series_node* lookup_locked(const std::string_view* vals, std::size_t n,
                                                      std::uint64_t h) {
        bool overflowed = false;
        series_node* s;
        {
            exclusive_lock lock(mutex_);
            s = find(vals, n, h);
            if (s) {
                if (!s->visible.load(std::memory_order_relaxed)) {
                    reset_metric(*s);
                    s->created.store(clock_(), std::memory_order_relaxed);
                    s->visible.store(true, std::memory_order_release);
                }
            } else if (series_.size() - (overflow_uncounted_ ? 1 : 0) < options_.max_series) {
                s = create(vals, n, h);
            } else {
                overflowed = true;
                s = overflow_node_locked(n);
                overflow_series_.store(s, std::memory_order_release);
            }
        }
        // Counted outside our lock: the overflow counter lives in another family.
        if (overflowed) count_overflow();
        return s;
    }

    metric_type type_;
    std::string name_;
    std::string help_;
    std::vector<std::string> label_names_;
    family_options options_;
    bucket_bounds bounds_;            // histograms: shared by the series
    std::vector<std::string> states_; // statesets: the state names
    family_text text_;                // pre-rendered output pieces
    alignas(family_handle) unsigned char handle_[sizeof(family_handle)]; // a family<Metric>
    label_text const_labels_;                // const labels, rendered as in series_node
    family_base* overflow_family_ = nullptr; // counts lookups redirected to overflow
    // The series label sets past the bound share (null until the first one); see lookup_missed.
    std::atomic<series_node*> overflow_series_{nullptr}; // set once the family is past its bound
    std::atomic<series_node*> overflow_node_{nullptr};   // the overflow series, once made
    std::atomic<series_node*> overflow_count_{nullptr};  // our series in overflow_family_
    // Whether the overflow series was made as such (see overflow_node_locked()), not by a
    // lookup of its values, and so is not counted against max_series. Under the writer lock.
    bool overflow_uncounted_ = false;
    unix_clock clock_ = &system_unix_time;
    // Set when a registration found this family other than the kit registration that made it:
    // that caller may record into it, so a kit that has not committed must not withdraw it (see
    // registry::withdraw()). Written under the registry's reader lock, read under its writer lock.
    std::atomic<bool> claimed_{false};

    mutable writer_first_mutex mutex_;
    std::vector<series_node*> series_;   // owns every series ever created
    std::atomic<table*> table_{nullptr}; // open addressing by hash; never shrinks; owns the chain
    // The table's hash key (see hash_label_values()), kept with it: the code of another
    // module (a DLL, a shared library with hidden symbols) has its own hash_secret().
    const std::uint64_t hash_key_ = hash_secret();
    const label_hash_keys hash_keys_{hash_key_};
    // The exposition order (by label values, deterministic) in two runs, so that a new series
    // does not move every pointer after it: sorted_, and recent_, the series made since it last
    // grew, each with the count of sorted_'s series not greater than it (`at`), in the order of
    // (at, label values). sorted_ changes only when recent_ joins it.
    struct recent_series {
        std::size_t at;
        series_node* node;
    };
    // recent_'s storage: an array on the heap that grows as reserve_more() grows a vector.
    // Written out rather than a std::vector<recent_series>, whose reserve, push_back and
    // destructor every file including this header compiled (about 120 instantiations), though
    // only families past sorted_directly_below series use it.
    class recent_run {
    public:
        recent_run() = default;
        recent_run(const recent_run&) = delete;
        recent_run& operator=(const recent_run&) = delete;
        ~recent_run() { delete[] items_; }

        const recent_series* data() const noexcept { return items_; }
        std::size_t size() const noexcept { return size_; }
        const recent_series& operator[](std::size_t i) const noexcept { return items_[i]; }
        void clear() noexcept { size_ = 0; }

        // Makes room for one more, growing geometrically (as reserve_more(v, 1)); if the
        // allocation throws, nothing changed.
        void reserve_one() {
            if (size_ < capacity_) return;
            const std::size_t capacity = size_ + (size_ > 1 ? size_ : 1);
            recent_series* items = new recent_series[capacity];
            if (size_ != 0) std::memcpy(items, items_, size_ * sizeof(recent_series));
            delete[] items_;
            items_ = items;
            capacity_ = capacity;
        }

        // Inserts `value` at `pos`, with room made by reserve_one() (as insert_at()).
        void insert(std::size_t pos, recent_series value) noexcept {
            std::memmove(items_ + pos + 1, items_ + pos, (size_ - pos) * sizeof(recent_series));
            items_[pos] = value;
            ++size_;
        }

    private:
        recent_series* items_ = nullptr;
        std::size_t size_ = 0;
        std::size_t capacity_ = 0;
    };
    std::vector<series_node*> sorted_;
    recent_run recent_;
    // Changes of sorted_ and recent_ (under the writer lock): a walk that let go of the lock
    // finds its place again when this moved (see for_each_series()).
    std::size_t layout_ = 0;
};

} // namespace detail

namespace detail {

/// family<Metric>'s members beyond labels() (see record/family.hpp).
template <class Full>
struct include_family_hpp {
    static family_base& state(family_base& f) noexcept { return f; }
    static const family_base& state(const family_base& f) noexcept { return f; }
    // Whether the family shows a series with these values (see family_base::shows()).
    template <class Metric>
    static bool shows(const family<Metric>& fam, const std::string_view* vals, std::size_t n) {
        return fam.owner_->shows(vals, n);
    }

    // labels() given the values as views.
    template <class Metric>
    static Metric& labels(family<Metric>& fam, const std::string_view* vals, std::size_t n) {
        return *static_cast<Metric*>(fam.lookup_(*fam.owner_, vals, n));
    }

    template <class Metric, class Values>
    static Metric& labels(family<Metric>& fam, const Values& values) {
        return *static_cast<Metric*>(
            with_views(values, [&](const std::string_view* v, std::size_t n) {
                return fam.lookup_(*fam.owner_, v, n);
            }));
    }

    template <class Metric, class Values>
    static bool remove_list(family<Metric>& fam, const Values& values) {
        return with_views(values, [&](const std::string_view* v, std::size_t n) {
            return fam.owner_->remove(v, n);
        });
    }

    // Calls fn(views, n) with string_views of a run-time list of values: on the stack for up to
    // 16 of them, else allocated.
    template <class Values, class Fn>
    static auto with_views(const Values& values, Fn&& fn) {
        constexpr std::size_t on_stack = 16;
        const std::size_t n = values.size();
        if (n > on_stack) {
            // Filled by index, as overflow_node_locked() fills its own: the one
            // std::vector<std::string_view> constructor compiled in every includer.
            std::vector<std::string_view> views(n, std::string_view());
            for (std::size_t i = 0; i < n; ++i) views[i] = label_view(values[i]);
            return fn(views.data(), n);
        }
        std::string_view views[on_stack];
        for (std::size_t i = 0; i < n; ++i) views[i] = label_view(values[i]);
        return fn(views, n);
    }

    template <class Metric>
    static result<Metric> try_labels(family_base& f, const std::string_view* vals, std::size_t n) {
        status error;
        series_node* s = f.lookup(vals, n, &error);
        if (!s) return error;
        return static_cast<series<Metric>*>(s)->metric;
    }

    static bool remove(family_base& f, const std::string_view* vals, std::size_t n) {
        return f.remove(vals, n);
    }

    // Counts a lookup that a kit sent to an `__overflow__` series of its own, under the
    // family's series of vitals_series_overflow_total, as the family counts its own.
    template <class Metric>
    static void count_overflow(family<Metric>& fam) {
        fam.owner_->count_overflow();
    }
};

} // namespace detail

VITALS_END_NAMESPACE

#endif // VITALS_FAMILY_HPP
// #include <vitals/gauge.hpp>: inlined above
// #include <vitals/stateset.hpp>: inlined above

#include <cstddef>     // size_t
#include <cstdint>     // uint64_t
#include <string_view> // string_view

VITALS_BEGIN_NAMESPACE
namespace detail {

/// Writes the parts of sample lines that both text formats spell alike.
class line_writer {
public:
    explicit line_writer(out_buffer& out) noexcept : out_(out) {}

    out_buffer& out() noexcept { return out_; }

    /// Escapes `text` (backslash, newline, and double quote when `quote`) into the output.
    void escaped(std::string_view text, bool quote) {
        escape_pieces(text, quote,
                      [this](const char* data, std::size_t size) { out_.write(data, size); });
    }

    /// `name{labels} ` or `name ` for pre-rendered labels.
    void name_labels(std::string_view name, std::string_view labels) {
        out_.write(name);
        if (!labels.empty()) {
            out_.put('{');
            out_.write(labels);
            out_.write("} ", 2);
        } else {
            out_.put(' ');
        }
    }

    /// `name<suffix>{a="x",b="y"} ` for a collector's labels (validated, escaped here).
    void name_collected_labels(std::string_view name, std::string_view suffix,
                               const collected_label* labels, std::size_t n) {
        out_.write(name);
        out_.write(suffix);
        if (n != 0) {
            char sep = '{';
            for (std::size_t i = 0; i < n; ++i) {
                out_.put(sep);
                sep = ',';
                collected_label_text(labels[i]);
            }
            out_.put('}');
        }
        out_.put(' ');
    }

    /// The lines of a collector's histogram series, `_bucket` with `le` (and, when
    /// `with_sum_count`, `_sum` and `_count`). OpenMetrics passes `canonical_le`: its `le`
    /// values are canonical numbers (`1.0`, not `1`).
    void collected_histogram(std::string_view name, const collected_label* labels, std::size_t n,
                             const double* bounds, const std::uint64_t* cumulative, std::size_t nb,
                             double sum, bool with_sum_count, bool canonical_le) {
        for (std::size_t i = 0; i <= nb; ++i) {
            open_collected(name, "_bucket", labels, n);
            out_.write("le=\"", 4);
            if (i < nb && canonical_le) {
                char num[max_number_chars];
                out_.write(num, format_canonical(num, bounds[i]));
            } else if (i < nb) {
                char num[max_number_chars];
                out_.write(num, format_label_number(num, bounds[i]));
            } else {
                out_.write("+Inf", 4);
            }
            out_.write("\"} ", 3);
            out_.write_uint(cumulative[i]);
            out_.put('\n');
        }
        if (!with_sum_count) return;
        name_collected_labels(name, "_sum", labels, n);
        out_.write_double(sum);
        out_.put('\n');
        name_collected_labels(name, "_count", labels, n);
        out_.write_uint(cumulative[nb]);
        out_.put('\n');
    }

    /// The lines of a collector's stateset series: `name{labels,name="state"} 1|0`.
    void collected_stateset(std::string_view name, const collected_label* labels, std::size_t n,
                            const collected_state* states, std::size_t ns) {
        for (std::size_t i = 0; i < ns; ++i) {
            open_collected(name, "", labels, n);
            collected_label_text(collected_label(name, states[i].first));
            out_.write(states[i].second ? "} 1\n" : "} 0\n", 4);
        }
    }

    /// A collector's `name{a="x"} value` line.
    void collected_sample(std::string_view name, const collected_label* labels, std::size_t n,
                          double value) {
        name_collected_labels(name, "", labels, n);
        out_.write_double(value);
        out_.put('\n');
    }

    /// The lines of a gauge, info or stateset series, which both formats spell alike (the
    /// writers write counters and histograms themselves).
    void series_lines(metric_type type, std::string_view name, const family_text& t,
                      const series_node& s) {
        if (type == metric_type::stateset) return stateset_lines(name, t, s);
        name_labels(name, s.labels.view());
        if (type == metric_type::info) return out_.write("1\n", 2);
        out_.write_double(static_cast<const series<gauge>&>(s).metric.value());
        out_.put('\n');
    }

    /// One line per state: `name{labels,name="state"} 1|0`.
    void stateset_lines(std::string_view name, const family_text& t, const series_node& s) {
        const std::uint64_t bits = static_cast<const series<stateset>&>(s).metric.bits();
        for (std::size_t i = 0; i < t.state_suffixes.size(); ++i) {
            out_.write(name);
            out_.put('{');
            if (!s.labels.empty()) {
                out_.write(s.labels.view());
                out_.put(',');
            }
            out_.write(t.state_suffixes[i]);
            out_.write((bits >> i & 1) != 0 ? "1\n" : "0\n", 2);
        }
    }

    /// The opening of a histogram bucket line, up to its count: `name_bucket{labels,le="x"} `
    /// (`le` as a canonical number for OpenMetrics).
    void bucket_prefix(const family_text& t, const series_node& s, std::size_t i,
                       bool openmetrics) {
        out_.write(t.bucket_prefix);
        if (!s.labels.empty()) {
            out_.write(s.labels.view());
            out_.put(',');
        }
        out_.write(openmetrics ? t.om_le_suffixes[i] : t.le_suffixes[i]);
    }

private:
    void collected_label_text(const collected_label& l) {
        out_.write(l.first);
        out_.write("=\"", 2);
        escaped(l.second, true);
        out_.put('"');
    }
    // `name<suffix>{a="x",` (the caller adds the last label and the closing brace).
    void open_collected(std::string_view name, std::string_view suffix,
                        const collected_label* labels, std::size_t n) {
        out_.write(name);
        out_.write(suffix);
        out_.put('{');
        for (std::size_t i = 0; i < n; ++i) {
            collected_label_text(labels[i]);
            out_.put(',');
        }
    }

    out_buffer& out_;
};

} // namespace detail
VITALS_END_NAMESPACE

#endif // VITALS_EXPOSITION_LINES_HPP
// #include <vitals/exposition/model.hpp>: inlined above
// #include <vitals/family.hpp>: inlined above
// #include <vitals/histogram.hpp>: inlined above
// #include <vitals/registry.hpp>
// vitals/registry.hpp - owns metric families and custom collectors; the unit of exposition.
// SPDX-License-Identifier: MIT
#ifndef VITALS_REGISTRY_HPP
#define VITALS_REGISTRY_HPP

// #include <vitals/config.hpp>: inlined above
// #include <vitals/detail/callback.hpp>
// vitals/detail/callback.hpp - a copyable holder of any callable (std::function's role).
// SPDX-License-Identifier: MIT
#ifndef VITALS_DETAIL_CALLBACK_HPP
#define VITALS_DETAIL_CALLBACK_HPP

// #include <vitals/config.hpp>: inlined above

#include <cstddef>     // nullptr_t
#include <type_traits> // decay_t, enable_if_t, is_pointer, is_same
#include <utility>     // move, swap

VITALS_BEGIN_NAMESPACE
namespace detail {

template <class Signature>
class callback;

/// Holds a copy of any copyable callable with this signature, like std::function, which
/// vitals does not use because <functional> alone would add to the compile time of every
/// translation unit that includes vitals (bench/budgets.sh measures it). Empty when
/// default-constructed or made from a null function pointer; calling an empty callback is a bug
/// (callers check operator bool first). Making or copying a non-empty one allocates.
template <class R, class... Args>
class callback<R(Args...)> {
public:
    callback() noexcept = default;
    callback(std::nullptr_t) noexcept {} // NOLINT(google-explicit-constructor)
    template <class Fn, class = std::enable_if_t<!std::is_same<std::decay_t<Fn>, callback>::value>>
    // NOLINTNEXTLINE(google-explicit-constructor): any callable converts, as to std::function
    callback(Fn fn) : impl_(make(std::move(fn))) {}
    callback(const callback& other) : impl_(other.impl_ ? other.impl_->clone() : nullptr) {}
    callback(callback&& other) noexcept : impl_(other.impl_) { other.impl_ = nullptr; }
    callback& operator=(callback other) noexcept {
        std::swap(impl_, other.impl_);
        return *this;
    }
    ~callback() { delete impl_; }

    explicit operator bool() const noexcept { return impl_ != nullptr; }

    R operator()(Args... args) const { return impl_->call(static_cast<Args&&>(args)...); }

private:
    struct callable {
        callable() = default;
        callable(const callable&) = default;
        callable& operator=(const callable&) = delete;
        virtual ~callable() = default;
        virtual R call(Args&&... args) = 0;
        virtual callable* clone() const = 0;
    };

    template <class Fn>
    struct holder final : callable {
        explicit holder(Fn f) : fn(std::move(f)) {}
        R call(Args&&... args) override { return fn(static_cast<Args&&>(args)...); }
        callable* clone() const override { return new holder(fn); }
        Fn fn;
    };

    template <class Fn>
    static callable* make(Fn fn) {
        if constexpr (std::is_pointer<Fn>::value) {
            if (!fn) return nullptr;
        }
        return new holder<Fn>(std::move(fn));
    }

    callable* impl_ = nullptr;
};

} // namespace detail
VITALS_END_NAMESPACE

#endif // VITALS_DETAIL_CALLBACK_HPP
// #include <vitals/detail/escape.hpp>: inlined above
// #include <vitals/detail/exclusive_lock.hpp>: inlined above
// #include <vitals/detail/float_class.hpp>: inlined above
// #include <vitals/detail/format_number.hpp>: inlined above
// #include <vitals/detail/label_hash.hpp>: inlined above
// #include <vitals/detail/names.hpp>: inlined above
// #include <vitals/detail/narrow.hpp>: inlined above
// #include <vitals/detail/scrape_scope.hpp>: inlined above
// #include <vitals/detail/shared_mutex.hpp>: inlined above
// #include <vitals/error.hpp>: inlined above
// #include <vitals/exemplar.hpp>: inlined above
// #include <vitals/exposition/model.hpp>: inlined above
// #include <vitals/family.hpp>: inlined above
// #include <vitals/histogram.hpp>: inlined above

#include <atomic>           // atomic (failure count), atomic_thread_fence
#include <cstddef>          // size_t
#include <cstdint>          // uint64_t
#include <cstring>          // memcpy
#include <initializer_list> // initializer_list
#include <string>           // string
#include <string_view>      // string_view
#include <type_traits>      // enable_if_t, is_convertible, is_arithmetic, is_null_pointer
#include <utility>          // move, pair, exchange
#include <vector>           // vector

#if VITALS_DETAIL_CAN_CATCH()
#include <exception> // exception
#include <stdexcept> // runtime_error
#endif

VITALS_BEGIN_NAMESPACE

class registry;
namespace detail {
struct registry_access;

/// A family a collector that vitals adds writes (see registry::reserve_collected()).
struct collected_family {
    metric_type type;
    std::string name;
};

/// A health_server over a registry, as the registry sees it: linked from the server's first
/// start() to its destruction, so that a registry destroyed first tells each of those servers
/// (gone(owner)). A running one stops then; none reads or writes the registry after, and none
/// starts over it again.
struct registry_server {
    void (*gone)(void* owner) noexcept = nullptr;
    void* owner = nullptr;
    registry_server* next = nullptr; // under the registry's servers_mutex_
};

/// A number no other registry of the process had or will have, for the kits' groups
/// (kit_instances): a family's address names one only while its registry lives, and a kit may
/// outlive its registry. One count per process, as the groups' table.
VITALS_DETAIL_PROCESS_WIDE inline std::uint64_t registry_serial() noexcept {
    static std::atomic<std::uint64_t> last{0};
    return last.fetch_add(1, std::memory_order_relaxed) + 1;
}

/// Makes `v[i]` an element of `v`, for `i` at most `v.size()`: when `i` is the size, `v`
/// doubles (to `first` elements when empty), zero-filled. Written out rather than push_back,
/// whose reallocation every file including this header compiled for each element type.
template <class T>
void grow_to_index(std::vector<T>& v, std::size_t i, std::size_t first) {
    if (i < v.size()) return;
    std::vector<T> bigger(i == 0 ? first : i * 2, T());
    for (std::size_t k = 0; k < i; ++k) bigger[k] = v[k];
    v.swap(bigger);
}

/// The sample names in use in a registry: an open-addressing table of strings, so that the
/// n-th registration checks and adds its names in constant time (a sorted vector moved its
/// strings along one by one: 69 us per counter among 16,000 against 6.2 us among 1,000,
/// bench/bench_core.cpp BM_register_families).
/// An empty string is a free slot and "#" a removed name's (no sample name has a '#').
class name_set {
public:
    bool contains(std::string_view name) const noexcept {
        return !slots_.empty() && !slots_[slot_of(name)].empty();
    }
    /// Makes room for `extra` more names: as many insert()s then never allocate.
    void reserve_more(std::size_t extra) {
        if ((used_ + extra) * 2 <= slots_.size()) return;
        std::size_t capacity = 16;
        while ((count_ + extra) * 2 > capacity) capacity *= 2;
        std::vector<std::string> bigger(capacity); // the only allocation: else nothing changes
        bigger.swap(slots_);
        used_ = 0;
        for (std::string& name : bigger)
            if (!name.empty() && name != removed) place(std::move(name));
    }
    /// Adds `name`, absent from the set, into room reserve_more() made (a copy is made by
    /// the caller, before the call).
    void insert(std::string name) noexcept {
        place(std::move(name));
        ++count_;
    }
    /// Removes every name `drop(name)` holds for. Never allocates.
    template <class Drop>
    void erase_if(Drop drop) noexcept {
        for (std::string& name : slots_) {
            if (name.empty() || name == removed || !drop(std::string_view(name))) continue;
            name.assign(removed.data(), removed.size()); // within the string's own room
            --count_;
        }
    }

private:
    static constexpr std::string_view removed = "#";
    // Where `name` is, or the first free slot of its probe (a removed name's slot is passed
    // over, so a name added after it stays found).
    std::size_t slot_of(std::string_view name) const noexcept {
        const std::size_t mask = slots_.size() - 1;
        std::size_t i = narrow<std::size_t>(hash_label_values(&name, 1, hash_secret())) & mask;
        while (!slots_[i].empty() && slots_[i] != name) i = (i + 1) & mask;
        return i;
    }
    void place(std::string&& name) noexcept {
        slots_[slot_of(name)] = std::move(name);
        ++used_;
    }

    std::vector<std::string> slots_; // a power of two of them, at most half used
    std::size_t used_ = 0;           // names and removed names' slots
    std::size_t count_ = 0;          // names
};

/// A set of 64-bit hashes for the checks of one scrape: open addressing kept at most half
/// full, in `InlineSlots` slots inline (half as many hashes without an allocation), then in a
/// table on the heap that doubles. The hashes are keyed (hash_secret()), so their low bits
/// index the table directly and no input can make them collide on purpose. Each check is
/// constant time: a collector writing 100,000 families or samples costs 100,000 checks, not
/// their square.
template <std::size_t InlineSlots>
class hash_set64 {
public:
    /// Forgets every hash, and the heap table: a large use does not make each later one clear
    /// a large table.
    void clear() noexcept {
        count_ = 0;
        heap_.clear();
    }
    std::size_t size() const noexcept { return count_; }
    bool contains(std::uint64_t h) const noexcept {
        return count_ != 0 && table()[slot_of(h | 1)] != 0;
    }
    /// Adds `h`; false when it was there already. Strong guarantee: a failed allocation
    /// leaves the set as it was.
    bool insert(std::uint64_t h) {
        if (count_ == 0 && heap_.empty()) // the first of a use: start from an empty table
            for (std::uint64_t& slot : inline_) slot = 0;
        h |= 1; // 0 marks a free slot
        if (table()[slot_of(h)] == h) return false;
        if ((count_ + 1) * 2 > capacity()) grow();
        table()[slot_of(h)] = h;
        ++count_;
        return true;
    }

private:
    std::uint64_t* table() noexcept { return heap_.empty() ? inline_ : heap_.data(); }
    const std::uint64_t* table() const noexcept { return heap_.empty() ? inline_ : heap_.data(); }
    static_assert(InlineSlots >= 2 && (InlineSlots & (InlineSlots - 1)) == 0, "a power of two");
    std::size_t capacity() const noexcept { return heap_.empty() ? InlineSlots : heap_.size(); }
    // Where `h` is, or the free slot where it would go. The table is at most half full, so
    // a free slot ends every probe.
    std::size_t slot_of(std::uint64_t h) const noexcept {
        const std::uint64_t* slots = table();
        const std::size_t mask = capacity() - 1;
        std::size_t i = narrow<std::size_t>(h) & mask;
        while (slots[i] != 0 && slots[i] != h) i = (i + 1) & mask;
        return i;
    }
    void grow() {
        const std::uint64_t* old = table();
        const std::size_t old_capacity = capacity();
        std::vector<std::uint64_t> bigger(old_capacity * 2, 0);
        const std::size_t mask = bigger.size() - 1;
        for (std::size_t k = 0; k < old_capacity; ++k) {
            if (old[k] == 0) continue;
            std::size_t i = narrow<std::size_t>(old[k]) & mask;
            while (bigger[i] != 0) i = (i + 1) & mask;
            bigger[i] = old[k];
        }
        heap_.swap(bigger);
    }

    std::uint64_t inline_[InlineSlots];
    std::vector<std::uint64_t> heap_;
    std::size_t count_ = 0;
};

/// What a braced list of texts given to a registration holds.
enum class braced_kind {
    label_names,           // counter(), gauge(), info(), stateset()
    histogram_label_names, // histogram(), where a lone `{0}` is the bound 0
    states,                // stateset()
};

/// A label name or a state in a braced list given to a registration: made from anything a
/// std::string is made from, except a number. Each element of such a list becoming a
/// std::string instead made three mistakes compile and then fail at run time or do something
/// else than meant; each now stops the build with a static_assert naming the mistake:
/// - a `0`, NULL or nullptr, a null `const char*` (std::logic_error from std::string, or an
///   abort under -fno-exceptions). But `histogram(name, help, {0})` is the bound 0: were 0 to
///   reach this type there, GCC would prefer the label names (an std::initializer_list beats
///   the bounds' array), so the list histogram() takes alone has no null constructor. (One
///   taking nullptr but not 0 must deduce its argument: a constructor template that every
///   element of every braced registration is matched against, which cost 1.5% of the compile
///   time of <vitals/vitals.hpp> with clang for `histogram(name, help, {nullptr})` alone.)
/// - a name/value pair `{{"version", "1.2"}}`: one std::string from two unrelated pointers
///   taken for an iterator range (undefined behaviour).
/// - a text and a number `{{"code", 200}}`, `{{"on", true}}`: the number taken for a length
///   (bytes past the text, or a cut name "o").
/// A braced list converting to an std::initializer_list wins over the std::vector<std::string>
/// overloads, so these lists land here; `{"a", "b"}` never does, each element being one text.
template <braced_kind Kind>
struct braced_text {
    struct not_null {
        explicit not_null() = default;
    };
    // 0, NULL and nullptr convert to std::nullptr_t: a plain constructor, not a template, so
    // that matching a text against it costs next to nothing.
    using null_constant =
        std::conditional_t<Kind == braced_kind::histogram_label_names, not_null, std::nullptr_t>;
    template <class T,
              std::enable_if_t<std::is_convertible<const T&, std::string>::value &&
                                   !std::is_arithmetic<T>::value && !std::is_null_pointer<T>::value,
                               int> = 0>
    braced_text(const T& t) : text(t) {} // NOLINT(google-explicit-constructor)
    braced_text(null_constant) {         // NOLINT(google-explicit-constructor)
        refuse_null<Kind>();
    }
    template <class A, class B,
              std::enable_if_t<std::is_convertible<const A&, std::string_view>::value, int> = 0>
    braced_text(const A&, const B&) { // NOLINT(google-explicit-constructor)
        static_assert(Kind == braced_kind::states || sizeof(A) == 0,
                      "label names are given alone, {\"version\"}, never as name/value pairs "
                      "{{\"version\", \"1.2\"}}: a constant label goes in "
                      "family_options::const_labels");
        static_assert(Kind != braced_kind::states || sizeof(A) == 0,
                      "stateset states are given alone, {\"on\", \"off\"}, never in pairs "
                      "{{\"on\", \"off\"}} nor with a value {{\"on\", true}}: set() and "
                      "set_only() say which states are set");
    }
    std::string text;

private:
    template <braced_kind K> // a template, so that only a call fails
    static void refuse_null() {
        static_assert(K == braced_kind::states || K != Kind,
                      "label names are texts, {\"method\"} ({} for none): 0, NULL and nullptr "
                      "name no label");
        static_assert(K != braced_kind::states || K != Kind,
                      "stateset states are texts, {\"on\", \"off\"}: 0, NULL and nullptr name "
                      "no state");
    }
};
using braced_label_name = braced_text<braced_kind::label_names>;
using braced_histogram_label_name = braced_text<braced_kind::histogram_label_names>;
using braced_state = braced_text<braced_kind::states>;

/// The texts of a braced list of label names or states.
template <braced_kind Kind>
std::vector<std::string> texts_of(std::initializer_list<braced_text<Kind>> list) {
    std::vector<std::string> texts;
    texts.reserve(list.size());
    for (const braced_text<Kind>& t : list) texts.push_back(t.text);
    return texts;
}
} // namespace detail

/// The outcome of a collector_output call: ok, or why what it was given was dropped.
/// Allocates nothing: the message is static text.
class collector_status {
public:
    constexpr collector_status() noexcept = default;
    constexpr collector_status(errc code, const char* message) noexcept
        : code_(code), message_(message) {}
    /// True when the family or sample was written.
    constexpr bool ok() const noexcept { return code_ == errc::ok; }
    constexpr explicit operator bool() const noexcept { return ok(); }
    constexpr errc code() const noexcept { return code_; }
    /// Why it was dropped; empty when ok.
    std::string_view message() const noexcept { return message_; }

private:
    errc code_ = errc::ok;
    const char* message_ = "";
};

/// What a custom collector writes into at scrape time: families whose values are computed on
/// demand (process metrics, ratios derived from other metrics, the state of a cache) of every
/// metric type: counter, gauge, histogram, info and stateset.
///
/// Nothing a collector writes can make the exposition invalid: a family whose name is invalid,
/// collides with a registered family or with one written earlier in this scrape (by any
/// collector), or declares a unit its name does not end with, is dropped with its samples;
/// a sample with an invalid or repeated label name, a label set the family already has (in
/// any label order; a label with an empty value counts as absent, as in Prometheus), or a value its
/// type does not allow (a negative or NaN counter, inconsistent histogram buckets) is dropped
/// alone. Every call says what happened in a collector_status, and every drop is counted in the
/// gauge `vitals_collector_dropped` that the same scrape shows after the collectors (only when
/// something was dropped), so a silent loss is visible in the exposition too.
///
/// Not thread-safe: it lives for one scrape on the scraping thread. Hands what it accepts
/// straight to the scrape's writer and allocates nothing (except to keep a family name longer
/// than 128 characters, past 64 sample names in one scrape (a gauge has one, a counter three
/// with its base and `_created` names, a histogram five), past 32 samples in one family, and
/// for a label value with invalid UTF-8).
class collector_output {
public:
    /// A label of a collected sample; both views must outlive the call.
    using label_view = detail::collected_label;
    /// A state of a stateset sample and whether it is set.
    using state_view = detail::collected_state;

    /// Starts a family, the current one until the next family() call or the end of this
    /// collector's run (a collector's samples never join another collector's family). A counter's
    /// name gets `_total` appended when it lacks it, an info's
    /// `_info`; a stateset's name is also its state label's name, so it must be a valid label
    /// name. `unit` (optional) is shown on OpenMetrics' `# UNIT` line; the name (before
    /// `_total`) must end with `_<unit>`. At most `max_series` samples (label sets) of the
    /// family are written in a scrape, as a registered family's family_options::max_series;
    /// each one past it is dropped.
    collector_status family(std::string_view name, std::string_view help, metric_type type,
                            std::string_view unit = {},
                            std::size_t max_series = VITALS_DEFAULT_MAX_SERIES);

    /// Adds a sample to the current counter, gauge or info family (a counter's value must be
    /// finite and not negative, an info's 1; a gauge's may be anything, NaN included).
    collector_status sample(double value, std::initializer_list<label_view> labels = {}) {
        return sample(value, labels.begin(), labels.size());
    }
    /// sample() for labels only known at run time: the `count` labels at `labels`.
    collector_status sample(double value, const label_view* labels, std::size_t count);

    /// Adds a series to the current histogram family: `bounds` strictly increasing and finite,
    /// `cumulative_counts` one more than the bounds (the last is the +Inf bucket, the count),
    /// non-decreasing.
    collector_status histogram_sample(const std::vector<double>& bounds,
                                      const std::vector<std::uint64_t>& cumulative_counts,
                                      double sum, std::initializer_list<label_view> labels = {});

    /// Adds a series to the current stateset family: each state and whether it is set.
    collector_status stateset_sample(std::initializer_list<state_view> states,
                                     std::initializer_list<label_view> labels = {});

    /// One-sample families.
    collector_status gauge(std::string_view name, std::string_view help, double value) {
        const collector_status st = family(name, help, metric_type::gauge);
        return st ? sample(value) : st;
    }
    collector_status counter(std::string_view name, std::string_view help, double value) {
        const collector_status st = family(name, help, metric_type::counter);
        return st ? sample(value) : st;
    }
    collector_status info(std::string_view name, std::string_view help,
                          std::initializer_list<label_view> labels) {
        const collector_status st = family(name, help, metric_type::info);
        return st ? sample(1.0, labels) : st;
    }

    /// Families and samples dropped so far in this scrape.
    std::size_t dropped() const noexcept { return dropped_; }

private:
    friend class registry;
    collector_output(const registry& owner, detail::exposition_visitor& out) noexcept
        : owner_(owner), out_(out) {}

    // The current family's sample name. Copied, since the caller's view may not outlive the
    // family() call; kept inline so that a scrape allocates nothing for common names.
    std::string_view name() const noexcept {
        return name_size_ <= sizeof name_buf_ ? std::string_view(name_buf_, name_size_)
                                              : std::string_view(name_long_);
    }
    collector_status drop(errc code, const char* message) noexcept {
        ++dropped_;
        return {code, message};
    }
    collector_status check_labels(const label_view* labels, std::size_t count) noexcept;
    bool name_taken(std::string_view sample_name) const noexcept;

    const registry& owner_;
    detail::exposition_visitor& out_;
    char name_buf_[128];
    std::size_t name_size_ = 0;
    std::string name_long_; // names longer than name_buf_
    bool active_ = false;
    metric_type type_ = metric_type::gauge;
    std::size_t dropped_ = 0;

    // Hashes of the sample names of the families written so far in this scrape, so a family
    // repeated by a collector is skipped instead of making the whole exposition invalid.
    // Distinct names share a 64-bit hash with a probability of about n^2 / 2^65: negligible.
    static std::uint64_t name_hash(std::string_view sample_name) noexcept {
        return detail::hash_label_values(&sample_name, 1, detail::hash_secret());
    }
    bool seen(std::string_view sample_name) const noexcept {
        return seen_.contains(name_hash(sample_name));
    }
    void remember(std::string_view sample_name) { seen_.insert(name_hash(sample_name)); }
    detail::hash_set64<128> seen_; // 64 names inline: 64 gauges, 21 counters or 12 histograms

    // Hashes of the label sets written in the current family, so that a repeated one (in any
    // label order, or differing only in invalid UTF-8, which is shown as U+FFFD) is dropped:
    // two samples with one label set are a duplicate that parsers drop or reject. Their count
    // is the family's bound (max_series).
    collector_status remember_label_set(const label_view* labels, std::size_t count);
    detail::hash_set64<64> label_sets_; // 32 label sets inline
    std::size_t max_series_ = VITALS_DEFAULT_MAX_SERIES;
};

/// A callback run at every scrape to add computed samples: any copyable callable taking a
/// collector_output& (a lambda, a function, a functor such as process_collector), held by
/// value. Runs on the scraping thread with the registry's reader lock held: it must be quick,
/// must not throw, must not register metrics on the same registry and must not wait for
/// another thread that scrapes it (README, "Threads and memory"). Behaves as
/// std::function<void(collector_output&)>; making one allocates.
using collector = detail::callback<void(collector_output&)>;

/// A collector that threw during scrapes: its name, how many scrapes it failed and the last
/// exception's message. See registry::collector_failures().
struct collector_failure {
    std::string name;
    std::uint64_t count = 0;
    std::string message;
};

namespace detail {

/// Makes a kit's registration of several families all or nothing. While it is active, the
/// families the calling thread's registrations in `reg` make are noted; unless commit() is
/// called, its destructor withdraws them from the registry (a later family of the kit failed
/// to register, say), so that a failed kit leaves nothing behind and a retry under another
/// namespace leaves no stray families. Families that existed before are left as they were.
/// One pointer of thread-local storage, trivially initialised, as scrape_scope.
class kit_registration {
public:
    explicit kit_registration(registry& reg) : reg_(&reg), outer_(top()) {
        made_.reserve(8); // a kit's families: add() reserves beyond that
        top() = this;
    }
    kit_registration(const kit_registration&) = delete;
    kit_registration& operator=(const kit_registration&) = delete;
    inline ~kit_registration(); // after registry

    /// The registration succeeded: keep what it made.
    void commit() noexcept { made_.clear(); }

    /// The innermost registration the calling thread has active on `reg`, or null.
    static kit_registration* active(const registry* reg) noexcept {
        for (kit_registration* k = top(); k; k = k->outer_)
            if (k->reg_ == reg) return k;
        return nullptr;
    }

private:
    friend class vitals::registry;
    void reserve_one() { made_.reserve(made_.size() + 1); }
    void made(family_base* f) noexcept { made_.push_back(f); } // after reserve_one()

    // Whether this registration made `f` (and has not committed).
    bool made_here(const family_base* f) const noexcept {
        for (const family_base* m : made_)
            if (m == f) return true;
        return false;
    }

    VITALS_DETAIL_PROCESS_WIDE static kit_registration*& top() noexcept { // as scrape_scope's
        struct holder {
            kit_registration* innermost;
        };
        static thread_local holder h{nullptr};
        return h.innermost;
    }

    registry* reg_;
    kit_registration* outer_;
    std::vector<family_base*> made_;
};

} // namespace detail

/// Owns metric families (by name) and collectors, and renders them as one exposition.
///
/// Registering a name again with the same type, help, label names and options returns the
/// existing family; a different definition is errc::conflicting_registration, and a family
/// whose sample names would clash with another's (histogram `x` vs counter `x_count`) is
/// errc::name_collision. Throwing forms report errors through the error policy
/// (vitals::error, or the handler without exceptions); `try_` forms return a result.
/// All members are thread-safe; registration allocates, scrapes only read.
class registry {
public:
    /// Name of the counter family that counts lookups sent to overflow series.
    static constexpr std::string_view overflow_family_name = "vitals_series_overflow_total";

    /// A registry whose series record their creation time with the system clock.
    registry() : registry(&system_unix_time) {}

    /// A registry whose series record their creation time (OpenMetrics `_created`) with
    /// `clock` instead of the system clock (null: the system clock), e.g. for reproducible
    /// output in tests.
    explicit registry(unix_clock clock) : clock_(clock ? clock : &system_unix_time) {
        family_options opts;
        opts.max_series = ~std::size_t{0}; // vitals' own family is never capped
        opts.max_label_value_bytes = ~std::size_t{0};
        overflow_ =
            &add(metric_type::counter, overflow_family_name,
                 "Lookups of new label sets redirected to a family's overflow series because the "
                 "family reached its series bound or a label value was longer than its bound.",
                 {"family"}, std::move(opts), {}, false)
                 .value();
        // The names of vitals' own reports (see walk()) are taken, like registered ones: the
        // reserved_names() of each, the counter's `_created` included.
        static constexpr std::string_view own_reports[] = {
            collector_dropped_name, exemplars_dropped_name, "vitals_exemplars_dropped",
            "vitals_exemplars_dropped_created"};
        reserved_.reserve_more(std::size(own_reports));
        for (std::string_view n : own_reports) reserved_.insert(std::string(n));
    }
    registry(const registry&) = delete; // take a reference: auto& reg = vitals::default_registry()
    registry& operator=(const registry&) = delete;
    /// Stops every health_server still running over the registry (without their drain
    /// period), and tells every server ever started over it that it is gone (they refuse to
    /// start again), then destroys the families and collectors.
    ~registry() {
        for (;;) {
            detail::registry_server* s;
            {
                detail::exclusive_lock lock(servers_mutex_);
                s = servers_;
                if (!s) break;
                servers_ = s->next;
            }
            s->gone(s->owner); // may join a server thread, which scrapes: with no lock held
        }
        for (detail::family_base* f : families_) delete f;
        for (detail::family_base* f : withdrawn_) delete f;
        while (collectors_) delete std::exchange(collectors_, collectors_->next);
    }

    // Counters. A name without `_total` gets it appended in the exposition.

    /// A labelled counter family.
    counter_family& counter(std::string_view name, std::string_view help,
                            std::vector<std::string> label_names, family_options options = {}) {
        return try_counter(name, help, std::move(label_names), std::move(options)).value();
    }
    /// An unlabelled counter.
    vitals::counter& counter(std::string_view name, std::string_view help) {
        return try_counter(name, help).value();
    }
    result<counter_family> try_counter(std::string_view name, std::string_view help,
                                       std::vector<std::string> label_names,
                                       family_options options = {}) {
        return typed<vitals::counter>(
            add(metric_type::counter, name, help, std::move(label_names), std::move(options), {}));
    }
    result<vitals::counter> try_counter(std::string_view name, std::string_view help) {
        return single<vitals::counter>(add(metric_type::counter, name, help, {}, {}, {}));
    }
    /// counter() and try_counter() for label names written as a braced list: the same, except
    /// that a name/value pair `{{"version", "1.2"}}` does not compile (see braced_label_name).
    counter_family& counter(std::string_view name, std::string_view help,
                            std::initializer_list<detail::braced_label_name> label_names,
                            family_options options = {}) {
        return counter(name, help, detail::texts_of(label_names), std::move(options));
    }
    result<counter_family> try_counter(std::string_view name, std::string_view help,
                                       std::initializer_list<detail::braced_label_name> label_names,
                                       family_options options = {}) {
        return try_counter(name, help, detail::texts_of(label_names), std::move(options));
    }

    // Gauges.

    /// A labelled gauge family.
    gauge_family& gauge(std::string_view name, std::string_view help,
                        std::vector<std::string> label_names, family_options options = {}) {
        return try_gauge(name, help, std::move(label_names), std::move(options)).value();
    }
    /// An unlabelled gauge.
    vitals::gauge& gauge(std::string_view name, std::string_view help) {
        return try_gauge(name, help).value();
    }
    result<gauge_family> try_gauge(std::string_view name, std::string_view help,
                                   std::vector<std::string> label_names,
                                   family_options options = {}) {
        return typed<vitals::gauge>(
            add(metric_type::gauge, name, help, std::move(label_names), std::move(options), {}));
    }
    result<vitals::gauge> try_gauge(std::string_view name, std::string_view help) {
        return single<vitals::gauge>(add(metric_type::gauge, name, help, {}, {}, {}));
    }
    /// gauge() and try_gauge() for label names written as a braced list (see counter()).
    gauge_family& gauge(std::string_view name, std::string_view help,
                        std::initializer_list<detail::braced_label_name> label_names,
                        family_options options = {}) {
        return gauge(name, help, detail::texts_of(label_names), std::move(options));
    }
    result<gauge_family> try_gauge(std::string_view name, std::string_view help,
                                   std::initializer_list<detail::braced_label_name> label_names,
                                   family_options options = {}) {
        return try_gauge(name, help, detail::texts_of(label_names), std::move(options));
    }

    // Histograms. Bounds default to 10 ms .. 10 s (default_buckets()).

    /// A labelled histogram family; every series shares the bounds.
    histogram_family& histogram(std::string_view name, std::string_view help,
                                std::vector<std::string> label_names,
                                std::vector<double> bounds = default_buckets(),
                                family_options options = {}) {
        return try_histogram(name, help, std::move(label_names), std::move(bounds),
                             std::move(options))
            .value();
    }
    /// A labelled histogram family with default_buckets() and `options`.
    histogram_family& histogram(std::string_view name, std::string_view help,
                                std::vector<std::string> label_names, family_options options) {
        return histogram(name, help, std::move(label_names), default_buckets(), std::move(options));
    }
    /// An unlabelled histogram.
    vitals::histogram& histogram(std::string_view name, std::string_view help,
                                 std::vector<double> bounds = default_buckets()) {
        return try_histogram(name, help, std::move(bounds)).value();
    }
    /// histogram() for label names written as a braced list. Without it `{"method", "path"}`
    /// would be ambiguous: two `const char*` also build a std::vector<double> (iterator pair).
    /// Alone, its elements are never numbers, so that `{0}` is the one bound 0; followed by
    /// bounds, the list can only be label names, and a 0 or NULL in it does not compile.
    histogram_family&
    histogram(std::string_view name, std::string_view help,
              std::initializer_list<detail::braced_histogram_label_name> label_names) {
        return histogram(name, help, detail::texts_of(label_names));
    }
    histogram_family& histogram(std::string_view name, std::string_view help,
                                std::initializer_list<detail::braced_label_name> label_names,
                                std::vector<double> bounds, family_options options = {}) {
        return histogram(name, help, detail::texts_of(label_names), std::move(bounds),
                         std::move(options));
    }
    histogram_family& histogram(std::string_view name, std::string_view help,
                                std::initializer_list<detail::braced_label_name> label_names,
                                family_options options) {
        return histogram(name, help, detail::texts_of(label_names), default_buckets(),
                         std::move(options));
    }
    /// histogram() for bounds written as a braced list. Without it `{0.5}` would be ambiguous:
    /// one number also builds a std::vector<std::string> of that size. An array rather than a
    /// std::initializer_list, so that an empty `{}` (never valid bounds) is not taken for
    /// bounds: `histogram(name, help, {})` is the label names, as in counter() and gauge(),
    /// which gives a family without labels and with default_buckets().
    template <std::size_t N>
    vitals::histogram& histogram(std::string_view name, std::string_view help,
                                 const double (&bounds)[N]) {
        return try_histogram(name, help, bounds).value();
    }
    result<histogram_family> try_histogram(std::string_view name, std::string_view help,
                                           std::vector<std::string> label_names,
                                           std::vector<double> bounds = default_buckets(),
                                           family_options options = {}) {
        return typed<vitals::histogram>(add(metric_type::histogram, name, help,
                                            std::move(label_names), std::move(options),
                                            std::move(bounds)));
    }
    result<histogram_family> try_histogram(std::string_view name, std::string_view help,
                                           std::vector<std::string> label_names,
                                           family_options options) {
        return try_histogram(name, help, std::move(label_names), default_buckets(),
                             std::move(options));
    }
    result<vitals::histogram> try_histogram(std::string_view name, std::string_view help,
                                            std::vector<double> bounds = default_buckets()) {
        return single<vitals::histogram>(
            add(metric_type::histogram, name, help, {}, {}, std::move(bounds)));
    }
    /// try_histogram() for label names written as a braced list (see histogram()).
    result<histogram_family>
    try_histogram(std::string_view name, std::string_view help,
                  std::initializer_list<detail::braced_histogram_label_name> label_names) {
        return try_histogram(name, help, detail::texts_of(label_names));
    }
    result<histogram_family>
    try_histogram(std::string_view name, std::string_view help,
                  std::initializer_list<detail::braced_label_name> label_names,
                  std::vector<double> bounds, family_options options = {}) {
        return try_histogram(name, help, detail::texts_of(label_names), std::move(bounds),
                             std::move(options));
    }
    result<histogram_family>
    try_histogram(std::string_view name, std::string_view help,
                  std::initializer_list<detail::braced_label_name> label_names,
                  family_options options) {
        return try_histogram(name, help, detail::texts_of(label_names), default_buckets(),
                             std::move(options));
    }
    /// try_histogram() for bounds written as a braced list (see histogram()).
    template <std::size_t N>
    result<vitals::histogram> try_histogram(std::string_view name, std::string_view help,
                                            const double (&bounds)[N]) {
        return try_histogram_from(name, help, bounds, N);
    }

    // Info: a label set whose presence is the data. A name without `_info` gets it appended.

    /// An info family: each series (labels(...)) is one sample `<name>_info{...} 1`. Under
    /// OpenMetrics its type is info; in the text format 0.0.4 it is a gauge.
    info_family& info(std::string_view name, std::string_view help,
                      std::vector<std::string> label_names, family_options options = {}) {
        return try_info(name, help, std::move(label_names), std::move(options)).value();
    }
    result<info_family> try_info(std::string_view name, std::string_view help,
                                 std::vector<std::string> label_names,
                                 family_options options = {}) {
        return typed<vitals::info>(
            add(metric_type::info, name, help, std::move(label_names), std::move(options), {}));
    }
    /// info() and try_info() for label names written as a braced list (see counter()): the
    /// values come with labels(), `{{"version", "1.2"}}` does not compile.
    info_family& info(std::string_view name, std::string_view help,
                      std::initializer_list<detail::braced_label_name> label_names,
                      family_options options = {}) {
        return info(name, help, detail::texts_of(label_names), std::move(options));
    }
    result<info_family> try_info(std::string_view name, std::string_view help,
                                 std::initializer_list<detail::braced_label_name> label_names,
                                 family_options options = {}) {
        return try_info(name, help, detail::texts_of(label_names), std::move(options));
    }

    // Statesets: named boolean states, one sample per state labelled `<name>="<state>"`.

    /// A labelled stateset family over `states` (1 to 64 distinct names, each at most
    /// family_options::max_label_value_bytes long: a state is a label value). Its name is also
    /// the state label's name, so it must be a valid label name (no ':'). Under OpenMetrics
    /// its type is stateset; in the text format 0.0.4 it is a gauge.
    stateset_family& stateset(std::string_view name, std::string_view help,
                              std::vector<std::string> label_names, std::vector<std::string> states,
                              family_options options = {}) {
        return try_stateset(name, help, std::move(label_names), std::move(states),
                            std::move(options))
            .value();
    }
    /// An unlabelled stateset.
    vitals::stateset& stateset(std::string_view name, std::string_view help,
                               std::vector<std::string> states) {
        return try_stateset(name, help, std::move(states)).value();
    }
    result<stateset_family> try_stateset(std::string_view name, std::string_view help,
                                         std::vector<std::string> label_names,
                                         std::vector<std::string> states,
                                         family_options options = {}) {
        return typed<vitals::stateset>(add(metric_type::stateset, name, help,
                                           std::move(label_names), std::move(options), {}, true,
                                           std::move(states), &check_states));
    }
    result<vitals::stateset> try_stateset(std::string_view name, std::string_view help,
                                          std::vector<std::string> states) {
        return single<vitals::stateset>(add(metric_type::stateset, name, help, {}, {}, {}, true,
                                            std::move(states), &check_states));
    }
    /// stateset() and try_stateset() for label names written as a braced list (see counter()).
    stateset_family& stateset(std::string_view name, std::string_view help,
                              std::initializer_list<detail::braced_label_name> label_names,
                              std::vector<std::string> states, family_options options = {}) {
        return stateset(name, help, detail::texts_of(label_names), std::move(states),
                        std::move(options));
    }
    result<stateset_family>
    try_stateset(std::string_view name, std::string_view help,
                 std::initializer_list<detail::braced_label_name> label_names,
                 std::vector<std::string> states, family_options options = {}) {
        return try_stateset(name, help, detail::texts_of(label_names), std::move(states),
                            std::move(options));
    }
    /// stateset() and try_stateset() for states written as a braced list: the same, except
    /// that states in pairs `{{"on", "off"}}`, with a value `{{"on", true}}`, or a 0 or NULL do
    /// not compile (see braced_text). Label names and states each take the braced form of
    /// their own, so there is one overload per way of writing the two.
    vitals::stateset& stateset(std::string_view name, std::string_view help,
                               std::initializer_list<detail::braced_state> states) {
        return stateset(name, help, detail::texts_of(states));
    }
    stateset_family& stateset(std::string_view name, std::string_view help,
                              std::vector<std::string> label_names,
                              std::initializer_list<detail::braced_state> states,
                              family_options options = {}) {
        return stateset(name, help, std::move(label_names), detail::texts_of(states),
                        std::move(options));
    }
    stateset_family& stateset(std::string_view name, std::string_view help,
                              std::initializer_list<detail::braced_label_name> label_names,
                              std::initializer_list<detail::braced_state> states,
                              family_options options = {}) {
        return stateset(name, help, detail::texts_of(label_names), detail::texts_of(states),
                        std::move(options));
    }
    result<vitals::stateset> try_stateset(std::string_view name, std::string_view help,
                                          std::initializer_list<detail::braced_state> states) {
        return try_stateset(name, help, detail::texts_of(states));
    }
    result<stateset_family> try_stateset(std::string_view name, std::string_view help,
                                         std::vector<std::string> label_names,
                                         std::initializer_list<detail::braced_state> states,
                                         family_options options = {}) {
        return try_stateset(name, help, std::move(label_names), detail::texts_of(states),
                            std::move(options));
    }
    result<stateset_family>
    try_stateset(std::string_view name, std::string_view help,
                 std::initializer_list<detail::braced_label_name> label_names,
                 std::initializer_list<detail::braced_state> states, family_options options = {}) {
        return try_stateset(name, help, detail::texts_of(label_names), detail::texts_of(states),
                            std::move(options));
    }

    /// Adds a collector run at every scrape, after the registered families, in the order
    /// collectors were added. An empty collector is errc::invalid_argument, reported through
    /// the error policy. Allocates.
    void add_collector(collector fn) { add_collector(std::string_view(), std::move(fn)); }

    /// add_collector() with a name that identifies the collector in collector_failures()
    /// (an empty name reads "collector_N", N counting collectors from 1 in the order added).
    void add_collector(std::string_view name, collector fn) {
        if (!fn) detail::fail(status(errc::invalid_argument, "add_collector: empty collector"));
        if (detail::scrape_scope::inside(this))
            detail::fail(status(errc::invalid_argument, scraping_error("add a collector")));
        detail::exclusive_lock lock(mutex_);
        auto* node = new collector_node{std::move(fn), std::string(name), 0, {}, nullptr};
        if (node->name.empty()) {
            std::size_t n = 1;
            for (const collector_node* c = collectors_; c; c = c->next) ++n;
            node->name = "collector_" + std::to_string(n);
        }
        *collectors_tail_ = node;
        collectors_tail_ = &node->next;
    }

    /// Scrapes in which some collector threw, summed over collectors. Lock-free; a cheap test
    /// for whether collector_failures() has news.
    std::uint64_t collector_failure_count() const noexcept {
        return failure_count_.load(std::memory_order_relaxed);
    }

    /// The collectors that have thrown during a scrape, in the order added. A collector that
    /// throws loses the rest of its output for that scrape; the families and the other
    /// collectors are still written. Thread-safe; allocates.
    std::vector<collector_failure> collector_failures() const {
        const reader_lock lock(mutex_, turn());
        detail::exclusive_lock failures(failures_mutex_);
        // Counted, then filled by index: push_back made every file including this header
        // compile vector's reallocation for collector_failure.
        std::size_t n = 0;
        for (const collector_node* c = collectors_; c; c = c->next) n += c->failures != 0;
        std::vector<collector_failure> out(n);
        std::size_t i = 0;
        for (const collector_node* c = collectors_; c; c = c->next) {
            if (c->failures == 0) continue;
            out[i].name = c->name;
            out[i].count = c->failures;
            out[i].message = c->last_error;
            ++i;
        }
        return out;
    }

    /// Number of registered families (including vitals' own).
    std::size_t family_count() const {
        const reader_lock lock(mutex_, turn());
        return families_.size();
    }

    /// The gauge that counts what collectors wrote in a scrape and had dropped (see
    /// collector_output), shown after the collectors when it is not 0.
    static constexpr std::string_view collector_dropped_name = "vitals_collector_dropped";
    /// The counter of exemplars dropped in the process (vitals::exemplars_dropped()), shown
    /// when it is not 0.
    static constexpr std::string_view exemplars_dropped_name = "vitals_exemplars_dropped_total";

private:
    friend class collector_output;
    friend struct detail::registry_access;
    friend class detail::kit_registration;

    // try_histogram() for braced bounds, compiled once rather than once per count. Filled as
    // default_buckets() fills its own: vector's initializer_list constructor would be
    // compiled in every file including this header.
    result<vitals::histogram> try_histogram_from(std::string_view name, std::string_view help,
                                                 const double* bounds, std::size_t n) {
        std::vector<double> v;
        v.reserve(n);
        for (std::size_t i = 0; i < n; ++i) v.push_back(bounds[i]);
        return try_histogram(name, help, std::move(v));
    }

    // The read-only walk behind the exposition writers (write_text() and the others), which
    // reach it through detail::registry_access: every family in name order, then the
    // collectors, under the reader lock.
    //
    // A collector or the output's sink that renders this registry again gets its families
    // only: the collectors are running already (running them again would never end), and the
    // reader lock is this thread's already.
    void walk(detail::exposition_visitor& out) const {
        const bool nested = detail::scrape_scope::inside(this);
        // A top-level scrape holds no other lock, so it may wait for writers (else scrapes
        // overlapping back to back would keep them waiting); one inside another registry's
        // scrape holds that registry's lock, which a writer may be waiting for.
        const reader_lock lock(mutex_, nested ? detail::reader_turn::held_already
                                       : detail::scrape_scope::inside_any()
                                           ? detail::reader_turn::ahead
                                           : detail::reader_turn::after_writers);
        const detail::scrape_scope scope(this);
        for (const detail::family_base* f : families_) {
            out.family(*f);
            // What a thread recorded before a release fence and then into a family read
            // above is seen in the families read below: a scrape never shows a kit's error
            // without its request, run or item (kits::http_endpoint::count_error(), the job
            // and queue kits' errors). Free on x86.
            std::atomic_thread_fence(std::memory_order_acquire);
        }
        std::size_t dropped = 0;
        if (collectors_ && !nested) {
            collector_output co(*this, out);
            for (collector_node* c = collectors_; c; c = c->next) run_collector(*c, co);
            dropped = co.dropped();
        }
        // vitals' own reports of what it dropped, shown only once something was.
        if (dropped != 0) {
            out.collected_family(collector_dropped_name,
                                 "Families and samples the collectors wrote in this scrape "
                                 "that were dropped (invalid, clashing, repeated or past "
                                 "a family's max_series).",
                                 metric_type::gauge, {});
            out.collected_sample(collector_dropped_name, nullptr, 0, static_cast<double>(dropped));
        }
        if (const std::uint64_t exemplars = exemplars_dropped()) {
            out.collected_family(
                exemplars_dropped_name,
                "Exemplars dropped in this process because they broke a rule "
                "(label names, UTF-8, more than 128 characters, a timestamp not finite or past "
                "int64 milliseconds).",
                metric_type::counter, {});
            out.collected_sample(exemplars_dropped_name, nullptr, 0,
                                 static_cast<double>(exemplars));
        }
    }

    // What add() returns: the family, or why there is none.
    using added = result<detail::family_base>;

    template <class Metric>
    static result<family<Metric>> typed(const added& f) {
        if (!f) return f.error();
        return f->template handle<Metric>();
    }

    template <class Metric>
    static result<Metric> single(const added& f) {
        if (!f) return f.error();
        return f->template handle<Metric>().labels();
    }

    // The article of a type named in an error message: "a counter", "an info".
    static constexpr std::string_view article(metric_type type) noexcept {
        return type == metric_type::info ? "an " : "a ";
    }

    // A declared unit must be a name part that ends the family's name (before `_total`).
    static status check_unit(metric_type type, const std::string& name, const std::string& unit) {
        if (unit.empty()) return {};
        if (type == metric_type::info || type == metric_type::stateset)
            return {
                errc::invalid_argument,
                detail::message({"metric '", name, "' declares unit ", detail::message_value(unit),
                                 ", but ", article(type), type_name(type), " cannot have a unit"})};
        for (char c : unit)
            if (!(detail::is_name_char(c) || c == ':'))
                return {errc::invalid_argument,
                        detail::message({"metric '", name, "' declares unit ",
                                         detail::message_value(unit),
                                         ": a unit must match [a-zA-Z0-9_:]+"})};
        std::string_view base = name;
        if (type == metric_type::counter) base.remove_suffix(6); // "_total"
        if (base.size() <= unit.size() + 1 || !detail::ends_with(base, unit) ||
            base[base.size() - unit.size() - 1] != '_')
            return {errc::invalid_argument,
                    detail::message({"metric '", name, "' declares unit '", unit,
                                     "', so its name must end with '_", unit,
                                     type == metric_type::counter ? "' (before '_total')" : "'"})};
        return {};
    }

    // A stateset's state label is named after the family; its states are 1..64 distinct names.
    static status check_states(const std::string& name, const std::vector<std::string>& labels,
                               const family_options& options,
                               const std::vector<std::string>& states) {
        if (!detail::is_valid_label_name(name))
            return {errc::invalid_metric_name,
                    "stateset '" + name +
                        "': its name is also its state label's name, so it must match "
                        "[a-zA-Z_][a-zA-Z0-9_]* (no ':')"};
        for (const auto& l : labels)
            if (l == name)
                return {errc::duplicate_label_name,
                        "stateset '" + name + "' has a label named like itself (its state label)"};
        for (const auto& cl : options.const_labels)
            if (cl.first == name)
                return {errc::duplicate_label_name,
                        "stateset '" + name +
                            "' has a const label named like itself (its state label)"};
        if (states.empty() || states.size() > stateset::max_states)
            return {errc::invalid_argument, "stateset '" + name +
                                                "' needs 1 to 64 states, was given " +
                                                std::to_string(states.size())};
        // A state is the value of the state label, which an empty value would drop.
        for (const std::string& st : states)
            if (st.empty())
                return {errc::invalid_argument,
                        "stateset '" + name +
                            "' lists an empty state name (it is the value of "
                            "the label '" +
                            name + "', which may not be empty)"};
        // Compared as shown: states differing only in invalid UTF-8 would be written alike.
        std::vector<std::string> shown;
        shown.reserve(states.size());
        for (const std::string& st : states) shown.push_back(detail::replace_invalid_utf8(st));
        // A state is a label value of every series: held to the bound every label value keeps
        // (a bound of 0 is refused by add() with its own message).
        for (const std::string& st : shown)
            if (options.max_label_value_bytes != 0 && st.size() > options.max_label_value_bytes)
                return {
                    errc::invalid_argument,
                    detail::message({"stateset '", name, "' lists a state of ", number(st.size()),
                                     " bytes as shown, over max_label_value_bytes (",
                                     number(options.max_label_value_bytes), ")"})};
        for (std::size_t i = 0; i < states.size(); ++i)
            for (std::size_t k = 0; k < i; ++k)
                if (shown[k] == shown[i])
                    return {errc::invalid_argument,
                            "stateset '" + name + "' lists state " +
                                detail::message_value(shown[i]) + " twice" +
                                (states[k] == states[i] ? ""
                                                        : " (as shown, invalid UTF-8 "
                                                          "replaced by U+FFFD)")};
        return {};
    }

    // The sample names a family's exposition uses, which must be unique in the registry.
    // OpenMetrics also gives a counter's and a histogram's `<base>_created` to the family (a
    // parser rejects a gauge `x_created` beside a counter `x`), so those are reserved too.
    // (registry::reserved_for() tests the same names: change both together.)
    static std::vector<std::string> reserved_names(metric_type type, const std::string& name) {
        if (type == metric_type::counter) {
            std::string base(name.data(), name.size() - 6); // "x" of "x_total"
            return {base + "_created", base, name};
        }
        if (type == metric_type::info)
            return {std::string(name.data(), name.size() - 5), name}; // "x" and "x_info"
        if (type == metric_type::histogram)
            return {name, name + "_bucket", name + "_sum", name + "_count", name + "_created"};
        return {name};
    }

    // Error messages (registration failures only, so nothing here needs to be fast).

    // Built with message() and append(), not string operator+ chains and += of a char, whose
    // inlined code and extra library functions embedded builds count.
    static std::string list(const std::vector<std::string>& names) {
        std::string out = "[";
        for (const auto& n : names) out.append(out.size() > 1 ? ", " : "").append(n);
        out += "]";
        return out;
    }

    // Values a program chose (states, const label values, help) are shown with
    // message_value(): escaped and cut short. Names were checked before they get here.
    static std::string quoted_list(const std::vector<std::string>& values) {
        std::string out = "[";
        for (const auto& v : values)
            out.append(out.size() > 1 ? ", " : "").append(detail::message_value(v));
        out += "]";
        return out;
    }

    static std::string list(const std::vector<label>& labels) {
        std::string out = "[";
        for (const auto& l : labels)
            out += detail::message(
                {out.size() > 1 ? ", " : "", l.first, "=", detail::message_value(l.second)});
        out += "]";
        return out;
    }

    static std::string list(const std::vector<double>& bounds) {
        std::string out = "[";
        for (double b : bounds) {
            char num[detail::max_number_chars];
            if (out.size() > 1) out += ", ";
            out.append(num, detail::format_double(num, b));
        }
        out += "]";
        return out;
    }

    static std::string number(std::size_t v) {
        char num[detail::max_number_chars];
        return std::string(num, detail::format_uint(num, v));
    }

    // Whether two lists hold equal elements in the same order: vector's operator==, spelled
    // out, since its std::equal machinery was compiled in every file including this header.
    template <class T>
    static bool same(const std::vector<T>& a, const std::vector<T>& b) {
        if (a.size() != b.size()) return false;
        for (std::size_t i = 0; i < a.size(); ++i)
            if (!(a[i] == b[i])) return false;
        return true;
    }

    // How an existing family differs from a new definition of the same name, each difference
    // with the existing value first ("as a counter, not a gauge"); empty when they agree.
    static std::string differences(const detail::family_base& f, metric_type type,
                                   std::string_view help,
                                   const std::vector<std::string>& label_names,
                                   const family_options& options, const std::vector<double>& bounds,
                                   const std::vector<std::string>& states) {
        if (f.type() != type)
            return detail::message({"as ", article(f.type()), type_name(f.type()), ", not ",
                                    article(type), type_name(type)});
        std::string out;
        const auto add = [&out](const char* what, const std::string& had, const std::string& got) {
            out +=
                detail::message({out.empty() ? "with " : "; with ", what, " ", had, ", not ", got});
        };
        if (f.help() != help) {
            add("help", detail::message_value(f.help()), detail::message_value(help));
            // Texts alike beyond what a message shows would read as equal: say where they part.
            const std::string_view had = f.help();
            std::size_t at = 0;
            while (at < had.size() && at < help.size() && had[at] == help[at]) ++at;
            const bool cut = had.size() > detail::message_value_bytes ||
                             help.size() > detail::message_value_bytes;
            if (cut && at + 3 >= detail::message_value_bytes) // a cut may go back 3 bytes
                out += detail::message({" (the two differ from byte ", number(at), " on)"});
        }
        if (!same(f.label_names(), label_names))
            add("label names", list(f.label_names()), list(label_names));
        if (!same(f.options().const_labels, options.const_labels))
            add("const labels", list(f.options().const_labels), list(options.const_labels));
        if (f.options().max_series != options.max_series)
            add("max_series", number(f.options().max_series), number(options.max_series));
        if (f.options().max_label_value_bytes != options.max_label_value_bytes)
            add("max_label_value_bytes", number(f.options().max_label_value_bytes),
                number(options.max_label_value_bytes));
        if (f.options().unit != options.unit)
            add("unit", detail::message_value(f.options().unit),
                detail::message_value(options.unit));
        if (!same(f.bounds(), bounds)) add("buckets", list(f.bounds()), list(bounds));
        if (!same(f.states(), states)) add("states", quoted_list(f.states()), quoted_list(states));
        return out;
    }

    // How family `type` `name` comes to own `taken`, one of its reserved_names() other than
    // its name: "also owns its name without '_total', 'x'" or "exposes samples named 'x_sum'".
    static std::string ownership(metric_type type, const std::string& name,
                                 const std::string& taken, const char* expose) {
        const char* suffix = type == metric_type::counter ? "_total"
                             : type == metric_type::info  ? "_info"
                                                          : nullptr;
        if (suffix && taken.size() < name.size() &&
            std::string_view(name.data(), taken.size()) == taken)
            return detail::message({"also owns its name without '", suffix, "', '", taken, "'"});
        return detail::message({expose, " samples named '", taken, "'",
                                detail::ends_with(taken, "_created") ? " in OpenMetrics" : ""});
    }

    // Why a new family (`type` `name`) cannot have the sample name `taken`: which registered
    // family exposes it, and how each of the two comes to use it.
    std::string collision(metric_type type, const std::string& name,
                          const std::string& taken) const {
        std::string out = detail::message({type_name(type), " '", name, "'"});
        if (taken != name)
            out += detail::message({", which ", ownership(type, name, taken, "would expose"), ","});
        out += " clashes with the existing ";
        for (const detail::family_base* f : families_) {
            for (const std::string& n : reserved_names(f->type(), f->name())) {
                if (n != taken) continue;
                out += detail::message({type_name(f->type()), " '", f->name(), "'"});
                if (n != f->name())
                    out += detail::message(
                        {", which ", ownership(f->type(), f->name(), n, "exposes")});
                return out;
            }
        }
        if (const std::string* c = collected_entry(taken)) return out.append(c[collected_what]);
        return out.append(detail::message({"family exposing samples named '", taken, "'"}));
    }

    // Where `name` is, or would go, in the sorted families_.
    std::size_t family_index(std::string_view name) const {
        return detail::partition_index(families_.size(),
                                       [&](std::size_t i) { return families_[i]->name() < name; });
    }

    bool is_reserved(std::string_view sample_name) const noexcept {
        return reserved_.contains(sample_name);
    }

    // The label names, bounds and buckets of a family about to be made (add() adds its name
    // to the message).
    static status check_definition(metric_type type, const std::vector<std::string>& label_names,
                                   const family_options& options,
                                   const std::vector<double>& bounds) {
        std::vector<std::string> seen;
        for (const auto& ln : label_names) {
            status st = detail::check_label_name(ln, type == metric_type::histogram, seen);
            if (!st) return st;
            seen.push_back(ln);
        }
        for (const auto& cl : options.const_labels) {
            status st = detail::check_label_name(cl.first, type == metric_type::histogram, seen);
            if (!st) return st;
            seen.push_back(cl.first);
        }
        if (options.max_series == 0)
            return status(errc::invalid_argument, "max_series must be at least 1");
        if (options.max_label_value_bytes == 0)
            return status(errc::invalid_argument, "max_label_value_bytes must be at least 1");
        // Measured as shown, as labels() measures its values: each invalid UTF-8 byte is
        // written as the 3 bytes of U+FFFD.
        for (const auto& cl : options.const_labels)
            if (detail::shown_size(cl.second) > options.max_label_value_bytes)
                return status(errc::invalid_argument,
                              detail::message({"const label '", cl.first, "' has a value of ",
                                               number(detail::shown_size(cl.second)),
                                               " bytes as shown, over max_label_value_bytes (",
                                               number(options.max_label_value_bytes), ")"}));
        if (type == metric_type::histogram) return validate_buckets(bounds);
        return {};
    }

    // The stateset checks, given to add() by the stateset registrations alone, so that a
    // program registering no stateset does not link them (about 1 KiB on 32-bit ARM).
    using states_check = status (*)(const std::string& name, const std::vector<std::string>&,
                                    const family_options&, const std::vector<std::string>&);

    // Validates and registers a family; shared by every metric type so that it is compiled
    // once, not once per type.
    added add(metric_type type, std::string_view name_in, std::string_view help,
              std::vector<std::string> label_names, family_options options,
              std::vector<double> bounds, bool count_overflow = true,
              std::vector<std::string> states = {}, states_check check_states_of = nullptr) {
        if (!detail::is_valid_metric_name(name_in))
            return status(errc::invalid_metric_name,
                          detail::message({"invalid metric name ", detail::message_value(name_in),
                                           ": must match [a-zA-Z_:][a-zA-Z0-9_:]* and not "
                                           "start with '__'"}));
        std::string name(name_in);
        if (type == metric_type::counter && !detail::ends_with(name, "_total")) name += "_total";
        if (type == metric_type::info && !detail::ends_with(name, "_info")) name += "_info";
        // A counter `_total` (or an info `_info`) would be described as `# TYPE _total counter`
        // with the sample `_total`, which parsers reject: the family needs a name of its own.
        if ((type == metric_type::counter && std::string_view(name) == "_total") ||
            (type == metric_type::info && std::string_view(name) == "_info"))
            return status(errc::invalid_metric_name,
                          detail::message({"invalid metric name '", name, "': ", article(type),
                                           type_name(type), " needs a name before '", name, "'"}));
        // `_` becomes `__total` (`__info`): a name in the space reserved for internal use.
        if (!detail::is_valid_metric_name(name))
            return status(errc::invalid_metric_name,
                          detail::message({"invalid metric name '", name,
                                           "' (with its suffix): must not start with '__'"}));
        // A histogram `_` keeps its name but writes `__bucket`, `__sum` and `__count`.
        if (type == metric_type::histogram && name == "_")
            return status(errc::invalid_metric_name,
                          "invalid metric name '_': a histogram's samples would be named "
                          "'__bucket', '__sum' and '__count', which start with '__'");
        {
            status st = check_unit(type, name, options.unit);
            if (!st) return st;
        }
        if (check_states_of) {
            status st = check_states_of(name, label_names, options, states);
            if (!st) return st;
        }
        {
            // These checks' messages do not name the family: a program that registers many at
            // startup must be told which one is wrong.
            status st = check_definition(type, label_names, options, bounds);
            if (!st)
                return status(st.code(), detail::message({"metric '", name, "': ", st.message()}));
        }

        // A scrape on this thread (a collector, the output's sink) holds the reader lock: it
        // may find a family registered before, never make one.
        const bool scraping = detail::scrape_scope::inside(this);
        reader_lock look(mutex_,
                         scraping ? detail::reader_turn::held_already : detail::reader_turn::ahead);
        std::size_t pos = family_index(name);
        if (pos != families_.size() && families_[pos]->name() == name)
            return existing(*families_[pos], type, name, help, label_names, options, bounds,
                            states);
        if (scraping)
            return status(errc::invalid_argument,
                          scraping_error(detail::message({"register '", name, "'"})));
        look.release();
        detail::exclusive_lock lock(mutex_);
        pos = family_index(name); // another thread may have registered it meanwhile
        if (pos != families_.size() && families_[pos]->name() == name)
            return existing(*families_[pos], type, name, help, label_names, options, bounds,
                            states);
        std::vector<std::string> wanted = reserved_names(type, name);
        for (const auto& n : wanted)
            if (is_reserved(n)) return status(errc::name_collision, collision(type, name, n));

        // Allocate everything first, so that nothing below throws once the family is made.
        detail::reserve_more(families_, 1);
        reserved_.reserve_more(wanted.size());
        detail::kit_registration* kit = detail::kit_registration::active(this);
        if (kit) { // so that neither noting the family nor withdrawing it allocates
            kit->reserve_one();
            detail::reserve_more(withdrawn_, 1);
        }
        detail::family_base* fam =
            make_family(type, std::move(name), std::string(help), std::move(label_names),
                        std::move(options), std::move(bounds), std::move(states));
        if (count_overflow) fam->set_overflow_family(overflow_);
        fam->set_clock(clock_);
        detail::insert_at(families_, pos, fam);
        for (auto& n : wanted) reserved_.insert(std::move(n));
        if (kit) kit->made(fam);
        return *fam;
    }

    // The families a collector that vitals adds writes at every scrape (the cache kit's hit
    // rate, the process metrics), kept from registrations as a registered family's names
    // are: else a program's own family of such a name would silently replace the collector's
    // in every scrape. Their names are in reserved_ too, so that add() refuses them as it
    // does a family's; collected_ holds three strings per such name: the name (one of the
    // family's reserved_names()), what it is ("gauge 'x' (written at each scrape by ...)")
    // and who reserved it. (Strings, not a struct of them: embedded builds count the code of
    // one more vector type.)
    static constexpr std::size_t collected_what = 1, collected_writer = 2, collected_size = 3;

    // The entry of collected_ for `sample`, or null.
    static const std::string* find_collected(const registry& r, std::string_view sample) noexcept {
        for (std::size_t i = 0; i < r.collected_.size(); i += collected_size)
            if (r.collected_[i] == sample) return &r.collected_[i];
        return nullptr;
    }
    // find_collected(), once reserve_collected() has run: through a pointer it sets, so that a
    // program that reserves nothing does not link the search (embedded builds count the code).
    const std::string* collected_entry(std::string_view sample) const noexcept {
        return find_collected_ ? find_collected_(*this, sample) : nullptr;
    }

    // Reserves `families` for the collector `writer` names ("the cache kits of namespace
    // 'app'"), all or none. A name a registered family or another writer has is
    // errc::name_collision; one `writer` reserved before is fine when `again` (the cache
    // kits of one namespace share one collector), else errc::conflicting_registration.
    status reserve_collected(const std::vector<detail::collected_family>& families,
                             std::string_view writer, bool again) {
        if (detail::scrape_scope::inside(this))
            return status(errc::invalid_argument,
                          scraping_error("reserve names for " + std::string(writer)));
        detail::exclusive_lock lock(mutex_);
        find_collected_ = &find_collected;
        std::vector<std::string> reserving; // entries as in collected_
        for (const detail::collected_family& f : families) {
            const std::string what = std::string(type_name(f.type)) + " '" + f.name +
                                     "' (written at each scrape by " + std::string(writer) + ')';
            for (std::string& n : reserved_names(f.type, f.name)) {
                if (const std::string* c = find_collected(*this, n)) {
                    if (c[collected_writer] != writer)
                        return status(errc::name_collision,
                                      what + " clashes with the " + c[collected_what]);
                    if (!again)
                        return status(errc::conflicting_registration,
                                      std::string(writer) +
                                          " has added these families to this registry already");
                    continue;
                }
                if (is_reserved(n))
                    return status(errc::name_collision, collision(f.type, f.name, n));
                reserving.push_back(std::move(n));
                reserving.push_back(what);
                reserving.push_back(std::string(writer)); // push_back's, compiled already
            }
        }
        detail::reserve_more(collected_, reserving.size());
        reserved_.reserve_more(reserving.size() / collected_size);
        for (std::size_t i = 0; i < reserving.size(); i += collected_size)
            reserved_.insert(reserving[i]);
        for (std::string& c : reserving) collected_.push_back(std::move(c));
        return {};
    }

    // Takes back a family a kit's failed registration made (detail::kit_registration): it
    // leaves the exposition and frees its names. A family another registration found
    // meanwhile (another thread registering the same definition) stays listed, since that
    // caller records into it. A withdrawn one is kept alive, unlisted, until the registry is
    // destroyed. Never allocates (add() reserved the room).
    void withdraw(detail::family_base* f) noexcept {
        detail::exclusive_lock lock(mutex_);
        if (f->claimed_.load(std::memory_order_relaxed)) return;
        const std::size_t pos = family_index(f->name());
        if (pos == families_.size() || families_[pos] != f) return;
        // Moved down by hand: vector::erase is costly to compile, in every includer.
        for (std::size_t i = pos + 1; i < families_.size(); ++i) families_[i - 1] = families_[i];
        families_.pop_back();
        // Reserved names are unique: these are f's alone.
        reserved_.erase_if(
            [f](std::string_view n) { return reserved_for(f->type(), f->name(), n); });
        withdrawn_.push_back(f);
    }

    // Whether `r` is one of reserved_names(type, name), compared without building them.
    static bool reserved_for(metric_type type, std::string_view name, std::string_view r) {
        const auto is = [r](std::string_view stem, std::string_view suffix) {
            return r.size() == stem.size() + suffix.size() && r.substr(0, stem.size()) == stem &&
                   r.substr(stem.size()) == suffix;
        };
        switch (type) {
        case metric_type::counter: {
            const std::string_view base = name.substr(0, name.size() - 6); // without "_total"
            return r == name || r == base || is(base, "_created");
        }
        case metric_type::info:
            return r == name || r == name.substr(0, name.size() - 5); // and without "_info"
        case metric_type::histogram:
            return r == name || is(name, "_bucket") || is(name, "_sum") || is(name, "_count") ||
                   is(name, "_created");
        default:
            return r == name;
        }
    }

    // A registration of a name already registered: that family when it is the same, else why
    // not. Called under the reader lock at least.
    added existing(detail::family_base& f, metric_type type, const std::string& name,
                   std::string_view help, const std::vector<std::string>& label_names,
                   const family_options& options, const std::vector<double>& bounds,
                   const std::vector<std::string>& states) const {
        std::string diff = differences(f, type, help, label_names, options, bounds, states);
        if (diff.empty()) {
            // Handed to a caller other than the kit registration that made it (if one did):
            // from now on that caller may record into it, so withdraw() must leave it listed.
            const detail::kit_registration* kit = detail::kit_registration::active(this);
            if (!(kit && kit->made_here(&f)) && !f.claimed_.load(std::memory_order_relaxed))
                f.claimed_.store(true, std::memory_order_relaxed);
            return f;
        }
        return status(errc::conflicting_registration,
                      detail::message({"metric '", name, "' is already registered ", diff}));
    }

    static detail::family_base* make_family(metric_type type, std::string name, std::string help,
                                            std::vector<std::string> label_names,
                                            family_options options, std::vector<double> bounds,
                                            std::vector<std::string> states) {
        return new detail::family_base(type, std::move(name), std::move(help),
                                       std::move(label_names), std::move(options),
                                       std::move(bounds), std::move(states));
    }

    // Why something that needs the writer lock cannot be done now: the calling thread is
    // inside a scrape of this registry, which holds the reader lock until it ends.
    static std::string scraping_error(std::string_view what) {
        return detail::message(
            {"cannot ", what,
             " while this thread scrapes the same registry (from a collector or the "
             "output's sink): the scrape holds the registry's lock until it ends. Register "
             "before scraping, or write computed values through the collector_output"});
    }

    // How this thread takes the reader lock (a second shared lock on the same mutex can wait
    // forever for a writer queued in between, see detail::writer_first_mutex): not at all
    // inside a scrape of this registry (a collector asking for family_count()), else ahead of
    // waiting writers, since a collector may wait for this thread.
    detail::reader_turn turn() const noexcept {
        return detail::scrape_scope::inside(this) ? detail::reader_turn::held_already
                                                  : detail::reader_turn::ahead;
    }
    using reader_lock = detail::shared_lock_of;

    mutable detail::writer_first_mutex mutex_;
    std::vector<detail::family_base*> families_;             // owned; sorted by name
    const std::uint64_t serial_ = detail::registry_serial(); // see registry_access::serial()
    detail::name_set reserved_;                              // sample names in use
    // A list rather than a vector: one node per add_collector(), which is rare, and it keeps
    // std::vector<collector> from being compiled in every translation unit.
    struct collector_node {
        collector fn;
        std::string name;
        std::uint64_t failures; // guarded by failures_mutex_
        std::string last_error; // guarded by failures_mutex_
        collector_node* next;
    };

    // A collector that throws must not end the scrape (or, on a server thread, the program):
    // its failure is recorded and the exposition goes on with the next collector.
    // An exception from the output (the sink threw, the string could not grow) ends the
    // render: it is not the collector's failure, and the caller must see it.
    void run_collector(collector_node& c, collector_output& co) const {
        // Each collector starts with no family: samples it writes before its own family()
        // are dropped, never added to the family the previous collector (or one that threw
        // midway) left open.
        co.active_ = false;
#if VITALS_DETAIL_CAN_CATCH()
        try {
            c.fn(co);
        } catch (const std::exception& e) {
            if (co.out_.output_failed()) throw;
            record_failure(c, e.what());
        } catch (...) {
            if (co.out_.output_failed()) throw;
            record_failure(c, "unknown exception");
        }
        // The collector caught the output's exception itself and returned.
        if (co.out_.output_failed()) fail_output_in_collector();
#else
        c.fn(co);
#endif
    }

    [[noreturn]] VITALS_DETAIL_NOINLINE static void fail_output_in_collector() {
        static constexpr const char* message =
            "the output failed (its sink threw, or the string could not grow) during a "
            "collector, which caught the exception";
#if VITALS_HAS_EXCEPTIONS()
        throw std::runtime_error(message);
#else
        detail::fail(status(errc::invalid_argument, message)); // the policy: no throw
#endif
    }

    void record_failure(collector_node& c, const char* message) const noexcept {
        detail::exclusive_lock lock(failures_mutex_);
        ++c.failures;
        failure_count_.fetch_add(1, std::memory_order_relaxed);
#if VITALS_DETAIL_CAN_CATCH()
        try {
            // A new string moved in rather than assign(const char*), which links 400 bytes of
            // library code (string::_M_replace) into embedded builds for this alone.
            c.last_error = std::string(message);
        } catch (...) { // out of memory: the count still tells
        }
#else
        static_cast<void>(message);
#endif
    }

    mutable detail::shared_mutex failures_mutex_;
    mutable std::atomic<std::uint64_t> failure_count_{0};
    collector_node* collectors_ = nullptr; // owned, in the order added
    collector_node** collectors_tail_ = &collectors_;
    unix_clock clock_;
    detail::family_base* overflow_ = nullptr;     // vitals_series_overflow_total
    std::vector<detail::family_base*> withdrawn_; // owned; see withdraw()
    std::vector<std::string> collected_;          // see reserve_collected()
    const std::string* (*find_collected_)(const registry&, std::string_view) = nullptr;
    // Sizes of the last to_text() and to_openmetrics() results: the next ones reserve them.
    mutable std::atomic<std::size_t> last_text_size_{0};
    mutable std::atomic<std::size_t> last_openmetrics_size_{0};
    // The health_servers started over this registry, from their first start() to their
    // destruction. A lock of its own, under which nothing else is locked: a server destroyed
    // in a collector (mutex_ held for the scrape) takes it without waiting for mutex_.
    detail::shared_mutex servers_mutex_;
    detail::registry_server* servers_ = nullptr; // under servers_mutex_
};

namespace detail {
/// How the exposition writers reach a registry's read-only walk (registry::walk(), which is
/// not part of the public API).
struct registry_access {
    static void walk(const registry& reg, exposition_visitor& out) { reg.walk(out); }
    static std::uint64_t serial(const registry& reg) noexcept { return reg.serial_; }
    static status reserve_collected(registry& reg, const std::vector<collected_family>& families,
                                    std::string_view writer, bool again) {
        return reg.reserve_collected(families, writer, again);
    }
    static std::atomic<std::size_t>& last_text_size(const registry& reg) noexcept {
        return reg.last_text_size_;
    }
    static std::atomic<std::size_t>& last_openmetrics_size(const registry& reg) noexcept {
        return reg.last_openmetrics_size_;
    }
    /// A health_server over `reg` starts for the first time (true) or is destroyed before
    /// `reg` (false): the registry's destructor tells those still linked that it is gone.
    static void link_server(registry& reg, registry_server& s, bool link) {
        exclusive_lock lock(reg.servers_mutex_);
        if (link) {
            s.next = reg.servers_;
            reg.servers_ = &s;
            return;
        }
        for (registry_server** p = &reg.servers_; *p; p = &(*p)->next) {
            if (*p != &s) continue;
            *p = s.next;
            return;
        }
    }
};
} // namespace detail

inline bool collector_output::name_taken(std::string_view sample_name) const noexcept {
    // Names reserved for vitals' own collectors (see registry::reserve_collected()) are
    // theirs to write.
    return (owner_.is_reserved(sample_name) && !owner_.collected_entry(sample_name)) ||
           seen(sample_name);
}

inline collector_status collector_output::remember_label_set(const label_view* labels,
                                                             std::size_t count) {
    const std::uint64_t key = detail::hash_secret();
    std::uint64_t h = 1;
    for (const label_view* l = labels; l != labels + count; ++l) {
        // An empty value is no label to Prometheus: {} and {shard=""} are one series.
        if (l->second.empty()) continue;
        ++h;
        std::string shown; // only for values with invalid UTF-8
        std::string_view pair[2] = {l->first, l->second};
        if (detail::has_invalid_utf8(l->second)) {
            shown = detail::replace_invalid_utf8(l->second);
            pair[1] = shown;
        }
        // A sum: the order of labels is no matter. Each pair's hash is mixed first (see
        // hash_label_values_counted()): a="1",b="2" and a="2",b="1" then differ.
        h += detail::fold_multiply(detail::hash_label_values(pair, 2, key) ^ key,
                                   0x8ebc6af09c88c6e3ULL);
    }
    h = detail::fold_multiply(h ^ key, 0x9e3779b97f4a7c15ULL);
    // As a registered family's max_series, but past it a sample is dropped: a computed value
    // cannot share an overflow series. A collector reading its label values from the outside
    // (clients, tenants, files) so cannot grow a scrape without bound. A repeat is reported
    // as one also at the bound.
    const bool room = label_sets_.size() < max_series_;
    if (room ? !label_sets_.insert(h) : label_sets_.contains(h))
        return drop(errc::invalid_argument, "this family already has a sample with these labels");
    if (!room)
        return drop(errc::invalid_argument,
                    "the family has max_series samples already (see collector_output::family())");
    return {};
}

inline collector_status collector_output::family(std::string_view name, std::string_view help,
                                                 metric_type type, std::string_view unit,
                                                 std::size_t max_series) {
    active_ = false;
    label_sets_.clear(); // a new family: its label sets start empty
    max_series_ = max_series;
    if (static_cast<unsigned>(type) > static_cast<unsigned>(metric_type::stateset))
        return drop(errc::invalid_argument, "not a metric_type value");
    if (max_series == 0) return drop(errc::invalid_argument, "max_series must be at least 1");
    if (!detail::is_valid_metric_name(name))
        return drop(errc::invalid_metric_name, "invalid metric name");
    const std::string_view suffix = type == metric_type::counter ? "_total"
                                    : type == metric_type::info  ? "_info"
                                                                 : "";
    const bool add_suffix = !suffix.empty() && !detail::ends_with(name, suffix);
    name_size_ = name.size() + (add_suffix ? suffix.size() : 0);
    if (name_size_ <= sizeof name_buf_) {
        std::memcpy(name_buf_, name.data(), name.size());
        if (add_suffix) std::memcpy(name_buf_ + name.size(), suffix.data(), suffix.size());
    } else {
        name_long_.assign(name.data(), name.size());
        if (add_suffix) name_long_.append(suffix.data(), suffix.size());
    }
    const std::string_view full = this->name();
    const std::string_view base = full.substr(0, full.size() - suffix.size());
    if (!suffix.empty() && base.empty()) // `_total` alone: see registry::add()
        return drop(errc::invalid_metric_name,
                    "a counter or info needs a name before its _total or _info suffix");
    if (!detail::is_valid_metric_name(full)) // `_` made `__total`
        return drop(errc::invalid_metric_name, "with its suffix the name starts with '__'");
    if (type == metric_type::histogram && full == "_") // samples `__bucket`, `__sum`, ...
        return drop(errc::invalid_metric_name, "a histogram's sample names would start with '__'");
    if (type == metric_type::stateset && !detail::is_valid_label_name(full))
        return drop(errc::invalid_metric_name,
                    "a stateset's name is its state label's name: it must be a label name");
    if (!unit.empty()) {
        bool valid = type != metric_type::info && type != metric_type::stateset;
        for (char c : unit) valid = valid && (detail::is_name_char(c) || c == ':');
        if (!valid || base.size() <= unit.size() + 1 || !detail::ends_with(base, unit) ||
            base[base.size() - unit.size() - 1] != '_')
            return drop(errc::invalid_argument, "the name does not end with _<unit>, or the "
                                                "unit is invalid or not allowed for the type");
    }
    // Every sample name the family exposes must be free, and so must the `<base>_created`
    // that OpenMetrics gives counters and histograms (see registry::reserved_names()).
    if (name_taken(full) || (!suffix.empty() && name_taken(base)))
        return drop(errc::name_collision,
                    "the name is used by a registered family or earlier in this scrape");
    const std::string_view histogram_suffixes[] = {"_bucket", "_sum", "_count", "_created"};
    const std::string_view counter_suffixes[] = {"_created"};
    const std::string_view* more = type == metric_type::histogram ? histogram_suffixes
                                   : type == metric_type::counter ? counter_suffixes
                                                                  : nullptr;
    const std::size_t more_count = type == metric_type::histogram ? 4
                                   : type == metric_type::counter ? 1
                                                                  : 0;
    char buf[160];
    std::string long_buf; // only for names that do not fit buf
    const auto joined = [&](std::string_view s) {
        if (base.size() + s.size() > sizeof buf) {
            long_buf.assign(base.data(), base.size());
            long_buf.append(s.data(), s.size());
            return std::string_view(long_buf);
        }
        std::memcpy(buf, base.data(), base.size());
        std::memcpy(buf + base.size(), s.data(), s.size());
        return std::string_view(buf, base.size() + s.size());
    };
    for (std::size_t i = 0; i < more_count; ++i)
        if (name_taken(joined(more[i])))
            return drop(errc::name_collision,
                        "a sample name of the family (_bucket, _sum, _count or _created) is "
                        "used by a registered family or earlier in this scrape");
    for (std::size_t i = 0; i < more_count; ++i) remember(joined(more[i]));
    remember(full);
    if (!suffix.empty()) remember(base);
    out_.collected_family(full, help, type, unit);
    type_ = type;
    active_ = true;
    return {};
}

inline collector_status collector_output::check_labels(const label_view* labels,
                                                       std::size_t count) noexcept {
    if (!active_)
        return drop(errc::invalid_argument,
                    "no family: none started by this collector, or the last "
                    "family() was dropped");
    for (const label_view* l = labels; l != labels + count; ++l) {
        if (!detail::is_valid_label_name(l->first))
            return drop(errc::invalid_label_name, "invalid label name");
        if ((type_ == metric_type::histogram && l->first == "le") ||
            (type_ == metric_type::stateset && l->first == name()))
            return drop(errc::invalid_label_name,
                        "label name reserved by the type (le, or a stateset's own name)");
        for (const label_view* k = labels; k != l; ++k)
            if (k->first == l->first)
                return drop(errc::duplicate_label_name, "repeated label name");
    }
    return {};
}

inline collector_status collector_output::sample(double value, const label_view* labels,
                                                 std::size_t count) {
    const collector_status st = check_labels(labels, count);
    if (!st) return st;
    if (type_ == metric_type::histogram || type_ == metric_type::stateset)
        return drop(errc::invalid_argument,
                    "histogram and stateset families take histogram_sample / stateset_sample");
    // A counter's total is finite (its own inc() refuses an amount that would make it
    // infinite); rate() over an infinite one is NaN.
    if (type_ == metric_type::counter && (!detail::is_finite(value) || value < 0.0))
        return drop(errc::invalid_argument, "a counter's value must be finite and >= 0");
    if (type_ == metric_type::info && value != 1.0)
        return drop(errc::invalid_argument, "an info's value must be 1");
    if (const collector_status added = remember_label_set(labels, count); !added) return added;
    out_.collected_sample(name(), labels, count, value);
    return {};
}

inline collector_status
collector_output::histogram_sample(const std::vector<double>& bounds,
                                   const std::vector<std::uint64_t>& cumulative_counts, double sum,
                                   std::initializer_list<label_view> labels) {
    const collector_status st = check_labels(labels.begin(), labels.size());
    if (!st) return st;
    if (type_ != metric_type::histogram)
        return drop(errc::invalid_argument, "histogram_sample needs a histogram family");
    if (!validate_buckets(bounds).ok())
        return drop(errc::invalid_buckets, "bounds must be finite and strictly increasing");
    if (cumulative_counts.size() != bounds.size() + 1)
        return drop(errc::invalid_argument, "needs one count per bound plus the +Inf bucket");
    for (std::size_t i = 1; i < cumulative_counts.size(); ++i)
        if (cumulative_counts[i] < cumulative_counts[i - 1])
            return drop(errc::invalid_argument, "cumulative counts must not decrease");
    if (detail::is_nan(sum)) return drop(errc::invalid_argument, "the sum must not be NaN");
    if (const collector_status added = remember_label_set(labels.begin(), labels.size()); !added)
        return added;
    out_.collected_histogram(name(), labels.begin(), labels.size(), bounds.data(),
                             cumulative_counts.data(), bounds.size(), sum);
    return {};
}

inline collector_status
collector_output::stateset_sample(std::initializer_list<state_view> states,
                                  std::initializer_list<label_view> labels) {
    const collector_status st = check_labels(labels.begin(), labels.size());
    if (!st) return st;
    if (type_ != metric_type::stateset)
        return drop(errc::invalid_argument, "stateset_sample needs a stateset family");
    if (states.size() == 0) return drop(errc::invalid_argument, "a stateset needs states");
    for (const state_view& s : states)
        if (s.first.empty()) // the state label's value, which an empty value would drop
            return drop(errc::invalid_argument, "empty state name");
    // Compared as shown: states differing only in invalid UTF-8 would be written alike.
    for (auto s = states.begin(); s != states.end(); ++s)
        for (auto k = states.begin(); k != s; ++k)
            if (k->first == s->first ||
                ((detail::has_invalid_utf8(k->first) || detail::has_invalid_utf8(s->first)) &&
                 detail::replace_invalid_utf8(k->first) == detail::replace_invalid_utf8(s->first)))
                return drop(errc::invalid_argument, "repeated state");
    if (const collector_status added = remember_label_set(labels.begin(), labels.size()); !added)
        return added;
    out_.collected_stateset(name(), labels.begin(), labels.size(), states.begin(), states.size());
    return {};
}

detail::kit_registration::~kit_registration() {
    top() = outer_;
    for (std::size_t i = made_.size(); i-- > 0;) reg_->withdraw(made_[i]);
}

/// The process-wide registry: created on first use and never destroyed, so it is safe to
/// use from static initialisers and destructors of other objects. One per process also for
/// shared libraries built with -fvisibility=hidden (ELF); each Windows DLL has its own.
VITALS_DETAIL_PROCESS_WIDE inline registry& default_registry() {
    struct holder { // see VITALS_DETAIL_PROCESS_WIDE
        registry* const instance;
    };
    static const holder h{new registry()};
    return *h.instance;
}

VITALS_END_NAMESPACE

#endif // VITALS_REGISTRY_HPP

#include <cstddef>     // size_t
#include <cstdint>     // uint32_t, uint64_t
#include <cstring>     // memcpy
#include <string>      // string
#include <string_view> // string_view
#include <vector>      // vector

VITALS_BEGIN_NAMESPACE

/// The Content-Type of the OpenMetrics 1.0.0 text format. A view of a whole string literal, so
/// data() is null-terminated (as text_content_type's is).
inline constexpr std::string_view openmetrics_content_type =
    "application/openmetrics-text; version=1.0.0; charset=utf-8";

namespace detail {

/// Writes a registry's walk in the OpenMetrics 1.0.0 text format: metadata names without
/// the `_total` suffix of counters, `_created` samples for counters and histograms, and
/// `# EOF` at the end.
class openmetrics_writer final : public exposition_visitor {
public:
    explicit openmetrics_writer(out_buffer& out) noexcept : out_(out), lines_(out) {}

    static void render(const registry& reg, out_buffer& out) {
        openmetrics_writer w(out);
        registry_access::walk(reg, w);
        out.write("# EOF\n", 6);
    }

    void family(const family_base& f) override {
        const family_text& t = f.text();
        const std::string_view base = family_name(f.name(), f.type());
        bool any = false; // a family without visible series writes nothing
        f.for_each_series(
            [&](const series_node& s) {
                if (!any) {
                    write_metadata(base, f.help(), f.type(), f.options().unit);
                    any = true;
                }
                if (f.type() == metric_type::counter)
                    write_counter(f.name(), base, s);
                else if (f.type() == metric_type::histogram)
                    write_histogram(t, f.name(), f.bounds(), s);
                else
                    lines_.series_lines(f.type(), f.name(), t, s);
            },
            out_.pause_slot());
    }

    void collected_family(std::string_view name, std::string_view help, metric_type type,
                          std::string_view unit) override {
        write_metadata(family_name(name, type), help, type, unit);
    }

    void collected_sample(std::string_view name, const collected_label* labels, std::size_t n,
                          double value) override {
        lines_.collected_sample(name, labels, n, value);
    }

    void collected_histogram(std::string_view name, const collected_label* labels, std::size_t n,
                             const double* bounds, const std::uint64_t* cumulative, std::size_t nb,
                             double sum) override {
        // _sum and _count only where OpenMetrics allows them (see write_histogram()).
        lines_.collected_histogram(name, labels, n, bounds, cumulative, nb, sum,
                                   (nb == 0 || bounds[0] >= 0) && sum >= 0, true);
    }

    void collected_stateset(std::string_view name, const collected_label* labels, std::size_t n,
                            const collected_state* states, std::size_t ns) override {
        lines_.collected_stateset(name, labels, n, states, ns);
    }

    bool output_failed() const noexcept override { return out_.failed(); }

private:
    // The MetricFamily name: a counter's samples add `_total` to it, an info's `_info`.
    static std::string_view family_name(std::string_view name, metric_type type) noexcept {
        const std::string_view suffix = type == metric_type::counter ? "_total"
                                        : type == metric_type::info  ? "_info"
                                                                     : "";
        if (!suffix.empty() && name.size() > suffix.size() &&
            name.substr(name.size() - suffix.size()) == suffix)
            name.remove_suffix(suffix.size());
        return name;
    }

    // OpenMetrics escapes backslash, newline and double quote alike in HELP and label values.
    void write_metadata(std::string_view name, std::string_view help, metric_type type,
                        std::string_view unit) {
        out_.write("# HELP ", 7);
        out_.write(name);
        out_.put(' ');
        lines_.escaped(help, true);
        out_.write("\n# TYPE ", 8);
        out_.write(name);
        out_.put(' ');
        out_.write(type_name(type));
        out_.put('\n');
        if (unit.empty()) return;
        out_.write("# UNIT ", 7);
        out_.write(name);
        out_.put(' ');
        out_.write(unit);
        out_.put('\n');
    }

    // A creation time that is not a number (an injected clock returning NaN or an infinity)
    // is left out: `_created` is optional, and NaN says nothing about when counting began.
    void write_created(std::string_view base, const series_node& s) {
        const double created = s.created.load(std::memory_order_relaxed);
        if (VITALS_DETAIL_UNLIKELY(!is_finite(created))) return;
        out_.write(base);
        out_.write("_created", 8);
        if (!s.labels.empty()) {
            out_.put('{');
            out_.write(s.labels.view());
            out_.write("} ", 2);
        } else {
            out_.put(' ');
        }
        write_unix_time(created);
        out_.put('\n');
    }

    // A Unix time in seconds, to the microsecond: whole seconds, then up to six decimals
    // without trailing zeros. A few integer operations where the shortest round-trip form of
    // a double costs hundreds of instructions, and `_created` is on every counter and
    // histogram series. Series made together share their second, so its digits are kept
    // from the last time written. Times outside 0 .. 2^52 s (an odd injected clock) are
    // written as any double is.
    void write_unix_time(double t) {
        if (!(t >= 0.0 && t < 4503599627370496.0)) return out_.write_double(t);
        out_.write_formatted([&](char* out) { return format_unix_time(out, t); });
    }

    // write_unix_time() into `out` (max_number_chars bytes) for t in 0 .. 2^52.
    std::size_t format_unix_time(char* out, double t) noexcept {
        auto seconds = static_cast<std::uint64_t>(t);
        const double fraction = (t - static_cast<double>(seconds)) * 1e6;
        auto micros = static_cast<std::uint64_t>(fraction);
        if (fraction - static_cast<double>(micros) >= 0.5) ++micros; // to the nearest
        if (micros >= 1000000) { // rounded up to the next second
            ++seconds;
            micros -= 1000000;
        }
        if (seconds != last_seconds_ || last_seconds_size_ == 0) {
            last_seconds_ = seconds;
            last_seconds_size_ = format_uint(last_seconds_text_, seconds);
        }
        // Up to 16 digits below 2^52: one fixed-size copy, of which the digits count.
        std::memcpy(out, last_seconds_text_, 16);
        std::size_t n = last_seconds_size_;
        if (micros == 0) return n;
        out[n] = '.';
        format_six_digits(out + n + 1, micros);
        n += 6;
        while (out[n] == '0') --n; // micros is not 0: a digit after '.' is not 0
        return n + 1;
    }

    // ` # {a="x"} value timestamp` when bucket `index` of `slots` holds an exemplar that
    // follows the rules (the timestamp left out where shows_exemplar_timestamp() says); one
    // that does not is left out and counted (once) as dropped.
    void write_exemplar(const exemplar_slots& exemplars, std::size_t index) {
        if (VITALS_DETAIL_LIKELY(exemplars.empty())) return; // nearly every metric: no copy buffer
        write_recorded_exemplar(exemplars, index);
    }

    VITALS_DETAIL_NOINLINE void write_recorded_exemplar(const exemplar_slots& exemplars,
                                                        std::size_t index) {
        char bytes[exemplar_capacity];
        double value = 0.0, timestamp = 0.0;
        const exemplar_cell* cell = nullptr;
        std::uint32_t version = 0, recorded = 0;
        const std::size_t n =
            exemplars.read_latest(index, bytes, value, timestamp, &cell, &version, &recorded);
        if (n == 0) return;
        if (!valid_exemplar(bytes, n, timestamp)) {
            const_cast<exemplar_cell*>(cell)->count_invalid(version);
            return;
        }
        out_.write(" # ", 3);
        char sep = '{';
        for_each_exemplar_label(bytes, n, [&](std::string_view name, std::string_view text) {
            out_.put(sep);
            sep = ',';
            out_.write(name);
            out_.write("=\"", 2);
            lines_.escaped(text, true);
            out_.put('"');
        });
        out_.write("} ", 2);
        out_.write_double(value);
        if (!shows_exemplar_timestamp(timestamp, recorded)) return;
        out_.put(' ');
        out_.write_double(timestamp);
    }

    void write_counter(std::string_view name, std::string_view base, const series_node& s) {
        const counter& c = static_cast<const series<counter>&>(s).metric;
        lines_.name_labels(name, s.labels.view());
        if (c.is_whole())
            out_.write_uint(c.whole_value());
        else
            out_.write_double(c.value());
        write_exemplar(exemplar_access::of(c), 0);
        out_.put('\n');
        write_created(base, s);
    }

    void write_histogram(const family_text& t, std::string_view name,
                         const std::vector<double>& bounds, const series_node& s) {
        const histogram& h = static_cast<const series<histogram>&>(s).metric;
        const exemplar_slots& exemplars = exemplar_access::of(h);
        const std::size_t nb = bounds.size();
        std::uint64_t cumulative = 0;
        for (std::size_t i = 0; i <= nb; ++i) {
            cumulative += h.bucket_count(i);
            lines_.bucket_prefix(t, s, i, true);
            out_.write_uint(cumulative);
            write_exemplar(exemplars, i);
            out_.put('\n');
        }
        // OpenMetrics treats _sum as a counter: it is left out (with _count, which goes with
        // it) when a bucket bound is negative or the sum is negative or NaN (a -Inf
        // observation), where it would not be one.
        const double sum = h.sum();
        if ((nb == 0 || bounds[0] >= 0) && sum >= 0) {
            lines_.name_labels(t.count_name, s.labels.view());
            out_.write_uint(cumulative); // equal to the +Inf bucket by construction
            out_.put('\n');
            lines_.name_labels(t.sum_name, s.labels.view());
            out_.write_double(sum);
            out_.put('\n');
        }
        write_created(name, s);
    }

    out_buffer& out_;
    line_writer lines_;
    std::uint64_t last_seconds_ = 0; // see write_unix_time()
    std::size_t last_seconds_size_ = 0;
    char last_seconds_text_[max_number_chars] = {};
};

} // namespace detail

/// Appends the OpenMetrics 1.0.0 exposition of `reg` to `out` (same order as write_text(),
/// ending with `# EOF`). Reusing the same string (cleared) makes later calls allocation-free
/// once it has grown to fit. Thread-safe; runs concurrently with writers.
inline void write_openmetrics(const registry& reg, std::string& out) {
    detail::render_to_string(&detail::openmetrics_writer::render, reg, out);
}

/// Streams the OpenMetrics exposition of `reg` through `sink` in chunks of at most
/// `capacity` bytes, using the caller's `buffer` and no heap memory of its own. A null
/// `buffer` or a `capacity` of 0 uses 64 bytes of stack. A sink may throw to stop the render:
/// the exception reaches the caller, and the sink is not called again.
inline void write_openmetrics(const registry& reg, text_sink sink, void* context, char* buffer,
                              std::size_t capacity) {
    detail::render_to_sink(&detail::openmetrics_writer::render, reg, sink, context, buffer,
                           capacity);
}

/// Streams the OpenMetrics exposition of `reg` to a callable
/// `fn(const char* data, std::size_t size)`, through a 1 KiB buffer on the stack.
template <class Fn, class = detail::if_callable_sink<Fn>>
void write_openmetrics(const registry& reg, Fn&& fn) {
    detail::render_to_callable(&detail::openmetrics_writer::render, reg, fn);
}

/// The OpenMetrics exposition of `reg` as a new string. Allocates once: the string is sized
/// from the previous to_openmetrics() of the same registry. In a loop, write_openmetrics(reg,
/// out) into one string that is cleared and reused allocates nothing at all.
inline std::string to_openmetrics(const registry& reg) {
    return detail::render_to_new_string(&detail::openmetrics_writer::render, reg,
                                        detail::registry_access::last_openmetrics_size(reg));
}

VITALS_END_NAMESPACE

#endif // VITALS_EXPOSITION_OPENMETRICS_HPP
// #include <vitals/family.hpp>: inlined above
// #include <vitals/gauge.hpp>: inlined above
// #include <vitals/histogram.hpp>: inlined above
// #include <vitals/info.hpp>: inlined above
// #include <vitals/kits/build_info.hpp>
// vitals/kits/build_info.hpp - the `NS_build_info{version,...} 1` info metric.
// SPDX-License-Identifier: MIT
#ifndef VITALS_KITS_BUILD_INFO_HPP
#define VITALS_KITS_BUILD_INFO_HPP

// #include <vitals/config.hpp>: inlined above
// #include <vitals/detail/escape.hpp>: inlined above
// #include <vitals/detail/exclusive_lock.hpp>: inlined above
// #include <vitals/detail/kit_names.hpp>
// vitals/detail/kit_names.hpp - metric and label names shared by the kits.
// SPDX-License-Identifier: MIT
#ifndef VITALS_DETAIL_KIT_NAMES_HPP
#define VITALS_DETAIL_KIT_NAMES_HPP

// #include <vitals/config.hpp>: inlined above
// #include <vitals/detail/escape.hpp>: inlined above
// #include <vitals/detail/utf8.hpp>: inlined above
// #include <vitals/error.hpp>: inlined above
// #include <vitals/family.hpp>: inlined above

#include <initializer_list> // initializer_list
#include <string>           // string, to_string
#include <string_view>      // string_view
#include <vector>           // vector

VITALS_BEGIN_NAMESPACE
namespace detail {

/// `ns_name`, or just `name` when the namespace is empty. A namespace given with its
/// separator ("app_") gets no second one: "app_queue_length", not "app__queue_length".
/// Validation is left to the registry.
inline std::string kit_metric_name(std::string_view ns, std::string_view name) {
    std::string out;
    out.reserve(ns.size() + 1 + name.size());
    if (!ns.empty()) {
        out.append(ns.data(), ns.size());
        if (ns.back() != '_') out += '_';
    }
    out.append(name.data(), name.size());
    return out;
}

/// Checks a kit's const labels before the kit registers anything: valid names, none repeated
/// or named like one of the kit's own labels (`kit_labels`), and no `le` when the kit has a
/// histogram. The registry checks the same, family by family; checked here first, a kit
/// refused for its const labels registers nothing: no family is made only to be withdrawn.
inline status kit_check_const_labels(const std::vector<label>& const_labels,
                                     std::initializer_list<std::string_view> kit_labels,
                                     bool has_histogram) {
    // Strings, as registry::add() checks a family's labels: the same check_label_name(), and
    // no std::vector<std::string_view> members compiled for this alone in every includer.
    std::vector<std::string> seen;
    seen.reserve(kit_labels.size() + const_labels.size());
    for (const std::string_view k : kit_labels) seen.push_back(std::string(k));
    for (const label& l : const_labels) {
        status st = check_label_name(l.first, has_histogram, seen);
        if (!st) return st;
        seen.push_back(l.first);
    }
    return {};
}

/// Checks that a kit's options leave the unit empty: each kit declares the unit of each of its
/// families itself (`seconds` on its durations, `bytes` on the HTTP kit's sizes, none on the
/// counters and gauges), so one unit given for all of them fits none. `kind` names the kit
/// in the message (`cache`).
inline status kit_check_unit(const family_options& options, const char* kind, std::string_view ns) {
    if (options.unit.empty()) return {};
    return status(errc::invalid_argument,
                  std::string(kind) + " kit " + message_value(ns) +
                      ": family_options::unit must be empty (it is " + message_value(options.unit) +
                      "): the kit sets the unit of each of its families itself");
}

/// Checks that the options' max_label_value_bytes holds `own`, the longest label value the kit
/// writes itself (`unspecified`, `client_error`): the families would send every series with
/// it to their overflow series, so a job's runs or an endpoint's errors would all be counted
/// under `__overflow__`, their outcome or error type lost.
inline status kit_check_value_bytes(const family_options& options, const char* kind,
                                    std::string_view ns, std::string_view own) {
    if (options.max_label_value_bytes >= own.size()) return {};
    return status(errc::invalid_argument,
                  std::string(kind) + " kit " + message_value(ns) +
                      ": family_options::max_label_value_bytes must be at least " +
                      std::to_string(own.size()) + " (it is " +
                      std::to_string(options.max_label_value_bytes) +
                      "): the kit's own label "
                      "value '" +
                      std::string(own) + "' would go to the overflow series");
}

/// Checks the values of a cache or queue kit's const labels, which are label values of the
/// kit's series: one longer than the families' bound would be folded into their overflow
/// series, where two such kits would share counters while each showed its own hit rate. One
/// that is not valid UTF-8 is refused too: the families show it with U+FFFD in place of the
/// invalid bytes, so two kits whose values differ only there would share one series, while
/// the check for a second kit with the same labels compares the bytes and let both through.
/// `__overflow__` is refused as well: it names the overflow series, which the kits past the
/// families' series bound share, and a kit given it would count into theirs. So is an empty
/// value, which Prometheus reads as no label: the kit's series would not say which it is.
inline status kit_check_label_values(const std::vector<label>& const_labels,
                                     std::size_t max_bytes) {
    for (const label& l : const_labels) {
        if (l.second.empty())
            return status(errc::invalid_argument,
                          "the value of the kit's label '" + l.first +
                              "' is empty, which Prometheus reads as no label at all");
        if (l.second == overflow_label_value)
            return status(errc::invalid_argument,
                          "the value of the kit's label '" + l.first +
                              "' is '__overflow__', which is reserved: it labels the series "
                              "that the kits past the families' max_series share");
        if (l.second.size() > max_bytes)
            return status(errc::invalid_argument,
                          "the value of the kit's label '" + l.first + "' is longer than " +
                              std::to_string(max_bytes) + " bytes (max_label_value_bytes)");
        if (has_invalid_utf8(l.second))
            return status(errc::invalid_argument,
                          "the value of the kit's label '" + l.first + "' is not valid UTF-8");
    }
    return {};
}

} // namespace detail
VITALS_END_NAMESPACE

#endif // VITALS_DETAIL_KIT_NAMES_HPP
// #include <vitals/detail/shared_mutex.hpp>: inlined above
// #include <vitals/error.hpp>: inlined above
// #include <vitals/family.hpp>: inlined above
// #include <vitals/info.hpp>: inlined above
// #include <vitals/registry.hpp>: inlined above

#include <cstddef>     // size_t
#include <string>      // string
#include <string_view> // string_view
#include <utility>     // move
#include <vector>      // vector

VITALS_BEGIN_NAMESPACE
namespace detail {
/// Held while build information is registered: one per process, also for shared libraries
/// built with hidden symbols, which would otherwise each have their own (and a host and its
/// plugin could both register a build). Never destroyed: a registration may run at exit.
VITALS_DETAIL_PROCESS_WIDE inline shared_mutex& build_info_mutex() {
    struct holder { // see VITALS_DETAIL_PROCESS_WIDE
        shared_mutex* const m;
    };
    static const holder h{new shared_mutex()};
    return *h.m;
}

} // namespace detail

namespace kits {

/// Registers the info family `NS_build_info` with the labels `version` and then `extra` (in
/// the given order, e.g. {{"revision", "4f2a9c1"}, {"compiler", "gcc 12"}}) and its one
/// series: the usual way to expose a build's identity, joinable in PromQL with
/// `* on() group_left`. OpenMetrics shows it as `# TYPE NS_build info`; the text format 0.0.4
/// as the gauge `NS_build_info{version,...} 1`, the same sample either way. Returns the
/// series. Registering it again with the same arguments returns the same series. Errors: an
/// invalid namespace or label name, the same name registered with other labels, an empty
/// version or extra value (errc::invalid_argument: Prometheus reads `version=""` as no
/// `version` label, so the series would not say which build runs), a value
/// longer than the family's max_label_value_bytes as shown, with each invalid UTF-8 byte as
/// the 3 bytes of U+FFFD (errc::invalid_argument: it would be shown
/// as `__overflow__`), and (errc::conflicting_registration) another version or other extra
/// values than the family shows already, since two series would break the joins above: the
/// first stays, and a refused call adds nothing. Thread-safe: of two threads registering
/// different builds at once, exactly one succeeds. Allocates.
inline result<info> try_register_build_info(registry& reg, std::string_view ns,
                                            std::string_view version,
                                            const std::vector<label>& extra = {}) {
    std::vector<std::string> names{"version"};
    std::vector<std::string> values{std::string(version)};
    for (const auto& l : extra) {
        names.push_back(l.first);
        values.push_back(l.second);
    }
    // Checked before the family is registered: a refused call leaves nothing behind (a family
    // left with the labels of a refused call would refuse a corrected one with other extra
    // labels). The bound is that of the default options, with which the family is registered.
    const std::string name = detail::kit_metric_name(ns, "build_info");
    const std::size_t max_bytes = family_options().max_label_value_bytes;
    for (std::size_t i = 0; i < values.size(); ++i) {
        if (values[i].empty())
            return status(errc::invalid_argument,
                          "build information '" + name + "': the value of '" + names[i] +
                              "' is empty, which Prometheus reads as no label at all");
        // As shown, as the family measures it: else it would go to the overflow series.
        if (detail::shown_size(values[i]) > max_bytes)
            return status(errc::invalid_argument,
                          "build information '" + name + "': the value of '" + names[i] +
                              "' is longer than " + std::to_string(max_bytes) +
                              " bytes (max_label_value_bytes; invalid UTF-8 counts as the 3 "
                              "bytes of U+FFFD)");
    }
    auto fam = reg.try_info(name, "Build information; the value is always 1.", std::move(names));
    if (!fam) return fam.error();
    // One registration at a time, so that the check below and the series it allows are one
    // step: two threads with different builds cannot both see an empty family.
    const detail::exclusive_lock lock(detail::build_info_mutex());
    std::vector<std::string_view> views(values.size(), std::string_view());
    for (std::size_t i = 0; i < values.size(); ++i) views[i] = values[i];
    if (fam->size() != 0 &&
        !detail::include_family_hpp<void>::shows(*fam, views.data(), views.size()))
        return status(errc::conflicting_registration,
                      "build information '" + fam->name() +
                          "' is registered already with other values (version " +
                          detail::message_value(values[0]) + " now): a program has one build");
    return detail::include_family_hpp<void>::labels(*fam, views.data(), views.size());
}

/// try_register_build_info(), reporting errors through the error policy.
inline info& register_build_info(registry& reg, std::string_view ns, std::string_view version,
                                 const std::vector<label>& extra = {}) {
    return try_register_build_info(reg, ns, version, extra).value();
}

} // namespace kits
VITALS_END_NAMESPACE

#endif // VITALS_KITS_BUILD_INFO_HPP
// #include <vitals/kits/cache.hpp>
// vitals/kits/cache.hpp - ready cache metrics with a hit rate computed at scrape time: the
// registration of cache_metrics (the class itself is in <vitals/record/cache.hpp>).
// SPDX-License-Identifier: MIT
#ifndef VITALS_KITS_CACHE_HPP
#define VITALS_KITS_CACHE_HPP

// #include <vitals/config.hpp>: inlined above
// #include <vitals/counter.hpp>: inlined above
// #include <vitals/detail/kit_instances.hpp>
// vitals/detail/kit_instances.hpp - which label sets of a kit's families live kits own.
// SPDX-License-Identifier: MIT
#ifndef VITALS_DETAIL_KIT_INSTANCES_HPP
#define VITALS_DETAIL_KIT_INSTANCES_HPP

// #include <vitals/config.hpp>: inlined above
// #include <vitals/counter.hpp>: inlined above
// #include <vitals/detail/exclusive_lock.hpp>: inlined above
// #include <vitals/detail/kit_claim.hpp>
// vitals/detail/kit_claim.hpp - a kit object's hold on its labels, as light headers see it.
// SPDX-License-Identifier: MIT
#ifndef VITALS_DETAIL_KIT_CLAIM_HPP
#define VITALS_DETAIL_KIT_CLAIM_HPP

// #include <vitals/config.hpp>: inlined above

VITALS_BEGIN_NAMESPACE
namespace detail {

/// A kit object's place in the group of kits sharing its families: its const labels, claimed
/// while it lives. Defined by <vitals/detail/kit_instances.hpp>.
struct kit_claim;

/// Owns a kit's kit_claim and gives it up when the kit is destroyed. The release function is
/// set where kit_claim is complete, so a kit's destructor compiles in a translation unit that
/// sees neither <vector> nor the group's code. Not thread-safe (one per kit object).
class kit_claim_ref {
public:
    using release_fn = void (*)(kit_claim*) noexcept;

    kit_claim_ref() noexcept = default;
    kit_claim_ref(const kit_claim_ref&) = delete;
    kit_claim_ref& operator=(const kit_claim_ref&) = delete;
    ~kit_claim_ref() { reset(nullptr, nullptr); }

    /// Releases the claim held before and holds `claim` (freed by `release`) instead.
    void reset(kit_claim* claim, release_fn release) noexcept {
        if (claim_) release_(claim_);
        claim_ = claim;
        release_ = release;
    }
    kit_claim* get() const noexcept { return claim_; }

private:
    kit_claim* claim_ = nullptr;
    release_fn release_ = nullptr;
};

/// Owns the metrics a kit records into when its registration was refused (see the kits'
/// non-throwing constructors): each refused kit has its own, freed with it. The free function
/// is set where they are made, as for kit_claim_ref.
class kit_detached_ref {
public:
    using free_fn = void (*)(void*) noexcept;

    kit_detached_ref() noexcept = default;
    kit_detached_ref(const kit_detached_ref&) = delete;
    kit_detached_ref& operator=(const kit_detached_ref&) = delete;
    ~kit_detached_ref() {
        if (metrics_) free_(metrics_);
    }

    /// Holds `metrics` (freed by `free`); once per kit.
    void hold(void* metrics, free_fn free) noexcept {
        metrics_ = metrics;
        free_ = free;
    }

private:
    void* metrics_ = nullptr;
    free_fn free_ = nullptr;
};

} // namespace detail
VITALS_END_NAMESPACE

#endif // VITALS_DETAIL_KIT_CLAIM_HPP
// #include <vitals/detail/shared_mutex.hpp>: inlined above
// #include <vitals/error.hpp>: inlined above
// #include <vitals/family.hpp>: inlined above

#include <cstddef>      // size_t
#include <cstdint>      // uint64_t
#include <shared_mutex> // shared_mutex, shared_lock
#include <string>       // string
#include <string_view>  // string_view
#include <vector>       // vector

VITALS_BEGIN_NAMESPACE
namespace detail {

/// The instances of one kind of kit (cache, queue) on one namespace of one registry: the
/// label values each instance was given (its const labels), so that a second kit with the
/// same namespace and labels is refused instead of silently sharing the first one's series;
/// and, for the cache kit, the counters its scrape-time hit rate is computed from.
///
/// Groups are found in a process-wide table by a key: the address of one of the kit's
/// families, unique while the registry lives, and the registry's serial number (see
/// detail::registry_serial()), since a kit may outlive its registry and its group with it,
/// and a later registry's families may take the same addresses. A group is reference
/// counted: each kit object and each copy of a collector that reads it hold a reference, and
/// the last release removes it from the table. Thread-safe; everything here allocates,
/// nothing is on a hot path.
class kit_instances {
public:
    struct member {
        std::vector<label> labels;       // the instance's label names and values
        const counter* hits = nullptr;   // cache kit: the hit rate's inputs
        const counter* misses = nullptr; //
        bool claimed = false;            // a live kit object owns these labels
        member* next = nullptr;          // the next instance in label order
    };

    kit_instances(const kit_instances&) = delete;
    kit_instances& operator=(const kit_instances&) = delete;

    /// The group of `key` in the registry numbered `serial`, created when there is none (then
    /// `*created` is true). The caller owns one reference.
    static kit_instances* acquire(const void* key, std::uint64_t serial, bool* created) {
        table& t = groups();
        exclusive_lock lock(t.mutex);
        for (kit_instances* g = t.first; g; g = g->next_) {
            if (g->key_ == key && g->serial_ == serial) {
                ++g->refs_;
                *created = false;
                return g;
            }
        }
        auto* g = new kit_instances(key, serial);
        g->next_ = t.first;
        t.first = g;
        *created = true;
        return g;
    }

    /// Another reference to this group (a copied collector).
    void add_ref() {
        table& t = groups();
        exclusive_lock lock(t.mutex);
        ++refs_;
    }

    /// Drops one reference; the last one deletes the group.
    void release() noexcept {
        table& t = groups();
        exclusive_lock lock(t.mutex);
        if (--refs_ != 0) return;
        for (kit_instances** link = &t.first; *link; link = &(*link)->next_) {
            if (*link == this) {
                *link = next_;
                break;
            }
        }
        delete this;
    }

    /// Claims the instance with these labels for a live kit object, or says why not: a live
    /// kit already has them (errc::conflicting_registration, the message naming `what`).
    /// A released instance is taken over, counters and all. Past `max_members` instances
    /// (the kit families' series bound, whose overflow series the kit's lookups then
    /// returned), the kit joins one shared instance whose label values are all
    /// `__overflow__` instead, claiming nothing (`*shared` is then true): the group, like
    /// the families, stays bounded however many label sets kits bring.
    /// `example` shows const labels that would tell this kit's instances apart.
    status claim(const std::vector<label>& labels, const counter* hits, const counter* misses,
                 const std::string& what, const char* example, std::size_t max_members,
                 bool* shared) {
        *shared = false;
        exclusive_lock lock(mutex_);
        member** link = find(labels);
        if (*link && compare((*link)->labels, labels) == 0) {
            if ((*link)->claimed)
                return status(errc::conflicting_registration,
                              what +
                                  " is already used by another kit object on this registry; "
                                  "give each instance its own const labels (for example " +
                                  example + ")");
            (*link)->claimed = true;
            return {};
        }
        auto* m = new member{labels, hits, misses, true, nullptr};
        if (size_ >= max_members) {
            *shared = true;
            for (label& l : m->labels) l.second = std::string(overflow_label_value);
            m->claimed = false;
            link = find(m->labels);
            if (*link && compare((*link)->labels, m->labels) == 0) {
                delete m;
                return {};
            }
        }
        m->next = *link;
        *link = m;
        ++size_;
        return {};
    }

    /// Gives the instance with these labels up (its series stay, and so does its hit rate).
    void unclaim(const std::vector<label>& labels) noexcept {
        exclusive_lock lock(mutex_);
        for (member* m = first_; m; m = m->next)
            if (compare(m->labels, labels) == 0) m->claimed = false;
    }

    /// Calls `fn(const member&)` for every instance, sorted by label values, under a reader
    /// lock: `fn` must not call back into this group.
    template <class Fn>
    void for_each(Fn&& fn) const {
        std::shared_lock<std::shared_mutex> lock(mutex_);
        for (const member* m = first_; m; m = m->next) fn(*m);
    }

private:
    // How two label lists sort: by name, then value, label by label, the shorter list first
    // when one starts the other (std::vector<label>'s operator<, written out: the containers'
    // comparison operators are costly to compile). Negative, zero or positive.
    static int compare(const std::vector<label>& a, const std::vector<label>& b) noexcept {
        const std::size_t n = a.size() < b.size() ? a.size() : b.size();
        for (std::size_t i = 0; i < n; ++i) {
            if (const int c = a[i].first.compare(b[i].first)) return c;
            if (const int c = a[i].second.compare(b[i].second)) return c;
        }
        return a.size() < b.size() ? -1 : a.size() > b.size() ? 1 : 0;
    }

    // The link that points at the first instance not sorted before `labels` (null at the end).
    // Groups and their instances are linked lists: a few kits each, and nothing here is on a
    // hot path.
    member** find(const std::vector<label>& labels) {
        member** link = &first_;
        while (*link && compare((*link)->labels, labels) < 0) link = &(*link)->next;
        return link;
    }

    struct table {
        shared_mutex mutex;
        kit_instances* first = nullptr;
    };
    // Never destroyed, so kits in static objects may release their groups at exit. One per
    // process, also for shared libraries built with hidden symbols: with a table per library,
    // a host's cache kit and its plugin's, in one namespace of one registry, made two groups,
    // each with its own hit-rate collector (the family written twice in every scrape), and
    // the same labels in both went unnoticed.
    VITALS_DETAIL_PROCESS_WIDE static table& groups() {
        struct holder { // see VITALS_DETAIL_PROCESS_WIDE
            table* const t;
        };
        static const holder h{new table()};
        return *h.t;
    }

    kit_instances(const void* key, std::uint64_t serial) : key_(key), serial_(serial) {}
    ~kit_instances() {
        while (member* m = first_) {
            first_ = m->next;
            delete m;
        }
    }

    const void* key_;
    std::uint64_t serial_;
    std::size_t refs_ = 1;          // guarded by the table's mutex
    kit_instances* next_ = nullptr; // the next group of the table, guarded by its mutex
    mutable shared_mutex mutex_;
    member* first_ = nullptr; // the instances, sorted by labels
    std::size_t size_ = 0;    // how many
};

/// A reference to a kit_instances group that copies and releases with the object holding it.
class kit_instances_ref {
public:
    kit_instances_ref() noexcept = default;
    kit_instances_ref(const kit_instances_ref& other) : g_(other.g_) {
        if (g_) g_->add_ref();
    }
    kit_instances_ref& operator=(const kit_instances_ref&) = delete;
    ~kit_instances_ref() {
        if (g_) g_->release();
    }
    /// Holds `g` (already referenced) instead, releasing the group held before.
    void reset(kit_instances* g) noexcept {
        if (g_) g_->release();
        g_ = g;
    }
    kit_instances* operator->() const noexcept { return g_; }

private:
    kit_instances* g_ = nullptr;
};

/// A kit object's place in its group: the group, held while the kit lives, and the labels it
/// claimed there, given up when the kit is destroyed (see kit_claim_ref).
struct kit_claim {
    kit_instances_ref group;
    std::vector<label> labels;
    bool claimed = false;

    /// Joins the group of `key` for the kit that owns `ref`, with the kit's const labels `own`
    /// (see kit_instances::acquire for `key`, `serial` and `created`); the kit holds the group
    /// from then on, claimed or not.
    static kit_claim& join(kit_claim_ref& ref, const void* key, std::uint64_t serial,
                           const std::vector<label>& own, bool* created) {
        // The labels are copied first: nothing may throw once they are claimed.
        auto* c = new kit_claim{kit_instances_ref(), own, false};
        ref.reset(c, &release);
        c->group.reset(kit_instances::acquire(key, serial, created));
        return *c;
    }

    /// Claims the kit's labels in the group (see kit_instances::claim); on success the kit
    /// gives them up when destroyed. Past `max_members` the kit shares the overflow instance
    /// and claims nothing.
    status claim(const counter* hits, const counter* misses, const std::string& what,
                 const char* example, std::size_t max_members) {
        bool shared = false;
        status st = group->claim(labels, hits, misses, what, example, max_members, &shared);
        claimed = st.ok() && !shared;
        return st;
    }

    static void release(kit_claim* c) noexcept {
        if (c->claimed) c->group->unclaim(c->labels);
        delete c;
    }
};

/// The label names of a kit's const labels, in order (the kit families' label names).
inline std::vector<std::string> kit_label_names(const std::vector<label>& labels) {
    std::vector<std::string> names;
    names.reserve(labels.size());
    for (const label& l : labels) names.push_back(l.first);
    return names;
}

/// How an error message names a kit instance: `cache kit "app" {cache="users"}`.
inline std::string kit_description(const char* kind, std::string_view ns,
                                   const std::vector<label>& labels) {
    std::string out = std::string(kind) + " kit \"" + std::string(ns) + '"';
    char sep = '{';
    for (const label& l : labels) {
        out += sep;
        sep = ',';
        out += l.first + "=\"" + l.second + '"';
    }
    if (!labels.empty()) out += '}';
    return out;
}

/// The label values of a kit's const labels, in order (its series in the kit families).
inline std::vector<std::string> kit_label_values(const std::vector<label>& labels) {
    std::vector<std::string> values;
    values.reserve(labels.size());
    for (const label& l : labels) values.push_back(l.second);
    return values;
}

} // namespace detail
VITALS_END_NAMESPACE

#endif // VITALS_DETAIL_KIT_INSTANCES_HPP
// #include <vitals/detail/kit_names.hpp>: inlined above
// #include <vitals/family.hpp>: inlined above
// #include <vitals/gauge.hpp>: inlined above
// #include <vitals/record/cache.hpp>
// vitals/record/cache.hpp - the cache kit's class, with its recording calls, for code that only
// records; registering the kit and its scrape-time hit rate are in <vitals/kits/cache.hpp>.
// SPDX-License-Identifier: MIT
#ifndef VITALS_RECORD_CACHE_HPP
#define VITALS_RECORD_CACHE_HPP

// #include <vitals/config.hpp>: inlined above
// #include <vitals/counter.hpp>: inlined above
// #include <vitals/detail/kit_claim.hpp>: inlined above
// #include <vitals/record/gauge.hpp>: inlined above

#include <cstdint>     // uint64_t
#include <string_view> // string_view

VITALS_BEGIN_NAMESPACE

class registry;
struct family_options;
class status;

namespace detail {
/// Defined by <vitals/kits/cache.hpp>: registering the cache kit's families. A translation
/// unit that includes only the light headers and constructs a cache_metrics fails to compile
/// naming this type.
template <class Full>
struct include_cache_hpp;

/// hits / (hits + misses), or 0 with no lookups.
inline double cache_hit_ratio(const counter& hits, const counter& misses) noexcept {
    const double h = hits.value();
    const double total = h + misses.value();
    return total > 0.0 ? h / total : 0.0;
}
} // namespace detail

namespace kits {

/// The cache metric set of the catalogue, under a namespace prefix `NS`:
///
/// - `NS_cache_hits_total`, `NS_cache_misses_total`, `NS_cache_evictions_total` counters
/// - `NS_cache_size` gauge (entries, or whatever unit the cache counts in)
/// - `NS_cache_hit_rate` gauge: hits / (hits + misses) since start, a ratio 0..1, computed
///   from the two counters at every scrape (a collector), so it can never disagree with
///   them. With no lookups yet it is 0, not NaN. For a rate over a recent window use
///   PromQL: `rate(NS_cache_hits_total[5m]) / (rate(NS_cache_hits_total[5m]) +
///   rate(NS_cache_misses_total[5m]))`.
///
/// A service with several caches gives each kit the same namespace and its own const labels,
/// `options.const_labels` (for example {{"cache", "users"}} and {{"cache", "sessions"}}):
/// every family then has those label names and one series per cache, and the hit rate one
/// sample per cache. `options.max_series` bounds the number of caches: past it a kit
/// records into the families' overflow series (label values `__overflow__`), shared with
/// every other kit past it (so it is not refused as a duplicate), and the hit rate shows
/// one `__overflow__` sample for them all; a kit given the value `__overflow__` itself, an
/// empty value (Prometheus reads it as no label), one longer than max_label_value_bytes or
/// one that is not valid UTF-8 (either would share a series with other kits) is refused
/// (errc::invalid_argument). An empty namespace drops the prefix.
///
/// Registration reports errors through the error policy: an invalid namespace or label, a
/// unit in the options (errc::invalid_argument: the kit sets its families' units itself), a
/// family of the same name defined differently (other const label names, another type), or
/// a second live kit with the same namespace and the same const labels on the registry
/// (errc::conflicting_registration: it would silently share the first one's counters). The
/// constructor taking a `status&` is the non-throwing form. A kit that is destroyed gives
/// its labels up: a later kit with the same labels continues its counters. The registry
/// must outlive the kit; the hit rate stays in the exposition after the kit is gone.
/// Recording is thread-safe, lock-free and does not allocate; construction allocates.
///
/// The recording calls and the series accessors work with only <vitals/record.hpp>; the
/// constructors are defined by <vitals/kits/cache.hpp>.
class cache_metrics {
public:
    /// Registers the families of namespace `kit_namespace` (or joins them) and takes the
    /// series of the cache named by `kit_options.const_labels`. Errors go through the error
    /// policy.
    // Templates, defined by <vitals/kits/cache.hpp>. Their parameters have names a program is
    // unlikely to give a global: GCC's -Wshadow compares a constructor template's parameters
    // with the names visible where it is instantiated, in the program's code.
    template <class Full = void>
    cache_metrics(registry& kit_registry, std::string_view kit_namespace) {
        detail::include_cache_hpp<Full>::make(*this, kit_registry, kit_namespace, {});
    }
    template <class Full = void>
    cache_metrics(registry& kit_registry, std::string_view kit_namespace,
                  const family_options& kit_options) {
        detail::include_cache_hpp<Full>::make(*this, kit_registry, kit_namespace, kit_options);
    }
    /// The non-throwing form: on failure `kit_error` says why and the kit records into metrics
    /// of its own that no registry shows (freed with the kit).
    template <class Full = void>
    cache_metrics(registry& kit_registry, std::string_view kit_namespace,
                  const family_options& kit_options, status& kit_error) {
        kit_error =
            detail::include_cache_hpp<Full>::init(*this, kit_registry, kit_namespace, kit_options);
    }

    cache_metrics(const cache_metrics&) = delete;
    cache_metrics& operator=(const cache_metrics&) = delete;
    ~cache_metrics() = default; // claim_ gives the labels up

    /// Counts `n` lookups that hit.
    void hit(std::uint64_t n = 1) noexcept { hits_->inc_by(n); }
    /// Counts `n` lookups that missed.
    void miss(std::uint64_t n = 1) noexcept { misses_->inc_by(n); }
    /// Counts `n` entries evicted (removed to make room): `NS_cache_evictions_total`.
    void eviction(std::uint64_t n = 1) noexcept { evictions_->inc_by(n); }
    /// The earlier name of eviction(); same effect.
    void evicted(std::uint64_t n = 1) noexcept { eviction(n); }
    /// Sets the current cache size.
    void set_size(double entries) noexcept { size_->set(entries); }

    /// hits / (hits + misses) now: the value the next scrape shows; 0 with no lookups.
    double hit_rate() const noexcept { return detail::cache_hit_ratio(*hits_, *misses_); }

    /// The series behind the recording calls (`NS_cache_hits_total` and so on).
    counter& hits() noexcept { return *hits_; }
    counter& misses() noexcept { return *misses_; }
    counter& evictions() noexcept { return *evictions_; }
    gauge& size() noexcept { return *size_; }

private:
    template <class Full>
    friend struct detail::include_cache_hpp;

    counter* hits_ = nullptr;
    counter* misses_ = nullptr;
    counter* evictions_ = nullptr;
    gauge* size_ = nullptr;
    detail::kit_detached_ref detached_; // what a refused kit records into
    detail::kit_claim_ref claim_;       // this kit's labels in the group of caches of its namespace
};

} // namespace kits
VITALS_END_NAMESPACE

#endif // VITALS_RECORD_CACHE_HPP
// #include <vitals/registry.hpp>: inlined above

#include <cstddef>     // size_t
#include <string>      // string
#include <string_view> // string_view
#include <vector>      // vector

VITALS_BEGIN_NAMESPACE
namespace detail {

/// Writes NS_cache_hit_rate with one sample per cache of the group, at every scrape.
struct cache_hit_rate_collector {
    kit_instances_ref group;
    std::string name;
    void operator()(collector_output& out) const {
        if (!out.family(name,
                        "Cache hits over lookups (hits + misses) since start, 0..1; 0 "
                        "before the first lookup.",
                        metric_type::gauge))
            return;
        // Copied under the group's lock and written after it: the output's sink may wait for
        // another thread's nested render, and where std::shared_mutex queues new readers
        // behind a waiting writer (a cache kit being destroyed), that render would wait here.
        std::vector<std::string> texts; // each cache's label names and values, in turn
        std::vector<std::size_t> ends;  // where each cache's labels end in `texts`
        std::vector<double> ratios;
        group->for_each([&](const kit_instances::member& m) {
            for (const label& l : m.labels) {
                texts.push_back(l.first);
                texts.push_back(l.second);
            }
            const std::size_t i = ratios.size();
            detail::grow_to_index(ends, i, 8); // not push_back: see grow_to_index
            ends[i] = texts.size();
            ratios.push_back(cache_hit_ratio(*m.hits, *m.misses));
        });
        // Up to 8 labels a cache (nearly always) are viewed on the stack; more, on the heap
        // (an array, not a std::vector of views, whose members every file including this
        // header would instantiate).
        constexpr std::size_t inline_labels = 8;
        collector_output::label_view views[inline_labels];
        struct heap_views {
            collector_output::label_view* data = nullptr;
            ~heap_views() { delete[] data; }
        } more;
        std::size_t begin = 0;
        for (std::size_t i = 0; i < ratios.size(); begin = ends[i++]) {
            const std::size_t count = (ends[i] - begin) / 2;
            collector_output::label_view* v = views;
            if (count > inline_labels) {
                if (!more.data) // room for any cache's labels: all of them
                    more.data = new collector_output::label_view[texts.size() / 2];
                v = more.data;
            }
            for (std::size_t k = 0; k < count; ++k)
                v[k] = {texts[begin + 2 * k], texts[begin + 2 * k + 1]};
            out.sample(ratios[i], v, count);
        }
    }
};

/// The cache kit's registration (see record/cache.hpp).
template <class Full>
struct include_cache_hpp {
    static void make(kits::cache_metrics& kit, registry& reg, std::string_view ns,
                     const family_options& options) {
        const status st = init(kit, reg, ns, options);
        if (!st) fail(st);
    }

    // What a refused cache kit records into.
    struct detached {
        counter hits, misses, evictions;
        gauge size;
    };

    static status init(kits::cache_metrics& kit, registry& reg, std::string_view ns,
                       const family_options& options) {
        status st = register_kit(kit, reg, ns, options);
        if (!st) {
            auto* own = new detached();
            kit.detached_.hold(own, [](void* p) noexcept { delete static_cast<detached*>(p); });
            kit.hits_ = &own->hits;
            kit.misses_ = &own->misses;
            kit.evictions_ = &own->evictions;
            kit.size_ = &own->size;
        }
        return st;
    }

    // Registers the families and takes the kit's series; on failure sets none of them.
    static status register_kit(kits::cache_metrics& kit, registry& reg, std::string_view ns,
                               const family_options& options) {
        family_options family_opts; // the const labels are the families' label names here
        family_opts.max_series = options.max_series;
        family_opts.max_label_value_bytes = options.max_label_value_bytes;
        status checked = kit_check_unit(options, "cache", ns);
        if (!checked) return checked;
        checked = kit_check_label_values(options.const_labels, family_opts.max_label_value_bytes);
        if (!checked) return checked;
        const std::vector<std::string> names = kit_label_names(options.const_labels);
        kit_registration all_or_nothing(reg); // a later family's error withdraws the first ones
        const auto hits =
            reg.try_counter(kit_metric_name(ns, "cache_hits_total"),
                            "Cache lookups that found the entry.", names, family_opts);
        if (!hits) return hits.error();
        const auto misses =
            reg.try_counter(kit_metric_name(ns, "cache_misses_total"),
                            "Cache lookups that did not find the entry.", names, family_opts);
        if (!misses) return misses.error();
        const auto evictions =
            reg.try_counter(kit_metric_name(ns, "cache_evictions_total"),
                            "Entries removed from the cache to make room.", names, family_opts);
        if (!evictions) return evictions.error();
        const auto size = reg.try_gauge(kit_metric_name(ns, "cache_size"),
                                        "Entries currently held in the cache.", names, family_opts);
        if (!size) return size.error();
        // The hit rate is written by a collector at each scrape, not registered: its name is
        // reserved, so that neither an earlier nor a later registration takes it silently.
        status hit_rate = registry_access::reserve_collected(
            reg, {{metric_type::gauge, kit_metric_name(ns, "cache_hit_rate")}},
            "the cache kits of namespace '" + std::string(ns) + '\'', true);
        if (!hit_rate) return hit_rate;
        // All registered: what fails from here on (a duplicate kit) keeps the families, which
        // other kits of this namespace may be using already.
        all_or_nothing.commit();

        const std::vector<std::string> values = kit_label_values(options.const_labels);
        counter& h = hits->labels(values);
        counter& m = misses->labels(values);
        bool created = false;
        kit_claim& claim = kit_claim::join(kit.claim_, &*hits, registry_access::serial(reg),
                                           options.const_labels, &created);
        if (created)
            reg.add_collector(
                cache_hit_rate_collector{claim.group, kit_metric_name(ns, "cache_hit_rate")});
        status st = claim.claim(&h, &m, kit_description("cache", ns, options.const_labels),
                                "{\"cache\", \"users\"}", hits->options().max_series);
        if (!st) return st;
        kit.hits_ = &h;
        kit.misses_ = &m;
        kit.evictions_ = &evictions->labels(values);
        kit.size_ = &size->labels(values);
        return {};
    }
};

} // namespace detail
VITALS_END_NAMESPACE

#endif // VITALS_KITS_CACHE_HPP
// #include <vitals/kits/http.hpp>
// vitals/kits/http.hpp - ready HTTP request metrics and the RAII request tracker.
// SPDX-License-Identifier: MIT
#ifndef VITALS_KITS_HTTP_HPP
#define VITALS_KITS_HTTP_HPP

// #include <vitals/config.hpp>: inlined above
// #include <vitals/counter.hpp>: inlined above
// #include <vitals/detail/exclusive_lock.hpp>: inlined above
// #include <vitals/detail/kit_names.hpp>: inlined above
// #include <vitals/detail/label_hash.hpp>: inlined above
// #include <vitals/detail/narrow.hpp>: inlined above
// #include <vitals/detail/shared_mutex.hpp>: inlined above
// #include <vitals/detail/steady_clock.hpp>
// vitals/detail/steady_clock.hpp - the steady clock as a plain function, for the kits' hooks.
// SPDX-License-Identifier: MIT
#ifndef VITALS_DETAIL_STEADY_CLOCK_HPP
#define VITALS_DETAIL_STEADY_CLOCK_HPP

// #include <vitals/config.hpp>: inlined above

#include <chrono>  // steady_clock, duration_cast, nanoseconds
#include <cstdint> // int64_t

VITALS_BEGIN_NAMESPACE
namespace detail {

/// std::chrono::steady_clock now, in nanoseconds since its epoch. The kits' recording handles
/// live in light headers that leave <chrono> out: they read the clock through a pointer to
/// this function, which the kit sets when it makes them.
inline std::int64_t steady_now_ns() noexcept {
    using namespace std::chrono;
    return duration_cast<nanoseconds>(steady_clock::now().time_since_epoch()).count();
}

} // namespace detail
VITALS_END_NAMESPACE

#endif // VITALS_DETAIL_STEADY_CLOCK_HPP
// #include <vitals/detail/utf8.hpp>: inlined above
// #include <vitals/family.hpp>: inlined above
// #include <vitals/gauge.hpp>: inlined above
// #include <vitals/histogram.hpp>: inlined above
// #include <vitals/record/http.hpp>
// vitals/record/http.hpp - the HTTP kit's recording handles (http_endpoint and the request
// tracker), for code that only records; the kit itself is <vitals/kits/http.hpp>.
// SPDX-License-Identifier: MIT
#ifndef VITALS_RECORD_HTTP_HPP
#define VITALS_RECORD_HTTP_HPP

// #include <vitals/config.hpp>: inlined above
// #include <vitals/counter.hpp>: inlined above
// #include <vitals/detail/elapsed.hpp>
// vitals/detail/elapsed.hpp - seconds between two steady-clock readings, for the kits' scopes,
// and the checks of the durations and sizes the kits' callers measured.
// SPDX-License-Identifier: MIT
#ifndef VITALS_DETAIL_ELAPSED_HPP
#define VITALS_DETAIL_ELAPSED_HPP

// #include <vitals/config.hpp>: inlined above
// #include <vitals/detail/float_class.hpp>: inlined above
// #include <vitals/rejected_writes.hpp>: inlined above

#include <cstdint> // int64_t

VITALS_BEGIN_NAMESPACE
namespace detail {

/// Seconds from `start_ns` to `end_ns` (nanosecond readings of one clock). A multiplication
/// by 1e-9, not a division by 1e9: the result may differ from the exact quotient in its last
/// bit, and it is ready about ten cycles sooner. That matters because a scope's duration
/// feeds its histogram observation, and the clock read of the next scope waits for earlier
/// instructions to finish (bench/bench_kits.cpp measures a tracked request).
inline double seconds_between(std::int64_t start_ns, std::int64_t end_ns) noexcept {
    return static_cast<double>(end_ns - start_ns) * 1e-9;
}

/// Whether a duration given to a kit's plain record() may be observed. A negative one (the
/// end minus the start of a wall clock that was set back) would land in the lowest bucket
/// and pull the sum below zero, which hides the series' `_sum` and `_count` from OpenMetrics;
/// an infinite one (a division by zero, a conversion that overflowed) would make the sum
/// infinite for good, and every later rate() of it NaN. Both are refused and counted in
/// rejected_writes(), as the histogram refuses a NaN (which is refused here the same way).
inline bool duration_ok(double seconds) noexcept {
    if (VITALS_DETAIL_LIKELY(is_finite(seconds) && !(seconds < 0.0))) return true;
    note_rejected_write();
    return false;
}

/// Whether a size in bytes given to the HTTP kit is observed. A negative one means unknown:
/// not observed, and no refusal. An infinite one (`std::strtod("1e999", nullptr)` of a
/// Content-Length header) would make the size histogram's sum infinite for good, and a NaN is no
/// size: both are refused and counted in rejected_writes().
inline bool size_ok(double bytes) noexcept {
    // One comparison on the fast path (a tracked request checks two sizes): with the sign bit
    // clear, the bits of +0.0 up to the largest finite double lie below those of +Inf.
    const std::uint64_t bits = float_bits(bytes);
    if (VITALS_DETAIL_LIKELY(bits < float_infinity_bits)) return true;
    if (bits == 0x8000000000000000ULL) return true;        // -0.0: a size of 0
    if (!is_nan(bytes) && (bits >> 63) != 0) return false; // negative, -Inf too: unknown
    note_rejected_write();                                 // +Inf or NaN
    return false;
}

} // namespace detail
VITALS_END_NAMESPACE

#endif // VITALS_DETAIL_ELAPSED_HPP
// #include <vitals/detail/uncaught.hpp>
// vitals/detail/uncaught.hpp - std::uncaught_exceptions() for the kits' RAII scopes, without
// its call into the C++ runtime where the ABI says where the count is.
// SPDX-License-Identifier: MIT
#ifndef VITALS_DETAIL_UNCAUGHT_HPP
#define VITALS_DETAIL_UNCAUGHT_HPP

// #include <vitals/config.hpp>: inlined above

// libstdc++ on ELF targets: the Itanium C++ ABI's __cxa_get_globals() and the layout of what
// it returns (the caught-exception stack, then the uncaught count) are documented there. The
// function is declared here as <cxxabi.h> declares it: that header, and the <exception> the
// other path needs, cost about 4% of what a file including <vitals/record.hpp> compiles.
#if defined(__GLIBCXX__) && defined(__ELF__)
// NOLINTBEGIN(bugprone-reserved-identifier): the ABI's own names
namespace __cxxabiv1 {
struct __cxa_eh_globals;
extern "C" __cxa_eh_globals* __cxa_get_globals() noexcept __attribute__((__const__));
} // namespace __cxxabiv1
// NOLINTEND(bugprone-reserved-identifier)
#define VITALS_DETAIL_EH_GLOBALS 1
#else
#include <exception> // uncaught_exceptions
#define VITALS_DETAIL_EH_GLOBALS 0
#endif

VITALS_BEGIN_NAMESPACE
namespace detail {

/// std::uncaught_exceptions(). A tracked request asks twice, and libstdc++ answers through a
/// call into the shared library and a general-dynamic thread-local lookup, a large share of
/// what tracking adds to a request's clock reads (bench/bench_kits.cpp). The count's address
/// is fixed for the thread's life, so it is looked up once.
inline int uncaught_exceptions() noexcept {
#if VITALS_DETAIL_EH_GLOBALS
    struct eh_globals {
        void* caught_exceptions;
        unsigned int uncaught_exceptions;
    };
    static thread_local const eh_globals* globals = nullptr;
    if (VITALS_DETAIL_UNLIKELY(!globals))
        globals = reinterpret_cast<const eh_globals*>(__cxxabiv1::__cxa_get_globals());
    return static_cast<int>(globals->uncaught_exceptions);
#else
    return std::uncaught_exceptions();
#endif
}

} // namespace detail
VITALS_END_NAMESPACE

#endif // VITALS_DETAIL_UNCAUGHT_HPP
// #include <vitals/exemplar.hpp>: inlined above
// #include <vitals/record/gauge.hpp>: inlined above
// #include <vitals/record/histogram.hpp>: inlined above

#include <atomic>      // atomic, atomic_thread_fence
#include <cstddef>     // size_t
#include <cstdint>     // int64_t, uint64_t
#include <string_view> // string_view
#include <type_traits> // enable_if_t, is_same, is_floating_point, is_integral

VITALS_BEGIN_NAMESPACE

namespace detail {
/// Defined by <vitals/kits/http.hpp>: the HTTP kit's members that need its registry side. A
/// translation unit that includes only the light headers and calls one fails to compile
/// naming this type.
template <class Full>
struct include_http_hpp;
struct http_endpoint_names;
} // namespace detail

namespace kits {

/// The `error_type` recorded when a tracked request's scope is left by an exception.
inline constexpr std::string_view exception_error_type = "exception";
/// The `error_type` recorded for a 4xx status when no explicit error type was given.
inline constexpr std::string_view client_error_type = "client_error";
/// The `error_type` recorded for a 5xx status when no explicit error type was given.
inline constexpr std::string_view server_error_type = "server_error";
/// The `error_type` of record_error("") (an empty label value reads as no label at all).
inline constexpr std::string_view unspecified_error_type = "unspecified";
/// The `status` label value of a request that ended without an HTTP status (never set, or
/// outside 100..999): a transport failure, a timeout, an exception.
inline constexpr std::string_view no_status = "none";

class http_metrics;
class http_request_tracker;

/// Cached series of one (method, endpoint) pair of an http_metrics kit: the three histograms
/// and, per status code, the request counter. Obtained from http_metrics::endpoint(), owned
/// by the kit and valid as long as it is. Keeping the reference makes a tracked request
/// lock-free: no label lookup for the histograms nor for up to eight distinct status codes
/// (more are looked up each time). All members are thread-safe.
class http_endpoint {
public:
    http_endpoint(const http_endpoint&) = delete;
    http_endpoint& operator=(const http_endpoint&) = delete;

    /// The method and endpoint label values (const std::string&; defined by
    /// <vitals/kits/http.hpp>).
    template <class Full = void>
    const auto& method() const noexcept {
        return detail::include_http_hpp<Full>::names(*this).method;
    }
    template <class Full = void>
    const auto& endpoint() const noexcept {
        return detail::include_http_hpp<Full>::names(*this).endpoint;
    }

    /// `http_request_duration_seconds{method,endpoint}`.
    histogram& duration() noexcept { return *duration_; }
    /// `http_request_size_bytes{method,endpoint}`.
    histogram& request_size() noexcept { return *request_size_; }
    /// `http_response_size_bytes{method,endpoint}`.
    histogram& response_size() noexcept { return *response_size_; }

    /// `http_requests_total{method,endpoint,status}` for an HTTP status code; codes outside
    /// 100..999 use the status `none`. Lock-free once the code has been seen (up to eight
    /// codes per endpoint); the first use of a code looks the series up and may allocate.
    counter& requests(int status) {
        const int code = normalise(status);
        const int key = code + 1;
        for (status_slot& slot : slots_) {
            int seen = slot.key.load(std::memory_order_acquire);
            if (seen == 0) {
                // Claim the free slot; if another thread claimed it first, see what it chose.
                if (slot.key.compare_exchange_strong(seen, key, std::memory_order_acq_rel)) {
                    counter& c = hooks_->requests(*this, code);
                    slot.series.store(&c, std::memory_order_release);
                    return c;
                }
            }
            if (seen == key) {
                if (counter* c = slot.series.load(std::memory_order_acquire)) return *c;
                return hooks_->requests(*this, code); // the claiming thread has not published it
            }
        }
        return hooks_->requests(*this, code);
    }

    /// `http_errors_total{method,endpoint,error_type}`. Looks the series up (allocates only
    /// the first time a type is seen).
    counter& errors(std::string_view error_type) { return hooks_->errors(*this, error_type); }

    /// Records one finished request: count, duration and, when not negative, the sizes; an
    /// error when `error_type` is not empty, else `client_error` / `server_error` for a 4xx
    /// / 5xx status. The plain-function form of http_request_tracker. A NaN `seconds` (a
    /// duration never measured), a negative one (a wall clock set back) or an infinite one
    /// counts the request and its error but no duration, and vitals::rejected_writes() counts
    /// the refusal; so does an infinite or NaN size, which is not observed.
    void record(int status, double seconds, double request_bytes = -1.0,
                double response_bytes = -1.0, std::string_view error_type = {}) {
        requests(status).inc();
        if (detail::duration_ok(seconds)) duration_->observe(seconds);
        if (detail::size_ok(request_bytes)) request_size_->observe(request_bytes);
        if (detail::size_ok(response_bytes)) response_size_->observe(response_bytes);
        if (error_type.empty()) error_type = status_error(status);
        if (!error_type.empty()) count_error(errors(error_type));
    }
    /// record(seconds, status, ...), the first two arguments swapped, would convert both
    /// silently (status 0, a duration of 200 seconds): it does not compile.
    template <
        class Seconds, class StatusCode,
        std::enable_if_t<
            std::is_floating_point<Seconds>::value && std::is_integral<StatusCode>::value, int> = 0>
    void record(Seconds, StatusCode, double = -1.0, double = -1.0, std::string_view = {}) {
        static_assert(!std::is_floating_point<Seconds>::value,
                      "http_endpoint::record takes the status first, then the seconds");
    }

    /// Starts tracking a request on this endpoint (see http_request_tracker).
    [[nodiscard]] http_request_tracker track() noexcept;

    /// Internal: use http_metrics::endpoint(). Defined by <vitals/kits/http.hpp>.
    inline http_endpoint(http_metrics& kit, std::string_view method, std::string_view endpoint);
    inline ~http_endpoint();

private:
    friend class http_metrics;
    friend class http_request_tracker;
    template <class Full>
    friend struct detail::include_http_hpp;

    // What only <vitals/kits/http.hpp> does, reached through functions it sets: looking up
    // the series of a new status code or an error type, and reading the steady clock.
    struct hooks {
        counter& (*requests)(http_endpoint&, int code);
        counter& (*errors)(http_endpoint&, std::string_view error_type);
        std::int64_t (*now_ns)() noexcept; // std::chrono::steady_clock, in nanoseconds
    };

    static constexpr std::size_t status_slots = 8;
    struct status_slot {
        std::atomic<int> key{0}; // normalised status + 1; 0 = free
        std::atomic<counter*> series{nullptr};
    };

    // The tracker's destructor looks these up, and a destructor must not throw: a series that
    // cannot be created (out of memory) loses this one count, which vitals::rejected_writes()
    // shows, and the rest of the request is still recorded.
    template <class Lookup>
    static counter* counter_or_null(Lookup lookup) noexcept {
#if VITALS_DETAIL_CAN_CATCH()
        try {
            return &lookup();
        } catch (...) {
            detail::note_rejected_write();
            return nullptr;
        }
#else
        return &lookup();
#endif
    }
    counter* requests_or_null(int status) noexcept {
        return counter_or_null([&]() -> counter& { return requests(status); });
    }
    counter* errors_or_null(std::string_view error_type) noexcept {
        return counter_or_null([&]() -> counter& { return errors(error_type); });
    }

    // Counts an error of a request already counted. A scrape reads `http_errors_total` before
    // `http_requests_total` (families come in name order) with an acquire fence between
    // families; this release fence makes a scrape that sees the error see its request too,
    // also where stores may be seen out of order (ARM, POWER; free on x86).
    static void count_error(counter& errors) noexcept {
        std::atomic_thread_fence(std::memory_order_release);
        errors.inc();
    }

    static int normalise(int status) noexcept {
        return status >= 100 && status <= 999 ? status : 0;
    }
    // The error_type implied by a status, or empty.
    static std::string_view status_error(int status) noexcept {
        if (status >= 500 && status <= 599) return server_error_type;
        if (status >= 400 && status <= 499) return client_error_type;
        return {};
    }

    const hooks* hooks_;
    gauge* in_flight_; // the kit's
    http_metrics* kit_;
    histogram* duration_;
    histogram* request_size_;
    histogram* response_size_;
    detail::http_endpoint_names* names_; // owned: the method and endpoint, made last
    std::uint64_t hash_ = 0;
    status_slot slots_[status_slots];
};

/// RAII guard for one HTTP request, the C++ form of a "track request metrics" decorator.
/// Construction raises the in-flight gauge and starts a steady clock. Destruction lowers the
/// gauge and records:
/// - `http_requests_total` with the status given to set_status() (`none` if never set),
/// - the duration, and each size that was set (unset sizes are not observed),
/// - one `http_errors_total` when the request failed: the type given to record_error(), else
///   `exception` when the scope was left by an exception (detected with
///   std::uncaught_exceptions()), else `client_error` / `server_error` for a 4xx / 5xx
///   status. A destructor cannot see the exception itself: code that catches it calls
///   record_error() with a specific type (a request counts at most one error). The error is
///   counted with the request, so a scrape never shows more errors than requests, and
///   cancel() drops both.
/// Destruction never throws, also while an exception unwinds: a series it cannot create for
/// a status code or an error type not seen before (out of memory) loses that one count,
/// which vitals::rejected_writes() counts, and the rest is recorded. Not thread-safe itself
/// (one request, one thread); the metrics it feeds are. With cached handles it takes no lock
/// and does not allocate once the status code has been seen.
class http_request_tracker {
public:
    explicit http_request_tracker(http_endpoint& ep) noexcept
        : ep_(&ep), exceptions_(detail::uncaught_exceptions()), start_ns_(ep.hooks_->now_ns()) {
        ep.in_flight_->inc();
    }
    /// Tracks a request of `kit`'s endpoint (method, endpoint); needs <vitals/kits/http.hpp>.
    template <class Kit, std::enable_if_t<std::is_same<Kit, http_metrics>::value, int> = 0>
    http_request_tracker(Kit& kit, std::string_view method, std::string_view endpoint)
        : http_request_tracker(kit.endpoint(method, endpoint)) {}

    http_request_tracker(const http_request_tracker&) = delete;
    http_request_tracker& operator=(const http_request_tracker&) = delete;

    ~http_request_tracker() {
        if (cancelled_) return;
        const double secs = elapsed();
        ep_->in_flight_->dec();
        counter* const count = ep_->requests_or_null(status_);
        if (trace_size_ != 0) {
            // The request's trace as an exemplar (OpenMetrics) on its count and duration.
            const exemplar e("trace_id", std::string_view(trace_, trace_size_));
            if (count) count->inc(1.0, e);
            ep_->duration_->observe(secs, e);
        } else {
            if (count) count->inc();
            ep_->duration_->observe(secs);
        }
        if (detail::size_ok(request_bytes_)) ep_->request_size_->observe(request_bytes_);
        if (detail::size_ok(response_bytes_)) ep_->response_size_->observe(response_bytes_);
        if (error_) {
            http_endpoint::count_error(*error_);
            return;
        }
        std::string_view error_type = http_endpoint::status_error(status_);
        if (detail::uncaught_exceptions() > exceptions_) error_type = exception_error_type;
        if (error_type.empty()) return;
        if (counter* const err = ep_->errors_or_null(error_type)) http_endpoint::count_error(*err);
    }

    /// The id of the trace this request belongs to (e.g. the 32 hex digits of a W3C
    /// traceparent): attached as the exemplar `{trace_id="..."}` to the request's count and
    /// duration, which OpenMetrics scrapes show. Copied (no allocation); an id longer than
    /// 120 bytes cannot be an exemplar and is dropped (counted by vitals::exemplars_dropped()).
    void set_trace_id(std::string_view trace_id) noexcept {
        trace_size_ = 0;
        if (trace_id.size() > sizeof trace_) {
            detail::exemplars_dropped_cell().fetch_add(1, std::memory_order_relaxed);
            return;
        }
        for (std::size_t i = 0; i < trace_id.size(); ++i) trace_[i] = trace_id[i];
        trace_size_ = trace_id.size();
    }

    /// The HTTP status code of the response.
    void set_status(int status) noexcept { status_ = status; }
    /// The request body size in bytes; negative means unknown (not observed). An infinite or
    /// NaN size is not observed either, and vitals::rejected_writes() counts it.
    void set_request_size(double bytes) noexcept { request_bytes_ = bytes; }
    /// The response body size in bytes; negative means unknown (not observed). An infinite or
    /// NaN size is not observed either, and vitals::rejected_writes() counts it.
    void set_response_size(double bytes) noexcept { response_bytes_ = bytes; }

    /// The request failed with this error type (e.g. "timeout", "connection"; an empty one
    /// is `unspecified`): counted at destruction with the request, in place of the automatic
    /// one. Later calls are ignored: one error per request. Looks the error series up now
    /// (reader lock; allocates the first time a type is seen), so destruction does not. The
    /// type is not checked: one longer than max_label_value_bytes is counted in the errors
    /// family's overflow series (and in vitals_series_overflow_total), one not valid UTF-8
    /// is shown with U+FFFD, as any label value.
    void record_error(std::string_view error_type) {
        if (cancelled_ || error_) return;
        error_ = &ep_->errors(error_type.empty() ? unspecified_error_type : error_type);
    }

    /// Seconds since construction.
    double elapsed() const noexcept {
        return detail::seconds_between(start_ns_, ep_->hooks_->now_ns());
    }

    /// Records nothing at destruction, neither the request nor an error given to
    /// record_error() (the in-flight gauge is lowered now). Later calls do nothing; elapsed()
    /// still reads the clock.
    void cancel() noexcept {
        if (cancelled_) return;
        cancelled_ = true;
        ep_->in_flight_->dec();
    }

private:
    http_endpoint* ep_;
    int exceptions_;
    int status_ = 0;
    bool cancelled_ = false;
    counter* error_ = nullptr; // given to record_error()
    double request_bytes_ = -1.0;
    double response_bytes_ = -1.0;
    std::int64_t start_ns_; // steady clock
    std::size_t trace_size_ = 0;
    char trace_[120]; // 128 characters for the exemplar, less the label name "trace_id"
};

inline http_request_tracker http_endpoint::track() noexcept { return http_request_tracker(*this); }

} // namespace kits
VITALS_END_NAMESPACE

#endif // VITALS_RECORD_HTTP_HPP
// #include <vitals/registry.hpp>: inlined above

#include <cstddef>      // size_t
#include <cstdint>      // uint64_t
#include <shared_mutex> // shared_mutex, shared_lock
#include <string>       // string
#include <string_view>  // string_view
#include <type_traits>  // enable_if_t, is_floating_point, is_integral, is_same
#include <utility>      // move
#include <vector>       // vector

VITALS_BEGIN_NAMESPACE

namespace detail {
/// An endpoint's label values, owned by its http_endpoint.
struct http_endpoint_names {
    std::string method;
    std::string endpoint;
};
} // namespace detail

namespace kits {

/// Byte bounds for payload sizes: 64 B, 256 B, 1 KiB, ... 64 MiB (factor 4, 11 bounds).
/// Allocates.
inline std::vector<double> byte_buckets() { return exponential_buckets(64.0, 4.0, 11); }

/// The HTTP metric set of the catalogue, under a namespace prefix `NS`:
///
/// - `NS_http_requests_total{method,endpoint,status}` counter
/// - `NS_http_request_duration_seconds{method,endpoint}` histogram (10 ms .. 10 s)
/// - `NS_http_request_size_bytes{method,endpoint}` histogram (64 B .. 64 MiB)
/// - `NS_http_response_size_bytes{method,endpoint}` histogram (64 B .. 64 MiB)
/// - `NS_http_errors_total{method,endpoint,error_type}` counter
/// - `NS_http_requests_in_flight` gauge
///
/// `options` applies to the labelled families (const labels, series bound); the in-flight
/// gauge gets its const labels too. A unit in it is refused (errc::invalid_argument: the kit
/// sets its families' units itself), and so is a max_label_value_bytes below 12, which would
/// send the kit's own values (`client_error`, the overflow endpoint) to the overflow series.
/// The series bound counts each family's label sets: the endpoints for the histograms, but
/// (endpoint, status) pairs for the request counter and (endpoint, error type) pairs for the error
/// counter, so leave room for those: with a bound of 100 and three statuses per endpoint, the
/// request counter reaches its bound at about 33 endpoints and counts the rest in its
/// `__overflow__` series. One label set of each histogram family is kept for the kit's overflow
/// endpoint, so a bound of N holds at most N - 1 endpoints (a bound of 1, none: every request is
/// counted under `__overflow__`). A pair with `__overflow__` as method or endpoint gets the
/// overflow endpoint too, and so does one with a name longer than max_label_value_bytes or not
/// valid UTF-8: such names come from clients, so they are not refused as errors. An empty namespace
/// drops the prefix and its underscore. Registration reports errors through the error policy (an
/// invalid namespace or const label, a conflicting family); the constructor taking a `status&` is
/// the non-throwing form. Two kits with the same namespace on one registry share the families,
/// and so their bound, while each keeps N - 1 endpoints of its own: together they can make more
/// than the families hold, and the later endpoints then record into the families' overflow
/// series (in the request counter, with status `__overflow__`), counted in
/// vitals_series_overflow_total; every request is still counted once. The kit owns its endpoint
/// handles and must outlive every http_endpoint reference and tracker taken from it; the registry
/// must outlive the kit. All members are thread-safe; construction and first lookups allocate.
///
/// Typical use:
/// ```
/// vitals::kits::http_metrics http(reg, "demo");
/// auto& reports = http.endpoint("GET", "/api/reports");   // cache once
/// {
///     auto t = reports.track();          // counts in-flight, starts the clock
///     t.set_request_size(req.size());
///     ... send the request ...
///     t.set_status(resp.status);
///     t.set_response_size(resp.body.size());
/// }                                       // records count, duration, sizes, errors
/// ```
class http_metrics {
public:
    http_metrics(registry& reg, std::string_view ns, const family_options& options = {})
        : http_metrics(register_families(reg, ns, options, nullptr)) {}
    /// The non-throwing form: on failure `kit_error` says why, nothing is left registered in
    /// `reg`, and the kit records into families of its own that no registry shows (freed with
    /// the kit).
    http_metrics(registry& reg, std::string_view ns, const family_options& options,
                 status& kit_error)
        : http_metrics(register_families(reg, ns, options, &kit_error)) {}

private:
    struct families {
        counter_family* requests = nullptr;
        histogram_family* duration = nullptr;
        histogram_family* request_size = nullptr;
        histogram_family* response_size = nullptr;
        counter_family* errors = nullptr;
        gauge* in_flight = nullptr;
        registry* detached = nullptr; // owned: where a kit that failed to register records
    };

    // Registers the families in `reg`, all or nothing: when one fails, those made before it
    // are withdrawn. Then the error goes through the error policy, or (with `error`) into
    // *error, and the families are made in a registry of the kit's own.
    static families register_families(registry& reg, std::string_view ns,
                                      const family_options& options, status* error) {
        families f;
        status st = try_register(reg, ns, options, f);
        if (!st) {
            if (!error) detail::fail(st);
            *error = std::move(st);
            f.detached = new registry();
            // Cannot fail: valid names and default options, in an empty registry.
            (void)try_register(*f.detached, {}, {}, f);
        }
        return f;
    }

    static status try_register(registry& reg, std::string_view ns, const family_options& options,
                               families& f) {
        status st = detail::kit_check_unit(options, "http", ns);
        if (!st) return st;
        // The longest of the kit's own values, with server_error and __overflow__ (12 bytes).
        st = detail::kit_check_value_bytes(options, "http", ns, client_error_type);
        if (!st) return st;
        st = detail::kit_check_const_labels(options.const_labels,
                                            {"method", "endpoint", "status", "error_type"}, true);
        if (!st) return st;
        detail::kit_registration all_or_nothing(reg);
        auto requests = reg.try_counter(detail::kit_metric_name(ns, "http_requests_total"),
                                        "HTTP requests, by method, endpoint and status code.",
                                        {"method", "endpoint", "status"}, options);
        if (!requests) return requests.error();
        auto duration = reg.try_histogram(
            detail::kit_metric_name(ns, "http_request_duration_seconds"),
            "HTTP request duration in seconds, by method and endpoint.", {"method", "endpoint"},
            default_buckets(), detail::with_unit(options, "seconds"));
        if (!duration) return duration.error();
        auto request_size = reg.try_histogram(
            detail::kit_metric_name(ns, "http_request_size_bytes"),
            "HTTP request body size in bytes, by method and endpoint.", {"method", "endpoint"},
            byte_buckets(), detail::with_unit(options, "bytes"));
        if (!request_size) return request_size.error();
        auto response_size = reg.try_histogram(
            detail::kit_metric_name(ns, "http_response_size_bytes"),
            "HTTP response body size in bytes, by method and endpoint.", {"method", "endpoint"},
            byte_buckets(), detail::with_unit(options, "bytes"));
        if (!response_size) return response_size.error();
        auto errors = reg.try_counter(detail::kit_metric_name(ns, "http_errors_total"),
                                      "HTTP request errors, by method, endpoint and error type.",
                                      {"method", "endpoint", "error_type"}, options);
        if (!errors) return errors.error();
        auto in_flight = reg.try_gauge(detail::kit_metric_name(ns, "http_requests_in_flight"),
                                       "HTTP requests started and not yet finished.", {}, options);
        if (!in_flight) return in_flight.error();
        all_or_nothing.commit(); // all registered
        f.requests = &*requests;
        f.duration = &*duration;
        f.request_size = &*request_size;
        f.response_size = &*response_size;
        f.errors = &*errors;
        f.in_flight = &in_flight->labels();
        return {};
    }

    explicit http_metrics(const families& f)
        : requests_(*f.requests), duration_(*f.duration), request_size_(*f.request_size),
          response_size_(*f.response_size), errors_(*f.errors), in_flight_(*f.in_flight),
          max_endpoints_(duration_.options().max_series),
          max_value_bytes_(duration_.options().max_label_value_bytes), detached_(f.detached) {
        // Every tracked request raises and lowers it, from every worker thread.
        detail::enable_gauge_cells(in_flight_);
    }

public:
    http_metrics(const http_metrics&) = delete;
    http_metrics& operator=(const http_metrics&) = delete;
    ~http_metrics() {
        for (std::size_t i = 0; i < table_size_; ++i) delete table_[i];
        delete[] table_;
        while (pending_pair* p = pending_) {
            pending_ = p->next;
            delete p;
        }
        delete overflow_;
        delete detached_; // after the endpoints, whose series it holds
    }

    /// The cached handles of one (method, endpoint) pair, created on first use. Takes a
    /// reader lock; the first call for a pair also takes a writer lock twice, briefly, and
    /// allocates. The pair's series are made between the two, with no lock of the kit held:
    /// making them waits for the scrapes running, whose output sinks may record through this
    /// kit. Past the families' series bound, new pairs share one endpoint labelled
    /// `__overflow__` (under the reader lock alone, once it exists), and so do pairs with a
    /// name longer than the families' max_label_value_bytes (a raw URL), pairs with a name
    /// that is not valid UTF-8 (the families would show "\xff" and "\xfe" both as U+FFFD, one
    /// series for two endpoints), and pairs with `__overflow__` as method or endpoint: the
    /// kit's overflow endpoint is the one holding that name, and it takes no room from the
    /// bound. Names come from clients: none is refused through the error policy. Threads racing for
    /// the same new pair get the same endpoint; pairs being made count against the bound.
    /// The endpoint belongs to the kit (Clang warns when one is kept from a temporary kit).
    http_endpoint& endpoint(std::string_view method,
                            std::string_view endpoint) VITALS_DETAIL_LIFETIMEBOUND {
        // The hash reads every byte: a name over the bound (a raw URL, a flood of them) goes
        // to the overflow endpoint unread.
        if (VITALS_DETAIL_UNLIKELY(method.size() > max_value_bytes_ ||
                                   endpoint.size() > max_value_bytes_))
            return redirected(overflow_endpoint());
        const std::string_view vals[2] = {method, endpoint};
        const std::uint64_t h = detail::hash_label_values(vals, 2, hash_key_);
        http_endpoint* shared = nullptr; // the overflow endpoint, when the pair goes there
        {
            std::shared_lock<std::shared_mutex> lock(mutex_);
            if (http_endpoint* ep = find(method, endpoint, h)) return *ep;
            // Past the bound no endpoint is made any more: a new pair (raw URLs, a scan) gets
            // the overflow endpoint without queueing every worker behind the writer lock.
            // Endpoints alone, since a pair being made is not in the table yet: once they
            // fill the bound, no pair is being made.
            if (overflow_ && endpoint_count_ + 1 >= max_endpoints_) shared = overflow_;
        }
        if (shared) return redirected(*shared);
        // Names no endpoint holds, so checked only when the lookup missed.
        if (VITALS_DETAIL_UNLIKELY(!fits(method) || !fits(endpoint)))
            return redirected(overflow_endpoint());
        bool overflow;
        {
            detail::exclusive_lock lock(mutex_);
            if (http_endpoint* ep = find(method, endpoint, h)) return *ep;
            overflow = !join_pending(method, endpoint, h);
            if (overflow) shared = overflow_;
        }
        if (overflow) return redirected(shared ? *shared : overflow_endpoint());
        pending_maker maker(*this, method, endpoint, h);
        maker.made = new http_endpoint(*this, method, endpoint);
        maker.made->hash_ = h;
        detail::exclusive_lock lock(mutex_);
        // Another thread making the same pair may have finished first: its series are ours.
        if (http_endpoint* ep = find(method, endpoint, h)) {
            maker.finished = true; // the thread that inserted it ended the pair's making
            return *ep;            // and the maker frees its copy
        }
        reserve_one(); // then nothing below throws once the endpoint exists
        http_endpoint* ep = maker.made;
        insert(ep);
        finish_pending(method, endpoint, h);
        maker.made = nullptr;
        maker.finished = true;
        return *ep;
    }

    /// Starts tracking a request (one endpoint lookup; see endpoint()).
    [[nodiscard]] http_request_tracker track(std::string_view method, std::string_view endpoint) &;
    /// track() on a kit made in the same statement does not compile: the tracker records into
    /// the kit's endpoint when it is destroyed, after the kit.
    template <class Kit = http_metrics>
    http_request_tracker track(std::string_view method, std::string_view endpoint) && {
        static_assert(!std::is_same<Kit, Kit>::value,
                      "vitals: http_metrics(...).track() records into a kit destroyed at the end "
                      "of the statement; keep the kit in a variable or member: "
                      "vitals::kits::http_metrics http(reg, \"app\"); auto t = http.track(...);");
        return static_cast<Kit&>(*this).track(method, endpoint);
    }

    /// Records one finished request; see http_endpoint::record().
    void record(std::string_view method, std::string_view endpoint, int status, double seconds,
                double request_bytes = -1.0, double response_bytes = -1.0,
                std::string_view error_type = {}) {
        this->endpoint(method, endpoint)
            .record(status, seconds, request_bytes, response_bytes, error_type);
    }
    /// record(method, endpoint, seconds, status, ...), the last two swapped, would convert
    /// both silently (status 0, a duration of 200 seconds): it does not compile.
    template <
        class Seconds, class StatusCode,
        std::enable_if_t<
            std::is_floating_point<Seconds>::value && std::is_integral<StatusCode>::value, int> = 0>
    void record(std::string_view, std::string_view, Seconds, StatusCode, double = -1.0,
                double = -1.0, std::string_view = {}) {
        static_assert(!std::is_floating_point<Seconds>::value,
                      "http_metrics::record takes the method, the endpoint, the status, then the "
                      "seconds");
    }

    counter_family& requests() noexcept { return requests_; }
    histogram_family& duration() noexcept { return duration_; }
    histogram_family& request_size() noexcept { return request_size_; }
    histogram_family& response_size() noexcept { return response_size_; }
    counter_family& errors() noexcept { return errors_; }
    gauge& in_flight() noexcept { return in_flight_; }

private:
    friend class http_endpoint;
    friend class http_request_tracker;
    template <class Full>
    friend struct detail::include_http_hpp;

    http_endpoint* find(std::string_view method, std::string_view endpoint,
                        std::uint64_t h) const noexcept {
        if (table_size_ == 0) return nullptr;
        const std::size_t mask = table_size_ - 1;
        for (std::size_t i = detail::narrow<std::size_t>(h) & mask;; i = (i + 1) & mask) {
            http_endpoint* ep = table_[i];
            if (!ep) return nullptr;
            if (ep->hash_ == h && ep->names_->method == method && ep->names_->endpoint == endpoint)
                return ep;
        }
    }

    // Whether `v` (at most max_value_bytes_ long) can name an endpoint of its own: not
    // `__overflow__`, and valid UTF-8. The families show invalid bytes as U+FFFD, so two names
    // differing only there would be two endpoints of the kit with the same series (and a name
    // could grow past the bound as shown).
    bool fits(std::string_view v) const noexcept {
        return v != overflow_label_value && !detail::has_invalid_utf8(v);
    }

    // Whether a new pair must use the overflow endpoint: one series of each histogram
    // family stays free for it. Under a lock of mutex_.
    bool bound_reached() const noexcept {
        return endpoint_count_ + pending_count_ + 1 >= max_endpoints_;
    }

    // A lookup sent to the overflow endpoint, counted once, under the requests family, in
    // vitals_series_overflow_total: the kit's families never see it, since the endpoint
    // holds their series. Called with no lock of the kit held: the first count makes the
    // counter's series, which waits for the scrapes running, whose sinks may use this kit.
    http_endpoint& redirected(http_endpoint& overflow) {
        detail::include_family_hpp<void>::count_overflow(requests_);
        return overflow;
    }

    // The endpoint labelled `__overflow__`, made on first use with no lock of the kit held
    // (see endpoint()). Threads racing to make it free all copies but the first.
    http_endpoint& overflow_endpoint() {
        {
            std::shared_lock<std::shared_mutex> lock(mutex_);
            if (overflow_) return *overflow_;
        }
        http_endpoint* made = new http_endpoint(*this, overflow_label_value, overflow_label_value);
        http_endpoint* kept;
        {
            detail::exclusive_lock lock(mutex_);
            if (!overflow_) overflow_ = made;
            kept = overflow_;
        }
        if (kept != made) delete made;
        return *kept;
    }

    // A new pair some threads are making (see endpoint()): it counts against the bound
    // until it is inserted, however many threads make it.
    struct pending_pair {
        std::uint64_t hash;
        std::string method;
        std::string endpoint;
        int makers;
        pending_pair* next; // a list: there are few at a time
    };

    // The link that points at the pair, or at null when it is not being made.
    pending_pair** find_pending(std::string_view method, std::string_view endpoint,
                                std::uint64_t h) noexcept {
        pending_pair** link = &pending_;
        while (*link &&
               !((*link)->hash == h && (*link)->method == method && (*link)->endpoint == endpoint))
            link = &(*link)->next;
        return link;
    }

    // Under the writer lock: counts the calling thread among the pair's makers, or returns
    // false when the pair is not being made and the bound leaves no room for it.
    bool join_pending(std::string_view method, std::string_view endpoint, std::uint64_t h) {
        if (pending_pair* p = *find_pending(method, endpoint, h)) {
            ++p->makers;
            return true;
        }
        if (bound_reached()) return false;
        pending_ = new pending_pair{h, std::string(method), std::string(endpoint), 1, pending_};
        ++pending_count_;
        return true;
    }

    // Under the writer lock: the pair is inserted, or (`leaving`) one maker gave up. A pair
    // whose making failed keeps its room: some of its series may exist already (the families
    // count them), and the next call for it completes it.
    void finish_pending(std::string_view method, std::string_view endpoint, std::uint64_t h,
                        bool leaving = false) noexcept {
        pending_pair** link = find_pending(method, endpoint, h);
        pending_pair* p = *link;
        if (!p) return;
        if (leaving) {
            --p->makers;
            return;
        }
        *link = p->next;
        --pending_count_;
        delete p;
    }

    // One thread's part in making a pair: on every way out but success it frees the copy it
    // made and gives its part up (the pair still counts against the bound).
    struct pending_maker {
        http_metrics& kit;
        std::string_view method;
        std::string_view endpoint;
        std::uint64_t hash;
        http_endpoint* made = nullptr;
        bool finished = false;
        pending_maker(http_metrics& k, std::string_view m, std::string_view e,
                      std::uint64_t h) noexcept
            : kit(k), method(m), endpoint(e), hash(h) {}
        pending_maker(const pending_maker&) = delete;
        pending_maker& operator=(const pending_maker&) = delete;
        ~pending_maker() {
            delete made;
            if (finished) return;
            detail::exclusive_lock lock(kit.mutex_);
            kit.finish_pending(method, endpoint, hash, true);
        }
    };

    // Makes room for one more endpoint in table_.
    void reserve_one() {
        if ((endpoint_count_ + 1) * 2 <= table_size_) return;
        const std::size_t size = table_size_ == 0 ? 16 : table_size_ * 2;
        http_endpoint** bigger = new http_endpoint*[size]();
        const std::size_t mask = size - 1;
        for (std::size_t k = 0; k < table_size_; ++k) {
            if (http_endpoint* old = table_[k]) {
                std::size_t i = detail::narrow<std::size_t>(old->hash_) & mask;
                while (bigger[i]) i = (i + 1) & mask;
                bigger[i] = old;
            }
        }
        delete[] table_;
        table_ = bigger;
        table_size_ = size;
    }

    void insert(http_endpoint* ep) noexcept {
        const std::size_t mask = table_size_ - 1;
        std::size_t i = detail::narrow<std::size_t>(ep->hash_) & mask;
        while (table_[i]) i = (i + 1) & mask;
        table_[i] = ep;
        ++endpoint_count_;
    }

    counter_family& requests_;
    histogram_family& duration_;
    histogram_family& request_size_;
    histogram_family& response_size_;
    counter_family& errors_;
    gauge& in_flight_;
    std::size_t max_endpoints_;
    std::size_t max_value_bytes_;
    registry* detached_; // owned, null once registered: see register_families()

    mutable detail::shared_mutex mutex_;
    // The endpoints, owned: open addressing by hash, in an array rather than a std::vector,
    // whose members every file including this header would instantiate.
    http_endpoint** table_ = nullptr;
    std::size_t table_size_ = 0;      // a power of two, or 0
    std::size_t endpoint_count_ = 0;  // in table_
    pending_pair* pending_ = nullptr; // new pairs being made, without the lock; owned
    std::size_t pending_count_ = 0;
    http_endpoint* overflow_ = nullptr; // owned
    // The table's hash key, kept with it: code of another module (a DLL, a shared library
    // with hidden symbols) has its own detail::hash_secret().
    const std::uint64_t hash_key_ = detail::hash_secret();
};

} // namespace kits

namespace detail {

/// The HTTP kit's members that need its registry side (see record/http.hpp).
template <class Full>
struct include_http_hpp {
    static const http_endpoint_names& names(const kits::http_endpoint& ep) noexcept {
        return *ep.names_;
    }

    static counter& requests(kits::http_endpoint& ep, int code) {
        kits::http_metrics& kit = *ep.kit_;
        if (code == 0)
            return kit.requests_.labels(ep.names_->method, ep.names_->endpoint, kits::no_status);
        char buf[max_number_chars];
        const std::size_t n = format_uint(buf, static_cast<std::uint64_t>(code));
        return kit.requests_.labels(ep.names_->method, ep.names_->endpoint,
                                    std::string_view(buf, n));
    }

    static counter& errors(kits::http_endpoint& ep, std::string_view error_type) {
        return ep.kit_->errors_.labels(ep.names_->method, ep.names_->endpoint, error_type);
    }

    static constexpr kits::http_endpoint::hooks table{&requests, &errors, &steady_now_ns};
};

} // namespace detail

namespace kits {

inline http_endpoint::http_endpoint(http_metrics& kit, std::string_view method,
                                    std::string_view endpoint)
    : hooks_(&detail::include_http_hpp<void>::table), in_flight_(&kit.in_flight_), kit_(&kit),
      duration_(&kit.duration_.labels(method, endpoint)),
      request_size_(&kit.request_size_.labels(method, endpoint)),
      response_size_(&kit.response_size_.labels(method, endpoint)),
      names_(new detail::http_endpoint_names{std::string(method), std::string(endpoint)}) {}

inline http_endpoint::~http_endpoint() { delete names_; }

inline http_request_tracker http_metrics::track(std::string_view method,
                                                std::string_view endpoint) & {
    return http_request_tracker(*this, method, endpoint);
}

} // namespace kits
VITALS_END_NAMESPACE

#endif // VITALS_KITS_HTTP_HPP
// #include <vitals/kits/jobs.hpp>
// vitals/kits/jobs.hpp - ready batch-job ("converter") metrics with an RAII run scope: the
// kit, job_metrics (the handles and the run scope are in <vitals/record/jobs.hpp>).
// SPDX-License-Identifier: MIT
#ifndef VITALS_KITS_JOBS_HPP
#define VITALS_KITS_JOBS_HPP

// #include <vitals/config.hpp>: inlined above
// #include <vitals/counter.hpp>: inlined above
// #include <vitals/detail/kit_names.hpp>: inlined above
// #include <vitals/detail/steady_clock.hpp>: inlined above
// #include <vitals/detail/utf8.hpp>: inlined above
// #include <vitals/family.hpp>: inlined above
// #include <vitals/histogram.hpp>: inlined above
// #include <vitals/record/jobs.hpp>
// vitals/record/jobs.hpp - the jobs kit's recording handles (job_handle and the run scope), for
// code that only records; the kit itself is <vitals/kits/jobs.hpp>.
// SPDX-License-Identifier: MIT
#ifndef VITALS_RECORD_JOBS_HPP
#define VITALS_RECORD_JOBS_HPP

// #include <vitals/config.hpp>: inlined above
// #include <vitals/counter.hpp>: inlined above
// #include <vitals/detail/elapsed.hpp>: inlined above
// #include <vitals/detail/uncaught.hpp>: inlined above
// #include <vitals/record/family.hpp>: inlined above
// #include <vitals/record/histogram.hpp>: inlined above

#include <atomic>      // atomic, atomic_thread_fence
#include <cstddef>     // size_t
#include <cstdint>     // int64_t, uint64_t
#include <string_view> // string_view
#include <type_traits> // enable_if_t, is_same, is_arithmetic

VITALS_BEGIN_NAMESPACE

namespace detail {
/// Defined by <vitals/kits/jobs.hpp>: the jobs kit's members that need <string>. A
/// translation unit that includes only the light headers and calls one fails to compile
/// naming this type.
template <class Full>
struct include_jobs_hpp;

/// What the copies of one job_handle, and their runs, share: the job's name, counted by
/// reference so that copying a handle neither copies the name nor allocates, and the steady
/// clock. Made and freed by <vitals/kits/jobs.hpp>, which keeps the name's characters.
struct job_shared {
    std::atomic<std::size_t> refs{1};
    std::string_view name;
    void (*destroy)(job_shared*) noexcept = nullptr;
    std::int64_t (*now_ns)() noexcept = nullptr; // std::chrono::steady_clock, in nanoseconds
};

/// One reference to a job_shared. Copies are lock-free and do not allocate.
class job_shared_ref {
public:
    explicit job_shared_ref(job_shared* s) noexcept : s_(s) {}
    job_shared_ref(const job_shared_ref& other) noexcept : s_(other.s_) {
        s_->refs.fetch_add(1, std::memory_order_relaxed);
    }
    job_shared_ref& operator=(const job_shared_ref& other) noexcept {
        if (&other == this) return *this;
        other.s_->refs.fetch_add(1, std::memory_order_relaxed); // first: both may share one
        drop(s_);
        s_ = other.s_;
        return *this;
    }
    ~job_shared_ref() { drop(s_); }

    job_shared* operator->() const noexcept { return s_; }
    job_shared& operator*() const noexcept { return *s_; }

private:
    static void drop(job_shared* s) noexcept {
        if (s->refs.fetch_sub(1, std::memory_order_acq_rel) == 1) s->destroy(s);
    }

    job_shared* s_;
};
} // namespace detail

namespace kits {

/// The `status` label value of a run that succeeded.
inline constexpr std::string_view job_success = "success";
/// The `status` label value of a run that failed.
inline constexpr std::string_view job_failure = "failure";
/// The `error_type` of a failed run whose scope was left by an exception.
inline constexpr std::string_view job_exception_error = "exception";
/// The `error_type` of a failed run given no error type (fail() or record(s, false)).
inline constexpr std::string_view job_unspecified_error = "unspecified";

class job_metrics;
class job_run;

/// The series of one named job (one converter): valid as long as the registry; copies share
/// the job's name (a copy takes no lock and does not allocate). Obtained from
/// job_metrics::job(). Recording is thread-safe; everything but record_failure() with a new
/// error type is lock-free and does not allocate. Everything but name() works with only
/// <vitals/record.hpp>.
class job_handle {
public:
    /// Starts a run.
    [[nodiscard]] job_run run() const noexcept;

    /// Records a finished run (the plain-function form of job_run); a failed one counts the
    /// error type `unspecified`. A NaN, negative or infinite `seconds` counts the run but no
    /// duration, and vitals::rejected_writes() counts the refusal.
    void record(double seconds, bool ok) const noexcept {
        if (detail::duration_ok(seconds)) duration_->observe(seconds);
        (ok ? success_ : failure_)->inc();
        if (!ok) count_error(*unspecified_);
    }
    /// record(ok, seconds), the arguments swapped, would convert both silently (a run of
    /// 1 second, ok when `seconds` is not 0): it does not compile.
    template <class Ok, class Seconds,
              std::enable_if_t<std::is_same<Ok, bool>::value && std::is_arithmetic<Seconds>::value,
                               int> = 0>
    void record(Ok, Seconds) const noexcept {
        static_assert(!std::is_same<Ok, bool>::value,
                      "job_handle::record takes the seconds first, then whether the run was ok");
    }
    /// Records a failed run with its error type (the reason, e.g. "bad_input"): the run
    /// counts as `failure` and `NS_converter_errors_total{converter,error_type}` counts one.
    /// Looks the error series up (allocates the first time a type is seen); an empty type is
    /// `unspecified`.
    void record_failure(double seconds, std::string_view error_type) const {
        counter& err = error(error_type);
        if (detail::duration_ok(seconds)) duration_->observe(seconds);
        failure_->inc();
        count_error(err);
    }
    /// Counts `n` processed files (items).
    void files_processed(std::uint64_t n = 1) const noexcept { files_->inc_by(n); }

    /// The job's name (its `converter` label value), as a const std::string&. Defined by
    /// <vitals/kits/jobs.hpp>.
    template <class Full = void>
    const auto& name() const noexcept {
        return detail::include_jobs_hpp<Full>::name(*shared_);
    }
    /// `NS_converter_runs_total{converter,status="success"}`.
    counter& successes() const noexcept { return *success_; }
    /// `NS_converter_runs_total{converter,status="failure"}`.
    counter& failures() const noexcept { return *failure_; }
    /// `NS_converter_errors_total{converter,error_type}`, looked up (see record_failure()).
    counter& errors(std::string_view error_type) const { return error(error_type); }
    /// `NS_converter_duration_seconds{converter}`.
    histogram& duration() const noexcept { return *duration_; }
    /// `NS_converter_files_processed_total{converter}`.
    counter& files() const noexcept { return *files_; }

private:
    friend class job_metrics;
    friend class job_run;

    job_handle(detail::job_shared* shared, counter_family& runs, counter_family& errors,
               histogram_family& duration, counter_family& files)
        : shared_(shared), success_(&runs.labels(shared->name, job_success)),
          failure_(&runs.labels(shared->name, job_failure)), errors_(&errors),
          exception_(&errors.labels(shared->name, job_exception_error)),
          unspecified_(&errors.labels(shared->name, job_unspecified_error)),
          duration_(&duration.labels(shared->name)), files_(&files.labels(shared->name)) {}

    // Counts the error of a failed run already counted. A scrape reads
    // `converter_errors_total` before `converter_runs_total` (families come in name order)
    // with an acquire fence between families; this release fence makes a scrape that sees the
    // error see its failed run too where stores may be seen out of order (ARM, POWER; free on
    // x86), as the HTTP kit does for its errors.
    static void count_error(counter& errors) noexcept {
        std::atomic_thread_fence(std::memory_order_release);
        errors.inc();
    }

    counter& error(std::string_view error_type) const {
        if (error_type.empty() || error_type == job_unspecified_error) return *unspecified_;
        if (error_type == job_exception_error) return *exception_;
        return errors_->labels(shared_->name, error_type);
    }

    detail::job_shared_ref shared_; // first: freed if a lookup below fails
    counter* success_;
    counter* failure_;
    counter_family* errors_;
    counter* exception_;
    counter* unspecified_;
    histogram* duration_;
    counter* files_;
};

/// RAII scope of one run: at destruction it observes the run's duration and counts the
/// run as `success`, or as `failure` when fail() was called or the scope is left by an
/// exception (std::uncaught_exceptions(); the error type is then `exception`). Every failed
/// run counts exactly one error in `NS_converter_errors_total`. cancel() records nothing (a
/// run the program abandons, e.g. while stopping). Not thread-safe itself; the metrics are.
class job_run {
public:
    explicit job_run(const job_handle& job) noexcept
        : job_(job), exceptions_(detail::uncaught_exceptions()), start_ns_(job.shared_->now_ns()) {}
    job_run(const job_run&) = delete;
    job_run& operator=(const job_run&) = delete;
    ~job_run() {
        if (cancelled_) return;
        const double seconds = detail::seconds_between(start_ns_, job_.shared_->now_ns());
        job_.duration_->observe(seconds);
        if (!error_ && detail::uncaught_exceptions() > exceptions_) error_ = job_.exception_;
        (error_ ? job_.failure_ : job_.success_)->inc();
        if (error_) job_handle::count_error(*error_);
    }
    /// Counts `n` files (items) this run processed, immediately.
    void files_processed(std::uint64_t n = 1) noexcept { job_.files_processed(n); }
    /// Marks the run as failed, for a reason: `error_type` (e.g. "bad_input", "timeout"; a
    /// small fixed set, like an enum: each distinct value is a series) becomes the
    /// `error_type` label of the error counted when the run ends; empty is `unspecified`.
    /// The first call decides; later ones are ignored. Looks the error series up (allocates
    /// the first time a type is seen). Unlike the job's name, the type is not refused (this
    /// runs on the failure path): one longer than max_label_value_bytes is counted in the
    /// errors family's overflow series (and in vitals_series_overflow_total), one not valid
    /// UTF-8 is shown with U+FFFD, as any label value; the run itself is counted as failed.
    void fail(std::string_view error_type = {}) {
        if (!error_) error_ = &job_.error(error_type);
    }
    /// Whether fail() was called.
    bool failed() const noexcept { return error_ != nullptr; }
    /// Records nothing at destruction: neither the run, nor its duration, nor an error (the
    /// run did not finish: the program is stopping, say). Files counted with
    /// files_processed() stay counted.
    void cancel() noexcept { cancelled_ = true; }

private:
    job_handle job_;
    int exceptions_;
    bool cancelled_ = false;
    counter* error_ = nullptr; // set by fail(): the run failed, this counts the error
    std::int64_t start_ns_;    // steady clock
};

inline job_run job_handle::run() const noexcept { return job_run(*this); }

} // namespace kits
VITALS_END_NAMESPACE

#endif // VITALS_RECORD_JOBS_HPP
// #include <vitals/registry.hpp>: inlined above

#include <atomic>      // atomic
#include <cstddef>     // size_t
#include <string>      // string, to_string
#include <string_view> // string_view

VITALS_BEGIN_NAMESPACE
namespace detail {

/// The registry of a job kit that its registry refused (see job_metrics), shared by the kit
/// and the handles it made: the last of them frees it.
struct job_detached_registry {
    std::atomic<std::size_t> refs{1};
    registry reg;

    static job_detached_registry* share(job_detached_registry* d) noexcept {
        if (d) d->refs.fetch_add(1, std::memory_order_relaxed);
        return d;
    }
    static void drop(job_detached_registry* d) noexcept {
        if (d && d->refs.fetch_sub(1, std::memory_order_acq_rel) == 1) delete d;
    }
};

/// A job_shared that keeps the job's name, and the refused kit's registry if any.
struct job_shared_name final : job_shared {
    job_shared_name(std::string_view n, job_detached_registry* d) : text(n), detached(d) {
        name = text; // heap-allocated and never changed: the characters stay put
        destroy = [](job_shared* s) noexcept { delete static_cast<job_shared_name*>(s); };
        now_ns = &steady_now_ns;
        job_detached_registry::share(detached);
    }
    job_shared_name(const job_shared_name&) = delete;
    job_shared_name& operator=(const job_shared_name&) = delete;
    ~job_shared_name() { job_detached_registry::drop(detached); }
    std::string text;
    job_detached_registry* detached;
};

/// The jobs kit's members that need <string> (see record/jobs.hpp).
template <class Full>
struct include_jobs_hpp {
    static const std::string& name(const job_shared& s) noexcept {
        return static_cast<const job_shared_name&>(s).text;
    }
};

} // namespace detail

namespace kits {

/// The metric set of named batch jobs, under a namespace `NS`. The catalogue calls such a
/// job a converter (a program that converts files, run again and again), so the metrics are
/// named `NS_converter_*` and the job's name is the `converter` label:
///
/// - `NS_converter_runs_total{converter,status}` counter, status `success` or `failure`
/// - `NS_converter_errors_total{converter,error_type}` counter: one per failed run, with the
///   reason given to job_run::fail() (`exception`, `unspecified` when none was given)
/// - `NS_converter_duration_seconds{converter}` histogram (10 ms .. 10 s)
/// - `NS_converter_files_processed_total{converter}` counter
///
/// `options` applies to the four families (const labels, series bound); a unit in it is
/// refused (errc::invalid_argument: the kit sets its families' units itself), and so is a
/// max_label_value_bytes below 11, which would send the kit's own values (`unspecified`) to
/// the overflow series, or a max_series below 2, which would send the first job's failures
/// there. The series
/// bound counts each family's label sets: one per job for the duration and files families,
/// but two per job for the runs counter (both outcomes appear at once) and two plus one per
/// other error type for the errors counter (`exception` and `unspecified` appear at once).
/// With a bound of 100, both counters reach it at 50 jobs at most (fewer with other error
/// types) and count the later jobs in their `__overflow__` series, so leave room for those.
/// An empty namespace drops the prefix. job() refuses, through the error policy, a name
/// that could not label the job's own series: empty, `__overflow__`, longer than
/// max_label_value_bytes or not valid UTF-8. Registration reports errors through the error
/// policy; the constructor taking a `status&` is the non-throwing form. Two kits with the same
/// namespace and options on one registry hand out the same series (a job is identified by its
/// name). All members are thread-safe; job() allocates the handle's copy of the name and looks
/// series up (allocating the first time a name is seen), so keep the handle.
class job_metrics {
public:
    job_metrics(registry& reg, std::string_view ns, const family_options& options = {})
        : job_metrics(register_families(reg, ns, options, nullptr)) {}
    /// The non-throwing form: on failure `kit_error` says why, nothing is left registered in
    /// `reg`, and the kit records into families of its own that no registry shows (kept until
    /// the kit and every handle it made are gone).
    job_metrics(registry& reg, std::string_view ns, const family_options& options,
                status& kit_error)
        : job_metrics(register_families(reg, ns, options, &kit_error)) {}

    job_metrics(const job_metrics&) = delete;
    job_metrics& operator=(const job_metrics&) = delete;
    ~job_metrics() { detail::job_detached_registry::drop(detached_); }

private:
    struct families {
        counter_family* runs = nullptr;
        counter_family* errors = nullptr;
        histogram_family* duration = nullptr;
        counter_family* files = nullptr;
        detail::job_detached_registry* detached = nullptr; // where a refused kit records
    };

    // Registers the families in `reg`, all or nothing: when one fails, those made before it
    // are withdrawn. Then the error goes through the error policy, or (with `error`) into
    // *error, and the families are made in a registry of the kit's own.
    static families register_families(registry& reg, std::string_view ns,
                                      const family_options& options, status* error) {
        families f;
        status st = try_register(reg, ns, options, f);
        if (!st) {
            if (!error) detail::fail(st);
            *error = std::move(st);
            f.detached = new detail::job_detached_registry();
            // Cannot fail: valid names and default options, in an empty registry.
            (void)try_register(f.detached->reg, {}, {}, f);
        }
        return f;
    }

    static status try_register(registry& reg, std::string_view ns, const family_options& options,
                               families& f) {
        status st = detail::kit_check_unit(options, "job", ns);
        if (!st) return st;
        st = detail::kit_check_value_bytes(options, "job", ns, job_unspecified_error);
        if (!st) return st;
        if (options.max_series < 2)
            return status(errc::invalid_argument,
                          "job kit \"" + std::string(ns) +
                              "\": family_options::max_series must be at least 2 (it is " +
                              std::to_string(options.max_series) +
                              "): a job's runs take two series (success, failure) and its "
                              "errors two (exception, unspecified), so one of each would go "
                              "to the overflow series");
        st = detail::kit_check_const_labels(options.const_labels,
                                            {"converter", "status", "error_type"}, true);
        if (!st) return st;
        detail::kit_registration all_or_nothing(reg);
        auto runs = reg.try_counter(detail::kit_metric_name(ns, "converter_runs_total"),
                                    "Converter runs, by converter and outcome (success, failure).",
                                    {"converter", "status"}, options);
        if (!runs) return runs.error();
        auto errors = reg.try_counter(detail::kit_metric_name(ns, "converter_errors_total"),
                                      "Failed converter runs, by converter and error type.",
                                      {"converter", "error_type"}, options);
        if (!errors) return errors.error();
        auto duration =
            reg.try_histogram(detail::kit_metric_name(ns, "converter_duration_seconds"),
                              "Converter run duration in seconds, by converter.", {"converter"},
                              default_buckets(), detail::with_unit(options, "seconds"));
        if (!duration) return duration.error();
        auto files =
            reg.try_counter(detail::kit_metric_name(ns, "converter_files_processed_total"),
                            "Files processed by converters, by converter.", {"converter"}, options);
        if (!files) return files.error();
        all_or_nothing.commit(); // all registered
        f.runs = &*runs;
        f.errors = &*errors;
        f.duration = &*duration;
        f.files = &*files;
        return {};
    }

    explicit job_metrics(const families& f)
        : runs_(*f.runs), errors_(*f.errors), duration_(*f.duration), files_(*f.files),
          detached_(f.detached) {}

public:
    /// The series of the job (converter) `name`; both outcomes, and the error types
    /// `exception` and `unspecified`, appear at once with 0. A name that could not label the
    /// job's own series is refused through the error policy (errc::invalid_argument), as the
    /// cache and queue kits refuse such label values: `__overflow__`, which labels the series
    /// that the jobs past the families' series bound share, so the duration and files of such a
    /// job would be theirs; an empty name, which Prometheus reads as a series with no
    /// `converter` label; a name longer than the families' max_label_value_bytes, which they
    /// would fold into their overflow series (with status `__overflow__`, so the job's runs
    /// would not even say their outcome); and one that is not valid UTF-8, which they show
    /// with U+FFFD in place of the invalid bytes, so two names differing only there would
    /// share series.
    job_handle job(std::string_view name) {
        const status refused = check_name(name);
        if (VITALS_DETAIL_UNLIKELY(!refused)) detail::fail(refused);
        return job_handle(new detail::job_shared_name(name, detached_), runs_, errors_, duration_,
                          files_);
    }

    /// Starts a run of the job `name` (one lookup per series; prefer job(name).run()).
    [[nodiscard]] job_run run(std::string_view name) { return job_run(job(name)); }

    /// The families (`NS_converter_runs_total` and so on).
    counter_family& runs() noexcept { return runs_; }
    counter_family& errors() noexcept { return errors_; }
    histogram_family& duration() noexcept { return duration_; }
    counter_family& files_processed() noexcept { return files_; }

private:
    status check_name(std::string_view name) const {
        if (name == overflow_label_value)
            return status(errc::invalid_argument,
                          "the job name '__overflow__' is reserved: it labels the series that "
                          "the jobs past the families' max_series share");
        if (name.empty())
            return status(errc::invalid_argument,
                          "the job name is empty, which Prometheus reads as a series with no "
                          "converter label");
        const std::size_t max_bytes = duration_.options().max_label_value_bytes;
        if (name.size() > max_bytes)
            return status(errc::invalid_argument,
                          "the job name is longer than " + std::to_string(max_bytes) +
                              " bytes (max_label_value_bytes): its series would be the "
                              "families' overflow series");
        if (detail::has_invalid_utf8(name))
            return status(errc::invalid_argument,
                          "the job name is not valid UTF-8: shown with U+FFFD in place of the "
                          "invalid bytes, two such names would share series");
        return {};
    }

    counter_family& runs_;
    counter_family& errors_;
    histogram_family& duration_;
    counter_family& files_;
    detail::job_detached_registry* detached_; // one reference; null once registered
};

} // namespace kits
VITALS_END_NAMESPACE

#endif // VITALS_KITS_JOBS_HPP
// #include <vitals/kits/queue.hpp>
// vitals/kits/queue.hpp - ready work-queue metrics with RAII worker and item scopes: the
// registration of queue_metrics (the class itself is in <vitals/record/queue.hpp>).
// SPDX-License-Identifier: MIT
#ifndef VITALS_KITS_QUEUE_HPP
#define VITALS_KITS_QUEUE_HPP

// #include <vitals/config.hpp>: inlined above
// #include <vitals/counter.hpp>: inlined above
// #include <vitals/detail/kit_instances.hpp>: inlined above
// #include <vitals/detail/kit_names.hpp>: inlined above
// #include <vitals/detail/steady_clock.hpp>: inlined above
// #include <vitals/family.hpp>: inlined above
// #include <vitals/gauge.hpp>: inlined above
// #include <vitals/histogram.hpp>: inlined above
// #include <vitals/record/queue.hpp>
// vitals/record/queue.hpp - the queue kit's class, with its recording calls and its worker and
// item scopes, for code that only records; registering it is in <vitals/kits/queue.hpp>.
// SPDX-License-Identifier: MIT
#ifndef VITALS_RECORD_QUEUE_HPP
#define VITALS_RECORD_QUEUE_HPP

// #include <vitals/config.hpp>: inlined above
// #include <vitals/counter.hpp>: inlined above
// #include <vitals/detail/elapsed.hpp>: inlined above
// #include <vitals/detail/kit_claim.hpp>: inlined above
// #include <vitals/detail/uncaught.hpp>: inlined above
// #include <vitals/record/gauge.hpp>: inlined above
// #include <vitals/record/histogram.hpp>: inlined above

#include <atomic>      // atomic_thread_fence
#include <cstdint>     // int64_t
#include <string_view> // string_view
#include <type_traits> // enable_if_t, is_same, is_arithmetic

VITALS_BEGIN_NAMESPACE

class registry;
struct family_options;
class status;

namespace detail {
/// Defined by <vitals/kits/queue.hpp>: registering the queue kit's families. A translation
/// unit that includes only the light headers and constructs a queue_metrics fails to compile
/// naming this type.
template <class Full>
struct include_queue_hpp;
} // namespace detail

namespace kits {

/// The queue metric set of the catalogue, under a namespace prefix `NS`:
///
/// - `NS_queue_size` gauge: items waiting
/// - `NS_queue_processed_total` counter: items whose processing finished, failed or not
/// - `NS_queue_errors_total` counter: items whose processing failed
/// - `NS_queue_workers_active` gauge: workers currently inside a worker_scope
/// - `NS_queue_processing_duration_seconds` histogram (10 ms .. 10 s): time per item
///
/// `errors / processed` is the failure ratio; `sum / count` of the histogram the average
/// processing time. An empty namespace drops the prefix.
///
/// A service with several queues gives each kit the same namespace and its own const labels,
/// `options.const_labels` (for example {{"queue", "uploads"}}): every family then has those
/// label names and one series per queue. `options.max_series` bounds the number of queues:
/// past it a kit records into the families' overflow series (label values `__overflow__`),
/// shared with every other kit past it (so it is not refused as a duplicate); a kit given the
/// value `__overflow__` itself, an empty value (Prometheus reads it as no label), one longer
/// than max_label_value_bytes or one that is not valid UTF-8 (either would share a series
/// with other kits) is refused (errc::invalid_argument).
/// Registration reports errors through the error policy: an invalid namespace or label, a
/// unit in the options (errc::invalid_argument: the kit sets its families' units itself), a
/// family of the same name defined differently, or a second live kit with the same namespace
/// and const labels on the registry (errc::conflicting_registration). The constructor taking
/// a `status&` is the non-throwing form. The kit must outlive its worker and item scopes
/// (they point to it), and the registry the kit.
/// Recording is thread-safe, lock-free and does not allocate; construction allocates.
///
/// The recording calls, the scopes and the series accessors work with only
/// <vitals/record.hpp>; the constructors are defined by <vitals/kits/queue.hpp>.
class queue_metrics {
public:
    /// Registers the families of namespace `kit_namespace` (or joins them) and takes the
    /// series of the queue named by `kit_options.const_labels`. Errors go through the error
    /// policy.
    // Templates, defined by <vitals/kits/queue.hpp>. Their parameters have names a program is
    // unlikely to give a global: GCC's -Wshadow compares a constructor template's parameters
    // with the names visible where it is instantiated, in the program's code.
    template <class Full = void>
    queue_metrics(registry& kit_registry, std::string_view kit_namespace) {
        detail::include_queue_hpp<Full>::make(*this, kit_registry, kit_namespace, {});
    }
    template <class Full = void>
    queue_metrics(registry& kit_registry, std::string_view kit_namespace,
                  const family_options& kit_options) {
        detail::include_queue_hpp<Full>::make(*this, kit_registry, kit_namespace, kit_options);
    }
    /// The non-throwing form: on failure `kit_error` says why and the kit records into metrics
    /// of its own that no registry shows (freed with the kit).
    template <class Full = void>
    queue_metrics(registry& kit_registry, std::string_view kit_namespace,
                  const family_options& kit_options, status& kit_error) {
        kit_error =
            detail::include_queue_hpp<Full>::init(*this, kit_registry, kit_namespace, kit_options);
    }
    ~queue_metrics() = default; // claim_ gives the labels up

    queue_metrics(const queue_metrics&) = delete;
    queue_metrics& operator=(const queue_metrics&) = delete;

    /// Marks a worker active for its lifetime (workers_active + 1, then - 1). Not
    /// thread-safe itself; the gauge is.
    class worker_scope {
    public:
        explicit worker_scope(queue_metrics& q) noexcept : q_(&q) { q.workers_active_->inc(); }
        worker_scope(const worker_scope&) = delete;
        worker_scope& operator=(const worker_scope&) = delete;
        ~worker_scope() { q_->workers_active_->dec(); }

    private:
        queue_metrics* q_;
    };

    /// Times the processing of one item. At destruction it observes the duration and counts
    /// the item as processed; it also counts an error when fail() was called or the scope
    /// is left by an exception. cancel() records nothing (an item the program abandons, e.g.
    /// while stopping). Not thread-safe itself; the metrics are.
    class item_scope {
    public:
        explicit item_scope(queue_metrics& q) noexcept
            : q_(&q), exceptions_(detail::uncaught_exceptions()), start_ns_(q.now_ns_()) {}
        item_scope(const item_scope&) = delete;
        item_scope& operator=(const item_scope&) = delete;
        ~item_scope() {
            if (cancelled_) return;
            const bool failed = failed_ || detail::uncaught_exceptions() > exceptions_;
            q_->record(detail::seconds_between(start_ns_, q_->now_ns_()), !failed);
        }
        /// Marks the item as failed.
        void fail() noexcept { failed_ = true; }
        /// Records nothing at destruction: the item was not processed to its end.
        void cancel() noexcept { cancelled_ = true; }

    private:
        queue_metrics* q_;
        int exceptions_;
        bool failed_ = false;
        bool cancelled_ = false;
        std::int64_t start_ns_; // steady clock
    };

    /// A worker_scope for the calling worker.
    [[nodiscard]] worker_scope worker() & noexcept { return worker_scope(*this); }
    /// An item_scope timing one item.
    [[nodiscard]] item_scope process() & noexcept { return item_scope(*this); }
    /// On a kit made in the same statement neither compiles: the scope records into the kit
    /// when it ends, after the kit.
    template <class Kit = queue_metrics>
    worker_scope worker() && {
        static_assert(!std::is_same<Kit, Kit>::value,
                      "vitals: queue_metrics(...).worker() records into a kit destroyed at the "
                      "end of the statement; keep the kit in a variable or member");
        return static_cast<Kit&>(*this).worker();
    }
    template <class Kit = queue_metrics>
    item_scope process() && {
        static_assert(!std::is_same<Kit, Kit>::value,
                      "vitals: queue_metrics(...).process() records into a kit destroyed at the "
                      "end of the statement; keep the kit in a variable or member");
        return static_cast<Kit&>(*this).process();
    }

    /// Records one processed item (the plain-function form of item_scope). A NaN, negative or
    /// infinite `seconds` counts the item but no duration, and vitals::rejected_writes() counts the
    /// refusal.
    void record(double seconds, bool ok) noexcept {
        if (detail::duration_ok(seconds)) duration_->observe(seconds);
        processed_->inc();
        if (ok) return;
        // A scrape reads `queue_errors_total` before `queue_processed_total` (families come in
        // name order) with an acquire fence between families; this release fence makes a
        // scrape that sees the error see the item too where stores may be seen out of order
        // (ARM, POWER; free on x86), as the HTTP kit does for its errors.
        std::atomic_thread_fence(std::memory_order_release);
        errors_->inc();
    }
    /// record(ok, seconds), the arguments swapped, would convert both silently (an item of
    /// 0 or 1 second, ok when `seconds` is not 0): it does not compile.
    template <class Ok, class Seconds,
              std::enable_if_t<std::is_same<Ok, bool>::value && std::is_arithmetic<Seconds>::value,
                               int> = 0>
    void record(Ok, Seconds) noexcept {
        static_assert(
            !std::is_same<Ok, bool>::value,
            "queue_metrics::record takes the seconds first, then whether the item was ok");
    }
    /// Sets the number of items waiting (`NS_queue_size`).
    void set_size(double items) noexcept { size_->set(items); }

    /// The series behind the recording calls (`NS_queue_size` and so on).
    gauge& size() noexcept { return *size_; }
    counter& processed() noexcept { return *processed_; }
    counter& errors() noexcept { return *errors_; }
    gauge& workers_active() noexcept { return *workers_active_; }
    histogram& processing_duration() noexcept { return *duration_; }

private:
    template <class Full>
    friend struct detail::include_queue_hpp;

    gauge* size_ = nullptr;
    counter* processed_ = nullptr;
    counter* errors_ = nullptr;
    gauge* workers_active_ = nullptr;
    histogram* duration_ = nullptr;
    // std::chrono::steady_clock, in nanoseconds: set by the constructor, which sees <chrono>.
    std::int64_t (*now_ns_)() noexcept = nullptr;
    detail::kit_detached_ref detached_; // what a refused kit records into
    detail::kit_claim_ref claim_;       // this kit's labels in the group of queues of its namespace
};

} // namespace kits
VITALS_END_NAMESPACE

#endif // VITALS_RECORD_QUEUE_HPP
// #include <vitals/registry.hpp>: inlined above

#include <string>      // string
#include <string_view> // string_view
#include <vector>      // vector

VITALS_BEGIN_NAMESPACE
namespace detail {

/// The queue kit's registration (see record/queue.hpp).
template <class Full>
struct include_queue_hpp {
    static void make(kits::queue_metrics& kit, registry& reg, std::string_view ns,
                     const family_options& options) {
        const status st = init(kit, reg, ns, options);
        if (!st) fail(st);
    }

    // What a refused queue kit records into.
    struct detached {
        gauge size, workers_active;
        counter processed, errors;
        histogram duration;
    };

    static status init(kits::queue_metrics& kit, registry& reg, std::string_view ns,
                       const family_options& options) {
        kit.now_ns_ = &steady_now_ns;
        status st = register_kit(kit, reg, ns, options);
        if (!st) {
            auto* own = new detached();
            kit.detached_.hold(own, [](void* p) noexcept { delete static_cast<detached*>(p); });
            kit.size_ = &own->size;
            kit.workers_active_ = &own->workers_active;
            kit.processed_ = &own->processed;
            kit.errors_ = &own->errors;
            kit.duration_ = &own->duration;
        }
        return st;
    }

    // Registers the families and takes the kit's series; on failure sets none of them.
    static status register_kit(kits::queue_metrics& kit, registry& reg, std::string_view ns,
                               const family_options& options) {
        family_options family_opts; // the const labels are the families' label names here
        family_opts.max_series = options.max_series;
        family_opts.max_label_value_bytes = options.max_label_value_bytes;
        status checked = kit_check_unit(options, "queue", ns);
        if (!checked) return checked;
        checked = kit_check_const_labels(options.const_labels, {}, true);
        if (!checked) return checked;
        checked = kit_check_label_values(options.const_labels, family_opts.max_label_value_bytes);
        if (!checked) return checked;
        const std::vector<std::string> names = kit_label_names(options.const_labels);
        kit_registration all_or_nothing(reg); // a later family's error withdraws the first ones
        const auto size = reg.try_gauge(kit_metric_name(ns, "queue_size"),
                                        "Items waiting in the queue.", names, family_opts);
        if (!size) return size.error();
        const auto processed = reg.try_counter(
            kit_metric_name(ns, "queue_processed_total"),
            "Queue items whose processing finished, successfully or not.", names, family_opts);
        if (!processed) return processed.error();
        const auto errors =
            reg.try_counter(kit_metric_name(ns, "queue_errors_total"),
                            "Queue items whose processing failed.", names, family_opts);
        if (!errors) return errors.error();
        const auto workers = reg.try_gauge(kit_metric_name(ns, "queue_workers_active"),
                                           "Queue workers currently running.", names, family_opts);
        if (!workers) return workers.error();
        const auto duration =
            reg.try_histogram(kit_metric_name(ns, "queue_processing_duration_seconds"),
                              "Time spent processing one queue item, in seconds.", names,
                              default_buckets(), with_unit(family_opts, "seconds"));
        if (!duration) return duration.error();
        // All registered: what fails from here on (a duplicate kit) keeps the families, which
        // other kits of this namespace may be using already.
        all_or_nothing.commit();

        bool created = false;
        kit_claim& claim = kit_claim::join(kit.claim_, &*size, registry_access::serial(reg),
                                           options.const_labels, &created);
        status st =
            claim.claim(nullptr, nullptr, kit_description("queue", ns, options.const_labels),
                        "{\"queue\", \"uploads\"}", size->options().max_series);
        if (!st) return st;
        const std::vector<std::string> values = kit_label_values(options.const_labels);
        kit.size_ = &size->labels(values);
        kit.processed_ = &processed->labels(values);
        kit.errors_ = &errors->labels(values);
        kit.workers_active_ = &workers->labels(values);
        kit.duration_ = &duration->labels(values);
        return {};
    }
};

} // namespace detail
VITALS_END_NAMESPACE

#endif // VITALS_KITS_QUEUE_HPP
// #include <vitals/record.hpp>
// vitals/record.hpp - what a translation unit needs to record metrics, and nothing more.
// SPDX-License-Identifier: MIT
#ifndef VITALS_RECORD_HPP
#define VITALS_RECORD_HPP

// Counters, gauges, histograms, exemplars, labelled lookups on families and the kits'
// recording handles: the HTTP kit's http_endpoint and request tracker, the jobs kit's
// job_handle and job_run, and the queue and cache kits' classes (queue_metrics with its
// worker_scope and item_scope, cache_metrics), for the many files of a program that record
// into metrics registered elsewhere. It leaves out what only registering and rendering need
// (<string>, <vector>, <chrono>, the registry, the exposition), so including it costs less
// than including <string> (bench/budgets.sh).
//
// Not here, and a compile error naming detail::include_<header>_hpp when used: making a
// histogram (<vitals/histogram.hpp>), histogram::time() and observing a std::chrono
// duration (<vitals/histogram.hpp>), gauge::set_to_current_time() (<vitals/gauge.hpp>), a
// family's name, help, options, size, clear, remove and try_labels (<vitals/family.hpp>), the
// HTTP kit itself and an endpoint's method() and endpoint() (<vitals/kits/http.hpp>), the
// jobs kit itself and a job's name() (<vitals/kits/jobs.hpp>), and constructing a
// queue_metrics or a cache_metrics (<vitals/kits/queue.hpp>, <vitals/kits/cache.hpp>).
// A program links translation units that include this header with ones that include the
// full headers freely: the classes are the same.

// #include <vitals/counter.hpp>: inlined above
// #include <vitals/exemplar.hpp>: inlined above
// #include <vitals/record/cache.hpp>: inlined above
// #include <vitals/record/family.hpp>: inlined above
// #include <vitals/record/gauge.hpp>: inlined above
// #include <vitals/record/histogram.hpp>: inlined above
// #include <vitals/record/http.hpp>: inlined above
// #include <vitals/record/jobs.hpp>: inlined above
// #include <vitals/record/queue.hpp>: inlined above

#endif // VITALS_RECORD_HPP
// #include <vitals/registry.hpp>: inlined above
// #include <vitals/stateset.hpp>: inlined above
// #include <vitals/text_format.hpp>
// vitals/text_format.hpp - renders a registry in the Prometheus text exposition format 0.0.4
// (write_text(), to_text(), text_content_type); the writer is in <vitals/exposition/text.hpp>.
// SPDX-License-Identifier: MIT
#ifndef VITALS_TEXT_FORMAT_HPP
#define VITALS_TEXT_FORMAT_HPP

// #include <vitals/exposition/text.hpp>
// vitals/exposition/text.hpp - the Prometheus text exposition format 0.0.4 writer.
// SPDX-License-Identifier: MIT
#ifndef VITALS_EXPOSITION_TEXT_HPP
#define VITALS_EXPOSITION_TEXT_HPP

// #include <vitals/config.hpp>: inlined above
// #include <vitals/counter.hpp>: inlined above
// #include <vitals/exposition/buffer.hpp>: inlined above
// #include <vitals/exposition/lines.hpp>: inlined above
// #include <vitals/exposition/model.hpp>: inlined above
// #include <vitals/family.hpp>: inlined above
// #include <vitals/histogram.hpp>: inlined above
// #include <vitals/registry.hpp>: inlined above

#include <cstddef>     // size_t
#include <cstdint>     // uint64_t
#include <string>      // string
#include <string_view> // string_view

VITALS_BEGIN_NAMESPACE

/// The Content-Type of the text exposition format 0.0.4. A view of a whole string literal, so
/// data() is null-terminated and may be given to C APIs (printf("%s", text_content_type.data())).
inline constexpr std::string_view text_content_type = "text/plain; version=0.0.4; charset=utf-8";

namespace detail {

/// Writes a registry's walk in the text format 0.0.4 (info and stateset as gauges).
class text_writer final : public exposition_visitor {
public:
    explicit text_writer(out_buffer& out) noexcept : out_(out), lines_(out) {}

    static void render(const registry& reg, out_buffer& out) {
        text_writer w(out);
        registry_access::walk(reg, w);
    }

    void family(const family_base& f) override {
        const family_text& t = f.text();
        bool any = false; // a family without visible series writes nothing
        f.for_each_series(
            [&](const series_node& s) {
                if (!any) {
                    out_.write(t.header);
                    any = true;
                }
                if (f.type() == metric_type::counter)
                    write_counter(f, s);
                else if (f.type() == metric_type::histogram)
                    write_histogram(t, s);
                else
                    lines_.series_lines(f.type(), f.name(), t, s);
            },
            out_.pause_slot());
    }

    void collected_family(std::string_view name, std::string_view help, metric_type type,
                          std::string_view) override {
        out_.write("# HELP ", 7);
        out_.write(name);
        out_.put(' ');
        lines_.escaped(help, false);
        out_.write("\n# TYPE ", 8);
        out_.write(name);
        out_.put(' ');
        out_.write(text_type_name(type));
        out_.put('\n');
    }

    void collected_sample(std::string_view name, const collected_label* labels, std::size_t n,
                          double value) override {
        lines_.collected_sample(name, labels, n, value);
    }

    void collected_histogram(std::string_view name, const collected_label* labels, std::size_t n,
                             const double* bounds, const std::uint64_t* cumulative, std::size_t nb,
                             double sum) override {
        lines_.collected_histogram(name, labels, n, bounds, cumulative, nb, sum, true, false);
    }

    void collected_stateset(std::string_view name, const collected_label* labels, std::size_t n,
                            const collected_state* states, std::size_t ns) override {
        lines_.collected_stateset(name, labels, n, states, ns);
    }

    bool output_failed() const noexcept override { return out_.failed(); }

private:
    void write_counter(const family_base& f, const series_node& s) {
        const counter& c = static_cast<const series<counter>&>(s).metric;
        lines_.name_labels(f.name(), s.labels.view());
        if (c.is_whole())
            out_.write_uint(c.whole_value());
        else
            out_.write_double(c.value());
        out_.put('\n');
    }

    void write_histogram(const family_text& t, const series_node& s) {
        const histogram& h = static_cast<const series<histogram>&>(s).metric;
        const std::size_t nb = h.bounds().size();
        std::uint64_t cumulative = 0;
        for (std::size_t i = 0; i <= nb; ++i) {
            cumulative += h.bucket_count(i);
            lines_.bucket_prefix(t, s, i, false);
            out_.write_uint(cumulative);
            out_.put('\n');
        }
        lines_.name_labels(t.sum_name, s.labels.view());
        out_.write_double(h.sum());
        out_.put('\n');
        lines_.name_labels(t.count_name, s.labels.view());
        out_.write_uint(cumulative); // equal to the +Inf bucket by construction
        out_.put('\n');
    }

    out_buffer& out_;
    line_writer lines_;
};

} // namespace detail

/// Appends the exposition of `reg` to `out`. Families appear sorted by name, series sorted by
/// label values, collectors last. Reusing the same string (cleared) makes later calls
/// allocation-free once it has grown to fit. Thread-safe; runs concurrently with writers.
inline void write_text(const registry& reg, std::string& out) {
    detail::render_to_string(&detail::text_writer::render, reg, out);
}

/// Streams the exposition of `reg` through `sink` in chunks of at most `capacity` bytes,
/// using the caller's `buffer` and no heap memory of its own. Any capacity works; 64 bytes or
/// more avoids many tiny chunks. A null `buffer` or a `capacity` of 0 uses 64 bytes of stack.
/// A sink may throw to stop the render: the exception reaches the caller, and the sink is
/// not called again.
inline void write_text(const registry& reg, text_sink sink, void* context, char* buffer,
                       std::size_t capacity) {
    detail::render_to_sink(&detail::text_writer::render, reg, sink, context, buffer, capacity);
}

/// Streams the exposition of `reg` to a callable `fn(const char* data, std::size_t size)`,
/// through a 1 KiB buffer on the stack.
template <class Fn, class = detail::if_callable_sink<Fn>>
void write_text(const registry& reg, Fn&& fn) {
    detail::render_to_callable(&detail::text_writer::render, reg, fn);
}

/// The exposition of `reg` as a new string. Allocates once: the string is sized from the
/// previous to_text() of the same registry. In a loop, write_text(reg, out) into one string
/// that is cleared and reused allocates nothing at all.
inline std::string to_text(const registry& reg) {
    return detail::render_to_new_string(&detail::text_writer::render, reg,
                                        detail::registry_access::last_text_size(reg));
}

VITALS_END_NAMESPACE

#endif // VITALS_EXPOSITION_TEXT_HPP

#endif // VITALS_TEXT_FORMAT_HPP
// #include <vitals/version.hpp>: inlined above

#endif // VITALS_VITALS_HPP
