// The priority queues under Simulator, over 32-byte entries (time, order, fn, payload):
//   CalendarQueue (the simulator's queue, below): buckets of entries, the current one a sorted array.
//   QuaternaryHeap: a 4-ary min-heap, used by the calendar queue for degenerate near buckets (and tested alone).
// The heap's root sits at offset 3 of a 64-byte aligned buffer so that every group of four siblings (128 bytes)
// starts on a line. Complexity: push O(log4 n), pop O(log4 n) using Floyd's bottom-up deletion (the hole goes to a
// leaf, the last key sifts up from there), remove_if O(n).
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

// What an entry runs: ctx is the owner (the Simulator), payload the entry's 8 inline bytes, slot its slot number.
using EntryFn = void (*)(void* ctx, std::uint64_t payload, std::uint32_t slot);

// One queue entry, 32 bytes: the key (time, order) and the event itself (fn, payload), so that popping an event
// touches only the queue's own, sequentially read memory.
struct QueueKey {
  Time time;
  std::uint64_t order;  // (sequence number << kSlotBits) | slot: unique, increasing with scheduling order
  EntryFn fn = nullptr;
  std::uint64_t payload = 0;
};
static_assert(sizeof(QueueKey) == 32);

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


// Calendar queue of 32-byte entries with two bucket levels (in the spirit of Brown's calendar queue and Tang et
// al.'s ladder queue), the simulator's queue. Entries are split by time into
//   near:      the fine bucket being consumed (every entry with time < near_end_): a sorted array read front to back
//              (near_[pos_..]), or a QuaternaryHeap when inserts into it stop landing near its end;
//   fine_:     the rest of the coarse bucket being consumed, split into nf_ buckets of width 2^fshift_ from
//              fine_start_ up to fine_end_ (unsorted arrays);
//   coarse_:   an "epoch" of nc_ buckets of width 2^cshift_ ps from epoch_start_ (unsorted arrays, O(1) append);
//   overflow_: entries at or past the epoch's end, unsorted.
// A new epoch is laid over the overflow when the coarse buckets are used up, with a width chosen from the median
// spacing of its entries (robust to far outliers) so that a coarse bucket holds about per_coarse_ entries: kPerFine
// (16) below kTwoLevels pending entries, kPerCoarse (256) above. A coarse bucket that becomes current is split into
// fine buckets of about kPerFine entries (a pass within L1/L2), and each fine bucket is insertion-sorted when it
// becomes current. Why two levels: with one level of 16-entry buckets, 1M pending entries make 62k bucket tails,
// and every push (to a random future bucket) misses cache; 4k coarse tails stay in L2. Each entry is moved O(1)
// times (overflow, coarse, fine, near), so push and pop are amortised O(1); a pop reads the next 32 bytes of an
// array. Degenerate inputs fall back to the heap's O(log n): an insert into the near bucket that would shift more
// than kMaxShift entries turns the near bucket into a heap.
// Order: exactly key_less (the near bucket decides among entries below near_end_, every other one is >= near_end_).
class CalendarQueue {
 public:
  CalendarQueue() = default;
  CalendarQueue(const CalendarQueue&) = delete;
  CalendarQueue& operator=(const CalendarQueue&) = delete;

  bool empty() const { return size_ == 0; }
  std::size_t size() const { return size_; }

  // Precondition: !empty().
  const QueueKey& top() {
    if (near_empty()) refill();
    return heap_mode_ ? heap_.top() : near_[pos_];
  }
  void pop() {
    if (near_empty()) refill();
    if (heap_mode_) {
      heap_.pop();
    } else {
      ++pos_;
    }
    --size_;
  }
  // top() and pop() in one. Precondition: !empty().
  QueueKey take() {
    if (!heap_mode_ && pos_ < near_.size()) {
      --size_;
      return near_[pos_++];
    }
    QueueKey k = top();
    pop();
    return k;
  }
  // The entry d places after the top when the near bucket is a sorted array and holds it; null otherwise.
  const QueueKey* peek_ahead(std::size_t d) const {
    return !heap_mode_ && pos_ + d < near_.size() ? &near_[pos_ + d] : nullptr;
  }

  void push(const QueueKey& k) {
    ++size_;
    if (k.time >= fine_end_) {
      if (k.time < epoch_end_) {
        coarse_[static_cast<std::size_t>(static_cast<std::uint64_t>(k.time - epoch_start_) >> cshift_)].push_back(k);
      } else {
        overflow_.push_back(k);
      }
    } else if (k.time >= near_end_) {
      fine_[static_cast<std::size_t>(static_cast<std::uint64_t>(k.time - fine_start_) >> fshift_)].push_back(k);
    } else {
      push_near(k);
    }
  }

  template <class F>
  void for_each(F f) {
    if (heap_mode_) {
      for (QueueKey* k = heap_.begin(); k != heap_.end(); ++k) f(*k);
    } else {
      for (std::size_t i = pos_; i < near_.size(); ++i) f(near_[i]);
    }
    for (std::size_t b = cf_; b < nf_; ++b) {
      for (QueueKey& k : fine_[b]) f(k);
    }
    for (std::size_t b = cc_; b < nc_; ++b) {
      for (QueueKey& k : coarse_[b]) f(k);
    }
    for (QueueKey& k : overflow_) f(k);
  }

  template <class Pred>
  void remove_if(Pred pred) {
    std::size_t n = 0;
    if (heap_mode_) {
      heap_.remove_if(pred);
      n = heap_.size();
    } else {
      near_.erase(near_.begin(), near_.begin() + static_cast<std::ptrdiff_t>(pos_));
      pos_ = 0;
      std::erase_if(near_, pred);  // keeps the order
      n = near_.size();
    }
    for (std::size_t b = cf_; b < nf_; ++b) {
      std::erase_if(fine_[b], pred);
      n += fine_[b].size();
    }
    for (std::size_t b = cc_; b < nc_; ++b) {
      std::erase_if(coarse_[b], pred);
      n += coarse_[b].size();
    }
    std::erase_if(overflow_, pred);
    size_ = n + overflow_.size();
  }

  void clear() {
    heap_.clear();
    near_.clear();
    pos_ = 0;
    heap_mode_ = false;
    for (std::size_t b = cf_; b < nf_; ++b) fine_[b].clear();
    for (std::size_t b = cc_; b < nc_; ++b) coarse_[b].clear();
    overflow_.clear();
    size_ = 0;
    cf_ = nf_ = cc_ = nc_ = 0;
    near_end_ = fine_end_ = epoch_end_ = std::numeric_limits<Time>::min();
  }

  void shrink_to_fit() {
    heap_.shrink_to_fit();
    if (near_.capacity() > kKeepCapacity && near_.size() - pos_ <= kKeepCapacity / 2) {
      std::vector<QueueKey>(near_.begin() + static_cast<std::ptrdiff_t>(pos_), near_.end()).swap(near_);
      pos_ = 0;
    }
    overflow_.shrink_to_fit();
  }

  static constexpr std::size_t kPerFine = 16;
  static constexpr std::size_t kPerCoarse = 256;
  static constexpr std::size_t kTwoLevels = 16384;

 private:
  static constexpr std::size_t kKeepCapacity = 4 * kPerCoarse;
  static constexpr std::size_t kMaxShift = 32;
  static constexpr std::size_t kPrefetchHead = 4;  // = Simulator's prefetch distance
  static constexpr unsigned kMaxFineBits = 10;  // at most 1024 fine buckets per coarse bucket

  bool near_empty() const { return heap_mode_ ? heap_.empty() : pos_ == near_.size(); }

  static void release_if_big(std::vector<QueueKey>& v) {
    if (v.capacity() > kKeepCapacity) std::vector<QueueKey>().swap(v);
  }

  void push_near(const QueueKey& k) {
    if (heap_mode_) {
      heap_.push(k);
      return;
    }
    if (pos_ > 64 && pos_ * 2 > near_.size()) {  // drop the consumed prefix: memory stays proportional
      near_.erase(near_.begin(), near_.begin() + static_cast<std::ptrdiff_t>(pos_));
      pos_ = 0;
    }
    std::size_t i = near_.size();
    const std::size_t stop = i - pos_ > kMaxShift ? i - kMaxShift : pos_;
    near_.push_back(k);
    QueueKey* d = near_.data();
    while (i > stop && key_less(k, d[i - 1])) {
      d[i] = d[i - 1];
      --i;
    }
    if (i == stop && stop != pos_ && key_less(k, d[i - 1])) {
      // Far from the end of a big bucket: undo the shift and make the bucket a heap (O(log n) from now on).
      for (std::size_t j = i; j + 1 < near_.size(); ++j) d[j] = d[j + 1];
      near_.pop_back();
      heap_.assign_sorted(d + pos_, near_.size() - pos_);
      near_.clear();
      pos_ = 0;
      heap_mode_ = true;
      heap_.push(k);
      return;
    }
    d[i] = k;
  }

  void refill() {
    near_.clear();
    pos_ = 0;
    heap_mode_ = false;
    for (;;) {
      while (cf_ < nf_) {
        std::vector<QueueKey>& b = fine_[cf_++];
        near_end_ = fine_start_ + static_cast<Time>(static_cast<std::uint64_t>(cf_) << fshift_);
        if (b.empty()) continue;
        near_.swap(b);  // b takes the old (empty) near buffer
        release_if_big(b);
        sort_near();
        // Start fetching what the first events will touch (payloads are usually pointers: coroutine frames, slab
        // slots, captured objects; prefetching a non-pointer is a harmless no-op). Later ones: Simulator::run_top.
        for (std::size_t i = 0; i < near_.size() && i < kPrefetchHead; ++i) {
          __builtin_prefetch(reinterpret_cast<const void*>(near_[i].payload));
        }
        return;
      }
      while (cc_ < nc_) {
        std::vector<QueueKey>& b = coarse_[cc_++];
        fine_start_ = near_end_ = fine_end_;
        fine_end_ = epoch_start_ + static_cast<Time>(static_cast<std::uint64_t>(cc_) << cshift_);
        if (cc_ == nc_) fine_end_ = epoch_end_;
        if (b.empty()) continue;
        if (cc_ < nc_) {  // the next coarse bucket will be read soon: start fetching its head
          const char* p = reinterpret_cast<const char*>(coarse_[cc_].data());
          const std::size_t bytes = std::min<std::size_t>(coarse_[cc_].size() * sizeof(QueueKey), 1024);
          for (std::size_t off = 0; off < bytes; off += 64) __builtin_prefetch(p + off);
        }
        split(b);
        release_if_big(b);
        break;
      }
      if (cf_ < nf_) continue;
      if (cc_ == nc_) new_epoch();
    }
  }

  // Splits coarse bucket b (all its times in [fine_start_, fine_end_)) into fine buckets of ~kPerFine entries.
  void split(std::vector<QueueKey>& b) {
    unsigned bits = 0;
    while (bits < kMaxFineBits && (std::size_t{kPerFine} << bits) < b.size() && bits < cshift_) ++bits;
    fshift_ = cshift_ - bits;
    nf_ = std::size_t{1} << bits;
    cf_ = 0;
    if (fine_.size() < nf_) fine_.resize(nf_);
    if (bits == 0) {
      fine_[0].swap(b);
      return;
    }
    for (const QueueKey& k : b) {
      fine_[static_cast<std::size_t>(static_cast<std::uint64_t>(k.time - fine_start_) >> fshift_)].push_back(k);
    }
    b.clear();
  }

  void sort_near() {
    QueueKey* d = near_.data();
    const std::size_t n = near_.size();
    if (n > 32) {
      std::sort(d, d + n, key_less);
      return;
    }
    for (std::size_t i = 1; i < n; ++i) {
      const QueueKey k = d[i];
      std::size_t j = i;
      while (j > 0 && key_less(k, d[j - 1])) {
        d[j] = d[j - 1];
        --j;
      }
      d[j] = k;
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
    const std::size_t per = size_ >= kTwoLevels ? kPerCoarse : kPerFine;
    const std::size_t mid = n / 2;
    std::nth_element(overflow_.begin(), overflow_.begin() + static_cast<std::ptrdiff_t>(mid), overflow_.end(),
                     [](const QueueKey& a, const QueueKey& b) { return a.time < b.time; });
    const double spacing = static_cast<double>(overflow_[mid].time - tmin) / static_cast<double>(mid + 1);
    const double width = std::max(1.0, spacing * static_cast<double>(per));
    cshift_ = 0;
    while (cshift_ < 62 && static_cast<double>(std::uint64_t{1} << cshift_) < width) ++cshift_;
    const std::uint64_t span_buckets = (static_cast<std::uint64_t>(tmax - tmin) >> cshift_) + 1;
    nc_ = static_cast<std::size_t>(std::min<std::uint64_t>(span_buckets, 2 * (n / per) + 1));
    if (coarse_.size() < nc_) coarse_.resize(nc_);
    epoch_start_ = tmin;
    near_end_ = fine_end_ = tmin;
    const std::uint64_t len = static_cast<std::uint64_t>(nc_) << cshift_;
    epoch_end_ = len > static_cast<std::uint64_t>(std::numeric_limits<Time>::max() - tmin)
                     ? std::numeric_limits<Time>::max()
                     : tmin + static_cast<Time>(len);
    cc_ = 0;
    std::size_t kept = 0;
    for (const QueueKey& k : overflow_) {
      if (k.time < epoch_end_) {
        coarse_[static_cast<std::size_t>(static_cast<std::uint64_t>(k.time - epoch_start_) >> cshift_)].push_back(k);
      } else {
        overflow_[kept++] = k;
      }
    }
    overflow_.resize(kept);
  }

  std::vector<QueueKey> near_;  // sorted; near_[pos_..] pending (when !heap_mode_)
  std::size_t pos_ = 0;
  bool heap_mode_ = false;
  QuaternaryHeap heap_;  // the near bucket when heap_mode_
  std::vector<std::vector<QueueKey>> fine_;
  std::vector<std::vector<QueueKey>> coarse_;
  std::vector<QueueKey> overflow_;
  std::size_t size_ = 0;
  std::size_t cf_ = 0, nf_ = 0;  // next fine bucket to load, fine buckets in use
  std::size_t cc_ = 0, nc_ = 0;  // next coarse bucket to load, coarse buckets in this epoch
  unsigned fshift_ = 0, cshift_ = 0;
  Time epoch_start_ = 0;
  Time fine_start_ = 0;
  Time near_end_ = std::numeric_limits<Time>::min();
  Time fine_end_ = std::numeric_limits<Time>::min();
  Time epoch_end_ = std::numeric_limits<Time>::min();
};

}  // namespace dcsim::sim::detail
