// vitals/detail/kit_names.hpp - metric and label names shared by the kits.
// SPDX-License-Identifier: MIT
#ifndef VITALS_DETAIL_KIT_NAMES_HPP
#define VITALS_DETAIL_KIT_NAMES_HPP

#include <vitals/config.hpp>
#include <vitals/detail/escape.hpp>
#include <vitals/detail/utf8.hpp>
#include <vitals/error.hpp>
#include <vitals/family.hpp>

#include <initializer_list> // initializer_list
#include <string>           // string, to_string
#include <string_view>      // string_view
#include <vector>           // vector

VITALS_BEGIN_NAMESPACE
namespace detail {

/// `ns_name`, or just `name` when the namespace is empty. A namespace given with its
/// separator ("app_") gets no second one: "app_queue_length", not "app__queue_length".
/// Validation is left to the registry.
inline std::string kit_metric_name(std::string_view ns, std::string_view name) {
    std::string out;
    out.reserve(ns.size() + 1 + name.size());
    if (!ns.empty()) {
        out.append(ns.data(), ns.size());
        if (ns.back() != '_') out += '_';
    }
    out.append(name.data(), name.size());
    return out;
}

/// Checks a kit's const labels before the kit registers anything: valid names, none repeated
/// or named like one of the kit's own labels (`kit_labels`), and no `le` when the kit has a
/// histogram. The registry checks the same, family by family; checked here first, a kit
/// refused for its const labels registers nothing: no family is made only to be withdrawn.
inline status kit_check_const_labels(const std::vector<label>& const_labels,
                                     std::initializer_list<std::string_view> kit_labels,
                                     bool has_histogram) {
    // Strings, as registry::add() checks a family's labels: the same check_label_name(), and
    // no std::vector<std::string_view> members compiled for this alone in every includer.
    std::vector<std::string> seen;
    seen.reserve(kit_labels.size() + const_labels.size());
    for (const std::string_view k : kit_labels) seen.push_back(std::string(k));
    for (const label& l : const_labels) {
        status st = check_label_name(l.first, has_histogram, seen);
        if (!st) return st;
        seen.push_back(l.first);
    }
    return {};
}

/// Checks that a kit's options leave the unit empty: each kit declares the unit of each of its
/// families itself (`seconds` on its durations, `bytes` on the HTTP kit's sizes, none on the
/// counters and gauges), so one unit given for all of them fits none. `kind` names the kit
/// in the message (`cache`).
inline status kit_check_unit(const family_options& options, const char* kind, std::string_view ns) {
    if (options.unit.empty()) return {};
    return status(errc::invalid_argument,
                  std::string(kind) + " kit " + message_value(ns) +
                      ": family_options::unit must be empty (it is " + message_value(options.unit) +
                      "): the kit sets the unit of each of its families itself");
}

/// Checks that the options' max_label_value_bytes holds `own`, the longest label value the kit
/// writes itself (`unspecified`, `client_error`): the families would send every series with
/// it to their overflow series, so a job's runs or an endpoint's errors would all be counted
/// under `__overflow__`, their outcome or error type lost.
inline status kit_check_value_bytes(const family_options& options, const char* kind,
                                    std::string_view ns, std::string_view own) {
    if (options.max_label_value_bytes >= own.size()) return {};
    return status(errc::invalid_argument,
                  std::string(kind) + " kit " + message_value(ns) +
                      ": family_options::max_label_value_bytes must be at least " +
                      std::to_string(own.size()) + " (it is " +
                      std::to_string(options.max_label_value_bytes) +
                      "): the kit's own label "
                      "value '" +
                      std::string(own) + "' would go to the overflow series");
}

/// Checks the values of a cache or queue kit's const labels, which are label values of the
/// kit's series: one longer than the families' bound would be folded into their overflow
/// series, where two such kits would share counters while each showed its own hit rate. One
/// that is not valid UTF-8 is refused too: the families show it with U+FFFD in place of the
/// invalid bytes, so two kits whose values differ only there would share one series, while
/// the check for a second kit with the same labels compares the bytes and let both through.
/// `__overflow__` is refused as well: it names the overflow series, which the kits past the
/// families' series bound share, and a kit given it would count into theirs. So is an empty
/// value, which Prometheus reads as no label: the kit's series would not say which it is.
inline status kit_check_label_values(const std::vector<label>& const_labels,
                                     std::size_t max_bytes) {
    for (const label& l : const_labels) {
        if (l.second.empty())
            return status(errc::invalid_argument,
                          "the value of the kit's label '" + l.first +
                              "' is empty, which Prometheus reads as no label at all");
        if (l.second == overflow_label_value)
            return status(errc::invalid_argument,
                          "the value of the kit's label '" + l.first +
                              "' is '__overflow__', which is reserved: it labels the series "
                              "that the kits past the families' max_series share");
        if (l.second.size() > max_bytes)
            return status(errc::invalid_argument,
                          "the value of the kit's label '" + l.first + "' is longer than " +
                              std::to_string(max_bytes) + " bytes (max_label_value_bytes)");
        if (has_invalid_utf8(l.second))
            return status(errc::invalid_argument,
                          "the value of the kit's label '" + l.first + "' is not valid UTF-8");
    }
    return {};
}

} // namespace detail
VITALS_END_NAMESPACE

#endif // VITALS_DETAIL_KIT_NAMES_HPP
