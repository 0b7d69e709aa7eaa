// vitals/detail/atomic_double.hpp - lock-free add on std::atomic<double>.
// SPDX-License-Identifier: MIT
#ifndef VITALS_DETAIL_ATOMIC_DOUBLE_HPP
#define VITALS_DETAIL_ATOMIC_DOUBLE_HPP

#include <vitals/config.hpp>

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

// Counter stripe slots. A thread takes the slot fewest live threads hold and gives it back
// when it exits, so up to VITALS_COUNTER_STRIPES concurrent threads never share a cell no
// matter how many threads came and went before. (Numbering threads round-robin made short-
// lived pool workers collide on one cell, e.g. every 4th worker with 4 stripes, and a shared
// cell costs as much as a plain shared atomic.)
inline std::atomic<unsigned>* thread_slot_users() noexcept {
    // Zero-initialised static storage: constant-initialised, no guard.
    static std::atomic<unsigned> users[VITALS_COUNTER_STRIPES];
    return users;
}

// slot + 1 of the calling thread, 0 before its first increment. Trivial, so reading it is one
// TLS load with no initialisation guard on the hot path.
inline unsigned& thread_slot_cache() noexcept {
    static thread_local unsigned slot_plus_one = 0;
    return slot_plus_one;
}

// Gives the thread's slot back at thread exit. Only touched once per thread.
struct thread_slot_holder {
    unsigned slot = 0;
    bool held = false;
    thread_slot_holder() noexcept = default;
    thread_slot_holder(const thread_slot_holder&) = delete;
    thread_slot_holder& operator=(const thread_slot_holder&) = delete;
    ~thread_slot_holder() {
        if (held) thread_slot_users()[slot].fetch_sub(1, std::memory_order_relaxed);
    }
};

// The order in which free slots are handed out: 0, N/2, N/4, 3N/4, ... (i bit-reversed).
// The first threads then write cells at least 128 bytes apart, not neighbouring cache lines,
// which the adjacent-line prefetcher fetches in pairs: with 2 threads incrementing 256
// striped series, neighbouring cells made lookup+inc ~45 ns per op, cells 128 bytes apart
// ~33 ns (issue 2 benchmark, BM_lockstep_2threads).
constexpr unsigned spread_slot(unsigned i) noexcept {
    unsigned r = 0;
    for (unsigned bit = 1, rbit = VITALS_COUNTER_STRIPES / 2; rbit != 0; bit <<= 1, rbit >>= 1)
        if (i & bit) r |= rbit;
    return r;
}

// Slow path of thread_slot(): once per thread. Registering the thread-exit hook may make the
// C++ runtime allocate a few bytes, once per thread.
VITALS_DETAIL_NOINLINE inline unsigned acquire_thread_slot() noexcept {
    std::atomic<unsigned>* users = thread_slot_users();
    unsigned best = 0;
    for (int attempt = 0;; ++attempt) {
        unsigned best_n = users[0].load(std::memory_order_relaxed);
        best = 0;
        for (unsigned k = 1; k < VITALS_COUNTER_STRIPES; ++k) {
            const unsigned i = spread_slot(k);
            const unsigned n = users[i].load(std::memory_order_relaxed);
            if (n < best_n) {
                best = i;
                best_n = n;
            }
        }
        // The CAS keeps two threads starting together off one slot; after a few lost races
        // any slot will do (sharing a cell is slower, never wrong).
        if (users[best].compare_exchange_strong(best_n, best_n + 1, std::memory_order_relaxed))
            break;
        if (attempt == 8) {
            users[best].fetch_add(1, std::memory_order_relaxed);
            break;
        }
    }
#if !defined(__MINGW32__)
    // Not with mingw-w64: its emulated TLS can free a thread's thread_local storage before
    // that thread's thread_local destructors run, and the holder's destructor then wrote
    // through freed memory at thread exit (a crash in about one run in three of the
    // concurrency test under wine on a loaded machine). There slots are never given back:
    // new threads still go to the least-used stripe, counting every thread that ever took one.
    static thread_local thread_slot_holder holder;
    holder.slot = best;
    holder.held = true;
#endif
    thread_slot_cache() = best + 1;
    return best;
}

/// The calling thread's counter stripe, in [0, VITALS_COUNTER_STRIPES).
inline unsigned thread_slot() noexcept {
    const unsigned s = thread_slot_cache();
    if (VITALS_DETAIL_LIKELY(s != 0)) return s - 1;
    return acquire_thread_slot();
}

} // namespace detail
VITALS_END_NAMESPACE

#endif // VITALS_DETAIL_ATOMIC_DOUBLE_HPP
