#include "workloads/pretraining/chunking.hpp"
#include "workloads/pretraining/counts.hpp"

#include <algorithm>

namespace dcsim::wl {
namespace {
using counts::d;
}  // namespace

LayerParams layer_params(const ModelSpec& m, std::int64_t layer) {
  const ParamCounts pc = m.param_counts();
  LayerParams p;
  const double L = d(m.layers);
  p.dense = d(pc.attention) / L + (d(pc.norms) - d(m.hidden)) / L;
  const std::int64_t dense_layers = m.layers - m.moe_layers();
  if (m.layer_is_moe(layer)) {
    const double ml = d(m.moe_layers());
    p.dense += (d(pc.router) + d(pc.shared_experts)) / ml;
    p.experts = d(pc.routed_experts) / ml;
  } else if (dense_layers > 0) {
    p.dense += d(pc.dense_ffn) / d(dense_layers);
  }
  return p;
}

UnevenSplit uneven_split(const PretrainingWorkload& w, const ModelSpec& m) {
  UnevenSplit u;
  u.first = w.first_stage_layers;
  u.last = w.last_stage_layers;
  u.middle_stages = w.pp - (u.first >= 0 ? 1 : 0) - (u.last >= 0 ? 1 : 0);
  u.rest = m.layers - std::max<std::int64_t>(u.first, 0) - std::max<std::int64_t>(u.last, 0);
  u.middle = u.middle_stages > 0 ? u.rest / u.middle_stages : 0;
  return u;
}

ChunkLayers chunk_layers(const PretrainingWorkload& w, const ModelSpec& m, int j) {
  const int C = w.pp * w.interleave;
  const std::int64_t per = (m.layers + 2 * w.pipeline_ends_fewer_layers) / C;
  const std::int64_t cut = w.pipeline_ends_fewer_layers;
  const bool uneven = w.first_stage_layers >= 0 || w.last_stage_layers >= 0;
  // Uneven stages (Megatron's first/last stage layer counts): chunk k runs on stage k % pp, whose layers split
  // evenly over its interleave chunks.
  const UnevenSplit split = uneven ? uneven_split(w, m) : UnevenSplit{};
  auto stage_layers = [&](int s) -> std::int64_t {
    if (s == 0 && split.first >= 0) return split.first;
    if (s == w.pp - 1 && split.last >= 0) return split.last;
    return split.middle;
  };
  auto count = [&](int k) -> std::int64_t {
    if (C == 1) return m.layers;
    if (uneven) return stage_layers(k % w.pp) / w.interleave;
    return per - ((k == 0 || k == C - 1) ? cut : 0);
  };
  ChunkLayers c;
  for (int k = 0; k < j; ++k) c.first += count(k);
  c.count = count(j);
  return c;
}

double kv_width(const ModelSpec& m) {
  return m.attention == AttentionKind::mla ? d(m.heads) * d(m.mla.qk_head_dim() + m.mla.v_head_dim)
                                           : 2 * d(m.kv_heads) * d(m.head_dim);
}

int sequence_shards(const PretrainingWorkload& w) { return (w.sequence_parallel && w.tp > 1) ? w.tp : 1; }

}  // namespace dcsim::wl
