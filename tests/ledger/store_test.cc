// The store's memory bounds and file formats, observed on a real RocksDB:
// with a memtable budget the memtables are flushed to SST files once they
// pass it; without one (RocksDB's defaults) the same writes stay in memory.
// Flushed event files are uncompressed, deeper levels and snapshots
// compressed; events are kept in large blocks, and a point read of one
// event does not cache its block.
#include <chrono>
#include <filesystem>
#include <map>
#include <set>
#include <thread>

#include <fmt/format.h>
#include <rocksdb/db.h>
#include <rocksdb/table_properties.h>

#include <gtest/gtest.h>

#include "ledger/keys.h"
#include "ledger/store.h"
#include "ledger_test_util.h"

namespace demarche::ledger {
namespace {

int SstFiles(const std::string& dir) {
  int n = 0;
  for (const auto& f : std::filesystem::directory_iterator(dir))
    if (f.path().extension() == ".sst") ++n;
  return n;
}

// Appends about 12 MB of events, then waits up to 10 s for flushes to land.
int SstFilesAfterWriting(size_t memtable_budget_bytes) {
  ltest::TempDir dir;
  Options o = ltest::FastOptions();
  o.memtable_budget_bytes = memtable_budget_bytes;
  auto ledger = ltest::OpenOrDie(dir.path(), o);
  EXPECT_TRUE(ledger->CreateScenario(ltest::SixParty(), "curator").ok());
  const std::string filler(6000, 'x');
  for (int batch = 0; batch < 20; ++batch) {
    std::vector<v1::Event> events = ltest::Statements("b" + std::to_string(batch) + "_", 100);
    for (v1::Event& e : events) e.set_summary(filler);
    auto r = ledger->Append("s", "main", std::move(events), kAnyHead, "tester");
    EXPECT_TRUE(r.ok()) << r.status();
  }
  int n = SstFiles(dir.path());
  for (int i = 0; i < 100 && n == 0 && memtable_budget_bytes > 0; ++i) {
    std::this_thread::sleep_for(std::chrono::milliseconds(100));
    n = SstFiles(dir.path());
  }
  return n;
}

TEST(StoreTest, MemtableBudgetFlushesOnceMemtablesPassIt) {
  EXPECT_GT(SstFilesAfterWriting(4 << 20), 0) << "12 MB written under a 4 MB budget";
  EXPECT_EQ(SstFilesAfterWriting(0), 0) << "RocksDB's defaults keep 12 MB in memtables";
}

// The compression named by each table file of a column family (the events
// unless said), by level.
std::map<int, std::set<std::string>> CompressionByLevel(Store& store,
                                                        rocksdb::ColumnFamilyHandle* cf = nullptr) {
  if (cf == nullptr) cf = store.events;
  std::map<int, std::set<std::string>> out;
  rocksdb::ColumnFamilyMetaData meta;
  store.db->GetColumnFamilyMetaData(cf, &meta);
  rocksdb::TablePropertiesCollection props;
  EXPECT_TRUE(store.db->GetPropertiesOfAllTables(cf, &props).ok());
  for (const auto& level : meta.levels)
    for (const auto& file : level.files)
      for (const auto& [path, p] : props)
        if (path.ends_with(file.name)) out[level.level].insert(p->compression_name);
  return out;
}

// (data bytes, data blocks) summed over the events column family's files.
std::pair<uint64_t, uint64_t> EventBlocks(Store& store) {
  rocksdb::TablePropertiesCollection props;
  EXPECT_TRUE(store.db->GetPropertiesOfAllTables(store.events, &props).ok());
  std::pair<uint64_t, uint64_t> out{0, 0};
  for (const auto& [path, p] : props) {
    out.first += p->data_size;
    out.second += p->num_data_blocks;
  }
  return out;
}

TEST(StoreTest, FlushedEventFilesAreUncompressedInLargeBlocksDeeperLevelsCompress) {
  ltest::TempDir dir;
  auto store = Store::Open(dir.path(), ltest::FastOptions());
  ASSERT_TRUE(store.ok()) << store.status();
  Store& s = **store;
  const std::string value(4000, 'v');  // compressible
  for (int i = 0; i < 200; ++i)
    ASSERT_TRUE(
        s.db->Put(rocksdb::WriteOptions(), s.events, "k" + std::to_string(1000 + i), value).ok());
  ASSERT_TRUE(s.db->Flush(rocksdb::FlushOptions(), s.events).ok());
  auto flushed = CompressionByLevel(s);
  ASSERT_EQ(flushed.size(), 1u);
  EXPECT_EQ(flushed.begin()->first, 0);
  EXPECT_EQ(flushed.begin()->second, std::set<std::string>{"NoCompression"});
  // Events are stored in large blocks (uncompressed here, so each is about
  // kEventBlockBytes).
  const auto [bytes, blocks] = EventBlocks(s);
  ASSERT_GT(blocks, 0u);
  EXPECT_GE(bytes / blocks, kEventBlockBytes - 4000) << blocks << " blocks for " << bytes << " B";

  // Compacted into level 2 with the column family's own choice of codec.
  rocksdb::ColumnFamilyMetaData meta;
  s.db->GetColumnFamilyMetaData(s.events, &meta);
  std::vector<std::string> inputs;
  for (const auto& file : meta.levels[0].files) inputs.push_back(file.name);
  rocksdb::CompactionOptions co;
  co.compression = rocksdb::kDisableCompressionOption;
  ASSERT_TRUE(s.db->CompactFiles(co, s.events, inputs, /*output_level=*/2).ok());
  auto compacted = CompressionByLevel(s);
  ASSERT_EQ(compacted.size(), 1u);
  EXPECT_EQ(compacted.begin()->first, 2);
  EXPECT_EQ(compacted.begin()->second, std::set<std::string>{"LZ4"});

  // Snapshots are compressed from their first flush on.
  ASSERT_TRUE(s.db->Put(rocksdb::WriteOptions(), s.snapshots, "snap", value).ok());
  ASSERT_TRUE(s.db->Flush(rocksdb::FlushOptions(), s.snapshots).ok());
  const auto snapshots = CompressionByLevel(s, s.snapshots);
  ASSERT_EQ(snapshots.size(), 1u);
  EXPECT_EQ(snapshots.begin()->second, std::set<std::string>{"LZ4"});
}

// Only the ids are probed for misses (every appended id); the other appended
// column families would pay for a memtable bloom on every insert.
TEST(StoreTest, OnlyTheIdsHaveAMemtableBloom) {
  ltest::TempDir dir;
  auto store = Store::Open(dir.path(), ltest::FastOptions());
  ASSERT_TRUE(store.ok()) << store.status();
  Store& s = **store;
  EXPECT_GT(s.db->GetOptions(s.ids).memtable_prefix_bloom_size_ratio, 0);
  EXPECT_TRUE(s.db->GetOptions(s.ids).memtable_whole_key_filtering);
  EXPECT_EQ(s.db->GetOptions(s.events).memtable_prefix_bloom_size_ratio, 0);
  EXPECT_EQ(s.db->GetOptions(s.dates).memtable_prefix_bloom_size_ratio, 0);
}

uint64_t BlockCacheBytes(Store& store) {
  uint64_t bytes = 0;
  EXPECT_TRUE(store.db->GetIntProperty(store.events, "rocksdb.block-cache-usage", &bytes));
  return bytes;
}

TEST(StoreTest, PointReadsOfOneEventLeaveTheBlockCacheAsItWas) {
  ltest::TempDir dir;
  auto store = Store::Open(dir.path(), ltest::FastOptions());
  ASSERT_TRUE(store.ok()) << store.status();
  Store& s = **store;
  for (uint64_t seq = 1; seq <= 200; ++seq) {
    v1::Event e;
    e.set_seq(seq);
    e.set_summary(std::string(4000, 'a' + static_cast<char>(seq % 26)));
    ASSERT_TRUE(s.db->Put(rocksdb::WriteOptions(), s.events, keys::EncodeEventKey({7, 1, seq}),
                          e.SerializeAsString())
                    .ok());
  }
  ASSERT_TRUE(s.db->Flush(rocksdb::FlushOptions(), s.events).ok());

  const uint64_t before = BlockCacheBytes(s);
  auto event = s.GetEvent(7, 1, 150);
  ASSERT_TRUE(event.ok()) << event.status();
  ASSERT_TRUE(event->has_value());
  EXPECT_EQ((*event)->seq(), 150u);
  EXPECT_LT(BlockCacheBytes(s), before + kEventBlockBytes / 2) << "GetEvent cached its block";
  // The same read through the cache does add a block: the check above can see one.
  ASSERT_TRUE(s.Get(s.events, keys::EncodeEventKey({7, 1, 30})).ok());
  EXPECT_GE(BlockCacheBytes(s), before + kEventBlockBytes / 2);
}

// A ledger written before the corrections index (schema 1) or before the
// date index's copies (schema 2) gets what it lacks when opened, and moves
// to version 3. A version this build does not know is refused.
TEST(StoreTest, OpeningAnOlderLedgerUpgradesIt) {
  const std::string kVersion(keys::kSchemaVersionKey);
  const std::string kOld = ltest::RawDb::DateKey(3, SortKey(ltest::Date("1999-05-01")));
  ltest::TempDir dir;
  {
    auto ledger = ltest::OpenOrDie(dir.path());
    ASSERT_TRUE(ledger->CreateScenario(ltest::SixParty(), "curator").ok());
    ASSERT_TRUE(ledger
                    ->Append("s", "main",
                             {ltest::Statement("a"), ltest::Retraction("fix-a", "a"),
                              ltest::Statement("b", "1999-05-01"), ltest::Retraction("fix-b", "b")},
                             kAnyHead, "tester")
                    .ok());
  }
  // As an older build left it: no corrections index (1), no copy (1 and 2).
  auto downgrade = [&](uint32_t version) {
    ltest::RawDb raw(dir.path());
    EXPECT_EQ(keys::DecodeU32(raw.Get(raw.cf("meta"), kVersion)), keys::kSchemaVersion);
    EXPECT_EQ(raw.Get(raw.dates(), kOld), raw.Get(raw.events(), ltest::RawDb::EventKey(3)));
    raw.Put(raw.dates(), kOld, "");
    if (version == 1) {
      std::unique_ptr<rocksdb::Iterator> it(raw.db().NewIterator({}, raw.cf("corrections")));
      int indexed = 0;
      for (it->SeekToFirst(); it->Valid(); it->Next()) {
        EXPECT_TRUE(raw.db().Delete({}, raw.cf("corrections"), it->key()).ok());
        ++indexed;
      }
      EXPECT_EQ(indexed, 2);
    }
    raw.Put(raw.cf("meta"), kVersion, keys::EncodeU32(version));
  };
  auto upgraded = [&] {
    auto ledger = ltest::OpenOrDie(dir.path());
    if (!ledger) return false;
    ReadOptions o;
    o.corrections_only = true;
    EXPECT_EQ(ltest::Ids(ltest::ReadAll(*ledger, "s", "main", o)),
              (std::vector<std::string>{"fix-a", "fix-b"}));
    auto v = ledger->Verify("s", "main");
    return v.ok() && v->ok;
  };
  for (uint32_t version : {1u, 2u}) {
    SCOPED_TRACE(version);
    downgrade(version);
    EXPECT_TRUE(upgraded());
  }
  {
    ltest::RawDb raw(dir.path());
    EXPECT_EQ(keys::DecodeU32(raw.Get(raw.cf("meta"), kVersion)), keys::kSchemaVersion);
    EXPECT_EQ(raw.Get(raw.dates(), kOld), raw.Get(raw.events(), ltest::RawDb::EventKey(3)));
    raw.Put(raw.cf("meta"), kVersion, keys::EncodeU32(keys::kSchemaVersion + 1));
  }
  auto refused = Ledger::Open(dir.path(), ltest::FastOptions());
  EXPECT_EQ(refused.status().code(), absl::StatusCode::kFailedPrecondition);
  EXPECT_NE(refused.status().message().find(
                fmt::format("has schema version {}; this build reads version {}",
                            keys::kSchemaVersion + 1, keys::kSchemaVersion)),
            std::string::npos)
      << refused.status();
}

}  // namespace
}  // namespace demarche::ledger
