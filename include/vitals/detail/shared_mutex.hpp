// vitals/detail/shared_mutex.hpp - the reader-writer lock of registries, families and kits.
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

} // namespace detail
VITALS_END_NAMESPACE

#endif // VITALS_DETAIL_SHARED_MUTEX_HPP
