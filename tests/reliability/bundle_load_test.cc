// The first --load-bundled, killed (SIGKILL) at random moments: the next
// start with --load-bundled always ends with the whole bundled record, and
// a start without it says that the load did not finish. Before, a kill after
// the scenario was created left an empty or partial record for good: later
// starts skipped the load because a scenario existed.
//
// DEMARCHE_BUNDLE_CYCLES (default 24) and DEMARCHE_CRASH_SEED set the run.
#include <algorithm>
#include <cstdlib>
#include <random>
#include <thread>

#include <fmt/format.h>
#include <gtest/gtest.h>

#include "client.h"
#include "process.h"

namespace demarche::reliability {
namespace {

namespace fs = std::filesystem;

// Each branch's events as (seq, client content): what a load must produce,
// whoever recorded it and when.
using Record = std::map<std::string, std::vector<std::pair<uint64_t, std::string>>>;

Record RecordOf(const Dump& dump) {
  Record out;
  for (size_t i = 0; i < dump.branches.size(); ++i) {
    auto& events = out[dump.branches[i].name()];
    for (v1::Event e : dump.lineages[i]) {
      const uint64_t seq = e.seq();
      e.clear_recorded_at();
      e.clear_recorded_by();
      e.clear_prev_hash();
      e.clear_hash();
      events.emplace_back(seq, e.SerializeAsString());
    }
  }
  return out;
}

size_t EventsIn(const Record& r) {
  size_t n = 0;
  for (const auto& [name, events] : r) n += events.size();
  return n;
}

std::vector<std::string> LoadArgs() { return {"--load-bundled", "--bundle-dir", DEMARCHE_BUNDLE}; }

TEST(BundleLoadTest, AKilledFirstLoadAlwaysEndsWithTheWholeRecord) {
  const int cycles = static_cast<int>(EnvInt("DEMARCHE_BUNDLE_CYCLES", 24));
  std::mt19937_64 rng(static_cast<uint64_t>(EnvInt("DEMARCHE_CRASH_SEED", 5150)));

  // The reference: one uninterrupted load, and how long a start takes.
  TempDir ref_dir;
  Record reference;
  std::chrono::microseconds start_time{};
  std::chrono::microseconds load_time{};
  std::chrono::milliseconds load_end{};  // after the "starting" line
  int64_t exec_us = 0;                   // from the spawn to that line
  {
    DemarchedProcess server(ref_dir.path() / "work", ref_dir.path() / "data", LoadArgs());
    const auto t0 = std::chrono::steady_clock::now();
    std::string why;
    ASSERT_TRUE(server.Start(std::chrono::seconds(60), &why)) << why;
    start_time = std::chrono::duration_cast<std::chrono::microseconds>(
        std::chrono::steady_clock::now() - t0);
    ASSERT_EQ(server.Terminate(std::chrono::seconds(30)), 0) << server.StderrTail();
    // "msg=\"bundle loaded\" ... ms=11": how long the load itself took.
    const std::string log = server.Stderr();
    const size_t line = log.find("msg=\"bundle loaded\"");
    ASSERT_NE(line, std::string::npos) << log;
    const size_t ms = log.find(" ms=", line);
    ASSERT_NE(ms, std::string::npos) << log;
    load_time = std::chrono::milliseconds(std::atoi(log.c_str() + ms + 4) + 1);
    // When the load ended, after the process logged its start: the log's
    // "ts=...HH:MM:SS.mmmZ" of both lines (the load ends as it is logged).
    auto ts_ms = [&](size_t at) {
      const size_t ts = log.rfind("ts=", at);
      const size_t t = log.find('T', ts);
      return ((std::atoi(log.c_str() + t + 1) * 60 + std::atoi(log.c_str() + t + 4)) * 60 +
              std::atoi(log.c_str() + t + 7)) *
                 1000 +
             std::atoi(log.c_str() + t + 10);
    };
    const int starting = ts_ms(log.find("msg=starting"));
    load_end = std::chrono::milliseconds(ts_ms(line) - starting);
    // The start-up as the test saw it (spawn to port file) less as logged.
    exec_us = std::max<int64_t>(
        0, start_time.count() - 1000 * (ts_ms(log.find("msg=serving")) - starting));
    Dump dump;
    ASSERT_TRUE(DumpOffline(ref_dir.path() / "data", &dump, &why)) << why;
    reference = RecordOf(dump);
  }
  ASSERT_GE(reference.size(), 3u);  // main and the example counterfactuals
  ASSERT_GT(EventsIn(reference), 50u);

  int partial = 0;  // kills that left a record started but not finished
  // A kill lands between two of the load's writes only sometimes: past the
  // planned cycles, go on (up to four times as many) until one has.
  int cycle = 0;
  for (; cycle < cycles || (partial == 0 && cycles >= 12 && cycle < 4 * cycles); ++cycle) {
    SCOPED_TRACE(fmt::format("cycle {}", cycle));
    TempDir dir;
    DemarchedProcess server(dir.path() / "work", dir.path() / "data", LoadArgs());
    // Kill around the load, as the reference start placed it (its end
    // after the "starting" line, plus the time to exec and reach it): a
    // window from two loads' length before its start to one after its end,
    // so that kills land before, inside and after the load.
    const int64_t load = load_time.count(), end = load_end.count() * 1000 + exec_us;
    const int64_t from = std::max<int64_t>(0, end - 3 * load);
    const int64_t window = std::min<int64_t>(start_time.count(), end + load) - from;
    const auto delay = std::chrono::microseconds(
        from + static_cast<int64_t>(rng() % static_cast<uint64_t>(std::max<int64_t>(window, 1))));
    ASSERT_TRUE(server.Spawn());
    std::this_thread::sleep_for(delay);
    server.Kill();

    std::string why;
    Dump after_kill;
    if (fs::exists(dir.path() / "data" / "CURRENT") &&
        DumpOffline(dir.path() / "data", &after_kill, &why)) {
      const size_t got = after_kill.scenarios.empty() ? 0 : EventsIn(RecordOf(after_kill));
      if (!after_kill.scenarios.empty() && got < EventsIn(reference)) ++partial;
    }

    // A start without --load-bundled says the load did not finish (when it
    // had begun), and changes nothing.
    DemarchedProcess plain(dir.path() / "work2", dir.path() / "data");
    ASSERT_TRUE(plain.Start(std::chrono::seconds(60), &why)) << why;
    ASSERT_EQ(plain.Terminate(std::chrono::seconds(30)), 0) << plain.StderrTail();
    if (!after_kill.scenarios.empty() && EventsIn(RecordOf(after_kill)) < EventsIn(reference)) {
      EXPECT_NE(plain.Stderr().find("bundle load unfinished"), std::string::npos)
          << plain.StderrTail();
    }

    // The next --load-bundled finishes it.
    ASSERT_TRUE(server.Start(std::chrono::seconds(60), &why)) << why;
    ASSERT_EQ(server.Terminate(std::chrono::seconds(30)), 0) << server.StderrTail();
    Dump dump;
    ASSERT_TRUE(DumpOffline(dir.path() / "data", &dump, &why)) << why;
    const Record got = RecordOf(dump);
    ASSERT_EQ(got.size(), reference.size());
    for (const auto& [name, events] : reference) {
      auto it = got.find(name);
      ASSERT_NE(it, got.end()) << "branch " << name << " missing";
      EXPECT_EQ(it->second, events) << "branch " << name << " differs from a whole load";
    }

    // And a later start does not load it again.
    ASSERT_TRUE(server.Start(std::chrono::seconds(60), &why)) << why;
    ASSERT_EQ(server.Terminate(std::chrono::seconds(30)), 0) << server.StderrTail();
    EXPECT_NE(server.StderrTail().find("bundle skipped: already loaded"), std::string::npos);
  }
  std::printf(
      "bundle load: %d cycles, %d killed mid-load (start-up %.1f ms, load %.1f ms ending %lld ms "
      "after the start line, exec %.1f ms)\n",
      cycle, partial, static_cast<double>(start_time.count()) / 1000,
      static_cast<double>(load_time.count()) / 1000, static_cast<long long>(load_end.count()),
      static_cast<double>(exec_us) / 1000);
  // Kills over that window land inside the load often enough that some must
  // have; otherwise the test proved nothing.
  if (cycles >= 12) {
    EXPECT_GT(partial, 0) << "no kill landed inside the load";
  }
}

}  // namespace
}  // namespace demarche::reliability
