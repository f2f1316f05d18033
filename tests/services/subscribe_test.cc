// LedgerService.Subscribe: catch-up then live, exactly once and in order,
// across the switch, under concurrent appends; cancellation, deadlines and
// server shutdown end it cleanly.
#include <atomic>
#include <thread>

#include <fmt/format.h>

#include "service_fixture.h"

namespace demarche::testing {
namespace {

using ::testing::ElementsAre;

class SubscribeTest : public ServiceTest {
 protected:
  void SetUp() override {
    ServiceTest::SetUp();
    CreateScenario();
  }

  std::unique_ptr<grpc::ClientReader<v1::Event>> Subscribe(grpc::ClientContext* ctx,
                                                           uint64_t after_seq,
                                                           const std::string& branch = "main") {
    v1::SubscribeRequest r;
    r.set_scenario("talks");
    r.set_branch(branch);
    r.set_after_seq(after_seq);
    return ledger_stub_->Subscribe(ctx, r);
  }

  // Reads exactly `n` events.
  static std::vector<v1::Event> Take(grpc::ClientReader<v1::Event>* reader, size_t n) {
    std::vector<v1::Event> out;
    v1::Event e;
    while (out.size() < n && reader->Read(&e)) out.push_back(e);
    return out;
  }
};

TEST_F(SubscribeTest, CatchUpThenLive) {
  AppendNumbered(10);
  auto ctx = Ctx();
  auto reader = Subscribe(ctx.get(), 3);
  EXPECT_THAT(Seqs(Take(reader.get(), 7)), ElementsAre(4, 5, 6, 7, 8, 9, 10));
  AppendNumbered(3, "main", 11);
  EXPECT_THAT(Seqs(Take(reader.get(), 3)), ElementsAre(11, 12, 13));
  AppendNumbered(1, "main", 14);
  auto last = Take(reader.get(), 1);
  ASSERT_EQ(last.size(), 1u);
  EXPECT_EQ(last[0].id(), "e14");
  ctx->TryCancel();
  v1::Event e;
  EXPECT_FALSE(reader->Read(&e));
  EXPECT_EQ(reader->Finish().error_code(), grpc::StatusCode::CANCELLED);
}

TEST_F(SubscribeTest, EveryEventExactlyOnceAcrossTheSwitchUnderConcurrentAppends) {
  constexpr int kTotal = 300;
  AppendNumbered(20);  // some history to catch up on
  std::atomic<bool> writer_failed{false};
  std::thread writer([&] {
    int next = 21;
    while (next <= kTotal) {
      int n = std::min(1 + next % 4, kTotal - next + 1);  // batches of 1..4
      std::vector<v1::Event> batch;
      for (int i = 0; i < n; ++i, ++next) {
        batch.push_back(MakeEvent(fmt::format("e{}", next), "2003-05-01", {"USA"}, {"PRK"}));
      }
      v1::AppendResponse response;
      if (!Append("main", batch, &response).ok()) writer_failed = true;
      if (next % 40 == 0) std::this_thread::sleep_for(std::chrono::milliseconds(2));
    }
  });
  // Subscribers join at different moments and resume points, so some switch
  // to live early and some late, while appends keep landing.
  std::vector<std::thread> subscribers;
  std::vector<std::vector<uint64_t>> got(4);
  const uint64_t after[] = {0, 0, 10, 20};
  for (int s = 0; s < 4; ++s) {
    subscribers.emplace_back([&, s] {
      std::this_thread::sleep_for(std::chrono::milliseconds(5 * s));
      auto ctx = Ctx(std::chrono::seconds(30));
      auto reader = Subscribe(ctx.get(), after[s]);
      got[s] = Seqs(Take(reader.get(), kTotal - after[s]));
      ctx->TryCancel();
      reader->Finish();
    });
  }
  writer.join();
  for (auto& t : subscribers) t.join();
  EXPECT_FALSE(writer_failed);
  for (int s = 0; s < 4; ++s) {
    ASSERT_EQ(got[s].size(), kTotal - after[s]) << "subscriber " << s;
    for (size_t i = 0; i < got[s].size(); ++i) {
      ASSERT_EQ(got[s][i], after[s] + i + 1) << "subscriber " << s << " position " << i;
    }
  }
}

TEST_F(SubscribeTest, BranchSeesInheritedThenOwnEvents) {
  AppendNumbered(5);
  MustCreateBranch("alt", "main", 2);
  auto ctx = Ctx();
  auto reader = Subscribe(ctx.get(), 0, "alt");
  EXPECT_THAT(Seqs(Take(reader.get(), 2)), ElementsAre(1, 2));
  AppendNumbered(2, "main", 6);  // not in alt's lineage
  MustAppend("alt", {MakeEvent("x", "2004-01-01", {"USA"})});
  auto own = Take(reader.get(), 1);
  ASSERT_EQ(own.size(), 1u);
  EXPECT_EQ(own[0].id(), "x");
  EXPECT_EQ(own[0].seq(), 3u);
}

TEST_F(SubscribeTest, RejectsBadRequests) {
  AppendNumbered(2);
  v1::Event e;
  {
    auto ctx = Ctx();
    auto reader = Subscribe(ctx.get(), 3);
    EXPECT_FALSE(reader->Read(&e));
    EXPECT_STATUS(reader->Finish(), grpc::StatusCode::OUT_OF_RANGE,
                  "after_seq: 3 is beyond the head");
  }
  {
    auto ctx = Ctx();
    auto reader = Subscribe(ctx.get(), 0, "nope");
    EXPECT_FALSE(reader->Read(&e));
    EXPECT_STATUS(reader->Finish(), grpc::StatusCode::NOT_FOUND, "branch \"nope\" not found");
  }
  {
    auto ctx = Ctx();
    v1::SubscribeRequest r;
    auto reader = ledger_stub_->Subscribe(ctx.get(), r);
    EXPECT_FALSE(reader->Read(&e));
    EXPECT_STATUS(reader->Finish(), grpc::StatusCode::INVALID_ARGUMENT, "scenario: required");
  }
}

TEST_F(SubscribeTest, HonoursTheDeadline) {
  AppendNumbered(2);
  auto start = std::chrono::steady_clock::now();
  auto ctx = Ctx(std::chrono::milliseconds(400));
  auto reader = Subscribe(ctx.get(), 0);
  EXPECT_EQ(Take(reader.get(), 10).size(), 2u);  // then nothing more arrives
  EXPECT_EQ(reader->Finish().error_code(), grpc::StatusCode::DEADLINE_EXCEEDED);
  EXPECT_LT(std::chrono::steady_clock::now() - start, std::chrono::seconds(5));
}

TEST_F(SubscribeTest, EndsCleanlyOnServerShutdown) {
  AppendNumbered(2);
  auto ctx = Ctx();
  auto reader = Subscribe(ctx.get(), 0);
  ASSERT_EQ(Take(reader.get(), 2).size(), 2u);  // now live, waiting
  auto start = std::chrono::steady_clock::now();
  server_->Shutdown(std::chrono::seconds(10));
  // The subscription did not hold shutdown up for the grace period.
  EXPECT_LT(std::chrono::steady_clock::now() - start, std::chrono::seconds(3));
  v1::Event e;
  EXPECT_FALSE(reader->Read(&e));
  EXPECT_STATUS(reader->Finish(), grpc::StatusCode::UNAVAILABLE, "resume with after_seq=2");
}

}  // namespace
}  // namespace demarche::testing
