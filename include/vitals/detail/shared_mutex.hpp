// vitals/detail/shared_mutex.hpp - the reader-writer locks of registries, families and kits.
// SPDX-License-Identifier: MIT
#ifndef VITALS_DETAIL_SHARED_MUTEX_HPP
#define VITALS_DETAIL_SHARED_MUTEX_HPP

#include <vitals/config.hpp>

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
