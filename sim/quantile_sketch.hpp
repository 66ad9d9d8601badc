// A mergeable quantile sketch with a relative-error guarantee: DDSketch (Masson, Rim and Lee, "DDSketch: A Fast
// and Fully-Mergeable Quantile Sketch with Relative-Error Guarantees", VLDB 2019). Values are counted in buckets
// whose bounds grow geometrically by gamma = (1 + a) / (1 - a): bucket i holds (gamma^(i-1), gamma^i] and stands
// for 2 gamma^i / (gamma + 1), within a relative error a of every value in it. Zeros (and magnitudes below the
// smallest normal double) have their own count; negative values a mirrored set of buckets. Memory grows with the
// logarithm of the values' range, not with their count: a = 0.001 spans nine decades (1 ns to 1 s) in about 10,400
// buckets. Past kMaxBuckets on one side, the lowest buckets of that side fold into one (DDSketch's collapsing
// store): the guarantee then holds for every value above them.
// Deterministic; sketches built from the same values in any order, or merged in any grouping, are identical.
#pragma once

#include <cstddef>
#include <cstdint>
#include <vector>

namespace dcsim::sim {

class QuantileSketch {
 public:
  static constexpr std::size_t kMaxBuckets = 1 << 16;  // per sign: 512 KiB, 57 decades at a = 0.001

  // `relative_accuracy` a in (0, 0.5]; std::invalid_argument otherwise.
  explicit QuantileSketch(double relative_accuracy = 0.001);

  void add(double x, std::uint64_t count = 1);  // NaN or infinite: std::invalid_argument
  // Adds another sketch's counts; both must have the same accuracy (std::invalid_argument otherwise).
  void merge(const QuantileSketch& other);

  std::uint64_t count() const { return count_; }
  double relative_accuracy() const { return accuracy_; }
  // The k-th smallest value (0-based) as its bucket stands for it; k < count() (std::out_of_range otherwise).
  double order_statistic(std::uint64_t k) const;
  std::size_t buckets() const { return positive_.counts.size() + negative_.counts.size(); }

 private:
  struct Store {  // counts of buckets offset .. offset + counts.size() - 1
    std::vector<std::uint64_t> counts;
    std::int64_t offset = 0;
    void add(std::int64_t index, std::uint64_t n);
  };
  std::int64_t index_of(double magnitude) const;
  double value_of(std::int64_t index) const;

  double accuracy_;
  double gamma_;
  double log_gamma_;
  Store positive_, negative_;  // negative_ counts -x for x < 0
  std::uint64_t zeros_ = 0;
  std::uint64_t count_ = 0;
};

}  // namespace dcsim::sim
