// The crash test's checker must be able to fail: fed lineages that lost an
// acknowledged event, hold half a batch, hold a refused batch or an event no
// client sent, or have a gap, it names the problem.
#include <gtest/gtest.h>

#include "client.h"
#include "crash_model.h"

namespace demarche::reliability {
namespace {

v1::Event Stored(const std::string& id, uint64_t seq, const std::string& branch = "main") {
  v1::Event e = Statement(id, Day(2003, 1, 1), "USA", true);
  e.set_branch(branch);
  e.set_seq(seq);
  e.set_hash("h" + id);
  return e;
}

SentBatch Batch(std::vector<std::string> ids) {
  SentBatch b{"main", {}};
  for (const std::string& id : ids) b.events.push_back(ClientPart(Stored(id, 0)));
  return b;
}

std::string CheckLedger(CrashModel& m, std::vector<v1::Event> main, CheckStats* stats = nullptr) {
  CheckStats local;
  std::vector<SentBatch> present;
  return m.Check({{"main", std::move(main)}}, stats ? stats : &local, &present);
}

TEST(ReliabilityCrashModel, AcceptsAConsistentLedger) {
  CrashModel m;
  m.Acked({Stored("a", 1), Stored("b", 2)});
  m.InDoubt(Batch({"c", "d"}));  // made it
  m.InDoubt(Batch({"e"}));       // did not
  m.Refused(Batch({"f"}));
  CheckStats stats;
  EXPECT_EQ(
      CheckLedger(m, {Stored("a", 1), Stored("b", 2), Stored("c", 3), Stored("d", 4)}, &stats), "");
  EXPECT_EQ(stats.in_doubt_present, 1u);
  EXPECT_EQ(stats.in_doubt_absent, 1u);
  EXPECT_EQ(m.acked_events(), 4u);  // the found batch counts as acknowledged from now on
}

TEST(ReliabilityCrashModel, NamesALostAcknowledgedEvent) {
  CrashModel m;
  m.Acked({Stored("a", 1), Stored("b", 2)});
  EXPECT_NE(CheckLedger(m, {Stored("a", 1)}).find("acknowledged seq 2 (b) is missing"),
            std::string::npos);
}

TEST(ReliabilityCrashModel, NamesAChangedEvent) {
  CrashModel m;
  m.Acked({Stored("a", 1)});
  v1::Event changed = Stored("a", 1);
  changed.set_summary("other");
  EXPECT_NE(CheckLedger(m, {changed}).find("differs from its acknowledgement"), std::string::npos);
}

TEST(ReliabilityCrashModel, NamesAHalfWrittenBatch) {
  CrashModel m;
  m.InDoubt(Batch({"a", "b", "c"}));
  EXPECT_NE(CheckLedger(m, {Stored("a", 1), Stored("b", 2)}).find("half-written batch: 2 of 3"),
            std::string::npos);
}

TEST(ReliabilityCrashModel, NamesARefusedBatchThatWasWritten) {
  CrashModel m;
  m.Refused(Batch({"a"}));
  EXPECT_NE(CheckLedger(m, {Stored("a", 1)}).find("was refused yet is stored"), std::string::npos);
}

TEST(ReliabilityCrashModel, NamesAnEventNoClientSent) {
  CrashModel m;
  EXPECT_NE(CheckLedger(m, {Stored("ghost", 1)}).find("never acknowledged nor in doubt"),
            std::string::npos);
}

TEST(ReliabilityCrashModel, NamesAGapAndADuplicate) {
  CrashModel m;
  m.Acked({Stored("a", 1), Stored("b", 3)});
  const std::string problems = CheckLedger(m, {Stored("a", 1), Stored("b", 3), Stored("a", 3)});
  EXPECT_NE(problems.find("position 1 holds seq 3"), std::string::npos) << problems;
  EXPECT_NE(problems.find("id a appears twice"), std::string::npos) << problems;
}

}  // namespace
}  // namespace demarche::reliability
