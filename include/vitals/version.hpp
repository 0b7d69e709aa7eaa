// vitals/version.hpp - library version macros.
// SPDX-License-Identifier: MIT
#ifndef VITALS_VERSION_HPP
#define VITALS_VERSION_HPP

/// Semantic version of vitals. This file is the only place the version is written.
#define VITALS_VERSION_MAJOR 0
#define VITALS_VERSION_MINOR 1
#define VITALS_VERSION_PATCH 0

/// The version as one comparable number: major * 10000 + minor * 100 + patch.
#define VITALS_VERSION                                                                             \
    (VITALS_VERSION_MAJOR * 10000 + VITALS_VERSION_MINOR * 100 + VITALS_VERSION_PATCH)

/// The version as a string literal, e.g. "0.1.0".
#define VITALS_VERSION_STRING                                                                      \
    VITALS_DETAIL_STR(VITALS_VERSION_MAJOR)                                                        \
    "." VITALS_DETAIL_STR(VITALS_VERSION_MINOR) "." VITALS_DETAIL_STR(VITALS_VERSION_PATCH)

#define VITALS_DETAIL_STR2(x) #x
#define VITALS_DETAIL_STR(x) VITALS_DETAIL_STR2(x)

#endif // VITALS_VERSION_HPP
