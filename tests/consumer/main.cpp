// tests/consumer/main.cpp - the smallest program a vitals user writes.
// SPDX-License-Identifier: MIT
#include <vitals/vitals.hpp>
#if defined(VITALS_CONSUMER_SERVER) && __has_include(<vitals/server.hpp>)
#include <vitals/server.hpp>
#endif

#include <cstdio> // printf

int main() {
    vitals::counter requests;
    requests.inc();
    std::printf("vitals %s: counter = %g\n", VITALS_VERSION_STRING, requests.value());
    return requests.value() == 1.0 ? 0 : 1;
}
