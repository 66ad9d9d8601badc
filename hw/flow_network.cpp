#include "hw/flow_network.hpp"

#include <algorithm>
#include <cmath>
#include <limits>
#include <stdexcept>
#include <utility>

#include "hw/power.hpp"
#include "hw/routing.hpp"

namespace dcsim::hw {

FlowNetwork::FlowNetwork(sim::Simulator& sim, const Topology& topo)
    : sim_(sim), topo_(topo), on_link_(topo.links().size()), link_demand_(topo.links().size(), 0.0),
      link_bytes_(topo.links().size(), 0.0), local_of_link_(topo.links().size(), -1) {}

bool FlowNetwork::can_bind(LinkId l) const {
  // The relative margin absorbs the rounding of the running sums: a link that could exceed its bandwidth by less
  // than a billionth is treated as unable to bind.
  return link_demand_[l] > topo_.link(l).bandwidth * (1 + 1e-9);
}

std::uint32_t FlowNetwork::alloc_flow() {
  if (!free_.empty()) {
    const std::uint32_t s = free_.back();
    free_.pop_back();
    return s;
  }
  flows_.emplace_back();
  flow_seen_.push_back(0);
  return static_cast<std::uint32_t>(flows_.size() - 1);
}

FlowNetwork::FlowId FlowNetwork::start_flow(int src, int dst, double bytes, Callback on_done, std::uint64_t hash) {
  return start_flow_on(route(topo_, src, dst, ecmp_hash(src, dst, hash)), bytes, std::move(on_done));
}

FlowNetwork::FlowId FlowNetwork::start_flow_on(std::vector<LinkId> path, double bytes, Callback on_done,
                                               double extra_latency) {
  if (!(bytes >= 0)) throw std::invalid_argument("FlowNetwork: negative or NaN byte count");
  const FlowId id = next_id_++;
  const sim::Time lat = sim::from_seconds(path_latency(topo_, path) + extra_latency);
  if (path.empty() || bytes == 0) {
    // Nothing to share: only the latency remains.
    for (LinkId l : path) link_bytes_[l] += bytes;
    sim_.schedule_in(lat, std::move(on_done));
    return id;
  }
  const std::uint32_t s = alloc_flow();
  Flow& f = flows_[s];
  f.path = std::move(path);
  f.bytes = bytes;
  f.remaining = bytes;
  f.rate = 0;
  f.last = sim_.now();
  f.latency = lat;
  f.has_event = false;
  f.live = true;
  f.id = id;
  f.on_done = std::move(on_done);
  f.cap = std::numeric_limits<double>::infinity();
  for (LinkId l : f.path) f.cap = std::min(f.cap, topo_.link(l).bandwidth);
  for (LinkId l : f.path) {
    on_link_[l].push_back(s);
    // A path of unlimited links only (cap infinite) binds nothing and must not poison the sums.
    if (std::isfinite(f.cap)) link_demand_[l] += f.cap;
  }
  ++active_;
  mark_dirty(f.path);
  return id;
}

void FlowNetwork::TransferAwaiter::await_suspend(std::coroutine_handle<> h) {
  FlowNetwork* n = net;
  n->start_flow(src, dst, bytes, [n, h] { n->sim_.resume_at(n->sim_.now(), h); }, hash);
}

void FlowNetwork::mark_dirty(const std::vector<LinkId>& path) {
  dirty_.insert(dirty_.end(), path.begin(), path.end());
  if (recompute_pending_) return;
  recompute_pending_ = true;
  // Runs after every event already scheduled for this instant: simultaneous starts and ends share one solve.
  sim_.schedule_in(0, [this] { recompute(); });
}

void FlowNetwork::advance(Flow& f, sim::Time now) {
  if (now > f.last && f.rate > 0) {
    f.remaining = std::max(0.0, f.remaining - f.rate * sim::to_seconds(now - f.last));
  }
  f.last = now;
}

void FlowNetwork::recompute() {
  recompute_pending_ = false;
  ++recomputations_;
  const sim::Time now = sim_.now();

  // Connected component of the changed flows over the links that can bind: every flow on a dirty link (a flow
  // that ended may have freed it), then the flows sharing a binding link with one already in, and so on.
  comp_flows_.clear();
  comp_links_.clear();
  auto visit_flow = [&](std::uint32_t s) {
    if (flow_seen_[s]) return;
    flow_seen_[s] = 1;
    comp_flows_.push_back(s);
  };
  for (LinkId l : dirty_) {
    for (std::uint32_t s : on_link_[l]) visit_flow(s);
  }
  dirty_.clear();
  for (std::size_t i = 0; i < comp_flows_.size(); ++i) {
    for (LinkId m : flows_[comp_flows_[i]].path) {
      if (local_of_link_[m] >= 0 || !can_bind(m)) continue;
      local_of_link_[m] = static_cast<std::int32_t>(comp_links_.size());
      comp_links_.push_back(m);
      for (std::uint32_t s : on_link_[m]) visit_flow(s);
    }
  }

  // The binding links, then one private link per flow at its cap.
  const std::size_t shared = comp_links_.size();
  cap_.resize(shared + comp_flows_.size());
  for (std::size_t i = 0; i < shared; ++i) cap_[i] = topo_.link(comp_links_[i]).bandwidth;
  offsets_.assign(1, 0);
  links_.clear();
  for (std::size_t i = 0; i < comp_flows_.size(); ++i) {
    const Flow& f = flows_[comp_flows_[i]];
    for (LinkId l : f.path) {
      if (local_of_link_[l] >= 0) links_.push_back(static_cast<std::uint32_t>(local_of_link_[l]));
    }
    cap_[shared + i] = f.cap;
    links_.push_back(static_cast<std::uint32_t>(shared + i));
    offsets_.push_back(static_cast<std::uint32_t>(links_.size()));
  }
  rates_.resize(comp_flows_.size());
  solver_.solve(cap_, offsets_, links_, rates_);

  for (std::size_t i = 0; i < comp_flows_.size(); ++i) {
    const std::uint32_t s = comp_flows_[i];
    flow_seen_[s] = 0;
    Flow& f = flows_[s];
    advance(f, now);
    const double r = rates_[i];
    if (f.has_event && r == f.rate) continue;  // same rate: the scheduled completion still holds
    if (f.has_event) sim_.cancel(f.done);
    f.rate = r;
    const sim::Time dt = sim::transfer_time(f.remaining, r);
    f.done = sim_.schedule_in(dt, [this, s] { finish(s); });
    f.has_event = true;
  }
  for (LinkId l : comp_links_) local_of_link_[l] = -1;
}

void FlowNetwork::finish(std::uint32_t s) {
  Flow& f = flows_[s];
  f.remaining = 0;  // completion times round up, so any residue is rounding
  f.live = false;
  f.has_event = false;
  for (LinkId l : f.path) {
    link_bytes_[l] += f.bytes;
    auto& v = on_link_[l];
    for (std::size_t i = 0; i < v.size(); ++i) {
      if (v[i] == s) {
        v[i] = v.back();
        v.pop_back();
        break;
      }
    }
    // An empty link's demand restarts from exactly zero (no rounding carried over).
    link_demand_[l] = v.empty() ? 0.0 : link_demand_[l] - (std::isfinite(f.cap) ? f.cap : 0.0);
  }
  --active_;
  mark_dirty(f.path);
  sim_.schedule_in(f.latency, std::move(f.on_done));
  f.on_done = nullptr;
  f.path.clear();
  free_.push_back(s);
}

const FlowNetwork::Flow* FlowNetwork::find(FlowId id) const {
  for (const Flow& f : flows_) {
    if (f.live && f.id == id) return &f;
  }
  return nullptr;
}

double FlowNetwork::rate(FlowId id) const {
  const Flow* f = find(id);
  return f ? f->rate : 0.0;
}

sim::Time FlowNetwork::predicted_finish(FlowId id) const {
  const Flow* f = find(id);
  if (!f || !f->has_event || f->rate <= 0) return sim::kTimeMax;
  const double left = std::max(0.0, f->remaining - f->rate * sim::to_seconds(sim_.now() - f->last));
  return sim_.now() + sim::transfer_time(left, f->rate);
}

std::array<double, kLinkKinds> FlowNetwork::bytes_by_kind() const {
  std::array<double, kLinkKinds> out{};
  for (std::size_t l = 0; l < link_bytes_.size(); ++l) {
    out[static_cast<std::size_t>(topo_.link(static_cast<LinkId>(l)).kind)] += link_bytes_[l];
  }
  return out;
}

double FlowNetwork::transfer_energy() const {
  double j = 0;
  for (std::size_t l = 0; l < link_bytes_.size(); ++l) {
    j += hw::transfer_energy(link_bytes_[l], topo_.link(static_cast<LinkId>(l)).energy_per_bit);
  }
  return j;
}

}  // namespace dcsim::hw
