// N clients, each on its own connection, race appends on one head with
// expected_head: exactly one wins each head, every loser gets
// FAILED_PRECONDITION naming the current head.
#include <barrier>
#include <chrono>
#include <regex>
#include <thread>

#include <fmt/format.h>

#include "fixture.h"

namespace demarche::reliability {
namespace {

constexpr char kScenario[] = "race";

// The head a FAILED_PRECONDITION message reports ("... head is 17"), or -1.
int64_t ToldHead(const std::string& message) {
  static const std::regex re("head is ([0-9]+)");
  std::smatch m;
  if (!std::regex_search(message, m, re)) return -1;
  return std::stoll(m[1]);
}

class ReliabilityRace : public ServerTest {
 protected:
  void SetUp() override {
    ServerTest::SetUp();
    if (HasFatalFailure()) return;
    ASSERT_TRUE(CreateScenario(*client_, kScenario).ok());
  }
  uint64_t Head(const std::string& branch = "main") {
    v1::Branch b;
    grpc::Status s = GetBranch(*client_, kScenario, branch, &b);
    EXPECT_TRUE(s.ok()) << Describe(s);
    return b.head_seq();
  }
};

// All clients wait at a barrier, then append to the same expected head.
TEST_F(ReliabilityRace, ExactlyOneWinnerPerHead) {
  const int clients = static_cast<int>(EnvInt("DEMARCHE_RACE_CLIENTS", 8));
  const int rounds = static_cast<int>(EnvInt("DEMARCHE_RACE_ROUNDS", 40));
  std::atomic<uint64_t> head{0};
  Client probe(address());
  std::barrier sync(clients, [&]() noexcept {
    v1::Branch b;
    head.store(GetBranch(probe, kScenario, "main", &b).ok() ? b.head_seq() : UINT64_MAX);
  });
  // outcome[round][client]: the status of that client's append.
  std::vector<std::vector<grpc::Status>> outcome(rounds, std::vector<grpc::Status>(clients));
  std::vector<std::vector<uint64_t>> seq(rounds, std::vector<uint64_t>(clients));
  std::vector<std::thread> threads;
  for (int k = 0; k < clients; ++k) {
    threads.emplace_back([&, k] {
      Client c(address());
      // A channel whose first connect fails would fail every call fast for a
      // second (gRPC's backoff): connect before racing.
      EXPECT_TRUE(
          c.channel->WaitForConnected(std::chrono::system_clock::now() + std::chrono::seconds(10)));
      for (int r = 0; r < rounds; ++r) {
        sync.arrive_and_wait();
        v1::AppendResponse resp;
        const std::string id = fmt::format("r{}-c{}", r, k);
        outcome[r][k] = Append(c, kScenario, "main",
                               {Statement(id, Day(2003, 8, 1 + r % 28), kRoster[k % 6], true)},
                               head.load(), &resp);
        seq[r][k] = resp.first_seq();
      }
    });
  }
  for (std::thread& t : threads) t.join();
  uint64_t expected_head = 0;
  std::vector<std::string> winners;
  for (int r = 0; r < rounds; ++r) {
    int wins = 0;
    for (int k = 0; k < clients; ++k) {
      const grpc::Status& s = outcome[r][k];
      if (s.ok()) {
        ++wins;
        EXPECT_EQ(seq[r][k], expected_head + 1) << "round " << r;
        winners.push_back(fmt::format("r{}-c{}", r, k));
        continue;
      }
      EXPECT_EQ(s.error_code(), grpc::StatusCode::FAILED_PRECONDITION) << Describe(s);
      EXPECT_NE(s.error_message().find(fmt::format("expected_head {}", expected_head)),
                std::string::npos)
          << s.error_message();
      // The head a loser is told is the one the winner just made.
      EXPECT_EQ(ToldHead(s.error_message()), static_cast<int64_t>(expected_head + 1))
          << s.error_message();
    }
    EXPECT_EQ(wins, 1) << "round " << r;
    expected_head += 1;
  }
  EXPECT_EQ(Head(), static_cast<uint64_t>(rounds));
  grpc::Status s;
  std::vector<v1::Event> lineage = ReadAll(*client_, kScenario, "main", &s);
  ASSERT_TRUE(s.ok()) << Describe(s);
  ASSERT_EQ(lineage.size(), winners.size());
  for (size_t i = 0; i < lineage.size(); ++i) EXPECT_EQ(lineage[i].id(), winners[i]);
  EXPECT_EQ(VerifyAll(*client_, kScenario), "");
}

// Free-for-all: each client appends its events one by one with the head it
// believes in and, when refused, retries on the head it was told.
TEST_F(ReliabilityRace, LosersRetryOnTheHeadTheyAreTold) {
  const int clients = static_cast<int>(EnvInt("DEMARCHE_RACE_CLIENTS", 8));
  const int per_client = 25;
  std::atomic<uint64_t> refusals{0}, bad{0};
  std::mutex mu;
  std::string first_bad;
  std::vector<std::vector<uint64_t>> seqs(clients);
  std::vector<std::thread> threads;
  for (int k = 0; k < clients; ++k) {
    threads.emplace_back([&, k] {
      Client c(address());
      // A channel whose first connect fails would fail every call fast for a
      // second (gRPC's backoff): connect before racing.
      EXPECT_TRUE(
          c.channel->WaitForConnected(std::chrono::system_clock::now() + std::chrono::seconds(10)));
      uint64_t believed = 0;
      for (int i = 0; i < per_client; ++i) {
        const std::string id = fmt::format("c{}-{}", k, i);
        for (int attempt = 0;; ++attempt) {
          v1::AppendResponse resp;
          grpc::Status s =
              Append(c, kScenario, "main", {Statement(id, Day(2004, 2, 25), kRoster[k % 6], true)},
                     believed, &resp);
          if (s.ok()) {
            seqs[k].push_back(resp.first_seq());
            believed = resp.head_seq();
            break;
          }
          const int64_t told = ToldHead(s.error_message());
          if (s.error_code() != grpc::StatusCode::FAILED_PRECONDITION ||
              told <= static_cast<int64_t>(believed) || attempt > 10000) {
            std::lock_guard lock(mu);
            if (bad.fetch_add(1) == 0)
              first_bad = fmt::format("{} (believed {})", Describe(s), believed);
            return;
          }
          refusals.fetch_add(1);
          believed = static_cast<uint64_t>(told);
        }
      }
    });
  }
  for (std::thread& t : threads) t.join();
  ASSERT_EQ(bad.load(), 0u) << first_bad;
  const uint64_t total = static_cast<uint64_t>(clients) * per_client;
  EXPECT_EQ(Head(), total);
  std::vector<int> owner(total + 1, -1);
  for (int k = 0; k < clients; ++k) {
    ASSERT_EQ(seqs[k].size(), static_cast<size_t>(per_client));
    for (size_t i = 0; i < seqs[k].size(); ++i) {
      ASSERT_GE(seqs[k][i], 1u);
      ASSERT_LE(seqs[k][i], total);
      EXPECT_EQ(owner[seqs[k][i]], -1) << "seq " << seqs[k][i] << " won twice";
      owner[seqs[k][i]] = k;
      if (i > 0) {
        EXPECT_GT(seqs[k][i], seqs[k][i - 1]);
      }
    }
  }
  EXPECT_EQ(VerifyAll(*client_, kScenario), "");
  std::printf("race: %d clients, %llu appends won, %llu refusals with the current head\n", clients,
              static_cast<unsigned long long>(total),
              static_cast<unsigned long long>(refusals.load()));
}

}  // namespace
}  // namespace demarche::reliability
