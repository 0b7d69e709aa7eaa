// vitals/server/auth.hpp - the bearer-token check of /metrics.
// SPDX-License-Identifier: MIT
#ifndef VITALS_SERVER_AUTH_HPP
#define VITALS_SERVER_AUTH_HPP

#include <vitals/config.hpp>
#include <vitals/server/http_chars.hpp>

#include <cstddef>     // size_t
#include <string_view> // string_view

VITALS_BEGIN_NAMESPACE
namespace detail {

/// Whether `presented` equals `expected`, without an early exit: the time taken depends only
/// on the length of `presented` (the client's own input), so response timing reveals neither
/// how much of the token matched nor the token's length.
inline bool constant_time_equal(std::string_view presented, std::string_view expected) noexcept {
    if (expected.empty()) return presented.empty();
    std::size_t diff = presented.size() ^ expected.size();
    for (std::size_t i = 0; i < presented.size(); ++i)
        diff |= static_cast<std::size_t>(static_cast<unsigned char>(presented[i]) ^
                                         static_cast<unsigned char>(expected[i % expected.size()]));
    return diff == 0;
}

/// Whether an Authorization header value (`has` false: none was sent) carries `token` as a
/// bearer token. An empty `token` admits everyone.
inline bool bearer_authorized(std::string_view token, bool has, std::string_view value) noexcept {
    if (token.empty()) return true;
    if (!has) return false;
    if (value.size() < 7 || !http_iequals(value.substr(0, 6), "bearer") || value[6] != ' ')
        return false;
    value.remove_prefix(7);
    while (!value.empty() && value.front() == ' ') value.remove_prefix(1);
    return constant_time_equal(value, token);
}

} // namespace detail
VITALS_END_NAMESPACE

#endif // VITALS_SERVER_AUTH_HPP
