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

const char* to_string(GpuLinkKind k) {
  switch (k) {
    case GpuLinkKind::pcie: return "pcie";
    case GpuLinkKind::nvlink_c2c: return "nvlink-c2c";
  }
  return "?";
}

const char* to_string(FailurePart p) {
  switch (p) {
    case FailurePart::gpu: return "gpu";
    case FailurePart::host: return "host";
    case FailurePart::link: return "link";
    case FailurePart::job: return "job";
  }
  return "?";
}

const char* to_string(CpuArchitecture a) {
  switch (a) {
    case CpuArchitecture::x86_64: return "x86_64";
    case CpuArchitecture::aarch64: return "aarch64";
  }
  return "?";
}

const char* to_string(NicTransport t) {
  switch (t) {
    case NicTransport::infiniband: return "infiniband";
    case NicTransport::roce: return "roce";
    case NicTransport::srd: return "srd";
  }
  return "?";
}

const char* to_string(SwitchKind k) {
  switch (k) {
    case SwitchKind::nvswitch: return "nvswitch";
    case SwitchKind::infiniband: return "infiniband";
    case SwitchKind::ethernet: return "ethernet";
  }
  return "?";
}

const char* to_string(StorageTier t) {
  switch (t) {
    case StorageTier::cpu_memory: return "cpu-memory";
    case StorageTier::local_nvme: return "local-nvme";
    case StorageTier::network_flash: return "network-flash";
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
