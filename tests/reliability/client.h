// gRPC clients, event builders and whole-ledger dumps shared by the
// reliability tests. Every Client has its own channel and TCP connection.
#pragma once

#include <chrono>
#include <cstdint>
#include <filesystem>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include <grpcpp/grpcpp.h>

#include "demarche/v1/audit_service.grpc.pb.h"
#include "demarche/v1/branches_service.grpc.pb.h"
#include "demarche/v1/ledger_service.grpc.pb.h"
#include "demarche/v1/replay_service.grpc.pb.h"
#include "demarche/v1/scenarios_service.grpc.pb.h"
#include "ledger/ledger.h"

namespace demarche::reliability {

struct Client {
  // small_window: an 8 KiB HTTP/2 receive window without BDP probing, so a
  // server stream can run no further ahead than the client reads.
  explicit Client(const std::string& address, bool small_window = false);

  std::string address;
  std::shared_ptr<grpc::Channel> channel;
  std::unique_ptr<v1::ScenarioService::Stub> scenarios;
  std::unique_ptr<v1::LedgerService::Stub> ledger;
  std::unique_ptr<v1::BranchService::Stub> branches;
  std::unique_ptr<v1::ReplayService::Stub> replay;
  std::unique_ptr<v1::AuditService::Stub> audit;
};

// A context with a deadline, so a hung call fails instead of hanging.
std::unique_ptr<grpc::ClientContext> Ctx(
    std::chrono::milliseconds timeout = std::chrono::seconds(20));

// "CODE: message" for failure messages.
std::string Describe(const grpc::Status& status);

// The roster every test scenario uses.
inline const std::vector<std::string> kRoster = {"PRK", "USA", "CHN", "JPN", "RUS", "KOR"};

grpc::Status CreateScenario(Client& c, const std::string& name);

// Event builders. Events meant for main carry a source and are historical.
v1::PartialDate Day(int year, int month, int day);
v1::Event Statement(const std::string& id, const v1::PartialDate& occurred,
                    const std::string& actor, bool for_main);
v1::Event Proposal(const std::string& id, const std::string& actor, const std::string& to,
                   bool for_main);
v1::Event ResponseTo(const std::string& id, const std::string& target, const std::string& actor,
                     bool for_main);
v1::Event Retraction(const std::string& id, const std::string& target, bool for_main);

grpc::Status Append(Client& c, const std::string& scenario, const std::string& branch,
                    const std::vector<v1::Event>& events, std::optional<uint64_t> expected_head,
                    v1::AppendResponse* response,
                    std::chrono::milliseconds timeout = std::chrono::seconds(20));
grpc::Status GetBranch(Client& c, const std::string& scenario, const std::string& branch,
                       v1::Branch* out);
// A whole lineage in seq order; the final status goes to *status.
std::vector<v1::Event> ReadAll(Client& c, const std::string& scenario, const std::string& branch,
                               grpc::Status* status);
// AuditService.Verify over every branch of the scenario; "" if all verify,
// else what failed.
std::string VerifyAll(Client& c, const std::string& scenario);
// True if grpc.health.v1 says SERVING within `timeout`.
bool Serving(const std::string& address,
             std::chrono::milliseconds timeout = std::chrono::seconds(5));

// Everything a ledger holds that the API shows: scenarios, every branch
// record (with head seq and hash) and every branch's lineage.
struct Dump {
  std::vector<v1::Scenario> scenarios;
  std::vector<v1::Branch> branches;              // scenario by scenario, as listed
  std::vector<std::vector<v1::Event>> lineages;  // parallel to branches
  size_t EventCount() const;
};
// Through the running server; false with *error on a failed call.
bool DumpViaApi(Client& c, Dump* out, std::string* error);
// By opening the data directory of a stopped server with the Ledger.
bool DumpOffline(const std::filesystem::path& data_dir, Dump* out, std::string* error);
// Through an open Ledger (in-process servers).
bool DumpLedger(ledger::Ledger& ledger, Dump* out, std::string* error);
// "" if equal, else the first difference.
std::string CompareDumps(const Dump& before, const Dump& after);

}  // namespace demarche::reliability
