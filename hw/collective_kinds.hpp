// The names of collective operations, algorithms and protocols, shared by the catalog's specs (a NIC plugin's
// region tuner names them) and the collective models (hw/collectives, hw/nccl_tuner).
#pragma once

namespace dcsim::hw {

enum class CollectiveOp { all_reduce, all_gather, reduce_scatter, all_to_all, broadcast, send_recv };
enum class CollectiveAlgo { automatic, ring, tree, nvls, nvls_tree, hierarchical };
enum class Protocol { ll, ll128, simple };
const char* to_string(CollectiveOp op);
const char* to_string(CollectiveAlgo a);
const char* to_string(Protocol p);

}  // namespace dcsim::hw
