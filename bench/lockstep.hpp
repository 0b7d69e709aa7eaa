// bench/lockstep.hpp - one thread against two threads doing the same operation at the same time.
// SPDX-License-Identifier: MIT
//
// On a busy machine free-running multi-threaded benchmarks often measure threads that take
// turns on the CPUs, which hides contention. Here two threads pinned to two CPUs meet at a
// barrier before every phase of `phase_ops` operations. For each kind of operation, each
// round runs a two-thread phase (both threads) and a one-thread phase (thread 0 alone).
// A two-thread phase counts only when the threads really ran together: their intervals
// overlap for at least 80% of the shorter one, and each thread was on a CPU for at least 90%
// of its interval (its CPU time, CLOCK_THREAD_CPUTIME_ID, against its wall time), so the
// phase's CPU time is about twice its wall time. A one-thread phase counts when its thread was
// on a CPU for 90% of it. Medians over the phases that counted are reported; a kind whose
// two-thread phases mostly did not count gets no two-thread figure (see conclusive()).
#ifndef VITALS_BENCH_LOCKSTEP_HPP
#define VITALS_BENCH_LOCKSTEP_HPP

#if defined(__linux__)
#include <pthread.h> // pthread_setaffinity_np
#include <sched.h>   // cpu_set_t, CPU_SET
#include <time.h>    // clock_gettime, CLOCK_THREAD_CPUTIME_ID
#endif

#include <algorithm>  // max, min, nth_element
#include <atomic>     // atomic
#include <chrono>     // steady_clock
#include <cstddef>    // size_t
#include <cstdint>    // uint64_t
#include <functional> // function
#include <thread>     // thread, this_thread::yield
#include <vector>     // vector

namespace lockstep {

class spin_barrier {
public:
    void wait() {
        const unsigned gen = generation_.load(std::memory_order_acquire);
        if (arrived_.fetch_add(1, std::memory_order_acq_rel) == 1) {
            arrived_.store(0, std::memory_order_relaxed);
            generation_.fetch_add(1, std::memory_order_release);
            return;
        }
        for (unsigned spins = 0; generation_.load(std::memory_order_acquire) == gen; ++spins)
            if (spins > 2000) std::this_thread::yield(); // the other thread is not running
    }

private:
    std::atomic<unsigned> arrived_{0};
    std::atomic<unsigned> generation_{0};
};

// Pins the calling thread to one CPU where that is possible, so the two threads cannot end up
// taking turns on the same CPU (which a loaded scheduler likes to do).
inline void pin_to_cpu(unsigned cpu) {
#if defined(__linux__)
    const unsigned n = std::thread::hardware_concurrency();
    if (n < 2) return;
    cpu_set_t set;
    CPU_ZERO(&set);
    CPU_SET(cpu % n, &set);
    (void)pthread_setaffinity_np(pthread_self(), sizeof set, &set);
#else
    (void)cpu;
#endif
}

inline void unpin() {
#if defined(__linux__)
    cpu_set_t set;
    CPU_ZERO(&set);
    for (unsigned i = 0; i < std::thread::hardware_concurrency() && i < CPU_SETSIZE; ++i)
        CPU_SET(i, &set);
    (void)pthread_setaffinity_np(pthread_self(), sizeof set, &set);
#endif
}

// Nanoseconds of CPU time the calling thread has used (wall time where that is unknown).
inline double thread_cpu_ns() {
#if defined(__linux__)
    timespec ts;
    clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
    return static_cast<double>(ts.tv_sec) * 1e9 + static_cast<double>(ts.tv_nsec);
#else
    return std::chrono::duration<double, std::nano>(
               std::chrono::steady_clock::now().time_since_epoch())
        .count();
#endif
}

inline double median(std::vector<double> v) {
    if (v.empty()) return 0.0;
    const auto mid = v.begin() + static_cast<std::ptrdiff_t>(v.size() / 2);
    std::nth_element(v.begin(), mid, v.end());
    return *mid;
}

/// One kind of operation: `op(thread, n)` does n operations in a loop on thread 0 or 1 (one
/// indirect call per phase, so that the call costs nothing next to the operations).
using operation = std::function<void(int thread, std::size_t n)>;

/// The control kinds, which share nothing between the two threads: on two cores of their
/// own, the pair's wall time per operation is 0.5x one thread's. A run that measures more
/// for them was given less than that by the host, which the guest's CPU-time check cannot
/// see; read the other kinds' two-thread figures of the same run beside them.
/// register_chain: 16 steps of a multiply-add chain held in a register, no memory touched.
/// It slows only when the threads did not run at the same time (virtual CPUs taking turns
/// on one core, or one of them stalled by the host).
inline void register_chain(int thread, std::size_t n) {
    std::uint64_t x = static_cast<std::uint64_t>(thread) + n;
    for (std::size_t i = 0; i < n * 16; ++i) {
        x = x * 6364136223846793005ULL + 1442695040888963407ULL;
#if defined(__GNUC__) || defined(__clang__)
        __asm__ volatile("" : "+r"(x)); // keeps every step: the compiler cannot fold the loop
#endif
    }
    static std::atomic<std::uint64_t> sink{0};
    sink.store(x, std::memory_order_relaxed);
}

/// private_increments: 16 times, each thread adds one to a variable on its own cache line,
/// with a relaxed load and store (a counter's per-thread cell, with no library code).
/// It also slows when both threads share one core's load and store units (two virtual CPUs
/// placed on the two hardware threads of one core), which register_chain does not feel.
inline void private_increments(int thread, std::size_t n) {
    struct alignas(64) cell {
        std::atomic<std::uint64_t> value{0};
    };
    static cell cells[2];
    std::atomic<std::uint64_t>& c = cells[thread & 1].value;
    for (std::size_t i = 0; i < n * 16; ++i)
        c.store(c.load(std::memory_order_relaxed) + 1, std::memory_order_relaxed);
}

struct result {
    double solo_ns = 0;       // one thread alone: wall ns per operation
    double duo_ns = 0;        // two threads together: wall ns per operation of the pair
                              // (phase wall time / operations of both threads)
    double duo_thread_ns = 0; // two threads: wall ns per operation and thread
    double overlap = 0;       // fraction of two-thread phases that counted
    double cpu_per_wall = 0;  // median of (CPU time of both threads) / phase wall time
    bool conclusive() const { return overlap >= 0.2; }
};

/// Runs every kind `rounds` times, interleaved so that all kinds see the same conditions.
inline std::vector<result> measure(const std::vector<operation>& kinds, int rounds,
                                   std::size_t phase_ops) {
    struct span {
        double start = 0, end = 0, cpu = 0;
    };
    const std::size_t k_n = kinds.size();
    std::vector<std::vector<span>> duo[2], solo(k_n);
    duo[0].resize(k_n);
    duo[1].resize(k_n);
    spin_barrier barrier;
    const auto epoch = std::chrono::steady_clock::now();
    const auto now = [&epoch] {
        return std::chrono::duration<double, std::nano>(std::chrono::steady_clock::now() - epoch)
            .count();
    };
    const auto timed = [&](int t, std::size_t k) {
        span s;
        const double cpu0 = thread_cpu_ns();
        s.start = now();
        kinds[k](t, phase_ops);
        s.end = now();
        s.cpu = thread_cpu_ns() - cpu0;
        return s;
    };
    const auto worker = [&](int t) {
        pin_to_cpu(static_cast<unsigned>(t));
        for (int r = 0; r < rounds; ++r) {
            for (std::size_t k = 0; k < k_n; ++k) {
                barrier.wait();
                duo[t][k].push_back(timed(t, k));
                barrier.wait();
                if (t == 0) solo[k].push_back(timed(0, k));
            }
        }
    };
    std::thread other(worker, 1);
    worker(0);
    other.join();
    unpin();

    std::vector<result> out(k_n);
    for (std::size_t k = 0; k < k_n; ++k) {
        std::vector<double> pair_ns, thread_ns, solo_ns, cpu_ratio;
        for (std::size_t r = 0; r < duo[0][k].size(); ++r) {
            const span a = duo[0][k][r], b = duo[1][k][r];
            const double len_a = a.end - a.start, len_b = b.end - b.start;
            const double together = std::min(a.end, b.end) - std::max(a.start, b.start);
            const double wall = std::max(a.end, b.end) - std::min(a.start, b.start);
            if (together < 0.8 * std::min(len_a, len_b)) continue;
            if (a.cpu < 0.9 * len_a || b.cpu < 0.9 * len_b) continue;
            pair_ns.push_back(wall / (2.0 * static_cast<double>(phase_ops)));
            thread_ns.push_back(len_a / static_cast<double>(phase_ops));
            thread_ns.push_back(len_b / static_cast<double>(phase_ops));
            cpu_ratio.push_back((a.cpu + b.cpu) / wall);
        }
        for (const span& s : solo[k])
            if (s.cpu >= 0.9 * (s.end - s.start))
                solo_ns.push_back((s.end - s.start) / static_cast<double>(phase_ops));
        out[k].solo_ns = median(solo_ns);
        out[k].duo_ns = median(pair_ns);
        out[k].duo_thread_ns = median(thread_ns);
        out[k].overlap = static_cast<double>(pair_ns.size()) / static_cast<double>(rounds);
        out[k].cpu_per_wall = median(cpu_ratio);
    }
    return out;
}

} // namespace lockstep

#endif // VITALS_BENCH_LOCKSTEP_HPP
