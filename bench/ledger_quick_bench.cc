// ledger_quick_bench: rough append and read figures for the embedded ledger.
//
//   ledger_quick_bench [--events N] [--batch B] [--durable D] [--dir PATH]
//
// Phases, each on a fresh data directory under PATH (default $TMPDIR or /tmp):
//   bulk      N events in batches of B, sync off
//   durable   D single-event appends, sync on (one fsync each)
//   durable8  8 threads x D/8 single-event appends, sync on (group commit)
//   read      a full forward read of the bulk branch
//   occurred  a full ReadByOccurred of it
//   verify    Verify of it
// Prints events/s per phase. Figures only; nothing is asserted.
#include <sys/resource.h>
#include <unistd.h>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <random>
#include <string>
#include <thread>
#include <vector>

#include <fmt/format.h>

#include "ledger/date.h"
#include "ledger/ledger.h"

namespace dl = demarche::ledger;
namespace v1 = demarche::v1;

namespace {

using Clock = std::chrono::steady_clock;

double Seconds(Clock::time_point start) {
  return std::chrono::duration<double>(Clock::now() - start).count();
}

// Process CPU seconds (all threads, user + system): on a shared, loaded
// machine this is steadier than wall time.
double CpuSeconds() {
  rusage u{};
  getrusage(RUSAGE_SELF, &u);
  return static_cast<double>(u.ru_utime.tv_sec + u.ru_stime.tv_sec) +
         static_cast<double>(u.ru_utime.tv_usec + u.ru_stime.tv_usec) / 1e6;
}
double cpu_mark = 0;

[[noreturn]] void Die(const std::string& what) {
  std::fprintf(stderr, "ledger_quick_bench: %s\n", what.c_str());
  std::exit(1);
}

const char* kParties[] = {"PRK", "USA", "CHN", "JPN", "RUS", "KOR"};

// A plausible event of ~400 bytes: a statement, proposal or aid pledge.
v1::Event MakeEvent(const std::string& id, std::mt19937& rng) {
  v1::Event e;
  e.set_id(id);
  auto* d = e.mutable_occurred();
  d->set_year(1990 + static_cast<int>(rng() % 15));
  d->set_month(1 + static_cast<int>(rng() % 12));
  d->set_day(rng() % 4 == 0 ? 0 : 1 + static_cast<int>(rng() % 28));
  if (d->day() == 0 && rng() % 2) d->set_month(0);
  const int a = static_cast<int>(rng() % 6);
  e.add_actor(kParties[a]);
  e.add_recipients(kParties[(a + 1 + rng() % 5) % 6]);
  switch (rng() % 3) {
    case 0: {
      auto* s = e.mutable_move()->mutable_statement();
      s->set_issue("dprk-nuclear-programme");
      s->set_stance(v1::STANCE_CONDITIONAL);
      s->set_position("will freeze its nuclear programme only in exchange for assurances");
      break;
    }
    case 1: {
      auto* p = e.mutable_move()->mutable_proposal();
      p->set_issue("security-assurances");
      p->set_title("package deal");
      auto* t = p->add_terms();
      t->set_giver("USA");
      t->set_receiver("PRK");
      t->set_commodity("heavy fuel oil");
      t->set_quantity(500000);
      t->set_unit("t");
      p->add_conditions("verifiable freeze first");
      break;
    }
    default: {
      auto* aid = e.mutable_move()->mutable_aid();
      aid->set_action(v1::AID_ACTION_PLEDGE);
      aid->set_commodity("food grain");
      aid->set_quantity(250000);
      aid->set_unit("t");
      break;
    }
  }
  auto* src = e.add_sources();
  src->set_document("Quinones, North Korea's Multilateral Strategy in the Six Party Talks (2004)");
  src->set_locator("p. 3");
  src->set_quote(
      "Pyongyang proposed a package solution in which it would freeze its nuclear programme in "
      "return for energy aid and a security guarantee.");
  e.set_context(v1::CONTEXT_HISTORICAL);
  e.set_summary("a move of the Six Party Talks");
  return e;
}

std::unique_ptr<dl::Ledger> OpenFresh(const std::string& path, bool sync) {
  std::filesystem::remove_all(path);
  dl::Options o;
  o.sync = sync;
  auto l = dl::Ledger::Open(path, o);
  if (!l.ok()) Die(l.status().ToString());
  v1::Scenario s;
  s.set_name("bench");
  for (const char* code : kParties) s.add_roster()->set_code(code);
  if (auto c = (*l)->CreateScenario(s, "bench"); !c.ok()) Die(c.status().ToString());
  return *std::move(l);
}

// Wall-clock rate, and CPU microseconds per event since the previous report.
void Report(const char* phase, uint64_t events, double secs, const std::string& extra = "") {
  const double cpu = CpuSeconds();
  std::printf("%-9s %9llu events %8.3f s %11.0f events/s %8.2f cpu-us/event %s\n", phase,
              static_cast<unsigned long long>(events), secs, events / secs,
              1e6 * (cpu - cpu_mark) / events, extra.c_str());
  std::fflush(stdout);
  cpu_mark = CpuSeconds();
}

void Append(dl::Ledger& l, const std::vector<v1::Event>& batch) {
  auto r = l.Append("bench", "main", batch, dl::kAnyHead, "bench");
  if (!r.ok()) Die(r.status().ToString());
}

}  // namespace

int main(int argc, char** argv) {
  uint64_t n = 200000, batch = 100, durable = 400;
  const char* tmp = std::getenv("TMPDIR");
  std::string dir = tmp && *tmp ? tmp : "/tmp";
  for (int i = 1; i + 1 < argc; i += 2) {
    const std::string flag = argv[i];
    if (flag == "--events")
      n = std::stoull(argv[i + 1]);
    else if (flag == "--batch")
      batch = std::stoull(argv[i + 1]);
    else if (flag == "--durable")
      durable = std::stoull(argv[i + 1]);
    else if (flag == "--dir")
      dir = argv[i + 1];
    else
      Die("unknown flag " + flag);
  }
  const std::string base = dir + "/ledger_quick_bench." + std::to_string(getpid());
  std::mt19937 rng(42);

  {  // durable single appends, one thread then eight
    auto l = OpenFresh(base + "/durable", true);
    cpu_mark = CpuSeconds();
    auto start = Clock::now();
    for (uint64_t i = 0; i < durable; ++i) Append(*l, {MakeEvent(fmt::format("d{}", i), rng)});
    double secs = Seconds(start);
    Report("durable", durable, secs, fmt::format("({:.2f} ms per append)", 1000 * secs / durable));

    constexpr int kThreads = 8;
    std::vector<std::vector<v1::Event>> work(kThreads);
    for (int t = 0; t < kThreads; ++t)
      for (uint64_t i = 0; i < durable / kThreads; ++i)
        work[t].push_back(MakeEvent(fmt::format("t{}-{}", t, i), rng));
    cpu_mark = CpuSeconds();
    start = Clock::now();
    std::vector<std::thread> threads;
    for (int t = 0; t < kThreads; ++t)
      threads.emplace_back([&, t] {
        for (const auto& e : work[t]) Append(*l, {e});
      });
    for (auto& th : threads) th.join();
    Report("durable8", durable / kThreads * kThreads, Seconds(start),
           "(8 appenders, group commit)");
  }

  auto l = OpenFresh(base + "/bulk", false);
  std::vector<std::vector<v1::Event>> batches;
  for (uint64_t i = 0; i < n; i += batch) {
    auto& b = batches.emplace_back();
    for (uint64_t j = i; j < std::min(n, i + batch); ++j)
      b.push_back(MakeEvent(fmt::format("e{}", j), rng));
  }
  cpu_mark = CpuSeconds();
  auto start = Clock::now();
  for (const auto& b : batches) Append(*l, b);
  Report("bulk", n, Seconds(start), fmt::format("(batches of {}, sync off)", batch));

  start = Clock::now();
  uint64_t count = 0;
  {
    auto it = l->Read("bench", "main", {});
    if (!it.ok()) Die(it.status().ToString());
    for (; (*it)->Valid(); (*it)->Next()) ++count;
    if (!(*it)->status().ok()) Die((*it)->status().ToString());
  }
  Report("read", count, Seconds(start));

  start = Clock::now();
  count = 0;
  {
    auto it = l->ReadByOccurred("bench", "main", dl::kMinDateKey, dl::kMaxDateKey, 0,
                                dl::EventFields::kAll, 0);
    if (!it.ok()) Die(it.status().ToString());
    for (; (*it)->Valid(); (*it)->Next()) ++count;
    if (!(*it)->status().ok()) Die((*it)->status().ToString());
  }
  Report("occurred", count, Seconds(start));

  start = Clock::now();
  auto v = l->Verify("bench", "main");
  if (!v.ok() || !v->ok) Die(v.ok() ? v->reason : v.status().ToString());
  Report("verify", v->checked, Seconds(start));

  l.reset();
  std::filesystem::remove_all(base);
  return 0;
}
