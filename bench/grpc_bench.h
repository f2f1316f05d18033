// Workloads against the real server, demarched, spawned on 127.0.0.1 with a
// temporary data directory (durable: WAL fsync on every append):
//   durable single-event appends from 1, 8, 32 clients (one shared branch, and
//   a branch per client) with p50/p99; streaming append (AppendStream) of N
//   events; then, on that N-event scenario, reads, replays and verifies while
//   sampling the server's memory (VmRSS / VmHWM).
#pragma once

#include <string>
#include <vector>

#include "absl/status/status.h"
#include "bench/generator.h"

namespace demarche::bench {

struct GrpcOptions {
  std::string server;        // path of demarched
  std::string floor_server;  // path of grpc_floor_server (the transport floor)
  std::string workdir;       // data directories and logs; removed at the end
  std::vector<int> clients{1, 8, 32};
  double seconds = 5;
  uint64_t events = 1000000;                      // streamed, then served
  std::vector<size_t> stream_batches{100, 1000};  // events per AppendStream message
  int queries = 10;                               // GetState queries while serving
  int queries_standing = 200;                     // ... asking for the lists the roster bounds only
  double deadline = 60;                           // seconds allowed to each GetState / Verify
  int repeats = 3;
  // Which workloads run: durable (single-event appends), durable-floor,
  // stream (AppendStream then serving), nosync, stream-floor.
  std::vector<std::string> phases{"durable", "durable-floor", "stream", "nosync", "stream-floor"};
  GeneratorOptions generator;
};

absl::Status RunGrpcBench(const GrpcOptions& options);

}  // namespace demarche::bench
