// vitals/detail/thread_slot.hpp - which per-thread cell of a counter or histogram a thread writes.
// SPDX-License-Identifier: MIT
#ifndef VITALS_DETAIL_THREAD_SLOT_HPP
#define VITALS_DETAIL_THREAD_SLOT_HPP

#include <vitals/config.hpp>

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
