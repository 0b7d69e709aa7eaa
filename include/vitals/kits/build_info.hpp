// vitals/kits/build_info.hpp - the `NS_build_info{version,...} 1` info metric.
// SPDX-License-Identifier: MIT
#ifndef VITALS_KITS_BUILD_INFO_HPP
#define VITALS_KITS_BUILD_INFO_HPP

#include <vitals/config.hpp>
#include <vitals/detail/escape.hpp>
#include <vitals/detail/exclusive_lock.hpp>
#include <vitals/detail/kit_names.hpp>
#include <vitals/detail/shared_mutex.hpp>
#include <vitals/error.hpp>
#include <vitals/family.hpp>
#include <vitals/info.hpp>
#include <vitals/registry.hpp>

#include <cstddef>     // size_t
#include <string>      // string
#include <string_view> // string_view
#include <utility>     // move
#include <vector>      // vector

VITALS_BEGIN_NAMESPACE
namespace detail {
/// Held while build information is registered: one per process, also for shared libraries
/// built with hidden symbols, which would otherwise each have their own (and a host and its
/// plugin could both register a build). Never destroyed: a registration may run at exit.
VITALS_DETAIL_PROCESS_WIDE inline shared_mutex& build_info_mutex() {
    struct holder { // see VITALS_DETAIL_PROCESS_WIDE
        shared_mutex* const m;
    };
    static const holder h{new shared_mutex()};
    return *h.m;
}

} // namespace detail

namespace kits {

/// Registers the info family `NS_build_info` with the labels `version` and then `extra` (in
/// the given order, e.g. {{"revision", "4f2a9c1"}, {"compiler", "gcc 12"}}) and its one
/// series: the usual way to expose a build's identity, joinable in PromQL with
/// `* on() group_left`. OpenMetrics shows it as `# TYPE NS_build info`; the text format 0.0.4
/// as the gauge `NS_build_info{version,...} 1`, the same sample either way. Returns the
/// series. Registering it again with the same arguments returns the same series. Errors: an
/// invalid namespace or label name, the same name registered with other labels, an empty
/// version or extra value (errc::invalid_argument: Prometheus reads `version=""` as no
/// `version` label, so the series would not say which build runs), a value
/// longer than the family's max_label_value_bytes as shown, with each invalid UTF-8 byte as
/// the 3 bytes of U+FFFD (errc::invalid_argument: it would be shown
/// as `__overflow__`), and (errc::conflicting_registration) another version or other extra
/// values than the family shows already, since two series would break the joins above: the
/// first stays, and a refused call adds nothing. Thread-safe: of two threads registering
/// different builds at once, exactly one succeeds. Allocates.
inline result<info> try_register_build_info(registry& reg, std::string_view ns,
                                            std::string_view version,
                                            const std::vector<label>& extra = {}) {
    std::vector<std::string> names{"version"};
    std::vector<std::string> values{std::string(version)};
    for (const auto& l : extra) {
        names.push_back(l.first);
        values.push_back(l.second);
    }
    // Checked before the family is registered: a refused call leaves nothing behind (a family
    // left with the labels of a refused call would refuse a corrected one with other extra
    // labels). The bound is that of the default options, with which the family is registered.
    const std::string name = detail::kit_metric_name(ns, "build_info");
    const std::size_t max_bytes = family_options().max_label_value_bytes;
    for (std::size_t i = 0; i < values.size(); ++i) {
        if (values[i].empty())
            return status(errc::invalid_argument,
                          "build information '" + name + "': the value of '" + names[i] +
                              "' is empty, which Prometheus reads as no label at all");
        // As shown, as the family measures it: else it would go to the overflow series.
        if (detail::shown_size(values[i]) > max_bytes)
            return status(errc::invalid_argument,
                          "build information '" + name + "': the value of '" + names[i] +
                              "' is longer than " + std::to_string(max_bytes) +
                              " bytes (max_label_value_bytes; invalid UTF-8 counts as the 3 "
                              "bytes of U+FFFD)");
    }
    auto fam = reg.try_info(name, "Build information; the value is always 1.", std::move(names));
    if (!fam) return fam.error();
    // One registration at a time, so that the check below and the series it allows are one
    // step: two threads with different builds cannot both see an empty family.
    const detail::exclusive_lock lock(detail::build_info_mutex());
    std::vector<std::string_view> views(values.size(), std::string_view());
    for (std::size_t i = 0; i < values.size(); ++i) views[i] = values[i];
    if (fam->size() != 0 &&
        !detail::include_family_hpp<void>::shows(*fam, views.data(), views.size()))
        return status(errc::conflicting_registration,
                      "build information '" + fam->name() +
                          "' is registered already with other values (version " +
                          detail::message_value(values[0]) + " now): a program has one build");
    return detail::include_family_hpp<void>::labels(*fam, views.data(), views.size());
}

/// try_register_build_info(), reporting errors through the error policy.
inline info& register_build_info(registry& reg, std::string_view ns, std::string_view version,
                                 const std::vector<label>& extra = {}) {
    return try_register_build_info(reg, ns, version, extra).value();
}

} // namespace kits
VITALS_END_NAMESPACE

#endif // VITALS_KITS_BUILD_INFO_HPP
