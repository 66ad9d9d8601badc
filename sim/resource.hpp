// A pool of identical servers handed out first come, first served.
//
//   co_await link.acquire();   // waits while all servers are busy
//   ... use it ...
//   link.release();
//
// FIFO is strict: release() hands the server straight to the longest waiter (no barging by a process that
// arrives at the same instant), and that waiter resumes through the event queue at the release time.
#pragma once

#include <coroutine>
#include <cstddef>
#include <deque>

#include "sim/simulator.hpp"
#include "sim/stats.hpp"

namespace dcsim::sim {

class FifoResource {
 public:
  FifoResource(Simulator& sim, int servers);
  FifoResource(const FifoResource&) = delete;
  FifoResource& operator=(const FifoResource&) = delete;

  struct AcquireAwaiter {
    FifoResource* res;
    bool await_ready() const { return res->try_acquire(); }
    void await_suspend(std::coroutine_handle<> h) const { res->enqueue(h); }
    void await_resume() const noexcept {}
  };
  AcquireAwaiter acquire() noexcept { return AcquireAwaiter{this}; }

  // Takes a server now if one is free and nobody is queued.
  bool try_acquire();
  // Gives a server back (std::logic_error if none is held).
  void release();

  int servers() const { return servers_; }
  int busy() const { return busy_; }
  std::size_t queue_length() const { return queue_.size(); }

  // Time-weighted mean of busy servers over [creation (or reset_stats), now], divided by servers: in [0, 1].
  double utilisation() const;
  double mean_busy() const { return busy_avg_.mean(sim_->now()); }
  // Time-weighted mean queue length over the same window.
  double mean_queue_length() const { return queue_avg_.mean(sim_->now()); }
  void reset_stats();

 private:
  Simulator* sim_;
  int servers_;
  int busy_ = 0;
  std::deque<std::coroutine_handle<>> queue_;
  TimeWeightedAverage busy_avg_;
  TimeWeightedAverage queue_avg_;

  void enqueue(std::coroutine_handle<> h);
};

}  // namespace dcsim::sim
