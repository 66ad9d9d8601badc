// The discrete-event simulator: one scheduling primitive taking any callable, returning a cancellable id.
//
// Order: events run in increasing (time, sequence number) order, where the sequence number counts schedule_at /
// schedule_in calls on this simulator. So events at equal times run in the order they were scheduled, and the same
// program gives the same event order on every machine (DESIGN.md §3).
//
// Design (measured in docs/performance.md):
//  * The queue is a two-tier calendar queue of 16-byte keys (time, seq << 26 | slot) whose near tier is a small
//    4-ary heap: see event_queue.hpp (CalendarQueue) and docs/performance.md for why.
//  * Callbacks live in a slab of 64-byte slots (chunks of 4096 that never move), each with 48 bytes of inline storage
//    for the callable (larger callables go to the heap, once per event). Freed slots go on a LIFO free list, so a
//    hold-like workload keeps reusing a handful of hot slots. No std::function, no allocation per event in the
//    steady state.
//  * cancel(id) is O(1): it destroys the callable at once and leaves a dead key in the heap, dropped when it reaches
//    the top; when dead keys outnumber live ones (and exceed 4096) the heap is compacted in O(n). So memory stays
//    proportional to live events: at most 2 * live + 4096 keys, and slots up to the high-water mark of live events.
//  * Sequence numbers use 38 bits (2.7e11 schedules); on wrap the pending keys are renumbered in order, O(n log n)
//    once per 2.7e11 events, which keeps the order above intact. At most 2^26 (67 million) events may be pending.
//
// Complexity: schedule and one event amortised O(1) (plus O(log k) in a heap of about 16 keys; O(log n) when all
// pending events share a time), cancel O(1) amortised.
// Not thread-safe: one simulator per thread.
#pragma once

#include <coroutine>
#include <cstddef>
#include <cstdint>
#include <exception>
#include <memory>
#include <new>
#include <type_traits>
#include <utility>
#include <vector>

#include "sim/event_queue.hpp"
#include "sim/time.hpp"

namespace dcsim::sim {

class Process;
class ProcessHandle;

// Identifies one scheduled event. A default-constructed id is invalid (cancel returns false).
// Ids are (slot, generation); a slot's generation changes when its event runs or is cancelled, so stale ids are
// recognised (a generation repeats only after 2^32 reuses of one slot).
struct EventId {
  std::uint64_t value = 0;
  bool valid() const { return value != 0; }
  friend bool operator==(EventId, EventId) = default;
};

namespace detail {

struct ProcessNode;  // process.hpp

struct CallbackOps {
  void (*run_and_destroy)(void* storage);  // runs the callable, then destroys it (also when it throws)
  void (*destroy)(void* storage) noexcept;
};

inline constexpr std::size_t kInlineCallbackSize = 48;
inline constexpr std::size_t kInlineCallbackAlign = 16;

template <class Fn>
inline constexpr bool kFitsInline = sizeof(Fn) <= kInlineCallbackSize && alignof(Fn) <= kInlineCallbackAlign;

template <class Fn>
struct InlineOps {
  static void run_and_destroy(void* p) {
    Fn* f = std::launder(static_cast<Fn*>(p));
    struct Guard {
      Fn* f;
      ~Guard() { f->~Fn(); }
    } guard{f};
    (*f)();
  }
  static void destroy(void* p) noexcept { std::launder(static_cast<Fn*>(p))->~Fn(); }
  static constexpr CallbackOps ops{&run_and_destroy, &destroy};
};

template <class Fn>
struct HeapOps {
  static void run_and_destroy(void* p) {
    std::unique_ptr<Fn> f(*std::launder(static_cast<Fn**>(p)));
    (*f)();
  }
  static void destroy(void* p) noexcept { delete *std::launder(static_cast<Fn**>(p)); }
  static constexpr CallbackOps ops{&run_and_destroy, &destroy};
};

struct alignas(64) Slot {
  const CallbackOps* ops = nullptr;  // null: free, cancelled or running
  std::uint32_t generation = 1;
  std::uint32_t next_free = 0;
  alignas(kInlineCallbackAlign) unsigned char storage[kInlineCallbackSize];
};
static_assert(sizeof(Slot) == 64);

}  // namespace detail

class Simulator {
 public:
  Simulator();
  Simulator(const Simulator&) = delete;
  Simulator& operator=(const Simulator&) = delete;
  // Destroys pending callbacks without running them and the frames of unfinished processes.
  ~Simulator();

  Time now() const { return now_; }

  // Schedules fn() at absolute time t >= now(). fn: any callable void(), move-only allowed.
  // Throws std::logic_error when t < now().
  template <class F>
  EventId schedule_at(Time t, F&& fn);

  // Schedules fn() at now() + dt, dt >= 0 (std::logic_error otherwise, or std::overflow_error past kTimeMax).
  template <class F>
  EventId schedule_in(Time dt, F&& fn) {
    return schedule_at(add_delay(dt), std::forward<F>(fn));
  }

  // Cancels a pending event: its callable is destroyed now and never runs. Returns false (and does nothing) for
  // an event that already ran, is running, was cancelled, or an id this simulator never issued. O(1) amortised.
  bool cancel(EventId id);

  // Runs events until none is pending or stop() is called. An exception thrown by an event (or by a process,
  // see process.hpp) propagates out of run(); the simulator stays consistent and run() may be called again.
  void run();
  // Runs every event with time <= t, then advances now() to t (unless stopped first). Throws if t < now().
  void run_until(Time t);
  // Runs the next pending event, if any. Returns false when none was pending.
  bool step();
  // Makes run()/run_until() return after the current event. The next run() clears it.
  void stop() { stopped_ = true; }

  std::uint64_t events_executed() const { return executed_; }
  std::size_t pending() const { return live_; }  // scheduled, not yet run, not cancelled
  // Time of the next live event, or kTimeMax when none is pending.
  Time next_event_time();

  // A running 64-bit hash of executed event times, in execution order (h = (h xor time) * 0x100000001b3, starting
  // from 0xcbf29ce484222325, the FNV-1a constants applied per 64-bit word): a cheap fingerprint of the event sequence for catching unintended behaviour changes (cf. OMNeT++). Deterministic.
  std::uint64_t fingerprint() const { return fingerprint_; }

  // --- processes (process.hpp) -------------------------------------------------------------------------------
  struct DelayAwaiter {
    Simulator* sim;
    Time when;
    bool await_ready() const noexcept { return false; }
    void await_suspend(std::coroutine_handle<> h) const;
    void await_resume() const noexcept {}
  };
  // co_await sim.delay(dt): resumes the process at now() + dt (through the queue, also for dt == 0).
  DelayAwaiter delay(Time dt) { return DelayAwaiter{this, add_delay(dt)}; }
  // co_await sim.delay_until(t): resumes at absolute time t >= now().
  DelayAwaiter delay_until(Time t);

  // Starts a process at now() (its first step runs as an event, in scheduling order). Defined in process.hpp.
  ProcessHandle spawn(Process p);

  // Schedules h.resume() at time t; an exception escaping a process surfaces from that event.
  void resume_at(Time t, std::coroutine_handle<> h);

  // --- internals used by process.hpp -------------------------------------------------------------------------
  detail::ProcessNode*& process_list_head() { return processes_; }
  void report_failure(std::exception_ptr e) {
    if (!failure_) failure_ = std::move(e);
  }
  void rethrow_failure() {
    if (failure_) std::rethrow_exception(std::exchange(failure_, nullptr));
  }

  // Exposed for tests of sequence-number renumbering: sets the next sequence number.
  void set_next_sequence_for_testing(std::uint64_t seq) { seq_ = seq; }

  static constexpr unsigned kSlotBits = 26;
  static constexpr std::uint64_t kMaxPending = std::uint64_t{1} << kSlotBits;
  static constexpr std::uint64_t kMaxSequence = std::uint64_t{1} << (64 - kSlotBits);

 private:
  static constexpr std::uint32_t kChunkBits = 12;
  static constexpr std::uint32_t kChunkSize = 1u << kChunkBits;
  static constexpr std::uint32_t kNoSlot = 0xffffffffu;
  static constexpr std::uint64_t kSlotMask = kMaxPending - 1;

  detail::Slot& slot_ref(std::uint32_t s) { return chunks_[s >> kChunkBits][s & (kChunkSize - 1)]; }

  std::uint32_t alloc_slot() {
    if (free_head_ != kNoSlot) {
      const std::uint32_t s = free_head_;
      free_head_ = slot_ref(s).next_free;
      return s;
    }
    return new_slot();
  }
  std::uint32_t new_slot();
  void free_slot(std::uint32_t s) {
    slot_ref(s).next_free = free_head_;
    free_head_ = s;
  }
  static void retire(detail::Slot& slot) {
    slot.ops = nullptr;
    if (++slot.generation == 0) slot.generation = 1;
  }

  Time add_delay(Time dt) const;
  [[noreturn]] void throw_past(Time t) const;
  void push_key(Time t, std::uint32_t slot) {
    if (seq_ >= kMaxSequence) renumber();
    heap_.push(detail::QueueKey{t, (seq_++ << kSlotBits) | slot});
    ++live_;
  }
  void renumber();
  void compact();
  static void prefetch_slots(void* self, const detail::QueueKey* keys, std::size_t n);
  bool drop_dead_top();  // pops cancelled keys at the top; false when the queue is empty
  void run_top();        // runs the (live) event at the top

  detail::CalendarQueue heap_;
  std::vector<std::unique_ptr<detail::Slot[]>> chunks_;
  std::uint32_t free_head_ = kNoSlot;
  std::uint32_t slot_count_ = 0;
  Time now_ = 0;
  std::uint64_t seq_ = 0;
  std::uint64_t executed_ = 0;
  std::size_t live_ = 0;
  std::size_t cancelled_ = 0;
  std::uint64_t fingerprint_ = 0xcbf29ce484222325ull;
  bool stopped_ = false;
  detail::ProcessNode* processes_ = nullptr;
  std::exception_ptr failure_;
};

template <class F>
EventId Simulator::schedule_at(Time t, F&& fn) {
  using Fn = std::decay_t<F>;
  static_assert(std::is_invocable_r_v<void, Fn&>, "schedule_at needs a callable void()");
  if (t < now_) throw_past(t);
  const std::uint32_t s = alloc_slot();
  detail::Slot& slot = slot_ref(s);
  if constexpr (detail::kFitsInline<Fn>) {
    if constexpr (std::is_nothrow_constructible_v<Fn, F&&>) {
      ::new (static_cast<void*>(slot.storage)) Fn(std::forward<F>(fn));
    } else {
      try {
        ::new (static_cast<void*>(slot.storage)) Fn(std::forward<F>(fn));
      } catch (...) {
        free_slot(s);
        throw;
      }
    }
    slot.ops = &detail::InlineOps<Fn>::ops;
  } else {
    Fn* heap_fn = nullptr;
    try {
      heap_fn = new Fn(std::forward<F>(fn));
    } catch (...) {
      free_slot(s);
      throw;
    }
    ::new (static_cast<void*>(slot.storage)) Fn*(heap_fn);
    slot.ops = &detail::HeapOps<Fn>::ops;
  }
  push_key(t, s);
  return EventId{(std::uint64_t{s} << 32) | slot.generation};
}

inline void Simulator::run_top() {
  const detail::QueueKey k = heap_.top();
  heap_.pop();
  const auto s = static_cast<std::uint32_t>(k.order & kSlotMask);
  detail::Slot& slot = slot_ref(s);
  if (!heap_.empty()) {
    const auto next = static_cast<std::uint32_t>(heap_.top().order & kSlotMask);
    __builtin_prefetch(&slot_ref(next));
  }
  now_ = k.time;
  --live_;
  ++executed_;
  fingerprint_ = (fingerprint_ ^ static_cast<std::uint64_t>(k.time)) * 0x100000001b3ull;
  const detail::CallbackOps* ops = slot.ops;
  retire(slot);
  try {
    ops->run_and_destroy(slot.storage);
  } catch (...) {
    free_slot(s);
    throw;
  }
  free_slot(s);
}

inline bool Simulator::drop_dead_top() {
  while (!heap_.empty()) {
    const auto s = static_cast<std::uint32_t>(heap_.top().order & kSlotMask);
    if (slot_ref(s).ops != nullptr) return true;
    heap_.pop();
    free_slot(s);
    --cancelled_;
  }
  return false;
}

inline bool Simulator::step() {
  if (!drop_dead_top()) return false;
  run_top();
  return true;
}

inline void Simulator::run() {
  stopped_ = false;
  while (!stopped_ && drop_dead_top()) run_top();
}

inline void Simulator::resume_at(Time t, std::coroutine_handle<> h) {
  schedule_at(t, [this, h] {
    h.resume();
    rethrow_failure();
  });
}

inline void Simulator::DelayAwaiter::await_suspend(std::coroutine_handle<> h) const { sim->resume_at(when, h); }

}  // namespace dcsim::sim
