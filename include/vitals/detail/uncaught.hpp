// vitals/detail/uncaught.hpp - std::uncaught_exceptions() for the kits' RAII scopes, without
// its call into the C++ runtime where the ABI says where the count is.
// SPDX-License-Identifier: MIT
#ifndef VITALS_DETAIL_UNCAUGHT_HPP
#define VITALS_DETAIL_UNCAUGHT_HPP

#include <vitals/config.hpp>

// libstdc++ on ELF targets: the Itanium C++ ABI's __cxa_get_globals() and the layout of what
// it returns (the caught-exception stack, then the uncaught count) are documented there. The
// function is declared here as <cxxabi.h> declares it: that header, and the <exception> the
// other path needs, cost about 4% of what a file including <vitals/record.hpp> compiles.
#if defined(__GLIBCXX__) && defined(__ELF__)
// NOLINTBEGIN(bugprone-reserved-identifier): the ABI's own names
namespace __cxxabiv1 {
struct __cxa_eh_globals;
extern "C" __cxa_eh_globals* __cxa_get_globals() noexcept __attribute__((__const__));
} // namespace __cxxabiv1
// NOLINTEND(bugprone-reserved-identifier)
#define VITALS_DETAIL_EH_GLOBALS 1
#else
#include <exception> // uncaught_exceptions
#define VITALS_DETAIL_EH_GLOBALS 0
#endif

VITALS_BEGIN_NAMESPACE
namespace detail {

/// std::uncaught_exceptions(). A tracked request asks twice, and libstdc++ answers through a
/// call into the shared library and a general-dynamic thread-local lookup, a large share of
/// what tracking adds to a request's clock reads (bench/bench_kits.cpp). The count's address
/// is fixed for the thread's life, so it is looked up once.
inline int uncaught_exceptions() noexcept {
#if VITALS_DETAIL_EH_GLOBALS
    struct eh_globals {
        void* caught_exceptions;
        unsigned int uncaught_exceptions;
    };
    static thread_local const eh_globals* globals = nullptr;
    if (VITALS_DETAIL_UNLIKELY(!globals))
        globals = reinterpret_cast<const eh_globals*>(__cxxabiv1::__cxa_get_globals());
    return static_cast<int>(globals->uncaught_exceptions);
#else
    return std::uncaught_exceptions();
#endif
}

} // namespace detail
VITALS_END_NAMESPACE

#endif // VITALS_DETAIL_UNCAUGHT_HPP
