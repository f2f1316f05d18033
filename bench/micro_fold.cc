// Micro-benchmarks: the replay fold (replay/fold.h), per move type and over a
// realistic mixed stream, plus turning a state into its proto (snapshots).
#include <benchmark/benchmark.h>

#include <time.h>

#include <algorithm>

#include "bench/micro_events.h"
#include "ledger/date.h"
#include "replay/fold.h"

namespace demarche::bench {
namespace {

constexpr size_t kStream = 20000;

const std::vector<std::string>& Roster() {
  static const auto* roster =
      new std::vector<std::string>{"CHN", "JPN", "KOR", "PRK", "RUS", "USA"};
  return *roster;
}

// The events in fold order: (occurred sort key, seq). Corrections dropped
// (the engine resolves them before the fold).
const std::vector<v1::Event>& Stream() {
  static const auto* stream = [] {
    auto* v = new std::vector<v1::Event>(StoredEvents(kStream));
    v->erase(std::remove_if(v->begin(), v->end(),
                            [](const v1::Event& e) { return e.move().has_correction(); }),
             v->end());
    std::stable_sort(v->begin(), v->end(), [](const v1::Event& a, const v1::Event& b) {
      const uint32_t ka = ledger::SortKey(a.occurred()), kb = ledger::SortKey(b.occurred());
      return ka != kb ? ka < kb : a.seq() < b.seq();
    });
    return v;
  }();
  return *stream;
}

// Thread CPU time in seconds: immune to preemption on a shared machine (a
// wall-clock stopwatch around a few microseconds of work is not).
double ThreadCpu() {
  timespec ts{};
  clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
  return static_cast<double>(ts.tv_sec) + static_cast<double>(ts.tv_nsec) * 1e-9;
}

// CPU time of Apply for events of one move kind, folded in stream order into a
// state holding everything before them (other events folded untimed).
void BM_ApplyKind(benchmark::State& state, v1::Move::KindCase kind) {
  const auto& stream = Stream();
  replay::FoldState fs(Roster());
  size_t i = 0;
  for (auto _ : state) {
    double secs = 0;
    for (;;) {
      if (i == stream.size()) {
        fs = replay::FoldState(Roster());
        i = 0;
      }
      const v1::Event& e = stream[i++];
      if (e.move().kind_case() != kind) {
        fs.Apply(e);
        continue;
      }
      const double t0 = ThreadCpu();
      fs.Apply(e);
      secs = ThreadCpu() - t0;
      break;
    }
    state.SetIterationTime(secs);
  }
  state.SetItemsProcessed(state.iterations());
}

#define FOLD_KIND(name, k) BENCHMARK_CAPTURE(BM_ApplyKind, name, v1::Move::k)->UseManualTime()
FOLD_KIND(statement, kStatement);
FOLD_KIND(demand, kDemand);
FOLD_KIND(proposal, kProposal);
FOLD_KIND(response, kResponse);
FOLD_KIND(agreement, kAgreement);
FOLD_KIND(consult, kConsult);
FOLD_KIND(aid, kAid);
FOLD_KIND(concede, kConcede);
FOLD_KIND(sanction, kSanction);
FOLD_KIND(forum, kForum);
FOLD_KIND(conflict, kConflict);

// The whole mixed stream, from an empty state: events/s of a full replay's fold.
void BM_FoldStream(benchmark::State& state) {
  const auto& stream = Stream();
  for (auto _ : state) {
    replay::FoldState fs(Roster());
    for (const auto& e : stream) fs.Apply(e);
    benchmark::DoNotOptimize(fs.events_applied());
  }
  state.SetItemsProcessed(state.iterations() * static_cast<int64_t>(stream.size()));
}
BENCHMARK(BM_FoldStream)->Unit(benchmark::kMillisecond);

// A state after the stream, as a proto and serialized (what a snapshot stores).
void BM_StateToProto(benchmark::State& state) {
  replay::FoldState fs(Roster());
  for (const auto& e : Stream()) fs.Apply(e);
  size_t bytes = 0;
  for (auto _ : state) {
    std::string out = fs.ToProto().SerializeAsString();
    bytes += out.size();
    benchmark::DoNotOptimize(out);
  }
  state.SetBytesProcessed(static_cast<int64_t>(bytes));
}
BENCHMARK(BM_StateToProto)->Unit(benchmark::kMicrosecond);

// Restoring a state from a snapshot.
void BM_StateFromProto(benchmark::State& state) {
  replay::FoldState fs(Roster());
  for (const auto& e : Stream()) fs.Apply(e);
  const v1::ScenarioState proto = fs.ToProto();
  for (auto _ : state) {
    auto restored = replay::FoldState::FromProto(proto, fs.month_end_max(), fs.year_end_max());
    benchmark::DoNotOptimize(restored.events_applied());
  }
}
BENCHMARK(BM_StateFromProto)->Unit(benchmark::kMicrosecond);

}  // namespace
}  // namespace demarche::bench

BENCHMARK_MAIN();
