// CSV per RFC 4180: fields quoted when they hold a comma, quote or line break; numbers in shortest round-trip form.
#pragma once

#include <string>
#include <vector>

namespace dcsim::app {

std::string csv_field(const std::string& s);
std::string csv_line(const std::vector<std::string>& fields);  // with the trailing "\n"
std::string csv_number(double v);                               // "%.17g"-exact, shortest form that round-trips

}  // namespace dcsim::app
