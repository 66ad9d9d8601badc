#include "sim/simulator.hpp"

#include <algorithm>
#include <stdexcept>
#include <string>

namespace dcsim::sim {

namespace detail {
void destroy_unfinished_processes(Simulator& sim);  // process.cpp
}

Simulator::Simulator() { heap_.set_load_hook(&Simulator::prefetch_slots, this); }

void Simulator::prefetch_slots(void* self, const detail::QueueKey* keys, std::size_t n) {
  auto* sim = static_cast<Simulator*>(self);
  for (std::size_t i = 0; i < n; ++i) {
    __builtin_prefetch(&sim->slot_ref(static_cast<std::uint32_t>(keys[i].order & kSlotMask)));
  }
}

Simulator::~Simulator() {
  // Frames first: their locals may still talk to the simulator while they are destroyed.
  detail::destroy_unfinished_processes(*this);
  heap_.for_each([this](detail::QueueKey& k) {
    detail::Slot& slot = slot_ref(static_cast<std::uint32_t>(k.order & kSlotMask));
    if (slot.ops != nullptr) {
      const detail::CallbackOps* ops = slot.ops;
      slot.ops = nullptr;
      ops->destroy(slot.storage);
    }
  });
  heap_.clear();
}

std::uint32_t Simulator::new_slot() {
  if (slot_count_ >= kMaxPending) {
    throw std::length_error("sim::Simulator: more than 2^26 events pending");
  }
  if ((slot_count_ >> kChunkBits) == chunks_.size()) {
    chunks_.push_back(std::make_unique<detail::Slot[]>(kChunkSize));
  }
  return slot_count_++;
}

Time Simulator::add_delay(Time dt) const {
  if (dt < 0) throw std::logic_error("sim::Simulator: negative delay " + std::to_string(dt) + " ps");
  if (dt > kTimeMax - now_) throw std::overflow_error("sim::Simulator: now + delay is past kTimeMax");
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
  const auto gen = static_cast<std::uint32_t>(id.value);
  if (s >= slot_count_) return false;
  detail::Slot& slot = slot_ref(s);
  if (slot.ops == nullptr || slot.generation != gen) return false;
  const detail::CallbackOps* ops = slot.ops;
  retire(slot);
  --live_;
  ++cancelled_;
  ops->destroy(slot.storage);  // may itself cancel or schedule: state above is already consistent
  if (cancelled_ > 4096 && cancelled_ > live_) compact();
  return true;
}

void Simulator::compact() {
  heap_.remove_if([this](const detail::QueueKey& k) {
    const auto s = static_cast<std::uint32_t>(k.order & kSlotMask);
    if (slot_ref(s).ops != nullptr) return false;
    free_slot(s);
    return true;
  });
  cancelled_ = 0;
  heap_.shrink_to_fit();
}

void Simulator::renumber() {
  std::vector<detail::QueueKey> keys;
  keys.reserve(heap_.size());
  heap_.for_each([&keys](detail::QueueKey& k) { keys.push_back(k); });
  std::sort(keys.begin(), keys.end(), detail::key_less);
  std::uint64_t seq = 0;
  heap_.clear();
  for (detail::QueueKey& k : keys) {
    k.order = (seq++ << kSlotBits) | (k.order & kSlotMask);
    heap_.push(k);
  }
  seq_ = seq;
}

Time Simulator::next_event_time() { return drop_dead_top() ? heap_.top().time : kTimeMax; }

void Simulator::run_until(Time t) {
  if (t < now_) throw_past(t);
  stopped_ = false;
  while (!stopped_ && drop_dead_top() && heap_.top().time <= t) run_top();
  if (!stopped_) now_ = t;
}

}  // namespace dcsim::sim
