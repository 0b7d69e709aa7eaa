// vitals/info.hpp - an info metric: a label set whose presence is the data.
// SPDX-License-Identifier: MIT
#ifndef VITALS_INFO_HPP
#define VITALS_INFO_HPP

#include <vitals/config.hpp>

VITALS_BEGIN_NAMESPACE

/// One series of an info family (registry::info()): its labels carry the data (a version, a
/// build revision) and its value is always 1. Exposed as `<name>_info`: under OpenMetrics
/// with `# TYPE <name> info`, in the text format 0.0.4 as a gauge, as the Python client
/// does. Holds no state; a series shows while it exists (see family::remove()).
class info {
public:
    info() noexcept = default;
    info(const info&) = delete;
    info& operator=(const info&) = delete;

    /// Always 1: the value of every info sample.
    static constexpr double value() noexcept { return 1.0; }
    /// Nothing to reset; present so that every metric type can be reset alike.
    void reset() noexcept {}
};

VITALS_END_NAMESPACE

#endif // VITALS_INFO_HPP
