// Bounds on scenario values that keep a run inside the engine's limits (#18; docs/cli.md, "Work budget and limits").
#pragma once

namespace dcsim::app {

// Time-valued scenario keys (durations, tool and think times) are at most 30 days, well inside the simulated-time
// horizon of 2^63 ps (106 days), so that a run's drain and queueing past its duration still fit.
inline constexpr double kMaxScenarioTime = 30 * 86'400.0;
// A scheduler or harness step's CPU time is at most 10 s: beyond that no engine is serving.
inline constexpr double kMaxCpuStepTime = 10.0;

}  // namespace dcsim::app
