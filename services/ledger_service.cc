// LedgerService: append batches, read a lineage, subscribe, get one event.
#include <algorithm>
#include <set>
#include <string>

#include <fmt/format.h>

#include "ledger/date.h"
#include "services/append_stream.h"
#include "services/raw_message.h"
#include "services/rpc.h"
#include "services/services.h"
#include "services/validate.h"

namespace demarche::services {
namespace {

// How long one WaitForHead may block before a subscription re-checks
// cancellation and shutdown.
constexpr int64_t kSubscribePollMs = 200;

// The filters of a ReadRequest, checked once and applied per event.
struct ReadFilter {
  std::set<std::string> parties;
  std::set<std::string> move_types;
  uint32_t from_key = ledger::kMinDateKey;
  uint32_t to_key = ledger::kMaxDateKey;
  uint64_t min_seq = 0;

  bool Matches(const v1::Event& e) const {
    if (e.seq() < min_seq) return false;
    uint32_t key = ledger::SortKey(e.occurred());
    if (key < from_key || key > to_key) return false;
    if (!move_types.empty() && move_types.count(MoveTypeName(e.move())) == 0) return false;
    if (parties.empty()) return true;
    auto named = [&](const auto& codes) {
      return std::any_of(codes.begin(), codes.end(),
                         [&](const std::string& c) { return parties.count(c) > 0; });
    };
    return named(e.actor()) || named(e.recipients());
  }
};

absl::StatusOr<ReadFilter> BuildFilter(ledger::Ledger& ledger, const v1::ReadRequest& request) {
  if (!v1::ReadOrder_IsValid(request.order())) {
    return absl::InvalidArgumentError(fmt::format("order: unknown value {}", request.order()));
  }
  DEMARCHE_RETURN_IF_ERROR(
      ValidateDateRange(request.from_date(), "from_date", request.to_date(), "to_date"));
  ReadFilter filter;
  if (ledger::IsSet(request.from_date())) filter.from_key = ledger::SortKey(request.from_date());
  if (ledger::IsSet(request.to_date())) filter.to_key = ledger::LastDayKey(request.to_date());
  for (int i = 0; i < request.move_types_size(); ++i) {
    DEMARCHE_RETURN_IF_ERROR(
        ValidateMoveType(request.move_types(i), fmt::format("move_types[{}]", i)));
    filter.move_types.insert(request.move_types(i));
  }
  for (int i = 0; i < request.parties_size(); ++i) {
    DEMARCHE_RETURN_IF_ERROR(ValidatePartyCode(request.parties(i), fmt::format("parties[{}]", i)));
  }
  if (request.parties_size() > 0) {
    // An unknown code would silently match nothing: say so instead.
    DEMARCHE_ASSIGN_OR_RETURN(v1::Scenario scenario, ledger.GetScenario(request.scenario()));
    std::set<std::string> roster;
    for (const v1::Party& p : scenario.roster()) roster.insert(p.code());
    for (int i = 0; i < request.parties_size(); ++i) {
      if (roster.count(request.parties(i)) == 0) {
        return absl::InvalidArgumentError(
            fmt::format("parties[{}]: \"{}\" is not a party of scenario \"{}\"", i,
                        request.parties(i), request.scenario()));
      }
      filter.parties.insert(request.parties(i));
    }
  }
  return filter;
}

absl::StatusOr<std::unique_ptr<ledger::EventIterator>> OpenRead(ledger::Ledger& ledger,
                                                                const v1::ReadRequest& request,
                                                                const std::string& branch,
                                                                ReadFilter* filter) {
  if (request.order() == v1::READ_ORDER_OCCURRED) {
    filter->min_seq = request.from_seq();
    return ledger.ReadByOccurred(request.scenario(), branch, filter->from_key, filter->to_key,
                                 request.known_at(), ledger::EventFields::kAll, 0);
  }
  ledger::ReadOptions options;
  options.from_seq = request.from_seq();
  options.max_seq = request.known_at();
  if (request.order() == v1::READ_ORDER_SEQ_REVERSE) {
    options.direction = ledger::Direction::kBackward;
    // Backwards "from the head" means from the known_at bound when there is one.
    if (options.max_seq != 0 && (options.from_seq == 0 || options.from_seq > options.max_seq)) {
      options.from_seq = options.max_seq;
    }
  }
  return ledger.Read(request.scenario(), branch, options);
}

}  // namespace

// ---- Append ------------------------------------------------------------------

absl::StatusOr<uint64_t> LedgerServiceImpl::CheckAppend(const Principal& caller,
                                                        const v1::AppendRequest& request) {
  DEMARCHE_RETURN_IF_ERROR(ValidateName(request.scenario(), "scenario"));
  // No default here: writing to the trunk must be said explicitly.
  DEMARCHE_RETURN_IF_ERROR(ValidateName(request.branch(), "branch"));
  if (caller.role != Role::kCurator) {
    // Owners never change, so checking before the append cannot race it.
    DEMARCHE_ASSIGN_OR_RETURN(v1::Branch branch,
                              backend_->ledger->GetBranch(request.scenario(), request.branch()));
    DEMARCHE_RETURN_IF_ERROR(MayAppend(caller, branch.name(), branch.owner()));
  }
  if (request.events_size() == 0) {
    return absl::InvalidArgumentError("events: at least one event is required");
  }
  if (!request.has_expected_head()) return ledger::kAnyHead;
  if (request.expected_head() == ledger::kAnyHead) {
    // Reserved (kAnyHead): no branch can reach it.
    return absl::OutOfRangeError(fmt::format(
        "expected_head: {} is beyond any head (2^64-1 is reserved)", request.expected_head()));
  }
  return request.expected_head();
}

absl::Status LedgerServiceImpl::Answer(const v1::AppendRequest& request,
                                       absl::StatusOr<ledger::AppendResult>& appended,
                                       v1::AppendResponse* response) {
  if (!appended.ok()) return appended.status();
  ledger::AppendResult& result = *appended;
  if (result.events.empty()) return absl::InternalError("append stored no events");
  response->set_first_seq(result.events.front().seq());
  response->set_last_seq(result.events.back().seq());
  response->set_head_seq(result.head_seq);
  response->set_replayed(result.replayed);
  if (result.head_seq == result.events.back().seq()) {
    response->set_head_hash(result.events.back().hash());
  } else {
    // An idempotent retry whose events are no longer at the head.
    DEMARCHE_ASSIGN_OR_RETURN(
        v1::Event head,
        backend_->ledger->GetEvent(request.scenario(), request.branch(), result.head_seq));
    response->set_head_hash(head.hash());
  }
  if (!request.omit_events())
    for (v1::Event& e : result.events) *response->add_events() = std::move(e);
  return absl::OkStatus();
}

namespace {

// Takes the request's events over, without a copy.
std::vector<v1::Event> TakeEvents(v1::AppendRequest& request) {
  std::vector<v1::Event> events;
  events.reserve(static_cast<size_t>(request.events_size()));
  for (v1::Event& e : *request.mutable_events()) events.push_back(std::move(e));
  return events;
}

// Puts the events a request gave up (TakeEvents) back into it, by swapping
// them with the emptied shells left there.
void ReturnEvents(std::vector<v1::Event>& events, v1::AppendRequest& request) {
  auto& shells = *request.mutable_events();
  if (static_cast<size_t>(shells.size()) != events.size()) return;
  for (size_t i = 0; i < events.size(); ++i) shells[static_cast<int>(i)].Swap(&events[i]);
}

}  // namespace

absl::Status LedgerServiceImpl::PrepareStreamBatch(const Principal& caller, StreamBatch& batch) {
  absl::StatusOr<uint64_t> expected_head = CheckAppend(caller, batch.request);
  if (!expected_head.ok()) return expected_head.status();
  batch.append.expected_head = *expected_head;
  batch.append.events = TakeEvents(batch.request);
  return backend_->ledger->PrepareBatch(batch.request.scenario(), batch.request.branch(),
                                        &batch.append);
}

std::vector<absl::StatusOr<v1::AppendResponse>> LedgerServiceImpl::AppendRun(
    const Principal& caller, std::vector<StreamBatch>& batches) {
  std::vector<absl::StatusOr<v1::AppendResponse>> answers;
  for (size_t first = 0; first < batches.size();) {
    // Consecutive batches for one branch go down as one run.
    const v1::AppendRequest& head = batches[first].request;
    std::vector<ledger::AppendBatch> run;
    size_t end = first;
    for (; end < batches.size() && batches[end].request.scenario() == head.scenario() &&
           batches[end].request.branch() == head.branch();
         ++end) {
      // The stream keeps its own pointer to each prepared batch, so that
      // the encodings are freed with the batch, off the appending thread.
      const ledger::AppendBatch& prepared = batches[end].append;
      run.push_back({{}, prepared.expected_head, prepared.prepared});
    }
    auto results = backend_->ledger->AppendInOrder(head.scenario(), head.branch(), std::move(run),
                                                   caller.name);
    for (size_t i = 0; i < results.size(); ++i) {
      v1::AppendResponse response;
      absl::Status s = Answer(batches[first + i].request, results[i], &response);
      // Events not sent back go back into their request, so that the stream
      // frees them with it on its reading thread, off the appending one.
      if (results[i].ok()) ReturnEvents(results[i]->events, batches[first + i].request);
      if (!s.ok()) {
        answers.push_back(s);
        return answers;
      }
      answers.push_back(std::move(response));
    }
    first = end;
  }
  return answers;
}

grpc::ServerUnaryReactor* LedgerServiceImpl::Append(grpc::CallbackServerContext* context,
                                                    const grpc::ByteBuffer* request_bytes,
                                                    grpc::ByteBuffer* response_bytes) {
  grpc::ServerUnaryReactor* reactor = context->DefaultReactor();
  // Ends the call, from this thread or from the one that committed the group.
  auto finish = [context, reactor, response_bytes](absl::StatusOr<v1::AppendResponse> response) {
    absl::Status status = response.status();
    if (status.ok()) status = EncodeRaw(*response, response_bytes, "response");
    if (!status.ok()) LogRpcFailure(context, "Append", status);
    reactor->Finish(ToGrpcStatus(status));
  };
  try {
    absl::StatusOr<Principal> caller = backend_->auth->Authorize(context, Role::kAnalyst, "append");
    if (!caller.ok()) {
      finish(caller.status());
      return reactor;
    }
    grpc::ByteBuffer bytes(*request_bytes);  // parsing consumes its buffer
    absl::StatusOr<v1::AppendRequest> parsed = ParseRaw<v1::AppendRequest>(&bytes, "request");
    if (!parsed.ok()) {
      finish(parsed.status());
      return reactor;
    }
    v1::AppendRequest& request = *parsed;
    absl::StatusOr<uint64_t> expected_head = CheckAppend(*caller, request);
    if (!expected_head.ok()) {
      finish(expected_head.status());
      return reactor;
    }
    std::vector<v1::Event> events = TakeEvents(request);
    const std::string scenario = request.scenario();
    const std::string branch = request.branch();
    backend_->ledger->AppendAsync(scenario, branch, std::move(events), *expected_head, caller->name,
                                  [this, finish, request = std::move(request)](
                                      absl::StatusOr<ledger::AppendResult> appended) mutable {
                                    try {
                                      v1::AppendResponse response;
                                      absl::Status s = Answer(request, appended, &response);
                                      if (s.ok()) {
                                        finish(std::move(response));
                                      } else {
                                        finish(s);
                                      }
                                    } catch (...) {
                                      finish(CurrentExceptionStatus());
                                    }
                                  });
  } catch (...) {
    finish(CurrentExceptionStatus());
  }
  return reactor;
}

grpc::ServerBidiReactor<grpc::ByteBuffer, grpc::ByteBuffer>* LedgerServiceImpl::AppendStream(
    grpc::CallbackServerContext* context) {
  absl::StatusOr<Principal> caller = backend_->auth->Authorize(context, Role::kAnalyst, "append");
  if (!caller.ok()) return StartAppendStream(context, nullptr, nullptr, caller.status());
  // Batches that queued up while the previous ones were appended share one
  // group commit; each is still answered, or fails, on its own.
  auto principal = std::make_shared<const Principal>(*std::move(caller));
  return StartAppendStream(
      context,
      [this, principal](StreamBatch& batch) { return PrepareStreamBatch(*principal, batch); },
      [this, principal](std::vector<StreamBatch>& batches) {
        return AppendRun(*principal, batches);
      });
}

// ---- Read ----------------------------------------------------------------------

absl::Status LedgerServiceImpl::DoRead(grpc::ServerContext* context, const v1::ReadRequest& request,
                                       grpc::ServerWriter<v1::Event>* writer) {
  DEMARCHE_RETURN_IF_ERROR(ValidateName(request.scenario(), "scenario"));
  const std::string branch = BranchOrMain(request.branch());
  DEMARCHE_RETURN_IF_ERROR(ValidateName(branch, "branch"));
  if (request.known_at() != 0) {
    // The head only grows: a bound within it now stays within it.
    DEMARCHE_ASSIGN_OR_RETURN(v1::Branch info,
                              backend_->ledger->GetBranch(request.scenario(), branch));
    DEMARCHE_RETURN_IF_ERROR(
        ledger::CheckWithinHead(request.known_at(), info.head_seq(), "known_at", branch));
  }
  DEMARCHE_ASSIGN_OR_RETURN(ReadFilter filter, BuildFilter(*backend_->ledger, request));
  DEMARCHE_ASSIGN_OR_RETURN(std::unique_ptr<ledger::EventIterator> it,
                            OpenRead(*backend_->ledger, request, branch, &filter));
  uint32_t sent = 0;
  for (; it->Valid(); it->Next()) {
    if (context->IsCancelled()) return CancelledStatus(context);
    if (!filter.Matches(it->event())) continue;
    if (!writer->Write(it->event())) return CancelledStatus(context);
    if (request.limit() != 0 && ++sent >= request.limit()) return absl::OkStatus();
  }
  return it->status();
}

grpc::Status LedgerServiceImpl::Read(grpc::ServerContext* context, const v1::ReadRequest* request,
                                     grpc::ServerWriter<v1::Event>* writer) {
  return Serve(*backend_->auth, Role::kReader, "read events", context, "Read",
               [&] { return DoRead(context, *request, writer); });
}

// ---- Subscribe ---------------------------------------------------------------------

// Catch-up and live are one loop: send every event in (cursor, head], move the
// cursor to head, wait for the head to pass it, repeat. The cursor only moves
// to a head whose events were all sent, so nothing is lost or repeated when
// history turns into live appends.
absl::Status LedgerServiceImpl::DoSubscribe(grpc::ServerContext* context,
                                            const v1::SubscribeRequest& request,
                                            grpc::ServerWriter<v1::Event>* writer) {
  DEMARCHE_RETURN_IF_ERROR(ValidateName(request.scenario(), "scenario"));
  const std::string branch = BranchOrMain(request.branch());
  DEMARCHE_RETURN_IF_ERROR(ValidateName(branch, "branch"));
  ledger::Ledger& ledger = *backend_->ledger;
  DEMARCHE_ASSIGN_OR_RETURN(v1::Branch info, ledger.GetBranch(request.scenario(), branch));
  uint64_t head = info.head_seq();
  DEMARCHE_RETURN_IF_ERROR(ledger::CheckWithinHead(request.after_seq(), head, "after_seq", branch));
  uint64_t cursor = request.after_seq();
  // Headers go out now, so a client knows the subscription is live even
  // before the first event.
  writer->SendInitialMetadata();
  while (true) {
    if (head > cursor) {
      ledger::ReadOptions options;
      options.from_seq = cursor + 1;
      options.max_seq = head;
      DEMARCHE_ASSIGN_OR_RETURN(std::unique_ptr<ledger::EventIterator> it,
                                ledger.Read(request.scenario(), branch, options));
      for (; it->Valid(); it->Next()) {
        if (context->IsCancelled()) return CancelledStatus(context);
        if (!writer->Write(it->event())) return CancelledStatus(context);
      }
      DEMARCHE_RETURN_IF_ERROR(it->status());
      cursor = head;
    }
    while (head <= cursor) {
      if (context->IsCancelled()) return CancelledStatus(context);
      if (backend_->stopping.load()) {
        return absl::UnavailableError(fmt::format(
            "server shutting down; resume with after_seq={} on another server", cursor));
      }
      DEMARCHE_ASSIGN_OR_RETURN(
          head, ledger.WaitForHead(request.scenario(), branch, cursor, kSubscribePollMs));
    }
  }
}

grpc::Status LedgerServiceImpl::Subscribe(grpc::ServerContext* context,
                                          const v1::SubscribeRequest* request,
                                          grpc::ServerWriter<v1::Event>* writer) {
  return Serve(*backend_->auth, Role::kReader, "subscribe", context, "Subscribe",
               [&] { return DoSubscribe(context, *request, writer); });
}

// ---- GetEvent -------------------------------------------------------------------

grpc::Status LedgerServiceImpl::GetEvent(grpc::ServerContext* context,
                                         const v1::GetEventRequest* request, v1::Event* response) {
  return Serve(
      *backend_->auth, Role::kReader, "read events", context, "GetEvent", [&]() -> absl::Status {
        DEMARCHE_RETURN_IF_ERROR(ValidateName(request->scenario(), "scenario"));
        const std::string branch = BranchOrMain(request->branch());
        DEMARCHE_RETURN_IF_ERROR(ValidateName(branch, "branch"));
        switch (request->key_case()) {
          case v1::GetEventRequest::kSeq: {
            if (request->seq() == 0) return absl::InvalidArgumentError("seq: must be at least 1");
            DEMARCHE_ASSIGN_OR_RETURN(
                *response, backend_->ledger->GetEvent(request->scenario(), branch, request->seq()));
            return absl::OkStatus();
          }
          case v1::GetEventRequest::kId: {
            DEMARCHE_RETURN_IF_ERROR(ValidateEventId(request->id(), "id"));
            DEMARCHE_ASSIGN_OR_RETURN(
                *response, backend_->ledger->FindEvent(request->scenario(), branch, request->id()));
            return absl::OkStatus();
          }
          case v1::GetEventRequest::KEY_NOT_SET:
            break;
        }
        return absl::InvalidArgumentError("key: one of seq or id is required");
      });
}

}  // namespace demarche::services
