// `dcsim run --report PATH.html`: one self-contained HTML page (no scripts, no external files) with the headline
// figures, the power breakdown behind tokens per joule as an SVG bar, and every metric and fact of the result.
#pragma once

#include <string>

#include "app/result_io.hpp"
#include "workloads/metrics.hpp"

namespace dcsim::app {

std::string render_html_report(const RunIdentity& id, const wl::RunResult& result, int gpus);

}  // namespace dcsim::app
