// The connection to demarched: channel and credentials, per-call context
// (deadline, bearer token), and turning a failed call into a message that says
// what to do plus an exit code.
#pragma once

#include <grpcpp/grpcpp.h>

#include <memory>
#include <string_view>

#include "cli/cli.h"
#include "demarche/v1/audit_service.grpc.pb.h"
#include "demarche/v1/branches_service.grpc.pb.h"
#include "demarche/v1/ledger_service.grpc.pb.h"
#include "demarche/v1/replay_service.grpc.pb.h"
#include "demarche/v1/scenarios_service.grpc.pb.h"

namespace demarche::cli {

// The exit code for a gRPC status (see Exit).
int ExitCodeFor(grpc::StatusCode code);

class Client {
 public:
  // Throws CliError when the credentials cannot be set up (unreadable CA file).
  explicit Client(const Globals& globals);

  // Sets the deadline (skipped for open-ended streams unless --timeout was
  // given) and the bearer token.
  void Prepare(grpc::ClientContext& ctx, bool open_ended = false) const;

  // Prints "error: ..." with a hint on stderr; returns the exit code.
  int Fail(const grpc::Status& status, std::string_view doing) const;

  const Globals& globals() const { return g_; }
  const std::string& scenario() const { return g_.scenario; }

  v1::ScenarioService::Stub& scenarios() { return *scenarios_; }
  v1::LedgerService::Stub& ledger() { return *ledger_; }
  v1::BranchService::Stub& branches() { return *branches_; }
  v1::ReplayService::Stub& replay() { return *replay_; }
  v1::AuditService::Stub& audit() { return *audit_; }

 private:
  Globals g_;
  std::shared_ptr<grpc::Channel> channel_;
  std::unique_ptr<v1::ScenarioService::Stub> scenarios_;
  std::unique_ptr<v1::LedgerService::Stub> ledger_;
  std::unique_ptr<v1::BranchService::Stub> branches_;
  std::unique_ptr<v1::ReplayService::Stub> replay_;
  std::unique_ptr<v1::AuditService::Stub> audit_;
};

}  // namespace demarche::cli
