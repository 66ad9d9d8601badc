#include "app/mpi_shard.hpp"

#include <chrono>
#include <climits>
#include <cstdint>
#include <cstdlib>
#include <cstring>
#include <stdexcept>
#include <string_view>
#include <thread>

#include <mpi.h>

#include "app/cli.hpp"

namespace dcsim::app {
namespace {

// ---- A flat byte encoding of one rank's outcome (all ranks run the same binary, so host byte order is fine).

class MessageWriter {
 public:
  template <typename T>
  void put(T v) {
    char bytes[sizeof(T)];
    std::memcpy(bytes, &v, sizeof(T));
    out_.append(bytes, sizeof(T));
  }
  void put_string(const std::string& s) {
    put<std::uint64_t>(s.size());
    out_ += s;
  }
  std::string& bytes() { return out_; }

 private:
  std::string out_;
};

class MessageReader {
 public:
  explicit MessageReader(std::string_view in) : in_(in) {}
  template <typename T>
  T get() {
    need(sizeof(T));
    T v;
    std::memcpy(&v, in_.data() + at_, sizeof(T));
    at_ += sizeof(T);
    return v;
  }
  std::string get_string() {
    const auto n = get<std::uint64_t>();
    need(n);
    std::string s(in_.substr(at_, n));
    at_ += n;
    return s;
  }

 private:
  void need(std::size_t n) const {
    if (in_.size() - at_ < n) throw std::runtime_error("MPI sweep: a rank's message is truncated");
  }
  std::string_view in_;
  std::size_t at_ = 0;
};

constexpr std::uint8_t kOk = 0;
constexpr std::uint8_t kFailed = 1;

std::string encode_failure(const Failure& f) {
  MessageWriter w;
  w.put<std::uint8_t>(kFailed);
  w.put<std::int32_t>(f.exit_code);
  w.put_string(f.message);
  return std::move(w.bytes());
}

std::string encode_results(const std::vector<std::size_t>& indices, const std::vector<wl::Metrics>& metrics,
                           const std::vector<std::string>& errors) {
  MessageWriter w;
  w.put<std::uint8_t>(kOk);
  w.put<std::uint64_t>(indices.size());
  for (std::size_t k = 0; k < indices.size(); ++k) {
    w.put<std::uint64_t>(indices[k]);
    w.put_string(k < errors.size() ? errors[k] : std::string());  // empty: the point ran
    w.put<std::uint64_t>(metrics[k].entries().size());
    for (const auto& m : metrics[k].entries()) {
      w.put_string(m.key);
      w.put<double>(m.value);  // the exact bits: rank 0 prints the same numbers as the rank that computed them
    }
  }
  return std::move(w.bytes());
}

// ---- MPI calls. Waits poll with a short sleep instead of Open MPI's busy wait, so that a rank that is done
// leaves its core to the ranks (and --jobs threads) still simulating.

void wait_idle(MPI_Request& request) {
  int done = 0;
  for (MPI_Test(&request, &done, MPI_STATUS_IGNORE); !done; MPI_Test(&request, &done, MPI_STATUS_IGNORE)) {
    std::this_thread::sleep_for(std::chrono::milliseconds(2));
  }
}

constexpr int kTagOutcome = 1;

// Rank 0: every other rank's message, indexed by rank, in whatever order they arrive.
std::vector<std::string> receive_all(int ranks) {
  std::vector<std::string> messages(static_cast<std::size_t>(ranks));
  for (int received = 1; received < ranks; ++received) {
    MPI_Status status;
    int arrived = 0;
    for (MPI_Iprobe(MPI_ANY_SOURCE, kTagOutcome, MPI_COMM_WORLD, &arrived, &status); !arrived;
         MPI_Iprobe(MPI_ANY_SOURCE, kTagOutcome, MPI_COMM_WORLD, &arrived, &status)) {
      std::this_thread::sleep_for(std::chrono::milliseconds(2));
    }
    int count = 0;
    MPI_Get_count(&status, MPI_CHAR, &count);
    std::string& m = messages[static_cast<std::size_t>(status.MPI_SOURCE)];
    m.resize(static_cast<std::size_t>(count));
    MPI_Recv(m.data(), count, MPI_CHAR, status.MPI_SOURCE, kTagOutcome, MPI_COMM_WORLD, MPI_STATUS_IGNORE);
  }
  return messages;
}

void send_to_root(std::string& message) {
  MPI_Request request;
  MPI_Isend(message.data(), static_cast<int>(message.size()), MPI_CHAR, 0, kTagOutcome, MPI_COMM_WORLD, &request);
  wait_idle(request);
}

// Every rank waits here (idle) until rank 0 is done, so that none sits in MPI_Finalize's busy wait meanwhile.
void barrier_idle() {
  MPI_Request request;
  MPI_Ibarrier(MPI_COMM_WORLD, &request);
  wait_idle(request);
}

struct MpiSession {
  MpiSession() {
    int provided = 0;
    MPI_Init_thread(nullptr, nullptr, MPI_THREAD_FUNNELED, &provided);  // only the main thread calls MPI
    MPI_Comm_rank(MPI_COMM_WORLD, &rank);
    MPI_Comm_size(MPI_COMM_WORLD, &size);
  }
  ~MpiSession() { MPI_Finalize(); }
  MpiSession(const MpiSession&) = delete;
  MpiSession& operator=(const MpiSession&) = delete;
  int rank = 0;
  int size = 1;
};

int env_int(const char* name, int fallback) {
  const char* v = std::getenv(name);
  if (v == nullptr || *v == '\0') return fallback;
  char* end = nullptr;
  const long n = std::strtol(v, &end, 10);
  return (*end == '\0' && n >= 0 && n <= INT_MAX) ? static_cast<int>(n) : fallback;
}

}  // namespace

bool launched_by_mpi() {
  return std::getenv("OMPI_COMM_WORLD_SIZE") != nullptr || std::getenv("PMIX_RANK") != nullptr;
}

int launcher_rank() {
  if (!launched_by_mpi()) return 0;
  return env_int("OMPI_COMM_WORLD_RANK", env_int("PMIX_RANK", 0));
}

std::vector<std::size_t> shard_of(std::size_t points, int rank, int ranks) {
  std::vector<std::size_t> mine;
  if (ranks < 1 || rank < 0 || rank >= ranks) return mine;
  for (std::size_t i = static_cast<std::size_t>(rank); i < points; i += static_cast<std::size_t>(ranks)) {
    mine.push_back(i);
  }
  return mine;
}

ShardedSweepOutcome run_sweep_sharded(const std::function<std::vector<SweepPoint>()>& expand, int jobs,
                                      std::ostream& progress, const std::function<void(const std::string&)>& write,
                                      const std::function<Failure(std::exception_ptr)>& describe, bool keep_going) {
  MpiSession mpi;
  ShardedSweepOutcome outcome;
  outcome.root = mpi.rank == 0;

  // Every rank: expand (validating every point, as the single-process sweep does), run the shard, encode.
  std::vector<SweepPoint> points;
  std::string mine;
  try {
    points = expand();
    const std::vector<std::size_t> indices = shard_of(points.size(), mpi.rank, mpi.size);
    std::ostream null_stream(nullptr);
    const std::string label = "sweep (rank 0 of " + std::to_string(mpi.size) + ")";
    std::vector<std::string> errors;
    const auto metrics = run_sweep_points(points, indices, jobs, outcome.root ? progress : null_stream, label,
                                          keep_going ? &errors : nullptr);
    mine = encode_results(indices, metrics, errors);
    if (mine.size() > static_cast<std::size_t>(INT_MAX)) {
      throw std::runtime_error("MPI sweep: rank " + std::to_string(mpi.rank) +
                               "'s results exceed 2 GiB; run with more ranks");
    }
  } catch (...) {
    mine = encode_failure(describe(std::current_exception()));
  }

  if (!outcome.root) {  // its failure, if any, is rank 0's to report: this rank exits 0 (see the header)
    send_to_root(mine);
    barrier_idle();
    return outcome;
  }

  // Rank 0: the first failure by rank, else every point's metrics in sweep order.
  std::vector<std::string> messages = receive_all(mpi.size);
  messages[0] = std::move(mine);
  std::vector<wl::Metrics> metrics(points.size());
  std::vector<std::string> errors(points.size());
  std::vector<bool> have(points.size(), false);
  try {
    for (const std::string& message : messages) {
      MessageReader r(message);
      if (r.get<std::uint8_t>() == kFailed) {
        outcome.exit_code = r.get<std::int32_t>();
        outcome.error = r.get_string();
        break;
      }
      const auto n = r.get<std::uint64_t>();
      for (std::uint64_t k = 0; k < n; ++k) {
        const auto i = r.get<std::uint64_t>();
        if (i >= points.size() || have[i]) throw std::runtime_error("MPI sweep: a rank sent an unexpected point");
        have[i] = true;
        errors[i] = r.get_string();
        const auto entries = r.get<std::uint64_t>();
        for (std::uint64_t e = 0; e < entries; ++e) {
          std::string key = r.get_string();
          metrics[i].set(key, r.get<double>());
        }
      }
    }
    if (outcome.exit_code == 0) {
      for (std::size_t i = 0; i < points.size(); ++i) {
        if (!have[i]) throw std::runtime_error("MPI sweep: no rank sent " + describe_point(points, i));
      }
      write(report_sweep_csv(points, metrics, errors, progress, &outcome.failed_points));
    }
  } catch (...) {
    const Failure f = describe(std::current_exception());
    outcome.exit_code = f.exit_code;
    outcome.error = f.message;
  }
  if (outcome.exit_code == 0 && !outcome.error.empty()) outcome.exit_code = kExitInternal;
  barrier_idle();
  return outcome;
}

}  // namespace dcsim::app
