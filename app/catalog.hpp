// The hardware catalog: configs/hw/<kind>s/<name>.yaml, one part a file, loaded by name and validated like a
// scenario (units, ranges, unknown keys). Catalog names are file stems; a file's `name:` must equal its stem.
#pragma once

#include <filesystem>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <string_view>
#include <typeinfo>
#include <vector>

#include "app/config/node.hpp"
#include "hw/spec.hpp"

namespace dcsim::app {

class Catalog {
 public:
  // configs/ found from $DCSIM_CONFIGS, else next to the executable's tree (../configs, ../../configs), else the
  // source tree the binary was built from.
  static Catalog open_default();
  explicit Catalog(std::filesystem::path configs_root);

  const std::filesystem::path& root() const { return root_; }

  // Kinds as the command line names them: `dcsim list systems`, `dcsim show system NAME`.
  static std::vector<std::string> listable_kinds();  // systems, gpus, ..., storage, models, scenarios
  static std::vector<std::string> showable_kinds();  // system, gpu, cpu, nic, switch, optics, storage, model
  // A kind's folder under configs/hw/, which is also its plural on the command line: "switch" -> "switches".
  static std::string folder_of(std::string_view kind);

  // Names of one kind (singular: "gpu", "system", ...), sorted.
  std::vector<std::string> names(std::string_view kind) const;
  bool contains(std::string_view kind, std::string_view name) const;
  std::filesystem::path path_of(std::string_view kind, std::string_view name) const;
  std::vector<std::filesystem::path> scenario_files() const;

  // Loads and validates one entry; a missing entry is a BadInput naming the folder searched.
  ConfigDocument document(std::string_view kind, std::string_view name) const;

  // An entry parsed once per catalog: `load` runs the first time (kind, name) is asked for, and a copy of what it
  // returned answers every later call. A sweep's points and a plan's trials read the same few files thousands of
  // times (parsing them again was 73% of a 4,800-point pretraining sweep). A load that throws is not kept, so a
  // broken entry fails alike every time. The files are taken not to change while dcsim runs. Safe across threads;
  // copies of a catalog share what it has parsed.
  template <class Spec>
  Spec parsed(std::string_view kind, std::string_view name, const std::function<Spec()>& load) const {
    // The type is part of the key: asking for one entry as two types must not alias them.
    const std::string key = std::string(kind) + '/' + std::string(name) + '#' + typeid(Spec).name();
    {
      std::lock_guard lock(cache_->mutex);
      if (const auto it = cache_->entries.find(key); it != cache_->entries.end()) {
        return *std::static_pointer_cast<const Spec>(it->second);
      }
    }
    auto spec = std::make_shared<const Spec>(load());  // outside the lock: two threads may both parse, harmlessly
    std::lock_guard lock(cache_->mutex);
    cache_->entries.emplace(key, spec);
    return *spec;
  }

 private:
  struct Cache {
    std::mutex mutex;
    std::map<std::string, std::shared_ptr<const void>> entries;  // by "kind/name#type" (folder listings: "listing/...")
  };
  std::filesystem::path root_;
  std::shared_ptr<Cache> cache_ = std::make_shared<Cache>();
};

// One entry as the catalog has it, read by `parse` (one of the parsers below) and kept (Catalog::parsed).
template <class Spec, class Parse>
Spec load_catalog_entry(const Catalog& c, std::string_view kind, std::string_view name, Parse parse) {
  return c.parsed<Spec>(kind, name, [&] {
    const ConfigDocument doc = c.document(kind, name);
    Spec spec = parse(doc.root());
    doc.finish();
    return spec;
  });
}

// Parsers of one catalog entry (the document's root mapping); each calls finish() so unknown keys are errors.
hw::GpuSpec parse_gpu(const ConfigNode& n);
hw::CpuSpec parse_cpu(const ConfigNode& n);
hw::NicSpec parse_nic(const ConfigNode& n);
hw::SwitchSpec parse_switch(const ConfigNode& n);
hw::OpticsSpec parse_optics(const ConfigNode& n);
hw::StorageSpec parse_storage(const ConfigNode& n);
hw::SystemSpec parse_system(const ConfigNode& n);
hw::ReliabilitySpec parse_reliability(const ConfigNode& n);

hw::GpuSpec load_gpu(const Catalog& c, std::string_view name);
hw::CpuSpec load_cpu(const Catalog& c, std::string_view name);
hw::NicSpec load_nic(const Catalog& c, std::string_view name);
hw::SwitchSpec load_switch(const Catalog& c, std::string_view name);
hw::OpticsSpec load_optics(const Catalog& c, std::string_view name);
hw::StorageSpec load_storage(const Catalog& c, std::string_view name);
hw::SystemSpec load_system(const Catalog& c, std::string_view name);
hw::ReliabilitySpec load_reliability(const Catalog& c, std::string_view name);

}  // namespace dcsim::app
