// AuditService: verify hash chains; who recorded what, when.
#include <string>
#include <vector>

#include <fmt/format.h>

#include "services/rpc.h"
#include "services/services.h"
#include "services/validate.h"

namespace demarche::services {
namespace {

v1::HistoryEntry ToEntry(const v1::Event& e) {
  v1::HistoryEntry entry;
  entry.set_seq(e.seq());
  entry.set_id(e.id());
  entry.set_branch(e.branch());
  entry.set_recorded_by(e.recorded_by());
  *entry.mutable_recorded_at() = e.recorded_at();
  entry.set_summary(e.summary());
  entry.set_hash(e.hash());
  return entry;
}

}  // namespace

grpc::Status AuditServiceImpl::Verify(grpc::ServerContext* context,
                                      const v1::VerifyRequest* request,
                                      v1::VerifyResponse* response) {
  return Serve(*backend_->auth, Role::kReader, "verify", context, "Verify", [&]() -> absl::Status {
    DEMARCHE_RETURN_IF_ERROR(ValidateName(request->scenario(), "scenario"));
    ledger::Ledger& ledger = *backend_->ledger;
    std::vector<std::string> names;
    if (request->branch().empty()) {
      DEMARCHE_ASSIGN_OR_RETURN(std::vector<v1::Branch> branches,
                                ledger.ListBranches(request->scenario()));
      for (const v1::Branch& b : branches) names.push_back(b.name());
    } else {
      DEMARCHE_RETURN_IF_ERROR(ValidateName(request->branch(), "branch"));
      names.push_back(request->branch());
    }
    bool ok = true;
    for (const std::string& name : names) {
      if (context->IsCancelled()) return CancelledStatus(context);
      DEMARCHE_ASSIGN_OR_RETURN(ledger::VerifyResult result,
                                ledger.Verify(request->scenario(), name));
      v1::BranchVerification* v = response->add_branches();
      v->set_branch(name);
      v->set_ok(result.ok);
      v->set_checked(result.checked);
      v->set_first_bad_seq(result.first_bad_seq);
      v->set_reason(result.reason);
      ok = ok && result.ok;
    }
    response->set_ok(ok);
    return absl::OkStatus();
  });
}

grpc::Status AuditServiceImpl::GetServerStatus(grpc::ServerContext* context,
                                               const v1::GetServerStatusRequest* /*request*/,
                                               v1::ServerStatus* response) {
  return Serve(*backend_->auth, Role::kReader, "read the server status", context, "GetServerStatus",
               [&]() -> absl::Status {
                 const ledger::StorageHealth health = backend_->ledger->Health();
                 response->set_writable(health.writable.ok());
                 response->set_read_only_reason(std::string(health.writable.message()));
                 response->set_free_disk_bytes(health.free_bytes);
                 response->set_min_free_disk_bytes(health.min_free_bytes);
                 return absl::OkStatus();
               });
}

absl::Status AuditServiceImpl::DoHistory(grpc::ServerContext* context,
                                         const v1::HistoryRequest& request,
                                         grpc::ServerWriter<v1::HistoryEntry>* writer) {
  DEMARCHE_RETURN_IF_ERROR(ValidateName(request.scenario(), "scenario"));
  ledger::Ledger& ledger = *backend_->ledger;
  // One branch: its whole lineage. No branch: every event of the scenario
  // once, each under the branch it was appended to (main first, then by name).
  struct Walk {
    std::string branch;
    uint64_t from_seq;
  };
  std::vector<Walk> walks;
  if (!request.branch().empty()) {
    DEMARCHE_RETURN_IF_ERROR(ValidateName(request.branch(), "branch"));
    walks.push_back({request.branch(), request.from_seq()});
  } else {
    DEMARCHE_ASSIGN_OR_RETURN(std::vector<v1::Branch> branches,
                              ledger.ListBranches(request.scenario()));
    for (const v1::Branch& b : branches) {
      walks.push_back({b.name(), std::max(request.from_seq(), b.fork_after_seq() + 1)});
    }
  }
  for (const Walk& walk : walks) {
    ledger::ReadOptions options;
    options.from_seq = walk.from_seq;
    DEMARCHE_ASSIGN_OR_RETURN(std::unique_ptr<ledger::EventIterator> it,
                              ledger.Read(request.scenario(), walk.branch, options));
    for (; it->Valid(); it->Next()) {
      if (context->IsCancelled()) return CancelledStatus(context);
      const v1::Event& e = it->event();
      if (!request.recorded_by().empty() && e.recorded_by() != request.recorded_by()) continue;
      if (!writer->Write(ToEntry(e))) return CancelledStatus(context);
    }
    DEMARCHE_RETURN_IF_ERROR(it->status());
  }
  return absl::OkStatus();
}

grpc::Status AuditServiceImpl::History(grpc::ServerContext* context,
                                       const v1::HistoryRequest* request,
                                       grpc::ServerWriter<v1::HistoryEntry>* writer) {
  return Serve(*backend_->auth, Role::kReader, "read the audit history", context, "History",
               [&] { return DoHistory(context, *request, writer); });
}

}  // namespace demarche::services
