// Which way every result metric should move: the one declaration `dcsim compare` reads (docs/cli.md, "compare").
// Every metric a workload reports has an entry (tests/app/test_metric_directions.cpp runs every workload kind and
// fails on a key without one); a key outside the table (an older result, a future metric) is reported by compare
// as `direction unknown` and never passes silently as neutral.
#pragma once

#include <optional>
#include <string>
#include <vector>

namespace dcsim::app {

enum class Direction { higher_is_better, lower_is_better, neutral };

// The declared direction of a dotted metric key, or nothing when no entry covers it. Per-size, per-class and
// per-quantile keys share their family's entry ("by_size.1024.busbw_gbs" is "by_size.*.busbw_gbs", "ttft_s.p99"
// is "ttft_s.*").
std::optional<Direction> declared_direction(const std::string& dotted_key);

// Every declared metric name as a user writes one, for did-you-mean: wildcard families spelled out with a
// quantile ("ttft_s.p99") or their placeholder ("by_size.<bytes>.busbw_gbs").
std::vector<std::string> declared_metric_names();

}  // namespace dcsim::app
