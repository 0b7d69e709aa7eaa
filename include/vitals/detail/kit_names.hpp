// vitals/detail/kit_names.hpp - metric names and byte buckets shared by the kits.
// SPDX-License-Identifier: MIT
#ifndef VITALS_DETAIL_KIT_NAMES_HPP
#define VITALS_DETAIL_KIT_NAMES_HPP

#include <vitals/config.hpp>

#include <string>      // string
#include <string_view> // string_view

VITALS_BEGIN_NAMESPACE
namespace detail {

/// `ns_name`, or just `name` when the namespace is empty. Validation is left to the registry.
inline std::string kit_metric_name(std::string_view ns, std::string_view name) {
    std::string out;
    out.reserve(ns.size() + 1 + name.size());
    if (!ns.empty()) {
        out.append(ns.data(), ns.size());
        out += '_';
    }
    out.append(name.data(), name.size());
    return out;
}

} // namespace detail
VITALS_END_NAMESPACE

#endif // VITALS_DETAIL_KIT_NAMES_HPP
