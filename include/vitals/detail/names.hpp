// vitals/detail/names.hpp - metric and label name rules of the Prometheus data model.
// SPDX-License-Identifier: MIT
#ifndef VITALS_DETAIL_NAMES_HPP
#define VITALS_DETAIL_NAMES_HPP

#include <vitals/config.hpp>

#include <string_view> // string_view

VITALS_BEGIN_NAMESPACE
namespace detail {

constexpr bool is_name_start(char c) noexcept {
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || c == '_';
}
constexpr bool is_name_char(char c) noexcept { return is_name_start(c) || (c >= '0' && c <= '9'); }

/// [a-zA-Z_:][a-zA-Z0-9_:]*, and not starting with "__" (reserved for internal use).
constexpr bool is_valid_metric_name(std::string_view name) noexcept {
    if (name.empty() || !(is_name_start(name[0]) || name[0] == ':')) return false;
    if (name.size() >= 2 && name[0] == '_' && name[1] == '_') return false;
    for (char c : name)
        if (!(is_name_char(c) || c == ':')) return false;
    return true;
}

/// [a-zA-Z_][a-zA-Z0-9_]*, and not starting with "__".
constexpr bool is_valid_label_name(std::string_view name) noexcept {
    if (name.empty() || !is_name_start(name[0])) return false;
    if (name.size() >= 2 && name[0] == '_' && name[1] == '_') return false;
    for (char c : name)
        if (!is_name_char(c)) return false;
    return true;
}

constexpr bool ends_with(std::string_view s, std::string_view suffix) noexcept {
    return s.size() >= suffix.size() && s.substr(s.size() - suffix.size()) == suffix;
}

} // namespace detail
VITALS_END_NAMESPACE

#endif // VITALS_DETAIL_NAMES_HPP
