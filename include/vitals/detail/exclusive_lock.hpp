// vitals/detail/exclusive_lock.hpp - a scoped writer lock on a reader-writer lock.
// SPDX-License-Identifier: MIT
#ifndef VITALS_DETAIL_EXCLUSIVE_LOCK_HPP
#define VITALS_DETAIL_EXCLUSIVE_LOCK_HPP

#include <vitals/config.hpp>

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
