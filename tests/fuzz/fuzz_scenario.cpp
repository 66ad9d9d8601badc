// libFuzzer harness over the scenario loader and, with DCSIM_FUZZ_RUN, over load + run with a small work budget
// (scripts/fuzz.sh; #18). Bad input must end in ConfigError or BadInput (exit 2); anything else that escapes, a
// sanitizer report, a hang (-timeout) or a memory blow-up (-rss_limit_mb) is a finding.
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <exception>
#include <string>

#include "app/catalog.hpp"
#include "app/config/error.hpp"
#include "app/errors.hpp"
#include "app/runner.hpp"
#include "app/scenario.hpp"

namespace {

const dcsim::app::Catalog& catalog() {
  static const dcsim::app::Catalog c = dcsim::app::Catalog::open_default();
  return c;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  using namespace dcsim::app;
  ScenarioRequest request;
  request.file = "fuzz-input.yaml";
  request.text = std::string(reinterpret_cast<const char*>(data), size);
  // Small enough that a run of any accepted input ends in well under libFuzzer's -timeout.
  request.max_events = 200'000;
  request.max_memory_bytes = 256.0 * (1 << 20);
  try {
    const Scenario s = load_scenario(request, catalog());
#ifdef DCSIM_FUZZ_RUN
    RunArtifacts artifacts;
    (void)run_scenario(s, artifacts);
#else
    (void)s;
#endif
  } catch (const ConfigError&) {
  } catch (const BadInput&) {
  } catch (const std::exception& e) {
    std::fprintf(stderr, "internal error on accepted input: %s\n", e.what());
    std::abort();
  }
  return 0;
}
