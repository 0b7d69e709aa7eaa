# vitalsAtomic.cmake - does this toolchain need libatomic for vitals' 64-bit atomics?
# SPDX-License-Identifier: MIT
#
# vitals keeps counters in std::atomic<std::uint64_t> and std::atomic<double>. Some 32-bit
# targets (clang on armhf, clang -m32) leave parts of those to libatomic, so programs fail to
# link without -latomic. Used by the vitals build and by the installed vitalsConfig.cmake, so
# the answer always matches the consumer's compiler.
include_guard(GLOBAL)
include(CheckCXXSourceCompiles)
include(CMakePushCheckState)

# Sets <out_var> to TRUE when -latomic is needed (and works), FALSE otherwise. Cached.
function(vitals_needs_libatomic out_var)
    if(DEFINED CACHE{VITALS_LIBATOMIC_NEEDED})
        set(${out_var} "${VITALS_LIBATOMIC_NEEDED}" PARENT_SCOPE)
        return()
    endif()
    set(source [=[
#include <atomic>
#include <cstdint>
std::atomic<std::uint64_t> vitals_u{0};
std::atomic<double> vitals_d{0.0};
int main() {
    vitals_u.fetch_add(1, std::memory_order_relaxed);
    double expected = vitals_d.load(std::memory_order_relaxed);
    vitals_d.compare_exchange_weak(expected, expected + 1.0);
    return static_cast<int>(vitals_u.load()) + (vitals_u.is_lock_free() ? 0 : 2) +
           (vitals_d.is_lock_free() ? 0 : 4);
}
]=])
    cmake_push_check_state(RESET)
    set(CMAKE_REQUIRED_QUIET ON)
    check_cxx_source_compiles("${source}" VITALS_ATOMIC64_WITHOUT_LIBATOMIC)
    set(needed FALSE)
    if(NOT VITALS_ATOMIC64_WITHOUT_LIBATOMIC)
        set(CMAKE_REQUIRED_LIBRARIES atomic)
        check_cxx_source_compiles("${source}" VITALS_ATOMIC64_WITH_LIBATOMIC)
        if(VITALS_ATOMIC64_WITH_LIBATOMIC)
            set(needed TRUE)
        else()
            message(WARNING "vitals: 64-bit std::atomic does not link, with or without -latomic")
        endif()
    endif()
    cmake_pop_check_state()
    set(VITALS_LIBATOMIC_NEEDED "${needed}" CACHE INTERNAL "vitals: link libatomic")
    set(${out_var} "${needed}" PARENT_SCOPE)
endfunction()
