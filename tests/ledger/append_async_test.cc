// Ledger::AppendAsync: answered once with what Append would give, committed
// on the ledger's threads in groups shared with waiting appenders, and every
// queued append answered before the ledger is gone.
#include <atomic>
#include <condition_variable>
#include <map>
#include <mutex>
#include <thread>

#include <gtest/gtest.h>

#include "ledger_test_util.h"

namespace demarche::ledger {
namespace {

using ltest::LedgerTest;
using ltest::Statement;
using ltest::Statements;

// The answers of AppendAsync calls, by a key the test chooses; counts every
// call of a callback so that a second one shows.
class Answers {
 public:
  AppendDone For(int key) {
    return [this, key](absl::StatusOr<AppendResult> r) {
      std::lock_guard lock(mu_);
      ++calls_[key];
      results_.insert_or_assign(key, std::move(r));
      threads_.insert_or_assign(key, std::this_thread::get_id());
      cv_.notify_all();
    };
  }
  // Waits until `n` answers have come, at most `timeout`.
  void WaitFor(size_t n, std::chrono::seconds timeout = std::chrono::seconds(30)) {
    std::unique_lock lock(mu_);
    ASSERT_TRUE(cv_.wait_for(lock, timeout, [&] { return calls_.size() >= n; }))
        << calls_.size() << " of " << n << " answered";
  }
  size_t Count() {
    std::lock_guard lock(mu_);
    return calls_.size();
  }
  int Calls(int key) {
    std::lock_guard lock(mu_);
    return calls_.count(key) ? calls_[key] : 0;
  }
  absl::StatusOr<AppendResult> Result(int key) {
    std::lock_guard lock(mu_);
    return results_.at(key);
  }
  std::thread::id Thread(int key) {
    std::lock_guard lock(mu_);
    return threads_.at(key);
  }

 private:
  std::mutex mu_;
  std::condition_variable cv_;
  std::map<int, int> calls_;
  std::map<int, absl::StatusOr<AppendResult>> results_;
  std::map<int, std::thread::id> threads_;
};

TEST_F(LedgerTest, AppendAsyncAnswersOnceWithWhatAppendGives) {
  Answers answers;
  const auto here = std::this_thread::get_id();
  // Refused before queueing: answered at once, on the calling thread.
  ledger_->AppendAsync("s", "nowhere", {Statement("n")}, kAnyHead, "tester", answers.For(0));
  v1::Event invalid = Statement("bad");
  invalid.clear_actor();
  ledger_->AppendAsync("s", "main", {invalid}, kAnyHead, "tester", answers.For(1));
  ASSERT_EQ(answers.Count(), 2u);
  EXPECT_EQ(answers.Result(0).status().code(), absl::StatusCode::kNotFound);
  EXPECT_EQ(answers.Result(1).status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_NE(answers.Result(1).status().message().find("events[0].actor"), std::string::npos)
      << answers.Result(1).status();
  EXPECT_EQ(answers.Thread(0), here);
  EXPECT_EQ(answers.Thread(1), here);

  // Accepted: answered by a committing thread, after the head moved.
  ledger_->AppendAsync("s", "main", Statements("a", 3), kAnyHead, "tester", answers.For(2));
  answers.WaitFor(3);
  auto appended = answers.Result(2);
  ASSERT_TRUE(appended.ok()) << appended.status();
  EXPECT_EQ(ltest::Seqs(appended->events), (std::vector<uint64_t>{1, 2, 3}));
  EXPECT_EQ(appended->head_seq, 3u);
  EXPECT_FALSE(appended->replayed);
  EXPECT_NE(answers.Thread(2), here);
  EXPECT_EQ(Head("main"), 3u);

  // A retry replays; a stale expected head fails; both as Append would.
  ledger_->AppendAsync("s", "main", Statements("a", 3), kAnyHead, "tester", answers.For(3));
  ledger_->AppendAsync("s", "main", {Statement("late")}, 1, "tester", answers.For(4));
  answers.WaitFor(5);
  ASSERT_TRUE(answers.Result(3).ok()) << answers.Result(3).status();
  EXPECT_TRUE(answers.Result(3)->replayed);
  EXPECT_EQ(ltest::Seqs(answers.Result(3)->events), (std::vector<uint64_t>{1, 2, 3}));
  EXPECT_EQ(answers.Result(4).status().code(), absl::StatusCode::kFailedPrecondition);
  for (int key = 0; key < 5; ++key) EXPECT_EQ(answers.Calls(key), 1) << "key " << key;
  EXPECT_EQ(Head("main"), 3u);
}

// Appenders that wait (Append) and appenders that do not (AppendAsync) share
// the branch's queue: whichever leads commits the others' requests too. Every
// batch lands once and contiguously, every callback runs once, and the chain
// verifies.
TEST_F(LedgerTest, AsyncAndWaitingAppendersShareTheBranchQueue) {
  Reopen([] {
    Options o = ltest::FastOptions();
    o.sync = true;  // one fsync per group, so groups form
    return o;
  }());
  constexpr int kThreads = 4, kBatches = 40;
  Answers answers;
  std::vector<std::thread> threads;
  for (int t = 0; t < kThreads; ++t) {
    threads.emplace_back([&, t] {
      for (int i = 0; i < kBatches; ++i) {
        const std::string prefix = "w" + std::to_string(t) + "-" + std::to_string(i) + "-";
        auto r = ledger_->Append("s", "main", Statements(prefix, 2), kAnyHead, "t");
        ASSERT_TRUE(r.ok()) << r.status();
        EXPECT_EQ(r->events[1].seq(), r->events[0].seq() + 1);
      }
    });
    threads.emplace_back([&, t] {
      for (int i = 0; i < kBatches; ++i) {
        const std::string prefix = "a" + std::to_string(t) + "-" + std::to_string(i) + "-";
        ledger_->AppendAsync("s", "main", Statements(prefix, 2), kAnyHead, "t",
                             answers.For(t * kBatches + i));
      }
    });
  }
  for (auto& th : threads) th.join();
  answers.WaitFor(kThreads * kBatches);
  for (int key = 0; key < kThreads * kBatches; ++key) {
    EXPECT_EQ(answers.Calls(key), 1) << "key " << key;
    auto r = answers.Result(key);
    ASSERT_TRUE(r.ok()) << r.status();
    EXPECT_EQ(r->events[1].seq(), r->events[0].seq() + 1);
  }
  EXPECT_EQ(Head("main"), uint64_t{2 * kThreads * kBatches * 2});
  auto v = ledger_->Verify("s", "main");
  ASSERT_TRUE(v.ok());
  EXPECT_TRUE(v->ok) << v->reason;
}

// A branch whose queue never empties takes one turn at a time: with a single
// commit thread, an append to another branch is still answered while the
// first is being flooded.
TEST_F(LedgerTest, ABusyBranchDoesNotStarveAnother) {
  Reopen([] {
    Options o = ltest::FastOptions();
    o.sync = true;  // each group takes an fsync, so the flood's queue fills
    o.commit_threads = 1;
    return o;
  }());
  ASSERT_TRUE(ledger_->CreateBranch("s", "other", "main", 0, std::nullopt, "tester", "").ok());
  std::atomic<bool> other_answered{false};
  std::atomic<int> in_flight{0};
  std::atomic<int> flooded{0};
  std::thread flood([&] {
    const auto give_up = std::chrono::steady_clock::now() + std::chrono::seconds(20);
    for (int i = 0; !other_answered && std::chrono::steady_clock::now() < give_up; ++i) {
      if (in_flight >= 10000) {  // bounded, but far above a group's size
        std::this_thread::yield();
        continue;
      }
      ++in_flight;
      ledger_->AppendAsync("s", "main", {Statement("f" + std::to_string(i))}, kAnyHead, "t",
                           [&](absl::StatusOr<AppendResult> r) {
                             EXPECT_TRUE(r.ok()) << r.status();
                             ++flooded;
                             --in_flight;
                           });
    }
  });
  while (flooded < 200) std::this_thread::yield();  // the flood is under way
  Answers answers;
  ledger_->AppendAsync("s", "other", {Statement("o")}, kAnyHead, "t", answers.For(0));
  // Well before the flood gives up (20 s): it is still running.
  answers.WaitFor(1, std::chrono::seconds(10));
  other_answered = true;
  flood.join();
  while (in_flight > 0) std::this_thread::yield();
  ASSERT_EQ(answers.Count(), 1u);
  ASSERT_TRUE(answers.Result(0).ok()) << answers.Result(0).status();
  EXPECT_EQ(Head("other"), 1u);
}

// Destroying the ledger commits and answers whatever is still queued; what
// was answered as appended is there after a reopen.
TEST_F(LedgerTest, ClosingTheLedgerAnswersEveryQueuedAppend) {
  Reopen([] {
    Options o = ltest::FastOptions();
    o.sync = true;
    return o;
  }());
  constexpr int kAppends = 200;
  Answers answers;
  for (int i = 0; i < kAppends; ++i)
    ledger_->AppendAsync("s", "main", {Statement("q" + std::to_string(i))}, kAnyHead, "t",
                         answers.For(i));
  ledger_.reset();
  ASSERT_EQ(answers.Count(), size_t{kAppends});
  uint64_t appended = 0;
  for (int i = 0; i < kAppends; ++i) {
    ASSERT_TRUE(answers.Result(i).ok()) << answers.Result(i).status();
    appended += answers.Result(i)->events.size();
  }
  Reopen();
  EXPECT_EQ(Head("main"), appended);
  EXPECT_EQ(appended, uint64_t{kAppends});
  auto v = ledger_->Verify("s", "main");
  ASSERT_TRUE(v.ok());
  EXPECT_TRUE(v->ok) << v->reason;
}

}  // namespace
}  // namespace demarche::ledger
