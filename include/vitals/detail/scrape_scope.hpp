// vitals/detail/scrape_scope.hpp - which registries (and families) the calling thread is
// scraping right now.
// SPDX-License-Identifier: MIT
#ifndef VITALS_DETAIL_SCRAPE_SCOPE_HPP
#define VITALS_DETAIL_SCRAPE_SCOPE_HPP

#include <vitals/config.hpp>

VITALS_BEGIN_NAMESPACE
namespace detail {

/// Marks, for its lifetime, that the calling thread is scraping `owner` (a registry): it holds
/// the registry's reader lock and runs its collectors and the output sink. Code those call
/// must not wait for that lock, which only the end of the scrape releases: a registration in
/// the same registry would wait for its writer lock forever, and a server stop() that joins a
/// thread which renders the registry could too. Such code asks inside() first. (A family's
/// walk holds its lock only while the output sink does not run: see sink_pause.)
///
/// One pointer of thread-local storage, trivially initialised (no guard, nothing to destroy,
/// also with mingw-w64's emulated TLS); scopes nest (a collector may render another registry).
class scrape_scope {
public:
    explicit scrape_scope(const void* owner) noexcept : owner_(owner), outer_(top()) {
        top() = this;
    }
    scrape_scope(const scrape_scope&) = delete;
    scrape_scope& operator=(const scrape_scope&) = delete;
    ~scrape_scope() { top() = outer_; }

    /// True when the calling thread is inside a scrape of `owner`, at any depth.
    static bool inside(const void* owner) noexcept {
        for (const scrape_scope* s = top(); s; s = s->outer_)
            if (s->owner_ == owner) return true;
        return false;
    }

    /// True when the calling thread is inside a scrape of any registry.
    static bool inside_any() noexcept { return top() != nullptr; }

    /// True when the calling thread is inside one scope at most (the scrape of one registry).
    static bool at_most_one() noexcept { return top() == nullptr || top()->outer_ == nullptr; }

private:
    // Process-wide: a collector or sink compiled into a shared library built with
    // -fvisibility=hidden must see the scrape the program's thread is in, or its registration
    // waits for the lock that same thread holds, for ever.
    VITALS_DETAIL_PROCESS_WIDE static const scrape_scope*& top() noexcept {
        struct holder { // see VITALS_DETAIL_PROCESS_WIDE
            const scrape_scope* innermost;
        };
        static thread_local holder h{nullptr};
        return h.innermost;
    }

    const void* owner_;
    const scrape_scope* outer_;
};

} // namespace detail
VITALS_END_NAMESPACE

#endif // VITALS_DETAIL_SCRAPE_SCOPE_HPP
