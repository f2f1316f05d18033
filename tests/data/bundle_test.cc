// The bundled record (data/six-party-talks): well-formed, sourced verbatim,
// loadable, verifiable, idempotent, with branches that diverge where their
// premises say, and an export/import round trip.
#include "tests/data/bundle_test.h"

#include <map>
#include <set>
#include <sstream>

#include <gmock/gmock.h>

#include "ledger/date.h"
#include "ledger/import.h"

namespace demarche::testing {
namespace {

using ::testing::HasSubstr;
using ::testing::StartsWith;

constexpr char kScenario[] = "six-party-talks";

TEST(BundleFiles, EveryLineParses) {
  v1::Scenario scenario;
  auto status = google::protobuf::util::JsonStringToMessage(ReadText(kBundleDir + "/scenario.json"),
                                                            &scenario);
  ASSERT_TRUE(status.ok()) << "scenario.json: " << status.ToString();
  EXPECT_EQ(scenario.name(), kScenario);
  std::set<std::string> roster;
  for (const auto& p : scenario.roster()) {
    roster.insert(p.code());
    EXPECT_EQ(p.kind(), v1::PARTY_KIND_STATE) << p.code();
  }
  for (const char* code : {"PRK", "USA", "CHN", "JPN", "RUS", "KOR"})
    EXPECT_TRUE(roster.contains(code)) << code;

  const auto main = ReadEvents(kBundleDir + "/events.jsonl");
  EXPECT_GE(main.size(), 40u);
  for (const auto& line : main) {
    EXPECT_FALSE(line.event.id().empty()) << "events.jsonl line " << line.number;
    EXPECT_NE(line.event.move().kind_case(), v1::Move::KIND_NOT_SET)
        << "events.jsonl line " << line.number;
    for (const auto& code : line.event.actor()) EXPECT_TRUE(roster.contains(code)) << code;
    for (const auto& code : line.event.recipients()) EXPECT_TRUE(roster.contains(code)) << code;
  }
  const auto branches = ReadBranches();
  ASSERT_GE(branches.size(), 2u);
  for (const auto& b : branches) {
    EXPECT_EQ(b.bundle.branch().name(), b.name);
    EXPECT_FALSE(b.bundle.fork_after_event().empty()) << b.name;
    EXPECT_FALSE(b.bundle.branch().description().empty()) << b.name;
    EXPECT_FALSE(b.events.empty()) << b.name;
  }
}

TEST(BundleFiles, QuotesAreVerbatimSpansOfTheSeed) {
  ASSERT_TRUE(std::filesystem::exists(kSeedPath))
      << "the source document is missing: " << kSeedPath
      << " (the seed document the record's quotes are checked against)";
  const std::string seed = ReadText(kSeedPath);
  ASSERT_FALSE(seed.empty());

  auto check = [&](const std::string& file, const std::vector<Line>& lines) {
    for (const auto& line : lines) {
      for (const auto& source : line.event.sources()) {
        EXPECT_FALSE(source.document().empty()) << file << " line " << line.number;
        EXPECT_FALSE(source.quote().empty()) << file << " line " << line.number;
        if (source.document() != kSeedDocument) continue;
        EXPECT_FALSE(source.locator().empty()) << file << " line " << line.number;
        EXPECT_NE(seed.find(source.quote()), std::string::npos)
            << file << " line " << line.number << " (" << line.event.id()
            << "): quote is not a verbatim span of the seed: \"" << source.quote() << "\"";
        EXPECT_EQ(source.quote().find("\n\n"), std::string::npos)
            << file << " line " << line.number << ": quote spans a paragraph break";
      }
    }
  };
  check("events.jsonl", ReadEvents(kBundleDir + "/events.jsonl"));
  for (const auto& b : ReadBranches()) check("branches/" + b.name + ".jsonl", b.events);
}

TEST(BundleFiles, EveryMainEventIsSourcedFromTheSeedAndHistorical) {
  for (const auto& line : ReadEvents(kBundleDir + "/events.jsonl")) {
    const auto& e = line.event;
    const bool from_seed =
        std::any_of(e.sources().begin(), e.sources().end(),
                    [](const v1::Source& s) { return s.document() == kSeedDocument; });
    EXPECT_TRUE(from_seed) << "line " << line.number << " (" << e.id() << ") has no seed source";
    EXPECT_EQ(e.context(), v1::CONTEXT_HISTORICAL) << e.id();
    EXPECT_FALSE(e.summary().empty()) << e.id();
  }
}

TEST(BundleFiles, IdsAreUniqueAcrossMainAndBranches) {
  std::map<std::string, std::string> seen;  // id -> where
  auto add = [&](const std::string& file, const std::vector<Line>& lines) {
    for (const auto& line : lines) {
      const std::string where = file + " line " + std::to_string(line.number);
      auto [it, fresh] = seen.emplace(line.event.id(), where);
      EXPECT_TRUE(fresh) << where << ": id \"" << line.event.id() << "\" repeats " << it->second;
    }
  };
  add("events.jsonl", ReadEvents(kBundleDir + "/events.jsonl"));
  for (const auto& b : ReadBranches()) add("branches/" + b.name + ".jsonl", b.events);
}

TEST(BundleFiles, MainIsInChronologicalOrder) {
  uint32_t last = 0;
  for (const auto& line : ReadEvents(kBundleDir + "/events.jsonl")) {
    const uint32_t key = ledger::SortKey(line.event.occurred());
    EXPECT_GE(key, last) << "line " << line.number << " (" << line.event.id()
                         << ") occurs before the line above it";
    last = key;
  }
}

TEST(BundleFiles, BranchEventsAreHypotheticalAndStatePremise) {
  for (const auto& b : ReadBranches())
    for (const auto& line : b.events) {
      EXPECT_EQ(line.event.context(), v1::CONTEXT_HYPOTHETICAL) << b.name << " " << line.event.id();
      EXPECT_THAT(line.event.summary(), StartsWith("Premise:")) << b.name << " " << line.event.id();
    }
}

// ---- Loading into a real ledger ----------------------------------------------

class LoadedBundle : public ::testing::Test {
 protected:
  void SetUp() override {
    ledger_ = OpenLedger(dir_.Sub("ledger"));
    ASSERT_NE(ledger_, nullptr);
    auto loaded = ledger::LoadBundle(*ledger_, kBundleDir, "curator:test");
    ASSERT_TRUE(loaded.ok()) << loaded.status();
    first_ = *loaded;
  }

  TempDir dir_;
  std::unique_ptr<ledger::Ledger> ledger_;
  ledger::LoadResult first_;
};

TEST_F(LoadedBundle, LoadsEverything) {
  EXPECT_TRUE(first_.scenario_created);
  const auto main = ReadEvents(kBundleDir + "/events.jsonl");
  const auto branches = ReadBranches();
  size_t total = main.size();
  for (const auto& b : branches) total += b.events.size();
  EXPECT_EQ(first_.events_appended, total);
  EXPECT_EQ(first_.events_present, 0u);
  EXPECT_EQ(first_.branches_created.size(), branches.size());

  auto head = ledger_->GetBranch(kScenario, "main");
  ASSERT_TRUE(head.ok()) << head.status();
  EXPECT_EQ(head->head_seq(), main.size());
  // seq order = line order
  const auto stored = ReadAll(*ledger_, kScenario, "main");
  ASSERT_EQ(stored.size(), main.size());
  for (size_t i = 0; i < stored.size(); ++i) {
    EXPECT_EQ(stored[i].id(), main[i].event.id());
    EXPECT_EQ(stored[i].seq(), i + 1);
    EXPECT_EQ(stored[i].recorded_by(), "curator:test");
  }
}

TEST_F(LoadedBundle, VerifiesMainAndEveryBranch) {
  std::vector<std::string> names = {"main"};
  for (const auto& b : ReadBranches()) names.push_back(b.name);
  for (const auto& name : names) {
    auto verified = ledger_->Verify(kScenario, name);
    ASSERT_TRUE(verified.ok()) << name << ": " << verified.status();
    EXPECT_TRUE(verified->ok) << name << ": seq " << verified->first_bad_seq << ": "
                              << verified->reason;
    auto branch = ledger_->GetBranch(kScenario, name);
    ASSERT_TRUE(branch.ok());
    EXPECT_EQ(verified->checked, branch->head_seq()) << name;
  }
}

TEST_F(LoadedBundle, SecondLoadWritesNothing) {
  std::map<std::string, uint64_t> heads;
  auto branches = ledger_->ListBranches(kScenario);
  ASSERT_TRUE(branches.ok());
  for (const auto& b : *branches) heads[b.name()] = b.head_seq();

  auto again = ledger::LoadBundle(*ledger_, kBundleDir, "curator:someone-else");
  ASSERT_TRUE(again.ok()) << again.status();
  EXPECT_FALSE(again->scenario_created);
  EXPECT_TRUE(again->branches_created.empty());
  EXPECT_EQ(again->events_appended, 0u);
  EXPECT_EQ(again->events_present, first_.events_appended);

  auto after = ledger_->ListBranches(kScenario);
  ASSERT_TRUE(after.ok());
  ASSERT_EQ(after->size(), heads.size());
  for (const auto& b : *after) EXPECT_EQ(b.head_seq(), heads[b.name()]) << b.name();
  for (const auto& e : ReadAll(*ledger_, kScenario, "main"))
    EXPECT_EQ(e.recorded_by(), "curator:test");
}

TEST_F(LoadedBundle, BranchesDivergeRightAfterTheirForkEvent) {
  const auto main = ReadAll(*ledger_, kScenario, "main");
  for (const auto& b : ReadBranches()) {
    SCOPED_TRACE(b.name);
    auto fork = ledger_->FindEvent(kScenario, "main", b.bundle.fork_after_event());
    ASSERT_TRUE(fork.ok()) << fork.status();
    auto branch = ledger_->GetBranch(kScenario, b.name);
    ASSERT_TRUE(branch.ok()) << branch.status();
    EXPECT_EQ(branch->parent(), "main");
    EXPECT_EQ(branch->fork_after_seq(), fork->seq());
    EXPECT_EQ(branch->description(), b.bundle.branch().description());

    const auto lineage = ReadAll(*ledger_, kScenario, b.name);
    ASSERT_EQ(lineage.size(), fork->seq() + b.events.size());
    // Inherited: main's events up to and including the fork event, unchanged.
    for (uint64_t i = 0; i < fork->seq(); ++i) {
      EXPECT_EQ(lineage[i].id(), main[i].id());
      EXPECT_EQ(lineage[i].hash(), main[i].hash()) << lineage[i].id();
      EXPECT_EQ(lineage[i].branch(), "main");
    }
    EXPECT_EQ(lineage[fork->seq() - 1].id(), b.bundle.fork_after_event());
    // Own: the bundled hypothetical events, in order, chained to the fork event.
    for (size_t j = 0; j < b.events.size(); ++j) {
      const auto& e = lineage[fork->seq() + j];
      EXPECT_EQ(e.id(), b.events[j].event.id());
      EXPECT_EQ(e.branch(), b.name);
      EXPECT_EQ(e.context(), v1::CONTEXT_HYPOTHETICAL);
      EXPECT_EQ(e.seq(), fork->seq() + j + 1);
    }
    EXPECT_EQ(lineage[fork->seq()].prev_hash(), main[fork->seq() - 1].hash());
    // Main's later history is not inherited.
    if (fork->seq() < main.size()) {
      auto later = ledger_->FindEvent(kScenario, b.name, main[fork->seq()].id());
      EXPECT_EQ(later.status().code(), absl::StatusCode::kNotFound) << main[fork->seq()].id();
    }
  }
}

TEST_F(LoadedBundle, ExportImportRoundTripKeepsClientContent) {
  TempDir other_dir;
  auto other = OpenLedger(other_dir.Sub("ledger"));
  ASSERT_NE(other, nullptr);
  auto scenario = ledger_->GetScenario(kScenario);
  ASSERT_TRUE(scenario.ok());
  ASSERT_TRUE(other->CreateScenario(*scenario, "curator:copy").ok());

  auto copy = [&](const std::string& branch) {
    std::stringstream text;
    auto exported = ledger::ExportJsonLines(*ledger_, kScenario, branch, text);
    ASSERT_TRUE(exported.ok()) << exported.status();
    ledger::ImportOptions options;
    options.recorded_by = "curator:copy";
    options.batch_size = 7;  // several batches
    auto imported = ledger::ImportJsonLines(*other, kScenario, branch, text, options);
    ASSERT_TRUE(imported.ok()) << branch << ": " << imported.status();
    EXPECT_EQ(imported->totals.events, *exported);
  };
  copy("main");
  auto branches = ledger_->ListBranches(kScenario);
  ASSERT_TRUE(branches.ok());
  for (const auto& b : *branches) {
    if (b.name() == "main") continue;
    std::optional<v1::PartialDate> cutoff;
    if (b.date_cutoff().year() != 0) cutoff = b.date_cutoff();
    ASSERT_TRUE(other
                    ->CreateBranch(kScenario, b.name(), b.parent(), b.fork_after_seq(), cutoff,
                                   "curator:copy", b.description())
                    .ok());
    copy(b.name());  // the inherited events are already there and are skipped
  }
  for (const auto& b : *branches) {
    SCOPED_TRACE(b.name());
    const auto a = ReadAll(*ledger_, kScenario, b.name());
    const auto c = ReadAll(*other, kScenario, b.name());
    ASSERT_EQ(a.size(), c.size());
    for (size_t i = 0; i < a.size(); ++i) {
      EXPECT_EQ(ClientBytes(a[i]), ClientBytes(c[i])) << a[i].id();
      EXPECT_EQ(a[i].seq(), c[i].seq());
      EXPECT_EQ(a[i].branch(), c[i].branch());
    }
    auto verified = other->Verify(kScenario, b.name());
    ASSERT_TRUE(verified.ok());
    EXPECT_TRUE(verified->ok) << verified->reason;
  }
}

}  // namespace
}  // namespace demarche::testing
