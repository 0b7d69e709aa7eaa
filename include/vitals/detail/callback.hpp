// vitals/detail/callback.hpp - a copyable holder of any callable (std::function's role).
// SPDX-License-Identifier: MIT
#ifndef VITALS_DETAIL_CALLBACK_HPP
#define VITALS_DETAIL_CALLBACK_HPP

#include <vitals/config.hpp>

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
