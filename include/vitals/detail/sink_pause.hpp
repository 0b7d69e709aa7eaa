// vitals/detail/sink_pause.hpp - what a render lets go of while the output's sink runs.
// SPDX-License-Identifier: MIT
#ifndef VITALS_DETAIL_SINK_PAUSE_HPP
#define VITALS_DETAIL_SINK_PAUSE_HPP

#include <vitals/config.hpp>

VITALS_BEGIN_NAMESPACE
namespace detail {

/// A lock the render holds that the output's sink must not run under: the reader lock of the
/// family being written (family_base::for_each_series). The output buffer releases it before
/// it calls the sink and takes it back after, so a sink may make, remove or clear series in
/// that family, and two scrapes whose sinks make series in each other's family do not wait
/// for each other for ever. It does the same when it grows its string (every 32 KiB at
/// most), so that a writer waits for one window of output, not for the whole family. Two
/// function pointers rather than virtual functions: the buffer calls them only then.
struct sink_pause {
    void (*release)(sink_pause&) noexcept;
    void (*reacquire)(sink_pause&);
};

} // namespace detail
VITALS_END_NAMESPACE

#endif // VITALS_DETAIL_SINK_PAUSE_HPP
