// vitals/server/close_reason.hpp - why the server closed a connection it was still serving.
// SPDX-License-Identifier: MIT
#ifndef VITALS_SERVER_CLOSE_REASON_HPP
#define VITALS_SERVER_CLOSE_REASON_HPP

#include <vitals/config.hpp>

#include <cstddef> // size_t

VITALS_BEGIN_NAMESPACE
namespace detail {

/// The reasons counted in vitals_server_closed_connections_total{reason}; the label values
/// are close_reason_labels, in this order.
enum class close_reason : unsigned char { output_budget, connection_limit, write_timeout };
constexpr const char* close_reason_labels[] = {"output_budget", "connection_limit",
                                               "write_timeout"};
constexpr std::size_t close_reason_count = 3;

} // namespace detail
VITALS_END_NAMESPACE

#endif // VITALS_SERVER_CLOSE_REASON_HPP
