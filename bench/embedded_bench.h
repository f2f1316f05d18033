// Workloads on the embedded ledger (ledger::Ledger::Open) and the raw RocksDB
// floor, in one process and on the same dataset:
//   bulk append (batches, sync off and on) vs raw RocksDB WriteBatch of the
//   same stored bytes in the same key order; full replay and verify vs scan,
//   scan+parse and scan+parse+SHA-256 of those bytes; state as of a random
//   date with and without snapshots; branch creation from parents of 1k, 100k
//   and N events and N branches (time and RocksDB bytes).
#pragma once

#include <cstdint>
#include <string>

#include "absl/status/status.h"
#include "bench/generator.h"

namespace demarche::bench {

struct EmbeddedOptions {
  std::string workdir;        // created; everything under it is removed at the end
  uint64_t events = 1000000;  // events on the big branch
  size_t batch = 100;
  int repeats = 3;
  int queries = 200;              // as-of queries per repeat with snapshots
  int queries_no_snapshot = 10;   // ... and without (each folds about half the branch)
  int queries_standing = 500;     // ... and for the bounded lists only
  int branches = 10000;           // the "many branches" workload, per repeat
  int branch_samples = 200;       // timed CreateBranch calls per parent size
  uint64_t sync_events = 200000;  // events of the sync=on bulk variant (0 = skip)
  // Engine snapshot interval for the as-of workload; 0 = the engine's default
  // (1000) up to 100k events and events/20 above: a snapshot holds the whole
  // state, which grows with the branch, so building them every 1000 events is
  // quadratic (see RESULTS.md).
  uint64_t snapshot_every = 0;
  // Phases to run: bulk,replay,fold,asof,branches (the first bulk load always
  // runs: it makes the data the others use).
  std::string phases = "bulk,replay,fold,asof,branches";
  GeneratorOptions generator;
};

absl::Status RunEmbeddedBench(const EmbeddedOptions& options);

}  // namespace demarche::bench
