// LedgerService (Append, AppendStream, Read, GetEvent) through a real server.
// Subscribe has its own file.
#include <map>
#include <thread>

#include <grpcpp/generic/generic_stub.h>

#include "service_fixture.h"

namespace demarche::testing {
namespace {

using ::testing::ElementsAre;
using ::testing::IsEmpty;

class LedgerServiceTest : public ServiceTest {
 protected:
  void SetUp() override {
    ServiceTest::SetUp();
    CreateScenario();
  }
  v1::ReadRequest ReadMain() {
    v1::ReadRequest r;
    r.set_scenario("talks");
    return r;  // branch left empty: reads default to main
  }
};

TEST_F(LedgerServiceTest, AppendAssignsEnvelopes) {
  auto response = MustAppend("main", {MakeEvent("a", "2003-08-27", {"USA"}, {"PRK"}),
                                      MakeEvent("b", "2003-08", {"PRK"}, {"USA"}, "proposal")});
  EXPECT_EQ(response.first_seq(), 1u);
  EXPECT_EQ(response.last_seq(), 2u);
  EXPECT_EQ(response.head_seq(), 2u);
  EXPECT_FALSE(response.replayed());
  ASSERT_EQ(response.events_size(), 2);
  const v1::Event& a = response.events(0);
  const v1::Event& b = response.events(1);
  EXPECT_EQ(a.scenario(), "talks");
  EXPECT_EQ(a.branch(), "main");
  EXPECT_EQ(a.recorded_by(), "local");
  EXPECT_GT(a.recorded_at().seconds(), 0);
  EXPECT_EQ(a.prev_hash(), std::string(32, '\0'));
  EXPECT_EQ(a.hash().size(), 32u);
  EXPECT_EQ(b.prev_hash(), a.hash());
  EXPECT_EQ(response.head_hash(), b.hash());
}

TEST_F(LedgerServiceTest, AppendIsIdempotentByEventId) {
  std::vector<v1::Event> batch = {MakeEvent("a", "2003-08-27", {"USA"}),
                                  MakeEvent("b", "2003-08-28", {"PRK"})};
  auto first = MustAppend("main", batch);
  AppendNumbered(2, "main", 10);  // the head moves on
  auto retry = MustAppend("main", batch);
  EXPECT_TRUE(retry.replayed());
  EXPECT_EQ(retry.first_seq(), first.first_seq());
  EXPECT_EQ(retry.last_seq(), first.last_seq());
  EXPECT_EQ(retry.head_seq(), 4u);
  EXPECT_EQ(retry.events(1).hash(), first.events(1).hash());
  EXPECT_EQ(retry.head_hash().size(), 32u);
  EXPECT_EQ(Head(), 4u);
}

TEST_F(LedgerServiceTest, AppendSameIdDifferentContentIsRejected) {
  MustAppend("main", {MakeEvent("a", "2003-08-27", {"USA"})});
  v1::AppendResponse out;
  EXPECT_STATUS(Append("main", {MakeEvent("a", "2003-08-28", {"USA"})}, &out),
                grpc::StatusCode::ALREADY_EXISTS, "events[0].id: \"a\" already exists at seq 1");
  EXPECT_EQ(Head(), 1u);
}

TEST_F(LedgerServiceTest, AppendExpectedHead) {
  MustAppend("main", {MakeEvent("a", "2003-08-27", {"USA"})}, 0);
  MustAppend("main", {MakeEvent("b", "2003-08-28", {"USA"})}, 1);
  v1::AppendResponse out;
  // A stale head: told the current one, nothing written.
  EXPECT_STATUS(Append("main", {MakeEvent("c", "2003-08-29", {"USA"})}, &out, 1),
                grpc::StatusCode::FAILED_PRECONDITION, "head is 2");
  EXPECT_EQ(Head(), 2u);
  EXPECT_STATUS(Append("main", {MakeEvent("c", "2003-08-29", {"USA"})}, &out, UINT64_MAX),
                grpc::StatusCode::OUT_OF_RANGE,
                "expected_head: 18446744073709551615 is beyond any head");
}

TEST_F(LedgerServiceTest, AppendIsAllOrNothing) {
  MustAppend("main", {MakeEvent("a", "2003-08-27", {"USA"})});
  v1::AppendResponse out;
  EXPECT_STATUS(
      Append("main",
             {MakeEvent("b", "2003-08-28", {"USA"}), MakeEvent("c", "2003-08-29", {"PRK"}),
              MakeEvent("d", "2003-08-30", {"XYZ"})},
             &out),
      grpc::StatusCode::INVALID_ARGUMENT, "events[2].actor[0]: \"XYZ\" is not in the roster");
  EXPECT_EQ(Head(), 1u);
  v1::GetEventRequest get;
  get.set_scenario("talks");
  get.set_id("b");
  v1::Event e;
  EXPECT_EQ(ledger_stub_->GetEvent(Ctx().get(), get, &e).error_code(), grpc::StatusCode::NOT_FOUND);
}

TEST_F(LedgerServiceTest, AppendValidatesRequestFields) {
  v1::AppendResponse out;
  auto event = MakeEvent("a", "2003-08-27", {"USA"});
  EXPECT_STATUS(Append("main", {event}, &out, std::nullopt, ""), grpc::StatusCode::INVALID_ARGUMENT,
                "scenario: required");
  EXPECT_STATUS(Append("main", {event}, &out, std::nullopt, "Talks!"),
                grpc::StatusCode::INVALID_ARGUMENT, "scenario: \"Talks!\" must match");
  EXPECT_STATUS(Append("", {event}, &out), grpc::StatusCode::INVALID_ARGUMENT, "branch: required");
  EXPECT_STATUS(Append("main", {}, &out), grpc::StatusCode::INVALID_ARGUMENT,
                "events: at least one event");
  EXPECT_STATUS(Append("main", {event}, &out, std::nullopt, "nope"), grpc::StatusCode::NOT_FOUND,
                "scenario \"nope\" not found");
  EXPECT_STATUS(Append("nope", {event}, &out), grpc::StatusCode::NOT_FOUND,
                "branch \"nope\" not found in scenario \"talks\"");
  auto no_source = event;
  no_source.clear_sources();
  EXPECT_STATUS(Append("main", {no_source}, &out), grpc::StatusCode::INVALID_ARGUMENT,
                "events[0].sources");
  EXPECT_EQ(Head(), 0u);
}

TEST_F(LedgerServiceTest, AppendStreamAnswersEachBatchInOrder) {
  auto ctx = Ctx();
  auto stream = ledger_stub_->AppendStream(ctx.get());
  for (int batch = 0; batch < 3; ++batch) {
    v1::AppendRequest request;
    request.set_scenario("talks");
    request.set_branch("main");
    request.set_omit_events(batch == 2);
    for (int i = 0; i < 2; ++i) {
      *request.add_events() = MakeEvent("s" + std::to_string(batch * 2 + i),
                                        "2003-09-0" + std::to_string(i + 1), {"CHN"});
    }
    ASSERT_TRUE(stream->Write(request));
    v1::AppendResponse response;
    ASSERT_TRUE(stream->Read(&response));
    EXPECT_EQ(response.first_seq(), static_cast<uint64_t>(batch * 2 + 1));
    EXPECT_EQ(response.last_seq(), static_cast<uint64_t>(batch * 2 + 2));
    EXPECT_EQ(response.head_seq(), static_cast<uint64_t>(batch * 2 + 2));
    EXPECT_EQ(response.head_hash().size(), 32u);
    if (batch == 2) {
      EXPECT_EQ(response.events_size(), 0) << "omit_events: seqs and head only";
    } else {
      ASSERT_EQ(response.events_size(), 2);
      EXPECT_EQ(response.events(1).seq(), static_cast<uint64_t>(batch * 2 + 2));
      EXPECT_EQ(response.events(1).hash(), response.head_hash());
    }
  }
  stream->WritesDone();
  EXPECT_TRUE(stream->Finish().ok());
  EXPECT_EQ(Head(), 6u);
}

TEST_F(LedgerServiceTest, AppendStreamStopsAtTheFirstFailedBatch) {
  auto ctx = Ctx();
  auto stream = ledger_stub_->AppendStream(ctx.get());
  v1::AppendRequest good, bad, later;
  for (auto* r : {&good, &bad, &later}) {
    r->set_scenario("talks");
    r->set_branch("main");
  }
  *good.add_events() = MakeEvent("g", "2003-09-01", {"CHN"});
  *bad.add_events() = MakeEvent("b", "2003-09", {"CHN"});
  bad.mutable_events(0)->mutable_occurred()->set_month(13);
  *later.add_events() = MakeEvent("l", "2003-09-02", {"CHN"});
  stream->Write(good);
  stream->Write(bad);
  stream->Write(later);
  stream->WritesDone();
  v1::AppendResponse response;
  ASSERT_TRUE(stream->Read(&response));
  EXPECT_EQ(response.last_seq(), 1u);
  EXPECT_FALSE(stream->Read(&response));
  EXPECT_STATUS(stream->Finish(), grpc::StatusCode::INVALID_ARGUMENT,
                "batch[1]: events[0].occurred");
  EXPECT_EQ(Head(), 1u);
}

// One stream batch for `branch`: n statements id_prefix<first>... .
v1::AppendRequest StreamBatch(const std::string& branch, const std::string& id_prefix, int first,
                              int n) {
  v1::AppendRequest request;
  request.set_scenario("talks");
  request.set_branch(branch);
  request.set_omit_events(true);
  for (int i = first; i < first + n; ++i)
    *request.add_events() = MakeEvent(id_prefix + std::to_string(i), "2003-09-01", {"CHN"});
  return request;
}

// Writes every message of `bodies` (raw bytes) on one AppendStream without
// waiting for answers, half-closes, and collects the answers and the status.
grpc::Status RawAppendStream(const std::shared_ptr<grpc::Channel>& channel,
                             grpc::ClientContext* ctx, const std::vector<std::string>& bodies,
                             std::vector<v1::AppendResponse>* answers) {
  grpc::GenericStub stub(channel);
  grpc::CompletionQueue cq;
  void* tag;
  bool ok;
  auto call = stub.PrepareCall(ctx, "/demarche.v1.LedgerService/AppendStream", &cq);
  call->StartCall(nullptr);
  EXPECT_TRUE(cq.Next(&tag, &ok) && ok);
  for (const std::string& body : bodies) {
    grpc::Slice slice(body);
    grpc::ByteBuffer message(&slice, 1);
    call->Write(message, nullptr);
    if (!cq.Next(&tag, &ok) || !ok) break;  // the server has ended the call
  }
  call->WritesDone(nullptr);
  cq.Next(&tag, &ok);
  while (true) {
    grpc::ByteBuffer in;
    call->Read(&in, nullptr);
    if (!cq.Next(&tag, &ok) || !ok) break;
    std::vector<grpc::Slice> slices;
    EXPECT_TRUE(in.Dump(&slices).ok());
    std::string bytes;
    for (const auto& s : slices) bytes.append(reinterpret_cast<const char*>(s.begin()), s.size());
    EXPECT_TRUE(answers->emplace_back().ParseFromString(bytes));
  }
  grpc::Status status;
  call->Finish(&status, nullptr);
  EXPECT_TRUE(cq.Next(&tag, &ok) && ok);
  cq.Shutdown();
  while (cq.Next(&tag, &ok)) {
  }
  return status;
}

TEST_F(LedgerServiceTest, AppendStreamEndsAtABatchThatCannotBeParsed) {
  const std::string first = StreamBatch("main", "p", 0, 1).SerializeAsString();
  const std::string third = StreamBatch("main", "p", 2, 1).SerializeAsString();
  std::vector<v1::AppendResponse> answers;
  // A truncated message between two good ones: the stream must not take it
  // for its end and answer OK.
  auto ctx = Ctx();
  grpc::Status status = RawAppendStream(
      channel_, ctx.get(), {first, third.substr(0, third.size() - 5), third}, &answers);
  EXPECT_STATUS(status, grpc::StatusCode::INVALID_ARGUMENT,
                "batch[1]: cannot be parsed as a demarche.v1.AppendRequest");
  ASSERT_EQ(answers.size(), 1u);
  EXPECT_EQ(answers[0].last_seq(), 1u);
  EXPECT_EQ(Head(), 1u) << "nothing after the unparsable batch is appended";
}

// Writes `requests` on one AppendStream without waiting for answers (a
// reader thread takes them) and returns the answers and the status.
grpc::Status StreamWithoutWaiting(v1::LedgerService::Stub* stub,
                                  const std::vector<v1::AppendRequest>& requests,
                                  std::vector<v1::AppendResponse>* answers) {
  auto ctx = ServiceTest::Ctx();
  auto stream = stub->AppendStream(ctx.get());
  std::thread reader([&] {
    v1::AppendResponse response;
    while (stream->Read(&response)) answers->push_back(response);
  });
  for (const v1::AppendRequest& request : requests)
    if (!stream->Write(request)) break;
  stream->WritesDone();
  reader.join();
  return stream->Finish();
}

TEST_F(LedgerServiceTest, AppendStreamKeepsOrderAcrossBranchesWithManyBatchesInFlight) {
  // The client never waits: batches queue up on both sides and consecutive
  // ones for one branch share a group commit on the server.
  MustCreateBranch("alt", "main", 0);
  constexpr int kBatches = 240, kPerBatch = 5;
  std::vector<v1::AppendRequest> requests;
  std::map<std::string, int> count;
  for (int batch = 0; batch < kBatches; ++batch) {
    const std::string branch = (batch / 3) % 2 == 0 ? "main" : "alt";  // runs of three
    requests.push_back(StreamBatch(branch, branch + "-", count[branch], kPerBatch));
    count[branch] += kPerBatch;
  }
  std::vector<v1::AppendResponse> answers;
  ASSERT_TRUE(StreamWithoutWaiting(ledger_stub_.get(), requests, &answers).ok());
  ASSERT_EQ(answers.size(), static_cast<size_t>(kBatches));
  std::map<std::string, uint64_t> head;
  for (int batch = 0; batch < kBatches; ++batch) {
    uint64_t& h = head[requests[batch].branch()];
    EXPECT_EQ(answers[batch].first_seq(), h + 1) << "batch " << batch;
    h += kPerBatch;
    EXPECT_EQ(answers[batch].last_seq(), h);
    EXPECT_EQ(answers[batch].head_seq(), h);
  }
  for (const std::string branch : {"main", "alt"}) {
    v1::ReadRequest r = ReadMain();
    r.set_branch(branch);
    auto events = Read(r);
    ASSERT_EQ(events.size(), static_cast<size_t>(kBatches / 2 * kPerBatch));
    for (size_t i = 0; i < events.size(); ++i)
      EXPECT_EQ(events[i].id(), branch + "-" + std::to_string(i));
  }
}

TEST_F(LedgerServiceTest, AppendStreamRefusesABatchMidRunAndKeepsTheOnesBefore) {
  std::vector<v1::AppendRequest> requests;
  for (int batch = 0; batch < 10; ++batch)
    requests.push_back(StreamBatch("main", "r", batch * 2, 2));
  requests.push_back(StreamBatch("main", "r", 0, 0));  // no events
  for (int batch = 11; batch < 15; ++batch)
    requests.push_back(StreamBatch("main", "r", batch * 2, 2));
  std::vector<v1::AppendResponse> answers;
  EXPECT_STATUS(StreamWithoutWaiting(ledger_stub_.get(), requests, &answers),
                grpc::StatusCode::INVALID_ARGUMENT, "batch[10]: events: at least one event");
  EXPECT_EQ(answers.size(), 10u);
  EXPECT_EQ(Head(), 20u);
}

TEST_F(LedgerServiceTest, AppendStreamCancelledMidwayLeavesWholeBatchesAndAServerThatServes) {
  auto ctx = Ctx();
  auto stream = ledger_stub_->AppendStream(ctx.get());
  for (int batch = 0; batch < 50; ++batch) {
    if (!stream->Write(StreamBatch("main", "c", batch * 4, 4))) break;
    if (batch == 0) {
      v1::AppendResponse response;
      ASSERT_TRUE(stream->Read(&response));
    }
  }
  ctx->TryCancel();
  EXPECT_EQ(stream->Finish().error_code(), grpc::StatusCode::CANCELLED);
  // The server goes on serving. Whatever it appended of the stream (a run
  // under way when the cancellation arrived still lands, as a crash would
  // leave it in doubt) is whole batches, in order, from the first.
  MustAppend("main", {MakeEvent("after", "2003-09-02", {"CHN"})});
  std::vector<std::string> streamed;
  int after = 0;
  for (const v1::Event& e : Read(ReadMain())) {
    if (e.id() == "after") {
      ++after;
    } else {
      streamed.push_back(e.id());
    }
  }
  EXPECT_EQ(after, 1);
  ASSERT_GE(streamed.size(), 4u);
  EXPECT_EQ(streamed.size() % 4, 0u);
  for (size_t i = 0; i < streamed.size(); ++i) EXPECT_EQ(streamed[i], "c" + std::to_string(i));
}

TEST_F(LedgerServiceTest, ReadOrdersAndBounds) {
  // Recorded out of date order: seq order and occurred order differ.
  MustAppend("main",
             {MakeEvent("a", "2003-08-27", {"USA"}), MakeEvent("b", "2003-02", {"PRK"}),
              MakeEvent("c", "2003-12-09", {"CHN"}), MakeEvent("d", "2003-02-01", {"JPN"})});
  auto r = ReadMain();
  EXPECT_THAT(Seqs(Read(r)), ElementsAre(1, 2, 3, 4));
  r.set_order(v1::READ_ORDER_SEQ_REVERSE);
  EXPECT_THAT(Seqs(Read(r)), ElementsAre(4, 3, 2, 1));
  r.set_from_seq(3);
  EXPECT_THAT(Seqs(Read(r)), ElementsAre(3, 2, 1));
  r.set_from_seq(0);
  r.set_known_at(2);
  EXPECT_THAT(Seqs(Read(r)), ElementsAre(2, 1));
  r.set_order(v1::READ_ORDER_OCCURRED);
  r.set_known_at(0);
  // 2003-02 sorts before 2003-02-01.
  EXPECT_THAT(Seqs(Read(r)), ElementsAre(2, 4, 1, 3));
  r.set_known_at(3);
  EXPECT_THAT(Seqs(Read(r)), ElementsAre(2, 1, 3));
  r = ReadMain();
  r.set_from_seq(2);
  r.set_limit(2);
  EXPECT_THAT(Seqs(Read(r)), ElementsAre(2, 3));
  r.set_from_seq(99);
  EXPECT_THAT(Read(r), IsEmpty());
}

TEST_F(LedgerServiceTest, ReadFilters) {
  MustAppend("main", {MakeEvent("a", "2003-08-27", {"USA"}, {"PRK"}),
                      MakeEvent("b", "2003-02", {"PRK"}, {}, "proposal"),
                      MakeEvent("c", "2003-12-09", {"CHN"}, {"JPN"}, "consult"),
                      MakeEvent("d", "2004-02-01", {"JPN"}, {"PRK"}, "demand")});
  auto r = ReadMain();
  r.add_parties("PRK");
  EXPECT_THAT(Seqs(Read(r)), ElementsAre(1, 2, 4));  // as actor or as recipient
  r.add_parties("CHN");
  EXPECT_THAT(Seqs(Read(r)), ElementsAre(1, 2, 3, 4));
  r = ReadMain();
  r.add_move_types("proposal");
  r.add_move_types("demand");
  EXPECT_THAT(Seqs(Read(r)), ElementsAre(2, 4));
  r = ReadMain();
  *r.mutable_from_date() = Date("2003-03");
  *r.mutable_to_date() = Date("2003-12");  // through the end of December
  EXPECT_THAT(Seqs(Read(r)), ElementsAre(1, 3));
  r.set_order(v1::READ_ORDER_OCCURRED);
  EXPECT_THAT(Seqs(Read(r)), ElementsAre(1, 3));
  r.add_parties("JPN");
  r.set_order(v1::READ_ORDER_SEQ_REVERSE);
  EXPECT_THAT(Seqs(Read(r)), ElementsAre(3));
}

TEST_F(LedgerServiceTest, ReadRejectsBadRequests) {
  MustAppend("main", {MakeEvent("a", "2003-08-27", {"USA"})});
  grpc::Status status;
  v1::ReadRequest r;
  Read(r, &status);
  EXPECT_STATUS(status, grpc::StatusCode::INVALID_ARGUMENT, "scenario: required");
  r = ReadMain();
  r.add_move_types("hug");
  Read(r, &status);
  EXPECT_STATUS(status, grpc::StatusCode::INVALID_ARGUMENT,
                "move_types[0]: unknown move type \"hug\" (one of: statement, demand");
  r = ReadMain();
  r.add_parties("usa");
  Read(r, &status);
  EXPECT_STATUS(status, grpc::StatusCode::INVALID_ARGUMENT, "parties[0]: \"usa\" must match");
  r = ReadMain();
  r.add_parties("GBR");
  Read(r, &status);
  EXPECT_STATUS(status, grpc::StatusCode::INVALID_ARGUMENT,
                "parties[0]: \"GBR\" is not a party of scenario \"talks\"");
  r = ReadMain();
  *r.mutable_from_date() = Date("2004");
  *r.mutable_to_date() = Date("2003-12");
  Read(r, &status);
  EXPECT_STATUS(status, grpc::StatusCode::INVALID_ARGUMENT,
                "to_date: 2003-12 is before from_date 2004");
  r = ReadMain();
  r.mutable_from_date()->set_year(2003);
  r.mutable_from_date()->set_month(2);
  r.mutable_from_date()->set_day(30);
  Read(r, &status);
  EXPECT_STATUS(status, grpc::StatusCode::INVALID_ARGUMENT, "from_date");
  r = ReadMain();
  r.set_order(static_cast<v1::ReadOrder>(7));
  Read(r, &status);
  EXPECT_STATUS(status, grpc::StatusCode::INVALID_ARGUMENT, "order: unknown value 7");
  r = ReadMain();
  r.set_branch("nope");
  Read(r, &status);
  EXPECT_STATUS(status, grpc::StatusCode::NOT_FOUND, "branch \"nope\" not found");
  r.set_scenario("nope");
  Read(r, &status);
  EXPECT_STATUS(status, grpc::StatusCode::NOT_FOUND, "scenario \"nope\" not found");
}

TEST_F(LedgerServiceTest, LargeReadStreamsAndHonoursTheDeadline) {
  for (int i = 0; i < 4; ++i) AppendNumbered(500, "main", i * 500 + 1);
  auto r = ReadMain();
  EXPECT_EQ(Read(r).size(), 2000u);
  // A client that stops reading past its deadline gets DEADLINE_EXCEEDED; the
  // server's loop notices the cancellation and the server stays up.
  auto ctx = Ctx(std::chrono::milliseconds(300));
  auto reader = ledger_stub_->Read(ctx.get(), r);
  v1::Event e;
  ASSERT_TRUE(reader->Read(&e));
  std::this_thread::sleep_for(std::chrono::milliseconds(500));
  while (reader->Read(&e)) {
  }
  EXPECT_EQ(reader->Finish().error_code(), grpc::StatusCode::DEADLINE_EXCEEDED);
  EXPECT_EQ(Head(), 2000u);
}

TEST_F(LedgerServiceTest, GetEventBySeqOrId) {
  MustAppend("main",
             {MakeEvent("a", "2003-08-27", {"USA"}), MakeEvent("b", "2003-08-28", {"PRK"})});
  v1::GetEventRequest r;
  r.set_scenario("talks");
  r.set_seq(2);
  v1::Event e;
  ASSERT_TRUE(ledger_stub_->GetEvent(Ctx().get(), r, &e).ok());
  EXPECT_EQ(e.id(), "b");
  r.set_id("a");
  ASSERT_TRUE(ledger_stub_->GetEvent(Ctx().get(), r, &e).ok());
  EXPECT_EQ(e.seq(), 1u);

  r.clear_key();
  EXPECT_STATUS(ledger_stub_->GetEvent(Ctx().get(), r, &e), grpc::StatusCode::INVALID_ARGUMENT,
                "key: one of seq or id is required");
  r.set_seq(0);
  EXPECT_STATUS(ledger_stub_->GetEvent(Ctx().get(), r, &e), grpc::StatusCode::INVALID_ARGUMENT,
                "seq: must be at least 1");
  r.set_seq(3);
  EXPECT_STATUS(ledger_stub_->GetEvent(Ctx().get(), r, &e), grpc::StatusCode::NOT_FOUND,
                "no event at seq 3");
  r.set_id("");
  EXPECT_STATUS(ledger_stub_->GetEvent(Ctx().get(), r, &e), grpc::StatusCode::INVALID_ARGUMENT,
                "id: required");
  r.set_id("zzz");
  EXPECT_STATUS(ledger_stub_->GetEvent(Ctx().get(), r, &e), grpc::StatusCode::NOT_FOUND,
                "no event \"zzz\"");
  r.set_branch("nope");
  EXPECT_STATUS(ledger_stub_->GetEvent(Ctx().get(), r, &e), grpc::StatusCode::NOT_FOUND,
                "branch \"nope\" not found");
}

TEST_F(LedgerServiceTest, BranchLineageInheritsThenAppends) {
  AppendNumbered(5);
  MustCreateBranch("alt", "main", 3);
  auto response = MustAppend("alt", {MakeEvent("x", "2004-01-01", {"USA"}, {}, "proposal")});
  EXPECT_EQ(response.first_seq(), 4u);
  EXPECT_EQ(response.events(0).branch(), "alt");
  auto r = ReadMain();
  r.set_branch("alt");
  auto events = Read(r);
  EXPECT_THAT(Seqs(events), ElementsAre(1, 2, 3, 4));
  EXPECT_EQ(events[2].branch(), "main");
  EXPECT_EQ(events[3].id(), "x");
  v1::GetEventRequest get;
  get.set_scenario("talks");
  get.set_branch("alt");
  get.set_id("e2");  // inherited
  v1::Event e;
  ASSERT_TRUE(ledger_stub_->GetEvent(Ctx().get(), get, &e).ok());
  get.set_id("e5");  // main's, after the fork
  EXPECT_EQ(ledger_stub_->GetEvent(Ctx().get(), get, &e).error_code(), grpc::StatusCode::NOT_FOUND);
}

}  // namespace
}  // namespace demarche::testing
