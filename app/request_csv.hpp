// `--requests PATH.csv`: the workload's per-request (serving) or per-task (agents) rows as RFC 4180 CSV, written
// as they come (request_log.hpp), numbers in their shortest round-trip form, a blank cell where a time does not
// exist (a rejected request has no first token).
#pragma once

#include <ostream>

#include "workloads/run_outputs.hpp"

namespace dcsim::app {

class CsvRequestLog final : public wl::RequestLog {
 public:
  explicit CsvRequestLog(std::ostream& out) : out_(out) {}
  void columns(const std::vector<std::string>& names) override;
  void row(const std::vector<wl::RequestCell>& cells) override;
  std::size_t rows() const { return rows_; }

 private:
  std::ostream& out_;
  std::size_t columns_ = 0, rows_ = 0;
};

}  // namespace dcsim::app
