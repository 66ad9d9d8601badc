#include "app/collective_scenario.hpp"

#include <algorithm>
#include <cmath>
#include <string>
#include <utility>

namespace dcsim::app {
namespace {

// nccl-tests' data types (-d) and their element sizes.
const std::pair<const char*, int> kDtypes[] = {
    {"int8", 1},  {"uint8", 1},    {"int32", 4},    {"uint32", 4}, {"int64", 8},  {"uint64", 8},
    {"half", 2},  {"float", 4},    {"double", 8},   {"bfloat16", 2}, {"f8e4m3", 1}, {"f8e5m2", 1}};
const Choices kRedops = {"sum", "prod", "max", "min", "avg"};
// A range that would run more sizes than this is an input error, not hours of output (nccl-tests' own -i default
// of 1 MiB steps from 8 B to 8 GiB gives 8192 sizes).
constexpr std::size_t kMaxSizes = 4096;

bool reduces(const std::string& op) { return op == "all_reduce" || op == "reduce_scatter"; }

// nccl-tests' loop (src/common.cu): size = min; size <= max; size *= factor, or size += step when no factor.
std::vector<double> size_range(const ConfigNode& w) {
  const double lo = w.get_quantity("min_bytes", Dimension::data, 1, 1e15);
  const double hi = w.get_quantity_or("max_bytes", Dimension::data, lo, 1, 1e15);
  if (hi < lo) w.child("max_bytes").fail_value("a size >= min_bytes (" + std::to_string(static_cast<long long>(lo)) + " B)");
  if (w.has("step_factor") && w.has("step_bytes")) {
    w.child("step_bytes").fail("give step_factor (multiply) or step_bytes (add), not both");
  }
  const double factor = w.get_number_or("step_factor", 0, 1.0001, 1e6);
  const double step = factor > 0 ? 0 : w.get_quantity_or("step_bytes", Dimension::data, 1048576, 1, 1e15);
  std::vector<double> sizes;
  for (double size = lo; size <= hi; size = factor > 0 ? std::max(size + 1, std::floor(size * factor)) : size + step) {
    sizes.push_back(size);
    if (sizes.size() > kMaxSizes) {
      w.child(factor > 0 ? "step_factor" : (w.has("step_bytes") ? "step_bytes" : "max_bytes"))
          .fail("the range min_bytes..max_bytes gives more than " + std::to_string(kMaxSizes) +
                " sizes; use a larger step_factor or step_bytes");
    }
  }
  return sizes;
}

}  // namespace

wl::CollectiveWorkload parse_collective(const ConfigNode& w, const hw::ClusterSpec& cluster) {
  wl::CollectiveWorkload c;
  c.op = w.get_enum("op", {"all_reduce", "all_gather", "reduce_scatter", "all_to_all", "broadcast", "send_recv"});
  if (cluster.total_gpus() < 2) {  // one rank has no one to talk to: 0 s and 0 J is no answer
    w.fail("a collective needs at least 2 GPUs; the cluster has " + std::to_string(cluster.total_gpus()) +
           " (raise hardware.gpus or hardware.count)");
  }
  c.gpus = static_cast<int>(w.get_int_or("gpus", cluster.total_gpus(), 2, cluster.total_gpus()));
  if (c.op == "send_recv" && c.gpus != 2) {
    // A send/recv is between two ranks; nccl-tests' sendrecv_perf pairs every rank, which all_to_all covers.
    if (w.has("gpus")) w.child("gpus").fail_value("2 for send_recv (one sender, one receiver)");
    c.gpus = 2;
  }
  Choices dtypes;
  for (const auto& [name, size] : kDtypes) dtypes.emplace_back(name);
  c.dtype = w.get_enum_or("dtype", dtypes, "float");
  for (const auto& [name, size] : kDtypes) {
    if (c.dtype == name) c.element_bytes = size;
  }
  if (w.has("redop") && !reduces(c.op)) {
    w.child("redop").fail("redop applies to all_reduce and reduce_scatter; " + c.op + " does not reduce");
  }
  c.redop = reduces(c.op) ? w.get_enum_or("redop", kRedops, "sum") : "none";

  std::vector<double> requested;
  if (w.has("bytes") && w.has("min_bytes")) {
    w.child("min_bytes").fail("give the sizes as bytes (one or a list) or as min_bytes/max_bytes, not both");
  }
  const bool range = w.has("min_bytes");
  if (!range && (w.has("max_bytes") || w.has("step_factor") || w.has("step_bytes"))) {
    w.child("min_bytes");  // "missing required key" at workload.min_bytes
  }
  if (range) {
    requested = size_range(w);
  } else {
    const ConfigNode bytes = w.child("bytes");
    // A message is whole bytes: 1000.5 B would be truncated by the element alignment without a word.
    const auto whole_bytes = [](const ConfigNode& n) {
      const double v = n.as_quantity(Dimension::data, 1, 1e15);
      if (v != std::floor(v)) n.fail_value("a whole number of bytes");
      return v;
    };
    if (bytes.is_sequence()) {
      for (const ConfigNode& item : bytes.items()) requested.push_back(whole_bytes(item));
      if (requested.empty()) bytes.fail_value("at least one message size");
    } else {
      requested.push_back(whole_bytes(bytes));
    }
  }
  for (double r : requested) {
    const double aligned = wl::nccl_aligned_bytes(c.op, r, c.gpus, c.element_bytes);
    // nccl-tests runs a size below one element per rank as an empty collective; a list size must be runnable.
    if (aligned > 0) {
      c.bytes.push_back(aligned);
    } else if (!range) {
      w.child("bytes").fail_value("sizes of at least one " + c.dtype + " element per rank (" +
                                  std::to_string(c.element_bytes * (c.op == "all_reduce" ? 1 : c.gpus)) + " B here)");
    }
  }
  if (c.bytes.empty()) {
    (w.has("max_bytes") ? w.child("max_bytes") : w.child("min_bytes")).fail("no size in the range holds one " + c.dtype + " element per rank");
  }
  std::sort(c.bytes.begin(), c.bytes.end());
  c.bytes.erase(std::unique(c.bytes.begin(), c.bytes.end()), c.bytes.end());
  c.algorithm = w.get_enum_or("algorithm", {"auto", "ring", "tree", "nvls", "nvls_tree", "hierarchical"}, "auto");
  // 20 timed iterations per size: nccl-tests' default (-n 20).
  c.iterations = static_cast<int>(w.get_int_or("iterations", 20, 1, 1'000'000));
  w.finish();
  if (const auto why = wl::collective_plan_error(c, cluster)) {
    w.child("algorithm").fail_value("an algorithm that can run " + c.op + " on these " + std::to_string(c.gpus) +
                                    " GPUs, or auto", *why);
  }
  return c;
}

}  // namespace dcsim::app
