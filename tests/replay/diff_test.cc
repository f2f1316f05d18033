// Diff of two states and the journal behind timeline steps (pure).
#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "replay/diff.h"
#include "replay/fold.h"
#include "replay/in_memory.h"
#include "replay/items.h"
#include "tests/replay/builders.h"
#include "tests/replay/generator.h"

namespace demarche::replay {
namespace {

using testing::E;

const std::vector<std::string> kRoster = {"JPN", "PRK", "USA"};

std::vector<v1::Event> Record() {
  return {
      E("p1", 1, "2003-12").By({"PRK"}).To({"USA"}).Proposal("nuclear", "package deal"),
      E("r1", 2, "2003-12-20").By({"USA"}).To({"PRK"}).Response("p1", v1::RESPONSE_KIND_REJECT),
      E("aid", 3, "2004-05-22")
          .By({"JPN"})
          .To({"PRK"})
          .Aid(v1::AID_ACTION_PLEDGE, "food grain", 250000, "t"),
  };
}

std::vector<v1::FieldChange> Changes(const v1::StateDiff& d) {
  return {d.changes().begin(), d.changes().end()};
}

TEST(Diff, SameStateHasNoChanges) {
  auto s = ReplayInMemory(Record(), kRoster);
  v1::StateDiff d = Diff(s, s);
  EXPECT_EQ(d.changes_size(), 0);
  EXPECT_EQ(d.a().parties_size(), 0);  // summaries only
  EXPECT_EQ(d.b().events_applied(), 3u);
}

TEST(Diff, TwoDatesExplainedByEvents) {
  const auto ev = Record();
  auto a = ReplayInMemory(ev, kRoster, 20031215);  // after the proposal, before rejection
  auto b = ReplayInMemory(ev, kRoster, 20040523);
  auto changes = Changes(Diff(a, b));
  // Sorted by party, field (PartyState order), key.
  for (size_t i = 1; i < changes.size(); ++i) {
    const auto& x = changes[i - 1];
    const auto& y = changes[i];
    ASSERT_LE(x.party(), y.party());
  }
  auto find = [&](const std::string& party, const std::string& field) -> const v1::FieldChange* {
    for (const auto& c : changes)
      if (c.party() == party && c.field() == field) return &c;
    return nullptr;
  };
  const v1::FieldChange* prop = find("PRK", "proposals_made");
  ASSERT_NE(prop, nullptr);
  EXPECT_EQ(prop->key(), "p1");
  EXPECT_NE(prop->before().find("ITEM_STATUS_OPEN"), std::string::npos) << prop->before();
  EXPECT_NE(prop->after().find("ITEM_STATUS_REJECTED"), std::string::npos) << prop->after();
  EXPECT_NE(prop->after().find("\"status_event_id\":\"r1\""), std::string::npos);
  EXPECT_EQ(std::vector<std::string>(prop->event_ids().begin(), prop->event_ids().end()),
            std::vector<std::string>{"r1"});

  const v1::FieldChange* aid = find("PRK", "aid_received");
  ASSERT_NE(aid, nullptr);
  EXPECT_EQ(aid->key(), "JPN|food grain|t");
  EXPECT_EQ(aid->before(), "");  // absent before
  EXPECT_NE(aid->after().find("250000"), std::string::npos);
  EXPECT_EQ(aid->event_ids(0), "aid");
  EXPECT_NE(find("JPN", "aid_given"), nullptr);
  EXPECT_NE(find("JPN", "relations"), nullptr);  // new relation with PRK
  const v1::FieldChange* rel = find("USA", "relations");
  ASSERT_NE(rel, nullptr);
  EXPECT_EQ(rel->key(), "PRK");
  EXPECT_EQ(find("USA", "positions"), nullptr);

  // Reverse diff swaps before and after.
  auto back = Changes(Diff(b, a));
  ASSERT_EQ(back.size(), changes.size());
  for (size_t i = 0; i < back.size(); ++i) {
    EXPECT_EQ(back[i].before(), changes[i].after());
    EXPECT_EQ(back[i].after(), changes[i].before());
  }
}

TEST(Diff, PartyMissingOnOneSide) {
  auto b = ReplayInMemory(Record(), kRoster);
  v1::ScenarioState a;  // no parties at all
  auto changes = Changes(Diff(a, b));
  ASSERT_FALSE(changes.empty());
  for (const auto& c : changes) EXPECT_EQ(c.before(), "");
}

TEST(Diff, ConcessionsAreKeyedByEventId) {
  auto a = ReplayInMemory({}, kRoster);
  auto b = ReplayInMemory(
      {E("c", 1, "2004").By({"PRK"}).Concede(v1::CONCEDE_KIND_RETURN, "five persons")}, kRoster);
  auto changes = Changes(Diff(a, b));
  ASSERT_EQ(changes.size(), 1u);
  EXPECT_EQ(changes[0].field(), "concessions");
  EXPECT_EQ(changes[0].key(), "c");
  EXPECT_EQ(changes[0].after(), "\"c\"");
}

// The journal's per-event changes compose: applying every step's "after"
// over the previous state gives the next state's diff exactly.
TEST(Journal, StepChangesMatchDiffOfConsecutiveStates) {
  for (uint64_t seed = 1; seed <= 10; ++seed) {
    testing::StreamGen gen(seed, {"CHN", "JPN", "PRK", "USA"});
    const auto order = FoldOrder(gen.Take(1, 150));
    FoldState state(std::vector<std::string>{"CHN", "JPN", "PRK", "USA"});
    Journal journal;
    for (const v1::Event& e : order) {
      const v1::ScenarioState before = state.ToProto();
      journal.Begin();
      state.set_journal(&journal);
      state.Apply(e);
      state.set_journal(nullptr);
      const auto steps = journal.Finish(state, e.id());
      v1::StateDiff want = Diff(before, state.ToProto());
      ASSERT_EQ(steps.size(), static_cast<size_t>(want.changes_size()))
          << "seed " << seed << " event " << e.id();
      for (size_t i = 0; i < steps.size(); ++i) {
        EXPECT_EQ(steps[i].party(), want.changes(static_cast<int>(i)).party());
        EXPECT_EQ(steps[i].field(), want.changes(static_cast<int>(i)).field());
        EXPECT_EQ(steps[i].key(), want.changes(static_cast<int>(i)).key());
        EXPECT_EQ(steps[i].before(), want.changes(static_cast<int>(i)).before());
        EXPECT_EQ(steps[i].after(), want.changes(static_cast<int>(i)).after());
        ASSERT_EQ(steps[i].event_ids_size(), 1);
        EXPECT_EQ(steps[i].event_ids(0), e.id());
      }
    }
  }
}

}  // namespace
}  // namespace demarche::replay
