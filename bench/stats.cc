#include "bench/stats.h"

#include <fmt/format.h>

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <vector>

#include <fcntl.h>
#include <sys/resource.h>
#include <unistd.h>

namespace demarche::bench {
namespace {

const Clock::time_point kStart = Clock::now();

std::string JsonString(const std::string& s) {
  std::string out = "\"";
  for (char c : s) {
    if (c == '"' || c == '\\') {
      out += '\\';
      out += c;
    } else if (static_cast<unsigned char>(c) < 0x20) {
      out += fmt::format("\\u{:04x}", static_cast<int>(c));
    } else {
      out += c;
    }
  }
  return out + "\"";
}

}  // namespace

double Quantile(std::vector<double>& v, double q) {
  if (v.empty()) return 0;
  std::sort(v.begin(), v.end());
  const double rank = std::ceil(q * static_cast<double>(v.size()));
  const size_t i = rank < 1 ? 0 : static_cast<size_t>(rank) - 1;
  return v[std::min(i, v.size() - 1)];
}

void Emit(const Row& row) {
  const double value = std::isfinite(row.value) ? row.value : 0;
  std::string line = fmt::format(
      "{{\"workload\":{},\"system\":{},\"variant\":{},\"metric\":{},\"value\":{:.6g},"
      "\"unit\":{},\"rep\":{},\"note\":{}}}\n",
      JsonString(row.workload), JsonString(row.system), JsonString(row.variant),
      JsonString(row.metric), value, JsonString(row.unit), row.rep, JsonString(row.note));
  std::fputs(line.c_str(), stdout);
  std::fflush(stdout);
  Progress(fmt::format("  {} {}{}{} {} = {:.4g} {} (rep {})", row.workload, row.system,
                       row.variant.empty() ? "" : " ", row.variant, row.metric, value, row.unit,
                       row.rep));
}

void Progress(const std::string& text) {
  std::fputs(fmt::format("[{:7.1f}s] {}\n", SecondsSince(kStart), text).c_str(), stderr);
  std::fflush(stderr);
}

namespace {
double Seconds(const timeval& t) {
  return static_cast<double>(t.tv_sec) + static_cast<double>(t.tv_usec) / 1e6;
}
double Usage(int who) {
  rusage u{};
  getrusage(who, &u);
  return Seconds(u.ru_utime) + Seconds(u.ru_stime);
}
}  // namespace

double ProcessCpuSeconds() { return Usage(RUSAGE_SELF); }
double ThreadCpuSeconds() { return Usage(RUSAGE_THREAD); }

// The text of a small /proc file, or "" if it cannot be read. POSIX read, not
// an ifstream: a process that exits while its file is read makes read() fail
// with ESRCH, which libstdc++'s streambuf turns into an exception.
static std::string ReadProcFile(const std::string& path) {
  std::string text;
  const int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) return text;
  char buf[4096];
  for (;;) {
    const ssize_t n = ::read(fd, buf, sizeof buf);
    if (n <= 0) {
      if (n < 0) text.clear();
      break;
    }
    text.append(buf, static_cast<size_t>(n));
  }
  ::close(fd);
  return text;
}

double PidCpuSeconds(int pid) {
  const std::string text = ReadProcFile(fmt::format("/proc/{}/stat", pid));
  const size_t close = text.rfind(')');  // the command name may hold spaces
  if (close == std::string::npos) return -1;
  std::istringstream rest(text.substr(close + 2));
  std::string field;
  double utime = 0, stime = 0;
  for (int i = 3; i <= 15 && rest >> field; ++i) {  // fields 14 and 15: utime, stime
    if (i == 14) utime = std::stod(field);
    if (i == 15) stime = std::stod(field);
  }
  return (utime + stime) / static_cast<double>(sysconf(_SC_CLK_TCK));
}

double TreeCpuSeconds(int root) {
  if (root <= 0) return -1;
  namespace fs = std::filesystem;
  std::vector<std::pair<int, int>> procs;  // (pid, ppid)
  std::error_code ec;
  for (const auto& entry : fs::directory_iterator("/proc", ec)) {
    const std::string name = entry.path().filename().string();
    if (name.empty() || name.find_first_not_of("0123456789") != std::string::npos) continue;
    const std::string text = ReadProcFile((entry.path() / "stat").string());
    const size_t close = text.rfind(')');
    if (close == std::string::npos) continue;
    std::istringstream rest(text.substr(close + 2));
    std::string state;
    int ppid = 0;
    rest >> state >> ppid;
    procs.emplace_back(std::stoi(name), ppid);
  }
  std::vector<int> tree{root};
  for (size_t i = 0; i < tree.size(); ++i) {
    for (const auto& [pid, ppid] : procs) {
      if (ppid == tree[i]) tree.push_back(pid);
    }
  }
  double total = 0;
  for (int pid : tree) total += std::max(0.0, PidCpuSeconds(pid));
  return total;
}

uint64_t DirBytes(const std::string& dir) {
  namespace fs = std::filesystem;
  std::error_code ec;
  uint64_t total = 0;
  for (fs::recursive_directory_iterator it(dir, ec), end; !ec && it != end; it.increment(ec)) {
    std::error_code ec2;
    if (it->is_regular_file(ec2)) total += it->file_size(ec2);
  }
  return total;
}

std::map<std::string, uint64_t> WalSizes(const std::string& dir) {
  std::map<std::string, uint64_t> out;
  std::error_code ec;
  for (std::filesystem::directory_iterator it(dir, ec), end; !ec && it != end; it.increment(ec)) {
    std::error_code ec2;
    if (it->path().extension() == ".log" && it->is_regular_file(ec2))
      out[it->path().filename().string()] = it->file_size(ec2);
  }
  return out;
}

uint64_t WalBytesSince(const std::string& dir, const std::map<std::string, uint64_t>& before) {
  uint64_t grown = 0;
  for (const auto& [name, size] : WalSizes(dir)) {
    auto it = before.find(name);
    const uint64_t was = it == before.end() ? 0 : it->second;
    if (size > was) grown += size - was;
  }
  return grown;
}

}  // namespace demarche::bench
