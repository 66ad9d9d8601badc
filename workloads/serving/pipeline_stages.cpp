#include "workloads/serving/pipeline_stages.hpp"

#include <algorithm>
#include <stdexcept>

namespace dcsim::wl::serving {

PipelineStages::PipelineStages(int stages) : free_at_(static_cast<std::size_t>(stages), 0.0) {
  if (stages < 1) throw std::invalid_argument("a pipeline needs at least one stage");
}

double PipelineStages::enter(double now, double latency) {
  const double per_stage = latency / static_cast<double>(free_at_.size());
  double t = now;
  for (double& free_at : free_at_) {
    t = std::max(t, free_at) + per_stage;
    free_at = t;
  }
  return t;
}

}  // namespace dcsim::wl::serving
