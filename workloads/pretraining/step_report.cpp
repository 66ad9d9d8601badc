#include "workloads/pretraining/step_report.hpp"
#include "workloads/pretraining/counts.hpp"

#include <algorithm>
#include <cmath>
#include <string>

#include "hw/power.hpp"
#include "sim/energy.hpp"
#include "workloads/cluster_power.hpp"
#include "workloads/pretraining/chunking.hpp"
#include "workloads/pretraining/state_bytes.hpp"

namespace dcsim::wl {
namespace {

using i64 = std::int64_t;
using counts::d;

// A campaign's failures and goodput (goodput.hpp) for this job: its parts, and a checkpoint of every parameter in
// bf16 with its fp32 master copy and two Adam moments (2 + 4 + 4 + 4 bytes; Megatron's distributed checkpoint).
// An asynchronous checkpoint stalls training for one GPU's state (weights and optimizer shard) over its host link.
void report_goodput(const GoodputSpec& spec, const ModelSpec& m, const hw::ClusterSpec& c, const MemoryEstimate& mem,
                    double tokens_per_s, std::uint64_t seed, Metrics& M) {
  constexpr double kCheckpointBytesPerParam = 2 + 4 + 4 + 4;
  GoodputJob job;
  job.gpus = c.total_gpus();
  // Hosts as the per-host rates count them: compute nodes (an HGX board, an NVL72 compute tray of 4 GPUs).
  const int node = c.system.gpus_per_node > 0 ? c.system.gpus_per_node : c.system.gpus;
  job.hosts = c.systems * std::ceil(static_cast<double>(c.gpus_per_system) / node);
  job.links = job.gpus;  // one scale-out NIC link per GPU (rail-optimised HGX and NVL72 alike)
  job.checkpoint_bytes = d(m.total_params()) * kCheckpointBytesPerParam;
  job.snapshot_s = c.cpu.gpu_link_bandwidth > 0 ? (mem.weights + mem.optimizer) / c.cpu.gpu_link_bandwidth : 0;
  const GoodputResult r = simulate_goodput(spec, job, seed);
  M.set("reliability.ettr", r.ettr);
  M.set("reliability.ettr_expected", r.ettr_expected);
  M.set("reliability.interruptions", d(r.unplanned + r.planned));
  M.set("reliability.interruptions_unplanned", d(r.unplanned));
  M.set("reliability.interruptions_planned", d(r.planned));
  for (const auto& [cause, n] : r.by_cause) M.set("reliability.interruptions_by_cause." + cause, d(n));
  if (r.unplanned_rate_per_s > 0) M.set("reliability.job_mtbf_h", 1 / r.unplanned_rate_per_s / 3600);
  M.set("reliability.checkpoint_bytes", job.checkpoint_bytes);
  M.set("reliability.checkpoint_write_s", r.checkpoint_write_s);
  M.set("reliability.checkpoint_stall_s", r.checkpoint_block_s);
  M.set("reliability.checkpoint_restore_s", r.checkpoint_restore_s);
  M.set("reliability.checkpoint_interval_s", r.interval_s);
  if (std::isfinite(r.optimal_interval_s)) M.set("reliability.checkpoint_interval_optimal_s", r.optimal_interval_s);
  M.set("reliability.useful_h", r.useful_s / 3600);
  M.set("reliability.lost_work_h", r.lost_work_s / 3600);
  M.set("reliability.restart_h", r.restart_s / 3600);
  M.set("reliability.restore_h", r.restore_s / 3600);
  M.set("reliability.checkpoint_h", r.checkpoint_s / 3600);
  M.set("goodput_tokens_per_day", r.ettr * tokens_per_s * 86400);
}

}  // namespace

RunResult report_step(const LayerCostModel& model, const hw::Topology& topo, const SimulatedStep& st,
                      std::uint64_t seed) {
  const PretrainingWorkload& w = model.w;
  const ModelSpec& m = model.m;
  const hw::ClusterSpec& c = model.c;
  const hw::GpuSpec& g = c.gpu;
  const StageFinish& fin = st.finish;
  const int pp = w.pp, v = w.interleave, mi = static_cast<int>(w.micro_batches());
  const i64 mbs = w.micro_batches();
  const int crit = fin.critical;
  const auto cu = static_cast<std::size_t>(crit);
  const double step = fin.step;

  // Exposed communication per kind on the critical stage.
  double ex_tp = 0, ex_cp = 0, ex_ep = 0, ex_z3 = 0, ex_cont = 0, units = 0, mem_units = 0;
  for (int s = 0; s < pp; ++s) {
    for (int cidx = 0; cidx < v; ++cidx) {
      const ChunkCost& ch = st.chunks[static_cast<std::size_t>(s)][static_cast<std::size_t>(cidx)];
      units += d(mbs) * (ch.fwd.units + ch.bwd.units);
      mem_units += d(mbs) * (ch.fwd.mem_units + ch.bwd.mem_units);
      if (s != crit) continue;
      ex_tp += d(mbs) * (ch.fwd.tp + ch.bwd.tp);
      ex_cp += d(mbs) * (ch.fwd.cp + ch.bwd.cp);
      ex_ep += d(mbs) * (ch.fwd.ep + ch.bwd.ep);
      ex_z3 += d(mbs) * (ch.fwd.dp + ch.bwd.dp);
      ex_cont += d(mbs) * (ch.fwd.contention + ch.bwd.contention);
    }
    mem_units += fin.optimizer_bytes[static_cast<std::size_t>(s)] / g.hbm_bandwidth;
  }
  const double bubble = st.timeline_no_p2p.makespan > 0 ? std::max(0.0, (st.timeline_no_p2p.makespan - st.timeline_no_p2p.busy[cu]) / st.timeline_no_p2p.makespan) : 0;
  const double ex_pp = std::max(0.0, st.timeline.compute_end[cu] - st.timeline_no_p2p.compute_end[cu]);

  // FLOPs (DESIGN.md §6): model FLOPs never count recomputation; hardware FLOPs do. Full attention count
  // (Narayanan/Korthikanti/Megatron/MegaScale convention); the causal count is reported beside it.
  const double tokens_step = d(w.global_batch) * d(w.seq_len);
  const double model_flops = model_flops_per_token(m, w.seq_len, AttentionCount::full) * tokens_step;
  const double model_flops_causal = model_flops_per_token(m, w.seq_len, AttentionCount::causal) * tokens_step;
  // Narayanan's hardware count (full attention) for hw_tflops_per_gpu, the figure his tables publish; HFU is what the
  // GPUs execute, with the causal count flash attention runs, so that it is a true fraction of peak (<= 1).
  const double hw_flops = hardware_flops_per_token(m, w.seq_len, w.recompute, AttentionCount::full, w.recompute_modules) * tokens_step;
  const double hw_flops_executed =
      hardware_flops_per_token(m, w.seq_len, w.recompute, AttentionCount::causal, w.recompute_modules) * tokens_step;
  const int gpus = c.total_gpus();
  const double peak = g.flops.at(w.precision);
  const int steps = std::max(1, w.steps);

  // Power: every GPU at the step's mean activity (exact energy for a per-step average; docs/pretraining.md).
  sim::EnergyLedger ledger(0);
  ClusterPower power(ledger, c, topo.shape(), 0);
  const double gpu_stage_time = step * pp;
  const hw::GpuActivity act{std::min(1.0, units / gpu_stage_time), std::min(1.0, mem_units / gpu_stage_time)};
  power.set_gpu_activity(act, gpus, 0);
  // Every step is the same: integrate one and scale by the steps, so a long run (a million steps of 15 s is 174
  // days) never meets the 106-day horizon of simulated time.
  const sim::Time end_t = sim::from_seconds(step);

  RunResult out;
  out.observed.timeline = step_timeline(st);
  Metrics& M = out.metrics;
  const double tokens = tokens_step * steps;
  M.set("tokens", tokens);
  M.set(std::string(kTokensByClassPrefix) + std::string(kTrainingClass), tokens);  // one class: tokens trained
  M.set("tokens_per_s", tokens_step / step);
  M.set("step_time_s", step);
  M.set("tflops_per_gpu", model_flops / step / gpus / 1e12);
  M.set("hw_tflops_per_gpu", hw_flops / step / gpus / 1e12);
  M.set("mfu", model_flops / step / (gpus * peak));
  M.set("hfu", hw_flops_executed / step / (gpus * peak));
  M.set("mfu_causal", model_flops_causal / step / (gpus * peak));
  power.report(M, 0, end_t, tokens_step);
  M.set("energy_j", M.at("energy_j") * steps);
  M.set("energy_facility_j", M.at("energy_facility_j") * steps);
  M.set("exposed_comm_s.tp", ex_tp);
  M.set("exposed_comm_s.cp", ex_cp);
  M.set("exposed_comm_s.ep", ex_ep);
  M.set("exposed_comm_s.pp", ex_pp);
  M.set("exposed_comm_s.dp", fin.dp_exposed[cu] + ex_z3);
  M.set("comm_contention_s", ex_cont + fin.dp_contention[cu]);
  M.set("bubble_fraction", bubble);
  // ZB-H1's bubble depends on the pass times: the critical stage's (Qi et al.'s formula assumes equal stages).
  const double t_w = st.durations.wgt[cu][0], t_b = st.durations.bwd[cu][0] - t_w;
  M.set("bubble_fraction_analytic", pp > 1 ? analytic_bubble(w.schedule, pp, v, mi, st.durations.fwd[cu][0], t_b, t_w) : 0.0);
  M.set("optimizer_s", fin.optimizer_s[cu]);
  // Frameworks log one rank's peak: Megatron-LM the last (the last stage), Megatron-Bridge rank 0 (the first).
  const std::vector<MemoryEstimate> by_stage = estimate_memory_by_stage(w, m, c);
  const MemoryEstimate mem = fullest_stage(by_stage);
  M.set("memory_gib", mem.total() / kGiB);
  M.set("memory_gib_breakdown.weights", mem.weights / kGiB);
  M.set("memory_gib_breakdown.gradients", mem.gradients / kGiB);
  M.set("memory_gib_breakdown.optimizer", mem.optimizer / kGiB);
  M.set("memory_gib_breakdown.activations", mem.activations / kGiB);
  M.set("memory_gib_breakdown.logits", mem.logits / kGiB);
  M.set("memory_gib_breakdown.quantized_weights", mem.quantized_weight_copies / kGiB);
  M.set("memory_gib_first_stage", by_stage.front().total() / kGiB);
  M.set("memory_gib_last_stage", by_stage.back().total() / kGiB);
  M.set("gpu_activity.compute", act.compute);
  M.set("gpu_activity.memory", act.memory);
  M.set("micro_batches", d(mbs));
  M.set("gpus", gpus);

  if (w.reliability) report_goodput(*w.reliability, m, c, mem, tokens_step / step, seed, M);

  out.info.emplace_back("plan", "tp=" + std::to_string(w.tp) + " pp=" + std::to_string(w.pp) + " dp=" +
                                    std::to_string(w.dp) + " cp=" + std::to_string(w.cp) + " ep=" + std::to_string(w.ep) +
                                    (sequence_shards(w) > 1 ? " +sp" : "") + " zero=" + std::to_string(w.zero));
  out.info.emplace_back("schedule", std::string(to_string(w.schedule)) +
                                        (v > 1 ? " (interleave " + std::to_string(v) + ")" : "") + ", " +
                                        std::to_string(mbs) + " micro-batches of " + std::to_string(w.micro_batch));
  out.info.emplace_back("recompute", to_string(w.recompute));
  out.info.emplace_back("precision", hw::to_string(w.precision));
  out.info.emplace_back("attention_kernel", to_string(w.attention_kernel));
  out.info.emplace_back("memory_fit", "fits: " + fixed_text(mem.total() / kGiB) + " GiB of " + fixed_text(g.hbm_capacity / kGiB) +
                                          " GiB (stage " + std::to_string(mem.stage) + ")");
  out.info.emplace_back("critical_stage", std::to_string(crit));
  out.info.emplace_back("network_model",
                        fin.flows ? "flow (every replica's pipeline sends and DP traffic as flows)" : "analytical");
  out.engine.events = st.timeline.events * static_cast<std::uint64_t>(steps);
  out.engine.fingerprint = st.timeline.fingerprint;
  return out;
}

}  // namespace dcsim::wl
