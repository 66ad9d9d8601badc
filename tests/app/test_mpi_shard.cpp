// The MPI sweep's pure parts: which rank runs which point, and when dcsim uses MPI at all (no MPI is started here).
#include <gtest/gtest.h>

#include <cstdlib>
#include <vector>

#include "app/mpi_shard.hpp"

namespace dcsim::app {
namespace {

TEST(MpiShard, EveryPointOnExactlyOneRankInterleaved) {
  for (int ranks : {1, 2, 3, 7}) {
    for (std::size_t points : {std::size_t{0}, std::size_t{1}, std::size_t{5}, std::size_t{32}}) {
      std::vector<int> owner(points, -1);
      for (int r = 0; r < ranks; ++r) {
        for (std::size_t i : shard_of(points, r, ranks)) {
          ASSERT_LT(i, points);
          EXPECT_EQ(owner[i], -1) << "point " << i << " on two ranks";
          owner[i] = r;
        }
      }
      for (std::size_t i = 0; i < points; ++i) EXPECT_EQ(owner[i], static_cast<int>(i % ranks));
    }
  }
  EXPECT_EQ(shard_of(8, 1, 3), (std::vector<std::size_t>{1, 4, 7}));
  EXPECT_TRUE(shard_of(8, 3, 3).empty());
}

TEST(MpiShard, UsesMpiOnlyUnderALauncher) {
  unsetenv("OMPI_COMM_WORLD_SIZE");
  unsetenv("OMPI_COMM_WORLD_RANK");
  unsetenv("PMIX_RANK");
  EXPECT_FALSE(launched_by_mpi());
  EXPECT_EQ(launcher_rank(), 0);
  setenv("PMIX_RANK", "3", 1);
  EXPECT_TRUE(launched_by_mpi());
  EXPECT_EQ(launcher_rank(), 3);
  setenv("OMPI_COMM_WORLD_SIZE", "4", 1);
  setenv("OMPI_COMM_WORLD_RANK", "2", 1);
  EXPECT_EQ(launcher_rank(), 2);
  unsetenv("OMPI_COMM_WORLD_SIZE");
  unsetenv("OMPI_COMM_WORLD_RANK");
  unsetenv("PMIX_RANK");
}

TEST(SweepPoint, DescribedByIndexAndCoordinates) {
  std::vector<SweepPoint> points(2);
  points[1].coordinates = {{"workload.algorithm", "nvls"}, {"workload.bytes", "4 MiB"}};
  EXPECT_EQ(describe_point(points, 0), "sweep point 0");
  EXPECT_EQ(describe_point(points, 1), "sweep point 1 (workload.algorithm=nvls, workload.bytes=4 MiB)");
}

}  // namespace
}  // namespace dcsim::app
