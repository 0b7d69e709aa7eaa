// vitals/kits/build_info.hpp - the `NS_build_info{version,...} 1` info metric.
// SPDX-License-Identifier: MIT
#ifndef VITALS_KITS_BUILD_INFO_HPP
#define VITALS_KITS_BUILD_INFO_HPP

#include <vitals/config.hpp>
#include <vitals/detail/kit_names.hpp>
#include <vitals/error.hpp>
#include <vitals/family.hpp>
#include <vitals/info.hpp>
#include <vitals/registry.hpp>

#include <string>      // string
#include <string_view> // string_view
#include <utility>     // move
#include <vector>      // vector

VITALS_BEGIN_NAMESPACE
namespace kits {

/// Registers the info family `NS_build_info` with the labels `version` and then `extra` (in
/// the given order, e.g. {{"revision", "4f2a9c1"}, {"compiler", "gcc 12"}}) and its one
/// series: the usual way to expose a build's identity, joinable in PromQL with
/// `* on() group_left`. OpenMetrics shows it as `# TYPE NS_build info`; the text format 0.0.4
/// as the gauge `NS_build_info{version,...} 1`, the same sample either way. Returns the
/// series. Registering it again with the same arguments returns the same series. Errors are
/// reported through the error policy: an invalid namespace or label name, the same name
/// registered with other labels, and (errc::conflicting_registration) another version or
/// other extra values than the family shows already, since two series would break the joins
/// above (the first stays). Thread-safe; allocates.
inline info& register_build_info(registry& reg, std::string_view ns, std::string_view version,
                                 const std::vector<label>& extra = {}) {
    std::vector<std::string> names{"version"};
    std::vector<std::string> values{std::string(version)};
    for (const auto& l : extra) {
        names.push_back(l.first);
        values.push_back(l.second);
    }
    auto& fam = reg.info(detail::kit_metric_name(ns, "build_info"),
                         "Build information; the value is always 1.", std::move(names));
    info& series = fam.labels(values);
    if (VITALS_DETAIL_LIKELY(fam.size() == 1)) return series;
    fam.remove(values);
    detail::fail(status(errc::conflicting_registration,
                        "build information '" + fam.name() +
                            "' is registered already with other values (version \"" + values[0] +
                            "\" now): a program has one build"));
}

} // namespace kits
VITALS_END_NAMESPACE

#endif // VITALS_KITS_BUILD_INFO_HPP
