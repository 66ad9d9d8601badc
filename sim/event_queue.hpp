// The priority queue under Simulator: a 4-ary min-heap of 16-byte keys (time, order).
//
// Keys hold no callbacks: the simulator keeps those in a slab (simulator.hpp) and `order` carries the slab slot in
// its low bits, so the heap moves only 16 bytes per level and four children share one 64-byte cache line (the root
// sits at offset 3 of a 64-byte aligned buffer so that every group of siblings starts on a line).
// Complexity: push O(log4 n) (usually O(1) for hold-like workloads: new keys land near the leaves), pop O(log4 n)
// using Floyd's bottom-up deletion (the hole goes to a leaf, the last key sifts up from there), remove_if O(n).
// Invariant: key_less is a strict total order because `order` values are unique.
#pragma once

#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <cstring>
#include <limits>
#include <new>
#include <utility>
#include <vector>

#include "sim/time.hpp"

namespace dcsim::sim::detail {

struct QueueKey {
  Time time;
  std::uint64_t order;  // (sequence number << kSlotBits) | slot: unique, increasing with scheduling order
};

__extension__ using KeyU128 = unsigned __int128;

// One 128-bit comparison (time is never negative in a simulator; the cast keeps the order for non-negative times
// and the queue is only ever fed such times): compiles to sub/sbb and feeds cmov, avoiding branch mispredictions.
inline bool key_less(const QueueKey& a, const QueueKey& b) {
  const KeyU128 ka = (static_cast<KeyU128>(static_cast<std::uint64_t>(a.time)) << 64) | a.order;
  const KeyU128 kb = (static_cast<KeyU128>(static_cast<std::uint64_t>(b.time)) << 64) | b.order;
  return ka < kb;
}

class QuaternaryHeap {
 public:
  QuaternaryHeap() = default;
  QuaternaryHeap(const QuaternaryHeap&) = delete;
  QuaternaryHeap& operator=(const QuaternaryHeap&) = delete;
  ~QuaternaryHeap() { release(); }

  bool empty() const { return size_ == 0; }
  std::size_t size() const { return size_; }
  std::size_t capacity() const { return capacity_; }
  const QueueKey& top() const { return data_[0]; }
  QueueKey* begin() { return data_; }
  QueueKey* end() { return data_ + size_; }

  void push(QueueKey k) {
    if (size_ == capacity_) grow();
    std::size_t i = size_++;
    while (i > 0) {
      const std::size_t parent = (i - 1) >> 2;
      if (!key_less(k, data_[parent])) break;
      data_[i] = data_[parent];
      i = parent;
    }
    data_[i] = k;
  }

  void pop() {
    const std::size_t n = --size_;
    if (n == 0) return;
    const QueueKey last = data_[n];
    // Floyd: walk the hole down to a leaf along the smaller children, then sift `last` up from there.
    std::size_t i = 0;
    for (;;) {
      const std::size_t c = 4 * i + 1;
      if (c + 3 < n) {
        std::size_t m = c;
        if (key_less(data_[c + 1], data_[m])) m = c + 1;
        if (key_less(data_[c + 2], data_[m])) m = c + 2;
        if (key_less(data_[c + 3], data_[m])) m = c + 3;
        data_[i] = data_[m];
        i = m;
        continue;
      }
      if (c < n) {
        std::size_t m = c;
        for (std::size_t j = c + 1; j < n; ++j) {
          if (key_less(data_[j], data_[m])) m = j;
        }
        data_[i] = data_[m];
        i = m;
      }
      break;
    }
    while (i > 0) {
      const std::size_t parent = (i - 1) >> 2;
      if (!key_less(last, data_[parent])) break;
      data_[i] = data_[parent];
      i = parent;
    }
    data_[i] = last;
  }

  // Removes every key for which pred(key) is true, then restores the heap: O(n).
  template <class Pred>
  void remove_if(Pred pred) {
    QueueKey* e = std::remove_if(data_, data_ + size_, pred);
    size_ = static_cast<std::size_t>(e - data_);
    heapify();
  }

  // Replaces the contents by any keys, then heapifies: O(n).
  void assign(const QueueKey* keys, std::size_t n) {
    while (capacity_ < n) grow();
    if (n != 0) std::memcpy(static_cast<void*>(data_), keys, n * sizeof(QueueKey));
    size_ = n;
    heapify();
  }

  // Replaces the contents by keys already in ascending order (a sorted array is a valid heap).
  void assign_sorted(const QueueKey* keys, std::size_t n) {
    while (capacity_ < n) grow();
    if (n != 0) std::memcpy(static_cast<void*>(data_), keys, n * sizeof(QueueKey));
    size_ = n;
  }

  void clear() { size_ = 0; }

  void shrink_to_fit() {
    if (capacity_ <= kMinCapacity || size_ * 4 > capacity_) return;
    std::size_t cap = kMinCapacity;
    while (cap < size_ * 2) cap *= 2;
    reallocate(cap);
  }

 private:
  static constexpr std::size_t kMinCapacity = 64;
  static constexpr std::size_t kOffset = 3;  // root at slot 3: siblings 4i+1..4i+4 share a cache line

  void heapify() {
    if (size_ < 2) return;
    for (std::size_t i = (size_ - 2) / 4 + 1; i-- > 0;) sift_down(i);
  }

  void sift_down(std::size_t i) {
    const QueueKey k = data_[i];
    for (;;) {
      const std::size_t c = 4 * i + 1;
      if (c >= size_) break;
      std::size_t m = c;
      const std::size_t e = std::min(c + 4, size_);
      for (std::size_t j = c + 1; j < e; ++j) {
        if (key_less(data_[j], data_[m])) m = j;
      }
      if (!key_less(data_[m], k)) break;
      data_[i] = data_[m];
      i = m;
    }
    data_[i] = k;
  }

  void grow() { reallocate(capacity_ == 0 ? kMinCapacity : capacity_ * 2); }

  void reallocate(std::size_t cap) {
    auto* raw = static_cast<QueueKey*>(::operator new((cap + kOffset) * sizeof(QueueKey), std::align_val_t{64}));
    QueueKey* fresh = raw + kOffset;
    if (size_ != 0) std::memcpy(static_cast<void*>(fresh), data_, size_ * sizeof(QueueKey));
    release();
    data_ = fresh;
    capacity_ = cap;
  }

  void release() {
    if (data_ != nullptr) ::operator delete(static_cast<void*>(data_ - kOffset), std::align_val_t{64});
    data_ = nullptr;
  }

  QueueKey* data_ = nullptr;
  std::size_t size_ = 0;
  std::size_t capacity_ = 0;
};


// Two-tier calendar queue (in the spirit of Brown's calendar queue and Tang et al.'s ladder queue), the simulator's
// queue. Keys are split by time into
//   near_:     a QuaternaryHeap holding every key with time < near_end_ (the bucket being consumed, a few dozen keys);
//   buckets_:  an "epoch" of nb_ buckets of width 2^shift_ ps from epoch_start_, unsorted vectors (O(1) append);
//   overflow_: keys at or past the epoch's end, unsorted.
// When near_ runs dry, the next non-empty bucket is heapified into it; when the epoch is used up, a new epoch is
// laid over the overflow with a bucket width chosen from the median spacing of its keys (robust to far outliers)
// so that a bucket holds about kPerBucket keys. Each key is appended O(1) times per epoch and an epoch spans about
// twice the pending population, so push and pop are amortised O(1) plus a heap operation on a tiny, cache-resident
// heap: unlike one big heap, the working set per event is a bucket tail and a few cache lines, whatever the number
// of pending events. Degenerate inputs (all keys at one time) fall back to the heap's O(log n).
// Order: exactly key_less (the heap decides among keys below near_end_, and every other key is >= near_end_).
class CalendarQueue {
 public:
  // Called with each bucket as it moves into the near heap (the simulator prefetches the events' callbacks).
  using LoadHook = void (*)(void* ctx, const QueueKey* keys, std::size_t n);
  void set_load_hook(LoadHook hook, void* ctx) {
    hook_ = hook;
    hook_ctx_ = ctx;
  }

  bool empty() const { return size_ == 0; }
  std::size_t size() const { return size_; }

  // Precondition: !empty().
  const QueueKey& top() {
    if (near_.empty()) refill();
    return near_.top();
  }
  void pop() {
    if (near_.empty()) refill();
    near_.pop();
    --size_;
  }

  void push(QueueKey k) {
    ++size_;
    if (k.time < near_end_) {
      near_.push(k);
    } else if (k.time < epoch_end_) {
      buckets_[static_cast<std::size_t>(static_cast<std::uint64_t>(k.time - epoch_start_) >> shift_)].push_back(k);
    } else {
      overflow_.push_back(k);
    }
  }

  template <class F>
  void for_each(F f) {
    for (QueueKey* k = near_.begin(); k != near_.end(); ++k) f(*k);
    for (std::size_t b = cur_; b < nb_; ++b) {
      for (QueueKey& k : buckets_[b]) f(k);
    }
    for (QueueKey& k : overflow_) f(k);
  }

  template <class Pred>
  void remove_if(Pred pred) {
    near_.remove_if(pred);
    std::size_t n = near_.size();
    for (std::size_t b = cur_; b < nb_; ++b) {
      std::erase_if(buckets_[b], pred);
      n += buckets_[b].size();
    }
    std::erase_if(overflow_, pred);
    size_ = n + overflow_.size();
  }

  void clear() {
    near_.clear();
    for (std::size_t b = cur_; b < nb_; ++b) buckets_[b].clear();
    overflow_.clear();
    size_ = 0;
    cur_ = nb_ = 0;
    near_end_ = epoch_end_ = std::numeric_limits<Time>::min();
  }

  void shrink_to_fit() {
    near_.shrink_to_fit();
    overflow_.shrink_to_fit();
  }

  static constexpr std::size_t kPerBucket = 16;

 private:
  static constexpr std::size_t kKeepCapacity = 256;

  void refill() {
    for (;;) {
      while (cur_ < nb_) {
        std::vector<QueueKey>& b = buckets_[cur_++];
        near_end_ = epoch_start_ + static_cast<Time>(static_cast<std::uint64_t>(cur_) << shift_);
        if (b.empty()) continue;
        if (hook_ != nullptr) hook_(hook_ctx_, b.data(), b.size());
        near_.assign(b.data(), b.size());
        b.clear();
        if (b.capacity() > kKeepCapacity) std::vector<QueueKey>().swap(b);
        return;
      }
      new_epoch();
    }
  }

  void new_epoch() {
    const std::size_t n = overflow_.size();
    Time tmin = overflow_[0].time, tmax = overflow_[0].time;
    for (const QueueKey& k : overflow_) {
      tmin = std::min(tmin, k.time);
      tmax = std::max(tmax, k.time);
    }
    // Median spacing sets the width: far outliers (a timer hours ahead) do not stretch the buckets.
    const std::size_t mid = n / 2;
    std::nth_element(overflow_.begin(), overflow_.begin() + static_cast<std::ptrdiff_t>(mid), overflow_.end(),
                     [](const QueueKey& a, const QueueKey& b) { return a.time < b.time; });
    const double spacing = static_cast<double>(overflow_[mid].time - tmin) / static_cast<double>(mid + 1);
    const double width = std::max(1.0, spacing * static_cast<double>(kPerBucket));
    shift_ = 0;
    while (shift_ < 62 && static_cast<double>(std::uint64_t{1} << shift_) < width) ++shift_;
    const std::uint64_t span_buckets = (static_cast<std::uint64_t>(tmax - tmin) >> shift_) + 1;
    nb_ = static_cast<std::size_t>(std::min<std::uint64_t>(span_buckets, 2 * (n / kPerBucket) + 1));
    if (buckets_.size() < nb_) buckets_.resize(nb_);
    epoch_start_ = tmin;
    near_end_ = tmin;
    const std::uint64_t len = static_cast<std::uint64_t>(nb_) << shift_;
    epoch_end_ = len > static_cast<std::uint64_t>(std::numeric_limits<Time>::max() - tmin)
                     ? std::numeric_limits<Time>::max()
                     : tmin + static_cast<Time>(len);
    cur_ = 0;
    std::size_t kept = 0;
    for (const QueueKey& k : overflow_) {
      if (k.time < epoch_end_) {
        buckets_[static_cast<std::size_t>(static_cast<std::uint64_t>(k.time - epoch_start_) >> shift_)].push_back(k);
      } else {
        overflow_[kept++] = k;
      }
    }
    overflow_.resize(kept);
  }

  QuaternaryHeap near_;
  std::vector<std::vector<QueueKey>> buckets_;
  std::vector<QueueKey> overflow_;
  std::size_t size_ = 0;
  std::size_t cur_ = 0;  // next bucket to load
  std::size_t nb_ = 0;   // buckets in this epoch
  unsigned shift_ = 0;
  Time epoch_start_ = 0;
  Time near_end_ = std::numeric_limits<Time>::min();
  Time epoch_end_ = std::numeric_limits<Time>::min();
  LoadHook hook_ = nullptr;
  void* hook_ctx_ = nullptr;
};

}  // namespace dcsim::sim::detail
