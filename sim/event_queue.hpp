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
#include <new>
#include <utility>

#include "sim/time.hpp"

namespace dcsim::sim::detail {

struct QueueKey {
  Time time;
  std::uint64_t order;  // (sequence number << kSlotBits) | slot: unique, increasing with scheduling order
};

inline bool key_less(const QueueKey& a, const QueueKey& b) {
  return a.time < b.time || (a.time == b.time && a.order < b.order);
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

}  // namespace dcsim::sim::detail
