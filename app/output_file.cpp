#include "app/output_file.hpp"

#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <stdexcept>
#include <system_error>
#include <utility>

#include "app/errors.hpp"

namespace dcsim::app {

void write_output(const std::string& path, const std::string& text, const std::string& option) {
  if (path == "-") {
    std::cout << text;
    return;
  }
  const std::string where = (option.empty() ? "" : option + " ") + "'" + path + "'";
  std::ofstream out(path, std::ios::binary);
  if (!out) throw BadInput(where + ": cannot open it for writing: " + std::strerror(errno));
  out << text;
  out.flush();
  if (!out) throw BadInput(where + ": the write failed: " + std::strerror(errno) + " (a full disk?)");
}

OutputStream::OutputStream(const std::string& path, std::string option)
    : path_(path), option_(std::move(option)), out_(&std::cout) {
  if (path == "-") return;
  file_.open(path, std::ios::binary);
  if (!file_) throw BadInput(option_ + " '" + path + "': cannot open it for writing: " + std::strerror(errno));
  out_ = &file_;
}

void OutputStream::close() {
  out_->flush();
  if (!*out_) throw BadInput(option_ + " '" + path_ + "': the write failed: " + std::strerror(errno) + " (a full disk?)");
  if (file_.is_open()) file_.close();
}

void OutputStream::discard() {
  if (!file_.is_open()) return;
  file_.close();
  std::error_code ec;
  std::filesystem::remove(path_, ec);  // best effort: the run's own error is what the user must see
}

void check_writable(const std::string& path, const std::string& option) {
  if (path.empty() || path == "-") return;
  namespace fs = std::filesystem;
  const fs::path p(path);
  const auto fail = [&](const std::string& why) {
    throw BadInput(option + " '" + path + "': " + why + "; nothing was run");
  };
  std::error_code ec;
  if (fs::is_directory(p, ec)) fail("is a folder, expected a file path");
  if (fs::exists(p, ec)) {
    if (::access(p.c_str(), W_OK) != 0) fail("exists and is not writable");
    return;
  }
  const fs::path dir = p.has_parent_path() ? p.parent_path() : fs::path(".");
  if (!fs::is_directory(dir, ec)) fail("folder '" + dir.string() + "' does not exist");
  if (::access(dir.c_str(), W_OK) != 0) fail("folder '" + dir.string() + "' is not writable");
}

}  // namespace dcsim::app
