// Closed-loop durable append load: N client threads, each with its own
// connection and event generator, append one event per call for a fixed time.
// Shared by demarche over gRPC and the PostgreSQL and Redis peers so that the
// three run exactly the same workload.
#pragma once

#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "bench/generator.h"
#include "demarche/v1/event.pb.h"

namespace demarche::bench {

// One client's connection. Append must be durable when it returns OK.
class AppendClient {
 public:
  virtual ~AppendClient() = default;
  virtual absl::Status Append(const std::string& stream, const v1::Event& event) = 0;
};

using AppendClientFactory = std::function<absl::StatusOr<std::unique_ptr<AppendClient>>(int)>;

struct AppendLoad {
  int clients = 1;
  double seconds = 5;
  // One stream shared by every client (appends to it serialize), or one
  // stream per client.
  bool shared_stream = true;
  std::string shared_name = "shared";
  // stream_name(client) when !shared_stream.
  std::function<std::string(int)> stream_name = [](int c) {
    return std::string("s").append(std::to_string(c));
  };
  GeneratorOptions generator;   // id_prefix is replaced per client
  std::string id_prefix = "c";  // ids: <id_prefix><client>-NNNNNNNN
  // Server CPU seconds so far (all threads / processes), read once the clients
  // are connected and again before they disconnect; empty = not measured.
  std::function<double()> server_cpu;
};

struct AppendStats {
  uint64_t events = 0;
  uint64_t errors = 0;
  double seconds = 0;
  std::vector<double> latency_ms;  // one per successful append
  std::string first_error;
  double server_cpu_s = -1;  // over the run, when AppendLoad::server_cpu is set
};

// Connects every client, starts them together, stops them after load.seconds.
absl::StatusOr<AppendStats> RunAppendLoad(const AppendClientFactory& connect,
                                          const AppendLoad& load);

// Emits events_per_s, p50_ms, p99_ms (and errors if any) for one run, and
// server_cpu_us_per_event when it was measured.
void EmitAppendStats(const std::string& workload, const std::string& system,
                     const std::string& variant, int rep, AppendStats& stats);

}  // namespace demarche::bench
