#include "workloads/serving/kernel_launches.hpp"

#include <algorithm>

#include "workloads/model_ops.hpp"

namespace dcsim::wl::serving {

int layer_kernel_launches(const ModelSpec& m, std::int64_t layer, bool tp_all_reduce, bool ep_all_to_all) {
  int kernels = 0;
  bool attention = false, router = false;
  for (const Op& op : layer_ops(m, layer, Pass::decode(1, 1))) {
    if (op.kind == OpKind::attn_context) continue;  // fused with QK^T into one attention kernel
    ++kernels;
    attention = attention || op.kind == OpKind::attn_scores;
    router = router || op.kind == OpKind::router;
    if (op.kind == OpKind::ffn_up || op.kind == OpKind::expert_up || op.kind == OpKind::shared_up) ++kernels;
  }
  if (attention) kernels += m.position == PositionKind::rope ? 2 : 1;  // rotary embedding, KV-cache write
  if (router) kernels += 3;     // top-k, permute, finalize
  if (tp_all_reduce) kernels += 2;
  if (router && ep_all_to_all) kernels += 2;
  return kernels;
}

bool runs_as_graph(PoolSpec::CudaGraphs mode, int max_batch, std::int64_t decode_seqs, std::int64_t tokens,
                   bool has_prefill) {
  switch (mode) {
    case PoolSpec::CudaGraphs::none: return false;
    case PoolSpec::CudaGraphs::all: return tokens <= max_batch;
    case PoolSpec::CudaGraphs::decode_only: return !has_prefill && decode_seqs <= max_batch;
  }
  return false;
}

std::int64_t graph_size(const std::vector<int>& sizes, std::int64_t n) {
  const auto it = std::lower_bound(sizes.begin(), sizes.end(), n);
  return it == sizes.end() ? n : *it;
}

}  // namespace dcsim::wl::serving
