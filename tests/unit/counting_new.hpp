// tests/unit/counting_new.hpp - replaces the global operator new/delete with versions that
// count the allocations the current thread makes while counting is switched on
// (allocations_during), or make them fail (failing_allocations). Include it in exactly one
// file of a test program.
// SPDX-License-Identifier: MIT
#ifndef VITALS_TESTS_COUNTING_NEW_HPP
#define VITALS_TESTS_COUNTING_NEW_HPP

#include <vitals/config.hpp> // VITALS_HAS_EXCEPTIONS

#include <cstddef> // size_t
#include <cstdint> // uintptr_t
#include <cstdlib> // malloc, free, abort
#include <new>     // align_val_t, bad_alloc, nothrow_t

namespace {

thread_local bool t_counting = false;
thread_local std::size_t t_allocations = 0;
thread_local bool t_failing = false;
thread_local std::size_t t_allowed = 0; // allocations that succeed before t_failing applies

// Whether this allocation fails (failing_allocations).
bool fails_now() noexcept {
    if (!t_failing) return false;
    if (t_allowed == 0) return true;
    --t_allowed;
    return false;
}

void* checked(void* p) {
    if (!p) {
#if VITALS_HAS_EXCEPTIONS()
        throw std::bad_alloc();
#else
        std::abort();
#endif
    }
    return p;
}

void* counted(std::size_t size) {
    if (t_counting) ++t_allocations;
    if (fails_now()) return checked(nullptr);
    return checked(std::malloc(size == 0 ? 1 : size));
}

// The nothrow forms (histogram reset bases use them): null instead of throwing.
void* counted_nothrow(std::size_t size) noexcept {
    if (t_counting) ++t_allocations;
    if (fails_now()) return nullptr;
    return std::malloc(size == 0 ? 1 : size);
}

// Over-aligned blocks by hand (aligned_alloc is missing on Windows): the pointer malloc
// returned is kept just below the aligned block, for the aligned operator delete.
void* counted_aligned(std::size_t size, std::align_val_t align) {
    if (t_counting) ++t_allocations;
    if (fails_now()) return checked(nullptr);
    const std::size_t a = static_cast<std::size_t>(align);
    void* raw = checked(std::malloc(size + a + sizeof(void*)));
    const std::uintptr_t base = reinterpret_cast<std::uintptr_t>(raw) + sizeof(void*);
    void** aligned = reinterpret_cast<void**>((base + a - 1) / a * a);
    aligned[-1] = raw;
    return aligned;
}

void free_aligned(void* p) noexcept {
    if (p) std::free(static_cast<void**>(p)[-1]);
}

/// While it lives, every allocation on this thread fails (after the first `allowed`, which
/// succeed): operator new throws std::bad_alloc (aborts without exceptions), the nothrow forms
/// return null. Check nothing inside its scope (doctest's macros allocate).
class failing_allocations {
public:
    explicit failing_allocations(std::size_t allowed = 0) noexcept {
        t_allowed = allowed;
        t_failing = true;
    }
    failing_allocations(const failing_allocations&) = delete;
    failing_allocations& operator=(const failing_allocations&) = delete;
    ~failing_allocations() { t_failing = false; }
};

/// Counts the allocations made on this thread by `fn()`.
template <class Fn>
std::size_t allocations_during(Fn&& fn) {
    t_allocations = 0;
    t_counting = true;
    fn();
    t_counting = false;
    return t_allocations;
}

} // namespace

void* operator new(std::size_t size) { return counted(size); }
void* operator new[](std::size_t size) { return counted(size); }
void* operator new(std::size_t size, const std::nothrow_t&) noexcept {
    return counted_nothrow(size);
}
void* operator new[](std::size_t size, const std::nothrow_t&) noexcept {
    return counted_nothrow(size);
}
void operator delete(void* p, const std::nothrow_t&) noexcept { std::free(p); }
void operator delete[](void* p, const std::nothrow_t&) noexcept { std::free(p); }
void* operator new(std::size_t size, std::align_val_t align) {
    return counted_aligned(size, align);
}
void* operator new[](std::size_t size, std::align_val_t align) {
    return counted_aligned(size, align);
}
void operator delete(void* p) noexcept { std::free(p); }
void operator delete[](void* p) noexcept { std::free(p); }
void operator delete(void* p, std::size_t) noexcept { std::free(p); }
void operator delete[](void* p, std::size_t) noexcept { std::free(p); }
void operator delete(void* p, std::align_val_t) noexcept { free_aligned(p); }
void operator delete[](void* p, std::align_val_t) noexcept { free_aligned(p); }
void operator delete(void* p, std::size_t, std::align_val_t) noexcept { free_aligned(p); }
void operator delete[](void* p, std::size_t, std::align_val_t) noexcept { free_aligned(p); }

#endif // VITALS_TESTS_COUNTING_NEW_HPP
