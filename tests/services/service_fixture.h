// A real demarche server on 127.0.0.1:0 over a fresh ledger in a temporary
// directory, with one stub per service and helpers to build events.
#pragma once

#include <chrono>
#include <filesystem>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include <gmock/gmock.h>
#include <grpcpp/grpcpp.h>
#include <gtest/gtest.h>

#include "demarche/v1/audit_service.grpc.pb.h"
#include "demarche/v1/branches_service.grpc.pb.h"
#include "demarche/v1/ledger_service.grpc.pb.h"
#include "demarche/v1/replay_service.grpc.pb.h"
#include "demarche/v1/scenarios_service.grpc.pb.h"
#include "ledger/ledger.h"
#include "services/server.h"

namespace demarche::testing {

// A fresh directory under the system temp dir, removed on destruction.
class TempDir {
 public:
  TempDir();
  ~TempDir();
  const std::filesystem::path& path() const { return path_; }

 private:
  std::filesystem::path path_;
};

// Builds one event. `date` is "2003", "2003-12" or "2003-12-09"; `move` is a
// move type of the roster below ("statement", "proposal", "demand", "consult").
v1::Event MakeEvent(const std::string& id, const std::string& date, std::vector<std::string> actor,
                    std::vector<std::string> recipients = {},
                    const std::string& move = "statement");
v1::PartialDate Date(const std::string& text);
std::vector<uint64_t> Seqs(const std::vector<v1::Event>& events);

class ServiceTest : public ::testing::Test {
 public:
  // A client context with a deadline, so a hung call fails the test.
  static std::unique_ptr<grpc::ClientContext> Ctx(
      std::chrono::milliseconds timeout = std::chrono::seconds(20));

 protected:
  void SetUp() override;
  void TearDown() override;

  // Starts the server (SetUp does, with default options).
  void StartServer(services::ServerOptions options = {});
  void StopServer();

  // Creates scenario `name` with roster PRK USA CHN JPN RUS KOR.
  v1::Scenario CreateScenario(const std::string& name = "talks");
  // Appends and expects success.
  v1::AppendResponse MustAppend(const std::string& branch, const std::vector<v1::Event>& events,
                                std::optional<uint64_t> expected_head = std::nullopt,
                                const std::string& scenario = "talks");
  grpc::Status Append(const std::string& branch, const std::vector<v1::Event>& events,
                      v1::AppendResponse* response,
                      std::optional<uint64_t> expected_head = std::nullopt,
                      const std::string& scenario = "talks");
  // Appends `n` statements e1..en (days from 2003-01-01) to main.
  void AppendNumbered(int n, const std::string& branch = "main", int first = 1);
  // Reads to the end of the stream; the final status goes to *status.
  std::vector<v1::Event> Read(const v1::ReadRequest& request, grpc::Status* status = nullptr);
  v1::Branch MustCreateBranch(const std::string& name, const std::string& parent,
                              uint64_t after_seq);
  uint64_t Head(const std::string& branch = "main", const std::string& scenario = "talks");

  TempDir dir_;
  // Signs the ledger's checkpoints.
  std::shared_ptr<const tlog::Signer> signer_ =
      std::make_shared<const tlog::Signer>(*tlog::Signer::Generate("test-server"));
  std::unique_ptr<ledger::Ledger> ledger_;
  std::unique_ptr<services::Server> server_;
  std::shared_ptr<grpc::Channel> channel_;
  std::unique_ptr<v1::ScenarioService::Stub> scenarios_;
  std::unique_ptr<v1::LedgerService::Stub> ledger_stub_;
  std::unique_ptr<v1::BranchService::Stub> branches_;
  std::unique_ptr<v1::ReplayService::Stub> replay_;
  std::unique_ptr<v1::AuditService::Stub> audit_;
};

}  // namespace demarche::testing

// Asserts a gRPC status code and that the message contains `substr`.
#define EXPECT_STATUS(status, code, substr)                                              \
  do {                                                                                   \
    const grpc::Status& _s = (status);                                                   \
    EXPECT_EQ(_s.error_code(), (code)) << _s.error_message();                            \
    EXPECT_NE(_s.error_message().find(substr), std::string::npos) << _s.error_message(); \
  } while (0)
