// Reading: by seq in both directions with bounds, by occurred date over a
// lineage, single events, waiting for a new head, and which reads cache.
#include <algorithm>
#include <thread>

#include <fmt/format.h>

#include <gtest/gtest.h>
#include <rocksdb/db.h>

#include "ledger/canonical.h"
#include "ledger/prefetch.h"
#include "ledger/rocks_ledger.h"
#include "ledger/store.h"
#include "ledger_test_util.h"

namespace demarche::ledger {
namespace {

using ltest::Ids;
using ltest::LedgerTest;
using ltest::ReadAll;
using ltest::Retraction;
using ltest::Seqs;
using ltest::Statement;
using Strings = std::vector<std::string>;
using U64s = std::vector<uint64_t>;

std::vector<v1::Event> ByOccurred(Ledger& l, const std::string& branch, const char* from,
                                  const char* to, uint64_t max_seq = 0, uint64_t from_seq = 0) {
  const uint32_t from_key = from ? SortKey(ltest::Date(from)) : kMinDateKey;
  const uint32_t to_key = to ? LastDayKey(ltest::Date(to)) : kMaxDateKey;
  auto it = l.ReadByOccurred("s", branch, from_key, to_key, max_seq, EventFields::kAll, from_seq);
  EXPECT_TRUE(it.ok()) << it.status();
  std::vector<v1::Event> out;
  if (!it.ok()) return out;
  for (; (*it)->Valid(); (*it)->Next()) out.push_back((*it)->event());
  EXPECT_TRUE((*it)->status().ok()) << (*it)->status();
  return out;
}

TEST_F(LedgerTest, ReadsForwardAndBackwardWithSeqBounds) {
  AppendOk("main", ltest::Statements("a", 10));
  auto read = [&](Direction d, uint64_t from, uint64_t max) {
    ReadOptions o;
    o.direction = d;
    o.from_seq = from;
    o.max_seq = max;
    return Seqs(ReadAll(*ledger_, "s", "main", o));
  };
  const auto F = Direction::kForward, B = Direction::kBackward;
  EXPECT_EQ(read(F, 0, 0), (U64s{1, 2, 3, 4, 5, 6, 7, 8, 9, 10}));
  EXPECT_EQ(read(F, 8, 0), (U64s{8, 9, 10}));
  EXPECT_EQ(read(F, 3, 5), (U64s{3, 4, 5}));
  EXPECT_EQ(read(F, 11, 0), (U64s{}));
  EXPECT_EQ(read(F, 6, 5), (U64s{}));
  EXPECT_EQ(read(B, 0, 0), (U64s{10, 9, 8, 7, 6, 5, 4, 3, 2, 1}));
  EXPECT_EQ(read(B, 3, 0), (U64s{3, 2, 1}));
  EXPECT_EQ(read(B, 0, 4), (U64s{4, 3, 2, 1}));
  EXPECT_EQ(read(B, 50, 0).size(), 10u);
  EXPECT_EQ(ledger_->Read("s", "nope", {}).status().code(), absl::StatusCode::kNotFound);
}

TEST_F(LedgerTest, ReadByOccurredOrdersByDateThenSeqOverTheLineage) {
  AppendOk("main", {Statement("d2", "2003-12-09"), Statement("d1", "2003-08-27"),
                    Statement("m12", "2003-12"), Statement("y", "2003"),
                    Statement("d2b", "2003-12-09"), Statement("late", "2004-02-25")});
  EXPECT_EQ(Ids(ByOccurred(*ledger_, "main", nullptr, nullptr)),
            (Strings{"y", "d1", "m12", "d2", "d2b", "late"}));
  // Ranges of sort keys: all of December 2003.
  EXPECT_EQ(Ids(ByOccurred(*ledger_, "main", "2003-12", "2003-12")), (Strings{"m12", "d2", "d2b"}));
  EXPECT_EQ(Ids(ByOccurred(*ledger_, "main", "2003-12-09", "2003-12-09")), (Strings{"d2", "d2b"}));
  EXPECT_EQ(Ids(ByOccurred(*ledger_, "main", "2004", nullptr)), (Strings{"late"}));
  EXPECT_TRUE(ByOccurred(*ledger_, "main", "2005", nullptr).empty());
  EXPECT_TRUE(ByOccurred(*ledger_, "main", "2004", "2003").empty());  // from > to
  // Known at seq 3.
  EXPECT_EQ(Ids(ByOccurred(*ledger_, "main", nullptr, nullptr, 3)), (Strings{"d1", "m12", "d2"}));
  // From a place in date order: at from_key only seqs >= from_seq (d2 is
  // seq 1, d2b seq 5); later keys whatever their seq.
  EXPECT_EQ(Ids(ByOccurred(*ledger_, "main", "2003-12-09", nullptr, 0, 2)),
            (Strings{"d2b", "late"}));
  EXPECT_EQ(Ids(ByOccurred(*ledger_, "main", "2003-12-09", nullptr, 0, 5)),
            (Strings{"d2b", "late"}));
  EXPECT_EQ(Ids(ByOccurred(*ledger_, "main", "2003-12-09", nullptr, 0, 6)), (Strings{"late"}));
  EXPECT_EQ(Ids(ByOccurred(*ledger_, "main", "2003-12", nullptr, 0, 4)),
            (Strings{"d2", "d2b", "late"}));

  // A branch merges its inherited events with its own, honouring the cutoff.
  ASSERT_TRUE(ledger_->CreateBranch("s", "b", "main", 5, ltest::Date("2003-12-31"), "a", "").ok());
  AppendOk("b", {Statement("b1", "2003-09-01"), Statement("b2", "2003-01-15")});
  AppendOk("main", {Statement("after", "2003-09-02")});
  EXPECT_EQ(Ids(ByOccurred(*ledger_, "b", nullptr, nullptr)),
            (Strings{"y", "b2", "d1", "b1", "m12", "d2", "d2b"}));
  EXPECT_EQ(Ids(ByOccurred(*ledger_, "b", "2003-09", "2003-12-01")), (Strings{"b1", "m12"}));
  EXPECT_EQ(Ids(ByOccurred(*ledger_, "b", nullptr, nullptr, 6)),
            (Strings{"y", "d1", "b1", "m12", "d2", "d2b"}));
  // ... over both segments of the lineage (b2 is seq 7, on b).
  EXPECT_EQ(Ids(ByOccurred(*ledger_, "b", "2003-01-15", nullptr, 0, 7)),
            (Strings{"b2", "d1", "b1", "m12", "d2", "d2b"}));
  EXPECT_EQ(Ids(ByOccurred(*ledger_, "b", "2003-01-15", nullptr, 0, 8)),
            (Strings{"d1", "b1", "m12", "d2", "d2b"}));
}

// corrections_only walks the corrections index: exactly the corrections of
// the lineage, in either direction, within the seq bounds and a fork's cutoff.
TEST_F(LedgerTest, ReadsOnlyTheCorrectionsOfTheLineage) {
  AppendOk("main", {Statement("a", "2003-08-27"), Statement("b", "2003-08-28"),
                    Retraction("fix-a", "a", "2003-09-01"), Statement("c", "2003-09-02"),
                    Retraction("fix-b", "b", "2004-01-10")});
  ASSERT_TRUE(ledger_->CreateBranch("s", "fork", "main", 5, ltest::Date("2003-12"), "a", "").ok());
  AppendOk("fork", {Retraction("fix-c", "c", "2003-10-01"), Statement("d", "2003-10-02")});
  AppendOk("main", {Retraction("fix-c", "c", "2004-02-01")});
  auto corrections = [&](const std::string& branch, Direction d, uint64_t from, uint64_t max) {
    ReadOptions o;
    o.corrections_only = true;
    o.direction = d;
    o.from_seq = from;
    o.max_seq = max;
    return ReadAll(*ledger_, "s", branch, o);
  };
  const auto F = Direction::kForward, B = Direction::kBackward;
  EXPECT_EQ(Ids(corrections("main", F, 0, 0)), (Strings{"fix-a", "fix-b", "fix-c"}));
  EXPECT_EQ(Seqs(corrections("main", F, 0, 0)), (U64s{3, 5, 6}));
  EXPECT_EQ(Ids(corrections("main", B, 0, 0)), (Strings{"fix-c", "fix-b", "fix-a"}));
  EXPECT_EQ(Ids(corrections("main", F, 4, 5)), (Strings{"fix-b"}));
  // The fork inherits fix-a; fix-b is past its cutoff, main's fix-c past its
  // fork point.
  const std::vector<v1::Event> fork = corrections("fork", F, 0, 0);
  EXPECT_EQ(Ids(fork), (Strings{"fix-a", "fix-c"}));
  EXPECT_EQ(Seqs(fork), (U64s{3, 6}));
  ASSERT_EQ(fork.size(), 2u);
  EXPECT_EQ(fork[1].branch(), "fork");
  // And after a reopen.
  Reopen();
  EXPECT_EQ(Ids(corrections("fork", B, 0, 0)), (Strings{"fix-c", "fix-a"}));
}

// Read for a fold, the same events in the same order, each cut down to the
// fields a fold reads.
TEST_F(LedgerTest, ReadByOccurredForAFoldKeepsTheOrderAndTheFoldFields) {
  AppendOk("main", {Statement("d2", "2003-12-09"), Statement("d1", "2003-08-27"),
                    ltest::Proposal("p", "2003-12"), Statement("y", "2003")});
  ASSERT_TRUE(ledger_->CreateBranch("s", "b", "main", 3, std::nullopt, "a", "").ok());
  AppendOk("b", {Statement("b1", "2003-09-01")});
  for (const char* branch : {"main", "b"}) {
    const std::vector<v1::Event> whole = ByOccurred(*ledger_, branch, nullptr, nullptr);
    auto it =
        ledger_->ReadByOccurred("s", branch, kMinDateKey, kMaxDateKey, 0, EventFields::kMove, 0);
    ASSERT_TRUE(it.ok()) << it.status();
    size_t i = 0;
    for (; (*it)->Valid(); (*it)->Next(), ++i) {
      ASSERT_LT(i, whole.size());
      v1::Event want;
      ASSERT_TRUE(ParseMoveFields(CanonicalBytes(whole[i]), &want));
      EXPECT_EQ(CanonicalBytes((*it)->event()), CanonicalBytes(want)) << branch << " " << i;
      EXPECT_TRUE((*it)->event().sources().empty());
      EXPECT_EQ((*it)->event().seq(), whole[i].seq());
    }
    EXPECT_TRUE((*it)->status().ok()) << (*it)->status();
    EXPECT_EQ(i, whole.size()) << branch;
  }
}

// The date-order reader steps through nearby events and seeks for far or
// backward ones: over a long shuffled lineage both paths must give exactly
// the events sorted by (date, seq), cutoff and known-at honoured.
TEST_F(LedgerTest, ReadByOccurredMatchesASortOfTheLineage) {
  uint64_t rng = 42;
  auto next = [&rng](uint64_t n) {
    rng = rng * 6364136223846793005ULL + 1442695040888963407ULL;
    return (rng >> 33) % n;
  };
  // Mostly advancing dates with backdated, month- and year-precision events.
  auto batch = [&](const std::string& prefix, int n, int* day) {
    std::vector<v1::Event> out;
    for (int i = 0; i < n; ++i) {
      *day += static_cast<int>(next(3));
      int d = *day;
      if (next(10) == 0) d = std::max(0, d - static_cast<int>(next(400)));  // backdated
      const int year = 1990 + d / 336, month = 1 + d % 336 / 28, dd = 1 + d % 28;
      const uint64_t precision = next(10);
      const std::string date = precision < 6   ? fmt::format("{}-{:02}-{:02}", year, month, dd)
                               : precision < 9 ? fmt::format("{}-{:02}", year, month)
                                               : fmt::format("{}", year);
      out.push_back(Statement(prefix + std::to_string(i), date.c_str()));
    }
    return out;
  };
  int day = 500;
  for (int i = 0; i < 6; ++i) AppendOk("main", batch(fmt::format("m{}_", i), 200, &day));
  ASSERT_TRUE(ledger_->CreateBranch("s", "b", "main", 700, ltest::Date("2000-06"), "a", "").ok());
  int branch_day = 300;
  for (int i = 0; i < 3; ++i) AppendOk("b", batch(fmt::format("b{}_", i), 200, &branch_day));

  auto expected = [&](const std::string& branch, uint64_t max_seq, const char* from = nullptr,
                      const char* to = nullptr) {
    ReadOptions o;
    o.max_seq = max_seq;
    std::vector<v1::Event> all = ReadAll(*ledger_, "s", branch, o);
    std::erase_if(all, [&](const v1::Event& e) {
      return (from && SortKey(e.occurred()) < SortKey(ltest::Date(from))) ||
             (to && SortKey(e.occurred()) > LastDayKey(ltest::Date(to)));
    });
    std::stable_sort(all.begin(), all.end(), [](const v1::Event& a, const v1::Event& b) {
      return std::pair(SortKey(a.occurred()), a.seq()) < std::pair(SortKey(b.occurred()), b.seq());
    });
    return Ids(all);
  };
  for (const std::string branch : {"main", "b"}) {
    for (const uint64_t max_seq : {uint64_t{0}, uint64_t{650}, uint64_t{1000}}) {
      const Strings want = expected(branch, max_seq);
      ASSERT_GT(want.size(), 600u);
      EXPECT_EQ(Ids(ByOccurred(*ledger_, branch, nullptr, nullptr, max_seq)), want)
          << branch << " known at " << max_seq;
    }
    // Date windows (an as-of query resuming from a snapshot reads one).
    for (const auto& [from, to] : std::vector<std::pair<const char*, const char*>>{
             {"1991-03", "1992-11-05"}, {"1992", "1993"}, {"1990-11-02", "1991-06"}}) {
      const Strings want = expected(branch, 0, from, to);
      ASSERT_GT(want.size(), 30u) << branch << " " << from << ".." << to;
      EXPECT_EQ(Ids(ByOccurred(*ledger_, branch, from, to)), want)
          << branch << " from " << from << " to " << to;
    }
  }
}

// A read in seq order passes the block cache by (each cached block is
// fresh memory and a long run would evict the working set); a read in date
// order caches event blocks, which it seeks back into.
TEST_F(LedgerTest, ReadsInSeqOrderBypassTheBlockCacheReadsByDateFillIt) {
  std::vector<v1::Event> events = ltest::Statements("big", 60);
  for (v1::Event& e : events) e.set_summary(std::string(3000, 's'));
  AppendOk("main", events);
  Store& store = dynamic_cast<RocksLedger&>(*ledger_).store_for_testing();
  ASSERT_TRUE(store.db->Flush(rocksdb::FlushOptions(), {store.events, store.dates}).ok());
  auto cached = [&] {
    uint64_t bytes = 0;
    EXPECT_TRUE(store.db->GetIntProperty(store.events, "rocksdb.block-cache-usage", &bytes));
    return bytes;
  };
  const uint64_t before = cached();
  EXPECT_EQ(ReadAll(*ledger_, "s", "main").size(), 60u);
  ReadOptions backward;
  backward.direction = Direction::kBackward;
  EXPECT_EQ(ReadAll(*ledger_, "s", "main", backward).size(), 60u);
  EXPECT_LT(cached(), before + kEventBlockBytes / 2);
  EXPECT_EQ(ByOccurred(*ledger_, "main", nullptr, nullptr).size(), 60u);
  EXPECT_GE(cached(), before + 2 * kEventBlockBytes);
}

// Events of an in-memory list, then `end` as the status: stands in for a
// ledger iterator that fails part-way.
class ListIterator final : public EventIterator {
 public:
  ListIterator(std::vector<v1::Event> events, absl::Status end)
      : events_(std::move(events)), end_(std::move(end)) {}
  bool Valid() const override { return pos_ < events_.size(); }
  void Next() override { ++pos_; }
  const v1::Event& event() const override { return events_[pos_]; }
  absl::Status status() const override { return Valid() ? absl::OkStatus() : end_; }

 private:
  std::vector<v1::Event> events_;
  absl::Status end_;
  size_t pos_ = 0;
};

// The reading thread refills the batches the caller is done with: events
// of different shapes (some with an end date) pass through the same slots.
TEST_F(LedgerTest, PrefetchYieldsTheSourceInOrderForAnyBatch) {
  std::vector<v1::Event> events = ltest::Statements("p", 40);
  for (size_t i = 0; i < events.size(); i += 3)
    *events[i].mutable_occurred_end() = ltest::Date("2003-08-29");
  AppendOk("main", events);
  const std::vector<v1::Event> all = ReadAll(*ledger_, "s", "main");
  ASSERT_EQ(all.size(), 40u);
  for (size_t batch : {1, 3, 40, 256}) {
    auto source = ledger_->Read("s", "main", ReadOptions{});
    ASSERT_TRUE(source.ok()) << source.status();
    auto it = Prefetch(*std::move(source), batch);
    size_t i = 0;
    for (; it->Valid(); it->Next(), ++i) {
      ASSERT_LT(i, all.size());
      EXPECT_EQ(it->event().SerializeAsString(), all[i].SerializeAsString()) << "batch " << batch;
    }
    EXPECT_EQ(i, all.size()) << "batch " << batch;
    EXPECT_TRUE(it->status().ok()) << it->status();
  }
}

TEST(Prefetch, HandsOnTheSourcesErrorAfterItsEvents) {
  auto it = Prefetch(
      std::make_unique<ListIterator>(ltest::Statements("e", 5), absl::DataLossError("bad block")),
      2);
  int n = 0;
  for (; it->Valid(); it->Next()) ++n;
  EXPECT_EQ(n, 5);
  EXPECT_EQ(it->status().code(), absl::StatusCode::kDataLoss);
  EXPECT_EQ(it->status().message(), "bad block");
}

TEST(Prefetch, StopsReadingWhenDroppedEarly) {
  // The reading thread is blocked on a full queue when the iterator goes.
  auto it =
      Prefetch(std::make_unique<ListIterator>(ltest::Statements("e", 5000), absl::OkStatus()), 1);
  ASSERT_TRUE(it->Valid());
  EXPECT_EQ(it->event().id(), "e0");
  it.reset();  // must join, not hang
}

TEST_F(LedgerTest, GetEventAndFindEvent) {
  AppendOk("main", ltest::Statements("a", 3));
  EXPECT_EQ(ledger_->GetEvent("s", "main", 2)->id(), "a1");
  EXPECT_EQ(ledger_->FindEvent("s", "main", "a2")->seq(), 3u);
  auto missing = ledger_->GetEvent("s", "main", 4);
  EXPECT_EQ(missing.status().code(), absl::StatusCode::kNotFound);
  EXPECT_EQ(missing.status().message(), "no event at seq 4 in branch \"main\" of scenario \"s\"");
  EXPECT_EQ(ledger_->GetEvent("s", "main", 0).status().code(), absl::StatusCode::kNotFound);
  auto none = ledger_->FindEvent("s", "main", "zz");
  EXPECT_EQ(none.status().message(), "no event \"zz\" in branch \"main\" of scenario \"s\"");
  EXPECT_EQ(ledger_->FindEvent("x", "main", "a1").status().code(), absl::StatusCode::kNotFound);
}

TEST_F(LedgerTest, AnIteratorStaysUsableAfterTheLedgerIsGone) {
  AppendOk("main", ltest::Statements("a", 3));
  auto it = ledger_->Read("s", "main", {});
  ASSERT_TRUE(it.ok());
  ledger_.reset();
  std::vector<uint64_t> seqs;
  for (; (*it)->Valid(); (*it)->Next()) seqs.push_back((*it)->event().seq());
  EXPECT_TRUE((*it)->status().ok());
  EXPECT_EQ(seqs, (U64s{1, 2, 3}));
}

TEST_F(LedgerTest, WaitForHeadWakesOnAppendTimesOutAndStopsOnShutdown) {
  AppendOk("main", ltest::Statements("a", 2));
  EXPECT_EQ(*ledger_->WaitForHead("s", "main", 1, 10000), 2u) << "already past";
  EXPECT_EQ(*ledger_->WaitForHead("s", "main", 2, 20), 2u) << "timeout";
  EXPECT_EQ(ledger_->WaitForHead("s", "nope", 0, 10).status().code(), absl::StatusCode::kNotFound);

  std::thread writer([&] {
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
    AppendOk("main", {Statement("b")});
  });
  const auto start = std::chrono::steady_clock::now();
  EXPECT_EQ(*ledger_->WaitForHead("s", "main", 2, 30000), 3u);
  EXPECT_LT(std::chrono::steady_clock::now() - start, std::chrono::seconds(10));
  writer.join();

  std::thread stopper([&] {
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
    ledger_->Shutdown();
  });
  EXPECT_EQ(*ledger_->WaitForHead("s", "main", 3, 30000), 3u);
  EXPECT_LT(std::chrono::steady_clock::now() - start, std::chrono::seconds(10));
  stopper.join();
  // After shutdown, waits return at once.
  EXPECT_EQ(*ledger_->WaitForHead("s", "main", 3, 30000), 3u);
  EXPECT_LT(std::chrono::steady_clock::now() - start, std::chrono::seconds(10));
}

}  // namespace
}  // namespace demarche::ledger
