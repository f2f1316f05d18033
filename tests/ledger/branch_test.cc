// Branches: O(1) forks, lineage reads, nested forks, date cutoffs, names.
#include <memory>

#include <rocksdb/db.h>

#include <gtest/gtest.h>

#include "ledger/canonical.h"
#include "ledger_test_util.h"

namespace demarche::ledger {
namespace {

using ltest::Ids;
using ltest::LedgerTest;
using ltest::ReadAll;
using ltest::Seqs;
using ltest::Statement;
using ltest::Statements;
using Strings = std::vector<std::string>;
using U64s = std::vector<uint64_t>;

class BranchTest : public LedgerTest {
 protected:
  v1::Branch Fork(const std::string& name, const std::string& parent, uint64_t after,
                  const char* cutoff = nullptr) {
    std::optional<v1::PartialDate> c;
    if (cutoff) c = ltest::Date(cutoff);
    auto b = ledger_->CreateBranch("s", name, parent, after, c, "analyst", "what if");
    EXPECT_TRUE(b.ok()) << b.status();
    return b.ok() ? *b : v1::Branch{};
  }
  std::string HashAt(const std::string& branch, uint64_t seq) {
    auto e = ledger_->GetEvent("s", branch, seq);
    EXPECT_TRUE(e.ok()) << e.status();
    return e.ok() ? e->hash() : "";
  }
};

TEST_F(BranchTest, AForkInheritsUpToTheForkPointAndContinuesTheSeqs) {
  AppendOk("main", Statements("a", 5));
  const v1::Branch b = Fork("b", "main", 3);
  EXPECT_EQ(b.parent(), "main");
  EXPECT_EQ(b.fork_after_seq(), 3u);
  EXPECT_EQ(b.owner(), "analyst");
  EXPECT_EQ(b.description(), "what if");
  EXPECT_GT(b.created_at().seconds(), 0);
  EXPECT_EQ(b.head_seq(), 3u);
  EXPECT_EQ(b.head_hash(), HashAt("main", 3));
  EXPECT_EQ(Ids(ReadAll(*ledger_, "s", "b")), (Strings{"a0", "a1", "a2"}));

  auto own = AppendOk("b", {Statement("x0")}, 3);
  EXPECT_EQ(own.events[0].seq(), 4u);
  EXPECT_EQ(own.events[0].branch(), "b");
  EXPECT_EQ(own.events[0].prev_hash(), HashAt("main", 3)) << "chains to the fork point";
  AppendOk("main", {Statement("a5")});  // after the fork: never in b

  EXPECT_EQ(Ids(ReadAll(*ledger_, "s", "b")), (Strings{"a0", "a1", "a2", "x0"}));
  EXPECT_EQ(Seqs(ReadAll(*ledger_, "s", "b")), (U64s{1, 2, 3, 4}));
  EXPECT_EQ(Ids(ReadAll(*ledger_, "s", "main")), (Strings{"a0", "a1", "a2", "a3", "a4", "a5"}));
  EXPECT_EQ(ledger_->FindEvent("s", "b", "a3").status().code(), absl::StatusCode::kNotFound);
  EXPECT_EQ(ledger_->FindEvent("s", "b", "a1")->seq(), 2u);
  EXPECT_EQ(ledger_->GetEvent("s", "b", 4)->id(), "x0");
  EXPECT_EQ(ledger_->GetEvent("s", "b", 5).status().code(), absl::StatusCode::kNotFound);
  EXPECT_EQ(ledger_->FindEvent("s", "main", "x0").status().code(), absl::StatusCode::kNotFound);

  // The parent's post-fork events are no references in the branch, and their
  // ids are free there.
  v1::Event resp = Statement("r");
  resp.mutable_move()->mutable_correction()->set_target("a4");
  resp.mutable_move()->mutable_correction()->set_retract(true);
  resp.mutable_move()->mutable_correction()->set_reason("r");
  EXPECT_EQ(ledger_->Append("s", "b", {resp}, kAnyHead, "t").status().message(),
            "events[0].move.correction.target: \"a4\" does not resolve to an event in the "
            "lineage of branch \"b\"");
  EXPECT_EQ(AppendOk("b", {Statement("a4")}).events[0].seq(), 5u);
  // The parent's pre-fork ids are taken: an identical event is a replay.
  auto replay = AppendOk("b", {Statement("a1")});
  EXPECT_TRUE(replay.replayed);
  EXPECT_EQ(replay.events[0].seq(), 2u);
  EXPECT_EQ(replay.events[0].branch(), "main");

  for (const char* name : {"main", "b"}) {
    auto v = ledger_->Verify("s", name);
    ASSERT_TRUE(v.ok());
    EXPECT_TRUE(v->ok) << name << ": " << v->reason;
  }
  EXPECT_EQ(ledger_->Verify("s", "b")->checked, 5u);
}

TEST_F(BranchTest, ABranchOfABranch) {
  AppendOk("main", Statements("m", 4));  // 1..4
  Fork("b1", "main", 2);
  AppendOk("b1", Statements("p", 3));     // 3..5
  Fork("b2", "b1", 4);                    // main 1,2 + b1 3,4
  AppendOk("b2", Statements("q", 2));     // 5,6
  AppendOk("b1", {Statement("late")});    // b1 6: not in b2
  AppendOk("main", {Statement("late")});  // main 5: in neither

  EXPECT_EQ(Ids(ReadAll(*ledger_, "s", "b2")), (Strings{"m0", "m1", "p0", "p1", "q0", "q1"}));
  EXPECT_EQ(Seqs(ReadAll(*ledger_, "s", "b2")), (U64s{1, 2, 3, 4, 5, 6}));
  EXPECT_EQ(Ids(ReadAll(*ledger_, "s", "b1")), (Strings{"m0", "m1", "p0", "p1", "p2", "late"}));
  ReadOptions back;
  back.direction = Direction::kBackward;
  EXPECT_EQ(Seqs(ReadAll(*ledger_, "s", "b2", back)), (U64s{6, 5, 4, 3, 2, 1}));
  EXPECT_EQ(ledger_->GetEvent("s", "b2", 5)->prev_hash(), HashAt("b1", 4));
  EXPECT_EQ(ledger_->GetEvent("s", "b2", 3)->branch(), "b1");
  EXPECT_EQ(ledger_->FindEvent("s", "b2", "m1")->branch(), "main");
  EXPECT_EQ(ledger_->FindEvent("s", "b2", "p2").status().code(), absl::StatusCode::kNotFound);
  auto v = ledger_->Verify("s", "b2");
  ASSERT_TRUE(v.ok());
  EXPECT_TRUE(v->ok) << v->reason;
  EXPECT_EQ(v->checked, 6u);
}

TEST_F(BranchTest, ADateCutoffInheritsOnlyWhatHappenedByThen) {
  AppendOk("main", {Statement("e1", "2003-08-27"), Statement("e2", "2003-12"),
                    Statement("e3", "2003-12-09"), Statement("e4", "2004-02-25"),
                    Statement("e5", "2003"), Statement("e6", "2003-11-01")});
  // A full-date cutoff: occurred (start of its period) on or before the day.
  Fork("c", "main", 6, "2003-12-01");
  EXPECT_EQ(Ids(ReadAll(*ledger_, "s", "c")), (Strings{"e1", "e2", "e5", "e6"}));
  EXPECT_EQ(Seqs(ReadAll(*ledger_, "s", "c")), (U64s{1, 2, 5, 6}));
  auto x = AppendOk("c", {Statement("x", "2003-12-10")});
  EXPECT_EQ(x.events[0].seq(), 7u);
  EXPECT_EQ(x.events[0].prev_hash(), HashAt("main", 6));
  EXPECT_EQ(ledger_->GetEvent("s", "c", 3).status().code(), absl::StatusCode::kNotFound);
  EXPECT_EQ(ledger_->FindEvent("s", "c", "e3").status().code(), absl::StatusCode::kNotFound);
  // A hidden event is not a reference target; its id may be reused.
  v1::Event resp = Statement("r");
  resp.mutable_move()->mutable_response()->set_target("e4");
  resp.mutable_move()->mutable_response()->set_kind(v1::RESPONSE_KIND_ACCEPT);
  EXPECT_EQ(ledger_->Append("s", "c", {resp}, kAnyHead, "t").status().code(),
            absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(AppendOk("c", {Statement("e3", "2003-12-20")}).events[0].seq(), 8u);
  EXPECT_EQ(ledger_->FindEvent("s", "c", "e3")->seq(), 8u);

  // A partial cutoff counts from the start of its period: 2003-12 keeps
  // "2003-12" but not 2003-12-09.
  Fork("month", "main", 6, "2003-12");
  EXPECT_EQ(Ids(ReadAll(*ledger_, "s", "month")), (Strings{"e1", "e2", "e5", "e6"}));
  Fork("year", "main", 6, "2003");
  EXPECT_EQ(Ids(ReadAll(*ledger_, "s", "year")), (Strings{"e5"}));

  // Cutoffs nest: c2 sees main through both cutoffs and c's own x is cut by its own.
  Fork("c2", "c", 7, "2003-11-15");
  EXPECT_EQ(Ids(ReadAll(*ledger_, "s", "c2")), (Strings{"e1", "e5", "e6"}));

  // Verify walks the physical chain, hidden events included.
  auto v = ledger_->Verify("s", "c");
  ASSERT_TRUE(v.ok());
  EXPECT_TRUE(v->ok) << v->reason;
  EXPECT_EQ(v->checked, 8u);
}

TEST_F(BranchTest, ForkAtZeroStartsAnEmptyChain) {
  AppendOk("main", Statements("a", 2));
  const v1::Branch b = Fork("empty", "main", 0);
  EXPECT_EQ(b.head_seq(), 0u);
  EXPECT_EQ(b.head_hash(), ZeroHash());
  EXPECT_TRUE(ReadAll(*ledger_, "s", "empty").empty());
  auto r = AppendOk("empty", {Statement("z")}, 0);
  EXPECT_EQ(r.events[0].seq(), 1u);
  EXPECT_EQ(r.events[0].prev_hash(), ZeroHash());
  EXPECT_TRUE(ledger_->Verify("s", "empty")->ok);
}

TEST_F(BranchTest, CreateBranchRejectsBadRequests) {
  AppendOk("main", Statements("a", 5));
  Fork("dup", "main", 1);
  struct Case {
    std::string name, parent;
    uint64_t after;
    std::optional<v1::PartialDate> cutoff;
    absl::StatusCode code;
    std::string message;
  };
  v1::PartialDate bad_cutoff;
  bad_cutoff.set_year(2003);
  bad_cutoff.set_month(13);
  const Case cases[] = {
      {"main",
       "main",
       0,
       {},
       absl::StatusCode::kAlreadyExists,
       "branch \"main\" already exists in scenario \"s\""},
      {"dup",
       "main",
       0,
       {},
       absl::StatusCode::kAlreadyExists,
       "branch \"dup\" already exists in scenario \"s\""},
      {"Bad",
       "main",
       0,
       {},
       absl::StatusCode::kInvalidArgument,
       "name: \"Bad\" must match [a-z0-9][a-z0-9._-]{0,63}"},
      {"-x",
       "main",
       0,
       {},
       absl::StatusCode::kInvalidArgument,
       "name: \"-x\" must match [a-z0-9][a-z0-9._-]{0,63}"},
      {"", "main", 0, {}, absl::StatusCode::kInvalidArgument, "name: required"},
      {std::string(65, 'a'),
       "main",
       0,
       {},
       absl::StatusCode::kInvalidArgument,
       "name: \"" + std::string(65, 'a') + "\" must match [a-z0-9][a-z0-9._-]{0,63}"},
      {"far",
       "main",
       6,
       {},
       absl::StatusCode::kOutOfRange,
       "after_seq: 6 is beyond the head 5 of branch \"main\""},
      {"orphan",
       "ghost",
       0,
       {},
       absl::StatusCode::kNotFound,
       "parent: branch \"ghost\" not found in scenario \"s\""},
      {"cut", "main", 1, bad_cutoff, absl::StatusCode::kInvalidArgument,
       "date_cutoff.month: must be 0 (unknown) or 1..12, got 13"},
  };
  for (const Case& c : cases) {
    auto b = ledger_->CreateBranch("s", c.name, c.parent, c.after, c.cutoff, "o", "");
    ASSERT_FALSE(b.ok()) << c.name;
    EXPECT_EQ(b.status().code(), c.code) << b.status();
    EXPECT_EQ(b.status().message(), c.message);
  }
  EXPECT_EQ(ledger_->CreateBranch("nope", "x", "main", 0, {}, "o", "").status().message(),
            "scenario \"nope\" not found");
  // Valid edge cases: 64 characters, dots, dashes, underscores, digits first.
  EXPECT_TRUE(ledger_->CreateBranch("s", std::string(64, 'a'), "main", 5, {}, "o", "").ok());
  EXPECT_TRUE(ledger_->CreateBranch("s", "0what-if_v1.2", "dup", 1, {}, "o", "").ok());
  // Names are per scenario.
  ASSERT_TRUE(ledger_->CreateScenario(ltest::SixParty("other"), "c").ok());
  EXPECT_TRUE(ledger_->CreateBranch("other", "dup", "main", 0, {}, "o", "").ok());
}

TEST_F(BranchTest, ListBranchesPutsMainFirstThenByName) {
  Fork("zeta", "main", 0);
  Fork("alpha", "main", 0);
  Fork("m2", "alpha", 0);
  auto list = ledger_->ListBranches("s");
  ASSERT_TRUE(list.ok());
  Strings names;
  for (const auto& b : *list) names.push_back(b.name());
  EXPECT_EQ(names, (Strings{"main", "alpha", "m2", "zeta"}));
  EXPECT_EQ((*list)[2].parent(), "alpha");
  EXPECT_EQ(ledger_->ListBranches("nope").status().code(), absl::StatusCode::kNotFound);
}

// Forking writes only the branch record: the event, id and date column
// families hold exactly the appended events however many forks there are.
TEST_F(BranchTest, ForkingCopiesNoEvents) {
  std::vector<v1::Event> batch = Statements("a", 300);
  AppendOk("main", batch);
  for (int i = 0; i < 40; ++i) Fork(std::string("f").append(std::to_string(i)), "main", 300 - i);
  ledger_.reset();

  std::vector<rocksdb::ColumnFamilyDescriptor> cfs;
  for (const char* name :
       {"default", "events", "branches", "scenarios", "ids", "dates", "snapshots", "meta"})
    cfs.emplace_back(name, rocksdb::ColumnFamilyOptions());
  std::vector<rocksdb::ColumnFamilyHandle*> handles;
  rocksdb::DB* raw = nullptr;
  ASSERT_TRUE(
      rocksdb::DB::OpenForReadOnly(rocksdb::DBOptions(), dir_.path(), cfs, &handles, &raw).ok());
  std::unique_ptr<rocksdb::DB> db(raw);
  auto count = [&](int cf) {
    std::unique_ptr<rocksdb::Iterator> it(db->NewIterator(rocksdb::ReadOptions(), handles[cf]));
    int n = 0;
    for (it->SeekToFirst(); it->Valid(); it->Next()) ++n;
    return n;
  };
  EXPECT_EQ(count(1), 300);     // events
  EXPECT_EQ(count(4), 300);     // ids
  EXPECT_EQ(count(5), 300);     // dates
  EXPECT_EQ(count(2), 41 * 3);  // branches: name, record and head per branch
  for (auto* h : handles) db->DestroyColumnFamilyHandle(h);
}

}  // namespace
}  // namespace demarche::ledger
