// Bytes per parameter of mixed-precision training: what each GPU keeps (ZeRO paper, Rajbhandari et al. 2020 §3.1)
// and what the optimizer step and gradient accumulation move (docs/pretraining.md).
#pragma once

#include <cstdio>
#include <string>

#include "hw/spec.hpp"
#include "workloads/model_ops.hpp"
#include "workloads/pretraining/pretraining.hpp"

namespace dcsim::wl {

// Mixed-precision Adam: 2 bytes weights + 2 bytes gradients + 12 bytes optimizer states (fp32 master weights,
// momentum, variance) per parameter.
inline constexpr double kWeightBytes = 2, kGradBytes = 2, kOptimizerBytes = 12;
// Adam step traffic per parameter: read fp32 grad 4, read+write master 8, m 8, v 8, write the bf16 weight 2.
inline constexpr double kOptimizerStepBytes = 30;
// Unfused gradient accumulation into the fp32 main_grad: read the 16-bit grad 2, read and write main_grad 8.
inline constexpr double kUnfusedGradAccumBytes = 10;
inline constexpr double kGiB = 1024.0 * 1024.0 * 1024.0;

// `v` with `digits` decimals, for the memory figures of messages and info lines.
inline std::string fixed_text(double v, int digits = 1) {
  char buf[64];
  std::snprintf(buf, sizeof buf, "%.*f", digits, v);
  return buf;
}

// Bytes of one element at a GEMM precision (fp8 1, NVFP4 with its block scale kFp4StorageBytes, else 2): what a
// quantized weight copy or a saved narrow GEMM input holds per element.
inline double element_bytes(hw::Precision p) {
  return p == hw::Precision::fp8 ? 1.0 : p == hw::Precision::fp4 ? kFp4StorageBytes : 2.0;
}

// Bytes of a gradient in the gradient buffer and in its data-parallel reduction: Megatron's buffer holds gradients
// in the dtype it reduces them in (grad_reduce_in_fp32; Megatron-LM's default with bf16): 4, else the parameters' 2.
inline double gradient_bytes(const PretrainingWorkload& w) { return w.grad_reduce_fp32 ? 4.0 : kGradBytes; }

// Ranks holding a replica of a routed expert: the stage's tp x cp x dp GPUs over the ep that split the experts
// (Megatron's expert_data_parallel_size with expert TP 1; experts are whole on a GPU, so TP ranks hold replicas).
inline int expert_data_parallel_size(const PretrainingWorkload& w) { return w.tp * w.cp * w.dp / w.ep; }

}  // namespace dcsim::wl
