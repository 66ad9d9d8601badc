// The stages of a pipeline-parallel instance (pp > 1), which its micro-batch slots share. Engines keep one
// micro-batch per stage in flight (TensorRT-LLM's micro-batches, one per pipeline rank; vLLM's virtual engines), so a
// stage works on one micro-batch while the next stage works on the one ahead (docs/serving.md, "Pipeline stages").
#pragma once

#include <vector>

namespace dcsim::wl::serving {

class PipelineStages {
 public:
  explicit PipelineStages(int stages);

  // A micro-batch that enters at `now` and takes `latency` through all stages, `latency / stages` in each (balanced
  // stages), leaves the last stage at the returned time: it enters a stage once it has left the one before and the
  // stage has finished the micro-batch ahead of it (a flow shop, micro-batches in the order they enter).
  double enter(double now, double latency);

  int stages() const { return static_cast<int>(free_at_.size()); }

 private:
  std::vector<double> free_at_;  // when each stage finishes the last micro-batch that entered it
};

}  // namespace dcsim::wl::serving
