#include "process.h"

#include <fcntl.h>
#include <signal.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cstdlib>
#include <fstream>
#include <random>
#include <sstream>
#include <thread>

#include <fmt/format.h>

namespace demarche::reliability {
namespace fs = std::filesystem;

namespace {

std::string Slurp(const fs::path& path) {
  std::ifstream in(path);
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

}  // namespace

TempDir::TempDir() {
  std::random_device rd;
  path_ = fs::temp_directory_path() / fmt::format("demarche-rel-{}-{:08x}", getpid(), rd());
  fs::create_directories(path_);
}

TempDir::~TempDir() {
  std::error_code ec;
  if (std::getenv("DEMARCHE_KEEP_TMP") == nullptr) fs::remove_all(path_, ec);
}

std::string DemarchedPath() {
  const char* env = std::getenv("DEMARCHED");
  return env != nullptr && *env != '\0' ? env : DEMARCHED_PATH;
}

int64_t EnvInt(const char* name, int64_t fallback) {
  const char* v = std::getenv(name);
  if (v == nullptr || *v == '\0') return fallback;
  char* end = nullptr;
  long long n = std::strtoll(v, &end, 10);
  return (end != nullptr && *end == '\0') ? n : fallback;
}

DemarchedProcess::DemarchedProcess(fs::path work, fs::path data_dir,
                                   std::vector<std::string> extra_args)
    : work_(std::move(work)), data_dir_(std::move(data_dir)), extra_args_(std::move(extra_args)) {
  fs::create_directories(work_);
}

DemarchedProcess::~DemarchedProcess() { Kill(); }

bool DemarchedProcess::Spawn() {
  if (pid_ > 0) return false;
  const fs::path port_file = work_ / "port";
  fs::remove(port_file);  // a SIGKILLed server leaves its port file behind
  port_ = 0;
  ++starts_;
  {
    std::ofstream log(work_ / "stderr.log", std::ios::app);
    log << fmt::format("---- start {} ----\n", starts_);
  }
  std::vector<std::string> args = {DemarchedPath(),    "--listen",         listen_,
                                   "--data-dir",       data_dir_.string(), "--port-file",
                                   port_file.string(), "--shutdown-grace", "2"};
  args.insert(args.end(), extra_args_.begin(), extra_args_.end());
  std::vector<char*> argv;
  for (std::string& a : args) argv.push_back(a.data());
  argv.push_back(nullptr);
  const std::string out = (work_ / "stdout.log").string();
  const std::string err = (work_ / "stderr.log").string();
  const pid_t parent = getpid();
  const pid_t pid = fork();
  if (pid < 0) return false;
  if (pid == 0) {
    // Only async-signal-safe calls from here to exec. The server dies with
    // the thread that spawned it, so a killed test leaves no orphan behind.
    prctl(PR_SET_PDEATHSIG, SIGKILL);
    if (getppid() != parent) _exit(126);
    const int in_fd = open("/dev/null", O_RDONLY);
    const int out_fd = open(out.c_str(), O_WRONLY | O_CREAT | O_APPEND, 0644);
    const int err_fd = open(err.c_str(), O_WRONLY | O_CREAT | O_APPEND, 0644);
    if (in_fd < 0 || out_fd < 0 || err_fd < 0) _exit(126);
    dup2(in_fd, 0);
    dup2(out_fd, 1);
    dup2(err_fd, 2);
    close_range(3, ~0U, 0);  // nothing of the test's (sockets, files) leaks in
    execv(argv[0], argv.data());
    _exit(127);
  }
  pid_ = pid;
  return true;
}

bool DemarchedProcess::WaitReady(std::chrono::milliseconds timeout, std::string* why) {
  const fs::path port_file = work_ / "port";
  const auto end = std::chrono::steady_clock::now() + timeout;
  while (std::chrono::steady_clock::now() < end) {
    int code = 0;
    if (pid_ == 0 || Reap(&code)) {
      *why = fmt::format("demarched exited (code {}) before serving:\n{}", code, StderrTail());
      return false;
    }
    std::error_code ec;
    if (fs::exists(port_file, ec)) {
      port_ = std::atoi(Slurp(port_file).c_str());
      if (port_ > 0) return true;
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(5));
  }
  *why = fmt::format("demarched did not write its port file within {} ms:\n{}", timeout.count(),
                     StderrTail());
  return false;
}

bool DemarchedProcess::Start(std::chrono::milliseconds timeout, std::string* why) {
  if (!Spawn()) {
    *why = "fork for " + DemarchedPath() + " failed";
    return false;
  }
  return WaitReady(timeout, why);
}

std::string DemarchedProcess::address() const { return fmt::format("127.0.0.1:{}", port_); }

bool DemarchedProcess::Reap(int* exit_code) {
  if (pid_ == 0) return true;
  int status = 0;
  const pid_t r = waitpid(pid_, &status, WNOHANG);
  if (r != pid_) return false;
  *exit_code = WIFEXITED(status) ? WEXITSTATUS(status) : -1;
  pid_ = 0;
  return true;
}

bool DemarchedProcess::Running() {
  int code = 0;
  return !Reap(&code);
}

void DemarchedProcess::Kill() {
  if (pid_ == 0) return;
  kill(pid_, SIGKILL);
  int status = 0;
  waitpid(pid_, &status, 0);
  pid_ = 0;
}

int DemarchedProcess::Terminate(std::chrono::milliseconds timeout) {
  if (pid_ == 0) return -1;
  kill(pid_, SIGTERM);
  const auto end = std::chrono::steady_clock::now() + timeout;
  int code = 0;
  while (std::chrono::steady_clock::now() < end) {
    if (Reap(&code)) return code;
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  }
  Kill();
  return -1;
}

int64_t DemarchedProcess::StatusField(const std::string& key) const {
  if (pid_ == 0) return 0;
  std::ifstream in(fmt::format("/proc/{}/status", pid_));
  std::string line;
  const std::string prefix = key + ":";
  while (std::getline(in, line)) {
    if (line.rfind(prefix, 0) == 0) return std::atoll(line.c_str() + prefix.size());
  }
  return 0;
}

int64_t DemarchedProcess::OpenFds() const {
  if (pid_ == 0) return 0;
  std::error_code ec;
  int64_t n = 0;
  for (fs::directory_iterator it(fmt::format("/proc/{}/fd", pid_), ec), end; !ec && it != end;
       it.increment(ec))
    ++n;
  return n;
}

std::string DemarchedProcess::Stderr() const { return Slurp(work_ / "stderr.log"); }

std::string DemarchedProcess::StderrTail(size_t bytes) const {
  std::string all = Stderr();
  return all.size() <= bytes ? all : all.substr(all.size() - bytes);
}

}  // namespace demarche::reliability
