// The RocksDB handle with the ledger's column families (layout: keys.h).
// Shared (shared_ptr) by the ledger and its open iterators, so an iterator
// keeps the database open until it is destroyed.
#pragma once

#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include <rocksdb/db.h>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "demarche/v1/event.pb.h"
#include "ledger/disk_guard.h"
#include "ledger/ledger.h"

namespace demarche::ledger {

// Column family names, in the order Store::handles holds them.
inline constexpr const char* kColumnFamilies[] = {
    "events", "branches", "scenarios", "ids", "dates", "snapshots", "meta", "corrections", "tree"};

// Size of the events column family's table blocks (the others keep
// RocksDB's 4 KB).
inline constexpr size_t kEventBlockBytes = 32 << 10;

struct Store {
  std::unique_ptr<rocksdb::DB> db;
  std::vector<rocksdb::ColumnFamilyHandle*> handles;  // default first, then kColumnFamilies
  rocksdb::ColumnFamilyHandle* events = nullptr;
  rocksdb::ColumnFamilyHandle* branches = nullptr;
  rocksdb::ColumnFamilyHandle* scenarios = nullptr;
  rocksdb::ColumnFamilyHandle* ids = nullptr;
  rocksdb::ColumnFamilyHandle* dates = nullptr;
  rocksdb::ColumnFamilyHandle* snapshots = nullptr;
  rocksdb::ColumnFamilyHandle* meta = nullptr;
  rocksdb::ColumnFamilyHandle* corrections = nullptr;
  rocksdb::ColumnFamilyHandle* tree = nullptr;
  // Opened at schema version 3: the branches' Merkle trees are still to be
  // built (RocksLedger::Open builds them, then writes version 4).
  bool tree_missing = false;
  // Whether writes may go ahead (free space, RocksDB's stop, a read-only
  // open); every write path asks it first.
  std::shared_ptr<DiskGuard> guard;

  Store() = default;
  Store(const Store&) = delete;
  Store& operator=(const Store&) = delete;
  ~Store();

  // Opens read-write; should the disk be too full for that (RocksDB must
  // write a new log and manifest to open), opens read-only instead, with
  // the guard saying so, so the server still answers reads.
  static absl::StatusOr<std::shared_ptr<Store>> Open(const std::string& path,
                                                     const Options& options);

  // Point read; nullopt if the key is absent.
  absl::StatusOr<std::optional<std::string>> Get(rocksdb::ColumnFamilyHandle* cf,
                                                 std::string_view key) const;
  absl::StatusOr<std::optional<std::string>> Get(const rocksdb::ReadOptions& options,
                                                 rocksdb::ColumnFamilyHandle* cf,
                                                 std::string_view key) const;
  // The stored event at (sid, bid, seq); nullopt if absent. DATA_LOSS if the
  // bytes do not parse. Leaves the block cache as it was (see store.cc).
  absl::StatusOr<std::optional<v1::Event>> GetEvent(uint32_t sid, uint32_t bid, uint64_t seq) const;
  // The highest occurred sort key among the branch's own events (its date
  // index's last key), 0 if it has none: the high water of
  // keys::CopiedInDateIndex.
  absl::StatusOr<uint32_t> DateHighWater(uint32_t sid, uint32_t bid) const;
};

// A RocksDB iterator confined to [lower, upper) (an empty upper: no upper
// bound); it owns the bounds it points to.
struct BoundedIterator {
  std::string lower, upper;
  rocksdb::Slice lower_slice, upper_slice;
  std::unique_ptr<rocksdb::Iterator> it;

  BoundedIterator(const Store& store, rocksdb::ColumnFamilyHandle* cf, std::string lo,
                  std::string up, bool fill_cache);
  // Over every key of one branch (the sid:bid prefix) in `cf`.
  static std::unique_ptr<BoundedIterator> OverBranch(const Store& store,
                                                     rocksdb::ColumnFamilyHandle* cf, uint32_t sid,
                                                     uint32_t bid, bool fill_cache);
};

// RocksDB status -> absl status, prefixed with what was being done. No space
// left is RESOURCE_EXHAUSTED; file paths in RocksDB's message are cut to the
// file's name (a client is not told where the server keeps its data).
absl::Status FromRocks(const rocksdb::Status& s, std::string_view what);

}  // namespace demarche::ledger
