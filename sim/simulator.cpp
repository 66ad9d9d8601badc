#include "sim/simulator.hpp"

#include <algorithm>
#include <stdexcept>
#include <string>

namespace dcsim::sim {

namespace detail {
void destroy_unfinished_processes(Simulator& sim);  // process.cpp
}

Simulator::Simulator() = default;

Simulator::~Simulator() {
  // Frames first: their locals may still talk to the simulator while they are destroyed.
  detail::destroy_unfinished_processes(*this);
  queue_.for_each([](detail::QueueKey& k) {
    if (k.fn != &Simulator::run_slab) return;
    auto* slot = reinterpret_cast<detail::Slot*>(k.payload);
    if (slot->ops != nullptr) std::exchange(slot->ops, nullptr)->destroy(slot->storage);
  });
  queue_.clear();
}

void Simulator::run_slab(void* self, std::uint64_t payload, std::uint32_t s) {
  auto* sim = static_cast<Simulator*>(self);
  auto* slot = reinterpret_cast<detail::Slot*>(payload);
  const detail::CallbackOps* ops = std::exchange(slot->ops, nullptr);
  try {
    ops->run_and_destroy(slot->storage);
  } catch (...) {
    sim->free_slot(s);
    throw;
  }
  sim->free_slot(s);
}

std::uint32_t Simulator::new_slot() {
  const std::size_t n = tags_.size();
  if (n >= kMaxPending) throw std::length_error("sim::Simulator: more than 2^26 events pending");
  if (free_.capacity() < n + 1) free_.reserve(std::max<std::size_t>(64, 2 * (n + 1)));
  tags_.push_back(0);
  return static_cast<std::uint32_t>(n);
}

void Simulator::new_chunk(std::size_t c) {
  if (c >= chunks_.size()) chunks_.resize(c + 1);
  chunks_[c] = std::make_unique<detail::Slot[]>(kChunkSize);
}

Time Simulator::add_delay(Time dt) const {
  if (dt < 0) throw std::logic_error("sim::Simulator: negative delay " + std::to_string(dt) + " ps");
  if (dt > kTimeMax - now_) {
    throw TimeHorizonExceeded("sim::Simulator: an event " + std::to_string(to_seconds(dt)) + " s after " +
                              std::to_string(to_seconds(now_)) +
                              " s is past the simulated-time horizon of 2^63 ps (106 days)");
  }
  return now_ + dt;
}

void Simulator::throw_past(Time t) const {
  throw std::logic_error("sim::Simulator: cannot schedule at t=" + std::to_string(t) + " ps, before now=" +
                         std::to_string(now_) + " ps");
}

Simulator::DelayAwaiter Simulator::delay_until(Time t) {
  if (t < now_) throw_past(t);
  return DelayAwaiter{this, t};
}

bool Simulator::cancel(EventId id) {
  const auto s = static_cast<std::uint32_t>(id.value >> 32);
  const auto tag = static_cast<std::uint32_t>(id.value);
  if (s >= tags_.size() || tag == 0 || tags_[s] != tag) return false;
  tags_[s] = 0;
  --live_;
  ++cancelled_;
  const std::size_t c = s >> kChunkBits;
  if (c < chunks_.size() && chunks_[c]) {
    detail::Slot& slot = chunks_[c][s & (kChunkSize - 1)];
    // May itself cancel or schedule: the state above is already consistent.
    if (slot.ops != nullptr) std::exchange(slot.ops, nullptr)->destroy(slot.storage);
  }
  if (cancelled_ > 4096 && cancelled_ > live_) compact();
  return true;
}

void Simulator::compact() {
  queue_.remove_if([this](const detail::QueueKey& k) {
    const auto s = static_cast<std::uint32_t>(k.order & kSlotMask);
    if (tags_[s] != 0) return false;
    free_slot(s);
    return true;
  });
  cancelled_ = 0;
  queue_.shrink_to_fit();
}

void Simulator::renumber() {
  std::vector<detail::QueueKey> keys;
  keys.reserve(queue_.size());
  queue_.for_each([&keys](detail::QueueKey& k) { keys.push_back(k); });
  std::sort(keys.begin(), keys.end(), detail::key_less);
  std::uint64_t seq = 0;
  queue_.clear();
  for (detail::QueueKey& k : keys) {
    k.order = (seq++ << kSlotBits) | (k.order & kSlotMask);
    queue_.push(k);
  }
  seq_ = seq;
}

Time Simulator::next_event_time() { return drop_dead_top() ? queue_.top().time : kTimeMax; }

void Simulator::run_until(Time t) {
  if (t < now_) throw_past(t);
  stopped_ = false;
  while (!stopped_ && drop_dead_top() && queue_.top().time <= t) run_top();
  if (!stopped_) now_ = t;
}

}  // namespace dcsim::sim
