// A subscription outlives its server: on SIGTERM the stream ends with
// UNAVAILABLE naming the resume point (the last seq the client has); on
// SIGKILL it just breaks. Either way the client resubscribes to the
// restarted server with after_seq and receives every event exactly once.
#include <regex>
#include <thread>

#include <fmt/format.h>

#include "fixture.h"

namespace demarche::reliability {
namespace {

constexpr char kScenario[] = "resume";

// One stream read to its end on a thread of its own.
struct Stream {
  Stream(const std::string& address, uint64_t after_seq) : client(address) {
    v1::SubscribeRequest r;
    r.set_scenario(kScenario);
    r.set_after_seq(after_seq);
    ctx = Ctx(std::chrono::seconds(120));
    reader = client.ledger->Subscribe(ctx.get(), r);
    thread = std::thread([this] {
      v1::Event e;
      while (reader->Read(&e)) {
        events.push_back(e);
        last.store(e.seq());
      }
      status = reader->Finish();
    });
  }
  bool WaitFor(uint64_t seq) {
    const auto end = std::chrono::steady_clock::now() + std::chrono::seconds(60);
    while (last.load() < seq && std::chrono::steady_clock::now() < end)
      std::this_thread::sleep_for(std::chrono::milliseconds(5));
    return last.load() >= seq;
  }
  void Join() { thread.join(); }

  Client client;
  std::unique_ptr<grpc::ClientContext> ctx;
  std::unique_ptr<grpc::ClientReader<v1::Event>> reader;
  std::vector<v1::Event> events;
  std::atomic<uint64_t> last{0};
  grpc::Status status;
  std::thread thread;
};

class ReliabilitySubscribeRestart : public ServerTest {
 protected:
  void AppendN(int from, int n) {
    Client c(address());
    for (int i = from; i < from + n; ++i) {
      v1::AppendResponse r;
      ASSERT_TRUE(Append(c, kScenario, "main",
                         {Statement(fmt::format("e{}", i), Day(2003, 3, 1 + i % 28), "JPN", true)},
                         std::nullopt, &r)
                      .ok());
    }
  }
  void Restart() {
    std::string why;
    ASSERT_TRUE(server_->Start(std::chrono::seconds(60), &why)) << why;
    client_ = std::make_unique<Client>(address());
  }
};

TEST_F(ReliabilitySubscribeRestart, ResumesExactlyOnceAcrossSigtermAndSigkill) {
  ASSERT_TRUE(CreateScenario(*client_, kScenario).ok());
  AppendN(1, 30);
  std::vector<v1::Event> got;
  // 1. Live on the first server, which stops gracefully.
  auto first = std::make_unique<Stream>(address(), 0);
  AppendN(31, 20);
  ASSERT_TRUE(first->WaitFor(50));
  ASSERT_EQ(server_->Terminate(std::chrono::seconds(30)), 0) << server_->StderrTail();
  first->Join();
  EXPECT_EQ(first->status.error_code(), grpc::StatusCode::UNAVAILABLE) << Describe(first->status);
  std::smatch m;
  const std::string message = first->status.error_message();
  ASSERT_TRUE(std::regex_search(message, m, std::regex("after_seq=([0-9]+)"))) << message;
  const uint64_t resume = std::stoull(m[1]);
  EXPECT_EQ(resume, first->last.load()) << "the resume point is not the last seq delivered";
  got.insert(got.end(), first->events.begin(), first->events.end());

  // 2. Resume on the restarted server, which is then killed.
  Restart();
  auto second = std::make_unique<Stream>(address(), resume);
  AppendN(51, 20);
  ASSERT_TRUE(second->WaitFor(70));
  server_->Kill();
  second->Join();
  EXPECT_EQ(second->status.error_code(), grpc::StatusCode::UNAVAILABLE) << Describe(second->status);
  got.insert(got.end(), second->events.begin(), second->events.end());

  // 3. Resume again after the crash; catch up and follow live.
  Restart();
  auto third = std::make_unique<Stream>(address(), second->last.load());
  AppendN(71, 10);
  ASSERT_TRUE(third->WaitFor(80));
  third->ctx->TryCancel();
  third->Join();
  got.insert(got.end(), third->events.begin(), third->events.end());

  grpc::Status s;
  const std::vector<v1::Event> all = ReadAll(*client_, kScenario, "main", &s);
  ASSERT_TRUE(s.ok()) << Describe(s);
  ASSERT_EQ(all.size(), 80u);
  ASSERT_EQ(got.size(), all.size());
  for (size_t i = 0; i < got.size(); ++i) {
    EXPECT_EQ(got[i].seq(), i + 1);
    EXPECT_EQ(got[i].hash(), all[i].hash()) << "seq " << i + 1;
  }
}

}  // namespace
}  // namespace demarche::reliability
