#include "bench/append_load.h"

#include <fmt/format.h>

#include <atomic>
#include <mutex>
#include <thread>

#include "bench/stats.h"

namespace demarche::bench {

absl::StatusOr<AppendStats> RunAppendLoad(const AppendClientFactory& connect,
                                          const AppendLoad& load) {
  std::vector<std::unique_ptr<AppendClient>> conns;
  for (int c = 0; c < load.clients; ++c) {
    auto conn = connect(c);
    if (!conn.ok()) return conn.status();
    conns.push_back(std::move(*conn));
  }
  std::atomic<int> ready{0};
  std::atomic<bool> go{false}, stop{false};
  std::mutex mu;
  AppendStats total;
  std::vector<std::thread> threads;
  for (int c = 0; c < load.clients; ++c) {
    threads.emplace_back([&, c] {
      GeneratorOptions g = load.generator;
      g.id_prefix = fmt::format("{}{}", load.id_prefix, c);
      g.seed = load.generator.seed * 1000003 + static_cast<uint64_t>(c);
      Generator gen(g);
      const std::string stream = load.shared_stream ? load.shared_name : load.stream_name(c);
      std::vector<double> lat;
      lat.reserve(1 << 16);
      uint64_t errors = 0;
      std::string first_error;
      v1::Event next = gen.Next();
      ready.fetch_add(1);
      while (!go.load()) std::this_thread::yield();
      while (!stop.load(std::memory_order_relaxed)) {
        const auto t0 = Clock::now();
        absl::Status st = conns[c]->Append(stream, next);
        const double ms = SecondsSince(t0) * 1e3;
        if (st.ok()) {
          lat.push_back(ms);
          next = gen.Next();
        } else {
          ++errors;
          if (first_error.empty()) first_error = st.ToString();
          if (errors > 1000) break;
        }
      }
      std::lock_guard<std::mutex> lock(mu);
      total.events += lat.size();
      total.errors += errors;
      if (total.first_error.empty()) total.first_error = first_error;
      total.latency_ms.insert(total.latency_ms.end(), lat.begin(), lat.end());
    });
  }
  while (ready.load() < load.clients) std::this_thread::sleep_for(std::chrono::milliseconds(1));
  const double cpu0 = load.server_cpu ? load.server_cpu() : 0;
  const auto t0 = Clock::now();
  go.store(true);
  std::this_thread::sleep_for(std::chrono::duration<double>(load.seconds));
  stop.store(true);
  for (auto& t : threads) t.join();
  total.seconds = SecondsSince(t0);
  if (load.server_cpu) total.server_cpu_s = load.server_cpu() - cpu0;
  return total;
}

void EmitAppendStats(const std::string& workload, const std::string& system,
                     const std::string& variant, int rep, AppendStats& stats) {
  const double server_cpu_s = stats.server_cpu_s;
  Emit({workload, system, variant, "events_per_s",
        static_cast<double>(stats.events) / stats.seconds, "ev/s", rep,
        fmt::format("{} events in {:.2f} s", stats.events, stats.seconds)});
  const double p50 = Quantile(stats.latency_ms, 0.50);
  const double p99 = Quantile(stats.latency_ms, 0.99);
  Emit({workload, system, variant, "p50_ms", p50, "ms", rep, ""});
  Emit({workload, system, variant, "p99_ms", p99, "ms", rep, ""});
  if (server_cpu_s >= 0 && stats.events) {
    Emit({workload, system, variant, "server_cpu_us_per_event",
          server_cpu_s * 1e6 / static_cast<double>(stats.events), "us", rep,
          "server CPU (all threads / processes) per acknowledged append"});
  }
  if (stats.errors) {
    Emit({workload, system, variant, "errors", static_cast<double>(stats.errors), "calls", rep,
          stats.first_error});
  }
}

}  // namespace demarche::bench
