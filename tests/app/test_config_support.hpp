// Shared helpers of the config tests: a miniature scenario reader (the shape real readers in app/ take) and a
// way to capture the message of the ConfigError a call raises.
#pragma once

#include <gtest/gtest.h>

#include <filesystem>
#include <functional>
#include <string>

#include "app/config/node.hpp"

namespace dcsim::app::testing {

inline std::string fixture(const std::string& name) { return std::string(DCSIM_TEST_DATA_DIR) + "/config/" + name; }

// The message of the ConfigError `f` throws; a test failure (and "") if it throws nothing or anything else.
inline std::string error_of(const std::function<void()>& f) {
  try {
    f();
  } catch (const ConfigError& e) {
    return e.what();
  } catch (const std::exception& e) {
    ADD_FAILURE() << "threw something other than ConfigError: " << e.what();
    return {};
  }
  ADD_FAILURE() << "no error";
  return {};
}

struct MiniScenario {
  std::string name;
  std::int64_t seed = 0;
  std::string system;
  std::int64_t count = 0;
  double nic_bandwidth = 0;
  std::string topology;
  double oversubscription = 0;
  std::string network;
  std::string algorithm;
  double bytes = 0;
  std::vector<double> sizes;
  bool in_place = false;
};

inline MiniScenario read_mini(const ConfigDocument& doc) {
  MiniScenario s;
  const ConfigNode root = doc.root();
  s.name = root.get_string("name");
  s.seed = root.get_int_or("seed", 1, 0);
  const ConfigNode hw = root.child("hardware");
  s.system = hw.get_string("system");
  s.count = hw.get_int("count", 1, 100000);
  if (auto so = hw.optional_child("scale_out")) {
    s.nic_bandwidth = so->get_quantity("nic_bandwidth", Dimension::data_rate);
    s.topology = so->get_enum_or("topology", {"fat-tree", "rail-optimized", "dragonfly"}, "fat-tree");
    s.oversubscription = so->get_number_or("oversubscription", 1, 1, 16);
    so->finish();
  }
  hw.finish();
  if (auto net = root.optional_child("network")) {
    s.network = net->get_enum("model", {"analytical", "flow"});
    net->finish();
  }
  const ConfigNode wl = root.child("workload");
  wl.get_enum("kind", {"collective", "pretraining", "serving", "agents"});
  s.algorithm = wl.get_enum_or("algorithm", {"ring", "tree", "nvls"}, "ring");
  s.bytes = wl.get_quantity("bytes", Dimension::data);
  if (wl.has("sizes"))
    for (const auto& item : wl.get_list("sizes")) s.sizes.push_back(item.as_quantity(Dimension::data));
  s.in_place = wl.get_bool_or("in_place", false);
  wl.finish();
  root.finish();
  return s;
}

}  // namespace dcsim::app::testing
