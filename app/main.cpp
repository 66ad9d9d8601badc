#include "app/cli.hpp"

int main(int argc, char** argv) { return dcsim::app::run_cli(argc, argv); }
