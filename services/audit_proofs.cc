// AuditService's verifiable-log methods: signed checkpoints, inclusion and
// consistency proofs of a branch's Merkle tree (ledger/tree.h). Sizes of 0
// mean the head; impossible arguments are INVALID_ARGUMENT naming the
// field (as transparency-dev/merkle), a size beyond the head OUT_OF_RANGE.
#include <algorithm>

#include <fmt/format.h>

#include "services/rpc.h"
#include "services/services.h"
#include "services/validate.h"

namespace demarche::services {
namespace {

absl::Status ValidateBranch(const std::string& scenario, const std::string& branch) {
  DEMARCHE_RETURN_IF_ERROR(ValidateName(scenario, "scenario"));
  return ValidateName(branch, "branch");
}

// A size of 0 is the branch's head.
absl::StatusOr<uint64_t> SizeOrHead(ledger::Ledger& ledger, const std::string& scenario,
                                    const std::string& branch, uint64_t size) {
  if (size != 0) return size;
  DEMARCHE_ASSIGN_OR_RETURN(v1::Branch b, ledger.GetBranch(scenario, branch));
  return b.head_seq();
}

}  // namespace

grpc::Status AuditServiceImpl::GetCheckpoint(grpc::ServerContext* context,
                                             const v1::GetCheckpointRequest* request,
                                             v1::Checkpoint* response) {
  return Serve(*backend_->auth, Role::kReader, "read checkpoints", context, "GetCheckpoint",
               [&]() -> absl::Status {
                 DEMARCHE_RETURN_IF_ERROR(ValidateBranch(request->scenario(), request->branch()));
                 ledger::Ledger& ledger = *backend_->ledger;
                 DEMARCHE_ASSIGN_OR_RETURN(
                     ledger::SignedCheckpoint cp,
                     ledger.Checkpoint(request->scenario(), request->branch()));
                 response->set_note(cp.note);
                 response->set_tree_size(cp.size);
                 response->set_root_hash(cp.root);
                 response->set_verifier_key(ledger.VerifierKey());
                 return absl::OkStatus();
               });
}

grpc::Status AuditServiceImpl::GetInclusionProof(grpc::ServerContext* context,
                                                 const v1::GetInclusionProofRequest* request,
                                                 v1::InclusionProof* response) {
  return Serve(
      *backend_->auth, Role::kReader, "read proofs", context, "GetInclusionProof",
      [&]() -> absl::Status {
        const v1::GetInclusionProofRequest& r = *request;
        DEMARCHE_RETURN_IF_ERROR(ValidateBranch(r.scenario(), r.branch()));
        ledger::Ledger& ledger = *backend_->ledger;
        uint64_t seq = 0;
        switch (r.leaf_case()) {
          case v1::GetInclusionProofRequest::kSeq:
            if (r.seq() == 0) return absl::InvalidArgumentError("seq: must be at least 1");
            seq = r.seq();
            break;
          case v1::GetInclusionProofRequest::kEventId: {
            DEMARCHE_RETURN_IF_ERROR(ValidateEventId(r.event_id(), "event_id"));
            DEMARCHE_ASSIGN_OR_RETURN(v1::Event e,
                                      ledger.FindEvent(r.scenario(), r.branch(), r.event_id()));
            seq = e.seq();
            break;
          }
          case v1::GetInclusionProofRequest::LEAF_NOT_SET:
            return absl::InvalidArgumentError("seq: set seq or event_id (the event to prove)");
        }
        DEMARCHE_ASSIGN_OR_RETURN(uint64_t size,
                                  SizeOrHead(ledger, r.scenario(), r.branch(), r.tree_size()));
        if (seq > size)
          return absl::InvalidArgumentError(fmt::format("{}: seq {} is not in the tree of size {}",
                                                        r.has_seq() ? "seq" : "event_id", seq,
                                                        size));
        DEMARCHE_ASSIGN_OR_RETURN(std::vector<std::string> proof,
                                  ledger.InclusionProof(r.scenario(), r.branch(), seq - 1, size));
        DEMARCHE_ASSIGN_OR_RETURN(std::string leaf,
                                  ledger.StoredEvent(r.scenario(), r.branch(), seq));
        response->set_leaf_index(seq - 1);
        response->set_tree_size(size);
        for (std::string& h : proof) response->add_hashes(std::move(h));
        response->set_leaf(std::move(leaf));
        return absl::OkStatus();
      });
}

grpc::Status AuditServiceImpl::GetConsistencyProof(grpc::ServerContext* context,
                                                   const v1::GetConsistencyProofRequest* request,
                                                   v1::ConsistencyProof* response) {
  return Serve(*backend_->auth, Role::kReader, "read proofs", context, "GetConsistencyProof",
               [&]() -> absl::Status {
                 const v1::GetConsistencyProofRequest& r = *request;
                 DEMARCHE_RETURN_IF_ERROR(ValidateBranch(r.scenario(), r.branch()));
                 ledger::Ledger& ledger = *backend_->ledger;
                 if (r.size1() == 0) return absl::InvalidArgumentError("size1: must be at least 1");
                 DEMARCHE_ASSIGN_OR_RETURN(uint64_t size2,
                                           SizeOrHead(ledger, r.scenario(), r.branch(), r.size2()));
                 if (r.size1() > size2)
                   return absl::InvalidArgumentError(
                       fmt::format("size1: {} is greater than size2 {}", r.size1(), size2));
                 DEMARCHE_ASSIGN_OR_RETURN(
                     std::vector<std::string> proof,
                     ledger.ConsistencyProof(r.scenario(), r.branch(), r.size1(), size2));
                 DEMARCHE_ASSIGN_OR_RETURN(std::string root1,
                                           ledger.TreeRoot(r.scenario(), r.branch(), r.size1()));
                 response->set_size1(r.size1());
                 response->set_size2(size2);
                 for (std::string& h : proof) response->add_hashes(std::move(h));
                 response->set_root1(std::move(root1));
                 return absl::OkStatus();
               });
}

grpc::Status AuditServiceImpl::GetEntries(grpc::ServerContext* context,
                                          const v1::GetEntriesRequest* request,
                                          grpc::ServerWriter<v1::Entries>* writer) {
  // Batches of at most this many entries or (about) bytes: a message well
  // under gRPC's 4 MiB default receive limit, few enough round trips.
  constexpr size_t kBatchEntries = 1024, kBatchBytes = 1 << 20;
  return Serve(
      *backend_->auth, Role::kReader, "read entries", context, "GetEntries", [&]() -> absl::Status {
        const v1::GetEntriesRequest& r = *request;
        DEMARCHE_RETURN_IF_ERROR(ValidateBranch(r.scenario(), r.branch()));
        if (r.from_seq() == 0) return absl::InvalidArgumentError("from_seq: must be at least 1");
        ledger::Ledger& ledger = *backend_->ledger;
        if (r.to_seq() != 0 && r.to_seq() < r.from_seq())
          return absl::InvalidArgumentError(
              fmt::format("to_seq: {} is before from_seq {}", r.to_seq(), r.from_seq()));
        DEMARCHE_ASSIGN_OR_RETURN(uint64_t head, SizeOrHead(ledger, r.scenario(), r.branch(), 0));
        const uint64_t to = r.to_seq() == 0 ? head : r.to_seq();
        if (to > head || r.from_seq() > head)
          return absl::OutOfRangeError(fmt::format("{}: {} is beyond the head {} of branch {}",
                                                   r.to_seq() == 0 ? "from_seq" : "to_seq",
                                                   std::max(to, r.from_seq()), head, r.branch()));
        v1::Entries batch;
        size_t bytes = 0;
        for (uint64_t seq = r.from_seq(); seq <= to;) {
          if (context->IsCancelled()) return CancelledStatus(context);
          DEMARCHE_ASSIGN_OR_RETURN(
              std::vector<std::string> events,
              ledger.StoredEvents(r.scenario(), r.branch(), seq,
                                  std::min<uint64_t>(kBatchEntries, to - seq + 1)));
          if (events.empty())
            return absl::InternalError(fmt::format("no stored event at seq {}", seq));
          for (std::string& e : events) {
            if (batch.entries_size() == 0) batch.set_first_seq(seq);
            bytes += e.size();
            batch.add_entries(std::move(e));
            ++seq;
            if (batch.entries_size() == kBatchEntries || bytes >= kBatchBytes) {
              if (!writer->Write(batch)) return CancelledStatus(context);
              batch.Clear();
              bytes = 0;
            }
          }
        }
        if (batch.entries_size() > 0 && !writer->Write(batch)) return CancelledStatus(context);
        return absl::OkStatus();
      });
}

}  // namespace demarche::services
