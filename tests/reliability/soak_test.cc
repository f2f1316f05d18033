// Soak: a few clients on loopback run a fixed-duration mix of appends,
// reads, state queries and a resuming subscription against one demarched.
// Checks: zero errors, the subscription sees every event once and in order,
// every branch verifies, and the server's RSS, threads and open files stay
// flat (the last third of the run against the first third after warm-up).
//
// DEMARCHE_SOAK_SECONDS (default 20) sets the duration.
#include <algorithm>
#include <cstdlib>
#include <random>
#include <thread>

#include <fmt/format.h>

#include "fixture.h"
#include "ledger/ledger.h"

namespace demarche::reliability {
namespace {

constexpr char kScenario[] = "soak";
// Resident bytes per serialized byte of an appended event (memtable copies of
// the event, its id and date index entries, skiplist and arena overhead).
constexpr double kMemtableFactor = 4;

struct Sample {
  double t;
  int64_t rss_kib, threads, fds, appended_bytes;
};

struct Counters {
  std::atomic<bool> stop{false};
  std::atomic<uint64_t> ok{0}, errors{0}, appended{0}, appended_bytes{0}, delivered{0};
  std::mutex mu;
  std::string first_error;
  void Check(const grpc::Status& s, const char* what) {
    if (s.ok()) {
      ok.fetch_add(1);
    } else if (errors.fetch_add(1) == 0) {
      std::lock_guard lock(mu);
      first_error = fmt::format("{}: {}", what, Describe(s));
    }
  }
};

void Appender(const std::string& address, int k, Counters* n) {
  Client c(address);
  std::mt19937 rng(k);
  for (int i = 0; !n->stop.load(); ++i) {
    const bool main = rng() % 2 == 0;
    std::vector<v1::Event> batch;
    const int size = 1 + rng() % 3;
    for (int j = 0; j < size; ++j)
      batch.push_back(Statement(fmt::format("a{}-{}-{}", k, i, j),
                                Day(2003 + rng() % 2, 1 + rng() % 12, 1 + rng() % 28),
                                kRoster[rng() % 6], main));
    v1::AppendResponse r;
    const grpc::Status s = Append(c, kScenario, main ? "main" : "what-if", batch, std::nullopt, &r);
    n->Check(s, "Append");
    if (s.ok()) {
      n->appended.fetch_add(size);
      for (const v1::Event& e : r.events()) n->appended_bytes.fetch_add(e.ByteSizeLong());
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(5));
  }
}

void Reader(const std::string& address, Counters* n) {
  Client c(address);
  std::mt19937 rng(7);
  while (!n->stop.load()) {
    v1::Branch head;
    n->Check(GetBranch(c, kScenario, "main", &head), "GetBranch");
    v1::ReadRequest r;
    r.set_scenario(kScenario);
    r.set_branch(rng() % 2 ? "main" : "what-if");
    r.set_order(static_cast<v1::ReadOrder>(rng() % 3));
    r.set_from_seq(1 + rng() % std::max<uint64_t>(1, head.head_seq()));
    r.set_limit(200);
    auto ctx = Ctx();
    auto reader = c.ledger->Read(ctx.get(), r);
    v1::Event e;
    while (reader->Read(&e)) {
    }
    n->Check(reader->Finish(), "Read");
    v1::GetEventRequest g;
    g.set_scenario(kScenario);
    g.set_seq(1 + rng() % std::max<uint64_t>(1, head.head_seq()));
    n->Check(c.ledger->GetEvent(Ctx().get(), g, &e), "GetEvent");
  }
}

void Stater(const std::string& address, Counters* n) {
  Client c(address);
  std::mt19937 rng(11);
  while (!n->stop.load()) {
    v1::GetStateRequest r;
    r.set_scenario(kScenario);
    r.set_branch(rng() % 2 ? "main" : "what-if");
    *r.mutable_as_of() = Day(2003 + rng() % 2, 1 + rng() % 12, 1 + rng() % 28);
    v1::ScenarioState state;
    n->Check(c.replay->GetState(Ctx().get(), r, &state), "GetState");
    v1::DiffRequest d;
    d.set_scenario(kScenario);
    d.set_branch_a("main");
    d.set_branch_b("what-if");
    *d.mutable_as_of_a() = r.as_of();
    v1::StateDiff diff;
    n->Check(c.replay->Diff(Ctx().get(), d, &diff), "Diff");
  }
}

// Subscribes to main, drops the stream every ~2 s and resumes from the last
// seq it has; every seq must follow the previous one. Runs until it has
// reached *until (set once the appenders have stopped).
void Subscriber(const std::string& address, Counters* n, std::atomic<uint64_t>* until,
                std::string* gap) {
  Client c(address);
  uint64_t last = 0;
  while (last < until->load()) {
    v1::SubscribeRequest r;
    r.set_scenario(kScenario);
    r.set_after_seq(last);
    auto ctx = Ctx(std::chrono::seconds(2));
    auto reader = c.ledger->Subscribe(ctx.get(), r);
    v1::Event e;
    while (reader->Read(&e)) {
      if (e.seq() != last + 1 && gap->empty()) *gap = fmt::format("seq {} after {}", e.seq(), last);
      last = e.seq();
      n->delivered.fetch_add(1);
      if (last >= until->load()) ctx->TryCancel();
    }
    grpc::Status s = reader->Finish();
    if (s.error_code() != grpc::StatusCode::DEADLINE_EXCEEDED &&
        s.error_code() != grpc::StatusCode::CANCELLED)
      n->Check(s, "Subscribe");
  }
}

double Max(const std::vector<Sample>& v, double from, double to, int64_t Sample::*field) {
  int64_t m = 0;
  for (const Sample& s : v)
    if (s.t >= from && s.t < to) m = std::max(m, s.*field);
  return static_cast<double>(m);
}

class ReliabilitySoak : public ServerTest {};

TEST_F(ReliabilitySoak, MixedLoadHasNoErrorsAndFlatMemory) {
  const double seconds = static_cast<double>(EnvInt("DEMARCHE_SOAK_SECONDS", 20));
  // DEMARCHE_SOAK_MIX picks the clients (to isolate one path's memory).
  const char* mix_env = std::getenv("DEMARCHE_SOAK_MIX");
  const std::string mix = mix_env ? mix_env : "append,read,state,subscribe";
  auto in_mix = [&](const char* what) { return mix.find(what) != std::string::npos; };
  ASSERT_TRUE(CreateScenario(*client_, kScenario).ok());
  // History to read and fold from the start: 2000 events on main, 200 on a fork.
  for (int i = 0; i < 2000; i += 500) {
    std::vector<v1::Event> seed;
    for (int j = i; j < i + 500; ++j)
      seed.push_back(Statement(fmt::format("s{}", j), Day(2002, 1 + j % 12, 1 + j % 28),
                               kRoster[j % 6], true));
    v1::AppendResponse ar;
    ASSERT_TRUE(Append(*client_, kScenario, "main", seed, std::nullopt, &ar).ok());
  }
  v1::CreateBranchRequest cb;
  cb.set_scenario(kScenario);
  cb.set_name("what-if");
  v1::Branch b;
  ASSERT_TRUE(client_->branches->CreateBranch(Ctx().get(), cb, &b).ok());
  std::vector<v1::Event> fork;
  for (int j = 0; j < 200; ++j)
    fork.push_back(Statement(fmt::format("f{}", j), Day(2002, 6, 1 + j % 28), "KOR", false));
  v1::AppendResponse ar;
  ASSERT_TRUE(Append(*client_, kScenario, "what-if", fork, std::nullopt, &ar).ok());

  Counters n;
  std::string gap;
  std::atomic<uint64_t> until{UINT64_MAX};
  std::vector<std::thread> clients;
  if (in_mix("append")) {
    clients.emplace_back(Appender, address(), 1, &n);
    clients.emplace_back(Appender, address(), 2, &n);
  }
  if (in_mix("read")) clients.emplace_back(Reader, address(), &n);
  if (in_mix("state")) clients.emplace_back(Stater, address(), &n);
  std::thread subscriber;
  if (in_mix("subscribe")) subscriber = std::thread(Subscriber, address(), &n, &until, &gap);
  std::vector<Sample> samples;
  const auto start = std::chrono::steady_clock::now();
  for (double t = 0; t < seconds;) {
    std::this_thread::sleep_for(std::chrono::milliseconds(200));
    t = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
    samples.push_back({t, server_->RssKib(), server_->StatusField("Threads"), server_->OpenFds(),
                       static_cast<int64_t>(n.appended_bytes.load())});
  }
  n.stop.store(true);
  for (std::thread& t : clients) t.join();
  if (std::getenv("DEMARCHE_SOAK_TRACE") != nullptr) {
    for (size_t i = 0; i < samples.size(); i += 25)
      std::printf("  t=%5.0f s  rss=%6.1f MiB  appended=%5.1f MiB  threads=%lld  fds=%lld\n",
                  samples[i].t, static_cast<double>(samples[i].rss_kib) / 1024,
                  static_cast<double>(samples[i].appended_bytes) / (1 << 20),
                  static_cast<long long>(samples[i].threads),
                  static_cast<long long>(samples[i].fds));
  }
  v1::Branch head;
  ASSERT_TRUE(GetBranch(*client_, kScenario, "main", &head).ok());
  until.store(head.head_seq());
  if (subscriber.joinable()) subscriber.join();
  ASSERT_TRUE(server_->Running()) << server_->StderrTail();

  EXPECT_EQ(n.errors.load(), 0u) << n.first_error;
  EXPECT_EQ(gap, "");
  EXPECT_EQ(VerifyAll(*client_, kScenario), "");
  // From after_seq 0 through the final head, each event once.
  if (in_mix("subscribe")) {
    EXPECT_EQ(n.delivered.load(), head.head_seq());
  }

  // Warm-up: the first fifth. Then the first and the last third of the rest.
  const double warm = seconds / 5, third = (seconds - warm) / 3;
  const double rss_first = Max(samples, warm, warm + third, &Sample::rss_kib);
  const double rss_last = Max(samples, seconds - third, 1e9, &Sample::rss_kib);
  const double thr_first = Max(samples, warm, warm + third, &Sample::threads);
  const double thr_last = Max(samples, seconds - third, 1e9, &Sample::threads);
  const double fd_first = Max(samples, warm, warm + third, &Sample::fds);
  const double fd_last = Max(samples, seconds - third, 1e9, &Sample::fds);
  std::printf(
      "soak: %.0f s, %llu calls ok, %llu errors, %llu events appended (main head %llu), %llu "
      "delivered by subscription; RSS max first third %.1f MiB, last third %.1f MiB (peak %.1f "
      "MiB); threads %.0f -> %.0f; fds %.0f -> %.0f\n",
      seconds, static_cast<unsigned long long>(n.ok.load()),
      static_cast<unsigned long long>(n.errors.load()),
      static_cast<unsigned long long>(n.appended.load()),
      static_cast<unsigned long long>(head.head_seq()),
      static_cast<unsigned long long>(n.delivered.load()), rss_first / 1024, rss_last / 1024,
      Max(samples, 0, 1e9, &Sample::rss_kib) / 1024, thr_first, thr_last, fd_first, fd_last);
  ASSERT_GT(rss_first, 0);
  // Flat: beyond 10% + 16 MiB of slack, the last third may only exceed the
  // first by what the ledger may hold in memory until a flush: RocksDB's
  // memtables, up to their budget (64 MiB, ledger::Options). They hold the
  // events appended since the warm-up (kMemtableFactor times their
  // serialized size), and also the snapshots that the state queries write,
  // each a whole state that grows with the branch, which the appended
  // bytes do not count. On a machine that appends 11k events in 20 s the
  // last third ran 30-40 MiB above the first, with this build and with the
  // one before this bound (26359df) alike.
  double appended_since_warm = 0;
  for (const Sample& s : samples)
    if (s.t < warm) appended_since_warm = static_cast<double>(s.appended_bytes);
  appended_since_warm = (static_cast<double>(n.appended_bytes.load()) - appended_since_warm) / 1024;
  const double memtables =
      std::max(kMemtableFactor * appended_since_warm,
               static_cast<double>(ledger::Options{}.memtable_budget_bytes) / 1024);
  const double allowed = rss_first * 1.1 + 16 * 1024 + memtables;
  std::printf("soak: %.1f MiB appended after warm-up; RSS bound %.1f MiB\n",
              appended_since_warm / 1024, allowed / 1024);
  EXPECT_LE(rss_last, allowed) << "RSS grew";
  EXPECT_LE(thr_last, thr_first + 4) << "threads grew";
  EXPECT_LE(fd_last, fd_first + 8) << "file descriptors grew";
}

}  // namespace
}  // namespace demarche::reliability
