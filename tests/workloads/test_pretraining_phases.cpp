// The phases of a training step, each alone: chunk costs and their parameters, the pipeline's durations, the
// stages' ends (DP reduction and optimizer), stragglers, and the report's timeline.
#include <gtest/gtest.h>

#include <algorithm>
#include <filesystem>
#include <numeric>
#include <string>
#include <vector>

#include "app/catalog.hpp"
#include "app/scenario.hpp"
#include "hw/collectives.hpp"
#include "hw/topology.hpp"
#include "workloads/pretraining/chunking.hpp"
#include "workloads/pretraining/data_parallel.hpp"
#include "workloads/pretraining/layer_cost.hpp"
#include "workloads/pretraining/stage_costs.hpp"
#include "workloads/pretraining/step_trace.hpp"
#include "workloads/roofline.hpp"

namespace dcsim::wl {
namespace {

const app::Catalog& catalog() {
  static const app::Catalog c(std::filesystem::path(DCSIM_SOURCE_DIR) / "configs");
  return c;
}

app::Scenario scenario(std::vector<std::string> sets = {}) {
  return app::load_scenario(
      {catalog().root() / "scenarios" / "llama3-70b-pretrain-h100-hgx.yaml", std::move(sets), {}}, catalog());
}

// One step's phases on a scenario, kept alive together (LayerCostModel holds references).
struct Phases {
  app::Scenario s;
  hw::Topology topo;
  hw::Collectives coll;
  LayerCostModel model;
  StageChunks chunks;
  explicit Phases(app::Scenario sc)
      : s(std::move(sc)),
        topo(hw::build_topology(s.cluster)),
        coll(topo, s.cluster),
        model(s.pretraining, *s.model, s.cluster, coll),
        chunks(chunk_costs(model, model.all_layers(), straggler_factors(s.pretraining, 1))) {}
};

TEST(PretrainingPhases, ChunksHoldEveryParameterOnce) {
  // Llama 3 70B, tp 8, pp 4 x interleave 5: 80 layers, 4 a chunk. Summed over the 20 chunks, a GPU's parameters x tp
  // are the model's, but the final norm (h, replicated and not in a bucket). The embedding is chunk 0's extra
  // bucket (stage 0, local chunk 0), the LM head the last chunk's first.
  const Phases p(scenario());
  double params = 0;
  for (const auto& stage : p.chunks)
    for (const ChunkCost& ch : stage) {
      params += ch.params;
      EXPECT_NEAR(std::accumulate(ch.bucket_params.begin(), ch.bucket_params.end(), 0.0), ch.params, 1e-6);
    }
  const ModelSpec& m = *p.s.model;
  EXPECT_NEAR(params * 8, static_cast<double>(m.total_params() - m.hidden), 1.0);
  const ParamCounts pc = m.param_counts();
  EXPECT_EQ(p.chunks[0][0].bucket_params.size(), 5u);
  EXPECT_DOUBLE_EQ(p.chunks[0][0].bucket_params.back(), static_cast<double>(pc.embedding) / 8);
  EXPECT_EQ(p.chunks[3][4].bucket_params.size(), 5u);
  EXPECT_DOUBLE_EQ(p.chunks[3][4].bucket_params.front(), static_cast<double>(pc.lm_head) / 8);
  EXPECT_EQ(p.chunks[1][2].bucket_params.size(), 4u);
}

TEST(PretrainingPhases, PipelineDurationsAreTheChunksPassesAndOneActivationSend) {
  // The send between stages carries one micro-batch's activations, sequence-sharded: s b h x 2 bytes / tp =
  // 8192 x 8192 x 2 / 8 = 16 MiB, from stage 0's first GPU to stage 1's (rank tp x cp x dp = 144).
  const Phases p(scenario());
  const PipelineDurations d = pipeline_durations(p.model, p.chunks);
  ASSERT_EQ(d.fwd.size(), 4u);
  ASSERT_EQ(d.fwd[2].size(), 5u);
  EXPECT_DOUBLE_EQ(d.fwd[2][3], p.chunks[2][3].fwd.total());
  EXPECT_DOUBLE_EQ(d.bwd[2][3], p.chunks[2][3].bwd.total());
  EXPECT_DOUBLE_EQ(d.wgt[2][3], p.chunks[2][3].bwd.wgrad);
  EXPECT_DOUBLE_EQ(d.p2p, p.coll.estimate(hw::CollectiveOp::send_recv, std::vector<int>{0, 144}, 8192.0 * 8192 * 2 / 8).time);
  EXPECT_TRUE(d.blocking);  // Megatron-LM waits for its sends unless async_p2p
}

TEST(PretrainingPhases, WithoutDataParallelismAStageEndsWithItsOptimizerStep) {
  // dp 1 (4 HGX boards, 32 GPUs): no gradient reduction or parameter gather; each stage ends its optimizer step
  // after its last backward: params x 30 bytes (read grad 4, master 8, m 8, v 8, write bf16 2) at the HBM roofline.
  const Phases p(scenario({"hardware.count=4", "workload.parallelism.dp=1", "workload.global_batch=16"}));
  const PipelineDurations d = pipeline_durations(p.model, p.chunks);
  const PipelineTimeline tl = simulate_pipeline(d, PipelineSchedule::interleaved, 4, 5, 16);
  const StageFinish f = finish_stages(p.model, p.chunks, d, tl);
  for (std::size_t s = 0; s < 4; ++s) {
    double params = 0;
    for (const ChunkCost& ch : p.chunks[s]) params += ch.params;
    EXPECT_DOUBLE_EQ(f.optimizer_bytes[s], params * 30);
    EXPECT_DOUBLE_EQ(f.optimizer_s[s], op_time(p.s.cluster.gpu, hw::Precision::bf16, 0, params * 30).time);
    EXPECT_DOUBLE_EQ(f.dp_exposed[s], 0);
    EXPECT_DOUBLE_EQ(f.end[s], tl.compute_end[s] + f.optimizer_s[s]);
  }
  EXPECT_TRUE(f.dp_spans.empty());
  EXPECT_DOUBLE_EQ(f.step, *std::max_element(f.end.begin(), f.end.end()));
  EXPECT_DOUBLE_EQ(f.end[static_cast<std::size_t>(f.critical)], f.step);
}

TEST(PretrainingPhases, DataParallelBucketsRunOneAfterAnotherAfterTheirBackward) {
  // dp 18: every layer's gradient bucket is reduce-scattered (zero 1) on the stage's serial channel, none before
  // the backward that finishes it; the reductions of a stage never overlap one another.
  const Phases p(scenario());
  const PipelineDurations d = pipeline_durations(p.model, p.chunks);
  const PipelineTimeline tl = simulate_pipeline(d, PipelineSchedule::interleaved, 4, 5, 64);
  const StageFinish f = finish_stages(p.model, p.chunks, d, tl);
  EXPECT_EQ(f.dp_spans.size(), 80u + 2u);  // one per layer, plus the embedding and the LM head
  std::vector<double> last(4, 0.0);
  for (const TimelineSpan& r : f.dp_spans) {
    EXPECT_GE(r.start_s, last[static_cast<std::size_t>(r.lane)] - 1e-12);
    EXPECT_GT(r.end_s, r.start_s);
    last[static_cast<std::size_t>(r.lane)] = r.end_s;
  }
}

TEST(PretrainingPhases, StragglersSlowEachStageToItsSlowestGpu) {
  // cv 0: every stage at full pace. cv 0.016 over tp x cp x dp = 144 GPUs a stage: the largest of 144 draws of
  // Normal(1, 0.016) is 1 + 0.016 x E[max of 144 standard normals] (2.50) = 1.040 on average; each stage's lies
  // within 1 + 0.016 x [1.5, 4.5]. The same seed draws the same factors.
  app::Scenario s = scenario();
  s.pretraining.straggler_cv = 0;
  EXPECT_EQ(straggler_factors(s.pretraining, 7), std::vector<double>(4, 1.0));
  s.pretraining.straggler_cv = 0.016;
  const std::vector<double> a = straggler_factors(s.pretraining, 7);
  ASSERT_EQ(a.size(), 4u);
  for (const double f : a) {
    EXPECT_GT(f, 1 + 0.016 * 1.5);
    EXPECT_LT(f, 1 + 0.016 * 4.5);
  }
  EXPECT_EQ(straggler_factors(s.pretraining, 7), a);
  EXPECT_NE(straggler_factors(s.pretraining, 8), a);
}

TEST(PretrainingPhases, TimelineDrawsEveryTaskAndEachStagesOptimizer) {
  const Phases p(scenario({"hardware.count=4", "workload.parallelism.dp=1", "workload.global_batch=8"}));
  const PipelineDurations d = pipeline_durations(p.model, p.chunks);
  const PipelineTimeline tl = simulate_pipeline(d, PipelineSchedule::interleaved, 4, 5, 8);
  const StageFinish f = finish_stages(p.model, p.chunks, d, tl);
  const SimulatedStep step{p.chunks, d, tl, tl, f};
  const Timeline line = step_timeline(step);
  EXPECT_EQ(line.lanes.size(), 4u);
  const auto count = [&](const std::string& kind) {
    return std::count_if(line.spans.begin(), line.spans.end(), [&](const TimelineSpan& r) { return r.kind == kind; });
  };
  // 4 stages x 5 chunks x 8 micro-batches, each a forward and a backward.
  EXPECT_EQ(count("forward"), 160);
  EXPECT_EQ(count("backward"), 160);
  EXPECT_EQ(count("optimizer"), 4);
  // Every forward but the last chunk's sends its activations on; every backward but chunk 0's its gradient.
  EXPECT_EQ(count("PP send"), 2 * (160 - 8));
}

TEST(PretrainingPhases, SelectiveRecomputeRerunsItsModulesInTheBackward) {
  // Llama 3 70B (selective): [core_attn] reruns the attention core; [mlp] the FFN's two GEMMs and its SwiGLU kernel.
  // Each chunk's backward grows by its 4 layers' rerun forward time, its forward not at all (no stragglers).
  const auto phases = [](const std::string& modules) {
    return Phases(scenario({"workload.straggler_cv=0", "workload.recompute_modules=" + modules}));
  };
  const Phases core(phases("[core_attn]")), mlp(phases("[mlp]")), both(phases("[core_attn, mlp]"));
  const LayerCost c = core.model.layer_cost(0), f = mlp.model.layer_cost(0);
  EXPECT_EQ(c.rerun_fwd, 0);
  EXPECT_GT(f.rerun_fwd, 0.5 * (f.fwd.compute - f.core_fwd));  // the FFN is most of a Llama layer's forward
  EXPECT_LT(f.rerun_fwd, f.fwd.compute - f.core_fwd);
  const ChunkCost& a = core.chunks[1][2];
  const ChunkCost& b = mlp.chunks[1][2];
  const ChunkCost& ab = both.chunks[1][2];
  EXPECT_DOUBLE_EQ(a.fwd.compute, b.fwd.compute);
  EXPECT_NEAR(b.bwd.compute - a.bwd.compute, 4 * (f.rerun_fwd - c.core_fwd), 1e-12);
  EXPECT_NEAR(ab.bwd.compute - a.bwd.compute, 4 * f.rerun_fwd, 1e-12);
}

TEST(PretrainingPhases, RoutedExpertsReduceOverTheExpertDataParallelGroup) {
  // Qwen3-30B-A3B on 16 H100, TP1 EP16 DP16, ZeRO-1: every GPU holds its own 8 experts, so their expert-data-parallel
  // group is the GPU alone: their gradients are not reduced and their optimizer states not sharded. The step's
  // optimizer moves 30 bytes per (dense / 16 + experts) parameter; every DP span carries dense gradients only.
  const app::Catalog& cat = catalog();
  const Phases q(app::load_scenario(
      {cat.root() / "scenarios" / "val-training-mbridge-h100.yaml",
       {"model=qwen3-30b-a3b", "hardware.count=2", "workload.parallelism.tp=1", "workload.parallelism.pp=1",
        "workload.parallelism.cp=1", "workload.parallelism.dp=16", "workload.parallelism.ep=16", "workload.seq_len=4096",
        "workload.global_batch=1024", "workload.schedule=1f1b", "workload.interleave=1",
        "workload.pipeline_ends_fewer_layers=0", "workload.precision=bf16"},
       {}},
      cat));
  EXPECT_EQ(q.model.edp_group, std::vector<int>{0});
  const PipelineDurations d = pipeline_durations(q.model, q.chunks);
  const PipelineTimeline tl = simulate_pipeline(d, PipelineSchedule::one_f_one_b, 1, 1, 64);
  const StageFinish f = finish_stages(q.model, q.chunks, d, tl);
  const ChunkCost& ch = q.chunks[0][0];
  EXPECT_DOUBLE_EQ(f.optimizer_bytes[0], ((ch.params - ch.expert_params) / 16 + ch.expert_params) * 30);
  // At ep 1 every GPU of the stage holds every expert: the group is all 16 and the experts shard like the rest.
  const Phases one(app::load_scenario(
      {cat.root() / "scenarios" / "val-training-mbridge-h100.yaml",
       {"model=qwen3-30b-a3b", "hardware.count=2", "workload.parallelism.tp=1", "workload.parallelism.pp=1",
        "workload.parallelism.cp=1", "workload.parallelism.dp=16", "workload.parallelism.ep=1", "workload.seq_len=4096",
        "workload.global_batch=1024", "workload.schedule=1f1b", "workload.interleave=1",
        "workload.pipeline_ends_fewer_layers=0", "workload.precision=bf16", "workload.micro_batch=1",
        "hardware.overrides.gpu.hbm_capacity=1 TB"},
       {}},
      cat));
  EXPECT_EQ(one.model.edp_group.size(), 16u);
  const PipelineDurations d1 = pipeline_durations(one.model, one.chunks);
  const StageFinish f1 =
      finish_stages(one.model, one.chunks, d1, simulate_pipeline(d1, PipelineSchedule::one_f_one_b, 1, 1, 64));
  EXPECT_DOUBLE_EQ(f1.optimizer_bytes[0], one.chunks[0][0].params / 16 * 30);
  EXPECT_GT(f1.dp_spans.size(), 0u);
  // DeepSeek-V3 on 2,048 H800 (TP1 EP64 DP128): an expert's two replicas sit 64 ranks apart.
  const Phases v(app::load_scenario({cat.root() / "scenarios" / "val-training-deepseek-v3-h800.yaml", {}, {}}, cat));
  EXPECT_EQ(v.model.edp_group, (std::vector<int>{0, 64}));
}

TEST(PretrainingPhases, PairedChunksHideTheirAllToAllsBehindEachOthersCompute) {
  // Qwen3-30B-A3B on 2 HGX H100 nodes, EP16 over both (its dispatch and combine cross the network). With
  // overlap_ep_comm a forward and a backward chunk run together: their all-to-alls (F.ep + B.ep) hide behind their
  // joint compute (F.compute + B.compute); what is left splits by each one's share, and the hidden part holds
  // comm_sm_share of the SMs. Compute itself does not change.
  const app::Catalog& cat = catalog();
  const std::vector<std::string> sets = {
      "model=qwen3-30b-a3b", "hardware.count=2", "workload.parallelism.tp=1", "workload.parallelism.pp=1",
      "workload.parallelism.cp=1", "workload.parallelism.dp=16", "workload.parallelism.ep=16", "workload.seq_len=4096",
      "workload.global_batch=1024", "workload.schedule=1f1b", "workload.interleave=1",
      "workload.pipeline_ends_fewer_layers=0", "workload.precision=bf16", "workload.comm_sm_share=0.15",
      "workload.straggler_cv=0"};
  std::vector<std::string> with = sets;
  with.push_back("workload.overlap_ep_comm=true");
  const Phases off(app::load_scenario({cat.root() / "scenarios" / "val-training-mbridge-h100.yaml", sets, {}}, cat));
  const Phases on(app::load_scenario({cat.root() / "scenarios" / "val-training-mbridge-h100.yaml", with, {}}, cat));
  const ChunkCost &a = off.chunks[0][0], &b = on.chunks[0][0];
  const double comm = a.fwd.ep + a.bwd.ep, hide = a.fwd.compute + a.bwd.compute;
  ASSERT_GT(comm, 0.0);
  const double left = std::max(0.0, comm - hide) / comm, held = 0.15 * std::min(comm, hide);
  EXPECT_DOUBLE_EQ(b.fwd.compute, a.fwd.compute);
  EXPECT_DOUBLE_EQ(b.bwd.compute, a.bwd.compute);
  EXPECT_NEAR(b.fwd.ep, a.fwd.ep * left, 1e-15);
  EXPECT_NEAR(b.bwd.ep, a.bwd.ep * left, 1e-15);
  EXPECT_NEAR(b.fwd.contention + b.bwd.contention, a.fwd.contention + a.bwd.contention + held, 1e-12);
  EXPECT_LT(b.fwd.total() + b.bwd.total(), a.fwd.total() + a.bwd.total());
}

TEST(PretrainingPhases, UnevenFirstAndLastStagesAsMegatronSplitsThem) {
  // Llama 3 70B (80 layers) on pp 4 x interleave 2, 18 layers on the first stage and 18 on the last: the middle
  // stages hold (80 - 36) / 2 = 22, each stage's split over its 2 chunks. In model order (chunk j on stage j % 4):
  // 9, 11, 11, 9, 9, 11, 11, 9 layers, from layer 0 to 80.
  const app::Scenario s = scenario({"workload.first_stage_layers=18", "workload.last_stage_layers=18",
                                    "workload.interleave=2"});
  const std::vector<std::int64_t> want = {9, 11, 11, 9, 9, 11, 11, 9};
  std::int64_t first = 0;
  for (int j = 0; j < 8; ++j) {
    const ChunkLayers c = chunk_layers(s.pretraining, *s.model, j);
    EXPECT_EQ(c.first, first) << j;
    EXPECT_EQ(c.count, want[static_cast<std::size_t>(j)]) << j;
    first += c.count;
  }
  EXPECT_EQ(first, 80);
  EXPECT_NO_THROW(check_plan(s.pretraining, *s.model, s.cluster));
  // Only the first given: the 3 other stages share 80 - 20 = 60, 20 each.
  const app::Scenario f = scenario({"workload.first_stage_layers=20", "workload.interleave=2"});
  EXPECT_EQ(chunk_layers(f.pretraining, *f.model, 0).count, 10);
  EXPECT_EQ(chunk_layers(f.pretraining, *f.model, 3).count, 10);
  // A stage whose layers do not divide into its chunks, or counts that do not add up, are refused.
  PretrainingWorkload bad = s.pretraining;
  bad.first_stage_layers = 17;
  bad.last_stage_layers = 19;
  EXPECT_THROW(check_plan(bad, *s.model, s.cluster), PlanError);
  bad.first_stage_layers = 60;
  bad.last_stage_layers = 30;
  EXPECT_THROW(check_plan(bad, *s.model, s.cluster), PlanError);
}

TEST(PretrainingPhases, EndChunksMayHoldOnlyTheEmbeddingOrTheLoss) {
  // Llama 3 §3.3.2: 126 layers with the embedding and the loss as a layer each over 16 stages x 8 chunks: "the first
  // model chunk on the first stage has only the embedding, and the last model chunk on the last stage has only
  // output projection and loss calculation". Every other chunk holds one layer.
  const app::Catalog& cat = catalog();
  app::Scenario s = app::load_scenario({cat.root() / "scenarios" / "llama3-405b-pretrain-h100-8k.yaml",
                                        {"workload.schedule=interleaved", "workload.interleave=8",
                                         "hardware.overrides.gpu.hbm_capacity=100 GB"},
                                        {}},
                                       cat);
  const PretrainingWorkload& w = s.pretraining;
  EXPECT_EQ(chunk_layers(w, *s.model, 0).count, 0);
  EXPECT_EQ(chunk_layers(w, *s.model, 1).first, 0);
  EXPECT_EQ(chunk_layers(w, *s.model, 1).count, 1);
  EXPECT_EQ(chunk_layers(w, *s.model, 126).first, 125);
  EXPECT_EQ(chunk_layers(w, *s.model, 127).count, 0);
  EXPECT_NO_THROW(check_plan(w, *s.model, s.cluster));
  const hw::Topology topo = hw::build_topology(s.cluster);
  const hw::Collectives coll(topo, s.cluster);
  const LayerCostModel model(w, *s.model, s.cluster, coll);
  const StageChunks chunks = chunk_costs(model, model.all_layers(), straggler_factors(w, 1));
  EXPECT_EQ(chunks[0][0].bucket_params.size(), 1u);   // the embedding alone
  EXPECT_EQ(chunks[15][7].bucket_params.size(), 1u);  // the LM head alone
  // The head's GEMM, 2 x 8192 x 128256 x 16384 / 8 = 4.3 TFLOP a GPU, is two thirds of a layer's linear 6.5.
  EXPECT_GT(chunks[15][7].fwd.compute, 0.5 * chunks[15][6].fwd.compute);
  EXPECT_LT(chunks[15][7].fwd.compute, chunks[15][6].fwd.compute);
  // Two layers taken off the ends of one-layer chunks would leave them below nothing.
  PretrainingWorkload bad = w;
  bad.pipeline_ends_fewer_layers = 2;
  EXPECT_THROW(check_plan(bad, *s.model, s.cluster), PlanError);
}

}  // namespace
}  // namespace dcsim::wl
