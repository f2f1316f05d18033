// Micro-benchmarks: canonical encoding and hashing of events (ledger/canonical.h),
// against plain protobuf serialization and raw SHA-256 as baselines.
#include <benchmark/benchmark.h>

#include <chrono>
#include <string>
#include <vector>

#include "bench/micro_events.h"
#include "ledger/canonical.h"

namespace demarche::bench {
namespace {

const std::vector<v1::Event>& Events() {
  static const auto* events = new std::vector<v1::Event>(StoredEvents(4096));
  return *events;
}

// Baseline: protobuf's default (non-deterministic) serialization.
void BM_SerializeToString(benchmark::State& state) {
  const auto& ev = Events();
  size_t i = 0, bytes = 0;
  std::string out;
  for (auto _ : state) {
    ev[i++ % ev.size()].SerializeToString(&out);
    bytes += out.size();
    benchmark::DoNotOptimize(out);
  }
  state.SetBytesProcessed(static_cast<int64_t>(bytes));
  state.SetItemsProcessed(state.iterations());
}
BENCHMARK(BM_SerializeToString);

void BM_CanonicalBytes(benchmark::State& state) {
  const auto& ev = Events();
  size_t i = 0, bytes = 0;
  for (auto _ : state) {
    std::string out = ledger::CanonicalBytes(ev[i++ % ev.size()]);
    bytes += out.size();
    benchmark::DoNotOptimize(out);
  }
  state.SetBytesProcessed(static_cast<int64_t>(bytes));
  state.SetItemsProcessed(state.iterations());
}
BENCHMARK(BM_CanonicalBytes);

// What Append pays to normalize each incoming event (envelope cleared,
// unknown fields dropped, -0.0 made +0.0); the copy it works on is timed
// alone in BM_CopyEvent.
void BM_CopyEvent(benchmark::State& state) {
  const auto& ev = Events();
  size_t i = 0;
  for (auto _ : state) {
    v1::Event e = ev[i++ % ev.size()];
    benchmark::DoNotOptimize(e);
  }
  state.SetItemsProcessed(state.iterations());
}
BENCHMARK(BM_CopyEvent);

void BM_MakeClientContent(benchmark::State& state) {
  const auto& ev = Events();
  size_t i = 0;
  for (auto _ : state) {
    v1::Event e = ev[i++ % ev.size()];
    ledger::MakeClientContent(&e);
    benchmark::DoNotOptimize(e);
  }
  state.SetItemsProcessed(state.iterations());
}
BENCHMARK(BM_MakeClientContent);

void BM_Sha256(benchmark::State& state) {
  const std::string data(static_cast<size_t>(state.range(0)), 'x');
  for (auto _ : state) benchmark::DoNotOptimize(ledger::Sha256(data));
  state.SetBytesProcessed(state.iterations() * state.range(0));
  state.SetItemsProcessed(state.iterations());
}
BENCHMARK(BM_Sha256)->Arg(64)->Arg(900);

// What append and verify pay per event: copy without `hash`, canonical bytes, SHA-256.
void BM_EventHash(benchmark::State& state) {
  const auto& ev = Events();
  size_t i = 0;
  for (auto _ : state) benchmark::DoNotOptimize(ledger::EventHash(ev[i++ % ev.size()]));
  state.SetItemsProcessed(state.iterations());
}
BENCHMARK(BM_EventHash);

// Sealing events under their envelopes: whole (what the branch's committing
// thread did before PreparedContent), and split into the part a stream's
// reading thread now does ahead (BM_PrepareContent) and what is left to the
// committing thread (BM_SealPrepared). Blocks of kBlock events, only the
// step named timed (the copies and preparations around it are not).
constexpr size_t kBlock = 256;

struct Sealing {
  std::vector<v1::Event> contents;   // client content
  std::vector<v1::Event> envelopes;  // envelope fields only
};

const Sealing& SealingFixture() {
  static const Sealing* f = [] {
    auto* out = new Sealing;
    for (const v1::Event& e : Events()) {
      out->contents.push_back(ledger::ClientContent(e));
      v1::Event& env = out->envelopes.emplace_back();
      env.set_scenario(e.scenario());
      env.set_branch(e.branch());
      env.set_seq(e.seq());
      *env.mutable_recorded_at() = e.recorded_at();
      env.set_recorded_by(e.recorded_by());
      env.set_prev_hash(e.prev_hash());
    }
    return out;
  }();
  return *f;
}

using Clock = std::chrono::steady_clock;

// For each block of kBlock fixture events (indexes from `at` on, wrapping):
// setup(at) untimed, then timed(at), whose time alone is the iteration's.
template <typename Setup, typename Timed>
void TimeBlocks(benchmark::State& state, Setup setup, Timed timed) {
  size_t at = 0;
  for (auto _ : state) {
    setup(at);
    const auto t0 = Clock::now();
    timed(at);
    state.SetIterationTime(std::chrono::duration<double>(Clock::now() - t0).count());
    at += kBlock;
  }
  state.SetItemsProcessed(state.iterations() * static_cast<int64_t>(kBlock));
}

const v1::Event& Content(size_t i) {
  const Sealing& f = SealingFixture();
  return f.contents[i % f.contents.size()];
}
const v1::Event& Envelope(size_t i) {
  const Sealing& f = SealingFixture();
  return f.envelopes[i % f.envelopes.size()];
}

void BM_SealWhole(benchmark::State& state) {
  std::string bytes;
  std::vector<v1::Event> block(kBlock);
  TimeBlocks(
      state,
      [&](size_t at) {
        for (size_t i = 0; i < kBlock; ++i) block[i] = Content(at + i);
      },
      [&](size_t at) {
        for (size_t i = 0; i < kBlock; ++i) {
          block[i].MergeFrom(Envelope(at + i));
          ledger::Seal(&block[i], &bytes);
          benchmark::DoNotOptimize(bytes);
        }
      });
}
BENCHMARK(BM_SealWhole)->UseManualTime();

void BM_PrepareContent(benchmark::State& state) {
  std::vector<ledger::PreparedContent> block;
  block.reserve(kBlock);
  TimeBlocks(
      state, [&](size_t) { block.clear(); },
      [&](size_t at) {
        for (size_t i = 0; i < kBlock; ++i) block.emplace_back(Content(at + i));
      });
}
BENCHMARK(BM_PrepareContent)->UseManualTime();

void BM_SealPrepared(benchmark::State& state) {
  std::string bytes;
  std::vector<v1::Event> block(kBlock);
  std::vector<ledger::PreparedContent> prepared;
  prepared.reserve(kBlock);
  TimeBlocks(
      state,
      [&](size_t at) {
        prepared.clear();
        for (size_t i = 0; i < kBlock; ++i) {
          block[i] = Content(at + i);
          prepared.emplace_back(block[i]);
        }
      },
      [&](size_t at) {
        for (size_t i = 0; i < kBlock; ++i) {
          prepared[i].Seal(Envelope(at + i), &block[i], &bytes);
          benchmark::DoNotOptimize(bytes);
        }
      });
}
BENCHMARK(BM_SealPrepared)->UseManualTime();

// Parses the fixture's stored bytes, one event after another, with `parse`.
template <typename Parse>
void ParseStoredWith(benchmark::State& state, Parse parse) {
  std::vector<std::string> raw;
  for (const auto& e : Events()) raw.push_back(ledger::CanonicalBytes(e));
  size_t i = 0, bytes = 0;
  v1::Event e;
  for (auto _ : state) {
    const std::string& r = raw[i++ % raw.size()];
    benchmark::DoNotOptimize(parse(r, &e));
    bytes += r.size();
  }
  state.SetBytesProcessed(static_cast<int64_t>(bytes));
  state.SetItemsProcessed(state.iterations());
}

// Verify's other half: parse the stored bytes.
void BM_ParseStored(benchmark::State& state) {
  ParseStoredWith(state, [](const std::string& r, v1::Event* e) { return e->ParseFromString(r); });
}
BENCHMARK(BM_ParseStored);

// A replay's parse: only the fields a fold reads (ledger::ParseMoveFields).
void BM_ParseMoveFields(benchmark::State& state) {
  ParseStoredWith(state,
                  [](const std::string& r, v1::Event* e) { return ledger::ParseMoveFields(r, e); });
}
BENCHMARK(BM_ParseMoveFields);

// Idempotency check on append: the client part of a stored event.
void BM_ClientContent(benchmark::State& state) {
  const auto& ev = Events();
  size_t i = 0;
  for (auto _ : state) benchmark::DoNotOptimize(ledger::ClientContent(ev[i++ % ev.size()]));
  state.SetItemsProcessed(state.iterations());
}
BENCHMARK(BM_ClientContent);

}  // namespace
}  // namespace demarche::bench

BENCHMARK_MAIN();
