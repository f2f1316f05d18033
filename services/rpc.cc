#include "services/rpc.h"

#include <chrono>
#include <exception>
#include <string>

#include "absl/status/status.h"
#include "ledger/quote.h"
#include "services/log.h"

namespace demarche::services {

void LogRpcFailure(const grpc::ServerContextBase* context, std::string_view method,
                   const absl::Status& status) {
  // Server faults are errors; a client's bad request or a lost race is a warning.
  LogLevel level = LogLevel::kWarn;
  switch (status.code()) {
    case absl::StatusCode::kInternal:
    case absl::StatusCode::kUnknown:
    case absl::StatusCode::kDataLoss:
    case absl::StatusCode::kUnimplemented:
      level = LogLevel::kError;
      break;
    case absl::StatusCode::kCancelled:
      level = LogLevel::kDebug;
      break;
    default:
      break;
  }
  Log(level, "rpc failed",
      {{"rpc", std::string(method)},
       {"code", absl::StatusCodeToString(status.code())},
       {"error", ledger::MessageOf(status)},
       {"peer", context != nullptr ? context->peer() : std::string()}});
}

absl::Status CancelledStatus(const grpc::ServerContextBase* context) {
  if (context != nullptr && context->deadline() <= std::chrono::system_clock::now()) {
    return absl::DeadlineExceededError("deadline exceeded before the call completed");
  }
  return absl::CancelledError("call cancelled by the client");
}

absl::Status CurrentExceptionStatus() {
  try {
    throw;
  } catch (const std::exception& e) {
    return absl::InternalError(std::string("unexpected error: ") + e.what());
  } catch (...) {
    return absl::InternalError("unexpected error");
  }
}

}  // namespace demarche::services
