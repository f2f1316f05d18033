// The date index's copies (keys::CopiedInDateIndex): an event dated in an
// earlier year than its branch had reached is copied into its date-index
// entry, and a read by date takes it from there.
#include <gtest/gtest.h>

#include "ledger/keys.h"
#include "ledger_test_util.h"

namespace demarche::ledger {
namespace {

using ltest::RawDb;
using ltest::Statement;

class DateIndexTest : public ltest::LedgerTest {
 protected:
  // The date index entry of `seq` (the ledger must be closed).
  std::string Entry(uint64_t seq, const char* date, uint32_t bid = 1) {
    RawDb raw(dir_.path());
    return raw.Get(raw.dates(), RawDb::DateKey(seq, SortKey(ltest::Date(date)), bid));
  }
  std::string Stored(uint64_t seq, uint32_t bid = 1) {
    RawDb raw(dir_.path());
    return raw.Get(raw.events(), RawDb::EventKey(seq, bid));
  }
  std::vector<v1::Event> ByDate(const std::string& branch) {
    std::vector<v1::Event> out;
    auto it = ledger_->ReadByOccurred("s", branch, kMinDateKey, kMaxDateKey, 0, EventFields::kAll, 0);
    EXPECT_TRUE(it.ok()) << it.status();
    if (!it.ok()) return out;
    for (; (*it)->Valid(); (*it)->Next()) out.push_back((*it)->event());
    last_status_ = (*it)->status();
    return out;
  }
  absl::Status last_status_;
};

TEST(CopiedInDateIndex, OnlyAnEarlierYearThanTheHighWater) {
  EXPECT_FALSE(keys::CopiedInDateIndex(20030827, 0));
  EXPECT_FALSE(keys::CopiedInDateIndex(20030000, 20031231));  // year precision, same year
  EXPECT_FALSE(keys::CopiedInDateIndex(20031200, 20031231));  // month precision
  EXPECT_FALSE(keys::CopiedInDateIndex(20040101, 20031231));
  EXPECT_TRUE(keys::CopiedInDateIndex(20021231, 20030101));
  EXPECT_TRUE(keys::CopiedInDateIndex(19500000, 20030827));
}

// The rule holds across batches and reopens (the high water is read back
// from the index), and a branch's high water counts its own events only.
TEST_F(DateIndexTest, EventsDatedBeforeTheBranchsYearAreCopied) {
  AppendOk("main",
           {Statement("a", "2003-08-27"), Statement("b", "2004-01-05"),
            Statement("c", "2003-12-01"), Statement("d", "2004-02"), Statement("e", "2004")});
  ASSERT_TRUE(ledger_->CreateBranch("s", "alt", "main", 5, {}, "tester", "").ok());
  ledger_.reset();
  EXPECT_EQ(Entry(1, "2003-08-27"), "");
  EXPECT_EQ(Entry(2, "2004-01-05"), "");
  EXPECT_EQ(Entry(3, "2003-12-01"), Stored(3));
  EXPECT_EQ(Entry(4, "2004-02"), "");
  EXPECT_EQ(Entry(5, "2004"), "");
  Reopen();
  AppendOk("main", {Statement("f", "2003-12-31")});
  // The branch's first own event sets its high water, whatever main reached.
  AppendOk("alt", {Statement("g", "1990-05-01")});
  AppendOk("alt", {Statement("h", "1980-05-01"), Statement("i", "1990-12")});
  ledger_.reset();
  EXPECT_EQ(Entry(6, "2003-12-31"), Stored(6));
  EXPECT_NE(Stored(6), "");
  EXPECT_EQ(Entry(6, "1990-05-01", 2), "");
  EXPECT_EQ(Entry(7, "1980-05-01", 2), Stored(7, 2));
  EXPECT_EQ(Entry(8, "1990-12", 2), "");
  Reopen();
  auto v = ledger_->Verify("s", "alt");
  ASSERT_TRUE(v.ok()) << v.status();
  EXPECT_TRUE(v->ok) << v->reason;
}

// A read by date takes a copied event from its entry: it still reads with
// the event itself gone from the events, which a read by seq reports.
TEST_F(DateIndexTest, AReadByDateTakesACopiedEventFromItsEntry) {
  AppendOk("main", {Statement("a", "2003-08-27"), Statement("b", "1999-03-01"),
                    Statement("c", "2003-09-01")});
  const std::vector<v1::Event> before = ByDate("main");
  ASSERT_EQ(ltest::Ids(before), (std::vector<std::string>{"b", "a", "c"}));
  ledger_.reset();
  {
    RawDb raw(dir_.path());
    raw.Delete(raw.events(), RawDb::EventKey(2));
  }
  Reopen();
  const std::vector<v1::Event> after = ByDate("main");
  EXPECT_TRUE(last_status_.ok()) << last_status_;
  ASSERT_EQ(after.size(), 3u);
  EXPECT_EQ(after[0].SerializeAsString(), before[0].SerializeAsString());
  EXPECT_EQ(ledger_->GetEvent("s", "main", 2).status().code(), absl::StatusCode::kNotFound);
  // An event without a copy is fetched: gone, the read by date says so.
  ledger_.reset();
  {
    RawDb raw(dir_.path());
    raw.Delete(raw.events(), RawDb::EventKey(3));
  }
  Reopen();
  ByDate("main");
  EXPECT_EQ(last_status_.code(), absl::StatusCode::kDataLoss) << last_status_;
  EXPECT_NE(last_status_.message().find("seq 3"), std::string::npos) << last_status_;
}

}  // namespace
}  // namespace demarche::ledger
