#include "hw/max_min.hpp"

#include <algorithm>
#include <limits>
#include <stdexcept>

namespace dcsim::hw {

void MaxMinSolver::solve(std::span<const double> capacity, std::span<const std::uint32_t> offsets,
                         std::span<const std::uint32_t> links, std::span<double> rates) {
  const std::size_t nl = capacity.size();
  const std::size_t nf = offsets.empty() ? 0 : offsets.size() - 1;
  if (rates.size() != nf) throw std::invalid_argument("max-min: rates size differs from flow count");
  constexpr double kInf = std::numeric_limits<double>::infinity();

  remaining_.assign(capacity.begin(), capacity.end());
  count_.assign(nl, 0);
  for (std::uint32_t l : links) {
    if (l >= nl) throw std::out_of_range("max-min: link index out of range");
    ++count_[l];
  }
  // Link -> flows, as CSR.
  lf_offsets_.assign(nl + 1, 0);
  for (std::size_t l = 0; l < nl; ++l) lf_offsets_[l + 1] = lf_offsets_[l] + count_[l];
  lf_flows_.resize(links.size());
  {
    std::vector<std::uint32_t>& fill = active_;  // reused as a cursor here
    fill.assign(lf_offsets_.begin(), lf_offsets_.end() - 1);
    for (std::size_t f = 0; f < nf; ++f) {
      for (std::uint32_t i = offsets[f]; i < offsets[f + 1]; ++i) lf_flows_[fill[links[i]]++] = static_cast<std::uint32_t>(f);
    }
  }
  frozen_.assign(nf, 0);
  std::size_t unfrozen = 0;
  for (std::size_t f = 0; f < nf; ++f) {
    if (offsets[f] == offsets[f + 1]) {
      rates[f] = kInf;
      frozen_[f] = 1;
    } else {
      ++unfrozen;
    }
  }
  active_.clear();
  for (std::size_t l = 0; l < nl; ++l) {
    if (count_[l] > 0) active_.push_back(static_cast<std::uint32_t>(l));
  }

  while (unfrozen > 0) {
    double best = kInf;
    for (std::uint32_t l : active_) best = std::min(best, remaining_[l] / count_[l]);
    // Ties within a relative 1e-12 saturate together (floating-point noise must not split a symmetric level).
    const double threshold = best * (1 + 1e-12);
    for (std::uint32_t l : active_) {
      if (count_[l] == 0 || remaining_[l] / count_[l] > threshold) continue;
      for (std::uint32_t i = lf_offsets_[l]; i < lf_offsets_[l + 1]; ++i) {
        const std::uint32_t f = lf_flows_[i];
        if (frozen_[f]) continue;
        frozen_[f] = 1;
        rates[f] = best;
        --unfrozen;
        for (std::uint32_t j = offsets[f]; j < offsets[f + 1]; ++j) {
          const std::uint32_t m = links[j];
          remaining_[m] = std::max(0.0, remaining_[m] - best);
          --count_[m];
        }
      }
    }
    std::erase_if(active_, [&](std::uint32_t l) { return count_[l] == 0; });
  }
}

std::vector<double> max_min_rates(const std::vector<double>& capacity,
                                  const std::vector<std::vector<std::uint32_t>>& flows) {
  std::vector<std::uint32_t> offsets{0}, links;
  for (const auto& f : flows) {
    links.insert(links.end(), f.begin(), f.end());
    offsets.push_back(static_cast<std::uint32_t>(links.size()));
  }
  std::vector<double> rates(flows.size());
  MaxMinSolver s;
  s.solve(capacity, offsets, links, rates);
  return rates;
}

}  // namespace dcsim::hw
