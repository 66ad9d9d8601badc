// The `dcsim` command (DESIGN.md §7): parses the command line with CLI11 and wires the layers together.
// Exit codes: 0 success, 1 regression or failed target, 2 bad input, 3 internal error.
#pragma once

namespace dcsim::app {

enum ExitCode : int { kExitOk = 0, kExitRegression = 1, kExitBadInput = 2, kExitInternal = 3 };

int run_cli(int argc, char** argv);

}  // namespace dcsim::app
