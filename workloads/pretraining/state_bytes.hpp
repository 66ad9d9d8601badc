// Bytes per parameter of mixed-precision training: what each GPU keeps (ZeRO paper, Rajbhandari et al. 2020 §3.1)
// and what the optimizer step and gradient accumulation move (docs/pretraining.md).
#pragma once

namespace dcsim::wl {

// Mixed-precision Adam: 2 bytes weights + 2 bytes gradients + 12 bytes optimizer states (fp32 master weights,
// momentum, variance) per parameter.
inline constexpr double kWeightBytes = 2, kGradBytes = 2, kOptimizerBytes = 12;
// Adam step traffic per parameter: read fp32 grad 4, read+write master 8, m 8, v 8, write the bf16 weight 2.
inline constexpr double kOptimizerStepBytes = 30;
// Unfused gradient accumulation into the fp32 main_grad: read the 16-bit grad 2, read and write main_grad 8.
inline constexpr double kUnfusedGradAccumBytes = 10;
inline constexpr double kGiB = 1024.0 * 1024.0 * 1024.0;

}  // namespace dcsim::wl
