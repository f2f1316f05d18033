// The one place where a call is authorised and a handler's absl::Status
// becomes the call's grpc::Status: every RPC states the least role it needs,
// exceptions turn into INTERNAL (a bad request must never crash the server)
// and every failure is logged as one structured line.
#pragma once

#include <string_view>
#include <type_traits>

#include <grpcpp/server_context.h>
#include <grpcpp/support/status.h>

#include "absl/status/status.h"
#include "services/auth.h"
#include "services/status.h"

namespace demarche::services {

void LogRpcFailure(const grpc::ServerContextBase* context, std::string_view method,
                   const absl::Status& status);

// The status to end a stream with when the client went away or the deadline
// passed (the client already has its own status; this one is for the log).
absl::Status CancelledStatus(const grpc::ServerContextBase* context);

// INTERNAL for the exception being handled; call only inside a catch block.
absl::Status CurrentExceptionStatus();

// Runs `body` if the caller has at least `role`; `action` says what the call
// does, for the PERMISSION_DENIED message. `body` may take the caller's
// Principal (writes record it) or nothing.
template <typename Body>
grpc::Status Serve(const Authenticator& auth, Role role, std::string_view action,
                   grpc::ServerContext* context, std::string_view method, Body&& body) {
  absl::Status status;
  try {
    absl::StatusOr<Principal> caller = auth.Authorize(context, role, action);
    if (!caller.ok()) {
      status = caller.status();
    } else if constexpr (std::is_invocable_v<Body, const Principal&>) {
      status = body(*caller);
    } else {
      status = body();
    }
  } catch (...) {
    status = CurrentExceptionStatus();
  }
  if (!status.ok()) LogRpcFailure(context, method, status);
  return ToGrpcStatus(status);
}

}  // namespace demarche::services
