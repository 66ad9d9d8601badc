#include "workloads/serving/kv_transfer.hpp"

#include <algorithm>
#include <array>

namespace dcsim::wl::serving {

int KvTransfer::start(const std::vector<int>& src, const std::vector<int>& dst, double bytes, bool cross,
                      const std::function<void()>& on_pair_done) {
  const int pairs = static_cast<int>(std::min(src.size(), dst.size()));
  const double each = bytes / pairs;
  bytes_ += bytes;
  for (int i = 0; i < pairs; ++i) {
    const int s = src[static_cast<std::size_t>(i)], d = dst[static_cast<std::size_t>(i)];
    if (cross) {
      sim_.schedule_in(sim::from_seconds(cross_lat_ + each / cross_bw_), on_pair_done);
    } else if (net_ != nullptr) {
      net_->start_flow(s, d, each, on_pair_done, static_cast<std::uint64_t>(s) * 1000003u + static_cast<std::uint64_t>(d));
    } else {
      const std::array<int, 2> group{s, d};
      sim_.schedule_in(sim::from_seconds(coll_->estimate(hw::CollectiveOp::send_recv, group, each).time),
                       on_pair_done);
    }
  }
  return pairs;
}

}  // namespace dcsim::wl::serving
