// A real demarched child process for the reliability tests: fork/exec'd on
// 127.0.0.1:0 (killed by the kernel if the spawning thread dies), found through its --port-file,
// stopped with SIGTERM or killed with SIGKILL; its stderr is kept in a file for messages.
#pragma once

#include <sys/types.h>

#include <chrono>
#include <cstdint>
#include <filesystem>
#include <string>
#include <utility>
#include <vector>

namespace demarche::reliability {

// A fresh directory under the system temp dir, removed on destruction.
class TempDir {
 public:
  TempDir();
  ~TempDir();
  TempDir(const TempDir&) = delete;
  TempDir& operator=(const TempDir&) = delete;
  const std::filesystem::path& path() const { return path_; }

 private:
  std::filesystem::path path_;
};

class DemarchedProcess {
 public:
  // `work` holds the port file and the logs; `data_dir` the ledger.
  DemarchedProcess(std::filesystem::path work, std::filesystem::path data_dir,
                   std::vector<std::string> extra_args = {});
  ~DemarchedProcess();  // SIGKILL if still running
  DemarchedProcess(const DemarchedProcess&) = delete;
  DemarchedProcess& operator=(const DemarchedProcess&) = delete;

  // The --listen address of the next Spawn (default 127.0.0.1:0).
  void set_listen(std::string listen) { listen_ = std::move(listen); }

  // Spawns the server (does not wait). False if the fork failed. Call from a
  // thread that outlives the server (PR_SET_PDEATHSIG follows that thread).
  bool Spawn();
  // Waits until the port file appears; false (with the reason in *why) if
  // the process exits first or the timeout passes.
  bool WaitReady(std::chrono::milliseconds timeout, std::string* why);
  // Spawn + WaitReady.
  bool Start(std::chrono::milliseconds timeout, std::string* why);

  pid_t pid() const { return pid_; }
  int port() const { return port_; }
  std::string address() const;  // "127.0.0.1:<port>"
  bool Running();

  // SIGKILL and reap. Returns at once if not running.
  void Kill();
  // SIGTERM, then wait up to `timeout`; the exit code, or -1 (signalled /
  // timed out, in which case it is killed).
  int Terminate(std::chrono::milliseconds timeout);

  // A numeric field of /proc/<pid>/status ("VmRSS", "Threads"), 0 if unknown.
  int64_t StatusField(const std::string& key) const;
  // Resident set size in KiB (VmRSS).
  int64_t RssKib() const { return StatusField("VmRSS"); }
  // Open file descriptors (entries of /proc/<pid>/fd).
  int64_t OpenFds() const;
  // The whole stderr log of every start of this process object so far, and
  // its last `bytes` bytes (for failure messages).
  std::string Stderr() const;
  std::string StderrTail(size_t bytes = 4000) const;

 private:
  // Reaps without blocking; true if the child is gone.
  bool Reap(int* exit_code);

  std::filesystem::path work_;
  std::filesystem::path data_dir_;
  std::vector<std::string> extra_args_;
  std::string listen_ = "127.0.0.1:0";
  pid_t pid_ = 0;
  int port_ = 0;
  int starts_ = 0;
};

// The demarched binary under test (DEMARCHED_PATH, or $DEMARCHED).
std::string DemarchedPath();
// An integer from the environment, or `fallback` when unset or malformed.
int64_t EnvInt(const char* name, int64_t fallback);

}  // namespace demarche::reliability
