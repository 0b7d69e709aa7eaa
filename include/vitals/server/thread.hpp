// vitals/server/thread.hpp - the server headers' threads and sleeps, on the OS API.
// SPDX-License-Identifier: MIT
#ifndef VITALS_SERVER_THREAD_HPP
#define VITALS_SERVER_THREAD_HPP

// std::thread would do, but <thread> and std::thread's constructor, compiled for each of its
// callables, add measurably to the compile time of a file that includes <vitals/server.hpp>
// (bench/compile_ab.sh).
// The server includes the OS headers anyway (socket.hpp: <winsock2.h> includes <windows.h>).

#include <vitals/config.hpp>
#include <vitals/server/socket.hpp>

#include <cerrno>  // errno, EINTR
#include <cstdint> // uintptr_t
#include <cstring> // memcpy, strerror
#include <string>  // string, to_string

#if defined(_WIN32)
#include <process.h> // _beginthreadex
#else
#include <ctime>     // nanosleep, timespec
#include <pthread.h> // pthread_create, pthread_join, pthread_self
#endif

VITALS_BEGIN_NAMESPACE
namespace detail {

/// A thread running body(arg), joined by join() (or by the destructor, which waits for it).
class os_thread {
public:
    using body_fn = void (*)(void*);

    os_thread() noexcept = default;
    os_thread(const os_thread&) = delete;
    os_thread& operator=(const os_thread&) = delete;
    ~os_thread() { join(); }

    /// Starts the thread. Returns 0, or the OS error code (nothing started; see
    /// thread_error_text()). Must not be joinable.
    int start(body_fn body, void* arg) noexcept {
        body_ = body;
        arg_ = arg;
#if defined(_WIN32)
        const std::uintptr_t h = ::_beginthreadex(nullptr, 0, &entry, this, 0, nullptr);
        if (h == 0) return errno;
        handle_ = reinterpret_cast<HANDLE>(h);
#else
        const int e = ::pthread_create(&thread_, nullptr, &entry, this);
        if (e != 0) return e;
#endif
        started_ = true;
        return 0;
    }

    /// Whether a started thread has not been joined yet.
    bool joinable() const noexcept { return started_; }

    /// Waits for the thread to end; nothing when not joinable. Not from the thread itself.
    void join() noexcept {
        if (!started_) return;
#if defined(_WIN32)
        ::WaitForSingleObject(handle_, INFINITE);
        ::CloseHandle(handle_);
        handle_ = nullptr;
#else
        ::pthread_join(thread_, nullptr);
#endif
        started_ = false;
    }

private:
#if defined(_WIN32)
    static unsigned __stdcall entry(void* self) {
        static_cast<os_thread*>(self)->body_(static_cast<os_thread*>(self)->arg_);
        return 0;
    }
    HANDLE handle_ = nullptr;
#else
    static void* entry(void* self) {
        static_cast<os_thread*>(self)->body_(static_cast<os_thread*>(self)->arg_);
        return nullptr;
    }
    pthread_t thread_{};
#endif
    body_fn body_ = nullptr;
    void* arg_ = nullptr;
    bool started_ = false;
};

/// The OS message for an error code of os_thread::start().
inline std::string thread_error_text(int error) {
    return std::string(std::strerror(error)) + " (" + std::to_string(error) + ")";
}

/// The calling thread, as a number that no other live thread of the process has and that is
/// never 0 (the same in every module of the process, unlike a thread_local's address).
inline std::uintptr_t current_thread_token() noexcept {
#if defined(_WIN32)
    return static_cast<std::uintptr_t>(::GetCurrentThreadId());
#else
    // pthread_t is an integer or a pointer (the thread's control block) on every POSIX system
    // vitals builds on, and never 0 for a live thread.
    static_assert(sizeof(pthread_t) <= sizeof(std::uintptr_t), "pthread_t wider than a pointer");
    const pthread_t self = ::pthread_self();
    std::uintptr_t token = 0;
    std::memcpy(&token, &self, sizeof self);
    return token;
#endif
}

/// Sleeps for `ms` milliseconds (nothing when not positive), however long.
inline void sleep_ms(long long ms) noexcept {
    while (ms > 0) {
        const long long step = ms < 3600LL * 1000 ? ms : 3600LL * 1000;
#if defined(_WIN32)
        ::Sleep(static_cast<DWORD>(step));
#else
        timespec t{};
        t.tv_sec = static_cast<std::time_t>(step / 1000);
        t.tv_nsec = static_cast<long>(step % 1000) * 1000000L;
        while (::nanosleep(&t, &t) != 0 && errno == EINTR) {}
#endif
        ms -= step;
    }
}

} // namespace detail
VITALS_END_NAMESPACE

#endif // VITALS_SERVER_THREAD_HPP
