// proofs_bench: the verifiable log's costs on the embedded ledger (issue 27).
//
//   proofs_bench [--events N] [--queries Q] [--durable D] [--threads T] [--dir PATH]
//
//   build       N generated events in batches of 1000, sync off, with
//               checkpoints signed per group (the tree is always kept)
//   inclusion   Q inclusion proofs of random leaves in the tree at the head
//   consistency Q consistency proofs from a random size to the head
//   root        Q roots at random sizes
//   sign        Q checkpoint signatures alone (tlog::SignNote)
//   durable     T threads x D/T single-event durable appends (group commit),
//               unsigned then signed then unsigned again, on one branch each
//               of fresh ledgers, interleaved so that the machine's drift
//               falls on both sides
// Prints p50/p99 per query phase and events/s per append phase; figures
// only, nothing is asserted.
#include <algorithm>
#include <chrono>
#include <cstdio>
#include <filesystem>
#include <random>
#include <string>
#include <thread>
#include <vector>

#include <fmt/format.h>
#include <CLI/CLI.hpp>

#include "bench/generator.h"
#include "bench/stats.h"
#include "ledger/ledger.h"
#include "tlog/checkpoint.h"
#include "tlog/merkle.h"
#include "tlog/note.h"

namespace dl = demarche::ledger;
namespace db = demarche::bench;
namespace tlog = demarche::tlog;

namespace {

[[noreturn]] void Die(const std::string& what) {
  std::fprintf(stderr, "proofs_bench: %s\n", what.c_str());
  std::exit(1);
}

std::shared_ptr<const tlog::Signer> NewSigner() {
  auto s = tlog::Signer::Generate("proofs-bench");
  if (!s.ok()) Die(s.status().ToString());
  return std::make_shared<const tlog::Signer>(*std::move(s));
}

std::unique_ptr<dl::Ledger> OpenFresh(const std::string& path, bool sync,
                                      std::shared_ptr<const tlog::Signer> signer,
                                      db::Generator& gen) {
  std::filesystem::remove_all(path);
  dl::Options o;
  o.sync = sync;
  o.checkpoint_signer = std::move(signer);
  auto l = dl::Ledger::Open(path, o);
  if (!l.ok()) Die(l.status().ToString());
  if (auto c = (*l)->CreateScenario(gen.MakeScenario("bench"), "bench"); !c.ok())
    Die(c.status().ToString());
  return *std::move(l);
}

// Times `query` `n` times; prints p50 and p99 in microseconds.
template <typename F>
void Latency(const char* phase, int n, F query) {
  std::vector<double> us;
  us.reserve(n);
  for (int i = 0; i < n; ++i) {
    const auto t0 = db::Clock::now();
    query(i);
    us.push_back(db::SecondsSince(t0) * 1e6);
  }
  const double p50 = db::Quantile(us, 0.5), p99 = db::Quantile(us, 0.99);
  std::printf("%-12s %7d queries   p50 %8.1f us   p99 %8.1f us\n", phase, n, p50, p99);
  std::fflush(stdout);
}

// T threads, each appending its share of `total` single events to its own
// ledger branch... to one branch: group commit is what signing is per.
double Durable(const std::string& dir, bool signing, int threads, int total) {
  db::GeneratorOptions go;
  go.events = static_cast<uint64_t>(total);
  go.id_prefix = signing ? "s" : "u";
  db::Generator gen(go);
  auto ledger = OpenFresh(dir, true, signing ? NewSigner() : nullptr, gen);
  std::vector<std::vector<demarche::v1::Event>> work(threads);
  // Threads append out of generation order: moves that name an earlier
  // event (responses, corrections, aid deliveries) would not resolve, so they are left out.
  for (int i = 0; i < total;) {
    demarche::v1::Event e = gen.Next();
    if (e.move().has_response() || e.move().has_correction() || e.move().has_aid()) continue;
    work[i++ % threads].push_back(std::move(e));
  }
  const auto t0 = db::Clock::now();
  std::vector<std::thread> ts;
  for (int t = 0; t < threads; ++t)
    ts.emplace_back([&, t] {
      for (const auto& e : work[t]) {
        auto r = ledger->Append("bench", "main", {e}, dl::kAnyHead, "bench");
        if (!r.ok()) Die(r.status().ToString());
      }
    });
  for (auto& t : ts) t.join();
  const double secs = db::SecondsSince(t0);
  if (signing) {
    auto cp = ledger->Checkpoint("bench", "main");
    if (!cp.ok() || cp->size != static_cast<uint64_t>(total)) Die("no checkpoint at the head");
  }
  return total / secs;
}

}  // namespace

int main(int argc, char** argv) {
  uint64_t events = 1'000'000;
  int queries = 10'000, durable = 4'000, threads = 16, repeats = 3;
  std::string dir = (std::filesystem::temp_directory_path() / "proofs-bench").string();
  CLI::App app{"proofs_bench: Merkle proofs and checkpoint signing on the embedded ledger"};
  app.add_option("--events", events, "Events on the proved branch")->capture_default_str();
  app.add_option("--queries", queries, "Queries per phase")->capture_default_str();
  app.add_option("--durable", durable, "Durable appends per run")->capture_default_str();
  app.add_option("--threads", threads, "Appending threads")->capture_default_str();
  app.add_option("--repeats", repeats, "Unsigned/signed pairs")->capture_default_str();
  app.add_option("--dir", dir, "Scratch directory (removed first)")->capture_default_str();
  CLI11_PARSE(app, argc, argv);

  db::GeneratorOptions go;
  go.events = events;
  db::Generator gen(go);
  auto ledger = OpenFresh(dir + "/proved", false, NewSigner(), gen);
  const auto t0 = db::Clock::now();
  for (uint64_t done = 0; done < events;) {
    const size_t n = static_cast<size_t>(std::min<uint64_t>(1000, events - done));
    auto r = ledger->Append("bench", "main", gen.NextBatch(n), dl::kAnyHead, "bench");
    if (!r.ok()) Die(r.status().ToString());
    done += n;
  }
  const double build = db::SecondsSince(t0);
  std::printf("build        %7llu events   %8.0f events/s (sync off, batches of 1000, signed)\n",
              static_cast<unsigned long long>(events), events / build);

  std::mt19937_64 rng(7);
  const auto cp = ledger->Checkpoint("bench", "main");
  if (!cp.ok()) Die(cp.status().ToString());
  const uint64_t size = cp->size;
  std::vector<uint64_t> picks(queries);
  for (auto& p : picks) p = rng() % size;
  Latency("inclusion", queries, [&](int i) {
    auto p = ledger->InclusionProof("bench", "main", picks[i], size);
    auto leaf = ledger->StoredEvent("bench", "main", picks[i] + 1);
    if (!p.ok() || !leaf.ok()) Die("inclusion proof failed");
    // Checked once in a while, so the figure is of the server's work.
    if (i % 1000 == 0 &&
        !tlog::VerifyInclusion(picks[i], size, tlog::LeafHash(*leaf), *p, cp->root).ok())
      Die("an inclusion proof does not verify");
  });
  Latency("consistency", queries, [&](int i) {
    const uint64_t size1 = 1 + picks[i] % (size - 1);
    auto p = ledger->ConsistencyProof("bench", "main", size1, size);
    if (!p.ok()) Die("consistency proof failed");
  });
  Latency("root", queries, [&](int i) {
    if (!ledger->TreeRoot("bench", "main", 1 + picks[i]).ok()) Die("root failed");
  });
  const auto signer = NewSigner();
  const std::string text = tlog::FormatCheckpoint(
      {tlog::BranchOrigin(signer->name(), "bench", "main"), size, cp->root, {}});
  Latency("sign", queries, [&](int) {
    if (!tlog::SignNote(text, *signer).ok()) Die("signing failed");
  });
  ledger.reset();

  std::vector<double> unsigned_rates, signed_rates;
  for (int r = 0; r < repeats; ++r) {
    unsigned_rates.push_back(Durable(dir + "/durable", false, threads, durable));
    signed_rates.push_back(Durable(dir + "/durable", true, threads, durable));
  }
  unsigned_rates.push_back(Durable(dir + "/durable", false, threads, durable));
  const double u = db::Quantile(unsigned_rates, 0.5), s = db::Quantile(signed_rates, 0.5);
  std::printf(
      "durable      %d threads x %d appends: unsigned %.0f ev/s (median of %zu), "
      "signed %.0f ev/s (median of %zu) = %.2fx\n",
      threads, durable / threads, u, unsigned_rates.size(), s, signed_rates.size(), s / u);
  std::filesystem::remove_all(dir);
  return 0;
}
