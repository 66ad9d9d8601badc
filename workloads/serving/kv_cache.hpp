// Paged KV cache of one instance: a pool of blocks of `block_size` tokens (vLLM's PagedAttention). A sequence of
// n cached tokens holds ceil(n / block_size) blocks. Capacity = the engine's KV memory (engine_memory.hpp) /
// (KV bytes per token per GPU), in whole blocks (InstanceModel computes the tokens; docs/serving.md "Memory").
#pragma once

#include <cstdint>
#include <stdexcept>

namespace dcsim::wl::serving {

class KvBlocks {
 public:
  KvBlocks(std::int64_t capacity_tokens, int block_size)
      : block_size_(block_size), capacity_(capacity_tokens / block_size) {
    if (block_size < 1) throw std::invalid_argument("KV block size must be at least 1");
  }
  static std::int64_t blocks_for(std::int64_t tokens, int block_size) {
    return tokens <= 0 ? 0 : (tokens + block_size - 1) / block_size;
  }
  std::int64_t blocks_for(std::int64_t tokens) const { return blocks_for(tokens, block_size_); }
  int block_size() const { return block_size_; }
  std::int64_t capacity() const { return capacity_; }
  std::int64_t used() const { return used_; }
  std::int64_t free() const { return capacity_ - used_; }
  std::int64_t peak() const { return peak_; }
  bool try_alloc(std::int64_t n) {
    if (n > free()) return false;
    used_ += n;
    if (used_ > peak_) peak_ = used_;
    return true;
  }
  void alloc(std::int64_t n) {
    if (!try_alloc(n)) throw std::logic_error("KV cache over-allocated");
  }
  void release(std::int64_t n) {
    used_ -= n;
    if (used_ < 0) throw std::logic_error("KV cache released more blocks than it held");
  }

 private:
  int block_size_;
  std::int64_t capacity_;
  std::int64_t used_ = 0;
  std::int64_t peak_ = 0;
};

}  // namespace dcsim::wl::serving
