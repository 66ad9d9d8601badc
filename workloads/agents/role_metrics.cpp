#include "workloads/agents/role_metrics.hpp"

#include <string>

#include "workloads/serving/serving_metrics.hpp"

namespace dcsim::wl::agents {

void set_role_metrics(Metrics& m, const AgentsWorkload& w, const Swarm& swarm, const std::vector<RoleWindow>& window) {
  double gpu_s = 0;  // in the window, as the energy
  for (const RoleWindow& r : window) gpu_s += r.gpu_s;
  const double energy = m.get("energy_j").value_or(0.0);
  std::int64_t arrived = 0;  // tasks not started by a call: arrivals and wake-ups
  for (const TaskRecord& t : swarm.tasks()) arrived += t.call_depth == 0 ? 1 : 0;
  for (std::size_t i = 0; i < w.roles.size(); ++i) {
    const RoleStats& r = swarm.roles[i];
    const std::string p = "role." + w.roles[i].name + ".";
    const double tasks = static_cast<double>(r.tasks_done);
    m.set(p + "tasks", tasks);
    m.set(p + "agents", static_cast<double>(r.agents));
    m.set(p + "llm_calls", static_cast<double>(r.llm_calls));
    m.set(p + "generated_tokens", static_cast<double>(r.generated));
    m.set(p + "tokens_per_task", tasks > 0 ? static_cast<double>(r.generated) / tasks : 0.0);
    serving::set_distribution(m, p + "task_latency_s", r.task_latency);
    m.set(p + "calls_in", static_cast<double>(r.calls_in));
    m.set(p + "calls_out", static_cast<double>(r.calls_out));
    if (r.calls_in > 0) serving::set_distribution(m, p + "queue_wait_s", r.queue_wait);
    m.set(p + "gpu_s", r.gpu_s);
    // Energy is attributed by each role's share of the GPU-seconds its calls used in the measured window (steps
    // shared by token).
    const double share = gpu_s > 0 ? window[i].gpu_s / gpu_s : 0.0;
    m.set(p + "gpu_share", share);
    const double tokens = m.get(std::string(kTokensByClassPrefix) + w.roles[i].name).value_or(0.0);
    // Omitted where nothing is attributed (a 0 would read as the best joules per task to `compare`).
    if (energy * share > 0) m.set(p + "tokens_per_joule", tokens / (energy * share));
    if (energy * share > 0) m.set(p + "reference_tokens_per_joule", window[i].reference_tokens / (energy * share));
    const double done = static_cast<double>(window[i].tasks);
    if (done > 0 && energy * share > 0) m.set(p + "joules_per_task", energy * share / done);
  }
  std::int64_t calls = 0, edges = 0;
  for (std::size_t a = 0; a < w.roles.size(); ++a) {
    for (std::size_t b = 0; b < w.roles.size(); ++b) {
      const std::int64_t n = swarm.role_calls[a][b];
      if (n == 0) continue;
      calls += n;
      ++edges;
      m.set("call_graph.calls." + w.roles[a].name + "." + w.roles[b].name, static_cast<double>(n));
    }
  }
  m.set("call_graph.calls", static_cast<double>(calls));
  m.set("call_graph.edges", static_cast<double>(edges));
  m.set("call_graph.calls_per_task", arrived > 0 ? static_cast<double>(calls) / static_cast<double>(arrived) : 0.0);
  m.set("call_graph.max_depth", swarm.max_call_depth);
}

}  // namespace dcsim::wl::agents
