#include "app/metric_directions.hpp"

#include <algorithm>
#include <cctype>
#include <string_view>
#include <utility>

namespace dcsim::app {
namespace {

constexpr Direction H = Direction::higher_is_better, L = Direction::lower_is_better, N = Direction::neutral;

// One line per metric family. Rates, efficiencies, attainment and capacity up; times, energy, stalls, rejections
// and preemptions down; inputs, counts of work, raw power and configuration-derived sizes neutral.
constexpr std::pair<std::string_view, Direction> kTable[] = {
    // collective
    {"time_s", L}, {"algbw_gbs", H}, {"busbw_gbs", H},
    {"by_size.*.time_s", L}, {"by_size.*.algbw_gbs", H}, {"by_size.*.busbw_gbs", H},
    // shared by model workloads
    {"mfu", H}, {"hfu", H}, {"mfu_causal", H}, {"mfu_prefill_pool", H}, {"mfu_decode_pool", H},
    {"tflops_per_gpu", H}, {"hw_tflops_per_gpu", H},
    {"tokens", N}, {"tokens_by_class.*", N}, {"tokens_per_s", H}, {"tokens_per_s_per_gpu", H},
    {"tokens_per_s_per_user", H}, {"tokens_per_s_per_mw", H}, {"input_tokens_per_s", H},
    {"tokens_per_joule", H}, {"tokens_per_joule_facility", H},
    {"value_tokens", N}, {"value_tokens_per_joule", H}, {"value_tokens_per_joule_facility", H},
    {"energy_j", L}, {"energy_facility_j", L}, {"all_in_kw_per_gpu", L},
    {"power_w.*", N}, {"gpu_activity.*", N}, {"gpus", N}, {"window_s", N}, {"measured_s", N}, {"run_s", N},
    {"duration_s", N},
    {"cost.per_m_tokens_usd", L}, {"cost.per_gpu_hour_usd", N}, {"cost.per_hour_usd", N}, {"cost.per_year_usd", N},
    // pretraining
    {"step_time_s", L}, {"optimizer_s", L}, {"bubble_fraction", L}, {"bubble_fraction_analytic", L},
    {"exposed_comm_s.*", L}, {"comm_contention_s", L}, {"micro_batches", N}, {"memory_gib", L}, {"memory_gib_first_stage", L}, {"memory_gib_last_stage", L},
    {"memory_gib_breakdown.*", L},
    {"reliability.ettr", H}, {"reliability.ettr_expected", H}, {"reliability.interruptions", L},
    {"reliability.interruptions_unplanned", L}, {"reliability.interruptions_planned", N},
    {"reliability.interruptions_by_cause.*", L}, {"reliability.job_mtbf_h", H}, {"reliability.checkpoint_bytes", N},
    {"reliability.checkpoint_write_s", L}, {"reliability.checkpoint_stall_s", L}, {"reliability.checkpoint_restore_s", L},
    {"reliability.checkpoint_interval_s", N}, {"reliability.checkpoint_interval_optimal_s", N},
    {"reliability.useful_h", H}, {"reliability.lost_work_h", L}, {"reliability.restart_h", L},
    {"reliability.restore_h", L}, {"reliability.checkpoint_h", L}, {"goodput_tokens_per_day", H},
    // serving
    {"requests", H}, {"requests_rejected", L}, {"throughput_rps", H}, {"goodput_rps", H}, {"slo_attainment", H},
    {"slo_p99_met", H}, {"ttft_s.*", L}, {"tpot_s.*", L}, {"e2e_s.*", L}, {"by_class.*.ttft_s.*", L},
    {"by_class.*.tpot_s.*", L}, {"preemptions", L}, {"attention_dp_balance_ratio", H}, {"eager_step_fraction", L}, {"iterations", N}, {"instances", N},
    {"kv_capacity_tokens", H}, {"decode_kv_capacity_tokens", H}, {"kv_transfer_bytes", N},
    {"live_requests_peak", N}, {"requests_in_system_mean", N}, {"decode_step.count", N}, {"decode_step.batch", N},
    {"decode_step.*", L}, {"memory_per_gpu.kv_bytes", H}, {"memory_per_gpu.*", N}, {"busy_fraction", N},
    {"busy_fraction_prefill_pool", N}, {"busy_fraction_decode_pool", N}, {"decode_backpressure_fraction", L},
    // agents
    {"tasks", N}, {"tasks_per_s", H}, {"task_latency_s.*", L}, {"llm_call_s.*", L}, {"tool_wait_s.*", L},
    {"join_wait_s.*", L}, {"gpu_stall_fraction", L}, {"gpu_idle_fraction", L}, {"cpu_utilization", N},
    {"prefix_hit_rate", H}, {"kv_occupancy.*", N}, {"kv.evictions", L}, {"kv.evicted_calls", L},
    {"kv.ttl_expiries", L}, {"kv.offloads", N}, {"kv.reloads", N}, {"agents", N}, {"agents_per_task", N},
    {"peak_concurrent_agents", N}, {"max_depth", N}, {"llm_calls", N}, {"tool_calls", N}, {"tokens_per_call", N},
    {"tokens_per_task", N}, {"task_tokens", N}, {"chat_turn_tokens", N}, {"generated_tokens_all", N},
    {"generated_multiplier", N}, {"token_multiplier", N}, {"prefill_tokens", N}, {"reused_tokens", N},
    {"compactions", N}, {"memory_loads", N}, {"always_on.events", N}, {"always_on.empty_polls", N}, {"replicas", N},
    {"task_tool_s.*", L}, {"task_longest_tool_s.*", L},
    {"prompt_tokens_per_call", N}, {"tasks_per_joule", H}, {"joules_per_task", L},
    {"reference_tokens_per_joule", H}, {"value_per_joule", H}, {"value_per_task", N}, {"role.*.joules_per_task", L},
    // agent economies: per role, and the call graph between roles
    {"role.*.task_latency_s.*", L}, {"role.*.queue_wait_s.*", L}, {"role.*.tokens_per_joule", H},
    {"role.*.tasks", N}, {"role.*.agents", N}, {"role.*.llm_calls", N}, {"role.*.generated_tokens", N},
    {"role.*.tokens_per_task", N}, {"role.*.calls_in", N}, {"role.*.calls_out", N}, {"role.*.gpu_s", N},
    {"role.*.gpu_share", N}, {"role.*.reference_tokens_per_joule", H}, {"role.*.value_per_joule", H},
    {"role.*.value_per_task", N}, {"call_graph.*", N},
};

bool all_digits(std::string_view s) {
  return !s.empty() && std::all_of(s.begin(), s.end(), [](unsigned char c) { return std::isdigit(c) != 0; });
}

// "by_size.1024.busbw_gbs" -> "by_size.*.busbw_gbs"; "by_class.chat.ttft_s.p99" -> "by_class.*.ttft_s.p99";
// "tokens_by_class.chat" -> "tokens_by_class.*"; "role.merchant.tasks" -> "role.*.tasks".
std::string family_of(const std::string& key) {
  std::string out;
  std::size_t start = 0;
  std::string previous;
  while (start <= key.size()) {
    const std::size_t dot = key.find('.', start);
    const std::string seg = key.substr(start, dot == std::string::npos ? std::string::npos : dot - start);
    const bool wild = (previous == "by_size" && all_digits(seg)) || previous == "by_class" ||
                      previous == "tokens_by_class" || (previous == "role" && out == "role");
    out += (out.empty() ? "" : ".") + (wild ? std::string("*") : seg);
    previous = seg;
    if (dot == std::string::npos) break;
    start = dot + 1;
  }
  return out;
}

// A pattern matches the whole family, or, ending in ".*", every family it prefixes.
bool matches(std::string_view pattern, const std::string& family) {
  if (pattern == family) return true;
  if (pattern.size() >= 2 && pattern.substr(pattern.size() - 2) == ".*") {
    const std::string_view stem = pattern.substr(0, pattern.size() - 1);  // keeps the dot
    return family.size() > stem.size() && std::string_view(family).substr(0, stem.size()) == stem;
  }
  return false;
}

}  // namespace

std::vector<std::string> declared_metric_names() {
  const auto placeholders = [](std::string name) {
    for (std::size_t star = name.find('*'); star != std::string::npos; star = name.find('*')) {
      name.replace(star, 1, "<name>");
    }
    return name;
  };
  std::vector<std::string> out;
  for (const auto& [pattern, direction] : kTable) {
    const std::string name(pattern);
    if (name.ends_with("_s.*")) {  // a latency distribution: its quantiles
      const std::string stem = placeholders(name.substr(0, name.size() - 1));
      for (const char* q : {"mean", "p50", "p90", "p99"}) out.push_back(stem + q);
    } else {
      out.push_back(placeholders(name));
    }
  }
  return out;
}

std::optional<Direction> declared_direction(const std::string& dotted_key) {
  const std::string family = family_of(dotted_key);
  for (const auto& [pattern, direction] : kTable) {  // first match wins: specific entries precede wildcards
    if (matches(pattern, family)) return direction;
  }
  return std::nullopt;
}

}  // namespace dcsim::app
