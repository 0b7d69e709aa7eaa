// tests/unit/concurrency_writer_first_own_lock.cpp - the writer-first scenes of
// concurrency_writer_first.cpp with the reader-writer lock vitals uses where std::shared_mutex
// makes new readers queue behind a waiting writer (libc++, Windows, mingw-w64), so that every
// build and ThreadSanitizer run checks that lock, not only the libc++ and Windows steps.
// SPDX-License-Identifier: MIT
// vitals-test: own program (it selects vitals' own reader-writer lock, which changes layouts)
#define VITALS_DETAIL_READERS_PASS_WAITING_WRITERS 0
#include "concurrency_writer_first.cpp"
