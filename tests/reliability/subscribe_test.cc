// Subscribers over gRPC while appends run: each receives every event of its
// branch after its resume point exactly once, in order, across catch-up and
// live; some start before the appends, some mid-way with after_seq resume
// points, one drops its stream and resumes where it left off.
#include <thread>

#include <fmt/format.h>
#include <google/protobuf/util/message_differencer.h>

#include "fixture.h"

namespace demarche::reliability {
namespace {

constexpr char kScenario[] = "subs";

// One subscription on its own connection, reading on its own thread.
class Subscriber {
 public:
  Subscriber(const std::string& address, std::string branch, uint64_t after_seq,
             uint64_t drop_after = 0)
      : client_(address), branch_(std::move(branch)), after_(after_seq), drop_after_(drop_after) {
    thread_ = std::thread([this] { Run(); });
  }
  ~Subscriber() { Stop(); }

  uint64_t after() const { return after_; }
  uint64_t last() const { return last_.load(); }
  // Cancels the stream once it has reached `head`; false on timeout.
  bool StopAt(uint64_t head, std::chrono::seconds timeout) {
    const auto end = std::chrono::steady_clock::now() + timeout;
    while (last_.load() < head && !done_.load() && std::chrono::steady_clock::now() < end)
      std::this_thread::sleep_for(std::chrono::milliseconds(5));
    const bool reached = last_.load() >= head;
    Stop();
    return reached;
  }
  const std::vector<v1::Event>& events() const { return events_; }
  const std::vector<grpc::Status>& statuses() const { return statuses_; }
  int streams() const { return streams_; }

 private:
  void Run() {
    uint64_t resume = after_;
    while (!stop_.load()) {
      {
        std::lock_guard lock(mu_);
        ctx_ = Ctx(std::chrono::seconds(300));
        if (stop_.load()) ctx_->TryCancel();
      }
      v1::SubscribeRequest request;
      request.set_scenario(kScenario);
      request.set_branch(branch_);
      request.set_after_seq(resume);
      auto reader = client_.ledger->Subscribe(ctx_.get(), request);
      ++streams_;
      v1::Event e;
      bool dropped = false;
      while (reader->Read(&e)) {
        events_.push_back(e);
        last_.store(e.seq());
        resume = e.seq();
        // Drop the stream on purpose once, mid-way, and resume from the last seq.
        if (drop_after_ != 0 && streams_ == 1 && events_.size() == drop_after_) {
          ctx_->TryCancel();
          dropped = true;
        }
      }
      statuses_.push_back(reader->Finish());
      if (!dropped) break;
    }
    done_.store(true);
  }
  void Stop() {
    stop_.store(true);
    {
      std::lock_guard lock(mu_);
      if (ctx_) ctx_->TryCancel();
    }
    if (thread_.joinable()) thread_.join();
  }

  Client client_;
  std::string branch_;
  uint64_t after_;
  uint64_t drop_after_;
  std::mutex mu_;
  std::unique_ptr<grpc::ClientContext> ctx_;
  std::atomic<bool> stop_{false}, done_{false};
  std::atomic<uint64_t> last_{0};
  std::vector<v1::Event> events_;
  std::vector<grpc::Status> statuses_;
  int streams_ = 0;
  std::thread thread_;
};

class ReliabilitySubscribe : public ServerTest {};

TEST_F(ReliabilitySubscribe, EveryEventExactlyOnceInOrderAcrossCatchUpAndLive) {
  const int per_appender = static_cast<int>(EnvInt("DEMARCHE_SUB_EVENTS", 150));
  ASSERT_TRUE(CreateScenario(*client_, kScenario).ok());
  // History to catch up on: 60 events on main, a fork "side" after 40.
  for (int i = 0; i < 60; i += 5) {
    std::vector<v1::Event> batch;
    for (int j = i; j < i + 5; ++j)
      batch.push_back(Statement(fmt::format("h{}", j), Day(2003, 1, 1 + j % 28), "USA", true));
    v1::AppendResponse r;
    ASSERT_TRUE(Append(*client_, kScenario, "main", batch, std::nullopt, &r).ok());
  }
  v1::CreateBranchRequest cb;
  cb.set_scenario(kScenario);
  cb.set_name("side");
  cb.set_after_seq(40);
  v1::Branch side;
  ASSERT_TRUE(client_->branches->CreateBranch(Ctx().get(), cb, &side).ok());

  std::vector<std::unique_ptr<Subscriber>> subs;
  // Before the appends: from the start, from mid-history, from the head,
  // one that drops and resumes, and one on the fork.
  subs.push_back(std::make_unique<Subscriber>(address(), "main", 0));
  subs.push_back(std::make_unique<Subscriber>(address(), "main", 30));
  subs.push_back(std::make_unique<Subscriber>(address(), "main", 60));
  subs.push_back(std::make_unique<Subscriber>(address(), "main", 0, /*drop_after=*/75));
  subs.push_back(std::make_unique<Subscriber>(address(), "side", 0));

  std::atomic<int> appended{0};
  std::atomic<uint64_t> errors{0};
  std::vector<std::thread> appenders;
  for (int a = 0; a < 3; ++a) {
    appenders.emplace_back([&, a] {
      Client c(address());
      const std::string branch = a == 2 ? "side" : "main";
      for (int i = 0; i < per_appender;) {
        std::vector<v1::Event> batch;
        const int n = std::min(1 + (i * 7 + a) % 5, per_appender - i);
        for (int j = 0; j < n; ++j, ++i)
          batch.push_back(Statement(fmt::format("a{}-{}", a, i), Day(2004, 1, 1 + i % 28), "CHN",
                                    branch == "main"));
        v1::AppendResponse r;
        if (!Append(c, kScenario, branch, batch, std::nullopt, &r).ok()) errors.fetch_add(1);
        appended.fetch_add(n);
      }
    });
  }
  // Mid-way: new subscribers resume from points in the past and the present.
  while (appended.load() < per_appender) std::this_thread::sleep_for(std::chrono::milliseconds(2));
  v1::Branch now;
  ASSERT_TRUE(GetBranch(*client_, kScenario, "main", &now).ok());
  subs.push_back(std::make_unique<Subscriber>(address(), "main", 0));
  subs.push_back(std::make_unique<Subscriber>(address(), "main", now.head_seq() / 2));
  subs.push_back(std::make_unique<Subscriber>(address(), "main", now.head_seq()));
  subs.push_back(std::make_unique<Subscriber>(address(), "side", 45));
  for (std::thread& t : appenders) t.join();
  ASSERT_EQ(errors.load(), 0u);

  std::map<std::string, std::vector<v1::Event>> lineage;
  for (const char* b : {"main", "side"}) {
    grpc::Status s;
    lineage[b] = ReadAll(*client_, kScenario, b, &s);
    ASSERT_TRUE(s.ok()) << Describe(s);
  }
  ASSERT_EQ(lineage["main"].size(), 60u + 2 * per_appender);
  ASSERT_EQ(lineage["side"].size(), 40u + per_appender);
  const std::vector<std::string> branch_of = {"main", "main", "main", "main", "side",
                                              "main", "main", "main", "side"};
  size_t delivered = 0;
  for (size_t k = 0; k < subs.size(); ++k) {
    Subscriber& sub = *subs[k];
    const std::vector<v1::Event>& all = lineage[branch_of[k]];
    ASSERT_TRUE(sub.StopAt(all.size(), std::chrono::seconds(60)))
        << "subscriber " << k << " stuck at seq " << sub.last() << " of " << all.size();
    const auto& got = sub.events();
    ASSERT_EQ(got.size(), all.size() - sub.after()) << "subscriber " << k;
    for (size_t i = 0; i < got.size(); ++i) {
      ASSERT_TRUE(google::protobuf::util::MessageDifferencer::Equals(got[i], all[sub.after() + i]))
          << "subscriber " << k << " event " << i << ": got seq " << got[i].seq();
    }
    delivered += got.size();
    // Each stream ended only because the client cancelled it.
    for (const grpc::Status& s : sub.statuses())
      EXPECT_EQ(s.error_code(), grpc::StatusCode::CANCELLED) << Describe(s);
  }
  EXPECT_EQ(subs[3]->streams(), 2);  // dropped once, resumed once
  EXPECT_EQ(VerifyAll(*client_, kScenario), "");
  std::printf("subscribe: %zu subscribers, %zu events delivered exactly once\n", subs.size(),
              delivered);
}

}  // namespace
}  // namespace demarche::reliability
