// vitals/error.hpp - the one error policy: vitals::error, status, result and the handler.
// SPDX-License-Identifier: MIT
#ifndef VITALS_ERROR_HPP
#define VITALS_ERROR_HPP

#include <vitals/config.hpp>

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
