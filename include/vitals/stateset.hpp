// vitals/stateset.hpp - a set of named boolean states (OpenMetrics StateSet).
// SPDX-License-Identifier: MIT
#ifndef VITALS_STATESET_HPP
#define VITALS_STATESET_HPP

#include <vitals/config.hpp>
#include <vitals/rejected_writes.hpp>

#include <atomic>      // atomic
#include <cstddef>     // size_t
#include <cstdint>     // uint64_t
#include <string>      // string
#include <string_view> // string_view
#include <vector>      // vector

VITALS_BEGIN_NAMESPACE

/// One series of a stateset family (registry::stateset()): up to 64 named states, each true
/// or false, such as the phases of a job or the enabled feature flags. Exposed as one sample
/// per state, `<name>{<name>="<state>"} 1|0`: under OpenMetrics with `# TYPE <name>
/// stateset`, in the text format 0.0.4 as a gauge, as the Python client does.
///
/// The states are all held in one atomic word: set_only() switches from one state to another
/// in one store, so a scrape never sees two states (or none) of an enum-like stateset. All
/// members are thread-safe, lock-free and never allocate. An unknown state name is ignored.
class stateset {
public:
    /// Most states a stateset can have.
    static constexpr std::size_t max_states = 64;

    /// A stateset over `states`, which must outlive it: the family owns them (registry::
    /// stateset() validates them). All states start false; past the first max_states, names
    /// are unknown states.
    explicit stateset(const std::vector<std::string>& states) noexcept : states_(&states) {}
    /// Refused: the stateset would keep a view of a list destroyed at the end of the statement.
    explicit stateset(std::vector<std::string>&& states) = delete;
    stateset(const stateset&) = delete; // take a reference: auto& s = reg.stateset(...)
    stateset& operator=(const stateset&) = delete;

    /// Sets one state to `value`; the others keep theirs. Returns false for an unknown name (a
    /// refused write, counted by vitals::rejected_writes()).
    bool set(std::string_view state, bool value = true) noexcept {
        const std::size_t i = index_of(state);
        if (i == npos) return refuse();
        const std::uint64_t bit = std::uint64_t{1} << i;
        if (value)
            bits_.fetch_or(bit, std::memory_order_relaxed);
        else
            bits_.fetch_and(~bit, std::memory_order_relaxed);
        return true;
    }

    /// Makes `state` the only true state (an enum). Returns false, changing nothing, for an
    /// unknown name (a refused write, counted by vitals::rejected_writes()).
    bool set_only(std::string_view state) noexcept {
        const std::size_t i = index_of(state);
        if (i == npos) return refuse();
        bits_.store(std::uint64_t{1} << i, std::memory_order_relaxed);
        return true;
    }

    /// Whether `state` is true (false for an unknown name).
    bool get(std::string_view state) const noexcept {
        const std::size_t i = index_of(state);
        return i != npos && (bits() >> i & 1) != 0;
    }

    /// Every state at once: bit i is states()[i]. One atomic load, so a consistent snapshot.
    std::uint64_t bits() const noexcept { return bits_.load(std::memory_order_relaxed); }

    /// The state names, in the order given at registration.
    const std::vector<std::string>& states() const noexcept { return *states_; }

    /// Sets every state to false. Meant for a series that is removed and re-added.
    void reset() noexcept { bits_.store(0, std::memory_order_relaxed); }

private:
    static bool refuse() noexcept {
        detail::note_rejected_write();
        return false;
    }
    static constexpr std::size_t npos = ~std::size_t{0};
    std::size_t index_of(std::string_view state) const noexcept {
        const std::size_t n = states_->size() < max_states ? states_->size() : max_states;
        for (std::size_t i = 0; i < n; ++i)
            if ((*states_)[i] == state) return i;
        return npos;
    }

    const std::vector<std::string>* states_;
    std::atomic<std::uint64_t> bits_{0};
};

VITALS_END_NAMESPACE

#endif // VITALS_STATESET_HPP
