// The five demarche.v1 services, each a thin gRPC layer over the ledger and
// the replay engine: validate the request at the edge, call down, map the
// result. One .cc per service. All share one Backend (not owned).
#pragma once

#include "demarche/v1/audit_service.grpc.pb.h"
#include "demarche/v1/branches_service.grpc.pb.h"
#include "demarche/v1/ledger_service.grpc.pb.h"
#include "demarche/v1/replay_service.grpc.pb.h"
#include "demarche/v1/scenarios_service.grpc.pb.h"
#include "services/backend.h"

namespace demarche::services {

struct StreamBatch;  // services/append_stream.h

class ScenarioServiceImpl final : public v1::ScenarioService::Service {
 public:
  explicit ScenarioServiceImpl(Backend* backend) : backend_(backend) {}

  grpc::Status CreateScenario(grpc::ServerContext* context,
                              const v1::CreateScenarioRequest* request,
                              v1::Scenario* response) override;
  grpc::Status GetScenario(grpc::ServerContext* context, const v1::GetScenarioRequest* request,
                           v1::Scenario* response) override;
  grpc::Status ListScenarios(grpc::ServerContext* context, const v1::ListScenariosRequest* request,
                             v1::ListScenariosResponse* response) override;

 private:
  Backend* backend_;
};

// Append and AppendStream are served on the callback API, the other methods
// on the sync API: an append is handed to the ledger and answered by the
// thread that commits its group (Ledger::AppendAsync), so no thread sleeps
// through each request's fsync (services/append_stream.h for the stream).
// Both take raw bytes so that a request that cannot be parsed is answered
// with INVALID_ARGUMENT naming it (gRPC's callback API would answer
// UNIMPLEMENTED).
class LedgerServiceImpl final
    : public v1::LedgerService::WithRawCallbackMethod_Append<
          v1::LedgerService::WithRawCallbackMethod_AppendStream<v1::LedgerService::Service>> {
 public:
  explicit LedgerServiceImpl(Backend* backend) : backend_(backend) {}

  grpc::ServerUnaryReactor* Append(grpc::CallbackServerContext* context,
                                   const grpc::ByteBuffer* request,
                                   grpc::ByteBuffer* response) override;
  grpc::ServerBidiReactor<grpc::ByteBuffer, grpc::ByteBuffer>* AppendStream(
      grpc::CallbackServerContext* context) override;
  grpc::Status Read(grpc::ServerContext* context, const v1::ReadRequest* request,
                    grpc::ServerWriter<v1::Event>* writer) override;
  grpc::Status Subscribe(grpc::ServerContext* context, const v1::SubscribeRequest* request,
                         grpc::ServerWriter<v1::Event>* writer) override;
  grpc::Status GetEvent(grpc::ServerContext* context, const v1::GetEventRequest* request,
                        v1::Event* response) override;

 private:
  // The checks an append request passes before the ledger sees it; its
  // expected head (kAnyHead when unset).
  absl::StatusOr<uint64_t> CheckAppend(const Principal& caller, const v1::AppendRequest& request);
  // The response to `request` from what the ledger answered; the events
  // move into it unless the request omits them.
  absl::Status Answer(const v1::AppendRequest& request,
                      absl::StatusOr<ledger::AppendResult>& appended, v1::AppendResponse* response);
  // A stream batch's checks (CheckAppend) and its ledger::PrepareBatch, run
  // on the reading thread; its events move into batch.append.
  absl::Status PrepareStreamBatch(const Principal& caller, StreamBatch& batch);
  // Appends prepared stream batches in order, consecutive ones for one
  // branch in one group commit; one answer per batch up to and including the
  // first failure.
  std::vector<absl::StatusOr<v1::AppendResponse>> AppendRun(const Principal& caller,
                                                            std::vector<StreamBatch>& batches);
  absl::Status DoRead(grpc::ServerContext* context, const v1::ReadRequest& request,
                      grpc::ServerWriter<v1::Event>* writer);
  absl::Status DoSubscribe(grpc::ServerContext* context, const v1::SubscribeRequest& request,
                           grpc::ServerWriter<v1::Event>* writer);

  Backend* backend_;
};

class BranchServiceImpl final : public v1::BranchService::Service {
 public:
  explicit BranchServiceImpl(Backend* backend) : backend_(backend) {}

  grpc::Status CreateBranch(grpc::ServerContext* context, const v1::CreateBranchRequest* request,
                            v1::Branch* response) override;
  grpc::Status GetBranch(grpc::ServerContext* context, const v1::GetBranchRequest* request,
                         v1::Branch* response) override;
  grpc::Status ListBranches(grpc::ServerContext* context, const v1::ListBranchesRequest* request,
                            v1::ListBranchesResponse* response) override;
  grpc::Status CompareBranches(grpc::ServerContext* context,
                               const v1::CompareBranchesRequest* request,
                               v1::CompareBranchesResponse* response) override;

 private:
  absl::Status DoCreate(const Principal& caller, const v1::CreateBranchRequest& request,
                        v1::Branch* response);
  absl::Status DoCompare(grpc::ServerContext* context, const v1::CompareBranchesRequest& request,
                         v1::CompareBranchesResponse* response);

  Backend* backend_;
};

class ReplayServiceImpl final : public v1::ReplayService::Service {
 public:
  explicit ReplayServiceImpl(Backend* backend) : backend_(backend) {}

  grpc::Status GetState(grpc::ServerContext* context, const v1::GetStateRequest* request,
                        v1::ScenarioState* response) override;
  grpc::Status Timeline(grpc::ServerContext* context, const v1::TimelineRequest* request,
                        grpc::ServerWriter<v1::TimelineStep>* writer) override;
  grpc::Status Diff(grpc::ServerContext* context, const v1::DiffRequest* request,
                    v1::StateDiff* response) override;

 private:
  absl::Status DoDiff(grpc::ServerContext* context, const v1::DiffRequest& request,
                      v1::StateDiff* response);

  Backend* backend_;
};

class AuditServiceImpl final : public v1::AuditService::Service {
 public:
  explicit AuditServiceImpl(Backend* backend) : backend_(backend) {}

  grpc::Status Verify(grpc::ServerContext* context, const v1::VerifyRequest* request,
                      v1::VerifyResponse* response) override;
  grpc::Status History(grpc::ServerContext* context, const v1::HistoryRequest* request,
                       grpc::ServerWriter<v1::HistoryEntry>* writer) override;
  grpc::Status GetServerStatus(grpc::ServerContext* context,
                               const v1::GetServerStatusRequest* request,
                               v1::ServerStatus* response) override;
  // audit_proofs.cc
  grpc::Status GetCheckpoint(grpc::ServerContext* context, const v1::GetCheckpointRequest* request,
                             v1::Checkpoint* response) override;
  grpc::Status GetInclusionProof(grpc::ServerContext* context,
                                 const v1::GetInclusionProofRequest* request,
                                 v1::InclusionProof* response) override;
  grpc::Status GetConsistencyProof(grpc::ServerContext* context,
                                   const v1::GetConsistencyProofRequest* request,
                                   v1::ConsistencyProof* response) override;
  grpc::Status GetEntries(grpc::ServerContext* context, const v1::GetEntriesRequest* request,
                          grpc::ServerWriter<v1::Entries>* writer) override;

 private:
  absl::Status DoHistory(grpc::ServerContext* context, const v1::HistoryRequest& request,
                         grpc::ServerWriter<v1::HistoryEntry>* writer);

  Backend* backend_;
};

}  // namespace demarche::services
