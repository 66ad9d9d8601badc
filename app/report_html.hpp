// `dcsim run --report PATH.html`: one self-contained HTML page (inline SVG, no scripts, no external files): the
// headline figures; the power breakdown behind tokens per joule; what the run observed as pictures (serving:
// TTFT/TPOT/end-to-end CDFs and throughput, batch, KV occupancy, queue and power over time; agents: task latency
// CDF, GPU stall and tool calls over time; pretraining: the step's pipeline timeline; collectives: bus bandwidth
// and time against message size); then every metric and fact of the result.
#pragma once

#include <functional>
#include <string>

#include "app/result_io.hpp"
#include "workloads/metrics.hpp"

namespace dcsim::app {

std::string render_html_report(const RunIdentity& id, const wl::RunResult& result, int gpus);

// The report's page frame: head with the shared style, then `body`, then the end (sweep and plan reports too).
std::string html_page(const std::string& title, const std::string& body);
// Tick and legend labels for a quantity of `unit` ("s", "W", "B", "fraction", "tokens/s", ...).
std::function<std::string(double)> formatter_for(const std::string& unit);

}  // namespace dcsim::app
