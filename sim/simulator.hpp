// The discrete-event simulator: one scheduling primitive taking any callable, returning a cancellable id.
//
// Order: events run in increasing (time, sequence number) order, where the sequence number counts schedule_at /
// schedule_in calls on this simulator. So events at equal times run in the order they were scheduled, and the same
// program gives the same event order on every machine (DESIGN.md §3).
//
// Design (measured in docs/performance.md):
//  * The queue is a calendar queue of 32-byte entries (time, seq << 26 | slot, fn, payload): see event_queue.hpp
//    (CalendarQueue). A callable that is trivially copyable and destructible and at most 8 bytes (a lambda capturing
//    one pointer, a coroutine resume) lives in the entry itself, so running an event reads only the queue's own,
//    sequential memory. Larger or non-trivial callables go to a slab of 64-byte slots (48 bytes inline storage,
//    larger ones on the heap), and the entry points at the slot.
//  * Each event holds a slot number (LIFO free list: the slot freed by an event is the next one allocated). A slot
//    has a 4-byte tag: live bit | 31-bit schedule counter while its event is pending, 0 otherwise. EventId is
//    (slot, tag). Popping an event only stores 0 to its tag; the tag is read on pop only while cancelled events are
//    still in the queue.
//  * cancel(id) is O(1): it clears the tag (the entry stays in the queue as a dead entry, dropped when it surfaces)
//    and destroys a slab callable at once (an in-entry callable is trivially destructible: nothing to destroy).
//    When dead entries outnumber live ones (and exceed 4096) the queue is compacted in O(n). So memory stays
//    proportional to live events: at most 2 * live + 4096 entries, and slots up to the high-water mark.
//  * Sequence numbers use 38 bits (2.7e11 schedules); on wrap the pending keys are renumbered in order, O(n log n)
//    once per 2.7e11 events, which keeps the order above intact. At most 2^26 (67 million) events may be pending.
//    A stale id could cancel a later event only if that event reuses its slot exactly a multiple of 2^31 schedules
//    later.
//
// Complexity: schedule and one event amortised O(1) (O(log n) in degenerate cases, see CalendarQueue), cancel O(1)
// amortised.
// Not thread-safe: one simulator per thread.
#pragma once

#include <coroutine>
#include <cstddef>
#include <cstdint>
#include <cstring>
#include <exception>
#include <memory>
#include <new>
#include <type_traits>
#include <utility>
#include <vector>

#include "sim/event_budget.hpp"
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
  alignas(kInlineCallbackAlign) unsigned char storage[kInlineCallbackSize];
};
static_assert(sizeof(Slot) == 64);

// Callables stored in the queue entry itself (8 bytes, copied bit for bit, nothing to destroy).
template <class Fn>
inline constexpr bool kInEntry = sizeof(Fn) <= sizeof(std::uint64_t) && alignof(Fn) <= alignof(std::uint64_t) &&
                                 std::is_trivially_copyable_v<Fn> && std::is_trivially_destructible_v<Fn>;

template <class Fn>
struct EntryOps {
  static void run(void*, std::uint64_t payload, std::uint32_t) {
    alignas(std::uint64_t) unsigned char buf[sizeof(std::uint64_t)];
    std::memcpy(buf, &payload, sizeof buf);
    (*std::launder(reinterpret_cast<Fn*>(buf)))();
  }
  template <class F>
  static std::uint64_t pack(F&& fn) {
    alignas(std::uint64_t) unsigned char buf[sizeof(std::uint64_t)] = {};
    ::new (static_cast<void*>(buf)) Fn(std::forward<F>(fn));
    std::uint64_t payload;
    std::memcpy(&payload, buf, sizeof payload);
    return payload;
  }
};

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
  // At most this many events run (sim/event_budget.hpp; set from the thread's EventBudgetScope at construction);
  // run(), run_until() and step() throw EventBudgetExceeded rather than execute one more.
  void set_event_limit(std::uint64_t limit) { event_limit_ = limit; }
  std::uint64_t event_limit() const { return event_limit_; }
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
  static constexpr std::uint64_t kSlotMask = kMaxPending - 1;
  static constexpr std::uint32_t kLive = 0x80000000u;
  static constexpr std::size_t kPrefetchAhead = 4;

  // The slab slot of slot number s (allocated on first use).
  detail::Slot& slab_ref(std::uint32_t s) {
    const std::size_t c = s >> kChunkBits;
    if (c >= chunks_.size() || !chunks_[c]) new_chunk(c);
    return chunks_[c][s & (kChunkSize - 1)];
  }
  void new_chunk(std::size_t c);

  std::uint32_t alloc_slot() {
    if (!free_.empty()) {
      const std::uint32_t s = free_.back();
      free_.pop_back();
      return s;
    }
    return new_slot();
  }
  std::uint32_t new_slot();
  void free_slot(std::uint32_t s) { free_.push_back(s); }  // never reallocates: capacity >= slot count

  Time add_delay(Time dt) const;
  [[noreturn]] void throw_past(Time t) const;
  void before_schedule(Time t) {
    if (t < now_) throw_past(t);
    if (seq_ >= kMaxSequence) renumber();
  }
  // Queues the entry for slot s (already allocated); on failure frees s and rethrows.
  EventId push_entry(Time t, detail::EntryFn fn, std::uint64_t payload, std::uint32_t s) {
    const std::uint32_t tag = kLive | (tag_counter_++ & ~kLive);
    try {
      queue_.push(detail::QueueKey{t, (seq_ << kSlotBits) | s, fn, payload});
    } catch (...) {
      free_slot(s);
      throw;
    }
    ++seq_;
    tags_[s] = tag;
    ++live_;
    return EventId{(std::uint64_t{s} << 32) | tag};
  }
  static void run_slab(void* self, std::uint64_t payload, std::uint32_t s);
  static void run_resume(void* self, std::uint64_t payload, std::uint32_t s);
  void renumber();
  void compact();
  bool drop_dead_top();  // pops cancelled entries at the top; false when the queue is empty
  void run_top();        // runs the (live) event at the top

  detail::CalendarQueue queue_;
  std::vector<std::uint32_t> tags_;  // per slot: kLive | counter while pending, 0 otherwise
  std::vector<std::uint32_t> free_;  // free slot numbers, LIFO
  std::vector<std::unique_ptr<detail::Slot[]>> chunks_;  // slab for callables not stored in entries
  std::uint32_t tag_counter_ = 0;
  Time now_ = 0;
  std::uint64_t seq_ = 0;
  std::uint64_t executed_ = 0;
  std::uint64_t event_limit_ = current_event_budget();
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
  before_schedule(t);
  if constexpr (detail::kInEntry<Fn>) {
    const std::uint64_t payload = detail::EntryOps<Fn>::pack(std::forward<F>(fn));
    return push_entry(t, &detail::EntryOps<Fn>::run, payload, alloc_slot());
  } else {
    const std::uint32_t s = alloc_slot();
    detail::Slot* slot = nullptr;
    try {
      slot = &slab_ref(s);
      if constexpr (detail::kFitsInline<Fn>) {
        ::new (static_cast<void*>(slot->storage)) Fn(std::forward<F>(fn));
        slot->ops = &detail::InlineOps<Fn>::ops;
      } else {
        Fn* heap_fn = new Fn(std::forward<F>(fn));
        ::new (static_cast<void*>(slot->storage)) Fn*(heap_fn);
        slot->ops = &detail::HeapOps<Fn>::ops;
      }
    } catch (...) {
      free_slot(s);
      throw;
    }
    try {
      return push_entry(t, &Simulator::run_slab, reinterpret_cast<std::uint64_t>(slot), s);
    } catch (...) {
      const detail::CallbackOps* ops = std::exchange(slot->ops, nullptr);
      ops->destroy(slot->storage);
      throw;
    }
  }
}

inline void Simulator::run_top() {
  if (executed_ >= event_limit_) [[unlikely]]
    throw EventBudgetExceeded(event_limit_, queue_.top().time);
  const detail::QueueKey e = queue_.take();
  const auto s = static_cast<std::uint32_t>(e.order & kSlotMask);
  if (const detail::QueueKey* ahead = queue_.peek_ahead(kPrefetchAhead)) {
    // The event kPrefetchAhead places on: its callable's object (a coroutine frame, a slab slot, the object a
    // lambda captured; a harmless no-op for other payloads) and its tag's line.
    __builtin_prefetch(reinterpret_cast<const void*>(ahead->payload));
    __builtin_prefetch(&tags_[static_cast<std::size_t>(ahead->order & kSlotMask)], 1);
  }
  tags_[s] = 0;
  now_ = e.time;
  --live_;
  ++executed_;
  fingerprint_ = (fingerprint_ ^ static_cast<std::uint64_t>(e.time)) * 0x100000001b3ull;
  // An in-entry callable is a copy on this stack: its slot can be reused at once. A slab callable frees its slot
  // after it ran (run_slab).
  if (e.fn != &Simulator::run_slab) free_slot(s);
  e.fn(this, e.payload, s);
}

inline bool Simulator::drop_dead_top() {
  while (!queue_.empty()) {
    if (cancelled_ == 0) return true;
    const auto s = static_cast<std::uint32_t>(queue_.top().order & kSlotMask);
    if (tags_[s] != 0) return true;
    queue_.pop();
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

inline void Simulator::run_resume(void* self, std::uint64_t payload, std::uint32_t) {
  std::coroutine_handle<>::from_address(reinterpret_cast<void*>(payload)).resume();
  static_cast<Simulator*>(self)->rethrow_failure();
}

inline void Simulator::resume_at(Time t, std::coroutine_handle<> h) {
  before_schedule(t);
  push_entry(t, &Simulator::run_resume, reinterpret_cast<std::uint64_t>(h.address()), alloc_slot());
}

inline void Simulator::DelayAwaiter::await_suspend(std::coroutine_handle<> h) const { sim->resume_at(when, h); }

}  // namespace dcsim::sim
