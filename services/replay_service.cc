// ReplayService: party states at a date, timelines, diffs.
#include <string>

#include <fmt/format.h>

#include "services/rpc.h"
#include "services/services.h"
#include "services/validate.h"

namespace demarche::services {
namespace {

absl::StatusOr<replay::StateQuery> BuildQuery(
    const std::string& scenario, const std::string& branch, std::string_view branch_field,
    const v1::PartialDate& as_of, std::string_view as_of_field, uint64_t known_at,
    const google::protobuf::RepeatedPtrField<std::string>& parties,
    const google::protobuf::RepeatedPtrField<std::string>& fields) {
  DEMARCHE_RETURN_IF_ERROR(ValidateName(scenario, "scenario"));
  DEMARCHE_RETURN_IF_ERROR(ValidateName(branch, branch_field));
  DEMARCHE_RETURN_IF_ERROR(ValidateOptionalDate(as_of, as_of_field));
  replay::StateQuery query;
  for (int i = 0; i < parties.size(); ++i) {
    DEMARCHE_RETURN_IF_ERROR(ValidatePartyCode(parties.Get(i), fmt::format("parties[{}]", i)));
    query.parties.push_back(parties.Get(i));
  }
  query.fields.assign(fields.begin(), fields.end());
  DEMARCHE_RETURN_IF_ERROR(replay::ParseFields(query.fields).status());
  query.scenario = scenario;
  query.branch = branch;
  query.as_of = OptionalDate(as_of);
  query.known_at = known_at;
  return query;
}

}  // namespace

grpc::Status ReplayServiceImpl::GetState(grpc::ServerContext* context,
                                         const v1::GetStateRequest* request,
                                         v1::ScenarioState* response) {
  return Serve(*backend_->auth, Role::kReader, "replay", context, "GetState",
               [&]() -> absl::Status {
                 DEMARCHE_ASSIGN_OR_RETURN(
                     replay::StateQuery query,
                     BuildQuery(request->scenario(), BranchOrMain(request->branch()), "branch",
                                request->as_of(), "as_of", request->known_at(), request->parties(),
                                request->fields()));
                 query.cancelled = [context] { return context->IsCancelled(); };
                 DEMARCHE_ASSIGN_OR_RETURN(*response, backend_->engine->StateAt(query));
                 return absl::OkStatus();
               });
}

grpc::Status ReplayServiceImpl::Timeline(grpc::ServerContext* context,
                                         const v1::TimelineRequest* request,
                                         grpc::ServerWriter<v1::TimelineStep>* writer) {
  return Serve(
      *backend_->auth, Role::kReader, "replay", context, "Timeline", [&]() -> absl::Status {
        DEMARCHE_RETURN_IF_ERROR(ValidateName(request->scenario(), "scenario"));
        const std::string branch = BranchOrMain(request->branch());
        DEMARCHE_RETURN_IF_ERROR(ValidateName(branch, "branch"));
        DEMARCHE_RETURN_IF_ERROR(ValidateDateRange(request->from(), "from", request->to(), "to"));
        bool gone = false;
        absl::Status status = backend_->engine->Timeline(
            request->scenario(), branch, OptionalDate(request->from()), OptionalDate(request->to()),
            request->known_at(),
            [&](const v1::TimelineStep& step) {
              gone = context->IsCancelled() || !writer->Write(step);
              return !gone;
            },
            [context] { return context->IsCancelled(); });
        if (gone) return CancelledStatus(context);
        return status;
      });
}

absl::Status ReplayServiceImpl::DoDiff(grpc::ServerContext* context, const v1::DiffRequest& request,
                                       v1::StateDiff* response) {
  // Side b defaults to side a: one branch at two dates, or two branches at
  // one date.
  const std::string branch_a = BranchOrMain(request.branch_a());
  const std::string branch_b = request.branch_b().empty() ? branch_a : request.branch_b();
  const v1::PartialDate& as_of_b = request.has_as_of_b() ? request.as_of_b() : request.as_of_a();
  DEMARCHE_ASSIGN_OR_RETURN(
      replay::StateQuery query_a,
      BuildQuery(request.scenario(), branch_a, "branch_a", request.as_of_a(), "as_of_a",
                 request.known_at_a(), request.parties(), request.fields()));
  DEMARCHE_ASSIGN_OR_RETURN(replay::StateQuery query_b,
                            BuildQuery(request.scenario(), branch_b, "branch_b", as_of_b, "as_of_b",
                                       request.known_at_b(), request.parties(), request.fields()));
  query_a.cancelled = query_b.cancelled = [context] { return context->IsCancelled(); };
  auto a = backend_->engine->StateAt(query_a);
  if (!a.ok()) return Prefixed(a.status(), "a");
  auto b = backend_->engine->StateAt(query_b);
  if (!b.ok()) return Prefixed(b.status(), "b");
  *response = replay::Diff(*a, *b);
  // Summaries only: the per-party detail is in the changes.
  response->mutable_a()->clear_parties();
  response->mutable_b()->clear_parties();
  return absl::OkStatus();
}

grpc::Status ReplayServiceImpl::Diff(grpc::ServerContext* context, const v1::DiffRequest* request,
                                     v1::StateDiff* response) {
  return Serve(*backend_->auth, Role::kReader, "replay", context, "Diff",
               [&] { return DoDiff(context, *request, response); });
}

}  // namespace demarche::services
