// A demarched child process for the benchmarks: started on 127.0.0.1 with an
// ephemeral port and a data directory of our own, stopped with SIGTERM (then
// SIGKILL after a grace period). Memory from /proc/<pid>/status.
#pragma once

#include <sys/types.h>

#include <memory>
#include <string>
#include <vector>

#include "absl/status/statusor.h"

namespace demarche::bench {

class ServerProcess {
 public:
  // Starts `binary` with --listen 127.0.0.1:0 --data-dir `data_dir` and
  // --port-file, plus `extra_args`; waits (up to 60 s) until it serves.
  static absl::StatusOr<std::unique_ptr<ServerProcess>> Start(
      const std::string& binary, const std::string& data_dir,
      const std::vector<std::string>& extra_args = {});
  ~ServerProcess();  // Stop()

  // SIGTERM, wait up to 30 s, then SIGKILL. Returns the exit status text.
  std::string Stop();

  const std::string& address() const { return address_; }  // "127.0.0.1:port"
  pid_t pid() const { return pid_; }

  // kB values of /proc/<pid>/status fields ("VmRSS", "VmHWM"); -1 if unreadable.
  long StatusKb(const std::string& field) const;

 private:
  pid_t pid_ = -1;
  std::string address_;
  std::string log_path_;
};

}  // namespace demarche::bench
