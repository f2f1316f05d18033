// Scenarios, snapshots, and what survives reopening the data directory.
#include <gtest/gtest.h>

#include "ledger/canonical.h"
#include "ledger_test_util.h"

namespace demarche::ledger {
namespace {

using ltest::LedgerTest;
using ltest::SixParty;
using ltest::Statement;

TEST_F(LedgerTest, CreatesGetsAndListsScenarios) {
  auto s = ledger_->GetScenario("s");
  ASSERT_TRUE(s.ok());
  EXPECT_EQ(s->roster_size(), 6);
  EXPECT_EQ(s->created_by(), "curator");
  EXPECT_GT(s->created_at().seconds(), 0);
  ASSERT_TRUE(ledger_->CreateScenario(SixParty("a-first"), "c").ok());
  auto list = ledger_->ListScenarios();
  ASSERT_TRUE(list.ok());
  ASSERT_EQ(list->size(), 2u);
  EXPECT_EQ((*list)[0].name(), "a-first");
  EXPECT_EQ((*list)[1].name(), "s");
  auto main = ledger_->GetBranch("s", "main");
  ASSERT_TRUE(main.ok());
  EXPECT_EQ(main->head_seq(), 0u);
  EXPECT_EQ(main->head_hash(), ZeroHash());
  EXPECT_TRUE(main->parent().empty());
  EXPECT_EQ(ledger_->GetScenario("nope").status().message(), "scenario \"nope\" not found");
}

TEST_F(LedgerTest, RejectsBadScenarios) {
  auto expect = [&](const v1::Scenario& s, absl::StatusCode code, const std::string& message) {
    auto r = ledger_->CreateScenario(s, "c");
    ASSERT_FALSE(r.ok()) << message;
    EXPECT_EQ(r.status().code(), code);
    EXPECT_EQ(r.status().message(), message);
  };
  expect(SixParty("s"), absl::StatusCode::kAlreadyExists, "scenario \"s\" already exists");
  expect(SixParty("Six Party"), absl::StatusCode::kInvalidArgument,
         "name: \"Six Party\" must match [a-z0-9][a-z0-9._-]{0,63}");
  v1::Scenario empty = SixParty("e");
  empty.clear_roster();
  expect(empty, absl::StatusCode::kInvalidArgument, "roster: at least one party required");
  v1::Scenario lower = SixParty("l");
  lower.mutable_roster(2)->set_code("chn");
  expect(lower, absl::StatusCode::kInvalidArgument,
         "roster[2].code: \"chn\" must match [A-Z0-9_]{2,16}");
  v1::Scenario one = SixParty("o");
  one.mutable_roster(0)->set_code("P");
  expect(one, absl::StatusCode::kInvalidArgument,
         "roster[0].code: \"P\" must match [A-Z0-9_]{2,16}");
  v1::Scenario dup = SixParty("d");
  dup.mutable_roster(3)->set_code("USA");
  expect(dup, absl::StatusCode::kInvalidArgument, "roster[3].code: \"USA\" repeats roster[1].code");
  v1::Scenario org = SixParty("org");
  org.add_roster()->set_code("IAEA_BOARD_2003");
  EXPECT_TRUE(ledger_->CreateScenario(org, "c").ok());
}

TEST_F(LedgerTest, SnapshotsAreScopedToABranchSeekDownwardsAndDeleteByRange) {
  ASSERT_TRUE(ledger_->CreateBranch("s", "b", "main", 0, {}, "a", "").ok());
  ASSERT_TRUE(ledger_->CreateScenario(SixParty("t"), "c").ok());
  for (const char* k : {"k1", "k3", "k5"})
    ASSERT_TRUE(ledger_->PutSnapshot("s", "main", k, std::string("v") + k).ok());
  ASSERT_TRUE(ledger_->PutSnapshot("s", "b", "k2", "other branch").ok());
  ASSERT_TRUE(ledger_->PutSnapshot("t", "main", "k4", "other scenario").ok());
  auto seek = [&](const char* branch, const std::string& key) -> std::string {
    auto r = ledger_->SeekSnapshot("s", branch, key);
    EXPECT_TRUE(r.ok()) << r.status();
    if (!r.ok() || !r->has_value()) return "-";
    return (*r)->first + "=" + (*r)->second;
  };
  EXPECT_EQ(seek("main", "k4"), "k3=vk3");
  EXPECT_EQ(seek("main", "k3"), "k3=vk3");
  EXPECT_EQ(seek("main", "k9"), "k5=vk5");
  EXPECT_EQ(seek("main", "k0"), "-");
  EXPECT_EQ(seek("main", ""), "-");
  EXPECT_EQ(seek("main", std::string(10, '\xff')), "k5=vk5");
  EXPECT_EQ(seek("b", "k9"), "k2=other branch");
  // A bounded range takes only its own keys.
  ASSERT_TRUE(ledger_->DeleteSnapshots("s", "main", "k3", "k4").ok());
  EXPECT_EQ(seek("main", "k4"), "k1=vk1");
  EXPECT_EQ(seek("main", "k9"), "k5=vk5");
  ASSERT_TRUE(ledger_->DeleteSnapshots("s", "main", "k9", "k1").ok());  // empty range
  EXPECT_EQ(seek("main", "k1"), "k1=vk1");
  ASSERT_TRUE(ledger_->DeleteSnapshots("s", "main", "k3", "").ok());
  EXPECT_EQ(seek("main", "k9"), "k1=vk1");
  ASSERT_TRUE(ledger_->DeleteSnapshots("s", "main", "", "").ok());
  EXPECT_EQ(seek("main", "k9"), "-");
  EXPECT_EQ(seek("b", "k9"), "k2=other branch");
  EXPECT_EQ(ledger_->SeekSnapshot("t", "main", "z").value()->first, "k4");
  EXPECT_EQ(ledger_->PutSnapshot("s", "nope", "k", "v").code(), absl::StatusCode::kNotFound);
}

TEST_F(LedgerTest, ReopeningKeepsScenariosBranchesHeadsAndTheChain) {
  Options durable = ltest::FastOptions();
  durable.sync = true;
  Reopen(durable);
  AppendOk("main", ltest::Statements("a", 4));
  ASSERT_TRUE(ledger_->CreateBranch("s", "b", "main", 3, ltest::Date("2003-12-31"), "a", "d").ok());
  AppendOk("b", {Statement("x")});
  ASSERT_TRUE(ledger_->PutSnapshot("s", "b", "k", "v").ok());
  const v1::Branch before = *ledger_->GetBranch("s", "b");
  Reopen(durable);

  const v1::Branch after = *ledger_->GetBranch("s", "b");
  EXPECT_EQ(CanonicalBytes(after), CanonicalBytes(before));
  EXPECT_EQ(ledger_->GetScenario("s")->roster_size(), 6);
  EXPECT_EQ(ltest::Ids(ltest::ReadAll(*ledger_, "s", "b")),
            (std::vector<std::string>{"a0", "a1", "a2", "x"}));
  EXPECT_EQ(ledger_->SeekSnapshot("s", "b", "z").value()->second, "v");
  for (const char* b : {"main", "b"}) {
    auto v = ledger_->Verify("s", b);
    ASSERT_TRUE(v.ok());
    EXPECT_TRUE(v->ok) << v->reason;
  }
  // Appends continue the chain; idempotency survives the restart.
  auto more = AppendOk("b", {Statement("y")}, 4);
  EXPECT_EQ(more.events[0].seq(), 5u);
  EXPECT_TRUE(AppendOk("main", {Statement("a0")}).replayed);
  // New scenarios and branches get fresh ids (no collision with old ones).
  ASSERT_TRUE(ledger_->CreateScenario(SixParty("u"), "c").ok());
  ASSERT_TRUE(ledger_->CreateBranch("s", "c", "b", 5, {}, "a", "").ok());
  EXPECT_EQ(ltest::ReadAll(*ledger_, "u", "main").size(), 0u);
  EXPECT_EQ(ltest::ReadAll(*ledger_, "s", "c").size(), 5u);
  EXPECT_EQ(ledger_->Verify("s", "c")->checked, 5u);
}

TEST(LedgerOpenTest, MissingDirectoryWithoutCreateFails) {
  ltest::TempDir dir;
  Options o = ltest::FastOptions();
  o.create_if_missing = false;
  auto l = Ledger::Open(dir.path() + "/absent", o);
  EXPECT_FALSE(l.ok());
}

}  // namespace
}  // namespace demarche::ledger
