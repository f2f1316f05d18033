// The benchmark's event generator: same seed, same events; calibration from
// the bundled record; every generated event (references included) is accepted
// by a real ledger, on main and on a branch.
#include <fmt/format.h>
#include <gtest/gtest.h>
#include <unistd.h>

#include <filesystem>
#include <string>

#include "bench/generator.h"
#include "ledger/date.h"
#include "ledger/ledger.h"

namespace demarche::bench {
namespace {

namespace fs = std::filesystem;

std::string Serialized(Generator& g, int n) {
  std::string all;
  for (int i = 0; i < n; ++i) all += g.Next().SerializeAsString();
  return all;
}

TEST(Generator, SameSeedSameEvents) {
  GeneratorOptions o;
  o.seed = 42;
  o.events = 500;
  Generator a(o), b(o);
  EXPECT_EQ(Serialized(a, 500), Serialized(b, 500));
  o.seed = 43;
  Generator c(o);
  o.seed = 42;
  Generator d(o);
  EXPECT_NE(Serialized(c, 500), Serialized(d, 500));
}

TEST(Generator, RosterAndIds) {
  GeneratorOptions o;
  o.parties = 9;
  o.id_prefix = std::string("bx");
  Generator g(o);
  const v1::Scenario s = g.MakeScenario("bench");
  ASSERT_EQ(s.roster_size(), 9);
  EXPECT_EQ(s.roster(0).code(), "PRK");
  EXPECT_EQ(s.roster(8).code(), "P09");
  EXPECT_EQ(g.Next().id(), "bx-00000000");
  EXPECT_EQ(g.Next().id(), "bx-00000001");
}

TEST(Generator, BackdatingBreaksDateOrder) {
  for (double fraction : {0.0, 0.3}) {
    GeneratorOptions o;
    o.events = 2000;
    o.backdate_fraction = fraction;
    Generator g(o);
    int decreases = 0;
    uint32_t last = 0;
    for (int i = 0; i < 2000; ++i) {
      // A partial date sorts at the start of its period, so compare years.
      const uint32_t year = ledger::SortKey(g.Next().occurred()) / 10000;
      if (year < last) ++decreases;
      last = year;
    }
    if (fraction == 0.0) {
      EXPECT_EQ(decreases, 0);
    } else {
      EXPECT_GT(decreases, 200);
    }
  }
}

TEST(Generator, CalibratesFromTheBundledRecord) {
  const std::string path = fmt::format("{}/data/six-party-talks/events.jsonl", DEMARCHE_SOURCE_DIR);
  if (!fs::exists(path)) GTEST_SKIP() << "no bundled record at " << path;
  auto mix = CalibrateMix(path);
  ASSERT_TRUE(mix.ok()) << mix.status();
  EXPECT_GT(mix->calibrated_events, 10u);
  EXPECT_GT(mix->mean_event_bytes, 100);
  double total = 0;
  for (double w : mix->weight) total += w;
  EXPECT_EQ(total, static_cast<double>(mix->calibrated_events));
  // Sizes are matched to the record's within a few percent.
  GeneratorOptions o;
  o.mix = *mix;
  o.events = 3000;
  Generator g(o);
  double bytes = 0;
  for (int i = 0; i < 3000; ++i) bytes += static_cast<double>(g.Next().ByteSizeLong());
  EXPECT_NEAR(bytes / 3000, mix->mean_event_bytes, 0.1 * mix->mean_event_bytes);
  EXPECT_FALSE(DescribeMix(*mix).empty());
  EXPECT_FALSE(CalibrateMix("/nonexistent/events.jsonl").ok());
}

TEST(Generator, LedgerAcceptsGeneratedEvents) {
  const fs::path dir =
      fs::temp_directory_path() / fmt::format("bench_generator_test_{}", ::getpid());
  fs::remove_all(dir);
  {
    ledger::Options lo;
    lo.sync = false;
    auto l = ledger::Ledger::Open(dir.string(), lo);
    ASSERT_TRUE(l.ok()) << l.status();
    GeneratorOptions o;
    o.events = 3000;
    o.backdate_fraction = 0.1;
    Generator g(o);  // the default mix, corrections included
    ASSERT_TRUE((*l)->CreateScenario(g.MakeScenario("bench"), "test").ok());
    for (int b = 0; b < 30; ++b) {
      auto r = (*l)->Append("bench", "main", g.NextBatch(100), ledger::kAnyHead, "test");
      ASSERT_TRUE(r.ok()) << "batch " << b << ": " << r.status();
    }
    ASSERT_TRUE(
        (*l)->CreateBranch("bench", "what-if", "main", 1500, std::nullopt, "test", "fork").ok());
    GeneratorOptions bo = o;
    bo.id_prefix = std::string("what-if");
    bo.hypothetical = true;
    bo.seed = 9;
    Generator bg(bo);
    for (int b = 0; b < 5; ++b) {
      auto r = (*l)->Append("bench", "what-if", bg.NextBatch(100), ledger::kAnyHead, "test");
      ASSERT_TRUE(r.ok()) << "branch batch " << b << ": " << r.status();
    }
    auto v = (*l)->Verify("bench", "what-if");
    ASSERT_TRUE(v.ok()) << v.status();
    EXPECT_TRUE(v->ok) << v->reason;
    EXPECT_EQ(v->checked, 2000u);
  }
  fs::remove_all(dir);
}

}  // namespace
}  // namespace demarche::bench
