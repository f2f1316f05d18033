#include "bench/server_process.h"

#include <fmt/format.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <thread>

namespace demarche::bench {

absl::StatusOr<std::unique_ptr<ServerProcess>> ServerProcess::Start(
    const std::string& binary, const std::string& data_dir,
    const std::vector<std::string>& extra_args) {
  namespace fs = std::filesystem;
  if (!fs::exists(binary)) return absl::NotFoundError(fmt::format("no server at {}", binary));
  fs::create_directories(fs::path(data_dir).parent_path());
  const std::string port_file = fmt::format("{}.port", data_dir);
  const std::string log_path = fmt::format("{}.log", data_dir);
  fs::remove(port_file);
  std::vector<std::string> args = {binary,        "--listen", "127.0.0.1:0", "--data-dir", data_dir,
                                   "--port-file", port_file,  "--log-level", "warn"};
  args.insert(args.end(), extra_args.begin(), extra_args.end());
  const pid_t pid = fork();
  if (pid < 0) return absl::InternalError("fork failed");
  if (pid == 0) {
    FILE* log = std::fopen(log_path.c_str(), "w");
    if (log) {
      dup2(fileno(log), STDOUT_FILENO);
      dup2(fileno(log), STDERR_FILENO);
    }
    std::vector<char*> argv;
    for (auto& a : args) argv.push_back(a.data());
    argv.push_back(nullptr);
    execv(binary.c_str(), argv.data());
    _exit(127);
  }
  auto proc = std::unique_ptr<ServerProcess>(new ServerProcess());
  proc->pid_ = pid;
  proc->log_path_ = log_path;
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(60);
  while (std::chrono::steady_clock::now() < deadline) {
    int status = 0;
    if (waitpid(pid, &status, WNOHANG) == pid) {
      proc->pid_ = -1;
      std::ifstream in(log_path);
      std::stringstream ss;
      ss << in.rdbuf();
      return absl::InternalError(fmt::format("demarched exited at start-up: {}", ss.str()));
    }
    std::ifstream pf(port_file);
    int port = 0;
    if (pf >> port && port > 0) {
      proc->address_ = fmt::format("127.0.0.1:{}", port);
      return proc;
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
  }
  proc->Stop();
  return absl::DeadlineExceededError("demarched did not write its port within 60 s");
}

ServerProcess::~ServerProcess() { Stop(); }

std::string ServerProcess::Stop() {
  if (pid_ <= 0) return "not running";
  kill(pid_, SIGTERM);
  int status = 0;
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(30);
  while (waitpid(pid_, &status, WNOHANG) != pid_) {
    if (std::chrono::steady_clock::now() > deadline) {
      kill(pid_, SIGKILL);
      waitpid(pid_, &status, 0);
      pid_ = -1;
      return "killed after 30 s";
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
  }
  pid_ = -1;
  if (WIFEXITED(status)) return fmt::format("exit {}", WEXITSTATUS(status));
  return fmt::format("signal {}", WTERMSIG(status));
}

long ServerProcess::StatusKb(const std::string& field) const {
  std::ifstream in(fmt::format("/proc/{}/status", pid_));
  std::string line;
  const std::string prefix = field + ":";
  while (std::getline(in, line)) {
    if (line.rfind(prefix, 0) == 0) return std::stol(line.substr(prefix.size()));
  }
  return -1;
}

}  // namespace demarche::bench
