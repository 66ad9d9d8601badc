#include "hw/spec.hpp"

namespace dcsim::hw {

const char* to_string(Precision p) {
  switch (p) {
    case Precision::fp64: return "fp64";
    case Precision::tf32: return "tf32";
    case Precision::bf16: return "bf16";
    case Precision::fp8: return "fp8";
    case Precision::fp4: return "fp4";
  }
  return "?";
}

const char* to_string(Medium m) {
  switch (m) {
    case Medium::copper: return "copper";
    case Medium::pluggable_optics: return "pluggable-optics";
    case Medium::co_packaged_optics: return "co-packaged-optics";
  }
  return "?";
}

double PeakFlops::at(Precision p) const {
  switch (p) {
    case Precision::fp64: return fp64;
    case Precision::tf32: return tf32;
    case Precision::bf16: return bf16;
    case Precision::fp8: return fp8;
    case Precision::fp4: return fp4;
  }
  return 0;
}

}  // namespace dcsim::hw
