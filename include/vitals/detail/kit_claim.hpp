// vitals/detail/kit_claim.hpp - a kit object's hold on its labels, as light headers see it.
// SPDX-License-Identifier: MIT
#ifndef VITALS_DETAIL_KIT_CLAIM_HPP
#define VITALS_DETAIL_KIT_CLAIM_HPP

#include <vitals/config.hpp>

VITALS_BEGIN_NAMESPACE
namespace detail {

/// A kit object's place in the group of kits sharing its families: its const labels, claimed
/// while it lives. Defined by <vitals/detail/kit_instances.hpp>.
struct kit_claim;

/// Owns a kit's kit_claim and gives it up when the kit is destroyed. The release function is
/// set where kit_claim is complete, so a kit's destructor compiles in a translation unit that
/// sees neither <vector> nor the group's code. Not thread-safe (one per kit object).
class kit_claim_ref {
public:
    using release_fn = void (*)(kit_claim*) noexcept;

    kit_claim_ref() noexcept = default;
    kit_claim_ref(const kit_claim_ref&) = delete;
    kit_claim_ref& operator=(const kit_claim_ref&) = delete;
    ~kit_claim_ref() { reset(nullptr, nullptr); }

    /// Releases the claim held before and holds `claim` (freed by `release`) instead.
    void reset(kit_claim* claim, release_fn release) noexcept {
        if (claim_) release_(claim_);
        claim_ = claim;
        release_ = release;
    }
    kit_claim* get() const noexcept { return claim_; }

private:
    kit_claim* claim_ = nullptr;
    release_fn release_ = nullptr;
};

/// Owns the metrics a kit records into when its registration was refused (see the kits'
/// non-throwing constructors): each refused kit has its own, freed with it. The free function
/// is set where they are made, as for kit_claim_ref.
class kit_detached_ref {
public:
    using free_fn = void (*)(void*) noexcept;

    kit_detached_ref() noexcept = default;
    kit_detached_ref(const kit_detached_ref&) = delete;
    kit_detached_ref& operator=(const kit_detached_ref&) = delete;
    ~kit_detached_ref() {
        if (metrics_) free_(metrics_);
    }

    /// Holds `metrics` (freed by `free`); once per kit.
    void hold(void* metrics, free_fn free) noexcept {
        metrics_ = metrics;
        free_ = free;
    }

private:
    void* metrics_ = nullptr;
    free_fn free_ = nullptr;
};

} // namespace detail
VITALS_END_NAMESPACE

#endif // VITALS_DETAIL_KIT_CLAIM_HPP
