#include "ledger/info_log.h"

#include <sys/syscall.h>
#include <unistd.h>

#include <cerrno>
#include <chrono>
#include <cstdarg>
#include <cstdio>
#include <ctime>
#include <filesystem>
#include <mutex>

namespace demarche::ledger {
namespace {

class InfoLog final : public rocksdb::Logger {
 public:
  InfoLog(std::string dir, size_t max_bytes)
      : path_(std::move(dir) + "/LOG"), max_bytes_(max_bytes) {
    OpenLocked();
  }
  ~InfoLog() override {
    if (file_ != nullptr) std::fclose(file_);
  }

  using rocksdb::Logger::Logv;
  void Logv(const char* format, va_list ap) override {
    char line[4096];
    const auto now = std::chrono::system_clock::now();
    const std::time_t t = std::chrono::system_clock::to_time_t(now);
    const auto us =
        std::chrono::duration_cast<std::chrono::microseconds>(now.time_since_epoch()).count() %
        1000000;
    std::tm tm{};
    gmtime_r(&t, &tm);
    int n = std::snprintf(line, sizeof line, "%04d/%02d/%02d-%02d:%02d:%02d.%06lld %ld ",
                          tm.tm_year + 1900, tm.tm_mon + 1, tm.tm_mday, tm.tm_hour, tm.tm_min,
                          tm.tm_sec, static_cast<long long>(us), syscall(SYS_gettid));
    if (n < 0) return;
    va_list copy;
    va_copy(copy, ap);
    const int body = std::vsnprintf(line + n, sizeof line - static_cast<size_t>(n), format, copy);
    va_end(copy);
    if (body < 0) return;
    size_t len = std::min(sizeof line - 2, static_cast<size_t>(n) + static_cast<size_t>(body));
    if (line[len - 1] != '\n') line[len++] = '\n';

    std::lock_guard lock(mu_);
    if (file_ == nullptr && !OpenLocked()) return;
    if (written_ + len > max_bytes_) Rotate();
    if (file_ == nullptr) return;
    // A short write (no space) is dropped; the stream is reset so that the
    // next line is tried afresh.
    if (std::fwrite(line, 1, len, file_) == len && std::fflush(file_) == 0) {
      written_ += len;
    } else {
      std::clearerr(file_);
    }
  }

  void Flush() override {
    std::lock_guard lock(mu_);
    if (file_ != nullptr && std::fflush(file_) != 0) std::clearerr(file_);
  }

 private:
  bool OpenLocked() {
    file_ = std::fopen(path_.c_str(), "a");
    if (file_ == nullptr) return false;
    std::error_code ec;
    const auto size = std::filesystem::file_size(path_, ec);
    written_ = ec ? 0 : static_cast<size_t>(size);
    return true;
  }
  void Rotate() {
    std::fclose(file_);
    file_ = nullptr;
    std::error_code ec;
    std::filesystem::rename(path_, path_ + ".old", ec);
    // Should the rename fail, the file grows on rather than being reopened
    // for every line.
    OpenLocked();
    written_ = 0;
  }

  const std::string path_;
  const size_t max_bytes_;
  std::mutex mu_;
  std::FILE* file_ = nullptr;
  size_t written_ = 0;
};

}  // namespace

std::shared_ptr<rocksdb::Logger> NewInfoLog(const std::string& dir, size_t max_bytes) {
  return std::make_shared<InfoLog>(dir, max_bytes);
}

}  // namespace demarche::ledger
