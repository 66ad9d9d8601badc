#include "app/output_file.hpp"

#include <fstream>
#include <iostream>
#include <stdexcept>

namespace dcsim::app {

void write_output(const std::string& path, const std::string& text) {
  if (path == "-") {
    std::cout << text;
    return;
  }
  std::ofstream out(path, std::ios::binary);
  if (!out) throw std::runtime_error("cannot write '" + path + "'");
  out << text;
  if (!out) throw std::runtime_error("error while writing '" + path + "'");
}

}  // namespace dcsim::app
