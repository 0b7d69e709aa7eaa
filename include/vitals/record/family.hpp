// vitals/record/family.hpp - a metric family's labelled lookups, for code that records.
// SPDX-License-Identifier: MIT
#ifndef VITALS_RECORD_FAMILY_HPP
#define VITALS_RECORD_FAMILY_HPP

#include <vitals/config.hpp>

#include <cstddef>          // size_t
#include <initializer_list> // initializer_list
#include <string_view>      // string_view
#include <type_traits> // enable_if_t, conjunction, is_convertible, is_constructible, is_pointer

VITALS_BEGIN_NAMESPACE

class registry;
template <class T>
class result;

namespace detail {
class family_base;

/// Defined by <vitals/family.hpp>: the members of family that need the family's state (its
/// name, label names, options, ...), not only its lookup. A translation unit that includes
/// only <vitals/record.hpp> and calls one fails to compile naming this type.
template <class Full>
struct include_family_hpp;

template <class... Ts>
struct dependent_void {
    using type = void;
};

// nullptr too: since C++23 std::string_view cannot be made from it (label_view() can).
template <class T>
using is_label_value =
    std::disjunction<std::is_null_pointer<T>, std::is_convertible<const T&, std::string_view>>;

/// A label value as a view. A null C string (what getenv() returns for an unset variable) is
/// the empty value, which Prometheus reads as the label being absent: std::string_view
/// would read through the null pointer.
template <class T>
constexpr std::string_view label_view(const T& value) {
    if constexpr (std::is_pointer<T>::value && is_label_value<T>::value) {
        return value ? std::string_view(value) : std::string_view();
    } else if constexpr (!std::is_null_pointer<T>::value &&
                         std::is_constructible<std::string_view, const T&>::value) {
        // An element of a label value list may convert explicitly (label_value_list).
        return std::string_view(value);
    } else {
        return {}; // nullptr, or not a label value (the caller's static_assert says so)
    }
}

// std::declval without <utility>: a value of type const T& in unevaluated operands.
template <class T>
const T& declared_value() noexcept;

/// A run-time list of label values: a container (std::vector<std::string>, ...) with size()
/// and operator[] yielding something a std::string_view can be made from.
template <class T>
using label_value_list =
    decltype(declared_value<T>().size(), static_cast<std::string_view>(declared_value<T>()[0]));

template <class T, class = void>
struct is_label_value_list : std::false_type {};
template <class T>
struct is_label_value_list<T, std::void_t<label_value_list<T>>> : std::true_type {};

/// Arguments that are neither label values nor one list of them (labels("GET", 200)): the
/// overloads that take them only fail with a sentence saying what a label value is.
template <class... Values>
using wrong_label_values =
    std::bool_constant<!std::conjunction<is_label_value<Values>...>::value &&
                       !(sizeof...(Values) == 1 &&
                         std::conjunction<is_label_value_list<Values>...>::value)>;
#define VITALS_DETAIL_LABEL_VALUES_ARE_STRINGS                                                     \
    "vitals: label values are strings (std::string, std::string_view, const char*), or one "       \
    "std::vector of them; convert a number with std::to_string. They are the values alone, in "    \
    "the order of the label names given at registration, never name/value pairs"

/// A name and a value, as in `{{"method", "GET"}, {"code", "200"}}`: labels() takes only the
/// values, and names this type in the error it gives for a braced list of pairs.
struct label_name_value_pair {
    std::string_view name, value;
};

/// What a family<Metric> holds: the family's state, which only <vitals/family.hpp> defines,
/// and its lookup, a function set at registration. Recording code calls the lookup through
/// the pointer, so it needs neither the state's definition nor the lookup's code (the hash
/// table, the locks, the allocation of new series).
class family_handle {
protected:
    // The metric of the series with these label values, created on first use; a wrong
    // number of values goes to the error policy (which does not return).
    using lookup_fn = void* (*)(family_base&, const std::string_view*, std::size_t);

    family_handle(family_base& owner, lookup_fn lookup) noexcept
        : owner_(&owner), lookup_(lookup) {}

    family_base* owner_;
    lookup_fn lookup_;
};
} // namespace detail

/// A metric family: one name, help text and fixed label names, with one Metric (counter,
/// gauge, histogram, info or stateset) per distinct label-value set. Created by a registry,
/// which owns it.
///
/// labels() returns a reference that stays valid for the registry's lifetime, so hot code
/// looks a series up once and keeps the reference. Lookup of an existing series, and of a
/// label set folded into the overflow series past the bound, is lock-free and does not
/// allocate; creating a series takes a writer lock and allocates. All members are
/// thread-safe.
///
/// labels() works with only <vitals/record.hpp>; the other members are defined by
/// <vitals/family.hpp> (included by <vitals/registry.hpp> and <vitals/vitals.hpp>).
template <class Metric>
class family final : private detail::family_handle {
public:
    family(const family&) = delete; // take a reference: auto& f = reg.counter(name, help, {...})
    family& operator=(const family&) = delete;

    /// The series for these label values (one per label name, in order), created on first
    /// use. A wrong number of values is reported through the error policy (vitals::error or
    /// the error handler); use try_labels() for a status instead.
    template <class... Values,
              std::enable_if_t<std::conjunction<detail::is_label_value<Values>...>::value, int> = 0>
    Metric& labels(const Values&... values) {
        const std::string_view vals[sizeof...(Values) + (sizeof...(Values) == 0)] = {
            detail::label_view(values)...};
        return *static_cast<Metric*>(lookup_(*owner_, vals, sizeof...(Values)));
    }

    template <class... Values,
              std::enable_if_t<detail::wrong_label_values<Values...>::value, int> = 0>
    Metric& labels(const Values&...) {
        static_assert(!detail::wrong_label_values<Values...>::value,
                      VITALS_DETAIL_LABEL_VALUES_ARE_STRINGS);
        return labels();
    }

    /// Not for a braced list: name/value pairs (`labels({{"method", "GET"}})`), `labels({})`
    /// for no values, or values (`labels({"GET"})`) fail to compile saying what labels()
    /// takes, rather than as a call that matches nothing.
    template <class Element = detail::label_name_value_pair>
    Metric& labels(std::initializer_list<Element>) {
        static_assert(sizeof(Element) == 0, VITALS_DETAIL_LABEL_VALUES_ARE_STRINGS);
        return labels();
    }

    /// labels() for values only known at run time (a std::vector<std::string>, say).
    /// Allocates only for more than 16 values.
    template <class Values, class = detail::label_value_list<Values>>
    Metric& labels(const Values& values) {
        return detail::include_family_hpp<Values>::labels(*this, values);
    }

    /// Non-throwing labels(): the series, or errc::label_count_mismatch.
    template <class... Values>
    result<Metric> try_labels(const Values&... values) {
        static_assert(std::conjunction<detail::is_label_value<Values>...>::value,
                      "vitals: label values are strings (std::string, std::string_view, const "
                      "char*), which try_labels() takes one by one, not in a std::vector; "
                      "convert a number with std::to_string");
        const std::string_view vals[sizeof...(Values) + (sizeof...(Values) == 0)] = {
            detail::label_view(values)...};
        using full = detail::include_family_hpp<typename detail::dependent_void<Values...>::type>;
        return full::template try_labels<Metric>(*owner_, vals, sizeof...(Values));
    }

    /// Not for a braced list, as labels().
    template <class Element = detail::label_name_value_pair>
    result<Metric> try_labels(std::initializer_list<Element>) {
        static_assert(sizeof(Element) == 0, VITALS_DETAIL_LABEL_VALUES_ARE_STRINGS);
        return try_labels();
    }

    /// Hides the series with these label values from the exposition. Returns whether a
    /// visible series was removed: false too for a wrong number of values, which no series
    /// has (not an error, unlike labels()). References to it stay valid; writes through them
    /// are kept in the hidden series until it is re-added, which resets it to zero.
    template <class... Values,
              std::enable_if_t<std::conjunction<detail::is_label_value<Values>...>::value, int> = 0>
    bool remove(const Values&... values) {
        const std::string_view vals[sizeof...(Values) + (sizeof...(Values) == 0)] = {
            detail::label_view(values)...};
        using full = detail::include_family_hpp<typename detail::dependent_void<Values...>::type>;
        return full::remove(*owner_, vals, sizeof...(Values));
    }

    template <class... Values,
              std::enable_if_t<detail::wrong_label_values<Values...>::value, int> = 0>
    bool remove(const Values&...) {
        static_assert(!detail::wrong_label_values<Values...>::value,
                      VITALS_DETAIL_LABEL_VALUES_ARE_STRINGS);
        return false;
    }

    /// Not for a braced list, as labels().
    template <class Element = detail::label_name_value_pair>
    bool remove(std::initializer_list<Element>) {
        static_assert(sizeof(Element) == 0, VITALS_DETAIL_LABEL_VALUES_ARE_STRINGS);
        return false;
    }

    /// remove() for values only known at run time, as labels(values) takes them.
    template <class Values, class = detail::label_value_list<Values>>
    bool remove(const Values& values) {
        return detail::include_family_hpp<Values>::remove_list(*this, values);
    }

    /// The name on the `# HELP` / `# TYPE` lines (for counters it ends in `_total`).
    template <class Full = void>
    const auto& name() const noexcept {
        return detail::include_family_hpp<Full>::state(*owner_).name();
    }
    /// The metric type (vitals::metric_type).
    template <class Full = void>
    auto type() const noexcept {
        return detail::include_family_hpp<Full>::state(*owner_).type();
    }
    /// The help text, as given (unescaped).
    template <class Full = void>
    const auto& help() const noexcept {
        return detail::include_family_hpp<Full>::state(*owner_).help();
    }
    /// The label names, in the order labels() takes their values (const labels not included).
    template <class Full = void>
    const auto& label_names() const noexcept {
        return detail::include_family_hpp<Full>::state(*owner_).label_names();
    }
    /// The options the family was registered with (vitals::family_options).
    template <class Full = void>
    const auto& options() const noexcept {
        return detail::include_family_hpp<Full>::state(*owner_).options();
    }
    /// A histogram family's bucket bounds (empty for other types).
    template <class Full = void>
    const auto& bounds() const noexcept {
        return detail::include_family_hpp<Full>::state(*owner_).bounds();
    }
    /// The number of visible series.
    template <class Full = void>
    std::size_t size() const {
        return detail::include_family_hpp<Full>::state(*owner_).size();
    }
    /// Hides every series, as remove() does one.
    template <class Full = void>
    void clear() {
        detail::include_family_hpp<Full>::state(*owner_).clear();
    }

private:
    friend class detail::family_base; // makes the family's handle in its own storage
    template <class Full>
    friend struct detail::include_family_hpp;

    family(detail::family_base& owner, lookup_fn lookup) noexcept : family_handle(owner, lookup) {}
};

/// Families of each metric type.
class counter;
class gauge;
class histogram;
class info;
class stateset;
using counter_family = family<counter>;
using gauge_family = family<gauge>;
using histogram_family = family<histogram>;
using info_family = family<info>;
using stateset_family = family<stateset>;

VITALS_END_NAMESPACE

#endif // VITALS_RECORD_FAMILY_HPP
