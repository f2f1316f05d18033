// The store's memory bounds, observed on a real RocksDB: with a memtable
// budget the memtables are flushed to SST files once they pass it; without
// one (RocksDB's defaults) the same writes stay in memory.
#include <chrono>
#include <filesystem>
#include <thread>

#include <gtest/gtest.h>

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

}  // namespace
}  // namespace demarche::ledger
