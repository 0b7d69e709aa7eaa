// vitals/detail/shared_mutex.hpp - the reader-writer locks of registries, families and kits.
// SPDX-License-Identifier: MIT
#ifndef VITALS_DETAIL_SHARED_MUTEX_HPP
#define VITALS_DETAIL_SHARED_MUTEX_HPP

#include <vitals/config.hpp>

#include <shared_mutex> // shared_mutex

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

/// A reader-writer lock that lets a waiting writer in before the readers that come after it.
/// glibc's std::shared_mutex prefers readers: scrapes that overlap back to back (two
/// Prometheus servers, a slow collector, a large family) kept a registration or a new series
/// waiting for as long as they went on. Here a writer holds `gate_` while it waits, and new
/// readers pass through `gate_` first, so it waits only for the readers already inside.
/// Like std::shared_mutex on other platforms, a thread must not take the shared lock twice
/// (a writer queued in between waits for the first, and the second for the writer).
class writer_first_mutex {
public:
    writer_first_mutex() = default;
    writer_first_mutex(const writer_first_mutex&) = delete;
    writer_first_mutex& operator=(const writer_first_mutex&) = delete;

    void lock() {
        gate_.lock();
        main_.lock();
        gate_.unlock();
    }
    void unlock() { main_.unlock(); }
    void lock_shared() {
        gate_.lock_shared(); // held only for this instant: writers are not kept out by it
        gate_.unlock_shared();
        main_.lock_shared();
    }
    void unlock_shared() { main_.unlock_shared(); }

private:
    shared_mutex gate_;
    shared_mutex main_;
};

} // namespace detail
VITALS_END_NAMESPACE

#endif // VITALS_DETAIL_SHARED_MUTEX_HPP
