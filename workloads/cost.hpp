// What a run costs (docs/power.md, "Cost"): the price of a GPU-hour, all-in (the TCO rate InferenceX quotes per
// GPU) or built from capital amortised over a life plus the run's facility energy at a price, and from it the
// cost per hour and year of the GPUs the run uses and per million tokens: InferenceX's convention,
// $/M tokens = $/GPU-hour / (tokens/s per GPU x 3600 / 1e6).
#pragma once

#include "workloads/metrics.hpp"

namespace dcsim::wl {

struct CostSpec {
  double tco_per_gpu_hour = 0;  // USD per GPU-hour, all-in; used when capex_per_gpu is 0
  double capex_per_gpu = 0;     // USD: the GPU's share of the system's purchase price
  double life_years = 0;        // amortisation period for capex_per_gpu
  double energy_price_per_kwh = 0;  // USD per kWh at the facility meter
};

inline constexpr double kHoursPerYear = 8760;
// The economic life capital is amortised over unless a scenario says: the 4 years of SemiAnalysis' AI Cloud TCO
// model behind InferenceX for an owner of the hardware (Epoch AI uses 5 for hardware bought from 2023).
inline constexpr double kDefaultCapexLifeYears = 4;

// Sets cost.per_gpu_hour_usd, cost.per_hour_usd, cost.per_year_usd and, when the run made tokens,
// cost.per_m_tokens_usd, from the run's `gpus`, `tokens_per_s` and `power_w.facility`.
void add_cost_metrics(Metrics& m, const CostSpec& cost);

}  // namespace dcsim::wl
