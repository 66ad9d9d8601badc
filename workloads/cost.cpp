#include "workloads/cost.hpp"

namespace dcsim::wl {

void add_cost_metrics(Metrics& m, const CostSpec& cost) {
  const double gpus = m.get("gpus").value_or(0);
  if (gpus <= 0) return;
  double per_gpu_hour = cost.tco_per_gpu_hour;
  if (cost.capex_per_gpu > 0) {
    // Capital over its life, plus this run's facility power per GPU at the energy price.
    const double facility_kw_per_gpu = m.get("power_w.facility").value_or(0) / 1000.0 / gpus;
    per_gpu_hour = cost.capex_per_gpu / (cost.life_years * kHoursPerYear) +
                   facility_kw_per_gpu * cost.energy_price_per_kwh;
  }
  const double per_hour = per_gpu_hour * gpus;
  m.set("cost.per_gpu_hour_usd", per_gpu_hour);
  m.set("cost.per_hour_usd", per_hour);
  m.set("cost.per_year_usd", per_hour * kHoursPerYear);
  const double tokens_per_s = m.get("tokens_per_s").value_or(0);
  if (tokens_per_s > 0) m.set("cost.per_m_tokens_usd", per_hour / (tokens_per_s * 3600.0 / 1e6));
}

}  // namespace dcsim::wl
