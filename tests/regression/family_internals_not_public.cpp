// tests/regression/family_internals_not_public.cpp - the public surface of a family and a
// registry is what README documents. family<M> inherited detail::family_base publicly, so a
// user could call lookup(), set_overflow_family() or the exposition walk on any family, build
// a family outside a registry, and call registry::walk(); none of that compiles now. (An access
// violation inside decltype is a substitution failure, so the traits below detect it.)
// SPDX-License-Identifier: MIT
#include <vitals/vitals.hpp>

#include <doctest/doctest.h>

#include <string>      // string
#include <string_view> // string_view
#include <type_traits> // false_type, true_type, void_t, is_convertible, is_constructible
#include <utility>     // declval
#include <vector>      // vector

namespace {

template <class F, class = void>
struct can_lookup : std::false_type {};
template <class F>
struct can_lookup<F, std::void_t<decltype(std::declval<F&>().lookup(
                         static_cast<const std::string_view*>(nullptr), std::size_t{0},
                         static_cast<vitals::status*>(nullptr)))>> : std::true_type {};

template <class F, class = void>
struct can_lookup_or_fail : std::false_type {};
template <class F>
struct can_lookup_or_fail<
    F, std::void_t<decltype(std::declval<F&>().lookup_or_fail(std::vector<std::string>{}))>>
    : std::true_type {};

template <class F, class = void>
struct can_set_overflow_family : std::false_type {};
template <class F>
struct can_set_overflow_family<
    F, std::void_t<decltype(std::declval<F&>().set_overflow_family(nullptr))>> : std::true_type {};

struct no_op {
    void operator()(const vitals::detail::series_node&) const {}
};
template <class F, class = void>
struct can_walk_series : std::false_type {};
template <class F>
struct can_walk_series<F, std::void_t<decltype(std::declval<const F&>().for_each_series(
                              no_op{}, std::declval<vitals::detail::sink_pause*&>()))>>
    : std::true_type {};

template <class R, class = void>
struct can_walk_registry : std::false_type {};
template <class R>
struct can_walk_registry<R, std::void_t<decltype(std::declval<const R&>().walk(
                                std::declval<vitals::detail::exposition_visitor&>()))>>
    : std::true_type {};

template <class F, class = void>
struct has_public_surface : std::false_type {};
template <class F>
struct has_public_surface<
    F,
    std::void_t<
        decltype(std::declval<F&>().labels("a")), decltype(std::declval<F&>().try_labels("a")),
        decltype(std::declval<F&>().remove("a")), decltype(std::declval<F&>().clear()),
        decltype(std::declval<const F&>().size()), decltype(std::declval<const F&>().name()),
        decltype(std::declval<const F&>().help()), decltype(std::declval<const F&>().type()),
        decltype(std::declval<const F&>().label_names()),
        decltype(std::declval<const F&>().options()), decltype(std::declval<const F&>().bounds())>>
    : std::true_type {};

template <class F>
constexpr bool internals_hidden() {
    return !can_lookup<F>::value && !can_lookup_or_fail<F>::value &&
           !can_set_overflow_family<F>::value && !can_walk_series<F>::value &&
           !std::is_convertible<F*, vitals::detail::family_base*>::value &&
           !std::is_constructible<F, std::string, std::string, std::vector<std::string>,
                                  vitals::family_options, std::vector<double>>::value &&
           has_public_surface<F>::value;
}

static_assert(internals_hidden<vitals::counter_family>(), "counter_family internals are public");
static_assert(internals_hidden<vitals::gauge_family>(), "gauge_family internals are public");
static_assert(internals_hidden<vitals::histogram_family>(),
              "histogram_family internals are public");
static_assert(!can_walk_registry<vitals::registry>::value, "registry::walk() is public");

// The detectors do detect a public member.
struct open_family {
    vitals::detail::series_node* lookup(const std::string_view*, std::size_t, vitals::status*);
    void set_overflow_family(vitals::detail::family_base*);
    template <class Fn>
    void for_each_series(Fn&&, vitals::detail::sink_pause*&) const {}
};
static_assert(can_lookup<open_family>::value && can_set_overflow_family<open_family>::value &&
                  can_walk_series<open_family>::value,
              "a detector is broken");

} // namespace

TEST_CASE("regression: a family's documented members work through the narrowed surface") {
    vitals::registry reg;
    auto& fam = reg.histogram("sizes", "Sizes.", {"path"}, {1.0, 10.0});
    fam.labels("/a").observe(3);
    CHECK(fam.try_labels("/b").ok());
    CHECK(fam.name() == "sizes");
    CHECK(fam.help() == "Sizes.");
    CHECK(fam.type() == vitals::metric_type::histogram);
    CHECK(fam.label_names() == std::vector<std::string>{"path"});
    CHECK(fam.bounds() == std::vector<double>{1.0, 10.0});
    CHECK(fam.options().max_series == VITALS_DEFAULT_MAX_SERIES);
    CHECK(fam.size() == 2u);
    CHECK(fam.remove("/b"));
    CHECK(fam.size() == 1u);
    fam.clear();
    CHECK(fam.size() == 0u);
    CHECK(&reg.histogram("sizes", "Sizes.", {"path"}, {1.0, 10.0}) == &fam);
}
