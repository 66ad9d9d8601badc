// One row per request (serving) or task (agents), handed over as each one ends, so memory does not grow with the
// run: what `dcsim run --requests PATH.csv` streams. The workload names the columns once, then sends rows of
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

}  // namespace dcsim::wl
