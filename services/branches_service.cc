// BranchService: fork, inspect, list as a tree, compare two lineages.
#include <map>
#include <string>
#include <vector>

#include <fmt/format.h>

#include "ledger/date.h"
#include "services/rpc.h"
#include "services/services.h"
#include "services/validate.h"

namespace demarche::services {
namespace {

// A lineage seen from one branch: each ancestor (itself first, main last) and
// the highest seq of that ancestor's events the lineage includes.
struct LineageStep {
  std::string branch;
  uint64_t upto;
};

absl::StatusOr<std::vector<LineageStep>> Lineage(ledger::Ledger& ledger,
                                                 const std::string& scenario,
                                                 const std::string& name) {
  std::vector<LineageStep> steps;
  DEMARCHE_ASSIGN_OR_RETURN(v1::Branch b, ledger.GetBranch(scenario, name));
  uint64_t upto = b.head_seq();
  steps.push_back({b.name(), upto});
  while (!b.parent().empty()) {
    // A parent's events after the fork point are not ours; neither are those
    // after an inner fork point further down.
    upto = std::min(upto, b.fork_after_seq());
    DEMARCHE_ASSIGN_OR_RETURN(b, ledger.GetBranch(scenario, b.parent()));
    if (steps.size() > 100000) return absl::InternalError("branch ancestry does not end");
    steps.push_back({b.name(), upto});
  }
  return steps;
}

absl::Status CollectAfter(grpc::ServerContext* context, ledger::Ledger& ledger,
                          const std::string& scenario, const std::string& branch, uint64_t after,
                          google::protobuf::RepeatedPtrField<v1::Event>* out) {
  ledger::ReadOptions options;
  options.from_seq = after + 1;
  DEMARCHE_ASSIGN_OR_RETURN(std::unique_ptr<ledger::EventIterator> it,
                            ledger.Read(scenario, branch, options));
  for (; it->Valid(); it->Next()) {
    if (context->IsCancelled()) return CancelledStatus(context);
    *out->Add() = it->event();
  }
  return it->status();
}

void BuildTree(const std::map<std::string, std::vector<const v1::Branch*>>& children,
               const v1::Branch& branch, v1::BranchNode* node) {
  *node->mutable_branch() = branch;
  auto it = children.find(branch.name());
  if (it == children.end()) return;
  for (const v1::Branch* child : it->second) BuildTree(children, *child, node->add_children());
}

}  // namespace

absl::Status BranchServiceImpl::DoCreate(const Principal& caller,
                                         const v1::CreateBranchRequest& request,
                                         v1::Branch* response) {
  DEMARCHE_RETURN_IF_ERROR(ValidateName(request.scenario(), "scenario"));
  DEMARCHE_RETURN_IF_ERROR(ValidateName(request.name(), "name"));
  const std::string parent = BranchOrMain(request.parent());
  DEMARCHE_RETURN_IF_ERROR(ValidateName(parent, "parent"));
  DEMARCHE_RETURN_IF_ERROR(ValidateOptionalDate(request.date_cutoff(), "date_cutoff"));
  DEMARCHE_RETURN_IF_ERROR(
      ValidateText(request.description(), ledger::kMaxDescriptionBytes, "description"));
  if (request.fork_point_case() == v1::CreateBranchRequest::kAfterEvent) {
    DEMARCHE_RETURN_IF_ERROR(ValidateEventId(request.after_event(), "after_event"));
  }
  ledger::Ledger& ledger = *backend_->ledger;
  auto parent_branch = ledger.GetBranch(request.scenario(), parent);
  if (!parent_branch.ok()) {
    // Say which field is wrong when the scenario exists but the parent does not.
    const bool scenario_exists = ledger.GetScenario(request.scenario()).ok();
    return scenario_exists ? Prefixed(parent_branch.status(), "parent") : parent_branch.status();
  }
  uint64_t after_seq = 0;
  switch (request.fork_point_case()) {
    case v1::CreateBranchRequest::kAfterSeq:
      after_seq = request.after_seq();
      break;
    case v1::CreateBranchRequest::kAfterEvent: {
      auto event = ledger.FindEvent(request.scenario(), parent, request.after_event());
      if (!event.ok()) return Prefixed(event.status(), "after_event");
      after_seq = event->seq();
      break;
    }
    case v1::CreateBranchRequest::FORK_POINT_NOT_SET:
      // Like `git branch`: fork at the parent's current head.
      after_seq = parent_branch->head_seq();
      break;
  }
  DEMARCHE_ASSIGN_OR_RETURN(
      *response,
      ledger.CreateBranch(request.scenario(), request.name(), parent, after_seq,
                          OptionalDate(request.date_cutoff()), caller.name, request.description()));
  return absl::OkStatus();
}

grpc::Status BranchServiceImpl::CreateBranch(grpc::ServerContext* context,
                                             const v1::CreateBranchRequest* request,
                                             v1::Branch* response) {
  return Serve(*backend_->auth, Role::kAnalyst, "create branches", context, "CreateBranch",
               [&](const Principal& caller) { return DoCreate(caller, *request, response); });
}

grpc::Status BranchServiceImpl::GetBranch(grpc::ServerContext* context,
                                          const v1::GetBranchRequest* request,
                                          v1::Branch* response) {
  return Serve(*backend_->auth, Role::kReader, "read branches", context, "GetBranch",
               [&]() -> absl::Status {
                 DEMARCHE_RETURN_IF_ERROR(ValidateName(request->scenario(), "scenario"));
                 DEMARCHE_RETURN_IF_ERROR(ValidateName(request->name(), "name"));
                 DEMARCHE_ASSIGN_OR_RETURN(
                     *response, backend_->ledger->GetBranch(request->scenario(), request->name()));
                 return absl::OkStatus();
               });
}

grpc::Status BranchServiceImpl::ListBranches(grpc::ServerContext* context,
                                             const v1::ListBranchesRequest* request,
                                             v1::ListBranchesResponse* response) {
  return Serve(*backend_->auth, Role::kReader, "read branches", context, "ListBranches",
               [&]() -> absl::Status {
                 DEMARCHE_RETURN_IF_ERROR(ValidateName(request->scenario(), "scenario"));
                 DEMARCHE_ASSIGN_OR_RETURN(std::vector<v1::Branch> branches,
                                           backend_->ledger->ListBranches(request->scenario()));
                 // The ledger lists main first, then by name, so children come out sorted.
                 std::map<std::string, std::vector<const v1::Branch*>> children;
                 const v1::Branch* root = nullptr;
                 for (const v1::Branch& b : branches) {
                   if (b.parent().empty()) {
                     root = &b;
                   } else {
                     children[b.parent()].push_back(&b);
                   }
                 }
                 if (root == nullptr) {
                   return absl::InternalError(
                       fmt::format("scenario \"{}\" has no trunk branch", request->scenario()));
                 }
                 BuildTree(children, *root, response->mutable_root());
                 for (v1::Branch& b : branches) *response->add_branches() = std::move(b);
                 return absl::OkStatus();
               });
}

absl::Status BranchServiceImpl::DoCompare(grpc::ServerContext* context,
                                          const v1::CompareBranchesRequest& request,
                                          v1::CompareBranchesResponse* response) {
  DEMARCHE_RETURN_IF_ERROR(ValidateName(request.scenario(), "scenario"));
  DEMARCHE_RETURN_IF_ERROR(ValidateName(request.a(), "a"));
  const std::string b = BranchOrMain(request.b());
  DEMARCHE_RETURN_IF_ERROR(ValidateName(b, "b"));
  ledger::Ledger& ledger = *backend_->ledger;
  auto lineage_a = Lineage(ledger, request.scenario(), request.a());
  if (!lineage_a.ok()) return Prefixed(lineage_a.status(), "a");
  auto lineage_b = Lineage(ledger, request.scenario(), b);
  if (!lineage_b.ok()) return Prefixed(lineage_b.status(), "b");
  // The common ancestor is the first branch of a's ancestry that b's
  // ancestry contains; both lineages share its events up to the lower bound.
  std::map<std::string, uint64_t> in_b;
  for (const LineageStep& s : *lineage_b) in_b[s.branch] = s.upto;
  for (const LineageStep& s : *lineage_a) {
    auto it = in_b.find(s.branch);
    if (it == in_b.end()) continue;
    uint64_t common = std::min(s.upto, it->second);
    response->set_common_ancestor(s.branch);
    response->set_common_seq(common);
    DEMARCHE_RETURN_IF_ERROR(CollectAfter(context, ledger, request.scenario(), request.a(), common,
                                          response->mutable_only_a()));
    return CollectAfter(context, ledger, request.scenario(), b, common, response->mutable_only_b());
  }
  return absl::InternalError("branches share no ancestor");
}

grpc::Status BranchServiceImpl::CompareBranches(grpc::ServerContext* context,
                                                const v1::CompareBranchesRequest* request,
                                                v1::CompareBranchesResponse* response) {
  return Serve(*backend_->auth, Role::kReader, "compare branches", context, "CompareBranches",
               [&] { return DoCompare(context, *request, response); });
}

}  // namespace demarche::services
