// workload (kind: collective): one NCCL collective over a size range, as nccl-tests runs it (docs/network.md,
// nccl-tests parity).
#include "app/schema/scenario_keys.hpp"

namespace dcsim::app::schema {

const std::vector<std::pair<std::string, int>>& collective_dtypes() {
  // nccl-tests' data types (-d) and their element sizes.
  static const std::vector<std::pair<std::string, int>> dtypes = {
      {"int8", 1}, {"uint8", 1}, {"int32", 4},    {"uint32", 4}, {"int64", 8},   {"uint64", 8},
      {"half", 2}, {"float", 4}, {"double", 8}, {"bfloat16", 2}, {"f8e4m3", 1}, {"f8e5m2", 1}};
  return dtypes;
}

SectionPtr collective_keys() {
  static const SectionPtr s = [] {
    std::vector<std::string> dtypes;
    for (const auto& [name, size] : collective_dtypes()) dtypes.push_back(name);
    Type bytes = quantity_type(Dimension::data, 1, 1e15);
    return make_section(
        "workload (kind: collective)", "One collective over a range of sizes, timed as nccl-tests times it.",
        {choice("kind", workload_kinds()).describe("collective"),
         choice("op", {"all_reduce", "all_gather", "reduce_scatter", "all_to_all", "broadcast", "send_recv"})
             .describe("the collective"),
         integer("gpus", 2, 1 << 30)
             .computed("every GPU of the cluster (send_recv: 2)")
             .describe("ranks taking part")
             .rule_("at most the cluster's GPUs; 2 for send_recv"),
         choice("dtype", dtypes).or_default("float").describe("element type (nccl-tests -d)"),
         choice("redop", {"sum", "prod", "max", "min", "avg"})
             .or_default("sum")
             .describe("reduction (nccl-tests -o)")
             .when_("op: all_reduce or reduce_scatter"),
         key("bytes", bytes)
             .or_form(list_type(bytes, 1))
             .optional("required unless min_bytes gives a range")
             .describe("message sizes: one, or a list (e.g. [1 MiB, 1 GiB])")
             .rule_("whole bytes; at least one element per rank; not with min_bytes"),
         quantity("min_bytes", Dimension::data, 1, 1e15)
             .optional("sizes come from bytes")
             .describe("the range's smallest size (nccl-tests -b)")
             .rule_("not with bytes"),
         quantity("max_bytes", Dimension::data, 1, 1e15)
             .computed("min_bytes")
             .describe("the range's largest size (nccl-tests -e)")
             .rule_("at least min_bytes")
             .when_("min_bytes"),
         number("step_factor", 1.0001, 1e6)
             .optional("sizes step by step_bytes")
             .describe("multiply the size by this each step (nccl-tests -f)")
             .rule_("not with step_bytes; at most 4096 sizes")
             .when_("min_bytes"),
         quantity("step_bytes", Dimension::data, 1, 1e15)
             .computed("1 MiB when no step_factor (nccl-tests -i)")
             .describe("add this to the size each step")
             .rule_("not with step_factor; at most 4096 sizes")
             .when_("min_bytes"),
         choice("algorithm", {"auto", "ring", "tree", "nvls", "nvls_tree", "hierarchical"})
             .or_default("auto")
             .describe("NCCL's algorithm; auto picks the fastest that runs, as NCCL's tuner does")
             .rule_("one that can run this op on these GPUs"),
         integer("iterations", 1, 1'000'000).or_default(20).describe("timed iterations per size (nccl-tests -n)")});
  }();
  return s;
}

}  // namespace dcsim::app::schema
