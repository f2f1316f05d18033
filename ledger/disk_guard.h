// Whether the ledger may write: the data directory's free space and
// RocksDB's background error state.
//
// The ledger refuses writes (RESOURCE_EXHAUSTED, "read-only: disk full ...")
// while its filesystem has less free space than a reserve, so RocksDB keeps
// room for its flushes and compactions and never meets a full disk in the
// middle of a write. Should the disk fill anyway (another process filling it
// faster than the check), RocksDB stops writing by itself and, once space is
// freed, resumes (its SstFileManager retries every few seconds); the guard
// reports that state too. Reads never look at it.
#pragma once

#include <atomic>
#include <cstdint>
#include <mutex>
#include <string>

#include <rocksdb/listener.h>

#include "absl/status/status.h"

namespace demarche::ledger {

class DiskGuard final : public rocksdb::EventListener {
 public:
  // `min_free_bytes` 0 turns the free-space check off (RocksDB's own
  // handling of a full disk remains).
  DiskGuard(std::string dir, uint64_t min_free_bytes);

  // What a write checks first: OK, or RESOURCE_EXHAUSTED "read-only: disk
  // full ..." under the reserve, UNAVAILABLE for a ledger opened read-only.
  // Cheap: the filesystem is asked at most every 20 ms. RocksDB's own stop
  // (a background error) is left to RocksDB, which refuses the write
  // itself and knows best when it has recovered.
  absl::Status CheckWritable();
  // CheckWritable, and RocksDB's stop as its listener last heard of it: for
  // health reports.
  absl::Status Health();

  // The data directory's free space in bytes (statvfs: what an unprivileged
  // writer may use), or -1 if it cannot be read.
  int64_t FreeBytes() const;
  uint64_t min_free_bytes() const { return min_free_bytes_; }

  // Marks the ledger read-only for its lifetime (opened so, on a full disk).
  void SetOpenedReadOnly(std::string reason);

  // rocksdb::EventListener
  void OnBackgroundError(rocksdb::BackgroundErrorReason reason, rocksdb::Status* error) override;
  void OnErrorRecoveryEnd(const rocksdb::BackgroundErrorRecoveryInfo& info) override;

 private:
  const std::string dir_;
  const uint64_t min_free_bytes_;
  std::atomic<int64_t> next_check_ns_{0};
  std::atomic<bool> low_{false};
  std::atomic<int64_t> last_free_{-1};
  std::atomic<bool> stopped_{false};  // RocksDB holds a background error
  std::mutex mu_;                     // guards the strings below
  std::string stopped_reason_;
  std::string read_only_reason_;
};

}  // namespace demarche::ledger
