// What a run hands out beside its metrics, when asked: one row per request (serving) or task (agents) as each one
// ends, so memory does not grow with the run (`dcsim run --requests PATH.csv`); and whether to collect the
// observations a report draws (observations.hpp), which cost ~10% of a serving run's time and are skipped when
// nobody draws them (sweeps, plans, validation). The workload names the request columns once, then sends rows of
// cells in that order; the front end formats and writes them.
#pragma once

#include <cstdint>
#include <string>
#include <variant>
#include <vector>

namespace dcsim::wl {

using RequestCell = std::variant<std::int64_t, double, std::string>;

class RequestLog {
 public:
  virtual ~RequestLog() = default;
  virtual void columns(const std::vector<std::string>& names) = 0;  // once, before the first row
  virtual void row(const std::vector<RequestCell>& cells) = 0;
};

struct RunOutputs {
  RequestLog* requests = nullptr;
  bool observe = false;  // fill RunResult::observed (series and distributions)
};

}  // namespace dcsim::wl
