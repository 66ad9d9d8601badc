// Which way every result metric should move: the one declaration `dcsim compare` reads (docs/cli.md, "compare").
// Every metric a workload reports has an entry (tests/app/test_metric_directions.cpp runs every workload kind and
// fails on a key without one); a key outside the table (an older result, a future metric) is reported by compare
// as `direction unknown` and never passes silently as neutral.
#pragma once

#include <optional>
#include <string>

namespace dcsim::app {

enum class Direction { higher_is_better, lower_is_better, neutral };

// The declared direction of a dotted metric key, or nothing when no entry covers it. Per-size, per-class and
// per-quantile keys share their family's entry ("by_size.1024.busbw_gbs" is "by_size.*.busbw_gbs", "ttft_s.p99"
// is "ttft_s.*").
std::optional<Direction> declared_direction(const std::string& dotted_key);

}  // namespace dcsim::app
