// PostgreSQL 15 as an event store (the peer a user would pick instead):
// events(stream, version, id, data bytea) with UNIQUE (stream, version) and a
// streams(name, head) row per stream; appends are transactions with
// synchronous_commit on, through libpq on a Unix socket.
#pragma once

#include <string>
#include <vector>

#include "absl/status/status.h"
#include "bench/append_load.h"

namespace demarche::bench {

struct PgBenchOptions {
  std::string conninfo;  // e.g. "host=/tmp/x dbname=postgres user=bench"
  std::vector<int> clients{1, 8, 32};
  double seconds = 5;
  uint64_t bulk_events = 1000000;  // loaded in transactions of `batch`, then read back
  size_t batch = 100;
  int repeats = 3;
  int server_pid = 0;  // postmaster, for server CPU per event (0 = not measured)
  GeneratorOptions generator;
};

// Runs the durable single-event appends (shared and per-client streams), the
// bulk load and the read-by-stream with protobuf parse; emits rows.
absl::Status RunPgBench(const PgBenchOptions& options);

}  // namespace demarche::bench
