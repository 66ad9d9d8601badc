#include "workloads/serving/instance_model.hpp"

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <stdexcept>
#include <string>

#include "workloads/roofline.hpp"
#include "workloads/serving/engine_memory.hpp"
#include "workloads/serving/kernel_launches.hpp"

namespace dcsim::wl::serving {
namespace {

double d(std::int64_t v) { return static_cast<double>(v); }

constexpr double kLogitBytes = 4;    // fp32 logits
constexpr double kUpOutputBytes = 2;  // the up-projection writes its output in bf16 for the activation kernel

double precision_bytes(hw::Precision p) {
  switch (p) {
    case hw::Precision::fp64: return 8;
    case hw::Precision::tf32: return 4;
    case hw::Precision::bf16: return 2;
    case hw::Precision::fp8: return 1;
    case hw::Precision::fp4: return kFp4StorageBytes;  // with its block scales
  }
  return 2;
}

double op_bytes(const Op& op) {
  return op.weight_bytes + op.act_read_bytes + op.act_write_bytes + op.kv_read_bytes + op.kv_write_bytes;
}

bool is_expert(OpKind k) { return k == OpKind::expert_up || k == OpKind::expert_down; }

struct CoreSums {
  double flops = 0, kv = 0, act = 0, noncore_flops = 0, noncore_bytes = 0;
};

CoreSums core_sums(const std::vector<Op>& ops) {
  CoreSums s;
  for (const Op& op : ops) {
    if (op.attention_core) {
      s.flops += op.flops;
      s.kv += op.kv_read_bytes;
      s.act += op.act_read_bytes + op.act_write_bytes;
    } else if (!is_expert(op.kind)) {
      s.noncore_flops += op.flops;
      s.noncore_bytes += op_bytes(op);
    }
  }
  return s;
}

}  // namespace

double hottest_rank_load(double assignments, double ranks, double experts_per_rank, double cv, bool balanced) {
  if (ranks <= 1 || assignments <= 0) return assignments;
  const double mu = assignments / ranks;
  const double skew = balanced ? kBalancedRankCv : cv / std::sqrt(std::max(1.0, experts_per_rank));
  const double var = mu * (1 - 1 / ranks) + skew * skew * mu * mu;
  return std::min(assignments, mu + std::sqrt(var) * std::sqrt(2 * std::log(ranks)));
}

InstanceModel::InstanceModel(const ModelSpec& model, const PoolSpec& pool, const hw::ClusterSpec& cluster,
                             const hw::Collectives* coll, std::vector<int> gpus, const ServingWorkload& w)
    : model_(model),
      pool_(pool),
      cluster_(cluster),
      coll_(coll),
      gpus_(std::move(gpus)),
      cpu_iteration_s_(w.cpu_iteration_s),
      cpu_per_sequence_s_(w.cpu_per_sequence_s),
      cpu_per_kernel_s_(w.cpu_per_kernel_s),
      cpu_overlap_(w.cpu_overlap),
      spec_(w.speculative) {
  if (static_cast<int>(gpus_.size()) != pool_.gpus()) throw std::invalid_argument("instance GPU count mismatch");
  if (pool_.ep > 1 && !model_.is_moe()) {
    throw std::invalid_argument("ep = " + std::to_string(pool_.ep) + " needs a mixture-of-experts model; " +
                                model_.name + " is dense");
  }
  if (pool_.expert_split() < 1 || (pool_.tp * pool_.ep) % pool_.expert_split() != 0) {
    throw std::invalid_argument("expert_tp = " + std::to_string(pool_.expert_split()) + " must divide tp x ep = " +
                                std::to_string(pool_.tp * pool_.ep));
  }
  body_ = WeightFormat::of(pool_.precision, pool_.compute);
  attention_in_ = WeightFormat::of(pool_.attention_precision.value_or(pool_.precision), pool_.compute);
  const double wb = body_.bytes;
  head_ = WeightFormat::of(wb < 2 ? hw::Precision::bf16 : pool_.precision, pool_.compute);
  // The op lists' bytes: the body's weights; activations stored at the math precision, at least one byte (fp4
  // GEMMs take fp8 or fp4 inputs with per-block scales; engines keep activations in fp8 between kernels).
  bytes_ = OpBytes{wb, std::max(1.0, precision_bytes(pool_.compute)), pool_.kv_bytes_per_element};
  attention_math_ = pool_.kv_bytes_per_element < 2 && cluster_.gpu.flops.fp8 > 0 ? hw::Precision::fp8
                                                                                   : hw::Precision::bf16;
  // A GPU with no rate at that precision runs attention at the GEMMs' precision.
  if (cluster_.gpu.flops.at(attention_math_) <= 0) attention_math_ = pool_.compute;

  for (std::int64_t l = 0; l < model_.layers; ++l) {
    const bool moe = model_.layer_is_moe(l), sliding = model_.layer_is_sliding(l);
    auto it = std::find_if(kinds_.begin(), kinds_.end(),
                           [&](const LayerKind& k) { return k.moe == moe && k.sliding == sliding; });
    if (it == kinds_.end()) {
      kinds_.push_back(LayerKind{l, 1, moe, sliding});
    } else {
      it->count += 1;
    }
  }
  // Attention-core coefficients, unsharded, from the op list itself (model_ops.hpp): decode is linear in the
  // context, prefill in the (query, key) pairs and the cached tokens.
  constexpr std::int64_t kCtx = 1024, kChunk = 256;
  for (const LayerKind& k : kinds_) {
    Coeffs c;
    const CoreSums d0 = core_sums(layer_ops(model_, k.index, Pass::decode(1, 0), bytes_));
    const CoreSums d1 = core_sums(layer_ops(model_, k.index, Pass::decode(1, kCtx), bytes_));
    c.decode_flops_per_ctx = (d1.flops - d0.flops) / d(kCtx);
    c.decode_kv_per_ctx = (d1.kv - d0.kv) / d(kCtx);
    c.decode_act = d0.act;
    const CoreSums p0 = core_sums(layer_ops(model_, k.index, Pass::prefill(1, kChunk, 0), bytes_));
    const CoreSums p1 = core_sums(layer_ops(model_, k.index, Pass::prefill(1, kChunk, kCtx), bytes_));
    c.prefill_flops_per_pair = p0.flops / attention_pairs(kChunk, 0, 0, AttentionCount::causal);
    c.prefill_act_per_token = p0.act / d(kChunk);
    c.prefill_kv_per_cached = (p1.kv - p0.kv) / d(kCtx);
    c.prefill_extra_flops_per_cached = (p1.noncore_flops - p0.noncore_flops) / d(kCtx);
    c.prefill_extra_bytes_per_cached = (p1.noncore_bytes - p0.noncore_bytes) / d(kCtx);
    coeffs_.push_back(c);
  }

  kv_shard_ = model_.attention == AttentionKind::mla
                  ? 1.0
                  : static_cast<double>(std::min<std::int64_t>(pool_.tp, std::max<std::int64_t>(1, model_.kv_heads)));
  const ParamCounts pc = model_.param_counts();
  const double routed = d(pc.routed_experts), dense_params = d(pc.total()) - routed;
  // The attention inputs and the token tables (embedding, LM head) at their own widths.
  const double tables = d(pc.embedding + pc.lm_head);
  weight_bytes_per_gpu_ = (dense_params * wb + attention_input_params() * (attention_in_.bytes - wb) +
                           tables * (head_.bytes - wb)) /
                              (pool_.tp * pool_.pp) +
                          routed * wb / (pool_.tp * pool_.ep * pool_.pp);
  kv_bytes_per_token_ = model_.kv_bytes_per_token(pool_.kv_bytes_per_element);
  const double kv_per_gpu_token = kv_bytes_per_token_ / (kv_shard_ * pool_.pp);
  memory_ = plan_gpu_memory(model_, pool_, cluster_.gpu, weight_bytes_per_gpu_, bytes_.activation);
  if (memory_.kv <= kv_per_gpu_token * pool_.block_size) {
    const std::string share =
        pool_.kv_free_memory_fraction > 0
            ? std::to_string(static_cast<int>(std::lround(pool_.kv_free_memory_fraction * 100))) + "% of the rest"
            : std::to_string(static_cast<int>(std::lround(pool_.memory_utilization * 100))) + "%";
    char msg[640];
    std::snprintf(msg, sizeof msg,
                  "%s weights need %.1f GB per GPU at tp=%d pp=%d ep=%d, activations %.1f GB and runtime buffers "
                  "%.1f GB; %s exposes %.1f GB, of which the engine may use %s: no room for KV cache (raise "
                  "tp/pp/ep, lower the precision, max_batch or token_budget, or raise the memory share)",
                  model_.name.c_str(), weight_bytes_per_gpu_ / 1e9, pool_.tp, pool_.pp, pool_.ep,
                  memory_.activations / 1e9, memory_.runtime / 1e9, cluster_.gpu.name.c_str(), memory_.usable / 1e9,
                  share.c_str());
    throw std::invalid_argument(msg);
  }
  // Whole blocks, as the engines allocate them (vLLM: floor(KV bytes / block bytes)).
  const double block_bytes = kv_per_gpu_token * pool_.block_size;
  kv_capacity_tokens_ = static_cast<std::int64_t>(std::floor(memory_.kv / block_bytes)) * pool_.block_size * pool_.ep;

  step_kernels_ = kHeadKernelLaunches;
  for (const LayerKind& k : kinds_) {
    step_kernels_ += static_cast<int>(k.count) * layer_kernel_launches(model_, k.index, pool_.tp > 1, pool_.ep > 1);
  }

  tp_group_.assign(gpus_.begin(), gpus_.begin() + pool_.tp);
  ep_group_.assign(gpus_.begin(), gpus_.begin() + pool_.tp * pool_.ep);
  dense_costs_->by_kind[0].resize(kinds_.size());
  dense_costs_->by_kind[1].resize(kinds_.size());
  comm_cache_.resize(kinds_.size());
}

WeightFormat WeightFormat::of(hw::Precision weights, hw::Precision compute) {
  WeightFormat f;
  f.bytes = precision_bytes(weights);
  f.math = f.bytes >= precision_bytes(compute) ? weights : compute;
  f.dequantized = f.bytes < precision_bytes(f.math);
  return f;
}

double InstanceModel::attention_input_params() const {
  const OpBytes one{1, 1, 1};  // weight bytes = parameters
  double params = 0;
  for (const LayerKind& k : kinds_) {
    for (const Op& op : layer_ops(model_, k.index, Pass::prefill(1, 1, 0), one)) {
      if (is_attention_input(op.kind)) params += k.count * op.weight_bytes;
    }
  }
  return params;
}

double InstanceModel::peak_flops() const { return cluster_.gpu.flops.at(pool_.compute) * d(pool_.gpus()); }

const InstanceModel::DenseEntry& InstanceModel::dense_miss(std::size_t kind, std::int64_t group_tokens,
                                                           bool prefill_form) {
  auto& cache = dense_costs_->by_kind[prefill_form ? 1 : 0][kind];
  if (static_cast<std::int64_t>(cache.size()) <= group_tokens) cache.resize(static_cast<std::size_t>(group_tokens) + 1);
  DenseEntry& e = cache[static_cast<std::size_t>(group_tokens)];
  if (e.time >= 0) return e;
  e = DenseEntry{0, 0, 0, 0, 0};
  if (group_tokens == 0) return e;
  const Pass pass = prefill_form ? Pass::prefill(1, group_tokens, 0) : Pass::decode(group_tokens, 0);
  const double tp = pool_.tp, T = d(group_tokens), ab = bytes_.activation;
  // An elementwise kernel of `bytes` on the memory roofline at its own size (the copy curve's fixed cost included).
  auto elementwise = [&](double bytes) {
    e.time += op_time(cluster_.gpu, hw::Precision::bf16, 0, bytes).time;
    e.gpu_bytes += bytes;
  };
  for (const Op& op : layer_ops(model_, kinds_[kind].index, pass, bytes_)) {
    if (op.attention_core || is_expert(op.kind)) continue;
    const double f = op.flops / tp;
    // Attention's inputs may be stored wider than the body (PoolSpec::attention_precision).
    const WeightFormat& w = is_attention_input(op.kind) ? attention_in_ : body_;
    const double params = op.weight_bytes / body_.bytes / tp;
    double by = op_bytes(op) / tp + params * (w.bytes - body_.bytes);
    // The kernels the op list folds into its ops (docs/serving.md, "Elementwise kernels"). The gated activation:
    // the up-projection writes its whole output in bf16 (2f gated), a kernel reads it and writes f at the
    // activation precision (SiLU-and-mul, TensorRT-LLM's fused SwiGLU-quantize).
    double activation = 0;
    if (is_up_projection(op.kind)) {
      const bool gated = model_.gated_ffn();
      const double outputs = op.act_write_bytes / ab / tp;
      by += outputs * ((gated ? 2 : 1) * kUpOutputBytes - ab);  // the whole output, not the fused form's f
      activation = activation_kernel_bytes(outputs, gated, kUpOutputBytes, ab);
    }
    const OpTime t = op_time(cluster_.gpu, w.math, f, by, f, w.dequantized_weights(params));
    e.time += t.time;
    if (t.compute_bound) e.math_time += t.time;
    e.flops += op.flops;
    e.tensor_s += f / full_power_flops(cluster_.gpu, w.math);
    e.gpu_bytes += by;
    if (activation > 0) elementwise(activation);
    // Rotary embedding of the queries and keys, and the KV-cache write reading the new keys and values (the
    // projection's cache write is already its own bytes).
    if (op.kv_write_bytes > 0) {
      if (const double rope = rope_kernel_bytes(model_, T, pool_.tp); rope > 0) elementwise(rope);
      elementwise(op.kv_write_bytes / bytes_.kv * ab / kv_shard_);
    }
    // Routing: top-k over the fp32 router logits, writing each token's expert ids and weights (4 bytes each); with
    // attention TP (ep = 1) the permute gathers the activations of the assignments routed to the GPU's expert rank
    // (T k / R of them) and the finalize sums them back into every token (with ep > 1 the dispatch and combine
    // kernels do both: kMoeDispatchOverhead, kMoeCombineOverhead).
    if (op.kind == OpKind::router) {
      const double E = d(model_.moe.experts), k = d(model_.moe.top_k), h = d(model_.hidden);
      elementwise(T * (4 * E + 8 * k));
      if (pool_.ep == 1) {
        const double rank_share = k / pool_.expert_ranks();
        elementwise(T * h * ab * (1 + rank_share));
        elementwise(T * h * ab * (rank_share + 1));
      }
    }
  }
  return e;
}

void InstanceModel::experts(Acc& a, std::int64_t tokens) const {
  if (tokens <= 0) return;
  const MoeSpec& m = model_.moe;
  const double t = pool_.expert_split(), R = pool_.expert_ranks(), T = d(tokens), h = d(model_.hidden);
  const double f = d(m.ffn_hidden), up_n = model_.gated_ffn() ? 2 * f : f;
  const double assignments = T * d(m.top_k);
  const double load = hottest_rank_load(assignments, R, d(m.experts) / R, m.expert_load_cv, pool_.eplb);
  // The rank's touched experts, each split t ways: the weights one of its GPUs reads.
  const double touched = expected_distinct_experts(m.experts, m.top_k, T) / R / t;
  const double ab = bytes_.activation, wb = bytes_.weight;
  const double up_f = load * 2 * h * up_n / t, down_f = load * 2 * f * h / t;
  // The up GEMM writes its output in bf16; the activation kernel reads it and writes f / t at the activation
  // precision, per assignment on the rank (as the dense FFN's, dense_miss).
  const double up_b = touched * h * up_n * wb + load * (h * ab + up_n / t * kUpOutputBytes);
  const double act_b = activation_kernel_bytes(load * f / t, model_.gated_ffn(), kUpOutputBytes, ab);
  const double down_b = touched * f * h * wb + load * (f / t + h) * ab;
  const double time =
      op_time(cluster_.gpu, body_.math, up_f, up_b, up_f, body_.dequantized_weights(touched * h * up_n)).time +
      op_time(cluster_.gpu, hw::Precision::bf16, 0, act_b).time +
      op_time(cluster_.gpu, body_.math, down_f, down_b, down_f, body_.dequantized_weights(touched * f * h)).time;
  const double tensor_s = (up_f + down_f) / full_power_flops(cluster_.gpu, body_.math);
  a.add_op(StepPart::moe, time, assignments * 2 * h * (up_n + f), tensor_s, up_b + act_b + down_b);
}

namespace {
// The cached value at `key`, computing it with `f` the first time (-1 marks an empty slot).
template <class F>
double cached(std::vector<double>& cache, std::int64_t key, F f) {
  if (static_cast<std::int64_t>(cache.size()) <= key) cache.resize(static_cast<std::size_t>(key) + 1, -1.0);
  double& c = cache[static_cast<std::size_t>(key)];
  if (c < 0) c = f();
  return c;
}
}  // namespace

double InstanceModel::comm(std::size_t kind, std::int64_t tokens, std::int64_t group_tokens) {
  if (coll_ == nullptr || tokens <= 0) return 0;
  const double h = d(model_.hidden);
  double c = 0;
  // Activations are reduced in bf16 (2 bytes), the precision engines keep the residual stream in.
  if (pool_.tp > 1) {
    c += cached(comm_cache_[kind].all_reduce, group_tokens, [&] {
      return 2 * coll_->estimate(hw::CollectiveOp::all_reduce, tp_group_, d(group_tokens) * h * 2).time;
    });
  }
  // Tokens live on ep attention groups (data-parallel attention when ep > 1). With more than one expert rank they
  // are dispatched to their experts and combined back: an all-to-all each way, every GPU of a rank receiving the
  // full vector of each assignment routed to the rank (T k h / R bytes), plus each kernel's measured overhead
  // (kMoeDispatchOverhead, kMoeCombineOverhead); a GPU of the busiest group sends (and gets back) its group's
  // share, T_g k h / tp, which sets the time when the groups are uneven. With one rank spanning the groups
  // (expert_tp = tp x ep) every GPU needs every token: an all-gather before the experts and a reduce-scatter
  // after. With attention TP over the whole instance (ep = 1) every GPU already holds every token, whatever the
  // experts' split, and the TP all-reduce above combines the expert outputs (TensorRT-LLM blog1's TP8 attention
  // with EP4 x TP2 experts).
  if (kinds_[kind].moe && pool_.ep > 1) {
    const double R = pool_.expert_ranks();
    const double bytes_per_token = d(model_.moe.top_k) * h * bytes_.activation;
    auto a2a = [&](double per_gpu) {
      return 2 * coll_->estimate(hw::CollectiveOp::all_to_all, ep_group_, per_gpu).time + kMoeDispatchOverhead +
             kMoeCombineOverhead;
    };
    if (R > 1 && d(group_tokens) * R > d(tokens) * pool_.tp) {
      c += cached(comm_cache_[kind].a2a_sender, group_tokens,
                  [&] { return a2a(d(group_tokens) * bytes_per_token / pool_.tp); });
    } else if (R > 1) {
      c += cached(comm_cache_[kind].a2a, tokens, [&] { return a2a(d(tokens) * bytes_per_token / R); });
    } else {
      c += cached(comm_cache_[kind].a2a, tokens, [&] {
        const double all = d(tokens) * h * bytes_.activation;
        return coll_->estimate(hw::CollectiveOp::all_gather, ep_group_, all).time +
               coll_->estimate(hw::CollectiveOp::reduce_scatter, ep_group_, all).time;
      });
    }
  }
  return c;
}

std::pair<double, double> InstanceModel::attention_flops(std::size_t kind, const AttentionLoad& g) const {
  const Coeffs& c = coeffs_[kind];
  const LayerKind& k = kinds_[kind];
  double decode = 0, prefill = 0;
  if (g.decode_seqs > 0) {
    double ctx = g.decode_context;
    if (k.sliding) ctx = g.decode_seqs * std::min(g.mean_context, d(model_.sliding.window));
    decode = g.q * ctx * c.decode_flops_per_ctx;  // each of the q query tokens sees the context
  }
  if (g.prefill_tokens > 0) {
    double pairs = g.prefill_pairs;
    if (k.sliding) pairs = std::min(pairs, g.prefill_tokens * d(model_.sliding.window));
    prefill = pairs * c.prefill_flops_per_pair + g.prefill_cached * c.prefill_extra_flops_per_cached;
  }
  return {decode, prefill};
}

void InstanceModel::attention(Acc& a, std::size_t kind, const AttentionLoad& g, const AttentionLoad* whole) const {
  const Coeffs& c = coeffs_[kind];
  const LayerKind& k = kinds_[kind];
  const double ep = pool_.ep, tp = pool_.tp;
  const auto [decode_flops, prefill_flops] = attention_flops(kind, g);
  const std::pair<double, double> instance =
      whole != nullptr ? attention_flops(kind, *whole) : std::pair<double, double>{decode_flops * ep, prefill_flops * ep};
  // The instance's FLOPs count every group's work, also work the priced group does not have.
  if (g.decode_seqs <= 0) a.flops += instance.first;
  if (g.prefill_tokens <= 0) a.flops += instance.second;
  if (g.decode_seqs > 0) {
    double ctx = g.decode_context;
    if (k.sliding) ctx = g.decode_seqs * std::min(g.mean_context, d(model_.sliding.window));
    const double f = decode_flops / tp;
    // The KV is read by a paged decode-attention kernel, whose fixed cost per call and lower plateau the GPU's
    // decode_attention_curve holds; queries and outputs stream at the memory curve's rate.
    const double kv = ctx * c.decode_kv_per_ctx / kv_shard_, act = g.q * g.decode_seqs * c.decode_act / tp;
    const OpTime t = decode_attention_time(cluster_.gpu, attention_math_, f, kv, act);
    a.add_op(t.compute_bound ? StepPart::attention_math : StepPart::kv, t.time, instance.first,
             f / full_power_flops(cluster_.gpu, attention_math_), kv + act);
  }
  if (g.prefill_tokens > 0) {
    const double f = prefill_flops / tp;
    const double by = g.prefill_cached * c.prefill_kv_per_cached / kv_shard_ +
                      g.prefill_tokens * c.prefill_act_per_token / tp +
                      g.prefill_cached * c.prefill_extra_bytes_per_cached / tp;
    const OpTime t = op_time(cluster_.gpu, attention_math_, f, by, f);
    a.add_op(t.compute_bound ? StepPart::attention_math : StepPart::kv, t.time, instance.second,
             f / full_power_flops(cluster_.gpu, attention_math_), by);
  }
}

void InstanceModel::head(Acc& a, std::int64_t group_rows, double instance_rows) {
  const double h = d(model_.hidden), V = d(model_.vocab);
  if (group_rows <= 0) {
    if (instance_rows > 0) a.flops += 2 * instance_rows * h * V;  // other groups' rows
    return;
  }
  // Cached by row count (exact: the integer is the key), like the dense ops: every step prices its LM head.
  std::vector<DenseEntry>& head_cache = dense_costs_->head;
  if (static_cast<std::int64_t>(head_cache.size()) <= group_rows) {
    head_cache.resize(static_cast<std::size_t>(group_rows) + 1);
  }
  DenseEntry& e = head_cache[static_cast<std::size_t>(group_rows)];
  if (e.time < 0) {
    const double rows_g = d(group_rows);
    const double flops = 2 * rows_g * h * V;
    const double f = flops / pool_.tp;
    // The logits reach the sampler in fp32 (vLLM's sampler casts them, TensorRT-LLM's LM head writes float32
    // logits): the head writes V fp32 values a row, and one sampling kernel (greedy argmax, or softmax and draw)
    // reads every row's full vocabulary on the GPU that samples (vocab-parallel logits are gathered to it).
    const double by = (h * V * head_.bytes + rows_g * (h * bytes_.activation + V * kLogitBytes)) / pool_.tp;
    const double sampling = rows_g * V * kLogitBytes;
    const OpTime t = op_time(cluster_.gpu, head_.math, f, by, f, head_.dequantized_weights(h * V / pool_.tp));
    const double sample_time = op_time(cluster_.gpu, hw::Precision::bf16, 0, sampling).time;
    e = DenseEntry{t.time + sample_time, flops, f / full_power_flops(cluster_.gpu, head_.math), by + sampling,
                   t.compute_bound ? t.time : 0.0};
  }
  const double instance_flops = instance_rows < 0 ? e.flops * pool_.ep : 2 * instance_rows * h * V;
  // A compute-bound head's GEMM to gemm_math, the rest (an HBM-bound head, the sampling kernel) to weights.
  a.add_op(StepPart::gemm_math, e.math_time, instance_flops, e.tensor_s, e.gpu_bytes);
  a.add_op(StepPart::weights, e.time - e.math_time, 0, 0, 0);
}

void InstanceModel::add_dense(Acc& layer, std::size_t kind, const BatchShape& b) {
  // The dense ops' FLOPs are linear in the tokens, so the instance's are a token's times its tokens.
  auto add = [&](const DenseEntry& e, double instance_flops) {
    layer.add_op(StepPart::weights, e.time - e.math_time, instance_flops, e.tensor_s, e.gpu_bytes);
    layer.parts[StepPart::gemm_math] += e.math_time;
    layer.time += e.math_time;
  };
  const std::int64_t T = b.tokens();
  const bool mla_split = model_.attention == AttentionKind::mla && b.prefill_tokens > 0;
  if (!b.per_group) {
    const auto group = [&](std::int64_t t) { return static_cast<std::int64_t>(std::ceil(d(t) / pool_.ep)); };
    if (mla_split) {
      // MLA: prefill tokens use the naive form (latent expanded per head), decode tokens the absorbed form.
      const DenseEntry& pre = dense(kind, group(b.prefill_tokens), true);
      add(pre, pre.flops * pool_.ep);
      const DenseEntry& dec = dense(kind, group(T - b.prefill_tokens), false);
      add(dec, dec.flops * pool_.ep);
    } else {
      const DenseEntry& all = dense(kind, group(T), false);
      add(all, all.flops * pool_.ep);
    }
    return;
  }
  const GroupShape& g = b.busiest;
  const std::int64_t group_decode = b.busiest_decode_rows();
  // Copies: a later dense() call may grow the cache the references point into.
  const double per_decode_token = dense(kind, 1, false).flops;
  if (mla_split) {
    const double per_prefill_token = dense(kind, 1, true).flops;
    const DenseEntry pre = dense(kind, g.prefill_tokens, true);
    add(pre, per_prefill_token * d(b.prefill_tokens));
    const DenseEntry dec = dense(kind, group_decode, false);
    add(dec, per_decode_token * d(T - b.prefill_tokens));
  } else {
    const DenseEntry all = dense(kind, g.prefill_tokens + group_decode, false);
    add(all, per_decode_token * d(T));
  }
}

double InstanceModel::group_time(const BatchShape& b) { return gpu_time(b, true).time; }

InstanceModel::AttentionLoad InstanceModel::attention_load(double decode_seqs, double decode_context,
                                                           double prefill_tokens, double prefill_pairs,
                                                           double prefill_cached, int q, double share) {
  AttentionLoad l;
  l.decode_seqs = decode_seqs / share;
  l.decode_context = decode_context / share;
  l.mean_context = decode_seqs > 0 ? decode_context / decode_seqs : 0;  // per sequence: the share cancels
  l.prefill_tokens = prefill_tokens / share;
  l.prefill_pairs = prefill_pairs / share;
  l.prefill_cached = prefill_cached / share;
  l.q = q;
  return l;
}

std::int64_t InstanceModel::largest_group_tokens(const BatchShape& b) const {
  if (!b.per_group) return (b.tokens() + pool_.ep - 1) / pool_.ep;
  return std::max(b.largest_group_tokens, b.busiest.prefill_tokens + b.busiest_decode_rows());
}

InstanceModel::Acc InstanceModel::gpu_time(const BatchShape& b, bool group_only) {
  Acc a;
  const std::int64_t T = b.tokens();
  if (T == 0) return a;
  const double ep = pool_.ep;
  // The instance's attention work, and the priced group's: the busiest (per_group) or an even share of the ep groups.
  const AttentionLoad whole = attention_load(d(b.decode_seqs), b.decode_context, d(b.prefill_tokens), b.prefill_pairs,
                                             b.prefill_cached, b.tokens_per_decode, 1);
  const GroupShape& g = b.busiest;
  const AttentionLoad group =
      b.per_group ? attention_load(d(g.decode_seqs), g.decode_context, d(g.prefill_tokens), g.prefill_pairs,
                                   g.prefill_cached, b.tokens_per_decode, 1)
                  : attention_load(d(b.decode_seqs), b.decode_context, d(b.prefill_tokens), b.prefill_pairs,
                                   b.prefill_cached, b.tokens_per_decode, ep);
  // Tokens on the group whose GPUs send the most (and run the TP all-reduce on the most).
  const std::int64_t group_tokens = largest_group_tokens(b);
  for (std::size_t i = 0; i < kinds_.size(); ++i) {
    Acc layer;
    add_dense(layer, i, b);
    attention(layer, i, group, b.per_group ? &whole : nullptr);
    if (group_only) {
      a.time += kinds_[i].count * layer.time;
      continue;
    }
    if (kinds_[i].moe) experts(layer, T);
    const double c = comm(i, T, group_tokens);
    layer.time += c;
    layer.comm += c;
    layer.parts[StepPart::comm] += c;
    const double n = kinds_[i].count;
    a.time += n * layer.time;
    for (std::size_t p = 0; p < kStepParts; ++p) a.parts.s[p] += n * layer.parts.s[p];
    a.comm += n * layer.comm;
    a.flops += n * layer.flops;
    a.tensor_s += n * layer.tensor_s;
    a.gpu_bytes += n * layer.gpu_bytes;
  }
  const std::int64_t rows = b.decode_rows() + b.prefill_logits;
  if (b.per_group) {
    head(a, b.busiest_decode_rows() + b.busiest.prefill_logits, d(rows));
  } else {
    head(a, static_cast<std::int64_t>(std::ceil(d(rows) / ep)), -1);
  }
  return a;
}

BatchShape InstanceModel::padded_to_graph(const BatchShape& b, std::int64_t graph_units) const {
  const std::int64_t size = graph_size(pool_.cuda_graph_batch_sizes, graph_units);
  if (size <= graph_units) return b;
  // Every attention group replays the same graph (TensorRT-LLM pads all ranks to one size): the instance holds ep
  // groups of `size` sequences (decode_only) or tokens (all), the dummies filling what the real ones leave.
  const std::int64_t q = b.tokens_per_decode, ep = pool_.ep;
  const bool by_tokens = pool_.cuda_graphs == PoolSpec::CudaGraphs::all;
  const auto dummies = [&](std::int64_t units, std::int64_t seqs, std::int64_t prefill) {
    const std::int64_t missing = by_tokens ? units - prefill - seqs * q : units - seqs;
    return std::max<std::int64_t>(0, by_tokens ? (missing + q - 1) / q : missing);
  };
  BatchShape p = b;
  p.pad_seqs = dummies(size * ep, b.decode_seqs, b.prefill_tokens);
  if (b.per_group) {
    p.busiest_pad_seqs = dummies(size, b.busiest.decode_seqs, b.busiest.prefill_tokens);
    p.largest_group_tokens = by_tokens ? size : size * q;
  }
  return p;
}

IterationCost InstanceModel::cost(const BatchShape& actual) {
  IterationCost out;
  // Each attention group captures graphs for its own batch; a prompt chunk on any group makes every group eager.
  // The busiest group is the slowest, not always the one with the most sequences; in a decode-only step the group
  // with the most tokens holds the most sequences.
  const std::int64_t group_seqs =
      actual.per_group
          ? std::max(actual.busiest.decode_seqs,
                     actual.prefill_tokens == 0 ? actual.largest_group_tokens / actual.tokens_per_decode : std::int64_t{0})
          : (actual.decode_seqs + pool_.ep - 1) / pool_.ep;
  const std::int64_t group_tokens = largest_group_tokens(actual);
  out.eager = !runs_as_graph(pool_.cuda_graphs, pool_.cuda_graph_max_batch, group_seqs, group_tokens,
                             actual.prefill_tokens > 0);
  // A graph step runs at its captured size: the GPU works on the padded batch, the model's FLOPs are the real one's.
  BatchShape padded;
  if (!out.eager && !pool_.cuda_graph_batch_sizes.empty()) {
    padded = padded_to_graph(actual, pool_.cuda_graphs == PoolSpec::CudaGraphs::all ? group_tokens : group_seqs);
  }
  const BatchShape& b = padded.pad_seqs > 0 ? padded : actual;
  Acc a = gpu_time(b);
  const bool drafting = spec_.draft_tokens > 0 && b.decode_seqs > 0 && b.tokens_per_decode > 1;
  if (drafting) {
    // Drafting: k sequential passes of the draft module (draft_layers target layers) over the decoding batch.
    BatchShape draft;
    draft.decode_seqs = b.decode_seqs;
    draft.decode_context = b.decode_context;
    draft.pad_seqs = b.pad_seqs;
    draft.busiest_pad_seqs = b.busiest_pad_seqs;
    if (b.per_group) {
      draft.per_group = true;
      draft.busiest.decode_seqs = b.busiest.decode_seqs;
      draft.busiest.decode_context = b.busiest.decode_context;
    }
    const Acc one = gpu_time(draft);
    const double share = spec_.draft_layers / d(model_.layers) * spec_.draft_tokens;
    a.time += share * one.time;
    a.parts[StepPart::draft] += share * one.time;
    a.gpu_bytes += share * one.gpu_bytes;
    a.tensor_s += share * one.tensor_s;
  }
  out.gpu_s = a.time;
  out.comm_s = a.comm;
  // The real batch's FLOPs, priced exactly (the LM head and the groups' shares round per group, so the dummies'
  // FLOPs are not a constant per row): a second pricing for padded steps only.
  out.model_flops = b.pad_seqs > 0 ? gpu_time(actual).flops : a.flops;
  const double speed = cluster_.cpu.single_thread_speed > 0 ? cluster_.cpu.single_thread_speed : 1.0;
  out.cpu_s = (cpu_iteration_s_ + cpu_per_sequence_s_ * d(actual.decode_seqs + (actual.prefill_tokens > 0 ? 1 : 0))) /
              speed;
  double kernels = d(step_kernels_);
  // Drafting runs draft_tokens passes of draft_layers layers and a head (speculative.hpp), each kernel launched too.
  if (drafting) {
    const double per_layer = d(step_kernels_ - kHeadKernelLaunches) / d(model_.layers);
    kernels += d(spec_.draft_tokens) * (spec_.draft_layers * per_layer + kHeadKernelLaunches);
  }
  out.launch_s = out.eager ? kernels * cpu_per_kernel_s_ / speed : 0;
  // The host schedules and launches on one thread while the GPU runs what it has launched: with overlap (async
  // scheduling) the step is the longer of the GPU's work and the host's; without, scheduling comes first.
  out.time_s = cpu_overlap_ ? std::max(out.gpu_s, out.cpu_s + out.launch_s)
                            : out.cpu_s + std::max(out.gpu_s, out.launch_s);
  out.parts = a.parts;
  out.parts[StepPart::cpu] = out.time_s - out.gpu_s;  // the host time the GPU step does not hide
  out.pure_decode = actual.prefill_tokens == 0 && actual.decode_seqs > 0;
  out.decode_seqs = actual.decode_seqs;
  if (out.time_s > 0) {
    out.activity.compute = std::min(1.0, a.tensor_s / out.time_s);
    out.activity.memory = std::min(1.0, a.gpu_bytes / out.time_s / cluster_.gpu.hbm_bandwidth);
  }
  return out;
}

}  // namespace dcsim::wl::serving
