// Bad input that has no YAML location (a result JSON, a missing catalog folder): exit code 2 like ConfigError.
#pragma once

#include <stdexcept>

namespace dcsim::app {

class BadInput : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

}  // namespace dcsim::app
