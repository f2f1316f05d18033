// Timing, percentiles and the result lines the scenario benchmark prints.
//
// Every measurement is one JSON object on stdout (one line), for
// bench/report.py to aggregate over repeats; a readable echo goes to stderr.
#pragma once

#include <chrono>
#include <cstdint>
#include <map>
#include <string>
#include <vector>

namespace demarche::bench {

using Clock = std::chrono::steady_clock;

inline double SecondsSince(Clock::time_point t0) {
  return std::chrono::duration<double>(Clock::now() - t0).count();
}

// The q-quantile (0..1) of `v` by nearest rank; sorts `v`. 0 when empty.
double Quantile(std::vector<double>& v, double q);

struct Row {
  std::string workload;  // e.g. "bulk_append"
  std::string system;    // e.g. "demarche-embedded", "rocksdb-floor", "postgresql"
  std::string variant;   // e.g. "clients=32", "" when none
  std::string metric;    // e.g. "events_per_s", "p99_ms"
  double value = 0;
  std::string unit;  // "ev/s", "ms", "bytes", "MB"
  int rep = 0;       // 1-based repeat
  std::string note;  // free text (what was measured)
};

// Prints `row` as a JSON line on stdout (flushed) and a summary on stderr.
void Emit(const Row& row);
// Progress text on stderr, prefixed with the elapsed time.
void Progress(const std::string& text);

// CPU seconds (user + system): of this process (all threads), of the calling
// thread, of another process (from /proc; -1 if unreadable). On a shared,
// loaded machine CPU per event is steadier than wall-clock rates.
double ProcessCpuSeconds();
double ThreadCpuSeconds();
double PidCpuSeconds(int pid);
// CPU seconds of `pid` and every process descended from it (a PostgreSQL
// postmaster and its backends); dead children are not counted.
double TreeCpuSeconds(int pid);

// Apparent size in bytes of every regular file under `dir` (0 if absent).
uint64_t DirBytes(const std::string& dir);

// Sizes of the RocksDB WAL files (*.log) in `dir`, and the bytes appended to
// them since `before`: growth of the files in both, plus files created since.
// Unlike the directory's size this ignores flushes and compactions of older
// data running in the background, and WAL files deleted after a flush.
std::map<std::string, uint64_t> WalSizes(const std::string& dir);
uint64_t WalBytesSince(const std::string& dir, const std::map<std::string, uint64_t>& before);

}  // namespace demarche::bench
