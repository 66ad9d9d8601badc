// An input a workload finds impossible only while it runs (a call that outgrows a replica's KV cache, a plan that
// does not fit): `key` names the workload key to change (dotted under `workload`, e.g. "context_window"); the front
// end reports it as bad input (exit 2), not as an internal error.
#pragma once

#include <stdexcept>
#include <string>

namespace dcsim::wl {

class InputError : public std::invalid_argument {
 public:
  InputError(std::string key, const std::string& message) : std::invalid_argument(message), key_(std::move(key)) {}
  const std::string& key() const { return key_; }

 private:
  std::string key_;
};

}  // namespace dcsim::wl
