#include "app/collective_scenario.hpp"

#include <algorithm>
#include <cmath>
#include <string>
#include <utility>

#include "app/schema/scenario_keys.hpp"

namespace dcsim::app {
namespace {

using schema::Bounds;
using schema::Reader;
// A range that would run more sizes than this is an input error, not hours of output (nccl-tests' own -i default
// of 1 MiB steps from 8 B to 8 GiB gives 8192 sizes).
constexpr std::size_t kMaxSizes = 4096;

bool reduces(const std::string& op) { return op == "all_reduce" || op == "reduce_scatter"; }

// nccl-tests' loop (src/common.cu): size = min; size <= max; size *= factor, or size += step when no factor.
std::vector<double> size_range(const Reader& w) {
  const double lo = *w.quantity_if("min_bytes");
  const double hi = w.quantity_if("max_bytes").value_or(lo);
  if (hi < lo) w.at("max_bytes").fail_value("a size >= min_bytes (" + std::to_string(static_cast<long long>(lo)) + " B)");
  if (w.has("step_factor") && w.has("step_bytes")) {
    w.at("step_bytes").fail("give step_factor (multiply) or step_bytes (add), not both");
  }
  const double factor = w.number_if("step_factor").value_or(0);
  const double step = factor > 0 ? 0 : w.quantity_if("step_bytes").value_or(1048576);
  std::vector<double> sizes;
  for (double size = lo; size <= hi; size = factor > 0 ? std::max(size + 1, std::floor(size * factor)) : size + step) {
    sizes.push_back(size);
    if (sizes.size() > kMaxSizes) {
      w.at(factor > 0 ? "step_factor" : (w.has("step_bytes") ? "step_bytes" : "max_bytes"))
          .fail("the range min_bytes..max_bytes gives more than " + std::to_string(kMaxSizes) +
                " sizes; use a larger step_factor or step_bytes");
    }
  }
  return sizes;
}

}  // namespace

wl::CollectiveWorkload parse_collective(const Reader& w, const hw::ClusterSpec& cluster) {
  wl::CollectiveWorkload c;
  c.op = w.choice("op");
  if (cluster.total_gpus() < 2) {  // one rank has no one to talk to: 0 s and 0 J is no answer
    w.fail("a collective needs at least 2 GPUs; the cluster has " + std::to_string(cluster.total_gpus()) +
           " (raise hardware.gpus or hardware.count)");
  }
  const double all = cluster.total_gpus();
  c.gpus = static_cast<int>(w.integer_if("gpus", Bounds{2, all}).value_or(cluster.total_gpus()));
  if (c.op == "send_recv" && c.gpus != 2) {
    // A send/recv is between two ranks; nccl-tests' sendrecv_perf pairs every rank, which all_to_all covers.
    if (w.has("gpus")) w.at("gpus").fail_value("2 for send_recv (one sender, one receiver)");
    c.gpus = 2;
  }
  c.dtype = w.choice("dtype");
  for (const auto& [name, size] : schema::collective_dtypes()) {
    if (c.dtype == name) c.element_bytes = size;
  }
  if (w.has("redop") && !reduces(c.op)) {
    w.at("redop").fail("redop applies to all_reduce and reduce_scatter; " + c.op + " does not reduce");
  }
  c.redop = reduces(c.op) ? w.choice("redop") : "none";

  std::vector<double> requested;
  if (w.has("bytes") && w.has("min_bytes")) {
    w.at("min_bytes").fail("give the sizes as bytes (one or a list) or as min_bytes/max_bytes, not both");
  }
  const bool range = w.has("min_bytes");
  if (!range && (w.has("max_bytes") || w.has("step_factor") || w.has("step_bytes"))) {
    (void)w.at("min_bytes");  // "missing required key" at workload.min_bytes
  }
  if (range) {
    requested = size_range(w);
  } else {
    const schema::Value bytes = w.value("bytes");
    // A message is whole bytes: 1000.5 B would be truncated by the element alignment without a word.
    const auto whole_bytes = [](const schema::Value& n) {
      const double v = n.quantity();
      if (v != std::floor(v)) n.node().fail_value("a whole number of bytes");
      return v;
    };
    if (bytes.is_list()) {
      for (const schema::Value& item : bytes.items()) requested.push_back(whole_bytes(item));
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
      w.at("bytes").fail_value("sizes of at least one " + c.dtype + " element per rank (" +
                                  std::to_string(c.element_bytes * (c.op == "all_reduce" ? 1 : c.gpus)) + " B here)");
    }
  }
  if (c.bytes.empty()) {
    (w.has("max_bytes") ? w.at("max_bytes") : w.at("min_bytes")).fail("no size in the range holds one " + c.dtype + " element per rank");
  }
  std::sort(c.bytes.begin(), c.bytes.end());
  c.bytes.erase(std::unique(c.bytes.begin(), c.bytes.end()), c.bytes.end());
  c.algorithm = w.choice("algorithm");
  // 20 timed iterations per size: nccl-tests' default (-n 20).
  c.iterations = static_cast<int>(w.integer("iterations"));
  w.finish();
  if (const auto why = wl::collective_plan_error(c, cluster)) {
    w.at("algorithm").fail_value("an algorithm that can run " + c.op + " on these " + std::to_string(c.gpus) +
                                    " GPUs, or auto", *why);
  }
  return c;
}

}  // namespace dcsim::app
