// Redis Streams as an event store (peer): XADD with appendonly yes and
// appendfsync always, XRANGE to read, through hiredis on a Unix socket.
#pragma once

#include <string>
#include <vector>

#include "absl/status/status.h"
#include "bench/append_load.h"

namespace demarche::bench {

struct RedisBenchOptions {
  std::string socket;  // Unix socket path of a redis-server started by scripts/bench
  std::vector<int> clients{1, 8, 32};
  double seconds = 5;
  uint64_t bulk_events = 1000000;  // XADDed in MULTI/EXEC batches, then XRANGEd back
  size_t batch = 100;
  int repeats = 3;
  int server_pid = 0;  // redis-server, for server CPU per event (0 = not measured)
  GeneratorOptions generator;
};

absl::Status RunRedisBench(const RedisBenchOptions& options);

}  // namespace demarche::bench
