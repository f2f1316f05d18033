// Bad input on the wire: bytes that are no message, messages too big or too
// deep, unknown methods, size limits, deadlines and clients that go away.
#include <future>
#include <thread>

#include <grpcpp/generic/generic_stub.h>

#include "bad_input.h"

namespace demarche::reliability::bad {
namespace {

using grpc::StatusCode;
constexpr char kAppend[] = "/demarche.v1.LedgerService/Append";

std::string AppendBytes(const std::vector<v1::Event>& events) {
  v1::AppendRequest r;
  r.set_scenario(kScenario);
  r.set_branch("main");
  for (const v1::Event& e : events) *r.add_events() = e;
  return r.SerializeAsString();
}

// A correction whose replacement move is a correction whose ... `depth` deep.
std::string DeeplyNested(int depth) {
  v1::Event e = Good("deep");
  v1::Move* m = e.mutable_move();
  for (int i = 0; i < depth; ++i) {
    v1::Correction* c = m->mutable_correction();
    c->set_target("m1");
    c->set_reason("nested");
    m = c->mutable_move();
  }
  m->mutable_statement()->set_issue("x");
  return AppendBytes({e});
}

// Reads a server stream until `after` messages arrived, then cancels it.
template <typename Reader>
grpc::Status CancelAfter(grpc::ClientContext* ctx, Reader* reader, int after) {
  v1::Event e;
  for (int n = 0; n < after && reader->Read(&e); ++n) {
  }
  ctx->TryCancel();
  while (reader->Read(&e)) {
  }
  return reader->Finish();
}

}  // namespace

grpc::Status RawUnary(Client& c, const std::string& method, const std::string& body) {
  grpc::GenericStub stub(c.channel);
  grpc::Slice slice(body);
  grpc::ByteBuffer request(&slice, 1);
  grpc::ByteBuffer response;
  auto ctx = Ctx();
  std::promise<grpc::Status> done;
  stub.UnaryCall(ctx.get(), method, grpc::StubOptions(), &request, &response,
                 [&done](grpc::Status s) { done.set_value(std::move(s)); });
  return done.get_future().get();
}

std::vector<Case> WireCases() {
  std::vector<Case> cases;
  // gRPC itself answers these with INTERNAL and no message; the services'
  // interceptor (services/malformed_request.h) names the request instead.
  auto malformed = [&](std::string name, std::function<std::string()> body) {
    cases.push_back({std::move(name),
                     StatusCode::INVALID_ARGUMENT,
                     {"request: cannot be parsed as a demarche.v1.AppendRequest"},
                     [body](Client& c) { return RawUnary(c, kAppend, body()); }});
  };
  malformed("bytes that are not a protobuf message",
            [] { return std::string("\xff\xff\xff\xff\xff\xff", 6); });
  malformed("a truncated message", [] {
    const std::string whole = AppendBytes({Good("trunc")});
    return whole.substr(0, whole.size() - 7);
  });
  // Field 1 (scenario), length 2, bytes C3 28: not UTF-8.
  malformed("invalid UTF-8 in a string field", [] { return std::string("\x0a\x02\xc3\x28", 4); });
  malformed("a message nested beyond the parser's depth limit", [] { return DeeplyNested(120); });
  cases.push_back({"an unknown method", StatusCode::UNIMPLEMENTED, {}, [](Client& c) {
                     return RawUnary(c, "/demarche.v1.LedgerService/Erase", "");
                   }});
  cases.push_back({"a message over the server's max receive size",
                   StatusCode::RESOURCE_EXHAUSTED,
                   {"larger than max"},
                   [](Client& c) {
                     v1::Event e = Good("huge");
                     e.set_summary(std::string((kMaxMessageMb + 1) << 20, 'x'));
                     return AppendTo(c, "main", {e});
                   }});
  cases.push_back({"an event over max_event_bytes",
                   StatusCode::RESOURCE_EXHAUSTED,
                   {"events[0]", "max_event_bytes 65536"},
                   [](Client& c) {
                     v1::Event e = Good("big");
                     e.set_summary(std::string(70000, 'x'));
                     return AppendTo(c, "main", {e});
                   }});
  cases.push_back({"a batch over max_batch_events",
                   StatusCode::RESOURCE_EXHAUSTED,
                   {"events", "10001", "max_batch_events 10000"},
                   [](Client& c) {
                     std::vector<v1::Event> batch;
                     for (int i = 0; i < 10001; ++i)
                       batch.push_back(Good("over" + std::to_string(i)));
                     return AppendTo(c, "main", batch);
                   }});
  cases.push_back(
      {"an empty batch", StatusCode::INVALID_ARGUMENT, {"events", "at least one"}, [](Client& c) {
         return AppendTo(c, "main", {});
       }});
  cases.push_back({"an AppendStream whose first batch is bad",
                   StatusCode::INVALID_ARGUMENT,
                   {"batch[0]", "events[0].occurred.month"},
                   [](Client& c) {
                     auto ctx = Ctx();
                     auto stream = c.ledger->AppendStream(ctx.get());
                     v1::AppendRequest r;
                     r.set_scenario(kScenario);
                     r.set_branch("main");
                     *r.add_events() = Good("stream-bad");
                     r.mutable_events(0)->mutable_occurred()->set_month(13);
                     stream->Write(r);
                     stream->Write(r);  // never looked at: the stream stops at the first failure
                     stream->WritesDone();
                     v1::AppendResponse resp;
                     while (stream->Read(&resp)) {
                     }
                     return stream->Finish();
                   }});
  cases.push_back({"a tiny deadline on a large read",
                   StatusCode::DEADLINE_EXCEEDED,
                   {"Deadline Exceeded"},
                   [](Client& c) {
                     v1::ReadRequest r;
                     r.set_scenario(kBulk);
                     // The small window keeps the server from finishing early.
                     Client slow(c.address, /*small_window=*/true);
                     auto ctx = Ctx(std::chrono::milliseconds(10));
                     auto reader = slow.ledger->Read(ctx.get(), r);
                     v1::Event e;
                     // A slow consumer: the read cannot finish in time.
                     while (reader->Read(&e))
                       std::this_thread::sleep_for(std::chrono::milliseconds(1));
                     return reader->Finish();
                   }});
  cases.push_back({"a client that cancels a Read mid-stream",
                   StatusCode::CANCELLED,
                   {"CANCELLED"},
                   [](Client& c) {
                     v1::ReadRequest r;
                     r.set_scenario(kBulk);
                     Client slow(c.address, /*small_window=*/true);
                     auto ctx = Ctx();
                     auto reader = slow.ledger->Read(ctx.get(), r);
                     return CancelAfter(ctx.get(), reader.get(), 100);
                   },
                   "rpc=Read code=CANCELLED"});
  cases.push_back({"a client that cancels a Subscribe mid-stream",
                   StatusCode::CANCELLED,
                   {"CANCELLED"},
                   [](Client& c) {
                     v1::SubscribeRequest r;
                     r.set_scenario(kBulk);
                     r.set_branch("main");
                     auto ctx = Ctx();
                     auto reader = c.ledger->Subscribe(ctx.get(), r);
                     return CancelAfter(ctx.get(), reader.get(), 100);
                   },
                   "rpc=Subscribe code=CANCELLED"});
  cases.push_back({"a client that waits live on Subscribe and cancels",
                   StatusCode::CANCELLED,
                   {"CANCELLED"},
                   [](Client& c) {
                     v1::SubscribeRequest r;
                     r.set_scenario(kScenario);
                     r.set_branch("right");
                     r.set_after_seq(6);  // the head: nothing to catch up, blocks live
                     auto ctx = Ctx();
                     auto reader = c.ledger->Subscribe(ctx.get(), r);
                     std::this_thread::sleep_for(std::chrono::milliseconds(300));
                     return CancelAfter(ctx.get(), reader.get(), 0);
                   },
                   "rpc=Subscribe code=CANCELLED"});
  return cases;
}

}  // namespace demarche::reliability::bad
