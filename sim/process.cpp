#include "sim/process.hpp"

#include <stdexcept>

namespace dcsim::sim {

namespace detail {

void ProcessNode::link() {
  ProcessNode*& head = sim->process_list_head();
  prev = nullptr;
  next = head;
  if (head != nullptr) head->prev = this;
  head = this;
  running = true;
}

void ProcessNode::unlink() {
  if (!running) return;
  running = false;
  if (prev != nullptr) {
    prev->next = next;
  } else {
    sim->process_list_head() = next;
  }
  if (next != nullptr) next->prev = prev;
  prev = next = nullptr;
}

void ProcessNode::release() {
  if (--refs != 0) return;
  unlink();
  frame.destroy();  // destroys *this (the promise) too
}

void destroy_unfinished_processes(Simulator& sim) {
  // Unlinking first means a frame destroyed in the cascade (a handle in a dying frame dropping the last
  // reference) is never visited twice: an unfinished frame keeps its own reference until we reach it.
  while (ProcessNode* n = sim.process_list_head()) {
    n->unlink();
    n->release();
  }
}

}  // namespace detail

void Process::promise_type::FinalAwaiter::await_suspend(std::coroutine_handle<promise_type> h) noexcept {
  promise_type& p = h.promise();
  p.done = true;
  Simulator& sim = *p.sim;
  if (p.error && p.joiners.empty()) sim.report_failure(p.error);
  for (std::coroutine_handle<> j : p.joiners) sim.resume_at(sim.now(), j);
  p.joiners.clear();
  p.unlink();
  p.release();  // the reference held while running; may free the frame
}

ProcessHandle Simulator::spawn(Process p) {
  if (!p.valid()) throw std::invalid_argument("Simulator::spawn: empty Process");
  detail::ProcessNode* n = std::exchange(p.node_, nullptr);
  if (n->spawned) throw std::logic_error("Simulator::spawn: process already spawned");
  n->sim = this;
  n->spawned = true;
  ++n->refs;  // the running reference; the Process's reference moves to the handle
  n->link();
  resume_at(now_, n->frame);
  return ProcessHandle(n);
}

Process all_of(std::vector<ProcessHandle> children) {
  for (const ProcessHandle& c : children) co_await c;
}

Process all_of(std::vector<Process> children) {
  Simulator& s = co_await current_simulator();
  std::vector<ProcessHandle> handles;
  handles.reserve(children.size());
  for (Process& c : children) handles.push_back(s.spawn(std::move(c)));
  for (const ProcessHandle& h : handles) co_await h;
}

namespace {

Process notify_when_done(ProcessHandle child, std::shared_ptr<Event> first) {
  co_await child;
  if (!first->triggered()) first->trigger();
}

}  // namespace

Process any_of(std::vector<ProcessHandle> children) {
  Simulator& s = co_await current_simulator();
  if (children.empty()) co_return;
  for (const ProcessHandle& c : children) {
    if (c.done()) {
      co_await c;  // rethrows a failure
      co_return;
    }
  }
  auto first = std::make_shared<Event>(s);
  for (ProcessHandle& c : children) s.spawn(notify_when_done(std::move(c), first));
  co_await *first;
}

Process any_of(std::vector<Process> children) {
  Simulator& s = co_await current_simulator();
  std::vector<ProcessHandle> handles;
  handles.reserve(children.size());
  for (Process& c : children) handles.push_back(s.spawn(std::move(c)));
  co_await any_of(std::move(handles));
}

void Event::trigger() {
  if (triggered_) throw std::logic_error("sim::Event: triggered twice");
  triggered_ = true;
  when_ = sim_->now();
  for (std::coroutine_handle<> h : waiters_) sim_->resume_at(when_, h);
  waiters_.clear();
  waiters_.shrink_to_fit();
}

void Signal::notify_one() {
  if (waiters_.empty()) return;
  const std::coroutine_handle<> h = waiters_.front();
  waiters_.pop_front();
  sim_->resume_at(sim_->now(), h);
}

void Signal::notify_all() {
  for (std::coroutine_handle<> h : waiters_) sim_->resume_at(sim_->now(), h);
  waiters_.clear();
}

}  // namespace dcsim::sim
