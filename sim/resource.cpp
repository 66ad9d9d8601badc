#include "sim/resource.hpp"

#include <stdexcept>
#include <string>

namespace dcsim::sim {

FifoResource::FifoResource(Simulator& sim, int servers)
    : sim_(&sim), servers_(servers), busy_avg_(sim.now(), 0.0), queue_avg_(sim.now(), 0.0) {
  if (servers < 1) throw std::invalid_argument("FifoResource: servers must be >= 1, got " + std::to_string(servers));
}

bool FifoResource::try_acquire() {
  if (busy_ >= servers_ || !queue_.empty()) {
    return false;
  }
  ++busy_;
  busy_avg_.set(sim_->now(), busy_);
  return true;
}

void FifoResource::enqueue(std::coroutine_handle<> h) {
  queue_.push_back(h);
  queue_avg_.set(sim_->now(), static_cast<double>(queue_.size()));
}

void FifoResource::release() {
  if (busy_ <= 0) throw std::logic_error("FifoResource: release without acquire");
  if (queue_.empty()) {
    --busy_;
    busy_avg_.set(sim_->now(), busy_);
    return;
  }
  const std::coroutine_handle<> next = queue_.front();
  queue_.pop_front();
  queue_avg_.set(sim_->now(), static_cast<double>(queue_.size()));
  sim_->resume_at(sim_->now(), next);  // the server passes to `next`: busy_ unchanged
}

double FifoResource::utilisation() const { return busy_avg_.mean(sim_->now()) / servers_; }

void FifoResource::reset_stats() {
  busy_avg_.reset(sim_->now());
  queue_avg_.reset(sim_->now());
}

}  // namespace dcsim::sim
