#include "app/request_csv.hpp"

#include <stdexcept>
#include <string>

#include "app/csv.hpp"

namespace dcsim::app {

void CsvRequestLog::columns(const std::vector<std::string>& names) {
  columns_ = names.size();
  out_ << csv_line(names);
}

void CsvRequestLog::row(const std::vector<wl::RequestCell>& cells) {
  if (cells.size() != columns_) throw std::logic_error("CsvRequestLog: a row's cells do not match the columns");
  std::vector<std::string> fields;
  fields.reserve(cells.size());
  for (const wl::RequestCell& c : cells) {
    if (const auto* i = std::get_if<std::int64_t>(&c)) fields.push_back(std::to_string(*i));
    else if (const auto* d = std::get_if<double>(&c)) fields.push_back(csv_number(*d));
    else fields.push_back(std::get<std::string>(c));
  }
  out_ << csv_line(fields);
  ++rows_;
}

}  // namespace dcsim::app
