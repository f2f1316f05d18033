// Crash safety: demarched as a real process, appends streaming in from
// several clients (single and batch appends, some with expected_head, one
// client over AppendStream), SIGKILL at a seeded random moment, restart on
// the same data directory, and after every cycle: every acknowledged event
// is present with its seq and content, no batch is half-written, nothing
// refused or unsent is stored, and every branch verifies.
//
// DEMARCHE_CRASH_CYCLES (default 20) and DEMARCHE_CRASH_SEED set the run.
#include <atomic>
#include <deque>
#include <map>
#include <mutex>
#include <random>
#include <thread>

#include <fmt/format.h>
#include <gtest/gtest.h>

#include "client.h"
#include "crash_model.h"
#include "process.h"

namespace demarche::reliability {
namespace {

constexpr char kScenario[] = "crash";
const std::vector<std::string> kBranches = {"main", "alt"};

struct CycleFlags {
  std::atomic<bool> killed{false};
  std::atomic<uint64_t> unexpected{0};  // errors while the server was alive
  std::atomic<uint64_t> calls{0};
  std::mutex mu;
  std::string first_unexpected;

  void Unexpected(const std::string& what) {
    if (unexpected.fetch_add(1) == 0) {
      std::lock_guard lock(mu);
      first_unexpected = what;
    }
  }
};

// One batch of fresh events: statements, sometimes a proposal and a
// response to it in the same batch (a reference resolved inside the batch).
SentBatch MakeBatch(std::mt19937_64& rng, const std::string& prefix, uint64_t n) {
  SentBatch b;
  b.branch = kBranches[rng() % 10 < 6 ? 0 : 1];
  const bool main = b.branch == "main";
  const size_t size = rng() % 10 == 0 ? 5 + rng() % 16 : 1 + rng() % 4;
  for (size_t i = 0; i < size; ++i) {
    const std::string id = fmt::format("{}-{}-{}", prefix, n, i);
    const std::string& actor = kRoster[rng() % kRoster.size()];
    if (i + 1 < size && rng() % 4 == 0) {
      b.events.push_back(Proposal(id, actor, "PRK", main));
      b.events.push_back(ResponseTo(id + "r", id, "PRK", main));
      ++i;
    } else {
      b.events.push_back(Statement(id, Day(2003, 1 + rng() % 12, 1 + rng() % 28), actor, main));
    }
  }
  return b;
}

void CheckAck(const SentBatch& b, const v1::AppendResponse& r, CycleFlags* flags) {
  bool ok = !r.replayed() && r.events_size() == static_cast<int>(b.events.size()) &&
            r.last_seq() == r.first_seq() + b.events.size() - 1;
  for (int i = 0; ok && i < r.events_size(); ++i)
    ok = r.events(i).seq() == r.first_seq() + i && r.events(i).id() == b.events[i].id();
  if (!ok) flags->Unexpected("malformed AppendResponse: " + r.ShortDebugString());
}

// Unary appends; a quarter of them with the expected head read just before.
void UnaryWriter(const std::string& address, uint64_t seed, const std::string& prefix,
                 CrashModel* model, CycleFlags* flags) {
  Client c(address);
  std::mt19937_64 rng(seed);
  for (uint64_t n = 0; !flags->killed.load(); ++n) {
    SentBatch b = MakeBatch(rng, prefix, n);
    std::optional<uint64_t> expected;
    if (rng() % 4 == 0) {
      v1::Branch info;
      grpc::Status s = GetBranch(c, kScenario, b.branch, &info);
      if (!s.ok()) {
        if (!flags->killed.load()) flags->Unexpected("GetBranch: " + Describe(s));
        return;
      }
      expected = info.head_seq();
    }
    v1::AppendResponse r;
    flags->calls.fetch_add(1);
    grpc::Status s =
        Append(c, kScenario, b.branch, b.events, expected, &r, std::chrono::seconds(10));
    if (s.ok()) {
      CheckAck(b, r, flags);
      model->Acked({r.events().begin(), r.events().end()});
    } else if (s.error_code() == grpc::StatusCode::FAILED_PRECONDITION && expected) {
      if (s.error_message().find("head is") == std::string::npos)
        flags->Unexpected("expected_head refusal without the head: " + Describe(s));
      model->Refused(std::move(b));
    } else {
      const bool killed = flags->killed.load();
      model->InDoubt(std::move(b));
      if (!killed) flags->Unexpected("Append: " + Describe(s));
      return;
    }
  }
}

// AppendStream with up to three batches in flight.
void StreamWriter(const std::string& address, uint64_t seed, const std::string& prefix,
                  CrashModel* model, CycleFlags* flags) {
  Client c(address);
  std::mt19937_64 rng(seed);
  auto ctx = Ctx(std::chrono::seconds(60));
  auto stream = c.ledger->AppendStream(ctx.get());
  std::deque<SentBatch> in_flight;
  uint64_t n = 0;
  bool broken = false;
  while (!broken && !flags->killed.load()) {
    while (in_flight.size() < 3) {
      SentBatch b = MakeBatch(rng, prefix, n++);
      v1::AppendRequest req;
      req.set_scenario(kScenario);
      req.set_branch(b.branch);
      for (const v1::Event& e : b.events) *req.add_events() = e;
      flags->calls.fetch_add(1);
      in_flight.push_back(std::move(b));
      if (!stream->Write(req)) {
        broken = true;
        break;
      }
    }
    v1::AppendResponse r;
    if (broken || !stream->Read(&r)) break;
    CheckAck(in_flight.front(), r, flags);
    model->Acked({r.events().begin(), r.events().end()});
    in_flight.pop_front();
  }
  const bool killed = flags->killed.load();
  for (SentBatch& b : in_flight) model->InDoubt(std::move(b));
  if (!broken) stream->WritesDone();
  grpc::Status s = stream->Finish();
  if (!killed) flags->Unexpected("AppendStream ended: " + Describe(s));
}

class ReliabilityCrash : public ::testing::Test {
 protected:
  void RestartOrDie() {
    std::string why;
    ASSERT_TRUE(server_->Start(std::chrono::seconds(60), &why)) << why;
  }

  // Reads every branch and checks it against the model.
  void CheckCycle(int cycle, CheckStats* stats) {
    Client c(server_->address());
    std::map<std::string, std::vector<v1::Event>> lineages;
    for (const std::string& branch : kBranches) {
      grpc::Status s;
      lineages[branch] = ReadAll(c, kScenario, branch, &s);
      ASSERT_TRUE(s.ok()) << "cycle " << cycle << " read " << branch << ": " << Describe(s);
      // The recovered head is the last event of the lineage, hash included.
      v1::Branch info;
      ASSERT_TRUE(GetBranch(c, kScenario, branch, &info).ok());
      ASSERT_EQ(info.head_seq(), lineages[branch].size()) << "cycle " << cycle << " " << branch;
      if (!lineages[branch].empty()) {
        ASSERT_EQ(info.head_hash(), lineages[branch].back().hash()) << "cycle " << cycle;
      }
    }
    std::vector<SentBatch> present;
    const std::string problems = model_.Check(lineages, stats, &present);
    ASSERT_EQ(problems, "") << "cycle " << cycle << " (seed " << seed_ << ")";
    ASSERT_EQ(VerifyAll(c, kScenario), "") << "cycle " << cycle;
    // A client that lost the reply retries: an exact replay, nothing written.
    for (const SentBatch& b : present) {
      v1::AppendResponse r;
      grpc::Status s = Append(c, kScenario, b.branch, b.events, std::nullopt, &r);
      ASSERT_TRUE(s.ok()) << "retry after crash: " << Describe(s);
      EXPECT_TRUE(r.replayed()) << "retry after crash wrote again: " << b.events[0].id();
    }
  }

  TempDir dir_;
  std::unique_ptr<DemarchedProcess> server_;
  CrashModel model_;
  uint64_t seed_ = 0;
};

TEST_F(ReliabilityCrash, SigkillDuringAppendsLosesNothingAcknowledged) {
  const int cycles = static_cast<int>(EnvInt("DEMARCHE_CRASH_CYCLES", 20));
  seed_ = static_cast<uint64_t>(EnvInt("DEMARCHE_CRASH_SEED", 5150));
  const int writers = static_cast<int>(EnvInt("DEMARCHE_CRASH_WRITERS", 4));
  std::mt19937_64 rng(seed_);
  server_ = std::make_unique<DemarchedProcess>(dir_.path() / "work", dir_.path() / "data");
  RestartOrDie();
  {
    Client c(server_->address());
    ASSERT_TRUE(CreateScenario(c, kScenario).ok());
    v1::AppendResponse r;
    ASSERT_TRUE(
        Append(c, kScenario, "main", {Statement("seed", Day(2003, 1, 10), "USA", true)}, 0, &r)
            .ok());
    model_.Acked({r.events().begin(), r.events().end()});
    v1::CreateBranchRequest cb;
    cb.set_scenario(kScenario);
    cb.set_name("alt");
    cb.set_after_seq(1);
    v1::Branch alt;
    ASSERT_TRUE(c.branches->CreateBranch(Ctx().get(), cb, &alt).ok());
  }
  uint64_t startup_kills = 0, present = 0, absent = 0, calls = 0;
  CheckStats stats;
  const auto begin = std::chrono::steady_clock::now();
  for (int cycle = 0; cycle < cycles; ++cycle) {
    CycleFlags flags;
    std::vector<std::thread> threads;
    for (int w = 0; w < writers; ++w) {
      const std::string prefix = fmt::format("c{}w{}", cycle, w);
      const uint64_t seed = rng();
      auto body = w == 0 ? StreamWriter : UnaryWriter;
      threads.emplace_back(body, server_->address(), seed, prefix, &model_, &flags);
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(20 + rng() % 600));
    flags.killed.store(true);
    server_->Kill();
    for (std::thread& t : threads) t.join();
    ASSERT_EQ(flags.unexpected.load(), 0u)
        << "cycle " << cycle << ": " << flags.first_unexpected << "\n"
        << server_->StderrTail();
    calls += flags.calls.load();
    // Now and then, kill it again while it recovers.
    if (rng() % 5 == 0) {
      ASSERT_TRUE(server_->Spawn());
      std::this_thread::sleep_for(std::chrono::milliseconds(rng() % 600));
      server_->Kill();
      ++startup_kills;
    }
    RestartOrDie();
    CheckCycle(cycle, &stats);
    if (HasFatalFailure()) return;
    present += stats.in_doubt_present;
    absent += stats.in_doubt_absent;
    if (cycles > 20 && (cycle + 1) % 25 == 0) {
      std::printf("crash: %d/%d cycles, %llu events, %.0f s\n", cycle + 1, cycles,
                  static_cast<unsigned long long>(stats.events),
                  std::chrono::duration<double>(std::chrono::steady_clock::now() - begin).count());
      std::fflush(stdout);
    }
  }
  const double secs =
      std::chrono::duration<double>(std::chrono::steady_clock::now() - begin).count();
  // The stopped data directory, opened offline, holds what the server showed.
  Client c(server_->address());
  Dump online, offline;
  std::string error;
  ASSERT_TRUE(DumpViaApi(c, &online, &error)) << error;
  EXPECT_EQ(server_->Terminate(std::chrono::seconds(20)), 0) << server_->StderrTail();
  ASSERT_TRUE(DumpOffline(dir_.path() / "data", &offline, &error)) << error;
  EXPECT_EQ(CompareDumps(online, offline), "");
  std::printf(
      "crash: seed %llu, %d cycles (%llu killed again during start-up) in %.1f s; %llu append "
      "calls; %llu events stored, %llu acknowledged; in-doubt batches: %llu found whole, %llu "
      "absent, none partial\n",
      static_cast<unsigned long long>(seed_), cycles,
      static_cast<unsigned long long>(startup_kills), secs, static_cast<unsigned long long>(calls),
      static_cast<unsigned long long>(stats.events),
      static_cast<unsigned long long>(model_.acked_events()),
      static_cast<unsigned long long>(present), static_cast<unsigned long long>(absent));
}

}  // namespace
}  // namespace demarche::reliability
