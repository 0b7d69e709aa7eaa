// tests/unit/concurrency_histogram_reset.cpp - a histogram series removed and re-added while a
// thread keeps observing through a reference it kept restarts at zero. Before, reset() stored
// 0 into the observing thread's own cells, which that thread updates with a plain load and
// store: its next store wrote the whole pre-reset total back. Run under ThreadSanitizer in CI.
// SPDX-License-Identifier: MIT
#include <vitals/vitals.hpp>

#include <doctest/doctest.h>

#include <atomic>  // atomic
#include <cstdint> // uint64_t
#include <limits>  // numeric_limits
#include <string>  // string
#include <thread>  // thread

// POSIX signals, except under ThreadSanitizer, which defers a signal to a point where the
// thread calls into the runtime (the interrupted add would never be split).
#if defined(__has_feature)
#if __has_feature(thread_sanitizer)
#define VITALS_TEST_TSAN 1
#endif
#endif
#if defined(__SANITIZE_THREAD__)
#define VITALS_TEST_TSAN 1
#endif
#if (defined(__unix__) || defined(__APPLE__)) && !defined(VITALS_TEST_TSAN)
#define VITALS_TEST_SIGNALS 1
#include <pthread.h> // pthread_kill
#include <signal.h>  // sigaction, SIGUSR1
#else
#define VITALS_TEST_SIGNALS 0
#endif

namespace {
// Waits until the worker has made `n` more observations (it always makes progress).
void wait_for(const std::atomic<std::uint64_t>& progress, std::uint64_t n) {
    const std::uint64_t start = progress.load(std::memory_order_acquire);
    while (progress.load(std::memory_order_acquire) < start + n) std::this_thread::yield();
}
} // namespace

TEST_CASE("concurrency: a re-added histogram series holds only what was observed since") {
    vitals::registry reg;
    auto& fam = reg.histogram("lat_seconds", "Latency.", {"path"}, {1.0, 2.0});
    vitals::histogram& kept = fam.labels("/a"); // a reference kept for the hot path
    std::atomic<std::uint64_t> progress{0};
    std::atomic<bool> stop{false};
    std::thread worker([&] {
        std::uint64_t i = 0;
        while (!stop.load(std::memory_order_relaxed)) {
            kept.observe(0.5);
            progress.store(++i, std::memory_order_release);
        }
    });

    int restarted_dirty = 0;
    for (int round = 0; round < 300; ++round) {
        wait_for(progress, 2000);
        fam.remove("/a");
        // Observations completed up to here may have counted before the reset below; one more
        // may be in flight across it (see histogram::reset()).
        const std::uint64_t before = progress.load(std::memory_order_acquire);
        vitals::histogram& again = fam.labels("/a"); // re-added: restarts at zero
        const std::uint64_t count = again.count();
        const double sum = again.sum();
        const std::uint64_t below = again.bucket_count(0);
        const std::uint64_t after = progress.load(std::memory_order_acquire);
        const std::uint64_t allowed = after - before + 1;
        CHECK(&again == &kept);
        if (count > allowed || sum > 0.5 * static_cast<double>(allowed) || below > allowed) {
            if (++restarted_dirty <= 3) {
                CAPTURE(round);
                CAPTURE(count);
                CAPTURE(sum);
                CAPTURE(allowed);
                CHECK(count <= allowed);
                CHECK(sum <= 0.5 * static_cast<double>(allowed));
                CHECK(below <= allowed); // read last: the worker goes on
            }
        }
    }
    stop.store(true, std::memory_order_relaxed);
    worker.join();
    CHECK(restarted_dirty == 0);

    // With the worker stopped, one more re-add: every reading then agrees exactly with what
    // is observed afterwards (the count, the sum, the buckets, the exposition's _count and
    // +Inf).
    fam.remove("/a");
    vitals::histogram& last = fam.labels("/a");
    CHECK(last.count() == 0u);
    CHECK(last.sum() == 0.0);
    for (int i = 0; i < 10; ++i) kept.observe(0.5);
    CHECK(last.count() == 10u);
    CHECK(last.sum() == 5.0);
    CHECK(last.bucket_count(0) == 10u);
    CHECK(last.bucket_count(1) == 0u);
    CHECK(last.bucket_count(2) == 0u);
    const std::string text = vitals::to_text(reg);
    CHECK(text.find("lat_seconds_bucket{path=\"/a\",le=\"+Inf\"} 10\n") != std::string::npos);
    CHECK(text.find("lat_seconds_count{path=\"/a\"} 10\n") != std::string::npos);
    CHECK(text.find("lat_seconds_sum{path=\"/a\"} 5\n") != std::string::npos);
}

#if VITALS_TEST_SIGNALS
namespace {
// The reset runs in a signal handler on the observing thread itself, so it lands at whatever
// instruction the signal interrupts, often between the load and the store with which the
// thread adds to its own cell: the race above, without needing two cores at once.
vitals::histogram* signalled = nullptr;
std::atomic<std::uint64_t> observed{0};
std::atomic<std::uint64_t> observed_at_reset{0};
std::atomic<std::uint64_t> resets{0};
static_assert(std::atomic<std::uint64_t>::is_always_lock_free, "used in a signal handler");

extern "C" void reset_on_signal(int) {
    observed_at_reset.store(observed.load(std::memory_order_relaxed), std::memory_order_relaxed);
    signalled->reset(); // lock-free; its bases already exist (see below)
    resets.fetch_add(1, std::memory_order_release);
}
} // namespace

TEST_CASE("concurrency: a reset that interrupts an observation does not bring old counts back") {
    vitals::histogram h{1.0};
    h.reset(); // allocates the bases now: the handler must not allocate
    signalled = &h;
    struct sigaction action {};
    action.sa_handler = reset_on_signal;
    sigemptyset(&action.sa_mask);
    struct sigaction previous {};
    REQUIRE(sigaction(SIGUSR1, &action, &previous) == 0);

    std::atomic<bool> stop{false};
    std::atomic<int> dirty{0};
    std::uint64_t largest_excess = 0;
    std::thread worker([&] {
        std::uint64_t seen = resets.load(std::memory_order_acquire);
        while (!stop.load(std::memory_order_relaxed)) {
            h.observe(0.5);
            const std::uint64_t done = observed.fetch_add(1, std::memory_order_relaxed) + 1;
            const std::uint64_t r = resets.load(std::memory_order_acquire);
            if (r == seen) continue;
            seen = r;
            // Since the reset: what completed after it, plus the one it may have interrupted.
            const std::uint64_t allowed =
                done - observed_at_reset.load(std::memory_order_relaxed) + 1;
            const std::uint64_t count = h.count();
            if (count > allowed || h.sum() > 0.5 * static_cast<double>(allowed)) {
                dirty.fetch_add(1, std::memory_order_relaxed);
                if (count > allowed && count - allowed > largest_excess)
                    largest_excess = count - allowed;
            }
        }
    });
    for (std::uint64_t i = 1; i <= 2000; ++i) {
        pthread_kill(worker.native_handle(), SIGUSR1);
        while (resets.load(std::memory_order_acquire) < i) std::this_thread::yield();
    }
    stop.store(true, std::memory_order_relaxed);
    worker.join();
    sigaction(SIGUSR1, &previous, nullptr);
    CAPTURE(largest_excess);
    CHECK(dirty.load() == 0);
}
#endif

TEST_CASE("histogram: reset() restarts every reading at zero, then counts on") {
    // Without a second thread: bases subtracted by every reader, sums exact per shard, and an
    // infinite sum cleared.
    vitals::histogram h{1.0};
    h.observe(0.25);
    h.observe(3.0);
    h.reset();
    CHECK(h.count() == 0u);
    CHECK(h.sum() == 0.0);
    CHECK(h.bucket_count(0) == 0u);
    CHECK(h.bucket_count(1) == 0u);
    h.observe(0.5);
    h.reset();
    h.observe(0.75);
    CHECK(h.count() == 1u);
    CHECK(h.sum() == 0.75);
    CHECK(h.bucket_count(0) == 1u);
    h.observe(std::numeric_limits<double>::max()); // two of them: a sum past the largest double
    h.observe(std::numeric_limits<double>::max());
    CHECK(h.sum() == std::numeric_limits<double>::infinity());
    h.reset();
    CHECK(h.count() == 0u);
    CHECK(h.sum() == 0.0);
    h.observe(2.0);
    CHECK(h.sum() == 2.0);
    CHECK(h.bucket_count(1) == 1u);
}
