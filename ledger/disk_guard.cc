#include "ledger/disk_guard.h"

#include <sys/statvfs.h>

#include <chrono>

#include <fmt/format.h>

namespace demarche::ledger {
namespace {

// How often the filesystem is asked: 20 ms of appends at 100 MB/s write
// 2 MB, well inside any sensible reserve.
constexpr int64_t kCheckEveryNs = 20'000'000;

int64_t NowNs() {
  return std::chrono::duration_cast<std::chrono::nanoseconds>(
             std::chrono::steady_clock::now().time_since_epoch())
      .count();
}

std::string Megabytes(int64_t bytes) {
  return fmt::format("{:.1f} MB", static_cast<double>(bytes) / (1 << 20));
}

}  // namespace

DiskGuard::DiskGuard(std::string dir, uint64_t min_free_bytes)
    : dir_(std::move(dir)), min_free_bytes_(min_free_bytes) {}

int64_t DiskGuard::FreeBytes() const {
  struct statvfs fs {};
  if (statvfs(dir_.c_str(), &fs) != 0) return -1;
  return static_cast<int64_t>(fs.f_bavail) * static_cast<int64_t>(fs.f_frsize);
}

absl::Status DiskGuard::Health() {
  if (stopped_.load(std::memory_order_acquire)) {
    std::lock_guard lock(mu_);
    if (!read_only_reason_.empty()) return absl::UnavailableError(read_only_reason_);
    if (!stopped_reason_.empty()) return absl::ResourceExhaustedError(stopped_reason_);
  }
  return CheckWritable();
}

absl::Status DiskGuard::CheckWritable() {
  if (stopped_.load(std::memory_order_acquire)) {
    std::lock_guard lock(mu_);
    if (!read_only_reason_.empty()) return absl::UnavailableError(read_only_reason_);
  }
  if (min_free_bytes_ == 0) return absl::OkStatus();
  const int64_t now = NowNs();
  if (now >= next_check_ns_.load(std::memory_order_relaxed)) {
    next_check_ns_.store(now + kCheckEveryNs, std::memory_order_relaxed);
    const int64_t free = FreeBytes();
    last_free_.store(free, std::memory_order_relaxed);
    low_.store(free >= 0 && static_cast<uint64_t>(free) < min_free_bytes_,
               std::memory_order_release);
  }
  if (!low_.load(std::memory_order_acquire)) return absl::OkStatus();
  return absl::ResourceExhaustedError(fmt::format(
      "read-only: disk full ({} free on the data directory's filesystem, under the {} kept in "
      "reserve); writes resume once space is freed",
      Megabytes(last_free_.load(std::memory_order_relaxed)),
      Megabytes(static_cast<int64_t>(min_free_bytes_))));
}

void DiskGuard::SetOpenedReadOnly(std::string reason) {
  std::lock_guard lock(mu_);
  read_only_reason_ = std::move(reason);
  stopped_.store(true, std::memory_order_release);
}

void DiskGuard::OnBackgroundError(rocksdb::BackgroundErrorReason /*reason*/,
                                  rocksdb::Status* error) {
  if (error == nullptr || error->ok()) return;
  std::lock_guard lock(mu_);
  // RocksDB's message names files of the data directory, which a client is
  // not told.
  stopped_reason_ =
      error->IsNoSpace()
          ? "read-only: disk full (a write found no space left on the device); writes resume "
            "by themselves once space is freed"
          : "read-only: a storage write failed (" +
                std::string(error->IsIOError() ? "I/O error" : "error") + "); see the server's log";
  stopped_.store(true, std::memory_order_release);
}

void DiskGuard::OnErrorRecoveryEnd(const rocksdb::BackgroundErrorRecoveryInfo& info) {
  if (!info.new_bg_error.ok()) return;
  std::lock_guard lock(mu_);
  stopped_reason_.clear();
  if (read_only_reason_.empty()) stopped_.store(false, std::memory_order_release);
}

}  // namespace demarche::ledger
