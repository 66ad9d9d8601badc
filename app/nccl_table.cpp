#include "app/nccl_table.hpp"

#include <cstdio>
#include <sstream>

namespace dcsim::app {
namespace {

// nccl-tests' time column: fewer decimals as the time grows (src/common.cu, writeBenchResult).
std::string time_column(double us) {
  char buf[32];
  std::snprintf(buf, sizeof buf, us >= 10000.0 ? "%7.0f" : us >= 100.0 ? "%7.1f" : "%7.2f", us);
  return buf;
}

}  // namespace

std::string format_nccl_tests(const wl::CollectiveWorkload& w, const wl::RunResult& result) {
  std::ostringstream out;
  const int root = w.op == "broadcast" ? 0 : -1;
  out << "# dcsim " << w.op << ": nranks " << w.gpus << " dtype " << w.dtype << " iters " << w.iterations << '\n'
      << "#\n"
      << "#                                                              out-of-place                       in-place\n"
      << "#       size         count      type   redop    root     time   algbw   busbw #wrong     time   algbw   "
         "busbw #wrong\n"
      << "#        (B)    (elements)                               (us)  (GB/s)  (GB/s)            (us)  (GB/s)  "
         "(GB/s)\n";
  double busbw_sum = 0;
  for (double bytes : w.bytes) {
    const std::string key = "by_size." + std::to_string(static_cast<long long>(bytes)) + ".";
    const double us = result.metrics.at(key + "time_s") * 1e6;
    const double algbw = result.metrics.at(key + "algbw_gbs");
    const double busbw = result.metrics.at(key + "busbw_gbs");
    busbw_sum += busbw;
    char row[256];
    std::snprintf(row, sizeof row, "%12lld  %12lld  %8s  %6s  %6d", static_cast<long long>(bytes),
                  static_cast<long long>(wl::nccl_count(w.op, bytes, w.gpus, w.element_bytes)), w.dtype.c_str(),
                  w.redop.c_str(), root);
    out << row;
    for (int column = 0; column < 2; ++column) {
      std::snprintf(row, sizeof row, "  %7s  %6.2f  %6.2f  %5s", time_column(us).c_str(), algbw, busbw, "N/A");
      out << row;
    }
    out << '\n';
  }
  char avg[64];
  std::snprintf(avg, sizeof avg, "%g", busbw_sum / static_cast<double>(w.bytes.size()));
  out << "# Out of bounds values : 0 OK\n# Avg bus bandwidth    : " << avg << " \n#\n";
  return out.str();
}

}  // namespace dcsim::app
