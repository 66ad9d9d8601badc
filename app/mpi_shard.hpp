// `mpirun -n N dcsim sweep ...` (DESIGN.md §8): the points of one sweep shared among MPI ranks, one CSV on rank 0.
//
// The rule for when dcsim uses MPI at all: only when an MPI launcher started the process, i.e. when the
// environment has OMPI_COMM_WORLD_SIZE (Open MPI's mpirun/mpiexec) or PMIX_RANK (PMIx launchers such as
// `srun --mpi=pmix`). Otherwise MPI_Init is never called, so a plain `dcsim run` has no MPI start-up cost or output.
// This is the only file of dcsim that knows MPI.
#pragma once

#include <cstddef>
#include <exception>
#include <functional>
#include <ostream>
#include <string>
#include <vector>

#include "app/sweep.hpp"

namespace dcsim::app {

// Whether an MPI launcher started this process (the rule above).
bool launched_by_mpi();

// This process's rank as the launcher's environment says (OMPI_COMM_WORLD_RANK, else PMIX_RANK), without
// initialising MPI; 0 when not launched by MPI. For printing once, e.g. refusals and --help under mpirun.
int launcher_rank();

// The points rank `rank` of `ranks` runs: point i goes to rank i mod ranks (interleaved, so that neighbouring points,
// which often cost alike, are spread over the ranks).
std::vector<std::size_t> shard_of(std::size_t points, int rank, int ranks);

// One rank's failure as the command reports it: the exit code and the text printed on stderr ("error: ...").
struct Failure {
  int exit_code = 0;
  std::string message;
};

// What the sharded sweep ends with on this rank. Rank 0 alone reports: its exit_code is the job's (mpirun exits
// with it) and error is the failure's text when exit_code is not 0. Every other rank gets exit code 0 and no text
// even when its own points failed (rank 0 reports that failure): were such a rank to exit non-zero first, mpirun
// would kill rank 0 before it had printed the message.
struct ShardedSweepOutcome {
  bool root = false;
  int exit_code = 0;
  std::string error;
  std::size_t failed_points = 0;  // keep going: the points that became error rows (rank 0)
};

// Initialises MPI (MPI_Init_thread, funneled), then on every rank: expands the sweep with `expand` (every rank gets
// the same points), runs its shard of them `jobs` at a time, and sends rank 0 either its metrics or its failure.
// Every rank reaches the gather whatever happens (failures are caught, `describe` turns them into a Failure), so
// no rank waits for one that gave up. Rank 0 then either picks the failure of the lowest failed rank, or builds the
// CSV from every point's metrics in sweep order (byte-identical to run_sweep_csv) and hands it to `write`. All ranks
// leave together (a barrier), and MPI is finalised before returning. Progress (of rank 0's own share) goes to
// `progress` on rank 0 only.
// `keep_going`: as `dcsim sweep` without --fail-fast, a point that is invalid or fails is a row with its error (each
// rank sends its points' errors with their metrics); the expansion must then have kept invalid points too.
ShardedSweepOutcome run_sweep_sharded(const std::function<std::vector<SweepPoint>()>& expand, int jobs,
                                      std::ostream& progress, const std::function<void(const std::string&)>& write,
                                      const std::function<Failure(std::exception_ptr)>& describe,
                                      bool keep_going = false);

}  // namespace dcsim::app
