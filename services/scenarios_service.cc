// ScenarioService: create, get and list the named ledgers.
#include <fmt/format.h>

#include "services/rpc.h"
#include "services/services.h"
#include "services/validate.h"

namespace demarche::services {
namespace {

absl::Status ValidateNewScenario(const v1::CreateScenarioRequest& request) {
  if (!request.has_scenario()) return absl::InvalidArgumentError("scenario: required");
  return ledger::ValidateScenario(request.scenario(), "scenario.");
}

}  // namespace

grpc::Status ScenarioServiceImpl::CreateScenario(grpc::ServerContext* context,
                                                 const v1::CreateScenarioRequest* request,
                                                 v1::Scenario* response) {
  return Serve(*backend_->auth, Role::kCurator, "create scenarios", context, "CreateScenario",
               [&](const Principal& caller) -> absl::Status {
                 DEMARCHE_RETURN_IF_ERROR(ValidateNewScenario(*request));
                 DEMARCHE_ASSIGN_OR_RETURN(
                     *response, backend_->ledger->CreateScenario(request->scenario(), caller.name));
                 return absl::OkStatus();
               });
}

grpc::Status ScenarioServiceImpl::GetScenario(grpc::ServerContext* context,
                                              const v1::GetScenarioRequest* request,
                                              v1::Scenario* response) {
  return Serve(*backend_->auth, Role::kReader, "read scenarios", context, "GetScenario",
               [&]() -> absl::Status {
                 DEMARCHE_RETURN_IF_ERROR(ValidateName(request->name(), "name"));
                 DEMARCHE_ASSIGN_OR_RETURN(*response,
                                           backend_->ledger->GetScenario(request->name()));
                 return absl::OkStatus();
               });
}

grpc::Status ScenarioServiceImpl::ListScenarios(grpc::ServerContext* context,
                                                const v1::ListScenariosRequest* /*request*/,
                                                v1::ListScenariosResponse* response) {
  return Serve(*backend_->auth, Role::kReader, "read scenarios", context, "ListScenarios",
               [&]() -> absl::Status {
                 DEMARCHE_ASSIGN_OR_RETURN(std::vector<v1::Scenario> scenarios,
                                           backend_->ledger->ListScenarios());
                 for (v1::Scenario& s : scenarios) *response->add_scenarios() = std::move(s);
                 return absl::OkStatus();
               });
}

}  // namespace demarche::services
