// Processes: workload logic written top to bottom as C++20 coroutines.
//
//   sim::Process worker(sim::Simulator& s, sim::FifoResource& gpu) {
//     co_await gpu.acquire();
//     co_await s.delay(5 * sim::kMicrosecond);
//     gpu.release();
//   }
//   sim::ProcessHandle h = s.spawn(worker(s, gpu));   // starts at s.now(), as an event
//   ... inside another process: co_await h;           // join; immediate if already finished
//
// Rules:
//  * A Process is lazy: nothing runs until it is spawned, or co_awaited from another process (spawn + join).
//  * Every resumption goes through the event queue at the current time, in FIFO order of the wake-ups, so
//    processes interleave deterministically by (time, sequence number) like any other event.
//  * An exception escaping a process is rethrown in every process joining it (co_await handle); if no process is
//    waiting on it when it fails, it propagates out of Simulator::run(). It is never swallowed.
//  * A frame is freed when the process finishes and no ProcessHandle refers to it; the simulator's destructor
//    frees the frames of processes that never finished.
//  * Only Process coroutines may co_await these awaitables (they need the process's simulator).
#pragma once

#include <coroutine>
#include <cstddef>
#include <cstdint>
#include <deque>
#include <exception>
#include <memory>
#include <utility>
#include <vector>

#include "sim/simulator.hpp"

namespace dcsim::sim {

namespace detail {

// Book-keeping shared by a process's frame and its handles; lives in the coroutine promise.
struct ProcessNode {
  ProcessNode* prev = nullptr;  // in the simulator's list of unfinished processes
  ProcessNode* next = nullptr;
  Simulator* sim = nullptr;
  std::coroutine_handle<> frame;
  std::uint32_t refs = 0;  // handles + 1 while spawned and unfinished
  bool spawned = false;
  bool running = false;
  bool done = false;
  std::exception_ptr error;
  std::vector<std::coroutine_handle<>> joiners;

  void link();
  void unlink();
  void release();  // drops one reference; destroys the frame at zero
};

}  // namespace detail

class ProcessHandle;

class Process {
 public:
  struct promise_type : detail::ProcessNode {
    Process get_return_object() {
      frame = std::coroutine_handle<promise_type>::from_promise(*this);
      refs = 1;
      return Process(this);
    }
    std::suspend_always initial_suspend() noexcept { return {}; }
    struct FinalAwaiter {
      bool await_ready() const noexcept { return false; }
      void await_suspend(std::coroutine_handle<promise_type> h) noexcept;
      void await_resume() const noexcept {}
    };
    FinalAwaiter final_suspend() noexcept { return {}; }
    void return_void() noexcept {}
    void unhandled_exception() noexcept { error = std::current_exception(); }
  };

  Process() = default;
  Process(Process&& o) noexcept : node_(std::exchange(o.node_, nullptr)) {}
  Process& operator=(Process&& o) noexcept {
    if (this != &o) {
      reset();
      node_ = std::exchange(o.node_, nullptr);
    }
    return *this;
  }
  Process(const Process&) = delete;
  Process& operator=(const Process&) = delete;
  ~Process() { reset(); }

  bool valid() const { return node_ != nullptr; }

  // co_await child(...): spawns the child on the awaiting process's simulator and joins it.
  struct JoinNewAwaiter;
  JoinNewAwaiter operator co_await() &&;

 private:
  friend class Simulator;
  explicit Process(detail::ProcessNode* n) : node_(n) {}
  void reset() {
    if (node_ != nullptr) std::exchange(node_, nullptr)->release();
  }
  detail::ProcessNode* node_ = nullptr;
};

// Shared, copyable reference to a spawned process: join it, ask whether it finished.
class ProcessHandle {
 public:
  ProcessHandle() = default;
  ProcessHandle(const ProcessHandle& o) : node_(o.node_) {
    if (node_ != nullptr) ++node_->refs;
  }
  ProcessHandle(ProcessHandle&& o) noexcept : node_(std::exchange(o.node_, nullptr)) {}
  ProcessHandle& operator=(ProcessHandle o) noexcept {
    std::swap(node_, o.node_);
    return *this;
  }
  ~ProcessHandle() {
    if (node_ != nullptr) node_->release();
  }

  bool valid() const { return node_ != nullptr; }
  bool done() const { return node_ != nullptr && node_->done; }
  bool failed() const { return done() && node_->error != nullptr; }

  struct JoinAwaiter {
    detail::ProcessNode* node;
    bool await_ready() const noexcept { return node == nullptr || node->done; }
    void await_suspend(std::coroutine_handle<> h) const { node->joiners.push_back(h); }
    void await_resume() const {
      if (node != nullptr && node->error) std::rethrow_exception(node->error);
    }
  };
  // Join: resumes when the process finishes (at once if it has). Rethrows its exception.
  JoinAwaiter operator co_await() const noexcept { return JoinAwaiter{node_}; }

  detail::ProcessNode* node() const { return node_; }  // internal

 private:
  friend class Simulator;
  explicit ProcessHandle(detail::ProcessNode* n) : node_(n) {}  // adopts one reference
  detail::ProcessNode* node_ = nullptr;
};

struct Process::JoinNewAwaiter {
  Process child;
  ProcessHandle handle;
  bool await_ready() const noexcept { return false; }
  void await_suspend(std::coroutine_handle<Process::promise_type> h) {
    handle = h.promise().sim->spawn(std::move(child));
    handle.node()->joiners.push_back(h);
  }
  void await_resume() const { handle.operator co_await().await_resume(); }
};

inline Process::JoinNewAwaiter Process::operator co_await() && { return JoinNewAwaiter{std::move(*this), {}}; }

// co_await current_simulator(): the simulator running the awaiting process (never suspends).
struct CurrentSimulatorAwaiter {
  Simulator* sim = nullptr;
  bool await_ready() const noexcept { return false; }
  bool await_suspend(std::coroutine_handle<Process::promise_type> h) noexcept {
    sim = h.promise().sim;
    return false;
  }
  Simulator& await_resume() const noexcept { return *sim; }
};
inline CurrentSimulatorAwaiter current_simulator() { return {}; }

// Finishes when every child has finished: at the latest child's finish time. Children start at once.
Process all_of(std::vector<Process> children);
Process all_of(std::vector<ProcessHandle> children);
// Finishes when the first child finishes: at the earliest finish time. The other children keep running.
Process any_of(std::vector<Process> children);
Process any_of(std::vector<ProcessHandle> children);

// A one-shot event: processes co_await it until trigger(); afterwards co_await returns at once.
// Waiters resume at the trigger time, through the queue, in the order they started waiting.
class Event {
 public:
  explicit Event(Simulator& sim) : sim_(&sim) {}
  Event(const Event&) = delete;
  Event& operator=(const Event&) = delete;

  // Throws std::logic_error when already triggered.
  void trigger();
  bool triggered() const { return triggered_; }
  Time trigger_time() const { return when_; }  // valid once triggered
  std::size_t waiting() const { return waiters_.size(); }

  struct Awaiter {
    Event* ev;
    bool await_ready() const noexcept { return ev->triggered_; }
    void await_suspend(std::coroutine_handle<> h) const { ev->waiters_.push_back(h); }
    void await_resume() const noexcept {}
  };
  Awaiter operator co_await() noexcept { return Awaiter{this}; }

 private:
  Simulator* sim_;
  bool triggered_ = false;
  Time when_ = 0;
  std::vector<std::coroutine_handle<>> waiters_;
};

// A reusable wake-up: co_await sig.wait() always suspends until the next notify. Use in a loop that re-checks its
// condition ("while (!cache.has_room(n)) co_await room.wait();"). Waiters resume in FIFO order through the queue.
class Signal {
 public:
  explicit Signal(Simulator& sim) : sim_(&sim) {}
  Signal(const Signal&) = delete;
  Signal& operator=(const Signal&) = delete;

  struct Awaiter {
    Signal* sig;
    bool await_ready() const noexcept { return false; }
    void await_suspend(std::coroutine_handle<> h) const { sig->waiters_.push_back(h); }
    void await_resume() const noexcept {}
  };
  Awaiter wait() noexcept { return Awaiter{this}; }

  void notify_one();  // wakes the longest waiter, if any
  void notify_all();  // wakes everyone waiting now (not those who start waiting during the wake-ups)
  std::size_t waiting() const { return waiters_.size(); }

 private:
  Simulator* sim_;
  std::deque<std::coroutine_handle<>> waiters_;
};

}  // namespace dcsim::sim
