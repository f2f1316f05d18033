// Appending: ordering, envelopes, all-or-nothing batches, idempotency,
// optimistic concurrency and concurrent appenders.
#include <atomic>
#include <map>
#include <mutex>
#include <thread>

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "ledger/canonical.h"
#include "ledger_test_util.h"

namespace demarche::ledger {
namespace {

using ltest::LedgerTest;
using ltest::Statement;
using ltest::Statements;

TEST_F(LedgerTest, AppendsAssignGaplessSeqsInBatchOrder) {
  auto first = AppendOk("main", Statements("a", 3));
  EXPECT_EQ(ltest::Seqs(first.events), (std::vector<uint64_t>{1, 2, 3}));
  EXPECT_EQ(first.head_seq, 3u);
  EXPECT_FALSE(first.replayed);
  auto second = AppendOk("main", Statements("b", 2));
  EXPECT_EQ(ltest::Seqs(second.events), (std::vector<uint64_t>{4, 5}));
  const auto all = ltest::ReadAll(*ledger_, "s", "main");
  EXPECT_EQ(ltest::Seqs(all), (std::vector<uint64_t>{1, 2, 3, 4, 5}));
  EXPECT_EQ(ltest::Ids(all), (std::vector<std::string>{"a0", "a1", "a2", "b0", "b1"}));
  EXPECT_EQ(Head("main"), 5u);
}

TEST_F(LedgerTest, TheLedgerAssignsTheEnvelopeAndIgnoresClientValues) {
  v1::Event e = Statement("x");
  e.set_scenario("forged");
  e.set_branch("forged");
  e.set_seq(99);
  e.set_recorded_by("forged");
  e.set_hash("forged");
  e.set_prev_hash("forged");
  e.mutable_recorded_at()->set_seconds(1);
  auto r = AppendOk("main", {e, Statement("y")});
  ASSERT_EQ(r.events.size(), 2u);
  const v1::Event& a = r.events[0];
  EXPECT_EQ(a.scenario(), "s");
  EXPECT_EQ(a.branch(), "main");
  EXPECT_EQ(a.seq(), 1u);
  EXPECT_EQ(a.recorded_by(), "tester");
  EXPECT_GT(a.recorded_at().seconds(), 1600000000);
  EXPECT_EQ(a.prev_hash(), ZeroHash());
  EXPECT_EQ(a.hash(), EventHash(a));
  EXPECT_EQ(r.events[1].prev_hash(), a.hash());
  // What is stored is what was returned.
  auto stored = ledger_->GetEvent("s", "main", 1);
  ASSERT_TRUE(stored.ok());
  EXPECT_EQ(CanonicalBytes(*stored), CanonicalBytes(a));
  EXPECT_EQ(ledger_->GetBranch("s", "main")->head_hash(), r.events[1].hash());
}

TEST_F(LedgerTest, ABatchWithOneBadEventWritesNothing) {
  AppendOk("main", Statements("ok", 2));
  auto batch = Statements("new", 5);
  batch[3].clear_actor();
  auto r = ledger_->Append("s", "main", batch, kAnyHead, "tester");
  ASSERT_EQ(r.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(r.status().message(), "events[3].actor: at least one party required");
  EXPECT_EQ(Head("main"), 2u);
  EXPECT_EQ(ltest::ReadAll(*ledger_, "s", "main").size(), 2u);
  EXPECT_EQ(ledger_->FindEvent("s", "main", "new0").status().code(), absl::StatusCode::kNotFound);
  // A bad reference late in the batch fails it as a whole too.
  batch = Statements("new", 5);
  batch[4].mutable_move()->mutable_response()->set_target("nowhere");
  batch[4].mutable_move()->mutable_response()->set_kind(v1::RESPONSE_KIND_ACCEPT);
  r = ledger_->Append("s", "main", batch, kAnyHead, "tester");
  EXPECT_EQ(r.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(Head("main"), 2u);
  EXPECT_TRUE(ledger_->Verify("s", "main")->ok);
  // The same batch, fixed, then lands at 3..7.
  EXPECT_EQ(AppendOk("main", Statements("new", 5)).head_seq, 7u);
}

TEST_F(LedgerTest, AnIdempotentRetryReturnsTheOriginalAndWritesNothing) {
  AppendOk("main", Statements("pre", 1));
  const auto batch = Statements("r", 3);
  auto first = AppendOk("main", batch, 1);
  AppendOk("main", Statements("post", 1));
  // The retry carries the stale expected head of the original call: still OK.
  auto retry = ledger_->Append("s", "main", batch, 1, "someone-else");
  ASSERT_TRUE(retry.ok()) << retry.status();
  EXPECT_TRUE(retry->replayed);
  ASSERT_EQ(retry->events.size(), 3u);
  for (size_t i = 0; i < 3; ++i) {
    EXPECT_EQ(CanonicalBytes(retry->events[i]), CanonicalBytes(first.events[i]));
    EXPECT_EQ(retry->events[i].recorded_by(), "tester");
  }
  EXPECT_EQ(retry->head_seq, 5u);
  EXPECT_EQ(Head("main"), 5u);
  EXPECT_EQ(ltest::ReadAll(*ledger_, "s", "main").size(), 5u);
}

TEST_F(LedgerTest, AnExistingIdWithOtherContentIsAlreadyExists) {
  AppendOk("main", Statements("a", 3));
  v1::Event changed = Statement("a1");
  changed.set_summary("something else");
  auto r = ledger_->Append("s", "main", {Statement("fresh"), changed}, kAnyHead, "t");
  EXPECT_EQ(r.status().code(), absl::StatusCode::kAlreadyExists);
  EXPECT_EQ(r.status().message(),
            "events[1].id: \"a1\" already exists at seq 2 with different content");
  EXPECT_EQ(Head("main"), 3u);
}

TEST_F(LedgerTest, ABatchMixingRecordedAndNewEventsIsRejected) {
  AppendOk("main", Statements("a", 2));
  auto r = ledger_->Append("s", "main", {Statement("new"), Statement("a1")}, kAnyHead, "t");
  EXPECT_EQ(r.status().code(), absl::StatusCode::kAlreadyExists);
  EXPECT_EQ(r.status().message(),
            "events[1].id: \"a1\" already exists at seq 2; a batch must be all new events or "
            "an exact retry of recorded ones");
  EXPECT_EQ(Head("main"), 2u);
}

TEST_F(LedgerTest, RepeatedIdsInOneBatchAreRejected) {
  auto r =
      ledger_->Append("s", "main", {Statement("a"), Statement("b"), Statement("a")}, kAnyHead, "t");
  EXPECT_EQ(r.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(r.status().message(), "events[2].id: \"a\" repeats events[0].id");
}

TEST_F(LedgerTest, ExpectedHeadMismatchNamesTheCurrentHead) {
  AppendOk("main", Statements("a", 9));
  auto r = ledger_->Append("s", "main", {Statement("x")}, 7, "t");
  EXPECT_EQ(r.status().code(), absl::StatusCode::kFailedPrecondition);
  EXPECT_EQ(r.status().message(), "expected_head 7 but branch \"main\" head is 9");
  EXPECT_EQ(Head("main"), 9u);
  EXPECT_EQ(AppendOk("main", {Statement("x")}, 9).head_seq, 10u);
  // An empty branch has head 0.
  ASSERT_TRUE(ledger_->CreateScenario(ltest::SixParty("empty"), "c").ok());
  EXPECT_EQ(ledger_->Append("empty", "main", {Statement("x")}, 1, "t").status().message(),
            "expected_head 1 but branch \"main\" head is 0");
  EXPECT_TRUE(ledger_->Append("empty", "main", {Statement("x")}, 0, "t").ok());
}

TEST_F(LedgerTest, BatchLimitsAndEmptyBatches) {
  Options o = ltest::FastOptions();
  o.max_batch_events = 3;
  o.max_event_bytes = 400;
  Reopen(o);
  auto r = ledger_->Append("s", "main", {}, kAnyHead, "t");
  EXPECT_EQ(r.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(r.status().message(), "events: at least one event required");
  r = ledger_->Append("s", "main", Statements("a", 4), kAnyHead, "t");
  EXPECT_EQ(r.status().code(), absl::StatusCode::kResourceExhausted);
  EXPECT_EQ(r.status().message(), "events: 4 events exceed max_batch_events 3");
  EXPECT_TRUE(ledger_->Append("s", "main", Statements("a", 3), kAnyHead, "t").ok());
  auto big = Statements("b", 2);
  big[1].set_summary(std::string(500, 'x'));
  r = ledger_->Append("s", "main", big, kAnyHead, "t");
  EXPECT_EQ(r.status().code(), absl::StatusCode::kResourceExhausted);
  EXPECT_THAT(std::string(r.status().message()), ::testing::StartsWith("events[1]: "));
  EXPECT_THAT(std::string(r.status().message()),
              ::testing::HasSubstr("bytes exceed max_event_bytes 400"))
      << r.status();
  EXPECT_EQ(Head("main"), 3u);
}

TEST_F(LedgerTest, UnknownScenarioOrBranchIsNotFound) {
  auto r = ledger_->Append("nope", "main", {Statement("a")}, kAnyHead, "t");
  EXPECT_EQ(r.status().code(), absl::StatusCode::kNotFound);
  EXPECT_EQ(r.status().message(), "scenario \"nope\" not found");
  r = ledger_->Append("s", "nope", {Statement("a")}, kAnyHead, "t");
  EXPECT_EQ(r.status().message(), "branch \"nope\" not found in scenario \"s\"");
}

std::vector<AppendBatch> InOrder(std::vector<std::vector<v1::Event>> batches) {
  std::vector<AppendBatch> run;
  for (auto& events : batches) run.push_back({std::move(events), kAnyHead, nullptr});
  return run;
}

TEST_F(LedgerTest, AppendInOrderGivesWhatConsecutiveAppendsGive) {
  AppendOk("main", Statements("pre", 1));
  auto run = InOrder({Statements("a", 2), Statements("b", 3), Statements("a", 2)});
  run[1].expected_head = 3;  // the head batch 0 leaves, not yet committed
  auto results = ledger_->AppendInOrder("s", "main", std::move(run), "tester");
  ASSERT_EQ(results.size(), 3u);
  for (const auto& r : results) ASSERT_TRUE(r.ok()) << r.status();
  EXPECT_EQ(ltest::Seqs(results[0]->events), (std::vector<uint64_t>{2, 3}));
  EXPECT_EQ(results[0]->head_seq, 3u);
  EXPECT_EQ(ltest::Seqs(results[1]->events), (std::vector<uint64_t>{4, 5, 6}));
  EXPECT_EQ(results[1]->events[0].prev_hash(), results[0]->events[1].hash());
  // Batch 2 repeats batch 0 of the same run: an idempotent retry.
  EXPECT_TRUE(results[2]->replayed);
  EXPECT_EQ(ltest::Seqs(results[2]->events), (std::vector<uint64_t>{2, 3}));
  EXPECT_EQ(results[2]->head_seq, 6u);
  EXPECT_EQ(Head("main"), 6u);
  EXPECT_TRUE(ledger_->Verify("s", "main")->ok);
}

TEST_F(LedgerTest, AppendInOrderStopsAtTheFirstFailedBatch) {
  auto run = InOrder({Statements("a", 2), Statements("b", 1), Statements("c", 1)});
  run[1].expected_head = 7;  // wrong: the head will be 2
  auto results = ledger_->AppendInOrder("s", "main", std::move(run), "tester");
  ASSERT_EQ(results.size(), 2u);
  ASSERT_TRUE(results[0].ok()) << results[0].status();
  EXPECT_EQ(results[1].status().code(), absl::StatusCode::kFailedPrecondition);
  EXPECT_EQ(results[1].status().message(), "expected_head 7 but branch \"main\" head is 2");
  EXPECT_EQ(Head("main"), 2u);
  EXPECT_EQ(ledger_->FindEvent("s", "main", "c0").status().code(), absl::StatusCode::kNotFound);

  // An event that fails the static checks ends the run the same way.
  run = InOrder({Statements("d", 1), Statements("e", 2), Statements("f", 1)});
  run[1].events[1].clear_actor();
  results = ledger_->AppendInOrder("s", "main", std::move(run), "tester");
  ASSERT_EQ(results.size(), 2u);
  ASSERT_TRUE(results[0].ok()) << results[0].status();
  EXPECT_EQ(results[1].status().message(), "events[1].actor: at least one party required");
  EXPECT_EQ(Head("main"), 3u);
  EXPECT_TRUE(ledger_->Verify("s", "main")->ok);

  results = ledger_->AppendInOrder("s", "nowhere", InOrder({Statements("g", 1)}), "tester");
  ASSERT_EQ(results.size(), 1u);
  EXPECT_EQ(results[0].status().code(), absl::StatusCode::kNotFound);
  EXPECT_TRUE(ledger_->AppendInOrder("s", "main", {}, "tester").empty());
}

// Batches prepared ahead (as a stream's reading thread does) append as
// unprepared ones do, and a prepared batch is appended at most once.
TEST_F(LedgerTest, PreparedBatchesAppendAsUnpreparedOnes) {
  auto prepared = InOrder({Statements("a", 2), Statements("b", 3)});
  for (AppendBatch& b : prepared) ASSERT_TRUE(ledger_->PrepareBatch("s", "main", &b).ok());
  EXPECT_TRUE(prepared[0].events.empty()) << "taken in";
  std::shared_ptr<PreparedBatch> kept = prepared[1].prepared;
  auto results = ledger_->AppendInOrder("s", "main", std::move(prepared), "tester");
  ASSERT_EQ(results.size(), 2u);
  for (const auto& r : results) ASSERT_TRUE(r.ok()) << r.status();
  EXPECT_EQ(ltest::Seqs(results[1]->events), (std::vector<uint64_t>{3, 4, 5}));

  // The same events unprepared on a fork from the same point store the
  // same client content, and both chains verify.
  ASSERT_TRUE(ledger_->CreateBranch("s", "f", "main", 0, std::nullopt, "t", "").ok());
  auto plain =
      ledger_->AppendInOrder("s", "f", InOrder({Statements("a", 2), Statements("b", 3)}), "tester");
  ASSERT_EQ(plain.size(), 2u);
  ASSERT_TRUE(plain[1].ok()) << plain[1].status();
  const auto main_events = ltest::ReadAll(*ledger_, "s", "main");
  const auto fork_events = ltest::ReadAll(*ledger_, "s", "f");
  std::vector<v1::Event> answered = results[0]->events;
  answered.insert(answered.end(), results[1]->events.begin(), results[1]->events.end());
  ASSERT_EQ(main_events.size(), 5u);
  ASSERT_EQ(fork_events.size(), 5u);
  for (size_t i = 0; i < 5; ++i) {
    EXPECT_EQ(CanonicalBytes(main_events[i]), CanonicalBytes(answered[i])) << "as answered";
    EXPECT_EQ(CanonicalBytes(ClientContent(main_events[i])),
              CanonicalBytes(ClientContent(fork_events[i])));
  }
  EXPECT_TRUE(ledger_->Verify("s", "main")->ok);
  EXPECT_TRUE(ledger_->Verify("s", "f")->ok);

  // Appended once: a second run of the same prepared batch is refused.
  std::vector<AppendBatch> again;
  again.push_back({{}, kAnyHead, kept});
  results = ledger_->AppendInOrder("s", "main", std::move(again), "tester");
  ASSERT_EQ(results.size(), 1u);
  EXPECT_EQ(results[0].status().code(), absl::StatusCode::kFailedPrecondition);
  EXPECT_EQ(results[0].status().message(), "events: this prepared batch was already appended");
  EXPECT_EQ(Head("main"), 5u);

  // Prepared for another branch: prepared again for this one.
  auto elsewhere = InOrder({Statements("c", 1)});
  ASSERT_TRUE(ledger_->PrepareBatch("s", "f", &elsewhere[0]).ok());
  results = ledger_->AppendInOrder("s", "main", std::move(elsewhere), "tester");
  ASSERT_TRUE(results[0].ok()) << results[0].status();
  EXPECT_EQ(results[0]->events[0].branch(), "main");
  EXPECT_EQ(Head("main"), 6u);
  EXPECT_EQ(Head("f"), 5u);
  EXPECT_TRUE(ledger_->Verify("s", "main")->ok);
}

TEST_F(LedgerTest, PrepareBatchRefusesAsAppendDoes) {
  auto bad = InOrder({Statements("d", 2)});
  bad[0].events[1].clear_actor();
  absl::Status s = ledger_->PrepareBatch("s", "main", &bad[0]);
  EXPECT_EQ(s.code(), absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(s.message(), "events[1].actor: at least one party required");
  EXPECT_EQ(bad[0].prepared, nullptr);

  auto repeated = InOrder({{ltest::Statement("x"), ltest::Statement("x")}});
  EXPECT_EQ(ledger_->PrepareBatch("s", "main", &repeated[0]).message(),
            "events[1].id: \"x\" repeats events[0].id");
  auto empty = InOrder({{}});
  EXPECT_EQ(ledger_->PrepareBatch("s", "main", &empty[0]).message(),
            "events: at least one event required");
  auto nowhere = InOrder({Statements("e", 1)});
  EXPECT_EQ(ledger_->PrepareBatch("s", "nowhere", &nowhere[0]).code(), absl::StatusCode::kNotFound);

  // Events beside a prepared batch are a caller's mistake, not appended.
  auto both = InOrder({Statements("f", 1)});
  ASSERT_TRUE(ledger_->PrepareBatch("s", "main", &both[0]).ok());
  EXPECT_EQ(ledger_->PrepareBatch("s", "main", &both[0]).code(),
            absl::StatusCode::kFailedPrecondition);
  both[0].events = Statements("g", 1);
  auto results = ledger_->AppendInOrder("s", "main", std::move(both), "tester");
  ASSERT_EQ(results.size(), 1u);
  EXPECT_EQ(results[0].status().message(), "events: a prepared batch carries its own events");
  EXPECT_EQ(Head("main"), 0u);
}

// 8 threads x 200 attempts, each appending at the head it last saw: exactly
// one winner per head, and the chain afterwards is gapless and verifies.
TEST_F(LedgerTest, ExpectedHeadRaceHasExactlyOneWinnerPerHead) {
  constexpr int kThreads = 8, kAttempts = 200;
  std::mutex mu;
  std::map<uint64_t, int> winners;  // head the append landed on -> count
  std::atomic<int> losses{0};
  std::vector<std::thread> threads;
  for (int t = 0; t < kThreads; ++t) {
    threads.emplace_back([&, t] {
      for (int i = 0; i < kAttempts; ++i) {
        const uint64_t seen = ledger_->GetBranch("s", "main")->head_seq();
        auto r = ledger_->Append(
            "s", "main", {Statement("t" + std::to_string(t) + "-" + std::to_string(i))}, seen, "t");
        if (r.ok()) {
          ASSERT_EQ(r->events[0].seq(), seen + 1);
          std::lock_guard lock(mu);
          ++winners[seen + 1];
        } else {
          ASSERT_EQ(r.status().code(), absl::StatusCode::kFailedPrecondition) << r.status();
          ++losses;
        }
      }
    });
  }
  for (auto& th : threads) th.join();
  const uint64_t head = Head("main");
  ASSERT_EQ(winners.size(), head);
  for (const auto& [seq, count] : winners) EXPECT_EQ(count, 1) << "seq " << seq;
  EXPECT_EQ(head + losses.load(), uint64_t{kThreads * kAttempts});
  EXPECT_EQ(ltest::Seqs(ltest::ReadAll(*ledger_, "s", "main")).size(), head);
  auto v = ledger_->Verify("s", "main");
  ASSERT_TRUE(v.ok());
  EXPECT_TRUE(v->ok) << v->reason;
  EXPECT_EQ(v->checked, head);
}

// Many appenders with kAnyHead (grouped commits under the hood) and retries of
// each other's batches: every batch lands once, contiguously, in a chain that
// verifies.
TEST_F(LedgerTest, ConcurrentAppendersAndRetriesLandEachBatchOnce) {
  Reopen([] {
    Options o = ltest::FastOptions();
    o.sync = true;  // exercise one fsync per group
    return o;
  }());
  constexpr int kThreads = 8, kBatches = 25;
  std::vector<std::thread> threads;
  for (int t = 0; t < kThreads; ++t) {
    threads.emplace_back([&, t] {
      for (int i = 0; i < kBatches; ++i) {
        // Pairs of threads share batch ids, so one of each pair is a retry.
        const auto batch =
            Statements("b" + std::to_string(t / 2) + "-" + std::to_string(i) + "-", 3);
        auto r = ledger_->Append("s", "main", batch, kAnyHead, "t");
        ASSERT_TRUE(r.ok()) << r.status();
        ASSERT_EQ(r->events.size(), 3u);
        EXPECT_EQ(r->events[1].seq(), r->events[0].seq() + 1);
        EXPECT_EQ(r->events[2].seq(), r->events[0].seq() + 2);
      }
    });
  }
  for (auto& th : threads) th.join();
  EXPECT_EQ(Head("main"), uint64_t{kThreads / 2 * kBatches * 3});
  auto v = ledger_->Verify("s", "main");
  ASSERT_TRUE(v.ok());
  EXPECT_TRUE(v->ok) << v->reason;
}

}  // namespace
}  // namespace demarche::ledger
