// vitals/vitals.hpp - umbrella header: metric types, registry, serializers (text 0.0.4 and
// OpenMetrics 1.0.0) and kits.
// SPDX-License-Identifier: MIT
// Portable C++17 only: no OS headers, no sockets, starts no thread. The HTTP server is
// <vitals/server.hpp>, included separately.
#ifndef VITALS_VITALS_HPP
#define VITALS_VITALS_HPP

#include <vitals/config.hpp>
#include <vitals/counter.hpp>
#include <vitals/error.hpp>
#include <vitals/exposition/openmetrics.hpp>
#include <vitals/family.hpp>
#include <vitals/gauge.hpp>
#include <vitals/histogram.hpp>
#include <vitals/info.hpp>
#include <vitals/kits/build_info.hpp>
#include <vitals/kits/cache.hpp>
#include <vitals/kits/http.hpp>
#include <vitals/kits/jobs.hpp>
#include <vitals/kits/queue.hpp>
#include <vitals/record.hpp>
#include <vitals/registry.hpp>
#include <vitals/stateset.hpp>
#include <vitals/text_format.hpp>
#include <vitals/version.hpp>

#endif // VITALS_VITALS_HPP
