// The engine on a real ledger in a temp dir: queries, known-at vs as-of,
// snapshots (equal to folding from zero, never stale), branches, timelines,
// diffs, errors, threads.
#include <gtest/gtest.h>

#include <stdlib.h>

#include <algorithm>
#include <atomic>
#include <filesystem>
#include <map>
#include <random>
#include <string>
#include <thread>
#include <tuple>
#include <vector>

#include "absl/strings/match.h"
#include "ledger/date.h"
#include "ledger/ledger.h"
#include "replay/dates.h"
#include "replay/fields.h"
#include "replay/in_memory.h"
#include "replay/items.h"
#include "replay/replay.h"
#include "replay/snapshot.h"
#include "tests/replay/builders.h"
#include "tests/replay/generator.h"

namespace demarche::replay {
namespace {

using testing::D;
using testing::E;

const std::vector<std::string> kRoster = {"CHN", "JPN", "KOR", "PRK", "RUS", "USA"};

class EngineTest : public ::testing::Test {
 protected:
  void SetUp() override {
    std::string tmpl = (std::filesystem::temp_directory_path() / "replay_test_XXXXXX").string();
    ASSERT_NE(mkdtemp(tmpl.data()), nullptr);
    dir_ = tmpl;
    ledger::Options options;
    options.sync = false;
    auto l = ledger::Ledger::Open(dir_ + "/db", options);
    ASSERT_TRUE(l.ok()) << l.status();
    ledger_ = *std::move(l);
    v1::Scenario sc;
    sc.set_name("test");
    for (const std::string& code : kRoster) sc.add_roster()->set_code(code);
    ASSERT_TRUE(ledger_->CreateScenario(sc, "tester").ok());
  }
  void TearDown() override {
    ledger_.reset();
    std::filesystem::remove_all(dir_);
  }

  // Appends client events (envelope fields are reassigned by the ledger).
  void Append(std::vector<v1::Event> events, const std::string& branch = "main") {
    for (v1::Event& e : events) {
      e.clear_seq();
      e.clear_scenario();
      e.clear_branch();
      if (branch == "main" && e.sources_size() == 0) {
        e.add_sources()->set_document("test");
        e.mutable_sources(0)->set_quote("test");
      }
    }
    auto r = ledger_->Append("test", branch, events, ledger::kAnyHead, "tester");
    ASSERT_TRUE(r.ok()) << r.status();
  }

  std::vector<v1::Event> Lineage(const std::string& branch = "main") {
    std::vector<v1::Event> out;
    auto it = ledger_->Read("test", branch, {});
    EXPECT_TRUE(it.ok());
    for (; (*it)->Valid(); (*it)->Next()) out.push_back((*it)->event());
    EXPECT_TRUE((*it)->status().ok());
    return out;
  }

  v1::ScenarioState State(Engine& engine, std::optional<v1::PartialDate> as_of = {},
                          uint64_t known_at = 0, const std::string& branch = "main") {
    StateQuery q;
    q.scenario = "test";
    q.branch = branch;
    q.as_of = std::move(as_of);
    q.known_at = known_at;
    auto s = engine.StateAt(q);
    EXPECT_TRUE(s.ok()) << s.status();
    return s.ok() ? *s : v1::ScenarioState();
  }

  // Only what the fold decides (not the query echo fields).
  static std::string Folded(v1::ScenarioState s) {
    s.clear_scenario();
    s.clear_branch();
    s.clear_as_of();
    return ItemBytes(s);
  }

  std::string dir_;
  std::unique_ptr<ledger::Ledger> ledger_;
};

const v1::PartyState& Party(const v1::ScenarioState& s, const std::string& code) {
  for (const auto& p : s.parties())
    if (p.party() == code) return p;
  return v1::PartyState::default_instance();
}

TEST(Dates, MirrorLedgerDates) {
  for (const char* text : {"2003", "2003-02", "2004-02", "2003-12", "2003-12-31", "1950-06-25"}) {
    const v1::PartialDate d = D(text);
    EXPECT_EQ(StartKey(d), ledger::SortKey(d)) << text;
    EXPECT_EQ(EndKey(d), ledger::LastDayKey(d)) << text;
  }
  EXPECT_EQ(DayBeforeKey(D("2003-12")), 20031130u);
  EXPECT_EQ(DayBeforeKey(D("2003-12-01")), 20031130u);
  EXPECT_EQ(DayBeforeKey(D("2003-12-09")), 20031208u);
  EXPECT_EQ(DayBeforeKey(D("2003")), 20021231u);
  EXPECT_EQ(DayBeforeKey(D("2004-03")), 20040229u);
}

TEST_F(EngineTest, MatchesInMemoryReplayAndEchoesQuery) {
  testing::StreamGen gen(3, kRoster);
  gen.set_correction_percent(0);
  Append(gen.Take(1, 80));
  Engine engine(ledger_.get(), {.snapshot_every = 10});
  const auto lineage = Lineage();
  v1::ScenarioState s = State(engine, D("2002-06"));
  EXPECT_EQ(s.scenario(), "test");
  EXPECT_EQ(s.branch(), "main");
  EXPECT_EQ(s.as_of().month(), 6);
  EXPECT_EQ(s.known_at(), 80u);
  EXPECT_EQ(Folded(s), Folded(ReplayInMemory(lineage, kRoster, 20020630)));
  EXPECT_EQ(Folded(State(engine)), Folded(ReplayInMemory(lineage, kRoster)));
  EXPECT_EQ(Folded(State(engine, D("2001-03-04"), 40)),
            Folded(ReplayInMemory(lineage, kRoster, 20010304, 40)));
}

TEST_F(EngineTest, Errors) {
  Append({E("s", 1, "2003").By({"PRK"}).Statement("x", v1::STANCE_SUPPORT)});
  Engine engine(ledger_.get());
  StateQuery q;
  q.scenario = "test";
  q.known_at = 2;
  EXPECT_EQ(engine.StateAt(q).status().code(), absl::StatusCode::kOutOfRange);
  q.known_at = 0;
  q.parties = {"XXX"};
  EXPECT_EQ(engine.StateAt(q).status().code(), absl::StatusCode::kInvalidArgument);
  q.parties = {"USA", "PRK"};
  auto s = engine.StateAt(q);
  ASSERT_TRUE(s.ok());
  ASSERT_EQ(s->parties_size(), 2);
  EXPECT_EQ(s->parties(0).party(), "PRK");
  q.parties.clear();
  q.fields = {"positions", "offers"};
  auto bad = engine.StateAt(q);
  EXPECT_EQ(bad.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_TRUE(absl::StartsWith(bad.status().message(), "fields[1]: \"offers\" is not a list"))
      << bad.status();
  q.fields = {"positions", "positions"};
  auto twice = engine.StateAt(q);
  ASSERT_TRUE(twice.ok()) << twice.status();
  EXPECT_EQ(Party(*twice, "PRK").positions_size(), 1);
  q.fields.clear();
  q.as_of = D("2003-13");
  EXPECT_EQ(engine.StateAt(q).status().code(), absl::StatusCode::kInvalidArgument);
  q.as_of.reset();
  q.branch = "nope";
  EXPECT_EQ(engine.StateAt(q).status().code(), absl::StatusCode::kNotFound);
  q.branch = "main";
  q.scenario = "nope";
  EXPECT_EQ(engine.StateAt(q).status().code(), absl::StatusCode::kNotFound);
  auto none = [](const v1::TimelineStep&) { return true; };
  EXPECT_EQ(engine.Timeline("test", "main", D("2004"), D("2003"), 0, none).code(),
            absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(engine.Timeline("test", "main", D("2004-02-30"), {}, 0, none).code(),
            absl::StatusCode::kInvalidArgument);
}

TEST_F(EngineTest, PartialDateVisibilityAtPeriodBoundaries) {
  Append({
      E("m", 1, "2003-12").By({"PRK"}).To({"USA"}).Proposal("nuclear", "package deal"),
      E("y", 2, "2004").By({"USA"}).Statement("talks", v1::STANCE_SUPPORT),
  });
  Engine engine(ledger_.get(), {.snapshot_every = 1});
  for (int pass = 0; pass < 2; ++pass) {  // second pass: from snapshots
    EXPECT_EQ(State(engine, D("2003-11-30")).events_applied(), 0u);
    EXPECT_EQ(State(engine, D("2003-11")).events_applied(), 0u);
    EXPECT_EQ(State(engine, D("2003-12-01")).events_applied(), 1u);
    EXPECT_EQ(State(engine, D("2003-12")).events_applied(), 1u);
    EXPECT_EQ(State(engine, D("2003")).events_applied(), 1u);
    EXPECT_EQ(State(engine, D("2003-12-31")).events_applied(), 1u);
    EXPECT_EQ(State(engine, D("2004-01-01")).events_applied(), 2u);
    EXPECT_EQ(State(engine, D("2003-12-15")).precision(), "month");
    EXPECT_EQ(State(engine, D("2003-12")).precision(), "day");
    EXPECT_EQ(State(engine, D("2004-06-01")).precision(), "year");
  }
}

// The brief's example: a pledge recorded on the wrong day and amount, mended
// by a later correction.
TEST_F(EngineTest, KnownAtVersusAsOfOnABackdatedCorrection) {
  Append({E("pledge", 1, "2004-05-21")
              .By({"JPN"})
              .To({"PRK"})
              .Aid(v1::AID_ACTION_PLEDGE, "food grain", 100000, "t")});
  testing::StreamGen gen(9, kRoster, "x");
  gen.set_correction_percent(0);
  Append(gen.Take(2, 30));
  E fix("fix", 0, "2004-06-10");
  fix.By({"JPN"}).Correct("pledge");
  *fix.correction().mutable_occurred() = D("2004-05-23");
  auto* aid = fix.correction().mutable_move()->mutable_aid();
  aid->set_action(v1::AID_ACTION_PLEDGE);
  aid->set_commodity("food grain");
  aid->set_quantity(250000);
  aid->set_unit("t");
  Append({fix});  // seq 32

  Engine engine(ledger_.get(), {.snapshot_every = 3});
  auto pledged = [&](const char* as_of, uint64_t known_at) -> double {
    const v1::ScenarioState s = State(engine, D(as_of), known_at);
    for (const auto& f : Party(s, "PRK").aid_received())
      if (f.counterpart() == "JPN" && f.commodity() == "food grain") return f.pledged();
    return -1;  // none
  };
  for (int pass = 0; pass < 2; ++pass) {
    // As the ledger knew it before the correction: 100,000 t from the 21st.
    EXPECT_EQ(pledged("2004-05-21", 31), 100000);
    EXPECT_EQ(pledged("2004-05-22", 31), 100000);
    // Known now: nothing on the 21st or 22nd, 250,000 t from the 23rd.
    EXPECT_EQ(pledged("2004-05-21", 0), -1);
    EXPECT_EQ(pledged("2004-05-22", 0), -1);
    EXPECT_EQ(pledged("2004-05-23", 0), 250000);
    EXPECT_EQ(pledged("2004-05-23", 31), 100000);
  }
  // Retract it: gone at every date, known now.
  Append({E("gone", 0, "2004-06-11").By({"JPN"}).Retract("pledge")});
  EXPECT_EQ(pledged("2004-12-31", 0), -1);
  EXPECT_EQ(pledged("2004-12-31", 32), 250000);
}

// Replay from zero == replay from snapshots, over generated streams appended
// in batches (backdated events, corrections and retractions included) with
// queries in between, at random as-of dates and known-at seqs.
TEST_F(EngineTest, SnapshotsNeverChangeAnAnswer) {
  std::mt19937_64 rng(2024);
  for (int seed = 1; seed <= 12; ++seed) {
    const std::string branch = "b" + std::to_string(seed);
    ASSERT_TRUE(ledger_->CreateBranch("test", branch, "main", 0, {}, "tester", "").ok());
    testing::StreamGen gen(static_cast<uint64_t>(seed), kRoster);
    gen.set_correction_percent(12);
    // Dense snapshots (no size-based spacing) so that many are checked.
    Engine snap(ledger_.get(), {.snapshot_every = static_cast<uint64_t>(2 + seed % 5),
                                .snapshot_bytes_per_event = 0,
                                .small_state_bytes_per_event = 0});
    Engine zero(ledger_.get(), {.snapshot_every = 0, .use_snapshots = false});
    uint64_t head = 0;
    while (head < 150) {
      const int n = std::uniform_int_distribution<int>(1, 15)(rng);
      Append(gen.Take(head + 1, n), branch);
      head += static_cast<uint64_t>(n);
      const auto lineage = Lineage(branch);
      for (int q = 0; q < 4; ++q) {
        std::optional<v1::PartialDate> as_of;
        uint32_t as_of_key = kMaxKey;
        if (q % 2 == 1) {
          v1::PartialDate d;
          d.set_year(std::uniform_int_distribution<int>(2000, 2003)(rng));
          d.set_month(std::uniform_int_distribution<int>(0, 12)(rng));
          if (d.month() > 0 && q == 3) d.set_day(std::uniform_int_distribution<int>(1, 28)(rng));
          as_of = d;
          as_of_key = EndKey(d);
        }
        uint64_t known_at = 0;
        if (q >= 2) known_at = std::uniform_int_distribution<uint64_t>(1, head)(rng);
        const std::string want = Folded(ReplayInMemory(lineage, kRoster, as_of_key, known_at));
        ASSERT_EQ(Folded(State(snap, as_of, known_at, branch)), want)
            << "seed " << seed << " head " << head << " known_at " << known_at;
        ASSERT_EQ(Folded(State(zero, as_of, known_at, branch)), want);
      }
    }
    // Every stored snapshot is a correct prefix at the head it was built at:
    // folding on from it gives the state folded from zero.
    const auto lineage = Lineage(branch);
    std::string key = SnapshotKey(FieldSet(), {kMaxKey, UINT64_MAX});
    int seen = 0;
    for (;;) {
      auto found = ledger_->SeekSnapshot("test", branch, key);
      ASSERT_TRUE(found.ok());
      if (!found->has_value()) break;
      ++seen;
      auto s = DecodeSnapshot((*found)->second);
      ASSERT_TRUE(s);
      const auto order = FoldOrder(lineage, kMaxKey, s->built_head);
      for (const v1::Event& e : order)
        if (Position{StartKey(e.occurred()), e.seq()} > s->position) s->state.Apply(e);
      v1::ScenarioState got = s->state.ToProto();
      v1::ScenarioState want = ReplayInMemory(lineage, kRoster, kMaxKey, s->built_head);
      want.clear_known_at();
      want.clear_precision();
      ASSERT_EQ(ItemBytes(got), ItemBytes(want)) << "seed " << seed << " snapshot " << seen;
      if ((*found)->first == SnapshotKey(FieldSet(), {0, 0})) break;
      key = (*found)->first;
      // Step to the previous key.
      for (size_t i = key.size(); i-- > 0;) {
        if (key[i] != '\0') {
          key[i] = static_cast<char>(static_cast<uint8_t>(key[i]) - 1);
          for (size_t j = i + 1; j < key.size(); ++j) key[j] = '\xff';
          break;
        }
      }
    }
    EXPECT_GT(seen, 0) << "seed " << seed;
  }
}

// A state with only `fields`' lists (the rest cleared).
v1::ScenarioState OnlyLists(v1::ScenarioState s, const FieldSet& fields) {
  for (v1::PartyState& ps : *s.mutable_parties())
    for (int f = kPositions; f <= kConcessions; ++f)
      if (!fields.Has(f))
        ps.GetReflection()->ClearField(&ps, ps.GetDescriptor()->FindFieldByNumber(f));
  return s;
}

// Queries for some lists, answered from snapshots of their own folded set
// (interleaved with other sets' queries on one engine, through backdated
// appends and corrections), show what the whole state shows for those lists.
TEST_F(EngineTest, QueriesForSomeListsMatchTheWholeState) {
  const std::vector<std::vector<std::string>> asks = {
      {},
      {"positions"},
      {"relations", "positions"},
      {"demands_faced"},
      {"aid_received", "concessions", "forums"},
      {"agreements", "sanctions_imposed", "relations"},
  };
  std::mt19937_64 rng(77);
  for (int seed = 1; seed <= 4; ++seed) {
    const std::string branch = "f" + std::to_string(seed);
    ASSERT_TRUE(ledger_->CreateBranch("test", branch, "main", 0, {}, "tester", "").ok());
    testing::StreamGen gen(static_cast<uint64_t>(seed) + 100, kRoster);
    gen.set_correction_percent(10);
    Engine engine(
        ledger_.get(),
        {.snapshot_every = 3, .snapshot_bytes_per_event = 0, .small_state_bytes_per_event = 0});
    uint64_t head = 0;
    while (head < 160) {
      const int n = std::uniform_int_distribution<int>(1, 20)(rng);
      Append(gen.Take(head + 1, n), branch);
      head += static_cast<uint64_t>(n);
      const auto lineage = Lineage(branch);
      for (int q = 0; q < 6; ++q) {
        const auto& ask = asks[std::uniform_int_distribution<size_t>(0, asks.size() - 1)(rng)];
        FieldSet set;
        if (!ask.empty()) {
          set = FieldSet::None();
          for (const std::string& name : ask) set.Add(*FieldByName(name));
        }
        StateQuery query;
        query.scenario = "test";
        query.branch = branch;
        query.fields = ask;
        uint32_t as_of_key = kMaxKey;
        if (q % 2 == 1) {
          v1::PartialDate d;
          d.set_year(std::uniform_int_distribution<int>(2000, 2003)(rng));
          d.set_month(std::uniform_int_distribution<int>(1, 12)(rng));
          query.as_of = d;
          as_of_key = EndKey(d);
        }
        if (q >= 4) query.known_at = std::uniform_int_distribution<uint64_t>(1, head)(rng);
        auto got = engine.StateAt(query);
        ASSERT_TRUE(got.ok()) << got.status();
        const v1::ScenarioState want =
            OnlyLists(ReplayInMemory(lineage, kRoster, as_of_key, query.known_at), set);
        ASSERT_EQ(Folded(*got), Folded(want))
            << "seed " << seed << " head " << head << " set " << set.bits();
      }
    }
    // Each folded set asked for at the head kept snapshots of its own, and
    // those of a bounded list stay smaller than the whole state's.
    auto last = [&](const FieldSet& set) -> size_t {
      auto found =
          ledger_->SeekSnapshot("test", branch, SnapshotKey(set.Folded(), {kMaxKey, UINT64_MAX}));
      EXPECT_TRUE(found.ok());
      if (!found.ok() || !found->has_value()) return 0;
      auto parts = ParseSnapshotKey((*found)->first);
      if (!parts || parts->folded != set.Folded()) return 0;
      return (*found)->second.size();
    };
    for (const auto& ask : asks) {
      StateQuery query;
      query.scenario = "test";
      query.branch = branch;
      query.fields = ask;
      ASSERT_TRUE(engine.StateAt(query).ok());
    }
    FieldSet positions = FieldSet::None();
    positions.Add(kPositions);
    ASSERT_GT(last(positions), 0u);
    ASSERT_GT(last(FieldSet()), 0u);
    EXPECT_LT(last(positions) * 3, last(FieldSet()));
  }
}

TEST_F(EngineTest, BackdatedAppendDropsStaleSnapshots) {
  std::vector<v1::Event> ev;
  for (int i = 1; i <= 20; ++i)
    ev.push_back(E("c" + std::to_string(i), 0,
                   "2003-01-" + std::string(i < 10 ? "0" : "") + std::to_string(i))
                     .By({"USA"})
                     .To({"PRK"})
                     .Conflict(v1::CONFLICT_KIND_ACCUSE));
  Append(ev);
  Engine engine(
      ledger_.get(),
      {.snapshot_every = 5, .snapshot_bytes_per_event = 0, .small_state_bytes_per_event = 0});
  // Writes snapshots after 5, 10 and 15 events, where their days end (the
  // 20th's day has not ended: more events may come for it).
  EXPECT_EQ(State(engine).events_applied(), 20u);
  auto last = ledger_->SeekSnapshot("test", "main", SnapshotKey(FieldSet(), {kMaxKey, UINT64_MAX}));
  ASSERT_TRUE(last.ok() && last->has_value());
  EXPECT_EQ(ParseSnapshotKey((*last)->first)->pos.key, 20030115u);

  // Backdated: happened on 2003-01-07, recorded last.
  Append({E("early", 0, "2003-01-07").By({"PRK"}).To({"USA"}).Consult(v1::CONSULT_KIND_SECRET)});
  v1::ScenarioState s = State(engine);
  EXPECT_EQ(s.events_applied(), 21u);
  bool direct = false;
  for (const auto& r : Party(s, "USA").relations()) direct = direct || r.direct_channel();
  EXPECT_TRUE(direct);
  // The snapshots after 2003-01-07 were rebuilt at the new head.
  last = ledger_->SeekSnapshot("test", "main", SnapshotKey(FieldSet(), {kMaxKey, UINT64_MAX}));
  ASSERT_TRUE(last.ok() && last->has_value());
  auto snap = DecodeSnapshot((*last)->second);
  ASSERT_TRUE(snap);
  EXPECT_EQ(snap->built_head, 21u);
  // Known at 20: the old answer.
  EXPECT_EQ(State(engine, {}, 20).events_applied(), 20u);
  EXPECT_EQ(State(engine, D("2003-01-07")).events_applied(), 8u);
}

// Every stored snapshot of a branch, in fold order.
std::vector<Snapshot> AllSnapshots(ledger::Ledger& ledger, const std::string& branch) {
  std::vector<Snapshot> out;
  std::string key = SnapshotKey(FieldSet(), {kMaxKey, UINT64_MAX});
  for (;;) {
    auto found = ledger.SeekSnapshot("test", branch, key);
    EXPECT_TRUE(found.ok());
    if (!found.ok() || !found->has_value()) break;
    auto snap = DecodeSnapshot((*found)->second);
    EXPECT_TRUE(snap);
    if (!snap) break;
    out.push_back(*std::move(snap));
    const Position pos = out.back().position;
    if (pos.seq == 0 && pos.key == 0) break;
    key = pos.seq > 0 ? SnapshotKey(FieldSet(), {pos.key, pos.seq - 1})
                      : SnapshotKey(FieldSet(), {pos.key - 1, UINT64_MAX});
  }
  std::reverse(out.begin(), out.end());
  return out;
}

// The state grows with the branch, so snapshots are spaced by the size of the
// previous one: after a snapshot of B bytes the next comes at least B / ratio
// folded events later (never fewer than snapshot_every), with a larger ratio
// (denser) while B is under small_state_bytes. They are taken only
// where a sort key's events end, and also after a key with at least a
// quarter of the spacing's events (where a period's year- or
// month-precision events sort). The rule, walked over the fold order, must
// place exactly the snapshots the engine stored.
TEST_F(EngineTest, SnapshotsAreSpacedByStateSizeAtTheEndsOfKeys) {
  testing::StreamGen gen(7, kRoster);
  gen.set_correction_percent(0);
  for (int i = 0; i < 4; ++i) Append(gen.Take(static_cast<uint64_t>(i * 150 + 1), 150));
  const std::vector<v1::Event> order = FoldOrder(Lineage());
  FoldState whole(kRoster);
  for (const v1::Event& e : order) whole.Apply(e);
  // Half of the final state's size: both ratios are used.
  const uint64_t every = 8, ratio = 256, small_ratio = 1024,
                 small = EncodeSnapshot(whole, {kMaxKey, 600}, 600).size() / 2;
  Engine engine(ledger_.get(), {.snapshot_every = every,
                                .snapshot_bytes_per_event = ratio,
                                .small_state_bytes = small,
                                .small_state_bytes_per_event = small_ratio});
  EXPECT_EQ(State(engine).events_applied(), 600u);

  std::vector<uint64_t> want;  // events folded into each snapshot
  int by_spacing = 0, by_key = 0, small_ones = 0, large_ones = 0;
  FoldState state(kRoster);
  uint64_t since = 0, at_key = 0, gap = every;
  for (size_t i = 0; i < order.size(); ++i) {
    const uint32_t key = StartKey(order[i].occurred());
    if (i > 0 && key != StartKey(order[i - 1].occurred())) {
      if (since >= gap || at_key * 4 >= gap) {
        (since >= gap ? by_spacing : by_key)++;
        want.push_back(i);
        const Position pos{StartKey(order[i - 1].occurred()), order[i - 1].seq()};
        const uint64_t bytes = EncodeSnapshot(state, pos, 600).size();
        gap = std::max<uint64_t>(every, bytes / (bytes < small ? small_ratio : ratio));
        (bytes < small ? small_ones : large_ones)++;
        since = 0;
      }
      at_key = 0;
    }
    state.Apply(order[i]);
    ++since;
    ++at_key;
  }
  std::vector<uint64_t> got;
  for (const Snapshot& snap : AllSnapshots(*ledger_, "main"))
    got.push_back(snap.state.events_applied());
  EXPECT_EQ(got, want);
  EXPECT_GT(by_spacing, 2) << "the spacing rule is exercised";
  EXPECT_GT(by_key, 0) << "the many-events-at-a-key rule is exercised";
  EXPECT_GT(small_ones, 0) << "snapshots under small_state_bytes";
  EXPECT_GT(large_ones, 0) << "snapshots over it";
  EXPECT_LT(want.size(), 100u) << "far sparser than one per event";
}

// A query whose caller went away stops folding and answers CANCELLED.
TEST_F(EngineTest, CancelledQueryStops) {
  testing::StreamGen gen(3, kRoster);
  gen.set_correction_percent(0);
  Append(gen.Take(1, 2000));
  Engine engine(ledger_.get(), {.snapshot_every = 0});
  StateQuery q;
  q.scenario = "test";
  int polls = 0;
  q.cancelled = [&polls] { return ++polls == 2; };
  auto s = engine.StateAt(q);
  EXPECT_EQ(s.status().code(), absl::StatusCode::kCancelled) << s.status();
  EXPECT_EQ(polls, 2) << "stops at the poll that says so, long before the 2000th event";

  q.cancelled = [] { return false; };
  auto full = engine.StateAt(q);
  ASSERT_TRUE(full.ok()) << full.status();
  EXPECT_EQ(full->events_applied(), 2000u);

  int steps = 0;
  absl::Status t = engine.Timeline(
      "test", "main", {}, {}, 0,
      [&steps](const v1::TimelineStep&) {
        ++steps;
        return true;
      },
      [&steps] { return steps >= 300; });
  EXPECT_EQ(t.code(), absl::StatusCode::kCancelled) << t;
  EXPECT_LT(steps, 600);
}

TEST_F(EngineTest, UndecodableSnapshotIsIgnored) {
  Append({E("s", 1, "2003").By({"PRK"}).Statement("x", v1::STANCE_SUPPORT)});
  ASSERT_TRUE(
      ledger_->PutSnapshot("test", "main", SnapshotKey(FieldSet(), {20030000, 1}), "garbage").ok());
  Engine engine(ledger_.get(), {.snapshot_every = 1});
  EXPECT_EQ(State(engine).events_applied(), 1u);
  EXPECT_EQ(Party(State(engine), "PRK").positions_size(), 1);
}

TEST_F(EngineTest, BranchesForkAndDiverge) {
  Append({
      E("p1", 1, "2003-12").By({"PRK"}).To({"USA"}).Proposal("nuclear", "package deal"),
      E("r1", 2, "2003-12-20").By({"USA"}).To({"PRK"}).Response("p1", v1::RESPONSE_KIND_REJECT),
      E("s1", 3, "2004-05-12").By({"PRK"}).Statement("heu", v1::STANCE_DENY),
  });
  ASSERT_TRUE(ledger_->CreateBranch("test", "accept", "main", 1, {}, "tester", "premise").ok());
  v1::Event accept =
      E("a1", 0, "2003-12-20").By({"USA"}).To({"PRK"}).Response("p1", v1::RESPONSE_KIND_ACCEPT);
  accept.set_context(v1::CONTEXT_HYPOTHETICAL);
  Append({accept}, "accept");

  Engine engine(ledger_.get(), {.snapshot_every = 1});
  for (int pass = 0; pass < 2; ++pass) {
    auto main_s = State(engine, D("2004"));
    auto branch_s = State(engine, D("2004"), 0, "accept");
    EXPECT_EQ(Party(main_s, "PRK").proposals_made(0).status(), v1::ITEM_STATUS_REJECTED);
    EXPECT_EQ(Party(branch_s, "PRK").proposals_made(0).status(), v1::ITEM_STATUS_ACCEPTED);
    EXPECT_EQ(branch_s.events_applied(), 2u);
    EXPECT_EQ(Folded(branch_s),
              Folded(ReplayInMemory(Lineage("accept"), kRoster, EndKey(D("2004")))));
    // Before the fork point's consequences, the two agree.
    v1::ScenarioState before_main = State(engine, D("2003-12-19"));
    v1::ScenarioState before_branch = State(engine, D("2003-12-19"), 0, "accept");
    before_main.clear_known_at();  // the heads differ
    before_branch.clear_known_at();
    EXPECT_EQ(Folded(before_main), Folded(before_branch));

    v1::StateDiff d = Diff(main_s, branch_s);
    bool found = false;
    for (const auto& c : d.changes()) {
      if (c.party() == "PRK" && c.field() == "proposals_made" && c.key() == "p1") {
        found = true;
        EXPECT_EQ(std::vector<std::string>(c.event_ids().begin(), c.event_ids().end()),
                  (std::vector<std::string>{"a1", "r1"}));
      }
    }
    EXPECT_TRUE(found);
  }
}

TEST_F(EngineTest, BranchWithDateCutoff) {
  Append({
      E("a", 1, "2003-01").By({"PRK"}).Statement("x", v1::STANCE_SUPPORT),
      E("b", 2, "2004-01").By({"PRK"}).Statement("x", v1::STANCE_OPPOSE),
      E("c", 3, "2002-01").By({"USA"}).Statement("x", v1::STANCE_OPPOSE),
  });
  ASSERT_TRUE(ledger_->CreateBranch("test", "cut", "main", 3, D("2003-06"), "tester", "").ok());
  Engine engine(ledger_.get(), {.snapshot_every = 1});
  auto s = State(engine, {}, 0, "cut");
  EXPECT_EQ(s.events_applied(), 2u);
  EXPECT_EQ(Party(s, "PRK").positions(0).event_id(), "a");
  EXPECT_EQ(Folded(s), Folded(ReplayInMemory(Lineage("cut"), kRoster)));
}

TEST_F(EngineTest, TimelineStepsAndBoundaries) {
  Append({
      E("y", 1, "2003").By({"USA"}).To({"PRK"}).Conflict(v1::CONFLICT_KIND_ACCUSE),
      E("p1", 2, "2003-12").By({"PRK"}).To({"USA"}).Proposal("nuclear", "package deal"),
      E("r1", 3, "2003-12-20").By({"USA"}).To({"PRK"}).Response("p1", v1::RESPONSE_KIND_REJECT),
      E("late", 4, "2004-05-22")
          .By({"JPN"})
          .To({"PRK"})
          .Aid(v1::AID_ACTION_PLEDGE, "food grain", 250000, "t"),
  });
  Engine engine(ledger_.get(), {.snapshot_every = 2});
  auto ids = [&](std::optional<v1::PartialDate> from, std::optional<v1::PartialDate> to) {
    std::vector<std::string> out;
    EXPECT_TRUE(engine
                    .Timeline("test", "main", from, to, 0,
                              [&](const v1::TimelineStep& s) {
                                out.push_back(s.event().id());
                                return true;
                              })
                    .ok());
    return out;
  };
  EXPECT_EQ(ids({}, {}), (std::vector<std::string>{"y", "p1", "r1", "late"}));
  EXPECT_EQ(ids(D("2003-12-01"), D("2003-12-31")), (std::vector<std::string>{"p1", "r1"}));
  EXPECT_EQ(ids(D("2003-12"), D("2003-12")), (std::vector<std::string>{"p1", "r1"}));
  EXPECT_EQ(ids(D("2003-12-02"), {}), (std::vector<std::string>{"r1", "late"}));
  EXPECT_EQ(ids({}, D("2003-11-30")), (std::vector<std::string>{"y"}));
  EXPECT_EQ(ids(D("2003"), D("2003")), (std::vector<std::string>{"y", "p1", "r1"}));

  std::vector<v1::TimelineStep> steps;
  ASSERT_TRUE(engine
                  .Timeline("test", "main", D("2003-12-20"), D("2003-12-20"), 0,
                            [&](const v1::TimelineStep& s) {
                              steps.push_back(s);
                              return true;
                            })
                  .ok());
  ASSERT_EQ(steps.size(), 1u);
  bool status_change = false;
  for (const auto& c : steps[0].changes()) {
    EXPECT_EQ(c.event_ids(0), "r1");
    if (c.party() == "USA" && c.field() == "proposals_received") {
      status_change = true;
      EXPECT_NE(c.before().find("ITEM_STATUS_OPEN"), std::string::npos);
      EXPECT_NE(c.after().find("ITEM_STATUS_REJECTED"), std::string::npos);
    }
  }
  EXPECT_TRUE(status_change);
  // Early stop.
  int calls = 0;
  ASSERT_TRUE(
      engine
          .Timeline("test", "main", {}, {}, 0, [&](const v1::TimelineStep&) { return ++calls < 2; })
          .ok());
  EXPECT_EQ(calls, 2);
}

// Composing the timeline's steps over the state before `from` gives the
// state at `to`, for generated streams with corrections.
TEST_F(EngineTest, TimelineComposesToStateAt) {
  testing::StreamGen gen(77, kRoster);
  gen.set_correction_percent(10);
  Append(gen.Take(1, 120));
  Engine engine(ledger_.get(), {.snapshot_every = 7});
  const auto from = D("2001-04"), to = D("2002-10-15");
  v1::ScenarioState state = State(engine, D("2001-03-31"));
  const v1::ScenarioState want = State(engine, to);
  std::map<std::tuple<std::string, std::string, std::string>, std::string> items;
  // Index the starting state's items by (party, field, key) as JSON.
  v1::StateDiff start = Diff(v1::ScenarioState(), state);
  for (const auto& c : start.changes()) items[{c.party(), c.field(), c.key()}] = c.after();
  uint64_t steps = 0;
  ASSERT_TRUE(engine
                  .Timeline("test", "main", from, to, 0,
                            [&](const v1::TimelineStep& s) {
                              ++steps;
                              for (const auto& c : s.changes()) {
                                auto& item = items[{c.party(), c.field(), c.key()}];
                                EXPECT_EQ(item, c.before());
                                item = c.after();
                              }
                              return true;
                            })
                  .ok());
  EXPECT_EQ(steps, want.events_applied() - state.events_applied());
  std::map<std::tuple<std::string, std::string, std::string>, std::string> want_items;
  const v1::StateDiff all = Diff(v1::ScenarioState(), want);
  for (const auto& c : all.changes()) want_items[{c.party(), c.field(), c.key()}] = c.after();
  std::erase_if(items, [](const auto& kv) { return kv.second.empty(); });
  EXPECT_EQ(items, want_items);
}

TEST_F(EngineTest, ConcurrentQueriesWhileAppending) {
  testing::StreamGen gen(5, kRoster);
  Append(gen.Take(1, 60));
  Engine engine(ledger_.get(), {.snapshot_every = 4});
  const auto lineage = Lineage();
  const std::string want40 = Folded(ReplayInMemory(lineage, kRoster, kMaxKey, 40));
  const std::string want60 = Folded(ReplayInMemory(lineage, kRoster, kMaxKey, 60));
  std::vector<std::thread> threads;
  std::atomic<int> bad{0};
  for (int t = 0; t < 3; ++t) {
    threads.emplace_back([&, t] {
      for (int i = 0; i < 15; ++i) {
        StateQuery q;
        q.scenario = "test";
        q.known_at = (t + i) % 2 == 0 ? 40 : 60;
        auto s = engine.StateAt(q);
        if (!s.ok() || Folded(*s) != (q.known_at == 40 ? want40 : want60)) ++bad;
      }
    });
  }
  for (int i = 0; i < 10; ++i) Append(gen.Take(61 + static_cast<uint64_t>(i) * 3, 3));
  for (auto& th : threads) th.join();
  EXPECT_EQ(bad.load(), 0);
  EXPECT_EQ(Folded(State(engine)), Folded(ReplayInMemory(Lineage(), kRoster)));
}

}  // namespace
}  // namespace demarche::replay
