// Micro-benchmarks: the ledger's RocksDB key codec (ledger/keys.h).
#include <benchmark/benchmark.h>
#include <fmt/format.h>

#include <string>
#include <vector>

#include "ledger/keys.h"

namespace demarche::bench {
namespace {

namespace keys = ledger::keys;

void BM_EncodeEventKey(benchmark::State& state) {
  uint64_t seq = 0;
  for (auto _ : state) benchmark::DoNotOptimize(keys::EncodeEventKey({3, 7, ++seq}));
  state.SetItemsProcessed(state.iterations());
}
BENCHMARK(BM_EncodeEventKey);

void BM_DecodeEventKey(benchmark::State& state) {
  std::vector<std::string> ks;
  for (uint64_t s = 1; s <= 1024; ++s) ks.push_back(keys::EncodeEventKey({3, 7, s}));
  size_t i = 0;
  for (auto _ : state) benchmark::DoNotOptimize(keys::DecodeEventKey(ks[i++ & 1023]));
  state.SetItemsProcessed(state.iterations());
}
BENCHMARK(BM_DecodeEventKey);

void BM_EncodeDateKey(benchmark::State& state) {
  uint64_t seq = 0;
  for (auto _ : state) {
    ++seq;
    benchmark::DoNotOptimize(keys::EncodeDateKey({3, 7, 20031209, seq}));
  }
  state.SetItemsProcessed(state.iterations());
}
BENCHMARK(BM_EncodeDateKey);

void BM_DecodeDateKey(benchmark::State& state) {
  std::vector<std::string> ks;
  for (uint64_t s = 1; s <= 1024; ++s) ks.push_back(keys::EncodeDateKey({3, 7, 20031209, s}));
  size_t i = 0;
  for (auto _ : state) benchmark::DoNotOptimize(keys::DecodeDateKey(ks[i++ & 1023]));
  state.SetItemsProcessed(state.iterations());
}
BENCHMARK(BM_DecodeDateKey);

void BM_EncodeIdKey(benchmark::State& state) {
  std::vector<std::string> ids;
  for (int i = 0; i < 1024; ++i) ids.push_back(fmt::format("c17-{}", 10000000 + i));
  size_t i = 0;
  for (auto _ : state) benchmark::DoNotOptimize(keys::EncodeIdKey(3, 7, ids[i++ & 1023]));
  state.SetItemsProcessed(state.iterations());
}
BENCHMARK(BM_EncodeIdKey);

void BM_DecodeIdKey(benchmark::State& state) {
  std::vector<std::string> ks;
  for (int i = 0; i < 1024; ++i) ks.push_back(keys::EncodeIdKey(3, 7, fmt::format("c17-{}", i)));
  size_t i = 0;
  for (auto _ : state) benchmark::DoNotOptimize(keys::DecodeIdKey(ks[i++ & 1023]));
  state.SetItemsProcessed(state.iterations());
}
BENCHMARK(BM_DecodeIdKey);

void BM_HeadRoundTrip(benchmark::State& state) {
  keys::Head h{12345, std::string(32, 'h')};
  for (auto _ : state) {
    ++h.seq;
    benchmark::DoNotOptimize(keys::DecodeHead(keys::EncodeHead(h)));
  }
  state.SetItemsProcessed(state.iterations());
}
BENCHMARK(BM_HeadRoundTrip);

void BM_PrefixSuccessor(benchmark::State& state) {
  const std::string p = keys::BranchPrefix(3, 7);
  for (auto _ : state) benchmark::DoNotOptimize(keys::PrefixSuccessor(p));
  state.SetItemsProcessed(state.iterations());
}
BENCHMARK(BM_PrefixSuccessor);

}  // namespace
}  // namespace demarche::bench

BENCHMARK_MAIN();
