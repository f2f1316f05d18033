#include "ledger/store.h"

#include <algorithm>
#include <filesystem>

#include <rocksdb/filter_policy.h>
#include <rocksdb/slice_transform.h>
#include <rocksdb/table.h>
#include <rocksdb/write_batch.h>
#include <rocksdb/write_buffer_manager.h>

#include <fmt/format.h>

#include "ledger/date.h"
#include "ledger/info_log.h"
#include "ledger/keys.h"

namespace demarche::ledger {

namespace {

// "... in file /srv/demarche/000012.sst ..." -> "... in file 000012.sst ...".
std::string WithoutPaths(std::string_view text) {
  std::string out;
  out.reserve(text.size());
  for (size_t i = 0; i < text.size();) {
    const bool starts_path = text[i] == '/' && (i == 0 || text[i - 1] == ' ' || text[i - 1] == ':');
    if (!starts_path) {
      out += text[i++];
      continue;
    }
    size_t end = text.find_first_of(" ,;:)'\"", i);
    if (end == std::string_view::npos) end = text.size();
    const std::string_view path = text.substr(i, end - i);
    out += path.substr(path.rfind('/') + 1);
    i = end;
  }
  return out;
}

}  // namespace

absl::Status FromRocks(const rocksdb::Status& s, std::string_view what) {
  if (s.ok()) return absl::OkStatus();
  if (s.IsNoSpace())
    return absl::ResourceExhaustedError(fmt::format(
        "{}: read-only: disk full (no space left on the device); writes resume by themselves "
        "once space is freed",
        what));
  const std::string msg = fmt::format("{}: {}", what, WithoutPaths(s.ToString()));
  if (s.IsNotFound()) return absl::NotFoundError(msg);
  if (s.IsCorruption()) return absl::DataLossError(msg);
  if (s.IsInvalidArgument()) return absl::InvalidArgumentError(msg);
  if (s.IsBusy() || s.IsTimedOut() || s.IsTryAgain()) return absl::UnavailableError(msg);
  return absl::InternalError(msg);
}

namespace {

// Schema 1 or 2 -> 3 (then 3 -> 4, the trees: ledger/tree.cc), in one pass over the stored events
// (in key order: branch by branch, in seq order): the corrections index (from version 1) and the
// copies in the date index. Written in batches; every write is idempotent and the version comes
// last, so a crash midway leaves the old version and the next open starts again. An event that does
// not parse is left as it is (every read of it reports DATA_LOSS, as before).
absl::Status Upgrade(Store& store, uint32_t from) {
  rocksdb::ReadOptions scan;
  scan.fill_cache = false;
  std::unique_ptr<rocksdb::Iterator> it(store.db->NewIterator(scan, store.events));
  rocksdb::WriteOptions wo;
  rocksdb::WriteBatch batch;
  constexpr size_t kBatchBytes = 8 << 20;
  v1::Event event;
  keys::BranchIds branch;
  uint32_t high_water = 0;
  for (it->SeekToFirst(); it->Valid(); it->Next()) {
    const rocksdb::Slice value = it->value();
    auto key = keys::DecodeEventKey(std::string_view(it->key().data(), it->key().size()));
    if (!key || !event.ParseFromArray(value.data(), static_cast<int>(value.size()))) continue;
    if (keys::BranchIds{key->sid, key->bid} != branch) {
      branch = {key->sid, key->bid};
      high_water = 0;
    }
    if (from < 2 && event.move().has_correction())
      batch.Put(store.corrections, it->key(), rocksdb::Slice());
    const uint32_t sort_key = SortKey(event.occurred());
    if (keys::CopiedInDateIndex(sort_key, high_water))
      batch.Put(store.dates, keys::EncodeDateKey({key->sid, key->bid, sort_key, key->seq}), value);
    high_water = std::max(high_water, sort_key);
    if (batch.GetDataSize() >= kBatchBytes) {
      if (absl::Status s = FromRocks(store.db->Write(wo, &batch), "upgrading the schema"); !s.ok())
        return s;
      batch.Clear();
    }
  }
  if (!it->status().ok()) return FromRocks(it->status(), "upgrading the schema");
  const std::string version = keys::EncodeU32(3);
  batch.Put(store.meta,
            rocksdb::Slice(keys::kSchemaVersionKey.data(), keys::kSchemaVersionKey.size()),
            version);
  wo.sync = true;
  return FromRocks(store.db->Write(wo, &batch), "upgrading the schema");
}

}  // namespace

Store::~Store() {
  if (!db) return;
  for (auto* h : handles) db->DestroyColumnFamilyHandle(h);
  db->Close().PermitUncheckedError();
}

absl::StatusOr<std::shared_ptr<Store>> Store::Open(const std::string& path,
                                                   const Options& options) {
  if (options.create_if_missing) {
    // RocksDB creates only the last path component.
    std::error_code ec;
    std::filesystem::create_directories(path, ec);
    if (ec)
      return absl::InternalError(
          fmt::format("creating ledger directory {}: {}", path, ec.message()));
  }
  rocksdb::Options db_options;
  db_options.create_if_missing = options.create_if_missing;
  if (std::filesystem::is_directory(path)) db_options.info_log = NewInfoLog(path);
  auto guard = std::make_shared<DiskGuard>(path, options.min_free_disk_bytes);
  db_options.listeners.push_back(guard);
  db_options.create_missing_column_families = true;
  db_options.max_background_jobs = 2;
  if (options.memtable_budget_bytes > 0)
    db_options.write_buffer_manager =
        std::make_shared<rocksdb::WriteBufferManager>(options.memtable_budget_bytes);

  // Point lookups (events by seq, ids, names) dominate appends: bloom filters
  // let misses skip SST files.
  rocksdb::BlockBasedTableOptions table;
  table.block_cache = rocksdb::NewLRUCache(options.block_cache_bytes);
  table.filter_policy.reset(rocksdb::NewBloomFilterPolicy(10));
  rocksdb::ColumnFamilyOptions cf_options(db_options);
  cf_options.table_factory.reset(rocksdb::NewBlockBasedTableFactory(table));
  // A quarter of the budget per memtable (RocksDB's default is 64 MB each).
  if (options.memtable_budget_bytes > 0)
    cf_options.write_buffer_size = std::max<size_t>(options.memtable_budget_bytes / 4, 1 << 20);
  // Appends look every new id up in the memtable first; a whole-key bloom
  // there turns those misses into a hash probe.
  cf_options.memtable_prefix_bloom_size_ratio = 0.02;
  cf_options.memtable_whole_key_filtering = true;
  // Flushes and the first compactions write their files uncompressed:
  // Snappy on flushes took 8 % of the server's CPU under a streamed
  // load, for files that compaction soon rewrites. The deeper levels, which
  // hold most of the bytes, stay compressed (LZ4, faster than the default
  // Snappy at a similar ratio); RocksDB uses the last entry for the levels
  // beyond the list.
  cf_options.compression_per_level = {rocksdb::kNoCompression, rocksdb::kNoCompression,
                                      rocksdb::kLZ4Compression};

  std::vector<rocksdb::ColumnFamilyDescriptor> descriptors;
  descriptors.emplace_back(rocksdb::kDefaultColumnFamilyName, cf_options);
  // Appends insert events, ids and dates in key order within a branch (the
  // sid:u32 bid:u32 prefix): a per-branch hint of the last insert position
  // spares the memtable's skip list a search from the top (-19% of its
  // instructions). Not for snapshots: RocksDB 7.8 asserts on range deletes
  // with hints.
  rocksdb::ColumnFamilyOptions appended = cf_options;
  appended.memtable_insert_with_hint_prefix_extractor.reset(rocksdb::NewFixedPrefixTransform(8));
  // Events are read mostly in long runs (replays, audits, reads, catch-up),
  // each block by its own pread: 32 KB blocks hold about 16 events instead of
  // 2 (a 1M-event replay +65 %, an audit +56 %). The price: a lookup of one
  // event reads its whole block (with the block cached, a fork at a random
  // point of a long parent, sync off, went 0.02 -> 0.2 ms; Store::GetEvent
  // does not cache it, 0.025 ms).
  rocksdb::ColumnFamilyOptions events = appended;
  // Events and dates are read where they exist or scanned, never probed for
  // a miss: a memtable bloom there would only cost each append a write to a
  // random cache line (most of MemTable::Add's own time in a profile).
  events.memtable_prefix_bloom_size_ratio = 0;
  rocksdb::BlockBasedTableOptions events_table = table;
  events_table.block_size = kEventBlockBytes;
  events.table_factory.reset(rocksdb::NewBlockBasedTableFactory(events_table));
  rocksdb::ColumnFamilyOptions dates = appended;
  dates.memtable_prefix_bloom_size_ratio = 0;
  // Snapshots are few, large and written once: compressed at every level
  // (uncompressed on flush they took twice the disk).
  rocksdb::ColumnFamilyOptions snapshots = cf_options;
  snapshots.compression_per_level.clear();
  snapshots.compression = rocksdb::kLZ4Compression;
  for (const char* name : kColumnFamilies) {
    const std::string_view cf = name;
    if (cf == "events") {
      descriptors.emplace_back(name, events);
    } else if (cf == "snapshots") {
      descriptors.emplace_back(name, snapshots);
    } else {
      // The corrections index is written like the dates (in key order per
      // branch) and only ever scanned; tree nodes are read only where they
      // exist, so neither needs a memtable bloom.
      const bool like_dates = cf == "dates" || cf == "corrections" || cf == "tree";
      descriptors.emplace_back(name, cf == "ids" ? appended : like_dates ? dates : cf_options);
    }
  }

  auto store = std::make_shared<Store>();
  store->guard = guard;
  rocksdb::DB* raw = nullptr;
  rocksdb::Status s =
      rocksdb::DB::Open(rocksdb::DBOptions(db_options), path, descriptors, &store->handles, &raw);
  bool read_only = false;
  if (s.IsNoSpace()) {
    // Opening writes a new WAL, manifest and options file; reading needs
    // none of them.
    store->handles.clear();
    s = rocksdb::DB::OpenForReadOnly(rocksdb::DBOptions(db_options), path, descriptors,
                                     &store->handles, &raw);
    read_only = s.ok();
  }
  if (!s.ok()) return FromRocks(s, fmt::format("opening ledger at {}", path));
  store->db.reset(raw);
  if (read_only)
    guard->SetOpenedReadOnly(
        "read-only: the disk was full when the server started (the ledger was opened for "
        "reading only); restart it once space is freed");
  store->events = store->handles[1];
  store->branches = store->handles[2];
  store->scenarios = store->handles[3];
  store->ids = store->handles[4];
  store->dates = store->handles[5];
  store->snapshots = store->handles[6];
  store->meta = store->handles[7];
  store->corrections = store->handles[8];
  store->tree = store->handles[9];

  // Schema version: written on first open, checked afterwards; an older
  // ledger is upgraded in place.
  auto version = store->Get(store->meta, keys::kSchemaVersionKey);
  if (!version.ok()) return version.status();
  if (read_only && (!version->has_value() || keys::DecodeU32(**version) != keys::kSchemaVersion))
    return absl::ResourceExhaustedError(
        "opening the ledger: disk full, and its schema must be written before it can be read");
  if (!version->has_value()) {
    s = store->db->Put(
        rocksdb::WriteOptions(), store->meta,
        rocksdb::Slice(keys::kSchemaVersionKey.data(), keys::kSchemaVersionKey.size()),
        keys::EncodeU32(keys::kSchemaVersion));
    if (!s.ok()) return FromRocks(s, "writing schema version");
  } else {
    auto v = keys::DecodeU32(**version);
    if (v && (*v == 1 || *v == 2)) {
      if (absl::Status st = Upgrade(*store, *v); !st.ok()) return st;
      store->tree_missing = true;
    } else if (v && *v == 3) {
      store->tree_missing = true;
    } else if (!v || *v != keys::kSchemaVersion)
      return absl::FailedPreconditionError(
          fmt::format("ledger at {} has schema version {}; this build reads version {}", path,
                      v ? std::to_string(*v) : "(unreadable)", keys::kSchemaVersion));
  }
  return store;
}

absl::StatusOr<std::optional<std::string>> Store::Get(rocksdb::ColumnFamilyHandle* cf,
                                                      std::string_view key) const {
  return Get(rocksdb::ReadOptions(), cf, key);
}

absl::StatusOr<std::optional<std::string>> Store::Get(const rocksdb::ReadOptions& options,
                                                      rocksdb::ColumnFamilyHandle* cf,
                                                      std::string_view key) const {
  std::string value;
  rocksdb::Status s = db->Get(options, cf, rocksdb::Slice(key.data(), key.size()), &value);
  if (s.IsNotFound()) return std::nullopt;
  if (!s.ok()) return FromRocks(s, "reading");
  return value;
}

absl::StatusOr<std::optional<v1::Event>> Store::GetEvent(uint32_t sid, uint32_t bid,
                                                         uint64_t seq) const {
  // One event is read at a point (a fork point, GetEvent, a retry's
  // stored copy) without filling the block cache with its 32 KB block: a
  // cached block is fresh memory, page-faulted in, which took most of a
  // cold point read's time (a fork of a 300k-event parent, sync off:
  // p50 0.16 -> 0.025 ms); uncached, the same buffer is reused. Scans cache
  // as before.
  rocksdb::ReadOptions point;
  point.fill_cache = false;
  auto value = Get(point, events, keys::EncodeEventKey({sid, bid, seq}));
  if (!value.ok()) return value.status();
  if (!value->has_value()) return std::nullopt;
  v1::Event event;
  if (!event.ParseFromString(**value))
    return absl::DataLossError(fmt::format("stored event at seq {} does not parse", seq));
  return event;
}

absl::StatusOr<uint32_t> Store::DateHighWater(uint32_t sid, uint32_t bid) const {
  auto dates_of = BoundedIterator::OverBranch(*this, dates, sid, bid, /*fill_cache=*/true);
  rocksdb::Iterator& it = *dates_of->it;
  it.SeekToLast();
  if (!it.Valid()) {
    if (!it.status().ok()) return FromRocks(it.status(), "reading the date index");
    return 0;
  }
  auto key = keys::DecodeDateKey(std::string_view(it.key().data(), it.key().size()));
  if (!key) return absl::DataLossError("malformed date index key");
  return key->sort_key;
}

BoundedIterator::BoundedIterator(const Store& store, rocksdb::ColumnFamilyHandle* cf,
                                 std::string lo, std::string up, bool fill_cache)
    : lower(std::move(lo)), upper(std::move(up)), lower_slice(lower), upper_slice(upper) {
  rocksdb::ReadOptions ro;
  ro.iterate_lower_bound = &lower_slice;
  if (!upper.empty()) ro.iterate_upper_bound = &upper_slice;
  ro.fill_cache = fill_cache;
  it.reset(store.db->NewIterator(ro, cf));
}

std::unique_ptr<BoundedIterator> BoundedIterator::OverBranch(const Store& store,
                                                             rocksdb::ColumnFamilyHandle* cf,
                                                             uint32_t sid, uint32_t bid,
                                                             bool fill_cache) {
  std::string prefix = keys::BranchPrefix(sid, bid);
  std::string end = keys::PrefixSuccessor(prefix).value_or(std::string());
  return std::make_unique<BoundedIterator>(store, cf, std::move(prefix), std::move(end),
                                           fill_cache);
}

}  // namespace demarche::ledger
